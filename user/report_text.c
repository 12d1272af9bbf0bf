// SPDX-License-Identifier: MIT
/*
 * The "text" backend: what an on-call engineer reads in a terminal.  Every interval: a header,
 * the REHASH and LOCK WAIT tables (and SYNC MAPS when there are sync maps), each sorted by cost
 * as the report arrives.  The final summary adds bcc-style log2 histograms, the costliest
 * stacks in full and the advice.  Everything fits the width (report_opts.width; maptrace passes
 * the terminal's, user/term.h): tables leave out their least useful columns first and cut the
 * last, free-form one, never shifting the numeric ones (textfit.h); other lines wrap.  Live
 * reports with a previous interval (report_opts.history) add per-second rates beside totals.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cmap.h"
#include "cxxname.h"
#include "report.h"
#include "textfit.h"
#include "util.h"

#define LINE_BUF 1024

/* The option that lets the ring buffer absorb a burst between two polls (user/args.c). */
#define RINGBUF_OPTION "--ringbuf-mb"

/* A short path is shown whole; a longer one as its ends and the number of steps. */
#define SIZES_SHOWN_WHOLE 3

#define HIST_STARS 40
#define HIST_MIN_STARS 10

struct text {
	FILE *out;
	const struct report *r;
	const struct report_opts *o;
	int width;
};

static int rows(const struct text *t, int n)
{
	return t->o->top > 0 && t->o->top < n ? t->o->top : n;
}

static void heading(const struct text *t, const char *fmt, ...)
{
	va_list ap;

	if (t->o->color)
		fputs("\033[1m", t->out);
	va_start(ap, fmt);
	vfprintf(t->out, fmt, ap);
	va_end(ap);
	if (t->o->color)
		fputs("\033[0m", t->out);
	fputc('\n', t->out);
}

static char *fmt_addr(char *buf, size_t size, __u64 addr)
{
	snprintf(buf, size, "0x%llx", (unsigned long long)addr);
	return buf;
}

/* "map 0x...", or for a row of folded maps how many: "1200 freed maps". */
static char *map_label(char *buf, size_t size, const struct map_report *m)
{
	if (m->folded)
		snprintf(buf, size, "%llu freed maps", (unsigned long long)m->folded);
	else
		snprintf(buf, size, "map 0x%llx", (unsigned long long)m->addr);
	return buf;
}

/* A row's address, or for a row of folded maps or futex words how many: "1200 freed". */
static char *fmt_row(char *buf, size_t size, __u64 addr, __u64 folded, const char *what)
{
	if (folded)
		snprintf(buf, size, "%llu %.6s", (unsigned long long)(folded % 100000000000ULL), what);
	else
		fmt_addr(buf, size, addr);
	return buf;
}

/*
 * "2^0->2^14", or the whole path when it is short ("2^3->2^4").  The number of steps is added,
 * "2^0->2^14 (14)", only when it differs from the GROWS column beside it (inner maps of a
 * sharded map each have their own path; this is the largest one's).
 */
static const char *fmt_sizes(char *buf, size_t size, const struct map_report *m)
{
	int n = m->nsizes < MT_MAX_SIZES ? m->nsizes : MT_MAX_SIZES;
	size_t len = 0;

	const char *pre = m->sizes_in_slots ? "" : "2^";

	if (n <= 0) {
		snprintf(buf, size, "-");
		return buf;
	}
	if (n > SIZES_SHOWN_WHOLE && m->shrinks) {
		/* up and down again (GLib shrinks as it empties): first, largest, last */
		__u64 top = 0;

		for (int i = 0; i < n; i++)
			top = m->sizes[i] > top ? m->sizes[i] : top;
		snprintf(buf, size, "%s%llu->%s%llu->%s%llu", pre, (unsigned long long)m->sizes[0],
			 pre, (unsigned long long)top, pre, (unsigned long long)m->sizes[n - 1]);
		return buf;
	}
	if (n > SIZES_SHOWN_WHOLE) {
		len = (size_t)snprintf(buf, size, "%s%llu->%s%llu", pre,
				       (unsigned long long)m->sizes[0], pre,
				       (unsigned long long)m->sizes[n - 1]);
		if ((__u64)(n - 1) != m->grows + m->shrinks && len < size)
			snprintf(buf + len, size - len, " (%d)", n - 1);
		return buf;
	}
	buf[0] = '\0';
	for (int i = 0; i < n && len < size; i++)
		len += (size_t)snprintf(buf + len, size - len, "%s%s%llu", i ? "->" : "", pre,
					(unsigned long long)m->sizes[i]);
	return buf;
}

/* A duration, or "-" for none: a column of "0ns" hides the rows that matter. */
static const char *fmt_ns_or_dash(char *buf, size_t size, __u64 ns)
{
	if (!ns) {
		snprintf(buf, size, "-");
		return buf;
	}
	return report__fmt_ns(buf, size, ns);
}

/* A rate "12.5", "0.40", "1520"; "-" when there is none. */
static const char *fmt_rate(char *buf, size_t size, bool ok, double v)
{
	if (!ok)
		snprintf(buf, size, "-");
	else if (v < 10)
		snprintf(buf, size, "%.2f", v);
	else if (v < 1000)
		snprintf(buf, size, "%.1f", v);
	else
		snprintf(buf, size, "%.0f", v);
	return buf;
}

/* Row @addr's rate of @what since the previous report, "-" without one. */
static const char *row_rate(const struct text *t, char *buf, size_t size, __u64 addr,
			    enum report_rate what, __u64 now)
{
	double v = 0;
	bool ok = t->o->history &&
		  report_history__rate(t->o->history, t->r, addr, what, now, &v);

	if (what == REPORT_RATE_WAIT_NS) {
		if (!ok)
			snprintf(buf, size, "-");
		else
			report__fmt_ns(buf, size, (__u64)v);
		return buf;
	}
	return fmt_rate(buf, size, ok, v);
}

static void print_header(const struct text *t)
{
	const struct report *r = t->r;
	__u64 dur = report__duration_ns(r);
	__u64 dropped = report__dropped_total(r);
	char clock[16] = "";
	char d[32];

	if (r->info.start_wall_ns) {
		time_t now = (time_t)((r->info.start_wall_ns + dur) / 1000000000ULL);
		struct tm tm;

		if (localtime_r(&now, &tm))
			strftime(clock, sizeof(clock), "%H:%M:%S  ", &tm);
	}
	heading(t, "%sPID %d (%s)  %s%s traced  %llu records  dropped %llu%s",
		r->final ? "SUMMARY  " : "", r->info.pid, r->info.comm, clock,
		report__fmt_ns(d, sizeof(d), dur), (unsigned long long)r->events,
		(unsigned long long)dropped, r->info.target_exited ? "  (target exited)" : "");
	/* with --overhead-budget, say which figures are whole and which are a sample */
	if (r->info.budget_pct > 0)
		fprintf(t->out,
			"  overhead budget %g%%: per-operation probes attached %.1f%% of the time; "
			"every count read from the maps' own counters%s; grows, evacuations and waits "
			"complete\n",
			r->info.budget_pct, r->info.duty * 100.0,
			r->info.profile_sampled ? ", but a profile map's inserts, deletes and lookups, "
						  "counted while attached" : "");
	if (r->lib_totals_seen && (r->lib_totals.created || r->lib_totals.freed ||
				   r->lib_totals.grows || r->lib_totals.same_size_grows))
		fprintf(t->out, "  libcmap's own totals: created %llu, freed %llu, grows %llu, same-size "
			"grows %llu (maps under 2^7 buckets fire no probe without --detail)\n",
			(unsigned long long)r->lib_totals.created,
			(unsigned long long)r->lib_totals.freed,
			(unsigned long long)r->lib_totals.grows,
			(unsigned long long)r->lib_totals.same_size_grows);
	/* bounded memory: what no longer has a row of its own */
	if (r->maps_folded)
		fprintf(t->out, "  %llu maps created and freed, folded by creation site (rows \"N "
			"freed\")\n", (unsigned long long)r->maps_folded);
	if (r->locks_folded)
		fprintf(t->out, "  %llu idle futex words folded by kind and top stack (rows \"N "
			"cold\")\n", (unsigned long long)r->locks_folded);
	if (!dropped)
		return;
	/* Loss is never silent: say which counter and what to change. */
	if (r->dropped[MT_DROP_RINGBUF])
		fprintf(t->out,
			"  dropped %llu records: the ring buffer was full; use a larger one (%s) "
			"or a shorter interval\n",
			(unsigned long long)r->dropped[MT_DROP_RINGBUF], RINGBUF_OPTION);
	if (r->dropped[MT_DROP_STACK])
		fprintf(t->out,
			"  dropped %llu stacks: the stack map was full or the unwind failed "
			"(records kept without a stack); trace a shorter period, or build the "
			"target with -fno-omit-frame-pointer\n",
			(unsigned long long)r->dropped[MT_DROP_STACK]);
	if (r->dropped[MT_DROP_STATE])
		fprintf(t->out,
			"  dropped %llu events: more than 16384 threads were mid-grow or mid-wait "
			"at once (the per-thread tables were full); those were not timed\n",
			(unsigned long long)r->dropped[MT_DROP_STATE]);
	if (r->dropped[MT_DROP_MAPS])
		fprintf(t->out,
			"  dropped %llu counts: more maps were live at once than the per-map tables "
			"hold; raise --max-maps\n",
			(unsigned long long)r->dropped[MT_DROP_MAPS]);
	if (r->dropped[MT_DROP_ALLOC])
		fprintf(t->out,
			"  dropped %llu counts: a burst of new maps outran the kernel's allocation of "
			"per-map table entries (libcmap's counts, read from the maps, are whole; "
			"profile maps' counts are low)\n",
			(unsigned long long)r->dropped[MT_DROP_ALLOC]);
}

/* What attaching late left unseen: maps older than the trace, or a run already over. */
static void print_before_attach(const struct text *t)
{
	const struct report *r = t->r;
	/* a map whose creation record was lost looks the same */
	const char *or_lost = r->dropped[MT_DROP_RINGBUF] ? ", or their creation was dropped" : "";
	char d[32];

	if (r->before_attach.addr)
		fprintf(t->out,
			"attached after %llu entries were in map 0x%llx (%llu %s existed before "
			"attach%s: grows before that are not seen)\n",
			(unsigned long long)r->before_attach.count,
			(unsigned long long)r->before_attach.addr,
			(unsigned long long)r->before_attach.maps,
			r->before_attach.maps == 1 ? "map" : "maps", or_lost);
	else if (r->before_attach.maps)
		fprintf(t->out, "%llu %s existed before attach%s: grows before that are not seen\n",
			(unsigned long long)r->before_attach.maps,
			r->before_attach.maps == 1 ? "map" : "maps", or_lost);
	if (r->before_attach.unmade)
		fprintf(t->out,
			"%llu %s first seen at a resize (no probe sees %s made): resizes before "
			"attach, if any, are not seen\n",
			(unsigned long long)r->before_attach.unmade,
			r->before_attach.unmade == 1 ? "map" : "maps",
			r->before_attach.unmade == 1 ? "it" : "them");
	if (report__nothing_seen(r))
		fprintf(t->out,
			"nothing was seen: PID %d exited %s after maptrace attached; if its work came "
			"before the attach, trace it from its start: maptrace [OPTIONS] -- CMD\n",
			r->info.pid, report__fmt_ns(d, sizeof(d), report__duration_ns(r)));
}

/* REHASH's columns, the least useful dropped first on a narrow terminal. */
static const struct textfit_col rehash_cols[] = {
	{ "ADDR", 14, true, 0, false },	     { "VARIANT", 7, true, 0, false },
	{ "INSERTS", 8, false, 6, false },   { "GROWS", 5, false, 0, false },
	{ "GROWS/S", 7, false, 5, true },    { "SAME", 4, false, 1, false },
	{ "SIZE PATH", 11, true, 7, false }, { "REHASH", 7, false, 8, false },
	{ "MAXSTEP", 7, false, 3, false },   { "MOVED", 8, false, 2, false },
	{ "COUNT/CAP", 13, false, 4, false }, { "CREATED AT", 0, true, 0, false },
};

static void print_rehash(const struct text *t)
{
	const struct report *r = t->r;
	int n = rows(t, r->nmaps);
	bool shown[ARRAY_SIZE(rehash_cols)];
	const char *heads[ARRAY_SIZE(rehash_cols)];

	if (!r->info.library_found) {
		/* Without the library's probes an empty table would read as "no map grew". */
		fprintf(t->out, "no map library found in PID %d: reporting futex waits only\n",
			r->info.pid);
		return;
	}
	print_before_attach(t);
	if (!n) {
		/* the library's totals count grows of maps too small for a probe */
		if (r->lib_totals_seen && (r->lib_totals.grows || r->lib_totals.same_size_grows))
			fprintf(t->out, "REHASH: no map grew to 2^7 buckets (the smaller grows: above)\n");
		else
			fprintf(t->out, "REHASH: no map grew\n");
		return;
	}
	heading(t, "REHASH");
	textfit__choose(rehash_cols, ARRAY_SIZE(rehash_cols), t->width, t->o->history, shown);
	for (size_t c = 0; c < ARRAY_SIZE(rehash_cols); c++)
		heads[c] = rehash_cols[c].head;
	textfit__row(t->out, t->width, rehash_cols, ARRAY_SIZE(rehash_cols), shown, heads);
	for (int i = 0; i < n; i++) {
		const struct map_report *m = &r->maps[i];
		char addr[24], ins[24], grows[24], rate[24], same[24], sizes[64], tot[16], max[16],
			moved[24], cc[48], named[320], first[256], dirat[300];

		/* a library's idle tables (Redis makes a few per client) would bury the others */
		if (m->sizes_in_slots && !m->inserts && !m->deletes && !m->grows && !m->shrinks)
			continue;
		const char *variant = m->library ? m->library : "?";
		const char *at = "?";

		/* Libraries without our variants (GLib, Redis) are named instead. */
		if (m->variant >= 0)
			variant = mt_variant_name(m->variant);
		if (m->create_seen && m->created_at && m->created_at[0])
			at = m->created_at;
		/* a Go map is known from its first grow unless --detail probes makemap */
		else if (m->first_grown_at && m->first_grown_at[0] && m->library &&
			 !strcmp(m->library, "go")) {
			snprintf(first, sizeof(first), "first grew at %.240s", m->first_grown_at);
			at = first;
		}
		/* a named map (Redis: its dictType; Go: its type) says so first */
		if ((m->name && m->name[0]) || (m->go_type && m->go_type[0])) {
			snprintf(named, sizeof(named), "%s%s%s",
				 m->name && m->name[0] ? m->name : m->go_type,
				 strcmp(at, "?") ? " " : "", strcmp(at, "?") ? at : "");
			at = named;
		}
		/* a Go Swiss map that split: its deepest directory first (a long type is cut) */
		if (m->dir_depth > 1) {
			snprintf(dirat, sizeof(dirat), "dir 2^%u; %.280s", m->dir_depth - 1, at);
			at = dirat;
		}
		/* a profile's map: its entries when its profile reads them; its load limit is the
		 * library's business */
		if (m->sizes_in_slots && m->count >= 0)
			snprintf(cc, sizeof(cc), "%lld/-", (long long)m->count);
		else if (m->sizes_in_slots)
			snprintf(cc, sizeof(cc), "-");
		else if (m->count < 0)
			snprintf(cc, sizeof(cc), "?/%llu", (unsigned long long)m->capacity);
		else
			snprintf(cc, sizeof(cc), "%lld/%llu", (long long)m->count,
				 (unsigned long long)m->capacity);
		snprintf(ins, sizeof(ins), "%llu", (unsigned long long)m->inserts);
		snprintf(grows, sizeof(grows), "%llu", (unsigned long long)m->grows);
		snprintf(same, sizeof(same), "%llu", (unsigned long long)m->same_size_grows);
		snprintf(moved, sizeof(moved), "%llu", (unsigned long long)m->moved);
		const char *cells[] = {
			fmt_row(addr, sizeof(addr), m->addr, m->folded, "freed"),
			variant,
			ins,
			grows,
			row_rate(t, rate, sizeof(rate), m->addr, REPORT_RATE_GROWS, m->grows),
			same,
			fmt_sizes(sizes, sizeof(sizes), m),
			fmt_ns_or_dash(tot, sizeof(tot), m->grow_ns_total),
			fmt_ns_or_dash(max, sizeof(max), m->grow_ns_max),
			moved,
			cc,
			at,
		};
		_Static_assert(ARRAY_SIZE(cells) == ARRAY_SIZE(rehash_cols), "a cell per column");
		textfit__row(t->out, t->width, rehash_cols, ARRAY_SIZE(rehash_cols), shown, cells);
		if (m->evac_of) /* a Go map's, read from its fields at the last sync */
			fprintf(t->out, "  %s\n", report__evac_text(first, sizeof(first), m));
	}
}

static bool map_is_sync(const struct map_report *m)
{
	return m->variant == CMAP_SYNC || m->sync_hits || m->sync_misses || m->promotions;
}

/* A third table rather than three more columns: only sync maps have these figures. */
static void print_sync(const struct text *t)
{
	const struct report *r = t->r;
	int n = rows(t, r->nmaps), shown = 0;

	for (int i = 0; i < n; i++) {
		const struct map_report *m = &r->maps[i];
		char addr[24], ratio[24], hits[24];

		if (!map_is_sync(m))
			continue;
		if (!shown++) {
			heading(t, "SYNC MAPS");
			fprintf(t->out, "%-14s %12s %12s %9s %10s\n", "ADDR", "HITS", "MISSES",
				"MISS/HIT", "PROMOTIONS");
		}
		snprintf(hits, sizeof(hits), "%llu", (unsigned long long)m->sync_hits);
		if (!report__sync_hits_known(m)) /* Go's sync.Map: misses only */
			snprintf(hits, sizeof(hits), "-");
		if (m->sync_hits)
			snprintf(ratio, sizeof(ratio), "%.2f",
				 (double)m->sync_misses / (double)m->sync_hits);
		else
			snprintf(ratio, sizeof(ratio),
				 m->sync_misses && report__sync_hits_known(m) ? "inf" : "-");
		fprintf(t->out, "%-14s %12s %12llu %9s %10llu\n",
			fmt_addr(addr, sizeof(addr), m->addr), hits,
			(unsigned long long)m->sync_misses, ratio,
			(unsigned long long)m->promotions);
	}
}

/* The lock rows, then with --all-waits the other waits' rows: @i of lock_rows(). */
static const struct lock_report *lock_row(const struct text *t, int i)
{
	int nl = rows(t, t->r->nlocks);

	return i < nl ? &t->r->locks[i] : &t->r->waits[i - nl];
}

static int lock_rows(const struct text *t)
{
	return rows(t, t->r->nlocks) + (t->o->all_waits ? rows(t, t->r->nwaits) : 0);
}

/* LOCK WAIT's columns, the least useful dropped first on a narrow terminal. */
static const struct textfit_col lock_cols[] = {
	{ "ADDR", 14, true, 0, false },	      { "KIND", 7, true, 0, false },
	{ "MAP", 14, true, 4, false },	      { "WAITS", 7, false, 0, false },
	{ "WAITS/S", 7, false, 5, true },     { "TOTAL", 6, false, 0, false },
	{ "WAIT/S", 6, false, 6, true },      { "P50", 6, false, 1, false },
	{ "P99", 6, false, 7, false },	      { "MAX", 6, false, 2, false },
	{ "READ/WRITE", 10, true, 3, false }, { "TOP WAITING STACK", 0, true, 0, false },
};

static void print_lock_table(const struct text *t, const char *title,
			     const struct lock_report *v, int n)
{
	const struct report *r = t->r;
	bool shown[ARRAY_SIZE(lock_cols)];
	const char *heads[ARRAY_SIZE(lock_cols)];

	heading(t, title);
	textfit__choose(lock_cols, ARRAY_SIZE(lock_cols), t->width, t->o->history, shown);
	for (size_t c = 0; c < ARRAY_SIZE(lock_cols); c++)
		heads[c] = lock_cols[c].head;
	textfit__row(t->out, t->width, lock_cols, ARRAY_SIZE(lock_cols), shown, heads);
	for (int i = 0; i < n; i++) {
		const struct lock_report *l = &v[i];
		char addr[24], map[24], waits[24], wrate[24], tot[16], nsrate[16], p50[16], p99[16],
			max[16], rw[48], stack[LINE_BUF], line[LINE_BUF];

		/* known for the library's locks (lookups vs writes) and for rwlocks from the stack */
		if (l->read_contentions + l->write_contentions)
			snprintf(rw, sizeof(rw), "r %llu/w %llu",
				 (unsigned long long)l->read_contentions,
				 (unsigned long long)l->write_contentions);
		else
			snprintf(rw, sizeof(rw), "-");
		if (l->map)
			fmt_addr(map, sizeof(map), l->map);
		else
			snprintf(map, sizeof(map), "-");
		/* a named lock shows its name where it fits the column */
		if (l->name && l->name[0] && strlen(l->name) <= 14)
			snprintf(addr, sizeof(addr), "%s", l->name);
		else
			fmt_row(addr, sizeof(addr), l->addr, l->folded, "cold");
		snprintf(waits, sizeof(waits), "%llu", (unsigned long long)l->contentions);
		report__fmt_stack_line(line, sizeof(line), r,
				       l->ntop ? l->top_stacks[0].stack : -1, 0);
		cxxname__short(stack, sizeof(stack), line);
		const char *cells[] = {
			addr,
			mt_lock_kind_name(l->kind),
			map,
			waits,
			row_rate(t, wrate, sizeof(wrate), l->addr, REPORT_RATE_WAITS,
				 l->contentions),
			report__fmt_ns(tot, sizeof(tot), l->wait_ns),
			row_rate(t, nsrate, sizeof(nsrate), l->addr, REPORT_RATE_WAIT_NS, l->wait_ns),
			report__fmt_ns(p50, sizeof(p50), l->p50_ns),
			report__fmt_ns(p99, sizeof(p99), l->p99_ns),
			report__fmt_ns(max, sizeof(max), l->max_ns),
			rw,
			stack,
		};
		_Static_assert(ARRAY_SIZE(cells) == ARRAY_SIZE(lock_cols), "a cell per column");
		textfit__row(t->out, t->width, lock_cols, ARRAY_SIZE(lock_cols), shown, cells);
	}
}

/*
 * The futex waits that are not lock contention, by kind, costliest first, on one line:
 * "other waits: 3 join (1.20s), 7 condvar (601us); --all-waits lists them".  The Go runtime's
 * own waits have a line of their own.
 */
static void print_other_waits_line(const struct text *t)
{
	const struct report *r = t->r;
	bool done[MT_LOCK_KINDS] = { [MT_LOCK_GO_PARK] = true, [MT_LOCK_GO_RTLOCK] = true };
	static const char head[] = "other waits:";
	const int empty = (int)sizeof(head) - 1;
	char line[LINE_BUF], ns[16];
	int used = snprintf(line, sizeof(line), "%s", head);

	for (;;) {
		int best = -1;

		for (int k = 0; k < MT_LOCK_KINDS; k++) {
			if (!done[k] && r->wait_kinds[k].count &&
			    (best < 0 || r->wait_kinds[k].ns > r->wait_kinds[best].ns))
				best = k;
		}
		if (best < 0)
			break;
		done[best] = true;
		used += snprintf(line + used, sizeof(line) - (size_t)used, "%s %llu %s (%s)",
				 used > empty ? "," : "",
				 (unsigned long long)r->wait_kinds[best].count, mt_lock_kind_name(best),
				 report__fmt_ns(ns, sizeof(ns), r->wait_kinds[best].ns));
		if (used >= (int)sizeof(line))
			used = (int)sizeof(line) - 1;
	}
	if (used > empty)
		fprintf(t->out, "%s; --all-waits lists them\n", line);
}

/*
 * How long a libcmap lock was held per acquisition a waiter waited behind, where it was held
 * longest in total (the frame early: a narrow terminal cuts the end), then all such holds:
 * "hold time of 0x55..: avg 47.4us per contended hold at wl_write (49156 times); all 81877:
 * P50 161ns, P99 53.8us, max 4.96ms".  Holds the library did not time are in "all" and said
 * apart, "all 10 (1 untimed):", and in no other figure.
 */
static void print_hold_time(const struct text *t, const struct lock_report *l)
{
	const struct mt_stack_cost *top = &l->hold_stacks[0];
	const struct mt_frame *f;
	char line[LINE_BUF], who[24], mean[16], p50[16], p99[16], max[16], at[200] = "";
	char untimed[40] = "";

	if (!l->hold_count)
		return;
	if (l->hold_untimed)
		snprintf(untimed, sizeof(untimed), " (%llu untimed)",
			 (unsigned long long)l->hold_untimed);
	if (l->name && l->name[0])
		snprintf(who, sizeof(who), "%s", l->name);
	else
		fmt_row(who, sizeof(who), l->addr, l->folded, "cold");
	if (l->hold_untimed == l->hold_count) {
		snprintf(line, sizeof(line), "hold time of %s: %llu contended holds, all untimed", who,
			 (unsigned long long)l->hold_count);
		fprintf(t->out, "%s\n", textfit__cut(line, t->width));
		return;
	}
	f = l->nhold_stacks && top->count ? report__hold_site(t->r, top->stack) : NULL;
	if (f && f->func && f->func[0])
		snprintf(at, sizeof(at), "avg %s per contended hold at %s (%llu times); all %llu%s: ",
			 report__fmt_ns(mean, sizeof(mean), top->ns / top->count), f->func,
			 (unsigned long long)top->count, (unsigned long long)l->hold_count, untimed);
	else
		snprintf(at, sizeof(at), "%llu contended holds%s: ",
			 (unsigned long long)l->hold_count, untimed);
	/* not "0x..." first: that is how a table row starts */
	snprintf(line, sizeof(line), "hold time of %s: %sP50 %s, P99 %s, max %s", who, at,
		 report__fmt_ns(p50, sizeof(p50), l->hold_p50_ns),
		 report__fmt_ns(p99, sizeof(p99), l->hold_p99_ns),
		 report__fmt_ns(max, sizeof(max), l->hold_max_ns));
	fprintf(t->out, "%s\n", textfit__cut(line, t->width));
}

/*
 * Who held each shown lock: its top holder stack (the releases that woke a waiter), from the
 * program's own frames: "held by mu: hold_in_critical <- main (10 of 10 wakes)", of all its
 * waking releases.
 */
static void print_holders(const struct text *t, const struct lock_report *v, int n)
{
	for (int i = 0; i < n; i++) {
		const struct lock_report *l = &v[i];
		char line[LINE_BUF], who[24], stack[256];

		if (!l->nholders)
			continue;
		if (l->name && l->name[0])
			snprintf(who, sizeof(who), "%s", l->name);
		else
			fmt_row(who, sizeof(who), l->addr, l->folded, "cold");
		report__fmt_stack_line(line, sizeof(line), t->r, l->holder_stacks[0].stack, 2);
		cxxname__short(stack, sizeof(stack), line);
		snprintf(line, sizeof(line), "held by %s: %s (%llu of %llu wakes)", who, stack,
			 (unsigned long long)l->holder_stacks[0].count,
			 (unsigned long long)l->holder_wakes);
		fprintf(t->out, "%s\n", textfit__cut(line, t->width));
	}
	for (int i = 0; i < n; i++)
		print_hold_time(t, &v[i]);
}

/* Contended locks sharing a cache line, one line per group, whatever --top left out. */
static void print_line_shares(const struct text *t)
{
	for (int i = 0; i < t->r->nline_shares; i++) {
		const struct line_share *g = &t->r->line_shares[i];
		char locks[256], ns[16];

		fprintf(t->out,
			"false sharing: %s share a 64-byte cache line (%llu waits, %s); pad or "
			"align each lock to its own line\n",
			report__fmt_line_share(locks, sizeof(locks), g),
			(unsigned long long)g->contentions,
			report__fmt_ns(ns, sizeof(ns), g->wait_ns));
	}
}

static void print_locks(const struct text *t)
{
	const struct report *r = t->r;
	int n = rows(t, r->nlocks);

	if (n) {
		print_lock_table(t, "LOCK WAIT", r->locks, n);
		print_holders(t, r->locks, n);
	} else
		fprintf(t->out, "LOCK WAIT: no contended lock\n");
	print_line_shares(t);
	if (t->o->all_waits && rows(t, r->nwaits))
		print_lock_table(t, "OTHER WAITS (not lock contention)", r->waits,
				 rows(t, r->nwaits));
	else if (!t->o->all_waits) {
		char go[LINE_BUF];

		print_other_waits_line(t);
		if (report__fmt_go_runtime(go, sizeof(go), t->r))
			fprintf(t->out, "%s; --all-waits lists them\n", go);
	}
}

/* bcc's slot: slot 0 holds 0 and 1, slot k >= 1 holds 2^k .. 2^(k+1)-1. */
static int log2_slot(__u64 v)
{
	return v < 2 ? 0 : 63 - __builtin_clzll(v);
}

/*
 * A bcc-style log2 histogram of nanoseconds.  The fine buckets of struct hist never straddle
 * a power of two, so summing them by the slot of their lowest value is exact.
 */
static void print_log2_hist(const struct text *t, const struct hist *h)
{
	__u64 slots[64] = { 0 }, max = 0;
	int lo = 64, hi = -1, w, stars;
	char num[24];

	__u64 cnt;

	for (int pos = 0, i; hist__next(h, &pos, &i, &cnt);) {
		int s = log2_slot(hist__bucket_low(i));

		slots[s] += cnt;
		if (s < lo)
			lo = s;
		if (s > hi)
			hi = s;
	}
	if (hi < 0) {
		fprintf(t->out, "    (empty)\n");
		return;
	}
	for (int s = lo; s <= hi; s++)
		if (slots[s] > max)
			max = slots[s];
	w = snprintf(num, sizeof(num), "%llu",
		     (unsigned long long)(hi == 63 ? ~0ULL : (2ULL << hi) - 1));
	/* "    LOW -> HIGH : COUNT    |" and "|": the bar takes what the width leaves */
	stars = t->width - (4 + w + 4 + w + 3 + 8 + 2 + 1);
	stars = stars > HIST_STARS ? HIST_STARS : stars < HIST_MIN_STARS ? HIST_MIN_STARS : stars;
	fprintf(t->out, "    %*s%*s : count    distribution\n", w, "nsecs", w + 4, "");
	for (int s = lo; s <= hi; s++) {
		__u64 low = s ? 1ULL << s : 0;
		__u64 high = s == 63 ? ~0ULL : (2ULL << s) - 1;
		int bar = (int)(slots[s] * (__u64)stars / max);

		fprintf(t->out, "    %*llu -> %-*llu : %-8llu |%.*s%*s|\n", w,
			(unsigned long long)low, w, (unsigned long long)high,
			(unsigned long long)slots[s], bar,
			"****************************************", stars - bar, "");
	}
}

static void print_histograms(const struct text *t)
{
	const struct report *r = t->r;
	int nl = lock_rows(t), nm = rows(t, r->nmaps);
	char a[96], b[24], p50[16], p99[16], max[16];

	for (int i = 0; i < nl; i++) {
		const struct lock_report *l = lock_row(t, i);

		if (!i)
			heading(t, "\nLOCK WAIT HISTOGRAMS");
		fprintf(t->out, "%s %s%s%s: %llu waits, P50 %s, P99 %s, max %s\n",
			mt_lock_kind_name(l->kind), report__lock_label(a, sizeof(a), l),
			l->map ? " guarding map " : "",
			l->map ? fmt_addr(b, sizeof(b), l->map) : "",
			(unsigned long long)l->contentions,
			report__fmt_ns(p50, sizeof(p50), l->p50_ns),
			report__fmt_ns(p99, sizeof(p99), l->p99_ns),
			report__fmt_ns(max, sizeof(max), l->max_ns));
		print_log2_hist(t, &l->hist);
	}
	for (int i = 0, shown = 0; i < nm; i++) {
		const struct map_report *m = &r->maps[i];

		if (!m->grow_hist.count)
			continue;
		if (!shown++)
			heading(t, "\nGROW AND EVACUATION STEP DURATIONS");
		fprintf(t->out, "%s: %llu grows and evacuation steps, longest %s\n",
			map_label(a, sizeof(a), m), (unsigned long long)m->grow_hist.count,
			report__fmt_ns(max, sizeof(max), m->grow_ns_max));
		if (m->evac_summed)
			fprintf(t->out,
				"  and %llu evacuation steps summed in the kernel while the ring buffer "
				"was filling (counted, not in the histogram)\n",
				(unsigned long long)m->evac_summed);
		print_log2_hist(t, &m->grow_hist);
	}
}

/* One stack cost with the row it belongs to, to rank stacks across rows. */
struct ranked {
	const struct mt_stack_cost *c;
	const struct lock_report *lock;
	const struct map_report *map;
};

static int cmp_ranked(const void *pa, const void *pb)
{
	const struct ranked *a = pa, *b = pb;

	/* Compare, never subtract: a 64-bit difference does not fit the int we return. */
	if (a->c->ns != b->c->ns)
		return a->c->ns < b->c->ns ? 1 : -1;
	if (a->c->count != b->c->count)
		return a->c->count < b->c->count ? 1 : -1;
	return 0;
}

static void print_full_stack(const struct text *t, int idx)
{
	const struct mt_stack *st = report__stack(t->r, idx);
	char frame[LINE_BUF], full[LINE_BUF];

	if (!st || !st->nframes) {
		fprintf(t->out, "      (no stack captured)\n");
		return;
	}
	for (int i = 0; i < st->nframes; i++)
		/* C++ template names short here, in full in JSON */
		fprintf(t->out, "      %s\n",
			cxxname__short(frame, sizeof(frame),
				       report__fmt_frame(full, sizeof(full), &st->frames[i])));
}

static int print_top_stacks(const struct text *t, bool locks)
{
	const struct report *r = t->r;
	int nrows = locks ? lock_rows(t) : rows(t, r->nmaps);
	struct ranked *v;
	int n = 0, shown;
	char a[96], b[24], ns[16];

	v = calloc((size_t)(nrows ? nrows : 1) * MT_TOP_STACKS, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (int i = 0; i < nrows; i++) {
		const struct lock_report *l = locks ? lock_row(t, i) : NULL;
		const struct map_report *m = locks ? NULL : &r->maps[i];
		int ntop = locks ? l->ntop : m->ntop;

		for (int j = 0; j < ntop && j < MT_TOP_STACKS; j++) {
			v[n].c = locks ? &l->top_stacks[j] : &m->top_stacks[j];
			v[n].lock = l;
			v[n].map = m;
			n++;
		}
	}
	qsort(v, (size_t)n, sizeof(*v), cmp_ranked);
	shown = rows(t, n);
	if (shown)
		heading(t, locks ? "\nTOP WAITING STACKS" : "\nTOP GROWING STACKS");
	for (int i = 0; i < shown; i++) {
		const struct mt_stack_cost *c = v[i].c;

		if (locks)
			fprintf(t->out, "#%d %s %s%s%s: %llu waits, %s\n", i + 1,
				mt_lock_kind_name(v[i].lock->kind),
				report__lock_label(a, sizeof(a), v[i].lock),
				v[i].lock->map ? " guarding map " : "",
				v[i].lock->map ? fmt_addr(b, sizeof(b), v[i].lock->map) : "",
				(unsigned long long)c->count,
				report__fmt_ns(ns, sizeof(ns), c->ns));
		else
			/* untimed: libstdc++'s rehash inlined in the program (no 0ns) */
			fprintf(t->out, "#%d %s: %llu grows, %s\n", i + 1,
				map_label(a, sizeof(a), v[i].map), (unsigned long long)c->count,
				c->ns ? report__fmt_ns(ns, sizeof(ns), c->ns) : "untimed");
		print_full_stack(t, c->stack);
	}
	free(v);
	return 0;
}

static void print_advice(const struct text *t)
{
	const struct report *r = t->r;

	if (!r->nadvice) {
		fprintf(t->out, "\nno advice: nothing in the evidence calls for a change\n");
		return;
	}
	heading(t, "\nADVICE");
	for (int i = 0; i < r->nadvice; i++)
		fprintf(t->out, "  %s\n", r->advice[i]);
}

static int text_write(struct text *t)
{
	int err;

	print_header(t);
	print_rehash(t);
	print_sync(t);
	print_locks(t);
	if (t->r->final || t->o->histograms) {
		print_histograms(t);
		err = print_top_stacks(t, true) ?: print_top_stacks(t, false);
		if (err)
			return err;
		print_advice(t);
	}
	return 0;
}

static int text_emit(FILE *out, const struct report *r, const struct report_opts *o)
{
	static const struct report_opts defaults;
	struct text t = {
		.r = r,
		.o = o ? o : &defaults,
	};
	char *buf = NULL;
	size_t len = 0;
	int err;

	t.width = t.o->width > 0 ? t.o->width : REPORT_DEFAULT_WIDTH;
	if (t.width >= LINE_BUF)
		t.width = LINE_BUF - 1;
	/* the report is composed whole, then every line written within the width */
	t.out = open_memstream(&buf, &len);
	if (!t.out)
		return -errno;
	err = text_write(&t);
	if (fclose(t.out) && !err)
		err = -ENOMEM;
	for (size_t i = 0; !err && i < len;) {
		const char *nl = memchr(buf + i, '\n', len - i);
		size_t n = nl ? (size_t)(nl - (buf + i)) : len - i;

		textfit__wrap(out, buf + i, n, t.width);
		i += n + 1;
	}
	free(buf);
	if (err)
		return err;
	if (fflush(out))
		return errno ? -errno : -EIO;
	return ferror(out) ? -EIO : 0;
}

const struct report_backend report_text_backend = {
	.name = "text",
	.desc = "tables for a terminal; the summary adds histograms, stacks and advice",
	.traits = REPORT_LIVE,
	.emit = text_emit,
};
