// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "hist.h"

int hist__bucket_index(__u64 v)
{
	int e;

	if (v < HIST_LINEAR)
		return (int)v;
	e = 63 - __builtin_clzll(v); /* e >= HIST_SUB_BITS + 1 */
	return HIST_LINEAR + (e - HIST_SUB_BITS - 1) * HIST_SUB +
	       (int)((v >> (e - HIST_SUB_BITS)) & (HIST_SUB - 1));
}

__u64 hist__bucket_low(int i)
{
	int e, sub;

	if (i < HIST_LINEAR)
		return (__u64)i;
	e = (i - HIST_LINEAR) / HIST_SUB + HIST_SUB_BITS + 1;
	sub = (i - HIST_LINEAR) % HIST_SUB;
	return (1ULL << e) + ((__u64)sub << (e - HIST_SUB_BITS));
}

__u64 hist__bucket_high(int i)
{
	int e;

	if (i < HIST_LINEAR)
		return (__u64)i;
	e = (i - HIST_LINEAR) / HIST_SUB + HIST_SUB_BITS + 1;
	return hist__bucket_low(i) + (1ULL << (e - HIST_SUB_BITS)) - 1;
}

/* Position of bucket @idx in @h's bins: its own, or where it would go. */
static __u32 bin_find(const struct hist *h, __u32 idx)
{
	__u32 lo = 0, hi = h->nbins;

	while (lo < hi) {
		__u32 mid = lo + (hi - lo) / 2;

		if (h->bins[mid].idx < idx)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Add @n values to bucket @idx. */
static int bin_add(struct hist *h, __u32 idx, __u64 n)
{
	__u32 at = bin_find(h, idx);

	if (at < h->nbins && h->bins[at].idx == idx) {
		h->bins[at].n += n;
		return 0;
	}
	if (h->nbins == h->cap) {
		__u32 cap = h->cap ? h->cap * 2 : 4;
		struct hist_bin *v;

		if (cap > HIST_NBUCKETS)
			cap = HIST_NBUCKETS;
		v = realloc(h->bins, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		h->bins = v;
		h->cap = cap;
	}
	memmove(&h->bins[at + 1], &h->bins[at], (h->nbins - at) * sizeof(*h->bins));
	h->bins[at] = (struct hist_bin){ .n = n, .idx = idx };
	h->nbins++;
	return 0;
}

int hist__add(struct hist *h, __u64 v)
{
	if (!h->count || v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
	h->count++;
	h->sum += v;
	return bin_add(h, (__u32)hist__bucket_index(v), 1);
}

int hist__merge(struct hist *dst, const struct hist *src)
{
	int err = 0;

	if (!src->count)
		return 0;
	if (!dst->count || src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
	dst->count += src->count;
	dst->sum += src->sum;
	for (__u32 i = 0; i < src->nbins; i++)
		err = bin_add(dst, src->bins[i].idx, src->bins[i].n) ?: err;
	return err;
}

int hist__copy(struct hist *dst, const struct hist *src)
{
	*dst = *src;
	dst->bins = NULL;
	dst->nbins = dst->cap = 0;
	if (!src->nbins)
		return 0;
	dst->bins = malloc(src->nbins * sizeof(*dst->bins));
	if (!dst->bins) {
		*dst = (struct hist){ 0 };
		return -ENOMEM;
	}
	memcpy(dst->bins, src->bins, src->nbins * sizeof(*dst->bins));
	dst->nbins = dst->cap = src->nbins;
	return 0;
}

void hist__free(struct hist *h)
{
	if (!h)
		return;
	free(h->bins);
	*h = (struct hist){ 0 };
}

bool hist__next(const struct hist *h, int *pos, int *idx, __u64 *n)
{
	if (*pos < 0 || (__u32)*pos >= h->nbins)
		return false;
	*idx = (int)h->bins[*pos].idx;
	*n = h->bins[*pos].n;
	(*pos)++;
	return true;
}

__u64 hist__bucket(const struct hist *h, int i)
{
	__u32 at;

	if (i < 0)
		return 0;
	at = bin_find(h, (__u32)i);
	return at < h->nbins && h->bins[at].idx == (__u32)i ? h->bins[at].n : 0;
}

__u64 hist__percentile(const struct hist *h, double p)
{
	__u64 rank, seen = 0, v;

	if (!h->count)
		return 0;
	/* nearest-rank definition: the smallest value with at least p% of values at or below it */
	rank = (__u64)(p / 100.0 * (double)h->count + 0.999999);
	if (rank < 1)
		rank = 1;
	for (__u32 k = 0; k < h->nbins; k++) {
		int i = (int)h->bins[k].idx;

		seen += h->bins[k].n;
		if (seen < rank)
			continue;
		v = hist__bucket_low(i) + (hist__bucket_high(i) - hist__bucket_low(i)) / 2;
		if (v < h->min)
			v = h->min;
		if (v > h->max)
			v = h->max;
		return v;
	}
	return h->max;
}
