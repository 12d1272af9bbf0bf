/* SPDX-License-Identifier: MIT */
/*
 * Minimal TAP-style reporting for the library tests: one "ok - what" or "not ok - what" line
 * per check, which the test runner counts; diagnostics go to stderr prefixed with "# ".
 */
#ifndef TESTS_LIB_CHECK_H
#define TESTS_LIB_CHECK_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

static int check_failures;

static inline __attribute__((format(printf, 2, 3))) int check(int ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s - ", ok ? "ok" : "not ok");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	if (!ok)
		check_failures++;
	return ok;
}

static inline __attribute__((format(printf, 1, 2))) void diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static inline double check_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static inline int check_exit(void)
{
	return check_failures ? 1 : 0;
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
