// SPDX-License-Identifier: MIT
#define _GNU_SOURCE /* process_vm_readv */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "cmap_impl.h"
#include "elfsym.h"
#include "grow.h"
#include "maptrace.skel.h"
#include "memscan.h"
#include "symbolizer.h"
#include "trace_file.h"
#include "tracer.h"
#include "unwind.h"
#include "procfs.h"
#include "profile.h"
#include "u64map.h"
#include "usdt.h"

#define STACK_DEPTH 127
#define MAX_LINKS 256
#define STACK_UNRESOLVED (-2)
#define DWARF_AUTO_PER_SEC 500 /* --stack auto: 500 x 8 KiB = 4 MiB/s per CPU at most */
#define DUTY_PERIOD_NS 1000000000ULL /* --overhead-budget: one on/off cycle per second */
#define DUTY_MIN_ON_NS 50000000ULL   /* shorter slices would cost more in attach/detach */
/*
 * Estimated CPU one hit of a per-insert probe adds: the kernel's uprobe trampoline on the
 * 5-byte nop plus the program, as measured here by make bench-overhead (see bench/README.md).
 */
#define HOT_HIT_NS 400.0

struct tracer {
	struct maptrace_bpf *skel;
	struct ring_buffer *rb;
	struct bpf_link *links[MAX_LINKS]; /* tracepoints */
	int nlinks;
	int fds[MAX_LINKS]; /* uprobe_multi links of the library's probes */
	int nfds;
	/* --overhead-budget: the per-insert probes' links, attached only part of each second */
	struct hot_link {
		int fd; /* -1 while detached */
		int prog_fd;
		const struct target_module *mod;
		const char *name;
		__u32 first_spec; /* re-attaching rewrites the same spec ids */
	} hot[MAX_LINKS];
	int nhot;
	double budget;		/* fraction of one CPU, 0: not bounded */
	bool hot_on;
	__u64 phase_end, slice_start, slice_hits, on_ns_planned;
	__u64 on_total_ns, duty_start;
	struct symbolizer *sz;
	struct unwinder *uw;	/* --stack dwarf, else NULL */
	struct proc_maps_cache *maps; /* the target's mappings, read once for sz, uw, memscan */
	struct model *m;
	struct trace_writer *w; /* -o FILE, or NULL */
	int stacks_written;	/* model stacks [0, stacks_written) are in the file */
	int write_err;		/* first error writing the file; reported once */
	int pid;
	int ncpus;
	__u32 stack_slots;
	int *stack_of;	 /* BPF stack id -> model stack index, STACK_UNRESOLVED until seen */
	__u64 malformed; /* records shorter than their header says */
	/* names of the data a profile map's name pointer points to (Redis's dictTypes) */
	struct tag_name {
		__u64 tag;
		char name[MT_NAME_MAX]; /* "" when no data symbol covers it */
	} names[64];
	int nnames;
	struct u64map words; /* futex word -> enum word_state, once the word was looked at */
	struct file_range *files; /* data_symbol()'s view of the target's file mappings */
	int nfiles, cap_files;
	__u64 files_read_ns;
	char root[64]; /* the target's /proc/PID/root prefix, "" when it shares ours */
	__u64 dwarf_stacks; /* stacks unwound from a stack copy */
};

/* The USDT programs, by probe name: the BPF functions are named after the probes. */
static const char *const usdt_probes[] = {
	"map_create",	 "map_destroy", "insert",    "delete",	     "sync_hit",
	"sync_miss",	 "grow_begin",	"grow_end",  "evacuate_begin", "evacuate",
	"grow_done",	 "sync_promote", "lock_wait_begin", "lock_wait_end",
};

bool tracer__traces_probe(const char *name)
{
	for (size_t i = 0; i < sizeof(usdt_probes) / sizeof(usdt_probes[0]); i++)
		if (!strcmp(usdt_probes[i], name))
			return true;
	return false;
}

/* Symbolize return addresses (leaf first) and intern them in the model: its stack index. */
static int intern_ips(struct tracer *tr, const __u64 *ips, int nips)
{
	struct mt_frame frames[STACK_DEPTH];
	struct sym_frame sf;
	int n, idx;

	for (n = 0; n < nips && n < STACK_DEPTH && ips[n]; n++) {
		/* return addresses point after the call: look up the call itself */
		__u64 ip = n ? ips[n] - 1 : ips[n];

		memset(&sf, 0, sizeof(sf));
		symbolizer__resolve(tr->sz, tr->pid, ip, &sf);
		/* "pthread_mutex_lock@@GLIBC_2.2.5": the symbol version says nothing to a reader */
		sf.func[strcspn(sf.func, "@")] = '\0';
		frames[n] = (struct mt_frame){
			.ip = ips[n],
			.offset = sf.offset,
			.func = sf.func,
			.module = sf.module,
			.build_id = sf.build_id,
			.file = sf.file,
			.line = sf.line > 0 ? (__u32)sf.line : 0,
			.exact = sf.exact,
		};
		/* the model copies the strings: sf is reused, so intern frame by frame below */
		frames[n].func = strdup(sf.func);
		frames[n].module = strdup(sf.module);
		frames[n].build_id = strdup(sf.build_id);
		frames[n].file = strdup(sf.file);
	}
	if (!n)
		return -1;
	idx = model__intern_stack(tr->m, frames, n);
	for (int i = 0; i < n; i++) {
		free((char *)frames[i].func);
		free((char *)frames[i].module);
		free((char *)frames[i].build_id);
		free((char *)frames[i].file);
	}
	return idx < 0 ? -1 : idx;
}

/* The model stack of a kernel stack id (a frame-pointer walk), symbolized once per id. */
static int resolve_stack(struct tracer *tr, __s32 id)
{
	__u64 ips[STACK_DEPTH] = {};

	if (id < 0 || (__u32)id >= tr->stack_slots)
		return -1;
	if (tr->stack_of[id] != STACK_UNRESOLVED)
		return tr->stack_of[id];
	if (bpf_map_lookup_elem(bpf_map__fd(tr->skel->maps.stacks), &id, ips))
		return -1;
	tr->stack_of[id] = intern_ips(tr, ips, STACK_DEPTH);
	return tr->stack_of[id];
}

/*
 * Unwind a record's copy of the user stack with the modules' CFI.  Return: the model stack, or
 * -1 when the record carries no copy or the unwind found no frame (the caller falls back to
 * the kernel's frame-pointer stack).
 */
static int unwind_stack(struct tracer *tr, const struct mt_hdr *h, size_t size)
{
	__u32 base = trace_record_min_size(h->type);
	const struct mt_ustack *u;
	__u64 ips[STACK_DEPTH];
	int n = 0;

	if (!tr->uw || !(h->flags & MT_HDR_USTACK) || !base || size < base + sizeof(*u))
		return -1;
	u = (const void *)((const char *)h + base);
	if (u->base_size != base || base + sizeof(*u) + u->stack_len > size)
		return -1;
	if (unwinder__unwind(tr->uw, tr->pid, &u->regs, u + 1, u->stack_len, ips, STACK_DEPTH,
			     &n) ||
	    n < 1)
		return -1;
	tr->dwarf_stacks++;
	return intern_ips(tr, ips, n);
}

/* Keep the trace file in step with the model: new stacks first, then the record using them. */
static void write_record(struct tracer *tr, const struct mt_hdr *h, int stack)
{
	int err = 0;

	while (!err && tr->stacks_written <= stack) {
		err = trace_writer__stack(tr->w, tr->stacks_written,
					  model__stack(tr->m, tr->stacks_written));
		tr->stacks_written++;
	}
	if (!err)
		err = trace_writer__record(tr->w, h, stack);
	if (err && !tr->write_err) {
		tr->write_err = err;
		fprintf(stderr, "maptrace: writing the trace file failed: %s; tracing goes on\n",
			strerror(-err));
	}
}

/*
 * Registering the first uprobe waits for an RCU grace period (the kernel's dup_mmap_sem is a
 * percpu rwsem: its first writer syncs, 10-15 ms here); writers that follow within about a
 * grace period do not.  So while the BPF object loads, one thread registers a uprobe on a
 * function of maptrace itself that nothing calls, and pays that wait in parallel; the real
 * probes then attach without it.  If anything here fails, start-up is just slower.
 */
__attribute__((noinline, used)) void mt_prewarm_site(void)
{
	__asm__ volatile("" ::: "memory");
}

struct prewarm {
	pthread_t th;
	bool started;
	int link_fd;
};

/* mt_prewarm_site's offset in the file /proc/self/exe, from our own mappings. */
static int self_offset(__u64 *off)
{
	unsigned long addr = (unsigned long)&mt_prewarm_site, start, end, pgoff;
	char line[512], perms[8];
	FILE *f = fopen("/proc/self/maps", "re");
	int err = -ENOENT;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx %7s %lx", &start, &end, perms, &pgoff) != 4)
			continue;
		if (addr >= start && addr < end && perms[2] == 'x') {
			*off = addr - start + pgoff;
			err = 0;
			break;
		}
	}
	fclose(f);
	return err;
}

static void *prewarm_run(void *arg)
{
	static const struct bpf_insn ret0[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts,
		    .expected_attach_type = (enum bpf_attach_type)USDT_TRACE_UPROBE_MULTI);
	struct prewarm *pw = arg;
	__u64 off;
	int prog;

	if (self_offset(&off))
		return NULL;
	prog = bpf_prog_load(BPF_PROG_TYPE_KPROBE, "mt_prewarm", "GPL", ret0, 2, &opts);
	if (prog < 0)
		return NULL;
	pw->link_fd = usdt__attach_multi(prog, "/proc/self/exe", getpid(), &off, NULL, NULL, 1);
	close(prog);
	return NULL;
}

static void prewarm_start(struct prewarm *pw)
{
	pw->link_fd = -1;
	pw->started = !pthread_create(&pw->th, NULL, prewarm_run, pw);
}

/* Wait for the prewarm thread; its link stays until the others are detached. */
static int prewarm_join(struct prewarm *pw)
{
	if (pw->started)
		pthread_join(pw->th, NULL);
	pw->started = false;
	return pw->link_fd;
}

/* One file mapping of the target, or the anonymous .bss right after a writable one. */
struct file_range {
	__u64 start, end;
	__u64 off;  /* the file offset at start, as if the file went on past its end (.bss) */
	char *path; /* as the target sees it */
};

struct range_load {
	struct tracer *tr;
	int prev_data; /* the index of the last range if a writable file mapping, else -1 */
	__u64 prev_end;
	int err;
};

static int add_file_range(const struct proc_map *pm, void *arg)
{
	struct range_load *rl = arg;
	struct tracer *tr = rl->tr;
	int prev = rl->prev_data;
	bool bss = !pm->path[0] && prev >= 0 && rl->prev_end == pm->start;
	struct file_range *r;

	rl->prev_end = pm->end;
	rl->prev_data = -1;
	if ((pm->path[0] != '/' || pm->deleted) && !bss)
		return 0;
	rl->err = GROW(tr->files, tr->nfiles, tr->cap_files, 64);
	if (rl->err)
		return 1;
	r = &tr->files[tr->nfiles];
	*r = (struct file_range){ .start = pm->start, .end = pm->end, .off = pm->pgoff };
	if (bss)
		r->off = tr->files[prev].off + (pm->start - tr->files[prev].start);
	r->path = strdup(bss ? tr->files[prev].path : pm->path);
	if (!r->path) {
		rl->err = -ENOMEM;
		return 1;
	}
	tr->nfiles++;
	if (pm->write && !bss)
		rl->prev_data = tr->nfiles - 1;
	return 0;
}

static void free_file_ranges(struct tracer *tr)
{
	for (int i = 0; i < tr->nfiles; i++)
		free(tr->files[i].path);
	tr->nfiles = 0;
}

static const struct file_range *file_range_at(const struct tracer *tr, __u64 addr)
{
	for (int i = 0; i < tr->nfiles; i++) {
		if (addr >= tr->files[i].start && addr < tr->files[i].end)
			return &tr->files[i];
	}
	return NULL;
}

static __u64 now_ns(void);

/*
 * The data symbol at @addr in the target ("dbDictType", "lock+0x8"), or "" in @name.  The
 * target's file mappings are read once and again at most once a second, when an address is in
 * none of them (a library loaded since): most futex words asked about are on the heap.
 */
static void data_symbol(struct tracer *tr, __u64 addr, char *name, size_t len)
{
	const struct file_range *r = file_range_at(tr, addr);
	struct elfsym_file *ef = NULL;
	char path[4096];

	name[0] = '\0';
	if (!r && now_ns() - tr->files_read_ns >= 1000000000ULL) {
		struct range_load rl = { .tr = tr, .prev_data = -1 };

		free_file_ranges(tr);
		tr->files_read_ns = now_ns();
		if (procfs__maps(tr->pid, add_file_range, &rl) || rl.err)
			free_file_ranges(tr);
		r = file_range_at(tr, addr);
	}
	if (!r)
		return;
	snprintf(path, sizeof(path), "%s%s", tr->root, r->path);
	if (!elfsym__open(path, tr->root, &ef) &&
	    elfsym__object_at(ef, r->off + (addr - r->start), name, len))
		name[0] = '\0';
	elfsym__close(ef);
}

/* The data symbol @tag points into (Redis: "dbDictType"), or "": resolved once per tag. */
static const char *tag_name(struct tracer *tr, __u64 tag)
{
	struct tag_name *tn;

	for (int i = 0; i < tr->nnames; i++)
		if (tr->names[i].tag == tag)
			return tr->names[i].name;
	tn = &tr->names[tr->nnames < 64 ? tr->nnames++ : 63];
	tn->tag = tag;
	data_symbol(tr, tag, tn->name, sizeof(tn->name));
	return tn->name;
}

/* A profile map whose record carries a name pointer gets the name of what it points to. */
static int name_map(struct tracer *tr, const struct mt_hdr *h)
{
	__u64 map, tag;
	const char *name;
	int err;

	if (h->type == MT_REC_RESIZE) {
		map = ((const struct mt_resize *)h)->map;
		tag = ((const struct mt_resize *)h)->tag;
	} else if (h->type == MT_REC_TABLE_CREATE) {
		map = ((const struct mt_table_create *)h)->map;
		tag = ((const struct mt_table_create *)h)->tag;
	} else {
		return 0;
	}
	name = tag ? tag_name(tr, tag) : "";
	if (!name[0])
		return 0;
	err = model__name_map(tr->m, map, name);
	if (!err && tr->w && !tr->write_err)
		tr->write_err = trace_writer__name(tr->w, map, name);
	return err;
}

/* Does stack @idx wait inside GLib's GRWLock? */
static bool in_grwlock(const struct tracer *tr, int idx)
{
	const struct mt_stack *st = model__stack(tr->m, idx);

	for (int i = 0; st && i < st->nframes; i++) {
		if (!strcmp(st->frames[i].func, "g_rw_lock_reader_lock") ||
		    !strcmp(st->frames[i].func, "g_rw_lock_writer_lock"))
			return true;
	}
	return false;
}

enum word_state {
	WORD_DECIDED = 1, /* named, moved to its GRWLock, or searched for it in vain */
	WORD_NOT_STATIC,  /* no symbol; a later wait's stack may still show a GRWLock */
};

/*
 * A wait on a futex word outside the library's locks says which lock it is, once:
 * - a static lock (in a file's data or .bss) is named after its symbol;
 * - a GRWLock's waiters sleep on the words of the pthread_rwlock_t GLib allocated for it (8 and
 *   12 bytes in: __wrphase_futex, __writers_futex), which the GRWLock points to: the GRWLock is
 *   found in the target's memory, and the word's waits count under its address and name.
 * Done before the wait is added or written, so the trace file replays the same.  Only a stack
 * unwound through GLib shows g_rw_lock_*: until one does (a frame-pointer walk stops short of
 * it, and a buffer past half full sends none), the word stays as it is.
 */
static int attribute_futex_word(struct tracer *tr, const struct mt_hdr *h, int stack)
{
	const struct mt_futex_wait *f = (const void *)h;
	char name[MT_NAME_MAX];
	__u64 lock = 0, state = 0;
	int err;

	if (h->type != MT_REC_FUTEX_WAIT || f->in_lib_wait ||
	    (u64map__get(&tr->words, f->uaddr, &state) && state == WORD_DECIDED))
		return 0;
	if (!in_grwlock(tr, stack)) {
		if (state == WORD_NOT_STATIC)
			return 0;
		data_symbol(tr, f->uaddr, name, sizeof(name));
		err = u64map__put(&tr->words, f->uaddr, name[0] ? WORD_DECIDED : WORD_NOT_STATIC);
		if (err || !name[0])
			return err;
		lock = f->uaddr;
	} else {
		err = u64map__put(&tr->words, f->uaddr, WORD_DECIDED);
		if (err || f->uaddr < 12 ||
		    memscan__find_pointer(tr->maps, tr->pid, (f->uaddr - 12 + 7) & ~7ULL, f->uaddr,
					  MEMSCAN_BUDGET, &lock) != 1)
			return err;
		data_symbol(tr, lock, name, sizeof(name));
	}
	err = model__alias_lock(tr->m, f->uaddr, lock, name);
	if (!err && tr->w && !tr->write_err)
		tr->write_err = trace_writer__lock_alias(tr->w, f->uaddr, lock, name);
	return err;
}

static int on_record(void *ctx, void *data, size_t size)
{
	struct tracer *tr = ctx;
	const struct mt_hdr *h = data;
	__u64 plain[MT_REC_MAX / sizeof(__u64)];
	char why[160];
	int stack;

	if (size < sizeof(*h) || h->size > size) {
		tr->malformed++;
		return 0;
	}
	stack = unwind_stack(tr, h, size);
	if (stack < 0)
		stack = resolve_stack(tr, h->stack_id);
	/* the stack copy has served: the model and the file get the record's own fields */
	if (h->flags & MT_HDR_USTACK) {
		__u32 base = trace_record_min_size(h->type);

		if (!base || base > sizeof(plain) || base > size) {
			tr->malformed++;
			return 0;
		}
		memcpy(plain, h, base);
		h = (const struct mt_hdr *)plain;
		((struct mt_hdr *)plain)->size = base;
		((struct mt_hdr *)plain)->flags &= ~MT_HDR_USTACK;
	}
	/* what the file's reader would refuse must not reach the live model either */
	if (trace_record_check(h, h->size, why, sizeof(why))) {
		tr->malformed++;
		return 0;
	}
	if (attribute_futex_word(tr, h, stack))
		return -ENOMEM;
	if (tr->w && !tr->write_err)
		write_record(tr, h, stack);
	return model__add_record(tr->m, h, stack) ?: name_map(tr, h);
}

/* libbpf needs tracefs for the futex tracepoints; it is not always mounted (nor is it here). */
static int ensure_tracefs(void)
{
	if (!access("/sys/kernel/tracing/events", F_OK) ||
	    !access("/sys/kernel/debug/tracing/events", F_OK))
		return 0;
	if (mount("nodev", "/sys/kernel/tracing", "tracefs", 0, NULL)) {
		int err = -errno;

		fprintf(stderr,
			"maptrace: tracefs is not mounted and mounting it on /sys/kernel/tracing failed "
			"(%s); mount it with 'mount -t tracefs nodev /sys/kernel/tracing' or use "
			"--no-futex\n",
			strerror(-err));
		return err;
	}
	return 0;
}

/* The probes that fire on every operation: the ones --overhead-budget switches on and off. */
static bool is_hot(const char *probe)
{
	return !strcmp(probe, "insert") || !strcmp(probe, "delete") ||
	       !strcmp(probe, "sync_hit") || !strcmp(probe, "sync_miss");
}

/* One uprobe_multi link per (probe, module): all of a probe's sites detach in one batch. */
static int attach_usdt(struct tracer *tr, const struct target *t)
{
	int spec_fd = bpf_map__fd(tr->skel->maps.__bpf_usdt_specs);
	__u32 max_specs = bpf_map__max_entries(tr->skel->maps.__bpf_usdt_specs), next_id = 0;

	for (int mi = 0; mi < t->nmodules; mi++) {
		const struct target_module *mod = &t->modules[mi];

		for (size_t i = 0; i < sizeof(usdt_probes) / sizeof(usdt_probes[0]); i++) {
			struct bpf_program *prog;
			int fd;

			if (!target_module__has_probe(mod, usdt_probes[i]))
				continue;
			prog = bpf_object__find_program_by_name(tr->skel->obj, usdt_probes[i]);
			if (!prog || tr->nfds == MAX_LINKS)
				return -E2BIG;
			if (tr->budget > 0 && is_hot(usdt_probes[i]))
				tr->hot[tr->nhot] = (struct hot_link){ .prog_fd = bpf_program__fd(prog),
								       .mod = mod,
								       .name = usdt_probes[i],
								       .first_spec = next_id };
			fd = usdt__attach_probe(bpf_program__fd(prog), spec_fd, max_specs, mod->path,
						t->pid, mod->sites, mod->nsites, usdt_probes[i], 0,
						&next_id);
			if (fd < 0) {
				if (!target__alive(t->pid))
					fprintf(stderr,
						"maptrace: PID %d exited while maptrace was attaching; "
						"start maptrace while it runs\n",
						t->pid);
				else
					fprintf(stderr,
						"maptrace: cannot attach to probe cmap:%s in %s: %s\n",
						usdt_probes[i], mod->mapped, strerror(-fd));
				return fd;
			}
			if (tr->budget > 0 && is_hot(usdt_probes[i]))
				tr->hot[tr->nhot++].fd = fd;
			else
				tr->fds[tr->nfds++] = fd;
		}
	}
	return 0;
}

/*
 * The profile probes: every site's spec goes into probe_specs under its cookie, and each module's
 * sites attach with one uprobe session link.
 */
static int attach_profiles(struct tracer *tr, const struct target *t, const struct probe_plan *p)
{
	int spec_fd = bpf_map__fd(tr->skel->maps.probe_specs);
	int prog_fd = bpf_program__fd(tr->skel->progs.profile_probe);
	__u32 next = 0;
	int err = 0;

	for (int mi = 0; p && mi < p->nmodules && !err; mi++) {
		const struct plan_module *pm = &p->modules[mi];
		__u64 *offsets = calloc(pm->nsites, sizeof(*offsets));
		__u64 *cookies = calloc(pm->nsites, sizeof(*cookies));
		int fd;

		if (!offsets || !cookies) {
			err = -ENOMEM;
		} else if (next + pm->nsites > MT_MAX_SPECS || tr->nfds == MAX_LINKS) {
			fprintf(stderr, "maptrace: more than %d profile probe sites; trace fewer "
					"functions\n", MT_MAX_SPECS);
			err = -E2BIG;
		}
		for (int i = 0; !err && i < pm->nsites; i++) {
			offsets[i] = pm->sites[i].file_offset;
			cookies[i] = next;
			if (bpf_map_update_elem(spec_fd, &next, &pm->sites[i].spec, BPF_ANY))
				err = -errno;
			next++;
		}
		if (!err) {
			fd = usdt__attach_multi_type(prog_fd, USDT_TRACE_UPROBE_SESSION, pm->path,
						     t->pid, offsets, NULL, cookies, pm->nsites);
			if (fd < 0) {
				err = fd;
				fprintf(stderr, "maptrace: cannot attach the %s probes in %s: %s\n",
					pm->sites[0].sym, pm->mapped, strerror(-err));
			} else {
				tr->fds[tr->nfds++] = fd;
			}
		}
		free(offsets);
		free(cookies);
	}
	return err;
}

static int attach_futex(struct tracer *tr, const struct target *t)
{
	struct bpf_program *progs[] = { tr->skel->progs.futex_enter, tr->skel->progs.futex_exit };
	int err = ensure_tracefs();

	if (err)
		return err;
	for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]); i++) {
		struct bpf_link *link = bpf_program__attach(progs[i]);

		if (!link) {
			err = -errno;
			fprintf(stderr, "maptrace: cannot attach to the futex tracepoints: %s\n",
				strerror(-err));
			return err;
		}
		tr->links[tr->nlinks++] = link;
	}
	(void)t;
	return 0;
}

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
}

/* Every hit of the per-operation probes so far, summed over maps and CPUs. */
static __u64 hot_hits(struct tracer *tr)
{
	int fd = bpf_map__fd(tr->skel->maps.map_counts);
	struct mt_map_counts *vals = calloc(tr->ncpus, sizeof(*vals));
	__u64 key, *prev = NULL, sum = 0;

	if (!vals)
		return 0;
	while (!bpf_map_get_next_key(fd, prev, &key)) {
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, vals))
			continue;
		for (int c = 0; c < tr->ncpus; c++)
			sum += vals[c].inserts + vals[c].deletes + vals[c].sync_hits +
			       vals[c].sync_misses;
	}
	free(vals);
	return sum;
}

struct detach_job {
	struct bpf_link **links;
	int *fds;
	int n;
};

static void *detach_one(void *arg)
{
	struct detach_job *j = arg;

	for (int i = 0; i < j->n; i++) {
		if (j->links) {
			bpf_link__destroy(j->links[i]);
		} else {
			close(j->fds[i]);
			j->fds[i] = -1;
		}
	}
	return NULL;
}

/*
 * Each link's detach waits for an RCU grace period (20-100 ms measured here); closing 14 links
 * in turn takes most of a second.  Close them from parallel threads so the grace periods
 * overlap: the whole detach then costs about one.
 */
static void run_detach(struct detach_job *jobs, int n)
{
	pthread_t th[MAX_LINKS * 3];
	bool started[MAX_LINKS * 3] = {};

	for (int i = 0; i < n; i++) {
		started[i] = !pthread_create(&th[i], NULL, detach_one, &jobs[i]);
		if (!started[i])
			detach_one(&jobs[i]);
	}
	for (int i = 0; i < n; i++)
		if (started[i])
			pthread_join(th[i], NULL);
}

/* The per-operation probes' links only (--overhead-budget). */
static void hot_detach(struct tracer *tr)
{
	struct detach_job jobs[MAX_LINKS];
	int n = 0;

	for (int i = 0; i < tr->nhot; i++)
		if (tr->hot[i].fd >= 0)
			jobs[n++] = (struct detach_job){ .fds = &tr->hot[i].fd, .n = 1 };
	run_detach(jobs, n);
}

static void detach_all(struct tracer *tr)
{
	struct detach_job jobs[MAX_LINKS * 3];
	int n = 0;

	for (int i = 0; i < tr->nfds; i++)
		jobs[n++] = (struct detach_job){ .fds = &tr->fds[i], .n = 1 };
	for (int i = 0; i < tr->nhot; i++)
		if (tr->hot[i].fd >= 0)
			jobs[n++] = (struct detach_job){ .fds = &tr->hot[i].fd, .n = 1 };
	for (int i = 0; i < tr->nlinks; i++)
		jobs[n++] = (struct detach_job){ .links = &tr->links[i], .n = 1 };
	run_detach(jobs, n);
	tr->nfds = tr->nlinks = tr->nhot = 0;
}

static int hot_attach(struct tracer *tr)
{
	int spec_fd = bpf_map__fd(tr->skel->maps.__bpf_usdt_specs);
	__u32 max_specs = bpf_map__max_entries(tr->skel->maps.__bpf_usdt_specs);

	for (int i = 0; i < tr->nhot; i++) {
		struct hot_link *h = &tr->hot[i];
		__u32 id = h->first_spec;

		h->fd = usdt__attach_probe(h->prog_fd, spec_fd, max_specs, h->mod->path, tr->pid,
					   h->mod->sites, h->mod->nsites, h->name, 0, &id);
		if (h->fd < 0)
			return h->fd;
	}
	return 0;
}

int tracer__duty(struct tracer *tr)
{
	__u64 now = now_ns(), hits;
	double rate, cost, duty;
	int err;

	if (!tr->nhot || now < tr->phase_end)
		return 0;
	if (tr->hot_on) {
		hits = hot_hits(tr);
		tr->on_total_ns += now - tr->slice_start;
		/* CPU share the probes cost while attached, from the hits seen in this slice */
		rate = (double)(hits - tr->slice_hits) * 1e9 / (double)(now - tr->slice_start);
		cost = rate * HOT_HIT_NS / 1e9;
		duty = cost > tr->budget ? tr->budget / cost : 1.0;
		tr->on_ns_planned = (__u64)(duty * DUTY_PERIOD_NS);
		if (tr->on_ns_planned < DUTY_MIN_ON_NS)
			tr->on_ns_planned = DUTY_MIN_ON_NS;
		if (tr->on_ns_planned >= DUTY_PERIOD_NS) {
			/* within budget: stay attached, look again in a period */
			tr->slice_start = now;
			tr->slice_hits = hits;
			tr->phase_end = now + DUTY_PERIOD_NS;
		} else {
			hot_detach(tr);
			tr->hot_on = false;
			tr->phase_end = now + DUTY_PERIOD_NS - tr->on_ns_planned;
		}
	} else {
		err = hot_attach(tr);
		if (err)
			return err;
		tr->hot_on = true;
		tr->slice_start = now_ns();
		tr->slice_hits = hot_hits(tr);
		tr->phase_end = tr->slice_start + tr->on_ns_planned;
	}
	model__info(tr->m)->duty =
		(double)(tr->on_total_ns + (tr->hot_on ? now - tr->slice_start : 0)) /
		(double)(now - tr->duty_start ?: 1);
	return 0;
}

/*
 * With the per-insert probes sampled, read each core map's exact counters from the library
 * itself (struct cmap, lib/cmap_impl.h) in the target's memory.
 */
static int read_lib_counts(struct tracer *tr)
{
	__u64 *addrs;
	int n, err;

	err = model__core_maps(tr->m, &addrs, &n);
	if (err)
		return err;
	for (int i = 0; i < n && !err; i++) {
		struct cmap c;
		struct iovec local = { .iov_base = &c, .iov_len = sizeof(c) };
		struct iovec remote = { .iov_base = (void *)addrs[i], .iov_len = sizeof(c) };

		/* the map may be freed meanwhile (its destroy record says so): skip it */
		if (process_vm_readv(tr->pid, &local, 1, &remote, 1, 0) != sizeof(c))
			continue;
		err = model__set_lib_counts(tr->m, addrs[i], c.inserts, c.deletes, c.count);
	}
	free(addrs);
	return err;
}

int tracer__start(const struct args *a, const struct target *t, const struct probe_plan *plan,
		  struct model *m, struct trace_writer *w, struct tracer **out)
{
	struct tracer *tr = calloc(1, sizeof(*tr));
	struct prewarm pw = {};
	int err, fd;

	*out = NULL;
	if (!tr)
		return -ENOMEM;
	prewarm_start(&pw);
	tr->m = m;
	tr->w = w;
	tr->budget = a->budget_pct / 100.0;
	tr->pid = t->pid;
	snprintf(tr->root, sizeof(tr->root), "%s", t->root);
	tr->ncpus = libbpf_num_possible_cpus();
	tr->maps = proc_maps_cache__new(); /* NULL still works: each reads its own */
	tr->sz = symbolizer__new(tr->maps);
	if (tr->ncpus <= 0 || !tr->sz) {
		err = tr->ncpus < 0 ? tr->ncpus : -ENOMEM;
		goto cleanup;
	}

	/* open: parse the object, nothing in the kernel yet */
	tr->skel = maptrace_bpf__open();
	if (!tr->skel) {
		err = -errno;
		fprintf(stderr, "maptrace: cannot open the BPF object: %s\n", strerror(-err));
		goto cleanup;
	}
	/* configure: the pid filter and sizes are constants the verifier sees */
	tr->skel->rodata->target_tgid = t->pid;
	tr->skel->rodata->rb_size = a->ringbuf_mb << 20;
	tr->skel->rodata->capture_stacks = a->stacks;
	tr->skel->rodata->trace_futex = a->futex;
	tr->skel->rodata->nr_cpus = tr->ncpus;
	tr->skel->rodata->stack_dwarf = a->stacks && a->stack_dwarf;
	tr->skel->rodata->ustack_size = a->stack_size;
	tr->skel->rodata->dwarf_per_sec = a->stack_auto ? DWARF_AUTO_PER_SEC : 0;
	tr->skel->rodata->lib_counts = a->budget_pct > 0;
	tr->skel->rodata->lib_off_inserts = offsetof(struct cmap, inserts);
	tr->skel->rodata->lib_off_deletes = offsetof(struct cmap, deletes);
	tr->skel->rodata->lib_off_count = offsetof(struct cmap, count);
	bpf_map__set_max_entries(tr->skel->maps.events, a->ringbuf_mb << 20);
	if (!a->futex) {
		bpf_program__set_autoload(tr->skel->progs.futex_enter, false);
		bpf_program__set_autoload(tr->skel->progs.futex_exit, false);
	}
	/* the library's probes attach through uprobe_multi links, which need this at load */
	for (size_t i = 0; i < sizeof(usdt_probes) / sizeof(usdt_probes[0]); i++) {
		struct bpf_program *prog =
			bpf_object__find_program_by_name(tr->skel->obj, usdt_probes[i]);

		if (prog)
			bpf_program__set_expected_attach_type(
				prog, (enum bpf_attach_type)USDT_TRACE_UPROBE_MULTI);
	}
	/* one program serves every profile probe, at entry and (when it asks) at return */
	bpf_program__set_expected_attach_type(tr->skel->progs.profile_probe,
					      (enum bpf_attach_type)USDT_TRACE_UPROBE_SESSION);
	if (!probe_plan__sites(plan))
		bpf_program__set_autoload(tr->skel->progs.profile_probe, false);
	tr->stack_slots = bpf_map__max_entries(tr->skel->maps.stacks);
	tr->stack_of = malloc(tr->stack_slots * sizeof(*tr->stack_of));
	if (!tr->stack_of) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (__u32 i = 0; i < tr->stack_slots; i++)
		tr->stack_of[i] = STACK_UNRESOLVED;

	/* load: verify and create maps */
	err = maptrace_bpf__load(tr->skel);
	if (err) {
		fprintf(stderr, "maptrace: cannot load the BPF programs: %s (run with -v for the "
				"verifier log)\n",
			strerror(-err));
		goto cleanup;
	}

	/* attach: the library's probes in every module that has them, then futex waits */
	fd = prewarm_join(&pw);
	if (fd >= 0)
		tr->fds[tr->nfds++] = fd;
	err = attach_usdt(tr, t);
	if (!err)
		err = attach_profiles(tr, t, plan);
	if (!err && a->futex)
		err = attach_futex(tr, t);
	if (err)
		goto cleanup;

	if (tr->nhot) {
		tr->hot_on = true;
		tr->duty_start = tr->slice_start = now_ns();
		tr->phase_end = tr->slice_start + DUTY_MIN_ON_NS * 4;
		tr->on_ns_planned = DUTY_PERIOD_NS;
		tr->slice_hits = hot_hits(tr);
		model__info(m)->budget_pct = a->budget_pct;
		model__info(m)->duty = 1;
		model__info(m)->lib_counts = true;
	}

	/* poll: records arrive without wakeups; the main loop polls on a timeout */
	tr->rb = ring_buffer__new(bpf_map__fd(tr->skel->maps.events), on_record, tr, NULL);
	if (!tr->rb) {
		err = -errno;
		fprintf(stderr, "maptrace: cannot set up the ring buffer: %s\n", strerror(-err));
		goto cleanup;
	}
	/* read the target's mappings and open its modules now: it may exit before its last
	 * records are read
	 */
	{
		struct sym_frame sf;

		symbolizer__resolve(tr->sz, tr->pid, 0, &sf);
	}
	if (a->stacks && a->stack_dwarf) {
		tr->uw = unwinder__new(tr->maps);
		if (!tr->uw || unwinder__prepare(tr->uw, tr->pid)) {
			/* still correct, just shallower: frame-pointer stacks */
			fprintf(stderr, "maptrace: cannot prepare DWARF unwinding of PID %d; "
					"falling back to frame-pointer stacks\n",
				tr->pid);
			unwinder__free(tr->uw);
			tr->uw = NULL;
		}
	}
	*out = tr;
	return 0;
cleanup:
	fd = prewarm_join(&pw);
	if (fd >= 0)
		close(fd);
	tracer__free(tr);
	return err;
}

int tracer__poll(struct tracer *tr, int timeout_ms)
{
	int n = ring_buffer__poll(tr->rb, timeout_ms);

	/* records are submitted without a wakeup until the buffer fills: read them anyway, so
	 * none waits longer than a poll period (a GRWLock is found while its process lives) */
	if (!n)
		n = ring_buffer__consume(tr->rb);
	if (n == -EINTR)
		return 0;
	return n;
}

static int sync_counts(struct tracer *tr)
{
	int fd = bpf_map__fd(tr->skel->maps.map_counts);
	struct mt_map_counts *vals = calloc(tr->ncpus, sizeof(*vals));
	__u64 key, *prev = NULL;
	int err = 0;

	if (!vals)
		return -ENOMEM;
	while (!bpf_map_get_next_key(fd, prev, &key)) {
		struct mt_map_counts sum = {};

		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, vals))
			continue; /* deleted meanwhile by map_destroy */
		for (int c = 0; c < tr->ncpus; c++) {
			sum.inserts += vals[c].inserts;
			sum.deletes += vals[c].deletes;
			sum.sync_hits += vals[c].sync_hits;
			sum.sync_misses += vals[c].sync_misses;
			sum.lookups += vals[c].lookups;
			if (vals[c].lib)
				sum.lib = vals[c].lib;
			sum.evac_steps += vals[c].evac_steps;
			sum.evac_moved += vals[c].evac_moved;
			sum.evac_ns += vals[c].evac_ns;
			if (vals[c].evac_max_ns > sum.evac_max_ns)
				sum.evac_max_ns = vals[c].evac_max_ns;
		}
		err = model__set_counts(tr->m, key, &sum);
		if (err)
			break;
		if (tr->w && !tr->write_err)
			tr->write_err = trace_writer__counts(tr->w, key, &sum);
	}
	free(vals);
	return err;
}

int tracer__sync(struct tracer *tr)
{
	__u64 dropped[MT_DROP_MAX];
	int err = ring_buffer__consume(tr->rb);

	if (err < 0)
		return err;
	for (int i = 0; i < MT_DROP_MAX; i++)
		dropped[i] = __atomic_load_n(&tr->skel->bss->drops[i], __ATOMIC_RELAXED);
	model__set_dropped(tr->m, dropped);
	err = sync_counts(tr);
	if (!err && tr->nhot)
		err = read_lib_counts(tr);
	if (!err && tr->w && !tr->write_err)
		tr->write_err = trace_writer__drops(tr->w, dropped) ?: trace_writer__flush(tr->w);
	return err;
}

void tracer__free(struct tracer *tr)
{
	if (!tr)
		return;
	ring_buffer__free(tr->rb);
	detach_all(tr);
	maptrace_bpf__destroy(tr->skel);
	symbolizer__free(tr->sz);
	unwinder__free(tr->uw);
	proc_maps_cache__free(tr->maps);
	free(tr->stack_of);
	u64map__free(&tr->words);
	free_file_ranges(tr);
	free(tr->files);
	free(tr);
}
