// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * .gopclntab and .go.buildinfo readers, after the layouts the Go runtime defines
 * (runtime/symtab.go: pcHeader, functab, pcvalue; runtime/runtime2.go: _func;
 * debug/buildinfo).  Everything is read from the file's bytes with bounds checks: a truncated
 * or hostile binary yields -EINVAL, never a read past the table.
 *
 * The pclntab, from its header on (offsets in the header are from the header's first byte):
 *   pcHeader  magic u32, pad u8 x2, minLC u8, ptrSize u8, nfunc, nfiles, textStart,
 *             funcnameOffset, cuOffset, filetabOffset, pctabOffset, pclnOffset (ptrSize each)
 *   functab   at pclnOffset: nfunc+1 pairs {entryoff u32, funcoff u32}, the last one's entryoff
 *             the end of the text; funcoff is from pclnOffset to the function's _func
 *   _func     entryoff u32, nameoff i32, args, deferreturn, pcsp, pcfile, pcln, npcdata,
 *             cuOffset (u32 each), then fields that differ between 1.18 and 1.20 (unused here)
 *   pcvalue   tables in pctab: pairs of varints, a zig-zag value delta then a pc delta (in
 *             minLC units); the value starts at -1, the pc at the function's entry
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gelf.h>

#include "gopclntab.h"

#define MAGIC_118 0xfffffff0u
#define MAGIC_120 0xfffffff1u
#define MAGIC_116 0xfffffffau
#define MAGIC_12  0xfffffffbu

#define HDR_SIZE	    (8 + 8 * 8) /* with 8-byte pointers, the only size read here */
#define FUNC_MIN	    36		/* _func through cuOffset */
#define NO_FILE		    0xffffffffu /* a cutab entry for a file the CU does not use */
#define BUILDINFO_MAGIC	    "\xff Go buildinf:"
#define BUILDINFO_MAGIC_LEN 14
#define BUILDINFO_HDR	    32
#define BUILDINFO_INLINE    0x2 /* strings follow the header, varint-length-prefixed */

struct gopcln {
	Elf *elf;
	int own_fd;		  /* -1 unless gopcln__open() opened the file */
	const unsigned char *tab; /* the pclntab header */
	size_t tablen;		  /* bytes of the file from tab on that may belong to it */
	__u32 magic;
	unsigned int minlc;
	__u64 nfunc;
	__u64 text_start;
	__u64 funcname_off, cu_off, filetab_off, pctab_off, functab_off;
	char version[64];
	const char *version_from; /* ".go.buildinfo", "runtime.buildVersion" or "" */
	char module[256];
};

static __u32 le32(const unsigned char *p)
{
	return (__u32)p[0] | (__u32)p[1] << 8 | (__u32)p[2] << 16 | (__u32)p[3] << 24;
}

static __u64 le64(const unsigned char *p)
{
	return (__u64)le32(p) | (__u64)le32(p + 4) << 32;
}

/* A NUL-terminated string at tab + @off within the table, or NULL. */
static const char *tab_str(const struct gopcln *g, __u64 off)
{
	if (off >= g->tablen || !memchr(g->tab + off, '\0', g->tablen - off))
		return NULL;
	return (const char *)g->tab + off;
}

static bool tab_has(const struct gopcln *g, __u64 off, __u64 len)
{
	return off <= g->tablen && len <= g->tablen - off;
}

/* ---- finding the tables ------------------------------------------------------------------- */

static Elf_Scn *section_by_name(Elf *elf, const char *want, GElf_Shdr *sh)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	const char *name;

	if (elf_getshdrstrndx(elf, &shstrndx) != 0)
		return NULL;
	while ((scn = elf_nextscn(elf, scn))) {
		if (!gelf_getshdr(scn, sh) || sh->sh_type == SHT_NOBITS)
			continue;
		name = elf_strptr(elf, shstrndx, sh->sh_name);
		if (name && strcmp(name, want) == 0)
			return scn;
	}
	return NULL;
}

/*
 * Does a pclntab header of any known format start at @p (@avail bytes readable)?  The magic
 * alone is four bytes any data may hold; the padding, instruction size and pointer size that
 * follow it make a false match unlikely, and the offsets are checked once it is chosen.
 */
static bool looks_like_header(const unsigned char *p, size_t avail)
{
	__u32 m;

	if (avail < 8)
		return false;
	m = le32(p);
	if (m != MAGIC_118 && m != MAGIC_120 && m != MAGIC_116 && m != MAGIC_12)
		return false;
	return p[4] == 0 && p[5] == 0 && (p[6] == 1 || p[6] == 2 || p[6] == 4) &&
	       (p[7] == 4 || p[7] == 8);
}

/*
 * Is the header-like @p (@avail bytes on) consistent enough to be a pclntab found without its
 * section?  Four bytes of magic and four small ones occur in other data by chance; a C
 * library taken for Go would lose its symbols and its return probes.  So the rest of the
 * header must hold too (64-bit layouts only, the only ones read): a function count that fits,
 * and for 1.16 and later the table offsets in the order the linker writes them (function
 * names, CU table, file table, pc tables, function table) and within the bytes there are; for
 * 1.2-1.15, whose function table follows the header, entry pcs that increase.
 */
static bool plausible_header(const unsigned char *p, size_t avail)
{
	__u32 m = le32(p);
	__u64 nfunc, prev = 0, off, pc;
	size_t first, i;

	if (p[7] != 8 || avail < HDR_SIZE)
		return false;
	nfunc = le64(p + 8);
	if (!nfunc || nfunc > avail / 16)
		return false;
	if (m == MAGIC_12) {
		for (i = 0; i < nfunc && i < 16 && 16 + i * 16 + 8 <= avail; i++) {
			pc = le64(p + 16 + i * 16);
			if (pc <= prev)
				return false;
			prev = pc;
		}
		return true;
	}
	/* 1.18+ has textStart between nfiles and the offsets; 1.16 has not */
	first = m == MAGIC_116 ? 24 : 32;
	for (i = 0; i < 5; i++) {
		off = le64(p + first + i * 8);
		if (off <= prev || off >= avail)
			return false;
		prev = off;
	}
	return prev + (nfunc + 1) * 8 <= avail;
}

/*
 * Where the pclntab is: its section, else the first header-like bytes in a non-executable
 * PT_LOAD segment's file contents (the linker aligns it to at least 8): a file without section
 * headers, or a PIE whose linker put it inside .data.rel.ro.
 */
static int locate_pclntab(Elf *elf, const unsigned char *raw, size_t rawlen,
			  const unsigned char **tab, size_t *tablen)
{
	GElf_Shdr sh;
	GElf_Phdr ph;
	size_t nph, i;
	__u64 off, end;

	/* PIE builds keep it in .data.rel.ro, as .data.rel.ro.gopclntab or inside that section */
	if (section_by_name(elf, ".gopclntab", &sh) ||
	    section_by_name(elf, ".data.rel.ro.gopclntab", &sh)) {
		if (sh.sh_offset > rawlen || sh.sh_size > rawlen - sh.sh_offset)
			return -EINVAL;
		*tab = raw + sh.sh_offset;
		*tablen = sh.sh_size;
		return looks_like_header(*tab, *tablen) ? 0 : -EINVAL;
	}
	if (elf_getphdrnum(elf, &nph) != 0)
		return -ENOENT;
	for (i = 0; i < nph; i++) {
		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD || (ph.p_flags & PF_X))
			continue;
		if (ph.p_offset > rawlen)
			continue;
		end = ph.p_offset + ph.p_filesz < rawlen ? ph.p_offset + ph.p_filesz : rawlen;
		for (off = (ph.p_offset + 7) & ~7ull; off + HDR_SIZE <= end; off += 8) {
			if (looks_like_header(raw + off, end - off) &&
			    plausible_header(raw + off, end - off)) {
				*tab = raw + off;
				*tablen = end - off;
				return 0;
			}
		}
	}
	return -ENOENT;
}

/* Check the header's offsets and the function table against the bytes there are. */
static int parse_header(struct gopcln *g, char *why, size_t len)
{
	const unsigned char *p = g->tab;

	g->magic = le32(p);
	if (g->magic == MAGIC_116 || g->magic == MAGIC_12) {
		if (why)
			snprintf(why, len,
				 "its .gopclntab is of Go %s (magic %#x), which maptrace does not "
				 "read; rebuild it with Go 1.18 or later",
				 g->magic == MAGIC_116 ? "1.16-1.17" : "1.2-1.15", g->magic);
		return -ENOTSUP;
	}
	if (p[7] != 8) {
		if (why)
			snprintf(why, len,
				 "its .gopclntab has %u-byte pointers; maptrace reads "
				 "64-bit Go binaries only",
				 p[7]);
		return -ENOTSUP;
	}
	if (g->tablen < HDR_SIZE)
		return -EINVAL;
	g->minlc = p[6];
	g->nfunc = le64(p + 8);
	g->text_start = le64(p + 24);
	g->funcname_off = le64(p + 32);
	g->cu_off = le64(p + 40);
	g->filetab_off = le64(p + 48);
	g->pctab_off = le64(p + 56);
	g->functab_off = le64(p + 64);
	if (!g->nfunc || g->nfunc > g->tablen / 8 || !tab_has(g, g->funcname_off, 0) ||
	    !tab_has(g, g->cu_off, 0) || !tab_has(g, g->filetab_off, 0) ||
	    !tab_has(g, g->pctab_off, 0) || !tab_has(g, g->functab_off, (g->nfunc + 1) * 8))
		return -EINVAL;
	return 0;
}

/* ---- build info --------------------------------------------------------------------------- */

/* A uvarint at @p, at most @avail bytes; returns the bytes it took, 0 when malformed. */
static size_t uvarint(const unsigned char *p, size_t avail, __u64 *v)
{
	unsigned int shift = 0;
	size_t i;

	*v = 0;
	for (i = 0; i < avail && i < 10; i++) {
		*v |= (__u64)(p[i] & 0x7f) << shift;
		if (!(p[i] & 0x80))
			return i + 1;
		shift += 7;
	}
	return 0;
}

/* Only printable ASCII: text from the binary is printed, and must not reach a terminal raw. */
static bool printable(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] < 0x20 || p[i] > 0x7e)
			return false;
	return true;
}

/* The main module's path from the module info text: its "mod" line, else its "path" line. */
static void module_from_info(const char *info, size_t size, char *out, size_t len)
{
	const char *p = info, *end = info + size, *nl, *tab;
	bool have_path = false;
	size_t n;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		tab = memchr(p, '\t', (size_t)(nl - p));
		if (tab && (size_t)(tab - p) == 3 && !memcmp(p, "mod", 3)) {
			const char *e = memchr(tab + 1, '\t', (size_t)(nl - tab - 1));

			n = (size_t)((e ? e : nl) - tab - 1);
			if (n < len && printable((const unsigned char *)tab + 1, n))
				snprintf(out, len, "%.*s", (int)n, tab + 1);
			return;
		}
		if (tab && !have_path && (size_t)(tab - p) == 4 && !memcmp(p, "path", 4)) {
			n = (size_t)(nl - tab - 1);
			if (n < len && printable((const unsigned char *)tab + 1, n))
				snprintf(out, len, "%.*s", (int)n, tab + 1);
			have_path = true;
		}
		p = nl + 1;
	}
}

/*
 * The Go 1.18+ build info: a 32-byte header (magic, pointer size, flags), then with the
 * inline flag the version and the module info as length-prefixed strings.  The older format
 * points at Go strings instead; it comes with an older pclntab, which is refused anyway.
 */
static void read_buildinfo(struct gopcln *g, const unsigned char *raw, size_t rawlen)
{
	const unsigned char *p = NULL, *end = NULL;
	GElf_Shdr sh;
	GElf_Phdr ph;
	size_t nph, i, n;
	__u64 off, lim, slen, mlen;

	if (section_by_name(g->elf, ".go.buildinfo", &sh) && sh.sh_offset <= rawlen &&
	    sh.sh_size <= rawlen - sh.sh_offset && sh.sh_size >= BUILDINFO_HDR &&
	    !memcmp(raw + sh.sh_offset, BUILDINFO_MAGIC, BUILDINFO_MAGIC_LEN)) {
		p = raw + sh.sh_offset;
		end = p + sh.sh_size;
	} else if (elf_getphdrnum(g->elf, &nph) == 0) {
		/* no section: 16-aligned in a writable segment, as debug/buildinfo finds it */
		for (i = 0; !p && i < nph; i++) {
			if (!gelf_getphdr(g->elf, (int)i, &ph) || ph.p_type != PT_LOAD ||
			    !(ph.p_flags & PF_W) || ph.p_offset > rawlen)
				continue;
			lim = ph.p_offset + ph.p_filesz < rawlen ? ph.p_offset + ph.p_filesz
								 : rawlen;
			for (off = (ph.p_offset + 15) & ~15ull; off + BUILDINFO_HDR <= lim;
			     off += 16) {
				if (!memcmp(raw + off, BUILDINFO_MAGIC, BUILDINFO_MAGIC_LEN)) {
					p = raw + off;
					end = raw + lim;
					break;
				}
			}
		}
	}
	if (!p || !(p[15] & BUILDINFO_INLINE))
		return;
	p += BUILDINFO_HDR;
	n = uvarint(p, (size_t)(end - p), &slen);
	/* a version is short and plain text; anything else is not one to print */
	if (!n || slen > (__u64)(end - p - n) || slen >= sizeof(g->version) ||
	    !printable(p + n, (size_t)slen))
		return;
	snprintf(g->version, sizeof(g->version), "%.*s", (int)slen, p + n);
	g->version_from = ".go.buildinfo";
	p += n + slen;
	n = uvarint(p, (size_t)(end - p), &mlen);
	if (!n || mlen > (__u64)(end - p - n))
		return;
	p += n;
	/* the module info is framed by 16-byte sentinels, as the linker writes it */
	if (mlen >= 33 && p[mlen - 17] == '\n')
		module_from_info((const char *)p + 16, mlen - 32, g->module, sizeof(g->module));
	else
		module_from_info((const char *)p, mlen, g->module, sizeof(g->module));
}

/* "go1.N" or "go1.N.M" (an "rc"/"beta" suffix too) at @p, NUL-terminated: its length or 0. */
static size_t version_at(const unsigned char *p, size_t avail)
{
	size_t i = 4, dots = 0;

	if (avail < 6 || memcmp(p, "go1.", 4) != 0 || p[4] < '0' || p[4] > '9')
		return 0;
	for (; i < avail && i < 32 && p[i]; i++) {
		if (p[i] == '.' && p[i - 1] != '.')
			dots++;
		else if (!(p[i] >= '0' && p[i] <= '9') && !(p[i] >= 'a' && p[i] <= 'z'))
			return 0;
	}
	return i < avail && !p[i] && dots <= 1 ? i : 0;
}

/*
 * Without build info (esbuild drops the section): the runtime's own copy, runtime.buildVersion,
 * a Go string the linker writes as its own NUL-padded symbol in the read-only data.  Without a
 * symbol table it is found by its shape: "go1.N[.M]" right after a non-text byte and followed
 * by a NUL, outside the pclntab (whose file names may contain such text).  Taken only when
 * every such string agrees.
 */
static void scan_build_version(struct gopcln *g, const unsigned char *raw, size_t rawlen)
{
	const unsigned char *found = NULL;
	size_t nph, i, n, found_len = 0;
	__u64 off, end;
	GElf_Phdr ph;

	if (elf_getphdrnum(g->elf, &nph) != 0)
		return;
	for (i = 0; i < nph; i++) {
		if (!gelf_getphdr(g->elf, (int)i, &ph) || ph.p_type != PT_LOAD ||
		    (ph.p_flags & (PF_X | PF_W)) || ph.p_offset > rawlen)
			continue;
		end = ph.p_offset + ph.p_filesz < rawlen ? ph.p_offset + ph.p_filesz : rawlen;
		for (off = ph.p_offset + 1; off + 6 < end; off++) {
			const unsigned char *p = raw + off;

			if (p[0] != 'g' || p[1] != 'o' || p[-1] >= 0x20)
				continue;
			if (p >= g->tab && p < g->tab + g->tablen)
				continue;
			n = version_at(p, (size_t)(end - off));
			if (!n)
				continue;
			if (found && (n != found_len || memcmp(found, p, n)))
				return; /* two different versions: neither can be trusted */
			found = p;
			found_len = n;
		}
	}
	if (found) {
		snprintf(g->version, sizeof(g->version), "%.*s", (int)found_len, found);
		g->version_from = "runtime.buildVersion";
	}
}

/* ---- opening ------------------------------------------------------------------------------ */

/* PIE builds leave textStart to a relocation: the file then holds 0, and .text is the base. */
static void fix_text_start(struct gopcln *g)
{
	GElf_Shdr sh;

	if (!g->text_start && section_by_name(g->elf, ".text", &sh))
		g->text_start = sh.sh_addr;
}

int gopcln__from_elf(Elf *elf, struct gopcln **out, char *why, size_t len)
{
	const unsigned char *raw;
	struct gopcln *g;
	size_t rawlen;
	int err;

	if (why && len)
		why[0] = '\0';
	if (!elf || !out)
		return -EINVAL;
	*out = NULL;
	raw = (const unsigned char *)elf_rawfile(elf, &rawlen);
	if (!raw)
		return -EINVAL;
	g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	g->elf = elf;
	g->own_fd = -1;
	g->version_from = "";
	err = locate_pclntab(elf, raw, rawlen, &g->tab, &g->tablen);
	if (!err)
		err = parse_header(g, why, len);
	if (err) {
		free(g);
		return err;
	}
	fix_text_start(g);
	read_buildinfo(g, raw, rawlen);
	if (!g->version[0])
		scan_build_version(g, raw, rawlen);
	*out = g;
	return 0;
}

int gopcln__open(const char *path, struct gopcln **out, char *why, size_t len)
{
	Elf *elf = NULL;
	int fd, err;

	if (why && len)
		why[0] = '\0';
	if (!path || !out)
		return -EINVAL;
	*out = NULL;
	if (elf_version(EV_CURRENT) == EV_NONE)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF) {
		err = -ENOEXEC;
		goto cleanup;
	}
	err = gopcln__from_elf(elf, out, why, len);
	if (err)
		goto cleanup;
	(*out)->own_fd = fd;
	return 0;
cleanup:
	if (elf)
		elf_end(elf);
	close(fd);
	return err;
}

void gopcln__close(struct gopcln *g)
{
	if (!g)
		return;
	if (g->own_fd >= 0) {
		elf_end(g->elf);
		close(g->own_fd);
	}
	free(g);
}

const char *gopcln__go_version(const struct gopcln *g)
{
	return g ? g->version : "";
}

const char *gopcln__version_from(const struct gopcln *g)
{
	return g ? g->version_from : "";
}

int gopcln__go_minor(const struct gopcln *g)
{
	int minor = 0;

	if (!g || sscanf(g->version, "go1.%d", &minor) != 1)
		return 0;
	return minor;
}

__u64 gopcln__table_offset(const struct gopcln *g)
{
	size_t n;
	const char *raw = g ? elf_rawfile(g->elf, &n) : NULL;

	return raw ? (__u64)((const char *)g->tab - raw) : 0;
}

const char *gopcln__module(const struct gopcln *g)
{
	return g ? g->module : "";
}

const char *gopcln__format(const struct gopcln *g)
{
	return g && g->magic == MAGIC_118 ? "Go 1.18-1.19" : "Go 1.20+";
}

size_t gopcln__nfuncs(const struct gopcln *g)
{
	return g ? (size_t)g->nfunc : 0;
}

/* ---- functions ---------------------------------------------------------------------------- */

static __u32 functab_entryoff(const struct gopcln *g, __u64 i)
{
	return le32(g->tab + g->functab_off + i * 8);
}

int gopcln__func(const struct gopcln *g, size_t i, struct gopcln_func *f)
{
	__u64 foff;
	__s32 nameoff;

	if (!g || !f)
		return -EINVAL;
	if (i >= g->nfunc)
		return -ERANGE;
	foff = g->functab_off + le32(g->tab + g->functab_off + i * 8 + 4);
	if (!tab_has(g, foff, FUNC_MIN))
		return -EINVAL;
	nameoff = (__s32)le32(g->tab + foff + 4);
	f->name = nameoff < 0 ? NULL : tab_str(g, g->funcname_off + (__u64)nameoff);
	if (!f->name)
		return -EINVAL;
	f->entry = g->text_start + functab_entryoff(g, i);
	f->end = g->text_start + functab_entryoff(g, i + 1);
	f->off = (__u32)(foff - g->functab_off);
	return 0;
}

int gopcln__find_pc(const struct gopcln *g, __u64 pc, struct gopcln_func *f)
{
	__u64 lo = 0, hi, mid, rel;

	if (!g || !f)
		return -EINVAL;
	if (pc < g->text_start)
		return -ENOENT;
	rel = pc - g->text_start;
	/* entries are sorted; the last pair's entryoff is the end of the text */
	if (rel >= functab_entryoff(g, g->nfunc) || rel < functab_entryoff(g, 0))
		return -ENOENT;
	hi = g->nfunc;
	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if (functab_entryoff(g, mid) <= rel)
			lo = mid;
		else
			hi = mid;
	}
	return gopcln__func(g, (size_t)lo, f);
}

int gopcln__find_name(const struct gopcln *g, const char *name, struct gopcln_func *f)
{
	size_t i;

	if (!g || !name || !f)
		return -EINVAL;
	for (i = 0; i < g->nfunc; i++) {
		if (gopcln__func(g, i, f) == 0 && strcmp(f->name, name) == 0)
			return 0;
	}
	return -ENOENT;
}

/* ---- source lines ------------------------------------------------------------------------- */

/*
 * The value a pcvalue table at pctab + @tableoff gives @pc of a function entered at @entry:
 * each step adds a zig-zag value delta, then moves the pc; the first step whose pc passes
 * @pc holds the value.  A zero value delta ends the table, except on the first step.
 */
static int pcvalue(const struct gopcln *g, __u32 tableoff, __u64 entry, __u64 pc, __s32 *out)
{
	const unsigned char *p, *end = g->tab + g->tablen;
	__u64 cur = entry, uv, pcd;
	__s32 val = -1;
	bool first = true;
	size_t n;

	if (!tableoff || !tab_has(g, g->pctab_off + tableoff, 1))
		return -ENOENT;
	p = g->tab + g->pctab_off + tableoff;
	for (;;) {
		n = uvarint(p, (size_t)(end - p), &uv);
		if (!n)
			return -EINVAL;
		if (uv == 0 && !first)
			return -ENOENT;
		first = false;
		p += n;
		val += (__s32)((uv & 1) ? ~(__u32)(uv >> 1) : (__u32)(uv >> 1));
		n = uvarint(p, (size_t)(end - p), &pcd);
		if (!n)
			return -EINVAL;
		p += n;
		cur += pcd * g->minlc;
		if (pc < cur) {
			*out = val;
			return 0;
		}
	}
}

int gopcln__line(const struct gopcln *g, const struct gopcln_func *f, __u64 pc, const char **file,
		 int *line)
{
	const unsigned char *fn;
	__s32 fileno, ln;
	__u64 idx;
	__u32 foff;
	int err;

	if (!g || !f || !file || !line || !tab_has(g, g->functab_off + f->off, FUNC_MIN))
		return -EINVAL;
	if (pc < f->entry || pc >= f->end)
		return -ENOENT;
	fn = g->tab + g->functab_off + f->off;
	err = pcvalue(g, le32(fn + 20), f->entry, pc, &fileno);
	if (!err)
		err = pcvalue(g, le32(fn + 24), f->entry, pc, &ln);
	if (err)
		return err;
	if (fileno < 0 || ln < 0)
		return -ENOENT;
	/* the file number is an index into the function's compilation unit's part of cutab */
	idx = (__u64)le32(fn + 32) + (__u64)fileno;
	if (!tab_has(g, g->cu_off + idx * 4, 4))
		return -EINVAL;
	foff = le32(g->tab + g->cu_off + idx * 4);
	if (foff == NO_FILE)
		return -ENOENT;
	*file = tab_str(g, g->filetab_off + foff);
	if (!*file)
		return -EINVAL;
	*line = ln;
	return 0;
}

/* ---- a summary ---------------------------------------------------------------------------- */

int gopcln__info(const char *path, struct gopcln_info *info, char *why, size_t len)
{
	struct gopcln_func f;
	struct gopcln *g;
	GElf_Shdr sh;
	int err, minor;

	if (!info)
		return -EINVAL;
	memset(info, 0, sizeof(*info));
	err = gopcln__open(path, &g, why, len);
	if (err)
		return err;
	snprintf(info->version, sizeof(info->version), "%s", g->version);
	info->version_from = g->version_from;
	snprintf(info->module, sizeof(info->module), "%s", g->module);
	info->format = gopcln__format(g);
	info->nfuncs = (size_t)g->nfunc;
	/* the symbolizer and elfsym prefer a symbol table, and read pclntab only without one */
	info->symbols = section_by_name(g->elf, ".symtab", &sh) ? ".symtab" : ".gopclntab";
	minor = gopcln__go_minor(g);
	info->maps = "";
	info->maps_why = "";
	if (!gopcln__find_name(g, "internal/runtime/maps.(*table).grow", &f)) {
		info->maps = "swiss";
		info->maps_why = "internal/runtime/maps.(*table).grow";
	} else if (!gopcln__find_name(g, "runtime.hashGrow", &f)) {
		info->maps = "hmap";
		info->maps_why = "runtime.hashGrow";
	} else if (minor) {
		info->maps = minor >= 24 ? "swiss" : "hmap";
		info->maps_why = "version";
	}
	gopcln__close(g);
	return 0;
}
