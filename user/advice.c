// SPDX-License-Identifier: MIT
/*
 * Advice rules.  Each rule is one function that reads the report's rows and adds a line for
 * each row whose evidence calls for a change, quoting that evidence; a rule whose evidence is
 * absent adds nothing.  Adding a rule: write the function, add it to rules[].
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cmap.h"
#include "advice.h"
#include "advice_int.h"
#include "report.h"
#include "util.h"

/*
 * The sync map degrades when misses exceed 2.3 x hits (BRIEF.md); compared as integers,
 * misses * 10 > hits * 23, so exactly 2.3 x is not flagged.
 */
#define SYNC_MISS_NUM 23
#define SYNC_MISS_DEN 10
/* A ratio over a handful of reads (a map still warming up) is noise, not evidence. */
#define SYNC_MIN_READS 100

/* Capacity this many times the live count, after deletes, is memory worth giving back... */
#define COMPACT_FACTOR 8
/* ...unless the map is so small that compacting it cannot matter. */
#define COMPACT_MIN_BUCKETS 8

int advice_add(struct advice_list *a, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int len;

	va_start(ap, fmt);
	len = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (len < 0)
		return -EINVAL;
	s = malloc((size_t)len + 1);
	if (!s)
		return -ENOMEM;
	va_start(ap, fmt);
	vsnprintf(s, (size_t)len + 1, fmt, ap);
	va_end(ap);
	if (GROW(a->v, a->n, a->cap, 8)) {
		free(s);
		return -ENOMEM;
	}
	a->v[a->n++] = s;
	return 0;
}

bool advice_is_cmap(const struct map_report *m)
{
	return !m->library || !m->library[0] || !strcmp(m->library, "cmap");
}

/* A Go runtime map (the built-in go profile): sizes are bucket counts, 2^B. */
static bool is_go(const struct map_report *m)
{
	return m->library && !strcmp(m->library, "go");
}

/* A libstdc++ std::unordered_* container (the built-in libstdc++ profile). */
bool advice_is_cxx(const struct map_report *m)
{
	return m->library && !strcmp(m->library, "libstdc++");
}

/* A Go 1.24+ Swiss-table map (the built-in goswiss profile): sizes are slots. */
static bool is_goswiss(const struct map_report *m)
{
	return m->library && !strcmp(m->library, "goswiss");
}

char *advice_fmt_addr(char *buf, size_t size, __u64 addr)
{
	snprintf(buf, size, "0x%llx", (unsigned long long)addr);
	return buf;
}

/* The B a hint picks: the smallest with hint <= 6.5 * 2^B (lib/cmap.h). */
static int hint_B(__u64 hint)
{
	int B = 0;

	while (B < 63 && (unsigned __int128)hint * CMAP_LOAD_DEN > (unsigned __int128)CMAP_LOAD_NUM
									   << B)
		B++;
	return B;
}

__u64 advice__size_hint(__u64 peak)
{
	__u64 p = 1;
	int digits = 1;

	for (__u64 v = peak; v >= 10; v /= 10)
		digits++;
	/*
	 * Round up to 2, then 3, ... significant digits and keep the first round number that
	 * picks the same bucket count as the peak itself: rounding up never lets the map grow,
	 * and never makes it bigger than the peak needs.
	 */
	for (int keep = 2; keep < digits; keep++) {
		__u64 r;

		p = 1;
		for (int i = 0; i < digits - keep; i++)
			p *= 10;
		r = (peak + p - 1) / p * p;
		if (r >= peak && hint_B(r) == hint_B(peak))
			return r;
	}
	return peak;
}

/* A map's size-hint advice, before maps with the same advice are told in one line. */
struct hint_line {
	char *key;  /* everything the line says but the address and the summed figures */
	int map;    /* index into report.maps */
	int first;  /* index of the group's first map, once grouped */
	__u64 hint;
};

static int cmp_hint_line(const void *a, const void *b)
{
	const struct hint_line *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	return c ? c : (x->map > y->map) - (x->map < y->map);
}

static int cmp_hint_first(const void *a, const void *b)
{
	const struct hint_line *x = a, *y = b;

	if (x->first != y->first)
		return (x->first > y->first) - (x->first < y->first);
	return (x->map > y->map) - (x->map < y->map);
}

/* The hint that would have avoided every grow map @m made; 0 when there is no evidence. */
static __u64 map_hint(const struct map_report *m)
{
	/* The hint must cover the most the map ever held while we watched. */
	__u64 need = m->peak_count;

	if (m->count > 0 && (__u64)m->count > need)
		need = (__u64)m->count;
	/*
	 * Without a count (the map predates the trace) or when the map grew despite a hint that
	 * large (shards filled unevenly), the size it reached is the evidence.
	 */
	if (!need || (m->create_seen && m->hint >= need))
		need = need > m->capacity ? need : m->capacity;
	return need ? advice__size_hint(need) : 0;
}

/* What a map's size-hint line says of it, but its address and its summed figures. */
struct hint_parts {
	char where[320];   /* "created at F", "created before tracing", or "" */
	char path[48];	   /* " (2^0 -> 2^13 buckets)", or "" */
	char note[64];	   /* " instead of H" when it was created with a hint, or "" */
};

static void hint_parts(const struct map_report *m, struct hint_parts *p)
{
	int last = (m->nsizes < MT_MAX_SIZES ? m->nsizes : MT_MAX_SIZES) - 1;

	memset(p, 0, sizeof(*p));
	if (!m->create_seen)
		snprintf(p->where, sizeof(p->where), "created before tracing");
	else if (m->created_at && m->created_at[0])
		snprintf(p->where, sizeof(p->where), "created at %s", m->created_at);
	if (last >= 1)
		snprintf(p->path, sizeof(p->path), " (2^%llu -> 2^%llu buckets)",
			 (unsigned long long)m->sizes[0], (unsigned long long)m->sizes[last]);
	if (m->create_seen && m->hint)
		snprintf(p->note, sizeof(p->note), " instead of %llu", (unsigned long long)m->hint);
}

/* The parts and figures a map's line shares with maps told the same thing, as one string. */
static char *hint_key(const struct map_report *m, __u64 hint)
{
	struct hint_parts p;
	char *key;
	int len;

	hint_parts(m, &p);
	/* fields apart by a \\1, which names do not hold, so distinct fields never join alike */
	len = snprintf(NULL, 0, "%s%c%llu%c%s%c%llu%c%s%c%llu", p.where, 1,
		       (unsigned long long)m->grows, 1, p.path, 1, (unsigned long long)hint, 1, p.note,
		       1, (unsigned long long)m->folded);
	key = len < 0 ? NULL : malloc((size_t)len + 1);
	if (key)
		snprintf(key, (size_t)len + 1, "%s%c%llu%c%s%c%llu%c%s%c%llu", p.where, 1,
			 (unsigned long long)m->grows, 1, p.path, 1, (unsigned long long)hint, 1,
			 p.note, 1, (unsigned long long)m->folded);
	return key;
}

/* One map's line, or a group's: the @n maps of @v, alike (same key), the costliest first. */
static int hint_advice(const struct report *r, const struct hint_line *v, int n,
		       struct advice_list *a)
{
	const struct map_report *m = &r->maps[v[0].map];
	char addr[24], dur[16];
	struct hint_parts p;
	__u64 ns = 0, moved = 0;

	hint_parts(m, &p);
	for (int i = 0; i < n; i++) {
		ns += r->maps[v[i].map].grow_ns_total;
		moved += r->maps[v[i].map].moved;
	}
	report__fmt_ns(dur, sizeof(dur), ns);
	/* a row of freed maps folded by creation site: its figures are totals */
	if (n == 1 && m->folded)
		return advice_add(a,
				  "%llu maps (%s%sthen freed) grew %llu times in total (%.1f each)%s, "
				  "%s rehashing, %llu entries moved; create them with hint %llu%s",
				  (unsigned long long)m->folded, p.where, p.where[0] ? ", " : "",
				  (unsigned long long)m->grows,
				  (double)m->grows / (double)m->folded, p.path, dur,
				  (unsigned long long)moved, (unsigned long long)v[0].hint, p.note);
	if (n == 1)
		return advice_add(a,
				  "map %s%s%s%s: grew %llu times%s, %s rehashing, %llu entries "
				  "moved; create it with hint %llu%s",
				  advice_fmt_addr(addr, sizeof(addr), m->addr), p.where[0] ? " (" : "",
				  p.where, p.where[0] ? ")" : "", (unsigned long long)m->grows,
				  p.path, dur, (unsigned long long)moved,
				  (unsigned long long)v[0].hint, p.note);
	/* a program making many alike maps gets one line for them, not one per map */
	return advice_add(a,
			  "%d maps %s%s(the costliest 0x%llx) grew %llu times each%s, %s "
			  "rehashing in total, %llu entries moved; create them with hint %llu%s",
			  n, p.where, p.where[0] ? " " : "", (unsigned long long)m->addr,
			  (unsigned long long)m->grows, p.path, dur, (unsigned long long)moved,
			  (unsigned long long)v[0].hint, p.note);
}

/* A map that grew: the hint that would have avoided every grow it made. */
static int rule_size_hint(const struct report *r, struct advice_list *a)
{
	struct hint_line *v = calloc(r->nmaps ? (size_t)r->nmaps : 1, sizeof(*v));
	int n = 0, err = 0;

	if (!v)
		return -ENOMEM;
	for (int i = 0; i < r->nmaps && !err; i++) {
		const struct map_report *m = &r->maps[i];
		__u64 hint;

		if (!m->grows || !advice_is_cmap(m))
			continue;
		hint = map_hint(m);
		if (!hint)
			continue;
		v[n] = (struct hint_line){ .key = hint_key(m, hint), .map = i, .hint = hint };
		if (!v[n++].key)
			err = -ENOMEM;
	}
	if (!err && n) {
		/* group alike lines, then tell the groups in the order of their costliest map */
		qsort(v, (size_t)n, sizeof(*v), cmp_hint_line);
		for (int i = 0, j; i < n; i = j) {
			for (j = i; j < n && !strcmp(v[j].key, v[i].key); j++)
				v[j].first = v[i].map;
		}
		qsort(v, (size_t)n, sizeof(*v), cmp_hint_first);
		for (int i = 0, j; i < n && !err; i = j) {
			for (j = i; j < n && v[j].first == v[i].first; j++)
				;
			err = hint_advice(r, &v[i], j - i, a);
		}
	}
	for (int i = 0; i < n; i++)
		free(v[i].key);
	free(v);
	return err;
}

/* A read-mostly sync map whose reads keep missing its snapshot. */
static int rule_sync_misses(const struct report *r, struct advice_list *a)
{
	for (int i = 0; i < r->nmaps; i++) {
		const struct map_report *m = &r->maps[i];
		char addr[24], ratio[32];
		int err;

		if (m->sync_misses + m->sync_hits < SYNC_MIN_READS)
			continue;
		/* Go's sync.Map: its hits are not counted, so no ratio (rule_go_sync_map) */
		if (!report__sync_hits_known(m))
			continue;
		if ((unsigned __int128)m->sync_misses * SYNC_MISS_DEN <=
		    (unsigned __int128)m->sync_hits * SYNC_MISS_NUM)
			continue;
		if (m->sync_hits)
			snprintf(ratio, sizeof(ratio), "misses/hits = %.1f",
				 (double)m->sync_misses / (double)m->sync_hits);
		else
			snprintf(ratio, sizeof(ratio), "every read missed");
		err = advice_add(
			a,
			"sync map %s: %s (%llu misses, %llu hits, %llu promotions): writes "
			"are too frequent for a read-mostly map; use a sharded or rwlock map",
			advice_fmt_addr(addr, sizeof(addr), m->addr), ratio,
			(unsigned long long)m->sync_misses, (unsigned long long)m->sync_hits,
			(unsigned long long)m->promotions);
		if (err)
			return err;
	}
	return 0;
}

/* A map that deletes left far larger than what it holds: deletes never shrink a map. */
static int rule_compact(const struct report *r, struct advice_list *a)
{
	for (int i = 0; i < r->nmaps; i++) {
		const struct map_report *m = &r->maps[i];
		__u64 live = m->count > 1 ? (__u64)m->count : 1;
		char addr[24], peak[48] = "", fix[96];
		int err;

		if (m->count < 0 || !m->deletes || m->buckets <= COMPACT_MIN_BUCKETS)
			continue;
		if ((unsigned __int128)m->capacity < (unsigned __int128)live * COMPACT_FACTOR)
			continue;
		if (m->peak_count > (__u64)m->count)
			snprintf(peak, sizeof(peak), " (peak %llu)",
				 (unsigned long long)m->peak_count);
		if (advice_is_cmap(m) && m->variant == CMAP_PLAIN)
			snprintf(fix, sizeof(fix), "call cmap_compact() to give memory back");
		else if (advice_is_cmap(m) && m->variant > CMAP_PLAIN)
			snprintf(
				fix, sizeof(fix),
				"copy it into a new map created with hint %lld to give memory back",
				(long long)m->count);
		else
			snprintf(fix, sizeof(fix),
				 "rebuild it at its live size to give memory back");
		err = advice_add(
			a,
			"map %s: holds %lld entries%s in %llu buckets (capacity %llu) after "
			"%llu deletes; %s",
			advice_fmt_addr(addr, sizeof(addr), m->addr), (long long)m->count, peak,
			(unsigned long long)m->buckets, (unsigned long long)m->capacity,
			(unsigned long long)m->deletes, fix);
		if (err)
			return err;
	}
	return 0;
}

/*
 * A std::unordered_* container that rehashed as it filled: reserve(N) for its peak count
 * allocates the buckets once (libstdc++ then rehashes only past N entries).  Its resizes are
 * not timed: the rehash itself runs inlined in the program's code.
 */
static int cxx_reserve(const struct map_report *m, struct advice_list *a)
{
	int last = (m->nsizes < MT_MAX_SIZES ? m->nsizes : MT_MAX_SIZES) - 1;
	char addr[24], path[64] = "", peak[48] = "", fix[96];

	if (last >= 1)
		snprintf(path, sizeof(path), " (%llu -> %llu buckets)",
			 (unsigned long long)m->sizes[0], (unsigned long long)m->sizes[last]);
	if (m->peak_count) {
		snprintf(peak, sizeof(peak), " to %llu entries", (unsigned long long)m->peak_count);
		snprintf(fix, sizeof(fix), "call m.reserve(%llu) before filling it",
			 (unsigned long long)m->peak_count);
	} else {
		snprintf(fix, sizeof(fix), "call m.reserve(N) before filling it, N its peak count");
	}
	return advice_add(a,
			  "std::unordered container %s: rehashed %llu times%s as it grew%s; %s "
			  "(its buckets are then allocated once)",
			  advice_fmt_addr(addr, sizeof(addr), m->addr), (unsigned long long)m->grows, path,
			  peak, fix);
}

/*
 * A map of a probe profile (GLib, Redis, --probe) that grew: quote its size path and the time
 * its resizes and rehash steps took.  There is no hint to name: each library presizes its own
 * way, if at all.
 */
static int rule_profile_grows(const struct report *r, struct advice_list *a)
{
	for (int i = 0; i < r->nmaps; i++) {
		const struct map_report *m = &r->maps[i];
		int last = (m->nsizes < MT_MAX_SIZES ? m->nsizes : MT_MAX_SIZES) - 1;
		char addr[24], path[64] = "", dur[16], el[16], rehash[160] = "", where[320] = "";
		int err;

		if (advice_is_cmap(m) || !m->grows || (is_go(m) && map_hint(m)) || is_goswiss(m))
			continue;
		if (advice_is_cxx(m)) {
			err = cxx_reserve(m, a);
			if (err)
				return err;
			continue;
		}
		if (last >= 1) {
			__u64 peak = 0;

			for (int j = 0; j <= last; j++)
				peak = m->sizes[j] > peak ? m->sizes[j] : peak;
			/* a table that shrank again: its peak is the size to plan for */
			if (peak != m->sizes[last])
				snprintf(path, sizeof(path), " (%llu -> %llu -> %llu slots)",
					 (unsigned long long)m->sizes[0], (unsigned long long)peak,
					 (unsigned long long)m->sizes[last]);
			else
				snprintf(path, sizeof(path), " (%llu -> %llu slots)",
					 (unsigned long long)m->sizes[0],
					 (unsigned long long)m->sizes[last]);
		}
		if (m->create_seen && m->created_at && m->created_at[0])
			snprintf(where, sizeof(where), " (%s%screated at %s)", m->name ? m->name : "",
				 m->name && m->name[0] ? ", " : "", m->created_at);
		else if (!m->create_seen)
			snprintf(where, sizeof(where), " (%s%screated before tracing)",
				 m->name ? m->name : "", m->name && m->name[0] ? ", " : "");
		if (m->grows_done && m->rehash_steps)
			snprintf(rehash, sizeof(rehash),
				 ", rehashed incrementally in %llu steps over %s",
				 (unsigned long long)m->rehash_steps,
				 report__fmt_ns(el, sizeof(el), m->rehash_elapsed_ns));
		err = advice_add(a,
				 "%s map %s%s: grew %llu times%s, %s in resizes and rehash steps%s; "
				 "size it for its peak when it is created (or before traffic reaches "
				 "it) if the library allows",
				 m->library, advice_fmt_addr(addr, sizeof(addr), m->addr), where,
				 (unsigned long long)m->grows, path,
				 report__fmt_ns(dur, sizeof(dur), m->grow_ns_total), rehash);
		if (err)
			return err;
	}
	return 0;
}

/* A Go map's type as make() takes it: "map[int]int", or map[K]V when the binary did not say. */
static const char *go_type(const struct map_report *m)
{
	return m->go_type && m->go_type[0] ? m->go_type : "map[K]V";
}

/*
 * A Go map that grew, in Go's terms: the make() size hint that would have avoided every grow,
 * from the most it held, with its type when the binary gave it (else make(map[K]V, N)).
 */
static int rule_go_make(const struct report *r, struct advice_list *a)
{
	for (int i = 0; i < r->nmaps; i++) {
		const struct map_report *m = &r->maps[i];
		int last = (m->nsizes < MT_MAX_SIZES ? m->nsizes : MT_MAX_SIZES) - 1;
		char addr[24], path[64] = "", dur[16], where[320] = "";
		__u64 hint;
		int err;

		if (!is_go(m) || !m->grows || !(hint = map_hint(m)))
			continue;
		if (last >= 1)
			snprintf(path, sizeof(path), " (%llu -> %llu buckets)",
				 (unsigned long long)m->sizes[0], (unsigned long long)m->sizes[last]);
		if (m->create_seen && m->created_at && m->created_at[0])
			snprintf(where, sizeof(where), " (created at %s)", m->created_at);
		/*
		 * Its creation was not probed (makemap only with --detail): a first size of one
		 * bucket (B 0) is what make() without a hint, or with one of 8 or less, gives
		 */
		else if (!m->create_seen && m->first_grown_at && m->first_grown_at[0])
			snprintf(where, sizeof(where), " (%sfirst grew at %s)",
				 m->nsizes && m->sizes[0] == 1 ? "made with no size hint; " : "",
				 m->first_grown_at);
		else if (!m->create_seen)
			snprintf(where, sizeof(where), " (created before tracing)");
		err = advice_add(a,
				 "Go map %s%s: grew %llu times%s, %s in runtime.hashGrow; it held "
				 "up to %llu entries: create it with make(%s, %llu)",
				 advice_fmt_addr(addr, sizeof(addr), m->addr), where,
				 (unsigned long long)m->grows, path,
				 report__fmt_ns(dur, sizeof(dur), m->grow_ns_total),
				 (unsigned long long)(m->peak_count > (__u64)(m->count > 0 ? m->count : 0)
							      ? m->peak_count : (__u64)m->count),
				 go_type(m), (unsigned long long)hint);
		if (err)
			return err;
	}
	return 0;
}

/*
 * A Go sync.Map whose reads miss its snapshot: each miss takes its mutex, and the promotions
 * copy the dirty map again and again.  Its hits are not counted (Load's fast path is not
 * probed), so no ratio: the misses and promotions themselves.
 */
static int rule_go_sync_map(const struct report *r, struct advice_list *a)
{
	for (int i = 0; i < r->nmaps; i++) {
		const struct map_report *m = &r->maps[i];
		char addr[24];
		int err;

		if (report__sync_hits_known(m) || m->sync_misses < SYNC_MIN_READS)
			continue;
		err = advice_add(a,
				 "sync.Map %s: %llu reads missed its read-only snapshot and took its "
				 "mutex, and its dirty map was promoted %llu times: sync.Map suits "
				 "stable, read-mostly keys; if its keys keep changing, a map guarded "
				 "by a sync.RWMutex, or sharded, does better",
				 advice_fmt_addr(addr, sizeof(addr), m->addr),
				 (unsigned long long)m->sync_misses, (unsigned long long)m->promotions);
		if (err)
			return err;
	}
	return 0;
}

/*
 * A Swiss-table map that grew: make(map[K]V, N) with at least the count at its last grow
 * (NewMap sizes its tables for the hint).  Its creation is probed only with --detail (makemap
 * is hot): then "created at", with the hint make() gave; else the garbage collector's reuse of a
 * freed map's memory for the next makes a row whose sizes fall back several maps made one after
 * another at one address.
 */
#define SEVERAL_MAPS                                                                              \
	", several maps one after another at this address (the garbage collector reuses their "  \
	"memory)"

static int rule_goswiss_make(const struct report *r, struct advice_list *a)
{
	for (int i = 0; i < r->nmaps; i++) {
		const struct map_report *m = &r->maps[i];
		int n = m->nsizes < MT_MAX_SIZES ? m->nsizes : MT_MAX_SIZES;
		__u64 peak = m->peak_count, top = 0;
		bool several = false;
		char addr[24], where[320] = "", make[1024];
		int err;

		if (m->count > 0 && (__u64)m->count > peak)
			peak = (__u64)m->count;
		if (!is_goswiss(m) || !m->grows || !peak || n < 1)
			continue;
		for (int j = 0; j < n; j++) {
			several = several || (j && m->sizes[j] < m->sizes[j - 1]);
			top = m->sizes[j] > top ? m->sizes[j] : top;
		}
		if (m->create_seen && m->created_at && m->created_at[0] && m->hint)
			snprintf(where, sizeof(where), " (created at %s with size hint %llu)",
				 m->created_at, (unsigned long long)m->hint);
		else if (m->create_seen && m->created_at && m->created_at[0])
			snprintf(where, sizeof(where), " (created at %s)", m->created_at);
		/* its count read as the program exited: what it held, as for Go 1.19's maps */
		if (m->count > 0)
			snprintf(make, sizeof(make),
				 "held up to %llu entries: create it with make(%s, %llu)",
				 (unsigned long long)peak, go_type(m), (unsigned long long)peak);
		else
			snprintf(make, sizeof(make),
				 "had %llu entries when it last grew (its count is not read after): "
				 "create it with make(%s, N), N at least %llu",
				 (unsigned long long)peak, go_type(m), (unsigned long long)peak);
		err = advice_add(a, "Go map %s%s: grew %llu times (%llu -> %llu slots)%s; it %s",
				 advice_fmt_addr(addr, sizeof(addr), m->addr), where,
				 (unsigned long long)m->grows, (unsigned long long)m->sizes[0],
				 (unsigned long long)top, several ? SEVERAL_MAPS : "", make);
		if (err)
			return err;
	}
	return 0;
}

static const struct {
	const char *name;
	int (*fn)(const struct report *r, struct advice_list *a);
} rules[] = {
	{ "size-hint", rule_size_hint },
	{ "go-make", rule_go_make },
	{ "goswiss-make", rule_goswiss_make },
	{ "profile-grows", rule_profile_grows },
	{ "lock", advice_rule_lock },
	{ "shard-spread", advice_rule_shard_spread },
	{ "false-sharing", advice_rule_false_sharing },
	{ "sync-misses", rule_sync_misses },
	{ "go-sync-map", rule_go_sync_map },
	{ "compact", rule_compact },
};

static void advice_list_free(char **v, int n)
{
	for (int i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

int advice__build(struct report *r)
{
	struct advice_list a = { 0 };
	int err = 0;

	advice_list_free(r->advice, r->nadvice);
	r->advice = NULL;
	r->nadvice = 0;
	for (size_t i = 0; i < ARRAY_SIZE(rules) && !err; i++)
		err = rules[i].fn(r, &a);
	if (err) {
		advice_list_free(a.v, a.n);
		return err;
	}
	r->advice = a.v;
	r->nadvice = a.n;
	return 0;
}
