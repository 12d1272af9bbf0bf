/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef MAPTRACE_SYMBOLIZER_H
#define MAPTRACE_SYMBOLIZER_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

/*
 * User-space stack symbolizer.
 *
 * Turns an instruction pointer of a (possibly containerised) process into a function, offset,
 * source line and module. Modules are opened through /proc/PID/root so that the target's own
 * view of the file system is used, and debug info is looked up by build-id and .gnu_debuglink.
 * State is cached per process (its mappings) and per module (symbols, DWARF, resolved
 * addresses); modules are shared between processes that map the same file.
 *
 * Not thread-safe: use one symbolizer per thread or serialise calls.
 */

struct symbolizer;
struct proc_maps_cache;

struct sym_frame {
	char func[2048];   /* function name, demangled, "" when unknown (C++ templates are long) */
	__u64 offset;	   /* ip - function start; module-relative address when func is "" */
	char module[256];  /* path of the mapped object as the target sees it, "" if anonymous */
	char file[256];	   /* source file basename when DWARF line info exists, else "" */
	int line;	   /* 0 when unknown */
	char build_id[41]; /* hex build-id of the module, "" when none */
	int exact;	   /* 1: a symbol or DWARF function covers ip; 0: nearest symbol below */
	int data;	   /* 1: ip is in a mapping that cannot run ([stack], heap, data) */
};

/**
 * symbolizer__new() - create an empty symbolizer.
 * @maps: where processes' mappings are read through, shared with the unwinder and others so
 *	that one snapshot serves them all; it must outlive the symbolizer.  NULL: the symbolizer
 *	reads them itself.
 *
 * Return: a new symbolizer, or NULL with errno set (ENOMEM, or the libelf version mismatch
 * reported as EINVAL).
 */
struct symbolizer *symbolizer__new(struct proc_maps_cache *maps);

/**
 * symbolizer__free() - release a symbolizer and every cached process and module.
 * @sz: symbolizer, may be NULL.
 */
void symbolizer__free(struct symbolizer *sz);

/**
 * symbolizer__resolve() - resolve one user-space address of a process.
 * @sz: symbolizer.
 * @pid: process (or thread) id whose address space @ip belongs to.
 * @ip: the address to resolve. For return addresses of frames other than the innermost, pass
 *	ip - 1 so that the call instruction, not the one after it, is looked up.
 * @frame: filled on success.
 *
 * The process's mappings are taken on first use from the cache given to symbolizer__new(),
 * however old (read at attach, say); when @ip lies outside all of them they are read once more,
 * since the process may have loaded a library since (unless they were just read for this call).
 * A module that cannot be opened or has no symbols still yields 0, with @frame->func "" and
 * @frame->offset set to the module-relative address (the ELF virtual address when the module
 * could be read, the file offset otherwise).
 *
 * Return: 0 on success; -ESRCH when the process is gone, -ENOENT when no mapping of the process
 * covers @ip, -EACCES when its mappings may not be read, -EINVAL or -ENOMEM otherwise.
 */
int symbolizer__resolve(struct symbolizer *sz, int pid, __u64 ip, struct sym_frame *frame);

/* Whether the module mapped from @path (as the target sees it) should be prepared. */
typedef bool (*symbolizer_want_fn)(const char *path, void *ctx);

/**
 * symbolizer__prepare() - set up now the DWARF of the modules of @pid that @want picks.
 * @sz: symbolizer.
 * @pid: the process, whose mappings are taken as symbolizer__resolve() takes them.
 * @want: called with the path of each code mapping that has DWARF, and @ctx.
 * @ctx: passed to @want.
 *
 * A module's DWARF is otherwise set up at its first address, and that is costly (libdw
 * decompresses the debug sections: tens of milliseconds for libc6-dbg's): call this where the
 * cost does no harm, before the traced program runs, for the modules its stacks will go through.
 * Resolving gives the same frames either way.
 *
 * Return: the number of modules whose DWARF is ready, or -errno as symbolizer__resolve().
 */
int symbolizer__prepare(struct symbolizer *sz, int pid, symbolizer_want_fn want, void *ctx);

/**
 * symbolizer__forget() - drop cached state of a process.
 * @sz: symbolizer.
 * @pid: the process; nothing happens when it is not cached.
 *
 * Call it when the process execs or exits: its mappings are no longer valid, and a reused pid
 * would otherwise be symbolized with the old process's layout. Modules no other cached process
 * uses are freed, and the process's snapshot leaves the shared mappings cache too.
 */
void symbolizer__forget(struct symbolizer *sz, int pid);

/**
 * sym_frame__format() - render a frame on one line.
 * @f: a frame filled by symbolizer__resolve().
 * @buf: destination, always NUL-terminated when @len > 0.
 * @len: size of @buf.
 *
 * Produces "func+0xoff (file:line)", "func+0xoff" without line info, or "module+0xaddr" when the
 * function is unknown ("[unknown]+0xaddr" for anonymous memory).
 *
 * Return: 0, -EINVAL on bad arguments, or -ENOSPC when the text was truncated.
 */
int sym_frame__format(const struct sym_frame *f, char *buf, size_t len);

#endif /* MAPTRACE_SYMBOLIZER_H */
