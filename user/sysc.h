/* SPDX-License-Identifier: MIT */
/*
 * Where a program's code makes the system calls maptrace watches (futex, exit_group): the
 * x86-64 `syscall` instructions of one ELF file whose call number is known, found by a byte
 * scan of its executable segments and checked by decoding the function around each (disasm.h).
 *
 * A site is probed on both sides of its `syscall`: the instruction before it (the call is
 * about to start; its number is known, or in %rax) and the one after it, or the first after
 * that the kernel emulates (the call returned: %rax holds its result, and %rdi, %rsi, %rdx
 * still hold its first three arguments, which `syscall` preserves).  Not on the `syscall`
 * itself: 6.18 single-steps it, as the instruction before, but a call a signal interrupts is
 * restarted there, and would start twice.  Plain
 * uprobes there fire only in the traced process and only when it makes the call, where the
 * syscall tracepoints send every system call of every task on the host through the kernel's
 * slow entry path while they are attached.
 *
 * A site is taken only when nothing jumps to the `syscall` itself (the instruction before it
 * always runs first) and its number is known: an immediate moved into %eax with no branch
 * landing between that move and the call, or, in a function named in @generic of
 * sysc__find(), whatever %rax holds (libc's syscall(), which GLib's and Rust's locks call).
 *
 * That instruction in syscall() is a move the kernel single-steps (~5 us a hit here), where a
 * call it emulates costs ~0.7 us.  So the calls of a generic wrapper are found too (a call or
 * tail jump to its PLT stub, or to the wrapper itself in the file that defines it, or through
 * its GOT slot): one whose number is an immediate in %edi there (GLib passes SYS_futex so) is a
 * site of its own, on the call, and the wrapper's exit sees it return.  The wrapper's own enter
 * site is needed only while some call of it has a number not known where it is made, or takes
 * its address (sysc_stats.callers_unknown): sysc_attach.h decides, over every mapped file.
 */
#ifndef MT_SYSC_H
#define MT_SYSC_H

#include <stdbool.h>
#include <linux/types.h>

struct elfsym_file;

/* sysc_site.nr of a site whose number is in %rax as it is about to be made */
#define SYSC_NR_RAX (-1)

struct sysc_site {
	__u64 enter_off; /* file offset of the instruction before the syscall: a uprobe's offset */
	/*
	 * file offset of the instruction after it, or of the first one after that the kernel
	 * emulates (no single-step) when those between keep %rax, %rdi, %rsi and %rdx; 0: none
	 */
	__u64 exit_off;
	__u64 vaddr;	 /* the syscall instruction's ELF virtual address */
	int nr;		 /* the call's number, or SYSC_NR_RAX */
	bool exit_clean; /* nothing but the call reaches exit_off (no jump lands there) */
	__u32 exit_skip; /* bytes from the syscall's end to exit_off's instruction */
	bool wake;	 /* a futex wake (op known): its exit alone tells all, no enter needed */
	/*
	 * A call (or tail jump) of a generic wrapper, not a syscall: vaddr and enter_off are the
	 * call's, its number was in %edi; exit_off 0 (the wrapper's own exit sees it return)
	 */
	bool caller;
	bool call; /* caller: a call, which pushes a return address (the wrapper's %rsp is 8 lower) */
};

/* What sysc__find() saw, for -v and --list. */
struct sysc_stats {
	int candidates; /* 0f 05 byte pairs in executable segments */
	int decoded;	/* of them, real syscall instructions of a decoded function */
	int unknown_nr; /* syscalls whose number could not be told (not in a generic wrapper) */
	int jumped_to;	/* syscalls a branch lands on: not probed */
	int callers;	     /* calls and tail jumps to a generic wrapper */
	int callers_unknown; /* of them, those whose number could not be told */
};

/**
 * sysc__find() - the sites in ELF file @ef (opened from @path) of the syscalls in @nrs.
 * @ef: the file, e.g. from elfsym__open().
 * @path: the same file, read with pread() (see disasm__new()).
 * @nrs: the syscall numbers wanted.
 * @nnrs: how many.
 * @generic: NULL-terminated names of functions that make whatever call %rax names ("syscall");
 *	their sites are kept with nr SYSC_NR_RAX.  NULL: none.
 * @out: receives a malloc'ed array of sites, in address order (NULL when none).
 * @n: receives their number.
 * @st: receives what the scan saw; may be NULL.
 *
 * A Go program's code has no .eh_frame to bound its functions: its runtime.futex and
 * runtime.exit are decoded by their .gopclntab symbols instead.
 * Return: 0 (also when there are no sites); -ENOTSUP when the file is not x86-64; -ENOMEM.
 */
int sysc__find(struct elfsym_file *ef, const char *path, const int *nrs, int nnrs,
	       const char *const *generic, struct sysc_site **out, int *n, struct sysc_stats *st);

#endif /* MT_SYSC_H */
