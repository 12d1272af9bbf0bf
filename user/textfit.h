/* SPDX-License-Identifier: MIT */
/*
 * Text that fits a terminal: tables that leave out their least useful columns first when the
 * width is short, and lines wrapped or cut to the width.  The text backend's layout; it knows
 * nothing of reports.
 */
#ifndef MT_TEXTFIT_H
#define MT_TEXTFIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Columns the free-form last column of a table keeps at least (it is cut to what is left). */
#define TEXTFIT_FREE_MIN 16

/* A table column. */
struct textfit_col {
	const char *head;
	int width; /* 0: the free-form last column */
	bool left; /* aligned left, else right (numbers) */
	int drop;  /* 0: always shown; else the order in which a narrow width leaves it out */
	bool rate; /* a per-second rate: shown only when the caller has rates */
};

/**
 * textfit__choose() - which of the @n columns @cols (the last one free-form) fit @width:
 * @shown[i].  Columns are left out by their drop order until the row, with TEXTFIT_FREE_MIN
 * for the last column, fits; rate columns are shown only with @rates.
 */
void textfit__choose(const struct textfit_col *cols, int n, int width, bool rates, bool *shown);

/**
 * textfit__row() - print one row (or the heading row: @cells the headings) of the columns
 * @shown, padded to their widths, the last cell cut to what @width leaves.
 */
void textfit__row(FILE *out, int width, const struct textfit_col *cols, int n, const bool *shown,
		  const char *const *cells);

/**
 * textfit__cut() - cut @s to @max columns (at least 4), marking the cut with "...".
 * Return: @s.
 */
const char *textfit__cut(char *s, int max);

/**
 * textfit__wrap() - write line @s (@n bytes, no newline) within @width columns: a longer line
 * is wrapped at its last blank that fits, the rest indented two more than the line, or broken
 * at the width when it has no blank; colour escapes take no column.
 */
void textfit__wrap(FILE *out, const char *s, size_t n, int width);

#endif /* MT_TEXTFIT_H */
