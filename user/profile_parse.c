// SPDX-License-Identifier: MIT
/*
 * Probe profiles, parsing: the built-in profiles, --profile files and --probe options
 * (docs/profiles.md) into a struct profile_set, and one probe's key=value list into a spec.
 * See profile.h; profile_plan.c matches the result against a process.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "profile_int.h"
#include "readfile.h"
#include "util.h"

/*
 * Built-in profiles, in the --profile format.  Field offsets were read from the libraries'
 * machine code on Debian 12 (GLib 2.74.6, Redis 7.0.15) and are checked against the version
 * before use.
 */
#define GLIB_WHEN "when=(noccupied+1)*17>=size*16|(nnodes-1)*4<size&size>8"

static const char builtin_glib[] =
	"# GLib's GHashTable (struct _GHashTable in glib/ghash.c)\n"
	"profile glib\n"
	"object libglib-2.0.so.0\n"
	"require g_hash_table_insert g_hash_table_new_full\n"
	"version symbols glib_major_version glib_minor_version glib_micro_version\n"
	"fields 2.74.* size=u64@0 nnodes=u32@16 noccupied=u32@20\n"
	"probe create g_hash_table_new_full map=ret size=size\n"
	/*
	 * Every insert and remove may resize (g_hash_table_maybe_resize is inlined): watch size.
	 * It resizes when size <= noccupied + noccupied / 16 (grow) or size > 4 * nnodes and
	 * size > 8 (shrink), after the call; one call changes noccupied and nnodes by at most one.
	 * So only calls where these hold at entry, one step ahead, need their return seen.
	 */
	"probe insert g_hash_table_insert map=arg0 size=size count=nnodes " GLIB_WHEN "\n"
	"probe insert g_hash_table_replace map=arg0 size=size count=nnodes " GLIB_WHEN "\n"
	"probe insert g_hash_table_add map=arg0 size=size count=nnodes " GLIB_WHEN "\n"
	"probe delete g_hash_table_remove map=arg0 size=size count=nnodes " GLIB_WHEN "\n"
	"probe delete g_hash_table_steal map=arg0 size=size count=nnodes " GLIB_WHEN "\n"
	"probe resize g_hash_table_remove_all map=arg0 size=size new_size=size count=nnodes\n";

static const char builtin_redis[] =
	/*
	 * No dictDelete: its entry is single-stepped (~4 us) and every SET calls it on the
	 * expires dict, usually for a key that is not there.
	 */
	"# Redis's dict (src/dict.h); Debian's redis-server is a link to redis-check-rdb\n"
	"profile redis\n"
	"object redis-server redis-check-rdb\n"
	"require _dictExpand dictRehash dictAddRaw\n"
	"version retconst RM_GetServerVersion\n"
	"fields 7.0.* type=u64@0 size0=log2:s8@50 size1=log2:s8@51 used0=u64@24 rehashidx=s64@40\n"
	/* a dict is named after its dictType: dbDictType is the keyspace, dbExpiresDictType ... */
	"probe create dictCreate map=ret size=size0 name=type\n"
	"probe insert dictAddRaw map=arg0\n"
	"probe destroy dictRelease map=arg0\n"
	/*
	 * The new table is table 1 while rehashing, table 0 when the dict was empty.  dictExpand
	 * and dictResize (shrinks) carry inlined copies of _dictExpand in 7.0.15: probe all three.
	 */
	"probe resize _dictExpand map=arg0 size=size0 new_size=size1|size0 ok=ret==0 count=used0 "
	"name=type\n"
	"probe resize dictExpand map=arg0 size=size0 new_size=size1|size0 ok=ret==0 count=used0 "
	"name=type\n"
	"probe resize dictResize map=arg0 size=size0 new_size=size1|size0 ok=ret==0 count=used0 "
	"name=type\n"
	"probe rehash_step dictRehash map=arg0 pos=rehashidx size=size0\n";

static const char *const role_names[MT_ROLE_MAX] = {
	[MT_ROLE_INSERT] = "insert",	     [MT_ROLE_DELETE] = "delete",
	[MT_ROLE_LOOKUP] = "lookup",	     [MT_ROLE_CREATE] = "create",
	[MT_ROLE_DESTROY] = "destroy",	     [MT_ROLE_RESIZE] = "resize",
	[MT_ROLE_GROW_BEGIN] = "grow_begin", [MT_ROLE_GROW_END] = "grow_end",
	[MT_ROLE_REHASH_STEP] = "rehash_step", [MT_ROLE_LOCK] = "lock",
};

const char *mt_role_name(int role)
{
	return role > 0 && role < MT_ROLE_MAX && role_names[role] ? role_names[role] : "?";
}

static int role_parse(const char *s)
{
	if (!strcmp(s, "grow")) /* a one-shot resize, as users tend to call it */
		return MT_ROLE_RESIZE;
	if (!strcmp(s, "remove"))
		return MT_ROLE_DELETE;
	for (int i = 1; i < MT_ROLE_MAX; i++)
		if (role_names[i] && !strcmp(s, role_names[i]))
			return i;
	return -1;
}

/* "u32@16", "s64@40", "log2:s8@50": a field of the map struct. */
static int parse_field(const char *s, struct mt_src *src)
{
	static const struct {
		const char *name;
		int width;
		bool sign;
	} types[] = { { "u8", 1, false },  { "s8", 1, true },  { "u16", 2, false },
		      { "s16", 2, true },  { "u32", 4, false }, { "s32", 4, true },
		      { "u64", 8, false }, { "s64", 8, true } };
	const char *at = strchr(s, '@');
	char type[16], *end;
	bool log2 = false;
	unsigned long off;

	if (!strncmp(s, "log2:", 5)) {
		log2 = true;
		s += 5;
	}
	if (!at || (size_t)(at - s) >= sizeof(type))
		return -EINVAL;
	memcpy(type, s, at - s);
	type[at - s] = '\0';
	errno = 0;
	off = strtoul(at + 1, &end, 0);
	if (errno || *end || end == at + 1 || off > 65535)
		return -EINVAL;
	for (size_t i = 0; i < ARRAY_SIZE(types); i++) {
		if (strcmp(type, types[i].name))
			continue;
		*src = (struct mt_src){ .kind = MT_SRC_FIELD,
					.width = (__u8)types[i].width,
					.flags = (types[i].sign ? MT_SRC_SIGNED : 0) |
						 (log2 ? MT_SRC_EXP2 : 0),
					.off = (__u32)off };
		return 0;
	}
	return -EINVAL;
}

/*
 * One value source: argN, ret, const:N, TYPE@OFF, or a field name of @fs.
 * Return: 0; -EINVAL for bad syntax; -ENOENT for a field name @fs lacks (or no @fs).
 */
static int parse_src(const char *s, const struct fieldset *fs, struct mt_src *src)
{
	char *end;

	memset(src, 0, sizeof(*src));
	if (!strncmp(s, "arg", 3) && s[3] >= '0' && s[3] <= '5' && !s[4]) {
		src->kind = MT_SRC_ARG;
		src->arg = (__u8)(s[3] - '0');
		return 0;
	}
	if (!strcmp(s, "ret")) {
		src->kind = MT_SRC_RET;
		return 0;
	}
	if (!strncmp(s, "const:", 6)) {
		unsigned long v;

		errno = 0;
		v = strtoul(s + 6, &end, 0);
		if (errno || *end || v > 0xffffffffUL)
			return -EINVAL;
		src->kind = MT_SRC_CONST;
		src->off = (__u32)v;
		return 0;
	}
	if (strchr(s, '@'))
		return parse_field(s, src);
	for (const char *c = s; *c; c++)
		if (!(*c == '_' || (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		      (*c >= '0' && *c <= '9')))
			return -EINVAL;
	if (!*s)
		return -EINVAL;
	for (int i = 0; fs && i < fs->n; i++) {
		if (!strcmp(fs->fields[i].name, s)) {
			*src = fs->fields[i].src;
			return 0;
		}
	}
	return -ENOENT;
}

/* "a|b": a source and the one used when it reads 0. */
static int parse_src2(const char *s, const struct fieldset *fs, struct mt_src *a, struct mt_src *b)
{
	char buf[128];
	char *bar;
	int err;

	snprintf(buf, sizeof(buf), "%s", s);
	bar = strchr(buf, '|');
	memset(b, 0, sizeof(*b));
	if (bar) {
		*bar = '\0';
		err = parse_src(bar + 1, fs, b);
		if (err)
			return err;
	}
	return parse_src(buf, fs, a);
}

/*
 * One side of a guard comparison: "NAME", "NAME*4", "(NAME+1)*17", "(NAME-1)", or an integer.
 * NAME is any value source (parse_src).  Return: 0, -EINVAL, -ENOENT (unknown field name).
 */
static int parse_side(const char *s, const struct fieldset *fs, struct mt_src *src, __s32 *add,
		      __u32 *mul)
{
	char buf[96], *end, *star;
	long v;

	*add = 0;
	*mul = 1;
	snprintf(buf, sizeof(buf), "%s", s);
	if ((buf[0] >= '0' && buf[0] <= '9') || buf[0] == '-') {
		errno = 0;
		v = strtol(buf, &end, 0);
		if (errno || *end || v < -0x7fffffffL || v > 0x7fffffffL)
			return -EINVAL;
		memset(src, 0, sizeof(*src));
		*add = (__s32)v; /* a constant is 0 + v */
		return 0;
	}
	star = strrchr(buf, '*');
	if (star && (!strchr(buf, ')') || star > strchr(buf, ')'))) {
		errno = 0;
		v = strtol(star + 1, &end, 0);
		if (errno || *end || v < 1 || v > 0xffff)
			return -EINVAL;
		*mul = (__u32)v;
		*star = '\0';
	}
	if (buf[0] == '(') {
		char *close = strrchr(buf, ')'), *op;

		if (!close || close[1])
			return -EINVAL;
		*close = '\0';
		memmove(buf, buf + 1, strlen(buf));
		op = strpbrk(buf, "+-");
		if (op) {
			errno = 0;
			v = strtol(op + 1, &end, 0);
			if (errno || *end || op[1] == '\0' || v > 0xffff)
				return -EINVAL;
			*add = (__s32)(*op == '-' ? -v : v);
			*op = '\0';
		}
	}
	return parse_src(buf, fs, src);
}

/* "when=(noccupied+1)*17>=size*16|(nnodes-1)*4<size&size>8": an OR of ANDs. */
static int parse_when(const char *s, const struct fieldset *fs, struct mt_probe_spec *sp)
{
	static const struct {
		const char *op;
		int cmp;
	} ops[] = { { ">=", MT_CMP_GE }, { "<=", MT_CMP_LE }, { "==", MT_CMP_EQ },
		    { "!=", MT_CMP_NE }, { ">", MT_CMP_GT },  { "<", MT_CMP_LT } };
	char buf[256], *save = NULL, *term;
	int err;

	snprintf(buf, sizeof(buf), "%s", s);
	sp->nwhen = 0;
	for (term = strtok_r(buf, "|&", &save); term; term = strtok_r(NULL, "|&", &save)) {
		/* the separator that ended this term says how it joins the next */
		char sep = s[term - buf + strlen(term)];
		struct mt_guard *g;
		char *at = NULL;
		size_t k;

		if (sp->nwhen == MT_MAX_GUARDS)
			return -EINVAL;
		g = &sp->when[sp->nwhen];
		memset(g, 0, sizeof(*g));
		for (k = 0; k < ARRAY_SIZE(ops); k++) {
			at = strstr(term, ops[k].op);
			if (at)
				break;
		}
		if (!at)
			return -EINVAL;
		g->cmp = (__u8)ops[k].cmp;
		*at = '\0';
		err = parse_side(term, fs, &g->a, &g->a_add, &g->a_mul);
		if (!err)
			err = parse_side(at + strlen(ops[k].op), fs, &g->b, &g->b_add, &g->b_mul);
		if (err)
			return err;
		g->and_next = sep == '&';
		sp->nwhen++;
	}
	return sp->nwhen ? 0 : -EINVAL;
}

/* "ok=ret==0" or "ok=ret!=-1". */
static int parse_ok(const char *s, struct mt_probe_spec *sp)
{
	char *end;

	if (strncmp(s, "ret", 3) || (strncmp(s + 3, "==", 2) && strncmp(s + 3, "!=", 2)))
		return -EINVAL;
	errno = 0;
	sp->ret_val = strtoll(s + 5, &end, 0);
	if (errno || *end || end == s + 5)
		return -EINVAL;
	sp->ret_cond = s[3] == '=' ? MT_RET_EQ : MT_RET_NE;
	return 0;
}

/* Widen [*lo, *hi) to hold @src when it is a field. */
static void field_span(const struct mt_src *src, __u32 *lo, __u32 *hi)
{
	if (src->kind != MT_SRC_FIELD)
		return;
	if (src->off < *lo)
		*lo = src->off;
	if (src->off + src->width > *hi)
		*hi = src->off + src->width;
}

/* The entry reads its fields from one copy when they all fit in MT_SNAP_MAX bytes. */
static void snapshot_plan(struct mt_probe_spec *sp)
{
	__u32 lo = ~0U, hi = 0;

	field_span(&sp->size, &lo, &hi);
	field_span(&sp->size_alt, &lo, &hi);
	for (__u32 i = 0; i < sp->nwhen; i++) {
		field_span(&sp->when[i].a, &lo, &hi);
		field_span(&sp->when[i].b, &lo, &hi);
	}
	sp->snap = hi > lo && hi - lo <= MT_SNAP_MAX;
	sp->snap_off = sp->snap ? lo : 0;
}

int pprobe__spec(const struct pprobe *pp, const struct fieldset *fs, struct mt_probe_spec *sp,
		 char *bad, size_t badlen)
{
	char buf[sizeof(pp->args)], *save = NULL, *kv;
	bool need_return = false;
	int err = 0;

	memset(sp, 0, sizeof(*sp));
	sp->role = (__u32)pp->role;
	snprintf(buf, sizeof(buf), "%s", pp->args);
	for (kv = strtok_r(buf, " \t,", &save); kv && !err; kv = strtok_r(NULL, " \t,", &save)) {
		char *eq = strchr(kv, '=');
		const char *key = kv, *val;

		snprintf(bad, badlen, "%s", kv);
		if (!eq) {
			err = -EINVAL;
			break;
		}
		*eq = '\0';
		val = eq + 1;
		if (!strcmp(key, "map"))
			err = parse_src(val, fs, &sp->map);
		else if (!strcmp(key, "size") || !strcmp(key, "old_size"))
			err = parse_src2(val, fs, &sp->size, &sp->size_alt);
		else if (!strcmp(key, "new_size"))
			err = parse_src2(val, fs, &sp->new_size, &sp->new_size_alt);
		else if (!strcmp(key, "count"))
			err = parse_src(val, fs, &sp->count);
		else if (!strcmp(key, "pos"))
			err = parse_src(val, fs, &sp->pos);
		else if (!strcmp(key, "ok"))
			err = parse_ok(val, sp);
		else if (!strcmp(key, "when"))
			err = parse_when(val, fs, sp);
		else if (!strcmp(key, "lock"))
			err = parse_src(val, fs, &sp->lock);
		else if (!strcmp(key, "name"))
			err = parse_src(val, fs, &sp->name);
		else if (!strcmp(key, "mode") && (!strcmp(val, "read") || !strcmp(val, "write"))) {
			/* a read or write lock is one side of an rwlock */
			sp->lock_mode = !strcmp(val, "read") ? MT_MODE_READ : MT_MODE_WRITE;
			sp->lock_kind = 1;
		} else {
			err = -EINVAL;
		}
	}
	if (err)
		return err;
	snprintf(bad, badlen, "map=");
	if (sp->map.kind == MT_SRC_NONE && pp->role != MT_ROLE_GROW_END && pp->role != MT_ROLE_LOCK)
		return -EINVAL;
	if (sp->map.kind == MT_SRC_RET && pp->role != MT_ROLE_CREATE)
		return -EINVAL;
	switch (pp->role) {
	case MT_ROLE_INSERT:
	case MT_ROLE_DELETE:
	case MT_ROLE_LOOKUP:
		need_return = sp->size.kind != MT_SRC_NONE;
		snprintf(bad, badlen, "when= (it needs size=)");
		if (sp->nwhen && !need_return)
			return -EINVAL;
		break;
	case MT_ROLE_CREATE:
		need_return = sp->map.kind == MT_SRC_RET || sp->size.kind == MT_SRC_FIELD;
		break;
	case MT_ROLE_RESIZE:
		snprintf(bad, badlen, "new_size=");
		if (sp->new_size.kind == MT_SRC_NONE)
			return -EINVAL;
		need_return = sp->new_size.kind != MT_SRC_ARG || sp->ret_cond != MT_RET_ANY;
		break;
	case MT_ROLE_GROW_BEGIN:
		snprintf(bad, badlen, "new_size=");
		if (sp->new_size.kind != MT_SRC_NONE && sp->new_size.kind != MT_SRC_ARG &&
		    sp->new_size.kind != MT_SRC_FIELD)
			return -EINVAL;
		break;
	case MT_ROLE_LOCK:
		snprintf(bad, badlen, "lock= (an argument)");
		if (sp->lock.kind != MT_SRC_ARG)
			return -EINVAL;
		if (!sp->lock_kind)
			sp->lock_mode = MT_MODE_WRITE;
		need_return = true;
		break;
	case MT_ROLE_REHASH_STEP:
		snprintf(bad, badlen, "pos= and size=");
		if (sp->pos.kind != MT_SRC_FIELD || sp->size.kind == MT_SRC_NONE)
			return -EINVAL;
		need_return = true;
		break;
	default:
		break;
	}
	sp->flags = need_return ? MT_SPEC_RETURN : 0;
	snapshot_plan(sp);
	bad[0] = '\0';
	return 0;
}

static struct profile *find_profile(struct profile_set *ps, const char *name)
{
	for (int i = 0; i < ps->n; i++)
		if (!strcmp(ps->p[i]->name, name))
			return ps->p[i];
	return NULL;
}

static struct profile *add_profile(struct profile_set *ps, const char *name, const char *origin)
{
	struct profile *p;

	if (ps->n == MAX_PROFILES)
		return NULL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	snprintf(p->name, sizeof(p->name), "%s", name);
	/* "built-in profile glib" in messages, "built-in" beside its name */
	snprintf(p->origin, sizeof(p->origin), "%s",
		 strncmp(origin, "built-in", 8) ? origin : "built-in");
	ps->p[ps->n++] = p;
	return p;
}

/* Split @line into at most @max words (modifies it). */
static int words(char *line, char **w, int max)
{
	char *save = NULL;
	int n = 0;

	for (char *t = strtok_r(line, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
		if (n == max)
			return -E2BIG;
		w[n++] = t;
	}
	return n;
}

static int parse_fields(struct profile *p, char **w, int n, const char **why)
{
	struct fieldset *fs;

	if (n < 3) {
		*why = "want: fields VERSION-PATTERN NAME=TYPE@OFFSET ...";
		return -EINVAL;
	}
	if (p->nfsets == MAX_FIELDSETS || n - 2 > MAX_FIELDS) {
		*why = "too many field sets or fields";
		return -EINVAL;
	}
	fs = &p->fsets[p->nfsets];
	memset(fs, 0, sizeof(*fs));
	snprintf(fs->glob, sizeof(fs->glob), "%s", w[1]);
	for (int i = 2; i < n; i++) {
		char *eq = strchr(w[i], '=');
		struct field *f = &fs->fields[fs->n];

		if (!eq || eq == w[i] || (size_t)(eq - w[i]) >= sizeof(f->name) ||
		    parse_field(eq + 1, &f->src)) {
			*why = "a field is NAME=TYPE@OFFSET, TYPE one of u8 s8 u16 s16 u32 s32 u64 "
			       "s64, optionally log2:TYPE";
			return -EINVAL;
		}
		memcpy(f->name, w[i], eq - w[i]);
		f->name[eq - w[i]] = '\0';
		fs->n++;
	}
	p->nfsets++;
	return 0;
}

static int parse_probe(struct profile *p, char **w, int n, int lineno, const char **why)
{
	struct pprobe *pp;
	size_t len = 0;

	if (n < 3) {
		*why = "want: probe ROLE SYMBOL KEY=VALUE ...";
		return -EINVAL;
	}
	if (p->nprobes == MAX_PROBES) {
		*why = "too many probes in one profile";
		return -EINVAL;
	}
	pp = &p->probes[p->nprobes];
	memset(pp, 0, sizeof(*pp));
	pp->role = role_parse(w[1]);
	if (pp->role < 0) {
		*why = "unknown role; roles: insert delete lookup create destroy resize (grow) "
		       "grow_begin grow_end rehash_step lock";
		return -EINVAL;
	}
	if (strlen(w[2]) >= sizeof(pp->sym)) {
		*why = "symbol name too long";
		return -EINVAL;
	}
	snprintf(pp->sym, sizeof(pp->sym), "%s", w[2]);
	for (int i = 3; i < n; i++)
		len += (size_t)snprintf(pp->args + len,
					len < sizeof(pp->args) ? sizeof(pp->args) - len : 0, "%s%s",
					i > 3 ? " " : "", w[i]);
	if (len >= sizeof(pp->args)) {
		*why = "probe line too long";
		return -EINVAL;
	}
	pp->line = lineno;
	p->nprobes++;
	return 0;
}

/* A probe's arguments must at least parse with inline fields; names are checked per module. */
static int check_probe_syntax(const struct profile *p, const struct pprobe *pp, const char **why,
			      char *bad, size_t badlen)
{
	struct mt_probe_spec sp;
	int err = -ENOENT;

	/* field names resolve against any of the profile's field sets */
	for (int i = 0; i < p->nfsets && err == -ENOENT; i++)
		err = pprobe__spec(pp, &p->fsets[i], &sp, bad, badlen);
	if (err == -ENOENT && !p->nfsets)
		err = pprobe__spec(pp, NULL, &sp, bad, badlen);
	if (err == -ENOENT) {
		*why = "names a field no 'fields' line defines (arguments are arg0..arg5)";
		err = -EINVAL;
	} else if (err)
		*why = "bad KEY=VALUE (keys: map size new_size count pos ok when lock mode name; "
		       "values: argN ret const:N TYPE@OFFSET FIELD, a|b for size and new_size; "
		       "ok=ret==N; when=(A+1)*17>=B*16|A<B&B>8)";
	return err;
}

/* Parse profile text; @origin names it in messages. */
static int parse_text(struct profile_set *ps, const char *text, const char *origin)
{
	char *copy = strdup(text), *save = NULL, *line;
	struct profile *p = NULL;
	const char *why = NULL;
	char bad[160] = "";
	int lineno = 0, err = 0;

	if (!copy)
		return -ENOMEM;
	for (line = strtok_r(copy, "\n", &save); line && !err; line = strtok_r(NULL, "\n", &save)) {
		char *w[MAX_FIELDS + 4];
		int n;

		lineno++;
		line[strcspn(line, "#")] = '\0';
		n = words(line, w, MAX_FIELDS + 4);
		if (n == 0)
			continue;
		if (n < 0) {
			why = "too many words on the line";
			err = -EINVAL;
			break;
		}
		if (!strcmp(w[0], "profile")) {
			struct profile *old = n == 2 ? find_profile(ps, w[1]) : NULL;

			if (n != 2) {
				why = "want: profile NAME";
				err = -EINVAL;
			} else if (old && strcmp(old->origin, "built-in")) {
				why = "a profile of that name exists already";
				err = -EINVAL;
			} else if (old) {
				/*
				 * the user's profile of a built-in's name replaces it
				 * (another version)
				 */
				memset(old, 0, sizeof(*old));
				snprintf(old->name, sizeof(old->name), "%s", w[1]);
				snprintf(old->origin, sizeof(old->origin), "%s", origin);
				p = old;
			} else if (!(p = add_profile(ps, w[1], origin))) {
				err = -ENOMEM;
			}
			continue;
		}
		if (!p) {
			why = "the file must start with 'profile NAME'";
			err = -EINVAL;
			break;
		}
		if (!strcmp(w[0], "object")) {
			for (int i = 1; i < n && p->nobjects < MAX_OBJECTS; i++)
				snprintf(p->objects[p->nobjects++], NAME_LEN, "%s", w[i]);
		} else if (!strcmp(w[0], "require")) {
			for (int i = 1; i < n && p->nrequire < MAX_REQUIRE; i++)
				snprintf(p->require[p->nrequire++], NAME_LEN, "%s", w[i]);
		} else if (!strcmp(w[0], "version")) {
			if (n >= 3 && n <= 5 && !strcmp(w[1], "symbols")) {
				p->version_kind = VERSION_SYMBOLS;
				for (int i = 2; i < n; i++)
					snprintf(p->version_syms[p->nversion_syms++], NAME_LEN,
						 "%s", w[i]);
			} else if (n == 3 && !strcmp(w[1], "retconst")) {
				p->version_kind = VERSION_RETCONST;
				snprintf(p->version_syms[0], NAME_LEN, "%s", w[2]);
				p->nversion_syms = 1;
			} else if (n == 2 && !strcmp(w[1], "soname")) {
				p->version_kind = VERSION_SONAME;
			} else if (n == 2 && !strcmp(w[1], "build-id")) {
				p->version_kind = VERSION_BUILD_ID;
			} else {
				why = "want: version symbols SYM [SYM [SYM]] | retconst SYM | "
				      "soname | build-id";
				err = -EINVAL;
			}
		} else if (!strcmp(w[0], "fields")) {
			err = parse_fields(p, w, n, &why);
		} else if (!strcmp(w[0], "probe")) {
			err = parse_probe(p, w, n, lineno, &why);
			if (!err)
				err = check_probe_syntax(p, &p->probes[p->nprobes - 1], &why, bad,
							 sizeof(bad));
		} else {
			why = "unknown directive; directives: profile object require version "
			      "fields probe";
			err = -EINVAL;
		}
	}
	if (!err && p && (!p->nobjects || !p->nprobes)) {
		why = "a profile needs an 'object' line and at least one 'probe'";
		err = -EINVAL;
	}
	if (err == -EINVAL)
		fprintf(stderr, "maptrace: %s line %d: %s%s%s%s\n", origin, lineno, why,
			bad[0] ? " (at '" : "", bad, bad[0] ? "')" : "");
	if (!err && !p) {
		fprintf(stderr,
			"maptrace: --profile %s: only comments and blank lines; a profile starts "
			"with 'profile NAME' (docs/profiles.md)\n",
			origin);
		err = -EINVAL;
	}
	free(copy);
	return err;
}

/*
 * --probe ROLE:OBJECT:SYMBOL[:KEY=VALUE,...]: one probe of a profile named after OBJECT
 * (all --probe options for one object share it).
 */
static int parse_probe_opt(struct profile_set *ps, const char *opt)
{
	char buf[768], *f[4] = {}, *save = NULL, line[900];
	struct profile *p;
	const char *why;
	char bad[160] = "";
	int n = 0, role, err;

	snprintf(buf, sizeof(buf), "%s", opt);
	for (char *t = strtok_r(buf, ":", &save); t && n < 4;
	     t = n < 3 ? strtok_r(NULL, ":", &save) : strtok_r(NULL, "", &save))
		f[n++] = t;
	role = n >= 3 ? role_parse(f[0]) : -1;
	if (n < 3 || role < 0) {
		fprintf(stderr,
			"maptrace: --probe '%s': want ROLE:OBJECT:SYMBOL[:KEY=VALUE,...], e.g. "
			"grow:libfoo.so:foo_resize:map=arg0,new_size=arg1 (see docs/profiles.md)\n",
			opt);
		return -EINVAL;
	}
	p = find_profile(ps, f[1]);
	if (p && strcmp(p->origin, "--probe")) {
		fprintf(stderr,
			"maptrace: --probe '%s': '%s' is the name of a %s profile; name the object "
			"by its file name\n",
			opt, f[1], p->origin);
		return -EINVAL;
	}
	if (!p) {
		p = add_profile(ps, f[1], "--probe");
		if (!p)
			return -ENOMEM;
		snprintf(p->objects[p->nobjects++], NAME_LEN, "%s", f[1]);
	}
	snprintf(line, sizeof(line), "probe %s %s %s", f[0], f[2], f[3] ? f[3] : "");
	{
		char *w[MAX_FIELDS + 4];
		int nw = words(line, w, MAX_FIELDS + 4);

		err = nw < 0 ? -EINVAL : parse_probe(p, w, nw, 0, &why);
	}
	if (!err)
		err = check_probe_syntax(p, &p->probes[p->nprobes - 1], &why, bad, sizeof(bad));
	if (err)
		fprintf(stderr, "maptrace: --probe '%s': %s%s%s%s\n", opt, why ? why : "invalid",
			bad[0] ? " (at '" : "", bad, bad[0] ? "')" : "");
	return err;
}

/* The text of --profile @path: a regular file of at most PROFILE_MAX_BYTES, not empty. */
static int read_profile(const char *path, char **out)
{
	char why[160];
	size_t len;
	int err = readfile__all(path, PROFILE_MAX_BYTES, out, &len, why, sizeof(why));

	switch (err) {
	case 0:
	case -ENOMEM: /* said once, by the caller */
		break;
	case -EISDIR:
	case -EINVAL:
	case -ENODATA:
		fprintf(stderr,
			"maptrace: --profile %s: %s; give a profile file (docs/profiles.md)\n",
			path, why);
		break;
	case -EFBIG:
		fprintf(stderr,
			"maptrace: --profile %s: %s; a profile file is at most %d MiB "
			"(docs/profiles.md)\n",
			path, why, PROFILE_MAX_BYTES >> 20);
		break;
	default:
		fprintf(stderr, "maptrace: --profile %s: %s\n", path, why);
		break;
	}
	return err;
}

int profile_set__new(const char *const *files, int nfiles, const char *const *probes, int nprobes,
		     struct profile_set **out)
{
	struct profile_set *ps = calloc(1, sizeof(*ps));
	size_t len;
	int err;

	*out = NULL;
	if (!ps)
		return -ENOMEM;
	err = parse_text(ps, builtin_glib, "built-in profile glib");
	if (!err)
		err = parse_text(ps, builtin_redis, "built-in profile redis");
	for (int i = 0; !err && i < nfiles; i++) {
		char *text = NULL;

		err = read_profile(files[i], &text);
		if (!err) {
			err = parse_text(ps, text, files[i]);
			free(text);
		}
	}
	for (int i = 0; !err && i < nprobes; i++)
		err = parse_probe_opt(ps, probes[i]);
	if (err == -ENOMEM)
		fprintf(stderr, "maptrace: out of memory reading the probe profiles\n");
	if (err) {
		profile_set__free(ps);
		return err;
	}
	len = (size_t)snprintf(ps->libraries, sizeof(ps->libraries), "cmap");
	for (int i = 0; i < ps->n && len < sizeof(ps->libraries); i++)
		len += (size_t)snprintf(ps->libraries + len, sizeof(ps->libraries) - len, ",%s",
					ps->p[i]->name);
	*out = ps;
	return 0;
}

void profile_set__free(struct profile_set *ps)
{
	if (!ps)
		return;
	for (int i = 0; i < ps->n; i++)
		free(ps->p[i]);
	free(ps);
}

const char *profile_set__libraries(const struct profile_set *ps)
{
	return ps->libraries;
}
