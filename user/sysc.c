// SPDX-License-Identifier: MIT
/*
 * The sites of the system calls maptrace watches in one ELF file.  See sysc.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <gelf.h>

#include "disasm.h"
#include "elfload.h"
#include "elfsym.h"
#include "sysc.h"

/* a call whose number cannot be told */
#define NR_UNKNOWN (-2)
/* how far before a syscall the scan looks for the move of its number, without .eh_frame */
#define NR_WINDOW 64

struct finder {
	struct elfsym_file *ef;
	Elf *elf;
	struct disasm *d;
	const int *nrs;
	int nnrs;
	/* the generic wrappers' extents, by symbol: their numbers are in %rax */
	__u64 gen_start[4], gen_end[4];
	int ngen;
	/* where this file's calls of a generic wrapper go: PLT stubs, its own start; GOT slots */
	__u64 callee[8], slot[4];
	int ncallee, nslot;
	struct disasm_func *fn; /* the function decoded last: the next candidate may be in it */
	struct sysc_site *sites;
	int n, cap;
	struct sysc_stats st;
};

static bool wanted(const struct finder *f, int nr)
{
	for (int i = 0; i < f->nnrs; i++)
		if (f->nrs[i] == nr)
			return true;
	return false;
}

static bool in_generic(const struct finder *f, __u64 vaddr)
{
	for (int i = 0; i < f->ngen; i++)
		if (vaddr >= f->gen_start[i] && vaddr < f->gen_end[i])
			return true;
	return false;
}

/* Does a direct jump or call of @fn land on @addr? */
static bool jumped_to(const struct disasm_func *fn, __u64 addr)
{
	for (int k = 0; k < fn->n; k++)
		if (fn->insns[k].target == addr)
			return true;
	return false;
}

/* The value of register @gpr as instruction @j starts, over every path there (see call_nr). */
struct nr_walk {
	struct finder *f;
	const struct disasm_func *fn;
	__u16 *seen; /* instructions walked back from, a bit per register */
	int budget;  /* instructions left to look at */
};

static int reg_before(struct nr_walk *w, int j, int gpr, int hops);

/* The value @gpr holds after fn->insns[@k] runs, or NR_UNKNOWN. */
static int reg_after(struct nr_walk *w, int k, int gpr, int hops)
{
	const struct disasm_insn *in = &w->fn->insns[k];
	struct disasm_write dw;

	if (--w->budget < 0)
		return NR_UNKNOWN;
	/* a call keeps the callee-saved registers (%rbx, %rbp, %r12-%r15) and clobbers the rest */
	if (in->kind == DISASM_CALL || in->kind == DISASM_CALL_IND)
		return gpr == 3 || gpr == 5 || gpr >= 12 ? reg_before(w, k, gpr, hops) : NR_UNKNOWN;
	if (disasm__writes_gpr(w->f->d, in, gpr, &dw)) {
		if (dw.imm_ok)
			return dw.imm >= 0 && dw.imm <= INT32_MAX ? (int)dw.imm : NR_UNKNOWN;
		if (dw.src < 0 || hops >= 2)
			return NR_UNKNOWN;
		return reg_before(w, k, dw.src, hops + 1);
	}
	return reg_before(w, k, gpr, hops);
}

/*
 * Every way into fn->insns[@j]: the instruction before it when that one falls through, and
 * every direct jump there.  A way already walked (a loop) adds nothing; the function's first
 * instruction is reached from outside, where nothing is known.
 */
static int reg_before(struct nr_walk *w, int j, int gpr, int hops)
{
	const struct disasm_func *fn = w->fn;
	int nr = NR_UNKNOWN - 1, v; /* below NR_UNKNOWN: no way in seen yet */
	__u8 prev_kind;

	if (!j)
		return NR_UNKNOWN;
	if (w->seen[j] & (1u << gpr))
		return nr;
	w->seen[j] |= (__u16)(1u << gpr);
	prev_kind = fn->insns[j - 1].kind;
	if (prev_kind == DISASM_OTHER || prev_kind == DISASM_JCC || prev_kind == DISASM_CALL) {
		nr = reg_after(w, j - 1, gpr, hops);
		if (nr == NR_UNKNOWN)
			return nr;
	}
	for (int k = 0; k < fn->n; k++) {
		if (fn->insns[k].target != fn->insns[j].addr ||
		    (fn->insns[k].kind != DISASM_JMP && fn->insns[k].kind != DISASM_JCC))
			continue;
		v = reg_after(w, k, gpr, hops);
		if (v == NR_UNKNOWN || (v >= 0 && nr >= 0 && v != nr))
			return NR_UNKNOWN;
		if (v >= 0)
			nr = v;
	}
	return nr;
}

/*
 * The number of the call fn->insns[@i] makes: the immediate moved into %eax (directly or
 * through up to two other registers) on every path to it within its function, each path
 * walked back until a write of the register.  A call before, the function's start or an
 * indirect jump on a path leaves it unknown.
 */
static int reg_at(struct finder *f, const struct disasm_func *fn, int i, int gpr)
{
	struct nr_walk w = {
		.f = f, .fn = fn, .seen = calloc((size_t)fn->n, sizeof(__u16)), .budget = 256};
	int nr;

	if (!w.seen)
		return NR_UNKNOWN;
	nr = reg_before(&w, i, gpr, 0);
	free(w.seen);
	return nr >= 0 ? nr : NR_UNKNOWN;
}

static int call_nr(struct finder *f, const struct disasm_func *fn, int i)
{
	return reg_at(f, fn, i, 0);
}

/* Is the futex operation in %esi at fn->insns[@i] known, and a wake (FUTEX_WAKE, _BITSET)? */
static bool static_wake(struct finder *f, const struct disasm_func *fn, int i)
{
	int op = reg_at(f, fn, i, 6);

	return op >= 0 && ((op & 127) == 1 || (op & 127) == 10);
}

/*
 * Where to see the call of fn->insns[@i] return: the first instruction after it that the
 * kernel emulates (a jump, a nop, a push: ~0.8 us a hit here, where one it single-steps costs
 * ~5 us), when the instructions up to it write none of %rax, %rdi, %rsi, %rdx and nothing
 * jumps between; else the instruction right after.  *@clean: only the call reaches it.
 */
static int exit_at(struct finder *f, const struct disasm_func *fn, int i, bool *clean)
{
	static const int kept[] = {0, 7, 6, 2};
	int j;

	*clean = i + 1 < fn->n && !jumped_to(fn, fn->insns[i + 1].addr);
	for (j = i + 1; *clean && j < fn->n && j <= i + 4; j++) {
		const struct disasm_insn *in = &fn->insns[j];
		struct disasm_write w;
		bool writes = false;

		if (j > i + 1 && jumped_to(fn, in->addr))
			break;
		if (elfsym__site_kind(in->code, in->len) != UPROBE_SITE_STEP)
			return j;
		if (in->kind != DISASM_OTHER)
			break;
		for (size_t k = 0; k < sizeof(kept) / sizeof(kept[0]); k++)
			writes |= disasm__writes_gpr(f->d, in, kept[k], &w) != 0;
		if (writes)
			break;
	}
	return i + 1;
}

/* A zeroed site at the end of f->sites, not yet counted (f->n++ keeps it); NULL: no memory. */
static struct sysc_site *new_site(struct finder *f)
{
	if (f->n == f->cap) {
		void *p = realloc(f->sites,
				  (size_t)(f->cap = f->cap ? 2 * f->cap : 16) * sizeof(*f->sites));

		if (!p)
			return NULL;
		f->sites = p;
	}
	memset(&f->sites[f->n], 0, sizeof(*f->sites));
	return &f->sites[f->n];
}

static int add_site(struct finder *f, const struct disasm_func *fn, int i, int nr)
{
	struct sysc_site *s;

	for (int k = 0; k < f->n; k++)
		if (f->sites[k].vaddr == fn->insns[i].addr)
			return 0; /* found by both the scan and a symbol */
	s = new_site(f);
	if (!s)
		return -ENOMEM;
	s->vaddr = fn->insns[i].addr;
	s->nr = nr;
	if (elfload__vaddr_to_offset(f->elf, fn->insns[i - 1].addr, 1, ELFLOAD_EXEC, NULL,
				     &s->enter_off))
		return 0;
	/* a call that does not return (exit_group) may end its function: no exit then */
	if (i + 1 < fn->n) {
		int j = exit_at(f, fn, i, &s->exit_clean);

		if (elfload__vaddr_to_offset(f->elf, fn->insns[j].addr, 1, ELFLOAD_EXEC, NULL,
					     &s->exit_off))
			s->exit_off = 0;
		s->exit_skip = (__u32)(fn->insns[j].addr - (s->vaddr + 2));
	}
	s->wake = nr == 202 && s->exit_clean && s->exit_off && static_wake(f, fn, i);
	f->n++;
	return 0;
}

/* The syscall at @vaddr of decoded function @fn: a site when it is probe-able and wanted. */
static int at_syscall(struct finder *f, const struct disasm_func *fn, __u64 vaddr)
{
	struct disasm_write w;
	int i, nr;

	for (i = 0; i < fn->n && fn->insns[i].addr < vaddr; i++)
		;
	/* the bytes may lie inside another instruction */
	if (i == fn->n || fn->insns[i].addr != vaddr || fn->insns[i].len != 2 ||
	    fn->insns[i].code[0] != 0x0f || fn->insns[i].code[1] != 0x05)
		return 0;
	f->st.decoded++;
	if (!i || fn->insns[i - 1].kind != DISASM_OTHER || jumped_to(fn, vaddr)) {
		f->st.jumped_to++;
		return 0;
	}
	nr = call_nr(f, fn, i);
	if (nr == NR_UNKNOWN && in_generic(f, vaddr) &&
	    !disasm__writes_gpr(f->d, &fn->insns[i - 1], 0, &w))
		nr = SYSC_NR_RAX;
	if (nr == NR_UNKNOWN) {
		f->st.unknown_nr++;
		return 0;
	}
	return nr == SYSC_NR_RAX || wanted(f, nr) ? add_site(f, fn, i, nr) : 0;
}

/*
 * Is there a move of a wanted number into a register in the function before @p, at @vaddr (or,
 * where no .eh_frame entry bounds it, in the @NR_WINDOW bytes before)?  A cheap filter before
 * decoding the function.  @lo: the segment's first byte.
 */
static bool nr_before(const struct finder *f, const __u8 *lo, const __u8 *p, __u64 vaddr)
{
	const __u8 *q = p - lo > NR_WINDOW ? p - NR_WINDOW : lo;
	__u64 start, end;

	if (!disasm__bounds(f->d, vaddr, &start, &end) && vaddr - start <= (__u64)(p - lo))
		q = p - (vaddr - start);
	for (; q + 5 <= p; q++) {
		__s32 imm;

		if (*q < 0xb8 || *q > 0xbf) /* mov $IMM32,%reg */
			continue;
		memcpy(&imm, q + 1, 4);
		if (wanted(f, imm))
			return true;
	}
	return false;
}

/* The function around @vaddr, decoded once (by .eh_frame) for the candidates in it; NULL: none. */
static int decode_around(struct finder *f, __u64 vaddr, const struct disasm_func **fn)
{
	__u64 start, end;
	int err;

	*fn = NULL;
	if (!f->fn || !disasm_func__inside(f->fn, vaddr)) {
		disasm_func__free(f->fn);
		f->fn = NULL;
		if (disasm__bounds(f->d, vaddr, &start, &end))
			return 0;
		err = disasm__function(f->d, start, end - start, &f->fn);
		if (err)
			return err == -ENOMEM ? err : 0;
	}
	*fn = f->fn;
	return 0;
}

/* A candidate syscall at @vaddr. */
static int at_candidate(struct finder *f, __u64 vaddr)
{
	const struct disasm_func *fn;
	int err;

	f->st.candidates++;
	err = decode_around(f, vaddr, &fn);
	return err || !fn ? err : at_syscall(f, fn, vaddr);
}

/* Every 0f 05 in the file's executable segments that a wanted number's move precedes. */
static int scan(struct finder *f)
{
	size_t rawlen, nph;
	const __u8 *raw = (const __u8 *)elf_rawfile(f->elf, &rawlen);
	int err = 0;

	if (!raw || elf_getphdrnum(f->elf, &nph))
		return 0;
	for (size_t k = 0; k < nph && !err; k++) {
		GElf_Phdr ph;
		const __u8 *lo, *hi, *p;

		if (!gelf_getphdr(f->elf, (int)k, &ph) || ph.p_type != PT_LOAD ||
		    !(ph.p_flags & PF_X) || ph.p_offset > rawlen ||
		    ph.p_filesz > rawlen - ph.p_offset)
			continue;
		lo = raw + ph.p_offset;
		hi = lo + ph.p_filesz;
		for (p = lo; !err && (p = memmem(p, (size_t)(hi - p), "\x0f\x05", 2)); p++) {
			__u64 vaddr = ph.p_vaddr + (__u64)(p - lo);

			if (nr_before(f, lo, p, vaddr) || in_generic(f, vaddr))
				err = at_candidate(f, vaddr);
		}
	}
	return err;
}

/* Is @v one of the @n addresses in @a? */
static bool among(const __u64 *a, int n, __u64 v)
{
	for (int i = 0; i < n; i++)
		if (a[i] == v)
			return true;
	return false;
}

static bool is_callee(const struct finder *f, __u64 vaddr)
{
	return among(f->callee, f->ncallee, vaddr);
}

static bool is_slot(const struct finder *f, __u64 vaddr)
{
	return among(f->slot, f->nslot, vaddr);
}

/*
 * Where this file's code goes to call a generic wrapper: the wrapper's own start when the file
 * defines it, its PLT stubs (.plt, .plt.sec, .plt.got) and the GOT slots a -fno-plt `call *SLOT(%rip)`
 * reads when it is another file's.
 */
static void wrapper_entries(struct finder *f, const char *const *generic)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	GElf_Shdr sh;

	for (int i = 0; i < f->ngen && f->ncallee < 8; i++)
		f->callee[f->ncallee++] = f->gen_start[i];
	for (int i = 0; generic && generic[i] && f->nslot < 4; i++)
		f->nslot += disasm__got_slots(f->d, generic[i], f->slot + f->nslot, 4 - f->nslot);
	if (!f->nslot || elf_getshdrstrndx(f->elf, &shstrndx))
		return;
	while ((scn = elf_nextscn(f->elf, scn))) {
		const char *name;

		__u64 step;

		if (!gelf_getshdr(scn, &sh) || !(name = elf_strptr(f->elf, shstrndx, sh.sh_name)))
			continue;
		/* .plt.got: a function's stub when its address is also taken (8 bytes each) */
		step = !strcmp(name, ".plt.got") ? 8 : 16;
		if (strcmp(name, ".plt") && strcmp(name, ".plt.sec") && step != 8)
			continue;
		for (__u64 a = sh.sh_addr; a + step <= sh.sh_addr + sh.sh_size && f->ncallee < 8;
		     a += step) {
			__u64 slot;

			if (!disasm__plt_slot(f->d, a, &slot) && is_slot(f, slot))
				f->callee[f->ncallee++] = a;
		}
	}
}

/*
 * A call of a generic wrapper at @vaddr: an enter site on the call itself when its number, in
 * %edi there, is known and wanted.  A call whose number cannot be told is counted: the
 * wrapper's own enter probe must then stay (sysc_stats.callers_unknown).
 */
static int at_caller(struct finder *f, __u64 vaddr, bool through_slot)
{
	const struct disasm_func *fn;
	const struct disasm_insn *in;
	struct sysc_site *s;
	int i, nr, err;

	if (is_callee(f, vaddr))
		return 0; /* the stub's own jump through the slot */
	err = decode_around(f, vaddr, &fn);
	if (err)
		return err;
	if (!fn) {
		f->st.callers++;
		f->st.callers_unknown++;
		return 0;
	}
	for (i = 0; i < fn->n && fn->insns[i].addr < vaddr; i++)
		;
	if (i == fn->n || fn->insns[i].addr != vaddr)
		return 0; /* the bytes lie inside another instruction */
	in = &fn->insns[i];
	if (through_slot ? in->kind != DISASM_CALL_IND && in->kind != DISASM_JMP_IND
			 : (in->kind != DISASM_CALL && in->kind != DISASM_JMP) ||
				   !is_callee(f, in->target))
		return 0;
	f->st.callers++;
	nr = reg_at(f, fn, i, 7);
	if (nr == NR_UNKNOWN) {
		f->st.callers_unknown++;
		return 0;
	}
	if (!wanted(f, nr))
		return 0;
	s = new_site(f);
	if (!s)
		return -ENOMEM;
	s->vaddr = vaddr;
	s->nr = nr;
	s->caller = true;
	s->call = in->kind == DISASM_CALL || in->kind == DISASM_CALL_IND;
	if (elfload__vaddr_to_offset(f->elf, vaddr, 1, ELFLOAD_EXEC, NULL, &s->enter_off))
		return 0;
	f->n++;
	return 0;
}

/*
 * Every call and tail jump of the file's code to a generic wrapper (wrapper_entries()), and every
 * load of its address from the GOT (a call through a pointer: counted as of an unknown number).
 * Not seen: an address a non-PIC executable takes as an immediate.
 */
static int scan_callers(struct finder *f)
{
	size_t rawlen, nph;
	const __u8 *raw = (const __u8 *)elf_rawfile(f->elf, &rawlen);
	int err = 0;

	if (!raw || (!f->ncallee && !f->nslot) || elf_getphdrnum(f->elf, &nph))
		return 0;
	for (size_t k = 0; k < nph && !err; k++) {
		GElf_Phdr ph;
		const __u8 *lo, *p;

		if (!gelf_getphdr(f->elf, (int)k, &ph) || ph.p_type != PT_LOAD ||
		    !(ph.p_flags & PF_X) || ph.p_offset > rawlen ||
		    ph.p_filesz > rawlen - ph.p_offset || ph.p_filesz < 6)
			continue;
		lo = raw + ph.p_offset;
		for (p = lo; !err && p + 6 <= lo + ph.p_filesz; p++) {
			__u64 vaddr = ph.p_vaddr + (__u64)(p - lo);
			__s32 rel;

			if (*p == 0xe8 || *p == 0xe9) { /* call, jmp rel32 */
				memcpy(&rel, p + 1, 4);
				if (is_callee(f, vaddr + 5 + (__u64)(__s64)rel))
					err = at_caller(f, vaddr, false);
			} else if (*p == 0xff && (p[1] == 0x15 || p[1] == 0x25)) { /* *SLOT(%rip) */
				memcpy(&rel, p + 2, 4);
				if (is_slot(f, vaddr + 6 + (__u64)(__s64)rel))
					err = at_caller(f, vaddr, true);
			} else if ((*p == 0x48 || *p == 0x4c) && p[1] == 0x8b &&
				   (p[2] & 0xc7) == 0x05 && p + 7 <= lo + ph.p_filesz) {
				/* mov SLOT(%rip),%reg: the wrapper's address taken, its calls unseen */
				memcpy(&rel, p + 3, 4);
				if (is_slot(f, vaddr + 7 + (__u64)(__s64)rel)) {
					f->st.callers++;
					f->st.callers_unknown++;
				}
			}
		}
	}
	return err;
}

/* A function named @name, decoded by its symbol, and its syscalls (Go: no .eh_frame). */
static int by_symbol(struct finder *f, const char *name)
{
	struct elfsym_sym sym;
	struct disasm_func *fn;
	int err;

	if (elfsym__find(f->ef, name, &sym) || !sym.size)
		return 0;
	err = disasm__function(f->d, sym.vaddr, sym.size, &fn);
	if (err)
		return err == -ENOMEM ? err : 0;
	for (int i = 0; i < fn->n && !err; i++)
		if (fn->insns[i].len == 2 && fn->insns[i].code[0] == 0x0f &&
		    fn->insns[i].code[1] == 0x05) {
			f->st.candidates++;
			err = at_syscall(f, fn, fn->insns[i].addr);
		}
	disasm_func__free(fn);
	return err;
}

static int site_cmp(const void *a, const void *b)
{
	const struct sysc_site *x = a, *y = b;

	return x->vaddr < y->vaddr ? -1 : x->vaddr > y->vaddr;
}

int sysc__find(struct elfsym_file *ef, const char *path, const int *nrs, int nnrs,
	       const char *const *generic, struct sysc_site **out, int *n, struct sysc_stats *st)
{
	/* in .symtab the assembly functions' ABI0 symbols; in .gopclntab their Go names */
	static const char *const go_funcs[] = {"runtime.futex.abi0", "runtime.exit.abi0",
					       "runtime.futex", "runtime.exit"};
	struct finder f = {.ef = ef, .elf = elfsym__elf(ef), .nrs = nrs, .nnrs = nnrs};
	int err;

	*out = NULL;
	*n = 0;
	err = disasm__new(f.elf, path, &f.d);
	if (err)
		return err;
	for (int i = 0; generic && generic[i] && f.ngen < 4; i++) {
		struct elfsym_sym sym;

		if (!elfsym__find(ef, generic[i], &sym) && sym.size) {
			f.gen_start[f.ngen] = sym.vaddr;
			f.gen_end[f.ngen++] = sym.vaddr + sym.size;
		}
	}
	wrapper_entries(&f, generic);
	err = scan(&f);
	if (!err)
		err = scan_callers(&f);
	for (size_t i = 0; !err && elfsym__go(ef) && i < sizeof(go_funcs) / sizeof(*go_funcs); i++)
		err = by_symbol(&f, go_funcs[i]);
	disasm_func__free(f.fn);
	disasm__free(f.d);
	if (err) {
		free(f.sites);
		return err;
	}
	qsort(f.sites, (size_t)f.n, sizeof(*f.sites), site_cmp);
	*out = f.sites;
	*n = f.n;
	if (st)
		*st = f.st;
	return 0;
}
