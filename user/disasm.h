/* SPDX-License-Identifier: MIT */
/*
 * x86-64 machine code of one function of an ELF file, decoded with capstone: where its direct
 * calls and jumps go and where it returns.  For finding functions a stripped library does not
 * name (a static function reached from exported ones) and for probing a function's return
 * instructions with plain uprobes where a uretprobe does not fit.
 *
 * A function's extent is its symbol's size when the caller knows it, else the range of the
 * .eh_frame entry (FDE) that covers its first byte: GCC and clang give every function one, also
 * in stripped files.  The code is read from the file's PT_LOAD segments, so it is what the
 * process maps, not what a debug file describes.
 *
 * Not thread-safe: one struct disasm per thread.
 */
#ifndef MT_DISASM_H
#define MT_DISASM_H

#include <stdbool.h>

#include <gelf.h>
#include <linux/types.h>

struct disasm;

/* What an instruction does to the flow of control. */
enum disasm_kind {
	DISASM_OTHER,	 /* falls through */
	DISASM_CALL,	 /* call rel32: target set */
	DISASM_JMP,	 /* jmp rel8/rel32: target set */
	DISASM_JCC,	 /* a conditional jump (jcc, jrcxz, loop): target set */
	DISASM_RET,	 /* ret, ret imm16 (rep ret included) */
	DISASM_CALL_IND, /* call through a register or memory */
	DISASM_JMP_IND,	 /* jmp through a register or memory (switch tables, PLT stubs) */
	DISASM_STOP,	 /* ud2, hlt, int3: control does not go on */
};

struct disasm_insn {
	__u64 addr;   /* ELF virtual address */
	__u64 target; /* direct call/jmp/jcc: the ELF virtual address it goes to; else 0 */
	__u8 len;
	__u8 kind;     /* enum disasm_kind */
	__u8 code[15]; /* the instruction's bytes (len of them) */
};

/* A decoded function: [start, end) and its instructions in address order. */
struct disasm_func {
	__u64 start;
	__u64 end;
	struct disasm_insn *insns;
	int n;
	int undecoded; /* bytes capstone could not decode (skipped one at a time) */
};

/**
 * disasm__new() - a decoder for the code of @elf.
 * @elf: an open ELF file (e.g. elfsym__elf()); the caller keeps it open while @out lives.
 * @path: the same file, whose code is read with pread(): a mapping of it can hold another
 *        tracer's breakpoints.  NULL, or a path that cannot be opened: libelf's mapping.
 * @out: set on success.
 * Return: 0; -ENOTSUP when @elf is not x86-64; -EINVAL; -ENOMEM.
 */
int disasm__new(Elf *elf, const char *path, struct disasm **out);

/** disasm__free() - NULL is allowed. */
void disasm__free(struct disasm *d);

/**
 * disasm__bounds() - the function that holds @vaddr, by the .eh_frame entry covering it.
 * @d: the decoder.
 * @vaddr: an ELF virtual address in code.
 * @start: receives the first address of the entry's range.
 * @end: receives the address after its last byte.
 *
 * A function split by the compiler (a ".cold" part) has one entry per part: @vaddr in the cold
 * part gives the cold part.
 * Return: 0; -ENOENT when no entry covers @vaddr (or the file has no .eh_frame).
 */
int disasm__bounds(struct disasm *d, __u64 vaddr, __u64 *start, __u64 *end);

/**
 * disasm__function() - decode the function at @vaddr.
 * @d: the decoder.
 * @vaddr: its first instruction.
 * @size: its size in bytes (a symbol's st_size), or 0 to take the .eh_frame entry that starts
 *	at @vaddr.
 * @out: set on success; free with disasm_func__free().
 *
 * A linear sweep over the extent: compilers put no data in x86-64 text, and padding between
 * functions lies outside the extent.
 * Return: 0; -ENOENT when @size is 0 and no .eh_frame entry starts at @vaddr; -ERANGE when the
 * extent is not in the file's executable segments; -ENOMEM.
 */
int disasm__function(struct disasm *d, __u64 vaddr, __u64 size, struct disasm_func **out);

/**
 * disasm__plt_name() - the function a PLT stub at @vaddr jumps to, by name: the stub's
 * "jmp *SLOT(%rip)" (after an endbr64 in .plt.sec) and the dynamic relocation of SLOT.
 * @d: the decoder.
 * @vaddr: a call's target.
 * @name: receives the symbol's name, without version.
 * @len: room in @name.
 * Return: 0; -ENOENT when @vaddr is not such a stub, or its slot has no symbol relocation.
 */
int disasm__plt_name(struct disasm *d, __u64 vaddr, char *name, size_t len);

/**
 * disasm__plt_slot() - the GOT slot a PLT stub at @vaddr jumps through (see disasm__plt_name()).
 * Return: 0 and *@slot set; -ENOENT when @vaddr is not such a stub; -EINVAL; -ENOMEM.
 */
int disasm__plt_slot(struct disasm *d, __u64 vaddr, __u64 *slot);

/**
 * disasm__got_slots() - the GOT slots the dynamic linker fills with the address of function
 * @name (a JUMP_SLOT or GLOB_DAT relocation of that symbol, any version).
 * @slots: receives up to @max of their ELF virtual addresses.
 * Return: how many were stored.
 */
int disasm__got_slots(struct disasm *d, const char *name, __u64 *slots, int max);

/* What an instruction writes into a register, as far as disasm__writes_gpr() tells. */
struct disasm_write {
	bool imm_ok; /* a move of an immediate: @imm */
	__s64 imm;
	int src;     /* a move of another whole register (0 %rax .. 15 %r15), or -1 */
};

/**
 * disasm__writes_gpr() - does instruction @di (from a function @d decoded) write the
 * general-purpose register @gpr (0 %rax, 1 %rcx, 2 %rdx, 3 %rbx, 4 %rsp, 5 %rbp, 6 %rsi,
 * 7 %rdi, 8-15 %r8-%r15), or a part of it, explicitly or not?
 * @w: receives what a 32- or 64-bit move put there: an immediate or another register (a
 *	register xor'ed with itself: the immediate 0).
 * Return: 1 or 0; 1 also when capstone cannot tell; -EINVAL.
 */
int disasm__writes_gpr(struct disasm *d, const struct disasm_insn *di, int gpr,
		       struct disasm_write *w);

/** disasm_func__free() - NULL is allowed. */
void disasm_func__free(struct disasm_func *fn);

/**
 * disasm_func__inside() - does @addr lie in @fn's extent?
 * A direct jmp whose target is outside is a tail call (or a jump to the function's cold part).
 */
static inline int disasm_func__inside(const struct disasm_func *fn, __u64 addr)
{
	return addr >= fn->start && addr < fn->end;
}

/**
 * disasm_func__go_epilogue() - where to probe the ret at insns[@i] of Go function @fn: the index
 * of the start of its epilogue, "mov D(%rsp),%rbp; add $N,%rsp; ret" (Go 1.19) or "add $N,%rsp;
 * pop %rbp; ret" (Go 1.21+), when no jump lands inside
 * it, else @i.  The results are in their registers already, and the frame is still whole, so a
 * frame-pointer stack taken there names the caller, which at the ret itself is skipped (%rbp is
 * the caller's own by then).
 */
int disasm_func__go_epilogue(const struct disasm_func *fn, int i);

#endif /* MT_DISASM_H */
