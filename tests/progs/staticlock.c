// SPDX-License-Identifier: MIT
/*
 * Contention on a static pthread mutex, by a program that exits the moment its last wait ends:
 * for maptrace's test that static locks keep their names when the process is gone before its
 * last records are read.
 *
 *   staticlock ITERS HOLD_MS [START_AFTER_S]
 *     The main thread takes table_lock and holds it HOLD_MS; only once it holds it does the
 *     other thread try to take it, so that thread blocks exactly once per iteration: ITERS
 *     contentions.  After the last one the program exits at once (_exit, no clean-up).
 *
 * Prints "staticlock: pid N" on stderr, sleeps START_AFTER_S (default 1) so a tracer can attach,
 * and, before the last iteration, one JSON line on stdout: the lock's address and symbol name.
 */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

/* in .bss (its initializer is all zeros), past the end of the executable's file mapping */
static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static sem_t holding, done;
static int iters;

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static void *waiter(void *arg)
{
	(void)arg;
	for (int i = 0; i < iters; i++) {
		sem_wait(&holding);
		pthread_mutex_lock(&table_lock);
		pthread_mutex_unlock(&table_lock);
		/* the last wait is over: leave before anyone reads the process again */
		if (i == iters - 1)
			_exit(0);
		sem_post(&done);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	double start_after = 1;
	pthread_t t;
	long hold_ms;

	if (argc < 3) {
		fprintf(stderr, "usage: staticlock ITERS HOLD_MS [START_AFTER_S]\n");
		return 2;
	}
	iters = atoi(argv[1]);
	hold_ms = atol(argv[2]);
	if (argc > 3)
		start_after = atof(argv[3]);
	if (iters < 1 || hold_ms < 1 || start_after < 0) {
		fprintf(stderr, "staticlock: ITERS and HOLD_MS must be positive\n");
		return 2;
	}
	sem_init(&holding, 0, 0);
	sem_init(&done, 0, 0);
	fprintf(stderr, "staticlock: pid %d\n", (int)getpid());
	printf("{\"lock\": \"%p\", \"name\": \"table_lock\", \"iters\": %d}\n", (void *)&table_lock,
	       iters);
	fflush(stdout);
	sleep_ms((long)(start_after * 1000));
	if (pthread_create(&t, NULL, waiter, NULL))
		return 1;
	for (int i = 0; i < iters; i++) {
		pthread_mutex_lock(&table_lock);
		sem_post(&holding);
		sleep_ms(hold_ms);
		pthread_mutex_unlock(&table_lock);
		if (i < iters - 1)
			sem_wait(&done);
	}
	/* the waiter exits the process after its last wait */
	pthread_join(t, NULL);
	return 1;
}
