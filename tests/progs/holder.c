// SPDX-License-Identifier: MIT
/*
 * A pthread mutex held at a known function while another thread waits, for maptrace's holder
 * stacks (tests/maptrace/test_holder.sh).
 *
 *   holder ITERS HOLD_MS [START_AFTER_S]
 *     ITERS times: the main thread takes the mutex in hold_in_critical(), lets the waiter
 *     thread try to take it, holds it HOLD_MS, then keeps holding it until it sees the waiter
 *     asleep on it (the mutex word says "locked, with waiters" and the waiter's /proc state
 *     is S), and unlocks: glibc's unlock then makes exactly one FUTEX_WAKE, which wakes the
 *     waiter.  The waiter unlocks before the main thread locks again, so the main thread
 *     never waits and the waiter's own unlocks wake nobody.
 *
 * Prints "holder: pid N" on stderr, sleeps START_AFTER_S (default 1) so a tracer can attach,
 * and prints one JSON line on stdout: the iterations, how many unlocks it saw release a
 * sleeping waiter (contended: each made one FUTEX_WAKE that woke one thread), and the
 * mutex's address.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "thread_state.h"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static sem_t go, done;
static pid_t waiter_tid;
static int iters;

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts))
		;
}

static void *waiter(void *arg)
{
	(void)arg;
	__atomic_store_n(&waiter_tid, gettid(), __ATOMIC_RELEASE);
	for (int i = 0; i < iters; i++) {
		while (sem_wait(&go))
			;
		pthread_mutex_lock(&mu);
		pthread_mutex_unlock(&mu);
		sem_post(&done);
	}
	return NULL;
}

/*
 * Take the mutex, hold it @hold_ms and until the waiter sleeps on it, release it.
 * Return: 1 when the release woke the sleeping waiter.
 */
__attribute__((noinline)) static int hold_in_critical(long hold_ms)
{
	int contended;

	pthread_mutex_lock(&mu);
	sem_post(&go);
	sleep_ms(hold_ms);
	/* glibc's lll lock word: 2 once a waiter announced itself, and it sleeps after that */
	while (!(contended = __atomic_load_n(&mu.__data.__lock, __ATOMIC_ACQUIRE) == 2 &&
			     thread_state(__atomic_load_n(&waiter_tid, __ATOMIC_ACQUIRE)) == 'S'))
		sleep_ms(1);
	pthread_mutex_unlock(&mu);
	return contended;
}

int main(int argc, char **argv)
{
	long hold_ms;
	double start_after = 1;
	int contended = 0;
	pthread_t t;

	if (argc < 3 || (iters = atoi(argv[1])) <= 0 || (hold_ms = atol(argv[2])) < 0) {
		fprintf(stderr, "usage: holder ITERS HOLD_MS [START_AFTER_S]\n");
		return 2;
	}
	if (argc > 3)
		start_after = atof(argv[3]);
	fprintf(stderr, "holder: pid %d\n", (int)getpid());
	sleep_ms((long)(start_after * 1000));
	sem_init(&go, 0, 0);
	sem_init(&done, 0, 0);
	if (pthread_create(&t, NULL, waiter, NULL)) {
		fprintf(stderr, "holder: pthread_create failed\n");
		return 1;
	}
	while (!__atomic_load_n(&waiter_tid, __ATOMIC_ACQUIRE))
		sleep_ms(1);
	for (int i = 0; i < iters; i++) {
		contended += hold_in_critical(hold_ms);
		while (sem_wait(&done))
			;
	}
	pthread_join(t, NULL);
	printf("{\"iters\": %d, \"contended\": %d, \"lock\": \"0x%lx\"}\n", iters, contended,
	       (unsigned long)&mu);
	return 0;
}
