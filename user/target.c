// SPDX-License-Identifier: MIT
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "procfs.h"
#include "target.h"
#include "usdt.h"
#include "util.h"

#define PROVIDER "cmap"
#define PF_KTHREAD 0x00200000 /* include/linux/sched.h: the task is a kernel thread */

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

/* The fields of /proc/PID/stat maptrace reads, numbered as in proc(5). */
struct stat_fields {
	char state;		       /* 3 */
	unsigned long flags;	       /* 9: PF_* */
	unsigned long long start_time; /* 22: clock ticks since boot */
};

static int read_stat(int pid, struct stat_fields *f)
{
	char path[64], buf[1024], *p, *save;
	int n, field = 3;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	n = read_small_file(path, buf, sizeof(buf));
	if (n < 0)
		return n == -ENOENT ? -ESRCH : n;
	/* the comm (field 2) may hold spaces and parentheses: the others follow its last ')' */
	p = strrchr(buf, ')');
	if (!p)
		return -EIO;
	for (p = strtok_r(p + 1, " ", &save); p; p = strtok_r(NULL, " ", &save), field++) {
		if (field == 3) {
			f->state = p[0];
		} else if (field == 9) {
			f->flags = strtoul(p, NULL, 10);
		} else if (field == 22) {
			f->start_time = strtoull(p, NULL, 10);
			return 0;
		}
	}
	return -EIO;
}

/* pidfd_open(2) by its number: glibc has had a wrapper only since 2.36. */
static int open_pidfd(int pid)
{
#ifdef SYS_pidfd_open
	return (int)syscall(SYS_pidfd_open, pid, 0);
#else
	errno = ENOSYS;
	return -1;
#endif
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
	if (t->pidfd >= 0)
		close(t->pidfd);
	t->pidfd = -1;
}

bool target__alive(int pid)
{
	struct stat_fields f;

	/* Z and X are gone for good */
	return !read_stat(pid, &f) && f.state != 'Z' && f.state != 'X';
}

bool target__running(const struct target *t)
{
	struct pollfd p = { .fd = t->pidfd, .events = POLLIN };
	struct stat_fields f;
	int n;

	if (t->pidfd >= 0) {
		/* readable once the whole process has exited; the PID's next owner has another */
		n = poll(&p, 1, 0);
		if (n >= 0)
			return n == 0;
	}
	/* a process that took the PID over started later */
	return !read_stat(t->pid, &f) && f.state != 'Z' && f.state != 'X' &&
	       f.start_time == t->start_time;
}

int target__identify(int pid, struct target_id *id)
{
	char path[64], buf[2048], *p;
	struct stat_fields f;
	int err, n;

	memset(id, 0, sizeof(*id));
	err = read_stat(pid, &f);
	if (err)
		return err;
	id->kthread = f.flags & PF_KTHREAD;
	id->start_time = f.start_time;
	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	if (read_small_file(path, id->comm, sizeof(id->comm)) > 0)
		id->comm[strcspn(id->comm, "\n")] = '\0';
	/* a thread's id has its /proc directory too (unlisted); its Tgid is the process */
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	n = read_small_file(path, buf, sizeof(buf));
	if (n < 0)
		return n == -ENOENT ? -ESRCH : n;
	p = strstr(buf, "\nTgid:");
	id->tgid = p ? (int)strtol(p + 6, NULL, 10) : pid;
	return 0;
}

/* The command line of @pid, its arguments joined by spaces ("" when it has none). */
static void read_cmdline(int pid, char *buf, size_t len)
{
	char path[64];
	int n;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
	n = read_small_file(path, buf, len);
	if (n < 0)
		buf[0] = '\0';
	for (int i = 0; i < n - 1; i++)
		if (!buf[i])
			buf[i] = ' ';
}

static void read_identity(struct target *t)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/comm", t->pid);
	if (read_small_file(path, t->comm, sizeof(t->comm)) > 0)
		t->comm[strcspn(t->comm, "\n")] = '\0';
	read_cmdline(t->pid, t->cmdline, sizeof(t->cmdline));
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
	struct target_id id;
	struct proc_maps *snap;
	const struct proc_map *v;
	size_t n;
	int err;

	memset(t, 0, sizeof(*t));
	t->pid = pid;
	/*
	 * The handle first, then what it names: all read below is of this very process if it
	 * still runs at the end, whoever takes its PID in between.  Without pidfds (ENOSYS, a
	 * seccomp filter) the start time identifies it.
	 */
	t->pidfd = open_pidfd(pid);
	if (t->pidfd < 0 && errno == ESRCH)
		return -ESRCH;
	err = target__identify(pid, &id);
	if (err)
		return err;
	if (id.kthread || id.tgid != pid)
		return -EINVAL;
	t->start_time = id.start_time;
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
	/* no mappings: the process exited */
	if (!target__running(t))
		err = -ESRCH;
	return err;
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

/* Newest first: the latest start, then (started in the same tick) the highest PID. */
static int newest_first(const void *a, const void *b)
{
	const struct target_match *x = a, *y = b;

	if (x->start_time != y->start_time)
		return x->start_time < y->start_time ? 1 : -1;
	return (x->pid < y->pid) - (x->pid > y->pid);
}

int target__find(const char *comm, const char *exe, struct target_list *out)
{
	char real[PATH_MAX], *exe_real = exe ? realpath(exe, real) : NULL;
	/* start times count from boot on CLOCK_BOOTTIME, which goes on in suspend */
	__u64 boot_ms = (clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_BOOTTIME)) / 1000000;
	long hz = sysconf(_SC_CLK_TCK);
	int self = getpid(), cap = 0, err = 0;
	struct dirent *de;
	DIR *d;

	memset(out, 0, sizeof(*out));
	d = opendir("/proc");
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		struct target_match *m;
		struct target_id id;
		int p;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		p = atoi(de->d_name);
		if (p == self || !matches(p, comm, exe, exe_real) || !target__alive(p) ||
		    target__identify(p, &id))
			continue;
		if (id.kthread) {
			out->kthreads++;
			continue;
		}
		err = GROW(out->procs, out->n, cap, 4);
		if (err)
			break;
		m = &out->procs[out->n++];
		m->pid = p;
		m->start_time = id.start_time;
		m->start_wall_ms = boot_ms + id.start_time * 1000 / (hz > 0 ? hz : 100);
		read_cmdline(p, m->cmdline, sizeof(m->cmdline));
	}
	closedir(d);
	if (out->n > 1)
		qsort(out->procs, out->n, sizeof(*out->procs), newest_first);
	return err;
}

void target_list__free(struct target_list *l)
{
	free(l->procs);
	memset(l, 0, sizeof(*l));
}
