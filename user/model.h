/* SPDX-License-Identifier: MIT */
/*
 * The report model: everything maptrace knows about a traced process, built from a stream of
 * records (include/maptrace.h) and symbolized stacks, whether they come live from BPF or from a
 * trace file.  Report backends (text, JSON, ...) read a struct report snapshot and never see
 * how it was collected.
 */
#ifndef MT_MODEL_H
#define MT_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "maptrace.h"
#include "mt_event.h"
#include "hist.h"
#include "lockkind.h"
#include "stack.h"
#include "util.h"

struct sink;
struct line_share;

/* One recorded event, kept when model__keep_events() asked for it (timelines, --events). */
struct model_event {
	struct mt_event ev;	  /* the decoded record */
	int stack;		  /* index into report.stacks, -1 for none */
	bool counted;		  /* its time counts toward a row: a grow, an evacuation step, a
				   * contended wait not already counted by the library's probes */
	__u64 owner;		  /* address of the report row it belongs to (lock, or top-level
				   * map), 0 for none */
};

/* A stack that led to some cost (a wait, a grow), for "top stacks". */
struct mt_stack_cost {
	int stack;  /* index into report.stacks, -1 for "no stack" */
	__u64 count;
	__u64 ns;
};

#define MT_MAX_SIZES 64
#define MT_TOP_STACKS 8

/* One map as reported: a standalone core map, or a concurrent map with its inner maps folded in. */
struct map_report {
	__u64 addr;
	const char *library;   /* "cmap" (USDT), or the probe profile's name: "glib", "redis" */
	const char *name;      /* what the profile names it by (Redis: its dictType), "" none */
	const char *go_type;   /* a Go map's type ("map[int]int"), "" unknown */
	bool sizes_in_slots;   /* sizes[] in the profile's table sizes; else bucket exponents (cmap) */
	__u64 size;	       /* current size: buckets (cmap: 2^B), or the profile's slots; 0 unknown */
	__u64 shrinks;	       /* resizes to a smaller size (profile maps) */
	__u64 lookups;
	__u64 rehash_steps;    /* incremental rehash steps of completed rehashes (profile maps) */
	__u64 rehash_elapsed_ns; /* first step to last, summed over completed rehashes */
	int variant;	       /* enum cmap_variant; -1 unknown */
	bool create_seen;
	__u64 hint;
	int created_stack;     /* index into report.stacks, -1 when not seen */
	const char *created_at; /* "func (file:line)" of the first frame outside the library, "" */
	/*
	 * Creation not seen: where its first grow happened (the first frame outside the library
	 * and the runtime's map code), "" unknown.  A Go map is known from its first grow only,
	 * unless --detail probes makemap.
	 */
	int first_grow_stack;
	const char *first_grown_at;
	__u64 inner_maps;      /* core maps folded into this one (shards, sync snapshots) */
	__u64 folded;	       /* > 0: a row of that many freed maps of one creation site (addr
				* 0): figures summed, live state (count, buckets) the fullest's */
	__u32 fold_id;	       /* with folded: the row's number, the same all run (1, 2, ...) */
	__u64 inserts;
	__u64 deletes;
	__u64 grows;
	__u64 same_size_grows;
	__u64 evacuated;       /* old buckets evacuated */
	__u64 evac_summed;     /* of them, steps summed in the kernel (no record, no histogram) */
	__u64 moved;	       /* entries moved by evacuation */
	__u64 grow_ns_total;   /* time in grows (allocation) plus evacuation steps */
	__u64 grow_ns_max;     /* longest single grow or evacuation step */
	__u64 alloc_ns_total;  /* grow begin..end only */
	__u64 evac_ns_total;   /* evacuation steps only */
	__u64 grows_done;      /* grows whose evacuation completed */
	/*
	 * A profile map's evacuation running at its last reading (Go: oldbuckets set): old
	 * buckets evacuated (evac_pos, also in evacuated) of evac_of, evac_elapsed_ns since the
	 * grow that began it (0 unknown); evac_of 0: none running
	 */
	__u64 evac_pos, evac_of, evac_elapsed_ns;
	__u64 sizes[MT_MAX_SIZES]; /* B path (initial B, then after each doubling), or sizes */
	int nsizes;
	__u32 B;	       /* current B (of the largest inner map) */
	__s64 count;	       /* live entries, -1 when unknown (map created before tracing) */
	__u64 buckets;	       /* current buckets, summed over inner maps */
	__u64 capacity;	       /* entries it holds before its next grow: 6.5 * buckets */
	__u64 peak_count;
	__u32 dir_depth;       /* a Go Swiss map's deepest directory depth, + 1; 0 unknown */
	__s64 first_count;     /* created before tracing: entries when first seen (summed over
				* inner maps); -1 when every creation was seen */
	__u64 sync_hits;
	__u64 sync_misses;
	__u64 promotions;
	struct hist grow_hist; /* each grow's and each evacuation step's duration */
	struct mt_stack_cost top_stacks[MT_TOP_STACKS]; /* stacks that triggered grows */
	int ntop;
};

struct lock_report {
	__u64 addr;
	const char *name;      /* the data symbol the lock is, or "" */
	int kind;	       /* enum mt_lock_kind */
	__u64 map;	       /* the map it guards, 0 when unknown */
	bool from_library;     /* seen through the library's lock probes */
	__u64 contentions;
	__u64 wait_ns;
	__u64 read_contentions, read_wait_ns;
	__u64 write_contentions, write_wait_ns;
	__u64 p50_ns, p99_ns, max_ns;
	__u64 folded;	       /* > 0: a row of that many cold futex words of one kind and top
				* stack (addr 0), figures summed */
	__u32 fold_id;	       /* with folded: the row's number, the same all run (1, 2, ...) */
	struct hist hist;
	struct mt_stack_cost top_stacks[MT_TOP_STACKS];
	int ntop;
	/* who held it: the stacks whose release woke a waiter (count: such wakes), most first */
	struct mt_stack_cost holder_stacks[MT_TOP_STACKS];
	int nholders;
	__u64 holder_wakes;    /* the waking releases of all its holder stacks */
	/*
	 * libcmap's locks: the holds another thread waited behind (acquisition to release, the
	 * library's clock): how many (hold_count, the untimed ones included), how many of them
	 * the library did not time (hold_untimed), and of the timed ones the total, percentiles
	 * and releasing stacks (count, ns)
	 */
	__u64 hold_count, hold_untimed, hold_ns, hold_p50_ns, hold_p99_ns, hold_max_ns;
	struct mt_stack_cost hold_stacks[MT_TOP_STACKS];
	int nhold_stacks;
};

/* Process and run metadata. */
struct run_info {
	int pid;
	char comm[64];
	char cmdline[512];
	char hostname[128];
	char kernel[128];
	char version[32];
	__u64 start_wall_ns;   /* CLOCK_REALTIME at start */
	__u64 start_mono_ns;   /* CLOCK_MONOTONIC at start */
	__u64 end_mono_ns;
	bool library_found;    /* the map library's probes were attached */
	char libraries[512];   /* library names by record lib index, comma-separated */
	char unmade[512];      /* of them, those no probe sees making a map (libstdc++): their
				* maps are first seen at a resize, made before attach or not */
	bool target_exited;
	/* --overhead-budget: the per-insert probes ran only part of the time */
	double budget_pct;     /* 0: not bounded */
	double duty;	       /* share of the time they were attached (0..1) */
	bool lib_counts;       /* inserts, deletes and counts read from the library's counters */
	bool profile_sampled;  /* a profile map's inserts, deletes, lookups: counted while attached */
};

/**
 * run_info__library() - the name of library index @lib of the run: "cmap" for 0, a profile's
 * name such as "glib" for the others (from @info->libraries), "?" when the run does not say.
 * Return: @buf.
 */
char *run_info__library(const struct run_info *info, unsigned int lib, char *buf, size_t size);

struct report {
	struct run_info info;
	struct map_report *maps;   /* sorted by cost: grow time, then grows, then inserts */
	int nmaps;
	struct lock_report *locks; /* sorted by total wait; after report__build() only lock
				    * contention (mutexes, rwlocks) */
	int nlocks;
	struct lock_report *waits; /* report__build(): the other futex waits (condvar, barrier,
				    * join, semaphore, unknown), sorted by total wait */
	int nwaits;
	struct {
		__u64 count, ns;
	} wait_kinds[MT_LOCK_KINDS]; /* report__build(): waits and their time by kind, over
				      * every row, before --top */
	struct mt_stack *stacks;   /* shared stack table, indexes from the rows above */
	int nstacks;
	int *stack_canon;	   /* per stack index, the one its path is counted under (a
				    * frame-pointer stack cut short: its DWARF twin; stackmerge.h);
				    * rows hold only these; NULL: each its own.  report__stack()
				    * resolves any index through it */
	char **advice;
	int nadvice;
	const struct model_event *event_log; /* every event in arrival order, when kept; else NULL */
	size_t nevent_log;
	__u64 events_not_kept;	   /* events past the log's cap (MODEL_EVENT_LOG_MAX) */
	__u64 maps_folded;	   /* freed maps folded into per-site rows (map_report.folded) */
	/*
	 * libcmap's own totals over the trace (the last reading less the first): every map
	 * created and freed and every grow, those of maps too small for a probe too
	 */
	bool lib_totals_seen;
	struct mt_ev_lib_totals lib_totals;
	__u64 locks_folded;	   /* cold futex words folded into per-stack rows */
	__u64 dropped[MT_DROP_MAX];
	__u64 events;		   /* records processed */
	__u64 futex_waits_in_lib;  /* futex waits already counted as library lock waits */
	struct line_share *line_shares; /* report__build(): contended locks sharing a cache line */
	int nline_shares;
	bool final;		   /* the whole-run summary (vs an interval) */
	/*
	 * Maps created before tracing (their grows before it are not seen): counted by
	 * report__build() over every row before --top, plus those the snapshot saw only freed;
	 * the one first seen fullest, with its entries then (addr 0: none was seen holding any).
	 */
	struct {
		__u64 maps;	/* every one: rows, and the freed below */
		__u64 addr;
		__u64 count;
		__u64 freed;	/* of them, freed during the trace with nothing else seen (no row) */
		__u64 unmade;	/* rows of a library in info.unmade: not counted in maps (no
				 * probe could have seen them made, before attach or after) */
	} before_attach;
};

struct model;

/** model__new() - an empty model. NULL on ENOMEM. */
struct model *model__new(void);

/** model__free() - free the model and all its strings. NULL is allowed. */
void model__free(struct model *m);

/*
 * Freed maps that keep rows of their own; past this many, freed maps are folded into one row per
 * creation site (map_report.folded), so a program that makes maps without end costs bounded memory.
 */
#define MODEL_FREED_KEEP 1024

/* Events the log keeps at most (about 100 bytes each); later ones are counted, not kept. */
#define MODEL_EVENT_LOG_MAX 1000000

/**
 * model__keep_events() - from now on keep a copy of every record, for backends that draw
 * timelines or list events, up to MODEL_EVENT_LOG_MAX.  Freed maps and cold futex words are
 * then not folded (the events name them).
 */
void model__keep_events(struct model *m, bool keep);

/** model__info() - the run metadata (a collector sets it through the sink's info). */
struct run_info *model__info(struct model *m);

/**
 * model__intern_stack() - add a symbolized stack (leaf first) to the model's stack table,
 * deduplicated.  Frame strings are copied.
 * Return: the stack's index (>= 0) or -ENOMEM.
 */
int model__intern_stack(struct model *m, const struct mt_frame *frames, int nframes);

/**
 * model__add_event() - aggregate one decoded record (mt_event_decode()).
 * @stack: index from model__intern_stack() for the record's stack, or -1.
 * Return: 0 or -ENOMEM.
 */
int model__add_event(struct model *m, const struct mt_event *ev, int stack);

/**
 * model__sink() - the model as a sink (sink.h): what a live tracer or a trace-file reader
 * feeds.  The sink numbers stacks (model__intern_stack()); its run metadata replaces the
 * model's (begin), and at the end its end_mono_ns and target_exited (end).
 */
void model__sink(struct model *m, struct sink *out);

/**
 * model__set_counts() - the kernel's current hot counters of core map @map (absolute values,
 * summed over CPUs); replaces earlier ones.
 */
int model__set_counts(struct model *m, __u64 map, const struct mt_map_counts *c);

/**
 * model__set_lib_counts() - exact figures of core map @map read from the library's own
 * counters in the target's memory: they replace what per-operation probes counted (inserts,
 * deletes, live entries, evacuation, lookups, the library's own evacuation time).
 * Return: 0 or -ENOMEM.
 */
int model__set_lib_counts(struct model *m, __u64 map, const struct mt_ev_lib_counts *c);

#define MT_NAME_MAX 128

/**
 * model__name_map() - name the map now at @map (it is made up when not seen yet).
 * Return: 0 or -ENOMEM.
 */
int model__name_map(struct model *m, __u64 map, const char *name);

/**
 * model__go_type() - the map now at @map is of Go type @type (made up when not seen yet).
 * Return: 0 or -ENOMEM.
 */
int model__go_type(struct model *m, __u64 map, const char *type);

/**
 * model__alias_lock() - futex waits on @word are waits for the lock at @lock, named @name
 * ("" or NULL: unnamed).  GLib's GRWLock points to a pthread_rwlock_t elsewhere, whose words
 * the waiters sleep on.  Applies to waits added from now on.
 */
int model__alias_lock(struct model *m, __u64 word, __u64 lock, const char *name);

/** model__set_dropped() - the kernel's loss counters (absolute). */
void model__set_dropped(struct model *m, const __u64 dropped[MT_DROP_MAX]);

/**
 * model__snapshot() - the model's figures as a report: inner maps folded into their
 * concurrent map, rows sorted by cost, percentiles computed; no advice, every row.  The report
 * refers to the model's strings and stacks: free it (report__free()) before the model.
 * Reports are built by report__build() (report.h), which adds the advice and cuts the rows.
 */
int model__snapshot(struct model *m, bool final, struct report **out);

/*
 * The names of kinds and variants are inline, so that what only reads reports (prom.c's and the
 * report backends' unit tests) need not link the model.
 */

/**
 * mt_lock_kind_name() - "mutex", "rwlock", "condvar", "barrier", "join", "semaphore",
 * "go-park", "go-rtlock" (the Go runtime's parking and own locks), or "futex" for a futex of
 * unknown kind.
 */
static inline const char *mt_lock_kind_name(int kind)
{
	switch (kind) {
	case MT_LOCK_MUTEX:
		return "mutex";
	case MT_LOCK_RWLOCK:
		return "rwlock";
	case MT_LOCK_CONDVAR:
		return "condvar";
	case MT_LOCK_BARRIER:
		return "barrier";
	case MT_LOCK_JOIN:
		return "join";
	case MT_LOCK_SEMAPHORE:
		return "semaphore";
	case MT_LOCK_GO_PARK:
		return "go-park";
	case MT_LOCK_GO_RTLOCK:
		return "go-rtlock";
	default:
		return "futex";
	}
}

/** mt_variant_name() - "plain", "mutex", "rwlock", "sharded", "sync" or "?". */
static inline const char *mt_variant_name(int variant)
{
	static const char *const names[] = { "plain", "mutex", "rwlock", "sharded", "sync" };

	if (variant < 0 || variant >= (int)ARRAY_SIZE(names))
		return "?";
	return names[variant];
}

#endif /* MT_MODEL_H */
