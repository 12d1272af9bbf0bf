// SPDX-License-Identifier: MIT
/*
 * Concurrent maps on top of the core map: one mutex, one rwlock, N mutex-guarded shards, and a
 * read-mostly sync map after Go's sync.Map (src/sync/map.go, Go 1.20-1.23).
 *
 * Every lock acquisition goes through lock_take(), which fires lock_wait_begin/lock_wait_end
 * only when a trylock failed, i.e. only when the caller really has to wait; every release goes
 * through lock_drop(), which fires lock_hold only when another thread waits for the lock.
 * While traced, only locks that have been contended have their holds timed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ccmap_impl.h"
#include "cmap_impl.h"
#include "probes.h"

#define MAX_SHARDS     4096
#define DEFAULT_SHARDS 16

/*
 * The static TLS model: the library is linked or loaded at start-up, and the general-dynamic
 * model would put a __tls_get_addr call on every sync-map read.
 */
#define TLS __thread __attribute__((tls_model("initial-exec")))

/* ---- locks ---- */

/* Also the `kind` argument of the lock probes. */
enum lock_kind {
	LK_MUTEX = 0,
	LK_RWLOCK = 1,
};

/*
 * A lock of a ccmap, with what sits beside it: the count of threads waiting for it, and a
 * sticky flag set by the first thread that ever had to wait for it.
 */
struct lockref {
	void *lock; /* pthread_mutex_t or pthread_rwlock_t */
	unsigned int *waiters;
	unsigned int *contended;
	enum lock_kind kind;
};

static struct lockref mutex_ref(pthread_mutex_t *mu, unsigned int *waiters, unsigned int *contended)
{
	return (struct lockref){
		.lock = mu, .waiters = waiters, .contended = contended, .kind = LK_MUTEX
	};
}

/*
 * Hold times for the lock_hold probe: while a tracer holds its semaphore, each acquisition of
 * a lock that has ever been contended notes when it got the lock, per thread.  A thread holds
 * more than one ccmap lock only when an update callback uses another ccmap, so a short stack of
 * held locks is enough; a deeper nesting goes untimed rather than wrong.
 */
#define HOLD_DEPTH 4

struct held {
	const void *lock;
	uint64_t since_ns; /* CLOCK_MONOTONIC at the acquisition */
};

static TLS struct held held[HOLD_DEPTH];
static TLS unsigned int nheld;

static uint64_t mono_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts))
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void hold_begin(const void *lock, uint64_t since)
{
	/* full only of entries a tracer that detached mid-hold left behind: start over */
	if (nheld == HOLD_DEPTH)
		nheld = 0;
	held[nheld++] = (struct held){ .lock = lock, .since_ns = since };
}

/*
 * A release of a lock that has been contended, still holding @ref: pops its acquisition time,
 * if it was timed, and when another thread waits for it (@waited: a trylock of its failed and
 * it has not got the lock yet) puts how long it was held in *@held_ns and returns true, else
 * false.  A hold whose acquisition was not timed gives CMAP_HOLD_UNTIMED: the hold during
 * which the lock was first contended (its acquisition saw no flag), one acquired before the
 * tracer attached, or one nested deeper than HOLD_DEPTH.  Entries above @ref's are left over
 * from holds whose release ran untraced; they go too.
 */
__attribute__((noinline)) static bool hold_end(const struct lockref *ref, bool waited,
					       uint64_t *held_ns)
{
	unsigned int i = nheld;
	uint64_t since = 0, now;

	while (i > 0 && held[i - 1].lock != ref->lock)
		i--;
	if (i) {
		since = held[i - 1].since_ns;
		nheld = i - 1;
	}
	if (!waited)
		return false;
	now = since ? mono_ns() : 0;
	*held_ns = !now ? CMAP_HOLD_UNTIMED : now > since ? now - since : 0;
	return true;
}

static void lock_take(ccmap_t *cm, const struct lockref *ref, enum cmap_lock_mode mode)
{
	void *lock = ref->lock;
	enum lock_kind kind = ref->kind;
	/*
	 * Only a lock that has ever been contended is timed: a clock read on every acquisition
	 * cost about 40 ns while traced.  The flag is read only while traced, and from beside
	 * the lock.  The clock is read before the trylock, so not under the lock.
	 */
	uint64_t since =
		CMAP_PROBE_ON(lock_hold) && __atomic_load_n(ref->contended, __ATOMIC_RELAXED)
			? mono_ns()
			: 0;
	int err;

	if (kind == LK_MUTEX)
		err = pthread_mutex_trylock(lock);
	else if (mode == CMAP_LOCK_READ)
		err = pthread_rwlock_tryrdlock(lock);
	else
		err = pthread_rwlock_trywrlock(lock);
	if (err) {
		/*
		 * Counted whether traced or not: a tracer may attach while this thread waits.  The
		 * flag is set before the count, which is released to lock_drop()'s acquire load:
		 * a release that sees this waiter sees the flag.
		 */
		if (!__atomic_load_n(ref->contended, __ATOMIC_RELAXED))
			__atomic_store_n(ref->contended, 1, __ATOMIC_RELAXED);
		__atomic_fetch_add(ref->waiters, 1, __ATOMIC_RELEASE);
		CMAP_PROBE4(lock_wait_begin, cm, lock, mode, kind);
		if (kind == LK_MUTEX)
			err = pthread_mutex_lock(lock);
		else if (mode == CMAP_LOCK_READ)
			err = pthread_rwlock_rdlock(lock);
		else
			err = pthread_rwlock_wrlock(lock);
		/* Only a corrupted lock fails here; carrying on would corrupt the map too. */
		if (err)
			abort();
		__atomic_fetch_sub(ref->waiters, 1, __ATOMIC_RELAXED);
		CMAP_PROBE4(lock_wait_end, cm, lock, mode, kind);
		/* the lock is contended now: time this hold if traced (a tracer may have come) */
		since = CMAP_PROBE_ON(lock_hold) ? mono_ns() : 0;
	}
	CMAP_PROBE4(lock_acquired, cm, lock, mode, kind);
	if (since)
		hold_begin(lock, since);
}

/*
 * Inlined, as it was before it measured hold times: a contended unlock's stack then goes from
 * glibc's unlock straight to the ccmap function, as maptrace's "held by" shows it.  While
 * traced, a release of a lock that was never contended reads the waiter count and the flag
 * beside the lock and goes on: it has no waiter and its acquisition was not timed (a thread
 * that saw the flag at its acquisition sees it now).
 */
__attribute__((always_inline)) static inline void lock_drop(ccmap_t *cm, const struct lockref *ref,
							    enum cmap_lock_mode mode)
{
	uint64_t held_ns = 0;
	bool waited = false;

	if (CMAP_PROBE_ON(lock_hold)) {
		unsigned int w = __atomic_load_n(ref->waiters, __ATOMIC_ACQUIRE);

		if (w || __atomic_load_n(ref->contended, __ATOMIC_RELAXED))
			waited = hold_end(ref, w != 0, &held_ns);
	}
	/* Fired while still held, so a tracer sees the release before any next acquisition. */
	CMAP_PROBE4(lock_released, cm, ref->lock, mode, ref->kind);
	if (ref->kind == LK_MUTEX)
		pthread_mutex_unlock(ref->lock);
	else
		pthread_rwlock_unlock(ref->lock);
	/* after the unlock: the tracer's time is not added to the critical section */
	if (waited) /* tested first: untraced, the semaphore was read once, above */
		CMAP_PROBE5(lock_hold, cm, ref->lock, mode, ref->kind, held_ns);
}

/* ---- epoch-based reclamation, for the sync map's lock-free readers ---- */

/*
 * A sync-map reader reaches the snapshot map and its entries without any lock, so a promotion
 * cannot free the snapshot it replaces while a reader may still be inside it.  Each thread owns
 * a record; a reader publishes the global epoch in it for the duration of its read.  The epoch
 * advances only when every reader inside a read section has seen the current epoch, so after it
 * has advanced twice past the epoch an object was retired in, no reader can still hold that
 * object.  Retired objects are freed under the owning map's mutex at later retirements, or at
 * ccmap_free().  Readers write only their own cache line, so the read path stays scalable.
 */
struct ebr_rec {
	uint64_t epoch;	      /* atomic: 0 outside read sections, else the epoch seen on entry */
	unsigned int nest;    /* owner thread only */
	int in_use;	      /* atomic: owned by a live thread */
	struct ebr_rec *next; /* immutable once published */
} __attribute__((aligned(CACHELINE)));

static struct ebr_rec *ebr_head;
static uint64_t ebr_epoch = 1;
static pthread_once_t ebr_once = PTHREAD_ONCE_INIT;
static pthread_key_t ebr_key;
static bool ebr_key_ok;
static TLS struct ebr_rec *ebr_self;

static void ebr_thread_exit(void *p)
{
	struct ebr_rec *r = p;

	__atomic_store_n(&r->epoch, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&r->in_use, 0, __ATOMIC_RELEASE);
	/* Another key's destructor may still read a sync map: it must register afresh. */
	ebr_self = NULL;
}

static void ebr_init(void)
{
	ebr_key_ok = pthread_key_create(&ebr_key, ebr_thread_exit) == 0;
}

/* Records are recycled from exited threads and never freed, so walking the list is safe. */
static struct ebr_rec *ebr_register(void)
{
	struct ebr_rec *r, *old;

	pthread_once(&ebr_once, ebr_init);
	if (!ebr_key_ok)
		return NULL;
	for (r = __atomic_load_n(&ebr_head, __ATOMIC_ACQUIRE); r; r = r->next) {
		int unused = 0;

		if (!__atomic_load_n(&r->in_use, __ATOMIC_RELAXED) &&
		    __atomic_compare_exchange_n(&r->in_use, &unused, 1, false, __ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED))
			goto found;
	}
	r = aligned_alloc(CACHELINE, sizeof(*r));
	if (!r)
		return NULL;
	memset(r, 0, sizeof(*r));
	r->in_use = 1;
	old = __atomic_load_n(&ebr_head, __ATOMIC_RELAXED);
	do
		r->next = old;
	while (!__atomic_compare_exchange_n(&ebr_head, &old, r, false, __ATOMIC_RELEASE,
					    __ATOMIC_RELAXED));
found:
	if (pthread_setspecific(ebr_key, r)) {
		__atomic_store_n(&r->in_use, 0, __ATOMIC_RELEASE);
		return NULL;
	}
	ebr_self = r;
	return r;
}

/* NULL when no record could be set up: the caller then takes the map's mutex instead. */
static inline struct ebr_rec *ebr_enter(void)
{
	struct ebr_rec *r = ebr_self;

	if (__builtin_expect(!r, 0)) {
		r = ebr_register();
		if (!r)
			return NULL;
	}
	/*
	 * seq_cst: the epoch must be visible before the snapshot pointer is read, or a
	 * reclaimer could miss this reader.
	 */
	if (r->nest++ == 0)
		__atomic_store_n(&r->epoch, __atomic_load_n(&ebr_epoch, __ATOMIC_SEQ_CST),
				 __ATOMIC_SEQ_CST);
	return r;
}

static inline void ebr_exit(struct ebr_rec *r)
{
	if (--r->nest == 0)
		__atomic_store_n(&r->epoch, 0, __ATOMIC_RELEASE);
}

/* Advance the global epoch if every reader inside a read section has seen the current one. */
static uint64_t ebr_try_advance(void)
{
	uint64_t g = __atomic_load_n(&ebr_epoch, __ATOMIC_SEQ_CST);
	struct ebr_rec *r;

	for (r = __atomic_load_n(&ebr_head, __ATOMIC_ACQUIRE); r; r = r->next) {
		uint64_t e = __atomic_load_n(&r->epoch, __ATOMIC_SEQ_CST);

		if (e && e != g)
			return g;
	}
	/* Failing means another map advanced it: just as good. */
	__atomic_compare_exchange_n(&ebr_epoch, &g, g + 1, false, __ATOMIC_SEQ_CST,
				    __ATOMIC_SEQ_CST);
	return __atomic_load_n(&ebr_epoch, __ATOMIC_SEQ_CST);
}

/* ---- the sync map ---- */

/*
 * An entry holds one key's value and is shared by the snapshot and the dirty map, so a store to
 * a key in the snapshot changes it in both without the mutex.  Go swaps a pointer to a boxed
 * value; a C value is 64 bits with no spare encoding for "deleted" or "expunged", so the state
 * lives in its own word: a tag, two flags and a version, and the value is guarded by it like a
 * seqlock.  Readers never write; writers own the value for two stores (WRITING).
 */
enum {
	E_NIL = 0, /* deleted (Go: p == nil) */
	E_VAL = 1, /* holds a value */
	E_EXP = 2, /* expunged: deleted, and absent from the dirty map (Go: p == expunged) */
	E_TAG = 3,
	E_WRITING = 4, /* a writer is replacing val */
	E_HELD = 8,    /* ccmap_update() runs on this key: val stays readable, writers must lock */
	E_VER = 16,    /* bumped on every change, so a reader notices one between its loads */
};

struct entry {
	uint64_t st;  /* atomic */
	uint64_t val; /* atomic */
};

enum {
	TS_FAIL = -1, /* expunged, or held by ccmap_update(): retry under the mutex */
	TS_WAS_NIL = 0,
	TS_WAS_VAL = 1,
};

enum {
	DEL_FAIL = -1,
	DEL_ABSENT = 0,
	DEL_DONE = 1,
};

static inline uint64_t st_next(uint64_t s, uint64_t tag)
{
	return ((s & ~(uint64_t)(E_VER - 1)) + E_VER) | tag;
}

static inline struct entry *to_entry(uint64_t v)
{
	return (struct entry *)(uintptr_t)v;
}

static void spin_pause(unsigned int *spins)
{
	/* A writer owns an entry for two stores; only a preempted one is worth yielding to. */
	if (++*spins < 64) {
#if defined(__x86_64__) || defined(__i386__)
		__builtin_ia32_pause();
#endif
	} else {
		sched_yield();
	}
}

static bool entry_load(struct entry *e, uint64_t *val)
{
	unsigned int spins = 0;

	for (;;) {
		uint64_t s = __atomic_load_n(&e->st, __ATOMIC_SEQ_CST), v;

		if (s & E_WRITING) {
			spin_pause(&spins);
			continue;
		}
		if ((s & E_TAG) != E_VAL)
			return false;
		v = __atomic_load_n(&e->val, __ATOMIC_SEQ_CST);
		if (__atomic_load_n(&e->st, __ATOMIC_SEQ_CST) == s) {
			if (val)
				*val = v;
			return true;
		}
	}
}

/* Go's trySwap (and, under the mutex, swapLocked: then it cannot fail). */
static int entry_try_store(struct entry *e, uint64_t val)
{
	uint64_t s = __atomic_load_n(&e->st, __ATOMIC_SEQ_CST);
	unsigned int spins = 0;

	for (;;) {
		if ((s & E_TAG) == E_EXP || (s & E_HELD))
			return TS_FAIL;
		if (s & E_WRITING) {
			spin_pause(&spins);
			s = __atomic_load_n(&e->st, __ATOMIC_SEQ_CST);
			continue;
		}
		if (__atomic_compare_exchange_n(&e->st, &s, s | E_WRITING, false, __ATOMIC_SEQ_CST,
						__ATOMIC_SEQ_CST))
			break;
	}
	__atomic_store_n(&e->val, val, __ATOMIC_SEQ_CST);
	__atomic_store_n(&e->st, st_next(s, E_VAL), __ATOMIC_SEQ_CST);
	return (s & E_TAG) == E_VAL ? TS_WAS_VAL : TS_WAS_NIL;
}

/* Go's entry.delete. */
static int entry_delete(struct entry *e)
{
	uint64_t s = __atomic_load_n(&e->st, __ATOMIC_SEQ_CST);
	unsigned int spins = 0;

	for (;;) {
		if ((s & E_TAG) != E_VAL)
			return DEL_ABSENT;
		if (s & E_HELD)
			return DEL_FAIL;
		if (s & E_WRITING) {
			spin_pause(&spins);
			s = __atomic_load_n(&e->st, __ATOMIC_SEQ_CST);
			continue;
		}
		if (__atomic_compare_exchange_n(&e->st, &s, st_next(s, E_NIL), false,
						__ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
			return DEL_DONE;
	}
}

/* Go's tryExpungeLocked.  Mutex held. */
static bool entry_try_expunge(struct entry *e)
{
	uint64_t s = __atomic_load_n(&e->st, __ATOMIC_SEQ_CST);

	for (;;) {
		if ((s & E_TAG) == E_EXP)
			return true;
		/* A writer that owns a deleted entry is about to give it a value. */
		if ((s & E_TAG) == E_VAL || (s & E_WRITING))
			return false;
		if (__atomic_compare_exchange_n(&e->st, &s, st_next(s, E_EXP), false,
						__ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
			return true;
	}
}

static inline uint64_t entry_tag(struct entry *e)
{
	return __atomic_load_n(&e->st, __ATOMIC_SEQ_CST) & E_TAG;
}

static TLS unsigned int stripe_slot; /* 1 + this thread's stripe; 0 until first used */
static unsigned int stripes_handed_out;

static inline struct stripe *my_stripe(struct syncmap *s)
{
	unsigned int k = stripe_slot;

	if (__builtin_expect(!k, 0)) {
		k = __atomic_fetch_add(&stripes_handed_out, 1, __ATOMIC_RELAXED) % NSTRIPES + 1;
		stripe_slot = k;
	}
	return &s->stripes[k - 1];
}

static inline void count(uint64_t *c, uint64_t n)
{
	if (n)
		__atomic_fetch_add(c, n, __ATOMIC_RELAXED);
}

/* A read the snapshot answered without the lock. */
static inline void sync_hit(ccmap_t *cm, struct stripe *sp)
{
	count(&sp->hits, 1);
	CMAP_PROBE1(sync_hit, cm);
}

static void sync_lock(ccmap_t *cm)
{
	struct lockref ref = mutex_ref(&cm->sy->mu, &cm->sy->mu_waiters, &cm->sy->mu_contended);

	lock_take(cm, &ref, CMAP_LOCK_WRITE);
}

static void sync_unlock(ccmap_t *cm)
{
	struct lockref ref = mutex_ref(&cm->sy->mu, &cm->sy->mu_waiters, &cm->sy->mu_contended);

	lock_drop(cm, &ref, CMAP_LOCK_WRITE);
}

static inline struct readonly *sync_read(struct syncmap *s)
{
	return __atomic_load_n(&s->read, __ATOMIC_SEQ_CST);
}

static void retired_free(struct retired *r)
{
	size_t i;

	for (i = 0; i < r->nentries; i++)
		free(r->entries[i]);
	free(r->entries);
	cmap_free(r->map);
	free(r->ro);
	free(r);
}

/* Mutex held: @r's objects are already unreachable from the published snapshot. */
static void sync_retire(struct syncmap *s, struct retired *r)
{
	struct retired **pp, *x;
	uint64_t g;

	r->epoch = __atomic_load_n(&ebr_epoch, __ATOMIC_SEQ_CST);
	r->next = s->retired;
	s->retired = r;
	g = ebr_try_advance();
	for (pp = &s->retired; (x = *pp);) {
		if (x->epoch + 2 <= g) {
			*pp = x->next;
			retired_free(x);
		} else {
			pp = &x->next;
		}
	}
}

static int dirty_copy(uint64_t key, uint64_t ev, void *arg)
{
	void **a = arg;

	if (entry_try_expunge(to_entry(ev))) {
		(*(uint64_t *)a[1])++;
		return 0;
	}
	return cmap_put(a[0], key, ev) < 0 ? -ENOMEM : 0;
}

static int undo_expunge(uint64_t key, uint64_t ev, void *arg)
{
	struct entry *e = to_entry(ev);

	(void)key;
	(void)arg;
	if (entry_tag(e) == E_EXP)
		__atomic_store_n(&e->st, st_next(__atomic_load_n(&e->st, __ATOMIC_SEQ_CST), E_NIL),
				 __ATOMIC_SEQ_CST);
	return 0;
}

/* Go's dirtyLocked.  Mutex held. */
static int dirty_locked(ccmap_t *cm)
{
	struct syncmap *s = cm->sy;
	cmap_t *rm = sync_read(s)->m, *d;
	size_t hint = cmap_len(rm) > cm->hint ? cmap_len(rm) : cm->hint;
	uint64_t nexp = 0;
	void *arg[2];
	int err;

	if (s->dirty)
		return 0;
	d = cmap__new_child(hint, cm);
	if (!d)
		return -ENOMEM;
	arg[0] = d;
	arg[1] = &nexp;
	/* the copies are not new keys: no insert probe, as they count as no insert */
	d->copying = true;
	err = cmap__walk(rm, dirty_copy, arg);
	d->copying = false;
	if (err) {
		/*
		 * With no dirty map the snapshot is a promoted dirty map, which holds no expunged
		 * entry: every one there now was expunged above, and must come back.
		 */
		cmap__walk(rm, undo_expunge, NULL);
		cmap_free(d);
		return -ENOMEM;
	}
	s->dirty = d;
	s->nexpunged = nexp;
	return 0;
}

/* Publish the snapshot again with amended set, building the dirty map first.  Mutex held. */
static int sync_amend(ccmap_t *cm)
{
	struct syncmap *s = cm->sy;
	struct readonly *old = sync_read(s), *nr = malloc(sizeof(*nr));
	struct retired *rt = calloc(1, sizeof(*rt));

	if (!nr || !rt || dirty_locked(cm)) {
		free(nr);
		free(rt);
		return -ENOMEM;
	}
	nr->m = old->m;
	nr->amended = true;
	__atomic_store_n(&s->read, nr, __ATOMIC_SEQ_CST);
	rt->ro = old;
	sync_retire(s, rt);
	return 0;
}

struct collect {
	struct entry **v;
	size_t n;
};

static int collect_expunged(uint64_t key, uint64_t ev, void *arg)
{
	struct collect *c = arg;

	(void)key;
	if (entry_tag(to_entry(ev)) == E_EXP)
		c->v[c->n++] = to_entry(ev);
	return 0;
}

/*
 * The dirty map becomes the snapshot.  Expunged entries of the old snapshot are in no map any
 * more, so they retire with it.  Mutex held.
 */
static void sync_promote(ccmap_t *cm)
{
	struct syncmap *s = cm->sy;
	struct readonly *old = sync_read(s), *nr = malloc(sizeof(*nr));
	struct retired *rt = calloc(1, sizeof(*rt));
	struct cmap_stats ds;
	struct collect c = {0};

	if (s->nexpunged)
		c.v = malloc(s->nexpunged * sizeof(*c.v));
	/* Without memory, stay as we are: the next miss tries again. */
	if (!nr || !rt || (s->nexpunged && !c.v)) {
		free(nr);
		free(rt);
		free(c.v);
		return;
	}
	if (s->nexpunged)
		cmap__walk(old->m, collect_expunged, &c);
	CMAP_PROBE2(sync_promote, cm, cmap_len(s->dirty));
	/* The promoted map is never written again, so its structural counters are final. */
	cmap_stats(s->dirty, &ds);
	s->grows_done += ds.grows;
	s->same_size_done += ds.same_size_grows;
	s->evacuated_done += ds.evacuated;
	s->moved_done += ds.moved;
	s->grow_ns_done += ds.grow_ns;
	s->evac_ns_done += ds.evac_ns;
	nr->m = s->dirty;
	nr->amended = false;
	__atomic_store_n(&s->read, nr, __ATOMIC_SEQ_CST);
	s->dirty = NULL;
	s->misses = 0;
	s->nexpunged = 0;
	s->promotions++;
	rt->ro = old;
	rt->map = old->m;
	rt->entries = c.v;
	rt->nentries = c.n;
	sync_retire(s, rt);
}

/* Go's missLocked: reads (and deletes) the snapshot could not answer pay towards promotion. */
static void sync_miss_locked(ccmap_t *cm)
{
	struct syncmap *s = cm->sy;

	s->misses++;
	s->misses_total++;
	CMAP_PROBE1(sync_miss, cm);
	if (s->misses >= cmap_len(s->dirty))
		sync_promote(cm);
}

/*
 * Go's Swap slow path.  Mutex held.  Return: 1 inserted, 0 updated, -ENOMEM.  The caller
 * counts, because ccmap_update() counts what its callback did instead.
 */
static int sync_store_locked(ccmap_t *cm, uint64_t key, uint64_t val)
{
	struct syncmap *s = cm->sy;
	struct readonly *ro = sync_read(s);
	struct entry *e;
	uint64_t ev;

	if (cmap__peek(ro->m, key, &ev)) {
		e = to_entry(ev);
		if (entry_tag(e) == E_EXP) {
			/*
			 * Expunged entries are missing from the (existing) dirty map.  Add it there
			 * before reviving it, so a failure changes nothing.  Nobody else changes an
			 * expunged entry, so a plain store revives it.
			 */
			if (cmap_put(s->dirty, key, ev) < 0)
				return -ENOMEM;
			__atomic_store_n(&e->st,
					 st_next(__atomic_load_n(&e->st, __ATOMIC_SEQ_CST), E_NIL),
					 __ATOMIC_SEQ_CST);
			s->nexpunged--;
		}
		return entry_try_store(e, val) == TS_WAS_VAL ? 0 : 1;
	}
	if (s->dirty && cmap__peek(s->dirty, key, &ev))
		return entry_try_store(to_entry(ev), val) == TS_WAS_VAL ? 0 : 1;
	if (!ro->amended) {
		int err = sync_amend(cm);

		if (err)
			return err;
	}
	e = malloc(sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->st = E_VAL;
	e->val = val;
	if (cmap_put(s->dirty, key, (uintptr_t)e) < 0) {
		free(e);
		return -ENOMEM;
	}
	return 1;
}

static int sync_put(ccmap_t *cm, uint64_t key, uint64_t val)
{
	struct syncmap *s = cm->sy;
	struct stripe *sp = my_stripe(s);
	struct ebr_rec *r = ebr_enter();
	uint64_t ev;
	int rc;

	if (r) {
		if (cmap__peek(sync_read(s)->m, key, &ev)) {
			rc = entry_try_store(to_entry(ev), val);
			if (rc != TS_FAIL) {
				ebr_exit(r);
				count(rc == TS_WAS_VAL ? &sp->updates : &sp->inserts, 1);
				return rc == TS_WAS_VAL ? 0 : 1;
			}
		}
		ebr_exit(r);
	}
	sync_lock(cm);
	rc = sync_store_locked(cm, key, val);
	sync_unlock(cm);
	if (rc >= 0)
		count(rc ? &sp->inserts : &sp->updates, 1);
	return rc;
}

/*
 * Go's Load.  When the snapshot cannot answer, it returns with the mutex held (*locked set) if
 * @keep_locked, so ccmap_read() can run its callback under it.
 */
static bool sync_load(ccmap_t *cm, uint64_t key, uint64_t *val, bool keep_locked, bool *locked)
{
	struct syncmap *s = cm->sy;
	struct stripe *sp = my_stripe(s);
	struct ebr_rec *r = ebr_enter();
	struct readonly *ro;
	uint64_t ev;
	bool found;

	if (r) {
		ro = sync_read(s);
		if (cmap__peek(ro->m, key, &ev)) {
			found = entry_load(to_entry(ev), val);
			ebr_exit(r);
			sync_hit(cm, sp);
			return found;
		}
		if (!ro->amended) {
			ebr_exit(r);
			sync_hit(cm, sp);
			return false;
		}
		ebr_exit(r);
	}
	sync_lock(cm);
	ro = sync_read(s);
	if (cmap__peek(ro->m, key, &ev)) {
		/* Promoted while we waited: the snapshot answers after all. */
		found = entry_load(to_entry(ev), val);
		sync_hit(cm, sp);
	} else if (ro->amended) {
		found = cmap__peek(s->dirty, key, &ev) && entry_load(to_entry(ev), val);
		sync_miss_locked(cm);
	} else {
		found = false;
		sync_hit(cm, sp);
	}
	if (keep_locked)
		*locked = true;
	else
		sync_unlock(cm);
	return found;
}

/* Go's LoadAndDelete. */
static bool sync_del(ccmap_t *cm, uint64_t key)
{
	struct syncmap *s = cm->sy;
	struct stripe *sp = my_stripe(s);
	struct ebr_rec *r = ebr_enter();
	struct readonly *ro;
	bool done = false;
	uint64_t ev;
	int rc;

	if (r) {
		ro = sync_read(s);
		if (cmap__peek(ro->m, key, &ev)) {
			rc = entry_delete(to_entry(ev));
			if (rc != DEL_FAIL) {
				ebr_exit(r);
				if (rc == DEL_DONE)
					count(&sp->deletes, 1);
				return rc == DEL_DONE;
			}
		} else if (!ro->amended) {
			ebr_exit(r);
			return false;
		}
		ebr_exit(r);
	}
	sync_lock(cm);
	ro = sync_read(s);
	if (cmap__peek(ro->m, key, &ev)) {
		done = entry_delete(to_entry(ev)) == DEL_DONE;
	} else if (ro->amended) {
		if (cmap__peek(s->dirty, key, &ev)) {
			/*
			 * The key is only in the dirty map, which readers never see without the
			 * mutex: its entry can be freed at once.
			 */
			cmap_del(s->dirty, key);
			done = entry_tag(to_entry(ev)) == E_VAL;
			free(to_entry(ev));
		}
		sync_miss_locked(cm);
	}
	sync_unlock(cm);
	if (done)
		count(&sp->deletes, 1);
	return done;
}

/* Credit what a callback did to its scratch map as if it had been done to the map. */
static void count_scratch(struct stripe *sp, const cmap_t *scratch, bool writes)
{
	struct cmap_stats st;

	cmap_stats(scratch, &st);
	count(&sp->lookups, st.lookups);
	if (writes) {
		count(&sp->inserts, st.inserts);
		count(&sp->updates, st.updates);
		count(&sp->deletes, st.deletes);
	}
}

static int sync_update(ccmap_t *cm, uint64_t key, int (*fn)(cmap_t *, uint64_t, void *), void *arg)
{
	struct syncmap *s = cm->sy;
	struct stripe *sp = my_stripe(s);
	struct entry *e = NULL;
	uint64_t ev, st0 = 0, old = 0, nv;
	bool had = false, has;
	struct bucket sb;
	cmap_t scratch;
	int rc, err = 0;

	sync_lock(cm);
	if (cmap__peek(sync_read(s)->m, key, &ev) || (s->dirty && cmap__peek(s->dirty, key, &ev))) {
		unsigned int spins = 0;

		/*
		 * Hold the entry: lock-free stores and deletes of @key then fall back to the
		 * mutex, so the read-modify-write is atomic; readers still see the old value.
		 */
		e = to_entry(ev);
		st0 = __atomic_load_n(&e->st, __ATOMIC_SEQ_CST);
		for (;;) {
			if ((st0 & E_TAG) == E_EXP) {
				e = NULL;
				break;
			}
			if (st0 & E_WRITING) {
				spin_pause(&spins);
				st0 = __atomic_load_n(&e->st, __ATOMIC_SEQ_CST);
				continue;
			}
			if (__atomic_compare_exchange_n(&e->st, &st0, st0 | E_HELD, false,
							__ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
				break;
		}
		if (e && (st0 & E_TAG) == E_VAL) {
			had = true;
			old = __atomic_load_n(&e->val, __ATOMIC_SEQ_CST);
		}
	}
	cmap__scratch_init(&scratch, &sb, had, key, old);
	rc = fn(&scratch, key, arg);
	has = cmap__peek(&scratch, key, &nv);
	if (e) {
		if (has) {
			__atomic_store_n(&e->st, st0 | E_HELD | E_WRITING, __ATOMIC_SEQ_CST);
			__atomic_store_n(&e->val, nv, __ATOMIC_SEQ_CST);
			__atomic_store_n(&e->st, st_next(st0, E_VAL), __ATOMIC_SEQ_CST);
		} else if (had) {
			__atomic_store_n(&e->st, st_next(st0, E_NIL), __ATOMIC_SEQ_CST);
		} else {
			__atomic_store_n(&e->st, st0, __ATOMIC_SEQ_CST);
		}
	} else if (has) {
		err = sync_store_locked(cm, key, nv);
	}
	sync_unlock(cm);
	count_scratch(sp, &scratch, err >= 0);
	cmap__scratch_fini(&scratch, &sb);
	return err < 0 ? err : rc;
}

static int sync_read_fn(ccmap_t *cm, uint64_t key, int (*fn)(cmap_t *, uint64_t, void *), void *arg)
{
	struct stripe *sp = my_stripe(cm->sy);
	bool locked = false, has;
	struct bucket sb;
	cmap_t scratch;
	uint64_t v = 0;
	int rc;

	has = sync_load(cm, key, &v, true, &locked);
	cmap__scratch_init(&scratch, &sb, has, key, v);
	rc = fn(&scratch, key, arg);
	if (locked)
		sync_unlock(cm);
	count_scratch(sp, &scratch, false);
	cmap__scratch_fini(&scratch, &sb);
	return rc;
}

static int free_entry(uint64_t key, uint64_t ev, void *arg)
{
	(void)key;
	(void)arg;
	free(to_entry(ev));
	return 0;
}

static int free_dirty_only(uint64_t key, uint64_t ev, void *arg)
{
	/* Entries in both maps are the same object and are freed with the snapshot. */
	if (!cmap__peek(arg, key, NULL))
		free(to_entry(ev));
	return 0;
}

static void sync_free(struct syncmap *s)
{
	struct readonly *ro = s->read;
	struct retired *r, *next;

	for (r = s->retired; r; r = next) {
		next = r->next;
		retired_free(r);
	}
	if (s->dirty) {
		cmap__walk(s->dirty, free_dirty_only, ro->m);
		cmap_free(s->dirty);
	}
	cmap__walk(ro->m, free_entry, NULL);
	cmap_free(ro->m);
	free(ro);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

static struct syncmap *sync_new(ccmap_t *cm)
{
	struct syncmap *s = aligned_alloc(CACHELINE, sizeof(*s));

	if (!s)
		return NULL;
	memset(s, 0, sizeof(*s));
	s->read = calloc(1, sizeof(*s->read));
	if (!s->read)
		goto fail;
	/* The first snapshot is empty; the hint sizes each dirty map instead. */
	s->read->m = cmap__new_child(0, cm);
	if (!s->read->m)
		goto fail;
	if (pthread_mutex_init(&s->mu, NULL)) {
		cmap_free(s->read->m);
		goto fail;
	}
	return s;
fail:
	free(s->read);
	free(s);
	return NULL;
}

static void sync_stats(ccmap_t *cm, struct cmap_stats *st)
{
	struct syncmap *s = cm->sy;
	struct cmap_stats rs, ds = {0};
	int i;

	memset(st, 0, sizeof(*st));
	sync_lock(cm);
	for (i = 0; i < NSTRIPES; i++) {
		struct stripe *sp = &s->stripes[i];

		st->inserts += __atomic_load_n(&sp->inserts, __ATOMIC_RELAXED);
		st->updates += __atomic_load_n(&sp->updates, __ATOMIC_RELAXED);
		st->deletes += __atomic_load_n(&sp->deletes, __ATOMIC_RELAXED);
		st->lookups += __atomic_load_n(&sp->lookups, __ATOMIC_RELAXED);
		st->hits += __atomic_load_n(&sp->hits, __ATOMIC_RELAXED);
	}
	cmap_stats(sync_read(s)->m, &rs);
	if (s->dirty)
		cmap_stats(s->dirty, &ds);
	st->misses = s->misses_total;
	st->promotions = s->promotions;
	st->grows = s->grows_done + ds.grows;
	st->same_size_grows = s->same_size_done + ds.same_size_grows;
	st->evacuated = s->evacuated_done + ds.evacuated;
	st->moved = s->moved_done + ds.moved;
	st->grow_ns = s->grow_ns_done + ds.grow_ns;
	st->evac_ns = s->evac_ns_done + ds.evac_ns;
	st->overflow = rs.overflow + ds.overflow;
	st->buckets = rs.buckets + ds.buckets;
	st->B = s->dirty ? ds.B : rs.B;
	sync_unlock(cm);
	/*
	 * Lock-free stores and deletes do not take the mutex, so while they run the stripes can
	 * be read mid-way through a delete whose insert was counted in a stripe already summed.
	 */
	st->count = st->inserts > st->deletes ? st->inserts - st->deletes : 0;
}

/* ---- the locked variants ---- */

static struct shard *shard_of(ccmap_t *cm, uint64_t key)
{
	/*
	 * High bits, from a seed of the ccmap's own: the shard maps hash with seeds of their
	 * own, so keys of one shard still spread over all of its buckets and tophash values.
	 */
	uint64_t h = cmap__hash_u64(key, cm->sh.seed);

	return &cm->sh.v[cm->sh.bits ? h >> (64 - cm->sh.bits) : 0];
}

/* The lock and core map guarding @key, for the mutex, rwlock and sharded variants. */
static cmap_t *guard_of(ccmap_t *cm, uint64_t key, struct lockref *ref)
{
	struct shard *sh;

	switch (cm->variant) {
	case CMAP_MUTEX:
		*ref = mutex_ref(&cm->mx.mu, &cm->mx.waiters, &cm->mx.contended);
		return cm->mx.m;
	case CMAP_RWLOCK:
		*ref = (struct lockref){ .lock = &cm->rw.rw, .waiters = &cm->rw.waiters,
					 .contended = &cm->rw.contended, .kind = LK_RWLOCK };
		return cm->rw.m;
	default:
		sh = shard_of(cm, key);
		*ref = mutex_ref(&sh->mu, &sh->waiters, &sh->contended);
		return sh->m;
	}
}

const char *ccmap_variant_name(enum cmap_variant v)
{
	switch (v) {
	case CMAP_PLAIN:
		return "plain";
	case CMAP_MUTEX:
		return "mutex";
	case CMAP_RWLOCK:
		return "rwlock";
	case CMAP_SHARDED:
		return "sharded";
	case CMAP_SYNC:
		return "sync";
	}
	return NULL;
}

static int rwlock_init(pthread_rwlock_t *rw)
{
	pthread_rwlockattr_t a;
	int err;

	/*
	 * glibc's default prefers readers, so a steady stream of readers starves writers
	 * forever; preferring writers makes readers queue behind a waiting writer, which is the
	 * behaviour the rwlock scenarios are meant to show.
	 */
	if (pthread_rwlockattr_init(&a))
		return -ENOMEM;
	pthread_rwlockattr_setkind_np(&a, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	err = pthread_rwlock_init(rw, &a);
	pthread_rwlockattr_destroy(&a);
	return err ? -err : 0;
}

ccmap_t *ccmap_new(const struct ccmap_opts *opts)
{
	unsigned int i, n = 1;
	size_t inner_hint;
	ccmap_t *cm;
	int B;

	if (!opts || opts->variant < CMAP_MUTEX || opts->variant > CMAP_SYNC) {
		errno = EINVAL;
		return NULL;
	}
	if (opts->variant == CMAP_SHARDED) {
		n = opts->shards ? opts->shards : DEFAULT_SHARDS;
		if (n > MAX_SHARDS || (n & (n - 1))) {
			errno = EINVAL;
			return NULL;
		}
	}
	/* Rounded up, so evenly spread keys fit their shards without a grow. */
	inner_hint = opts->hint / n + !!(opts->hint % n);
	B = cmap__b_for_hint(inner_hint);
	if (B < 0) {
		errno = EINVAL;
		return NULL;
	}
	cm = calloc(1, sizeof(*cm));
	if (!cm)
		return NULL;
	cm->variant = opts->variant;
	cm->hint = opts->hint;
	/*
	 * Announced before the inner maps exist: their map_create names this map as parent, and a
	 * tracer must already know which map that address is now (addresses are reused).
	 */
	CMAP_PROBE5(map_create, cm, opts->hint, B, opts->variant, 0);
	CMAP_PROBE5(ccmap_create, cm, opts->hint, B, opts->variant, 0);
	switch (opts->variant) {
	case CMAP_MUTEX:
		cm->mx.m = cmap__new_child(inner_hint, cm);
		if (!cm->mx.m)
			goto nomem;
		if (pthread_mutex_init(&cm->mx.mu, NULL)) {
			cmap_free(cm->mx.m);
			goto nomem;
		}
		break;
	case CMAP_RWLOCK:
		cm->rw.m = cmap__new_child(inner_hint, cm);
		if (!cm->rw.m)
			goto nomem;
		if (rwlock_init(&cm->rw.rw)) {
			cmap_free(cm->rw.m);
			goto nomem;
		}
		break;
	case CMAP_SHARDED:
		cm->sh.v = aligned_alloc(CACHELINE, n * sizeof(*cm->sh.v));
		if (!cm->sh.v)
			goto nomem;
		memset(cm->sh.v, 0, n * sizeof(*cm->sh.v));
		cm->sh.n = n;
		cm->sh.bits = __builtin_ctz(n);
		cm->sh.seed = cmap__next_seed();
		for (i = 0; i < n; i++) {
			cm->sh.v[i].m = cmap__new_child(inner_hint, cm);
			if (!cm->sh.v[i].m || pthread_mutex_init(&cm->sh.v[i].mu, NULL)) {
				cmap_free(cm->sh.v[i].m);
				while (i--) {
					pthread_mutex_destroy(&cm->sh.v[i].mu);
					cmap_free(cm->sh.v[i].m);
				}
				free(cm->sh.v);
				goto nomem;
			}
		}
		break;
	default: /* CMAP_SYNC */
		cm->sy = sync_new(cm);
		if (!cm->sy)
			goto nomem;
		break;
	}
	return cm;
nomem:
	CMAP_PROBE1(map_destroy, cm);
	free(cm);
	errno = ENOMEM;
	return NULL;
}

void ccmap_free(ccmap_t *cm)
{
	unsigned int i;

	if (!cm)
		return;
	CMAP_PROBE1(map_destroy, cm);
	switch (cm->variant) {
	case CMAP_MUTEX:
		pthread_mutex_destroy(&cm->mx.mu);
		cmap_free(cm->mx.m);
		break;
	case CMAP_RWLOCK:
		pthread_rwlock_destroy(&cm->rw.rw);
		cmap_free(cm->rw.m);
		break;
	case CMAP_SHARDED:
		for (i = 0; i < cm->sh.n; i++) {
			pthread_mutex_destroy(&cm->sh.v[i].mu);
			cmap_free(cm->sh.v[i].m);
		}
		free(cm->sh.v);
		break;
	default:
		sync_free(cm->sy);
		break;
	}
	free(cm);
}

int ccmap_put(ccmap_t *cm, uint64_t key, uint64_t val)
{
	struct lockref ref;
	cmap_t *m;
	int rc;

	if (cm->variant == CMAP_SYNC)
		return sync_put(cm, key, val);
	m = guard_of(cm, key, &ref);
	lock_take(cm, &ref, CMAP_LOCK_WRITE);
	rc = cmap_put(m, key, val);
	lock_drop(cm, &ref, CMAP_LOCK_WRITE);
	return rc;
}

bool ccmap_get(ccmap_t *cm, uint64_t key, uint64_t *val)
{
	enum cmap_lock_mode mode;
	struct lockref ref;
	cmap_t *m;
	bool found;

	if (cm->variant == CMAP_SYNC) {
		count(&my_stripe(cm->sy)->lookups, 1);
		return sync_load(cm, key, val, false, NULL);
	}
	m = guard_of(cm, key, &ref);
	mode = CMAP_LOCK_READ; /* shared on an rwlock, exclusive on a mutex */
	lock_take(cm, &ref, mode);
	found = cmap_get(m, key, val);
	lock_drop(cm, &ref, mode);
	return found;
}

bool ccmap_del(ccmap_t *cm, uint64_t key)
{
	struct lockref ref;
	cmap_t *m;
	bool found;

	if (cm->variant == CMAP_SYNC)
		return sync_del(cm, key);
	m = guard_of(cm, key, &ref);
	lock_take(cm, &ref, CMAP_LOCK_WRITE);
	found = cmap_del(m, key);
	lock_drop(cm, &ref, CMAP_LOCK_WRITE);
	return found;
}

int ccmap_update(ccmap_t *cm, uint64_t key, int (*fn)(cmap_t *inner, uint64_t key, void *arg),
		 void *arg)
{
	struct lockref ref;
	cmap_t *m;
	int rc;

	if (cm->variant == CMAP_SYNC)
		return sync_update(cm, key, fn, arg);
	m = guard_of(cm, key, &ref);
	lock_take(cm, &ref, CMAP_LOCK_WRITE);
	rc = fn(m, key, arg);
	lock_drop(cm, &ref, CMAP_LOCK_WRITE);
	return rc;
}

int ccmap_read(ccmap_t *cm, uint64_t key, int (*fn)(cmap_t *inner, uint64_t key, void *arg),
	       void *arg)
{
	enum cmap_lock_mode mode;
	struct lockref ref;
	cmap_t *m;
	int rc;

	if (cm->variant == CMAP_SYNC)
		return sync_read_fn(cm, key, fn, arg);
	m = guard_of(cm, key, &ref);
	mode = CMAP_LOCK_READ; /* shared on an rwlock, exclusive on a mutex */
	lock_take(cm, &ref, mode);
	rc = fn(m, key, arg);
	lock_drop(cm, &ref, mode);
	return rc;
}

static void stats_add(struct cmap_stats *sum, const struct cmap_stats *st)
{
	sum->inserts += st->inserts;
	sum->updates += st->updates;
	sum->deletes += st->deletes;
	sum->lookups += st->lookups;
	sum->grows += st->grows;
	sum->same_size_grows += st->same_size_grows;
	sum->evacuated += st->evacuated;
	sum->moved += st->moved;
	sum->grow_ns += st->grow_ns;
	sum->evac_ns += st->evac_ns;
	sum->overflow += st->overflow;
	sum->count += st->count;
	sum->buckets += st->buckets;
	if (st->B > sum->B)
		sum->B = st->B;
}

void ccmap_stats(ccmap_t *cm, struct cmap_stats *st)
{
	struct cmap_stats one;
	enum cmap_lock_mode mode;
	struct lockref ref;
	unsigned int i;
	cmap_t *m;

	memset(st, 0, sizeof(*st));
	switch (cm->variant) {
	case CMAP_MUTEX:
	case CMAP_RWLOCK:
		m = guard_of(cm, 0, &ref);
		mode = ref.kind == LK_RWLOCK ? CMAP_LOCK_READ : CMAP_LOCK_WRITE;
		lock_take(cm, &ref, mode);
		cmap_stats(m, st);
		lock_drop(cm, &ref, mode);
		break;
	case CMAP_SHARDED:
		for (i = 0; i < cm->sh.n; i++) {
			ref = mutex_ref(&cm->sh.v[i].mu, &cm->sh.v[i].waiters,
					&cm->sh.v[i].contended);
			lock_take(cm, &ref, CMAP_LOCK_WRITE);
			cmap_stats(cm->sh.v[i].m, &one);
			lock_drop(cm, &ref, CMAP_LOCK_WRITE);
			stats_add(st, &one);
		}
		break;
	default:
		sync_stats(cm, st);
		break;
	}
}

size_t ccmap_len(ccmap_t *cm)
{
	struct cmap_stats st;
	enum cmap_lock_mode mode;
	struct lockref ref;
	size_t n = 0;
	unsigned int i;
	cmap_t *m;

	switch (cm->variant) {
	case CMAP_MUTEX:
	case CMAP_RWLOCK:
		m = guard_of(cm, 0, &ref);
		mode = ref.kind == LK_RWLOCK ? CMAP_LOCK_READ : CMAP_LOCK_WRITE;
		lock_take(cm, &ref, mode);
		n = cmap_len(m);
		lock_drop(cm, &ref, mode);
		break;
	case CMAP_SHARDED:
		for (i = 0; i < cm->sh.n; i++) {
			ref = mutex_ref(&cm->sh.v[i].mu, &cm->sh.v[i].waiters,
					&cm->sh.v[i].contended);
			lock_take(cm, &ref, CMAP_LOCK_WRITE);
			n += cmap_len(cm->sh.v[i].m);
			lock_drop(cm, &ref, CMAP_LOCK_WRITE);
		}
		break;
	default:
		sync_stats(cm, &st);
		n = st.count;
		break;
	}
	return n;
}
