// SPDX-License-Identifier: MIT
/*
 * USDT notes, argument specs and uprobe_multi links; see usdt.h for how they fit together.
 *
 * A stapsdt note (type 3, owner "stapsdt", in .note.stapsdt) describes one probe site: three
 * addresses (the site's pc, the link-time address of .stapsdt.base, the semaphore) followed by
 * the provider, the name and the argument string, each NUL-terminated. The note is not
 * allocated, so prelink does not relocate it; prelink does move .stapsdt.base, and the
 * difference between that section's address and the one recorded in the note is how far the
 * site and its semaphore moved. Uprobes want file offsets, so each address is then translated
 * through the PT_LOAD segment that holds it.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <asm/ptrace.h>
#include <bpf/bpf.h>

#include "elfload.h"
#include "usdt.h"
#include "util.h"

#define NT_STAPSDT    3
#define STAPSDT_OWNER "stapsdt"
#define STAPSDT_BASE  ".stapsdt.base"
/* gcc's operand for a global or static variable in position-independent code: foo(%rip) */
#define RIP_RELATIVE                                                                               \
	"it is relative to %rip (a global or static variable), which usdt.bpf.h cannot read"

/*
 * The BPF_LINK_CREATE member of union bpf_attr as the kernel (6.6+) lays it out for
 * BPF_TRACE_UPROBE_MULTI (include/uapi/linux/bpf.h: link_create.uprobe_multi). Debian 12's
 * <linux/bpf.h> stops at kprobe_multi. tests/unit/test_usdt.c checks these offsets against the
 * running kernel's BTF. The kernel zero-fills whatever lies past the size we pass.
 */
struct uprobe_multi_link_attr {
	__u32 prog_fd;
	__u32 target_fd;
	__u32 attach_type;
	__u32 link_flags;
	/* union at offset 16: uprobe_multi */
	__u64 path; /* pointer to a NUL-terminated path */
	__u64 offsets;
	__u64 ref_ctr_offsets;
	__u64 cookies;
	__u32 cnt;
	__u32 flags; /* BPF_F_UPROBE_MULTI_RETURN (1) for uretprobes */
	__u32 pid;   /* 0: every process */
	__u32 pad;
};

_Static_assert(offsetof(struct uprobe_multi_link_attr, path) == 16, "link_create.uprobe_multi");
_Static_assert(offsetof(struct uprobe_multi_link_attr, pid) == 56, "link_create.uprobe_multi");
_Static_assert(sizeof(struct uprobe_multi_link_attr) == 64, "link_create.uprobe_multi");

struct reg {
	const char *names[5]; /* 64-, 32-, 16-, 8-bit, and AMD's 8-bit spelling of r8..r15 */
	int off;
};

/* The kernel's x86-64 struct pt_regs; <asm/ptrace.h> spells its fields r-prefixed. */
static const struct reg regs[] = {
	{{"rax", "eax", "ax", "al"}, offsetof(struct pt_regs, rax)},
	{{"rbx", "ebx", "bx", "bl"}, offsetof(struct pt_regs, rbx)},
	{{"rcx", "ecx", "cx", "cl"}, offsetof(struct pt_regs, rcx)},
	{{"rdx", "edx", "dx", "dl"}, offsetof(struct pt_regs, rdx)},
	{{"rsi", "esi", "si", "sil"}, offsetof(struct pt_regs, rsi)},
	{{"rdi", "edi", "di", "dil"}, offsetof(struct pt_regs, rdi)},
	{{"rbp", "ebp", "bp", "bpl"}, offsetof(struct pt_regs, rbp)},
	{{"rsp", "esp", "sp", "spl"}, offsetof(struct pt_regs, rsp)},
	{{"r8", "r8d", "r8w", "r8b", "r8l"}, offsetof(struct pt_regs, r8)},
	{{"r9", "r9d", "r9w", "r9b", "r9l"}, offsetof(struct pt_regs, r9)},
	{{"r10", "r10d", "r10w", "r10b", "r10l"}, offsetof(struct pt_regs, r10)},
	{{"r11", "r11d", "r11w", "r11b", "r11l"}, offsetof(struct pt_regs, r11)},
	{{"r12", "r12d", "r12w", "r12b", "r12l"}, offsetof(struct pt_regs, r12)},
	{{"r13", "r13d", "r13w", "r13b", "r13l"}, offsetof(struct pt_regs, r13)},
	{{"r14", "r14d", "r14w", "r14b", "r14l"}, offsetof(struct pt_regs, r14)},
	{{"r15", "r15d", "r15w", "r15b", "r15l"}, offsetof(struct pt_regs, r15)},
};

/* Read a register name after '%' at *@s; return its pt_regs offset, or -EINVAL and *@why. */
static int parse_reg(const char **s, const char **why)
{
	char name[8];
	size_t n = 0;

	while (n < sizeof(name) - 1 &&
	       (islower((unsigned char)(*s)[n]) || isdigit((unsigned char)(*s)[n])))
		n++;
	memcpy(name, *s, n);
	name[n] = '\0';
	*s += n;
	if (!strcmp(name, "rip") || !strcmp(name, "eip")) {
		*why = RIP_RELATIVE;
		return -EINVAL;
	}
	for (size_t i = 0; i < ARRAY_SIZE(regs); i++)
		for (size_t j = 0; j < 5 && regs[i].names[j]; j++)
			if (!strcmp(name, regs[i].names[j]))
				return regs[i].off;
	*why = "unknown register";
	return -EINVAL;
}

/* An integer as gas reads it (decimal, 0x hex, 0 octal), signed or up to 2^64 - 1. */
static int parse_int(const char **s, __u64 *v)
{
	char *end;

	errno = 0;
	if (**s == '-')
		*v = (__u64)strtoll(*s, &end, 0);
	else
		*v = strtoull(*s, &end, 0);
	if (end == *s || errno)
		return -EINVAL;
	*s = end;
	return 0;
}

/*
 * One argument at @s ("-4@%edi", "8@-24(%rbp)", "-4@$5"): fill @a, advance @s past it.
 * On failure *@why says what is wrong.
 */
static int parse_arg(const char **s, struct __bpf_usdt_arg_spec *a, const char **why)
{
	const char *p = *s;
	__u64 disp = 0;
	long size;
	char *end;
	int off;

	memset(a, 0, sizeof(*a));
	size = strtol(p, &end, 10);
	if (end == p || *end != '@') {
		*why = "no SIZE@ prefix";
		return -EINVAL;
	}
	if (size != 1 && size != 2 && size != 4 && size != 8 && size != -1 && size != -2 &&
	    size != -4 && size != -8) {
		*why = "size is not 1, 2, 4 or 8 bytes";
		return -EINVAL;
	}
	a->arg_signed = size < 0;
	a->arg_bitshift = (__s8)(64 - 8 * labs(size));
	p = end + 1;

	if (*p == '%') { /* register: 8@%rax */
		p++;
		off = parse_reg(&p, why);
		if (off < 0)
			return off;
		a->arg_type = BPF_USDT_ARG_REG;
		a->reg_off = (__s16)off;
	} else if (*p == '$') { /* constant: -4@$5 */
		p++;
		if (parse_int(&p, &a->val_off)) {
			*why = "the constant is a symbol's address, which usdt.bpf.h cannot read";
			return -EINVAL;
		}
		a->arg_type = BPF_USDT_ARG_CONST;
	} else { /* memory: 8@-24(%rbp), 8@(%rdi) */
		if (*p != '(' && parse_int(&p, &disp)) {
			/* a symbol: foo(%rip) for a variable, foo+8(%rip), or worse */
			*why = "unrecognized operand";
			if (memmem(p, strcspn(p, " \t"), "(%rip)", 6))
				*why = RIP_RELATIVE;
			return -EINVAL;
		}
		if (p[0] != '(' || p[1] != '%') {
			*why = "unrecognized operand";
			return -EINVAL;
		}
		p += 2;
		off = parse_reg(&p, why);
		if (off < 0)
			return off;
		if (*p == ',') {
			*why = "indexed addressing (base, index, scale) is not supported by libbpf "
			       "1.1's usdt.bpf.h";
			return -EINVAL;
		}
		if (*p != ')') {
			*why = "unrecognized operand";
			return -EINVAL;
		}
		p++;
		a->arg_type = BPF_USDT_ARG_REG_DEREF;
		a->reg_off = (__s16)off;
		a->val_off = disp;
	}
	if (*p && *p != ' ' && *p != '\t') {
		*why = "unexpected text after the operand";
		return -EINVAL;
	}
	*s = p;
	return 0;
}

/* usdt__parse_args() with the failing argument's position and the reason. */
static int parse_args(const char *args, struct __bpf_usdt_spec *spec, const char **bad,
		      const char **why)
{
	const char *s = args;
	int err;

	memset(spec, 0, sizeof(*spec));
	for (;;) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s)
			return 0;
		*bad = s;
		if (spec->arg_cnt == USDT_MAX_ARGS) {
			*why = "more than 12 arguments";
			return -E2BIG;
		}
		err = parse_arg(&s, &spec->args[spec->arg_cnt], why);
		if (err)
			return err;
		spec->arg_cnt++;
	}
}

int usdt__parse_args(const char *args, struct __bpf_usdt_spec *spec)
{
	const char *bad, *why;

	return parse_args(args, spec, &bad, &why);
}

static int check_elf(Elf *elf, const char *path)
{
	GElf_Ehdr eh;

	if (elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &eh) ||
	    (eh.e_type != ET_EXEC && eh.e_type != ET_DYN)) {
		fprintf(stderr, "maptrace: %s is not an ELF executable or shared library\n", path);
		return -ENOEXEC;
	}
	if (eh.e_machine != EM_X86_64 || gelf_getclass(elf) != ELFCLASS64 ||
	    eh.e_ident[EI_DATA] != ELFDATA2LSB) {
		fprintf(stderr,
			"maptrace: %s is not an x86-64 ELF file; USDT probes are read only "
			"from x86-64 code\n",
			path);
		return -ENOTSUP;
	}
	return 0;
}

/* The note's strings; NULL members when it is malformed. */
struct note {
	__u64 pc, base, sema;
	const char *provider, *name, *args;
};

static int decode_note(const char *desc, size_t len, struct note *n)
{
	const char *end = desc + len, *p;

	if (len < 3 * sizeof(__u64) + 3)
		return -EINVAL;
	memcpy(&n->pc, desc, sizeof(__u64));
	memcpy(&n->base, desc + 8, sizeof(__u64));
	memcpy(&n->sema, desc + 16, sizeof(__u64));
	n->provider = desc + 24;
	p = memchr(n->provider, '\0', (size_t)(end - n->provider));
	if (!p || p + 1 >= end)
		return -EINVAL;
	n->name = p + 1;
	p = memchr(n->name, '\0', (size_t)(end - n->name));
	if (!p || p + 1 >= end || !*n->name)
		return -EINVAL;
	n->args = p + 1;
	if (!memchr(n->args, '\0', (size_t)(end - n->args)))
		return -EINVAL;
	return 0;
}

/*
 * Turn one note into a site; messages name the probe.  Both addresses must lie in the file's
 * bytes of a PT_LOAD segment: a uprobe or reference counter on .bss would have no file page to
 * live in.
 */
static int make_site(Elf *elf, const char *path, const struct note *n, __u64 base_shift,
		     struct usdt_site *site)
{
	const char *bad = n->args, *why = "";
	int err;

	memset(site, 0, sizeof(*site));
	if (strlen(n->provider) >= sizeof(site->provider) ||
	    strlen(n->name) >= sizeof(site->name)) {
		fprintf(stderr, "maptrace: USDT probe %s:%s in %s: name too long\n", n->provider,
			n->name, path);
		return -ENAMETOOLONG;
	}
	strcpy(site->provider, n->provider);
	strcpy(site->name, n->name);
	site->addr = n->pc + base_shift;
	site->semaphore = n->sema ? n->sema + base_shift : 0;
	if (elfload__vaddr_to_offset(elf, site->addr, 1, ELFLOAD_EXEC, NULL, &site->file_offset)) {
		fprintf(stderr,
			"maptrace: USDT probe %s:%s in %s: address 0x%llx is in no executable "
			"segment (corrupt file?)\n",
			n->provider, n->name, path, (unsigned long long)site->addr);
		return -EINVAL;
	}
	if (site->semaphore &&
	    elfload__vaddr_to_offset(elf, site->semaphore, 1, 0, NULL, &site->ref_ctr_offset)) {
		fprintf(stderr,
			"maptrace: USDT probe %s:%s in %s: semaphore 0x%llx is in no file-backed "
			"segment (corrupt file?)\n",
			n->provider, n->name, path, (unsigned long long)site->semaphore);
		return -EINVAL;
	}
	err = parse_args(n->args, &site->spec, &bad, &why);
	if (err)
		fprintf(stderr,
			"maptrace: cannot read argument %d (%.*s) of USDT probe %s:%s at 0x%llx in "
			"%s: %s\n",
			site->spec.arg_cnt + 1, (int)strcspn(bad, " \t"), bad, n->provider, n->name,
			(unsigned long long)site->addr, path, why);
	return err;
}

static int add_site(struct usdt_site **sites, int *nsites, int *cap, const struct usdt_site *s)
{
	if (GROW(*sites, *nsites, *cap, 16))
		return -ENOMEM;
	(*sites)[(*nsites)++] = *s;
	return 0;
}

/* Address of .stapsdt.base now, 0 when the file has none. */
static __u64 stapsdt_base(Elf *elf, size_t shstrndx)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(elf, scn))) {
		const char *name;

		if (!gelf_getshdr(scn, &sh))
			continue;
		name = elf_strptr(elf, shstrndx, sh.sh_name);
		if (name && !strcmp(name, STAPSDT_BASE))
			return sh.sh_addr;
	}
	return 0;
}

static int collect(Elf *elf, const char *path, const char *provider, struct usdt_site **sites,
		   int *nsites)
{
	struct usdt_site site;
	Elf_Scn *scn = NULL;
	size_t shstrndx, nphdrs;
	__u64 base;
	int cap = 0, err;

	/* unreadable program headers: no site could be given a file offset */
	if (elf_getshdrstrndx(elf, &shstrndx) || elf_getphdrnum(elf, &nphdrs))
		return -EINVAL;
	base = stapsdt_base(elf, shstrndx);
	while ((scn = elf_nextscn(elf, scn))) {
		Elf_Data *data = NULL;
		size_t off = 0, name_off, desc_off;
		GElf_Shdr sh;
		GElf_Nhdr nh;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE)
			continue;
		data = elf_getdata(scn, NULL);
		while (data && (off = gelf_getnote(data, off, &nh, &name_off, &desc_off)) > 0) {
			const char *buf = data->d_buf;
			struct note n;

			if (nh.n_type != NT_STAPSDT || nh.n_namesz != sizeof(STAPSDT_OWNER) ||
			    memcmp(buf + name_off, STAPSDT_OWNER, sizeof(STAPSDT_OWNER)))
				continue;
			if (decode_note(buf + desc_off, nh.n_descsz, &n)) {
				fprintf(stderr, "maptrace: malformed USDT note in %s\n", path);
				return -EINVAL;
			}
			if (provider && strcmp(n.provider, provider))
				continue;
			/* prelink moved .stapsdt.base (and the probes) by this much */
			err = make_site(elf, path, &n, base && n.base ? base - n.base : 0, &site);
			if (!err)
				err = add_site(sites, nsites, &cap, &site);
			if (err)
				return err;
		}
	}
	return 0;
}

int usdt__parse(const char *path, const char *provider, struct usdt_site **sites, int *nsites)
{
	Elf *elf = NULL;
	int fd, err;

	*sites = NULL;
	*nsites = 0;
	if (elf_version(EV_CURRENT) == EV_NONE)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf) {
		fprintf(stderr, "maptrace: cannot read %s as ELF: %s\n", path, elf_errmsg(-1));
		err = -ENOEXEC;
		goto cleanup;
	}
	err = check_elf(elf, path);
	if (!err)
		err = collect(elf, path, provider, sites, nsites);
cleanup:
	if (err) {
		free(*sites);
		*sites = NULL;
		*nsites = 0;
	}
	elf_end(elf);
	close(fd);
	return err;
}

int usdt__attach_multi(int prog_fd, const char *path, int pid, const __u64 *offsets,
		       const __u64 *ref_ctr_offsets, const __u64 *cookies, int cnt)
{
	return usdt__attach_multi_type(prog_fd, USDT_TRACE_UPROBE_MULTI, path, pid, offsets,
				       ref_ctr_offsets, cookies, cnt);
}

int usdt__attach_multi_type(int prog_fd, __u32 attach_type, const char *path, int pid,
			    const __u64 *offsets, const __u64 *ref_ctr_offsets, const __u64 *cookies,
			    int cnt)
{
	struct uprobe_multi_link_attr attr;
	int fd;

	if (prog_fd < 0 || !path || !offsets || cnt <= 0 || pid < -1)
		return -EINVAL;
	memset(&attr, 0, sizeof(attr));
	attr.prog_fd = (__u32)prog_fd;
	attr.attach_type = attach_type;
	attr.path = (__u64)(unsigned long)path;
	attr.offsets = (__u64)(unsigned long)offsets;
	attr.ref_ctr_offsets = (__u64)(unsigned long)ref_ctr_offsets;
	attr.cookies = (__u64)(unsigned long)cookies;
	attr.cnt = (__u32)cnt;
	attr.pid = pid == -1 ? 0 : pid == 0 ? (__u32)getpid() : (__u32)pid;
	fd = (int)syscall(__NR_bpf, BPF_LINK_CREATE, &attr, sizeof(attr));
	return fd < 0 ? -errno : fd;
}

/* Field by field: padding need not survive struct copies. Ignores usdt_cookie. */
static bool spec_equal(const struct __bpf_usdt_spec *a, const struct __bpf_usdt_spec *b)
{
	if (a->arg_cnt != b->arg_cnt)
		return false;
	for (int i = 0; i < a->arg_cnt; i++) {
		const struct __bpf_usdt_arg_spec *x = &a->args[i], *y = &b->args[i];

		if (x->val_off != y->val_off || x->arg_type != y->arg_type ||
		    x->reg_off != y->reg_off || x->arg_signed != y->arg_signed ||
		    x->arg_bitshift != y->arg_bitshift)
			return false;
	}
	return true;
}

int usdt__attach_probe(int prog_fd, int spec_map_fd, __u32 max_specs, const char *path, int pid,
		       const struct usdt_site *sites, int nsites, const char *name,
		       __u64 usdt_cookie, __u32 *next_id)
{
	__u64 *offsets = NULL, *ref_ctrs = NULL, *cookies = NULL;
	struct __bpf_usdt_spec *specs = NULL;
	__u32 id = *next_id, nspecs = 0;
	int cnt = 0, err;

	offsets = calloc((size_t)nsites + 1, sizeof(*offsets));
	ref_ctrs = calloc((size_t)nsites + 1, sizeof(*ref_ctrs));
	cookies = calloc((size_t)nsites + 1, sizeof(*cookies));
	specs = calloc((size_t)nsites + 1, sizeof(*specs));
	if (!offsets || !ref_ctrs || !cookies || !specs) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (int i = 0; i < nsites; i++) {
		const struct __bpf_usdt_spec *spec = &sites[i].spec;
		__u32 k;

		if (strcmp(sites[i].name, name))
			continue;
		for (k = 0; k < nspecs && !spec_equal(&specs[k], spec); k++)
			;
		if (k == nspecs) {
			if (id + nspecs >= max_specs) {
				err = -E2BIG;
				goto cleanup;
			}
			specs[nspecs] = *spec;
			specs[nspecs++].usdt_cookie = usdt_cookie;
			err = bpf_map_update_elem(spec_map_fd, &(__u32){id + k}, &specs[k],
						  BPF_ANY);
			if (err)
				goto cleanup;
		}
		offsets[cnt] = sites[i].file_offset;
		ref_ctrs[cnt] = sites[i].ref_ctr_offset;
		cookies[cnt] = id + k;
		cnt++;
	}
	if (!cnt) {
		err = -ENOENT;
		goto cleanup;
	}
	err = usdt__attach_multi(prog_fd, path, pid, offsets, ref_ctrs, cookies, cnt);
	if (err >= 0)
		*next_id = id + nspecs;
cleanup:
	free(offsets);
	free(ref_ctrs);
	free(cookies);
	free(specs);
	return err;
}
