// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdbool.h>
#include <unistd.h>

#include "elfload.h"

/*
 * Does @ph hold [x, x + len), x being a virtual address (@by_vaddr) or a file offset?  Written
 * with subtractions only: a corrupt header's p_offset + p_filesz may wrap.
 */
static bool holds(const GElf_Phdr *ph, bool by_vaddr, __u64 x, __u64 len, bool bss,
		  unsigned int flags)
{
	__u64 base = by_vaddr ? ph->p_vaddr : ph->p_offset, lo = base, size;

	if (flags & ELFLOAD_PAGE)
		lo &= ~((__u64)sysconf(_SC_PAGESIZE) - 1);
	/* bytes from lo to the end of the segment's file contents, or of its memory image */
	size = (base - lo) + (bss ? ph->p_memsz : ph->p_filesz);
	return x >= lo && x - lo < size && len <= size - (x - lo);
}

/*
 * The first PT_LOAD holding [x, x + len) in the order the flags ask for: bytes in the file
 * before .bss tails, executable segments before the others.
 */
static int find(Elf *elf, bool by_vaddr, __u64 x, __u64 len, unsigned int flags, GElf_Phdr *out)
{
	int bss_passes = flags & ELFLOAD_BSS ? 2 : 1;
	int exec_passes = flags & ELFLOAD_PREFER_EXEC ? 2 : 1;
	size_t n;
	GElf_Phdr ph;

	if (!elf || elf_getphdrnum(elf, &n) != 0)
		return -EINVAL;
	for (int bss = 0; bss < bss_passes; bss++) {
		for (int pass = 0; pass < exec_passes; pass++) {
			bool exec_only = (flags & ELFLOAD_EXEC) || (exec_passes == 2 && pass == 0);

			for (size_t i = 0; i < n; i++) {
				if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD)
					continue;
				if (exec_only && !(ph.p_flags & PF_X))
					continue;
				if (holds(&ph, by_vaddr, x, len, bss, flags)) {
					*out = ph;
					return 0;
				}
			}
		}
	}
	return -ENOENT;
}

int elfload__vaddr_to_offset(Elf *elf, __u64 vaddr, __u64 len, unsigned int flags, GElf_Phdr *ph,
			     __u64 *offset)
{
	GElf_Phdr seg;
	int err = find(elf, true, vaddr, len, flags, &seg);

	if (err)
		return err;
	if (ph)
		*ph = seg;
	if (offset)
		*offset = vaddr - seg.p_vaddr + seg.p_offset;
	return 0;
}

int elfload__offset_to_vaddr(Elf *elf, __u64 offset, unsigned int flags, GElf_Phdr *ph,
			     __u64 *vaddr)
{
	GElf_Phdr seg;
	int err = find(elf, false, offset, 1, flags, &seg);

	if (err)
		return err;
	if (ph)
		*ph = seg;
	if (vaddr)
		*vaddr = offset - seg.p_offset + seg.p_vaddr;
	return 0;
}
