// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Go map types by name, from the executable's type descriptors: see gotype.h.
 *
 * Layouts, from golang/go src/runtime/symtab.go (moduledata) and src/internal/abi/type.go
 * (Type; runtime/type.go's _type before 1.21), checked against go1.19 and go1.26 binaries:
 * moduledata is pcHeader @0, six slices (funcnametab .. ftab) @8, findfunctab @152, minpc
 * @160, maxpc @168, text @176, etext, noptrdata, enoptrdata, data, edata, bss, ebss, noptrbss,
 * enoptrbss, then (Go 1.20+) covctrs and ecovctrs, then end, gcdata, gcbss, types, etypes:
 * types @280 up to Go 1.19, @296 from Go 1.20.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "elfload.h"
#include "gopclntab.h"
#include "gotype.h"
#include "u64map.h"
#include "util.h"

#define MD_TEXT		 176
#define MD_TYPES_GO118	 280 /* Go 1.18-1.19 */
#define MD_TYPES_GO120	 296 /* Go 1.20+: covctrs, ecovctrs came before end */
#define TYPE_SIZE	 48  /* _type / abi.Type up to ptrToThis */
#define TYPE_TFLAG	 20
#define TYPE_KIND	 23
#define TYPE_STR	 40
#define TFLAG_EXTRA_STAR 2
#define TFLAG_NAMED	 4
#define KIND_MASK	 31
#define KIND_MAP	 21
#define NAME_MAX_LEN	 1024 /* a longer name is cut */

struct gotypes {
	int fd;
	Elf *elf;
	const unsigned char *raw;
	size_t rawlen;
	__u64 types, etypes; /* moduledata.types, etypes: the descriptors and their names */
	struct u64map cache; /* descriptor -> index + 1 into names, or 0: not a map type */
	char **names;
	size_t nnames, cap_names;
};

static __u64 rd64(const unsigned char *p)
{
	__u64 v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* The file's bytes at virtual address @va, @len of them, or NULL. */
static const unsigned char *at_vaddr(const struct gotypes *gt, __u64 va, __u64 len)
{
	__u64 off;

	if (elfload__vaddr_to_offset(gt->elf, va, len, 0, NULL, &off) || off + len > gt->rawlen)
		return NULL;
	return gt->raw + off;
}

/* Does [@va, @va + 1) lie in a PT_LOAD with (or without) PF_X and without PF_W? */
static bool in_segment(Elf *elf, __u64 va, bool exec)
{
	size_t n, i;
	GElf_Phdr ph;

	if (elf_getphdrnum(elf, &n))
		return false;
	for (i = 0; i < n; i++) {
		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD ||
		    (ph.p_flags & PF_W) || !!(ph.p_flags & PF_X) != exec)
			continue;
		if (va >= ph.p_vaddr && va < ph.p_vaddr + ph.p_memsz)
			return true;
	}
	return false;
}

/* Find moduledata in the writable segments: its pcHeader is @pchdr (a link-time address). */
static int find_moduledata(struct gotypes *gt, __u64 pchdr, size_t types_at)
{
	size_t n, i;
	GElf_Phdr ph;
	__u64 off;

	if (elf_getphdrnum(gt->elf, &n))
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (!gelf_getphdr(gt->elf, (int)i, &ph) || ph.p_type != PT_LOAD ||
		    !(ph.p_flags & PF_W) || ph.p_offset + ph.p_filesz > gt->rawlen)
			continue;
		for (off = (8 - ph.p_offset % 8) % 8; off + types_at + 16 <= ph.p_filesz;
		     off += 8) {
			const unsigned char *md = gt->raw + ph.p_offset + off;
			__u64 types = rd64(md + types_at), etypes = rd64(md + types_at + 8);

			if (rd64(md) != pchdr || !in_segment(gt->elf, rd64(md + MD_TEXT), true) ||
			    types >= etypes || !in_segment(gt->elf, types, false) ||
			    !at_vaddr(gt, types, etypes - types))
				continue;
			gt->types = types;
			gt->etypes = etypes;
			return 0;
		}
	}
	return -ENOENT;
}

int gotypes__open(const char *path, struct gotypes **out)
{
	struct gopcln *g = NULL;
	struct gotypes *gt;
	__u64 pchdr;
	GElf_Ehdr eh;
	int err, minor;

	*out = NULL;
	gt = calloc(1, sizeof(*gt));
	if (!gt)
		return -ENOMEM;
	gt->fd = -1;
	elf_version(EV_CURRENT);
	gt->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (gt->fd < 0) {
		err = -errno;
		goto cleanup;
	}
	gt->elf = elf_begin(gt->fd, ELF_C_READ_MMAP, NULL);
	gt->raw = gt->elf ? (const unsigned char *)elf_rawfile(gt->elf, &gt->rawlen) : NULL;
	if (!gt->raw || !gelf_getehdr(gt->elf, &eh)) {
		err = -ENOEXEC;
		goto cleanup;
	}
	err = gopcln__from_elf(gt->elf, &g, NULL, 0);
	if (err)
		goto cleanup;
	minor = gopcln__go_minor(g);
	/* a PIE's moduledata holds its pointers as relocations, not in the file's bytes */
	if (eh.e_type != ET_EXEC || minor < 18) {
		err = -ENOTSUP;
		goto cleanup;
	}
	err = elfload__offset_to_vaddr(gt->elf, gopcln__table_offset(g), 0, NULL, &pchdr);
	if (!err)
		err = find_moduledata(gt, pchdr, minor >= 20 ? MD_TYPES_GO120 : MD_TYPES_GO118);
cleanup:
	gopcln__close(g);
	if (err) {
		gotypes__close(gt);
		return err;
	}
	*out = gt;
	return 0;
}

/* Read the name of the map type at @type into a new string, or NULL. */
static char *read_name(const struct gotypes *gt, __u64 type)
{
	const unsigned char *t, *p;
	__u64 len = 0, at;
	__s32 str;
	char *s;
	int i;

	if (type < gt->types || type + TYPE_SIZE > gt->etypes)
		return NULL;
	t = at_vaddr(gt, type, TYPE_SIZE);
	if (!t || (t[TYPE_KIND] & KIND_MASK) != KIND_MAP)
		return NULL;
	memcpy(&str, t + TYPE_STR, sizeof(str));
	at = gt->types + (__u64)(__s64)str;
	/* flag byte, then the length as a varint of at most 10 bytes */
	p = str > 0 ? at_vaddr(gt, at, 11) : NULL;
	if (!p)
		return NULL;
	for (i = 0; i < 10; i++) {
		len |= (__u64)(p[1 + i] & 0x7f) << (7 * i);
		if (!(p[1 + i] & 0x80))
			break;
	}
	if (i == 10 || !len || len > NAME_MAX_LEN)
		return NULL;
	p = at_vaddr(gt, at + 2 + i, len);
	if (!p)
		return NULL;
	if ((t[TYPE_TFLAG] & TFLAG_EXTRA_STAR) && p[0] == '*') {
		p++;
		len--;
	}
	/*
	 * An unnamed map type's name is its literal (map[int]int), a named one's its package and
	 * name (type SymbolTable map[string]*Symbol: ast.SymbolTable, which make() takes too)
	 */
	if (memchr(p, '\0', len) ||
	    ((t[TYPE_TFLAG] & TFLAG_NAMED) ? !memchr(p, '.', len)
					   : len < 6 || memcmp(p, "map[", 4)))
		return NULL;
	s = malloc(len + 1);
	if (s) {
		memcpy(s, p, len);
		s[len] = '\0';
	}
	return s;
}

const char *gotypes__name(struct gotypes *gt, __u64 type)
{
	__u64 idx;
	char *s;

	if (!gt || !type)
		return NULL;
	if (u64map__get(&gt->cache, type, &idx))
		return idx ? gt->names[idx - 1] : NULL;
	s = read_name(gt, type);
	if (s && GROW(gt->names, gt->nnames, gt->cap_names, 16)) {
		free(s);
		return NULL;
	}
	if (s)
		gt->names[gt->nnames++] = s;
	/* a failed put only costs the next lookup its cache */
	u64map__put(&gt->cache, type, s ? gt->nnames : 0);
	return s;
}

void gotypes__close(struct gotypes *gt)
{
	size_t i;

	if (!gt)
		return;
	for (i = 0; i < gt->nnames; i++)
		free(gt->names[i]);
	free(gt->names);
	u64map__free(&gt->cache);
	if (gt->elf)
		elf_end(gt->elf);
	if (gt->fd >= 0)
		close(gt->fd);
	free(gt);
}
