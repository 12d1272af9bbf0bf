// SPDX-License-Identifier: MIT
/*
 * Unit test of trace files (user/trace_file.c): no BPF, no root.
 *
 * A model is fed synthetic records of every type, the way the tracer feeds it, while a writer
 * records the same calls; the file is replayed into a fresh model and both models' reports
 * must agree field by field, histogram bucket by bucket, frame by frame, advice by advice, and
 * render to the same text and JSON.  Then the file's safety rules (0600, no replacing without
 * force, never through a symlink) and the reader's robustness: bad files of every kind, a
 * trace cut at every byte offset, every single bit flipped.
 *
 * Prints one "ok - ..." or "not ok - ..." line per check and exits non-zero on any failure.
 * With MT_CORPUS_DIR set, also writes its traces there as seeds for fuzz/fuzz_trace_reader.c.
 */
/* timeout: 300 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "model.h"
#include "report.h"
#include "sink.h"
#include "trace_file.h"
#include "util.h"
#include "../tap.h"


static void die(const char *what)
{
	perror(what);
	exit(2);
}

#define US  1000ULL
#define MS  1000000ULL
#define SEC 1000000000ULL

#define M_PLAIN	     0x55d0a0001000ULL
#define M_SHARDED    0x55d0a0002000ULL
#define M_SHARD0     0x55d0a0002100ULL
#define M_SHARD1     0x55d0a0002200ULL
#define M_SYNC	     0x55d0a0003000ULL
#define M_SYNC_DIRTY 0x55d0a0003100ULL
#define M_RW	     0x55d0a0004000ULL
#define M_RW_CORE    0x55d0a0004100ULL
#define L_SHARD0     0x55d0a0002040ULL
#define L_SHARD1     0x55d0a0002080ULL
#define L_RW	     0x55d0a0004040ULL
#define L_APP	     0x7ffd00001000ULL
#define L_COND	     0x7ffd00002000ULL
#define L_GRW	     0x55d0a0006000ULL /* a static GRWLock ... */
#define L_GRW_WORD   0x7f0000000b98ULL /* ... and a word of the pthread_rwlock_t it points to */

/* Stacks, leaf first. */
static const struct mt_frame unused_frames[] = {
	{0x400999, 0x9, "never_used", "/opt/app/mapload", "", "", 0, 1},
};
static const struct mt_frame create_frames[] = {
	{0x401040, 0x40, "cmap_new", "/opt/app/libcmap.so.1", "4a1f0c9e2b", "cmap.c", 120, 1},
	{0x40201c, 0x1c, "load_orders", "/opt/app/mapload", "c0ffee0123456789", "orders.c", 88, 1},
	{0x403055, 0x55, "main", "/opt/app/mapload", "c0ffee0123456789", "mapload.c", 300, 1},
};
static const struct mt_frame grow_frames[] = {
	{0x406010, 0x10, "hash_grow", "/opt/app/libcmap.so.1", "4a1f0c9e2b", "cmap.c", 410, 1},
	{0x407020, 0x20, "cmap_put", "/opt/app/libcmap.so.1", "4a1f0c9e2b", "cmap.c", 300, 1},
	{0x40202a, 0x2a, "load_orders", "/opt/app/mapload", "c0ffee0123456789", "orders.c", 91, 1},
};
static const struct mt_frame shard_wait_frames[] = {
	{0x7f0000011000, 0x30, "__lll_lock_wait", "/lib/x86_64-linux-gnu/libc.so.6", "abcdef",
	 "lowlevellock.c", 49, 1},
	{0x7f0000012000, 0x80, "___pthread_mutex_lock", "/lib/x86_64-linux-gnu/libc.so.6", "abcdef",
	 "", 0, 1},
	{0x404012, 0x12, "ccmap_put", "/opt/app/libcmap.so.1", "4a1f0c9e2b", "ccmap.c", 40, 1},
	{0x405099, 0x99, "worker", "/opt/app/mapload", "c0ffee0123456789", "mapload.c", 210, 1},
};
static const struct mt_frame rd_frames[] = {
	{0x7f0000014000, 0x50, "__pthread_rwlock_rdlock_full64", "/lib/x86_64-linux-gnu/libc.so.6",
	 "abcdef", "", 0, 1},
	{0x7f0000020100, 0x100, "ccmap_get", "/opt/app/libcmap.so.1", "4a1f0c9e2b", "ccmap.c", 77,
	 1},
	{0x408030, 0x30, "reader", "/opt/app/mapload", "c0ffee0123456789", "mapload.c", 250, 1},
};
static const struct mt_frame wr_frames[] = {
	{0x7f0000015000, 0x60, "__pthread_rwlock_wrlock_full64", "/lib/x86_64-linux-gnu/libc.so.6",
	 "abcdef", "", 0, 1},
	{0x408090, 0x90, "writer", "/opt/app/mapload", "c0ffee0123456789", "mapload.c", 270, 1},
};
static const struct mt_frame mutex_frames[] = {
	{0x7f0000010000, 0x20, "__futex_abstimed_wait_common", "/lib/x86_64-linux-gnu/libc.so.6",
	 "abcdef", "", 0, 1},
	{0x7f0000012000, 0x80, "pthread_mutex_lock", "/lib/x86_64-linux-gnu/libc.so.6", "abcdef",
	 "", 0, 1},
	{0x409010, 0x10, "take_lock", "/opt/app/mapload", "c0ffee0123456789", "locks.c", 40, 1},
};
static const struct mt_frame cond_frames[] = {
	{0x7f0000016000, 0x70, "pthread_cond_wait", "/lib/x86_64-linux-gnu/libc.so.6", "abcdef", "",
	 0, 1},
	{0x409040, 0x40, "poll_loop", "/opt/app/mapload", "", "", 0, 0},
};
static const struct mt_frame odd_frames[] = {
	/* strings that must survive as they are: separators, quotes, non-ASCII, nothing */
	{0x7f0000031234, 0, "", "", "", "", 0, 0},
	{0x40a000, 0x1, "ns::f<a;b>(\"x\")", "/opt/app dir/m\xc3\xa9;x", "", "f.cc", 7, 1},
};

#define NFRAMES(a) ((int)(sizeof(a) / sizeof((a)[0])))

/*
 * A source: the model a live run builds and the writer fed the same calls, as the tracer does
 * (intern a stack, write it; add a record, write it; set counts, write them).
 */
struct source {
	struct model *m;
	struct trace_writer *w;
	int err; /* first failure of a writer call */
	__u64 ts;
	__u32 cpu;
};

static void note(struct source *s, int err, const char *what)
{
	if (err && !s->err) {
		s->err = err;
		printf("# %s failed: %s\n", what, strerror(-err));
	}
}

static int src_stack(struct source *s, const struct mt_frame *frames, int n)
{
	int idx = model__intern_stack(s->m, frames, n);

	if (idx < 0)
		die("model__intern_stack");
	note(s, trace_writer__stack(s->w, idx, &(struct mt_stack){n, (struct mt_frame *)frames}),
	     "trace_writer__stack");
	return idx;
}

static void src_rec(struct source *s, void *rec, __u16 type, __u16 size, int stack)
{
	struct mt_hdr *h = rec;
	struct mt_event ev;

	h->type = type;
	h->size = size;
	h->cpu = s->cpu++ % 4;
	h->pid = 4243 + s->cpu % 3;
	h->tgid = 4242;
	s->ts += 137 * US;
	h->ts = s->ts;
	h->stack_id = stack >= 0 ? 1000 + stack : -14;
	note(s, trace_writer__record(s->w, h, stack), "trace_writer__record");
	if (mt_event_decode(h, size, &ev, NULL, 0) || model__add_event(s->m, &ev, stack))
		die("model__add_event");
}

static void src_create(struct source *s, __u64 map, __u64 parent, __u32 variant, __u32 B,
		       __u64 hint, int stack)
{
	struct mt_map_create r = {
		.map = map, .hint = hint, .parent = parent, .B = B, .variant = variant};

	src_rec(s, &r, MT_REC_MAP_CREATE, sizeof(r), stack);
}

/* A doubling of @map from @B, with its evacuation steps and its completion. */
static void src_grow(struct source *s, __u64 map, __u32 B, __u64 count, __u64 dur, int stack)
{
	struct mt_grow g = {.map = map, .count = count, .dur_ns = dur, .old_B = B, .new_B = B + 1};
	struct mt_grow_done d = {.map = map, .count = count + 3, .B = B + 1};

	src_rec(s, &g, MT_REC_GROW, sizeof(g), stack);
	for (__u64 b = 0; b < (1ULL << B); b++) {
		struct mt_evacuate e = {.map = map,
					.oldbucket = b,
					.moved = 5 + b % 4,
					.dur_ns = 300 + b * 97 + B * 1000};

		src_rec(s, &e, MT_REC_EVACUATE, sizeof(e), -1);
	}
	src_rec(s, &d, MT_REC_GROW_DONE, sizeof(d), -1);
}

static void src_lock(struct source *s, __u64 map, __u64 lock, __u32 kind, __u32 mode, __u64 wait,
		     int stack)
{
	struct mt_lock_wait r = {
		.map = map, .lock = lock, .wait_ns = wait, .mode = mode, .kind = kind};

	src_rec(s, &r, MT_REC_LOCK_WAIT, sizeof(r), stack);
}

/* A release of a library lock that a waiter waited behind, held @hold ns. */
static void src_hold(struct source *s, __u64 map, __u64 lock, __u32 kind, __u64 hold, int stack)
{
	struct mt_lock_hold r = { .map = map, .lock = lock, .hold_ns = hold, .kind = kind };

	src_rec(s, &r, MT_REC_LOCK_HOLD, sizeof(r), stack);
}

static void src_futex(struct source *s, __u64 uaddr, __u64 wait, __u32 in_lib, int stack)
{
	struct mt_futex_wait r = {.uaddr = uaddr,
				  .wait_ns = wait,
				  .ret = in_lib ? 0 : -110,
				  .op = 0x80,
				  .in_lib_wait = in_lib};

	src_rec(s, &r, MT_REC_FUTEX_WAIT, sizeof(r), stack);
}

static void src_alias(struct source *s, __u64 word, __u64 lock, const char *name)
{
	note(s, trace_writer__lock_alias(s->w, word, lock, name), "trace_writer__lock_alias");
	if (model__alias_lock(s->m, word, lock, name))
		die("model__alias_lock");
}

static void src_counts(struct source *s, __u64 map, __u64 ins, __u64 del, __u64 hits, __u64 misses)
{
	struct mt_map_counts c = { .inserts = ins, .deletes = del, .sync_hits = hits, .sync_misses = misses };

	note(s, trace_writer__counts(s->w, map, &c), "trace_writer__counts");
	if (model__set_counts(s->m, map, &c))
		die("model__set_counts");
}

static void src_drops(struct source *s, __u64 rb, __u64 stack, __u64 state)
{
	__u64 d[MT_DROP_MAX] = {rb, stack, state};

	note(s, trace_writer__drops(s->w, d), "trace_writer__drops");
	model__set_dropped(s->m, d);
}

static void src_begin(struct source *s, const char *path)
{
	struct run_info *info;
	int err;

	memset(s, 0, sizeof(*s));
	s->m = model__new();
	if (!s->m)
		die("model__new");
	err = trace_writer__open(path, true, &s->w);
	if (err) {
		fprintf(stderr, "trace_writer__open %s: %s\n", path, strerror(-err));
		exit(2);
	}
	info = model__info(s->m);
	info->pid = 4242;
	snprintf(info->comm, sizeof(info->comm), "mapload");
	snprintf(info->cmdline, sizeof(info->cmdline), "./mapload --keys 100000 --threads 4");
	snprintf(info->hostname, sizeof(info->hostname), "db-17.example.net");
	snprintf(info->kernel, sizeof(info->kernel), "6.1.0-18-amd64");
	snprintf(info->version, sizeof(info->version), "0.1.0");
	info->start_wall_ns = 1700000000ULL * SEC + 123456789;
	info->start_mono_ns = 5000 * SEC;
	info->library_found = true;
	s->ts = info->start_mono_ns;
	note(s, trace_writer__meta(s->w, info), "trace_writer__meta");
}

static void src_end(struct source *s)
{
	struct run_info *info = model__info(s->m);

	info->end_mono_ns = s->ts + 250 * MS;
	info->target_exited = true;
	note(s, trace_writer__end(s->w, info), "trace_writer__end");
	note(s, trace_writer__close(s->w), "trace_writer__close");
	s->w = NULL;
}

/* Every record type, every map variant, every lock kind, address reuse, counts and drops. */
static void scenario_full(struct source *s)
{
	int st_unused, st_create, st_grow, st_shard, st_rd, st_wr, st_mutex, st_cond, st_odd;
	__u64 count = 0;

	/* a stack the model knows but no record uses: file indexes are then sparse */
	st_unused = model__intern_stack(s->m, unused_frames, NFRAMES(unused_frames));
	if (st_unused < 0)
		die("model__intern_stack");

	/* a plain map that grows from 1 to 64 buckets, then is freed and its address reused */
	st_create = src_stack(s, create_frames, NFRAMES(create_frames));
	st_grow = src_stack(s, grow_frames, NFRAMES(grow_frames));
	src_create(s, M_PLAIN, 0, 0, 0, 0, st_create);
	for (__u32 B = 0; B < 6; B++) {
		count = (13ULL << B) / 2 + 1;
		src_counts(s, M_PLAIN, count, B, 0, 0);
		src_grow(s, M_PLAIN, B, count, 20 * US + B * 7 * US, st_grow);
	}
	src_counts(s, M_PLAIN, 500, 6, 0, 0);
	{
		struct mt_map_destroy d = {.map = M_PLAIN, .counts = {520, 6, 0, 0}};

		src_rec(s, &d, MT_REC_MAP_DESTROY, sizeof(d), -1);
	}
	src_create(s, M_PLAIN, 0, 0, 4, 100, st_create);
	src_counts(s, M_PLAIN, 90, 0, 0, 0);

	/* a sharded map: its own record, two inner maps, shard locks with waits */
	st_shard = src_stack(s, shard_wait_frames, NFRAMES(shard_wait_frames));
	src_create(s, M_SHARDED, 0, 3, 0, 0, st_create);
	src_create(s, M_SHARD0, M_SHARDED, 0, 2, 0, -1);
	src_create(s, M_SHARD1, M_SHARDED, 0, 2, 0, -1);
	src_grow(s, M_SHARD0, 2, 27, 55 * US, st_grow);
	src_grow(s, M_SHARD1, 2, 27, 61 * US, st_grow);
	for (int i = 0; i < 40; i++) {
		src_lock(s, M_SHARDED, i % 3 ? L_SHARD0 : L_SHARD1, 0, 0, 40 * US + i * 13 * US,
			 st_shard);
		/* the futex wait inside that library wait: counted once, by the library */
		src_futex(s, L_SHARD0 + 8, 30 * US, 1, st_shard);
	}
	/* the holds those waits waited behind, as libcmap's lock_hold reports them */
	for (int i = 0; i < 12; i++)
		src_hold(s, M_SHARDED, L_SHARD0, 0, 25 * US + i * 3 * US, i % 4 ? st_grow : st_shard);
	/* and one the library did not time (the lock's first contended hold) */
	src_hold(s, M_SHARDED, L_SHARD0, 0, MT_HOLD_UNTIMED, st_shard);
	src_counts(s, M_SHARD0, 4000, 100, 0, 0);
	src_counts(s, M_SHARD1, 3900, 90, 0, 0);

	/* a sync map whose reads keep missing: promotions and hit/miss counters */
	src_create(s, M_SYNC, 0, 4, 0, 0, st_create);
	src_create(s, M_SYNC_DIRTY, M_SYNC, 0, 3, 0, -1);
	for (int i = 0; i < 5; i++) {
		struct mt_promote p = {.map = M_SYNC, .dirty_len = 40 + i};

		src_rec(s, &p, MT_REC_PROMOTE, sizeof(p), -1);
	}
	src_counts(s, M_SYNC, 0, 0, 100, 270);
	src_counts(s, M_SYNC_DIRTY, 60, 2, 0, 0);

	/* an rwlock map: read and write waits with their stacks */
	st_rd = src_stack(s, rd_frames, NFRAMES(rd_frames));
	st_wr = src_stack(s, wr_frames, NFRAMES(wr_frames));
	src_create(s, M_RW, 0, 2, 0, 0, st_create);
	src_create(s, M_RW_CORE, M_RW, 0, 3, 0, -1);
	for (int i = 0; i < 30; i++)
		src_lock(s, M_RW, L_RW, 1, i % 4 ? 1 : 0, 100 * US + (__u64)i * i * US,
			 i % 4 ? st_rd : st_wr);
	src_counts(s, M_RW_CORE, 50, 0, 0, 0);

	/* futex waits outside the library: a mutex, a condvar, one inside a library lock */
	st_mutex = src_stack(s, mutex_frames, NFRAMES(mutex_frames));
	st_cond = src_stack(s, cond_frames, NFRAMES(cond_frames));
	st_odd = src_stack(s, odd_frames, NFRAMES(odd_frames));
	for (int i = 0; i < 20; i++)
		src_futex(s, L_APP, 2 * MS + (__u64)i * 50 * US, 0, st_mutex);
	for (int i = 0; i < 5; i++)
		src_futex(s, L_COND, 10 * MS, 0, st_cond);
	src_futex(s, L_RW + 4, 90 * US, 0, st_rd);
	/* a GRWLock's waits, on its pthread_rwlock_t's word, counted under the GRWLock */
	src_futex(s, L_GRW_WORD, 70 * US, 0, st_rd);
	src_alias(s, L_GRW_WORD, L_GRW, "type_rw_lock");
	for (int i = 0; i < 3; i++)
		src_futex(s, L_GRW_WORD, 80 * US, 0, i ? st_rd : st_wr);
	src_futex(s, L_APP + 0x100, 5 * US, 0, st_odd);
	src_futex(s, L_APP + 0x200, 6 * US, 0, -1);
	/* no stack, but the word was expected to be 2: a contended lll-style mutex */
	{
		struct mt_futex_wait r = { .h.flags = MT_HDR_FUTEX_VAL | 2 << MT_HDR_FUTEX_VAL_SHIFT,
					   .uaddr = L_APP + 0x300,
					   .wait_ns = 7 * US, .ret = 0, .op = 0x80 };

		src_rec(s, &r, MT_REC_FUTEX_WAIT, sizeof(r), st_odd);
	}
	/* no stacks: 3 (unknown yet), 2 (a mutex, it seems), 3 again: glibc's rwlock after all */
	for (int i = 0; i < 3; i++) {
		struct mt_futex_wait r = { .h.flags = MT_HDR_FUTEX_VAL |
						      (i == 1 ? 2 : 3) << MT_HDR_FUTEX_VAL_SHIFT,
					   .uaddr = L_APP + 0x408, .wait_ns = 9 * US, .op = 0x89 };

		src_rec(s, &r, MT_REC_FUTEX_WAIT, sizeof(r), -1);
	}
	/* a stack interned again (another BPF stack id, same frames): written once */
	note(s,
	     trace_writer__stack(
		     s->w, st_mutex,
		     &(struct mt_stack){NFRAMES(mutex_frames), (struct mt_frame *)mutex_frames}),
	     "trace_writer__stack again");

	src_drops(s, 3, 1, 0);
	src_counts(s, M_PLAIN, 95, 1, 0, 0);
	src_drops(s, 7, 2, 1);
}

/* A small trace for the byte-by-byte and bit-by-bit checks: one of everything that matters. */
static void scenario_small(struct source *s)
{
	static const struct mt_frame f[] = {
		{0x401000, 0x10, "load", "/a/m", "ab12", "m.c", 3, 1},
		{0x402000, 0x20, "main", "/a/m", "ab12", "m.c", 9, 1},
	};
	int st = src_stack(s, f, NFRAMES(f));

	src_create(s, M_PLAIN, 0, 0, 0, 0, st);
	src_grow(s, M_PLAIN, 0, 7, 10 * US, st);
	src_counts(s, M_PLAIN, 8, 1, 0, 0);
	src_lock(s, M_SHARDED, L_SHARD0, 0, 0, 3 * MS, st);
	src_futex(s, L_APP, 4 * MS, 0, -1);
	src_alias(s, L_APP + 8, L_GRW, "g");
	src_futex(s, L_APP + 8, 2 * MS, 0, st);
	src_drops(s, 1, 0, 0);
}

/* ---------------------------------------------------------------------------------------- */

static char dir[] = "/tmp/test_trace_file.XXXXXX";

static char *path_in(const char *name)
{
	static char buf[8][256];
	static int next;
	char *p = buf[next++ % 8];

	snprintf(p, 256, "%s/%s", dir, name);
	return p;
}

static unsigned char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf;
	long n;

	if (!f)
		die(path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc(n ? (size_t)n : 1);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n)
		die(path);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static void spit(const char *path, const void *buf, size_t len)
{
	FILE *f = fopen(path, "wb");

	if (!f || fwrite(buf, 1, len, f) != len || fclose(f))
		die(path);
}

/* One memfd reused for every in-memory load; the reader opens it by its /proc path. */
static int memfd = -1;
static char memfd_path[64];

/* The model as a sink, for the reader (a static: one call's sink lives until the next). */
static const struct sink *sink_of(struct model *m)
{
	static struct sink s;

	model__sink(m, &s);
	return &s;
}

static int load_bytes(const void *buf, size_t len, struct model *m, struct trace_read_status *st)
{
	if (memfd < 0) {
		memfd = memfd_create("trace", MFD_CLOEXEC);
		if (memfd < 0)
			die("memfd_create");
		snprintf(memfd_path, sizeof(memfd_path), "/proc/self/fd/%d", memfd);
	}
	if (ftruncate(memfd, 0) || pwrite(memfd, buf, len, 0) != (ssize_t)len)
		die("memfd write");
	return trace_reader__load(memfd_path, sink_of(m), NULL, st);
}

static char *emit(const char *backend, const struct report *r)
{
	const struct report_backend *b = report_backend__find(backend);
	struct report_opts o = {.histograms = true};
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f || !b)
		die("open_memstream");
	if (b->emit(f, r, &o))
		printf("# %s backend failed\n", backend);
	fclose(f);
	return buf;
}

/* ---------------------------------------------------------------------------------------- */
/* comparing reports */

static int ndiff;

__attribute__((format(printf, 1, 2))) static void diff(const char *fmt, ...)
{
	va_list ap;

	if (ndiff++ >= 20)
		return;
	printf("# differs: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

#define SAME_U(what, a, b)                                                                         \
	do {                                                                                       \
		if ((unsigned long long)(a) != (unsigned long long)(b))                            \
			diff("%s: %llu vs %llu", what, (unsigned long long)(a),                    \
			     (unsigned long long)(b));                                             \
	} while (0)

static void same_str(const char *what, const char *a, const char *b)
{
	if (strcmp(a ?: "(null)", b ?: "(null)"))
		diff("%s: '%s' vs '%s'", what, a ?: "(null)", b ?: "(null)");
}

/* The stacks at @ia in @a and @ib in @b hold the same frames (indexes may differ). */
static void same_stack(const char *what, const struct report *a, int ia, const struct report *b,
		       int ib)
{
	const struct mt_stack *x = report__stack(a, ia), *y = report__stack(b, ib);
	char w[128];

	if (!x || !y) {
		if (!x != !y)
			diff("%s: stack %d vs %d", what, ia, ib);
		return;
	}
	snprintf(w, sizeof(w), "%s frames", what);
	SAME_U(w, x->nframes, y->nframes);
	for (int i = 0; i < x->nframes && i < y->nframes; i++) {
		const struct mt_frame *f = &x->frames[i], *g = &y->frames[i];

		snprintf(w, sizeof(w), "%s frame %d", what, i);
		SAME_U(w, f->ip, g->ip);
		SAME_U(w, f->offset, g->offset);
		SAME_U(w, f->line, g->line);
		SAME_U(w, f->exact, g->exact);
		same_str(w, f->func, g->func);
		same_str(w, f->module, g->module);
		same_str(w, f->build_id, g->build_id);
		same_str(w, f->file, g->file);
	}
}

static void same_hist(const char *what, const struct hist *a, const struct hist *b)
{
	char w[128];

	snprintf(w, sizeof(w), "%s hist", what);
	SAME_U(w, a->count, b->count);
	SAME_U(w, a->sum, b->sum);
	SAME_U(w, a->min, b->min);
	SAME_U(w, a->max, b->max);
	for (int i = 0; i < HIST_NBUCKETS; i++) {
		if (hist__bucket(a, i) != hist__bucket(b, i))
			diff("%s bucket %d: %llu vs %llu", w, i, (unsigned long long)hist__bucket(a, i),
			     (unsigned long long)hist__bucket(b, i));
	}
}

static void same_top(const char *what, const struct report *a, const struct mt_stack_cost *x,
		     int nx, const struct report *b, const struct mt_stack_cost *y, int ny)
{
	char w[128];

	snprintf(w, sizeof(w), "%s ntop", what);
	SAME_U(w, nx, ny);
	for (int i = 0; i < nx && i < ny; i++) {
		snprintf(w, sizeof(w), "%s top %d", what, i);
		SAME_U(w, x[i].count, y[i].count);
		SAME_U(w, x[i].ns, y[i].ns);
		same_stack(w, a, x[i].stack, b, y[i].stack);
	}
}

static void same_map(const struct report *a, const struct map_report *x, const struct report *b,
		     const struct map_report *y)
{
	char w[64];

	snprintf(w, sizeof(w), "map 0x%llx", (unsigned long long)x->addr);
	SAME_U(w, x->addr, y->addr);
	same_str(w, x->library, y->library);
	SAME_U(w, x->variant, y->variant);
	SAME_U(w, x->create_seen, y->create_seen);
	SAME_U(w, x->hint, y->hint);
	same_stack(w, a, x->created_stack, b, y->created_stack);
	same_str(w, x->created_at, y->created_at);
	SAME_U(w, x->inner_maps, y->inner_maps);
	SAME_U(w, x->inserts, y->inserts);
	SAME_U(w, x->deletes, y->deletes);
	SAME_U(w, x->grows, y->grows);
	SAME_U(w, x->same_size_grows, y->same_size_grows);
	SAME_U(w, x->evacuated, y->evacuated);
	SAME_U(w, x->moved, y->moved);
	SAME_U(w, x->grow_ns_total, y->grow_ns_total);
	SAME_U(w, x->grow_ns_max, y->grow_ns_max);
	SAME_U(w, x->alloc_ns_total, y->alloc_ns_total);
	SAME_U(w, x->evac_ns_total, y->evac_ns_total);
	SAME_U(w, x->grows_done, y->grows_done);
	SAME_U(w, x->nsizes, y->nsizes);
	for (int i = 0; i < x->nsizes && i < MT_MAX_SIZES; i++)
		SAME_U(w, x->sizes[i], y->sizes[i]);
	SAME_U(w, x->B, y->B);
	SAME_U(w, x->count, y->count);
	SAME_U(w, x->buckets, y->buckets);
	SAME_U(w, x->capacity, y->capacity);
	SAME_U(w, x->peak_count, y->peak_count);
	SAME_U(w, x->sync_hits, y->sync_hits);
	SAME_U(w, x->sync_misses, y->sync_misses);
	SAME_U(w, x->promotions, y->promotions);
	same_hist(w, &x->grow_hist, &y->grow_hist);
	same_top(w, a, x->top_stacks, x->ntop, b, y->top_stacks, y->ntop);
}

static void same_lock(const struct report *a, const struct lock_report *x, const struct report *b,
		      const struct lock_report *y)
{
	char w[64];

	snprintf(w, sizeof(w), "lock 0x%llx", (unsigned long long)x->addr);
	SAME_U(w, x->addr, y->addr);
	same_str(w, x->name, y->name);
	SAME_U(w, x->kind, y->kind);
	SAME_U(w, x->map, y->map);
	SAME_U(w, x->from_library, y->from_library);
	SAME_U(w, x->contentions, y->contentions);
	SAME_U(w, x->wait_ns, y->wait_ns);
	SAME_U(w, x->read_contentions, y->read_contentions);
	SAME_U(w, x->read_wait_ns, y->read_wait_ns);
	SAME_U(w, x->write_contentions, y->write_contentions);
	SAME_U(w, x->write_wait_ns, y->write_wait_ns);
	SAME_U(w, x->p50_ns, y->p50_ns);
	SAME_U(w, x->p99_ns, y->p99_ns);
	SAME_U(w, x->max_ns, y->max_ns);
	same_hist(w, &x->hist, &y->hist);
	same_top(w, a, x->top_stacks, x->ntop, b, y->top_stacks, y->ntop);
	SAME_U(w, x->hold_count, y->hold_count);
	SAME_U(w, x->hold_ns, y->hold_ns);
	SAME_U(w, x->hold_p50_ns, y->hold_p50_ns);
	SAME_U(w, x->hold_p99_ns, y->hold_p99_ns);
	SAME_U(w, x->hold_max_ns, y->hold_max_ns);
	same_top(w, a, x->hold_stacks, x->nhold_stacks, b, y->hold_stacks, y->nhold_stacks);
	SAME_U(w, x->hold_untimed, y->hold_untimed);
}

static void same_info(const struct run_info *a, const struct run_info *b)
{
	SAME_U("pid", a->pid, b->pid);
	same_str("comm", a->comm, b->comm);
	same_str("cmdline", a->cmdline, b->cmdline);
	same_str("hostname", a->hostname, b->hostname);
	same_str("kernel", a->kernel, b->kernel);
	same_str("version", a->version, b->version);
	SAME_U("start_wall_ns", a->start_wall_ns, b->start_wall_ns);
	SAME_U("start_mono_ns", a->start_mono_ns, b->start_mono_ns);
	SAME_U("end_mono_ns", a->end_mono_ns, b->end_mono_ns);
	SAME_U("library_found", a->library_found, b->library_found);
	SAME_U("target_exited", a->target_exited, b->target_exited);
}

/* Number of differences between two reports (each printed as a "# differs" line). */
static int compare_reports(const struct report *a, const struct report *b)
{
	ndiff = 0;
	same_info(&a->info, &b->info);
	SAME_U("events", a->events, b->events);
	SAME_U("futex_waits_in_lib", a->futex_waits_in_lib, b->futex_waits_in_lib);
	for (int i = 0; i < MT_DROP_MAX; i++)
		SAME_U("dropped", a->dropped[i], b->dropped[i]);
	SAME_U("nmaps", a->nmaps, b->nmaps);
	for (int i = 0; i < a->nmaps && i < b->nmaps; i++)
		same_map(a, &a->maps[i], b, &b->maps[i]);
	SAME_U("nlocks", a->nlocks, b->nlocks);
	for (int i = 0; i < a->nlocks && i < b->nlocks; i++)
		same_lock(a, &a->locks[i], b, &b->locks[i]);
	SAME_U("nwaits", a->nwaits, b->nwaits);
	for (int i = 0; i < a->nwaits && i < b->nwaits; i++)
		same_lock(a, &a->waits[i], b, &b->waits[i]);
	SAME_U("nadvice", a->nadvice, b->nadvice);
	for (int i = 0; i < a->nadvice && i < b->nadvice; i++)
		same_str("advice", a->advice[i], b->advice[i]);
	return ndiff;
}

static struct report *report_of(struct model *m)
{
	struct report *r;

	if (report__build(m, true, 0, &r))
		die("report__build");
	return r;
}

/* ---------------------------------------------------------------------------------------- */

static void test_round_trip(const char *path)
{
	static const struct mt_frame dummy[] = {
		{0x1, 0, "placeholder", "/x", "", "", 0, 0},
		{0x2, 0, "shifts_every_index", "/x", "", "", 0, 0},
	};
	struct trace_read_status st;
	struct source s;
	struct model *m;
	struct report *ra, *rb;
	char *ta, *tb;
	int err;

	src_begin(&s, path);
	scenario_full(&s);
	src_end(&s);
	check(!s.err, "writer: every call of a full scenario succeeds");

	/* a model that already holds stacks: file indexes must be mapped, not assumed equal */
	m = model__new();
	if (!m || model__intern_stack(m, dummy, 1) < 0 || model__intern_stack(m, dummy + 1, 1) < 0)
		die("model");
	err = trace_reader__load(path, sink_of(m), NULL, &st);
	check(!err && st.complete && !st.truncated && !st.why[0],
	      "reader: the full trace loads completely (err %d, complete %d, why '%s')", err,
	      st.complete, st.why);
	ra = report_of(s.m);
	rb = report_of(m);
	check(st.events == ra->events, "reader: %llu events read, %llu recorded",
	      (unsigned long long)st.events, (unsigned long long)ra->events);
	check(ra->nmaps >= 4 && ra->nlocks >= 5 && ra->nadvice >= 3,
	      "fixture: %d map rows, %d lock rows, %d advice lines", ra->nmaps, ra->nlocks,
	      ra->nadvice);
	check(!compare_reports(ra, rb),
	      "round trip: info, maps, locks, histograms, stacks, drops and advice agree");
	for (int i = 0; i < rb->nlocks; i++) {
		const struct lock_report *l = &rb->locks[i];

		if (l->addr == L_GRW)
			check(!strcmp(l->name, "type_rw_lock") && l->contentions == 3 &&
				      l->read_contentions == 2 && l->write_contentions == 1,
			      "round trip: the GRWLock's 3 waits after its alias, named %s (%llu)",
			      l->name, (unsigned long long)l->contentions);
		if (l->addr == L_APP + 0x300 || l->addr == L_APP + 0x100)
			check(l->kind == (l->addr == L_APP + 0x300 ? MT_LOCK_MUTEX : MT_LOCK_FUTEX),
			      "round trip: a word expected to be 2 is a mutex's, one that was not "
			      "stays a futex (0x%llx: %s)", (unsigned long long)l->addr,
			      mt_lock_kind_name(l->kind));
		if (l->addr == L_APP + 0x408)
			check(l->kind == MT_LOCK_RWLOCK && l->contentions == 3 &&
				      l->read_contentions == 1 && l->write_contentions == 1,
			      "round trip: waits expecting 3, 2, 3 are an rwlock's, the last a read, "
			      "the second a write (%s, %llu: r %llu w %llu)", mt_lock_kind_name(l->kind),
			      (unsigned long long)l->contentions,
			      (unsigned long long)l->read_contentions,
			      (unsigned long long)l->write_contentions);
		if (l->addr == L_SHARD0)
			check(l->hold_count == 13 && l->hold_untimed == 1 && l->nhold_stacks == 2 &&
				      l->hold_max_ns == 25 * US + 11 * 3 * US &&
				      l->hold_ns == 12 * 25 * US + 66 * 3 * US &&
				      l->hold_stacks[0].count + l->hold_stacks[1].count == 12,
			      "round trip: the shard lock's 13 holds, 1 untimed, the 12 timed at 2 "
			      "stacks, 498 us in all, the longest 58 us (%llu, %llu untimed, at %d, "
			      "%llu ns, max %llu)",
			      (unsigned long long)l->hold_count, (unsigned long long)l->hold_untimed,
			      l->nhold_stacks, (unsigned long long)l->hold_ns,
			      (unsigned long long)l->hold_max_ns);
		if (l->addr == L_GRW_WORD)
			check(l->contentions == 1 && !l->name[0],
			      "round trip: the wait before the alias stays at the word (%llu)",
			      (unsigned long long)l->contentions);
	}
	check(rb->nstacks == ra->nstacks - 1 + 2,
	      "round trip: the unused stack is not written; the reader's model keeps its own "
	      "(%d stacks vs %d)",
	      rb->nstacks, ra->nstacks);

	ta = emit("text", ra);
	tb = emit("text", rb);
	check(ta && tb && !strcmp(ta, tb), "round trip: text reports are identical");
	if (ta && tb && strcmp(ta, tb))
		printf("# live:\n%s\n# from file:\n%s\n", ta, tb);
	free(ta);
	free(tb);
	ta = emit("json", ra);
	tb = emit("json", rb);
	check(ta && tb && !strcmp(ta, tb), "round trip: JSON reports are identical");
	free(ta);
	free(tb);
	report__free(ra);
	report__free(rb);
	model__free(m);
	model__free(s.m);
}

/* A stack larger than the writer's buffer goes out on its own, and reads back whole. */
static void test_big_stack(void)
{
	const char *path = path_in("big.trace");
	struct mt_frame frames[127];
	char *names[127], *mod;
	struct trace_read_status st;
	struct source s;
	struct report *ra, *rb;
	struct model *m;
	int idx, err;
	bool ok;

	mod = malloc(5000);
	if (!mod)
		die("malloc");
	memset(mod, 'm', 4999);
	mod[4999] = '\0';
	for (int i = 0; i < 127; i++) {
		names[i] = malloc(1100);
		if (!names[i])
			die("malloc");
		snprintf(names[i], 1100, "f%d_%0*d", i, 1000, i);
		frames[i] = (struct mt_frame){0x400000 + (__u64)i * 16,
					      (__u64)i,
					      names[i],
					      mod,
					      "b1",
					      "deep.c",
					      (__u32)i,
					      1};
	}
	src_begin(&s, path);
	idx = src_stack(&s, frames, 127);
	src_futex(&s, L_APP, 5 * MS, 0, idx);
	src_end(&s);
	check(!s.err, "writer: a 127-frame stack of long strings (about 650 KiB) is written");
	m = model__new();
	err = trace_reader__load(path, sink_of(m), NULL, &st);
	ra = report_of(s.m);
	rb = report_of(m);
	/* a futex wait of unknown kind is no lock contention: report__build() puts it in waits */
	check(!err && st.complete && ra->nwaits == 1 && rb->nwaits == 1 && !ra->nlocks &&
		      !rb->nlocks,
	      "reader: the big stack's trace loads completely");
	/* module paths are cut at 4096 bytes by the writer; everything else comes back whole */
	ok = rb->nstacks == 1 && rb->stacks[0].nframes == 127;
	for (int i = 0; ok && i < 127; i++) {
		const struct mt_frame *f = &rb->stacks[0].frames[i];

		ok = f->ip == frames[i].ip && f->offset == frames[i].offset &&
		     f->line == frames[i].line && !strcmp(f->func, names[i]) &&
		     strlen(f->module) == 4096 && !strncmp(f->module, mod, 4096) &&
		     !strcmp(f->build_id, "b1") && !strcmp(f->file, "deep.c");
	}
	check(ok, "reader: 127 frames back, long strings cut at 4096 bytes");
	report__free(ra);
	report__free(rb);
	model__free(m);
	model__free(s.m);
	for (int i = 0; i < 127; i++)
		free(names[i]);
	free(mod);
}

static void test_writer_rules(void)
{
	const char *path = path_in("rules.trace"), *target = path_in("precious.txt");
	const char *link = path_in("link.trace"), *dangling = path_in("dangling.trace");
	const char *gone = path_in("not-there");
	struct mt_grow g = {.h = {.type = MT_REC_GROW, .size = sizeof(g)}};
	struct mt_hdr tiny = {.type = MT_REC_GROW, .size = 8};
	struct trace_writer *w;
	struct run_info info = {0};
	struct stat sb;
	size_t len;
	unsigned char *buf;
	mode_t old, mode;
	int err;

	/* 0600 even under a permissive umask and under one that removes the owner's bits */
	old = umask(0);
	err = trace_writer__open(path, false, &w);
	mode = err || stat(path, &sb) ? 0 : sb.st_mode & 07777;
	check(mode == 0600, "writer: file created with mode 0600 under umask 000 (mode %o)",
	      (unsigned)mode);
	check(trace_writer__record(w, &g.h, 3) == -EINVAL,
	      "writer: a record whose stack was never written is refused (-EINVAL)");
	check(trace_writer__record(w, &tiny, -1) == -EINVAL,
	      "writer: a record shorter than its header is refused (-EINVAL)");
	check(trace_writer__stack(w, -2, &(struct mt_stack){0, NULL}) == -EINVAL,
	      "writer: a negative stack index is refused (-EINVAL)");
	check(!trace_writer__end(w, &info) && trace_writer__record(w, &g.h, -1) == -EINVAL,
	      "writer: nothing is written after the end record");
	check(!trace_writer__close(w), "writer: close succeeds");
	check(!trace_writer__close(NULL), "writer: close(NULL) is a no-op");
	umask(0277);
	unlink(path);
	err = trace_writer__open(path, false, &w);
	mode = err || stat(path, &sb) ? 0 : sb.st_mode & 07777;
	check(mode == 0600, "writer: mode 0600 under umask 277 (mode %o)", (unsigned)mode);
	trace_writer__close(w);
	umask(old);

	/* an existing file: refused without force, replaced with it */
	spit(path, "old contents\n", 13);
	chmod(path, 0644);
	err = trace_writer__open(path, false, &w);
	buf = slurp(path, &len);
	check(err == -EEXIST && len == 13 && !memcmp(buf, "old contents\n", 13),
	      "writer: an existing file is refused without force (-EEXIST) and left alone");
	free(buf);
	err = trace_writer__open(path, true, &w);
	check(!err, "writer: force replaces an existing regular file");
	trace_writer__close(w);
	buf = slurp(path, &len);
	check(!stat(path, &sb) && (sb.st_mode & 07777) == 0600 && len >= 8 &&
		      !memcmp(buf, "MAPTRACE", 8),
	      "writer: the replaced file is a new trace with mode 0600");
	free(buf);

	/* a symlink: refused with and without force, and its target untouched */
	spit(target, "precious\n", 9);
	if (symlink(target, link) || symlink(gone, dangling))
		die("symlink");
	err = trace_writer__open(link, false, &w);
	check(err == -ELOOP, "writer: a symlink is refused (-ELOOP), got %d", err);
	err = trace_writer__open(link, true, &w);
	buf = slurp(target, &len);
	check(err == -ELOOP && len == 9 && !memcmp(buf, "precious\n", 9) && !lstat(link, &sb) &&
		      S_ISLNK(sb.st_mode),
	      "writer: a symlink is refused even with force; link and target untouched");
	free(buf);
	err = trace_writer__open(dangling, true, &w);
	check(err == -ELOOP && access(gone, F_OK) && !lstat(dangling, &sb) && S_ISLNK(sb.st_mode),
	      "writer: a dangling symlink is refused with force and nothing is created");

	/* a directory: not replaced */
	err = trace_writer__open(dir, true, &w);
	check(err == -EISDIR, "writer: a directory is refused with force (-EISDIR), got %d", err);
	err = trace_writer__open(path_in("no/such/dir.trace"), false, &w);
	check(err == -ENOENT, "writer: a missing directory gives -ENOENT, got %d", err);
}

/* ---------------------------------------------------------------------------------------- */
/* crafting files by hand, from the format document */

struct craft {
	unsigned char *p;
	size_t len, cap;
};

static void craft_put(struct craft *c, const void *p, size_t n)
{
	if (c->len + n > c->cap) {
		c->cap = (c->len + n) * 2 + 256;
		c->p = realloc(c->p, c->cap);
		if (!c->p)
			die("realloc");
	}
	memcpy(c->p + c->len, p, n);
	c->len += n;
}

static void put_u32(struct craft *c, __u32 v)
{
	craft_put(c, &v, 4);
}

static void put_u64(struct craft *c, __u64 v)
{
	craft_put(c, &v, 8);
}

static void put_string(struct craft *c, const char *s)
{
	put_u32(c, (__u32)strlen(s));
	craft_put(c, s, strlen(s));
}

static void craft_header(struct craft *c, __u32 version, __u32 size)
{
	unsigned char h[64] = "MAPTRACE";
	__u32 v[] = {0x01020304, version, size, MT_ABI_VERSION, 0, 0};
	uLong crc;

	memcpy(h + 8, v, sizeof(v));
	crc = crc32(0, h, size);
	memcpy(h + 28, &(__u32){(__u32)crc}, 4);
	craft_put(c, h, size);
}

/* Append a record of @type around @payload, sized, padded and checksummed as documented. */
static void craft_record(struct craft *c, __u32 type, const struct craft *payload)
{
	__u32 size = (16 + (__u32)payload->len + 7) & ~7u;
	unsigned char *rec = calloc(1, size);
	__u32 crc;

	if (!rec)
		die("calloc");
	memcpy(rec, &type, 4);
	memcpy(rec + 4, &size, 4);
	memcpy(rec + 12, &(__u32){(__u32)payload->len}, 4);
	memcpy(rec + 16, payload->p, payload->len);
	crc = (__u32)crc32(crc32(0, rec, 8), rec + 12, size - 12);
	memcpy(rec + 8, &crc, 4);
	craft_put(c, rec, size);
	free(rec);
}

static void craft_event(struct craft *c, int stack, const void *rec, __u32 len)
{
	struct craft p = {0};

	put_u32(&p, (__u32)stack);
	put_u32(&p, len);
	craft_put(&p, rec, len);
	craft_record(c, 3, &p);
	free(p.p);
}

/* A file from a future writer that only appended: every extension point at once. */
static void test_forward_compat(void)
{
	struct craft c = {0}, p = {0};
	struct mt_grow g = {.h = {.type = MT_REC_GROW, .size = sizeof(g), .ts = 7 * SEC},
			    .map = M_PLAIN,
			    .count = 6,
			    .dur_ns = 12 * US,
			    .old_B = 0,
			    .new_B = 1};
	__u64 future[8] = {0};
	struct mt_hdr *fh = (struct mt_hdr *)future;
	struct trace_read_status st;
	struct model *m = model__new();
	struct report *r;
	const struct run_info *info;
	int err;

	craft_header(&c, 1, 40); /* 8 more header bytes */
	/* meta: a fixed part 8 bytes longer, and a sixth string */
	put_u32(&p, 40);
	put_u32(&p, 77);
	put_u64(&p, 1700000000ULL * SEC);
	put_u64(&p, 6 * SEC);
	put_u32(&p, 1);
	put_u32(&p, 6);
	put_u64(&p, 0xfeedULL);
	put_string(&p, "future");
	put_string(&p, "future --x");
	put_string(&p, "host");
	put_string(&p, "9.9.9");
	put_string(&p, "9.0");
	put_string(&p, "a string this reader does not know");
	craft_record(&c, 1, &p);
	p.len = 0;
	/* a record type this reader does not know */
	put_u64(&p, 42);
	craft_record(&c, 99, &p);
	p.len = 0;
	/* stack 5: frames with 8 more fixed bytes and a fifth string */
	put_u32(&p, 5);
	put_u32(&p, 1);
	put_u32(&p, 32);
	put_u32(&p, 5);
	put_u64(&p, 0x401000);
	put_u64(&p, 0x10);
	put_u32(&p, 12);
	put_u32(&p, 1);
	put_u64(&p, 0xabcdef);
	put_string(&p, "grow_here");
	put_string(&p, "/bin/future");
	put_string(&p, "bid");
	put_string(&p, "f.c");
	put_string(&p, "column 7");
	craft_record(&c, 2, &p);
	p.len = 0;
	craft_event(&c, 5, &g, sizeof(g));
	/* a ring-buffer record type this reader does not know */
	fh->type = 200;
	fh->size = sizeof(future);
	craft_event(&c, -1, future, sizeof(future));
	/* counts with a fifth counter, drops with a fourth */
	put_u64(&p, 7 * SEC);
	put_u64(&p, M_PLAIN);
	for (int i = 0; i < 5; i++)
		put_u64(&p, 10 + (__u64)i);
	craft_record(&c, 4, &p);
	p.len = 0;
	put_u64(&p, 7 * SEC);
	for (int i = 0; i < 4; i++)
		put_u64(&p, 1 + (__u64)i);
	craft_record(&c, 5, &p);
	p.len = 0;
	/* end, 8 bytes longer */
	put_u64(&p, 8 * SEC);
	put_u32(&p, 1);
	put_u32(&p, 0);
	put_u64(&p, 2);
	put_u64(&p, 1);
	put_u64(&p, 0);
	craft_record(&c, 6, &p);

	err = load_bytes(c.p, c.len, m, &st);
	r = report_of(m);
	info = &r->info;
	check(!err && st.complete && !st.why[0] && st.skipped == 2 && st.events == 1,
	      "compat: appended fields, an unknown record type and an unknown ring record are "
	      "skipped (err %d, complete %d, skipped %llu, why '%s')",
	      err, st.complete, (unsigned long long)st.skipped, st.why);
	check(info->pid == 77 && !strcmp(info->comm, "future") &&
		      !strcmp(info->cmdline, "future --x") && !strcmp(info->hostname, "host") &&
		      !strcmp(info->kernel, "9.9.9") && !strcmp(info->version, "9.0") &&
		      info->library_found && info->end_mono_ns == 8 * SEC && info->target_exited,
	      "compat: run metadata read past appended fields");
	check(r->nmaps == 1 && r->maps[0].grows == 1 && r->maps[0].inserts == 10 &&
		      r->maps[0].sync_misses == 13 && r->dropped[0] == 1 && r->dropped[2] == 3 &&
		      r->maps[0].ntop == 1 && r->nstacks == 1 &&
		      r->maps[0].top_stacks[0].stack == 0 &&
		      !strcmp(r->stacks[0].frames[0].func, "grow_here") &&
		      !strcmp(r->stacks[0].frames[0].file, "f.c") &&
		      r->stacks[0].frames[0].line == 12,
	      "compat: records, counters and the stack (file index 5, model index 0) read");
	if (getenv("MT_CORPUS_DIR")) {
		char seed[512];

		snprintf(seed, sizeof(seed), "%s/compat.trace", getenv("MT_CORPUS_DIR"));
		spit(seed, c.p, c.len);
	}
	report__free(r);
	model__free(m);

	/* a known ring record shorter than its struct never reaches the model */
	c.len = 0;
	craft_header(&c, 1, 32);
	craft_event(&c, -1, &g, sizeof(g));
	g.h.size = 40;
	craft_event(&c, -1, &g, 40);
	g.h.size = sizeof(g);
	craft_event(&c, -1, &g, sizeof(g));
	m = model__new();
	err = load_bytes(c.p, c.len, m, &st);
	r = report_of(m);
	check(!err && !st.complete && !st.truncated && st.events == 1 && r->events == 1 &&
		      strstr(st.why, "malformed") && strstr(st.why, "at byte 128"),
	      "reader: a grow record of 40 bytes stops the read there, unseen by the model "
	      "('%s')",
	      st.why);
	report__free(r);
	model__free(m);

	/* a bucket exponent no map can have: the model would shift by it */
	c.len = 0;
	craft_header(&c, 1, 32);
	{
		struct mt_map_create mc = {.h = {.type = MT_REC_MAP_CREATE, .size = sizeof(mc)},
					   .map = M_PLAIN,
					   .B = 85};
		struct mt_event ev;
		char why[96];

		craft_event(&c, -1, &mc, sizeof(mc));
		m = model__new();
		err = load_bytes(c.p, c.len, m, &st);
		check(!err && st.events == 0 && strstr(st.why, "B out of range"),
		      "reader: a map_create record with B 85 is refused ('%s')", st.why);
		model__free(m);
		check(mt_event_decode(&mc.h, sizeof(mc), &ev, why, sizeof(why)) == -EINVAL &&
			      strstr(why, "B out of range"),
		      "mt_event_decode: B 85 is malformed ('%s')", why);
		mc.B = 63;
		check(!mt_event_decode(&mc.h, sizeof(mc), &ev, why, sizeof(why)) &&
			      ev.kind == MT_EV_MAP_CREATE && ev.create.size == 63,
		      "mt_event_decode: B 63 is fine");
		check(mt_event_decode(&mc.h, sizeof(mc) - 8, &ev, why, sizeof(why)) == -EINVAL,
		      "mt_event_decode: a record longer than the bytes there is malformed "
		      "('%s')",
		      why);
		mc.h.size = 40;
		check(mt_event_decode(&mc.h, sizeof(mc), &ev, why, sizeof(why)) == -EINVAL,
		      "mt_event_decode: a map_create of 40 bytes is malformed ('%s')", why);
		mc.h.type = 77;
		check(mt_event_decode(&mc.h, sizeof(mc), &ev, why, sizeof(why)) == -EOPNOTSUPP,
		      "mt_event_decode: an unknown type is -EOPNOTSUPP ('%s')", why);
	}

	/* a lock_wait of a trace file from before goid (64 bytes) reads, its goid 0 */
	{
		struct mt_lock_wait lw = {.h = {.type = MT_REC_LOCK_WAIT, .size = MT_LOCK_WAIT_V1_SIZE},
					  .lock = 0x1000,
					  .wait_ns = 5 * US,
					  .goid = 42};
		struct mt_event ev;

		c.len = 0;
		craft_header(&c, 1, 32);
		craft_event(&c, -1, &lw, MT_LOCK_WAIT_V1_SIZE);
		m = model__new();
		err = load_bytes(c.p, c.len, m, &st);
		check(!err && st.events == 1, "reader: a lock_wait of %d bytes (before goid) is read "
		      "('%s')", MT_LOCK_WAIT_V1_SIZE, st.why);
		model__free(m);
		/* the bytes after its size are not its own: 42 must not be read */
		check(!mt_event_decode(&lw.h, sizeof(lw), &ev, NULL, 0) && ev.wait.goid == 0 &&
			      ev.wait.wait_ns == 5 * US && ev.wait.lock == 0x1000,
		      "mt_event_decode: a 64-byte lock_wait has goid 0");
		lw.h.size = sizeof(lw);
		check(sizeof(lw) == MT_LOCK_WAIT_V1_SIZE + 8 &&
			      !mt_event_decode(&lw.h, sizeof(lw), &ev, NULL, 0) && ev.wait.goid == 42,
		      "mt_event_decode: a %zu-byte lock_wait has its goid", sizeof(lw));
	}

	/* a record whose ring-buffer size disagrees with its length */
	c.len = 0;
	craft_header(&c, 1, 32);
	g.h.size = sizeof(g) + 8;
	craft_event(&c, -1, &g, sizeof(g));
	m = model__new();
	err = load_bytes(c.p, c.len, m, &st);
	check(!err && st.events == 0 && strstr(st.why, "says"),
	      "reader: a ring record whose size field disagrees is refused ('%s')", st.why);
	model__free(m);
	free(c.p);
	free(p.p);
}

static void test_bad_files(const unsigned char *good, size_t len)
{
	unsigned char *buf = malloc(len);
	struct trace_read_status st;
	struct model *m = model__new();
	__u32 v;
	int err;

	if (!buf || !m)
		die("malloc");
	err = trace_reader__load(path_in("does-not-exist.trace"), sink_of(m), NULL, &st);
	check(err == -ENOENT && strstr(st.why, "No such file"), "reader: missing file: %d '%s'",
	      err, st.why);
	err = trace_reader__load(dir, sink_of(m), NULL, &st);
	check(err == -EISDIR && st.why[0], "reader: a directory: %d '%s'", err, st.why);
	err = load_bytes("", 0, m, &st);
	check(err == -ENODATA && strstr(st.why, "empty"), "reader: zero-length file: %d '%s'", err,
	      st.why);
	err = load_bytes("#!/bin/sh\necho hello\n", 21, m, &st);
	check(err == -EINVAL && strstr(st.why, "not a maptrace trace (bad magic)"),
	      "reader: wrong magic: %d '%s'", err, st.why);
	err = load_bytes("MAPTRA", 6, m, &st);
	check(err == -ENODATA && strstr(st.why, "header"),
	      "reader: a file cut inside the magic: %d '%s'", err, st.why);

	memcpy(buf, good, len);
	v = __builtin_bswap32(0x01020304);
	memcpy(buf + 8, &v, 4);
	err = load_bytes(buf, len, m, &st);
	check(err == -EPROTO && strstr(st.why, "written on a machine of the other byte order"),
	      "reader: other byte order: %d '%s'", err, st.why);

	{
		struct craft c = {0};

		craft_header(&c, 2, 32);
		craft_put(&c, good + 32, len - 32);
		err = load_bytes(c.p, c.len, m, &st);
		check(err == -EPROTO &&
			      strstr(st.why, "trace format version 2 is newer than this maptrace "
					     "reads (1)"),
		      "reader: future version: %d '%s'", err, st.why);
		free(c.p);
	}
	memcpy(buf, good, len);
	buf[24] ^= 1; /* header flags: covered by the header checksum */
	err = load_bytes(buf, len, m, &st);
	check(err == -EINVAL && strstr(st.why, "checksum"), "reader: corrupt header: %d '%s'", err,
	      st.why);

	memcpy(buf, good, len);
	{
		/* a payload byte of the record that holds the middle of the file */
		size_t off = 32, size;

		while (off < len) {
			__u32 sz;

			memcpy(&sz, buf + off + 4, sizeof(sz));
			size = sz;
			if (off + size > len / 2 || !size)
				break;
			off += size;
		}
		buf[off + 16] ^= 0x10;
	}
	err = load_bytes(buf, len, m, &st);
	check(!err && !st.complete && !st.truncated && strstr(st.why, "bad checksum"),
	      "reader: a flipped bit stops the read at its record: '%s'", st.why);

	{
		struct model *m2 = model__new();
		struct report *r;

		err = load_bytes(good, len - 40, m2, &st);
		r = report_of(m2);
		check(!err && !st.complete && st.truncated && strstr(st.why, "truncated") &&
			      r->info.end_mono_ns > r->info.start_mono_ns,
		      "reader: a cut file reads its prefix, ends at its last event ('%s')", st.why);
		report__free(r);
		model__free(m2);
	}
	model__free(m);
	free(buf);
}

/*
 * A model's sink that also acts at one point of a read, to see where the reader stops: it sets
 * *spy_stop at the spy_stop_at'th event, and appends to spy_grow at the first info.
 */
static const struct sink_ops *spy_model_ops;
static volatile sig_atomic_t spy_stop;
static int spy_events, spy_stop_at;
static const char *spy_grow;

static int spy_info(void *ctx, const struct run_info *info)
{
	if (spy_grow) {
		FILE *f = fopen(spy_grow, "a");

		if (!f || fputs("written after the reader opened the file", f) < 0 || fclose(f))
			die(spy_grow);
		spy_grow = NULL;
	}
	return spy_model_ops->info(ctx, info);
}

static int spy_event(void *ctx, const struct mt_hdr *rec, const struct mt_event *ev, int stack)
{
	if (++spy_events == spy_stop_at)
		spy_stop = SIGINT;
	return spy_model_ops->event(ctx, rec, ev, stack);
}

static const struct sink *spy_sink_of(struct model *m)
{
	static struct sink_ops ops;
	static struct sink s;

	model__sink(m, &s);
	spy_model_ops = s.ops;
	ops = *s.ops;
	ops.info = spy_info;
	ops.event = spy_event;
	s.ops = &ops;
	spy_events = 0;
	spy_stop = 0;
	return &s;
}

/*
 * Only regular files are read, never waiting on one (a FIFO without a writer), no further than
 * their size when opened, and a signal stops a read at the next record.
 */
static void test_inputs(const unsigned char *good, size_t len)
{
	struct trace_read_status st;
	struct model *m = model__new();
	char *fifo = strdup(path_in("fifo.trace")), *grown = strdup(path_in("grown.trace"));
	const struct {
		const char *path, *why;
	} refused[] = {
		{fifo, "not a regular file (a FIFO)"},
		{"/dev/null", "not a regular file (a character device)"},
		{"/proc/self/mem", "a /proc file, made by the kernel as it is read"},
		{"/sys/kernel/notes", "a /sys file"},
	};
	int err;

	if (!m || !fifo || !grown || mkfifo(fifo, 0600))
		die("test_inputs");
	/* a reader that waits on the FIFO is killed by the alarm: the test fails, never hangs */
	alarm(20);
	for (size_t i = 0; i < ARRAY_SIZE(refused); i++) {
		err = trace_reader__load(refused[i].path, sink_of(m), NULL, &st);
		check(err == -EINVAL && strstr(st.why, refused[i].why) &&
			      strstr(st.why, "; give a trace file written by maptrace -o FILE"),
		      "reader: %s refused at once: %d '%s'", refused[i].path, err, st.why);
	}
	alarm(0);

	spit(grown, good, len);
	spy_grow = grown;
	err = trace_reader__load(grown, spy_sink_of(m), NULL, &st);
	check(!err && st.complete && !st.why[0] && st.bytes == len,
	      "reader: a file that grows while read is read to its size when opened: %d, %llu of "
	      "%zu bytes '%s'",
	      err, (unsigned long long)st.bytes, len, st.why);
	model__free(m);

	m = model__new();
	if (!m)
		die("model__new");
	{
		const struct sink *sink = spy_sink_of(m);

		spy_stop = SIGTERM;
		err = trace_reader__load(grown, sink, &spy_stop, &st);
	}
	check(err == -EINTR && st.events == 0 &&
		      strstr(st.why, "interrupted by SIGTERM at byte 32 of "),
	      "reader: a stop set before the read: %d '%s'", err, st.why);
	model__free(m);

	m = model__new();
	if (!m)
		die("model__new");
	spy_stop_at = 3;
	err = trace_reader__load(grown, spy_sink_of(m), &spy_stop, &st);
	check(err == -EINTR && st.events == 3 && strstr(st.why, "interrupted by SIGINT at byte ") &&
		      st.stop_offset < len,
	      "reader: a signal during the read stops it at the next record: %d, %llu events, "
	      "'%s'",
	      err, (unsigned long long)st.events, st.why);
	spy_stop_at = 0;
	model__free(m);
	free(fifo);
	free(grown);
}

/* Cut the trace at every byte offset: a clean error or a prefix, never a crash. */
static void test_every_truncation(const char *name, const unsigned char *buf, size_t len)
{
	__u64 last_records = 0, last_events = 0;
	size_t bad = 0, first_bad = 0;
	struct trace_read_status st;

	for (size_t n = 0; n <= len; n++) {
		struct model *m = model__new();
		struct report *r;
		int err = load_bytes(buf, n, m, &st);
		bool ok;

		if (err) {
			ok = n < 32 && st.why[0] && (err == -ENODATA || err == -EINVAL);
		} else {
			ok = st.records >= last_records && st.events >= last_events &&
			     st.complete == (n == len) && (st.complete || st.why[0]) &&
			     (n == len || st.truncated) && st.stop_offset <= n;
			last_records = st.records;
			last_events = st.events;
		}
		/* every prefix must also make a report */
		if (report__build(m, true, 0, &r))
			ok = false;
		report__free(r);
		model__free(m);
		if (!ok && !bad++) {
			first_bad = n;
			printf("# at %zu bytes: err %d, records %llu, complete %d, why '%s'\n", n,
			       err, (unsigned long long)st.records, st.complete, st.why);
		}
	}
	check(!bad,
	      "reader: %s cut at each of its %zu byte offsets: clean error or growing prefix, "
	      "complete only whole (%zu bad, first at %zu)",
	      name, len + 1, bad, first_bad);
}

/* Flip every bit: an error or a partial read with a message, never a crash or silence. */
static void test_every_bit_flip(const char *name, const unsigned char *good, size_t len)
{
	unsigned char *buf = malloc(len);
	size_t bad = 0, partial = 0, errors = 0;
	struct trace_read_status st;

	if (!buf)
		die("malloc");
	memcpy(buf, good, len);
	for (size_t bit = 0; bit < len * 8; bit++) {
		struct model *m = model__new();
		struct report *r;
		int err;
		bool ok;

		buf[bit / 8] ^= (unsigned char)(1u << (bit % 8));
		err = load_bytes(buf, len, m, &st);
		buf[bit / 8] ^= (unsigned char)(1u << (bit % 8));
		ok = st.why[0] && (err < 0 || !st.complete);
		errors += err < 0;
		partial += !err;
		if (report__build(m, true, 0, &r))
			ok = false;
		report__free(r);
		model__free(m);
		if (!ok && !bad++)
			printf("# bit %zu: err %d, complete %d, why '%s'\n", bit, err, st.complete,
			       st.why);
	}
	check(!bad,
	      "reader: each of the %zu bits of %s flipped: %zu errors, %zu partial reads, each "
	      "with a message (%zu bad)",
	      len * 8, name, errors, partial, bad);
	free(buf);
}

int main(void)
{
	char *full, *small;
	const char *corpus = getenv("MT_CORPUS_DIR");
	unsigned char *buf;
	struct source s;
	size_t len;

	if (!mkdtemp(dir))
		die("mkdtemp");
	full = strdup(path_in("full.trace"));
	small = strdup(path_in("small.trace"));
	if (!full || !small)
		die("strdup");

	test_round_trip(full);
	test_big_stack();
	test_writer_rules();
	test_forward_compat();

	src_begin(&s, small);
	scenario_small(&s);
	src_end(&s);
	model__free(s.m);
	buf = slurp(small, &len);
	test_bad_files(buf, len);
	test_inputs(buf, len);
	test_every_truncation("a small trace", buf, len);
	test_every_bit_flip("a small trace", buf, len);
	if (corpus) {
		char seed[512];

		snprintf(seed, sizeof(seed), "%s/small.trace", corpus);
		spit(seed, buf, len);
		snprintf(seed, sizeof(seed), "%s/small-cut.trace", corpus);
		spit(seed, buf, len * 2 / 3);
	}
	free(buf);

	buf = slurp(full, &len);
	test_every_truncation("the full trace", buf, len);
	if (corpus) {
		char seed[512];

		snprintf(seed, sizeof(seed), "%s/full.trace", corpus);
		spit(seed, buf, len);
	}
	free(buf);

	if (!failed) {
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd))
			printf("# could not remove %s\n", dir);
	} else {
		printf("# files kept in %s\n", dir);
	}
	free(full);
	free(small);
	printf("# %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
