// SPDX-License-Identifier: MIT
/*
 * Deterministic lock contention on the library's concurrent maps, for maptrace's tests.
 *
 *   contend mutex  ITERS HOLD_MS [START_AFTER_S]
 *     Thread A takes the map's mutex (ccmap_update) and holds it HOLD_MS; only once A holds it
 *     does thread B try to write, so B blocks exactly once per iteration: ITERS contentions,
 *     each about HOLD_MS long, all write mode.
 *   contend pthread ITERS HOLD_MS [START_AFTER_S]
 *     The same with a bare pthread mutex, outside the library: seen only through futex waits.
 *   contend rwlock ITERS HOLD_MS [START_AFTER_S]
 *     Per iteration: the writer holds the write lock HOLD_MS while 2 readers try to read
 *     (2 read contentions), then one reader holds the read lock HOLD_MS while the writer tries
 *     to write (1 write contention): 2*ITERS read and ITERS write contentions.
 *
 * Prints "contend: pid N" on stderr, sleeps START_AFTER_S (default 1) so a tracer can attach,
 * and prints one JSON line with what it did on stdout, including every wait as the waiting
 * thread timed it itself (CLOCK_MONOTONIC around the blocking call): tests compare a tracer's
 * latencies with these rather than with HOLD_MS, which a busy machine overshoots.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "cmap.h"

#define READERS 2

struct ctx {
	ccmap_t *m;
	pthread_mutex_t bare;
	int iters;
	long hold_ms;
	int waiters; /* threads that wait for the holder each iteration */
	sem_t holding;	/* the lock holder has the lock */
	sem_t go_read;	/* a reader may take the read lock and hold it */
	sem_t read_holding; /* that reader holds the read lock */
	sem_t done[READERS + 1];
	uint64_t *waits; /* each contention's duration as its waiter measured it, in ns */
	int nwaits;
	pthread_mutex_t waits_lock;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void record_wait(struct ctx *c, uint64_t since)
{
	uint64_t d = now_ns() - since;

	pthread_mutex_lock(&c->waits_lock);
	c->waits[c->nwaits++] = d;
	pthread_mutex_unlock(&c->waits_lock);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* Under the lock: tell the other side we hold it, then keep holding it. */
static int hold_and_signal(cmap_t *inner, uint64_t key, void *arg)
{
	struct ctx *c = arg;

	cmap_put(inner, key, key);
	for (int i = 0; i < c->waiters; i++)
		sem_post(&c->holding);
	sleep_ms(c->hold_ms);
	return 0;
}

static int read_hold_and_signal(cmap_t *inner, uint64_t key, void *arg)
{
	struct ctx *c = arg;

	cmap_get(inner, key, NULL);
	sem_post(&c->read_holding);
	sleep_ms(c->hold_ms);
	return 0;
}

static __attribute__((noinline)) void mutex_b(struct ctx *c, bool bare)
{
	for (int i = 0; i < c->iters; i++) {
		uint64_t t0;

		sem_wait(&c->holding);
		t0 = now_ns();
		if (bare) {
			pthread_mutex_lock(&c->bare);
			record_wait(c, t0);
			pthread_mutex_unlock(&c->bare);
		} else {
			ccmap_put(c->m, 1000 + i, i);
			record_wait(c, t0);
		}
		sem_post(&c->done[0]);
	}
}

static void *thread_b(void *arg)
{
	mutex_b(arg, false);
	return NULL;
}

static void *thread_b_bare(void *arg)
{
	mutex_b(arg, true);
	return NULL;
}

static void run_mutex(struct ctx *c, bool bare)
{
	pthread_t b;

	pthread_create(&b, NULL, bare ? thread_b_bare : thread_b, c);
	for (int i = 0; i < c->iters; i++) {
		if (bare) {
			pthread_mutex_lock(&c->bare);
			sem_post(&c->holding);
			sleep_ms(c->hold_ms);
			pthread_mutex_unlock(&c->bare);
		} else {
			ccmap_update(c->m, i, hold_and_signal, c);
		}
		sem_wait(&c->done[0]);
	}
	pthread_join(b, NULL);
}

struct reader {
	struct ctx *c;
	int idx;
};

static void *reader(void *arg)
{
	struct reader *r = arg;
	struct ctx *c = r->c;

	for (int i = 0; i < c->iters; i++) {
		uint64_t t0;

		/* phase 1: the writer holds the lock, we block reading */
		sem_wait(&c->holding);
		t0 = now_ns();
		ccmap_get(c->m, i, NULL);
		record_wait(c, t0);
		sem_post(&c->done[r->idx]);
		/* phase 2: reader 0 holds the read lock while the writer blocks */
		if (r->idx == 0) {
			sem_wait(&c->go_read);
			ccmap_read(c->m, i, read_hold_and_signal, c);
			sem_post(&c->done[r->idx]);
		}
	}
	return NULL;
}

static void run_rwlock(struct ctx *c)
{
	struct reader rs[READERS];
	pthread_t t[READERS];

	for (int i = 0; i < READERS; i++) {
		rs[i] = (struct reader){ .c = c, .idx = i };
		pthread_create(&t[i], NULL, reader, &rs[i]);
	}
	for (int i = 0; i < c->iters; i++) {
		ccmap_update(c->m, i, hold_and_signal, c);
		for (int k = 0; k < READERS; k++)
			sem_wait(&c->done[k]);
		sem_post(&c->go_read);
		uint64_t t0;

		sem_wait(&c->read_holding);
		t0 = now_ns();
		ccmap_put(c->m, 5000 + i, i);
		record_wait(c, t0);
		sem_wait(&c->done[0]);
	}
	for (int i = 0; i < READERS; i++)
		pthread_join(t[i], NULL);
}

int main(int argc, char **argv)
{
	struct ccmap_opts o = { 0 };
	struct cmap_stats st;
	struct ctx c = { 0 };
	double start_after = 1;
	bool rw, bare;

	if (argc < 4 || (strcmp(argv[1], "mutex") && strcmp(argv[1], "rwlock") &&
			 strcmp(argv[1], "pthread"))) {
		fprintf(stderr, "usage: contend mutex|rwlock|pthread ITERS HOLD_MS [START_AFTER_S]\n");
		return 2;
	}
	rw = !strcmp(argv[1], "rwlock");
	bare = !strcmp(argv[1], "pthread");
	pthread_mutex_init(&c.bare, NULL);
	pthread_mutex_init(&c.waits_lock, NULL);
	c.iters = atoi(argv[2]);
	c.hold_ms = atol(argv[3]);
	if (argc > 4)
		start_after = atof(argv[4]);
	if (c.iters < 1 || c.hold_ms < 1 || start_after < 0) {
		fprintf(stderr, "contend: ITERS and HOLD_MS must be positive\n");
		return 2;
	}
	o.variant = rw ? CMAP_RWLOCK : CMAP_MUTEX;
	c.waiters = rw ? READERS : 1;
	c.waits = calloc((size_t)c.iters * (READERS + 1), sizeof(*c.waits));
	c.m = ccmap_new(&o);
	if (!c.m || !c.waits) {
		perror("contend: ccmap_new");
		return 1;
	}
	sem_init(&c.holding, 0, 0);
	sem_init(&c.go_read, 0, 0);
	sem_init(&c.read_holding, 0, 0);
	for (int i = 0; i <= READERS; i++)
		sem_init(&c.done[i], 0, 0);
	fprintf(stderr, "contend: pid %d\n", (int)getpid());
	sleep_ms((long)(start_after * 1000));
	if (rw)
		run_rwlock(&c);
	else
		run_mutex(&c, bare);
	ccmap_stats(c.m, &st);
	printf("{\"map\": \"%p\", \"lock\": \"%p\", \"iters\": %d, \"hold_ms\": %ld, "
	       "\"read_contentions\": %d, \"write_contentions\": %d, \"waits_ns\": [",
	       (void *)c.m, bare ? (void *)&c.bare : NULL, c.iters, c.hold_ms,
	       rw ? READERS * c.iters : 0, c.iters);
	for (int i = 0; i < c.nwaits; i++)
		printf("%s%llu", i ? ", " : "", (unsigned long long)c.waits[i]);
	printf("]}\n");
	free(c.waits);
	ccmap_free(c.m);
	return 0;
}
