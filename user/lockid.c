// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "clock.h"
#include "elfsym.h"
#include "grow.h"
#include "lockid.h"
#include "mt_event.h"
#include "memscan.h"
#include "model.h"
#include "procfs.h"
#include "u64map.h"

#define MAX_TAGS 64

/* One file mapping of the target, or the anonymous .bss right after a writable one. */
struct file_range {
	__u64 start, end;
	__u64 off;  /* the file offset at start, as if the file went on past its end (.bss) */
	char *path; /* as the target sees it */
};

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
	struct file_range *files; /* data_symbol()'s view of the target's file mappings */
	int nfiles, cap_files;
	__u64 files_read_ns;
};

enum word_state {
	WORD_DECIDED = 1, /* named, moved to its GRWLock, or searched for it in vain */
	WORD_NOT_STATIC,  /* no symbol; a later wait's stack may still show a GRWLock */
};

int lockid__new(int pid, const char *root, struct lockid **out)
{
	struct lockid *li = calloc(1, sizeof(*li));

	*out = NULL;
	if (!li)
		return -ENOMEM;
	li->pid = pid;
	snprintf(li->root, sizeof(li->root), "%s", root);
	*out = li;
	return 0;
}

struct range_load {
	struct lockid *li;
	int prev_data; /* the index of the last range if a writable file mapping, else -1 */
	__u64 prev_end;
	int err;
};

static int add_file_range(const struct proc_map *pm, void *arg)
{
	struct range_load *rl = arg;
	struct lockid *li = rl->li;
	int prev = rl->prev_data;
	bool bss = !pm->path[0] && prev >= 0 && rl->prev_end == pm->start;
	struct file_range *r;

	rl->prev_end = pm->end;
	rl->prev_data = -1;
	if ((pm->path[0] != '/' || pm->deleted) && !bss)
		return 0;
	rl->err = GROW(li->files, li->nfiles, li->cap_files, 64);
	if (rl->err)
		return 1;
	r = &li->files[li->nfiles];
	*r = (struct file_range){ .start = pm->start, .end = pm->end, .off = pm->pgoff };
	if (bss)
		r->off = li->files[prev].off + (pm->start - li->files[prev].start);
	r->path = strdup(bss ? li->files[prev].path : pm->path);
	if (!r->path) {
		rl->err = -ENOMEM;
		return 1;
	}
	li->nfiles++;
	if (pm->write && !bss)
		rl->prev_data = li->nfiles - 1;
	return 0;
}

static void free_file_ranges(struct lockid *li)
{
	for (int i = 0; i < li->nfiles; i++)
		free(li->files[i].path);
	li->nfiles = 0;
}

static const struct file_range *file_range_at(const struct lockid *li, __u64 addr)
{
	for (int i = 0; i < li->nfiles; i++) {
		if (addr >= li->files[i].start && addr < li->files[i].end)
			return &li->files[i];
	}
	return NULL;
}

/*
 * The data symbol at @addr in the target ("dbDictType", "lock+0x8"), or "" in @name.  The
 * target's file mappings are read once and again at most once a second, when an address is in
 * none of them (a library loaded since): most futex words asked about are on the heap.
 */
static void data_symbol(struct lockid *li, __u64 addr, char *name, size_t len)
{
	const struct file_range *r = file_range_at(li, addr);
	struct elfsym_file *ef = NULL;
	char path[4096];

	name[0] = '\0';
	if (!r && clock_mono_ns() - li->files_read_ns >= 1000000000ULL) {
		struct range_load rl = { .li = li, .prev_data = -1 };

		free_file_ranges(li);
		li->files_read_ns = clock_mono_ns();
		if (procfs__maps(li->pid, add_file_range, &rl) || rl.err)
			free_file_ranges(li);
		r = file_range_at(li, addr);
	}
	if (!r)
		return;
	snprintf(path, sizeof(path), "%s%s", li->root, r->path);
	if (!elfsym__open(path, li->root, &ef) &&
	    elfsym__object_at(ef, r->off + (addr - r->start), name, len))
		name[0] = '\0';
	elfsym__close(ef);
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
		    memscan__find_pointer(li->pid, (word - 12 + 7) & ~7ULL, word,
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
	u64map__free(&li->words);
	free_file_ranges(li);
	free(li->files);
	free(li);
}
