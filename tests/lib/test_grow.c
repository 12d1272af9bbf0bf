// SPDX-License-Identifier: MIT
/*
 * Growth of the core map, checked exactly against the rule documented in cmap.h: how many grows
 * 100,000 inserts cause and at which insert each one happens, what a size hint buys, same-size
 * grows, evacuation counts, compaction, and the byte-string API.
 *
 * The rule is restated here independently of the library (Go's overLoadFactor): an insert that
 * would make count > 8 and count > 13 * (2^B / 2) grows the map from B to B + 1 first.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cmap.h"
#include "cmap_impl.h"
#include "check.h"

#define N 100000

static int over_load(uint64_t count, unsigned int B)
{
	return count > 8 && count > 13 * ((1ull << B) / 2);
}

/* The smallest B whose buckets hold @n entries within the load factor. */
static unsigned int rule_B(uint64_t n)
{
	unsigned int B = 0;

	while (over_load(n, B))
		B++;
	return B;
}

/* The insert (1-based) that grows a map from B to B + 1: the first one over the load factor. */
static uint64_t grow_point(unsigned int B)
{
	return B == 0 ? 9 : 13 * (1ull << (B - 1)) + 1;
}

static uint64_t key_seq(uint64_t i)
{
	return i;
}

/* A bijection, so the keys are distinct but scattered over all 64 bits. */
static uint64_t key_mixed(uint64_t i)
{
	i = (i ^ (i >> 31)) * 0x7fb5d329728ea185ull;
	return i ^ (i >> 27);
}

static uint64_t key_high(uint64_t i)
{
	return i << 40;
}

static void test_100k_inserts(const char *name, uint64_t (*keyf)(uint64_t))
{
	/*
	 * K, from the rule: a map starting at B = 0 grows once per B until 100,000 entries fit,
	 * so K = rule_B(100000) = 14, because 13 * 2^12 = 53,248 < 100,000 <= 13 * 2^13 =
	 * 106,496.  The grows happen at inserts 9, 14, 27, 53, 105, ..., 53,249 (grow_point()).
	 */
	const unsigned int K = 14;
	uint64_t i, prev = 0, misplaced = 0, missing = 0, val, want_evac = 0;
	cmap_t *m = cmap_new(0);
	struct cmap_stats st;
	char path[512] = "", *p = path;
	unsigned int B = 0;

	check(rule_B(N) == K, "%s: the rule gives K = %u grows for 100000 inserts", name, K);
	for (i = 0; i < N; i++) {
		if (cmap_put(m, keyf(i), i) != 1)
			missing++;
		cmap_stats(m, &st);
		if (st.grows == prev)
			continue;
		/* Grew on insert i + 1: must be exactly the insert the rule names. */
		if (st.grows != prev + 1 || i + 1 != grow_point(B) || st.B != B + 1)
			misplaced++;
		p += snprintf(p, path + sizeof(path) - p, "%s%u->%u@%llu", prev ? " " : "", B,
			      (unsigned int)st.B, (unsigned long long)(i + 1));
		want_evac += 1ull << B;
		B = st.B;
		prev = st.grows;
	}
	diag("%s: B path %s", name, path);
	check(missing == 0, "%s: every insert of a new key returns 1", name);
	check(st.grows == K,
	      "%s: 100000 inserts into an empty map grow exactly %u times (got %llu)", name, K,
	      (unsigned long long)st.grows);
	check(misplaced == 0, "%s: each grow happens at the insert that crosses the load factor",
	      name);
	check(st.B == 14 && st.buckets == 16384, "%s: ends at B = 14, 16384 buckets", name);
	/*
	 * A same-size grow needs 2^min(B,15) overflow buckets; with a well-mixed hash and at most
	 * 6.5 entries per bucket on average, only about a fifth of the buckets overflow.
	 */
	check(st.same_size_grows == 0, "%s: no same-size grow for distinct keys (got %llu)", name,
	      (unsigned long long)st.same_size_grows);
	/* Every grow but the last is long finished; the last one needs 8192 writes at most. */
	check(m->oldbuckets == NULL, "%s: the last grow finished evacuating", name);
	check(want_evac == (1u << 14) - 1 && st.evacuated == want_evac,
	      "%s: evacuated = 2^0 + ... + 2^13 = 16383 old buckets (got %llu)", name,
	      (unsigned long long)st.evacuated);
	check(st.inserts == N && st.updates == 0 && st.deletes == 0 && st.count == N,
	      "%s: counters: 100000 inserts, no updates or deletes, count 100000", name);
	for (i = 0, missing = 0; i < N; i++)
		if (!cmap_get(m, keyf(i), &val) || val != i)
			missing++;
	cmap_stats(m, &st);
	check(missing == 0 && st.lookups == N, "%s: all 100000 keys found, 100000 lookups counted",
	      name);
	cmap_free(m);
}

static void test_hint_100k(void)
{
	cmap_t *m = cmap_new(N);
	struct cmap_stats st;
	uint64_t i;

	cmap_stats(m, &st);
	check(st.B == 14 && st.B == rule_B(N), "hint 100000: starts at B = 14");
	for (i = 0; i < N; i++)
		cmap_put(m, key_mixed(i), i);
	cmap_stats(m, &st);
	check(st.grows == 0 && st.same_size_grows == 0 && st.evacuated == 0 && st.B == 14,
	      "hint 100000: 100000 inserts cause zero grows");
	cmap_free(m);
}

static void test_hint_edges(void)
{
	static const struct {
		size_t hint;
		unsigned int B;
	} edge[] = {
		{0, 0},	 {1, 0},  {8, 0},  {9, 1},	{13, 1},     {14, 2},	   {26, 2},
		{27, 3}, {52, 3}, {53, 4}, {53248, 13}, {53249, 14}, {106496, 14}, {106497, 15},
	};
	uint64_t bad = 0, i, h;
	struct cmap_stats st;
	unsigned int B;
	cmap_t *m;

	for (i = 0; i < sizeof(edge) / sizeof(edge[0]); i++) {
		m = cmap_new(edge[i].hint);
		cmap_stats(m, &st);
		check(st.B == edge[i].B, "hint %zu picks B = %u", edge[i].hint, edge[i].B);
		cmap_free(m);
	}

	/* Every hint up to 3000: minimal B, and exactly `hint` inserts fit without a grow. */
	for (h = 0; h <= 3000; h++) {
		m = cmap_new(h);
		cmap_stats(m, &st);
		B = st.B;
		if (B != rule_B(h) || (B > 0 && !over_load(h, B - 1)))
			bad++;
		for (i = 0; i < h; i++)
			cmap_put(m, key_mixed(i), i);
		cmap_stats(m, &st);
		if (st.grows || st.same_size_grows || st.B != B)
			bad++;
		cmap_free(m);
	}
	check(bad == 0, "hints 0..3000: minimal B, and the hinted number of inserts never grows");

	/* At the largest hint of each B, one insert more is exactly one grow. */
	for (B = 1, bad = 0; B <= 14; B++) {
		h = 13ull << (B - 1);
		m = cmap_new(h);
		for (i = 0; i < h; i++)
			cmap_put(m, i, i);
		cmap_stats(m, &st);
		if (st.grows || st.B != B)
			bad++;
		cmap_put(m, h, h);
		cmap_stats(m, &st);
		if (st.grows != 1 || st.B != B + 1)
			bad++;
		cmap_free(m);
	}
	check(bad == 0,
	      "hint 13*2^(B-1), B = 1..14: full without a grow, one more insert grows once");

	errno = 0;
	m = cmap_new(SIZE_MAX);
	check(!m && errno == EINVAL, "absurd hint (SIZE_MAX): NULL with EINVAL");
	errno = 0;
	m = cmap_new(1ull << 62);
	check(!m && errno == EINVAL, "absurd hint (2^62): NULL with EINVAL");
}

/* The hash of an 8-byte key is the key itself, so a test places keys in buckets at will. */
static uint64_t ident_hash(const void *key, size_t len, uint64_t seed)
{
	uint64_t h = 0;

	(void)seed;
	memcpy(&h, key, len < 8 ? len : 8);
	return h;
}

static int put_h(cmap_t *m, uint64_t h, uint64_t v)
{
	return cmap_put_bytes(m, &h, sizeof(h), v);
}

static bool del_h(cmap_t *m, uint64_t h)
{
	return cmap_del_bytes(m, &h, sizeof(h));
}

static void test_same_size_grow(void)
{
	cmap_t *m = cmap_new_bytes(13, ident_hash);
	struct cmap_stats st;
	uint64_t j, ok = 1, v;

	/*
	 * B = 1, so 2^min(B,15) = 2 overflow buckets trigger a same-size grow.  Nine keys in
	 * bucket 0 need one overflow bucket; deleting them keeps it (deletes never shrink).  The
	 * same in bucket 1 makes two.  The next insert, far below the load factor, must then do a
	 * same-size grow, and its grow work evacuates both old buckets, dropping both chains.
	 */
	for (j = 0; j < 9; j++)
		ok &= put_h(m, 2 * j, j) == 1;
	for (j = 0; j < 9; j++)
		ok &= del_h(m, 2 * j);
	cmap_stats(m, &st);
	check(ok && st.count == 0 && st.overflow == 1 && st.B == 1,
	      "same-size: 9 keys in bucket 0 then deleted leave 1 overflow bucket");
	for (j = 0; j < 9; j++)
		ok &= put_h(m, 2 * j + 1, j) == 1;
	for (j = 0; j < 9; j++)
		ok &= del_h(m, 2 * j + 1);
	cmap_stats(m, &st);
	check(ok && st.count == 0 && st.overflow == 2 && st.same_size_grows == 0,
	      "same-size: the same in bucket 1 leaves 2 overflow buckets, no grow yet");
	ok &= put_h(m, 4, 44) == 1;
	cmap_stats(m, &st);
	check(ok && st.same_size_grows == 1 && st.grows == 0 && st.B == 1,
	      "same-size: the next insert does one same-size grow, B stays 1");
	check(st.evacuated == 2 && st.overflow == 0 && !m->oldbuckets,
	      "same-size: its grow work evacuated both old buckets and freed both chains");
	check(cmap_get_bytes(m, &(uint64_t){4}, 8, &v) && v == 44 && st.count == 1,
	      "same-size: the inserted key is there");
	cmap_free(m);

	/* Load factor wins over overflow: both due means a doubling grow. */
	m = cmap_new_bytes(13, ident_hash);
	for (j = 0; j < 9; j++)
		put_h(m, 2 * j, j);
	for (j = 0; j < 9; j++)
		del_h(m, 2 * j);
	/* The 13th entry is the one that needs the second overflow bucket. */
	for (j = 0; j < 4; j++)
		put_h(m, 2 * j, j);
	for (j = 0; j < 9; j++)
		put_h(m, 2 * j + 1, j);
	cmap_stats(m, &st);
	check(st.overflow == 2 && st.count == 13 && st.grows == 0 && st.same_size_grows == 0,
	      "same-size: 2 overflow buckets and 13 entries, not grown yet");
	put_h(m, 100, 0);
	cmap_stats(m, &st);
	check(st.grows == 1 && st.same_size_grows == 0 && st.B == 2,
	      "same-size: when the load factor is also exceeded the grow doubles");
	cmap_free(m);
}

static void test_compact(void)
{
	struct cmap_stats st, before;
	uint64_t i, bad = 0, v;
	cmap_t *m = cmap_new(0);

	for (i = 0; i < N; i++)
		cmap_put(m, key_mixed(i), i);
	for (i = 1000; i < N; i++)
		cmap_del(m, key_mixed(i));
	cmap_stats(m, &before);
	check(before.count == 1000 && before.B == 14 && before.buckets == 16384,
	      "compact: deleting 99000 of 100000 keys does not shrink (B stays 14)");
	check(cmap_compact(m) == 0, "compact: returns 0");
	cmap_stats(m, &st);
	check(st.B == rule_B(1000) && st.B == 8 && st.count == 1000,
	      "compact: rebuilt at B = 8, the B 1000 entries need");
	check(st.inserts == before.inserts && st.deletes == before.deletes &&
		      st.grows == before.grows && st.evacuated == before.evacuated,
	      "compact: operation counters are unchanged");
	for (i = 0; i < N; i++) {
		bool found = cmap_get(m, key_mixed(i), &v);

		if (found != (i < 1000) || (found && v != i))
			bad++;
	}
	check(bad == 0, "compact: the 1000 live keys keep their values, deleted keys stay gone");
	for (i = 1000; i < N; i++)
		cmap_put(m, key_mixed(i), i);
	cmap_stats(m, &st);
	check(st.grows == before.grows + 6 && st.B == 14,
	      "compact: refilling to 100000 grows again from B = 8 to 14 (6 grows)");
	cmap_free(m);

	m = cmap_new(0);
	for (i = 0; i < 5; i++)
		cmap_put(m, i, i);
	for (i = 0; i < 5; i++)
		cmap_del(m, i);
	cmap_compact(m);
	cmap_stats(m, &st);
	check(st.B == 0 && st.count == 0, "compact: an emptied map goes back to B = 0");
	cmap_free(m);

	/* Insert 53249 is the grow from 13 to 14: compact while it is being evacuated. */
	m = cmap_new(0);
	for (i = 0; i < grow_point(13); i++)
		cmap_put(m, key_mixed(i), i);
	check(m->oldbuckets != NULL, "compact: the map is mid-evacuation before compacting");
	cmap_compact(m);
	cmap_stats(m, &st);
	for (i = 0, bad = 0; i < grow_point(13); i++)
		if (!cmap_get(m, key_mixed(i), &v) || v != i)
			bad++;
	check(!m->oldbuckets && st.B == 14 && bad == 0 && st.count == grow_point(13),
	      "compact: during an evacuation it finishes the grow and keeps every entry");
	cmap_free(m);
}

static uint64_t hash_calls;

static uint64_t counting_hash(const void *key, size_t len, uint64_t seed)
{
	hash_calls++;
	return cmap_hash_bytes(key, len, seed);
}

static void test_bytes(void)
{
	unsigned char buf[80], seen[65] = {0};
	cmap_t *m = cmap_new_bytes(0, NULL);
	uint64_t v, bad = 0, n = 0, k;
	struct cmap_iter it;
	struct cmap_stats st;
	const void *kp;
	size_t len, i;

	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (unsigned char)(i * 37 + 11);
	/* Keys are the prefixes of buf: lengths 0..64, the empty key included. */
	for (len = 0; len <= 64; len++)
		if (cmap_put_bytes(m, buf, len, len) != 1)
			bad++;
	check(bad == 0 && cmap_len(m) == 65, "bytes: 65 keys of length 0..64 inserted");
	check(cmap_put_bytes(m, buf, 10, 1000) == 0 && cmap_get_bytes(m, buf, 10, &v) && v == 1000,
	      "bytes: storing an existing key updates it and returns 0");
	memset(buf, 0xee, sizeof(buf));
	check(!cmap_get_bytes(m, buf, 10, NULL),
	      "bytes: keys are copied (changing the caller's buffer changes no key)");
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (unsigned char)(i * 37 + 11);
	for (len = 0, bad = 0; len <= 64; len++)
		if (!cmap_get_bytes(m, buf, len, &v) || v != (len == 10 ? 1000 : len))
			bad++;
	check(bad == 0, "bytes: every key found with its value");
	cmap_iter_init(&it, m);
	bad = 0;
	while (cmap_iter_next_bytes(&it, &kp, &len, &v)) {
		n++;
		if (len > 64 || seen[len]++ || memcmp(kp, buf, len) ||
		    v != (len == 10 ? 1000 : len))
			bad++;
	}
	check(n == 65 && bad == 0,
	      "bytes: iteration returns each key once with its bytes and value");
	check(cmap_del_bytes(m, buf, 0) && !cmap_get_bytes(m, buf, 0, NULL) &&
		      !cmap_del_bytes(m, buf, 0) && cmap_len(m) == 64,
	      "bytes: the empty key deletes once");
	cmap_stats(m, &st);
	check(st.inserts == 65 && st.updates == 1 && st.deletes == 1, "bytes: counters exact");
	check(cmap_put(m, 1, 1) == -EINVAL && !cmap_get(m, 1, NULL) && !cmap_del(m, 1),
	      "bytes: the integer API refuses a byte-string map");
	cmap_free(m);

	m = cmap_new(0);
	check(cmap_put_bytes(m, buf, 3, 1) == -EINVAL && !cmap_get_bytes(m, buf, 3, NULL),
	      "bytes: the byte-string API refuses an integer map");
	cmap_free(m);

	m = cmap_new_bytes(0, counting_hash);
	cmap_put_bytes(m, buf, 5, 5);
	cmap_get_bytes(m, buf, 5, NULL);
	cmap_del_bytes(m, buf, 5);
	check(hash_calls == 3, "bytes: a caller's hash is used, once per operation");
	cmap_free(m);

	for (k = 0, bad = 0; k < 100000; k++) {
		uint64_t key = key_mixed(k), seed = key_high(k) ^ k;

		if (cmap_hash_bytes(&key, 8, seed) != cmap__hash_u64(key, seed))
			bad++;
	}
	check(bad == 0, "hash: integer keys hash as cmap_hash_bytes() of their 8 bytes");
}

int main(void)
{
	double t0 = check_now();

	test_100k_inserts("sequential keys", key_seq);
	test_100k_inserts("mixed keys", key_mixed);
	test_100k_inserts("keys << 40", key_high);
	test_hint_100k();
	test_hint_edges();
	test_same_size_grow();
	test_compact();
	test_bytes();
	diag("test_grow: %.2f s", check_now() - t0);
	return check_exit();
}
