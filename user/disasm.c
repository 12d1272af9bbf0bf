// SPDX-License-Identifier: MIT
/*
 * A function's machine code, decoded with capstone; its extent from .eh_frame through libdw's
 * CFI reader.  See disasm.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <capstone/capstone.h>
#include <dwarf.h>

#include "disasm.h"
#include "elfload.h"

struct fde {
	__u64 start, end;
};

struct disasm {
	Elf *elf;
	int fd; /* the file, for its code as it is on disk; -1: libelf's mapping of it */
	csh cs;
	struct fde *fdes; /* sorted by start; none when the file has no .eh_frame */
	size_t nfdes;
};

/* A reader of .eh_frame bytes that stops, never overruns, at the end. */
struct rd {
	const unsigned char *p, *end;
	bool bad;
};

static __u64 rd_n(struct rd *r, size_t n)
{
	__u64 v = 0;

	if (r->bad || (size_t)(r->end - r->p) < n) {
		r->bad = true;
		return 0;
	}
	for (size_t i = 0; i < n; i++) /* x86-64 is little-endian, like its .eh_frame */
		v |= (__u64)r->p[i] << (8 * i);
	r->p += n;
	return v;
}

static __u64 rd_uleb(struct rd *r)
{
	__u64 v = 0;
	unsigned int shift = 0;
	unsigned char b;

	do {
		b = (unsigned char)rd_n(r, 1);
		if (shift < 64)
			v |= (__u64)(b & 0x7f) << shift;
		shift += 7;
	} while ((b & 0x80) && !r->bad);
	return v;
}

/* A pointer encoded as DW_EH_PE_* @enc, at ELF address @here; 0 and bad when unsupported. */
static __u64 rd_ptr(struct rd *r, unsigned int enc, __u64 here, bool apply_rel)
{
	__u64 v;

	switch (enc & 0x0f) {
	case DW_EH_PE_absptr:
	case DW_EH_PE_udata8:
	case DW_EH_PE_sdata8:
		v = rd_n(r, 8);
		break;
	case DW_EH_PE_udata4:
		v = rd_n(r, 4);
		break;
	case DW_EH_PE_sdata4:
		v = (__u64)(__s64)(__s32)rd_n(r, 4);
		break;
	case DW_EH_PE_udata2:
		v = rd_n(r, 2);
		break;
	case DW_EH_PE_sdata2:
		v = (__u64)(__s64)(__s16)rd_n(r, 2);
		break;
	default:
		r->bad = true;
		return 0;
	}
	if (apply_rel && (enc & 0x70) == DW_EH_PE_pcrel)
		v += here;
	else if (apply_rel && (enc & 0x70)) /* datarel, textrel, funcrel: not in .eh_frame */
		r->bad = true;
	return v;
}

/* The FDE encoding of the CIE at @cie, from its "zR" augmentation; absptr without one. */
static unsigned int cie_encoding(const unsigned char *cie, const unsigned char *end, __u64 vaddr)
{
	struct rd r = {cie, end, false};
	const char *aug;
	unsigned int version;

	rd_n(&r, 8); /* length, id 0 */
	version = (unsigned int)rd_n(&r, 1);
	aug = (const char *)r.p;
	while (!r.bad && rd_n(&r, 1))
		;
	rd_uleb(&r); /* code alignment */
	rd_uleb(&r); /* data alignment (sleb: only skipped) */
	if (version == 1)
		rd_n(&r, 1);
	else
		rd_uleb(&r);
	if (r.bad || aug[0] != 'z')
		return DW_EH_PE_absptr;
	rd_uleb(&r); /* augmentation data length */
	for (const char *a = aug + 1; *a && !r.bad; a++) {
		if (*a == 'R')
			return (unsigned int)rd_n(&r, 1);
		if (*a == 'L')
			rd_n(&r, 1);
		else if (*a == 'P') {
			unsigned int penc = (unsigned int)rd_n(&r, 1);

			rd_ptr(&r, penc, vaddr + (__u64)(r.p - cie), false);
		} else if (*a != 'S' && *a != 'B')
			break;
	}
	return DW_EH_PE_absptr;
}

static int fde_cmp(const void *a, const void *b)
{
	const struct fde *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/*
 * Every FDE's [start, end) from .eh_frame.  libdw's CFI reader answers the frame state at an
 * address, whose range is one row of the table, not the function: the entries are read here.
 */
static int read_fdes(struct disasm *d)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx, cap = 0;
	GElf_Shdr sh;

	if (elf_getshdrstrndx(d->elf, &shstrndx))
		return 0;
	while ((scn = elf_nextscn(d->elf, scn))) {
		const char *name;

		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_PROGBITS &&
		    (name = elf_strptr(d->elf, shstrndx, sh.sh_name)) && !strcmp(name, ".eh_frame"))
			break;
	}
	if (!scn)
		return 0;
	Elf_Data *data = elf_getdata(scn, NULL);

	if (!data || !data->d_buf)
		return 0;
	const unsigned char *base = data->d_buf, *end = base + data->d_size, *p = base;

	while ((size_t)(end - p) >= 8) {
		struct rd r = {p, end, false};
		__u64 len = rd_n(&r, 4), id;
		const unsigned char *next;

		if (!len || len == 0xffffffffULL || len > (__u64)(end - r.p))
			break; /* terminator, or a 64-bit entry compilers do not emit here */
		next = r.p + len;
		id = rd_n(&r, 4);
		if (id) {
			const unsigned char *cie = r.p - 4 - id;
			unsigned int enc;
			__u64 start, range;

			if (cie < base || cie >= end)
				break;
			enc = cie_encoding(cie, end, sh.sh_addr + (__u64)(cie - base));
			start = rd_ptr(&r, enc, sh.sh_addr + (__u64)(r.p - base), true);
			range = rd_ptr(&r, enc & 0x0f, 0, false);
			if (!r.bad && range) {
				if (d->nfdes == cap) {
					void *n = realloc(d->fdes, (cap = cap ? 2 * cap : 256) *
									   sizeof(*d->fdes));

					if (!n)
						return -ENOMEM;
					d->fdes = n;
				}
				d->fdes[d->nfdes].start = start;
				d->fdes[d->nfdes].end = start + range;
				d->nfdes++;
			}
		}
		p = next;
	}
	qsort(d->fdes, d->nfdes, sizeof(*d->fdes), fde_cmp);
	return 0;
}

/*
 * The code at [@vaddr, @vaddr + @len) as the file holds it, into *@buf (the caller frees it).
 * Read with pread(), not from libelf's mapping: a uprobe no pid filters (bpftrace's, perf's)
 * puts its int3 into every mapping of the file that may execute, and this process's may.
 */
static int read_code(struct disasm *d, __u64 vaddr, size_t len, uint8_t **buf)
{
	const unsigned char *raw;
	size_t rawlen;
	__u64 off;

	*buf = NULL;
	raw = (const unsigned char *)elf_rawfile(d->elf, &rawlen);
	if (!raw || elfload__vaddr_to_offset(d->elf, vaddr, len, ELFLOAD_EXEC, NULL, &off) ||
	    off > rawlen || len > rawlen - off)
		return -ERANGE;
	*buf = malloc(len ? len : 1);
	if (!*buf)
		return -ENOMEM;
	if (d->fd < 0 || pread(d->fd, *buf, len, (off_t)off) != (ssize_t)len)
		memcpy(*buf, raw + off, len);
	return 0;
}

int disasm__new(Elf *elf, const char *path, struct disasm **out)
{
	struct disasm *d;
	GElf_Ehdr eh;

	if (!elf || !out)
		return -EINVAL;
	*out = NULL;
	if (!gelf_getehdr(elf, &eh))
		return -EINVAL;
	if (eh.e_machine != EM_X86_64 || eh.e_ident[EI_CLASS] != ELFCLASS64)
		return -ENOTSUP;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &d->cs) != CS_ERR_OK) {
		free(d);
		return -ENOMEM;
	}
	d->fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
	/* operands are needed to tell a direct target from an indirect one */
	cs_option(d->cs, CS_OPT_DETAIL, CS_OPT_ON);
	d->elf = elf;
	if (read_fdes(d)) {
		disasm__free(d);
		return -ENOMEM;
	}
	*out = d;
	return 0;
}

void disasm__free(struct disasm *d)
{
	if (!d)
		return;
	free(d->fdes);
	cs_close(&d->cs);
	if (d->fd >= 0)
		close(d->fd);
	free(d);
}

int disasm__bounds(struct disasm *d, __u64 vaddr, __u64 *start, __u64 *end)
{
	size_t lo = 0, hi;

	if (!d)
		return -ENOENT;
	/* the last entry starting at or before @vaddr */
	hi = d->nfdes;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (d->fdes[mid].start <= vaddr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo || vaddr >= d->fdes[lo - 1].end)
		return -ENOENT;
	*start = d->fdes[lo - 1].start;
	*end = d->fdes[lo - 1].end;
	return 0;
}

static enum disasm_kind insn_kind(csh cs, const cs_insn *in, __u64 *target)
{
	const cs_x86 *x = &in->detail->x86;
	bool direct = x->op_count == 1 && x->operands[0].type == X86_OP_IMM;

	*target = direct ? (__u64)x->operands[0].imm : 0;
	switch (in->id) {
	case X86_INS_UD2:
	case X86_INS_HLT:
	case X86_INS_INT3:
		return DISASM_STOP;
	case X86_INS_RET:
		return DISASM_RET;
	case X86_INS_CALL:
		return direct ? DISASM_CALL : DISASM_CALL_IND;
	case X86_INS_JMP:
		return direct ? DISASM_JMP : DISASM_JMP_IND;
	default:
		break;
	}
	if (cs_insn_group(cs, in, CS_GRP_JUMP))
		return direct ? DISASM_JCC : DISASM_JMP_IND;
	*target = 0;
	return DISASM_OTHER;
}

int disasm__function(struct disasm *d, __u64 vaddr, __u64 size, struct disasm_func **out)
{
	struct disasm_func *fn = NULL;
	uint8_t *buf = NULL;
	const uint8_t *code;
	__u64 start = vaddr, end = vaddr + size;
	uint64_t addr;
	cs_insn *in = NULL;
	size_t left;
	int err, cap = 0;

	if (!d || !out)
		return -EINVAL;
	*out = NULL;
	if (!size) {
		err = disasm__bounds(d, vaddr, &start, &end);
		if (err)
			return err;
		if (start != vaddr)
			return -ENOENT; /* inside a function, not its start */
	}
	err = read_code(d, start, end - start, &buf);
	if (err)
		return err;
	fn = calloc(1, sizeof(*fn));
	in = cs_malloc(d->cs);
	if (!fn || !in) {
		err = -ENOMEM;
		goto cleanup;
	}
	fn->start = start;
	fn->end = end;
	code = buf;
	left = end - start;
	addr = start;
	while (left) {
		struct disasm_insn *di;

		if (!cs_disasm_iter(d->cs, &code, &left, &addr, in)) {
			/* not an instruction capstone knows: step one byte and go on */
			fn->undecoded++;
			code++;
			left--;
			addr++;
			continue;
		}
		if (fn->n == cap) {
			void *n = realloc(fn->insns,
					  (size_t)(cap = cap ? 2 * cap : 64) * sizeof(*fn->insns));

			if (!n) {
				err = -ENOMEM;
				goto cleanup;
			}
			fn->insns = n;
		}
		di = &fn->insns[fn->n++];
		memset(di, 0, sizeof(*di));
		di->addr = in->address;
		di->len = (__u8)in->size;
		memcpy(di->code, in->bytes,
		       in->size < sizeof(di->code) ? in->size : sizeof(di->code));
		di->kind = (__u8)insn_kind(d->cs, in, &di->target);
	}
	*out = fn;
	fn = NULL;
	err = 0;
cleanup:
	if (in)
		cs_free(in, 1);
	disasm_func__free(fn);
	free(buf);
	return err;
}

/* The general-purpose register (0 %rax .. 15 %r15, as encoded) @r is part of, or -1. */
static int gpr_of(x86_reg r)
{
	static const x86_reg parts[16][5] = {
		{ X86_REG_RAX, X86_REG_EAX, X86_REG_AX, X86_REG_AL, X86_REG_AH },
		{ X86_REG_RCX, X86_REG_ECX, X86_REG_CX, X86_REG_CL, X86_REG_CH },
		{ X86_REG_RDX, X86_REG_EDX, X86_REG_DX, X86_REG_DL, X86_REG_DH },
		{ X86_REG_RBX, X86_REG_EBX, X86_REG_BX, X86_REG_BL, X86_REG_BH },
		{ X86_REG_RSP, X86_REG_ESP, X86_REG_SP, X86_REG_SPL },
		{ X86_REG_RBP, X86_REG_EBP, X86_REG_BP, X86_REG_BPL },
		{ X86_REG_RSI, X86_REG_ESI, X86_REG_SI, X86_REG_SIL },
		{ X86_REG_RDI, X86_REG_EDI, X86_REG_DI, X86_REG_DIL },
		{ X86_REG_R8, X86_REG_R8D, X86_REG_R8W, X86_REG_R8B },
		{ X86_REG_R9, X86_REG_R9D, X86_REG_R9W, X86_REG_R9B },
		{ X86_REG_R10, X86_REG_R10D, X86_REG_R10W, X86_REG_R10B },
		{ X86_REG_R11, X86_REG_R11D, X86_REG_R11W, X86_REG_R11B },
		{ X86_REG_R12, X86_REG_R12D, X86_REG_R12W, X86_REG_R12B },
		{ X86_REG_R13, X86_REG_R13D, X86_REG_R13W, X86_REG_R13B },
		{ X86_REG_R14, X86_REG_R14D, X86_REG_R14W, X86_REG_R14B },
		{ X86_REG_R15, X86_REG_R15D, X86_REG_R15W, X86_REG_R15B },
	};

	for (int g = 0; g < 16; g++)
		for (int k = 0; k < 5; k++)
			if (parts[g][k] && parts[g][k] == r)
				return g;
	return -1;
}

int disasm__writes_gpr(struct disasm *d, const struct disasm_insn *di, int gpr,
		       struct disasm_write *w)
{
	cs_regs rd, wr;
	uint8_t nrd, nwr;
	cs_insn *in = NULL;
	int writes = 1; /* what cannot be decoded may write it */

	if (!d || !di || !w || gpr < 0 || gpr > 15)
		return -EINVAL;
	memset(w, 0, sizeof(*w));
	w->src = -1;
	if (cs_disasm(d->cs, di->code, di->len, di->addr, 1, &in) != 1)
		return writes;
	if (!cs_regs_access(d->cs, in, rd, &nrd, wr, &nwr)) {
		writes = 0;
		for (int i = 0; i < nwr && !writes; i++)
			writes = gpr_of(wr[i]) == gpr;
	}
	/* mov $IMM,%reg or mov %src,%reg of 32 or 64 bits: the whole register */
	if (writes && in->id == X86_INS_MOV && in->detail->x86.op_count == 2 &&
	    in->detail->x86.operands[0].type == X86_OP_REG && in->detail->x86.operands[0].size >= 4) {
		const cs_x86_op *src = &in->detail->x86.operands[1];

		if (src->type == X86_OP_IMM) {
			w->imm_ok = true;
			w->imm = src->imm;
		} else if (src->type == X86_OP_REG && src->size >= 4) {
			w->src = gpr_of(src->reg);
		}
	}
	/* xor %reg,%reg (32 or 64 bits): the zeroing idiom, an immediate 0 */
	if (writes && in->id == X86_INS_XOR && in->detail->x86.op_count == 2 &&
	    in->detail->x86.operands[0].type == X86_OP_REG &&
	    in->detail->x86.operands[1].type == X86_OP_REG &&
	    in->detail->x86.operands[0].reg == in->detail->x86.operands[1].reg &&
	    in->detail->x86.operands[0].size >= 4) {
		w->imm_ok = true;
		w->imm = 0;
	}
	cs_free(in, 1);
	return writes;
}

/*
 * Each dynamic relocation of @elf (.rela.plt, .rela.dyn) and its symbol's name ("" for none):
 * @cb(@ctx, ...) until it returns non-zero, which is returned; 0 when all were seen.
 */
static int each_dyn_reloc(Elf *elf, int (*cb)(void *ctx, const GElf_Rela *r, const char *name),
			  void *ctx)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(elf, scn))) {
		Elf_Scn *symscn;
		GElf_Shdr symsh;
		Elf_Data *data, *syms;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_RELA || !sh.sh_entsize)
			continue;
		symscn = elf_getscn(elf, sh.sh_link);
		if (!symscn || !gelf_getshdr(symscn, &symsh) || symsh.sh_type != SHT_DYNSYM)
			continue;
		data = elf_getdata(scn, NULL);
		syms = elf_getdata(symscn, NULL);
		for (size_t i = 0; data && syms && i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Rela r;
			GElf_Sym sym;
			const char *nm;
			int rc;

			if (!gelf_getrela(data, (int)i, &r) ||
			    !gelf_getsym(syms, (int)GELF_R_SYM(r.r_info), &sym))
				continue;
			nm = elf_strptr(elf, symsh.sh_link, sym.st_name);
			rc = cb(ctx, &r, nm ? nm : "");
			if (rc)
				return rc;
		}
	}
	return 0;
}

struct reloc_query {
	__u64 slot;
	const char *name; /* for got_slot_cb */
	char *out;	  /* for name_cb */
	size_t len;
	__u64 *slots;
	int n, max;
};

/* reloc_name()'s: the relocation at the slot names its symbol (1), or none (-ENOENT) */
static int name_cb(void *ctx, const GElf_Rela *r, const char *name)
{
	struct reloc_query *q = ctx;

	if (r->r_offset != q->slot)
		return 0;
	if (!name[0])
		return -ENOENT;
	snprintf(q->out, q->len, "%.*s", (int)strcspn(name, "@"), name);
	return 1;
}

/* The symbol of the dynamic relocation (.rela.plt's JUMP_SLOT, .rela.dyn's GLOB_DAT) at @slot. */
static int reloc_name(Elf *elf, __u64 slot, char *name, size_t len)
{
	struct reloc_query q = {.slot = slot, .out = name, .len = len};

	return each_dyn_reloc(elf, name_cb, &q) == 1 ? 0 : -ENOENT;
}

int disasm__plt_slot(struct disasm *d, __u64 vaddr, __u64 *slot)
{
	const uint8_t *code;
	uint64_t addr = vaddr;
	size_t left = 16;
	uint8_t *buf;
	cs_insn *in;
	int err = -ENOENT;

	if (!d || !slot)
		return -EINVAL;
	if (read_code(d, vaddr, left, &buf))
		return -ENOENT;
	in = cs_malloc(d->cs);
	if (!in) {
		free(buf);
		return -ENOMEM;
	}
	code = buf;
	/* endbr64, then (bnd) jmp *disp(%rip); a stub's other forms push and jump to .plt[0] */
	for (int i = 0; i < 2 && cs_disasm_iter(d->cs, &code, &left, &addr, in); i++) {
		const cs_x86 *x = &in->detail->x86;

		if (in->id == X86_INS_ENDBR64)
			continue;
		if (in->id == X86_INS_JMP && x->op_count == 1 &&
		    x->operands[0].type == X86_OP_MEM && x->operands[0].mem.base == X86_REG_RIP &&
		    x->operands[0].mem.index == X86_REG_INVALID) {
			*slot = addr + (__u64)x->operands[0].mem.disp;
			err = 0;
		}
		break;
	}
	cs_free(in, 1);
	free(buf);
	return err;
}

int disasm__plt_name(struct disasm *d, __u64 vaddr, char *name, size_t len)
{
	__u64 slot;
	int err;

	if (!d || !name || !len)
		return -EINVAL;
	err = disasm__plt_slot(d, vaddr, &slot);
	return err ? err : reloc_name(d->elf, slot, name, len);
}

/* disasm__got_slots()'s: a JUMP_SLOT or GLOB_DAT of the name, any version */
static int got_slot_cb(void *ctx, const GElf_Rela *r, const char *name)
{
	struct reloc_query *q = ctx;
	size_t len = strlen(q->name);
	__u32 type = (__u32)GELF_R_TYPE(r->r_info);

	if ((type == R_X86_64_JUMP_SLOT || type == R_X86_64_GLOB_DAT) &&
	    !strncmp(name, q->name, len) && (!name[len] || name[len] == '@') && q->n < q->max)
		q->slots[q->n++] = r->r_offset;
	return 0;
}

int disasm__got_slots(struct disasm *d, const char *name, __u64 *slots, int max)
{
	struct reloc_query q = {.name = name, .slots = slots, .max = max};

	if (!d || !name || !name[0])
		return 0;
	each_dyn_reloc(d->elf, got_slot_cb, &q);
	return q.n;
}

void disasm_func__free(struct disasm_func *fn)
{
	if (!fn)
		return;
	free(fn->insns);
	free(fn);
}

/* Is @in "mov DISP(%rsp),%rbp" (disp8 or disp32), the restore that starts a Go epilogue? */
static bool is_bp_restore(const struct disasm_insn *in)
{
	static const __u8 d8[] = {0x48, 0x8b, 0x6c, 0x24}, d32[] = {0x48, 0x8b, 0xac, 0x24};

	return (in->len == 5 && !memcmp(in->code, d8, 4)) ||
	       (in->len == 8 && !memcmp(in->code, d32, 4));
}

/* Is @in "add $IMM,%rsp" (imm8 or imm32)? */
static bool is_sp_add(const struct disasm_insn *in)
{
	return (in->len == 4 && in->code[0] == 0x48 && in->code[1] == 0x83 && in->code[2] == 0xc4) ||
	       (in->len == 7 && in->code[0] == 0x48 && in->code[1] == 0x81 && in->code[2] == 0xc4);
}

int disasm_func__go_epilogue(const struct disasm_func *fn, int i)
{
	/* Go 1.21+: "add $N,%rsp; pop %rbp; ret" */
	if (i >= 2 && fn->insns[i - 1].len == 1 && fn->insns[i - 1].code[0] == 0x5d &&
	    is_sp_add(&fn->insns[i - 2])) {
		for (int k = 0; k < fn->n; k++)
			if (fn->insns[k].target == fn->insns[i - 1].addr ||
			    fn->insns[k].target == fn->insns[i].addr)
				return i;
		return i - 2;
	}
	if (i < 2 || !is_sp_add(&fn->insns[i - 1]) || !is_bp_restore(&fn->insns[i - 2]))
		return i;
	for (int k = 0; k < fn->n; k++)
		if (fn->insns[k].target == fn->insns[i - 1].addr ||
		    fn->insns[k].target == fn->insns[i].addr)
			return i;
	return i - 2;
}
