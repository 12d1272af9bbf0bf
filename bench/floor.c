// SPDX-License-Identifier: MIT
/*
 * floor: attach empty BPF programs to a process's USDT sites and/or function entries, wait until
 * the process exits (or SIGINT/SIGTERM), then print how often they ran.  bench/overhead.sh runs
 * a workload with and without it: the difference per hit is the cheapest any tracer of those
 * sites can be on this kernel, and maptrace's own cost is compared with it.
 *
 *   floor -p PID [--usdt NAME]... [--usdt-all] [--func SYMBOL]... [--provider P] FILE
 *
 * FILE is the executable or library holding the sites (as mapped by PID).  The sites are
 * attached exactly as maptrace attaches them: one uprobe_multi link per program, semaphores
 * included (user/usdt.c), so the two differ only in what the program does.
 *
 * stderr gets "floor: attached N sites to PID" once every link exists; at exit stdout gets one
 * line per program, "floor_usdt run_cnt=C run_time_ns=T" (T stays 0 unless the sysctl
 * kernel.bpf_stats_enabled is 1).  Exit status 0, or 1 on any failure.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "floor.skel.h"
#include "usdt.h"

#define MAX_NAMES 64

struct floor_args {
	int pid;
	const char *path;
	const char *provider;
	const char *usdt[MAX_NAMES];
	int nusdt;
	int usdt_all;
	const char *func[MAX_NAMES];
	int nfunc;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int usage(void)
{
	fprintf(stderr, "usage: floor -p PID [--usdt NAME]... [--usdt-all] [--func SYMBOL]... "
			"[--provider P] FILE\n");
	return 1;
}

static int parse_args(int argc, char **argv, struct floor_args *a)
{
	a->provider = "cmap";
	for (int i = 1; i < argc; i++) {
		const char *s = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(s, "--usdt-all")) {
			a->usdt_all = 1;
		} else if (!v && s[0] == '-') {
			return -EINVAL;
		} else if (!strcmp(s, "-p")) {
			a->pid = atoi(v);
			i++;
		} else if (!strcmp(s, "--provider")) {
			a->provider = v;
			i++;
		} else if (!strcmp(s, "--usdt") && a->nusdt < MAX_NAMES) {
			a->usdt[a->nusdt++] = v;
			i++;
		} else if (!strcmp(s, "--func") && a->nfunc < MAX_NAMES) {
			a->func[a->nfunc++] = v;
			i++;
		} else if (s[0] != '-' && !a->path) {
			a->path = s;
		} else {
			return -EINVAL;
		}
	}
	if (a->pid <= 0 || !a->path || (!a->nusdt && !a->usdt_all && !a->nfunc))
		return -EINVAL;
	return 0;
}

/* A symbol's file offset, which is what a uprobe wants: its address through its PT_LOAD. */
static int func_offset(const char *path, const char *name, __u64 *off)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	GElf_Sym sym;
	GElf_Phdr ph;
	__u64 vaddr = 0;
	size_t nph;
	int fd, err = -ENOENT;
	Elf *elf;

	elf_version(EV_CURRENT);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf) {
		close(fd);
		return -ENOEXEC;
	}
	while (!vaddr && (scn = elf_nextscn(elf, scn))) {
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) ||
		    (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM))
			continue;
		d = elf_getdata(scn, NULL);
		for (size_t i = 0; d && sh.sh_entsize && i < sh.sh_size / sh.sh_entsize; i++) {
			const char *n;

			if (!gelf_getsym(d, (int)i, &sym) ||
			    GELF_ST_TYPE(sym.st_info) != STT_FUNC || !sym.st_value)
				continue;
			n = elf_strptr(elf, sh.sh_link, sym.st_name);
			if (n && !strcmp(n, name)) {
				vaddr = sym.st_value;
				break;
			}
		}
	}
	if (vaddr && !elf_getphdrnum(elf, &nph)) {
		for (size_t i = 0; i < nph; i++) {
			if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD)
				continue;
			if (vaddr >= ph.p_vaddr && vaddr < ph.p_vaddr + ph.p_filesz) {
				*off = vaddr - ph.p_vaddr + ph.p_offset;
				err = 0;
				break;
			}
		}
	}
	elf_end(elf);
	close(fd);
	return err;
}

static int attach_usdt(const struct floor_args *a, int prog_fd, int *nsites)
{
	struct usdt_site *sites = NULL;
	__u64 *offs = NULL, *refs = NULL;
	int n = 0, cnt = 0, err;

	err = usdt__parse(a->path, a->provider, &sites, &n);
	if (err) {
		fprintf(stderr, "floor: cannot read the USDT notes of %s: %s\n", a->path,
			strerror(-err));
		return err;
	}
	offs = calloc((size_t)n + 1, sizeof(*offs));
	refs = calloc((size_t)n + 1, sizeof(*refs));
	if (!offs || !refs) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (int i = 0; i < n; i++) {
		int want = a->usdt_all;

		for (int k = 0; k < a->nusdt && !want; k++)
			want = !strcmp(sites[i].name, a->usdt[k]);
		if (!want)
			continue;
		offs[cnt] = sites[i].file_offset;
		refs[cnt++] = sites[i].ref_ctr_offset;
	}
	if (!cnt) {
		fprintf(stderr, "floor: %s has no matching %s USDT probe\n", a->path, a->provider);
		err = -ENOENT;
		goto cleanup;
	}
	err = usdt__attach_multi(prog_fd, a->path, a->pid, offs, refs, NULL, cnt);
	if (err < 0)
		fprintf(stderr, "floor: cannot attach to %d USDT sites of PID %d: %s\n", cnt,
			a->pid, strerror(-err));
	else
		*nsites = cnt;
cleanup:
	free(offs);
	free(refs);
	free(sites);
	return err;
}

static int attach_funcs(const struct floor_args *a, int prog_fd)
{
	__u64 offs[MAX_NAMES];
	int err;

	for (int i = 0; i < a->nfunc; i++) {
		err = func_offset(a->path, a->func[i], &offs[i]);
		if (err) {
			fprintf(stderr, "floor: %s has no function %s: %s\n", a->path, a->func[i],
				strerror(-err));
			return err;
		}
	}
	err = usdt__attach_multi(prog_fd, a->path, a->pid, offs, NULL, NULL, a->nfunc);
	if (err < 0)
		fprintf(stderr, "floor: cannot attach to %d functions of PID %d: %s\n", a->nfunc,
			a->pid, strerror(-err));
	return err;
}

static void print_stats(const char *name, int prog_fd)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(prog_fd, &info, &len))
		return;
	printf("%s run_cnt=%llu run_time_ns=%llu\n", name, (unsigned long long)info.run_cnt,
	       (unsigned long long)info.run_time_ns);
}

int main(int argc, char **argv)
{
	struct floor_args a = {0};
	struct floor_bpf *skel = NULL;
	int usdt_link = -1, func_link = -1, nsites = 0, pidfd = -1, err;

	if (parse_args(argc, argv, &a))
		return usage();

	/* open, then mark both programs for uprobe_multi links, as maptrace does, and load */
	skel = floor_bpf__open();
	if (!skel) {
		fprintf(stderr, "floor: cannot open the BPF object: %s\n", strerror(errno));
		return 1;
	}
	bpf_program__set_expected_attach_type(skel->progs.floor_usdt,
					      (enum bpf_attach_type)USDT_TRACE_UPROBE_MULTI);
	bpf_program__set_expected_attach_type(skel->progs.floor_uprobe,
					      (enum bpf_attach_type)USDT_TRACE_UPROBE_MULTI);
	err = floor_bpf__load(skel);
	if (err) {
		fprintf(stderr, "floor: cannot load the BPF programs: %s\n", strerror(-err));
		goto cleanup;
	}

	/* attach: after this the target pays for every hit */
	if (a.nusdt || a.usdt_all) {
		usdt_link = attach_usdt(&a, bpf_program__fd(skel->progs.floor_usdt), &nsites);
		if (usdt_link < 0) {
			err = usdt_link;
			goto cleanup;
		}
	}
	if (a.nfunc) {
		func_link = attach_funcs(&a, bpf_program__fd(skel->progs.floor_uprobe));
		if (func_link < 0) {
			err = func_link;
			goto cleanup;
		}
		nsites += a.nfunc;
	}
	fprintf(stderr, "floor: attached %d sites to PID %d\n", nsites, a.pid);

	/* wait: until the target exits or we are told to stop */
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	pidfd = (int)syscall(SYS_pidfd_open, a.pid, 0);
	while (!stop) {
		struct pollfd p = {.fd = pidfd, .events = POLLIN};

		if (pidfd < 0) {
			if (kill(a.pid, 0) && errno == ESRCH)
				break;
			usleep(100000);
		} else if (poll(&p, 1, -1) > 0) {
			break;
		}
	}
	print_stats("floor_usdt", bpf_program__fd(skel->progs.floor_usdt));
	print_stats("floor_uprobe", bpf_program__fd(skel->progs.floor_uprobe));
	err = 0;
cleanup:
	if (pidfd >= 0)
		close(pidfd);
	if (usdt_link >= 0)
		close(usdt_link);
	if (func_link >= 0)
		close(func_link);
	floor_bpf__destroy(skel);
	return err ? 1 : 0;
}
