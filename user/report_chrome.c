// SPDX-License-Identifier: MIT
/*
 * The "chrome" backend: Chrome trace-event JSON ({"traceEvents": [...]}) for the Perfetto UI
 * and chrome://tracing, drawn from the model's event log (model__keep_events()); without the
 * log there are only the process's metadata events.
 *
 * - "X" complete events on the thread that paid for them: every grow ("grow 2^4->2^5"), every
 *   evacuation step ("evacuate"), and every contended wait ("wait mutex 0x..."; library lock
 *   waits, and futex waits outside a library lock wait, which the library wait already
 *   covers), with the lock, the map, the mode and the stack in args.
 * - "C" counters per core map, "map 0x..." (an inner map of a concurrent map: "map 0xMAP /
 *   0xINNER"), with two series, buckets and entries, set at creation (entries 0), at each grow
 *   (2^new_B, the entries at grow start) and when a grow's evacuation completes.  Perfetto
 *   draws them as the tracks "map 0x... buckets" and "map 0x... entries".
 * - "i" instants for map creation and destruction, completed grows and sync-map promotions.
 * - "M" metadata: the process name and one name per thread seen.
 *
 * Timestamps are microseconds (with ns in the decimals, written exactly) since the trace
 * start, info.start_mono_ns.  Records carry the time at their end: a span starts at its end
 * minus its duration.
 *
 * Perfetto requires slices on one thread to nest.  On one thread they should (an evacuation
 * inside a wait cannot overlap it partly), but probe timestamps of nested events can straddle
 * by a few ns, so spans are sorted by start, longer first, and a span that outlives the span
 * enclosing it is cut at that span's end ("trimmed_ns" in its args says by how much).  A span
 * is never split: each grow and each wait stays one "X" event.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cmap.h"
#include "json_writer.h"
#include "report.h"

#define LINE_BUF 4096

struct span {
	__u64 start, end; /* CLOCK_MONOTONIC ns, end possibly trimmed */
	__u64 dur;	  /* as recorded */
	__u32 tid;
	__u32 pid;
	size_t ev; /* index in the event log */
	__u64 owner;
};

struct chrome {
	struct json_writer *w;
	const struct report *r;
	struct span *spans;
	size_t nspans;
	__u64 *owners;	/* per event: report_replay__step()'s owner */
	__u64 *threads; /* (pid << 32 | tid), sorted, unique */
	size_t nthreads;
	const struct lock_report **locks; /* lock rows by address, for their kind and map */
};

static __u32 rec_pid(const struct report *r, const struct mt_hdr *h)
{
	return h->tgid ? h->tgid : (__u32)r->info.pid;
}

static void ts_field(struct chrome *c, const char *name, __u64 ns)
{
	/* exact: a double holds every ns of 104 days, and %.3f prints what it holds */
	json_writer__name(c->w, name);
	json_writer__double(c->w, (double)(__s64)(ns - c->r->info.start_mono_ns) / 1e3, 3);
}

static void dur_field(struct chrome *c, __u64 ns)
{
	json_writer__name(c->w, "dur");
	json_writer__double(c->w, (double)ns / 1e3, 3);
}

static void addr_field(struct json_writer *w, const char *name, __u64 addr)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "0x%llx", (unsigned long long)addr);
	json_writer__string_field(w, name, buf);
}

static void stack_field(struct chrome *c, int idx)
{
	char buf[LINE_BUF];

	json_writer__name(c->w, "stack");
	if (!report__stack(c->r, idx))
		json_writer__null(c->w);
	else
		json_writer__string(c->w, report__fmt_stack_line(buf, sizeof(buf), c->r, idx, 0));
}

static int cmp_lock_ptr(const void *a, const void *b)
{
	const struct lock_report *x = *(const struct lock_report *const *)a;
	const struct lock_report *y = *(const struct lock_report *const *)b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static const struct lock_report *find_lock(const struct chrome *c, __u64 addr)
{
	size_t lo = 0, hi = (size_t)c->r->nlocks;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (c->locks[mid]->addr == addr)
			return c->locks[mid];
		if (c->locks[mid]->addr < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return x < y ? -1 : x > y;
}

/* Threads first, then start, longer spans first (they enclose), then log order. */
static int cmp_span(const void *a, const void *b)
{
	const struct span *x = a, *y = b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	if (x->tid != y->tid)
		return x->tid < y->tid ? -1 : 1;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	if (x->end != y->end)
		return x->end > y->end ? -1 : 1;
	return x->ev < y->ev ? -1 : x->ev > y->ev;
}

/* The span of event @i, or false when it is not drawn as one. */
static bool event_span(const struct chrome *c, size_t i, struct span *s)
{
	const struct mt_hdr *h = c->r->event_log[i].rec;
	__u64 dur;

	switch (h->type) {
	case MT_REC_GROW:
		dur = ((const struct mt_grow *)h)->dur_ns;
		break;
	case MT_REC_EVACUATE:
		dur = ((const struct mt_evacuate *)h)->dur_ns;
		break;
	case MT_REC_LOCK_WAIT:
		dur = ((const struct mt_lock_wait *)h)->wait_ns;
		break;
	case MT_REC_FUTEX_WAIT:
		/* a wait inside a library lock wait is that wait's own span */
		if (((const struct mt_futex_wait *)h)->in_lib_wait)
			return false;
		dur = ((const struct mt_futex_wait *)h)->wait_ns;
		break;
	default:
		return false;
	}
	*s = (struct span){
		.start = h->ts > dur ? h->ts - dur : 0,
		.end = h->ts,
		.dur = dur,
		.tid = h->pid,
		.pid = rec_pid(c->r, h),
		.ev = i,
		.owner = c->owners[i],
	};
	return true;
}

/* Collect spans, owners and threads from the event log, and make spans nest per thread. */
static int collect(struct chrome *c)
{
	const struct report *r = c->r;
	struct report_replay *rp;
	__u64 *ends = NULL;
	size_t depth = 0;

	c->locks = calloc((size_t)r->nlocks + 1, sizeof(*c->locks));
	c->owners = calloc(r->nevent_log + 1, sizeof(*c->owners));
	c->spans = calloc(r->nevent_log + 1, sizeof(*c->spans));
	c->threads = calloc(r->nevent_log + 1, sizeof(*c->threads));
	ends = calloc(r->nevent_log + 1, sizeof(*ends));
	rp = report_replay__new(r);
	if (!c->locks || !c->owners || !c->spans || !c->threads || !ends || !rp) {
		free(ends);
		report_replay__free(rp);
		return -ENOMEM;
	}
	for (int i = 0; i < r->nlocks; i++)
		c->locks[i] = &r->locks[i];
	if (r->nlocks)
		qsort(c->locks, (size_t)r->nlocks, sizeof(*c->locks), cmp_lock_ptr);

	for (size_t i = 0; i < r->nevent_log; i++) {
		const struct mt_hdr *h = r->event_log[i].rec;

		report_replay__step(rp, &r->event_log[i], &c->owners[i]);
		if (!report__rec_complete(h))
			continue;
		c->threads[c->nthreads++] = (__u64)rec_pid(r, h) << 32 | h->pid;
		if (event_span(c, i, &c->spans[c->nspans]))
			c->nspans++;
	}
	report_replay__free(rp);

	if (c->nthreads) {
		size_t n = 1;

		qsort(c->threads, c->nthreads, sizeof(*c->threads), cmp_u64);
		for (size_t i = 1; i < c->nthreads; i++)
			if (c->threads[i] != c->threads[n - 1])
				c->threads[n++] = c->threads[i];
		c->nthreads = n;
	}
	if (c->nspans)
		qsort(c->spans, c->nspans, sizeof(*c->spans), cmp_span);
	/* the ends of the open spans of the current thread, innermost last */
	for (size_t i = 0; i < c->nspans; i++) {
		struct span *s = &c->spans[i];

		if (i && (s->tid != s[-1].tid || s->pid != s[-1].pid))
			depth = 0;
		while (depth && ends[depth - 1] <= s->start)
			depth--;
		if (depth && s->end > ends[depth - 1])
			s->end = ends[depth - 1];
		ends[depth++] = s->end;
	}
	free(ends);
	return 0;
}

static void process_name(struct chrome *c, __u32 pid)
{
	const struct report *r = c->r;
	char name[96];

	if (pid == (__u32)r->info.pid && r->info.comm[0])
		snprintf(name, sizeof(name), "%s", r->info.comm);
	else
		snprintf(name, sizeof(name), "pid %u", pid);
	json_writer__obj_begin(c->w);
	json_writer__string_field(c->w, "ph", "M");
	json_writer__string_field(c->w, "name", "process_name");
	json_writer__u64_field(c->w, "pid", pid);
	json_writer__name(c->w, "args");
	json_writer__obj_begin(c->w);
	json_writer__string_field(c->w, "name", name);
	json_writer__obj_end(c->w);
	json_writer__obj_end(c->w);
}

static void metadata(struct chrome *c)
{
	const struct report *r = c->r;
	bool target_named = false;
	char name[96];

	/* threads are sorted by process: one process_name at each new one */
	for (size_t i = 0; i < c->nthreads; i++) {
		__u32 pid = (__u32)(c->threads[i] >> 32);

		if (i && pid == (__u32)(c->threads[i - 1] >> 32))
			continue;
		process_name(c, pid);
		target_named |= pid == (__u32)r->info.pid;
	}
	/* the traced process has its name even when it recorded nothing */
	if (!target_named && r->info.pid > 0)
		process_name(c, (__u32)r->info.pid);

	for (size_t i = 0; i < c->nthreads; i++) {
		__u32 pid = (__u32)(c->threads[i] >> 32), tid = (__u32)c->threads[i];

		if (tid == pid && pid == (__u32)r->info.pid && r->info.comm[0])
			snprintf(name, sizeof(name), "%s", r->info.comm);
		else
			snprintf(name, sizeof(name), "thread %u", tid);
		json_writer__obj_begin(c->w);
		json_writer__string_field(c->w, "ph", "M");
		json_writer__string_field(c->w, "name", "thread_name");
		json_writer__u64_field(c->w, "pid", pid);
		json_writer__u64_field(c->w, "tid", tid);
		json_writer__name(c->w, "args");
		json_writer__obj_begin(c->w);
		json_writer__string_field(c->w, "name", name);
		json_writer__obj_end(c->w);
		json_writer__obj_end(c->w);
	}
}

static void event_begin(struct chrome *c, const char *ph, const char *name, const char *cat,
			__u32 pid, __u32 tid, __u64 ts)
{
	json_writer__obj_begin(c->w);
	json_writer__string_field(c->w, "ph", ph);
	json_writer__string_field(c->w, "name", name);
	if (cat)
		json_writer__string_field(c->w, "cat", cat);
	json_writer__u64_field(c->w, "pid", pid);
	json_writer__u64_field(c->w, "tid", tid);
	ts_field(c, "ts", ts);
}

static void wait_span(struct chrome *c, const struct span *s, const struct mt_event *ev)
{
	const struct mt_hdr *h = ev->rec;
	const struct lock_report *l = find_lock(c, s->owner);
	const char *kind = l ? mt_lock_kind_name(l->kind) : "futex";
	__u64 map = l ? l->map : 0;
	unsigned int mode = MT_MODE_UNKNOWN;
	char name[128];

	if (h->type == MT_REC_LOCK_WAIT) {
		const struct mt_lock_wait *lw = (const void *)h;

		kind = lw->kind == 1 ? "rwlock" : "mutex";
		map = lw->map;
		mode = lw->mode;
	} else if (l && l->kind == MT_LOCK_MUTEX) {
		mode = MT_MODE_WRITE; /* a mutex has one mode; a futex's rwlock mode is a guess */
	}
	snprintf(name, sizeof(name), "wait %s 0x%llx", kind, (unsigned long long)s->owner);
	event_begin(c, "X", name, "lock", s->pid, s->tid, s->start);
	dur_field(c, s->end - s->start);
	json_writer__name(c->w, "args");
	json_writer__obj_begin(c->w);
	addr_field(c->w, "lock", s->owner);
	if (map)
		addr_field(c->w, "map", map);
	else
		json_writer__null_field(c->w, "map");
	json_writer__string_field(c->w, "mode", report__mode_name(mode));
	if (h->type == MT_REC_FUTEX_WAIT) {
		const struct mt_futex_wait *fw = (const void *)h;

		addr_field(c->w, "futex", fw->uaddr);
		json_writer__s64_field(c->w, "ret", fw->ret);
	}
	json_writer__u64_field(c->w, "wait_ns", s->dur);
}

static void grow_span(struct chrome *c, const struct span *s, const struct mt_event *ev)
{
	const struct mt_hdr *h = ev->rec;
	char name[64];

	if (h->type == MT_REC_GROW) {
		const struct mt_grow *g = (const void *)h;

		if (g->same_size)
			snprintf(name, sizeof(name), "same-size grow 2^%u", g->new_B);
		else
			snprintf(name, sizeof(name), "grow 2^%u->2^%u", g->old_B, g->new_B);
		event_begin(c, "X", name, "rehash", s->pid, s->tid, s->start);
		dur_field(c, s->end - s->start);
		json_writer__name(c->w, "args");
		json_writer__obj_begin(c->w);
		addr_field(c->w, "map", s->owner);
		if (g->map != s->owner)
			addr_field(c->w, "inner_map", g->map);
		json_writer__u64_field(c->w, "count", g->count);
		json_writer__u64_field(c->w, "old_B", g->old_B);
		json_writer__u64_field(c->w, "new_B", g->new_B);
		json_writer__u64_field(c->w, "dur_ns", s->dur);
	} else {
		const struct mt_evacuate *e = (const void *)h;

		event_begin(c, "X", "evacuate", "rehash", s->pid, s->tid, s->start);
		dur_field(c, s->end - s->start);
		json_writer__name(c->w, "args");
		json_writer__obj_begin(c->w);
		addr_field(c->w, "map", s->owner);
		if (e->map != s->owner)
			addr_field(c->w, "inner_map", e->map);
		json_writer__u64_field(c->w, "oldbucket", e->oldbucket);
		json_writer__u64_field(c->w, "moved", e->moved);
		json_writer__u64_field(c->w, "dur_ns", s->dur);
	}
}

static void spans(struct chrome *c)
{
	for (size_t i = 0; i < c->nspans; i++) {
		const struct span *s = &c->spans[i];
		const struct mt_event *ev = &c->r->event_log[s->ev];

		if (ev->rec->type == MT_REC_GROW || ev->rec->type == MT_REC_EVACUATE)
			grow_span(c, s, ev);
		else
			wait_span(c, s, ev);
		if (s->end - s->start != s->dur)
			json_writer__u64_field(c->w, "trimmed_ns", s->dur - (s->end - s->start));
		stack_field(c, ev->stack);
		json_writer__obj_end(c->w); /* args */
		json_writer__obj_end(c->w);
	}
}

/* A "C" event for core map @map (owned by @top) now holding 2^@B buckets and @count entries. */
static void map_counter(struct chrome *c, const struct mt_hdr *h, __u64 top, __u64 map, __u32 B,
			__u64 count)
{
	char name[96];

	if (top && top != map)
		snprintf(name, sizeof(name), "map 0x%llx / 0x%llx", (unsigned long long)top,
			 (unsigned long long)map);
	else
		snprintf(name, sizeof(name), "map 0x%llx", (unsigned long long)map);
	json_writer__obj_begin(c->w);
	json_writer__string_field(c->w, "ph", "C");
	json_writer__string_field(c->w, "name", name);
	json_writer__u64_field(c->w, "pid", rec_pid(c->r, h));
	ts_field(c, "ts", h->ts);
	json_writer__name(c->w, "args");
	json_writer__obj_begin(c->w);
	json_writer__u64_field(c->w, "buckets", B < 64 ? 1ULL << B : 0);
	json_writer__u64_field(c->w, "entries", count);
	json_writer__obj_end(c->w);
	json_writer__obj_end(c->w);
}

static void instant(struct chrome *c, const struct mt_event *ev, const char *what, __u64 map,
		    __u64 top)
{
	const struct mt_hdr *h = ev->rec;
	char name[96];

	snprintf(name, sizeof(name), "%s 0x%llx", what, (unsigned long long)map);
	event_begin(c, "i", name, "map", rec_pid(c->r, h), h->pid, h->ts);
	json_writer__string_field(c->w, "s", "t");
	json_writer__name(c->w, "args");
	json_writer__obj_begin(c->w);
	addr_field(c->w, "map", map);
	if (top && top != map)
		addr_field(c->w, "in_map", top);
}

/* Counters and instants, in log order. */
static void map_events(struct chrome *c)
{
	const struct report *r = c->r;

	for (size_t i = 0; i < r->nevent_log; i++) {
		const struct mt_event *ev = &r->event_log[i];
		const struct mt_hdr *h = ev->rec;
		__u64 top = c->owners[i];

		if (!report__rec_complete(h))
			continue;
		switch (h->type) {
		case MT_REC_MAP_CREATE: {
			const struct mt_map_create *m = (const void *)h;

			instant(c, ev, "create map", m->map, top);
			json_writer__string_field(c->w, "variant",
						  mt_variant_name((int)m->variant));
			json_writer__u64_field(c->w, "hint", m->hint);
			json_writer__u64_field(c->w, "B", m->B);
			stack_field(c, ev->stack);
			json_writer__obj_end(c->w);
			json_writer__obj_end(c->w);
			/* a concurrent map's own record has no buckets: its inner maps do */
			if (m->variant == CMAP_PLAIN)
				map_counter(c, h, top, m->map, m->B, 0);
			break;
		}
		case MT_REC_GROW: {
			const struct mt_grow *g = (const void *)h;

			map_counter(c, h, top, g->map, g->new_B, g->count);
			break;
		}
		case MT_REC_GROW_DONE: {
			const struct mt_grow_done *g = (const void *)h;

			instant(c, ev, "grow done", g->map, top);
			json_writer__u64_field(c->w, "B", g->B);
			json_writer__u64_field(c->w, "count", g->count);
			json_writer__obj_end(c->w);
			json_writer__obj_end(c->w);
			map_counter(c, h, top, g->map, g->B, g->count);
			break;
		}
		case MT_REC_PROMOTE: {
			const struct mt_promote *p = (const void *)h;

			instant(c, ev, "promote", p->map, top);
			json_writer__u64_field(c->w, "dirty_len", p->dirty_len);
			json_writer__obj_end(c->w);
			json_writer__obj_end(c->w);
			break;
		}
		case MT_REC_MAP_DESTROY: {
			const struct mt_map_destroy *d = (const void *)h;

			instant(c, ev, "destroy map", d->map, top);
			json_writer__u64_field(c->w, "inserts", d->counts.inserts);
			json_writer__u64_field(c->w, "deletes", d->counts.deletes);
			json_writer__obj_end(c->w);
			json_writer__obj_end(c->w);
			break;
		}
		}
	}
}

static void other_data(struct chrome *c)
{
	const struct run_info *info = &c->r->info;

	json_writer__name(c->w, "otherData");
	json_writer__obj_begin(c->w);
	json_writer__string_field(c->w, "tool", "maptrace");
	json_writer__string_field(c->w, "version", info->version);
	json_writer__s64_field(c->w, "pid", info->pid);
	json_writer__string_field(c->w, "comm", info->comm);
	json_writer__string_field(c->w, "cmdline", info->cmdline);
	json_writer__string_field(c->w, "hostname", info->hostname);
	json_writer__string_field(c->w, "kernel", info->kernel);
	json_writer__u64_field(c->w, "start_wall_ns", info->start_wall_ns);
	json_writer__u64_field(c->w, "start_mono_ns", info->start_mono_ns);
	json_writer__u64_field(c->w, "dropped", report__dropped_total(c->r));
	json_writer__bool_field(c->w, "event_log", c->r->event_log != NULL);
	json_writer__obj_end(c->w);
}

static int chrome_emit(FILE *out, const struct report *r, const struct report_opts *o)
{
	struct chrome c = { .r = r };
	int err;

	err = collect(&c);
	if (!err) {
		c.w = json_writer__new(out, o && o->pretty);
		if (!c.w)
			err = -ENOMEM;
	}
	if (!err) {
		json_writer__obj_begin(c.w);
		json_writer__name(c.w, "traceEvents");
		json_writer__arr_begin(c.w);
		metadata(&c);
		spans(&c);
		map_events(&c);
		json_writer__arr_end(c.w);
		json_writer__string_field(c.w, "displayTimeUnit", "ns");
		other_data(&c);
		json_writer__obj_end(c.w);
		err = json_writer__finish(c.w);
	}
	json_writer__free(c.w);
	free(c.locks);
	free(c.owners);
	free(c.spans);
	free(c.threads);
	return err;
}

const struct report_backend report_chrome_backend = {
	.name = "chrome",
	.desc = "Chrome trace-event JSON for Perfetto: grows, evacuations, waits, map sizes",
	.emit = chrome_emit,
};
