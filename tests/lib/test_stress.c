// SPDX-License-Identifier: MIT
/*
 * Multi-threaded stress of every concurrent variant, with a final state and counters known in
 * advance.  Built and run three ways: plain, -fsanitize=thread, -fsanitize=address,undefined.
 *
 * Each thread owns a key range and keeps a model of it, so every result on its own keys is
 * checked at once, and the final contents are exact.  All threads also share:
 *  - counter keys, changed only by ccmap_update() increments: final value = increments made,
 *    and every thread's reads of one must never go down;
 *  - churn keys, stored, deleted and read by everyone: a value read must be one some thread
 *    stored for that key;
 *  - stable keys, stored before the threads start and only read (the sync map's good case).
 * The map's counters must equal what the return values say happened.  A monitor thread reads
 * stats and length throughout.
 *
 * Usage: test_stress [ops-per-thread]
 */
/* timeout: 600 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmap.h"
#include "check.h"

#define THREADS	 4
#define RANGE	 2048 /* most keys a thread owns */
#define NCOUNTER 8
#define NCHURN	 64
#define NSTABLE	 256

/* ThreadSanitizer costs about 10x, AddressSanitizer about 2x. */
#if defined(__SANITIZE_THREAD__)
#define DEFAULT_OPS 100000
#elif defined(__SANITIZE_ADDRESS__)
#define DEFAULT_OPS 150000
#else
#define DEFAULT_OPS 300000
#endif

/*
 * Key spaces, disjoint: own ranges from 1<<32, the shared ones below.  @gen > 0 gives a slot a
 * key never used before (see struct worker.fresh).
 */
static uint64_t own_key(int t, uint32_t i, uint32_t gen)
{
	return (1ull << 32) + (uint64_t)t * RANGE + i + ((uint64_t)gen << 40);
}

static uint64_t counter_key(uint32_t i)
{
	return 1000 + i;
}

static uint64_t churn_key(uint32_t i)
{
	return 2000 + i;
}

static uint64_t stable_key(uint32_t i)
{
	return 3000 + i;
}

/* Churn values name their key, so a value read under another key is caught. */
static uint64_t churn_val(uint64_t key, int t, uint64_t seq)
{
	return key << 40 | (uint64_t)t << 32 | (seq & 0xffffffff);
}

struct tally {
	uint64_t inserts, updates, deletes, lookups, reads, dels;
	uint64_t increments[NCOUNTER];
	uint64_t errors;
};

struct worker {
	ccmap_t *m;
	uint32_t range; /* keys this thread owns */
	/*
	 * A deleted slot gets a new key, so the sync map keeps meeting keys its snapshot lacks:
	 * constant misses, promotions, expunged entries and retired snapshots.
	 */
	bool fresh;
	uint32_t gen[RANGE];
	enum cmap_variant variant;
	int t;
	uint64_t ops;
	uint64_t rng;
	uint8_t present[RANGE];
	uint64_t val[RANGE];
	uint64_t last_counter[NCOUNTER];
	struct tally tl;
	char first_error[160];
};

static void werr(struct worker *w, const char *what, uint64_t key)
{
	if (!w->tl.errors++)
		snprintf(w->first_error, sizeof(w->first_error), "thread %d: %s (key %llu)", w->t,
			 what, (unsigned long long)key);
}

struct inc_arg {
	uint64_t lookups, inserts, updates, seen;
};

/* ccmap_update() callback: increment, counting what it did to the map it was given. */
static int inc_fn(cmap_t *inner, uint64_t key, void *arg)
{
	struct inc_arg *a = arg;
	uint64_t v = 0;
	int rc;

	a->lookups++;
	cmap_get(inner, key, &v);
	a->seen = v;
	rc = cmap_put(inner, key, v + 1);
	if (rc == 1)
		a->inserts++;
	else if (rc == 0)
		a->updates++;
	return rc < 0 ? rc : 7;
}

struct read_arg {
	uint64_t lookups;
	bool found;
	uint64_t v;
};

static int read_fn(cmap_t *inner, uint64_t key, void *arg)
{
	struct read_arg *a = arg;

	a->lookups++;
	a->found = cmap_get(inner, key, &a->v);
	return 5;
}

static uint64_t rnd(struct worker *w, uint64_t bound)
{
	return check_rand(&w->rng) % bound;
}

static void own_op(struct worker *w, uint64_t x)
{
	uint32_t i = rnd(w, w->range);
	uint64_t key = own_key(w->t, i, w->gen[i]), v;
	struct read_arg ra = {0};
	int rc;

	if (x < 30) {
		v = check_rand(&w->rng);
		rc = ccmap_put(w->m, key, v);
		if (rc != !w->present[i])
			werr(w, "own put returned the wrong result", key);
		if (rc == 1)
			w->tl.inserts++;
		else
			w->tl.updates++;
		w->present[i] = 1;
		w->val[i] = v;
	} else if (x < 45) {
		bool done = ccmap_del(w->m, key);

		w->tl.dels++;
		if (done != w->present[i])
			werr(w, "own delete returned the wrong result", key);
		w->tl.deletes += done;
		w->present[i] = 0;
		if (w->fresh)
			w->gen[i]++;
	} else if (x < 65) {
		bool found = ccmap_get(w->m, key, &v);

		w->tl.lookups++;
		w->tl.reads++;
		if (found != w->present[i] || (found && v != w->val[i]))
			werr(w, "own get disagrees with the model", key);
	} else {
		rc = ccmap_read(w->m, key, read_fn, &ra);
		w->tl.lookups += ra.lookups;
		w->tl.reads++;
		if (rc != 5 || ra.found != w->present[i] || (ra.found && ra.v != w->val[i]))
			werr(w, "own ccmap_read disagrees with the model", key);
	}
}

static void shared_op(struct worker *w, uint64_t x)
{
	struct inc_arg ia = {0};
	struct read_arg ra = {0};
	uint64_t key, v;
	uint32_t i;
	int rc;

	if (x < 75) {
		i = rnd(w, NCOUNTER);
		rc = ccmap_update(w->m, counter_key(i), inc_fn, &ia);
		if (rc != 7 || ia.seen < w->last_counter[i])
			werr(w, "counter increment failed or went backwards", counter_key(i));
		w->last_counter[i] = ia.seen + 1;
		w->tl.increments[i]++;
		w->tl.lookups += ia.lookups;
		w->tl.inserts += ia.inserts;
		w->tl.updates += ia.updates;
	} else if (x < 80) {
		i = rnd(w, NCOUNTER);
		rc = ccmap_read(w->m, counter_key(i), read_fn, &ra);
		w->tl.lookups += ra.lookups;
		w->tl.reads++;
		v = ra.found ? ra.v : 0;
		if (rc != 5 || v < w->last_counter[i])
			werr(w, "a counter read went backwards", counter_key(i));
		w->last_counter[i] = v;
	} else if (x < 90) {
		key = churn_key(rnd(w, NCHURN));
		switch (rnd(w, 3)) {
		case 0:
			rc = ccmap_put(w->m, key, churn_val(key, w->t, check_rand(&w->rng)));
			if (rc == 1)
				w->tl.inserts++;
			else if (rc == 0)
				w->tl.updates++;
			else
				werr(w, "churn put failed", key);
			break;
		case 1:
			w->tl.dels++;
			w->tl.deletes += ccmap_del(w->m, key);
			break;
		default:
			w->tl.lookups++;
			w->tl.reads++;
			if (ccmap_get(w->m, key, &v) &&
			    (v >> 40 != key || (v >> 32 & 0xff) >= THREADS))
				werr(w, "a churn key holds a value never stored for it", key);
		}
	} else {
		key = stable_key(rnd(w, NSTABLE));
		w->tl.lookups++;
		w->tl.reads++;
		if (!ccmap_get(w->m, key, &v) || v != ~key)
			werr(w, "a stable key lost its value", key);
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	uint64_t n;

	for (n = 0; n < w->ops; n++) {
		uint64_t x = rnd(w, 100);

		/* Two thirds on the thread's own keys, a third on shared keys. */
		if (x < 66)
			own_op(w, rnd(w, 100));
		else
			shared_op(w, 60 + rnd(w, 40));
	}
	return NULL;
}

struct monitor {
	ccmap_t *m;
	int stop; /* atomic */
	uint64_t rounds;
	uint64_t bad;
};

static void *monitor_main(void *arg)
{
	struct monitor *mo = arg;
	struct cmap_stats st;

	while (!__atomic_load_n(&mo->stop, __ATOMIC_ACQUIRE)) {
		ccmap_stats(mo->m, &st);
		/* Live keys never exceed every key there is. */
		if (st.count > THREADS * RANGE + NCOUNTER + NCHURN + NSTABLE ||
		    ccmap_len(mo->m) > THREADS * RANGE + NCOUNTER + NCHURN + NSTABLE)
			mo->bad++;
		mo->rounds++;
		/* Often enough to overlap every phase, rarely enough not to dominate the mutex. */
		nanosleep(&(struct timespec){0, 50 * 1000}, NULL);
	}
	return NULL;
}

static void stress(const char *name, const struct ccmap_opts *o, uint32_t range, bool fresh,
		   uint64_t ops)
{
	static struct worker w[THREADS];
	pthread_t th[THREADS], mth;
	struct monitor mo = {0};
	struct tally sum = {0};
	uint64_t live = NSTABLE, bad = 0, v, i, errors = 0;
	struct cmap_stats st;
	double t0 = check_now();
	ccmap_t *m = ccmap_new(o);
	int t, j;

	if (!check(m != NULL, "%s: created", name))
		return;
	for (i = 0; i < NSTABLE; i++)
		ccmap_put(m, stable_key(i), ~stable_key(i));
	sum.inserts = NSTABLE;
	mo.m = m;
	for (t = 0; t < THREADS; t++) {
		memset(&w[t], 0, sizeof(w[t]));
		w[t].m = m;
		w[t].range = range;
		w[t].fresh = fresh;
		w[t].variant = o->variant;
		w[t].t = t;
		w[t].ops = ops;
		w[t].rng = 0x5eed0000 + t * 7919 + o->variant * 104729;
	}
	pthread_create(&mth, NULL, monitor_main, &mo);
	for (t = 0; t < THREADS; t++)
		pthread_create(&th[t], NULL, worker_main, &w[t]);
	for (t = 0; t < THREADS; t++)
		pthread_join(th[t], NULL);
	__atomic_store_n(&mo.stop, 1, __ATOMIC_RELEASE);
	pthread_join(mth, NULL);

	for (t = 0; t < THREADS; t++) {
		errors += w[t].tl.errors;
		if (w[t].tl.errors)
			diag("%s: %s", name, w[t].first_error);
		sum.inserts += w[t].tl.inserts;
		sum.updates += w[t].tl.updates;
		sum.deletes += w[t].tl.deletes;
		sum.lookups += w[t].tl.lookups;
		sum.reads += w[t].tl.reads;
		sum.dels += w[t].tl.dels;
		for (j = 0; j < NCOUNTER; j++)
			sum.increments[j] += w[t].tl.increments[j];
	}
	check(errors == 0, "%s: every result on own, counter, churn and stable keys was right",
	      name);

	/* The final contents are known exactly, except which churn keys survived. */
	for (t = 0; t < THREADS; t++) {
		for (i = 0; i < range; i++) {
			bool found = ccmap_get(m, own_key(t, i, w[t].gen[i]), &v);

			if (found != w[t].present[i] || (found && v != w[t].val[i]))
				bad++;
			/* The slot's previous key was deleted. */
			if (w[t].gen[i] && ccmap_get(m, own_key(t, i, w[t].gen[i] - 1), NULL))
				bad++;
			live += w[t].present[i];
		}
	}
	for (j = 0; j < NCOUNTER; j++) {
		if (!ccmap_get(m, counter_key(j), &v) || v != sum.increments[j])
			bad++;
		live++;
	}
	for (i = 0; i < NCHURN; i++) {
		if (ccmap_get(m, churn_key(i), &v)) {
			live++;
			if (v >> 40 != churn_key(i))
				bad++;
		}
	}
	for (i = 0; i < NSTABLE; i++)
		if (!ccmap_get(m, stable_key(i), &v) || v != ~stable_key(i))
			bad++;
	/* The checks above were lookups too. */
	for (t = 0, v = NCOUNTER + NCHURN + NSTABLE; t < THREADS; t++)
		for (i = 0; i < range; i++)
			v += 1 + !!w[t].gen[i];
	sum.reads += v;
	sum.lookups += v;
	check(bad == 0, "%s: final contents exact (own keys, counters = increments, churn, stable)",
	      name);

	ccmap_stats(m, &st);
	check(st.count == live && ccmap_len(m) == live, "%s: count %llu = live keys %llu", name,
	      (unsigned long long)st.count, (unsigned long long)live);
	check(st.inserts == sum.inserts && st.updates == sum.updates && st.deletes == sum.deletes,
	      "%s: inserts %llu/%llu updates %llu/%llu deletes %llu/%llu match the results", name,
	      (unsigned long long)st.inserts, (unsigned long long)sum.inserts,
	      (unsigned long long)st.updates, (unsigned long long)sum.updates,
	      (unsigned long long)st.deletes, (unsigned long long)sum.deletes);
	check(st.lookups == sum.lookups, "%s: lookups %llu = %llu made", name,
	      (unsigned long long)st.lookups, (unsigned long long)sum.lookups);
	check(st.inserts - st.deletes == st.count, "%s: inserts - deletes = count", name);
	if (o->variant == CMAP_SYNC) {
		/* Every read is a hit or a miss; deletes that miss the snapshot are misses too. */
		check(st.hits + st.misses >= sum.reads &&
			      st.hits + st.misses <= sum.reads + sum.dels,
		      "%s: hits %llu + misses %llu within reads %llu .. reads + deletes %llu", name,
		      (unsigned long long)st.hits, (unsigned long long)st.misses,
		      (unsigned long long)sum.reads, (unsigned long long)(sum.reads + sum.dels));
		check(st.promotions > 0 && st.hits > 0 && st.misses > 0,
		      "%s: promotions (%llu), hits and misses all happened", name,
		      (unsigned long long)st.promotions);
	} else {
		check(st.hits == 0 && st.misses == 0 && st.promotions == 0,
		      "%s: no sync-map counters", name);
	}
	check(mo.bad == 0, "%s: %llu concurrent stats/len snapshots were sane", name,
	      (unsigned long long)mo.rounds);
	diag("%s: %d threads x %llu ops in %.2f s; grows %llu, same-size %llu, evacuated %llu, "
	     "hits %llu, misses %llu, promotions %llu, count %llu",
	     name, THREADS, (unsigned long long)ops, check_now() - t0, (unsigned long long)st.grows,
	     (unsigned long long)st.same_size_grows, (unsigned long long)st.evacuated,
	     (unsigned long long)st.hits, (unsigned long long)st.misses,
	     (unsigned long long)st.promotions, (unsigned long long)st.count);
	ccmap_free(m);
}

/* ---- a store or delete racing with ccmap_update() on the same key must wait for it ---- */

struct race {
	ccmap_t *m;
	int in_fn; /* atomic */
	int do_del;
};

static int slow_inc_fn(cmap_t *inner, uint64_t key, void *arg)
{
	struct race *r = arg;
	struct timespec ts = {0, 20 * 1000 * 1000};
	uint64_t v = 0;

	cmap_get(inner, key, &v);
	__atomic_store_n(&r->in_fn, 1, __ATOMIC_RELEASE);
	/* Long enough for the racing store to have run, had it not waited. */
	nanosleep(&ts, NULL);
	cmap_put(inner, key, v + 1);
	return 0;
}

static void *racer(void *arg)
{
	struct race *r = arg;

	while (!__atomic_load_n(&r->in_fn, __ATOMIC_ACQUIRE))
		sched_yield();
	if (r->do_del)
		ccmap_del(r->m, 77);
	else
		ccmap_put(r->m, 77, 999);
	return NULL;
}

static void race_update(enum cmap_variant variant, int do_del)
{
	struct ccmap_opts o = {.variant = variant};
	struct race r = {.do_del = do_del};
	bool found;
	pthread_t th;
	uint64_t v = 0;
	int i;

	r.m = ccmap_new(&o);
	/* Promote so key 77 sits in the sync map's snapshot, where stores need no lock. */
	ccmap_put(r.m, 77, 5);
	for (i = 0; i < 4; i++)
		ccmap_get(r.m, 77, NULL);
	pthread_create(&th, NULL, racer, &r);
	ccmap_update(r.m, 77, slow_inc_fn, &r);
	pthread_join(th, NULL);
	found = ccmap_get(r.m, 77, &v);
	check(do_del ? !found : found && v == 999,
	      "%s: a %s racing with ccmap_update() on the same key takes effect after it",
	      ccmap_variant_name(variant), do_del ? "delete" : "store");
	ccmap_free(r.m);
}

int main(int argc, char **argv)
{
	uint64_t ops = argc > 1 ? strtoull(argv[1], NULL, 0) : DEFAULT_OPS;
	static const struct {
		const char *name;
		struct ccmap_opts o;
		uint32_t range;
		bool fresh;
	} v[] = {
		{"mutex", {CMAP_MUTEX, 0, 0}, RANGE, false},
		{"rwlock", {CMAP_RWLOCK, 0, 0}, RANGE, false},
		{"sharded (16)", {CMAP_SHARDED, 0, 0}, RANGE, false},
		{"sharded (4, hint 5000)", {CMAP_SHARDED, 5000, 4}, RANGE, false},
		{"sharded (1)", {CMAP_SHARDED, 0, 1}, RANGE, false},
		{"mutex, fresh keys", {CMAP_MUTEX, 0, 0}, 64, true},
		{"sync", {CMAP_SYNC, 0, 0}, RANGE, false},
		{"sync (hint 5000)", {CMAP_SYNC, 5000, 0}, RANGE, false},
		/* A small dirty map is promoted every few hundred misses: reclamation works hard.
		 */
		{"sync, fresh keys", {CMAP_SYNC, 0, 0}, 64, true},
	};
	struct ccmap_opts bad = {.variant = CMAP_SHARDED, .shards = 3};
	double t0 = check_now();
	size_t i;

	errno = 0;
	check(!ccmap_new(&bad) && errno == EINVAL, "sharded: 3 shards is EINVAL");
	bad.shards = 8192;
	errno = 0;
	check(!ccmap_new(&bad) && errno == EINVAL, "sharded: 8192 shards is EINVAL");
	bad.variant = CMAP_PLAIN;
	errno = 0;
	check(!ccmap_new(&bad) && errno == EINVAL, "ccmap_new(CMAP_PLAIN) is EINVAL");
	check(!strcmp(ccmap_variant_name(CMAP_SYNC), "sync") && !ccmap_variant_name(99),
	      "variant names");

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		stress(v[i].name, &v[i].o, v[i].range, v[i].fresh, ops);
	for (i = CMAP_MUTEX; i <= CMAP_SYNC; i++) {
		race_update(i, 0);
		race_update(i, 1);
	}
	diag("test_stress: %.2f s", check_now() - t0);
	return check_exit();
}
