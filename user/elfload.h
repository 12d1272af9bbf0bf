/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Which PT_LOAD segment of an ELF file holds a virtual address or a file offset, and the one
 * turned into the other.  Symbol tables and DWARF speak virtual addresses; uprobes, and the
 * mappings /proc/PID/maps lists, speak file offsets.  The segment that holds the address says how
 * they differ: offset = vaddr - p_vaddr + p_offset.  Assuming the file's first mapping is its
 * load base instead is wrong whenever the first segment does not start at offset 0 or a mapping
 * was split.
 */
#ifndef MT_ELFLOAD_H
#define MT_ELFLOAD_H

#include <gelf.h>
#include <linux/types.h>

/* Which segments count, and which part of them. */
enum elfload_flags {
	/* only executable segments (PF_X): a uprobe on data would never fire */
	ELFLOAD_EXEC = 1 << 0,
	/* executable segments first, then the others: a code mapping's offset can also lie in
	 * the page a data segment shares with the end of the code */
	ELFLOAD_PREFER_EXEC = 1 << 1,
	/* also the zero-filled tail past p_filesz (.bss), as a mapping of the file continues it;
	 * a segment's bytes in the file still win over another segment's tail */
	ELFLOAD_BSS = 1 << 2,
	/* a segment starts at p_offset (p_vaddr) rounded down to a page, as mmap maps it: for the
	 * page-aligned offset of a mapping, which may lie before its segment's first byte */
	ELFLOAD_PAGE = 1 << 3,
};

/**
 * elfload__vaddr_to_offset() - the file offset of virtual address @vaddr of @elf.
 * @elf: the file (its program headers are read, nothing is cached).
 * @vaddr: an ELF virtual address, e.g. a symbol's st_value.
 * @len: bytes from @vaddr on that must all lie in the segment (1 for an instruction address,
 *	the object's size to read a value).
 * @flags: enum elfload_flags; 0 asks for the segment's bytes in the file (p_filesz), the first
 *	segment in program header order that holds them.
 * @ph: receives the segment when not NULL, e.g. to see how many bytes follow in the file.
 * @offset: receives @vaddr - p_vaddr + p_offset.
 *
 * Return: 0; -ENOENT when no PT_LOAD segment holds [@vaddr, @vaddr + @len) (outputs untouched);
 * -EINVAL when @elf is NULL or has unreadable program headers.  A file without program headers
 * (a relocatable .o) holds nothing: -ENOENT.
 */
int elfload__vaddr_to_offset(Elf *elf, __u64 vaddr, __u64 len, unsigned int flags, GElf_Phdr *ph,
			     __u64 *offset);

/**
 * elfload__offset_to_vaddr() - the virtual address at file offset @offset of @elf.
 * @elf: the file.
 * @offset: a file offset, e.g. ip - start + pgoff of a mapping of the file.
 * @flags: enum elfload_flags, as for elfload__vaddr_to_offset().
 * @ph: receives the segment when not NULL.
 * @vaddr: receives @offset - p_offset + p_vaddr (below p_vaddr for an offset ELFLOAD_PAGE finds
 *	before the segment's first byte, which is where a mapping of that page puts it).
 *
 * Return: 0; -ENOENT when no PT_LOAD segment holds @offset (outputs untouched); -EINVAL when
 * @elf is NULL or has unreadable program headers.
 */
int elfload__offset_to_vaddr(Elf *elf, __u64 offset, unsigned int flags, GElf_Phdr *ph,
			     __u64 *vaddr);

#endif /* MT_ELFLOAD_H */
