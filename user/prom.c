// SPDX-License-Identifier: MIT
/*
 * Prometheus exposition of the report model, and the /metrics server.  prom.h says what the
 * families, buckets and series are; docs/prometheus.md says how to scrape and query them.
 */
#define _GNU_SOURCE /* accept4 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include "prom.h"

/* ---- histogram layout --------------------------------------------------------------------- */

/*
 * Two bounds per octave, 2^e and 1.5 * 2^e ns: both are struct hist bucket boundaries from
 * 2^6 ns up (hist.h: 32 linear sub-buckets per octave), so a hist bucket never straddles a
 * bound.  Half-octave buckets keep histogram_quantile()'s linear interpolation within about
 * 20% of the truth (a value of 20 ms sits in 16.8..25.2 ms), at 52 lines per histogram.
 */
#define PROM_NBOUNDS 49

struct prom_layout {
	int first_exp; /* the first bound is 2^first_exp ns, the last 2^(first_exp + 24) ns */
};

static const struct prom_layout lock_layout = { .first_exp = 10 };  /* 1.024 us .. 17.2 s */
static const struct prom_layout rehash_layout = { .first_exp = 7 }; /* 128 ns .. 2.15 s */

static __u64 bound_ns(const struct prom_layout *l, int j)
{
	int e = l->first_exp + j / 2;

	return j % 2 ? 3ULL << (e - 1) : 1ULL << e;
}

/* A histogram in exposition buckets, not cumulative; b[PROM_NBOUNDS] is the +Inf overflow. */
struct phist {
	__u64 count;
	__u64 sum_ns;
	__u64 b[PROM_NBOUNDS + 1];
};

/* Fold @h into the layout's buckets: each hist bucket goes to the first bound above its top. */
static void phist__from_hist(struct phist *p, const struct hist *h, const struct prom_layout *l)
{
	int j = 0;

	memset(p, 0, sizeof(*p));
	p->count = h->count;
	p->sum_ns = h->sum;
	if (!h->count)
		return;
	for (int i = 0; i < HIST_NBUCKETS; i++) {
		if (!h->buckets[i])
			continue;
		while (j < PROM_NBOUNDS && hist__bucket_high(i) >= bound_ns(l, j))
			j++;
		p->b[j] += h->buckets[i];
	}
}

/* ---- the state: per process, per row, what each series shows ------------------------------ */

/* The counters of one map or lock row (a lock uses only h). */
struct prom_vals {
	__u64 inserts;
	__u64 grows;
	__u64 evacuated;
	struct phist h;
};

/* One map or lock ever seen in a process, sorted by addr in its table. */
struct prom_item {
	__u64 addr;
	struct prom_vals last; /* the row's values at the latest update */
	struct prom_vals *own; /* what its own series shows; NULL until it first had one */
	bool chosen;	       /* it has a series of its own at the latest update */
	bool was_chosen;       /* ... and had one at the update before (during an update) */
	bool fresh;	       /* first seen in this update (during an update) */
};

/* A row with a series of its own at the latest update, in cost order. */
struct prom_row {
	size_t item;		    /* index into the table's items */
	char *library, *created_at; /* maps */
	const char *kind;	    /* locks: static string */
	__u64 map;		    /* locks: the map it guards, 0 unknown */
	__u64 buckets;		    /* maps */
	__s64 count;		    /* maps: -1 unknown */
};

struct prom_table {
	struct prom_item *items;
	size_t nitems;
	struct prom_row *rows;
	int nrows;
	struct prom_vals other; /* increases of rows without a series of their own */
	bool other_used;	/* some row was ever folded: the "other" series exists */
	__u64 other_buckets;	/* gauges of the rows folded now */
	__s64 other_count;	/* -1 when a folded row's count is unknown */
};

struct prom_proc {
	int pid;
	char comm[sizeof(((struct run_info *)0)->comm)];
	bool attached;
	__u64 dropped[MT_DROP_MAX];
	struct prom_table maps, locks;
};

struct prom_state {
	int top;
	struct prom_proc **procs; /* in the order they were first seen */
	int nprocs;
};

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

static void map_row_in(struct row_in *in, const struct map_report *m)
{
	memset(in, 0, sizeof(*in));
	in->addr = m->addr;
	in->v.inserts = m->inserts;
	in->v.grows = m->grows;
	in->v.evacuated = m->evacuated;
	phist__from_hist(&in->v.h, &m->grow_hist, &rehash_layout);
	in->library = m->library ?: "";
	in->created_at = m->created_at ?: "";
	in->buckets = m->buckets;
	in->count = m->count;
}

static void lock_row_in(struct row_in *in, const struct lock_report *l)
{
	memset(in, 0, sizeof(*in));
	in->addr = l->addr;
	phist__from_hist(&in->v.h, &l->hist, &lock_layout);
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

/* ---- the exposition ------------------------------------------------------------------------ */

/* What MT_DROP_* counts, as the reason label. */
static const char *const drop_reasons[MT_DROP_MAX] = {
	[MT_DROP_RINGBUF] = "ringbuf",
	[MT_DROP_STACK] = "stack",
	[MT_DROP_STATE] = "state",
};

/* Length of the valid UTF-8 sequence at @s, 0 when it is not one. */
static int utf8_len(const unsigned char *s)
{
	int n = 1;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	/* no overlong forms, no surrogates, nothing above U+10FFFF */
	if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] >= 0xa0) ||
	    (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] >= 0x90))
		return 0;
	for (int i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	}
	return n;
}

/*
 * A label value: backslash, double quote and newline escaped as the format says, and bytes
 * that are not UTF-8 (a comm or a path can hold any) replaced by U+FFFD, since Prometheus
 * rejects a whole scrape over one invalid label value.
 */
static void put_label_value(FILE *f, const char *v)
{
	const unsigned char *s = (const unsigned char *)v;

	while (*s) {
		int n = utf8_len(s);

		if (*s == '\\')
			fputs("\\\\", f);
		else if (*s == '"')
			fputs("\\\"", f);
		else if (*s == '\n')
			fputs("\\n", f);
		else if (n)
			fwrite(s, 1, n, f);
		else
			fputs("\xef\xbf\xbd", f);
		s += n ? n : 1;
	}
}

/* A whole number of nanoseconds as seconds, exactly: "0.000001024", "20", "0". */
static char *fmt_seconds(char *buf, size_t size, __u64 ns)
{
	size_t n = snprintf(buf, size, "%llu.%09llu", (unsigned long long)(ns / 1000000000ULL),
			    (unsigned long long)(ns % 1000000000ULL));

	while (n > 0 && buf[n - 1] == '0')
		buf[--n] = '\0';
	if (n > 0 && buf[n - 1] == '.')
		buf[--n] = '\0';
	return buf;
}

static void put_family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void put_u64(FILE *f, const char *name, const char *labels, __u64 v)
{
	fprintf(f, "%s{%s} %llu\n", name, labels, (unsigned long long)v);
}

static void put_hist(FILE *f, const char *name, const char *labels, const struct phist *h,
		     const struct prom_layout *l)
{
	char v[32];
	__u64 cum = 0;

	for (int j = 0; j < PROM_NBOUNDS; j++) {
		cum += h->b[j];
		fprintf(f, "%s_bucket{%s,le=\"%s\"} %llu\n", name, labels,
			fmt_seconds(v, sizeof(v), bound_ns(l, j)), (unsigned long long)cum);
	}
	fprintf(f, "%s_bucket{%s,le=\"+Inf\"} %llu\n", name, labels, (unsigned long long)h->count);
	fprintf(f, "%s_sum{%s} %s\n", name, labels, fmt_seconds(v, sizeof(v), h->sum_ns));
	fprintf(f, "%s_count{%s} %llu\n", name, labels, (unsigned long long)h->count);
}

/* The label sets of one process's series, built once per exposition. */
struct proc_labels {
	char *base;   /* pid, comm */
	char **maps;  /* per row, then "other" at [nrows] */
	char **locks; /* the same */
};

/* Printf into a new string; NULL on ENOMEM. */
static char *label_set(const char *base, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static char *label_set(const char *base, const char *fmt, ...)
{
	char *s = NULL;
	size_t n;
	FILE *f = open_memstream(&s, &n);
	va_list ap;

	if (!f)
		return NULL;
	fputs(base, f);
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	if (ferror(f)) {
		fclose(f);
		free(s);
		return NULL;
	}
	if (fclose(f)) {
		free(s);
		return NULL;
	}
	return s;
}

/* Like label_set(), with escaped string values in between: map's library and created_at. */
static char *map_labels(const char *base, const char *map, const char *library,
			const char *created_at)
{
	char *s = NULL;
	size_t n;
	FILE *f = open_memstream(&s, &n);

	if (!f)
		return NULL;
	fprintf(f, "%s,map=\"%s\",library=\"", base, map);
	put_label_value(f, library ?: "");
	fputs("\",created_at=\"", f);
	put_label_value(f, created_at ?: "");
	fputc('"', f);
	if (ferror(f)) {
		fclose(f);
		free(s);
		return NULL;
	}
	if (fclose(f)) {
		free(s);
		return NULL;
	}
	return s;
}

static void proc_labels__free(struct proc_labels *pl, const struct prom_proc *p)
{
	for (int i = 0; pl->maps && i <= p->maps.nrows; i++)
		free(pl->maps[i]);
	for (int i = 0; pl->locks && i <= p->locks.nrows; i++)
		free(pl->locks[i]);
	free(pl->maps);
	free(pl->locks);
	free(pl->base);
}

static int proc_labels__build(struct proc_labels *pl, const struct prom_proc *p)
{
	char addr[24], map[24];
	size_t n;
	FILE *f;

	memset(pl, 0, sizeof(*pl));
	f = open_memstream(&pl->base, &n);
	if (!f)
		return -ENOMEM;
	fprintf(f, "pid=\"%d\",comm=\"", p->pid);
	put_label_value(f, p->comm);
	fputc('"', f);
	if (ferror(f) | fclose(f))
		goto enomem;
	pl->maps = calloc(p->maps.nrows + 1, sizeof(*pl->maps));
	pl->locks = calloc(p->locks.nrows + 1, sizeof(*pl->locks));
	if (!pl->maps || !pl->locks)
		goto enomem;
	for (int i = 0; i < p->maps.nrows; i++) {
		const struct prom_row *row = &p->maps.rows[i];

		snprintf(addr, sizeof(addr), "0x%llx",
			 (unsigned long long)p->maps.items[row->item].addr);
		pl->maps[i] = map_labels(pl->base, addr, row->library, row->created_at);
		if (!pl->maps[i])
			goto enomem;
	}
	pl->maps[p->maps.nrows] = map_labels(pl->base, "other", "", "");
	if (!pl->maps[p->maps.nrows])
		goto enomem;
	for (int i = 0; i < p->locks.nrows; i++) {
		const struct prom_row *row = &p->locks.rows[i];

		if (row->map)
			snprintf(map, sizeof(map), "0x%llx", (unsigned long long)row->map);
		else
			map[0] = '\0';
		pl->locks[i] = label_set(pl->base, ",lock=\"0x%llx\",kind=\"%s\",map=\"%s\"",
					 (unsigned long long)p->locks.items[row->item].addr,
					 row->kind ?: "", map);
		if (!pl->locks[i])
			goto enomem;
	}
	pl->locks[p->locks.nrows] = label_set(pl->base, ",lock=\"other\",kind=\"\",map=\"\"");
	if (!pl->locks[p->locks.nrows])
		goto enomem;
	return 0;
enomem:
	proc_labels__free(pl, p);
	return -ENOMEM;
}

/* The own series' values of row @i of @t. */
static const struct prom_vals *row_vals(const struct prom_table *t, int i)
{
	return t->items[t->rows[i].item].own;
}

enum map_counter { MC_INSERTS, MC_GROWS, MC_EVACUATED };

static __u64 map_counter(const struct prom_vals *v, enum map_counter c)
{
	return c == MC_INSERTS ? v->inserts : c == MC_GROWS ? v->grows : v->evacuated;
}

static void put_all(FILE *f, const struct prom_state *st, const struct proc_labels *pl)
{
	static const struct {
		const char *name, *help;
	} counters[] = {
		[MC_INSERTS] = { "maptrace_map_inserts_total",
				 "New keys inserted into the map (updates are not counted)." },
		[MC_GROWS] = { "maptrace_map_grows_total",
			       "Grows of the map: doublings and same-size grows." },
		[MC_EVACUATED] = { "maptrace_map_evacuated_buckets_total",
				   "Old buckets evacuated into the new bucket array by grows." },
	};

	put_family(f, "maptrace_attached", "gauge",
		   "1 while maptrace traces the process, 0 once it is gone (its series stay, "
		   "frozen, until another process is traced).");
	for (int i = 0; i < st->nprocs; i++)
		put_u64(f, "maptrace_attached", pl[i].base, st->procs[i]->attached);

	put_family(f, "maptrace_dropped_records_total", "counter",
		   "Records maptrace lost, by reason: ringbuf (ring buffer full), stack (stack "
		   "map full or unwind failed), state (per-thread state map full).");
	for (int i = 0; i < st->nprocs; i++) {
		for (int k = 0; k < MT_DROP_MAX; k++)
			fprintf(f, "maptrace_dropped_records_total{%s,reason=\"%s\"} %llu\n",
				pl[i].base, drop_reasons[k],
				(unsigned long long)st->procs[i]->dropped[k]);
	}

	for (int c = 0; c < 3; c++) {
		put_family(f, counters[c].name, "counter", counters[c].help);
		for (int i = 0; i < st->nprocs; i++) {
			const struct prom_table *t = &st->procs[i]->maps;

			for (int r = 0; r < t->nrows; r++)
				put_u64(f, counters[c].name, pl[i].maps[r],
					map_counter(row_vals(t, r), c));
			if (t->other_used)
				put_u64(f, counters[c].name, pl[i].maps[t->nrows],
					map_counter(&t->other, c));
		}
	}

	put_family(f, "maptrace_map_buckets", "gauge",
		   "Buckets of the map now (summed over a concurrent map's inner maps).");
	for (int i = 0; i < st->nprocs; i++) {
		const struct prom_table *t = &st->procs[i]->maps;

		for (int r = 0; r < t->nrows; r++)
			put_u64(f, "maptrace_map_buckets", pl[i].maps[r], t->rows[r].buckets);
		if (t->other_used)
			put_u64(f, "maptrace_map_buckets", pl[i].maps[t->nrows], t->other_buckets);
	}

	put_family(f, "maptrace_map_entries", "gauge",
		   "Live entries of the map; absent while unknown (map created before tracing "
		   "began, or a sync map).");
	for (int i = 0; i < st->nprocs; i++) {
		const struct prom_table *t = &st->procs[i]->maps;

		for (int r = 0; r < t->nrows; r++) {
			if (t->rows[r].count >= 0)
				put_u64(f, "maptrace_map_entries", pl[i].maps[r],
					(__u64)t->rows[r].count);
		}
		if (t->other_used && t->other_count >= 0)
			put_u64(f, "maptrace_map_entries", pl[i].maps[t->nrows],
				(__u64)t->other_count);
	}

	put_family(f, "maptrace_rehash_seconds", "histogram",
		   "Duration of each grow (allocation) and each incremental evacuation step.");
	for (int i = 0; i < st->nprocs; i++) {
		const struct prom_table *t = &st->procs[i]->maps;

		for (int r = 0; r < t->nrows; r++)
			put_hist(f, "maptrace_rehash_seconds", pl[i].maps[r], &row_vals(t, r)->h,
				 &rehash_layout);
		if (t->other_used)
			put_hist(f, "maptrace_rehash_seconds", pl[i].maps[t->nrows], &t->other.h,
				 &rehash_layout);
	}

	put_family(f, "maptrace_lock_wait_seconds", "histogram",
		   "Time each contended acquisition of the lock waited.");
	for (int i = 0; i < st->nprocs; i++) {
		const struct prom_table *t = &st->procs[i]->locks;

		for (int r = 0; r < t->nrows; r++)
			put_hist(f, "maptrace_lock_wait_seconds", pl[i].locks[r],
				 &row_vals(t, r)->h, &lock_layout);
		if (t->other_used)
			put_hist(f, "maptrace_lock_wait_seconds", pl[i].locks[t->nrows],
				 &t->other.h, &lock_layout);
	}
}

int prom_state__format(const struct prom_state *st, char **buf, size_t *len)
{
	struct proc_labels *pl = calloc(st->nprocs + 1, sizeof(*pl));
	int err = 0, built = 0;
	FILE *f = NULL;

	*buf = NULL;
	*len = 0;
	if (!pl)
		return -ENOMEM;
	for (; built < st->nprocs && !err; built++)
		err = proc_labels__build(&pl[built], st->procs[built]);
	if (err) {
		built--; /* the failed one cleaned up after itself */
		goto out;
	}
	f = open_memstream(buf, len);
	if (!f) {
		err = -ENOMEM;
		goto out;
	}
	put_all(f, st, pl);
	if (ferror(f))
		err = -ENOMEM;
	if (fclose(f))
		err = -ENOMEM;
	if (err) {
		free(*buf);
		*buf = NULL;
		*len = 0;
	}
out:
	for (int i = 0; i < built; i++)
		proc_labels__free(&pl[i], st->procs[i]);
	free(pl);
	return err;
}

int prom__format(const struct report *r, const struct prom_opts *o, char **buf, size_t *len)
{
	struct prom_state *st = prom_state__new(o);
	int err;

	*buf = NULL;
	*len = 0;
	if (!st)
		return -ENOMEM;
	err = prom_state__update(st, r, !(o && o->detached));
	if (!err)
		err = prom_state__format(st, buf, len);
	prom_state__free(st);
	return err;
}

/* ---- the /metrics server ------------------------------------------------------------------- */

/*
 * One thread polls the listening socket, an eventfd that wakes it to stop, and a small table
 * of non-blocking connections, each with a deadline: a client that does not finish its
 * request in READ_TIMEOUT_MS, or does not take its response in WRITE_TIMEOUT_MS, is dropped,
 * so a slow or half-open client costs one slot and never blocks another scrape.  When the
 * table is full, a new connection evicts the oldest one still sending its request.  Tracing
 * runs on other threads and only ever takes the body mutex to swap a pointer.
 */
#define MAX_CONNS	 64
#define REQ_MAX		 8192  /* request line and headers */
#define READ_TIMEOUT_MS	 5000  /* from accept to the end of the headers */
#define WRITE_TIMEOUT_MS 10000 /* to take the whole response */
#define LINGER_MS	 1000  /* after the response, to read what the client still sends */

/* One published exposition, shared by the scrapes that serve it. */
struct prom_body {
	int refs; /* under prom_server.lock */
	size_t len;
	char data[];
};

enum conn_state { CONN_FREE, CONN_READ, CONN_WRITE, CONN_LINGER };

struct conn {
	int fd;
	enum conn_state state;
	__u64 deadline; /* CLOCK_MONOTONIC ns */
	char *req;	/* REQ_MAX bytes while reading */
	size_t rlen;
	char head[512]; /* status line, headers, and an error's short body */
	size_t hlen;
	struct prom_body *body; /* NULL for errors and HEAD */
	size_t off;		/* bytes of head + body sent */
};

struct prom_server {
	int lfd, wakefd, port;
	__u64 accept_resume; /* when accept() ran out of descriptors: retry from then */
	pthread_t thread;
	atomic_bool stop;
	pthread_mutex_t lock;
	struct prom_body *body; /* the latest published text, NULL before the first */
	struct conn conns[MAX_CONNS];
};

static __u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
}

static void body__put(struct prom_server *s, struct prom_body *b)
{
	bool last;

	if (!b)
		return;
	pthread_mutex_lock(&s->lock);
	last = --b->refs == 0;
	pthread_mutex_unlock(&s->lock);
	if (last)
		free(b);
}

static void conn__close(struct prom_server *s, struct conn *c)
{
	close(c->fd);
	free(c->req);
	body__put(s, c->body);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

static void conn__respond(struct conn *c, int status, const char *reason, const char *extra,
			  const char *msg)
{
	c->hlen = snprintf(c->head, sizeof(c->head),
			   "HTTP/1.1 %d %s\r\nContent-Type: text/plain; charset=utf-8\r\n"
			   "Content-Length: %zu\r\n%sConnection: close\r\n\r\n%s",
			   status, reason, strlen(msg), extra, msg);
}

/* The request is complete in c->req: choose the response. */
static void conn__route(struct prom_server *s, struct conn *c)
{
	char *line = c->req, *eol = strchr(line, '\n'), *method, *target, *version, *p;
	bool head;
	size_t n;

	*eol = '\0';
	if (eol > line && eol[-1] == '\r')
		eol[-1] = '\0';
	/* request-line = method SP request-target SP HTTP-version */
	method = line;
	target = strchr(method, ' ');
	version = target ? strchr(target + 1, ' ') : NULL;
	if (!target || !version || strchr(version + 1, ' ') || target == method ||
	    version == target + 1 || strncmp(version + 1, "HTTP/1.", 7) || target[1] != '/')
		goto bad;
	for (p = method; p < target; p++) {
		if (*p < 'A' || *p > 'Z')
			goto bad;
	}
	/* every header line needs a colon */
	for (p = eol + 1; *p && *p != '\r' && *p != '\n'; p = strchr(p, '\n') + 1) {
		char *end = strchr(p, '\n');

		if (!memchr(p, ':', end - p))
			goto bad;
	}
	*target++ = '\0';
	*version = '\0';
	head = !strcmp(method, "HEAD");
	if (!head && strcmp(method, "GET")) {
		conn__respond(c, 405, "Method Not Allowed", "Allow: GET, HEAD\r\n",
			      "maptrace serves GET /metrics only\n");
		return;
	}
	n = strcspn(target, "?");
	if (n != strlen("/metrics") || strncmp(target, "/metrics", n)) {
		conn__respond(c, 404, "Not Found", "", "maptrace serves /metrics only\n");
		return;
	}
	pthread_mutex_lock(&s->lock);
	c->body = s->body;
	if (c->body)
		c->body->refs++;
	pthread_mutex_unlock(&s->lock);
	if (!c->body) {
		conn__respond(c, 503, "Service Unavailable", "Retry-After: 1\r\n",
			      "maptrace has no metrics yet\n");
		return;
	}
	c->hlen = snprintf(c->head, sizeof(c->head),
			   "HTTP/1.1 200 OK\r\n"
			   "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
			   "Content-Length: %zu\r\nConnection: close\r\n\r\n",
			   c->body->len);
	if (head) {
		body__put(s, c->body);
		c->body = NULL;
	}
	return;
bad:
	conn__respond(c, 400, "Bad Request", "", "malformed HTTP request\n");
}

/* Send what the socket takes.  Return: 1 when all is sent, 0 to wait, -1 to drop it. */
static int conn__send(struct conn *c)
{
	size_t total = c->hlen + (c->body ? c->body->len : 0);

	while (c->off < total) {
		struct iovec iov[2];
		struct msghdr msg = { .msg_iov = iov };
		ssize_t n;

		if (c->off < c->hlen) {
			iov[0].iov_base = c->head + c->off;
			iov[0].iov_len = c->hlen - c->off;
			iov[1].iov_base = c->body ? c->body->data : NULL;
			iov[1].iov_len = c->body ? c->body->len : 0;
			msg.msg_iovlen = c->body ? 2 : 1;
		} else {
			iov[0].iov_base = c->body->data + (c->off - c->hlen);
			iov[0].iov_len = total - c->off;
			msg.msg_iovlen = 1;
		}
		n = sendmsg(c->fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
		c->off += n;
	}
	return 1;
}

static void conn__start_write(struct conn *c, __u64 now)
{
	free(c->req);
	c->req = NULL;
	c->state = CONN_WRITE;
	c->deadline = now + WRITE_TIMEOUT_MS * 1000000ULL;
}

/* The response is out: half-close, then read until the client closes, so it gets it all. */
static void conn__done(struct prom_server *s, struct conn *c, __u64 now)
{
	body__put(s, c->body);
	c->body = NULL;
	shutdown(c->fd, SHUT_WR);
	c->state = CONN_LINGER;
	c->deadline = now + LINGER_MS * 1000000ULL;
}

static void conn__write(struct prom_server *s, struct conn *c, __u64 now)
{
	int r = conn__send(c);

	if (r < 0)
		conn__close(s, c);
	else if (r > 0)
		conn__done(s, c, now);
}

static void conn__read(struct prom_server *s, struct conn *c, __u64 now)
{
	for (;;) {
		size_t from = c->rlen > 3 ? c->rlen - 3 : 0;
		ssize_t n = recv(c->fd, c->req + c->rlen, REQ_MAX - c->rlen, MSG_DONTWAIT);

		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			return;
		if (n <= 0) {
			/* closed or reset before the request was complete */
			conn__close(s, c);
			return;
		}
		c->rlen += n;
		c->req[c->rlen] = '\0';
		if (memchr(c->req, '\0', c->rlen)) {
			conn__respond(c, 400, "Bad Request", "", "malformed HTTP request\n");
			break;
		}
		if (strstr(c->req + from, "\r\n\r\n") || strstr(c->req + from, "\n\n")) {
			conn__route(s, c);
			break;
		}
		if (c->rlen == REQ_MAX) {
			conn__respond(c, 431, "Request Header Fields Too Large", "",
				      "request headers over 8 KiB\n");
			break;
		}
	}
	conn__start_write(c, now);
	conn__write(s, c, now);
}

static void conn__linger(struct prom_server *s, struct conn *c)
{
	char sink[1024];
	ssize_t n;

	do {
		n = recv(c->fd, sink, sizeof(sink), MSG_DONTWAIT);
	} while (n > 0);
	if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
		conn__close(s, c);
}

/* A free slot; when none, the oldest connection still reading (or lingering) is dropped. */
static struct conn *conn__slot(struct prom_server *s)
{
	struct conn *victim = NULL;

	for (int i = 0; i < MAX_CONNS; i++) {
		struct conn *c = &s->conns[i];

		if (c->state == CONN_FREE)
			return c;
		if (c->state == CONN_WRITE)
			continue;
		if (!victim || (c->state == CONN_LINGER && victim->state == CONN_READ) ||
		    (c->state == victim->state && c->deadline < victim->deadline))
			victim = c;
	}
	if (victim)
		conn__close(s, victim);
	return victim;
}

static void server__accept(struct prom_server *s, __u64 now)
{
	for (;;) {
		int fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct conn *c;

		if (fd < 0) {
			/* out of descriptors or memory: the listening socket stays readable, so
			 * pause accepting instead of spinning; the backlog holds the clients */
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM)
				s->accept_resume = now + 100000000ULL;
			return; /* or EAGAIN, or a connection that went away: nothing to do */
		}
		c = conn__slot(s);
		if (!c) {
			close(fd); /* every slot is writing a response */
			continue;
		}
		c->req = malloc(REQ_MAX + 1);
		if (!c->req) {
			close(fd);
			continue;
		}
		c->fd = fd;
		c->state = CONN_READ;
		c->deadline = now + READ_TIMEOUT_MS * 1000000ULL;
	}
}

static void *server__run(void *arg)
{
	struct prom_server *s = arg;
	struct pollfd pfd[MAX_CONNS + 2];
	int idx[MAX_CONNS + 2];

	while (!atomic_load(&s->stop)) {
		__u64 now = mono_ns(), first = 0;
		int n = 0, timeout = -1;

		pfd[n++] = (struct pollfd){ .fd = s->wakefd, .events = POLLIN };
		pfd[n++] = (struct pollfd){
			.fd = s->lfd,
			.events = now < s->accept_resume ? 0 : POLLIN,
		};
		if (now < s->accept_resume)
			first = s->accept_resume;
		for (int i = 0; i < MAX_CONNS; i++) {
			struct conn *c = &s->conns[i];

			if (c->state == CONN_FREE)
				continue;
			idx[n] = i;
			pfd[n++] = (struct pollfd){
				.fd = c->fd,
				.events = c->state == CONN_WRITE ? POLLOUT : POLLIN,
			};
			if (!first || c->deadline < first)
				first = c->deadline;
		}
		if (first)
			timeout = first <= now ? 0 : (int)((first - now + 999999) / 1000000);
		if (poll(pfd, n, timeout) < 0 && errno != EINTR)
			break; /* cannot happen with valid fds; stop serving rather than spin */
		now = mono_ns();
		for (int k = 2; k < n; k++) {
			struct conn *c = &s->conns[idx[k]];

			if (pfd[k].revents & POLLNVAL) {
				conn__close(s, c);
				continue;
			}
			if (!pfd[k].revents)
				continue;
			if (c->state == CONN_READ)
				conn__read(s, c, now);
			else if (c->state == CONN_WRITE)
				conn__write(s, c, now);
			else if (c->state == CONN_LINGER)
				conn__linger(s, c);
		}
		for (int i = 0; i < MAX_CONNS; i++) {
			if (s->conns[i].state != CONN_FREE && s->conns[i].deadline <= now)
				conn__close(s, &s->conns[i]);
		}
		if (pfd[1].revents & POLLIN)
			server__accept(s, now);
	}
	return NULL;
}

/* Parse "[ADDR:]PORT" or "[IPV6]:PORT" into @ss; @host gets the address as printed. */
static int parse_listen(const char *spec, struct sockaddr_storage *ss, socklen_t *sslen, char *host,
			size_t hostsz, unsigned int *portnum)
{
	const char *port = spec, *colon;
	char *end;
	unsigned long p;
	size_t hl = 0;

	memset(ss, 0, sizeof(*ss));
	host[0] = '\0';
	if (spec[0] == '[') {
		const char *rb = strchr(spec, ']');

		if (!rb || rb[1] != ':')
			return -EINVAL;
		hl = rb - spec - 1;
		if (hl >= hostsz)
			return -EINVAL;
		memcpy(host, spec + 1, hl);
		host[hl] = '\0';
		port = rb + 2;
	} else if ((colon = strrchr(spec, ':'))) {
		hl = colon - spec;
		if (memchr(spec, ':', hl) || hl >= hostsz)
			return -EINVAL; /* an IPv6 address needs its brackets */
		memcpy(host, spec, hl);
		host[hl] = '\0';
		port = colon + 1;
	}
	if (!host[0] && spec[0] != '[')
		snprintf(host, hostsz, "127.0.0.1");
	if (port[0] < '0' || port[0] > '9')
		return -EINVAL;
	errno = 0;
	p = strtoul(port, &end, 10);
	if (errno || *end || p > 65535)
		return -EINVAL;
	*portnum = p;
	if (spec[0] == '[') {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons(p);
		if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1)
			return -EINVAL;
		*sslen = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;

		a->sin_family = AF_INET;
		a->sin_port = htons(p);
		if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
			return -EINVAL;
		*sslen = sizeof(*a);
	}
	return 0;
}

static const char *listen_hint(int err)
{
	switch (err) {
	case -EADDRINUSE:
		return "address in use; pick another port with --listen";
	case -EACCES:
		return "permission denied (ports below 1024 need CAP_NET_BIND_SERVICE); pick "
		       "a port above 1023 with --listen";
	case -EADDRNOTAVAIL:
		return "no interface of this host has that address; use 127.0.0.1 or one of "
		       "its own addresses";
	case -EAFNOSUPPORT:
		return "this kernel has no IPv6; use an IPv4 address";
	default:
		return NULL;
	}
}

int prom_server__start(const char *addr_port, struct prom_server **out)
{
	struct sockaddr_storage ss;
	socklen_t sslen = 0;
	sigset_t all, old;
	struct prom_server *s;
	char host[INET6_ADDRSTRLEN + 1];
	unsigned int port = 0;
	int err, one = 1;
	const char *hint;

	*out = NULL;
	err = parse_listen(addr_port ?: "", &ss, &sslen, host, sizeof(host), &port);
	if (err) {
		fprintf(stderr,
			"maptrace: bad --listen address '%s': use [ADDR:]PORT with a numeric "
			"address and a port 0..65535, e.g. 127.0.0.1:9100 or [::1]:9100\n",
			addr_port ?: "");
		return err;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->lfd = s->wakefd = -1;
	for (int i = 0; i < MAX_CONNS; i++)
		s->conns[i].fd = -1;
	pthread_mutex_init(&s->lock, NULL);
	s->lfd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->lfd < 0) {
		err = -errno;
		goto fail;
	}
	/* a restarted maptrace rebinds at once despite the last run's TIME_WAIT connections */
	setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(s->lfd, (struct sockaddr *)&ss, sslen) || listen(s->lfd, SOMAXCONN)) {
		err = -errno;
		goto fail;
	}
	if (getsockname(s->lfd, (struct sockaddr *)&ss, &sslen)) {
		err = -errno;
		goto fail;
	}
	s->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
						 : ((struct sockaddr_in *)&ss)->sin_port);
	s->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (s->wakefd < 0) {
		err = -errno;
		goto fail;
	}
	/* signals are the main thread's business: Ctrl-C must interrupt its poll, not ours */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = -pthread_create(&s->thread, NULL, server__run, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err)
		goto fail;
	*out = s;
	return 0;
fail:
	hint = listen_hint(err);
	fprintf(stderr, "maptrace: cannot listen on %s%s%s:%u: %s\n",
		ss.ss_family == AF_INET6 ? "[" : "", host, ss.ss_family == AF_INET6 ? "]" : "",
		port, hint ?: strerror(-err));
	if (s->lfd >= 0)
		close(s->lfd);
	if (s->wakefd >= 0)
		close(s->wakefd);
	pthread_mutex_destroy(&s->lock);
	free(s);
	return err;
}

int prom_server__port(const struct prom_server *s)
{
	return s->port;
}

int prom_server__publish(struct prom_server *s, const char *buf, size_t len)
{
	struct prom_body *b = malloc(sizeof(*b) + len), *old;

	if (!b)
		return -ENOMEM;
	b->refs = 1;
	b->len = len;
	memcpy(b->data, buf, len);
	pthread_mutex_lock(&s->lock);
	old = s->body;
	s->body = b;
	pthread_mutex_unlock(&s->lock);
	body__put(s, old);
	return 0;
}

void prom_server__stop(struct prom_server *s)
{
	__u64 one = 1;

	if (!s)
		return;
	atomic_store(&s->stop, true);
	if (write(s->wakefd, &one, sizeof(one)) < 0) {
		/* cannot fail on an eventfd below its maximum; the thread still sees stop */
	}
	pthread_join(s->thread, NULL);
	for (int i = 0; i < MAX_CONNS; i++) {
		if (s->conns[i].state != CONN_FREE)
			conn__close(s, &s->conns[i]);
	}
	body__put(s, s->body);
	close(s->lfd);
	close(s->wakefd);
	pthread_mutex_destroy(&s->lock);
	free(s);
}
