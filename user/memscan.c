// SPDX-License-Identifier: MIT
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "memscan.h"
#include "procfs.h"
#include "util.h"

#define CHUNK (1u << 20)
#define PAGE  4096u

enum region_class {
	REGION_FILE, /* a file's writable data: where static locks live */
	REGION_ANON, /* the heap and other anonymous memory */
	REGION_NCLASSES,
};

struct region {
	__u64 start, end;
	enum region_class cls;
};

struct regions {
	struct region *v;
	int n, cap;
};

/* The writable data mappings of @maps worth searching, by class. */
static int collect(const struct proc_maps *maps, struct regions *rs)
{
	const struct proc_map *v;
	size_t n;

	v = proc_maps__entries(maps, &n);
	for (size_t i = 0; i < n; i++) {
		const struct proc_map *pm = &v[i], *prev = i ? &v[i - 1] : NULL;
		/* ---p right below: a guard page */
		bool guarded = prev && prev->end == pm->start && !prev->read && !prev->write &&
			       !prev->exec;
		bool anon = !pm->path[0] || !strcmp(pm->path, "[heap]");

		/* [stack], [vvar], [vsyscall] and the like are not data; a guarded anonymous
		 * mapping is a thread's stack (glibc maps the guard right below it) */
		if (!pm->read || !pm->write || (!anon && pm->path[0] != '/') || (anon && guarded))
			continue;
		if (GROW(rs->v, rs->n, rs->cap, 64))
			return -ENOMEM;
		rs->v[rs->n++] =
			(struct region){pm->start, pm->end, anon ? REGION_ANON : REGION_FILE};
	}
	return 0;
}

/* Count the words of [start, end) in [lo, hi]; the first found goes to *at. */
static int scan_region(int fd, __u64 *buf, __u64 start, __u64 end, __u64 lo, __u64 hi,
		       __u64 *budget, __u64 *at)
{
	int found = 0;

	for (__u64 a = start; a < end && *budget && found < 2;) {
		size_t want = end - a < CHUNK ? end - a : CHUNK;
		ssize_t got;

		if (want > *budget)
			want = *budget;
		got = pread(fd, buf, want, (off_t)a);
		if (got <= 0) {
			/* an unreadable page (a hole in a file mapping past its end): skip it */
			a = (a + PAGE) & ~(__u64)(PAGE - 1);
			continue;
		}
		*budget -= (__u64)got;
		for (size_t i = 0; i < (size_t)got / 8; i++) {
			if (buf[i] < lo || buf[i] > hi)
				continue;
			if (!found++)
				*at = a + i * 8;
		}
		a += (__u64)got & ~7ULL;
		if (got < 8)
			a += 8;
	}
	return found;
}

int memscan__find_pointer(struct proc_maps_cache *maps, int pid, __u64 lo, __u64 hi, __u64 budget,
			  __u64 *at)
{
	struct proc_maps *snap = NULL;
	struct regions rs = {0};
	char path[64];
	__u64 *buf = NULL;
	int fd, err = 0;

	snprintf(path, sizeof(path), "/proc/%d/mem", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* as they are now: the heap grows, and a snapshot's cost is nothing next to the scan */
	err = proc_maps_cache__get(maps, pid, 0, &snap);
	if (!err)
		err = collect(snap, &rs);
	proc_maps__put(snap);
	buf = malloc(CHUNK);
	if (!err && !buf)
		err = -ENOMEM;
	for (int cls = 0; !err && cls < REGION_NCLASSES && budget; cls++) {
		int found = 0;

		for (int i = 0; i < rs.n && found < 2 && budget; i++) {
			if (rs.v[i].cls == (enum region_class)cls)
				found += scan_region(fd, buf, rs.v[i].start, rs.v[i].end, lo, hi,
						     &budget, found ? &(__u64){0} : at);
		}
		if (found) {
			/* several pointers, or one found before the budget cut the search: unsure
			 */
			err = found == 1 && budget ? 1 : 0;
			break;
		}
	}
	free(buf);
	free(rs.v);
	close(fd);
	return err;
}
