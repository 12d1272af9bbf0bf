// SPDX-License-Identifier: MIT
/*
 * The html backend's SVG: a map's entries and capacity over time, a lock's wait histogram and
 * waits over time, and flame graphs.  Coordinates are in a fixed viewBox that the page scales
 * to its width; every element that a test or the page's script looks for has a class: "grow"
 * marks (data-kind), "evac" spans, "bar" buckets, "fr" flame frames.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cmap.h"
#include "report_html.h"
#include "util.h"

#define FRAME_BUF 1024

/* Charts: a viewBox of CH_W x CH_H with the plot inside the margins. */
#define CH_W 1000
#define CH_H 220
#define PL 70
#define PR 20
#define PT 14
#define PB 30
#define PLOT_W (CH_W - PL - PR)
#define PLOT_H (CH_H - PT - PB)

/* Resizes marked on one map's chart at most (each carries its stack): the page stays small. */
#define MAP_MARKS_MAX 2000

void html__text(FILE *out, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&':
			fputs("&amp;", out);
			break;
		case '<':
			fputs("&lt;", out);
			break;
		case '>':
			fputs("&gt;", out);
			break;
		case '"':
			fputs("&quot;", out);
			break;
		case '\'':
			fputs("&#39;", out);
			break;
		default:
			/* a newline is kept: tooltips use it between frames */
			fputc((unsigned char)*s < 0x20 && *s != '\n' ? ' ' : *s, out);
		}
	}
}

void html__stack(struct html *h, int idx)
{
	const struct mt_stack *st = report__stack(h->r, idx);
	char buf[FRAME_BUF];

	fputs("<pre class=\"stack\">", h->out);
	if (!st || !st->nframes)
		html__text(h->out, report__stack_placeholder(idx < 0 ? idx : -1));
	for (int i = 0; st && i < st->nframes; i++) {
		html__text(h->out, report__fmt_frame(buf, sizeof(buf), &st->frames[i]));
		fputc('\n', h->out);
	}
	fputs("</pre>", h->out);
}

void html__stack_title(struct html *h, int idx, int max_frames)
{
	const struct mt_stack *st = report__stack(h->r, idx);
	char buf[FRAME_BUF];
	int n = st ? st->nframes : 0;

	if (!n) {
		html__text(h->out, "(no stack)");
		return;
	}
	for (int i = 0; i < n && (!max_frames || i < max_frames); i++) {
		html__text(h->out, report__frame_name(buf, sizeof(buf), &st->frames[i]));
		if (i + 1 < n)
			fputc('\n', h->out);
	}
	if (max_frames && n > max_frames)
		fprintf(h->out, "... %d more", n - max_frames);
}

/* x of time @ts on a chart's time axis. */
static double time_x(const struct html *h, __u64 ts)
{
	double span = h->t1 > h->t0 ? (double)(h->t1 - h->t0) : 1.0;
	double f = ts <= h->t0 ? 0.0 : ts >= h->t1 ? 1.0 : (double)(ts - h->t0) / span;

	return PL + f * PLOT_W;
}

/* Seconds since the trace's start, for tooltips and ticks. */
static double secs(const struct html *h, __u64 ts)
{
	return ts > h->start ? (double)(ts - h->start) / 1e9 : 0.0;
}

/* The time axis: ticks at round times since the trace's start, under the plot. */
static void time_axis(const struct html *h)
{
	double from = secs(h, h->t0), span = h->t1 > h->t0 ? (double)(h->t1 - h->t0) / 1e9 : 0.0;
	double step = 1e-6;

	while (span / step > 10)
		step *= span / step > 50 ? 10 : 2;
	fprintf(h->out, "<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>", PL,
		PT + PLOT_H, PL + PLOT_W, PT + PLOT_H);
	for (double t = ceil(from / step) * step; span > 0 && t <= (from + span) * 1.000001;
	     t += step) {
		double x = PL + (t - from) / span * PLOT_W;

		fprintf(h->out, "<text class=\"tick\" x=\"%.1f\" y=\"%d\">%gs</text>", x,
			PT + PLOT_H + 16, round(t / step) * step);
	}
}

/* An inner map of a concurrent map (or the map itself): its latest figures. */
struct inner {
	__u64 map;
	__u64 count, cap;
	__u64 evac_start; /* an incremental grow's start, 0 while none runs */
	size_t evac_mark; /* the mark of the resize that started it */
	bool freed;
};

struct point {
	__u64 ts, count, cap;
};

struct span {
	__u64 start, end;
};

#define NO_MARK ((size_t)-1)

/* A resize's mark: its event and the evacuation it started (libcmap), 0 when none. */
struct mark {
	size_t ev;
	__u64 evac_ns;
};

struct series {
	struct inner *in;
	size_t nin, capin;
	struct point *pt;
	size_t npt, cappt;
	struct span *sp;
	size_t nsp, capsp;
	struct mark *marks; /* one per resize */
	size_t nmarks, capmarks;
	__u64 unmarked; /* resizes made before the map was first seen: no time to mark */
	__u64 count, cap; /* sums over the inner maps */
	bool largest;	  /* a sync map: its largest inner map's figures, not their sum (its
			   * dirty map and read snapshot hold the same entries) */
	__u64 freed_at;	  /* when an inner map was last freed */
};

static __u64 log2_cap(__u64 b)
{
	/* libcmap grows when count > 6.5 x buckets */
	return b >= 58 ? ~0ULL : (13ULL << b) / 2;
}

static struct inner *inner_of(struct series *s, __u64 map)
{
	for (size_t i = 0; i < s->nin; i++)
		if (s->in[i].map == map)
			return &s->in[i];
	if (GROW(s->in, s->nin, s->capin, 16))
		return NULL;
	s->in[s->nin] = (struct inner){ .map = map };
	return &s->in[s->nin++];
}

static void set_inner(struct series *s, struct inner *in, __u64 count, __u64 cap)
{
	if (count != MT_EV_UNKNOWN) {
		s->count += count - in->count;
		in->count = count;
	}
	if (cap != MT_EV_UNKNOWN) {
		s->cap += cap - in->cap;
		in->cap = cap;
	}
}

static int add_point(struct series *s, __u64 ts)
{
	struct point p = { ts, s->count, s->cap };

	if (s->largest) {
		p.count = p.cap = 0;
		for (size_t i = 0; i < s->nin; i++) {
			p.count = s->in[i].count > p.count ? s->in[i].count : p.count;
			p.cap = s->in[i].cap > p.cap ? s->in[i].cap : p.cap;
		}
	}
	if (GROW(s->pt, s->npt, s->cappt, 64))
		return -ENOMEM;
	s->pt[s->npt++] = p;
	return 0;
}

/* A shaded span; @mark: the resize that began it, NO_MARK for none. */
static int add_span(struct series *s, __u64 start, __u64 end, size_t mark)
{
	if (GROW(s->sp, s->nsp, s->capsp, 16))
		return -ENOMEM;
	s->sp[s->nsp++] = (struct span){ start, end };
	if (mark != NO_MARK)
		s->marks[mark].evac_ns = end - start;
	return 0;
}

/* One event of map @m's series; false when it changes nothing drawn. */
static int series_event(struct html *h, struct series *s, size_t i)
{
	const struct mt_event *ev = &h->r->event_log[i].ev;
	bool log2 = ev->flags & MT_EV_LOG2;
	struct inner *in = inner_of(s, ev->map);
	__u64 start;

	if (!in)
		return -ENOMEM;
	switch (ev->kind) {
	case MT_EV_MAP_CREATE:
		/* a concurrent map's own record has no table: its inner maps do */
		if (log2 && ev->create.variant != CMAP_PLAIN)
			return 0;
		set_inner(s, in, 0, log2 ? log2_cap(ev->create.size) : ev->create.size);
		/* first heard of at a grow: those before were too small for a probe to fire */
		s->unmarked += ev->create.grows_before + ev->create.same_size_before;
		break;
	case MT_EV_RESIZE:
		set_inner(s, in, ev->resize.count,
			  log2 ? log2_cap(ev->resize.new_size) : ev->resize.new_size);
		/* a profile map's first table is no resize */
		if (!log2 && !ev->resize.old_size)
			break;
		if (GROW(s->marks, s->nmarks, s->capmarks, 16))
			return -ENOMEM;
		s->marks[s->nmarks++] = (struct mark){ i, 0 };
		/* libcmap evacuates incrementally from here until its GROW_DONE */
		if (log2) {
			if (in->evac_start && add_span(s, in->evac_start, ev->ts, in->evac_mark))
				return -ENOMEM;
			in->evac_start = ev->ts;
			in->evac_mark = s->nmarks - 1;
		}
		break;
	case MT_EV_GROW_DONE:
		set_inner(s, in, ev->done.count, log2_cap(ev->done.size));
		if (in->evac_start && add_span(s, in->evac_start, ev->ts, in->evac_mark))
			return -ENOMEM;
		in->evac_start = 0;
		break;
	case MT_EV_MIGRATE:
		if (!(ev->flags & MT_EV_WHOLE))
			return 0;
		start = ev->ts > ev->migrate.elapsed_ns ? ev->ts - ev->migrate.elapsed_ns : 0;
		if (add_span(s, start, ev->ts, NO_MARK))
			return -ENOMEM;
		if (ev->migrate.size)
			set_inner(s, in, MT_EV_UNKNOWN, ev->migrate.size);
		break;
	case MT_EV_MAP_COUNTS:
		/* a concurrent map's own struct holds no table: its inner maps' counts are read */
		if (!in->cap)
			return 0;
		set_inner(s, in, ev->lib_counts.count, MT_EV_UNKNOWN);
		break;
	case MT_EV_MAP_DESTROY: {
		int err;

		if (!in->cap && !in->count)
			return 0;
		in->freed = true;
		s->freed_at = ev->ts;
		/*
		 * A sync map replaces its snapshot as it runs: the one freed holds nothing from
		 * now on.  Other inner maps live as long as their map: the lines end at the last
		 * one freed, with the figures they had (their counts are read as they are freed).
		 */
		if (!s->largest)
			return 0;
		err = add_point(s, ev->ts);
		set_inner(s, in, 0, 0);
		return err;
	}
	default:
		return 0;
	}
	return add_point(s, ev->ts);
}

static void series_free(struct series *s)
{
	free(s->in);
	free(s->pt);
	free(s->sp);
	free(s->marks);
}

/* "2^4->2^5" or "1024->2048", with the kind of resize. */
static const char *resize_kind(const struct mt_event *ev)
{
	if (ev->flags & MT_EV_SAME_SIZE)
		return "same";
	return ev->resize.new_size < ev->resize.old_size ? "shrink" : "grow";
}

static void resize_step(char *buf, size_t size, const struct mt_event *ev)
{
	unsigned long long from = ev->resize.old_size, to = ev->resize.new_size;

	if (ev->flags & MT_EV_LOG2)
		snprintf(buf, size, "2^%llu->2^%llu buckets", from, to);
	else
		snprintf(buf, size, "%llu->%llu slots", from, to);
}

static void grow_mark(struct html *h, const struct mark *mk, int n)
{
	const struct model_event *le = &h->r->event_log[mk->ev];
	const struct mt_event *ev = &le->ev;
	double x = time_x(h, ev->ts);
	char step[96], d[16];
	__u64 evac = mk->evac_ns; /* the evacuation it started, when it is a libcmap grow */

	resize_step(step, sizeof(step), ev);
	fprintf(h->out, "<g class=\"grow\" data-kind=\"%s\" data-ts=\"%llu\"><title>",
		resize_kind(ev), (unsigned long long)(ev->ts - h->start));
	fprintf(h->out, "%s #%d at %.6fs: %s", resize_kind(ev), n, secs(h, ev->ts), step);
	if (ev->flags & MT_EV_TIMED)
		fprintf(h->out, ", took %s", report__fmt_ns(d, sizeof(d), ev->resize.dur_ns));
	if (ev->resize.count != MT_EV_UNKNOWN)
		fprintf(h->out, ", %llu entries", (unsigned long long)ev->resize.count);
	if (evac)
		fprintf(h->out, "; evacuated over %s", report__fmt_ns(d, sizeof(d), evac));
	fputs("\n", h->out);
	html__stack_title(h, le->stack, 16);
	fprintf(h->out, "</title><line x1=\"%.2f\" y1=\"%d\" x2=\"%.2f\" y2=\"%d\"/>"
			"<circle cx=\"%.2f\" cy=\"%d\" r=\"4\"/>"
			"<rect class=\"hit\" x=\"%.2f\" y=\"%d\" width=\"6\" height=\"%d\"/></g>",
		x, PT, x, PT + PLOT_H, x, PT, x - 3, PT, PLOT_H);
}

/*
 * A polyline's points, thinned: within each half unit of x only the first, lowest, highest and
 * last points are kept, in their order, so a map that filled and emptied a million times
 * still draws its envelope in a few thousand points.
 */
struct thin {
	FILE *out;
	long bucket;
	size_t n;		 /* points in the bucket */
	double x[4], y[4];	 /* first, lowest, highest, last */
	size_t at[4];		 /* their order in the bucket */
	char prev[32];
};

static void thin_emit(struct thin *t, double x, double y)
{
	char pt[32];

	snprintf(pt, sizeof(pt), "%.1f,%.1f ", x, y);
	if (strcmp(pt, t->prev))
		fputs(pt, t->out);
	memcpy(t->prev, pt, sizeof(pt));
}

static void thin_flush(struct thin *t)
{
	int order[4] = { 0, 1, 2, 3 };

	if (!t->n)
		return;
	/* lowest and highest in the order they came */
	if (t->at[1] > t->at[2]) {
		order[1] = 2;
		order[2] = 1;
	}
	for (int k = 0; k < 4; k++)
		thin_emit(t, t->x[order[k]], t->y[order[k]]);
	t->n = 0;
}

static void thin_put(struct thin *t, double x, double y)
{
	long bucket = (long)(x * 2);

	if (t->n && bucket != t->bucket)
		thin_flush(t);
	if (!t->n) {
		t->bucket = bucket;
		for (int k = 0; k < 4; k++) {
			t->x[k] = x;
			t->y[k] = y;
			t->at[k] = 0;
		}
	}
	/* SVG's y grows downwards: the lowest value is the largest y */
	if (y > t->y[1]) {
		t->x[1] = x;
		t->y[1] = y;
		t->at[1] = t->n;
	}
	if (y < t->y[2]) {
		t->x[2] = x;
		t->y[2] = y;
		t->at[2] = t->n;
	}
	t->x[3] = x;
	t->y[3] = y;
	t->n++;
}

/* The entries (or, stepped, the capacity: constant between resizes) as a polyline. */
static void polyline(struct html *h, const struct series *s, bool cap, double ymax,
		     const char *cls)
{
	struct thin t = { .out = h->out };
	double prev_y = -1;

	fprintf(h->out, "<polyline class=\"%s\" points=\"", cls);
	for (size_t i = 0; i < s->npt; i++) {
		__u64 v = cap ? s->pt[i].cap : s->pt[i].count;
		double x = time_x(h, s->pt[i].ts), y = PT + PLOT_H - (double)v / ymax * PLOT_H;

		if (cap && prev_y >= 0)
			thin_put(&t, x, prev_y);
		thin_put(&t, x, y);
		prev_y = y;
	}
	thin_flush(&t);
	fputs("\"/>", h->out);
}

int html__map_chart(struct html *h, const struct map_report *m)
{
	const struct report *r = h->r;
	struct series s = { .largest = m->variant == CMAP_SYNC };
	double ymax = 1, last_x = 0, evac_to = -1;
	bool alive = false;
	int err = 0, n = 0;

	__u64 first = 0, last = 0;

	for (size_t i = 0; i < r->nevent_log && !err; i++) {
		if (r->event_log[i].owner != m->addr)
			continue;
		first = first ? first : r->event_log[i].ev.ts;
		last = r->event_log[i].ev.ts;
		err = series_event(h, &s, i);
	}
	/* an incremental grow still running at the end is shaded to the end */
	for (size_t k = 0; k < s.nin && !err; k++)
		if (s.in[k].evac_start)
			err = add_span(&s, s.in[k].evac_start, h->end, s.in[k].evac_mark);
	/* a map still alive at the end: its lines run to the end, with its last count */
	for (size_t k = 0; k < s.nin; k++)
		alive |= !s.in[k].freed && (s.in[k].cap || s.in[k].count);
	if (!err && s.npt && alive) {
		if (m->count >= 0)
			s.count = (__u64)m->count;
		err = add_point(&s, h->end);
	} else if (!err && s.npt && s.freed_at > s.pt[s.npt - 1].ts) {
		err = add_point(&s, s.freed_at);
	}
	if (err)
		goto out;
	/* the map's own time, a little wider so marks at its ends show; lines run past it */
	if (!first) {
		first = h->start;
		last = h->end;
	}
	if (last - first < 1000000)
		last = first + 1000000;
	h->t0 = first - (first - h->start < (last - first) / 50 ? first - h->start :
						    (last - first) / 50);
	h->t1 = last + (last - first) / 50;
	for (size_t i = 0; i < s.npt; i++) {
		if (s.pt[i].cap != ~0ULL && s.pt[i].cap > ymax)
			ymax = (double)s.pt[i].cap;
		if (s.pt[i].count > ymax)
			ymax = (double)s.pt[i].count;
	}
	ymax *= 1.05;
	fprintf(h->out, "<svg class=\"chart map\" data-map=\"0x%llx\" data-resizes=\"%zu\" "
			"data-unmarked=\"%llu\" viewBox=\"0 0 %d %d\" role=\"img\">",
		(unsigned long long)m->addr, s.nmarks, (unsigned long long)s.unmarked, CH_W, CH_H);
	for (size_t k = 0, drawn = 0; k < s.nsp && drawn < MAP_MARKS_MAX; k++) {
		double x0 = time_x(h, s.sp[k].start), x1 = time_x(h, s.sp[k].end);
		char d[16];

		/* a span inside the one drawn before adds nothing to see */
		if (x1 <= evac_to + 0.25)
			continue;
		evac_to = x1 > x0 + 0.5 ? x1 : x0 + 0.5;
		drawn++;
		fprintf(h->out, "<rect class=\"evac\" x=\"%.2f\" y=\"%d\" width=\"%.2f\" "
				"height=\"%d\"><title>evacuation or rehash from %.6fs, %s</title>"
				"</rect>",
			x0, PT, x1 - x0 < 0.5 ? 0.5 : x1 - x0, PLOT_H, secs(h, s.sp[k].start),
			report__fmt_ns(d, sizeof(d), s.sp[k].end - s.sp[k].start));
	}
	for (int k = 0; k <= 4; k++) {
		double y = PT + PLOT_H - k * PLOT_H / 4.0;

		fprintf(h->out, "<line class=\"grid\" x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\"/>"
				"<text class=\"ytick\" x=\"%d\" y=\"%.1f\">%.0f</text>",
			PL, y, PL + PLOT_W, y, PL - 4, y + 4, ymax * k / 4);
	}
	time_axis(h);
	polyline(h, &s, true, ymax, "cap");
	polyline(h, &s, false, ymax, "count");
	/* known figures to hover (the lines between are drawn straight), one per unit of x */
	for (size_t k = 0; k < s.npt; k++) {
		double x = time_x(h, s.pt[k].ts);

		if (k + 1 < s.npt && k && x - last_x < 1.0)
			continue;
		last_x = x;
		fprintf(h->out, "<circle class=\"pt\" cx=\"%.1f\" cy=\"%.1f\" r=\"3\"><title>"
				"%.6fs: %llu entries, capacity %llu</title></circle>",
			x, PT + PLOT_H - (double)s.pt[k].count / ymax * PLOT_H, secs(h, s.pt[k].ts),
			(unsigned long long)s.pt[k].count, (unsigned long long)s.pt[k].cap);
	}
	for (size_t k = 0; k < s.nmarks && k < MAP_MARKS_MAX; k++)
		grow_mark(h, &s.marks[k], ++n);
	fprintf(h->out, "</svg><p class=\"note\">time: %.6fs to %.6fs of the trace, from the map's "
			"first event to its last",
		secs(h, h->t0), secs(h, h->t1));
	if (s.nmarks > MAP_MARKS_MAX)
		fprintf(h->out, "; the first %d of its %zu resizes marked", MAP_MARKS_MAX,
			s.nmarks);
	if (s.unmarked)
		fprintf(h->out, "; %llu grows before its first mark are not marked: the map was "
				"still too small for its grow probes, which fire from 2^7 buckets "
				"(--detail marks every grow)",
			(unsigned long long)s.unmarked);
	fputs("</p>", h->out);
out:
	h->t0 = h->start;
	h->t1 = h->end;
	series_free(&s);
	return err;
}

/* The log2 group of a value: floor(log2(v)), 0 for 0 and 1. */
static int log2_group(__u64 v)
{
	return v > 1 ? 63 - __builtin_clzll(v) : 0;
}

/* x of value @v on a histogram whose bars are log2 groups @lo.. each @bw wide. */
static double hist_x(__u64 v, int lo, double bw)
{
	double l = v > 1 ? log2((double)v) : 0;

	return PL + (l - lo) * bw;
}

void html__lock_hist(struct html *h, const struct lock_report *l)
{
	__u64 groups[64] = { 0 }, most = 1;
	int lo = 64, hi = -1, pos = 0, idx;
	char a[16], b[16];
	double bw;
	__u64 n;

	while (hist__next(&l->hist, &pos, &idx, &n)) {
		int g = log2_group(hist__bucket_low(idx));

		groups[g] += n;
		lo = g < lo ? g : lo;
		hi = g > hi ? g : hi;
	}
	fprintf(h->out, "<svg class=\"chart hist\" data-lock=\"0x%llx\" viewBox=\"0 0 %d %d\" "
			"role=\"img\">",
		(unsigned long long)l->addr, CH_W, CH_H);
	if (hi < 0) {
		fprintf(h->out, "<text x=\"%d\" y=\"%d\">no waits</text></svg>", PL, PT + 20);
		return;
	}
	for (int g = lo; g <= hi; g++)
		most = groups[g] > most ? groups[g] : most;
	bw = (double)PLOT_W / (hi - lo + 1);
	fprintf(h->out, "<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>", PL,
		PT + PLOT_H, PL + PLOT_W, PT + PLOT_H);
	for (int g = lo; g <= hi; g++) {
		double bh = (double)groups[g] / (double)most * PLOT_H, x = PL + (g - lo) * bw;

		fprintf(h->out, "<rect class=\"bar\" x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" "
				"height=\"%.2f\"><title>%s to %s: %llu waits</title></rect>",
			x + 1, PT + PLOT_H - bh, bw - 2, bh,
			report__fmt_ns(a, sizeof(a), 1ULL << g),
			report__fmt_ns(b, sizeof(b), g < 63 ? (2ULL << g) - 1 : ~0ULL),
			(unsigned long long)groups[g]);
		fprintf(h->out, "<text class=\"tick\" x=\"%.1f\" y=\"%d\">%s</text>", x,
			PT + PLOT_H + 16, a);
	}
	fprintf(h->out, "<text class=\"ytick\" x=\"%d\" y=\"%d\">%llu</text>", PL - 4, PT + 4,
		(unsigned long long)most);
	/* the percentiles, where they fall inside their bucket on the log scale */
	fprintf(h->out, "<g class=\"pct\" data-p=\"50\"><line x1=\"%.2f\" y1=\"%d\" x2=\"%.2f\" "
			"y2=\"%d\"/><text x=\"%.2f\" y=\"%d\">P50 %s</text></g>",
		hist_x(l->p50_ns, lo, bw), PT, hist_x(l->p50_ns, lo, bw), PT + PLOT_H,
		hist_x(l->p50_ns, lo, bw) + 3, PT + 12, report__fmt_ns(a, sizeof(a), l->p50_ns));
	fprintf(h->out, "<g class=\"pct\" data-p=\"99\"><line x1=\"%.2f\" y1=\"%d\" x2=\"%.2f\" "
			"y2=\"%d\"/><text x=\"%.2f\" y=\"%d\">P99 %s</text></g></svg>",
		hist_x(l->p99_ns, lo, bw), PT, hist_x(l->p99_ns, lo, bw), PT + PLOT_H,
		hist_x(l->p99_ns, lo, bw) + 3, PT + 26, report__fmt_ns(a, sizeof(a), l->p99_ns));
}

#define TL_BINS 100

/* The mode of a counted wait: the library's probes say; a mutex has one; else unknown. */
static unsigned int wait_mode(const struct mt_event *ev, const struct lock_report *l)
{
	if (ev->flags & MT_EV_LIB_LOCK)
		return ev->wait.mode;
	return l->kind == MT_LOCK_MUTEX ? MT_MODE_WRITE : MT_MODE_UNKNOWN;
}

void html__lock_timeline(struct html *h, const struct lock_report *l)
{
	static const char *const cls[] = { "write", "read", "unknown" };
	__u64 bins[TL_BINS][3] = { { 0 } }, ns[TL_BINS] = { 0 }, most = 1;
	double span = h->t1 > h->t0 ? (double)(h->t1 - h->t0) : 1.0, bw = (double)PLOT_W / TL_BINS;
	const struct report *r = h->r;
	char a[16];

	for (size_t i = 0; i < r->nevent_log; i++) {
		const struct model_event *le = &r->event_log[i];
		__u64 start;
		unsigned int mode;
		int b;

		if (le->ev.kind != MT_EV_WAIT || !le->counted || le->owner != l->addr)
			continue;
		/* a wait is drawn where it began */
		start = le->ev.ts > le->ev.wait.wait_ns ? le->ev.ts - le->ev.wait.wait_ns : 0;
		b = start <= h->t0 ? 0 : (int)((double)(start - h->t0) / span * TL_BINS);
		b = b >= TL_BINS ? TL_BINS - 1 : b;
		mode = wait_mode(&le->ev, l);
		bins[b][mode > MT_MODE_UNKNOWN ? MT_MODE_UNKNOWN : mode]++;
		ns[b] += le->ev.wait.wait_ns;
	}
	for (int b = 0; b < TL_BINS; b++) {
		__u64 t = bins[b][0] + bins[b][1] + bins[b][2];

		most = t > most ? t : most;
	}
	fprintf(h->out, "<svg class=\"chart waits\" data-lock=\"0x%llx\" viewBox=\"0 0 %d %d\" "
			"role=\"img\">",
		(unsigned long long)l->addr, CH_W, CH_H);
	for (int b = 0; b < TL_BINS; b++) {
		double y = PT + PLOT_H, x = PL + b * bw;
		__u64 t = bins[b][0] + bins[b][1] + bins[b][2];

		if (!t)
			continue;
		fprintf(h->out, "<g><title>%.3fs-%.3fs: %llu waits (%llu write, %llu read, %llu "
				"unknown), %s waiting</title>",
			span * b / TL_BINS / 1e9, span * (b + 1) / TL_BINS / 1e9,
			(unsigned long long)t, (unsigned long long)bins[b][MT_MODE_WRITE],
			(unsigned long long)bins[b][MT_MODE_READ],
			(unsigned long long)bins[b][MT_MODE_UNKNOWN],
			report__fmt_ns(a, sizeof(a), ns[b]));
		for (int k = 0; k < 3; k++) {
			double bh = (double)bins[b][k] / (double)most * PLOT_H;

			if (!bins[b][k])
				continue;
			y -= bh;
			fprintf(h->out, "<rect class=\"%s\" x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" "
					"height=\"%.2f\"/>", cls[k], x + 0.5, y, bw - 1, bh);
		}
		fputs("</g>", h->out);
	}
	fprintf(h->out, "<text class=\"ytick\" x=\"%d\" y=\"%d\">%llu</text>", PL - 4, PT + 4,
		(unsigned long long)most);
	time_axis(h);
	fputs("</svg>", h->out);
}
