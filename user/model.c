// SPDX-License-Identifier: MIT
/*
 * The report model: aggregates events into per-map and per-lock state (model_snapshot.c folds
 * that state into report rows).  See model.h.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cmap.h"
#include "model_int.h"
#include "sink.h"
#include "u64map.h"
#include "util.h"

#define LIB_LOCK_SPAN 64 /* bytes of a pthread lock that hold its futex words */

int stack_costs__add_n(struct stack_costs *sc, int stack, __u64 count, __u64 ns)
{
	for (int i = 0; i < sc->n; i++) {
		if (sc->v[i].stack == stack) {
			sc->v[i].count += count;
			sc->v[i].ns += ns;
			return 0;
		}
	}
	if (GROW(sc->v, sc->n, sc->cap, 4))
		return -ENOMEM;
	sc->v[sc->n++] = (struct mt_stack_cost){ .stack = stack, .count = count, .ns = ns };
	return 0;
}

static int stack_costs__add(struct stack_costs *sc, int stack, __u64 ns)
{
	return stack_costs__add_n(sc, stack, 1, ns);
}

struct model *model__new(void)
{
	return calloc(1, sizeof(struct model));
}

void model__free(struct model *m)
{
	if (!m)
		return;
	for (int i = 0; i < m->nmaps; i++) {
		free(m->maps[i]->grow_stacks.v);
		hist__free(&m->maps[i]->grow_hist);
		if (m->maps[i]->dead)
			hist__free(&m->maps[i]->dead->grow_hist);
		free(m->maps[i]->dead);
		free(m->maps[i]->dead_stacks.v);
		free(m->maps[i]);
	}
	for (int i = 0; i < m->nlocks; i++) {
		free(m->locks[i]->holders.v);
		free(m->locks[i]->stacks.v);
		hist__free(&m->locks[i]->hist);
		free(m->locks[i]->hold_stacks.v);
		hist__free(&m->locks[i]->hold_hist);
		free(m->locks[i]);
	}
	for (int i = 0; i < m->nmap_folds; i++) {
		free(m->map_folds[i]->grow_stacks.v);
		hist__free(&m->map_folds[i]->row.grow_hist);
		free(m->map_folds[i]);
	}
	for (int i = 0; i < m->nlock_folds; i++) {
		free(m->lock_folds[i]->agg.stacks.v);
		free(m->lock_folds[i]->agg.holders.v);
		hist__free(&m->lock_folds[i]->agg.hist);
		free(m->lock_folds[i]);
	}
	free(m->map_folds);
	free(m->lock_folds);
	u64map__free(&m->map_fold_idx);
	u64map__free(&m->lock_fold_idx);
	for (int i = 0; i < m->nstacks; i++)
		free(m->stacks[i].frames);
	for (int i = 0; i < m->nstrings; i++)
		free(m->strings[i]);
	free(m->event_log);
	free(m->maps);
	free(m->locks);
	free(m->stacks);
	free(m->strings);
	u64map__free(&m->map_idx);
	u64map__free(&m->lock_idx);
	u64map__free(&m->lock_alias);
	u64map__free(&m->stack_idx);
	u64map__free(&m->string_idx);
	free(m);
}

void model__keep_events(struct model *m, bool keep)
{
	m->keep_events = keep;
}

static int log_event(struct model *m, const struct mt_event *ev, int stack, __u64 owner,
		     bool counted)
{
	if (m->nevent_log >= MODEL_EVENT_LOG_MAX) {
		m->events_not_kept++;
		return 0;
	}
	if (GROW(m->event_log, m->nevent_log, m->cap_event_log, 1024))
		return -ENOMEM;
	m->event_log[m->nevent_log++] = (struct model_event){
		.ev = *ev, .stack = stack, .owner = owner, .counted = counted
	};
	return 0;
}

struct run_info *model__info(struct model *m)
{
	return &m->info;
}

/* A new instance at @addr: from now on events at @addr are its own. */
static struct map_state *map_new_instance(struct model *m, __u64 addr)
{
	struct map_state *s;

	if (GROW(m->maps, m->nmaps, m->cap_maps, 16))
		return NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->addr = addr;
	s->variant = -1;
	s->created_stack = -1;
	s->first_grow_stack = -1;
	if (idmap__put(&m->map_idx, addr, m->nmaps)) {
		free(s);
		return NULL;
	}
	m->maps[m->nmaps++] = s;
	return s;
}

/* The map living at @addr now (one is made up when its creation was not seen). */
static struct map_state *map_get(struct model *m, __u64 addr)
{
	int i = idmap__get(&m->map_idx, addr);

	return i >= 0 ? m->maps[i] : map_new_instance(m, addr);
}

static struct lock_state *lock_get(struct model *m, __u64 addr)
{
	struct lock_state *s;
	int i = idmap__get(&m->lock_idx, addr);

	if (i >= 0)
		return m->locks[i];
	if (GROW(m->locks, m->nlocks, m->cap_locks, 16))
		return NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->addr = addr;
	if (idmap__put(&m->lock_idx, addr, m->nlocks)) {
		free(s);
		return NULL;
	}
	m->locks[m->nlocks++] = s;
	return s;
}

static void map_push_size(struct map_state *s, __u64 B)
{
	if (s->nsizes && s->sizes[s->nsizes - 1] == B)
		return;
	if (s->nsizes < MT_MAX_SIZES)
		s->sizes[s->nsizes++] = B;
}

__s64 map_state__count(const struct map_state *s)
{
	if (s->own_seen)
		return (__s64)s->own.count;
	if (!s->create_seen)
		return -1;
	return (__s64)(s->counts.inserts - s->counts.deletes);
}

static void map_note_count(struct map_state *s, __u64 count)
{
	if (count > s->peak_count)
		s->peak_count = count;
}

/* A map whose creation was not seen: the entries it held when it was first seen. */
static void map_first_count(struct map_state *s, __u64 count)
{
	if (s->create_seen || s->first_seen)
		return;
	s->first_seen = true;
	s->first_count = count;
}

/* The address of the report row a core map's figures go to. */
static __u64 row_addr(const struct map_state *s)
{
	return s->parent ? s->parent->addr : s->addr;
}

/* The map a creation at @addr starts: a new instance when the address held one already. */
static struct map_state *map_created(struct model *m, __u64 addr)
{
	struct map_state *s = map_get(m, addr);

	/*
	 * An address reused after free: a new map, whose figures must not mix with the old one's.
	 * Go frees maps unseen (by its collector), so a map known only from its grows is old too.
	 */
	if (s && (s->create_seen || s->destroyed || s->first_seen || s->nsizes || s->grows ||
		  s->shrinks))
		s = map_new_instance(m, addr);
	if (s)
		s->create_seen = true;
	return s;
}

static int on_map_create(struct model *m, const struct mt_event *ev, int stack, __u64 *owner)
{
	const struct mt_ev_create *c = &ev->create;
	struct map_state *s = map_created(m, ev->map);

	if (!s)
		return -ENOMEM;
	s->created_stack = stack;
	s->nsizes = 0;
	if (!(ev->flags & MT_EV_LOG2)) {
		/* a map of a probe profile appears: created, or first seen in a record */
		s->lib = (int)ev->lib;
		s->size = c->size;
		s->hint = ev->flags & MT_EV_HINT ? c->hint : 0; /* Go: 0, no hint over 8 */
		if (c->size)
			map_push_size(s, c->size);
		*owner = s->addr;
		return 0;
	}
	/* the library announces a concurrent map before its inner maps: this is its instance */
	if (c->parent) {
		s->parent = map_get(m, c->parent);
		if (!s->parent)
			return -ENOMEM;
		s->parent->children++;
	}
	s->variant = c->variant;
	s->hint = c->hint;
	s->B = (__u32)c->size;
	s->B_known = true;
	map_push_size(s, c->size);
	/* first heard of at a grow: the grows it made unprobed while small, each a doubling */
	for (__u32 i = 0; i < c->grows_before; i++)
		map_push_size(s, ++s->B);
	s->grows += c->grows_before;
	s->same_size_grows += c->same_size_before;
	s->grows_done += c->grows_before + c->same_size_before;
	*owner = row_addr(s);
	return 0;
}

/* A libcmap grow: sizes are bucket exponents, and the record's count excludes the new key. */
static void on_cmap_grow(struct map_state *s, const struct mt_event *ev)
{
	const struct mt_ev_resize *r = &ev->resize;

	if (!s->B_known)
		map_push_size(s, r->old_size);
	if (ev->flags & MT_EV_SAME_SIZE)
		s->same_size_grows++;
	else
		s->grows++;
	map_push_size(s, r->new_size);
	map_first_count(s, r->count);
	s->B = (__u32)r->new_size;
	s->B_known = true;
	map_note_count(s, r->count + 1);
}

/* A profile map's resize: sizes in slots; a first table (old size 0) is no resize. */
static bool on_table_resize(struct map_state *s, const struct mt_event *ev)
{
	const struct mt_ev_resize *r = &ev->resize;

	s->lib = (int)ev->lib;
	if (!s->nsizes && r->old_size)
		map_push_size(s, r->old_size);
	map_push_size(s, r->new_size);
	s->size = r->new_size;
	if (r->dir_depth > s->dir_depth)
		s->dir_depth = r->dir_depth;
	if (r->count != MT_EV_UNKNOWN) {
		map_first_count(s, r->count);
		map_note_count(s, r->count);
	}
	/* the first table of a map made empty (Redis allocates on the first insert) */
	if (!r->old_size)
		return false;
	if (r->new_size > r->old_size)
		s->grows++;
	else if (r->new_size < r->old_size)
		s->shrinks++;
	else
		s->same_size_grows++;
	return true;
}

/*
 * The duration of @s's last resize, reported untimed (libstdc++'s rehash decision) and timed
 * apart (its out-of-line _M_rehash): that resize's time, its stack's, its logged event's.
 */
static int on_resize_joined(struct model *m, struct map_state *s, __u64 dur)
{
	if (!s->untimed_last)
		return 0;
	s->untimed_last = false;
	s->alloc_ns += dur;
	if (dur > s->max_step_ns)
		s->max_step_ns = dur;
	if (s->untimed_event < m->nevent_log) {
		struct mt_event *ev = &m->event_log[s->untimed_event].ev;

		ev->resize.dur_ns = dur;
		ev->flags |= MT_EV_TIMED;
	}
	if (hist__add(&s->grow_hist, dur))
		return -ENOMEM;
	return stack_costs__add_n(&s->grow_stacks, s->untimed_stack, 0, dur);
}

static int on_resize(struct model *m, const struct mt_event *ev, int stack, __u64 *owner,
		     bool *counted)
{
	struct map_state *s;
	__u64 dur = ev->resize.dur_ns;

	if (ev->flags & MT_EV_JOINED) {
		int i = idmap__get(&m->map_idx, ev->map);

		return i >= 0 ? on_resize_joined(m, m->maps[i], dur) : 0;
	}
	s = map_get(m, ev->map);
	if (!s)
		return -ENOMEM;
	if (ev->flags & MT_EV_LOG2) {
		*owner = row_addr(s);
		on_cmap_grow(s, ev);
	} else {
		*owner = s->addr;
		if (!on_table_resize(s, ev))
			return 0;
	}
	*counted = true;
	if (!s->create_seen && s->first_grow_stack < 0)
		s->first_grow_stack = stack;
	s->untimed_last = !(ev->flags & MT_EV_TIMED);
	s->untimed_stack = stack;
	/* model__add_event() logs it next, when it keeps events */
	s->untimed_event = m->keep_events ? m->nevent_log : SIZE_MAX;
	s->alloc_ns += dur;
	if (dur > s->max_step_ns)
		s->max_step_ns = dur;
	if ((ev->flags & MT_EV_TIMED) && hist__add(&s->grow_hist, dur))
		return -ENOMEM;
	return stack_costs__add(&s->grow_stacks, stack, dur);
}

static int on_migrate(struct model *m, const struct mt_event *ev, __u64 *owner)
{
	const struct mt_ev_migrate *r = &ev->migrate;
	struct map_state *s = map_get(m, ev->map);

	if (!s)
		return -ENOMEM;
	s->evacuated += r->buckets;
	s->evac_ns += r->dur_ns;
	if (ev->flags & MT_EV_WHOLE) {
		/* a profile map's incremental rehash, summed over its steps: it is done */
		*owner = s->addr;
		s->own.evac_of = 0;
		s->lib = (int)ev->lib;
		s->grows_done++;
		s->rehash_steps += r->steps;
		s->rehash_elapsed_ns += r->elapsed_ns;
		if (r->size) {
			map_push_size(s, r->size);
			s->size = r->size;
		}
		return 0;
	}
	*owner = row_addr(s);
	s->moved += r->entries;
	if (r->dur_ns > s->max_step_ns)
		s->max_step_ns = r->dur_ns;
	return hist__add(&s->grow_hist, r->dur_ns);
}

static int on_grow_done(struct model *m, const struct mt_event *ev, __u64 *owner)
{
	struct map_state *s = map_get(m, ev->map);

	if (!s)
		return -ENOMEM;
	*owner = row_addr(s);
	s->grows_done++;
	s->B = (__u32)ev->done.size;
	s->B_known = true;
	map_note_count(s, ev->done.count);
	return 0;
}

static int on_promote(struct model *m, const struct mt_event *ev, __u64 *owner)
{
	struct map_state *s = map_get(m, ev->map);

	if (!s)
		return -ENOMEM;
	*owner = row_addr(s);
	s->promotions++;
	return 0;
}

static __u64 max_u64(__u64 a, __u64 b)
{
	return a > b ? a : b;
}

static int on_map_destroy(struct model *m, const struct mt_event *ev, __u64 *owner)
{
	const struct mt_map_counts *rc = &ev->counts;
	int i = idmap__get(&m->map_idx, ev->map);

	if (i >= 0) {
		struct mt_map_counts *c = &m->maps[i]->counts;

		if (!m->maps[i]->destroyed && m->maps[i]->parent)
			m->maps[i]->parent->children_freed++;
		m->maps[i]->destroyed = true;
		/* the larger: with sampled probes the library's own counters were read already */
		c->inserts = max_u64(c->inserts, rc->inserts);
		c->deletes = max_u64(c->deletes, rc->deletes);
		c->sync_hits = max_u64(c->sync_hits, rc->sync_hits);
		c->sync_misses = max_u64(c->sync_misses, rc->sync_misses);
		c->lookups = max_u64(c->lookups, rc->lookups);
		if (rc->evac_steps > c->evac_steps) {
			c->evac_steps = rc->evac_steps;
			c->evac_moved = rc->evac_moved;
			c->evac_ns = rc->evac_ns;
			c->evac_max_ns = rc->evac_max_ns;
		}
		if (rc->lib)
			m->maps[i]->lib = (int)rc->lib;
		*owner = row_addr(m->maps[i]);
		return model__fold_map(m, i);
	}
	/* no row of its own (nothing of it was seen), but it says the trace began late */
	m->freed_unseen++;
	return 0;
}

/*
 * Keep a core map's own counters.  Only a core map has them: a concurrent map's struct is
 * another layout, and a map known only from a grow is a core map (only core maps grow).
 */
static bool take_own_counts(struct map_state *s, const struct mt_ev_lib_counts *c, bool all)
{
	/* read after its free (the exit program's last reading): its destroy had the last word */
	if (s->destroyed)
		return false;
	/* a sync map's own record: its hits and misses */
	if (s->variant == CMAP_SYNC && !s->parent) {
		s->sync_own = true;
		s->counts.sync_hits = c->hits;
		s->counts.sync_misses = c->misses;
		return true;
	}
	/* a profile map: the entries its profile's read line counts (tableread.c) */
	if (s->lib) {
		s->own.count = c->count;
		s->own.evac_pos = c->evac_pos;
		s->own.evac_of = c->evac_of;
		s->own.evac_elapsed_ns = c->evac_elapsed_ns;
		s->table_read = true;
		map_note_count(s, c->count);
		return true;
	}
	if (!(s->variant == CMAP_PLAIN || (s->variant < 0 && s->B_known)))
		return false;
	s->own = *c;
	s->own_seen = true;
	s->own_all = all;
	map_first_count(s, c->count);
	map_note_count(s, c->count);
	return true;
}

/* A core map's own counters, read as it was freed: its final figures. */
static int on_lib_counts(struct model *m, const struct mt_event *ev, __u64 *owner)
{
	int i = idmap__get(&m->map_idx, ev->map);

	if (i >= 0 && take_own_counts(m->maps[i], &ev->lib_counts, ev->flags & MT_EV_ALL_COUNTS))
		*owner = row_addr(m->maps[i]);
	return 0;
}

static int lock_account(struct lock_state *l, __u32 mode, __u64 ns)
{
	l->contentions++;
	l->wait_ns += ns;
	if (mode == MT_MODE_READ) {
		l->read_contentions++;
		l->read_wait_ns += ns;
	} else if (mode == MT_MODE_WRITE) {
		l->write_contentions++;
		l->write_wait_ns += ns;
	}
	return hist__add(&l->hist, ns);
}

/* A wait the map library's own lock probes timed, with its lock, map and mode. */
static int on_lib_lock_wait(struct model *m, const struct mt_event *ev, int stack, __u64 *owner)
{
	struct lock_state *l = lock_get(m, ev->wait.lock);

	if (!l)
		return -ENOMEM;
	*owner = l->addr;
	if (!l->from_library)
		m->nlib_locks++;
	l->from_library = true;
	l->last_ts = ev->ts;
	l->g.kind = ev->flags & MT_EV_RWLOCK ? MT_LOCK_RWLOCK : MT_LOCK_MUTEX;
	l->map = ev->map;
	if (lock_account(l, ev->wait.mode, ev->wait.wait_ns))
		return -ENOMEM;
	return stack_costs__add(&l->stacks, stack, ev->wait.wait_ns);
}

/* A library lock whose futex words contain @uaddr, or NULL. */
static struct lock_state *library_lock_at(struct model *m, __u64 uaddr)
{
	if (!m->nlib_locks)
		return NULL;
	for (int i = 0; i < m->nlocks; i++) {
		struct lock_state *l = m->locks[i];

		if (l->from_library && uaddr >= l->addr && uaddr < l->addr + LIB_LOCK_SPAN)
			return l;
	}
	return NULL;
}

static int on_futex_wait(struct model *m, const struct mt_event *ev, int stack, __u64 *owner,
			 bool *counted)
{
	const struct mt_ev_wait *w = &ev->wait;
	const struct mt_stack *st = stack >= 0 && stack < m->nstacks ? &m->stacks[stack] : NULL;
	struct lock_state *l;
	__u64 alias;
	__u32 mode;

	/* the library's own probes already timed this wait, with the lock and the mode */
	if (ev->flags & MT_EV_IN_LIB) {
		m->futex_waits_in_lib++;
		return 0;
	}
	if (u64map__get(&m->lock_alias, w->word, &alias))
		l = lock_get(m, alias);
	else
		l = library_lock_at(m, w->word) ?: lock_get(m, w->word);
	if (!l)
		return -ENOMEM;
	mode = lockkind__futex_wait(&l->g, st ? st->frames : NULL, st ? st->nframes : 0, w->word,
				    w->val);
	*owner = l->addr;
	*counted = true;
	l->last_ts = ev->ts;
	if (lock_account(l, mode, w->wait_ns))
		return -ENOMEM;
	return stack_costs__add(&l->stacks, stack, w->wait_ns);
}

/*
 * A release that woke a waiter: the waker's stack is the lock's holder.  The lock may have no
 * wait yet (the waiter's wait ends after the wake); a lock with no wait shows no row.
 */
static int on_futex_wake(struct model *m, const struct mt_event *ev, int stack, __u64 *owner)
{
	struct lock_state *l;
	__u64 alias;

	if (u64map__get(&m->lock_alias, ev->wake.word, &alias))
		l = lock_get(m, alias);
	else
		l = library_lock_at(m, ev->wake.word) ?: lock_get(m, ev->wake.word);
	if (!l)
		return -ENOMEM;
	*owner = l->addr;
	if (!l->last_ts)
		l->last_ts = ev->ts;
	return stack_costs__add_n(&l->holders, stack, 1, 0);
}

/*
 * A library lock's release that a waiter waited behind, with how long it was held: its hold
 * histogram and the holder's stack; an untimed one only counted.  Library locks are never
 * folded (they name a map).
 */
static int on_lock_hold(struct model *m, const struct mt_event *ev, int stack, __u64 *owner)
{
	struct lock_state *l = lock_get(m, ev->hold.lock);

	if (!l)
		return -ENOMEM;
	*owner = l->addr;
	if (!l->from_library)
		m->nlib_locks++;
	l->from_library = true;
	l->g.kind = ev->flags & MT_EV_RWLOCK ? MT_LOCK_RWLOCK : MT_LOCK_MUTEX;
	l->map = ev->map;
	/* counted, but no duration to weigh a percentile or a stack with */
	if (ev->hold.hold_ns == MT_HOLD_UNTIMED) {
		l->hold_untimed++;
		return 0;
	}
	if (hist__add(&l->hold_hist, ev->hold.hold_ns))
		return -ENOMEM;
	return stack_costs__add(&l->hold_stacks, stack, ev->hold.hold_ns);
}

/* Dispatch one event; *@owner: the lock or top-level map it was charged to (0: none). */
static int add_event(struct model *m, const struct mt_event *ev, int stack, __u64 *owner,
		     bool *counted)
{
	switch (ev->kind) {
	case MT_EV_MAP_CREATE:
		return on_map_create(m, ev, stack, owner);
	case MT_EV_RESIZE:
		return on_resize(m, ev, stack, owner, counted);
	case MT_EV_MIGRATE:
		*counted = true;
		return on_migrate(m, ev, owner);
	case MT_EV_GROW_DONE:
		return on_grow_done(m, ev, owner);
	case MT_EV_PROMOTE:
		return on_promote(m, ev, owner);
	case MT_EV_MAP_DESTROY:
		return on_map_destroy(m, ev, owner);
	case MT_EV_MAP_COUNTS:
		return on_lib_counts(m, ev, owner);
	case MT_EV_WAIT:
		if (ev->flags & MT_EV_LIB_LOCK) {
			*counted = true;
			return on_lib_lock_wait(m, ev, stack, owner);
		}
		return on_futex_wait(m, ev, stack, owner, counted);
	case MT_EV_WAKE:
		return on_futex_wake(m, ev, stack, owner);
	case MT_EV_HOLD:
		return on_lock_hold(m, ev, stack, owner);
	default:
		m->unknown_records++;
		return 0;
	}
}

/*
 * A reading of the library's totals.  They only ever grow, so the first reading is the least
 * and the latest the greatest, whatever order they arrive in: the one taken as the probes
 * attached goes through the sink at the first sync, the one BPF takes as the target exits
 * through the ring buffer, perhaps before it.
 */
static void lib_totals_add(struct model *m, const struct mt_ev_lib_totals *t)
{
	struct mt_ev_lib_totals *lo = &m->lib_totals_first, *hi = &m->lib_totals_last;

	if (!m->lib_totals_seen) {
		*lo = *hi = *t;
		m->lib_totals_seen = true;
		return;
	}
	lo->created = t->created < lo->created ? t->created : lo->created;
	lo->freed = t->freed < lo->freed ? t->freed : lo->freed;
	lo->grows = t->grows < lo->grows ? t->grows : lo->grows;
	lo->same_size_grows = t->same_size_grows < lo->same_size_grows ? t->same_size_grows :
									     lo->same_size_grows;
	hi->created = t->created > hi->created ? t->created : hi->created;
	hi->freed = t->freed > hi->freed ? t->freed : hi->freed;
	hi->grows = t->grows > hi->grows ? t->grows : hi->grows;
	hi->same_size_grows = t->same_size_grows > hi->same_size_grows ? t->same_size_grows :
									     hi->same_size_grows;
}

int model__add_event(struct model *m, const struct mt_event *ev, int stack)
{
	bool counted = false;
	__u64 owner = 0;
	int err;

	/* the library's totals are a reading at a sync, not an event of the program */
	if (ev->kind == MT_EV_LIB_TOTALS) {
		lib_totals_add(m, &ev->totals);
		return 0;
	}
	m->events++;
	if (ev->ts > m->last_ts)
		m->last_ts = ev->ts;
	err = add_event(m, ev, stack, &owner, &counted);
	/* a joined duration amended the event it belongs to: no event of its own */
	if (!err && m->keep_events && !(ev->flags & MT_EV_JOINED && ev->kind == MT_EV_RESIZE))
		err = log_event(m, ev, stack, owner, counted);
	return err ?: model__sweep_cold_locks(m);
}

int model__set_counts(struct model *m, __u64 map, const struct mt_map_counts *c)
{
	struct map_state *s = map_get(m, map);

	if (!s)
		return -ENOMEM;
	if (s->sync_own) {
		/* the map's own hits and misses stand: the kernel counts only what --detail saw */
		struct mt_map_counts k = *c;

		k.sync_hits = s->counts.sync_hits;
		k.sync_misses = s->counts.sync_misses;
		s->counts = k;
	} else {
		s->counts = *c;
	}
	if (c->lib)
		s->lib = (int)c->lib;
	if (map_state__count(s) > 0)
		map_note_count(s, (__u64)map_state__count(s));
	return 0;
}

int model__set_lib_counts(struct model *m, __u64 map, const struct mt_ev_lib_counts *c)
{
	struct map_state *s = map_get(m, map);

	if (!s)
		return -ENOMEM;
	take_own_counts(s, c, true);
	return 0;
}

int model__alias_lock(struct model *m, __u64 word, __u64 lock, const char *name)
{
	struct lock_state *l = lock_get(m, lock);

	if (!l || u64map__put(&m->lock_alias, word, lock))
		return -ENOMEM;
	if (name && name[0]) {
		l->name = model__intern(m, name);
		if (!l->name)
			return -ENOMEM;
	}
	return 0;
}

int model__name_map(struct model *m, __u64 map, const char *name)
{
	struct map_state *s = map_get(m, map);

	if (!s)
		return -ENOMEM;
	s->name = model__intern(m, name);
	return s->name ? 0 : -ENOMEM;
}

int model__go_type(struct model *m, __u64 map, const char *type)
{
	struct map_state *s = map_get(m, map);

	if (!s)
		return -ENOMEM;
	s->go_type = model__intern(m, type);
	return s->go_type ? 0 : -ENOMEM;
}

void model__set_dropped(struct model *m, const __u64 dropped[MT_DROP_MAX])
{
	memcpy(m->dropped, dropped, sizeof(m->dropped));
}

/* The model as a sink: the collector's calls, each onto the model's own verb. */
/* the metadata of the start, of an interval, or of the end: the latest is the run's */
static int sink_info(void *ctx, const struct run_info *info)
{
	struct model *m = ctx;

	m->info = *info;
	return 0;
}

static int sink_stack(void *ctx, int idx, const struct mt_frame *frames, int nframes)
{
	/* the model numbers stacks itself: it comes first in a tee */
	return idx >= 0 ? -EINVAL : model__intern_stack(ctx, frames, nframes);
}

static int sink_event(void *ctx, const struct mt_hdr *rec, const struct mt_event *ev, int stack)
{
	(void)rec;
	return model__add_event(ctx, ev, stack);
}

static int sink_name_map(void *ctx, __u64 map, const char *name)
{
	return model__name_map(ctx, map, name);
}

static int sink_go_type(void *ctx, __u64 map, const char *type)
{
	return model__go_type(ctx, map, type);
}

static int sink_alias_lock(void *ctx, __u64 word, __u64 lock, const char *name)
{
	return model__alias_lock(ctx, word, lock, name);
}

static int sink_counts(void *ctx, __u64 map, const struct mt_map_counts *c)
{
	return model__set_counts(ctx, map, c);
}

static int sink_lib_counts(void *ctx, __u64 map, const struct mt_ev_lib_counts *c)
{
	return model__set_lib_counts(ctx, map, c);
}

static int sink_dropped(void *ctx, const __u64 dropped[MT_DROP_MAX])
{
	model__set_dropped(ctx, dropped);
	return 0;
}

static const struct sink_ops model_sink_ops = {
	.info = sink_info,
	.stack = sink_stack,
	.event = sink_event,
	.name_map = sink_name_map,
	.go_type = sink_go_type,
	.alias_lock = sink_alias_lock,
	.counts = sink_counts,
	.lib_counts = sink_lib_counts,
	.dropped = sink_dropped,
	.end = sink_info,
};

void model__sink(struct model *m, struct sink *out)
{
	*out = (struct sink){ .ops = &model_sink_ops, .ctx = m };
}
