/* SPDX-License-Identifier: MIT */
/*
 * Which lock or data an address of a live process is: static data named after its data symbol
 * (Redis's "dbDictType"), and a futex word found to belong to a GLib GRWLock.  It reads the
 * target's files and memory and says what it found; the caller records it.  Nothing here needs
 * BPF or libbpf, so what decides a lock from a record's fields and stack can live here too.
 */
#ifndef MT_LOCKID_H
#define MT_LOCKID_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "maptrace.h"

struct lockid;
struct proc_maps_cache;

struct mt_event;
struct mt_frame;

/**
 * lockid__new() - identify data and locks in process @pid, whose files are found below @root
 * (its /proc/PID/root, or "" when it shares ours), whose mappings are read through @maps (NULL:
 * read for each look-up).  With a @root, the files @pid maps are opened now, while it lives:
 * the records of its last waits are often read after it exited, when its root is gone.
 * Return: 0 and *@out, or -ENOMEM.
 */
int lockid__new(int pid, const char *root, struct proc_maps_cache *maps, struct lockid **out);

/**
 * lockid__name_data() - the data symbol @addr points into (Redis: "dbDictType", "lock+0x8"), or
 * "" when no data symbol covers it.  Each address is resolved once.
 * Return: the name, valid until the next call.
 */
const char *lockid__name_data(struct lockid *li, __u64 addr);

/**
 * lockid__attribute_futex() - which lock a futex wait (@ev, MT_EV_WAIT) outside the library's
 * locks waits on, decided once per word: a static lock (in a file's data or .bss) is named
 * after its symbol; a word of the pthread_rwlock_t GLib allocated for a GRWLock counts under
 * the GRWLock, found in the target's memory, once a wait's stack shows g_rw_lock_*.
 * @grwlock: the wait's stack passes through g_rw_lock_* (lockkind__grwlock_stack()).
 * @lock: the address the word's waits count under (the word itself when it is static).
 * @name: its data symbol, or "" (@len bytes).
 * Return: 1 with *@lock and @name set, 0 when the word stays as it is (for now: a later wait's
 * stack may still show a GRWLock), or -ENOMEM.
 */
int lockid__attribute_futex(struct lockid *li, const struct mt_event *ev, bool grwlock,
			    __u64 *lock, char *name, size_t len);

/** lockid__free() - NULL is allowed. */
void lockid__free(struct lockid *li);

#endif /* MT_LOCKID_H */
