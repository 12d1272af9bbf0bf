/* SPDX-License-Identifier: MIT */
/* Small helpers every user-space file may need: array sizes, growing arrays, clocks. */
#ifndef MT_UTIL_H
#define MT_UTIL_H

#include <errno.h>
#include <stdlib.h>
#include <time.h>
#include <linux/types.h>

/* ARRAY_SIZE(a) - the number of elements of the array @a (an array, not a pointer). */
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * GROW(arr, n, cap, first) - room in the array @arr for one more element after the @n in use:
 * its capacity @cap (an int or a size_t lvalue) doubles, starting at @first.
 * Return: 0, or -ENOMEM with @arr and @cap unchanged.
 */
#define GROW(arr, n, cap, first)                                                                  \
	({                                                                                        \
		int grow_err__ = 0;                                                               \
		if ((n) >= (cap)) {                                                               \
			__typeof__(cap) grow_cap__ = (cap) ? 2 * (cap) : (first);                 \
			void *grow_p__ = realloc((arr), (size_t)grow_cap__ * sizeof(*(arr)));     \
			if (grow_p__) {                                                           \
				(arr) = grow_p__;                                                 \
				(cap) = grow_cap__;                                               \
			} else {                                                                  \
				grow_err__ = -ENOMEM;                                             \
			}                                                                         \
		}                                                                                 \
		grow_err__;                                                                       \
	})

/**
 * clock_ns() - the time on clock @clk in nanoseconds.
 * @clk: CLOCK_MONOTONIC for intervals and deadlines, CLOCK_REALTIME for wall time shown to
 *	people, CLOCK_MONOTONIC_COARSE where a few milliseconds of error buy a cheaper read.
 *
 * Return: the time; 0 only if @clk is not a clock this system has.
 */
static inline __u64 clock_ns(clockid_t clk)
{
	struct timespec ts;

	if (clock_gettime(clk, &ts))
		return 0;
	return (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
}

#endif /* MT_UTIL_H */
