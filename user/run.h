/* SPDX-License-Identifier: MIT */
/* What maptrace does once its command line is parsed: trace live, or report a trace file. */
#ifndef MT_RUN_H
#define MT_RUN_H

#include <signal.h>
#include "args.h"

#define MAPTRACE_VERSION "0.1.0"

/* In *stop, beside the signal's number: the terminal sent it, to the whole foreground group. */
#define RUN_STOP_TTY 0x100

/**
 * run__live() - trace the target (-p, --comm/--exe followed across restarts, or a command it
 * runs) until *@stop, the duration, the report count or, without --comm/--exe, the target's
 * exit; print reports, record -o, serve --listen.  A launched command is traced until it exits
 * (the duration or the count end only the trace): *@stop then passes the signal on to it unless
 * RUN_STOP_TTY says it has it already, and is cleared.
 * @status: receives the launched command's exit status as a shell gives it (128 + N for signal
 *	N, 127 when it was not found); -1 without one or when it never ran.
 * Return: 0 or a negative errno (a message was printed).
 */
int run__live(const struct args *a, volatile sig_atomic_t *stop, int *status);

/**
 * run__report() - maptrace report FILE; reading a large file stops when *@stop becomes non-zero.
 * Return: 0, -EIO for a damaged file, -EINTR when stopped, or -errno (a message was printed).
 */
int run__report(const struct args *a, volatile sig_atomic_t *stop);

#endif /* MT_RUN_H */
