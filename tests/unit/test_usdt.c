// SPDX-License-Identifier: MIT
/*
 * Test of user/usdt.c: stapsdt notes, argument specs and uprobe_multi links.
 *
 * Without privileges: the spec layout against the BTF of a BPF object built with the real
 * <bpf/usdt.bpf.h>, register offsets, link_create's uprobe_multi layout and
 * BPF_TRACE_UPROBE_MULTI against the running kernel's BTF, the argument parser on every form
 * gcc emits, and usdt__parse() of tests/fixtures/usdt_fixture.c (built here with gcc -O2 and
 * -O0) against `readelf -n` and the section headers, including a simulated prelink.
 *
 * As root: loads tests/fixtures/usdt_test.bpf.c (built here with clang) with plain libbpf
 * calls, attaches it to the fixture's sites with one uprobe_multi link per probe, and checks
 * that the program saw exactly the argument values the fixture passed, as often as it fired,
 * that the semaphores were raised only in the traced process and dropped after detaching;
 * then prints how long closing links takes against the number of sites, next to libbpf 1.1's
 * one-perf-uprobe-per-site attachment.
 *
 * Usage: test_usdt [FIXTURE_DIR] (default tests/fixtures; vmlinux.h is looked up in
 * FIXTURE_DIR/../../vmlinux/x86). Prints "ok - ..." / "not ok - ..." per check, exits non-zero
 * on any failure.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "../lib/check.h"
#include "usdt.h"
#include "util.h"

#define FIRES	  3   /* how often the attached fixture fires each site */
#define MAX_IDS	  128 /* MAX_IDS of usdt_test.bpf.c */
#define MAX_VALS  6   /* MAX_ARGS of usdt_test.bpf.c */
#define MAX_LINES 128

static char tmpdir[PATH_MAX];
static char fixture_dir[PATH_MAX];

static const char *tmp_path(const char *name)
{
	static char buf[8][PATH_MAX + 64];
	static int slot;
	char *p = buf[slot++ % 8];

	snprintf(p, sizeof(buf[0]), "%s/%s", tmpdir, name);
	return p;
}

/* ---- layouts -------------------------------------------------------------------------- */

/*
 * Bit offset and type of member @name of composite @id, looking through anonymous members
 * as C does. Returns 0 or -ENOENT.
 */
static int btf_member(const struct btf *btf, __u32 id, const char *name, __u32 *bits, __u32 *type)
{
	const struct btf_type *t = btf__type_by_id(btf, id);
	const struct btf_member *m;

	if (!t || !btf_is_composite(t))
		return -ENOENT;
	m = btf_members(t);
	for (int i = 0; i < btf_vlen(t); i++) {
		const char *n = btf__name_by_offset(btf, m[i].name_off);
		__u32 sub;

		if (n && *n && !strcmp(n, name)) {
			*bits = btf_member_bit_offset(t, i);
			*type = m[i].type;
			return 0;
		}
		if ((!n || !*n) && !btf_member(btf, m[i].type, name, &sub, type)) {
			*bits = btf_member_bit_offset(t, i) + sub;
			return 0;
		}
	}
	return -ENOENT;
}

/* Byte offset of @name in the struct or union called @outer, or -1. */
static long btf_offset(const struct btf *btf, const char *outer, int kind, const char *name)
{
	__u32 bits, type;
	int id = btf__find_by_name_kind(btf, outer, kind);

	if (id < 0 || btf_member(btf, (__u32)id, name, &bits, &type))
		return -1;
	return bits / 8;
}

/* The kernel's pt_regs field names for our register spellings. */
static const struct {
	const char *kernel;
	const char *names[5];
} reg_families[] = {
	{"ax", {"rax", "eax", "ax", "al"}},	  {"bx", {"rbx", "ebx", "bx", "bl"}},
	{"cx", {"rcx", "ecx", "cx", "cl"}},	  {"dx", {"rdx", "edx", "dx", "dl"}},
	{"si", {"rsi", "esi", "si", "sil"}},	  {"di", {"rdi", "edi", "di", "dil"}},
	{"bp", {"rbp", "ebp", "bp", "bpl"}},	  {"sp", {"rsp", "esp", "sp", "spl"}},
	{"r8", {"r8", "r8d", "r8w", "r8b"}},	  {"r9", {"r9", "r9d", "r9w", "r9b"}},
	{"r10", {"r10", "r10d", "r10w", "r10b"}}, {"r11", {"r11", "r11d", "r11w", "r11b"}},
	{"r12", {"r12", "r12d", "r12w", "r12b"}}, {"r13", {"r13", "r13d", "r13w", "r13b"}},
	{"r14", {"r14", "r14d", "r14w", "r14b"}}, {"r15", {"r15", "r15d", "r15w", "r15b"}},
};

static long kernel_reg_off(const struct btf *vmlinux, const char *kernel_name)
{
	return btf_offset(vmlinux, "pt_regs", BTF_KIND_STRUCT, kernel_name);
}

static void test_kernel_layouts(void)
{
	static const struct {
		const char *field;
		long off; /* within link_create, as usdt.c lays it out */
	} um[] = {
		{"path", 16},	 {"offsets", 24}, {"ref_ctr_offsets", 32},
		{"cookies", 40}, {"cnt", 48},	  {"flags", 52},
		{"pid", 56},
	};
	struct btf *vmlinux = btf__load_vmlinux_btf();
	const struct btf_type *t;
	__u32 bits, lc_type, um_type;
	int id, bad = 0, n = 0;
	long val = -1;

	if (!vmlinux) {
		check(0, "kernel layouts: no kernel BTF (%s); maptrace needs it", strerror(errno));
		return;
	}
	/* registers: every spelling the parser knows reads the kernel's pt_regs field */
	for (size_t i = 0; i < ARRAY_SIZE(reg_families); i++) {
		long want = kernel_reg_off(vmlinux, reg_families[i].kernel);

		for (int j = 0; j < 4; j++) {
			struct __bpf_usdt_spec spec;
			char arg[32];

			snprintf(arg, sizeof(arg), "8@%%%s", reg_families[i].names[j]);
			n++;
			if (usdt__parse_args(arg, &spec) || spec.args[0].reg_off != want) {
				diag("%s: reg_off %d, kernel pt_regs.%s at %ld", arg,
				     spec.args[0].reg_off, reg_families[i].kernel, want);
				bad++;
			}
		}
	}
	check(!bad && n == 64, "%d register spellings map to the kernel's pt_regs offsets", n);

	/* link_create.uprobe_multi */
	id = btf__find_by_name_kind(vmlinux, "bpf_attr", BTF_KIND_UNION);
	bad = id < 0 || btf_member(vmlinux, (__u32)id, "link_create", &bits, &lc_type);
	if (!bad) {
		bad |= btf_member(vmlinux, lc_type, "prog_fd", &bits, &um_type) || bits != 0;
		bad |= btf_member(vmlinux, lc_type, "attach_type", &bits, &um_type) || bits != 64;
		bad |= btf_member(vmlinux, lc_type, "uprobe_multi", &bits, &um_type) || bits != 128;
	}
	for (size_t i = 0; !bad && i < ARRAY_SIZE(um); i++) {
		__u32 type;

		bad |= btf_member(vmlinux, um_type, um[i].field, &bits, &type) ||
		       16 + bits / 8 != (__u32)um[i].off;
		if (bad)
			diag("link_create.uprobe_multi.%s: kernel offset %u, usdt.c %ld",
			     um[i].field, 16 + bits / 8, um[i].off);
	}
	check(!bad, "union bpf_attr's link_create.uprobe_multi is laid out as usdt.c assumes");

	id = btf__find_by_name_kind(vmlinux, "bpf_attach_type", BTF_KIND_ENUM);
	t = id < 0 ? NULL : btf__type_by_id(vmlinux, (__u32)id);
	for (int i = 0; t && i < btf_vlen(t); i++)
		if (!strcmp(btf__name_by_offset(vmlinux, btf_enum(t)[i].name_off),
			    "BPF_TRACE_UPROBE_MULTI"))
			val = btf_enum(t)[i].val;
	check(val == USDT_TRACE_UPROBE_MULTI,
	      "BPF_TRACE_UPROBE_MULTI is %ld in the kernel, %d in usdt.h", val,
	      USDT_TRACE_UPROBE_MULTI);
	btf__free(vmlinux);
}

/* usdt.h's replica of the spec against the BTF of an object compiled with <bpf/usdt.bpf.h>. */
static void test_spec_layout(const char *bpf_obj)
{
	static const struct {
		const char *type, *field;
		long off;
	} fields[] = {
		{"__bpf_usdt_arg_spec", "val_off", offsetof(struct __bpf_usdt_arg_spec, val_off)},
		{"__bpf_usdt_arg_spec", "arg_type", offsetof(struct __bpf_usdt_arg_spec, arg_type)},
		{"__bpf_usdt_arg_spec", "reg_off", offsetof(struct __bpf_usdt_arg_spec, reg_off)},
		{"__bpf_usdt_arg_spec", "arg_signed",
		 offsetof(struct __bpf_usdt_arg_spec, arg_signed)},
		{"__bpf_usdt_arg_spec", "arg_bitshift",
		 offsetof(struct __bpf_usdt_arg_spec, arg_bitshift)},
		{"__bpf_usdt_spec", "args", offsetof(struct __bpf_usdt_spec, args)},
		{"__bpf_usdt_spec", "usdt_cookie", offsetof(struct __bpf_usdt_spec, usdt_cookie)},
		{"__bpf_usdt_spec", "arg_cnt", offsetof(struct __bpf_usdt_spec, arg_cnt)},
	};
	struct btf *btf = btf__parse(bpf_obj, NULL);
	int bad = 0, id;

	if (!btf) {
		check(0, "read BTF of %s: %s", bpf_obj, strerror(errno));
		return;
	}
	for (size_t i = 0; i < ARRAY_SIZE(fields); i++) {
		long off = btf_offset(btf, fields[i].type, BTF_KIND_STRUCT, fields[i].field);

		if (off != fields[i].off) {
			diag("%s.%s: usdt.bpf.h %ld, usdt.h %ld", fields[i].type, fields[i].field,
			     off, fields[i].off);
			bad++;
		}
	}
	id = btf__find_by_name_kind(btf, "__bpf_usdt_spec", BTF_KIND_STRUCT);
	bad |= id < 0 || btf__resolve_size(btf, (__u32)id) != sizeof(struct __bpf_usdt_spec);
	id = btf__find_by_name_kind(btf, "__bpf_usdt_arg_spec", BTF_KIND_STRUCT);
	bad |= id < 0 || btf__resolve_size(btf, (__u32)id) != sizeof(struct __bpf_usdt_arg_spec);
	check(!bad, "usdt.h's __bpf_usdt_spec matches <bpf/usdt.bpf.h> field by field (%zu bytes)",
	      sizeof(struct __bpf_usdt_spec));
	btf__free(btf);
}

/* ---- argument parser ------------------------------------------------------------------ */

static void test_parse_args(void)
{
	static const struct {
		const char *arg;
		int err;
		__u32 type;
		const char *reg; /* kernel pt_regs field */
		__u64 val;
		int is_signed, shift;
	} cases[] = {
		{"-4@%edi", 0, BPF_USDT_ARG_REG, "di", 0, 1, 32},
		{"8@%rax", 0, BPF_USDT_ARG_REG, "ax", 0, 0, 0},
		{"8@-24(%rbp)", 0, BPF_USDT_ARG_REG_DEREF, "bp", (__u64)-24, 0, 0},
		{"-4@$5", 0, BPF_USDT_ARG_CONST, NULL, 5, 1, 32},
		{"8@8(%rdi)", 0, BPF_USDT_ARG_REG_DEREF, "di", 8, 0, 0},
		{"-8@(%rdi)", 0, BPF_USDT_ARG_REG_DEREF, "di", 0, 1, 0},
		{"1@$-56", 0, BPF_USDT_ARG_CONST, NULL, (__u64)-56, 0, 56},
		{"-2@%r15w", 0, BPF_USDT_ARG_REG, "r15", 0, 1, 48},
		{"1@%r8b", 0, BPF_USDT_ARG_REG, "r8", 0, 0, 56},
		{"4@%r9d", 0, BPF_USDT_ARG_REG, "r9", 0, 0, 32},
		{"-1@%sil", 0, BPF_USDT_ARG_REG, "si", 0, 1, 56},
		{"2@%ax", 0, BPF_USDT_ARG_REG, "ax", 0, 0, 48},
		{"-8@1204(%r12)", 0, BPF_USDT_ARG_REG_DEREF, "r12", 1204, 1, 0},
		{"8@$18446744073709551615", 0, BPF_USDT_ARG_CONST, NULL, ~0ull, 0, 0},
		{"8@$0x10", 0, BPF_USDT_ARG_CONST, NULL, 16, 0, 0},
		{.arg = "8@foo(%rip)", .err = -EINVAL},
		{.arg = "-8@usdtfix_global+8(%rip)", .err = -EINVAL},
		{.arg = "8@16(%rip)", .err = -EINVAL},
		{.arg = "8@%rip", .err = -EINVAL},
		{.arg = "8@-96(%rbp,%rax,8)", .err = -EINVAL},
		{.arg = "8@$foo", .err = -EINVAL},
		{.arg = "3@%rax", .err = -EINVAL},
		{.arg = "%rax", .err = -EINVAL},
		{.arg = "8@%xmm0", .err = -EINVAL},
		{.arg = "8@%raxx", .err = -EINVAL},
		{.arg = "8@%rax,", .err = -EINVAL},
	};
	struct btf *vmlinux = btf__load_vmlinux_btf();
	struct __bpf_usdt_spec spec;
	int err;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct __bpf_usdt_arg_spec *a = &spec.args[0];
		long reg = 0;
		int ok;

		err = usdt__parse_args(cases[i].arg, &spec);
		if (cases[i].err) {
			check(err == cases[i].err, "\"%s\" is refused (%d)", cases[i].arg, err);
			continue;
		}
		if (cases[i].reg)
			reg = vmlinux ? kernel_reg_off(vmlinux, cases[i].reg) : -1;
		ok = !err && spec.arg_cnt == 1 && a->arg_type == cases[i].type &&
		     a->val_off == cases[i].val && a->arg_signed == cases[i].is_signed &&
		     a->arg_bitshift == cases[i].shift && (!cases[i].reg || a->reg_off == reg);
		check(ok, "\"%s\" -> type %u reg_off %d val_off %lld signed %d shift %d",
		      cases[i].arg, a->arg_type, a->reg_off, (long long)a->val_off, a->arg_signed,
		      a->arg_bitshift);
	}
	btf__free(vmlinux);

	err = usdt__parse_args("", &spec);
	check(!err && spec.arg_cnt == 0, "an empty argument string is a probe without arguments");
	err = usdt__parse_args("  -4@%edi\t8@%rax  -1@$3 ", &spec);
	check(!err && spec.arg_cnt == 3 && spec.args[2].val_off == 3,
	      "arguments separated by runs of blanks (%d args)", spec.arg_cnt);
	err = usdt__parse_args("8@%rax 8@%rax 8@%rax 8@%rax 8@%rax 8@%rax 8@%rax 8@%rax 8@%rax "
			       "8@%rax 8@%rax 8@%rax",
			       &spec);
	check(!err && spec.arg_cnt == 12, "12 arguments are accepted");
	err = usdt__parse_args("8@%rax 8@%rax 8@%rax 8@%rax 8@%rax 8@%rax 8@%rax 8@%rax 8@%rax "
			       "8@%rax 8@%rax 8@%rax 8@%rax",
			       &spec);
	check(err == -E2BIG, "13 arguments are refused with -E2BIG (%d)", err);
}

/* ---- notes against readelf and section headers ---------------------------------------- */

struct ref_note {
	char provider[64], name[64], args[256];
	__u64 addr, sema;
};

/* The notes as `readelf -n` prints them. */
static int readelf_notes(const char *path, struct ref_note **notes)
{
	static char out[1 << 20];
	char *argv[] = {"readelf", "-nW", (char *)path, NULL}, *p = out;
	int n = 0, cap = 0;

	*notes = NULL;
	if (tap_run(argv, out, sizeof(out)))
		return -1;
	while ((p = strstr(p, "Provider: "))) {
		char *next = strstr(p + 1, "Provider: "), *q;
		struct ref_note r = {0};

		if (next)
			*next = '\0'; /* the fields below belong to this note */
		sscanf(p, "Provider: %63s", r.provider);
		q = strstr(p, "Name: ");
		if (q)
			sscanf(q, "Name: %63s", r.name);
		q = strstr(p, "Location: ");
		if (q)
			sscanf(q, "Location: %llx, Base: %*x, Semaphore: %llx",
			       (unsigned long long *)&r.addr, (unsigned long long *)&r.sema);
		q = strstr(p, "Arguments: ");
		if (q)
			sscanf(q, "Arguments: %255[^\n]", r.args);
		if (next)
			*next = 'P';
		if (n == cap) {
			struct ref_note *t;

			cap = cap ? cap * 2 : 64;
			t = realloc(*notes, (size_t)cap * sizeof(*t));
			if (!t)
				return -1;
			*notes = t;
		}
		(*notes)[n++] = r;
		p = next ? next : p + 1;
	}
	return n;
}

/* File offset of @addr by the section that holds it: another route than usdt.c's segments. */
static int section_offset(const char *path, __u64 addr, __u64 *off)
{
	int fd = open(path, O_RDONLY), err = -ENOENT;
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	Elf *elf;

	if (fd < 0)
		return -errno;
	elf = elf_begin(fd, ELF_C_READ, NULL);
	while (elf && (scn = elf_nextscn(elf, scn))) {
		if (!gelf_getshdr(scn, &sh) || !(sh.sh_flags & SHF_ALLOC) ||
		    sh.sh_type == SHT_NOBITS)
			continue;
		if (addr >= sh.sh_addr && addr < sh.sh_addr + sh.sh_size) {
			*off = addr - sh.sh_addr + sh.sh_offset;
			err = 0;
			break;
		}
	}
	elf_end(elf);
	close(fd);
	return err;
}

static int byte_at(const char *path, __u64 off)
{
	unsigned char b;
	int fd = open(path, O_RDONLY);
	ssize_t n = fd < 0 ? -1 : pread(fd, &b, 1, (off_t)off);

	if (fd >= 0)
		close(fd);
	return n == 1 ? b : -1;
}

static bool spec_same(const struct __bpf_usdt_spec *a, const struct __bpf_usdt_spec *b)
{
	if (a->arg_cnt != b->arg_cnt)
		return false;
	for (int i = 0; i < a->arg_cnt; i++)
		if (a->args[i].val_off != b->args[i].val_off ||
		    a->args[i].arg_type != b->args[i].arg_type ||
		    a->args[i].reg_off != b->args[i].reg_off ||
		    a->args[i].arg_signed != b->args[i].arg_signed ||
		    a->args[i].arg_bitshift != b->args[i].arg_bitshift)
			return false;
	return true;
}

static void test_parse_fixture(const char *label, const char *fix)
{
	struct usdt_site *sites = NULL, *all = NULL;
	struct ref_note *ref = NULL;
	int nsites = 0, nall = 0, nref, nfix = 0, matched = 0, bad_off = 0, bad_sema = 0, err;
	bool has_rip = false;

	nref = readelf_notes(fix, &ref);
	if (nref <= 0) {
		check(0, "%s: readelf -n lists the fixture's probes", label);
		return;
	}
	err = usdt__parse(fix, "usdtfix", &sites, &nsites);
	for (int i = 0; i < nref; i++) {
		if (strstr(ref[i].args, "(%rip)"))
			has_rip = true;
		if (strcmp(ref[i].provider, "usdtfix"))
			continue;
		nfix++;
		for (int j = 0; j < nsites; j++) {
			struct __bpf_usdt_spec want;
			__u64 off;

			if (sites[j].addr != ref[i].addr)
				continue;
			if (!strcmp(sites[j].provider, ref[i].provider) &&
			    !strcmp(sites[j].name, ref[i].name) &&
			    sites[j].semaphore == ref[i].sema &&
			    !usdt__parse_args(ref[i].args, &want) &&
			    spec_same(&want, &sites[j].spec))
				matched++;
			else
				diag("%s: site %s:%s at 0x%llx differs from readelf", label,
				     sites[j].provider, sites[j].name,
				     (unsigned long long)sites[j].addr);
			/* sys/sdt.h puts a one-byte nop at the site */
			if (section_offset(fix, sites[j].addr, &off) ||
			    off != sites[j].file_offset || byte_at(fix, off) != 0x90)
				bad_off++;
			if (section_offset(fix, sites[j].semaphore, &off) ||
			    off != sites[j].ref_ctr_offset)
				bad_sema++;
		}
	}
	check(!err && nsites == nfix && matched == nfix && nfix == 67,
	      "%s: usdt__parse finds the %d usdtfix sites readelf -n lists (%d found, %d agree)",
	      label, nfix, nsites, matched);
	check(!err && nsites && !bad_off,
	      "%s: every site's file offset is the nop its section header places there", label);
	check(!err && nsites && !bad_sema,
	      "%s: every semaphore's file offset agrees with the .probes section header", label);

	err = usdt__parse(fix, NULL, &all, &nall);
	if (has_rip)
		check(err == -EINVAL && !all && !nall,
		      "%s: a %%rip-relative argument fails the parse with -EINVAL (%d)", label,
		      err);
	else
		check(!err && nall == nref,
		      "%s: all %d probes parse without a provider filter (%d)", label, nref, nall);
	free(all);
	err = usdt__parse(fix, "nosuch", &all, &nall);
	check(!err && !nall && !all, "%s: an absent provider yields no sites", label);
	free(ref);
	free(sites);
}

/* A copy of @fix whose .stapsdt.base moved by @shift, as prelink moves it with the code. */
static int fake_prelink(const char *fix, const char *out, long shift)
{
	char *argv[] = {"cp", (char *)fix, (char *)out, NULL};
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	int fd, err = -ENOENT;
	GElf_Shdr sh;
	Elf *elf;

	if (tap_run(argv, NULL, 0))
		return -EIO;
	fd = open(out, O_RDWR);
	if (fd < 0)
		return -errno;
	elf = elf_begin(fd, ELF_C_RDWR, NULL);
	if (!elf || elf_getshdrstrndx(elf, &shstrndx))
		goto out;
	/* keep the file layout as it is; only the header field changes */
	elf_flagelf(elf, ELF_C_SET, ELF_F_LAYOUT);
	while ((scn = elf_nextscn(elf, scn))) {
		if (!gelf_getshdr(scn, &sh) ||
		    strcmp(elf_strptr(elf, shstrndx, sh.sh_name) ?: "", ".stapsdt.base"))
			continue;
		sh.sh_addr += (__u64)shift;
		gelf_update_shdr(scn, &sh);
		elf_flagscn(scn, ELF_C_SET, ELF_F_DIRTY);
		err = elf_update(elf, ELF_C_WRITE) < 0 ? -EIO : 0;
		break;
	}
out:
	elf_end(elf);
	close(fd);
	return err;
}

static void test_prelink(const char *fix)
{
	const long shift = -8; /* keeps sites in .text and semaphores in .data of the fixture */
	struct usdt_site *a = NULL, *b = NULL;
	int na = 0, nb = 0, bad = 0, err;

	err = fake_prelink(fix, tmp_path("fix_prelinked"), shift);
	if (err) {
		check(0, "copy the fixture with .stapsdt.base moved: %s", strerror(-err));
		return;
	}
	err = usdt__parse(fix, "usdtfix", &a, &na) ||
	      usdt__parse(tmp_path("fix_prelinked"), "usdtfix", &b, &nb);
	for (int i = 0; !err && i < na && na == nb; i++)
		bad += b[i].addr != a[i].addr + shift ||
		       b[i].file_offset != a[i].file_offset + shift ||
		       b[i].semaphore != a[i].semaphore + shift ||
		       b[i].ref_ctr_offset != a[i].ref_ctr_offset + shift;
	check(!err && na && na == nb && !bad,
	      "moving .stapsdt.base by %ld moves every site and semaphore by as much", shift);
	free(a);
	free(b);
}

static void test_parse_errors(void)
{
	struct usdt_site *s = NULL;
	char src[PATH_MAX + 32];
	int n = 0, err;

	err = usdt__parse(tmp_path("no_such_file"), NULL, &s, &n);
	check(err == -ENOENT && !s && !n, "a missing file is -ENOENT (%d)", err);
	snprintf(src, sizeof(src), "%s/usdt_fixture.c", fixture_dir);
	err = usdt__parse(src, NULL, &s, &n);
	check(err == -ENOEXEC && !s && !n, "a file that is not ELF is -ENOEXEC (%d)", err);
}

/* ---- the fixture as a process --------------------------------------------------------- */

struct fixture {
	pid_t pid;
	FILE *in, *out;
};

static int fixture_start(const char *path, struct fixture *f)
{
	int to[2], from[2], pid;
	char line[64];

	memset(f, 0, sizeof(*f));
	/* close-on-exec, or each fixture would hold the other's stdin open past fixture_stop() */
	if (pipe2(to, O_CLOEXEC) || pipe2(from, O_CLOEXEC))
		return -errno;
	f->pid = fork();
	if (f->pid < 0)
		return -errno;
	if (f->pid == 0) {
		dup2(to[0], STDIN_FILENO);
		dup2(from[1], STDOUT_FILENO);
		close(to[1]);
		close(from[0]);
		execl(path, path, (char *)NULL);
		_exit(127);
	}
	close(to[0]);
	close(from[1]);
	f->in = fdopen(to[1], "w");
	f->out = fdopen(from[0], "r");
	if (!f->in || !f->out || !fgets(line, sizeof(line), f->out) ||
	    sscanf(line, "ready %d", &pid) != 1 || pid != f->pid)
		return -EIO;
	return 0;
}

/* Send @cmd and collect the answer lines up to "end". Returns the number of lines. */
static int fixture_cmd(struct fixture *f, const char *cmd, char lines[][128], int max)
{
	char line[128];
	int n = 0;

	fprintf(f->in, "%s\n", cmd);
	fflush(f->in);
	while (fgets(line, sizeof(line), f->out)) {
		line[strcspn(line, "\n")] = '\0';
		if (!strcmp(line, "end"))
			return n;
		if (n < max)
			snprintf(lines[n++], 128, "%s", line);
	}
	return -EIO;
}

static long fixture_sema(struct fixture *f, const char *name)
{
	static char lines[16][128];
	char want[80];
	int n = fixture_cmd(f, "sema", lines, 16);

	snprintf(want, sizeof(want), "sema %s ", name);
	for (int i = 0; i < n; i++)
		if (!strncmp(lines[i], want, strlen(want)))
			return strtol(lines[i] + strlen(want), NULL, 10);
	return -1;
}

static void fixture_stop(struct fixture *f)
{
	if (f->in)
		fclose(f->in);
	if (f->out)
		fclose(f->out);
	if (f->pid > 0)
		waitpid(f->pid, NULL, 0);
	memset(f, 0, sizeof(*f));
}

/* ---- BPF ------------------------------------------------------------------------------ */

struct results {
	__u64 hits[MAX_IDS];
	long vals[MAX_IDS][MAX_VALS];
	int nargs[MAX_IDS];
	__u64 usdt_cookies[MAX_IDS];
	__u64 bad_cookie;
	int cookie_mode;
};

/* Copy the program's globals out of its .bss map, by their BTF offsets. */
static int read_results(struct bpf_object *obj, struct results *r)
{
	static const struct {
		const char *name;
		size_t off, size;
	} vars[] = {
		{"hits", offsetof(struct results, hits), sizeof(r->hits)},
		{"vals", offsetof(struct results, vals), sizeof(r->vals)},
		{"nargs", offsetof(struct results, nargs), sizeof(r->nargs)},
		{"usdt_cookies", offsetof(struct results, usdt_cookies), sizeof(r->usdt_cookies)},
		{"bad_cookie", offsetof(struct results, bad_cookie), sizeof(r->bad_cookie)},
		{"cookie_mode", offsetof(struct results, cookie_mode), sizeof(r->cookie_mode)},
	};
	const struct btf *btf = bpf_object__btf(obj);
	const struct btf_var_secinfo *vs;
	const struct btf_type *sec;
	struct bpf_map *map, *bss = NULL;
	int id, found = 0;
	char *buf;

	bpf_object__for_each_map(map, obj)
	{
		const char *n = bpf_map__name(map);

		if (strlen(n) >= 4 && !strcmp(n + strlen(n) - 4, ".bss"))
			bss = map;
	}
	id = btf__find_by_name_kind(btf, ".bss", BTF_KIND_DATASEC);
	if (!bss || id < 0)
		return -ENOENT;
	buf = calloc(1, bpf_map__value_size(bss));
	if (!buf)
		return -ENOMEM;
	if (bpf_map_lookup_elem(bpf_map__fd(bss), &(__u32){0}, buf)) {
		free(buf);
		return -errno;
	}
	sec = btf__type_by_id(btf, (__u32)id);
	vs = btf_var_secinfos(sec);
	memset(r, 0, sizeof(*r));
	for (int i = 0; i < btf_vlen(sec); i++) {
		const char *n =
			btf__name_by_offset(btf, btf__type_by_id(btf, vs[i].type)->name_off);

		for (size_t j = 0; j < ARRAY_SIZE(vars); j++)
			if (!strcmp(n, vars[j].name) && vs[i].size == vars[j].size) {
				memcpy((char *)r + vars[j].off, buf + vs[i].offset, vars[j].size);
				found++;
			}
	}
	free(buf);
	return found == (int)ARRAY_SIZE(vars) ? 0 : -ENOENT;
}

/* Open and load the test program; with @multi for uprobe_multi links, else for perf uprobes. */
static struct bpf_object *load_bpf(const char *path, bool multi, struct bpf_program **prog)
{
	struct bpf_object *obj = bpf_object__open_file(path, NULL);
	int err;

	if (!obj)
		return NULL;
	*prog = bpf_object__find_program_by_name(obj, "on_probe");
	/* before load: the kernel binds the attach type (and cookie helper) at load time */
	if (*prog && multi)
		bpf_program__set_expected_attach_type(
			*prog, (enum bpf_attach_type)USDT_TRACE_UPROBE_MULTI);
	err = *prog ? bpf_object__load(obj) : -ENOENT;
	if (err) {
		diag("cannot load %s: %s", path, strerror(-err));
		bpf_object__close(obj);
		return NULL;
	}
	return obj;
}

static const char *const probe_names[] = {"consts", "regs", "mem", "many"};
#define NPROBES	    4
#define COOKIE_BASE 0xc0c0a000ull /* usdt_cookie of probe_names[i] is COOKIE_BASE + i */

static int sites_named(const struct usdt_site *s, int n, const char *name)
{
	int c = 0;

	for (int i = 0; i < n; i++)
		c += !strcmp(s[i].name, name);
	return c;
}

/* The spec id the spec map holds for @site of probe @p, by reading the map back. */
static int spec_id_of(int map_fd, __u32 nids, const struct usdt_site *site, int p)
{
	for (__u32 id = 0; id < nids; id++) {
		struct __bpf_usdt_spec spec;

		if (!bpf_map_lookup_elem(map_fd, &id, &spec) &&
		    spec.usdt_cookie == COOKIE_BASE + (__u64)p && spec_same(&spec, &site->spec))
			return (int)id;
	}
	return -1;
}

/*
 * Check what the program saw after the fixture fired FIRES times: @fired holds the fixture's
 * own account of one round ("NAME SITE V0 V1 ...").
 */
static void check_values(const char *label, struct bpf_object *obj, int map_fd, __u32 nids,
			 const struct usdt_site *sites, int nsites, char fired[][128], int nfired)
{
	struct results r;
	int bad_hits = 0, bad_vals = 0, bad_cookie = 0, unmatched = 0, err;
	__u64 total = 0, expect_hits[MAX_IDS] = {0};

	err = read_results(obj, &r);
	if (err) {
		check(0, "%s: read the program's results: %s", label, strerror(-err));
		return;
	}
	for (int i = 0; i < nfired; i++) {
		char name[64];
		long v[MAX_VALS + 1];
		int site, n, p, id = -1;

		n = sscanf(fired[i], "%63s %d %ld %ld %ld %ld %ld %ld", name, &site, &v[0], &v[1],
			   &v[2], &v[3], &v[4], &v[5]);
		for (p = 0; p < NPROBES && strcmp(name, probe_names[p]); p++)
			;
		if (p == NPROBES)
			continue; /* usdtrip: not attached */
		n -= 2;
		/* the site: the only one of its name, or for "many" the one passing SITE */
		for (int j = 0; j < nsites && id < 0; j++) {
			if (strcmp(sites[j].name, name))
				continue;
			if (!strcmp(name, "many") &&
			    (sites[j].spec.args[0].arg_type != BPF_USDT_ARG_CONST ||
			     sites[j].spec.args[0].val_off != (__u64)site))
				continue;
			id = spec_id_of(map_fd, nids, &sites[j], p);
		}
		if (id < 0 || id >= MAX_IDS) {
			unmatched++;
			continue;
		}
		expect_hits[id] += FIRES;
		if (r.nargs[id] != n)
			bad_vals++;
		for (int k = 0; k < n && k < MAX_VALS; k++)
			if (r.vals[id][k] != v[k]) {
				diag("%s: %s site %d arg %d: BPF read %ld, fixture passed %ld",
				     label, name, site, k, r.vals[id][k], v[k]);
				bad_vals++;
			}
		if (r.usdt_cookies[id] != COOKIE_BASE + (__u64)p)
			bad_cookie++;
	}
	for (int id = 0; id < MAX_IDS; id++) {
		total += r.hits[id];
		if (r.hits[id] != expect_hits[id]) {
			diag("%s: spec id %d ran %llu times, expected %llu", label, id,
			     (unsigned long long)r.hits[id], (unsigned long long)expect_hits[id]);
			bad_hits++;
		}
	}
	check(!unmatched && nfired >= 67,
	      "%s: every site the fixture fired has its spec in the map (%d unmatched)", label,
	      unmatched);
	check(!bad_hits && !r.bad_cookie,
	      "%s: the program ran exactly %d times per site, %llu runs in all, none with a "
	      "foreign cookie",
	      label, FIRES, (unsigned long long)total);
	check(!bad_vals, "%s: bpf_usdt_arg() read exactly the values the fixture passed", label);
	check(!bad_cookie, "%s: bpf_usdt_cookie() returns each probe's usdt_cookie", label);
	check(r.cookie_mode == 1, "%s: libbpf resolved LINUX_HAS_BPF_COOKIE to 1 (cookie mode)",
	      label);
}

static void test_attach(const char *label, const char *fix, const char *bpf_obj)
{
	static char fired[MAX_LINES][128];
	struct fixture a = {0}, b = {0};
	struct usdt_site *sites = NULL;
	struct bpf_program *prog;
	struct bpf_object *obj;
	struct bpf_map *specs;
	struct results before, after;
	int links[NPROBES], nsites = 0, nfired, map_fd, err;
	int sema_bad = 0, sema_b = 0, sema_after = 0, nlinks = 0;
	__u32 next_id = 0;
	double t0, t_close;

	for (int p = 0; p < NPROBES; p++)
		links[p] = -1;
	obj = load_bpf(bpf_obj, true, &prog);
	if (!check(obj != NULL, "%s: load the program with expected attach type %s", label,
		   "BPF_TRACE_UPROBE_MULTI"))
		return;
	/* usdt.bpf.h's spec map: ids index it, so they must stay below its max_entries */
	specs = bpf_object__find_map_by_name(obj, "__bpf_usdt_specs");
	map_fd = bpf_map__fd(specs);
	err = usdt__parse(fix, "usdtfix", &sites, &nsites);
	if (err || fixture_start(fix, &a) || fixture_start(fix, &b)) {
		check(0, "%s: parse the fixture and start two copies of it", label);
		goto cleanup;
	}

	/* one link per probe, traced process a only */
	for (int p = 0; p < NPROBES; p++) {
		links[p] = usdt__attach_probe(
			bpf_program__fd(prog), map_fd, bpf_map__max_entries(specs), fix, a.pid,
			sites, nsites, probe_names[p], COOKIE_BASE + (__u64)p, &next_id);
		nlinks += links[p] >= 0;
		if (links[p] < 0)
			diag("%s: attach to usdtfix:%s: %s", label, probe_names[p],
			     strerror(-links[p]));
	}
	check(nlinks == NPROBES, "%s: one uprobe_multi link per probe for %d sites, %u spec ids",
	      label, nsites, next_id);
	check(usdt__attach_probe(bpf_program__fd(prog), map_fd, 256, fix, a.pid, sites, nsites,
				 "nosuch", 0, &next_id) == -ENOENT,
	      "%s: attaching to a probe without sites is -ENOENT", label);

	for (int p = 0; p < NPROBES; p++) {
		long want = sites_named(sites, nsites, probe_names[p]);
		long got = fixture_sema(&a, probe_names[p]);

		if (got != want) {
			diag("%s: semaphore of %s is %ld while attached, expected %ld", label,
			     probe_names[p], got, want);
			sema_bad++;
		}
		sema_b += fixture_sema(&b, probe_names[p]) != 0;
	}
	check(!sema_bad, "%s: while attached each semaphore counts its probe's sites (many: %ld)",
	      label, fixture_sema(&a, "many"));
	check(!sema_b, "%s: an untraced copy of the fixture keeps its semaphores at 0", label);

	/* the untraced copy fires first: nothing may count */
	nfired = fixture_cmd(&b, "fire", fired, MAX_LINES);
	err = read_results(obj, &before);
	check(nfired > 0 && !err && !before.hits[0] && !before.bad_cookie,
	      "%s: probes of an untraced process do not run the program", label);
	for (int i = 0; i < FIRES; i++)
		nfired = fixture_cmd(&a, "fire", fired, MAX_LINES);
	check_values(label, obj, map_fd, next_id, sites, nsites, fired, nfired);

	t0 = check_now();
	for (int p = 0; p < NPROBES; p++)
		if (links[p] >= 0)
			close(links[p]);
	t_close = check_now() - t0;
	memset(links, -1, sizeof(links));
	for (int p = 0; p < NPROBES; p++)
		sema_after += fixture_sema(&a, probe_names[p]) != 0;
	check(!sema_after,
	      "%s: after closing the links every semaphore is 0 again (closing %d "
	      "links for %d sites took %.0f ms)",
	      label, nlinks, nsites, t_close * 1e3);
	read_results(obj, &before);
	fixture_cmd(&a, "fire", fired, MAX_LINES);
	read_results(obj, &after);
	check(!memcmp(before.hits, after.hits, sizeof(before.hits)),
	      "%s: after detaching, firing the probes runs nothing", label);
cleanup:
	for (int p = 0; p < NPROBES; p++)
		if (links[p] >= 0)
			close(links[p]);
	fixture_stop(&a);
	fixture_stop(&b);
	free(sites);
	bpf_object__close(obj);
}

/* ---- how detaching scales ------------------------------------------------------------- */

struct closer {
	pthread_t thread;
	int fd;
};

static void *close_fd(void *arg)
{
	close(((struct closer *)arg)->fd);
	return NULL;
}

static void test_close_time(const char *fix, const char *bpf_obj)
{
	static const int counts[] = {1, 4, 16, 64};
	struct usdt_site *all = NULL, *many = NULL;
	struct bpf_object *obj = NULL, *legacy = NULL;
	struct bpf_program *prog, *lprog;
	struct closer closers[14];
	__u64 offsets[64], refs[64], cookies[64];
	double t0, t_multi[4] = {0}, t_legacy[3] = {0}, t_seq = 0, t_par = 0;
	int nall = 0, nmany = 0, fd, err = 0;
	struct fixture a = {0};

	obj = load_bpf(bpf_obj, true, &prog);
	legacy = load_bpf(bpf_obj, false, &lprog);
	if (!obj || !legacy || usdt__parse(fix, "usdtfix", &all, &nall) || fixture_start(fix, &a)) {
		check(0, "close time: load, parse, start the fixture");
		goto cleanup;
	}
	many = calloc((size_t)nall, sizeof(*many));
	for (int i = 0; many && i < nall; i++)
		if (!strcmp(all[i].name, "many") && nmany < 64) {
			many[nmany] = all[i];
			offsets[nmany] = all[i].file_offset;
			refs[nmany] = all[i].ref_ctr_offset;
			cookies[nmany] = (__u64)nmany;
			nmany++;
		}
	if (nmany != 64) {
		check(0, "close time: the fixture has 64 sites of usdtfix:many (%d)", nmany);
		goto cleanup;
	}

	/* the program is bound to uprobe_multi now: perf-event uprobes must be refused */
	{
		LIBBPF_OPTS(bpf_uprobe_opts, opts, .ref_ctr_offset = (size_t)refs[0]);
		struct bpf_link *l = bpf_program__attach_uprobe_opts(prog, a.pid, fix,
								     (size_t)offsets[0], &opts);

		check(!l, "a program loaded for uprobe_multi takes no perf-event uprobe (%s)",
		      l ? "attached" : strerror(errno));
		bpf_link__destroy(l);
	}

	/* one uprobe_multi link of N sites */
	for (int c = 0; c < 4 && !err; c++) {
		fd = usdt__attach_multi(bpf_program__fd(prog), fix, a.pid, offsets, refs, cookies,
					counts[c]);
		if (fd < 0) {
			err = fd;
			break;
		}
		t0 = check_now();
		close(fd);
		t_multi[c] = check_now() - t0;
		printf("# uprobe_multi link, %2d sites: close() %6.1f ms\n", counts[c],
		       t_multi[c] * 1e3);
	}
	check(!err, "close time: attach uprobe_multi links of 1 to 64 sites");

	/* libbpf 1.1's way: one perf-event uprobe per site */
	for (int c = 0; c < 3 && !err; c++) {
		struct bpf_link *l[16] = {0};

		for (int i = 0; i < counts[c] && !err; i++) {
			LIBBPF_OPTS(bpf_uprobe_opts, opts, .ref_ctr_offset = (size_t)refs[i],
				    .bpf_cookie = cookies[i]);

			l[i] = bpf_program__attach_uprobe_opts(lprog, a.pid, fix,
							       (size_t)offsets[i], &opts);
			if (!l[i])
				err = -errno;
		}
		t0 = check_now();
		for (int i = 0; i < counts[c]; i++)
			bpf_link__destroy(l[i]);
		t_legacy[c] = check_now() - t0;
		printf("# perf uprobes,       %2d sites: close() %6.1f ms\n", counts[c],
		       t_legacy[c] * 1e3);
	}
	check(!err, "close time: attach one perf uprobe per site as libbpf 1.1 does");

	/* 14 one-site links (as many as maptrace has programs), closed in turn, then at once */
	for (int round = 0; round < 2 && !err; round++) {
		for (int i = 0; i < 14; i++) {
			closers[i].fd = usdt__attach_multi(bpf_program__fd(prog), fix, a.pid,
							   &offsets[i], &refs[i], &cookies[i], 1);
			if (closers[i].fd < 0)
				err = closers[i].fd;
		}
		if (err)
			break;
		t0 = check_now();
		for (int i = 0; i < 14; i++) {
			if (round == 0)
				close(closers[i].fd);
			else if (pthread_create(&closers[i].thread, NULL, close_fd, &closers[i]))
				close(closers[i].fd);
		}
		for (int i = 0; round == 1 && i < 14; i++)
			pthread_join(closers[i].thread, NULL);
		*(round ? &t_par : &t_seq) = check_now() - t0;
	}
	printf("# 14 one-site uprobe_multi links: close() in turn %.1f ms, from 14 threads %.1f "
	       "ms\n",
	       t_seq * 1e3, t_par * 1e3);

	/* one grace period per link, not per site: allow generous noise */
	check(!err && t_multi[3] < 8 * t_multi[0] + 0.1,
	      "close time: a 64-site link closes in about the time of a 1-site link (%.1f vs %.1f "
	      "ms)",
	      t_multi[3] * 1e3, t_multi[0] * 1e3);
	check(!err && t_multi[2] < t_legacy[2],
	      "close time: a 16-site link closes faster than 16 perf uprobes (%.1f vs %.1f ms)",
	      t_multi[2] * 1e3, t_legacy[2] * 1e3);
	check(!err && t_par < t_seq / 2,
	      "close time: 14 links closed from 14 threads share their grace periods (%.1f vs "
	      "%.1f ms in turn)",
	      t_par * 1e3, t_seq * 1e3);
	check(fixture_sema(&a, "many") == 0, "close time: semaphores are back to 0 afterwards");
cleanup:
	fixture_stop(&a);
	free(all);
	free(many);
	bpf_object__close(obj);
	bpf_object__close(legacy);
}

/* ---- main ----------------------------------------------------------------------------- */

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int build(const char *vmlinux_dir)
{
	char src[PATH_MAX + 32], bpf_src[PATH_MAX + 32], inc[PATH_MAX + 64];
	char *o2[] = {"gcc", "-O2", "-g", "-Wall", src, "-o", (char *)tmp_path("fix_o2"), NULL};
	char *o0[] = {"gcc", "-O0", "-g", "-Wall", src, "-o", (char *)tmp_path("fix_o0"), NULL};
	char *bpf[] = {"clang", "-g",
		       "-O2",	"-target",
		       "bpf",	"-D__TARGET_ARCH_x86",
		       inc,	"-I/usr/include/x86_64-linux-gnu",
		       "-c",	bpf_src,
		       "-o",	(char *)tmp_path("usdt_test.bpf.o"),
		       NULL};

	snprintf(src, sizeof(src), "%s/usdt_fixture.c", fixture_dir);
	snprintf(bpf_src, sizeof(bpf_src), "%s/usdt_test.bpf.c", fixture_dir);
	snprintf(inc, sizeof(inc), "-I%s", vmlinux_dir);
	if (access(src, R_OK) || access(bpf_src, R_OK)) {
		fprintf(stderr,
			"fixture sources not found in %s: run from the repository root or pass "
			"the fixture directory\n",
			fixture_dir);
		return -ENOENT;
	}
	if (tap_run(o2, NULL, 0) || tap_run(o0, NULL, 0))
		return -EIO;
	if (tap_run(bpf, NULL, 0))
		return -EIO;
	return 0;
}

int main(int argc, char **argv)
{
	char vmlinux_dir[PATH_MAX + 32];
	const char *fixes[2][2] = {{"-O2", "fix_o2"}, {"-O0", "fix_o0"}};
	int err;

	snprintf(fixture_dir, sizeof(fixture_dir), "%s", argc > 1 ? argv[1] : "tests/fixtures");
	snprintf(vmlinux_dir, sizeof(vmlinux_dir), "%s/../../vmlinux/x86", fixture_dir);
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_usdt.XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	if (elf_version(EV_CURRENT) == EV_NONE)
		return 1;
	err = build(vmlinux_dir);
	if (!check(!err, "build the fixture (gcc -O2, -O0) and usdt_test.bpf.o (clang)"))
		goto out;

	test_kernel_layouts();
	test_spec_layout(tmp_path("usdt_test.bpf.o"));
	test_parse_args();
	for (int i = 0; i < 2; i++)
		test_parse_fixture(fixes[i][0], tmp_path(fixes[i][1]));
	test_prelink(tmp_path("fix_o2"));
	test_parse_errors();

	if (geteuid() != 0) {
		check(0, "attach, fire and detach: needs root (CAP_BPF, CAP_PERFMON); run the tests as root");
	} else {
		for (int i = 0; i < 2; i++)
			test_attach(fixes[i][0], tmp_path(fixes[i][1]),
				    tmp_path("usdt_test.bpf.o"));
		test_close_time(tmp_path("fix_o2"), tmp_path("usdt_test.bpf.o"));
	}
out:
	nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return check_exit();
}
