// SPDX-License-Identifier: MIT
/*
 * The workload of tests/maptrace/test_cxx.sh: three standard unordered containers filled the
 * usual way, each counting its own rehashes by watching bucket_count() change after every
 * insert, and printing them with the container's address (the _Hashtable maptrace reports).
 *
 *   cxxmaps [--reserve long|string|set|all] [--hold] [--stop] [--lpmap N]
 *
 * --lpmap N: after the containers, a map struct with a pthread mutex at offset 40 (the way a
 * C map library embeds its lock) is contended N times, exactly: a second thread holds the
 * mutex until the main thread sleeps in lpmap_put()'s lock, once per round.  Its JSON says
 * "lpmap", "lock" (the mutex's address) and "contended" (N).
 *
 * --reserve calls reserve(N) on that container before filling it: no rehash follows.  --hold
 * waits for a line on stdin before filling (a tracer attaches first), and keeps the filled
 * containers alive after the output until stdin reaches its end, so it can read their final
 * fields.
 * Output, one JSON object on stdout:
 *   {"pid": P, "maps": [{"name": "long", "addr": "0x...", "keys": N, "rehashes": R,
 *    "resizes": [[old, new], ...], "insert_ns": [ns, ...], "bucket_count": B}, ...],
 *    "checksum": C, "fill_ns": T,
 * "fill_cpu_ns": U}.  T and U are the wall and CPU time the three fills took, for benchmarks.
 */
#include <atomic>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <csignal>
#include <cstring>
#include <ctime>
#include <string>
#include <pthread.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>
#include "thread_state.h"

/* A map struct with its lock inside, at offset 40 (tests/maptrace/test_cxx.sh probes it). */
struct lpmap {
	unsigned long size, count, cap, seed, flags;
	pthread_mutex_t mu;
	long sum;
};
static_assert(offsetof(struct lpmap, mu) == 40, "the mutex is at offset 40");

/* Insert under the map's own lock; not inlined, so a probe finds it. */
extern "C" __attribute__((noinline)) void lpmap_put(struct lpmap *m, long v)
{
	pthread_mutex_lock(&m->mu);
	m->count++;
	m->sum += v;
	pthread_mutex_unlock(&m->mu);
}

namespace {

struct holder_arg {
	struct lpmap *m;
	pid_t waiter;
	int rounds;
	std::atomic<int> round{0}; /* the round the holder holds the mutex for, from 1 */
	std::atomic<int> done{0};  /* rounds the waiter finished */
};

/* Hold the mutex each round until the waiter sleeps on it, then let it go. */
void *holder(void *p)
{
	holder_arg *a = (holder_arg *)p;

	for (int r = 1; r <= a->rounds; r++) {
		pthread_mutex_lock(&a->m->mu);
		a->round = r;
		/* the waiter spins until it sees the round, so its next sleep is in the mutex */
		while (thread_state(a->waiter) != 'S')
			sched_yield();
		pthread_mutex_unlock(&a->m->mu);
		while (a->done < r)
			sched_yield();
	}
	return nullptr;
}

/* @rounds contended lpmap_put() calls, each sleeping once on the map's mutex. */
int contend(struct lpmap *m, int rounds)
{
	holder_arg a;
	pthread_t t;

	a.m = m;
	a.waiter = (pid_t)syscall(SYS_gettid);
	a.rounds = rounds;
	if (pthread_create(&t, nullptr, holder, &a))
		return -1;
	for (int r = 1; r <= rounds; r++) {
		while (a.round < r)
			;
		lpmap_put(m, r);
		a.done = r;
	}
	pthread_join(t, nullptr);
	return 0;
}

struct watch {
	const char *name;
	const void *addr;
	size_t keys;
	size_t bucket_count;
	std::vector<std::pair<size_t, size_t>> resizes;
	std::vector<long long> insert_ns; /* per resize, the insert that made it; -1: not timed */
};

/*
 * Insert keys 0..n-1 through @put, noting each change of bucket_count() (a rehash) and how long
 * the insert that made it took (CLOCK_MONOTONIC): an insert that may rehash is timed, one that
 * leaves the table at or past bucket_count() entries (the default max_load_factor is 1).
 */
template <typename C, typename Put> void fill(C &c, size_t n, bool reserve, Put put, watch &w)
{
	if (reserve)
		c.reserve(n);
	size_t before = c.bucket_count();

	for (size_t i = 0; i < n; i++) {
		bool near = c.size() + 1 >= c.bucket_count();
		struct timespec a, b;

		if (near)
			clock_gettime(CLOCK_MONOTONIC, &a);
		put(c, i);
		if (near)
			clock_gettime(CLOCK_MONOTONIC, &b);
		size_t now = c.bucket_count();

		if (now != before) {
			w.resizes.emplace_back(before, now);
			w.insert_ns.push_back(near ? (b.tv_sec - a.tv_sec) * 1000000000LL +
							      (b.tv_nsec - a.tv_nsec)
						   : -1);
		}
		before = now;
	}
	w.addr = &c;
	w.keys = c.size();
	w.bucket_count = c.bucket_count();
}

void print(const std::vector<watch> &ws, long checksum, long long fill_ns, long long cpu_ns,
	   const struct lpmap *lp)
{
	if (lp)
		printf("{\"lpmap\": \"%p\", \"lock\": \"%p\", \"contended\": %lu, ", (const void *)lp,
		       (const void *)&lp->mu, lp->count);
	else
		printf("{");
	printf("\"pid\": %d, \"maps\": [", getpid());
	for (size_t i = 0; i < ws.size(); i++) {
		const watch &w = ws[i];

		printf("%s{\"name\": \"%s\", \"addr\": \"%p\", \"keys\": %zu, \"rehashes\": %zu, "
		       "\"bucket_count\": %zu, \"resizes\": [",
		       i ? ", " : "", w.name, w.addr, w.keys, w.resizes.size(), w.bucket_count);
		for (size_t k = 0; k < w.resizes.size(); k++)
			printf("%s[%zu, %zu]", k ? ", " : "", w.resizes[k].first,
			       w.resizes[k].second);
		printf("], \"insert_ns\": [");
		for (size_t k = 0; k < w.insert_ns.size(); k++)
			printf("%s%lld", k ? ", " : "", w.insert_ns[k]);
		printf("]}");
	}
	printf("], \"checksum\": %ld, \"fill_ns\": %lld, \"fill_cpu_ns\": %lld}\n", checksum,
	       fill_ns, cpu_ns);
	fflush(stdout);
}

} // namespace

int main(int argc, char **argv)
{
	const char *reserve = "";
	bool hold = false, stop = false;
	int lprounds = 0;
	static struct lpmap lp = {0, 0, 0, 0, 0, PTHREAD_MUTEX_INITIALIZER, 0};
	std::unordered_map<long, long> longs;
	std::unordered_map<std::string, int> strings;
	std::unordered_set<long> set;
	std::vector<watch> ws(3);
	long checksum = 0;
	long long fill_ns, fill_cpu_ns;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--reserve") && i + 1 < argc) {
			reserve = argv[++i];
		} else if (!strcmp(argv[i], "--hold")) {
			hold = true;
		} else if (!strcmp(argv[i], "--stop")) {
			stop = true;
		} else if (!strcmp(argv[i], "--lpmap") && i + 1 < argc) {
			lprounds = atoi(argv[++i]);
		} else {
			fprintf(stderr, "usage: cxxmaps [--reserve long|string|set|all] [--hold] "
					"[--stop] [--lpmap N]\n");
			return 2;
		}
	}
	fprintf(stderr, "cxxmaps: pid %d\n", getpid());
	/* --stop: stopped until a tracer has attached and sends SIGCONT (bench/real.sh) */
	if (stop)
		raise(SIGSTOP);
	while (hold && getchar() != '\n')
		if (feof(stdin))
			return 2;
	ws[0].name = "long";
	ws[1].name = "string";
	ws[2].name = "set";
	struct timespec t0, t1, c0, c1;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	/*
	 * flatten: the long map's rehash inlined into its insert, as -O2 does for some types in
	 * other programs (g++ 12 keeps all three out of line here otherwise): no _M_rehash call
	 */
	fill(
		longs, 1000000, !strcmp(reserve, "long") || !strcmp(reserve, "all"),
		[](auto &c, size_t i) __attribute__((flatten)) { c[(long)i * 7919] = (long)i; },
		ws[0]);
	fill(strings, 100000, !strcmp(reserve, "string") || !strcmp(reserve, "all"),
	     [](auto &c, size_t i) { c.emplace("key-" + std::to_string(i), (int)i); }, ws[1]);
	fill(set, 50000, !strcmp(reserve, "set") || !strcmp(reserve, "all"),
	     [](auto &c, size_t i) { c.insert((long)i * 31); }, ws[2]);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
	fill_ns = (t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec);
	fill_cpu_ns = (c1.tv_sec - c0.tv_sec) * 1000000000LL + (c1.tv_nsec - c0.tv_nsec);
	/* the result, which tracing must not change */
	for (const auto &kv : longs)
		checksum += kv.second;
	for (const auto &kv : strings)
		checksum += kv.second;
	for (long v : set)
		checksum += v;
	if (lprounds > 0 && contend(&lp, lprounds))
		return 1;
	print(ws, checksum, fill_ns, fill_cpu_ns, lprounds ? &lp : nullptr);
	while (hold && getchar() != EOF)
		;
	return 0;
}
