// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Unit test of user/elfsym.c, user/elfload.c and user/debugfile.c on ELF files built at test
 * time.
 *
 * Writes a small executable and a symbol-versioned shared library into a temporary directory,
 * builds them with gcc (PIE, non-PIE, without build-id), and makes the stripped variants a
 * tracer meets: no symbols at all, a debug file under a root's .build-id directory, one under a
 * root with the wrong build-id, a .gnu_debuglink beside the file, in .debug/, under a root's
 * /usr/lib/debug/<dir>/, through /proc/self/root, and matched by CRC alone (right and wrong).
 * Expected addresses come from nm, file offsets from readelf's program headers, code bytes from
 * the file itself. Also looks up versioned functions in the running libc, reads
 * glib_major_version from libglib when installed, and classifies known instruction bytes.
 * elfload's PT_LOAD lookups are checked against readelf's program headers, at every segment
 * boundary, in the running libc too, and in an executable linked by lld when it is installed.
 *
 * Needs no privileges; needs gcc, objcopy, strip, nm and readelf. Usage: test_elfsym
 * Prints one "ok - ..." or "not ok - ..." line per check and exits non-zero on any failure.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gelf.h>

#include "elfload.h"
#include "elfsym.h"
#include "util.h"
#include "../tap.h"

#define NM_OUT_MAX (4 << 20) /* nm -D of libc.so.6 is about 200 KiB */
#define GLIB_PATH  "/usr/lib/x86_64-linux-gnu/libglib-2.0.so.0"

/* Probe sites with known first instructions, and data to read, in a PIE and a non-PIE. */
static const char main_src[] =
	"#include <stdio.h>\n"
	"volatile int fx_sink;\n"
	"const unsigned int fx_const_u32 = 0xdeadbeefu;\n"
	"const unsigned short fx_const_u16 = 0xbeef;\n"
	"const unsigned long long fx_const_u64 = 0x0123456789abcdefull;\n"
	"unsigned int fx_bss_u32;\n"
	"#ifdef OTHER\n"
	"int fx_other = 1; /* another build: another build-id and CRC */\n"
	"#endif\n"
	"__attribute__((noinline)) int fx_alpha(int x) { fx_sink += x; return fx_sink * 3; }\n"
	"__attribute__((noinline)) static int fx_static(int x) { fx_sink -= x; return fx_sink; }\n"
	"__asm__(\".text\\n\"\n"
	"	\".globl fx_site_nop5\\n.type fx_site_nop5,@function\\nfx_site_nop5:\\n\"\n"
	"	\".byte 0x0f,0x1f,0x44,0x00,0x00\\nret\\n.size fx_site_nop5,.-fx_site_nop5\\n\"\n"
	"	\".globl fx_site_push\\n.type fx_site_push,@function\\nfx_site_push:\\n\"\n"
	"	\".byte 0x55,0x5d\\nret\\n.size fx_site_push,.-fx_site_push\\n\"\n"
	"	\".globl fx_site_r12\\n.type fx_site_r12,@function\\nfx_site_r12:\\n\"\n"
	"	\".byte 0x41,0x54,0x41,0x5c\\nret\\n.size fx_site_r12,.-fx_site_r12\\n\"\n"
	"	\".globl fx_site_endbr\\n.type fx_site_endbr,@function\\nfx_site_endbr:\\n\"\n"
	"	\".byte 0xf3,0x0f,0x1e,0xfa\\nret\\n.size fx_site_endbr,.-fx_site_endbr\\n\"\n"
	"	\".globl fx_site_call\\n.type fx_site_call,@function\\nfx_site_call:\\n\"\n"
	"	\".byte 0xe8,0,0,0,0\\nret\\n.size fx_site_call,.-fx_site_call\\n\"\n"
	"	\".globl fx_label\\nfx_label:\\nret\\n\");\n"
	"int main(int argc, char **argv)\n"
	"{\n"
	"	(void)argv;\n"
	"	printf(\"%d\\n\", fx_alpha(argc) + fx_static(argc) + fx_const_u16 +\n"
	"	       (int)fx_const_u32 + (int)fx_const_u64 + (int)fx_bss_u32);\n"
	"	return 0;\n"
	"}\n";

/* fx_ver in two versions: VER_1 kept for old binaries, VER_2 the default new links get. */
static const char lib_src[] = "int fx_lib_func(int x) { return x + 1; }\n"
			      "static int fx_lib_local(int x) { return x - 1; }\n"
			      "int (*fx_lib_ptr)(int) = fx_lib_local;\n"
			      "const unsigned int fx_lib_const = 42;\n"
			      "int fx_ver_old(void) { return 1; }\n"
			      "int fx_ver_new(void) { return 2; }\n"
			      "__asm__(\".symver fx_ver_old,fx_ver@VER_1\");\n"
			      "__asm__(\".symver fx_ver_new,fx_ver@@VER_2\");\n";

static const char lib_map[] =
	"VER_1 { global: fx_lib_func; fx_lib_const; fx_lib_ptr; fx_ver; local: *; };\n"
	"VER_2 { global: fx_ver; } VER_1;\n";

static char tmpdir[512];
static char exe_id[41]; /* build-id of fx_exe and of every stripped copy of it */

static const char *tmp_path(const char *name)
{
	static char buf[16][PATH_MAX];
	static int slot;
	char *p = buf[slot++ % 16];

	snprintf(p, PATH_MAX, "%s/%s", tmpdir, name);
	return p;
}

static int write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	int err;

	if (!f)
		return -errno;
	err = fputs(text, f) < 0 ? -EIO : 0;
	if (fclose(f) != 0 && !err)
		err = -EIO;
	return err;
}

/* mkdir -p for a path below tmpdir. */
static int make_dirs(const char *path)
{
	char p[PATH_MAX], *s;

	snprintf(p, sizeof(p), "%s", path);
	for (s = p + strlen(tmpdir) + 1; (s = strchr(s, '/')); s++) {
		*s = '\0';
		if (mkdir(p, 0755) != 0 && errno != EEXIST)
			return -errno;
		*s = '/';
	}
	return mkdir(p, 0755) != 0 && errno != EEXIST ? -errno : 0;
}

/*
 * The value nm prints for @name (as nm spells it, "fx_ver@@VER_2" for a versioned dynamic
 * symbol); with @prefix, the first symbol whose name starts with @name. 0 when not found.
 */
static unsigned long long nm_value(const char *path, bool dynamic, const char *name, bool prefix)
{
	char *argv[] = {"nm", "--defined-only", (char *)path, NULL, NULL};
	unsigned long long addr, val = 0;
	char *out = malloc(NM_OUT_MAX), *line, *save = NULL, sym[512], type;

	if (!out)
		return 0;
	if (dynamic) {
		argv[2] = "-D";
		argv[3] = (char *)path;
	}
	if (tap_run(argv, out, NM_OUT_MAX) != 0)
		goto cleanup;
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (sscanf(line, "%llx %c %511s", &addr, &type, sym) != 3)
			continue;
		if (prefix ? strncmp(sym, name, strlen(name)) == 0 : strcmp(sym, name) == 0) {
			val = addr;
			break;
		}
	}
cleanup:
	free(out);
	return val;
}

/*
 * The file offset of @vaddr by readelf's PT_LOAD lines, the reference for elfsym's math; with
 * @bss, also past the file's bytes (.bss), as a mapping of the file would place it.
 */
static int readelf_offset_in(const char *path, unsigned long long vaddr, bool bss,
			     unsigned long long *off)
{
	char *argv[] = {"readelf", "-lW", (char *)path, NULL};
	unsigned long long o, v, p, filesz, memsz;
	char out[65536], *line, *save = NULL;

	if (tap_run(argv, out, sizeof(out)) != 0)
		return -EIO;
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (sscanf(line, " LOAD %llx %llx %llx %llx %llx", &o, &v, &p, &filesz, &memsz) !=
		    5)
			continue;
		if (vaddr >= v && vaddr < v + (bss ? memsz : filesz)) {
			*off = vaddr - v + o;
			return 0;
		}
	}
	return -ENOENT;
}

static int readelf_offset(const char *path, unsigned long long vaddr, unsigned long long *off)
{
	return readelf_offset_in(path, vaddr, false, off);
}

static int file_bytes(const char *path, unsigned long long off, unsigned char *buf, int len)
{
	int fd = open(path, O_RDONLY), n;

	if (fd < 0)
		return -errno;
	n = (int)pread(fd, buf, (size_t)len, (off_t)off);
	close(fd);
	return n;
}

static int build_fixtures(void)
{
	char link[PATH_MAX + 32], bid[PATH_MAX + 64];
	int err = 0;

	err |= write_file(tmp_path("fx_main.c"), main_src);
	err |= write_file(tmp_path("fx_lib.c"), lib_src);
	err |= write_file(tmp_path("fx_lib.map"), lib_map);
	if (err)
		return -EIO;
	err |= tap_runv("gcc", "-O0", "-g", "-fPIE", "-pie", tmp_path("fx_main.c"), "-o",
		    tmp_path("fx_exe"), NULL);
	err |= tap_runv("gcc", "-O0", "-g", "-fno-pie", "-no-pie", tmp_path("fx_main.c"), "-o",
		    tmp_path("fx_nopie"), NULL);
	err |= tap_runv("gcc", "-O0", "-g", "-fPIE", "-pie", "-DOTHER", tmp_path("fx_main.c"), "-o",
		    tmp_path("fx_other"), NULL);
	err |= tap_runv("gcc", "-O0", "-g", "-fPIE", "-pie", "-Wl,--build-id=none",
		    tmp_path("fx_main.c"), "-o", tmp_path("fx_nobid"), NULL);
	err |= tap_runv("gcc", "-O0", "-g", "-fPIE", "-pie", "-Wl,--build-id=none", "-DOTHER",
		    tmp_path("fx_main.c"), "-o", tmp_path("fx_nobid_other"), NULL);
	err |= tap_runv("gcc", "-O0", "-g", "-fPIC", "-shared", "-Wl,--version-script",
		    tmp_path("fx_lib.map"), tmp_path("fx_lib.c"), "-o", tmp_path("libfx.so"), NULL);
	if (err)
		return -EIO;
	err |= tap_runv("strip", "--strip-all", "-o", tmp_path("libfx_stripped.so"),
		    tmp_path("libfx.so"), NULL);
	err |= tap_runv("objcopy", "--only-keep-debug", tmp_path("fx_exe"), tmp_path("fx_exe.debug"),
		    NULL);
	err |= tap_runv("objcopy", "--only-keep-debug", tmp_path("fx_other"),
		    tmp_path("fx_other.debug"), NULL);
	err |= tap_runv("strip", "--strip-all", "-o", tmp_path("fx_stripped"), tmp_path("fx_exe"),
		    NULL);

	/* by build-id under a root; under another root, the debug file of another build */
	tap_readelf_build_id(tmp_path("fx_exe"), exe_id);
	if (strlen(exe_id) < 3)
		return -ENOENT;
	snprintf(bid, sizeof(bid), "root/usr/lib/debug/.build-id/%.2s", exe_id);
	err |= make_dirs(tmp_path(bid));
	snprintf(bid, sizeof(bid), "root/usr/lib/debug/.build-id/%.2s/%s.debug", exe_id,
		 exe_id + 2);
	err |= tap_runv("cp", tmp_path("fx_exe.debug"), tmp_path(bid), NULL);
	snprintf(bid, sizeof(bid), "badroot/usr/lib/debug/.build-id/%.2s", exe_id);
	err |= make_dirs(tmp_path(bid));
	snprintf(bid, sizeof(bid), "badroot/usr/lib/debug/.build-id/%.2s/%s.debug", exe_id,
		 exe_id + 2);
	err |= tap_runv("cp", tmp_path("fx_other.debug"), tmp_path(bid), NULL);

	/* .gnu_debuglink: beside the file, in .debug/, under a root's /usr/lib/debug/<dir>/ */
	err |= tap_runv("cp", tmp_path("fx_stripped"), tmp_path("fx_dl"), NULL);
	err |= tap_runv("cp", tmp_path("fx_exe.debug"), tmp_path("fx_dl.debug"), NULL);
	snprintf(link, sizeof(link), "--add-gnu-debuglink=%s", tmp_path("fx_dl.debug"));
	err |= tap_runv("objcopy", link, tmp_path("fx_dl"), NULL);

	err |= make_dirs(tmp_path(".debug"));
	err |= tap_runv("cp", tmp_path("fx_stripped"), tmp_path("fx_sub"), NULL);
	err |= tap_runv("cp", tmp_path("fx_exe.debug"), tmp_path(".debug/fx_sub.debug"), NULL);
	snprintf(link, sizeof(link), "--add-gnu-debuglink=%s", tmp_path(".debug/fx_sub.debug"));
	err |= tap_runv("objcopy", link, tmp_path("fx_sub"), NULL);

	err |= make_dirs(tmp_path("root2/bin"));
	err |= make_dirs(tmp_path("root2/usr/lib/debug/bin"));
	err |= tap_runv("cp", tmp_path("fx_stripped"), tmp_path("root2/bin/fx_gl"), NULL);
	err |= tap_runv("cp", tmp_path("fx_exe.debug"), tmp_path("root2/usr/lib/debug/bin/fx_gl.debug"),
		    NULL);
	snprintf(link, sizeof(link), "--add-gnu-debuglink=%s",
		 tmp_path("root2/usr/lib/debug/bin/fx_gl.debug"));
	err |= tap_runv("objcopy", link, tmp_path("root2/bin/fx_gl"), NULL);

	/* no build-id: the CRC decides; fx_crcbad's debug file is replaced after linking */
	err |= tap_runv("objcopy", "--only-keep-debug", tmp_path("fx_nobid"), tmp_path("fx_crc.debug"),
		    NULL);
	err |= tap_runv("strip", "--strip-all", "-o", tmp_path("fx_crc"), tmp_path("fx_nobid"), NULL);
	snprintf(link, sizeof(link), "--add-gnu-debuglink=%s", tmp_path("fx_crc.debug"));
	err |= tap_runv("objcopy", link, tmp_path("fx_crc"), NULL);
	err |= tap_runv("cp", tmp_path("fx_crc.debug"), tmp_path("fx_crcbad.debug"), NULL);
	err |= tap_runv("strip", "--strip-all", "-o", tmp_path("fx_crcbad"), tmp_path("fx_nobid"),
		    NULL);
	snprintf(link, sizeof(link), "--add-gnu-debuglink=%s", tmp_path("fx_crcbad.debug"));
	err |= tap_runv("objcopy", link, tmp_path("fx_crcbad"), NULL);
	err |= tap_runv("objcopy", "--only-keep-debug", tmp_path("fx_nobid_other"),
		    tmp_path("fx_crcbad.debug"), NULL);
	return err ? -EIO : 0;
}

/* elfsym__glob()'s callback: the names, comma-separated, into @ctx (a 512-byte buffer). */
static int glob_names(void *ctx, const char *name)
{
	char *buf = ctx;
	size_t len = strlen(buf);

	snprintf(buf + len, 512 - len, "%s%s", len ? "," : "", name);
	return 0;
}

static struct elfsym_file *open_or_fail(const char *tag, const char *path, const char *root)
{
	struct elfsym_file *f = NULL;
	int err = elfsym__open(path, root, &f);

	check(!err && f, "%s: elfsym__open %s (root '%s') (got %d)", tag, path, root, err);
	return err ? NULL : f;
}

/*
 * @name found in @f at the address nm gives for @ref_name in @ref (nm -D when @dynamic), at
 * readelf's file offset in @file, with @file's bytes as its code, and in table @where (a
 * prefix). Returns the symbol for further checks.
 */
static struct elfsym_sym expect_func(const char *tag, struct elfsym_file *f, const char *file,
				     const char *name, const char *ref, bool dynamic,
				     const char *ref_name, const char *where)
{
	unsigned long long want = nm_value(ref, dynamic, ref_name, false), off = ~0ull;
	struct elfsym_sym s;
	unsigned char bytes[16];
	int err, n;

	memset(&s, 0, sizeof(s));
	err = elfsym__find(f, name, &s);
	check(!err && want && s.vaddr == want, "%s: %s found at nm's address %#llx (got %d, %#llx)",
	      tag, name, want, err, (unsigned long long)s.vaddr);
	if (err)
		return s;
	err = readelf_offset(file, s.vaddr, &off);
	check(!err && s.file_offset == off,
	      "%s: %s file offset is readelf's PT_LOAD math %#llx (got %#llx)", tag, name, off,
	      (unsigned long long)s.file_offset);
	n = file_bytes(file, s.file_offset, bytes, (int)sizeof(bytes));
	check(s.code_len > 0 && n >= s.code_len && memcmp(s.code, bytes, (size_t)s.code_len) == 0,
	      "%s: %s code is the file's %d bytes at that offset", tag, name, s.code_len);
	check(strncmp(s.where, where, strlen(where)) == 0, "%s: %s found in %s (got '%s')", tag,
	      name, where, s.where);
	return s;
}

static void expect_missing(const char *tag, struct elfsym_file *f, const char *name)
{
	struct elfsym_sym s;
	int err = elfsym__find(f, name, &s);

	check(err == -ENOENT, "%s: %s not found (got %d)", tag, name, err);
}

/* ---- the checks ----------------------------------------------------------------------------- */

static void test_site_kinds(void)
{
	static const struct {
		unsigned char code[8];
		int len;
		enum uprobe_site_kind kind;
		const char *what;
	} cases[] = {
		{{0x0f, 0x1f, 0x44, 0x00, 0x00}, 5, UPROBE_SITE_NOP5, "nop5"},
		{{0x0f, 0x1f, 0x44, 0x00, 0x00, 0xc3}, 6, UPROBE_SITE_NOP5, "nop5 then ret"},
		{{0x0f, 0x1f, 0x40, 0x00}, 4, UPROBE_SITE_NOP, "nopl 0(%rax)"},
		{{0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00}, 6, UPROBE_SITE_NOP, "nopw 0(%rax,%rax)"},
		{{0x90}, 1, UPROBE_SITE_NOP, "nop"},
		{{0x66, 0x90}, 2, UPROBE_SITE_NOP, "xchg %ax,%ax"},
		{{0xf3, 0x90}, 2, UPROBE_SITE_STEP, "pause"},
		{{0x41, 0x90}, 2, UPROBE_SITE_STEP, "xchg %eax,%r8d"},
		{{0x55}, 1, UPROBE_SITE_PUSH, "push %rbp"},
		{{0x53, 0x48}, 2, UPROBE_SITE_PUSH, "push %rbx"},
		{{0x41, 0x57}, 2, UPROBE_SITE_PUSH, "push %r15"},
		{{0x41, 0x50}, 2, UPROBE_SITE_PUSH, "push %r8"},
		{{0x48, 0x50}, 2, UPROBE_SITE_STEP, "rex.W push %rax"},
		{{0xe8, 0x00, 0x00, 0x00, 0x00}, 5, UPROBE_SITE_BRANCH, "call rel32"},
		{{0xe9, 0x10, 0x00, 0x00, 0x00}, 5, UPROBE_SITE_BRANCH, "jmp rel32"},
		{{0xe8, 0x00}, 2, UPROBE_SITE_STEP, "call rel32 cut short"},
		{{0xeb, 0x05}, 2, UPROBE_SITE_BRANCH, "jmp rel8"},
		{{0x74, 0x05}, 2, UPROBE_SITE_BRANCH, "je rel8"},
		{{0x0f, 0x84, 0x00, 0x01, 0x00, 0x00}, 6, UPROBE_SITE_BRANCH, "je rel32"},
		{{0xf3, 0x0f, 0x1e, 0xfa}, 4, UPROBE_SITE_STEP, "endbr64"},
		{{0xf3, 0x0f, 0x1e, 0xfa, 0x55}, 5, UPROBE_SITE_STEP, "endbr64; push %rbp"},
		{{0x48, 0x89, 0xe5}, 3, UPROBE_SITE_STEP, "mov %rsp,%rbp"},
		{{0xc3}, 1, UPROBE_SITE_STEP, "ret"},
		{{0x55}, 0, UPROBE_SITE_STEP, "no bytes"},
	};
	const char *names[5];
	size_t i, j;
	bool distinct = true;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		enum uprobe_site_kind k = elfsym__site_kind(cases[i].code, cases[i].len);

		check(k == cases[i].kind, "site kind: %s is %s (got %s)", cases[i].what,
		      elfsym__site_kind_name(cases[i].kind), elfsym__site_kind_name(k));
	}
	check(elfsym__site_kind(NULL, 5) == UPROBE_SITE_STEP, "site kind: NULL is single-step");
	names[0] = elfsym__site_kind_name(UPROBE_SITE_NOP5);
	names[1] = elfsym__site_kind_name(UPROBE_SITE_NOP);
	names[2] = elfsym__site_kind_name(UPROBE_SITE_PUSH);
	names[3] = elfsym__site_kind_name(UPROBE_SITE_BRANCH);
	names[4] = elfsym__site_kind_name(UPROBE_SITE_STEP);
	for (i = 0; i < 5; i++)
		for (j = i + 1; j < 5; j++)
			distinct = distinct && strcmp(names[i], names[j]) != 0;
	check(distinct && strcmp(names[0], "nop5") == 0 && strcmp(names[2], "push (emulated)") == 0,
	      "site kind: names are distinct (%s, %s, %s, %s, %s)", names[0], names[1], names[2],
	      names[3], names[4]);
	check(strcmp(elfsym__site_kind_name((enum uprobe_site_kind)99), "unknown") == 0,
	      "site kind: a value outside the enum is 'unknown'");
}

/* The probe sites of the fixture, read from the file and classified. */
static void check_sites(const char *tag, struct elfsym_file *f)
{
	static const struct {
		const char *name;
		enum uprobe_site_kind kind;
	} sites[] = {
		{"fx_site_nop5", UPROBE_SITE_NOP5},   {"fx_site_push", UPROBE_SITE_PUSH},
		{"fx_site_r12", UPROBE_SITE_PUSH},    {"fx_site_endbr", UPROBE_SITE_STEP},
		{"fx_site_call", UPROBE_SITE_BRANCH},
	};
	struct elfsym_sym s;
	enum uprobe_site_kind k;
	size_t i;
	int err;

	for (i = 0; i < ARRAY_SIZE(sites); i++) {
		err = elfsym__find(f, sites[i].name, &s);
		k = err ? UPROBE_SITE_STEP : elfsym__site_kind(s.code, s.code_len);
		check(!err && k == sites[i].kind && s.code_len == (int)sizeof(s.code),
		      "%s: %s is a %s site (got %d, %s, %d bytes)", tag, sites[i].name,
		      elfsym__site_kind_name(sites[i].kind), err, elfsym__site_kind_name(k),
		      s.code_len);
	}
}

/* elfsym__object_at(): the object at a file offset, by nm's address and readelf's segments. */
static void check_object_at(const char *tag, struct elfsym_file *f, const char *ref,
			    const char *sym, unsigned long long delta, bool bss, const char *want)
{
	unsigned long long off = 0, v = nm_value(ref, false, sym, false);
	char name[64] = "";
	int err = -ENOENT;

	if (v && !readelf_offset_in(ref, v + delta, bss, &off))
		err = elfsym__object_at(f, off, name, sizeof(name));
	check(!err && !strcmp(name, want), "%s: the object at %s+%llu is %s (got %d, '%s')", tag,
	      sym, delta, want, err, name);
}

/* @ref: the unstripped file with @f's layout, for nm */
static void check_objects(const char *tag, struct elfsym_file *f, const char *ref)
{
	unsigned long long u64 = 0, off = 0;
	unsigned short u16 = 0;
	unsigned int u32 = 0;
	char name[64];
	int err;

	check_object_at(tag, f, ref, "fx_const_u64", 0, false, "fx_const_u64");
	check_object_at(tag, f, ref, "fx_const_u64", 5, false, "fx_const_u64+0x5");
	/* .bss: a static lock lives there (the GMutex in tests/progs/ghash) */
	check_object_at(tag, f, ref, "fx_bss_u32", 0, true, "fx_bss_u32");
	err = readelf_offset(ref, nm_value(ref, false, "fx_alpha", false), &off) ?:
	      elfsym__object_at(f, off, name, sizeof(name));
	check(err == -ENOENT, "%s: code is no data object: -ENOENT (got %d)", tag, err);

	err = elfsym__read_object(f, "fx_const_u32", &u32, sizeof(u32));
	check(!err && u32 == 0xdeadbeefu, "%s: fx_const_u32 reads 0xdeadbeef (got %d, %#x)", tag,
	      err, u32);
	err = elfsym__read_object(f, "fx_const_u16", &u16, sizeof(u16));
	check(!err && u16 == 0xbeef, "%s: fx_const_u16 reads 0xbeef (got %d, %#x)", tag, err, u16);
	err = elfsym__read_object(f, "fx_const_u64", &u64, sizeof(u64));
	check(!err && u64 == 0x0123456789abcdefull,
	      "%s: fx_const_u64 reads 0x0123456789abcdef (got %d, %#llx)", tag, err, u64);
	err = elfsym__read_object(f, "fx_const_u32", &u64, sizeof(u64));
	check(err == -EINVAL, "%s: 8 bytes of a 4-byte object is -EINVAL (got %d)", tag, err);
	err = elfsym__read_object(f, "fx_const_u32", &u32, 3);
	check(err == -EINVAL, "%s: a size of 3 is -EINVAL (got %d)", tag, err);
	err = elfsym__read_object(f, "fx_bss_u32", &u32, sizeof(u32));
	check(err == -EINVAL, "%s: a .bss object has no bytes in the file: -EINVAL (got %d)", tag,
	      err);
	err = elfsym__read_object(f, "fx_alpha", &u32, sizeof(u32));
	check(err == -ENOENT, "%s: a function is not a data object: -ENOENT (got %d)", tag, err);
	err = elfsym__read_object(f, "fx_nosuch", &u32, sizeof(u32));
	check(err == -ENOENT, "%s: a missing object is -ENOENT (got %d)", tag, err);
}

/* An unstripped executable: everything from its own .symtab. */
static void test_symtab(const char *tag, const char *file)
{
	const char *path = tmp_path(file);
	struct elfsym_file *f = open_or_fail(tag, path, "");
	struct elfsym_sym s;
	char want_id[41];
	int err;

	if (!f)
		return;
	tap_readelf_build_id(path, want_id);
	check(want_id[0] && strcmp(elfsym__build_id(f), want_id) == 0,
	      "%s: build-id matches readelf -n (got %s, want %s)", tag, elfsym__build_id(f),
	      want_id);
	check(!elfsym__stripped(f) && !elfsym__debug_path(f),
	      "%s: not stripped, no debug file in use", tag);
	s = expect_func(tag, f, path, "fx_alpha", path, false, "fx_alpha", "symtab");
	check(s.size > 0 && !s.ifunc, "%s: fx_alpha has a size and is no IFUNC (size %llu)", tag,
	      (unsigned long long)s.size);
	expect_func(tag, f, path, "fx_static", path, false, "fx_static", "symtab");
	expect_func(tag, f, path, "main", path, false, "main", "symtab");
	/* an untyped label in .text, as hand-written assembly leaves: still a probe site */
	expect_func(tag, f, path, "fx_label", path, false, "fx_label", "symtab");
	check_sites(tag, f);
	check_objects(tag, f, path);
	expect_missing(tag, f, "fx_nosuch");
	expect_missing(tag, f, "fx_const_u32"); /* data is not a function */
	expect_missing(tag, f, "fx_alph");	/* prefixes do not match */
	err = elfsym__find(f, "", &s);
	check(err == -EINVAL, "%s: an empty name is -EINVAL (got %d)", tag, err);
	err = elfsym__find(f, "fx_alpha@", &s);
	check(err == -EINVAL, "%s: an empty version is -EINVAL (got %d)", tag, err);
	{
		char names[512] = "";
		int n = elfsym__glob(f, "fx_site_[np]*", glob_names, names);

		/* functions only, in symbol-table order: not fx_label, untyped */
		check(n == 2 && !strcmp(names, "fx_site_nop5,fx_site_push"),
		      "%s: glob fx_site_[np]* finds fx_site_nop5 and fx_site_push (got %d: %s)",
		      tag, n, names);
		names[0] = '\0';
		n = elfsym__glob(f, "fx_*label", glob_names, names);
		check(n == 0 && !names[0], "%s: glob fx_*label finds no function (got %d: %s)", tag,
		      n, names);
	}
	elfsym__close(f);
}

/* Stripped, no debug file anywhere to be found: only .dynsym, which has none of these. */
static void test_stripped(void)
{
	const char *tag = "stripped";
	struct elfsym_file *f = open_or_fail(tag, tmp_path("fx_stripped"), "");

	if (!f)
		return;
	check(elfsym__stripped(f) && !elfsym__debug_path(f),
	      "%s: elfsym__stripped is true, no debug file", tag);
	check(strcmp(elfsym__build_id(f), exe_id) == 0, "%s: build-id kept by strip (got %s)", tag,
	      elfsym__build_id(f));
	expect_missing(tag, f, "fx_alpha");
	expect_missing(tag, f, "fx_static");
	elfsym__close(f);
}

/* A stripped copy of fx_exe whose debug file should be found: same answers as fx_exe's. */
static void test_debug_file(const char *tag, const char *path, const char *root,
			    const char *want_debug)
{
	struct elfsym_file *f = open_or_fail(tag, path, root);
	const char *dbg;
	char where[PATH_MAX + 16];

	if (!f)
		return;
	dbg = elfsym__debug_path(f);
	check(dbg && strcmp(dbg, want_debug) == 0, "%s: debug file is %s (got %s)", tag, want_debug,
	      dbg ?: "none");
	check(!elfsym__stripped(f), "%s: not stripped with a debug file", tag);
	snprintf(where, sizeof(where), "debug file %s", want_debug);
	expect_func(tag, f, path, "fx_alpha", tmp_path("fx_exe"), false, "fx_alpha", where);
	expect_func(tag, f, path, "fx_static", tmp_path("fx_exe"), false, "fx_static", where);
	check_sites(tag, f);
	check_objects(tag, f, tmp_path("fx_exe")); /* the same layout: a stripped copy */
	elfsym__close(f);
}

/* A debug file that does not belong to the file must be refused, whatever its name says. */
static void test_refused(const char *tag, const char *path, const char *root)
{
	struct elfsym_file *f = open_or_fail(tag, path, root);
	const char *dbg;

	if (!f)
		return;
	dbg = elfsym__debug_path(f);
	check(!dbg && elfsym__stripped(f), "%s: the debug file is refused (got %s)", tag,
	      dbg ?: "none");
	expect_missing(tag, f, "fx_alpha");
	elfsym__close(f);
}

static void test_debug_files(void)
{
	char want[PATH_MAX], path[PATH_MAX], cwd[PATH_MAX];
	struct elfsym_file *f;

	snprintf(want, sizeof(want), "%s/usr/lib/debug/.build-id/%.2s/%s.debug", tmp_path("root"),
		 exe_id, exe_id + 2);
	test_debug_file("build-id", tmp_path("fx_stripped"), tmp_path("root"), want);
	test_refused("build-id mismatch", tmp_path("fx_stripped"), tmp_path("badroot"));

	test_debug_file("debuglink", tmp_path("fx_dl"), "", tmp_path("fx_dl.debug"));
	test_debug_file("debuglink .debug/", tmp_path("fx_sub"), "",
			tmp_path(".debug/fx_sub.debug"));
	test_debug_file("debuglink root/usr/lib/debug/dir", tmp_path("root2/bin/fx_gl"),
			tmp_path("root2"), tmp_path("root2/usr/lib/debug/bin/fx_gl.debug"));

	/* as a tracer names a file of a process in another mount namespace */
	snprintf(path, sizeof(path), "/proc/self/root%s", tmp_path("fx_dl"));
	snprintf(want, sizeof(want), "/proc/self/root%s", tmp_path("fx_dl.debug"));
	test_debug_file("debuglink via /proc/self/root", path, "/proc/self/root", want);

	/* a relative path: "beside the file" is still its directory */
	if (getcwd(cwd, sizeof(cwd)) && chdir(tmpdir) == 0) {
		f = NULL;
		if (elfsym__open("fx_dl", "", &f) == 0) {
			check(elfsym__debug_path(f) &&
				      strcmp(elfsym__debug_path(f), tmp_path("fx_dl.debug")) == 0,
			      "debuglink relative: debug file found beside fx_dl (got %s)",
			      elfsym__debug_path(f) ?: "none");
			elfsym__close(f);
		} else {
			check(0, "debuglink relative: elfsym__open fx_dl");
		}
		check(chdir(cwd) == 0, "debuglink relative: back in %s", cwd);
	}

	/* no build-id on either side: the .gnu_debuglink CRC alone decides */
	f = open_or_fail("crc", tmp_path("fx_crc"), "");
	if (f) {
		check(!elfsym__build_id(f)[0], "crc: the file has no build-id (got '%s')",
		      elfsym__build_id(f));
		check(elfsym__debug_path(f) &&
			      strcmp(elfsym__debug_path(f), tmp_path("fx_crc.debug")) == 0,
		      "crc: debug file with the right CRC accepted (got %s)",
		      elfsym__debug_path(f) ?: "none");
		elfsym__close(f);
	}
	test_refused("crc mismatch", tmp_path("fx_crcbad"), "");
}

static void test_shared_lib(void)
{
	const char *lib = tmp_path("libfx.so"), *stripped = tmp_path("libfx_stripped.so");
	unsigned long long ver1, ver2;
	struct elfsym_file *f;
	struct elfsym_sym s;
	unsigned int u32 = 0;
	int err;

	f = open_or_fail("lib", lib, "");
	if (f) {
		expect_func("lib", f, lib, "fx_lib_func", lib, false, "fx_lib_func", "symtab");
		expect_func("lib", f, lib, "fx_lib_local", lib, false, "fx_lib_local", "symtab");
		/* .symtab spells versions in the name: fx_ver@VER_1, fx_ver@@VER_2 */
		expect_func("lib", f, lib, "fx_ver", lib, false, "fx_ver@@VER_2", "symtab");
		expect_func("lib", f, lib, "fx_ver@VER_1", lib, false, "fx_ver@VER_1", "symtab");
		elfsym__close(f);
	}

	f = open_or_fail("lib stripped", stripped, "");
	if (!f)
		return;
	check(elfsym__stripped(f), "lib stripped: elfsym__stripped is true");
	expect_func("lib stripped", f, stripped, "fx_lib_func", stripped, true,
		    "fx_lib_func@@VER_1", "dynsym");
	expect_missing("lib stripped", f, "fx_lib_local");
	ver1 = nm_value(stripped, true, "fx_ver@VER_1", false);
	ver2 = nm_value(stripped, true, "fx_ver@@VER_2", false);
	check(ver1 && ver2 && ver1 != ver2, "lib stripped: nm -D shows both versions of fx_ver");
	/* .dynsym keeps versions in .gnu.version: the default one is what new links get */
	expect_func("lib stripped", f, stripped, "fx_ver", stripped, true, "fx_ver@@VER_2",
		    "dynsym");
	expect_func("lib stripped", f, stripped, "fx_ver@VER_1", stripped, true, "fx_ver@VER_1",
		    "dynsym");
	expect_func("lib stripped", f, stripped, "fx_ver@@VER_2", stripped, true, "fx_ver@@VER_2",
		    "dynsym");
	expect_func("lib stripped", f, stripped, "fx_ver@VER_2", stripped, true, "fx_ver@@VER_2",
		    "dynsym");
	expect_missing("lib stripped", f, "fx_ver@@VER_1"); /* VER_1 exists, not as default */
	expect_missing("lib stripped", f, "fx_ver@VER_3");
	err = elfsym__find(f, "fx_lib_func@VER_1", &s);
	check(!err && s.vaddr == nm_value(stripped, true, "fx_lib_func@@VER_1", false),
	      "lib stripped: fx_lib_func@VER_1 names its only version (got %d)", err);
	err = elfsym__read_object(f, "fx_lib_const", &u32, sizeof(u32));
	check(!err && u32 == 42, "lib stripped: fx_lib_const reads 42 from .dynsym (got %d, %u)",
	      err, u32);
	elfsym__close(f);
}

/* ---- elfload: PT_LOAD lookups ------------------------------------------------------------ */

#define REF_LOADS_MAX 16

/* A PT_LOAD line of readelf -lW: the reference elfload is checked against. */
struct ref_load {
	unsigned long long off, vaddr, filesz, memsz;
	bool exec;
};

static int readelf_loads(const char *path, struct ref_load *v)
{
	char *argv[] = {"readelf", "-lW", (char *)path, NULL};
	char out[65536], *line, *save = NULL;
	int n = 0, pos;

	if (tap_run(argv, out, sizeof(out)) != 0)
		return -EIO;
	for (line = strtok_r(out, "\n", &save); line && n < REF_LOADS_MAX;
	     line = strtok_r(NULL, "\n", &save)) {
		struct ref_load *l = &v[n];
		unsigned long long paddr;

		pos = 0;
		if (sscanf(line, " LOAD %llx %llx %llx %llx %llx %n", &l->off, &l->vaddr, &paddr,
			   &l->filesz, &l->memsz, &pos) < 5 || !pos)
			continue;
		/* the flags, "R E", then the alignment "0x1000" */
		l->exec = strchr(line + pos, 'E') != NULL;
		n++;
	}
	return n;
}

/* Does reference segment @l count for @flags in this pass (executable ones first)? */
static bool ref_counts(const struct ref_load *l, unsigned int flags, int pass)
{
	bool exec_only = (flags & ELFLOAD_EXEC) || ((flags & ELFLOAD_PREFER_EXEC) && pass == 0);

	return l->exec || !exec_only;
}

/* Does @l hold [x, x + len)?  @bss: its memory image, else its bytes in the file. */
static bool ref_holds(const struct ref_load *l, bool by_vaddr, unsigned long long x,
		      unsigned long long len, unsigned int flags, bool bss)
{
	unsigned long long base = by_vaddr ? l->vaddr : l->off, lo = base;
	unsigned long long end = base + (bss ? l->memsz : l->filesz);

	if (flags & ELFLOAD_PAGE)
		lo &= ~4095ull;
	return x >= lo && x < end && len <= end - x;
}

/*
 * What elfload should answer, by its documented rules on readelf's numbers: the first segment in
 * header order holding [x, x + len) in its file bytes, then (ELFLOAD_BSS) in its memory image;
 * executable ones only (ELFLOAD_EXEC) or first (ELFLOAD_PREFER_EXEC); from the page its first
 * byte is in (ELFLOAD_PAGE).  -1 when none does.
 */
static int ref_find(const struct ref_load *v, int n, bool by_vaddr, unsigned long long x,
		    unsigned long long len, unsigned int flags)
{
	for (int bss = 0; bss < (flags & ELFLOAD_BSS ? 2 : 1); bss++)
		for (int pass = 0; pass < (flags & ELFLOAD_PREFER_EXEC ? 2 : 1); pass++)
			for (int i = 0; i < n; i++)
				if (ref_counts(&v[i], flags, pass) &&
				    ref_holds(&v[i], by_vaddr, x, len, flags, bss))
					return i;
	return -1;
}

/* Does elfload agree with ref_find() about @x (a vaddr when @by_vaddr, else an offset)? */
static bool elfload_agrees(const char *tag, Elf *elf, const struct ref_load *v, int n,
			   bool by_vaddr, unsigned long long x, unsigned int flags)
{
	int want = ref_find(v, n, by_vaddr, x, by_vaddr ? 2 : 1, flags), err;
	unsigned long long exp = 0;
	GElf_Phdr ph = {0};
	__u64 got = 0;

	if (by_vaddr) {
		err = elfload__vaddr_to_offset(elf, x, 2, flags, &ph, &got);
		if (want >= 0)
			exp = x - v[want].vaddr + v[want].off;
	} else {
		err = elfload__offset_to_vaddr(elf, x, flags, &ph, &got);
		if (want >= 0)
			exp = x - v[want].off + v[want].vaddr;
	}
	if (want < 0 ? err == -ENOENT : !err && got == exp && ph.p_offset == v[want].off)
		return true;
	diag("%s: %s %#llx flags %#x: got %d %#llx, want segment %d %#llx", tag,
	     by_vaddr ? "vaddr" : "offset", x, flags, err, (unsigned long long)got, want, exp);
	return false;
}

/*
 * Both directions at each segment's edges (first byte, last file byte, one past, the end of its
 * memory image, the page below), under the flag sets the callers use, against ref_find().
 */
static void check_elfload_edges(const char *tag, Elf *elf, const struct ref_load *v, int n)
{
	static const unsigned int flag_sets[] = {
		0, ELFLOAD_EXEC, ELFLOAD_BSS, ELFLOAD_PREFER_EXEC | ELFLOAD_PAGE,
	};
	int agree = 0, total = 0;

	for (size_t f = 0; f < ARRAY_SIZE(flag_sets); f++) {
		for (int i = 0; i < n * 2; i++) {
			const struct ref_load *l = &v[i / 2];
			bool by_vaddr = i % 2;
			unsigned long long base = by_vaddr ? l->vaddr : l->off;
			unsigned long long xs[] = {
				base,
				base + l->filesz - 1,
				base + l->filesz,
				base + l->memsz - 1,
				base + l->memsz,
				(base & ~4095ull) - 1,
				base & ~4095ull,
				base - 1,
			};

			for (size_t k = 0; k < ARRAY_SIZE(xs); k++, total++)
				agree += elfload_agrees(tag, elf, v, n, by_vaddr, xs[k],
							flag_sets[f]);
		}
	}
	check(total && agree == total,
	      "%s: elfload agrees with readelf's segments at every segment edge (%d of %d)", tag,
	      agree, total);
}

/* elfload on @path: its symbols' offsets by readelf, then every segment edge. */
static void test_elfload(const char *tag, const char *path, bool fixture)
{
	struct ref_load v[REF_LOADS_MAX];
	unsigned long long alpha, u64, bss, off;
	__u64 got, back;
	GElf_Phdr ph;
	Elf *elf = NULL;
	int fd, n, err;

	n = readelf_loads(path, v);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0 && elf_version(EV_CURRENT) != EV_NONE)
		elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!check(n > 1 && elf, "%s: readelf lists %d PT_LOADs, libelf opens the file", tag, n))
		goto cleanup;
	check_elfload_edges(tag, elf, v, n);
	/* what the unwinder asks: the page-aligned pgoff of a code mapping names its segment */
	for (int i = 0; i < n; i++) {
		unsigned long long pgoff = v[i].off & ~4095ull;
		__u64 vaddr = 0;

		if (!v[i].exec)
			continue;
		err = elfload__offset_to_vaddr(elf, pgoff, ELFLOAD_PREFER_EXEC | ELFLOAD_PAGE, &ph,
					       &vaddr);
		check(!err && (ph.p_flags & PF_X) && ph.p_offset == v[i].off &&
			      vaddr == v[i].vaddr - (v[i].off - pgoff),
		      "%s: a code mapping at pgoff %#llx is placed by its executable segment, at "
		      "%#llx (got %d, %#llx)",
		      tag, pgoff, v[i].vaddr - (v[i].off - pgoff), err, (unsigned long long)vaddr);
	}
	if (!fixture)
		goto cleanup;

	alpha = nm_value(path, false, "fx_alpha", false);
	err = readelf_offset(path, alpha, &off) ?:
	      elfload__vaddr_to_offset(elf, alpha, 1, ELFLOAD_EXEC, &ph, &got) ?:
	      elfload__offset_to_vaddr(elf, got, 0, NULL, &back);
	check(!err && got == off && (ph.p_flags & PF_X) && back == alpha,
	      "%s: fx_alpha at %#llx is at readelf's offset %#llx in an executable segment, and "
	      "back (got %d, %#llx, %#llx)",
	      tag, alpha, off, err, (unsigned long long)got, (unsigned long long)back);

	u64 = nm_value(path, false, "fx_const_u64", false);
	err = readelf_offset(path, u64, &off) ?:
	      elfload__vaddr_to_offset(elf, u64, 8, 0, &ph, &got);
	check(!err && got == off && !(ph.p_flags & PF_X),
	      "%s: fx_const_u64's 8 bytes are at readelf's offset %#llx (got %d, %#llx)", tag, off,
	      err, (unsigned long long)got);
	err = elfload__vaddr_to_offset(elf, u64, 8, ELFLOAD_EXEC, NULL, &got);
	check(err == -ENOENT, "%s: read-only data is in no executable segment: -ENOENT (got %d)",
	      tag, err);

	bss = nm_value(path, false, "fx_bss_u32", false);
	got = 0;
	err = elfload__vaddr_to_offset(elf, bss, 4, 0, NULL, &got);
	check(err == -ENOENT && got == 0,
	      "%s: .bss has no bytes in the file: -ENOENT, output untouched (got %d)", tag, err);
	err = readelf_offset_in(path, bss, true, &off) ?:
	      elfload__vaddr_to_offset(elf, bss, 4, ELFLOAD_BSS, NULL, &got) ?:
	      elfload__offset_to_vaddr(elf, got, ELFLOAD_BSS, NULL, &back);
	check(!err && got == off && back == bss,
	      "%s: with ELFLOAD_BSS, fx_bss_u32 is where a mapping of the file puts it, %#llx, "
	      "and back (got %d, %#llx)",
	      tag, off, err, (unsigned long long)got);
	err = elfload__offset_to_vaddr(elf, off, 0, NULL, &back);
	check(err == -ENOENT, "%s: that offset is past the file's bytes: -ENOENT (got %d)", tag,
	      err);
cleanup:
	if (elf)
		elf_end(elf);
	if (fd >= 0)
		close(fd);
}

static void test_elfload_errors(void)
{
	__u64 x;

	check(elfload__vaddr_to_offset(NULL, 0, 1, 0, NULL, &x) == -EINVAL &&
		      elfload__offset_to_vaddr(NULL, 0, 0, NULL, &x) == -EINVAL,
	      "elfload: a NULL file is -EINVAL");
}

/* The libc this test runs with, as /proc/self/maps names it. */
static int libc_path(char *out, size_t len)
{
	char line[PATH_MAX + 128], file[PATH_MAX];
	FILE *m = fopen("/proc/self/maps", "r");
	int err = -ENOENT;

	if (!m)
		return -errno;
	while (fgets(line, sizeof(line), m)) {
		if (sscanf(line, "%*s %*s %*s %*s %*s %4095s", file) == 1 &&
		    strstr(file, "/libc.so.6")) {
			snprintf(out, len, "%s", file);
			err = 0;
			break;
		}
	}
	fclose(m);
	return err;
}

static void test_libc(void)
{
	unsigned long long want, compat;
	char path[PATH_MAX];
	struct elfsym_file *f;
	struct elfsym_sym s;
	int err;

	if (libc_path(path, sizeof(path)) != 0) {
		check(1, "libc: # SKIP libc.so.6 not in /proc/self/maps");
		return;
	}
	f = open_or_fail("libc", path, "");
	if (!f)
		return;
	/* one default version: pthread_mutex_lock@@GLIBC_2.2.5 on x86-64 */
	want = nm_value(path, true, "pthread_mutex_lock@@", true);
	err = elfsym__find(f, "pthread_mutex_lock", &s);
	check(!err && want && s.vaddr == want,
	      "libc: pthread_mutex_lock at nm -D's default version %#llx (got %d, %#llx in %s)",
	      want, err, (unsigned long long)s.vaddr, s.where);
	/* two: the compat pthread_cond_wait@GLIBC_2.2.5 and the default @@GLIBC_2.3.2 */
	want = nm_value(path, true, "pthread_cond_wait@@", true);
	compat = nm_value(path, true, "pthread_cond_wait@GLIBC_2.2.5", false);
	err = elfsym__find(f, "pthread_cond_wait", &s);
	check(!err && want && s.vaddr == want,
	      "libc: pthread_cond_wait is the default version %#llx (got %d, %#llx)", want, err,
	      (unsigned long long)s.vaddr);
	if (compat) {
		err = elfsym__find(f, "pthread_cond_wait@GLIBC_2.2.5", &s);
		check(!err && s.vaddr == compat && compat != want,
		      "libc: pthread_cond_wait@GLIBC_2.2.5 is the compat one %#llx (got %d, %#llx)",
		      compat, err, (unsigned long long)s.vaddr);
	} else {
		check(1, "libc: # SKIP no pthread_cond_wait@GLIBC_2.2.5 in this libc");
	}
	elfsym__close(f);
	test_elfload("elfload libc", path, false);
}

static void test_glib(void)
{
	struct elfsym_file *f;
	unsigned int major = 0;
	int err;

	if (access(GLIB_PATH, R_OK) != 0) {
		check(1, "glib: # SKIP %s absent (install libglib2.0-0 to run this check)",
		      GLIB_PATH);
		return;
	}
	f = open_or_fail("glib", GLIB_PATH, "");
	if (!f)
		return;
	err = elfsym__read_object(f, "glib_major_version", &major, sizeof(major));
	check(!err && major == 2, "glib: glib_major_version reads 2 (got %d, %u)", err, major);
	elfsym__close(f);
}

static void test_open_errors(void)
{
	struct elfsym_file *f = (struct elfsym_file *)1;
	int err;

	err = elfsym__open(tmp_path("no_such_file"), "", &f);
	check(err == -ENOENT && !f, "errors: a missing file is -ENOENT (got %d)", err);
	err = elfsym__open(tmp_path("fx_main.c"), "", &f);
	check(err == -ENOEXEC, "errors: a C source is -ENOEXEC (got %d)", err);
	err = elfsym__open(tmpdir, "", &f);
	check(err == -ENOEXEC, "errors: a directory is -ENOEXEC (got %d)", err);
	err = elfsym__open(NULL, "", &f);
	check(err == -EINVAL, "errors: a NULL path is -EINVAL (got %d)", err);
	elfsym__close(NULL);
	check(elfsym__debug_path(NULL) == NULL && !elfsym__stripped(NULL) &&
		      elfsym__build_id(NULL)[0] == '\0',
	      "errors: accessors take NULL");
}

int main(void)
{
	int err;

	if (tap_tmpdir(tmpdir, sizeof(tmpdir), "elfsymtest"))
		return 1;

	test_site_kinds();
	err = build_fixtures();
	check(!err, "fixtures built with gcc in %s (%d)", tmpdir, err);
	if (!err) {
		test_symtab("pie", "fx_exe");
		test_symtab("nopie", "fx_nopie");
		test_stripped();
		test_debug_files();
		test_shared_lib();
		test_elfload("elfload pie", tmp_path("fx_exe"), true);
		test_elfload("elfload nopie", tmp_path("fx_nopie"), true);
		test_elfload("elfload lib", tmp_path("libfx.so"), false);
		/* lld starts the code segment mid-page, after a read-only one holding that page */
		if (tap_runv("gcc", "-O0", "-g", "-fPIE", "-pie", "-fuse-ld=lld",
			     tmp_path("fx_main.c"), "-o", tmp_path("fx_lld"), NULL) == 0)
			test_elfload("elfload lld", tmp_path("fx_lld"), true);
		else
			check(1, "elfload lld: # SKIP gcc -fuse-ld=lld failed (no lld?)");
	}
	test_elfload_errors();
	test_libc();
	test_glib();
	test_open_errors();

	tap_rmtree(tmpdir);
	return tap_exit();
}
