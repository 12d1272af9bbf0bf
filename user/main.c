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

static void on_signal(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	/* the terminal's Ctrl-C reaches its whole foreground group: a launched command has it */
	stop_signal = sig | (si->si_code == SI_KERNEL ? RUN_STOP_TTY : 0);
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG && !verbose)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_sigaction = on_signal, .sa_flags = SA_SIGINFO | SA_RESTART };
	struct args a;
	int err, status = -1;

	if (args__parse(argc, argv, &a))
		return 2;
	if (a.help) {
		if (a.report_help)
			args__report_usage();
		else
			args__usage();
		return 0;
	}
	if (a.version) {
		printf("maptrace %s\n", MAPTRACE_VERSION);
		return 0;
	}
	verbose = a.verbose;
	libbpf_set_print(libbpf_print);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	err = a.report_file ? run__report(&a, &stop_signal) : run__live(&a, &stop_signal, &status);
	/* a launched command's status is maptrace's, but its success does not hide a failure */
	if (status < 0 || (err && !status))
		return err ? 1 : 0;
	return status;
}
