/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What every part of maptrace's BPF side builds on: the loader's rodata settings, the loss
 * counters, the maps (ring buffer, per-map tables, per-thread state), and the helpers over them
 * that build and send records, take stacks (the frame-pointer id, a Go resize's cached walk, a
 * stack copy with its uretprobe slots put back) and remember maps (counts_of(), map_known()).
 * Part of maptrace.bpf.c's one compilation unit, included first: one skeleton, one set of maps.
 */
#ifndef MAPTRACE_STATE_BPF_H
#define MAPTRACE_STATE_BPF_H

/*
 * UAPI headers, not vmlinux.h: the one kernel struct chain read here (a task's pending
 * uretprobes, mt_fix_uretprobe_slots()) is declared below with only the fields read and
 * relocated by CO-RE, for which libbpf parses the kernel's BTF at start-up (~11 ms here).
 * The tracepoint contexts below are the syscall events' stable format (see
 * /sys/kernel/tracing/events/syscalls/sys_enter_futex/format).
 */
#include <stdbool.h>
#include <linux/types.h>
#include <linux/bpf.h>
#include <asm/ptrace.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/usdt.bpf.h>
#include "maptrace.h"

/* syscalls/sys_enter_*: the common header, the syscall number, then six 8-byte arguments */
struct sys_enter_ctx {
	__u64 common;
	__s64 nr;
	__u64 args[6];
};

/* syscalls/sys_exit_*: the common header, the syscall number, the return value */
struct sys_exit_ctx {
	__u64 common;
	__s64 nr;
	__s64 ret;
};

struct task_struct;

#define MAX_THREADS 16384
#define MAX_CPUS 1024
#define FUTEX_CMD_MASK 0x7f /* op without FUTEX_PRIVATE_FLAG (128) and FUTEX_CLOCK_REALTIME (256) */
#define FUTEX_WAIT 0
#define FUTEX_LOCK_PI 6
#define FUTEX_WAIT_BITSET 9
#define FUTEX_WAKE 1
#define FUTEX_WAKE_BITSET 10
#define FUTEX_WAIT_REQUEUE_PI 11
#define FUTEX_LOCK_PI2 13
#define EAGAIN 11
#define E2BIG 7

/* Set by the loader before load. */
const volatile __u32 target_tgid;
const volatile __u32 rb_size = 1;
const volatile __u8 capture_stacks = 1;
const volatile __u8 trace_futex = 1;
const volatile __u32 nr_cpus = 1;
const volatile __u8 stack_dwarf;	 /* send registers and stack bytes with each stack */
const volatile __u32 ustack_size = 8192; /* stack bytes to copy, at most MT_USTACK_MAX */
const volatile __u32 dwarf_per_sec;	 /* stack copies per second per CPU, 0: no limit */
/* --overhead-budget: read a freed core map's own counters at these offsets of its struct */
/* where struct mt_lib_counts' fields, inserts to evac_ns in order, lie in the library's struct */
const volatile __u32 lib_off[MT_LIB_FIELDS];
/*
 * A sync map's own counters (lib/ccmap_impl.h): its struct syncmap pointer in the ccmap, and in
 * that struct the total misses and the stripes, each with its hits.
 */
const volatile __u32 sync_off_sy, sync_off_misses, sync_off_stripes, sync_stripe_size,
	sync_off_hits;

/* Where a core map's struct (lib/cmap_impl.h) keeps what its first grow reports of its creation. */
const volatile __u32 cmap_off_serial, cmap_off_site, cmap_off_hint, cmap_off_parent,
	cmap_off_grows, cmap_off_same_size_grows;
/* cmap_totals.created when the tracer started: maps with a serial up to it predate the trace */
const volatile __u64 serial_before;
/* the library's struct cmap_totals in the target, 0 when not found */
const volatile __u64 totals_addr;
/* --detail: map_create is probed, so every map's creation has its own record */
const volatile __u8 create_probed;
/* the exit program is attached: maps known from a record go into exit_reads as it is made */
const volatile __u8 exit_reading;

/* Events that got the frame-pointer stack only because the copy budget was spent. */
__u64 dwarf_skipped;

/* Loss counters, read by the loader for every report. */
__u64 drops[MT_DROP_MAX];

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20);
} events SEC(".maps");

/*
 * The per-map tables (conc_maps, map_counts, rehashes) are sized by the loader for the
 * workload (--max-maps); a map refused an entry is counted in MT_DROP_MAPS (the table was
 * full) or MT_DROP_ALLOC (no entry could be allocated then): count_map_table_miss().
 */

/*
 * libcmap's live concurrent maps (a ccmap: mutex, rwlock, sharded, sync), by variant: a sync
 * map's counters are read as it is freed; the others are no core map, whose counters a freed
 * map's record would read from another layout.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, __u8);
} conc_maps SEC(".maps");

/*
 * The standalone core maps whose creation their first probed grow reported, by address: their
 * serial (lib/cmap_impl.h), so a later map at the same address is told apart.  Emptied by
 * map_destroy.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, __u64);
} known_maps SEC(".maps");

/*
 * The maps user space reads at each sync, and how (struct mt_exit_read): the exit program reads
 * them all once more as the target exits, which a short run's last sync never sees.  Kept by
 * user space as maps become known and are dropped; BPF adds a libcmap map known from its creation
 * (exit_read_lib()) and a profile map at its first resize (exit_read_table()) itself, before
 * user space has read the record.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, struct mt_exit_read);
} exit_reads SEC(".maps");

/*
 * How the maps of each profile are read (by profile index, lib; kind 0: not read), set by user
 * space before attaching: a profile map goes into exit_reads from its first record on, so one
 * that user space has not heard of yet when the target exits is read too.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MT_EXIT_LIBS);
	__type(key, __u32);
	__type(value, struct mt_exit_read);
} exit_specs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, 127 * sizeof(__u64));
	__uint(max_entries, 16384);
} stacks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	/* allocated as maps appear: preallocating 65,536 per-CPU entries cost ~40 ms at start-up */
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, struct mt_map_counts);
} map_counts SEC(".maps");

/* A grow in progress on a thread, from grow_begin to grow_end. */
struct grow_state {
	__u64 map;
	__u64 ts;
	__u64 count;
	__u32 old_B;
	__u32 new_B;
	__u32 same_size;
	__s32 stack_id;
};

/* A contended library lock acquisition in progress. */
struct lock_state {
	__u64 map;
	__u64 lock;
	__u64 ts;
	__u32 mode;
	__u32 kind;
	__u32 waited; /* a futex wait ended meanwhile (a profile's lock role) */
	__u32 fn;     /* a Go lock role's function (mt_probe_spec.fn): its lock_end must match */
};

struct futex_state {
	__u64 uaddr;
	__u64 ts;
	__u32 op;
	__u32 val; /* the value the word was expected to hold */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC); /* rare events: allocated as they come */
	__uint(max_entries, MAX_THREADS);
	__type(key, __u32);
	__type(value, struct grow_state);
} grows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_THREADS);
	__type(key, __u32);
	__type(value, __u64);
} evac_start SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_THREADS);
	__type(key, __u32);
	__type(value, struct lock_state);
} lock_waits SEC(".maps");

/* A thread's last untimed resize, until a join= grow_begin times it (libstdc++'s _M_rehash). */
struct untimed {
	__u64 map, old_size, new_size;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, MAX_THREADS);
	__type(key, __u32);
	__type(value, struct untimed);
} untimed_resizes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_THREADS);
	/* the thread; at a syscall site also its stack pointer (sysc.bpf.h: a signal handler's
	 * own futex call, on its own stack, does not end the call it interrupted) */
	__type(key, __u64);
	__type(value, struct futex_state);
} futex_waits SEC(".maps");

#define USTACK_CHUNK 512

/* Records with a stack are built here, so a variable-size stack copy can follow them. */
struct scratch {
	__u8 buf[MT_REC_MAX + sizeof(struct mt_ustack) + MT_USTACK_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch);
} scratch_buf SEC(".maps");

/*
 * Futex words whose wait has gone out with a stack copy: under --stack auto the first wait on
 * each word is unwound whatever the budget, so every lock gets one full stack (which is also
 * what tells a GRWLock's words) even while another one floods the second's budget.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, __u8);
} unwound_words SEC(".maps");

/* The current one-second window of stack copies on this CPU. */
struct dwarf_window {
	__u64 start;
	__u64 n;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2); /* 0: waits and the rest, 1: grows and resizes */
	__type(key, __u32);
	__type(value, struct dwarf_window);
} dwarf_windows SEC(".maps");

/*
 * --stack auto: copy the stack for the first dwarf_per_sec events of each second on a CPU and
 * leave the rest to the kernel's frame-pointer walk, so a lock contended thousands of times a
 * second cannot flood the ring buffer with 8 KiB copies.
 */
static __always_inline bool dwarf_allowed(__u32 budget)
{
	struct dwarf_window *w;
	__u64 now;

	if (!dwarf_per_sec)
		return true;
	w = bpf_map_lookup_elem(&dwarf_windows, &budget);
	if (!w)
		return false;
	now = bpf_ktime_get_ns();
	if (now - w->start >= 1000000000ULL) {
		w->start = now;
		w->n = 0;
	}
	if (w->n >= dwarf_per_sec) {
		__sync_fetch_and_add(&dwarf_skipped, 1);
		return false;
	}
	w->n++;
	return true;
}

static __always_inline void count_drop(int which)
{
	__sync_fetch_and_add(&drops[which], 1);
}

/*
 * A per-map table refused a new map: full (-E2BIG: more live maps than --max-maps), or no
 * entry could be allocated at that moment (the kernel refills its entry caches in the
 * background, and a burst of new maps can empty them): two causes with different fixes.
 */
static __always_inline void count_map_table_miss(long err)
{
	count_drop(err == -E2BIG ? MT_DROP_MAPS : MT_DROP_ALLOC);
}

/* Profile @lib's map @map is known from a record: read it as the target exits. */
static __always_inline void exit_read_table(__u64 map, __u32 lib)
{
	struct mt_exit_read *er = bpf_map_lookup_elem(&exit_specs, &lib);

	if (!er || er->kind != MT_EXIT_TABLE || !map)
		return;
	/* no room: only this map's reading at the exit is missed, not a figure of the model */
	bpf_map_update_elem(&exit_reads, &map, er, BPF_ANY);
}

/* libcmap's map @map is known from its creation record: read it as the target exits. */
static __always_inline void exit_read_lib(__u64 map, __u32 kind)
{
	struct mt_exit_read er = {.kind = kind};

	/* as exit_read_table(): a full table costs only this map's reading at the exit */
	bpf_map_update_elem(&exit_reads, &map, &er, BPF_ANY);
}

static __always_inline __s32 user_stack(void *ctx)
{
	long id;

	if (!capture_stacks)
		return -1;
	id = bpf_get_stackid(ctx, &stacks, BPF_F_USER_STACK);
	if (id < 0)
		count_drop(MT_DROP_STACK);
	return id;
}

/*
 * A Go resize's stack (tsgo: 15,000 a run) costs the kernel's frame-pointer walk ~3 us: ~30
 * frames at ~95 ns a user read on this machine, while one read of 8 KiB (the frames of most
 * stacks: 4.6 KiB on average in tsgo) costs ~0.7 us.  So the walk is done first over one copy
 * of the stack's top (frames beyond it read one by one), hashing every return address, and a
 * stack already seen by that hash (the whole chain: exact up to a 64-bit collision) reuses its
 * id; only a new one takes the kernel's walk.  Stack ids stay valid: nothing deletes them.
 */
#define GO_WALK_BYTES 8192

struct go_walk {
	__u8 b[GO_WALK_BYTES];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct go_walk);
} go_walk_buf SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, __s32);
} go_stack_ids SEC(".maps");

static __always_inline __u64 mix64(__u64 h, __u64 v)
{
	h ^= v;
	h *= 0x9e3779b97f4a7c15ULL;
	return h ^ (h >> 29);
}

/* The stack id of a Go resize at its function's entry site (a uprobe's registers). */
static __always_inline __s32 go_entry_stack(struct pt_regs *ctx)
{
	__u64 sp = PT_REGS_SP(ctx), fp = PT_REGS_FP(ctx), h, off, fr[2];
	struct go_walk *w;
	__u32 zero = 0;
	__s32 *cached, id;

	if (!capture_stacks)
		return -1;
	w = bpf_map_lookup_elem(&go_walk_buf, &zero);
	/* a copy that would run past the mapped stack: the kernel's walk, as before */
	if (!w || bpf_probe_read_user(w->b, GO_WALK_BYTES, (void *)sp))
		return user_stack(ctx);
	/* the site, the return address at %rsp (the caller, its frame not linked yet), the chain */
	h = mix64(mix64(0, PT_REGS_IP(ctx)), *(__u64 *)w->b);
	for (int i = 0; i < 127; i++) {
		if (!fp)
			break;
		off = fp - sp;
		if (off <= GO_WALK_BYTES - sizeof(fr) && !(off & 7)) {
			off &= GO_WALK_BYTES - 1;
			if (off > GO_WALK_BYTES - sizeof(fr))
				break;
			fr[0] = *(__u64 *)(w->b + off);
			fr[1] = *(__u64 *)(w->b + off + 8);
		} else if (bpf_probe_read_user(fr, sizeof(fr), (void *)fp)) {
			break;
		}
		h = mix64(h, fr[1]);
		fp = fr[0];
	}
	cached = bpf_map_lookup_elem(&go_stack_ids, &h);
	if (cached)
		return *cached;
	id = user_stack(ctx);
	if (id >= 0)
		bpf_map_update_elem(&go_stack_ids, &h, &id, BPF_ANY);
	return id;
}

/*
 * The kernel's record of a thread's pending uretprobes (kernel/events/uprobes.c), newest
 * first: each probed call still running had its return address, at @stack, replaced by the
 * trampoline at the start of the process's [uprobes] area; the kernel keeps the original.
 * Only the fields read; CO-RE finds them in the running kernel's layout.
 */
struct return_instance___mt {
	unsigned long stack;
	unsigned long orig_ret_vaddr;
	struct return_instance___mt *next;
} __attribute__((preserve_access_index));

struct uprobe_task___mt {
	struct return_instance___mt *return_instances;
} __attribute__((preserve_access_index));

struct xol_area___mt {
	unsigned long vaddr;
} __attribute__((preserve_access_index));

struct uprobes_state___mt {
	struct xol_area___mt *xol_area;
} __attribute__((preserve_access_index));

struct mm_struct___mt {
	struct uprobes_state___mt uprobes_state;
} __attribute__((preserve_access_index));

struct task_struct___mt {
	struct uprobe_task___mt *utask;
	struct mm_struct___mt *mm;
} __attribute__((preserve_access_index));

/* Pending uretprobes looked at: the kernel allows 64 per thread; the newest are the deepest. */
#define URETPROBE_SLOTS 8

/* The stack bytes of a record's copy, as a global function takes them. */
struct ustack_bytes {
	__u8 b[MT_USTACK_MAX];
};

/*
 * Put back the return addresses a uretprobe replaced in the stack copy @stack (@len bytes from
 * @sp).  Any uretprobe on a caller, ours or another tool's (bpftrace, another maptrace), leaves
 * the trampoline's address in its frame: the unwind would end there, at a "caller" in
 * [uprobes].  The kernel's own stack walk makes the same repair (perf_callchain_user).
 * A global function, verified once per program: inlined into each record type's send, its
 * loop took maptrace's start-up here from ~130 to ~540 ms.  Return: the slots repaired.
 */
__noinline int mt_fix_uretprobe_slots(struct ustack_bytes *stack, __u32 len, __u64 sp)
{
	struct task_struct___mt *task = (void *)bpf_get_current_task();
	struct return_instance___mt *ri = NULL;
	__u64 tramp, off;
	int fixed = 0;

	/* a kernel without uprobes, or with another layout: the unwind ends at the trampoline */
	if (!bpf_core_field_exists(task->utask) || !bpf_core_field_exists(task->mm->uprobes_state) ||
	    !bpf_core_field_exists(ri->stack) || !bpf_core_field_exists(ri->orig_ret_vaddr))
		return 0;
	ri = BPF_CORE_READ(task, utask, return_instances);
	if (!stack || !ri)
		return 0;
	tramp = BPF_CORE_READ(task, mm, uprobes_state.xol_area, vaddr);
	for (int i = 0; i < URETPROBE_SLOTS && ri; i++) {
		off = BPF_CORE_READ(ri, stack) - sp;
		/* a slot outside the copy, or one no longer holding the trampoline (longjmp) */
		if (off <= MT_USTACK_MAX - sizeof(__u64) && off + sizeof(__u64) <= len &&
		    *(__u64 *)&stack->b[off] == tramp) {
			*(__u64 *)&stack->b[off] = BPF_CORE_READ(ri, orig_ret_vaddr);
			fixed++;
		}
		ri = BPF_CORE_READ(ri, next);
	}
	return fixed;
}

static __always_inline void *reserve(__u32 size, __u16 type, __s32 stack_id)
{
	struct mt_hdr *h = bpf_ringbuf_reserve(&events, size, 0);
	__u64 id = bpf_get_current_pid_tgid();

	if (!h) {
		count_drop(MT_DROP_RINGBUF);
		return NULL;
	}
	h->type = type;
	h->size = size;
	h->cpu = bpf_get_smp_processor_id();
	h->pid = (__u32)id;
	h->tgid = id >> 32;
	h->ts = bpf_ktime_get_ns();
	h->stack_id = stack_id;
	h->flags = 0;
	return h;
}

/* Wake the reader only when the buffer is filling: a wakeup per record costs ~1 us. */
static __always_inline __u64 wakeup_flag(void)
{
	__u64 avail = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);

	return avail > rb_size / 4 ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
}

static __always_inline void submit(void *rec)
{
	bpf_ringbuf_submit(rec, wakeup_flag());
}

/* A record that may carry a stack copy: built in the per-CPU scratch buffer. */
static __always_inline void *rec_new(__u16 size, __u16 type, __s32 stack_id)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 zero = 0;
	struct mt_hdr *h = bpf_map_lookup_elem(&scratch_buf, &zero);

	if (!h)
		return NULL;
	__builtin_memset(h, 0, sizeof(*h));
	h->type = type;
	h->size = size;
	h->cpu = bpf_get_smp_processor_id();
	h->pid = (__u32)id;
	h->tgid = id >> 32;
	h->ts = bpf_ktime_get_ns();
	h->stack_id = stack_id;
	return h;
}

/*
 * Send a record from rec_new(); with --stack dwarf append the user registers (@uregs: the
 * kernel's saved user pt_regs) and as much of the user stack as can be read, in chunks, so a
 * copy that would run past the top of the stack still brings everything below it.  @first:
 * the copy is not counted against --stack auto's budget.  Return: a stack copy went with it.
 */
static __always_inline bool rec_send_ex(void *rec, __u32 base, struct pt_regs *uregs, bool first)
{
	struct mt_hdr *h = rec;
	struct mt_ustack *u;
	__u64 sp, len = base;
	__u32 copied = 0;

	/*
	 * Grows and resizes have a budget of their own, so a flood of waits cannot leave them
	 * without full stacks; and no stack copy goes into a buffer already half full (three
	 * quarters for grows and resizes: rare, and a flood of other records, waits and wakes
	 * under --detail's inserts, must not cut their stacks short).
	 */
	__u32 budget = h->type == MT_REC_GROW || h->type == MT_REC_RESIZE;
	__u64 full = budget ? rb_size / 4 * 3 : rb_size / 2;

	if (stack_dwarf && uregs && base <= MT_REC_MAX &&
	    bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) < full &&
	    (first || dwarf_allowed(budget))) {
		u = rec + base;
		if (!bpf_probe_read_kernel(&u->regs, sizeof(u->regs), uregs)) {
			sp = u->regs.rsp;
			for (int i = 0; i < MT_USTACK_MAX / USTACK_CHUNK; i++) {
				if (copied + USTACK_CHUNK > ustack_size)
					break;
				if (bpf_probe_read_user((void *)(u + 1) + copied, USTACK_CHUNK,
							(void *)(sp + copied)))
					break;
				copied += USTACK_CHUNK;
			}
			mt_fix_uretprobe_slots((struct ustack_bytes *)(u + 1), copied, sp);
			u->base_size = base;
			u->stack_len = copied;
			len = base + sizeof(*u) + copied;
			h->size = len;
			h->flags |= MT_HDR_USTACK;
		}
	}
	if (len > sizeof(struct scratch))
		return false;
	if (bpf_ringbuf_output(&events, rec, len, wakeup_flag())) {
		count_drop(MT_DROP_RINGBUF);
		return false;
	}
	return h->flags & MT_HDR_USTACK;
}

static __always_inline void rec_send(void *rec, __u32 base, struct pt_regs *uregs)
{
	rec_send_ex(rec, base, uregs, false);
}

/* The user registers of the current task, saved at kernel entry. */
static __always_inline struct pt_regs *task_uregs(void)
{
	return (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
}

static __always_inline struct mt_map_counts *counts_of(__u64 map)
{
	struct mt_map_counts *c = bpf_map_lookup_elem(&map_counts, &map);
	static const struct mt_map_counts zero;

	if (c)
		return c;
	long err = bpf_map_update_elem(&map_counts, &map, &zero, BPF_NOEXIST);

	c = bpf_map_lookup_elem(&map_counts, &map);
	if (!c)
		count_map_table_miss(err);
	return c;
}

static __always_inline __u32 tid(void)
{
	return (__u32)bpf_get_current_pid_tgid();
}

/* A core map's serial, 0 when its struct cannot be read. */
static __always_inline __u64 map_serial(__u64 map)
{
	__u64 serial = 0;

	bpf_probe_read_user(&serial, sizeof(serial), (void *)(map + cmap_off_serial));
	return serial;
}

/* Remember that the creation of the core map at @map (serial @serial) was reported. */
static __always_inline long map_known(__u64 map, __u64 serial)
{
	long err = bpf_map_update_elem(&known_maps, &map, &serial, BPF_ANY);

	if (err)
		count_map_table_miss(err);
	return err;
}

#endif /* MAPTRACE_STATE_BPF_H */
