// SPDX-License-Identifier: MIT
/*
 * Input files: regular files only, opened without waiting, read within a bound.  See readfile.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <linux/magic.h>
#include "readfile.h"
#include "util.h"

/* What a file that is not a regular one is, for "not a regular file (a FIFO)". */
static const char *kind_name(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFDIR:
		return "a directory";
	case S_IFIFO:
		return "a FIFO";
	case S_IFSOCK:
		return "a socket";
	case S_IFCHR:
		return "a character device";
	case S_IFBLK:
		return "a block device";
	default:
		return "of an unknown kind";
	}
}

/*
 * File systems whose regular files the kernel makes as they are read: they say they have 0
 * bytes (or a made-up size, /proc/kcore), may never end, and a read may consume or change
 * something (tracefs's trace_pipe).
 */
static const char *pseudo_fs_name(int fd)
{
	static const struct {
		__u32 magic;
		const char *name;
	} pseudo[] = {
		{PROC_SUPER_MAGIC, "/proc"},	  {SYSFS_MAGIC, "/sys"},
		{DEBUGFS_MAGIC, "debugfs"},	  {TRACEFS_MAGIC, "tracefs"},
		{CGROUP_SUPER_MAGIC, "cgroup"},	  {CGROUP2_SUPER_MAGIC, "cgroup"},
		{SECURITYFS_MAGIC, "securityfs"}, {EFIVARFS_MAGIC, "efivarfs"},
		{BPF_FS_MAGIC, "bpffs"},
	};
	struct statfs sfs;

	if (fstatfs(fd, &sfs))
		return NULL;
	for (size_t i = 0; i < ARRAY_SIZE(pseudo); i++)
		if ((__u32)sfs.f_type == pseudo[i].magic)
			return pseudo[i].name;
	return NULL;
}

/* 0 when @st is a regular file's, else -EISDIR or -EINVAL with @why set. */
static int check_kind(const struct stat *st, char *why, size_t whylen)
{
	if (S_ISREG(st->st_mode))
		return 0;
	snprintf(why, whylen, "not a regular file (%s)", kind_name(st->st_mode));
	return S_ISDIR(st->st_mode) ? -EISDIR : -EINVAL;
}

int readfile__open(const char *path, __u64 *size, char *why, size_t whylen)
{
	const char *fs;
	struct stat st;
	int fd, err;

	if (stat(path, &st)) {
		err = -errno;
		snprintf(why, whylen, "%s", strerror(-err));
		return err;
	}
	err = check_kind(&st, why, whylen);
	if (err)
		return err;
	fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		snprintf(why, whylen, "%s", strerror(-err));
		return err;
	}
	if (fstat(fd, &st)) {
		err = -errno;
		snprintf(why, whylen, "%s", strerror(-err));
		goto cleanup;
	}
	err = check_kind(&st, why, whylen);
	if (err)
		goto cleanup;
	fs = pseudo_fs_name(fd);
	if (fs) {
		snprintf(why, whylen, "a %s file, made by the kernel as it is read", fs);
		err = -EINVAL;
		goto cleanup;
	}
	/* O_NONBLOCK was for the open alone: reads of a regular file wait for the disk */
	if (fcntl(fd, F_SETFL, 0)) {
		err = -errno;
		snprintf(why, whylen, "%s", strerror(-err));
		goto cleanup;
	}
	*size = (__u64)st.st_size;
	return fd;
cleanup:
	close(fd);
	return err;
}

int readfile__all(const char *path, size_t max, char **out, size_t *len, char *why, size_t whylen)
{
	size_t n = 0, cap;
	char *buf = NULL;
	__u64 size;
	int fd, err = 0;

	*out = NULL;
	*len = 0;
	fd = readfile__open(path, &size, why, whylen);
	if (fd < 0)
		return fd;
	if (size > max) {
		snprintf(why, whylen, "too large (%llu bytes)", (unsigned long long)size);
		err = -EFBIG;
		goto cleanup;
	}
	/* room for one byte more than the size said, to see a file that grew, and the NUL */
	cap = (size_t)size + 2;
	buf = malloc(cap);
	if (!buf) {
		err = -ENOMEM;
		snprintf(why, whylen, "%s", strerror(-err));
		goto cleanup;
	}
	for (;;) {
		ssize_t k;

		if (n == cap - 1) {
			size_t ncap = cap > max / 2 ? max + 2 : 2 * cap;
			char *b;

			if (n > max) {
				snprintf(why, whylen, "too large (more than %zu bytes)", max);
				err = -EFBIG;
				goto cleanup;
			}
			b = realloc(buf, ncap);
			if (!b) {
				err = -ENOMEM;
				snprintf(why, whylen, "%s", strerror(-err));
				goto cleanup;
			}
			buf = b;
			cap = ncap;
		}
		k = read(fd, buf + n, cap - 1 - n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			err = -errno;
			snprintf(why, whylen, "%s", strerror(-err));
			goto cleanup;
		}
		if (!k)
			break;
		n += (size_t)k;
	}
	if (!n) {
		snprintf(why, whylen, "empty (0 bytes)");
		err = -ENODATA;
		goto cleanup;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	buf = NULL;
cleanup:
	free(buf);
	close(fd);
	return err;
}
