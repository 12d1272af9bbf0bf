// SPDX-License-Identifier: MIT
/*
 * Probe profiles, locators: functions a profile names by what they do rather than by symbol,
 * because a stripped library keeps no name for them ("probe grow_begin @glib_resize ...").
 *
 * @glib_resize is GLib's static g_hash_table_resize (glib/ghash.c): every insert and remove
 * reaches it through the inlined g_hash_table_maybe_resize, the insert side through the static
 * g_hash_table_insert_node, the remove side directly.  It is found as the one function that
 *   - has no exported symbol (it is static),
 *   - is reached by direct calls or tail jumps both from g_hash_table_insert/replace/add and
 *     from g_hash_table_remove/steal,
 *   - is called from a function of each side that the other side does not reach (so not a
 *     helper of it, like realloc_arrays or resize_map, which only it calls),
 *   - calls an allocator (g_new0 is g_malloc0_n) and g_free (the reallocated-buckets bitmap).
 * None of this depends on one build's offsets; when the evidence picks none or several
 * functions, the locator refuses and the profile's fallback probes apply.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include "disasm.h"
#include "elfsym.h"
#include "profile_int.h"

#define MAX_NODES 64
#define MAX_EDGES 256
#define MAX_DEPTH 3 /* insert -> insert_node -> resize, with one level to spare */

struct node {
	__u64 addr;
	bool local;    /* no exported symbol */
	bool alloc;    /* calls an allocator directly */
	bool frees;    /* calls g_free directly */
	bool reach[2]; /* reached from the insert side [0], the remove side [1] */
	bool entry[2]; /* an exported entry point of that side */
};

struct graph {
	struct elfsym_file *ef;
	struct disasm *d;
	struct node nodes[MAX_NODES];
	int n;
	struct {
		int from, to;
	} edges[MAX_EDGES];
	int nedges;
};

static const char *const allocators[] = {
	"g_malloc", "g_malloc0", "g_malloc_n", "g_malloc0_n", "g_realloc", "g_realloc_n",
};

static bool is_allocator(const char *name)
{
	for (size_t i = 0; i < sizeof(allocators) / sizeof(allocators[0]); i++)
		if (!strcmp(name, allocators[i]))
			return true;
	return false;
}

static int node_of(struct graph *g, __u64 addr)
{
	for (int i = 0; i < g->n; i++)
		if (g->nodes[i].addr == addr)
			return i;
	if (g->n == MAX_NODES)
		return -1;
	memset(&g->nodes[g->n], 0, sizeof(g->nodes[0]));
	g->nodes[g->n].addr = addr;
	return g->n++;
}

static void add_edge(struct graph *g, int from, int to)
{
	for (int i = 0; i < g->nedges; i++)
		if (g->edges[i].from == from && g->edges[i].to == to)
			return;
	if (g->nedges < MAX_EDGES) {
		g->edges[g->nedges].from = from;
		g->edges[g->nedges].to = to;
		g->nedges++;
	}
}

/*
 * Decode node @ni (a function of @size bytes, or its .eh_frame extent when 0) and walk its local
 * callees for side @side.  A callee that is not a function's first byte (a jump into a cold part)
 * is not followed.
 */
static void walk(struct graph *g, int ni, __u64 size, int side, int depth)
{
	struct disasm_func *fn = NULL;
	char name[128];

	g->nodes[ni].reach[side] = true;
	if (disasm__function(g->d, g->nodes[ni].addr, size, &fn))
		return;
	for (int i = 0; i < fn->n; i++) {
		const struct disasm_insn *in = &fn->insns[i];
		int to;

		if (!(in->kind == DISASM_CALL ||
		      (in->kind == DISASM_JMP && !disasm_func__inside(fn, in->target))))
			continue;
		/* an exported function, called directly or through the PLT */
		if (!elfsym__func_at(g->ef, in->target, true, name, sizeof(name)) ||
		    !disasm__plt_name(g->d, in->target, name, sizeof(name))) {
			if (is_allocator(name))
				g->nodes[ni].alloc = true;
			else if (!strcmp(name, "g_free"))
				g->nodes[ni].frees = true;
			continue; /* exported: another entry point, not followed */
		}
		to = node_of(g, in->target);
		if (to < 0)
			continue;
		g->nodes[to].local = true;
		add_edge(g, ni, to);
		if (depth < MAX_DEPTH && !g->nodes[to].reach[side])
			walk(g, to, 0, side, depth + 1);
	}
	disasm_func__free(fn);
}

static const char *const glib_sides[2][3] = {
	{"g_hash_table_insert", "g_hash_table_replace", "g_hash_table_add"},
	{"g_hash_table_remove", "g_hash_table_steal", NULL},
};

static int glib_resize(struct elfsym_file *ef, struct disasm *d, __u64 *vaddr, char *how,
		       size_t howlen, char *why, size_t whylen)
{
	struct graph g = {.ef = ef, .d = d};
	int found = -1, nfound = 0;
	char list[160] = "";
	size_t at = 0;

	for (int side = 0; side < 2; side++) {
		int entries = 0;

		for (int e = 0; e < 3 && glib_sides[side][e]; e++) {
			struct elfsym_sym s;
			int ni;

			if (elfsym__find(ef, glib_sides[side][e], &s) || !s.size)
				continue;
			ni = node_of(&g, s.vaddr);
			if (ni < 0)
				continue;
			g.nodes[ni].entry[side] = true;
			entries++;
			walk(&g, ni, s.size, side, 1);
		}
		if (!entries) {
			snprintf(why, whylen, "no function %s%s to start from (not GLib?)",
				 glib_sides[side][0],
				 side ? " or g_hash_table_steal"
				      : ", g_hash_table_replace or g_hash_table_add");
			return -ENOENT;
		}
	}
	for (int c = 0; c < g.n; c++) {
		const struct node *nc = &g.nodes[c];
		bool from[2] = {false, false};

		if (!nc->local || !nc->reach[0] || !nc->reach[1] || !nc->alloc || !nc->frees)
			continue;
		/* called on each side by a function that side alone reaches (or an entry point) */
		for (int i = 0; i < g.nedges; i++) {
			const struct node *caller = &g.nodes[g.edges[i].from];

			if (g.edges[i].to != c)
				continue;
			for (int side = 0; side < 2; side++)
				if (caller->reach[side] &&
				    (caller->entry[side] || !caller->reach[!side]))
					from[side] = true;
		}
		if (!from[0] || !from[1])
			continue;
		found = c;
		nfound++;
		at += (size_t)snprintf(list + at, at < sizeof(list) ? sizeof(list) - at : 0,
				       "%s0x%llx", nfound > 1 ? ", " : "",
				       (unsigned long long)nc->addr);
	}
	if (nfound > 1) {
		snprintf(why, whylen,
			 "ambiguous: %d static functions (%s) are reached from both "
			 "g_hash_table_insert and g_hash_table_remove, allocate and free",
			 nfound, list);
		return -ENOENT;
	}
	if (!nfound) {
		snprintf(why, whylen,
			 "no static function reached from both g_hash_table_insert "
			 "and g_hash_table_remove allocates and frees (%d decoded)",
			 g.n);
		return -ENOENT;
	}
	*vaddr = g.nodes[found].addr;
	snprintf(how, howlen,
		 "the static function called from the insert and the remove paths that allocates "
		 "and frees (%d functions decoded)",
		 g.n);
	return 0;
}

static const struct {
	const char *name;
	const char *symbol; /* its name where a symbol table has it */
	int (*locate)(struct elfsym_file *ef, struct disasm *d, __u64 *vaddr, char *how,
		      size_t howlen, char *why, size_t whylen);
} locators[] = {
	{"glib_resize", "g_hash_table_resize", glib_resize},
};

int profile__locate(struct elfsym_file *ef, struct disasm *d, const char *name, __u64 *vaddr,
		    char *how, size_t howlen, char *why, size_t whylen)
{
	for (size_t i = 0; i < sizeof(locators) / sizeof(locators[0]); i++) {
		struct elfsym_sym s;

		if (strcmp(name, locators[i].name))
			continue;
		/* a symbol table (the file's own, or a debug file) names it: no need to guess */
		if (!elfsym__find(ef, locators[i].symbol, &s)) {
			*vaddr = s.vaddr;
			snprintf(how, howlen, "%s, from the %s", locators[i].symbol, s.where);
			return 0;
		}
		if (!d) {
			snprintf(why, whylen, "the file's code cannot be decoded (not x86-64)");
			return -ENOENT;
		}
		return locators[i].locate(ef, d, vaddr, how, howlen, why, whylen);
	}
	snprintf(why, whylen, "@%s is not a known function; known: @glib_resize", name);
	return -EINVAL;
}

int profile__calls(struct elfsym_file *ef, struct disasm *d, const struct elfsym_sym *fs,
		   const char *callee, __u64 *at, int max, bool after)
{
	struct elfsym_sym cs;
	__u64 direct = elfsym__find(ef, callee, &cs) ? 0 : cs.vaddr;
	struct disasm_func *fn = NULL;
	int err, n = 0;

	err = disasm__function(d, fs->vaddr, fs->size, &fn);
	if (err)
		return err;
	for (int i = 0; i < fn->n; i++) {
		const struct disasm_insn *in = &fn->insns[i];
		char plt[NAME_LEN];

		if (in->kind != DISASM_CALL || !in->target)
			continue;
		if (in->target != direct &&
		    (disasm__plt_name(d, in->target, plt, sizeof(plt)) || strcmp(plt, callee)))
			continue;
		if (n < max)
			at[n] = after ? in->addr + in->len : in->addr;
		n++;
	}
	disasm_func__free(fn);
	return n;
}
