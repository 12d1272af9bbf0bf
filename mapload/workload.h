/* SPDX-License-Identifier: MIT */
/* mapload workload: the maps, the worker threads and what they measured. */
#ifndef MAPLOAD_WORKLOAD_H
#define MAPLOAD_WORKLOAD_H

#include <stdint.h>

#include "args.h"
#include "cmap.h"

/** Opaque: the maps of one run and the threads that drive them. */
struct workload;

/** struct workload_result - what one run measured. */
struct workload_result {
	struct cmap_stats st; /* library counters summed over the maps (prefill included) */
	uint64_t ops;	      /* timed ops done, all threads */
	uint64_t elapsed_ns;  /* wall time of the timed part */
	uint64_t cpu_ns;      /* CPU time of the timed part, all threads (the main one waits) */
	uint64_t checksum;    /* timing-independent hash of the results (see --help) */
};

/**
 * workload__new() - create the maps @o asks for and insert the prefill keys.
 * Return: 0 and the workload in *@out, or a negative errno (message printed).
 */
int workload__new(const struct mapload_opts *o, struct workload **out);

/**
 * workload__run() - run the timed part: start the threads behind a barrier, let them do their
 * ops (or run for the duration), join them, and read the counters.
 * Return: 0, or a negative errno (message printed).
 */
int workload__run(struct workload *wl, struct workload_result *res);

/** workload__free() - free the maps. NULL is allowed. */
void workload__free(struct workload *wl);

/** mapload_sleep_ns() - sleep @ns nanoseconds, resuming after signals. */
void mapload_sleep_ns(uint64_t ns);

#endif /* MAPLOAD_WORKLOAD_H */
