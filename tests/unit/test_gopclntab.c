// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Unit test of user/gopclntab.c, and of its use by the symbolizer and elfsym, against oracles
 * that are not this reader:
 *   - tests/progs/go/gomap, built by Debian's Go 1.19 with symbols and stripped: every function
 *     the stripped build's pclntab lists must be a text symbol of `go tool nm` on the build with
 *     symbols, at the same address, and the other way round; every instruction `go tool objdump`
 *     lists must be in the function it lists it under, at its file:line; every function's entry
 *     must have the file:line addr2line reads from the DWARF; `go version` gives the version.
 *     The same for a PIE build (pclntab in .data.rel.ro, loaded at a random address), and for a
 *     copy without section headers (tables found by their magic).
 *   - tsgo and esbuild from npm (Go 1.26, stripped; scripts/go-bins.sh installs them): the version
 *     is the one go1.N.M string `strings` finds in the binary; runtime.goexit, main.main,
 *     internal/runtime/maps.(*table).grow and internal/sync.(*Mutex).lockSlow are found, and
 *     objdump at their entries starts a function (the stack-bound check, goexit's nop).
 *   - all four stripped programs (Go 1.19 plain and PIE, tsgo, esbuild): the Go runtime's own
 *     SIGQUIT traceback (GOTRACEBACK=system) names every frame's function, offset from its
 *     entry and file:line, which pclntab must give for its pc.
 *   - refusals: the Go 1.16-1.17 and 1.2-1.15 magics patched into a copy, a broken header, a
 *     C program, and a C program with the magics in its data (no consistent header).
 *
 * Needs no privileges; needs go, objdump, addr2line, strings, npm (once). Usage: test_gopclntab
 */
#define _GNU_SOURCE
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <elf.h>

#include "elfsym.h"
#include "gopclntab.h"
#include "symbolizer.h"
#include "../tap.h"

#define GOMAP	       ".output/tests/progs/go/gomap"
#define GOMAP_STRIPPED ".output/tests/progs/go/gomap-stripped"
#define GOMAP_PIE      ".output/tests/progs/go/gomap-pie"
#define MAX_SYMS       8192
#define MAX_INSNS      4096 /* main.* instructions kept for the symbolizer check */

struct nm_sym {
	unsigned long long addr;
	char name[256];
	char file[256]; /* addr2line's at the entry, "" when unknown */
	int line;
};

struct insn {
	unsigned long long addr, entry;
	char func[512];
	char file[256];
	int line;
};

static struct nm_sym syms[MAX_SYMS];
static int nsyms;
static struct insn insns[MAX_INSNS];
static int ninsns;
/* the build under test: the one with symbols (oracle) and the stripped one (read) */
static const char *plain_bin, *stripped_bin;

static const char *base(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/*
 * The name the runtime knows a function by, from its ELF symbol (cmd/link): assembly functions
 * of the stack-based ABI0 carry ".abi0" in the ELF symbol table only, and a name with brackets
 * (type arguments; the linker's test also catches an array type's length) has them shortened to
 * "[...]" in pclntab, as runtime.FuncForPC shows it.
 */
static void runtime_name(char *name)
{
	char *open = strchr(name, '['), *close = strrchr(name, ']');
	size_t n = strlen(name);

	if (n > 5 && !strcmp(name + n - 5, ".abi0"))
		name[n - 5] = '\0';
	if (open && close && close > open)
		memmove(open + 4, close, strlen(close) + 1), memcpy(open, "[...", 4);
}

/* The text symbols with a size, by `go tool nm` (the ELF .symtab): what pclntab must list. */
static int load_nm(const char *bin)
{
	char cmd[512], line[1024], name[1024];
	unsigned long long addr, size;
	char type;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "go tool nm -n -size %s", bin);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	while (fgets(line, sizeof(line), p)) {
		if (sscanf(line, " %llx %llu %c %1023[^\n]", &addr, &size, &type, name) != 4)
			continue;
		/* runtime.text and runtime.etext are markers of size 0, not functions */
		if ((type != 'T' && type != 't') || !size || nsyms == MAX_SYMS)
			continue;
		syms[nsyms].addr = addr;
		runtime_name(name);
		snprintf(syms[nsyms].name, sizeof(syms[nsyms].name), "%.255s", name);
		nsyms++;
	}
	return pclose(p) == 0 && nsyms > 0 ? 0 : -1;
}

static void test_functions(struct gopcln *g)
{
	struct gopcln_func f;
	int bad = 0, i;
	int err;

	nsyms = 0;
	err = load_nm(plain_bin);
	check(err == 0, "go tool nm lists the text symbols of %s (%d)", plain_bin, nsyms);
	check(gopcln__nfuncs(g) == (size_t)nsyms,
	      "pclntab of the stripped build has as many functions as nm has text symbols (%zu, "
	      "%d)",
	      gopcln__nfuncs(g), nsyms);
	for (i = 0; i < nsyms && (size_t)i < gopcln__nfuncs(g); i++) {
		if (gopcln__func(g, (size_t)i, &f) || f.entry != syms[i].addr ||
		    strcmp(f.name, syms[i].name)) {
			if (bad++ < 5)
				diag("function %d: pclntab %s at %#llx, nm %s at %#llx", i,
				     f.name ? f.name : "?", (unsigned long long)f.entry,
				     syms[i].name, syms[i].addr);
		}
	}
	check(bad == 0, "every function: same name and entry as nm, in address order (%d differ)",
	      bad);
}

/* Every instruction of `go tool objdump` on the build with symbols, against the stripped one. */
static void test_lines(struct gopcln *g)
{
	char line[1024], func[512] = "", file[256], *sb;
	unsigned long long addr, entry = 0;
	long n = 0, bad_func = 0, bad_line = 0, no_line = 0;
	struct gopcln_func f;
	const char *gfile;
	int ln, gline;
	FILE *p;

	char cmd[512];

	snprintf(cmd, sizeof(cmd), "go tool objdump %s", plain_bin);
	ninsns = 0;
	p = popen(cmd, "r");
	if (!check(p != NULL, "go tool objdump runs"))
		return;
	while (fgets(line, sizeof(line), p)) {
		if (!strncmp(line, "TEXT ", 5)) {
			snprintf(func, sizeof(func), "%.511s", line + 5);
			sb = strstr(func, "(SB)");
			if (sb)
				*sb = '\0';
			runtime_name(func);
			entry = 0;
			continue;
		}
		/* Go 1.19's objdump prints ":0" for a PIE, whose pclntab it cannot find */
		if (sscanf(line, " :%d %llx", &ln, &addr) == 2)
			file[0] = '\0';
		else if (sscanf(line, " %255[^:]:%d %llx", file, &ln, &addr) != 3)
			continue;
		if (!entry)
			entry = addr;
		n++;
		no_line += !file[0];
		if (gopcln__find_pc(g, addr, &f) || strcmp(f.name, func)) {
			if (bad_func++ < 5)
				diag("%#llx: objdump %s, pclntab %s", addr, func,
				     gopcln__find_pc(g, addr, &f) ? "none" : f.name);
			continue;
		}
		if (file[0] && (gopcln__line(g, &f, addr, &gfile, &gline) ||
				strcmp(base(gfile), file) || gline != ln)) {
			if (bad_line++ < 5)
				diag("%#llx in %s: objdump %s:%d", addr, func, file, ln);
			continue;
		}
		if (!strncmp(func, "main.", 5) && ninsns < MAX_INSNS) {
			struct insn *in = &insns[ninsns++];

			in->addr = addr;
			in->entry = entry;
			snprintf(in->func, sizeof(in->func), "%s", func);
			snprintf(in->file, sizeof(in->file), "%s", file);
			in->line = ln;
		}
	}
	check(pclose(p) == 0 && n > 10000, "go tool objdump lists gomap's instructions (%ld)", n);
	check(bad_func == 0,
	      "every instruction lies in the function objdump lists it under "
	      "(%ld differ)",
	      bad_func);
	if (no_line == n) {
		/* the entries' lines are still checked against addr2line, and by the symbolizer */
		diag("%s: Go 1.19's objdump reads no lines from a PIE's pclntab: its entries' lines "
		     "are checked against addr2line instead", plain_bin);
		return;
	}
	check(no_line == 0 && bad_line == 0,
	      "every instruction has objdump's file:line (%ld differ, %ld without)", bad_line,
	      no_line);
}

/* Each function's entry against addr2line, which reads the DWARF of the build with symbols. */
static void test_addr2line(struct gopcln *g)
{
	char path[] = "/tmp/test_gopclntab.XXXXXX", cmd[256], line[1024];
	int fd = mkstemp(path), i = 0, bad = 0, known = 0, gline, ln;
	struct gopcln_func f;
	const char *gfile;
	FILE *in, *p;
	char *colon;

	if (!check(fd >= 0, "temporary file for addr2line"))
		return;
	in = fdopen(fd, "w");
	for (i = 0; i < nsyms; i++)
		fprintf(in, "%llx\n", syms[i].addr);
	fclose(in);
	snprintf(cmd, sizeof(cmd), "addr2line -e %s < %s", plain_bin, path);
	p = popen(cmd, "r");
	for (i = 0; p && i < nsyms && fgets(line, sizeof(line), p); i++) {
		syms[i].file[0] = '\0';
		line[strcspn(line, " \n")] = '\0';
		colon = strrchr(line, ':');
		if (!colon || line[0] == '?')
			continue; /* no DWARF for it (none are expected; counted below) */
		*colon = '\0';
		ln = atoi(colon + 1);
		known++;
		snprintf(syms[i].file, sizeof(syms[i].file), "%.255s",
			 base(strncmp(line, "./", 2) ? line : line + 2));
		syms[i].line = ln;
		gfile = "";
		gline = 0;
		/* DWARF names a file without a directory "./<autogenerated>"; pclntab does not */
		if (gopcln__find_pc(g, syms[i].addr, &f) ||
		    gopcln__line(g, &f, syms[i].addr, &gfile, &gline) ||
		    strcmp(gfile, strncmp(line, "./", 2) ? line : line + 2) || gline != ln) {
			if (bad++ < 5)
				diag("%s at %#llx: addr2line %s:%d, pclntab %s:%d", syms[i].name,
				     syms[i].addr, line, ln, gfile, gline);
		}
	}
	if (p)
		pclose(p);
	unlink(path);
	check(known == nsyms, "addr2line knows every function's entry (%d of %d)", known, nsyms);
	check(bad == 0, "every entry's full file path and line equal addr2line's (%d differ)", bad);
}

/* `go version BIN` and `go version -m BIN` read the build info with Go's own code. */
static void test_buildinfo(struct gopcln *g)
{
	char cmd[256], out[4096], want[64] = "", mod[256] = "", *s;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "go version -m %s", stripped_bin);
	p = popen(cmd, "r");
	while (p && fgets(out, sizeof(out), p)) {
		if ((s = strstr(out, ": go1.")))
			sscanf(s + 2, "%63s", want);
		else
			sscanf(out, " path %255s", mod);
	}
	if (p)
		pclose(p);
	check(want[0] && !strcmp(gopcln__go_version(g), want), "Go version %s, go version says %s",
	      gopcln__go_version(g), want);
	check(!strcmp(gopcln__version_from(g), ".go.buildinfo"), "version read from %s",
	      gopcln__version_from(g));
	check(gopcln__go_minor(g) == 19, "minor version 19 (%d)", gopcln__go_minor(g));
	check(mod[0] && !strcmp(gopcln__module(g), mod), "module path %s, go version -m says %s",
	      gopcln__module(g), mod);
	check(!strcmp(gopcln__format(g), "Go 1.18-1.19"), "pclntab format %s", gopcln__format(g));
}

/*
 * How far above its link address @bin is loaded in @pid: the start of its mapping at file offset
 * 0 (/proc/PID/maps) less its first PT_LOAD's address (readelf); 0 for a non-PIE.
 */
static unsigned long long load_bias(pid_t pid, const char *bin)
{
	unsigned long long start = 0, end, off, vaddr = 0;
	char cmd[512], line[1024], path[512], want[PATH_MAX];
	FILE *f;

	if (!realpath(bin, want))
		return 0;
	snprintf(cmd, sizeof(cmd), "/proc/%d/maps", (int)pid);
	f = fopen(cmd, "r");
	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx-%llx %*s %llx %*s %*s %511s", &start, &end, &off, path) ==
			    4 &&
		    off == 0 && !strcmp(path, want))
			break;
		start = 0;
	}
	if (f)
		fclose(f);
	snprintf(cmd, sizeof(cmd), "readelf -lW %s | awk '$1 == \"LOAD\" { print $3; exit }'", bin);
	f = popen(cmd, "r");
	if (f && fscanf(f, "%llx", &vaddr) != 1)
		vaddr = 0;
	if (f)
		pclose(f);
	return start - vaddr;
}

/* A live stripped gomap: the symbolizer names main.*'s instructions as objdump does. */
static void test_symbolizer(void)
{
	int in[2], outp[2], bad = 0, i, st;
	struct symbolizer *sz = symbolizer__new(NULL);
	unsigned long long bias;
	struct sym_frame fr;
	char buf[256];
	pid_t pid;

	if (!check(sz && pipe(in) == 0 && pipe(outp) == 0, "symbolizer and pipes"))
		return;
	pid = fork();
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(outp[1], 1);
		close(in[1]);
		close(outp[0]);
		setenv("GOMAP_WAIT", "1", 1);
		execl(stripped_bin, stripped_bin, "1000", (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(outp[1]);
	/* it has run main's work once its last line is out; then it waits for our EOF */
	for (size_t used = 0; used < sizeof(buf) - 1;) {
		ssize_t n = read(outp[0], buf + used, sizeof(buf) - 1 - used);

		if (n <= 0)
			break;
		used += (size_t)n;
		buf[used] = '\0';
		if (strstr(buf, "locked"))
			break;
	}
	check(strstr(buf, "locked 4000") != NULL, "%s ran its work and waits", stripped_bin);
	bias = load_bias(pid, stripped_bin);
	for (i = 0; i < ninsns; i++) {
		if (symbolizer__resolve(sz, pid, insns[i].addr + bias, &fr) ||
		    strcmp(fr.func, insns[i].func) || fr.offset != insns[i].addr - insns[i].entry ||
		    !fr.exact ||
		    (insns[i].file[0] &&
		     (strcmp(fr.file, insns[i].file) || fr.line != insns[i].line))) {
			if (bad++ < 5)
				diag("%#llx: want %s+%#llx %s:%d, got %s+%#llx %s:%d",
				     insns[i].addr, insns[i].func, insns[i].addr - insns[i].entry,
				     insns[i].file, insns[i].line, fr.func,
				     (unsigned long long)fr.offset, fr.file, fr.line);
		}
	}
	check(ninsns > 50 && bad == 0,
	      "symbolizer on the live %s (loaded %#llx above its link address): %d main.* "
	      "instructions named, offset (and file:line where it has them) as objdump (%d differ)",
	      stripped_bin, bias, ninsns, bad);
	bad = 0;
	for (i = 0; i < nsyms; i++) {
		if (symbolizer__resolve(sz, pid, syms[i].addr + bias, &fr) ||
		    strcmp(fr.func, syms[i].name) || fr.offset || !fr.exact || !syms[i].file[0] ||
		    strcmp(fr.file, syms[i].file) || fr.line != syms[i].line) {
			if (bad++ < 5)
				diag("%#llx: want %s %s:%d, got %s+%#llx %s:%d", syms[i].addr,
				     syms[i].name, syms[i].file, syms[i].line, fr.func,
				     (unsigned long long)fr.offset, fr.file, fr.line);
		}
	}
	check(nsyms > 1000 && bad == 0,
	      "symbolizer on the live %s: all %d function entries named as nm, at addr2line's "
	      "file:line (%d differ)",
	      stripped_bin, nsyms, bad);
	close(in[1]);
	close(outp[0]);
	check(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s exits 0",
	      stripped_bin);
	symbolizer__free(sz);
}

/* elfsym__find() by Go name in the stripped build, against the symtab of the other build. */
static void test_elfsym(void)
{
	static const char *names[] = {"runtime.hashGrow", "sync.(*Mutex).lockSlow", "main.fill",
				      "runtime.evacuate"};
	struct elfsym_file *plain = NULL, *stripped = NULL;
	struct elfsym_sym a, b;

	if (!check(elfsym__open(GOMAP, "", &plain) == 0 &&
			   elfsym__open(GOMAP_STRIPPED, "", &stripped) == 0,
		   "elfsym opens both builds"))
		goto out;
	check(elfsym__stripped(stripped) && !elfsym__stripped(plain), "only one build is stripped");
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		int e1 = elfsym__find(plain, names[i], &a),
		    e2 = elfsym__find(stripped, names[i], &b);

		check(!e1 && !e2 && !strcmp(a.where, "symtab") && !strcmp(b.where, "gopclntab") &&
			      a.vaddr == b.vaddr && a.file_offset == b.file_offset &&
			      b.size >= a.size && a.code_len == b.code_len &&
			      !memcmp(a.code, b.code, (size_t)a.code_len),
		      "elfsym finds %s in the stripped build through %s at %#llx, as the symtab "
		      "says (%#llx, offset %#llx)",
		      names[i], b.where, (unsigned long long)b.vaddr, (unsigned long long)a.vaddr,
		      (unsigned long long)a.file_offset);
	}
	check(elfsym__find(stripped, "main.no_such_function", &b) == -ENOENT,
	      "an unknown Go name is -ENOENT");
out:
	elfsym__close(plain);
	elfsym__close(stripped);
}

/* The one go1.N[.M] string that `strings` finds alone on a line of the binary. */
static int strings_version(const char *bin, char *out, size_t len)
{
	char cmd[1024], line[128];
	int n = 0;

	out[0] = '\0';
	FILE *p;

	snprintf(cmd, sizeof(cmd),
		 "strings -n 6 '%s' | grep -xE 'go1\\.[0-9]+(\\.[0-9]+)?' | sort -u", bin);
	p = popen(cmd, "r");
	while (p && fgets(line, sizeof(line), p)) {
		line[strcspn(line, "\n")] = '\0';
		snprintf(out, len, "%s", line);
		n++;
	}
	if (p)
		pclose(p);
	return n;
}

/* The first instructions at @addr, by objdump. */
static void disasm(const char *bin, unsigned long long addr, char *out, size_t len)
{
	char cmd[1024], line[256];
	size_t used = 0;
	FILE *p;

	out[0] = '\0';
	snprintf(cmd, sizeof(cmd),
		 "objdump -d --no-show-raw-insn --start-address=%#llx --stop-address=%#llx '%s'",
		 addr, addr + 12, bin);
	p = popen(cmd, "r");
	while (p && fgets(line, sizeof(line), p)) {
		char *tab = strchr(line, '\t');

		if (!strstr(line, ":\t") || !tab)
			continue;
		line[strcspn(line, "\n")] = '\0';
		used += (size_t)snprintf(out + used, len > used ? len - used : 0, "%s; ", tab + 1);
	}
	if (p)
		pclose(p);
}

static void squeeze(char *s)
{
	char *d = s;

	for (; *s; s++)
		if (*s != ' ')
			*d++ = *s;
	*d = '\0';
}

/* Is a thread of @pid blocked in read(0, ...): has the program got as far as its input? */
static bool reads_stdin(pid_t pid)
{
	char path[128], line[256];
	bool found = false;
	struct dirent *d;
	DIR *dir;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	dir = opendir(path);
	while (dir && !found && (d = readdir(dir))) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%.32s/syscall", (int)pid, d->d_name);
		f = fopen(path, "r");
		/* syscall 0 (read) with first argument 0 (stdin) */
		if (f && fgets(line, sizeof(line), f) && !strncmp(line, "0 0x0 ", 6))
			found = true;
		if (f)
			fclose(f);
	}
	if (dir)
		closedir(dir);
	return found;
}

/* Has @pid installed a handler for SIGQUIT (its runtime is up)?  From /proc/PID/status. */
static bool catches_sigquit(pid_t pid)
{
	unsigned long long mask = 0;
	char path[64], line[256];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "SigCgt: %llx", &mask) == 1)
			break;
	if (f)
		fclose(f);
	return mask & (1ull << (SIGQUIT - 1));
}

/*
 * The Go runtime's own traceback as the oracle: @bin (waiting on its stdin) gets SIGQUIT with
 * GOTRACEBACK=system and prints every goroutine's frames with function name, file:line, the
 * offset from the function's entry and the pc.  Each frame with a pc must be the function
 * pclntab finds there, at that offset, and have its file:line: that of the first inlined call
 * printed above it when there is one, else its own; looked up at pc - 1 for a return address,
 * at pc for the signal's own PC, as the runtime does.
 */
static void test_traceback(const char *label, struct gopcln *g, char *const argv[])
{
	char line[2048], name[1024] = "", file[1024], inl_file[1024] = "", printed[1024] = "";
	unsigned long long sigpc = 0, pc, off, bias;
	int in[2], err[2], ln, inl_line = 0, st, frames = 0, bad = 0;
	bool have_inl = false;
	struct gopcln_func f;
	const char *gfile;
	int gline;
	FILE *tb;
	pid_t pid;

	if (!check(pipe(in) == 0 && pipe(err) == 0, "%s: pipes", label))
		return;
	pid = fork();
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(err[1], 2);
		if (freopen("/dev/null", "w", stdout) == NULL)
			_exit(127);
		close(in[1]);
		close(err[0]);
		setenv("GOTRACEBACK", "system", 1);
		setenv("GOMAP_WAIT", "1", 1); /* gomap: wait for end of input */
		execv(argv[0], argv);
		_exit(127);
	}
	close(in[0]);
	close(err[1]);
	/* its runtime has started every goroutine and handles SIGQUIT (polled; no time limit is
	 * asserted: a slow start only makes the test wait) */
	for (int i = 0; i < 3000 && !(catches_sigquit(pid) && reads_stdin(pid)); i++)
		usleep(10000);
	/* a PIE prints run-time pcs; pclntab speaks link-time addresses */
	bias = load_bias(pid, argv[0]);
	kill(pid, SIGQUIT);
	tb = fdopen(err[0], "r");
	while (tb && fgets(line, sizeof(line), tb)) {
		char *p, *paren;

		line[strcspn(line, "\n")] = '\0';
		if (sscanf(line, "PC=%llx", &sigpc) == 1) {
			sigpc -= bias;
			continue;
		}
		if (line[0] != '\t') {
			/* a function line; or a goroutine header, "created by" or blank, which end
			 * a frame, and any inlined call pending in it */
			paren = strrchr(line, '(');
			name[0] = '\0';
			if (paren && strncmp(line, "goroutine ", 10) &&
			    strncmp(line, "created by", 10))
				snprintf(name, sizeof(name), "%.*s", (int)(paren - line), line);
			else
				have_inl = false;
			continue;
		}
		if (sscanf(line + 1, "%1023[^:]:%d", file, &ln) != 2 || !name[0])
			continue;
		p = strstr(line, " pc=0x");
		if (!p) {
			if (!strstr(line, " +0x") && !have_inl) {
				/* inlined: the innermost call's position is the pc's */
				snprintf(inl_file, sizeof(inl_file), "%s", file);
				inl_line = ln;
				have_inl = true;
			}
			continue;
		}
		pc = strtoull(p + 6, NULL, 16) - bias;
		p = strstr(line, " +0x");
		off = p ? strtoull(p + 4, NULL, 16) : ~0ull;
		frames++;
		if (!gopcln__find_pc(g, pc, &f))
			snprintf(printed, sizeof(printed), "%s", f.name);
		/* the runtime prints type arguments as [...]; Go 1.21+ pclntab has them in full */
		runtime_name(printed);
		if (gopcln__find_pc(g, pc, &f) || strcmp(printed, name) || pc - f.entry != off ||
		    gopcln__line(g, &f, pc == sigpc ? pc : pc - 1, &gfile, &gline) ||
		    strcmp(gfile, have_inl ? inl_file : file) ||
		    gline != (have_inl ? inl_line : ln)) {
			if (bad++ < 5)
				diag("%s: %s at %#llx +%#llx %s:%d", label, name, pc, off,
				     have_inl ? inl_file : file, have_inl ? inl_line : ln);
		}
		have_inl = false;
	}
	if (tb)
		fclose(tb);
	close(in[1]);
	waitpid(pid, &st, 0);
	check(frames >= 10 && bad == 0,
	      "%s: all %d frames of the runtime's own SIGQUIT traceback: function, offset and "
	      "file:line as pclntab gives them (%d differ)",
	      label, frames, bad);
}

/*
 * esbuild has no build info, so its version comes from the runtime.buildVersion string, found
 * by its shape.  A second, different go1.N.M string of that shape in its read-only data must
 * make the version unknown rather than a guess.
 */
static void test_version_conflict(const char *bin)
{
	char path[] = "/tmp/test_gopclntab.XXXXXX", cmd[1200];
	static const char other[] = "\0go1.99.1"; /* with its NUL, 10 bytes */
	unsigned char *buf = NULL, *at = NULL;
	struct gopcln *g = NULL;
	long size = 0;
	int fd, err;
	FILE *f;

	fd = mkstemp(path);
	snprintf(cmd, sizeof(cmd), "cp '%s' %s", bin, path);
	if (!check(fd >= 0 && system(cmd) == 0, "a copy of esbuild"))
		goto out;
	f = fopen(path, "r+");
	if (f && fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) > 0 && (buf = malloc(size))) {
		rewind(f);
		/* the real string, then 16 bytes of NUL padding: the other one goes right after
		 * it, still in the read-only data, still NUL before and after */
		if (fread(buf, 1, (size_t)size, f) == (size_t)size)
			at = memmem(buf, (size_t)size, "\0go1.", 5);
		if (at && at + 32 + sizeof(other) < buf + size) {
			fseek(f, (at - buf) + 24, SEEK_SET);
			fwrite(other, 1, sizeof(other), f);
		} else {
			at = NULL;
		}
	}
	if (f)
		fclose(f);
	if (!check(at != NULL, "esbuild's version string found and a second one written"))
		goto out;
	err = gopcln__open(path, &g, NULL, 0);
	check(err == 0 && !strcmp(gopcln__go_version(g), "") &&
		      !strcmp(gopcln__version_from(g), ""),
	      "two different buildVersion-shaped strings: the version is unknown (%d \"%s\")", err,
	      gopcln__go_version(g));
out:
	gopcln__close(g);
	free(buf);
	if (fd >= 0)
		close(fd);
	unlink(path);
}

static void test_go126(const char *label, const char *bin)
{
	static const char *names[] = {"main.main", "internal/runtime/maps.(*table).grow",
				      "internal/sync.(*Mutex).lockSlow", "runtime.goexit"};
	char why[256], want[128] = "", code[512];
	struct gopcln_func f, at, after;
	struct gopcln *g = NULL;
	int err;

	err = gopcln__open(bin, &g, why, sizeof(why));
	if (!check(err == 0, "%s: pclntab read (%d %s)", label, err, why))
		return;
	check(strings_version(bin, want, sizeof(want)) == 1 && !strcmp(gopcln__go_version(g), want),
	      "%s: Go version %s (from %s), strings finds %s", label, gopcln__go_version(g),
	      gopcln__version_from(g), want);
	check(gopcln__go_minor(g) >= 24 && !strcmp(gopcln__format(g), "Go 1.20+"),
	      "%s: format %s, minor %d", label, gopcln__format(g), gopcln__go_minor(g));
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		bool goexit = !strcmp(names[i], "runtime.goexit");

		if (!check(gopcln__find_name(g, names[i], &f) == 0, "%s: %s found", label,
			   names[i]))
			continue;
		disasm(bin, f.entry, code, sizeof(code));
		squeeze(code);
		/* Go code starts with the stack-bound check; goexit (assembly) with a nop */
		check(goexit ? !strncmp(code, "nop;call", 8)
			     : !strncmp(code, "cmp0x10(%r14),%rsp;", 19) ||
				       (!strncmp(code, "lea", 3) &&
					strstr(code, "cmp0x10(%r14),%r12;")),
		      "%s: %s at %#llx starts a function: %s", label, names[i],
		      (unsigned long long)f.entry, code);
		check(!gopcln__find_pc(g, f.end - 1, &at) && at.entry == f.entry &&
			      !gopcln__find_pc(g, f.end, &after) && after.entry == f.end &&
			      strcmp(after.name, f.name),
		      "%s: %s covers [%#llx, %#llx), the next function starts there", label,
		      names[i], (unsigned long long)f.entry, (unsigned long long)f.end);
	}
	gopcln__close(g);
}

/* A copy of the stripped gomap with @magic where its pclntab's is. */
static int patched(const char *dir, unsigned int magic, char *path, size_t len)
{
	static const unsigned char want[] = {0xf0, 0xff, 0xff, 0xff, 0, 0, 1, 8};
	char cmd[1024];
	char *buf;
	long size;
	FILE *f;
	int ok;

	snprintf(path, len, "%s/gomap-%08x", dir, magic);
	snprintf(cmd, sizeof(cmd), "cp %s %s", GOMAP_STRIPPED, path);
	if (system(cmd) != 0 || !(f = fopen(path, "r+")))
		return -1;
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	buf = malloc((size_t)size);
	rewind(f);
	ok = buf && fread(buf, 1, (size_t)size, f) == (size_t)size;
	for (long i = 0; ok && i + 8 <= size; i += 8) {
		if (!memcmp(buf + i, want, sizeof(want))) {
			fseek(f, i, SEEK_SET);
			fwrite(&magic, 4, 1, f); /* little-endian host and file */
			break;
		}
	}
	free(buf);
	fclose(f);
	return ok ? 0 : -1;
}

/*
 * A C program whose read-only data holds a pclntab's first eight bytes by chance (each magic,
 * then what follows in a real header) but no consistent header after them, and no .gopclntab
 * section: not Go.  Taking it for Go would cost it its symbols and its return probes.
 */
static void test_lookalikes(const char *dir)
{
	static const unsigned int magics[] = {0xfffffff0, 0xfffffff1, 0xfffffffa, 0xfffffffb};
	char src[512], bin[512], cmd[1200], why[256];
	struct gopcln *g = NULL;
	FILE *f;
	int err;

	snprintf(src, sizeof(src), "%s/lookalike.c", dir);
	snprintf(bin, sizeof(bin), "%s/lookalike", dir);
	f = fopen(src, "w");
	if (!check(f != NULL, "lookalike source written"))
		return;
	fputs("#include <stdio.h>\n", f);
	for (size_t i = 0; i < sizeof(magics) / sizeof(magics[0]); i++)
		fprintf(f,
			"__attribute__((used, aligned(16))) static const unsigned char look%zu[] = "
			"{0x%02x, 0xff, 0xff, 0xff, 0, 0, 1, 8, 7, 0, 0, 0, 0, 0, 0, 0, 3, 2, "
			"1};\n",
			i, magics[i] & 0xff);
	fputs("int main(void) { return 0; }\n", f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "gcc -O0 -o %s %s", bin, src);
	if (!check(system(cmd) == 0, "lookalike built with gcc"))
		return;
	err = gopcln__open(bin, &g, why, sizeof(why));
	check(err == -ENOENT,
	      "a C program with pclntab magics in its data but no consistent header: not Go "
	      "(%d %s)",
	      err, why);
	gopcln__close(g);
}

static void test_refusals(void)
{
	char dir[] = "/tmp/test_gopclntab.XXXXXX", path[512], why[256];
	struct gopcln *g = NULL;
	int err;

	if (!check(mkdtemp(dir) != NULL, "temporary directory"))
		return;
	if (patched(dir, 0xfffffffa, path, sizeof(path)) == 0) {
		err = gopcln__open(path, &g, why, sizeof(why));
		check(err == -ENOTSUP && strstr(why, "Go 1.16-1.17") && strstr(why, "0xfffffffa") &&
			      !strchr(why, '\n'),
		      "a Go 1.16 pclntab is refused by name: %d \"%s\"", err, why);
		gopcln__close(g);
	}
	if (patched(dir, 0xfffffffb, path, sizeof(path)) == 0) {
		err = gopcln__open(path, &g, why, sizeof(why));
		check(err == -ENOTSUP && strstr(why, "Go 1.2-1.15"),
		      "a Go 1.2 pclntab is refused by name: %d \"%s\"", err, why);
		gopcln__close(g);
	}
	if (patched(dir, 0x12345678, path, sizeof(path)) == 0) {
		err = gopcln__open(path, &g, why, sizeof(why));
		check(err == -EINVAL, "a .gopclntab without a known header is -EINVAL (%d)", err);
		gopcln__close(g);
	}
	err = gopcln__open("/proc/self/exe", &g, why, sizeof(why));
	check(err == -ENOENT, "a C program has no pclntab: -ENOENT (%d)", err);
	gopcln__close(g);
	test_lookalikes(dir);
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	if (system(path) != 0)
		diag("cannot remove %s", dir);
}

/*
 * A copy of the stripped build without section headers (e_shoff, e_shnum, e_shstrndx zeroed):
 * pclntab and build info must then be found by their magic in the segments, with the same
 * result as through the sections.
 */
static void test_no_sections(void)
{
	char path[] = "/tmp/test_gopclntab.XXXXXX", why[256];
	struct gopcln *a = NULL, *b = NULL;
	struct gopcln_func fa, fb;
	const char *filea, *fileb;
	int fd, err, bad = 0, la, lb;
	Elf64_Ehdr eh;
	char cmd[512];
	size_t i;

	fd = mkstemp(path);
	snprintf(cmd, sizeof(cmd), "cp %s %s", GOMAP_STRIPPED, path);
	if (!check(fd >= 0 && system(cmd) == 0 && pread(fd, &eh, sizeof(eh), 0) == sizeof(eh),
		   "a copy of gomap-stripped"))
		goto out;
	eh.e_shoff = 0;
	eh.e_shnum = 0;
	eh.e_shstrndx = 0;
	if (!check(pwrite(fd, &eh, sizeof(eh), 0) == sizeof(eh), "section headers removed"))
		goto out;
	err = gopcln__open(path, &b, why, sizeof(why));
	if (!check(err == 0 && gopcln__open(GOMAP_STRIPPED, &a, why, sizeof(why)) == 0,
		   "without section headers: pclntab found by its magic (%d %s)", err, why))
		goto out;
	check(!strcmp(gopcln__go_version(b), gopcln__go_version(a)) &&
		      !strcmp(gopcln__version_from(b), ".go.buildinfo") &&
		      !strcmp(gopcln__module(b), gopcln__module(a)),
	      "without section headers: build info found by its magic (%s, %s)",
	      gopcln__go_version(b), gopcln__module(b));
	for (i = 0; i < gopcln__nfuncs(a); i++) {
		if (gopcln__func(a, i, &fa) || gopcln__func(b, i, &fb) || fa.entry != fb.entry ||
		    fa.end != fb.end || strcmp(fa.name, fb.name) ||
		    gopcln__line(a, &fa, fa.entry, &filea, &la) ||
		    gopcln__line(b, &fb, fb.entry, &fileb, &lb) || strcmp(filea, fileb) || la != lb)
			bad++;
	}
	check(gopcln__nfuncs(a) == gopcln__nfuncs(b) && bad == 0,
	      "without section headers: the same %zu functions, entries and lines (%d differ)",
	      gopcln__nfuncs(b), bad);
out:
	gopcln__close(a);
	gopcln__close(b);
	if (fd >= 0)
		close(fd);
	unlink(path);
}

/* One build of gomap: the stripped one read, the one with symbols as the oracle. */
static void test_build(const char *plain)
{
	static char stripped[512];
	struct gopcln *g = NULL;
	char why[256];
	int err;

	plain_bin = plain;
	snprintf(stripped, sizeof(stripped), "%s-stripped", plain);
	stripped_bin = stripped;
	err = gopcln__open(stripped_bin, &g, why, sizeof(why));
	if (!check(err == 0, "%s: pclntab read (%d %s); make test-build builds it", stripped_bin,
		   err, why))
		return;
	test_buildinfo(g);
	test_functions(g);
	test_lines(g);
	test_addr2line(g);
	{
		char *argv[] = {stripped, "1000", NULL};

		test_traceback(stripped, g, argv);
	}
	gopcln__close(g);
	test_symbolizer();
}

int main(void)
{
	char bins[2][1024] = {{0}};
	FILE *p;

	/* go tool writes its cache there; keep it out of $HOME */
	setenv("GOCACHE", ".output/go/cache", 0);
	test_build(GOMAP);
	test_build(GOMAP_PIE);
	test_no_sections();
	test_elfsym();
	test_refusals();

	p = popen("scripts/go-bins.sh --print", "r");
	for (int i = 0; p && i < 2 && fgets(bins[i], sizeof(bins[i]), p); i++)
		bins[i][strcspn(bins[i], "\n")] = '\0';
	if (check(p && pclose(p) == 0 && bins[1][0],
		  "scripts/go-bins.sh installs tsgo and esbuild (npm)")) {
		char ver[64] = "", svc[1100];
		char *tsgo[] = {bins[0], "--lsp", "--stdio", NULL};
		char *esbuild[] = {bins[1], svc, "--ping", NULL};
		struct gopcln *g = NULL;

		test_go126("tsgo", bins[0]);
		test_go126("esbuild", bins[1]);
		test_version_conflict(bins[1]);
		if (gopcln__open(bins[0], &g, NULL, 0) == 0)
			test_traceback("tsgo", g, tsgo);
		gopcln__close(g);
		g = NULL;
		/* esbuild's service mode wants its own version */
		snprintf(svc, sizeof(svc), "%s --version", bins[1]);
		p = popen(svc, "r");
		if (p && fgets(ver, sizeof(ver), p))
			ver[strcspn(ver, "\n")] = '\0';
		if (p)
			pclose(p);
		snprintf(svc, sizeof(svc), "--service=%s", ver);
		if (gopcln__open(bins[1], &g, NULL, 0) == 0)
			test_traceback("esbuild", g, esbuild);
		gopcln__close(g);
	}
	return tap_exit();
}
