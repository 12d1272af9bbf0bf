/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Probe profiles: the uprobe and uprobe_multi programs on a map library's own functions (Go's
 * runtime maps, GLib, Redis, libstdc++ and others, as the loader's probe_specs describe them):
 * reading a spec's sources and guards, and each role at entry and return (create, resize, grow,
 * rehash step, lock, miss, promote).  field_raw() and field_cut() are also used by the exit
 * part.  Part of maptrace.bpf.c's one compilation unit.
 */
#ifndef MAPTRACE_PROFILE_BPF_H
#define MAPTRACE_PROFILE_BPF_H

#include "state.bpf.h"
#include "cmap.bpf.h"

/*
 * Probe profiles: one program serves every uprobe on a map library's own functions.  Each site's
 * cookie indexes probe_specs (set by the loader), which says what the call is to the map.  A
 * site that may need its return (a resize's duration and new size) is attached as a uprobe
 * session: at entry it decides whether it needs to see the return too, and returning 1 spares
 * the hits that do not the cost of the return trampoline.  The other sites, every site in Go
 * code among them, attach to profile_probe_plain, the same body with no return.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MT_MAX_SPECS);
	__type(key, __u32);
	__type(value, struct mt_probe_spec);
} probe_specs SEC(".maps");

/* A profile call in progress on a thread, from entry to return (or grow begin to end). */
struct pcall {
	__u64 map;
	__u64 a; /* size, or old size, or progress at entry */
	__u64 b; /* new size known at entry, or total */
	__u64 ts;
	__u32 spec;
	__u32 _pad;
	__u64 type; /* the spec's type= at entry (a Go map's type), 0 when none */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_THREADS);
	__type(key, __u32);
	__type(value, struct pcall);
} pcalls SEC(".maps");

/* An incremental rehash of one map, from its first step until its progress field resets. */
struct rehash_state {
	__u64 first_ts;
	__u64 steps;
	__u64 moved;
	__u64 step_ns;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC); /* rare events: allocated as they come */
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, struct rehash_state);
} rehashes SEC(".maps");

/*
 * Is this run of a uprobe session the return?  At entry the registers' ip is the probed
 * address, which bpf_get_func_ip() also gives; at return it is the caller's return address.
 * (The kfunc bpf_session_is_return() says the same, but any kfunc makes libbpf load and parse
 * the kernel's BTF at start-up, 15-20 ms here.)
 */
static __always_inline bool session_is_return(struct pt_regs *ctx)
{
	return PT_REGS_IP(ctx) != bpf_get_func_ip(ctx);
}

/*
 * Argument @i of the probed call.  Loaded field by field: a switch on @i compiles into a
 * variable offset into the context, which the verifier refuses.
 */
static __always_inline __u64 reg_arg(struct pt_regs *ctx, __u8 i)
{
	__u64 regs[6] = { ctx->rdi, ctx->rsi, ctx->rdx, ctx->rcx, ctx->r8, ctx->r9 };

	return i < 6 ? regs[i] : 0;
}

/* Argument @i of a Go function under its register ABI (amd64, Go 1.17+), at entry. */
static __always_inline __u64 go_arg(struct pt_regs *ctx, __u8 i)
{
	__u64 regs[9] = { ctx->rax, ctx->rbx, ctx->rcx, ctx->rdi, ctx->rsi,
			  ctx->r8, ctx->r9, ctx->r10, ctx->r11 };

	return i < 9 ? regs[i] : 0;
}

/*
 * Whose call a profile probe's state belongs to: the thread, or for Go code the goroutine (its
 * g in R14), which may block and resume on another thread between a grow's begin and end.  A
 * g's key has the top bit set, which no thread id has (pid_max <= 2^22).
 */
static __always_inline __u32 call_key(struct pt_regs *ctx, const struct mt_probe_spec *sp)
{
	if (sp->flags & MT_SPEC_GO)
		return (__u32)(ctx->r14 >> 3) | 0x80000000U;
	return tid();
}

/* Read @src; @map is the map pointer for fields.  Arguments only mean something at entry. */
/* A copy of the map struct's fields, taken once at entry (struct mt_probe_spec's snap). */
struct snap {
	__u8 b[MT_SNAP_MAX + 8]; /* 8 spare zero bytes: any field is read as 8 bytes, then cut */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct snap);
} snaps SEC(".maps");

/* The raw bytes of a field: from the entry's copy when there is one, else user memory. */
static __always_inline long field_raw(const struct mt_src *src, __u64 map, const struct snap *sn,
				      __u32 snap_off, __u64 *raw)
{
	/* MT_SRC_ARG_FIELD: @map is the argument, @off signed (arg0-32) */
	void *p = (void *)(map + (src->kind == MT_SRC_ARG_FIELD ? (__s64)(__s32)src->off
								  : (__s64)src->off));
	__u32 o = src->off - snap_off;

	if (sn && src->kind == MT_SRC_FIELD && src->off >= snap_off &&
	    o + src->width <= MT_SNAP_MAX) {
		/* the mask is a no-op the verifier needs to see the bound */
		o &= MT_SNAP_MAX - 1;
		__builtin_memcpy(raw, &sn->b[o], 8);
		return 0;
	}
	/* constant sizes: the verifier must see the copy fit in @raw */
	switch (src->width) {
	case 1:
		return bpf_probe_read_user(raw, 1, p);
	case 2:
		return bpf_probe_read_user(raw, 2, p);
	case 4:
		return bpf_probe_read_user(raw, 4, p);
	default:
		return bpf_probe_read_user(raw, 8, p);
	}
}

/* A field's raw bytes cut to its width, sign-extended when it is signed. */
static __always_inline __s64 field_cut(const struct mt_src *src, __u64 raw)
{
	int shift = src->width == 1 ? 56 : src->width == 2 ? 48 : src->width == 4 ? 32 : 0;

	raw <<= shift;
	return src->flags & MT_SRC_SIGNED ? (__s64)raw >> shift : (__s64)(raw >> shift);
}

static __always_inline __s64 src_read_snap(struct pt_regs *ctx, const struct mt_src *src,
					   __u64 map, const struct snap *sn, __u32 snap_off)
{
	__s64 v = 0;

	switch (src->kind) {
	/* an argument's addend: @off, signed (a struct from a pointer to one of its fields) */
	case MT_SRC_ARG:
		v = reg_arg(ctx, src->arg) + (__s64)(__s32)src->off;
		break;
	case MT_SRC_GOARG:
		v = go_arg(ctx, src->arg) + (__s64)(__s32)src->off;
		break;
	case MT_SRC_RET:
		v = PT_REGS_RC(ctx);
		break;
	case MT_SRC_CONST:
		return src->off;
	case MT_SRC_G:
		v = ctx->r14 + (__s64)(__s32)src->off;
		break;
	case MT_SRC_FP:
		v = ctx->rbp + (__s64)(__s32)src->off;
		break;
	case MT_SRC_ARG_FIELD:
	case MT_SRC_FIELD: {
		__u64 raw = 0;

		/* a field of the map, or at an argument (read at entry only) */
		if (src->kind == MT_SRC_ARG_FIELD) {
			map = src->flags & MT_SRC_GBASE	    ? ctx->r14
			      : src->flags & MT_SRC_FPBASE ? ctx->rbp
			      : src->flags & MT_SRC_GOBASE ? go_arg(ctx, src->arg)
							   : reg_arg(ctx, src->arg);
			sn = NULL; /* another struct than the map's snapshot */
		}
		if (field_raw(src, map, sn, snap_off, &raw))
			return 0;
		v = field_cut(src, raw);
		break;
	}
	default:
		return 0;
	}
	if (src->flags & MT_SRC_EXP2)
		return v < 0 || v > 62 ? 0 : 1LL << v;
	return v;
}

/* Is @src an argument, or a field at one: only readable at entry? */
static __always_inline bool src_at_entry(const struct mt_src *src)
{
	return src->kind == MT_SRC_ARG || src->kind == MT_SRC_GOARG ||
	       src->kind == MT_SRC_ARG_FIELD;
}

static __always_inline __s64 src_read(struct pt_regs *ctx, const struct mt_src *src, __u64 map)
{
	return src_read_snap(ctx, src, map, NULL, 0);
}

/* The first of two sources that reads non-zero. */
static __always_inline __u64 src_read2_snap(struct pt_regs *ctx, const struct mt_src *a,
					    const struct mt_src *b, __u64 map, const struct snap *sn,
					    __u32 snap_off)
{
	__s64 v = src_read_snap(ctx, a, map, sn, snap_off);

	if (!v && b->kind != MT_SRC_NONE)
		v = src_read_snap(ctx, b, map, sn, snap_off);
	return v;
}

static __always_inline __u64 src_read2(struct pt_regs *ctx, const struct mt_src *a,
				       const struct mt_src *b, __u64 map)
{
	return src_read2_snap(ctx, a, b, map, NULL, 0);
}

static __always_inline bool cmp_holds(__u8 cmp, __s64 l, __s64 r)
{
	switch (cmp) {
	case MT_CMP_LT:
		return l < r;
	case MT_CMP_LE:
		return l <= r;
	case MT_CMP_GT:
		return l > r;
	case MT_CMP_GE:
		return l >= r;
	case MT_CMP_EQ:
		return l == r;
	default:
		return l != r;
	}
}

/* Does the spec's guard hold now (or has it none)?  An OR of ANDs, see struct mt_guard. */
static __always_inline bool guard_holds(struct pt_regs *ctx, const struct mt_probe_spec *sp,
					__u64 map, const struct snap *sn)
{
	bool alt = true;

	if (!sp->nwhen)
		return true;
	for (int i = 0; i < MT_MAX_GUARDS; i++) {
		const struct mt_guard *g = &sp->when[i];
		__s64 l, r;

		if ((__u32)i >= sp->nwhen)
			break;
		l = (src_read_snap(ctx, &g->a, map, sn, sp->snap_off) + g->a_add) * (__s64)g->a_mul;
		r = (src_read_snap(ctx, &g->b, map, sn, sp->snap_off) + g->b_add) * (__s64)g->b_mul;
		alt = alt && cmp_holds(g->cmp, l, r);
		if (!g->and_next) {
			if (alt)
				return true;
			alt = true;
		}
	}
	return false;
}

/* The spec's type= (a Go *maptype, in a register at entry): 0 when it has none. */
static __always_inline __u64 type_at_entry(struct pt_regs *ctx, const struct mt_probe_spec *sp,
					   __u64 map)
{
	return sp->type.kind != MT_SRC_NONE ? src_read(ctx, &sp->type, map) : 0;
}

static __always_inline void send_resize(struct pt_regs *ctx, const struct mt_probe_spec *sp,
					__u64 map, __u64 old_size, __u64 new_size, __u64 start,
					__u64 type)
{
	bool go_entry = (sp->flags & MT_SPEC_GO) && sp->role == MT_ROLE_RESIZE;
	struct mt_resize *r;

	exit_read_table(map, sp->lib);
	r = rec_new(sizeof(*r), MT_REC_RESIZE, go_entry ? go_entry_stack(ctx) : user_stack(ctx));
	if (!r)
		return;
	r->map = map;
	r->old_size = old_size;
	r->new_size = new_size;
	r->count = sp->count.kind != MT_SRC_NONE ? src_read(ctx, &sp->count, map) : ~0ULL;
	r->dur_ns = start ? r->h.ts - start : 0;
	r->tag = sp->name.kind != MT_SRC_NONE ? src_read(ctx, &sp->name, map) : 0;
	r->lib = sp->lib;
	r->type = type;
	r->flags =
		(start ? MT_RESIZE_TIMED : 0) | (sp->flags & MT_SPEC_JOIN ? MT_RESIZE_JOINED : 0);
	if (sp->depth.kind == MT_SRC_FIELD) {
		/* a Go Swiss map's directory depth, where the resize ends (a split may double it) */
		__u64 d = 0;

		if (!field_raw(&sp->depth, map, NULL, 0, &d))
			r->flags |= ((d & 0xff) < 255 ? (d & 0xff) + 1 : 255) << MT_RESIZE_DEPTH_SHIFT;
	}
	/*
	 * A Go resize seen at its function's entry (the push %rbp after the stack-bound check):
	 * the caller's frame is not linked yet, so the frame-pointer walk may skip it (the kernel
	 * adds it only for a thread that has uprobe state), and an unwind of a stack copy (no
	 * CFI in stripped Go) does: send the return address at %rsp, and no stack copy.
	 */
	if (go_entry) {
		__u64 ra = 0;

		if (!bpf_probe_read_user(&ra, sizeof(ra), (void *)PT_REGS_SP(ctx)) && ra) {
			r->tag = ra;
			r->flags |= MT_RESIZE_CALLER;
		}
		rec_send(r, sizeof(*r), NULL);
		return;
	}
	/*
	 * A Go grow_end at its epilogue: the frame-pointer walk names the caller (the frame is
	 * still whole); an unwind of a stack copy (no CFI in stripped Go) skipped it (lock_return)
	 */
	rec_send(r, sizeof(*r), sp->flags & MT_SPEC_GO ? NULL : ctx);
}

static __always_inline void count_hit(const struct mt_probe_spec *sp, __u64 map)
{
	struct mt_map_counts *c = counts_of(map);

	if (!c)
		return;
	c->lib = sp->lib;
	if (sp->role == MT_ROLE_INSERT)
		c->inserts++;
	else if (sp->role == MT_ROLE_DELETE)
		c->deletes++;
	else
		c->lookups++;
}

static __always_inline int save_call(struct pt_regs *ctx, const struct mt_probe_spec *sp,
				     __u32 spec, __u64 map, __u64 a, __u64 b)
{
	struct pcall pc = { .map = map, .a = a, .b = b, .ts = bpf_ktime_get_ns(), .spec = spec,
			    .type = type_at_entry(ctx, sp, map) };
	__u32 t = call_key(ctx, sp);

	if (bpf_map_update_elem(&pcalls, &t, &pc, BPF_ANY)) {
		count_drop(MT_DROP_STATE);
		return 1;
	}
	return 0;
}

/*
 * A lock role's return (or, for Go code, its lock_end at a ret instruction; @t is the call's
 * key): the call was a contended acquisition if it slept in a futex wait.
 */
static __always_inline void lock_return(struct pt_regs *ctx, __u32 t,
					const struct mt_probe_spec *sp)
{
	__u32 fn = sp ? sp->fn : 0;
	bool go = sp && (sp->flags & MT_SPEC_GO);
	struct lock_state *s = bpf_map_lookup_elem(&lock_waits, &t);
	struct mt_lock_wait *r;

	/* a ret of another function the goroutine is inside of (lockSlow's semacquire) */
	if (!s || (fn && s->fn != fn))
		return;
	if (s->waited) {
		r = rec_new(sizeof(*r), MT_REC_LOCK_WAIT, user_stack(ctx));
		if (r) {
			r->map = s->map;
			r->lock = s->lock;
			r->wait_ns = r->h.ts - s->ts;
			r->mode = s->mode;
			r->kind = s->kind;
			/*
			 * the goroutine's own id, read where it returns holding the lock; only
			 * from its Go version's field offset (none known: 0, never a guess)
			 */
			r->goid = go && sp->goid.kind != MT_SRC_NONE ?
					  (__u64)src_read(ctx, &sp->goid, 0) :
					  0;
			/*
			 * Go: the frame-pointer walk at the epilogue (its frame still whole)
			 * names the caller; an unwind of a stack copy of stripped Go (no CFI)
			 * gave the ret and skipped the caller in tsgo
			 */
			rec_send(r, sizeof(*r), go ? NULL : ctx);
		}
	}
	bpf_map_delete_elem(&lock_waits, &t);
}

/*
 * Is this call one the spec takes, by its caller?  At an entry site the return address is on
 * top of the stack; it is compared, less the load bias, with the spec's functions.
 */
static __always_inline bool caller_matches(struct pt_regs *ctx, const struct mt_probe_spec *sp)
{
	__u64 ra = 0;
	bool in = false;

	if (!sp->nfrom)
		return true;
	if (bpf_probe_read_user(&ra, sizeof(ra), (void *)PT_REGS_SP(ctx)))
		return false;
	ra -= bpf_get_func_ip(ctx) - sp->site; /* the load bias (PIE) */
	for (__u32 i = 0; i < MT_MAX_FROM; i++)
		if (i < sp->nfrom && ra >= sp->from_lo[i] && ra < sp->from_hi[i])
			in = true;
	return in != !!(sp->flags & MT_SPEC_NOT_FROM);
}

/* Entry of a profile function.  Return: 0 to run again at its return, 1 not to. */
static __always_inline int profile_entry(struct pt_regs *ctx, const struct mt_probe_spec *sp,
					 __u32 spec)
{
	bool ret = sp->flags & MT_SPEC_RETURN;
	struct snap *sn = NULL;
	__u64 map = 0, a, b;
	struct mt_table_create *c;

	/* x86 EFLAGS: CF (bit 0), ZF (bit 6): "jbe" is taken, to morestack, and the call restarts */
	if ((sp->flags & MT_SPEC_STACK_JBE) && (ctx->eflags & 0x41))
		return 1;
	if (!caller_matches(ctx, sp))
		return 1;

	if (sp->map.kind != MT_SRC_RET || (sp->flags & MT_SPEC_AT_RET))
		map = src_read(ctx, &sp->map, 0);
	switch (sp->role) {
	case MT_ROLE_INSERT:
	case MT_ROLE_DELETE:
	case MT_ROLE_LOOKUP:
		if (!map)
			return 1;
		count_hit(sp, map);
		if (!ret || sp->size.kind == MT_SRC_NONE)
			return 1;
		if (sp->snap) {
			__u32 zero = 0;

			sn = bpf_map_lookup_elem(&snaps, &zero);
			if (sn && bpf_probe_read_user(sn->b, MT_SNAP_MAX, (void *)(map + sp->snap_off)))
				sn = NULL;
		}
		if (!guard_holds(ctx, sp, map, sn))
			return 1;
		return save_call(ctx, sp, spec, map,
				 src_read2_snap(ctx, &sp->size, &sp->size_alt, map, sn, sp->snap_off),
				 0);
	case MT_ROLE_DESTROY:
		if (map)
			map_freed(map);
		return 1;
	case MT_ROLE_CREATE:
		if (ret)
			return save_call(ctx, sp, spec, map, 0, 0);
		if (!map)
			return 1;
		bpf_map_delete_elem(&map_counts, &map);
		c = rec_new(sizeof(*c), MT_REC_TABLE_CREATE, user_stack(ctx));
		if (c) {
			c->map = map;
			c->size = src_read2(ctx, &sp->size, &sp->size_alt, map);
			c->tag = sp->name.kind != MT_SRC_NONE ? src_read(ctx, &sp->name, map) : 0;
			c->lib = sp->lib;
			c->flags = sp->hint.kind != MT_SRC_NONE ? MT_CREATE_HINT : 0;
			c->hint = c->flags ? src_read(ctx, &sp->hint, map) : 0;
			rec_send(c, sizeof(*c), ctx);
		}
		return 1;
	case MT_ROLE_RESIZE:
	case MT_ROLE_GROW_BEGIN:
		if (!map)
			return 1;
		a = src_read2(ctx, &sp->size, &sp->size_alt, map);
		b = src_at_entry(&sp->new_size) ?
			    src_read2(ctx, &sp->new_size, &sp->new_size_alt, map) : 0;
		if (sp->role == MT_ROLE_GROW_BEGIN && (sp->flags & MT_SPEC_JOIN)) {
			/* only the rehash of the resize just reported untimed: not reserve() */
			__u32 t = call_key(ctx, sp);
			struct untimed *u = bpf_map_lookup_elem(&untimed_resizes, &t);

			if (!u || u->map != map || u->old_size != a || u->new_size != b)
				return 1;
			bpf_map_delete_elem(&untimed_resizes, &t);
		}
		if (sp->role == MT_ROLE_GROW_BEGIN)
			return save_call(ctx, sp, spec, map, a, b) | 1;
		if (!ret) {
			if (!b)
				b = src_read2(ctx, &sp->new_size, &sp->new_size_alt, map);
			if (a != b)
				send_resize(ctx, sp, map, a, b, 0, type_at_entry(ctx, sp, map));
			return 1;
		}
		return save_call(ctx, sp, spec, map, a, b);
	case MT_ROLE_GROW_END: {
		__u32 t = call_key(ctx, sp);
		struct pcall *pc = bpf_map_lookup_elem(&pcalls, &t);
		struct mt_probe_spec *begin;

		if (!pc)
			return 1;
		begin = bpf_map_lookup_elem(&probe_specs, &pc->spec);
		if (begin && begin->role == MT_ROLE_GROW_BEGIN && (!map || map == pc->map)) {
			b = pc->b ?: src_read2(ctx, &begin->new_size, &begin->new_size_alt, pc->map);
			/* untimed: the span only chose the size, the rehash runs after it */
			send_resize(ctx, begin, pc->map, pc->a, b,
				    begin->flags & MT_SPEC_UNTIMED ? 0 : pc->ts, pc->type);
			if (begin->flags & MT_SPEC_UNTIMED) {
				struct untimed u = {
					.map = pc->map, .old_size = pc->a, .new_size = b};

				/* a join= grow_begin that follows on this thread times it */
				bpf_map_update_elem(&untimed_resizes, &t, &u, BPF_ANY);
			}
		}
		bpf_map_delete_elem(&pcalls, &t);
		return 1;
	}
	case MT_ROLE_LOCK: {
		struct lock_state ls = {
			.map = map,
			.lock = src_read(ctx, &sp->lock, map),
			.ts = bpf_ktime_get_ns(),
			.mode = sp->lock_mode,
			.kind = sp->lock_kind,
			/*
			 * Go: the function is the slow path, entered only when the lock was
			 * held, and its goroutine parks in the scheduler, not in a futex
			 */
			.waited = !!(sp->flags & MT_SPEC_GO),
			.fn = sp->fn,
		};
		__u32 t = call_key(ctx, sp);

		/* the futex path marks it if the call sleeps; the return decides */
		if (bpf_map_update_elem(&lock_waits, &t, &ls, BPF_ANY)) {
			count_drop(MT_DROP_STATE);
			return 1;
		}
		/* a Go lock's end is its lock_end probe: no return trampoline on Go code */
		return !(sp->flags & MT_SPEC_RETURN);
	}
	case MT_ROLE_LOCK_END:
		lock_return(ctx, call_key(ctx, sp), sp);
		return 1;
	case MT_ROLE_MISS: {
		struct mt_map_counts *mc = map ? counts_of(map) : NULL;

		if (mc) {
			mc->lib = sp->lib;
			mc->sync_misses++;
		}
		return 1;
	}
	case MT_ROLE_PROMOTE: {
		struct mt_promote *r;

		if (!map)
			return 1;
		r = rec_new(sizeof(*r), MT_REC_PROMOTE, user_stack(ctx));
		if (r) {
			r->map = map;
			r->dirty_len =
				sp->size.kind != MT_SRC_NONE ? src_read(ctx, &sp->size, map) : 0;
			rec_send(r, sizeof(*r), ctx);
		}
		return 1;
	}
	case MT_ROLE_REHASH_STEP:
		if (!map)
			return 1;
		a = src_read(ctx, &sp->pos, map);
		/* not rehashing: the call returns at once */
		if ((__s64)a < 0)
			return 1;
		b = src_read2(ctx, &sp->size, &sp->size_alt, map);
		return save_call(ctx, sp, spec, map, a, b);
	default:
		return 1;
	}
}

static __always_inline void rehash_step_done(struct pt_regs *ctx, const struct mt_probe_spec *sp,
					     struct pcall *pc, __u64 now)
{
	struct rehash_state *st, fresh = { .first_ts = pc->ts };
	__s64 pos = src_read(ctx, &sp->pos, pc->map);
	struct mt_rehash *r;
	__u64 moved;

	moved = pos < 0 ? pc->b - pc->a : (__u64)pos - pc->a;
	st = bpf_map_lookup_elem(&rehashes, &pc->map);
	if (!st) {
		long err = bpf_map_update_elem(&rehashes, &pc->map, &fresh, BPF_NOEXIST);

		st = bpf_map_lookup_elem(&rehashes, &pc->map);
		if (!st) {
			count_map_table_miss(err);
			return;
		}
	}
	if (moved) {
		st->steps++;
		st->moved += moved;
	}
	st->step_ns += now - pc->ts;
	if (pos >= 0)
		return;
	r = reserve(sizeof(*r), MT_REC_REHASH, -1);
	if (r) {
		r->map = pc->map;
		r->steps = st->steps;
		r->moved = st->moved;
		r->step_ns = st->step_ns;
		r->elapsed_ns = now - st->first_ts;
		r->size = src_read2(ctx, &sp->size, &sp->size_alt, pc->map);
		r->lib = sp->lib;
		r->_pad = 0;
		submit(r);
	}
	bpf_map_delete_elem(&rehashes, &pc->map);
}

/* Return of a profile function whose entry asked for it. */
static __always_inline void profile_return(struct pt_regs *ctx, const struct mt_probe_spec *sp)
{
	__u32 t = tid();
	struct pcall *pc;

	if (sp->role == MT_ROLE_LOCK) {
		lock_return(ctx, tid(), NULL);
		return;
	}
	pc = bpf_map_lookup_elem(&pcalls, &t);
	__s64 rv = PT_REGS_RC(ctx);
	__u64 now = bpf_ktime_get_ns(), size;
	struct mt_table_create *c;

	if (!pc)
		return;
	switch (sp->role) {
	case MT_ROLE_INSERT:
	case MT_ROLE_DELETE:
	case MT_ROLE_LOOKUP:
		size = src_read2(ctx, &sp->size, &sp->size_alt, pc->map);
		if (size != pc->a && size)
			send_resize(ctx, sp, pc->map, pc->a, size, pc->ts, pc->type);
		break;
	case MT_ROLE_CREATE:
		if (sp->map.kind == MT_SRC_RET)
			pc->map = rv;
		if (!pc->map)
			break;
		bpf_map_delete_elem(&map_counts, &pc->map);
		c = rec_new(sizeof(*c), MT_REC_TABLE_CREATE, user_stack(ctx));
		if (c) {
			c->map = pc->map;
			c->size = src_read2(ctx, &sp->size, &sp->size_alt, pc->map);
			c->tag = sp->name.kind != MT_SRC_NONE ? src_read(ctx, &sp->name, pc->map) : 0;
			c->lib = sp->lib;
			c->flags = 0; /* a hint is read at the entry only (the spec refuses it here) */
			c->hint = 0;
			rec_send(c, sizeof(*c), ctx);
		}
		break;
	case MT_ROLE_RESIZE:
		if ((sp->ret_cond == MT_RET_EQ && rv != sp->ret_val) ||
		    (sp->ret_cond == MT_RET_NE && rv == sp->ret_val))
			break;
		size = pc->b;
		if (!size)
			size = src_read2(ctx, &sp->new_size, &sp->new_size_alt, pc->map);
		if (size != pc->a)
			send_resize(ctx, sp, pc->map, pc->a, size, pc->ts, pc->type);
		break;
	case MT_ROLE_REHASH_STEP:
		rehash_step_done(ctx, sp, pc, now);
		break;
	default:
		break;
	}
	bpf_map_delete_elem(&pcalls, &t);
}

/* A profile probe's hit, at a site's entry or (a session's) return: 1 when no return is wanted. */
static __always_inline int profile_hit(struct pt_regs *ctx)
{
	__u32 spec = (__u32)bpf_get_attach_cookie(ctx);
	struct mt_probe_spec *sp = bpf_map_lookup_elem(&probe_specs, &spec);

	if (!sp)
		return 1;
	if (session_is_return(ctx)) {
		profile_return(ctx, sp);
		return 0;
	}
	return profile_entry(ctx, sp, spec);
}

/* The sites that need their return (MT_SPEC_RETURN), as a uprobe session. */
SEC("uprobe")
int profile_probe(struct pt_regs *ctx)
{
	return profile_hit(ctx);
}

/*
 * Every other site, as a plain uprobe_multi link, which never sets up a return.  A session
 * link cannot serve them: the kernel calls a pid-filtered link's handler in every process
 * with the breakpoint (another maptrace's target on the same file), and for a process not its
 * own it returns 0 without running the program, which for a session asks for the return, so
 * that process's return address is swapped for the trampoline: Go's runtime then dies
 * ("unexpected return pc").  Without a return, an entry always returns 1 here.
 */
SEC("uprobe")
int profile_probe_plain(struct pt_regs *ctx)
{
	profile_hit(ctx);
	return 0;
}

#endif /* MAPTRACE_PROFILE_BPF_H */
