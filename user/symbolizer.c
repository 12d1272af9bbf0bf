// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * User-space stack symbolizer on libelf and libdw.
 *
 * An ip is turned into an ELF virtual address in two steps: the mapping that covers it gives a
 * file offset (ip - start + pgoff), and the PT_LOAD segment holding that file offset gives the
 * virtual address (elfload.h). This works the same for PIE and non-PIE executables and shared
 * libraries, and does not assume the first mapping of a file is its load base.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <gelf.h>

#include "debugfile.h"
#include "demangle.h"
#include "elfload.h"
#include "gopclntab.h"
#include "procfs.h"
#include "symbolizer.h"
#include "symdwarf.h"
#include "u64map.h"
#include "util.h"

#define PROC_BUCKETS   256
#define MODULE_BUCKETS 64
/* Beyond this, resolving stays correct but stops being memoised: bounds memory per module. */
#define ADDR_CACHE_MAX (1u << 16)
/* How many earlier symbols may still cover an address past a smaller nested symbol. */
#define COVER_LOOKBACK 8

struct sym {
	__u64 addr;
	__u64 size;
	const char *name;
	int rank; /* orders aliases at one address: lower is the name users know */
};

struct addr_entry {
	__u64 vaddr;
	__u64 offset;
	const char *func; /* points into ELF or DWARF data owned by the module */
	const char *file;
	int line;
	bool exact;
	bool used;
};

struct module {
	struct module *next;
	/* identity of the opened file, so processes mapping the same file share one module */
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	int refs;

	Elf *elf; /* NULL when the file is not a readable ELF: every address is then unknown */
	Elf *dbg_elf;
	struct symdwarf *dwarf; /* of elf or dbg_elf, whichever has DWARF; NULL when neither */
	struct sym *syms;
	size_t nr_syms;
	struct gopcln *go; /* a Go binary without .symtab: functions from its .gopclntab */
	char build_id[DEBUGFILE_BUILD_ID_HEX];

	struct addr_entry *cache;
	size_t cache_cap;
	size_t cache_used;
	struct u64map demangled; /* a mangled name's address -> its demangled copy (owned) */
};

/* The module of one mapping of a process, once looked for. */
struct map_mod {
	bool tried;
	struct module *mod; /* a reference; NULL when the file could not be opened */
};

struct proc {
	struct proc *next;
	int pid;
	struct proc_maps *maps;
	const struct proc_map *v; /* the mappings of maps, in address order */
	struct map_mod *mods;	  /* one per mapping, in the same order */
	size_t n;
};

struct symbolizer {
	struct proc *procs[PROC_BUCKETS];
	struct module *modules[MODULE_BUCKETS];
	struct proc_maps_cache *maps; /* shared with the other readers; NULL: our own reads */
};

/* ---- modules ---------------------------------------------------------------------------- */

static int sym_rank(const GElf_Sym *s, const char *name)
{
	int bind = GELF_ST_BIND(s->st_info);
	int rank = 0;

	/* A typed function beats an untyped asm label at the same address. */
	if (GELF_ST_TYPE(s->st_info) == STT_NOTYPE)
		rank += 1000;
	/* malloc over __libc_malloc over __malloc: exported, then fewest leading underscores. */
	if (bind == STB_LOCAL)
		rank += 100;
	else if (bind == STB_WEAK)
		rank += 10;
	while (*name++ == '_')
		rank++;
	return rank;
}

static int sym_cmp(const void *a, const void *b)
{
	const struct sym *x = a, *y = b;
	size_t lx, ly;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	lx = strlen(x->name);
	ly = strlen(y->name);
	if (lx != ly)
		return lx < ly ? -1 : 1;
	return strcmp(x->name, y->name);
}

static bool sym_wanted(Elf *elf, const GElf_Sym *s, const char *name)
{
	int type = GELF_ST_TYPE(s->st_info);
	GElf_Shdr shdr;
	Elf_Scn *scn;

	if (!name || !name[0] || s->st_value == 0)
		return false;
	if (s->st_shndx == SHN_UNDEF || s->st_shndx >= SHN_LORESERVE)
		return false;
	if (type == STT_FUNC || type == STT_GNU_IFUNC)
		return true;
	if (type != STT_NOTYPE || name[0] == '$' || strncmp(name, ".L", 2) == 0)
		return false;
	/* Untyped symbols count only as code labels, as hand-written assembly emits them. */
	scn = elf_getscn(elf, s->st_shndx);
	return scn && gelf_getshdr(scn, &shdr) && (shdr.sh_flags & SHF_EXECINSTR);
}

static int load_syms(struct module *mod, Elf *elf, Elf64_Word type)
{
	Elf_Scn *scn = NULL;
	struct sym *syms;
	size_t n, i, cap;
	Elf_Data *data;
	GElf_Shdr shdr;
	const char *name;
	GElf_Sym s;

	while ((scn = elf_nextscn(elf, scn))) {
		if (!gelf_getshdr(scn, &shdr) || shdr.sh_type != type || !shdr.sh_entsize)
			continue;
		data = elf_getdata(scn, NULL);
		if (!data)
			continue;
		n = shdr.sh_size / shdr.sh_entsize;
		cap = mod->nr_syms + n;
		syms = realloc(mod->syms, (cap ? cap : 1) * sizeof(*syms));
		if (!syms)
			return -ENOMEM;
		mod->syms = syms;
		for (i = 0; i < n; i++) {
			if (!gelf_getsym(data, (int)i, &s))
				continue;
			name = elf_strptr(elf, shdr.sh_link, s.st_name);
			if (!sym_wanted(elf, &s, name))
				continue;
			syms[mod->nr_syms].addr = s.st_value;
			syms[mod->nr_syms].size = s.st_size;
			syms[mod->nr_syms].name = name;
			syms[mod->nr_syms].rank = sym_rank(&s, name);
			mod->nr_syms++;
		}
	}
	if (mod->nr_syms)
		qsort(mod->syms, mod->nr_syms, sizeof(*mod->syms), sym_cmp);
	return 0;
}

static bool same_file(const struct stat *st, const struct module *mod)
{
	return st->st_dev == mod->dev && st->st_ino == mod->ino;
}

static void module_free(struct module *mod)
{
	__u64 k, v;

	if (!mod)
		return;
	symdwarf__free(mod->dwarf);
	if (mod->dbg_elf)
		elf_end(mod->dbg_elf);
	gopcln__close(mod->go);
	if (mod->elf)
		elf_end(mod->elf);
	free(mod->syms);
	free(mod->cache);
	for (size_t pos = 0; u64map__next(&mod->demangled, &pos, &k, &v);)
		free((char *)(uintptr_t)v);
	u64map__free(&mod->demangled);
	free(mod);
}

/*
 * @name demangled, once per name of the module: the copy lives as long as the module, as
 * @name does.  @name itself when it is not a C++ name or on any failure.
 */
static const char *module_demangle(struct module *mod, const char *name)
{
	__u64 v;
	char *d;

	if (!name || strncmp(name, "_Z", 2))
		return name;
	if (u64map__get(&mod->demangled, (uintptr_t)name, &v))
		return (const char *)(uintptr_t)v;
	d = demangle__cxx(name);
	if (!d || u64map__put(&mod->demangled, (uintptr_t)name, (uintptr_t)d)) {
		free(d);
		return name;
	}
	return d;
}

/*
 * Build a module from an open file. Failing to parse the file is not an error: the module is
 * kept without an ELF so the file is not reopened for each of its addresses.
 */
static int module_load(struct module *mod, int fd, const char *root, const char *path)
{
	struct debugfile_query q = {.path = path,
				    .root = root,
				    .build_id = mod->build_id,
				    .dev = mod->dev,
				    .ino = mod->ino};
	Elf *sym_elf = NULL, *dw_elf = NULL;
	int err;

	mod->elf = debugfile__elf_begin(fd);
	if (!mod->elf)
		return 0;
	debugfile__build_id(mod->elf, mod->build_id);

	if (debugfile__has_symtab(mod->elf))
		sym_elf = mod->elf;
	if (debugfile__has_dwarf(mod->elf))
		dw_elf = mod->elf;
	if (!sym_elf || !dw_elf) {
		q.elf = mod->elf;
		/* none found is not an error: the module keeps what the file itself has */
		debugfile__open(&q, &mod->dbg_elf, NULL, 0);
		if (mod->dbg_elf && !sym_elf && debugfile__has_symtab(mod->dbg_elf))
			sym_elf = mod->dbg_elf;
		if (mod->dbg_elf && !dw_elf && debugfile__has_dwarf(mod->dbg_elf))
			dw_elf = mod->dbg_elf;
	}

	if (sym_elf)
		err = load_syms(mod, sym_elf, SHT_SYMTAB);
	else
		err = load_syms(mod, mod->elf, SHT_DYNSYM);
	if (err)
		return err;
	/* a stripped Go binary still names its functions and lines; not Go (-ENOENT) is usual */
	if (!sym_elf)
		gopcln__from_elf(mod->elf, &mod->go, NULL, 0);

	/* now, while /proc/PID/root is still there for the dwz file; set up at first use */
	if (dw_elf)
		return symdwarf__new(dw_elf, root, &mod->dwarf);
	return 0;
}

static unsigned int module_bucket(dev_t dev, ino_t ino)
{
	return (unsigned int)((ino ^ (dev * 31)) % MODULE_BUCKETS);
}

static void module_put(struct symbolizer *sz, struct module *mod)
{
	struct module **pp;

	if (!mod || --mod->refs > 0)
		return;
	for (pp = &sz->modules[module_bucket(mod->dev, mod->ino)]; *pp; pp = &(*pp)->next) {
		if (*pp == mod) {
			*pp = mod->next;
			break;
		}
	}
	module_free(mod);
}

/* Return the module for a mapping with a reference taken, or NULL when it cannot be opened. */
static struct module *module_get(struct symbolizer *sz, int pid, const struct proc_map *m)
{
	struct module *mod = NULL;
	char root[32];
	struct stat st;
	unsigned int b;
	int fd, err;

	/* as the target process sees it */
	fd = procfs__open_mapped(pid, -1, m);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) != 0)
		goto cleanup;
	b = module_bucket(st.st_dev, st.st_ino);
	for (mod = sz->modules[b]; mod; mod = mod->next) {
		if (same_file(&st, mod) && mod->size == st.st_size &&
		    mod->mtime.tv_sec == st.st_mtim.tv_sec &&
		    mod->mtime.tv_nsec == st.st_mtim.tv_nsec) {
			mod->refs++;
			goto cleanup;
		}
	}
	mod = calloc(1, sizeof(*mod));
	if (!mod)
		goto cleanup;
	mod->dev = st.st_dev;
	mod->ino = st.st_ino;
	mod->size = st.st_size;
	mod->mtime = st.st_mtim;
	mod->refs = 1;
	snprintf(root, sizeof(root), "/proc/%d/root", pid);
	err = module_load(mod, fd, root, m->path);
	if (err) {
		module_free(mod);
		mod = NULL;
		goto cleanup;
	}
	mod->next = sz->modules[b];
	sz->modules[b] = mod;
cleanup:
	close(fd);
	return mod;
}

/* ---- address resolution ------------------------------------------------------------------- */

static bool sym_covers(const struct sym *s, __u64 vaddr)
{
	if (vaddr < s->addr)
		return false;
	return s->size ? vaddr - s->addr < s->size : vaddr == s->addr;
}

static void lookup_sym(const struct module *mod, __u64 vaddr, struct addr_entry *e)
{
	size_t lo = 0, hi = mod->nr_syms, i, last, first, limit;
	const struct sym *best = NULL;

	/* one past the last symbol at or below vaddr */
	while (lo < hi) {
		i = lo + (hi - lo) / 2;
		if (mod->syms[i].addr <= vaddr)
			lo = i + 1;
		else
			hi = i;
	}
	if (lo == 0)
		return;
	last = lo - 1;
	first = last;
	while (first > 0 && mod->syms[first - 1].addr == mod->syms[last].addr)
		first--;
	/*
	 * The closest covering symbol wins, and among aliases the best ranked (sorted first).
	 * Look a little further back too: a nested label (asm entry point, size 0 or small) may
	 * sit between vaddr and the function that really encloses it.
	 */
	limit = first > COVER_LOOKBACK ? first - COVER_LOOKBACK : 0;
	for (i = last + 1; i-- > limit;) {
		if (best && mod->syms[i].addr != best->addr)
			break;
		if (sym_covers(&mod->syms[i], vaddr))
			best = &mod->syms[i];
	}
	e->exact = best != NULL;
	if (!best)
		best = &mod->syms[first];
	e->func = best->name;
	e->offset = vaddr - best->addr;
}

/* A stripped Go binary: function and line from the .gopclntab the runtime keeps for itself. */
static void lookup_go(const struct module *mod, __u64 vaddr, struct addr_entry *e)
{
	struct gopcln_func f;
	const char *file;
	int line;

	if (!mod->go || e->exact || gopcln__find_pc(mod->go, vaddr, &f))
		return;
	e->func = f.name;
	e->offset = vaddr - f.entry;
	e->exact = true;
	if (gopcln__line(mod->go, &f, vaddr, &file, &line) == 0) {
		e->file = file;
		e->line = line;
	}
}

static void lookup_dwarf(struct module *mod, __u64 vaddr, struct addr_entry *e)
{
	struct symdwarf_loc loc = {.func = e->func,
				   .offset = e->offset,
				   .exact = e->exact,
				   .file = e->file,
				   .line = e->line};

	symdwarf__lookup(mod->dwarf, vaddr, !e->exact, &loc);
	e->func = loc.func;
	e->offset = loc.offset;
	e->exact = loc.exact;
	e->file = loc.file;
	e->line = loc.line;
}

static size_t addr_hash(__u64 vaddr, size_t cap)
{
	return (size_t)((vaddr * 0x9e3779b97f4a7c15ULL) >> 17) & (cap - 1);
}

static struct addr_entry *cache_find(const struct module *mod, __u64 vaddr)
{
	size_t i;

	if (!mod->cache)
		return NULL;
	for (i = addr_hash(vaddr, mod->cache_cap); mod->cache[i].used;
	     i = (i + 1) & (mod->cache_cap - 1))
		if (mod->cache[i].vaddr == vaddr)
			return &mod->cache[i];
	return NULL;
}

static void cache_insert(struct module *mod, const struct addr_entry *e)
{
	struct addr_entry *old = mod->cache, *tab;
	size_t cap, i, j;

	if (mod->cache_used >= ADDR_CACHE_MAX)
		return;
	if (2 * (mod->cache_used + 1) > mod->cache_cap) {
		cap = mod->cache_cap ? 2 * mod->cache_cap : 64;
		tab = calloc(cap, sizeof(*tab));
		if (!tab)
			return; /* only memoisation is lost */
		for (j = 0; j < mod->cache_cap; j++) {
			if (!old[j].used)
				continue;
			for (i = addr_hash(old[j].vaddr, cap); tab[i].used; i = (i + 1) & (cap - 1))
				;
			tab[i] = old[j];
		}
		free(old);
		mod->cache = tab;
		mod->cache_cap = cap;
	}
	for (i = addr_hash(e->vaddr, mod->cache_cap); mod->cache[i].used;
	     i = (i + 1) & (mod->cache_cap - 1))
		;
	mod->cache[i] = *e;
	mod->cache[i].used = true;
	mod->cache_used++;
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

static void fill_from_entry(const struct addr_entry *e, struct sym_frame *frame)
{
	if (e->func) {
		snprintf(frame->func, sizeof(frame->func), "%s", e->func);
		frame->offset = e->offset;
		frame->exact = e->exact;
	} else {
		frame->offset = e->vaddr;
	}
	if (e->file && e->line > 0) {
		snprintf(frame->file, sizeof(frame->file), "%s", base_name(e->file));
		frame->line = e->line;
	}
}

/* ---- processes ---------------------------------------------------------------------------- */

/* Drop the modules of @n mappings' @mods, and the array. */
static void mods_free(struct symbolizer *sz, struct map_mod *mods, size_t n)
{
	for (size_t i = 0; mods && i < n; i++)
		module_put(sz, mods[i].mod);
	free(mods);
}

static void proc_free(struct symbolizer *sz, struct proc *p)
{
	mods_free(sz, p->mods, p->n);
	proc_maps__put(p->maps);
	free(p);
}

static bool same_mapped_file(const struct proc_map *a, const struct proc_map *b)
{
	return a->ino == b->ino && a->dev == b->dev && a->deleted == b->deleted &&
	       strcmp(a->path, b->path) == 0;
}

/* Mapping @to takes the module of mapping @from when both map the same file. */
static void share_module(struct proc *p, size_t to, size_t from)
{
	struct map_mod *t = &p->mods[to], *f = &p->mods[from];

	if (t->tried || !f->mod || p->v[to].path[0] != '/' ||
	    !same_mapped_file(&p->v[to], &p->v[from]))
		return;
	t->mod = f->mod;
	t->mod->refs++;
	t->tried = true;
}

/*
 * Open the modules of code mappings now rather than at their first address: once the process
 * exits, /proc/PID/root and map_files are gone, and its last stacks would stay unresolved.
 * The other mappings of those files (rodata, data) share the module.
 */
static void proc_load_modules(struct symbolizer *sz, struct proc *p)
{
	size_t i;

	for (i = 0; i < p->n; i++) {
		if (p->v[i].exec && p->v[i].path[0] == '/' && !p->mods[i].tried) {
			p->mods[i].tried = true;
			p->mods[i].mod = module_get(sz, p->pid, &p->v[i]);
		}
	}
	/* a file's mappings are adjacent: spread each module forwards, then backwards */
	for (i = 1; i < p->n; i++)
		share_module(p, i, i - 1);
	for (i = p->n; i > 1; i--)
		share_module(p, i - 2, i - 1);
}

/*
 * Take the mappings of snapshot @maps (our reference), keeping the modules of the mappings that
 * did not change since the previous snapshot.
 */
static int proc_set_maps(struct symbolizer *sz, struct proc *p, struct proc_maps *maps)
{
	const struct proc_map *v, *o, *n;
	struct map_mod *mods;
	size_t nr, i, j = 0;

	v = proc_maps__entries(maps, &nr);
	mods = calloc(nr ? nr : 1, sizeof(*mods));
	if (!mods) {
		proc_maps__put(maps);
		return -ENOMEM;
	}
	/* both lists are sorted by start, as the kernel prints them */
	for (i = 0; i < nr && p->mods; i++) {
		n = &v[i];
		while (j < p->n && p->v[j].start < n->start)
			j++;
		if (j == p->n)
			break;
		o = &p->v[j];
		if (o->start == n->start && o->end == n->end && o->pgoff == n->pgoff &&
		    same_mapped_file(o, n)) {
			mods[i] = p->mods[j];
			p->mods[j].mod = NULL;
		}
	}
	mods_free(sz, p->mods, p->n);
	proc_maps__put(p->maps);
	p->maps = maps;
	p->v = v;
	p->mods = mods;
	p->n = nr;
	proc_load_modules(sz, p);
	return 0;
}

/* Read the mappings again: an address lies in none of those we have. */
static int proc_reread(struct symbolizer *sz, struct proc *p)
{
	struct proc_maps *maps;
	size_t nr;
	int err;

	/* as they are now: a library may have been loaded since our snapshot, or anyone's */
	err = proc_maps_cache__get(sz->maps, p->pid, 0, &maps);
	if (err)
		return err;
	/*
	 * An exiting process (a zombie) lists no mappings: keep the ones it had, or its records
	 * still in the ring buffer after it exited would all go unnamed.
	 */
	proc_maps__entries(maps, &nr);
	if (!nr && p->n) {
		proc_maps__put(maps);
		return -ESRCH;
	}
	return proc_set_maps(sz, p, maps);
}

/*
 * The cached process @pid, or a new one.  *@fresh says whether its mappings were read during this
 * call: then an address the caller had before the call that lies in none of them is in none of
 * the process's, and reading them again would find nothing more.
 */
static int proc_get(struct symbolizer *sz, int pid, struct proc **out, bool *fresh)
{
	struct proc *p, **bucket = &sz->procs[(unsigned int)pid % PROC_BUCKETS];
	struct proc_maps *maps;
	__u64 asked;
	int err;

	*fresh = false;
	for (p = *bucket; p; p = p->next) {
		if (p->pid == pid) {
			*out = p;
			return 0;
		}
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->pid = pid;
	/* whatever was read last will do: an address outside it reads the mappings again */
	asked = clock_ns(CLOCK_MONOTONIC);
	err = proc_maps_cache__get(sz->maps, pid, PROC_MAPS_ANY_AGE, &maps);
	if (!err) {
		*fresh = proc_maps__read_ns(maps) >= asked;
		err = proc_set_maps(sz, p, maps);
	}
	if (err) {
		proc_free(sz, p);
		return err;
	}
	p->next = *bucket;
	*bucket = p;
	*out = p;
	return 0;
}

/* ---- public API ----------------------------------------------------------------------------- */

struct symbolizer *symbolizer__new(struct proc_maps_cache *maps)
{
	struct symbolizer *sz;

	if (elf_version(EV_CURRENT) == EV_NONE) {
		errno = EINVAL;
		return NULL;
	}
	sz = calloc(1, sizeof(*sz));
	if (sz)
		sz->maps = maps;
	return sz;
}

void symbolizer__forget(struct symbolizer *sz, int pid)
{
	struct proc **pp, *p;

	if (!sz || pid <= 0)
		return;
	for (pp = &sz->procs[(unsigned int)pid % PROC_BUCKETS]; (p = *pp); pp = &p->next) {
		if (p->pid == pid) {
			*pp = p->next;
			proc_free(sz, p);
			break;
		}
	}
	/* an exec'd process's snapshot no longer describes it, nor does an exited one's pid */
	proc_maps_cache__forget(sz->maps, pid);
}

void symbolizer__free(struct symbolizer *sz)
{
	struct proc *p;
	int i;

	if (!sz)
		return;
	for (i = 0; i < PROC_BUCKETS; i++) {
		while ((p = sz->procs[i])) {
			sz->procs[i] = p->next;
			proc_free(sz, p);
		}
	}
	/* every module is referenced by some mapping, so none can be left */
	free(sz);
}

int symbolizer__prepare(struct symbolizer *sz, int pid, symbolizer_want_fn want, void *ctx)
{
	struct module *mod;
	struct proc *p;
	bool fresh;
	int err, n = 0;

	if (!sz || pid <= 0 || !want)
		return -EINVAL;
	err = proc_get(sz, pid, &p, &fresh);
	if (err)
		return err;
	/* proc_get() opened the modules of every code mapping; only their DWARF is left to do */
	for (size_t i = 0; i < p->n; i++) {
		mod = p->mods[i].mod;
		if (!p->v[i].exec || !mod || !mod->dwarf || !want(p->v[i].path, ctx))
			continue;
		n += symdwarf__prepare(mod->dwarf) == 0;
	}
	return n;
}

int symbolizer__resolve(struct symbolizer *sz, int pid, __u64 ip, struct sym_frame *frame)
{
	struct addr_entry e = {0}, *hit;
	const struct proc_map *m;
	struct map_mod *mm;
	struct proc *p;
	__u64 fileoff, vaddr;
	bool fresh;
	int err;

	if (!sz || pid <= 0 || !frame)
		return -EINVAL;
	memset(frame, 0, sizeof(*frame));
	err = proc_get(sz, pid, &p, &fresh);
	if (err)
		return err;
	m = proc_maps__find(p->maps, ip);
	if (!m && fresh)
		return -ENOENT;
	if (!m) {
		/* a library may have been loaded since the mappings were read */
		err = proc_reread(sz, p);
		if (err)
			return err;
		m = proc_maps__find(p->maps, ip);
		if (!m)
			return -ENOENT;
	}
	mm = &p->mods[m - p->v];
	frame->data = !m->exec;
	snprintf(frame->module, sizeof(frame->module), "%s", m->path);
	if (m->path[0] != '/') {
		/* anonymous memory (JIT code) or a pseudo-file such as [vdso] */
		frame->offset = m->path[0] ? ip - m->start : ip;
		return 0;
	}
	if (!mm->tried) {
		mm->tried = true;
		mm->mod = module_get(sz, pid, m);
	}
	fileoff = ip - m->start + m->pgoff;
	/* without a segment holding the offset (no program headers) the address stays unknown */
	if (!mm->mod || !mm->mod->elf ||
	    elfload__offset_to_vaddr(mm->mod->elf, fileoff, 0, NULL, &vaddr)) {
		frame->offset = fileoff;
		if (mm->mod)
			memcpy(frame->build_id, mm->mod->build_id, sizeof(frame->build_id));
		return 0;
	}
	memcpy(frame->build_id, mm->mod->build_id, sizeof(frame->build_id));

	hit = cache_find(mm->mod, vaddr);
	if (!hit) {
		e.vaddr = vaddr;
		lookup_sym(mm->mod, vaddr, &e);
		lookup_go(mm->mod, vaddr, &e);
		lookup_dwarf(mm->mod, vaddr, &e);
		e.func = module_demangle(mm->mod, e.func);
		cache_insert(mm->mod, &e);
		hit = &e;
	}
	fill_from_entry(hit, frame);
	return 0;
}

int sym_frame__format(const struct sym_frame *f, char *buf, size_t len)
{
	int n;

	if (!f || !buf || !len)
		return -EINVAL;
	if (!f->func[0])
		n = snprintf(buf, len, "%s+0x%llx", f->module[0] ? f->module : "[unknown]",
			     (unsigned long long)f->offset);
	else if (f->file[0] && f->line > 0)
		n = snprintf(buf, len, "%s+0x%llx (%s:%d)", f->func, (unsigned long long)f->offset,
			     f->file, f->line);
	else
		n = snprintf(buf, len, "%s+0x%llx", f->func, (unsigned long long)f->offset);
	if (n < 0)
		return -EINVAL;
	return (size_t)n >= len ? -ENOSPC : 0;
}
