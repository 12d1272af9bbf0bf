// SPDX-License-Identifier: MIT
/*
 * Unit test of user/hist.c: bucket layout, percentile accuracy (within 1/64 = 1.6% of the true
 * value from 1 ns to 10 s), merge, sparse storage (copy, free, iteration), and the empty
 * histogram.  Prints one "ok - ..." or
 * "not ok - ..." line per check and exits non-zero on any failure.
 */
/* timeout: 60 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hist.h"
#include "util.h"
#include "../tap.h"

/* The accuracy hist.h promises: half a sub-bucket, 1/64 of the value. */
#define TOLERANCE (1.0 / 64)
#define MS 1000000ULL
#define SEC 1000000000ULL


static bool close_enough(__u64 got, __u64 want)
{
	double d = (double)got - (double)want;

	return (d < 0 ? -d : d) <= TOLERANCE * (double)want;
}

/* A deterministic generator, so a failure reproduces. */
static __u64 rng_state = 0x9e3779b97f4a7c15ULL;

static __u64 rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static int cmp_u64(const void *pa, const void *pb)
{
	__u64 a = *(const __u64 *)pa, b = *(const __u64 *)pb;

	return (a > b) - (a < b);
}

static void test_layout(void)
{
	bool ok = true;

	for (int i = 0; i < HIST_NBUCKETS && ok; i++) {
		__u64 lo = hist__bucket_low(i), hi = hist__bucket_high(i);

		if (hist__bucket_index(lo) != i || hist__bucket_index(hi) != i || lo > hi ||
		    (i + 1 < HIST_NBUCKETS && hist__bucket_low(i + 1) != hi + 1)) {
			printf("# bucket %d: [%llu, %llu]\n", i, (unsigned long long)lo,
			       (unsigned long long)hi);
			ok = false;
		}
	}
	check(ok, "buckets tile 0..2^64-1 without gaps, each value in its own bucket");
	check(hist__bucket_low(0) == 0 && hist__bucket_high(HIST_NBUCKETS - 1) == ~0ULL,
	      "first bucket starts at 0, last ends at 2^64-1");
	check(hist__bucket_index(63) == 63 && hist__bucket_index(64) == 64 &&
		      hist__bucket_high(64) == 65,
	      "exact below 64, then buckets of width 2 from 64");
}

/*
 * One value v among a smaller and a larger one, so the answer is not clamped to [min, max]:
 * the median is v's bucket midpoint, which must be within 1.6% of v.
 */
static void test_single_values(void)
{
	bool ok = true;
	__u64 worst_v = 0;
	double worst = 0;

	for (__u64 v = 1; v <= 10 * SEC; v = v + v / 97 + 1) {
		struct hist h = { 0 };
		__u64 p;
		double err;

		hist__add(&h, 0);
		hist__add(&h, v);
		hist__add(&h, 100 * SEC);
		p = hist__percentile(&h, 50);
		hist__free(&h);
		err = (double)(p > v ? p - v : v - p) / (double)v;
		if (err > worst) {
			worst = err;
			worst_v = v;
		}
		if (!close_enough(p, v)) {
			if (ok)
				printf("# P50 of {0, %llu, 100 s} = %llu\n", (unsigned long long)v,
				       (unsigned long long)p);
			ok = false;
		}
	}
	check(ok, "P50 within 1.6%% of the value for 1 ns .. 10 s (worst %.3f%% at %llu ns)",
	      100 * worst, (unsigned long long)worst_v);
}

/* Many values spread over 1 ns .. 10 s: every percentile against the exact nearest rank. */
static void test_distribution(void)
{
	enum { N = 20000 };
	static const double ps[] = { 1, 10, 25, 50, 75, 90, 99, 99.9, 100 };
	__u64 *v = malloc(N * sizeof(*v));
	struct hist h = { 0 };
	bool ok = true;
	__u64 sum = 0;

	if (!v) {
		check(false, "distribution: malloc");
		return;
	}
	for (int i = 0; i < N; i++) {
		/* Log-uniform: 2^0 .. 2^33 ns (8.6 s), then up to 10 s. */
		int e = (int)(rng() % 34);

		v[i] = (1ULL << e) + rng() % (1ULL << e);
		if (v[i] > 10 * SEC)
			v[i] = 10 * SEC;
		hist__add(&h, v[i]);
		sum += v[i];
	}
	qsort(v, N, sizeof(*v), cmp_u64);
	for (size_t k = 0; k < ARRAY_SIZE(ps); k++) {
		size_t rank = (size_t)(ps[k] / 100.0 * N + 0.999999);
		__u64 want = v[(rank ? rank : 1) - 1], got = hist__percentile(&h, ps[k]);

		if (!close_enough(got, want)) {
			printf("# P%g: got %llu, exact %llu\n", ps[k], (unsigned long long)got,
			       (unsigned long long)want);
			ok = false;
		}
	}
	check(ok, "percentiles of %d log-uniform values within 1.6%% of the exact ones", N);
	check(h.count == N && h.sum == sum && h.min == v[0] && h.max == v[N - 1],
	      "count, sum, min and max are exact");
	check(hist__percentile(&h, 100) == v[N - 1] && hist__percentile(&h, 0) >= v[0],
	      "P100 is the max, P0 is at least the min");
	hist__free(&h);
	free(v);
}

static void test_20ms(void)
{
	struct hist h = { 0 };
	__u64 p50;

	for (int i = 0; i < 1000; i++)
		hist__add(&h, 20 * MS);
	p50 = hist__percentile(&h, 50);
	check(close_enough(p50, 20 * MS), "P50 of 1000 waits of 20 ms: %llu ns",
	      (unsigned long long)p50);

	/* Jitter of +-1 ms around 20 ms: the bucket's midpoint must still be within 1.6%. */
	hist__free(&h);
	for (int i = 0; i < 1000; i++)
		hist__add(&h, 19 * MS + (__u64)i * 2000);
	p50 = hist__percentile(&h, 50);
	check(close_enough(p50, 19 * MS + 499 * 2000ULL), "P50 of 1000 waits 19..21 ms: %llu ns",
	      (unsigned long long)p50);
	hist__free(&h);
}

/* Same values: exact figures and every bucket (the bins are the histogram's own memory). */
static bool same_hist(const struct hist *a, const struct hist *b)
{
	if (a->count != b->count || a->sum != b->sum || a->min != b->min || a->max != b->max ||
	    a->nbins != b->nbins)
		return false;
	for (int i = 0; i < HIST_NBUCKETS; i++)
		if (hist__bucket(a, i) != hist__bucket(b, i))
			return false;
	return true;
}

static void test_merge(void)
{
	struct hist a = { 0 }, b = { 0 }, all = { 0 }, empty = { 0 }, copy;

	for (int i = 0; i < 5000; i++) {
		__u64 v = rng() % (10 * SEC) + 1;

		hist__add(i % 3 ? &a : &b, v);
		hist__add(&all, v);
	}
	check(!hist__merge(&a, &b), "merge succeeds");
	check(same_hist(&a, &all), "merge of two halves equals the histogram of all values");
	check(hist__percentile(&a, 99) == hist__percentile(&all, 99), "merged P99 matches");

	check(!hist__copy(&copy, &a), "copy succeeds");
	hist__merge(&a, &empty);
	check(same_hist(&a, &copy), "merging an empty histogram changes nothing");
	hist__merge(&empty, &all);
	check(same_hist(&empty, &all), "merging into an empty histogram copies it");
	hist__free(&a);
	hist__free(&b);
	hist__free(&copy);
	hist__free(&empty);
	hist__free(&all);

	/* A merged minimum must come from src when dst was empty, not stay 0. */
	hist__add(&b, 5 * MS);
	hist__merge(&a, &b);
	check(a.min == 5 * MS && a.max == 5 * MS && a.count == 1, "merge into empty keeps min");
	hist__free(&a);
	hist__free(&b);
}

/*
 * Sparse storage: a histogram costs the buckets it uses, the bins stay sorted whatever the order
 * of the values, a copy owns its bins, and freeing leaves an empty histogram.
 */
static void test_sparse(void)
{
	struct hist h = { 0 }, c;
	__u64 want[HIST_NBUCKETS] = { 0 }, n, sum = 0;
	bool sorted = true, counts = true;
	int pos = 0, idx, prev = -1, seen = 0;

	check(sizeof(struct hist) <= 64, "an empty histogram is %zu bytes", sizeof(struct hist));
	for (int i = 0; i < 1000; i++)
		hist__add(&h, 20 * MS + (__u64)(i % 3) * 1000);
	check(h.nbins == 1 && h.cap <= 4,
	      "1000 waits of 20 ms +- 2 us: one bucket stored (%u, room for %u)", h.nbins, h.cap);
	hist__free(&h);
	check(!h.bins && !h.count && !h.nbins, "hist__free() leaves an empty histogram");

	/* values in a scrambled order over the whole range, each bucket counted */
	for (int i = 0; i < 20000; i++) {
		__u64 v = rng() >> (rng() % 64);

		hist__add(&h, v);
		want[hist__bucket_index(v)]++;
		sum += v;
	}
	while (hist__next(&h, &pos, &idx, &n)) {
		sorted = sorted && idx > prev;
		counts = counts && n == want[idx];
		prev = idx;
		seen++;
	}
	check(sorted, "hist__next() gives the buckets in index order");
	check(counts && seen == (int)h.nbins, "every bucket holds its values (%d buckets)", seen);
	for (int i = 0; i < HIST_NBUCKETS && counts; i++)
		counts = hist__bucket(&h, i) == want[i];
	check(counts, "hist__bucket() agrees for all %d buckets, empty ones 0", HIST_NBUCKETS);
	check(h.count == 20000 && h.sum == sum, "count and sum exact");
	check(!hist__copy(&c, &h) && same_hist(&c, &h) && c.bins != h.bins,
	      "a copy has the same values in bins of its own");
	hist__add(&c, 1);
	check(c.count == h.count + 1 && hist__bucket(&h, 1) == want[1],
	      "adding to the copy leaves the original alone");
	hist__free(&c);
	hist__free(&h);
}

static void test_empty(void)
{
	struct hist h = { 0 };

	check(hist__percentile(&h, 50) == 0 && hist__percentile(&h, 99) == 0 &&
		      hist__percentile(&h, 100) == 0,
	      "percentiles of an empty histogram are 0");
	hist__add(&h, 0);
	check(h.count == 1 && h.min == 0 && h.max == 0 && hist__percentile(&h, 50) == 0,
	      "a single 0 is recorded");
	hist__free(&h);
	hist__add(&h, ~0ULL);
	check(hist__bucket(&h, HIST_NBUCKETS - 1) == 1 && hist__percentile(&h, 50) == ~0ULL,
	      "2^64-1 lands in the last bucket");
	hist__free(&h);
}

int main(void)
{
	test_layout();
	test_single_values();
	test_distribution();
	test_20ms();
	test_merge();
	test_sparse();
	test_empty();
	printf("# %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
