// SPDX-License-Identifier: MIT
/*
 * The table reader (tableread.h): each known profile map's declared fields, read from the
 * target's memory at each sync.  Every map of a profile reads one window of its struct (the
 * span of the declared fields), READ_BATCH maps per process_vm_readv() call.
 */
#define _GNU_SOURCE /* process_vm_readv */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <bpf/bpf.h>
#include "tableread.h"
#include "u64map.h"
#include "util.h"

#define READ_BATCH 64
#define WINDOW_MAX 256 /* the declared fields of a map lie within this many bytes */

/* What is read of a profile's maps. */
struct lib_read {
	struct plan_read rd;
	bool on;       /* the profile has a usable 'read' line */
	bool rehash;   /* the reads end incremental rehashes (pos= declared, not probed) */
	bool at_exit;  /* read as the target exits too: its maps do not die unseen before */
	__u32 lo, len; /* the window: offset and length */
};

/* One known map. */
struct tmap {
	__u64 addr;
	__u32 lib;
	bool rehashing; /* a resize started an incremental rehash not seen ending yet */
	__u64 start_ns, old_size, new_size;
};

struct tableread {
	const struct sink *sink;
	int pid;
	struct lib_read *libs; /* by profile index (record lib) */
	int nlibs;
	struct tmap *maps;
	int nmaps, cap_maps;
	struct u64map idx;  /* address -> index in maps */
	unsigned char *buf; /* READ_BATCH windows */
	int exit_fd;	    /* the exit program's hash of maps to read, -1: none */
};

static void src_span(const struct mt_src *s, __u32 *lo, __u32 *hi)
{
	if (s->kind != MT_SRC_FIELD)
		return;
	if (s->off < *lo)
		*lo = s->off;
	if (s->off + s->width > *hi)
		*hi = s->off + s->width;
}

/*
 * A field of the window @w (read from offset @lo of the map), as the BPF side reads it; 0 for
 * a field the read line does not name (its offset is no part of the window).
 */
static __s64 src_value(const struct mt_src *s, const unsigned char *w, __u32 lo)
{
	const unsigned char *p = w + (s->off - lo);
	__s64 v = 0;

	if (s->kind != MT_SRC_FIELD)
		return 0;

	switch (s->width) {
	case 1: {
		__u8 x = *p;

		v = s->flags & MT_SRC_SIGNED ? (__s64)(__s8)x : (__s64)x;
		break;
	}
	case 2: {
		__u16 x;

		memcpy(&x, p, sizeof(x));
		v = s->flags & MT_SRC_SIGNED ? (__s64)(__s16)x : (__s64)x;
		break;
	}
	case 4: {
		__u32 x;

		memcpy(&x, p, sizeof(x));
		v = s->flags & MT_SRC_SIGNED ? (__s64)(__s32)x : (__s64)x;
		break;
	}
	default:
		memcpy(&v, p, sizeof(v));
		break;
	}
	if (s->flags & MT_SRC_EXP2)
		return v < 0 || v > 62 ? 0 : (__s64)1 << v;
	return v;
}

static __u64 size_value(const struct plan_read *rd, const unsigned char *w, __u32 lo)
{
	__s64 v = src_value(&rd->size, w, lo);

	if (!v && rd->size_alt.kind == MT_SRC_FIELD)
		v = src_value(&rd->size_alt, w, lo);
	return v < 0 ? 0 : (__u64)v;
}

int tableread__new(const struct probe_plan *plan, bool detail, int pid, const struct sink *sink,
		   struct tableread **out)
{
	struct tableread *tr = calloc(1, sizeof(*tr));

	*out = NULL;
	if (!tr)
		return -ENOMEM;
	tr->sink = sink;
	tr->pid = pid;
	tr->exit_fd = -1;
	for (int i = 0; plan && i < plan->nmodules; i++)
		if (plan->modules[i].lib >= tr->nlibs)
			tr->nlibs = plan->modules[i].lib + 1;
	tr->libs = calloc(tr->nlibs ?: 1, sizeof(*tr->libs));
	tr->buf = malloc(READ_BATCH * WINDOW_MAX);
	if (!tr->libs || !tr->buf) {
		tableread__free(tr);
		return -ENOMEM;
	}
	for (int i = 0; plan && i < plan->nmodules; i++) {
		const struct plan_module *pm = &plan->modules[i];
		struct lib_read *lr = &tr->libs[pm->lib];
		__u32 lo = ~0U, hi = 0;
		bool steps = false, destroy = false, go = false;

		/* one profile in two objects (two versions) reads as the first one says */
		if (lr->on || !plan_read__any(&pm->read))
			continue;
		src_span(&pm->read.count[0], &lo, &hi);
		src_span(&pm->read.count[1], &lo, &hi);
		src_span(&pm->read.pos, &lo, &hi);
		src_span(&pm->read.size, &lo, &hi);
		src_span(&pm->read.size_alt, &lo, &hi);
		src_span(&pm->read.evac, &lo, &hi);
		src_span(&pm->read.same, &lo, &hi);
		src_span(&pm->read.check, &lo, &hi);
		if (hi - lo > WINDOW_MAX) {
			fprintf(stderr,
				"maptrace: the read line of %s spans %u bytes of the map (at most "
				"%d): its fields are not read\n",
				pm->mapped, hi - lo, WINDOW_MAX);
			continue;
		}
		for (int j = 0; j < pm->nsites; j++) {
			steps |= pm->sites[j].spec.role == MT_ROLE_REHASH_STEP;
			destroy |= pm->sites[j].spec.role == MT_ROLE_DESTROY &&
				   (detail || !pm->sites[j].detail);
			go |= !!(pm->sites[j].spec.flags & MT_SPEC_GO);
		}
		/*
		 * At the exit a table freed unseen (C++'s inlined destructors, GLib without its
		 * destroy probed) reads empty or as garbage (C++ locals of main read 1.4e14 entries
		 * once their stack was reused), where the last sync read it alive: only a profile
		 * that sees its maps freed, or Go's (its runtime frees no map as it exits), is read.
		 */
		*lr = (struct lib_read){.rd = pm->read,
					.on = true,
					.lo = lo,
					.len = hi - lo,
					.rehash = pm->read.pos.kind == MT_SRC_FIELD &&
						  !(steps && detail),
					.at_exit = destroy || go || pm->read.exit_only};
	}
	*out = tr;
	return 0;
}

static struct lib_read *lib_of(struct tableread *tr, __u32 lib)
{
	return lib < (__u32)tr->nlibs && tr->libs[lib].on ? &tr->libs[lib] : NULL;
}

/* How the exit program reads a map of @lr: as each sync does (kind 0: no count to read). */
static struct mt_exit_read exit_spec(const struct lib_read *lr)
{
	return (struct mt_exit_read){
		.kind = lr->at_exit && lr->rd.count[0].kind == MT_SRC_FIELD ? MT_EXIT_TABLE : 0,
		.max_load = lr->rd.max_load,
		.count = {lr->rd.count[0], lr->rd.count[1]},
		.pos = lr->rd.pos,
		.size = lr->rd.size,
		.size_alt = lr->rd.size_alt,
		.evac = lr->rd.evac,
		.same = lr->rd.same,
		.same_mask = lr->rd.same_mask,
		.check = lr->rd.check,
	};
}

/* The exit program reads map @addr of @lr's profile. */
static void exit_read_put(struct tableread *tr, __u64 addr, const struct lib_read *lr)
{
	struct mt_exit_read er = exit_spec(lr);

	/* no room: only its reading at the exit is missed (its last sync's figures stand) */
	if (tr->exit_fd >= 0 && er.kind)
		bpf_map_update_elem(tr->exit_fd, &addr, &er, BPF_ANY);
}

/* The known map at @addr, added (fresh) when @lib reads its maps and it was not known. */
static struct tmap *map_note(struct tableread *tr, __u64 addr, __u32 lib, bool fresh)
{
	__u64 i;

	if (!addr || !lib_of(tr, lib))
		return NULL;
	if (u64map__get(&tr->idx, addr, &i)) {
		if (tr->maps[i].lib != lib)
			exit_read_put(tr, addr, lib_of(tr, lib));
		if (fresh || tr->maps[i].lib != lib)
			tr->maps[i] = (struct tmap){.addr = addr, .lib = lib};
		return &tr->maps[i];
	}
	if (GROW(tr->maps, tr->nmaps, tr->cap_maps, 64) ||
	    u64map__put(&tr->idx, addr, (__u64)tr->nmaps))
		return NULL;
	exit_read_put(tr, addr, lib_of(tr, lib));
	tr->maps[tr->nmaps] = (struct tmap){.addr = addr, .lib = lib};
	return &tr->maps[tr->nmaps++];
}

static void map_drop(struct tableread *tr, __u64 addr)
{
	__u64 i;

	if (!u64map__get(&tr->idx, addr, &i))
		return;
	if (tr->exit_fd >= 0)
		bpf_map_delete_elem(tr->exit_fd, &addr); /* absent (it had no room): no matter */
	u64map__del(&tr->idx, addr);
	if (i != (__u64)tr->nmaps - 1) {
		tr->maps[i] = tr->maps[tr->nmaps - 1];
		u64map__put(&tr->idx, tr->maps[i].addr, i); /* replaces: no allocation */
	}
	tr->nmaps--;
}

/*
 * Map @m's incremental rehash ended by @end_ns, at size @size: one rehash record, as a
 * rehash_step probe would have sent, without steps.  Every bucket of the old table was moved.
 */
static int rehash_done(struct tableread *tr, struct tmap *m, __u64 end_ns, __u64 size)
{
	struct mt_rehash r = {
		.h = {.type = MT_REC_REHASH,
		      .size = sizeof(r),
		      .tgid = (__u32)tr->pid,
		      .pid = (__u32)tr->pid,
		      .ts = end_ns,
		      .stack_id = -1},
		.map = m->addr,
		.moved = m->old_size,
		.elapsed_ns = end_ns > m->start_ns ? end_ns - m->start_ns : 0,
		.size = size ?: m->new_size,
		.lib = m->lib,
	};
	struct mt_event ev;

	m->rehashing = false;
	if (mt_event_decode(&r.h, sizeof(r), &ev, NULL, 0))
		return 0;
	return sink__event(tr->sink, &r.h, &ev, -1);
}

/*
 * A map of an evac= profile read as the target exits (the exit program's record): an
 * evacuation it finds ended ends there, one still running gets its span so far.
 */
static int exit_counts(struct tableread *tr, const struct mt_hdr *h, struct mt_event *ev)
{
	struct mt_ev_lib_counts *lc = &ev->lib_counts;
	struct tmap *m;
	__u64 i;

	if (!u64map__get(&tr->idx, ev->map, &i))
		return 0;
	m = &tr->maps[i];
	if (!m->rehashing || lib_of(tr, m->lib)->rd.evac.kind != MT_SRC_FIELD)
		return 0;
	if (lc->evac_of) {
		lc->evac_elapsed_ns = h->ts > m->start_ns ? h->ts - m->start_ns : 0;
		return 0;
	}
	return rehash_done(tr, m, h->ts, m->new_size);
}

int tableread__event(struct tableread *tr, const struct mt_hdr *h, struct mt_event *ev)
{
	struct lib_read *lr;
	struct tmap *m;

	if (ev->kind == MT_EV_MAP_COUNTS)
		return exit_counts(tr, h, ev);
	if (ev->kind == MT_EV_MAP_DESTROY) {
		/* its last read stays in the model; the address may be the next map's */
		map_drop(tr, ev->map);
		return 0;
	}
	if (ev->flags & MT_EV_LOG2 || !ev->lib)
		return 0;
	switch (ev->kind) {
	case MT_EV_MAP_CREATE:
		map_note(tr, ev->map, ev->lib, true);
		return 0;
	case MT_EV_MIGRATE:
		m = map_note(tr, ev->map, ev->lib, false);
		if (m && (ev->flags & MT_EV_WHOLE))
			m->rehashing = false;
		return 0;
	case MT_EV_RESIZE:
		m = map_note(tr, ev->map, ev->lib, false);
		lr = lib_of(tr, ev->lib);
		/* a first table (old size 0) has nothing to rehash */
		if (!m || !lr->rehash || !ev->resize.old_size)
			return 0;
		if (m->rehashing) {
			/* the library starts no rehash while one runs: that one ended before */
			int err = rehash_done(tr, m, h->ts, m->new_size);

			if (err)
				return err;
		}
		m->rehashing = true;
		m->start_ns = h->ts;
		m->old_size = ev->resize.old_size;
		m->new_size = ev->resize.new_size;
		return 0;
	default:
		return 0;
	}
}

int tableread__saw(struct tableread *tr, __u64 map, __u32 lib)
{
	return map_note(tr, map, lib, false) || !lib_of(tr, lib) ? 0 : -ENOMEM;
}

/* The @n maps at @addrs were read whole into the buffer's windows: send what they hold. */
static int send_reads(struct tableread *tr, const __u64 *addrs, int n, __u64 now_ns)
{
	int err = 0;

	for (int k = 0; k < n && !err; k++) {
		const unsigned char *w = tr->buf + (size_t)k * WINDOW_MAX;
		struct mt_ev_lib_counts lc = {};
		struct lib_read *lr;
		struct tmap *m;
		bool evac, running;
		__u64 i;

		if (!u64map__get(&tr->idx, addrs[k], &i))
			continue;
		m = &tr->maps[i];
		lr = lib_of(tr, m->lib);
		if (lr->rd.exit_only)
			continue;
		evac = lr->rd.evac.kind == MT_SRC_FIELD;
		running = evac && src_value(&lr->rd.evac, w, lr->lo);
		if (running) {
			__u64 size = size_value(&lr->rd, w, lr->lo);

			lc.evac_pos = (__u64)src_value(&lr->rd.pos, w, lr->lo);
			lc.evac_of = (__u64)src_value(&lr->rd.same, w, lr->lo) & lr->rd.same_mask
					     ? size
					     : size / 2;
			if (m->rehashing && now_ns > m->start_ns)
				lc.evac_elapsed_ns = now_ns - m->start_ns;
		}
		/*
		 * No table of this profile holds that (Redis: rehashidx below -1; Go: an old table
		 * of no bucket, or more evacuated than it has): the memory is something else now.
		 */
		if (evac ? running && (!lc.evac_of || lc.evac_pos > lc.evac_of)
			 : lr->rd.pos.kind == MT_SRC_FIELD &&
				    src_value(&lr->rd.pos, w, lr->lo) < -1) {
			map_drop(tr, addrs[k]);
			continue;
		}
		if (lr->rd.count[0].kind == MT_SRC_FIELD) {
			__u64 size = lr->rd.max_load ? size_value(&lr->rd, w, lr->lo) : 0;

			lc.count = (__u64)src_value(&lr->rd.count[0], w, lr->lo);
			if (lr->rd.count[1].kind == MT_SRC_FIELD)
				lc.count += (__u64)src_value(&lr->rd.count[1], w, lr->lo);
			/* more entries than the table can hold: freed and reused (a C++ container
			 * on a stack that has moved on), not a table any more */
			if (lr->rd.max_load &&
			    (!size || lc.count / lr->rd.max_load > size ||
			     (lr->rd.check.kind == MT_SRC_FIELD &&
			      (__u64)src_value(&lr->rd.check, w, lr->lo) != size))) {
				map_drop(tr, addrs[k]);
				continue;
			}
			err = sink__lib_counts(tr->sink, m->addr, &lc);
		}
		/* Redis: rehashidx back to -1; Go: oldbuckets nil again */
		if (!err && m->rehashing &&
		    (evac ? !lc.evac_of : src_value(&lr->rd.pos, w, lr->lo) < 0)) {
			__u64 size = lr->rd.size.kind == MT_SRC_FIELD
					     ? size_value(&lr->rd, w, lr->lo)
					     : 0;

			/*
			 * Still the old size: the resize's probe fired and its new table is being
			 * allocated (Go's hashGrow, Redis's dictExpand), not yet in the fields
			 */
			if (size && size == m->old_size && m->new_size != m->old_size)
				continue;
			err = rehash_done(tr, m, now_ns, size);
		}
	}
	return err;
}

int tableread__sync(struct tableread *tr, __u64 now_ns)
{
	struct iovec local[READ_BATCH], remote[READ_BATCH];
	__u64 *all = malloc(((size_t)tr->nmaps ?: 1) * sizeof(*all)), addrs[READ_BATCH];
	int nall = tr->nmaps, next = 0, err = 0;
	bool now = false;

	/* profiles whose maps are read only as the target exits (goswiss): no read at all now */
	for (int lib = 0; lib < tr->nlibs; lib++)
		now |= tr->libs[lib].on && !tr->libs[lib].rd.exit_only;
	if (!now)
		nall = 0;
	if (!all)
		return -ENOMEM;
	/* the addresses first: a map dropped while reading moves another into its slot */
	for (int i = 0; i < nall; i++)
		all[i] = tr->maps[i].addr;
	while (!err && next < nall) {
		int n = 0, whole = 0;
		__u64 at_ns;
		ssize_t got;

		for (; n < READ_BATCH && next + n < nall; n++) {
			const struct lib_read *lr;
			__u64 i;

			if (!u64map__get(&tr->idx, all[next + n], &i))
				break;
			lr = &tr->libs[tr->maps[i].lib];
			addrs[n] = all[next + n];
			/* read only as the target exits (BPF): nothing now, an empty window */
			local[n] = (struct iovec){.iov_base = tr->buf + (size_t)n * WINDOW_MAX,
						  .iov_len = lr->rd.exit_only ? 0 : lr->len};
			remote[n] = (struct iovec){.iov_base = (void *)(addrs[n] + lr->lo),
						   .iov_len = local[n].iov_len};
		}
		got = n ? process_vm_readv(tr->pid, local, n, remote, n, 0) : 0;
		/*
		 * An evacuation this read sees over ended before it returned: dated then, never
		 * earlier (a sync preempted between its clock and its read would date it too soon)
		 */
		at_ns = now_ns ?: clock_ns(CLOCK_MONOTONIC);
		/* it stops at the first window it cannot read whole */
		for (ssize_t left = got; whole < n && left >= (ssize_t)local[whole].iov_len;
		     whole++)
			left -= (ssize_t)local[whole].iov_len;
		err = send_reads(tr, addrs, whole, at_ns);
		/* unreadable: freed without a destroy seen, not a map any more */
		if (whole < n)
			map_drop(tr, addrs[whole]);
		next += whole < n ? whole + 1 : n ?: 1;
	}
	free(all);
	return err;
}

int tableread__exit_reads(struct tableread *tr, int fd, int specs_fd)
{
	tr->exit_fd = fd;
	for (__u32 lib = 0; specs_fd >= 0 && lib < (__u32)tr->nlibs; lib++) {
		struct mt_exit_read er;

		if (!tr->libs[lib].on || lib >= MT_EXIT_LIBS)
			continue;
		er = exit_spec(&tr->libs[lib]);
		if (bpf_map_update_elem(specs_fd, &lib, &er, BPF_ANY))
			return -errno;
	}
	return 0;
}

int tableread__maps(const struct tableread *tr)
{
	return tr->nmaps;
}

void tableread__free(struct tableread *tr)
{
	if (!tr)
		return;
	free(tr->libs);
	free(tr->maps);
	free(tr->buf);
	u64map__free(&tr->idx);
	free(tr);
}
