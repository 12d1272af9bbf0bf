// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * user/gopclntab.c on damaged Go binaries, built with AddressSanitizer and UBSan (see the
 * Makefile): a traced program's file is input maptrace does not control, so a corrupt or
 * truncated pclntab or build info must give an error or some answer, never a read outside the
 * file or a crash.  Copies of the stripped gomap (non-PIE and PIE) are damaged in memory, with a
 * fixed seed: random bytes in the pclntab header, its function table and everywhere in the
 * table, in the build info, and the file cut short at many places inside the pclntab; then every
 * function, a few lines of each, a PC and a name are looked up.
 *
 * Needs no privileges. Usage: test_gopclntab_corrupt
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gelf.h>

#include "gopclntab.h"
#include "../tap.h"

#define ROUNDS 400

struct region {
	size_t off, len;
};

static unsigned char *slurp(const char *path, size_t *len)
{
	unsigned char *buf = NULL;
	FILE *f = fopen(path, "rb");
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0) {
		rewind(f);
		buf = malloc((size_t)n);
		if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		}
		*len = (size_t)n;
	}
	fclose(f);
	return buf;
}

/* A section's bytes in the file, by libelf on the intact copy. */
static struct region section(unsigned char *buf, size_t len, const char *want)
{
	struct region r = {0, 0};
	Elf *e = elf_memory((char *)buf, len);
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	GElf_Shdr sh;

	if (!e || elf_getshdrstrndx(e, &shstrndx))
		goto out;
	while ((scn = elf_nextscn(e, scn))) {
		const char *name;

		if (!gelf_getshdr(scn, &sh))
			continue;
		name = elf_strptr(e, shstrndx, sh.sh_name);
		if (name && !strcmp(name, want)) {
			r.off = sh.sh_offset;
			r.len = sh.sh_size;
			break;
		}
	}
out:
	if (e)
		elf_end(e);
	return r;
}

/* Read everything one can from @buf; returns 1 when the table opened. */
static int walk(unsigned char *buf, size_t len, long *lines)
{
	struct gopcln_func f, at;
	struct gopcln *g = NULL;
	const char *file;
	char why[256];
	Elf *e;
	int line, opened;

	e = elf_memory((char *)buf, len);
	if (!e)
		return 0;
	opened = gopcln__from_elf(e, &g, why, sizeof(why)) == 0;
	for (size_t i = 0; opened && i < gopcln__nfuncs(g); i++) {
		if (gopcln__func(g, i, &f))
			continue;
		for (__u64 pc = f.entry; pc < f.end && pc < f.entry + 96; pc += 5)
			if (gopcln__line(g, &f, pc, &file, &line) == 0)
				*lines += strlen(file) > 0; /* every byte of the name is read */
		gopcln__find_pc(g, f.entry + 1, &at);
	}
	if (opened) {
		gopcln__find_name(g, "main.no_such_function", &f);
		(void)strlen(gopcln__go_version(g));
		(void)strlen(gopcln__module(g));
	}
	gopcln__close(g);
	elf_end(e);
	return opened;
}

static void damage(const char *path)
{
	size_t len = 0, cut;
	unsigned char *orig = slurp(path, &len), *buf;
	struct region tab, info;
	long lines = 0, intact = 0;
	int opened = 0;

	if (!check(orig != NULL, "%s read; make test-build builds it", path))
		return;
	buf = malloc(len);
	tab = section(orig, len, ".gopclntab");
	if (!tab.len)
		tab = section(orig, len, ".data.rel.ro.gopclntab");
	info = section(orig, len, ".go.buildinfo");
	check(tab.len > 4096 && info.len >= 32, "%s: pclntab (%zu bytes) and build info found",
	      path, tab.len);
	if (!buf || tab.len <= 4096 || info.len < 32)
		goto out;
	walk(orig, len, &intact);
	check(intact > 1000, "%s intact: %ld lines found", path, intact);
	srand(1);
	for (int round = 0; round < ROUNDS; round++) {
		/* the header and the start of the function table, then anywhere, then build info */
		size_t span = round < ROUNDS / 4 ? 128 : round < ROUNDS / 2 ? 4096 : tab.len;
		int n = 1 + rand() % 32;

		memcpy(buf, orig, len);
		for (int j = 0; j < n; j++)
			buf[tab.off + (size_t)rand() % span] = (unsigned char)rand();
		if (round % 4 == 0)
			for (int j = 0; j < 8; j++)
				buf[info.off + (size_t)rand() % info.len] = (unsigned char)rand();
		opened += walk(buf, len, &lines);
	}
	/* the file cut short inside the pclntab: what remains must bound every read */
	for (cut = tab.off + 8; cut < tab.off + tab.len; cut += tab.len / 97 + 1) {
		/* a buffer of exactly the bytes left, so that a read past them is caught */
		unsigned char *part = malloc(cut);

		if (!part)
			break;
		memcpy(part, orig, cut);
		opened += walk(part, cut, &lines);
		free(part);
	}
	/* a fault ends the test under the sanitizers; this checks the damage reached both paths */
	check(opened > 0 && opened < ROUNDS + 97,
	      "%s: %d damaged or truncated copies read without a fault, some refused and some "
	      "opened (%d opened, %ld lines)",
	      path, ROUNDS + 97, opened, lines);
out:
	free(buf);
	free(orig);
}

int main(void)
{
	if (elf_version(EV_CURRENT) == EV_NONE)
		return 1;
	damage(".output/tests/progs/go/gomap-stripped");
	damage(".output/tests/progs/go/gomap-pie-stripped");
	return tap_exit();
}
