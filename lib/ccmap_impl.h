/* SPDX-License-Identifier: MIT */
/*
 * The concurrent maps' layout, for ccmap.c and for a tracer that reads a sync map's own
 * counters (hits, misses) from its memory instead of probing every read.  Not a public API.
 */
#ifndef CCMAP_IMPL_H
#define CCMAP_IMPL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "cmap.h"

#define CACHELINE 64
/* Sync-map counters are spread over this many cache lines so readers do not share one. */
#define NSTRIPES 32

struct retired;

/* Go's readOnly: immutable once published. */
struct readonly {
	cmap_t *m;    /* key -> struct entry * */
	bool amended; /* the dirty map holds keys m lacks */
};

/* Counters every operation bumps; striped so concurrent readers do not share a cache line. */
struct stripe {
	uint64_t inserts;
	uint64_t updates;
	uint64_t deletes;
	uint64_t lookups;
	uint64_t hits;
} __attribute__((aligned(CACHELINE)));

/* Objects unpublished at one epoch, freed once no reader can hold them. */
struct retired {
	struct retired *next;
	uint64_t epoch;
	struct readonly *ro;
	cmap_t *map;
	struct entry **entries;
	size_t nentries;
};

struct syncmap {
	struct readonly *read; /* atomic: the published snapshot */
	pthread_mutex_t mu;
	unsigned int mu_waiters;   /* atomic: threads waiting for mu (ccmap.c, lock_take()) */
	unsigned int mu_contended; /* atomic, sticky: a thread has waited for mu (lock_take()) */
	/* Everything below is guarded by mu. */
	cmap_t *dirty;	    /* key -> struct entry *; NULL right after a promotion */
	uint64_t misses;    /* since the last promotion (Go's m.misses) */
	uint64_t nexpunged; /* expunged entries in the snapshot */
	uint64_t misses_total;
	uint64_t promotions;
	uint64_t grows_done; /* structural counters of dirty maps already promoted */
	uint64_t same_size_done;
	uint64_t evacuated_done;
	uint64_t moved_done, grow_ns_done, evac_ns_done;
	struct retired *retired;
	struct stripe stripes[NSTRIPES];
};

struct shard {
	pthread_mutex_t mu;
	unsigned int waiters;	/* atomic: threads waiting for mu */
	unsigned int contended; /* atomic, sticky: a thread has waited for mu */
	cmap_t *m;
} __attribute__((aligned(CACHELINE)));

struct ccmap {
	enum cmap_variant variant;
	size_t hint;
	union {
		struct {
			pthread_mutex_t mu;
			unsigned int waiters;	/* atomic: threads waiting for mu */
			unsigned int contended; /* atomic, sticky: a thread has waited for mu */
			cmap_t *m;
		} mx;
		struct {
			pthread_rwlock_t rw;
			unsigned int waiters;	/* atomic: threads waiting for rw */
			unsigned int contended; /* atomic, sticky: a thread has waited for rw */
			cmap_t *m;
		} rw;
		struct {
			struct shard *v;
			unsigned int n;
			unsigned int bits;
			uint64_t seed;
		} sh;
		struct syncmap *sy;
	};
};

#endif /* CCMAP_IMPL_H */
