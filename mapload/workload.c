// SPDX-License-Identifier: MIT
/*
 * mapload workload.
 *
 * Determinism is the point of this file.  Each thread draws its ops from its own PRNG (seeded
 * with seed + thread index), so its op sequence never depends on scheduling.  Each writer
 * thread owns a slice of the keys (k % writers == its index, and the fresh keys it makes) and
 * is the only thread that stores or deletes them, so the results of its ops on those keys, and
 * the final contents of the maps, are the same however the threads interleave.  The checksum
 * covers exactly that; reads of keys another thread writes are done (they make the contention)
 * but kept out of it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>

#include "workload.h"

#define NSEC_PER_SEC  1000000000ULL
#define NSEC_PER_USEC 1000ULL
/* How many of its latest fresh keys a thread aims --recent-pct of its reads at. */
#define RECENT_KEYS 64
/* In --duration mode a thread looks at the stop flag once per this many ops. */
#define STOP_CHECK_MASK 15

/* What a thread folds into its result hash; part of the checksum definition. */
enum op_kind {
	OP_STORE = 1,
	OP_DELETE = 2,
	OP_READ_MISS = 3,
	OP_READ_HIT = 4,
};

struct workload {
	const struct mapload_opts *o;
	cmap_t **plain; /* o->maps core maps (variant plain) */
	ccmap_t **cc;	/* o->maps concurrent maps (other variants) */
};

/*
 * Start barrier: workers park here until every one of them exists, then all go at once.  Not a
 * pthread_barrier_t, because when a pthread_create() fails the threads already started must be
 * released (to exit), which a barrier short of its count never does.
 */
struct gate {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	uint32_t ready;
	int state; /* GATE_WAIT, GATE_GO or GATE_ABORT */
};

enum { GATE_WAIT, GATE_GO, GATE_ABORT };

struct worker {
	struct workload *wl;
	struct gate *gate;
	atomic_bool *stop;
	pthread_t tid;
	uint32_t idx;
	uint64_t todo; /* ops to do; unused in --duration mode */
	uint64_t rng;
	uint64_t done;
	uint64_t end_ns; /* when this thread finished its ops */
	uint64_t nfresh; /* fresh keys made so far */
	uint64_t hash;	 /* results of ops on owned keys */
	int err;
};

/* Arguments of a store or delete run under the map's lock by ccmap_update(). */
struct locked_write {
	uint64_t val;
	uint64_t hold_ns;
	bool del;
};

/* Murmur3's 64-bit finalizer: a bijective mix, good enough to spread keys and fold results. */
static inline uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

/* splitmix64 */
static inline uint64_t rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in 0..n-1 (n > 0), by multiply-shift. */
static inline uint64_t rng_below(uint64_t *s, uint64_t n)
{
	return (uint64_t)(((unsigned __int128)rng_next(s) * n) >> 64);
}

static uint64_t clock_read_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

static uint64_t now_ns(void)
{
	return clock_read_ns(CLOCK_MONOTONIC);
}

void mapload_sleep_ns(uint64_t ns)
{
	struct timespec ts = {
		.tv_sec = (time_t)(ns / NSEC_PER_SEC),
		.tv_nsec = (long)(ns % NSEC_PER_SEC),
	};

	/* relative sleep; on a signal, sleep what remains */
	while (clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &ts) == EINTR)
		;
}

/* The value thread @idx stores with its op @i: any deterministic function would do. */
static inline uint64_t store_value(uint64_t seed, uint32_t idx, uint64_t i, uint64_t key)
{
	return mix64(key ^ mix64(seed + ((uint64_t)idx << 44) + i));
}

static inline uint64_t prefill_value(uint64_t seed, uint64_t key)
{
	return mix64(key ^ mix64(~seed));
}

/* Which map of --maps holds @key; independent of the library's own hash and shard choice. */
static inline uint32_t map_index(const struct workload *wl, uint64_t key)
{
	if (wl->o->maps == 1)
		return 0;
	return (uint32_t)(mix64(key ^ 0x6d61706c6f6164ULL) % wl->o->maps);
}

static int locked_write_fn(cmap_t *inner, uint64_t key, void *arg)
{
	struct locked_write *lw = arg;
	int ret;

	if (lw->del)
		ret = cmap_del(inner, key);
	else
		ret = cmap_put(inner, key, lw->val);
	/* still inside the critical section: anyone else wanting this lock blocks in futex */
	mapload_sleep_ns(lw->hold_ns);
	return ret;
}

/* Store or delete @key, holding the lock --hold-us if asked. Return: as cmap_put / cmap_del. */
static int wl_write(struct workload *wl, uint64_t key, uint64_t val, bool del, bool hold)
{
	uint64_t hold_ns = hold ? wl->o->hold_us * NSEC_PER_USEC : 0;
	uint32_t mi = map_index(wl, key);
	struct locked_write lw = {.val = val, .hold_ns = hold_ns, .del = del};
	int ret;

	if (wl->plain) {
		ret = del ? cmap_del(wl->plain[mi], key) : cmap_put(wl->plain[mi], key, val);
		if (hold_ns)
			mapload_sleep_ns(hold_ns);
		return ret;
	}
	if (hold_ns)
		return ccmap_update(wl->cc[mi], key, locked_write_fn, &lw);
	if (del)
		return ccmap_del(wl->cc[mi], key);
	return ccmap_put(wl->cc[mi], key, val);
}

static bool wl_read(struct workload *wl, uint64_t key, uint64_t *val)
{
	uint32_t mi = map_index(wl, key);

	if (wl->plain)
		return cmap_get(wl->plain[mi], key, val);
	return ccmap_get(wl->cc[mi], key, val);
}

static inline void fold(struct worker *w, enum op_kind op, uint64_t key, uint64_t result)
{
	w->hash = mix64(w->hash ^ mix64(key + ((uint64_t)op << 60)) ^ result);
}

/* A uniformly chosen key of this writer's slice of 0..keys-1. */
static inline uint64_t own_key(struct worker *w)
{
	const struct mapload_opts *o = w->wl->o;
	uint64_t n = (o->keys - w->idx + o->writers - 1) / o->writers;

	return w->idx + o->writers * rng_below(&w->rng, n);
}

/* The @j-th fresh key of this writer: beyond the key space, never made by anyone else. */
static inline uint64_t fresh_key(const struct worker *w, uint64_t j)
{
	const struct mapload_opts *o = w->wl->o;

	return o->keys + j * o->writers + w->idx;
}

static inline bool owns(const struct worker *w, uint64_t key)
{
	const struct mapload_opts *o = w->wl->o;

	if (w->idx >= o->writers)
		return false;
	if (key < o->keys)
		return key % o->writers == w->idx;
	return (key - o->keys) % o->writers == w->idx;
}

static int do_store(struct worker *w, uint64_t i)
{
	const struct mapload_opts *o = w->wl->o;
	uint64_t key;
	int ret;

	if (rng_below(&w->rng, MAPLOAD_BP_ALL) < o->new_key_bp)
		key = fresh_key(w, w->nfresh++);
	else
		key = own_key(w);
	ret = wl_write(w->wl, key, store_value(o->seed, w->idx, i, key), false, true);
	if (ret < 0)
		return ret;
	fold(w, OP_STORE, key, (uint64_t)ret);
	return 0;
}

static int do_delete(struct worker *w)
{
	uint64_t key = own_key(w);
	int ret;

	ret = wl_write(w->wl, key, 0, true, true);
	if (ret < 0)
		return ret;
	fold(w, OP_DELETE, key, (uint64_t)ret);
	return 0;
}

static void do_read(struct worker *w)
{
	const struct mapload_opts *o = w->wl->o;
	uint64_t key, val = 0, span;
	bool hit;

	if (w->nfresh && o->recent_bp && rng_below(&w->rng, MAPLOAD_BP_ALL) < o->recent_bp) {
		span = w->nfresh < RECENT_KEYS ? w->nfresh : RECENT_KEYS;
		key = fresh_key(w, w->nfresh - 1 - rng_below(&w->rng, span));
	} else {
		/* any key that may exist: the key space and about as many fresh keys as ours */
		span = o->keys + w->nfresh * o->writers;
		key = rng_below(&w->rng, span);
	}
	hit = wl_read(w->wl, key, &val);
	if (owns(w, key))
		fold(w, hit ? OP_READ_HIT : OP_READ_MISS, key, hit ? val : 0);
}

static int worker_op(struct worker *w, uint64_t i)
{
	const struct mapload_opts *o = w->wl->o;
	uint64_t r = rng_below(&w->rng, MAPLOAD_BP_ALL);

	if (w->idx < o->writers) {
		if (r < o->write_bp)
			return do_store(w, i);
		if (r < o->write_bp + o->delete_bp)
			return do_delete(w);
	}
	do_read(w);
	return 0;
}

/* Wait at the gate. Return: true to run, false when the run was called off. */
static bool gate_wait(struct gate *g)
{
	int state;

	pthread_mutex_lock(&g->mu);
	g->ready++;
	pthread_cond_broadcast(&g->cv);
	while (g->state == GATE_WAIT)
		pthread_cond_wait(&g->cv, &g->mu);
	state = g->state;
	pthread_mutex_unlock(&g->mu);
	return state == GATE_GO;
}

static void gate_set(struct gate *g, int state)
{
	pthread_mutex_lock(&g->mu);
	g->state = state;
	pthread_cond_broadcast(&g->cv);
	pthread_mutex_unlock(&g->mu);
}

static void gate_wait_ready(struct gate *g, uint32_t n)
{
	pthread_mutex_lock(&g->mu);
	while (g->ready < n)
		pthread_cond_wait(&g->cv, &g->mu);
	pthread_mutex_unlock(&g->mu);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	bool timed = w->wl->o->duration_ns != 0;
	uint64_t i;
	int err;

	if (!gate_wait(w->gate))
		return NULL;
	for (i = 0;; i++) {
		if (timed) {
			if (!(i & STOP_CHECK_MASK) &&
			    atomic_load_explicit(w->stop, memory_order_relaxed))
				break;
		} else if (i >= w->todo) {
			break;
		}
		err = worker_op(w, i);
		if (err) {
			w->err = err;
			break;
		}
	}
	w->done = i;
	w->end_ns = now_ns();
	return NULL;
}

static void stats_add(struct cmap_stats *sum, const struct cmap_stats *s)
{
	sum->inserts += s->inserts;
	sum->updates += s->updates;
	sum->deletes += s->deletes;
	sum->lookups += s->lookups;
	sum->grows += s->grows;
	sum->same_size_grows += s->same_size_grows;
	sum->evacuated += s->evacuated;
	sum->moved += s->moved;
	sum->grow_ns += s->grow_ns;
	sum->evac_ns += s->evac_ns;
	sum->overflow += s->overflow;
	sum->count += s->count;
	sum->buckets += s->buckets;
	if (s->B > sum->B)
		sum->B = s->B;
	sum->hits += s->hits;
	sum->misses += s->misses;
	sum->promotions += s->promotions;
}

static void workload_stats(struct workload *wl, struct cmap_stats *sum)
{
	struct cmap_stats s;
	uint32_t i;

	memset(sum, 0, sizeof(*sum));
	for (i = 0; i < wl->o->maps; i++) {
		memset(&s, 0, sizeof(s));
		if (wl->plain)
			cmap_stats(wl->plain[i], &s);
		else
			ccmap_stats(wl->cc[i], &s);
		stats_add(sum, &s);
	}
}

static int prefill(struct workload *wl)
{
	const struct mapload_opts *o = wl->o;
	uint64_t k;
	int ret;

	for (k = 0; k < o->prefill; k++) {
		ret = wl_write(wl, k, prefill_value(o->seed, k), false, false);
		if (ret < 0) {
			fprintf(stderr, "mapload: prefill: cannot store key %llu: %s\n",
				(unsigned long long)k, strerror(-ret));
			return ret;
		}
	}
	return 0;
}

int workload__new(const struct mapload_opts *o, struct workload **out)
{
	struct ccmap_opts co = {
		.variant = o->variant,
		.hint = o->hint,
		.shards = o->variant == CMAP_SHARDED ? o->shards : 0,
	};
	struct workload *wl;
	uint32_t i;
	int err;

	*out = NULL;
	wl = calloc(1, sizeof(*wl));
	if (!wl)
		return -ENOMEM;
	wl->o = o;
	if (o->variant == CMAP_PLAIN)
		wl->plain = calloc(o->maps, sizeof(*wl->plain));
	else
		wl->cc = calloc(o->maps, sizeof(*wl->cc));
	if (!wl->plain && !wl->cc) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (i = 0; i < o->maps; i++) {
		if (wl->plain)
			wl->plain[i] = cmap_new(o->hint);
		else
			wl->cc[i] = ccmap_new(&co);
		if ((wl->plain && !wl->plain[i]) || (wl->cc && !wl->cc[i])) {
			err = -errno;
			fprintf(stderr, "mapload: cannot create %s map (hint %llu): %s\n",
				ccmap_variant_name(o->variant) ?: "?", (unsigned long long)o->hint,
				strerror(errno));
			goto cleanup;
		}
	}
	err = prefill(wl);
	if (err)
		goto cleanup;
	*out = wl;
	return 0;

cleanup:
	workload__free(wl);
	return err;
}

void workload__free(struct workload *wl)
{
	uint32_t i;

	if (!wl)
		return;
	for (i = 0; i < wl->o->maps; i++) {
		if (wl->plain)
			cmap_free(wl->plain[i]);
		if (wl->cc)
			ccmap_free(wl->cc[i]);
	}
	free(wl->plain);
	free(wl->cc);
	free(wl);
}

static uint64_t map_count(struct workload *wl)
{
	uint64_t n = 0;
	uint32_t i;

	for (i = 0; i < wl->o->maps; i++)
		n += wl->plain ? cmap_len(wl->plain[i]) : ccmap_len(wl->cc[i]);
	return n;
}

int workload__run(struct workload *wl, struct workload_result *res)
{
	const struct mapload_opts *o = wl->o;
	struct gate gate = {
		.mu = PTHREAD_MUTEX_INITIALIZER,
		.cv = PTHREAD_COND_INITIALIZER,
		.state = GATE_WAIT,
	};
	atomic_bool stop = false;
	struct worker *ws;
	uint64_t t0 = 0, c0 = 0, t1, h;
	uint32_t i, started = 0;
	int err = 0;

	memset(res, 0, sizeof(*res));
	ws = calloc(o->threads, sizeof(*ws));
	if (!ws)
		return -ENOMEM;
	/* a 10 us hold should not become a 60 us one: the default timer slack is 50 us */
	if (o->hold_us && prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0))
		fprintf(stderr, "mapload: cannot lower the timer slack (longer holds): %s\n",
			strerror(errno));

	for (i = 0; i < o->threads; i++) {
		struct worker *w = &ws[i];

		w->wl = wl;
		w->gate = &gate;
		w->stop = &stop;
		w->idx = i;
		w->todo = o->ops / o->threads + (i < o->ops % o->threads);
		w->rng = mix64(o->seed + i);
		w->hash = mix64(i);
		err = -pthread_create(&w->tid, NULL, worker_main, w);
		if (err) {
			fprintf(stderr, "mapload: cannot start thread %u: %s\n", i, strerror(-err));
			gate_set(&gate, GATE_ABORT);
			goto join;
		}
		started++;
	}

	/* timed part: from the moment all threads are released until the last one is joined */
	gate_wait_ready(&gate, o->threads);
	t0 = now_ns();
	c0 = clock_read_ns(CLOCK_PROCESS_CPUTIME_ID);
	gate_set(&gate, GATE_GO);
	if (o->duration_ns) {
		mapload_sleep_ns(o->duration_ns);
		atomic_store(&stop, true);
	}
join:
	for (i = 0; i < started; i++)
		pthread_join(ws[i].tid, NULL);
	if (err)
		goto cleanup;
	t1 = now_ns();
	res->cpu_ns = clock_read_ns(CLOCK_PROCESS_CPUTIME_ID) - c0;

	workload_stats(wl, &res->st);
	res->elapsed_ns = t1 - t0;
	h = mix64(o->seed);
	for (i = 0; i < o->threads; i++) {
		if (ws[i].err && !err) {
			err = ws[i].err;
			fprintf(stderr, "mapload: thread %u: store failed: %s\n", i,
				strerror(-err));
		}
		res->ops += ws[i].done;
		h = mix64(h ^ ws[i].hash);
		if (o->verbose)
			fprintf(stderr, "mapload: thread %u (%s): %llu ops, done after %.3f ms\n",
				i, i < o->writers ? "writer" : "reader",
				(unsigned long long)ws[i].done, (ws[i].end_ns - t0) / 1e6);
	}
	res->checksum = mix64(h ^ map_count(wl));

cleanup:
	free(ws);
	return err;
}
