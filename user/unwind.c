// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * DWARF unwinding of copied user stacks with elfutils' libdwfl.
 *
 * libdwfl does the work once it has three things: modules (an ELF file and where it is loaded),
 * the initial registers, and a way to read memory. We report the modules ourselves instead of
 * using dwfl_linux_proc_report(), because its find_elf callback opens paths as we see them, not
 * as the target does, and does so lazily, when the process may be gone. Each module's ELF is
 * opened while the process lives and handed to libdwfl through the find_elf callback.
 *
 * A module is reported with the address range its PT_LOADs span, placed so that libdwfl's bias
 * (low address - first PT_LOAD's aligned p_vaddr) is the real load bias. The bias is computed
 * from an executable mapping through the PT_LOAD holding its file offset, as the symbolizer
 * does, so a file whose first mapping is not at offset 0 or a split mapping does not fool it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include <elfutils/libdwelf.h>
#include <elfutils/libdwfl.h>
#include <gelf.h>
#include <zlib.h>

#include "debugfile.h"
#include "elfload.h"
#include "procfs.h"
#include "unwind.h"
#include "util.h"

#define PROC_BUCKETS 64
/* rax, rdx, rcx, rbx, rsi, rdi, rbp, rsp, r8-r15, then the return address column: rip */
#define X86_64_DWARF_REGS 17
#define DWARF_REG_RSP	  7
#define DEBUG_DIR	  "/usr/lib/debug"
#define BUILD_ID_MAX	  64
/* Libraries loaded after prepare are looked for at most this often per process. */
#define REFRESH_NS (1000ull * 1000 * 1000)
/* A failed read this far above the copy is taken for a frame beyond it, not for garbage. */
#define STACK_REACH (8ull << 20)

struct umod {
	struct umod *next;
	struct uproc *proc;
	Dwfl_Module *mod; /* in the Dwfl it was reported to */
	char *path;	  /* as the target sees it, "[vdso]" for the vDSO */
	Elf *elf;	  /* until libdwfl takes it through find_elf */
	void *image;	  /* the vDSO's bytes behind elf_memory(); outlives the Dwfl */
	__u64 ino;
	__u64 low; /* address range libdwfl knows the module by */
	__u64 high;
	__u64 bias;
};

struct uproc {
	struct uproc *next;
	int pid;
	int root_fd;   /* the target's "/", O_PATH; -1 when it could not be opened */
	bool own_root; /* root_fd is our own "/" too: look up debug files once */
	Dwfl *dwfl;
	struct umod *mods;
	__u64 maps_sig; /* hash of the executable file mappings the Dwfl was built from */
	__u64 refreshed_ns;

	/* the unwind in progress, read by the libdwfl callbacks */
	const struct mt_user_regs *regs;
	const unsigned char *stack;
	size_t stack_len;
	__u64 *ips;
	int max;
	int n;
	__u64 prev_sp;
	bool missed; /* a pc outside every module: maybe a library loaded since */
	struct unwind_result res;
};

struct unwinder {
	struct uproc *procs[PROC_BUCKETS];
	struct unwind_result last;
	struct proc_maps_cache *maps; /* shared with the other readers; NULL: our own reads */
};

/* ---- opening files as the target sees them --------------------------------------------------- */

static int open_in_root(const struct uproc *p, const char *path)
{
	return procfs__open_in_root(p->pid, p->root_fd, path);
}

/* detached from the fd: a process's modules must not cost one descriptor each */
static Elf *elf_from_fd(int fd)
{
	return debugfile__elf_begin(fd);
}

/* The vDSO is not a file: copy its image out of the process while it runs. */
static Elf *vdso_elf(const struct uproc *p, const struct proc_map *m, void **image)
{
	size_t len = m->end - m->start;
	char path[64];
	Elf *elf = NULL;
	void *buf;
	int fd;

	buf = malloc(len);
	if (!buf)
		return NULL;
	snprintf(path, sizeof(path), "/proc/%d/mem", p->pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0 && pread(fd, buf, len, (off_t)m->start) == (ssize_t)len) {
		elf = elf_memory(buf, len);
		if (elf && elf_kind(elf) != ELF_K_ELF) {
			elf_end(elf);
			elf = NULL;
		}
	}
	if (fd >= 0)
		close(fd);
	if (elf)
		*image = buf;
	else
		free(buf);
	return elf;
}

/* ---- modules --------------------------------------------------------------------------------- */

/*
 * Place the module: the load bias from the PT_LOAD that holds the mapping's file offset
 * (preferring an executable one), and the range of all PT_LOADs. low uses libdwfl's own
 * "p_vaddr & -p_align" of the first PT_LOAD, so that its bias equals ours.
 */
static int module_place(struct umod *um, const struct proc_map *m)
{
	__u64 first_vaddr = 0, top = 0, vaddr;
	bool first = true;
	size_t phnum, i;
	GElf_Phdr ph;
	int err;

	/* pgoff is page-aligned: it may lie before the first byte of the segment it maps */
	err = elfload__offset_to_vaddr(um->elf, m->pgoff, ELFLOAD_PREFER_EXEC | ELFLOAD_PAGE, NULL,
				       &vaddr);
	if (err)
		return err;
	um->bias = m->start - vaddr;
	if (elf_getphdrnum(um->elf, &phnum) != 0)
		return -EINVAL;
	for (i = 0; i < phnum; i++) {
		if (!gelf_getphdr(um->elf, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		if (first)
			first_vaddr = ph.p_vaddr & -ph.p_align;
		first = false;
		if (ph.p_vaddr + ph.p_memsz > top)
			top = ph.p_vaddr + ph.p_memsz;
	}
	um->low = um->bias + first_vaddr;
	um->high = um->bias + top;
	return um->high > um->low ? 0 : -EINVAL;
}

static void module_free(struct umod *um)
{
	if (!um)
		return;
	if (um->elf)
		elf_end(um->elf);
	free(um->image);
	free(um->path);
	free(um);
}

/* The module of an executable mapping of a file or of the vDSO; NULL when it cannot be read. */
static struct umod *module_open(struct uproc *p, const struct proc_map *m)
{
	struct umod *um;
	int fd;

	um = calloc(1, sizeof(*um));
	if (!um)
		return NULL;
	um->proc = p;
	um->ino = m->ino;
	um->path = strdup(m->path);
	if (!um->path)
		goto fail;
	if (m->path[0] == '[') {
		um->elf = vdso_elf(p, m, &um->image);
	} else {
		fd = procfs__open_mapped(p->pid, p->root_fd, m);
		if (fd < 0)
			goto fail;
		um->elf = elf_from_fd(fd);
		close(fd);
	}
	if (!um->elf || module_place(um, m) != 0)
		goto fail;
	return um;
fail:
	module_free(um);
	return NULL;
}

/* libdwfl asks for a module's ELF: hand over the one opened while the process lived. */
static int find_elf(Dwfl_Module *mod, void **userdata, const char *name, Dwarf_Addr base,
		    char **file_name, Elf **elfp)
{
	struct umod *um = *userdata;

	(void)mod;
	(void)name;
	(void)base;
	(void)file_name;
	if (!um || !um->elf)
		return -1;
	*elfp = um->elf;
	um->elf = NULL; /* libdwfl owns it now */
	return -1;
}

/* ---- separate debug files -------------------------------------------------------------------- */

/* A section with contents in the file (a stripped debug file keeps .debug_frame's header only). */
static bool has_section(Elf *elf, const char *name)
{
	Elf_Scn *scn = debugfile__section(elf, name);
	GElf_Shdr shdr;

	return scn && gelf_getshdr(scn, &shdr) && shdr.sh_type != SHT_NOBITS;
}

/*
 * Is fd the debug file of the module, and worth loading? It must carry the module's build-id (or
 * the .gnu_debuglink CRC when the module has no build-id), and a .debug_frame: the unwinder
 * wants nothing else from it, and libdw decompresses all DWARF sections of a file it loads.
 */
static bool debug_file_ok(int fd, const unsigned char *id, int idlen, GElf_Word crc)
{
	const void *fid = NULL;
	Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	bool ok = false;
	char *raw;
	size_t len;

	if (!elf || elf_kind(elf) != ELF_K_ELF)
		goto cleanup;
	if (idlen > 0) {
		ok = dwelf_elf_gnu_build_id(elf, &fid) == idlen && memcmp(fid, id, idlen) == 0;
	} else {
		raw = elf_rawfile(elf, &len);
		ok = raw && crc32(0, (const Bytef *)raw, (uInt)len) == crc;
	}
	ok = ok && has_section(elf, ".debug_frame");
cleanup:
	elf_end(elf);
	return ok;
}

static int open_debug(const struct uproc *p, const char *path, const unsigned char *id, int idlen,
		      GElf_Word crc)
{
	int pass, fd;

	for (pass = 0; pass < 2; pass++) {
		if (pass == 1 && p->own_root)
			break;
		/* the target's debug files, then ours: checked by build-id, they may be on the host
		 */
		fd = pass == 0 ? open_in_root(p, path) : open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (debug_file_ok(fd, id, idlen, crc))
			return fd;
		close(fd);
	}
	return -1;
}

/*
 * Called by libdwfl only when a pc has no .eh_frame entry and the module has no DWARF of its own,
 * i.e. when .debug_frame might help. The file descriptor returned stays open with the module.
 */
static int find_debuginfo(Dwfl_Module *mod, void **userdata, const char *modname, Dwarf_Addr base,
			  const char *file_name, const char *debuglink, GElf_Word crc,
			  char **debuginfo_file_name)
{
	struct umod *um = *userdata;
	const unsigned char *id = NULL;
	char path[PATH_MAX], hex[2 * BUILD_ID_MAX + 1];
	const char *dir_fmt[] = {"%.*s/%s", "%.*s/.debug/%s", DEBUG_DIR "%.*s/%s"};
	GElf_Addr vaddr;
	int idlen, i, fd, dirlen;

	(void)modname;
	(void)base;
	(void)file_name;
	(void)debuginfo_file_name;
	if (!um)
		return -1;
	idlen = dwfl_module_build_id(mod, &id, &vaddr);
	if (idlen > 0 && idlen <= BUILD_ID_MAX) {
		for (i = 0; i < idlen; i++)
			snprintf(hex + 2 * i, 3, "%02x", id[i]);
		snprintf(path, sizeof(path), DEBUG_DIR "/.build-id/%.2s/%s.debug", hex, hex + 2);
		fd = open_debug(um->proc, path, id, idlen, 0);
		if (fd >= 0)
			return fd;
	} else {
		idlen = 0;
	}
	if (!debuglink || um->path[0] != '/')
		return -1;
	dirlen = (int)(strrchr(um->path, '/') - um->path);
	for (i = 0; i < (int)ARRAY_SIZE(dir_fmt); i++) {
		snprintf(path, sizeof(path), dir_fmt[i], dirlen, um->path, debuglink);
		if (strcmp(path, um->path) == 0)
			continue;
		fd = open_debug(um->proc, path, id, idlen, crc);
		if (fd >= 0)
			return fd;
	}
	return -1;
}

static const Dwfl_Callbacks dwfl_callbacks = {
	.find_elf = find_elf,
	.find_debuginfo = find_debuginfo,
};

/* ---- thread state: the captured registers and stack copy ------------------------------------- */

static pid_t next_thread(Dwfl *dwfl, void *arg, void **thread_argp)
{
	struct uproc *p = arg;

	(void)dwfl;
	if (*thread_argp)
		return 0;
	*thread_argp = p;
	return p->pid;
}

static bool get_thread(Dwfl *dwfl, pid_t tid, void *arg, void **thread_argp)
{
	(void)dwfl;
	(void)tid;
	*thread_argp = arg;
	return true;
}

/* Memory is the stack copy only: the live process has moved on, or is gone. */
static bool memory_read(Dwfl *dwfl, Dwarf_Addr addr, Dwarf_Word *result, void *arg)
{
	struct uproc *p = arg;
	__u64 sp = p->regs->rsp, off = addr - sp;

	(void)dwfl;
	if (addr < sp || p->stack_len < sizeof(*result) || off > p->stack_len - sizeof(*result)) {
		if (!p->res.bad_addr)
			p->res.bad_addr = addr;
		return false;
	}
	memcpy(result, p->stack + off, sizeof(*result));
	if (off + sizeof(*result) > p->res.stack_used)
		p->res.stack_used = off + sizeof(*result);
	return true;
}

static bool set_initial_registers(Dwfl_Thread *thread, void *arg)
{
	const struct mt_user_regs *r = ((struct uproc *)arg)->regs;
	/* DWARF numbering of the x86-64 psABI, not pt_regs order */
	const Dwarf_Word regs[X86_64_DWARF_REGS] = {
		r->rax, r->rdx, r->rcx, r->rbx, r->rsi, r->rdi, r->rbp, r->rsp, r->r8,
		r->r9,	r->r10, r->r11, r->r12, r->r13, r->r14, r->r15, r->rip,
	};

	return dwfl_thread_state_registers(thread, 0, X86_64_DWARF_REGS, regs);
}

static const Dwfl_Thread_Callbacks thread_callbacks = {
	.next_thread = next_thread,
	.get_thread = get_thread,
	.memory_read = memory_read,
	.set_initial_registers = set_initial_registers,
};

/* ---- processes ------------------------------------------------------------------------------- */

static __u64 fnv1a(__u64 h, const void *data, size_t len)
{
	const unsigned char *c = data;

	while (len--)
		h = (h ^ *c++) * 0x100000001b3ull;
	return h;
}

/* The mappings a module is made of: executable ones of files, and the vDSO. */
static bool is_code(const struct proc_map *m)
{
	/* anonymous code (JIT) has no CFI: the frame-pointer fallback copes */
	return m->exec && (m->path[0] == '/' || !strcmp(m->path, "[vdso]"));
}

/* A hash of the code mappings of @maps, which changes when they do (dlopen, dlclose). */
static __u64 code_sig(const struct proc_maps *maps)
{
	__u64 sig = 0xcbf29ce484222325ull;
	const struct proc_map *v;
	size_t n, i;

	v = proc_maps__entries(maps, &n);
	for (i = 0; i < n; i++)
		if (is_code(&v[i]))
			sig = fnv1a(sig, v[i].line, strlen(v[i].line));
	return sig;
}

static void mods_free(struct umod *um)
{
	struct umod *next;

	for (; um; um = next) {
		next = um->next;
		module_free(um);
	}
}

/*
 * Build a Dwfl with every code module of the process in @maps, its ELF already opened, attached
 * to the thread-state callbacks. On success *dwflp and *modsp replace nothing: the caller swaps.
 */
static int proc_build(struct uproc *p, const struct proc_maps *maps, Dwfl **dwflp,
		      struct umod **modsp)
{
	struct umod *mods = NULL, *um, *last = NULL;
	const struct proc_map *v;
	Dwfl_Module *mod;
	Dwarf_Addr bias;
	Dwfl *dwfl = NULL;
	void **ud;
	size_t nr, i;
	int err = 0;

	v = proc_maps__entries(maps, &nr);
	dwfl = dwfl_begin(&dwfl_callbacks);
	if (!dwfl)
		return -ENOMEM;
	dwfl_report_begin(dwfl);
	for (i = 0; i < nr; i++) {
		if (!is_code(&v[i]))
			continue;
		/* a second executable mapping of a file already placed (split by mprotect) */
		if (last && v[i].ino == last->ino && v[i].start >= last->low &&
		    v[i].end <= last->high && strcmp(v[i].path, last->path) == 0)
			continue;
		um = module_open(p, &v[i]);
		if (!um)
			continue; /* its frames fall back to the frame pointer */
		mod = dwfl_report_module(dwfl, um->path, um->low, um->high);
		if (!mod) {
			module_free(um);
			continue;
		}
		dwfl_module_info(mod, &ud, NULL, NULL, NULL, NULL, NULL, NULL);
		*ud = um;
		um->mod = mod;
		um->next = mods;
		mods = um;
		last = um;
	}
	if (dwfl_report_end(dwfl, NULL, NULL) != 0 || !mods) {
		err = mods ? -EINVAL : -ENOENT;
		goto cleanup;
	}
	/* open the ELFs now, while the process lives; find_elf hands them over */
	for (um = mods; um; um = um->next)
		dwfl_module_getelf(um->mod, &bias);
	if (!dwfl_attach_state(dwfl, NULL, p->pid, &thread_callbacks, p)) {
		err = -EINVAL;
		goto cleanup;
	}
	*dwflp = dwfl;
	*modsp = mods;
	dwfl = NULL;
	mods = NULL;
cleanup:
	dwfl_end(dwfl); /* before the modules: it ends the ELFs handed over, not the vDSO images */
	mods_free(mods);
	return err;
}

static void proc_free(struct uproc *p)
{
	if (!p)
		return;
	dwfl_end(p->dwfl);
	mods_free(p->mods);
	if (p->root_fd >= 0)
		close(p->root_fd);
	free(p);
}

static int proc_new(struct unwinder *u, int pid, struct uproc **out)
{
	struct proc_maps *maps = NULL;
	struct stat st, ours;
	struct uproc *p;
	char path[64];
	int err;

	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->pid = pid;
	/* the target's root, kept for debug files looked up after it exits */
	snprintf(path, sizeof(path), "/proc/%d/root", pid);
	p->root_fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (p->root_fd < 0 && errno == ENOENT) {
		free(p);
		return -ESRCH;
	}
	p->own_root = p->root_fd >= 0 && fstat(p->root_fd, &st) == 0 && stat("/", &ours) == 0 &&
		      st.st_dev == ours.st_dev && st.st_ino == ours.st_ino;
	/* whatever was read last will do (at attach, say): a pc outside it reads them again */
	err = proc_maps_cache__get(u->maps, pid, PROC_MAPS_ANY_AGE, &maps);
	if (!err)
		err = proc_build(p, maps, &p->dwfl, &p->mods);
	if (!err)
		p->maps_sig = code_sig(maps);
	proc_maps__put(maps);
	if (err) {
		proc_free(p);
		return err;
	}
	*out = p; /* refreshed_ns 0: the first pc outside every module looks at the maps at once */
	return 0;
}

/*
 * A pc fell outside every module. If the process still runs and its executable mappings changed
 * (dlopen), rebuild its Dwfl. Returns 1 when rebuilt, 0 when not, or a negative errno.
 */
static int proc_refresh(struct unwinder *u, struct uproc *p)
{
	__u64 now = clock_ns(CLOCK_MONOTONIC), sig;
	struct proc_maps *maps;
	struct umod *mods;
	Dwfl *dwfl;
	int err;

	if (now - p->refreshed_ns < REFRESH_NS)
		return 0;
	p->refreshed_ns = now;
	/* as they are now: the library the pc is in was loaded after anyone's last read */
	err = proc_maps_cache__get(u->maps, p->pid, 0, &maps);
	if (err)
		return err;
	sig = code_sig(maps);
	if (sig == p->maps_sig) {
		proc_maps__put(maps);
		return 0;
	}
	err = proc_build(p, maps, &dwfl, &mods);
	proc_maps__put(maps);
	if (err)
		return err;
	dwfl_end(p->dwfl);
	mods_free(p->mods);
	p->dwfl = dwfl;
	p->mods = mods;
	p->maps_sig = sig;
	return 1;
}

static int proc_get(struct unwinder *u, int pid, struct uproc **out)
{
	struct uproc *p, **bucket = &u->procs[(unsigned int)pid % PROC_BUCKETS];
	int err;

	for (p = *bucket; p; p = p->next) {
		if (p->pid == pid) {
			*out = p;
			return 0;
		}
	}
	err = proc_new(u, pid, &p);
	if (err)
		return err;
	p->next = *bucket;
	*bucket = p;
	*out = p;
	return 0;
}

/* ---- unwinding ------------------------------------------------------------------------------- */

static int frame_cb(Dwfl_Frame *state, void *arg)
{
	struct uproc *p = arg;
	Dwarf_Word sp;
	Dwarf_Addr pc;
	bool exact;

	/*
	 * Reads that failed before this frame did not stop the unwind. Those made from here on are
	 * for the step to the next frame (dwfl_frame_pc() takes it to learn whether the next frame
	 * is a signal frame): if it gets no frame, they tell why.
	 */
	p->res.bad_addr = 0;
	if (!dwfl_frame_pc(state, &pc, &exact)) {
		p->res.stop = UNWIND_STOP_BROKEN;
		return DWARF_CB_ABORT;
	}
	if (p->n >= p->max) {
		p->res.stop = UNWIND_STOP_MAX;
		return DWARF_CB_ABORT;
	}
	if (dwfl_frame_reg(state, DWARF_REG_RSP, &sp) == 0) {
		/* each caller's frame lies above its callee's, except across a signal (altstack) */
		if (p->n > 0 && !exact &&
		    (sp < p->prev_sp || (sp == p->prev_sp && pc == p->ips[p->n - 1]))) {
			p->res.stop = UNWIND_STOP_BROKEN;
			return DWARF_CB_ABORT;
		}
		p->prev_sp = sp;
	}
	if (!dwfl_addrmodule(p->dwfl, exact ? pc : pc - 1))
		p->missed = true;
	p->ips[p->n++] = pc;
	return DWARF_CB_OK;
}

static int proc_unwind(struct uproc *p, const struct mt_user_regs *regs, const void *stack,
		       size_t stack_len, __u64 *ips, int max)
{
	__u64 copy_end = regs->rsp + stack_len;
	int ret;

	p->regs = regs;
	p->stack = stack;
	p->stack_len = stack_len;
	p->ips = ips;
	p->max = max;
	p->n = 0;
	p->prev_sp = 0;
	p->missed = false;
	memset(&p->res, 0, sizeof(p->res));
	p->res.stop = UNWIND_STOP_END;
	ret = dwfl_getthread_frames(p->dwfl, p->pid, frame_cb, p);
	/*
	 * libdwfl takes a return address it cannot read for the end of the stack (0), like one the
	 * CFI marks undefined: only a failed read tells the two apart. It fails (-1) on a pc it
	 * cannot unwind at all.
	 */
	if (p->res.stop == UNWIND_STOP_END && p->res.bad_addr)
		p->res.stop =
			p->res.bad_addr >= copy_end && p->res.bad_addr - copy_end < STACK_REACH
				? UNWIND_STOP_STACK
				: UNWIND_STOP_BROKEN;
	else if (ret < 0)
		p->res.stop = UNWIND_STOP_BROKEN;
	p->regs = NULL;
	p->stack = NULL;
	p->ips = NULL;
	return p->n > 0 ? 0 : -EIO;
}

/* ---- public API ------------------------------------------------------------------------------ */

struct unwinder *unwinder__new(struct proc_maps_cache *maps)
{
	struct unwinder *u;

	if (elf_version(EV_CURRENT) == EV_NONE) {
		errno = EINVAL;
		return NULL;
	}
	u = calloc(1, sizeof(*u));
	if (u)
		u->maps = maps;
	return u;
}

void unwinder__free(struct unwinder *u)
{
	struct uproc *p;
	int i;

	if (!u)
		return;
	for (i = 0; i < PROC_BUCKETS; i++) {
		while ((p = u->procs[i])) {
			u->procs[i] = p->next;
			proc_free(p);
		}
	}
	free(u);
}

int unwinder__prepare(struct unwinder *u, int pid)
{
	struct uproc *p;

	if (!u || pid <= 0)
		return -EINVAL;
	return proc_get(u, pid, &p);
}

int unwinder__unwind(struct unwinder *u, int pid, const struct mt_user_regs *regs,
		     const void *stack, size_t stack_len, __u64 *ips, int max, int *n)
{
	struct uproc *p;
	int err;

	if (n)
		*n = 0;
	if (!u || pid <= 0 || !regs || (!stack && stack_len) || !ips || max <= 0 || !n)
		return -EINVAL;
#ifndef __x86_64__
	return -EOPNOTSUPP; /* struct mt_user_regs and the DWARF register numbers are x86-64's */
#endif
	err = proc_get(u, pid, &p);
	if (err)
		return err;
	err = proc_unwind(p, regs, stack, stack_len, ips, max);
	if (!err && p->missed && proc_refresh(u, p) == 1)
		err = proc_unwind(p, regs, stack, stack_len, ips, max);
	if (err)
		return err;
	u->last = p->res;
	*n = p->n;
	return 0;
}

void unwinder__last_result(const struct unwinder *u, struct unwind_result *res)
{
	if (u && res)
		*res = u->last;
}

void unwinder__forget(struct unwinder *u, int pid)
{
	struct uproc **pp, *p;

	if (!u || pid <= 0)
		return;
	for (pp = &u->procs[(unsigned int)pid % PROC_BUCKETS]; (p = *pp); pp = &p->next) {
		if (p->pid == pid) {
			*pp = p->next;
			proc_free(p);
			break;
		}
	}
	/* an exec'd process's snapshot no longer describes it, nor does an exited one's pid */
	proc_maps_cache__forget(u->maps, pid);
}

const char *unwind_stop__str(enum unwind_stop stop)
{
	switch (stop) {
	case UNWIND_STOP_END:
		return "end";
	case UNWIND_STOP_MAX:
		return "max";
	case UNWIND_STOP_STACK:
		return "stack";
	case UNWIND_STOP_BROKEN:
		return "broken";
	}
	return "?";
}
