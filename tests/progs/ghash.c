// SPDX-License-Identifier: MIT
/*
 * A GLib GHashTable filled from several threads under a GMutex, for maptrace's real-target
 * tests.  The program watches its own table: it reads the table's bucket count before and after
 * every insert and remove (from GHashTable's private struct, GLib 2.74's layout, checked against
 * the public API at start), so it knows exactly which resizes happened and with what sizes.
 *
 *   ghash THREADS KEYS [START_AFTER_S] [HOLD_ITERS] [CHURN]
 *
 * Phases: THREADS threads insert KEYS distinct keys (thread t the keys k with k % THREADS == t),
 * each insert under one GMutex; then one thread removes every key, so the table shrinks again.
 * Finally HOLD_ITERS times one thread holds the GMutex 5 ms while another blocks on it, so at
 * least HOLD_ITERS futex waits happen on the mutex's word; then HOLD_ITERS times a thread holds
 * the static GRWLock `rwlock` for writing 5 ms while main blocks reading, and HOLD_ITERS times a
 * thread holds it for reading while main blocks writing: exactly HOLD_ITERS read and HOLD_ITERS
 * write waits (timed by main itself, trylock first, so a wait that did not block is not one).
 * It stays alive 0.3 s after, so a tracer can still read its memory.  Last, CHURN times (default
 * 0) main removes the oldest of CHURN_LIVE keys and inserts a new one: the tombstones this leaves
 * make GLib rehash the table in place, at the same size, which main counts too (same_size_resizes:
 * noccupied, nodes plus tombstones, falls with the size unchanged; only a resize lowers it).
 *
 * Prints "ghash: pid N" on stderr, sleeps START_AFTER_S (default 1), and prints one JSON line on
 * stdout with the table and mutex addresses, every resize seen, the contention it caused, and
 * the wall time of the insert and remove phases (insert_ns, remove_ns: bench/real.sh times the
 * insert storm with them) and the insert phase's CPU time, all threads (insert_cpu_ns).
 */
#include <glib.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>
#include "thread_state.h"

#define MAX_RESIZES 256
#define CHURN_LIVE 64

/* The head of GLib 2.74's struct _GHashTable (glib/ghash.c). */
struct ghash_head {
	gsize size;
	gint mod;
	guint mask;
	guint nnodes;
	guint noccupied;
};

struct resize {
	gsize old_size, new_size;
};

static GHashTable *table;
static GMutex lock;
static GRWLock rwlock;
static unsigned int nthreads, nkeys;
static struct resize resizes[MAX_RESIZES];
static unsigned int nresizes, contended, same_size_resizes;

static gsize table_size(void)
{
	return ((const struct ghash_head *)table)->size;
}

static void note_resize(gsize before)
{
	gsize after = table_size();

	if (after == before)
		return;
	if (nresizes < MAX_RESIZES)
		resizes[nresizes] = (struct resize){ before, after };
	nresizes++;
}

/* A resize at the same size: the tombstones cleared, noccupied down to nnodes. */
static void note_same_size(gsize before, guint occupied_before)
{
	const struct ghash_head *h = (const struct ghash_head *)table;

	if (h->size == before && h->noccupied < occupied_before)
		same_size_resizes++;
}

/* Take the mutex, counting the times it was already held. */
static void take(void)
{
	if (!g_mutex_trylock(&lock)) {
		__atomic_fetch_add(&contended, 1, __ATOMIC_RELAXED);
		g_mutex_lock(&lock);
	}
}

/* The CPU time of every thread of the process so far, ns. */
static gint64 process_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (gint64)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static gpointer filler(gpointer arg)
{
	unsigned int t = GPOINTER_TO_UINT(arg);

	for (unsigned int k = t; k < nkeys; k += nthreads) {
		gsize before;

		take();
		before = table_size();
		g_hash_table_insert(table, GUINT_TO_POINTER(k + 1), GUINT_TO_POINTER(k));
		note_resize(before);
		g_mutex_unlock(&lock);
	}
	return NULL;
}

static gint holding;

/*
 * Hold the mutex until main really waits for it: GLib's slow path marks the word 2 (contended)
 * before it sleeps in FUTEX_WAIT, and then main's state is S.  Only then release it, so each of
 * these waits sleeps however late main is scheduled (a fixed hold did not, on a loaded machine).
 */
static gpointer holder(gpointer arg)
{
	pid_t main_tid = getpid();

	g_mutex_lock(&lock);
	g_atomic_int_set(&holding, 1);
	while (g_atomic_int_get((gint *)&lock.i[0]) != 2 || thread_state(main_tid) != 'S')
		g_usleep(200);
	g_usleep(5000);
	g_mutex_unlock(&lock);
	return arg;
}

static gpointer rw_holder(gpointer write)
{
	if (write)
		g_rw_lock_writer_lock(&rwlock);
	else
		g_rw_lock_reader_lock(&rwlock);
	g_atomic_int_set(&holding, 1);
	g_usleep(5000);
	if (write)
		g_rw_lock_writer_unlock(&rwlock);
	else
		g_rw_lock_reader_unlock(&rwlock);
	return NULL;
}

/* One forced GRWLock wait: the other side holds it (for writing when main reads); returns 1
 * when main really had to wait. */
static unsigned int rw_wait(bool read)
{
	GThread *th;
	unsigned int waited;

	g_atomic_int_set(&holding, 0);
	th = g_thread_new("rw-holder", rw_holder, GUINT_TO_POINTER(read));
	while (!g_atomic_int_get(&holding))
		g_usleep(100);
	if (read) {
		waited = !g_rw_lock_reader_trylock(&rwlock);
		if (waited)
			g_rw_lock_reader_lock(&rwlock);
		g_rw_lock_reader_unlock(&rwlock);
	} else {
		waited = !g_rw_lock_writer_trylock(&rwlock);
		if (waited)
			g_rw_lock_writer_lock(&rwlock);
		g_rw_lock_writer_unlock(&rwlock);
	}
	g_thread_join(th);
	return waited;
}

int main(int argc, char **argv)
{
	unsigned int start_after = 1, hold_iters = 0, rw_reads = 0, rw_writes = 0, churn = 0;
	gint64 t0, c0, insert_ns, insert_cpu_ns, remove_ns;
	GThread *threads[64];
	const struct ghash_head *h;

	if (argc < 3) {
		fprintf(stderr, "usage: ghash THREADS KEYS [START_AFTER_S] [HOLD_ITERS] [CHURN]\n");
		return 2;
	}
	nthreads = atoi(argv[1]);
	nkeys = atoi(argv[2]);
	if (argc > 3)
		start_after = atoi(argv[3]);
	if (argc > 4)
		hold_iters = atoi(argv[4]);
	if (argc > 5)
		churn = atoi(argv[5]);
	if (nthreads < 1 || nthreads > 64) {
		fprintf(stderr, "ghash: THREADS must be 1..64\n");
		return 2;
	}
	if (glib_major_version != 2 || glib_minor_version != 74) {
		fprintf(stderr, "ghash: built for GLib 2.74's private layout, running %u.%u\n",
			glib_major_version, glib_minor_version);
		return 2;
	}
	fprintf(stderr, "ghash: pid %d\n", getpid());
	sleep(start_after);

	table = g_hash_table_new(g_direct_hash, g_direct_equal);
	g_mutex_init(&lock);
	h = (const struct ghash_head *)table;
	/* the layout check: a fresh table has 8 buckets, mask 7, no nodes */
	if (h->size != 8 || h->mask != 7 || h->nnodes != 0) {
		fprintf(stderr, "ghash: GHashTable layout is not 2.74's\n");
		return 2;
	}

	t0 = g_get_monotonic_time();
	c0 = process_cpu_ns();
	for (unsigned int t = 0; t < nthreads; t++)
		threads[t] = g_thread_new("filler", filler, GUINT_TO_POINTER(t));
	for (unsigned int t = 0; t < nthreads; t++)
		g_thread_join(threads[t]);
	insert_ns = (g_get_monotonic_time() - t0) * 1000;
	insert_cpu_ns = process_cpu_ns() - c0;
	if (h->nnodes != g_hash_table_size(table) || h->nnodes != nkeys) {
		fprintf(stderr, "ghash: nnodes %u, g_hash_table_size %u, keys %u\n", h->nnodes,
			g_hash_table_size(table), nkeys);
		return 1;
	}
	gsize full_size = table_size();

	t0 = g_get_monotonic_time();
	for (unsigned int k = 0; k < nkeys; k++) {
		gsize before;

		take();
		before = table_size();
		g_hash_table_remove(table, GUINT_TO_POINTER(k + 1));
		note_resize(before);
		g_mutex_unlock(&lock);
	}
	remove_ns = (g_get_monotonic_time() - t0) * 1000;

	for (unsigned int i = 0; i < hold_iters; i++) {
		GThread *th;

		g_atomic_int_set(&holding, 0);
		th = g_thread_new("holder", holder, NULL);
		while (!g_atomic_int_get(&holding))
			g_usleep(100);
		g_mutex_lock(&lock);
		g_mutex_unlock(&lock);
		g_thread_join(th);
	}

	for (unsigned int i = 0; i < hold_iters; i++) {
		rw_reads += rw_wait(true);
		rw_writes += rw_wait(false);
	}
	/* keys above every filler key: CHURN_LIVE live ones, the oldest replaced each time */
	for (unsigned int i = 0; i < churn + CHURN_LIVE; i++) {
		gsize before = table_size();
		guint occupied = h->noccupied;

		if (i >= CHURN_LIVE) {
			g_hash_table_remove(table, GUINT_TO_POINTER(nkeys + 1 + i - CHURN_LIVE));
			note_resize(before);
			note_same_size(before, occupied);
			before = table_size();
			occupied = h->noccupied;
		}
		if (i < churn)
			g_hash_table_insert(table, GUINT_TO_POINTER(nkeys + 1 + i), NULL);
		note_resize(before);
		note_same_size(before, occupied);
	}
	if (hold_iters || churn)
		g_usleep(300000);

	printf("{\"pid\": %d, \"table\": \"%#lx\", \"mutex\": \"%#lx\", \"rwlock\": \"%#lx\", "
	       "\"keys\": %u, \"threads\": %u, \"full_size\": %zu, \"final_size\": %zu, "
	       "\"contended\": %u, \"hold_iters\": %u, \"rw_read_waits\": %u, "
	       "\"rw_write_waits\": %u, \"insert_ns\": %" G_GINT64_FORMAT ", "
	       "\"insert_cpu_ns\": %" G_GINT64_FORMAT ", "
	       "\"remove_ns\": %" G_GINT64_FORMAT ", \"same_size_resizes\": %u, "
	       "\"nresizes\": %u, \"resizes\": [",
	       getpid(), (unsigned long)table, (unsigned long)&lock, (unsigned long)&rwlock, nkeys,
	       nthreads, full_size, table_size(), contended, hold_iters, rw_reads, rw_writes,
	       insert_ns, insert_cpu_ns, remove_ns, same_size_resizes, nresizes);
	for (unsigned int i = 0; i < nresizes && i < MAX_RESIZES; i++)
		printf("%s[%zu, %zu]", i ? ", " : "", resizes[i].old_size, resizes[i].new_size);
	printf("]}\n");
	g_hash_table_destroy(table);
	return 0;
}
