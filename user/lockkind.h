/* SPDX-License-Identifier: MIT */
/*
 * What a futex wait is for (a mutex, an rwlock, a condition variable, a barrier, a thread's
 * join, a semaphore), and for a lock in which mode (read or write), from the functions on the
 * waiting stack and the value the wait expected the word to hold.  Only mutexes and rwlocks are
 * lock contention; the other kinds are a thread waiting for another to do something, or the Go
 * runtime's own futex sleeps (a goroutine blocked on a sync.Mutex parks in the scheduler, never
 * on a futex, so every futex wait in Go code is the runtime's: its idle threads and its internal
 * locks).  Pure
 * functions of a record and its stack: the model applies them live and in a replay alike.  The
 * half of lock identification that reads a live process is lockid.h.
 */
#ifndef MT_LOCKKIND_H
#define MT_LOCKKIND_H

#include <stdbool.h>
#include <linux/types.h>

struct mt_frame;

enum mt_lock_kind {
	MT_LOCK_FUTEX = 0, /* a futex of unknown kind */
	MT_LOCK_MUTEX = 1,
	MT_LOCK_RWLOCK = 2,
	MT_LOCK_CONDVAR = 3,
	MT_LOCK_BARRIER = 4,
	MT_LOCK_JOIN = 5,	/* pthread_join() waiting for a thread to exit */
	MT_LOCK_SEMAPHORE = 6,
	MT_LOCK_GO_PARK = 7,	/* the Go runtime parks a thread with no work (notesleep) */
	MT_LOCK_GO_RTLOCK = 8,	/* the Go runtime's own mutex (runtime.lock2): sched.lock... */
	MT_LOCK_KINDS,
};

/*
 * A mutex that pthread_cond_wait() re-takes as it returns (__pthread_mutex_cond_lock) is a
 * mutex wait: the thread wants the lock, not the condition.  Whether it is map contention is
 * not the kind's to say: a report tells that by the map the lock guards (advice.c).
 */

/** lockkind__is_lock() - is a wait of @kind (enum mt_lock_kind) lock contention? */
static inline bool lockkind__is_lock(int kind)
{
	return kind == MT_LOCK_MUTEX || kind == MT_LOCK_RWLOCK;
}

/* What the waits on one lock have said of its kind so far.  Zero-initialised: nothing. */
struct lock_guess {
	int kind;	/* enum mt_lock_kind */
	bool guessed;	/* from futex values, not a stack: a stack may still correct it */
	__u8 vals_seen; /* bit N: a wait on it expected N (N < 8) */
};

/**
 * lockkind__futex_wait() - fold one futex wait on @word into @g: the wait's stack (@frames,
 * leaf first; NULL and 0 when it has none) and the value it expected (@val, -1 unrecorded).
 * A stack that names a synchronisation function decides (the first wait with one, for the
 * word); without one, a word expected to be 2 is a contended mutex, or an rwlock when it was
 * also expected to be 3.
 * Return: the wait's mode (enum mt_lock_mode).
 */
__u32 lockkind__futex_wait(struct lock_guess *g, const struct mt_frame *frames, int nframes,
			   __u64 word, int val);

/**
 * lockkind__grwlock_stack() - do these frames (a wait's stack, leaf first) pass through GLib's
 * g_rw_lock_reader_lock or g_rw_lock_writer_lock?
 */
bool lockkind__grwlock_stack(const struct mt_frame *frames, int nframes);

#endif /* MT_LOCKKIND_H */
