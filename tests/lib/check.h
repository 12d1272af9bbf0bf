/* SPDX-License-Identifier: MIT */
/*
 * Helpers of the library tests, over tests/tap.h: timing and reproducible random numbers.
 */
#ifndef TESTS_LIB_CHECK_H
#define TESTS_LIB_CHECK_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include "../tap.h"

static inline double check_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static inline int check_exit(void)
{
	return tap_exit();
}

/* splitmix64: reproducible pseudo-random numbers from a printed seed. */
static inline uint64_t check_rand(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

#endif /* TESTS_LIB_CHECK_H */
