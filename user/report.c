// SPDX-License-Identifier: MIT
/* The backend table and the helpers every backend shares. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "advice.h"
#include "report.h"
#include "u64map.h"
#include "util.h"

/* Adding a format: one new report_<name>.c and one line here. */
static const struct report_backend *const backends[] = {
	&report_text_backend,
	&report_json_backend,
	&report_folded_backend,
	&report_pprof_backend,
	&report_chrome_backend,
	&report_html_backend,
};

const struct report_backend *report_backend__find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(backends); i++) {
		if (!strcmp(backends[i]->name, name))
			return backends[i];
	}
	return NULL;
}

const struct report_backend *report_backend__get(int i)
{
	if (i < 0 || (size_t)i >= ARRAY_SIZE(backends))
		return NULL;
	return backends[i];
}

/*
 * Keep lock contention in .locks and move every other futex wait (a thread waiting for another
 * to signal, arrive or exit) to .waits, both in their order of cost, and total the waits by kind.
 */
static int split_waits(struct report *r)
{
	int nl = 0;

	r->waits = calloc(r->nlocks ? (size_t)r->nlocks : 1, sizeof(*r->waits));
	if (!r->waits)
		return -ENOMEM;
	for (int i = 0; i < r->nlocks; i++) {
		const struct lock_report *l = &r->locks[i];

		if (lockkind__is_lock(l->kind)) {
			r->locks[nl++] = *l;
			continue;
		}
		if (l->kind >= 0 && l->kind < MT_LOCK_KINDS) {
			r->wait_kinds[l->kind].count += l->contentions;
			r->wait_kinds[l->kind].ns += l->wait_ns;
		}
		r->waits[r->nwaits++] = *l;
	}
	r->nlocks = nl;
	return 0;
}

static int cmp_lock_addr(const void *a, const void *b)
{
	const struct lock_report *x = *(const struct lock_report *const *)a;
	const struct lock_report *y = *(const struct lock_report *const *)b;

	return (x->addr > y->addr) - (x->addr < y->addr);
}

/* The last cache line lock @l's hot bytes touch. */
static __u64 hot_last_line(const struct lock_report *l)
{
	return (l->addr + REPORT_LOCK_HOT_BYTES - 1) / REPORT_CACHE_LINE * REPORT_CACHE_LINE;
}

/*
 * Group the contended locks whose hot bytes share a cache line (REPORT_LOCK_HOT_BYTES): in
 * address order, a lock joins the group before it when its first line is that group's last.
 */
static int find_line_shares(struct report *r)
{
	const struct lock_report **v = calloc(r->nlocks ? (size_t)r->nlocks : 1, sizeof(*v));
	int n = 0, cap = 0, err = 0;

	if (!v)
		return -ENOMEM;
	for (int i = 0; i < r->nlocks; i++) {
		if (r->locks[i].contentions)
			v[n++] = &r->locks[i];
	}
	qsort(v, (size_t)n, sizeof(*v), cmp_lock_addr);
	for (int i = 0, j; i < n && !err; i = j) {
		struct line_share *g;
		__u64 last = hot_last_line(v[i]);

		for (j = i + 1; j < n; j++) {
			__u64 first = v[j]->addr / REPORT_CACHE_LINE * REPORT_CACHE_LINE;

			/* words of one lock (an rwlock's) are one lock, not a neighbour */
			if (v[j]->addr - v[j - 1]->addr < REPORT_LOCK_HOT_BYTES || first != last)
				break;
			last = hot_last_line(v[j]);
		}
		if (j - i < 2)
			continue;
		if (GROW(r->line_shares, r->nline_shares, cap, 4)) {
			err = -ENOMEM;
			break;
		}
		g = &r->line_shares[r->nline_shares++];
		*g = (struct line_share){ .nlocks = j - i, .last_line = last };
		g->first_line = hot_last_line(v[i]);
		for (int k = i; k < j; k++) {
			if (k - i < REPORT_LINE_SHARE_MAX)
				g->locks[k - i] = v[k]->addr;
			g->contentions += v[k]->contentions;
			g->wait_ns += v[k]->wait_ns;
		}
	}
	free(v);
	return err;
}

char *report__fmt_go_runtime(char *buf, size_t size, const struct report *r)
{
	__u64 np = r->wait_kinds[MT_LOCK_GO_PARK].count, pns = r->wait_kinds[MT_LOCK_GO_PARK].ns;
	__u64 nl = r->wait_kinds[MT_LOCK_GO_RTLOCK].count;
	__u64 lns = r->wait_kinds[MT_LOCK_GO_RTLOCK].ns;
	char park[16], lock[16];

	if (!np && !nl)
		return NULL;
	snprintf(buf, size,
		 "Go runtime's own futex waits (no map's lock): %llu parking idle threads (%s), "
		 "%llu in runtime.lock2 (%s)",
		 (unsigned long long)np, report__fmt_ns(park, sizeof(park), pns),
		 (unsigned long long)nl, report__fmt_ns(lock, sizeof(lock), lns));
	return buf;
}

char *report__fmt_line_share(char *buf, size_t size, const struct line_share *g)
{
	size_t len = 0;
	int shown = g->nlocks < REPORT_LINE_SHARE_MAX ? g->nlocks : REPORT_LINE_SHARE_MAX;

	buf[0] = '\0';
	for (int i = 0; i < shown && len < size; i++)
		len += (size_t)snprintf(buf + len, size - len, "%s0x%llx", i ? ", " : "",
					(unsigned long long)g->locks[i]);
	if (g->nlocks > shown && len < size)
		snprintf(buf + len, size - len, " and %d more", g->nlocks - shown);
	return buf;
}

/* A Go runtime map (the go profile's). */
static bool is_go_row(const struct map_report *m)
{
	return m->library && !strcmp(m->library, "go");
}

static bool is_goswiss_row(const struct map_report *m)
{
	return m->library && !strcmp(m->library, "goswiss");
}

/* Is @name one of the comma-separated names of @list? */
static bool in_list(const char *list, const char *name)
{
	size_t n = name ? strlen(name) : 0;

	for (const char *p = list; n && p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
		if (!strncmp(p, name, n) && (p[n] == ',' || !p[n]))
			return true;
	return false;
}

int report__build_sel(struct model *m, bool final, int top, const struct report_select *sel,
		      struct report **out)
{
	struct report *r;
	bool go_creates = false; /* a Go map's creation was seen: makemap was probed */
	bool swiss_creates = false; /* the same for Swiss tables: makemap_small, NewMap */
	int err = model__snapshot(m, final, &r);

	*out = NULL;
	if (err)
		return err;
	/* maps whose creation was not seen (made before attach): over every row, before any filter */
	r->before_attach.maps = r->before_attach.freed;
	for (int i = 0; i < r->nmaps; i++) {
		go_creates |= r->maps[i].create_seen && is_go_row(&r->maps[i]);
		swiss_creates |= r->maps[i].create_seen && is_goswiss_row(&r->maps[i]);
	}
	for (int i = 0; i < r->nmaps; i++) {
		const struct map_report *mr = &r->maps[i];

		if (mr->create_seen)
			continue;
		/*
		 * A Go map's creation is probed only with --detail: without, an unseen one says
		 * nothing of when it was made.  A Go map first seen growing from one bucket (B 0)
		 * missed none of its grows either way.
		 */
		if (is_go_row(mr) && (!go_creates || (mr->nsizes && mr->sizes[0] == 1)))
			continue;
		/*
		 * A Swiss map's creation is probed only with --detail: without, each is first seen
		 * at a resize, as a profile's with no create probe.  With it, one first seen growing
		 * from its one group of 8 slots (growToTable) missed no grow: a map the compiler
		 * made inline on a goroutine's stack, with no creation call.
		 */
		if (is_goswiss_row(mr) && !swiss_creates) {
			r->before_attach.unmade++;
			continue;
		}
		if (is_goswiss_row(mr) && mr->nsizes && mr->sizes[0] == 8)
			continue;
		/* a Go sync.Map: known from its misses, its creation never probed */
		if (!report__sync_hits_known(mr))
			continue;
		/* no probe sees such a map made: first seen at a resize says nothing of when */
		if (in_list(r->info.unmade, mr->library)) {
			r->before_attach.unmade++;
			continue;
		}
		r->before_attach.maps++;
		if (mr->first_count > 0 && (__u64)mr->first_count > r->before_attach.count) {
			r->before_attach.addr = mr->addr;
			r->before_attach.count = (__u64)mr->first_count;
		}
	}
	/* advice weighs every row, before the filters and --top leave some out */
	err = split_waits(r) ?: find_line_shares(r) ?: advice__build(r);
	if (!err && sel)
		err = report__filter(r, sel);
	if (err) {
		report__free(r);
		return err;
	}
	if (sel && sel->sort)
		report__sort(r, sel->sort);
	/* the rows --top leaves out release their histograms now: report__free() sees only the rest */
	for (int i = top; top > 0 && i < r->nmaps; i++)
		hist__free(&r->maps[i].grow_hist);
	for (int i = top; top > 0 && i < r->nlocks; i++)
		hist__free(&r->locks[i].hist);
	for (int i = top; top > 0 && i < r->nwaits; i++)
		hist__free(&r->waits[i].hist);
	if (top > 0 && r->nmaps > top)
		r->nmaps = top;
	if (top > 0 && r->nlocks > top)
		r->nlocks = top;
	if (top > 0 && r->nwaits > top)
		r->nwaits = top;
	*out = r;
	return 0;
}

int report__build(struct model *m, bool final, int top, struct report **out)
{
	return report__build_sel(m, final, top, NULL, out);
}

void report__free(struct report *r)
{
	if (!r)
		return;
	for (int i = 0; i < r->nadvice; i++)
		free(r->advice[i]);
	free(r->advice);
	for (int i = 0; r->maps && i < r->nmaps; i++)
		hist__free(&r->maps[i].grow_hist);
	for (int i = 0; r->locks && i < r->nlocks; i++)
		hist__free(&r->locks[i].hist);
	for (int i = 0; r->waits && i < r->nwaits; i++)
		hist__free(&r->waits[i].hist);
	free(r->maps);
	free(r->locks);
	free(r->waits);
	free(r->line_shares);
	free(r->stack_canon);
	free(r);
}

__u64 report__duration_ns(const struct report *r)
{
	/* An interval snapshot taken before the first clock reading must not print 584 years. */
	if (r->info.end_mono_ns <= r->info.start_mono_ns)
		return 0;
	return r->info.end_mono_ns - r->info.start_mono_ns;
}

bool report__nothing_seen(const struct report *r)
{
	/* the library's totals saw maps made or freed: small ones, which fire no probe */
	bool lib_work = r->lib_totals_seen && (r->lib_totals.created || r->lib_totals.freed);

	return r->final && r->info.target_exited && !r->nmaps && !r->nlocks && !r->nwaits &&
	       !lib_work && report__duration_ns(r) < 1000000000ULL;
}

__u64 report__dropped_total(const struct report *r)
{
	__u64 sum = 0;

	for (int i = 0; i < MT_DROP_MAX; i++)
		sum += r->dropped[i];
	return sum;
}

int report__stack_id(const struct report *r, int idx)
{
	if (idx < 0 || idx >= r->nstacks || !r->stack_canon)
		return idx;
	return r->stack_canon[idx];
}

const struct mt_stack *report__stack(const struct report *r, int idx)
{
	/* Indexes come from files too: never trust one to be inside the table. */
	if (idx < 0 || idx >= r->nstacks || !r->stacks)
		return NULL;
	return &r->stacks[report__stack_id(r, idx)];
}

const struct map_report *report__find_map(const struct report *r, __u64 addr)
{
	for (int i = 0; i < r->nmaps; i++) {
		if (r->maps[i].addr == addr)
			return &r->maps[i];
	}
	return NULL;
}

char *report__fmt_ns(char *buf, size_t size, __u64 ns)
{
	/* limit: move to the next unit before rounding would print "1000us" (or 6 digits of s) */
	static const struct {
		double scale, limit;
		const char *unit;
	} units[] = {
		{ 1e3, 999.5, "us" },
		{ 1e6, 999.5, "ms" },
		{ 1e9, 99999.5, "s" },
		{ 3.6e12, 0, "h" }, /* summed waits of many threads can exceed a day */
	};
	size_t last = ARRAY_SIZE(units) - 1, u;
	double v = 0;

	if (ns < 1000) {
		snprintf(buf, size, "%lluns", (unsigned long long)ns);
		return buf;
	}
	for (u = 0; u < last; u++) {
		v = (double)ns / units[u].scale;
		if (v < units[u].limit)
			break;
	}
	if (u == last)
		v = (double)ns / units[u].scale;
	if (v < 9.995)
		snprintf(buf, size, "%.2f%s", v, units[u].unit);
	else if (v < 99.95)
		snprintf(buf, size, "%.1f%s", v, units[u].unit);
	else
		snprintf(buf, size, "%.0f%s", v, units[u].unit);
	return buf;
}

const char *report__module_base(const char *module)
{
	const char *slash;

	if (!module)
		return "";
	slash = strrchr(module, '/');
	return slash ? slash + 1 : module;
}

char *report__fmt_frame(char *buf, size_t size, const struct mt_frame *f)
{
	const char *mod = report__module_base(f->module);
	size_t n;

	/* "name?+0x32b": only the nearest exported symbol below, not the function itself */
	if (f->func && f->func[0])
		n = (size_t)snprintf(buf, size, "%s%s+0x%llx", f->func,
				     f->exact || (f->file && f->file[0]) ? "" : "?",
				     (unsigned long long)f->offset);
	else
		n = (size_t)snprintf(buf, size, "0x%llx", (unsigned long long)f->ip);
	if (n < size && f->file && f->file[0])
		n += (size_t)snprintf(buf + n, size - n, " (%s:%u)", f->file, f->line);
	if (n < size && mod[0])
		snprintf(buf + n, size - n, " [%s]", mod);
	return buf;
}

/*
 * Frames of the lock implementation itself (glibc's futex wait, the pthread lock entry
 * points): every waiting stack starts with them, and on one line they would hide the caller.
 */
static bool frame_is_lock_internal(const struct mt_frame *f)
{
	static const char *const prefixes[] = {
		"__lll_",     "lll_",	  "futex",	 "__futex",	    "___pthread_",
		"__pthread_", "pthread_", "__GI___lll_", "__GI___pthread_", "__GI___futex",
	};
	const char *mod = report__module_base(f->module);

	if (!strncmp(mod, "libc.so", 7) || !strncmp(mod, "libc-", 5) ||
	    !strncmp(mod, "libpthread", 10))
		return true;
	for (size_t i = 0; f->func && i < ARRAY_SIZE(prefixes); i++) {
		if (!strncmp(f->func, prefixes[i], strlen(prefixes[i])))
			return true;
	}
	return false;
}

const struct mt_frame *report__own_frame(const struct report *r, int idx)
{
	const struct mt_stack *st = report__stack(r, idx);

	for (int i = 0; st && i < st->nframes; i++) {
		if (!frame_is_lock_internal(&st->frames[i]))
			return &st->frames[i];
	}
	return NULL;
}

/* A frame of libcmap itself: its lock is released there, around the caller's work. */
static bool frame_in_map_library(const struct mt_frame *f)
{
	const char *base = report__module_base(f->module ? f->module : "");

	return (f->func && (!strncmp(f->func, "cmap_", 5) || !strncmp(f->func, "ccmap_", 6))) ||
	       (f->file && (!strcmp(f->file, "cmap.c") || !strcmp(f->file, "ccmap.c"))) ||
	       !strncmp(base, "libcmap", 7);
}

const struct mt_frame *report__hold_site(const struct report *r, int idx)
{
	const struct mt_frame *own = report__own_frame(r, idx);
	const struct mt_stack *st = report__stack(r, idx);

	if (!own || !frame_in_map_library(own))
		return own;
	for (const struct mt_frame *f = own; f < st->frames + st->nframes; f++) {
		if (!frame_in_map_library(f))
			return f->func && f->func[0] ? f : own;
	}
	return own;
}

char *report__fmt_stack_line(char *buf, size_t size, const struct report *r, int idx,
			     int max_frames)
{
	const struct mt_stack *st = report__stack(r, idx);
	size_t n = 0;
	int first = 0, last;

	if (!st || !st->nframes) {
		snprintf(buf, size, "-");
		return buf;
	}
	/* Skip the lock internals only when a caller remains to be shown. */
	while (first < st->nframes && frame_is_lock_internal(&st->frames[first]))
		first++;
	if (first == st->nframes)
		first = 0;
	last = max_frames > 0 && first + max_frames < st->nframes ? first + max_frames :
								    st->nframes;
	buf[0] = '\0';
	for (int i = first; i < last && n < size; i++) {
		const struct mt_frame *f = &st->frames[i];
		const char *sep = i > first ? " <- " : "";

		if (f->func && f->func[0])
			n += (size_t)snprintf(buf + n, size - n, "%s%s", sep, f->func);
		else
			n += (size_t)snprintf(buf + n, size - n, "%s0x%llx", sep,
					      (unsigned long long)f->ip);
	}
	return buf;
}

char *report__lock_label(char *buf, size_t size, const struct lock_report *l)
{
	if (l->folded)
		snprintf(buf, size, "(%llu cold words)", (unsigned long long)l->folded);
	else if (l->name && l->name[0])
		snprintf(buf, size, "%s (0x%llx)", l->name, (unsigned long long)l->addr);
	else
		snprintf(buf, size, "0x%llx", (unsigned long long)l->addr);
	return buf;
}

bool report__sync_hits_known(const struct map_report *m)
{
	return !m->library || strcmp(m->library, "gosync");
}

char *report__evac_text(char *buf, size_t size, const struct map_report *m)
{
	char el[16];
	int n;

	if (!m->evac_of)
		return size ? (*buf = '\0', buf) : buf;
	n = snprintf(buf, size, "evacuating: %llu of %llu old buckets moved (%llu%%)",
		     (unsigned long long)m->evac_pos, (unsigned long long)m->evac_of,
		     (unsigned long long)(m->evac_pos * 100 / m->evac_of));
	/* the grow's time is known when its resize was seen, not for a map first seen evacuating */
	if (m->evac_elapsed_ns && n > 0 && (size_t)n < size)
		snprintf(buf + n, size - (size_t)n, ", %s since its grow",
			 report__fmt_ns(el, sizeof(el), m->evac_elapsed_ns));
	return buf;
}

const char *report__mode_name(unsigned int mode)
{
	switch (mode) {
	case MT_MODE_WRITE:
		return "write";
	case MT_MODE_READ:
		return "read";
	default:
		return "unknown";
	}
}

int report__kinds(const struct report_opts *o, bool *locks, bool *grows)
{
	enum report_weight weight = o ? o->weight : REPORT_WEIGHT_DEFAULT;
	enum report_what what = o ? o->what : REPORT_WHAT_ALL;

	*locks = what == REPORT_WHAT_ALL || what == REPORT_WHAT_LOCKS;
	*grows = what == REPORT_WHAT_ALL || what == REPORT_WHAT_GROWS;
	if (weight == REPORT_WEIGHT_WAIT_NS) {
		if (!*locks)
			return -EINVAL;
		*grows = false;
	} else if (weight == REPORT_WEIGHT_REHASH_NS) {
		if (!*grows)
			return -EINVAL;
		*locks = false;
	}
	return *locks || *grows ? 0 : -EINVAL;
}

char *report__frame_name(char *buf, size_t size, const struct mt_frame *f)
{
	const char *mod = report__module_base(f->module);

	if (f->func && f->func[0])
		snprintf(buf, size, "%s", f->func);
	else if (mod[0])
		snprintf(buf, size, "%s+0x%llx", mod, (unsigned long long)f->offset);
	else
		snprintf(buf, size, "[unknown]");
	/* names come from the target's files: a control character would break a line format */
	for (char *p = buf; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	return buf;
}

struct report_replay {
	struct u64map row_locks; /* lock addresses of the report's rows */
	struct u64map row_maps;	 /* map addresses of the report's rows */
};

struct report_replay *report_replay__new(const struct report *r, bool waits)
{
	struct report_replay *rp = calloc(1, sizeof(*rp));
	int err = 0;

	if (!rp)
		return NULL;
	for (int i = 0; i < r->nlocks && !err; i++)
		err = u64map__put(&rp->row_locks, r->locks[i].addr, 1);
	for (int i = 0; waits && i < r->nwaits && !err; i++)
		err = u64map__put(&rp->row_locks, r->waits[i].addr, 1);
	for (int i = 0; i < r->nmaps && !err; i++)
		err = u64map__put(&rp->row_maps, r->maps[i].addr, 1);
	if (err) {
		report_replay__free(rp);
		return NULL;
	}
	return rp;
}

void report_replay__free(struct report_replay *rp)
{
	if (!rp)
		return;
	u64map__free(&rp->row_locks);
	u64map__free(&rp->row_maps);
	free(rp);
}

/* The model says which lock or map each event was charged to: count it if that row is shown. */
bool report_replay__step(struct report_replay *rp, const struct model_event *ev, __u64 *owner)
{
	const struct u64map *rows;

	*owner = ev->owner;
	if (!ev->counted)
		return false;
	rows = ev->ev.kind == MT_EV_WAIT ? &rp->row_locks : &rp->row_maps;
	return u64map__get(rows, ev->owner, NULL);
}

/* (stack, object) -> cost, while summing. */
struct cost_table {
	struct u64map idx; /* key: hash of (stack, object) chain; val: index into v */
	struct report_cost *v;
	size_t n, cap;
};

static int cost_table__add(struct cost_table *t, int stack, __u64 object, __u64 count, __u64 ns)
{
	__u64 key = mix64(object) ^ (__u64)(__s64)stack, idx;

	/* distinct (stack, object) pairs may share a key: rehash the key along a chain */
	for (;; key = mix64(key + 1)) {
		if (!u64map__get(&t->idx, key, &idx))
			break;
		if (t->v[idx].stack == stack && t->v[idx].object == object) {
			t->v[idx].count += count;
			t->v[idx].ns += ns;
			return 0;
		}
	}
	if (GROW(t->v, t->n, t->cap, 64))
		return -ENOMEM;
	if (u64map__put(&t->idx, key, t->n))
		return -ENOMEM;
	t->v[t->n++] = (struct report_cost){ stack, object, count, ns };
	return 0;
}

static int cmp_cost(const void *a, const void *b)
{
	const struct report_cost *x = a, *y = b;

	if (x->stack != y->stack)
		return x->stack < y->stack ? -1 : 1;
	if (x->object != y->object)
		return x->object < y->object ? -1 : 1;
	return 0;
}

/* Costs from the rows' top stacks, with the rest of each row's total on REPORT_STACK_OTHER. */
static int costs_from_rows(const struct report *r, enum report_what what, bool waits,
			   struct cost_table *t)
{
	const struct mt_stack_cost *top;
	__u64 object, count, ns;
	int ntop, err, rows = what != REPORT_WHAT_LOCKS ? r->nmaps :
			      r->nlocks + (waits ? r->nwaits : 0);

	for (int i = 0; i < rows; i++) {
		if (what == REPORT_WHAT_LOCKS) {
			const struct lock_report *l =
				i < r->nlocks ? &r->locks[i] : &r->waits[i - r->nlocks];

			object = l->addr;
			count = l->contentions;
			ns = l->wait_ns;
			top = l->top_stacks;
			ntop = l->ntop;
		} else {
			object = r->maps[i].addr;
			count = r->maps[i].grows + r->maps[i].same_size_grows + r->maps[i].shrinks;
			ns = r->maps[i].grow_ns_total;
			top = r->maps[i].top_stacks;
			ntop = r->maps[i].ntop;
		}
		for (int j = 0; j < ntop && j < MT_TOP_STACKS; j++) {
			err = cost_table__add(t, top[j].stack < 0 ? -1 : top[j].stack, object,
					      top[j].count, top[j].ns);
			if (err)
				return err;
			count -= top[j].count < count ? top[j].count : count;
			ns -= top[j].ns < ns ? top[j].ns : ns;
		}
		if (count || ns) {
			err = cost_table__add(t, REPORT_STACK_OTHER, object, count, ns);
			if (err)
				return err;
		}
	}
	return 0;
}

/* The locks' holder stacks, each weighed by its waking releases; the rest on [other stacks]. */
static int costs_holders(const struct report *r, bool waits, struct cost_table *t)
{
	int err, rows = r->nlocks + (waits ? r->nwaits : 0);

	for (int i = 0; i < rows; i++) {
		const struct lock_report *l = i < r->nlocks ? &r->locks[i] : &r->waits[i - r->nlocks];
		__u64 rest = l->holder_wakes;

		for (int j = 0; j < l->nholders && j < MT_TOP_STACKS; j++) {
			const struct mt_stack_cost *c = &l->holder_stacks[j];

			err = cost_table__add(t, c->stack < 0 ? -1 : c->stack, l->addr, c->count, 0);
			if (err)
				return err;
			rest -= c->count < rest ? c->count : rest;
		}
		if (rest && (err = cost_table__add(t, REPORT_STACK_OTHER, l->addr, rest, 0)))
			return err;
	}
	return 0;
}

const char *report__stack_placeholder(int idx)
{
	if (idx == REPORT_STACK_OTHER)
		return "[other stacks]";
	if (idx == REPORT_STACK_UNPROBED)
		return "[evacuation steps: not probed, see --detail]";
	return "[no stack]";
}

/*
 * The grow time of each map row that no event carried (its evacuation, measured by the map
 * itself while no probe saw each step), on REPORT_STACK_UNPROBED, so the costs add up to the
 * rows' totals.  @evented: the ns the events charged, by map address.
 */
static int costs_unprobed(const struct report *r, const struct u64map *evented,
			  struct cost_table *t)
{
	int err = 0;

	for (int i = 0; i < r->nmaps && !err; i++) {
		__u64 got = 0;

		u64map__get(evented, r->maps[i].addr, &got);
		if (r->maps[i].grow_ns_total > got)
			err = cost_table__add(t, REPORT_STACK_UNPROBED, r->maps[i].addr, 0,
					      r->maps[i].grow_ns_total - got);
	}
	return err;
}

static int costs_from_events(const struct report *r, enum report_what what, bool waits,
			     struct cost_table *t)
{
	struct report_replay *rp = report_replay__new(r, waits);
	struct u64map evented = {};
	int err = 0;

	if (!rp)
		return -ENOMEM;
	for (size_t i = 0; i < r->nevent_log && !err; i++) {
		const struct model_event *le = &r->event_log[i];
		const struct mt_event *ev = &le->ev;
		int stack = report__stack(r, le->stack) ? report__stack_id(r, le->stack) : -1;
		__u64 owner;

		if (!report_replay__step(rp, le, &owner))
			continue;
		switch (ev->kind) {
		case MT_EV_WAIT:
			if (what == REPORT_WHAT_LOCKS)
				err = cost_table__add(t, stack, owner, 1, ev->wait.wait_ns);
			break;
		case MT_EV_RESIZE:
		case MT_EV_MIGRATE: {
			/* moving entries is part of a grow's cost, not a grow of its own */
			bool resize = ev->kind == MT_EV_RESIZE;
			__u64 ns = resize ? ev->resize.dur_ns : ev->migrate.dur_ns, sum = 0;

			if (what != REPORT_WHAT_GROWS)
				break;
			u64map__get(&evented, owner, &sum);
			err = cost_table__add(t, stack, owner, resize, ns) ?:
			      u64map__put(&evented, owner, sum + ns);
			break;
		}
		}
	}
	if (!err && what == REPORT_WHAT_GROWS)
		err = costs_unprobed(r, &evented, t);
	u64map__free(&evented);
	report_replay__free(rp);
	return err;
}

int report__costs(const struct report *r, enum report_what what, bool waits,
		  struct report_cost **out, size_t *n, bool *exact)
{
	struct cost_table t = {};
	bool from_events = r->event_log != NULL;
	int err;

	*out = NULL;
	*n = 0;
	if (what != REPORT_WHAT_LOCKS && what != REPORT_WHAT_GROWS && what != REPORT_WHAT_HOLDERS)
		return -EINVAL;
	/* holders are kept per lock, not in the event log */
	if (what == REPORT_WHAT_HOLDERS)
		from_events = false;
	err = what == REPORT_WHAT_HOLDERS ? costs_holders(r, waits, &t) :
	      from_events		  ? costs_from_events(r, what, waits, &t) :
					    costs_from_rows(r, what, waits, &t);
	u64map__free(&t.idx);
	if (err) {
		free(t.v);
		return err;
	}
	if (t.n)
		qsort(t.v, t.n, sizeof(*t.v), cmp_cost);
	else
		free(t.v);
	*out = t.n ? t.v : NULL;
	*n = t.n;
	if (exact)
		*exact = from_events;
	return 0;
}
