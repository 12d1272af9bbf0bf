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
 * A Go lock wait with its goroutine's id is drawn on that goroutine's own track, "goroutine
 * N" (tid GOROUTINE_TID + N), not on a thread: a parked goroutine holds no thread (the thread
 * runs other goroutines meanwhile) and resumes on any, so on the thread's track the waits of
 * two goroutines that resumed there would overlap.  Its args say the "goid" and the "thread"
 * it resumed on.
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
/* A goroutine's track: above any thread id (pid_max <= 2^22), within a 32-bit int. */
#define GOROUTINE_TID 0x10000000U
#define GOROUTINE_MAX (0x7fffffffU - GOROUTINE_TID)

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
	size_t nlocks;
	bool waits; /* the other futex waits are rows too, drawn under their own kind */
};

static __u32 ev_pid(const struct report *r, const struct mt_event *ev)
{
	return ev->pid ? ev->pid : (__u32)r->info.pid;
}

/* The track of event @ev: its goroutine's for a Go lock wait with its id, else its thread's. */
static __u32 ev_track(const struct mt_event *ev)
{
	if (ev->kind == MT_EV_WAIT && (ev->flags & MT_EV_LIB_LOCK) && ev->wait.goid &&
	    ev->wait.goid <= GOROUTINE_MAX)
		return GOROUTINE_TID + (__u32)ev->wait.goid;
	return ev->tid;
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
	size_t lo = 0, hi = c->nlocks;

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
	const struct mt_event *ev = &c->r->event_log[i].ev;
	__u64 dur;

	switch (ev->kind) {
	case MT_EV_RESIZE:
		/* a profile map's first table is no resize: its counter shows it */
		if (!(ev->flags & MT_EV_LOG2) && !ev->resize.old_size)
			return false;
		dur = ev->resize.dur_ns;
		break;
	case MT_EV_MIGRATE:
		/* a whole incremental rehash ran in many calls, on any thread: an instant says it */
		if (ev->flags & MT_EV_WHOLE)
			return false;
		dur = ev->migrate.dur_ns;
		break;
	case MT_EV_WAIT:
		/* a wait inside a library lock wait is that wait's own span */
		if (ev->flags & MT_EV_IN_LIB)
			return false;
		dur = ev->wait.wait_ns;
		break;
	default:
		return false;
	}
	*s = (struct span){
		.start = ev->ts > dur ? ev->ts - dur : 0,
		.end = ev->ts,
		.dur = dur,
		.tid = ev_track(ev),
		.pid = ev_pid(c->r, ev),
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

	c->locks = calloc((size_t)r->nlocks + (size_t)r->nwaits + 1, sizeof(*c->locks));
	c->owners = calloc(r->nevent_log + 1, sizeof(*c->owners));
	c->spans = calloc(r->nevent_log + 1, sizeof(*c->spans));
	c->threads = calloc(r->nevent_log + 1, sizeof(*c->threads));
	ends = calloc(r->nevent_log + 1, sizeof(*ends));
	rp = report_replay__new(r, c->waits);
	if (!c->locks || !c->owners || !c->spans || !c->threads || !ends || !rp) {
		free(ends);
		report_replay__free(rp);
		return -ENOMEM;
	}
	for (int i = 0; i < r->nlocks; i++)
		c->locks[c->nlocks++] = &r->locks[i];
	for (int i = 0; c->waits && i < r->nwaits; i++)
		c->locks[c->nlocks++] = &r->waits[i];
	if (c->nlocks)
		qsort(c->locks, c->nlocks, sizeof(*c->locks), cmp_lock_ptr);

	for (size_t i = 0; i < r->nevent_log; i++) {
		const struct mt_event *ev = &r->event_log[i].ev;

		report_replay__step(rp, &r->event_log[i], &c->owners[i]);
		c->threads[c->nthreads++] = (__u64)ev_pid(r, ev) << 32 | ev_track(ev);
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
		else if (tid > GOROUTINE_TID)
			snprintf(name, sizeof(name), "goroutine %u", tid - GOROUTINE_TID);
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

static void wait_span(struct chrome *c, const struct span *s, const struct model_event *le)
{
	const struct mt_event *ev = &le->ev;
	const struct lock_report *l = find_lock(c, s->owner);
	const char *kind = l ? mt_lock_kind_name(l->kind) : "futex";
	__u64 map = l ? l->map : 0;
	unsigned int mode = MT_MODE_UNKNOWN;
	char name[128];

	if (ev->flags & MT_EV_LIB_LOCK) {
		kind = ev->flags & MT_EV_RWLOCK ? "rwlock" : "mutex";
		map = ev->map;
		mode = ev->wait.mode;
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
	if (!(ev->flags & MT_EV_LIB_LOCK)) {
		addr_field(c->w, "futex", ev->wait.word);
		json_writer__s64_field(c->w, "ret", ev->wait.ret);
	}
	json_writer__u64_field(c->w, "wait_ns", s->dur);
	if (s->tid > GOROUTINE_TID) {
		json_writer__u64_field(c->w, "goid", ev->wait.goid);
		json_writer__u64_field(c->w, "thread", ev->tid);
	}
}

/* "grow 2^4->2^5" for libcmap's bucket exponents; "grow 1024->2048" for a profile's slots. */
static void resize_name(char *buf, size_t size, const struct mt_event *ev)
{
	unsigned long long from = ev->resize.old_size, to = ev->resize.new_size;
	bool log2 = ev->flags & MT_EV_LOG2;

	if (ev->flags & MT_EV_SAME_SIZE)
		snprintf(buf, size, log2 ? "same-size grow 2^%llu" : "same-size resize %llu", to);
	else if (log2)
		snprintf(buf, size, "grow 2^%llu->2^%llu", from, to);
	else
		snprintf(buf, size, "%s %llu->%llu", to > from ? "grow" : "shrink", from, to);
}

static void grow_span(struct chrome *c, const struct span *s, const struct model_event *le)
{
	const struct mt_event *ev = &le->ev;
	bool log2 = ev->flags & MT_EV_LOG2;
	char name[64];

	if (ev->kind == MT_EV_RESIZE)
		resize_name(name, sizeof(name), ev);
	else
		snprintf(name, sizeof(name), "evacuate");
	event_begin(c, "X", name, "rehash", s->pid, s->tid, s->start);
	dur_field(c, s->end - s->start);
	json_writer__name(c->w, "args");
	json_writer__obj_begin(c->w);
	addr_field(c->w, "map", s->owner);
	if (ev->map != s->owner)
		addr_field(c->w, "inner_map", ev->map);
	if (ev->kind == MT_EV_RESIZE) {
		if (ev->resize.count != MT_EV_UNKNOWN)
			json_writer__u64_field(c->w, "count", ev->resize.count);
		json_writer__u64_field(c->w, log2 ? "old_B" : "old_size", ev->resize.old_size);
		json_writer__u64_field(c->w, log2 ? "new_B" : "new_size", ev->resize.new_size);
	} else {
		json_writer__u64_field(c->w, "oldbucket", ev->migrate.oldbucket);
		json_writer__u64_field(c->w, "moved", ev->migrate.entries);
	}
	/* a resize not timed (libstdc++'s rehash inlined in the program) is no 0 ns one */
	if (ev->kind == MT_EV_RESIZE && !(ev->flags & MT_EV_TIMED))
		json_writer__null_field(c->w, "dur_ns");
	else
		json_writer__u64_field(c->w, "dur_ns", s->dur);
}

static void spans(struct chrome *c)
{
	for (size_t i = 0; i < c->nspans; i++) {
		const struct span *s = &c->spans[i];
		const struct model_event *le = &c->r->event_log[s->ev];

		if (le->ev.kind == MT_EV_WAIT)
			wait_span(c, s, le);
		else
			grow_span(c, s, le);
		if (s->end - s->start != s->dur)
			json_writer__u64_field(c->w, "trimmed_ns", s->dur - (s->end - s->start));
		stack_field(c, le->stack);
		json_writer__obj_end(c->w); /* args */
		json_writer__obj_end(c->w);
	}
}

/*
 * A "C" event for map @map (owned by @top) now of size @size (libcmap: B, so 2^B buckets; a
 * profile map: slots) holding @count entries (MT_EV_UNKNOWN: not said).
 */
static void map_counter(struct chrome *c, const struct mt_event *ev, __u64 top, __u64 size,
			__u64 count)
{
	bool log2 = ev->flags & MT_EV_LOG2;
	char name[96];

	if (top && top != ev->map)
		snprintf(name, sizeof(name), "map 0x%llx / 0x%llx", (unsigned long long)top,
			 (unsigned long long)ev->map);
	else
		snprintf(name, sizeof(name), "map 0x%llx", (unsigned long long)ev->map);
	json_writer__obj_begin(c->w);
	json_writer__string_field(c->w, "ph", "C");
	json_writer__string_field(c->w, "name", name);
	json_writer__u64_field(c->w, "pid", ev_pid(c->r, ev));
	ts_field(c, "ts", ev->ts);
	json_writer__name(c->w, "args");
	json_writer__obj_begin(c->w);
	if (log2)
		json_writer__u64_field(c->w, "buckets", size < 64 ? 1ULL << size : 0);
	else
		json_writer__u64_field(c->w, "slots", size);
	if (count != MT_EV_UNKNOWN)
		json_writer__u64_field(c->w, "entries", count);
	json_writer__obj_end(c->w);
	json_writer__obj_end(c->w);
}

static void instant(struct chrome *c, const struct model_event *le, const char *what, __u64 top)
{
	const struct mt_event *ev = &le->ev;
	char name[96];

	snprintf(name, sizeof(name), "%s 0x%llx", what, (unsigned long long)ev->map);
	event_begin(c, "i", name, "map", ev_pid(c->r, ev), ev->tid, ev->ts);
	json_writer__string_field(c->w, "s", "t");
	json_writer__name(c->w, "args");
	json_writer__obj_begin(c->w);
	addr_field(c->w, "map", ev->map);
	if (top && top != ev->map)
		addr_field(c->w, "in_map", top);
	if (ev->lib) {
		char lib[64];

		json_writer__string_field(c->w, "library",
					  run_info__library(&c->r->info, ev->lib, lib, sizeof(lib)));
	}
}

static void instant_end(struct chrome *c)
{
	json_writer__obj_end(c->w); /* args */
	json_writer__obj_end(c->w);
}

static void create_event(struct chrome *c, const struct model_event *le, __u64 top)
{
	const struct mt_event *ev = &le->ev;

	instant(c, le, "create map", top);
	if (ev->flags & MT_EV_LOG2) {
		json_writer__string_field(c->w, "variant", mt_variant_name(ev->create.variant));
		json_writer__u64_field(c->w, "hint", ev->create.hint);
		json_writer__u64_field(c->w, "B", ev->create.size);
	} else {
		json_writer__u64_field(c->w, "size", ev->create.size);
	}
	stack_field(c, le->stack);
	instant_end(c);
	/* a concurrent map's own record has no buckets (its inner maps do); 0 slots: unknown */
	if (ev->flags & MT_EV_LOG2 ? ev->create.variant == CMAP_PLAIN : ev->create.size != 0)
		map_counter(c, ev, top, ev->create.size, 0);
}

/* A profile map's whole incremental rehash: its figures, at its end. */
static void rehash_event(struct chrome *c, const struct model_event *le, __u64 top)
{
	const struct mt_event *ev = &le->ev;

	instant(c, le, "rehash done", top);
	json_writer__u64_field(c->w, "steps", ev->migrate.steps);
	json_writer__u64_field(c->w, "buckets", ev->migrate.buckets);
	json_writer__u64_field(c->w, "step_ns", ev->migrate.dur_ns);
	json_writer__u64_field(c->w, "elapsed_ns", ev->migrate.elapsed_ns);
	stack_field(c, le->stack);
	instant_end(c);
	if (ev->migrate.size)
		map_counter(c, ev, top, ev->migrate.size, MT_EV_UNKNOWN);
}

/* Counters and instants, in log order. */
static void map_events(struct chrome *c)
{
	const struct report *r = c->r;

	for (size_t i = 0; i < r->nevent_log; i++) {
		const struct model_event *le = &r->event_log[i];
		const struct mt_event *ev = &le->ev;
		__u64 top = c->owners[i];

		switch (ev->kind) {
		case MT_EV_MAP_CREATE:
			create_event(c, le, top);
			break;
		case MT_EV_RESIZE:
			map_counter(c, ev, top, ev->resize.new_size, ev->resize.count);
			break;
		case MT_EV_MIGRATE:
			if (ev->flags & MT_EV_WHOLE)
				rehash_event(c, le, top);
			break;
		case MT_EV_GROW_DONE:
			instant(c, le, "grow done", top);
			json_writer__u64_field(c->w, "B", ev->done.size);
			json_writer__u64_field(c->w, "count", ev->done.count);
			instant_end(c);
			map_counter(c, ev, top, ev->done.size, ev->done.count);
			break;
		case MT_EV_PROMOTE:
			instant(c, le, "promote", top);
			json_writer__u64_field(c->w, "dirty_len", ev->dirty_len);
			instant_end(c);
			break;
		case MT_EV_MAP_DESTROY:
			instant(c, le, "destroy map", top);
			json_writer__u64_field(c->w, "inserts", ev->counts.inserts);
			json_writer__u64_field(c->w, "deletes", ev->counts.deletes);
			instant_end(c);
			break;
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
	json_writer__u64_field(c->w, "events_not_kept", c->r->events_not_kept);
	json_writer__obj_end(c->w);
}

static int chrome_emit(FILE *out, const struct report *r, const struct report_opts *o)
{
	/*
	 * A timeline draws every wait a thread made, --all-waits or not: leaving out the joins
	 * and condvar waits would leave gaps no row explains.  Each is named by its own kind.
	 */
	struct chrome c = { .r = r, .waits = true };
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
	.traits = REPORT_EVENTS | REPORT_ALL_ROWS,
	.emit = chrome_emit,
};
