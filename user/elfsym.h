/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Symbols of one ELF file by name, for attaching uprobes: a function's address and the file
 * offset the kernel wants, a data object's value, and what kind of instruction a probe would
 * replace.
 *
 * Stripped binaries are served from their separate debug file (user/debugfile.h: by build-id,
 * then .gnu_debuglink), looked up under the target's root first when it lives in another mount
 * namespace. The file is read once at open; lookups scan the symbol tables, so they suit a
 * handful of names at attach time, not a hot path.
 *
 * Not thread-safe: use one elfsym_file per thread or serialise calls.
 */
#ifndef MT_ELFSYM_H
#define MT_ELFSYM_H

#include <stdbool.h>
#include <stddef.h>
#include <gelf.h>
#include <linux/types.h>

struct elfsym_file;

/* A function found by elfsym__find(). */
struct elfsym_sym {
	__u64 vaddr;		/* ELF virtual address (st_value) */
	__u64 size;		/* st_size, 0 when the symbol has none */
	__u64 file_offset;	/* vaddr through the main file's PT_LOAD: what uprobes take */
	unsigned char code[16]; /* the first bytes at vaddr, read from the main file */
	int code_len;		/* how many of code[] are valid: fewer at the end of a segment */
	bool ifunc;		/* STT_GNU_IFUNC: a probe here fires in the resolver, once */
	char where[300];	/* "symtab", "dynsym", "debug file PATH" or "gopclntab" */
};

/**
 * elfsym__open() - open an ELF file for symbol lookups.
 * @path: the file, as we can open it: "/proc/PID/root/usr/bin/app" for a file of a process in
 *	another mount namespace.
 * @root: "" when the file is in our mount namespace, else the target's root ("/proc/PID/root").
 *	Debug files are looked for by build-id under @root/usr/lib/debug/.build-id, then under
 *	ours, then by .gnu_debuglink beside the file, in .debug/ beside it and under
 *	@root/usr/lib/debug/<dir>/ (then the same without @root). A @path that starts with @root
 *	is taken to be @root followed by the path the target sees.
 * @out: set to the opened file on success.
 *
 * A debug file is looked for only when the file has no .symtab of its own; one is accepted only
 * with the same build-id, or the .gnu_debuglink CRC when either has no build-id.
 *
 * Return: 0; -ENOENT, -EACCES or another -errno when @path cannot be opened, -ENOEXEC when it
 * is not a regular ELF file, -EINVAL when libelf cannot be initialised, -ENOMEM.
 */
int elfsym__open(const char *path, const char *root, struct elfsym_file **out);

/**
 * elfsym__close() - release a file opened by elfsym__open().
 * @f: the file, may be NULL.
 */
void elfsym__close(struct elfsym_file *f);

/**
 * elfsym__find() - look up a function by name.
 * @f: the file.
 * @name: "name" matches that symbol in any version, preferring the default one (what a program
 *	linking against the file gets): "pthread_cond_wait" finds pthread_cond_wait@@GLIBC_2.3.2,
 *	not the compat pthread_cond_wait@GLIBC_2.2.5. "name@VERSION" asks for that version, and
 *	"name@@VERSION" for it only when it is the default.
 * @out: filled on success, and on -ERANGE.
 *
 * Searches the file's .symtab, then its .dynsym, then the debug file's .symtab, and stops at
 * the first table with a match; when there is no .symtab anywhere, a Go binary's .gopclntab
 * last, by the Go name ("sync.(*Mutex).lockSlow"; where "gopclntab", size to the next
 * function). In a table, a defined STT_FUNC or STT_GNU_IFUNC wins over an
 * untyped label in code; then the default version over a hidden one; then global over weak over
 * local binding. Code bytes are read from the main file, which a debug file has no copy of.
 *
 * Return: 0; -ENOENT when no defined function has that name; -ERANGE when it lies outside the
 * file-backed part of every PT_LOAD segment of the main file (@out then has all but
 * file_offset and code), so it cannot be probed; -EINVAL on bad arguments.
 */
int elfsym__find(struct elfsym_file *f, const char *name, struct elfsym_sym *out);

/**
 * elfsym__glob() - the defined functions whose names match shell pattern @pattern
 * (fnmatch(3)), from the first of the file's .symtab, its .dynsym and the debug file's .symtab
 * that has any: @cb(@ctx, name) for each (a non-zero return stops and is returned).
 *
 * Return: how many matched, or @cb's error; -EINVAL on bad arguments.
 */
int elfsym__glob(struct elfsym_file *f, const char *pattern, int (*cb)(void *ctx, const char *name),
		 void *ctx);

/**
 * elfsym__at() - a code address found some other way than by name (a call's target), filled in
 * as elfsym__find() fills a symbol: file offset and first bytes; size 0.
 * @f: the file.
 * @vaddr: the ELF virtual address.
 * @where: how it was found, copied to @out->where.
 * @out: filled.
 * Return: 0; -ERANGE when @vaddr is outside the file-backed part of every PT_LOAD segment;
 * -EINVAL.
 */
int elfsym__at(struct elfsym_file *f, __u64 vaddr, const char *where, struct elfsym_sym *out);

/**
 * elfsym__read_object() - read the value of a data object as the file stores it.
 * @f: the file.
 * @name: an STT_OBJECT symbol, versioned as for elfsym__find(); e.g. glib_major_version.
 * @buf: receives the value in host byte order.
 * @size: 1, 2, 4 or 8: the object's st_size must be this (or 0, unknown).
 *
 * The value is the file's initial contents: right for constants, not for variables the program
 * has changed since, nor for pointers the dynamic linker relocates.
 *
 * Return: 0; -ENOENT when no defined object has that name; -EINVAL when @size is not one of the
 * above, differs from the symbol's size, or the object has no bytes in the file (.bss).
 */
int elfsym__read_object(struct elfsym_file *f, const char *name, void *buf, size_t size);

/**
 * elfsym__object_addr() - where a data object of the file is in a process that maps it.
 * @f: the file.
 * @name: the symbol, versioned as for elfsym__find(); e.g. cmap_totals.
 * @map_start: the start of a mapping of the file in the process (/proc/PID/maps).
 * @map_pgoff: that mapping's file offset.
 * @addr: receives the object's address in the process (.bss objects too).
 * Return: 0; -ENOENT when no defined symbol has that name or no segment holds @map_pgoff;
 * -EINVAL.
 */
int elfsym__object_addr(struct elfsym_file *f, const char *name, __u64 map_start, __u64 map_pgoff,
			__u64 *addr);

/**
 * elfsym__build_id() - the build-id of the file.
 * @f: the file.
 *
 * Return: lowercase hex, "" when the file has none.
 */
const char *elfsym__build_id(const struct elfsym_file *f);

/**
 * elfsym__stripped() - is the file without a full symbol table?
 * @f: the file.
 *
 * Return: true when neither the file nor a debug file for it has a .symtab: only exported
 * (.dynsym) functions can be found, so a static or hidden one will be reported missing.
 */
bool elfsym__stripped(const struct elfsym_file *f);

/**
 * elfsym__debug_path() - the separate debug file in use.
 * @f: the file.
 *
 * Return: its path as opened (with the root prefix), or NULL when none is used: the file has its
 * own .symtab, or no acceptable debug file was found.
 */
const char *elfsym__debug_path(const struct elfsym_file *f);

/**
 * elfsym__go() - is the file a Go program: does it carry a .gopclntab (of any Go version)?
 * @f: the file.
 *
 * Go code must not get return probes: a uretprobe replaces the return address on the stack, and
 * the Go runtime, which moves goroutine stacks and walks them, then fails ("unexpected return
 * pc") and crashes the program.
 *
 * Return: true for a Go program, false otherwise or when @f is NULL.
 */
bool elfsym__go(struct elfsym_file *f);

/*
 * What the kernel does at each hit of a uprobe, by the instruction the breakpoint replaces
 * (x86-64, arch/x86/kernel/uprobes.c). A hit traps on the int3 (but see NOP5); what follows
 * differs in cost.
 */
enum uprobe_site_kind {
	UPROBE_SITE_NOP5,   /* 0f 1f 44 00 00: kernels with the uprobe syscall (6.18 has it)
			     * turn it into a call to a trampoline after the first hit, no trap;
			     * older ones emulate it, or before 2025 single-step it */
	UPROBE_SITE_NOP,    /* another nop: 90 and 66 90 emulated; NOPL (0f 1f /0) emulated
			     * since 2025, single-stepped before */
	UPROBE_SITE_PUSH,   /* push %reg (50-57, 41 50-57): emulated */
	UPROBE_SITE_BRANCH, /* call/jmp rel32 (e8, e9), jmp rel8, jcc: emulated */
	UPROBE_SITE_STEP,   /* anything else, endbr64 included: copied out of line and
			     * single-stepped, a second trap per hit */
};

/**
 * elfsym__site_kind() - classify the first instruction at a probe site.
 * @code: bytes at the site, e.g. elfsym_sym.code.
 * @len: how many bytes of @code are valid.
 *
 * A conservative decoder of the few encodings the kernel treats specially; anything it does not
 * recognise (or too few bytes) is UPROBE_SITE_STEP. endbr64 (f3 0f 1e fa), the first instruction
 * of functions built with -fcf-protection, is not among the nops the kernel emulates, so such a
 * site is single-stepped; the instruction after it often is a push.
 *
 * Return: the kind of site.
 */
enum uprobe_site_kind elfsym__site_kind(const unsigned char *code, int len);

/**
 * elfsym__site_kind_name() - a short name for a site kind, for reports.
 * @k: the kind.
 *
 * Return: "nop5", "nop (emulated)", "push (emulated)", "branch (emulated)", "single-step", or
 * "unknown" for a value outside the enum.
 */
const char *elfsym__site_kind_name(enum uprobe_site_kind k);

/**
 * elfsym__object_at() - the data object (STT_OBJECT) that holds the byte at @file_offset of the
 * file's loaded contents, from .symtab, .dynsym or the debug file, without its symbol version,
 * and "+0x.." when the byte is not its first.  .bss counts as continuing the file: the offset
 * a mapping of the file would give it.
 * Return: 0 and @name; -ENOENT when no object covers it; -EINVAL.
 */
int elfsym__object_at(struct elfsym_file *f, __u64 file_offset, char *name, size_t len);

/**
 * elfsym__func_at() - the function that starts at @vaddr, without its symbol version.
 * @f: the file.
 * @vaddr: an ELF virtual address, e.g. a call's target.
 * @exported: only the dynamic symbol table (.dynsym): what other objects can call.
 * @name: receives the name.
 * @len: room in @name.
 * Return: 0; -ENOENT when no function starts there; -EINVAL.
 */
int elfsym__func_at(struct elfsym_file *f, __u64 vaddr, bool exported, char *name, size_t len);

/**
 * elfsym__elf() - the main file's libelf handle, for readers of its code (disasm.h); it lives as
 * long as @f.  Return: NULL when @f is NULL.
 */
Elf *elfsym__elf(struct elfsym_file *f);

#endif /* MT_ELFSYM_H */
