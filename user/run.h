/* SPDX-License-Identifier: MIT */
/* What maptrace does once its command line is parsed: trace live, or report a trace file. */
#ifndef MT_RUN_H
#define MT_RUN_H

#include <signal.h>
#include "args.h"

#define MAPTRACE_VERSION "0.1.0"

/**
 * run__live() - trace the target (-p, or --comm/--exe followed across restarts) until *@stop,
 * the duration, the report count or, without --comm/--exe, the target's exit; print reports,
 * record -o, serve --listen.  Return: 0 or a negative errno (a message was printed).
 */
int run__live(const struct args *a, volatile sig_atomic_t *stop);

/**
 * run__report() - maptrace report FILE; reading a large file stops when *@stop becomes non-zero.
 * Return: 0, -EIO for a damaged file, -EINTR when stopped, or -errno (a message was printed).
 */
int run__report(const struct args *a, volatile sig_atomic_t *stop);

#endif /* MT_RUN_H */
