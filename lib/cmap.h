/* SPDX-License-Identifier: MIT */
/*
 * libcmap: a Go-style hash map in C, with concurrent variants and USDT probes.
 *
 * Design (follows Go's runtime map):
 *  - 2^B buckets of 8 slots; each slot has a top-hash byte so a lookup compares one byte per
 *    slot before touching the key; a full bucket chains overflow buckets.
 *  - The map grows (doubles, B+1) when an insert would make count > 6.5 * 2^B (and count > 8,
 *    which is what bounds B = 0, as in Go), and does a same-size grow (rebuild at the same B to
 *    drop overflow chains) when the number of overflow buckets reaches 2^min(B, 15).
 *  - Growth is incremental: a grow allocates the new bucket array and keeps the old one; each
 *    later write (insert, update, delete) evacuates the old bucket it touches plus the next
 *    unevacuated one, so no single write pays for moving the whole map.  Lookups read the old
 *    array for buckets not yet moved.  Iteration stays correct during a grow.
 *  - A size hint picks the smallest B for which `hint` entries do not exceed the load factor,
 *    so a map created with hint N never grows while it holds at most N entries.
 *  - Deletes never shrink the map; cmap_compact() rebuilds it at the size its live count needs.
 *  - Each map hashes with its own seed, drawn from a deterministic sequence (the n-th map created
 *    in a process always gets the same seed), so single-threaded runs are reproducible, overflow
 *    and same-size grows included.
 *
 * The core map (cmap_t) is not thread-safe.  ccmap_t wraps it in one of four concurrent
 * variants: one mutex, one rwlock, N shards each with its own mutex, or a read-mostly sync map.
 *
 * Every map keeps exact counters (struct cmap_stats); tests use them as the oracle against which
 * tracers are checked.
 *
 * USDT probes (provider "cmap"), each guarded by a semaphore so an untraced process pays one
 * predictable branch per site; every probe site is a 5-byte nop, which the kernel can turn into
 * a call to a uprobe trampoline.  Arguments are 64-bit unless noted.  This list is a stable
 * interface:
 *
 *   cmap:map_create(map, hint, B, variant, parent)
 *                                                  a map was created (variant: enum cmap_variant;
 *                                                  for concurrent maps, the ccmap_t address; each
 *                                                  inner core map fires its own with variant 0
 *                                                  and parent = its ccmap_t; parent 0 otherwise)
 *   cmap:ccmap_create(map, hint, B, variant, parent)
 *                                                  a concurrent map or one of its inner core
 *                                                  maps was created: map_create's arguments at
 *                                                  the same points, so a tracer can follow
 *                                                  concurrent maps without a probe hit for every
 *                                                  standalone core map created
 *   cmap:map_create_big(map, hint, B, variant, parent)
 *                                                  a map was created with 2^7 buckets or more
 *                                                  (a size hint of 417 or more) while grow_begin
 *                                                  is traced, and neither map_create nor
 *                                                  ccmap_create announced it: map_create's
 *                                                  arguments, so a tracer that follows grows
 *                                                  also knows a map that starts too big to
 *                                                  need one, without a probe hit for every map
 *   cmap:map_destroy(map)                          a map is about to be freed; while
 *                                                  map_create is not traced, only a map a
 *                                                  probe announced (a grow_begin,
 *                                                  map_create_big or ccmap_create fired for
 *                                                  it), a map of 2^7 buckets or more while
 *                                                  grow_begin is traced (made or grown before
 *                                                  the tracer came too), or an inner map of a
 *                                                  concurrent map while ccmap_create is traced
 *   cmap:insert(map, hash)                         a new key was inserted (not an update; not
 *                                                  the copies a sync map makes into a new dirty
 *                                                  map)
 *   cmap:delete(map, hash)                         a key was deleted
 *   cmap:grow_begin(map, old_B, new_B, count, same_size)
 *                                                  a grow starts: new array about to be allocated.
 *                                                  Every grow while map_create is traced, and
 *                                                  an inner map's of a concurrent map while
 *                                                  ccmap_create is; else a map's grows from its
 *                                                  first to 2^7 buckets or more on (smaller ones
 *                                                  count only in the map and in cmap_totals);
 *                                                  grow_end, evacuate_begin,
 *                                                  evacuate and grow_done fire for the grows
 *                                                  whose grow_begin fired
 *   cmap:grow_end(map)                             the grow's new array is in place (evacuation
 *                                                  of the old buckets now proceeds incrementally)
 *   cmap:evacuate_begin(map, oldbucket)            evacuation of one old bucket starts
 *   cmap:evacuate(map, oldbucket, moved)           one old bucket (with its overflow chain) was
 *                                                  evacuated; moved = entries moved
 *   cmap:grow_done(map, B, count)                  the last old bucket was evacuated; the old
 *                                                  array is freed
 *   cmap:sync_hit(map)                             a sync-map read was answered by the snapshot
 *   cmap:sync_miss(map)                            a sync-map read missed the read-only snapshot
 *                                                  (as in Go, so does a delete of a key only in
 *                                                  the dirty map); misses drive promotion
 *   cmap:sync_promote(map, dirty_len)              the dirty map became the new snapshot
 *   cmap:lock_wait_begin(map, lock, mode, kind)    a lock of the library is contended: the caller
 *                                                  is about to block (mode: 0 = for a write,
 *                                                  1 = for a lookup: shared on an rwlock,
 *                                                  exclusive on a mutex; kind: 0 = pthread
 *                                                  mutex, 1 = pthread rwlock)
 *   cmap:lock_wait_end(map, lock, mode, kind)      the contended acquisition completed
 *   cmap:lock_acquired(map, lock, mode, kind)      any acquisition (contended or not)
 *   cmap:lock_released(map, lock, mode, kind)      a release
 *   cmap:lock_hold(map, lock, mode, kind, held_ns) a release while another thread waited for the
 *                                                  lock (its trylock had failed): held_ns is
 *                                                  how long the releasing thread held it
 *                                                  (CLOCK_MONOTONIC, acquisition to release),
 *                                                  or CMAP_HOLD_UNTIMED when its acquisition
 *                                                  was not timed.  While a tracer holds this
 *                                                  probe's semaphore, only acquisitions of a
 *                                                  lock that has been contended before (a
 *                                                  sticky flag beside the lock, set by the
 *                                                  first thread that waited) read the clock,
 *                                                  so a lock never contended costs a flag
 *                                                  load, not a clock read (docs/performance.md).
 *                                                  Untimed: the hold during which the lock was
 *                                                  first contended, one taken before the
 *                                                  tracer attached, one nested more than 4
 *                                                  ccmap locks deep.  Fires only under
 *                                                  contention, every such release counted
 *
 * A tracer reads every map created and freed and every grow, of maps too small for their grows
 * to fire a probe too, from the process-wide struct cmap_totals (lib/cmap_impl.h), exported as
 * the symbol cmap_totals; each map's struct records its creation site and a serial.
 *
 * For concurrent maps, `map` in the lock probes is the ccmap_t address and `lock` the address of
 * the pthread_mutex_t / pthread_rwlock_t (the futex words glibc waits on lie inside it).
 */
#ifndef CMAP_H
#define CMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Slots per bucket. */
#define CMAP_BUCKET_SLOTS 8
/** Load factor 6.5 expressed as a fraction: grow when count > 13/2 * 2^B and count > 8. */
#define CMAP_LOAD_NUM 13
#define CMAP_LOAD_DEN 2

/** Concurrency variant; also the `variant` argument of the map_create probe. */
enum cmap_variant {
	CMAP_PLAIN = 0,
	CMAP_MUTEX = 1,
	CMAP_RWLOCK = 2,
	CMAP_SHARDED = 3,
	CMAP_SYNC = 4,
};

/** lock_hold's held_ns for a hold whose acquisition was not timed (see the probe list). */
#define CMAP_HOLD_UNTIMED UINT64_MAX

/** Lock mode argument of the lock probes. */
enum cmap_lock_mode {
	CMAP_LOCK_WRITE = 0,
	CMAP_LOCK_READ = 1,
};

/** Exact per-map counters. For concurrent maps they are summed over inner maps. */
struct cmap_stats {
	uint64_t inserts;	  /* new keys stored */
	uint64_t updates;	  /* stores to keys already present */
	uint64_t deletes;	  /* deletes that removed a key */
	uint64_t lookups;	  /* lookups (hit or miss); sync map: ccmap_get() calls plus
				     the lookups callbacks make */
	uint64_t grows;		  /* doubling grows */
	uint64_t same_size_grows; /* same-size grows */
	uint64_t evacuated;	  /* old buckets evacuated */
	uint64_t moved;		  /* entries moved by evacuation */
	uint64_t grow_ns;	  /* time allocating new bucket arrays, and ... */
	uint64_t evac_ns;	  /* ... evacuating old buckets: both measured only while a
				     tracer holds the grow_begin probe (maptrace does), else 0 */
	uint64_t overflow;	  /* overflow buckets currently allocated */
	uint64_t count;		  /* live entries */
	uint64_t buckets;	  /* 2^B, summed over inner maps */
	uint64_t B;		  /* log2 of bucket count (sharded: of the largest shard; sync:
				     of the dirty map, or of the snapshot when there is none) */
	uint64_t hits;		  /* sync map: reads answered by the snapshot */
	uint64_t misses;	  /* sync map: reads (and deletes) the snapshot could not answer,
				     which took the lock; = cmap:sync_miss firings */
	uint64_t promotions;	  /* sync map: dirty map promoted to snapshot */
};

/** Hash function for byte-string keys. */
typedef uint64_t (*cmap_hash_fn)(const void *key, size_t len, uint64_t seed);

/** Opaque core map. Not thread-safe. */
typedef struct cmap cmap_t;

/**
 * cmap_new() - create a map with 64-bit integer keys.
 * @hint: expected number of entries; 0 for none.  Picks B so that @hint entries fit without
 *        any grow.
 * Return: the map, or NULL with errno set (ENOMEM, or EINVAL when @hint is absurdly large).
 */
cmap_t *cmap_new(size_t hint);

/**
 * cmap_new_bytes() - create a map with byte-string keys.
 * @hint: as for cmap_new().
 * @hash: hash function, or NULL for the built-in one.
 * The map copies keys it stores and frees them when they are deleted or the map is freed.
 */
cmap_t *cmap_new_bytes(size_t hint, cmap_hash_fn hash);

/** cmap_free() - free the map and everything it owns. NULL is allowed. */
void cmap_free(cmap_t *m);

/**
 * cmap_put() - store @val under integer @key.
 * Return: 1 when the key was inserted, 0 when an existing key was updated, -ENOMEM, or -EINVAL
 * for a byte-string map.
 */
int cmap_put(cmap_t *m, uint64_t key, uint64_t val);

/** cmap_get() - look up @key; on a hit store its value in *@val (if non-NULL). */
bool cmap_get(cmap_t *m, uint64_t key, uint64_t *val);

/** cmap_del() - delete @key. Return: true when it was present. */
bool cmap_del(cmap_t *m, uint64_t key);

/** cmap_put_bytes() - cmap_put() for a byte-string map. */
int cmap_put_bytes(cmap_t *m, const void *key, size_t len, uint64_t val);

/** cmap_get_bytes() - cmap_get() for a byte-string map. */
bool cmap_get_bytes(cmap_t *m, const void *key, size_t len, uint64_t *val);

/** cmap_del_bytes() - cmap_del() for a byte-string map. */
bool cmap_del_bytes(cmap_t *m, const void *key, size_t len);

/** cmap_len() - number of live entries. */
size_t cmap_len(const cmap_t *m);

/**
 * cmap_compact() - rebuild the map at the size its live count needs.
 * Deletes never shrink a map; call this after mass deletes to give memory back.
 * Return: 0 or -ENOMEM (the map is unchanged on failure).
 */
int cmap_compact(cmap_t *m);

/** cmap_stats() - copy the map's counters into *@st. */
void cmap_stats(const cmap_t *m, struct cmap_stats *st);

/** cmap_hash_bytes() - the built-in byte-string hash (also used to hash integer keys). */
uint64_t cmap_hash_bytes(const void *key, size_t len, uint64_t seed);

/**
 * struct cmap_iter - iteration state.  Iteration visits every entry present for the whole
 * iteration exactly once, also while the map grows; entries inserted or deleted during the
 * iteration may or may not be seen.  The map may be changed (even compacted) between calls: the
 * iterator holds no pointer into it.  The order is by bit-reversed hash; each call costs a scan
 * of one bucket chain.  Only integer-key maps return keys through @key; for
 * byte-string maps use cmap_iter_next_bytes().
 */
struct cmap_iter {
	cmap_t *m;
	uint64_t _state[8];
};

/** cmap_iter_init() - start iterating over @m. */
void cmap_iter_init(struct cmap_iter *it, cmap_t *m);

/** cmap_iter_next() - next entry of an integer-key map. Return: false at the end. */
bool cmap_iter_next(struct cmap_iter *it, uint64_t *key, uint64_t *val);

/** cmap_iter_next_bytes() - next entry of a byte-string map; *@key points into the map. */
bool cmap_iter_next_bytes(struct cmap_iter *it, const void **key, size_t *len, uint64_t *val);

/*
 * Concurrent maps (integer keys).  All operations are thread-safe.
 */

/** Opaque concurrent map. */
typedef struct ccmap ccmap_t;

/** Creation options for ccmap_new(). */
struct ccmap_opts {
	enum cmap_variant variant; /* CMAP_MUTEX, CMAP_RWLOCK, CMAP_SHARDED or CMAP_SYNC */
	size_t hint;		   /* size hint of the whole map (split across shards) */
	unsigned int shards;	   /* CMAP_SHARDED: power of two, 1..4096; 0 = 16 */
};

/**
 * ccmap_new() - create a concurrent map.
 * Return: the map, or NULL with errno set (EINVAL for a bad variant or shard count).
 */
ccmap_t *ccmap_new(const struct ccmap_opts *opts);

/** ccmap_free() - free the map. No other thread may use it. NULL is allowed. */
void ccmap_free(ccmap_t *m);

/** ccmap_put() - as cmap_put(). */
int ccmap_put(ccmap_t *m, uint64_t key, uint64_t val);

/** ccmap_get() - as cmap_get(). Takes the read lock (rwlock) or none (sync-map snapshot hit). */
bool ccmap_get(ccmap_t *m, uint64_t key, uint64_t *val);

/** ccmap_del() - as cmap_del(). */
bool ccmap_del(ccmap_t *m, uint64_t key);

/** ccmap_len() - number of live entries (a snapshot under concurrent writes). */
size_t ccmap_len(ccmap_t *m);

/**
 * ccmap_update() - run @fn with the lock guarding @key held for writing, on the core map that
 * holds @key, so a read-modify-write is atomic.  @fn may call cmap_get/put/del on the map it is
 * given (only for @key).  For the sync map, @fn runs under its mutex on a scratch map holding
 * only @key's current value (the real maps hold entry objects, not values); its result is then
 * stored as ccmap_put()/ccmap_del() would, and lock-free stores and deletes of @key wait for it,
 * while readers keep seeing the old value until then.
 * Return: what @fn returns; for the sync map, -ENOMEM if its result could not be stored.
 */
int ccmap_update(ccmap_t *m, uint64_t key, int (*fn)(cmap_t *inner, uint64_t key, void *arg),
		 void *arg);

/**
 * ccmap_read() - run @fn with the lock guarding @key held for reading (rwlock: shared; mutex and
 * sharded: the mutex; sync map: the snapshot is tried first, then the dirty map under its mutex,
 * counting a miss; @fn gets a scratch map holding only @key's value, and runs under the mutex
 * only when the snapshot could not answer).  @fn may only read.  Return: what @fn returns.
 */
int ccmap_read(ccmap_t *m, uint64_t key, int (*fn)(cmap_t *inner, uint64_t key, void *arg),
	       void *arg);

/** ccmap_stats() - counters summed over the inner maps, plus sync-map hits/misses/promotions. */
void ccmap_stats(ccmap_t *m, struct cmap_stats *st);

/** ccmap_variant_name() - "plain", "mutex", "rwlock", "sharded" or "sync"; NULL if unknown. */
const char *ccmap_variant_name(enum cmap_variant v);

#ifdef __cplusplus
}
#endif
#endif /* CMAP_H */
