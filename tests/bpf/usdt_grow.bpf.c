// SPDX-License-Identifier: GPL-2.0
/* Minimal end-to-end check of the BPF chain: count cmap:grow_begin hits of one process. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/usdt.bpf.h>

__u64 grows;
__u64 same_size;
__u64 last_new_b;

SEC("usdt")
int BPF_USDT(on_grow_begin, void *map, long old_b, long new_b, long count, long same)
{
	__sync_fetch_and_add(&grows, 1);
	if (same)
		__sync_fetch_and_add(&same_size, 1);
	last_new_b = new_b;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
