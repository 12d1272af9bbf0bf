// SPDX-License-Identifier: MIT
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/openat2.h>
#include "procfs.h"

int procfs__open_in_root(int pid, int root_fd, const char *path)
{
	struct open_how how = {
		.flags = O_RDONLY | O_CLOEXEC,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	char buf[PATH_MAX];
	int fd, own = -1, saved;

	if (root_fd < 0) {
		snprintf(buf, sizeof(buf), "/proc/%d/root", pid);
		own = root_fd = open(buf, O_PATH | O_CLOEXEC);
		if (root_fd < 0)
			return -1;
	}
	fd = (int)syscall(SYS_openat2, root_fd, path, &how, sizeof(how));
	/* before Linux 5.6: still relative to the target's root, symlinks aside */
	if (fd < 0 && errno == ENOSYS)
		fd = openat(root_fd, path[0] == '/' ? path + 1 : path, O_RDONLY | O_CLOEXEC);
	saved = errno;
	if (own >= 0)
		close(own);
	errno = saved;
	return fd;
}

int procfs__open_mapped(int pid, int root_fd, const struct proc_file *f)
{
	char path[64];
	struct stat st;
	int fd = -1, stale = -1;

	if (!f->deleted) {
		fd = procfs__open_in_root(pid, root_fd, f->path);
		if (fd >= 0 && f->ino && (fstat(fd, &st) != 0 || st.st_ino != f->ino)) {
			/* replaced on disk since it was mapped: a last resort only */
			stale = fd;
			fd = -1;
		}
	}
	if (fd < 0 && !f->deleted) {
		/* a chrooted target's maps show our paths: take only the very inode mapped */
		fd = open(f->path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0 &&
		    (fstat(fd, &st) != 0 || st.st_ino != f->ino || st.st_dev != f->dev)) {
			close(fd);
			fd = -1;
		}
	}
	if (fd < 0) {
		snprintf(path, sizeof(path), "/proc/%d/map_files/%llx-%llx", pid,
			 (unsigned long long)f->start, (unsigned long long)f->end);
		fd = open(path, O_RDONLY | O_CLOEXEC);
	}
	if (fd < 0) {
		fd = stale;
		stale = -1;
	}
	if (stale >= 0)
		close(stale);
	return fd;
}
