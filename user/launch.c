// SPDX-License-Identifier: MIT
#define _GNU_SOURCE /* pipe2 */
/*
 * maptrace -- CMD: the command runs under ptrace only from fork to its exec.  PTRACE_TRACEME
 * makes the kernel stop it right after a successful execve, with the new image mapped and not
 * one instruction of it run: probes attached then see everything, start-up included.  A
 * SIGSTOP handshake before execvp could not tell when the exec is done.  Once attached,
 * PTRACE_DETACH lets it run free, an ordinary child whose exit status maptrace passes on.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include "launch.h"

struct launch {
	int pid;
	int pidfd;	/* readable once it exits; -1 without pidfds: launch__wait() polls */
	bool resumed;	/* detached and running */
	bool reaped;
};

/* What the child tells through its close-on-exec pipe when it fails before the exec is done. */
struct launch_error {
	int stage; /* 0: ptrace, 1: exec */
	int err;   /* errno */
};

static int shell_status(int wstatus)
{
	if (WIFSIGNALED(wstatus))
		return 128 + WTERMSIG(wstatus);
	return WEXITSTATUS(wstatus);
}

/* The child, from fork to exec: only async-signal-safe calls, maptrace may run threads. */
static void child(char *const *argv, int fd)
{
	struct launch_error e = { 0 };

	/* maptrace ignores SIGPIPE for itself; an ignored signal would stay ignored across exec */
	signal(SIGPIPE, SIG_DFL);
	if (ptrace(PTRACE_TRACEME, 0, NULL, NULL)) {
		e.err = errno;
	} else {
		execvp(argv[0], argv);
		e = (struct launch_error){ .stage = 1, .err = errno };
	}
	if (write(fd, &e, sizeof(e)) < 0)
		_exit(127);
	/* as a shell: 127 for a command not found, 126 for one found that cannot run */
	_exit(e.stage && e.err == ENOENT ? 127 : 126);
}

/* Wait for the stop after the exec; signals that come before it are the child's to take. */
static int wait_exec(struct launch *l, int fd, const char *name)
{
	struct launch_error e;
	int status;
	ssize_t n;

	for (;;) {
		if (waitpid(l->pid, &status, 0) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (!WIFSTOPPED(status))
			break;
		if (WSTOPSIG(status) == SIGTRAP)
			return 0;
		if (ptrace(PTRACE_CONT, l->pid, NULL, (void *)(long)WSTOPSIG(status)))
			return -errno;
	}
	l->reaped = true;
	n = read(fd, &e, sizeof(e));
	if (n != sizeof(e)) {
		fprintf(stderr, "maptrace: %s exited with status %d before it ran\n", name,
			shell_status(status));
		return -ECHILD;
	}
	if (e.stage)
		fprintf(stderr, "maptrace: cannot run %s: %s\n", name, strerror(e.err));
	else
		fprintf(stderr, "maptrace: cannot run %s under ptrace, which holds it before its "
				"first instruction: %s (kernel.yama.ptrace_scope 3?)\n",
			name, strerror(e.err));
	return -e.err;
}

int launch__start(char *const *argv, struct launch **out)
{
	struct launch *l = calloc(1, sizeof(*l));
	int fds[2] = { -1, -1 }, err;

	*out = NULL;
	if (!l)
		return -ENOMEM;
	l->pidfd = -1;
	l->reaped = true;
	if (pipe2(fds, O_CLOEXEC)) {
		err = -errno;
		fprintf(stderr, "maptrace: cannot run %s: pipe: %s\n", argv[0], strerror(-err));
		goto out;
	}
	l->pid = fork();
	if (l->pid < 0) {
		err = -errno;
		fprintf(stderr, "maptrace: cannot run %s: fork: %s\n", argv[0], strerror(-err));
		goto out;
	}
	if (!l->pid) {
		close(fds[0]);
		child(argv, fds[1]);
	}
	l->reaped = false;
	close(fds[1]);
	fds[1] = -1;
	err = wait_exec(l, fds[0], argv[0]);
	if (err)
		goto out;
#ifdef SYS_pidfd_open
	l->pidfd = (int)syscall(SYS_pidfd_open, l->pid, 0);
#endif
	*out = l;
	l = NULL;
out:
	if (fds[0] >= 0)
		close(fds[0]);
	if (fds[1] >= 0)
		close(fds[1]);
	launch__free(l);
	return err;
}

int launch__pid(const struct launch *l)
{
	return l->pid;
}

bool launch__running(const struct launch *l)
{
	return l->resumed && !l->reaped;
}

int launch__resume(struct launch *l)
{
	/* signal 0: the SIGTRAP of the exec stop is not delivered */
	if (ptrace(PTRACE_DETACH, l->pid, NULL, NULL))
		return -errno;
	l->resumed = true;
	return 0;
}

int launch__signal(struct launch *l, int sig)
{
	if (l->reaped)
		return -ESRCH;
	return kill(l->pid, sig) ? -errno : 0;
}

int launch__wait(struct launch *l, int timeout_ms, int *status)
{
	struct pollfd p = { .fd = l->pidfd, .events = POLLIN };
	int ws;
	pid_t r;

	if (l->reaped)
		return -ECHILD;
	r = waitpid(l->pid, &ws, WNOHANG);
	if (!r && timeout_ms > 0) {
		/* a signal cuts the wait short: the caller looks at it and waits again */
		if (l->pidfd >= 0)
			poll(&p, 1, timeout_ms);
		else
			usleep(timeout_ms < 100 ? timeout_ms * 1000 : 100000);
		r = waitpid(l->pid, &ws, WNOHANG);
	}
	if (r < 0)
		return -errno;
	if (!r)
		return -EAGAIN;
	l->reaped = true;
	*status = shell_status(ws);
	return 0;
}

void launch__free(struct launch *l)
{
	if (!l)
		return;
	if (!l->reaped) {
		/* a stopped tracee dies of SIGKILL too: nothing of it runs */
		kill(l->pid, SIGKILL);
		while (waitpid(l->pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	if (l->pidfd >= 0)
		close(l->pidfd);
	free(l);
}
