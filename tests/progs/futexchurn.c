// SPDX-License-Identifier: MIT
/*
 * A program that contends new mutexes without end, for maptrace's soak test: each futex word
 * is waited for once and never again, so a tracer that keeps one record per word grows forever.
 *
 *   futexchurn SECONDS RATE
 *     Prints "futexchurn: pid N" on stderr and stops itself (SIGSTOP) until a tracer has
 *     attached and sent SIGCONT; then for SECONDS contends RATE new mutexes a second
 *     (one every 1/RATE s, none reused): the main thread locks mutex i, a second thread blocks
 *     on it, and the main thread unlocks it only once /proc says the waiter sleeps in futex()
 *     on that very word, so each mutex costs exactly one futex wait.  Prints one JSON line:
 *     mutexes (each contended once: the waits a tracer must count).  The two threads hand the
 *     mutexes over through atomics and nanosleep(), no futex of their own.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t *mutexes;
static atomic_long turn = -1; /* the mutex the waiter is to lock next; -2: stop */
static atomic_long done = -1; /* the last one it locked and let go */
static atomic_int waiter_tid;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void nap(long ns)
{
	struct timespec ts = {.tv_sec = 0, .tv_nsec = ns};

	nanosleep(&ts, NULL);
}

static void *waiter(void *arg)
{
	long seen = -1, t;

	(void)arg;
	atomic_store(&waiter_tid, (int)syscall(SYS_gettid));
	for (;;) {
		while ((t = atomic_load(&turn)) == seen)
			nap(20000);
		if (t == -2)
			return NULL;
		pthread_mutex_lock(&mutexes[t]);
		pthread_mutex_unlock(&mutexes[t]);
		seen = t;
		atomic_store(&done, t);
	}
}

/* Is thread @tid asleep in futex() on @word?  /proc/PID/task/TID/syscall: "202 0xWORD ...". */
static int waits_on(int tid, const void *word)
{
	char path[64], buf[256];
	unsigned long nr, a0;
	int fd, n;

	snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", tid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return 0;
	n = (int)read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	return sscanf(buf, "%lu %lx", &nr, &a0) == 2 && nr == SYS_futex &&
	       a0 == (unsigned long)word;
}

int main(int argc, char **argv)
{
	long secs = argc > 2 ? atol(argv[1]) : 0, rate = argc > 2 ? atol(argv[2]) : 0;
	long n = secs * rate, i = 0;
	uint64_t start, period, next;
	pthread_t th;

	if (secs < 1 || rate < 1 || rate > 100000) {
		fprintf(stderr, "usage: futexchurn SECONDS RATE (1..100000 mutexes a second)\n");
		return 2;
	}
	mutexes = calloc((size_t)n, sizeof(*mutexes));
	if (!mutexes) {
		perror("futexchurn: calloc");
		return 1;
	}
	for (long k = 0; k < n; k++)
		pthread_mutex_init(&mutexes[k], NULL);
	if (pthread_create(&th, NULL, waiter, NULL)) {
		fprintf(stderr, "futexchurn: cannot start a thread\n");
		return 1;
	}
	while (!atomic_load(&waiter_tid))
		nap(100000);
	fprintf(stderr, "futexchurn: pid %d\n", getpid());
	raise(SIGSTOP);
	period = 1000000000ULL / (uint64_t)rate;
	start = now_ns();
	next = start;
	for (; i < n && now_ns() - start < (uint64_t)secs * 1000000000ULL; i++) {
		pthread_mutex_lock(&mutexes[i]);
		atomic_store(&turn, i);
		while (!waits_on(atomic_load(&waiter_tid), &mutexes[i]))
			nap(20000);
		pthread_mutex_unlock(&mutexes[i]);
		while (atomic_load(&done) != i)
			nap(20000);
		next += period;
		uint64_t now = now_ns();
		if (next > now)
			nap((long)(next - now));
	}
	atomic_store(&turn, -2);
	pthread_join(th, NULL);
	printf("{\"mutexes\": %ld}\n", i);
	return 0;
}
