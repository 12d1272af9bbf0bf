// SPDX-License-Identifier: MIT
/*
 * Unit test of user/disasm.c and the @glib_resize locator (user/profile_locate.c) on shared
 * libraries built at test time.
 *
 * The fixture mimics GLib's shape: exported g_hash_table_insert/replace/add reach a static
 * insert_node, g_hash_table_remove/steal call the static table_resize directly, and
 * table_resize calls g_malloc0_n, a static realloc_arrays (g_realloc_n) and g_free.  Variants:
 * AMBIGUOUS adds a second static function both sides call that allocates and frees; NOFREE
 * makes table_resize free nothing.  Each is also stripped (no .symtab), the case the locator is
 * for.  Expected addresses and sizes come from nm, ret instructions from objdump: tools
 * independent of capstone and of maptrace.
 *
 * Needs gcc, nm, objdump and strip; root for the check with another tracer's breakpoint.
 * Usage: test_disasm
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/perf_event.h>
#include <sys/syscall.h>

#include "elfload.h"

#include "disasm.h"
#include "elfsym.h"
#include "profile_int.h"
#include "../tap.h"

static const char fixture_src[] =
	"#include <stdlib.h>\n"
	"#define N __attribute__((noipa))\n"
	"struct tab { unsigned long size; unsigned nnodes, noccupied; unsigned *hashes;\n"
	"	      void *kept; };\n"
	"N void *g_malloc0_n(size_t n, size_t s) { return calloc(n, s); }\n"
	"N void *g_realloc_n(void *p, size_t n, size_t s) { return realloc(p, n * s); }\n"
	"N void g_free(void *p) { free(p); }\n"
	"N static void realloc_arrays(struct tab *t)\n"
	"{ t->hashes = g_realloc_n(t->hashes, t->size, sizeof(unsigned)); }\n"
	"N static void table_resize(struct tab *t)\n"
	"{\n"
	"	unsigned *bitmap = g_malloc0_n((t->size + 31) / 32, 4);\n"
	"	t->size = t->nnodes * 2 + 8;\n"
	"	realloc_arrays(t);\n"
	"#ifdef NOFREE\n"
	"	t->kept = bitmap;\n"
	"#else\n"
	"	g_free(bitmap);\n"
	"#endif\n"
	"	t->noccupied = t->nnodes;\n"
	"}\n"
	"#ifdef AMBIGUOUS\n"
	"N static void table_compact(struct tab *t)\n"
	"{ void *p = g_malloc0_n(t->size, 4); t->kept = p; g_free(p); }\n"
	"#endif\n"
	"N static void insert_node(struct tab *t, unsigned h)\n"
	"{\n"
	"	t->nnodes++, t->noccupied++;\n"
	"	if (t->noccupied * 16 >= t->size * 15)\n"
	"		table_resize(t);\n"
	"#ifdef AMBIGUOUS\n"
	"	else if (h == 7)\n"
	"		table_compact(t);\n"
	"#endif\n"
	"}\n"
	"N void g_hash_table_insert(struct tab *t, unsigned h) { insert_node(t, h); }\n"
	"N void g_hash_table_replace(struct tab *t, unsigned h) { insert_node(t, h + 1); }\n"
	"N void g_hash_table_add(struct tab *t, unsigned h) { insert_node(t, h + 2); }\n"
	"N int g_hash_table_remove(struct tab *t, unsigned h)\n"
	"{\n"
	"	t->nnodes--;\n"
	"	if (t->size > t->nnodes * 4)\n"
	"		table_resize(t);\n"
	"#ifdef AMBIGUOUS\n"
	"	if (h == 9)\n"
	"		table_compact(t);\n"
	"#endif\n"
	"	return (int)h;\n"
	"}\n"
	"N int g_hash_table_steal(struct tab *t, unsigned h) { return g_hash_table_remove(t, h) + "
	"1; }\n";

static char tmpdir[PATH_MAX];

static const char *tmp_path(const char *name)
{
	static char buf[8][PATH_MAX + 64];
	static int slot;
	char *p = buf[slot++ % 8];

	snprintf(p, sizeof(buf[0]), "%s/%s", tmpdir, name);
	return p;
}

/* Address and size of symbol @name in @path, from nm -S; 0 when absent. */
static __u64 nm_addr(const char *path, const char *name, __u64 *size)
{
	char *argv[] = {"nm", "-S", (char *)path, NULL};
	static char out[1 << 16];
	char *line, *save = NULL;

	*size = 0;
	if (tap_run(argv, out, sizeof(out)) != 0)
		return 0;
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned long long a, s;
		char type, sym[128];

		if (sscanf(line, "%llx %llx %c %127s", &a, &s, &type, sym) == 4 &&
		    !strcmp(sym, name)) {
			*size = s;
			return a;
		}
	}
	return 0;
}

/* The ret instructions objdump finds in [start, end) of @path, into @rets. */
static int objdump_rets(const char *path, __u64 start, __u64 end, __u64 *rets, int max)
{
	char a[32], b[32];
	char *argv[] = {"objdump", "-d", "--no-show-raw-insn", a, b, (char *)path, NULL};
	static char out[1 << 18];
	char *line, *save = NULL;
	int n = 0;

	snprintf(a, sizeof(a), "--start-address=0x%llx", (unsigned long long)start);
	snprintf(b, sizeof(b), "--stop-address=0x%llx", (unsigned long long)end);
	if (tap_run(argv, out, sizeof(out)) != 0)
		return -1;
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned long long addr;
		char insn[64];

		if (sscanf(line, " %llx: %63s", &addr, insn) == 2 &&
		    (!strcmp(insn, "ret") || !strcmp(insn, "repz")) && strstr(line, "ret") &&
		    n < max)
			rets[n++] = addr;
	}
	return n;
}

static int build(const char *out, const char *define)
{
	return tap_runv("gcc", "-O2", "-fPIC", "-shared", "-fno-omit-frame-pointer", define,
			tmp_path("fx.c"), "-o", out, NULL) ||
	       tap_runv("strip", "--strip-all", "-o", tmp_path("stripped.so"), out, NULL);
}

/* Locate @glib_resize in @path: 0 and *@vaddr, or -errno and @why. */
static int locate(const char *path, __u64 *vaddr, char *why, size_t whylen)
{
	struct elfsym_file *ef = NULL;
	struct disasm *d = NULL;
	char how[256];
	int err = elfsym__open(path, "", &ef);

	if (!err)
		err = disasm__new(elfsym__elf(ef), path, &d);
	if (!err)
		err = profile__locate(ef, d, "glib_resize", vaddr, how, sizeof(how), why, whylen);
	disasm__free(d);
	elfsym__close(ef);
	return err;
}

/*
 * A uprobe with no pid filter (bpftrace's, perf's) at @ret: the kernel writes its int3 into
 * every mapping of the file that may execute, libelf's read-only one in this process too.  The
 * decoder and elfsym__at() read the file, so they still see the ret.
 */
static void test_foreign_int3(const char *lib, struct elfsym_file *ef, struct disasm *d,
			      __u64 fn_start, __u64 fn_size, __u64 ret)
{
	struct perf_event_attr a = { .size = sizeof(a) };
	struct disasm_func *fn = NULL;
	struct elfsym_sym at = {};
	const unsigned char *raw;
	size_t rawlen;
	__u64 off = 0;
	int pfd, type = 0, nrets = 0, hit = 0;
	FILE *f = fopen("/sys/bus/event_source/devices/uprobe/type", "r");

	if (!check(f && fscanf(f, "%d", &type) == 1 && geteuid() == 0 &&
			   !elfload__vaddr_to_offset(elfsym__elf(ef), ret, 1, ELFLOAD_EXEC, NULL,
						     &off),
		   "as root, a uprobe PMU (type %d), ret 0x%llx at file offset 0x%llx", type,
		   (unsigned long long)ret, (unsigned long long)off)) {
		if (f)
			fclose(f);
		return;
	}
	fclose(f);
	a.type = (__u32)type;
	a.config1 = (__u64)(unsigned long)lib; /* uprobe_path */
	a.config2 = off;                        /* probe_offset */
	pfd = (int)syscall(__NR_perf_event_open, &a, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
	raw = (const unsigned char *)elf_rawfile(elfsym__elf(ef), &rawlen);
	if (!check(pfd >= 0 && raw && off < rawlen && raw[off] == 0xcc,
		   "another tracer's uprobe on every process: libelf's mapping now reads 0x%02x at "
		   "the ret",
		   raw && off < rawlen ? raw[off] : 0))
		goto out;
	if (check(!disasm__function(d, fn_start, fn_size, &fn), "decoded again")) {
		for (int i = 0; i < fn->n; i++) {
			nrets += fn->insns[i].kind == DISASM_RET;
			hit += fn->insns[i].addr == ret && fn->insns[i].code[0] == 0xc3;
		}
	}
	check(fn && hit == 1 && !fn->undecoded,
	      "the decoder still reads a ret (0xc3) there, from the file: %d rets", nrets);
	check(!elfsym__at(ef, ret, "", &at) && at.code_len > 0 && at.code[0] == 0xc3,
	      "elfsym__at reads the site's first byte (what a probe replaces) from the file: 0x%02x",
	      at.code[0]);
out:
	disasm_func__free(fn);
	if (pfd >= 0)
		close(pfd);
}

static void test_decode(const char *lib)
{
	__u64 rs, rsize, m0, m0size, fr, frsize, start = 0, end = 0, want[16];
	struct elfsym_file *ef = NULL;
	struct disasm_func *fn = NULL;
	struct disasm *d = NULL;
	int nwant, nrets = 0, same = 0, err;
	bool calls_alloc = false, calls_free = false;
	char name[64];

	rs = nm_addr(lib, "table_resize", &rsize);
	m0 = nm_addr(lib, "g_malloc0_n", &m0size);
	fr = nm_addr(lib, "g_free", &frsize);
	if (!check(rs && m0 && fr,
		   "nm finds table_resize 0x%llx, g_malloc0_n, g_free in the fixture",
		   (unsigned long long)rs))
		return;
	if (!check(!elfsym__open(lib, "", &ef) && !disasm__new(elfsym__elf(ef), lib, &d),
		   "disasm__new on the fixture"))
		goto out;
	err = disasm__bounds(d, rs + 1, &start, &end);
	check(!err && start == rs && end == rs + rsize,
	      "disasm__bounds inside table_resize: [0x%llx, 0x%llx), nm says [0x%llx, 0x%llx)",
	      (unsigned long long)start, (unsigned long long)end, (unsigned long long)rs,
	      (unsigned long long)(rs + rsize));
	check(disasm__bounds(d, 0x10, &start, &end) == -ENOENT,
	      "disasm__bounds outside every function: -ENOENT");
	if (!check(!disasm__function(d, rs, 0, &fn) && fn->start == rs && fn->end == rs + rsize &&
			   !fn->undecoded,
		   "disasm__function(table_resize) by its .eh_frame extent, every byte decoded"))
		goto out;
	nwant = objdump_rets(lib, rs, rs + rsize, want, 16);
	for (int i = 0; i < fn->n; i++) {
		const struct disasm_insn *in = &fn->insns[i];

		if (in->kind == DISASM_RET) {
			for (int j = 0; j < nwant; j++)
				same += in->addr == want[j];
			nrets++;
		}
		/* -fPIC: calls to exported functions go through the PLT */
		if ((in->kind == DISASM_CALL || in->kind == DISASM_JMP) &&
		    !disasm__plt_name(d, in->target, name, sizeof(name))) {
			calls_alloc |= !strcmp(name, "g_malloc0_n");
			calls_free |= !strcmp(name, "g_free");
		}
	}
	check(nwant > 0 && nrets == nwant && same == nwant,
	      "table_resize's ret instructions: %d, the %d objdump lists", nrets, nwant);
	if (nwant > 0)
		test_foreign_int3(lib, ef, d, rs, rsize, want[0]);
	check(calls_alloc && calls_free,
	      "table_resize's calls reach g_malloc0_n and g_free through PLT stubs named by their "
	      "relocations");
	check(fn->insns[fn->n - 1].addr + fn->insns[fn->n - 1].len == fn->end,
	      "the last instruction ends at the function's end");
	disasm_func__free(fn);
	fn = NULL;
	check(disasm__function(d, rs + 1, 0, &fn) == -ENOENT,
	      "disasm__function inside a function without a size: -ENOENT");
out:
	disasm_func__free(fn);
	disasm__free(d);
	elfsym__close(ef);
}

int main(void)
{
	char why[PROFILE_WHY_LEN] = "";
	__u64 rs, rsize, at = 0;
	int err;

	if (tap_tmpdir(tmpdir, sizeof(tmpdir), "maptrace-disasm"))
		return 1;
	{
		FILE *f = fopen(tmp_path("fx.c"), "w");

		err = !f || fputs(fixture_src, f) < 0;
		if (f && fclose(f))
			err = 1;
	}
	if (!check(!err && !build(tmp_path("fx.so"), "-DPLAIN"), "fixture built in %s", tmpdir))
		goto out;
	test_decode(tmp_path("fx.so"));

	rs = nm_addr(tmp_path("fx.so"), "table_resize", &rsize);
	err = locate(tmp_path("stripped.so"), &at, why, sizeof(why));
	check(!err && at == rs,
	      "stripped: @glib_resize located at 0x%llx, nm of the unstripped "
	      "file says table_resize is 0x%llx (%s)",
	      (unsigned long long)at, (unsigned long long)rs, err ? why : "found");
	err = locate(tmp_path("fx.so"), &at, why, sizeof(why));
	check(!err && at == rs, "unstripped: the same 0x%llx without a g_hash_table_resize symbol",
	      (unsigned long long)at);

	if (check(!build(tmp_path("amb.so"), "-DAMBIGUOUS"), "ambiguous fixture built")) {
		err = locate(tmp_path("stripped.so"), &at, why, sizeof(why));
		check(err == -ENOENT && strstr(why, "ambiguous: 2 static functions"),
		      "two candidates: refused, both named (%s)", why);
	}
	/* a symbol table that names it (a debug file, an unstripped build) is taken as it is */
	if (check(!build(tmp_path("named.so"), "-Dtable_resize=g_hash_table_resize"),
		  "fixture with a g_hash_table_resize symbol built")) {
		struct elfsym_file *ef = NULL;
		char how[256] = "";
		__u64 want = nm_addr(tmp_path("named.so"), "g_hash_table_resize", &rsize);

		err = elfsym__open(tmp_path("named.so"), "", &ef);
		if (!err)
			err = profile__locate(ef, NULL, "glib_resize", &at, how, sizeof(how), why,
					      sizeof(why));
		check(!err && at == want && !strcmp(how, "g_hash_table_resize, from the symtab"),
		      "named: @glib_resize is the symbol g_hash_table_resize 0x%llx (%s)",
		      (unsigned long long)at, how);
		elfsym__close(ef);
	}
	if (check(!build(tmp_path("nofree.so"), "-DNOFREE"), "no-free fixture built")) {
		err = locate(tmp_path("stripped.so"), &at, why, sizeof(why));
		check(err == -ENOENT && strstr(why, "no static function reached from both"),
		      "no candidate: refused (%s)", why);
	}
	{
		struct elfsym_file *ef = NULL;
		char how[256];

		err = elfsym__open(tmp_path("fx.so"), "", &ef);
		check(!err &&
			      profile__locate(ef, NULL, "no_such", &at, how, sizeof(how), why,
					      sizeof(why)) == -EINVAL &&
			      strstr(why, "@no_such is not a known function"),
		      "an unknown @NAME: -EINVAL, named (%s)", why);
		elfsym__close(ef);
	}
out:
	tap_rmtree(tmpdir);
	return tap_exit();
}
