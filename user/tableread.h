/* SPDX-License-Identifier: MIT */
/*
 * The table reader: a profile map's own fields (a profile's 'read' line: entries, rehash
 * position, size) read from the target's memory at each sync, for every map a profile event
 * made known, batched with process_vm_readv().  What per-operation probes would count, at no
 * cost to the program: entries go to the sink as the map's own counts, and an incremental
 * rehash that a resize started ends, as a rehash record, at the first read that finds its
 * position negative again (or, with evac=, its evacuation field zero: Go's oldbuckets nil).
 */
#ifndef MT_TABLEREAD_H
#define MT_TABLEREAD_H

#include <stdbool.h>
#include "maptrace.h"
#include "mt_event.h"
#include "profile.h"
#include "sink.h"

struct tableread;

/**
 * tableread__new() - a reader of process @pid's profile maps, per the 'read' lines of @plan,
 * sending to @sink.  @detail: the per-operation probes are attached, so a rehash_step probe
 * reports rehashes itself and the reads leave them alone.
 * Return: 0 and *@out, or -ENOMEM.
 */
int tableread__new(const struct probe_plan *plan, bool detail, int pid, const struct sink *sink,
		   struct tableread **out);

/**
 * tableread__event() - note event @ev (record @h): a profile map created, resized or freed.
 * A resize that starts an incremental rehash while another one is pending ends that one at
 * this resize's time (the library rehashes one at a time).  A map's reading as the target
 * exits (MT_EV_MAP_COUNTS) ends an evacuation it shows ended (an evac= profile's), or gets the
 * running one's span so far in @ev.  Return: 0 or -errno.
 */
int tableread__event(struct tableread *tr, const struct mt_hdr *h, struct mt_event *ev);

/** tableread__saw() - map @map of profile @lib was seen by a probe (a --detail count). */
int tableread__saw(struct tableread *tr, __u64 map, __u32 lib);

/**
 * tableread__sync() - read every known map's fields now: send their entries, and the
 * rehashes found finished, dated @now_ns (CLOCK_MONOTONIC), or with 0 as each read returns.
 * A map whose memory cannot be read (freed unseen) is dropped.  Return: 0 or the sink's error.
 */
int tableread__sync(struct tableread *tr, __u64 now_ns);

/**
 * tableread__exit_reads() - keep BPF hash @fd (struct mt_exit_read by map address) in step with
 * the maps read at each sync, so the exit program reads them as the target exits (-1: none),
 * and put into BPF array @specs_fd (by lib) how each profile's maps are read, so BPF adds a
 * map itself at its first resize.  Return: 0 or -errno.
 */
int tableread__exit_reads(struct tableread *tr, int fd, int specs_fd);


/** tableread__maps() - how many maps are read at each sync now. */
int tableread__maps(const struct tableread *tr);

/** tableread__free() - NULL is allowed. */
void tableread__free(struct tableread *tr);

#endif /* MT_TABLEREAD_H */
