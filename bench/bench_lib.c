// SPDX-License-Identifier: MIT
/*
 * Library micro-benchmark: 100,000 inserts into a fresh map, with or without a size hint,
 * repeated; prints the median ns per insert.  Built twice (with and without USDT probes) so
 * bench/run.sh can put the untraced cost of the probes side by side.
 *
 *   bench_lib HINT REPS      e.g. bench_lib 0 31, bench_lib 100000 31
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "cmap.h"

#define N 100000

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	size_t hint = argc > 1 ? strtoul(argv[1], NULL, 10) : 0;
	int reps = argc > 2 ? atoi(argv[2]) : 31;
	double *t = calloc(reps > 0 ? reps : 1, sizeof(*t));
	uint64_t sink = 0;

	if (reps < 1 || !t) {
		fprintf(stderr, "usage: bench_lib HINT REPS (REPS >= 1)\n");
		return 2;
	}
	for (int r = 0; r < reps; r++) {
		double start = now_ns();
		cmap_t *m = cmap_new(hint);

		if (!m)
			return 1;
		/* spread keys like real ids, not 0..N-1 */
		for (uint64_t k = 0; k < N; k++)
			cmap_put(m, k * 0x9e3779b97f4a7c15ULL, k);
		sink += cmap_len(m);
		cmap_free(m);
		t[r] = (now_ns() - start) / N;
	}
	qsort(t, reps, sizeof(*t), cmp_double);
	printf("%.2f\n", t[reps / 2]);
	free(t);
	return sink == (uint64_t)N * reps ? 0 : 1;
}
