// SPDX-License-Identifier: MIT
/*
 * Unit test of the report backends (user/report_text.c, user/report_json.c), the JSON writer
 * and the advice rules, on reports built by hand: no BPF, no root.
 *
 * JSON documents are parsed by python3 (the checks on their values run there too); without
 * python3 those checks are skipped.  Prints one "ok - ..." or "not ok - ..." line per check
 * and exits non-zero on any failure.
 */
/* timeout: 60 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "advice.h"
#include "json_writer.h"
#include "model.h"
#include "report.h"
#include "../tap.h"


#define US 1000ULL
#define MS 1000000ULL
#define SEC 1000000000ULL

#define M_GROWN 0x55d0a0001000ULL
#define M_SYNC 0x55d0a0002000ULL
#define M_SPARSE 0x55d0a0003000ULL
#define M_LOCKED 0x55d0a0004000ULL
#define L_RW 0x55d0a0000200ULL
#define L_MUTEX 0x55d0a0000100ULL
#define L_FUTEX 0x7ffd00001000ULL

/* Stacks, leaf first.  The model interns frame strings; here they are literals. */
static struct mt_frame create_frames[] = {
	{ 0x401040, 0x40, "cmap_new", "/opt/app/mapload", "", "cmap.c", 120, 1 },
	{ 0x40201c, 0x1c, "load_orders", "/opt/app/mapload", "", "orders.c", 88, 1 },
	{ 0x403055, 0x55, "main", "/opt/app/mapload", "", "mapload.c", 300, 1 },
};
static struct mt_frame wait_frames[] = {
	{ 0x7f0000010000, 0x20, "__futex_abstimed_wait_common", "/lib/x86_64-linux-gnu/libc.so.6",
	  "", "", 0, 1 },
	{ 0x7f0000011000, 0x30, "__lll_lock_wait", "/lib/x86_64-linux-gnu/libc.so.6", "",
	  "lowlevellock.c", 49, 1 },
	{ 0x7f0000012000, 0x80, "___pthread_mutex_lock", "/lib/x86_64-linux-gnu/libc.so.6", "", "",
	  0, 1 },
	{ 0x404012, 0x12, "take_lock", "/opt/app/mapload", "", "locks.c", 40, 1 },
	{ 0x405099, 0x99, "worker", "/opt/app/mapload", "", "mapload.c", 210, 1 },
	{ 0x7f0000013000, 0x2f2, "start_thread", "/lib/x86_64-linux-gnu/libc.so.6", "", "", 0, 1 },
};
static struct mt_frame grow_frames[] = {
	{ 0x406010, 0x10, "hash_grow", "/opt/app/mapload", "", "cmap.c", 410, 1 },
	{ 0x407020, 0x20, "cmap_put", "/opt/app/mapload", "", "cmap.c", 300, 1 },
	{ 0x40202a, 0x2a, "load_orders", "/opt/app/mapload", "", "orders.c", 91, 1 },
};
static struct mt_frame rw_frames[] = {
	{ 0x7f0000014000, 0x50, "__pthread_rwlock_rdlock_full64", "/lib/x86_64-linux-gnu/libc.so.6",
	  "", "", 0, 1 },
	{ 0x7f0000020100, 0x100, "ccmap_get", "/opt/app/libcmap.so.1", "", "ccmap.c", 77, 1 },
	{ 0x408030, 0x30, "reader", "/opt/app/mapload", "", "mapload.c", 250, 1 },
};
static struct mt_frame futex_frames[] = {
	{ 0x7f0000031234, 0, "", "", "", "", 0, 0 },
	{ 0x409040, 0x40, "poll_loop", "/opt/app/mapload", "", "", 0, 0 },
};

static struct report *report_new(void)
{
	struct report *r = calloc(1, sizeof(*r));

	if (!r) {
		perror("calloc");
		exit(2);
	}
	r->info.pid = 4242;
	strcpy(r->info.comm, "mapload");
	r->info.start_mono_ns = 1 * SEC;
	r->info.end_mono_ns = 1 * SEC + 2500 * MS;
	r->info.library_found = true;
	r->final = true;
	r->events = 5321;
	return r;
}

/* The test's reports own their stack table, which report__free() leaves to the model. */
static void report_free(struct report *r)
{
	if (r)
		free(r->stacks);
	report__free(r);
}

static struct map_report *add_map(struct report *r, __u64 addr, int variant)
{
	struct map_report *m;

	r->maps = realloc(r->maps, (size_t)(r->nmaps + 1) * sizeof(*r->maps));
	if (!r->maps) {
		perror("realloc");
		exit(2);
	}
	m = &r->maps[r->nmaps++];
	memset(m, 0, sizeof(*m));
	m->addr = addr;
	m->library = "cmap";
	m->variant = variant;
	m->created_stack = -1;
	m->created_at = "";
	return m;
}

static struct lock_report *add_lock(struct report *r, __u64 addr, int kind, __u64 map)
{
	struct lock_report *l;

	r->locks = realloc(r->locks, (size_t)(r->nlocks + 1) * sizeof(*r->locks));
	if (!r->locks) {
		perror("realloc");
		exit(2);
	}
	l = &r->locks[r->nlocks++];
	memset(l, 0, sizeof(*l));
	l->addr = addr;
	l->kind = kind;
	l->map = map;
	return l;
}

static void set_stacks(struct report *r)
{
	r->nstacks = 5;
	r->stacks = calloc((size_t)r->nstacks, sizeof(*r->stacks));
	if (!r->stacks) {
		perror("calloc");
		exit(2);
	}
	r->stacks[0] = (struct mt_stack){ 3, create_frames };
	r->stacks[1] = (struct mt_stack){ 6, wait_frames };
	r->stacks[2] = (struct mt_stack){ 3, grow_frames };
	r->stacks[3] = (struct mt_stack){ 3, rw_frames };
	r->stacks[4] = (struct mt_stack){ 2, futex_frames };
}

/*
 * The full fixture: a grown map, a sync map that misses, a map emptied by deletes, a map its
 * mutex guards; an rwlock, a mutex and a futex of unknown kind.  Rows sorted by cost, as
 * model__snapshot() delivers them.
 */
static struct report *fixture(void)
{
	struct report *r = report_new();
	struct map_report *m;
	struct lock_report *l;

	set_stacks(r);

	m = add_map(r, M_GROWN, 0);
	m->create_seen = true;
	m->created_stack = 0;
	m->created_at = "load_orders (orders.c:88)";
	m->inserts = 100000;
	m->grows = 14;
	m->evacuated = 16383;
	m->moved = 163830;
	m->grow_ns_total = 41200 * 1000;
	m->grow_ns_max = 3100 * 1000;
	m->alloc_ns_total = 1000 * 1000;
	m->evac_ns_total = 40200 * 1000;
	m->grows_done = 14;
	for (int i = 0; i <= 14; i++)
		m->sizes[i] = (__u32)i;
	m->nsizes = 15;
	m->B = 14;
	m->count = 100000;
	m->buckets = 16384;
	m->capacity = 106496;
	m->peak_count = 100000;
	for (int i = 0; i < 12; i++)
		hist__add(&m->grow_hist, 8192 + (__u64)i * 100);
	for (int i = 0; i < 2; i++)
		hist__add(&m->grow_hist, 3100 * 1000);
	m->top_stacks[0] = (struct mt_stack_cost){ 2, 14, 41200 * 1000 };
	m->ntop = 1;

	m = add_map(r, M_SYNC, 4);
	m->count = -1;
	m->B = 3;
	m->sizes[0] = 3;
	m->nsizes = 1;
	m->buckets = 8;
	m->capacity = 52;
	m->inserts = 5000;
	m->sync_hits = 1000;
	m->sync_misses = 2400;
	m->promotions = 7;

	m = add_map(r, M_SPARSE, 0);
	m->create_seen = true;
	m->hint = 0;
	m->inserts = 100000;
	m->deletes = 99990;
	m->count = 10;
	m->peak_count = 100000;
	m->B = 14;
	m->sizes[0] = 14;
	m->nsizes = 1;
	m->buckets = 16384;
	m->capacity = 106496;

	m = add_map(r, M_LOCKED, 1);
	m->create_seen = true;
	m->created_at = "setup (app.c:12)";
	m->inserts = 64;
	m->count = 64;
	m->peak_count = 64;
	m->B = 4;
	m->sizes[0] = 4;
	m->nsizes = 1;
	m->buckets = 16;
	m->capacity = 104;

	l = add_lock(r, L_RW, MT_LOCK_RWLOCK, 0x55d0a0005000ULL);
	l->from_library = true;
	l->contentions = 15;
	l->read_contentions = 12;
	l->read_wait_ns = 1200 * MS;
	l->write_contentions = 3;
	l->write_wait_ns = 300 * MS;
	l->wait_ns = 1500 * MS;
	for (int i = 0; i < 15; i++)
		hist__add(&l->hist, 100 * MS);
	l->p50_ns = hist__percentile(&l->hist, 50);
	l->p99_ns = hist__percentile(&l->hist, 99);
	l->max_ns = l->hist.max;
	l->top_stacks[0] = (struct mt_stack_cost){ 3, 12, 1200 * MS };
	l->ntop = 1;

	l = add_lock(r, L_MUTEX, MT_LOCK_MUTEX, M_LOCKED);
	l->from_library = true;
	l->contentions = 10;
	l->write_contentions = 10;
	l->write_wait_ns = 200 * MS;
	l->wait_ns = 200 * MS;
	for (int i = 0; i < 10; i++)
		hist__add(&l->hist, 20 * MS);
	l->p50_ns = hist__percentile(&l->hist, 50);
	l->p99_ns = hist__percentile(&l->hist, 99);
	l->max_ns = l->hist.max;
	l->top_stacks[0] = (struct mt_stack_cost){ 1, 10, 200 * MS };
	l->ntop = 1;

	l = add_lock(r, L_FUTEX, MT_LOCK_FUTEX, 0);
	l->contentions = 4;
	l->wait_ns = 5 * MS;
	for (int i = 0; i < 4; i++)
		hist__add(&l->hist, 1250 * 1000);
	l->p50_ns = hist__percentile(&l->hist, 50);
	l->p99_ns = hist__percentile(&l->hist, 99);
	l->max_ns = l->hist.max;
	l->top_stacks[0] = (struct mt_stack_cost){ 4, 4, 5 * MS };
	l->ntop = 1;
	return r;
}

/* Run a backend into a string (the caller frees it); NULL when it failed. */
static char *emit(const char *backend, const struct report *r, const struct report_opts *o,
		  int *errp)
{
	const struct report_backend *b = report_backend__find(backend);
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int err;

	if (!b) {
		*errp = -ENOENT;
		return NULL;
	}
	f = open_memstream(&buf, &len);
	if (!f) {
		*errp = -errno;
		return NULL;
	}
	err = b->emit(f, r, o);
	fclose(f);
	*errp = err;
	if (err) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* The line of @text that contains @needle, copied to @line; false when none does. */
static bool find_line(const char *text, const char *needle, char *line, size_t size)
{
	const char *p = text ? strstr(text, needle) : NULL;
	const char *start, *end;

	if (!p)
		return false;
	for (start = p; start > text && start[-1] != '\n'; start--)
		;
	end = strchr(p, '\n');
	if (!end)
		end = p + strlen(p);
	snprintf(line, size, "%.*s", (int)(end - start), start);
	return true;
}

static bool line_has(const char *text, const char *key, const char *const *parts, int n)
{
	char line[2048];

	if (!find_line(text, key, line, sizeof(line)))
		return false;
	for (int i = 0; i < n; i++) {
		if (!strstr(line, parts[i])) {
			printf("# line '%s' lacks '%s'\n", line, parts[i]);
			return false;
		}
	}
	return true;
}

#define LINE_HAS(text, key, ...)                                  \
	line_has(text, key, (const char *const[]){ __VA_ARGS__ }, \
		 sizeof((const char *const[]){ __VA_ARGS__ }) / sizeof(const char *))

static int advice_matching(const struct report *r, const char *needle)
{
	int n = 0;

	for (int i = 0; i < r->nadvice; i++)
		n += strstr(r->advice[i], needle) != NULL;
	return n;
}

/* Checks on a JSON document, as Python expressions over the parsed document `d`. */
struct json_check {
	const char *name;
	const char *expr;
};

static bool have_python(void)
{
	return system("python3 -c 'import json' >/dev/null 2>&1") == 0;
}

/*
 * Parse @doc with python3 and evaluate each check in it; python prints the ok/not ok lines,
 * which are counted here.
 */
static void json_checks(const char *what, const char *doc, const struct json_check *c, int n)
{
	char jpath[] = "/tmp/test_report_json.XXXXXX", ppath[] = "/tmp/test_report_py.XXXXXX";
	char cmd[256];
	FILE *f;
	int fd;

	if (!have_python()) {
		printf("ok - %s # SKIP python3 not found\n", what);
		return;
	}
	fd = mkstemp(jpath);
	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		check(false, "%s: temporary file: %s", what, strerror(errno));
		return;
	}
	fputs(doc, f);
	fclose(f);
	fd = mkstemp(ppath);
	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		check(false, "%s: temporary file: %s", what, strerror(errno));
		unlink(jpath);
		return;
	}
	fprintf(f,
		"import json, sys\n"
		"try:\n"
		"    d = json.load(open(sys.argv[1], encoding='utf-8'))\n"
		"except Exception as e:\n"
		"    print('not ok - %s: JSON parses (%%s)' %% e)\n"
		"    sys.exit(0)\n"
		"print('ok - %s: JSON parses')\n"
		"def chk(name, f):\n"
		"    try:\n"
		"        ok = bool(f())\n"
		"    except Exception as e:\n"
		"        ok = False\n"
		"        name += ' (%%r)' %% e\n"
		"    print('%%s - %s: %%s' %% ('ok' if ok else 'not ok', name))\n",
		what, what, what);
	for (int i = 0; i < n; i++)
		fprintf(f, "chk(%s%s%s, lambda: %s)\n", "\"\"\"", c[i].name, "\"\"\"", c[i].expr);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "python3 %s %s", ppath, jpath);
	tap_run_checks(cmd, n + 1, what);
	unlink(jpath);
	unlink(ppath);
}

static void test_json_full(void)
{
	static const struct json_check checks[] = {
		{ "pid", "d['pid'] == 4242" },
		{ "comm", "d['comm'] == 'mapload'" },
		{ "duration_s", "d['duration_s'] == 2.5" },
		{ "library_found", "d['library_found'] is True" },
		{ "four maps, three locks", "len(d['maps']) == 4 and len(d['locks']) == 3" },
		{ "map addr is a hex string", "d['maps'][0]['addr'] == '0x55d0a0001000'" },
		{ "map library and variant",
		  "d['maps'][0]['library'] == 'cmap' and d['maps'][0]['variant'] == 'plain'" },
		{ "map counters",
		  "[d['maps'][0][k] for k in ('inserts', 'deletes', 'grows', 'same_size_grows', "
		  "'evacuated', 'moved')] == [100000, 0, 14, 0, 16383, 163830]" },
		{ "sizes path", "d['maps'][0]['sizes'] == list(range(15))" },
		{ "grow times",
		  "[d['maps'][0][k] for k in ('grow_ns_total', 'grow_ns_max', 'alloc_ns_total', "
		  "'evac_ns_total')] == [41200000, 3100000, 1000000, 40200000]" },
		{ "count, buckets, capacity, hint",
		  "[d['maps'][0][k] for k in ('count', 'buckets', 'capacity', 'hint')] == "
		  "[100000, 16384, 106496, 0]" },
		{ "created_at", "d['maps'][0]['created_at'] == 'load_orders (orders.c:88)'" },
		{ "created_stack frames in full",
		  "d['maps'][0]['created_stack'] == ['cmap_new+0x40 (cmap.c:120) [mapload]', "
		  "'load_orders+0x1c (orders.c:88) [mapload]', "
		  "'main+0x55 (mapload.c:300) [mapload]']" },
		{ "integers are integers", "all(type(d['maps'][0][k]) is int "
					   "for k in ('inserts', 'grow_ns_total', 'count'))" },
		{ "sync figures present (0) on a plain map",
		  "[d['maps'][0][k] for k in ('hits', 'misses', 'promotions')] == [0, 0, 0]" },
		{ "map top_stacks",
		  "d['maps'][0]['top_stacks'] == [{'count': 14, 'grow_ns': 41200000, 'frames': "
		  "['hash_grow+0x10 (cmap.c:410) [mapload]', "
		  "'cmap_put+0x20 (cmap.c:300) [mapload]', "
		  "'load_orders+0x2a (orders.c:91) [mapload]']}]" },
		{ "sync map figures",
		  "[d['maps'][1][k] for k in ('variant', 'hits', 'misses', 'promotions')] == "
		  "['sync', 1000, 2400, 7]" },
		{ "unknown count, hint, creation are null",
		  "[d['maps'][1][k] for k in ('count', 'hint', 'created_at', 'created_stack')] == "
		  "[None] * 4" },
		{ "seen creation without a frame: created_at null",
		  "d['maps'][2]['created_at'] is None and d['maps'][2]['hint'] == 0" },
		{ "lock order and kinds",
		  "[l['kind'] for l in d['locks']] == ['rwlock', 'mutex', 'futex']" },
		{ "lock fields",
		  "[d['locks'][1][k] for k in ('addr', 'map', 'contentions', 'wait_ns_total')] == "
		  "['0x55d0a0000100', '0x55d0a0004000', 10, 200000000]" },
		{ "lock percentiles of ten 20 ms waits",
		  "[d['locks'][1][k] for k in ('p50_ns', 'p99_ns', 'max_ns')] == [20000000] * 3" },
		{ "rwlock read/write split",
		  "d['locks'][0]['reads'] == {'contentions': 12, 'wait_ns': 1200000000} and "
		  "d['locks'][0]['writes'] == {'contentions': 3, 'wait_ns': 300000000}" },
		{ "lock top stack", "d['locks'][1]['top_stacks'][0]['count'] == 10 and "
				    "d['locks'][1]['top_stacks'][0]['wait_ns'] == 200000000 and "
				    "d['locks'][1]['top_stacks'][0]['frames'][3] == "
				    "'take_lock+0x12 (locks.c:40) [mapload]' and "
				    "len(d['locks'][1]['top_stacks'][0]['frames']) == 6" },
		{ "frame without a function", "d['locks'][2]['top_stacks'][0]['frames'][0] == "
					      "'0x7f0000031234'" },
		{ "futex without a map", "d['locks'][2]['map'] is None" },
		{ "advice is the report's",
		  "len(d['advice']) == 5 and d['advice'][0].startswith('map 0x55d0a0001000')" },
		{ "dropped", "d['dropped'] == 0 and d['dropped_detail'] == "
			     "{'ringbuf': 0, 'stack': 0, 'state': 0, 'maps': 0, 'map_alloc': 0}" },
		{ "events", "d['events'] == 5321" },
	};
	struct report *r = fixture();
	struct report_opts o = { 0 };
	char *doc;
	int err;

	err = advice__build(r);
	check(!err, "advice__build on the fixture: %d", err);
	doc = emit("json", r, &o, &err);
	check(doc && !err, "json backend emits (err %d)", err);
	if (doc)
		json_checks("json", doc, checks, (int)(sizeof(checks) / sizeof(checks[0])));
	free(doc);

	o.pretty = true;
	doc = emit("json", r, &o, &err);
	check(doc && !err && strstr(doc, "\n  \"maps\": [\n"), "pretty json is indented");
	if (doc)
		json_checks("pretty json", doc, checks, 1);
	free(doc);
	report_free(r);
}

static void test_json_edge(void)
{
	static const struct json_check checks[] = {
		{ "escapes round trip", "d['comm'] == 'a\"b\\\\c\\nd\\te\\x01f\\ufffdg\\u00e9'" },
		{ "empty arrays", "d['maps'] == [] and d['locks'] == [] and d['advice'] == []" },
		{ "library_found false", "d['library_found'] is False" },
		{ "dropped total and detail", "d['dropped'] == 17 and d['dropped_detail'] == "
					      "{'ringbuf': 10, 'stack': 2, 'state': 0, 'maps': 5, 'map_alloc': 0}" },
		{ "zero duration", "d['duration_s'] == 0" },
	};
	struct report *r = report_new();
	char *doc;
	int err;

	/* comm is bytes from the kernel: quotes, backslash, controls, invalid and valid UTF-8. */
	strcpy(r->info.comm, "a\"b\\c\nd\te\001f\377g\303\251");
	r->info.library_found = false;
	r->info.end_mono_ns = 0;
	r->dropped[MT_DROP_RINGBUF] = 10;
	r->dropped[MT_DROP_STACK] = 2;
	r->dropped[MT_DROP_MAPS] = 5;
	doc = emit("json", r, NULL, &err);
	check(doc && !err, "json backend emits an empty report (err %d)", err);
	if (doc)
		json_checks("json edge", doc, checks, (int)(sizeof(checks) / sizeof(checks[0])));
	free(doc);
	report_free(r);
}

static void test_json_writer_misuse(void)
{
	struct json_writer *w;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	w = json_writer__new(f, false);
	json_writer__obj_begin(w);
	json_writer__u64(w, 1); /* a value in an object without a name */
	json_writer__obj_end(w);
	check(json_writer__finish(w) == -EINVAL, "json writer: value without a name is -EINVAL");
	json_writer__free(w);

	w = json_writer__new(f, false);
	json_writer__arr_begin(w);
	check(json_writer__finish(w) == -EINVAL, "json writer: unclosed array is -EINVAL");
	json_writer__free(w);

	w = json_writer__new(f, false);
	json_writer__arr_begin(w);
	json_writer__obj_end(w);
	check(json_writer__finish(w) == -EINVAL, "json writer: mismatched close is -EINVAL");
	json_writer__free(w);
	fclose(f);
	free(buf);

	f = open_memstream(&buf, &len);
	w = json_writer__new(f, false);
	json_writer__obj_begin(w);
	json_writer__name(w, "a");
	json_writer__arr_begin(w);
	json_writer__u64(w, 18446744073709551615ULL);
	json_writer__s64(w, -5);
	json_writer__null(w);
	json_writer__bool(w, true);
	json_writer__double(w, 0.0 / 0.0, 2);
	json_writer__arr_end(w);
	json_writer__obj_begin(w); /* no name: misuse, and nothing more is written */
	json_writer__obj_end(w);
	json_writer__free(w);
	fclose(f);
	check(!strcmp(buf, "{\"a\":[18446744073709551615,-5,null,true,null]"),
	      "json writer: commas, exact u64, NaN as null, stops at misuse: %s", buf);
	free(buf);
}

/* The longest line of @text, in bytes. */
static int max_line(const char *text)
{
	int max = 0;

	for (const char *p = text; p && *p;) {
		const char *nl = strchrnul(p, '\n');

		if (nl - p > max)
			max = (int)(nl - p);
		p = *nl ? nl + 1 : nl;
	}
	return max;
}

/* Issue 16: the text fits the width it is given, leaving out the least useful columns first. */
static void test_text_width(void)
{
	struct report *r = fixture();
	struct report_opts o = { .width = 80 };
	char *text;
	int err;

	advice__build(r);
	text = emit("text", r, &o, &err);
	check(text && !err && max_line(text) <= 80, "text: width 80, no line over 80 (%d)",
	      text ? max_line(text) : -1);
	check(text && LINE_HAS(text, "ADDR ", "VARIANT", "INSERTS", "GROWS", "SIZE PATH", "REHASH",
			       "CREATED AT") &&
		      !LINE_HAS(text, "ADDR ", "VARIANT", "SAME") &&
		      !LINE_HAS(text, "ADDR ", "VARIANT", "MOVED"),
	      "text: width 80 keeps the key REHASH columns, leaves out SAME and MOVED");
	check(text && LINE_HAS(text, "KIND", "ADDR ", "MAP", "WAITS", "TOTAL", "P99") &&
		      !LINE_HAS(text, "KIND", "P50"),
	      "text: width 80 keeps WAITS, TOTAL, P99, leaves out P50");
	check(text && LINE_HAS(text, "0x55d0a0001000 plain", "100000", " 14 ", "41.2ms"),
	      "text: width 80, the row's kept figures stay in their columns");
	free(text);
	o.width = 200;
	text = emit("text", r, &o, &err);
	check(text && LINE_HAS(text, "ADDR ", "VARIANT", "INSERTS", "GROWS", "SAME", "SIZE PATH",
			       "REHASH", "MAXSTEP", "MOVED", "COUNT/CAP", "CREATED AT") &&
		      LINE_HAS(text, "KIND", "ADDR ", "MAP", "WAITS", "TOTAL", "P50", "P99", "MAX",
			       "READ/WRITE", "TOP WAITING STACK"),
	      "text: width 200 shows every column");
	check(text && !strstr(text, "WAITS/S") && !strstr(text, "GROWS/S"),
	      "text: no rate columns without a previous interval");
	free(text);
	/* absurd widths still end, every line cut or wrapped to them */
	for (int w = 1; w <= 8; w++) {
		o.width = w;
		text = emit("text", r, &o, &err);
		check(text && !err, "text: width %d ends (longest line %d)", w,
		      text ? max_line(text) : -1);
		free(text);
	}
	report_free(r);
}

/* Live rates: the rise of a row's counters since the previous report, per second. */
static void test_rates(void)
{
	struct report_history *h = report_history__new();
	struct report *r = report_new();
	struct report_opts o = { .width = 200 };
	struct lock_report *l = add_lock(r, 0x55d0a0000100ULL, MT_LOCK_MUTEX, 0);
	struct map_report *m = add_map(r, 0x55d0a0001000ULL, 0);
	double v = 0;
	char *text;
	int err;

	r->final = false;
	r->info.end_mono_ns = r->info.start_mono_ns + 2 * SEC;
	l->contentions = 40;
	l->wait_ns = 100 * MS;
	m->grows = 4;
	check(h && report_history__rate(h, r, l->addr, REPORT_RATE_WAITS, 40, &v) && v == 20.0,
	      "rates: the first report's since the start: 40 waits in 2 s, 20/s (%g)", v);
	check(h && !report_history__update(h, r), "rates: history updated");
	r->info.end_mono_ns = r->info.start_mono_ns + 2500 * MS;
	l->contentions = 55;
	l->wait_ns = 300 * MS;
	m->grows = 5;
	check(report_history__rate(h, r, l->addr, REPORT_RATE_WAITS, 55, &v) && v == 30.0,
	      "rates: 15 more waits in 0.5 s, 30/s (%g)", v);
	check(report_history__rate(h, r, l->addr, REPORT_RATE_WAIT_NS, 300 * MS, &v) &&
		      v == 400e6,
	      "rates: 200 ms more waiting in 0.5 s, 400 ms/s (%g)", v);
	check(report_history__rate(h, r, m->addr, REPORT_RATE_GROWS, 5, &v) && v == 2.0,
	      "rates: 1 more grow in 0.5 s, 2/s (%g)", v);
	check(report_history__rate(h, r, 0x1234, REPORT_RATE_WAITS, 5, &v) && v == 10.0,
	      "rates: a row first seen now rose from 0 (%g)", v);
	o.history = h;
	text = emit("text", r, &o, &err);
	check(text && LINE_HAS(text, "KIND", "WAITS/S", "WAIT/S") &&
		      LINE_HAS(text, "0x55d0a0000100 mutex", " 55 ", " 30.0 ", "300ms", "400ms") &&
		      LINE_HAS(text, "0x55d0a0001000 plain", " 5 ", " 2.00 "),
	      "rates: the live tables show them beside the totals");
	free(text);
	report_free(r);
	report_history__free(h);
}

static void test_text_full(void)
{
	struct report *r = fixture();
	struct report_opts o = { 0 };
	char *text, *p;
	bool narrow = true;
	int err;

	advice__build(r);
	text = emit("text", r, &o, &err);
	check(text && !err, "text backend emits (err %d)", err);
	if (!text) {
		report_free(r);
		return;
	}
	check(LINE_HAS(text, "PID 4242", "(mapload)", "2.50s traced", "5321 records", "dropped 0"),
	      "text: header with pid, comm, elapsed, records, drops");
	check(!strstr(text, "--ringbuf-mb"), "text: no drop advice when nothing was dropped");
	check(LINE_HAS(text, "0x55d0a0001000 plain", "100000", " 14 ", "2^0->2^14 ", "41.2ms",
		       "3.10ms", "163830", "100000/106496", "load_orders (orders.c:88)"),
	      "text: REHASH row of the grown map");
	check(LINE_HAS(text, "0x55d0a0002000 sync", "?/52", "2^3 ", " ?"),
	      "text: unknown count and creation print ?");
	check(LINE_HAS(text, "ADDR ", "VARIANT", "INSERTS", "GROWS", "SAME", "SIZE PATH",
		       "COUNT/CAP", "CREATED AT"),
	      "text: REHASH header");
	check(LINE_HAS(text, "0x55d0a0002000      ", "1000", "2400", "2.40", " 7"),
	      "text: SYNC MAPS row with hits, misses, ratio, promotions");
	check(LINE_HAS(text, "0x55d0a0000100 mutex", "0x55d0a0004000", " 10 ", "200ms", "20.0ms",
		       "take_lock <- worker <- start_thread"),
	      "text: LOCK WAIT row of the mutex, caller visible past libc's futex frames");
	check(LINE_HAS(text, "0x55d0a0000200 rwlock", "r 12/w 3", "1.50s", "100ms",
		       "ccmap_get <- reader"),
	      "text: LOCK WAIT row of the rwlock with its read/write split");
	check(LINE_HAS(text, "0x7ffd00001000 futex", " - ", "0x7f0000031234 <- poll_loop"),
	      "text: futex row with no map and an unsymbolized frame");
	/* Every table line fits in 120 columns. */
	p = strstr(text, "REHASH");
	for (char *end = p ? strstr(p, "LOCK WAIT HISTOGRAMS") : NULL; p && p < end;) {
		char *nl = strchr(p, '\n');

		if (nl - p > 120) {
			printf("# %d columns: %.*s\n", (int)(nl - p), (int)(nl - p), p);
			narrow = false;
		}
		p = nl + 1;
	}
	check(narrow, "text: table rows fit in 120 columns");
	check(LINE_HAS(text, "mutex 0x55d0a0000100 guarding map 0x55d0a0004000: 10 waits",
		       "P50 20.0ms"),
	      "text: per-lock histogram title");
	check(strstr(text, "16777216 -> 33554431 : 10       |"
			   "****************************************|\n") != NULL,
	      "text: bcc-style log2 row for ten 20 ms waits");
	check(strstr(text, "8192 -> 16383") && LINE_HAS(text, "8192 -> 16383", ": 12 "),
	      "text: grow histogram sums fine buckets into the 8192 -> 16383 row");
	check(LINE_HAS(text, "2097152 -> 4194303", ": 2 "),
	      "text: grow histogram row of the 3.1 ms steps");
	check(strstr(text, "TOP WAITING STACKS\n#1 rwlock 0x55d0a0000200") != NULL,
	      "text: top waiting stacks ranked by wait");
	check(strstr(text, "\n      take_lock+0x12 (locks.c:40) [mapload]\n") != NULL,
	      "text: full stack, one frame per line with file:line and module basename");
	check(strstr(text, "\n      __lll_lock_wait+0x30 (lowlevellock.c:49) [libc.so.6]\n") !=
		      NULL,
	      "text: full stack keeps libc frames");
	check(LINE_HAS(text, "#1 map 0x55d0a0001000: 14 grows, 41.2ms"),
	      "text: top growing stacks");
	check(strstr(text, "ADVICE\n  map 0x55d0a0001000") != NULL, "text: ADVICE section");
	/* advice is wrapped to the width: each line whole once its continuations are joined */
	{
		const char *adv = strstr(text, "ADVICE\n");
		char *joined = strdup(adv ? adv : "");
		size_t k = 0;

		for (size_t j = 0; joined && joined[j]; j++) {
			if (!strncmp(joined + j, "\n    ", 5)) {
				joined[k++] = ' ';
				j += 4;
				continue;
			}
			joined[k++] = joined[j];
		}
		if (joined)
			joined[k] = '\0';
		for (int i = 0; i < r->nadvice; i++)
			check(joined && strstr(joined, r->advice[i]) != NULL,
			      "text: advice line %d printed (wrapped)", i);
		free(joined);
	}
	check(max_line(text) <= 120, "text: every line within the default 120 columns (%d)",
	      max_line(text));
	free(text);

	/* An interval report: tables only. */
	r->final = false;
	text = emit("text", r, &o, &err);
	check(text && !strstr(text, "ADVICE") && !strstr(text, "HISTOGRAMS") &&
		      !strstr(text, "TOP WAITING STACKS\n") && strstr(text, "REHASH\n"),
	      "text: interval report has tables but no histograms, stacks or advice");
	free(text);

	/* --top 1 keeps one row per table. */
	o.top = 1;
	text = emit("text", r, &o, &err);
	check(text && strstr(text, "0x55d0a0001000") && !strstr(text, "0x55d0a0002000 sync") &&
		      strstr(text, "0x55d0a0000200") && !strstr(text, "0x55d0a0000100"),
	      "text: top 1 keeps one row per table");
	free(text);

	/* Sharded: grows summed over shards, path of the largest shard; the steps are shown. */
	o.top = 0;
	r->maps[0].variant = 3;
	r->maps[0].grows = 150;
	text = emit("text", r, &o, &err);
	check(text && LINE_HAS(text, "0x55d0a0001000 sharded", " 150 ", "2^0->2^14 (14)"),
	      "text: size path shows its steps when they differ from GROWS");
	free(text);

	o.color = true;
	text = emit("text", r, &o, &err);
	check(text && strstr(text, "\033[1mREHASH\033[0m"), "text: color makes headings bold");
	free(text);
	report_free(r);
}

static void test_text_empty(void)
{
	struct report *r = report_new();
	char *text;
	int err;

	text = emit("text", r, NULL, &err);
	check(text && strstr(text, "REHASH: no map grew\n") &&
		      strstr(text, "LOCK WAIT: no contended lock\n") &&
		      strstr(text, "no advice: nothing in the evidence calls for a change"),
	      "text: empty tables and no advice say so");
	free(text);

	r->info.library_found = false;
	r->dropped[MT_DROP_RINGBUF] = 10;
	r->dropped[MT_DROP_STACK] = 2;
	r->dropped[MT_DROP_MAPS] = 5;
	r->dropped[MT_DROP_ALLOC] = 3;
	text = emit("text", r, NULL, &err);
	check(text && strstr(text, "no map library found in PID 4242: reporting futex waits only"),
	      "text: no library found");
	check(text && LINE_HAS(text, "PID 4242", "dropped 20") &&
		      LINE_HAS(text, "dropped 10 records", "--ringbuf-mb") &&
		      LINE_HAS(text, "dropped 2 stacks", "stack map") &&
		      LINE_HAS(text, "dropped 5 counts", "maps were live", "--max-maps") &&
		      LINE_HAS(text, "dropped 3 counts", "burst of new maps", "allocation"),
	      "text: drops counted, with how to avoid them");
	check(text && !strstr(text, "threads"),
	      "text: a full map table is not blamed on threads");
	free(text);
	report_free(r);
}

/* Ranking must compare 64-bit costs, not subtract them into an int. */
static void test_stack_ranking(void)
{
	struct report *r = report_new();
	struct lock_report *l;
	char *text;
	int err;

	set_stacks(r);
	l = add_lock(r, 0x1000, MT_LOCK_MUTEX, 0);
	l->contentions = 1;
	l->wait_ns = 500 * MS;
	l->top_stacks[0] = (struct mt_stack_cost){ 1, 1, 500 * MS };
	l->ntop = 1;
	l = add_lock(r, 0x2000, MT_LOCK_MUTEX, 0);
	l->contentions = 1;
	l->wait_ns = 3 * SEC; /* 3e9 - 5e8 truncated to int is negative */
	l->top_stacks[0] = (struct mt_stack_cost){ 1, 1, 3 * SEC };
	l->ntop = 1;
	text = emit("text", r, NULL, &err);
	check(text && strstr(text, "TOP WAITING STACKS\n#1 mutex 0x2000: 1 waits, 3.00s"),
	      "text: a 3 s stack ranks above a 500 ms one");
	free(text);
	report_free(r);
}

/* A profile's table: its size path, with the peak when it shrank again; a named lock. */
static void test_advice_profile(void)
{
	struct report *r = report_new();
	struct map_report *m = add_map(r, 0x5568757ed0c0ULL, 0);
	struct lock_report *l = add_lock(r, 0x55684f5fe140ULL, MT_LOCK_MUTEX, 0);
	int n = 0;

	m->library = "glib";
	m->grows = 11;
	m->grow_ns_total = 886 * 1000;
	for (__u64 size = 8; size <= 16384; size *= 2)
		m->sizes[n++] = size;
	m->nsizes = n;
	l->name = "lock";
	l->contentions = 4;
	l->wait_ns = 18 * MS;
	l->write_contentions = 4;
	l->write_wait_ns = 18 * MS;
	advice__build(r);
	check(advice_matching(r, "glib map 0x5568757ed0c0 (created before tracing): grew 11 times "
				 "(8 -> 16384 slots), 886us in resizes") == 1,
	      "advice: a profile's table that grew quotes its first and last size");
	m->sizes[n++] = 4096;
	m->sizes[n++] = 8;
	m->nsizes = n;
	m->shrinks = 2;
	advice__build(r);
	check(advice_matching(r, "grew 11 times (8 -> 16384 -> 8 slots)") == 1,
	      "advice: one that shrank again quotes its peak between them");
	check(advice_matching(r, "mutex lock (0x55684f5fe140): 4 contended acquisitions") == 1,
	      "advice: a static lock is named, with its address");
	for (int i = 0; i < r->nadvice; i++)
		printf("# advice: %s\n", r->advice[i]);
	report_free(r);
}

static void test_advice_rules(void)
{
	struct report *r = fixture();
	struct map_report *m;
	struct lock_report *l;
	int err;

	err = advice__build(r);
	check(!err && r->nadvice == 5, "advice: five lines on the fixture (%d)", r->nadvice);
	for (int i = 0; i < r->nadvice; i++)
		printf("# advice: %s\n", r->advice[i]);
	check(advice_matching(r,
			      "map 0x55d0a0001000 (created at load_orders (orders.c:88)): grew 14 "
			      "times (2^0 -> 2^14 buckets), 41.2ms rehashing, 163830 entries "
			      "moved; create it with hint 100000") == 1,
	      "advice: grown map gets the size hint, quoting the evidence");
	check(advice_matching(r, "grew") == 1, "advice: maps that did not grow get no hint");
	check(advice_matching(r, "mutex 0x55d0a0000100 guarding map 0x55d0a0004000: 10 contended "
				 "acquisitions") == 1 &&
		      advice_matching(r, "200ms waiting (P99 20.") == 1 &&
		      advice_matching(r, "shard the map") == 1,
	      "advice: contended mutex gets the sharding suggestion");
	check(advice_matching(r, "rwlock 0x55d0a0000200 guarding map 0x55d0a0005000: 20% of 15 "
				 "contended acquisitions were writes; readers waited 1.20s, "
				 "writers 300ms") == 1 &&
		      advice_matching(r, "consider a sharded map") == 1,
	      "advice: rwlock quotes its write share");
	check(advice_matching(r, "futex 0x7ffd00001000") == 0,
	      "advice: a futex of unknown kind gets no prescription");
	for (int i = 0; i < r->nadvice; i++) {
		if (strstr(r->advice[i], "futex"))
			check(!strstr(r->advice[i], "shard") && !strstr(r->advice[i], "rwlock"),
			      "advice: no prescription for a futex of unknown kind");
	}
	check(advice_matching(r, "sync map 0x55d0a0002000: misses/hits = 2.4 (2400 misses, 1000 "
				 "hits, 7 promotions): writes are too frequent for a read-mostly "
				 "map") == 1,
	      "advice: sync map at 2.4 x misses");
	check(advice_matching(r, "map 0x55d0a0003000: holds 10 entries (peak 100000) in 16384 "
				 "buckets (capacity 106496) after 99990 deletes; call "
				 "cmap_compact()") == 1,
	      "advice: sparse map after deletes gets the compact suggestion");

	/* Silence without evidence. */
	m = &r->maps[0];
	m->grows = 0;
	m->sizes[0] = 14;
	m->nsizes = 1;
	advice__build(r);
	check(advice_matching(r, "hint") == 0, "advice: grows == 0 gives no size hint");

	m = &r->maps[1];
	m->sync_misses = 2300;
	advice__build(r);
	check(advice_matching(r, "sync map") == 0,
	      "advice: misses == 2.3 x hits exactly gives none");
	m->sync_misses = 2301;
	advice__build(r);
	check(advice_matching(r, "sync map") == 1, "advice: misses just above 2.3 x hits gives it");
	m->sync_hits = 10;
	m->sync_misses = 40;
	advice__build(r);
	check(advice_matching(r, "sync map") == 0,
	      "advice: no sync verdict on fewer than 100 reads");
	m->sync_hits = 0;
	m->sync_misses = 500;
	advice__build(r);
	check(advice_matching(r, "sync map 0x55d0a0002000: every read missed") == 1,
	      "advice: sync map with no hits");

	m = &r->maps[2];
	m->deletes = 0;
	advice__build(r);
	check(advice_matching(r, "cmap_compact") == 0, "advice: no compact without deletes");
	m->deletes = 99990;
	m->count = -1;
	advice__build(r);
	check(advice_matching(r, "cmap_compact") == 0, "advice: no compact with an unknown count");
	m->count = 13400; /* capacity 106496 < 8 x 13400 */
	advice__build(r);
	check(advice_matching(r, "cmap_compact") == 0,
	      "advice: no compact when capacity < 8 x count");
	m->count = 10;
	m->buckets = 8;
	m->capacity = 52;
	advice__build(r);
	check(advice_matching(r, "cmap_compact") == 0, "advice: no compact for 8 buckets");

	/* A lock wait that is immaterial: 0.5 ms in a 10 s run. */
	r->info.end_mono_ns = r->info.start_mono_ns + 10 * SEC;
	l = &r->locks[1];
	l->wait_ns = 500 * 1000;
	advice__build(r);
	check(advice_matching(r, "mutex") == 0, "advice: 0.5 ms of waiting in 10 s gives none");
	r->info.end_mono_ns = r->info.start_mono_ns + 20 * MS;
	advice__build(r);
	check(advice_matching(r, "mutex") == 1,
	      "advice: 0.5 ms of waiting in a 20 ms run gives it");
	l->contentions = 0;
	l->wait_ns = 0;
	advice__build(r);
	check(advice_matching(r, "mutex") == 0, "advice: no contention gives none");
	l->kind = MT_LOCK_CONDVAR;
	l->contentions = 10;
	l->wait_ns = 200 * MS;
	advice__build(r);
	check(advice_matching(r, "0x55d0a0000100") == 0, "advice: condvar waits give none");

	/* Mostly reads on a mutex: the rwlock suggestion comes first. */
	l->kind = MT_LOCK_MUTEX;
	l->read_contentions = 8;
	l->write_contentions = 2;
	advice__build(r);
	check(advice_matching(r, "(8 reads, 2 writes)") == 1 &&
		      advice_matching(r, "most waits are reads") == 1,
	      "advice: read-heavy mutex gets the rwlock suggestion");
	/* the same guarding a C++ container: in C++ terms */
	{
		struct map_report *gm =
			l->map ? (struct map_report *)report__find_map(r, l->map) : NULL;
		const char *lib = gm ? gm->library : NULL;

		if (gm)
			gm->library = "libstdc++";
		advice__build(r);
		check(gm && advice_matching(r, "which a std::shared_mutex (std::shared_lock for "
					       "the readers) lets run together") == 1,
		      "advice: a read-heavy mutex guarding a std::unordered_map: std::shared_mutex");
		l->read_contentions = 2;
		l->write_contentions = 8;
		advice__build(r);
		check(gm && advice_matching(r, "every access serialises on one std::mutex") == 1,
		      "advice: a write-heavy one: shard, std::shared_mutex only if reads dominate");
		l->read_contentions = 8;
		l->write_contentions = 2;
		if (gm)
			gm->library = lib;
	}
	/* A shard's mutex: told with its map's shards, never "shard the map". */
	r->maps[3].variant = 3;
	advice__build(r);
	check(advice_matching(r, "sharded map 0x55d0a0004000: one shard takes 100%: a hot key (10 waits") ==
			      1 &&
		      advice_matching(r, "shard the map") == 0,
	      "advice: a sharded map's one hot shard lock is a hot key");
	report_free(r);
}

/* Issue 16: a sharded map gets one line for its shards, from how their waits spread. */
/* Holder stacks: a release in the program's own function, and one inside libcmap's update. */
static struct mt_frame holder_frames[] = {
	{ 0x7f0000015000, 0x13, "__lll_lock_wake", "/lib/x86_64-linux-gnu/libc.so.6", "",
	  "lowlevellock.c", 65, 1 },
	{ 0x7f0000016000, 0x5d, "__pthread_mutex_unlock_usercnt", "/lib/x86_64-linux-gnu/libc.so.6",
	  "", "pthread_mutex_unlock.c", 43, 1 },
	{ 0x40a0c8, 0xc8, "hold_in_critical", "/opt/app/holder", "", "holder.c", 88, 1 },
	{ 0x40b16f, 0x16f, "main", "/opt/app/holder", "", "holder.c", 116, 1 },
};
static struct mt_frame cmap_holder_frames[] = {
	{ 0x7f0000015000, 0x13, "__lll_lock_wake", "/lib/x86_64-linux-gnu/libc.so.6", "",
	  "lowlevellock.c", 65, 1 },
	{ 0x40c020, 0x20, "ccmap_update", "/opt/app/mapload", "", "ccmap.c", 1185, 1 },
	{ 0x40d030, 0x30, "wl_write", "/opt/app/mapload", "", "workload.c", 178, 1 },
};

/* The advice on a lock held long at one place names that place before sharding. */
static void test_advice_holders(void)
{
	static const char shorten[] = "shorten the critical section at hold_in_critical "
				      "(holder.c:88): 10 of its 10 releases that woke a waiter "
				      "were there, and waits took P50 20.";
	struct report *r = fixture();
	struct lock_report *l = &r->locks[1];
	const char *line, *s, *shard;

	r->stacks = realloc(r->stacks, 7 * sizeof(*r->stacks));
	if (!r->stacks) {
		perror("realloc");
		exit(2);
	}
	r->stacks[5] = (struct mt_stack){ 4, holder_frames };
	r->stacks[6] = (struct mt_stack){ 3, cmap_holder_frames };
	r->nstacks = 7;
	check(l->addr == L_MUTEX, "holders: the fixture's mutex guards a map");

	advice__build(r);
	check(advice_matching(r, "shorten the critical section") == 0,
	      "holders: no holder stacks, no critical-section advice");

	l->holder_stacks[0] = (struct mt_stack_cost){ 5, 10, 0 };
	l->nholders = 1;
	l->holder_wakes = 10;
	advice__build(r);
	check(advice_matching(r, shorten) == 1, "holders: one place, P50 20 ms: shorten it there");
	line = NULL;
	for (int i = 0; i < r->nadvice; i++)
		if (strstr(r->advice[i], "shorten the critical"))
			line = r->advice[i];
	s = line ? strstr(line, "shorten the critical") : NULL;
	shard = line ? strstr(line, "shard the map") : NULL;
	check(s && shard && s < shard, "holders: the critical section comes before sharding: %s",
	      line ? line : "(none)");
	check(advice_matching(r, "mutex 0x55d0a0000100 guarding map 0x55d0a0004000: 10 contended "
				 "acquisitions") == 1,
	      "holders: still one line for the mutex");

	/* concentration: 60% of the waking releases at one function is enough, 50% is not */
	l->holder_stacks[0] = (struct mt_stack_cost){ 5, 6, 0 };
	l->holder_stacks[1] = (struct mt_stack_cost){ 1, 4, 0 };
	l->nholders = 2;
	advice__build(r);
	check(advice_matching(r, "shorten the critical section at hold_in_critical (holder.c:88): "
				 "6 of its 10 releases") == 1,
	      "holders: 6 of 10 releases at one place is concentrated");
	l->holder_stacks[0].count = 5;
	l->holder_stacks[1].count = 5;
	advice__build(r);
	check(advice_matching(r, "shorten the critical section") == 0,
	      "holders: 5 and 5 at two places is not");

	/* a short hold: waits below 10 us are the futex round trip, not the holder */
	l->holder_stacks[0] = (struct mt_stack_cost){ 5, 10, 0 };
	l->nholders = 1;
	l->p50_ns = 9999;
	advice__build(r);
	check(advice_matching(r, "shorten the critical section") == 0,
	      "holders: P50 9.999 us is no long hold");
	l->p50_ns = 10000;
	advice__build(r);
	check(advice_matching(r, "shorten the critical section at hold_in_critical") == 1,
	      "holders: P50 10 us is");

	/* libcmap's update releases its lock around the caller's work: the caller is named */
	l->holder_stacks[0] = (struct mt_stack_cost){ 6, 10, 0 };
	advice__build(r);
	check(advice_matching(r, "shorten the critical section at wl_write (workload.c:178)") == 1,
	      "holders: a release inside libcmap names the program's caller");

	/* a stack with no named frame of the program says nothing */
	l->holder_stacks[0] = (struct mt_stack_cost){ 4, 10, 0 };
	advice__build(r);
	check(advice_matching(r, "shorten the critical section") == 0,
	      "holders: an unnamed holder frame gives no critical-section advice");
	for (int i = 0; i < r->nadvice; i++)
		printf("# advice: %s\n", r->advice[i]);
	report_free(r);
}

/*
 * libcmap's hold times (lock_hold) decide instead of the waits' median: shorten the critical
 * section where most hold time was, when its holds average 10 us or more and at least a tenth
 * of the waits' median (20 ms in the fixture).
 */
static void test_advice_hold_times(void)
{
	struct report *r = fixture();
	struct lock_report *l = &r->locks[1];
	const char *line = NULL, *s, *shard;

	r->stacks = realloc(r->stacks, 7 * sizeof(*r->stacks));
	if (!r->stacks) {
		perror("realloc");
		exit(2);
	}
	r->stacks[5] = (struct mt_stack){ 4, holder_frames };
	r->stacks[6] = (struct mt_stack){ 3, cmap_holder_frames };
	r->nstacks = 7;
	/* the futex wakes would say shorten at hold_in_critical: the hold times overrule them */
	l->holder_stacks[0] = (struct mt_stack_cost){ 5, 10, 0 };
	l->nholders = 1;
	l->holder_wakes = 10;
	l->hold_count = 10;
	l->hold_ns = 200 * MS;
	l->hold_stacks[0] = (struct mt_stack_cost){ 6, 10, 200 * MS };
	l->nhold_stacks = 1;
	advice__build(r);
	check(advice_matching(r, "shorten the critical section at wl_write (workload.c:178): 10 of "
				 "the 10 holds a waiter waited behind were there, 20.0ms each on "
				 "average, while waits took P50 20") == 1,
	      "hold times: 20 ms holds at wl_write: shorten it there");
	for (int i = 0; i < r->nadvice; i++)
		if (strstr(r->advice[i], "shorten the critical"))
			line = r->advice[i];
	s = line ? strstr(line, "shorten the critical") : NULL;
	shard = line ? strstr(line, "shard the map") : NULL;
	check(s && shard && s < shard, "hold times: the critical section before sharding: %s",
	      line ? line : "(none)");

	/* a tenth of the waits' median is long enough; less is a queue of holds: shard first */
	l->hold_ns = 10 * (l->p50_ns / 10);
	l->hold_stacks[0].ns = l->hold_ns;
	advice__build(r);
	check(advice_matching(r, "shorten the critical section at wl_write") == 1,
	      "hold times: holds of a tenth of the waits' median are long");
	l->hold_ns = 10 * (l->p50_ns / 10 - 1000);
	l->hold_stacks[0].ns = l->hold_ns;
	advice__build(r);
	check(advice_matching(r, "shorten the critical section") == 0,
	      "hold times: holds below a tenth of the waits' median are a queue, not long");

	/* below 10 us on average is no long hold, whatever the waits */
	l->p50_ns = 50000;
	l->hold_ns = 10 * 9999;
	l->hold_stacks[0].ns = l->hold_ns;
	advice__build(r);
	check(advice_matching(r, "shorten the critical section") == 0,
	      "hold times: 9.999 us holds are not long");
	l->hold_ns = 10 * 10000;
	l->hold_stacks[0].ns = l->hold_ns;
	advice__build(r);
	check(advice_matching(r, "shorten the critical section at wl_write") == 1,
	      "hold times: 10 us holds are");

	/* the site holds 60% of the hold time; by time, not by count */
	l->hold_count = 20;
	l->hold_ns = 10 * 10000 + 10 * 1000000;
	l->hold_stacks[0] = (struct mt_stack_cost){ 5, 10, 10 * 1000000 };
	l->hold_stacks[1] = (struct mt_stack_cost){ 6, 10, 10 * 10000 };
	l->nhold_stacks = 2;
	advice__build(r);
	check(advice_matching(r, "shorten the critical section at hold_in_critical (holder.c:88): "
				 "10 of the 20 holds") == 1,
	      "hold times: the site with most hold time is named, though half the holds");
	l->hold_stacks[0] = (struct mt_stack_cost){ 5, 10, 1000000 };
	l->hold_stacks[1] = (struct mt_stack_cost){ 6, 10, 1000000 };
	l->hold_ns = 2000000;
	advice__build(r);
	check(advice_matching(r, "shorten the critical section") == 0,
	      "hold times: half the hold time at each of two places is not concentrated");

	/*
	 * Holds the library did not time count in hold_count but have no place or duration: the
	 * advice weighs the timed ones, and says so; none timed, the futex wakes decide.
	 */
	l->hold_count = 11;
	l->hold_untimed = 1;
	l->hold_ns = 200 * MS;
	l->hold_stacks[0] = (struct mt_stack_cost){ 6, 10, 200 * MS };
	l->nhold_stacks = 1;
	advice__build(r);
	check(advice_matching(r, "shorten the critical section at wl_write (workload.c:178): 10 of "
				 "the 10 timed holds a waiter waited behind were there, 20.0ms each") == 1,
	      "hold times: 1 of 11 untimed: the 10 timed ones, said so");
	l->hold_count = 3;
	l->hold_untimed = 3;
	l->hold_ns = 0;
	l->nhold_stacks = 0;
	advice__build(r);
	check(advice_matching(r, "shorten the critical section at hold_in_critical (holder.c:88): "
				 "10 of its 10 releases that woke a waiter") == 1,
	      "hold times: all untimed: the releases that woke a waiter decide");
	report_free(r);
}

static void test_advice_shards(void)
{
	struct report *r = report_new(); /* a 2.5 s run */
	__u64 map[3] = { 0x55d0c0000000ULL, 0x55d0c0010000ULL, 0x55d0c0020000ULL };

	for (int i = 0; i < 3; i++)
		add_map(r, map[i], 3)->inner_maps = 16;
	/* three maps, 16 shard locks each, alike: waits spread evenly */
	for (int i = 0; i < 3; i++) {
		for (int s = 0; s < 16; s++) {
			struct lock_report *l =
				add_lock(r, map[i] + 0x100 + (__u64)s * 64, MT_LOCK_MUTEX, map[i]);

			l->contentions = 10 + (__u64)s % 3;
			l->wait_ns = l->contentions * MS;
		}
	}
	advice__build(r);
	for (int i = 0; i < r->nadvice; i++)
		printf("# advice: %s\n", r->advice[i]);
	check(r->nadvice == 3 && advice_matching(r, "16 shards, waits spread evenly") == 3 &&
		      advice_matching(r, "sharded map 0x55d0c0010000: 16 shards, waits spread "
					 "evenly: more shards or shorter holds (175 waits, 175ms, on "
					 "16 shards; the busiest 7%)") == 1,
	      "advice: 3 sharded maps, even waits: one line per map (%d lines)", r->nadvice);
	check(advice_matching(r, "mutex 0x") == 0, "advice: no line per shard lock");

	/* one shard of the second map takes 80% */
	r->locks[16].contentions = 660;
	r->locks[16].wait_ns = 660 * MS;
	advice__build(r);
	check(r->nadvice == 3 &&
		      advice_matching(r, "sharded map 0x55d0c0010000: one shard takes 80%: a hot "
					 "key (825 waits, 825ms; the shard's lock 0x55d0c0010100)") == 1,
	      "advice: one shard with 80%% of the waits is a hot key");
	/* between: the busiest at 3 x its even share, under half */
	r->locks[16].contentions = 33;
	r->locks[16].wait_ns = 33 * MS;
	advice__build(r);
	check(r->nadvice == 3 && advice_matching(r, "sharded map 0x55d0c0010000: 16 shards, waits "
						    "uneven: the busiest shard (lock "
						    "0x55d0c0010100) takes 17%") == 1,
	      "advice: an uneven spread says so, with the busiest shard");
	/* immaterial: 0.2 ms over the whole map in a 2.5 s run */
	for (int i = 16; i < 32; i++) {
		r->locks[i].contentions = 1;
		r->locks[i].wait_ns = 10 * US;
	}
	advice__build(r);
	check(r->nadvice == 2 && advice_matching(r, "0x55d0c0010000") == 0,
	      "advice: nothing for a sharded map whose waits do not matter");
	report_free(r);
}

/* Smallest B whose 6.5 x 2^B holds @n entries: the bucket count a hint of @n picks. */
static int picked_B(__u64 n)
{
	int B = 0;

	while (n * 2 > 13ULL << B)
		B++;
	return B;
}

/*
 * Issue 16: waits that are not lock contention get no advice; a lock that guards no known map
 * gets none unless it is truly hot, and then never about a map; alike maps get one line.
 */
static void test_advice_waits(void)
{
	struct report *r = report_new(); /* a 2.5 s run */
	struct lock_report *l;
	__u64 map = 0x55d0a0009000ULL;
	int kinds[] = { MT_LOCK_CONDVAR, MT_LOCK_BARRIER, MT_LOCK_JOIN,	   MT_LOCK_SEMAPHORE,
			MT_LOCK_FUTEX,	 MT_LOCK_GO_PARK, MT_LOCK_GO_RTLOCK };

	/* other waits, long ones, even one that names a map: no line */
	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
		l = add_lock(r, 0x7ffd00003000ULL + i * 8, kinds[i], i ? 0 : map);
		l->contentions = 4;
		l->wait_ns = 2 * SEC;
	}
	/* the demo's start gate: an anonymous mutex re-taken in pthread_cond_wait, 426 us */
	l = add_lock(r, 0x7ffde8754f80ULL, MT_LOCK_MUTEX, 0);
	l->contentions = 6;
	l->wait_ns = 426 * US;
	/* material (>= 1 ms, >= 1% of the run) but not hot: 200 ms of 2.5 s */
	l = add_lock(r, 0x7ffd00004000ULL, MT_LOCK_MUTEX, 0);
	l->contentions = 40;
	l->wait_ns = 200 * MS;
	advice__build(r);
	for (int i = 0; i < r->nadvice; i++)
		printf("# advice: %s\n", r->advice[i]);
	check(r->nadvice == 0, "advice: none for condvar, barrier, join, semaphore, unknown futex "
			       "waits, the Go runtime's parking and runtime.lock2, nor for a lock "
			       "with no map that is not hot (%d lines)",
	      r->nadvice);

	/* truly hot: 300 ms of a 2.5 s run (12%) */
	r->locks[r->nlocks - 1].wait_ns = 300 * MS;
	advice__build(r);
	check(r->nadvice == 1 &&
		      advice_matching(r, "mutex 0x7ffd00004000: 40 contended acquisitions (no map "
					 "known), 300ms waiting") == 1,
	      "advice: a hot lock that guards no map is quoted, as such");
	check(advice_matching(r, "shard") == 0 && advice_matching(r, " map 0x") == 0 &&
		      advice_matching(r, "rwlock") == 0,
	      "advice: a lock that guards no map gets no sharding advice");
	r->locks[r->nlocks - 1].kind = MT_LOCK_RWLOCK;
	advice__build(r);
	check(r->nadvice == 1 && advice_matching(r, "rwlock 0x7ffd00004000") == 1 &&
		      advice_matching(r, "shard") == 0,
	      "advice: nor does an rwlock that guards no map");
	report_free(r);

	/* a program creating many small maps at one place: one line with the count */
	r = report_new();
	for (int i = 0; i < 2000; i++) {
		struct map_report *m = add_map(r, 0x55d0b0000000ULL + (__u64)i * 0x100, 0);

		m->create_seen = true;
		m->created_at = "load_item (items.c:12)";
		m->grows = 3;
		m->sizes[0] = 0;
		m->sizes[1] = 3;
		m->nsizes = 2;
		m->count = 40;
		m->peak_count = 40;
		m->moved = 70;
		m->grow_ns_total = 5 * US;
	}
	/* one alike but for its peak, told apart */
	r->maps[1999].peak_count = r->maps[1999].count = 400;
	r->maps[1999].sizes[1] = 6;
	advice__build(r);
	for (int i = 0; i < r->nadvice; i++)
		printf("# advice: %s\n", r->advice[i]);
	check(r->nadvice == 2 &&
		      advice_matching(r, "1999 maps created at load_item (items.c:12) (the "
					 "costliest 0x55d0b0000000) grew 3 times each (2^0 -> 2^3 "
					 "buckets), 10.0ms rehashing in total, 139930 entries "
					 "moved; create them with hint 40") == 1,
	      "advice: 1999 alike maps get one line, with their count and summed figures");
	check(advice_matching(r, "map 0x55d0b007cf00 (created at load_item (items.c:12)): grew 3 "
				 "times (2^0 -> 2^6 buckets)") == 1,
	      "advice: the map told something else keeps its own line");
	report_free(r);
}

static void test_size_hint(void)
{
	bool all_ok = true;
	struct report *r = fixture();

	check(advice__size_hint(100000) == 100000, "hint: 100000 stays 100000");
	check(advice__size_hint(98765) == 99000, "hint: 98765 rounds up to 99000 (%llu)",
	      (unsigned long long)advice__size_hint(98765));
	check(advice__size_hint(106000) == 106000,
	      "hint: 106000 is not rounded past 106496, which would double the buckets (%llu)",
	      (unsigned long long)advice__size_hint(106000));
	check(advice__size_hint(100001) == 101000, "hint: 100001 rounds to 101000 (%llu)",
	      (unsigned long long)advice__size_hint(100001));
	for (__u64 peak = 1; peak < 2000000; peak = peak * 21 / 20 + 1) {
		__u64 h = advice__size_hint(peak);

		/* h >= peak: peak keys never exceed 6.5 x 2^B(h), so no grow; same B: no waste. */
		if (h < peak || picked_B(h) != picked_B(peak)) {
			printf("# peak %llu -> hint %llu\n", (unsigned long long)peak,
			       (unsigned long long)h);
			all_ok = false;
		}
	}
	check(all_ok, "hint: covers the peak and picks the peak's bucket count, 1..2e6");

	/* A map whose count is above its recorded peak: the count wins. */
	r->maps[0].peak_count = 90000;
	r->maps[0].count = 100000;
	advice__build(r);
	check(advice_matching(r, "create it with hint 100000") == 1, "hint: count above peak wins");
	/*
	 * A sharded map that grew despite a hint as large as its peak (one shard filled up
	 * first): the size it reached is the evidence, and the line says what it replaces.
	 */
	r->maps[0].variant = 3;
	r->maps[0].hint = 100000;
	r->maps[0].peak_count = 100000;
	r->maps[0].capacity = 212992;
	advice__build(r);
	check(advice_matching(r, "create it with hint 212992 instead of 100000") == 1,
	      "hint: a map that grew despite its hint gets the size it reached");
	report_free(r);
}

static void test_fmt_ns(void)
{
	static const struct {
		__u64 ns;
		const char *want;
	} cases[] = {
		{ 0, "0ns" },	       { 850, "850ns" },	  { 999, "999ns" },
		{ 1000, "1.00us" },    { 12345, "12.3us" },	  { 999499, "999us" },
		{ 999500, "1.00ms" },  { 20 * MS, "20.0ms" },	  { 1250 * MS, "1.25s" },
		{ 125 * SEC, "125s" }, { 99999 * SEC, "99999s" }, { 100000 * SEC, "27.8h" },
	};
	char buf[32];
	bool ok = true, narrow = true;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		report__fmt_ns(buf, sizeof(buf), cases[i].ns);
		if (strcmp(buf, cases[i].want)) {
			printf("# %llu ns: '%s', want '%s'\n", (unsigned long long)cases[i].ns, buf,
			       cases[i].want);
			ok = false;
		}
	}
	check(ok, "fmt_ns: units keep three significant digits");
	for (__u64 ns = 1; ns < 99999ULL * 3600 * SEC; ns += ns / 2 + 7) {
		if (strlen(report__fmt_ns(buf, sizeof(buf), ns)) > 6) {
			printf("# %llu ns: '%s'\n", (unsigned long long)ns, buf);
			narrow = false;
		}
	}
	check(narrow, "fmt_ns: at most 6 characters below 10^5 hours");
}

static void test_backends(void)
{
	check(report_backend__find("text") == &report_text_backend, "backend: text");
	check(report_backend__find("json") == &report_json_backend, "backend: json");
	check(report_backend__find("html") == &report_html_backend, "backend: html");
	check(report_backend__find("xml") == NULL, "backend: unknown name is NULL");
	check(report_backend__get(0) && report_backend__get(5) && !report_backend__get(6) &&
		      !report_backend__get(-1),
	      "backend: listing");
}

int main(void)
{
	test_backends();
	test_fmt_ns();
	test_json_full();
	test_json_edge();
	test_json_writer_misuse();
	test_text_full();
	test_text_empty();
	test_stack_ranking();
	test_advice_rules();
	test_advice_profile();
	test_advice_waits();
	test_advice_shards();
	test_advice_holders();
	test_advice_hold_times();
	test_text_width();
	test_rates();
	test_size_hint();
	printf("# %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
