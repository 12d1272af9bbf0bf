// SPDX-License-Identifier: MIT
/*
 * Probe profiles, one probe's KEY=VALUE list (docs/profiles.md) into a struct mt_probe_spec:
 * where the map, the sizes and the lock are, what the call must return, when its return must
 * be seen.  profile_parse.c checks a probe's syntax with it as it reads the probe;
 * profile_plan.c makes the spec once a library's version, and so its field names, is known.
 * A refusal says what is wrong and where, the way an operator would fix it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "profile_int.h"
#include "util.h"

#define KEYS                                                                                        \
	"keys: map size (old_size) new_size count depth pos ok when lock mode name type if unless " \
	"base timed join attach from not_from goid hint"

/*
 * Keep the worst of a probe's errors in *@worst and its message @msg in @why: a mistake
 * outweighs a field this version's set lacks (another version's may have it), and the first
 * of each kind is the one told.  Return: true for a mistake, where parsing stops.
 */
static bool fold_err(int err, const char *msg, int *worst, char *why, size_t whylen)
{
	if (!err || (err == -ENOENT && *worst))
		return false;
	snprintf(why, whylen, "%s", msg);
	*worst = err;
	return err != -ENOENT;
}

/* "a|b": a source and the one used when it reads 0. */
static int parse_src2(const char *s, const struct fieldset *fs, const struct mt_src *base,
		      struct mt_src *a, struct mt_src *b, char *why, size_t whylen)
{
	char buf[ARGS_LEN], msg[PROFILE_WHY_LEN];
	char *bar;
	int worst = 0;

	snprintf(buf, sizeof(buf), "%s", s);
	bar = strchr(buf, '|');
	memset(b, 0, sizeof(*b));
	if (bar)
		*bar = '\0';
	if (fold_err(src__parse(buf, fs, base, a, msg, sizeof(msg)), msg, &worst, why, whylen))
		return worst;
	if (bar)
		fold_err(src__parse(bar + 1, fs, base, b, msg, sizeof(msg)), msg, &worst, why, whylen);
	return worst;
}

/*
 * An integer of a guard, from @s to its end: @what names its role in the message, and the
 * range is [@min, @max].
 */
static int parse_int(const char *s, long min, long max, const char *what, long *v, char *why,
		     size_t whylen)
{
	char *end;

	errno = 0;
	*v = strtol(s, &end, 0);
	if (*end || end == s) {
		snprintf(why, whylen, "'%s' is not a number (%s)", s, what);
		return -EINVAL;
	}
	if (errno || *v < min || *v > max) {
		snprintf(why, whylen, "%s is out of range (%s is %ld..%ld)", s, what, min, max);
		return -EINVAL;
	}
	return 0;
}

/*
 * One side of a guard comparison: "NAME", "NAME*4", "(NAME+1)*17", "(NAME-1)", or an integer.
 * NAME is any value source (src__parse).
 */
static int parse_side(const char *s, const struct fieldset *fs, const struct mt_src *base,
		      struct mt_src *src, __s32 *add, __u32 *mul, char *why, size_t whylen)
{
	char buf[ARGS_LEN], *star;
	long v;
	int err;

	*add = 0;
	*mul = 1;
	memset(src, 0, sizeof(*src));
	snprintf(buf, sizeof(buf), "%s", s);
	if ((buf[0] >= '0' && buf[0] <= '9') || buf[0] == '-') {
		err = parse_int(buf, -0x7fffffffL, 0x7fffffffL, "a constant", &v, why, whylen);
		*add = (__s32)v; /* a constant is 0 + v */
		return err;
	}
	star = strrchr(buf, '*');
	if (star && (!strchr(buf, ')') || star > strchr(buf, ')'))) {
		err = parse_int(star + 1, 1, 0xffff, "a factor", &v, why, whylen);
		if (err)
			return err;
		*mul = (__u32)v;
		*star = '\0';
	}
	if (buf[0] == '(') {
		char *close = strrchr(buf, ')'), *op;

		if (!close || close[1]) {
			snprintf(why, whylen, "'%s' is not (NAME+N) or (NAME-N)", s);
			return -EINVAL;
		}
		*close = '\0';
		memmove(buf, buf + 1, strlen(buf));
		op = strpbrk(buf, "+-");
		if (op) {
			err = parse_int(op + 1, 0, 0xffff, "an addend", &v, why, whylen);
			if (err)
				return err;
			*add = (__s32)(*op == '-' ? -v : v);
			*op = '\0';
		}
	}
	return src__parse(buf, fs, base, src, why, whylen);
}

/* "when=(noccupied+1)*17>=size*16|(nnodes-1)*4<size&size>8": an OR of ANDs. */
static int parse_when(const char *s, const struct fieldset *fs, const struct mt_src *base,
		      struct mt_probe_spec *sp, char *why, size_t whylen)
{
	static const struct {
		const char *op;
		int cmp;
	} ops[] = {{">=", MT_CMP_GE}, {"<=", MT_CMP_LE}, {"==", MT_CMP_EQ},
		   {"!=", MT_CMP_NE}, {">", MT_CMP_GT},	 {"<", MT_CMP_LT}};
	char buf[ARGS_LEN], *save = NULL, *term, msg[PROFILE_WHY_LEN];
	int worst = 0;

	snprintf(buf, sizeof(buf), "%s", s);
	sp->nwhen = 0;
	for (term = strtok_r(buf, "|&", &save); term; term = strtok_r(NULL, "|&", &save)) {
		/* the separator that ended this term says how it joins the next */
		char sep = s[term - buf + strlen(term)];
		struct mt_guard *g;
		char *at = NULL;
		size_t k;

		if (sp->nwhen == MT_MAX_GUARDS) {
			snprintf(why, whylen, "more than %d comparisons", MT_MAX_GUARDS);
			return -EINVAL;
		}
		g = &sp->when[sp->nwhen];
		memset(g, 0, sizeof(*g));
		for (k = 0; k < ARRAY_SIZE(ops); k++) {
			at = strstr(term, ops[k].op);
			if (at)
				break;
		}
		if (!at) {
			snprintf(why, whylen,
				 "'%s' is not a comparison A<B, A<=B, A>B, A>=B, A==B or A!=B",
				 term);
			return -EINVAL;
		}
		g->cmp = (__u8)ops[k].cmp;
		*at = '\0';
		at += strlen(ops[k].op);
		if (fold_err(parse_side(term, fs, base, &g->a, &g->a_add, &g->a_mul, msg, sizeof(msg)),
			     msg, &worst, why, whylen) ||
		    fold_err(parse_side(at, fs, base, &g->b, &g->b_add, &g->b_mul, msg, sizeof(msg)), msg,
			     &worst, why, whylen))
			return worst;
		g->and_next = sep == '&';
		sp->nwhen++;
	}
	if (!sp->nwhen) {
		snprintf(why, whylen, "no comparison, e.g. when=(A+1)*17>=B*16|A<B&B>8");
		return -EINVAL;
	}
	return worst;
}

/* "ok=ret==0" or "ok=ret!=-1". */
static int parse_ok(const char *s, struct mt_probe_spec *sp, char *why, size_t whylen)
{
	char *end;

	if (strncmp(s, "ret", 3) || (strncmp(s + 3, "==", 2) && strncmp(s + 3, "!=", 2))) {
		snprintf(why, whylen, "'%s' is not ret==N or ret!=N", s);
		return -EINVAL;
	}
	errno = 0;
	sp->ret_val = strtoll(s + 5, &end, 0);
	if (*end || end == s + 5) {
		snprintf(why, whylen, "'%s' is not a number", s + 5);
		return -EINVAL;
	}
	if (errno) {
		snprintf(why, whylen, "%s is out of range (a 64-bit integer)", s + 5);
		return -EINVAL;
	}
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

enum pkey {
	K_MAP,
	K_SIZE,
	K_NEW_SIZE,
	K_COUNT,
	K_POS,
	K_OK,
	K_WHEN,
	K_LOCK,
	K_NAME,
	K_MODE,
	K_IF,
	K_UNLESS,
	K_BASE,
	K_TIMED,
	K_ATTACH,
	K_FROM,
	K_NOT_FROM,
	K_JOIN,
	K_GOID,
	K_TYPE,
	K_DEPTH,
	K_HINT,
	K_MAX
};

static const struct {
	const char *name;
	enum pkey key;
} pkeys[] = {
	{"map", K_MAP},	    {"size", K_SIZE}, {"old_size", K_SIZE}, {"new_size", K_NEW_SIZE},
	{"count", K_COUNT}, {"pos", K_POS},   {"ok", K_OK},	    {"when", K_WHEN},
	{"lock", K_LOCK},   {"name", K_NAME}, {"mode", K_MODE},   {"if", K_IF},
	{"unless", K_UNLESS}, {"base", K_BASE}, {"timed", K_TIMED}, {"join", K_JOIN},
	{"attach", K_ATTACH}, {"from", K_FROM}, {"not_from", K_NOT_FROM}, {"goid", K_GOID},
	{"type", K_TYPE},
	{"depth", K_DEPTH}, {"hint", K_HINT},
};

/*
 * One KEY=VALUE into @sp; @seen holds the spelling each key was first given in, @base the
 * probe's base= (kind MT_SRC_NONE until given).
 */
static int parse_kv(const char *kv, const struct fieldset *fs, struct mt_probe_spec *sp,
		    const char **seen, struct mt_src *base, char *why, size_t whylen)
{
	const char *eq = strchr(kv, '='), *val;
	const struct mt_src *b = base->kind != MT_SRC_NONE ? base : NULL;
	size_t i;
	int err;

	if (!eq) {
		snprintf(why, whylen, "not KEY=VALUE; " KEYS);
		return -EINVAL;
	}
	val = eq + 1;
	for (i = 0; i < ARRAY_SIZE(pkeys); i++)
		if (strlen(pkeys[i].name) == (size_t)(eq - kv) &&
		    !strncmp(kv, pkeys[i].name, eq - kv))
			break;
	if (i == ARRAY_SIZE(pkeys)) {
		snprintf(why, whylen, "%.*s is not a key; " KEYS, (int)(eq - kv), kv);
		return -EINVAL;
	}
	if (seen[pkeys[i].key]) {
		snprintf(why, whylen, "%s= given twice", pkeys[i].name);
		if (strcmp(seen[pkeys[i].key], pkeys[i].name))
			snprintf(why, whylen, "%s= given twice (first as %s=)", pkeys[i].name,
				 seen[pkeys[i].key]);
		return -EINVAL;
	}
	seen[pkeys[i].key] = pkeys[i].name;
	switch (pkeys[i].key) {
	case K_MAP:
		return src__parse(val, fs, b, &sp->map, why, whylen);
	case K_SIZE:
		return parse_src2(val, fs, b, &sp->size, &sp->size_alt, why, whylen);
	case K_NEW_SIZE:
		return parse_src2(val, fs, b, &sp->new_size, &sp->new_size_alt, why, whylen);
	case K_COUNT:
		return src__parse(val, fs, b, &sp->count, why, whylen);
	case K_POS:
		return src__parse(val, fs, b, &sp->pos, why, whylen);
	case K_OK:
		return parse_ok(val, sp, why, whylen);
	case K_WHEN:
		return parse_when(val, fs, b, sp, why, whylen);
	case K_LOCK:
		return src__parse(val, fs, b, &sp->lock, why, whylen);
	case K_NAME:
		return src__parse(val, fs, b, &sp->name, why, whylen);
	case K_GOID:
		/*
		 * a field this version's set lacks: no goroutine id (0), never a wrong one;
		 * pprobe__goid_check() refuses a name no field set defines
		 */
		err = src__parse(val, fs, b, &sp->goid, why, whylen);
		if (err == -ENOENT)
			memset(&sp->goid, 0, sizeof(sp->goid));
		return err == -ENOENT ? 0 : err;
	case K_TYPE:
		/* a Go map's type descriptor: read at entry, named by user space (gotype.c) */
		return src__parse(val, fs, b, &sp->type, why, whylen);
	case K_DEPTH:
		return src__parse(val, fs, b, &sp->depth, why, whylen);
	case K_HINT:
		/* the size hint a map was made with: Go's, spilled by NewMap (TYPE@(fp)+OFFSET) */
		return src__parse(val, fs, b, &sp->hint, why, whylen);
	case K_MODE:
		if (strcmp(val, "read") && strcmp(val, "write")) {
			snprintf(why, whylen, "mode= is read or write");
			return -EINVAL;
		}
		/* a read or write lock is one side of an rwlock */
		sp->lock_mode = !strcmp(val, "read") ? MT_MODE_READ : MT_MODE_WRITE;
		sp->lock_kind = 1;
		return 0;
	case K_IF:
	case K_UNLESS:
		/* whether the probe is planned at all: pprobe__cond() */
		if (val[0] != '@' || !val[1] || (seen[K_IF] && seen[K_UNLESS])) {
			snprintf(why, whylen, "%s",
				 val[0] != '@' || !val[1] ? "if= and unless= name a located "
							    "function, e.g. @glib_resize"
							  : "if= and unless= together");
			return -EINVAL;
		}
		return 0;
	case K_BASE:
		/* an address later values are relative to: base=arg0-32 size=u64@(base+8) */
		err = src__argexpr(val, NULL, base, why, whylen);
		if (err > 0) {
			snprintf(why, whylen, "base= is an argument plus or minus an offset "
				 "(argN+K, argN-K, goargN+K), not '%s'", val);
			return -EINVAL;
		}
		return err;
	case K_TIMED:
		if (strcmp(val, "no")) {
			snprintf(why, whylen, "timed= is no (the span to grow_end is not the "
				 "resize's duration); without it grow_begin..grow_end is timed");
			return -EINVAL;
		}
		sp->flags |= MT_SPEC_UNTIMED;
		return 0;
	case K_JOIN:
		if (strcmp(val, "untimed")) {
			snprintf(why, whylen,
				 "join= is untimed (time only the resize an untimed "
				 "grow_begin just reported for the map, and report no other)");
			return -EINVAL;
		}
		sp->flags |= MT_SPEC_JOIN;
		return 0;
	case K_FROM:
	case K_NOT_FROM: {
		/* the functions are found per module: pprobe__from() */
		const char *bar = strchr(val, '|');

		if (!*val || (bar && (bar == val || !bar[1] || strchr(bar + 1, '|'))) ||
		    strlen(val) >= NAME_LEN || (seen[K_FROM] && seen[K_NOT_FROM])) {
			snprintf(why, whylen, "%s",
				 seen[K_FROM] && seen[K_NOT_FROM]
					 ? "from= and not_from= together"
					 : "from= and not_from= name one function or two, F|G");
			return -EINVAL;
		}
		if (pkeys[i].key == K_NOT_FROM)
			sp->flags |= MT_SPEC_NOT_FROM;
		return 0;
	}
	case K_ATTACH:
		/* when the probe attaches: pprobe__detail(), pprobe__nodetail() */
		if (strcmp(val, "detail") && strcmp(val, "default")) {
			snprintf(why, whylen, "attach= is detail (the probe attaches only with "
					      "--detail) or default (only without)");
			return -EINVAL;
		}
		return 0;
	default:
		return -EINVAL;
	}
}

/* Is @src an argument, or at one: readable only at the function's entry? */
static bool entry_only(const struct mt_src *src)
{
	return src->kind == MT_SRC_ARG || src->kind == MT_SRC_GOARG ||
	       src->kind == MT_SRC_ARG_FIELD;
}

/* What @pp's role needs of @sp, and whether it must see the call return. */
static int check_role(int role, struct mt_probe_spec *sp, bool *need_return, char *why,
		      size_t whylen)
{
	const char *name = mt_role_name(role);

	*need_return = false;
	if (sp->map.kind == MT_SRC_NONE && role != MT_ROLE_GROW_END && role != MT_ROLE_LOCK &&
	    role != MT_ROLE_LOCK_END) {
		snprintf(why, whylen, "%s needs map=, where the map pointer is (e.g. map=arg0)",
			 name);
		return -EINVAL;
	}
	if (sp->map.kind == MT_SRC_RET && role != MT_ROLE_CREATE) {
		snprintf(why, whylen,
			 "map=ret is for create only; other roles find the map in an argument "
			 "(map=arg0)");
		return -EINVAL;
	}
	if ((sp->flags & MT_SPEC_UNTIMED) && role != MT_ROLE_GROW_BEGIN) {
		snprintf(why, whylen, "timed= is for grow_begin only");
		return -EINVAL;
	}
	if ((sp->flags & MT_SPEC_JOIN) &&
	    (role != MT_ROLE_GROW_BEGIN || (sp->flags & MT_SPEC_UNTIMED))) {
		snprintf(why, whylen, "join= is for a timed grow_begin only");
		return -EINVAL;
	}
	if (sp->type.kind != MT_SRC_NONE && role != MT_ROLE_RESIZE && role != MT_ROLE_GROW_BEGIN) {
		snprintf(why, whylen, "type= is for resize and grow_begin only (the map's type, "
			 "reported with each resize)");
		return -EINVAL;
	}
	if (sp->hint.kind != MT_SRC_NONE && role != MT_ROLE_CREATE) {
		snprintf(why, whylen, "hint= is for create only (the size hint a map was made with)");
		return -EINVAL;
	}
	switch (role) {
	case MT_ROLE_INSERT:
	case MT_ROLE_DELETE:
	case MT_ROLE_LOOKUP:
		*need_return = sp->size.kind != MT_SRC_NONE;
		if (sp->size.kind == MT_SRC_ARG_FIELD) {
			snprintf(why, whylen, "%s's size= is read again at the return, where the "
				 "arguments are gone: give a field of the map (TYPE@OFFSET)", name);
			return -EINVAL;
		}
		if (sp->nwhen && !*need_return) {
			snprintf(why, whylen, "when= needs size=, the size it guards");
			return -EINVAL;
		}
		break;
	case MT_ROLE_CREATE:
		*need_return = sp->map.kind == MT_SRC_RET || sp->size.kind == MT_SRC_FIELD;
		if (*need_return && sp->hint.kind != MT_SRC_NONE) {
			snprintf(why, whylen, "hint= is read at the probed instruction, where map= "
				 "must be too: not with map=ret or a size= field (read at a return)");
			return -EINVAL;
		}
		break;
	case MT_ROLE_RESIZE:
		if (sp->new_size.kind == MT_SRC_NONE) {
			snprintf(why, whylen,
				 "%s (grow) needs new_size=, the size it moves to: an argument "
				 "(new_size=arg1), a field read at return, or ret",
				 name);
			return -EINVAL;
		}
		/* a new size known at entry (an argument, a field at one, a constant) needs no return */
		*need_return = (sp->new_size.kind != MT_SRC_ARG && sp->new_size.kind != MT_SRC_GOARG &&
				sp->new_size.kind != MT_SRC_ARG_FIELD &&
				sp->new_size.kind != MT_SRC_CONST) ||
			       sp->ret_cond != MT_RET_ANY;
		break;
	case MT_ROLE_GROW_BEGIN:
		/* ret: the return value at grow_end (a ret instruction, or after a call) */
		break;
	case MT_ROLE_LOCK:
		if (sp->lock.kind != MT_SRC_ARG && sp->lock.kind != MT_SRC_GOARG &&
		    sp->lock.kind != MT_SRC_ARG_FIELD) {
			snprintf(why, whylen, "lock needs lock=, an argument or an address in one "
					      "(e.g. lock=arg0, lock=arg0+40, or goarg0 in Go code)");
			return -EINVAL;
		}
		if (!sp->lock_kind)
			sp->lock_mode = MT_MODE_WRITE;
		*need_return = true;
		break;
	case MT_ROLE_REHASH_STEP:
		if (sp->pos.kind != MT_SRC_FIELD || sp->size.kind == MT_SRC_NONE) {
			snprintf(why, whylen, "rehash_step needs pos= (a field) and size=");
			return -EINVAL;
		}
		*need_return = true;
		break;
	default:
		break;
	}
	if (sp->goid.kind != MT_SRC_NONE &&
	    (role != MT_ROLE_LOCK_END || sp->goid.kind != MT_SRC_ARG_FIELD ||
	     !(sp->goid.flags & MT_SRC_GBASE))) {
		snprintf(why, whylen, "goid= is for lock_end, and a field of the goroutine's g "
			 "(TYPE@(g)+OFFSET, e.g. u64@(g)+152, or a field name)");
		return -EINVAL;
	}
	/* a resize's count= and name= are read where it ends, where the arguments are gone */
	if ((role == MT_ROLE_GROW_BEGIN || (role == MT_ROLE_RESIZE && *need_return)) &&
	    (entry_only(&sp->count) || entry_only(&sp->name) || entry_only(&sp->depth))) {
		snprintf(why, whylen, "%s's %s= is read where the resize ends, where the arguments "
			 "are gone: give a field of the map (TYPE@OFFSET or a field name)", name,
			 entry_only(&sp->count) ? "count" : entry_only(&sp->name) ? "name" : "depth");
		return -EINVAL;
	}
	if (sp->depth.kind != MT_SRC_NONE &&
	    ((role != MT_ROLE_GROW_BEGIN && role != MT_ROLE_RESIZE) || sp->depth.kind != MT_SRC_FIELD)) {
		snprintf(why, whylen, "depth= is a field of the map (TYPE@OFFSET), for resize and "
			 "grow_begin only");
		return -EINVAL;
	}
	return 0;
}

bool pprobe__nodetail(const struct pprobe *pp)
{
	char buf[ARGS_LEN], *save = NULL, *kv;

	snprintf(buf, sizeof(buf), "%s", pp->args);
	for (kv = strtok_r(buf, " \t,", &save); kv; kv = strtok_r(NULL, " \t,", &save))
		if (!strcmp(kv, "attach=default"))
			return true;
	return false;
}

int pprobe__spec(const struct pprobe *pp, const struct fieldset *fs, struct mt_probe_spec *sp,
		 char *why, size_t whylen)
{
	char buf[ARGS_LEN], *save = NULL, *kv, problem[PROFILE_WHY_LEN];
	char msg[ARGS_LEN + PROFILE_WHY_LEN + 8];
	const char *seen[K_MAX] = {NULL};
	struct mt_src base = {0};
	bool need_return;
	int err, worst = 0;

	memset(sp, 0, sizeof(*sp));
	sp->role = (__u32)pp->role;
	snprintf(why, whylen, "%s", "");
	snprintf(buf, sizeof(buf), "%s", pp->args);
	for (kv = strtok_r(buf, " \t,", &save); kv; kv = strtok_r(NULL, " \t,", &save)) {
		err = parse_kv(kv, fs, sp, seen, &base, problem, sizeof(problem));
		if (err)
			snprintf(msg, sizeof(msg), "at '%s': %s", kv, problem);
		if (fold_err(err, msg, &worst, why, whylen))
			return worst;
	}
	if (worst)
		return worst;
	err = check_role(pp->role, sp, &need_return, problem, sizeof(problem));
	if (err) {
		/* what was typed, so the fix is plain: "resize needs new_size= ... (given: ...)" */
		snprintf(why, whylen, "%s (given: '%s')", problem, pp->args[0] ? pp->args : "");
		return err;
	}
	sp->flags = (sp->flags & (MT_SPEC_UNTIMED | MT_SPEC_JOIN | MT_SPEC_NOT_FROM)) |
		    (need_return ? MT_SPEC_RETURN : 0);
	snapshot_plan(sp);
	return 0;
}

/* A source a 'read' line may use: a struct field (nothing else can be read at a sync). */
static int read_field(const char *kv, const char *s, const struct fieldset *fs,
		      struct mt_src *src, char *why, size_t whylen)
{
	char problem[PROFILE_WHY_LEN];
	int err = src__parse(s, fs, NULL, src, problem, sizeof(problem));

	if (!err && src->kind != MT_SRC_FIELD) {
		snprintf(problem, sizeof(problem),
			 "a read is of the map's own fields (TYPE@OFFSET or a field name), not "
			 "arguments, ret or constants");
		err = -EINVAL;
	}
	if (err)
		snprintf(why, whylen, "at '%s': %s", kv, problem);
	return err;
}

int pread__spec(const char *args, const struct fieldset *fs, struct plan_read *rd, char *why,
		size_t whylen)
{
	static const char *const keys[] = {"count", "pos", "size", "evac", "same", "check"};
	char buf[ARGS_LEN], *save = NULL, *kv, msg[ARGS_LEN + PROFILE_WHY_LEN + 8];
	bool seen[ARRAY_SIZE(keys)] = {false};
	int worst = 0;

	memset(rd, 0, sizeof(*rd));
	snprintf(why, whylen, "%s", "");
	snprintf(buf, sizeof(buf), "%s", args);
	for (kv = strtok_r(buf, " \t,", &save); kv; kv = strtok_r(NULL, " \t,", &save)) {
		struct mt_src *one[] = {&rd->count[0], &rd->pos, &rd->size, &rd->evac, &rd->same,
				       &rd->check};
		struct mt_src *two[] = {&rd->count[1], NULL, &rd->size_alt, NULL, NULL, NULL};
		char val[ARGS_LEN], *sep = NULL;
		const char *eq = strchr(kv, '=');
		size_t k;
		int err;

		if (!strcmp(kv, "at=exit")) {
			rd->exit_only = true;
			continue;
		}
		if (!strncmp(kv, "max_load=", 9)) {
			long v;

			if (rd->max_load) {
				snprintf(why, whylen, "at '%s': max_load= given twice", kv);
				return -EINVAL;
			}
			err = parse_int(kv + 9, 1, 1000000, "max_load, entries per unit of size",
					&v, msg, sizeof(msg));
			if (err) {
				snprintf(why, whylen, "at '%s': %s", kv, msg);
				return err;
			}
			rd->max_load = (__u32)v;
			continue;
		}

		for (k = 0; k < ARRAY_SIZE(keys); k++)
			if (eq && strlen(keys[k]) == (size_t)(eq - kv) &&
			    !strncmp(kv, keys[k], (size_t)(eq - kv)))
				break;
		if (k == ARRAY_SIZE(keys)) {
			snprintf(why, whylen,
				 "at '%s': a read is count=FIELD[+FIELD], pos=FIELD, "
				 "size=FIELD[|FIELD], evac=FIELD, same=FIELD&MASK, max_load=N, "
				 "check=FIELD or at=exit",
				 kv);
			return -EINVAL;
		}
		if (seen[k]) {
			snprintf(why, whylen, "at '%s': %s= given twice", kv, keys[k]);
			return -EINVAL;
		}
		seen[k] = true;
		snprintf(val, sizeof(val), "%s", eq + 1);
		if (k == 4) {
			/* same=FIELD&MASK: the bit of the field that says a same-size grow */
			long mask;

			sep = strchr(val, '&');
			err = sep ? parse_int(sep + 1, 1, 0x7fffffffL, "same='s mask", &mask, msg,
					      sizeof(msg))
				  : -EINVAL;
			if (!sep)
				snprintf(msg, sizeof(msg),
					 "want same=FIELD&MASK (go: same=flags&8)");
			if (err) {
				snprintf(why, whylen, "at '%s': %s", kv, msg);
				return err;
			}
			*sep = '\0';
			rd->same_mask = (__u64)mask;
			sep = NULL;
		} else if (two[k]) {
			sep = strchr(val, k == 0 ? '+' : '|');
		} else if (strpbrk(val, "+|")) {
			snprintf(why, whylen, "at '%s': %s= is one field", kv, keys[k]);
			return -EINVAL;
		}
		if (sep)
			*sep++ = '\0';
		err = read_field(kv, val, fs, one[k], msg, sizeof(msg));
		if (!err && sep)
			err = read_field(kv, sep, fs, two[k], msg, sizeof(msg));
		if (fold_err(err, msg, &worst, why, whylen))
			return worst;
	}
	if (!worst && seen[5] && !rd->max_load) {
		snprintf(why, whylen, "check= is a second reading of size= for max_load=: give both");
		return -EINVAL;
	}
	if (!worst && rd->max_load && (!seen[0] || !seen[2])) {
		snprintf(why, whylen, "max_load= compares count= with size=: give both");
		return -EINVAL;
	}
	/* evac= makes pos= a count of old buckets moved, of the size (or half of it) */
	if (!worst && (seen[3] || seen[4]) && (!seen[1] || !seen[2] || !seen[3])) {
		snprintf(why, whylen,
			 "%s needs pos= (old buckets evacuated) and size= (the table's "
			 "size now)%s",
			 seen[3] ? "evac=" : "same=", seen[3] ? "" : " and evac=");
		return -EINVAL;
	}
	if (!worst && !seen[0] && !seen[1] && !seen[2]) {
		snprintf(why, whylen, "want: read count=FIELD[+FIELD] pos=FIELD size=FIELD[|FIELD] "
				      "(at least one)");
		return -EINVAL;
	}
	return worst;
}
