// SPDX-License-Identifier: MIT
/*
 * The model's snapshot: core maps folded into their concurrent map, rows sorted by cost,
 * percentiles, creation sites named.  See model__snapshot() in model.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cmap.h"
#include "model_int.h"
#include "stackmerge.h"

static int cmp_cost_desc(const void *a, const void *b)
{
	const struct mt_stack_cost *x = a, *y = b;

	if (x->ns != y->ns)
		return x->ns < y->ns ? 1 : -1;
	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return x->stack - y->stack;
}

static int cmp_cost_stack(const void *a, const void *b)
{
	const struct mt_stack_cost *x = a, *y = b;

	return (x->stack > y->stack) - (x->stack < y->stack);
}

/*
 * Each cost of @v counted under its path's one stack (@canon, NULL: as it is), costs of the
 * same stack summed; sorted costliest first.  Returns how many are left.
 */
static int costs_merge(struct mt_stack_cost *v, int n, const int *canon, int nstacks)
{
	int out = 0;

	for (int i = 0; canon && i < n; i++)
		if (v[i].stack >= 0 && v[i].stack < nstacks)
			v[i].stack = canon[v[i].stack];
	qsort(v, n, sizeof(*v), cmp_cost_stack);
	for (int i = 0; i < n; i++) {
		if (out && v[out - 1].stack == v[i].stack) {
			v[out - 1].count += v[i].count;
			v[out - 1].ns += v[i].ns;
		} else {
			v[out++] = v[i];
		}
	}
	qsort(v, out, sizeof(*v), cmp_cost_desc);
	return out;
}

/* Copy the costliest stacks of @sc, merged by path (@canon), into @top; returns how many. */
static int stack_costs__top(const struct stack_costs *sc, const int *canon, int nstacks,
			    struct mt_stack_cost *top, int max)
{
	struct mt_stack_cost *tmp;
	int n;

	if (!sc->n)
		return 0;
	tmp = malloc(sc->n * sizeof(*tmp));
	if (!tmp)
		return 0;
	memcpy(tmp, sc->v, sc->n * sizeof(*tmp));
	n = costs_merge(tmp, sc->n, canon, nstacks);
	n = n < max ? n : max;
	memcpy(top, tmp, n * sizeof(*tmp));
	free(tmp);
	return n;
}

/* @idx counted under its path's one stack. */
static int canon_stack(const struct report *r, int idx)
{
	return idx >= 0 && idx < r->nstacks && r->stack_canon ? r->stack_canon[idx] : idx;
}

/* Is this frame inside the map library itself (so not "where the map was created")? */
static bool frame_in_library(const struct mt_frame *f)
{
	const char *base = strrchr(f->module, '/');

	base = base ? base + 1 : f->module;
	return !strncmp(f->func, "cmap_", 5) || !strncmp(f->func, "ccmap_", 6) ||
	       !strcmp(f->file, "cmap.c") || !strcmp(f->file, "ccmap.c") ||
	       !strncmp(base, "libcmap", 7) ||
	       !strncmp(f->func, "runtime.makemap", 15) || /* Go's makemap, makemap_small, ... */
	       /* Go 1.24+: makemap and reflect's makemap call it */
	       !strcmp(f->func, "internal/runtime/maps.NewMap") ||
	       /* a Go map's grow: runtime.hashGrow <- runtime.mapassign_fast64 <- the caller */
	       !strcmp(f->func, "runtime.hashGrow") || !strncmp(f->func, "runtime.mapassign", 17);
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
	return model__intern(m, buf) ?: "";
}

/* Add one core map's figures into a report row. */
int map_state__fold(struct map_report *row, const struct map_state *s, bool live_sum)
{
	__s64 count = map_state__count(s);
	/*
	 * The map's own counters, when read, are exact; without them (a profile map, or a trace
	 * from before they were read) what the probes counted.  Evacuation time is the steps'
	 * when --detail probed them (so stack costs add up to it), else the map's own measure.
	 */
	bool own = s->own_all;
	__u64 steps = s->evacuated + s->counts.evac_steps;
	__u64 evac_ns = steps || !own ? s->evac_ns + s->counts.evac_ns : s->own.evac_ns;

	row->inserts += s->own_seen ? s->own.inserts : s->counts.inserts;
	row->deletes += s->own_seen ? s->own.deletes : s->counts.deletes;
	row->sync_hits += s->counts.sync_hits;
	row->sync_misses += s->counts.sync_misses;
	row->grows += s->grows;
	row->same_size_grows += s->same_size_grows;
	row->grows_done += s->grows_done;
	/* steps the kernel summed under ring-buffer pressure count like the others */
	row->evacuated += own ? s->own.evacuated : s->evacuated + s->counts.evac_steps;
	row->evac_summed += s->counts.evac_steps;
	row->moved += own ? s->own.moved : s->moved + s->counts.evac_moved;
	row->alloc_ns_total += s->alloc_ns;
	row->evac_ns_total += evac_ns;
	row->grow_ns_total += s->alloc_ns + evac_ns;
	if (s->max_step_ns > row->grow_ns_max)
		row->grow_ns_max = s->max_step_ns;
	if (s->counts.evac_max_ns > row->grow_ns_max)
		row->grow_ns_max = s->counts.evac_max_ns;
	row->promotions += s->promotions;
	row->lookups += own ? s->own.lookups : s->counts.lookups;
	row->shrinks += s->shrinks;
	if (s->dir_depth > row->dir_depth)
		row->dir_depth = s->dir_depth;
	row->rehash_steps += s->rehash_steps;
	row->rehash_elapsed_ns += s->rehash_elapsed_ns;
	if (hist__merge(&row->grow_hist, &s->grow_hist))
		return -ENOMEM;
	if (s->lib) {
		/* a profile map: sizes in the library's own unit, entries when its profile reads them */
		row->size = s->size;
		row->buckets = s->size;
		row->B = s->size && !(s->size & (s->size - 1)) ? (__u32)__builtin_ctzll(s->size) : 0;
		row->peak_count = s->peak_count;
		row->count = s->table_read ? (__s64)s->own.count : -1;
		/* an evacuation running at its last reading (Go): its old buckets moved so far */
		row->evac_pos = s->own.evac_of ? s->own.evac_pos : 0;
		row->evac_of = s->own.evac_of;
		row->evac_elapsed_ns = s->own.evac_of ? s->own.evac_elapsed_ns : 0;
		row->evacuated += row->evac_pos;
		return 0;
	}
	/*
	 * A concurrent map's own record has no buckets (its inner maps do); an inner map freed
	 * while its map lives on (an old sync snapshot) holds nothing now; a freed map keeps the
	 * state it ended in.
	 */
	if ((s->destroyed && s->parent && !s->parent->destroyed) || !s->B_known ||
	    s->variant > CMAP_PLAIN)
		return 0;
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
	return 0;
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

/* Merge the costliest stacks of @sc into @row's top stacks (the same stack's costs summed). */
static void row_add_stacks(const struct report *r, struct map_report *row,
			   const struct stack_costs *sc)
{
	struct mt_stack_cost tmp[MT_TOP_STACKS * 2];
	int n = row->ntop;

	if (!sc->n)
		return;
	memcpy(tmp, row->top_stacks, n * sizeof(tmp[0]));
	n += stack_costs__top(sc, r->stack_canon, r->nstacks, tmp + n, MT_TOP_STACKS);
	n = costs_merge(tmp, n, NULL, 0);
	row->ntop = n < MT_TOP_STACKS ? n : MT_TOP_STACKS;
	memcpy(row->top_stacks, tmp, row->ntop * sizeof(tmp[0]));
}

static int build_maps(struct model *m, struct report *r)
{
	char lib[64];

	r->maps = calloc((size_t)m->nmaps + (size_t)m->nmap_folds + 1, sizeof(*r->maps));
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
		row->library = model__intern(m, run_info__library(&m->info, (unsigned int)s->lib, lib,
							   sizeof(lib)));
		if (!row->library)
			return -ENOMEM;
		row->name = s->name ? s->name : "";
		row->go_type = s->go_type ? s->go_type : "";
		row->sizes_in_slots = s->lib != 0;
		row->variant = s->variant;
		row->create_seen = s->create_seen;
		row->hint = s->hint;
		row->created_stack = canon_stack(r, s->created_stack);
		row->created_at = created_at(m, s->created_stack);
		row->first_grow_stack = canon_stack(r, s->first_grow_stack);
		row->first_grown_at = created_at(m, s->first_grow_stack);
		row->first_count = -1;
	}
	for (int i = 0; i < m->nmaps; i++) {
		const struct map_state *s = m->maps[i];
		struct map_report *row = &r->maps[(s->parent ?: s)->row];

		if (s->parent)
			row->inner_maps++;
		if (s->first_seen)
			row->first_count = (row->first_count < 0 ? 0 : row->first_count) +
					   (__s64)s->first_count;
		if (map_state__fold(row, s, row->variant != CMAP_SYNC))
			return -ENOMEM;
		/* the size path of the inner map that grew most stands for the whole map */
		if (s->nsizes > row->nsizes) {
			memcpy(row->sizes, s->sizes, sizeof(row->sizes));
			row->nsizes = s->nsizes;
		}
		row_add_stacks(r, row, &s->grow_stacks);
		/* inner maps it had that were freed and summed meanwhile (model_fold.c) */
		if (s->dead) {
			if (map_report__add(row, s->dead))
				return -ENOMEM;
			row_add_stacks(r, row, &s->dead_stacks);
		}
	}
	/* one row per creation site of the freed maps folded away */
	for (int i = 0; i < m->nmap_folds; i++) {
		const struct map_fold *f = m->map_folds[i];
		struct map_report *row = &r->maps[r->nmaps++];

		*row = f->row;
		row->folded = f->maps;
		row->fold_id = (__u32)i + 1;
		if (hist__copy(&row->grow_hist, &f->row.grow_hist))
			return -ENOMEM;
		row->library = model__intern(m, run_info__library(&m->info, (unsigned int)f->lib, lib,
							   sizeof(lib)));
		if (!row->library)
			return -ENOMEM;
		row->created_at = created_at(m, row->created_stack);
		row->created_stack = canon_stack(r, row->created_stack);
		row->first_grow_stack = -1; /* folded by creation site: their creation was seen */
		row->first_grown_at = "";
		row->ntop = stack_costs__top(&f->grow_stacks, r->stack_canon, r->nstacks,
					     row->top_stacks, MT_TOP_STACKS);
	}
	for (int i = 0; i < r->nmaps; i++) {
		/*
		 * Unknown when the creation was not seen (a profile map's count, read from it,
		 * is known or -1 already); and a sync map copies its snapshot into each new dirty
		 * map, so no insert/delete count adds up to its size.
		 */
		if ((!r->maps[i].create_seen && !r->maps[i].sizes_in_slots) ||
		    r->maps[i].variant == CMAP_SYNC)
			r->maps[i].count = -1;
	}
	qsort(r->maps, r->nmaps, sizeof(*r->maps), cmp_maps);
	return 0;
}

static int build_locks(struct model *m, struct report *r)
{
	int n = m->nlocks + m->nlock_folds;

	r->locks = calloc((size_t)n + 1, sizeof(*r->locks));
	if (!r->locks)
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		const struct lock_fold *f = i < m->nlocks ? NULL : m->lock_folds[i - m->nlocks];
		const struct lock_state *l = f ? &f->agg : m->locks[i];
		struct lock_report *row;

		/* a word only woken so far (its waiter's wait not yet seen) is no row yet */
		if (!l->contentions && l->holders.n && !l->from_library && !(l->name && l->name[0]))
			continue;
		row = &r->locks[r->nlocks++];

		row->folded = f ? f->locks : 0;
		row->fold_id = f ? (__u32)(i - m->nlocks) + 1 : 0;
		row->addr = l->addr;
		row->kind = l->g.kind;
		row->map = l->map;
		row->from_library = l->from_library;
		row->name = l->name ? l->name : "";
		row->contentions = l->contentions;
		row->wait_ns = l->wait_ns;
		row->read_contentions = l->read_contentions;
		row->read_wait_ns = l->read_wait_ns;
		row->write_contentions = l->write_contentions;
		row->write_wait_ns = l->write_wait_ns;
		if (hist__copy(&row->hist, &l->hist))
			return -ENOMEM;
		row->p50_ns = hist__percentile(&l->hist, 50);
		row->p99_ns = hist__percentile(&l->hist, 99);
		row->max_ns = l->hist.max;
		row->ntop = stack_costs__top(&l->stacks, r->stack_canon, r->nstacks,
					     row->top_stacks, MT_TOP_STACKS);
		for (int j = 0; j < l->holders.n; j++)
			row->holder_wakes += l->holders.v[j].count;
		row->nholders = stack_costs__top(&l->holders, r->stack_canon, r->nstacks,
						 row->holder_stacks, MT_TOP_STACKS);
		row->hold_count = l->hold_hist.count + l->hold_untimed;
		row->hold_untimed = l->hold_untimed;
		row->hold_ns = l->hold_hist.sum;
		row->hold_p50_ns = hist__percentile(&l->hold_hist, 50);
		row->hold_p99_ns = hist__percentile(&l->hold_hist, 99);
		row->hold_max_ns = l->hold_hist.max;
		row->nhold_stacks = stack_costs__top(&l->hold_stacks, r->stack_canon, r->nstacks,
						     row->hold_stacks, MT_TOP_STACKS);
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
	r->before_attach.freed = m->freed_unseen;
	r->futex_waits_in_lib = m->futex_waits_in_lib;
	memcpy(r->dropped, m->dropped, sizeof(r->dropped));
	r->stacks = m->stacks;
	r->nstacks = m->nstacks;
	/* one stack per code path, whichever unwinder made each; before the rows take stacks */
	if (m->nstacks) {
		r->stack_canon = malloc(m->nstacks * sizeof(*r->stack_canon));
		if (!r->stack_canon) {
			free(r);
			return -ENOMEM;
		}
		if (stackmerge__canon(m->stacks, m->nstacks, r->stack_canon)) {
			free(r->stack_canon);
			r->stack_canon = NULL;
		}
	}
	r->event_log = m->event_log;
	r->nevent_log = m->nevent_log;
	r->events_not_kept = m->events_not_kept;
	r->maps_folded = m->maps_folded;
	r->lib_totals_seen = m->lib_totals_seen;
	if (m->lib_totals_seen)
		r->lib_totals = (struct mt_ev_lib_totals){
			.created = m->lib_totals_last.created - m->lib_totals_first.created,
			.freed = m->lib_totals_last.freed - m->lib_totals_first.freed,
			.grows = m->lib_totals_last.grows - m->lib_totals_first.grows,
			.same_size_grows = m->lib_totals_last.same_size_grows -
					   m->lib_totals_first.same_size_grows,
		};
	r->locks_folded = m->locks_folded;
	err = build_maps(m, r);
	if (!err)
		err = build_locks(m, r);
	if (err) {
		/* a row's histogram is its own from its first merge or copy */
		for (int i = 0; r->maps && i < r->nmaps; i++)
			hist__free(&r->maps[i].grow_hist);
		for (int i = 0; r->locks && i < r->nlocks; i++)
			hist__free(&r->locks[i].hist);
		free(r->maps);
		free(r->locks);
		free(r->stack_canon);
		free(r);
		return err;
	}
	*out = r;
	return 0;
}

