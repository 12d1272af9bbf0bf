// SPDX-License-Identifier: MIT
/* Lock kind and mode from a futex wait's stack and expected value.  See lockkind.h. */
#include <string.h>
#include "lockkind.h"
#include "maptrace.h"
#include "stack.h"

/*
 * Waits inside these are for the operation, whatever futex word it sleeps on: a barrier's,
 * join's or semaphore's internals are not a lock the program took.  They are looked for
 * anywhere on the stack, before the leaf-first lock functions below.
 */
static const struct {
	const char *func; /* a substring of the function's name */
	int kind;
} whole_ops[] = {
	{ "pthread_barrier_wait", MT_LOCK_BARRIER },
	{ "pthread_join", MT_LOCK_JOIN },
	{ "pthread_clockjoin", MT_LOCK_JOIN }, /* glibc's __pthread_clockjoin_ex */
	{ "pthread_timedjoin", MT_LOCK_JOIN },
	{ "sem_wait", MT_LOCK_SEMAPHORE }, /* also __new_sem_wait_slow */
	{ "sem_timedwait", MT_LOCK_SEMAPHORE },
	{ "sem_clockwait", MT_LOCK_SEMAPHORE },
};

/* Is @f the Go function @name, named from .symtab (assembly keeps ".abi0") or .gopclntab? */
static bool go_func_is(const char *f, const char *name)
{
	size_t n = strlen(name);

	return !strncmp(f, name, n) && (!f[n] || !strcmp(f + n, ".abi0"));
}

/*
 * A futex wait in Go code is the runtime's: runtime.futex is its only futex syscall (sync.Mutex
 * parks goroutines in the scheduler).  runtime.lock2 on the stack is the runtime's own mutex
 * (Go 1.19: lock2 -> futexsleep; 1.24+: lock2 -> semasleep); anything else is a thread parked
 * with nothing to run (notesleep/notetsleep from stopm, findRunnable, sysmon, forEachP,
 * stopTheWorld...).  A stack cut after runtime.futex is parking too: it cannot say which.
 */
static int go_runtime_kind(const struct mt_frame *frames, int nframes)
{
	bool go = false;

	for (int i = 0; i < nframes; i++) {
		if (go_func_is(frames[i].func, "runtime.futex") ||
		    go_func_is(frames[i].func, "runtime.futexsleep"))
			go = true;
		else if (go && go_func_is(frames[i].func, "runtime.lock2"))
			return MT_LOCK_GO_RTLOCK;
	}
	return go ? MT_LOCK_GO_PARK : MT_LOCK_FUTEX;
}

/*
 * The kind of wait the functions on a waiting stack make, and the mode when they say.  Lock
 * functions are matched leaf first, so that the mutex pthread_cond_wait() re-takes
 * (__lll_lock_wait <- __pthread_mutex_cond_lock <- pthread_cond_wait) is a mutex wait.
 */
static int kind_from_frames(const struct mt_frame *frames, int nframes, __u32 *mode)
{
	int go = go_runtime_kind(frames, nframes);

	*mode = MT_MODE_UNKNOWN;
	if (go != MT_LOCK_FUTEX)
		return go;
	for (int i = 0; i < nframes; i++) {
		for (size_t j = 0; j < sizeof(whole_ops) / sizeof(whole_ops[0]); j++) {
			if (strstr(frames[i].func, whole_ops[j].func))
				return whole_ops[j].kind;
		}
	}
	for (int i = 0; i < nframes; i++) {
		const char *f = frames[i].func;

		if (strstr(f, "rwlock_rd") || strstr(f, "rw_lock_reader") ||
		    strstr(f, "rw_lock_read")) {
			*mode = MT_MODE_READ;
			return MT_LOCK_RWLOCK;
		}
		if (strstr(f, "rwlock_wr") || strstr(f, "rw_lock_writer")) {
			*mode = MT_MODE_WRITE;
			return MT_LOCK_RWLOCK;
		}
		if (strstr(f, "mutex_lock") || strstr(f, "lll_lock_wait") ||
		    strstr(f, "rec_mutex") || strstr(f, "mutex_cond_lock")) {
			*mode = MT_MODE_WRITE;
			return MT_LOCK_MUTEX;
		}
		/* a broadcast or signal waits on the condvar's group references (__g_refs) */
		if (strstr(f, "cond_wait") || strstr(f, "cond_timedwait") ||
		    strstr(f, "cond_clockwait") || strstr(f, "cond_broadcast") ||
		    strstr(f, "cond_signal"))
			return MT_LOCK_CONDVAR;
	}
	return MT_LOCK_FUTEX;
}

/*
 * The mode of a wait whose stack does not say, from the word and the value expected.  A mutex
 * is taken to write.  glibc's pthread_rwlock_t (GLib's GRWLock uses one) is 8-byte aligned;
 * readers wait on __wrphase_futex (offset 8) for a write phase to end, expecting 1 | FUTEX_USED
 * (3), writers on it for a read phase to end, expecting FUTEX_USED (2), or on __writers_futex
 * (offset 12, so 4 mod 8) for another writer.
 */
static __u32 mode_from_word(int kind, __u64 word, int val)
{
	if (kind == MT_LOCK_MUTEX)
		return MT_MODE_WRITE;
	if (kind != MT_LOCK_RWLOCK || val < 0)
		return MT_MODE_UNKNOWN;
	if (word % 8 == 4)
		return MT_MODE_WRITE;
	return val == 3 ? MT_MODE_READ : val == 2 ? MT_MODE_WRITE : MT_MODE_UNKNOWN;
}

__u32 lockkind__futex_wait(struct lock_guess *g, const struct mt_frame *frames, int nframes,
			   __u64 word, int val)
{
	__u32 mode;
	int kind = kind_from_frames(frames, nframes, &mode);

	if (val >= 0 && val < 8)
		g->vals_seen |= 1u << val;
	/*
	 * A Go word decided as parking by a stack that showed runtime.futex but not what called it
	 * (cut short, or a copy that unwound no further) is a runtime mutex once a stack shows
	 * runtime.lock2: only lock2 sleeps on a mutex word, and a note's waits never pass it.
	 */
	if (kind != MT_LOCK_FUTEX &&
	    (g->kind == MT_LOCK_FUTEX || g->guessed ||
	     (kind == MT_LOCK_GO_RTLOCK && g->kind == MT_LOCK_GO_PARK))) {
		g->kind = kind;
		g->guessed = false;
	} else if ((g->kind == MT_LOCK_FUTEX || g->guessed) && (g->vals_seen & 1u << 2)) {
		/*
		 * No stack says: a word expected to be 2 is a contended lll mutex's (its states are
		 * 0, 1, 2), unless it was also expected to be 3, which a glibc rwlock's
		 * __wrphase_futex is (readers 3, writers 2).
		 */
		g->kind = g->vals_seen & 1u << 3 ? MT_LOCK_RWLOCK : MT_LOCK_MUTEX;
		g->guessed = true;
	}
	return mode == MT_MODE_UNKNOWN ? mode_from_word(g->kind, word, val) : mode;
}

bool lockkind__grwlock_stack(const struct mt_frame *frames, int nframes)
{
	for (int i = 0; i < nframes; i++) {
		if (!strcmp(frames[i].func, "g_rw_lock_reader_lock") ||
		    !strcmp(frames[i].func, "g_rw_lock_writer_lock"))
			return true;
	}
	return false;
}
