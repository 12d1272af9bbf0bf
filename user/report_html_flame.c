// SPDX-License-Identifier: MIT
/*
 * The html backend's flame graphs: the stack costs of report__costs() (the ones the folded
 * output writes, with the same frame names and placeholders) merged into a tree rooted at the
 * process name, drawn as SVG with the root at the bottom.  Each frame is a <g class="fr"> whose
 * data-x and data-w are its offset and width in nanoseconds and data-d its depth, so the page's
 * script can zoom into a frame and search frames by name without more data.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "report_html.h"
#include "util.h"

#define FRAME_BUF 1024
#define FL_W 1200     /* viewBox width */
#define FL_FH 17      /* frame height */
#define FL_CHAR 7.0   /* a character's width at the page's font size */
#define FL_MIN_W 0.1  /* past FL_ALL frames, those narrower (viewBox units) are left out */
#define FL_ALL 5000   /* a graph of up to this many frames has them all, however narrow */

struct fnode {
	char *name;
	__u64 ns;
	int child, next; /* first child, next sibling; -1 none */
};

struct flame {
	struct fnode *v;
	size_t n, cap;
	int maxdepth;
	bool waits;
	bool all; /* draw every frame (at most FL_ALL) */
};

static int node_new(struct flame *f, const char *name)
{
	if (GROW(f->v, f->n, f->cap, 256))
		return -ENOMEM;
	f->v[f->n] = (struct fnode){ .name = strdup(name), .child = -1, .next = -1 };
	if (!f->v[f->n].name)
		return -ENOMEM;
	return (int)f->n++;
}

/* The child of @parent called @name, made when there is none.  Return: its index or -ENOMEM. */
static int child_of(struct flame *f, int parent, const char *name)
{
	int c, last = -1;

	for (c = f->v[parent].child; c >= 0; last = c, c = f->v[c].next)
		if (!strcmp(f->v[c].name, name))
			return c;
	c = node_new(f, name);
	if (c < 0)
		return c;
	if (last < 0)
		f->v[parent].child = c;
	else
		f->v[last].next = c;
	return c;
}

/* Add one stack's cost along its path from the root. */
static int add_cost(struct flame *f, const struct report *r, const struct report_cost *c)
{
	const struct mt_stack *st = report__stack(r, c->stack);
	char name[FRAME_BUF];
	int node = 0, depth = 0;

	f->v[0].ns += c->ns;
	if (!st || !st->nframes) {
		node = child_of(f, node, report__stack_placeholder(c->stack));
		if (node < 0)
			return node;
		f->v[node].ns += c->ns;
		depth = 1;
	}
	for (int i = st ? st->nframes - 1 : -1; i >= 0; i--) {
		node = child_of(f, node, report__frame_name(name, sizeof(name), &st->frames[i]));
		if (node < 0)
			return node;
		f->v[node].ns += c->ns;
		depth++;
	}
	if (depth > f->maxdepth)
		f->maxdepth = depth;
	return 0;
}

/* A stable colour per name: warm for waits, cool for rehashes. */
static void fill(const struct flame *f, const char *name, char *buf, size_t size)
{
	unsigned int hash = 2166136261u;

	for (const char *p = name; *p; p++)
		hash = (hash ^ (unsigned char)*p) * 16777619u;
	snprintf(buf, size, "hsl(%u,%u%%,%u%%)", (f->waits ? 0 : 190) + hash % 50,
		 60 + (hash >> 8) % 30, 55 + (hash >> 16) % 15);
}

/* @name cut to what fits @w units: "" below three characters, ".." where cut. */
static void fit(char *buf, size_t size, const char *name, double w)
{
	size_t room = w > 6 ? (size_t)((w - 6) / FL_CHAR) : 0;

	if (room < 3) {
		buf[0] = '\0';
		return;
	}
	if (strlen(name) <= room || room + 1 > size) {
		snprintf(buf, size, "%s", name);
		return;
	}
	snprintf(buf, size, "%.*s..", (int)(room - 2), name);
}

static void draw(struct html *h, const struct flame *f, int node, __u64 x, int depth, int height)
{
	const struct fnode *n = &f->v[node];
	__u64 total = f->v[0].ns ? f->v[0].ns : 1;
	double px = (double)x / (double)total * FL_W, pw = (double)n->ns / (double)total * FL_W;
	char color[32], label[FRAME_BUF], v[16];

	if (!f->all && pw < FL_MIN_W && node)
		return;
	fill(f, n->name, color, sizeof(color));
	fit(label, sizeof(label), n->name, pw);
	fprintf(h->out, "<g class=\"fr\" data-x=\"%llu\" data-w=\"%llu\" data-d=\"%d\" data-n=\"",
		(unsigned long long)x, (unsigned long long)n->ns, depth);
	html__text(h->out, n->name);
	fputs("\"><title>", h->out);
	html__text(h->out, n->name);
	fprintf(h->out, " (%s, %.2f%%)</title><rect x=\"%.3f\" y=\"%d\" width=\"%.3f\" "
			"height=\"%d\" fill=\"%s\" data-c=\"%s\"/><text x=\"%.3f\" y=\"%d\">",
		report__fmt_ns(v, sizeof(v), n->ns), 100.0 * (double)n->ns / (double)total, px,
		height - (depth + 1) * FL_FH, pw, FL_FH - 1, color, color, px + 3,
		height - depth * FL_FH - 5);
	html__text(h->out, label);
	fputs("</text></g>", h->out);
	for (int c = n->child; c >= 0; c = f->v[c].next) {
		draw(h, f, c, x, depth + 1, height);
		x += f->v[c].ns;
	}
}

int html__flame(struct html *h, enum report_what what, const char *id)
{
	const struct report *r = h->r;
	struct flame f = { .waits = what == REPORT_WHAT_LOCKS };
	struct report_cost *c = NULL;
	char root[FRAME_BUF];
	size_t n = 0;
	int err, height;

	if (r->info.comm[0])
		snprintf(root, sizeof(root), "%s", r->info.comm);
	else
		snprintf(root, sizeof(root), "[pid %d]", r->info.pid);
	err = report__costs(r, what, what == REPORT_WHAT_LOCKS && h->all_waits, &c, &n, NULL);
	if (!err)
		err = node_new(&f, root) < 0 ? -ENOMEM : 0;
	for (size_t i = 0; i < n && !err; i++)
		if (c[i].ns)
			err = add_cost(&f, r, &c[i]);
	if (!err) {
		f.all = f.n <= FL_ALL;
		height = (f.maxdepth + 1) * FL_FH + 4;
		fprintf(h->out, "<svg class=\"flame\" id=\"%s\" data-total=\"%llu\" "
				"viewBox=\"0 0 %d %d\" role=\"img\">",
			id, (unsigned long long)f.v[0].ns, FL_W, height);
		if (f.v[0].ns)
			draw(h, &f, 0, 0, 0, height);
		else
			fprintf(h->out, "<text x=\"4\" y=\"%d\">nothing to draw: no %s</text>",
				height - 5, f.waits ? "contended wait" : "grow");
		fputs("</svg>", h->out);
	}
	for (size_t i = 0; i < f.n; i++)
		free(f.v[i].name);
	free(f.v);
	free(c);
	return err;
}
