// SPDX-License-Identifier: MIT
/*
 * Contention on neighbouring pthread mutexes of one packed array, for maptrace's false-sharing
 * finding.
 *
 *   falseshare ITERS HOLD_MS [PADDED [START_AFTER_MS]]
 *     NLOCKS mutexes: packed (40 bytes apart, the array starting a 64-byte line: locks 0 and 1
 *     share line 0, locks 2 and 3 share line 1 and 3 runs into line 2), or with PADDED = 1 one
 *     per 64-byte line.  Per lock, per iteration: a holder thread takes it and holds it HOLD_MS;
 *     only once it holds it does the lock's waiter try, so the waiter blocks exactly once:
 *     NLOCKS * ITERS contended acquisitions in all, each lock's pair on its own.
 *
 * Prints "falseshare: pid N" on stderr first, then sleeps START_AFTER_MS (default 300) so a
 * tracer can attach before the first lock is taken; at the end it prints one JSON
 * line on stdout: the locks' addresses, the layout, and the waits each waiter
 * counted itself (a lock call that found the mutex taken: pthread_mutex_trylock failed first).
 */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NLOCKS 4

/* The packed array: what a program declaring pthread_mutex_t locks[N] gets. */
static pthread_mutex_t packed[NLOCKS] __attribute__((aligned(64)));

/* The fix the finding names: each lock on its own line. */
static struct {
	pthread_mutex_t mu;
} __attribute__((aligned(64))) padded[NLOCKS];

struct pair {
	pthread_mutex_t *mu;
	int iters;
	long hold_ms;
	sem_t holding; /* the holder has the lock */
	sem_t next;    /* the waiter got it and let go: the next iteration may start */
	int blocked;   /* waits the waiter counted itself */
};

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static void *holder(void *arg)
{
	struct pair *p = arg;

	for (int i = 0; i < p->iters; i++) {
		pthread_mutex_lock(p->mu);
		sem_post(&p->holding);
		sleep_ms(p->hold_ms);
		pthread_mutex_unlock(p->mu);
		while (sem_wait(&p->next) && errno == EINTR)
			;
	}
	return NULL;
}

static void *waiter(void *arg)
{
	struct pair *p = arg;

	for (int i = 0; i < p->iters; i++) {
		while (sem_wait(&p->holding) && errno == EINTR)
			;
		if (pthread_mutex_trylock(p->mu) == EBUSY) {
			p->blocked++;
			pthread_mutex_lock(p->mu);
		}
		pthread_mutex_unlock(p->mu);
		sem_post(&p->next);
	}
	return NULL;
}

static long parse(const char *s, long lo, long hi, const char *what)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || end == s || v < lo || v > hi) {
		fprintf(stderr, "falseshare: %s must be %ld..%ld, not '%s'\n", what, lo, hi, s);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	struct pair pairs[NLOCKS];
	pthread_t th[2 * NLOCKS];
	int iters, pad, total = 0;
	long hold, start_after;

	if (argc < 3 || argc > 5) {
		fprintf(stderr, "usage: falseshare ITERS HOLD_MS [PADDED [START_AFTER_MS]]\n");
		return 2;
	}
	iters = (int)parse(argv[1], 1, 100000, "ITERS");
	hold = parse(argv[2], 0, 10000, "HOLD_MS");
	pad = argc > 3 ? (int)parse(argv[3], 0, 1, "PADDED") : 0;
	start_after = argc > 4 ? parse(argv[4], 0, 60000, "START_AFTER_MS") : 300;
	fprintf(stderr, "falseshare: pid %d\n", (int)getpid());
	sleep_ms(start_after);
	for (int i = 0; i < NLOCKS; i++) {
		pairs[i] = (struct pair){ .mu = pad ? &padded[i].mu : &packed[i], .iters = iters,
					  .hold_ms = hold };
		pthread_mutex_init(pairs[i].mu, NULL);
		sem_init(&pairs[i].holding, 0, 0);
		sem_init(&pairs[i].next, 0, 0);
	}
	for (int i = 0; i < NLOCKS; i++) {
		if (pthread_create(&th[2 * i], NULL, holder, &pairs[i]) ||
		    pthread_create(&th[2 * i + 1], NULL, waiter, &pairs[i])) {
			fprintf(stderr, "falseshare: cannot start a thread\n");
			return 1;
		}
	}
	for (int i = 0; i < 2 * NLOCKS; i++)
		pthread_join(th[i], NULL);
	printf("{\"layout\": \"%s\", \"locks\": [", pad ? "padded" : "packed");
	for (int i = 0; i < NLOCKS; i++)
		printf("%s\"%p\"", i ? ", " : "", (void *)pairs[i].mu);
	printf("], \"blocked\": [");
	for (int i = 0; i < NLOCKS; i++) {
		printf("%s%d", i ? ", " : "", pairs[i].blocked);
		total += pairs[i].blocked;
	}
	printf("], \"waits\": %d}\n", total);
	return 0;
}
