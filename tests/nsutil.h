/* SPDX-License-Identifier: MIT */
/*
 * Helpers of the tests that put a fixture "in a container": a private mount namespace where a
 * directory is hidden behind a tmpfs, so its files are reachable only through /proc/PID/root.
 */
#ifndef TESTS_NSUTIL_H
#define TESTS_NSUTIL_H

#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

static __attribute__((unused)) int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY), ok;

	if (fd < 0)
		return -1;
	ok = write(fd, text, strlen(text)) == (ssize_t)strlen(text);
	close(fd);
	return ok ? 0 : -1;
}

static __attribute__((unused)) int copy_file(const char *from, const char *to)
{
	int in = open(from, O_RDONLY), out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0755), err = 0;
	char buf[65536];
	ssize_t n;

	if (in < 0 || out < 0)
		err = -1;
	while (!err && (n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			err = -1;
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	return err;
}

/*
 * In the fixture's child: hide dir behind a tmpfs in a private mount namespace, as a container
 * would, so that what is copied there is reachable only through /proc/PID/root.
 */
static __attribute__((unused)) int enter_private_dir(const char *dir)
{
	char map[64];
	uid_t uid = getuid();
	gid_t gid = getgid();

	if (unshare(CLONE_NEWNS) != 0) {
		/* unprivileged: a user namespace grants the right to mount */
		if (unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0)
			return -1;
		snprintf(map, sizeof(map), "0 %u 1", (unsigned int)uid);
		if (write_file("/proc/self/setgroups", "deny") ||
		    write_file("/proc/self/uid_map", map))
			return -1;
		snprintf(map, sizeof(map), "0 %u 1", (unsigned int)gid);
		if (write_file("/proc/self/gid_map", map))
			return -1;
	}
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
	    mount("tmpfs", dir, "tmpfs", 0, "mode=0755") != 0)
		return -1;
	return 0;
}

#endif /* TESTS_NSUTIL_H */
