// SPDX-License-Identifier: MIT
/*
 * The Prometheus text exposition format, version 0.0.4, of struct prom_state: HELP and TYPE
 * lines, label sets escaped and made valid UTF-8, histograms as cumulative buckets in seconds.
 * prom.h says what the families and series are; docs/prometheus.md how to query them.
 */
#define _GNU_SOURCE /* open_memstream */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "prom_internal.h"

/* What MT_DROP_* counts, as the reason label. */
static const char *const drop_reasons[MT_DROP_MAX] = {
	[MT_DROP_RINGBUF] = "ringbuf",
	[MT_DROP_STACK] = "stack",
	[MT_DROP_STATE] = "state",
	[MT_DROP_MAPS] = "maps",
	[MT_DROP_ALLOC] = "map_alloc",
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
			fmt_seconds(v, sizeof(v), prom_layout__bound_ns(l, j)),
			(unsigned long long)cum);
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

/*
 * Close memstream @f and return its string, which fclose() stores in *@s (not before), or NULL
 * (the string freed) when writing failed.
 */
static char *memstream_done(FILE *f, char **s)
{
	bool failed = ferror(f);

	if (fclose(f) || failed) {
		free(*s);
		return NULL;
	}
	return *s;
}

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
	return memstream_done(f, &s);
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
	return memstream_done(f, &s);
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
				 &prom_rehash_layout);
		if (t->other_used)
			put_hist(f, "maptrace_rehash_seconds", pl[i].maps[t->nrows], &t->other.h,
				 &prom_rehash_layout);
	}

	put_family(f, "maptrace_lock_wait_seconds", "histogram",
		   "Time each contended acquisition of the lock waited.");
	for (int i = 0; i < st->nprocs; i++) {
		const struct prom_table *t = &st->procs[i]->locks;

		for (int r = 0; r < t->nrows; r++)
			put_hist(f, "maptrace_lock_wait_seconds", pl[i].locks[r],
				 &row_vals(t, r)->h, &prom_lock_layout);
		if (t->other_used)
			put_hist(f, "maptrace_lock_wait_seconds", pl[i].locks[t->nrows],
				 &t->other.h, &prom_lock_layout);
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
