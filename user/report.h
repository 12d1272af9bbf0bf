/* SPDX-License-Identifier: MIT */
/*
 * Report backends: every output format (text, JSON, and later folded, pprof, Chrome trace)
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

/* How to render.  Zero-initialised options are a sensible default for every backend. */
struct report_opts {
	int top;	 /* rows per table and stacks per section; 0: all */
	bool histograms; /* text: histograms and full stacks in interval reports too (the final
			  * summary always has them) */
	bool color;	 /* text: bold headings (only when writing to a terminal) */
	bool pretty;	 /* json: one member per line, indented */
	int width;	 /* text: columns to fit rows into; 0: REPORT_DEFAULT_WIDTH */
};

struct report_backend {
	const char *name; /* what --format takes: "text", "json" */
	const char *desc; /* one line for --help */
	/*
	 * emit() - write @r to @out.  Return: 0, -EIO when writing failed, -ENOMEM, or -EINVAL
	 * for a report it cannot render.
	 */
	int (*emit)(FILE *out, const struct report *r, const struct report_opts *o);
};

/* The backends, one per file (report_<name>.c). */
extern const struct report_backend report_text_backend;
extern const struct report_backend report_json_backend;

/**
 * report_backend__find() - the backend called @name.
 * Return: the backend, or NULL when there is none (list them with report_backend__get()).
 */
const struct report_backend *report_backend__find(const char *name);

/** report_backend__get() - the @i-th backend, for listing them; NULL past the last one. */
const struct report_backend *report_backend__get(int i);

/** report__duration_ns() - length of the traced period, 0 when the clock readings are unset. */
__u64 report__duration_ns(const struct report *r);

/** report__dropped_total() - the sum of every loss counter. */
__u64 report__dropped_total(const struct report *r);

/**
 * report__stack() - the stack at index @idx of the report's stack table.
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

#endif /* MT_REPORT_H */
