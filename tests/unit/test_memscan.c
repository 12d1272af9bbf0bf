// SPDX-License-Identifier: MIT
/*
 * memscan__find_pointer() against a child process whose memory is known: a pointer in static
 * data, one in the heap, two of the same, one only on a thread's stack, and none.
 */
/* timeout: 60 */
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include "../tap.h"
#include "memscan.h"
#include "procfs.h"

/* What the child tells the parent: the targets and where the pointers to them are. */
struct layout {
	uintptr_t in_static, static_ptr; /* a heap block, and the static word pointing to it */
	uintptr_t in_heap, heap_ptr;	 /* a heap block, and the heap word pointing to it */
	uintptr_t twice;		 /* pointed to by two static words */
	uintptr_t on_stack;		 /* pointed to only from a thread's stack */
	uintptr_t nowhere;		 /* pointed to by nothing */
};

static void *volatile static_word, *volatile twice_a, *volatile twice_b;

static uintptr_t hide(uintptr_t v);

static void *stack_holder(void *arg)
{
	/* the only copy, on this thread's stack (the argument is scrambled) */
	void *volatile local = (void *)hide((uintptr_t)arg);

	(void)local;
	pause();
	return NULL;
}

/* Scramble a pointer so that its value is nowhere in memory but where we put it. */
static uintptr_t hide(uintptr_t v)
{
	return v ^ 0x5a5a5a5a5a5a5a5aULL;
}

static void child(int fd)
{
	struct layout l;
	void **heap_word = malloc(64);
	char *a = malloc(64), *b = malloc(64), *c = malloc(64), *d = malloc(64), *e = malloc(64);
	pthread_t th;

	static_word = a;
	*heap_word = b;
	twice_a = twice_b = c;
	pthread_create(&th, NULL, stack_holder, (void *)hide((uintptr_t)d));
	l = (struct layout){
		.in_static = hide((uintptr_t)a),
		.static_ptr = hide((uintptr_t)&static_word),
		.in_heap = hide((uintptr_t)b),
		.heap_ptr = hide((uintptr_t)heap_word),
		.twice = hide((uintptr_t)c),
		.on_stack = hide((uintptr_t)d),
		.nowhere = hide((uintptr_t)e),
	};
	a = b = c = d = e = NULL;
	heap_word = NULL;
	if (write(fd, &l, sizeof(l)) != sizeof(l))
		_exit(1);
	memset(&l, 0, sizeof(l));
	for (;;)
		pause();
}

int main(void)
{
	struct proc_maps_cache *maps = proc_maps_cache__new();
	struct layout l;
	int fds[2], r;
	__u64 at = 0;
	pid_t pid;

	if (pipe(fds) || (pid = fork()) < 0) {
		perror("test_memscan");
		return 1;
	}
	if (!pid) {
		close(fds[0]);
		child(fds[1]);
	}
	close(fds[1]);
	if (read(fds[0], &l, sizeof(l)) != sizeof(l)) {
		check(0, "the child described its memory");
		kill(pid, SIGKILL);
		return tap_exit();
	}
	l = (struct layout){hide(l.in_static), hide(l.static_ptr), hide(l.in_heap),
			    hide(l.heap_ptr),  hide(l.twice),	   hide(l.on_stack),
			    hide(l.nowhere)};
	usleep(100000); /* the thread has stored its local */

	/* without a cache, then through one as maptrace does */
	r = memscan__find_pointer(NULL, pid, l.in_static, l.in_static + 8, MEMSCAN_BUDGET, &at);
	check(r == 1 && at == l.static_ptr,
	      "a static word pointing into the range: found at %#llx "
	      "(want %#lx, r %d)",
	      (unsigned long long)at, (unsigned long)l.static_ptr, r);
	at = 0;
	r = memscan__find_pointer(maps, pid, l.in_heap, l.in_heap + 8, MEMSCAN_BUDGET, &at);
	check(r == 1 && at == l.heap_ptr, "a heap word: found at %#llx (want %#lx, r %d)",
	      (unsigned long long)at, (unsigned long)l.heap_ptr, r);
	r = memscan__find_pointer(maps, pid, l.twice, l.twice, MEMSCAN_BUDGET, &at);
	check(r == 0, "two words pointing there: not sure, none returned (r %d)", r);
	r = memscan__find_pointer(maps, pid, l.on_stack, l.on_stack, MEMSCAN_BUDGET, &at);
	check(r == 0, "a pointer only on a thread's stack is not a lock's (r %d)", r);
	r = memscan__find_pointer(maps, pid, l.nowhere, l.nowhere + 8, MEMSCAN_BUDGET, &at);
	check(r == 0, "nothing points there (r %d)", r);
	r = memscan__find_pointer(maps, pid, l.in_heap, l.in_heap, 4096, &at);
	check(r == 0, "a budget spent before the heap is reached: not found (r %d)", r);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	r = memscan__find_pointer(maps, pid, l.in_static, l.in_static, MEMSCAN_BUDGET, &at);
	check(r < 0, "a process that is gone: an error (r %d)", r);
	proc_maps_cache__free(maps);
	return tap_exit();
}
