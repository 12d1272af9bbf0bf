/* SPDX-License-Identifier: MIT */
/* maptrace's command line: options, parsing and --help, in one place. */
#ifndef MT_ARGS_H
#define MT_ARGS_H

#include <stdbool.h>
#include <linux/types.h>

#define ARGS_MAX_PROBES 64
#define ARGS_MAX_PROFILE_FILES 16

struct args {
	const char *report_file; /* "maptrace report FILE": read a trace instead of tracing */
	int pid;
	const char *comm;	/* --comm: follow the process with this name across restarts */
	const char *exe;	/* --exe: follow the process running this executable */
	char **command;		/* -- CMD ARGS...: run this under tracing (NULL-terminated), or NULL */
	const char *listen;	/* --listen ADDR:PORT: serve Prometheus metrics */
	int metrics_top;	/* --metrics-top: maps and locks with their own series */
	__u64 interval_ms;	/* live report period */
	__u64 count;		/* live reports before exiting; 0 = unlimited */
	__u64 duration_ms;	/* stop after this long; 0 = until Ctrl-C or target exit */
	int top;		/* rows per table, 0 = all */
	bool json;		/* final summary as JSON on stdout, no live tables */
	const char *format;	/* backend of the final summary: text, json, folded, pprof, chrome */
	const char *output;	/* -o: record a trace file */
	bool force;		/* -o may replace an existing file */
	__u64 max_size;		/* --max-size: bytes the -o file may take, 0 = no limit */
	int weight;		/* enum report_weight */
	int what;		/* enum report_what */
	bool events;		/* json: every event too */
	bool all_waits;		/* --all-waits: waits that are not lock contention as rows */
	const char *sort;	/* --sort COLUMN: a report__sort_keys() name, NULL: by cost */
	const char *map_filter;	/* --map ADDR|NAME: only this map and its locks */
	const char *lock_filter; /* --lock ADDR|NAME: only this lock and its map */
	bool quiet;		/* no live tables, final summary only */
	bool stacks;		/* capture user stacks */
	bool stack_dwarf;	/* unwind with CFI from a copy of the user stack (--stack) */
	bool stack_auto;	/* --stack auto: dwarf within a budget of copies per second */
	__u32 stack_size;	/* bytes of user stack to copy for dwarf unwinding */
	bool futex;		/* trace futex waits */
	bool futex_tp;		/* --futex-tracepoints: by the syscall tracepoints, not sites */
	__u32 ringbuf_mb;
	__u32 max_maps;		/* --max-maps: entries of the kernel's per-map tables */
	double budget_pct;	/* --overhead-budget: 0 = probes always on */
	bool detail;		/* --detail: the per-operation probes too (every insert, step) */
	const char *probes[ARGS_MAX_PROBES];	     /* --probe ROLE:OBJECT:SYMBOL[:K=V,...] */
	int nprobes;
	const char *profiles[ARGS_MAX_PROFILE_FILES]; /* --profile FILE */
	int nprofiles;
	bool list;		/* --list: print what would be attached, then exit */
	bool verbose;		/* libbpf debug output */
	bool help;
	bool report_help;	/* maptrace report --help: the report subcommand's own help */
	bool version;
};

/**
 * args__parse() - parse argv into *@a, with defaults for everything not given.
 * Return: 0 (check a->help / a->version), or -EINVAL after a one-line message on stderr that
 * names the option and its valid range.
 */
int args__parse(int argc, char **argv, struct args *a);

/** args__usage() - print --help, with examples, on stdout. */
void args__usage(void);

/** args__report_usage() - print maptrace report --help on stdout. */
void args__report_usage(void);

#endif /* MT_ARGS_H */
