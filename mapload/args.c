// SPDX-License-Identifier: MIT
/*
 * mapload command line.  Every number is range-checked here, so the workload code can trust
 * struct mapload_opts; every error is one line naming the flag and what it accepts.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"

#define NSEC_PER_SEC 1000000000ULL
#define MAX_THREADS  1024
#define MAX_KEYS     1000000000ULL
#define MAX_OPS	     1000000000000ULL
#define MAX_HINT     (1ULL << 32)
#define MAX_MAPS     1024
#define MAX_SHARDS   4096
#define MAX_HOLD_US  1000000
#define MAX_SECONDS  86400.0
/* A percentage in the basis points struct mapload_opts keeps. */
#define PCT(p) ((uint32_t)((p)*100))

/*
 * A preset for one of the brief's scenarios.  writers < 0 means "every thread writes"; fields
 * left out are 0.  Flags on the command line override any field.
 */
struct scenario {
	const char *name;
	const char *what;
	enum cmap_variant variant;
	uint32_t threads;
	int writers;
	uint64_t keys;
	uint64_t ops;
	uint32_t write_bp;
	uint32_t delete_bp;
	uint32_t new_key_bp;
	uint32_t recent_bp;
	uint64_t prefill;
	uint64_t hint;
	uint32_t shards;
	uint32_t hold_us;
};

static const struct scenario scenarios[] = {
	{
		.name = "growth",
		.what = "100,000 inserts of fresh keys, no size hint: grows",
		.variant = CMAP_PLAIN,
		.threads = 1,
		.writers = -1,
		.keys = 100000,
		.ops = 100000,
		.write_bp = PCT(100),
		.new_key_bp = PCT(100),
	},
	{
		.name = "presized",
		.what = "the same with --hint 100000: no grow",
		.variant = CMAP_PLAIN,
		.threads = 1,
		.writers = -1,
		.keys = 100000,
		.ops = 100000,
		.hint = 100000,
		.write_bp = PCT(100),
		.new_key_bp = PCT(100),
	},
	{
		.name = "mutex-writers",
		.what = "4 threads, 50% updates, mutex held 10 us per write",
		.variant = CMAP_MUTEX,
		.threads = 4,
		.writers = -1,
		.keys = 10000,
		.prefill = 10000,
		.ops = 40000,
		.write_bp = PCT(50),
		.hold_us = 10,
	},
	{
		.name = "rwlock-steady-writer",
		.what = "3 readers, 1 writer holding the write lock 20 us",
		.variant = CMAP_RWLOCK,
		.threads = 4,
		.writers = 1,
		.keys = 10000,
		.prefill = 10000,
		.ops = 400000,
		.write_bp = PCT(0.5),
		.hold_us = 20,
	},
	{
		.name = "sharded",
		.what = "rwlock-steady-writer's load on 16 shards",
		.variant = CMAP_SHARDED,
		.threads = 4,
		.writers = 1,
		.shards = 16,
		.keys = 10000,
		.prefill = 10000,
		.ops = 400000,
		.write_bp = PCT(0.5),
		.hold_us = 20,
	},
	{
		.name = "sync-stable",
		.what = "sync map, stable keys, 2% updates: reads hit",
		.variant = CMAP_SYNC,
		.threads = 4,
		.writers = -1,
		.keys = 10000,
		.prefill = 10000,
		.ops = 400000,
		.write_bp = PCT(2),
	},
	{
		.name = "sync-churn",
		.what = "sync map, 20% fresh-key stores, read back: misses",
		.variant = CMAP_SYNC,
		.threads = 4,
		.writers = -1,
		.keys = 10000,
		.prefill = 10000,
		.ops = 400000,
		.write_bp = PCT(20),
		.new_key_bp = PCT(100),
		.recent_bp = PCT(70),
	},
};

#define N_SCENARIOS (sizeof(scenarios) / sizeof(scenarios[0]))

static const char *const variant_names[] = {
	[CMAP_PLAIN] = "plain",	    [CMAP_MUTEX] = "mutex", [CMAP_RWLOCK] = "rwlock",
	[CMAP_SHARDED] = "sharded", [CMAP_SYNC] = "sync",
};

enum {
	OPT_VARIANT = 256,
	OPT_SCENARIO,
	OPT_THREADS,
	OPT_WRITERS,
	OPT_KEYS,
	OPT_OPS,
	OPT_DURATION,
	OPT_WRITE_PCT,
	OPT_DELETE_PCT,
	OPT_NEW_KEY_PCT,
	OPT_RECENT_PCT,
	OPT_PREFILL,
	OPT_SEED,
	OPT_HINT,
	OPT_MAPS,
	OPT_SHARDS,
	OPT_HOLD_US,
	OPT_START_AFTER,
	OPT_EXIT_AFTER,
	OPT_JSON,
};

static const struct option long_opts[] = {
	{"variant", required_argument, NULL, OPT_VARIANT},
	{"scenario", required_argument, NULL, OPT_SCENARIO},
	{"threads", required_argument, NULL, OPT_THREADS},
	{"writers", required_argument, NULL, OPT_WRITERS},
	{"keys", required_argument, NULL, OPT_KEYS},
	{"ops", required_argument, NULL, OPT_OPS},
	{"duration", required_argument, NULL, OPT_DURATION},
	{"write-pct", required_argument, NULL, OPT_WRITE_PCT},
	{"delete-pct", required_argument, NULL, OPT_DELETE_PCT},
	{"new-key-pct", required_argument, NULL, OPT_NEW_KEY_PCT},
	{"recent-pct", required_argument, NULL, OPT_RECENT_PCT},
	{"prefill", required_argument, NULL, OPT_PREFILL},
	{"seed", required_argument, NULL, OPT_SEED},
	{"hint", required_argument, NULL, OPT_HINT},
	{"maps", required_argument, NULL, OPT_MAPS},
	{"shards", required_argument, NULL, OPT_SHARDS},
	{"hold-us", required_argument, NULL, OPT_HOLD_US},
	{"start-after", required_argument, NULL, OPT_START_AFTER},
	{"exit-after", required_argument, NULL, OPT_EXIT_AFTER},
	{"json", no_argument, NULL, OPT_JSON},
	{"verbose", no_argument, NULL, 'v'},
	{"help", no_argument, NULL, 'h'},
	{},
};

void mapload_usage(FILE *f)
{
	size_t i;

	fprintf(f,
		"Usage: mapload [OPTIONS]\n"
		"\n"
		"Drive libcmap with a deterministic workload that a tracer can attach to,\n"
		"then report the library's counters summed over the maps used.\n"
		"\n"
		"WORKLOAD\n"
		"  --variant V       plain|mutex|rwlock|sharded|sync (default plain: one\n"
		"                    thread, cmap_* directly)\n"
		"  --scenario NAME   preset for a scenario listed below; flags given on the\n"
		"                    command line override it\n"
		"  --threads N       worker threads, 1..%d (default 1); they start together\n"
		"                    behind a barrier\n"
		"  --writers N       threads 0..N-1 write, the others only read; 0..threads\n"
		"                    (default: every thread writes)\n"
		"  --keys N          key space 0..N-1, 1..%llu (default 100000); writer w\n"
		"                    owns the keys k %% writers == w: only it stores or\n"
		"                    deletes them\n"
		"  --ops N           timed ops in all threads, split evenly, 0..%llu\n"
		"                    (default 1000000)\n"
		"  --duration S      run S seconds (0.001..%.0f) instead of --ops; the\n"
		"                    checksum then depends on how many ops ran\n"
		"  --write-pct P     share of a writer's ops that store a key, a percentage\n"
		"                    0..100 to 0.01 like every -pct flag (default 20)\n"
		"  --delete-pct P    share of a writer's ops that delete one of its keys,\n"
		"                    0..100, write-pct + delete-pct <= 100 (default 0);\n"
		"                    the other ops are reads\n"
		"  --new-key-pct P   share of stores that insert a fresh key, never used\n"
		"                    before, from beyond the key space, 0..100 (default 0);\n"
		"                    other stores pick a key of the writer's slice\n"
		"  --recent-pct P    share of reads aimed at one of the thread's 64 latest\n"
		"                    fresh keys, 0..100 (default 0); other reads pick any\n"
		"                    key that may exist\n"
		"  --prefill N       insert keys 0..N-1 before the timed part, 0..keys\n"
		"                    (default 0)\n"
		"  --seed S          PRNG seed, 0..2^64-1 (default 1); thread i draws from\n"
		"                    its own generator seeded with seed + i\n"
		"\n"
		"MAPS\n"
		"  --hint N          size hint of each map, 0 = none, 0..%llu (default 0)\n"
		"  --maps M          number of maps, the key's hash picks one, 1..%d\n"
		"                    (default 1)\n"
		"  --shards N        shards of a sharded map, a power of two 1..%d\n"
		"                    (default 16)\n"
		"  --hold-us U       keep the lock held U microseconds inside every store and\n"
		"                    delete (ccmap_update; waiters block in futex), 0..%d\n"
		"                    (default 0); with plain, the sleep takes no lock\n"
		"\n"
		"TRACING\n"
		"  --start-after S   print \"mapload: pid N\" on stderr, then sleep S seconds\n"
		"                    (0..%.0f) before creating the maps: attach a tracer now\n"
		"  --exit-after S    after printing the result, sleep S seconds (0..%.0f)\n"
		"                    before freeing the maps and exiting\n"
		"\n"
		"OUTPUT\n"
		"  --json            print only one JSON object on stdout: the library's\n"
		"                    counters inserts, updates, deletes, lookups, grows,\n"
		"                    same_size_grows, evacuated, hits, misses, promotions,\n"
		"                    overflow, count, buckets (the prefill included), and\n"
		"                    variant, scenario, threads, writers, maps, seed, ops,\n"
		"                    elapsed_ns, ns_per_op (wall time of the timed part over\n"
		"                    its ops), cpu_ns (its CPU time, all threads) and\n"
		"                    checksum (16 hex digits, a string)\n"
		"  -v, --verbose     also print each thread's ops and finish time on stderr\n"
		"  -h, --help        this text\n"
		"\n"
		"CHECKSUM\n"
		"  A hash of, per writer in thread order, every op on the keys it owns with\n"
		"  its result (store: inserted or updated; delete: found or not; read: hit\n"
		"  and value), and of the final entry count.  Reads of keys that another\n"
		"  thread writes are left out: their results depend on timing.  So the same\n"
		"  flags with --ops give the same checksum on every run, traced or not, and\n"
		"  for every variant, --maps and --hold-us (same --threads and --writers).\n"
		"\n"
		"SCENARIOS\n",
		MAX_THREADS, MAX_KEYS, MAX_OPS, MAX_SECONDS, MAX_HINT, MAX_MAPS, MAX_SHARDS,
		MAX_HOLD_US, MAX_SECONDS, MAX_SECONDS);
	for (i = 0; i < N_SCENARIOS; i++)
		fprintf(f, "  %-21s %s\n", scenarios[i].name, scenarios[i].what);
	fprintf(f, "\n"
		   "Exit status: 0 on success, 1 on a runtime failure, 2 on a usage error.\n"
		   "\n"
		   "Examples:\n"
		   "  # 100,000 inserts without a hint, then with --hint 100000: 14 grows vs 0\n"
		   "  mapload --scenario growth --json\n"
		   "  mapload --scenario presized --json\n"
		   "  # 4 writers on one mutex, each write holding it 10 us\n"
		   "  mapload --variant mutex --threads 4 --write-pct 50 --hold-us 10\n"
		   "  # a scenario, smaller\n"
		   "  mapload --scenario sync-churn --threads 2 --ops 100000 --json\n"
		   "  # give a tracer 2 s to attach, and 1 s after the work\n"
		   "  mapload --scenario rwlock-steady-writer --start-after 2 --exit-after 1 &\n"
		   "  maptrace -p <pid printed on stderr>\n"
		   "  # a time-boxed run on a widely sharded map\n"
		   "  mapload --variant sharded --shards 64 --threads 8 --duration 10\n");
}

/* Parse a decimal unsigned integer in min..max; print a message naming @flag otherwise. */
static int parse_u64(const char *flag, const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (!*s || *s == '-' || *s == '+' || *s == ' ' || *end || errno || v < min || v > max) {
		fprintf(stderr, "mapload: %s must be an integer in %llu..%llu (got '%s')\n", flag,
			(unsigned long long)min, (unsigned long long)max, s);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

static int parse_u32(const char *flag, const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
	uint64_t v;
	int err;

	err = parse_u64(flag, s, min, max, &v);
	if (!err)
		*out = (uint32_t)v;
	return err;
}

/* Parse seconds (decimals allowed) in min..max into nanoseconds. */
static int parse_seconds(const char *flag, const char *s, double min, double max, uint64_t *ns)
{
	double v;
	char *end;

	errno = 0;
	v = strtod(s, &end);
	if (!*s || *end || errno || !isfinite(v) || v < min || v > max) {
		fprintf(stderr, "mapload: %s must be a number of seconds in %g..%g (got '%s')\n",
			flag, min, max, s);
		return -EINVAL;
	}
	*ns = (uint64_t)(v * NSEC_PER_SEC + 0.5);
	return 0;
}

/* Parse a percentage in 0..100, to 0.01 at most, into basis points. */
static int parse_pct(const char *flag, const char *s, uint32_t *bp)
{
	double v, frac;
	char *end;

	errno = 0;
	v = strtod(s, &end);
	/* no libm: round by hand, then insist nothing finer than 0.01 was asked for */
	frac = isfinite(v) && v >= 0 && v <= 100 ? v * 100 - (double)(uint32_t)(v * 100 + 0.5) : 1;
	if (!*s || *end || errno || frac > 1e-6 || frac < -1e-6) {
		fprintf(stderr,
			"mapload: %s must be a percentage in 0..100, to 0.01 at most (got '%s')\n",
			flag, s);
		return -EINVAL;
	}
	*bp = (uint32_t)(v * 100 + 0.5);
	return 0;
}

static int parse_variant(const char *s, enum cmap_variant *v)
{
	size_t i;

	for (i = 0; i < sizeof(variant_names) / sizeof(variant_names[0]); i++) {
		if (strcmp(s, variant_names[i]) == 0) {
			*v = (enum cmap_variant)i;
			return 0;
		}
	}
	fprintf(stderr, "mapload: --variant must be one of %s (got '%s')\n",
		"plain, mutex, rwlock, sharded, sync", s);
	return -EINVAL;
}

static const struct scenario *find_scenario(const char *name)
{
	size_t i;

	for (i = 0; i < N_SCENARIOS; i++)
		if (strcmp(name, scenarios[i].name) == 0)
			return &scenarios[i];
	fprintf(stderr, "mapload: --scenario must be one of");
	for (i = 0; i < N_SCENARIOS; i++)
		fprintf(stderr, "%s %s", i ? "," : "", scenarios[i].name);
	fprintf(stderr, " (got '%s')\n", name);
	return NULL;
}

static void set_defaults(struct mapload_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->variant = CMAP_PLAIN;
	o->threads = 1;
	o->writers = MAPLOAD_ALL_WRITERS;
	o->keys = 100000;
	o->ops = 1000000;
	o->write_bp = PCT(20);
	o->seed = 1;
	o->maps = 1;
	o->shards = 16;
}

static void apply_scenario(struct mapload_opts *o, const struct scenario *sc)
{
	o->scenario = sc->name;
	o->variant = sc->variant;
	o->threads = sc->threads;
	o->writers = sc->writers < 0 ? MAPLOAD_ALL_WRITERS : (uint32_t)sc->writers;
	o->keys = sc->keys;
	o->ops = sc->ops;
	o->write_bp = sc->write_bp;
	o->delete_bp = sc->delete_bp;
	o->new_key_bp = sc->new_key_bp;
	o->recent_bp = sc->recent_bp;
	o->prefill = sc->prefill;
	o->hint = sc->hint;
	o->shards = sc->shards ? sc->shards : 16;
	o->hold_us = sc->hold_us;
}

/* First pass: only find --scenario, so the preset sits under whatever else the user says. */
static int find_scenario_arg(int argc, char **argv, struct mapload_opts *o)
{
	const struct scenario *sc;
	int c;

	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, "hv", long_opts, NULL)) != -1) {
		if (c != OPT_SCENARIO)
			continue;
		sc = find_scenario(optarg);
		if (!sc)
			return -EINVAL;
		apply_scenario(o, sc);
	}
	return 0;
}

/* Cross-flag rules, checked once all flags are known. */
static int check_consistency(struct mapload_opts *o, bool shards_set)
{
	if (o->variant == CMAP_PLAIN && o->threads > 1) {
		fprintf(stderr, "mapload: --threads must be 1 with --variant plain "
				"(not thread-safe): use mutex, rwlock, sharded or sync\n");
		return -EINVAL;
	}
	if (shards_set && o->variant != CMAP_SHARDED) {
		fprintf(stderr, "mapload: --shards applies only to --variant sharded\n");
		return -EINVAL;
	}
	if (o->shards & (o->shards - 1)) {
		fprintf(stderr, "mapload: --shards must be a power of two in 1..%d (got %u)\n",
			MAX_SHARDS, o->shards);
		return -EINVAL;
	}
	if (o->write_bp + o->delete_bp > MAPLOAD_BP_ALL) {
		fprintf(stderr,
			"mapload: --write-pct + --delete-pct must be <= 100 (got %g + %g)\n",
			o->write_bp / 100.0, o->delete_bp / 100.0);
		return -EINVAL;
	}
	if (o->writers == MAPLOAD_ALL_WRITERS) {
		o->writers = o->threads;
	} else if (o->writers > o->threads) {
		fprintf(stderr, "mapload: --writers must be in 0..%u (--threads) (got %u)\n",
			o->threads, o->writers);
		return -EINVAL;
	}
	if (o->keys < o->writers) {
		fprintf(stderr,
			"mapload: --keys must be >= %u, the number of writers (each owns a "
			"slice of the keys) (got %llu)\n",
			o->writers, (unsigned long long)o->keys);
		return -EINVAL;
	}
	if (o->prefill > o->keys) {
		fprintf(stderr, "mapload: --prefill must be in 0..%llu (--keys) (got %llu)\n",
			(unsigned long long)o->keys, (unsigned long long)o->prefill);
		return -EINVAL;
	}
	return 0;
}

int mapload_parse_args(int argc, char **argv, struct mapload_opts *o)
{
	bool shards_set = false, ops_set = false, duration_set = false;
	int c, err;

	set_defaults(o);
	err = find_scenario_arg(argc, argv, o);
	if (err)
		return err;

	opterr = 1;
	optind = 0;
	while ((c = getopt_long(argc, argv, "hv", long_opts, NULL)) != -1) {
		switch (c) {
		case OPT_VARIANT:
			err = parse_variant(optarg, &o->variant);
			break;
		case OPT_SCENARIO:
			break; /* applied in the first pass */
		case OPT_THREADS:
			err = parse_u32("--threads", optarg, 1, MAX_THREADS, &o->threads);
			break;
		case OPT_WRITERS:
			err = parse_u32("--writers", optarg, 0, MAX_THREADS, &o->writers);
			break;
		case OPT_KEYS:
			err = parse_u64("--keys", optarg, 1, MAX_KEYS, &o->keys);
			break;
		case OPT_OPS:
			err = parse_u64("--ops", optarg, 0, MAX_OPS, &o->ops);
			ops_set = true;
			break;
		case OPT_DURATION:
			err = parse_seconds("--duration", optarg, 0.001, MAX_SECONDS,
					    &o->duration_ns);
			duration_set = true;
			break;
		case OPT_WRITE_PCT:
			err = parse_pct("--write-pct", optarg, &o->write_bp);
			break;
		case OPT_DELETE_PCT:
			err = parse_pct("--delete-pct", optarg, &o->delete_bp);
			break;
		case OPT_NEW_KEY_PCT:
			err = parse_pct("--new-key-pct", optarg, &o->new_key_bp);
			break;
		case OPT_RECENT_PCT:
			err = parse_pct("--recent-pct", optarg, &o->recent_bp);
			break;
		case OPT_PREFILL:
			err = parse_u64("--prefill", optarg, 0, MAX_KEYS, &o->prefill);
			break;
		case OPT_SEED:
			err = parse_u64("--seed", optarg, 0, UINT64_MAX, &o->seed);
			break;
		case OPT_HINT:
			err = parse_u64("--hint", optarg, 0, MAX_HINT, &o->hint);
			break;
		case OPT_MAPS:
			err = parse_u32("--maps", optarg, 1, MAX_MAPS, &o->maps);
			break;
		case OPT_SHARDS:
			err = parse_u32("--shards", optarg, 1, MAX_SHARDS, &o->shards);
			shards_set = true;
			break;
		case OPT_HOLD_US:
			err = parse_u32("--hold-us", optarg, 0, MAX_HOLD_US, &o->hold_us);
			break;
		case OPT_START_AFTER:
			err = parse_seconds("--start-after", optarg, 0, MAX_SECONDS,
					    &o->start_after_ns);
			o->start_after_set = true;
			break;
		case OPT_EXIT_AFTER:
			err = parse_seconds("--exit-after", optarg, 0, MAX_SECONDS,
					    &o->exit_after_ns);
			break;
		case OPT_JSON:
			o->json = true;
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'h':
			o->help = true;
			return 0;
		default:
			/* getopt_long already named the bad option */
			fprintf(stderr, "mapload: see --help\n");
			return -EINVAL;
		}
		if (err)
			return err;
	}
	if (optind < argc) {
		fprintf(stderr, "mapload: unexpected argument '%s' (see --help)\n", argv[optind]);
		return -EINVAL;
	}
	if (ops_set && duration_set) {
		fprintf(stderr, "mapload: --ops and --duration are mutually exclusive\n");
		return -EINVAL;
	}
	return check_consistency(o, shards_set);
}
