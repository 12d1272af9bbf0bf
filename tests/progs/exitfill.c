// SPDX-License-Identifier: MIT
/*
 * A program that fills a map of the library and exits without freeing it, for maptrace's
 * reading of each known map as the target exits (its last figures, which no sync may see).
 *
 *   exitfill N DEL [--hang]
 *     Creates a map with no size hint, inserts keys 0..N-1, deletes keys 0..DEL-1, and prints
 *     the map's own counters as one JSON line on stdout (the oracle).  Then it returns from
 *     main (exit_group) with the map still allocated; with --hang it prints "hanging" and
 *     sleeps until it is killed (a SIGKILL makes no exit_group call).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cmap.h"

int main(int argc, char **argv)
{
	struct cmap_stats st;
	uint64_t n, del;
	cmap_t *m;

	if (argc < 3 || argc > 4 || (argc == 4 && strcmp(argv[3], "--hang"))) {
		fprintf(stderr, "usage: exitfill N DEL [--hang]\n");
		return 2;
	}
	n = strtoull(argv[1], NULL, 10);
	del = strtoull(argv[2], NULL, 10);
	if (del > n) {
		fprintf(stderr, "exitfill: DEL %llu is more than N %llu; give DEL <= N\n",
			(unsigned long long)del, (unsigned long long)n);
		return 2;
	}
	m = cmap_new(0);
	if (!m)
		return 1;
	for (uint64_t k = 0; k < n; k++)
		if (cmap_put(m, k, k) < 0)
			return 1;
	for (uint64_t k = 0; k < del; k++)
		cmap_del(m, k);
	cmap_stats(m, &st);
	printf("{\"inserts\": %llu, \"deletes\": %llu, \"count\": %llu, \"grows\": %llu, "
	       "\"evacuated\": %llu, \"moved\": %llu}\n",
	       (unsigned long long)st.inserts, (unsigned long long)st.deletes,
	       (unsigned long long)st.count, (unsigned long long)st.grows,
	       (unsigned long long)st.evacuated, (unsigned long long)st.moved);
	fflush(stdout);
	if (argc == 4) {
		printf("hanging\n");
		fflush(stdout);
		for (;;)
			pause();
	}
	return 0; /* the map is not freed: its last figures are read as the process exits */
}
