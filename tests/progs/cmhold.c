// SPDX-License-Identifier: MIT
/*
 * A libcmap lock held a known time per write while another thread waits for it, for
 * maptrace's contended hold times (tests/maptrace/test_hold.sh).
 *
 *   cmhold mutex|rwlock ITERS HOLD_MS [START_AFTER_S]
 *     ITERS times: the main thread writes through ccmap_update() from locked_write(); the
 *     update's callback lets the waiter thread try the map (a put on the mutex variant, a get,
 *     which wants the read lock, on the rwlock variant), sleeps HOLD_MS, then keeps the lock
 *     until it sees the waiter waiting for it (the map's own count of threads waiting for the
 *     lock is non-zero and the waiter's /proc state is S), and returns: so every one of those
 *     releases had a waiter.  The waiter is done before the main thread writes again, so the
 *     main thread never waits and the waiter's releases have no waiter.
 *
 * Prints "cmhold: pid N" on stderr, sleeps START_AFTER_S (default 1) so a tracer can attach,
 * and prints one JSON line on stdout: the iterations, how many releases had a waiter
 * (contended), how many of them were the lock's first contended hold (untimed: a hold during
 * which the program saw a waiter for the first time, which a traced libcmap cannot time, its
 * acquisition having come before any contention), the median of the other holds as its own
 * clock timed them inside the callback (hold_p50_ns, nearest rank), the lock's and the map's
 * addresses.  Only the waiter thread ever waits, and only inside the main thread's holds, so
 * the holds the program sees are all the lock's contended ones.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "ccmap_impl.h"
#include "cmap.h"
#include "thread_state.h"

static ccmap_t *cm;
static bool rw;
static sem_t go, done;
static pid_t waiter_tid;
static int iters;
static long hold_ms;
static uint64_t *holds;
static int contended, untimed, ntimed;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts))
		;
}

/* Threads waiting for the map's lock, by the map's own count (lib/ccmap_impl.h). */
static unsigned int lock_waiters(void)
{
	return __atomic_load_n(rw ? &cm->rw.waiters : &cm->mx.waiters, __ATOMIC_ACQUIRE);
}

static void *waiter(void *arg)
{
	uint64_t v;

	(void)arg;
	__atomic_store_n(&waiter_tid, gettid(), __ATOMIC_RELEASE);
	for (int i = 0; i < iters; i++) {
		while (sem_wait(&go))
			;
		if (rw)
			ccmap_get(cm, 1, &v);
		else
			ccmap_put(cm, 2, (uint64_t)i);
		sem_post(&done);
	}
	return NULL;
}

/* Under the map's lock: hold it HOLD_MS and until the waiter waits for it. */
static int hold_in_update(cmap_t *inner, uint64_t key, void *arg)
{
	int *i = arg;
	uint64_t t0 = now_ns();
	int rc;

	rc = cmap_put(inner, key, (uint64_t)*i);
	sem_post(&go);
	sleep_ms(hold_ms);
	while (!(lock_waiters() > 0 &&
		 thread_state(__atomic_load_n(&waiter_tid, __ATOMIC_ACQUIRE)) == 'S'))
		sleep_ms(1);
	/* the first hold a thread waited behind: the lock had never been contended before it */
	if (contended++ == 0)
		untimed++;
	else
		holds[ntimed++] = now_ns() - t0;
	return rc;
}

/* The program's frame that holds the lock: maptrace should name it. */
__attribute__((noinline)) static int locked_write(int i)
{
	return ccmap_update(cm, 1, hold_in_update, &i);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	struct ccmap_opts opts = { .variant = CMAP_MUTEX };
	double start_after = 1;
	void *lock;
	pthread_t t;

	if (argc < 4 || (strcmp(argv[1], "mutex") && strcmp(argv[1], "rwlock")) ||
	    (iters = atoi(argv[2])) <= 0 || (hold_ms = atol(argv[3])) < 0) {
		fprintf(stderr, "usage: cmhold mutex|rwlock ITERS HOLD_MS [START_AFTER_S]\n");
		return 2;
	}
	rw = !strcmp(argv[1], "rwlock");
	if (argc > 4)
		start_after = atof(argv[4]);
	fprintf(stderr, "cmhold: pid %d\n", (int)getpid());
	sleep_ms((long)(start_after * 1000));
	opts.variant = rw ? CMAP_RWLOCK : CMAP_MUTEX;
	cm = ccmap_new(&opts);
	holds = calloc((size_t)iters, sizeof(*holds));
	if (!cm || !holds) {
		fprintf(stderr, "cmhold: out of memory\n");
		return 1;
	}
	lock = rw ? (void *)&cm->rw.rw : (void *)&cm->mx.mu;
	sem_init(&go, 0, 0);
	sem_init(&done, 0, 0);
	if (pthread_create(&t, NULL, waiter, NULL)) {
		fprintf(stderr, "cmhold: pthread_create failed\n");
		return 1;
	}
	while (!__atomic_load_n(&waiter_tid, __ATOMIC_ACQUIRE))
		sleep_ms(1);
	for (int i = 0; i < iters; i++) {
		if (locked_write(i) < 0) {
			fprintf(stderr, "cmhold: ccmap_update failed\n");
			return 1;
		}
		while (sem_wait(&done))
			;
	}
	pthread_join(t, NULL);
	qsort(holds, (size_t)ntimed, sizeof(*holds), cmp_u64);
	printf("{\"iters\": %d, \"contended\": %d, \"untimed\": %d, \"hold_p50_ns\": %llu, "
	       "\"lock\": \"0x%lx\", \"map\": \"0x%lx\"}\n",
	       iters, contended, untimed,
	       (unsigned long long)(ntimed ? holds[(ntimed + 1) / 2 - 1] : 0), (unsigned long)lock,
	       (unsigned long)cm);
	ccmap_free(cm);
	free(holds);
	return 0;
}
