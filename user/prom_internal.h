/* SPDX-License-Identifier: MIT */
/*
 * What prom.c (the series state) and prom_text.c (the exposition) share: the histogram layout
 * and struct prom_state's insides.  Only prom*.c include it; everyone else sees prom.h, where
 * struct prom_state is opaque.
 */
#ifndef MT_PROM_INTERNAL_H
#define MT_PROM_INTERNAL_H

#include <stdbool.h>
#include "prom.h"

/*
 * Two bounds per octave, 2^e and 1.5 * 2^e ns: both are struct hist bucket boundaries from
 * 2^6 ns up (hist.h: 32 linear sub-buckets per octave), so a hist bucket never straddles a
 * bound.  Half-octave buckets keep histogram_quantile()'s linear interpolation within about
 * 20% of the truth (a value of 20 ms sits in 16.8..25.2 ms), at 52 lines per histogram.
 */
#define PROM_NBOUNDS 49

struct prom_layout {
	int first_exp; /* the first bound is 2^first_exp ns, the last 2^(first_exp + 24) ns */
};

/* Lock waits: 1.024 us .. 17.2 s.  Defined in prom.c. */
extern const struct prom_layout prom_lock_layout;
/* Rehash times (grows and evacuation steps): 128 ns .. 2.15 s.  Defined in prom.c. */
extern const struct prom_layout prom_rehash_layout;

/** prom_layout__bound_ns() - bound @j (0..PROM_NBOUNDS - 1) of layout @l, in ns. */
static inline __u64 prom_layout__bound_ns(const struct prom_layout *l, int j)
{
	int e = l->first_exp + j / 2;

	return j % 2 ? 3ULL << (e - 1) : 1ULL << e;
}

/* A histogram in exposition buckets, not cumulative; b[PROM_NBOUNDS] is the +Inf overflow. */
struct phist {
	__u64 count;
	__u64 sum_ns;
	__u64 b[PROM_NBOUNDS + 1];
};

/* The counters of one map or lock row (a lock uses only h). */
struct prom_vals {
	__u64 inserts;
	__u64 grows;
	__u64 evacuated;
	struct phist h;
};

/* One map or lock ever seen in a process, sorted by addr in its table. */
struct prom_item {
	__u64 addr;
	struct prom_vals last; /* the row's values at the latest update */
	struct prom_vals *own; /* what its own series shows; NULL until it first had one */
	bool chosen;	       /* it has a series of its own at the latest update */
	bool was_chosen;       /* ... and had one at the update before (during an update) */
	bool fresh;	       /* first seen in this update (during an update) */
};

/* A row with a series of its own at the latest update, in cost order. */
struct prom_row {
	size_t item;		    /* index into the table's items */
	char *library, *created_at; /* maps */
	const char *kind;	    /* locks: static string */
	__u64 map;		    /* locks: the map it guards, 0 unknown */
	__u64 buckets;		    /* maps */
	__s64 count;		    /* maps: -1 unknown */
};

struct prom_table {
	struct prom_item *items;
	size_t nitems;
	struct prom_row *rows;
	int nrows;
	struct prom_vals other; /* increases of rows without a series of their own */
	bool other_used;	/* some row was ever folded: the "other" series exists */
	__u64 other_buckets;	/* gauges of the rows folded now */
	__s64 other_count;	/* -1 when a folded row's count is unknown */
};

struct prom_proc {
	int pid;
	char comm[sizeof(((struct run_info *)0)->comm)];
	bool attached;
	__u64 dropped[MT_DROP_MAX];
	struct prom_table maps, locks;
};

struct prom_state {
	int top;
	struct prom_proc **procs; /* in the order they were first seen */
	int nprocs;
};

#endif /* MT_PROM_INTERNAL_H */
