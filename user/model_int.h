/* SPDX-License-Identifier: MIT */
/*
 * The model's state, shared by its two halves: model.c aggregates events into it,
 * model_snapshot.c folds it into report rows.  Nothing else includes this header.
 */
#ifndef MT_MODEL_INT_H
#define MT_MODEL_INT_H

#include "model.h"
#include "u64map.h"

/* Index of @key in @im (a u64map of indexes), -1 when absent. */
static inline int idmap__get(const struct u64map *im, __u64 key)
{
	__u64 v;

	return u64map__get(im, key, &v) ? (int)v : -1;
}

static inline int idmap__put(struct u64map *im, __u64 key, int val)
{
	return u64map__put(im, key, (__u64)val);
}

/* Costs per stack, for one map or lock: few distinct stacks each, so a plain array. */
struct stack_costs {
	struct mt_stack_cost *v;
	int n, cap;
};

/* One core map (or a concurrent map's own record) as seen in the events. */
struct map_state {
	__u64 addr;
	struct map_state *parent; /* the concurrent map instance it belongs to, NULL if none */
	int row;		  /* report row, while a report is built */
	int children;		  /* maps whose parent it is */
	int children_freed;	  /* of them, freed */
	int variant;
	bool create_seen;
	bool destroyed;
	__u64 hint;
	int created_stack;
	int first_grow_stack; /* creation not seen: its first grow's stack, -1 none */
	bool B_known;
	__u32 B;
	__u64 grows, same_size_grows, grows_done;
	__u64 evacuated, moved;
	__u64 alloc_ns, evac_ns, max_step_ns;
	__u64 promotions;
	__u64 peak_count;
	bool first_seen;   /* created before tracing: first_count entries when first seen */
	__u64 first_count;
	__u64 sizes[MT_MAX_SIZES];
	int nsizes;
	int lib;	   /* 0: cmap's USDT probes; else the profile index */
	const char *name;  /* interned; NULL when unnamed */
	const char *go_type; /* interned: "map[int]int"; NULL when unknown */
	__u64 size;	   /* profile maps: current size, 0 unknown */
	__u64 shrinks;
	__u32 dir_depth;   /* a Go Swiss map's deepest directory, + 1; 0 unknown */
	__u64 rehash_steps, rehash_elapsed_ns;
	/* its last resize, untimed: a joined duration (MT_EV_JOINED) goes to it */
	bool untimed_last;
	int untimed_stack;
	size_t untimed_event;		 /* its index in the event log, or past its end: not kept */
	struct mt_map_counts counts;	 /* the kernel's per-operation counts (--detail) */
	struct mt_ev_lib_counts own; /* the map's own counters, read from its struct */
	bool own_seen, own_all;	 /* own holds them; every field (not just the first 3) */
	bool sync_own;		 /* a sync map whose hits and misses were read from it */
	bool table_read;	 /* a profile map whose entries (own.count) were read from it */
	struct hist grow_hist;
	struct stack_costs grow_stacks;
	/* inner maps freed while it lives (a sync map's old snapshots), summed: model_fold.c */
	struct map_report *dead;
	struct stack_costs dead_stacks;
};

struct lock_state {
	__u64 addr;
	const char *name; /* interned; NULL when unnamed */
	struct lock_guess g; /* its kind, as far as its waits told */
	__u64 map;
	bool from_library;
	__u64 contentions, wait_ns;
	__u64 read_contentions, read_wait_ns, write_contentions, write_wait_ns;
	struct hist hist;
	struct stack_costs stacks;
	struct stack_costs holders; /* the releases that woke a waiter: count per waker stack */
	struct hist hold_hist;	     /* library locks: each timed hold a waiter waited behind */
	struct stack_costs hold_stacks; /* ... per releasing stack: count and hold ns */
	__u64 hold_untimed;		/* such holds the library did not time (MT_HOLD_UNTIMED) */
	__u64 last_ts;	     /* its latest wait's end (CLOCK_MONOTONIC) */
};

/*
 * Freed maps of one creation site (stack, library, variant, name, hint), folded into one row:
 * their totals stay exact, and a program that creates and frees maps without end costs the
 * model one of these per site instead of one map_state per map.
 */
struct map_fold {
	int lib;
	__u64 maps;
	struct map_report row;
	struct stack_costs grow_stacks;
};

/* Cold futex words of one (kind, costliest stack, library) folded the same way. */
struct lock_fold {
	int top; /* the stack of the key */
	__u64 locks;
	struct lock_state agg;
};

struct model {
	struct run_info info;
	struct map_state **maps;
	int nmaps, cap_maps;
	struct u64map map_idx;
	struct lock_state **locks;
	int nlocks, cap_locks;
	struct u64map lock_idx;
	struct u64map lock_alias; /* futex word -> the lock it belongs to (model__alias_lock) */
	struct mt_stack *stacks;
	int nstacks, cap_stacks;
	struct u64map stack_idx; /* hash of a stack's ips -> first stack with that hash */
	char **strings;		/* interned strings, for freeing */
	int nstrings, cap_strings;
	struct u64map string_idx;
	__u64 dropped[MT_DROP_MAX];
	__u64 events;
	__u64 unknown_records;
	__u64 freed_unseen; /* maps freed that nothing else showed: created before tracing */
	bool keep_events;
	struct model_event *event_log;
	size_t nevent_log, cap_event_log;
	__u64 events_not_kept;	  /* past MODEL_EVENT_LOG_MAX */
	struct map_fold **map_folds;
	int nmap_folds, cap_map_folds;
	struct u64map map_fold_idx;
	__u64 maps_folded;
	/* libcmap's process-wide totals: as tracing started, and the latest read */
	bool lib_totals_seen;
	struct mt_ev_lib_totals lib_totals_first, lib_totals_last;
	__u64 freed_kept;	  /* freed maps with rows of their own, before folding began */
	bool folding;		  /* past MODEL_FREED_KEEP: freed maps are folded as they go */
	struct lock_fold **lock_folds;
	int nlock_folds, cap_lock_folds;
	struct u64map lock_fold_idx;
	__u64 locks_folded;
	__u64 last_ts;		  /* latest event time seen */
	__u64 last_lock_sweep;	  /* event time of the latest cold-lock sweep */
	int nlib_locks;		  /* locks seen through the library's probes */
	__u64 futex_waits_in_lib;
};

/** model__intern() - @s copied once into the model (equal strings share it); NULL on ENOMEM. */
const char *model__intern(struct model *m, const char *s);

/**
 * map_state__fold() - add core map @s's figures into report row @row: summed, and its live
 * state (count, buckets) summed when @live_sum, else the fullest map's.  0 or -ENOMEM.
 */
int map_state__fold(struct map_report *row, const struct map_state *s, bool live_sum);

/**
 * map_report__add() - add row @src into @dst: figures summed, the longest size path, the
 * fullest live state.  0 or -ENOMEM.
 */
int map_report__add(struct map_report *dst, const struct map_report *src);

/** stack_costs__add_n() - @count more costs of @ns in total on @stack.  0 or -ENOMEM. */
int stack_costs__add_n(struct stack_costs *sc, int stack, __u64 count, __u64 ns);

/**
 * model__fold_map() - map @i was just freed: past MODEL_FREED_KEEP freed maps, fold it (and
 * any kept so far) into its creation site's row and free its state, unless something still
 * needs it (events kept, inner or outer maps not freed yet).  0 or -ENOMEM.
 */
int model__fold_map(struct model *m, int i);

/**
 * model__sweep_cold_locks() - fold the futex words without a wait for a while (by event time)
 * into their (kind, top stack) rows.  0 or -ENOMEM.
 */
int model__sweep_cold_locks(struct model *m);

/** map_state__count() - a core map's live entries, -1 when its creation was not seen. */
__s64 map_state__count(const struct map_state *s);

#endif /* MT_MODEL_INT_H */
