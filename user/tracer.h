/* SPDX-License-Identifier: MIT */
/*
 * The live collector: loads maptrace's BPF programs, attaches them to one process, and feeds
 * what they record into a model.
 */
#ifndef MT_TRACER_H
#define MT_TRACER_H

#include "args.h"
#include "model.h"
#include "target.h"

struct tracer;

struct trace_writer;
struct probe_plan;

/**
 * tracer__start() - open, configure, load and attach the BPF programs for @t.
 * @plan: the profile probes to attach (NULL or empty: none).
 * @w: when not NULL, every record, stack and counter snapshot is also written there (the
 * caller has written the metadata and writes the end record).
 * Prints a one-line message naming the problem and its fix on failure.
 * Return: 0 and *@out, or a negative errno.
 */
int tracer__start(const struct args *a, const struct target *t, const struct probe_plan *plan,
		  struct model *m, struct trace_writer *w, struct tracer **out);

/**
 * tracer__poll() - wait up to @timeout_ms for records and feed every available one to the
 * model.  Return: records consumed, or a negative errno.
 */
int tracer__poll(struct tracer *tr, int timeout_ms);

/**
 * tracer__sync() - drain the ring buffer and copy the kernel's per-map counters and loss
 * counters into the model (and the trace file), so a report built next is complete.
 */
int tracer__sync(struct tracer *tr);

/**
 * tracer__duty() - with --overhead-budget, switch the per-operation probes on or off when their
 * slice of the second is over, sizing the next slice from the hit rate just seen.  Call it
 * from the poll loop.  Return: 0 or a negative errno.
 */
int tracer__duty(struct tracer *tr);

/** tracer__traces_probe() - does maptrace attach to the library's USDT probe @name? */
bool tracer__traces_probe(const char *name);

/** tracer__free() - detach and unload everything. NULL is allowed. */
void tracer__free(struct tracer *tr);

#endif /* MT_TRACER_H */
