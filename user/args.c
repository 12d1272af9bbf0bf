// SPDX-License-Identifier: MIT
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "args.h"
#include "report.h"
#include "trace_file.h"

#define DEFAULT_INTERVAL_MS 1000
#define DEFAULT_RINGBUF_MB 8
#define DEFAULT_MAX_MAPS   262144
/* --max-size from TRACE_MAX_SIZE_MIN (4K) to 16T, beyond any disk a trace would fill */
#define MAX_SIZE_MAX (16ULL << 40)

/* main.c's exit statuses, as both helps list them (README.md too) */
#define EXIT_STATUS_HELP                                                                          \
	"EXIT STATUS\n"                                                                           \
	"  0    the report was printed (or --help, --version, --list)\n"                          \
	"  1    maptrace failed: it could not trace (no such process, not root, no BTF),\n"      \
	"       read or write a file, or the trace file was damaged (its partial report\n"     \
	"       is still printed)\n"                                                             \
	"  2    a bad command line: the message names the option and what it takes\n"           \
	"  -- CMD: CMD's own status; 128+N when signal N killed it, 127 when CMD was not\n"       \
	"       found, 1 when maptrace failed while CMD succeeded\n"

void args__usage(void)
{
	printf("Usage: maptrace -p PID [OPTIONS] [INTERVAL [COUNT]]\n"
	       "       maptrace [OPTIONS] [INTERVAL [COUNT]] -- CMD [ARGS...]\n"
	       "       maptrace report FILE [--format F] [--weight W] [--what X] [--events]\n"
	       "Show why hash maps in a running process are slow: which maps rehash and which\n"
	       "locks guarding maps are contended, with advice on what to change.\n"
	       "\n"
	       "TARGET\n"
	       "  -p, --pid PID          process to trace (a thread's id: its process)\n"
	       "      --comm NAME        trace the process named NAME, and again under its new\n"
	       "                         PID whenever it restarts; of several, the newest (the\n"
	       "                         others are listed); a run that ends before maptrace\n"
	       "                         attached is waited past\n"
	       "      --exe PATH         the same, for the process running the executable PATH\n"
	       "  -- CMD [ARGS...]       run CMD, traced from its first instruction (start-up\n"
	       "                         included) until it exits; maptrace then exits with its\n"
	       "                         status (128+N when signal N killed it; 1 when maptrace\n"
	       "                         failed and CMD exited 0; 127: CMD not found).  Ctrl-C\n"
	       "                         reaches CMD from the terminal, a SIGINT or SIGTERM sent\n"
	       "                         to maptrace is passed on to it; the summary follows its\n"
	       "                         exit.  Libraries it loads later (dlopen) are not probed\n"
	       "\n"
	       "TIMING\n"
	       "  INTERVAL               seconds between live reports (default 1, 0.1-3600)\n"
	       "  COUNT                  number of live reports, then exit (default: unlimited)\n"
	       "  -d, --duration SECS    trace for this long, then print the summary (0.1-86400)\n"
	       "\n"
	       "OUTPUT\n"
	       "  -o, --output FILE      also record the trace to FILE (mode 0600), for\n"
	       "                         'maptrace report' here or on another machine\n"
	       "      --force            let -o replace an existing file (never a symlink)\n"
	       "      --max-size SIZE    stop recording before the -o file passes SIZE bytes\n"
	       "                         (K, M, G suffixes: KiB, MiB, GiB; 4K-16T); the file\n"
	       "                         then ends complete, the live reports and summary go on\n"
	       "  -f, --format F         the final summary as text (default), json, folded,\n"
	       "                         pprof, chrome or html; live reports are text only\n"
	       "      --json             the same as --format json\n"
	       "      --weight W         folded, pprof: wait-ns, rehash-ns or count\n"
	       "      --what X           folded, pprof: locks, grows, all (default) or holders\n"
	       "                         (the stacks that released a contended lock)\n"
	       "      --events           json: list every event too\n"
	       "      --all-waits        futex waits that are not lock contention (condvar,\n"
	       "                         barrier, join, semaphore, unknown) as rows of their\n"
	       "                         own and in --what locks stacks; by default one\n"
	       "                         \"other waits\" line counts them (JSON: other_waits)\n"
	       "  -q, --quiet            no live reports, only the final summary\n"
	       "      --listen ADDR:PORT serve Prometheus metrics on http://ADDR:PORT/metrics\n"
	       "                         (ADDR defaults to 127.0.0.1; nothing else is served;\n"
	       "                         port 0 picks a free one: the URL is printed on stderr)\n"
	       "      --metrics-top N    maps and locks with series of their own; the rest are\n"
	       "                         summed as map=\"other\" / lock=\"other\" (default 20)\n"
	       "      --top N            rows per table (default 10, 0 = all)\n"
	       "\n"
	       "FILTERS (the text tables, JSON rows and advice; --top counts what is left)\n"
	       "      --map ADDR|NAME    only the map at ADDR (0x...) or named NAME (its name,\n"
	       "                         or the function that created it) and its locks\n"
	       "      --lock ADDR|NAME   only the lock at ADDR or named NAME (a static lock's\n"
	       "                         symbol), and the map it guards\n"
	       "      --sort COLUMN      order a table by a column, largest first (default: by\n"
	       "                         cost): inserts, grows, same, rehash, maxstep, moved,\n"
	       "                         count (maps); waits, total, p50, p99, max, reads,\n"
	       "                         writes (locks)\n"
	       "\n"
	       "COLLECTION\n"
	       "      --no-stacks        do not capture user stacks (cheaper; no stack columns)\n"
	       "      --stack MODE       fp: the kernel's frame-pointer walk (cheapest, loses\n"
	       "                         functions built without frame pointers, glibc's among\n"
	       "                         them); dwarf: copy registers and the top of the stack\n"
	       "                         and unwind with the modules' CFI; auto (default):\n"
	       "                         dwarf for up to 500 events per second per CPU and the\n"
	       "                         first wait on each lock, fp beyond\n"
	       "      --stack-size BYTES stack bytes copied for dwarf (default 8192, 512-16384)\n"
	       "      --no-futex         do not trace futex waits (only the library's own lock\n"
	       "                         probes)\n"
	       "      --futex-tracepoints\n"
	       "                         time futex waits with the syscall tracepoints (also in\n"
	       "                         code loaded later); they slow every syscall on the host\n"
	       "      --ringbuf-mb N     ring buffer size in MiB, a power of two (default %d,\n"
	       "                         1-1024)\n"
	       "      --max-maps N       live maps the kernel's per-map tables hold: sync maps,\n"
	       "                         --detail, profile counts (default %d, 16-4194304)\n"
	       "      --detail           also probe every insert, delete and evacuation step of\n"
	       "                         libcmap maps: evacuation-step histograms and stacks, at\n"
	       "                         ~0.3 us a hit, and a profile's insert, delete, lookup\n"
	       "                         and rehash_step probes, 0.6-5 us a hit (by default\n"
	       "                         counts come from the maps' own counters and fields,\n"
	       "                         and nothing per-operation is probed)\n"
	       "      --overhead-budget PCT\n"
	       "                         keep the estimated CPU the per-insert probes add under\n"
	       "                         PCT%% of a CPU (0.01-100) by attaching them only part of\n"
	       "                         each second; grows, evacuations and waits stay fully\n"
	       "                         traced, inserts and counts come from the library\n"
	       "\n"
	       "LIBRARIES (maps of libraries without maptrace's USDT probes; docs/profiles.md)\n"
	       "      --probe ROLE:OBJECT:SYMBOL[:KEY=VALUE,...]\n"
	       "                         attach a uprobe on SYMBOL of the mapped OBJECT (a file\n"
	       "                         name such as libfoo.so or an executable's name), e.g.\n"
	       "                         grow:libfoo.so:foo_resize:map=arg0,size=u64@0,\n"
	       "                         new_size=arg1 (one word: no space); roles: insert\n"
	       "                         delete lookup create destroy resize (grow) grow_begin\n"
	       "                         grow_end rehash_step lock; repeatable\n"
	       "      --profile FILE     probe profiles from FILE, besides the built-in ones\n"
	       "                         (glib, redis, go, gosync, goswiss, libstdc++,\n"
	       "                         libstdc++-rehash: --list); repeatable\n"
	       "      --list             print the objects, profiles and probes maptrace would\n"
	       "                         attach in the process (symbol, address, role, cost per\n"
	       "                         hit) and why a profile did not match, then exit\n"
	       "\n"
	       "  -v, --verbose          libbpf debug output on stderr\n"
	       "  -h, --help             this help (maptrace report --help: the report's)\n"
	       "  -V, --version          print the version\n"
	       "\n"
	       "TERMINAL\n"
	       "  Text fits COLUMNS, else the terminal's width, else 80 columns (as perf):\n"
	       "  tables leave out their least useful columns first, other lines wrap.\n"
	       "  Headings are bold on a terminal unless NO_COLOR is set; never in a pipe.\n"
	       "\n"
	       "%s"
	       "\n"
	       "Examples:\n"
	       "  maptrace -p 1234                 live report every second until Ctrl-C\n"
	       "  maptrace -p 1234 5 3             three reports five seconds apart, then the\n"
	       "                                   summary\n"
	       "  maptrace -p 1234 -d 10 --json    ten seconds, then the summary as JSON\n"
	       "  maptrace -p 1234 -d 30 -o t.mtr  record 30 seconds to t.mtr\n"
	       "  maptrace -q --json -- ./app --load   run app traced; its summary once it exits\n"
	       "  maptrace -o t.mtr -- make -j8     record a command's whole run to t.mtr\n"
	       "  maptrace -p 1234 -o t.mtr --max-size 100M   record until t.mtr holds 100 MiB\n"
	       "  maptrace --comm redis-server -q --listen :9464   metrics, across restarts\n"
	       "  maptrace -p $(pidof redis-server) --list   what maptrace finds in Redis\n"
	       "  maptrace -p 1234 --probe grow:app:ht_resize:map=arg0,size=u64@0,new_size=arg1\n"
	       "  maptrace report t.mtr            the summary, from the file\n"
	       "  maptrace report t.mtr -f folded --what locks | flamegraph.pl > waits.svg\n"
	       "  maptrace report t.mtr -f pprof > waits.pb.gz && go tool pprof -top waits.pb.gz\n"
	       "  maptrace report t.mtr -f chrome > trace.json   (open in ui.perfetto.dev)\n"
	       "  maptrace report t.mtr -f html > report.html    (any browser, offline)\n",
	       DEFAULT_RINGBUF_MB, DEFAULT_MAX_MAPS, EXIT_STATUS_HELP);
}

void args__report_usage(void)
{
	printf("Usage: maptrace report FILE [OPTIONS]\n"
	       "Print the summary of a trace recorded with maptrace -o FILE, here or on another\n"
	       "machine, as text or converted for other tools.  The same reports as a live run.\n"
	       "\n"
	       "OUTPUT\n"
	       "  -f, --format F         text (default), json, folded (flame graphs), pprof (go\n"
	       "                         tool pprof, Pyroscope), chrome (ui.perfetto.dev) or\n"
	       "                         html (one self-contained page: charts, flame graphs)\n"
	       "      --json             the same as --format json\n"
	       "      --weight W         folded, pprof: wait-ns, rehash-ns or count\n"
	       "      --what X           folded, pprof: locks, grows, all (default) or holders\n"
	       "                         (the stacks that released a contended lock)\n"
	       "      --events           json: list every event too\n"
	       "      --all-waits        futex waits that are not lock contention as rows too\n"
	       "      --top N            rows per table (default 10, 0 = all)\n"
	       "\n"
	       "FILTERS\n"
	       "      --map ADDR|NAME    only this map (address, name or creating function) and\n"
	       "                         the locks guarding it\n"
	       "      --lock ADDR|NAME   only this lock (address or symbol) and its map\n"
	       "      --sort COLUMN      order a table by a column, largest first: inserts,\n"
	       "                         grows, same, rehash, maxstep, moved, count (maps);\n"
	       "                         waits, total, p50, p99, max, reads, writes (locks)\n"
	       "\n"
	       "  -h, --help             this help\n"
	       "\n"
	       "%s"
	       "\n"
	       "Examples:\n"
	       "  maptrace report t.mtr                      the summary\n"
	       "  maptrace report t.mtr --sort p99 --top 5   the five locks with the worst P99\n"
	       "  maptrace report t.mtr --map 0x55d0a0001000 --json   one map and its locks\n"
	       "  maptrace report t.mtr -f folded --what locks | flamegraph.pl > waits.svg\n"
	       "  maptrace report t.mtr -f html > t.html     a page to open offline; --top N\n"
	       "                                             maps and locks drawn (default 10)\n",
	       EXIT_STATUS_HELP);
}

static int parse_choice(const char *what, const char *s, const char *const *names, int n,
			int *out)
{
	for (int i = 0; i < n; i++) {
		if (!strcmp(s, names[i])) {
			*out = i;
			return 0;
		}
	}
	fprintf(stderr, "maptrace: %s must be one of", what);
	for (int i = 0; i < n; i++)
		fprintf(stderr, "%s %s", i ? "," : "", names[i]);
	fprintf(stderr, "; not '%s'\n", s);
	return -EINVAL;
}

/* Parse a decimal number of @unit in [lo, hi]. */
static int parse_number(const char *what, const char *unit, const char *s, double lo, double hi,
			double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= lo && v <= hi)) {
		fprintf(stderr, "maptrace: %s must be a number of %s from %g to %g, not '%s'\n",
			what, unit, lo, hi, s);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

/* Parse a decimal number of seconds in [lo, hi] into milliseconds. */
static int parse_seconds(const char *what, const char *s, double lo, double hi, __u64 *ms)
{
	double v;

	if (parse_number(what, "seconds", s, lo, hi, &v))
		return -EINVAL;
	*ms = (__u64)(v * 1000.0 + 0.5);
	return 0;
}

static int parse_int(const char *what, const char *s, long long lo, long long hi, long long *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi) {
		fprintf(stderr, "maptrace: %s must be an integer from %lld to %lld, not '%s'\n", what,
			lo, hi, s);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

/* --max-size: bytes, or a number with a K, M, G or T suffix (powers of 1024), 4K to 16T. */
static int parse_size(const char *what, const char *s, __u64 *out)
{
	static const char units[] = "KMGT";
	unsigned long long v;
	const char *unit;
	char *end;
	int shift = 0;

	errno = 0;
	v = strtoull(s, &end, 10);
	/* memchr, not strchr: the terminating NUL is no unit */
	if (*end && !end[1] && (unit = memchr(units, toupper((unsigned char)*end), 4))) {
		shift = 10 * (int)(unit - units + 1);
		end++;
	}
	if (errno || !isdigit((unsigned char)s[0]) || *end || v > MAX_SIZE_MAX >> shift ||
	    v << shift < TRACE_MAX_SIZE_MIN) {
		fprintf(stderr, "maptrace: %s must be a size from 4K to 16T: bytes, or a number "
				"with a K, M, G or T suffix (KiB, MiB, GiB, TiB) such as 64M; not "
				"'%s'\n",
			what, s);
		return -EINVAL;
	}
	*out = (__u64)v << shift;
	return 0;
}

/*
 * --exe PATH must be able to name a process's executable, or maptrace would wait forever.  A
 * path that does not exist here may exist in a container, whose processes show their own
 * paths; a bare name that is no file here is a name, not a path.
 */
static int check_exe(const char *path)
{
	struct stat st;

	if (!*path) {
		fprintf(stderr, "maptrace: --exe needs the path of an executable, not an empty "
				"string; e.g. --exe /usr/bin/redis-server\n");
		return -EINVAL;
	}
	if (stat(path, &st)) {
		if (strchr(path, '/'))
			return 0;
		fprintf(stderr, "maptrace: --exe %s: no such file; give the executable's path "
				"(command -v %s prints it) or use --comm %.15s\n",
			path, path, path);
		return -EINVAL;
	}
	if (S_ISDIR(st.st_mode)) {
		fprintf(stderr, "maptrace: --exe %s is a directory; give the path of the executable "
				"in it, e.g. --exe %s%sPROGRAM\n",
			path, path, path[strlen(path) - 1] == '/' ? "" : "/");
		return -EINVAL;
	}
	if (!S_ISREG(st.st_mode) || !(st.st_mode & 0111)) {
		fprintf(stderr, "maptrace: --exe %s is not executable, so no process runs it; give "
				"the path a process runs (ls -l /proc/PID/exe shows it)\n",
			path);
		return -EINVAL;
	}
	return 0;
}

/* --map / --lock: an address in hex ("0x" and hex digits), or a name (no blank in it). */
static int check_filter(const char *opt, const char *s)
{
	bool hex = !strncmp(s, "0x", 2) || !strncmp(s, "0X", 2);
	size_t n = strlen(s);

	if (hex && (n == 2 || n > 18 || strspn(s + 2, "0123456789abcdefABCDEF") != n - 2)) {
		fprintf(stderr, "maptrace: %s %s is not an address: give 0x and up to 16 hex digits "
				"as the report prints them, e.g. %s 0x55d0a0001000\n",
			opt, s, opt);
		return -EINVAL;
	}
	if (!n || strpbrk(s, " \t\n")) {
		fprintf(stderr, "maptrace: %s needs an address (0x...) or a name without blanks, "
				"not '%s'\n",
			opt, s);
		return -EINVAL;
	}
	return 0;
}

int args__parse(int argc, char **argv, struct args *a)
{
	enum { OPT_JSON = 256, OPT_TOP, OPT_NO_STACKS, OPT_NO_FUTEX, OPT_FUTEX_TP, OPT_RINGBUF, OPT_FORCE,
	       OPT_WEIGHT, OPT_WHAT, OPT_EVENTS, OPT_STACK, OPT_STACK_SIZE, OPT_COMM, OPT_EXE,
	       OPT_LISTEN, OPT_METRICS_TOP, OPT_BUDGET, OPT_PROBE, OPT_PROFILE, OPT_LIST,
	       OPT_DETAIL, OPT_MAX_SIZE, OPT_ALL_WAITS, OPT_SORT, OPT_MAP, OPT_LOCK,
	       OPT_MAX_MAPS };
	static const char *const stack_modes[] = { "fp", "dwarf", "auto" };
	static const char *const weights[] = { "default", "wait-ns", "rehash-ns", "count" };
	static const char *const whats[] = { "all", "locks", "grows", "holders" };
	static const struct option opts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "comm", required_argument, NULL, OPT_COMM },
		{ "exe", required_argument, NULL, OPT_EXE },
		{ "listen", required_argument, NULL, OPT_LISTEN },
		{ "metrics-top", required_argument, NULL, OPT_METRICS_TOP },
		{ "overhead-budget", required_argument, NULL, OPT_BUDGET },
		{ "detail", no_argument, NULL, OPT_DETAIL },
		{ "probe", required_argument, NULL, OPT_PROBE },
		{ "profile", required_argument, NULL, OPT_PROFILE },
		{ "list", no_argument, NULL, OPT_LIST },
		{ "duration", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "output", required_argument, NULL, 'o' },
		{ "force", no_argument, NULL, OPT_FORCE },
		{ "max-size", required_argument, NULL, OPT_MAX_SIZE },
		{ "format", required_argument, NULL, 'f' },
		{ "weight", required_argument, NULL, OPT_WEIGHT },
		{ "what", required_argument, NULL, OPT_WHAT },
		{ "events", no_argument, NULL, OPT_EVENTS },
		{ "all-waits", no_argument, NULL, OPT_ALL_WAITS },
		{ "sort", required_argument, NULL, OPT_SORT },
		{ "map", required_argument, NULL, OPT_MAP },
		{ "lock", required_argument, NULL, OPT_LOCK },
		{ "quiet", no_argument, NULL, 'q' },
		{ "top", required_argument, NULL, OPT_TOP },
		{ "no-stacks", no_argument, NULL, OPT_NO_STACKS },
		{ "stack", required_argument, NULL, OPT_STACK },
		{ "stack-size", required_argument, NULL, OPT_STACK_SIZE },
		{ "no-futex", no_argument, NULL, OPT_NO_FUTEX },
		{ "futex-tracepoints", no_argument, NULL, OPT_FUTEX_TP },
		{ "ringbuf-mb", required_argument, NULL, OPT_RINGBUF },
		{ "max-maps", required_argument, NULL, OPT_MAX_MAPS },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{},
	};
	bool report_mode = argc > 1 && !strcmp(argv[1], "report");
	long long v;
	int c, i;

	*a = (struct args){
		.interval_ms = DEFAULT_INTERVAL_MS,
		.top = 10,
		.stacks = true,
		.futex = true,
		.ringbuf_mb = DEFAULT_RINGBUF_MB,
		.max_maps = DEFAULT_MAX_MAPS,
		.format = "text",
		.stack_dwarf = true,
		.stack_auto = true,
		.stack_size = 8192,
	};
	optind = report_mode ? 2 : 1;
	opterr = 0;
	/* "report FILE --format F": options may follow the file */
	while ((c = getopt_long(argc, argv, report_mode ? "p:d:o:f:qvhV" : "+p:d:o:f:qvhV", opts,
				NULL)) != -1) {
		switch (c) {
		case 'p':
			if (parse_int("-p PID", optarg, 1, INT_MAX, &v))
				return -EINVAL;
			a->pid = (int)v;
			break;
		case 'd':
			if (parse_seconds("-d", optarg, 0.1, 86400, &a->duration_ms))
				return -EINVAL;
			break;
		case OPT_JSON:
			a->format = "json";
			break;
		case OPT_COMM:
			if (!*optarg) {
				fprintf(stderr, "maptrace: --comm needs a process name, not an empty "
						"string; e.g. --comm redis-server (pgrep -l lists "
						"the names)\n");
				return -EINVAL;
			}
			if (strlen(optarg) > 15) {
				fprintf(stderr, "maptrace: --comm takes a process name of at most 15 "
						"characters, as /proc/PID/comm holds it; use --exe PATH "
						"for '%s'\n",
					optarg);
				return -EINVAL;
			}
			a->comm = optarg;
			break;
		case OPT_EXE:
			if (check_exe(optarg))
				return -EINVAL;
			a->exe = optarg;
			break;
		case OPT_LISTEN:
			a->listen = optarg;
			break;
		case OPT_DETAIL:
			a->detail = true;
			break;
		case OPT_BUDGET:
			if (parse_number("--overhead-budget", "percent", optarg, 0.01, 100,
					 &a->budget_pct))
				return -EINVAL;
			break;
		case OPT_PROBE:
			if (a->nprobes == ARGS_MAX_PROBES) {
				fprintf(stderr, "maptrace: at most %d --probe options; put more in a "
						"--profile FILE\n", ARGS_MAX_PROBES);
				return -EINVAL;
			}
			a->probes[a->nprobes++] = optarg;
			break;
		case OPT_PROFILE:
			if (a->nprofiles == ARGS_MAX_PROFILE_FILES) {
				fprintf(stderr, "maptrace: at most %d --profile files\n",
					ARGS_MAX_PROFILE_FILES);
				return -EINVAL;
			}
			a->profiles[a->nprofiles++] = optarg;
			break;
		case OPT_LIST:
			a->list = true;
			break;
		case OPT_METRICS_TOP:
			if (parse_int("--metrics-top", optarg, 1, 10000, &v))
				return -EINVAL;
			a->metrics_top = (int)v;
			break;
		case 'o':
			a->output = optarg;
			break;
		case OPT_FORCE:
			a->force = true;
			break;
		case OPT_MAX_SIZE:
			if (parse_size("--max-size", optarg, &a->max_size))
				return -EINVAL;
			break;
		case 'f': {
			/* the formats are the report backends' names */
			const char *formats[16];
			int n = 0;

			while (n < 16 && report_backend__get(n)) {
				formats[n] = report_backend__get(n)->name;
				n++;
			}
			if (parse_choice("--format", optarg, formats, n, &i))
				return -EINVAL;
			a->format = formats[i];
			break;
		}
		case OPT_WEIGHT:
			if (parse_choice("--weight", optarg, weights, 4, &a->weight))
				return -EINVAL;
			break;
		case OPT_WHAT:
			if (parse_choice("--what", optarg, whats, 4, &a->what))
				return -EINVAL;
			break;
		case OPT_EVENTS:
			a->events = true;
			break;
		case OPT_ALL_WAITS:
			a->all_waits = true;
			break;
		case OPT_SORT:
			if (!report__sort_valid(optarg)) {
				fprintf(stderr, "maptrace: --sort takes a column: %s; not '%s'\n",
					report__sort_keys(), optarg);
				return -EINVAL;
			}
			a->sort = optarg;
			break;
		case OPT_MAP:
		case OPT_LOCK:
			if (check_filter(c == OPT_MAP ? "--map" : "--lock", optarg))
				return -EINVAL;
			*(c == OPT_MAP ? &a->map_filter : &a->lock_filter) = optarg;
			break;
		case 'q':
			a->quiet = true;
			break;
		case OPT_TOP:
			if (parse_int("--top", optarg, 0, 100000, &v))
				return -EINVAL;
			a->top = (int)v;
			break;
		case OPT_NO_STACKS:
			a->stacks = false;
			break;
		case OPT_STACK:
			if (parse_choice("--stack", optarg, stack_modes, 3, &i))
				return -EINVAL;
			a->stack_dwarf = i != 0;
			a->stack_auto = i == 2;
			break;
		case OPT_STACK_SIZE:
			if (parse_int("--stack-size", optarg, 512, 16384, &v))
				return -EINVAL;
			if (v % 512) {
				fprintf(stderr, "maptrace: --stack-size must be a multiple of 512, "
						"not %lld\n",
					v);
				return -EINVAL;
			}
			a->stack_size = (__u32)v;
			break;
		case OPT_NO_FUTEX:
			a->futex = false;
			break;
		case OPT_FUTEX_TP:
			a->futex_tp = true;
			break;
		case OPT_RINGBUF:
			if (parse_int("--ringbuf-mb", optarg, 1, 1024, &v))
				return -EINVAL;
			if (v & (v - 1)) {
				fprintf(stderr, "maptrace: --ringbuf-mb must be a power of two, not %lld\n",
					v);
				return -EINVAL;
			}
			a->ringbuf_mb = (__u32)v;
			break;
		case OPT_MAX_MAPS:
			if (parse_int("--max-maps", optarg, 16, 4194304, &v))
				return -EINVAL;
			a->max_maps = (__u32)v;
			break;
		case 'v':
			a->verbose = true;
			break;
		case 'h':
			a->help = true;
			a->report_help = report_mode;
			return 0;
		case 'V':
			a->version = true;
			return 0;
		default:
			if (optopt >= 256 || (optopt && strchr("pdof", optopt)))
				fprintf(stderr, "maptrace: %s needs a value; see maptrace --help\n",
					argv[optind - 1]);
			else
				fprintf(stderr, "maptrace: unknown option '%s'; see maptrace --help\n",
					argv[optind - 1]);
			return -EINVAL;
		}
	}
	a->json = !strcmp(a->format, "json");
	if ((a->what == REPORT_WHAT_GROWS && a->weight == REPORT_WEIGHT_WAIT_NS) ||
	    (a->what == REPORT_WHAT_LOCKS && a->weight == REPORT_WEIGHT_REHASH_NS) ||
	    (a->what == REPORT_WHAT_HOLDERS && a->weight != REPORT_WEIGHT_DEFAULT &&
	     a->weight != REPORT_WEIGHT_COUNT)) {
		fprintf(stderr, "maptrace: --weight %s does not apply to --what %s\n",
			weights[a->weight], whats[a->what]);
		return -EINVAL;
	}
	if (report_mode) {
		if (optind >= argc) {
			fprintf(stderr, "maptrace: report needs a trace file: maptrace report FILE\n");
			return -EINVAL;
		}
		a->report_file = argv[optind++];
		if (optind < argc) {
			fprintf(stderr, "maptrace: unexpected argument '%s'; see maptrace --help\n",
				argv[optind]);
			return -EINVAL;
		}
		if (a->pid || a->comm || a->exe || a->output || a->listen || a->list ||
		    a->nprobes || a->max_size) {
			fprintf(stderr, "maptrace: report reads a trace file; -p and -o are for "
					"tracing a live process\n");
			return -EINVAL;
		}
		return 0;
	}
	/* getopt stops after "--" (which it takes) or at the first operand: INTERVAL, or "--" */
	if (optind > 1 && !strcmp(argv[optind - 1], "--"))
		a->command = argv + optind;
	if (!a->command && optind < argc && strcmp(argv[optind], "--") &&
	    parse_seconds("INTERVAL", argv[optind++], 0.1, 3600, &a->interval_ms))
		return -EINVAL;
	if (!a->command && optind < argc && strcmp(argv[optind], "--")) {
		if (parse_int("COUNT", argv[optind++], 1, LLONG_MAX, &v))
			return -EINVAL;
		a->count = (__u64)v;
	}
	if (!a->command && optind < argc && !strcmp(argv[optind], "--"))
		a->command = argv + optind + 1;
	if (a->command && !a->command[0]) {
		fprintf(stderr, "maptrace: -- needs a command to run after it, e.g. maptrace -- "
				"./app ARGS\n");
		return -EINVAL;
	}
	if (a->command && (a->pid || a->comm || a->exe)) {
		fprintf(stderr, "maptrace: %s traces a running process and -- CMD one maptrace runs: "
				"give one of them\n",
			a->pid ? "-p PID" : a->comm ? "--comm" : "--exe");
		return -EINVAL;
	}
	if (!a->command && optind < argc) {
		fprintf(stderr, "maptrace: unexpected argument '%s'; see maptrace --help\n",
			argv[optind]);
		return -EINVAL;
	}
	if (!!a->pid + !!a->comm + !!a->exe + !!a->command != 1) {
		fprintf(stderr, "maptrace: %s: give the process to trace with one of -p PID, "
				"--comm NAME, --exe PATH or -- CMD [ARGS...]\n",
			a->pid || a->comm || a->exe ? "more than one target" : "no target");
		return -EINVAL;
	}
	if (a->max_size && !a->output) {
		fprintf(stderr, "maptrace: --max-size limits the trace file: give -o FILE too\n");
		return -EINVAL;
	}
	if (a->output && !a->pid && !a->command) {
		fprintf(stderr, "maptrace: -o records one process: use it with -p PID or -- CMD, "
				"not --comm or --exe\n");
		return -EINVAL;
	}
	return 0;
}
