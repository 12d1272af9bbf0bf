/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Lock contention: libcmap's lock-wait and lock-hold probes, and the futex tracepoints that
 * time every wait and wake of the target (glibc's and GLib's locks).  Kept together because
 * futex_exit() marks a library wait in progress (lock_waits) so the wait is unwound once, not
 * twice.  Part of maptrace.bpf.c's one compilation unit.
 */
#ifndef MAPTRACE_FUTEX_BPF_H
#define MAPTRACE_FUTEX_BPF_H

#include "state.bpf.h"

SEC("usdt")
int BPF_USDT(lock_wait_begin, __u64 map, __u64 lock, __u64 mode, __u64 kind)
{
	struct lock_state s = {
		.map = map,
		.lock = lock,
		.ts = bpf_ktime_get_ns(),
		.mode = mode,
		.kind = kind,
	};
	__u32 t = tid();

	if (bpf_map_update_elem(&lock_waits, &t, &s, BPF_ANY))
		count_drop(MT_DROP_STATE);
	return 0;
}

SEC("usdt")
int BPF_USDT(lock_wait_end, __u64 map, __u64 lock)
{
	__u32 t = tid();
	struct lock_state *s = bpf_map_lookup_elem(&lock_waits, &t);
	struct mt_lock_wait *r;

	if (!s || s->lock != lock)
		return 0;
	r = rec_new(sizeof(*r), MT_REC_LOCK_WAIT, user_stack(ctx));
	if (r) {
		r->map = s->map;
		r->lock = s->lock;
		r->wait_ns = r->h.ts - s->ts;
		r->mode = s->mode;
		r->kind = s->kind;
		r->goid = 0;
		rec_send(r, sizeof(*r), ctx);
	}
	bpf_map_delete_elem(&lock_waits, &t);
	return 0;
}

/*
 * A library lock released while another thread waited for it: the library fires this only
 * then, so it runs only under contention.  The stack is the holder's (frame-pointer id).
 */
SEC("usdt")
int BPF_USDT(lock_hold, __u64 map, __u64 lock, __u64 mode, __u64 kind, __u64 hold_ns)
{
	struct mt_lock_hold *r = reserve(sizeof(*r), MT_REC_LOCK_HOLD, user_stack(ctx));

	if (!r)
		return 0;
	r->map = map;
	r->lock = lock;
	r->hold_ns = hold_ns;
	r->mode = mode;
	r->kind = kind;
	submit(r);
	return 0;
}

static __always_inline bool is_wait_op(__u32 op)
{
	switch (op & FUTEX_CMD_MASK) {
	case FUTEX_WAIT:
	case FUTEX_WAIT_BITSET:
	case FUTEX_LOCK_PI:
	case FUTEX_LOCK_PI2:
	case FUTEX_WAIT_REQUEUE_PI:
		return true;
	default:
		return false;
	}
}

static __always_inline bool is_wake_op(__u32 op)
{
	return (op & FUTEX_CMD_MASK) == FUTEX_WAKE || (op & FUTEX_CMD_MASK) == FUTEX_WAKE_BITSET;
}

/*
 * A FUTEX_WAKE that woke a waiter: the waker held the lock and releases it under contention
 * (glibc's and GLib's unlocks call it only when the word says a thread waits), so this is as
 * rare as contention.  Its stack is the holder's: the cheap frame-pointer id, and a stack copy
 * when --stack auto's budget allows.
 */
static __always_inline void futex_wake_done(void *ctx, const struct futex_state *s, long ret)
{
	struct mt_futex_wake *r;

	if (ret <= 0)
		return;
	r = rec_new(sizeof(*r), MT_REC_FUTEX_WAKE, user_stack(ctx));
	if (!r)
		return;
	r->uaddr = s->uaddr;
	r->woken = ret;
	r->op = s->op;
	rec_send(r, sizeof(*r), task_uregs());
}

/*
 * A futex call of thread @t returned @ret (@s: its arguments and when it started): a wait that
 * slept, or a wake that woke someone, becomes a record.  @ctx: the program's, for the stack.
 */
static __always_inline void futex_done(void *ctx, const struct futex_state *s, long ret, __u32 t)
{
	struct mt_futex_wait *r;
	__u64 end;

	if (is_wake_op(s->op)) {
		futex_wake_done(ctx, s, ret);
		return;
	}
	/* -EAGAIN: the word changed before the thread slept; nobody waited */
	if (ret == -EAGAIN)
		return;
	/* the wait ended before its stack is taken (a frame-pointer walk: up to a few us) */
	end = bpf_ktime_get_ns();
	r = rec_new(sizeof(*r), MT_REC_FUTEX_WAIT, user_stack(ctx));
	if (!r)
		return;
	r->uaddr = s->uaddr;
	r->wait_ns = end - s->ts;
	r->ret = ret;
	r->op = s->op;
	if (s->val < 256)
		r->h.flags |= MT_HDR_FUTEX_VAL | s->val << MT_HDR_FUTEX_VAL_SHIFT;
	struct lock_state *ls = bpf_map_lookup_elem(&lock_waits, &t);

	r->in_lib_wait = ls != NULL;
	if (ls)
		ls->waited = 1;
	/* a wait the library's probes time is unwound there, not twice */
	if (!r->in_lib_wait) {
		__u64 word = s->uaddr;
		bool first = !bpf_map_lookup_elem(&unwound_words, &word);
		__u8 one = 1;

		if (rec_send_ex(r, sizeof(*r), task_uregs(), first) && first)
			bpf_map_update_elem(&unwound_words, &word, &one, BPF_ANY);
	} else {
		rec_send(r, sizeof(*r), NULL);
	}
}

/*
 * --futex-tracepoints: the syscall tracepoints time every futex call of the target, wherever
 * its code makes it.  While they are attached every system call of every task on the host
 * takes the kernel's slow entry path (bench/README.md), so by default the sites in sysc.bpf.h
 * do this instead.
 */
SEC("tracepoint/syscalls/sys_enter_futex")
int futex_enter(struct sys_enter_ctx *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct futex_state s;
	__u64 key = (__u32)id;

	if (!trace_futex || id >> 32 != target_tgid)
		return 0;
	s.op = (__u32)ctx->args[1];
	if (!is_wait_op(s.op) && !is_wake_op(s.op))
		return 0;
	s.uaddr = ctx->args[0];
	s.val = (__u32)ctx->args[2];
	s.ts = bpf_ktime_get_ns();
	if (bpf_map_update_elem(&futex_waits, &key, &s, BPF_ANY))
		count_drop(MT_DROP_STATE);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_futex")
int futex_exit(struct sys_exit_ctx *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct futex_state *s;
	__u64 key = (__u32)id;

	if (!trace_futex || id >> 32 != target_tgid)
		return 0;
	s = bpf_map_lookup_elem(&futex_waits, &key);
	if (!s)
		return 0;
	futex_done(ctx, s, ctx->ret, (__u32)id);
	bpf_map_delete_elem(&futex_waits, &key);
	return 0;
}

#endif /* MAPTRACE_FUTEX_BPF_H */
