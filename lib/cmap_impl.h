/* SPDX-License-Identifier: MIT */
/*
 * Internals shared by cmap.c and ccmap.c.  Not installed: the layout may change at any time.
 */
#ifndef CMAP_IMPL_H
#define CMAP_IMPL_H

#include <time.h>

#include "cmap.h"

/*
 * Slot states kept in tophash[], as in Go's runtime map.  A real top-hash byte is always at
 * least TOPHASH_MIN so it can never be mistaken for a state.
 */
enum {
	SLOT_EMPTY_REST = 0, /* empty, and so is every later slot and overflow bucket */
	SLOT_EMPTY_ONE = 1,  /* empty */
	SLOT_EVAC_X = 2,     /* old bucket: entry moved to the same index in the new array */
	SLOT_EVAC_Y = 3,     /* old bucket: entry moved to index + old size */
	SLOT_EVAC_EMPTY = 4, /* old bucket: slot was empty when the bucket was evacuated */
	TOPHASH_MIN = 5,
};

struct bucket {
	uint8_t tophash[CMAP_BUCKET_SLOTS];
	uint64_t keys[CMAP_BUCKET_SLOTS]; /* the key, or a struct bkey * for byte-string maps */
	uint64_t vals[CMAP_BUCKET_SLOTS];
	struct bucket *overflow;
};

/*
 * The map's own copy of a byte-string key.  The hash is kept so evacuation and iteration never
 * rehash a key; seq orders keys with equal hashes during iteration (it is unique per map).
 */
struct bkey {
	uint64_t hash;
	uint64_t seq;
	size_t len;
	unsigned char data[];
};

/*
 * A cheap clock for spans inside the library: the time-stamp counter on x86-64 (invariant on
 * every CPU the kernel uses as its clocksource, and shared by all processes, so a tracer can
 * convert another process's counts), CLOCK_MONOTONIC ns elsewhere.  Convert with
 * cmap_cycles_ns() against two (cycles, ns) readings taken far apart.
 */
static inline uint64_t cmap_cycles(void)
{
#if defined(__x86_64__)
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
#else
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
#endif
}

/* @cycles in ns, at the rate between readings (@c0, @ns0) and (@c1, @ns1); 0 if unknown. */
static inline uint64_t cmap_cycles_ns(uint64_t cycles, uint64_t c0, uint64_t ns0, uint64_t c1,
				      uint64_t ns1)
{
	if (c1 <= c0 || ns1 <= ns0)
		return 0;
	return (uint64_t)((unsigned __int128)cycles * (ns1 - ns0) / (c1 - c0));
}

struct cmap {
	struct bucket *buckets;	   /* 2^B buckets */
	struct bucket *oldbuckets; /* non-NULL while a grow is being evacuated */
	uint64_t count;
	uint64_t nevacuate;    /* old buckets below this are all evacuated */
	uint64_t noverflow;    /* overflow buckets chained to buckets[] (exact) */
	uint64_t noldoverflow; /* overflow buckets still chained to oldbuckets[] */
	uint64_t seed;
	cmap_hash_fn hash; /* byte-string maps: caller's hash, NULL for the built-in */
	uint64_t nextseq;  /* byte-string maps: next struct bkey.seq */
	size_t hint;
	uint8_t B;
	bool bytes;    /* byte-string keys */
	bool samesize; /* the grow in progress keeps B */
	bool quiet;    /* scratch map: fires no probes */
	bool copying;  /* being filled with a copy of another map: stores are not inserts */
	/*
	 * A probe told a tracer about this map (its map_create, map_create_big or ccmap_create, or
	 * a grow's probes, fired): only such a map, or one of 2^CMAP_QUIET_B buckets or more, fires
	 * map_destroy, so a tracer that follows only grows pays nothing for the many small maps a
	 * program makes and frees without ever growing them past its notice.
	 */
	bool announced;
	const void *parent; /* the concurrent map this map belongs to, NULL when standalone */
	/*
	 * What a tracer that first hears of the map at a grow needs of its creation: a serial
	 * unique in the process (cmap_totals.created when it was made: a later map at the same
	 * address has another, and a map made before a tracer read cmap_totals has one below
	 * what it read), and the return address of the call that created it (in its creator's
	 * code).
	 */
	uint64_t serial;
	uint64_t site;

	uint64_t inserts;
	uint64_t updates;
	uint64_t deletes;
	uint64_t grows;
	uint64_t same_size_grows;
	uint64_t evacuated;
	uint64_t moved; /* entries moved by evacuation */
	/*
	 * Time in grows (allocating the new array) and in evacuation steps, read from the clock
	 * only while a tracer holds the grow_begin probe: a tracer then reads what the work took
	 * the program, with no probe on the per-write evacuation path.  Evacuation, two reads
	 * per old bucket, reads the cycle counter (cmap_cycles()), a third of clock_gettime()'s
	 * cost: converted to ns against CLOCK_MONOTONIC over a long span when read.
	 */
	uint64_t grow_ns;
	uint64_t evac_cycles; /* cmap_cycles(): cmap_stats() and a tracer convert them to ns */
	/*
	 * Readers holding a shared lock bump this concurrently, so it is atomic, and it lives on
	 * its own cache line so those bumps do not evict the fields every lookup reads.
	 */
	uint64_t lookups __attribute__((aligned(64)));
};

/*
 * Internal functions are hidden so libcmap.so does not export them; the static library still
 * provides them to the tests that check the internals.
 */
#define CMAP_INTERNAL __attribute__((visibility("hidden")))

/*
 * While only grow_begin is traced (not map_create), a map's grows fire their probes (and are
 * timed) from its first grow to 2^CMAP_QUIET_B buckets on; a map created that big (a size
 * hint) is announced at its creation (map_create_big), and one that big fires map_destroy,
 * even if it was made or grew before the tracer came.  A probe hit costs 0.35-1.4 us here
 * (bench/README.md, "Map churn since"), more than making a map, putting 20 keys in it and
 * freeing it (about 1 us): probing the grows of maps of at most 416 entries would cost a program
 * that makes and frees many of them several times its own work.  Those grows still count, in
 * the map's counters and in cmap_totals.
 */
#define CMAP_QUIET_B 7

/*
 * Process-wide totals, so a tracer reading them (maptrace finds the symbol cmap_totals in the
 * library's ELF and reads it with process_vm_readv) counts every map even when no probe fires:
 * maps created and freed, grows and same-size grows.  Relaxed atomics, each bumped once per
 * creation, free or grow, never on an insert.  Scratch maps are not counted.
 */
struct cmap_totals {
	uint64_t created;
	uint64_t freed;
	uint64_t grows;
	uint64_t same_size_grows;
};

/* The built-in hash of a 64-bit integer key: equal to cmap_hash_bytes(&key, 8, seed). */
CMAP_INTERNAL uint64_t cmap__hash_u64(uint64_t key, uint64_t seed);

/* A fresh seed: a deterministic function of how many seeds the process drew before. */
CMAP_INTERNAL uint64_t cmap__next_seed(void);

/*
 * cmap_new() for a map owned by the concurrent map @parent: its map_create probe names the
 * parent, so a tracer can fold the inner map into the map its user sees.
 */
CMAP_INTERNAL cmap_t *cmap__new_child(size_t hint, const void *parent);

/* The B a map created with @hint starts with, or -EINVAL. */
CMAP_INTERNAL int cmap__b_for_hint(size_t hint);

/*
 * Call @fn on every entry of an integer-key map, in bucket order; @m must not change meanwhile.
 * Stops at, and returns, the first non-zero value @fn returns.
 */
CMAP_INTERNAL int cmap__walk(const cmap_t *m, int (*fn)(uint64_t key, uint64_t val, void *arg),
			     void *arg);

/* cmap_get() without counting a lookup: only reads the map, so many threads may call it. */
CMAP_INTERNAL bool cmap__peek(const cmap_t *m, uint64_t key, uint64_t *val);

/*
 * A quiet integer-key map living in caller storage (@m and one bucket @b), holding @key -> @val
 * when @has.  It fires no probes and draws no seed; cmap__scratch_fini() frees whatever it
 * allocated if it outgrew @b.
 */
CMAP_INTERNAL void cmap__scratch_init(cmap_t *m, struct bucket *b, bool has, uint64_t key,
				      uint64_t val);
CMAP_INTERNAL void cmap__scratch_fini(cmap_t *m, struct bucket *b);

#endif /* CMAP_IMPL_H */
