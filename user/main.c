// SPDX-License-Identifier: MIT
/*
 * maptrace: why are the hash maps in this process slow?  Parse, run, exit.
 */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <bpf/libbpf.h>
#include "args.h"
#include "run.h"

static volatile sig_atomic_t stop_signal;
static bool verbose;

static void on_signal(int sig)
{
	stop_signal = sig;
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG && !verbose)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

int main(int argc, char **argv)
{
	struct args a;
	int err;

	if (args__parse(argc, argv, &a))
		return 2;
	if (a.help) {
		args__usage();
		return 0;
	}
	if (a.version) {
		printf("maptrace %s\n", MAPTRACE_VERSION);
		return 0;
	}
	verbose = a.verbose;
	libbpf_set_print(libbpf_print);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	err = a.report_file ? run__report(&a, &stop_signal) : run__live(&a, &stop_signal);
	return err ? 1 : 0;
}
