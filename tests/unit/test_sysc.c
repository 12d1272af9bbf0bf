// SPDX-License-Identifier: MIT
/*
 * Unit test of user/sysc.c: which syscall instructions are futex and exit_group sites, and where
 * they are probed.
 *
 * A fixture library built at test time holds one shape each, in inline assembly, with a label
 * on every syscall instruction: the number moved straight into %eax; through another register;
 * through a register kept across a loop back to the call; a wake (FUTEX_WAKE_PRIVATE in %esi:
 * no enter probe); two paths that bring different
 * numbers (unknown: no site); a jump onto the syscall itself (no site: the instruction before
 * it might not run); a call nobody watches (getpid); exit_group.  Expected addresses come from
 * nm, the instructions around each syscall from objdump: tools independent of capstone and of
 * maptrace.  Then the system's libc: every syscall that objdump shows right after a move of 202
 * into %eax is a futex site, syscall() is the generic one, _exit makes exit_group; and a Go
 * program's runtime.futex and runtime.exit, plain and stripped.  Calls of syscall() (a second
 * fixture, with and without -fno-plt, and the system's GLib): each whose number objdump shows
 * as a constant futex is a site on the call itself, the others are counted.
 *
 * Needs gcc, nm and objdump, and the Go test programs (make test-build).
 * Usage: test_sysc [GO_PROGRAM GO_PROGRAM_STRIPPED]   (default: the tests' gogrow, from the
 * repository's top directory)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "elfsym.h"
#include "sysc.h"
#include "../tap.h"

#define LIBC "/lib/x86_64-linux-gnu/libc.so.6"

static const char fixture_src[] =
	"#define N __attribute__((noipa))\n"
	"#define SC \"rcx\", \"r11\", \"r8\", \"r9\", \"memory\"\n"
	"N long fx_direct(long a) { long r; asm volatile(\"mov $202, %%eax\\n\\t"
	"  .globl sc_direct\\nsc_direct: syscall\" : \"=a\"(r) : \"D\"(a) : SC); return r; }\n"
	"N long fx_hop(long a) { long r; asm volatile(\"mov $202, %%r8d\\n\\txor %%r10d, "
	"%%r10d\\n\\t"
	"  mov %%r8d, %%eax\\n\\t.globl sc_hop\\nsc_hop: syscall\" : \"=a\"(r) : \"D\"(a) : SC, "
	"\"r10\");"
	"  return r; }\n"
	"N long fx_loop(long a) { long r; asm volatile(\"mov $202, %%r9d\\n1:\\tmov %%r9d, "
	"%%eax\\n\\t"
	"  .globl sc_loop\\nsc_loop: syscall\\n\\tcmp $-11, %%eax\\n\\tje 1b\" : \"=a\"(r) : "
	"\"D\"(a)"
	"  : SC); return r; }\n"
	"N long fx_two(long a) { long r; asm volatile(\"test %%edi, %%edi\\n\\tje 1f\\n\\t"
	"  mov $202, %%eax\\n\\tjmp 2f\\n1:\\tmov $231, %%eax\\n2:\\tnop\\n\\t"
	"  .globl sc_two\\nsc_two: syscall\" : \"=a\"(r) : \"D\"(a) : SC); return r; }\n"
	"N long fx_jumped(long a) { long r; asm volatile(\"mov $202, %%eax\\n\\ttest %%edi, "
	"%%edi\\n\\t"
	"  jne sc_jumped\\n\\tnop\\n\\t.globl sc_jumped\\nsc_jumped: syscall\" : \"=a\"(r) : "
	"\"D\"(a)"
	"  : SC); return r; }\n"
	"N long fx_wake(long a) { long r; asm volatile(\"mov $0x81, %%esi\\n\\tmov $202, "
	"%%eax\\n\\t"
	"  .globl sc_wake\\nsc_wake: syscall\\n\\ttest %%eax, %%eax\\n\\tjne 1f\\n\\tnop\\n1:\" : "
	"  \"=a\"(r) : \"D\"(a) : SC, \"rsi\"); return r; }\n"
	"N long fx_getpid(void) { long r; asm volatile(\"mov $39, %%eax\\n\\t"
	"  .globl sc_getpid\\nsc_getpid: syscall\" : \"=a\"(r) : : SC); return r; }\n"
	"N void fx_exit(int c) { asm volatile(\"mov $231, %%eax\\n\\t"
	"  .globl sc_exit\\nsc_exit: syscall\\n\\thlt\" : : \"D\"(c) : SC); }\n";

/*
 * Calls of libc's syscall(): two futex calls whose number and operation are constants (one a
 * tail call, one not), one of another number, one whose number is the caller's argument, and
 * one through a pointer (its address loaded from the GOT: a call that cannot be seen).
 */
static const char callers_src[] =
	"#include <unistd.h>\n"
	"#define N __attribute__((noipa))\n"
	"N long cl_wait(int *w) { return syscall(202, w, 0x80, 2, 0); }\n"
	"N long cl_wake(int *w) { return syscall(202, w, 0x81, 1) + 1; }\n"
	"N long cl_pid(void) { return syscall(39) + 1; }\n"
	"N long cl_any(long nr, int *w) { return syscall(nr, w, 0) + 1; }\n"
	"N long cl_ptr(int *w) { long (*volatile f)(long, ...) = syscall; return f(202, w, 1); }\n";

static char dir[] = "/tmp/test_sysc.XXXXXX";

static int sh(const char *cmd)
{
	int rc = system(cmd);

	return rc == -1 ? -1 : WEXITSTATUS(rc);
}

/* The address nm gives @sym in @path, 0 when none. */
static __u64 nm_addr(const char *path, const char *sym)
{
	char cmd[600], line[256];
	__u64 addr = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "nm %s 2>/dev/null | awk '$3 == \"%s\" { print $1 }'", path,
		 sym);
	p = popen(cmd, "r");
	if (p && fgets(line, sizeof(line), p))
		addr = strtoull(line, NULL, 16);
	if (p)
		pclose(p);
	return addr;
}

/*
 * objdump's instructions of @path: for the one at @addr, the addresses of the one before and
 * of the one @skip instructions past the next.  Return: 0, -1 when objdump lists no
 * instruction at @addr.
 */
static int neighbours(const char *path, __u64 addr, int skip, __u64 *before, __u64 *after)
{
	char cmd[600], line[512];
	__u64 prev = 0, a;
	bool found = false;
	FILE *p;

	snprintf(cmd, sizeof(cmd),
		 "objdump -d --no-show-raw-insn --start-address=%#llx "
		 "--stop-address=%#llx %s",
		 (unsigned long long)(addr - 32), (unsigned long long)(addr + 16), path);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	while (fgets(line, sizeof(line), p)) {
		if (sscanf(line, " %llx:", (unsigned long long *)&a) != 1 || !strchr(line, '\t'))
			continue;
		if (found && skip-- == 0) {
			*after = a;
			pclose(p);
			return 0;
		}
		if (a == addr) {
			*before = prev;
			found = true;
		}
		prev = a;
	}
	pclose(p);
	return -1;
}

static const struct sysc_site *site_at(const struct sysc_site *s, int n, __u64 vaddr)
{
	for (int i = 0; i < n; i++)
		if (s[i].vaddr == vaddr)
			return &s[i];
	return NULL;
}

static int find(const char *path, struct sysc_site **s, int *n, struct sysc_stats *st)
{
	static const int nrs[] = {202, 231};
	static const char *const generic[] = {"syscall", NULL};
	struct elfsym_file *ef;
	int err = elfsym__open(path, "", &ef);

	if (err)
		return err;
	err = sysc__find(ef, path, nrs, 2, generic, s, n, st);
	elfsym__close(ef);
	return err;
}

/*
 * The site of the syscall labelled @label: its number, a wake or not, entered at the
 * instruction objdump lists before it and left at the one @skip past the next (a jump the
 * kernel emulates, where those between keep the registers).
 */
static void check_site(const char *so, const struct sysc_site *s, int n, const char *label,
		       int want_nr, int skip, bool wake)
{
	__u64 addr = nm_addr(so, label), before = 0, after = 0;
	const struct sysc_site *got = site_at(s, n, addr);

	if (want_nr == 0) {
		check(addr && !got, "%s (%#llx) is no site", label, (unsigned long long)addr);
		return;
	}
	check(got && got->nr == want_nr && got->wake == wake,
	      "%s (%#llx): a site of call %d, %sa wake (got %d, %d)", label,
	      (unsigned long long)addr, want_nr, wake ? "" : "not ", got ? got->nr : -99,
	      got ? got->wake : -1);
	if (!got || neighbours(so, addr, skip, &before, &after)) {
		check(0, "%s: objdump lists the instructions around it", label);
		return;
	}
	/* the fixture's text is mapped at its file offset (vaddr == offset in a small .so) */
	check(got->enter_off == before && got->exit_off == after && got->exit_clean,
	      "%s: probed at %#llx and %#llx, as objdump lists the instructions (got %#llx, "
	      "%#llx)",
	      label, (unsigned long long)before, (unsigned long long)after,
	      (unsigned long long)got->enter_off, (unsigned long long)got->exit_off);
}

static void test_fixture(void)
{
	char src[128], so[128], cmd[512];
	struct sysc_site *s = NULL;
	struct sysc_stats st;
	FILE *f;
	int n = 0;

	snprintf(src, sizeof(src), "%s/fx.c", dir);
	snprintf(so, sizeof(so), "%s/fx.so", dir);
	f = fopen(src, "w");
	if (!f || fputs(fixture_src, f) < 0 || fclose(f)) {
		check(0, "fixture written");
		return;
	}
	snprintf(cmd, sizeof(cmd), "gcc -O2 -shared -fPIC -o %s %s", so, src);
	if (!check(!sh(cmd), "fixture built: %s", cmd))
		return;
	check(!find(so, &s, &n, &st), "sysc__find() on the fixture");
	check_site(so, s, n, "sc_direct", 202, 0, false);
	check_site(so, s, n, "sc_hop", 202, 0, false);
	/* cmp $-11,%eax keeps the registers: left at the je after it */
	check_site(so, s, n, "sc_loop", 202, 1, false);
	check_site(so, s, n, "sc_exit", 231, 0, false);
	/* FUTEX_WAKE_PRIVATE in %esi: a wake, left at the jne after the test */
	check_site(so, s, n, "sc_wake", 202, 1, true);
	check_site(so, s, n, "sc_two", 0, 0, false);
	check_site(so, s, n, "sc_jumped", 0, 0, false);
	check_site(so, s, n, "sc_getpid", 0, 0, false);
	check(n == 5, "exactly 5 sites (got %d)", n);
	check(st.unknown_nr == 1 && st.jumped_to == 1,
	      "stats: one call of unknown number (%d), one jumped to (%d)", st.unknown_nr,
	      st.jumped_to);
	free(s);
}

/*
 * objdump's calls and jumps to syscall() in @path (through its PLT stub, or *SLOT(%rip) with
 * -fno-plt): their addresses, whether each is a call, and the function each is in.
 */
struct objdump_call {
	__u64 addr;
	bool call;
	char func[64];
};

static int objdump_calls(const char *path, struct objdump_call *out, int max)
{
	char cmd[600], line[512], func[64] = "";
	int n = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "objdump -d --no-show-raw-insn %s", path);
	p = popen(cmd, "r");
	while (p && fgets(line, sizeof(line), p)) {
		unsigned long long a;
		char *lt;

		if (sscanf(line, "%llx <%63[^>]>:", &a, func) == 2)
			continue;
		if (sscanf(line, " %llx:", &a) != 1 || !strchr(line, '\t') || n >= max ||
		    (!strstr(line, "<syscall@plt>") && !strstr(line, "<syscall@GLIBC")))
			continue;
		/* the stub's own jump through its slot */
		if ((!strstr(line, "\tcall") && !strstr(line, "\tjmp")) || strstr(func, "@plt"))
			continue;
		out[n].addr = a;
		out[n].call = strstr(line, "\tcall") != NULL;
		snprintf(out[n].func, sizeof(out[n].func), "%s", func);
		if ((lt = strchr(out[n].func, '@')))
			*lt = 0;
		n++;
	}
	if (p)
		pclose(p);
	return n;
}

/* The callers fixture built with @flags: each futex call of syscall() is a site on the call. */
static void test_callers(const char *flags)
{
	char src[128], so[128], cmd[512];
	struct objdump_call calls[16];
	struct sysc_site *s = NULL;
	struct sysc_stats st;
	int n = 0, nc, sites = 0;
	FILE *f;

	snprintf(src, sizeof(src), "%s/cl.c", dir);
	snprintf(so, sizeof(so), "%s/cl%s.so", dir, flags);
	f = fopen(src, "w");
	if (!f || fputs(callers_src, f) < 0 || fclose(f)) {
		check(0, "callers fixture written");
		return;
	}
	snprintf(cmd, sizeof(cmd), "gcc -O2 -shared -fPIC %s -o %s %s", flags, so, src);
	if (!check(!sh(cmd), "callers fixture built: %s", cmd))
		return;
	if (!*flags)
		flags = "with a PLT";
	nc = objdump_calls(so, calls, 16);
	check(!find(so, &s, &n, &st), "sysc__find() on the callers fixture (%s)", flags);
	check(nc == 4 && st.callers == 5 && st.callers_unknown == 2,
	      "%s: 4 calls of syscall() as objdump lists them (%d) and a load of its address: 5 "
	      "seen (%d), 2 of them of a number not known where it is made (%d)",
	      flags, nc, st.callers, st.callers_unknown);
	for (int i = 0; i < nc; i++) {
		const struct sysc_site *got = site_at(s, n, calls[i].addr);
		bool futex = !strcmp(calls[i].func, "cl_wait") || !strcmp(calls[i].func, "cl_wake");

		sites += got != NULL;
		if (!futex) {
			check(!got, "%s: the call in %s is no site", flags, calls[i].func);
			continue;
		}
		check(got && got->caller && got->nr == 202 && got->call == calls[i].call &&
			      got->enter_off == calls[i].addr && !got->exit_off,
		      "%s: the %s in %s at %#llx is a futex site on the call, a %s (got %s, %d, "
		      "%s)",
		      flags, calls[i].call ? "call" : "jmp", calls[i].func,
		      (unsigned long long)calls[i].addr, calls[i].call ? "call" : "tail jump",
		      got ? (got->caller ? "caller" : "syscall") : "none", got ? got->nr : -1,
		      got && got->call ? "call" : "jmp");
	}
	check(sites == 2 && n == 2, "%s: two sites in all (%d, %d)", flags, sites, n);
	free(s);
}

/* The system's GLib: every call of syscall() has its number where it is made. */
static void test_glib(void)
{
	static const char glib[] = "/usr/lib/x86_64-linux-gnu/libglib-2.0.so.0";
	struct objdump_call calls[64];
	struct sysc_site *s = NULL;
	struct sysc_stats st;
	int n = 0, nc = objdump_calls(glib, calls, 64), on_calls = 0;

	if (!check(!find(glib, &s, &n, &st), "sysc__find() on %s", glib))
		return;
	for (int i = 0; i < n; i++)
		for (int k = 0; k < nc; k++)
			on_calls += s[i].caller && s[i].vaddr == calls[k].addr &&
				    s[i].call == calls[k].call;
	check(nc > 5 && st.callers == nc && st.callers_unknown == 0,
	      "GLib: objdump's %d calls of syscall() all seen (%d), every number known (%d "
	      "unknown)",
	      nc, st.callers, st.callers_unknown);
	check(n > 0 && on_calls == n, "GLib: its %d sites are all on those calls (%d)", n, on_calls);
	free(s);
}

/* libc: objdump's "mov $0xca,%eax; syscall" pairs are all sites; syscall() and _exit too. */
static void test_libc(void)
{
	char line[512];
	struct sysc_site *s = NULL;
	__u64 prev_mov = 0, a;
	int n = 0, pairs = 0, found = 0;
	bool last_was_mov = false;
	FILE *p;

	int err = find(LIBC, &s, &n, NULL);

	if (!check(!err, "sysc__find() on " LIBC " (%d sites)", n))
		return;
	p = popen("objdump -d --no-show-raw-insn " LIBC, "r");
	while (p && fgets(line, sizeof(line), p)) {
		if (sscanf(line, " %llx:", (unsigned long long *)&a) != 1 || !strchr(line, '\t'))
			continue;
		if (last_was_mov && strstr(line, "\tsyscall")) {
			const struct sysc_site *got = site_at(s, n, a);

			pairs++;
			found += got && got->nr == 202 && got->enter_off == prev_mov;
		}
		last_was_mov = strstr(line, "mov    $0xca,%eax") != NULL;
		prev_mov = a;
	}
	if (p)
		pclose(p);
	check(pairs > 10 && found == pairs,
	      "every one of objdump's %d 'mov $0xca,%%eax; syscall' pairs is a futex site probed "
	      "at "
	      "the mov (%d are)",
	      pairs, found);
	{
		__u64 sc = nm_addr("-D " LIBC, "syscall@@GLIBC_2.2.5"),
		      ex = nm_addr("-D " LIBC, "_exit@@GLIBC_2.2.5");
		int generic = 0, exits = 0;

		for (int i = 0; i < n; i++) {
			generic +=
				s[i].nr == SYSC_NR_RAX && s[i].vaddr >= sc && s[i].vaddr < sc + 64;
			exits += s[i].nr == 231 && s[i].vaddr >= ex && s[i].vaddr < ex + 64;
		}
		check(sc && generic == 1,
		      "syscall() (%#llx) has one site, its number in %%rax (%d)",
		      (unsigned long long)sc, generic);
		check(ex && exits == 1, "_exit (%#llx) has one exit_group site (%d)",
		      (unsigned long long)ex, exits);
	}
	free(s);
}

/* A Go program's runtime.futex and runtime.exit, by nm (which names them in .symtab). */
static void test_go(const char *path, const char *plain)
{
	struct sysc_site *s = NULL;
	int n = 0;
	__u64 fx = nm_addr(plain, "runtime.futex.abi0"), ex = nm_addr(plain, "runtime.exit.abi0");

	if (!check(!find(path, &s, &n, NULL), "%s: sysc__find()", path))
		return;
	check(n == 2 && fx && ex && s[0].nr + s[1].nr == 202 + 231,
	      "%s: two sites, futex and exit_group (%d)", path, n);
	for (int i = 0; i < n; i++) {
		__u64 fn = s[i].nr == 202 ? fx : ex;

		check(s[i].vaddr > fn && s[i].vaddr < fn + 48,
		      "%s: the call %d is in its runtime function (%#llx in %#llx)", path, s[i].nr,
		      (unsigned long long)s[i].vaddr, (unsigned long long)fn);
	}
	free(s);
}

int main(int argc, char **argv)
{
	const char *go = argc == 3 ? argv[1] : ".output/tests/progs/go/gogrow";
	const char *go_stripped = argc == 3 ? argv[2] : ".output/tests/progs/go/gogrow-stripped";
	char cmd[128];

	if (argc != 1 && argc != 3) {
		fprintf(stderr, "usage: test_sysc [GO_PROGRAM GO_PROGRAM_STRIPPED]\n");
		return 2;
	}
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	test_fixture();
	test_callers("");
	test_callers("-fno-plt");
	test_glib();
	test_libc();
	test_go(go, go);
	test_go(go_stripped, go);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	sh(cmd);
	return tap_exit();
}
