/* SPDX-License-Identifier: MIT */
/*
 * A process's mappings, and its files opened as that process sees them (containers, chroots,
 * deleted files).
 *
 * /proc/PID/maps is read into a snapshot (struct proc_maps) that the symbolizer, the unwinder,
 * the target's inspection and the memory scanner share through a cache (struct
 * proc_maps_cache): one live run parses it once, and again only when a reader needs newer
 * mappings than the cache holds (a library loaded since, a heap that grew).
 *
 * Not thread-safe: snapshots are reference-counted without atomics, the cache is unlocked.
 */
#ifndef MT_PROCFS_H
#define MT_PROCFS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <linux/types.h>

/* One line of /proc/PID/maps, parsed. */
struct proc_map {
	__u64 start, end, pgoff, ino;
	dev_t dev;
	bool read, write, exec; /* the mapping's permissions */
	bool deleted;		/* the file was deleted (" (deleted)" removed from path) */
	const char *path;	/* file path, "[vdso]"-style name, or "" for anonymous memory */
	const char *line;	/* the whole line without its newline, for hashing */
};

/**
 * procfs__open_in_root() - open @path below the root of process @pid (@root_fd: an O_PATH fd of
 * /proc/PID/root, or -1 to open one for this call).  RESOLVE_IN_ROOT keeps absolute symlinks
 * inside that root, which a plain /proc/PID/root/path would follow into ours.
 * Return: the fd, or -1 with errno set.
 */
int procfs__open_in_root(int pid, int root_fd, const char *path);

/**
 * procfs__open_mapped() - open the file behind mapping @m of process @pid (@m->path as the
 * target sees it; @m->start and @m->end name it in /proc/PID/map_files): through its root, then
 * by our path when it is the very inode mapped (a chrooted target's paths are ours), then
 * /proc/PID/map_files (deleted files; needs CAP_SYS_ADMIN or CAP_CHECKPOINT_RESTORE), and last
 * a file replaced on disk since it was mapped.  Return: the fd, or -1.
 */
int procfs__open_mapped(int pid, int root_fd, const struct proc_map *m);

/* ---- snapshots of /proc/PID/maps ------------------------------------------------------------- */

struct proc_maps;

/**
 * proc_maps__read() - read the mappings of process @pid now.
 * @pid: the process.
 * @out: receives the snapshot, with one reference for the caller to proc_maps__put().
 *
 * An exited process that is not yet reaped, or a kernel thread, has no mappings: a snapshot
 * with none.
 * Return: 0; -ESRCH when the process is gone (also when it exits while being read), -EACCES when
 * its mappings may not be read, -ENOMEM, or another -errno.
 */
int proc_maps__read(int pid, struct proc_maps **out);

/**
 * proc_maps__get() - take another reference to snapshot @pm, to keep it past the cache's next
 * re-read or past another holder's proc_maps__put().
 * Return: @pm.
 */
struct proc_maps *proc_maps__get(struct proc_maps *pm);

/**
 * proc_maps__put() - drop a reference to @pm (may be NULL); the last one frees it and its
 * strings.
 */
void proc_maps__put(struct proc_maps *pm);

/**
 * proc_maps__entries() - the mappings of @pm, in address order as the kernel lists them.
 * @pm: the snapshot.
 * @n: receives their number.
 *
 * The array and its strings live as long as the snapshot; entries never change.  One array: the
 * index of an entry proc_maps__find() returned is its distance from the first.
 * Return: the first mapping (NULL when there are none).
 */
const struct proc_map *proc_maps__entries(const struct proc_maps *pm, size_t *n);

/**
 * proc_maps__find() - the mapping of @pm holding @addr (start <= @addr < end), by binary search.
 * Return: the mapping, or NULL when @addr lies in none.
 */
const struct proc_map *proc_maps__find(const struct proc_maps *pm, __u64 addr);

/**
 * proc_maps__read_ns() - when the read of @pm began, on CLOCK_MONOTONIC: every change to the
 * mappings made before then is in the snapshot.
 */
__u64 proc_maps__read_ns(const struct proc_maps *pm);

/**
 * procfs__maps() - call @cb for each mapping of process @pid, in address order, until it
 * returns non-zero: proc_maps__read() for a caller that looks at the mappings once.  The strings
 * are valid during the call only.
 * Return: 0, what @cb returned, or an error of proc_maps__read().
 */
int procfs__maps(int pid, int (*cb)(const struct proc_map *m, void *arg), void *arg);

/* ---- a cache of snapshots, one per process ------------------------------------------------- */

struct proc_maps_cache;

/* proc_maps_cache__get()'s @max_age_ns to take any snapshot the cache has. */
#define PROC_MAPS_ANY_AGE (~0ULL)

/**
 * proc_maps_cache__new() - an empty cache.
 * Return: the cache, or NULL with errno ENOMEM.
 */
struct proc_maps_cache *proc_maps_cache__new(void);

/**
 * proc_maps_cache__free() - drop the cache's snapshots (those held elsewhere stay valid) and
 * free it.
 * @c: the cache, may be NULL.
 */
void proc_maps_cache__free(struct proc_maps_cache *c);

/**
 * proc_maps_cache__get() - a snapshot of the mappings of @pid, read at most @max_age_ns ago.
 * @c: the cache; NULL reads a snapshot for this call alone.
 * @pid: the process.
 * @max_age_ns: how old a cached snapshot may be (CLOCK_MONOTONIC): PROC_MAPS_ANY_AGE for
 *	whatever was read last (at attach, say), 0 for the mappings as they are now (after an
 *	address was found in none of them, or to scan memory that moves).
 * @out: receives the snapshot with a reference for the caller to proc_maps__put().
 *
 * A newer snapshot replaces the cached one; holders of the old one keep it.  When the read
 * fails the cached snapshot stays, the last one known of an exited process.
 * Return: 0, or an error of proc_maps__read().
 */
int proc_maps_cache__get(struct proc_maps_cache *c, int pid, __u64 max_age_ns,
			 struct proc_maps **out);

/**
 * proc_maps_cache__forget() - drop the snapshot of @pid, if cached.
 * @c: the cache, may be NULL.
 * @pid: the process.
 *
 * Call it when the process execs or exits: its snapshot no longer describes the pid, which a
 * new process may take.
 */
void proc_maps_cache__forget(struct proc_maps_cache *c, int pid);

#endif /* MT_PROCFS_H */
