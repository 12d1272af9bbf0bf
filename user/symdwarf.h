/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef MAPTRACE_SYMDWARF_H
#define MAPTRACE_SYMDWARF_H

#include <stdbool.h>
#include <gelf.h>
#include <linux/types.h>

/*
 * The DWARF of one module, for the symbolizer: the source line of an address and, for code no
 * symbol covers, the function around it.
 *
 * Setting it up is the one costly step: libdw decompresses every compressed debug section it
 * knows when it opens a file (libc6-dbg: 40-60 ms of zlib on this machine), so it happens once,
 * at the first lookup or at symdwarf__prepare(), whichever comes first.
 */

struct symdwarf;

/* What one address resolves to; strings point into data the symdwarf owns. */
struct symdwarf_loc {
	const char *func; /* set with @offset and @exact only when asked for and found */
	__u64 offset;
	bool exact;
	const char *file; /* full path of the source file, NULL when unknown */
	int line;
};

/**
 * symdwarf__new() - the DWARF of @dw_elf, not set up yet.
 * @dw_elf: a file with DWARF (debugfile__has_dwarf()); it must outlive the symdwarf.
 * @root: "" or the target's "/proc/PID/root": the dwz supplementary file is opened now, while
 *	that root still exists; missing, lookups only lose the DIEs it holds.
 * @out: set to the new symdwarf.
 *
 * Return: 0, or -ENOMEM.
 */
int symdwarf__new(Elf *dw_elf, const char *root, struct symdwarf **out);

/** symdwarf__free() - release @sd (NULL is allowed) and what it set up; not @dw_elf. */
void symdwarf__free(struct symdwarf *sd);

/**
 * symdwarf__prepare() - set the DWARF up now rather than at the first lookup.
 * @sd: the symdwarf.
 *
 * Call it where its cost is harmless (before the traced program runs its work): the first
 * stack through the module is then resolved without stalling for it.
 *
 * Return: 0, or -ENOENT when libdw cannot read the DWARF (lookups then find nothing).
 */
int symdwarf__prepare(struct symdwarf *sd);

/**
 * symdwarf__lookup() - resolve ELF virtual address @vaddr.
 * @sd: the symdwarf.
 * @vaddr: the address.
 * @want_func: also look for the out-of-line function around @vaddr (costlier: a DIE walk).
 * @loc: what is found replaces what it holds (func, offset and exact only with @want_func);
 *	@loc->line is zeroed when a line is found without a file name.
 */
void symdwarf__lookup(struct symdwarf *sd, __u64 vaddr, bool want_func, struct symdwarf_loc *loc);

#endif /* MAPTRACE_SYMDWARF_H */
