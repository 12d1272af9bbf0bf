/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef MAPTRACE_UNWIND_H
#define MAPTRACE_UNWIND_H

#include <stddef.h>
#include <linux/types.h>
#include "maptrace.h"

/*
 * User-space stack unwinding from a copy of the stack, as perf --call-graph dwarf does.
 *
 * Why: the kernel's frame-pointer walk loses every function compiled without frame pointers,
 * which includes glibc on Debian and most production binaries. A lock wait seen from
 * __lll_lock_wait then skips pthread_mutex_lock and the function that took the lock. The CFI
 * (.eh_frame, .debug_frame) that C++ exceptions and debuggers use describes every frame.
 *
 * How: at the event, BPF copies the thread's user registers (struct mt_user_regs) and the top
 * of its user stack, bytes [rsp, rsp + len). Later, in user space, elfutils' libdwfl unwinds that
 * copy with the CFI of the module each pc falls in, and falls back to the frame-pointer chain
 * (libdw's x86-64 backend) where a pc has no CFI. Memory reads are served only from the copy: the
 * live process may have moved on or exited by then.
 *
 * One Dwfl is cached per process: its executable mappings are taken from /proc/PID/maps (through
 * the mappings cache shared with the symbolizer) and every module file is opened through the
 * target's root (containers), then /proc/PID/map_files, while the process lives. Call
 * unwinder__prepare() at attach time so that events buffered before the process exits can still be
 * unwound. Separate debug files (for .debug_frame) are looked up by build-id, then .gnu_debuglink,
 * under the target's root and then ours, when first needed.
 *
 * x86-64 only. Not thread-safe: use one unwinder per thread or serialise calls.
 */

/*
 * struct mt_user_regs (include/maptrace.h) is exactly the x86-64 kernel's struct pt_regs, which is
 * also the first 21 fields of <sys/user.h>'s struct user_regs_struct: the BPF side fills it with
 * one copy from the task's saved user registers.  The unwinder uses rip, rsp, rbp, rbx, r12-r15
 * (what CFI restores across calls) and the other general registers where a frame's CFI names
 * them (signal frames, hand-written assembly).
 */
_Static_assert(sizeof(struct mt_user_regs) == 168, "struct mt_user_regs must match pt_regs");

/* Why an unwind ended. */
enum unwind_stop {
	UNWIND_STOP_END = 0, /* the outermost frame: CFI marks its return address undefined */
	UNWIND_STOP_MAX,     /* @max frames were stored and there were more */
	UNWIND_STOP_STACK,   /* a frame lies above the copied bytes: copy more stack */
	UNWIND_STOP_BROKEN,  /* no CFI and no usable frame pointer for a pc, or a bad read */
};

/* Details of the last unwinder__unwind() call. */
struct unwind_result {
	enum unwind_stop stop;
	/*
	 * Bytes of the copy the unwind read: highest byte read + 1 - rsp. With UNWIND_STOP_END this
	 * is what a copy needs for the whole stack; with UNWIND_STOP_STACK more was needed.
	 */
	__u64 stack_used;
	__u64 bad_addr; /* the address whose failed read ended the unwind, 0 if none */
};

struct unwinder;
struct proc_maps_cache;

/**
 * unwinder__new() - create an unwinder with no cached process.
 * @maps: where processes' mappings are read through, shared with the symbolizer and others so
 *	that one snapshot serves them all; it must outlive the unwinder.  NULL: the unwinder reads
 *	them itself.
 *
 * Return: a new unwinder, or NULL with errno set (ENOMEM, or EINVAL for a libelf version
 * mismatch).
 */
struct unwinder *unwinder__new(struct proc_maps_cache *maps);

/**
 * unwinder__free() - release an unwinder and every cached process.
 * @u: unwinder, may be NULL.
 */
void unwinder__free(struct unwinder *u);

/**
 * unwinder__prepare() - take a process's mappings and open its modules now.
 * @u: unwinder.
 * @pid: the process (thread group) id.
 *
 * Call it when attaching to a process and when it execs (after unwinder__forget()): once the
 * process is gone, /proc/PID/root and map_files are too, and its buffered events could not be
 * unwound. The mappings are the cache's snapshot however old, read now when it has none. Does
 * nothing when @pid is already cached. Libraries loaded later are picked up when an
 * unwind meets a pc outside every known module while the process still runs (at most once a
 * second per process).
 *
 * Return: 0; -ESRCH when the process is gone, -EACCES when its mappings may not be read,
 * -ENOENT when none of its modules could be opened, -EINVAL or -ENOMEM otherwise.
 */
int unwinder__prepare(struct unwinder *u, int pid);

/**
 * unwinder__unwind() - unwind a thread's stack from its registers and a copy of its stack.
 * @u: unwinder.
 * @pid: the process (thread group, not thread) id the thread belongs to.
 * @regs: the thread's user registers at the event.
 * @stack: a copy of the thread's user stack, bytes [regs->rsp, regs->rsp + @stack_len).
 * @stack_len: bytes in @stack; may be short of the stack's end, the unwind then stops there.
 * @ips: receives the frames' addresses, innermost first: regs->rip, then return addresses.
 *	For frames after the first, symbolize ip - 1 (the call, not the instruction after it).
 * @max: capacity of @ips.
 * @n: receives the number of addresses stored.
 *
 * Prepares @pid (see unwinder__prepare()) when not cached yet. An unwind that ends early is not
 * an error: the frames found so far are returned, and unwinder__last_result() says why it ended
 * (typically a copy too short for a deep stack).
 *
 * Return: 0 with *@n >= 1; -EINVAL on bad arguments, the errors of unwinder__prepare(), or -EIO
 * when not even the first frame could be set up.
 */
int unwinder__unwind(struct unwinder *u, int pid, const struct mt_user_regs *regs,
		     const void *stack, size_t stack_len, __u64 *ips, int max, int *n);

/**
 * unwinder__last_result() - why the last successful unwinder__unwind() ended.
 * @u: unwinder.
 * @res: filled with the stop reason and how much of the stack copy was used.
 */
void unwinder__last_result(const struct unwinder *u, struct unwind_result *res);

/**
 * unwinder__forget() - drop the cached state of a process.
 * @u: unwinder.
 * @pid: the process; nothing happens when it is not cached.
 *
 * Call it when the process exits or execs (then unwinder__prepare() it again): a reused pid, or
 * the new image, would otherwise be unwound with the old modules.  The process's snapshot leaves
 * the shared mappings cache too.
 */
void unwinder__forget(struct unwinder *u, int pid);

/**
 * unwind_stop__str() - a short name for a stop reason ("end", "max", "stack", "broken").
 * @stop: the reason.
 *
 * Return: a static string; "?" for an unknown value.
 */
const char *unwind_stop__str(enum unwind_stop stop);

#endif /* MAPTRACE_UNWIND_H */
