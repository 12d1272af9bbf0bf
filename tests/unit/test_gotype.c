// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Unit test of user/gotype.c (a Go map's type by its descriptor), against oracles that are not
 * this reader:
 *   - tests/progs/go/gogrow, built by Debian's Go 1.19 with symbols: its DWARF (readelf) lists
 *     every map type as a DW_TAG_typedef with DW_AT_go_kind (0x2900) 21 and
 *     DW_AT_go_runtime_type (0x2904), the descriptor's offset from runtime.types, whose
 *     address `go tool nm` gives.  Every such descriptor must be named as DWARF names it
 *     (map[int]int, map[string]*main.Node, ...), in the build with symbols and in the stripped
 *     one (the same .rodata: checked here with readelf);
 *   - descriptors DWARF gives another kind (a struct, a slice) are no map: no name; nor is an
 *     address outside runtime.types .. runtime.etypes;
 *   - refusals: the PIE build of gomap (-ENOTSUP: its moduledata's pointers are relocations),
 *     a C program (-ENOENT: no pclntab).
 *
 * Needs no privileges; needs go, readelf.  Usage: test_gotype
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gotype.h"
#include "../tap.h"

#define GOGROW	     ".output/tests/progs/go/gogrow"
#define GOGROW_STRIP ".output/tests/progs/go/gogrow-stripped"
#define GOMAP_PIE    ".output/tests/progs/go/gomap-pie"
#define C_PROG	     ".output/tests/progs/mapchurn"
#define MAX_TYPES    512

struct dwarf_type {
	char name[256];
	int kind;
	unsigned long long off;
};

static struct dwarf_type types[MAX_TYPES];
static int ntypes;

/* The value of `go tool nm`'s symbol @sym in @bin, 0 when missing. */
static unsigned long long nm_addr(const char *bin, const char *sym)
{
	char cmd[512], line[512], name[256], kind;
	unsigned long long addr = 0, a;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "go tool nm %s", bin);
	p = popen(cmd, "r");
	while (p && fgets(line, sizeof(line), p))
		if (sscanf(line, "%llx %c %255s", &a, &kind, name) == 3 && !strcmp(name, sym))
			addr = a;
	if (p)
		pclose(p);
	return addr;
}

/* DWARF's named types with a Go kind and a runtime type (readelf's "Unknown AT value"s). */
static void load_dwarf(const char *bin)
{
	char cmd[512], line[1024], *s;
	struct dwarf_type cur = {0};
	bool have = false;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "readelf --debug-dump=info %s 2>/dev/null", bin);
	p = popen(cmd, "r");
	while (p && fgets(line, sizeof(line), p)) {
		line[strcspn(line, "\n")] = '\0';
		if (strstr(line, "Abbrev Number:")) {
			/* a new DIE: keep the last one if it was a type with a descriptor */
			if (have && cur.kind > 0 && cur.off && ntypes < MAX_TYPES)
				types[ntypes++] = cur;
			memset(&cur, 0, sizeof(cur));
			have = strstr(line, "DW_TAG_typedef") || strstr(line, "_type)");
		} else if (have && (s = strstr(line, "DW_AT_name        : "))) {
			snprintf(cur.name, sizeof(cur.name), "%s", s + 20);
		} else if (have && (s = strstr(line, "Unknown AT value: 2900: "))) {
			cur.kind = atoi(s + 24);
		} else if (have && (s = strstr(line, "Unknown AT value: 2904: "))) {
			cur.off = strtoull(s + 24, NULL, 0);
		}
	}
	if (have && cur.kind > 0 && cur.off && ntypes < MAX_TYPES)
		types[ntypes++] = cur;
	if (p)
		pclose(p);
}

/* readelf's "ADDR OFF SIZE" of @bin's .rodata, "" when none. */
static void rodata(const char *bin, char *out, size_t len)
{
	char cmd[512], line[512], *s;
	FILE *p;

	out[0] = '\0';
	snprintf(cmd, sizeof(cmd), "readelf -SW %s", bin);
	p = popen(cmd, "r");
	while (p && fgets(line, sizeof(line), p)) {
		unsigned long long a, o, n;

		s = strstr(line, " .rodata ");
		if (s && sscanf(s, " .rodata PROGBITS %llx %llx %llx", &a, &o, &n) == 3)
			snprintf(out, len, "%llx %llx %llx", a, o, n);
	}
	if (p)
		pclose(p);
}

static void test_build(const char *label, const char *bin, unsigned long long base,
		       unsigned long long end)
{
	struct gotypes *gt = NULL;
	int err = gotypes__open(bin, &gt), maps = 0, named = 0, others = 0, unnamed = 0;
	bool saw_int = false, saw_node = false;

	if (!check(err == 0, "%s: gotypes__open() reads it (%d)", label, err))
		return;
	for (int i = 0; i < ntypes; i++) {
		const char *n = gotypes__name(gt, base + types[i].off);

		if (types[i].kind != 21) {
			others++;
			unnamed += !n;
			continue;
		}
		maps++;
		if (n && !strcmp(n, types[i].name)) {
			named++;
		} else {
			diag("%s: %s at 0x%llx: got %s", label, types[i].name, base + types[i].off,
			     n ? n : "(none)");
		}
		saw_int = saw_int || !strcmp(types[i].name, "map[int]int");
		saw_node = saw_node || !strcmp(types[i].name, "map[string]*main.Node");
	}
	check(maps > 2 && saw_int && saw_node,
	      "%s: DWARF lists %d map types, map[int]int and map[string]*main.Node among them",
	      label, maps);
	check(named == maps, "%s: each of them named as DWARF names it (%d of %d)", label, named,
	      maps);
	check(others > 10 && unnamed == others,
	      "%s: no name for the %d descriptors of other kinds (%d unnamed)", label, others,
	      unnamed);
	/* asked twice: the cache answers the same */
	check(ntypes && gotypes__name(gt, base + types[0].off) ==
				gotypes__name(gt, base + types[0].off),
	      "%s: a descriptor asked twice gets the same answer", label);
	check(!gotypes__name(gt, base - 48) && !gotypes__name(gt, end) && !gotypes__name(gt, 0),
	      "%s: no name outside runtime.types .. runtime.etypes, nor for 0", label);
	gotypes__close(gt);
}

int main(void)
{
	unsigned long long base, end;
	char r1[128], r2[128];
	struct gotypes *gt = NULL;
	int err;

	/* go tool writes its cache there; keep it out of $HOME */
	setenv("GOCACHE", ".output/go/cache", 0);
	base = nm_addr(GOGROW, "runtime.types");
	end = nm_addr(GOGROW, "runtime.etypes");
	load_dwarf(GOGROW);
	check(base && end > base && ntypes > 0,
	      "gogrow: go tool nm gives runtime.types 0x%llx .. 0x%llx; DWARF %d Go types", base,
	      end, ntypes);
	test_build("gogrow", GOGROW, base, end);
	rodata(GOGROW, r1, sizeof(r1));
	rodata(GOGROW_STRIP, r2, sizeof(r2));
	if (check(r1[0] && !strcmp(r1, r2), "gogrow-stripped: the same .rodata (%s; %s)", r1, r2))
		test_build("gogrow-stripped", GOGROW_STRIP, base, end);

	err = gotypes__open(GOMAP_PIE, &gt);
	check(err == -ENOTSUP && !gt, "gomap-pie: refused, -ENOTSUP (%d)", err);
	gotypes__close(gt);
	gt = NULL;
	err = gotypes__open(C_PROG, &gt);
	check(err == -ENOENT && !gt, "a C program: no pclntab, -ENOENT (%d)", err);
	gotypes__close(gt);
	gt = NULL;
	err = gotypes__open(".output/tests/progs/no-such-file", &gt);
	check(err == -ENOENT && !gt, "a missing file: -ENOENT (%d)", err);
	check(gotypes__name(NULL, base) == NULL, "gotypes__name(NULL, ...) is NULL");
	return tap_exit();
}
