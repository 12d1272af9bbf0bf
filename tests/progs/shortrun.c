// SPDX-License-Identifier: MIT
/*
 * A process that lives only a few milliseconds, for maptrace's tests of --comm/--exe following
 * a target whose runs are short.
 *
 *   shortrun MS [--stop | --until-open]
 *     Prints "shortrun: pid N" on stderr, fills a map of the library for MS milliseconds, and
 *     exits 0.  Using the map library makes it carry the library's USDT probes, so a tracer
 *     attaches uprobes to it, and such an attach fails when the run has ended first.
 *     --stop: stop (SIGSTOP) before exiting, and exit at once when let go on.
 *     --until-open: before exiting, wait until another process opens the executable (up to
 *     5 s), then exit at once.  A tracer opens it to inspect the run, a few milliseconds before
 *     it attaches: the run ends while the tracer attaches, however fast or slow the machine.
 *     A test gives each such run a copy of its own, which no one else opens.
 */
#include <errno.h>
#include <stdbool.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>
#include "cmap.h"

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Watch our own executable for opens: exec's own open came before, so any one is another's. */
static int watch_self(void)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	int fd = inotify_init1(IN_CLOEXEC);

	if (n < 0 || fd < 0)
		return -1;
	exe[n] = '\0';
	if (inotify_add_watch(fd, exe, IN_OPEN) < 0) {
		fprintf(stderr, "shortrun: cannot watch %s: %s\n", exe, strerror(errno));
		return -1;
	}
	return fd;
}

int main(int argc, char **argv)
{
	bool stop = argc == 3 && !strcmp(argv[2], "--stop");
	bool until_open = argc == 3 && !strcmp(argv[2], "--until-open");
	uint64_t end, key = 0;
	int fd = -1;
	cmap_t *m;

	if (argc < 2 || argc > 3 || (argc == 3 && !stop && !until_open)) {
		fprintf(stderr, "usage: shortrun MS [--stop | --until-open]\n");
		return 2;
	}
	/* armed first: an inspection during the work counts too */
	if (until_open && (fd = watch_self()) < 0)
		return 1;
	fprintf(stderr, "shortrun: pid %d\n", (int)getpid());
	m = cmap_new(0);
	if (!m)
		return 1;
	end = now_ns() + (uint64_t)(atof(argv[1]) * 1e6);
	/* a few keys at a time, so the run ends on time however slow the machine */
	while (now_ns() < end)
		for (int i = 0; i < 64; i++, key++)
			cmap_put(m, key % 100000, key);
	cmap_free(m);
	if (stop)
		raise(SIGSTOP);
	if (until_open) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (poll(&p, 1, 5000) != 1)
			fprintf(stderr, "shortrun: no one opened the executable\n");
	}
	return 0;
}
