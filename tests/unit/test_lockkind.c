// SPDX-License-Identifier: MIT
/*
 * lockkind: the kind of each futex wait from its stack's functions (glibc 2.36's, as the demo
 * records them) and from the values it expected when no stack says.
 */
#include <stdio.h>
#include "lockkind.h"
#include "maptrace.h"
#include "model.h"
#include "stack.h"
#include "../tap.h"

#define MAXF 8

/* The kind a fresh word gets from one wait with this stack (leaf first, NULL-terminated). */
static int kind_of(const char *const *funcs, int val, __u32 *mode)
{
	struct mt_frame f[MAXF] = {};
	struct lock_guess g = {};
	int n = 0;

	for (; funcs[n] && n < MAXF; n++)
		f[n].func = funcs[n];
	*mode = lockkind__futex_wait(&g, f, n, 0x7ffd00001000ULL, val);
	return g.kind;
}

static const struct {
	const char *what;
	const char *funcs[MAXF];
	int kind;
} cases[] = {
	{"pthread_mutex_lock",
	 {"__lll_lock_wait", "pthread_mutex_lock", "worker_main"},
	 MT_LOCK_MUTEX},
	{"the mutex pthread_cond_wait re-takes",
	 {"__lll_lock_wait", "__pthread_mutex_cond_lock", "pthread_cond_wait", "worker_main"},
	 MT_LOCK_MUTEX},
	{"GLib's g_mutex_lock", {"g_mutex_lock_slowpath", "g_mutex_lock", "main"}, MT_LOCK_MUTEX},
	{"an rwlock's reader",
	 {"__futex_abstimed_wait_common", "pthread_rwlock_rdlock", "f"},
	 MT_LOCK_RWLOCK},
	{"an rwlock's writer",
	 {"__futex_abstimed_wait_common", "pthread_rwlock_wrlock", "f"},
	 MT_LOCK_RWLOCK},
	{"pthread_cond_wait",
	 {"__futex_abstimed_wait_common", "pthread_cond_wait", "worker_main", "start_thread"},
	 MT_LOCK_CONDVAR},
	{"pthread_cond_timedwait",
	 {"__futex_abstimed_wait_common", "__pthread_cond_wait_common", "pthread_cond_timedwait"},
	 MT_LOCK_CONDVAR},
	{"pthread_cond_broadcast waiting on the group references",
	 {"pthread_cond_broadcast", "worker_main", "start_thread"},
	 MT_LOCK_CONDVAR},
	{"pthread_barrier_wait",
	 {"__futex_abstimed_wait_common", "pthread_barrier_wait", "worker", "start_thread"},
	 MT_LOCK_BARRIER},
	{"pthread_join",
	 {"__futex_abstimed_wait_common", "__pthread_clockjoin_ex", "workload__run", "main"},
	 MT_LOCK_JOIN},
	{"pthread_join by its own name",
	 {"__futex_abstimed_wait_common", "pthread_join", "main"},
	 MT_LOCK_JOIN},
	{"pthread_timedjoin_np",
	 {"__futex_abstimed_wait_common", "pthread_timedjoin_np", "main"},
	 MT_LOCK_JOIN},
	{"sem_wait",
	 {"__futex_abstimed_wait_common", "__new_sem_wait_slow64", "sem_wait", "reader"},
	 MT_LOCK_SEMAPHORE},
	{"sem_timedwait",
	 {"__futex_abstimed_wait_common", "sem_timedwait", "reader"},
	 MT_LOCK_SEMAPHORE},
	{"a futex the program calls itself", {"syscall", "my_wait", "main"}, MT_LOCK_FUTEX},
	/* the Go runtime's own futex sleeps, as maptrace symbolized them in Go 1.19 and tsgo */
	{"Go 1.19: an idle M (symbols)",
	 {"runtime.futex.abi0", "runtime.futexsleep", "runtime.notesleep", "runtime.stopm",
	  "runtime.findRunnable", "runtime.schedule"},
	 MT_LOCK_GO_PARK},
	{"Go 1.19: an idle M (stripped: futexsleep unnamed)",
	 {"runtime.futex", "runtime.notesleep", "runtime.stopm", "runtime.findRunnable"},
	 MT_LOCK_GO_PARK},
	{"Go 1.19: sysmon",
	 {"runtime.futex.abi0", "runtime.futexsleep", "runtime.notetsleep_internal",
	  "runtime.notetsleep", "runtime.sysmon", "runtime.mstart1"},
	 MT_LOCK_GO_PARK},
	{"Go 1.26: the GC waiting in forEachP",
	 {"runtime.futex", "runtime.notetsleep_internal", "runtime.notetsleep",
	  "runtime.forEachPInternal", "runtime.gcMarkDone.forEachP.func5"},
	 MT_LOCK_GO_PARK},
	{"Go: a stack cut after runtime.futex", {"runtime.futex"}, MT_LOCK_GO_PARK},
	{"Go 1.19: runtime.lock2 on sched.lock",
	 {"runtime.futex.abi0", "runtime.lock2", "runtime.forEachP", "runtime.gcMarkDone.func1"},
	 MT_LOCK_GO_RTLOCK},
	{"Go 1.19: runtime.lock2 on a channel's lock",
	 {"runtime.futex.abi0", "runtime.futexsleep", "runtime.lock2", "runtime.chansend",
	  "runtime.selectnbsend", "main.main.func1"},
	 MT_LOCK_GO_RTLOCK},
	{"Go 1.26: runtime.lock2 through semasleep",
	 {"runtime.futex", "runtime.semasleep", "runtime.lock2", "runtime.chanrecv"},
	 MT_LOCK_GO_RTLOCK},
	{"a pthread mutex taken through cgo",
	 {"__lll_lock_wait", "pthread_mutex_lock", "c_take", "_cgo_1234_Cfunc_c_take",
	  "runtime.asmcgocall.abi0", "main.main"},
	 MT_LOCK_MUTEX},
	{"a C function whose name only starts like the runtime's",
	 {"runtime.futexwakeup_shim", "runtime.lock2x", "main"},
	 MT_LOCK_FUTEX},
};

int main(void)
{
	struct lock_guess g = {};
	__u32 mode;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int kind = kind_of(cases[i].funcs, 0, &mode);

		check(kind == cases[i].kind, "%s: %s (got %s)", cases[i].what,
		      mt_lock_kind_name(cases[i].kind), mt_lock_kind_name(kind));
	}
	kind_of(cases[3].funcs, 0, &mode);
	check(mode == MT_MODE_READ, "an rwlock's reader waits to read");
	kind_of(cases[1].funcs, 0, &mode);
	check(mode == MT_MODE_WRITE, "a mutex is taken to write");

	check(lockkind__is_lock(MT_LOCK_MUTEX) && lockkind__is_lock(MT_LOCK_RWLOCK),
	      "mutexes and rwlocks are lock contention");
	for (int k = 0; k < MT_LOCK_KINDS; k++) {
		if (k != MT_LOCK_MUTEX && k != MT_LOCK_RWLOCK)
			check(!lockkind__is_lock(k), "%s is not lock contention",
			      mt_lock_kind_name(k));
	}

	/* no stack: a word expected to be 2 is a contended mutex, also 3 an rwlock */
	lockkind__futex_wait(&g, NULL, 0, 0x1000, 2);
	check(g.kind == MT_LOCK_MUTEX && g.guessed, "no stack, expected 2: a mutex, guessed");
	lockkind__futex_wait(&g, NULL, 0, 0x1000, 3);
	check(g.kind == MT_LOCK_RWLOCK, "no stack, expected 2 then 3: an rwlock");
	{
		struct mt_frame f[2] = {{.func = "__futex_abstimed_wait_common"},
					{.func = "pthread_cond_wait"}};

		lockkind__futex_wait(&g, f, 2, 0x1000, 2);
		check(g.kind == MT_LOCK_CONDVAR && !g.guessed, "a stack corrects a guess");
	}
	{
		struct lock_guess j = {};
		struct mt_frame f[2] = {{.func = "__futex_abstimed_wait_common"},
					{.func = "__pthread_clockjoin_ex"}};

		lockkind__futex_wait(&j, f, 2, 0x7f0000000990ULL, 4242);
		lockkind__futex_wait(&j, NULL, 0, 0x7f0000000990ULL, 2);
		check(j.kind == MT_LOCK_JOIN, "a join stays a join after a wait with no stack");
	}
	{
		/* Go 1.19's lock2 sleeps expecting 2, as an lll mutex does: the stack decides */
		struct lock_guess r = {};
		struct mt_frame f[3] = {{.func = "runtime.futex.abi0"},
					{.func = "runtime.futexsleep"},
					{.func = "runtime.lock2"}};

		lockkind__futex_wait(&r, NULL, 0, 0x52aef8, 2);
		check(r.kind == MT_LOCK_MUTEX && r.guessed, "Go: no stack, 2: a mutex, guessed");
		mode = lockkind__futex_wait(&r, f, 3, 0x52aef8, 2);
		check(r.kind == MT_LOCK_GO_RTLOCK && !r.guessed && mode == MT_MODE_UNKNOWN,
		      "Go: a runtime.lock2 stack corrects the guess: go-rtlock, no mode (got %s)",
		      mt_lock_kind_name(r.kind));
		lockkind__futex_wait(&r, NULL, 0, 0x52aef8, 2);
		check(r.kind == MT_LOCK_GO_RTLOCK, "Go: and stays so after a wait with no stack");
	}
	{
		/* a first wait whose stack was cut after runtime.futex, then lock2's own */
		struct lock_guess r = {0};
		struct mt_frame cut[1] = {{.func = "runtime.futex.abi0"}};
		struct mt_frame f[2] = {{.func = "runtime.futex.abi0"}, {.func = "runtime.lock2"}};

		lockkind__futex_wait(&r, cut, 1, 0x52cf18, 2);
		check(r.kind == MT_LOCK_GO_PARK, "Go: a stack cut after runtime.futex: go-park");
		lockkind__futex_wait(&r, f, 2, 0x52cf18, 2);
		check(r.kind == MT_LOCK_GO_RTLOCK,
		      "Go: a later runtime.lock2 stack makes the word go-rtlock (got %s)",
		      mt_lock_kind_name(r.kind));
		lockkind__futex_wait(&r, cut, 1, 0x52cf18, 2);
		check(r.kind == MT_LOCK_GO_RTLOCK, "Go: and a cut stack after it does not undo that");
	}
	check(!strcmp(mt_lock_kind_name(MT_LOCK_GO_PARK), "go-park") &&
		      !strcmp(mt_lock_kind_name(MT_LOCK_GO_RTLOCK), "go-rtlock"),
	      "Go kind names");
	check(!strcmp(mt_lock_kind_name(MT_LOCK_SEMAPHORE), "semaphore") &&
		      !strcmp(mt_lock_kind_name(MT_LOCK_FUTEX), "futex"),
	      "kind names");
	return tap_exit();
}
