// SPDX-License-Identifier: MIT
/*
 * A program that fills a map of the library and exits without freeing it, for maptrace's
 * reading of each known map as the target exits (its last figures, which no sync may see).
 *
 *   exitfill N DEL [plain|mutex|sharded|sync] [--presized] [--hang]
 *     Creates a map of that variant (plain by default: a core map) with no size hint (with
 *     --presized, a hint of N: it never grows, and from N = 417 on it starts with 2^7 buckets
 *     or more, which libcmap announces at its creation to a tracer of its grows), inserts
 *     keys 0..N-1, deletes keys 0..DEL-1, looks up keys 0..N-1 once (a sync map's hits and
 *     misses), and prints the map's own counters as one JSON line on stdout (the oracle).  Then
 *     it returns from main (exit_group) with the map still allocated; with --hang it prints
 *     "hanging" and sleeps until it is killed (a SIGKILL makes no exit_group call).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cmap.h"

static const char *const variants[] = {"plain", "mutex", "sharded", "sync"};
static const enum cmap_variant variant_of[] = {CMAP_PLAIN, CMAP_MUTEX, CMAP_SHARDED, CMAP_SYNC};

int main(int argc, char **argv)
{
	struct cmap_stats st;
	uint64_t n, del, v;
	bool hang = false, presized = false;
	int variant = 0;
	cmap_t *m = NULL;
	ccmap_t *cm = NULL;

	for (int i = 3; i < argc; i++) {
		bool known = !strcmp(argv[i], "--hang");

		hang |= known;
		if (!strcmp(argv[i], "--presized"))
			known = presized = true;
		for (int j = 0; j < 4 && !known; j++)
			if (!strcmp(argv[i], variants[j])) {
				variant = j;
				known = true;
			}
		if (!known)
			argc = 0; /* a usage error */
	}
	if (argc < 3) {
		fprintf(stderr,
			"usage: exitfill N DEL [plain|mutex|sharded|sync] [--presized] [--hang]\n");
		return 2;
	}
	n = strtoull(argv[1], NULL, 10);
	del = strtoull(argv[2], NULL, 10);
	if (del > n) {
		fprintf(stderr, "exitfill: DEL %llu is more than N %llu; give DEL <= N\n",
			(unsigned long long)del, (unsigned long long)n);
		return 2;
	}
	if (variant)
		cm = ccmap_new(&(struct ccmap_opts){.variant = variant_of[variant],
						    .hint = presized ? n : 0});
	else
		m = cmap_new(presized ? n : 0);
	if (!m && !cm)
		return 1;
	for (uint64_t k = 0; k < n; k++)
		if ((cm ? ccmap_put(cm, k, k) : cmap_put(m, k, k)) < 0)
			return 1;
	for (uint64_t k = 0; k < del; k++)
		cm ? ccmap_del(cm, k) : cmap_del(m, k);
	for (uint64_t k = 0; k < n; k++)
		cm ? ccmap_get(cm, k, &v) : cmap_get(m, k, &v);
	if (cm)
		ccmap_stats(cm, &st);
	else
		cmap_stats(m, &st);
	printf("{\"variant\": \"%s\", \"inserts\": %llu, \"deletes\": %llu, \"count\": %llu, "
	       "\"grows\": %llu, \"evacuated\": %llu, \"moved\": %llu, \"lookups\": %llu, "
	       "\"hits\": %llu, \"misses\": %llu}\n",
	       variants[variant], (unsigned long long)st.inserts, (unsigned long long)st.deletes,
	       (unsigned long long)st.count, (unsigned long long)st.grows,
	       (unsigned long long)st.evacuated, (unsigned long long)st.moved,
	       (unsigned long long)st.lookups, (unsigned long long)st.hits,
	       (unsigned long long)st.misses);
	fflush(stdout);
	if (hang) {
		printf("hanging\n");
		fflush(stdout);
		for (;;)
			pause();
	}
	return 0; /* the map is not freed: its last figures are read as the process exits */
}
