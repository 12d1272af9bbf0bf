// SPDX-License-Identifier: MIT
/*
 * inserts: the per-hit cost of a probe on libcmap's insert path, measured in a loop that a
 * tracer attaches to before it starts.  bench/overhead.sh runs it untraced, under the empty
 * floor programs and under maptrace, interleaved, and subtracts.
 *
 *   inserts ROUNDS N
 *     Prints "inserts: pid P" on stderr and stops itself (SIGSTOP) until the caller has
 *     attached a tracer and sent SIGCONT.  Then ROUNDS times: a fresh map presized for N
 *     (cmap_new(N): no grow, no evacuation, so the only probe that fires per op is cmap:insert),
 *     N inserts of new keys, free.  Prints the median ns per insert over the rounds, and the
 *     number of inserts done, "ns_per_insert inserts".
 *
 * Why not mapload: a presized 2,000,000-key map misses the cache on most inserts, so its ns/op
 * wanders by +-10% between runs, more than the difference between two tracers' programs.  A
 * 100,000-key map stays mostly in cache and the median over rounds steadies it.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include "cmap.h"

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	int rounds = argc > 2 ? atoi(argv[1]) : 0;
	long n = argc > 2 ? atol(argv[2]) : 0;
	double *t;
	uint64_t done = 0;

	if (rounds < 1 || n < 1) {
		fprintf(stderr, "usage: inserts ROUNDS N\n");
		return 2;
	}
	t = calloc((size_t)rounds, sizeof(*t));
	if (!t)
		return 1;
	fprintf(stderr, "inserts: pid %d\n", getpid());
	raise(SIGSTOP);
	for (int r = 0; r < rounds; r++) {
		double start = now_ns();
		cmap_t *m = cmap_new((size_t)n);

		if (!m)
			return 1;
		/* spread keys like real ids; a new range per round */
		for (uint64_t k = 0; k < (uint64_t)n; k++)
			cmap_put(m, (k + (uint64_t)r * (uint64_t)n) * 0x9e3779b97f4a7c15ULL, k);
		done += cmap_len(m);
		cmap_free(m);
		t[r] = (now_ns() - start) / (double)n;
	}
	qsort(t, (size_t)rounds, sizeof(*t), cmp_double);
	printf("%.2f %llu\n", t[rounds / 2], (unsigned long long)done);
	free(t);
	return 0;
}
