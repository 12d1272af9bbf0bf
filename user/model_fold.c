// SPDX-License-Identifier: MIT
/*
 * Folding: freed maps into a row per creation site, cold futex words into a row per (kind, top
 * stack), so the model stays bounded whatever the target does; totals stay exact.  See
 * model_int.h.
 */
#include <stdlib.h>
#include <string.h>
#include "cmap.h"
#include "model_int.h"
#include "util.h"

/*
 * A futex word with no wait for LOCK_COLD_NS is folded into its (kind, stack) row, checked at
 * most every LOCK_SWEEP_NS of event time and only past LOCK_SWEEP_MIN words: a program that
 * contends fresh words without end (a mutex per request) costs a bounded model.
 */
#define LOCK_COLD_NS   2000000000ULL
#define LOCK_SWEEP_NS  1000000000ULL
#define LOCK_SWEEP_MIN 1024

static int stack_costs__merge(struct stack_costs *dst, const struct stack_costs *src)
{
	int err = 0;

	for (int i = 0; i < src->n && !err; i++)
		err = stack_costs__add_n(dst, src->v[i].stack, src->v[i].count, src->v[i].ns);
	return err;
}

/* Drop map @i from the model's table; the index keeps pointing at the latest map of each address.
 */
static void map_remove(struct model *m, int i)
{
	struct map_state *s = m->maps[i];
	int last = m->nmaps - 1;

	if (idmap__get(&m->map_idx, s->addr) == i)
		u64map__del(&m->map_idx, s->addr);
	if (i != last) {
		m->maps[i] = m->maps[last];
		if (idmap__get(&m->map_idx, m->maps[i]->addr) == last)
			idmap__put(&m->map_idx, m->maps[i]->addr, i);
	}
	m->nmaps--;
	free(s->grow_stacks.v);
	hist__free(&s->grow_hist);
	if (s->dead)
		hist__free(&s->dead->grow_hist);
	free(s->dead);
	free(s->dead_stacks.v);
	free(s);
}

static bool map_fold_matches(const struct map_fold *f, const struct map_state *s)
{
	return f->row.created_stack == s->created_stack && f->lib == s->lib &&
	       f->row.variant == s->variant && f->row.name == (s->name ? s->name : "") &&
	       f->row.hint == s->hint && f->row.create_seen == s->create_seen;
}

/* The fold of @s's creation site, made when it is the first. */
static struct map_fold *map_fold_get(struct model *m, const struct map_state *s)
{
	struct map_fold *f;
	__u64 h = mix64(0x6d6170666f6c64ULL ^ (__u64)(__u32)s->created_stack);
	int i;

	h = mix64(h ^ ((__u64)(__u32)s->lib << 32 | (__u32)s->variant));
	h = mix64(h ^ (__u64)(unsigned long)s->name ^ s->hint ^ (__u64)s->create_seen << 63);
	for (;; h = mix64(h)) {
		i = idmap__get(&m->map_fold_idx, h);
		if (i < 0)
			break;
		if (map_fold_matches(m->map_folds[i], s))
			return m->map_folds[i];
	}
	if (GROW(m->map_folds, m->nmap_folds, m->cap_map_folds, 8))
		return NULL;
	f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	f->lib = s->lib;
	f->row.created_stack = s->created_stack;
	f->row.variant = s->variant;
	f->row.name = s->name ? s->name : "";
	f->row.hint = s->hint;
	f->row.create_seen = s->create_seen;
	if (idmap__put(&m->map_fold_idx, h, m->nmap_folds)) {
		free(f);
		return NULL;
	}
	m->map_folds[m->nmap_folds++] = f;
	return f;
}

int map_report__add(struct map_report *dst, const struct map_report *src)
{
	dst->inserts += src->inserts;
	dst->deletes += src->deletes;
	dst->lookups += src->lookups;
	dst->sync_hits += src->sync_hits;
	dst->sync_misses += src->sync_misses;
	dst->grows += src->grows;
	dst->same_size_grows += src->same_size_grows;
	dst->grows_done += src->grows_done;
	dst->evacuated += src->evacuated;
	dst->evac_summed += src->evac_summed;
	dst->moved += src->moved;
	dst->alloc_ns_total += src->alloc_ns_total;
	dst->evac_ns_total += src->evac_ns_total;
	dst->grow_ns_total += src->grow_ns_total;
	dst->promotions += src->promotions;
	dst->shrinks += src->shrinks;
	dst->rehash_steps += src->rehash_steps;
	dst->rehash_elapsed_ns += src->rehash_elapsed_ns;
	dst->inner_maps += src->inner_maps;
	if (src->grow_ns_max > dst->grow_ns_max)
		dst->grow_ns_max = src->grow_ns_max;
	if (src->count > dst->count || src->buckets > dst->buckets) {
		dst->count = src->count;
		dst->buckets = src->buckets;
		dst->size = src->size;
		dst->capacity = src->capacity;
		dst->peak_count = src->peak_count;
		dst->B = src->B;
	}
	if (src->nsizes > dst->nsizes) {
		memcpy(dst->sizes, src->sizes, sizeof(dst->sizes));
		dst->nsizes = src->nsizes;
	}
	return hist__merge(&dst->grow_hist, &src->grow_hist);
}

/*
 * A concurrent map freed with all its inner maps: the family's row, built as a report row is
 * (model_snapshot.c), goes to the creation site's row, and every state of it is freed.
 */
static int fold_family(struct model *m, struct map_state *top)
{
	struct map_report row = {0};
	struct map_fold *f = map_fold_get(m, top);
	bool live_sum = top->variant != CMAP_SYNC;
	int err;

	if (!f)
		return -ENOMEM;
	err = map_state__fold(&row, top, live_sum)
		      ?: stack_costs__merge(&f->grow_stacks, &top->grow_stacks);
	for (int j = m->nmaps - 1; j >= 0 && !err; j--) {
		struct map_state *c = m->maps[j];

		if (c->parent != top)
			continue;
		row.inner_maps++;
		if (c->nsizes > row.nsizes) {
			memcpy(row.sizes, c->sizes, sizeof(row.sizes));
			row.nsizes = c->nsizes;
		}
		err = map_state__fold(&row, c, live_sum)
			      ?: stack_costs__merge(&f->grow_stacks, &c->grow_stacks);
		if (!err)
			map_remove(m, j);
	}
	if (!err && top->dead)
		err = map_report__add(&row, top->dead)
			      ?: stack_costs__merge(&f->grow_stacks, &top->dead_stacks);
	err = err ?: map_report__add(&f->row, &row);
	hist__free(&row.grow_hist);
	if (err)
		return err;
	for (int j = m->nmaps - 1; j >= 0; j--) {
		if (m->maps[j] == top) {
			map_remove(m, j);
			break;
		}
	}
	f->maps++;
	m->maps_folded++;
	return 0;
}

/* Map @s's index in the table, -1 when not there. */
static int map_index(struct model *m, const struct map_state *s)
{
	int i = idmap__get(&m->map_idx, s->addr);

	if (i >= 0 && m->maps[i] == s)
		return i;
	for (i = m->nmaps - 1; i >= 0 && m->maps[i] != s; i--)
		;
	return i;
}

/*
 * An inner map freed while its concurrent map lives (a sync map's old snapshot): summed into
 * the map's own record, as its row would sum it, and its state freed.
 */
static int fold_inner(struct model *m, struct map_state *c)
{
	struct map_state *p = c->parent;
	int i;

	if (!p->dead) {
		p->dead = calloc(1, sizeof(*p->dead));
		if (!p->dead)
			return -ENOMEM;
	}
	if (map_state__fold(p->dead, c, p->variant != CMAP_SYNC) ||
	    stack_costs__merge(&p->dead_stacks, &c->grow_stacks))
		return -ENOMEM;
	p->dead->inner_maps++;
	if (c->nsizes > p->dead->nsizes) {
		memcpy(p->dead->sizes, c->sizes, sizeof(p->dead->sizes));
		p->dead->nsizes = c->nsizes;
	}
	i = map_index(m, c);
	if (i >= 0)
		map_remove(m, i);
	return 0;
}

/* A freed map with no inner maps and no outer one into its site's row; its state is freed. */
static int fold_plain(struct model *m, struct map_state *s)
{
	struct map_fold *f = map_fold_get(m, s);
	int i;

	if (!f || stack_costs__merge(&f->grow_stacks, &s->grow_stacks) ||
	    map_state__fold(&f->row, s, false))
		return -ENOMEM;
	/* the size path of the map that grew most stands for the site */
	if (s->nsizes > f->row.nsizes) {
		memcpy(f->row.sizes, s->sizes, sizeof(f->row.sizes));
		f->row.nsizes = s->nsizes;
	}
	f->maps++;
	m->maps_folded++;
	i = map_index(m, s);
	if (i >= 0)
		map_remove(m, i);
	return 0;
}

/* A top-level map that was freed, and all its inner maps too: nothing more will come for it. */
static bool freed_for_good(const struct map_state *s)
{
	return !s->parent && s->destroyed && s->children_freed == s->children;
}

static int fold_top(struct model *m, struct map_state *top)
{
	return top->children ? fold_family(m, top) : fold_plain(m, top);
}

/*
 * Map @i was just freed.  Up to MODEL_FREED_KEEP freed maps keep rows of their own (a program
 * that frees a few maps gets them reported one by one); past that, every freed map, kept or
 * freed from then on, goes to its creation site's row.  A concurrent map goes when it and every
 * inner map it had are freed.
 */
int model__fold_map(struct model *m, int i)
{
	struct map_state *s = m->maps[i];
	struct map_state *top = s->parent ?: s;
	struct map_state **tops;
	int n = 0, err = 0;

	if (m->keep_events)
		return 0;
	if (s->parent && !s->parent->destroyed)
		return fold_inner(m, s);
	if (!freed_for_good(top))
		return 0;
	if (m->folding)
		return fold_top(m, top);
	if (++m->freed_kept <= MODEL_FREED_KEEP)
		return 0;
	m->folding = true;
	tops = calloc((size_t)m->nmaps + 1, sizeof(*tops));
	if (!tops)
		return -ENOMEM;
	for (int j = 0; j < m->nmaps; j++)
		if (freed_for_good(m->maps[j]))
			tops[n++] = m->maps[j];
	for (int j = 0; j < n && !err; j++)
		err = fold_top(m, tops[j]);
	free(tops);
	return err;
}

/* The stack that cost @l most, -1 for none. */
static int lock_top_stack(const struct lock_state *l)
{
	int best = -1;
	__u64 ns = 0;

	for (int i = 0; i < l->stacks.n; i++) {
		if (best < 0 || l->stacks.v[i].ns > ns) {
			best = l->stacks.v[i].stack;
			ns = l->stacks.v[i].ns;
		}
	}
	return best;
}

static struct lock_fold *lock_fold_get(struct model *m, const struct lock_state *l, int top)
{
	struct lock_fold *f;
	__u64 h = mix64(0x6c6f636b666f6c64ULL ^ ((__u64)(__u32)l->g.kind << 32 | (__u32)top));
	int i;

	for (;; h = mix64(h)) {
		i = idmap__get(&m->lock_fold_idx, h);
		if (i < 0)
			break;
		f = m->lock_folds[i];
		if (f->agg.g.kind == l->g.kind && f->top == top)
			return f;
	}
	if (GROW(m->lock_folds, m->nlock_folds, m->cap_lock_folds, 8))
		return NULL;
	f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	f->agg.g = l->g;
	f->top = top;
	if (idmap__put(&m->lock_fold_idx, h, m->nlock_folds)) {
		free(f);
		return NULL;
	}
	m->lock_folds[m->nlock_folds++] = f;
	return f;
}

/* Fold lock @i, cold, into its (kind, top stack) row and drop it from the table. */
static int lock_fold(struct model *m, int i)
{
	struct lock_state *l = m->locks[i];
	int top = lock_top_stack(l), last = m->nlocks - 1;
	struct lock_fold *f = lock_fold_get(m, l, top);
	struct lock_state *a;

	if (!f)
		return -ENOMEM;
	a = &f->agg;
	if (stack_costs__merge(&a->stacks, &l->stacks) ||
	    stack_costs__merge(&a->holders, &l->holders))
		return -ENOMEM;
	a->contentions += l->contentions;
	a->wait_ns += l->wait_ns;
	a->read_contentions += l->read_contentions;
	a->read_wait_ns += l->read_wait_ns;
	a->write_contentions += l->write_contentions;
	a->write_wait_ns += l->write_wait_ns;
	if (hist__merge(&a->hist, &l->hist))
		return -ENOMEM;
	f->locks++;
	m->locks_folded++;
	if (idmap__get(&m->lock_idx, l->addr) == i)
		u64map__del(&m->lock_idx, l->addr);
	if (i != last) {
		m->locks[i] = m->locks[last];
		idmap__put(&m->lock_idx, m->locks[i]->addr, i);
	}
	m->nlocks--;
	free(l->stacks.v);
	free(l->holders.v);
	hist__free(&l->hist);
	free(l);
	return 0;
}

/*
 * Fold the futex words that waited for nothing for LOCK_COLD_NS.  Not the library's locks (they
 * name a map), nor named ones (a static lock, one of a few), nor when events are kept.  A word
 * contended again after it was folded starts a record of its own, folded again when it cools.
 */
int model__sweep_cold_locks(struct model *m)
{
	int err = 0;

	if (m->keep_events || m->nlocks < LOCK_SWEEP_MIN ||
	    m->last_ts < m->last_lock_sweep + LOCK_SWEEP_NS)
		return 0;
	m->last_lock_sweep = m->last_ts;
	for (int i = m->nlocks - 1; i >= 0 && !err; i--) {
		const struct lock_state *l = m->locks[i];

		/* a lock only named so far (an alias) has no wait to fold */
		if (l->from_library || (l->name && l->name[0]) || !l->contentions ||
		    l->last_ts + LOCK_COLD_NS > m->last_ts)
			continue;
		err = lock_fold(m, i);
	}
	return err;
}
