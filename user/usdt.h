/* SPDX-License-Identifier: MIT */
/*
 * USDT probes without libbpf's USDT manager: read the stapsdt notes of an ELF file, turn each
 * probe site's argument string into the spec <bpf/usdt.bpf.h> reads on the BPF side, and attach
 * one BPF program to many sites with a single uprobe_multi link (kernel 6.6+).
 *
 * Why: libbpf 1.1's bpf_program__attach_usdt() makes one perf-event uprobe per site, and each of
 * those costs a full RCU-tasks-trace grace period to close, one after the other. A
 * uprobe_multi link unregisters all its sites and then waits once.
 *
 * How the pieces fit (the BPF program includes <bpf/usdt.bpf.h> and is SEC("usdt")):
 *  1. usdt__parse() the module's notes, keeping the sites of the probes to trace.
 *  2. Before loading, bpf_program__set_expected_attach_type(prog, USDT_TRACE_UPROBE_MULTI):
 *     the kernel refuses a uprobe_multi link for a program loaded without it, and
 *     bpf_get_attach_cookie() reads the per-site cookie only when it is set.
 *  3. After loading, usdt__attach_probe() (or usdt__attach_multi() with specs written by hand)
 *     stores each site's spec in the object's "__bpf_usdt_specs" map under a spec id and
 *     passes that id as the site's cookie. usdt.bpf.h finds the spec through the cookie because
 *     libbpf sets its LINUX_HAS_BPF_COOKIE kconfig extern to 1 on any kernel since 5.15.
 *  4. close() the returned link fd to detach: the semaphores drop back and the sites are
 *     restored, with one grace period for the whole link.
 *
 * x86-64 only: argument strings are parsed as AT&T operands and registers are mapped to the
 * x86-64 kernel's struct pt_regs.
 */
#ifndef MT_USDT_H
#define MT_USDT_H

#include <linux/types.h>

#ifdef __USDT_BPF_H__
#error "usdt.h replicates <bpf/usdt.bpf.h> for user space; include only one of them"
#endif

/*
 * enum bpf_attach_type's BPF_TRACE_UPROBE_MULTI (include/uapi/linux/bpf.h since 6.6), which
 * Debian 12's linux-libc-dev (6.1) lacks. A name of our own, so a newer <linux/bpf.h> that has
 * the enum constant does not clash with it.
 */
#define USDT_TRACE_UPROBE_MULTI 48
/* BPF_TRACE_UPROBE_SESSION (6.13+): one program at entry and, when it returns 0, at return. */
#define USDT_TRACE_UPROBE_SESSION 57

/* The argument limit of <bpf/usdt.bpf.h> (BPF_USDT_MAX_ARG_CNT). */
#define USDT_MAX_ARGS 12

/*
 * The spec layout of libbpf 1.1's <bpf/usdt.bpf.h>, which is a BPF-only header (it pulls in
 * bpf_helpers.h and defines maps). Same sizes and offsets, spelled with fixed-width types: its
 * enum is 4 bytes, short 2, bool and char 1. Newer libbpf packs more into the arg_type word;
 * this is the 1.1 layout the BPF side is compiled against here. tests/unit/test_usdt.c checks
 * it against the BTF of a BPF object built with the real header.
 */
enum __bpf_usdt_arg_type {
	BPF_USDT_ARG_CONST,	/* val_off is the value */
	BPF_USDT_ARG_REG,	/* the register at reg_off of struct pt_regs */
	BPF_USDT_ARG_REG_DEREF, /* user memory at that register's value + val_off */
};

struct __bpf_usdt_arg_spec {
	__u64 val_off;	   /* constant, or displacement for REG_DEREF */
	__u32 arg_type;	   /* enum __bpf_usdt_arg_type */
	__s16 reg_off;	   /* offsetof(struct pt_regs, reg) of the kernel's x86-64 pt_regs */
	__u8 arg_signed;   /* sign-extend the value */
	__s8 arg_bitshift; /* 64 - 8 * size: bits to clear (or sign-fill) above the value */
};

struct __bpf_usdt_spec {
	struct __bpf_usdt_arg_spec args[USDT_MAX_ARGS];
	__u64 usdt_cookie; /* what bpf_usdt_cookie() returns */
	__s16 arg_cnt;
};

_Static_assert(sizeof(struct __bpf_usdt_arg_spec) == 16, "usdt.bpf.h arg spec layout");
_Static_assert(sizeof(struct __bpf_usdt_spec) == 208, "usdt.bpf.h spec layout");

/* One USDT probe site of a module. */
struct usdt_site {
	char provider[64];
	char name[64];
	__u64 addr;	      /* the site's ELF virtual address, corrected for prelink */
	__u64 semaphore;      /* the semaphore's ELF virtual address, 0 when none */
	__u64 file_offset;    /* uprobe offset: addr translated through its PT_LOAD segment */
	__u64 ref_ctr_offset; /* semaphore as a file offset, 0 when none */
	struct __bpf_usdt_spec spec; /* usdt_cookie 0; set it before storing the spec */
};

/**
 * usdt__parse() - read the USDT probe sites of an ELF file.
 * @path: the executable or shared library (through /proc/PID/root/... for a process in
 *	another mount namespace).
 * @provider: keep only this provider's sites; NULL keeps all.
 * @sites: on success a malloc'ed array the caller frees, NULL when there are none.
 * @nsites: number of entries in *@sites.
 *
 * Every kept site's argument string is parsed; one that cannot be (a global variable through
 * %rip, indexed addressing) fails the whole call after a message naming the probe and the
 * argument, since attaching without it would read wrong values. Sites of other providers are
 * not parsed. A file without stapsdt notes yields 0 sites.
 *
 * Return: 0; -ENOENT or another open() error; -ENOEXEC when @path is not an ELF executable or
 * shared library; -ENOTSUP when it is not x86-64; -EINVAL for a malformed note, segment or
 * argument string; -ENAMETOOLONG for a provider or name of 64 bytes or more; -ENOMEM.
 */
int usdt__parse(const char *path, const char *provider, struct usdt_site **sites, int *nsites);

/**
 * usdt__parse_args() - parse one site's argument string, e.g. "-4@%edi 8@-24(%rbp) -4@$5".
 * @args: the string as the note has it; "" for a probe without arguments.
 * @spec: filled on success (arg_cnt and args; usdt_cookie is left 0).
 *
 * Return: 0; -EINVAL for a form <bpf/usdt.bpf.h> cannot read; -E2BIG for more than
 * USDT_MAX_ARGS arguments. Prints nothing: usdt__parse() reports the failing argument.
 */
int usdt__parse_args(const char *args, struct __bpf_usdt_spec *spec);

/**
 * usdt__attach_multi() - attach a program to many offsets of one file with one link.
 * @prog_fd: a BPF_PROG_TYPE_KPROBE program loaded with expected attach type
 *	USDT_TRACE_UPROBE_MULTI.
 * @path: the file the offsets belong to.
 * @pid: only this process (0: the caller); -1: every process that maps @path.
 * @offsets: @cnt file offsets (usdt_site.file_offset).
 * @ref_ctr_offsets: @cnt semaphore file offsets, 0 for none; NULL when no site has one.
 * @cookies: @cnt values bpf_get_attach_cookie() returns at each offset; NULL for all 0.
 * @cnt: number of sites, at least 1.
 *
 * The kernel increments each site's semaphore in the process(es) while the link exists.
 * close() the returned fd to detach; it returns after one RCU-tasks-trace grace period.
 *
 * Return: the link fd, or a negative errno: -EINVAL when the program was not loaded with
 * USDT_TRACE_UPROBE_MULTI, an offset is not in the file, or a site is already probed with a
 * different semaphore offset; -ESRCH when @pid does not exist; -ENOENT or -EBADF for a
 * missing or non-regular @path; -EPERM without CAP_BPF/CAP_PERFMON; -EOPNOTSUPP on a kernel
 * without uprobes.
 */
int usdt__attach_multi(int prog_fd, const char *path, int pid, const __u64 *offsets,
		       const __u64 *ref_ctr_offsets, const __u64 *cookies, int cnt);

/**
 * usdt__attach_multi_type() - usdt__attach_multi() for a program loaded with expected attach
 * type @attach_type: USDT_TRACE_UPROBE_MULTI or USDT_TRACE_UPROBE_SESSION.
 */
int usdt__attach_multi_type(int prog_fd, __u32 attach_type, const char *path, int pid,
			    const __u64 *offsets, const __u64 *ref_ctr_offsets, const __u64 *cookies,
			    int cnt);

/**
 * usdt__attach_probe() - attach a program to every site of one probe, specs included.
 * @prog_fd: as for usdt__attach_multi().
 * @spec_map_fd: the fd of the BPF object's "__bpf_usdt_specs" map.
 * @max_specs: its max_entries (BPF_USDT_MAX_SPEC_CNT, 256 unless overridden).
 * @path: the file @sites were parsed from.
 * @pid: as for usdt__attach_multi().
 * @sites: sites from usdt__parse() of @path.
 * @nsites: number of @sites.
 * @name: attach to the sites with this probe name (any provider kept by usdt__parse()).
 * @usdt_cookie: what bpf_usdt_cookie() returns in the program for these sites.
 * @next_id: the first free spec id; advanced past the ids this call used. Spec ids are
 *	per BPF object: start at 0 and pass the same counter to every call for that object.
 *
 * Sites of one probe may keep their arguments in different places, so each distinct spec gets
 * its own id; sites with identical specs share one.
 *
 * Return: the link fd; -ENOENT when no site has @name; -E2BIG when the sites need more spec ids
 * than @max_specs leaves (raise the map's max_entries before load); an error of
 * bpf_map_update_elem() or usdt__attach_multi().
 */
int usdt__attach_probe(int prog_fd, int spec_map_fd, __u32 max_specs, const char *path, int pid,
		       const struct usdt_site *sites, int nsites, const char *name,
		       __u64 usdt_cookie, __u32 *next_id);

#endif /* MT_USDT_H */
