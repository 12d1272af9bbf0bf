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
 * A futex site whose exit only the call reaches has no enter probe at all: the scheduler's
 * switch (sysc_block) notes when a thread went to sleep in futex(2), and the exit reads the
 * rest.  Part of maptrace.bpf.c's one compilation unit, included after the parts whose bodies
 * it runs.
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
 * Where a thread of the target went to sleep in a futex call: its stack pointer and the
 * address after its syscall instruction, and when.  A site whose exit only the call reaches
 * has no enter probe (that one is single-stepped, ~5 us a hit): the scheduler says when its
 * wait began, and only a wait that sleeps has a start to know.  Keyed by the thread (one
 * syscall at a time); the thread's next futex exit at a site takes it or drops it.
 */
struct futex_block {
	__u64 ts;
	__u64 sp;
	__u64 ip;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, MAX_THREADS);
	__type(key, __u32);
	__type(value, struct futex_block);
} futex_blocks SEC(".maps");

/* The fields read of the kernel's task and saved user registers (CO-RE: its own layout). */
struct task_struct___sysc {
	int pid;
	int tgid;
} __attribute__((preserve_access_index));

struct pt_regs___sysc {
	unsigned long orig_ax; /* the syscall the task is in, or -1 */
	unsigned long ip;
	unsigned long sp;
} __attribute__((preserve_access_index));

/* a note's time: the thread was preempted in the call, it has not slept in it */
#define NO_NOTE (~0ULL)

/*
 * Note that thread @p (@task, as the helper takes it) is in a futex call: asleep since @ts, or
 * preempted (NO_NOTE), or back from a sleep that began before maptrace attached (0).  A note of
 * this call already there stands (woken and asleep again in it: a spurious wake, a requeue, a
 * restart), but for a first sleep after a preemption.
 */
static __always_inline void note_sleep(struct task_struct___sysc *p, void *task, __u64 ts)
{
	struct pt_regs___sysc *regs = (void *)bpf_task_pt_regs(task);
	struct futex_block b, *old;
	__u32 t;

	if (regs->orig_ax != SYSC_FUTEX)
		return;
	t = p->pid;
	b.sp = regs->sp;
	b.ip = regs->ip;
	old = bpf_map_lookup_elem(&futex_blocks, &t);
	if (old && old->sp == b.sp && old->ip == b.ip) {
		if (old->ts == NO_NOTE && ts && ts != NO_NOTE)
			old->ts = ts;
		return;
	}
	b.ts = ts;
	bpf_map_update_elem(&futex_blocks, &t, &b, BPF_ANY);
}

/*
 * Every context switch on the host runs this while it is attached: one of other processes'
 * tasks costs the two loads of their tgids.  A target's thread leaving the CPU in futex(2)
 * (its pt_regs' orig_ax) notes when it went to sleep, or that it was preempted; one coming back
 * to a futex call it has no note of slept since before maptrace attached.
 */
SEC("tp_btf/sched_switch")
int BPF_PROG(sysc_block, bool preempt, struct task_struct *prev, struct task_struct *next,
	     unsigned int prev_state)
{
	struct task_struct___sysc *p = (void *)prev, *n = (void *)next;

	/* BTF pointers: read directly (CO-RE offsets), no helper call */
	if (p->tgid == (int)target_tgid)
		note_sleep(p, prev, preempt || !prev_state ? NO_NOTE : bpf_ktime_get_ns());
	if (n->tgid == (int)target_tgid)
		note_sleep(n, next, 0);
	return 0;
}

/*
 * When the futex call returning at @ctx went to sleep (sysc_block): the thread's note, where it
 * is of this call (its stack pointer, and the syscall @skip bytes before this instruction), 0
 * when it slept since before maptrace attached; NO_NOTE: it did not sleep in this call.
 * The note is dropped either way.
 */
static __always_inline __u64 futex_slept_at(struct pt_regs *ctx, __u32 t, __u64 skip)
{
	struct futex_block *b = bpf_map_lookup_elem(&futex_blocks, &t);
	__u64 ts = NO_NOTE;

	if (!b)
		return NO_NOTE;
	if (b->sp == ctx->rsp && b->ip + skip == ctx->rip)
		ts = b->ts;
	bpf_map_delete_elem(&futex_blocks, &t);
	return ts;
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
	__u64 id = bpf_get_current_pid_tgid(), cookie = bpf_get_attach_cookie(ctx);
	__u64 key = site_key(ctx->rsp, id), skip = cookie >> MT_SYSC_EXIT_SKIP_SHIFT;
	struct futex_state *s;
	__u32 t = (__u32)id;

	if (id >> 32 != target_tgid)
		return 0;
	s = bpf_map_lookup_elem(&futex_waits, &key);
	if (!s) {
		/* a site without an enter probe: a wake, or a wait the scheduler saw sleep */
		struct futex_state w = {.uaddr = ctx->rdi, .op = (__u32)ctx->rsi,
					.val = (__u32)ctx->rdx};

		if (!(cookie & MT_SYSC_EXIT_CLEAN))
			return 0;
		if (is_wake_op(w.op)) {
			futex_done(ctx, &w, (long)ctx->rax, t);
		} else if ((cookie & MT_SYSC_EXIT_BLOCK) && is_wait_op(w.op)) {
			/* no note: it returned without sleeping (woken before it slept) */
			w.ts = futex_slept_at(ctx, t, skip);
			if (w.ts == NO_NOTE)
				w.ts = bpf_ktime_get_ns();
			if (w.ts)
				futex_done(ctx, &w, (long)ctx->rax, t);
		}
		return 0;
	}
	s->uaddr = ctx->rdi;
	s->op = (__u32)ctx->rsi;
	s->val = (__u32)ctx->rdx;
	/* a wait that slept: from then, not from the enter probe (single-stepped: ~5 us more) */
	if (is_wait_op(s->op)) {
		__u64 slept = futex_slept_at(ctx, t, skip);

		if (slept != NO_NOTE && slept > s->ts)
			s->ts = slept;
	}
	if (is_wait_op(s->op) || is_wake_op(s->op))
		futex_done(ctx, s, (long)ctx->rax, t);
	bpf_map_delete_elem(&futex_waits, &key);
	return 0;
}

#endif /* MAPTRACE_SYSC_BPF_H */
