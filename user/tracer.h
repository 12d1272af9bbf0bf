/* SPDX-License-Identifier: MIT */
/*
 * The live collector: loads maptrace's BPF programs (attach.c), attaches them to one process,
 * decodes what they record once (mt_event.h), symbolizes its stacks and feeds it all to a sink
 * (sink.h: the model, and the trace file with -o).
 */
#ifndef MT_TRACER_H
#define MT_TRACER_H

#include "args.h"
#include "model.h"
#include "target.h"

struct tracer;

struct probe_plan;
struct sink;

/**
 * tracer__start() - open, configure, load and attach the BPF programs for @t.
 * @plan: the profile probes to attach (NULL or empty: none).
 * @sink: where every stack, record, name, alias, counter snapshot and loss count goes (the
 * caller sends the run's metadata: sink__info(), sink__end()).  It must outlive the tracer.
 * Prints a one-line message naming the problem and its fix on failure.
 * Return: 0 and *@out, or a negative errno.
 */
int tracer__start(const struct args *a, const struct target *t, const struct probe_plan *plan,
		  const struct sink *sink, struct tracer **out);

/**
 * tracer__poll() - wait up to @timeout_ms for records and feed every available one to the
 * sink.  Return: records consumed, or a negative errno.
 */
int tracer__poll(struct tracer *tr, int timeout_ms);

/**
 * tracer__sync() - drain the ring buffer and send the kernel's per-map counters and loss
 * counters to the sink, so a report built next is complete.
 */
int tracer__sync(struct tracer *tr);

/**
 * tracer__duty() - with --overhead-budget, switch the per-operation probes on or off when their
 * slice of the second is over, sizing the next slice from the hit rate just seen.  Call it
 * from the poll loop.  Return: 0 or a negative errno.
 */
int tracer__duty(struct tracer *tr);

/**
 * tracer__sampling() - with --overhead-budget, put the bound, the share of time the
 * per-operation probes were attached, and lib_counts (figures read from the library's own
 * counters) in @info; without it, leave @info as it is.
 */
void tracer__sampling(const struct tracer *tr, struct run_info *info);

/**
 * tracer__traces_probe() - does maptrace attach to the library's USDT probe @name, with
 * (@detail) or without --detail?
 */
bool tracer__traces_probe(const char *name, bool detail);

/** tracer__free() - detach and unload everything. NULL is allowed. */
void tracer__free(struct tracer *tr);

#endif /* MT_TRACER_H */
