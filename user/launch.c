// SPDX-License-Identifier: MIT
#define _GNU_SOURCE /* pipe2 */
/*
 * maptrace -- CMD: the command runs under ptrace only from fork to its exec.  PTRACE_TRACEME
 * makes the kernel stop it right after a successful execve, with the new image mapped and not
 * one instruction of it run: probes attached then see everything, start-up included.  A
 * SIGSTOP handshake before execvp could not tell when the exec is done.  A dynamically linked
 * command is then run on to its entry point, where the dynamic linker has mapped its shared
 * libraries (a shared libcmap among them) and run their constructors, and the program has run
 * nothing of its own yet.  Once attached, PTRACE_DETACH lets it run free, an ordinary child
 * whose exit status maptrace passes on.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <elf.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
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

/*
 * Wait for the next SIGTRAP stop (0), passing other signals on to the child, or its end
 * (-ECHILD, *@status its wait status).
 */
static int wait_trap(struct launch *l, int *status)
{
	for (;;) {
		if (waitpid(l->pid, status, 0) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (!WIFSTOPPED(*status)) {
			l->reaped = true;
			return -ECHILD;
		}
		if (WSTOPSIG(*status) == SIGTRAP)
			return 0;
		if (ptrace(PTRACE_CONT, l->pid, NULL, (void *)(long)WSTOPSIG(*status)))
			return -errno;
	}
}

/* The command ended before it could be traced: say how, once. */
static int ended_early(const char *name, int status, int *code)
{
	*code = shell_status(status);
	fprintf(stderr, "maptrace: %s exited with status %d before its first instruction\n", name,
		*code);
	return -ECHILD;
}

/* Wait for the stop after the exec; signals that come before it are the child's to take. */
static int wait_exec(struct launch *l, int fd, const char *name, int *code)
{
	struct launch_error e;
	int status, err;
	ssize_t n;

	err = wait_trap(l, &status);
	if (err != -ECHILD)
		return err;
	n = read(fd, &e, sizeof(e));
	if (n != sizeof(e))
		return ended_early(name, status, code);
	*code = shell_status(status);
	if (e.stage)
		fprintf(stderr, "maptrace: cannot run %s: %s\n", name, strerror(e.err));
	else
		fprintf(stderr, "maptrace: cannot run %s under ptrace, which holds it before its "
				"first instruction: %s (kernel.yama.ptrace_scope 3?)\n",
			name, strerror(e.err));
	return -e.err;
}

/* AT_ENTRY and AT_BASE (the dynamic linker's base, 0 without one) from /proc/PID/auxv. */
static int read_auxv(int pid, unsigned long *entry, unsigned long *base)
{
	Elf64_auxv_t v[128]; /* a few dozen entries: AT_* numbers stop in the fifties */
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/auxv", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, v, sizeof(v));
	close(fd);
	if (n < 0)
		return -errno;
	*entry = *base = 0;
	for (size_t i = 0; i < (size_t)n / sizeof(v[0]) && v[i].a_type != AT_NULL; i++) {
		if (v[i].a_type == AT_ENTRY)
			*entry = v[i].a_un.a_val;
		else if (v[i].a_type == AT_BASE)
			*base = v[i].a_un.a_val;
	}
	return *entry ? 0 : -ENOENT;
}

/*
 * From the exec stop of a dynamically linked command to its entry point, by a breakpoint
 * there: its shared libraries are mapped then.  x86-64 only; elsewhere, and for a static
 * executable, the exec stop is where it stays.
 */
static int run_to_entry(struct launch *l, const char *name, int *code)
{
#ifdef __x86_64__
	struct user_regs_struct regs;
	unsigned long entry = 0, base = 0;
	long word;
	int status, err;

	err = read_auxv(l->pid, &entry, &base);
	if (err || !base)
		return err;
	errno = 0;
	word = ptrace(PTRACE_PEEKTEXT, l->pid, (void *)entry, NULL);
	if (errno)
		return -errno;
	/* int3 */
	if (ptrace(PTRACE_POKETEXT, l->pid, (void *)entry, (void *)((word & ~0xffL) | 0xcc)) ||
	    ptrace(PTRACE_CONT, l->pid, NULL, NULL))
		return -errno;
	for (;;) {
		err = wait_trap(l, &status);
		if (err == -ECHILD)
			return ended_early(name, status, code);
		if (err)
			return err;
		if (ptrace(PTRACE_GETREGS, l->pid, NULL, &regs))
			return -errno;
		if (regs.rip == entry + 1)
			break;
		/* a SIGTRAP of its own, before the entry point (one it raised): its to take */
		if (ptrace(PTRACE_CONT, l->pid, NULL, (void *)(long)SIGTRAP))
			return -errno;
	}
	regs.rip = entry;
	if (ptrace(PTRACE_POKETEXT, l->pid, (void *)entry, (void *)word) ||
	    ptrace(PTRACE_SETREGS, l->pid, NULL, &regs))
		return -errno;
#else
	(void)l;
	(void)name;
	(void)code;
#endif
	return 0;
}

int launch__start(char *const *argv, struct launch **out, int *code)
{
	struct launch *l = calloc(1, sizeof(*l));
	int fds[2] = { -1, -1 }, err;

	*out = NULL;
	*code = -1;
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
	err = wait_exec(l, fds[0], argv[0], code);
	if (!err) {
		err = run_to_entry(l, argv[0], code);
		if (err && err != -ECHILD)
			fprintf(stderr, "maptrace: cannot run %s to its entry point: %s\n",
				argv[0], strerror(-err));
	}
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
