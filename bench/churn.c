// SPDX-License-Identifier: MIT
/*
 * churn: many short-lived small maps, the pattern in which what a tracer does once per map
 * (at creation, at each grow, at the free) costs most relative to the work.  The map-churn row
 * of bench/real.sh.
 *
 *   churn MAPS INSERTS
 *     Prints "churn: pid P" on stderr and stops itself (SIGSTOP) until the caller has attached a
 *     tracer and sent SIGCONT.  Then MAPS times: a map without a size hint (cmap_new(0)),
 *     INSERTS inserts of new keys, free.  Prints one JSON line: maps, inserts_per_map, the
 *     library's grows and evacuated buckets summed over the maps (read from each map's counters
 *     before it is freed), elapsed_ns and ns_per_map (wall time of the loop), cpu_ns_per_map
 *     (its CPU time).
 *
 * With 20 inserts a map starts at 1 bucket and grows twice (past 8 and past 13 entries).  Under
 * maptrace's default no probe fires for such a map (its grows stay below 2^7 buckets: libcmap's
 * totals count them); with map_create traced (--detail) each fires map_create, 2 x
 * grow_begin/grow_end, evacuations, grow_done and map_destroy.
 */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include "cmap.h"

static uint64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

int main(int argc, char **argv)
{
	long maps = argc > 2 ? atol(argv[1]) : 0;
	long inserts = argc > 2 ? atol(argv[2]) : 0;
	uint64_t start, cpu0, elapsed, cpu, done = 0, grows = 0, evacuated = 0;

	if (maps < 1 || inserts < 1) {
		fprintf(stderr, "usage: churn MAPS INSERTS\n");
		return 2;
	}
	fprintf(stderr, "churn: pid %d\n", getpid());
	raise(SIGSTOP);
	start = now_ns(CLOCK_MONOTONIC);
	cpu0 = now_ns(CLOCK_PROCESS_CPUTIME_ID);
	for (long i = 0; i < maps; i++) {
		cmap_t *m = cmap_new(0);

		if (!m) {
			perror("churn: cmap_new");
			return 1;
		}
		for (uint64_t k = 0; k < (uint64_t)inserts; k++)
			if (cmap_put(m, (k + (uint64_t)i * (uint64_t)inserts) * 0x9e3779b97f4a7c15ULL,
				     k) < 0) {
				perror("churn: cmap_put");
				return 1;
			}
		struct cmap_stats st;

		cmap_stats(m, &st);
		done += st.count;
		grows += st.grows + st.same_size_grows;
		evacuated += st.evacuated;
		cmap_free(m);
	}
	elapsed = now_ns(CLOCK_MONOTONIC) - start;
	cpu = now_ns(CLOCK_PROCESS_CPUTIME_ID) - cpu0;
	if (done != (uint64_t)maps * (uint64_t)inserts) {
		fprintf(stderr, "churn: %" PRIu64 " entries stored, %ld expected\n", done,
			maps * inserts);
		return 1;
	}
	printf("{\"maps\": %ld, \"inserts_per_map\": %ld, \"grows\": %" PRIu64
	       ", \"evacuated\": %" PRIu64 ", \"elapsed_ns\": %" PRIu64
	       ", \"ns_per_map\": %.1f, \"cpu_ns_per_map\": %.1f}\n",
	       maps, inserts, grows, evacuated, elapsed,
	       (double)elapsed / (double)maps, (double)cpu / (double)maps);
	return 0;
}
