/* SPDX-License-Identifier: MIT */
/*
 * TAP-style reporting shared by the C tests: one "ok - what" or "not ok - what" line per check,
 * which tests/run.sh counts; diagnostics go to stderr prefixed with "# ".
 */
#ifndef TESTS_TAP_H
#define TESTS_TAP_H

#include <stdarg.h>
#include <stdlib.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>
#include <sys/types.h>
#include <sys/wait.h>

static int passed, failed;

/* check() - report one check; returns @ok so callers can stop early. */
static inline __attribute__((format(printf, 2, 3), unused)) int check(int ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s - ", ok ? "ok" : "not ok");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	if (ok)
		passed++;
	else
		failed++;
	return ok;
}

/* diag() - a diagnostic line on stderr. */
static inline __attribute__((format(printf, 1, 2), unused)) void diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* tap_exit() - the closing count, and the exit status: 1 when any check failed. */
static inline __attribute__((unused)) int tap_exit(void)
{
	printf("# %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}

/* Run argv; with out, capture its stdout (NUL-terminated). Returns the exit status or -1. */
static inline __attribute__((unused)) int tap_run(char *const argv[], char *out, size_t outlen)
{
	int pfd[2] = {-1, -1}, status;
	size_t used = 0;
	ssize_t n;
	pid_t pid;

	if (out && pipe(pfd) != 0)
		return -1;
	pid = fork();
	if (pid < 0) {
		if (out) {
			close(pfd[0]);
			close(pfd[1]);
		}
		return -1;
	}
	if (pid == 0) {
		if (out) {
			dup2(pfd[1], STDOUT_FILENO);
			close(pfd[0]);
			close(pfd[1]);
		}
		execvp(argv[0], argv);
		fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	if (out) {
		close(pfd[1]);
		while (used + 1 < outlen && (n = read(pfd[0], out + used, outlen - used - 1)) > 0)
			used += (size_t)n;
		out[used] = '\0';
		/* drain the rest so the child cannot block on a full pipe */
		while (read(pfd[0], &status, sizeof(status)) > 0)
			;
		close(pfd[0]);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* tap_runv() - tap_run() of a NULL-terminated argument list, without capturing output. */
static inline __attribute__((unused, sentinel)) int tap_runv(const char *first, ...)
{
	char *argv[32];
	va_list ap;
	int n = 0;

	argv[n++] = (char *)first;
	va_start(ap, first);
	while (n < 31 && (argv[n] = va_arg(ap, char *)))
		n++;
	va_end(ap);
	argv[n] = NULL;
	return tap_run(argv, NULL, 0);
}

/*
 * tap_tmpdir() - make a private directory $TMPDIR/PREFIX.XXXXXX in @dir, absolute and without
 * symlinks (fixture paths are compared with the ones the kernel and debug links print).
 * Return: 0, or -1 after a message on stderr.
 */
static inline __attribute__((unused)) int tap_tmpdir(char *dir, size_t size, const char *prefix)
{
	char path[PATH_MAX];

	snprintf(dir, size, "%s/%s.XXXXXX", getenv("TMPDIR") ?: "/tmp", prefix);
	if (!mkdtemp(dir)) {
		fprintf(stderr, "cannot create a directory in %s: %s\n", dir, strerror(errno));
		return -1;
	}
	if (!realpath(dir, path) || strlen(path) >= size) {
		fprintf(stderr, "cannot resolve %s: %s\n", dir, strerror(errno));
		return -1;
	}
	strcpy(dir, path);
	return 0;
}

/*
 * tap_run_checks() - run @cmd, a checker script that prints TAP lines: echo them, count each
 * "ok" and "not ok" as this program's own, and fail unless there were exactly @want.
 */
static inline __attribute__((unused)) void tap_run_checks(const char *cmd, int want,
							  const char *what)
{
	char line[2048];
	int seen = 0;
	FILE *p = popen(cmd, "r");

	if (!p) {
		check(false, "%s: popen %s: %s", what, cmd, strerror(errno));
		return;
	}
	while (fgets(line, sizeof(line), p)) {
		fputs(line, stdout);
		if (!strncmp(line, "ok - ", 5))
			passed++, seen++;
		else if (!strncmp(line, "not ok - ", 9))
			failed++, seen++;
	}
	if (pclose(p) != 0 || seen != want)
		check(false, "%s: the checker ran every check (%d of %d)", what, seen, want);
}

/* tap_readelf_build_id() - the build-id of @path as `readelf -n` prints it, "" if none. */
static inline __attribute__((unused)) void tap_readelf_build_id(const char *path, char id[41])
{
	char *argv[] = {"readelf", "-n", (char *)path, NULL};
	char out[16384], *p;

	id[0] = '\0';
	if (tap_run(argv, out, sizeof(out)) != 0)
		return;
	p = strstr(out, "Build ID: ");
	if (p)
		sscanf(p + strlen("Build ID: "), "%40[0-9a-f]", id);
}

/* tap_rmtree() - remove @dir and everything below it (a test's temporary directory). */
static inline __attribute__((unused)) void tap_rmtree(const char *dir)
{
	tap_runv("rm", "-rf", "--", dir, NULL);
}

#endif /* TESTS_TAP_H */
