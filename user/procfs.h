/* SPDX-License-Identifier: MIT */
/* Opening a process's files as that process sees them (containers, chroots, deleted files). */
#ifndef MT_PROCFS_H
#define MT_PROCFS_H

#include <stdbool.h>
#include <sys/types.h>
#include <linux/types.h>

/* A file-backed mapping, as /proc/PID/maps describes it. */
struct proc_file {
	const char *path; /* as the target sees it, " (deleted)" removed */
	__u64 start, end; /* the mapping, for /proc/PID/map_files */
	__u64 ino;
	dev_t dev;
	bool deleted;
};

/**
 * procfs__open_in_root() - open @path below the root of process @pid (@root_fd: an O_PATH fd of
 * /proc/PID/root, or -1 to open one for this call).  RESOLVE_IN_ROOT keeps absolute symlinks
 * inside that root, which a plain /proc/PID/root/path would follow into ours.
 * Return: the fd, or -1 with errno set.
 */
int procfs__open_in_root(int pid, int root_fd, const char *path);

/**
 * procfs__open_mapped() - open the file behind mapping @f of process @pid: through its root,
 * then by our path when it is the very inode mapped (a chrooted target's paths are ours), then
 * /proc/PID/map_files (deleted files; needs CAP_SYS_ADMIN or CAP_CHECKPOINT_RESTORE), and last
 * a file replaced on disk since it was mapped.  Return: the fd, or -1.
 */
int procfs__open_mapped(int pid, int root_fd, const struct proc_file *f);

/* One line of /proc/PID/maps, parsed. */
struct proc_map {
	__u64 start, end, pgoff, ino;
	dev_t dev;
	bool read, write, exec; /* the mapping's permissions */
	bool deleted;	  /* the file was deleted (" (deleted)" removed from path) */
	const char *path; /* file path, "[vdso]"-style name, or "" for anonymous memory */
	const char *line; /* the whole line without its newline, for hashing */
};

/**
 * procfs__maps() - call @cb for each mapping of process @pid, in address order, until it
 * returns non-zero.  The strings are valid during the call only.
 * Return: 0, what @cb returned, -ESRCH when the process is gone (also when it exits while being
 * read), or another -errno.
 */
int procfs__maps(int pid, int (*cb)(const struct proc_map *m, void *arg), void *arg);

#endif /* MT_PROCFS_H */
