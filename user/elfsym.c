// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Symbols by name for attaching uprobes, on libelf.
 *
 * A uprobe is attached at a file offset, not at an address: the symbol's virtual address is
 * turned into one through the PT_LOAD segment that holds it (elfload.h), always of the main
 * file, since a debug file's segments describe no file contents.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gelf.h>

#include "debugfile.h"
#include "elfload.h"
#include "elfsym.h"
#include "gopclntab.h"

/* The hidden bit of a .gnu.version entry: a non-default version, "name@VER" rather than "@@". */
#define VERSYM_HIDDEN 0x8000
#define VERSYM_INDEX  0x7fff

struct elfsym_file {
	Elf *elf;
	Elf *dbg_elf; /* NULL unless the file has no .symtab and a debug file was accepted */
	bool has_symtab;
	bool dbg_has_symtab;
	bool swap; /* the file's byte order is not ours */
	struct gopcln *go; /* a Go binary's .gopclntab, read at the first need */
	bool go_tried;
	int go_err; /* what reading it gave: 0, -ENOTSUP (an older Go), -ENOENT (not Go) */
	char build_id[DEBUGFILE_BUILD_ID_HEX];
	char dbg_path[PATH_MAX];
	char path[PATH_MAX]; /* the file, for its code as it is on disk (read_code()) */
};

/* A name to look up, split at its version. */
struct query {
	const char *base;
	size_t base_len;
	const char *ver; /* NULL: any version */
	bool need_default;
	bool func; /* functions, else data objects */
};

/* A symbol's name, split the same way. */
struct sym_name {
	size_t base_len;
	const char *ver; /* NULL when unversioned */
	size_t ver_len;
	bool hidden;
};

/* Version definitions of a .dynsym: its .gnu.version entries, and the names they index. */
struct versions {
	Elf_Data *versym;
	Elf_Data *verdef;
	size_t verdef_strtab;
	size_t verdef_count;
};

struct match {
	GElf_Sym sym;
	int rank;
	bool found;
};

enum table { TABLE_SYMTAB, TABLE_DYNSYM, TABLE_DEBUG };

/* ---- opening ------------------------------------------------------------------------------ */

/*
 * The path as the target sees it, which .gnu_debuglink candidates are named after: @path without
 * its @root prefix, made absolute so that "beside the file" has a directory.
 */
static void target_path(const char *path, const char *root, char *out, size_t len)
{
	size_t rlen = strlen(root);
	char cwd[PATH_MAX];

	while (rlen && root[rlen - 1] == '/')
		rlen--;
	if (rlen && strncmp(path, root, rlen) == 0 && path[rlen] == '/')
		path += rlen;
	/* too long to be made absolute: the debug link is then looked for relative to our cwd */
	if (path[0] == '/' || !getcwd(cwd, sizeof(cwd)) ||
	    snprintf(out, len, "%s/%s", cwd, path) >= (int)len)
		snprintf(out, len, "%s", path);
}

static bool host_is_lsb(void)
{
	return __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__;
}

int elfsym__open(const char *path, const char *root, struct elfsym_file **out)
{
	struct debugfile_query q = {0};
	struct elfsym_file *f = NULL;
	char tpath[PATH_MAX];
	struct stat st;
	GElf_Ehdr eh;
	int fd = -1, err;

	if (!path || !path[0] || !out)
		return -EINVAL;
	*out = NULL;
	if (!root)
		root = "";
	if (elf_version(EV_CURRENT) == EV_NONE)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) != 0) {
		err = -errno;
		goto cleanup;
	}
	/* a FIFO or device would block or mislead libelf; a directory is not ELF either */
	if (!S_ISREG(st.st_mode)) {
		err = -ENOEXEC;
		goto cleanup;
	}
	f = calloc(1, sizeof(*f));
	if (!f) {
		err = -ENOMEM;
		goto cleanup;
	}
	snprintf(f->path, sizeof(f->path), "%s", path);
	f->elf = debugfile__elf_begin(fd);
	if (!f->elf || !gelf_getehdr(f->elf, &eh)) {
		err = -ENOEXEC;
		goto cleanup;
	}
	f->swap = (eh.e_ident[EI_DATA] == ELFDATA2LSB) != host_is_lsb();
	debugfile__build_id(f->elf, f->build_id);

	/* A .symtab has every function; only without one can a debug file add any. */
	f->has_symtab = debugfile__has_symtab(f->elf);
	if (!f->has_symtab) {
		target_path(path, root, tpath, sizeof(tpath));
		q.elf = f->elf;
		q.path = tpath;
		q.root = root;
		q.build_id = f->build_id;
		q.dev = st.st_dev;
		q.ino = st.st_ino;
		/* none found is not an error: .dynsym still has the exported functions */
		if (debugfile__open(&q, &f->dbg_elf, f->dbg_path, sizeof(f->dbg_path)) == 0)
			f->dbg_has_symtab = debugfile__has_symtab(f->dbg_elf);
	}
	*out = f;
	f = NULL;
	err = 0;
cleanup:
	elfsym__close(f);
	close(fd);
	return err;
}

void elfsym__close(struct elfsym_file *f)
{
	if (!f)
		return;
	gopcln__close(f->go);
	if (f->dbg_elf)
		elf_end(f->dbg_elf);
	if (f->elf)
		elf_end(f->elf);
	free(f);
}

const char *elfsym__build_id(const struct elfsym_file *f)
{
	return f ? f->build_id : "";
}

bool elfsym__stripped(const struct elfsym_file *f)
{
	return f && !f->has_symtab && !f->dbg_has_symtab;
}

const char *elfsym__debug_path(const struct elfsym_file *f)
{
	return f && f->dbg_elf ? f->dbg_path : NULL;
}

/* ---- symbol lookup ------------------------------------------------------------------------ */

static int parse_query(const char *name, bool func, struct query *q)
{
	const char *at;

	if (!name || !name[0])
		return -EINVAL;
	memset(q, 0, sizeof(*q));
	q->base = name;
	q->func = func;
	at = strchr(name, '@');
	if (!at) {
		q->base_len = strlen(name);
		return 0;
	}
	q->base_len = (size_t)(at - name);
	q->need_default = at[1] == '@';
	q->ver = at + 1 + q->need_default;
	return q->base_len && q->ver[0] ? 0 : -EINVAL;
}

static void find_versions(Elf *elf, size_t dynsym_ndx, struct versions *v)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr shdr;

	memset(v, 0, sizeof(*v));
	while ((scn = elf_nextscn(elf, scn))) {
		if (!gelf_getshdr(scn, &shdr))
			continue;
		if (shdr.sh_type == SHT_GNU_versym && shdr.sh_link == dynsym_ndx) {
			v->versym = elf_getdata(scn, NULL);
		} else if (shdr.sh_type == SHT_GNU_verdef) {
			v->verdef = elf_getdata(scn, NULL);
			v->verdef_strtab = shdr.sh_link;
			v->verdef_count = shdr.sh_info;
		}
	}
}

/* The name of version definition @ndx, or NULL (a version needed from another file, say). */
static const char *version_name(Elf *elf, const struct versions *v, unsigned int ndx)
{
	GElf_Verdaux aux;
	GElf_Verdef def;
	size_t off = 0, i;

	if (!v->verdef || !v->verdef->d_buf)
		return NULL;
	for (i = 0; i < v->verdef_count; i++) {
		if (!gelf_getverdef(v->verdef, (int)off, &def))
			return NULL;
		if (def.vd_ndx == ndx) {
			if (!gelf_getverdaux(v->verdef, (int)(off + def.vd_aux), &aux))
				return NULL;
			return elf_strptr(elf, v->verdef_strtab, aux.vda_name);
		}
		if (!def.vd_next)
			return NULL;
		off += def.vd_next;
	}
	return NULL;
}

/*
 * Split a symbol's name at its version: .symtab spells it in the name ("memcpy@GLIBC_2.2.5",
 * "memcpy@@GLIBC_2.14"), .dynsym in the parallel .gnu.version table.
 */
static void sym_name(Elf *elf, const char *name, const struct versions *v, size_t i,
		     struct sym_name *sn)
{
	const char *at = strchr(name, '@');
	GElf_Versym vs;

	memset(sn, 0, sizeof(*sn));
	if (at) {
		sn->base_len = (size_t)(at - name);
		sn->hidden = at[1] != '@';
		sn->ver = at + 1 + !sn->hidden;
		sn->ver_len = strlen(sn->ver);
		return;
	}
	sn->base_len = strlen(name);
	if (!v || !v->versym || !v->versym->d_buf || !gelf_getversym(v->versym, (int)i, &vs))
		return;
	sn->hidden = vs & VERSYM_HIDDEN;
	/* 0 is local, 1 the file's base version: both read as unversioned */
	if ((vs & VERSYM_INDEX) >= 2) {
		sn->ver = version_name(elf, v, vs & VERSYM_INDEX);
		sn->ver_len = sn->ver ? strlen(sn->ver) : 0;
	}
}

static bool name_matches(const struct query *q, const char *name, const struct sym_name *sn)
{
	if (sn->base_len != q->base_len || memcmp(name, q->base, q->base_len) != 0)
		return false;
	if (!q->ver)
		return true;
	if (!sn->ver || sn->ver_len != strlen(q->ver) || memcmp(sn->ver, q->ver, sn->ver_len))
		return false;
	return !q->need_default || !sn->hidden;
}

/* How well a symbol of the right name fits: lower is better, negative is not at all. */
static int sym_rank(Elf *elf, const struct query *q, const GElf_Sym *s, const struct sym_name *sn)
{
	int type = GELF_ST_TYPE(s->st_info), bind = GELF_ST_BIND(s->st_info);
	bool xindex = s->st_shndx == SHN_XINDEX;
	GElf_Shdr shdr;
	Elf_Scn *scn;
	int rank;

	/* undefined is a reference to another file; ABS and COMMON are not addresses here */
	if (s->st_shndx == SHN_UNDEF || (s->st_shndx >= SHN_LORESERVE && !xindex))
		return -1;
	if (!q->func) {
		if (type != STT_OBJECT)
			return -1;
		rank = 0;
	} else if (type == STT_FUNC || type == STT_GNU_IFUNC) {
		rank = 0;
	} else if (type == STT_NOTYPE && !xindex) {
		/* hand-written assembly leaves entry points untyped: a label in code will do */
		scn = elf_getscn(elf, s->st_shndx);
		if (!scn || !gelf_getshdr(scn, &shdr) || !(shdr.sh_flags & SHF_EXECINSTR))
			return -1;
		rank = 1000;
	} else {
		return -1;
	}
	/* what a program linking against the file gets: the default version */
	if (sn->hidden)
		rank += 100;
	if (bind == STB_WEAK)
		rank += 10;
	else if (bind != STB_GLOBAL)
		rank += 20;
	return rank;
}

static void scan_table(Elf *elf, Elf64_Word type, const struct query *q, struct match *best)
{
	struct versions v, *vp = NULL;
	struct sym_name sn;
	Elf_Scn *scn = NULL;
	const char *name;
	GElf_Shdr shdr;
	Elf_Data *data;
	size_t n, i;
	GElf_Sym s;
	int rank;

	while ((scn = elf_nextscn(elf, scn))) {
		if (!gelf_getshdr(scn, &shdr) || shdr.sh_type != type || !shdr.sh_entsize)
			continue;
		data = elf_getdata(scn, NULL);
		if (!data || !data->d_buf)
			continue;
		if (type == SHT_DYNSYM) {
			find_versions(elf, elf_ndxscn(scn), &v);
			vp = &v;
		}
		n = shdr.sh_size / shdr.sh_entsize;
		for (i = 0; i < n; i++) {
			if (!gelf_getsym(data, (int)i, &s))
				continue;
			name = elf_strptr(elf, shdr.sh_link, s.st_name);
			/* cheap reject before splitting versions: most names differ at once */
			if (!name || strncmp(name, q->base, q->base_len) != 0)
				continue;
			sym_name(elf, name, vp, i, &sn);
			if (!name_matches(q, name, &sn))
				continue;
			rank = sym_rank(elf, q, &s, &sn);
			if (rank < 0 || (best->found && rank >= best->rank))
				continue;
			best->sym = s;
			best->rank = rank;
			best->found = true;
		}
	}
}

/* The first table, in search order, that has the symbol. */
static int lookup(const struct elfsym_file *f, const struct query *q, struct match *m,
		  enum table *where)
{
	memset(m, 0, sizeof(*m));
	if (f->has_symtab) {
		scan_table(f->elf, SHT_SYMTAB, q, m);
		*where = TABLE_SYMTAB;
		if (m->found)
			return 0;
	}
	scan_table(f->elf, SHT_DYNSYM, q, m);
	*where = TABLE_DYNSYM;
	if (m->found)
		return 0;
	if (f->dbg_has_symtab) {
		scan_table(f->dbg_elf, SHT_SYMTAB, q, m);
		*where = TABLE_DEBUG;
		if (m->found)
			return 0;
	}
	return -ENOENT;
}

/*
 * "debug file PATH", keeping the end of a PATH too long to fit: the file name tells most.
 * @len must leave room for the prefix and "...", as sizeof(elfsym_sym.where) does.
 */
static void where_debug(char *out, size_t len, const char *path)
{
	static const char prefix[] = "debug file ";
	size_t plen = strlen(path), room = len - sizeof(prefix); /* characters left for the path */

	memcpy(out, prefix, sizeof(prefix) - 1);
	out += sizeof(prefix) - 1;
	if (plen > room) {
		memcpy(out, "...", 3);
		out += 3;
		room -= 3;
		path += plen - room;
		plen = room;
	}
	memcpy(out, path, plen);
	out[plen] = '\0';
}

static int read_code(struct elfsym_file *f, struct elfsym_sym *out);

/*
 * A function of a stripped Go binary by its Go name ("sync.(*Mutex).lockSlow"), from the
 * .gopclntab the runtime keeps: the only symbols such a binary has left.
 */
static void go_open(struct elfsym_file *f)
{
	if (!f->go_tried) {
		f->go_tried = true;
		f->go_err = gopcln__from_elf(f->elf, &f->go, NULL, 0);
	}
}

bool elfsym__go(struct elfsym_file *f)
{
	if (!f)
		return false;
	go_open(f);
	return f->go_err == 0 || f->go_err == -ENOTSUP;
}

static int go_find(struct elfsym_file *f, const char *name, struct elfsym_sym *out)
{
	struct gopcln_func fn;
	int err;

	go_open(f);
	if (!f->go)
		return -ENOENT;
	err = gopcln__find_name(f->go, name, &fn);
	if (err)
		return err;
	out->vaddr = fn.entry;
	out->size = fn.end - fn.entry; /* to the next function: alignment padding included */
	snprintf(out->where, sizeof(out->where), "gopclntab");
	return 0;
}

/* The defined functions of @elf's table @type matching @pattern, each to @cb.  Return: count. */
static int glob_table(Elf *elf, Elf64_Word type, const char *pattern,
		      int (*cb)(void *ctx, const char *name), void *ctx)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr shdr;
	int found = 0, err;

	while ((scn = elf_nextscn(elf, scn))) {
		Elf_Data *data;

		if (!gelf_getshdr(scn, &shdr) || shdr.sh_type != type || !shdr.sh_entsize)
			continue;
		data = elf_getdata(scn, NULL);
		for (size_t i = 0; data && data->d_buf && i < shdr.sh_size / shdr.sh_entsize; i++) {
			const char *name;
			GElf_Sym s;

			if (!gelf_getsym(data, (int)i, &s) || s.st_shndx == SHN_UNDEF ||
			    GELF_ST_TYPE(s.st_info) != STT_FUNC || !s.st_value)
				continue;
			name = elf_strptr(elf, shdr.sh_link, s.st_name);
			if (!name || fnmatch(pattern, name, 0))
				continue;
			err = cb(ctx, name);
			if (err)
				return err;
			found++;
		}
	}
	return found;
}

int elfsym__glob(struct elfsym_file *f, const char *pattern, int (*cb)(void *ctx, const char *name),
		 void *ctx)
{
	int n = 0;

	if (!f || !pattern || !cb)
		return -EINVAL;
	if (f->has_symtab)
		n = glob_table(f->elf, SHT_SYMTAB, pattern, cb, ctx);
	if (!n)
		n = glob_table(f->elf, SHT_DYNSYM, pattern, cb, ctx);
	if (!n && f->dbg_has_symtab)
		n = glob_table(f->dbg_elf, SHT_SYMTAB, pattern, cb, ctx);
	return n;
}

int elfsym__find(struct elfsym_file *f, const char *name, struct elfsym_sym *out)
{
	enum table where;
	struct query q;
	struct match m;
	int err;

	if (!f || !out)
		return -EINVAL;
	err = parse_query(name, true, &q);
	if (err)
		return err;
	memset(out, 0, sizeof(*out));
	err = lookup(f, &q, &m, &where);
	if (err == -ENOENT && elfsym__stripped(f) && !q.ver) {
		err = go_find(f, name, out);
		return err ?: read_code(f, out);
	}
	if (err)
		return err;
	out->vaddr = m.sym.st_value;
	out->size = m.sym.st_size;
	out->ifunc = GELF_ST_TYPE(m.sym.st_info) == STT_GNU_IFUNC;
	if (where == TABLE_SYMTAB)
		snprintf(out->where, sizeof(out->where), "symtab");
	else if (where == TABLE_DYNSYM)
		snprintf(out->where, sizeof(out->where), "dynsym");
	else
		where_debug(out->where, sizeof(out->where), f->dbg_path);
	return read_code(f, out);
}

/*
 * @out's file offset and first bytes, from its vaddr.  The bytes are read from the file with
 * pread(), not from libelf's mapping: a uprobe no pid filters (bpftrace's, perf's) puts its
 * int3 into every mapping of the file that may execute, and libelf's may.
 */
static int read_code(struct elfsym_file *f, struct elfsym_sym *out)
{
	const char *raw;
	GElf_Phdr ph;
	size_t rawlen;
	__u64 avail;
	int fd;

	/* in the file's bytes, not .bss (a .o has no segments at all) */
	if (elfload__vaddr_to_offset(f->elf, out->vaddr, 1, 0, &ph, &out->file_offset))
		return -ERANGE;
	/* what the breakpoint will replace; short only at the very end of a segment or file */
	avail = ph.p_filesz - (out->vaddr - ph.p_vaddr);
	raw = elf_rawfile(f->elf, &rawlen);
	if (raw && out->file_offset < rawlen) {
		if (avail > rawlen - out->file_offset)
			avail = rawlen - out->file_offset;
		out->code_len = avail < sizeof(out->code) ? (int)avail : (int)sizeof(out->code);
		/* the mapping only when the file cannot be read again (gone since it was opened) */
		fd = open(f->path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || pread(fd, out->code, (size_t)out->code_len, (off_t)out->file_offset) !=
				      out->code_len)
			memcpy(out->code, raw + out->file_offset, (size_t)out->code_len);
		if (fd >= 0)
			close(fd);
	}
	return 0;
}

int elfsym__at(struct elfsym_file *f, __u64 vaddr, const char *where, struct elfsym_sym *out)
{
	if (!f || !out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	out->vaddr = vaddr;
	snprintf(out->where, sizeof(out->where), "%s", where ? where : "");
	return read_code(f, out);
}

int elfsym__read_object(struct elfsym_file *f, const char *name, void *buf, size_t size)
{
	unsigned char val[8], t;
	enum table where;
	struct query q;
	struct match m;
	const char *raw;
	size_t rawlen, i;
	__u64 off;
	int err;

	if (!f || !buf || (size != 1 && size != 2 && size != 4 && size != 8))
		return -EINVAL;
	err = parse_query(name, false, &q);
	if (err)
		return err;
	err = lookup(f, &q, &m, &where);
	if (err)
		return err;
	/* reading 8 bytes of a 4-byte object would return its neighbour's bytes too */
	if (m.sym.st_size && m.sym.st_size != size)
		return -EINVAL;
	/* all @size bytes in the file: a .bss object has none there */
	if (elfload__vaddr_to_offset(f->elf, m.sym.st_value, size, 0, NULL, &off))
		return -EINVAL;
	raw = elf_rawfile(f->elf, &rawlen);
	if (!raw || off > rawlen || size > rawlen - off)
		return -EINVAL;
	memcpy(val, raw + off, size);
	if (f->swap) {
		for (i = 0; i < size / 2; i++) {
			t = val[i];
			val[i] = val[size - 1 - i];
			val[size - 1 - i] = t;
		}
	}
	memcpy(buf, val, size);
	return 0;
}

int elfsym__object_addr(struct elfsym_file *f, const char *name, __u64 map_start, __u64 map_pgoff,
			__u64 *addr)
{
	struct query q;
	struct match m;
	enum table where;
	__u64 page;
	int err;

	if (!f || !addr)
		return -EINVAL;
	err = parse_query(name, false, &q);
	if (!err)
		err = lookup(f, &q, &m, &where);
	/* the page the mapping starts with: where it puts the file's addresses */
	if (!err)
		err = elfload__offset_to_vaddr(f->elf, map_pgoff, ELFLOAD_PAGE, NULL, &page);
	if (err)
		return err;
	*addr = map_start + (m.sym.st_value - page);
	return 0;
}

/* ---- probe sites -------------------------------------------------------------------------- */

/*
 * Mirrors arch_uprobe_analyze_insn(): branch_setup_xol_ops() emulates nops (0x90 with prefixes
 * always; NOPL, 0f 1f /0, since 2025), jmp rel8/rel32, call rel32 and jcc; push_setup_xol_ops()
 * emulates push of a register, with no prefix but REX 0x41. A 0x66 prefix makes branches
 * unprobeable, and 2e/3e/26/36/f0 prefixes any instruction: those fall to single-step here,
 * which is what attach will then report as an error.
 */
enum uprobe_site_kind elfsym__site_kind(const unsigned char *c, int len)
{
	static const unsigned char nop5[] = {0x0f, 0x1f, 0x44, 0x00, 0x00};
	int i = 0;

	if (!c || len <= 0)
		return UPROBE_SITE_STEP;
	if (len >= 5 && memcmp(c, nop5, sizeof(nop5)) == 0)
		return UPROBE_SITE_NOP5;
	/* 66 90 is the 2-byte nop; REX.B 90 would be xchg %r8,%rax and f3 90 pause */
	if (c[0] == 0x66 && len >= 2 && c[1] != 0x66)
		i = 1;
	if (c[i] == 0x90)
		return UPROBE_SITE_NOP;
	if (len >= i + 3 && c[i] == 0x0f && c[i + 1] == 0x1f && ((c[i + 2] >> 3) & 7) == 0)
		return UPROBE_SITE_NOP;
	if (c[0] >= 0x50 && c[0] <= 0x57)
		return UPROBE_SITE_PUSH;
	if (len >= 2 && c[0] == 0x41 && c[1] >= 0x50 && c[1] <= 0x57)
		return UPROBE_SITE_PUSH;
	if ((c[0] == 0xe8 || c[0] == 0xe9) && len >= 5)
		return UPROBE_SITE_BRANCH;
	if ((c[0] == 0xeb || (c[0] >= 0x70 && c[0] <= 0x7f)) && len >= 2)
		return UPROBE_SITE_BRANCH;
	if (c[0] == 0x0f && len >= 6 && c[1] >= 0x80 && c[1] <= 0x8f)
		return UPROBE_SITE_BRANCH;
	return UPROBE_SITE_STEP;
}

const char *elfsym__site_kind_name(enum uprobe_site_kind k)
{
	switch (k) {
	case UPROBE_SITE_NOP5:
		return "nop5";
	case UPROBE_SITE_NOP:
		return "nop (emulated)";
	case UPROBE_SITE_PUSH:
		return "push (emulated)";
	case UPROBE_SITE_BRANCH:
		return "branch (emulated)";
	case UPROBE_SITE_STEP:
		return "single-step";
	}
	return "unknown";
}

/* The symbol of type @stt (STT_OBJECT, STT_FUNC) covering @vaddr in one symbol table, or false. */
static bool object_in(Elf *elf, Elf64_Word type, int stt, __u64 vaddr, char *name, size_t len)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(elf, scn))) {
		Elf_Data *data;
		size_t n;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != type || !sh.sh_entsize)
			continue;
		data = elf_getdata(scn, NULL);
		n = sh.sh_size / sh.sh_entsize;
		for (size_t i = 0; data && i < n; i++) {
			GElf_Sym sym;
			const char *nm;

			if (!gelf_getsym(data, (int)i, &sym) || GELF_ST_TYPE(sym.st_info) != stt ||
			    sym.st_shndx == SHN_UNDEF || vaddr < sym.st_value ||
			    vaddr >= sym.st_value + (sym.st_size ? sym.st_size : 1))
				continue;
			nm = elf_strptr(elf, sh.sh_link, sym.st_name);
			if (!nm || !nm[0])
				continue;
			if (vaddr == sym.st_value)
				snprintf(name, len, "%.*s", (int)strcspn(nm, "@"), nm);
			else
				snprintf(name, len, "%.*s+%#llx", (int)strcspn(nm, "@"), nm,
					 (unsigned long long)(vaddr - sym.st_value));
			return true;
		}
	}
	return false;
}

int elfsym__object_at(struct elfsym_file *f, __u64 file_offset, char *name, size_t len)
{
	__u64 vaddr;

	if (!f || !name || !len)
		return -EINVAL;
	/* .bss too, which a mapping reaches as if the file went on */
	if (elfload__offset_to_vaddr(f->elf, file_offset, ELFLOAD_BSS, NULL, &vaddr))
		return -ENOENT;
	if ((f->has_symtab && object_in(f->elf, SHT_SYMTAB, STT_OBJECT, vaddr, name, len)) ||
	    object_in(f->elf, SHT_DYNSYM, STT_OBJECT, vaddr, name, len) ||
	    (f->dbg_has_symtab && object_in(f->dbg_elf, SHT_SYMTAB, STT_OBJECT, vaddr, name, len)))
		return 0;
	return -ENOENT;
}

int elfsym__func_at(struct elfsym_file *f, __u64 vaddr, bool exported, char *name, size_t len)
{
	if (!f || !name || !len)
		return -EINVAL;
	name[0] = '\0';
	if (exported ? object_in(f->elf, SHT_DYNSYM, STT_FUNC, vaddr, name, len) :
		       ((f->has_symtab && object_in(f->elf, SHT_SYMTAB, STT_FUNC, vaddr, name, len)) ||
			object_in(f->elf, SHT_DYNSYM, STT_FUNC, vaddr, name, len) ||
			(f->dbg_has_symtab &&
			 object_in(f->dbg_elf, SHT_SYMTAB, STT_FUNC, vaddr, name, len))))
		return strchr(name, '+') ? -ENOENT : 0;
	return -ENOENT;
}

Elf *elfsym__elf(struct elfsym_file *f)
{
	return f ? f->elf : NULL;
}
