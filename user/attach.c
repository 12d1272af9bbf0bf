// SPDX-License-Identifier: MIT
#define _GNU_SOURCE /* process_vm_readv */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "attach.h"
#include "ccmap_impl.h"
#include "cmap_impl.h"
#include "elfsym.h"
#include "maptrace.skel.h"
#include "procfs.h"
#include "profile.h"
#include "sysc_attach.h"
#include "usdt.h"
#include "util.h"

#define MAX_LINKS 256
#define DWARF_AUTO_PER_SEC 500 /* --stack auto: 500 x 8 KiB = 4 MiB/s per CPU at most */
#define DUTY_PERIOD_NS 1000000000ULL /* --overhead-budget: one on/off cycle per second */
#define DUTY_MIN_ON_NS 50000000ULL   /* shorter slices would cost more in attach/detach */
/*
 * Estimated CPU one hit of a per-insert probe adds: the kernel's uprobe trampoline on the
 * 5-byte nop plus the program, as measured here by make bench-overhead (see bench/README.md).
 */
#define HOT_HIT_NS 400.0

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
	__u64 addr = (__u64)(unsigned long)&mt_prewarm_site;
	const struct proc_map *m;
	struct proc_maps *pm;
	int err = proc_maps__read(getpid(), &pm);

	if (err)
		return err;
	m = proc_maps__find(pm, addr);
	err = m && m->exec ? 0 : -ENOENT;
	if (!err)
		*off = addr - m->start + m->pgoff;
	proc_maps__put(pm);
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
	int fd;

	if (pw->started)
		pthread_join(pw->th, NULL);
	pw->started = false;
	fd = pw->link_fd;
	pw->link_fd = -1; /* the caller owns it now */
	return fd;
}

struct attacher {
	struct maptrace_bpf *skel;
	struct prewarm pw;
	struct bpf_link *links[MAX_LINKS]; /* tracepoints */
	int nlinks;
	int fds[MAX_LINKS]; /* uprobe_multi links of the library's probes */
	int nfds;
	/* --overhead-budget: the per-insert probes' links, attached only part of each second */
	struct hot_link {
		int fd; /* -1 while detached */
		int prog_fd;
		__u32 type; /* a profile module's: USDT_TRACE_UPROBE_SESSION or _MULTI */
		const struct target_module *mod;
		/* a profile module's per-operation sites (mod NULL): a uprobe session link for
		 * those that need their return, a plain one for the others */
		const char *path;
		__u64 *offsets, *cookies;
		int nsites;
		const char *name;
		__u32 first_spec; /* re-attaching rewrites the same spec ids */
	} hot[MAX_LINKS];
	int nhot;
	double budget; /* fraction of one CPU, 0: not bounded */
	double hit_ns; /* the estimated cost of a per-operation hit: the dearest probe's */
	bool detail;   /* --detail (or --overhead-budget): the per-operation probes too */
	bool follow;   /* --comm/--exe: a target gone before the attach is waited past, not fatal */
	bool hot_on;
	__u64 phase_end, slice_start, slice_hits, on_ns_planned;
	__u64 on_total_ns, duty_start;
	bool futex;    /* time futex waits */
	bool futex_tp; /* by the syscall tracepoints, not the target's syscall sites (sysc.h) */
	__u64 totals_addr; /* the library's struct cmap_totals in the target, 0 when not found */
	struct cmap_totals totals0; /* as read when the probes were about to attach */
	__u64 totals0_ns;	    /* CLOCK_MONOTONIC then, 0: not read */
	int pid;
	int ncpus;
};

/* The USDT programs, by probe name: the BPF functions are named after the probes. */
static const char *const usdt_probes[] = {
	"map_create",	 "map_destroy", "insert",    "delete",	     "sync_hit",
	"sync_miss",	 "grow_begin",	"grow_end",  "evacuate_begin", "evacuate",
	"grow_done",	 "sync_promote", "lock_wait_begin", "lock_wait_end", "lock_hold",
	"ccmap_create",	 "map_create_big",
};

/*
 * Every insert, delete, evacuation step and sync-map read: by default the map's own counters
 * (read from its struct at each sync and as it is freed) say what these would count, at no cost
 * to the program.  Per-operation probes cost 0.2-5 us a hit on paths of 50-100 ns (bench/README.md).
 */
static bool per_operation(const char *name)
{
	return !strcmp(name, "insert") || !strcmp(name, "delete") ||
	       !strcmp(name, "evacuate_begin") || !strcmp(name, "evacuate") ||
	       !strcmp(name, "sync_hit") || !strcmp(name, "sync_miss");
}

bool attacher__traces_probe(const char *name, bool detail)
{
	if (!detail && per_operation(name))
		return false;
	/*
	 * A probe hit costs several times what creating a small map does, so by default no probe
	 * fires per small core map created or freed: a core map becomes known at its first grow
	 * to 2^CMAP_QUIET_B buckets, or at its creation that big (map_create_big: a size hint),
	 * and fires map_destroy once that big.  Concurrent maps and their inner maps are announced by
	 * ccmap_create; --detail traces every creation through map_create, which fires for
	 * those as well.
	 */
	if (!strcmp(name, "map_create"))
		return detail;
	if (!strcmp(name, "ccmap_create") || !strcmp(name, "map_create_big"))
		return !detail;
	for (size_t i = 0; i < ARRAY_SIZE(usdt_probes); i++)
		if (!strcmp(usdt_probes[i], name))
			return true;
	return false;
}

/* The probes that fire on every operation: the ones --overhead-budget switches on and off. */
static bool is_hot(const char *probe)
{
	return !strcmp(probe, "insert") || !strcmp(probe, "delete") ||
	       !strcmp(probe, "sync_hit") || !strcmp(probe, "sync_miss");
}

/* One uprobe_multi link per (probe, module): all of a probe's sites detach in one batch. */
static int attach_usdt(struct attacher *at, const struct target *t)
{
	int spec_fd = bpf_map__fd(at->skel->maps.__bpf_usdt_specs);
	__u32 max_specs = bpf_map__max_entries(at->skel->maps.__bpf_usdt_specs), next_id = 0;

	for (int mi = 0; mi < t->nmodules; mi++) {
		const struct target_module *mod = &t->modules[mi];

		for (size_t i = 0; i < ARRAY_SIZE(usdt_probes); i++) {
			struct bpf_program *prog;
			int fd;

			if (!target_module__has_probe(mod, usdt_probes[i]) ||
			    !attacher__traces_probe(usdt_probes[i], at->detail))
				continue;
			prog = bpf_object__find_program_by_name(at->skel->obj, usdt_probes[i]);
			if (!prog || at->nfds == MAX_LINKS)
				return -E2BIG;
			if (at->budget > 0 && is_hot(usdt_probes[i]))
				at->hot[at->nhot] = (struct hot_link){ .prog_fd = bpf_program__fd(prog),
								       .mod = mod,
								       .name = usdt_probes[i],
								       .first_spec = next_id };
			fd = usdt__attach_probe(bpf_program__fd(prog), spec_fd, max_specs, mod->path,
						t->pid, mod->sites, mod->nsites, usdt_probes[i], 0,
						&next_id);
			if (fd < 0) {
				/* following, run.c says it waits for the next run instead */
				if (!target__running(t) && at->follow)
					return fd;
				if (!target__running(t))
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
			if (at->budget > 0 && is_hot(usdt_probes[i]))
				at->hot[at->nhot++].fd = fd;
			else
				at->fds[at->nfds++] = fd;
		}
	}
	return 0;
}

/*
 * The profile probes: every site's spec goes into probe_specs under its cookie, and each module's
 * sites attach with one uprobe session link.
 */
/*
 * Whether a profile site is hot: a per-operation count (insert, delete, lookup) that
 * --overhead-budget attaches for part of each second.  Rehash steps stay attached throughout,
 * as libcmap's evacuation steps do: a rehash followed in part would end unseen.
 */
static bool site_hot(const struct attacher *at, const struct plan_site *s)
{
	return s->detail && at->budget > 0 && mt_role_per_operation((int)s->spec.role) &&
	       s->spec.role != MT_ROLE_REHASH_STEP;
}

/* The program and link type of the sites that need their return (@ret) or not. */
static int site_prog(const struct attacher *at, bool ret, __u32 *type)
{
	*type = ret ? USDT_TRACE_UPROBE_SESSION : USDT_TRACE_UPROBE_MULTI;
	return bpf_program__fd(ret ? at->skel->progs.profile_probe :
				     at->skel->progs.profile_probe_plain);
}

/*
 * One link for the @n sites of @pm that attach (a per-operation one only with --detail), are
 * hot (@hot) or not, and need their return (@ret: a uprobe session) or not (a plain
 * uprobe_multi link, which never sets a return probe, in this target or another maptrace's:
 * see profile_probe_plain).  Return: the link's fd, 0 when no site is left, or -errno.
 * *@offsets and *@cookies keep the sites.
 */
static int attach_sites(struct attacher *at, const struct target *t, const struct plan_module *pm,
			bool hot, bool ret, __u32 *next, __u64 *offsets, __u64 *cookies, int *n)
{
	int spec_fd = bpf_map__fd(at->skel->maps.probe_specs);
	__u32 type;
	int prog_fd = site_prog(at, ret, &type);
	int fd;

	*n = 0;
	for (int i = 0; i < pm->nsites; i++) {
		if ((pm->sites[i].detail && !at->detail) || (pm->sites[i].nodetail && at->detail) ||
		    site_hot(at, &pm->sites[i]) != hot || !!(pm->sites[i].spec.flags & MT_SPEC_RETURN) != ret)
			continue;
		if (*next >= MT_MAX_SPECS) {
			fprintf(stderr, "maptrace: more than %d profile probe sites; trace fewer "
					"functions\n", MT_MAX_SPECS);
			return -E2BIG;
		}
		offsets[*n] = pm->sites[i].file_offset;
		cookies[(*n)++] = *next;
		if (bpf_map_update_elem(spec_fd, next, &pm->sites[i].spec, BPF_ANY))
			return -errno;
		(*next)++;
		/* the dearest per-operation probe prices every hit (--overhead-budget) */
		if (hot && pm->sites[i].cost_ns > at->hit_ns)
			at->hit_ns = pm->sites[i].cost_ns;
	}
	if (!*n)
		return 0;
	fd = usdt__attach_multi_type(prog_fd, type, pm->path, t->pid, offsets, NULL, cookies, *n);
	if (fd < 0)
		fprintf(stderr, "maptrace: cannot attach the %s probes in %s: %s\n",
			pm->sites[0].sym, pm->mapped, strerror(-fd));
	return fd;
}

/*
 * The sites of @pm that are hot (@hot) or not and need their return (@ret) or not, as one link:
 * kept for the whole run, or (hot) for the duty cycle of --overhead-budget.
 */
static int attach_group(struct attacher *at, const struct target *t, const struct plan_module *pm,
			bool hot, bool ret, __u32 *next)
{
	__u64 *offsets = calloc(pm->nsites, sizeof(*offsets));
	__u64 *cookies = calloc(pm->nsites, sizeof(*cookies));
	int fd = -ENOMEM, n;
	__u32 type;

	if (offsets && cookies)
		fd = attach_sites(at, t, pm, hot, ret, next, offsets, cookies, &n);
	if (fd > 0 && !hot)
		at->fds[at->nfds++] = fd;
	if (fd > 0 && hot) {
		/* --overhead-budget: the duty cycle detaches and attaches it again */
		at->hot[at->nhot++] = (struct hot_link){
			.fd = fd, .prog_fd = site_prog(at, ret, &type), .type = type,
			.name = pm->sites[0].sym, .path = pm->path, .offsets = offsets,
			.cookies = cookies, .nsites = n };
		offsets = cookies = NULL;
	}
	free(offsets);
	free(cookies);
	return fd < 0 ? fd : 0;
}

/*
 * The profile probes: every site's spec goes into probe_specs under its cookie, and each module's
 * sites attach with a uprobe session link (those that need their return) and a plain one (the
 * others), its per-operation ones only with --detail; under --overhead-budget its per-operation
 * counts with two more, attached for part of each second.
 */
static int attach_profiles(struct attacher *at, const struct target *t, const struct probe_plan *p)
{
	bool budget = at->detail && at->budget > 0;
	__u32 next = 0;
	int err = 0;

	for (int mi = 0; p && mi < p->nmodules && !err; mi++) {
		if (at->nfds + 2 > MAX_LINKS || at->nhot + 2 > MAX_LINKS) {
			fprintf(stderr, "maptrace: more than %d probe links; trace fewer objects\n",
				MAX_LINKS);
			return -E2BIG;
		}
		for (int k = 0; k < (budget ? 4 : 2) && !err; k++)
			err = attach_group(at, t, &p->modules[mi], k >= 2, k & 1, &next);
	}
	return err;
}

static int attach_futex(struct attacher *at, const struct target *t)
{
	struct bpf_program *progs[] = { at->skel->progs.futex_enter, at->skel->progs.futex_exit,
					at->skel->progs.exit_group };
	int err = sysc__ensure_tracefs();

	if (err)
		return err;
	for (size_t i = 0; i < ARRAY_SIZE(progs); i++) {
		struct bpf_link *link;

		if (!bpf_program__autoload(progs[i]))
			continue;
		link = bpf_program__attach(progs[i]);

		if (!link) {
			err = -errno;
			fprintf(stderr, "maptrace: cannot attach to the futex tracepoints: %s\n",
				strerror(-err));
			return err;
		}
		at->links[at->nlinks++] = link;
	}
	(void)t;
	return 0;
}

/*
 * The target's futex and exit_group syscall sites (sysc_attach.h), and the scheduler's switches
 * first, where a wait at a site without an enter probe gets its start: without them every site
 * keeps its enter probe.
 */
static int attach_sysc(struct attacher *at, const struct target *t)
{
	struct sysc_attached got;
	int exit_fd = at->futex ? bpf_program__fd(at->skel->progs.sysc_exit) : -1;
	bool sleeps = false;
	int err;

	if (bpf_program__autoload(at->skel->progs.sysc_block)) {
		struct bpf_link *link = bpf_program__attach(at->skel->progs.sysc_block);

		if (link) {
			at->links[at->nlinks++] = link;
			sleeps = true;
		} else {
			fprintf(stderr, "maptrace: cannot watch the scheduler's switches (%s): each "
					"futex wait is timed from a probe before it\n",
				strerror(errno));
		}
	}
	err = sysc__attach(t, bpf_program__fd(at->skel->progs.sysc_enter), exit_fd, sleeps,
			   at->fds, &at->nfds, MAX_LINKS, &got);

	if (err && !target__running(t)) {
		/* following, run.c says it waits for the next run instead */
		if (!at->follow)
			fprintf(stderr, "maptrace: PID %d exited while maptrace was attaching; start "
					"maptrace while it runs\n", t->pid);
	} else if (err) {
		fprintf(stderr, "maptrace: cannot attach to the target's futex and exit calls: %s\n",
			strerror(-err));
	} else if (at->futex && !got.futex_sites)
		fprintf(stderr, "maptrace: no futex call found in the target's code: lock waits "
				"are not timed (--futex-tracepoints times them)\n");
	return err;
}

/* Every hit of the per-operation probes so far, summed over maps and CPUs. */
static __u64 hot_hits(struct attacher *at)
{
	int fd = bpf_map__fd(at->skel->maps.map_counts);
	struct mt_map_counts *vals = calloc(at->ncpus, sizeof(*vals));
	__u64 key, *prev = NULL, sum = 0;

	if (!vals)
		return 0;
	while (!bpf_map_get_next_key(fd, prev, &key)) {
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, vals))
			continue;
		for (int c = 0; c < at->ncpus; c++)
			sum += vals[c].inserts + vals[c].deletes + vals[c].sync_hits +
			       vals[c].sync_misses + vals[c].lookups;
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
static void hot_detach(struct attacher *at)
{
	struct detach_job jobs[MAX_LINKS];
	int n = 0;

	for (int i = 0; i < at->nhot; i++)
		if (at->hot[i].fd >= 0)
			jobs[n++] = (struct detach_job){ .fds = &at->hot[i].fd, .n = 1 };
	run_detach(jobs, n);
}

static void detach_all(struct attacher *at)
{
	struct detach_job jobs[MAX_LINKS * 3];
	int n = 0;

	for (int i = 0; i < at->nfds; i++)
		jobs[n++] = (struct detach_job){ .fds = &at->fds[i], .n = 1 };
	for (int i = 0; i < at->nhot; i++)
		if (at->hot[i].fd >= 0)
			jobs[n++] = (struct detach_job){ .fds = &at->hot[i].fd, .n = 1 };
	for (int i = 0; i < at->nlinks; i++)
		jobs[n++] = (struct detach_job){ .links = &at->links[i], .n = 1 };
	run_detach(jobs, n);
	at->nfds = at->nlinks = at->nhot = 0;
}

static int hot_attach(struct attacher *at)
{
	int spec_fd = bpf_map__fd(at->skel->maps.__bpf_usdt_specs);
	__u32 max_specs = bpf_map__max_entries(at->skel->maps.__bpf_usdt_specs);

	for (int i = 0; i < at->nhot; i++) {
		struct hot_link *h = &at->hot[i];
		__u32 id = h->first_spec;

		if (!h->mod)
			h->fd = usdt__attach_multi_type(h->prog_fd, h->type, h->path, at->pid,
							h->offsets, NULL, h->cookies, h->nsites);
		else
			h->fd = usdt__attach_probe(h->prog_fd, spec_fd, max_specs, h->mod->path,
						   at->pid, h->mod->sites, h->mod->nsites, h->name,
						   0, &id);
		if (h->fd < 0)
			return h->fd;
	}
	return 0;
}

int attacher__duty(struct attacher *at, double *duty)
{
	__u64 now = clock_ns(CLOCK_MONOTONIC), hits;
	double rate, cost, share;
	int err;

	if (!at->nhot || now < at->phase_end)
		return 0;
	if (at->hot_on) {
		hits = hot_hits(at);
		at->on_total_ns += now - at->slice_start;
		/* CPU share the probes cost while attached, from the hits seen in this slice */
		rate = (double)(hits - at->slice_hits) * 1e9 / (double)(now - at->slice_start);
		cost = rate * at->hit_ns / 1e9;
		share = cost > at->budget ? at->budget / cost : 1.0;
		at->on_ns_planned = (__u64)(share * DUTY_PERIOD_NS);
		if (at->on_ns_planned < DUTY_MIN_ON_NS)
			at->on_ns_planned = DUTY_MIN_ON_NS;
		if (at->on_ns_planned >= DUTY_PERIOD_NS) {
			/* within budget: stay attached, look again in a period */
			at->slice_start = now;
			at->slice_hits = hits;
			at->phase_end = now + DUTY_PERIOD_NS;
		} else {
			hot_detach(at);
			at->hot_on = false;
			at->phase_end = now + DUTY_PERIOD_NS - at->on_ns_planned;
		}
	} else {
		err = hot_attach(at);
		if (err) {
			/* they are detail (the counts come from the maps): give them up for good */
			hot_detach(at);
			at->nhot = 0;
			return err;
		}
		at->hot_on = true;
		at->slice_start = clock_ns(CLOCK_MONOTONIC);
		at->slice_hits = hot_hits(at);
		at->phase_end = at->slice_start + at->on_ns_planned;
	}
	*duty = (double)(at->on_total_ns + (at->hot_on ? now - at->slice_start : 0)) /
		(double)(now - at->duty_start ?: 1);
	return 1;
}

/* --detail: what the profiles' per-operation probes will cost, said before they attach. */
static void print_detail_cost(const struct probe_plan *plan)
{
	for (int mi = 0; plan && mi < plan->nmodules; mi++) {
		const struct plan_module *pm = &plan->modules[mi];

		for (int i = 0; i < pm->nsites; i++)
			if (pm->sites[i].detail)
				fprintf(stderr,
					"maptrace: --detail: %s %s in %s is probed on every call, "
					"%s\n",
					mt_role_name((int)pm->sites[i].spec.role), pm->sites[i].sym,
					pm->mapped, pm->sites[i].cost);
	}
}

/*
 * Where the library's process-wide totals (struct cmap_totals) are in the target: the symbol
 * cmap_totals of the first module with the library's probes, placed by that module's first
 * mapping.  0 when not found (a library stripped of its symbol tables, or an older one).
 */
static __u64 lib_totals_addr(const struct target *t)
{
	const struct proc_map *all, *m = NULL;
	struct elfsym_file *ef = NULL;
	struct proc_maps *pm;
	__u64 addr = 0;
	size_t n;

	if (!t->nmodules || proc_maps__read(t->pid, &pm))
		return 0;
	all = proc_maps__entries(pm, &n);
	for (size_t i = 0; i < n && !m; i++)
		if (!strcmp(all[i].path, t->modules[0].mapped))
			m = &all[i];
	if (m && !elfsym__open(t->modules[0].path, t->root, &ef) &&
	    elfsym__object_addr(ef, "cmap_totals", m->start, m->pgoff, &addr))
		addr = 0;
	elfsym__close(ef);
	proc_maps__put(pm);
	return addr;
}

/* The library's totals now, read from the target; 0 on success. */
int attacher__read_totals(const struct attacher *at, struct cmap_totals *tot)
{
	struct iovec local = { tot, sizeof(*tot) }, remote = { (void *)at->totals_addr, sizeof(*tot) };

	if (!at->totals_addr)
		return -ENOENT;
	return process_vm_readv(at->pid, &local, 1, &remote, 1, 0) == (ssize_t)sizeof(*tot) ?
		       0 :
		       -EFAULT;
}

__u64 attacher__totals_start(const struct attacher *at, struct cmap_totals *tot)
{
	*tot = at->totals0;
	return at->totals0_ns;
}

int attacher__open(const struct args *a, const struct target *t, const struct probe_plan *plan,
		   struct attacher **out)
{
	struct attacher *at = calloc(1, sizeof(*at));
	int err;

	*out = NULL;
	if (!at)
		return -ENOMEM;
	prewarm_start(&at->pw);
	at->budget = a->budget_pct / 100.0;
	at->hit_ns = HOT_HIT_NS;
	at->detail = a->detail || a->budget_pct > 0;
	at->follow = a->comm || a->exe;
	if (a->detail && !a->budget_pct)
		fprintf(stderr, "maptrace: --detail: every insert, delete and evacuation step of "
				"libcmap maps is probed, ~0.3 us each (at 1M inserts/s, ~30%% of a "
				"CPU); --overhead-budget PCT bounds it\n");
	if (at->detail)
		print_detail_cost(plan);
	at->futex = a->futex;
	at->futex_tp = a->futex_tp;
	at->pid = t->pid;
	at->ncpus = libbpf_num_possible_cpus();
	if (at->ncpus <= 0) {
		err = at->ncpus < 0 ? at->ncpus : -ENOMEM;
		goto cleanup;
	}

	/* open: parse the object, nothing in the kernel yet */
	at->skel = maptrace_bpf__open();
	if (!at->skel) {
		err = -errno;
		fprintf(stderr, "maptrace: cannot open the BPF object: %s\n", strerror(-err));
		goto cleanup;
	}
	/* configure: the pid filter and sizes are constants the verifier sees */
	at->skel->rodata->target_tgid = t->pid;
	at->skel->rodata->rb_size = a->ringbuf_mb << 20;
	at->skel->rodata->capture_stacks = a->stacks;
	at->skel->rodata->trace_futex = a->futex;
	at->skel->rodata->nr_cpus = at->ncpus;
	at->skel->rodata->stack_dwarf = a->stacks && a->stack_dwarf;
	at->skel->rodata->ustack_size = a->stack_size;
	at->skel->rodata->dwarf_per_sec = a->stack_auto ? DWARF_AUTO_PER_SEC : 0;
	/*
	 * A freed map's last counters come from its own struct: nothing else counts its inserts
	 * unless --detail attaches the per-operation probes.
	 */
	{
		static const __u32 off[MT_LIB_FIELDS] = {
			offsetof(struct cmap, inserts),	  offsetof(struct cmap, deletes),
			offsetof(struct cmap, count),	  offsetof(struct cmap, evacuated),
			offsetof(struct cmap, moved),	  offsetof(struct cmap, lookups),
			offsetof(struct cmap, grow_ns),	  offsetof(struct cmap, evac_cycles),
		};

		memcpy((void *)at->skel->rodata->lib_off, off, sizeof(off));
	}
	/* what a core map's first grow reports of its creation */
	at->skel->rodata->cmap_off_serial = offsetof(struct cmap, serial);
	at->skel->rodata->cmap_off_site = offsetof(struct cmap, site);
	at->skel->rodata->cmap_off_hint = offsetof(struct cmap, hint);
	at->skel->rodata->cmap_off_parent = offsetof(struct cmap, parent);
	at->skel->rodata->create_probed = at->detail;
	at->skel->rodata->cmap_off_grows = offsetof(struct cmap, grows);
	at->skel->rodata->cmap_off_same_size_grows = offsetof(struct cmap, same_size_grows);
	/* maps made before now predate the trace: first seen growing, as ever */
	at->totals_addr = lib_totals_addr(t);
	if (!attacher__read_totals(at, &at->totals0)) {
		at->totals0_ns = clock_ns(CLOCK_MONOTONIC);
		at->skel->rodata->serial_before = at->totals0.created;
		at->skel->rodata->totals_addr = at->totals_addr;
	}
	_Static_assert(sizeof(((struct cmap *)0)->hint) == 8 && CMAP_PLAIN == MT_CMAP_PLAIN,
		       "the core map's layout BPF reads");
	_Static_assert(NSTRIPES == MT_SYNC_STRIPES && CMAP_SYNC == MT_CMAP_SYNC,
		       "the sync map's layout BPF reads");
	at->skel->rodata->sync_off_sy = offsetof(struct ccmap, sy);
	at->skel->rodata->sync_off_misses = offsetof(struct syncmap, misses_total);
	at->skel->rodata->sync_off_stripes = offsetof(struct syncmap, stripes);
	at->skel->rodata->sync_stripe_size = sizeof(struct stripe);
	at->skel->rodata->sync_off_hits = offsetof(struct stripe, hits);
	bpf_map__set_max_entries(at->skel->maps.events, a->ringbuf_mb << 20);
	/* the per-map tables hold every live map the workload has (--max-maps); not preallocated */
	bpf_map__set_max_entries(at->skel->maps.map_counts, a->max_maps);
	bpf_map__set_max_entries(at->skel->maps.conc_maps, a->max_maps);
	bpf_map__set_max_entries(at->skel->maps.known_maps, a->max_maps);
	bpf_map__set_max_entries(at->skel->maps.rehashes, a->max_maps);
	bpf_map__set_max_entries(at->skel->maps.exit_reads, a->max_maps);
	/*
	 * futex waits and the exit's reads: by default at the target's own syscall sites; the
	 * tracepoints (--futex-tracepoints) need tracefs, and without them the last sync's reads
	 * stand
	 */
	bpf_program__set_autoload(at->skel->progs.futex_enter, a->futex && a->futex_tp);
	bpf_program__set_autoload(at->skel->progs.futex_exit, a->futex && a->futex_tp);
	bpf_program__set_autoload(at->skel->progs.exit_group, a->futex && a->futex_tp);
	bpf_program__set_autoload(at->skel->progs.sysc_enter, !a->futex_tp);
	bpf_program__set_autoload(at->skel->progs.sysc_exit, a->futex && !a->futex_tp);
	bpf_program__set_autoload(at->skel->progs.sysc_block, a->futex && !a->futex_tp);
	bpf_program__set_expected_attach_type(at->skel->progs.sysc_enter,
					      (enum bpf_attach_type)USDT_TRACE_UPROBE_MULTI);
	bpf_program__set_expected_attach_type(at->skel->progs.sysc_exit,
					      (enum bpf_attach_type)USDT_TRACE_UPROBE_MULTI);
	at->skel->rodata->exit_reading = !a->futex_tp || a->futex;
	/* the library's probes attach through uprobe_multi links, which need this at load */
	for (size_t i = 0; i < ARRAY_SIZE(usdt_probes); i++) {
		struct bpf_program *prog =
			bpf_object__find_program_by_name(at->skel->obj, usdt_probes[i]);

		if (prog)
			bpf_program__set_expected_attach_type(
				prog, (enum bpf_attach_type)USDT_TRACE_UPROBE_MULTI);
	}
	/* one body serves every profile probe: with its return (a session) where a site needs it */
	bpf_program__set_expected_attach_type(at->skel->progs.profile_probe,
					      (enum bpf_attach_type)USDT_TRACE_UPROBE_SESSION);
	bpf_program__set_expected_attach_type(at->skel->progs.profile_probe_plain,
					      (enum bpf_attach_type)USDT_TRACE_UPROBE_MULTI);
	if (!probe_plan__returns(plan, at->detail))
		bpf_program__set_autoload(at->skel->progs.profile_probe, false);
	if (probe_plan__attached(plan, at->detail) == probe_plan__returns(plan, at->detail))
		bpf_program__set_autoload(at->skel->progs.profile_probe_plain, false);
	*out = at;
	return 0;
cleanup:
	attacher__free(at);
	return err;
}

__u32 attacher__stack_slots(const struct attacher *at)
{
	return bpf_map__max_entries(at->skel->maps.stacks);
}

int attacher__load(struct attacher *at)
{
	int err;

	/* load: verify and create maps */
	err = maptrace_bpf__load(at->skel);
	if (err)
		fprintf(stderr, "maptrace: cannot load the BPF programs: %s (run with -v for the "
				"verifier log)\n",
			strerror(-err));
	return err;
}

int attacher__attach(struct attacher *at, const struct target *t, const struct probe_plan *plan)
{
	int err, fd;

	/* attach: the library's probes in every module that has them, then futex waits */
	fd = prewarm_join(&at->pw);
	if (fd >= 0)
		at->fds[at->nfds++] = fd;
	err = attach_usdt(at, t);
	if (!err)
		err = attach_profiles(at, t, plan);
	if (!err && at->futex && at->futex_tp)
		err = attach_futex(at, t);
	if (!err && !at->futex_tp)
		err = attach_sysc(at, t);
	if (err)
		return err;

	if (at->nhot) {
		at->hot_on = true;
		at->duty_start = at->slice_start = clock_ns(CLOCK_MONOTONIC);
		at->phase_end = at->slice_start + DUTY_MIN_ON_NS * 4;
		at->on_ns_planned = DUTY_PERIOD_NS;
		at->slice_hits = hot_hits(at);
	}
	return 0;
}

bool attacher__sampled(const struct attacher *at)
{
	return at->nhot > 0;
}

bool attacher__profiles_sampled(const struct attacher *at)
{
	for (int i = 0; i < at->nhot; i++)
		if (!at->hot[i].mod)
			return true;
	return false;
}

int attacher__events_fd(const struct attacher *at)
{
	return bpf_map__fd(at->skel->maps.events);
}

int attacher__stacks_fd(const struct attacher *at)
{
	return bpf_map__fd(at->skel->maps.stacks);
}

int attacher__counts_fd(const struct attacher *at)
{
	return bpf_map__fd(at->skel->maps.map_counts);
}

int attacher__exit_reads_fd(const struct attacher *at, int *specs_fd)
{
	bool on = bpf_program__autoload(at->skel->progs.exit_group) ||
		  bpf_program__autoload(at->skel->progs.sysc_enter);

	*specs_fd = on ? bpf_map__fd(at->skel->maps.exit_specs) : -1;
	return on ? bpf_map__fd(at->skel->maps.exit_reads) : -1;
}

void attacher__drops(const struct attacher *at, __u64 dropped[MT_DROP_MAX])
{
	for (int i = 0; i < MT_DROP_MAX; i++)
		dropped[i] = __atomic_load_n(&at->skel->bss->drops[i], __ATOMIC_RELAXED);
}

void attacher__free(struct attacher *at)
{
	int fd;

	if (!at)
		return;
	/* a start that failed before attaching still owns the prewarm link */
	fd = prewarm_join(&at->pw);
	if (fd >= 0)
		close(fd);
	for (int i = 0; i < at->nhot; i++) {
		free(at->hot[i].offsets);
		free(at->hot[i].cookies);
	}
	detach_all(at);
	maptrace_bpf__destroy(at->skel);
	free(at);
}
