// SPDX-License-Identifier: MIT
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

void hist__add(struct hist *h, __u64 v)
{
	if (!h->count || v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
	h->count++;
	h->sum += v;
	h->buckets[hist__bucket_index(v)]++;
}

void hist__merge(struct hist *dst, const struct hist *src)
{
	if (!src->count)
		return;
	if (!dst->count || src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
	dst->count += src->count;
	dst->sum += src->sum;
	for (int i = 0; i < HIST_NBUCKETS; i++)
		dst->buckets[i] += src->buckets[i];
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
	for (int i = 0; i < HIST_NBUCKETS; i++) {
		seen += h->buckets[i];
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
