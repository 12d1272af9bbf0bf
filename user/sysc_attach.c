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

/*
 * A futex call whose exit only the call reaches needs no enter probe (single-stepped, ~5 us a
 * hit) while the scheduler's switches are watched (sysc_block in sysc.bpf.h): a wait starts
 * when it sleeps, a wake is known by its exit alone.
 */
static bool sleep_timed(const struct sysc_site *s)
{
	return s->nr == NR_FUTEX && !s->caller && s->exit_clean && s->exit_off &&
	       s->exit_skip < 256;
}

/*
 * One side of @n sites as one link: the enter side (@exit false) or the futex calls' exits.
 * @generic: the wrappers' own enter sites too (a call of one could not be told); their exits
 * are attached with it or when @wrapped (a call of one is probed where it is made).
 * @sleeps: the scheduler's switches are watched (sleep_timed()).
 */
static int attach_side(const char *path, int pid, int prog_fd, const struct sysc_site *s, int n,
		       bool exit, bool generic, bool wrapped, bool sleeps, int *fds, int *nfds,
		       int max)
{
	__u64 *offs = calloc((size_t)n, sizeof(*offs)), *cookies = calloc((size_t)n, sizeof(*offs));
	int k = 0, fd = 0;

	if (!offs || !cookies) {
		fd = -ENOMEM;
		goto out;
	}
	for (int i = 0; i < n; i++) {
		if (exit && (s[i].nr == NR_EXIT_GROUP || !s[i].exit_off ||
			     (s[i].nr == SYSC_NR_RAX && !generic && !wrapped)))
			continue;
		/* a wake's exit alone makes its record: no enter, one hit fewer */
		if (!exit && (s[i].wake || (sleeps && sleep_timed(&s[i])) ||
			      (s[i].nr == SYSC_NR_RAX && !generic)))
			continue;
		offs[k] = exit ? s[i].exit_off : s[i].enter_off;
		/* a wrapper's exit without a started call was another call: never a wake alone */
		if (exit) {
			/* where the call's syscall ends: a note of its sleep is of this call */
			__u64 c = s[i].exit_skip < 256 ? (__u64)s[i].exit_skip
							 << MT_SYSC_EXIT_SKIP_SHIFT : 0;

			if (sleeps && sleep_timed(&s[i]))
				c |= MT_SYSC_EXIT_CLEAN | MT_SYSC_EXIT_BLOCK;
			else if (s[i].exit_clean && s[i].nr != SYSC_NR_RAX)
				c |= MT_SYSC_EXIT_CLEAN;
			cookies[k++] = c;
		}
		else if (s[i].nr == SYSC_NR_RAX)
			cookies[k++] = MT_SYSC_NR_RAX;
		else
			cookies[k++] = (__u64)s[i].nr | (s[i].call ? MT_SYSC_CALL_SITE : 0);
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

/* One mapped file's sites, found. */
struct file_sites {
	char path[4200];
	const char *mapped; /* as the target maps it */
	struct sysc_site *s;
	int n;
	struct sysc_stats st;
};

/* The sites of one mapped file (@futex false: exit_group's alone); 0 also when it has none. */
static int find_file(const struct target *t, const char *mapped, bool futex,
		     struct file_sites *fs)
{
	static const int nrs[] = {NR_FUTEX, NR_EXIT_GROUP};
	struct elfsym_file *ef = NULL;
	int err;

	memset(fs, 0, sizeof(*fs));
	fs->mapped = mapped;
	snprintf(fs->path, sizeof(fs->path), "%s%s", t->root, mapped);
	/* not ELF, unreadable: it has no site maptrace can see */
	if (elfsym__open(fs->path, t->root, &ef))
		return 0;
	err = sysc__find(ef, fs->path, nrs, 2, generic_wrappers, &fs->s, &fs->n, &fs->st);
	elfsym__close(ef);
	if (err == -ENOTSUP)
		return 0;
	if (err)
		return err;
	if (!futex) {
		int k = 0;

		for (int i = 0; i < fs->n; i++)
			if (fs->s[i].nr != NR_FUTEX)
				fs->s[k++] = fs->s[i];
		fs->n = k;
	}
	return 0;
}

/* One file's sites, attached (or, without @fds, listed); *@out counts them. */
static int attach_file(const struct target *t, const struct file_sites *fs, bool generic,
		       bool wrapped, bool sleeps, int enter_fd, int exit_fd, int *fds, int *nfds,
		       int max, struct sysc_attached *out)
{
	int futex = 0, wrapper = 0, callers = 0, exits = 0, err = 0;

	for (int i = 0; i < fs->n; i++) {
		out->exit_only += sleeps && sleep_timed(&fs->s[i]) && !fs->s[i].wake;
		wrapper += fs->s[i].nr == SYSC_NR_RAX;
		callers += fs->s[i].caller && fs->s[i].nr == NR_FUTEX;
		futex += fs->s[i].nr == NR_FUTEX;
		exits += fs->s[i].nr == NR_EXIT_GROUP;
	}
	/* --list: what would be attached */
	if ((fs->n || fs->st.callers_unknown) && !fds) {
		printf("    %3d futex, %d exit_group, %d of any number (syscall()), %d futex calls of "
		       "syscall()",
		       futex - callers, exits, generic ? wrapper : 0, callers);
		if (fs->st.callers_unknown)
			printf(" (and %d of a number not known there)", fs->st.callers_unknown);
		printf(" in %s\n", fs->mapped);
	}
	if (fs->n && fds) {
		int first = *nfds;

		err = attach_side(fs->path, t->pid, enter_fd, fs->s, fs->n, false, generic, wrapped,
				  sleeps, fds, nfds, max);
		if (!err && exit_fd >= 0)
			err = attach_side(fs->path, t->pid, exit_fd, fs->s, fs->n, true, generic,
					  wrapped, sleeps, fds, nfds, max);
		/* a file whose sites cannot all be attached keeps none; the others go on */
		if (err && err != -ESRCH && err != -ENOMEM) {
			while (*nfds > first)
				close(fds[--*nfds]);
			fprintf(stderr,
				"maptrace: cannot attach to the futex and exit calls in %s (%s): "
				"its lock waits are not timed\n",
				fs->mapped, strerror(-err));
			return 0;
		}
	}
	out->futex_sites += futex + (generic ? wrapper : 0);
	return err;
}

int sysc__attach(const struct target *t, int enter_fd, int exit_fd, bool sleeps, int *fds,
		 int *nfds, int max, struct sysc_attached *out)
{
	struct sysc_attached got = {0};
	struct file_sites *fs = NULL;
	struct proc_maps *pm = NULL;
	const struct proc_map *m;
	size_t n = 0, nfs = 0;
	bool generic = false, wrapped = false;
	int err;

	err = proc_maps_cache__get(t->maps, t->pid, PROC_MAPS_ANY_AGE, &pm);
	if (err)
		return err;
	m = proc_maps__entries(pm, &n);
	fs = calloc(n ? n : 1, sizeof(*fs));
	if (!fs)
		err = -ENOMEM;
	/*
	 * Every file's sites first: a call of syscall() anywhere whose number is not known keeps
	 * the wrapper's own enter probe (single-stepped).
	 */
	for (size_t i = 0; i < n && !err; i++)
		if (m[i].exec && m[i].path[0] == '/' && !m[i].deleted && !seen_file(m, i)) {
			err = find_file(t, m[i].path, exit_fd >= 0, &fs[nfs]);
			generic |= fs[nfs].st.callers_unknown > 0;
			for (int k = 0; k < fs[nfs].n; k++)
				wrapped |= fs[nfs].s[k].caller;
			nfs++;
		}
	for (size_t i = 0; i < nfs && !err; i++)
		err = attach_file(t, &fs[i], generic, wrapped, sleeps && exit_fd >= 0, enter_fd,
				  exit_fd, fds, nfds, max, &got);
	if (!fds && !err && got.exit_only)
		printf("    futex waits: %d sites probed after the call alone, a wait timed from "
		       "when the scheduler saw it sleep (sched_switch)\n",
		       got.exit_only);
	if (!fds && !err)
		printf("    calls of syscall(): %s\n",
		       generic ? "some with a number not known where they are made: syscall()'s "
				 "own enter probe is attached (single-stepped)"
			       : "each probed where it is made");
	for (size_t i = 0; i < nfs; i++)
		free(fs[i].s);
	free(fs);
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
