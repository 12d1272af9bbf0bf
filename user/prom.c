// SPDX-License-Identifier: MIT
/*
 * The series state behind the Prometheus exposition: per process and per map or lock, what
 * each series shows, kept from report to report so counters stay monotonic when the top N
 * changes.  prom.h says what the families and series are; prom_text.c prints them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "prom_internal.h"

/* ---- histogram layout --------------------------------------------------------------------- */

const struct prom_layout prom_lock_layout = { .first_exp = 10 };
const struct prom_layout prom_rehash_layout = { .first_exp = 7 };

/* Fold @h into the layout's buckets: each hist bucket goes to the first bound above its top. */
static void phist__from_hist(struct phist *p, const struct hist *h, const struct prom_layout *l)
{
	int j = 0;
	__u64 n;

	memset(p, 0, sizeof(*p));
	p->count = h->count;
	p->sum_ns = h->sum;
	if (!h->count)
		return;
	for (int pos = 0, i; hist__next(h, &pos, &i, &n);) {
		while (j < PROM_NBOUNDS && hist__bucket_high(i) >= prom_layout__bound_ns(l, j))
			j++;
		p->b[j] += n;
	}
}

/* ---- the state: per process, per row, what each series shows ------------------------------ */

static void table__free_rows(struct prom_row *rows, int n)
{
	for (int i = 0; i < n; i++) {
		free(rows[i].library);
		free(rows[i].created_at);
	}
	free(rows);
}

static void table__free(struct prom_table *t)
{
	for (size_t i = 0; i < t->nitems; i++)
		free(t->items[i].own);
	free(t->items);
	table__free_rows(t->rows, t->nrows);
}

static void proc__free(struct prom_proc *p)
{
	if (!p)
		return;
	table__free(&p->maps);
	table__free(&p->locks);
	free(p);
}

struct prom_state *prom_state__new(const struct prom_opts *o)
{
	struct prom_state *st = calloc(1, sizeof(*st));

	if (!st)
		return NULL;
	st->top = o && o->top > 0 ? o->top : PROM_DEFAULT_TOP;
	return st;
}

void prom_state__free(struct prom_state *st)
{
	if (!st)
		return;
	for (int i = 0; i < st->nprocs; i++)
		proc__free(st->procs[i]);
	free(st->procs);
	free(st);
}

static int cmp_item(const void *pa, const void *pb)
{
	__u64 a = ((const struct prom_item *)pa)->addr, b = ((const struct prom_item *)pb)->addr;

	return a < b ? -1 : a > b;
}

static struct prom_item *find_item(struct prom_item *items, size_t n, __u64 addr)
{
	struct prom_item key = { .addr = addr };

	if (!n)
		return NULL;
	return bsearch(&key, items, n, sizeof(*items), cmp_item);
}

/* @cur minus @last for a counter; a counter that went down restarted from 0. */
static __u64 delta(__u64 cur, __u64 last)
{
	return cur >= last ? cur - last : cur;
}

/* Add the increase from @last to @cur into @acc. */
static void vals__add_delta(struct prom_vals *acc, const struct prom_vals *cur,
			    const struct prom_vals *last)
{
	bool reset = cur->h.count < last->h.count;

	acc->inserts += delta(cur->inserts, last->inserts);
	acc->grows += delta(cur->grows, last->grows);
	acc->evacuated += delta(cur->evacuated, last->evacuated);
	for (int j = 0; j <= PROM_NBOUNDS && !reset; j++)
		reset = cur->h.b[j] < last->h.b[j];
	/* a histogram restarts as a whole, so its buckets keep adding up to its count */
	acc->h.count += reset ? cur->h.count : cur->h.count - last->h.count;
	acc->h.sum_ns += reset ? cur->h.sum_ns : delta(cur->h.sum_ns, last->h.sum_ns);
	for (int j = 0; j <= PROM_NBOUNDS; j++)
		acc->h.b[j] += reset ? cur->h.b[j] : cur->h.b[j] - last->h.b[j];
}

/* One report row, generic over maps and locks. */
struct row_in {
	__u64 addr;
	struct prom_vals v;
	const char *library, *created_at, *kind;
	__u64 map, buckets;
	__s64 count;
};

/*
 * A folded row (freed maps of one site, cold futex words) has no address: its series are keyed
 * by its fold number, above any user-space address.
 */
#define PROM_FOLD_KEY (1ULL << 63)

static void map_row_in(struct row_in *in, const struct map_report *m)
{
	memset(in, 0, sizeof(*in));
	in->addr = m->folded ? PROM_FOLD_KEY | m->fold_id : m->addr;
	in->v.inserts = m->inserts;
	in->v.grows = m->grows;
	in->v.evacuated = m->evacuated;
	phist__from_hist(&in->v.h, &m->grow_hist, &prom_rehash_layout);
	in->library = m->library ?: "";
	in->created_at = m->created_at ?: "";
	in->buckets = m->buckets;
	in->count = m->count;
}

static void lock_row_in(struct row_in *in, const struct lock_report *l)
{
	memset(in, 0, sizeof(*in));
	in->addr = l->folded ? PROM_FOLD_KEY | l->fold_id : l->addr;
	phist__from_hist(&in->v.h, &l->hist, &prom_lock_layout);
	in->kind = mt_lock_kind_name(l->kind);
	in->map = l->map;
	in->count = -1;
}

/* A table's next items and rows, allocated before anything changes (see table__prepare()). */
struct table_next {
	struct prom_item *items;
	size_t nitems;
	struct prom_row *rows;
	int nrows;
	struct prom_vals **owns; /* the own series allocated for rows that had none */
	int nowns;
};

static void table__abort(struct table_next *nx)
{
	for (int i = 0; i < nx->nowns; i++)
		free(nx->owns[i]);
	free(nx->owns);
	table__free_rows(nx->rows, nx->nrows);
	free(nx->items);
}

/*
 * Allocate what taking @nrows rows (in cost order, read through @get) needs: the items (the
 * old ones, which keep their values should their row come back, plus the new rows) and the
 * top @top rows' series.  @t does not change.  Return: 0 or -ENOMEM.
 */
static int table__prepare(const struct prom_table *t, int top, const void *rows, int nrows,
			  void (*get)(struct row_in *, const void *, int), struct table_next *nx)
{
	struct prom_item *it;
	struct row_in in;
	int want = nrows < top ? nrows : top;

	memset(nx, 0, sizeof(*nx));
	nx->items = malloc((t->nitems + nrows + 1) * sizeof(*nx->items));
	nx->rows = calloc(want + 1, sizeof(*nx->rows));
	nx->owns = calloc(want + 1, sizeof(*nx->owns));
	if (!nx->items || !nx->rows || !nx->owns)
		goto enomem;
	if (t->nitems)
		memcpy(nx->items, t->items, t->nitems * sizeof(*nx->items));
	nx->nitems = t->nitems;
	for (int i = 0; i < nrows; i++) {
		get(&in, rows, i);
		if (!find_item(t->items, t->nitems, in.addr))
			nx->items[nx->nitems++] = (struct prom_item){ .addr = in.addr, .fresh = 1 };
	}
	qsort(nx->items, nx->nitems, sizeof(*nx->items), cmp_item);
	if (nx->nitems) {
		size_t k = 1;

		/* a new row listed twice in one report */
		for (size_t i = 1; i < nx->nitems; i++) {
			if (nx->items[i].addr != nx->items[k - 1].addr)
				nx->items[k++] = nx->items[i];
		}
		nx->nitems = k;
	}
	/* a row listed twice would be one item: only its first listing gets a series */
	for (size_t k = 0; k < nx->nitems; k++) {
		nx->items[k].was_chosen = nx->items[k].chosen;
		nx->items[k].chosen = false;
	}
	for (int i = 0; i < want; i++) {
		struct prom_row *row = &nx->rows[nx->nrows];

		get(&in, rows, i);
		it = find_item(nx->items, nx->nitems, in.addr);
		if (!it || it->chosen)
			continue;
		nx->nrows++;
		it->chosen = true;
		row->item = it - nx->items;
		row->kind = in.kind;
		row->map = in.map;
		row->buckets = in.buckets;
		row->count = in.count;
		if (in.library && !(row->library = strdup(in.library)))
			goto enomem;
		if (in.created_at && !(row->created_at = strdup(in.created_at)))
			goto enomem;
		if (!it->own) {
			if (!(nx->owns[nx->nowns] = calloc(1, sizeof(struct prom_vals))))
				goto enomem;
			it->own = nx->owns[nx->nowns++];
		}
	}
	return 0;
enomem:
	table__abort(nx);
	return -ENOMEM;
}

/*
 * Attribute each row's increase since the last update, and switch @t to @nx.  The increase
 * goes to the row's own series only when it had that series at the last update too;
 * otherwise to "other", which was and is exposed: a row just promoted into the top N starts
 * its series where it stopped (0 the first time), a row just demoted stops its own.  So no
 * increase is ever carried by a series's first sample, where rate() would not see it.  A row
 * seen for the first time is the exception: its series starts with all it has, as any new
 * counter does.
 */
static void table__commit(struct prom_table *t, struct table_next *nx, const void *rows, int nrows,
			  void (*get)(struct row_in *, const void *, int))
{
	struct prom_item *it;
	struct row_in in;

	t->other_buckets = 0;
	t->other_count = 0;
	for (int i = 0; i < nrows; i++) {
		get(&in, rows, i);
		it = find_item(nx->items, nx->nitems, in.addr);
		if (it->fresh ? it->chosen : it->chosen && it->was_chosen) {
			vals__add_delta(it->own, &in.v, &it->last);
		} else {
			vals__add_delta(&t->other, &in.v, &it->last);
			t->other_used = true;
		}
		/* gauges are no history: they go where the row is now */
		if (!it->chosen) {
			t->other_buckets += in.buckets;
			if (in.count < 0 || t->other_count < 0)
				t->other_count = -1;
			else
				t->other_count += in.count;
		}
		it->last = in.v;
	}
	for (size_t k = 0; k < nx->nitems; k++)
		nx->items[k].fresh = false;
	free(t->items);
	table__free_rows(t->rows, t->nrows);
	free(nx->owns);
	t->items = nx->items;
	t->nitems = nx->nitems;
	t->rows = nx->rows;
	t->nrows = nx->nrows;
}

static void get_map(struct row_in *in, const void *rows, int i)
{
	map_row_in(in, &((const struct map_report *)rows)[i]);
}

static void get_lock(struct row_in *in, const void *rows, int i)
{
	lock_row_in(in, &((const struct lock_report *)rows)[i]);
}

int prom_state__update(struct prom_state *st, const struct report *r, bool attached)
{
	struct prom_proc *p = NULL, **procs;
	struct table_next maps, locks;
	int err, k = 0, idx = -1;

	for (int i = 0; i < st->nprocs; i++) {
		if (st->procs[i]->pid == r->info.pid)
			idx = i;
	}
	if (idx < 0) {
		procs = realloc(st->procs, (st->nprocs + 1) * sizeof(*procs));
		if (!procs)
			return -ENOMEM;
		st->procs = procs;
		p = calloc(1, sizeof(*p));
		if (!p)
			return -ENOMEM;
		p->pid = r->info.pid;
	} else {
		p = st->procs[idx];
	}
	err = table__prepare(&p->maps, st->top, r->maps, r->nmaps, get_map, &maps);
	if (!err) {
		err = table__prepare(&p->locks, st->top, r->locks, r->nlocks, get_lock, &locks);
		if (err)
			table__abort(&maps);
	}
	if (err) {
		if (idx < 0)
			free(p);
		return err;
	}
	table__commit(&p->maps, &maps, r->maps, r->nmaps, get_map);
	table__commit(&p->locks, &locks, r->locks, r->nlocks, get_lock);
	snprintf(p->comm, sizeof(p->comm), "%s", r->info.comm);
	memcpy(p->dropped, r->dropped, sizeof(p->dropped));
	p->attached = attached;
	if (idx < 0)
		st->procs[st->nprocs++] = p;
	if (!attached)
		return 0;
	/* a process is traced now: the ones that are gone have had their last scrapes */
	for (int i = 0; i < st->nprocs; i++) {
		if (st->procs[i]->attached)
			st->procs[k++] = st->procs[i];
		else
			proc__free(st->procs[i]);
	}
	st->nprocs = k;
	return 0;
}
