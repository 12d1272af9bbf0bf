/* SPDX-License-Identifier: MIT */
/*
 * The target's futex and exit_group syscall sites (sysc.h), in every file it has mapped to run,
 * attached to the BPF programs that stand in for the syscall tracepoints: one uprobe_multi link
 * per file and side, filtered to the target's pid.  Every file's sites are found before any is
 * attached: libc's syscall() gets its own (single-stepped) enter probe only when some file calls
 * it with a number not known where the call is made (sysc.h).  While sysc_block watches the
 * scheduler's switches, a futex call whose exit only the call reaches gets no enter probe (the
 * instruction before a syscall is single-stepped, ~5 us a hit): a wait starts when it sleeps,
 * and one that returns without sleeping is timed 0.  Code the target loads after
 * this (dlopen) is not covered; --futex-tracepoints is.
 */
#ifndef MT_SYSC_ATTACH_H
#define MT_SYSC_ATTACH_H

#include <stdbool.h>

struct target;

/* What was attached. */
struct sysc_attached {
	int futex_sites; /* futex calls, libc's syscall() counted as one */
	int exit_only;	 /* futex wait sites probed after the call alone (@sleeps) */
};

/**
 * sysc__attach() - attach the syscall sites of target @t.
 * @t: the target, its mappings read.
 * @enter_fd: the program for the instruction before each call (sysc_enter), loaded with
 *	expected attach type USDT_TRACE_UPROBE_MULTI.
 * @exit_fd: the program for the instruction after each futex call (sysc_exit), loaded the same
 *	way; -1 to attach no futex site (--no-futex: only exit_group's).
 * @sleeps: sysc_block watches the scheduler's switches: a futex call whose exit only the call
 *	reaches gets no enter probe (a wait's start is when it sleeps).
 * @fds: receives the links' fds, from @fds[*@nfds] on; the caller closes them.  NULL: attach
 *	nothing, print a line per file with its sites instead (--list; @exit_fd -1 or not only
 *	says whether futex sites count).
 * @nfds: in: fds already in @fds; out: with these.  NULL with @fds.
 * @max: room in @fds.
 * @out: receives what was attached; may be NULL.
 * Return: 0; -E2BIG past @max; -ESRCH when the target is gone; another -errno from the kernel.
 */
int sysc__attach(const struct target *t, int enter_fd, int exit_fd, bool sleeps, int *fds,
		 int *nfds, int max, struct sysc_attached *out);

/**
 * sysc__ensure_tracefs() - make sure tracefs, which libbpf needs to attach the syscall
 * tracepoints (--futex-tracepoints), is there: mount it when it is not.
 * Return: 0; -errno after a one-line error naming the fix.
 */
int sysc__ensure_tracefs(void);

#endif /* MT_SYSC_ATTACH_H */
