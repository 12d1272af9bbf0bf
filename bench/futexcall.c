// SPDX-License-Identifier: MIT
/*
 * futex micro-benchmarks for bench/overhead.sh.
 *
 *   futexcall wake N ROUNDS
 *     ROUNDS rounds of N futex(FUTEX_WAKE) calls on a word nobody waits on, and prints the
 *     median ns per call.  No waiter, so each call is a bare syscall that enters and leaves
 *     the futex tracepoints: what every process on the host pays for them while a tracer has
 *     programs there (maptrace's filter on the traced tgid runs for every caller).
 *
 *   futexcall getppid N ROUNDS
 *     The same with getppid(2), a syscall no tracer here has a program on: what every other
 *     syscall on the host pays while any syscall tracepoint is attached (the kernel sends
 *     every syscall of every task through its slow entry path then, whatever the program).
 *
 *   futexcall switch N ROUNDS
 *     ROUNDS rounds of N handovers between two threads pinned to one CPU, each waiting in
 *     futex(FUTEX_WAIT) for its turn and waking the other: every handover is a context switch.
 *     Prints the median ns per handover: what a program on the host pays per switch while
 *     maptrace watches the scheduler's switches for another process (sysc_block).
 *
 *   futexcall contend N SPIN_US [START_AFTER_S [LINGER_S]]
 *     N contended waits on a bare pthread mutex (no library probes: only maptrace's futex
 *     tracepoints see them), as fast as two threads can hand the lock over: thread A takes
 *     the mutex, lets B try it, waits until B is asleep in futex(FUTEX_WAIT) (glibc marked the
 *     lock contended and /proc says B sleeps), spins SPIN_US more, and unlocks: exactly one
 *     wait per iteration that really slept.  Waiting threads yield the CPU rather than spin,
 *     so a tracer's reader on a 2-CPU machine still gets to run.  Prints
 *     "futexcall: pid N" on stderr first and sleeps START_AFTER_S (default 1) for a tracer to
 *     attach; then one JSON line {"waits", "elapsed_ns", "rate_per_s"} on stdout, and sleeps
 *     LINGER_S (default 0) before exiting, so counters can be read while the tracer still runs.
 *     A larger SPIN_US gives a lower rate of waits.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + (__u64)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* ROUNDS rounds of N bare futex(FUTEX_WAKE) calls, or of N getppid() calls with @ppid. */
static int run_calls(long n, int rounds, bool ppid)
{
	static int word;
	double *t = calloc((size_t)rounds, sizeof(*t));

	if (!t)
		return 1;
	for (int r = 0; r < rounds; r++) {
		__u64 start = now_ns();

		for (long i = 0; i < n; i++) {
			if (ppid)
				syscall(SYS_getppid);
			else
				syscall(SYS_futex, &word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
		}
		t[r] = (double)(now_ns() - start) / (double)n;
	}
	qsort(t, (size_t)rounds, sizeof(*t), cmp_double);
	printf("%.1f\n", t[rounds / 2]);
	free(t);
	return 0;
}

/* switch mode: whose turn it is (0 or 1), and the handovers each thread makes */
struct pingpong {
	atomic_int turn;
	long n;
};

static void pingpong_run(struct pingpong *p, int me)
{
	for (long i = 0; i < p->n; i++) {
		int t;

		while ((t = atomic_load(&p->turn)) != me)
			syscall(SYS_futex, &p->turn, FUTEX_WAIT_PRIVATE, t, NULL, NULL, 0);
		atomic_store(&p->turn, !me);
		syscall(SYS_futex, &p->turn, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
	}
}

static void *pingpong_other(void *arg)
{
	pingpong_run(arg, 1);
	return NULL;
}

/* ROUNDS rounds of 2 x N handovers between two threads on one CPU. */
static int run_switch(long n, int rounds)
{
	double *t = calloc((size_t)rounds, sizeof(*t));
	cpu_set_t one;

	if (!t)
		return 1;
	/* both on the CPU this one runs on now: a handover is a switch, not a wake across CPUs */
	CPU_ZERO(&one);
	CPU_SET(sched_getcpu() < 0 ? 0 : sched_getcpu(), &one);
	if (sched_setaffinity(0, sizeof(one), &one)) {
		perror("futexcall: sched_setaffinity");
		return 1;
	}
	for (int r = 0; r < rounds; r++) {
		struct pingpong p = {.n = n};
		pthread_t other;
		__u64 start = now_ns();

		/* the new thread inherits the affinity */
		if (pthread_create(&other, NULL, pingpong_other, &p)) {
			fprintf(stderr, "futexcall: cannot start a thread\n");
			return 1;
		}
		pingpong_run(&p, 0);
		pthread_join(other, NULL);
		t[r] = (double)(now_ns() - start) / (double)(2 * n);
	}
	qsort(t, (size_t)rounds, sizeof(*t), cmp_double);
	printf("%.1f\n", t[rounds / 2]);
	free(t);
	return 0;
}

struct handoff {
	pthread_mutex_t m;
	atomic_int turn;  /* A sets it to the iteration B may attempt; B acks with -turn */
	atomic_int b_tid; /* B's thread id, once it runs */
	long n;
	long spin_ns;
};

static void spin_for(long ns)
{
	__u64 end = now_ns() + (__u64)ns;

	while (now_ns() < end)
		;
}

static void *waiter(void *arg)
{
	struct handoff *h = arg;

	atomic_store(&h->b_tid, (int)syscall(SYS_gettid));
	for (long i = 1; i <= h->n; i++) {
		while (atomic_load_explicit(&h->turn, memory_order_acquire) != i)
			sched_yield();
		pthread_mutex_lock(&h->m); /* A holds it: this blocks in the kernel */
		pthread_mutex_unlock(&h->m);
		atomic_store_explicit(&h->turn, (int)-i, memory_order_release);
	}
	return NULL;
}

/* Whether the thread whose /proc/self/task/TID/stat is open on @fd is asleep ("S"). */
static int asleep(int fd)
{
	char buf[256], *p;
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n <= 0)
		return 1; /* cannot tell: do not hang */
	buf[n] = 0;
	p = strrchr(buf, ')');
	return p && p[1] == ' ' && p[2] == 'S';
}

static int run_contend(long n, long spin_us, double start_after, double linger)
{
	struct handoff h = {.m = PTHREAD_MUTEX_INITIALIZER, .n = n, .spin_ns = spin_us * 1000};
	struct timespec d;
	pthread_t b;
	__u64 start, el;
	char path[64];
	int fd;

	fprintf(stderr, "futexcall: pid %d\n", getpid());
	d.tv_sec = (time_t)start_after;
	d.tv_nsec = (long)((start_after - (double)d.tv_sec) * 1e9);
	nanosleep(&d, NULL);
	if (pthread_create(&b, NULL, waiter, &h))
		return 1;
	while (!atomic_load(&h.b_tid))
		sched_yield();
	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", atomic_load(&h.b_tid));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	start = now_ns();
	for (long i = 1; i <= n; i++) {
		pthread_mutex_lock(&h.m);
		atomic_store_explicit(&h.turn, (int)i, memory_order_release);
		/* glibc's lock word goes to 2 when a locker is about to sleep on it */
		while (__atomic_load_n(&h.m.__data.__lock, __ATOMIC_ACQUIRE) != 2)
			sched_yield();
		while (!asleep(fd))
			sched_yield();
		spin_for(h.spin_ns);
		pthread_mutex_unlock(&h.m);
		while (atomic_load_explicit(&h.turn, memory_order_acquire) != -i)
			sched_yield();
	}
	el = now_ns() - start;
	pthread_join(b, NULL);
	if (fd >= 0)
		close(fd);
	printf("{\"waits\": %ld, \"elapsed_ns\": %llu, \"rate_per_s\": %.0f}\n", n,
	       (unsigned long long)el, (double)n * 1e9 / (double)el);
	fflush(stdout);
	d.tv_sec = (time_t)linger;
	d.tv_nsec = (long)((linger - (double)d.tv_sec) * 1e9);
	nanosleep(&d, NULL);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 4 && (!strcmp(argv[1], "wake") || !strcmp(argv[1], "getppid")) &&
	    atol(argv[2]) > 0 && atoi(argv[3]) > 0)
		return run_calls(atol(argv[2]), atoi(argv[3]), !strcmp(argv[1], "getppid"));
	if (argc >= 4 && !strcmp(argv[1], "switch") && atol(argv[2]) > 0 && atoi(argv[3]) > 0)
		return run_switch(atol(argv[2]), atoi(argv[3]));
	if (argc >= 4 && !strcmp(argv[1], "contend") && atol(argv[2]) > 0 && atol(argv[3]) >= 0)
		return run_contend(atol(argv[2]), atol(argv[3]), argc > 4 ? atof(argv[4]) : 1.0,
				   argc > 5 ? atof(argv[5]) : 0.0);
	fprintf(stderr, "usage: futexcall wake|getppid|switch N ROUNDS\n"
			"       futexcall contend N SPIN_US [START_AFTER_S [LINGER_S]]\n");
	return 2;
}
