// SPDX-License-Identifier: GPL-2.0
/*
 * maptrace's BPF side.
 *
 * Hot events (every insert, delete, sync-map read) are counted per map in a per-CPU hash and
 * never leave the kernel one by one.  Rare events (create, grow, evacuation step, promotion,
 * contended wait) go through one ring buffer as typed, size-prefixed records (include/maptrace.h)
 * with a user stack id.  Records are submitted without waking the reader, which polls; the reader
 * is woken only when the buffer fills past a quarter, so a burst cannot overrun it silently.
 * Every lost record is counted in drops[].
 */
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
	__type(key, __u32);
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

static __always_inline int map_created(struct pt_regs *ctx, __u64 map, __u64 hint, __u64 B,
				       __u64 variant, __u64 parent)
{
	struct mt_map_create *r = rec_new(sizeof(*r), MT_REC_MAP_CREATE, user_stack(ctx));

	/*
	 * counts left by an earlier map at this address (its destroy was not seen); looked up
	 * first, as a delete takes the bucket's lock even when there is nothing to delete
	 */
	if (bpf_map_lookup_elem(&map_counts, &map))
		bpf_map_delete_elem(&map_counts, &map);
	if (variant != MT_CMAP_PLAIN) {
		__u8 v = (__u8)variant;

		/* not kept: a sync map's hits and misses are read only while it lives */
		long err = bpf_map_update_elem(&conc_maps, &map, &v, BPF_ANY);

		if (err)
			count_map_table_miss(err);
	}
	/* a sync map's hits and misses, a core map's counters; the others have none of their own */
	if (exit_reading && (variant == MT_CMAP_PLAIN || variant == MT_CMAP_SYNC))
		exit_read_lib(map, variant == MT_CMAP_SYNC ? MT_EXIT_SYNC : MT_EXIT_CORE);
	if (!r)
		return 0;
	r->map = map;
	r->hint = hint;
	r->parent = parent;
	r->B = B;
	r->variant = variant;
	r->site = 0;
	r->grows_before = r->same_size_before = 0;
	/*
	 * A creation site from the frame-pointer walk alone under --stack auto: a program that
	 * makes and frees many small maps pays no stack copy for each (the grows of a map that
	 * matters get full stacks).  --stack dwarf still copies.
	 */
	rec_send(r, sizeof(*r), dwarf_per_sec ? NULL : ctx);
	return 0;
}

/* Every map's creation: attached only with --detail. */
SEC("usdt")
int BPF_USDT(map_create, __u64 map, __u64 hint, __u64 B, __u64 variant, __u64 parent)
{
	return map_created(ctx, map, hint, B, variant, parent);
}

/* A concurrent map's or its inner core maps' creation: by default. */
SEC("usdt")
int BPF_USDT(ccmap_create, __u64 map, __u64 hint, __u64 B, __u64 variant, __u64 parent)
{
	return map_created(ctx, map, hint, B, variant, parent);
}

/*
 * A map created with 2^CMAP_QUIET_B buckets or more (a size hint), which no other creation probe
 * announced: by default.  It may never grow, so this is all a grow-following tracer hears of it
 * until its free.  Remembered by serial, as a map first seen growing is, so its first grow does
 * not report it again; user space reads its own counters from then on.
 */
SEC("usdt")
int BPF_USDT(map_create_big, __u64 map, __u64 hint, __u64 B, __u64 variant, __u64 parent)
{
	__u64 serial = map_serial(map);

	if (!parent && serial && map_known(map, serial))
		return 0; /* its first grow would report it again: one map counted twice */
	return map_created(ctx, map, hint, B, variant, parent);
}

/*
 * A core map grows whose creation was not reported (map_create is probed only with --detail):
 * report it now from its struct, with its creation site as the only frame and the grows it
 * made unprobed while small, so its grows have a map to belong to and add up.  A map at a
 * known address with another serial is a new map there: the old one was freed unseen.  A map
 * made before the trace started stays one first seen growing, as it always was.
 */
static __always_inline void map_first_seen(__u64 map, __u64 B)
{
	__u64 serial, *known, grows = 0, same = 0, parent = 1;
	struct mt_map_create *r;

	/*
	 * With --detail every map's creation has its record; a concurrent map's inner maps have
	 * theirs from ccmap_create (or predate the trace): only a standalone map is reported here.
	 */
	if (create_probed ||
	    bpf_probe_read_user(&parent, sizeof(parent), (void *)(map + cmap_off_parent)) || parent)
		return;
	serial = map_serial(map);
	known = bpf_map_lookup_elem(&known_maps, &map);
	/*
	 * Not reported when it cannot be remembered (the loss is counted): its next grow would
	 * report it again, and one map would count twice.
	 */
	if (!serial || (known && *known == serial) || map_known(map, serial))
		return;
	if (serial <= serial_before)
		return;
	r = reserve(sizeof(*r), MT_REC_MAP_CREATE, -1);
	if (!r)
		return;
	r->map = map;
	r->variant = MT_CMAP_PLAIN;
	r->parent = 0;
	if (bpf_probe_read_user(&r->hint, 8, (void *)(map + cmap_off_hint)) ||
	    bpf_probe_read_user(&r->site, 8, (void *)(map + cmap_off_site)) ||
	    bpf_probe_read_user(&grows, 8, (void *)(map + cmap_off_grows)) ||
	    bpf_probe_read_user(&same, 8, (void *)(map + cmap_off_same_size_grows)) || grows > B) {
		bpf_ringbuf_discard(r, 0);
		return;
	}
	/* every grow but a same-size one doubles the map: it was made this much smaller */
	r->B = B - grows;
	r->grows_before = grows;
	r->same_size_before = same;
	submit(r);
}

/* The library's exact counters of a map about to be freed: its last word on them. */
static __always_inline void send_lib_counts(__u64 map)
{
	struct mt_lib_counts *r = reserve(sizeof(*r), MT_REC_LIB_COUNTS, -1);
	__u64 *field;

	if (!r)
		return;
	r->map = map;
	/* a sync map's and a profile map's fields: not ring-buffer leftovers */
	r->hits = r->misses = r->evac_pos = r->evac_of = 0;
	field = &r->inserts;
#pragma unroll
	for (int i = 0; i < MT_LIB_FIELDS; i++) {
		if (bpf_probe_read_user(&field[i], 8, (void *)(map + lib_off[i]))) {
			bpf_ringbuf_discard(r, 0);
			return;
		}
	}
	submit(r);
}

/* A map is freed: its hot counters leave the kernel in a record, and its slot is cleared. */
static __always_inline void map_freed(__u64 map)
{
	/* by default a map has no hot counters (no per-operation probe): no per-CPU sums then */
	bool counted = bpf_map_lookup_elem(&map_counts, &map) != NULL;
	struct mt_map_destroy *r;
	struct mt_map_counts *c;

	r = reserve(sizeof(*r), MT_REC_MAP_DESTROY, -1);
	if (r) {
		r->map = map;
		__builtin_memset(&r->counts, 0, sizeof(r->counts));
		for (__u32 cpu = 0; counted && cpu < MAX_CPUS && cpu < nr_cpus; cpu++) {
			c = bpf_map_lookup_percpu_elem(&map_counts, &map, cpu);
			if (!c)
				break;
			r->counts.inserts += c->inserts;
			r->counts.deletes += c->deletes;
			r->counts.sync_hits += c->sync_hits;
			r->counts.sync_misses += c->sync_misses;
			r->counts.lookups += c->lookups;
			r->counts.lib = c->lib;
			r->counts.evac_steps += c->evac_steps;
			r->counts.evac_moved += c->evac_moved;
			r->counts.evac_ns += c->evac_ns;
			if (c->evac_max_ns > r->counts.evac_max_ns)
				r->counts.evac_max_ns = c->evac_max_ns;
		}
		submit(r);
	}
	/* the address may be reused by the next map: its counts must start from zero */
	if (counted)
		bpf_map_delete_elem(&map_counts, &map);
}

/* A sync map's hits and misses as it is freed: summed over its stripes, as the library does. */
static __always_inline void send_sync_counts(__u64 map)
{
	struct mt_lib_counts *r = reserve(sizeof(*r), MT_REC_LIB_COUNTS, -1);
	__u64 sy = 0, hits;

	if (!r)
		return;
	__builtin_memset(&r->map, 0, sizeof(*r) - sizeof(r->h));
	r->map = map;
	if (bpf_probe_read_user(&sy, 8, (void *)(map + sync_off_sy)) ||
	    bpf_probe_read_user(&r->misses, 8, (void *)(sy + sync_off_misses))) {
		bpf_ringbuf_discard(r, 0);
		return;
	}
#pragma unroll
	for (int i = 0; i < MT_SYNC_STRIPES; i++) {
		hits = 0;
		bpf_probe_read_user(&hits, 8,
				    (void *)(sy + sync_off_stripes + i * sync_stripe_size +
					     sync_off_hits));
		r->hits += hits;
	}
	submit(r);
}

SEC("usdt")
int BPF_USDT(map_destroy, __u64 map)
{
	__u8 *variant = bpf_map_lookup_elem(&conc_maps, &map);
	bool was_known = !bpf_map_delete_elem(&known_maps, &map);

	/*
	 * exit_read_lib() added it: a concurrent map, any map under --detail, or one born big (a
	 * standalone core map is in known_maps too then; user space drops the others, and an inner
	 * map, on its record, which the exit may come before)
	 */
	if (exit_reading && (variant || create_probed || was_known))
		bpf_map_delete_elem(&exit_reads, &map);
	if (variant) {
		/* a mutex, rwlock or sharded map has no counters of its own: its core maps do */
		if (*variant == MT_CMAP_SYNC)
			send_sync_counts(map);
		bpf_map_delete_elem(&conc_maps, &map);
	} else {
		send_lib_counts(map);
	}
	map_freed(map);
	return 0;
}

/*
 * The map argument of a per-operation probe, which fires millions of times a second.  In the
 * library it is always in a register, so read the register straight from the context rather
 * than through bpf_usdt_arg(), a function call and a bpf_probe_read_kernel() per hit; any
 * other form takes the general path.
 */
static __always_inline __u64 hot_map_arg(struct pt_regs *ctx)
{
	__u32 id = (__u32)bpf_get_attach_cookie(ctx);
	struct __bpf_usdt_spec *spec = bpf_map_lookup_elem(&__bpf_usdt_specs, &id);
	struct __bpf_usdt_arg_spec *a;
	long v = 0;

	if (!spec)
		return 0;
	a = &spec->args[0];
	if (a->arg_type != BPF_USDT_ARG_REG || a->arg_bitshift) {
		bpf_usdt_arg(ctx, 0, &v);
		return v;
	}
	switch (a->reg_off) {
	case __builtin_offsetof(struct pt_regs, rdi):
		return ctx->rdi;
	case __builtin_offsetof(struct pt_regs, rsi):
		return ctx->rsi;
	case __builtin_offsetof(struct pt_regs, rbx):
		return ctx->rbx;
	case __builtin_offsetof(struct pt_regs, rbp):
		return ctx->rbp;
	case __builtin_offsetof(struct pt_regs, r12):
		return ctx->r12;
	case __builtin_offsetof(struct pt_regs, r13):
		return ctx->r13;
	case __builtin_offsetof(struct pt_regs, r14):
		return ctx->r14;
	case __builtin_offsetof(struct pt_regs, r15):
		return ctx->r15;
	case __builtin_offsetof(struct pt_regs, rax):
		return ctx->rax;
	case __builtin_offsetof(struct pt_regs, rdx):
		return ctx->rdx;
	default:
		bpf_usdt_arg(ctx, 0, &v);
		return v;
	}
}

/* A per-operation probe: one more in its field of the map's per-CPU counters. */
#define HOT_COUNTER(probe, field)                                                                 \
	SEC("usdt")                                                                              \
	int probe(struct pt_regs *ctx)                                                           \
	{                                                                                        \
		struct mt_map_counts *c = counts_of(hot_map_arg(ctx));                           \
                                                                                                 \
		if (c)                                                                           \
			c->field++;                                                              \
		return 0;                                                                        \
	}

HOT_COUNTER(insert, inserts)
HOT_COUNTER(delete, deletes)
HOT_COUNTER(sync_hit, sync_hits)
HOT_COUNTER(sync_miss, sync_misses)

SEC("usdt")
int BPF_USDT(grow_begin, __u64 map, __u64 old_B, __u64 new_B, __u64 count, __u64 same_size)
{
	struct grow_state g;
	__u32 t = tid();

	/* first, so the grow's time (ts below) does not include the report */
	map_first_seen(map, old_B);
	g = (struct grow_state){
		.map = map,
		.ts = bpf_ktime_get_ns(),
		.count = count,
		.old_B = old_B,
		.new_B = new_B,
		.same_size = same_size,
		.stack_id = user_stack(ctx),
	};
	if (bpf_map_update_elem(&grows, &t, &g, BPF_ANY))
		count_drop(MT_DROP_STATE);
	return 0;
}

SEC("usdt")
int BPF_USDT(grow_end, __u64 map)
{
	__u32 t = tid();
	struct grow_state *g = bpf_map_lookup_elem(&grows, &t);
	struct mt_grow *r;

	if (!g || g->map != map)
		return 0;
	r = rec_new(sizeof(*r), MT_REC_GROW, g->stack_id);
	if (r) {
		r->map = map;
		r->count = g->count;
		r->dur_ns = r->h.ts - g->ts;
		r->old_B = g->old_B;
		r->new_B = g->new_B;
		r->same_size = g->same_size;
		r->_pad = 0;
		/* still inside the insert that grew the map: the same call chain as grow_begin */
		rec_send(r, sizeof(*r), ctx);
	}
	bpf_map_delete_elem(&grows, &t);
	return 0;
}

SEC("usdt")
int BPF_USDT(evacuate_begin, __u64 map)
{
	__u32 t = tid();
	__u64 now = bpf_ktime_get_ns();

	if (bpf_map_update_elem(&evac_start, &t, &now, BPF_ANY))
		count_drop(MT_DROP_STATE);
	return 0;
}

/*
 * An evacuation step into the map's hot counters, not the ring buffer: when the buffer is
 * filling (a growing map under several writers makes hundreds of thousands a second), and
 * when a record cannot be reserved.  Counted exactly, without a record of its own.
 */
static __always_inline void evacuate_summed(__u64 map, __u64 moved, __u64 dur)
{
	struct mt_map_counts *c = counts_of(map);

	/* lost once, and counted once: counts_of() named the cause */
	if (!c)
		return;
	c->evac_steps++;
	c->evac_moved += moved;
	c->evac_ns += dur;
	if (dur > c->evac_max_ns)
		c->evac_max_ns = dur;
}

SEC("usdt")
int BPF_USDT(evacuate, __u64 map, __u64 oldbucket, __u64 moved)
{
	__u32 t = tid();
	__u64 *start = bpf_map_lookup_elem(&evac_start, &t);
	__u64 now = bpf_ktime_get_ns(), dur = start ? now - *start : 0;
	struct mt_evacuate *r = NULL;

	if (bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) < rb_size / 4 * 3)
		r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);
	if (r) {
		r->h = (struct mt_hdr){ .type = MT_REC_EVACUATE,
					.size = sizeof(*r),
					.cpu = bpf_get_smp_processor_id(),
					.pid = t,
					.tgid = bpf_get_current_pid_tgid() >> 32,
					.ts = now,
					.stack_id = -1 };
		r->map = map;
		r->oldbucket = oldbucket;
		r->moved = moved;
		r->dur_ns = dur;
		submit(r);
	} else {
		evacuate_summed(map, moved, dur);
	}
	if (start)
		bpf_map_delete_elem(&evac_start, &t);
	return 0;
}

SEC("usdt")
int BPF_USDT(grow_done, __u64 map, __u64 B, __u64 count)
{
	struct mt_grow_done *r = reserve(sizeof(*r), MT_REC_GROW_DONE, -1);

	if (!r)
		return 0;
	r->map = map;
	r->B = B;
	r->count = count;
	r->_pad = 0;
	submit(r);
	return 0;
}

SEC("usdt")
int BPF_USDT(sync_promote, __u64 map, __u64 dirty_len)
{
	struct mt_promote *r = rec_new(sizeof(*r), MT_REC_PROMOTE, user_stack(ctx));

	if (!r)
		return 0;
	r->map = map;
	r->dirty_len = dirty_len;
	rec_send(r, sizeof(*r), ctx);
	return 0;
}

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
static __always_inline void futex_wake_exit(struct sys_exit_ctx *ctx, const struct futex_state *s)
{
	struct mt_futex_wake *r;

	if (ctx->ret <= 0)
		return;
	r = rec_new(sizeof(*r), MT_REC_FUTEX_WAKE, user_stack(ctx));
	if (!r)
		return;
	r->uaddr = s->uaddr;
	r->woken = ctx->ret;
	r->op = s->op;
	rec_send(r, sizeof(*r), task_uregs());
}

SEC("tracepoint/syscalls/sys_enter_futex")
int futex_enter(struct sys_enter_ctx *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct futex_state s;
	__u32 t = (__u32)id;

	if (!trace_futex || id >> 32 != target_tgid)
		return 0;
	s.op = (__u32)ctx->args[1];
	if (!is_wait_op(s.op) && !is_wake_op(s.op))
		return 0;
	s.uaddr = ctx->args[0];
	s.val = (__u32)ctx->args[2];
	s.ts = bpf_ktime_get_ns();
	if (bpf_map_update_elem(&futex_waits, &t, &s, BPF_ANY))
		count_drop(MT_DROP_STATE);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_futex")
int futex_exit(struct sys_exit_ctx *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct mt_futex_wait *r;
	struct futex_state *s;
	__u32 t = (__u32)id;

	if (!trace_futex || id >> 32 != target_tgid)
		return 0;
	s = bpf_map_lookup_elem(&futex_waits, &t);
	if (!s)
		return 0;
	if (is_wake_op(s->op)) {
		futex_wake_exit(ctx, s);
		bpf_map_delete_elem(&futex_waits, &t);
		return 0;
	}
	/* -EAGAIN: the word changed before the thread slept; nobody waited */
	if (ctx->ret != -EAGAIN) {
		r = rec_new(sizeof(*r), MT_REC_FUTEX_WAIT, user_stack(ctx));
		if (r) {
			r->uaddr = s->uaddr;
			r->wait_ns = r->h.ts - s->ts;
			r->ret = ctx->ret;
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
	}
	bpf_map_delete_elem(&futex_waits, &t);
	return 0;
}

/*
 * Probe profiles: one program serves every uprobe on a map library's own functions.  Each site's
 * cookie indexes probe_specs (set by the loader), which says what the call is to the map.  A
 * site that may need its return (a resize's duration and new size) is attached as a uprobe
 * session: at entry it decides whether it needs to see the return too, and returning 1 spares
 * the hits that do not the cost of the return trampoline.  The other sites, every site in Go
 * code among them, attach to profile_probe_plain, the same body with no return.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MT_MAX_SPECS);
	__type(key, __u32);
	__type(value, struct mt_probe_spec);
} probe_specs SEC(".maps");

/* A profile call in progress on a thread, from entry to return (or grow begin to end). */
struct pcall {
	__u64 map;
	__u64 a; /* size, or old size, or progress at entry */
	__u64 b; /* new size known at entry, or total */
	__u64 ts;
	__u32 spec;
	__u32 _pad;
	__u64 type; /* the spec's type= at entry (a Go map's type), 0 when none */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_THREADS);
	__type(key, __u32);
	__type(value, struct pcall);
} pcalls SEC(".maps");

/* An incremental rehash of one map, from its first step until its progress field resets. */
struct rehash_state {
	__u64 first_ts;
	__u64 steps;
	__u64 moved;
	__u64 step_ns;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC); /* rare events: allocated as they come */
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, struct rehash_state);
} rehashes SEC(".maps");

/*
 * Is this run of a uprobe session the return?  At entry the registers' ip is the probed
 * address, which bpf_get_func_ip() also gives; at return it is the caller's return address.
 * (The kfunc bpf_session_is_return() says the same, but any kfunc makes libbpf load and parse
 * the kernel's BTF at start-up, 15-20 ms here.)
 */
static __always_inline bool session_is_return(struct pt_regs *ctx)
{
	return PT_REGS_IP(ctx) != bpf_get_func_ip(ctx);
}

/*
 * Argument @i of the probed call.  Loaded field by field: a switch on @i compiles into a
 * variable offset into the context, which the verifier refuses.
 */
static __always_inline __u64 reg_arg(struct pt_regs *ctx, __u8 i)
{
	__u64 regs[6] = { ctx->rdi, ctx->rsi, ctx->rdx, ctx->rcx, ctx->r8, ctx->r9 };

	return i < 6 ? regs[i] : 0;
}

/* Argument @i of a Go function under its register ABI (amd64, Go 1.17+), at entry. */
static __always_inline __u64 go_arg(struct pt_regs *ctx, __u8 i)
{
	__u64 regs[9] = { ctx->rax, ctx->rbx, ctx->rcx, ctx->rdi, ctx->rsi,
			  ctx->r8, ctx->r9, ctx->r10, ctx->r11 };

	return i < 9 ? regs[i] : 0;
}

/*
 * Whose call a profile probe's state belongs to: the thread, or for Go code the goroutine (its
 * g in R14), which may block and resume on another thread between a grow's begin and end.  A
 * g's key has the top bit set, which no thread id has (pid_max <= 2^22).
 */
static __always_inline __u32 call_key(struct pt_regs *ctx, const struct mt_probe_spec *sp)
{
	if (sp->flags & MT_SPEC_GO)
		return (__u32)(ctx->r14 >> 3) | 0x80000000U;
	return tid();
}

/* Read @src; @map is the map pointer for fields.  Arguments only mean something at entry. */
/* A copy of the map struct's fields, taken once at entry (struct mt_probe_spec's snap). */
struct snap {
	__u8 b[MT_SNAP_MAX + 8]; /* 8 spare zero bytes: any field is read as 8 bytes, then cut */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct snap);
} snaps SEC(".maps");

/* The raw bytes of a field: from the entry's copy when there is one, else user memory. */
static __always_inline long field_raw(const struct mt_src *src, __u64 map, const struct snap *sn,
				      __u32 snap_off, __u64 *raw)
{
	/* MT_SRC_ARG_FIELD: @map is the argument, @off signed (arg0-32) */
	void *p = (void *)(map + (src->kind == MT_SRC_ARG_FIELD ? (__s64)(__s32)src->off
								  : (__s64)src->off));
	__u32 o = src->off - snap_off;

	if (sn && src->kind == MT_SRC_FIELD && src->off >= snap_off &&
	    o + src->width <= MT_SNAP_MAX) {
		/* the mask is a no-op the verifier needs to see the bound */
		o &= MT_SNAP_MAX - 1;
		__builtin_memcpy(raw, &sn->b[o], 8);
		return 0;
	}
	/* constant sizes: the verifier must see the copy fit in @raw */
	switch (src->width) {
	case 1:
		return bpf_probe_read_user(raw, 1, p);
	case 2:
		return bpf_probe_read_user(raw, 2, p);
	case 4:
		return bpf_probe_read_user(raw, 4, p);
	default:
		return bpf_probe_read_user(raw, 8, p);
	}
}

/* A field's raw bytes cut to its width, sign-extended when it is signed. */
static __always_inline __s64 field_cut(const struct mt_src *src, __u64 raw)
{
	int shift = src->width == 1 ? 56 : src->width == 2 ? 48 : src->width == 4 ? 32 : 0;

	raw <<= shift;
	return src->flags & MT_SRC_SIGNED ? (__s64)raw >> shift : (__s64)(raw >> shift);
}

static __always_inline __s64 src_read_snap(struct pt_regs *ctx, const struct mt_src *src,
					   __u64 map, const struct snap *sn, __u32 snap_off)
{
	__s64 v = 0;

	switch (src->kind) {
	/* an argument's addend: @off, signed (a struct from a pointer to one of its fields) */
	case MT_SRC_ARG:
		v = reg_arg(ctx, src->arg) + (__s64)(__s32)src->off;
		break;
	case MT_SRC_GOARG:
		v = go_arg(ctx, src->arg) + (__s64)(__s32)src->off;
		break;
	case MT_SRC_RET:
		v = PT_REGS_RC(ctx);
		break;
	case MT_SRC_CONST:
		return src->off;
	case MT_SRC_G:
		v = ctx->r14 + (__s64)(__s32)src->off;
		break;
	case MT_SRC_FP:
		v = ctx->rbp + (__s64)(__s32)src->off;
		break;
	case MT_SRC_ARG_FIELD:
	case MT_SRC_FIELD: {
		__u64 raw = 0;

		/* a field of the map, or at an argument (read at entry only) */
		if (src->kind == MT_SRC_ARG_FIELD) {
			map = src->flags & MT_SRC_GBASE	    ? ctx->r14
			      : src->flags & MT_SRC_FPBASE ? ctx->rbp
			      : src->flags & MT_SRC_GOBASE ? go_arg(ctx, src->arg)
							   : reg_arg(ctx, src->arg);
			sn = NULL; /* another struct than the map's snapshot */
		}
		if (field_raw(src, map, sn, snap_off, &raw))
			return 0;
		v = field_cut(src, raw);
		break;
	}
	default:
		return 0;
	}
	if (src->flags & MT_SRC_EXP2)
		return v < 0 || v > 62 ? 0 : 1LL << v;
	return v;
}

/* Is @src an argument, or a field at one: only readable at entry? */
static __always_inline bool src_at_entry(const struct mt_src *src)
{
	return src->kind == MT_SRC_ARG || src->kind == MT_SRC_GOARG ||
	       src->kind == MT_SRC_ARG_FIELD;
}

static __always_inline __s64 src_read(struct pt_regs *ctx, const struct mt_src *src, __u64 map)
{
	return src_read_snap(ctx, src, map, NULL, 0);
}

/* The first of two sources that reads non-zero. */
static __always_inline __u64 src_read2_snap(struct pt_regs *ctx, const struct mt_src *a,
					    const struct mt_src *b, __u64 map, const struct snap *sn,
					    __u32 snap_off)
{
	__s64 v = src_read_snap(ctx, a, map, sn, snap_off);

	if (!v && b->kind != MT_SRC_NONE)
		v = src_read_snap(ctx, b, map, sn, snap_off);
	return v;
}

static __always_inline __u64 src_read2(struct pt_regs *ctx, const struct mt_src *a,
				       const struct mt_src *b, __u64 map)
{
	return src_read2_snap(ctx, a, b, map, NULL, 0);
}

static __always_inline bool cmp_holds(__u8 cmp, __s64 l, __s64 r)
{
	switch (cmp) {
	case MT_CMP_LT:
		return l < r;
	case MT_CMP_LE:
		return l <= r;
	case MT_CMP_GT:
		return l > r;
	case MT_CMP_GE:
		return l >= r;
	case MT_CMP_EQ:
		return l == r;
	default:
		return l != r;
	}
}

/* Does the spec's guard hold now (or has it none)?  An OR of ANDs, see struct mt_guard. */
static __always_inline bool guard_holds(struct pt_regs *ctx, const struct mt_probe_spec *sp,
					__u64 map, const struct snap *sn)
{
	bool alt = true;

	if (!sp->nwhen)
		return true;
	for (int i = 0; i < MT_MAX_GUARDS; i++) {
		const struct mt_guard *g = &sp->when[i];
		__s64 l, r;

		if ((__u32)i >= sp->nwhen)
			break;
		l = (src_read_snap(ctx, &g->a, map, sn, sp->snap_off) + g->a_add) * (__s64)g->a_mul;
		r = (src_read_snap(ctx, &g->b, map, sn, sp->snap_off) + g->b_add) * (__s64)g->b_mul;
		alt = alt && cmp_holds(g->cmp, l, r);
		if (!g->and_next) {
			if (alt)
				return true;
			alt = true;
		}
	}
	return false;
}

/* The spec's type= (a Go *maptype, in a register at entry): 0 when it has none. */
static __always_inline __u64 type_at_entry(struct pt_regs *ctx, const struct mt_probe_spec *sp,
					   __u64 map)
{
	return sp->type.kind != MT_SRC_NONE ? src_read(ctx, &sp->type, map) : 0;
}

static __always_inline void send_resize(struct pt_regs *ctx, const struct mt_probe_spec *sp,
					__u64 map, __u64 old_size, __u64 new_size, __u64 start,
					__u64 type)
{
	bool go_entry = (sp->flags & MT_SPEC_GO) && sp->role == MT_ROLE_RESIZE;
	struct mt_resize *r;

	exit_read_table(map, sp->lib);
	r = rec_new(sizeof(*r), MT_REC_RESIZE, go_entry ? go_entry_stack(ctx) : user_stack(ctx));
	if (!r)
		return;
	r->map = map;
	r->old_size = old_size;
	r->new_size = new_size;
	r->count = sp->count.kind != MT_SRC_NONE ? src_read(ctx, &sp->count, map) : ~0ULL;
	r->dur_ns = start ? r->h.ts - start : 0;
	r->tag = sp->name.kind != MT_SRC_NONE ? src_read(ctx, &sp->name, map) : 0;
	r->lib = sp->lib;
	r->type = type;
	r->flags =
		(start ? MT_RESIZE_TIMED : 0) | (sp->flags & MT_SPEC_JOIN ? MT_RESIZE_JOINED : 0);
	if (sp->depth.kind == MT_SRC_FIELD) {
		/* a Go Swiss map's directory depth, where the resize ends (a split may double it) */
		__u64 d = 0;

		if (!field_raw(&sp->depth, map, NULL, 0, &d))
			r->flags |= ((d & 0xff) < 255 ? (d & 0xff) + 1 : 255) << MT_RESIZE_DEPTH_SHIFT;
	}
	/*
	 * A Go resize seen at its function's entry (the push %rbp after the stack-bound check):
	 * the caller's frame is not linked yet, so the frame-pointer walk may skip it (the kernel
	 * adds it only for a thread that has uprobe state), and an unwind of a stack copy (no
	 * CFI in stripped Go) does: send the return address at %rsp, and no stack copy.
	 */
	if (go_entry) {
		__u64 ra = 0;

		if (!bpf_probe_read_user(&ra, sizeof(ra), (void *)PT_REGS_SP(ctx)) && ra) {
			r->tag = ra;
			r->flags |= MT_RESIZE_CALLER;
		}
		rec_send(r, sizeof(*r), NULL);
		return;
	}
	/*
	 * A Go grow_end at its epilogue: the frame-pointer walk names the caller (the frame is
	 * still whole); an unwind of a stack copy (no CFI in stripped Go) skipped it (lock_return)
	 */
	rec_send(r, sizeof(*r), sp->flags & MT_SPEC_GO ? NULL : ctx);
}

static __always_inline void count_hit(const struct mt_probe_spec *sp, __u64 map)
{
	struct mt_map_counts *c = counts_of(map);

	if (!c)
		return;
	c->lib = sp->lib;
	if (sp->role == MT_ROLE_INSERT)
		c->inserts++;
	else if (sp->role == MT_ROLE_DELETE)
		c->deletes++;
	else
		c->lookups++;
}

static __always_inline int save_call(struct pt_regs *ctx, const struct mt_probe_spec *sp,
				     __u32 spec, __u64 map, __u64 a, __u64 b)
{
	struct pcall pc = { .map = map, .a = a, .b = b, .ts = bpf_ktime_get_ns(), .spec = spec,
			    .type = type_at_entry(ctx, sp, map) };
	__u32 t = call_key(ctx, sp);

	if (bpf_map_update_elem(&pcalls, &t, &pc, BPF_ANY)) {
		count_drop(MT_DROP_STATE);
		return 1;
	}
	return 0;
}

/*
 * A lock role's return (or, for Go code, its lock_end at a ret instruction; @t is the call's
 * key): the call was a contended acquisition if it slept in a futex wait.
 */
static __always_inline void lock_return(struct pt_regs *ctx, __u32 t,
					const struct mt_probe_spec *sp)
{
	__u32 fn = sp ? sp->fn : 0;
	bool go = sp && (sp->flags & MT_SPEC_GO);
	struct lock_state *s = bpf_map_lookup_elem(&lock_waits, &t);
	struct mt_lock_wait *r;

	/* a ret of another function the goroutine is inside of (lockSlow's semacquire) */
	if (!s || (fn && s->fn != fn))
		return;
	if (s->waited) {
		r = rec_new(sizeof(*r), MT_REC_LOCK_WAIT, user_stack(ctx));
		if (r) {
			r->map = s->map;
			r->lock = s->lock;
			r->wait_ns = r->h.ts - s->ts;
			r->mode = s->mode;
			r->kind = s->kind;
			/*
			 * the goroutine's own id, read where it returns holding the lock; only
			 * from its Go version's field offset (none known: 0, never a guess)
			 */
			r->goid = go && sp->goid.kind != MT_SRC_NONE ?
					  (__u64)src_read(ctx, &sp->goid, 0) :
					  0;
			/*
			 * Go: the frame-pointer walk at the epilogue (its frame still whole)
			 * names the caller; an unwind of a stack copy of stripped Go (no CFI)
			 * gave the ret and skipped the caller in tsgo
			 */
			rec_send(r, sizeof(*r), go ? NULL : ctx);
		}
	}
	bpf_map_delete_elem(&lock_waits, &t);
}

/*
 * Is this call one the spec takes, by its caller?  At an entry site the return address is on
 * top of the stack; it is compared, less the load bias, with the spec's functions.
 */
static __always_inline bool caller_matches(struct pt_regs *ctx, const struct mt_probe_spec *sp)
{
	__u64 ra = 0;
	bool in = false;

	if (!sp->nfrom)
		return true;
	if (bpf_probe_read_user(&ra, sizeof(ra), (void *)PT_REGS_SP(ctx)))
		return false;
	ra -= bpf_get_func_ip(ctx) - sp->site; /* the load bias (PIE) */
	for (__u32 i = 0; i < MT_MAX_FROM; i++)
		if (i < sp->nfrom && ra >= sp->from_lo[i] && ra < sp->from_hi[i])
			in = true;
	return in != !!(sp->flags & MT_SPEC_NOT_FROM);
}

/* Entry of a profile function.  Return: 0 to run again at its return, 1 not to. */
static __always_inline int profile_entry(struct pt_regs *ctx, const struct mt_probe_spec *sp,
					 __u32 spec)
{
	bool ret = sp->flags & MT_SPEC_RETURN;
	struct snap *sn = NULL;
	__u64 map = 0, a, b;
	struct mt_table_create *c;

	/* x86 EFLAGS: CF (bit 0), ZF (bit 6): "jbe" is taken, to morestack, and the call restarts */
	if ((sp->flags & MT_SPEC_STACK_JBE) && (ctx->eflags & 0x41))
		return 1;
	if (!caller_matches(ctx, sp))
		return 1;

	if (sp->map.kind != MT_SRC_RET || (sp->flags & MT_SPEC_AT_RET))
		map = src_read(ctx, &sp->map, 0);
	switch (sp->role) {
	case MT_ROLE_INSERT:
	case MT_ROLE_DELETE:
	case MT_ROLE_LOOKUP:
		if (!map)
			return 1;
		count_hit(sp, map);
		if (!ret || sp->size.kind == MT_SRC_NONE)
			return 1;
		if (sp->snap) {
			__u32 zero = 0;

			sn = bpf_map_lookup_elem(&snaps, &zero);
			if (sn && bpf_probe_read_user(sn->b, MT_SNAP_MAX, (void *)(map + sp->snap_off)))
				sn = NULL;
		}
		if (!guard_holds(ctx, sp, map, sn))
			return 1;
		return save_call(ctx, sp, spec, map,
				 src_read2_snap(ctx, &sp->size, &sp->size_alt, map, sn, sp->snap_off),
				 0);
	case MT_ROLE_DESTROY:
		if (map)
			map_freed(map);
		return 1;
	case MT_ROLE_CREATE:
		if (ret)
			return save_call(ctx, sp, spec, map, 0, 0);
		if (!map)
			return 1;
		bpf_map_delete_elem(&map_counts, &map);
		c = rec_new(sizeof(*c), MT_REC_TABLE_CREATE, user_stack(ctx));
		if (c) {
			c->map = map;
			c->size = src_read2(ctx, &sp->size, &sp->size_alt, map);
			c->tag = sp->name.kind != MT_SRC_NONE ? src_read(ctx, &sp->name, map) : 0;
			c->lib = sp->lib;
			c->flags = sp->hint.kind != MT_SRC_NONE ? MT_CREATE_HINT : 0;
			c->hint = c->flags ? src_read(ctx, &sp->hint, map) : 0;
			rec_send(c, sizeof(*c), ctx);
		}
		return 1;
	case MT_ROLE_RESIZE:
	case MT_ROLE_GROW_BEGIN:
		if (!map)
			return 1;
		a = src_read2(ctx, &sp->size, &sp->size_alt, map);
		b = src_at_entry(&sp->new_size) ?
			    src_read2(ctx, &sp->new_size, &sp->new_size_alt, map) : 0;
		if (sp->role == MT_ROLE_GROW_BEGIN && (sp->flags & MT_SPEC_JOIN)) {
			/* only the rehash of the resize just reported untimed: not reserve() */
			__u32 t = call_key(ctx, sp);
			struct untimed *u = bpf_map_lookup_elem(&untimed_resizes, &t);

			if (!u || u->map != map || u->old_size != a || u->new_size != b)
				return 1;
			bpf_map_delete_elem(&untimed_resizes, &t);
		}
		if (sp->role == MT_ROLE_GROW_BEGIN)
			return save_call(ctx, sp, spec, map, a, b) | 1;
		if (!ret) {
			if (!b)
				b = src_read2(ctx, &sp->new_size, &sp->new_size_alt, map);
			if (a != b)
				send_resize(ctx, sp, map, a, b, 0, type_at_entry(ctx, sp, map));
			return 1;
		}
		return save_call(ctx, sp, spec, map, a, b);
	case MT_ROLE_GROW_END: {
		__u32 t = call_key(ctx, sp);
		struct pcall *pc = bpf_map_lookup_elem(&pcalls, &t);
		struct mt_probe_spec *begin;

		if (!pc)
			return 1;
		begin = bpf_map_lookup_elem(&probe_specs, &pc->spec);
		if (begin && begin->role == MT_ROLE_GROW_BEGIN && (!map || map == pc->map)) {
			b = pc->b ?: src_read2(ctx, &begin->new_size, &begin->new_size_alt, pc->map);
			/* untimed: the span only chose the size, the rehash runs after it */
			send_resize(ctx, begin, pc->map, pc->a, b,
				    begin->flags & MT_SPEC_UNTIMED ? 0 : pc->ts, pc->type);
			if (begin->flags & MT_SPEC_UNTIMED) {
				struct untimed u = {
					.map = pc->map, .old_size = pc->a, .new_size = b};

				/* a join= grow_begin that follows on this thread times it */
				bpf_map_update_elem(&untimed_resizes, &t, &u, BPF_ANY);
			}
		}
		bpf_map_delete_elem(&pcalls, &t);
		return 1;
	}
	case MT_ROLE_LOCK: {
		struct lock_state ls = {
			.map = map,
			.lock = src_read(ctx, &sp->lock, map),
			.ts = bpf_ktime_get_ns(),
			.mode = sp->lock_mode,
			.kind = sp->lock_kind,
			/*
			 * Go: the function is the slow path, entered only when the lock was
			 * held, and its goroutine parks in the scheduler, not in a futex
			 */
			.waited = !!(sp->flags & MT_SPEC_GO),
			.fn = sp->fn,
		};
		__u32 t = call_key(ctx, sp);

		/* the futex path marks it if the call sleeps; the return decides */
		if (bpf_map_update_elem(&lock_waits, &t, &ls, BPF_ANY)) {
			count_drop(MT_DROP_STATE);
			return 1;
		}
		/* a Go lock's end is its lock_end probe: no return trampoline on Go code */
		return !(sp->flags & MT_SPEC_RETURN);
	}
	case MT_ROLE_LOCK_END:
		lock_return(ctx, call_key(ctx, sp), sp);
		return 1;
	case MT_ROLE_MISS: {
		struct mt_map_counts *mc = map ? counts_of(map) : NULL;

		if (mc) {
			mc->lib = sp->lib;
			mc->sync_misses++;
		}
		return 1;
	}
	case MT_ROLE_PROMOTE: {
		struct mt_promote *r;

		if (!map)
			return 1;
		r = rec_new(sizeof(*r), MT_REC_PROMOTE, user_stack(ctx));
		if (r) {
			r->map = map;
			r->dirty_len =
				sp->size.kind != MT_SRC_NONE ? src_read(ctx, &sp->size, map) : 0;
			rec_send(r, sizeof(*r), ctx);
		}
		return 1;
	}
	case MT_ROLE_REHASH_STEP:
		if (!map)
			return 1;
		a = src_read(ctx, &sp->pos, map);
		/* not rehashing: the call returns at once */
		if ((__s64)a < 0)
			return 1;
		b = src_read2(ctx, &sp->size, &sp->size_alt, map);
		return save_call(ctx, sp, spec, map, a, b);
	default:
		return 1;
	}
}

static __always_inline void rehash_step_done(struct pt_regs *ctx, const struct mt_probe_spec *sp,
					     struct pcall *pc, __u64 now)
{
	struct rehash_state *st, fresh = { .first_ts = pc->ts };
	__s64 pos = src_read(ctx, &sp->pos, pc->map);
	struct mt_rehash *r;
	__u64 moved;

	moved = pos < 0 ? pc->b - pc->a : (__u64)pos - pc->a;
	st = bpf_map_lookup_elem(&rehashes, &pc->map);
	if (!st) {
		long err = bpf_map_update_elem(&rehashes, &pc->map, &fresh, BPF_NOEXIST);

		st = bpf_map_lookup_elem(&rehashes, &pc->map);
		if (!st) {
			count_map_table_miss(err);
			return;
		}
	}
	if (moved) {
		st->steps++;
		st->moved += moved;
	}
	st->step_ns += now - pc->ts;
	if (pos >= 0)
		return;
	r = reserve(sizeof(*r), MT_REC_REHASH, -1);
	if (r) {
		r->map = pc->map;
		r->steps = st->steps;
		r->moved = st->moved;
		r->step_ns = st->step_ns;
		r->elapsed_ns = now - st->first_ts;
		r->size = src_read2(ctx, &sp->size, &sp->size_alt, pc->map);
		r->lib = sp->lib;
		r->_pad = 0;
		submit(r);
	}
	bpf_map_delete_elem(&rehashes, &pc->map);
}

/* Return of a profile function whose entry asked for it. */
static __always_inline void profile_return(struct pt_regs *ctx, const struct mt_probe_spec *sp)
{
	__u32 t = tid();
	struct pcall *pc;

	if (sp->role == MT_ROLE_LOCK) {
		lock_return(ctx, tid(), NULL);
		return;
	}
	pc = bpf_map_lookup_elem(&pcalls, &t);
	__s64 rv = PT_REGS_RC(ctx);
	__u64 now = bpf_ktime_get_ns(), size;
	struct mt_table_create *c;

	if (!pc)
		return;
	switch (sp->role) {
	case MT_ROLE_INSERT:
	case MT_ROLE_DELETE:
	case MT_ROLE_LOOKUP:
		size = src_read2(ctx, &sp->size, &sp->size_alt, pc->map);
		if (size != pc->a && size)
			send_resize(ctx, sp, pc->map, pc->a, size, pc->ts, pc->type);
		break;
	case MT_ROLE_CREATE:
		if (sp->map.kind == MT_SRC_RET)
			pc->map = rv;
		if (!pc->map)
			break;
		bpf_map_delete_elem(&map_counts, &pc->map);
		c = rec_new(sizeof(*c), MT_REC_TABLE_CREATE, user_stack(ctx));
		if (c) {
			c->map = pc->map;
			c->size = src_read2(ctx, &sp->size, &sp->size_alt, pc->map);
			c->tag = sp->name.kind != MT_SRC_NONE ? src_read(ctx, &sp->name, pc->map) : 0;
			c->lib = sp->lib;
			c->flags = 0; /* a hint is read at the entry only (the spec refuses it here) */
			c->hint = 0;
			rec_send(c, sizeof(*c), ctx);
		}
		break;
	case MT_ROLE_RESIZE:
		if ((sp->ret_cond == MT_RET_EQ && rv != sp->ret_val) ||
		    (sp->ret_cond == MT_RET_NE && rv == sp->ret_val))
			break;
		size = pc->b;
		if (!size)
			size = src_read2(ctx, &sp->new_size, &sp->new_size_alt, pc->map);
		if (size != pc->a)
			send_resize(ctx, sp, pc->map, pc->a, size, pc->ts, pc->type);
		break;
	case MT_ROLE_REHASH_STEP:
		rehash_step_done(ctx, sp, pc, now);
		break;
	default:
		break;
	}
	bpf_map_delete_elem(&pcalls, &t);
}

/* A profile probe's hit, at a site's entry or (a session's) return: 1 when no return is wanted. */
static __always_inline int profile_hit(struct pt_regs *ctx)
{
	__u32 spec = (__u32)bpf_get_attach_cookie(ctx);
	struct mt_probe_spec *sp = bpf_map_lookup_elem(&probe_specs, &spec);

	if (!sp)
		return 1;
	if (session_is_return(ctx)) {
		profile_return(ctx, sp);
		return 0;
	}
	return profile_entry(ctx, sp, spec);
}

/* The sites that need their return (MT_SPEC_RETURN), as a uprobe session. */
SEC("uprobe")
int profile_probe(struct pt_regs *ctx)
{
	return profile_hit(ctx);
}

/*
 * Every other site, as a plain uprobe_multi link, which never sets up a return.  A session
 * link cannot serve them: the kernel calls a pid-filtered link's handler in every process
 * with the breakpoint (another maptrace's target on the same file), and for a process not its
 * own it returns 0 without running the program, which for a session asks for the return, so
 * that process's return address is swapped for the trampoline: Go's runtime then dies
 * ("unexpected return pc").  Without a return, an entry always returns 1 here.
 */
SEC("uprobe")
int profile_probe_plain(struct pt_regs *ctx)
{
	profile_hit(ctx);
	return 0;
}

/* A map field (MT_SRC_FIELD) as src_read() reads it; 0 for another kind or a failed read. */
static __always_inline __s64 field_value(const struct mt_src *src, __u64 map)
{
	__u64 raw = 0;
	__s64 v;

	if (src->kind != MT_SRC_FIELD || field_raw(src, map, NULL, 0, &raw))
		return 0;
	v = field_cut(src, raw);
	if (src->flags & MT_SRC_EXP2)
		return v < 0 || v > 62 ? 0 : 1LL << v;
	return v;
}

/*
 * A profile map's entries as the target exits, read as tableread.c reads them at a sync, with
 * the same checks: a position below -1 or more entries than the table can hold is no table of
 * the profile any more (freed and reused), and sends nothing.
 */
static __always_inline void send_table_count(__u64 map, const struct mt_exit_read *er)
{
	struct mt_lib_counts *r;
	__u64 count, size;

	if (er->pos.kind == MT_SRC_FIELD && field_value(&er->pos, map) < -1)
		return;
	count = field_value(&er->count[0], map) + field_value(&er->count[1], map);
	if (er->max_load) {
		size = field_value(&er->size, map);
		if (!size)
			size = field_value(&er->size_alt, map);
		if ((__s64)size <= 0 || count / er->max_load > size ||
		    (er->check.kind == MT_SRC_FIELD && field_value(&er->check, map) != (__s64)size))
			return;
	}
	r = reserve(sizeof(*r), MT_REC_LIB_COUNTS, -1);
	if (!r)
		return;
	__builtin_memset(&r->map, 0, sizeof(*r) - sizeof(r->h));
	r->map = map;
	r->count = count;
	/* an incremental evacuation still running (Go: oldbuckets set): nevacuate of 2^oldB */
	if (er->evac.kind == MT_SRC_FIELD && field_value(&er->evac, map)) {
		size = field_value(&er->size, map);
		r->evac_pos = field_value(&er->pos, map);
		r->evac_of = field_value(&er->same, map) & er->same_mask ? size : size / 2;
	}
	submit(r);
}

static long exit_read_one(void *m, __u64 *map, struct mt_exit_read *er, void *ctx)
{
	(void)m;
	(void)ctx;
	/* a map in known_maps too is read there */
	if (er->kind == MT_EXIT_CORE && !bpf_map_lookup_elem(&known_maps, map))
		send_lib_counts(*map);
	else if (er->kind == MT_EXIT_SYNC)
		send_sync_counts(*map);
	else if (er->kind == MT_EXIT_TABLE)
		send_table_count(*map, er);
	return 0;
}

/*
 * A standalone core map whose first grow reported it: known here from that moment, before user
 * space has read the record, so a map made and filled in a run's last moments is read too.
 */
static long exit_read_known(void *m, __u64 *map, __u64 *serial, void *ctx)
{
	(void)m;
	(void)serial;
	(void)ctx;
	send_lib_counts(*map);
	return 0;
}

/*
 * The target is exiting (one thread called exit_group; its memory is still there): every map
 * user space reads at each sync, and the library's totals, read one last time, since a short
 * run may exit before its next sync.  A process killed by a signal makes no exit_group call:
 * the last sync's figures stand then.
 */
SEC("tracepoint/syscalls/sys_enter_exit_group")
int exit_group(struct sys_enter_ctx *ctx)
{
	struct mt_lib_totals *r;

	(void)ctx;
	if (bpf_get_current_pid_tgid() >> 32 != target_tgid)
		return 0;
	bpf_for_each_map_elem(&known_maps, exit_read_known, NULL, 0);
	bpf_for_each_map_elem(&exit_reads, exit_read_one, NULL, 0);
	if (!totals_addr)
		return 0;
	r = reserve(sizeof(*r), MT_REC_LIB_TOTALS, -1);
	if (!r)
		return 0;
	if (bpf_probe_read_user(&r->created, 4 * sizeof(__u64), (void *)totals_addr)) {
		bpf_ringbuf_discard(r, 0);
		return 0;
	}
	bpf_ringbuf_submit(r, BPF_RB_FORCE_WAKEUP);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
