// SPDX-License-Identifier: MIT
/*
 * One stack per code path (stackmerge.c): the merge rule on hand-made stacks (a prefix of one
 * stack, of a chain, of two different stacks; equal stacks; unrelated ones; an fp stack that
 * skipped glibc's frames, with one and two DWARF stacks it fits; a whole stack inside a longer
 * one), against a brute-force statement of it on random stacks, then through the
 * model: a frame-pointer stack cut at start_thread, seen before and after its DWARF twin, is one
 * top stack whose costs are both stacks' summed, and report__stack() reads it as the twin.
 */
#include <stdio.h>
#include <stdlib.h>
#include "model.h"
#include "report.h"
#include "stackmerge.h"
#include "../tap.h"

/* Frames by ip only: function "f<ip>" in one module. */
static struct mt_frame frames_of(__u64 ip)
{
	static char names[64][16];
	int slot = (int)(ip % 64);

	/* 5 and 6 are where threads start (stackmerge merges only stacks cut short there) */
	snprintf(names[slot], sizeof(names[slot]), "%s",
		 ip == 5 ? "start_thread" : ip == 6 ? "clone3" : "");
	if (!names[slot][0])
		snprintf(names[slot], sizeof(names[slot]), "f%llx", (unsigned long long)ip);
	return (struct mt_frame){ .ip = ip, .func = names[slot], .module = "/bin/x",
				  .build_id = "", .file = "" };
}

#define MAXF 8
static struct mt_frame pool[32][MAXF];

/* Stack @i of the table: @n frames with ips @ips, leaf first. */
static void make(struct mt_stack *st, int i, const __u64 *ips, int n)
{
	for (int j = 0; j < n; j++)
		pool[i][j] = frames_of(ips[j]);
	st[i] = (struct mt_stack){ .nframes = n, .frames = pool[i] };
}

static void rule(void)
{
	/* leaf first: lock_take(1) <- update(2) <- wl_write(3) <- worker(4) <- start_thread(5) <- clone3(6) */
	static const __u64 fp[] = { 1, 2, 3, 4, 5 }, dwarf[] = { 1, 2, 3, 4, 5, 6 },
			   get_fp[] = { 1, 7, 4, 5 }, other[] = { 9, 8, 5, 6 },
			   amb_a[] = { 20, 21, 22 }, amb_b[] = { 20, 21, 23 }, amb[] = { 20, 21 },
			   chain1[] = { 30, 5 }, chain2[] = { 30, 5, 6 }, chain3[] = { 30, 5, 6, 32 },
			   trunc[] = { 1, 2 }, empty[] = { 0 };
	struct mt_stack st[16];
	int canon[16], n = 0, err, bad = 0;

	make(st, n++, fp, 5);	     /* 0: fp, seen first */
	make(st, n++, get_fp, 4);    /* 1: another path, fp only: nothing extends it */
	make(st, n++, dwarf, 6);     /* 2: the DWARF twin of 0 */
	make(st, n++, other, 4);     /* 3: unrelated */
	make(st, n++, amb, 2);	     /* 4: a prefix of 5 and of 6, which differ */
	make(st, n++, amb_a, 3);     /* 5 */
	make(st, n++, amb_b, 3);     /* 6 */
	make(st, n++, dwarf, 6);     /* 7: equal to 2 */
	make(st, n++, fp, 5);	     /* 8: equal to 0 */
	make(st, n++, chain2, 3);    /* 9: chain 10 -> 9 -> 11 */
	make(st, n++, chain1, 2);    /* 10 */
	make(st, n++, chain3, 4); /* 11 */
	make(st, n++, empty, 0);     /* 12: no frames: a prefix of every stack, of many paths */
	make(st, n++, trunc, 2);     /* 13: a prefix of 0 and 2, but cut short midway, not at a root */
	err = stackmerge__canon(st, n, canon);
	check(!err, "stackmerge__canon on %d stacks", n);
	check(canon[0] == 2, "a prefix of one longer stack is counted there (0 -> %d, want 2)",
	      canon[0]);
	check(canon[8] == 2, "an equal of that prefix too (8 -> %d, want 2)", canon[8]);
	check(canon[2] == 2 && canon[7] == 2, "equal stacks are one: the lowest index (2 -> %d, 7 -> %d)",
	      canon[2], canon[7]);
	check(canon[1] == 1, "a stack nothing extends stays (1 -> %d)", canon[1]);
	check(canon[3] == 3, "an unrelated stack stays (3 -> %d)", canon[3]);
	check(canon[4] == 4 && canon[5] == 5 && canon[6] == 6,
	      "an ambiguous prefix (of two different stacks) stays apart, as do both (%d %d %d)",
	      canon[4], canon[5], canon[6]);
	check(canon[10] == 11 && canon[9] == 11 && canon[11] == 11,
	      "a chain of prefixes is one path: its longest (%d %d %d, want 11)", canon[10],
	      canon[9], canon[11]);
	check(canon[12] == 12, "an empty stack, a prefix of many paths, stays (12 -> %d)",
	      canon[12]);
	check(canon[13] == 13, "a stack cut short midway (not at a thread's start) stays, though "
			       "one path extends it (13 -> %d)", canon[13]);
	for (int i = 0; i < n; i++)
		bad += canon[canon[i]] != canon[i];
	check(!bad, "every stack's stack is itself canonical (%d are not)", bad);
	/* with one path only, an empty stack still says nothing about where it was */
	{
		struct mt_stack three[3];

		make(three, 0, empty, 0);
		make(three, 1, fp, 5);
		make(three, 2, empty, 0);
		err = stackmerge__canon(three, 3, canon);
		check(!err && canon[0] == 0 && canon[1] == 1 && canon[2] == 0,
		      "an empty stack is never merged into a path, only with its equal (%d %d %d)",
		      canon[0], canon[1], canon[2]);
	}
	/*
	 * The frame-pointer walk from a futex wait in glibc: __lll_lock_wait(50), then it skips
	 * pthread_mutex_lock(51) and mutex_b(52) to thread_b(53), and stops at start_thread(5);
	 * DWARF has them all and clone3(6).  mutex_c(54) is a second caller of the same lock.
	 */
	{
		static const __u64 fpw[] = { 50, 53, 5 }, dw_b[] = { 50, 51, 52, 53, 5, 6 },
				   dw_c[] = { 50, 51, 54, 53, 5, 6 }, whole[] = { 50, 51, 53, 5, 6 };
		struct mt_stack three[3];

		make(three, 0, fpw, 3);
		make(three, 1, dw_b, 6);
		err = stackmerge__canon(three, 2, canon);
		check(!err && canon[0] == 1 && canon[1] == 1,
		      "an fp stack that skipped frames and stops short of the root: counted under "
		      "its DWARF twin (%d %d)", canon[0], canon[1]);
		make(three, 2, dw_c, 6);
		err = stackmerge__canon(three, 3, canon);
		check(!err && canon[0] == 0 && canon[1] == 1 && canon[2] == 2,
		      "the same fp stack with two DWARF stacks it fits (two callers): apart (%d %d %d)",
		      canon[0], canon[1], canon[2]);
		/* a complete stack (reaching clone3) is never merged into one with more frames */
		make(three, 0, whole, 5);
		make(three, 1, dw_b, 6);
		err = stackmerge__canon(three, 2, canon);
		check(!err && canon[0] == 0 && canon[1] == 1,
		      "a whole stack whose frames lie in a longer one, same root: apart (%d %d)",
		      canon[0], canon[1]);
		/* another leaf ip (another line of the same function) is another path */
		make(three, 0, fpw, 3);
		pool[0][0] = frames_of(49);
		err = stackmerge__canon(three, 2, canon);
		check(!err && canon[0] == 0, "a different leaf frame: apart (0 -> %d)", canon[0]);
	}
	/* only a prefix of the leaf side counts: the same frames at the root end are not one path */
	{
		static const __u64 root_a[] = { 40, 5, 6 }, root_b[] = { 5, 6 };
		struct mt_stack two[2];

		make(two, 0, root_b, 2);
		make(two, 1, root_a, 3);
		err = stackmerge__canon(two, 2, canon);
		check(!err && canon[0] == 0 && canon[1] == 1,
		      "a stack the other ends with (root side) is not its prefix (%d %d)", canon[0],
		      canon[1]);
	}
	/* the same ip in another module (another process's mapping) is another frame */
	{
		struct mt_stack two[2];
		static const __u64 a[] = { 1, 5 }, b[] = { 1, 5, 6 };

		make(two, 0, a, 2);
		make(two, 1, b, 3);
		pool[0][1].module = "/lib/other.so";
		err = stackmerge__canon(two, 2, canon);
		check(!err && canon[0] == 0,
		      "frames differ by module: no merge (0 -> %d)", canon[0]);
	}
}

static bool same(const struct mt_stack *a, const struct mt_stack *b)
{
	if (a->nframes != b->nframes)
		return false;
	for (int i = 0; i < a->nframes; i++)
		if (a->frames[i].ip != b->frames[i].ip)
			return false;
	return true;
}

/* Does @s end at a thread's start (frames_of() names ips 5 and 6 so)? */
static bool rooted(const struct mt_stack *s)
{
	return s->nframes && (s->frames[s->nframes - 1].ip == 5 || s->frames[s->nframes - 1].ip == 6);
}

/* @b is @a and more, by ip (the random stacks share one module and name frames by ip). */
static bool extends(const struct mt_stack *a, const struct mt_stack *b)
{
	if (a->nframes >= b->nframes)
		return false;
	for (int i = 0; i < a->nframes; i++)
		if (a->frames[i].ip != b->frames[i].ip)
			return false;
	return true;
}

/*
 * @f's frames from @i on lie in order in @d's from @j on, the leaf equal, and @d has frames
 * past the last match: by trying every match (not the earliest only, as stackmerge.c does).
 */
static bool covered(const struct mt_stack *f, const struct mt_stack *d, int i, int j)
{
	if (i == 1 && (!rooted(f) || d->nframes <= f->nframes ||
		       f->frames[0].ip != d->frames[0].ip))
		return false;
	if (i == f->nframes)
		return j < d->nframes;
	for (int k = j; k < d->nframes; k++)
		if (f->frames[i].ip == d->frames[k].ip && covered(f, d, i + 1, k + 1))
			return true;
	return false;
}

/* The rule as stackmerge.h states it, stack by stack, against the sorted implementation. */
static void against_brute_force(void)
{
	enum { N = 24, ROUNDS = 2000 };
	struct mt_stack st[N];
	int canon[N], first[N], mism = 0;
	unsigned int seed = 7;

	for (int round = 0; round < ROUNDS; round++) {
		for (int i = 0; i < N; i++) {
			__u64 ips[MAXF];
			int nf = rand_r(&seed) % 5;

			/* a small alphabet, so prefixes, equals and forks are common; about half
			 * end at a thread's start (5), some go past it (6) */
			for (int j = 0; j < nf; j++)
				ips[j] = 1 + rand_r(&seed) % 3;
			if (nf && rand_r(&seed) % 2)
				ips[nf - 1] = 5;
			if (nf < MAXF - 1 && nf && ips[nf - 1] == 5 && rand_r(&seed) % 2)
				ips[nf++] = 6;
			make(st, i, ips, nf);
		}
		if (stackmerge__canon(st, N, canon))
			return (void)check(0, "stackmerge__canon");
		for (int i = 0; i < N; i++) {
			int want = -1, max = -1;
			bool one = rooted(&st[i]);

			for (int j = 0; j < N && want < 0; j++)
				if (same(&st[i], &st[j]))
					want = j;
			/* the extensions not extended by another: all the same stack, or apart */
			for (int j = 0; j < N && one; j++) {
				bool maximal = extends(&st[i], &st[j]);

				for (int k = 0; k < N && maximal; k++)
					maximal = !extends(&st[j], &st[k]);
				if (!maximal)
					continue;
				if (max < 0)
					max = j;
				else if (!same(&st[max], &st[j]))
					one = false;
			}
			if (one && max >= 0)
				want = max;
			for (int j = 0; j < N && one && max >= 0; j++)
				if (same(&st[max], &st[j]) && j < want)
					want = j;
			first[i] = want;
		}
		/* second pass: among the stacks still their own, covered ones (see covered()) */
		for (int i = 0; i < N; i++) {
			int max = -1, nmax = 0, want = first[i];

			for (int j = 0; j < N && first[i] == i; j++) {
				bool maximal = first[j] == j && covered(&st[i], &st[j], 1, 1);

				for (int k = 0; k < N && maximal; k++)
					maximal = !(first[k] == k && covered(&st[j], &st[k], 1, 1));
				if (maximal) {
					max = j;
					nmax++;
				}
			}
			if (nmax == 1)
				want = max;
			/* what the first pass merged follows its stack */
			if (first[i] != i) {
				int t = first[i], tmax = -1, tn = 0;

				for (int j = 0; j < N; j++) {
					bool maximal = first[j] == j && covered(&st[t], &st[j], 1, 1);

					for (int k = 0; k < N && maximal; k++)
						maximal = !(first[k] == k && covered(&st[j], &st[k], 1, 1));
					if (maximal) {
						tmax = j;
						tn++;
					}
				}
				want = tn == 1 ? tmax : t;
			}
			mism += canon[i] != want;
		}
	}
	check(!mism, "%d rounds of %d random stacks: the rule as stated, stack by stack (%d differ)",
	      ROUNDS, N, mism);
}

/* A futex wait of @ns on word @word, with stack @stack. */
static int wait_on(struct model *m, __u64 word, __u64 ns, __u64 ts, int stack)
{
	struct mt_event ev = { .kind = MT_EV_WAIT, .ts = ts,
			       .wait = { .word = word, .wait_ns = ns, .op = 128, .val = 2 } };

	return model__add_event(m, &ev, stack);
}

static void through_model(void)
{
	static const __u64 fp[] = { 1, 2, 3, 4, 5 }, dwarf[] = { 1, 2, 3, 4, 5, 6 };
	struct mt_stack st[2];
	struct model *m = model__new();
	struct report *r = NULL;
	int s_fp, s_dwarf, err = 0;

	if (!check(m != NULL, "model"))
		return;
	make(st, 0, fp, 5);
	make(st, 1, dwarf, 6);
	model__keep_events(m, true);
	s_fp = model__intern_stack(m, st[0].frames, st[0].nframes);
	s_dwarf = model__intern_stack(m, st[1].frames, st[1].nframes);
	/* the fp stack waits first and most; its DWARF twin once */
	err |= wait_on(m, 0x1000, 700, 1000, s_fp);
	err |= wait_on(m, 0x1000, 300, 2000, s_dwarf);
	err |= wait_on(m, 0x1000, 500, 3000, s_fp);
	check(s_fp >= 0 && s_dwarf >= 0 && s_fp != s_dwarf && !err, "two stacks interned, three waits");
	check(!model__snapshot(m, true, &r) && r, "snapshot");
	if (r && r->nlocks == 1) {
		const struct lock_report *l = &r->locks[0];

		check(l->ntop == 1 && l->top_stacks[0].stack == s_dwarf,
		      "one top stack, the DWARF one (ntop %d, stack %d, want %d)", l->ntop,
		      l->ntop ? l->top_stacks[0].stack : -2, s_dwarf);
		check(l->ntop && l->top_stacks[0].count == 3 && l->top_stacks[0].ns == 1500,
		      "its costs are both stacks' (count %llu, ns %llu; want 3, 1500)",
		      l->ntop ? (unsigned long long)l->top_stacks[0].count : 0ULL,
		      l->ntop ? (unsigned long long)l->top_stacks[0].ns : 0ULL);
		check(report__stack(r, s_fp) == report__stack(r, s_dwarf) &&
			      report__stack_id(r, s_fp) == s_dwarf,
		      "the fp stack's index reads as the DWARF stack (event log, chrome, JSON)");
		check(r->nevent_log == 3 && report__stack(r, r->event_log[0].stack)->nframes == 6,
		      "the event log's first wait (fp) has the 6 frames");
	} else {
		check(0, "one lock row (%d)", r ? r->nlocks : -1);
	}
	report__free(r);
	model__free(m);
}

int main(void)
{
	rule();
	against_brute_force();
	through_model();
	return tap_exit();
}
