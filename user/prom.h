/* SPDX-License-Identifier: MIT */
/*
 * Prometheus exposition: maptrace's report as the text format version 0.0.4, and a small
 * HTTP/1.1 server (prom_http.h) that serves it on GET /metrics, for fleets that already run
 * Prometheus.
 *
 * Families (docs/prometheus.md has the details and example queries):
 *   maptrace_attached                      gauge      pid, comm
 *   maptrace_dropped_records_total         counter    pid, comm, reason
 *   maptrace_map_inserts_total             counter    pid, comm, map, library, created_at
 *   maptrace_map_grows_total               counter    "
 *   maptrace_map_evacuated_buckets_total   counter    "
 *   maptrace_map_buckets                   gauge      "
 *   maptrace_map_entries                   gauge      " (left out while the count is unknown)
 *   maptrace_rehash_seconds                histogram  " (each grow and evacuation step)
 *   maptrace_lock_wait_seconds             histogram  pid, comm, lock, kind, map
 *
 * Histogram buckets are fixed and sit on struct hist bucket boundaries, so every recorded
 * value falls into exactly one of them: two bounds per octave, 2^k ns and 1.5 * 2^k ns.
 * Lock waits span 2^10 ns (1.024 us) to 2^34 ns (17.2 s), rehash times 2^7 ns (128 ns) to
 * 2^31 ns (2.15 s): 49 bounds each, plus +Inf.  A bound of B ns counts the values below B
 * (values are whole nanoseconds, and one of exactly B ns counts in the next bucket).
 *
 * Cardinality is bounded: per process, the top N maps and the top N locks by cost get a
 * series of their own; the rest are folded into one series with map="other" (maps) or
 * lock="other" (locks), so nothing is left out of a sum over a family.
 *
 * Counters stay monotonic from scrape to scrape although the top N can change: struct
 * prom_state keeps, for each map and lock, its values at the previous update, and adds each
 * update's increase to the row's own series only when the row had its own series at the
 * previous update as well; otherwise the increase goes to "other".  A row that leaves the top
 * N stops changing and its series ends; one that enters it starts its series where it stopped
 * (at 0 the first time) and counts from there.  So every exposed counter only grows, no
 * increase hides in the first sample of a new series, and sum(rate()) or sum(increase()) over
 * a family is exact.  The price: a row's own series can show less than the row's whole-run
 * total (what it gained while outside the top N, and during the update it entered, went to
 * "other"), and the raw sum over a family misses the rows whose series ended.  A row seen for
 * the first time straight in the top N starts with all it has, as any new counter does.
 *
 * Restarts: every series carries the pid label.  A new pid is a new set of series, as
 * Prometheus expects.  A process that is gone keeps its last values, frozen, with
 * maptrace_attached 0, until another pid is attached; then its series are dropped (they
 * simply end in Prometheus).
 */
#ifndef MT_PROM_H
#define MT_PROM_H

#include <stdbool.h>
#include <stddef.h>
#include "model.h"

/* Maps and locks per process with series of their own when prom_opts.top is 0. */
#define PROM_DEFAULT_TOP 20

/* Zero-initialised options are the defaults. */
struct prom_opts {
	int top;       /* maps and locks (each) with their own series; 0: PROM_DEFAULT_TOP */
	bool detached; /* prom__format() only: maptrace_attached 0 (the target is gone) */
};

/**
 * prom__format() - one report as an exposition, stateless: the first @o->top maps and locks
 * of @r (in its cost order) get their own series, the rest are folded into "other".  For a
 * live endpoint use struct prom_state, which keeps counters monotonic when the top N changes.
 * @r: a report built with no top limit (model__report(m, false, 0, &r)), so "other" holds
 * every row past the top N.
 * @o: NULL for the defaults.
 * @buf: set to a malloc()ed, NUL-terminated text the caller frees; @len to its length.
 * Return: 0 or -ENOMEM.
 */
int prom__format(const struct report *r, const struct prom_opts *o, char **buf, size_t *len);

/* The series of every traced process, kept from update to update. */
struct prom_state;

/** prom_state__new() - no process yet.  @o: NULL for the defaults.  NULL on ENOMEM. */
struct prom_state *prom_state__new(const struct prom_opts *o);

/** prom_state__free() - NULL is allowed. */
void prom_state__free(struct prom_state *st);

/**
 * prom_state__update() - take the latest report of process r->info.pid.
 * @r: a cumulative report with no top limit (model__report(m, false, 0, &r)); the state
 * copies what it needs, so @r may be freed right after.
 * @attached: true while the process is traced; false once it is gone (maptrace_attached 0,
 * its values frozen at @r's).  Updating an attached pid drops every pid that is not attached.
 * Return: 0 or -ENOMEM (the state is unchanged then).
 */
int prom_state__update(struct prom_state *st, const struct report *r, bool attached);

/**
 * prom_state__format() - the exposition of every process in @st (none yet: only HELP and
 * TYPE lines).  @buf, @len and return as prom__format().
 */
int prom_state__format(const struct prom_state *st, char **buf, size_t *len);

#endif /* MT_PROM_H */
