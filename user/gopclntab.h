/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Functions and source lines of a Go binary from its .gopclntab, and its Go version from
 * .go.buildinfo: what a stripped Go program (go build -ldflags=-s, most release builds) still
 * carries, because the runtime needs it for tracebacks and the garbage collector.
 *
 * Reads the pclntab formats of Go 1.18-1.19 (magic 0xfffffff0) and Go 1.20 and later
 * (0xfffffff1); the older ones (Go 1.2-1.15: 0xfffffffb, Go 1.16-1.17: 0xfffffffa) are refused
 * by name.  The table is found by its section, or by its magic in the file's read-only
 * segments where section headers are gone (and in PIE builds, which keep it in .data.rel.ro).
 * Names and file names point into the ELF's bytes: valid while the gopcln lives.
 *
 * Not thread-safe: use one gopcln per thread or serialise calls.
 */
#ifndef MT_GOPCLNTAB_H
#define MT_GOPCLNTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <gelf.h>
#include <linux/types.h>

struct gopcln;

/* One function of the table. */
struct gopcln_func {
	const char *name; /* "main.main", "sync.(*Mutex).lockSlow" */
	__u64 entry;	  /* ELF virtual address of its first instruction */
	__u64 end;	  /* the next function's entry: [entry, end) is its code */
	__u32 off;	  /* its _func record, for gopcln__line() */
};

/**
 * gopcln__from_elf() - read the pclntab and build info of an ELF file already open.
 * @elf: the file, read with ELF_C_READ_MMAP or similar (elf_rawfile() must work); it must
 *	outlive the result, which borrows its bytes.
 * @out: receives the table on success.
 * @why: receives a one-line reason on -ENOTSUP (or "" otherwise), when not NULL.
 * @len: size of @why.
 *
 * Return: 0; -ENOENT when the file has no pclntab (not a Go program); -ENOTSUP when its
 * pclntab is of a format this reader refuses (@why names the Go versions it comes from);
 * -EINVAL when the table is malformed or @elf unreadable; -ENOMEM.
 */
int gopcln__from_elf(Elf *elf, struct gopcln **out, char *why, size_t len);

/**
 * gopcln__open() - gopcln__from_elf() on the file at @path, which the result then owns.
 * Return: as gopcln__from_elf(), and -errno when @path cannot be opened, -ENOEXEC when it is
 * not an ELF file.
 */
int gopcln__open(const char *path, struct gopcln **out, char *why, size_t len);

/** gopcln__close() - release a table (and its file, when gopcln__open() opened it); NULL ok. */
void gopcln__close(struct gopcln *g);

/**
 * gopcln__go_version() - the Go release that built the binary, from .go.buildinfo (or see
 * gopcln__version_from()).
 * Return: "go1.19.8", or "" when the binary has no build info of the Go 1.18+ format.
 */
const char *gopcln__go_version(const struct gopcln *g);

/**
 * gopcln__version_from() - where gopcln__go_version() was read: ".go.buildinfo", or
 * "runtime.buildVersion" (the runtime's own copy of the string, found by its shape in the
 * read-only data) when the binary has no build info, or "" when neither was found.
 */
const char *gopcln__version_from(const struct gopcln *g);

/**
 * gopcln__go_minor() - the minor version of gopcln__go_version(): 19 for "go1.19.8".
 * Return: the number, or 0 when the version is unknown or not of the form go1.N.
 */
int gopcln__go_minor(const struct gopcln *g);

/**
 * gopcln__module() - the main module's path from the build info ("path" when built from a
 * file outside any module, e.g. "command-line-arguments").
 * Return: the path, "" when unknown.
 */
const char *gopcln__module(const struct gopcln *g);

/**
 * gopcln__format() - which pclntab format the binary has.
 * Return: "Go 1.18-1.19" or "Go 1.20+".
 */
const char *gopcln__format(const struct gopcln *g);

/**
 * gopcln__table_offset() - the file offset of the pclntab's header (the runtime's pcHeader,
 * which moduledata.pcHeader points to), for gotype.c.
 */
__u64 gopcln__table_offset(const struct gopcln *g);

/** gopcln__nfuncs() - how many functions the table has. */
size_t gopcln__nfuncs(const struct gopcln *g);

/**
 * gopcln__func() - the @i-th function, in address order.
 * Return: 0; -ERANGE when @i >= gopcln__nfuncs(); -EINVAL when its record is malformed.
 */
int gopcln__func(const struct gopcln *g, size_t i, struct gopcln_func *f);

/**
 * gopcln__find_pc() - the function whose code holds virtual address @pc.
 * Return: 0; -ENOENT when no function covers @pc; -EINVAL.
 */
int gopcln__find_pc(const struct gopcln *g, __u64 pc, struct gopcln_func *f);

/**
 * gopcln__find_name() - a function by its full Go name, e.g. "runtime.hashGrow",
 * "sync.(*Mutex).lockSlow", "internal/runtime/maps.(*table).grow".  Scans every name: meant for
 * a handful of probes at attach, not a hot path.
 * Return: 0; -ENOENT when no function has that name; -EINVAL.
 */
int gopcln__find_name(const struct gopcln *g, const char *name, struct gopcln_func *f);

/**
 * gopcln__line() - the source position of @pc in function @f (from gopcln__find_pc() or
 * another lookup): the innermost inlined call's, as the Go runtime's tracebacks print it.
 * @file: receives the full file name as the compiler recorded it.
 * @line: receives the line number.
 * Return: 0; -ENOENT when the table has no position for @pc (or @pc is outside @f); -EINVAL
 * when the encoded tables are malformed.
 */
int gopcln__line(const struct gopcln *g, const struct gopcln_func *f, __u64 pc, const char **file,
		 int *line);

/* What a Go program is, for --list. */
struct gopcln_info {
	char version[64];	  /* "go1.19.8", "" when unknown */
	const char *version_from; /* as gopcln__version_from() */
	char module[256];	  /* as gopcln__module() */
	const char *format;	  /* as gopcln__format() */
	size_t nfuncs;
	const char *symbols;  /* where maptrace takes names from: ".symtab" or ".gopclntab" */
	const char *maps;     /* "swiss" (Go >= 1.24), "hmap" (<= 1.23), "" when unknown */
	const char *maps_why; /* the function that told, or "version" */
};

/**
 * gopcln__info() - describe the Go program at @path.
 * @info: filled on success.
 * @why: receives the one-line reason on -ENOTSUP, when not NULL.
 * @len: size of @why.
 *
 * The map generation comes from the runtime's own functions where they are found
 * (internal/runtime/maps.(*table).grow: Swiss tables; runtime.hashGrow: hmap buckets, which a
 * Go 1.24 built with GOEXPERIMENT=noswissmap still has), else from the version.
 *
 * Return: as gopcln__open(): 0; -ENOENT for a program that is not Go; -ENOTSUP with @why.
 */
int gopcln__info(const char *path, struct gopcln_info *info, char *why, size_t len);

#endif /* MT_GOPCLNTAB_H */
