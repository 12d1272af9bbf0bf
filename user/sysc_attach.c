// SPDX-License-Identifier: MIT
/*
 * The target's syscall sites, attached.  See sysc_attach.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elfsym.h"
#include "procfs.h"
#include "sysc.h"
#include "sysc_attach.h"
#include "target.h"
#include "usdt.h"

#include "maptrace.h"

#define NR_FUTEX      202
#define NR_EXIT_GROUP 231

/* Functions whose call number is in %rax: libc's syscall(), through which GLib's locks wait. */
static const char *const generic_wrappers[] = {"syscall", NULL};

/* One side of @n sites as one link: the enter side (@exit false) or the futex calls' exits. */
static int attach_side(const char *path, int pid, int prog_fd, const struct sysc_site *s, int n,
		       bool exit, int *fds, int *nfds, int max)
{
	__u64 *offs = calloc((size_t)n, sizeof(*offs)), *cookies = calloc((size_t)n, sizeof(*offs));
	int k = 0, fd = 0;

	if (!offs || !cookies) {
		fd = -ENOMEM;
		goto out;
	}
	for (int i = 0; i < n; i++) {
		if (exit && (s[i].nr == NR_EXIT_GROUP || !s[i].exit_off))
			continue;
		/* a wake's exit alone makes its record: no enter, one hit fewer */
		if (!exit && s[i].wake)
			continue;
		offs[k] = exit ? s[i].exit_off : s[i].enter_off;
		if (exit)
			cookies[k++] = s[i].exit_clean ? MT_SYSC_EXIT_CLEAN : 0;
		else
			cookies[k++] = s[i].nr == SYSC_NR_RAX ? MT_SYSC_NR_RAX : (__u64)s[i].nr;
	}
	if (!k)
		goto out;
	if (*nfds >= max) {
		fd = -E2BIG;
		goto out;
	}
	fd = usdt__attach_multi_type(prog_fd, USDT_TRACE_UPROBE_MULTI, path, pid, offs, NULL,
				     cookies, k);
	if (fd >= 0)
		fds[(*nfds)++] = fd;
out:
	free(offs);
	free(cookies);
	return fd < 0 ? fd : 0;
}

/* Has an earlier mapping of @pm (before @i) the same file? */
static bool seen_file(const struct proc_map *pm, size_t i)
{
	for (size_t k = 0; k < i; k++)
		if (pm[k].exec && pm[k].ino == pm[i].ino && pm[k].dev == pm[i].dev)
			return true;
	return false;
}

/* The sites of one mapped file, attached; *@out counts them. */
static int attach_file(const struct target *t, const char *mapped, int enter_fd, int exit_fd,
		       int *fds, int *nfds, int max, struct sysc_attached *out)
{
	static const int nrs[] = {NR_FUTEX, NR_EXIT_GROUP};
	struct elfsym_file *ef = NULL;
	struct sysc_site *s = NULL;
	char path[4200];
	int n = 0, err, futex = 0;

	snprintf(path, sizeof(path), "%s%s", t->root, mapped);
	/* not ELF, unreadable: it has no site maptrace can see */
	if (elfsym__open(path, t->root, &ef))
		return 0;
	err = sysc__find(ef, path, nrs, 2, generic_wrappers, &s, &n, NULL);
	elfsym__close(ef);
	if (err == -ENOTSUP)
		return 0;
	if (err)
		return err;
	/* --no-futex: exit_group's sites alone (and syscall()'s, which may make it) */
	if (exit_fd < 0) {
		int k = 0;

		for (int i = 0; i < n; i++)
			if (s[i].nr != NR_FUTEX)
				s[k++] = s[i];
		n = k;
	}
	for (int i = 0; i < n; i++)
		futex += s[i].nr != NR_EXIT_GROUP;
	/* --list: what would be attached */
	if (n && !fds) {
		int any = 0;

		for (int i = 0; i < n; i++)
			any += s[i].nr == SYSC_NR_RAX;
		printf("    %3d futex, %d exit_group, %d of any number (syscall()) in %s\n",
		       futex - any, n - futex, any, mapped);
	}
	if (n && fds) {
		int first = *nfds;

		err = attach_side(path, t->pid, enter_fd, s, n, false, fds, nfds, max);
		if (!err && exit_fd >= 0)
			err = attach_side(path, t->pid, exit_fd, s, n, true, fds, nfds, max);
		/* a file whose sites cannot all be attached keeps none; the others go on */
		if (err && err != -ESRCH && err != -ENOMEM) {
			while (*nfds > first)
				close(fds[--*nfds]);
			fprintf(stderr,
				"maptrace: cannot attach to the futex and exit calls in %s (%s): "
				"its lock waits are not timed\n",
				mapped, strerror(-err));
			free(s);
			return 0;
		}
	}
	out->futex_sites += futex;
	free(s);
	return err;
}

int sysc__attach(const struct target *t, int enter_fd, int exit_fd, int *fds, int *nfds, int max,
		 struct sysc_attached *out)
{
	struct sysc_attached got = {0};
	struct proc_maps *pm = NULL;
	const struct proc_map *m;
	size_t n = 0;
	int err;

	err = proc_maps_cache__get(t->maps, t->pid, PROC_MAPS_ANY_AGE, &pm);
	if (err)
		return err;
	m = proc_maps__entries(pm, &n);
	for (size_t i = 0; i < n && !err; i++)
		if (m[i].exec && m[i].path[0] == '/' && !m[i].deleted && !seen_file(m, i))
			err = attach_file(t, m[i].path, enter_fd, exit_fd, fds, nfds, max, &got);
	proc_maps__put(pm);
	if (out)
		*out = got;
	return err;
}

#define TRACEFS		"/sys/kernel/tracing"
#define DEBUGFS_TRACING "/sys/kernel/debug/tracing"

/*
 * libbpf needs tracefs for the syscall tracepoints; it is not always mounted (nor is it here).
 * Looked at with our effective credentials, as libbpf will open it: access() would ask for the
 * real uid's, which under `setcap` is an ordinary user's, without CAP_DAC_READ_SEARCH.
 */
int sysc__ensure_tracefs(void)
{
	struct stat st;
	int err;

	if (!stat(TRACEFS "/events", &st))
		return 0;
	err = -errno;
	/* where older systems have it */
	if (!stat(DEBUGFS_TRACING "/events", &st))
		return 0;
	if (err == -EACCES) {
		fprintf(stderr,
			"maptrace: cannot read tracefs (" TRACEFS "/events: %s), which the futex "
			"tracepoints need; grant CAP_DAC_READ_SEARCH (setcap cap_bpf,cap_perfmon,"
			"cap_dac_read_search+ep maptrace), run as root, or leave out "
			"--futex-tracepoints\n",
			strerror(-err));
		return err;
	}
	if (!mount("nodev", TRACEFS, "tracefs", 0, NULL))
		return 0;
	err = -errno;
	if (err == -EPERM)
		fprintf(stderr,
			"maptrace: tracefs is not mounted, and mounting it needs CAP_SYS_ADMIN; "
			"mount it once as root ('mount -t tracefs nodev " TRACEFS "'), or leave "
			"out --futex-tracepoints\n");
	else
		fprintf(stderr,
			"maptrace: tracefs is not mounted and mounting it on " TRACEFS " failed "
			"(%s); mount it with 'mount -t tracefs nodev " TRACEFS "' or leave "
			"out --futex-tracepoints\n",
			strerror(-err));
	return err;
}
