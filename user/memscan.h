/* SPDX-License-Identifier: MIT */
#ifndef MT_MEMSCAN_H
#define MT_MEMSCAN_H

#include <linux/types.h>

/*
 * Finding the one word in a process's memory that points to something: GLib's GRWLock holds a
 * pointer to the pthread_rwlock_t it allocated on first use, and its waiters sleep on that
 * rwlock's words, so the GRWLock a futex word belongs to is the word pointing next to it.
 */

struct proc_maps_cache;

/** Scan at most this much of the target's memory per search. */
#define MEMSCAN_BUDGET (256ULL << 20)

/**
 * memscan__find_pointer() - where in process @pid's writable memory an aligned 8-byte word
 * holds a value in [@lo, @hi], read through /proc/PID/mem.  Writable mappings of files (static
 * data) are searched first, then the heap and anonymous memory; thread stacks (a writable
 * mapping right above an inaccessible guard, or [stack]) are skipped, since registers spilled
 * there hold copies of any pointer in use.  At most @budget bytes are read.
 * @maps: the mappings cache to read @pid's mappings through (always afresh: memory moves; the
 *	cache keeps them for its other readers), or NULL to read them for this call alone.
 * Return: 1 with *@at set when exactly one word matches (the first class with a match decides),
 * 0 when none or several do (or the budget ran out first), or -errno.
 */
int memscan__find_pointer(struct proc_maps_cache *maps, int pid, __u64 lo, __u64 hi, __u64 budget,
			  __u64 *at);

#endif /* MT_MEMSCAN_H */
