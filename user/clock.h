/* SPDX-License-Identifier: MIT */
#ifndef MT_CLOCK_H
#define MT_CLOCK_H

#include <time.h>
#include <linux/types.h>

/** clock_mono_ns() - CLOCK_MONOTONIC in nanoseconds: intervals, never the time of day. */
static inline __u64 clock_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
}

#endif /* MT_CLOCK_H */
