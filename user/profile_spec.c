// SPDX-License-Identifier: MIT
/*
 * Probe profiles, one probe's KEY=VALUE list (docs/profiles.md) into a struct mt_probe_spec:
 * where the map, the sizes and the lock are, what the call must return, when its return must
 * be seen.  profile_parse.c checks a probe's syntax with it as it reads the probe;
 * profile_plan.c makes the spec once a library's version, and so its field names, is known.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "profile_int.h"
#include "util.h"

int field__parse(const char *s, struct mt_src *src)
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
		return field__parse(s, src);
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
