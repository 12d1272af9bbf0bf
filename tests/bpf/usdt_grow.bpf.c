// SPDX-License-Identifier: GPL-2.0
/*
 * Minimal end-to-end check of the BPF chain: count cmap:grow_begin hits of one process (and
 * cmap:map_create's, whose semaphore makes every grow fire grow_begin), cmap:map_create_big's
 * (a map born with 2^CMAP_QUIET_B buckets or more) and cmap:map_destroy's.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/usdt.bpf.h>

__u64 grows;
__u64 same_size;
__u64 last_new_b;
__u64 min_new_b = ~0ULL;
__u64 creates;
__u64 big_creates;
__u64 big_b;
__u64 big_hint;
__u64 destroys;

SEC("usdt")
int BPF_USDT(on_grow_begin, void *map, long old_b, long new_b, long count, long same)
{
	__sync_fetch_and_add(&grows, 1);
	if (same)
		__sync_fetch_and_add(&same_size, 1);
	last_new_b = new_b;
	if ((__u64)new_b < min_new_b)
		min_new_b = new_b;
	return 0;
}

SEC("usdt")
int BPF_USDT(on_map_create, void *map)
{
	__sync_fetch_and_add(&creates, 1);
	return 0;
}

SEC("usdt")
int BPF_USDT(on_map_create_big, void *map, long hint, long B)
{
	__sync_fetch_and_add(&big_creates, 1);
	big_b = B;
	big_hint = hint;
	return 0;
}

SEC("usdt")
int BPF_USDT(on_map_destroy, void *map)
{
	__sync_fetch_and_add(&destroys, 1);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
