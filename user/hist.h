/* SPDX-License-Identifier: MIT */
/*
 * Latency histogram: exact below 64 ns, then log2 groups split into 32 linear sub-buckets, so
 * any percentile is reported within 1/64 (1.6%) of the true value.  Fixed size, no allocation,
 * mergeable by adding buckets.
 */
#ifndef MT_HIST_H
#define MT_HIST_H

#include <linux/types.h>

#define HIST_SUB_BITS 5
#define HIST_SUB (1 << HIST_SUB_BITS)
#define HIST_LINEAR (2 * HIST_SUB)
#define HIST_NBUCKETS (HIST_LINEAR + (64 - HIST_SUB_BITS - 1) * HIST_SUB)

struct hist {
	__u64 count;
	__u64 sum;
	__u64 min;
	__u64 max;
	__u64 buckets[HIST_NBUCKETS];
};

/** hist__add() - record one value (nanoseconds). */
void hist__add(struct hist *h, __u64 v);

/** hist__merge() - add every value of @src into @dst. */
void hist__merge(struct hist *dst, const struct hist *src);

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
