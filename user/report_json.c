// SPDX-License-Identifier: MIT
/*
 * The "json" backend: one document that scripts and tests read (its fields are documented in
 * the README).  Counts and nanoseconds are integers, written exactly; unknown values are null
 * rather than a sentinel a script could mistake for data.
 */
#include <errno.h>
#include <stdio.h>
#include "json_writer.h"
#include "report.h"
#include "util.h"

/* Long C++ names and paths fit; a longer frame is cut, which is still valid JSON. */
#define FRAME_BUF 1024

static void addr_field(struct json_writer *w, const char *name, __u64 addr)
{
	char buf[32];

	/* A string: JSON numbers are doubles to most readers and would round 64-bit addresses. */
	snprintf(buf, sizeof(buf), "0x%llx", (unsigned long long)addr);
	json_writer__string_field(w, name, buf);
}

/* The frames of stack @idx, leaf first, as strings; null when there is no stack. */
static void frames_value(struct json_writer *w, const struct report *r, int idx)
{
	const struct mt_stack *st = report__stack(r, idx);
	char buf[FRAME_BUF];

	if (!st) {
		json_writer__null(w);
		return;
	}
	json_writer__arr_begin(w);
	for (int i = 0; i < st->nframes; i++)
		json_writer__string(w, report__fmt_frame(buf, sizeof(buf), &st->frames[i]));
	json_writer__arr_end(w);
}

static void top_stacks_field(struct json_writer *w, const struct report *r,
			     const struct mt_stack_cost *top, int ntop, const char *ns_name)
{
	json_writer__name(w, "top_stacks");
	json_writer__arr_begin(w);
	for (int i = 0; i < ntop && i < MT_TOP_STACKS; i++) {
		json_writer__obj_begin(w);
		json_writer__u64_field(w, "count", top[i].count);
		json_writer__u64_field(w, ns_name, top[i].ns);
		json_writer__name(w, "frames");
		frames_value(w, r, top[i].stack);
		json_writer__obj_end(w);
	}
	json_writer__arr_end(w);
}

/* Who held a lock: [{count, frames}], the waking releases per stack, most first. */
static void holder_stacks_field(struct json_writer *w, const struct report *r,
				const struct lock_report *l)
{
	json_writer__name(w, "holder_stacks");
	json_writer__arr_begin(w);
	for (int i = 0; i < l->nholders && i < MT_TOP_STACKS; i++) {
		json_writer__obj_begin(w);
		json_writer__u64_field(w, "count", l->holder_stacks[i].count);
		json_writer__name(w, "frames");
		frames_value(w, r, l->holder_stacks[i].stack);
		json_writer__obj_end(w);
	}
	json_writer__arr_end(w);
}

/*
 * libcmap's locks: the holds a waiter waited behind, {count, untimed, total_ns, p50_ns, p99_ns,
 * max_ns, holder_stacks: [{count, hold_ns, frames}]}: count is all of them, untimed those the
 * library did not time, the rest of the figures and stacks the timed ones; null for a lock
 * whose holds nothing measures.
 */
static void hold_time_field(struct json_writer *w, const struct report *r,
			    const struct lock_report *l)
{
	if (!l->from_library) {
		json_writer__null_field(w, "hold_time");
		return;
	}
	json_writer__name(w, "hold_time");
	json_writer__obj_begin(w);
	json_writer__u64_field(w, "count", l->hold_count);
	json_writer__u64_field(w, "untimed", l->hold_untimed);
	json_writer__u64_field(w, "total_ns", l->hold_ns);
	json_writer__u64_field(w, "p50_ns", l->hold_p50_ns);
	json_writer__u64_field(w, "p99_ns", l->hold_p99_ns);
	json_writer__u64_field(w, "max_ns", l->hold_max_ns);
	json_writer__name(w, "holder_stacks");
	json_writer__arr_begin(w);
	for (int i = 0; i < l->nhold_stacks && i < MT_TOP_STACKS; i++) {
		json_writer__obj_begin(w);
		json_writer__u64_field(w, "count", l->hold_stacks[i].count);
		json_writer__u64_field(w, "hold_ns", l->hold_stacks[i].ns);
		json_writer__name(w, "frames");
		frames_value(w, r, l->hold_stacks[i].stack);
		json_writer__obj_end(w);
	}
	json_writer__arr_end(w);
	json_writer__obj_end(w);
}

static void map_value(struct json_writer *w, const struct report *r, const struct map_report *m)
{
	json_writer__obj_begin(w);
	addr_field(w, "addr", m->addr);
	json_writer__u64_field(w, "folded", m->folded);
	json_writer__string_field(w, "library", m->library);
	json_writer__name(w, "name");
	json_writer__string(w, m->name && m->name[0] ? m->name : NULL);
	json_writer__name(w, "go_type");
	json_writer__string(w, m->go_type && m->go_type[0] ? m->go_type : NULL);
	json_writer__name(w, "variant");
	json_writer__string(w, m->variant >= 0 ? mt_variant_name(m->variant) : NULL);
	json_writer__u64_field(w, "inserts", m->inserts);
	json_writer__u64_field(w, "deletes", m->deletes);
	json_writer__u64_field(w, "lookups", m->lookups);
	json_writer__u64_field(w, "grows", m->grows);
	json_writer__u64_field(w, "shrinks", m->shrinks);
	json_writer__u64_field(w, "same_size_grows", m->same_size_grows);
	json_writer__u64_field(w, "evacuated", m->evacuated);
	json_writer__u64_field(w, "evacuated_summed", m->evac_summed);
	json_writer__u64_field(w, "moved", m->moved);
	json_writer__u64_field(w, "grows_done", m->grows_done);
	json_writer__u64_field(w, "rehash_steps", m->rehash_steps);
	json_writer__u64_field(w, "rehash_elapsed_ns", m->rehash_elapsed_ns);
	/* an incremental evacuation running at the map's last reading (Go), else null */
	json_writer__name(w, "evacuating");
	if (m->evac_of) {
		json_writer__obj_begin(w);
		json_writer__u64_field(w, "old_buckets", m->evac_of);
		json_writer__u64_field(w, "evacuated", m->evac_pos);
		if (m->evac_elapsed_ns)
			json_writer__u64_field(w, "elapsed_ns", m->evac_elapsed_ns);
		else
			json_writer__null_field(w, "elapsed_ns");
		json_writer__obj_end(w);
	} else {
		json_writer__null(w);
	}
	/* cmap's path is in bucket exponents; a profile's in its own table sizes */
	json_writer__string_field(w, "sizes_unit", m->sizes_in_slots ? "slots" : "log2 buckets");
	json_writer__u64_field(w, "size", m->size);
	json_writer__name(w, "sizes");
	json_writer__arr_begin(w);
	for (int i = 0; i < m->nsizes && i < MT_MAX_SIZES; i++)
		json_writer__u64(w, m->sizes[i]);
	json_writer__arr_end(w);
	json_writer__u64_field(w, "B", m->B);
	json_writer__u64_field(w, "buckets", m->buckets);
	json_writer__u64_field(w, "grow_ns_total", m->grow_ns_total);
	json_writer__u64_field(w, "grow_ns_max", m->grow_ns_max);
	json_writer__u64_field(w, "alloc_ns_total", m->alloc_ns_total);
	json_writer__u64_field(w, "evac_ns_total", m->evac_ns_total);
	if (m->count < 0)
		json_writer__null_field(w, "count");
	else
		json_writer__s64_field(w, "count", m->count);
	json_writer__u64_field(w, "peak_count", m->peak_count);
	/* a Go Swiss map's deepest directory (2^dir_depth tables at most) */
	if (m->dir_depth)
		json_writer__u64_field(w, "dir_depth", m->dir_depth - 1);
	else
		json_writer__null_field(w, "dir_depth");
	/* created before tracing: the entries it held when first seen */
	if (m->create_seen || m->first_count < 0)
		json_writer__null_field(w, "first_seen_count");
	else
		json_writer__s64_field(w, "first_seen_count", m->first_count);
	json_writer__u64_field(w, "capacity", m->capacity);
	/* Without the create probe the hint is unknown, which is not the same as "no hint". */
	if (m->create_seen)
		json_writer__u64_field(w, "hint", m->hint);
	else
		json_writer__null_field(w, "hint");
	json_writer__name(w, "created_at");
	if (m->create_seen && m->created_at && m->created_at[0])
		json_writer__string(w, m->created_at);
	else
		json_writer__null(w);
	json_writer__name(w, "created_stack");
	frames_value(w, r, m->create_seen ? m->created_stack : -1);
	/* creation not seen: where the map first grew */
	json_writer__name(w, "first_grown_at");
	if (!m->create_seen && m->first_grown_at && m->first_grown_at[0])
		json_writer__string(w, m->first_grown_at);
	else
		json_writer__null(w);
	json_writer__name(w, "first_grow_stack");
	frames_value(w, r, m->create_seen ? -1 : m->first_grow_stack);
	if (report__sync_hits_known(m))
		json_writer__u64_field(w, "hits", m->sync_hits);
	else
		json_writer__null_field(w, "hits"); /* Go's sync.Map: misses only */
	json_writer__u64_field(w, "misses", m->sync_misses);
	json_writer__u64_field(w, "promotions", m->promotions);
	top_stacks_field(w, r, m->top_stacks, m->ntop, "grow_ns");
	json_writer__obj_end(w);
}

static void lock_value(struct json_writer *w, const struct report *r, const struct lock_report *l)
{
	json_writer__obj_begin(w);
	addr_field(w, "addr", l->addr);
	json_writer__u64_field(w, "folded", l->folded);
	json_writer__name(w, "name");
	json_writer__string(w, l->name && l->name[0] ? l->name : NULL);
	json_writer__string_field(w, "kind", mt_lock_kind_name(l->kind));
	if (l->map)
		addr_field(w, "map", l->map);
	else
		json_writer__null_field(w, "map");
	json_writer__u64_field(w, "contentions", l->contentions);
	json_writer__u64_field(w, "wait_ns_total", l->wait_ns);
	json_writer__u64_field(w, "p50_ns", l->p50_ns);
	json_writer__u64_field(w, "p99_ns", l->p99_ns);
	json_writer__u64_field(w, "max_ns", l->max_ns);
	json_writer__name(w, "reads");
	json_writer__obj_begin(w);
	json_writer__u64_field(w, "contentions", l->read_contentions);
	json_writer__u64_field(w, "wait_ns", l->read_wait_ns);
	json_writer__obj_end(w);
	json_writer__name(w, "writes");
	json_writer__obj_begin(w);
	json_writer__u64_field(w, "contentions", l->write_contentions);
	json_writer__u64_field(w, "wait_ns", l->write_wait_ns);
	json_writer__obj_end(w);
	top_stacks_field(w, r, l->top_stacks, l->ntop, "wait_ns");
	json_writer__u64_field(w, "holder_wakes", l->holder_wakes);
	holder_stacks_field(w, r, l);
	hold_time_field(w, r, l);
	json_writer__obj_end(w);
}

static void line_share_value(struct json_writer *w, const struct line_share *g)
{
	int shown = g->nlocks < REPORT_LINE_SHARE_MAX ? g->nlocks : REPORT_LINE_SHARE_MAX;
	char buf[32];

	json_writer__obj_begin(w);
	json_writer__name(w, "locks");
	json_writer__arr_begin(w);
	for (int i = 0; i < shown; i++) {
		snprintf(buf, sizeof(buf), "0x%llx", (unsigned long long)g->locks[i]);
		json_writer__string(w, buf);
	}
	json_writer__arr_end(w);
	json_writer__u64_field(w, "nlocks", (__u64)g->nlocks);
	addr_field(w, "first_line", g->first_line);
	addr_field(w, "last_line", g->last_line);
	json_writer__u64_field(w, "contentions", g->contentions);
	json_writer__u64_field(w, "wait_ns_total", g->wait_ns);
	json_writer__obj_end(w);
}

/* A map event's sizes: bucket exponents for libcmap (as its records say), slots otherwise. */
static void size_field(struct json_writer *w, const struct mt_event *ev, const char *log2_name,
		       const char *name, __u64 v)
{
	json_writer__u64_field(w, ev->flags & MT_EV_LOG2 ? log2_name : name, v);
}

static void opt_u64_field(struct json_writer *w, const char *name, __u64 v)
{
	if (v == MT_EV_UNKNOWN)
		json_writer__null_field(w, name);
	else
		json_writer__u64_field(w, name, v);
}

static void map_event_fields(struct json_writer *w, const struct mt_event *ev)
{
	addr_field(w, "map", ev->map);
	switch (ev->kind) {
	case MT_EV_MAP_CREATE:
		if (!(ev->flags & MT_EV_LOG2)) {
			json_writer__u64_field(w, "size", ev->create.size);
			/* a profile's hint= (Go's NewMap): null where the site has none */
			if (ev->flags & MT_EV_HINT)
				json_writer__u64_field(w, "hint", ev->create.hint);
			else
				json_writer__null_field(w, "hint");
			break;
		}
		json_writer__u64_field(w, "hint", ev->create.hint);
		if (ev->create.parent)
			addr_field(w, "parent", ev->create.parent);
		else
			json_writer__null_field(w, "parent");
		json_writer__u64_field(w, "B", ev->create.size);
		json_writer__string_field(w, "variant", mt_variant_name(ev->create.variant));
		break;
	case MT_EV_RESIZE:
		opt_u64_field(w, "count", ev->resize.count);
		if (ev->flags & MT_EV_TIMED)
			json_writer__u64_field(w, "dur_ns", ev->resize.dur_ns);
		else
			json_writer__null_field(w, "dur_ns");
		size_field(w, ev, "old_B", "old_size", ev->resize.old_size);
		size_field(w, ev, "new_B", "new_size", ev->resize.new_size);
		json_writer__bool_field(w, "same_size", ev->flags & MT_EV_SAME_SIZE);
		/* a Go Swiss map's directory: 2^dir_depth table pointers after the grow */
		if (ev->resize.dir_depth)
			json_writer__u64_field(w, "dir_depth", ev->resize.dir_depth - 1);
		break;
	case MT_EV_MIGRATE:
		if (ev->flags & MT_EV_WHOLE) {
			json_writer__u64_field(w, "steps", ev->migrate.steps);
			json_writer__u64_field(w, "buckets", ev->migrate.buckets);
			json_writer__u64_field(w, "step_ns", ev->migrate.dur_ns);
			json_writer__u64_field(w, "elapsed_ns", ev->migrate.elapsed_ns);
			json_writer__u64_field(w, "size", ev->migrate.size);
			break;
		}
		json_writer__u64_field(w, "oldbucket", ev->migrate.oldbucket);
		json_writer__u64_field(w, "moved", ev->migrate.entries);
		json_writer__u64_field(w, "dur_ns", ev->migrate.dur_ns);
		break;
	case MT_EV_GROW_DONE:
		json_writer__u64_field(w, "count", ev->done.count);
		json_writer__u64_field(w, "B", ev->done.size);
		break;
	case MT_EV_PROMOTE:
		json_writer__u64_field(w, "dirty_len", ev->dirty_len);
		break;
	case MT_EV_MAP_DESTROY:
		json_writer__u64_field(w, "inserts", ev->counts.inserts);
		json_writer__u64_field(w, "deletes", ev->counts.deletes);
		json_writer__u64_field(w, "hits", ev->counts.sync_hits);
		json_writer__u64_field(w, "misses", ev->counts.sync_misses);
		break;
	case MT_EV_MAP_COUNTS:
		json_writer__u64_field(w, "inserts", ev->lib_counts.inserts);
		json_writer__u64_field(w, "deletes", ev->lib_counts.deletes);
		json_writer__u64_field(w, "count", ev->lib_counts.count);
		/* a Go map read as the program exits, its evacuation still running */
		if (ev->lib_counts.evac_of) {
			json_writer__u64_field(w, "evac_old_buckets", ev->lib_counts.evac_of);
			json_writer__u64_field(w, "evac_evacuated", ev->lib_counts.evac_pos);
		}
		break;
	}
}

/* The fields of one event, by kind. */
static void event_fields(struct json_writer *w, const struct report *r, const struct mt_event *ev)
{
	char lib[64];

	/* a release that woke a waiter: the holder side of a futex word's waits */
	if (ev->kind == MT_EV_WAKE) {
		addr_field(w, "uaddr", ev->wake.word);
		json_writer__s64_field(w, "woken", ev->wake.woken);
		json_writer__u64_field(w, "op", ev->wake.op);
		return;
	}
	/* a library lock's hold that a waiter waited behind */
	if (ev->kind == MT_EV_HOLD) {
		addr_field(w, "map", ev->map);
		addr_field(w, "lock", ev->hold.lock);
		/* null: the library did not time this hold (see cmap.h, lock_hold) */
		if (ev->hold.hold_ns == MT_HOLD_UNTIMED)
			json_writer__null_field(w, "hold_ns");
		else
			json_writer__u64_field(w, "hold_ns", ev->hold.hold_ns);
		json_writer__string_field(w, "mode", report__mode_name(ev->hold.mode));
		json_writer__string_field(w, "kind", ev->flags & MT_EV_RWLOCK ? "rwlock" : "mutex");
		return;
	}
	if (ev->kind != MT_EV_WAIT) {
		if (ev->lib)
			json_writer__string_field(w, "library",
						  run_info__library(&r->info, ev->lib, lib, sizeof(lib)));
		map_event_fields(w, ev);
		return;
	}
	if (ev->flags & MT_EV_LIB_LOCK) {
		addr_field(w, "map", ev->map);
		addr_field(w, "lock", ev->wait.lock);
		json_writer__u64_field(w, "wait_ns", ev->wait.wait_ns);
		json_writer__string_field(w, "mode", report__mode_name(ev->wait.mode));
		json_writer__string_field(w, "kind", ev->flags & MT_EV_RWLOCK ? "rwlock" : "mutex");
		/* the waiting goroutine (g.goid); null: not Go, or its Go's offset unknown */
		if (ev->wait.goid)
			json_writer__u64_field(w, "goid", ev->wait.goid);
		else
			json_writer__null_field(w, "goid");
		return;
	}
	addr_field(w, "uaddr", ev->wait.word);
	json_writer__u64_field(w, "wait_ns", ev->wait.wait_ns);
	json_writer__s64_field(w, "ret", ev->wait.ret);
	json_writer__u64_field(w, "op", ev->wait.op);
	/* such a wait is already counted as the library lock wait it is part of */
	json_writer__bool_field(w, "in_lib_wait", ev->flags & MT_EV_IN_LIB);
}

/*
 * Every record of the event log, in arrival order: {"type", "ts_ns" (CLOCK_MONOTONIC at the
 * event's end), "t_ns" (since the trace start), "tid", "pid", "cpu", the record's fields,
 * "stack"}.  "event_log", not "events": that name already holds the count of records.
 */
static void event_log_field(struct json_writer *w, const struct report *r)
{
	json_writer__name(w, "event_log");
	/* null, not []: the model did not keep its events, which is not "nothing happened" */
	if (!r->event_log) {
		json_writer__null(w);
		return;
	}
	json_writer__arr_begin(w);
	for (size_t i = 0; i < r->nevent_log; i++) {
		const struct mt_event *ev = &r->event_log[i].ev;

		json_writer__obj_begin(w);
		json_writer__string_field(w, "type", mt_event_name(ev));
		json_writer__u64_field(w, "ts_ns", ev->ts);
		json_writer__s64_field(w, "t_ns", (__s64)(ev->ts - r->info.start_mono_ns));
		json_writer__u64_field(w, "tid", ev->tid);
		json_writer__u64_field(w, "pid", ev->pid);
		json_writer__u64_field(w, "cpu", ev->cpu);
		event_fields(w, r, ev);
		json_writer__name(w, "stack");
		frames_value(w, r, r->event_log[i].stack);
		json_writer__obj_end(w);
	}
	json_writer__arr_end(w);
}

/* What libcmap maps report from their own counters, with or without --overhead-budget. */
static const char *const library_counters[] = {
	"inserts", "deletes", "count", "evacuated", "lookups", "hits", "misses",
};

static int json_emit(FILE *out, const struct report *r, const struct report_opts *o)
{
	__u64 dur = report__duration_ns(r);
	struct json_writer *w;
	int err;

	w = json_writer__new(out, o && o->pretty);
	if (!w)
		return -ENOMEM;

	json_writer__obj_begin(w);
	json_writer__s64_field(w, "pid", r->info.pid);
	json_writer__string_field(w, "comm", r->info.comm);
	json_writer__name(w, "duration_s");
	json_writer__double(w, (double)dur / 1e9, 3);
	json_writer__u64_field(w, "duration_ns", dur);
	json_writer__bool_field(w, "library_found", r->info.library_found);
	json_writer__bool_field(w, "target_exited", r->info.target_exited);
	json_writer__bool_field(w, "final", r->final);

	json_writer__name(w, "maps");
	json_writer__arr_begin(w);
	for (int i = 0; i < r->nmaps; i++)
		map_value(w, r, &r->maps[i]);
	json_writer__arr_end(w);

	json_writer__name(w, "locks");
	json_writer__arr_begin(w);
	for (int i = 0; i < r->nlocks; i++)
		lock_value(w, r, &r->locks[i]);
	json_writer__arr_end(w);

	/* the futex waits that are not lock contention, with the same fields: always, by kind */
	json_writer__name(w, "other_waits");
	json_writer__arr_begin(w);
	for (int i = 0; i < r->nwaits; i++)
		lock_value(w, r, &r->waits[i]);
	json_writer__arr_end(w);
	/* and their totals by kind, which --top does not cut: {"go-park": {waits, wait_ns}, ...} */
	json_writer__name(w, "other_wait_totals");
	json_writer__obj_begin(w);
	for (int k = 0; k < MT_LOCK_KINDS; k++) {
		if (!r->wait_kinds[k].count)
			continue;
		json_writer__name(w, mt_lock_kind_name(k));
		json_writer__obj_begin(w);
		json_writer__u64_field(w, "waits", r->wait_kinds[k].count);
		json_writer__u64_field(w, "wait_ns", r->wait_kinds[k].ns);
		json_writer__obj_end(w);
	}
	json_writer__obj_end(w);

	/* contended locks sharing a cache line, groups in address order */
	json_writer__name(w, "false_sharing");
	json_writer__arr_begin(w);
	for (int i = 0; i < r->nline_shares; i++)
		line_share_value(w, &r->line_shares[i]);
	json_writer__arr_end(w);

	json_writer__name(w, "advice");
	json_writer__arr_begin(w);
	for (int i = 0; i < r->nadvice; i++)
		json_writer__string(w, r->advice[i]);
	json_writer__arr_end(w);

	/* --overhead-budget: which figures are sampled, and how much */
	json_writer__name(w, "sampling");
	if (r->info.budget_pct > 0) {
		json_writer__obj_begin(w);
		json_writer__name(w, "budget_pct");
		json_writer__double(w, r->info.budget_pct, 3);
		json_writer__name(w, "duty");
		json_writer__double(w, r->info.duty, 4);
		/* every count comes from the maps' own counters, but a profile's per-operation ones */
		json_writer__name(w, "sampled");
		json_writer__arr_begin(w);
		if (r->info.profile_sampled) {
			json_writer__string(w, "profile inserts");
			json_writer__string(w, "profile deletes");
			json_writer__string(w, "profile lookups");
		}
		json_writer__arr_end(w);
		json_writer__name(w, "from_library_counters");
		json_writer__arr_begin(w);
		for (size_t i = 0; i < ARRAY_SIZE(library_counters); i++)
			json_writer__string(w, library_counters[i]);
		json_writer__arr_end(w);
		json_writer__obj_end(w);
	} else {
		json_writer__null(w);
	}
	json_writer__name(w, "before_attach");
	json_writer__obj_begin(w);
	json_writer__u64_field(w, "maps", r->before_attach.maps);
	json_writer__u64_field(w, "freed", r->before_attach.freed);
	json_writer__u64_field(w, "first_seen_at_resize", r->before_attach.unmade);
	if (r->before_attach.addr) {
		addr_field(w, "map", r->before_attach.addr);
		json_writer__u64_field(w, "entries", r->before_attach.count);
	} else {
		json_writer__null_field(w, "map");
		json_writer__null_field(w, "entries");
	}
	json_writer__bool_field(w, "nothing_seen_target_exited", report__nothing_seen(r));
	json_writer__obj_end(w);
	json_writer__u64_field(w, "dropped", report__dropped_total(r));
	json_writer__name(w, "dropped_detail");
	json_writer__obj_begin(w);
	json_writer__u64_field(w, "ringbuf", r->dropped[MT_DROP_RINGBUF]);
	json_writer__u64_field(w, "stack", r->dropped[MT_DROP_STACK]);
	json_writer__u64_field(w, "state", r->dropped[MT_DROP_STATE]);
	json_writer__u64_field(w, "maps", r->dropped[MT_DROP_MAPS]);
	json_writer__u64_field(w, "map_alloc", r->dropped[MT_DROP_ALLOC]);
	json_writer__obj_end(w);
	json_writer__u64_field(w, "events", r->events);
	json_writer__u64_field(w, "maps_folded", r->maps_folded);
	json_writer__name(w, "lib_totals");
	if (r->lib_totals_seen) {
		json_writer__obj_begin(w);
		json_writer__u64_field(w, "maps_created", r->lib_totals.created);
		json_writer__u64_field(w, "maps_freed", r->lib_totals.freed);
		json_writer__u64_field(w, "grows", r->lib_totals.grows);
		json_writer__u64_field(w, "same_size_grows", r->lib_totals.same_size_grows);
		json_writer__obj_end(w);
	} else {
		json_writer__null(w);
	}
	json_writer__u64_field(w, "locks_folded", r->locks_folded);
	if (o && o->events) {
		event_log_field(w, r);
		json_writer__u64_field(w, "events_not_kept", r->events_not_kept);
	}
	json_writer__obj_end(w);

	err = json_writer__finish(w);
	json_writer__free(w);
	return err;
}

const struct report_backend report_json_backend = {
	.name = "json",
	.desc = "the summary as one JSON document (documented in the README)",
	.traits = 0,
	.emit = json_emit,
};
