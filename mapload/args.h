/* SPDX-License-Identifier: MIT */
/* mapload command line: the options, their parsing and --help. */
#ifndef MAPLOAD_ARGS_H
#define MAPLOAD_ARGS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "cmap.h"

/** 100% in the basis points of the *_bp shares. */
#define MAPLOAD_BP_ALL 10000

/** Value of mapload_opts.writers before parsing resolves it: every thread writes. */
#define MAPLOAD_ALL_WRITERS UINT32_MAX

/** struct mapload_opts - everything the command line says; read-only once parsed. */
struct mapload_opts {
	enum cmap_variant variant;
	const char *scenario; /* preset name, or NULL */
	uint32_t threads;
	uint32_t writers;     /* threads 0..writers-1 write; the rest only read */
	uint64_t keys;	      /* key space 0..keys-1; fresh keys are drawn from keys and up */
	uint64_t ops;	      /* timed ops across all threads (when duration_ns == 0) */
	uint64_t duration_ns; /* run for this long instead of a fixed op count; 0 = use ops */
	/* Shares in basis points (1/100 of a percent): 10000 = 100%. */
	uint32_t write_bp;   /* share of a writer's ops that store */
	uint32_t delete_bp;  /* share of a writer's ops that delete */
	uint32_t new_key_bp; /* share of stores that insert a never-used key */
	uint32_t recent_bp;  /* share of reads aimed at the thread's latest fresh keys */
	uint64_t prefill;    /* keys 0..prefill-1 inserted before the timed part */
	uint64_t seed;
	uint64_t hint; /* size hint of each map; 0 = none */
	uint32_t maps;
	uint32_t shards;
	uint32_t hold_us; /* lock hold time inside every write */
	bool start_after_set;
	uint64_t start_after_ns;
	uint64_t exit_after_ns;
	bool json;
	bool verbose; /* per-thread op counts and finish times on stderr */
	bool help;
};

/**
 * mapload_parse_args() - fill *@o from the command line.
 * A --scenario preset is applied first; flags given on the command line override it.
 * Return: 0 (check o->help), or -EINVAL after printing a one-line message naming the flag on
 * stderr; the caller then exits with status 2.
 */
int mapload_parse_args(int argc, char **argv, struct mapload_opts *o);

/** mapload_usage() - print --help text, with examples, to @f. */
void mapload_usage(FILE *f);

#endif /* MAPLOAD_ARGS_H */
