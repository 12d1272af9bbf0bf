// SPDX-License-Identifier: MIT
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "procfs.h"
#include "target.h"
#include "usdt.h"

#define PROVIDER "cmap"

static int read_small_file(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return (int)n;
}

/*
 * Does the target see our files: the same root and the same mount namespace?  Then its paths
 * are ours too; otherwise (a chroot, a container, `unshare -m`) they are read through
 * /proc/PID/root.
 */
static bool same_root(int pid)
{
	struct stat a, b, na, nb;
	char p[64], n[64];

	snprintf(p, sizeof(p), "/proc/%d/root", pid);
	snprintf(n, sizeof(n), "/proc/%d/ns/mnt", pid);
	if (stat("/proc/self/root", &a) || stat(p, &b) || a.st_dev != b.st_dev ||
	    a.st_ino != b.st_ino)
		return false;
	/* without the namespace files (no such kernel option) the root decides */
	if (stat("/proc/self/ns/mnt", &na) || stat(n, &nb))
		return true;
	return na.st_ino == nb.st_ino && na.st_dev == nb.st_dev;
}

bool target_module__has_probe(const struct target_module *m, const char *name)
{
	for (int i = 0; i < m->nsites; i++)
		if (!strcmp(m->sites[i].name, name))
			return true;
	return false;
}

void target__release(struct target *t)
{
	for (int i = 0; i < t->nmodules; i++) {
		free(t->modules[i].sites);
		t->modules[i].sites = NULL;
	}
	t->nmodules = 0;
}

bool target__alive(int pid)
{
	char path[64], buf[512], *p;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (read_small_file(path, buf, sizeof(buf)) < 0)
		return false;
	/* the state follows the last ')' of the comm field; Z and X are gone for good */
	p = strrchr(buf, ')');
	return p && p[1] == ' ' && p[2] != 'Z' && p[2] != 'X';
}

static void read_identity(struct target *t)
{
	char path[64];
	int n;

	snprintf(path, sizeof(path), "/proc/%d/comm", t->pid);
	if (read_small_file(path, t->comm, sizeof(t->comm)) > 0)
		t->comm[strcspn(t->comm, "\n")] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/cmdline", t->pid);
	n = read_small_file(path, t->cmdline, sizeof(t->cmdline));
	for (int i = 0; i < n - 1; i++)
		if (!t->cmdline[i])
			t->cmdline[i] = ' ';
}

/* A mapped object with the library's probes becomes a module of the target. */
static void add_module(struct target *t, const struct proc_map *pm)
{
	struct target_module *m;

	/* probes live in executable mappings of files still on disk */
	if (!pm->exec || pm->path[0] != '/' || pm->deleted || t->nmodules == TARGET_MAX_MODULES)
		return;
	for (int i = 0; i < t->nmodules; i++)
		if (!strcmp(t->modules[i].mapped, pm->path))
			return;
	m = &t->modules[t->nmodules];
	memset(m, 0, sizeof(*m));
	snprintf(m->mapped, sizeof(m->mapped), "%s", pm->path);
	/* t->root is "" when the target sees our files */
	snprintf(m->path, sizeof(m->path), "%s%s", t->root, pm->path);
	/* a module whose notes cannot be parsed is left out; usdt__parse said why */
	if (usdt__parse(m->path, PROVIDER, &m->sites, &m->nsites))
		return;
	if (m->nsites)
		t->nmodules++;
	else
		free(m->sites);
}

int target__inspect(struct proc_maps_cache *maps, int pid, struct target *t)
{
	struct proc_maps *snap;
	const struct proc_map *v;
	size_t n;
	int err;

	memset(t, 0, sizeof(*t));
	t->pid = pid;
	if (!same_root(pid))
		snprintf(t->root, sizeof(t->root), "/proc/%d/root", pid);
	read_identity(t);
	/* as they are now: what tracing starts from, and what later readers of the cache reuse */
	t->maps = maps;
	err = proc_maps_cache__get(maps, pid, 0, &snap);
	if (err)
		return err;
	v = proc_maps__entries(snap, &n);
	for (size_t i = 0; i < n; i++)
		add_module(t, &v[i]);
	proc_maps__put(snap);
	/* no mappings: the process exited, or it is a kernel thread */
	if (!target__alive(pid))
		err = -ESRCH;
	return err;
}

/* Field 22 of /proc/PID/stat: start time in clock ticks since boot. */
static unsigned long long start_time(int pid)
{
	char path[64], buf[1024], *p;
	unsigned long long v = 0;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (read_small_file(path, buf, sizeof(buf)) < 0)
		return 0;
	p = strrchr(buf, ')');
	/* after the comm: state is field 3, starttime field 22 */
	for (int field = 2; p && field < 22; field++)
		p = strchr(p + 1, ' ');
	if (p)
		v = strtoull(p + 1, NULL, 10);
	return v;
}

static bool matches(int pid, const char *comm, const char *exe, const char *exe_real)
{
	char path[64], buf[PATH_MAX];
	ssize_t n;

	if (comm) {
		snprintf(path, sizeof(path), "/proc/%d/comm", pid);
		if (read_small_file(path, buf, sizeof(buf)) < 0)
			return false;
		buf[strcspn(buf, "\n")] = '\0';
		return !strcmp(buf, comm);
	}
	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	n = readlink(path, buf, sizeof(buf) - 1);
	if (n < 0)
		return false;
	buf[n] = '\0';
	return !strcmp(buf, exe) || (exe_real && !strcmp(buf, exe_real));
}

int target__find(const char *comm, const char *exe, int *pid)
{
	char real[PATH_MAX], *exe_real = exe ? realpath(exe, real) : NULL;
	unsigned long long best_start = 0;
	int best = 0, self = getpid();
	struct dirent *de;
	DIR *d = opendir("/proc");

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		int p;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		p = atoi(de->d_name);
		if (p == self || !matches(p, comm, exe, exe_real) || !target__alive(p))
			continue;
		if (!best || start_time(p) >= best_start) {
			best = p;
			best_start = start_time(p);
		}
	}
	closedir(d);
	if (!best)
		return -ESRCH;
	*pid = best;
	return 0;
}
