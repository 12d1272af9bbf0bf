/* SPDX-License-Identifier: MIT */
/*
 * Advice: the lock rules (contention, who holds a lock and for how long, sharded maps' spread,
 * false sharing), apart from the map rules in advice.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cmap.h"
#include "advice.h"
#include "advice_int.h"
#include "report.h"
#include "util.h"

/* A lock wait is worth a line when it cost at least this much in total... */
#define LOCK_MIN_WAIT_NS 1000000ULL
/* ...or at least this share of the run (percent), which matters for short runs. */
#define LOCK_MIN_WAIT_PCT 1
/*
 * An anonymous lock that guards no map maptrace knows (a start gate, a work queue's lock) is
 * worth a line only when truly hot: its waits summed over threads reach this share of the run
 * (percent), or this much when the run's length is unknown.
 */
#define LOCK_NOMAP_HOT_PCT 10
/*
 * A lock held long per acquisition at one frame of the program: that frame's critical section
 * is the first thing to shorten, before sharding (held_long_at()).  HOLD_LONG_NS is well above
 * a futex sleep and wake-up: the holder kept the lock.  The thresholds are chosen, not
 * measured.
 */
#define HOLD_LONG_NS 10000ULL
#define HOLD_WAIT_PCT 10
#define HOLD_SITE_PCT 60
#define LOCK_NOMAP_HOT_NS 100000000ULL

/*
 * A sharded map's waits: one shard taking at least this share of them (percent) is a hot key;
 * no shard above twice its even share (100 / shards) is an even spread.
 */
#define SHARD_HOT_PCT 50
#define SHARD_EVEN_FACTOR 2

static bool lock_wait_material(const struct report *r, const struct lock_report *l)
{
	__u64 dur = report__duration_ns(r);

	if (!l->contentions || !l->wait_ns)
		return false;
	return l->wait_ns >= LOCK_MIN_WAIT_NS ||
	       (dur &&
		(unsigned __int128)l->wait_ns * 100 >= (unsigned __int128)dur * LOCK_MIN_WAIT_PCT);
}

/* The parts every lock line quotes. */
struct lock_quote {
	char addr[96]; /* "NAME (0x..)" or "0x.." */
	char map[48]; /* " guarding map 0x..", or "" */
	char wait[16];
	char p99[16];
	char hold[512]; /* hold_advice(): "shorten the critical section at ...; then ", or "" */
};

/*
 * Is a lock that guards no known map hot enough for a line?  A named one (a static lock the
 * program declared) is judged like any lock: the line names it, so the reader can find it.
 */
static bool nomap_lock_hot(const struct report *r, const struct lock_report *l)
{
	__u64 dur = report__duration_ns(r);

	if (l->name && l->name[0])
		return true;
	if (!dur)
		return l->wait_ns >= LOCK_NOMAP_HOT_NS;
	return (unsigned __int128)l->wait_ns * 100 >= (unsigned __int128)dur * LOCK_NOMAP_HOT_PCT;
}

/* A contended lock with no map to prescribe for: quote it and say where to look, not "shard". */
static int advise_nomap(const struct lock_report *l, const struct lock_quote *q,
			struct advice_list *a)
{
	return advice_add(a,
			  "%s %s: %llu contended acquisitions (no map known), %s waiting (P99 %s): "
			  "%s%s",
			  mt_lock_kind_name(l->kind), q->addr, (unsigned long long)l->contentions,
			  q->wait, q->p99, q->hold,
			  q->hold[0] ? "split what it protects" :
				       "its top waiting stacks show where it is taken; hold it for "
				       "less time, or split what it protects");
}

/*
 * The frame F where most of @n holder stacks @v released the lock, weighed by count, or by
 * hold time when @by_ns: their count and hold time at F in *@count and *@ns, when at least
 * HOLD_SITE_PCT of @total (of that weight) was there; else NULL.
 */
static const struct mt_frame *hold_frame(const struct report *r, const struct mt_stack_cost *v,
					 int n, bool by_ns, __u64 total, __u64 *count, __u64 *ns)
{
	const struct mt_frame *top, *f;

	*count = *ns = 0;
	if (!n || !total)
		return NULL;
	top = report__hold_site(r, v[0].stack);
	if (!top || !top->func || !top->func[0])
		return NULL;
	/* the releases at that function, whichever stacks led there */
	for (int i = 0; i < n && i < MT_TOP_STACKS; i++) {
		f = report__hold_site(r, v[i].stack);
		if (f && f->func && !strcmp(f->func, top->func)) {
			*count += v[i].count;
			*ns += v[i].ns;
		}
	}
	if ((unsigned __int128)(by_ns ? *ns : *count) * 100 <
	    (unsigned __int128)total * HOLD_SITE_PCT)
		return NULL;
	return top;
}

/*
 * Where @l is held long per acquisition, or NULL.  With libcmap's hold times (the holds a
 * waiter waited behind): the frame F with HOLD_SITE_PCT of their hold time, whose holds took
 * HOLD_LONG_NS on average and at least HOLD_WAIT_PCT of the waits' median (a wait spans a few
 * of them, each of which shortened shortens it; not a long queue of short holds, which
 * sharding divides).  Without them: the waits' median at least HOLD_LONG_NS stands in for
 * the hold, at the frame F that made HOLD_SITE_PCT of the releases that woke a waiter.
 */
static const struct mt_frame *held_long_at(const struct report *r, const struct lock_report *l,
					   __u64 *count, __u64 *ns)
{
	const struct mt_frame *f;
	__u64 mean;

	if (l->hold_count == l->hold_untimed) {
		if (l->p50_ns < HOLD_LONG_NS)
			return NULL;
		return hold_frame(r, l->holder_stacks, l->nholders, false, l->holder_wakes, count,
				  ns);
	}
	f = hold_frame(r, l->hold_stacks, l->nhold_stacks, true, l->hold_ns, count, ns);
	if (!f || !*count)
		return NULL;
	mean = *ns / *count;
	if (mean < HOLD_LONG_NS ||
	    (unsigned __int128)mean * 100 < (unsigned __int128)l->p50_ns * HOLD_WAIT_PCT)
		return NULL;
	return f;
}

/*
 * "shorten the critical section at F (file:line): ... ; then " when @l is held long per
 * acquisition at one frame F of the program (held_long_at()), else "".
 */
static const char *hold_advice(const struct report *r, const struct lock_report *l, char *buf,
			       size_t size)
{
	const struct mt_frame *top;
	char p50[16], mean[16], at[160];
	__u64 count, ns;

	buf[0] = '\0';
	top = held_long_at(r, l, &count, &ns);
	if (!top)
		return buf;
	if (top->file && top->file[0])
		snprintf(at, sizeof(at), "%s (%s:%u)", top->func, top->file, top->line);
	else
		snprintf(at, sizeof(at), "%s", top->func);
	report__fmt_ns(p50, sizeof(p50), l->p50_ns);
	/* of the timed holds: the untimed ones have no place or duration to weigh */
	if (l->hold_count > l->hold_untimed)
		snprintf(buf, size,
			 "shorten the critical section at %s: %llu of the %llu %sholds a waiter "
			 "waited behind were there, %s each on average, while waits took P50 %s; "
			 "then ",
			 at, (unsigned long long)count,
			 (unsigned long long)(l->hold_count - l->hold_untimed),
			 l->hold_untimed ? "timed " : "",
			 report__fmt_ns(mean, sizeof(mean), ns / count), p50);
	else
		snprintf(buf, size,
			 "shorten the critical section at %s: %llu of its %llu releases that woke a "
			 "waiter were there, and waits took P50 %s; then ",
			 at, (unsigned long long)count, (unsigned long long)l->holder_wakes, p50);
	return buf;
}

/* What a contended mutex should become, from what it guards and who waits on it. */
static const char *mutex_prescription(const struct report *r, const struct lock_report *l)
{
	const struct map_report *m = l->map ? report__find_map(r, l->map) : NULL;
	__u64 rw = l->read_contentions + l->write_contentions;
	bool cmap = m && advice_is_cmap(m);

	if (m && cmap && m->variant == CMAP_SYNC)
		return "every write and every read that misses the snapshot takes this lock: "
		       "with frequent writes a sharded map (CMAP_SHARDED) serves better";
	/* a std::unordered_* container: its lock is a std::mutex (a plain pthread mutex) */
	if (m && advice_is_cxx(m))
		return rw && l->read_contentions * 3 >= rw * 2 ?
			       "most waits are reads, which a std::shared_mutex (std::shared_lock "
			       "for the readers) lets run together; or shard the map (N maps, one "
			       "std::mutex each)" :
			       "every access serialises on one std::mutex: shard the map (N maps, "
			       "one std::mutex each), or use a std::shared_mutex if reads dominate";
	/* Two thirds of the waits being reads is the point where an rwlock clearly pays. */
	if (rw && l->read_contentions * 3 >= rw * 2)
		return cmap ? "most waits are reads, which an rwlock (CMAP_RWLOCK) lets run "
			      "together; or shard the map (CMAP_SHARDED, one lock per shard)" :
			      "most waits are reads, which an rwlock lets run together; or shard "
			      "the map (N maps, one lock each)";
	return cmap ? "every access serialises on one lock: shard the map (CMAP_SHARDED, one "
		      "lock per shard), or use an rwlock (CMAP_RWLOCK) if reads dominate" :
		      "every access serialises on one lock: shard the map (N maps, one lock "
		      "each), or use an rwlock if reads dominate";
}

static int advise_mutex(const struct report *r, const struct lock_report *l,
			const struct lock_quote *q, struct advice_list *a)
{
	char who[64] = "";

	/* The library's probes say whether a wait was for a read or a write. */
	if (l->read_contentions + l->write_contentions)
		snprintf(who, sizeof(who), " (%llu reads, %llu writes)",
			 (unsigned long long)l->read_contentions,
			 (unsigned long long)l->write_contentions);
	return advice_add(a, "mutex %s%s: %llu contended acquisitions%s, %s waiting (P99 %s): %s%s",
			  q->addr, q->map, (unsigned long long)l->contentions, who, q->wait, q->p99,
			  q->hold, mutex_prescription(r, l));
}

static int advise_rwlock(const struct lock_report *l, const struct lock_quote *q,
			 struct advice_list *a)
{
	__u64 rw = l->read_contentions + l->write_contentions;
	char rwait[16], wwait[16];

	if (!rw)
		return advice_add(a,
				  "rwlock %s%s: %llu contended acquisitions, %s waiting (P99 %s): "
				  "%sconsider a sharded map",
				  q->addr, q->map, (unsigned long long)l->contentions, q->wait,
				  q->p99, q->hold);
	return advice_add(a,
			  "rwlock %s%s: %.0f%% of %llu contended acquisitions were writes; readers "
			  "waited %s, writers %s in total (P99 %s): a writer makes every reader "
			  "queue; %sconsider a sharded map",
			  q->addr, q->map, 100.0 * (double)l->write_contentions / (double)rw,
			  (unsigned long long)rw,
			  report__fmt_ns(rwait, sizeof(rwait), l->read_wait_ns),
			  report__fmt_ns(wwait, sizeof(wwait), l->write_wait_ns), q->p99, q->hold);
}

static bool guards_sharded_map(const struct report *r, const struct lock_report *l)
{
	const struct map_report *m = l->map ? report__find_map(r, l->map) : NULL;

	return m && advice_is_cmap(m) && m->variant == CMAP_SHARDED;
}

/* A contended lock: quote its waits and, where the evidence backs one, the change. */
int advice_rule_lock(const struct report *r, struct advice_list *a)
{
	for (int i = 0; i < r->nlocks; i++) {
		const struct lock_report *l = &r->locks[i];
		struct lock_quote q = { 0 };
		int err;

		/* the report keeps other waits apart, but a hand-made one may not */
		if (!lockkind__is_lock(l->kind) || !lock_wait_material(r, l))
			continue;
		/* a shard's lock is told with its map's other shards (rule_shard_spread) */
		if (guards_sharded_map(r, l))
			continue;
		if (!l->map && !nomap_lock_hot(r, l))
			continue;
		report__lock_label(q.addr, sizeof(q.addr), l);
		if (l->map)
			snprintf(q.map, sizeof(q.map), " guarding map 0x%llx",
				 (unsigned long long)l->map);
		report__fmt_ns(q.wait, sizeof(q.wait), l->wait_ns);
		report__fmt_ns(q.p99, sizeof(q.p99), l->p99_ns);
		hold_advice(r, l, q.hold, sizeof(q.hold));

		if (!l->map) {
			err = advise_nomap(l, &q, a);
			if (err)
				return err;
			continue;
		}
		switch (l->kind) {
		case MT_LOCK_MUTEX:
			err = advise_mutex(r, l, &q, a);
			break;
		case MT_LOCK_RWLOCK:
			err = advise_rwlock(l, &q, a);
			break;
		default:
			err = 0;
			break;
		}
		if (err)
			return err;
	}
	return 0;
}

/* What the spread of a sharded map's waits says: a hot key, an even load, or between. */
static int shard_spread_advice(const struct map_report *m,
			       const struct lock_report *busiest, __u64 waits, __u64 ns, int nlocks,
			       struct advice_list *a)
{
	/* the shards the map has (its inner maps), at least the ones that waited */
	__u64 shards = m->inner_maps > (__u64)nlocks ? m->inner_maps : (__u64)nlocks;
	double pct = 100.0 * (double)busiest->contentions / (double)waits;
	char addr[24], lock[96], wait[16];

	advice_fmt_addr(addr, sizeof(addr), m->addr);
	report__lock_label(lock, sizeof(lock), busiest);
	report__fmt_ns(wait, sizeof(wait), ns);
	/* a map of one shard (inner_maps 1) has no hot shard: it is the map's one lock */
	if (m->inner_maps != 1 && busiest->contentions * 100 >= waits * SHARD_HOT_PCT)
		return advice_add(a,
				  "sharded map %s: one shard takes %.0f%%: a hot key (%llu waits, %s; "
				  "the shard's lock %s); more shards will not help: spread the work on "
				  "that key (split it, or batch its updates)",
				  addr, pct, (unsigned long long)waits, wait, lock);
	if ((unsigned __int128)busiest->contentions * shards <=
	    (unsigned __int128)waits * SHARD_EVEN_FACTOR)
		return advice_add(a,
				  "sharded map %s: %llu shards, waits spread evenly: more shards or "
				  "shorter holds (%llu waits, %s, on %d shards; the busiest %.0f%%)",
				  addr, (unsigned long long)shards, (unsigned long long)waits, wait,
				  nlocks, pct);
	return advice_add(a,
			  "sharded map %s: %llu shards, waits uneven: the busiest shard (lock %s) "
			  "takes %.0f%% of %llu waits (%s), an even share is %.0f%%: look for hot "
			  "keys, then use more shards or shorter holds",
			  addr, (unsigned long long)shards, lock, pct, (unsigned long long)waits,
			  wait, 100.0 / (double)shards);
}

/*
 * A sharded map: one line for all its shards' locks, from how their waits spread.  Every shard
 * lock alike hot is a map too small or holds too long; one shard far above the others is a key.
 */
int advice_rule_shard_spread(const struct report *r, struct advice_list *a)
{
	for (int i = 0; i < r->nmaps; i++) {
		const struct map_report *m = &r->maps[i];
		const struct lock_report *busiest = NULL;
		struct lock_report sum = { 0 };
		int nlocks = 0, err;

		/* a folded row (address 0) sums freed maps: no lock names it as its map */
		if (!advice_is_cmap(m) || m->variant != CMAP_SHARDED || m->folded || !m->addr)
			continue;
		for (int j = 0; j < r->nlocks; j++) {
			const struct lock_report *l = &r->locks[j];

			if (l->map != m->addr || !lockkind__is_lock(l->kind) || !l->contentions)
				continue;
			nlocks++;
			sum.contentions += l->contentions;
			sum.wait_ns += l->wait_ns;
			if (!busiest || l->contentions > busiest->contentions)
				busiest = l;
		}
		if (!busiest || !lock_wait_material(r, &sum))
			continue;
		err = shard_spread_advice(m, busiest, sum.contentions, sum.wait_ns, nlocks, a);
		if (err)
			return err;
	}
	return 0;
}

/*
 * Contended locks packed into one cache line: every acquisition of one moves the line away from
 * the threads using the others, which waits on each lock show as contention of their own.
 */
int advice_rule_false_sharing(const struct report *r, struct advice_list *a)
{
	for (int i = 0; i < r->nline_shares; i++) {
		const struct line_share *g = &r->line_shares[i];
		struct lock_report sum = { .contentions = g->contentions, .wait_ns = g->wait_ns };
		char locks[256], wait[16];
		int err;

		if (!lock_wait_material(r, &sum))
			continue;
		err = advice_add(a,
				 "locks %s share a 64-byte cache line (false sharing): %llu "
				 "contended acquisitions, %s waiting between them; pad or align "
				 "each lock to its own 64-byte line (e.g. a struct of the lock and "
				 "what it guards, __attribute__((aligned(64))))",
				 report__fmt_line_share(locks, sizeof(locks), g),
				 (unsigned long long)g->contentions,
				 report__fmt_ns(wait, sizeof(wait), g->wait_ns));
		if (err)
			return err;
	}
	return 0;
}
