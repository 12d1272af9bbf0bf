// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * gonm: the functions of a Go binary as maptrace's pclntab reader (user/gopclntab.c) sees them,
 * like `go tool nm` for a stripped binary Debian's Go 1.19 cannot read (tsgo and esbuild are
 * Go 1.26): one "ENTRY END NAME" line (hex ELF virtual addresses) per function whose full name
 * matches the extended regular expression REGEX, all of them without one.  The Go tests point
 * bpftrace at these addresses, as the oracle's probes; the reader itself is checked against
 * go tool nm, objdump and the runtime's tracebacks in unit-gopclntab.
 *
 * Usage: gonm BINARY [REGEX]
 */
#include <regex.h>
#include <stdio.h>
#include "gopclntab.h"

int main(int argc, char **argv)
{
	struct gopcln *g = NULL;
	struct gopcln_func f;
	char why[256] = "";
	regex_t re;
	int err;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: gonm BINARY [REGEX]\n");
		return 2;
	}
	if (argc == 3 && regcomp(&re, argv[2], REG_EXTENDED | REG_NOSUB)) {
		fprintf(stderr, "gonm: %s is not an extended regular expression\n", argv[2]);
		return 2;
	}
	err = gopcln__open(argv[1], &g, why, sizeof(why));
	if (err) {
		fprintf(stderr, "gonm: %s: %s\n", argv[1], why[0] ? why : "no readable .gopclntab");
		return 1;
	}
	for (size_t i = 0; i < gopcln__nfuncs(g); i++) {
		if (gopcln__func(g, i, &f)) {
			fprintf(stderr, "gonm: %s: function %zu is malformed\n", argv[1], i);
			gopcln__close(g);
			return 1;
		}
		if (argc == 3 && regexec(&re, f.name, 0, NULL, 0))
			continue;
		printf("%llx %llx %s\n", (unsigned long long)f.entry, (unsigned long long)f.end,
		       f.name);
	}
	gopcln__close(g);
	if (argc == 3)
		regfree(&re);
	return 0;
}
