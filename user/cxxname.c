// SPDX-License-Identifier: MIT
/*
 * Short C++ names for text tables; see cxxname.h.  A small recursive descent over template
 * argument lists: each list is split at its top-level commas, each argument shortened, then the
 * template it belongs to decides which arguments to keep.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cxxname.h"

#define MAX_ARGS 16

/* A growing string. */
struct sbuf {
	char *s;
	size_t len, cap;
	bool oom;
};

static void sb_addn(struct sbuf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = (b->len + n + 1) * 2;
		char *p = realloc(b->s, cap);

		if (!p) {
			b->oom = true;
			return;
		}
		b->s = p;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void sb_add(struct sbuf *b, const char *s)
{
	sb_addn(b, s, strlen(s));
}

static bool starts(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

static int shorten(const char *s, size_t n, struct sbuf *out);

/* The identifier that ends at @end in @s (a template's name): its start. */
static size_t ident_start(const char *s, size_t end)
{
	size_t i = end;

	while (i > 0 &&
	       (s[i - 1] == '_' || s[i - 1] == ':' || (s[i - 1] >= '0' && s[i - 1] <= '9') ||
		(s[i - 1] >= 'a' && s[i - 1] <= 'z') || (s[i - 1] >= 'A' && s[i - 1] <= 'Z')))
		i--;
	return i;
}

/* Index of the '>' closing the '<' at @open, or -1. */
static long closing(const char *s, size_t n, size_t open)
{
	int depth = 0;

	for (size_t i = open; i < n; i++) {
		if (s[i] == '<' || s[i] == '(')
			depth++;
		else if ((s[i] == '>' || s[i] == ')') && --depth == 0)
			return s[i] == '>' ? (long)i : -1;
	}
	return -1;
}

/* "std::pair<K const, V>" -> V, shortened; false when @arg is not such a pair. */
static bool pair_second(const char *arg, struct sbuf *out)
{
	size_t n = strlen(arg), depth = 0;

	if (!starts(arg, "std::pair<") || arg[n - 1] != '>')
		return false;
	for (size_t i = 10; i < n - 1; i++) {
		if (arg[i] == '<' || arg[i] == '(')
			depth++;
		else if (arg[i] == '>' || arg[i] == ')')
			depth--;
		else if (arg[i] == ',' && !depth) {
			i += arg[i + 1] == ' ';
			sb_addn(out, arg + i + 1, n - 1 - (i + 1));
			return true;
		}
	}
	return false;
}

/* Is @arg, after a template's leading arguments, only a default one (hash, equal, allocator)? */
static bool is_default(const char *arg)
{
	return starts(arg, "std::hash<") || starts(arg, "std::equal_to<") ||
	       starts(arg, "std::allocator<") || starts(arg, "std::less<") ||
	       starts(arg, "std::char_traits<");
}

/*
 * Template @name with shortened arguments @a[0..@na): the short spelling into @out.
 * std::_Hashtable<K, V, Alloc, Extract, Equal, Hash, ..., Traits<c, k, unique>> becomes the
 * container it implements; default hash, equality and allocator arguments are dropped.
 */
static void emit_template(const char *name, size_t nlen, char **a, int na, struct sbuf *out)
{
	int keep = na;

	if (nlen == 15 && !strncmp(name, "std::_Hashtable", nlen) && na == 10) {
		bool set = starts(a[3], "std::__detail::_Identity");
		size_t tl = strlen(a[9]);
		/* _Hashtable_traits<cache hash, constant iterators, unique keys> */
		bool multi = !(tl >= 5 && !strcmp(a[9] + tl - 5, "true>"));

		sb_add(out, set ? (multi ? "std::unordered_multiset<" : "std::unordered_set<")
				: (multi ? "std::unordered_multimap<" : "std::unordered_map<"));
		sb_add(out, a[0]);
		if (!set) {
			sb_add(out, ", ");
			if (!pair_second(a[1], out))
				sb_add(out, a[1]);
		}
		if (!is_default(a[5])) {
			sb_add(out, ", ");
			sb_add(out, a[5]);
		}
		sb_add(out, ">");
		return;
	}
	if (nlen == 26 && !strncmp(name, "std::__cxx11::basic_string", nlen) && na == 3 &&
	    !strcmp(a[0], "char") && is_default(a[1]) && is_default(a[2])) {
		sb_add(out, "std::string");
		return;
	}
	/* a defaulted tail: keep the leading arguments (a map's key and value) */
	while (keep > 1 && is_default(a[keep - 1]))
		keep--;
	sb_addn(out, name, nlen);
	sb_add(out, "<");
	for (int i = 0; i < keep; i++) {
		sb_add(out, i ? ", " : "");
		sb_add(out, a[i]);
	}
	sb_add(out, ">");
}

/* The argument list between '<' at @open and '>' at @close, each shortened into @a. */
static int split_args(const char *s, size_t open, size_t close, char **a, int *na)
{
	size_t from = open + 1, depth = 0;

	*na = 0;
	for (size_t i = open + 1; i <= close; i++) {
		if (i < close && (s[i] == '<' || s[i] == '(')) {
			depth++;
		} else if (i < close && (s[i] == '>' || s[i] == ')')) {
			depth--;
		} else if (i == close || (s[i] == ',' && !depth)) {
			struct sbuf b = {0};

			size_t to = i;

			while (from < to && s[from] == ' ')
				from++;
			while (to > from && s[to - 1] == ' ')
				to--;
			if (*na == MAX_ARGS || shorten(s + from, to - from, &b) || b.oom) {
				free(b.s);
				return -1;
			}
			a[(*na)++] = b.s ? b.s : calloc(1, 1);
			from = i + 1;
		}
	}
	return 0;
}

static int shorten(const char *s, size_t n, struct sbuf *out)
{
	size_t i = 0, copied = 0;

	while (i < n) {
		char *a[MAX_ARGS];
		size_t id;
		long close;
		int na = 0, err;

		if (s[i] != '<') {
			i++;
			continue;
		}
		id = ident_start(s, i);
		/* operator<, operator<<, operator<=: not a template */
		if (i - id >= 8 && !strncmp(s + i - 8, "operator", 8)) {
			i += (i + 1 < n && (s[i + 1] == '<' || s[i + 1] == '=')) ? 2 : 1;
			continue;
		}
		close = closing(s, n, i);
		if (close < 0)
			return -1;
		sb_addn(out, s + copied, id - copied);
		err = split_args(s, i, (size_t)close, a, &na);
		if (!err)
			emit_template(s + id, i - id, a, na, out);
		for (int k = 0; k < na; k++)
			free(a[k]);
		if (err)
			return -1;
		i = copied = (size_t)close + 1;
	}
	sb_addn(out, s + copied, n - copied);
	return 0;
}

char *cxxname__short(char *buf, size_t size, const char *name)
{
	struct sbuf b = {0};

	if (!strchr(name, '<') || shorten(name, strlen(name), &b) || b.oom || !b.s)
		snprintf(buf, size, "%s", name);
	else
		snprintf(buf, size, "%s", b.s);
	free(b.s);
	return buf;
}
