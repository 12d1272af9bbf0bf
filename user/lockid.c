// SPDX-License-Identifier: MIT
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "elfsym.h"
#include "lockid.h"
#include "mt_event.h"
#include "memscan.h"
#include "model.h"
#include "procfs.h"
#include "u64map.h"
#include "util.h"

#define MAX_TAGS 64
#define MAX_KEPT 128 /* files kept open for a target with its own root; the rest go by path */

struct lockid {
	int pid;
	char root[64]; /* the target's /proc/PID/root prefix, "" when it shares ours */
	/* names of the data a profile map's name pointer points to (Redis's dictTypes) */
	struct tag_name {
		__u64 tag;
		char name[MT_NAME_MAX]; /* "" when no data symbol covers it */
	} names[MAX_TAGS];
	int nnames;
	struct u64map words;	  /* futex word -> enum word_state, once the word was looked at */
	struct proc_maps_cache *maps; /* the target's mappings, shared with the symbolizer */
	/* a target with its own root: its mapped files, opened while it lived */
	struct kept_file {
		dev_t dev;
		__u64 ino;
		int fd;
	} *kept;
	int nkept;
};

enum word_state {
	WORD_DECIDED = 1, /* named, moved to its GRWLock, or searched for it in vain */
	WORD_NOT_STATIC,  /* no symbol; a later wait's stack may still show a GRWLock */
};

/* The file of mapping @m kept open, or -1. */
static int kept_fd(const struct lockid *li, const struct proc_map *m)
{
	for (int i = 0; i < li->nkept; i++)
		if (li->kept[i].dev == m->dev && li->kept[i].ino == m->ino)
			return li->kept[i].fd;
	return -1;
}

/*
 * A target with a root of its own is read through /proc/PID/root, which goes with the process,
 * and the records of its last waits are often read after it exited: its mapped files are opened
 * now, while it lives, to read their symbols then.  Best effort: a file not kept is looked up by
 * path, as for a target that shares our root, whose paths outlive it.
 */
static int keep_files(struct lockid *li)
{
	const struct proc_map *v;
	struct proc_maps *pm;
	char root[64];
	int root_fd, err = 0;
	size_t n;

	if (proc_maps_cache__get(li->maps, li->pid, PROC_MAPS_ANY_AGE, &pm))
		return 0;
	v = proc_maps__entries(pm, &n);
	li->kept = calloc(MAX_KEPT, sizeof(*li->kept));
	if (!li->kept) {
		err = -ENOMEM;
		goto cleanup;
	}
	/* one lookup of the root for every file; -1 lets each open look it up itself */
	snprintf(root, sizeof(root), "/proc/%d/root", li->pid);
	root_fd = open(root, O_PATH | O_CLOEXEC);
	for (size_t i = 0; i < n && li->nkept < MAX_KEPT; i++) {
		int fd;

		if (v[i].path[0] != '/' || v[i].deleted || kept_fd(li, &v[i]) >= 0)
			continue;
		fd = procfs__open_mapped(li->pid, root_fd, &v[i]);
		if (fd >= 0)
			li->kept[li->nkept++] = (struct kept_file){ v[i].dev, v[i].ino, fd };
	}
	if (root_fd >= 0)
		close(root_fd);
cleanup:
	proc_maps__put(pm);
	return err;
}

int lockid__new(int pid, const char *root, struct proc_maps_cache *maps, struct lockid **out)
{
	struct lockid *li = calloc(1, sizeof(*li));
	int err;

	*out = NULL;
	if (!li)
		return -ENOMEM;
	li->pid = pid;
	li->maps = maps;
	snprintf(li->root, sizeof(li->root), "%s", root);
	err = root[0] ? keep_files(li) : 0;
	if (err) {
		lockid__free(li);
		return err;
	}
	*out = li;
	return 0;
}

/*
 * The file mapping and offset behind @addr of mapping entry @i of @all: a file mapping's own, or
 * for the anonymous .bss right after a writable file mapping, that file's, as if the file went
 * on past its end.  NULL for other memory.
 */
static const struct proc_map *file_at(const struct proc_map *all, size_t i, __u64 addr,
				      __u64 *off)
{
	const struct proc_map *m = &all[i], *prev = i ? &all[i - 1] : NULL;

	if (m->path[0] == '/' && !m->deleted) {
		*off = m->pgoff + (addr - m->start);
		return m;
	}
	if (!m->path[0] && prev && prev->write && prev->end == m->start && prev->path[0] == '/' &&
	    !prev->deleted) {
		*off = prev->pgoff + (addr - prev->start);
		return prev;
	}
	return NULL;
}

/* The ELF file behind mapping @m: by its path, else (the target gone) the file kept open. */
static int open_file(const struct lockid *li, const struct proc_map *m, struct elfsym_file **ef)
{
	char path[4096];
	int fd, err;

	snprintf(path, sizeof(path), "%s%s", li->root, m->path);
	err = elfsym__open(path, li->root, ef);
	fd = err ? kept_fd(li, m) : -1;
	if (fd < 0)
		return err;
	/* the magic link reopens the very file, even on a mount its namespace took away */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	return elfsym__open(path, li->root, ef);
}

/*
 * The data symbol at @addr in the target ("dbDictType", "lock+0x8"), or "" in @name.  The
 * mappings already read serve; they are read again at most once a second, when an address is in
 * no file (a library loaded since): most futex words asked about are on the heap.
 */
static void data_symbol(struct lockid *li, __u64 addr, char *name, size_t len)
{
	const struct proc_map *all, *m, *file = NULL;
	struct elfsym_file *ef = NULL;
	struct proc_maps *pm = NULL;
	__u64 off = 0;
	size_t n;

	name[0] = '\0';
	for (int pass = 0; pass < 2 && !file; pass++) {
		/* first whatever snapshot there is; then one at most a second old */
		proc_maps__put(pm);
		pm = NULL;
		if (proc_maps_cache__get(li->maps, li->pid, pass ? 1000000000ULL : PROC_MAPS_ANY_AGE,
					 &pm))
			break;
		all = proc_maps__entries(pm, &n);
		m = proc_maps__find(pm, addr);
		if (m)
			file = file_at(all, (size_t)(m - all), addr, &off);
	}
	if (file && !open_file(li, file, &ef) && elfsym__object_at(ef, off, name, len))
		name[0] = '\0';
	elfsym__close(ef);
	proc_maps__put(pm);
}

const char *lockid__name_data(struct lockid *li, __u64 addr)
{
	struct tag_name *tn;

	for (int i = 0; i < li->nnames; i++)
		if (li->names[i].tag == addr)
			return li->names[i].name;
	tn = &li->names[li->nnames < MAX_TAGS ? li->nnames++ : MAX_TAGS - 1];
	tn->tag = addr;
	data_symbol(li, addr, tn->name, sizeof(tn->name));
	return tn->name;
}

/* Does @st wait inside GLib's GRWLock? */
/*
 * A wait on a futex word outside the library's locks says which lock it is, once:
 * - a static lock (in a file's data or .bss) is named after its symbol;
 * - a GRWLock's waiters sleep on the words of the pthread_rwlock_t GLib allocated for it (8 and
 *   12 bytes in: __wrphase_futex, __writers_futex), which the GRWLock points to: the GRWLock is
 *   found in the target's memory, and the word's waits count under its address and name.
 * Only a stack unwound through GLib shows g_rw_lock_*: until one does (a frame-pointer walk stops
 * short of it, and a buffer past half full sends none), the word stays as it is.
 */
int lockid__attribute_futex(struct lockid *li, const struct mt_event *ev, bool grwlock,
			    __u64 *lock, char *name, size_t len)
{
	__u64 word = ev->wait.word, state = 0;
	int err;

	if (ev->kind != MT_EV_WAIT || (ev->flags & (MT_EV_LIB_LOCK | MT_EV_IN_LIB)) ||
	    (u64map__get(&li->words, word, &state) && state == WORD_DECIDED))
		return 0;
	if (!grwlock) {
		if (state == WORD_NOT_STATIC)
			return 0;
		data_symbol(li, word, name, len);
		err = u64map__put(&li->words, word, name[0] ? WORD_DECIDED : WORD_NOT_STATIC);
		if (err || !name[0])
			return err;
		*lock = word;
	} else {
		err = u64map__put(&li->words, word, WORD_DECIDED);
		if (err || word < 12 ||
		    memscan__find_pointer(li->maps, li->pid, (word - 12 + 7) & ~7ULL, word,
					  MEMSCAN_BUDGET, lock) != 1)
			return err;
		data_symbol(li, *lock, name, len);
	}
	return 1;
}

void lockid__free(struct lockid *li)
{
	if (!li)
		return;
	for (int i = 0; i < li->nkept; i++)
		close(li->kept[i].fd);
	free(li->kept);
	u64map__free(&li->words);
	free(li);
}
