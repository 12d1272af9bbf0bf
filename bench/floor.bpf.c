// SPDX-License-Identifier: GPL-2.0
/*
 * The per-hit floor: programs that do nothing, for bench/floor.c to attach where maptrace
 * attaches (USDT sites, a function's entry) through the same uprobe_multi links.  Whatever a
 * workload slows down by with these attached is the price of the probe mechanism itself (the
 * trap or trampoline into the kernel, the uprobe dispatch, the BPF program call), below which
 * no tracer on these sites can go.  Two programs, so bpf_stats reports each on its own.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("usdt")
int floor_usdt(void *ctx)
{
	return 0;
}

SEC("usdt")
int floor_uprobe(void *ctx)
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
