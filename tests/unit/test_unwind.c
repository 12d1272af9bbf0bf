// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Unit test of user/unwind.c against live fixture processes blocked on a lock.
 *
 * Builds tests/fixtures/unwind_fixture.c with gcc (-O2; with -g and without frame pointers, with
 * frame pointers, with only a .debug_frame in a separate debug file, with neither CFI nor debug
 * info but frame pointers, and as a library to dlopen) and runs it with a mutex and an rwlock.
 * Once its main thread blocks in glibc's futex wait, takes what the BPF side would: the
 * registers (ptrace, which a parent may do to its child without privileges) and a copy of the top
 * of the stack (process_vm_readv). Unwinds that copy, symbolizes the frames and checks that they
 * name, in order, the futex wait, the lock function, take_lock_for_map, outer_caller and main.
 * Shows what a frame-pointer walk of the same copy gives, measures the cost per stack, and unwinds
 * again after the process exited, with a short copy, with a small frame limit, through a library
 * loaded after the process was prepared, and through a binary visible only in a private mount
 * namespace.
 *
 * Needs no privileges. Usage: test_unwind [FIXTURE_DIR] (default tests/fixtures).
 * Prints one "ok - ..." or "not ok - ..." line per check and exits non-zero on any failure.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "procfs.h"
#include "symbolizer.h"
#include "unwind.h"
#include "util.h"
#include "../tap.h"
#include "../nsutil.h"

#define MAX_FRAMES 64
#define STACK_COPY (16 * 1024)
#define PAGE	   4096
#define ROUNDS	   2000
#define EXIT_SKIP  77
#define WAIT_MS	   5000
#define NR_FUTEX   202

/* struct mt_user_regs is pt_regs, which is also how ptrace's user_regs_struct begins. */
#define SAME_OFFSET(ours, theirs)                                                                  \
	_Static_assert(offsetof(struct mt_user_regs, ours) ==                                         \
			       offsetof(struct user_regs_struct, theirs),                          \
		       #ours " is not at " #theirs "'s offset")
SAME_OFFSET(r15, r15);
SAME_OFFSET(r12, r12);
SAME_OFFSET(rbp, rbp);
SAME_OFFSET(rbx, rbx);
SAME_OFFSET(rax, rax);
SAME_OFFSET(rdi, rdi);
SAME_OFFSET(orig_rax, orig_rax);
SAME_OFFSET(rip, rip);
SAME_OFFSET(eflags, eflags);
SAME_OFFSET(rsp, rsp);
SAME_OFFSET(ss, ss);

/* What BPF would send with a wait record. */
struct capture {
	pid_t pid;
	struct mt_user_regs regs;
	unsigned char stack[STACK_COPY];
	size_t stack_len;
};

struct fixture {
	pid_t pid;
	FILE *in;
	FILE *out;
};

static char tmpdir[512];

static double now_us(void)
{
	return (double)clock_ns(CLOCK_MONOTONIC) / 1e3;
}

static const char *tmp_path(const char *name)
{
	static char buf[4][PATH_MAX];
	static int next;
	char *p = buf[next++ % 4];

	snprintf(p, PATH_MAX, "%s/%s", tmpdir, name);
	return p;
}

/* Run argv and wait; returns its exit status or -1. */
static int run(char *const argv[])
{
	int status;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		execvp(argv[0], argv);
		fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Compile the fixture into tmp/name with the flags given (NULL-terminated). */
static int build_fixture(const char *src_dir, const char *name, ...)
{
	char src[PATH_MAX], out[PATH_MAX];
	char *argv[24];
	const char *flag;
	va_list ap;
	int argc = 0;

	snprintf(src, sizeof(src), "%s/unwind_fixture.c", src_dir);
	snprintf(out, sizeof(out), "%s", tmp_path(name));
	argv[argc++] = getenv("CC") ?: "gcc";
	argv[argc++] = "-O2";
	argv[argc++] = "-pthread";
	va_start(ap, name);
	while ((flag = va_arg(ap, const char *)) && argc < 18)
		argv[argc++] = (char *)flag;
	va_end(ap);
	argv[argc++] = src;
	argv[argc++] = "-o";
	argv[argc++] = out;
	argv[argc] = NULL;
	return run(argv) == 0 ? 0 : -1;
}

/* Move tmp/name's DWARF into tmp/name.debug, found through .gnu_debuglink, as distributions do. */
static int split_debug(const char *name)
{
	char exe[PATH_MAX], dbg[PATH_MAX + 8], link[PATH_MAX + 32];
	char *keep[] = {"objcopy", "--only-keep-debug", exe, dbg, NULL};
	char *strip[] = {"objcopy", "--strip-debug", link, exe, NULL};

	snprintf(exe, sizeof(exe), "%s", tmp_path(name));
	snprintf(dbg, sizeof(dbg), "%s.debug", exe);
	snprintf(link, sizeof(link), "--add-gnu-debuglink=%s", dbg);
	return run(keep) == 0 && run(strip) == 0 ? 0 : -1;
}

static int build_fixtures(const char *src)
{
	const char *nocfi[] = {"-fno-asynchronous-unwind-tables", "-fno-unwind-tables"};

	if (build_fixture(src, "fix_nofp", "-g", "-fomit-frame-pointer", NULL) ||
	    build_fixture(src, "fix_fp", "-g", "-fno-omit-frame-pointer", NULL) ||
	    /* no .eh_frame: gcc -g then writes a .debug_frame, which goes to the debug file */
	    build_fixture(src, "fix_dbgframe", "-g", "-fomit-frame-pointer", nocfi[0], nocfi[1],
			  NULL) ||
	    split_debug("fix_dbgframe") ||
	    build_fixture(src, "fix_nocfi", "-fno-omit-frame-pointer", nocfi[0], nocfi[1], NULL) ||
	    build_fixture(src, "libunwfix.so", "-g", "-fomit-frame-pointer", "-shared", "-fPIC",
			  "-DUNWIND_FIXTURE_LIB", NULL))
		return -1;
	return mkdir(tmp_path("ns"), 0755);
}


/*
 * Start tmp/exe with mode ("mutex", "rwlock" or "dlopen") and wait for "ready". With ns_dir, run
 * a copy of it as ns_dir/exe in a private mount namespace instead. -EOPNOTSUPP when namespaces
 * cannot be made here.
 */
static int fixture_start(struct fixture *fx, const char *exe, const char *mode, const char *ns_dir)
{
	char path[PATH_MAX], lib[PATH_MAX], line[64];
	int in[2], out[2], status;

	memset(fx, 0, sizeof(*fx));
	if (ns_dir)
		snprintf(path, sizeof(path), "%s/%s", ns_dir, exe);
	else
		snprintf(path, sizeof(path), "%s", tmp_path(exe));
	snprintf(lib, sizeof(lib), "%s", tmp_path("libunwfix.so"));
	/* close-on-exec: a later child holding our end would keep this fixture from seeing EOF */
	if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC))
		return -errno;
	fx->pid = fork();
	if (fx->pid < 0)
		return -errno;
	if (fx->pid == 0) {
		if (ns_dir && (enter_private_dir(ns_dir) != 0))
			_exit(EXIT_SKIP);
		if (ns_dir && copy_file(tmp_path(exe), path) != 0)
			_exit(126);
		dup2(in[0], STDIN_FILENO);
		dup2(out[1], STDOUT_FILENO);
		execl(path, path, mode, lib, (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	fx->in = fdopen(in[1], "w");
	fx->out = fdopen(out[0], "r");
	if (fx->in && fx->out && fgets(line, sizeof(line), fx->out) && strcmp(line, "ready\n") == 0)
		return 0;
	if (waitpid(fx->pid, &status, 0) == fx->pid) {
		fx->pid = 0;
		if (WIFEXITED(status) && WEXITSTATUS(status) == EXIT_SKIP)
			return -EOPNOTSUPP;
	}
	return -EIO;
}

static void fixture_stop(struct fixture *fx)
{
	if (fx->pid > 0) {
		kill(fx->pid, SIGKILL);
		waitpid(fx->pid, NULL, 0);
	}
	if (fx->in)
		fclose(fx->in);
	if (fx->out)
		fclose(fx->out);
	fx->in = fx->out = NULL;
	fx->pid = 0;
}

/* Wait until the thread sleeps in futex(2): /proc/PID/task/TID/syscall starts with its number. */
static int wait_futex(pid_t pid, pid_t tid)
{
	struct timespec ms = {0, 1000000};
	char path[96], buf[64];
	ssize_t n;
	int fd, i;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/syscall", pid, tid);
	for (i = 0; i < WAIT_MS; i++) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n > 0) {
			buf[n] = '\0';
			if (atoi(buf) == NR_FUTEX && buf[0] != '-')
				return 0;
		}
		nanosleep(&ms, NULL);
	}
	return -ETIMEDOUT;
}

/*
 * What the BPF side captures at the wait: stop the thread (PTRACE_INTERRUPT takes it out of the
 * futex wait into a ptrace stop; its registers still show rip just after the syscall
 * instruction), copy its registers and [rsp, rsp + STACK_COPY) as far as the stack is mapped,
 * and let it go back to waiting.
 */
static int capture(pid_t tid, struct capture *c)
{
	struct iovec local, remote[STACK_COPY / PAGE + 1];
	struct user_regs_struct urs;
	__u64 addr, end;
	int status, nr = 0, err = 0;
	ssize_t got;

	memset(c, 0, sizeof(*c));
	c->pid = tid;
	if (ptrace(PTRACE_SEIZE, tid, 0, 0) != 0)
		return -errno;
	if (ptrace(PTRACE_INTERRUPT, tid, 0, 0) != 0 || waitpid(tid, &status, __WALL) != tid) {
		err = -errno;
		goto detach;
	}
	if (!WIFSTOPPED(status) || (status >> 16) != PTRACE_EVENT_STOP) {
		err = -EPROTO;
		goto detach;
	}
	if (ptrace(PTRACE_GETREGS, tid, 0, &urs) != 0) {
		err = -errno;
		goto detach;
	}
	memcpy(&c->regs, &urs, sizeof(c->regs));
	/* page by page: the read stops, rather than fails, where the stack mapping ends */
	for (addr = c->regs.rsp, end = addr + STACK_COPY; addr < end; nr++) {
		remote[nr].iov_base = (void *)addr;
		remote[nr].iov_len =
			((addr / PAGE + 1) * PAGE < end ? (addr / PAGE + 1) * PAGE : end) - addr;
		addr += remote[nr].iov_len;
	}
	local.iov_base = c->stack;
	local.iov_len = STACK_COPY;
	got = process_vm_readv(tid, &local, 1, remote, (unsigned long)nr, 0);
	if (got <= 0)
		err = got < 0 ? -errno : -EIO;
	else
		c->stack_len = (size_t)got;
detach:
	ptrace(PTRACE_DETACH, tid, 0, 0);
	return err;
}

/*
 * The frame-pointer walk the kernel does for a user stack, over the same copy: rip, then
 * [rbp + 8] while [rbp] chains upwards. (The kernel reads live memory, so where rbp points
 * outside the stack it walks on through whatever is there; here the walk stops.)
 */
static int fp_walk(const struct capture *c, __u64 *ips, int max)
{
	__u64 fp = c->regs.rbp, sp = c->regs.rsp, next, ret;
	int n = 0;

	ips[n++] = c->regs.rip;
	while (n < max) {
		if (fp < sp || fp - sp + 16 > c->stack_len || (fp & 7))
			break;
		memcpy(&next, c->stack + (fp - sp), 8);
		memcpy(&ret, c->stack + (fp - sp) + 8, 8);
		if (!ret)
			break;
		ips[n++] = ret;
		if (next <= fp)
			break;
		fp = next;
	}
	return n;
}

/* A glibc name without its internal prefixes: ___pthread_mutex_lock -> pthread_mutex_lock. */
static const char *base_name(const char *name)
{
	if (strncmp(name, "__GI_", 5) == 0)
		name += 5;
	while (*name == '_')
		name++;
	return name;
}

static bool name_is(const char *func, const char *want)
{
	const char *b = base_name(func);
	size_t len = strlen(want);

	return strncmp(b, want, len) == 0 && (b[len] == '\0' || b[len] == '@');
}

/* glibc 2.3x: __lll_lock_wait, futex_wait, __futex_abstimed_wait_common(64), ... */
static bool is_futex_wait(const char *func)
{
	const char *b = base_name(func);

	return strncmp(b, "futex", 5) == 0 || name_is(func, "lll_lock_wait") ||
	       name_is(func, "lll_lock_wait_private");
}

struct stack {
	__u64 ips[MAX_FRAMES];
	char funcs[MAX_FRAMES][256];
	char mods[MAX_FRAMES][256];
	int n;
};

static void symbolize(struct symbolizer *sz, pid_t pid, struct stack *s, const char *title)
{
	struct sym_frame f;
	char line[512];
	int i;

	printf("# %s:\n", title);
	for (i = 0; i < s->n; i++) {
		/* a return address is just past the call: look up the call */
		if (symbolizer__resolve(sz, pid, i ? s->ips[i] - 1 : s->ips[i], &f) != 0) {
			snprintf(s->funcs[i], sizeof(s->funcs[i]), "?");
			s->mods[i][0] = '\0';
			snprintf(line, sizeof(line), "? (not in any mapping)");
		} else {
			snprintf(s->funcs[i], sizeof(s->funcs[i]), "%.*s", (int)sizeof(s->funcs[i]) - 1, f.func);
			snprintf(s->mods[i], sizeof(s->mods[i]), "%s", f.module);
			sym_frame__format(&f, line, sizeof(line));
		}
		printf("#   #%-2d 0x%012llx %s\n", i, (unsigned long long)s->ips[i], line);
	}
}

/*
 * Do the frames contain, in order, a futex wait, the lock function, then take_lock_for_map,
 * outer_caller and main as consecutive frames? Returns 1 if so; fills why otherwise.
 */
static int has_chain(const struct stack *s, const char *lock_fn, char *why, size_t whylen)
{
	const char *callers[] = {"take_lock_for_map", "outer_caller", "main"};
	int i = 0, j;

	while (i < s->n && !is_futex_wait(s->funcs[i]))
		i++;
	if (i == s->n) {
		snprintf(why, whylen, "no futex wait frame");
		return 0;
	}
	while (i < s->n && !name_is(s->funcs[i], lock_fn))
		i++;
	if (i == s->n) {
		snprintf(why, whylen, "no %s after the futex wait", lock_fn);
		return 0;
	}
	for (j = 0; j < 3; j++) {
		if (i + 1 + j >= s->n || strcmp(s->funcs[i + 1 + j], callers[j]) != 0) {
			snprintf(why, whylen, "frame %d is %s, not %s", i + 1 + j,
				 i + 1 + j < s->n ? s->funcs[i + 1 + j] : "missing", callers[j]);
			return 0;
		}
	}
	snprintf(why, whylen, "all there");
	return 1;
}

/* The index of the first frame in function name, or -1. */
static int find_func(const struct stack *s, const char *name)
{
	int i;

	for (i = 0; i < s->n; i++)
		if (strcmp(s->funcs[i], name) == 0)
			return i;
	return -1;
}

static bool has_func(const struct stack *s, const char *name)
{
	return find_func(s, name) >= 0;
}

struct scenario {
	const char *tag;
	const char *exe;
	const char *mode; /* the fixture's argument: mutex, rwlock or dlopen */
	const char *lock_fn;
	bool no_fp; /* built without frame pointers: a frame-pointer walk must lose the callers */
	bool in_ns; /* run in a private mount namespace */
	bool edges; /* also try short copies and frame limits on its stack */
};

/* Edge cases on a stack whose process has exited (its Dwfl is still cached). */
static void test_edges(struct unwinder *u, const struct capture *c, int full_n, __u64 used)
{
	struct unwind_result res;
	__u64 ips[MAX_FRAMES];
	int err, n;

	err = unwinder__unwind(u, c->pid, &c->regs, c->stack, used / 2, ips, MAX_FRAMES, &n);
	unwinder__last_result(u, &res);
	check(!err && n >= 1 && n < full_n && res.stop == UNWIND_STOP_STACK,
	      "edges: a copy of %llu bytes gives the first %d of %d frames, stop \"%s\" (err %d)",
	      (unsigned long long)used / 2, n, full_n, unwind_stop__str(res.stop), err);
	err = unwinder__unwind(u, c->pid, &c->regs, c->stack, 0, ips, MAX_FRAMES, &n);
	check(!err && n == 1 && ips[0] == c->regs.rip,
	      "edges: an empty copy still gives the leaf frame (err %d, %d frames)", err, n);
	err = unwinder__unwind(u, c->pid, &c->regs, c->stack, c->stack_len, ips, 2, &n);
	unwinder__last_result(u, &res);
	check(!err && n == 2 && res.stop == UNWIND_STOP_MAX,
	      "edges: max 2 gives 2 frames, stop \"%s\" (err %d, %d frames)",
	      unwind_stop__str(res.stop), err, n);
}

static void test_scenario(struct unwinder *u, struct symbolizer *sz, const struct scenario *sc)
{
	static struct capture c;
	static struct stack dw, fp;
	const char *tag = sc->tag;
	struct unwind_result res;
	char why[PATH_MAX + 64];
	__u64 again[MAX_FRAMES];
	double t0, prep_us, cold_us, warm_us;
	struct fixture fx;
	int err, n, i;

	memset(&c, 0, sizeof(c));
	err = fixture_start(&fx, sc->exe, sc->mode, sc->in_ns ? tmp_path("ns") : NULL);
	if (err == -EOPNOTSUPP) {
		check(1, "%s: # SKIP cannot create a mount namespace here", tag);
		return;
	}
	check(!err, "%s: fixture started (%d)", tag, err);
	if (err)
		goto cleanup;
	if (sc->in_ns) {
		snprintf(why, sizeof(why), "%s/%s", tmp_path("ns"), sc->exe);
		check(access(why, F_OK) != 0, "%s: %s is not visible from here", tag, why);
	}
	/* what maptrace does at attach time */
	t0 = now_us();
	err = unwinder__prepare(u, fx.pid);
	prep_us = now_us() - t0;
	check(!err, "%s: unwinder__prepare (%d)", tag, err);
	if (strcmp(sc->mode, "dlopen") == 0) {
		/* now the fixture loads the library it will block in */
		fputs("go\n", fx.in);
		fflush(fx.in);
	}
	err = wait_futex(fx.pid, fx.pid);
	check(!err, "%s: main thread blocks in futex(2) (%d)", tag, err);
	if (err)
		goto cleanup;
	err = capture(fx.pid, &c);
	check(!err && c.stack_len > 0, "%s: captured registers and %zu stack bytes (%d)", tag,
	      c.stack_len, err);
	if (err)
		goto cleanup;

	t0 = now_us();
	err = unwinder__unwind(u, fx.pid, &c.regs, c.stack, c.stack_len, dw.ips, MAX_FRAMES, &dw.n);
	cold_us = now_us() - t0;
	unwinder__last_result(u, &res);
	check(!err && dw.n > 1, "%s: unwound %d frames, stop \"%s\", %llu stack bytes used (%d)",
	      tag, dw.n, unwind_stop__str(res.stop), (unsigned long long)res.stack_used, err);
	if (err)
		goto cleanup;
	symbolize(sz, fx.pid, &dw, "dwarf unwind");
	check(has_chain(&dw, sc->lock_fn, why, sizeof(why)),
	      "%s: futex wait, %s, take_lock_for_map, outer_caller, main in order (%s)", tag,
	      sc->lock_fn, why);
	check(res.stop == UNWIND_STOP_END, "%s: unwound to the outermost frame (stop \"%s\")", tag,
	      unwind_stop__str(res.stop));
	if (strcmp(sc->mode, "dlopen") == 0) {
		i = find_func(&dw, "take_lock_for_map");
		check(i >= 0 && strstr(dw.mods[i], "libunwfix.so"),
		      "%s: take_lock_for_map is the library's (%s)", tag,
		      i >= 0 ? dw.mods[i] : "-");
	}

	fp.n = fp_walk(&c, fp.ips, MAX_FRAMES);
	symbolize(sz, fx.pid, &fp, "frame-pointer walk of the same copy");
	if (sc->no_fp) {
		check(!has_chain(&fp, sc->lock_fn, why, sizeof(why)) &&
			      !has_func(&fp, "take_lock_for_map"),
		      "%s: the frame-pointer walk alone loses the callers (%d frames, %s)", tag,
		      fp.n, why);
	} else {
		printf("# %s: frame-pointer walk: %d frames, %s take_lock_for_map, %s "
		       "outer_caller\n",
		       tag, fp.n, has_func(&fp, "take_lock_for_map") ? "with" : "without",
		       has_func(&fp, "outer_caller") ? "with" : "without");
	}

	t0 = now_us();
	for (i = 0; i < ROUNDS; i++)
		unwinder__unwind(u, fx.pid, &c.regs, c.stack, c.stack_len, again, MAX_FRAMES, &n);
	warm_us = (now_us() - t0) / ROUNDS;
	printf("# %s: cost: prepare %.0f us, first unwind %.0f us, then %.1f us per stack "
	       "(%d frames, mean of %d)\n",
	       tag, prep_us, cold_us, warm_us, dw.n, ROUNDS);

	/* buffered events are unwound after the process may have gone */
	fixture_stop(&fx);
	err = unwinder__unwind(u, c.pid, &c.regs, c.stack, c.stack_len, again, MAX_FRAMES, &n);
	check(!err && n == dw.n && memcmp(again, dw.ips, sizeof(again[0]) * (size_t)n) == 0,
	      "%s: the same %d frames after the process exited (err %d, %d frames)", tag, dw.n, err,
	      n);
	if (sc->edges)
		test_edges(u, &c, dw.n, res.stack_used);
cleanup:
	fixture_stop(&fx);
	unwinder__forget(u, c.pid);
	symbolizer__forget(sz, c.pid);
}

static void test_errors(struct unwinder *u)
{
	struct mt_user_regs regs = {0};
	__u64 ips[4];
	int err, n = -1;

	err = unwinder__prepare(u, 0x7fffffff);
	check(err == -ESRCH, "errors: prepare of a missing pid gives -ESRCH (got %d)", err);
	err = unwinder__unwind(u, 0x7fffffff, &regs, NULL, 0, ips, 4, &n);
	check(err == -ESRCH && n == 0, "errors: unwind of a missing pid gives -ESRCH (got %d)",
	      err);
	err = unwinder__unwind(u, getpid(), NULL, NULL, 0, ips, 4, &n);
	check(err == -EINVAL, "errors: NULL regs give -EINVAL (got %d)", err);
	err = unwinder__unwind(u, getpid(), &regs, NULL, 0, ips, 0, &n);
	check(err == -EINVAL, "errors: max 0 gives -EINVAL (got %d)", err);
	unwinder__forget(u, 0x7fffffff);
	unwinder__forget(NULL, 1);
	unwinder__free(NULL);
}

int main(int argc, char **argv)
{
	const char *src = argc > 1 ? argv[1] : "tests/fixtures";
	const struct scenario scenarios[] = {
		{.tag = "-fomit-frame-pointer mutex",
		 .exe = "fix_nofp",
		 .mode = "mutex",
		 .lock_fn = "pthread_mutex_lock",
		 .no_fp = true,
		 .edges = true},
		{.tag = "-fomit-frame-pointer rwlock",
		 .exe = "fix_nofp",
		 .mode = "rwlock",
		 .lock_fn = "pthread_rwlock_wrlock",
		 .no_fp = true},
		{.tag = "-fno-omit-frame-pointer mutex",
		 .exe = "fix_fp",
		 .mode = "mutex",
		 .lock_fn = "pthread_mutex_lock"},
		{.tag = "-fno-omit-frame-pointer rwlock",
		 .exe = "fix_fp",
		 .mode = "rwlock",
		 .lock_fn = "pthread_rwlock_wrlock"},
		{.tag = ".debug_frame in a debuglink file",
		 .exe = "fix_dbgframe",
		 .mode = "mutex",
		 .lock_fn = "pthread_mutex_lock",
		 .no_fp = true},
		{.tag = "no CFI, frame pointers",
		 .exe = "fix_nocfi",
		 .mode = "mutex",
		 .lock_fn = "pthread_mutex_lock"},
		{.tag = "library loaded after prepare",
		 .exe = "fix_nofp",
		 .mode = "dlopen",
		 .lock_fn = "pthread_mutex_lock",
		 .no_fp = true},
		{.tag = "private mount namespace",
		 .exe = "fix_nofp",
		 .mode = "mutex",
		 .lock_fn = "pthread_mutex_lock",
		 .no_fp = true,
		 .in_ns = true},
	};
	struct proc_maps_cache *maps = NULL;
	struct symbolizer *sz = NULL;
	struct unwinder *u = NULL;
	size_t i;
	int err;

	if (tap_tmpdir(tmpdir, sizeof(tmpdir), "unwtest"))
		return 1;
	err = build_fixtures(src);
	check(!err, "fixtures built with gcc and objcopy in %s", tmpdir);
	if (err)
		goto cleanup;
	/* one mappings cache for both, as maptrace shares it */
	maps = proc_maps_cache__new();
	u = unwinder__new(maps);
	sz = symbolizer__new(maps);
	check(maps && u && sz, "proc_maps_cache__new, unwinder__new and symbolizer__new");
	if (!u || !sz)
		goto cleanup;

	for (i = 0; i < ARRAY_SIZE(scenarios); i++)
		test_scenario(u, sz, &scenarios[i]);
	test_errors(u);
cleanup:
	unwinder__free(u);
	symbolizer__free(sz);
	proc_maps_cache__free(maps);
	tap_rmtree(tmpdir);
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
