// SPDX-License-Identifier: MIT
/*
 * A small open-addressing hash table written only for maptrace's tests: a map maptrace has no
 * built-in profile for, to be traced through a user-given description (function names and the
 * offset of the size field).
 *
 *   customht KEYS [START_AFTER_S] [TABLES]
 *
 * For each of TABLES tables (default 1): create it, insert KEYS distinct keys, remove them all,
 * free it.  Prints "customht: pid N" on stderr, sleeps START_AFTER_S (default 1) so a tracer
 * can attach, and prints one JSON line on stdout:
 *
 *   {"pid":N,"tables":[{"addr":"0x...","grows":G,"shrinks":S,"resizes":[[old,new],...],
 *     "final_size":F,"inserts":I,"removes":R},...]}
 *
 * inserts and removes count calls of ht_insert and ht_remove; resizes lists every ht_resize
 * call in order.  A table's address may repeat: each is freed before the next is made.
 *
 * What a tracer may rely on:
 *  - struct ht starts with `unsigned long size` (offset 0, slots in the table) and
 *    `unsigned long count` (offset 8, keys in it); the rest is private.
 *  - ht_resize(h, new_size) is the only function that reallocates and rehashes.  On entry
 *    h->size is the old size, on return the new one.  It is called from ht_insert when an
 *    insert would take the load above 3/4 (grow to size * 2 + 1) and from ht_remove when the
 *    load falls under 1/8 and the table is bigger than it started (shrink to (size - 1) / 2).
 *  - Sizes are not powers of two: 7, 15, 31, 63, ... for the default start of 7.
 *  - ht_new, ht_insert, ht_remove, ht_resize, ht_find and ht_free are real functions with
 *    symbols: external, noinline and noclone, so no .constprop/.isra copy takes the calls.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define HT_API		__attribute__((noinline, noclone, used))
#define HT_INITIAL_SIZE 7

struct ht_slot {
	unsigned long key;
	unsigned long val;
	unsigned long used;
};

/* One (old, new) pair per ht_resize call. */
struct ht_resize_rec {
	unsigned long old_size, new_size;
};

/* What the program records about its own table; the tracer must find the same. */
struct ht_log {
	unsigned long grows, shrinks, inserts, removes;
	struct ht_resize_rec *resizes;
	unsigned long nresizes, cap;
};

struct ht {
	unsigned long size;  /* offset 0: slots; read by tracers, keep first */
	unsigned long count; /* offset 8: keys stored */
	unsigned long initial_size;
	struct ht_slot *slots;
	struct ht_log *log; /* NULL: record nothing */
};

_Static_assert(__builtin_offsetof(struct ht, size) == 0, "size must be at offset 0");
_Static_assert(__builtin_offsetof(struct ht, count) == 8, "count must be at offset 8");

HT_API struct ht *ht_new(unsigned long initial_size);
HT_API int ht_insert(struct ht *h, unsigned long key, unsigned long val);
HT_API int ht_find(struct ht *h, unsigned long key, unsigned long *val);
HT_API int ht_remove(struct ht *h, unsigned long key);
HT_API void ht_resize(struct ht *h, unsigned long new_size);
HT_API void ht_free(struct ht *h);

static unsigned long ht_home(unsigned long key, unsigned long size)
{
	/* Fibonacci mixing, then a modulo: sizes are odd, never a mask */
	unsigned long x = key * 0x9e3779b97f4a7c15UL;

	return (x ^ (x >> 29)) % size;
}

/* Slot holding KEY, or the empty slot where it would go.  The table is never full. */
static unsigned long ht_probe(const struct ht_slot *slots, unsigned long size, unsigned long key)
{
	unsigned long i = ht_home(key, size);

	while (slots[i].used && slots[i].key != key)
		i = i + 1 == size ? 0 : i + 1;
	return i;
}

static void log_resize(struct ht_log *log, unsigned long old_size, unsigned long new_size)
{
	if (!log)
		return;
	if (new_size > old_size)
		log->grows++;
	else
		log->shrinks++;
	if (log->nresizes == log->cap) {
		unsigned long cap = log->cap ? log->cap * 2 : 64;
		struct ht_resize_rec *r = realloc(log->resizes, cap * sizeof(*r));

		if (!r) {
			perror("customht: realloc");
			exit(1);
		}
		log->resizes = r;
		log->cap = cap;
	}
	log->resizes[log->nresizes++] = (struct ht_resize_rec){old_size, new_size};
}

HT_API struct ht *ht_new(unsigned long initial_size)
{
	struct ht *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	h->size = initial_size ? initial_size : HT_INITIAL_SIZE;
	h->initial_size = h->size;
	h->slots = calloc(h->size, sizeof(*h->slots));
	if (!h->slots) {
		free(h);
		return NULL;
	}
	return h;
}

/* Reallocate to NEW_SIZE slots and rehash every key: the only place the table changes size. */
HT_API void ht_resize(struct ht *h, unsigned long new_size)
{
	struct ht_slot *slots = calloc(new_size, sizeof(*slots));

	if (!slots) {
		perror("customht: calloc");
		exit(1);
	}
	for (unsigned long i = 0; i < h->size; i++) {
		if (h->slots[i].used)
			slots[ht_probe(slots, new_size, h->slots[i].key)] = h->slots[i];
	}
	log_resize(h->log, h->size, new_size);
	free(h->slots);
	h->slots = slots;
	h->size = new_size;
}

/* Returns 1 when KEY is new, 0 when its value was replaced. */
HT_API int ht_insert(struct ht *h, unsigned long key, unsigned long val)
{
	unsigned long i = ht_probe(h->slots, h->size, key);

	if (h->log)
		h->log->inserts++;
	if (h->slots[i].used) {
		h->slots[i].val = val;
		return 0;
	}
	/* one more key would take the load above 3/4 */
	if ((h->count + 1) * 4 > h->size * 3) {
		ht_resize(h, h->size * 2 + 1);
		i = ht_probe(h->slots, h->size, key);
	}
	h->slots[i] = (struct ht_slot){.key = key, .val = val, .used = 1};
	h->count++;
	return 1;
}

/* Returns 1 and sets *VAL when KEY is present. */
HT_API int ht_find(struct ht *h, unsigned long key, unsigned long *val)
{
	unsigned long i = ht_probe(h->slots, h->size, key);

	if (!h->slots[i].used)
		return 0;
	if (val)
		*val = h->slots[i].val;
	return 1;
}

/* Returns 1 when KEY was present.  Backward-shift deletion: no tombstones. */
HT_API int ht_remove(struct ht *h, unsigned long key)
{
	unsigned long size = h->size;
	unsigned long hole = ht_probe(h->slots, size, key);
	unsigned long j = hole;

	if (h->log)
		h->log->removes++;
	if (!h->slots[hole].used)
		return 0;
	/* move back every later key of the run whose home is not between the hole and it */
	for (;;) {
		unsigned long home;

		j = j + 1 == size ? 0 : j + 1;
		if (!h->slots[j].used)
			break;
		home = ht_home(h->slots[j].key, size);
		if (hole <= j ? (hole < home && home <= j) : (hole < home || home <= j))
			continue;
		h->slots[hole] = h->slots[j];
		hole = j;
	}
	h->slots[hole].used = 0;
	h->count--;
	if (h->count * 8 < size && size > h->initial_size) {
		unsigned long new_size = (size - 1) / 2;

		ht_resize(h, new_size < h->initial_size ? h->initial_size : new_size);
	}
	return 1;
}

HT_API void ht_free(struct ht *h)
{
	if (!h)
		return;
	free(h->slots);
	free(h);
}

static void sleep_s(double s)
{
	struct timespec ts = {.tv_sec = (time_t)s, .tv_nsec = (long)((s - (time_t)s) * 1e9)};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* Parse a positive integer argument, or exit with a message naming it. */
static unsigned long parse_count(const char *what, const char *s)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || v == 0) {
		fprintf(stderr, "customht: %s must be a positive integer, got '%s'\n", what, s);
		exit(2);
	}
	return v;
}

/* Fill and empty one table; checks every answer, exits non-zero on a wrong one. */
static void run_table(struct ht *h, unsigned long nkeys)
{
	unsigned long val;

	for (unsigned long k = 1; k <= nkeys; k++) {
		if (ht_insert(h, k, k * 3) != 1) {
			fprintf(stderr, "customht: insert of key %lu did not report a new key\n",
				k);
			exit(1);
		}
	}
	for (unsigned long k = 1; k <= nkeys; k++) {
		if (!ht_find(h, k, &val) || val != k * 3) {
			fprintf(stderr, "customht: key %lu lost after inserts\n", k);
			exit(1);
		}
	}
	if (h->count != nkeys) {
		fprintf(stderr, "customht: count %lu after %lu inserts\n", h->count, nkeys);
		exit(1);
	}
	for (unsigned long k = 1; k <= nkeys; k++) {
		if (ht_remove(h, k) != 1) {
			fprintf(stderr, "customht: remove of key %lu found nothing\n", k);
			exit(1);
		}
		/* every remaining key must stay reachable across backward shifts and shrinks */
		if (k + 1 <= nkeys && !ht_find(h, k + 1, NULL)) {
			fprintf(stderr, "customht: key %lu lost after removing %lu\n", k + 1, k);
			exit(1);
		}
	}
	if (h->count) {
		fprintf(stderr, "customht: count %lu after removing every key\n", h->count);
		exit(1);
	}
}

static void print_table(const struct ht *h, const struct ht_log *log, unsigned long addr)
{
	printf("{\"addr\":\"0x%lx\",\"grows\":%lu,\"shrinks\":%lu,\"resizes\":[", addr, log->grows,
	       log->shrinks);
	for (unsigned long i = 0; i < log->nresizes; i++)
		printf("%s[%lu,%lu]", i ? "," : "", log->resizes[i].old_size,
		       log->resizes[i].new_size);
	printf("],\"final_size\":%lu,\"inserts\":%lu,\"removes\":%lu}", h->size, log->inserts,
	       log->removes);
}

int main(int argc, char **argv)
{
	unsigned long nkeys, ntables = 1;
	double start_after = 1;

	if (argc < 2 || argc > 4) {
		fprintf(stderr, "usage: customht KEYS [START_AFTER_S] [TABLES]\n");
		return 2;
	}
	nkeys = parse_count("KEYS", argv[1]);
	if (argc > 2) {
		char *end;

		start_after = strtod(argv[2], &end);
		if (end == argv[2] || *end || !(start_after >= 0 && start_after < 3600)) {
			fprintf(stderr,
				"customht: START_AFTER_S must be 0..3600 seconds, got '%s'\n",
				argv[2]);
			return 2;
		}
	}
	if (argc > 3)
		ntables = parse_count("TABLES", argv[3]);

	fprintf(stderr, "customht: pid %d\n", (int)getpid());
	sleep_s(start_after);

	printf("{\"pid\":%d,\"tables\":[", (int)getpid());
	for (unsigned long t = 0; t < ntables; t++) {
		struct ht_log log = {0};
		struct ht *h = ht_new(HT_INITIAL_SIZE);

		if (!h) {
			perror("customht: ht_new");
			return 1;
		}
		h->log = &log;
		run_table(h, nkeys);
		if (t)
			printf(",");
		print_table(h, &log, (unsigned long)h);
		ht_free(h);
		free(log.resizes);
	}
	printf("]}\n");
	return fflush(stdout) ? 1 : 0;
}
