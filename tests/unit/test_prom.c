// SPDX-License-Identifier: MIT
/*
 * Unit test of user/prom.c, prom_text.c and prom_http.c, no root needed: the exposition of
 * hand-built reports (exact lines, bucket placement, cumulative buckets, +Inf == _count, _sum
 * in seconds, escaping, top-N folding into "other" with exact totals, monotonic counters when
 * the top N changes, restarts under a new pid), `promtool check metrics` on it when promtool
 * is installed, and the /metrics server on loopback (headers, 404/405/400/431/503, idle and
 * half-open clients, a full connection table, 50 concurrent clients x 100 requests, bad
 * addresses, a port in use).
 * Prints one "ok - ..." or "not ok - ..." line per check and exits non-zero on any failure.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>

#include "prom.h"
#include "prom_http.h"
#include "../tap.h"

#define MS 1000000ULL
#define US 1000ULL


static void skip(const char *what, const char *why)
{
	printf("ok - %s # SKIP %s\n", what, why);
	fflush(stdout);
}

static __u64 now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000 + (__u64)ts.tv_nsec / 1000000;
}

/* ---- hand-built reports ------------------------------------------------------------------- */

static struct report *report_new(int pid, const char *comm, int nmaps, int nlocks)
{
	struct report *r = calloc(1, sizeof(*r));

	r->info.pid = pid;
	snprintf(r->info.comm, sizeof(r->info.comm), "%s", comm);
	r->maps = calloc(nmaps + 1, sizeof(*r->maps));
	r->locks = calloc(nlocks + 1, sizeof(*r->locks));
	r->nmaps = nmaps;
	r->nlocks = nlocks;
	return r;
}

static void report_del(struct report *r)
{
	free(r->maps);
	free(r->locks);
	free(r);
}

static void add_waits(struct lock_report *l, int n, __u64 ns)
{
	for (int i = 0; i < n; i++)
		hist__add(&l->hist, ns);
	l->contentions += n;
	l->wait_ns += n * ns;
}

static void add_grows(struct map_report *m, int n, __u64 ns)
{
	for (int i = 0; i < n; i++)
		hist__add(&m->grow_hist, ns);
	m->grows += n;
	m->grow_ns_total += n * ns;
}

static char *format(const struct report *r, int top, bool detached)
{
	struct prom_opts o = { .top = top, .detached = detached };
	char *buf = NULL;
	size_t len = 0;
	int err = prom__format(r, &o, &buf, &len);

	if (err || !buf || strlen(buf) != len) {
		check(false, "prom__format() returns 0 and a string of its length (%d)", err);
		exit(1);
	}
	return buf;
}

static char *state_format(const struct prom_state *st)
{
	char *buf = NULL;
	size_t len = 0;

	if (prom_state__format(st, &buf, &len) || !buf) {
		check(false, "prom_state__format() returns 0");
		exit(1);
	}
	return buf;
}

static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = text; (p = strstr(p, line)); p++) {
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return true;
	}
	return false;
}

/*
 * The value of the sample whose line starts with @prefix ("name{labels}" up to the space),
 * as a double; -1 when there is no such line.
 */
static double value_of(const char *text, const char *prefix)
{
	size_t n = strlen(prefix);

	for (const char *p = text; (p = strstr(p, prefix)); p++) {
		if ((p == text || p[-1] == '\n') && p[n] == ' ')
			return strtod(p + n + 1, NULL);
	}
	return -1;
}

/* How many lines start with @prefix. */
static int count_lines(const char *text, const char *prefix)
{
	int n = 0;

	for (const char *p = text; (p = strstr(p, prefix)); p++) {
		if (p == text || p[-1] == '\n')
			n++;
	}
	return n;
}

/* Sum of the values of every sample of metric @name (any labels). */
static double sum_of(const char *text, const char *name)
{
	char prefix[128];
	double sum = 0;

	snprintf(prefix, sizeof(prefix), "%s{", name);
	for (const char *p = text; (p = strstr(p, prefix)); p++) {
		if (p != text && p[-1] != '\n')
			continue;
		sum += strtod(strchr(p, ' ') + 1, NULL);
	}
	return sum;
}

/*
 * Structural checks over a whole exposition: HELP and TYPE once per family and right before
 * its samples, every sample inside its family's block, and per histogram series: le bounds
 * ascending, cumulative counts non-decreasing, +Inf last and equal to _count.  Returns a
 * description of the first problem, NULL when there is none.
 */
static const char *lint(const char *text, char *why, size_t size)
{
	char family[128] = "", type[32] = "", seen[64][128], series[1024] = "";
	double last_le = -1, last_cum = -1, inf = -1;
	int nseen = 0, line_no = 0;
	const char *p = text;

	while (*p) {
		const char *eol = strchr(p, '\n');
		char line[4096], name[128];
		size_t n;

		if (!eol)
			return "the last line has no newline";
		n = eol - p;
		if (n >= sizeof(line))
			return "a line over 4 KiB";
		memcpy(line, p, n);
		line[n] = '\0';
		p = eol + 1;
		line_no++;
		if (!strncmp(line, "# HELP ", 7)) {
			sscanf(line + 7, "%127s", name);
			for (int i = 0; i < nseen; i++) {
				if (!strcmp(seen[i], name)) {
					snprintf(why, size, "line %d: family %s repeated", line_no,
						 name);
					return why;
				}
			}
			snprintf(seen[nseen++ % 64], sizeof(seen[0]), "%s", name);
			snprintf(family, sizeof(family), "%s", name);
			continue;
		}
		if (!strncmp(line, "# TYPE ", 7)) {
			if (sscanf(line + 7, "%127s %31s", name, type) != 2 ||
			    strcmp(name, family)) {
				snprintf(why, size, "line %d: TYPE not right after its HELP",
					 line_no);
				return why;
			}
			continue;
		}
		if (line[0] == '#')
			continue;
		if (strncmp(line, family, strlen(family))) {
			snprintf(why, size, "line %d: sample outside its family %.100s: %.200s",
				 line_no, family, line);
			return why;
		}
		if (!strcmp(type, "histogram")) {
			const char *rest = line + strlen(family);
			char *le = strstr(line, ",le=\""), key[1024];
			double v = strtod(strrchr(line, ' ') + 1, NULL);

			if (!strncmp(rest, "_bucket{", 8) && le) {
				snprintf(key, sizeof(key), "%.*s", (int)(le - line), line);
				if (strcmp(key, series)) {
					if (series[0] && inf < 0) {
						snprintf(why, size,
							 "line %d: a series ended without +Inf",
							 line_no);
						return why;
					}
					snprintf(series, sizeof(series), "%s", key);
					last_le = -1;
					last_cum = -1;
					inf = -1;
				}
				if (inf >= 0) {
					snprintf(why, size, "line %d: a bucket after +Inf",
						 line_no);
					return why;
				}
				if (!strncmp(le + 5, "+Inf\"", 5)) {
					inf = v;
				} else {
					double b = strtod(le + 5, NULL);

					if (b <= last_le) {
						snprintf(why, size, "line %d: le not ascending",
							 line_no);
						return why;
					}
					last_le = b;
				}
				if (v < last_cum) {
					snprintf(why, size, "line %d: buckets not cumulative",
						 line_no);
					return why;
				}
				last_cum = v;
			} else if (!strncmp(rest, "_count{", 7)) {
				if (strncmp(rest + 7, series + strlen(family) + 8,
					    strlen(series) - strlen(family) - 8) ||
				    v != inf) {
					snprintf(why, size, "line %d: _count %g is not +Inf %g",
						 line_no, v, inf);
					return why;
				}
			} else if (strncmp(rest, "_sum{", 5)) {
				snprintf(why, size, "line %d: not a histogram sample", line_no);
				return why;
			}
		}
	}
	return NULL;
}

static void check_lint(const char *text, const char *what)
{
	char why[512];
	const char *err = lint(text, why, sizeof(why));

	check(!err, "%s: well formed (families once, buckets cumulative, +Inf == _count)%s%s", what,
	      err ? ": " : "", err ?: "");
}

/* Run `promtool check metrics` on @text; the check is skipped when promtool is missing. */
static void check_promtool(const char *text, const char *what)
{
	char path[] = "/tmp/test_prom.XXXXXX", cmd[256], out[4096] = "";
	FILE *f, *p;
	size_t n;
	int fd, rc;

	if (system("command -v promtool >/dev/null 2>&1")) {
		skip(what, "promtool not installed (Debian package prometheus)");
		return;
	}
	fd = mkstemp(path);
	f = fdopen(fd, "w");
	fputs(text, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "promtool check metrics < %s 2>&1", path);
	p = popen(cmd, "r");
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	rc = pclose(p);
	unlink(path);
	check(rc == 0 && !out[0], "%s: promtool check metrics accepts it%s%s", what,
	      out[0] ? ": " : "", out);
}

/* ---- the exposition ------------------------------------------------------------------------ */

#define PID    4242
#define LOCK_A 0x7f00000010ULL
#define MAP_A  0x55d000001000ULL

static const char *base = "pid=\"4242\",comm=\"svc\"";

static void test_lock_histogram(void)
{
	struct report *r = report_new(PID, "svc", 0, 1);
	struct lock_report *l = &r->locks[0];
	char *t, want[1024], prefix[400];

	l->addr = LOCK_A;
	l->kind = MT_LOCK_MUTEX;
	l->map = MAP_A;
	add_waits(l, 10, 20 * MS);
	add_waits(l, 5, 1 * MS);
	add_waits(l, 1, 2500 * MS);	    /* 2.5 s */
	add_waits(l, 1, 30ULL * 1000 * MS); /* 30 s: past the last bound */
	t = format(r, 0, false);

	snprintf(prefix, sizeof(prefix),
		 "maptrace_lock_wait_seconds_bucket{%s,lock=\"0x7f00000010\",kind=\"mutex\","
		 "map=\"0x55d000001000\"",
		 base);
	/* 1 ms: above 1.5 * 2^19 ns (786 us), below 2^20 ns (1.048 ms) */
	snprintf(want, sizeof(want), "%s,le=\"0.000786432\"} 0", prefix);
	check(has_line(t, want), "1 ms waits are not below le=0.000786432");
	snprintf(want, sizeof(want), "%s,le=\"0.001048576\"} 5", prefix);
	check(has_line(t, want), "1 ms waits land in le=0.001048576 (2^20 ns)");
	/* 20 ms: above 2^24 ns (16.8 ms), below 1.5 * 2^24 ns (25.2 ms) */
	snprintf(want, sizeof(want), "%s,le=\"0.016777216\"} 5", prefix);
	check(has_line(t, want), "20 ms waits are not below le=0.016777216 (2^24 ns)");
	snprintf(want, sizeof(want), "%s,le=\"0.025165824\"} 15", prefix);
	check(has_line(t, want), "20 ms waits land in le=0.025165824 (1.5 * 2^24 ns)");
	snprintf(want, sizeof(want), "%s,le=\"2.147483648\"} 15", prefix);
	check(has_line(t, want), "2.5 s is not below le=2.147483648");
	snprintf(want, sizeof(want), "%s,le=\"3.221225472\"} 16", prefix);
	check(has_line(t, want), "2.5 s lands in le=3.221225472");
	snprintf(want, sizeof(want), "%s,le=\"17.179869184\"} 16", prefix);
	check(has_line(t, want), "the last bound is 2^34 ns (17.18 s) and 30 s is above it");
	snprintf(want, sizeof(want), "%s,le=\"+Inf\"} 17", prefix);
	check(has_line(t, want), "+Inf counts every wait (17)");
	snprintf(want, sizeof(want), "%s,le=\"0.000001024\"} 0", prefix);
	check(has_line(t, want), "the first bound is 2^10 ns (1.024 us)");
	check(count_lines(t, prefix) == 50, "49 bounds and +Inf per lock (%d lines)",
	      count_lines(t, prefix));
	snprintf(want, sizeof(want),
		 "maptrace_lock_wait_seconds_sum{%s,lock=\"0x7f00000010\",kind=\"mutex\","
		 "map=\"0x55d000001000\"} 32.705",
		 base);
	check(has_line(t, want), "_sum in seconds, exact: 10 x 0.02 + 5 x 0.001 + 2.5 + 30");
	snprintf(want, sizeof(want),
		 "maptrace_lock_wait_seconds_count{%s,lock=\"0x7f00000010\",kind=\"mutex\","
		 "map=\"0x55d000001000\"} 17",
		 base);
	check(has_line(t, want), "_count is 17");
	check(has_line(t, "# TYPE maptrace_lock_wait_seconds histogram"), "TYPE histogram");
	check(has_line(t, "maptrace_attached{pid=\"4242\",comm=\"svc\"} 1"), "attached 1");
	check(!strstr(t, "map=\"other\"") && !strstr(t, "lock=\"other\""),
	      "no \"other\" series when nothing is folded");
	check_lint(t, "one lock");
	check_promtool(t, "one lock");
	free(t);

	/* a lock whose map is unknown, and a detached target */
	l->map = 0;
	l->kind = MT_LOCK_FUTEX;
	t = format(r, 0, true);
	check(strstr(t, "lock=\"0x7f00000010\",kind=\"futex\",map=\"\",le=\"+Inf\"} 17") != NULL,
	      "unknown map: map=\"\"");
	check(has_line(t, "maptrace_attached{pid=\"4242\",comm=\"svc\"} 0"),
	      "detached: attached 0");
	free(t);
	report_del(r);
}

static void test_maps(void)
{
	struct report *r = report_new(PID, "svc", 2, 0);
	struct map_report *m = &r->maps[0];
	char *t, want[1024], labels[400];

	m->addr = MAP_A;
	m->library = "cmap";
	m->created_at = "load_orders (orders.c:88)";
	m->inserts = 100000;
	m->evacuated = 16383;
	m->buckets = 16384;
	m->count = 100000;
	add_grows(m, 10, 200 * US);
	add_grows(m, 4, 3 * MS);
	r->maps[1] = (struct map_report){
		.addr = 0x1234, .library = "cmap", .created_at = "", .inserts = 7, .buckets = 1,
		.count = -1,
	};
	t = format(r, 0, false);
	snprintf(labels, sizeof(labels),
		 "%s,map=\"0x55d000001000\",library=\"cmap\",created_at=\"load_orders "
		 "(orders.c:88)\"",
		 base);
	snprintf(want, sizeof(want), "maptrace_map_grows_total{%s} 14", labels);
	check(has_line(t, want), "grows_total 14 with pid, comm, map, library, created_at");
	snprintf(want, sizeof(want), "maptrace_map_inserts_total{%s} 100000", labels);
	check(has_line(t, want), "inserts_total");
	snprintf(want, sizeof(want), "maptrace_map_evacuated_buckets_total{%s} 16383", labels);
	check(has_line(t, want), "evacuated_buckets_total");
	snprintf(want, sizeof(want), "maptrace_map_buckets{%s} 16384", labels);
	check(has_line(t, want), "buckets gauge");
	snprintf(want, sizeof(want), "maptrace_map_entries{%s} 100000", labels);
	check(has_line(t, want), "entries gauge");
	check(!strstr(t, "maptrace_map_entries{pid=\"4242\",comm=\"svc\",map=\"0x1234\""),
	      "no entries gauge for a map whose count is unknown");
	check(strstr(t, "maptrace_map_buckets{pid=\"4242\",comm=\"svc\",map=\"0x1234\"") != NULL,
	      "but its buckets gauge is there");
	/* 200 us: above 1.5 * 2^17 ns (196.6 us), below 2^18 ns (262.1 us) */
	snprintf(want, sizeof(want), "maptrace_rehash_seconds_bucket{%s,le=\"0.000196608\"} 0",
		 labels);
	check(has_line(t, want), "rehash: 200 us is not below le=0.000196608");
	snprintf(want, sizeof(want), "maptrace_rehash_seconds_bucket{%s,le=\"0.000262144\"} 10",
		 labels);
	check(has_line(t, want), "rehash: 200 us lands in le=0.000262144");
	snprintf(want, sizeof(want), "maptrace_rehash_seconds_bucket{%s,le=\"0.000000128\"} 0",
		 labels);
	check(has_line(t, want), "rehash: the first bound is 2^7 ns (128 ns)");
	snprintf(want, sizeof(want), "maptrace_rehash_seconds_sum{%s} 0.014", labels);
	check(has_line(t, want), "rehash _sum 10 x 200 us + 4 x 3 ms = 0.014 s");
	snprintf(want, sizeof(want), "maptrace_rehash_seconds_count{%s} 14", labels);
	check(has_line(t, want), "rehash _count 14");
	check(count_lines(t, "# TYPE ") == 9, "nine families (%d)", count_lines(t, "# TYPE "));
	check(count_lines(t, "# HELP ") == 9, "each with its HELP");
	check(has_line(t, "maptrace_dropped_records_total{pid=\"4242\",comm=\"svc\","
			  "reason=\"ringbuf\"} 0"),
	      "dropped_records_total by reason");
	check_lint(t, "maps");
	check_promtool(t, "maps");
	free(t);
	report_del(r);
}

static void test_escaping(void)
{
	struct report *r = report_new(PID,
				      "a\"b\\c\nd\xff"
				      "e",
				      1, 0);
	char *t;

	r->maps[0] = (struct map_report){
		.addr = 1, .library = "cmap", .count = -1,
		.created_at = "f \"q\" (x\\y.c:1)\nnext \xc3\xa9",
	};
	t = format(r, 0, false);
	check(has_line(t, "maptrace_attached{pid=\"4242\",comm=\"a\\\"b\\\\c\\nd\xef\xbf\xbd"
			  "e\"} 1"),
	      "comm escaped: quote, backslash, newline; invalid UTF-8 becomes U+FFFD");
	check(strstr(t, "created_at=\"f \\\"q\\\" (x\\\\y.c:1)\\nnext \xc3\xa9\"") != NULL,
	      "created_at escaped, valid UTF-8 kept");
	check_lint(t, "escaping");
	check_promtool(t, "escaping");
	free(t);
	report_del(r);
}

static void test_top_n(void)
{
	struct report *r = report_new(PID, "svc", 5, 6);
	double count, sum;
	char *t;

	/* rows arrive sorted by cost: the first ones are the costliest */
	for (int i = 0; i < 6; i++) {
		r->locks[i].addr = 0x100 + i;
		r->locks[i].kind = MT_LOCK_MUTEX;
		add_waits(&r->locks[i], 60 - 10 * i, (__u64)(i + 1) * MS);
	}
	for (int i = 0; i < 5; i++) {
		r->maps[i] = (struct map_report){
			.addr = 0x1000 + i, .library = "cmap", .created_at = "",
			.inserts = 1000 * (i + 1), .evacuated = 10 * (i + 1), .buckets = 8 << i,
			.count = 100 + i,
		};
		add_grows(&r->maps[i], 5 - i, 100 * US);
	}
	t = format(r, 2, false);
	check(count_lines(t, "maptrace_lock_wait_seconds_count{") == 3,
	      "top 2: two locks of their own and \"other\" (%d series)",
	      count_lines(t, "maptrace_lock_wait_seconds_count{"));
	check(value_of(t, "maptrace_lock_wait_seconds_count{pid=\"4242\",comm=\"svc\","
			  "lock=\"0x101\",kind=\"mutex\",map=\"\"}") == 50,
	      "the second costliest lock keeps its series");
	check(value_of(t, "maptrace_lock_wait_seconds_count{pid=\"4242\",comm=\"svc\","
			  "lock=\"0x102\",kind=\"mutex\",map=\"\"}") < 0,
	      "the third is folded");
	count = value_of(t, "maptrace_lock_wait_seconds_count{pid=\"4242\",comm=\"svc\","
			    "lock=\"other\",kind=\"\",map=\"\"}");
	check(count == 40 + 30 + 20 + 10, "lock=\"other\" counts the other 4 locks' waits (%g)",
	      count);
	check(sum_of(t, "maptrace_lock_wait_seconds_count") == 210,
	      "waits over all series: 210, as in the report");
	sum = sum_of(t, "maptrace_lock_wait_seconds_sum");
	check(sum > 0.55999 && sum < 0.56001,
	      "wait seconds over all series: 0.56, as in the report (%g)", sum);
	/* 3 ms (lock 2) and 4 ms (lock 3) fall in le=0.003145728 and le=0.004194304 */
	check(value_of(t, "maptrace_lock_wait_seconds_bucket{pid=\"4242\",comm=\"svc\","
			  "lock=\"other\",kind=\"\",map=\"\",le=\"0.003145728\"}") == 40,
	      "\"other\" adds histograms bucket by bucket (3 ms: 40)");
	check(value_of(t, "maptrace_lock_wait_seconds_bucket{pid=\"4242\",comm=\"svc\","
			  "lock=\"other\",kind=\"\",map=\"\",le=\"0.004194304\"}") == 70,
	      "\"other\" adds histograms bucket by bucket (4 ms: 40 + 30)");
	check(value_of(t, "maptrace_map_grows_total{pid=\"4242\",comm=\"svc\",map=\"other\","
			  "library=\"\",created_at=\"\"}") == 3 + 2 + 1,
	      "map=\"other\" sums the grows of the folded maps");
	check(sum_of(t, "maptrace_map_grows_total") == 15 &&
		      sum_of(t, "maptrace_map_inserts_total") == 15000 &&
		      sum_of(t, "maptrace_map_evacuated_buckets_total") == 150,
	      "map counters over all series equal the report's totals");
	check(value_of(t, "maptrace_map_entries{pid=\"4242\",comm=\"svc\",map=\"other\","
			  "library=\"\",created_at=\"\"}") == 102 + 103 + 104,
	      "map=\"other\" entries gauge sums the folded maps");
	check(sum_of(t, "maptrace_rehash_seconds_count") == 15, "rehash counts add up");
	check_lint(t, "top 2");
	check_promtool(t, "top 2");
	free(t);
	report_del(r);
}

/*
 * Counters never go down between updates, also when the top N changes, and a restart is a
 * new pid: the old pid's series stay frozen (attached 0) until the new pid is attached.
 */
static void test_state(void)
{
	struct prom_opts o = { .top = 1 };
	struct prom_state *st = prom_state__new(&o);
	struct report *r = report_new(PID, "svc", 0, 2);
	char *t1, *t2, *t3, *t4, *t5;
	const char *a = "maptrace_lock_wait_seconds_count{pid=\"4242\",comm=\"svc\","
			"lock=\"0xa\",kind=\"mutex\",map=\"\"}",
		   *b = "maptrace_lock_wait_seconds_count{pid=\"4242\",comm=\"svc\","
			"lock=\"0xb\",kind=\"mutex\",map=\"\"}",
		   *other = "maptrace_lock_wait_seconds_count{pid=\"4242\",comm=\"svc\","
			    "lock=\"other\",kind=\"\",map=\"\"}";

	t1 = state_format(st);
	check(!strchr(t1, '{'), "no process yet: HELP and TYPE lines only");
	check_promtool(t1, "empty");
	r->locks[0] = (struct lock_report){ .addr = 0xa, .kind = MT_LOCK_MUTEX };
	r->locks[1] = (struct lock_report){ .addr = 0xb, .kind = MT_LOCK_MUTEX };
	add_waits(&r->locks[0], 10, MS);
	add_waits(&r->locks[1], 5, MS);
	check(!prom_state__update(st, r, true), "update 1");
	t2 = state_format(st);
	check(value_of(t2, a) == 10 && value_of(t2, other) == 5,
	      "update 1: A (10 waits) on its own, B (5) in other");
	/* B overtakes A: the report now lists B first */
	add_waits(&r->locks[1], 20, MS);
	add_waits(&r->locks[0], 1, MS);
	{
		struct lock_report tmp = r->locks[0];

		r->locks[0] = r->locks[1];
		r->locks[1] = tmp;
	}
	check(!prom_state__update(st, r, true), "update 2");
	t3 = state_format(st);
	check(value_of(t3, b) == 0,
	      "update 2: B enters the top: its series starts at 0 (%g), its gain went to other",
	      value_of(t3, b));
	check(value_of(t3, other) == 5 + 20 + 1, "update 2: other grows by B's 20 and A's 1 (%g)",
	      value_of(t3, other));
	check(value_of(t3, a) < 0, "update 2: A left the top: its series is gone");
	check(value_of(t3, a) < 0 && value_of(t3, other) + value_of(t2, a) == 36,
	      "update 2: other plus A's last value add up to the 36 waits of the report");
	/* A back on top: its series resumes where it stopped */
	add_waits(&r->locks[1], 100, MS);
	add_waits(&r->locks[0], 1, MS);
	{
		struct lock_report tmp = r->locks[0];

		r->locks[0] = r->locks[1];
		r->locks[1] = tmp;
	}
	check(!prom_state__update(st, r, true), "update 3");
	t4 = state_format(st);
	check(value_of(t4, a) == 10, "update 3: A re-enters the top at its last value 10 (%g)",
	      value_of(t4, a));
	check(value_of(t4, other) == 26 + 100 + 1,
	      "update 3: other grows by A's 100 and B's 1 (%g)", value_of(t4, other));
	add_waits(&r->locks[0], 7, MS);
	add_waits(&r->locks[1], 2, MS);
	check(!prom_state__update(st, r, true), "update 4");
	free(t4);
	t4 = state_format(st);
	check(value_of(t4, a) == 17 && value_of(t4, other) == 129,
	      "update 4: A counts its own increase again (%g), other B's (%g)", value_of(t4, a),
	      value_of(t4, other));
	check(value_of(t3, other) <= value_of(t4, other) &&
		      value_of(t2, other) <= value_of(t3, other),
	      "other never went down");
	check_lint(t4, "state");

	/* the target exits: frozen values, attached 0 */
	check(!prom_state__update(st, r, false), "update: the target is gone");
	free(t1);
	t1 = state_format(st);
	check(has_line(t1, "maptrace_attached{pid=\"4242\",comm=\"svc\"} 0") &&
		      value_of(t1, a) == 17,
	      "gone: attached 0, its series stay with their last values");
	/* it restarts as pid 4343 */
	{
		struct report *r2 = report_new(4343, "svc", 0, 1);

		r2->locks[0] = (struct lock_report){ .addr = 0xa, .kind = MT_LOCK_MUTEX };
		add_waits(&r2->locks[0], 3, MS);
		check(!prom_state__update(st, r2, true), "update: new pid 4343");
		report_del(r2);
	}
	t5 = state_format(st);
	check(has_line(t5, "maptrace_attached{pid=\"4343\",comm=\"svc\"} 1") &&
		      !strstr(t5, "pid=\"4242\""),
	      "restart: the new pid's series appear, the old pid's are dropped");
	check(value_of(t5, "maptrace_lock_wait_seconds_count{pid=\"4343\",comm=\"svc\","
			   "lock=\"0xa\",kind=\"mutex\",map=\"\"}") == 3,
	      "restart: the new pid counts from its own start");
	check_promtool(t5, "restart");

	/* two attached processes: both kept, families not repeated */
	{
		struct report *r3 = report_new(4444, "other\"proc", 0, 1);

		r3->locks[0] = (struct lock_report){ .addr = 0xa, .kind = MT_LOCK_RWLOCK };
		add_waits(&r3->locks[0], 1, MS);
		prom_state__update(st, r3, true);
		report_del(r3);
	}
	free(t5);
	t5 = state_format(st);
	check(strstr(t5, "pid=\"4343\"") && strstr(t5, "pid=\"4444\""),
	      "two attached processes are both exposed");
	check_lint(t5, "two processes");
	check_promtool(t5, "two processes");
	free(t1);
	free(t2);
	free(t3);
	free(t4);
	free(t5);
	report_del(r);
	prom_state__free(st);
}

/* Many rows and a top limit: the exposition stays bounded. */
/*
 * Rows of folded maps or futex words have no address (0): each keeps series of its own, keyed
 * by its fold number, even when two sites read alike.
 */
static void test_folded(void)
{
	struct prom_opts o = { .top = 10 };
	struct prom_state *st = prom_state__new(&o);
	struct report *r = report_new(PID, "svc", 2, 2);
	char *t;

	for (int i = 0; i < 2; i++) {
		r->maps[i] = (struct map_report){ .library = "cmap", .created_at = "main (c.c:1)",
						  .count = -1, .folded = 1000 * (i + 1),
						  .fold_id = (__u32)i + 1 };
		add_grows(&r->maps[i], 2 * (i + 1), 2 * US);
		r->locks[i] = (struct lock_report){ .kind = MT_LOCK_MUTEX, .folded = 500,
						    .fold_id = (__u32)i + 1 };
		add_waits(&r->locks[i], 3 * (i + 1), MS);
	}
	check(!prom_state__update(st, r, true), "update with folded rows");
	t = state_format(st);
	check(count_lines(t, "maptrace_map_grows_total{") == 2,
	      "two folded map rows from alike sites: two grows series (%d)",
	      count_lines(t, "maptrace_map_grows_total{"));
	check(strstr(t, "} 2\n") && strstr(t, "} 4\n"), "each with its own grows (2 and 4)");
	check(count_lines(t, "maptrace_lock_wait_seconds_count{") == 2,
	      "two folded lock rows: two wait series (%d)",
	      count_lines(t, "maptrace_lock_wait_seconds_count{"));
	check_promtool(t, "folded");
	free(t);
	for (int i = 0; i < 2; i++) {
		hist__free(&r->maps[i].grow_hist);
		hist__free(&r->locks[i].hist);
	}
	report_del(r);
	prom_state__free(st);
}

static void test_cardinality(void)
{
	struct report *r = report_new(PID, "svc", 1000, 1000);
	char *t;

	for (int i = 0; i < 1000; i++) {
		r->maps[i] = (struct map_report){
			.addr = 0x10000 + i, .library = "cmap", .created_at = "", .count = -1,
			.grows = 1,
		};
		r->locks[i].addr = 0x20000 + i;
		add_waits(&r->locks[i], 1, 5 * MS);
	}
	t = format(r, 0, false);
	check(count_lines(t, "maptrace_lock_wait_seconds_count{") == PROM_DEFAULT_TOP + 1,
	      "1000 locks, default top: %d lock series plus other", PROM_DEFAULT_TOP);
	check(count_lines(t, "maptrace_map_grows_total{") == PROM_DEFAULT_TOP + 1 &&
		      sum_of(t, "maptrace_map_grows_total") == 1000,
	      "1000 maps: %d map series plus other, grows add up to 1000", PROM_DEFAULT_TOP);
	check(strlen(t) < 512 * 1024, "exposition size bounded (%zu bytes)", strlen(t));
	free(t);
	report_del(r);
}

/* ---- the server ---------------------------------------------------------------------------- */

static int port;

static int connect_to(int p)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(p) };
	struct timeval tv = { .tv_sec = 10 };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Send @req whole, read the response to EOF.  Return: a malloc()ed string, NULL on error. */
static char *http(const char *req, size_t reqlen)
{
	size_t cap = 1 << 16, len = 0, off = 0;
	char *buf = malloc(cap);
	int fd = connect_to(port);
	ssize_t n;

	if (fd < 0) {
		free(buf);
		return NULL;
	}
	while (off < reqlen) {
		n = send(fd, req + off, reqlen - off, MSG_NOSIGNAL);
		if (n <= 0)
			break;
		off += n;
	}
	for (;;) {
		if (len + 1 >= cap)
			buf = realloc(buf, cap *= 2);
		n = recv(fd, buf + len, cap - len - 1, 0);
		if (n <= 0)
			break;
		len += n;
	}
	close(fd);
	if (n < 0) {
		free(buf);
		return NULL;
	}
	buf[len] = '\0';
	return buf;
}

static char *get(const char *req)
{
	return http(req, strlen(req));
}

/* Body of a response after the blank line; NULL when there is none. */
static const char *body_of(const char *resp)
{
	const char *p = resp ? strstr(resp, "\r\n\r\n") : NULL;

	return p ? p + 4 : NULL;
}

/* Line @p (@n bytes, without its CRLF) is a Date header in RFC 9110's IMF-fixdate form. */
static bool is_date(const char *p, size_t n)
{
	char line[64], wday[4], mon[4];
	int day, year, h, m, s, end = 0;

	if (n != strlen("Date: Sun, 06 Nov 1994 08:49:37 GMT"))
		return false;
	snprintf(line, sizeof(line), "%.*s", (int)n, p);
	return sscanf(line, "Date: %3[A-Za-z], %2d %3[A-Za-z] %4d %2d:%2d:%2d GMT%n", wday, &day,
		      mon, &year, &h, &m, &s, &end) == 7 &&
	       end == (int)n;
}

/*
 * The response is status 200 with exactly these headers, each once and in any order (RFC 9110
 * gives the order of different fields no meaning): Content-Type text/plain; version=0.0.4,
 * the Content-Length of @want, Connection: close, and the Date an origin server with a clock
 * must send; then the body @want and nothing else.
 */
static bool well_formed(const char *resp, const char *want)
{
	const char *status = "HTTP/1.1 200 OK\r\n", *end, *p;
	int type = 0, length = 0, conn_close = 0, date = 0;
	char len[64];

	if (!resp || strncmp(resp, status, strlen(status)))
		return false;
	end = strstr(resp, "\r\n\r\n");
	if (!end || strcmp(end + 4, want))
		return false;
	snprintf(len, sizeof(len), "Content-Length: %zu", strlen(want));
	for (p = resp + strlen(status); p < end + 2; p = strstr(p, "\r\n") + 2) {
		size_t n = strstr(p, "\r\n") - p;

		if (n == strlen(len) && !strncmp(p, len, n))
			length++;
		else if (!strncmp(p, "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n",
				  n + 2))
			type++;
		else if (!strncmp(p, "Connection: close\r\n", n + 2))
			conn_close++;
		else if (is_date(p, n))
			date++;
		else
			return false;
	}
	return type == 1 && length == 1 && conn_close == 1 && date == 1;
}

static bool status_is(const char *resp, const char *status)
{
	return resp && !strncmp(resp, status, strlen(status));
}

static const char *body1 = "# HELP x A test.\n# TYPE x gauge\nx 1\n";
static char *body2; /* a large one, published in turns with body1 */

struct load {
	int requests, good;
	bool stop;
};

static void *client(void *arg)
{
	struct load *l = arg;

	for (int i = 0; i < l->requests; i++) {
		char *r = get("GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n");

		if (well_formed(r, body1) || well_formed(r, body2))
			l->good++;
		else if (l->good == i)
			fprintf(stderr, "# bad response: %.200s\n", r ? r : "(none)");
		free(r);
	}
	return NULL;
}

static atomic_bool publishing;

static void *publisher(void *arg)
{
	struct prom_server *s = arg;

	for (int i = 0; publishing; i++) {
		const char *b = i % 2 ? body1 : body2;

		prom_server__publish(s, b, strlen(b));
		usleep(1000);
	}
	return NULL;
}

/* Capture what @fn prints on stderr while it runs. */
static int start_capturing(const char *addr, struct prom_server **s, char *msg, size_t size)
{
	FILE *tmp = tmpfile();
	int saved = dup(STDERR_FILENO), err;
	size_t n;

	fflush(stderr);
	dup2(fileno(tmp), STDERR_FILENO);
	err = prom_server__start(addr, s);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	rewind(tmp);
	n = fread(msg, 1, size - 1, tmp);
	msg[n] = '\0';
	fclose(tmp);
	return err;
}

static void test_server(void)
{
	struct prom_server *s = NULL, *s2 = NULL;
	int err, idle[80], nidle = 0;
	char *r, msg[512], addr[64], big[10000];
	__u64 t0, ms;

	err = prom_server__start("127.0.0.1:0", &s);
	check(!err && s, "server starts on 127.0.0.1:0 (%d)", err);
	if (err)
		return;
	port = prom_server__port(s);
	check(port > 0, "it picked port %d", port);

	r = get("GET /metrics HTTP/1.1\r\n\r\n");
	check(status_is(r, "HTTP/1.1 503 "), "before the first publish: 503");
	free(r);

	prom_server__publish(s, body1, strlen(body1));
	r = get("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: */*\r\n\r\n");
	check(well_formed(r, body1),
	      "GET /metrics: 200, Content-Type text/plain; version=0.0.4, Content-Length, "
	      "Connection: close, the published body");
	free(r);
	r = get("GET /metrics?name[]=x HTTP/1.0\n\n");
	check(well_formed(r, body1), "a query string and bare LF line ends are fine");
	free(r);
	r = get("HEAD /metrics HTTP/1.1\r\n\r\n");
	snprintf(msg, sizeof(msg), "\r\nContent-Length: %zu\r\n", strlen(body1));
	check(status_is(r, "HTTP/1.1 200 ") && body_of(r) && !*body_of(r) && strstr(r, msg),
	      "HEAD: headers only, with the body's length");
	free(r);
	r = get("GET /metricsx HTTP/1.1\r\n\r\n");
	check(status_is(r, "HTTP/1.1 404 "), "GET /metricsx: 404");
	free(r);
	r = get("GET / HTTP/1.1\r\n\r\n");
	check(status_is(r, "HTTP/1.1 404 ") && strstr(r, "Content-Length: "),
	      "GET /: 404 with a Content-Length");
	free(r);
	r = get("POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
	check(status_is(r, "HTTP/1.1 405 ") && strstr(r, "\r\nAllow: GET, HEAD\r\n"),
	      "POST: 405 with Allow: GET, HEAD");
	free(r);
	r = get("DELETE /metrics HTTP/1.1\r\n\r\n");
	check(status_is(r, "HTTP/1.1 405 "), "DELETE: 405");
	free(r);
	/* libmicrohttpd closes at once on a request line that is one word, without an answer */
	r = get("\x16\x03\x01\x02\x01\x01\xfc\x03\x03\r\n\r\n");
	check(r && !*r, "TLS-looking garbage of one word: closed without a response");
	free(r);
	r = get("\x16\x03\x01 /metrics HTTP/1.1\r\n\r\n");
	check(status_is(r, "HTTP/1.1 400 "), "TLS-looking garbage as the method: 400");
	free(r);
	r = get("GET /metrics\r\n\r\n");
	check(status_is(r, "HTTP/1.1 400 "), "no HTTP version: 400");
	free(r);
	r = get("GET /metrics HTTP/1.1\r\nno colon here\r\n\r\n");
	check(status_is(r, "HTTP/1.1 400 "), "a header line without a colon: 400");
	free(r);
	r = http("GET /metrics HTTP/1.1\r\nX\0Y: b\r\n\r\n", 33);
	check(status_is(r, "HTTP/1.1 400 "), "a NUL byte in a header name: 400");
	free(r);
	/* libmicrohttpd 0.9.75 ends the value at the NUL; no header matters to /metrics */
	r = http("GET /metrics HTTP/1.1\r\nX: a\0b\r\n\r\n", 33);
	check(status_is(r, "HTTP/1.1 400 ") || well_formed(r, body1),
	      "a NUL byte in a header value: 400, or the scrape as if the value ended there");
	free(r);
	memset(big, 'a', sizeof(big));
	memcpy(big, "GET /metrics HTTP/1.1\r\nX-Big: ", 30);
	memcpy(big + sizeof(big) - 5, "\r\n\r\n", 5);
	r = get(big);
	check(status_is(r, "HTTP/1.1 431 "), "headers over 8 KiB: 431");
	free(r);

	/* idle and half-open clients do not hold up a scrape */
	idle[nidle++] = connect_to(port);
	idle[nidle] = connect_to(port);
	send(idle[nidle++], "GET /met", 8, 0);
	t0 = now_ms();
	r = get("GET /metrics HTTP/1.1\r\n\r\n");
	ms = now_ms() - t0;
	check(well_formed(r, body1) && ms < 500,
	      "a scrape beside a silent and a half-sent client: served in %llu ms",
	      (unsigned long long)ms);
	free(r);
	/* more idle clients than the connection table holds: new scrapes still get through */
	while (nidle < 75)
		idle[nidle++] = connect_to(port);
	usleep(100000);
	t0 = now_ms();
	r = get("GET /metrics HTTP/1.1\r\n\r\n");
	ms = now_ms() - t0;
	check(well_formed(r, body1) && ms < 1000,
	      "75 idle connections (table of 64): a scrape still served in %llu ms",
	      (unsigned long long)ms);
	free(r);
	/* the first silent client is closed after its 5 s */
	{
		char c;
		ssize_t n;

		t0 = now_ms();
		n = recv(idle[0], &c, 1, 0);
		ms = now_ms() - t0;
		check(n <= 0 && ms < 1000,
		      "the oldest silent client made room: disconnected (recv %zd after %llu ms)",
		      n, (unsigned long long)ms);
		while (nidle > 0)
			close(idle[--nidle]);
		/* the server notices the closed ones */
		usleep(100000);
		n = 0;
		for (int i = 0; i < 60; i++)
			idle[nidle++] = connect_to(port);
		t0 = now_ms();
		for (int i = 0; i < nidle; i++) {
			struct timeval tv = { .tv_sec = 8 };

			setsockopt(idle[i], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
			if (recv(idle[i], &c, 1, 0) <= 0)
				n++;
		}
		ms = now_ms() - t0;
		check(n == 60 && ms > 4000 && ms < 7000,
		      "60 silent clients all disconnected after about 5 s (%zd in %llu ms)", n,
		      (unsigned long long)ms);
		while (nidle > 0)
			close(idle[--nidle]);
	}

	/* 50 clients x 100 requests while the text is republished every millisecond */
	{
		enum { NCLIENTS = 50, NREQ = 100 };
		pthread_t th[NCLIENTS], pub;
		struct load l[NCLIENTS];
		size_t n = 200000;
		int good = 0;

		body2 = malloc(n + 1);
		for (size_t i = 0; i < n; i++)
			body2[i] = i % 64 == 63 ? '\n' : 'a' + i % 26;
		body2[n] = '\0';
		publishing = true;
		pthread_create(&pub, NULL, publisher, s);
		t0 = now_ms();
		for (int i = 0; i < NCLIENTS; i++) {
			l[i] = (struct load){ .requests = NREQ };
			pthread_create(&th[i], NULL, client, &l[i]);
		}
		for (int i = 0; i < NCLIENTS; i++) {
			pthread_join(th[i], NULL);
			good += l[i].good;
		}
		ms = now_ms() - t0;
		publishing = false;
		pthread_join(pub, NULL);
		check(good == NCLIENTS * NREQ,
		      "50 concurrent clients x 100 requests, the text republished meanwhile: "
		      "%d of %d responses complete and well formed (%llu ms)",
		      good, NCLIENTS * NREQ, (unsigned long long)ms);
		free(body2);
		body2 = NULL;
	}

	/* bad addresses and a port in use */
	err = start_capturing("localhost:9100", &s2, msg, sizeof(msg));
	check(err == -EINVAL && strstr(msg, "bad --listen address 'localhost:9100'"),
	      "a host name: -EINVAL and: %.*s", (int)strcspn(msg, "\n"), msg);
	err = start_capturing("[::1]", &s2, msg, sizeof(msg));
	check(err == -EINVAL, "[::1] without a port: -EINVAL");
	err = start_capturing("::1:9100", &s2, msg, sizeof(msg));
	check(err == -EINVAL, "IPv6 without brackets: -EINVAL");
	err = start_capturing("127.0.0.1:65536", &s2, msg, sizeof(msg));
	check(err == -EINVAL, "port 65536: -EINVAL");
	err = start_capturing("127.0.0.1:", &s2, msg, sizeof(msg));
	check(err == -EINVAL, "no port: -EINVAL");
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
	err = start_capturing(addr, &s2, msg, sizeof(msg));
	snprintf(big, sizeof(big),
		 "maptrace: cannot listen on 127.0.0.1:%d: address in use; pick another port "
		 "with --listen\n",
		 port);
	check(err == -EADDRINUSE && !strcmp(msg, big), "port in use: -EADDRINUSE and: %.*s",
	      (int)strcspn(msg, "\n"), msg);
	snprintf(addr, sizeof(addr), "%d", port);
	err = start_capturing(addr, &s2, msg, sizeof(msg));
	check(err == -EADDRINUSE && strstr(msg, "on 127.0.0.1:"),
	      "a bare port means 127.0.0.1 (%d)", err);
	snprintf(addr, sizeof(addr), ":%d", port);
	err = start_capturing(addr, &s2, msg, sizeof(msg));
	check(err == -EADDRINUSE && strstr(msg, "on 127.0.0.1:"), ":PORT means 127.0.0.1 (%d)",
	      err);
	err = start_capturing("192.0.2.1:0", &s2, msg, sizeof(msg));
	check(err == -EADDRNOTAVAIL && strstr(msg, "no interface"),
	      "an address of another host: -EADDRNOTAVAIL and: %.*s", (int)strcspn(msg, "\n"), msg);
	err = start_capturing("[::1]:0", &s2, msg, sizeof(msg));
	if (err == -EADDRNOTAVAIL || err == -EAFNOSUPPORT) {
		skip("IPv6 loopback", "no IPv6 here");
	} else {
		check(!err && prom_server__port(s2) > 0, "[::1]:0: listening on IPv6 (%d)", err);
		prom_server__stop(s2);
	}

	/* stop with clients connected returns at once */
	idle[nidle++] = connect_to(port);
	t0 = now_ms();
	prom_server__stop(s);
	ms = now_ms() - t0;
	check(ms < 500, "stop with a client connected: %llu ms", (unsigned long long)ms);
	close(idle[--nidle]);
	check(connect_to(port) < 0, "nothing listens after stop");
}

int main(void)
{
	test_lock_histogram();
	test_maps();
	test_escaping();
	test_top_n();
	test_state();
	test_folded();
	test_cardinality();
	test_server();
	printf("# %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
