/* SPDX-License-Identifier: MIT */
/*
 * The terminal the text reports go to: how wide it is and whether to colour it.  The width is
 * found the way perf finds it (get_term_dimensions() in tools/perf/util/term.c): the COLUMNS
 * environment variable, else the terminal's own size (TIOCGWINSZ), else 80 columns, also when
 * the output is a pipe or a file.  Unlike perf, COLUMNS counts without LINES beside it: a
 * report needs no height, and shells export neither by default.  Colour is on only on a terminal, and off whenever NO_COLOR is set to anything but ""
 * (no-color.org).
 */
#ifndef MT_TERM_H
#define MT_TERM_H

#include <stdbool.h>

/* What a report fits into when nothing says how wide the output is. */
#define TERM_DEFAULT_WIDTH 80
/* Narrower than this, tables cannot keep even their key columns: they are cut instead. */
#define TERM_MIN_WIDTH 40
/* Wider than this helps nothing: the text backend's line buffer. */
#define TERM_MAX_WIDTH 1000

/**
 * term__width() - columns to fit text written to @fd into: COLUMNS when it holds a number
 * (clamped to TERM_MIN_WIDTH..TERM_MAX_WIDTH), else the terminal's width when @fd is one, else
 * TERM_DEFAULT_WIDTH.
 */
int term__width(int fd);

/** term__color() - colour text written to @fd: it is a terminal and NO_COLOR is unset or "". */
bool term__color(int fd);

#endif /* MT_TERM_H */
