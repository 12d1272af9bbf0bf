/* SPDX-License-Identifier: MIT */
/* A command maptrace runs itself (maptrace -- CMD ARGS...), held before its first instruction. */
#ifndef MT_LAUNCH_H
#define MT_LAUNCH_H

#include <stdbool.h>

struct launch;

/**
 * launch__start() - fork and exec @argv (searched in PATH) under ptrace, and hold it before the
 * first instruction of its own: a static executable right after the exec; a dynamically linked
 * one (on x86-64) at its entry point, its shared libraries mapped and their constructors run.
 * @argv: the command and its arguments, NULL-terminated.
 * @out: receives the launched command, stopped; launch__free() it.
 * @code: receives, when the command ended before that, its exit status as a shell gives it
 *	(127: not found, 126: found but not run, the dynamic linker's own status...); else -1.
 *
 * The command inherits maptrace's standard streams, process group and environment.
 * Return: 0; or a negative errno after a one-line message: the exec's own error when the command
 * cannot run (-ENOENT: no such file, -EACCES: not executable...), -ECHILD when it ended before
 * its first instruction, that of ptrace or fork else.
 */
int launch__start(char *const *argv, struct launch **out, int *code);

/** launch__pid() - the PID of the launched command. */
int launch__pid(const struct launch *l);

/** launch__running() - has launch__resume() let the command run, and has it not been reaped? */
bool launch__running(const struct launch *l);

/**
 * launch__resume() - let the command run from its first instruction, no longer traced by ptrace.
 * Return: 0, or a negative errno (-ESRCH: it was killed meanwhile).
 */
int launch__resume(struct launch *l);

/**
 * launch__signal() - send @sig to the running command.
 * Return: 0, or a negative errno (-ESRCH once it has exited).
 */
int launch__signal(struct launch *l, int sig);

/**
 * launch__wait() - wait up to @timeout_ms (0: just look) for the command to exit, and reap it.
 * @status: receives its exit status as a shell gives it: its exit code, or 128 + N for a death
 *	by signal N.
 * Return: 0 once reaped, -EAGAIN while it still runs, another negative errno on failure.
 */
int launch__wait(struct launch *l, int timeout_ms, int *status);

/**
 * launch__free() - free @l; a command still held before its first instruction, or still
 * running, is killed first (SIGKILL) and reaped, so nothing maptrace started runs untraced
 * or lingers.  NULL-safe.
 */
void launch__free(struct launch *l);

#endif /* MT_LAUNCH_H */
