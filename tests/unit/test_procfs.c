// SPDX-License-Identifier: MIT
/*
 * Unit test of user/procfs.c's snapshots of /proc/PID/maps and their cache, on a child process
 * whose mappings are known: six pages whose permissions split them into five mappings, a deleted
 * file mapped, a region mapped on request, and the child's exit (zombie, then reaped).
 *
 * Needs no privileges. Usage: test_procfs
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "procfs.h"
#include "util.h"
#include "../tap.h"

/* What the child tells the parent. */
struct layout {
	unsigned long base;  /* six pages: ---p, rw-p, r--p, rw-p rw-p (one mapping), ---p */
	unsigned long file;  /* one page of a file it deleted since */
	unsigned long ino;   /* that file's inode */
	unsigned long added; /* a page mapped when asked, 0 before */
};

static long page;

struct child {
	pid_t pid;
	int cmd; /* write a byte: 'm' maps one more page, 'q' exits */
	int res; /* struct layout after start and after each 'm' */
};

static void child_run(int cmd, int res, const char *tmp)
{
	struct layout l = {0};
	struct stat st;
	char *base, c;
	int fd;

	base = mmap(NULL, 6 * page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED || mprotect(base + page, 4 * page, PROT_READ | PROT_WRITE) ||
	    mprotect(base + 2 * page, page, PROT_READ))
		_exit(1);
	l.base = (unsigned long)base;
	fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || ftruncate(fd, page) || fstat(fd, &st))
		_exit(1);
	l.file = (unsigned long)mmap(NULL, page, PROT_READ, MAP_SHARED, fd, 0);
	if (l.file == (unsigned long)MAP_FAILED || unlink(tmp))
		_exit(1);
	close(fd);
	l.ino = st.st_ino;
	if (write(res, &l, sizeof(l)) != sizeof(l))
		_exit(1);
	while (read(cmd, &c, 1) == 1 && c == 'm') {
		void *p = mmap(NULL, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		l.added = p == MAP_FAILED ? 0 : (unsigned long)p;
		if (write(res, &l, sizeof(l)) != sizeof(l))
			_exit(1);
	}
	_exit(0);
}

static int child_start(struct child *ch, const char *tmp, struct layout *l)
{
	int cmd[2], res[2];

	if (pipe(cmd) || pipe(res))
		return -errno;
	ch->pid = fork();
	if (ch->pid < 0)
		return -errno;
	if (!ch->pid) {
		close(cmd[1]);
		close(res[0]);
		child_run(cmd[0], res[1], tmp);
	}
	close(cmd[0]);
	close(res[1]);
	ch->cmd = cmd[1];
	ch->res = res[0];
	return read(ch->res, l, sizeof(*l)) == sizeof(*l) ? 0 : -EIO;
}

static int child_cmd(struct child *ch, char c, struct layout *l)
{
	if (write(ch->cmd, &c, 1) != 1)
		return -EIO;
	return c == 'q' || read(ch->res, l, sizeof(*l)) == sizeof(*l) ? 0 : -EIO;
}

/* Lines of /proc/PID/maps read with stdio: how many mappings the snapshot should have. */
static int count_lines(pid_t pid)
{
	char path[64], *line = NULL;
	size_t cap = 0;
	int n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (getline(&line, &cap, f) > 0)
		n++;
	free(line);
	fclose(f);
	return n;
}

/* Is @m the mapping [start, end) with these read/write permissions? */
static bool is_map(const struct proc_map *m, unsigned long start, unsigned long end, bool r, bool w)
{
	return m && m->start == start && m->end == end && m->read == r && m->write == w &&
	       !m->exec && !m->path[0];
}

static void test_snapshot(const struct child *ch, const struct layout *l, struct proc_maps *pm)
{
	unsigned long b = l->base, p = (unsigned long)page;
	const struct proc_map *v, *m;
	bool sorted = true;
	char want[64];
	size_t n;

	v = proc_maps__entries(pm, &n);
	for (size_t i = 1; i < n; i++)
		sorted = sorted && v[i - 1].end <= v[i].start && v[i].start < v[i].end;
	check(v && (int)n == count_lines(ch->pid) && sorted,
	      "snapshot: one entry per line of /proc/PID/maps (%zu), in address order", n);

	/* the edges: a mapping's last byte is its own, its end the next one's first */
	check(is_map(proc_maps__find(pm, b), b, b + p, false, false) &&
		      is_map(proc_maps__find(pm, b + p - 1), b, b + p, false, false),
	      "find: the guard page's first and last byte");
	check(is_map(proc_maps__find(pm, b + p), b + p, b + 2 * p, true, true),
	      "find: the byte at a mapping's end is the next mapping's first");
	check(is_map(proc_maps__find(pm, b + 2 * p), b + 2 * p, b + 3 * p, true, false) &&
		      is_map(proc_maps__find(pm, b + 3 * p - 1), b + 2 * p, b + 3 * p, true, false),
	      "find: a read-only page between writable ones is a mapping of its own");
	check(is_map(proc_maps__find(pm, b + 5 * p - 1), b + 3 * p, b + 5 * p, true, true),
	      "find: two pages of one mapping, its last byte");
	check(is_map(proc_maps__find(pm, b + 5 * p), b + 5 * p, b + 6 * p, false, false),
	      "find: the guard page above");
	check(!proc_maps__find(pm, 0) && !proc_maps__find(pm, ~0UL),
	      "find: address 0 and the top of the address space are in no mapping");

	m = proc_maps__find(pm, l->file + 10);
	snprintf(want, sizeof(want), "%lx-%lx ", l->file, l->file + p);
	check(m && m->deleted && m->ino == l->ino && m->path[0] == '/' &&
		      !strstr(m->path, "(deleted)") && strstr(m->line, " (deleted)") &&
		      !strncmp(m->line, want, strlen(want)),
	      "find: a deleted file: its path without \" (deleted)\", its line with it (%s)",
	      m ? m->line : "none");
}

static void test_cache(struct child *ch, struct layout *l)
{
	struct proc_maps_cache *c = proc_maps_cache__new();
	struct proc_maps *a = NULL, *b = NULL, *x = NULL, *y = NULL;
	int err;

	if (!check(c != NULL, "cache: proc_maps_cache__new"))
		return;
	err = proc_maps_cache__get(c, ch->pid, PROC_MAPS_ANY_AGE, &a)
		      ?: proc_maps_cache__get(c, ch->pid, PROC_MAPS_ANY_AGE, &b);
	check(!err && a && a == b, "cache: a second reader of any age shares the first snapshot");
	proc_maps__put(b);
	err = proc_maps_cache__get(c, ch->pid, 60ULL * 1000000000, &b);
	check(!err && b == a, "cache: one read a moment ago is younger than a minute: shared");
	proc_maps__put(b);

	/* the child maps a page: only a reader that asks for the mappings as they are sees it */
	err = child_cmd(ch, 'm', l);
	check(!err && l->added, "cache: the child mapped a page at %#lx", l->added);
	err = proc_maps_cache__get(c, ch->pid, PROC_MAPS_ANY_AGE, &b);
	check(!err && b == a && !proc_maps__find(b, l->added),
	      "cache: any age still gets the old snapshot, without the new page");
	proc_maps__put(b);
	err = proc_maps_cache__get(c, ch->pid, 0, &b);
	check(!err && b != a && proc_maps__find(b, l->added) && !proc_maps__find(a, l->added),
	      "cache: age 0 reads again and finds the page; the old snapshot, still held, does "
	      "not change");
	err = proc_maps_cache__get(c, ch->pid, PROC_MAPS_ANY_AGE, &x);
	check(!err && x == b, "cache: the newer snapshot replaced the old one for later readers");
	proc_maps__put(x);

	err = proc_maps_cache__get(NULL, ch->pid, PROC_MAPS_ANY_AGE, &x)
		      ?: proc_maps_cache__get(NULL, ch->pid, PROC_MAPS_ANY_AGE, &y);
	check(!err && x && y && x != y && x != b && proc_maps__find(x, l->added),
	      "cache: without a cache every get reads its own snapshot");
	proc_maps__put(x);
	proc_maps__put(y);

	proc_maps_cache__forget(c, ch->pid);
	err = proc_maps_cache__get(c, ch->pid, PROC_MAPS_ANY_AGE, &x);
	check(!err && x != b, "cache: after forget the process is read again");
	proc_maps__put(x);

	/* the child exits: first a zombie, then reaped */
	child_cmd(ch, 'q', l);
	for (int i = 0; i < 500; i++) {
		char path[64], st[256] = "", *s;
		int fd;

		snprintf(path, sizeof(path), "/proc/%d/stat", ch->pid);
		fd = open(path, O_RDONLY);
		if (fd >= 0 && read(fd, st, sizeof(st) - 1) < 0)
			st[0] = '\0';
		if (fd >= 0)
			close(fd);
		s = strrchr(st, ')');
		if (s && s[1] == ' ' && s[2] == 'Z')
			break;
		usleep(10000);
	}
	x = NULL;
	err = proc_maps__read(ch->pid, &x);
	check(!err && x && !proc_maps__entries(x, &(size_t){0}),
	      "exited: a zombie has no mappings (got %d)", err);
	proc_maps__put(x);
	waitpid(ch->pid, NULL, 0);
	x = (struct proc_maps *)1;
	err = proc_maps__read(ch->pid, &x);
	check(err == -ESRCH && !x, "exited: once reaped, reading gives -ESRCH (got %d)", err);
	err = proc_maps_cache__get(c, ch->pid, 0, &x);
	check(err == -ESRCH, "exited: the cache asked for now gives -ESRCH too (got %d)", err);
	err = proc_maps_cache__get(c, ch->pid, PROC_MAPS_ANY_AGE, &x);
	check(!err && proc_maps__find(x, l->base + 1),
	      "exited: the cache still has the last snapshot read (got %d)", err);
	proc_maps__put(x);
	check(is_map(proc_maps__find(a, l->base + page), l->base + page, l->base + 2 * page, true,
		     true),
	      "exited: a snapshot held since still answers");
	proc_maps_cache__forget(c, ch->pid);
	err = proc_maps_cache__get(c, ch->pid, PROC_MAPS_ANY_AGE, &x);
	check(err == -ESRCH, "exited: forgotten, the pid is gone (got %d)", err);
	proc_maps__put(a);
	proc_maps__put(b);
	proc_maps_cache__free(c);
}

static int count_cb(const struct proc_map *m, void *arg)
{
	(void)m;
	return ++*(int *)arg == 3 ? 7 : 0;
}

int main(void)
{
	char tmp[] = "/tmp/procfstest.XXXXXX";
	struct proc_maps *pm = NULL;
	struct layout l;
	struct child ch;
	int fd, err, n = 0;
	__u64 t0;

	page = sysconf(_SC_PAGESIZE);
	fd = mkstemp(tmp);
	if (fd >= 0)
		close(fd);
	err = fd < 0 ? -errno : child_start(&ch, tmp, &l);
	if (!check(!err, "a child maps what the test expects (%d)", err))
		return tap_exit();

	t0 = clock_ns(CLOCK_MONOTONIC);
	err = proc_maps__read(ch.pid, &pm);
	check(!err && proc_maps__read_ns(pm) >= t0 &&
		      proc_maps__read_ns(pm) <= clock_ns(CLOCK_MONOTONIC),
	      "proc_maps__read of the child, read while called (%d)", err);
	if (!err)
		test_snapshot(&ch, &l, pm);
	proc_maps__put(pm);
	err = procfs__maps(ch.pid, count_cb, &n);
	check(err == 7 && n == 3, "procfs__maps stops at the callback's 7 (got %d after %d)", err,
	      n);
	test_cache(&ch, &l);

	err = proc_maps__read(0x7fffffff, &pm);
	check(err == -ESRCH, "a pid that never was gives -ESRCH (got %d)", err);
	check(!proc_maps__find(NULL, 1) && !proc_maps__entries(NULL, &(size_t){1}),
	      "NULL snapshots hold nothing");
	proc_maps__put(NULL);
	proc_maps_cache__forget(NULL, 1);
	proc_maps_cache__free(NULL);
	return tap_exit();
}
