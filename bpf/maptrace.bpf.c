// SPDX-License-Identifier: GPL-2.0
/*
 * maptrace's BPF side.
 *
 * Hot events (every insert, delete, sync-map read) are counted per map in a per-CPU hash and
 * never leave the kernel one by one.  Rare events (create, grow, evacuation step, promotion,
 * contended wait) go through one ring buffer as typed, size-prefixed records (include/maptrace.h)
 * with a user stack id.  Records are submitted without waking the reader, which polls; the reader
 * is woken only when the buffer fills past a quarter, so a burst cannot overrun it silently.
 * Every lost record is counted in drops[].
 */
/* The parts, each building on those before it: one compilation unit, one skeleton. */
#include "state.bpf.h"
#include "cmap.bpf.h"
#include "futex.bpf.h"
#include "profile.bpf.h"
#include "exit.bpf.h"
#include "sysc.bpf.h"

char LICENSE[] SEC("license") = "GPL";
