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
#include "util.h"

#define CACHE_BUCKETS 64
#define DELETED	      " (deleted)"

struct proc_maps {
	int refs;
	__u64 read_ns; /* CLOCK_MONOTONIC when the read began: changes before it are in */
	struct proc_map *v;
	size_t n;
	char *text;  /* the file, each line NUL-terminated: what proc_map.line points to */
	char *paths; /* what proc_map.path points to: " (deleted)" must go, the line keeps it */
};

struct cached {
	struct cached *next;
	int pid;
	struct proc_maps *pm;
};

struct proc_maps_cache {
	struct cached *buckets[CACHE_BUCKETS];
};

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

int procfs__open_mapped(int pid, int root_fd, const struct proc_map *m)
{
	char path[64];
	struct stat st;
	int fd = -1, stale = -1;

	if (!m->deleted) {
		fd = procfs__open_in_root(pid, root_fd, m->path);
		if (fd >= 0 && m->ino && (fstat(fd, &st) != 0 || st.st_ino != m->ino)) {
			/* replaced on disk since it was mapped: a last resort only */
			stale = fd;
			fd = -1;
		}
	}
	if (fd < 0 && !m->deleted) {
		/* a chrooted target's maps show our paths: take only the very inode mapped */
		fd = open(m->path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0 &&
		    (fstat(fd, &st) != 0 || st.st_ino != m->ino || st.st_dev != m->dev)) {
			close(fd);
			fd = -1;
		}
	}
	if (fd < 0) {
		snprintf(path, sizeof(path), "/proc/%d/map_files/%llx-%llx", pid,
			 (unsigned long long)m->start, (unsigned long long)m->end);
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

/* ---- snapshots ------------------------------------------------------------------------------ */

/* The whole file, NUL-terminated.  The kernel hands it out a page or so per read. */
static int read_all(int fd, char **out, size_t *len_out)
{
	size_t len = 0, cap = 0;
	char *buf = NULL, *p;
	ssize_t got;

	for (;;) {
		if (cap - len < 4096 + 1) {
			cap = cap ? 2 * cap : 16384;
			p = realloc(buf, cap);
			if (!p) {
				free(buf);
				return -ENOMEM;
			}
			buf = p;
		}
		got = read(fd, buf + len, cap - len - 1);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			/* a process exiting under us reads as ESRCH, not as no mappings */
			int err = errno == ESRCH || errno == ENOENT ? -ESRCH : -errno;

			free(buf);
			return err;
		}
		if (!got)
			break;
		len += (size_t)got;
	}
	buf[len] = '\0';
	*out = buf;
	*len_out = len;
	return 0;
}

/* Split pm->text into lines and parse each; lines of another format are skipped. */
static int parse_maps(struct proc_maps *pm)
{
	const size_t dlen = sizeof(DELETED) - 1;
	char *line, *next, *path = pm->paths;
	size_t cap = 0;

	for (line = pm->text; *line; line = next) {
		unsigned long long start, end, pgoff, ino;
		unsigned int maj, min;
		struct proc_map *m;
		char perms[5];
		size_t plen;
		int pos = 0;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		else
			next = line + strlen(line);
		if (sscanf(line, "%llx-%llx %4s %llx %x:%x %llu %n", &start, &end, perms, &pgoff,
			   &maj, &min, &ino, &pos) < 7 ||
		    !pos)
			continue;
		if (GROW(pm->v, pm->n, cap, 64))
			return -ENOMEM;
		m = &pm->v[pm->n++];
		*m = (struct proc_map){
			.start = start,
			.end = end,
			.pgoff = pgoff,
			.ino = ino,
			.dev = makedev(maj, min),
			.read = perms[0] == 'r',
			.write = perms[1] == 'w',
			.exec = perms[2] == 'x',
			.line = line,
			.path = path,
		};
		/* the path is the rest of the line */
		plen = strlen(line + pos);
		memcpy(path, line + pos, plen + 1);
		if (plen >= dlen && !strcmp(path + plen - dlen, DELETED)) {
			path[plen - dlen] = '\0';
			m->deleted = true;
		}
		path += plen + 1;
	}
	return 0;
}

int proc_maps__read(int pid, struct proc_maps **out)
{
	struct proc_maps *pm;
	size_t len = 0;
	char path[64];
	int fd, err;

	*out = NULL;
	pm = calloc(1, sizeof(*pm));
	if (!pm)
		return -ENOMEM;
	pm->refs = 1;
	pm->read_ns = clock_ns(CLOCK_MONOTONIC);
	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = errno == ENOENT ? -ESRCH : -errno;
		goto cleanup;
	}
	err = read_all(fd, &pm->text, &len);
	close(fd);
	if (err)
		goto cleanup;
	/* each line's path is no longer than the line */
	pm->paths = malloc(len + 1);
	if (!pm->paths) {
		err = -ENOMEM;
		goto cleanup;
	}
	err = parse_maps(pm);
	if (err)
		goto cleanup;
	*out = pm;
	pm = NULL;
cleanup:
	proc_maps__put(pm);
	return err;
}

struct proc_maps *proc_maps__get(struct proc_maps *pm)
{
	if (pm)
		pm->refs++;
	return pm;
}

void proc_maps__put(struct proc_maps *pm)
{
	if (!pm || --pm->refs > 0)
		return;
	free(pm->v);
	free(pm->text);
	free(pm->paths);
	free(pm);
}

const struct proc_map *proc_maps__entries(const struct proc_maps *pm, size_t *n)
{
	*n = pm ? pm->n : 0;
	return pm && pm->n ? pm->v : NULL;
}

const struct proc_map *proc_maps__find(const struct proc_maps *pm, __u64 addr)
{
	size_t lo = 0, hi = pm ? pm->n : 0, i;

	while (lo < hi) {
		i = lo + (hi - lo) / 2;
		if (addr < pm->v[i].start)
			hi = i;
		else if (addr >= pm->v[i].end) /* end is exclusive: it is the next mapping's byte */
			lo = i + 1;
		else
			return &pm->v[i];
	}
	return NULL;
}

__u64 proc_maps__read_ns(const struct proc_maps *pm)
{
	return pm ? pm->read_ns : 0;
}

int procfs__maps(int pid, int (*cb)(const struct proc_map *m, void *arg), void *arg)
{
	struct proc_maps *pm;
	int err = proc_maps__read(pid, &pm);

	for (size_t i = 0; !err && i < pm->n; i++)
		err = cb(&pm->v[i], arg);
	proc_maps__put(pm);
	return err;
}

/* ---- the cache ------------------------------------------------------------------------------- */

struct proc_maps_cache *proc_maps_cache__new(void)
{
	return calloc(1, sizeof(struct proc_maps_cache));
}

void proc_maps_cache__free(struct proc_maps_cache *c)
{
	struct cached *e;

	if (!c)
		return;
	for (int b = 0; b < CACHE_BUCKETS; b++) {
		while ((e = c->buckets[b])) {
			c->buckets[b] = e->next;
			proc_maps__put(e->pm);
			free(e);
		}
	}
	free(c);
}

/* Where @pid's entry is, or would be linked. */
static struct cached **cache_slot(struct proc_maps_cache *c, int pid)
{
	struct cached **pp = &c->buckets[(unsigned int)pid % CACHE_BUCKETS];

	while (*pp && (*pp)->pid != pid)
		pp = &(*pp)->next;
	return pp;
}

int proc_maps_cache__get(struct proc_maps_cache *c, int pid, __u64 max_age_ns,
			 struct proc_maps **out)
{
	struct cached **slot, *e;
	struct proc_maps *pm;
	int err;

	if (!c)
		return proc_maps__read(pid, out);
	slot = cache_slot(c, pid);
	if (*slot && clock_ns(CLOCK_MONOTONIC) - (*slot)->pm->read_ns < max_age_ns) {
		*out = proc_maps__get((*slot)->pm);
		return 0;
	}
	err = proc_maps__read(pid, &pm);
	if (err)
		return err;
	if (!*slot) {
		e = calloc(1, sizeof(*e));
		if (!e) {
			/* still the snapshot asked for, only not kept for the next reader */
			*out = pm;
			return 0;
		}
		e->pid = pid;
		*slot = e;
	} else {
		proc_maps__put((*slot)->pm);
	}
	(*slot)->pm = proc_maps__get(pm);
	*out = pm;
	return 0;
}

void proc_maps_cache__forget(struct proc_maps_cache *c, int pid)
{
	struct cached **slot, *e;

	if (!c)
		return;
	slot = cache_slot(c, pid);
	e = *slot;
	if (!e)
		return;
	*slot = e->next;
	proc_maps__put(e->pm);
	free(e);
}
