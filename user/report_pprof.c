// SPDX-License-Identifier: MIT
/*
 * The "pprof" backend: a gzip-compressed profile.proto (github.com/google/pprof, proto/
 * profile.proto) for `go tool pprof`, Pyroscope and other pprof readers.
 *
 * Lock stacks read like Go's mutex profile: sample types contentions/count and
 * delay/nanoseconds, one sample per (waiting stack, lock), period contentions/count 1.  Grow
 * stacks (--what grows) are the second kind: grows/count and rehash/nanoseconds (grow plus
 * evacuation time; a stack that only evacuated has 0 grows).  --what all (the default) writes
 * the four sample types in one profile, a lock sample having 0 grows and 0 rehash time and a
 * grow sample 0 contentions and 0 delay, so `-sample_index=rehash` picks the other view.  The
 * default sample type follows --weight (delay, else rehash for grows only).  --what holders
 * writes the locks' holder stacks alone: one sample type wakes/count, the releases of a
 * contended lock that woke a waiter, per (releasing stack, lock).
 *
 * Each sample carries a label "lock" or "map" with the address, for -tagfocus.  Locations
 * are leaf first with one line each, every function named (report__frame_name()), and their
 * mappings say so (has_functions), so pprof never tries to symbolize them again on the
 * machine it runs on.  Mapping addresses are not known after symbolization: they are 0.
 *
 * The values come from report__costs() (see report.h): exact from the event log, so the
 * total delay equals the report's total wait.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pprof_proto.h"
#include "report.h"
#include "util.h"

#define FRAME_BUF 1024

/* profile.proto field numbers. */
enum {
	PROFILE_SAMPLE_TYPE = 1,
	PROFILE_SAMPLE = 2,
	PROFILE_MAPPING = 3,
	PROFILE_LOCATION = 4,
	PROFILE_FUNCTION = 5,
	PROFILE_STRING_TABLE = 6,
	PROFILE_TIME_NANOS = 9,
	PROFILE_DURATION_NANOS = 10,
	PROFILE_PERIOD_TYPE = 11,
	PROFILE_PERIOD = 12,
	PROFILE_COMMENT = 13,
	PROFILE_DEFAULT_SAMPLE_TYPE = 14,
	VALUE_TYPE_TYPE = 1,
	VALUE_TYPE_UNIT = 2,
	SAMPLE_LOCATION_ID = 1,
	SAMPLE_VALUE = 2,
	SAMPLE_LABEL = 3,
	LABEL_KEY = 1,
	LABEL_STR = 2,
	MAPPING_ID = 1,
	MAPPING_MEMORY_START = 2,
	MAPPING_MEMORY_LIMIT = 3,
	MAPPING_FILE_OFFSET = 4,
	MAPPING_FILENAME = 5,
	MAPPING_BUILD_ID = 6,
	MAPPING_HAS_FUNCTIONS = 7,
	MAPPING_HAS_FILENAMES = 8,
	MAPPING_HAS_LINE_NUMBERS = 9,
	LOCATION_ID = 1,
	LOCATION_MAPPING_ID = 2,
	LOCATION_ADDRESS = 3,
	LOCATION_LINE = 4,
	LINE_FUNCTION_ID = 1,
	LINE_LINE = 2,
	FUNCTION_ID = 1,
	FUNCTION_NAME = 2,
	FUNCTION_SYSTEM_NAME = 3,
	FUNCTION_FILENAME = 4,
};

/* Sample value slots: locks first, like Go's mutex profile, then grows. */
enum { V_CONTENTIONS, V_DELAY, V_GROWS, V_REHASH, V_MAX };

/*
 * A table of unique tuples of four u64s, numbered from 1 in insertion order: pprof's string
 * table (index from 0, one string per entry), functions, locations and mappings.
 */
struct tuple {
	__u64 k[4];
	char *str; /* the string table's strings; NULL elsewhere */
	__u64 aux; /* not part of the identity: a mapping's MAP_HAS_* flags */
};

struct table {
	struct tuple *v;
	size_t n, cap;
	size_t *slots; /* index + 1; 0 = empty */
	size_t nslots;
};

static __u64 mix64(__u64 x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	return x ^ (x >> 33);
}

static __u64 hash_tuple(const __u64 k[4], const char *s)
{
	__u64 h = 0x9e3779b97f4a7c15ULL;

	for (int i = 0; i < 4; i++)
		h = mix64(h ^ k[i]);
	for (; s && *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static bool same_tuple(const struct tuple *t, const __u64 k[4], const char *s)
{
	if (memcmp(t->k, k, sizeof(t->k)))
		return false;
	return s ? t->str && !strcmp(t->str, s) : !t->str;
}

static int table_rehash(struct table *t)
{
	size_t nslots = t->nslots ? t->nslots * 2 : 256;
	size_t *slots = calloc(nslots, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < t->n; i++) {
		size_t j = hash_tuple(t->v[i].k, t->v[i].str) & (nslots - 1);

		while (slots[j])
			j = (j + 1) & (nslots - 1);
		slots[j] = i + 1;
	}
	free(t->slots);
	t->slots = slots;
	t->nslots = nslots;
	return 0;
}

/* The index of (@k, @s) in @t, added when new; a string is copied.  -ENOMEM on failure. */
static long table_get(struct table *t, const __u64 k[4], const char *s)
{
	size_t j;

	if ((t->n + 1) * 2 > t->nslots && table_rehash(t))
		return -ENOMEM;
	for (j = hash_tuple(k, s) & (t->nslots - 1); t->slots[j]; j = (j + 1) & (t->nslots - 1))
		if (same_tuple(&t->v[t->slots[j] - 1], k, s))
			return (long)(t->slots[j] - 1);
	if (GROW(t->v, t->n, t->cap, 64))
		return -ENOMEM;
	memcpy(t->v[t->n].k, k, sizeof(t->v[t->n].k));
	t->v[t->n].str = NULL;
	t->v[t->n].aux = 0;
	if (s && !(t->v[t->n].str = strdup(s)))
		return -ENOMEM;
	t->slots[j] = t->n + 1;
	return (long)t->n++;
}

static void table_free(struct table *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->v[i].str);
	free(t->v);
	free(t->slots);
}

struct pprof {
	const struct report *r;
	bool waits;		/* --all-waits: the other futex waits in the lock samples */
	struct table strings;	/* index = string table index; "" is 0 */
	struct table functions; /* (name, filename): id = index + 1 */
	struct table locations; /* (address, mapping id, function id, line) */
	struct table mappings;	/* (filename, build id); MAP_HAS_* flags in aux */
	struct pb_buf out;	/* the Profile message */
	struct pb_buf msg, sub; /* scratch for nested messages */
	__u64 *ids;		/* a sample's location ids */
	size_t cap_ids;
	int err;
};

/* What a mapping's frames had, in its tuple's aux. */
#define MAP_HAS_FILENAMES 1
#define MAP_HAS_LINES	  2

static __u64 str_idx(struct pprof *p, const char *s)
{
	const __u64 k[4] = {};
	long i = table_get(&p->strings, k, s ? s : "");

	if (i < 0) {
		p->err = (int)i;
		return 0;
	}
	return (__u64)i;
}

static __u64 mapping_id(struct pprof *p, const struct mt_frame *f)
{
	__u64 k[4] = {};
	long i;

	if (!f->module || !f->module[0])
		return 0;
	k[0] = str_idx(p, f->module);
	k[1] = str_idx(p, f->build_id);
	i = table_get(&p->mappings, k, NULL);
	if (i < 0) {
		p->err = (int)i;
		return 0;
	}
	if (f->file && f->file[0])
		p->mappings.v[i].aux |= MAP_HAS_FILENAMES;
	if (f->line)
		p->mappings.v[i].aux |= MAP_HAS_LINES;
	return (__u64)i + 1;
}

static __u64 function_id(struct pprof *p, const char *name, const char *file)
{
	__u64 k[4] = { str_idx(p, name), str_idx(p, file) };
	long i = table_get(&p->functions, k, NULL);

	if (i < 0) {
		p->err = (int)i;
		return 0;
	}
	return (__u64)i + 1;
}

static __u64 location_id(struct pprof *p, __u64 addr, __u64 mapping, __u64 function, __u64 line)
{
	__u64 k[4] = { addr, mapping, function, line };
	long i = table_get(&p->locations, k, NULL);

	if (i < 0) {
		p->err = (int)i;
		return 0;
	}
	return (__u64)i + 1;
}

/* The location ids of stack @idx, leaf first, in p->ids; returns how many. */
static size_t stack_locations(struct pprof *p, int idx)
{
	const struct mt_stack *st = report__stack(p->r, idx);
	size_t n = st && st->nframes > 0 ? (size_t)st->nframes : 1;
	char name[FRAME_BUF];

	if (n > p->cap_ids) {
		void *v = realloc(p->ids, n * sizeof(*p->ids));

		if (!v) {
			p->err = -ENOMEM;
			return 0;
		}
		p->ids = v;
		p->cap_ids = n;
	}
	/* a sample needs a location to show in pprof's tables: a named placeholder */
	if (!st || st->nframes <= 0) {
		const char *what = report__stack_placeholder(idx);

		p->ids[0] = location_id(p, 0, 0, function_id(p, what, ""), 0);
		return 1;
	}
	for (size_t i = 0; i < n; i++) {
		const struct mt_frame *f = &st->frames[i];
		__u64 fn = function_id(p, report__frame_name(name, sizeof(name), f), f->file);

		p->ids[i] = location_id(p, f->ip, mapping_id(p, f), fn, f->line);
	}
	return n;
}

/*
 * pprof takes the first mapping for the program ("File:" in its reports): make it the module
 * named like the process (comm is the executable's name, cut to 15 characters), when a stack
 * has one.
 */
static void main_mapping_first(struct pprof *p)
{
	const struct report *r = p->r;
	size_t n = strlen(r->info.comm);

	if (!n)
		return;
	for (int i = 0; i < r->nstacks; i++) {
		for (int j = 0; j < r->stacks[i].nframes; j++) {
			const struct mt_frame *f = &r->stacks[i].frames[j];

			if (f->module &&
			    !strncmp(report__module_base(f->module), r->info.comm, n)) {
				mapping_id(p, f);
				return;
			}
		}
	}
}

static void value_type(struct pprof *p, unsigned int field, const char *type, const char *unit)
{
	pb_buf__reset(&p->msg);
	pb_buf__s64(&p->msg, VALUE_TYPE_TYPE, (__s64)str_idx(p, type));
	pb_buf__s64(&p->msg, VALUE_TYPE_UNIT, (__s64)str_idx(p, unit));
	pb_buf__message(&p->out, field, &p->msg);
}

/* One sample per cost of one kind; @first: the value slot of its count (its ns follows). */
static void add_samples(struct pprof *p, enum report_what what, int first, int nvalues)
{
	const char *label = what == REPORT_WHAT_GROWS ? "map" : "lock";
	struct report_cost *c;
	size_t n;
	int err;

	err = report__costs(p->r, what, p->waits, &c, &n, NULL);
	if (err) {
		p->err = err;
		return;
	}
	for (size_t i = 0; i < n && !p->err; i++) {
		__u64 values[V_MAX] = {};
		char addr[32];
		size_t nids;

		if (!c[i].count && !c[i].ns)
			continue;
		values[first] = c[i].count;
		values[first + 1] = c[i].ns;
		nids = stack_locations(p, c[i].stack);
		snprintf(addr, sizeof(addr), "0x%llx", (unsigned long long)c[i].object);

		pb_buf__reset(&p->msg);
		pb_buf__packed_u64(&p->msg, SAMPLE_LOCATION_ID, p->ids, nids);
		pb_buf__packed_u64(&p->msg, SAMPLE_VALUE, values, (size_t)nvalues);
		pb_buf__reset(&p->sub);
		pb_buf__s64(&p->sub, LABEL_KEY, (__s64)str_idx(p, label));
		pb_buf__s64(&p->sub, LABEL_STR, (__s64)str_idx(p, addr));
		pb_buf__message(&p->msg, SAMPLE_LABEL, &p->sub);
		pb_buf__message(&p->out, PROFILE_SAMPLE, &p->msg);
	}
	free(c);
}

static void add_tables(struct pprof *p)
{
	for (size_t i = 0; i < p->mappings.n; i++) {
		const __u64 *k = p->mappings.v[i].k, flags = p->mappings.v[i].aux;

		pb_buf__reset(&p->msg);
		pb_buf__u64(&p->msg, MAPPING_ID, i + 1);
		pb_buf__u64(&p->msg, MAPPING_MEMORY_START, 0);
		pb_buf__u64(&p->msg, MAPPING_MEMORY_LIMIT, 0);
		pb_buf__u64(&p->msg, MAPPING_FILE_OFFSET, 0);
		pb_buf__s64(&p->msg, MAPPING_FILENAME, (__s64)k[0]);
		pb_buf__s64(&p->msg, MAPPING_BUILD_ID, (__s64)k[1]);
		pb_buf__u64(&p->msg, MAPPING_HAS_FUNCTIONS, 1);
		pb_buf__u64(&p->msg, MAPPING_HAS_FILENAMES, !!(flags & MAP_HAS_FILENAMES));
		pb_buf__u64(&p->msg, MAPPING_HAS_LINE_NUMBERS, !!(flags & MAP_HAS_LINES));
		pb_buf__message(&p->out, PROFILE_MAPPING, &p->msg);
	}
	for (size_t i = 0; i < p->locations.n; i++) {
		const __u64 *k = p->locations.v[i].k;

		pb_buf__reset(&p->msg);
		pb_buf__u64(&p->msg, LOCATION_ID, i + 1);
		if (k[1])
			pb_buf__u64(&p->msg, LOCATION_MAPPING_ID, k[1]);
		if (k[0])
			pb_buf__u64(&p->msg, LOCATION_ADDRESS, k[0]);
		pb_buf__reset(&p->sub);
		pb_buf__u64(&p->sub, LINE_FUNCTION_ID, k[2]);
		if (k[3])
			pb_buf__s64(&p->sub, LINE_LINE, (__s64)k[3]);
		pb_buf__message(&p->msg, LOCATION_LINE, &p->sub);
		pb_buf__message(&p->out, PROFILE_LOCATION, &p->msg);
	}
	for (size_t i = 0; i < p->functions.n; i++) {
		const __u64 *k = p->functions.v[i].k;

		pb_buf__reset(&p->msg);
		pb_buf__u64(&p->msg, FUNCTION_ID, i + 1);
		pb_buf__s64(&p->msg, FUNCTION_NAME, (__s64)k[0]);
		pb_buf__s64(&p->msg, FUNCTION_SYSTEM_NAME, (__s64)k[0]);
		if (k[1])
			pb_buf__s64(&p->msg, FUNCTION_FILENAME, (__s64)k[1]);
		pb_buf__message(&p->out, PROFILE_FUNCTION, &p->msg);
	}
}

static void add_comments(struct pprof *p)
{
	const struct run_info *info = &p->r->info;
	char buf[1024];

	snprintf(buf, sizeof(buf), "maptrace%s%s: PID %d (%s)", info->version[0] ? " " : "",
		 info->version, info->pid, info->comm);
	pb_buf__s64(&p->out, PROFILE_COMMENT, (__s64)str_idx(p, buf));
	if (info->cmdline[0]) {
		snprintf(buf, sizeof(buf), "cmdline: %s", info->cmdline);
		pb_buf__s64(&p->out, PROFILE_COMMENT, (__s64)str_idx(p, buf));
	}
	if (info->hostname[0] || info->kernel[0]) {
		snprintf(buf, sizeof(buf), "host: %s, kernel %s", info->hostname, info->kernel);
		pb_buf__s64(&p->out, PROFILE_COMMENT, (__s64)str_idx(p, buf));
	}
	if (report__dropped_total(p->r)) {
		snprintf(buf, sizeof(buf), "dropped: %llu records or stacks (counts are low)",
			 (unsigned long long)report__dropped_total(p->r));
		pb_buf__s64(&p->out, PROFILE_COMMENT, (__s64)str_idx(p, buf));
	}
}

static int pprof_emit(FILE *out, const struct report *r, const struct report_opts *o)
{
	enum report_weight weight = o ? o->weight : REPORT_WEIGHT_DEFAULT;
	struct pprof p = { .r = r, .waits = o && o->all_waits };
	const char *dflt;
	bool locks, grows;
	int err, nvalues;

	bool holders = o && o->what == REPORT_WHAT_HOLDERS;

	locks = grows = false;
	err = holders ? 0 : report__kinds(o, &locks, &grows);
	if (err)
		return err;
	str_idx(&p, ""); /* index 0, as profile.proto requires */
	main_mapping_first(&p);
	/* --what holders: one sample type, the waking releases of each holder stack */
	if (holders) {
		value_type(&p, PROFILE_SAMPLE_TYPE, "wakes", "count");
		add_samples(&p, REPORT_WHAT_HOLDERS, 0, 1);
	}

	/* sample types: the lock pair, the grow pair, or both in that order */
	if (locks) {
		value_type(&p, PROFILE_SAMPLE_TYPE, "contentions", "count");
		value_type(&p, PROFILE_SAMPLE_TYPE, "delay", "nanoseconds");
	}
	if (grows) {
		value_type(&p, PROFILE_SAMPLE_TYPE, "grows", "count");
		value_type(&p, PROFILE_SAMPLE_TYPE, "rehash", "nanoseconds");
	}
	nvalues = locks && grows ? 4 : 2;
	if (locks)
		add_samples(&p, REPORT_WHAT_LOCKS, 0, nvalues);
	if (grows)
		add_samples(&p, REPORT_WHAT_GROWS, locks ? 2 : 0, nvalues);
	add_tables(&p);

	if (holders)
		value_type(&p, PROFILE_PERIOD_TYPE, "wakes", "count");
	else if (locks)
		value_type(&p, PROFILE_PERIOD_TYPE, "contentions", "count");
	else
		value_type(&p, PROFILE_PERIOD_TYPE, "grows", "count");
	pb_buf__s64(&p.out, PROFILE_PERIOD, 1);
	if (r->info.start_wall_ns)
		pb_buf__s64(&p.out, PROFILE_TIME_NANOS, (__s64)r->info.start_wall_ns);
	pb_buf__s64(&p.out, PROFILE_DURATION_NANOS, (__s64)report__duration_ns(r));
	add_comments(&p);
	if (holders)
		dflt = "wakes";
	else if (weight == REPORT_WEIGHT_COUNT)
		dflt = locks ? "contentions" : "grows";
	else
		dflt = locks ? "delay" : "rehash";
	pb_buf__s64(&p.out, PROFILE_DEFAULT_SAMPLE_TYPE, (__s64)str_idx(&p, dflt));

	/* last: every string is interned by now */
	for (size_t i = 0; i < p.strings.n; i++)
		pb_buf__string(&p.out, PROFILE_STRING_TABLE, p.strings.v[i].str);

	err = p.err ?: pb_buf__err(&p.out) ?: pb_buf__err(&p.msg) ?: pb_buf__err(&p.sub);
	if (!err)
		err = pb_gzip_write(out, p.out.data, p.out.len);
	table_free(&p.strings);
	table_free(&p.functions);
	table_free(&p.locations);
	table_free(&p.mappings);
	pb_buf__free(&p.out);
	pb_buf__free(&p.msg);
	pb_buf__free(&p.sub);
	free(p.ids);
	return err;
}

const struct report_backend report_pprof_backend = {
	.name = "pprof",
	.desc = "gzipped profile.proto for go tool pprof, Pyroscope (lock delay, rehash time)",
	.traits = REPORT_EVENTS | REPORT_ALL_ROWS | REPORT_BINARY,
	.emit = pprof_emit,
};
