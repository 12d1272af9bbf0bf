/* SPDX-License-Identifier: MIT */
/*
 * ABI shared by maptrace's BPF programs and its user-space loader.
 * Fixed-width fields only: the same bytes are read by a 64-bit loader and by BPF.
 *
 * Every ring-buffer record starts with struct mt_hdr {type, size}; a reader dispatches on type
 * and skips unknown types by size, so new record types never break an older reader.
 */
#ifndef MAPTRACE_H
#define MAPTRACE_H

#include <linux/types.h>

#define MT_ABI_VERSION 1

/* Record types. */
enum mt_rec_type {
	MT_REC_MAP_CREATE = 1,
	MT_REC_GROW = 2,	 /* grow begin..end: the new bucket array was allocated */
	MT_REC_EVACUATE = 3,	 /* one old bucket evacuated, with its duration */
	MT_REC_GROW_DONE = 4,	 /* the last old bucket was evacuated */
	MT_REC_PROMOTE = 5,	 /* sync map: dirty map promoted */
	MT_REC_LOCK_WAIT = 6,	 /* a contended acquisition of a library lock (USDT) */
	MT_REC_FUTEX_WAIT = 7,	 /* a futex wait in the target (any lock) */
	MT_REC_MAP_DESTROY = 8,
	MT_REC_LIB_COUNTS = 9,	 /* a core map's own counters, read as it is freed */
	MT_REC_RESIZE = 10,	 /* a profile map changed size (one-shot resize or grow begin..end) */
	MT_REC_REHASH = 11,	 /* a profile map finished an incremental rehash */
	MT_REC_TABLE_CREATE = 12, /* a profile map was created */
	MT_REC_FUTEX_WAKE = 13,	 /* a target thread's FUTEX_WAKE woke a waiter: the holder side */
	MT_REC_LOCK_HOLD = 14,	 /* a library lock released while a thread waited for it */
	MT_REC_LIB_TOTALS = 15,	 /* libcmap's process-wide totals, read by user space at a sync */
};

/* Which lock mode a wait was for. */
enum mt_lock_mode {
	MT_MODE_WRITE = 0,
	MT_MODE_READ = 1,
	MT_MODE_UNKNOWN = 2,
};

/** Common header: every record begins with it. @size covers the whole record. */
struct mt_hdr {
	__u16 type;
	__u16 size;
	__u32 cpu;
	__u32 pid; /* thread id */
	__u32 tgid;
	__u64 ts;  /* CLOCK_MONOTONIC ns at the event's end */
	__s32 stack_id; /* user stack id in the stack map, negative when not captured */
	__u32 flags;	/* MT_HDR_* */
};

/* The record is followed by a struct mt_ustack trailer (registers and stack bytes). */
#define MT_HDR_USTACK 1
/*
 * On a futex wait: bits 8-15 hold the value the wait expected the word to hold (it was below
 * 256).  2 is the "locked, with waiters" state of the lll-style mutexes of glibc, GLib's GMutex
 * and others; on a glibc rwlock's words it tells readers from writers.
 */
#define MT_HDR_FUTEX_VAL       2
#define MT_HDR_FUTEX_VAL_SHIFT 8

/* User registers in the layout of the kernel's x86-64 struct pt_regs (168 bytes). */
struct mt_user_regs {
	__u64 r15, r14, r13, r12, rbp, rbx, r11, r10, r9, r8;
	__u64 rax, rcx, rdx, rsi, rdi, orig_rax, rip, cs, eflags, rsp, ss;
};

/*
 * With --stack dwarf, a record with a stack carries, after its own fields, the thread's user
 * registers and a copy of the top of its user stack, so user space can unwind through code
 * built without frame pointers using the modules' CFI.  Only the live reader sees it: it
 * unwinds, then hands the record on without the trailer (base_size bytes).
 */
struct mt_ustack {
	struct mt_user_regs regs;
	__u32 base_size;   /* size of the record before this trailer */
	__u32 stack_len;   /* stack bytes that follow, copied from regs.rsp upwards */
	/* __u8 stack[stack_len]; */
};

#define MT_USTACK_MAX 16384 /* most stack bytes a record carries */
#define MT_REC_MAX    136   /* no record struct is larger */

struct mt_map_create {
	struct mt_hdr h;
	__u64 map;
	__u64 hint;
	__u64 parent; /* the concurrent map owning this core map, 0 when standalone */
	__u32 B;
	__u32 variant;
	/*
	 * A core map first heard of at a grow (map_create is probed only with --detail): the
	 * return address of the call that created it, read from its struct, and the grows and
	 * same-size grows it made before (too small for their probes to fire: CMAP_QUIET_B); the
	 * record then has no stack, and its B is the size the map was created with.  All 0 for
	 * a map_create probe's record.
	 */
	__u64 site;
	__u32 grows_before;
	__u32 same_size_before;
};
/* Before site was added (trace files of earlier versions). */
#define MT_MAP_CREATE_V1_SIZE 64

struct mt_grow {
	struct mt_hdr h;
	__u64 map;
	__u64 count;	/* entries at grow start */
	__u64 dur_ns;	/* grow_begin .. grow_end */
	__u32 old_B;
	__u32 new_B;
	__u32 same_size;
	__u32 _pad;
};

struct mt_evacuate {
	struct mt_hdr h;
	__u64 map;
	__u64 oldbucket;
	__u64 moved;
	__u64 dur_ns; /* evacuate_begin .. evacuate; 0 when the begin was not seen */
};

struct mt_grow_done {
	struct mt_hdr h;
	__u64 map;
	__u64 count;
	__u32 B;
	__u32 _pad;
};

struct mt_promote {
	struct mt_hdr h;
	__u64 map;
	__u64 dirty_len;
};

struct mt_lock_wait {
	struct mt_hdr h;
	__u64 map;  /* the concurrent map the lock guards */
	__u64 lock; /* address of the pthread lock */
	__u64 wait_ns;
	__u32 mode; /* enum mt_lock_mode: what the caller waited to do */
	__u32 kind; /* 0: pthread mutex, 1: pthread rwlock */
	__u64 goid; /* Go: the waiting goroutine's id (g.goid), 0 when unknown or not Go */
};
/* Before goid was added (trace files of earlier versions). */
#define MT_LOCK_WAIT_V1_SIZE 64

struct mt_futex_wait {
	struct mt_hdr h;
	__u64 uaddr;	/* futex word */
	__u64 wait_ns;
	__s64 ret;	/* syscall return: 0, -ETIMEDOUT, -EAGAIN, -EINTR ... */
	__u32 op;	/* futex op with flags */
	__u32 in_lib_wait; /* 1 when the thread was inside a library lock wait (counted there) */
};

/*
 * A FUTEX_WAKE (or FUTEX_WAKE_BITSET) by a target thread that woke at least one waiter: the
 * lock's holder releasing it under contention (a lock's unlock calls it only with waiters).
 * The stack is the waker's: who held the lock.
 */
struct mt_futex_wake {
	struct mt_hdr h;
	__u64 uaddr; /* futex word */
	__s64 woken; /* syscall return: threads woken (> 0) */
	__u32 op;    /* futex op with flags */
	__u32 _pad;
};

/*
 * A release of a library lock while another thread waited for it (USDT lock_hold): how long
 * the releasing thread held it, measured by the library.  The stack is the holder's.
 */
#define MT_HOLD_UNTIMED (~(__u64)0) /* libcmap's CMAP_HOLD_UNTIMED */

struct mt_lock_hold {
	struct mt_hdr h;
	__u64 map;  /* the concurrent map the lock guards */
	__u64 lock; /* address of the pthread lock */
	__u64 hold_ns; /* MT_HOLD_UNTIMED: the library did not time this hold's acquisition */
	__u32 mode; /* enum mt_lock_mode: what the holder held it for */
	__u32 kind; /* 0: pthread mutex, 1: pthread rwlock */
};

/*
 * libcmap's process-wide totals since the process started (struct cmap_totals in
 * lib/cmap_impl.h), read from the target by user space as tracing starts and at each sync:
 * every map created and freed and every grow, also those of maps too small for any probe.
 */
struct mt_lib_totals {
	struct mt_hdr h;
	__u64 created;
	__u64 freed;
	__u64 grows;
	__u64 same_size_grows;
};

/*
 * A core map's own counters, read from the library's struct (offsets given by the loader) as
 * the map is freed: by default nothing probes each insert or evacuation step, so these are the
 * figures.  Records before the per-operation probes became opt-in end after @count
 * (MT_LIB_COUNTS_V1_SIZE bytes).
 */
struct mt_lib_counts {
	struct mt_hdr h;
	__u64 map;
	__u64 inserts;
	__u64 deletes;
	__u64 count;
	__u64 evacuated; /* old buckets evacuated */
	__u64 moved;	 /* entries moved by evacuation */
	__u64 lookups;
	__u64 grow_ns;	 /* the library's own time in grows and in evacuation, measured while */
	__u64 evac_ns;	 /* a tracer holds its grow_begin probe (read in the kernel: libcmap's
			  * evac_cycles, which the loader converts to ns) */
	/* a sync map's record has these two only: reads the snapshot answered, and the others */
	__u64 hits;
	__u64 misses;
	/*
	 * A profile map's incremental evacuation running as it was read (its read line's evac=
	 * field non-zero): old buckets evacuated, of evac_of; evac_of 0: none running.  Absent
	 * from records before MT_LIB_COUNTS_V3_SIZE.
	 */
	__u64 evac_pos;
	__u64 evac_of;
};

#define MT_LIB_COUNTS_V1_SIZE 64
#define MT_LIB_COUNTS_V2_SIZE 120 /* every counter up to misses */
#define MT_LIB_FIELDS	      8 /* the __u64 fields from inserts to evac_ns */
#define MT_SYNC_STRIPES	      32 /* libcmap's sync map sums its hits over this many stripes */
#define MT_CMAP_PLAIN	      0	 /* map_create's variant of a core map (enum cmap_variant) */
#define MT_CMAP_SYNC	      4	 /* map_create's variant of a sync map (enum cmap_variant) */

/* Per-map counters of hot events, aggregated in the kernel (per-CPU hash, key = map). */
struct mt_map_counts {
	__u64 inserts;
	__u64 deletes;
	__u64 sync_hits;
	__u64 sync_misses;
	__u64 lookups;
	__u32 lib; /* the profile that counted them: index into the loader's profile table */
	__u32 _pad;
	/*
	 * Evacuation steps summed here instead of sent one record each, while the ring buffer is
	 * over three quarters full: none is lost, only its own duration (the max is kept).
	 */
	__u64 evac_steps;
	__u64 evac_moved;
	__u64 evac_ns;
	__u64 evac_max_ns;
};

/*
 * Probe profiles: maps of libraries without maptrace's USDT probes (GLib, Redis, anything
 * described with --probe) are traced with uprobes on the library's own functions.  Every site
 * carries a cookie indexing an array of these specs, which say what the function is to the
 * map (its role), where the map pointer is, and how to read sizes.
 */
enum mt_role {
	MT_ROLE_INSERT = 1,	 /* count; with a size source, a resize inside the call is seen */
	MT_ROLE_DELETE = 2,	 /* the same for removals */
	MT_ROLE_LOOKUP = 3,	 /* count */
	MT_ROLE_CREATE = 4,	 /* a map is made (the map is usually the return value) */
	MT_ROLE_DESTROY = 5,	 /* a map is freed: its counters leave the kernel */
	MT_ROLE_RESIZE = 6,	 /* one call resizes: old size at entry, new size at entry or return */
	MT_ROLE_GROW_BEGIN = 7,	 /* a resize starts (old and new size) ... */
	MT_ROLE_GROW_END = 8,	 /* ... and ends here, on the same thread */
	MT_ROLE_REHASH_STEP = 9, /* one step of an incremental rehash; progress from a field */
	MT_ROLE_LOCK = 10,	 /* takes a lock guarding a map: a call that sleeps in a futex wait
				  * is a contended acquisition, timed from entry to return */
	MT_ROLE_LOCK_END = 11,	 /* a Go lock role's end, at its ret instructions (no uretprobe) */
	MT_ROLE_MISS = 12,	 /* a read-mostly map's read missed its snapshot: counted per map */
	MT_ROLE_PROMOTE = 13,	 /* its dirty map becomes the snapshot: a record (size: its length) */
	MT_ROLE_MAX = 14,
};

/* Where a value comes from. */
enum mt_src_kind {
	MT_SRC_NONE = 0,
	MT_SRC_ARG = 1,	  /* argument @arg (0-5) at entry, plus (__s32)@off: arg0-32 */
	MT_SRC_RET = 2,	  /* the return value */
	MT_SRC_FIELD = 3, /* @width bytes at @off from the map pointer */
	MT_SRC_CONST = 4, /* @off itself */
	MT_SRC_GOARG = 5, /* Go register ABI argument @arg (0-8: RAX RBX RCX RDI RSI R8-R11),
			   * plus (__s32)@off */
	MT_SRC_ARG_FIELD = 6, /* @width bytes at argument @arg + (__s32)@off, at entry: a field
			       * relative to an argument (a Go one with MT_SRC_GOBASE) */
	MT_SRC_G = 7,	      /* Go code: the goroutine's g (R14), plus (__s32)@off */
	MT_SRC_FP = 8,	      /* the frame pointer (RBP), plus (__s32)@off: where Go code with
			       * its frame set up spilled its register arguments */
};

#define MT_SRC_SIGNED 1 /* sign-extend a field */
#define MT_SRC_EXP2 2	/* the value is log2 of the size; a negative one means 0 */
#define MT_SRC_GOBASE 4	/* MT_SRC_ARG_FIELD: @arg is a Go register ABI argument */
#define MT_SRC_GBASE 8	/* MT_SRC_ARG_FIELD: at the goroutine's g (R14), not an argument */
#define MT_SRC_FPBASE 16 /* MT_SRC_ARG_FIELD: at the frame pointer (RBP), not an argument */

struct mt_src {
	__u8 kind; /* enum mt_src_kind */
	__u8 arg;
	__u8 width; /* 1, 2, 4 or 8 */
	__u8 flags; /* MT_SRC_* */
	__u32 off;
};

/*
 * What the exit program (sys_enter_exit_group of the target) reads of each map user space
 * knows, so a target that exits between two syncs still has its last figures read: one
 * MT_REC_LIB_COUNTS record per map, as a freed core map's.  Kept in a BPF hash (key: the map's
 * address) by user space as maps become known and are dropped, and by BPF from a libcmap map's
 * creation record or a profile map's first resize (its profile's entry in an array, by lib).
 */
enum mt_exit_kind {
	MT_EXIT_CORE = 1,  /* a libcmap core map: its counters at the loader's lib_off */
	MT_EXIT_SYNC = 2,  /* a libcmap sync map: its hits and misses */
	MT_EXIT_TABLE = 3, /* a profile map: its read line's fields (count only) */
};

#define MT_EXIT_LIBS 64 /* profile indexes (lib) below this have an exit_specs entry */

struct mt_exit_read {
	__u32 kind;	/* enum mt_exit_kind */
	__u32 max_load; /* MT_EXIT_TABLE: as the read line's max_load (0: no check) */
	struct mt_src count[2]; /* entries: the sum of the two (the second may be MT_SRC_NONE) */
	struct mt_src pos;	/* an incremental rehash's position: below -1, no table */
	struct mt_src size, size_alt;
	/* evac.kind FIELD: pos counts old buckets evacuated while evac reads non-zero (Go) */
	struct mt_src evac, same;
	__u64 same_mask; /* same & same_mask non-zero: the old table is size, not size / 2 */
	struct mt_src check; /* with max_load: the size read another way; if they differ, no table */
};

#define MT_SPEC_RETURN 1 /* also run at the function's return (uprobe session) */
#define MT_SPEC_GO 2	 /* Go code: a call's state is kept per goroutine (R14), not thread */
#define MT_SPEC_AT_RET 4 /* the site is a ret instruction: ret= is readable at the hit */
#define MT_SPEC_UNTIMED 8 /* grow_begin: its span to grow_end is not the resize's duration */
#define MT_SPEC_NOT_FROM 16 /* from_lo/from_hi: only calls from outside those functions */
/*
 * grow_begin: times only the resize an untimed grow_begin..grow_end just reported on this
 * thread (the same map, from the old size it saw to the new one): libstdc++'s out-of-line
 * _M_rehash after _M_need_rehash chose its size.  Its record amends that one.
 */
#define MT_SPEC_JOIN 32
/*
 * Go: the site is the stack-bound check's jbe ("cmp 0x10(%r14),%rsp; jbe MORESTACK"), which
 * runs twice when it is taken: the stack must grow, or the scheduler asked the goroutine to
 * yield (stackguard0 = stackPreempt); morestack then jumps back to the cmp.  A hit whose jbe
 * will be taken (CF or ZF set by the cmp) is not counted: the call hits again.
 */
#define MT_SPEC_STACK_JBE 64

enum mt_cmp { MT_CMP_LT = 1, MT_CMP_LE, MT_CMP_GT, MT_CMP_GE, MT_CMP_EQ, MT_CMP_NE };

/*
 * One comparison of a guard: (a + a_add) * a_mul CMP (b + b_add) * b_mul, in signed 64 bits.
 * A guard is an OR of ANDs: terms joined by and_next form one alternative.  A probe that
 * watches a size across the call asks for its return only when its guard holds at entry (the
 * call may resize), so the calls far from a resize cost no return trampoline.
 */
struct mt_guard {
	struct mt_src a, b;
	__s32 a_add, b_add;
	__u32 a_mul, b_mul;
	__u8 cmp; /* enum mt_cmp */
	__u8 and_next;
	__u8 _pad[2];
};

#define MT_MAX_GUARDS 4
#define MT_MAX_FROM   2

enum mt_ret_cond {
	MT_RET_ANY = 0,
	MT_RET_EQ = 1, /* a resize counts only when the return value equals ret_val */
	MT_RET_NE = 2,
};

struct mt_probe_spec {
	__u32 role; /* enum mt_role */
	__u32 lib;  /* profile index, reported with every record */
	__u32 flags; /* MT_SPEC_* */
	__u32 ret_cond; /* enum mt_ret_cond */
	__s64 ret_val;
	struct mt_src map;
	struct mt_src size;	/* size now (at entry; fields again at return) */
	struct mt_src size_alt; /* used when @size reads 0 */
	struct mt_src new_size; /* resize, grow begin: the size being moved to */
	struct mt_src new_size_alt;
	struct mt_src count;	/* entries, when the map says */
	struct mt_src pos;	/* rehash step: progress, negative when not rehashing */
	struct mt_src lock;	/* lock: the lock's address */
	struct mt_src name;	/* a pointer that names the map: the data symbol it points to */
	struct mt_src depth;	/* resize, grow_begin: a Swiss map's directory depth, at the end */
	__u32 lock_mode;	/* lock: enum mt_lock_mode */
	__u32 lock_kind;	/* lock: 0 a mutex, 1 an rwlock (as struct mt_lock_wait) */
	struct mt_guard when[MT_MAX_GUARDS]; /* insert, delete, lookup with a size: see mt_guard */
	__u32 nwhen;
	/*
	 * When every field the entry reads lies in MT_SNAP_MAX bytes from snap_off, the entry
	 * copies those bytes once and decodes the fields from the copy: one user-memory read a
	 * hit instead of one per field.
	 */
	__u32 snap;
	__u32 snap_off;
	/*
	 * lock and lock_end of Go code: the function (a hash of its name), so an end pairs only
	 * with an entry of the same function: Go's sync.runtime_SemacquireMutex is called from
	 * inside sync.(*Mutex).lockSlow, by the same goroutine.
	 */
	__u32 fn;
	/*
	 * Only calls whose return address (read at an entry site) lies in one of @nfrom
	 * functions [from_lo, from_hi), link-time addresses, or with MT_SPEC_NOT_FROM in none.
	 * @site is the site's link-time address: bpf_get_func_ip() minus it is the load bias.
	 */
	__u32 nfrom;
	__u32 _pad;
	__u64 site;
	__u64 from_lo[MT_MAX_FROM];
	__u64 from_hi[MT_MAX_FROM];
	struct mt_src goid; /* lock_end of Go code: the goroutine's id, a field of its g */
	/* resize, grow_begin: the map's type descriptor (Go: the *maptype), read at entry */
	struct mt_src type;
	/* create: the size hint the map was made with, read at the site */
	struct mt_src hint;
};

#define MT_SNAP_MAX 64

#define MT_MAX_SPECS 256

/* A syscall site's cookie (sysc.bpf.h) when %rax holds the call's number, else the number */
#define MT_SYSC_NR_RAX (~0ULL)
/* a syscall site's exit cookie: only the call reaches the probed instruction */
#define MT_SYSC_EXIT_CLEAN 1ULL
/*
 * and the site has no enter probe: a wait's start is when the scheduler saw it sleep (sysc_block).
 * Every exit cookie: its syscall instruction ends (cookie >> MT_SYSC_EXIT_SKIP_SHIFT) bytes before
 * the exit's (a wait that slept is timed from then, enter probe or not)
 */
#define MT_SYSC_EXIT_BLOCK	2ULL
#define MT_SYSC_EXIT_SKIP_SHIFT 8
/*
 * or'ed into an enter cookie's number: the site is a call of syscall() (its number in %edi), not
 * the syscall itself; the wrapper sees the stack pointer 8 bytes lower (the return address).  A
 * tail jump there has the number alone: the stack pointer does not move.
 */
#define MT_SYSC_CALL_SITE (1ULL << 32)

#define MT_RESIZE_TIMED 1 /* dur_ns was measured (entry..return, or begin..end) */
/*
 * Seen at a Go function's entry, before its frame: tag is the caller's return address (at
 * %rsp), which a frame-pointer walk there can miss; the tracer puts it into the stack and
 * clears tag before the record goes on.
 */
#define MT_RESIZE_CALLER 2
#define MT_RESIZE_JOINED 4 /* the duration of the map's last untimed resize, not another one */
/*
 * Bits 8-15 of flags: a Go Swiss map's directory global depth after the resize, plus 1 (0: not
 * read; depth 0, one table, is real).  In flags, so the record keeps its size.
 */
#define MT_RESIZE_DEPTH_SHIFT 8

struct mt_resize {
	struct mt_hdr h;
	__u64 map;
	__u64 old_size;
	__u64 new_size;
	__u64 count;  /* entries after the resize, ~0 when unknown */
	__u64 dur_ns; /* 0 when not timed */
	__u64 tag;    /* the spec's name pointer (Redis: the dict's type), 0 when none */
	__u32 lib;
	__u32 flags;  /* MT_RESIZE_* */
	__u64 type;   /* the spec's type= (a Go map's type descriptor), 0 when none */
};
/* Before type was added (trace files of earlier versions). */
#define MT_RESIZE_V1_SIZE 88

struct mt_rehash {
	struct mt_hdr h;
	__u64 map;
	__u64 steps;	  /* calls of the step function that moved buckets */
	__u64 moved;	  /* buckets moved (the progress field's advance) */
	__u64 step_ns;	  /* time inside the steps */
	__u64 elapsed_ns; /* first step's start .. last step's end */
	__u64 size;	  /* the size after the rehash */
	__u32 lib;
	__u32 _pad;
};

struct mt_table_create {
	struct mt_hdr h;
	__u64 map;
	__u64 size; /* 0 when unknown */
	__u64 tag;  /* as in struct mt_resize */
	__u32 lib;
	__u32 flags; /* MT_CREATE_*; 0 in records before it (MT_TABLE_CREATE_V1_SIZE bytes) */
	__u64 hint;  /* with MT_CREATE_HINT: the size hint given (Go: make(map[K]V, hint)) */
};

#define MT_TABLE_CREATE_V1_SIZE 64
#define MT_CREATE_HINT 1

/* A map is freed: its hot counters leave the kernel with it, summed over CPUs. */
struct mt_map_destroy {
	struct mt_hdr h;
	__u64 map;
	struct mt_map_counts counts;
};

/* Indexes into the drop counters in .bss. */
enum mt_drop {
	MT_DROP_RINGBUF = 0, /* bpf_ringbuf_reserve failed */
	MT_DROP_STACK = 1,   /* bpf_get_stackid failed (stack map full or walk failed) */
	MT_DROP_STATE = 2,   /* a per-thread table full: more threads mid-grow or mid-wait */
	MT_DROP_MAPS = 3,    /* a per-map table full: more live maps than --max-maps */
	MT_DROP_ALLOC = 4,   /* a per-map table entry not allocated: a burst of new maps */
	MT_DROP_MAX = 5,
};

#ifndef __BPF__
#include <stddef.h>

/* mt_rec_name() - "grow", "futex_wait", ... for a record type; NULL for an unknown one. */
static inline const char *mt_rec_name(unsigned int type)
{
	static const char *const names[] = {
		[MT_REC_MAP_CREATE] = "map_create", [MT_REC_GROW] = "grow",
		[MT_REC_EVACUATE] = "evacuate",	    [MT_REC_GROW_DONE] = "grow_done",
		[MT_REC_PROMOTE] = "promote",	    [MT_REC_LOCK_WAIT] = "lock_wait",
		[MT_REC_FUTEX_WAIT] = "futex_wait", [MT_REC_MAP_DESTROY] = "map_destroy",
		[MT_REC_LIB_COUNTS] = "lib_counts", [MT_REC_RESIZE] = "resize",
		[MT_REC_REHASH] = "rehash",	    [MT_REC_TABLE_CREATE] = "table_create",
		[MT_REC_FUTEX_WAKE] = "futex_wake", [MT_REC_LOCK_HOLD] = "lock_hold",
		[MT_REC_LIB_TOTALS] = "lib_totals",
	};

	return type < sizeof(names) / sizeof(names[0]) ? names[type] : NULL;
}

/* mt_rec_size() - the struct size of a record type, 0 for an unknown one. */
static inline unsigned long mt_rec_size(unsigned int type)
{
	static const unsigned long sizes[] = {
		[MT_REC_MAP_CREATE] = sizeof(struct mt_map_create),
		[MT_REC_GROW] = sizeof(struct mt_grow),
		[MT_REC_EVACUATE] = sizeof(struct mt_evacuate),
		[MT_REC_GROW_DONE] = sizeof(struct mt_grow_done),
		[MT_REC_PROMOTE] = sizeof(struct mt_promote),
		[MT_REC_LOCK_WAIT] = sizeof(struct mt_lock_wait),
		[MT_REC_FUTEX_WAIT] = sizeof(struct mt_futex_wait),
		[MT_REC_MAP_DESTROY] = sizeof(struct mt_map_destroy),
		[MT_REC_LIB_COUNTS] = sizeof(struct mt_lib_counts),
		[MT_REC_RESIZE] = sizeof(struct mt_resize),
		[MT_REC_REHASH] = sizeof(struct mt_rehash),
		[MT_REC_TABLE_CREATE] = sizeof(struct mt_table_create),
		[MT_REC_FUTEX_WAKE] = sizeof(struct mt_futex_wake),
		[MT_REC_LOCK_HOLD] = sizeof(struct mt_lock_hold),
		[MT_REC_LIB_TOTALS] = sizeof(struct mt_lib_totals),
	};

	return type < sizeof(sizes) / sizeof(sizes[0]) ? sizes[type] : 0;
}

/*
 * mt_rec_min_size() - the smallest record of a type a reader accepts: the struct's size when the
 * type first appeared.  A record grows only at its end, and what an older one lacks reads as 0.
 */
static inline unsigned long mt_rec_min_size(unsigned int type)
{
	if (type == MT_REC_MAP_CREATE)
		return MT_MAP_CREATE_V1_SIZE;
	if (type == MT_REC_LOCK_WAIT)
		return MT_LOCK_WAIT_V1_SIZE;
	if (type == MT_REC_RESIZE)
		return MT_RESIZE_V1_SIZE;
	if (type == MT_REC_TABLE_CREATE)
		return MT_TABLE_CREATE_V1_SIZE;
	return type == MT_REC_LIB_COUNTS ? MT_LIB_COUNTS_V1_SIZE : mt_rec_size(type);
}
#endif

#endif /* MAPTRACE_H */
