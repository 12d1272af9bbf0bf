/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The USDT programs on libcmap's own probes: a map's creation (map_create, ccmap_create,
 * map_create_big, or its first grow when creation is not probed), its destroy and the library's
 * last counters, the per-operation counters (insert, delete, sync_hit, sync_miss), grows,
 * evacuation steps and promotions.  map_freed(), send_lib_counts() and send_sync_counts() are
 * also used by the profile and exit parts.  Part of maptrace.bpf.c's one compilation unit.
 */
#ifndef MAPTRACE_CMAP_BPF_H
#define MAPTRACE_CMAP_BPF_H

#include "state.bpf.h"

static __always_inline int map_created(struct pt_regs *ctx, __u64 map, __u64 hint, __u64 B,
				       __u64 variant, __u64 parent)
{
	struct mt_map_create *r = rec_new(sizeof(*r), MT_REC_MAP_CREATE, user_stack(ctx));

	/*
	 * counts left by an earlier map at this address (its destroy was not seen); looked up
	 * first, as a delete takes the bucket's lock even when there is nothing to delete
	 */
	if (bpf_map_lookup_elem(&map_counts, &map))
		bpf_map_delete_elem(&map_counts, &map);
	if (variant != MT_CMAP_PLAIN) {
		__u8 v = (__u8)variant;

		/* not kept: a sync map's hits and misses are read only while it lives */
		long err = bpf_map_update_elem(&conc_maps, &map, &v, BPF_ANY);

		if (err)
			count_map_table_miss(err);
	}
	/* a sync map's hits and misses, a core map's counters; the others have none of their own */
	if (exit_reading && (variant == MT_CMAP_PLAIN || variant == MT_CMAP_SYNC))
		exit_read_lib(map, variant == MT_CMAP_SYNC ? MT_EXIT_SYNC : MT_EXIT_CORE);
	if (!r)
		return 0;
	r->map = map;
	r->hint = hint;
	r->parent = parent;
	r->B = B;
	r->variant = variant;
	r->site = 0;
	r->grows_before = r->same_size_before = 0;
	/*
	 * A creation site from the frame-pointer walk alone under --stack auto: a program that
	 * makes and frees many small maps pays no stack copy for each (the grows of a map that
	 * matters get full stacks).  --stack dwarf still copies.
	 */
	rec_send(r, sizeof(*r), dwarf_per_sec ? NULL : ctx);
	return 0;
}

/* Every map's creation: attached only with --detail. */
SEC("usdt")
int BPF_USDT(map_create, __u64 map, __u64 hint, __u64 B, __u64 variant, __u64 parent)
{
	return map_created(ctx, map, hint, B, variant, parent);
}

/* A concurrent map's or its inner core maps' creation: by default. */
SEC("usdt")
int BPF_USDT(ccmap_create, __u64 map, __u64 hint, __u64 B, __u64 variant, __u64 parent)
{
	return map_created(ctx, map, hint, B, variant, parent);
}

/*
 * A map created with 2^CMAP_QUIET_B buckets or more (a size hint), which no other creation probe
 * announced: by default.  It may never grow, so this is all a grow-following tracer hears of it
 * until its free.  Remembered by serial, as a map first seen growing is, so its first grow does
 * not report it again; user space reads its own counters from then on.
 */
SEC("usdt")
int BPF_USDT(map_create_big, __u64 map, __u64 hint, __u64 B, __u64 variant, __u64 parent)
{
	__u64 serial = map_serial(map);

	if (!parent && serial && map_known(map, serial))
		return 0; /* its first grow would report it again: one map counted twice */
	return map_created(ctx, map, hint, B, variant, parent);
}

/*
 * A core map grows whose creation was not reported (map_create is probed only with --detail):
 * report it now from its struct, with its creation site as the only frame and the grows it
 * made unprobed while small, so its grows have a map to belong to and add up.  A map at a
 * known address with another serial is a new map there: the old one was freed unseen.  A map
 * made before the trace started stays one first seen growing, as it always was.
 */
static __always_inline void map_first_seen(__u64 map, __u64 B)
{
	__u64 serial, *known, grows = 0, same = 0, parent = 1;
	struct mt_map_create *r;

	/*
	 * With --detail every map's creation has its record; a concurrent map's inner maps have
	 * theirs from ccmap_create (or predate the trace): only a standalone map is reported here.
	 */
	if (create_probed ||
	    bpf_probe_read_user(&parent, sizeof(parent), (void *)(map + cmap_off_parent)) || parent)
		return;
	serial = map_serial(map);
	known = bpf_map_lookup_elem(&known_maps, &map);
	/*
	 * Not reported when it cannot be remembered (the loss is counted): its next grow would
	 * report it again, and one map would count twice.
	 */
	if (!serial || (known && *known == serial) || map_known(map, serial))
		return;
	if (serial <= serial_before)
		return;
	r = reserve(sizeof(*r), MT_REC_MAP_CREATE, -1);
	if (!r)
		return;
	r->map = map;
	r->variant = MT_CMAP_PLAIN;
	r->parent = 0;
	if (bpf_probe_read_user(&r->hint, 8, (void *)(map + cmap_off_hint)) ||
	    bpf_probe_read_user(&r->site, 8, (void *)(map + cmap_off_site)) ||
	    bpf_probe_read_user(&grows, 8, (void *)(map + cmap_off_grows)) ||
	    bpf_probe_read_user(&same, 8, (void *)(map + cmap_off_same_size_grows)) || grows > B) {
		bpf_ringbuf_discard(r, 0);
		return;
	}
	/* every grow but a same-size one doubles the map: it was made this much smaller */
	r->B = B - grows;
	r->grows_before = grows;
	r->same_size_before = same;
	submit(r);
}

/* The library's exact counters of a map about to be freed: its last word on them. */
static __always_inline void send_lib_counts(__u64 map)
{
	struct mt_lib_counts *r = reserve(sizeof(*r), MT_REC_LIB_COUNTS, -1);
	__u64 *field;

	if (!r)
		return;
	r->map = map;
	/* a sync map's and a profile map's fields: not ring-buffer leftovers */
	r->hits = r->misses = r->evac_pos = r->evac_of = 0;
	field = &r->inserts;
#pragma unroll
	for (int i = 0; i < MT_LIB_FIELDS; i++) {
		if (bpf_probe_read_user(&field[i], 8, (void *)(map + lib_off[i]))) {
			bpf_ringbuf_discard(r, 0);
			return;
		}
	}
	submit(r);
}

/* A map is freed: its hot counters leave the kernel in a record, and its slot is cleared. */
static __always_inline void map_freed(__u64 map)
{
	/* by default a map has no hot counters (no per-operation probe): no per-CPU sums then */
	bool counted = bpf_map_lookup_elem(&map_counts, &map) != NULL;
	struct mt_map_destroy *r;
	struct mt_map_counts *c;

	r = reserve(sizeof(*r), MT_REC_MAP_DESTROY, -1);
	if (r) {
		r->map = map;
		__builtin_memset(&r->counts, 0, sizeof(r->counts));
		for (__u32 cpu = 0; counted && cpu < MAX_CPUS && cpu < nr_cpus; cpu++) {
			c = bpf_map_lookup_percpu_elem(&map_counts, &map, cpu);
			if (!c)
				break;
			r->counts.inserts += c->inserts;
			r->counts.deletes += c->deletes;
			r->counts.sync_hits += c->sync_hits;
			r->counts.sync_misses += c->sync_misses;
			r->counts.lookups += c->lookups;
			r->counts.lib = c->lib;
			r->counts.evac_steps += c->evac_steps;
			r->counts.evac_moved += c->evac_moved;
			r->counts.evac_ns += c->evac_ns;
			if (c->evac_max_ns > r->counts.evac_max_ns)
				r->counts.evac_max_ns = c->evac_max_ns;
		}
		submit(r);
	}
	/* the address may be reused by the next map: its counts must start from zero */
	if (counted)
		bpf_map_delete_elem(&map_counts, &map);
}

/* A sync map's hits and misses as it is freed: summed over its stripes, as the library does. */
static __always_inline void send_sync_counts(__u64 map)
{
	struct mt_lib_counts *r = reserve(sizeof(*r), MT_REC_LIB_COUNTS, -1);
	__u64 sy = 0, hits;

	if (!r)
		return;
	__builtin_memset(&r->map, 0, sizeof(*r) - sizeof(r->h));
	r->map = map;
	if (bpf_probe_read_user(&sy, 8, (void *)(map + sync_off_sy)) ||
	    bpf_probe_read_user(&r->misses, 8, (void *)(sy + sync_off_misses))) {
		bpf_ringbuf_discard(r, 0);
		return;
	}
#pragma unroll
	for (int i = 0; i < MT_SYNC_STRIPES; i++) {
		hits = 0;
		bpf_probe_read_user(&hits, 8,
				    (void *)(sy + sync_off_stripes + i * sync_stripe_size +
					     sync_off_hits));
		r->hits += hits;
	}
	submit(r);
}

SEC("usdt")
int BPF_USDT(map_destroy, __u64 map)
{
	__u8 *variant = bpf_map_lookup_elem(&conc_maps, &map);
	bool was_known = !bpf_map_delete_elem(&known_maps, &map);

	/*
	 * exit_read_lib() added it: a concurrent map, any map under --detail, or one born big (a
	 * standalone core map is in known_maps too then; user space drops the others, and an inner
	 * map, on its record, which the exit may come before)
	 */
	if (exit_reading && (variant || create_probed || was_known))
		bpf_map_delete_elem(&exit_reads, &map);
	if (variant) {
		/* a mutex, rwlock or sharded map has no counters of its own: its core maps do */
		if (*variant == MT_CMAP_SYNC)
			send_sync_counts(map);
		bpf_map_delete_elem(&conc_maps, &map);
	} else {
		send_lib_counts(map);
	}
	map_freed(map);
	return 0;
}

/*
 * The map argument of a per-operation probe, which fires millions of times a second.  In the
 * library it is always in a register, so read the register straight from the context rather
 * than through bpf_usdt_arg(), a function call and a bpf_probe_read_kernel() per hit; any
 * other form takes the general path.
 */
static __always_inline __u64 hot_map_arg(struct pt_regs *ctx)
{
	__u32 id = (__u32)bpf_get_attach_cookie(ctx);
	struct __bpf_usdt_spec *spec = bpf_map_lookup_elem(&__bpf_usdt_specs, &id);
	struct __bpf_usdt_arg_spec *a;
	long v = 0;

	if (!spec)
		return 0;
	a = &spec->args[0];
	if (a->arg_type != BPF_USDT_ARG_REG || a->arg_bitshift) {
		bpf_usdt_arg(ctx, 0, &v);
		return v;
	}
	switch (a->reg_off) {
	case __builtin_offsetof(struct pt_regs, rdi):
		return ctx->rdi;
	case __builtin_offsetof(struct pt_regs, rsi):
		return ctx->rsi;
	case __builtin_offsetof(struct pt_regs, rbx):
		return ctx->rbx;
	case __builtin_offsetof(struct pt_regs, rbp):
		return ctx->rbp;
	case __builtin_offsetof(struct pt_regs, r12):
		return ctx->r12;
	case __builtin_offsetof(struct pt_regs, r13):
		return ctx->r13;
	case __builtin_offsetof(struct pt_regs, r14):
		return ctx->r14;
	case __builtin_offsetof(struct pt_regs, r15):
		return ctx->r15;
	case __builtin_offsetof(struct pt_regs, rax):
		return ctx->rax;
	case __builtin_offsetof(struct pt_regs, rdx):
		return ctx->rdx;
	default:
		bpf_usdt_arg(ctx, 0, &v);
		return v;
	}
}

/* A per-operation probe: one more in its field of the map's per-CPU counters. */
#define HOT_COUNTER(probe, field)                                                                 \
	SEC("usdt")                                                                              \
	int probe(struct pt_regs *ctx)                                                           \
	{                                                                                        \
		struct mt_map_counts *c = counts_of(hot_map_arg(ctx));                           \
                                                                                                 \
		if (c)                                                                           \
			c->field++;                                                              \
		return 0;                                                                        \
	}

HOT_COUNTER(insert, inserts)
HOT_COUNTER(delete, deletes)
HOT_COUNTER(sync_hit, sync_hits)
HOT_COUNTER(sync_miss, sync_misses)

SEC("usdt")
int BPF_USDT(grow_begin, __u64 map, __u64 old_B, __u64 new_B, __u64 count, __u64 same_size)
{
	struct grow_state g;
	__u32 t = tid();

	/* first, so the grow's time (ts below) does not include the report */
	map_first_seen(map, old_B);
	g = (struct grow_state){
		.map = map,
		.ts = bpf_ktime_get_ns(),
		.count = count,
		.old_B = old_B,
		.new_B = new_B,
		.same_size = same_size,
		.stack_id = user_stack(ctx),
	};
	if (bpf_map_update_elem(&grows, &t, &g, BPF_ANY))
		count_drop(MT_DROP_STATE);
	return 0;
}

SEC("usdt")
int BPF_USDT(grow_end, __u64 map)
{
	__u32 t = tid();
	struct grow_state *g = bpf_map_lookup_elem(&grows, &t);
	struct mt_grow *r;

	if (!g || g->map != map)
		return 0;
	r = rec_new(sizeof(*r), MT_REC_GROW, g->stack_id);
	if (r) {
		r->map = map;
		r->count = g->count;
		r->dur_ns = r->h.ts - g->ts;
		r->old_B = g->old_B;
		r->new_B = g->new_B;
		r->same_size = g->same_size;
		r->_pad = 0;
		/* still inside the insert that grew the map: the same call chain as grow_begin */
		rec_send(r, sizeof(*r), ctx);
	}
	bpf_map_delete_elem(&grows, &t);
	return 0;
}

SEC("usdt")
int BPF_USDT(evacuate_begin, __u64 map)
{
	__u32 t = tid();
	__u64 now = bpf_ktime_get_ns();

	if (bpf_map_update_elem(&evac_start, &t, &now, BPF_ANY))
		count_drop(MT_DROP_STATE);
	return 0;
}

/*
 * An evacuation step into the map's hot counters, not the ring buffer: when the buffer is
 * filling (a growing map under several writers makes hundreds of thousands a second), and
 * when a record cannot be reserved.  Counted exactly, without a record of its own.
 */
static __always_inline void evacuate_summed(__u64 map, __u64 moved, __u64 dur)
{
	struct mt_map_counts *c = counts_of(map);

	/* lost once, and counted once: counts_of() named the cause */
	if (!c)
		return;
	c->evac_steps++;
	c->evac_moved += moved;
	c->evac_ns += dur;
	if (dur > c->evac_max_ns)
		c->evac_max_ns = dur;
}

SEC("usdt")
int BPF_USDT(evacuate, __u64 map, __u64 oldbucket, __u64 moved)
{
	__u32 t = tid();
	__u64 *start = bpf_map_lookup_elem(&evac_start, &t);
	__u64 now = bpf_ktime_get_ns(), dur = start ? now - *start : 0;
	struct mt_evacuate *r = NULL;

	if (bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) < rb_size / 4 * 3)
		r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);
	if (r) {
		r->h = (struct mt_hdr){ .type = MT_REC_EVACUATE,
					.size = sizeof(*r),
					.cpu = bpf_get_smp_processor_id(),
					.pid = t,
					.tgid = bpf_get_current_pid_tgid() >> 32,
					.ts = now,
					.stack_id = -1 };
		r->map = map;
		r->oldbucket = oldbucket;
		r->moved = moved;
		r->dur_ns = dur;
		submit(r);
	} else {
		evacuate_summed(map, moved, dur);
	}
	if (start)
		bpf_map_delete_elem(&evac_start, &t);
	return 0;
}

SEC("usdt")
int BPF_USDT(grow_done, __u64 map, __u64 B, __u64 count)
{
	struct mt_grow_done *r = reserve(sizeof(*r), MT_REC_GROW_DONE, -1);

	if (!r)
		return 0;
	r->map = map;
	r->B = B;
	r->count = count;
	r->_pad = 0;
	submit(r);
	return 0;
}

SEC("usdt")
int BPF_USDT(sync_promote, __u64 map, __u64 dirty_len)
{
	struct mt_promote *r = rec_new(sizeof(*r), MT_REC_PROMOTE, user_stack(ctx));

	if (!r)
		return 0;
	r->map = map;
	r->dirty_len = dirty_len;
	rec_send(r, sizeof(*r), ctx);
	return 0;
}

#endif /* MAPTRACE_CMAP_BPF_H */
