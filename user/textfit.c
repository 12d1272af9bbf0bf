// SPDX-License-Identifier: MIT
/* Text that fits a terminal's width (textfit.h). */
#include <stdio.h>
#include <string.h>
#include "textfit.h"

#define LINE_BUF 1024
#define FREE_MIN TEXTFIT_FREE_MIN

const char *textfit__cut(char *s, int max)
{
	if (max < 4)
		max = 4;
	if ((int)strlen(s) > max)
		strcpy(s + max - 3, "...");
	return s;
}

/*
 * Tables fit the width by leaving out their least useful columns first (drop 1, then 2, ...),
 * never by shifting or cutting the numbers; the last, free-form column (a stack, a place) takes
 * what is left, at least FREE_MIN columns, and is cut to it.
 */
void textfit__choose(const struct textfit_col *cols, int n, int width, bool rates, bool *shown)
{
	int total = FREE_MIN;

	for (int i = 0; i < n; i++) {
		shown[i] = cols[i].width && (!cols[i].rate || rates);
		if (shown[i])
			total += cols[i].width + 1;
	}
	while (total > width) {
		int best = -1;

		for (int i = 0; i < n; i++) {
			if (shown[i] && cols[i].drop &&
			    (best < 0 || cols[i].drop < cols[best].drop))
				best = i;
		}
		if (best < 0)
			break;
		shown[best] = false;
		total -= cols[best].width + 1;
	}
}

void textfit__row(FILE *out, int width, const struct textfit_col *cols, int n, const bool *shown,
		  const char *const *cells)
{
	char line[LINE_BUF], last[LINE_BUF];
	int used = 0;

	line[0] = '\0';
	for (int i = 0; i < n - 1 && used < (int)sizeof(line); i++) {
		if (shown[i])
			used += snprintf(line + used, sizeof(line) - (size_t)used,
					 cols[i].left ? "%-*s " : "%*s ", cols[i].width, cells[i]);
	}
	if (used >= (int)sizeof(line))
		used = (int)sizeof(line) - 1;
	snprintf(last, sizeof(last), "%s", cells[n - 1]);
	fprintf(out, "%s%s\n", line, textfit__cut(last, width - used));
}

/* Columns @s takes on a terminal: its bytes but for colour escapes ("\033[...m"). */
static int visible_len(const char *s, size_t n)
{
	int len = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\033') {
			while (i < n && s[i] != 'm')
				i++;
			continue;
		}
		/* a UTF-8 continuation byte adds no column */
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			len++;
	}
	return len;
}

void textfit__wrap(FILE *out, const char *s, size_t n, int width)
{
	size_t indent = strspn(s, " ");
	int more = 0;

	if (indent > (size_t)width / 2)
		indent = 0;
	while (visible_len(s, n) + more > width) {
		size_t cut = 0, brk = 0;
		int cols = more;

		/* the bytes that fit, and the last blank among them past the indent */
		while (cut < n && cols < width) {
			if (s[cut] == '\033') {
				while (cut < n && s[cut] != 'm')
					cut++;
				cut++;
				continue;
			}
			if (s[cut] == ' ' && cut > indent)
				brk = cut;
			cut++;
			while (cut < n && ((unsigned char)s[cut] & 0xc0) == 0x80)
				cut++;
			cols++;
		}
		if (cut < n && s[cut] == ' ')
			brk = cut;
		/* at least one byte a line, whatever the width: the loop always ends */
		if (!brk)
			brk = cut ? cut : 1;
		/* the blanks before the break end the line: none is left trailing */
		while (brk > indent + 1 && s[brk - 1] == ' ')
			brk--;
		fprintf(out, "%*s%.*s\n", more, "", (int)brk, s);
		while (brk < n && s[brk] == ' ')
			brk++;
		s += brk;
		n -= brk;
		more = (int)indent + 2 < width / 2 ? (int)indent + 2 : 0;
	}
	fprintf(out, "%*s%.*s\n", more, "", (int)n, s);
}
