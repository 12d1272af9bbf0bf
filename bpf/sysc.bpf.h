/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The default way to see the target's futex and exit_group calls: plain uprobes on both sides
 * of its own syscall instructions that make them (user/sysc.h finds them).  They fire only in
 * the target and only as it makes these calls, where the syscall tracepoints (futex.bpf.h,
 * exit.bpf.h; --futex-tracepoints) put every system call of every task on the host on the
 * kernel's slow entry path while attached.  Each site's cookie is its call's number, or
 * MT_SYSC_NR_RAX where %rax holds it (libc's syscall(), when a call of it could not be told),
 * or, on a call of syscall() whose number is known where it is made (GLib's, Rust's locks), the
 * number with MT_SYSC_CALL_SITE: an emulated call instead of a single-stepped move in libc.
 * Part of maptrace.bpf.c's one compilation unit, included after the parts whose bodies it runs.
 */
#ifndef MAPTRACE_SYSC_BPF_H
#define MAPTRACE_SYSC_BPF_H

#include "state.bpf.h"
#include "futex.bpf.h"
#include "exit.bpf.h"

#define SYSC_FUTEX	202
#define SYSC_EXIT_GROUP 231

/* futex_waits' key at a site: the thread and its stack pointer, which syscall does not move */
static __always_inline __u64 site_key(__u64 rsp, __u64 id)
{
	return (__u64)(__u32)(rsp >> 3) << 32 | (__u32)id;
}

/*
 * The instruction before a syscall: the call is about to be made.  A futex call's start is
 * noted for its thread (its arguments are read as it returns); an exit_group reads the maps.
 */
SEC("uprobe")
int sysc_enter(struct pt_regs *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u64 nr = bpf_get_attach_cookie(ctx), rsp = ctx->rsp;
	struct futex_state s = {};
	__u64 key;

	if (id >> 32 != target_tgid)
		return 0;
	if (nr == MT_SYSC_NR_RAX) {
		nr = ctx->rax;
	} else if (nr & MT_SYSC_CALL_SITE) {
		/* a call of syscall(): the wrapper's syscall runs below the return address */
		nr &= ~MT_SYSC_CALL_SITE;
		rsp -= 8;
	}
	key = site_key(rsp, id);
	if (nr == SYSC_EXIT_GROUP) {
		exit_read_all();
		return 0;
	}
	if (nr != SYSC_FUTEX || !trace_futex)
		return 0;
	s.ts = bpf_ktime_get_ns();
	if (bpf_map_update_elem(&futex_waits, &key, &s, BPF_ANY))
		count_drop(MT_DROP_STATE);
	return 0;
}

/*
 * The instruction after a futex syscall (or the first after it the kernel emulates, those
 * between keeping the registers): %rax holds its result, and %rdi, %rsi and %rdx the word, the
 * operation and the value it was called with (syscall keeps them).  Reached another way (a jump
 * there), the thread has no call started and nothing happens.  A wake known as one where it is
 * made has no enter probe (user/sysc.h): its exit alone makes the record.  A call a signal
 * interrupted and the kernel restarted is one call here, from its start to its last return.
 */
SEC("uprobe")
int sysc_exit(struct pt_regs *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct futex_state *s;
	__u64 key = site_key(ctx->rsp, id);

	if (id >> 32 != target_tgid)
		return 0;
	s = bpf_map_lookup_elem(&futex_waits, &key);
	if (!s) {
		/* a wake whose site has no enter probe: the exit tells all */
		struct futex_state w = {.uaddr = ctx->rdi, .op = (__u32)ctx->rsi};

		if ((bpf_get_attach_cookie(ctx) & MT_SYSC_EXIT_CLEAN) && is_wake_op(w.op))
			futex_done(ctx, &w, (long)ctx->rax, (__u32)id);
		return 0;
	}
	s->uaddr = ctx->rdi;
	s->op = (__u32)ctx->rsi;
	s->val = (__u32)ctx->rdx;
	if (is_wait_op(s->op) || is_wake_op(s->op))
		futex_done(ctx, s, (long)ctx->rax, (__u32)id);
	bpf_map_delete_elem(&futex_waits, &key);
	return 0;
}

#endif /* MAPTRACE_SYSC_BPF_H */
