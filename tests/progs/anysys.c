// SPDX-License-Identifier: MIT
/*
 * Futex waits and wakes made through libc's syscall() by a wrapper that takes the call's number
 * as an argument, as a generic syscall shim does: where syscall() is called, the number is not
 * a constant, so maptrace cannot time these calls there and must keep the probe inside
 * syscall() itself (user/sysc.h).  For the futex-sites test.
 *
 *   anysys ROUNDS [START_AFTER_S]
 *     Prints "anysys: pid N" on stderr, sleeps START_AFTER_S (default 1), then two threads
 *     pass a turn back and forth ROUNDS times, each waiting for its turn in FUTEX_WAIT on the
 *     turn's word and waking the other with FUTEX_WAKE, all through the wrapper; each round the
 *     main thread also calls getppid(2) through it with a wake's arguments (no futex call: a
 *     tracer that takes it for one is wrong).  Prints one
 *     JSON line: rounds, and the waits that returned 0 (woken) as each thread counted them.
 */
#define _GNU_SOURCE
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static atomic_int turn; /* whose turn: 0 the main thread's, 1 the other's */
static atomic_long woken;
static long rounds;

/* the shim: its caller's number, passed on (noipa: the call keeps the number a variable) */
__attribute__((noipa)) static long shim(long nr, atomic_int *word, int op, int val)
{
	return syscall(nr, word, op, val, NULL, NULL, 0);
}

/* Wait for turn @me, then hand the turn to the other thread and wake it. */
static void play(int me)
{
	for (long i = 0; i < rounds; i++) {
		int t;

		while ((t = atomic_load(&turn)) != me)
			if (shim(SYS_futex, &turn, FUTEX_WAIT_PRIVATE, t) == 0)
				atomic_fetch_add(&woken, 1);
		atomic_store(&turn, !me);
		shim(SYS_futex, &turn, FUTEX_WAKE_PRIVATE, 1);
		if (!me)
			shim(SYS_getppid, &turn, FUTEX_WAKE_PRIVATE, 1);
	}
}

static void *other(void *arg)
{
	play(1);
	return arg;
}

int main(int argc, char **argv)
{
	double start_after = argc > 2 ? atof(argv[2]) : 1;
	struct timespec d;
	pthread_t t;

	if (argc < 2 || (rounds = atol(argv[1])) <= 0) {
		fprintf(stderr, "usage: anysys ROUNDS [START_AFTER_S]\n");
		return 2;
	}
	fprintf(stderr, "anysys: pid %d\n", getpid());
	d.tv_sec = (time_t)start_after;
	d.tv_nsec = (long)((start_after - (double)d.tv_sec) * 1e9);
	nanosleep(&d, NULL);
	if (pthread_create(&t, NULL, other, NULL))
		return 1;
	play(0);
	pthread_join(t, NULL);
	printf("{\"rounds\": %ld, \"woken\": %ld}\n", rounds, atomic_load(&woken));
	return 0;
}
