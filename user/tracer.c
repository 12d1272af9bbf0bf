// SPDX-License-Identifier: MIT
#define _GNU_SOURCE /* process_vm_readv */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "attach.h"
#include "ccmap_impl.h"
#include "cmap_impl.h"
#include "gotype.h"
#include "lockid.h"
#include "lockkind.h"
#include "symbolizer.h"
#include "sink.h"
#include "tableread.h"
#include "u64map.h"
#include "mt_event.h"
#include "tracer.h"
#include "unwind.h"
#include "util.h"

#define STACK_DEPTH 127
#define STACK_UNRESOLVED (-2)

struct tracer {
	struct attacher *at;	/* the BPF programs, attached to the target */
	struct lockid *li;	/* names data and futex words */
	struct ring_buffer *rb;
	struct symbolizer *sz;
	struct unwinder *uw;	/* --stack dwarf, else NULL */
	struct proc_maps_cache *maps; /* the target's mappings (the target's cache; not owned) */
	const struct sink *sink; /* the model, and the trace file with -o */
	bool *grwlock_stack;	 /* by stack index: it passes through g_rw_lock_* */
	int nstacks, cap_stacks;
	struct u64map core_maps; /* live libcmap core maps (whose counters can be read) */
	struct u64map sync_maps; /* live libcmap sync maps (whose hits and misses can be read) */
	struct u64map caller_stacks; /* (stack id << 48 | caller) -> model stack, Go entry resizes */
	struct tableread *tables; /* profile maps whose fields each sync reads */
	double budget_pct, duty; /* --overhead-budget: the bound, the share attached */
	int pid;
	int ncpus;
	__u32 stack_slots;
	int *stack_of;	 /* BPF stack id -> model stack index, STACK_UNRESOLVED until seen */
	__u64 malformed; /* records shorter than their header says */
	int exit_fd;	/* the exit program's hash of maps to read (-1: none) */
	bool totals_started; /* the library's totals at the start went to the sink */
	__u64 dwarf_stacks; /* stacks unwound from a stack copy */
	__u64 cycles0, cycles0_ns; /* cmap_cycles() and CLOCK_MONOTONIC as the tracer started */
	struct gotypes *gotypes; /* the Go program's type names, NULL when none */
	struct u64map go_types; /* map -> the type descriptor last sent for it */
};

/*
 * libcmap's evacuation time, counted in cmap_cycles(), in ns: at the rate from the tracer's
 * start to the reading (@c, @ns) its caller took once for a batch.
 */
static __u64 lib_cycles_ns(const struct tracer *tr, __u64 cycles, __u64 c, __u64 ns)
{
	return cycles ? cmap_cycles_ns(cycles, tr->cycles0, tr->cycles0_ns, c, ns) : 0;
}

bool tracer__traces_probe(const char *name, bool detail)
{
	return attacher__traces_probe(name, detail);
}

/* Remember what lock identification needs of stack @idx later: whether it shows a GRWLock. */
static int note_stack(struct tracer *tr, int idx, const struct mt_frame *frames, int n)
{
	if (idx < tr->nstacks)
		return 0;
	while (tr->nstacks <= idx) {
		if (GROW(tr->grwlock_stack, tr->nstacks, tr->cap_stacks, 64))
			return -ENOMEM;
		tr->grwlock_stack[tr->nstacks++] = false;
	}
	tr->grwlock_stack[idx] = lockkind__grwlock_stack(frames, n);
	return 0;
}

/* Symbolize return addresses (leaf first) and intern them in the sink: its stack index. */
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
		/*
		 * No call returns into memory that cannot run: a frame-pointer walk that reached
		 * one (a Go runtime function using %rbp as a plain register) went off the chain
		 */
		if (n && sf.data)
			break;
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
		/* the sink copies the strings: sf is reused, so keep copies until it has */
		frames[n].func = strdup(sf.func);
		frames[n].module = strdup(sf.module);
		frames[n].build_id = strdup(sf.build_id);
		frames[n].file = strdup(sf.file);
	}
	if (!n)
		return -1;
	idx = sink__stack(tr->sink, -1, frames, n);
	if (idx >= 0 && note_stack(tr, idx, frames, n))
		idx = -1;
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
	if (bpf_map_lookup_elem(attacher__stacks_fd(tr->at), &id, ips))
		return -1;
	tr->stack_of[id] = intern_ips(tr, ips, STACK_DEPTH);
	return tr->stack_of[id];
}

/*
 * The stack of a resize seen at a Go function's entry (MT_RESIZE_CALLER): the kernel's walk
 * with the caller's return address @caller second, where the walk skipped it.
 */
static int resolve_stack_caller(struct tracer *tr, __s32 id, __u64 caller)
{
	/* user addresses fit in 47 bits, stack ids in 16: one key, symbolized once */
	__u64 ips[STACK_DEPTH + 1] = {}, key = (__u64)id << 48 | caller, idx;
	int stack;

	if (id < 0 || (__u32)id >= tr->stack_slots || caller >> 48)
		return resolve_stack(tr, id);
	if (u64map__get(&tr->caller_stacks, key, &idx))
		return (int)idx;
	if (bpf_map_lookup_elem(attacher__stacks_fd(tr->at), &id, ips))
		return -1;
	if (ips[1] == caller) {
		stack = resolve_stack(tr, id);
	} else {
		memmove(&ips[2], &ips[1], (STACK_DEPTH - 1) * sizeof(ips[0]));
		ips[1] = caller;
		stack = intern_ips(tr, ips, STACK_DEPTH);
	}
	/* a failed put only costs a later lookup its cache */
	if (stack >= 0)
		u64map__put(&tr->caller_stacks, key, (__u64)stack);
	return stack;
}

/*
 * Unwind a record's copy of the user stack with the modules' CFI.  Return: the model stack, or
 * -1 when the record carries no copy or the unwind found no frame (the caller falls back to
 * the kernel's frame-pointer stack).
 */
static int unwind_stack(struct tracer *tr, const struct mt_hdr *h, size_t size)
{
	__u32 base = mt_rec_size(h->type);
	const struct mt_ustack *u;
	__u64 ips[STACK_DEPTH], fp[STACK_DEPTH] = {};
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
	/*
	 * The copy holds the stack's top bytes only: a deep Go stack (tsgo's checker recursing)
	 * ends where they do.  The kernel's frame-pointer walk of the same event that agrees on
	 * every frame the copy gave and goes on is the whole stack.
	 */
	if (h->stack_id >= 0 && (__u32)h->stack_id < tr->stack_slots &&
	    !bpf_map_lookup_elem(attacher__stacks_fd(tr->at), &h->stack_id, fp) &&
	    n < STACK_DEPTH && fp[n] && !memcmp(fp, ips, n * sizeof(*ips)))
		return resolve_stack(tr, h->stack_id);
	tr->dwarf_stacks++;
	return intern_ips(tr, ips, n);
}

/* A profile map whose record carries a name pointer gets the name of what it points to. */
static int name_map(struct tracer *tr, const struct mt_event *ev)
{
	const char *name;
	__u64 tag;

	if (ev->kind == MT_EV_RESIZE && !(ev->flags & MT_EV_LOG2))
		tag = ev->resize.tag;
	else if (ev->kind == MT_EV_MAP_CREATE && !(ev->flags & MT_EV_LOG2))
		tag = ev->create.tag;
	else
		return 0;
	name = tag ? lockid__name_data(tr->li, tag) : "";
	return name[0] ? sink__name_map(tr->sink, ev->map, name) : 0;
}

/*
 * A Go map's resize carries its type descriptor: its name goes to the sink when the map is
 * new or holds another type now (tsgo reuses a freed map's memory), before the next record,
 * so a trace file replays the same.
 */
static int go_type(struct tracer *tr, const struct mt_event *ev)
{
	const char *name;
	__u64 last;

	/* a map made (--detail) is a new one at its address: its first grow names it again */
	if (ev->kind == MT_EV_MAP_CREATE)
		u64map__del(&tr->go_types, ev->map);
	if (ev->kind != MT_EV_RESIZE || !ev->resize.type ||
	    (u64map__get(&tr->go_types, ev->map, &last) && last == ev->resize.type))
		return 0;
	name = gotypes__name(tr->gotypes, ev->resize.type);
	if (u64map__put(&tr->go_types, ev->map, ev->resize.type))
		return -ENOMEM;
	return name ? sink__go_type(tr->sink, ev->map, name) : 0;
}

/*
 * The modules stacks will go through: each one a probe is attached in (a grow's stack starts
 * there) and the C library, whose lock code every contended wait is in.
 */
static bool stack_module(const char *path, void *ctx)
{
	const struct probe_plan *plan = ctx;
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	if (!strncmp(base, "libc.so", 7) || !strncmp(base, "libc-", 5) ||
	    !strncmp(base, "libpthread.so", 13) || !strncmp(base, "libpthread-", 11))
		return true;
	for (int i = 0; i < plan->nmodules; i++)
		if (!strcmp(plan->modules[i].mapped, path))
			return true;
	return false;
}

/*
 * The executable whose probes read a map type (a Go program's type= probes) is read for its
 * type names now, at the start: a short-lived target is gone before its records are read.
 * One that cannot be read (a PIE, an unknown layout) leaves its maps unnamed.
 */
static void open_go_types(struct tracer *tr, const struct probe_plan *plan)
{
	for (int i = 0; i < plan->nmodules; i++) {
		const struct plan_module *pm = &plan->modules[i];

		for (int j = 0; j < pm->nsites; j++) {
			if (pm->sites[j].spec.type.kind == MT_SRC_NONE)
				continue;
			if (gotypes__open(pm->path, &tr->gotypes))
				tr->gotypes = NULL;
			return;
		}
	}
}

/*
 * A wait on a futex word outside the library's locks may say which lock the word belongs to:
 * done before the wait reaches the sink, so the trace file replays the same.
 */
static int alias_futex_word(struct tracer *tr, const struct mt_event *ev, int stack)
{
	bool grwlock = stack >= 0 && stack < tr->nstacks && tr->grwlock_stack[stack];
	char name[MT_NAME_MAX];
	__u64 lock;
	int err;

	err = lockid__attribute_futex(tr->li, ev, grwlock, &lock, name, sizeof(name));
	if (err <= 0)
		return err;
	return sink__alias_lock(tr->sink, ev->wait.word, lock, name);
}

/* Map @map (in @set) is read at each sync: the exit program reads it too, as @kind says. */
static int track_map(struct tracer *tr, struct u64map *set, __u64 map, __u32 kind)
{
	struct mt_exit_read er = {.kind = kind};
	__u64 unused;

	if (u64map__get(set, map, &unused))
		return 0;
	/* no room: only its reading at the exit is missed (its last sync's figures stand) */
	if (tr->exit_fd >= 0)
		bpf_map_update_elem(tr->exit_fd, &map, &er, BPF_ANY);
	return u64map__put(set, map, 1);
}

/*
 * The core maps whose own counters each sync reads: those created and not yet freed, and
 * those created before tracing that grew since (only core maps grow).
 */
static int track_core_map(struct tracer *tr, const struct mt_event *ev)
{
	if ((ev->kind == MT_EV_MAP_CREATE && (ev->flags & MT_EV_LOG2) &&
	     ev->create.variant == CMAP_PLAIN) ||
	    (ev->kind == MT_EV_RESIZE && (ev->flags & MT_EV_LOG2)))
		return track_map(tr, &tr->core_maps, ev->map, MT_EXIT_CORE);
	if (ev->kind == MT_EV_MAP_CREATE && (ev->flags & MT_EV_LOG2) &&
	    ev->create.variant == CMAP_SYNC)
		return track_map(tr, &tr->sync_maps, ev->map, MT_EXIT_SYNC);
	if (ev->kind == MT_EV_MAP_DESTROY) {
		u64map__del(&tr->core_maps, ev->map);
		u64map__del(&tr->sync_maps, ev->map);
		/* the exit program leaves it alone; the model ignores a read of it made before */
		if (tr->exit_fd >= 0)
			bpf_map_delete_elem(tr->exit_fd, &ev->map);
	}
	return 0;
}

/*
 * A core map first heard of at its first grow: its creation site (a return address in the
 * code that created it) is the one frame of its creation stack.  Looked up at the call
 * instruction, as every caller frame is.
 */
static int creation_site_stack(struct tracer *tr, const struct mt_hdr *h)
{
	const struct mt_map_create *r = (const void *)h;
	__u64 ip;

	if (h->type != MT_REC_MAP_CREATE || h->size < sizeof(*r) || !r->site)
		return -1;
	ip = r->site - 1;
	return intern_ips(tr, &ip, 1);
}

static int on_record(void *ctx, void *data, size_t size)
{
	struct tracer *tr = ctx;
	const struct mt_hdr *h = data;
	__u64 plain[MT_REC_MAX / sizeof(__u64)];
	struct mt_event ev;
	int stack;

	if (size < sizeof(*h) || h->size > size) {
		tr->malformed++;
		return 0;
	}
	stack = unwind_stack(tr, h, size);
	if (stack < 0 && h->type == MT_REC_RESIZE && size >= sizeof(struct mt_resize) &&
	    (((const struct mt_resize *)h)->flags & MT_RESIZE_CALLER)) {
		/* the caller goes into the stack; the tag was no name pointer */
		memcpy(plain, h, sizeof(struct mt_resize));
		stack = resolve_stack_caller(tr, h->stack_id, ((struct mt_resize *)plain)->tag);
		((struct mt_resize *)plain)->tag = 0;
		((struct mt_resize *)plain)->flags &= ~MT_RESIZE_CALLER;
		((struct mt_hdr *)plain)->size = sizeof(struct mt_resize);
		h = (const struct mt_hdr *)plain;
	} else if (stack < 0) {
		stack = resolve_stack(tr, h->stack_id);
	}
	if (stack < 0)
		stack = creation_site_stack(tr, h);
	/* the stack copy has served: the model and the file get the record's own fields */
	if (h->flags & MT_HDR_USTACK) {
		__u32 base = mt_rec_size(h->type);

		if (!base || base > sizeof(plain) || base > size) {
			tr->malformed++;
			return 0;
		}
		memcpy(plain, h, base);
		h = (const struct mt_hdr *)plain;
		((struct mt_hdr *)plain)->size = base;
		((struct mt_hdr *)plain)->flags &= ~MT_HDR_USTACK;
	}
	/* a freed map's counters, read in the kernel: its evacuation time is in cycles */
	if (h->type == MT_REC_LIB_COUNTS && h->size == sizeof(struct mt_lib_counts)) {
		struct mt_lib_counts *lc = (struct mt_lib_counts *)plain;

		if ((const void *)h != plain)
			memcpy(plain, h, sizeof(*lc));
		lc->evac_ns = lib_cycles_ns(tr, lc->evac_ns, cmap_cycles(), clock_ns(CLOCK_MONOTONIC));
		h = &lc->h;
	}
	/* decoded once, here: what the file's reader would refuse never reaches the model */
	if (mt_event_decode(h, h->size, &ev, NULL, 0)) {
		tr->malformed++;
		return 0;
	}
	/* the table reader first: a rehash a resize shows ended goes before the resize */
	return alias_futex_word(tr, &ev, stack) ?: track_core_map(tr, &ev) ?:
	       tableread__event(tr->tables, h, &ev) ?: sink__event(tr->sink, h, &ev, stack) ?:
	       name_map(tr, &ev) ?: go_type(tr, &ev);
}

int tracer__duty(struct tracer *tr)
{
	double duty;
	int err = attacher__duty(tr->at, &duty);

	if (err <= 0)
		return err;
	tr->duty = duty;
	return 0;
}

void tracer__sampling(const struct tracer *tr, struct run_info *info)
{
	if (!attacher__sampled(tr->at))
		return;
	info->budget_pct = tr->budget_pct;
	info->duty = tr->duty;
	info->lib_counts = true;
	info->profile_sampled = attacher__profiles_sampled(tr->at);
}

/* Send the counters of the @n maps at @addrs whose structs were read into @c. */
static int send_lib_counts(struct tracer *tr, const __u64 *addrs, const struct cmap *c, int n)
{
	__u64 cycles = cmap_cycles(), ns = clock_ns(CLOCK_MONOTONIC);
	int err = 0;

	for (int i = 0; i < n && !err; i++) {
		struct mt_ev_lib_counts lc = {
			.inserts = c[i].inserts, .deletes = c[i].deletes,     .count = c[i].count,
			.evacuated = c[i].evacuated, .moved = c[i].moved,     .lookups = c[i].lookups,
			.grow_ns = c[i].grow_ns,
			.evac_ns = lib_cycles_ns(tr, c[i].evac_cycles, cycles, ns),
		};

		err = sink__lib_counts(tr->sink, addrs[i], &lc);
	}
	return err;
}

/*
 * Read each live core map's counters from the library itself (struct cmap, lib/cmap_impl.h)
 * in the target's memory: the figures no per-operation probe needs to count.  One
 * process_vm_readv() reads READ_BATCH maps; it stops at a map freed meanwhile (its destroy
 * record has its last counters), which is skipped.
 */
#define READ_BATCH 64

static int read_lib_counts(struct tracer *tr)
{
	struct iovec local[READ_BATCH], remote[READ_BATCH];
	__u64 addrs[READ_BATCH], unused;
	struct cmap *c = calloc(READ_BATCH, sizeof(*c));
	size_t pos = 0;
	int n = 0, err = 0;
	bool more = true;

	if (!c)
		return -ENOMEM;
	while (!err && (more || n)) {
		ssize_t got;
		int whole;

		while (n < READ_BATCH && (more = u64map__next(&tr->core_maps, &pos, &addrs[n],
								&unused))) {
			local[n] = (struct iovec){ .iov_base = &c[n], .iov_len = sizeof(*c) };
			remote[n] = (struct iovec){ .iov_base = (void *)addrs[n],
						    .iov_len = sizeof(*c) };
			n++;
		}
		if (!n)
			break;
		got = process_vm_readv(tr->pid, local, n, remote, n, 0);
		whole = got > 0 ? (int)(got / (ssize_t)sizeof(*c)) : 0;
		err = send_lib_counts(tr, addrs, c, whole);
		/* skip the map the read stopped at, and read the rest in the next call */
		if (whole + 1 < n) {
			memmove(addrs, addrs + whole + 1, (n - whole - 1) * sizeof(*addrs));
			memmove(remote, remote + whole + 1, (n - whole - 1) * sizeof(*remote));
		}
		n = whole + 1 < n ? n - whole - 1 : 0;
	}
	free(c);
	return err;
}

/* Read @len bytes at @addr of the target; 0, or -EFAULT when they are not all there now. */
static int read_target(struct tracer *tr, __u64 addr, void *buf, size_t len)
{
	struct iovec local = { .iov_base = buf, .iov_len = len };
	struct iovec remote = { .iov_base = (void *)addr, .iov_len = len };

	return process_vm_readv(tr->pid, &local, 1, &remote, 1, 0) == (ssize_t)len ? 0 : -EFAULT;
}

/*
 * Each live sync map's hits and misses, from its own counters (lib/ccmap_impl.h): a read hit
 * is the path a sync map exists to make fast, so nothing probes it by default.
 */
static int read_sync_counts(struct tracer *tr)
{
	__u64 addr, unused;
	size_t pos = 0;
	int err = 0;

	while (!err && u64map__next(&tr->sync_maps, &pos, &addr, &unused)) {
		struct mt_ev_lib_counts lc = {};
		struct ccmap cm;
		struct syncmap sy;

		/* freed meanwhile: its destroy record carries its last counters */
		if (read_target(tr, addr, &cm, sizeof(cm)) ||
		    read_target(tr, (__u64)(unsigned long)cm.sy, &sy, sizeof(sy)))
			continue;
		lc.misses = sy.misses_total;
		for (int i = 0; i < NSTRIPES; i++)
			lc.hits += sy.stripes[i].hits;
		err = sink__lib_counts(tr->sink, addr, &lc);
	}
	return err;
}

int tracer__start(const struct args *a, const struct target *t, const struct probe_plan *plan,
		  const struct sink *sink, struct tracer **out)
{
	struct tracer *tr = calloc(1, sizeof(*tr));
	int err;

	*out = NULL;
	if (!tr)
		return -ENOMEM;
	tr->sink = sink;
	tr->pid = t->pid;
	tr->cycles0 = cmap_cycles();
	tr->cycles0_ns = clock_ns(CLOCK_MONOTONIC);
	tr->exit_fd = -1;
	tr->ncpus = libbpf_num_possible_cpus();
	/* one view of the target's mappings for every reader: the one its inspection read */
	tr->maps = t->maps;
	tr->sz = symbolizer__new(tr->maps);
	if (tr->ncpus <= 0 || !tr->sz) {
		err = tr->ncpus < 0 ? tr->ncpus : -ENOMEM;
		goto cleanup;
	}
	err = lockid__new(tr->pid, t->root, tr->maps, &tr->li);
	if (err)
		goto cleanup;

	/* the skeleton's lifecycle, each step explained in attach.c: open, load, attach */
	err = attacher__open(a, t, plan, &tr->at);
	if (err)
		goto cleanup;
	tr->stack_slots = attacher__stack_slots(tr->at);
	tr->stack_of = malloc(tr->stack_slots * sizeof(*tr->stack_of));
	if (!tr->stack_of) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (__u32 i = 0; i < tr->stack_slots; i++)
		tr->stack_of[i] = STACK_UNRESOLVED;
	err = attacher__load(tr->at);
	if (err)
		goto cleanup;
	err = attacher__attach(tr->at, t, plan);
	if (err)
		goto cleanup;
	/* the profiles' read lines: what each sync reads of the maps their probes find */
	err = tableread__new(plan, a->detail || a->budget_pct > 0, tr->pid, sink, &tr->tables);
	if (err)
		goto cleanup;
	/* what each sync reads, the exit program reads as the target exits */
	{
		int specs_fd;

		tr->exit_fd = attacher__exit_reads_fd(tr->at, &specs_fd);
		err = tableread__exit_reads(tr->tables, tr->exit_fd, specs_fd);
		if (err)
			goto cleanup;
	}
	tr->budget_pct = a->budget_pct;
	tr->duty = 1;

	/* poll: records arrive without wakeups; the main loop polls on a timeout */
	tr->rb = ring_buffer__new(attacher__events_fd(tr->at), on_record, tr, NULL);
	if (!tr->rb) {
		err = -errno;
		fprintf(stderr, "maptrace: cannot set up the ring buffer: %s\n", strerror(-err));
		goto cleanup;
	}
	/* read the target's mappings and open its modules now: it may exit before its last
	 * records are read
	 */
	open_go_types(tr, plan);
	{
		struct sym_frame sf;

		symbolizer__resolve(tr->sz, tr->pid, 0, &sf);
	}
	/*
	 * and set up their DWARF for source lines, a one-off of tens of milliseconds for a libc
	 * with debug info: paid now, before a launched command starts or while attaching, rather
	 * than at the first stack through them, while the target runs (and waits on us for a CPU)
	 */
	if (a->stacks)
		symbolizer__prepare(tr->sz, tr->pid, stack_module, (void *)plan);
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
	int fd = attacher__counts_fd(tr->at);
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
		/* a map a --detail probe counted is read from then on */
		err = sink__counts(tr->sink, key, &sum) ?:
		      (sum.lib ? tableread__saw(tr->tables, key, sum.lib) : 0);
		if (err)
			break;
	}
	free(vals);
	return err;
}

/* The library's totals (struct cmap_totals) read at @ns, as a record through the sink. */
static int send_totals(struct tracer *tr, const struct cmap_totals *tot, __u64 ns)
{
	struct mt_lib_totals r = {
		.h = { .type = MT_REC_LIB_TOTALS, .size = sizeof(r), .pid = (__u32)tr->pid,
		       .tgid = (__u32)tr->pid, .ts = ns, .stack_id = -1 },
		.created = tot->created, .freed = tot->freed, .grows = tot->grows,
		.same_size_grows = tot->same_size_grows,
	};
	struct mt_event ev;

	if (mt_event_decode(&r.h, sizeof(r), &ev, NULL, 0))
		return 0; /* a torn read: the next sync's will do */
	return sink__event(tr->sink, &r.h, &ev, -1);
}

/*
 * Every map created and freed and every grow, from the library's own totals: the first
 * reading is the one taken as the probes attached, so what a trace adds up starts there.  A
 * target gone (or a library without the symbol) leaves the last reading standing.
 */
static int read_totals(struct tracer *tr)
{
	struct cmap_totals tot;
	__u64 ns;
	int err;

	if (!tr->totals_started) {
		ns = attacher__totals_start(tr->at, &tot);
		if (!ns)
			return 0;
		tr->totals_started = true;
		err = send_totals(tr, &tot, ns);
		if (err)
			return err;
	}
	if (attacher__read_totals(tr->at, &tot))
		return 0;
	return send_totals(tr, &tot, clock_ns(CLOCK_MONOTONIC));
}

int tracer__sync(struct tracer *tr)
{
	__u64 dropped[MT_DROP_MAX];
	int err = ring_buffer__consume(tr->rb);

	if (err < 0)
		return err;
	err = sync_counts(tr) ?: read_lib_counts(tr) ?: read_totals(tr) ?: read_sync_counts(tr) ?:
	      tableread__sync(tr->tables, 0);
	/* last: a trace file flushes with the loss counters */
	attacher__drops(tr->at, dropped);
	return err ?: sink__dropped(tr->sink, dropped);
}

void tracer__free(struct tracer *tr)
{
	if (!tr)
		return;
	ring_buffer__free(tr->rb);
	attacher__free(tr->at);
	symbolizer__free(tr->sz);
	unwinder__free(tr->uw);
	free(tr->stack_of);
	free(tr->grwlock_stack);
	u64map__free(&tr->core_maps);
	u64map__free(&tr->sync_maps);
	u64map__free(&tr->caller_stacks);
	u64map__free(&tr->go_types);
	gotypes__close(tr->gotypes);
	tableread__free(tr->tables);
	lockid__free(tr->li);
	free(tr);
}
