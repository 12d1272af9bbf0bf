// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>
#include "preflight.h"

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

#define BTF_PATH "/sys/kernel/btf/vmlinux"

static bool has_cap(const struct __user_cap_data_struct d[2], int cap)
{
	return d[cap / 32].effective & (1U << (cap % 32));
}

/* Our effective capabilities: what the kernel checks, whichever uid we run as. */
static int read_caps(struct __user_cap_data_struct d[2])
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };

	if (!syscall(SYS_capget, &h, d))
		return 0;
	fprintf(stderr, "maptrace: cannot read this process's capabilities: %s\n", strerror(errno));
	return -EPERM;
}

int preflight__check(void)
{
	struct __user_cap_data_struct d[2] = {};
	bool admin, bpf, perfmon;

	if (read_caps(d))
		return -EPERM;
	admin = has_cap(d, CAP_SYS_ADMIN);
	bpf = has_cap(d, CAP_BPF) || admin;
	perfmon = has_cap(d, CAP_PERFMON) || admin;
	if (!bpf || !perfmon) {
		fprintf(stderr,
			"maptrace: not permitted to trace: missing %s%s%s; run as root (sudo maptrace "
			"...) or grant them: setcap cap_bpf,cap_perfmon,cap_dac_read_search+ep %s\n",
			bpf ? "" : "CAP_BPF", !bpf && !perfmon ? " and " : "",
			perfmon ? "" : "CAP_PERFMON", "maptrace");
		return -EPERM;
	}
	/* as the kernel sees us, not as our real uid would be (access()) */
	if (faccessat(AT_FDCWD, BTF_PATH, R_OK, AT_EACCESS)) {
		fprintf(stderr,
			"maptrace: this kernel exposes no BTF (%s: %s); maptrace needs a kernel "
			"built with CONFIG_DEBUG_INFO_BTF=y\n",
			BTF_PATH, strerror(errno));
		return -ENOENT;
	}
	return 0;
}

/* A short line of /proc/PID/@file, without its newline, or "?" in @buf. */
static void read_line(int pid, const char *file, char *buf, size_t len)
{
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/%s", pid, file);
	f = fopen(path, "re");
	if (!f || !fgets(buf, (int)len, f))
		snprintf(buf, len, "?");
	buf[strcspn(buf, "\n")] = '\0';
	if (f)
		fclose(f);
}

/* The effective uid of process @pid, from its status (readable by anyone), or -1. */
static long target_euid(int pid)
{
	char path[64], line[256];
	long ruid, euid = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "Uid: %ld %ld", &ruid, &euid) == 2)
			break;
	if (f)
		fclose(f);
	return euid;
}

/* Why the files of @pid could not be read (@err), and what would let maptrace read them. */
static void explain_unreadable(int pid, int err, const struct __user_cap_data_struct d[2])
{
	char comm[64], owner[64], root[64];
	long euid = target_euid(pid);
	struct passwd *pw = euid >= 0 ? getpwuid((uid_t)euid) : NULL;

	read_line(pid, "comm", comm, sizeof(comm));
	if (pw)
		snprintf(owner, sizeof(owner), "%s", pw->pw_name);
	else
		snprintf(owner, sizeof(owner), "uid %ld", euid);
	snprintf(root, sizeof(root), "/proc/%d/root", pid);
	if (has_cap(d, CAP_SYS_PTRACE))
		fprintf(stderr, "maptrace: cannot read the files of PID %d (%s, owned by %s) "
				"through %s: %s, even with CAP_SYS_PTRACE (a security module or "
				"another user namespace forbids it)\n",
			pid, comm, owner, root, strerror(-err));
	else if (euid == (long)geteuid())
		fprintf(stderr, "maptrace: cannot read the files of PID %d (%s) through %s: %s; "
				"it runs with privileges maptrace lacks (setuid, capabilities or "
				"not dumpable), which needs CAP_SYS_PTRACE: run maptrace as root\n",
			pid, comm, root, strerror(-err));
	else
		fprintf(stderr, "maptrace: cannot read the files of PID %d (%s, owned by %s) "
				"through %s: %s; another user's process needs CAP_SYS_PTRACE: run "
				"maptrace as root%s%s\n",
			pid, comm, owner, root, strerror(-err), euid > 0 ? " or as " : "",
			euid > 0 ? owner : "");
}

int preflight__target(int pid)
{
	struct __user_cap_data_struct d[2] = {};
	char path[64];
	struct stat st;
	int err;

	/*
	 * What maptrace reads of a target (its ELF files through /proc/PID/root, its memory for
	 * stacks and locks) needs ptrace access to it.  Its mappings being readable proves
	 * nothing: CAP_PERFMON alone lets /proc/PID/maps be read, and nothing else.
	 */
	snprintf(path, sizeof(path), "/proc/%d/root/", pid);
	if (!stat(path, &st))
		return 0;
	err = -errno;
	/* no such process, or one exiting: the inspection says so */
	if ((err != -EACCES && err != -EPERM) || read_caps(d))
		return 0;
	explain_unreadable(pid, err, d);
	return -EPERM;
}
