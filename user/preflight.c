// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
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

int preflight__check(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2] = {};
	bool admin, bpf, perfmon;

	if (syscall(SYS_capget, &h, d)) {
		fprintf(stderr, "maptrace: cannot read this process's capabilities: %s\n",
			strerror(errno));
		return -EPERM;
	}
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
	if (access(BTF_PATH, R_OK)) {
		fprintf(stderr,
			"maptrace: this kernel exposes no BTF (%s: %s); maptrace needs a kernel "
			"built with CONFIG_DEBUG_INFO_BTF=y\n",
			BTF_PATH, strerror(errno));
		return -ENOENT;
	}
	return 0;
}
