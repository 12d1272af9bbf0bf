// SPDX-License-Identifier: MIT
/*
 * Probe profiles, a value's source (docs/profiles.md, "Values"): argN[+-K], goargN[+-K],
 * base[+-K], ret, const:N, TYPE@OFFSET of the map, TYPE@(ADDR)+OFFSET at an argument or of the
 * goroutine, or a field name of the version's set, into a struct mt_src.  profile_spec.c reads
 * a probe's keys with it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "profile_int.h"
#include "util.h"

/*
 * The parsers below say what is wrong in @why ("arg9 is not an argument: ..."), and return
 * -EINVAL for a mistake, -ENOENT for a name no field set defines (another version's may).
 */
#define VALUES                                                                                      \
	"values: argN (N 0..5), goargN (N 0..8), either +K or -K, base[+-K], ret, const:N, "         \
	"TYPE@OFFSET (of the map), TYPE@(argN+K)+OFFSET (at an argument), TYPE@(g)+OFFSET (of "      \
	"the goroutine), TYPE@(fp)+OFFSET (at the frame pointer), a field name"
#define TYPES	   "types: u8 s8 u16 s16 u32 s32 u64 s64, optionally log2:TYPE"
#define NAME_CHARS "_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
#define DIGITS	   "0123456789"

static int parse_argfield(const char *s, const struct mt_src *base, struct mt_src *src, char *why,
			  size_t whylen);

int field__parse(const char *s, struct mt_src *src, char *why, size_t whylen)
{
	static const struct {
		const char *name;
		int width;
		bool sign;
	} types[] = {{"u8", 1, false},	{"s8", 1, true},  {"u16", 2, false}, {"s16", 2, true},
		     {"u32", 4, false}, {"s32", 4, true}, {"u64", 8, false}, {"s64", 8, true}};
	const char *at = strchr(s, '@');
	bool log2 = !strncmp(s, "log2:", 5);
	char type[16], *end;
	unsigned long off;
	size_t i;

	/* a field of the goroutine's g (Go's g.goid), the one kind not of the map */
	if (strstr(s, "@(")) {
		int err = parse_argfield(s, NULL, src, why, whylen);

		if (!err && !(src->flags & MT_SRC_GBASE)) {
			snprintf(why, whylen, "'%s': a field is of the map (TYPE@OFFSET) or of the "
				 "goroutine (TYPE@(g)+OFFSET)", s);
			err = -EINVAL;
		}
		return err;
	}
	if (log2)
		s += 5;
	if (!at || (size_t)(at - s) >= sizeof(type)) {
		snprintf(why, whylen, "'%s' is not TYPE@OFFSET; " TYPES, s);
		return -EINVAL;
	}
	memcpy(type, s, at - s);
	type[at - s] = '\0';
	for (i = 0; i < ARRAY_SIZE(types) && strcmp(type, types[i].name); i++)
		;
	if (i == ARRAY_SIZE(types)) {
		snprintf(why, whylen, "'%s' is not a type; " TYPES, type);
		return -EINVAL;
	}
	errno = 0;
	off = strtoul(at + 1, &end, 0);
	if (*end || end == at + 1) {
		snprintf(why, whylen, "'%s' is not an offset (a number 0..65535)", at + 1);
		return -EINVAL;
	}
	if (errno || off > 65535) {
		snprintf(why, whylen, "offset %s is out of range (0..65535)", at + 1);
		return -EINVAL;
	}
	*src = (struct mt_src){.kind = MT_SRC_FIELD,
			       .width = (__u8)types[i].width,
			       .flags = (types[i].sign ? MT_SRC_SIGNED : 0) |
					(log2 ? MT_SRC_EXP2 : 0),
			       .off = (__u32)off};
	return 0;
}

/*
 * An address or value from an argument: "argN", "goargN" or "base" (the probe's base=), each
 * optionally "+K" or "-K".  Return: 0 and *@src (MT_SRC_ARG or MT_SRC_GOARG, @off the signed
 * addend); 1 when @s is none of these (another kind of value); -EINVAL for a mistake in one.
 */
int src__argexpr(const char *s, const struct mt_src *base, struct mt_src *src, char *why,
			 size_t whylen)
{
	size_t n = strspn(s, NAME_CHARS);
	char name[16], *end;
	long long k = 0;

	if (n == 0 || n >= sizeof(name))
		return 1;
	memcpy(name, s, n);
	name[n] = '\0';
	memset(src, 0, sizeof(*src));
	if (!strcmp(name, "base")) {
		if (!base) {
			snprintf(why, whylen, "'%s' uses base before base= is given; give "
				 "base=argN+K first", s);
			return -EINVAL;
		}
		*src = *base;
	} else if (!strncmp(name, "arg", 3) && name[3] >= '0' && name[3] <= '5' && !name[4]) {
		src->kind = MT_SRC_ARG;
		src->arg = (__u8)(name[3] - '0');
	} else if (!strncmp(name, "goarg", 5) && name[5] >= '0' && name[5] <= '8' && !name[6]) {
		src->kind = MT_SRC_GOARG;
		src->arg = (__u8)(name[5] - '0');
	} else if (!strcmp(name, "g")) {
		src->kind = MT_SRC_G; /* Go code's R14 */
	} else if (!strcmp(name, "fp")) {
		src->kind = MT_SRC_FP; /* the frame pointer: Go's argument spill slots at fp+16.. */
	} else {
		return 1;
	}
	if (!s[n])
		return 0;
	if (s[n] != '+' && s[n] != '-') {
		snprintf(why, whylen, "'%s' is not %s, %s+N or %s-N", s, name, name, name);
		return -EINVAL;
	}
	errno = 0;
	k = strtoll(s + n + 1, &end, 0);
	if (*end || end == s + n + 1 || s[n + 1] == '-' || s[n + 1] == '+') {
		snprintf(why, whylen, "'%s' is not %s%cN with N a number", s, name, s[n]);
		return -EINVAL;
	}
	k = s[n] == '-' ? -k : k;
	k += (__s32)src->off;
	if (errno || k < -0x7fffffffLL || k > 0x7fffffffLL) {
		snprintf(why, whylen, "'%s': the offset is out of range (-2147483647..2147483647)",
			 s);
		return -EINVAL;
	}
	src->off = (__u32)(__s32)k;
	return 0;
}

/*
 * "TYPE@(ADDR)", "TYPE@(ADDR)+N" or "TYPE@(ADDR)-N": a field at an argument's address plus
 * an offset, ADDR an argexpr ("u64@(arg0-32)+8" is 8 bytes at arg0-24).
 */
static int parse_argfield(const char *s, const struct mt_src *base, struct mt_src *src, char *why,
			  size_t whylen)
{
	const char *open = strstr(s, "@("), *close = strchr(s, ')');
	char type[32], addr[64], *end;
	struct mt_src a;
	long long k = 0;
	int err;

	if (!close || close < open || (size_t)(open - s) + 4 >= sizeof(type) ||
	    (size_t)(close - open - 2) >= sizeof(addr)) {
		snprintf(why, whylen, "'%s' is not TYPE@(argN+K)+OFFSET", s);
		return -EINVAL;
	}
	/* the type, with a dummy offset, checked by the map-field parser */
	snprintf(type, sizeof(type), "%.*s@0", (int)(open - s), s);
	err = field__parse(type, src, why, whylen);
	if (err)
		return err;
	snprintf(addr, sizeof(addr), "%.*s", (int)(close - open - 2), open + 2);
	err = src__argexpr(addr, base, &a, why, whylen);
	if (err > 0) {
		snprintf(why, whylen, "'%s': '(%s)' is not an argument's address; write (argN), "
			 "(argN+K), (argN-K), (goargN...), (base...), (g) or (fp)", s, addr);
		return -EINVAL;
	}
	if (err)
		return err;
	if (close[1]) {
		errno = 0;
		k = strtoll(close + 2, &end, 0);
		if ((close[1] != '+' && close[1] != '-') || *end || end == close + 2 ||
		    close[2] == '-' || close[2] == '+') {
			snprintf(why, whylen, "'%s' is not TYPE@(ADDR)+OFFSET: '%s' after the "
				 "parenthesis", s, close + 1);
			return -EINVAL;
		}
		k = close[1] == '-' ? -k : k;
	}
	k += (__s32)a.off;
	if (errno || k < -0x7fffffffLL || k > 0x7fffffffLL) {
		snprintf(why, whylen, "'%s': the offset is out of range (-2147483647..2147483647)",
			 s);
		return -EINVAL;
	}
	src->kind = MT_SRC_ARG_FIELD;
	src->arg = a.arg;
	src->flags |= a.kind == MT_SRC_GOARG ? MT_SRC_GOBASE
		      : a.kind == MT_SRC_G   ? MT_SRC_GBASE
		      : a.kind == MT_SRC_FP  ? MT_SRC_FPBASE
					     : 0;
	src->off = (__u32)(__s32)k;
	return 0;
}

/*
 * One value source: argN[+-K], goargN[+-K], base[+-K], ret, const:N, TYPE@OFFSET (of the map),
 * TYPE@(ADDR)+OFFSET (at an argument), or a field name of @fs.  @base is the probe's base=,
 * NULL before it is given.
 */
int src__parse(const char *s, const struct fieldset *fs, const struct mt_src *base,
	       struct mt_src *src, char *why, size_t whylen)
{
	unsigned long long v;
	char *end;
	int err;

	memset(src, 0, sizeof(*src));
	if (strstr(s, "@("))
		return parse_argfield(s, base, src, why, whylen);
	err = src__argexpr(s, base, src, why, whylen);
	if (err <= 0)
		return err;
	if (!strcmp(s, "ret")) {
		src->kind = MT_SRC_RET;
		return 0;
	}
	if (!strncmp(s, "const:", 6)) {
		errno = 0;
		v = strtoull(s + 6, &end, 0);
		if (*end || end == s + 6 || s[6] == '-') {
			snprintf(why, whylen, "'%s' is not a number (const:N, N 0..4294967295)",
				 s + 6);
			return -EINVAL;
		}
		if (errno || v > 0xffffffffULL) {
			snprintf(why, whylen, "%s is out of range (const:N, N 0..4294967295)",
				 s + 6);
			return -EINVAL;
		}
		src->kind = MT_SRC_CONST;
		src->off = (__u32)v;
		return 0;
	}
	if (strchr(s, '@'))
		return field__parse(s, src, why, whylen);
	if (!*s || s[strspn(s, NAME_CHARS)]) {
		snprintf(why, whylen, "'%s' is not a value; " VALUES, s);
		return -EINVAL;
	}
	for (int i = 0; fs && i < fs->n; i++) {
		if (!strcmp(fs->fields[i].name, s)) {
			*src = fs->fields[i].src;
			return 0;
		}
	}
	if (!strncmp(s, "arg", 3) && s[3] && !s[3 + strspn(s + 3, DIGITS)]) {
		snprintf(why, whylen, "%s is not an argument: they are arg0..arg5", s);
		return -EINVAL;
	}
	if (!strncmp(s, "goarg", 5) && s[5] && !s[5 + strspn(s + 5, DIGITS)]) {
		snprintf(why, whylen, "%s is not a Go argument: they are goarg0..goarg8", s);
		return -EINVAL;
	}
	snprintf(why, whylen, "%s names a field no 'fields' line defines; " VALUES, s);
	return -ENOENT;
}
