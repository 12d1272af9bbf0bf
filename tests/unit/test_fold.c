// SPDX-License-Identifier: MIT
/*
 * Unit test of the model's folding (user/model_fold.c): the same events fed to a model that
 * keeps its events (so folds nothing) and to one that folds must give the same totals; freed
 * maps end in one row per creation site, cold futex words in few rows, the advice says one line
 * per site, and the event log stops at its cap with a count of what it did not keep.  No BPF,
 * no root.  Prints one "ok - ..." or "not ok - ..." line per check; non-zero exit on failure.
 */
/* timeout: 60 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "report.h"
#include "../tap.h"

#define MS	  1000000ULL
#define SEC	  1000000000ULL
#define MAPS	  3000
#define WORDS	  5000
#define FAMILIES  200 /* sharded maps of 4 shards */
#define SHARDS	  4
#define SNAPSHOTS 500 /* inner maps a live sync map makes and frees */
#define SYNC_MAP  0xa0000

static const struct mt_frame site_a[] = {
	{0x401000, 0x1000, "load_orders", "/opt/app/svc", "ab12", "orders.c", 88, 1},
};
static const struct mt_frame site_b[] = {
	{0x402000, 0x2000, "load_users", "/opt/app/svc", "ab12", "users.c", 12, 1},
};
static const struct mt_frame site_c[] = {
	{0x404000, 0x4000, "load_shards", "/opt/app/svc", "ab12", "shards.c", 7, 1},
};
static const struct mt_frame wait_site[] = {
	{0x7f0000001000, 0x1000, "__pthread_mutex_lock", "/lib/libc.so.6", "", "", 0, 0},
	{0x403000, 0x3000, "worker", "/opt/app/svc", "ab12", "worker.c", 40, 1},
};

static const struct mt_frame hold_site[] = {
	{0x7f0000002000, 0x13, "__lll_lock_wake", "/lib/libc.so.6", "", "", 0, 0},
	{0x405000, 0x5000, "update_stats", "/opt/app/svc", "ab12", "stats.c", 61, 1},
};

static void feed(struct model *m, struct mt_event ev, int stack)
{
	if (model__add_event(m, &ev, stack)) {
		fprintf(stderr, "model__add_event failed\n");
		exit(2);
	}
}

/*
 * MAPS maps, from two creation sites, at 16 addresses reused over and over: each grows twice
 * (0 -> 1 -> 2, the second timed longer on site B), is read and freed; one more map stays live.
 * Then WORDS futex words, each contended once, 1 ms apart: most go cold.
 */
static void workload(struct model *m)
{
	int sa = model__intern_stack(m, site_a, 1), sb = model__intern_stack(m, site_b, 1);
	int sw = model__intern_stack(m, wait_site, 2), sh = model__intern_stack(m, hold_site, 2);
	__u64 ts = SEC;

	for (int i = 0; i <= MAPS; i++) {
		__u64 map = 0x10000 + (__u64)(i % 16) * 0x100;
		int site = i % 3 ? sa : sb;

		if (i == MAPS)
			map = 0x90000; /* the live one */
		feed(m,
		     (struct mt_event){.kind = MT_EV_MAP_CREATE,
				       .flags = MT_EV_LOG2,
				       .ts = ts++,
				       .map = map,
				       .create = {.variant = 0}},
		     site);
		for (__u64 b = 0; b < 2; b++)
			feed(m,
			     (struct mt_event){.kind = MT_EV_RESIZE,
					       .flags = MT_EV_LOG2 | MT_EV_TIMED,
					       .ts = ts++,
					       .map = map,
					       .resize = {.old_size = b,
							  .new_size = b + 1,
							  .count = 8 + 5 * b,
							  .dur_ns = 1000 + (__u64)i +
								    (site == sb) * b * 50000}},
			     site);
		feed(m,
		     (struct mt_event){.kind = MT_EV_GROW_DONE,
				       .flags = MT_EV_LOG2,
				       .ts = ts++,
				       .map = map,
				       .done = {.count = 20, .size = 2}},
		     -1);
		feed(m,
		     (struct mt_event){.kind = MT_EV_MAP_COUNTS,
				       .flags = MT_EV_ALL_COUNTS,
				       .ts = ts++,
				       .map = map,
				       .lib_counts = {.inserts = 20,
						      .count = 20,
						      .evacuated = 3,
						      .moved = 21}},
		     -1);
		if (i < MAPS)
			feed(m,
			     (struct mt_event){.kind = MT_EV_MAP_DESTROY, .ts = ts++, .map = map},
			     -1);
	}
	/* sharded maps, freed as the library frees them: the map first, then its shards */
	for (int i = 0; i < FAMILIES; i++) {
		__u64 top = 0x50000 + (__u64)(i % 8) * 0x1000;
		int sc = model__intern_stack(m, site_c, 1);

		feed(m,
		     (struct mt_event){.kind = MT_EV_MAP_CREATE,
				       .flags = MT_EV_LOG2,
				       .ts = ts++,
				       .map = top,
				       .create = {.variant = 3}},
		     sc);
		for (__u64 k = 1; k <= SHARDS; k++) {
			feed(m,
			     (struct mt_event){.kind = MT_EV_MAP_CREATE,
					       .flags = MT_EV_LOG2,
					       .ts = ts++,
					       .map = top + k * 0x100,
					       .create = {.variant = 0, .parent = top}},
			     sc);
			feed(m,
			     (struct mt_event){.kind = MT_EV_RESIZE,
					       .flags = MT_EV_LOG2 | MT_EV_TIMED,
					       .ts = ts++,
					       .map = top + k * 0x100,
					       .resize = {.old_size = 0,
							  .new_size = 1,
							  .count = 8,
							  .dur_ns = 2000 + k}},
			     sc);
			feed(m,
			     (struct mt_event){.kind = MT_EV_MAP_COUNTS,
					       .flags = MT_EV_ALL_COUNTS,
					       .ts = ts++,
					       .map = top + k * 0x100,
					       .lib_counts = {.inserts = 9, .count = 9}},
			     -1);
		}
		feed(m, (struct mt_event){.kind = MT_EV_MAP_DESTROY, .ts = ts++, .map = top}, -1);
		for (__u64 k = 1; k <= SHARDS; k++)
			feed(m,
			     (struct mt_event){
				     .kind = MT_EV_MAP_DESTROY, .ts = ts++, .map = top + k * 0x100},
			     -1);
	}
	/* a sync map that lives on, whose inner maps come and go (promotions) */
	feed(m,
	     (struct mt_event){.kind = MT_EV_MAP_CREATE,
			       .flags = MT_EV_LOG2,
			       .ts = ts++,
			       .map = SYNC_MAP,
			       .create = {.variant = 4}},
	     -1);
	for (int i = 0; i <= SNAPSHOTS; i++) {
		__u64 inner = SYNC_MAP + 0x100 + (__u64)(i % 4) * 0x100;

		feed(m,
		     (struct mt_event){.kind = MT_EV_MAP_CREATE,
				       .flags = MT_EV_LOG2,
				       .ts = ts++,
				       .map = inner,
				       .create = {.variant = 0, .parent = SYNC_MAP}},
		     -1);
		feed(m,
		     (struct mt_event){.kind = MT_EV_RESIZE,
				       .flags = MT_EV_LOG2 | MT_EV_TIMED,
				       .ts = ts++,
				       .map = inner,
				       .resize = {.old_size = 0,
						  .new_size = 1,
						  .count = 8,
						  .dur_ns = 3000 + (__u64)i}},
		     -1);
		feed(m,
		     (struct mt_event){.kind = MT_EV_MAP_COUNTS,
				       .flags = MT_EV_ALL_COUNTS,
				       .ts = ts++,
				       .map = inner,
				       .lib_counts = {.inserts = 12, .count = 12}},
		     -1);
		if (i < SNAPSHOTS) /* the last one stays */
			feed(m,
			     (struct mt_event){.kind = MT_EV_MAP_DESTROY, .ts = ts++, .map = inner},
			     -1);
	}
	for (int i = 0; i < WORDS; i++) {
		ts += MS;
		/* the holder's release comes first, as it often does: the waiter wakes after it */
		feed(m,
		     (struct mt_event){.kind = MT_EV_WAKE,
				       .ts = ts - 1,
				       .wake = {.word = 0x7000000 + (__u64)i * 64, .woken = 1, .op = 129}},
		     sh);
		feed(m,
		     (struct mt_event){.kind = MT_EV_WAIT,
				       .ts = ts,
				       .wait = {.word = 0x7000000 + (__u64)i * 64,
						.wait_ns = 10000 + (__u64)i,
						.op = 128,
						.val = 2}},
		     sw);
	}
}

struct totals {
	__u64 maps, grows, inserts, moved, grow_ns, hist_count, hist_sum, hist_max, inner;
	__u64 waits, wait_ns, wait_hist, wakes, hold_top;
};

static void total(const struct report *r, struct totals *t)
{
	memset(t, 0, sizeof(*t));
	for (int i = 0; i < r->nmaps; i++) {
		const struct map_report *m = &r->maps[i];

		t->maps += m->folded ? m->folded : 1;
		t->grows += m->grows;
		t->inner += m->inner_maps;
		t->inserts += m->inserts;
		t->moved += m->moved;
		t->grow_ns += m->grow_ns_total;
		t->hist_count += m->grow_hist.count;
		t->hist_sum += m->grow_hist.sum;
		if (m->grow_hist.max > t->hist_max)
			t->hist_max = m->grow_hist.max;
	}
	for (int k = 0; k < 2; k++) {
		const struct lock_report *v = k ? r->waits : r->locks;

		for (int i = 0; i < (k ? r->nwaits : r->nlocks); i++) {
			t->waits += v[i].contentions;
			t->wait_ns += v[i].wait_ns;
			t->wait_hist += v[i].hist.count;
			t->wakes += v[i].holder_wakes;
			t->hold_top += v[i].nholders ? v[i].holder_stacks[0].count : 0;
		}
	}
}

static int advice_with(const struct report *r, const char *needle)
{
	int n = 0;

	for (int i = 0; i < r->nadvice; i++)
		n += strstr(r->advice[i], needle) != NULL;
	return n;
}

static void test_fold(void)
{
	struct model *keep = model__new(), *fold = model__new();
	struct report *rk = NULL, *rf = NULL;
	struct totals tk, tf;
	int folded_rows = 0, folded_locks = 0, family = -1;

	if (!keep || !fold) {
		fprintf(stderr, "out of memory\n");
		exit(2);
	}
	model__keep_events(keep, true);
	workload(keep);
	workload(fold);
	check(!report__build(keep, true, 0, &rk) && !report__build(fold, true, 0, &rf),
	      "both reports built");
	if (!rk || !rf)
		return;
	total(rk, &tk);
	total(rf, &tf);
	check(rk->maps_folded == 0 && rk->locks_folded == 0,
	      "a model keeping events folds nothing");
	check(rf->maps_folded == MAPS + FAMILIES, "every freed map folded (%llu of %d)",
	      (unsigned long long)rf->maps_folded, MAPS + FAMILIES);
	for (int i = 0; i < rf->nmaps; i++) {
		folded_rows += rf->maps[i].folded > 0;
		if (rf->maps[i].variant == 3)
			family = i;
	}
	check(rf->nmaps == 5 && folded_rows == 3,
	      "one row per creation site and the live map: %d rows, %d folded", rf->nmaps,
	      folded_rows);
	check(tf.maps == MAPS + 2 + FAMILIES && tk.maps == MAPS + 2 + FAMILIES,
	      "maps %llu and %llu, as created", (unsigned long long)tf.maps,
	      (unsigned long long)tk.maps);
	check(family >= 0 && rf->maps[family].folded == FAMILIES &&
		      rf->maps[family].inner_maps == FAMILIES * SHARDS && tk.inner == tf.inner,
	      "the sharded maps in one row with their %d shards", FAMILIES * SHARDS);
	check(tf.grows == tk.grows &&
		      tf.grows == 2ULL * (MAPS + 1) + FAMILIES * SHARDS + SNAPSHOTS + 1,
	      "grows exact: %llu", (unsigned long long)tf.grows);
	for (int i = 0; i < rf->nmaps; i++) {
		if (rf->maps[i].addr != SYNC_MAP)
			continue;
		for (int j = 0; j < rk->nmaps; j++) {
			if (rk->maps[j].addr == SYNC_MAP)
				check(rf->maps[i].inner_maps == SNAPSHOTS + 1 &&
					      rk->maps[j].inner_maps == SNAPSHOTS + 1 &&
					      rf->maps[i].grows == rk->maps[j].grows &&
					      rf->maps[i].inserts == rk->maps[j].inserts &&
					      rf->maps[i].grow_ns_total ==
						      rk->maps[j].grow_ns_total &&
					      rf->maps[i].grow_hist.count ==
						      rk->maps[j].grow_hist.count,
				      "the live sync map: its %d freed inner maps summed into it, "
				      "figures as without folding",
				      SNAPSHOTS);
		}
	}
	check(tf.inserts == tk.inserts && tf.inserts == 20ULL * (MAPS + 1) +
								9ULL * FAMILIES * SHARDS +
								12ULL * (SNAPSHOTS + 1),
	      "inserts exact: %llu", (unsigned long long)tf.inserts);
	check(tf.moved == tk.moved && tf.grow_ns == tk.grow_ns,
	      "entries moved (%llu) and grow time (%llu ns) as without folding",
	      (unsigned long long)tf.moved, (unsigned long long)tf.grow_ns);
	check(tf.hist_count == tk.hist_count && tf.hist_sum == tk.hist_sum &&
		      tf.hist_max == tk.hist_max,
	      "grow histograms: same count, sum and max");
	check(advice_with(rf, "maps (created at load_orders (orders.c:88), then freed) grew 4000 "
			      "times in total (2.0 each)") == 1,
	      "one size-hint line for site A, with its 2000 maps");
	check(advice_with(rf, "1000 maps (created at load_users (users.c:12), then freed)") == 1,
	      "one size-hint line for site B, with its 1000 maps");
	/* a line per site, the sync map's, and the live map's own */
	check(rf->nadvice == 5, "no line per map: %d advice lines", rf->nadvice);

	for (int i = 0; i < rf->nadvice; i++)
		printf("# %s\n", rf->advice[i]);
	for (int i = 0; i < rf->nlocks; i++)
		folded_locks += rf->locks[i].folded > 0;
	/* cold after 2 s, swept every 1 s: the words of the last 3 s (3,000) may stay */
	check(rf->locks_folded >= WORDS - 3000 && rf->locks_folded < WORDS,
	      "cold words folded (%llu of %d; not those of the last 2-3 s)",
	      (unsigned long long)rf->locks_folded, WORDS);
	check(folded_locks == 1 && rf->nlocks == WORDS - (int)rf->locks_folded + 1,
	      "one folded row for one kind and stack: %d rows", rf->nlocks);
	check(tf.waits == WORDS && tk.waits == WORDS && tf.wait_ns == tk.wait_ns,
	      "waits exact: %llu, %llu ns", (unsigned long long)tf.waits,
	      (unsigned long long)tf.wait_ns);
	check(tf.wait_hist == WORDS, "every wait in a histogram");
	check(tf.wakes == WORDS && tk.wakes == WORDS && tf.hold_top == WORDS && tk.hold_top == WORDS,
	      "holder wakes exact, folded or not, all on the one holder stack: %llu, %llu",
	      (unsigned long long)tf.wakes, (unsigned long long)tk.wakes);
	report__free(rk);
	report__free(rf);
	model__free(keep);
	model__free(fold);
}

/* A program that frees a few maps gets them one by one, as before folding existed. */
static void test_few_freed(void)
{
	struct model *m = model__new();
	int sa = model__intern_stack(m, site_a, 1), n = 0;
	struct report *r = NULL;
	__u64 ts = SEC;

	for (int i = 0; i < MODEL_FREED_KEEP; i++) {
		__u64 map = 0x10000 + (__u64)(i % 2) * 0x100;

		feed(m,
		     (struct mt_event){
			     .kind = MT_EV_MAP_CREATE, .flags = MT_EV_LOG2, .ts = ts++, .map = map},
		     sa);
		feed(m,
		     (struct mt_event){
			     .kind = MT_EV_RESIZE,
			     .flags = MT_EV_LOG2 | MT_EV_TIMED,
			     .ts = ts++,
			     .map = map,
			     .resize = {.old_size = 0, .new_size = 1, .count = 8, .dur_ns = 1000}},
		     sa);
		feed(m, (struct mt_event){.kind = MT_EV_MAP_DESTROY, .ts = ts++, .map = map}, -1);
	}
	check(!report__build(m, true, 0, &r) && r, "report built");
	if (r) {
		for (int i = 0; i < r->nmaps; i++)
			n += r->maps[i].folded == 0 && r->maps[i].grows == 1;
		check(r->maps_folded == 0 && r->nmaps == MODEL_FREED_KEEP && n == r->nmaps,
		      "%d freed maps (addresses reused): a row each, none folded (%d rows)",
		      MODEL_FREED_KEEP, r->nmaps);
	}
	report__free(r);
	model__free(m);
}

static void test_event_cap(void)
{
	struct model *m = model__new();
	struct report *r = NULL;

	model__keep_events(m, true);
	for (__u64 i = 0; i < MODEL_EVENT_LOG_MAX + 5ULL; i++)
		feed(m,
		     (struct mt_event){.kind = MT_EV_WAIT,
				       .ts = SEC + i,
				       .wait = {.word = 0x7000000, .wait_ns = 1000}},
		     -1);
	check(!report__build(m, true, 0, &r) && r, "report built");
	if (r) {
		check(r->nevent_log == MODEL_EVENT_LOG_MAX && r->events_not_kept == 5,
		      "the event log stops at %d events, 5 counted as not kept (%llu)",
		      MODEL_EVENT_LOG_MAX, (unsigned long long)r->events_not_kept);
		check(r->events == MODEL_EVENT_LOG_MAX + 5ULL &&
			      r->locks[0].contentions == MODEL_EVENT_LOG_MAX + 5ULL,
		      "all the events still counted");
	}
	report__free(r);
	model__free(m);
}

/* A word woken before any wait on it is seen is no row, until its wait comes. */
static void test_wake_first(void)
{
	struct model *m = model__new();
	struct report *r = NULL;
	int sw, sh, err;

	if (!m) {
		fprintf(stderr, "out of memory\n");
		exit(2);
	}
	sw = model__intern_stack(m, wait_site, 2);
	sh = model__intern_stack(m, hold_site, 2);
	feed(m, (struct mt_event){.kind = MT_EV_WAKE, .ts = SEC, .wake = {.word = 0x8000, .woken = 1}},
	     sh);
	err = report__build(m, true, 0, &r);
	check(!err && r && r->nlocks == 0 && r->nwaits == 0,
	      "a word only woken: no row (%d locks, %d other waits)", r ? r->nlocks : -1,
	      r ? r->nwaits : -1);
	report__free(r);
	r = NULL;
	feed(m,
	     (struct mt_event){.kind = MT_EV_WAIT,
			       .ts = SEC + 1,
			       .wait = {.word = 0x8000, .wait_ns = 20 * MS, .op = 128, .val = 2}},
	     sw);
	feed(m, (struct mt_event){.kind = MT_EV_WAKE, .ts = SEC + 2, .wake = {.word = 0x8000, .woken = 1}},
	     -1);
	err = report__build(m, true, 0, &r);
	check(!err && r && r->nlocks == 1,
	      "its wait makes it a lock row (%d)", r ? r->nlocks : -1);
	if (r && r->nlocks == 1) {
		const struct lock_report *l = &r->locks[0];

		check(l->contentions == 1 && l->holder_wakes == 2 && l->nholders == 2,
		      "both wakes counted, before and after the wait: %llu wakes, %d stacks",
		      (unsigned long long)l->holder_wakes, l->nholders);
		int kept = 0;

		for (int i = 0; i < l->nholders; i++)
			kept += l->holder_stacks[i].stack >= 0 &&
				!strcmp(r->stacks[l->holder_stacks[i].stack].frames[1].func,
					"update_stats") &&
				l->holder_stacks[i].count == 1;
		check(kept == 1, "the holder stack kept, with its one wake");
	}
	report__free(r);
	model__free(m);
}

int main(void)
{
	test_wake_first();
	test_fold();
	test_few_freed();
	test_event_cap();
	printf("# %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
