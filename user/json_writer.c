// SPDX-License-Identifier: MIT
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include "json_writer.h"

struct json_level {
	bool is_obj;
	__u64 count; /* members or elements written so far: the next one needs a comma */
};

struct json_writer {
	FILE *out;
	bool pretty;
	bool named; /* a member name was written and awaits its value */
	bool started; /* the top-level value has begun */
	int err; /* first misuse, sticky: later calls write nothing */
	int depth;
	struct json_level lvl[JSON_WRITER_MAX_DEPTH];
};

struct json_writer *json_writer__new(FILE *out, bool pretty)
{
	struct json_writer *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->out = out;
	w->pretty = pretty;
	return w;
}

void json_writer__free(struct json_writer *w)
{
	free(w);
}

static void newline_indent(struct json_writer *w, int depth)
{
	if (!w->pretty)
		return;
	fputc('\n', w->out);
	for (int i = 0; i < depth; i++)
		fputs("  ", w->out);
}

/* Decode one UTF-8 sequence at @s; return its length, or 0 when it is not valid UTF-8. */
static int utf8_len(const unsigned char *s)
{
	unsigned int cp;
	int n;

	if (s[0] < 0xc2) /* ASCII is handled by the caller; 0x80-0xc1 never start a sequence */
		return 0;
	if (s[0] < 0xe0) {
		n = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] < 0xf0) {
		n = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] < 0xf5) {
		n = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	/* The NUL terminator is not a continuation byte, so this never reads past it. */
	for (int i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* Overlong forms, UTF-16 surrogates and code points past U+10FFFF are rejected. */
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

static void write_escaped(struct json_writer *w, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	FILE *out = w->out;

	fputc('"', out);
	while (*s) {
		unsigned char c = *s;
		int n;

		switch (c) {
		case '"':
			fputs("\\\"", out);
			break;
		case '\\':
			fputs("\\\\", out);
			break;
		case '\b':
			fputs("\\b", out);
			break;
		case '\f':
			fputs("\\f", out);
			break;
		case '\n':
			fputs("\\n", out);
			break;
		case '\r':
			fputs("\\r", out);
			break;
		case '\t':
			fputs("\\t", out);
			break;
		default:
			if (c < 0x20) {
				fprintf(out, "\\u%04x", c);
			} else if (c < 0x80) {
				fputc(c, out);
			} else if ((n = utf8_len(s)) > 0) {
				fwrite(s, 1, (size_t)n, out);
				s += n;
				continue;
			} else {
				/* Symbol names and comm are bytes, not text: keep JSON valid. */
				fputs("\\ufffd", out);
			}
		}
		s++;
	}
	fputc('"', out);
}

/* Before any value: the comma and indentation for an array element, or check for a name. */
static bool begin_value(struct json_writer *w)
{
	struct json_level *l;

	if (w->err)
		return false;
	if (!w->depth) {
		if (w->started) {
			w->err = -EINVAL; /* a document holds one value */
			return false;
		}
		w->started = true;
		return true;
	}
	l = &w->lvl[w->depth - 1];
	if (l->is_obj) {
		if (!w->named) {
			w->err = -EINVAL;
			return false;
		}
		w->named = false;
		return true;
	}
	if (l->count++)
		fputc(',', w->out);
	newline_indent(w, w->depth);
	return true;
}

void json_writer__name(struct json_writer *w, const char *name)
{
	struct json_level *l;

	if (w->err)
		return;
	if (!w->depth || !w->lvl[w->depth - 1].is_obj || w->named || !name) {
		w->err = -EINVAL;
		return;
	}
	l = &w->lvl[w->depth - 1];
	if (l->count++)
		fputc(',', w->out);
	newline_indent(w, w->depth);
	write_escaped(w, name);
	fputs(w->pretty ? ": " : ":", w->out);
	w->named = true;
}

static void open_level(struct json_writer *w, bool is_obj)
{
	if (!begin_value(w))
		return;
	if (w->depth == JSON_WRITER_MAX_DEPTH) {
		w->err = -EINVAL;
		return;
	}
	w->lvl[w->depth].is_obj = is_obj;
	w->lvl[w->depth].count = 0;
	w->depth++;
	fputc(is_obj ? '{' : '[', w->out);
}

static void close_level(struct json_writer *w, bool is_obj)
{
	if (w->err)
		return;
	if (!w->depth || w->lvl[w->depth - 1].is_obj != is_obj || w->named) {
		w->err = -EINVAL;
		return;
	}
	w->depth--;
	/* Empty containers stay on one line: "[]" reads better than a bracket on its own line. */
	if (w->lvl[w->depth].count)
		newline_indent(w, w->depth);
	fputc(is_obj ? '}' : ']', w->out);
}

void json_writer__obj_begin(struct json_writer *w)
{
	open_level(w, true);
}

void json_writer__obj_end(struct json_writer *w)
{
	close_level(w, true);
}

void json_writer__arr_begin(struct json_writer *w)
{
	open_level(w, false);
}

void json_writer__arr_end(struct json_writer *w)
{
	close_level(w, false);
}

void json_writer__string(struct json_writer *w, const char *s)
{
	if (!s) {
		json_writer__null(w);
		return;
	}
	if (begin_value(w))
		write_escaped(w, s);
}

void json_writer__u64(struct json_writer *w, __u64 v)
{
	if (begin_value(w))
		fprintf(w->out, "%llu", (unsigned long long)v);
}

void json_writer__s64(struct json_writer *w, __s64 v)
{
	if (begin_value(w))
		fprintf(w->out, "%lld", (long long)v);
}

void json_writer__double(struct json_writer *w, double v, int decimals)
{
	/* JSON has no NaN or Infinity; null is what parsers accept. */
	if (!isfinite(v)) {
		json_writer__null(w);
		return;
	}
	if (begin_value(w))
		fprintf(w->out, "%.*f", decimals, v);
}

void json_writer__bool(struct json_writer *w, bool v)
{
	if (begin_value(w))
		fputs(v ? "true" : "false", w->out);
}

void json_writer__null(struct json_writer *w)
{
	if (begin_value(w))
		fputs("null", w->out);
}

void json_writer__string_field(struct json_writer *w, const char *name, const char *s)
{
	json_writer__name(w, name);
	json_writer__string(w, s);
}

void json_writer__u64_field(struct json_writer *w, const char *name, __u64 v)
{
	json_writer__name(w, name);
	json_writer__u64(w, v);
}

void json_writer__s64_field(struct json_writer *w, const char *name, __s64 v)
{
	json_writer__name(w, name);
	json_writer__s64(w, v);
}

void json_writer__bool_field(struct json_writer *w, const char *name, bool v)
{
	json_writer__name(w, name);
	json_writer__bool(w, v);
}

void json_writer__null_field(struct json_writer *w, const char *name)
{
	json_writer__name(w, name);
	json_writer__null(w);
}

int json_writer__finish(struct json_writer *w)
{
	if (w->err)
		return w->err;
	if (!w->started || w->depth || w->named)
		return -EINVAL;
	fputc('\n', w->out);
	if (fflush(w->out))
		return errno ? -errno : -EIO;
	/* An earlier failed write leaves only the error flag: errno is long gone. */
	if (ferror(w->out))
		return -EIO;
	return 0;
}
