// SPDX-License-Identifier: MIT
/*
 * Unit test of the export backends (user/report_folded.c, report_pprof.c, report_chrome.c,
 * report_html.c and report_json.c's event log) on a report the model builds from records made
 * here: no BPF, no root.  The records are known, so every total is known: the folded values
 * must add up to the report's total wait (and rehash time), `go tool pprof` must read the
 * profile and show the same total, the Chrome trace must hold one slice per grow and per
 * contended wait, properly nested on every thread, and the html page one mark per grow.
 *
 * Folded lines are checked here, against flamegraph.pl's own line pattern.  JSON documents
 * are checked by python3, the profile by `go tool pprof` (golang-go); without them those
 * checks are skipped.  Prints one "ok - ..." or "not ok - ..." line per check and exits
 * non-zero on any failure.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <regex.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmap.h"
#include "model.h"
#include "report.h"
#include "../tap.h"


static void skip(const char *what, const char *why)
{
	printf("ok - %s # SKIP %s\n", what, why);
	fflush(stdout);
}

#define US  1000ULL
#define MS  1000000ULL
#define SEC 1000000000ULL
#define T0  (1 * SEC) /* trace start, CLOCK_MONOTONIC */

#define PID	      4242
#define M_PLAIN	      0x55d0a0001000ULL
#define M_SHARDED     0x55d0a0002000ULL
#define M_SHARD0      0x55d0a0002100ULL
#define M_SHARD1      0x55d0a0002200ULL
#define M_LOCKED      0x55d0a0003000ULL
#define M_LOCKED_CORE 0x55d0a0003100ULL
#define M_RW	      0x55d0a0004000ULL
#define L_MUTEX	      0x55d0a0000100ULL
#define L_RW	      0x55d0a0000200ULL
#define L_FUTEX	      0x7ffd00001000ULL
#define L_FUTEX2      0x7ffd00002000ULL
#define L_MANY	      0x55d0a0000300ULL

/* Stacks, leaf first; the model copies them. */
static const struct mt_frame create_frames[] = {
	{ 0x401040, 0x40, "cmap_new", "/opt/app/mapload", "ab12", "cmap.c", 120, 1 },
	{ 0x40201c, 0x1c, "load_orders", "/opt/app/mapload", "ab12", "orders.c", 88, 1 },
	{ 0x403055, 0x55, "main", "/opt/app/mapload", "ab12", "mapload.c", 300, 1 },
};
static const struct mt_frame wait_frames[] = {
	{ 0x7f0000010000, 0x20, "__futex_abstimed_wait_common", "/lib/x86_64-linux-gnu/libc.so.6",
	  "cd34", "", 0, 1 },
	{ 0x7f0000011000, 0x30, "__lll_lock_wait", "/lib/x86_64-linux-gnu/libc.so.6", "cd34",
	  "lowlevellock.c", 49, 1 },
	{ 0x7f0000012000, 0x80, "___pthread_mutex_lock", "/lib/x86_64-linux-gnu/libc.so.6", "cd34",
	  "", 0, 1 },
	{ 0x404012, 0x12, "take_lock", "/opt/app/mapload", "ab12", "locks.c", 40, 1 },
	{ 0x405099, 0x99, "worker", "/opt/app/mapload", "ab12", "mapload.c", 210, 1 },
	{ 0x7f0000013000, 0x2f2, "start_thread", "/lib/x86_64-linux-gnu/libc.so.6", "cd34", "", 0,
	  1 },
};
/* The same functions at other addresses (another call site): one folded line with the above. */
static const struct mt_frame wait2_frames[] = {
	{ 0x7f0000010000, 0x20, "__futex_abstimed_wait_common", "/lib/x86_64-linux-gnu/libc.so.6",
	  "cd34", "", 0, 1 },
	{ 0x7f0000011000, 0x30, "__lll_lock_wait", "/lib/x86_64-linux-gnu/libc.so.6", "cd34",
	  "lowlevellock.c", 49, 1 },
	{ 0x7f0000012000, 0x80, "___pthread_mutex_lock", "/lib/x86_64-linux-gnu/libc.so.6", "cd34",
	  "", 0, 1 },
	{ 0x404040, 0x40, "take_lock", "/opt/app/mapload", "ab12", "locks.c", 44, 1 },
	{ 0x405099, 0x99, "worker", "/opt/app/mapload", "ab12", "mapload.c", 210, 1 },
	{ 0x7f0000013000, 0x2f2, "start_thread", "/lib/x86_64-linux-gnu/libc.so.6", "cd34", "", 0,
	  1 },
};
static const struct mt_frame grow_frames[] = {
	{ 0x406010, 0x10, "hash_grow", "/opt/app/mapload", "ab12", "cmap.c", 410, 1 },
	{ 0x407020, 0x20, "cmap_put", "/opt/app/mapload", "ab12", "cmap.c", 300, 1 },
	{ 0x40202a, 0x2a, "load_orders", "/opt/app/mapload", "ab12", "orders.c", 91, 1 },
};
static const struct mt_frame evac_frames[] = {
	{ 0x406110, 0x10, "evacuate", "/opt/app/mapload", "ab12", "cmap.c", 510, 1 },
	{ 0x407020, 0x20, "cmap_put", "/opt/app/mapload", "ab12", "cmap.c", 300, 1 },
	{ 0x40302a, 0x2a, "update_orders", "/opt/app/mapload", "ab12", "orders.c", 120, 1 },
};
static const struct mt_frame rw_frames[] = {
	{ 0x7f0000014000, 0x50, "__pthread_rwlock_rdlock_full64", "/lib/x86_64-linux-gnu/libc.so.6",
	  "cd34", "", 0, 1 },
	{ 0x7f0000020100, 0x100, "ccmap_get", "/opt/app/libcmap.so.1", "ef56", "ccmap.c", 77, 1 },
	{ 0x408030, 0x30, "reader", "/opt/app/mapload", "ab12", "mapload.c", 250, 1 },
};
static const struct mt_frame futex_frames[] = {
	{ 0x7f0000031234, 0x31234, "", "/opt/app/libfoo.so", "", "", 0, 0 },
	{ 0x409040, 0x40, "poll_loop", "/opt/app/mapload", "ab12", "", 0, 0 },
};
/* Names the folded format cannot hold as they are: a ';', a newline, spaces at the end. */
static const struct mt_frame odd_frames[] = {
	{ 0x7f0000050000, 0, "", "", "", "", 0, 0 },
	{ 0x40a010, 0x10, "ns::odd;name", "/opt/app/mapload", "ab12", "", 0, 1 },
	{ 0x40a110, 0x10, "line\nbreak  ", "/opt/app/mapload", "ab12", "", 0, 1 },
	{ 0x40a210, 0x10, "operator new(unsigned long)", "/opt/app/mapload", "ab12", "", 0, 1 },
};

struct expect {
	__u64 wait_ns, waits;	/* contended waits (futex waits inside library waits excluded) */
	__u64 rehash_ns, grows; /* grow and evacuation time; grows */
	__u64 evacuations;
	__u64 lib_futex_waits; /* futex waits inside library waits: no slice, no cost */
	__u64 trimmed;	       /* spans that must be trimmed to nest */
};

static struct model *m;
static struct expect ex;

static void add(void *rec, __u16 type, __u16 size, __u32 tid, __u64 ts, int stack)
{
	struct mt_hdr *h = rec;
	struct mt_event ev;

	h->type = type;
	h->size = size;
	h->cpu = tid % 4;
	h->pid = tid;
	h->tgid = PID;
	h->ts = ts;
	h->stack_id = stack >= 0 ? stack + 1 : -1;
	if (mt_event_decode(h, size, &ev, NULL, 0) || model__add_event(m, &ev, stack)) {
		fprintf(stderr, "model__add_event failed\n");
		exit(2);
	}
}

static void rec_create(__u32 tid, __u64 ts, __u64 map, __u64 parent, int variant, __u32 B,
		       int stack)
{
	struct mt_map_create r = {
		.map = map, .parent = parent, .variant = (__u32)variant, .B = B
	};

	add(&r, MT_REC_MAP_CREATE, sizeof(r), tid, ts, stack);
}

static void rec_grow(__u32 tid, __u64 ts, __u64 map, __u32 old_B, __u32 new_B, __u64 count,
		     __u64 dur, int stack)
{
	struct mt_grow r = { .map = map, .count = count, .dur_ns = dur, .old_B = old_B,
			     .new_B = new_B, .same_size = old_B == new_B };

	add(&r, MT_REC_GROW, sizeof(r), tid, ts, stack);
	ex.rehash_ns += dur;
	ex.grows++;
}

static void rec_evacuate(__u32 tid, __u64 ts, __u64 map, __u64 dur, int stack)
{
	struct mt_evacuate r = { .map = map, .oldbucket = ts % 7, .moved = 5, .dur_ns = dur };

	add(&r, MT_REC_EVACUATE, sizeof(r), tid, ts, stack);
	ex.rehash_ns += dur;
	ex.evacuations++;
}

static void rec_lock_wait(__u32 tid, __u64 ts, __u64 map, __u64 lock, __u64 wait, int mode,
			  int kind, int stack)
{
	struct mt_lock_wait r = { .map = map, .lock = lock, .wait_ns = wait, .mode = (__u32)mode,
				  .kind = (__u32)kind };

	add(&r, MT_REC_LOCK_WAIT, sizeof(r), tid, ts, stack);
	ex.wait_ns += wait;
	ex.waits++;
}

static void rec_futex(__u32 tid, __u64 ts, __u64 uaddr, __u64 wait, bool in_lib, int stack)
{
	struct mt_futex_wait r = { .uaddr = uaddr, .wait_ns = wait, .op = 0x80,
				   .in_lib_wait = in_lib };

	add(&r, MT_REC_FUTEX_WAIT, sizeof(r), tid, ts, stack);
	if (in_lib) {
		ex.lib_futex_waits++;
	} else {
		ex.wait_ns += wait;
		ex.waits++;
	}
}

static int intern(const struct mt_frame *f, int n)
{
	int idx = model__intern_stack(m, f, n);

	if (idx < 0) {
		fprintf(stderr, "model__intern_stack failed\n");
		exit(2);
	}
	return idx;
}

#define INTERN(frames) intern(frames, (int)(sizeof(frames) / sizeof(frames[0])))

/* The recorded run: maps growing, threads waiting; times in ns after T0. */
static struct model *build_model(bool keep_events)
{
	int s_create, s_wait, s_wait2, s_grow, s_evac, s_rw, s_futex, s_odd;
	struct mt_promote promote = { .map = M_RW, .dirty_len = 12 };
	struct mt_grow_done done = { .map = M_PLAIN, .count = 40, .B = 3 };
	struct mt_map_destroy destroy = { .map = M_PLAIN, .counts = { 40, 0, 0, 0 } };
	struct mt_frame many[2];
	struct run_info *info;
	char name[32];

	memset(&ex, 0, sizeof(ex));
	m = model__new();
	if (!m) {
		perror("model__new");
		exit(2);
	}
	model__keep_events(m, keep_events);
	info = model__info(m);
	info->pid = PID;
	snprintf(info->comm, sizeof(info->comm), "mapload");
	snprintf(info->version, sizeof(info->version), "test");
	info->start_wall_ns = 1700000000ULL * SEC;
	info->start_mono_ns = T0;
	info->end_mono_ns = T0 + 2500 * MS;
	info->library_found = true;

	s_create = INTERN(create_frames);
	s_wait = INTERN(wait_frames);
	s_wait2 = INTERN(wait2_frames);
	s_grow = INTERN(grow_frames);
	s_evac = INTERN(evac_frames);
	s_rw = INTERN(rw_frames);
	s_futex = INTERN(futex_frames);
	s_odd = INTERN(odd_frames);

	/* main thread: the maps */
	rec_create(PID, T0 + 1 * US, M_PLAIN, 0, CMAP_PLAIN, 0, s_create);
	rec_create(PID, T0 + 2 * US, M_SHARDED, 0, CMAP_SHARDED, 0, s_create);
	rec_create(PID, T0 + 3 * US, M_SHARD0, M_SHARDED, CMAP_PLAIN, 1, s_create);
	rec_create(PID, T0 + 4 * US, M_SHARD1, M_SHARDED, CMAP_PLAIN, 1, s_create);
	rec_create(PID, T0 + 5 * US, M_LOCKED, 0, CMAP_MUTEX, 0, s_create);
	rec_create(PID, T0 + 6 * US, M_LOCKED_CORE, M_LOCKED, CMAP_PLAIN, 2, s_create);
	rec_create(PID, T0 + 7 * US, M_RW, 0, CMAP_RWLOCK, 0, -1);

	/* 4243: a growth storm with its evacuation steps */
	rec_grow(4243, T0 + 100 * US, M_PLAIN, 0, 1, 6, 5 * US, s_grow);
	rec_grow(4243, T0 + 200 * US, M_PLAIN, 1, 2, 13, 10 * US, s_grow);
	rec_evacuate(4243, T0 + 210 * US, M_PLAIN, 2 * US, s_evac);
	rec_evacuate(4243, T0 + 220 * US, M_PLAIN, 3 * US, s_evac);
	rec_grow(4243, T0 + 400 * US, M_PLAIN, 2, 3, 26, 20 * US, s_grow);
	rec_evacuate(4243, T0 + 401 * US, M_PLAIN, 0, -1); /* begin not seen: no duration */
	add(&done, MT_REC_GROW_DONE, sizeof(done), 4243, T0 + 410 * US, -1);
	rec_grow(4243, T0 + 600 * US, M_SHARD1, 1, 1, 9, 7 * US, s_grow); /* same-size */

	/*
	 * 4244: a long wait [200us, 500us]; an evacuation inside it nests; a grow that starts
	 * inside it and ends after it ([480us, 520us]) straddles, and is trimmed to nest.
	 */
	rec_evacuate(4244, T0 + 450 * US, M_SHARD0, 50 * US, s_evac);
	rec_lock_wait(4244, T0 + 500 * US, M_LOCKED, L_MUTEX, 300 * US, MT_MODE_WRITE, 0, s_wait);
	rec_grow(4244, T0 + 520 * US, M_SHARD0, 1, 2, 14, 40 * US, s_grow);
	ex.trimmed++;
	/* back to back: touching spans do not overlap */
	rec_lock_wait(4244, T0 + 700 * US, M_LOCKED, L_MUTEX, 100 * US, MT_MODE_WRITE, 0, s_wait2);
	rec_lock_wait(4244, T0 + 800 * US, M_LOCKED, L_MUTEX, 100 * US, MT_MODE_WRITE, 0, s_wait);
	/* a futex wait inside the mutex's futex words counts toward the mutex */
	rec_futex(4244, T0 + 900 * US, L_MUTEX + 4, 30 * US, false, s_wait);

	/* 4245: readers and a writer queue on an rwlock; the futex under a lib wait is not new */
	rec_lock_wait(4245, T0 + 1 * MS, M_RW, L_RW, 120 * US, MT_MODE_READ, 1, s_rw);
	rec_futex(4245, T0 + 2 * MS - 10 * US, L_RW, 100 * US, true, s_rw);
	rec_lock_wait(4245, T0 + 2 * MS, M_RW, L_RW, 130 * US, MT_MODE_READ, 1, s_rw);
	rec_lock_wait(4245, T0 + 3 * MS, M_RW, L_RW, 140 * US, MT_MODE_WRITE, 1, s_odd);
	add(&promote, MT_REC_PROMOTE, sizeof(promote), 4245, T0 + 4 * MS, -1);

	/* 4246: futex waits of an unknown lock, one without a stack */
	rec_futex(4246, T0 + 5 * MS, L_FUTEX, 1 * MS, false, s_futex);
	rec_futex(4246, T0 + 7 * MS, L_FUTEX, 1500 * US, false, s_futex);
	rec_futex(4246, T0 + 9 * MS, L_FUTEX2, 250 * US, false, -1);

	/* 4247: more waiting stacks on one lock than a row keeps (MT_TOP_STACKS) */
	for (int i = 0; i < MT_TOP_STACKS + 3; i++) {
		snprintf(name, sizeof(name), "caller_%d", i);
		many[0] = wait_frames[3];
		many[0].ip = 0x40b000 + (__u64)i * 0x100;
		many[0].func = name;
		many[1] = wait_frames[4];
		rec_lock_wait(4247, T0 + 10 * MS + (__u64)i * MS, M_LOCKED, L_MANY,
			      (__u64)(i + 1) * 10 * US, MT_MODE_WRITE, 0, intern(many, 2));
	}

	add(&destroy, MT_REC_MAP_DESTROY, sizeof(destroy), PID, T0 + 2400 * MS, -1);
	return m;
}

static struct report *build_report(int top)
{
	struct report *r;

	if (report__build(m, true, top, &r)) {
		fprintf(stderr, "report__build failed\n");
		exit(2);
	}
	return r;
}

static __u64 report_wait(const struct report *r)
{
	__u64 sum = 0;

	for (int i = 0; i < r->nlocks; i++)
		sum += r->locks[i].wait_ns;
	for (int i = 0; i < r->nwaits; i++)
		sum += r->waits[i].wait_ns;
	return sum;
}

static __u64 report_contentions(const struct report *r)
{
	__u64 sum = 0;

	for (int i = 0; i < r->nlocks; i++)
		sum += r->locks[i].contentions;
	for (int i = 0; i < r->nwaits; i++)
		sum += r->waits[i].contentions;
	return sum;
}

static __u64 report_rehash(const struct report *r)
{
	__u64 sum = 0;

	for (int i = 0; i < r->nmaps; i++)
		sum += r->maps[i].grow_ns_total;
	return sum;
}

static __u64 report_grows(const struct report *r)
{
	__u64 sum = 0;

	for (int i = 0; i < r->nmaps; i++)
		sum += r->maps[i].grows + r->maps[i].same_size_grows;
	return sum;
}

/* Run a backend into a string (the caller frees it); NULL when it failed, with *errp. */
static char *emit(const char *backend, const struct report *r, const struct report_opts *o,
		  size_t *lenp, int *errp)
{
	const struct report_backend *b = report_backend__find(backend);
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int err;

	*errp = -ENOENT;
	if (!b)
		return NULL;
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
	if (lenp)
		*lenp = len;
	return buf;
}

static bool write_file(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "w");
	bool ok;

	if (!f)
		return false;
	ok = fwrite(data, 1, len, f) == len;
	return !fclose(f) && ok;
}

/* ---- folded ------------------------------------------------------------------------------ */

struct folded_stats {
	int lines;
	bool pattern;	/* every line matches flamegraph.pl's pattern */
	bool positive;	/* every value > 0 */
	bool frames_ok; /* no empty frame, no spaces at a frame's ends, no control chars */
	bool root_comm; /* every line starts with the process name */
	bool unique;	/* no stack twice */
	__u64 sum;
	char bad[512]; /* the first offending line */
};

/*
 * flamegraph.pl reads a line (newline removed) with /^(.*)\s+?(\d+(?:\.\d*)?)$/; in POSIX
 * ERE, whose leftmost-longest rule gives the first group the most, the same pattern is this.
 */
#define FLAMEGRAPH_LINE "^(.*)[[:space:]]+([0-9]+(\\.[0-9]*)?)$"

static void note_bad(struct folded_stats *s, const char *line)
{
	if (!s->bad[0])
		snprintf(s->bad, sizeof(s->bad), "%s", line);
}

static struct folded_stats folded_parse(const char *text, const char *comm)
{
	struct folded_stats s = { .pattern = true, .positive = true, .frames_ok = true,
				  .root_comm = true, .unique = true };
	char *copy = strdup(text ? text : ""), *save = NULL, *line;
	char **stacks = NULL;
	regmatch_t mt[4];
	regex_t re;

	if (!copy || regcomp(&re, FLAMEGRAPH_LINE, REG_EXTENDED)) {
		fprintf(stderr, "regcomp or strdup failed\n");
		exit(2);
	}
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char stack[4096], *f, *fsave = NULL;
		size_t len;
		__u64 v;

		s.lines++;
		if (regexec(&re, line, 4, mt, 0)) {
			s.pattern = false;
			note_bad(&s, line);
			continue;
		}
		v = strtoull(line + mt[2].rm_so, NULL, 10);
		if (!v || mt[3].rm_so >= 0) { /* integers only, and none 0 */
			s.positive = false;
			note_bad(&s, line);
		}
		s.sum += v;
		len = (size_t)mt[1].rm_eo < sizeof(stack) ? (size_t)mt[1].rm_eo : sizeof(stack) - 1;
		memcpy(stack, line, len);
		stack[len] = '\0';
		for (int i = 0; i < s.lines - 1; i++) {
			if (!strcmp(stacks[i], stack)) {
				s.unique = false;
				note_bad(&s, line);
			}
		}
		stacks = realloc(stacks, (size_t)s.lines * sizeof(*stacks));
		if (!stacks || !(stacks[s.lines - 1] = strdup(stack))) {
			fprintf(stderr, "out of memory\n");
			exit(2);
		}
		/* empty frames would vanish in strtok: look for them first */
		if (stack[0] == ';' || strstr(stack, ";;") || stack[len ? len - 1 : 0] == ';')
			s.frames_ok = false;
		for (f = strtok_r(stack, ";", &fsave); f; f = strtok_r(NULL, ";", &fsave)) {
			size_t n = strlen(f);

			if (f == stack && strcmp(f, comm)) {
				s.root_comm = false;
				note_bad(&s, line);
			}
			if (!n || f[0] == ' ' || f[n - 1] == ' ') {
				s.frames_ok = false;
				note_bad(&s, line);
			}
			for (size_t i = 0; i < n; i++) {
				if ((unsigned char)f[i] < 0x20) {
					s.frames_ok = false;
					note_bad(&s, line);
				}
			}
		}
	}
	for (int i = 0; i < s.lines; i++)
		free(stacks[i]);
	free(stacks);
	regfree(&re);
	free(copy);
	return s;
}

static void folded_checks(const char *what, const char *text, __u64 want_sum, bool want_lines)
{
	struct folded_stats s = folded_parse(text, "mapload");

	check(!want_lines || s.lines > 0, "%s: has lines (%d)", what, s.lines);
	check(s.pattern, "%s: every line matches flamegraph.pl's pattern%s%s", what,
	      s.pattern ? "" : ": ", s.pattern ? "" : s.bad);
	check(s.positive, "%s: every value is a positive integer", what);
	check(s.frames_ok, "%s: no empty frame, no ';', spaces or control characters at frame ends",
	      what);
	check(s.root_comm, "%s: the process name is the first frame", what);
	check(s.unique, "%s: one line per distinct stack", what);
	check(s.sum == want_sum, "%s: values add up to %llu (got %llu)", what,
	      (unsigned long long)want_sum, (unsigned long long)s.sum);
}

static bool has_line(const char *text, const char *stack_prefix)
{
	const char *p = text;
	size_t n = strlen(stack_prefix);

	while (p && *p) {
		if (!strncmp(p, stack_prefix, n))
			return true;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return false;
}

static void test_folded(const struct report *r)
{
	struct report_opts o = { .all_waits = true, .what = REPORT_WHAT_LOCKS };
	char *text;
	int err;

	text = emit("folded", r, &o, NULL, &err);
	check(text != NULL, "folded locks: emits (%d)", err);
	folded_checks("folded locks", text, ex.wait_ns, true);
	check(report_wait(r) == ex.wait_ns, "report total wait %llu = the recorded %llu",
	      (unsigned long long)report_wait(r), (unsigned long long)ex.wait_ns);
	check(text && strstr(text, ";take_lock;"), "folded locks: the waiting function take_lock");
	check(text && has_line(text, "mapload;start_thread;worker;take_lock;___pthread_mutex_lock;"
				     "__lll_lock_wait;__futex_abstimed_wait_common 530000\n"),
	      "folded locks: root first, two call sites of the same functions merged "
	      "(300+100+100+30 us)");
	check(text && has_line(text, "mapload;poll_loop;libfoo.so+0x31234 2500000\n"),
	      "folded locks: a frame without a function is module+0xoffset");
	check(text && has_line(text, "mapload;[no stack] 250000\n"),
	      "folded locks: a wait without a stack is kept as [no stack]");
	check(text && strstr(text, "ns::odd:name") && strstr(text, ";line break;") &&
		      strstr(text, ";[unknown] 140000\n"),
	      "folded locks: ';' and newlines replaced, spaces trimmed, an unknown frame is "
	      "[unknown]");
	check(text && !strstr(text, "[lock wait]") && !strstr(text, "hash_grow"),
	      "folded locks: no grow stacks, no synthetic frame");
	free(text);

	/* without --all-waits: lock contention only; 4246's futex of unknown kind is no lock */
	o.all_waits = false;
	text = emit("folded", r, &o, NULL, &err);
	folded_checks("folded locks without --all-waits", text, ex.wait_ns - 2750000, true);
	check(text && !strstr(text, "poll_loop") && !strstr(text, "[no stack]"),
	      "folded locks without --all-waits: the futex waits of unknown kind left out");
	check(r->nwaits == 2 && r->wait_kinds[MT_LOCK_FUTEX].count == 3 &&
		      r->wait_kinds[MT_LOCK_FUTEX].ns == 2750000,
	      "report: the futex of unknown kind is among the other waits, 3 waits, 2.75ms");
	free(text);
	o.all_waits = true;

	o.what = REPORT_WHAT_GROWS;
	text = emit("folded", r, &o, NULL, &err);
	check(text != NULL, "folded grows: emits (%d)", err);
	folded_checks("folded grows", text, ex.rehash_ns, true);
	check(report_rehash(r) == ex.rehash_ns, "report total rehash %llu = the recorded %llu",
	      (unsigned long long)report_rehash(r), (unsigned long long)ex.rehash_ns);
	check(text && has_line(text, "mapload;load_orders;cmap_put;hash_grow 82000\n"),
	      "folded grows: the grow stack weighs its grow time");
	check(text && has_line(text, "mapload;update_orders;cmap_put;evacuate 55000\n"),
	      "folded grows: the evacuating stack weighs its evacuation time");
	free(text);

	o = (struct report_opts){ .all_waits = true, .what = REPORT_WHAT_ALL };
	text = emit("folded", r, &o, NULL, &err);
	check(text != NULL, "folded all: emits (%d)", err);
	folded_checks("folded all", text, ex.wait_ns + ex.rehash_ns, true);
	check(text && has_line(text, "mapload;[lock wait];start_thread;") &&
		      has_line(text, "mapload;[rehash];load_orders;"),
	      "folded all: [lock wait] and [rehash] keep the two kinds apart");
	free(text);

	o = (struct report_opts){ .all_waits = true, .what = REPORT_WHAT_LOCKS,
				  .weight = REPORT_WEIGHT_COUNT };
	text = emit("folded", r, &o, NULL, &err);
	folded_checks("folded lock counts", text, ex.waits, true);
	check(report_contentions(r) == ex.waits, "report contentions %llu = the recorded %llu",
	      (unsigned long long)report_contentions(r), (unsigned long long)ex.waits);
	free(text);

	o = (struct report_opts){ .all_waits = true, .what = REPORT_WHAT_GROWS,
				  .weight = REPORT_WEIGHT_COUNT };
	text = emit("folded", r, &o, NULL, &err);
	folded_checks("folded grow counts", text, ex.grows, true);
	check(report_grows(r) == ex.grows, "report grows %llu = the recorded %llu",
	      (unsigned long long)report_grows(r), (unsigned long long)ex.grows);
	free(text);

	o = (struct report_opts){ .all_waits = true, .weight = REPORT_WEIGHT_WAIT_NS };
	text = emit("folded", r, &o, NULL, &err);
	folded_checks("folded --weight wait-ns", text, ex.wait_ns, true);
	check(text && !strstr(text, "[lock wait]"), "folded --weight wait-ns: locks only");
	free(text);

	o = (struct report_opts){ .all_waits = true, .what = REPORT_WHAT_GROWS,
				  .weight = REPORT_WEIGHT_WAIT_NS };
	text = emit("folded", r, &o, NULL, &err);
	check(!text && err == -EINVAL, "folded: --what grows --weight wait-ns is refused (%d)",
	      err);
	free(text);
}

/* Rows cut to the top one: the values still add up to what the rows say. */
static void test_folded_top(const struct report *r)
{
	struct report_opts o = { .all_waits = true, .what = REPORT_WHAT_LOCKS };
	char *text;
	int err;

	text = emit("folded", r, &o, NULL, &err);
	folded_checks("folded, rows cut to 1", text, report_wait(r), true);
	check(report_wait(r) < ex.wait_ns, "rows cut to 1: less wait than the whole run");
	free(text);
	o.what = REPORT_WHAT_GROWS;
	text = emit("folded", r, &o, NULL, &err);
	folded_checks("folded grows, rows cut to 1", text, report_rehash(r), true);
	free(text);
}

/* Without the event log: the rows' top stacks, the rest on [other stacks]. */
static void test_folded_rows(const struct report *r)
{
	struct report_opts o = { .all_waits = true, .what = REPORT_WHAT_LOCKS };
	char *text;
	int err;

	check(r->event_log == NULL, "no event log kept");
	text = emit("folded", r, &o, NULL, &err);
	folded_checks("folded from top stacks", text, ex.wait_ns, true);
	check(text && has_line(text, "mapload;[other stacks] "),
	      "folded from top stacks: what the rows leave out is [other stacks]");
	free(text);
	o.what = REPORT_WHAT_GROWS;
	text = emit("folded", r, &o, NULL, &err);
	folded_checks("folded grows from top stacks", text, ex.rehash_ns, true);
	free(text);
}

/* ---- pprof ------------------------------------------------------------------------------- */

static bool have(const char *cmd)
{
	char buf[256];

	snprintf(buf, sizeof(buf), "command -v %s >/dev/null 2>&1", cmd);
	return system(buf) == 0;
}

/* pprof's "1.71s", "530us", "2.50ms", "123ns", "85": nanoseconds (or a plain count). */
static double pprof_value(const char *s)
{
	static const struct {
		const char *unit;
		double scale;
	} units[] = { { "ns", 1 }, { "us", 1e3 }, { "µs", 1e3 }, { "ms", 1e6 }, { "s", 1e9 },
		      { "mins", 60e9 }, { "hrs", 3600e9 }, { "", 1 } };
	char *end;
	double v = strtod(s, &end);

	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		size_t n = strlen(units[i].unit);

		if (!strncmp(end, units[i].unit, n) && (end[n] == ',' || end[n] == ' ' ||
							 end[n] == '\0' || end[n] == '\n'))
			return v * units[i].scale;
	}
	return -1;
}

/*
 * Run `go tool pprof @args FILE`, print its output as comments, and read "Showing nodes
 * accounting for X, Y% of Z total": @shown = X, @total = Z.  False when it failed.
 */
static bool run_pprof(const char *args, const char *path, double *shown, double *total,
		      char **textp)
{
	char cmd[1024], line[1024];
	size_t len = 0;
	char *text = NULL;
	bool found = false;
	FILE *p, *mem;

	*shown = *total = -1;
	snprintf(cmd, sizeof(cmd), "go tool pprof %s %s 2>&1", args, path);
	p = popen(cmd, "r");
	if (!p)
		return false;
	mem = open_memstream(&text, &len);
	printf("# $ %s\n", cmd);
	while (fgets(line, sizeof(line), p)) {
		const char *of;

		printf("#   %s", line);
		if (mem)
			fputs(line, mem);
		if (!strncmp(line, "Showing nodes accounting for ", 29) &&
		    (of = strstr(line, "% of "))) {
			*shown = pprof_value(line + 29);
			*total = pprof_value(of + 5);
			found = true;
		}
	}
	if (mem)
		fclose(mem);
	if (pclose(p) != 0)
		found = false;
	if (textp)
		*textp = text;
	else
		free(text);
	return found;
}

/* pprof's default units keep 3 significant digits: equal at that precision. */
static bool close_enough(double got, __u64 want)
{
	double w = (double)want;

	return got >= 0 && (got == w || (got > w * 0.995 && got < w * 1.005));
}

/* The sum of value column @col over the samples of `go tool pprof -raw`. */
static bool pprof_raw_sum(const char *path, int col, __u64 *sum)
{
	char cmd[1024], line[1024];
	bool in_samples = false;
	FILE *p;

	*sum = 0;
	snprintf(cmd, sizeof(cmd), "go tool pprof -raw %s 2>&1", path);
	p = popen(cmd, "r");
	if (!p)
		return false;
	while (fgets(line, sizeof(line), p)) {
		char *s = line + strspn(line, " "), *end;
		int c = 0;

		if (!strncmp(line, "Samples:", 8)) {
			in_samples = true;
			continue;
		}
		if (!strncmp(line, "Locations", 9) || !strncmp(line, "Mappings", 8))
			in_samples = false;
		/* a sample: "   count   ns ...: loc loc ..."; its labels: "   lock:[0x...]" */
		if (!in_samples || *s < '0' || *s > '9' || !strchr(s, ':'))
			continue;
		for (;;) {
			unsigned long long v = strtoull(s, &end, 10);

			if (end == s)
				break;
			if (c++ == col)
				*sum += v;
			s = end;
		}
	}
	return pclose(p) == 0;
}

static void test_pprof(const struct report *r)
{
	char path[] = "/tmp/test_export_pprof.XXXXXX";
	struct report_opts o = { .all_waits = true, .what = REPORT_WHAT_LOCKS };
	char *data, *text = NULL;
	double shown, total;
	__u64 sum = 0;
	size_t len = 0;
	bool ran;
	int err, fd;

	data = emit("pprof", r, &o, &len, &err);
	check(data != NULL, "pprof locks: emits (%d)", err);
	check(data && len > 18 && (unsigned char)data[0] == 0x1f && (unsigned char)data[1] == 0x8b,
	      "pprof locks: gzip magic");
	if (!have("go")) {
		skip("pprof: go tool pprof reads the profile", "go not installed");
		free(data);
		return;
	}
	fd = mkstemp(path);
	if (fd < 0 || !data) {
		check(false, "pprof: temporary file: %s", strerror(errno));
		free(data);
		return;
	}
	close(fd);
	/* pprof may keep state under $HOME: give it one */
	if (!getenv("HOME"))
		setenv("HOME", "/tmp", 1);
	check(write_file(path, data, len), "pprof locks: written to %s", path);

	ran = run_pprof("-top", path, &shown, &total, &text);
	check(ran, "go tool pprof -top FILE reads it");
	check(close_enough(total, ex.wait_ns),
	      "go tool pprof -top: total delay %.0fns = the report's total wait %lluns (3 digits)",
	      total, (unsigned long long)ex.wait_ns);
	check(text && strstr(text, "Type: delay") && strstr(text, "File: mapload"),
	      "go tool pprof -top: delay by default, the program's mapping first");
	check(text && strstr(text, "take_lock") && strstr(text, "poll_loop"),
	      "go tool pprof -top: the waiting functions are named");
	check(text && !strstr(text, "symbolization failed") && !strstr(text, "Local symbolization"),
	      "go tool pprof -top: no attempt to symbolize again");
	free(text);
	text = NULL;

	ran = run_pprof("-top -sample_index=delay -unit=ns", path, &shown, &total, NULL);
	check(ran && total == (double)ex.wait_ns,
	      "go tool pprof -top -sample_index=delay -unit=ns: total %.0fns = %lluns exactly",
	      total, (unsigned long long)ex.wait_ns);
	ran = run_pprof("-top -sample_index=contentions", path, &shown, &total, NULL);
	check(ran && total == (double)ex.waits,
	      "go tool pprof -top -sample_index=contentions: total %.0f = %llu contentions", total,
	      (unsigned long long)ex.waits);
	check(pprof_raw_sum(path, 1, &sum) && sum == ex.wait_ns,
	      "go tool pprof -raw: the delays add up to %llu (got %llu)",
	      (unsigned long long)ex.wait_ns, (unsigned long long)sum);
	ran = run_pprof("-top -unit=ns -tagfocus=lock=0x7ffd00001000", path, &shown, &total, NULL);
	check(ran && shown == (double)(2500 * US),
	      "go tool pprof -tagfocus=lock=ADDR: one lock's delay (%.0fns)", shown);
	free(data);

	/* the grow kind */
	o = (struct report_opts){ .all_waits = true, .what = REPORT_WHAT_GROWS };
	data = emit("pprof", r, &o, &len, &err);
	check(data && write_file(path, data, len), "pprof grows: emits (%d)", err);
	ran = run_pprof("-top -unit=ns", path, &shown, &total, &text);
	check(ran && total == (double)ex.rehash_ns,
	      "go tool pprof -top on the grow profile: total rehash %.0fns = %lluns", total,
	      (unsigned long long)ex.rehash_ns);
	check(text && strstr(text, "Type: rehash") && strstr(text, "hash_grow"),
	      "go tool pprof -top on the grow profile: rehash by default, the growing function");
	free(text);
	text = NULL;
	ran = run_pprof("-top -sample_index=grows", path, &shown, &total, NULL);
	check(ran && total == (double)ex.grows, "go tool pprof -sample_index=grows: %.0f = %llu",
	      total, (unsigned long long)ex.grows);
	free(data);

	/* both kinds in one profile */
	o = (struct report_opts){ .all_waits = true };
	data = emit("pprof", r, &o, &len, &err);
	check(data && write_file(path, data, len), "pprof all: emits (%d)", err);
	ran = run_pprof("-top -unit=ns", path, &shown, &total, NULL);
	check(ran && total == (double)ex.wait_ns, "pprof all: delay by default, %.0fns = %lluns",
	      total, (unsigned long long)ex.wait_ns);
	ran = run_pprof("-top -unit=ns -sample_index=rehash", path, &shown, &total, NULL);
	check(ran && total == (double)ex.rehash_ns, "pprof all: rehash %.0fns = %lluns", total,
	      (unsigned long long)ex.rehash_ns);
	free(data);
	if (!getenv("TEST_EXPORT_KEEP"))
		unlink(path);
}

/* ---- JSON checks by python3 --------------------------------------------------------------- */

/*
 * Parse the JSON in @path with python3 and run @checks, Python code that calls
 * chk(name, bool) over the parsed document `d`; python prints the ok/not ok lines, counted
 * here.
 */
static void python_checks(const char *what, const char *path, const char *checks)
{
	char ppath[] = "/tmp/test_export_py.XXXXXX";
	char cmd[512];
	int fd, n = 0;
	FILE *f;

	/* every check is one line starting "chk(" */
	for (const char *c = checks; (c = strstr(c, "chk(")); c++)
		n += c == checks || c[-1] == '\n';
	if (system("python3 -c 'import json' >/dev/null 2>&1")) {
		skip(what, "python3 not found");
		return;
	}
	fd = mkstemp(ppath);
	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		check(false, "%s: temporary file: %s", what, strerror(errno));
		return;
	}
	fprintf(f,
		"import json, sys\n"
		"what = %s%s%s\n"
		"try:\n"
		"    d = json.load(open(sys.argv[1], encoding='utf-8'))\n"
		"except Exception as e:\n"
		"    print('not ok - %%s: JSON parses (%%s)' %% (what, e))\n"
		"    sys.exit(0)\n"
		"print('ok - %%s: JSON parses' %% what)\n"
		"def chk(name, ok):\n"
		"    print('%%s - %%s: %%s' %% ('ok' if ok else 'not ok', what, name))\n"
		"    sys.stdout.flush()\n",
		"\"\"\"", what, "\"\"\"");
	fputs(checks, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "python3 %s %s 2>&1", ppath, path);
	tap_run_checks(cmd, n + 1, what);
	unlink(ppath);
}

static const char chrome_checks[] =
	"ev = d['traceEvents']\n"
	"X = [e for e in ev if e['ph'] == 'X']\n"
	"C = [e for e in ev if e['ph'] == 'C']\n"
	"M = [e for e in ev if e['ph'] == 'M']\n"
	"want = {k: int(v) for k, v in (a.split('=') for a in sys.argv[2:])}\n"
	"grows = [e for e in X if e['cat'] == 'rehash' and 'grow' in e['name']]\n"
	"evac = [e for e in X if e['cat'] == 'rehash' and e['name'] == 'evacuate']\n"
	"waits = [e for e in X if e['cat'] == 'lock']\n"
	"chk('one X per grow (%d)' % len(grows), len(grows) == want['grows'])\n"
	"chk('one X per evacuation step (%d)' % len(evac), len(evac) == want['evacuations'])\n"
	"chk('one X per contended wait (%d)' % len(waits), len(waits) == want['waits'])\n"
	"chk('no other X', len(X) == len(grows) + len(evac) + len(waits))\n"
	"chk('displayTimeUnit ns', d.get('displayTimeUnit') == 'ns')\n"
	"ns = lambda us: int(round(us * 1000))\n"
	"chk('waits add up to the total wait',\n"
	"    sum(e['args']['wait_ns'] for e in waits) == want['wait_ns'])\n"
	"chk('wait names and args', all(e['name'].startswith('wait ') and 'lock' in e['args']\n"
	"    and e['args']['mode'] in ('read', 'write', 'unknown') for e in waits))\n"
	"chk('a mutex wait names its lock and map', any(e['name'] == 'wait mutex 0x55d0a0000100'\n"
	"    and e['args']['map'] == '0x55d0a0003000' and 'take_lock' in e['args']['stack']\n"
	"    for e in waits))\n"
	"chk('a futex wait in a library lock is that lock\\'s', any(e['args']['lock'] ==\n"
	"    '0x55d0a0000100' and e['args'].get('futex') == '0x55d0a0000104' for e in waits))\n"
	"chk('a wait without a stack has stack null',\n"
	"    any(e['args']['stack'] is None for e in waits))\n"
	"first = min(e['ts'] for e in X)\n"
	"chk('timestamps since the trace start, in us (first %s)' % first,\n"
	"    ns(first) == 95000)\n"
	"g = [e for e in grows if e['tid'] == 4243 and e['name'] == 'grow 2^1->2^2']\n"
	"chk('a grow: ts = end - dur, dur in us', len(g) == 1 and ns(g[0]['ts']) == 190000\n"
	"    and ns(g[0]['dur']) == 10000 and g[0]['pid'] == 4242)\n"
	"chk('a grow of an inner map shows its map',\n"
	"    any(e['args']['map'] == '0x55d0a0002000' and e['args'].get('inner_map') ==\n"
	"    '0x55d0a0002200' for e in grows))\n"
	"chk('buckets and entries counters per map', any(e['name'] == 'map 0x55d0a0001000' and\n"
	"    e['args']['buckets'] == 8 and e['args']['entries'] == 26 for e in C))\n"
	"chk('counters of inner maps', any(e['name'] == 'map 0x55d0a0002000 / 0x55d0a0002100'\n"
	"    for e in C))\n"
	"chk('a counter at each grow', len([e for e in C if 'buckets' in e['args']]) >=\n"
	"    want['grows'])\n"
	"chk('process name', any(e['name'] == 'process_name' and e['pid'] == 4242 and\n"
	"    e['args']['name'] == 'mapload' for e in M))\n"
	"tids = {e['tid'] for e in ev if e['ph'] in 'XiI'}\n"
	"named = {e['tid'] for e in M if e['name'] == 'thread_name'}\n"
	"chk('a thread name for every thread (%s)' % sorted(tids), tids <= named and\n"
	"    len(named) == want['threads'])\n"
	"bad = []\n"
	"for t in tids:\n"
	"    spans = sorted(((ns(e['ts']), ns(e['ts']) + ns(e['dur']))\n"
	"                    for e in X if e['tid'] == t), key=lambda s: (s[0], -s[1]))\n"
	"    open_ = []\n"
	"    for s, e in spans:\n"
	"        while open_ and open_[-1] <= s:\n"
	"            open_.pop()\n"
	"        if open_ and e > open_[-1]:\n"
	"            bad.append((t, s, e))\n"
	"        open_.append(e)\n"
	"chk('spans nest on every thread %s' % bad, not bad)\n"
	"tr = [e for e in X if 'trimmed_ns' in e['args']]\n"
	"chk('the straddling grow is trimmed to its wait', len(tr) == want['trimmed'] and\n"
	"    ns(tr[0]['ts']) + ns(tr[0]['dur']) == 500000 and\n"
	"    tr[0]['args']['trimmed_ns'] == 20000)\n"
	"chk('durations are not negative', all(e['dur'] >= 0 for e in X))\n";

static void test_chrome(const struct report *r)
{
	char path[] = "/tmp/test_export_chrome.XXXXXX";
	char checks[sizeof(chrome_checks) + 256];
	struct report_opts o = { .all_waits = true };
	char *data;
	size_t len = 0;
	int err, fd;

	data = emit("chrome", r, &o, &len, &err);
	check(data != NULL, "chrome: emits (%d)", err);
	fd = mkstemp(path);
	if (fd < 0 || !data) {
		free(data);
		return;
	}
	close(fd);
	write_file(path, data, len);
	/* the expected figures, as python's arguments */
	snprintf(checks, sizeof(checks),
		 "sys.argv[2:] = ['grows=%llu', 'evacuations=%llu', 'waits=%llu', "
		 "'wait_ns=%llu', 'trimmed=%llu', 'threads=%d']\n%s",
		 (unsigned long long)ex.grows, (unsigned long long)ex.evacuations,
		 (unsigned long long)ex.waits, (unsigned long long)ex.wait_ns,
		 (unsigned long long)ex.trimmed, 6, chrome_checks);
	python_checks("chrome", path, checks);
	unlink(path);
	free(data);
}

static const char json_events_checks[] =
	"want = {k: int(v) for k, v in (a.split('=') for a in sys.argv[2:])}\n"
	"L = d['event_log']\n"
	"chk('every record (%d)' % len(L), len(L) == want['records'])\n"
	"chk('the record count stays in \"events\"', d['events'] == want['records'])\n"
	"kinds = {}\n"
	"for e in L:\n"
	"    kinds[e['type']] = kinds.get(e['type'], 0) + 1\n"
	"chk('types %s' % sorted(kinds.items()), kinds.get('grow') == want['grows'] and\n"
	"    kinds.get('evacuate') == want['evacuations'] and kinds.get('map_create') == 7 and\n"
	"    kinds.get('grow_done') == 1 and kinds.get('promote') == 1 and\n"
	"    kinds.get('map_destroy') == 1)\n"
	"w = [e for e in L if e['type'] in ('lock_wait', 'futex_wait')]\n"
	"chk('waits add up', sum(e['wait_ns'] for e in w if not e.get('in_lib_wait')) ==\n"
	"    want['wait_ns'])\n"
	"chk('in_lib_wait kept and marked', len([e for e in w if e.get('in_lib_wait')]) == 1)\n"
	"g = [e for e in L if e['type'] == 'grow'][0]\n"
	"chk('grow fields', g['map'] == '0x55d0a0001000' and g['old_B'] == 0 and\n"
	"    g['new_B'] == 1 and g['dur_ns'] == 5000 and g['ts_ns'] == 1000100000 and\n"
	"    g['t_ns'] == 100000 and g['tid'] == 4243 and g['pid'] == 4242 and\n"
	"    g['same_size'] is False)\n"
	"chk('stacks as frames, leaf first', g['stack'][0].startswith('hash_grow+0x10'))\n"
	"chk('no stack is null', any(e['stack'] is None for e in L))\n"
	"lw = [e for e in L if e['type'] == 'lock_wait'][0]\n"
	"chk('lock wait fields', lw['lock'] == '0x55d0a0000100' and lw['mode'] == 'write' and\n"
	"    lw['kind'] == 'mutex' and lw['map'] == '0x55d0a0003000')\n"
	"c = [e for e in L if e['type'] == 'map_create' and e['map'] == '0x55d0a0002100'][0]\n"
	"chk('map create fields', c['parent'] == '0x55d0a0002000' and c['variant'] == 'plain')\n";

static void test_json_events(const struct report *r, const struct report *r_nolog)
{
	char path[] = "/tmp/test_export_json.XXXXXX";
	struct report_opts o = { .all_waits = true, .events = true };
	char checks[sizeof(json_events_checks) + 256];
	char *data;
	size_t len = 0;
	int err, fd;

	data = emit("json", r, NULL, &len, &err);
	check(data && !strstr(data, "\"event_log\""), "json: no event log unless asked");
	free(data);
	data = emit("json", r_nolog, &o, &len, &err);
	check(data && strstr(data, "\"event_log\":null"),
	      "json --events: null when the model kept no events");
	free(data);

	data = emit("json", r, &o, &len, &err);
	check(data != NULL, "json --events: emits (%d)", err);
	fd = mkstemp(path);
	if (fd < 0 || !data) {
		free(data);
		return;
	}
	close(fd);
	write_file(path, data, len);
	snprintf(checks, sizeof(checks),
		 "sys.argv[2:] = ['records=%zu', 'grows=%llu', 'evacuations=%llu', "
		 "'wait_ns=%llu']\n%s",
		 r->nevent_log, (unsigned long long)ex.grows, (unsigned long long)ex.evacuations,
		 (unsigned long long)ex.wait_ns, json_events_checks);
	python_checks("json --events", path, checks);
	unlink(path);
	free(data);
}

/* ---- html ---------------------------------------------------------------------------------- */

static int occurrences(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/*
 * Does a tag of @page have attribute @attr (" src=")?  Text is escaped, so every '<' opens
 * markup (or sits in the inline script, which has none of these); attribute values, quoted,
 * may hold the traced program's strings escaped and are skipped.
 */
static bool tag_has(const char *page, const char *attr)
{
	size_t n = strlen(attr);

	for (const char *p = strchr(page, '<'); p; p = strchr(p + 1, '<')) {
		char quote = 0;

		for (const char *q = p + 1; *q && (quote || *q != '>'); q++) {
			if (quote)
				quote = *q == quote ? 0 : quote;
			else if (*q == '"' || *q == '\'')
				quote = *q;
			else if (!strncmp(q, attr, n))
				return true;
		}
	}
	return false;
}

/* What a page must never hold: anything fetched, or markup from the traced program's strings. */
static void html_clean(const char *what, const char *page)
{
	static const char *const bad[] = { "http://", "https://", "url(", "@import", "<img", "<b>",
					   "<script>alert" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		check(!strstr(page, bad[i]), "%s: no '%s' in the page", what, bad[i]);
	check(!tag_has(page, " src=") && !tag_has(page, " href="), "%s: no src= or href= in a tag",
	      what);
}

static void test_html(const struct report *r)
{
	struct report_opts o = { .top = 0 };
	size_t len = 0;
	int err;
	char *page = emit("html", r, &o, &len, &err);

	check(page != NULL, "html: emits (%d)", err);
	if (!page)
		return;
	check(!strncmp(page, "<!DOCTYPE html>", 15) && len > 8 &&
		      !strcmp(page + len - 8, "</html>\n"),
	      "html: one whole document");
	html_clean("html", page);
	check(occurrences(page, "<g class=\"grow\"") == (int)ex.grows,
	      "html: one mark per grow, same-size ones included (%d, want %llu)",
	      occurrences(page, "<g class=\"grow\""), (unsigned long long)ex.grows);
	check(occurrences(page, "data-kind=\"same\"") == 1,
	      "html: the same-size grow marked as one");
	check(occurrences(page, "<svg class=\"chart hist\"") == r->nlocks,
	      "html: a histogram per contended lock (%d)", r->nlocks);
	check(occurrences(page, "<svg class=\"flame\"") == 2, "html: two flame graphs");
	for (int i = 0; i < r->nlocks; i++) {
		const struct lock_report *l = &r->locks[i];
		char want[160], rd[16], wr[16];

		snprintf(want, sizeof(want), "read: %llu waits, %s; write: %llu waits, %s",
			 (unsigned long long)l->read_contentions,
			 report__fmt_ns(rd, sizeof(rd), l->read_wait_ns),
			 (unsigned long long)l->write_contentions,
			 report__fmt_ns(wr, sizeof(wr), l->write_wait_ns));
		check(strstr(page, want) != NULL, "html: lock 0x%llx says '%s'",
		      (unsigned long long)l->addr, want);
	}
	/* frame names go through the escaping: the odd frame's ';' stays, its newline is a space */
	check(strstr(page, "data-n=\"ns::odd;name\"") != NULL, "html: frame names as they are");
	free(page);

	/* --top 1: one map and one lock drawn, the others named in a line */
	o.top = 1;
	page = emit("html", r, &o, &len, &err);
	check(page && occurrences(page, "<svg class=\"chart map\"") == 1 &&
		      strstr(page, "more maps grew (not drawn, --top 1)") &&
		      occurrences(page, "<svg class=\"chart hist\"") == 1 &&
		      strstr(page, "also contended (not drawn, --top 1)"),
	      "html --top 1: one map and one lock drawn, the rest listed (%d)", err);
	free(page);
}

/* The traced program names its threads, functions and command line: none of it is markup. */
static void test_html_hostile(void)
{
	static const struct mt_frame evil[] = {
		{ 0x401000, 0x10, "<img src=x onerror=alert(1)>", "/opt/'app'/<b>m</b>", "ab",
		  "a\"b.c", 1, 1 },
	};
	struct mt_grow g = { .map = M_PLAIN, .count = 6, .dur_ns = 5 * US, .old_B = 0, .new_B = 1 };
	struct report_opts o = { 0 };
	struct run_info *info;
	struct report *r;
	char *page;
	int err;

	m = model__new();
	if (!m) {
		check(false, "html hostile: model");
		return;
	}
	model__keep_events(m, true);
	info = model__info(m);
	info->pid = PID;
	snprintf(info->comm, sizeof(info->comm), "<b>x</b>");
	snprintf(info->cmdline, sizeof(info->cmdline), "\"><script>alert(1)</script>");
	snprintf(info->hostname, sizeof(info->hostname), "<img src=y>");
	info->start_mono_ns = T0;
	info->end_mono_ns = T0 + SEC;
	info->library_found = true;
	rec_create(PID, T0 + 10 * US, M_PLAIN, 0, CMAP_PLAIN, 0, -1);
	add(&g, MT_REC_GROW, sizeof(g), PID, T0 + 100 * US, INTERN(evil));
	if (report__build(m, true, 0, &r)) {
		check(false, "html hostile: report");
		model__free(m);
		return;
	}
	page = emit("html", r, &o, NULL, &err);
	check(page != NULL, "html hostile: emits (%d)", err);
	if (page) {
		html_clean("html hostile", page);
		check(strstr(page, "&lt;img src=x onerror=alert(1)&gt;") != NULL,
		      "html hostile: the function name shown, escaped");
		check(strstr(page, "&quot;&gt;&lt;script&gt;") != NULL,
		      "html hostile: the command line shown, escaped");
	}
	free(page);
	report__free(r);
	model__free(m);
}

/* malloc gives a freed map's memory to the next: one address, two maps, one chart. */
static void test_html_reuse(void)
{
	struct mt_map_destroy destroy = { .map = M_PLAIN };
	struct report_opts o = { 0 };
	struct report *r;
	char *page;
	int err;

	memset(&ex, 0, sizeof(ex));
	m = model__new();
	if (!m) {
		check(false, "html reuse: model");
		return;
	}
	model__keep_events(m, true);
	model__info(m)->pid = PID;
	model__info(m)->start_mono_ns = T0;
	model__info(m)->end_mono_ns = T0 + SEC;
	model__info(m)->library_found = true;
	rec_create(PID, T0 + 10 * US, M_PLAIN, 0, CMAP_PLAIN, 0, -1);
	rec_grow(PID, T0 + 20 * US, M_PLAIN, 0, 1, 7, 2 * US, -1);
	add(&destroy, MT_REC_MAP_DESTROY, sizeof(destroy), PID, T0 + 30 * US, -1);
	rec_create(PID, T0 + 40 * US, M_PLAIN, 0, CMAP_PLAIN, 0, -1);
	rec_grow(PID, T0 + 50 * US, M_PLAIN, 0, 1, 7, 2 * US, -1);
	rec_grow(PID, T0 + 60 * US, M_PLAIN, 1, 2, 14, 3 * US, -1);
	if (report__build(m, true, 0, &r)) {
		check(false, "html reuse: report");
		model__free(m);
		return;
	}
	page = emit("html", r, &o, NULL, &err);
	check(r->nmaps == 2 && page && occurrences(page, "<svg class=\"chart map\"") == 1 &&
		      occurrences(page, "<g class=\"grow\"") == 3 &&
		      strstr(page, "and 1 more maps at its address") &&
		      strstr(page, "<p>3 grows (0 same-size, 0 shrinks), "),
	      "html: two maps at one address (%d rows): one chart, their 3 grows, said so",
	      r->nmaps);
	free(page);
	report__free(r);
	model__free(m);
}

/* ---- the empty report ---------------------------------------------------------------------- */

static void test_empty(void)
{
	struct report_opts o = { .all_waits = true };
	struct report *r;
	struct model *em = model__new();
	char *text;
	size_t len;
	int err;

	model__keep_events(em, true);
	model__info(em)->pid = 1;
	if (!em || report__build(em, true, 0, &r)) {
		check(false, "empty report");
		model__free(em);
		return;
	}
	text = emit("folded", r, &o, &len, &err);
	check(text && len == 0, "folded: nothing traced, no lines (%d)", err);
	free(text);
	text = emit("pprof", r, &o, &len, &err);
	check(text && len > 18, "pprof: nothing traced, a valid empty profile (%d)", err);
	free(text);
	text = emit("chrome", r, &o, &len, &err);
	check(text && strstr(text, "process_name"), "chrome: nothing traced, the process only (%d)",
	      err);
	free(text);
	text = emit("html", r, &o, &len, &err);
	check(text && strstr(text, "no map grew") && strstr(text, "no contended lock") &&
		      occurrences(text, "<svg class=\"flame\"") == 2,
	      "html: nothing traced, a page that says so (%d)", err);
	free(text);
	report__free(r);
	model__free(em);
}

int main(void)
{
	struct report *r, *r_top, *r_rows;
	struct model *full, *rows;

	full = build_model(true);
	r = build_report(0);
	r_top = build_report(1);
	rows = build_model(false); /* same records, no event log: ex is the same */
	m = rows;
	r_rows = build_report(0);

	check(r->nevent_log > 0, "the model kept %zu records", r->nevent_log);

	test_folded(r);
	test_folded_top(r_top);
	test_folded_rows(r_rows);
	test_pprof(r);
	test_chrome(r);
	test_json_events(r, r_rows);
	test_html(r);
	test_empty();
	test_html_hostile();
	test_html_reuse();

	report__free(r);
	report__free(r_top);
	report__free(r_rows);
	model__free(full);
	model__free(rows);
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
