/* SPDX-License-Identifier: MIT */
/*
 * Report backends: every output format (text, JSON, folded stacks, pprof, Chrome trace)
 * renders the same struct report (model.h) and knows nothing of how it was collected.  A
 * backend is one file that defines one struct report_backend and adds it to the table in
 * report.c; callers pick one by name.
 *
 * The helpers below are shared by backends so that a duration or a frame reads the same in
 * every format.
 */
#ifndef MT_REPORT_H
#define MT_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <linux/types.h>
#include "model.h"

/* Columns the text backend fits its tables into when the caller does not say. */
#define REPORT_DEFAULT_WIDTH 120

/* What the value of a stack is, in backends that weigh stacks (folded, pprof). */
enum report_weight {
	REPORT_WEIGHT_DEFAULT = 0, /* wait ns for lock stacks, rehash ns for grow stacks */
	REPORT_WEIGHT_WAIT_NS,	   /* lock wait time only (implies lock stacks) */
	REPORT_WEIGHT_REHASH_NS,   /* grow and evacuation time only (implies grow stacks) */
	REPORT_WEIGHT_COUNT,	   /* contended waits; grows (evacuation steps weigh 0) */
};

/* Which costs the stack backends (folded, pprof) show. */
enum report_what {
	REPORT_WHAT_ALL = 0, /* both, kept apart (each backend says how) */
	REPORT_WHAT_LOCKS,   /* contended lock waits */
	REPORT_WHAT_GROWS,   /* grows and evacuation steps */
	REPORT_WHAT_HOLDERS, /* the locks' holder stacks, weighed by their waking releases */
};

/* How to render.  Zero-initialised options are a sensible default for every backend. */
struct report_opts {
	int top;	 /* rows per table and stacks per section; 0: all */
	bool histograms; /* text: histograms and full stacks in interval reports too (the final
			  * summary always has them) */
	bool color;	 /* text: bold headings (only when writing to a terminal) */
	bool pretty;	 /* json: one member per line, indented */
	int width;	 /* text: columns to fit rows into; 0: REPORT_DEFAULT_WIDTH */
	enum report_weight weight; /* folded, pprof: what a stack weighs */
	enum report_what what;	   /* folded, pprof: lock stacks, grow stacks or both */
	bool events;		   /* json: every record of the event log too ("event_log") */
	bool all_waits;		   /* the waits that are not lock contention (report.waits) as
				    * rows and stacks too; JSON always has them */
	const struct report_history *history; /* text: the previous interval's counters, for
					       * per-second rates beside the totals; NULL: none */
};

/* What a backend needs and makes, so callers never special-case a format by its name. */
#define REPORT_LIVE	 1u /* prints interval reports during a live run (a terminal's format) */
#define REPORT_EVENTS	 2u /* reads the event log: the model must keep every event */
#define REPORT_ALL_ROWS	 4u /* covers every map and lock (a profile, a timeline): --top ignored */
#define REPORT_BINARY	 8u /* binary output: refused on a terminal */

struct report_backend {
	const char *name; /* what --format takes: "text", "json" */
	const char *desc; /* one line for --help */
	unsigned int traits; /* REPORT_* */
	/*
	 * emit() - write @r to @out.  Return: 0, -EIO when writing failed, -ENOMEM, or -EINVAL
	 * for a report it cannot render.
	 */
	int (*emit)(FILE *out, const struct report *r, const struct report_opts *o);
};

/* The backends, one per file (report_<name>.c). */
extern const struct report_backend report_text_backend;
extern const struct report_backend report_json_backend;
extern const struct report_backend report_folded_backend;
extern const struct report_backend report_pprof_backend;
extern const struct report_backend report_chrome_backend;
extern const struct report_backend report_html_backend;

/**
 * report_backend__find() - the backend called @name.
 * Return: the backend, or NULL when there is none (list them with report_backend__get()).
 */
const struct report_backend *report_backend__find(const char *name);

/** report_backend__get() - the @i-th backend, for listing them; NULL past the last one. */
const struct report_backend *report_backend__get(int i);

/**
 * report__build() - a report of model @m: its snapshot (model__snapshot()) with the futex waits
 * that are not lock contention moved from .locks to .waits, the advice drawn from every row,
 * then the rows cut to @top per table (0: all).  Free it with report__free()
 * before the model.  Return: 0 or -ENOMEM.
 */
int report__build(struct model *m, bool final, int top, struct report **out);

/*
 * False sharing: contended locks whose hot bytes share a 64-byte cache line, so that taking one
 * invalidates the line under the threads spinning or sleeping on another.  A lock's hot bytes are
 * the REPORT_LOCK_HOT_BYTES from its address (glibc's pthread_mutex_t writes __lock, __count,
 * __owner and __nusers, bytes 0..15, on every contended acquisition and release).  Rows less
 * than that apart are words of one lock (an rwlock's futex words), never two locks.
 */
#define REPORT_CACHE_LINE 64
#define REPORT_LOCK_HOT_BYTES 16
#define REPORT_LINE_SHARE_MAX 8

/* One group of contended locks chained by shared lines, in address order. */
struct line_share {
	__u64 locks[REPORT_LINE_SHARE_MAX]; /* the first REPORT_LINE_SHARE_MAX of the group */
	int nlocks;			     /* locks in the group (may exceed the array) */
	__u64 first_line, last_line;	     /* addresses of the first and last line shared */
	__u64 contentions, wait_ns;	     /* summed over the group */
};

/**
 * report__fmt_line_share() - the locks of group @g: "0x1000, 0x1028", with " and N more" past
 * the ones it keeps.  Return: @buf.
 */
char *report__fmt_line_share(char *buf, size_t size, const struct line_share *g);

/**
 * report__fmt_go_runtime() - the Go runtime's own futex waits of @r, which are not lock
 * contention (lockkind.h): "Go runtime's own futex waits (no map's lock): 2428 parking idle
 * threads (14.0s), 162 in runtime.lock2 (107ms)".  Return: @buf, or NULL when there are none.
 */
char *report__fmt_go_runtime(char *buf, size_t size, const struct report *r);

/*
 * What a report shows of its rows: --map and --lock filters and --sort.  A filter is an address
 * ("0x55d0a0001000") or a name: a map's name (a Redis dict's type) or the function it was
 * created in, a lock's data symbol.  --map keeps the maps it names and the locks guarding them;
 * --lock the locks it names and the maps they guard; both keep what both select.  Advice lines
 * are kept when they name a row kept.
 */
struct report_select {
	const char *map;  /* NULL: every map */
	const char *lock; /* NULL: every lock */
	const char *sort; /* a report__sort_keys() name; NULL: by cost */
};

/**
 * report__sort_keys() - the column names --sort takes, comma-separated: "inserts,grows,...".
 */
const char *report__sort_keys(void);

/** report__sort_valid() - is @name one of report__sort_keys()? */
bool report__sort_valid(const char *name);

/**
 * report__filter() - leave out of @r the rows, false-sharing groups and advice lines that
 * @sel's --map and --lock do not select (struct report_select).  Return: 0 or -ENOMEM.
 */
int report__filter(struct report *r, const struct report_select *sel);

/** report__sort() - sort @r's table that has column @name (report__sort_keys()). */
void report__sort(struct report *r, const char *name);

/**
 * report__build_sel() - report__build() with @sel applied (NULL: none) before the cut to @top:
 * advice is drawn from every row, then the rows and advice not selected are left out, then the
 * rest sorted.  Return: 0 or -ENOMEM.
 */
int report__build_sel(struct model *m, bool final, int top, const struct report_select *sel,
		      struct report **out);

/*
 * Per-interval rates for live reports: a row's counters at the previous report, so the text
 * backend can show grows/s, waits/s and wait time/s of the last interval beside the totals.
 */
struct report_history;

/** report_history__new() - no previous report yet (rates: since the start).  NULL on ENOMEM. */
struct report_history *report_history__new(void);

/**
 * report_history__update() - remember @r's counters (every row it holds) and clock as the
 * previous report's.  Return: 0 or -ENOMEM.
 */
int report_history__update(struct report_history *h, const struct report *r);

/* The counters a rate can be asked of. */
enum report_rate {
	REPORT_RATE_GROWS,   /* a map's grows */
	REPORT_RATE_WAITS,   /* a lock's contended waits */
	REPORT_RATE_WAIT_NS, /* a lock's wait time */
};

/**
 * report_history__rate() - how fast @what of row @addr rose since the previous report (since
 * the start for the first one), per second of @r's clock, with @now the row's value in @r.
 * Return: false when @r's clock did not advance (no rate to give).
 */
bool report_history__rate(const struct report_history *h, const struct report *r, __u64 addr,
			  enum report_rate what, __u64 now, double *per_s);

/** report_history__free() - NULL is allowed. */
void report_history__free(struct report_history *h);

/** report__free() - free a report from report__build(). NULL is allowed. */
void report__free(struct report *r);

/** report__duration_ns() - length of the traced period, 0 when the clock readings are unset. */
__u64 report__duration_ns(const struct report *r);

/**
 * report__nothing_seen() - the final report of a target that exited within a second of the
 * attach with nothing of it (no map, no wait) seen: its work may have been over before.
 */
bool report__nothing_seen(const struct report *r);

/** report__dropped_total() - the sum of every loss counter. */
__u64 report__dropped_total(const struct report *r);

/**
 * report__stack_id() - the index stack @idx is counted under: its path's one stack
 * (report.stack_canon), @idx itself when it has no other.  -1 and indexes outside the table
 * are returned as they are.
 */
int report__stack_id(const struct report *r, int idx);

/**
 * report__stack() - the stack at index @idx of the report's stack table, through
 * report__stack_id(): a stack cut short reads as the one its path is counted under.
 * Return: NULL for -1 ("no stack") and for an index outside the table.
 */
const struct mt_stack *report__stack(const struct report *r, int idx);

/** report__find_map() - the map row at address @addr, NULL when it is not in the report. */
const struct map_report *report__find_map(const struct report *r, __u64 addr);

/**
 * report__fmt_ns() - a duration with a unit chosen to keep three significant digits:
 * "850ns", "12.3us", "20.0ms", "1.25s", "99999s", "27.8h".  At most 6 characters (below
 * 10^5 hours, 11 years), which table columns rely on.  Return: @buf.
 */
char *report__fmt_ns(char *buf, size_t size, __u64 ns);

/**
 * report__fmt_frame() - one frame in full: "func+0xoff (file:line) [module basename]", with
 * "0xIP" for the function when it is unknown and the parts in brackets left out when unknown.
 * Return: @buf.
 */
char *report__fmt_frame(char *buf, size_t size, const struct mt_frame *f);

/**
 * report__own_frame() - the innermost frame of stack @idx outside the lock implementation
 * (glibc's futex and pthread functions, as report__fmt_stack_line() skips them); NULL when
 * the stack has none.
 */
const struct mt_frame *report__own_frame(const struct report *r, int idx);

/**
 * report__hold_site() - where holder stack @idx released the lock, in the program: its first
 * frame outside the lock implementation and outside libcmap (whose update runs the caller's
 * work under its lock); libcmap's frame when nothing follows it.  NULL when it has no frame.
 */
const struct mt_frame *report__hold_site(const struct report *r, int idx);

/**
 * report__fmt_stack_line() - stack @idx on one line, leaf first, function names only:
 * "take_lock <- worker <- start_thread".  Leading frames of the lock implementation (glibc's
 * futex wait and pthread lock functions) are left out when a caller remains, so the line
 * starts where the program asked for the lock.  At most @max_frames frames (0: all); "-" when
 * there is no stack.  Return: @buf.
 */
char *report__fmt_stack_line(char *buf, size_t size, const struct report *r, int idx,
			     int max_frames);

/**
 * report__module_base() - basename of a module path ("" stays "").
 */
const char *report__module_base(const char *module);

/** report__lock_label() - "NAME (0xADDR)" for a lock with a name, else "0xADDR". */
char *report__lock_label(char *buf, size_t size, const struct lock_report *l);

/**
 * report__sync_hits_known() - whether map row @m's sync-map hits were counted: not for Go's
 * sync.Map (profile gosync), whose Load fast path is not probed (only its misses are).
 */
bool report__sync_hits_known(const struct map_report *m);

/**
 * report__evac_text() - map row @m's incremental evacuation running at its last reading (a Go
 * map's oldbuckets set), in words, into @buf: "evacuating: 1033 of 16384 old buckets moved
 * (6%), 2.01s since its grow"; "" when none runs.  Return: @buf.
 */
char *report__evac_text(char *buf, size_t size, const struct map_report *m);

/** report__mode_name() - "write", "read" or "unknown" (enum mt_lock_mode). */
const char *report__mode_name(unsigned int mode);

/*
 * Stack costs for the backends that weigh stacks (folded, pprof).
 *
 * The rows keep only their MT_TOP_STACKS costliest stacks, and a map row's top stacks hold
 * the grow (allocation) time alone, so when the model kept its event log the costs are summed
 * from the events instead: every contended wait (MT_REC_LOCK_WAIT, and MT_REC_FUTEX_WAIT
 * outside a library lock wait) and every grow and evacuation step, each charged to the stack
 * it was recorded with.  Only events that count toward a row of the report are included, so
 * the costs add up exactly to the rows' totals (lock wait_ns, map grow_ns_total) even when
 * the rows were cut to the top N.  Without the event log the rows' top stacks are used, and
 * what they leave out is charged to REPORT_STACK_OTHER, so the totals still add up.
 */

/* Stack index of the part of a row's cost that its top stacks leave out. */
#define REPORT_STACK_OTHER (-2)
/*
 * Stack index of the part of a map's grow time no event carries: its evacuation time, which the
 * map measures itself, while no probe sees each step (without --detail).
 */
#define REPORT_STACK_UNPROBED (-3)

/**
 * report__stack_placeholder() - the frame a stack backend shows for a cost with no stack of its
 * own: "[other stacks]", "[evacuation steps: not probed, see --detail]" or "[no stack]".
 */
const char *report__stack_placeholder(int idx);

/* What one stack cost, toward one lock or one map. */
struct report_cost {
	int stack;    /* index into report.stacks; -1: recorded without a stack;
		       * REPORT_STACK_OTHER: not among the row's top stacks;
		       * REPORT_STACK_UNPROBED: evacuation time with no event */
	__u64 object; /* the lock's address, or the (top-level) map's */
	__u64 count;  /* contended waits; or grows (evacuation steps count 0) */
	__u64 ns;     /* wait time; or grow plus evacuation time */
};

/**
 * report__costs() - the stack costs of the locks (@what REPORT_WHAT_LOCKS; with @waits, of
 * the other futex waits too) or of the grows (REPORT_WHAT_GROWS) of @r, sorted by stack then
 * object, one entry per (stack, object).
 * @out: a malloc()ed array the caller frees (NULL when *@n is 0).
 * @exact: set to true when the costs come from the event log, false when from the rows' top
 * stacks; may be NULL.
 * Return: 0, -ENOMEM, or -EINVAL for another @what.
 */
int report__costs(const struct report *r, enum report_what what, bool waits,
		  struct report_cost **out, size_t *n, bool *exact);

/**
 * report__kinds() - which kinds of cost the stack backends show for @o (NULL: defaults):
 * --what, narrowed by a weight of one kind ("wait-ns": locks, "rehash-ns": grows).
 * Return: 0, or -EINVAL when the weight contradicts --what (rehash-ns with locks only).
 */
int report__kinds(const struct report_opts *o, bool *locks, bool *grows);

/**
 * report__frame_name() - the name a stack backend shows for a frame: the function, else
 * "module+0xoffset" (module basename, module-relative address), else "[unknown]"; control
 * characters become spaces.  Return: @buf.
 */
char *report__frame_name(char *buf, size_t size, const struct mt_frame *f);

/*
 * A replay of the event log in the model's own order, saying which report row each event
 * counts toward: a wait toward its lock (a futex wait inside a library lock's futex words
 * counts toward that lock, as in the model), a grow or evacuation step toward the top-level
 * map that owns the core map (inner maps fold into their concurrent map).
 */
struct report_replay;

/**
 * report_replay__new() - a replay of @r's event log from its start; with @waits the rows of
 * report.waits count as rows too.  NULL on ENOMEM.
 */
struct report_replay *report_replay__new(const struct report *r, bool waits);

/**
 * report_replay__step() - feed the next event of the log (in order).
 * @owner: set to the lock or top-level map address the event concerns; 0 when it concerns
 * none (a futex wait already counted as a library lock wait, an unknown record).
 * Return: true when the event is a cost (contended wait, grow, evacuation step) that counts
 * toward a row present in the report; false otherwise (including rows cut by --top).
 */
bool report_replay__step(struct report_replay *rp, const struct model_event *ev, __u64 *owner);

/** report_replay__free() - NULL is allowed. */
void report_replay__free(struct report_replay *rp);

#endif /* MT_REPORT_H */
