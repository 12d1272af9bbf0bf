// SPDX-License-Identifier: MIT
/*
 * The "folded" backend: Brendan Gregg's collapsed-stack format, read by flamegraph.pl, inferno
 * and speedscope.  One line per distinct stack, "root;...;leaf value": the process name is
 * the first frame, then the stack from its outermost caller to the frame that waited or grew,
 * each frame a function name ("module+0xoff" or "[unknown]" when there is none).
 *
 * Values (--weight): wait nanoseconds of lock stacks and rehash nanoseconds (grow plus
 * evacuation steps) of grow stacks by default; "wait-ns" keeps only lock stacks and
 * "rehash-ns" only grow stacks; "count" counts contended waits and grows (a stack that only
 * evacuated weighs nothing then, and is left out).  Lines whose value is 0 are left out.
 *
 * With --what all and both kinds shown, a synthetic frame after the process name keeps them
 * apart, "[lock wait]" or "[rehash]", so a flame graph never adds a wait to a rehash; with one
 * kind there is no synthetic frame and the lines are the plain stacks.  --what holders shows
 * the locks' holder stacks alone, each weighing the releases that woke a waiter (a count).
 *
 * The values come from report__costs(): summed from the event log when the model kept it, so
 * they add up to the report's total wait (or rehash time); else from the rows' top stacks,
 * with what those leave out on a "[other stacks]" frame, so the totals still add up.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "report.h"
#include "util.h"

#define FRAME_BUF 1024

/* A growable string. */
struct strbuf {
	char *s;
	size_t len, cap;
	int err;
};

static void sb_add(struct strbuf *b, const char *s, size_t n)
{
	if (b->err)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 256;
		char *ns;

		while (cap < b->len + n + 1)
			cap *= 2;
		ns = realloc(b->s, cap);
		if (!ns) {
			b->err = -ENOMEM;
			return;
		}
		b->s = ns;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

/*
 * One frame as the format allows it: ';' separates frames, so it becomes ':'; a control
 * character (a newline would end the line) becomes a space; spaces at either end go, since
 * the last one before the value is the separator.  An empty frame reads "[unknown]".
 */
static void sb_add_frame(struct strbuf *b, const char *name)
{
	char buf[FRAME_BUF];
	size_t start = 0, end;

	snprintf(buf, sizeof(buf), "%s", name);
	for (char *p = buf; *p; p++) {
		if (*p == ';')
			*p = ':';
		else if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	}
	end = strlen(buf);
	while (start < end && buf[start] == ' ')
		start++;
	while (end > start && buf[end - 1] == ' ')
		end--;
	if (b->len)
		sb_add(b, ";", 1);
	if (start == end)
		sb_add(b, "[unknown]", 9);
	else
		sb_add(b, buf + start, end - start);
}

struct folded_line {
	char *stack;
	__u64 value;
};

struct folded {
	struct folded_line *v;
	size_t n, cap;
};

static int folded_add(struct folded *f, char *stack, __u64 value)
{
	if (GROW(f->v, f->n, f->cap, 64))
		return -ENOMEM;
	f->v[f->n++] = (struct folded_line){ stack, value };
	return 0;
}

static int cmp_line(const void *a, const void *b)
{
	const struct folded_line *x = a, *y = b;

	return strcmp(x->stack, y->stack);
}

/* The folded stack of one cost: "comm[;kind];root;...;leaf". */
static char *fold_stack(const struct report *r, const char *kind_frame, int idx)
{
	const struct mt_stack *st = report__stack(r, idx);
	struct strbuf b = {};
	char name[FRAME_BUF];

	if (r->info.comm[0]) {
		sb_add_frame(&b, r->info.comm);
	} else {
		snprintf(name, sizeof(name), "[pid %d]", r->info.pid);
		sb_add_frame(&b, name);
	}
	if (kind_frame)
		sb_add_frame(&b, kind_frame);
	if (!st || !st->nframes)
		sb_add_frame(&b, report__stack_placeholder(idx));
	for (int i = st ? st->nframes - 1 : -1; i >= 0; i--)
		sb_add_frame(&b, report__frame_name(name, sizeof(name), &st->frames[i]));
	if (b.err) {
		free(b.s);
		return NULL;
	}
	return b.s;
}

/* Add the lines of one kind of cost (locks or grows). */
static int add_kind(struct folded *f, const struct report *r, enum report_what what,
		    const char *kind_frame, bool count, bool waits)
{
	struct report_cost *c;
	size_t n;
	int err;

	err = report__costs(r, what, waits, &c, &n, NULL);
	if (err)
		return err;
	for (size_t i = 0; i < n && !err; i++) {
		__u64 value = count ? c[i].count : c[i].ns;
		char *stack;

		/* flamegraph.pl and friends expect positive values; a 0 line is noise */
		if (!value)
			continue;
		stack = fold_stack(r, kind_frame, c[i].stack);
		if (!stack)
			err = -ENOMEM;
		else if ((err = folded_add(f, stack, value)))
			free(stack);
	}
	free(c);
	return err;
}

static int folded_emit(FILE *out, const struct report *r, const struct report_opts *o)
{
	bool count = o && o->weight == REPORT_WEIGHT_COUNT, waits = o && o->all_waits;
	struct folded f = {};
	bool locks, grows;
	size_t i, j;
	int err;

	/* --what holders: the stacks that released a contended lock, by their waking releases */
	if (o && o->what == REPORT_WHAT_HOLDERS) {
		locks = grows = false;
		err = add_kind(&f, r, REPORT_WHAT_HOLDERS, NULL, true, waits);
	} else {
		err = report__kinds(o, &locks, &grows);
	}
	if (err)
		return err;
	if (locks)
		err = add_kind(&f, r, REPORT_WHAT_LOCKS, grows ? "[lock wait]" : NULL, count,
			       waits);
	if (!err && grows)
		err = add_kind(&f, r, REPORT_WHAT_GROWS, locks ? "[rehash]" : NULL, count,
			       false);

	/* distinct stacks can fold to the same line (same functions, other addresses): merge */
	if (!err && f.n)
		qsort(f.v, f.n, sizeof(*f.v), cmp_line);
	for (i = 0; !err && i < f.n; i = j) {
		__u64 sum = 0;

		for (j = i; j < f.n && !strcmp(f.v[i].stack, f.v[j].stack); j++)
			sum += f.v[j].value;
		fprintf(out, "%s %llu\n", f.v[i].stack, (unsigned long long)sum);
	}
	for (i = 0; i < f.n; i++)
		free(f.v[i].stack);
	free(f.v);
	if (!err && (fflush(out) || ferror(out)))
		err = -EIO;
	return err;
}

const struct report_backend report_folded_backend = {
	.name = "folded",
	.desc = "collapsed stacks for flamegraph.pl, inferno, speedscope (--weight, --what)",
	.traits = REPORT_EVENTS | REPORT_ALL_ROWS,
	.emit = folded_emit,
};
