// SPDX-License-Identifier: MIT
/*
 * The report model: aggregates records into per-map and per-lock state, and builds sorted,
 * folded report snapshots from it.  See model.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cmap.h"
#include "grow.h"
#include "model.h"
#include "sink.h"
#include "u64map.h"

#define LIB_LOCK_SPAN 64 /* bytes of a pthread lock that hold its futex words */

/* Index of @key in @im, -1 when absent. */
static int idmap__get(const struct u64map *im, __u64 key)
{
	__u64 v;

	return u64map__get(im, key, &v) ? (int)v : -1;
}

static int idmap__put(struct u64map *im, __u64 key, int val)
{
	return u64map__put(im, key, (__u64)val);
}

/* Costs per stack, for one map or lock: few distinct stacks each, so a plain array. */
struct stack_costs {
	struct mt_stack_cost *v;
	int n, cap;
};

static int stack_costs__add(struct stack_costs *sc, int stack, __u64 ns)
{
	for (int i = 0; i < sc->n; i++) {
		if (sc->v[i].stack == stack) {
			sc->v[i].count++;
			sc->v[i].ns += ns;
			return 0;
		}
	}
	if (GROW(sc->v, sc->n, sc->cap, 4))
		return -ENOMEM;
	sc->v[sc->n++] = (struct mt_stack_cost){ .stack = stack, .count = 1, .ns = ns };
	return 0;
}

static int cmp_cost_desc(const void *a, const void *b)
{
	const struct mt_stack_cost *x = a, *y = b;

	if (x->ns != y->ns)
		return x->ns < y->ns ? 1 : -1;
	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return x->stack - y->stack;
}

/* Copy the costliest stacks of @sc into @top; returns how many. */
static int stack_costs__top(const struct stack_costs *sc, struct mt_stack_cost *top, int max)
{
	struct mt_stack_cost *tmp;
	int n = sc->n < max ? sc->n : max;

	if (!sc->n)
		return 0;
	tmp = malloc(sc->n * sizeof(*tmp));
	if (!tmp)
		return 0;
	memcpy(tmp, sc->v, sc->n * sizeof(*tmp));
	qsort(tmp, sc->n, sizeof(*tmp), cmp_cost_desc);
	memcpy(top, tmp, n * sizeof(*tmp));
	free(tmp);
	return n;
}

/* One core map (or a concurrent map's own record) as seen in the events. */
struct map_state {
	__u64 addr;
	struct map_state *parent; /* the concurrent map instance it belongs to, NULL if none */
	int row;		  /* report row, while a report is built */
	int variant;
	bool create_seen;
	bool destroyed;
	__u64 hint;
	int created_stack;
	bool B_known;
	__u32 B;
	__u64 grows, same_size_grows, grows_done;
	__u64 evacuated, moved;
	__u64 alloc_ns, evac_ns, max_step_ns;
	__u64 promotions;
	__u64 peak_count;
	__u64 sizes[MT_MAX_SIZES];
	int nsizes;
	int lib;	   /* 0: cmap's USDT probes; else the profile index */
	const char *name;  /* interned; NULL when unnamed */
	__u64 size;	   /* profile maps: current size, 0 unknown */
	__u64 shrinks;
	__u64 rehash_steps, rehash_elapsed_ns;
	struct mt_map_counts counts;
	struct hist grow_hist;
	struct stack_costs grow_stacks;
};

struct lock_state {
	__u64 addr;
	const char *name; /* interned; NULL when unnamed */
	int kind;
	bool kind_guessed; /* from futex values, not a stack: a stack may still correct it */
	__u8 vals_seen;	   /* bit N: a wait on it expected N (N < 8) */
	__u64 map;
	bool from_library;
	__u64 contentions, wait_ns;
	__u64 read_contentions, read_wait_ns, write_contentions, write_wait_ns;
	struct hist hist;
	struct stack_costs stacks;
};

struct model {
	struct run_info info;
	struct map_state **maps;
	int nmaps, cap_maps;
	struct u64map map_idx;
	struct lock_state **locks;
	int nlocks, cap_locks;
	struct u64map lock_idx;
	struct u64map lock_alias; /* futex word -> the lock it belongs to (model__alias_lock) */
	struct mt_stack *stacks;
	int nstacks, cap_stacks;
	struct u64map stack_idx; /* hash of a stack's ips -> first stack with that hash */
	char **strings;		/* interned strings, for freeing */
	int nstrings, cap_strings;
	struct u64map string_idx;
	__u64 dropped[MT_DROP_MAX];
	__u64 events;
	__u64 unknown_records;
	bool keep_events;
	struct model_event *event_log;
	size_t nevent_log, cap_event_log;
	__u64 futex_waits_in_lib;
};

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
		free(m->maps[i]);
	}
	for (int i = 0; i < m->nlocks; i++) {
		free(m->locks[i]->stacks.v);
		free(m->locks[i]);
	}
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
	if (GROW(m->event_log, m->nevent_log, m->cap_event_log, 1024))
		return -ENOMEM;
	m->event_log[m->nevent_log++] = (struct model_event){
		.ev = *ev, .stack = stack, .owner = owner, .counted = counted
	};
	return 0;
}

const struct mt_stack *model__stack(const struct model *m, int idx)
{
	return idx >= 0 && idx < m->nstacks ? &m->stacks[idx] : NULL;
}

struct run_info *model__info(struct model *m)
{
	return &m->info;
}

static __u64 hash_str(const char *s)
{
	__u64 h = 1469598103934665603ULL;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

/* Intern @s: equal strings share one copy.  Collisions chain by rehashing the hash. */
static const char *intern(struct model *m, const char *s)
{
	__u64 h;
	int i;

	if (!s || !*s)
		return "";
	for (h = hash_str(s);; h = mix64(h)) {
		i = idmap__get(&m->string_idx, h);
		if (i < 0)
			break;
		if (!strcmp(m->strings[i], s))
			return m->strings[i];
	}
	if (GROW(m->strings, m->nstrings, m->cap_strings, 16))
		return NULL;
	m->strings[m->nstrings] = strdup(s);
	if (!m->strings[m->nstrings] || idmap__put(&m->string_idx, h, m->nstrings)) {
		free(m->strings[m->nstrings]);
		return NULL;
	}
	return m->strings[m->nstrings++];
}

static __u64 hash_stack(const struct mt_frame *f, int n)
{
	__u64 h = 0x9e3779b97f4a7c15ULL ^ (__u64)n;

	for (int i = 0; i < n; i++)
		h = mix64(h ^ f[i].ip);
	return h;
}

static bool same_stack(const struct mt_stack *s, const struct mt_frame *f, int n)
{
	if (s->nframes != n)
		return false;
	for (int i = 0; i < n; i++)
		if (s->frames[i].ip != f[i].ip || strcmp(s->frames[i].func, f[i].func ?: ""))
			return false;
	return true;
}

int model__intern_stack(struct model *m, const struct mt_frame *frames, int nframes)
{
	struct mt_stack *s;
	__u64 h;
	int i;

	for (h = hash_stack(frames, nframes);; h = mix64(h)) {
		i = idmap__get(&m->stack_idx, h);
		if (i < 0)
			break;
		if (same_stack(&m->stacks[i], frames, nframes))
			return i;
	}
	if (GROW(m->stacks, m->nstacks, m->cap_stacks, 16))
		return -ENOMEM;
	s = &m->stacks[m->nstacks];
	s->nframes = nframes;
	s->frames = calloc(nframes ? nframes : 1, sizeof(*s->frames));
	if (!s->frames)
		return -ENOMEM;
	for (i = 0; i < nframes; i++) {
		s->frames[i] = frames[i];
		s->frames[i].func = intern(m, frames[i].func);
		s->frames[i].module = intern(m, frames[i].module);
		s->frames[i].build_id = intern(m, frames[i].build_id);
		s->frames[i].file = intern(m, frames[i].file);
		if (!s->frames[i].func || !s->frames[i].module || !s->frames[i].build_id ||
		    !s->frames[i].file) {
			free(s->frames);
			return -ENOMEM;
		}
	}
	if (idmap__put(&m->stack_idx, h, m->nstacks)) {
		free(s->frames);
		return -ENOMEM;
	}
	return m->nstacks++;
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

static __s64 map_count(const struct map_state *s)
{
	if (!s->create_seen)
		return -1;
	return (__s64)(s->counts.inserts - s->counts.deletes);
}

static void map_note_count(struct map_state *s, __u64 count)
{
	if (count > s->peak_count)
		s->peak_count = count;
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

	/* an address reused after free: a new map, whose figures must not mix with the old one's */
	if (s && (s->create_seen || s->destroyed))
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
	}
	s->variant = c->variant;
	s->hint = c->hint;
	s->B = (__u32)c->size;
	s->B_known = true;
	map_push_size(s, c->size);
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
	if (r->count != MT_EV_UNKNOWN)
		map_note_count(s, r->count);
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

static int on_resize(struct model *m, const struct mt_event *ev, int stack, __u64 *owner,
		     bool *counted)
{
	struct map_state *s = map_get(m, ev->map);
	__u64 dur = ev->resize.dur_ns;

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
	s->alloc_ns += dur;
	if (dur > s->max_step_ns)
		s->max_step_ns = dur;
	if (ev->flags & MT_EV_TIMED)
		hist__add(&s->grow_hist, dur);
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
	hist__add(&s->grow_hist, r->dur_ns);
	return 0;
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
	}
	return 0;
}

/* A core map's own counters, read as it was freed: exact where the probes were sampled. */
static int on_lib_counts(struct model *m, const struct mt_event *ev, __u64 *owner)
{
	int i = idmap__get(&m->map_idx, ev->map);
	struct map_state *s;

	/* only core maps have these counters (a concurrent map's struct is another layout) */
	if (i < 0 || !m->maps[i]->create_seen || m->maps[i]->variant != 0)
		return 0;
	s = m->maps[i];
	*owner = row_addr(s);
	s->counts.inserts = ev->lib_counts.inserts;
	s->counts.deletes = ev->lib_counts.deletes;
	map_note_count(s, ev->lib_counts.count);
	return 0;
}

static void lock_account(struct lock_state *l, __u32 mode, __u64 ns)
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
	hist__add(&l->hist, ns);
}

/* A wait the map library's own lock probes timed, with its lock, map and mode. */
static int on_lib_lock_wait(struct model *m, const struct mt_event *ev, int stack, __u64 *owner)
{
	struct lock_state *l = lock_get(m, ev->wait.lock);

	if (!l)
		return -ENOMEM;
	*owner = l->addr;
	l->from_library = true;
	l->kind = ev->flags & MT_EV_RWLOCK ? MT_LOCK_RWLOCK : MT_LOCK_MUTEX;
	l->map = ev->map;
	lock_account(l, ev->wait.mode, ev->wait.wait_ns);
	return stack_costs__add(&l->stacks, stack, ev->wait.wait_ns);
}

/* Guess what kind of lock a futex word belongs to from the functions on the waiting stack. */
static int futex_kind_from_stack(const struct model *m, int stack, __u32 *mode)
{
	const struct mt_stack *s;

	*mode = MT_MODE_UNKNOWN;
	if (stack < 0 || stack >= m->nstacks)
		return MT_LOCK_FUTEX;
	s = &m->stacks[stack];
	for (int i = 0; i < s->nframes; i++) {
		const char *f = s->frames[i].func;

		if (strstr(f, "rwlock_rd") || strstr(f, "rw_lock_reader") ||
		    strstr(f, "rw_lock_read")) {
			*mode = MT_MODE_READ;
			return MT_LOCK_RWLOCK;
		}
		if (strstr(f, "rwlock_wr") || strstr(f, "rw_lock_writer")) {
			*mode = MT_MODE_WRITE;
			return MT_LOCK_RWLOCK;
		}
		if (strstr(f, "cond_wait") || strstr(f, "cond_timedwait") || strstr(f, "cond_clockwait"))
			return MT_LOCK_CONDVAR;
		if (strstr(f, "mutex_lock") || strstr(f, "lll_lock_wait") || strstr(f, "rec_mutex")) {
			*mode = MT_MODE_WRITE;
			return MT_LOCK_MUTEX;
		}
	}
	return MT_LOCK_FUTEX;
}

/*
 * The mode of a wait whose stack does not say, from the word and the value expected.  A mutex
 * is taken to write.  glibc's pthread_rwlock_t (GLib's GRWLock uses one) is 8-byte aligned;
 * readers wait on __wrphase_futex (offset 8) for a write phase to end, expecting 1 | FUTEX_USED
 * (3), writers on it for a read phase to end, expecting FUTEX_USED (2), or on __writers_futex
 * (offset 12, so 4 mod 8) for another writer.
 */
static __u32 futex_mode_from_word(int kind, const struct mt_ev_wait *w)
{
	if (kind == MT_LOCK_MUTEX)
		return MT_MODE_WRITE;
	if (kind != MT_LOCK_RWLOCK || w->val < 0)
		return MT_MODE_UNKNOWN;
	if (w->word % 8 == 4)
		return MT_MODE_WRITE;
	return w->val == 3 ? MT_MODE_READ : w->val == 2 ? MT_MODE_WRITE : MT_MODE_UNKNOWN;
}

/* A library lock whose futex words contain @uaddr, or NULL. */
static struct lock_state *library_lock_at(struct model *m, __u64 uaddr)
{
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
	struct lock_state *l;
	__u64 alias;
	__u32 mode;
	int kind;

	/* the library's own probes already timed this wait, with the lock and the mode */
	if (ev->flags & MT_EV_IN_LIB) {
		m->futex_waits_in_lib++;
		return 0;
	}
	kind = futex_kind_from_stack(m, stack, &mode);
	if (u64map__get(&m->lock_alias, w->word, &alias))
		l = lock_get(m, alias);
	else
		l = library_lock_at(m, w->word) ?: lock_get(m, w->word);
	if (!l)
		return -ENOMEM;
	if (w->val >= 0 && w->val < 8)
		l->vals_seen |= 1u << w->val;
	if (kind != MT_LOCK_FUTEX && (l->kind == MT_LOCK_FUTEX || l->kind_guessed)) {
		l->kind = kind;
		l->kind_guessed = false;
	} else if ((l->kind == MT_LOCK_FUTEX || l->kind_guessed) && (l->vals_seen & 1u << 2)) {
		/*
		 * No stack says: a word expected to be 2 is a contended lll mutex's (its states are
		 * 0, 1, 2), unless it was also expected to be 3, which a glibc rwlock's
		 * __wrphase_futex is (readers 3, writers 2).
		 */
		l->kind = l->vals_seen & 1u << 3 ? MT_LOCK_RWLOCK : MT_LOCK_MUTEX;
		l->kind_guessed = true;
	}
	if (mode == MT_MODE_UNKNOWN)
		mode = futex_mode_from_word(l->kind, w);
	*owner = l->addr;
	*counted = true;
	lock_account(l, mode, w->wait_ns);
	return stack_costs__add(&l->stacks, stack, w->wait_ns);
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
	default:
		m->unknown_records++;
		return 0;
	}
}

int model__add_event(struct model *m, const struct mt_event *ev, int stack)
{
	bool counted = false;
	__u64 owner = 0;
	int err;

	m->events++;
	err = add_event(m, ev, stack, &owner, &counted);
	if (!err && m->keep_events)
		err = log_event(m, ev, stack, owner, counted);
	return err;
}

int model__set_counts(struct model *m, __u64 map, const struct mt_map_counts *c)
{
	struct map_state *s = map_get(m, map);

	if (!s)
		return -ENOMEM;
	s->counts = *c;
	if (c->lib)
		s->lib = (int)c->lib;
	if (map_count(s) > 0)
		map_note_count(s, (__u64)map_count(s));
	return 0;
}

int model__set_lib_counts(struct model *m, __u64 map, __u64 inserts, __u64 deletes, __u64 count)
{
	struct map_state *s = map_get(m, map);

	if (!s)
		return -ENOMEM;
	s->counts.inserts = inserts;
	s->counts.deletes = deletes;
	map_note_count(s, count);
	return 0;
}

int model__core_maps(const struct model *m, __u64 **addrs, int *n)
{
	*n = 0;
	*addrs = malloc((m->nmaps ? m->nmaps : 1) * sizeof(**addrs));
	if (!*addrs)
		return -ENOMEM;
	for (int i = 0; i < m->nmaps; i++) {
		const struct map_state *s = m->maps[i];

		/* the current instance at its address only: retired ones are no longer there */
		if (s->create_seen && !s->destroyed && s->variant == 0 &&
		    idmap__get(&m->map_idx, s->addr) == i)
			(*addrs)[(*n)++] = s->addr;
	}
	return 0;
}

int model__alias_lock(struct model *m, __u64 word, __u64 lock, const char *name)
{
	struct lock_state *l = lock_get(m, lock);

	if (!l || u64map__put(&m->lock_alias, word, lock))
		return -ENOMEM;
	if (name && name[0]) {
		l->name = intern(m, name);
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
	s->name = intern(m, name);
	return s->name ? 0 : -ENOMEM;
}

void model__set_dropped(struct model *m, const __u64 dropped[MT_DROP_MAX])
{
	memcpy(m->dropped, dropped, sizeof(m->dropped));
}

/* Is this frame inside the map library itself (so not "where the map was created")? */
static bool frame_in_library(const struct mt_frame *f)
{
	const char *base = strrchr(f->module, '/');

	base = base ? base + 1 : f->module;
	return !strncmp(f->func, "cmap_", 5) || !strncmp(f->func, "ccmap_", 6) ||
	       !strcmp(f->file, "cmap.c") || !strcmp(f->file, "ccmap.c") ||
	       !strncmp(base, "libcmap", 7);
}

static const char *created_at(struct model *m, int stack)
{
	char buf[512];
	const struct mt_frame *f = NULL;

	if (stack < 0 || stack >= m->nstacks)
		return "";
	for (int i = 0; i < m->stacks[stack].nframes; i++) {
		if (!frame_in_library(&m->stacks[stack].frames[i])) {
			f = &m->stacks[stack].frames[i];
			break;
		}
	}
	if (!f)
		return "";
	if (*f->func && *f->file)
		snprintf(buf, sizeof(buf), "%s (%s:%u)", f->func, f->file, f->line);
	else if (*f->func)
		snprintf(buf, sizeof(buf), "%s+0x%llx", f->func, (unsigned long long)f->offset);
	else
		snprintf(buf, sizeof(buf), "%s+0x%llx", *f->module ? f->module : "?",
			 (unsigned long long)f->ip);
	return intern(m, buf) ?: "";
}

/* Add one core map's figures into a report row. */
static void fold_map(struct map_report *row, const struct map_state *s, bool live_sum)
{
	__s64 count = map_count(s);

	row->inserts += s->counts.inserts;
	row->deletes += s->counts.deletes;
	row->sync_hits += s->counts.sync_hits;
	row->sync_misses += s->counts.sync_misses;
	row->grows += s->grows;
	row->same_size_grows += s->same_size_grows;
	row->grows_done += s->grows_done;
	/* steps the kernel summed under ring-buffer pressure count like the others */
	row->evacuated += s->evacuated + s->counts.evac_steps;
	row->evac_summed += s->counts.evac_steps;
	row->moved += s->moved + s->counts.evac_moved;
	row->alloc_ns_total += s->alloc_ns;
	row->evac_ns_total += s->evac_ns + s->counts.evac_ns;
	row->grow_ns_total += s->alloc_ns + s->evac_ns + s->counts.evac_ns;
	if (s->max_step_ns > row->grow_ns_max)
		row->grow_ns_max = s->max_step_ns;
	if (s->counts.evac_max_ns > row->grow_ns_max)
		row->grow_ns_max = s->counts.evac_max_ns;
	row->promotions += s->promotions;
	row->lookups += s->counts.lookups;
	row->shrinks += s->shrinks;
	row->rehash_steps += s->rehash_steps;
	row->rehash_elapsed_ns += s->rehash_elapsed_ns;
	hist__merge(&row->grow_hist, &s->grow_hist);
	if (s->lib) {
		/* a profile map: sizes in the library's own unit, entries unknown */
		row->size = s->size;
		row->buckets = s->size;
		row->B = s->size && !(s->size & (s->size - 1)) ? (__u32)__builtin_ctzll(s->size) : 0;
		row->peak_count = s->peak_count;
		row->count = -1;
		return;
	}
	/*
	 * A concurrent map's own record has no buckets (its inner maps do); an inner map freed
	 * while its map lives on (an old sync snapshot) holds nothing now; a freed map keeps the
	 * state it ended in.
	 */
	if ((s->destroyed && s->parent && !s->parent->destroyed) || !s->B_known ||
	    s->variant > CMAP_PLAIN)
		return;
	/* sync maps keep the same keys in snapshot and dirty map: take the fullest, not the sum */
	if (live_sum) {
		row->buckets += 1ULL << s->B;
		if (row->count >= 0)
			row->count = count < 0 ? -1 : row->count + count;
		row->peak_count += s->peak_count;
	} else if (count > row->count || (1ULL << s->B) > row->buckets) {
		row->buckets = 1ULL << s->B;
		row->count = count;
		row->peak_count = s->peak_count;
	}
	if (s->B > row->B)
		row->B = s->B;
	row->size = row->buckets;
	row->capacity = row->buckets * CMAP_LOAD_NUM / CMAP_LOAD_DEN;
}

static int cmp_maps(const void *a, const void *b)
{
	const struct map_report *x = a, *y = b;

	if (x->grow_ns_total != y->grow_ns_total)
		return x->grow_ns_total < y->grow_ns_total ? 1 : -1;
	if (x->grows != y->grows)
		return x->grows < y->grows ? 1 : -1;
	if (x->inserts != y->inserts)
		return x->inserts < y->inserts ? 1 : -1;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static int cmp_locks(const void *a, const void *b)
{
	const struct lock_report *x = a, *y = b;

	if (x->wait_ns != y->wait_ns)
		return x->wait_ns < y->wait_ns ? 1 : -1;
	if (x->contentions != y->contentions)
		return x->contentions < y->contentions ? 1 : -1;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

char *run_info__library(const struct run_info *info, unsigned int lib, char *buf, size_t size)
{
	const char *p = info->libraries;

	if (!lib || !*p) {
		snprintf(buf, size, "%s", lib ? "?" : "cmap");
		return buf;
	}
	/* "cmap,glib,redis": the lib-th name after the first */
	for (unsigned int i = 0; i < lib && p; i++) {
		p = strchr(p, ',');
		if (p)
			p++;
	}
	if (p)
		snprintf(buf, size, "%.*s", (int)strcspn(p, ","), p);
	else
		snprintf(buf, size, "?");
	return buf;
}

static int build_maps(struct model *m, struct report *r)
{
	char lib[64];

	r->maps = calloc(m->nmaps ? m->nmaps : 1, sizeof(*r->maps));
	if (!r->maps)
		return -ENOMEM;
	/* one row per top-level map instance, in creation order */
	for (int i = 0; i < m->nmaps; i++) {
		struct map_state *s = m->maps[i];
		struct map_report *row;

		if (s->parent)
			continue;
		s->row = r->nmaps;
		row = &r->maps[r->nmaps++];
		row->addr = s->addr;
		row->library = intern(m, run_info__library(&m->info, (unsigned int)s->lib, lib,
							   sizeof(lib)));
		if (!row->library)
			return -ENOMEM;
		row->name = s->name ? s->name : "";
		row->sizes_in_slots = s->lib != 0;
		row->variant = s->variant;
		row->create_seen = s->create_seen;
		row->hint = s->hint;
		row->created_stack = s->created_stack;
		row->created_at = created_at(m, s->created_stack);
	}
	for (int i = 0; i < m->nmaps; i++) {
		const struct map_state *s = m->maps[i];
		struct map_report *row = &r->maps[(s->parent ?: s)->row];

		if (s->parent)
			row->inner_maps++;
		fold_map(row, s, row->variant != CMAP_SYNC);
		/* the size path of the inner map that grew most stands for the whole map */
		if (s->nsizes > row->nsizes) {
			memcpy(row->sizes, s->sizes, sizeof(row->sizes));
			row->nsizes = s->nsizes;
		}
		if (s->grow_stacks.n) {
			struct mt_stack_cost tmp[MT_TOP_STACKS * 2];
			int n = row->ntop;

			memcpy(tmp, row->top_stacks, n * sizeof(tmp[0]));
			n += stack_costs__top(&s->grow_stacks, tmp + n, MT_TOP_STACKS);
			qsort(tmp, n, sizeof(tmp[0]), cmp_cost_desc);
			row->ntop = n < MT_TOP_STACKS ? n : MT_TOP_STACKS;
			memcpy(row->top_stacks, tmp, row->ntop * sizeof(tmp[0]));
		}
	}
	for (int i = 0; i < r->nmaps; i++) {
		/*
		 * Unknown when the creation was not seen; and a sync map copies its snapshot into
		 * each new dirty map, so no insert/delete count adds up to its size.
		 */
		if (!r->maps[i].create_seen || r->maps[i].variant == CMAP_SYNC)
			r->maps[i].count = -1;
	}
	qsort(r->maps, r->nmaps, sizeof(*r->maps), cmp_maps);
	return 0;
}

static int build_locks(struct model *m, struct report *r)
{
	r->locks = calloc(m->nlocks ? m->nlocks : 1, sizeof(*r->locks));
	if (!r->locks)
		return -ENOMEM;
	for (int i = 0; i < m->nlocks; i++) {
		const struct lock_state *l = m->locks[i];
		struct lock_report *row = &r->locks[r->nlocks++];

		row->addr = l->addr;
		row->kind = l->kind;
		row->map = l->map;
		row->from_library = l->from_library;
		row->name = l->name ? l->name : "";
		row->contentions = l->contentions;
		row->wait_ns = l->wait_ns;
		row->read_contentions = l->read_contentions;
		row->read_wait_ns = l->read_wait_ns;
		row->write_contentions = l->write_contentions;
		row->write_wait_ns = l->write_wait_ns;
		row->hist = l->hist;
		row->p50_ns = hist__percentile(&l->hist, 50);
		row->p99_ns = hist__percentile(&l->hist, 99);
		row->max_ns = l->hist.max;
		row->ntop = stack_costs__top(&l->stacks, row->top_stacks, MT_TOP_STACKS);
	}
	qsort(r->locks, r->nlocks, sizeof(*r->locks), cmp_locks);
	return 0;
}

int model__snapshot(struct model *m, bool final, struct report **out)
{
	struct report *r = calloc(1, sizeof(*r));
	int err;

	*out = NULL;
	if (!r)
		return -ENOMEM;
	r->info = m->info;
	r->final = final;
	r->events = m->events;
	r->futex_waits_in_lib = m->futex_waits_in_lib;
	memcpy(r->dropped, m->dropped, sizeof(r->dropped));
	r->stacks = m->stacks;
	r->nstacks = m->nstacks;
	r->event_log = m->event_log;
	r->nevent_log = m->nevent_log;
	err = build_maps(m, r);
	if (!err)
		err = build_locks(m, r);
	if (err) {
		free(r->maps);
		free(r->locks);
		free(r);
		return err;
	}
	*out = r;
	return 0;
}

/* The model as a sink: the collector's calls, each onto the model's own verb. */
static int sink_begin(void *ctx, const struct run_info *info)
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

static int sink_alias_lock(void *ctx, __u64 word, __u64 lock, const char *name)
{
	return model__alias_lock(ctx, word, lock, name);
}

static int sink_counts(void *ctx, __u64 map, const struct mt_map_counts *c)
{
	return model__set_counts(ctx, map, c);
}

static int sink_lib_counts(void *ctx, __u64 map, __u64 inserts, __u64 deletes, __u64 count)
{
	return model__set_lib_counts(ctx, map, inserts, deletes, count);
}

static int sink_dropped(void *ctx, const __u64 dropped[MT_DROP_MAX])
{
	model__set_dropped(ctx, dropped);
	return 0;
}

static int sink_end(void *ctx, const struct run_info *info)
{
	struct model *m = ctx;

	m->info.end_mono_ns = info->end_mono_ns;
	m->info.target_exited = info->target_exited;
	m->info.budget_pct = info->budget_pct;
	m->info.duty = info->duty;
	m->info.lib_counts = info->lib_counts;
	return 0;
}

static const struct sink_ops model_sink_ops = {
	.begin = sink_begin,
	.stack = sink_stack,
	.event = sink_event,
	.name_map = sink_name_map,
	.alias_lock = sink_alias_lock,
	.counts = sink_counts,
	.lib_counts = sink_lib_counts,
	.dropped = sink_dropped,
	.end = sink_end,
};

void model__sink(struct model *m, struct sink *out)
{
	*out = (struct sink){ .ops = &model_sink_ops, .ctx = m };
}
