// SPDX-License-Identifier: MIT
/*
 * What a report shows of its rows (--map, --lock, --sort) and the previous interval's counters
 * live reports draw rates from.  Backends never see a row left out: the report itself is cut.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "report.h"
#include "u64map.h"
#include "util.h"

/* --sort: a column of one table, and how to read it from a row. */
struct sort_key {
	const char *name;
	bool lock; /* a lock table column, else a map table one */
	__u64 (*get)(const void *row);
};

#define MAP_GETTER(fn, expr)                                                                      \
	static __u64 fn(const void *row)                                                          \
	{                                                                                         \
		const struct map_report *m = row;                                                 \
		return (expr);                                                                    \
	}
#define LOCK_GETTER(fn, expr)                                                                     \
	static __u64 fn(const void *row)                                                          \
	{                                                                                         \
		const struct lock_report *l = row;                                                \
		return (expr);                                                                    \
	}
MAP_GETTER(map_inserts, m->inserts)
MAP_GETTER(map_grows, m->grows)
MAP_GETTER(map_same, m->same_size_grows)
MAP_GETTER(map_rehash, m->grow_ns_total)
MAP_GETTER(map_maxstep, m->grow_ns_max)
MAP_GETTER(map_moved, m->moved)
MAP_GETTER(map_count, m->count > 0 ? (__u64)m->count : 0)
LOCK_GETTER(lock_waits, l->contentions)
LOCK_GETTER(lock_total, l->wait_ns)
LOCK_GETTER(lock_p50, l->p50_ns)
LOCK_GETTER(lock_p99, l->p99_ns)
LOCK_GETTER(lock_max, l->max_ns)
LOCK_GETTER(lock_reads, l->read_contentions)
LOCK_GETTER(lock_writes, l->write_contentions)

/* The text tables' column headings, lower case; each sorts its own table, the largest first. */
static const struct sort_key sort_keys[] = {
	{ "inserts", false, map_inserts }, { "grows", false, map_grows },
	{ "same", false, map_same },	   { "rehash", false, map_rehash },
	{ "maxstep", false, map_maxstep }, { "moved", false, map_moved },
	{ "count", false, map_count },	   { "waits", true, lock_waits },
	{ "total", true, lock_total },	   { "p50", true, lock_p50 },
	{ "p99", true, lock_p99 },	   { "max", true, lock_max },
	{ "reads", true, lock_reads },	   { "writes", true, lock_writes },
};

const char *report__sort_keys(void)
{
	return "inserts, grows, same, rehash, maxstep, moved, count (maps); waits, total, p50, "
	       "p99, max, reads, writes (locks)";
}

static const struct sort_key *sort_key_find(const char *name)
{
	for (size_t i = 0; name && i < ARRAY_SIZE(sort_keys); i++) {
		if (!strcmp(sort_keys[i].name, name))
			return &sort_keys[i];
	}
	return NULL;
}

bool report__sort_valid(const char *name)
{
	return sort_key_find(name) != NULL;
}

/* Does row @a go after row @b: a smaller value (compared, never subtracted)? */
static bool after(const struct sort_key *k, const void *a, const void *b)
{
	return k->get(a) < k->get(b);
}

/*
 * Sort by the column, the largest first, keeping the cost order among ties: an insertion sort,
 * stable, and the rows are a few hundred at most.
 */
static void sort_rows(void *rows, int n, size_t size, const struct sort_key *k)
{
	char *v = rows, tmp[sizeof(struct map_report) > sizeof(struct lock_report) ?
				    sizeof(struct map_report) :
				    sizeof(struct lock_report)];

	for (int i = 1; i < n; i++) {
		int j = i;

		memcpy(tmp, v + (size_t)i * size, size);
		while (j > 0 && after(k, v + (size_t)(j - 1) * size, tmp)) {
			memcpy(v + (size_t)j * size, v + (size_t)(j - 1) * size, size);
			j--;
		}
		memcpy(v + (size_t)j * size, tmp, size);
	}
}

/* Does --map/--lock value @sel name the row at @addr called @name (or created in @func)? */
static bool sel_matches(const char *sel, __u64 addr, const char *name, const char *created_at)
{
	size_t flen;

	if (!strncmp(sel, "0x", 2) || !strncmp(sel, "0X", 2)) {
		char *end;
		__u64 v;

		errno = 0;
		v = strtoull(sel, &end, 16);
		return !errno && !*end && v == addr;
	}
	if (name && name[0] && !strcmp(sel, name))
		return true;
	if (!created_at || !created_at[0])
		return false;
	/* created_at is "func (file:line)": its function */
	flen = strcspn(created_at, " ");
	return flen == strlen(sel) && !strncmp(created_at, sel, flen);
}

static bool map_selected(const struct report_select *sel, const struct map_report *m)
{
	return !sel->map || sel_matches(sel->map, m->addr, m->name, m->created_at);
}

static bool lock_named(const struct report_select *sel, const struct lock_report *l)
{
	return !sel->lock || sel_matches(sel->lock, l->addr, l->name, NULL);
}

/* Is map @addr among @r's rows that --map selects? */
static bool map_addr_selected(const struct report *r, const struct report_select *sel,
			      __u64 addr)
{
	const struct map_report *m;

	if (!sel->map)
		return true;
	m = addr ? report__find_map(r, addr) : NULL;
	return m && map_selected(sel, m);
}

static bool lock_selected(const struct report *r, const struct report_select *sel,
			  const struct lock_report *l)
{
	return lock_named(sel, l) && map_addr_selected(r, sel, l->map);
}

/* Does advice line @s name "0xADDR" (not a longer address that starts alike)? */
static bool names_addr(const char *s, __u64 addr)
{
	char hex[24];
	size_t len = (size_t)snprintf(hex, sizeof(hex), "0x%llx", (unsigned long long)addr);

	for (const char *p = strstr(s, hex); p; p = strstr(p + 1, hex)) {
		char c = p[len];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return true;
	}
	return false;
}

int report__filter(struct report *r, const struct report_select *sel)
{
	bool *keep_map = calloc(r->nmaps ? (size_t)r->nmaps : 1, sizeof(*keep_map));
	int nm = 0, nl = 0, nw = 0, na = 0, ng = 0;

	if (!sel->map && !sel->lock) {
		free(keep_map);
		return 0;
	}
	if (!keep_map)
		return -ENOMEM;
	/* decide on the maps first: the lock rules below still look maps up by address */
	for (int i = 0; i < r->nmaps; i++) {
		const struct map_report *m = &r->maps[i];
		bool guarded = !sel->lock;

		for (int j = 0; j < r->nlocks && !guarded; j++)
			guarded = r->locks[j].map == m->addr && lock_named(sel, &r->locks[j]);
		keep_map[i] = map_selected(sel, m) && guarded;
	}
	/* a row left out releases its histogram: report__free() sees only the rows kept */
	for (int i = 0; i < r->nlocks; i++) {
		if (lock_selected(r, sel, &r->locks[i]))
			r->locks[nl++] = r->locks[i];
		else
			hist__free(&r->locks[i].hist);
	}
	for (int i = 0; i < r->nwaits; i++) {
		if (lock_selected(r, sel, &r->waits[i]))
			r->waits[nw++] = r->waits[i];
		else
			hist__free(&r->waits[i].hist);
	}
	for (int i = 0; i < r->nmaps; i++) {
		if (keep_map[i])
			r->maps[nm++] = r->maps[i];
		else
			hist__free(&r->maps[i].grow_hist);
	}
	free(keep_map);
	r->nmaps = nm;
	r->nlocks = nl;
	r->nwaits = nw;
	for (int i = 0; i < r->nline_shares; i++) {
		const struct line_share *g = &r->line_shares[i];
		bool kept = false;

		for (int j = 0; j < g->nlocks && j < REPORT_LINE_SHARE_MAX && !kept; j++)
			for (int k = 0; k < r->nlocks && !kept; k++)
				kept = r->locks[k].addr == g->locks[j];
		if (kept)
			r->line_shares[ng++] = *g;
	}
	r->nline_shares = ng;
	for (int i = 0; i < r->nadvice; i++) {
		bool kept = false;

		for (int j = 0; j < r->nmaps && !kept; j++)
			kept = names_addr(r->advice[i], r->maps[j].addr);
		for (int j = 0; j < r->nlocks && !kept; j++)
			kept = names_addr(r->advice[i], r->locks[j].addr);
		if (kept)
			r->advice[na++] = r->advice[i];
		else
			free(r->advice[i]);
	}
	r->nadvice = na;
	return 0;
}

void report__sort(struct report *r, const char *name)
{
	const struct sort_key *k = sort_key_find(name);

	if (k && k->lock) {
		sort_rows(r->locks, r->nlocks, sizeof(*r->locks), k);
		sort_rows(r->waits, r->nwaits, sizeof(*r->waits), k);
	} else if (k) {
		sort_rows(r->maps, r->nmaps, sizeof(*r->maps), k);
	}
}

struct report_history {
	struct u64map grows, waits, wait_ns; /* by row address, at the previous report */
	__u64 dur_ns;			     /* the previous report's clock */
};

struct report_history *report_history__new(void)
{
	return calloc(1, sizeof(struct report_history));
}

int report_history__update(struct report_history *h, const struct report *r)
{
	for (int i = 0; i < r->nmaps; i++) {
		if (u64map__put(&h->grows, r->maps[i].addr, r->maps[i].grows))
			return -ENOMEM;
	}
	/* the other waits too: --all-waits shows their rows with the same rates */
	for (int i = 0; i < r->nlocks + r->nwaits; i++) {
		const struct lock_report *l = i < r->nlocks ? &r->locks[i] : &r->waits[i - r->nlocks];

		if (u64map__put(&h->waits, l->addr, l->contentions) ||
		    u64map__put(&h->wait_ns, l->addr, l->wait_ns))
			return -ENOMEM;
	}
	h->dur_ns = report__duration_ns(r);
	return 0;
}

bool report_history__rate(const struct report_history *h, const struct report *r, __u64 addr,
			  enum report_rate what, __u64 now, double *per_s)
{
	const struct u64map *m = what == REPORT_RATE_GROWS ? &h->grows :
				 what == REPORT_RATE_WAITS ? &h->waits :
							     &h->wait_ns;
	__u64 dur = report__duration_ns(r), before = 0;

	*per_s = 0;
	if (dur <= h->dur_ns)
		return false;
	/* a row first seen in this interval rose from 0 */
	u64map__get(m, addr, &before);
	*per_s = now > before ? (double)(now - before) * 1e9 / (double)(dur - h->dur_ns) : 0;
	return true;
}

void report_history__free(struct report_history *h)
{
	if (!h)
		return;
	u64map__free(&h->grows);
	u64map__free(&h->waits);
	u64map__free(&h->wait_ns);
	free(h);
}
