/* SPDX-License-Identifier: MIT */
/* A thread's scheduler state, for test programs that must release a lock only once its waiter sleeps. */
#ifndef TESTS_THREAD_STATE_H
#define TESTS_THREAD_STATE_H

#include <stdio.h>
#include <string.h>
#include <sys/types.h>

/* Thread @tid of this process: its state from /proc ('S' while it sleeps), '?' when unreadable. */
static inline char thread_state(pid_t tid)
{
	char path[64], buf[512], *p;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)tid);
	f = fopen(path, "r");
	if (!f)
		return '?';
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')'); /* the name may hold spaces: the state follows its ')' */
	return p && p[1] == ' ' ? p[2] : '?';
}

#endif
