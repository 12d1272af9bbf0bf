/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Separate debug files: finding the one that belongs to an ELF file, and refusing the ones that
 * do not.
 *
 * Distributions strip binaries and ship their symbols and DWARF apart: by build-id under
 * /usr/lib/debug/.build-id/xx/yyyy.debug (Debian's -dbgsym, Fedora's -debuginfo), or named in the
 * file's .gnu_debuglink beside it, in .debug/ beside it, or under /usr/lib/debug/<dir>/ (gdb's
 * search order). A candidate is accepted only when it provably belongs to the file: the same
 * build-id when both have one, else the CRC that .gnu_debuglink records. A stale debug file from
 * another build would give confidently wrong names.
 *
 * A target in another mount namespace sees its own /usr/lib/debug: pass its root
 * ("/proc/PID/root") and its files are looked at first, then ours, which is safe because the
 * build-id must match.
 *
 * The caller initialises libelf (elf_version()) before using these.
 */
#ifndef MT_DEBUGFILE_H
#define MT_DEBUGFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <gelf.h>

/* Bytes of a build-id kept (SHA-1, what GNU ld and lld emit), and its hex form with the NUL. */
#define DEBUGFILE_BUILD_ID_MAX 20
#define DEBUGFILE_BUILD_ID_HEX (2 * DEBUGFILE_BUILD_ID_MAX + 1)

/* The file whose debug file is wanted. */
struct debugfile_query {
	Elf *elf;	  /* the file itself: its .gnu_debuglink names the fallback candidates */
	const char *path; /* its path as the target sees it, without @root */
	const char *root; /* "" for our root, or "/proc/PID/root" for the target's */
	const char *build_id; /* its build-id from debugfile__build_id(), "" when none */
	dev_t dev;	      /* its identity: a link that names the file itself is refused */
	ino_t ino;
};

/**
 * debugfile__elf_begin() - read an ELF file from @fd for as long as the result lives.
 * @fd: an open file; the caller may close it right after this returns.
 *
 * The ELF is detached from @fd so that long-lived caches do not hold one fd per file.
 *
 * Return: the ELF (free with elf_end()), or NULL when @fd is not a readable ELF file.
 */
Elf *debugfile__elf_begin(int fd);

/**
 * debugfile__build_id() - the GNU build-id of @elf as lowercase hex.
 * @elf: the file.
 * @hex: filled with the hex digits of at most DEBUGFILE_BUILD_ID_MAX bytes, "" when none.
 */
void debugfile__build_id(Elf *elf, char hex[DEBUGFILE_BUILD_ID_HEX]);

/**
 * debugfile__has_symtab() - does @elf carry a .symtab (all symbols, not only exported ones)?
 * @elf: the file.
 *
 * Return: true when it has a section of type SHT_SYMTAB.
 */
bool debugfile__has_symtab(Elf *elf);

/**
 * debugfile__has_dwarf() - does @elf carry DWARF (.debug_info or .zdebug_info with contents)?
 * @elf: the file.
 *
 * Return: true when it does; a NOBITS placeholder that strippers leave does not count.
 */
bool debugfile__has_dwarf(Elf *elf);

/**
 * debugfile__open() - find and open the separate debug file of a file.
 * @q: the file.
 * @out: set to the debug file's ELF (free with elf_end()), or NULL.
 * @path: when non-NULL, set to the debug file's path as we opened it (with the root prefix).
 * @len: size of @path.
 *
 * Looked for, in this order: by build-id under @q->root, then under ours; then by the name in
 * .gnu_debuglink beside the file, in .debug/ beside it and under /usr/lib/debug/<its dir>/, each
 * first under @q->root and then under ours. A candidate must match by build-id (or, when either
 * has none, by the .gnu_debuglink CRC), must not be the file itself, and must have a .symtab or
 * DWARF.
 *
 * Return: 0 with *@out set, or -ENOENT when no acceptable debug file was found.
 */
int debugfile__open(const struct debugfile_query *q, Elf **out, char *path, size_t len);

/**
 * debugfile__open_alt() - open the dwz supplementary file that @dwarf_elf refers to.
 * @dwarf_elf: a file with DWARF; dwz-compressed debug files (Debian's -dbgsym) keep shared DIEs
 *	in a separate file named, with its build-id, in .gnu_debugaltlink.
 * @root: "" or the target's "/proc/PID/root": looked for by build-id under it, then under ours,
 *	then by the name recorded in the link under @root.
 * @out: set to the supplementary file's ELF (free with elf_end()), or NULL.
 *
 * Return: 0 with *@out set, -ENOENT when @dwarf_elf has no such link or the file is not found.
 */
int debugfile__open_alt(Elf *dwarf_elf, const char *root, Elf **out);

/** debugfile__section() - the section named @name of @elf, or NULL. */
Elf_Scn *debugfile__section(Elf *elf, const char *name);

#endif /* MT_DEBUGFILE_H */
