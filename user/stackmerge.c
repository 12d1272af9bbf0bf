// SPDX-License-Identifier: MIT
/*
 * One stack per code path: see stackmerge.h.  The stacks are sorted frame by frame (leaf first),
 * so a stack comes right before every stack it is a prefix of, and those form one run.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "stackmerge.h"

static int cmp_str(const char *a, const char *b)
{
	if (a == b)
		return 0;
	return strcmp(a ? a : "", b ? b : "");
}

static int cmp_frame(const struct mt_frame *a, const struct mt_frame *b)
{
	int c;

	if (a->ip != b->ip)
		return a->ip < b->ip ? -1 : 1;
	c = cmp_str(a->module, b->module);
	return c ? c : cmp_str(a->func, b->func);
}

/* Frame-by-frame order; a prefix before the stacks it begins. */
static int cmp_stack(const struct mt_stack *a, const struct mt_stack *b)
{
	int n = a->nframes < b->nframes ? a->nframes : b->nframes;

	for (int i = 0; i < n; i++) {
		int c = cmp_frame(&a->frames[i], &b->frames[i]);

		if (c)
			return c;
	}
	return (a->nframes > b->nframes) - (a->nframes < b->nframes);
}

/*
 * Does @s end where a thread or the process starts?  Only such a stack was cut short at the
 * root (the frame-pointer walk stops at start_thread, or faults past __libc_start_call_main);
 * one that ends anywhere else is a walk that failed midway (code without frame pointers, a
 * probe at a ret instruction), and its frames cannot say which longer path it belongs to.
 */
static bool ends_at_root(const struct mt_stack *s)
{
	static const char *const roots[] = { "start_thread", "clone",	  "clone3",
					     "__libc_start_call_main",	  "__libc_start_main",
					     "_start",	     "runtime.goexit" };
	const char *f;

	if (!s->nframes)
		return false;
	f = s->frames[s->nframes - 1].func;
	for (size_t i = 0; f && i < sizeof(roots) / sizeof(roots[0]); i++)
		if (!strcmp(f, roots[i]))
			return true;
	return false;
}

/* Does @b begin with all of @a (or equal it)? */
static bool is_prefix(const struct mt_stack *a, const struct mt_stack *b)
{
	if (a->nframes > b->nframes)
		return false;
	for (int i = 0; i < a->nframes; i++)
		if (cmp_frame(&a->frames[i], &b->frames[i]))
			return false;
	return true;
}

/*
 * Does @d cover @f: the same leaf frame, @f's other frames in @d in the same order (frames @d
 * has between them are ones a frame-pointer walk skips: functions without frame pointers), and
 * @d goes on past @f's last frame (the walk stopped short of the root)?
 */
static bool covers(const struct mt_stack *f, const struct mt_stack *d)
{
	int j = 1;

	if (!ends_at_root(f) || d->nframes <= f->nframes ||
	    cmp_frame(&f->frames[0], &d->frames[0]))
		return false;
	/* the earliest match of each frame leaves the most room for the rest */
	for (int i = 1; i < f->nframes; i++, j++) {
		while (j < d->nframes && cmp_frame(&f->frames[i], &d->frames[j]))
			j++;
		if (j == d->nframes)
			return false;
	}
	return j < d->nframes;
}

/*
 * The second pass, over the stacks the first left as their own (@cand, @ncand of them, all with
 * one leaf frame): each covered by exactly one stack that nothing covers gets that one in
 * @target.  What covers a stack covers all it covers, so the outermost stacks covering one are
 * those nothing covers.  Quadratic in @ncand: the caller bounds it.  0 or -ENOMEM.
 */
static int merge_covered(const struct mt_stack *stacks, const int *cand, int ncand, int *target)
{
	bool *outer = malloc(ncand * sizeof(*outer));

	if (!outer)
		return -ENOMEM;
	for (int b = 0; b < ncand; b++) {
		outer[b] = true;
		for (int c = 0; c < ncand && outer[b]; c++)
			outer[b] = !covers(&stacks[cand[b]], &stacks[cand[c]]);
	}
	for (int a = 0; a < ncand; a++) {
		int max = -1, nmax = 0;

		for (int b = 0; b < ncand && nmax < 2; b++) {
			if (outer[b] && covers(&stacks[cand[a]], &stacks[cand[b]])) {
				max = cand[b];
				nmax++;
			}
		}
		if (nmax == 1)
			target[cand[a]] = max;
	}
	free(outer);
	return 0;
}

/* qsort has no context argument: the table being sorted, for the comparator only. */
static const struct mt_stack *sort_stacks;

static int cmp_index(const void *x, const void *y)
{
	int a = *(const int *)x, b = *(const int *)y;
	int c = cmp_stack(&sort_stacks[a], &sort_stacks[b]);

	/* equal stacks by index, so the first of a run of equals is the lowest */
	return c ? c : (a > b) - (a < b);
}

int stackmerge__canon(const struct mt_stack *stacks, int n, int *canon)
{
	int *order = NULL, *rep = NULL, *ends = NULL;
	int err = 0;

	for (int i = 0; i < n; i++)
		canon[i] = i;
	if (n < 2)
		return 0;
	order = malloc(n * sizeof(*order));
	rep = malloc(n * sizeof(*rep));
	/* ends[k]: k is the last of its chain, not a prefix of the next one in order */
	ends = malloc((n + 1) * sizeof(*ends));
	if (!order || !rep || !ends) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (int i = 0; i < n; i++)
		order[i] = i;
	sort_stacks = stacks;
	qsort(order, n, sizeof(*order), cmp_index);
	sort_stacks = NULL;
	/* rep[k]: the lowest index among the stacks equal to order[k] */
	for (int k = 0; k < n; k++)
		rep[k] = k && !cmp_stack(&stacks[order[k - 1]], &stacks[order[k]]) ? rep[k - 1]
										    : order[k];
	for (int k = 0; k < n; k++)
		ends[k] = k + 1 == n || !is_prefix(&stacks[order[k]], &stacks[order[k + 1]]);
	for (int k = 0; k < n;) {
		const struct mt_stack *s = &stacks[order[k]];
		int last = k, j;

		/*
		 * The stacks equal to s, then those it is a strict prefix of: one run in order.  A
		 * stack without frames says nothing about its path: only its equals join it.
		 */
		while (last + 1 < n && is_prefix(s, &stacks[order[last + 1]]) &&
		       (s->nframes || !stacks[order[last + 1]].nframes))
			last++;
		/*
		 * One chain from k to last (each a prefix of the next): all of it is one path, if s
		 * was cut short at the root (ends_at_root()); a stack cut anywhere else stays.
		 */
		for (j = k; j < last && !ends[j]; j++)
			;
		if (j == last && (last == k || ends_at_root(s) ||
				  !cmp_stack(s, &stacks[order[last]]))) {
			for (int i = k; i <= last; i++)
				canon[order[i]] = rep[last];
		} else {
			/* s begins two different stacks: it stays apart, its equals with it */
			for (int i = k; i <= last && !cmp_stack(s, &stacks[order[i]]); i++)
				canon[order[i]] = rep[i];
		}
		/* next: the first stack after s's equals */
		for (j = k + 1; j < n && !cmp_stack(s, &stacks[order[j]]); j++)
			;
		k = j;
	}
	/*
	 * Second pass: a frame-pointer walk through code without frame pointers (glibc) also skips
	 * frames between the leaf and the root, so its stack is not a prefix of its DWARF twin but
	 * a subsequence cut short at the root.  Per leaf frame (a run in order), among the stacks
	 * still their own; rep and ends are free again: the candidates and their targets.
	 */
	for (int i = 0; i < n; i++)
		ends[i] = i;
	for (int k = 0; k < n;) {
		int j = k, ncand = 0;

		while (j < n && stacks[order[j]].nframes && stacks[order[k]].nframes &&
		       !cmp_frame(&stacks[order[j]].frames[0], &stacks[order[k]].frames[0]))
			j++;
		j = j > k ? j : k + 1;
		for (int i = k; i < j; i++)
			if (canon[order[i]] == order[i])
				rep[ncand++] = order[i];
		if (ncand > 1 && ncand <= STACKMERGE_COVER_MAX &&
		    (err = merge_covered(stacks, rep, ncand, ends)))
			break;
		k = j;
	}
	for (int i = 0; i < n && !err; i++)
		canon[i] = ends[canon[i]];
cleanup:
	for (int i = 0; err && i < n; i++)
		canon[i] = i;
	free(order);
	free(rep);
	free(ends);
	return err;
}
