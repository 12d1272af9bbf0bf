// SPDX-License-Identifier: MIT
/*
 * The core map.  Layout and growth follow Go's runtime map (runtime/map.go as of Go 1.23, before
 * Swiss tables); internal names mirror Go's (hash_grow, grow_work, evacuate,
 * advance_evacuation_mark) so the two read side by side.  Where this code differs from Go it
 * says why.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmap_impl.h"
#include "probes.h"

#ifndef CMAP_NO_PROBES
#define CMAP_DEFINE_SEMAPHORE(name)                                                                \
	unsigned short cmap_##name##_semaphore __attribute__((unused))                             \
	__attribute__((section(".probes")));
CMAP_PROBE_LIST(CMAP_DEFINE_SEMAPHORE)
#undef CMAP_DEFINE_SEMAPHORE
#endif

#define SLOTS CMAP_BUCKET_SLOTS
/* Larger arrays cannot be allocated anyway; the cap keeps every shift below 64. */
#define MAX_B 56
/* As in Go: a write scans at most this far for the next unevacuated bucket, bounding its cost. */
#define EVAC_SCAN_MAX 1024

/*
 * Hashing: a multiply-fold hash after wyhash (public domain).  Each 64x64->128 multiply folds
 * its halves together, so every input bit reaches both the low bits (bucket index) and the top
 * byte (tophash).
 */
static const uint64_t K0 = 0x2d358dccaa6c78a5ull;
static const uint64_t K1 = 0x8bb84b93962eacc9ull;
static const uint64_t K2 = 0x4b33a62ed433d4a3ull;
static const uint64_t K3 = 0x4d5a2da51de1aa47ull;

static inline uint64_t mum(uint64_t a, uint64_t b)
{
	unsigned __int128 r = (unsigned __int128)a * b;

	return (uint64_t)r ^ (uint64_t)(r >> 64);
}

static inline uint64_t rd64(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint64_t rd32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* Always inlined so a constant @len (integer keys) folds down to a few instructions. */
static inline __attribute__((always_inline)) uint64_t hash_mem(const void *key, size_t len,
							       uint64_t seed)
{
	const unsigned char *p = key;
	unsigned __int128 r;
	uint64_t a, b;

	seed ^= mum(seed ^ K0, K1);
	if (len <= 16) {
		if (len >= 4) {
			size_t off = (len >> 3) << 2;

			a = rd32(p) << 32 | rd32(p + off);
			b = rd32(p + len - 4) << 32 | rd32(p + len - 4 - off);
		} else if (len > 0) {
			a = (uint64_t)p[0] << 16 | (uint64_t)p[len >> 1] << 8 | p[len - 1];
			b = 0;
		} else {
			a = 0;
			b = 0;
		}
	} else {
		size_t i = len;

		if (i > 48) {
			uint64_t s1 = seed, s2 = seed;

			do {
				seed = mum(rd64(p) ^ K1, rd64(p + 8) ^ seed);
				s1 = mum(rd64(p + 16) ^ K2, rd64(p + 24) ^ s1);
				s2 = mum(rd64(p + 32) ^ K3, rd64(p + 40) ^ s2);
				p += 48;
				i -= 48;
			} while (i > 48);
			seed ^= s1 ^ s2;
		}
		while (i > 16) {
			seed = mum(rd64(p) ^ K1, rd64(p + 8) ^ seed);
			p += 16;
			i -= 16;
		}
		/* The last 16 bytes of the key, overlapping what was already mixed. */
		a = rd64(p + i - 16);
		b = rd64(p + i - 8);
	}
	r = (unsigned __int128)(a ^ K1) * (b ^ seed);
	return mum((uint64_t)r ^ K0 ^ len, (uint64_t)(r >> 64) ^ K1);
}

uint64_t cmap_hash_bytes(const void *key, size_t len, uint64_t seed)
{
	return hash_mem(key, len, seed);
}

uint64_t cmap__hash_u64(uint64_t key, uint64_t seed)
{
	return hash_mem(&key, sizeof(key), seed);
}

static uint64_t seeds_drawn;

/* Exported (not hidden) so a tracer finds it by name in the ELF symbol tables. */
struct cmap_totals cmap_totals;

#define TOTAL_ADD(field, n) __atomic_fetch_add(&cmap_totals.field, (n), __ATOMIC_RELAXED)

uint64_t cmap__next_seed(void)
{
	/* splitmix64: a bijection, so the seeds of different maps never coincide. */
	uint64_t z =
		(__atomic_fetch_add(&seeds_drawn, 1, __ATOMIC_RELAXED) + 1) * 0x9e3779b97f4a7c15ull;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static inline uint8_t tophash(uint64_t hash)
{
	uint8_t top = hash >> 56;

	return top < TOPHASH_MIN ? top + TOPHASH_MIN : top;
}

static inline bool slot_empty(uint8_t t)
{
	return t <= SLOT_EMPTY_ONE;
}

/* Evacuation marks every slot of an old bucket, so slot 0 tells whether it has been moved. */
static inline bool bucket_evacuated(const struct bucket *b)
{
	return b->tophash[0] > SLOT_EMPTY_ONE && b->tophash[0] < TOPHASH_MIN;
}

static inline uint64_t bucket_mask(unsigned int B)
{
	return ((uint64_t)1 << B) - 1;
}

static inline uint64_t noldbuckets(const cmap_t *m)
{
	return (uint64_t)1 << (m->samesize ? m->B : m->B - 1);
}

/*
 * Go's overLoadFactor: more than 6.5 entries per bucket on average.  The integer division makes
 * the B = 0 threshold 0, so the "more than one bucket's worth" test is what limits B = 0 to 8.
 */
static bool over_load_factor(uint64_t count, unsigned int B)
{
	return count > SLOTS && count > CMAP_LOAD_NUM * (((uint64_t)1 << B) / CMAP_LOAD_DEN);
}

/*
 * Go's tooManyOverflowBuckets.  Go counts overflow buckets approximately once B >= 16; this
 * count is exact, so when a same-size grow happens depends only on the hash distribution.
 */
static bool too_many_overflow(uint64_t noverflow, unsigned int B)
{
	return noverflow >= (uint64_t)1 << (B < 15 ? B : 15);
}

int cmap__b_for_hint(size_t hint)
{
	unsigned int B = 0;

	while (over_load_factor(hint, B))
		if (++B > MAX_B)
			return -EINVAL;
	return B;
}

/* What a lookup compares: the key (integer or bytes) and its hash. */
struct key {
	uint64_t i;
	const void *p;
	size_t len;
	uint64_t hash;
};

static inline struct bkey *slot_bkey(uint64_t slotkey)
{
	return (struct bkey *)(uintptr_t)slotkey;
}

static inline bool key_match(const cmap_t *m, uint64_t slotkey, const struct key *k)
{
	const struct bkey *bk;

	if (!m->bytes)
		return slotkey == k->i;
	bk = slot_bkey(slotkey);
	return bk->hash == k->hash && bk->len == k->len &&
	       (k->len == 0 || memcmp(bk->data, k->p, k->len) == 0);
}

static inline uint64_t slot_hash(const cmap_t *m, uint64_t slotkey)
{
	return m->bytes ? slot_bkey(slotkey)->hash : cmap__hash_u64(slotkey, m->seed);
}

static inline struct key int_key(const cmap_t *m, uint64_t key)
{
	return (struct key){.i = key, .hash = cmap__hash_u64(key, m->seed)};
}

static inline struct key bytes_key(const cmap_t *m, const void *p, size_t len)
{
	uint64_t h = m->hash ? m->hash(p, len, m->seed) : hash_mem(p, len, m->seed);

	return (struct key){.p = p, .len = len, .hash = h};
}

/* The chain holding @hash: the old bucket while it has not been evacuated, else the new one. */
static struct bucket *lookup_bucket(const cmap_t *m, uint64_t hash)
{
	uint64_t mask = bucket_mask(m->B);

	if (m->oldbuckets) {
		struct bucket *ob = &m->oldbuckets[hash & (noldbuckets(m) - 1)];

		if (!bucket_evacuated(ob))
			return ob;
	}
	return &m->buckets[hash & mask];
}

static bool find(const cmap_t *m, const struct key *k, struct bucket **headp, struct bucket **bp,
		 int *ip)
{
	struct bucket *b = lookup_bucket(m, k->hash);
	uint8_t top = tophash(k->hash);
	int i;

	*headp = b;
	for (; b; b = b->overflow) {
		for (i = 0; i < SLOTS; i++) {
			if (b->tophash[i] != top) {
				if (b->tophash[i] == SLOT_EMPTY_REST)
					return false;
				continue;
			}
			if (key_match(m, b->keys[i], k)) {
				*bp = b;
				*ip = i;
				return true;
			}
		}
	}
	return false;
}

static struct bucket *new_overflow(cmap_t *m, struct bucket *last)
{
	struct bucket *ovf = calloc(1, sizeof(*ovf));

	if (!ovf)
		return NULL;
	last->overflow = ovf;
	m->noverflow++;
	return ovf;
}

static void free_overflow_chains(struct bucket *arr, uint64_t n)
{
	struct bucket *b, *next;
	uint64_t i;

	for (i = 0; i < n; i++) {
		for (b = arr[i].overflow; b; b = next) {
			next = b->overflow;
			free(b);
		}
		arr[i].overflow = NULL;
	}
}

static void advance_evacuation_mark(cmap_t *m, uint64_t newbit)
{
	uint64_t stop;

	m->nevacuate++;
	stop = m->nevacuate + EVAC_SCAN_MAX;
	if (stop > newbit)
		stop = newbit;
	while (m->nevacuate != stop && bucket_evacuated(&m->oldbuckets[m->nevacuate]))
		m->nevacuate++;
	if (m->nevacuate == newbit) {
		/* Every old chain freed its overflow buckets when it was evacuated. */
		free(m->oldbuckets);
		m->oldbuckets = NULL;
		m->nevacuate = 0;
		m->samesize = false;
		CMAP_PROBE3_IF(m->announced, grow_done, m, m->B, m->count);
	}
}

static inline uint64_t overflow_needed(uint64_t n)
{
	return n > SLOTS ? (n - 1) / SLOTS : 0;
}

/*
 * CLOCK_MONOTONIC in ns while a tracer holds the grow_begin probe and knows the map, else 0:
 * untraced, or in a map too small for its grows to be probed, a grow or an evacuation step
 * reads no clock.
 */
static uint64_t traced_now(const cmap_t *m)
{
	struct timespec ts;

	if (!CMAP_PROBE_ON(grow_begin) || !m->announced || clock_gettime(CLOCK_MONOTONIC, &ts))
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Add the time since @t0 (from traced_now()) to *@total. */
static void traced_add(const cmap_t *m, uint64_t t0, uint64_t *total)
{
	uint64_t t1 = t0 ? traced_now(m) : 0;

	if (t1 > t0)
		*total += t1 - t0;
}

/*
 * The first reading of both clocks while traced: cmap_stats() converts evacuation cycles to
 * ns at the rate from here to its own reading (a tracer uses its own pair of readings).
 */
static uint64_t cycles_base, cycles_base_ns;

/* cmap_cycles() while a tracer holds the grow_begin probe and knows the map, else 0. */
static uint64_t traced_cycles(const cmap_t *m)
{
	if (!CMAP_PROBE_ON(grow_begin) || !m->announced)
		return 0;
	if (!__atomic_load_n(&cycles_base_ns, __ATOMIC_ACQUIRE)) {
		uint64_t c = cmap_cycles(), ns = traced_now(m), zero = 0;

		if (__atomic_compare_exchange_n(&cycles_base, &zero, c, false, __ATOMIC_ACQ_REL,
						__ATOMIC_ACQUIRE))
			__atomic_store_n(&cycles_base_ns, ns, __ATOMIC_RELEASE);
	}
	return cmap_cycles();
}

/*
 * Move old bucket @oldbucket (with its chain) into the new array.  Unlike Go, whose allocations
 * cannot fail, the overflow buckets the destinations need are allocated before anything moves,
 * so -ENOMEM leaves the map as it was.
 */
static int evacuate(cmap_t *m, uint64_t oldbucket)
{
	struct bucket *ob = &m->oldbuckets[oldbucket];
	uint64_t newbit = noldbuckets(m);

	if (!bucket_evacuated(ob)) {
		struct {
			struct bucket *b;
			int i;
		} dst[2];
		struct bucket *b, *next, *spare = NULL;
		uint64_t n[2] = {0, 0}, need, t0 = traced_cycles(m);
		int i;

		CMAP_PROBE2_IF(m->announced, evacuate_begin, m, oldbucket);
		for (b = ob; b; b = b->overflow)
			for (i = 0; i < SLOTS; i++)
				if (!slot_empty(b->tophash[i]))
					n[!m->samesize && (slot_hash(m, b->keys[i]) & newbit)]++;
		for (need = overflow_needed(n[0]) + overflow_needed(n[1]); need; need--) {
			b = calloc(1, sizeof(*b));
			if (!b) {
				for (; spare; spare = next) {
					next = spare->overflow;
					free(spare);
				}
				return -ENOMEM;
			}
			b->overflow = spare;
			spare = b;
		}

		/* Both destinations are empty: nothing lands in them before this bucket moves. */
		dst[0].b = &m->buckets[oldbucket];
		dst[0].i = 0;
		dst[1].b = m->samesize ? NULL : &m->buckets[oldbucket + newbit];
		dst[1].i = 0;
		for (b = ob; b; b = b->overflow) {
			for (i = 0; i < SLOTS; i++) {
				uint8_t top = b->tophash[i];
				int y;

				if (slot_empty(top)) {
					b->tophash[i] = SLOT_EVAC_EMPTY;
					continue;
				}
				y = !m->samesize && (slot_hash(m, b->keys[i]) & newbit);
				b->tophash[i] = SLOT_EVAC_X + y;
				if (dst[y].i == SLOTS) {
					struct bucket *c = spare;

					spare = c->overflow;
					c->overflow = NULL;
					dst[y].b->overflow = c;
					m->noverflow++;
					dst[y].b = c;
					dst[y].i = 0;
				}
				dst[y].b->tophash[dst[y].i] = top;
				dst[y].b->keys[dst[y].i] = b->keys[i];
				dst[y].b->vals[dst[y].i] = b->vals[i];
				dst[y].i++;
			}
		}
		/*
		 * Go keeps old overflow buckets until the whole grow ends (its iterators walk
		 * them); nothing here reads an evacuated chain, so give the memory back now.
		 */
		for (b = ob->overflow; b; b = next) {
			next = b->overflow;
			free(b);
			m->noldoverflow--;
		}
		ob->overflow = NULL;
		m->evacuated++;
		m->moved += n[0] + n[1];
		if (t0)
			m->evac_cycles += cmap_cycles() - t0;
		CMAP_PROBE3_IF(m->announced, evacuate, m, oldbucket, n[0] + n[1]);
	}
	if (oldbucket == m->nevacuate)
		advance_evacuation_mark(m, newbit);
	return 0;
}

/* Go's growWork: the bucket the write is about to use, plus one more to make progress. */
static int grow_work(cmap_t *m, uint64_t bucket)
{
	int err = evacuate(m, bucket & (noldbuckets(m) - 1));

	if (!err && m->oldbuckets)
		err = evacuate(m, m->nevacuate);
	return err;
}

static int hash_grow(cmap_t *m)
{
	bool bigger = over_load_factor(m->count + 1, m->B);
	unsigned int newB = m->B + bigger;
	struct bucket *nb;
	uint64_t t0;

	if (newB > MAX_B)
		return -ENOMEM;
	/*
	 * A small standalone map's grows fire no probe unless map_create is traced too: a probe
	 * hit costs more than making, filling and freeing such a map (bench/README.md, "Map
	 * churn since"); the map and the library's totals count them, and a tracer reads those.
	 * A concurrent map's inner maps are followed with it while ccmap_create is traced.
	 */
	if (!m->announced && !m->quiet && CMAP_PROBE_ON(grow_begin) &&
	    (newB >= CMAP_QUIET_B || CMAP_PROBE_ON(map_create) ||
	     (m->parent && CMAP_PROBE_ON(ccmap_create))))
		m->announced = true;
	CMAP_PROBE5_IF(m->announced, grow_begin, m, m->B, newB, m->count, !bigger);
	t0 = traced_now(m);
	nb = calloc((size_t)1 << newB, sizeof(*nb));
	if (!nb) {
		/* Still close the pair, so a tracer timing the allocation is not left hanging. */
		CMAP_PROBE1_IF(m->announced, grow_end, m);
		return -ENOMEM;
	}
	m->oldbuckets = m->buckets;
	m->buckets = nb;
	m->B = newB;
	m->nevacuate = 0;
	m->noldoverflow = m->noverflow;
	m->noverflow = 0;
	m->samesize = !bigger;
	if (bigger) {
		m->grows++;
		TOTAL_ADD(grows, 1);
	} else {
		m->same_size_grows++;
		TOTAL_ADD(same_size_grows, 1);
	}
	traced_add(m, t0, &m->grow_ns);
	CMAP_PROBE1_IF(m->announced, grow_end, m);
	return 0;
}

/* Go's mapassign. */
static int assign(cmap_t *m, const struct key *k, uint64_t val)
{
	uint8_t top = tophash(k->hash);
	struct bucket *b, *insb;
	uint64_t slotkey;
	int i, insi, err;

again:
	if (m->oldbuckets) {
		err = grow_work(m, k->hash & bucket_mask(m->B));
		if (err)
			return err;
	}
	b = &m->buckets[k->hash & bucket_mask(m->B)];
	insb = NULL;
	insi = 0;
	for (;;) {
		for (i = 0; i < SLOTS; i++) {
			if (b->tophash[i] != top) {
				if (!insb && slot_empty(b->tophash[i])) {
					insb = b;
					insi = i;
				}
				if (b->tophash[i] == SLOT_EMPTY_REST)
					goto absent;
				continue;
			}
			if (!key_match(m, b->keys[i], k))
				continue;
			b->vals[i] = val;
			m->updates++;
			return 0;
		}
		if (!b->overflow)
			break;
		b = b->overflow;
	}
absent:
	/* A scratch map (cmap__scratch_init) lives in caller storage and must never grow. */
	if (!m->oldbuckets && !m->quiet &&
	    (over_load_factor(m->count + 1, m->B) || too_many_overflow(m->noverflow, m->B))) {
		err = hash_grow(m);
		if (err)
			return err;
		/* The bucket array changed under us; search again. */
		goto again;
	}

	slotkey = k->i;
	if (m->bytes) {
		struct bkey *bk = malloc(sizeof(*bk) + k->len);

		if (!bk)
			return -ENOMEM;
		bk->hash = k->hash;
		bk->seq = m->nextseq++;
		bk->len = k->len;
		if (k->len)
			memcpy(bk->data, k->p, k->len);
		slotkey = (uintptr_t)bk;
	}
	if (!insb) {
		/* The loop ran to the end of the chain: b is its last bucket. */
		insb = new_overflow(m, b);
		if (!insb) {
			if (m->bytes)
				free(slot_bkey(slotkey));
			return -ENOMEM;
		}
		insi = 0;
	}
	insb->tophash[insi] = top;
	insb->keys[insi] = slotkey;
	insb->vals[insi] = val;
	m->count++;
	m->inserts++;
	CMAP_PROBE2_IF(!m->quiet && !m->copying, insert, m, k->hash);
	return 1;
}

/*
 * Go's mapdelete, including its trick of turning a trailing run of EMPTY_ONE slots into
 * EMPTY_REST so later misses stop early.
 */
static bool delete_key(cmap_t *m, const struct key *k)
{
	struct bucket *head, *b;
	int i;

	/*
	 * If evacuation fails for lack of memory the key is deleted wherever it is; find() looks
	 * in old buckets too.
	 */
	if (m->oldbuckets)
		(void)grow_work(m, k->hash & bucket_mask(m->B));
	if (!find(m, k, &head, &b, &i))
		return false;
	if (m->bytes)
		free(slot_bkey(b->keys[i]));
	b->keys[i] = 0;
	b->vals[i] = 0;
	b->tophash[i] = SLOT_EMPTY_ONE;
	m->count--;
	m->deletes++;
	CMAP_PROBE2_IF(!m->quiet, delete, m, k->hash);

	if (i == SLOTS - 1) {
		if (b->overflow && b->overflow->tophash[0] != SLOT_EMPTY_REST)
			return true;
	} else if (b->tophash[i + 1] != SLOT_EMPTY_REST) {
		return true;
	}
	for (;;) {
		b->tophash[i] = SLOT_EMPTY_REST;
		if (i == 0) {
			struct bucket *c = b;

			if (b == head)
				break;
			for (b = head; b->overflow != c; b = b->overflow)
				;
			i = SLOTS - 1;
		} else {
			i--;
		}
		if (b->tophash[i] != SLOT_EMPTY_ONE)
			break;
	}
	return true;
}

static bool lookup(const cmap_t *m, const struct key *k, uint64_t *val)
{
	struct bucket *head, *b;
	int i;

	if (!find(m, k, &head, &b, &i))
		return false;
	if (val)
		*val = b->vals[i];
	return true;
}

/* @site: the return address of the public call that creates the map (in its caller). */
static cmap_t *map_new(size_t hint, bool bytes, cmap_hash_fn hash, const void *parent,
		       const void *site)
{
	int B = cmap__b_for_hint(hint);
	cmap_t *m;

	if (B < 0) {
		errno = EINVAL;
		return NULL;
	}
	/* Aligned so the lookups counter really has a cache line of its own. */
	m = aligned_alloc(64, sizeof(*m));
	if (!m) {
		errno = ENOMEM;
		return NULL;
	}
	memset(m, 0, sizeof(*m));
	m->buckets = calloc((size_t)1 << B, sizeof(*m->buckets));
	if (!m->buckets) {
		free(m);
		errno = ENOMEM;
		return NULL;
	}
	m->B = B;
	m->bytes = bytes;
	m->hash = hash;
	m->hint = hint;
	m->seed = cmap__next_seed();
	m->site = (uintptr_t)site;
	m->parent = parent;
	/* the number of maps created so far, this one included: unique, and free */
	m->serial = TOTAL_ADD(created, 1) + 1;
	if (CMAP_PROBE_ON(map_create)) {
		m->announced = true;
		CMAP_PROBE5(map_create, m, hint, B, CMAP_PLAIN, parent);
	}
	/* a concurrent map's inner maps are followed with it: they live as long as it does */
	if (parent && CMAP_PROBE_ON(ccmap_create)) {
		m->announced = true;
		CMAP_PROBE5(ccmap_create, m, hint, B, CMAP_PLAIN, parent);
	}
	/*
	 * A map born as big as a grow that fires its probes (a size hint): it never needs to grow,
	 * so it is announced now, or a tracer following grows would never hear of it.  One map
	 * this size costs a calloc of 2^CMAP_QUIET_B buckets or more: the probe hit is rare.
	 */
	if (!m->announced && B >= CMAP_QUIET_B && CMAP_PROBE_ON(grow_begin)) {
		m->announced = true;
		CMAP_PROBE5(map_create_big, m, hint, B, CMAP_PLAIN, parent);
	}
	return m;
}

cmap_t *cmap_new(size_t hint)
{
	return map_new(hint, false, NULL, NULL, __builtin_return_address(0));
}

cmap_t *cmap__new_child(size_t hint, const void *parent)
{
	return map_new(hint, false, NULL, parent, __builtin_return_address(0));
}

cmap_t *cmap_new_bytes(size_t hint, cmap_hash_fn hash)
{
	return map_new(hint, true, hash, NULL, __builtin_return_address(0));
}

int cmap__walk(const cmap_t *m, int (*fn)(uint64_t key, uint64_t val, void *arg), void *arg)
{
	const struct bucket *b;
	uint64_t i, n;
	int s, err;

	if (m->oldbuckets) {
		n = noldbuckets(m);
		for (i = 0; i < n; i++) {
			if (bucket_evacuated(&m->oldbuckets[i]))
				continue;
			for (b = &m->oldbuckets[i]; b; b = b->overflow)
				for (s = 0; s < SLOTS; s++)
					if (!slot_empty(b->tophash[s])) {
						err = fn(b->keys[s], b->vals[s], arg);
						if (err)
							return err;
					}
		}
	}
	/* New buckets whose old bucket is not evacuated yet are empty, so walk them all. */
	n = (uint64_t)1 << m->B;
	for (i = 0; i < n; i++)
		for (b = &m->buckets[i]; b; b = b->overflow)
			for (s = 0; s < SLOTS; s++)
				if (!slot_empty(b->tophash[s])) {
					err = fn(b->keys[s], b->vals[s], arg);
					if (err)
						return err;
				}
	return 0;
}

static int free_bkey(uint64_t key, uint64_t val, void *arg)
{
	(void)val;
	(void)arg;
	free(slot_bkey(key));
	return 0;
}

void cmap_free(cmap_t *m)
{
	if (!m)
		return;
	if (!m->quiet)
		TOTAL_ADD(freed, 1);
	/*
	 * Every map's while map_create is traced, a concurrent map's inner maps' while
	 * ccmap_create is, and a map of 2^CMAP_QUIET_B buckets or more while grow_begin is: maps
	 * created (or grown that big) before that are freed as well, and their last counters are
	 * read then.
	 */
	CMAP_PROBE1_IF(m->announced || (!m->quiet && CMAP_PROBE_ON(map_create)) ||
			       (m->parent && CMAP_PROBE_ON(ccmap_create)) ||
			       (m->B >= CMAP_QUIET_B && !m->quiet && CMAP_PROBE_ON(grow_begin)),
		       map_destroy, m);
	if (m->bytes)
		cmap__walk(m, free_bkey, NULL);
	if (m->oldbuckets) {
		free_overflow_chains(m->oldbuckets, noldbuckets(m));
		free(m->oldbuckets);
	}
	free_overflow_chains(m->buckets, (uint64_t)1 << m->B);
	free(m->buckets);
	free(m);
}

int cmap_put(cmap_t *m, uint64_t key, uint64_t val)
{
	struct key k;

	if (m->bytes)
		return -EINVAL;
	k = int_key(m, key);
	return assign(m, &k, val);
}

bool cmap_get(cmap_t *m, uint64_t key, uint64_t *val)
{
	struct key k;

	__atomic_fetch_add(&m->lookups, 1, __ATOMIC_RELAXED);
	if (m->bytes)
		return false;
	k = int_key(m, key);
	return lookup(m, &k, val);
}

bool cmap__peek(const cmap_t *m, uint64_t key, uint64_t *val)
{
	struct key k = int_key(m, key);

	return lookup(m, &k, val);
}

bool cmap_del(cmap_t *m, uint64_t key)
{
	struct key k;

	if (m->bytes)
		return false;
	k = int_key(m, key);
	return delete_key(m, &k);
}

int cmap_put_bytes(cmap_t *m, const void *key, size_t len, uint64_t val)
{
	struct key k;

	if (!m->bytes)
		return -EINVAL;
	k = bytes_key(m, key, len);
	return assign(m, &k, val);
}

bool cmap_get_bytes(cmap_t *m, const void *key, size_t len, uint64_t *val)
{
	struct key k;

	__atomic_fetch_add(&m->lookups, 1, __ATOMIC_RELAXED);
	if (!m->bytes)
		return false;
	k = bytes_key(m, key, len);
	return lookup(m, &k, val);
}

bool cmap_del_bytes(cmap_t *m, const void *key, size_t len)
{
	struct key k;

	if (!m->bytes)
		return false;
	k = bytes_key(m, key, len);
	return delete_key(m, &k);
}

size_t cmap_len(const cmap_t *m)
{
	return m->count;
}

struct compact_ctx {
	const cmap_t *m;
	struct bucket *nb;
	uint64_t mask;
	uint64_t noverflow;
};

static int compact_place(uint64_t key, uint64_t val, void *arg)
{
	struct compact_ctx *c = arg;
	uint64_t h = slot_hash(c->m, key);
	struct bucket *b = &c->nb[h & c->mask];
	int i;

	/* The new array is filled front to back, so the first EMPTY_REST slot is the free one. */
	for (;;) {
		for (i = 0; i < SLOTS; i++) {
			if (b->tophash[i] == SLOT_EMPTY_REST) {
				b->tophash[i] = tophash(h);
				b->keys[i] = key;
				b->vals[i] = val;
				return 0;
			}
		}
		if (!b->overflow) {
			b->overflow = calloc(1, sizeof(*b));
			if (!b->overflow)
				return -ENOMEM;
			c->noverflow++;
		}
		b = b->overflow;
	}
}

int cmap_compact(cmap_t *m)
{
	struct compact_ctx c = {.m = m};
	bool was_growing = m->oldbuckets != NULL;
	int B, err;

	/* Scratch maps live in caller storage; there is nothing to give back. */
	if (m->quiet)
		return 0;
	B = cmap__b_for_hint(m->count);
	c.mask = bucket_mask(B);
	c.nb = calloc((size_t)1 << B, sizeof(*c.nb));
	if (!c.nb)
		return -ENOMEM;
	err = cmap__walk(m, compact_place, &c);
	if (err) {
		free_overflow_chains(c.nb, (uint64_t)1 << B);
		free(c.nb);
		return err;
	}
	if (m->oldbuckets) {
		free_overflow_chains(m->oldbuckets, noldbuckets(m));
		free(m->oldbuckets);
	}
	free_overflow_chains(m->buckets, (uint64_t)1 << m->B);
	free(m->buckets);
	m->buckets = c.nb;
	m->oldbuckets = NULL;
	m->B = B;
	m->nevacuate = 0;
	m->noverflow = c.noverflow;
	m->noldoverflow = 0;
	m->samesize = false;
	/* The rebuild finished the grow in progress; tell a tracer waiting for its end. */
	if (was_growing)
		CMAP_PROBE3_IF(m->announced, grow_done, m, m->B, m->count);
	return 0;
}

void cmap_stats(const cmap_t *m, struct cmap_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->inserts = m->inserts;
	st->updates = m->updates;
	st->deletes = m->deletes;
	st->lookups = __atomic_load_n(&m->lookups, __ATOMIC_RELAXED);
	st->grows = m->grows;
	st->same_size_grows = m->same_size_grows;
	st->evacuated = m->evacuated;
	st->moved = m->moved;
	st->grow_ns = m->grow_ns;
	if (m->evac_cycles) {
		uint64_t base = __atomic_load_n(&cycles_base_ns, __ATOMIC_ACQUIRE);
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		st->evac_ns = cmap_cycles_ns(m->evac_cycles, cycles_base, base, cmap_cycles(),
					     (uint64_t)ts.tv_sec * 1000000000ULL +
						     (uint64_t)ts.tv_nsec);
	}
	st->overflow = m->noverflow + m->noldoverflow;
	st->count = m->count;
	st->buckets = (uint64_t)1 << m->B;
	st->B = m->B;
}

/*
 * Iteration.  Go's iterator walks the bucket array it started on and relies on the garbage
 * collector to keep that array alive across grows; here a grow frees old arrays, so the
 * iterator keeps no pointer into the map at all.  Instead it walks entries in one total order
 * that does not depend on the map's layout: by the bit-reversed hash, then by key (integer maps)
 * or insertion sequence (byte-string maps).  Bucket i of 2^B holds exactly the hashes whose
 * reversed value lies in the i-th (bit-reversed) 2^-B slice of that order, and doubling or
 * shrinking B only splits or merges slices; so each call finds the next entry after the cursor
 * by scanning the one chain that covers the cursor's slice, whatever the map did since the
 * previous call: grows, evacuation, inserts, deletes, compaction.  Redis's dictScan uses the
 * same reversed-bits cursor.  The price is a chain scan per entry returned.
 *
 * _state[0]: cursor, a bit-reversed hash; _state[1]: tie-break of the entry last returned;
 * _state[2]: flags.
 */
#define IT_AFTER 1 /* the cursor is an entry already returned: continue strictly after it */
#define IT_DONE	 2

static inline uint64_t rev64(uint64_t x)
{
	x = (x >> 1 & 0x5555555555555555ull) | (x & 0x5555555555555555ull) << 1;
	x = (x >> 2 & 0x3333333333333333ull) | (x & 0x3333333333333333ull) << 2;
	x = (x >> 4 & 0x0f0f0f0f0f0f0f0full) | (x & 0x0f0f0f0f0f0f0f0full) << 4;
	return __builtin_bswap64(x);
}

void cmap_iter_init(struct cmap_iter *it, cmap_t *m)
{
	memset(it, 0, sizeof(*it));
	it->m = m;
}

static bool iter_step(struct cmap_iter *it, struct bucket **bp, int *ip)
{
	const cmap_t *m = it->m;
	uint64_t *st = it->_state;

	if (st[2] & IT_DONE)
		return false;
	for (;;) {
		uint64_t cur = st[0], mask = bucket_mask(m->B), span, lo, idx;
		uint64_t best_r = 0, best_t = 0;
		struct bucket *b, *best_b = NULL;
		int i, best_i = 0;

		/* The slice of reversed-hash space that bucket idx covers: [lo, lo + span). */
		span = m->B ? (uint64_t)1 << (64 - m->B) : 0;
		lo = m->B ? cur & ~(span - 1) : 0;
		idx = rev64(lo);
		b = &m->buckets[idx];
		if (m->oldbuckets) {
			struct bucket *ob = &m->oldbuckets[idx & (noldbuckets(m) - 1)];

			if (!bucket_evacuated(ob))
				b = ob;
		}
		for (; b; b = b->overflow) {
			for (i = 0; i < SLOTS; i++) {
				uint64_t h, r, t;

				if (slot_empty(b->tophash[i]))
					continue;
				h = slot_hash(m, b->keys[i]);
				/* An unevacuated old bucket also holds its sibling's entries. */
				if ((h & mask) != idx)
					continue;
				r = rev64(h);
				t = m->bytes ? slot_bkey(b->keys[i])->seq : b->keys[i];
				if (r < cur || (r == cur && (st[2] & IT_AFTER) && t <= st[1]))
					continue;
				if (!best_b || r < best_r || (r == best_r && t < best_t)) {
					best_b = b;
					best_i = i;
					best_r = r;
					best_t = t;
				}
			}
		}
		if (best_b) {
			st[0] = best_r;
			st[1] = best_t;
			st[2] |= IT_AFTER;
			*bp = best_b;
			*ip = best_i;
			return true;
		}
		if (lo + span == 0) {
			st[2] |= IT_DONE;
			return false;
		}
		st[0] = lo + span;
		st[2] &= ~(uint64_t)IT_AFTER;
	}
}

bool cmap_iter_next(struct cmap_iter *it, uint64_t *key, uint64_t *val)
{
	struct bucket *b;
	int i;

	if (!iter_step(it, &b, &i))
		return false;
	if (key)
		*key = it->m->bytes ? 0 : b->keys[i];
	if (val)
		*val = b->vals[i];
	return true;
}

bool cmap_iter_next_bytes(struct cmap_iter *it, const void **key, size_t *len, uint64_t *val)
{
	struct bucket *b;
	int i;

	if (!iter_step(it, &b, &i))
		return false;
	if (it->m->bytes) {
		struct bkey *bk = slot_bkey(b->keys[i]);

		if (key)
			*key = bk->data;
		if (len)
			*len = bk->len;
	} else {
		if (key)
			*key = &b->keys[i];
		if (len)
			*len = sizeof(b->keys[i]);
	}
	if (val)
		*val = b->vals[i];
	return true;
}

void cmap__scratch_init(cmap_t *m, struct bucket *b, bool has, uint64_t key, uint64_t val)
{
	memset(m, 0, sizeof(*m));
	memset(b, 0, sizeof(*b));
	m->buckets = b;
	m->quiet = true;
	if (has) {
		b->tophash[0] = tophash(cmap__hash_u64(key, m->seed));
		b->keys[0] = key;
		b->vals[0] = val;
		m->count = 1;
	}
}

void cmap__scratch_fini(cmap_t *m, struct bucket *b)
{
	/* Scratch maps never grow, so only overflow buckets can have been allocated. */
	free_overflow_chains(b, 1);
	(void)m;
}
