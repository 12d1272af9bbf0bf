// SPDX-License-Identifier: MIT
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
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

int procfs__maps(int pid, int (*cb)(const struct proc_map *m, void *arg), void *arg)
{
	static const char deleted[] = " (deleted)";
	unsigned long long start, end, pgoff, ino;
	char path[64], perms[5], *line = NULL;
	unsigned int maj, min;
	size_t linecap = 0, len;
	int err = 0, pos;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? -ESRCH : -errno;
	while (!err && getline(&line, &linecap, f) > 0) {
		struct proc_map m;
		char *name;

		pos = 0;
		if (sscanf(line, "%llx-%llx %4s %llx %x:%x %llu %n", &start, &end, perms, &pgoff,
			   &maj, &min, &ino, &pos) < 7 ||
		    !pos)
			continue;
		line[strcspn(line, "\n")] = '\0';
		m = (struct proc_map){ .start = start, .end = end, .pgoff = pgoff, .ino = ino,
				       .dev = makedev(maj, min), .read = perms[0] == 'r',
				       .write = perms[1] == 'w', .exec = perms[2] == 'x', .line = line };
		/* the path is the rest of the line; split it off the line kept for hashing */
		name = strdup(line + pos);
		if (!name) {
			err = -ENOMEM;
			break;
		}
		len = strlen(name);
		if (len >= sizeof(deleted) - 1 &&
		    !strcmp(name + len - (sizeof(deleted) - 1), deleted)) {
			name[len - (sizeof(deleted) - 1)] = '\0';
			m.deleted = true;
		}
		m.path = name;
		err = cb(&m, arg);
		free(name);
	}
	/* a process exiting under us reads as ESRCH, not as an empty address space */
	if (!err && ferror(f))
		err = errno == ESRCH || errno == ENOENT ? -ESRCH : -EIO;
	fclose(f);
	free(line);
	return err;
}
