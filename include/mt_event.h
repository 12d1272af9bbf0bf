/* SPDX-License-Identifier: MIT */
/*
 * The one decoder of ring-buffer records (maptrace.h): it checks a record and turns it into a
 * typed event, by what happened rather than by which probe saw it.  A libcmap grow and a
 * profile map's resize are both MT_EV_RESIZE; a libcmap evacuation step and a profile map's
 * finished incremental rehash are both MT_EV_MIGRATE; a library lock wait and a futex wait are
 * both MT_EV_WAIT.  The live tracer and the trace-file reader decode every record here, once;
 * the model keeps the typed events, and no report backend reads a raw record.
 *
 * User space only: BPF writes the records, it never decodes them.
 */
#ifndef MT_EVENT_H
#define MT_EVENT_H

#ifndef __BPF__
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <linux/types.h>
#include "maptrace.h"

/* What happened. */
enum mt_event_kind {
	MT_EV_NONE = 0,
	MT_EV_MAP_CREATE = 1,  /* a map was made (or first seen, for a profile map) */
	MT_EV_RESIZE = 2,      /* its table was replaced by a larger, smaller or same-size one */
	MT_EV_MIGRATE = 3,     /* entries moved to the new table: one step, or a whole rehash */
	MT_EV_GROW_DONE = 4,   /* the last old bucket of an incremental grow was moved */
	MT_EV_PROMOTE = 5,     /* a sync map's dirty map became its read-only snapshot */
	MT_EV_MAP_DESTROY = 6, /* a map was freed; its in-kernel counters came with it */
	MT_EV_MAP_COUNTS = 7,  /* a map's own counters, read from its struct */
	MT_EV_WAIT = 8,	       /* a contended lock wait */
	MT_EV_WAKE = 9,	       /* a release that woke a waiter: the holder side of a wait */
	MT_EV_HOLD = 10,       /* a library lock's hold that a waiter waited behind */
	MT_EV_LIB_TOTALS = 11, /* libcmap's process-wide totals (maps created, freed, grows) */
};

/* Flags of struct mt_event. */
#define MT_EV_LOG2	 1u /* sizes are log2 of the bucket count (libcmap's B), else slots */
#define MT_EV_TIMED	 2u /* a resize's dur_ns was measured */
#define MT_EV_SAME_SIZE	 4u /* a resize to the same size (libcmap: overflow buckets piled up) */
#define MT_EV_WHOLE	 8u /* a migration summed over a whole incremental rehash, not one step */
#define MT_EV_LIB_LOCK	 16u /* a wait seen by the map library's own lock probes */
#define MT_EV_IN_LIB	 32u /* a futex wait inside a library lock wait (counted there) */
#define MT_EV_RWLOCK	 64u /* a library lock wait on a reader-writer lock (else a mutex) */
#define MT_EV_ALL_COUNTS 128u /* map counts with every field (a record of the current size) */
#define MT_EV_JOINED	 256u /* a resize's duration: the map's last untimed resize took it */
#define MT_EV_HINT	 512u /* a profile map's creation: create.hint was read (Go's make hint) */

#define MT_EV_UNKNOWN (~0ULL) /* a count the record does not give */

struct mt_ev_create {
	__u64 hint;    /* the size hint given (libcmap) */
	__u64 parent;  /* the concurrent map owning this core map, 0 when standalone */
	__u64 size;    /* initial size (MT_EV_LOG2: B), 0 unknown */
	__u64 tag;     /* the profile's name pointer (Redis: the dict's type), 0 none */
	__s32 variant; /* enum cmap_variant, -1 when not a libcmap map */
	/*
	 * A core map first heard of at a grow: the grows and same-size grows it made before,
	 * unprobed (size is then the B it was created with, and these grows doubled it).
	 */
	__u32 grows_before;
	__u32 same_size_before;
	__u32 _pad;
};

struct mt_ev_resize {
	__u64 old_size; /* 0: the map's first table, not a resize (Redis allocates lazily) */
	__u64 new_size;
	__u64 count;	/* entries: libcmap at the grow's start, a profile's after; or UNKNOWN */
	__u64 dur_ns;	/* the resize itself, when MT_EV_TIMED */
	__u32 dir_depth; /* a Go Swiss map's directory depth after it, + 1; 0 unknown */
	__u32 _pad;
	__u64 tag;
	__u64 type;	/* a Go map's type descriptor (the profile's type=), 0 when none */
};

struct mt_ev_migrate {
	__u64 buckets;	  /* old buckets moved */
	__u64 entries;	  /* entries moved, MT_EV_UNKNOWN when not counted */
	__u64 dur_ns;	  /* time inside the step(s) */
	__u64 steps;	  /* calls that moved buckets (1 for a single step) */
	__u64 elapsed_ns; /* MT_EV_WHOLE: first step's start to last step's end */
	__u64 size;	  /* MT_EV_WHOLE: the size after, 0 unknown */
	__u64 oldbucket;  /* a single step: the old bucket, else MT_EV_UNKNOWN */
};

struct mt_ev_grow_done {
	__u64 count;
	__u64 size; /* MT_EV_LOG2: B */
};

/* A core map's own counters (MT_EV_MAP_COUNTS); MT_EV_ALL_COUNTS: every field, else the first 3. */
struct mt_ev_lib_counts {
	__u64 inserts, deletes, count;
	__u64 evacuated, moved, lookups, grow_ns, evac_ns;
	__u64 hits, misses; /* a sync map's: it has only these two */
	/*
	 * A profile map's incremental evacuation running as it was read: old buckets evacuated
	 * (evac_pos) of evac_of, evac_elapsed_ns since the resize that began it (0 unknown);
	 * evac_of 0: none running.
	 */
	__u64 evac_pos, evac_of, evac_elapsed_ns;
};

/* MT_EV_LIB_TOTALS: since the process started. */
struct mt_ev_lib_totals {
	__u64 created, freed, grows, same_size_grows;
};

struct mt_ev_wait {
	__u64 lock;    /* MT_EV_LIB_LOCK: the lock's address; else 0 (the model finds it) */
	__u64 word;    /* a futex wait: the futex word; else 0 */
	__u64 wait_ns;
	__s64 ret;     /* a futex wait: the syscall's return */
	__u32 op;      /* a futex wait: the futex op with flags */
	__u32 mode;    /* enum mt_lock_mode */
	__s32 val;     /* a futex wait: the value it expected the word to hold, -1 unrecorded */
	__u32 _pad;
	__u64 goid;    /* a Go lock wait: the waiting goroutine's id; 0 unknown (or not Go) */
};

struct mt_ev_wake {
	__u64 word;  /* the futex word */
	__s64 woken; /* waiters woken */
	__u32 op;    /* the futex op with flags */
	__u32 _pad;
};

/* MT_EV_HOLD: flags MT_EV_LIB_LOCK, and MT_EV_RWLOCK for a reader-writer lock. */
struct mt_ev_hold {
	__u64 lock;    /* the lock's address */
	__u64 hold_ns; /* acquisition to release, measured by the library */
	__u32 mode;    /* enum mt_lock_mode: what the holder held it for */
	__u32 _pad;
};

/** One decoded record. */
struct mt_event {
	__u16 kind; /* enum mt_event_kind */
	__u16 rec;  /* the record type it came from: only for naming it (mt_event_name) */
	__u32 flags; /* MT_EV_* */
	__u32 tid, pid, cpu;
	__u32 lib;  /* 0: libcmap's USDT probes; else the probe profile's index */
	__u64 ts;   /* CLOCK_MONOTONIC at the event's end */
	__u64 map;  /* the map; a wait: the map the lock guards, 0 unknown */
	union {
		struct mt_ev_create create;
		struct mt_ev_resize resize;
		struct mt_ev_migrate migrate;
		struct mt_ev_grow_done done;
		__u64 dirty_len; /* MT_EV_PROMOTE */
		struct mt_map_counts counts; /* MT_EV_MAP_DESTROY */
		struct mt_ev_lib_counts lib_counts; /* MT_EV_MAP_COUNTS */
		struct mt_ev_wait wait;
		struct mt_ev_wake wake; /* MT_EV_WAKE */
		struct mt_ev_hold hold; /* MT_EV_HOLD */
		struct mt_ev_lib_totals totals; /* MT_EV_LIB_TOTALS */
	};
};

/* Every record type must fit the buffers sized by MT_REC_MAX. */
_Static_assert(sizeof(struct mt_map_create) <= MT_REC_MAX, "mt_map_create too large");
_Static_assert(sizeof(struct mt_grow) <= MT_REC_MAX, "mt_grow too large");
_Static_assert(sizeof(struct mt_evacuate) <= MT_REC_MAX, "mt_evacuate too large");
_Static_assert(sizeof(struct mt_grow_done) <= MT_REC_MAX, "mt_grow_done too large");
_Static_assert(sizeof(struct mt_promote) <= MT_REC_MAX, "mt_promote too large");
_Static_assert(sizeof(struct mt_lock_wait) <= MT_REC_MAX, "mt_lock_wait too large");
_Static_assert(sizeof(struct mt_futex_wait) <= MT_REC_MAX, "mt_futex_wait too large");
_Static_assert(sizeof(struct mt_map_destroy) <= MT_REC_MAX, "mt_map_destroy too large");
_Static_assert(sizeof(struct mt_lib_counts) <= MT_REC_MAX, "mt_lib_counts too large");
_Static_assert(sizeof(struct mt_resize) <= MT_REC_MAX, "mt_resize too large");
_Static_assert(offsetof(struct mt_resize, type) == MT_RESIZE_V1_SIZE, "mt_resize grew mid-way");
_Static_assert(offsetof(struct mt_table_create, hint) == MT_TABLE_CREATE_V1_SIZE,
	       "mt_table_create grew mid-way");
_Static_assert(sizeof(struct mt_rehash) <= MT_REC_MAX, "mt_rehash too large");
_Static_assert(sizeof(struct mt_table_create) <= MT_REC_MAX, "mt_table_create too large");
_Static_assert(sizeof(struct mt_futex_wake) <= MT_REC_MAX, "mt_futex_wake too large");
_Static_assert(sizeof(struct mt_lock_hold) <= MT_REC_MAX, "mt_lock_hold too large");
_Static_assert(sizeof(struct mt_lib_totals) <= MT_REC_MAX, "mt_lib_totals too large");

/** mt_event_name() - what JSON and messages call @ev: its record's name ("grow", "resize"). */
static inline const char *mt_event_name(const struct mt_event *ev)
{
	return mt_rec_name(ev->rec) ?: "unknown";
}

static inline int mt__decode_map(const struct mt_hdr *h, struct mt_event *ev)
{
	switch (h->type) {
	case MT_REC_MAP_CREATE: {
		const struct mt_map_create *r = (const void *)h;

		ev->kind = MT_EV_MAP_CREATE;
		ev->flags = MT_EV_LOG2;
		ev->map = r->map;
		ev->create = (struct mt_ev_create){ .hint = r->hint, .parent = r->parent,
						    .size = r->B, .variant = (__s32)r->variant,
						    .grows_before = r->grows_before,
						    .same_size_before = r->same_size_before };
		return r->B < 64 && r->grows_before < 64 && r->B + r->grows_before < 64;
	}
	case MT_REC_TABLE_CREATE: {
		const struct mt_table_create *r = (const void *)h;

		ev->kind = MT_EV_MAP_CREATE;
		ev->map = r->map;
		ev->lib = r->lib;
		ev->create = (struct mt_ev_create){ .size = r->size, .tag = r->tag, .variant = -1 };
		/* a record of MT_TABLE_CREATE_V1_SIZE bytes has no hint: its flags read 0 */
		if (r->flags & MT_CREATE_HINT) {
			ev->flags |= MT_EV_HINT;
			ev->create.hint = r->hint;
		}
		return 1;
	}
	case MT_REC_GROW: {
		const struct mt_grow *r = (const void *)h;

		ev->kind = MT_EV_RESIZE;
		ev->flags = MT_EV_LOG2 | MT_EV_TIMED | (r->same_size ? MT_EV_SAME_SIZE : 0);
		ev->map = r->map;
		ev->resize = (struct mt_ev_resize){ .old_size = r->old_B, .new_size = r->new_B,
						    .count = r->count, .dur_ns = r->dur_ns };
		return r->old_B < 64 && r->new_B < 64;
	}
	case MT_REC_RESIZE: {
		const struct mt_resize *r = (const void *)h;

		ev->kind = MT_EV_RESIZE;
		ev->flags = (r->flags & MT_RESIZE_TIMED ? MT_EV_TIMED : 0) |
			    (r->flags & MT_RESIZE_JOINED ? MT_EV_JOINED : 0) |
			    (r->old_size && r->old_size == r->new_size ? MT_EV_SAME_SIZE : 0);
		ev->map = r->map;
		ev->lib = r->lib;
		ev->resize = (struct mt_ev_resize){ .old_size = r->old_size,
						    .new_size = r->new_size, .count = r->count,
						    .dur_ns = r->dur_ns, .tag = r->tag,
						    .type = r->type,
						    .dir_depth = (r->flags >> MT_RESIZE_DEPTH_SHIFT) & 0xff };
		return 1;
	}
	case MT_REC_EVACUATE: {
		const struct mt_evacuate *r = (const void *)h;

		ev->kind = MT_EV_MIGRATE;
		ev->flags = MT_EV_LOG2;
		ev->map = r->map;
		ev->migrate = (struct mt_ev_migrate){ .buckets = 1, .entries = r->moved,
						      .dur_ns = r->dur_ns, .steps = 1,
						      .elapsed_ns = r->dur_ns,
						      .oldbucket = r->oldbucket };
		return 1;
	}
	case MT_REC_REHASH: {
		const struct mt_rehash *r = (const void *)h;

		ev->kind = MT_EV_MIGRATE;
		ev->flags = MT_EV_WHOLE;
		ev->map = r->map;
		ev->lib = r->lib;
		ev->migrate = (struct mt_ev_migrate){ .buckets = r->moved, .entries = MT_EV_UNKNOWN,
						      .dur_ns = r->step_ns, .steps = r->steps,
						      .elapsed_ns = r->elapsed_ns, .size = r->size,
						      .oldbucket = MT_EV_UNKNOWN };
		return 1;
	}
	case MT_REC_GROW_DONE: {
		const struct mt_grow_done *r = (const void *)h;

		ev->kind = MT_EV_GROW_DONE;
		ev->flags = MT_EV_LOG2;
		ev->map = r->map;
		ev->done = (struct mt_ev_grow_done){ .count = r->count, .size = r->B };
		return r->B < 64;
	}
	}
	return -1;
}

static inline int mt__decode_other(const struct mt_hdr *h, struct mt_event *ev)
{
	switch (h->type) {
	case MT_REC_PROMOTE: {
		const struct mt_promote *r = (const void *)h;

		ev->kind = MT_EV_PROMOTE;
		ev->map = r->map;
		ev->dirty_len = r->dirty_len;
		return 1;
	}
	case MT_REC_MAP_DESTROY: {
		const struct mt_map_destroy *r = (const void *)h;

		ev->kind = MT_EV_MAP_DESTROY;
		ev->map = r->map;
		ev->lib = r->counts.lib;
		ev->counts = r->counts;
		return 1;
	}
	case MT_REC_LIB_COUNTS: {
		const struct mt_lib_counts *r = (const void *)h;

		ev->kind = MT_EV_MAP_COUNTS;
		ev->flags = h->size >= MT_LIB_COUNTS_V2_SIZE ? MT_EV_ALL_COUNTS : 0;
		ev->map = r->map;
		ev->lib_counts = (struct mt_ev_lib_counts){
			.inserts = r->inserts, .deletes = r->deletes, .count = r->count,
			.evacuated = r->evacuated, .moved = r->moved, .lookups = r->lookups,
			.grow_ns = r->grow_ns, .evac_ns = r->evac_ns, .hits = r->hits,
			.misses = r->misses, .evac_pos = r->evac_pos, .evac_of = r->evac_of,
		};
		return 1;
	}
	case MT_REC_LOCK_WAIT: {
		const struct mt_lock_wait *r = (const void *)h;

		ev->kind = MT_EV_WAIT;
		ev->flags = MT_EV_LIB_LOCK | (r->kind == 1 ? MT_EV_RWLOCK : 0);
		ev->map = r->map;
		ev->wait = (struct mt_ev_wait){ .lock = r->lock, .wait_ns = r->wait_ns,
						.mode = r->mode, .val = -1, .goid = r->goid };
		return 1;
	}
	case MT_REC_FUTEX_WAIT: {
		const struct mt_futex_wait *r = (const void *)h;

		ev->kind = MT_EV_WAIT;
		ev->flags = r->in_lib_wait ? MT_EV_IN_LIB : 0;
		ev->wait = (struct mt_ev_wait){
			.word = r->uaddr, .wait_ns = r->wait_ns, .ret = r->ret, .op = r->op,
			.mode = MT_MODE_UNKNOWN,
			.val = h->flags & MT_HDR_FUTEX_VAL ?
				       (__s32)((h->flags >> MT_HDR_FUTEX_VAL_SHIFT) & 0xff) :
				       -1,
		};
		return 1;
	}
	case MT_REC_FUTEX_WAKE: {
		const struct mt_futex_wake *r = (const void *)h;

		ev->kind = MT_EV_WAKE;
		ev->wake = (struct mt_ev_wake){ .word = r->uaddr, .woken = r->woken, .op = r->op };
		return 1;
	}
	case MT_REC_LOCK_HOLD: {
		const struct mt_lock_hold *r = (const void *)h;

		ev->kind = MT_EV_HOLD;
		ev->flags = MT_EV_LIB_LOCK | (r->kind == 1 ? MT_EV_RWLOCK : 0);
		ev->map = r->map;
		ev->hold = (struct mt_ev_hold){ .lock = r->lock, .hold_ns = r->hold_ns,
						.mode = r->mode };
		return 1;
	}
	case MT_REC_LIB_TOTALS: {
		const struct mt_lib_totals *r = (const void *)h;

		ev->kind = MT_EV_LIB_TOTALS;
		ev->totals = (struct mt_ev_lib_totals){ .created = r->created, .freed = r->freed,
							.grows = r->grows,
							.same_size_grows = r->same_size_grows };
		return r->freed <= r->created;
	}
	}
	return -1;
}

/**
 * mt_event_decode() - check the record at @h (@len bytes readable there) and decode it.
 * The checks: @h->size fits in @len and covers the struct of its type, and its values are
 * possible (a bucket exponent above 63 is not).
 * Return: 0 and *@ev; -EOPNOTSUPP for a type this maptrace does not know (skip it by its
 * size); -EINVAL for a malformed record.  Either error puts the reason in @why (@size bytes;
 * @why may be NULL).
 */
static inline int mt_event_decode(const struct mt_hdr *h, size_t len, struct mt_event *ev,
				  char *why, size_t size)
{
	__u64 whole[MT_REC_MAX / sizeof(__u64)];
	unsigned long min;
	int ok;

	if (len < sizeof(*h) || h->size < sizeof(*h) || h->size > len) {
		if (why && size)
			snprintf(why, size, "ring-buffer record of %zu bytes says %u", len,
				 len < sizeof(*h) ? 0 : h->size);
		return -EINVAL;
	}
	min = mt_rec_min_size(h->type);
	if (!min) {
		if (why && size)
			snprintf(why, size, "unknown ring-buffer record type %u", h->type);
		return -EOPNOTSUPP;
	}
	if (h->size < min) {
		if (why && size)
			snprintf(why, size, "%s record of %u bytes (at least %lu)",
				 mt_rec_name(h->type), h->size, min);
		return -EINVAL;
	}
	/* a record from before its type grew: the fields it lacks read as 0 */
	if (h->size < mt_rec_size(h->type)) {
		__builtin_memset(whole, 0, sizeof(whole));
		__builtin_memcpy(whole, h, h->size);
		h = (const struct mt_hdr *)whole;
	}
	*ev = (struct mt_event){ .rec = h->type, .tid = h->pid, .pid = h->tgid, .cpu = h->cpu,
				 .ts = h->ts };
	ok = mt__decode_map(h, ev);
	if (ok < 0)
		ok = mt__decode_other(h, ev);
	if (ok <= 0) {
		if (why && size)
			snprintf(why, size, "%s record: B out of range", mt_rec_name(h->type));
		return -EINVAL;
	}
	return 0;
}
#endif /* !__BPF__ */

#endif /* MT_EVENT_H */
