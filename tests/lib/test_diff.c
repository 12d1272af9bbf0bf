// SPDX-License-Identifier: MIT
/*
 * Randomized differential test of the core map against a reference map.
 *
 * The reference is as simple as a map can be: keys are drawn from a domain of ids 0..n-1, each
 * id maps to one key (an integer, or a byte string) by an invertible encoding, and the
 * reference stores presence and value in arrays indexed by id.  Every operation's result is
 * compared, every counter is compared after every operation, and the growth rules are checked at
 * every operation against the map's internal state (cmap_impl.h).  Periodically the whole
 * structure is audited (bucket placement, tophash bytes, EMPTY_REST runs, exact overflow counts,
 * evacuation marks, evacuated counter) and iteration is compared with the reference, also while
 * a grow is being evacuated and while the map changes under the iterator.
 *
 * Runs: integer keys over a large and a small domain; byte-string keys with the built-in hash;
 * and byte-string keys with a hash that collides on purpose (whole groups of keys share a bucket
 * and four full hash values per group), with the working set sliding through the domain so
 * overflow buckets pile up behind it and force same-size grows.
 *
 * Usage: test_diff [seed]
 */
/* timeout: 600 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cmap.h"
#include "cmap_impl.h"
#include "check.h"

#define MAXKEY 48

struct run {
	const char *name;
	bool bytes;
	cmap_hash_fn hash;
	uint32_t n; /* id domain */
	uint64_t ops;
	uint32_t compact_every; /* mean ops between compactions in the compacting phase */
	uint32_t window; /* non-zero: inserts come from a window sliding through the domain */
};

struct ref {
	uint8_t *present;
	uint64_t *val;
	uint32_t *pos;	/* index in list[] of a present id */
	uint32_t *list; /* present ids, dense, for picking one at random */
	uint32_t count;
};

struct st {
	const struct run *run;
	cmap_t *m;
	struct ref ref;
	uint64_t rng;
	uint64_t op;
	/* what the counters must read */
	uint64_t inserts, updates, deletes, lookups;
	/* evacuation accounting: old buckets of finished grows, plus those of the current one */
	uint64_t evac_done;
	uint64_t nold;
	uint64_t mismatches;
	uint8_t *seen;
	uint8_t *gone; /* iteration episodes: deleted while iterating */
	uint32_t base; /* sliding window start */
	uint32_t tail; /* oldest id that may still be present behind the window */
	/* coverage, reported at the end */
	uint64_t grows, same_size, compacts, compacts_mid, iters, iters_mid, episodes, audits;
	uint64_t ops_mid, gets_mid;
};

static __attribute__((format(printf, 2, 3))) void fail(struct st *s, const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	s->mismatches++;
	if (s->mismatches > 20)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	diag("%s: op %llu: %s", s->run->name, (unsigned long long)s->op, buf);
}

static uint64_t rnd(struct st *s, uint64_t bound)
{
	return check_rand(&s->rng) % bound;
}

/* ---- keys ---- */

/*
 * Integer keys: ids 0..15 map to -8..7 (so 0, 1 and UINT64_MAX are in every run), the rest
 * through an invertible mix.
 */
static const uint64_t MIX_C = 0x9fb21c651e98df25ull;
static uint64_t mix_cinv;

static uint64_t mix(uint64_t x)
{
	x ^= x >> 32;
	x *= MIX_C;
	return x ^ (x >> 29);
}

static uint64_t unmix(uint64_t y)
{
	y ^= (y >> 29) ^ (y >> 58);
	y *= mix_cinv;
	return y ^ (y >> 32);
}

static uint64_t int_key(uint32_t id)
{
	return id < 16 ? (uint64_t)id - 8 : mix(id);
}

/* The id of @key, or UINT64_MAX when @key is outside the domain. */
static uint64_t int_id(uint64_t key, uint32_t n)
{
	uint64_t id;

	if (key + 8 < 16)
		return key + 8;
	id = unmix(key);
	return id >= 16 && id < n ? id : UINT64_MAX;
}

/*
 * Byte keys: the id as a LEB128 varint, then (id * 7) % 37 pad bytes derived from it; id 0 is the
 * empty key.  The varint prefix makes the encoding injective.
 */
static size_t bytes_key(uint32_t id, unsigned char *buf)
{
	size_t len = 0, pad, j;
	uint32_t x = id;

	if (id == 0)
		return 0;
	do {
		buf[len++] = (x & 0x7f) | (x > 0x7f ? 0x80 : 0);
		x >>= 7;
	} while (x);
	pad = (id * 7u) % 37;
	for (j = 0; j < pad; j++)
		buf[len++] = (unsigned char)(id * 31 + j * 17);
	return len;
}

/* The varint prefix of a byte key (0 for the empty or a malformed key). */
static uint64_t bytes_prefix(const unsigned char *p, size_t len)
{
	uint64_t id = 0;
	size_t i;

	for (i = 0; i < len && i < 5; i++) {
		id |= (uint64_t)(p[i] & 0x7f) << (7 * i);
		if (!(p[i] & 0x80))
			return id;
	}
	return 0;
}

static uint64_t bytes_id(const unsigned char *p, size_t len, uint32_t n)
{
	unsigned char buf[MAXKEY];
	uint64_t id = bytes_prefix(p, len);

	if (id >= n || bytes_key(id, buf) != len || (len && memcmp(buf, p, len)))
		return UINT64_MAX;
	return id;
}

/*
 * The colliding hash: the 64 ids of a group share the low 16 bits (one bucket up to B = 16),
 * and only the top two bits vary, so a group has four full hash values and four tophash bytes.
 */
static uint64_t group_hash(const void *key, size_t len, uint64_t seed)
{
	uint64_t g = bytes_prefix(key, len) >> 6;

	(void)seed;
	return (mix(g + 1) & 0xffff) | (cmap_hash_bytes(key, len, 7) >> 62) << 62;
}

/* ---- the reference ---- */

static void ref_init(struct ref *r, uint32_t n)
{
	r->present = calloc(n, 1);
	r->val = calloc(n, sizeof(*r->val));
	r->pos = calloc(n, sizeof(*r->pos));
	r->list = calloc(n, sizeof(*r->list));
	r->count = 0;
	if (!r->present || !r->val || !r->pos || !r->list)
		abort();
}

static void ref_fini(struct ref *r)
{
	free(r->present);
	free(r->val);
	free(r->pos);
	free(r->list);
}

static int ref_put(struct ref *r, uint32_t id, uint64_t v)
{
	r->val[id] = v;
	if (r->present[id])
		return 0;
	r->present[id] = 1;
	r->pos[id] = r->count;
	r->list[r->count++] = id;
	return 1;
}

static bool ref_del(struct ref *r, uint32_t id)
{
	uint32_t last;

	if (!r->present[id])
		return false;
	r->present[id] = 0;
	last = r->list[--r->count];
	r->list[r->pos[id]] = last;
	r->pos[last] = r->pos[id];
	return true;
}

/* ---- map access by id ---- */

static int map_put(struct st *s, uint32_t id, uint64_t v)
{
	unsigned char buf[MAXKEY];

	if (!s->run->bytes)
		return cmap_put(s->m, int_key(id), v);
	return cmap_put_bytes(s->m, buf, bytes_key(id, buf), v);
}

static bool map_get(struct st *s, uint32_t id, uint64_t *v)
{
	unsigned char buf[MAXKEY];

	if (!s->run->bytes)
		return cmap_get(s->m, int_key(id), v);
	return cmap_get_bytes(s->m, buf, bytes_key(id, buf), v);
}

static bool map_del(struct st *s, uint32_t id)
{
	unsigned char buf[MAXKEY];

	if (!s->run->bytes)
		return cmap_del(s->m, int_key(id));
	return cmap_del_bytes(s->m, buf, bytes_key(id, buf));
}

/* ---- the growth rule, restated ---- */

static bool over_load(uint64_t count, unsigned int B)
{
	return count > 8 && count > 13 * ((1ull << B) / 2);
}

static bool too_many_overflow(uint64_t noverflow, unsigned int B)
{
	return noverflow >= 1ull << (B < 15 ? B : 15);
}

static uint8_t top_of(uint64_t h)
{
	uint8_t t = h >> 56;

	return t < TOPHASH_MIN ? t + TOPHASH_MIN : t;
}

static bool evacuated(const struct bucket *b)
{
	return b->tophash[0] > SLOT_EMPTY_ONE && b->tophash[0] < TOPHASH_MIN;
}

static uint64_t nold_of(const cmap_t *m)
{
	return 1ull << (m->samesize ? m->B : m->B - 1);
}

static uint64_t count_marks(const cmap_t *m)
{
	uint64_t i, n = 0;

	if (!m->oldbuckets)
		return 0;
	for (i = 0; i < nold_of(m); i++)
		n += evacuated(&m->oldbuckets[i]);
	return n;
}

/* The hash and id of the entry in a slot. */
static uint64_t slot_hash(struct st *s, uint64_t slotkey, uint64_t *id)
{
	const cmap_t *m = s->m;

	if (m->bytes) {
		const struct bkey *bk = (const struct bkey *)(uintptr_t)slotkey;
		uint64_t h = s->run->hash ? s->run->hash(bk->data, bk->len, m->seed)
					  : cmap_hash_bytes(bk->data, bk->len, m->seed);

		*id = bytes_id(bk->data, bk->len, s->run->n);
		if (h != bk->hash)
			fail(s, "stored hash %llx of a key differs from its hash %llx",
			     (unsigned long long)bk->hash, (unsigned long long)h);
		return h;
	}
	*id = int_id(slotkey, s->run->n);
	return cmap__hash_u64(slotkey, m->seed);
}

/* Check one chain: placement, tophash bytes, EMPTY_REST runs, values.  Returns its live count. */
static uint64_t audit_chain(struct st *s, const struct bucket *b, uint64_t idx, uint64_t mask,
			    uint64_t *novf)
{
	bool rest = false;
	uint64_t live = 0, id, h;
	int i;

	for (; b; b = b->overflow) {
		for (i = 0; i < CMAP_BUCKET_SLOTS; i++) {
			uint8_t t = b->tophash[i];

			if (t == SLOT_EMPTY_REST) {
				rest = true;
				continue;
			}
			if (rest && t != SLOT_EMPTY_ONE) {
				fail(s, "slot state %u after an EMPTY_REST slot", t);
				continue;
			}
			if (t == SLOT_EMPTY_ONE)
				continue;
			if (t < TOPHASH_MIN) {
				fail(s, "evacuation mark %u in a live chain", t);
				continue;
			}
			h = slot_hash(s, b->keys[i], &id);
			if ((h & mask) != idx)
				fail(s, "entry in bucket %llu belongs in %llu",
				     (unsigned long long)idx, (unsigned long long)(h & mask));
			if (top_of(h) != t)
				fail(s, "tophash %u, expected %u", t, top_of(h));
			if (id == UINT64_MAX) {
				fail(s, "a key outside the domain is in the map");
				continue;
			}
			if (s->seen[id]++)
				fail(s, "id %llu stored twice", (unsigned long long)id);
			if (!s->ref.present[id] || s->ref.val[id] != b->vals[i])
				fail(s, "id %llu: map has value %llu, reference %s %llu",
				     (unsigned long long)id, (unsigned long long)b->vals[i],
				     s->ref.present[id] ? "has" : "lacks",
				     (unsigned long long)s->ref.val[id]);
			live++;
		}
		if (b->overflow)
			(*novf)++;
	}
	return live;
}

/* The whole structure against the rules and the reference.  O(entries + buckets). */
static void audit(struct st *s)
{
	const cmap_t *m = s->m;
	uint64_t i, live = 0, novf = 0, noldovf = 0, marks = 0, nold = 0;
	uint64_t mask = (1ull << m->B) - 1;
	struct cmap_stats stt;

	s->audits++;
	memset(s->seen, 0, s->run->n);
	if (m->oldbuckets) {
		nold = nold_of(m);
		for (i = 0; i < nold; i++) {
			const struct bucket *ob = &m->oldbuckets[i];
			int j;

			if (evacuated(ob)) {
				marks++;
				for (j = 0; j < CMAP_BUCKET_SLOTS; j++)
					if (ob->tophash[j] <= SLOT_EMPTY_ONE ||
					    ob->tophash[j] >= TOPHASH_MIN)
						fail(s, "evacuated old bucket with a live slot");
				if (ob->overflow)
					fail(s, "evacuated old bucket kept its overflow chain");
				continue;
			}
			if (i < m->nevacuate)
				fail(s, "old bucket %llu below nevacuate %llu not evacuated",
				     (unsigned long long)i, (unsigned long long)m->nevacuate);
			live += audit_chain(s, ob, i, nold - 1, &noldovf);
		}
	}
	for (i = 0; i <= mask; i++) {
		const struct bucket *b = &m->buckets[i];

		if (m->oldbuckets && !evacuated(&m->oldbuckets[i & (nold - 1)])) {
			int j;

			for (j = 0; j < CMAP_BUCKET_SLOTS; j++)
				if (b->tophash[j] != SLOT_EMPTY_REST)
					fail(s, "new bucket filled before its old bucket moved");
			if (b->overflow)
				fail(s, "new bucket chained before its old bucket moved");
			continue;
		}
		live += audit_chain(s, b, i, mask, &novf);
	}
	cmap_stats(m, &stt);
	if (live != s->ref.count || live != m->count)
		fail(s, "audit: %llu live entries, count %llu, reference %u",
		     (unsigned long long)live, (unsigned long long)m->count, s->ref.count);
	if (novf != m->noverflow || noldovf != m->noldoverflow || stt.overflow != novf + noldovf)
		fail(s, "audit: overflow buckets %llu + %llu old, map says %llu + %llu",
		     (unsigned long long)novf, (unsigned long long)noldovf,
		     (unsigned long long)m->noverflow, (unsigned long long)m->noldoverflow);
	if (stt.evacuated != s->evac_done + marks)
		fail(s, "audit: evacuated %llu, expected %llu + %llu marked",
		     (unsigned long long)stt.evacuated, (unsigned long long)s->evac_done,
		     (unsigned long long)marks);
}

/* Full iteration against the reference. */
static void iterate_all(struct st *s)
{
	struct cmap_stats before, after;
	uint64_t n = 0, id, v, k;
	const void *kp;
	struct cmap_iter it;
	size_t len;

	s->iters++;
	s->iters_mid += s->m->oldbuckets != NULL;
	cmap_stats(s->m, &before);
	memset(s->seen, 0, s->run->n);
	cmap_iter_init(&it, s->m);
	for (;;) {
		if (s->run->bytes) {
			if (!cmap_iter_next_bytes(&it, &kp, &len, &v))
				break;
			id = bytes_id(kp, len, s->run->n);
		} else {
			if (!cmap_iter_next(&it, &k, &v))
				break;
			id = int_id(k, s->run->n);
		}
		n++;
		if (id == UINT64_MAX) {
			fail(s, "iteration returned a key outside the domain");
			continue;
		}
		if (s->seen[id]++)
			fail(s, "iteration returned id %llu twice", (unsigned long long)id);
		if (!s->ref.present[id] || s->ref.val[id] != v)
			fail(s, "iteration returned id %llu with a wrong value or absent",
			     (unsigned long long)id);
	}
	if (n != s->ref.count)
		fail(s, "iteration returned %llu entries, reference holds %u",
		     (unsigned long long)n, s->ref.count);
	cmap_stats(s->m, &after);
	if (memcmp(&before, &after, sizeof(before)))
		fail(s, "iteration changed the map's counters");
}

/* ---- one operation, with every check that applies to it ---- */

enum op {
	OP_PUT,		/* random id: insert or update */
	OP_PUT_PRESENT, /* update */
	OP_DEL,		/* random id */
	OP_DEL_PRESENT,
	OP_GET,
	OP_GET_PRESENT,
	OP_GET_FOREIGN, /* a key that is most likely outside the domain */
	OP_COMPACT,
};

/*
 * With a sliding window, inserts land in the window and deletes take the oldest key left
 * behind it (or the window's first), so the live set moves through the domain at a steady size:
 * groups of colliding keys fill a chain, then empty it, and the chain's overflow buckets stay
 * behind until a grow.
 */
static uint32_t pick_id(struct st *s, enum op op)
{
	uint32_t n = s->run->n, w = s->run->window;

	if (!w)
		return rnd(s, n);
	if (op != OP_DEL)
		return (s->base + rnd(s, w)) % n;
	while (s->tail != s->base && !s->ref.present[s->tail])
		s->tail = (s->tail + 1) % n;
	return s->tail;
}

/* @forced: the id to use, or -1 to pick one as @op says. */
static void do_op_id(struct st *s, enum op op, int64_t forced)
{
	cmap_t *m = s->m;
	const struct bucket *old0 = m->oldbuckets;
	uint64_t B0 = m->B, cnt0 = m->count, novf0 = m->noverflow, nevac0 = m->nevacuate;
	bool g0 = old0 != NULL, inserted = false, write = true;
	struct cmap_stats a, b;
	uint64_t v;
	uint32_t id;
	int rc;

	cmap_stats(m, &a);
	s->ops_mid += g0;
	switch (forced >= 0 ? OP_COMPACT : op) {
	case OP_COMPACT:
		/* Compaction takes no key; a forced id is used as given. */
		id = forced >= 0 ? forced : 0;
		break;
	case OP_PUT_PRESENT:
	case OP_DEL_PRESENT:
	case OP_GET_PRESENT:
		if (!s->ref.count) {
			op = op == OP_GET_PRESENT ? OP_GET : op == OP_PUT_PRESENT ? OP_PUT : OP_DEL;
			id = pick_id(s, op);
		} else {
			id = s->ref.list[rnd(s, s->ref.count)];
		}
		break;
	default:
		id = pick_id(s, op);
		break;
	}
	switch (op) {
	case OP_PUT:
	case OP_PUT_PRESENT:
		v = check_rand(&s->rng);
		rc = map_put(s, id, v);
		if (rc != ref_put(&s->ref, id, v))
			fail(s, "put id %u returned %d", id, rc);
		inserted = rc == 1;
		if (rc == 1)
			s->inserts++;
		else
			s->updates++;
		break;
	case OP_DEL:
	case OP_DEL_PRESENT:
		rc = map_del(s, id);
		if (rc != ref_del(&s->ref, id))
			fail(s, "delete id %u disagrees", id);
		if (rc)
			s->deletes++;
		break;
	case OP_GET:
	case OP_GET_PRESENT:
		write = false;
		s->lookups++;
		s->gets_mid += g0;
		v = 0;
		if (map_get(s, id, &v) != s->ref.present[id] ||
		    (s->ref.present[id] && v != s->ref.val[id]))
			fail(s, "get id %u disagrees", id);
		break;
	case OP_GET_FOREIGN:
		write = false;
		s->lookups++;
		if (!s->run->bytes) {
			uint64_t key = check_rand(&s->rng), fid = int_id(key, s->run->n);
			bool want = fid != UINT64_MAX && s->ref.present[fid];

			if (cmap_get(m, key, &v) != want || (want && v != s->ref.val[fid]))
				fail(s, "get of foreign key %llx disagrees",
				     (unsigned long long)key);
		} else {
			unsigned char buf[MAXKEY];
			size_t len = rnd(s, MAXKEY), j;
			uint64_t fid;
			bool want;

			for (j = 0; j < len; j++)
				buf[j] = (unsigned char)check_rand(&s->rng);
			fid = bytes_id(buf, len, s->run->n);
			want = fid != UINT64_MAX && s->ref.present[fid];
			if (cmap_get_bytes(m, buf, len, &v) != want ||
			    (want && v != s->ref.val[fid]))
				fail(s, "get of a foreign byte key disagrees");
		}
		break;
	case OP_COMPACT:
		s->compacts++;
		if (g0) {
			/* The grow ends here, with only the buckets moved so far evacuated. */
			s->compacts_mid++;
			s->evac_done += count_marks(m);
		}
		if (cmap_compact(m))
			fail(s, "compact failed");
		cmap_stats(m, &b);
		if (m->oldbuckets || b.B != (uint64_t)cmap__b_for_hint(m->count))
			fail(s, "compact left B = %llu for %llu entries", (unsigned long long)b.B,
			     (unsigned long long)m->count);
		b.overflow = a.overflow;
		b.B = a.B;
		b.buckets = a.buckets;
		if (memcmp(&a, &b, sizeof(a)))
			fail(s, "compact changed an operation counter");
		return;
	}

	cmap_stats(m, &b);
	if (b.inserts != s->inserts || b.updates != s->updates || b.deletes != s->deletes ||
	    b.lookups != s->lookups || b.count != s->ref.count)
		fail(s,
		     "counters: inserts %llu/%llu updates %llu/%llu deletes %llu/%llu lookups "
		     "%llu/%llu count %llu/%u",
		     (unsigned long long)b.inserts, (unsigned long long)s->inserts,
		     (unsigned long long)b.updates, (unsigned long long)s->updates,
		     (unsigned long long)b.deletes, (unsigned long long)s->deletes,
		     (unsigned long long)b.lookups, (unsigned long long)s->lookups,
		     (unsigned long long)b.count, s->ref.count);

	/* Growth: only an insert of a new key may start a grow, exactly when the rule says. */
	{
		uint64_t dg = b.grows - a.grows, ds = b.same_size_grows - a.same_size_grows;
		bool finished = g0 && (dg + ds == 1 || !m->oldbuckets);

		if (!write && (m->oldbuckets != old0 || b.B != B0 || b.evacuated != a.evacuated ||
			       m->noverflow != novf0))
			fail(s, "a read changed the map's structure");
		/* Grow work is two buckets; an insert that starts a grow does it twice. */
		if (b.evacuated - a.evacuated > (dg || ds ? 4u : 2u) ||
		    (!g0 && b.evacuated != a.evacuated && !dg && !ds))
			fail(s, "a write evacuated %llu buckets",
			     (unsigned long long)(b.evacuated - a.evacuated));
		/* Each write moves the evacuation mark on, so a grow ends within nold writes. */
		if (write && g0 && m->oldbuckets == old0 && m->nevacuate <= nevac0)
			fail(s, "a write during a grow did not advance the evacuation");
		if (!inserted && (dg || ds))
			fail(s, "an operation other than an insert grew the map");
		if (dg + ds > 1)
			fail(s, "one insert grew twice");
		if (dg && (!over_load(cnt0 + 1, B0) || b.B != B0 + 1))
			fail(s, "doubling grow at count %llu B %llu", (unsigned long long)cnt0,
			     (unsigned long long)B0);
		if (ds && (over_load(cnt0 + 1, B0) || b.B != B0 ||
			   (!g0 && !too_many_overflow(novf0, B0))))
			fail(s, "same-size grow at count %llu B %llu overflow %llu",
			     (unsigned long long)cnt0, (unsigned long long)B0,
			     (unsigned long long)novf0);
		if (inserted && !g0 &&
		    (dg + ds == 1) != (over_load(cnt0 + 1, B0) || too_many_overflow(novf0, B0)))
			fail(s,
			     "insert at count %llu B %llu overflow %llu: grew %llu, rule says %d",
			     (unsigned long long)cnt0, (unsigned long long)B0,
			     (unsigned long long)novf0, (unsigned long long)(dg + ds),
			     over_load(cnt0 + 1, B0) || too_many_overflow(novf0, B0));
		if (inserted && finished && (dg == 1) != over_load(cnt0 + 1, B0))
			fail(s, "a grow finished by this insert did not lead to the doubling due");
		if (finished)
			s->evac_done += s->nold;
		if (finished && !dg && !ds && b.evacuated != s->evac_done)
			fail(s, "grow finished with evacuated %llu, expected %llu",
			     (unsigned long long)b.evacuated, (unsigned long long)s->evac_done);
		if (dg || ds) {
			s->grows += dg;
			s->same_size += ds;
			s->nold = nold_of(m);
			/* Small grows can finish within the insert that started them. */
			if (!m->oldbuckets)
				s->evac_done += s->nold;
			/* Right after a grow is the best moment to look at a half-moved map. */
			if (rnd(s, 4) == 0)
				iterate_all(s);
			if (rnd(s, 8) == 0)
				audit(s);
		}
	}
}

static void do_op(struct st *s, enum op op)
{
	do_op_id(s, op, -1);
}

/*
 * Iterate while changing the map under the iterator: every entry present throughout must come
 * back exactly once, with its current value; nothing absent may come back; an entry may come
 * back twice only if it was deleted (and re-inserted) in between.
 */
static void episode(struct st *s)
{
	/* Own arrays: the operations below may run a full iteration or audit, which use seen[]. */
	uint8_t *at_start = malloc(s->run->n), *seen = calloc(s->run->n, 1);
	uint64_t n = 0, id, v, k, missed = 0;
	struct cmap_iter it;
	const void *kp;
	size_t len;
	uint32_t i;

	s->episodes++;
	memcpy(at_start, s->ref.present, s->run->n);
	memset(s->gone, 0, s->run->n);
	cmap_iter_init(&it, s->m);
	for (;;) {
		if (s->run->bytes) {
			if (!cmap_iter_next_bytes(&it, &kp, &len, &v))
				break;
			id = bytes_id(kp, len, s->run->n);
		} else {
			if (!cmap_iter_next(&it, &k, &v))
				break;
			id = int_id(k, s->run->n);
		}
		n++;
		if (id == UINT64_MAX) {
			fail(s, "episode: a key outside the domain");
		} else {
			if (seen[id]++ && !s->gone[id])
				fail(s, "episode: id %llu returned twice", (unsigned long long)id);
			if (!s->ref.present[id] || s->ref.val[id] != v)
				fail(s, "episode: id %llu absent or stale", (unsigned long long)id);
		}
		for (i = rnd(s, 4); i; i--) {
			uint64_t r = rnd(s, 100);

			s->op++;
			if (r < 40) {
				do_op(s, OP_PUT);
			} else if (r < 55) {
				do_op(s, OP_PUT_PRESENT);
			} else if (r < 99) {
				uint32_t del = s->ref.count ? s->ref.list[rnd(s, s->ref.count)] : 0;

				s->gone[del] = 1;
				do_op_id(s, OP_DEL, del);
			} else {
				do_op(s, OP_COMPACT);
			}
		}
	}
	for (i = 0; i < s->run->n; i++)
		if (at_start[i] && !s->gone[i] && !seen[i])
			missed++;
	if (missed)
		fail(s, "episode: %llu entries present throughout were never returned",
		     (unsigned long long)missed);
	free(at_start);
	free(seen);
}

static void run(const struct run *r, uint64_t seed)
{
	struct st s = {.run = r, .rng = seed};
	double t0 = check_now();
	uint64_t phase_len = r->ops / 40 > 1000 ? r->ops / 40 : 1000;
	struct cmap_stats st;

	ref_init(&s.ref, r->n);
	s.seen = calloc(r->n, 1);
	s.gone = calloc(r->n, 1);
	s.m = r->bytes ? cmap_new_bytes(0, r->hash) : cmap_new(0);
	for (s.op = 0; s.op < r->ops; s.op++) {
		unsigned int phase = (s.op / phase_len) % 4;
		uint64_t x = rnd(&s, 1000);
		enum op op;

		if (r->window && s.op % 4 == 0)
			s.base = (s.base + 1) % r->n;
		/* Fill, mix, drain, mix with compaction: B keeps rising and falling. */
		static const uint16_t mixes[5][6] = {
			/* put, put-present, del, del-present, get, get-present (cumulative) */
			{650, 720, 760, 800, 900, 990},
			{300, 450, 570, 700, 850, 990},
			{100, 200, 450, 700, 850, 990},
			{300, 450, 570, 700, 850, 990},
			/* sliding window: as many deletes behind it as inserts into it */
			{400, 500, 900, 900, 950, 990},
		};
		const uint16_t *p = mixes[r->window ? 4 : phase];

		if (phase == 3 && rnd(&s, r->compact_every) == 0)
			op = OP_COMPACT;
		else if (x < p[0])
			op = OP_PUT;
		else if (x < p[1])
			op = OP_PUT_PRESENT;
		else if (x < p[2])
			op = OP_DEL;
		else if (x < p[3])
			op = OP_DEL_PRESENT;
		else if (x < p[4])
			op = OP_GET;
		else if (x < p[5])
			op = OP_GET_PRESENT;
		else
			op = OP_GET_FOREIGN;
		do_op(&s, op);
		if (s.op % 20011 == 0)
			audit(&s);
		if (s.op % 50021 == 0)
			iterate_all(&s);
		if (s.op % 200003 == 100000)
			episode(&s);
	}
	audit(&s);
	iterate_all(&s);
	episode(&s);
	audit(&s);
	cmap_stats(s.m, &st);
	diag("%s: %llu ops in %.2f s, seed %llu: %llu grows, %llu same-size grows, %llu "
	     "evacuated, %llu compactions (%llu mid-grow), %llu audits, %llu full iterations "
	     "(%llu mid-grow), %llu iteration episodes, %llu ops (%llu lookups) during "
	     "evacuation, final count %llu B %llu",
	     r->name, (unsigned long long)s.op, check_now() - t0, (unsigned long long)seed,
	     (unsigned long long)s.grows, (unsigned long long)s.same_size,
	     (unsigned long long)st.evacuated, (unsigned long long)s.compacts,
	     (unsigned long long)s.compacts_mid, (unsigned long long)s.audits,
	     (unsigned long long)s.iters, (unsigned long long)s.iters_mid,
	     (unsigned long long)s.episodes, (unsigned long long)s.ops_mid,
	     (unsigned long long)s.gets_mid, (unsigned long long)st.count,
	     (unsigned long long)st.B);
	check(s.mismatches == 0, "%s: %llu mixed operations match the reference (%llu mismatches)",
	      r->name, (unsigned long long)s.op, (unsigned long long)s.mismatches);
	check(s.grows > 0 && s.compacts > 0 && s.iters_mid > 0 && s.gets_mid > 0,
	      "%s: the run covered grows (%llu), compactions (%llu), iteration and lookups "
	      "during evacuation",
	      r->name, (unsigned long long)s.grows, (unsigned long long)s.compacts);
	if (r->window)
		check(s.same_size > 0, "%s: colliding keys forced same-size grows (%llu)", r->name,
		      (unsigned long long)s.same_size);
	cmap_free(s.m);
	ref_fini(&s.ref);
	free(s.seen);
	free(s.gone);
}

int main(int argc, char **argv)
{
	static const struct run runs[] = {
		{"integer keys", false, NULL, 1 << 17, 1000000, 3000, 0},
		{"integer keys, small domain", false, NULL, 300, 300000, 300, 0},
		{"byte keys", true, NULL, 1 << 16, 300000, 3000, 0},
		{"byte keys, colliding hash", true, group_hash, 1 << 16, 1000000, 100000, 2048},
	};
	uint64_t seed = argc > 1 ? strtoull(argv[1], NULL, 0) : 20240601;
	double t0 = check_now();
	size_t i;

	/* Newton's iteration for the inverse of an odd number modulo 2^64. */
	mix_cinv = MIX_C;
	for (i = 0; i < 6; i++)
		mix_cinv *= 2 - MIX_C * mix_cinv;
	for (i = 16; i < runs[0].n; i++)
		if (mix(i) + 8 < 16 || unmix(mix(i)) != i)
			break;
	check(i == runs[0].n && MIX_C * mix_cinv == 1, "the integer key encoding is invertible");

	for (i = 0; i < sizeof(runs) / sizeof(runs[0]); i++)
		run(&runs[i], seed + i);
	diag("test_diff: %.2f s", check_now() - t0);
	return check_exit();
}
