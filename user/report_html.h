/* SPDX-License-Identifier: MIT */
/*
 * The "html" backend's drawing half (report_html_draw.c), shared with the page itself
 * (report_html.c): SVG charts of one report, written inline into the page.  Everything drawn
 * comes from struct report and its typed event log; nothing is fetched from anywhere.
 */
#ifndef MT_REPORT_HTML_H
#define MT_REPORT_HTML_H

#include <stdbool.h>
#include <stdio.h>
#include <linux/types.h>
#include "report.h"

/* One page being written. */
struct html {
	FILE *out;
	const struct report *r;
	__u64 start, end; /* the trace's start and end, CLOCK_MONOTONIC ns */
	__u64 t0, t1;	  /* the time axis of the chart being drawn */
	bool all_waits;	  /* --all-waits: the other futex waits in the wait flame graph */
};

/** html__text() - write @s with &, <, >, " and ' escaped, control characters as spaces. */
void html__text(FILE *out, const char *s);

/**
 * html__stack() - stack @idx of the report as a <pre> of its frames, leaf first
 * (report__fmt_frame()); "(no stack)" for -1.
 */
void html__stack(struct html *h, int idx);

/**
 * html__stack_title() - stack @idx escaped for a tooltip: its frames' functions, one a line,
 * leaf first, at most @max_frames (0: all).
 */
void html__stack_title(struct html *h, int idx, int max_frames);

/**
 * html__map_chart() - map @m's entries and capacity against time, one mark per resize
 * (<g class="grow" data-kind="grow|shrink|same">, its duration, size step and stack in a
 * tooltip), evacuation and incremental rehash spans shaded.  The time axis runs from the map's
 * first event to its last, so a storm of a few milliseconds is not a sliver of a long trace.
 * Return: 0 or -ENOMEM.
 */
int html__map_chart(struct html *h, const struct map_report *m);

/** html__lock_hist() - lock @l's wait histogram in log2 buckets, P50 and P99 marked. */
void html__lock_hist(struct html *h, const struct lock_report *l);

/**
 * html__lock_timeline() - lock @l's contended waits over time (from the event log), read and
 * write apart.
 */
void html__lock_timeline(struct html *h, const struct lock_report *l);

/**
 * html__flame() - an interactive flame graph (<svg class="flame" id=@id>) of the stack costs
 * of @what (REPORT_WHAT_LOCKS: weighed by wait time; REPORT_WHAT_GROWS: by rehash time), from
 * report__costs(), so the same canonical stacks as the folded output.
 * Return: 0 or -ENOMEM.
 */
int html__flame(struct html *h, enum report_what what, const char *id);

#endif /* MT_REPORT_HTML_H */
