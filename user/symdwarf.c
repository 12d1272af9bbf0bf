// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Source lines and functions from a module's DWARF, through libdw (see symdwarf.h).
 */
#include <errno.h>
#include <stdlib.h>

#include <dwarf.h>
#include <elfutils/libdw.h>

#include "debugfile.h"
#include "symdwarf.h"

struct symdwarf {
	Elf *dw_elf;  /* borrowed */
	Elf *alt_elf; /* the dwz supplementary file, owned; NULL when none */
	Dwarf *dwarf;
	Dwarf *alt_dwarf;
	bool tried;
};

int symdwarf__new(Elf *dw_elf, const char *root, struct symdwarf **out)
{
	struct symdwarf *sd = calloc(1, sizeof(*sd));

	*out = NULL;
	if (!sd)
		return -ENOMEM;
	sd->dw_elf = dw_elf;
	/* none (-ENOENT) is usual: only dwz-compressed debug files have one */
	debugfile__open_alt(dw_elf, root, &sd->alt_elf);
	*out = sd;
	return 0;
}

void symdwarf__free(struct symdwarf *sd)
{
	if (!sd)
		return;
	if (sd->dwarf)
		dwarf_end(sd->dwarf);
	if (sd->alt_dwarf)
		dwarf_end(sd->alt_dwarf);
	if (sd->alt_elf)
		elf_end(sd->alt_elf);
	free(sd);
}

int symdwarf__prepare(struct symdwarf *sd)
{
	Dwarf_Aranges *ar;
	size_t n;

	if (sd->tried)
		return sd->dwarf ? 0 : -ENOENT;
	sd->tried = true;
	sd->dwarf = dwarf_begin_elf(sd->dw_elf, DWARF_C_READ, NULL);
	if (!sd->dwarf)
		return -ENOENT;
	/*
	 * The address -> CU table dwarf_addrdie() builds at its first call (libc6-dbg: 2,083
	 * ranges, 3-15 ms), kept by libdw; none (clang omits .debug_aranges) is not an error.
	 */
	dwarf_getaranges(sd->dwarf, &ar, &n);
	if (sd->alt_elf) {
		sd->alt_dwarf = dwarf_begin_elf(sd->alt_elf, DWARF_C_READ, NULL);
		if (sd->alt_dwarf)
			dwarf_setalt(sd->dwarf, sd->alt_dwarf);
	}
	return 0;
}

static bool find_cu(Dwarf *dw, __u64 vaddr, Dwarf_Die *cudie)
{
	Dwarf_Off off = 0, next;
	size_t hsize;

	if (dwarf_addrdie(dw, vaddr, cudie))
		return true;
	/* .debug_aranges is optional (clang omits it); fall back to each CU's own ranges. */
	while (dwarf_nextcu(dw, off, &next, &hsize, NULL, NULL, NULL) == 0) {
		if (dwarf_offdie(dw, off + hsize, cudie) && dwarf_haspc(cudie, vaddr) > 0)
			return true;
		off = next;
	}
	return false;
}

/* The out-of-line function around vaddr (not an inlined callee), for code no symbol covers. */
static void dwarf_func(Dwarf_Die *cudie, __u64 vaddr, struct symdwarf_loc *loc)
{
	Dwarf_Addr base, start, end;
	Dwarf_Die *scopes = NULL, *fn = NULL;
	Dwarf_Attribute attr;
	const char *name;
	ptrdiff_t it = 0;
	int n, i;

	/* innermost first; inlined callees are DW_TAG_inlined_subroutine and get skipped */
	n = dwarf_getscopes(cudie, vaddr, &scopes);
	for (i = 0; i < n && !fn; i++)
		if (dwarf_tag(&scopes[i]) == DW_TAG_subprogram)
			fn = &scopes[i];
	if (!fn)
		goto cleanup;
	name = dwarf_formstring(dwarf_attr_integrate(fn, DW_AT_linkage_name, &attr));
	if (!name)
		name = dwarf_diename(fn);
	if (!name)
		goto cleanup;
	/* Split hot/cold functions have several ranges; offset from the one holding vaddr. */
	while ((it = dwarf_ranges(fn, it, &base, &start, &end)) > 0) {
		if (vaddr >= start && vaddr < end) {
			loc->func = name;
			loc->offset = vaddr - start;
			loc->exact = true;
			break;
		}
	}
cleanup:
	free(scopes);
}

void symdwarf__lookup(struct symdwarf *sd, __u64 vaddr, bool want_func, struct symdwarf_loc *loc)
{
	Dwarf_Die cudie;
	Dwarf_Line *line;
	const char *src;

	if (!sd || symdwarf__prepare(sd) || !find_cu(sd->dwarf, vaddr, &cudie))
		return;
	if (want_func)
		dwarf_func(&cudie, vaddr, loc);
	line = dwarf_getsrc_die(&cudie, vaddr);
	if (!line)
		return;
	src = dwarf_linesrc(line, NULL, NULL);
	if (src && dwarf_lineno(line, &loc->line) == 0)
		loc->file = src;
	else
		loc->line = 0;
}
