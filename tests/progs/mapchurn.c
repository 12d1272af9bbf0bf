// SPDX-License-Identifier: MIT
/*
 * A program that creates and frees maps without end, for maptrace's soak test: the tracer's
 * memory must not grow with the number of maps a target has made.
 *
 *   mapchurn SECONDS RATE
 *     Prints "mapchurn: pid N" on stderr and stops itself (SIGSTOP) until a tracer has attached
 *     and sent SIGCONT, so that no map escapes it; then for SECONDS creates RATE maps a second (in
 *     batches every 10 ms) without a size hint, puts 20 new keys into each and frees it.
 *     Prints one JSON line: maps, grows and same_size_grows summed over the maps (read from
 *     each map's own counters before it is freed), inserts.
 */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include "cmap.h"

#define INSERTS	 20
#define BATCH_MS 10

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

int main(int argc, char **argv)
{
	long secs = argc > 2 ? atol(argv[1]) : 0, rate = argc > 2 ? atol(argv[2]) : 0;
	uint64_t maps = 0, grows = 0, same = 0, inserts = 0, start, next;
	long batch;

	if (secs < 1 || rate < 100) {
		fprintf(stderr, "usage: mapchurn SECONDS RATE (RATE >= 100 maps a second)\n");
		return 2;
	}
	batch = rate * BATCH_MS / 1000;
	fprintf(stderr, "mapchurn: pid %d\n", getpid());
	raise(SIGSTOP);
	start = now_ns();
	next = start;
	while (now_ns() - start < (uint64_t)secs * 1000000000ULL) {
		for (long b = 0; b < batch; b++) {
			cmap_t *m = cmap_new(0);
			struct cmap_stats st;

			if (!m) {
				perror("mapchurn: cmap_new");
				return 1;
			}
			for (uint64_t k = 0; k < INSERTS; k++) {
				if (cmap_put(m, (k + maps * INSERTS) * 0x9e3779b97f4a7c15ULL, k) <
				    0) {
					perror("mapchurn: cmap_put");
					return 1;
				}
			}
			cmap_stats(m, &st);
			grows += st.grows;
			same += st.same_size_grows;
			inserts += st.count;
			maps++;
			cmap_free(m);
		}
		/* the next batch at its time; a late batch starts at once, none is skipped */
		next += BATCH_MS * 1000000ULL;
		uint64_t now = now_ns();
		if (next > now) {
			struct timespec ts = {.tv_sec = 0, .tv_nsec = (long)(next - now)};

			nanosleep(&ts, NULL);
		}
	}
	printf("{\"maps\": %" PRIu64 ", \"grows\": %" PRIu64 ", \"same_size_grows\": %" PRIu64
	       ", \"inserts\": %" PRIu64 "}\n",
	       maps, grows, same, inserts);
	return 0;
}
