// SPDX-License-Identifier: MIT
/*
 * A map filled before a tracer attaches, for maptrace's "attached late" line.
 *
 *   latefill N
 *     Creates a map of the library, inserts keys 0..N-1, prints "latefill: pid P" on stderr and
 *     waits for SIGUSR1 (attach a tracer now).  Then it inserts further keys until the map grows
 *     once, and prints on stdout, as JSON, the entries the map held when the signal came
 *     ("count_at_signal") and just before the insert that grew it ("count_before_grow"): the
 *     first thing a tracer attached during the wait can see of the map.  Frees it, exits 0.
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "cmap.h"

int main(int argc, char **argv)
{
	struct cmap_stats st;
	uint64_t n, key, at_signal, before = 0;
	sigset_t set;
	cmap_t *m;
	int sig;

	if (argc != 2 || (n = strtoull(argv[1], NULL, 10)) == 0) {
		fprintf(stderr, "usage: latefill N\n");
		return 2;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	m = cmap_new(0);
	if (!m)
		return 1;
	for (key = 0; key < n; key++)
		cmap_put(m, key, key);
	fprintf(stderr, "latefill: pid %d\n", (int)getpid());
	if (sigwait(&set, &sig))
		return 1;
	cmap_stats(m, &st);
	at_signal = st.count;
	for (uint64_t grows = st.grows; st.grows == grows; key++) {
		before = st.count;
		cmap_put(m, key, key);
		cmap_stats(m, &st);
	}
	printf("{\"count_at_signal\": %llu, \"count_before_grow\": %llu, \"grows\": %llu}\n",
	       (unsigned long long)at_signal, (unsigned long long)before,
	       (unsigned long long)st.grows);
	fflush(stdout);
	cmap_free(m);
	return 0;
}
