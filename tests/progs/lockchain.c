// SPDX-License-Identifier: MIT
/*
 * A waiting stack to unwind: main -> outer_caller -> take_lock_for_map -> pthread_mutex_lock
 * (or pthread_rwlock_wrlock), blocking in glibc, which Debian builds without frame pointers.
 * Built with and without frame pointers; maptrace must name every frame in both.
 *
 *   lockchain mutex|rwlock ITERS HOLD_MS [START_AFTER_S]
 *
 * A holder thread takes the lock, signals, and holds it HOLD_MS; only then does the main thread
 * call outer_caller, so it blocks exactly once per iteration: ITERS contentions.
 */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static sem_t held, done;
static bool use_rw;
static int iters;
static long hold_ms;

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* The function that owns the map: the frame a lock-wait report must name. */
__attribute__((noinline)) int take_lock_for_map(long *map)
{
	int err = use_rw ? pthread_rwlock_wrlock(&rw) : pthread_mutex_lock(&mu);

	if (err)
		return err;
	(*map)++;
	return use_rw ? pthread_rwlock_unlock(&rw) : pthread_mutex_unlock(&mu);
}

__attribute__((noinline)) int outer_caller(long *map)
{
	int err = take_lock_for_map(map);

	/* keeps this frame from being a tail call */
	__asm__ volatile("" ::: "memory");
	return err;
}

static void *holder(void *arg)
{
	(void)arg;
	for (int i = 0; i < iters; i++) {
		if (use_rw)
			pthread_rwlock_rdlock(&rw);
		else
			pthread_mutex_lock(&mu);
		sem_post(&held);
		sleep_ms(hold_ms);
		if (use_rw)
			pthread_rwlock_unlock(&rw);
		else
			pthread_mutex_unlock(&mu);
		sem_wait(&done);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	double start_after = argc > 4 ? atof(argv[4]) : 1;
	long map = 0;
	pthread_t t;

	if (argc < 4 || (strcmp(argv[1], "mutex") && strcmp(argv[1], "rwlock"))) {
		fprintf(stderr, "usage: lockchain mutex|rwlock ITERS HOLD_MS [START_AFTER_S]\n");
		return 2;
	}
	use_rw = !strcmp(argv[1], "rwlock");
	iters = atoi(argv[2]);
	hold_ms = atol(argv[3]);
	if (iters < 1 || hold_ms < 1) {
		fprintf(stderr, "lockchain: ITERS and HOLD_MS must be positive\n");
		return 2;
	}
	sem_init(&held, 0, 0);
	sem_init(&done, 0, 0);
	fprintf(stderr, "lockchain: pid %d\n", (int)getpid());
	sleep_ms((long)(start_after * 1000));
	pthread_create(&t, NULL, holder, NULL);
	for (int i = 0; i < iters; i++) {
		sem_wait(&held);
		if (outer_caller(&map))
			return 1;
		sem_post(&done);
	}
	pthread_join(t, NULL);
	printf("{\"lock\": \"%p\", \"iters\": %d, \"map\": %ld}\n",
	       use_rw ? (void *)&rw : (void *)&mu, iters, map);
	return 0;
}
