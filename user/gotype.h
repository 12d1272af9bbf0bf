/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The Go type of a map, from its type descriptor (the *maptype runtime.hashGrow and the Swiss
 * table's grow functions receive): "map[int]int", "map[string]*main.Node", or a named map
 * type's name ("ast.SymbolTable" for type SymbolTable map[string]*Symbol), as %T prints it.
 *
 * A descriptor's name is a nameOff from moduledata.types (runtime._type / abi.Type: str, an
 * int32 at +40; tflagExtraStar, bit 1 of tflag at +20, says the name has a leading '*' to
 * drop; tflagNamed, bit 2, a named type; kind at +23, 21 a map).  The name is a flag byte, a varint
 * length and the bytes. moduledata itself is found without symbols: it is the one place in the
 * writable data whose first word points to the pclntab's header, and whose text and types fields
 * lie where the program headers say code and read-only data are.  Everything is read from the
 * executable file, so a name is found for every descriptor the linker wrote (not for types reflect
 * makes at run time), in executables of Go 1.18 and later that are not position-independent.
 */
#ifndef MT_GOTYPE_H
#define MT_GOTYPE_H

#include <stddef.h>
#include <linux/types.h>

struct gotypes;

/**
 * gotypes__open() - read the Go executable at @path (e.g. /proc/PID/exe) for its type names.
 * Return: 0 and *@out; -ENOENT when it is not Go or its moduledata is not found; -ENOTSUP for
 * a PIE or a Go version before 1.18 (or unknown); -errno when it cannot be read; -ENOMEM.
 */
int gotypes__open(const char *path, struct gotypes **out);

/**
 * gotypes__name() - the Go name of the map type whose descriptor is at virtual address @type.
 * Looked up once per descriptor: the answer (or its absence) is cached.
 * Return: the name, valid while @gt lives; NULL when @type is no map type descriptor of the
 * executable.
 */
const char *gotypes__name(struct gotypes *gt, __u64 type);

/** gotypes__close() - release it; NULL is fine. */
void gotypes__close(struct gotypes *gt);

#endif /* MT_GOTYPE_H */
