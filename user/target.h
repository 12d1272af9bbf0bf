/* SPDX-License-Identifier: MIT */
/* The traced process: who it is and which of its mapped objects carry the map library's probes. */
#ifndef MT_TARGET_H
#define MT_TARGET_H

#include <stdbool.h>
#include <linux/types.h>

#define TARGET_MAX_MODULES 16

struct proc_maps_cache;
struct usdt_site;

/* One mapped object with USDT probes of provider "cmap". */
struct target_module {
	char path[4096];	 /* path maptrace opens (through /proc/PID/root when needed) */
	char mapped[4096];	 /* path as the target sees it */
	struct usdt_site *sites; /* every cmap probe site of the object */
	int nsites;
};

struct target {
	int pid;
	/*
	 * Who @pid is: a pidfd (pidfd_open(2)), readable once the process has exited, whoever
	 * takes its PID afterwards; -1 where the kernel has none, and then its start time tells.
	 */
	int pidfd;
	unsigned long long start_time; /* field 22 of /proc/PID/stat: clock ticks since boot */
	char root[64]; /* "/proc/PID/root" when the target has another root than ours, else "" */
	char comm[64];
	char cmdline[512];
	int nmodules;
	struct target_module modules[TARGET_MAX_MODULES];
	/* the cache its mappings were read through, for every later reader; not owned; or NULL */
	struct proc_maps_cache *maps;
};

/* What a PID names, before it is traced. */
struct target_id {
	int tgid;		       /* the process: the PID itself, or the process of its thread */
	bool kthread;		       /* a kernel thread: no user space, nothing to trace */
	unsigned long long start_time; /* clock ticks since boot */
	char comm[16];
};

/**
 * target__identify() - what @pid names: a process, a thread of one, or a kernel thread.
 * @pid: a process or thread id, as the user gave it.
 * @id: receives the process it belongs to, whether it is a kernel thread, its start and name.
 * Return: 0, or -ESRCH when there is no such process or thread.
 */
int target__identify(int pid, struct target_id *id);

/**
 * target__inspect() - read what maptrace needs to know about process @pid: who it is (a pidfd,
 * its start time), its name, command line, and the mapped objects that carry cmap USDT probes.
 * @maps: the mappings cache to read @pid's mappings through (afresh, for the others to reuse),
 *	or NULL to read them for this call alone; kept in @t->maps.
 *
 * Whatever succeeds or fails, @t is then one target__release() accepts.
 * Return: 0; -ESRCH when there is no such process or it exited while read, -EINVAL when @pid
 * is a kernel thread or a thread but not a process (target__identify() says which), -EACCES
 * when its mappings cannot be read.
 */
int target__inspect(struct proc_maps_cache *maps, int pid, struct target *t);

/** target__release() - free what target__inspect() allocated and close its pidfd. */
void target__release(struct target *t);

/**
 * target__running() - is the process that target__inspect() read still running?  False once
 * it has exited (a zombie too), also when another process has taken its PID since: the pidfd
 * knows, or without one the start time.  Cheap enough for every poll of the live loop.
 */
bool target__running(const struct target *t);

/* One process target__find() found. */
struct target_match {
	int pid;
	unsigned long long start_time; /* clock ticks since boot, to order them */
	__u64 start_wall_ms;	       /* when it started, in ms since the epoch */
	char cmdline[256];	       /* its arguments joined by spaces, maybe cut short */
};

/* What target__find() found: the user processes newest first, and the kernel threads. */
struct target_list {
	struct target_match *procs; /* newest first (the latest start, then the highest PID) */
	int n;
	int kthreads; /* kernel threads that matched: never in @procs, they cannot be traced */
};

/**
 * target__find() - the live processes whose comm is @comm (when not NULL) or whose executable
 * is @exe (when not NULL), other than maptrace itself, newest first.
 * @out: receives them; target_list__free() it, also after a failure.
 * Return: 0 (and maybe none), or a negative errno when /proc cannot be read.
 */
int target__find(const char *comm, const char *exe, struct target_list *out);

/** target_list__free() - free what target__find() put in @l. */
void target_list__free(struct target_list *l);

/**
 * target__alive() - does a process of PID @pid exist (and is it not a zombie)?  By its number
 * alone: a process that took the PID over counts; target__running() knows better.
 */
bool target__alive(int pid);

/** target_module__has_probe() - does the module carry probe @name? */
bool target_module__has_probe(const struct target_module *m, const char *name);

#endif /* MT_TARGET_H */
