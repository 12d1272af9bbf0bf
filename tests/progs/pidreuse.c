// SPDX-License-Identifier: MIT
/*
 * A PID reused at once, for maptrace's tests of a target that exits and whose PID another
 * process takes before the tracer looks again.
 *
 *   pidreuse CMD_A [ARGS...] -- CMD_B [ARGS...]
 *     Runs CMD_A, reaps it, and runs CMD_B under the very PID CMD_A had: clone3(2)'s set_tid
 *     picks it (root: CAP_SYS_ADMIN or CAP_CHECKPOINT_RESTORE), so no other process on the
 *     machine can take it in between, and no spawning until the PID comes around is needed.
 *     Prints "pidreuse: pid N reused" on stderr once CMD_B runs as N, and exits with CMD_B's
 *     status; 2 when the PID could not be had (taken by another process first), 3 on misuse.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/sched.h>

static int run(char **argv, pid_t tid)
{
	struct clone_args ca = { .exit_signal = SIGCHLD };
	long pid;

	if (tid) {
		ca.set_tid = (uint64_t)(uintptr_t)&tid;
		ca.set_tid_size = 1;
	}
	/* a fork by another name: the child shares nothing and only execs */
	pid = syscall(SYS_clone3, &ca, sizeof(ca));
	if (pid == 0) {
		execvp(argv[0], argv);
		fprintf(stderr, "pidreuse: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	return (int)pid;
}

static int reap(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return 1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int main(int argc, char **argv)
{
	char **b = NULL;
	pid_t a_pid, b_pid;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--")) {
			argv[i] = NULL;
			b = &argv[i + 1];
			break;
		}
	}
	if (argc < 2 || !b || !b[0] || !argv[1]) {
		fprintf(stderr, "usage: pidreuse CMD_A [ARGS...] -- CMD_B [ARGS...]\n");
		return 3;
	}
	a_pid = run(&argv[1], 0);
	if (a_pid < 0) {
		fprintf(stderr, "pidreuse: cannot start %s: %s\n", argv[1], strerror(errno));
		return 3;
	}
	reap(a_pid);
	b_pid = run(b, a_pid);
	if (b_pid < 0) {
		fprintf(stderr, "pidreuse: cannot run %s as pid %d: %s\n", b[0], a_pid,
			strerror(errno));
		return 2;
	}
	fprintf(stderr, "pidreuse: pid %d reused\n", b_pid);
	return reap(b_pid);
}
