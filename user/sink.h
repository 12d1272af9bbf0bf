/* SPDX-License-Identifier: MIT */
/*
 * Where collected facts go.  The live tracer and the trace-file reader both feed a sink; the
 * model and the trace-file writer both are one.  Live, the tracer feeds a tee of the two, so
 * each enrichment (a stack, a map's name, a lock alias, counters, losses) is made once and
 * reaches both; a replay feeds the model alone, with the same calls in the same order, so it
 * rebuilds the model the live run had.
 */
#ifndef MT_SINK_H
#define MT_SINK_H

#include <linux/types.h>
#include "maptrace.h"
#include "mt_event.h"

struct mt_frame;
struct run_info;

/*
 * Every operation returns 0 or a negative errno.  An operation a sink has no use for may be
 * NULL: the caller's sink__*() helper then does nothing for it.
 */
struct sink_ops {
	/*
	 * The run's metadata (pid, comm, host, clocks, libraries): first as the run starts, then
	 * again as it changes (the clock at each interval report, the probes' sampling duty).
	 */
	int (*info)(void *ctx, const struct run_info *info);
	/*
	 * A symbolized stack, leaf first.  @idx < 0: intern it and return its index (>= 0), the
	 * same for the same stack.  @idx >= 0: a sink earlier in a tee gave it that index; record
	 * it under @idx (again: nothing).
	 */
	int (*stack)(void *ctx, int idx, const struct mt_frame *frames, int nframes);
	/* one record, raw (as BPF wrote it, for the trace file) and decoded (for the model) */
	int (*event)(void *ctx, const struct mt_hdr *rec, const struct mt_event *ev, int stack);
	/* the map now at @map is called @name (a profile map's dict type) */
	int (*name_map)(void *ctx, __u64 map, const char *name);
	/* the map now at @map is of Go type @type ("map[int]int") */
	int (*go_type)(void *ctx, __u64 map, const char *type);
	/* futex waits on @word from now on are waits for the lock at @lock, called @name */
	int (*alias_lock)(void *ctx, __u64 word, __u64 lock, const char *name);
	/* a core map's in-kernel hot counters (absolute, summed over CPUs) */
	int (*counts)(void *ctx, __u64 map, const struct mt_map_counts *c);
	/* a core map's own counters, read from the library's struct in the target's memory */
	int (*lib_counts)(void *ctx, __u64 map, const struct mt_ev_lib_counts *c);
	/* the kernel's loss counters (absolute) */
	int (*dropped)(void *ctx, const __u64 dropped[MT_DROP_MAX]);
	/* the run ends: its metadata with end_mono_ns and target_exited set */
	int (*end)(void *ctx, const struct run_info *info);
};

/** A sink: its operations and their context. */
struct sink {
	const struct sink_ops *ops;
	void *ctx;
};

/** sink__info() - see struct sink_ops.  Every sink__*() does nothing for a NULL op. */
int sink__info(const struct sink *s, const struct run_info *info);

/** sink__stack() - intern a stack (@idx -1) or record one under @idx.  Return: the index. */
int sink__stack(const struct sink *s, int idx, const struct mt_frame *frames, int nframes);

/** sink__event() - one record, raw and decoded, with its stack index (-1: none). */
int sink__event(const struct sink *s, const struct mt_hdr *rec, const struct mt_event *ev,
		int stack);

/** sink__name_map() - see struct sink_ops. */
int sink__name_map(const struct sink *s, __u64 map, const char *name);

/** sink__go_type() - see struct sink_ops. */
int sink__go_type(const struct sink *s, __u64 map, const char *type);

/** sink__alias_lock() - see struct sink_ops. */
int sink__alias_lock(const struct sink *s, __u64 word, __u64 lock, const char *name);

/** sink__counts() - see struct sink_ops. */
int sink__counts(const struct sink *s, __u64 map, const struct mt_map_counts *c);

/** sink__lib_counts() - see struct sink_ops. */
int sink__lib_counts(const struct sink *s, __u64 map, const struct mt_ev_lib_counts *c);

/** sink__dropped() - see struct sink_ops. */
int sink__dropped(const struct sink *s, const __u64 dropped[MT_DROP_MAX]);

/** sink__end() - see struct sink_ops. */
int sink__end(const struct sink *s, const struct run_info *info);

/*
 * A tee: every call goes to @first, then to @second.  @first numbers the stacks (it must
 * intern them: the model); @second records each under that number (the trace writer).  The
 * tee returns what @first returned.  The first error of @second is kept in second_err and
 * @second gets no call after it, so a full disk ends the trace file, not the live report.
 */
struct sink_tee {
	struct sink first, second;
	int second_err; /* 0, or the first error @second returned */
};

/** sink_tee__init() - make @tee a sink that feeds @first then @second, in @out. */
void sink_tee__init(struct sink_tee *tee, struct sink first, struct sink second,
		    struct sink *out);

#endif /* MT_SINK_H */
