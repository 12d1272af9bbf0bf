// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Unit test of user/symbolizer.c against live fixture processes.
 *
 * Builds tests/fixtures/sym_fixture*.c with gcc into a temporary directory (PIE, non-PIE,
 * stripped with a .gnu_debuglink beside it or in .debug/, stripped without debug info, a shared
 * library, a stripped copy of it and one whose static function only DWARF knows, through a dwz
 * multifile when dwz is installed), runs them, and resolves the addresses they print. Also runs
 * fixtures in a private mount namespace (a user namespace when not root), deletes one while it
 * runs, and resolves after one exited.
 *
 * Needs no privileges; llvm-symbolizer is the oracle of libc's lines.
 * Usage: test_symbolizer [FIXTURE_DIR] (default tests/fixtures).
 * Prints one "ok - ..." or "not ok - ..." line per check and exits non-zero on any failure.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "procfs.h"
#include "symbolizer.h"
#include "util.h"
#include "../tap.h"
#include "../nsutil.h"

#define MAX_KEYS 32

struct fixture {
	pid_t pid;
	FILE *in;
	FILE *out;
	char path[PATH_MAX];
	int nr_keys;
	char keys[MAX_KEYS][32];
	__u64 vals[MAX_KEYS];
};

/* What a namespaced fixture sees in its private directory: {file in tmp, name there}. */
static const char *const ns_files[][2] = {
	{"fix_dbg", "fix_ns"},
	{"fix_dbg.debug", "fix_dbg.debug"},
	{"dwz_common.debug", "dwz_common.debug"}, /* left out when dwz is missing */
	{NULL, NULL},
};

static char tmpdir[512];

static int have_program(const char *name)
{
	char *path = strdup(getenv("PATH") ?: "/usr/bin:/bin"), *dir, *save = NULL;
	char file[PATH_MAX];
	int found = 0;

	if (!path)
		return 0;
	for (dir = strtok_r(path, ":", &save); dir && !found; dir = strtok_r(NULL, ":", &save)) {
		snprintf(file, sizeof(file), "%.3000s/%s", dir, name);
		found = access(file, X_OK) == 0;
	}
	free(path);
	return found;
}

static const char *tmp_path(const char *name)
{
	static char buf[8][PATH_MAX];
	static int slot;
	char *p = buf[slot++ % 8];

	snprintf(p, PATH_MAX, "%s/%s", tmpdir, name);
	return p;
}

static int build_fixtures(const char *src)
{
	char lib_src[PATH_MAX], exe_src[PATH_MAX], ldir[PATH_MAX + 2], rpath[PATH_MAX + 16];
	char link[PATH_MAX + 32];
	const char *dbg_dir;
	int err = 0;

	snprintf(lib_src, sizeof(lib_src), "%s/sym_fixture_lib.c", src);
	snprintf(exe_src, sizeof(exe_src), "%s/sym_fixture.c", src);
	snprintf(ldir, sizeof(ldir), "-L%s", tmpdir);
	snprintf(rpath, sizeof(rpath), "-Wl,-rpath,%s", tmpdir);
	if (access(lib_src, R_OK) || access(exe_src, R_OK)) {
		fprintf(stderr,
			"fixture sources not found in %s: run from the repository root or "
			"pass the fixture directory\n",
			src);
		return -ENOENT;
	}
	err |= tap_runv("gcc", "-O0", "-g", "-fPIC", "-shared", "-fno-toplevel-reorder", lib_src, "-o",
		    tmp_path("libsymfix.so"), NULL);
	err |= tap_runv("objcopy", "--strip-all", tmp_path("libsymfix.so"), tmp_path("libsymfix_dl.so"),
		    NULL);
	err |= tap_runv("gcc", "-O0", "-g", "-fPIE", "-pie", exe_src, "-o", tmp_path("fix_pie"), ldir,
		    rpath, "-lsymfix", "-ldl", NULL);
	err |= tap_runv("gcc", "-O0", "-g", "-fno-pie", "-no-pie", exe_src, "-o", tmp_path("fix_nopie"),
		    ldir, rpath, "-lsymfix", "-ldl", NULL);

	/* stripped, debug file beside it */
	err |= tap_runv("cp", tmp_path("fix_pie"), tmp_path("fix_dbg"), NULL);
	err |= tap_runv("objcopy", "--only-keep-debug", tmp_path("fix_dbg"), tmp_path("fix_dbg.debug"),
		    NULL);
	err |= tap_runv("objcopy", "--strip-all", tmp_path("fix_dbg"), NULL);
	err |= tap_runv("cp", tmp_path("fix_dbg"), tmp_path("fix_nodbg"), NULL);
	snprintf(link, sizeof(link), "--add-gnu-debuglink=%s", tmp_path("fix_dbg.debug"));
	err |= tap_runv("objcopy", link, tmp_path("fix_dbg"), NULL);

	/* stripped, debug file in .debug/; ns/ is where namespaced fixtures mount their tmpfs */
	dbg_dir = tmp_path(".debug");
	if (mkdir(dbg_dir, 0755) != 0 || mkdir(tmp_path("ns"), 0755) != 0)
		return -errno;
	err |= tap_runv("cp", tmp_path("fix_pie"), tmp_path("fix_sub"), NULL);
	err |= tap_runv("objcopy", "--only-keep-debug", tmp_path("fix_sub"),
		    tmp_path(".debug/fix_sub.debug"), NULL);
	err |= tap_runv("objcopy", "--strip-all", tmp_path("fix_sub"), NULL);
	snprintf(link, sizeof(link), "--add-gnu-debuglink=%s", tmp_path(".debug/fix_sub.debug"));
	err |= tap_runv("objcopy", link, tmp_path("fix_sub"), NULL);

	/* symfix_hidden known only to DWARF; with dwz, its name only in the dwz multifile */
	err |= tap_runv("gcc", "-O0", "-g", "-fPIC", "-shared", "-fno-toplevel-reorder", lib_src, "-o",
		    tmp_path("libsymfix_dw.so"), NULL);
	err |= tap_runv("objcopy", "--strip-symbol=symfix_hidden", tmp_path("libsymfix_dw.so"), NULL);
	if (have_program("dwz")) {
		/* a multifile needs two inputs: the twin shares every string */
		err |= tap_runv("cp", tmp_path("libsymfix_dw.so"), tmp_path("dwz_twin.so"), NULL);
		/* named as only a namespaced fixture sees it: found through /proc/PID/root alone */
		err |= tap_runv("dwz", "-m", tmp_path("dwz_common.debug"), "-M",
			    tmp_path("ns/dwz_common.debug"), tmp_path("libsymfix_dw.so"),
			    tmp_path("dwz_twin.so"), NULL);
	}
	return err ? -EIO : 0;
}

static int fixture_read(struct fixture *fx, const char *until)
{
	char line[256], key[32];
	unsigned long long v;

	while (fgets(line, sizeof(line), fx->out)) {
		line[strcspn(line, "\n")] = '\0';
		if (strcmp(line, until) == 0)
			return 0;
		if (sscanf(line, "%31s %lli", key, &v) != 2 || fx->nr_keys == MAX_KEYS)
			return -EINVAL;
		snprintf(fx->keys[fx->nr_keys], sizeof(fx->keys[0]), "%s", key);
		fx->vals[fx->nr_keys++] = v;
	}
	return -EIO;
}


#define EXIT_SKIP 77

/*
 * Start tmp/name and read what it prints up to "ready"; its "load" command dlopens tmp/dl
 * (default libsymfix_dl.so). With ns_files ({NULL, NULL}-terminated), first copy them into
 * tmp/ns in a private mount namespace and run tmp/ns/name there. Returns -EOPNOTSUPP when
 * namespaces cannot be made.
 */
static int fixture_start(struct fixture *fx, const char *name, const char *const (*ns_files)[2],
			 const char *dl)
{
	char dir[PATH_MAX], to[PATH_MAX + 256];
	int in[2], out[2], status, err;

	memset(fx, 0, sizeof(*fx));
	if (ns_files) {
		if (!realpath(tmp_path("ns"), dir))
			return -errno;
		snprintf(fx->path, sizeof(fx->path), "%.3000s/%s", dir, name);
	} else if (!realpath(tmp_path(name), fx->path)) {
		return -errno;
	}
	/* close-on-exec: a later child holding our end would keep this fixture from seeing EOF */
	if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC))
		return -errno;
	fx->pid = fork();
	if (fx->pid < 0)
		return -errno;
	if (fx->pid == 0) {
		if (ns_files) {
			if (enter_private_dir(dir) != 0)
				_exit(EXIT_SKIP);
			for (; ns_files[0][0]; ns_files++) {
				snprintf(to, sizeof(to), "%s/%s", dir, ns_files[0][1]);
				if (access(tmp_path(ns_files[0][0]), F_OK) == 0 &&
				    copy_file(tmp_path(ns_files[0][0]), to) != 0)
					_exit(126);
			}
		}
		dup2(in[0], STDIN_FILENO);
		dup2(out[1], STDOUT_FILENO);
		close(in[0]);
		close(in[1]);
		close(out[0]);
		close(out[1]);
		execl(fx->path, fx->path, tmp_path(dl ? dl : "libsymfix_dl.so"), (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	fx->in = fdopen(in[1], "w");
	fx->out = fdopen(out[0], "r");
	if (!fx->in || !fx->out)
		return -ENOMEM;
	err = fixture_read(fx, "ready");
	if (err && waitpid(fx->pid, &status, 0) == fx->pid) {
		fx->pid = 0;
		if (WIFEXITED(status) && WEXITSTATUS(status) == EXIT_SKIP)
			err = -EOPNOTSUPP;
	}
	return err;
}

static void fixture_stop(struct fixture *fx)
{
	if (fx->in)
		fclose(fx->in); /* end of input: the fixture exits */
	if (fx->out)
		fclose(fx->out);
	if (fx->pid > 0)
		waitpid(fx->pid, NULL, 0);
	fx->in = fx->out = NULL;
	fx->pid = 0;
}

static __u64 fixture_get(const struct fixture *fx, const char *key)
{
	int i;

	for (i = 0; i < fx->nr_keys; i++)
		if (strcmp(fx->keys[i], key) == 0)
			return fx->vals[i];
	return 0;
}

/* Start of the mapping at file offset 0: the load bias of a PIE whose first PT_LOAD is at 0. */
static __u64 load_base(pid_t pid, const char *path)
{
	unsigned long long start, off;
	char maps[64], line[PATH_MAX + 128], file[PATH_MAX];
	__u64 base = 0;
	FILE *f;

	snprintf(maps, sizeof(maps), "/proc/%d/maps", pid);
	f = fopen(maps, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx-%*x %*s %llx %*s %*u %4095s", &start, &off, file) == 3 &&
		    off == 0 && strcmp(file, path) == 0) {
			base = start;
			break;
		}
	}
	fclose(f);
	return base;
}

/* First executable mapping of path: its start is the first byte of a PT_LOAD with code. */
static int exec_mapping(pid_t pid, const char *path, __u64 *start, __u64 *end)
{
	unsigned long long s, e;
	char maps[64], line[PATH_MAX + 128], perms[5], file[PATH_MAX];
	int err = -ENOENT;
	FILE *f;

	snprintf(maps, sizeof(maps), "/proc/%d/maps", pid);
	f = fopen(maps, "r");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx-%llx %4s %*x %*s %*u %4095s", &s, &e, perms, file) == 4 &&
		    perms[2] == 'x' && strcmp(file, path) == 0) {
			*start = s;
			*end = e;
			err = 0;
			break;
		}
	}
	fclose(f);
	return err;
}

static int resolve(struct symbolizer *sz, const struct fixture *fx, __u64 ip, struct sym_frame *f)
{
	char buf[1024];
	int err;

	err = symbolizer__resolve(sz, fx->pid, ip, f);
	if (!err && sym_frame__format(f, buf, sizeof(buf)) >= 0)
		printf("# %#llx -> %s [%s%s]\n", (unsigned long long)ip, buf, f->module,
		       f->exact ? "" : ", inexact");
	return err;
}

/* A function start: exact name, offset 0, this module, and a line when built with -g. */
static void expect_func(struct symbolizer *sz, const struct fixture *fx, const char *tag, __u64 ip,
			const char *func, const char *module, const char *file)
{
	struct sym_frame f;
	int err;

	err = resolve(sz, fx, ip, &f);
	check(!err && strcmp(f.func, func) == 0 && f.offset == 0 && f.exact,
	      "%s: %s resolves to %s+0x0 exactly (got %d, %s+0x%llx exact=%d)", tag, func, func,
	      err, f.func, (unsigned long long)f.offset, f.exact);
	check(!err && strcmp(f.module, module) == 0, "%s: %s is in %s (got %s)", tag, func, module,
	      f.module);
	if (file)
		check(!err && strcmp(f.file, file) == 0 && f.line > 0,
		      "%s: %s has line info in %s (got %s:%d)", tag, func, file, f.file, f.line);
	else
		check(!err && !f.file[0] && f.line == 0, "%s: %s has no line info (got %s:%d)", tag,
		      func, f.file, f.line);
}

static void expect_build_id(struct symbolizer *sz, const struct fixture *fx, const char *tag,
			    __u64 ip)
{
	char want[64], path[PATH_MAX + 32];
	struct sym_frame f;
	int err;

	err = symbolizer__resolve(sz, fx->pid, ip, &f);
	/* through the target's root: the module may exist only in its mount namespace */
	snprintf(path, sizeof(path), "/proc/%d/root%s", fx->pid, f.module);
	tap_readelf_build_id(path, want);
	check(!err && want[0] && strcmp(f.build_id, want) == 0,
	      "%s: build-id of %s matches readelf -n (got %s, want %s)", tag, f.module, f.build_id,
	      want);
}

/* Common checks on the executable: functions, an offset inside one, its caller's line. */
static void check_exe(struct symbolizer *sz, const struct fixture *fx, const char *tag,
		      const char *file)
{
	__u64 outer = fixture_get(fx, "fixture_outer"), ra = fixture_get(fx, "outer_ra");
	int line = (int)fixture_get(fx, "outer_line");
	struct sym_frame f;
	int err;

	expect_func(sz, fx, tag, fixture_get(fx, "fixture_alpha"), "fixture_alpha", fx->path, file);
	expect_func(sz, fx, tag, fixture_get(fx, "fixture_beta"), "fixture_beta", fx->path, file);
	expect_func(sz, fx, tag, outer, "fixture_outer", fx->path, file);

	err = resolve(sz, fx, ra, &f);
	check(!err && strcmp(f.func, "fixture_outer") == 0 && f.exact && f.offset == ra - outer &&
		      f.offset > 0 && f.offset < 0x100,
	      "%s: return address is fixture_outer+0x%llx (got %s+0x%llx)", tag,
	      (unsigned long long)(ra - outer), f.func, (unsigned long long)f.offset);
	if (file) {
		/* ra - 1 lies in the call instruction, whose line the fixture reported */
		err = resolve(sz, fx, ra - 1, &f);
		check(!err && strcmp(f.file, file) == 0 && f.line == line,
		      "%s: call site is %s:%d (got %s:%d)", tag, file, line, f.file, f.line);
	}
	expect_build_id(sz, fx, tag, outer);
}

/* The first byte of the executable mapping must map to the start of a function, not next to. */
static void check_mapping_start(struct symbolizer *sz, const struct fixture *fx, const char *tag)
{
	struct sym_frame f = {0};
	__u64 start = 0, end = 0;
	int err;

	err = exec_mapping(fx->pid, fx->path, &start, &end);
	if (!err)
		err = resolve(sz, fx, start, &f);
	check(!err && f.func[0] && f.exact && f.offset == 0 && strcmp(f.module, fx->path) == 0,
	      "%s: first byte of the r-x mapping is a function start (got %d, %s+0x%llx)", tag, err,
	      f.func, (unsigned long long)f.offset);
	err = err ? err : resolve(sz, fx, end - 1, &f);
	check(!err && strcmp(f.module, fx->path) == 0,
	      "%s: last byte of the r-x mapping is still in %s (got %d, %s)", tag, fx->path, err,
	      f.module);
}

static void test_pie(struct symbolizer *sz)
{
	char lib[PATH_MAX], buf[512], want[512];
	struct fixture fx;
	struct sym_frame f, g;
	__u64 ip, before, hidden, t0;
	double ms;
	int err, i;

	err = fixture_start(&fx, "fix_pie", NULL, NULL);
	check(!err, "pie: fixture started (%d)", err);
	if (err)
		goto cleanup;
	check_exe(sz, &fx, "pie", "sym_fixture.c");
	check_mapping_start(sz, &fx, "pie");

	/* the exact name is what a user greps for: malloc, not __libc_malloc */
	err = resolve(sz, &fx, fixture_get(&fx, "malloc"), &f);
	check(!err && strcmp(f.func, "malloc") == 0 && f.offset == 0 && f.exact &&
		      strstr(f.module, "/libc.so"),
	      "pie: libc's malloc resolves to malloc+0x0 in libc (got %s+0x%llx in %s)", f.func,
	      (unsigned long long)f.offset, f.module);
	err = resolve(sz, &fx, fixture_get(&fx, "malloc") + 5, &f);
	check(!err && strcmp(f.func, "malloc") == 0 && f.offset == 5 && f.exact,
	      "pie: malloc+5 resolves to malloc+0x5 (got %s+0x%llx)", f.func,
	      (unsigned long long)f.offset);
	if (f.file[0])
		printf("# libc debug info found: malloc+5 is %s:%d\n", f.file, f.line);
	expect_build_id(sz, &fx, "pie", fixture_get(&fx, "malloc"));

	if (!realpath(tmp_path("libsymfix.so"), lib))
		lib[0] = '\0';
	expect_func(sz, &fx, "pie", fixture_get(&fx, "lib_func"), "symfix_lib_func", lib,
		    "sym_fixture_lib.c");
	expect_func(sz, &fx, "pie", fixture_get(&fx, "lib_hidden"), "symfix_hidden", lib,
		    "sym_fixture_lib.c");
	expect_build_id(sz, &fx, "pie", fixture_get(&fx, "lib_func"));

	err = resolve(sz, &fx, fixture_get(&fx, "heap"), &f);
	check(!err && !f.func[0] && strcmp(f.module, "[heap]") == 0,
	      "pie: a heap address has no function and module [heap] (got %d, '%s' in '%s')", err,
	      f.func, f.module);
	err = symbolizer__resolve(sz, fx.pid, 0x1000, &f);
	check(err == -ENOENT, "pie: an unmapped address gives -ENOENT (got %d)", err);

	/* repeated lookups of one ip come from the cache */
	ip = fixture_get(&fx, "fixture_alpha") + 3;
	err = symbolizer__resolve(sz, fx.pid, ip, &g);
	t0 = clock_ns(CLOCK_MONOTONIC);
	for (i = 0; i < 10000 && !err; i++)
		err = symbolizer__resolve(sz, fx.pid, ip, &f);
	ms = (double)(clock_ns(CLOCK_MONOTONIC) - t0) / 1e6;
	check(!err && memcmp(&f, &g, sizeof(f)) == 0 && ms < 5000,
	      "pie: 10000 repeated resolves agree and are cheap (%.1f ms)", ms);

	symbolizer__forget(sz, fx.pid);
	err = symbolizer__resolve(sz, fx.pid, ip, &f);
	check(!err && memcmp(&f, &g, sizeof(f)) == 0, "pie: resolve after forget is unchanged");

	/* a library loaded after the mappings were cached is found by re-reading them */
	fprintf(fx.in, "load\n");
	fflush(fx.in);
	err = fixture_read(&fx, "loaded");
	check(!err, "pie: fixture dlopened the stripped library (%d)", err);
	if (err)
		goto cleanup;
	if (!realpath(tmp_path("libsymfix_dl.so"), lib))
		lib[0] = '\0';
	before = fixture_get(&fx, "dl_before");
	hidden = fixture_get(&fx, "dl_hidden");
	/* .dynsym still has sizes: an exported function start is exact */
	expect_func(sz, &fx, "dlopen", before, "symfix_lib_before", lib, NULL);
	expect_func(sz, &fx, "dlopen", fixture_get(&fx, "dl_func"), "symfix_lib_func", lib, NULL);
	err = resolve(sz, &fx, hidden + 4, &f);
	check(!err && strcmp(f.func, "symfix_lib_before") == 0 && !f.exact &&
		      f.offset == hidden + 4 - before && hidden > before,
	      "dlopen: a static function of a stripped library is the nearest .dynsym symbol, "
	      "exact=0 (got %s+0x%llx exact=%d, want symfix_lib_before+0x%llx)",
	      f.func, (unsigned long long)f.offset, f.exact,
	      (unsigned long long)(hidden + 4 - before));
	expect_build_id(sz, &fx, "dlopen", before);

	snprintf(want, sizeof(want), "symfix_lib_before+0x%llx", (unsigned long long)f.offset);
	err = sym_frame__format(&f, buf, sizeof(buf));
	check(!err && strcmp(buf, want) == 0, "format: no line info gives '%s' (got '%s')", want,
	      buf);
	err = sym_frame__format(&f, buf, 8);
	check(err == -ENOSPC && strlen(buf) == 7, "format: truncation gives -ENOSPC (got %d)", err);
cleanup:
	fixture_stop(&fx);
}

static void test_nopie(struct symbolizer *sz)
{
	struct fixture fx;
	int err;

	err = fixture_start(&fx, "fix_nopie", NULL, NULL);
	check(!err, "nopie: fixture started (%d)", err);
	if (!err) {
		check(fixture_get(&fx, "fixture_alpha") < 0x1000000,
		      "nopie: executable is at its link address (fixture_alpha at %#llx)",
		      (unsigned long long)fixture_get(&fx, "fixture_alpha"));
		check_exe(sz, &fx, "nopie", "sym_fixture.c");
		check_mapping_start(sz, &fx, "nopie");
	}
	fixture_stop(&fx);
}

static void test_debuglink(struct symbolizer *sz, const char *name, const char *tag)
{
	struct fixture fx;
	char buf[512];
	struct sym_frame f;
	int err;

	err = fixture_start(&fx, name, NULL, NULL);
	check(!err, "%s: fixture started (%d)", tag, err);
	if (!err) {
		check_exe(sz, &fx, tag, "sym_fixture.c");
		err = resolve(sz, &fx, fixture_get(&fx, "fixture_alpha"), &f);
		snprintf(buf, sizeof(buf), "fixture_alpha+0x0 (sym_fixture.c:%d)", f.line);
		check(!err && strcmp(f.file, "sym_fixture.c") == 0 &&
			      sym_frame__format(&f, buf + 256, 256) == 0 &&
			      strcmp(buf, buf + 256) == 0,
		      "%s: format gives '%s'", tag, buf);
	}
	fixture_stop(&fx);
}

static void test_nodebug(struct symbolizer *sz)
{
	char want[PATH_MAX + 64], got[PATH_MAX + 64];
	struct fixture fx;
	struct sym_frame f;
	__u64 vaddr;
	int err;

	err = fixture_start(&fx, "fix_nodbg", NULL, NULL);
	check(!err, "nodebug: fixture started (%d)", err);
	if (err)
		goto cleanup;
	/* a PIE exports no functions of its own: with neither .symtab nor debug info, none known */
	vaddr = fixture_get(&fx, "fixture_alpha") - load_base(fx.pid, fx.path);
	err = resolve(sz, &fx, fixture_get(&fx, "fixture_alpha"), &f);
	check(!err && !f.func[0] && f.offset == vaddr && strcmp(f.module, fx.path) == 0,
	      "nodebug: unknown function gives module and ELF address %#llx (got '%s' %#llx)",
	      (unsigned long long)vaddr, f.func, (unsigned long long)f.offset);
	snprintf(want, sizeof(want), "%s+0x%llx", fx.path, (unsigned long long)vaddr);
	err = sym_frame__format(&f, got, sizeof(got));
	check(!err && strcmp(got, want) == 0, "nodebug: format gives module+0xaddr (got '%s')",
	      got);
	expect_build_id(sz, &fx, "nodebug", fixture_get(&fx, "fixture_alpha"));
cleanup:
	fixture_stop(&fx);
}

/*
 * A function that no symbol table has, named by DWARF alone. With dwz, the name is in the
 * multifile, which only a namespaced fixture can see at its recorded path.
 */
static void test_dwarf_only(struct symbolizer *sz)
{
	int dwz = access(tmp_path("dwz_common.debug"), R_OK) == 0, ns = 1;
	char lib[PATH_MAX];
	struct fixture fx;
	struct sym_frame f;
	__u64 hidden;
	int err;

	err = fixture_start(&fx, "fix_ns", ns_files, "libsymfix_dw.so");
	if (err == -EOPNOTSUPP) {
		/* no namespaces here: put the multifile where its name points, on this side */
		ns = 0;
		if (dwz &&
		    (copy_file(tmp_path("dwz_common.debug"), tmp_path("ns/dwz_common.debug")) != 0))
			dwz = 0;
		err = fixture_start(&fx, "fix_pie", NULL, "libsymfix_dw.so");
	}
	if (!err) {
		fprintf(fx.in, "load\n");
		fflush(fx.in);
		err = fixture_read(&fx, "loaded");
	}
	check(!err, "dwarf: fixture loaded libsymfix_dw.so (%d)", err);
	if (err)
		goto cleanup;
	if (!realpath(tmp_path("libsymfix_dw.so"), lib))
		lib[0] = '\0';
	hidden = fixture_get(&fx, "dl_hidden");
	expect_func(sz, &fx, "dwarf", hidden, "symfix_hidden", lib, "sym_fixture_lib.c");
	err = resolve(sz, &fx, hidden + 4, &f);
	check(!err && strcmp(f.func, "symfix_hidden") == 0 && f.offset == 4 && f.exact,
	      "dwarf: inside a DWARF-only function gives symfix_hidden+0x4 (got %s+0x%llx "
	      "exact=%d)",
	      f.func, (unsigned long long)f.offset, f.exact);
	if (dwz)
		check(1,
		      "dwarf: the names above came through a dwz multifile (.gnu_debugaltlink)%s",
		      ns ? " seen only through /proc/PID/root" : "");
	else
		check(1, "dwarf: # SKIP dwz is not installed: .gnu_debugaltlink untested");
cleanup:
	fixture_stop(&fx);
}

/* Whether this process may open /proc/PID/map_files (CAP_SYS_ADMIN or CAP_CHECKPOINT_RESTORE). */
static int can_open_map_files(void)
{
	unsigned long long s, e;
	char line[PATH_MAX + 128], path[128];
	int fd = -1;
	FILE *f;

	/* map_files lists file mappings only: probe the first one */
	f = fopen("/proc/self/maps", "r");
	while (f && fd < 0 && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx-%llx", &s, &e) != 2 || !strchr(line, '/'))
			continue;
		snprintf(path, sizeof(path), "/proc/self/map_files/%llx-%llx", s, e);
		fd = open(path, O_RDONLY);
		break;
	}
	if (f)
		fclose(f);
	if (fd < 0)
		return 0;
	close(fd);
	return 1;
}

/* A binary deleted while running (an upgrade) is read through map_files, never by its path. */
static void test_deleted(struct symbolizer *sz)
{
	struct fixture fx;
	struct sym_frame f;
	int err, priv = can_open_map_files();

	err = tap_runv("cp", tmp_path("fix_pie"), tmp_path("fix_del"), NULL);
	err = err ? -EIO : fixture_start(&fx, "fix_del", NULL, NULL);
	check(!err, "deleted: fixture started (%d)", err);
	if (err)
		return;
	unlink(fx.path);
	err = resolve(sz, &fx, fixture_get(&fx, "fixture_alpha"), &f);
	check(!err && strcmp(f.module, fx.path) == 0,
	      "deleted: module path has no ' (deleted)' suffix (got %d, '%s')", err, f.module);
	if (priv)
		check(!err && strcmp(f.func, "fixture_alpha") == 0 && f.exact && f.offset == 0,
		      "deleted: symbols read through /proc/PID/map_files (got '%s')", f.func);
	else
		check(!err && !f.func[0],
		      "deleted: without map_files access the function is unknown (got '%s')",
		      f.func);
	fixture_stop(&fx);
}

/*
 * A process in its own mount namespace: its executable and debug file exist only there, so
 * both must be found through /proc/PID/root (map_files could give the executable to root, never
 * its debug file).
 */
static void test_namespace(struct symbolizer *sz)
{
	struct fixture fx;
	int err;

	err = fixture_start(&fx, "fix_ns", ns_files, NULL);
	if (err == -EOPNOTSUPP) {
		check(1, "namespace: # SKIP cannot create a mount namespace here");
		return;
	}
	check(!err, "namespace: fixture started in a private mount namespace (%d)", err);
	if (!err) {
		check(access(fx.path, F_OK) != 0, "namespace: %s is not visible from here",
		      fx.path);
		check_exe(sz, &fx, "namespace", "sym_fixture.c");
	}
	fixture_stop(&fx);
}

/*
 * A tracer reports after its target exits: what was read while it ran must still resolve. In
 * a mount namespace, so that nothing of the executable remains reachable once it is gone.
 */
static void test_exited(struct symbolizer *sz)
{
	struct fixture fx;
	struct sym_frame f;
	__u64 alpha, libc_malloc, lib_func;
	int err, pid;

	err = fixture_start(&fx, "fix_ns", ns_files, NULL);
	if (err == -EOPNOTSUPP)
		err = fixture_start(&fx, "fix_pie", NULL, NULL);
	check(!err, "exited: fixture started (%d)", err);
	if (err) {
		fixture_stop(&fx);
		return;
	}
	pid = fx.pid;
	alpha = fixture_get(&fx, "fixture_alpha");
	libc_malloc = fixture_get(&fx, "malloc");
	lib_func = fixture_get(&fx, "lib_func");
	/* what maptrace does at attach: any address reads the mappings (0 is never mapped) */
	err = symbolizer__resolve(sz, pid, 0, &f);
	check(err == -ENOENT, "exited: priming with address 0 gives -ENOENT (got %d)", err);
	fixture_stop(&fx);
	check(kill(pid, 0) != 0 && errno == ESRCH, "exited: fixture %d is gone", pid);
	fx.pid = pid;
	err = resolve(sz, &fx, alpha, &f);
	check(!err && strcmp(f.func, "fixture_alpha") == 0 && f.offset == 0 &&
		      strcmp(f.file, "sym_fixture.c") == 0,
	      "exited: fixture_alpha still resolves with its line (got %d, %s:%d)", err, f.func,
	      f.line);
	err = resolve(sz, &fx, libc_malloc, &f);
	check(!err && strcmp(f.func, "malloc") == 0, "exited: malloc still resolves (got %d, %s)",
	      err, f.func);
	err = resolve(sz, &fx, lib_func, &f);
	check(!err && strcmp(f.func, "symfix_lib_func") == 0,
	      "exited: symfix_lib_func still resolves (got %d, %s)", err, f.func);
	symbolizer__forget(sz, pid);
	err = symbolizer__resolve(sz, pid, alpha, &f);
	check(err == -ESRCH, "exited: after forget the pid is gone (got %d)", err);
}

/*
 * A target that has exited but is not reaped yet (a zombie: maptrace, its parent, drains the
 * ring buffer first) lists no mappings.  An address outside those read reads them again; the
 * empty list must not replace them, or every later record goes unnamed.
 */
static void test_zombie(struct symbolizer *sz)
{
	struct fixture fx;
	struct sym_frame f;
	char path[64], st[512];
	__u64 alpha;
	int err, pid, tries;
	FILE *fp;

	err = fixture_start(&fx, "fix_pie", NULL, NULL);
	check(!err, "zombie: fixture started (%d)", err);
	if (err) {
		fixture_stop(&fx);
		return;
	}
	pid = fx.pid;
	alpha = fixture_get(&fx, "fixture_alpha");
	err = symbolizer__resolve(sz, pid, 0, &f);
	check(err == -ENOENT, "zombie: priming with address 0 gives -ENOENT (got %d)", err);
	fclose(fx.in); /* end of input: the fixture exits; not reaped until fixture_stop */
	fx.in = NULL;
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	for (tries = 0, st[0] = 0; tries < 1000 && !strstr(st, ") Z "); tries++) {
		fp = fopen(path, "r");
		if (!fp || !fgets(st, sizeof(st), fp))
			st[0] = 0;
		if (fp)
			fclose(fp);
		if (!strstr(st, ") Z "))
			usleep(10000);
	}
	check(strstr(st, ") Z ") != NULL, "zombie: fixture %d exited, not reaped", pid);
	err = symbolizer__resolve(sz, pid, 8, &f);
	check(err != 0 && !f.func[0], "zombie: an address in no mapping is unknown (got %d)", err);
	err = symbolizer__resolve(sz, pid, alpha, &f);
	check(!err && strcmp(f.func, "fixture_alpha") == 0,
	      "zombie: fixture_alpha still resolves after that (got %d, %s)", err, f.func);
	fixture_stop(&fx);
	symbolizer__forget(sz, pid);
}

/* symbolizer__prepare()'s filter: libc only, counting what it is offered. */
struct want_libc {
	int offered;
	int libc;
};

static bool want_libc(const char *path, void *ctx)
{
	struct want_libc *w = ctx;

	w->offered++;
	if (!strstr(path, "/libc.so"))
		return false;
	w->libc++;
	return true;
}

#define PREP_ADDRS 96

/*
 * DWARF set up ahead by symbolizer__prepare() resolves libc's code exactly as DWARF set up at
 * the first address does, and both give the innermost file:line llvm-symbolizer reads (it
 * finds libc6-dbg's debug file by build-id on its own).  Not binutils' addr2line: for rows from
 * an #included .c file (strtod_nan_main.c:38) it names the including file (strtod_nan.c:38).
 */
static void test_prepare(void)
{
	struct symbolizer *early = symbolizer__new(NULL), *late = symbolizer__new(NULL);
	char path[PATH_MAX], cmd[6100], line[PATH_MAX], want[PATH_MAX], libc[PATH_MAX], *colon;
	__u64 ip[PREP_ADDRS], base, start, end;
	struct want_libc w = {0};
	struct sym_frame f, g;
	int err, n, i, lines = 0, same = 0, agree = 0, known = 0;
	struct fixture fx;
	FILE *p = NULL;

	err = fixture_start(&fx, "fix_pie", NULL, NULL);
	check(!err && early && late, "prepare: fixture started (%d)", err);
	if (err || !early || !late)
		goto cleanup;
	err = symbolizer__resolve(late, fx.pid, fixture_get(&fx, "malloc"), &f);
	snprintf(libc, sizeof(libc), "%s", f.module);
	base = load_base(fx.pid, libc);
	if (!check(!err && strstr(libc, "/libc.so") && base &&
			   exec_mapping(fx.pid, libc, &start, &end) == 0,
		   "prepare: libc's code found (%s)", libc))
		goto cleanup;
	if (!f.file[0]) {
		check(true, "prepare # SKIP no debug info for libc (install libc6-dbg)");
		goto cleanup;
	}

	n = symbolizer__prepare(early, fx.pid, want_libc, &w);
	check(n == 1 && w.libc >= 1 && w.offered >= w.libc,
	      "prepare: libc's DWARF set up (%d modules; %d code mappings offered, %d libc's)", n,
	      w.offered, w.libc);
	check(symbolizer__prepare(early, fx.pid, want_libc, &w) == 1,
	      "prepare: a second call finds it ready");

	/* addresses spread over libc's code, odd so most are inside an instruction run */
	for (i = 0; i < PREP_ADDRS; i++)
		ip[i] = start + (end - start) / PREP_ADDRS * i + 2 * i + 1;
	snprintf(path, sizeof(path), "%s", tmp_path("prep_addrs"));
	p = fopen(path, "w");
	for (i = 0; p && i < PREP_ADDRS; i++)
		fprintf(p, "%#llx\n", (unsigned long long)(ip[i] - base));
	if (!check(p && fclose(p) == 0, "prepare: addresses written"))
		goto cleanup;
	snprintf(cmd, sizeof(cmd), "llvm-symbolizer --obj=%.3000s < %.3000s", libc, path);
	p = popen(cmd, "r");
	for (i = 0; p && i < PREP_ADDRS; i++) {
		/* per address: function, file:line:column, then inlining callers, a blank line */
		if (!fgets(line, sizeof(line), p) || !fgets(line, sizeof(line), p))
			break;
		line[strcspn(line, "\n")] = '\0';
		snprintf(want, sizeof(want), "%s", line);
		while (fgets(line, sizeof(line), p) && line[0] != '\n')
			;
		err = symbolizer__resolve(early, fx.pid, ip[i], &f) ?:
		      symbolizer__resolve(late, fx.pid, ip[i], &g);
		if (err)
			break;
		same += !strcmp(f.func, g.func) && f.offset == g.offset && f.exact == g.exact &&
			!strcmp(f.file, g.file) && f.line == g.line;
		lines += f.line > 0;
		/* "dir/file.c:LINE:COLUMN"; "??:0:0" when there is no line */
		colon = strrchr(want, ':');
		if (colon)
			*colon = '\0';
		colon = strrchr(want, ':');
		if (!colon || want[0] == '?' || !strcmp(colon, ":0"))
			continue;
		known++;
		*colon = '\0';
		if (f.line == atoi(colon + 1) &&
		    !strcmp(f.file, strrchr(want, '/') ? strrchr(want, '/') + 1 : want))
			agree++;
		else
			diag("%#llx: %s:%d, llvm-symbolizer %s:%s",
			     (unsigned long long)(ip[i] - base), f.file, f.line, want, colon + 1);
	}
	if (p)
		pclose(p);
	check(i == PREP_ADDRS && same == PREP_ADDRS,
	      "prepare: %d of %d libc addresses resolve the same prepared or not (%d with a line)",
	      same, i, lines);
	check(known > PREP_ADDRS / 2 && agree == known,
	      "prepare: %d of the %d lines llvm-symbolizer knows are the same", agree, known);
cleanup:
	fixture_stop(&fx);
	symbolizer__free(early);
	symbolizer__free(late);
}

/* An address on this thread's stack is data ([stack], not executable); main's code is not. */
static void test_data(struct symbolizer *sz)
{
	struct sym_frame f;
	volatile int local = 0;
	int err;

	err = symbolizer__resolve(sz, getpid(), (__u64)(uintptr_t)&local, &f);
	check(!err && f.data && !strcmp(f.module, "[stack]"),
	      "data: a stack address is in [stack], not code (got %d, %s, data=%d)", err, f.module,
	      f.data);
	err = symbolizer__resolve(sz, getpid(), (__u64)(uintptr_t)&test_data, &f);
	check(!err && !f.data, "data: a function of the test is code (got %d, %s, data=%d)", err,
	      f.func, f.data);
}

static void test_errors(struct symbolizer *sz)
{
	struct sym_frame f;
	int err;

	err = symbolizer__resolve(sz, 0x7fffffff, 0x1000, &f);
	check(err == -ESRCH, "errors: a missing pid gives -ESRCH (got %d)", err);
	err = symbolizer__resolve(sz, getpid(), 0x1000, NULL);
	check(err == -EINVAL, "errors: NULL frame gives -EINVAL (got %d)", err);
	symbolizer__forget(sz, 0x7fffffff);
	check(sym_frame__format(NULL, NULL, 0) == -EINVAL, "errors: format of NULL gives -EINVAL");
}

int main(int argc, char **argv)
{
	const char *src = argc > 1 ? argv[1] : "tests/fixtures";
	struct proc_maps_cache *maps = NULL;
	struct symbolizer *sz = NULL;
	int err;

	/* a fixture dying early must not kill the test through a write to its stdin */
	signal(SIGPIPE, SIG_IGN);
	if (tap_tmpdir(tmpdir, sizeof(tmpdir), "symtest"))
		return 1;
	err = build_fixtures(src);
	check(!err, "fixtures built with gcc in %s (%d)", tmpdir, err);
	if (err)
		goto cleanup;
	/* as maptrace runs it: mappings read through a cache the unwinder would share */
	maps = proc_maps_cache__new();
	sz = symbolizer__new(maps);
	check(maps && sz, "proc_maps_cache__new and symbolizer__new");
	if (!sz)
		goto cleanup;

	test_pie(sz);
	test_nopie(sz);
	test_debuglink(sz, "fix_dbg", "debuglink");
	test_debuglink(sz, "fix_sub", "debuglink-subdir");
	test_nodebug(sz);
	test_dwarf_only(sz);
	test_deleted(sz);
	test_namespace(sz);
	test_exited(sz);
	test_zombie(sz);
	test_prepare();
	test_data(sz);
	test_errors(sz);
cleanup:
	symbolizer__free(sz);
	proc_maps_cache__free(maps);
	tap_rmtree(tmpdir);
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
