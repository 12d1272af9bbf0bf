// SPDX-License-Identifier: MIT
/*
 * A program that carries what a Go 1.16 or 1.17 binary has: a .gopclntab whose header has that
 * format's magic (0xfffffffa), for the refusal of `maptrace --list` on such a program (no Go
 * older than 1.19 is installable here, and a real Go binary with a patched magic would not
 * start).  It waits for end of input, then exits.
 */
#include <stdio.h>

/* magic, two zero pads, 1-byte instructions, 8-byte pointers */
__attribute__((used, section(".gopclntab"), aligned(16))) static const unsigned char pclntab[64] = {
	0xfa, 0xff, 0xff, 0xff, 0, 0, 1, 8,
};

int main(void)
{
	while (getchar() != EOF)
		;
	return 0;
}
