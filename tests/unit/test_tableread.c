// SPDX-License-Identifier: MIT
/*
 * The table reader without BPF: a Redis-7.0-shaped dict in this very process, made known by
 * decoded events as the tracer would pass them, read with process_vm_readv() at each sync.
 * Checks the entries sent (used0 + used1), the rehash a resize starts ending at the first read
 * of rehashidx -1 (and at the next resize when no read saw it end), a destroyed map no longer
 * read, and an address that cannot be read dropped without harm.  Then a Go-1.19-shaped hmap
 * (the go profile's evac= read): the evacuation's progress (nevacuate of 2^(B-1), or of 2^B
 * after a same-size grow) sent with the entries, its end at the first read of oldbuckets nil
 * with the new B (not a read made while hashGrow allocates) or at the exit program's reading,
 * and a nevacuate past the old buckets dropping the map.
 */
/* timeout: 60 */
#include <stdint.h>
#include <sys/mman.h>
#include "tableread.h"
#include "../tap.h"

/* struct dict of Redis 7.0 (src/dict.h), the fields the built-in profile reads */
struct dict {
	void *type;
	void *ht_table[2];
	unsigned long ht_used[2];
	long rehashidx;
	short pauserehash;
	signed char ht_size_exp[2];
};

/* struct hmap of Go 1.19 (src/runtime/map.go), the fields the go profile reads */
struct hmap {
	long count;
	unsigned char flags, B;
	unsigned short noverflow;
	unsigned int hash0;
	void *buckets, *oldbuckets;
	unsigned long nevacuate;
	void *extra;
};

/* What the reader sent: the last entries per map, and each rehash record. */
struct got {
	__u64 count_map, count, ncounts;
	__u64 evac_pos, evac_of, evac_elapsed_ns;
	struct mt_rehash rehash[8];
	int nrehash;
};

static int got_event(void *ctx, const struct mt_hdr *rec, const struct mt_event *ev, int stack)
{
	struct got *g = ctx;

	(void)ev;
	(void)stack;
	if (rec->type == MT_REC_REHASH && g->nrehash < 8)
		memcpy(&g->rehash[g->nrehash++], rec, sizeof(g->rehash[0]));
	return 0;
}

static int got_lib_counts(void *ctx, __u64 map, const struct mt_ev_lib_counts *c)
{
	struct got *g = ctx;

	g->count_map = map;
	g->count = c->count;
	g->evac_pos = c->evac_pos;
	g->evac_of = c->evac_of;
	g->evac_elapsed_ns = c->evac_elapsed_ns;
	g->ncounts++;
	return 0;
}

static const struct sink_ops got_ops = {.event = got_event, .lib_counts = got_lib_counts};

/* An event as the tracer hands it over: the record and its decoding. */
static int feed(struct tableread *tr, const struct mt_hdr *h)
{
	struct mt_event ev;

	if (mt_event_decode(h, h->size, &ev, NULL, 0))
		return -EINVAL;
	return tableread__event(tr, h, &ev);
}

static int resize(struct tableread *tr, __u64 map, __u64 ts, __u64 old_size, __u64 new_size)
{
	struct mt_resize r = {
		.h = {.type = MT_REC_RESIZE, .size = sizeof(r), .ts = ts, .stack_id = -1},
		.map = map,
		.old_size = old_size,
		.new_size = new_size,
		.count = ~0ULL,
		.lib = 2};

	return feed(tr, &r.h);
}

/*
 * The go profile's read line: count=count pos=nevacuate size=buckets evac=oldbuckets
 * same=flags&8, on a hmap in this process.  Return: 0 when the checks ran.
 */
static int go_map(struct plan_module *pm, struct probe_plan *plan, struct sink *sink,
		  struct got *g)
{
	struct hmap *h = calloc(1, sizeof(*h));
	__u64 map = (__u64)(uintptr_t)h;
	struct tableread *tr = NULL;
	struct mt_event ev;
	struct mt_lib_counts x = {
		.h = {.type = MT_REC_LIB_COUNTS, .size = sizeof(x), .ts = 9000, .stack_id = -1},
		.map = map};
	int err;

	if (!h)
		return 1;
	memset(&pm->read, 0, sizeof(pm->read));
	pm->nsites = 0; /* no rehash_step probe */
	pm->read.count[0] = (struct mt_src){.kind = MT_SRC_FIELD, .width = 8, .off = 0};
	pm->read.pos = (struct mt_src){.kind = MT_SRC_FIELD, .width = 8, .off = 32};
	pm->read.size = (struct mt_src){
		.kind = MT_SRC_FIELD, .width = 1, .flags = MT_SRC_EXP2, .off = 9};
	pm->read.evac = (struct mt_src){.kind = MT_SRC_FIELD, .width = 8, .off = 24};
	pm->read.same = (struct mt_src){.kind = MT_SRC_FIELD, .width = 1, .off = 8};
	pm->read.same_mask = 8;
	check(offsetof(struct hmap, B) == 9 && offsetof(struct hmap, oldbuckets) == 24 &&
		      offsetof(struct hmap, nevacuate) == 32,
	      "the test's hmap has Go 1.19's layout");
	err = tableread__new(plan, false, getpid(), sink, &tr);
	if (err || !tr)
		return 1;
	memset(g, 0, sizeof(*g));

	/*
	 * hashGrow 2^10 -> 2^11 probed as it begins: a sync that reads the hmap while its new
	 * buckets are allocated sees B 10 and no old buckets, which is no ended evacuation
	 */
	h->count = 6700;
	h->B = 10;
	resize(tr, map, 1000, 1024, 2048);
	tableread__sync(tr, 1500);
	check(!g->nrehash && !g->evac_of,
	      "go: B still 10 and oldbuckets nil right after the grow's probe: not ended (%d ended)",
	      g->nrehash);
	/* ... in its fields now: oldbuckets set, nevacuate 0; 700 old buckets moved by a sync */
	h->B = 11;
	h->oldbuckets = h;
	h->nevacuate = 700;
	tableread__sync(tr, 4000);
	check(g->count == 6700 && g->evac_pos == 700 && g->evac_of == 1024 &&
		      g->evac_elapsed_ns == 3000 && !g->nrehash,
	      "go: mid-evacuation: 700 of 1024 old buckets (2^(B-1)), 3000 ns since the grow "
	      "(%llu of %llu, %llu ns)",
	      (unsigned long long)g->evac_pos, (unsigned long long)g->evac_of,
	      (unsigned long long)g->evac_elapsed_ns);

	/* advanceEvacuationMark's end: oldbuckets nil, nevacuate stays at 1024 */
	h->oldbuckets = NULL;
	h->nevacuate = 1024;
	tableread__sync(tr, 6000);
	check(g->nrehash == 1 && g->rehash[0].elapsed_ns == 5000 && g->rehash[0].moved == 1024 &&
		      g->rehash[0].size == 2048 && !g->evac_of,
	      "go: the first read of oldbuckets nil ends it: 5000 ns, 1024 moved, size 2048, no "
	      "evacuation sent running");
	tableread__sync(tr, 7000);
	check(g->nrehash == 1, "go: an ended evacuation is not ended twice");

	/* a same-size grow: flags & sameSizeGrow, the old table is 2^B */
	h->flags = 8;
	h->oldbuckets = h;
	h->nevacuate = 3;
	resize(tr, map, 8000, 2048, 2048);
	tableread__sync(tr, 8500);
	check(g->evac_pos == 3 && g->evac_of == 2048,
	      "go: a same-size grow's evacuation: 3 of 2048 old buckets (2^B)");

	/* the exit program's reading: still running, its span so far put in the event */
	x.evac_pos = 5;
	x.evac_of = 2048;
	if (mt_event_decode(&x.h, x.h.size, &ev, NULL, 0))
		return 1;
	err = tableread__event(tr, &x.h, &ev);
	check(!err && ev.lib_counts.evac_pos == 5 && ev.lib_counts.evac_of == 2048 &&
		      ev.lib_counts.evac_elapsed_ns == 1000 && g->nrehash == 1,
	      "go: the exit reading of a running evacuation: 5 of 2048, 1000 ns so far");
	/* ... and ended: it ends at the reading's time */
	x.evac_of = 0;
	x.h.ts = 9500;
	mt_event_decode(&x.h, x.h.size, &ev, NULL, 0);
	err = tableread__event(tr, &x.h, &ev);
	check(!err && g->nrehash == 2 && g->rehash[1].elapsed_ns == 1500 &&
		      g->rehash[1].moved == 2048 && g->rehash[1].size == 2048,
	      "go: the exit reading of an ended evacuation ends it there: 1500 ns, 2048 moved");

	/* nevacuate past the old buckets: no hmap, the memory is something else */
	h->flags = 0;
	h->oldbuckets = h;
	h->nevacuate = 1025;
	resize(tr, map, 10000, 1024, 2048);
	g->ncounts = 0;
	tableread__sync(tr, 11000);
	check(g->ncounts == 0 && tableread__maps(tr) == 0,
	      "go: nevacuate 1025 of 1024 old buckets drops the map");
	/* oldbuckets set at B 0: an old table of no bucket (2^(0-1)) */
	h->B = 0;
	h->nevacuate = 0;
	resize(tr, map, 12000, 1024, 2048);
	tableread__sync(tr, 13000);
	check(g->ncounts == 0 && tableread__maps(tr) == 0,
	      "go: oldbuckets set with B 0 (no old bucket) drops the map");
	tableread__free(tr);
	free(h);
	printf("# %d passed, %d failed\n", passed, failed);
	return 0;
}

int main(void)
{
	struct dict *d = calloc(1, sizeof(*d));
	struct plan_site step = {.spec = {.role = MT_ROLE_REHASH_STEP}};
	struct plan_module pm = {.lib = 2, .sites = &step, .nsites = 1};
	struct probe_plan plan = {.modules = &pm, .nmodules = 1};
	struct got g = {};
	struct sink sink = {.ops = &got_ops, .ctx = &g};
	struct tableread *tr = NULL;
	__u64 map = (__u64)(uintptr_t)d;
	void *gone;
	int err;

	if (!d)
		return 1;
	/* the built-in redis profile's read line: count=used0+used1 pos=rehashidx size=size0 */
	pm.read.count[0] = (struct mt_src){.kind = MT_SRC_FIELD, .width = 8, .off = 24};
	pm.read.count[1] = (struct mt_src){.kind = MT_SRC_FIELD, .width = 8, .off = 32};
	pm.read.pos = (struct mt_src){
		.kind = MT_SRC_FIELD, .width = 8, .flags = MT_SRC_SIGNED, .off = 40};
	pm.read.size = (struct mt_src){
		.kind = MT_SRC_FIELD, .width = 1, .flags = MT_SRC_SIGNED | MT_SRC_EXP2, .off = 50};
	check(offsetof(struct dict, ht_used) == 24 && offsetof(struct dict, rehashidx) == 40 &&
		      offsetof(struct dict, ht_size_exp) == 50,
	      "the test's dict has Redis 7.0's layout");

	err = tableread__new(&plan, false, getpid(), &sink, &tr);
	check(!err && tr, "a reader for the plan: %d", err);
	if (!tr)
		return 1;

	/* unknown until an event names it */
	d->ht_used[0] = 3;
	d->rehashidx = -1;
	d->ht_size_exp[0] = 2;
	d->ht_size_exp[1] = -1;
	tableread__sync(tr, 1000);
	check(g.ncounts == 0 && tableread__maps(tr) == 0, "a map no event named is not read");

	/* its first table (old size 0): known, read, no rehash */
	check(!resize(tr, map, 2000, 0, 4), "a first table's resize is taken");
	tableread__sync(tr, 3000);
	check(g.ncounts == 1 && g.count_map == map && g.count == 3 && !g.nrehash,
	      "read: entries 3 (used0), no rehash after a first table (%llu)",
	      (unsigned long long)g.count);

	/* a grow 4 -> 8: rehashing while rehashidx >= 0, entries in both tables */
	d->ht_used[0] = 2;
	d->ht_used[1] = 3;
	d->rehashidx = 1;
	d->ht_size_exp[1] = 3;
	resize(tr, map, 10000, 4, 8);
	tableread__sync(tr, 15000);
	check(g.count == 5 && !g.nrehash,
	      "read mid-rehash: entries 5 = used0 2 + used1 3, not ended");

	/* Redis ends it: table 1 becomes table 0, rehashidx -1 */
	d->ht_used[0] = 5;
	d->ht_used[1] = 0;
	d->rehashidx = -1;
	d->ht_size_exp[0] = 3;
	d->ht_size_exp[1] = -1;
	tableread__sync(tr, 25000);
	check(g.nrehash == 1 && g.rehash[0].map == map && g.rehash[0].elapsed_ns == 15000 &&
		      g.rehash[0].moved == 4 && g.rehash[0].size == 8 && !g.rehash[0].steps &&
		      g.rehash[0].lib == 2,
	      "the first read of rehashidx -1 ends it: span 15000 ns (resize 10000 .. read 25000), "
	      "4 buckets moved, size 8, no steps (%llu ns, %llu, %llu)",
	      (unsigned long long)g.rehash[0].elapsed_ns, (unsigned long long)g.rehash[0].moved,
	      (unsigned long long)g.rehash[0].size);
	tableread__sync(tr, 26000);
	check(g.nrehash == 1, "an ended rehash is not ended twice");

	/* two grows before any read: the second resize ends the first at its own time */
	resize(tr, map, 30000, 8, 16);
	resize(tr, map, 31000, 16, 32);
	check(g.nrehash == 2 && g.rehash[1].elapsed_ns == 1000 && g.rehash[1].size == 16 &&
		      g.rehash[1].moved == 8,
	      "a resize ends the rehash no read saw ending, at the resize (1000 ns, size 16)");
	d->ht_size_exp[0] = 5;
	tableread__sync(tr, 40000);
	check(g.nrehash == 3 && g.rehash[2].elapsed_ns == 9000 && g.rehash[2].size == 32,
	      "and the second ends at the next read (9000 ns, size 32)");

	/* freed: no longer read, its last read kept by the model */
	{
		struct mt_map_destroy x = {
			.h = {.type = MT_REC_MAP_DESTROY, .size = sizeof(x), .stack_id = -1},
			.map = map};
		__u64 before = g.ncounts;

		feed(tr, &x.h);
		d->ht_used[0] = 99;
		tableread__sync(tr, 50000);
		check(g.ncounts == before && tableread__maps(tr) == 0,
		      "a destroyed map is not read again");
	}

	/* memory gone without a destroy: the read fails, the map is dropped, the rest read */
	gone = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (gone == MAP_FAILED)
		return 1;
	resize(tr, (__u64)(uintptr_t)gone, 60000, 0, 4);
	resize(tr, map, 60000, 0, 4);
	munmap(gone, 4096);
	g.ncounts = 0;
	err = tableread__sync(tr, 70000);
	check(!err && g.ncounts == 1 && g.count_map == map && tableread__maps(tr) == 1,
	      "an unreadable map is dropped, the readable one still read (%d, %llu reads, %d maps)",
	      err, (unsigned long long)g.ncounts, tableread__maps(tr));

	/* reused as something that is no table: rehashidx below -1 */
	d->rehashidx = -7;
	g.ncounts = 0;
	tableread__sync(tr, 80000);
	check(g.ncounts == 0 && tableread__maps(tr) == 0,
	      "a read no table holds (rehashidx -7) drops the map");
	tableread__free(tr);

	/* with --detail and a rehash_step probe, the probe reports rehashes: the reads do not */
	err = tableread__new(&plan, true, getpid(), &sink, &tr);
	d->rehashidx = 0;
	g.nrehash = 0;
	resize(tr, map, 90000, 4, 8);
	d->rehashidx = -1;
	tableread__sync(tr, 95000);
	check(!err && g.nrehash == 0 && g.count_map == map,
	      "--detail with a rehash_step probe: entries read, rehashes left to the probe");
	tableread__free(tr);

	/* max_load=2: more than 2 entries a slot (or no slot) is no table: dropped */
	pm.read.max_load = 2;
	err = tableread__new(&plan, false, getpid(), &sink, &tr);
	d->rehashidx = -1;
	d->ht_used[0] = 8;
	d->ht_used[1] = 0;
	d->ht_size_exp[0] = 2;
	resize(tr, map, 100000, 0, 4);
	g.ncounts = 0;
	tableread__sync(tr, 101000);
	check(!err && g.ncounts == 1 && g.count == 8 && tableread__maps(tr) == 1,
	      "max_load=2: 8 entries in 4 slots are read");
	d->ht_used[0] = 12;
	tableread__sync(tr, 102000);
	check(g.ncounts == 1 && tableread__maps(tr) == 0,
	      "max_load=2: 12 entries in 4 slots drop the map, unsent");
	resize(tr, map, 103000, 0, 4);
	d->ht_used[0] = 1;
	d->ht_size_exp[0] = -1; /* size 0 */
	tableread__sync(tr, 104000);
	check(g.ncounts == 1 && tableread__maps(tr) == 0, "max_load=2: a size of 0 drops the map");
	tableread__free(tr);
	free(d);
	return go_map(&pm, &plan, &sink, &g) || failed != 0;
}
