/* SPDX-License-Identifier: MIT */
/*
 * maptrace's BPF programs in the kernel: the skeleton opened, configured for one process, loaded
 * and attached to the library's USDT probes, the profile probes and the futex tracepoints; with
 * --overhead-budget, the per-operation probes attached only part of each second.
 */
#ifndef MT_ATTACH_H
#define MT_ATTACH_H

#include <stdbool.h>
#include <linux/types.h>
#include "args.h"
#include "maptrace.h"
#include "target.h"

struct attacher;

struct probe_plan;

/**
 * attacher__traces_probe() - does maptrace attach to the library's USDT probe @name, with
 * (@detail) or without --detail?
 */
bool attacher__traces_probe(const char *name, bool detail);


/**
 * attacher__open() - open the BPF object and configure it for @t (the pid filter, map sizes,
 * which programs load): nothing is in the kernel yet.  A throwaway uprobe starts registering
 * meanwhile, so the real probes attach without waiting for a grace period.
 * @plan: the profile probes that will be attached (NULL or empty: none).
 * Prints a one-line message naming the problem on failure.
 * Return: 0 and *@out, or a negative errno.
 */
int attacher__open(const struct args *a, const struct target *t, const struct probe_plan *plan,
		   struct attacher **out);

/** attacher__stack_slots() - how many stacks the kernel's stack map holds (ids below that). */
__u32 attacher__stack_slots(const struct attacher *at);

/**
 * attacher__load() - verify the programs and create the maps.  Prints a one-line message on
 * failure.  Return: 0 or a negative errno.
 */
int attacher__load(struct attacher *at);

/**
 * attacher__attach() - attach the library's probes in every module of @t that has them, the
 * profile probes of @plan, then (unless --no-futex) the futex tracepoints.  With
 * --overhead-budget the duty cycle starts with the per-operation probes attached.
 * Prints a one-line message naming the problem and its fix on failure.
 * Return: 0 or a negative errno.
 */
int attacher__attach(struct attacher *at, const struct target *t, const struct probe_plan *plan);

/**
 * attacher__sampled() - are the per-operation probes attached only part of the time
 * (--overhead-budget with probes to switch)?  Their counts are then read from the library.
 */
bool attacher__sampled(const struct attacher *at);

/**
 * attacher__profiles_sampled() - are a profile's per-operation counts (insert, delete,
 * lookup) among them?  Those have no counters in the library to read: they are a sample.
 */
bool attacher__profiles_sampled(const struct attacher *at);

/**
 * attacher__duty() - with --overhead-budget, switch the per-operation probes on or off when their
 * slice of the second is over, sizing the next slice from the hit rate just seen.
 * Return: 1 with *@duty, the share of the time since attaching that they were attached, when a
 * slice ended; 0 when none did (or nothing is sampled); or a negative errno from re-attaching,
 * after which the probes stay detached and the duty cycle is over.
 */
int attacher__duty(struct attacher *at, double *duty);

/** attacher__events_fd() - the ring buffer's map, after attacher__load(). */
int attacher__events_fd(const struct attacher *at);

/** attacher__stacks_fd() - the map of stacks by id, after attacher__load(). */
int attacher__stacks_fd(const struct attacher *at);

/** attacher__counts_fd() - the per-CPU map of per-map counters, after attacher__load(). */
int attacher__counts_fd(const struct attacher *at);

/**
 * attacher__exit_reads_fd() - the hash of what the exit program reads of each map (key: its
 * address, value: struct mt_exit_read), after attacher__load(); -1 without an exit program.
 * *@specs_fd: the array of how each profile's maps are read (by lib), or -1.
 */
int attacher__exit_reads_fd(const struct attacher *at, int *specs_fd);

/** attacher__drops() - the records lost so far, by reason (enum mt_drop), into @dropped. */
void attacher__drops(const struct attacher *at, __u64 dropped[MT_DROP_MAX]);

struct cmap_totals;
/**
 * attacher__read_totals() - the library's process-wide totals (maps created and freed, grows)
 * as the target holds them now.  Return: 0; -ENOENT when the target's library has no
 * cmap_totals symbol; -EFAULT when it could not be read.
 */
int attacher__read_totals(const struct attacher *at, struct cmap_totals *tot);

/**
 * attacher__totals_start() - the library's totals as read when the probes were about to attach
 * (maps with a serial up to @tot->created predate the trace).  Return: CLOCK_MONOTONIC when
 * they were read, 0 when they could not be.
 */
__u64 attacher__totals_start(const struct attacher *at, struct cmap_totals *tot);

/** attacher__free() - detach every probe and unload the programs.  NULL is allowed. */
void attacher__free(struct attacher *at);

#endif /* MT_ATTACH_H */
