/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The target's exit: at exit_group, every map user space reads at each sync (libcmap maps and
 * profile tables, from known_maps and exit_reads) and the library's totals are read one last
 * time, since a short run may exit before its next sync.  Part of maptrace.bpf.c's one
 * compilation unit, included last of the parts: it reads maps as the cmap and profile parts do.
 */
#ifndef MAPTRACE_EXIT_BPF_H
#define MAPTRACE_EXIT_BPF_H

#include "state.bpf.h"
#include "cmap.bpf.h"
#include "profile.bpf.h"

/* A map field (MT_SRC_FIELD) as src_read() reads it; 0 for another kind or a failed read. */
static __always_inline __s64 field_value(const struct mt_src *src, __u64 map)
{
	__u64 raw = 0;
	__s64 v;

	if (src->kind != MT_SRC_FIELD || field_raw(src, map, NULL, 0, &raw))
		return 0;
	v = field_cut(src, raw);
	if (src->flags & MT_SRC_EXP2)
		return v < 0 || v > 62 ? 0 : 1LL << v;
	return v;
}

/*
 * A profile map's entries as the target exits, read as tableread.c reads them at a sync, with
 * the same checks: a position below -1 or more entries than the table can hold is no table of
 * the profile any more (freed and reused), and sends nothing.
 */
static __always_inline void send_table_count(__u64 map, const struct mt_exit_read *er)
{
	struct mt_lib_counts *r;
	__u64 count, size;

	if (er->pos.kind == MT_SRC_FIELD && field_value(&er->pos, map) < -1)
		return;
	count = field_value(&er->count[0], map) + field_value(&er->count[1], map);
	if (er->max_load) {
		size = field_value(&er->size, map);
		if (!size)
			size = field_value(&er->size_alt, map);
		if ((__s64)size <= 0 || count / er->max_load > size ||
		    (er->check.kind == MT_SRC_FIELD && field_value(&er->check, map) != (__s64)size))
			return;
	}
	r = reserve(sizeof(*r), MT_REC_LIB_COUNTS, -1);
	if (!r)
		return;
	__builtin_memset(&r->map, 0, sizeof(*r) - sizeof(r->h));
	r->map = map;
	r->count = count;
	/* an incremental evacuation still running (Go: oldbuckets set): nevacuate of 2^oldB */
	if (er->evac.kind == MT_SRC_FIELD && field_value(&er->evac, map)) {
		size = field_value(&er->size, map);
		r->evac_pos = field_value(&er->pos, map);
		r->evac_of = field_value(&er->same, map) & er->same_mask ? size : size / 2;
	}
	submit(r);
}

static long exit_read_one(void *m, __u64 *map, struct mt_exit_read *er, void *ctx)
{
	(void)m;
	(void)ctx;
	/* a map in known_maps too is read there */
	if (er->kind == MT_EXIT_CORE && !bpf_map_lookup_elem(&known_maps, map))
		send_lib_counts(*map);
	else if (er->kind == MT_EXIT_SYNC)
		send_sync_counts(*map);
	else if (er->kind == MT_EXIT_TABLE)
		send_table_count(*map, er);
	return 0;
}

/*
 * A standalone core map whose first grow reported it: known here from that moment, before user
 * space has read the record, so a map made and filled in a run's last moments is read too.
 */
static long exit_read_known(void *m, __u64 *map, __u64 *serial, void *ctx)
{
	(void)m;
	(void)serial;
	(void)ctx;
	send_lib_counts(*map);
	return 0;
}

/*
 * The target is exiting (one thread calls exit_group; its memory is still there): every map
 * user space reads at each sync, and the library's totals, read one last time, since a short
 * run may exit before its next sync.  A process killed by a signal makes no exit_group call:
 * the last sync's figures stand then.
 */
static __always_inline void exit_read_all(void)
{
	struct mt_lib_totals *r;

	bpf_for_each_map_elem(&known_maps, exit_read_known, NULL, 0);
	bpf_for_each_map_elem(&exit_reads, exit_read_one, NULL, 0);
	if (!totals_addr)
		return;
	r = reserve(sizeof(*r), MT_REC_LIB_TOTALS, -1);
	if (!r)
		return;
	if (bpf_probe_read_user(&r->created, 4 * sizeof(__u64), (void *)totals_addr)) {
		bpf_ringbuf_discard(r, 0);
		return;
	}
	bpf_ringbuf_submit(r, BPF_RB_FORCE_WAKEUP);
}

/* --futex-tracepoints: exit_group by its tracepoint (by default, sysc.bpf.h's sites) */
SEC("tracepoint/syscalls/sys_enter_exit_group")
int exit_group(struct sys_enter_ctx *ctx)
{
	(void)ctx;
	if (bpf_get_current_pid_tgid() >> 32 == target_tgid)
		exit_read_all();
	return 0;
}

#endif /* MAPTRACE_EXIT_BPF_H */
