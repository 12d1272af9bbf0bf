/* SPDX-License-Identifier: MIT */
/*
 * Latency histogram: exact below 64 ns, then log2 groups split into 32 linear sub-buckets, so
 * any percentile is reported within 1/64 (1.6%) of the true value.  Count, sum, min and max
 * are exact.  Sparse: only the buckets that hold values are stored (a sorted array allocated on
 * demand), so an empty histogram costs 48 bytes and one of a few distinct latencies a few
 * hundred, not the 15 KB of all HIST_NBUCKETS buckets.  Mergeable by adding buckets.
 *
 * A struct hist owns its buckets: zero it to start ({ 0 } is an empty histogram), copy it only
 * with hist__copy(), and release it with hist__free().
 */
#ifndef MT_HIST_H
#define MT_HIST_H

#include <linux/types.h>
#include <stdbool.h>

#define HIST_SUB_BITS 5
#define HIST_SUB (1 << HIST_SUB_BITS)
#define HIST_LINEAR (2 * HIST_SUB)
#define HIST_NBUCKETS (HIST_LINEAR + (64 - HIST_SUB_BITS - 1) * HIST_SUB)

/* One non-empty bucket. */
struct hist_bin {
	__u64 n;
	__u32 idx; /* bucket index, hist__bucket_index() */
};

struct hist {
	__u64 count;
	__u64 sum;
	__u64 min;
	__u64 max;
	struct hist_bin *bins; /* the non-empty buckets, by index; NULL while none */
	__u32 nbins, cap;
};

/**
 * hist__add() - record one value (nanoseconds).
 * Return: 0, or -ENOMEM when its bucket could not be stored (count, sum, min and max still
 * include it).
 */
int hist__add(struct hist *h, __u64 v);

/** hist__merge() - add every value of @src into @dst.  0 or -ENOMEM (as hist__add()). */
int hist__merge(struct hist *dst, const struct hist *src);

/** hist__copy() - @dst (not initialized) becomes a copy of @src.  0 or -ENOMEM (@dst empty). */
int hist__copy(struct hist *dst, const struct hist *src);

/** hist__free() - release @h's buckets; @h is then empty.  NULL is allowed. */
void hist__free(struct hist *h);

/**
 * hist__next() - the non-empty buckets in index order: start with *@pos = 0; each call gives
 * one bucket's index in *@idx and its count in *@n.  Return: false past the last.
 */
bool hist__next(const struct hist *h, int *pos, int *idx, __u64 *n);

/** hist__bucket() - how many values bucket @i holds. */
__u64 hist__bucket(const struct hist *h, int i);

/**
 * hist__percentile() - value at percentile @p (0..100): the midpoint of the bucket holding it,
 * clamped to [min, max].  0 for an empty histogram.
 */
__u64 hist__percentile(const struct hist *h, double p);

/** hist__bucket_index() - bucket of value @v. */
int hist__bucket_index(__u64 v);

/** hist__bucket_low() - smallest value of bucket @i; hist__bucket_high(): largest. */
__u64 hist__bucket_low(int i);
__u64 hist__bucket_high(int i);

#endif /* MT_HIST_H */
