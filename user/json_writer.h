/* SPDX-License-Identifier: MIT */
/*
 * A small streaming JSON writer in the spirit of bpftool's json_writer: the caller says what
 * comes next (open an object, a member name, a value) and the writer adds the commas, the
 * quoting and, when asked, the indentation.  Nothing is buffered beyond the FILE.
 *
 * Misuse (a value in an object without a name, closing an array with obj_end, nesting deeper
 * than JSON_WRITER_MAX_DEPTH, a second top-level value) does not abort: the writer stops
 * writing and json_writer__finish() reports it, so a backend checks one return value at the
 * end instead of one per call.
 */
#ifndef MT_JSON_WRITER_H
#define MT_JSON_WRITER_H

#include <stdbool.h>
#include <stdio.h>
#include <linux/types.h>

#define JSON_WRITER_MAX_DEPTH 32

struct json_writer;

/**
 * json_writer__new() - a writer producing one JSON value on @out.
 * @pretty: one member or element per line, indented by two spaces; else all on one line.
 * Return: the writer, or NULL on ENOMEM.
 */
struct json_writer *json_writer__new(FILE *out, bool pretty);

/**
 * json_writer__finish() - end the document with a newline and flush it.
 * Return: 0; -EINVAL when the writer was misused or the value is incomplete (an object or
 * array still open, nothing written); -EIO when writing to the FILE failed.
 */
int json_writer__finish(struct json_writer *w);

/** json_writer__free() - free the writer (not the FILE).  NULL is allowed. */
void json_writer__free(struct json_writer *w);

/** json_writer__name() - the name of the next member of the current object. */
void json_writer__name(struct json_writer *w, const char *name);

/** json_writer__obj_begin() - open an object; json_writer__obj_end() closes it. */
void json_writer__obj_begin(struct json_writer *w);
void json_writer__obj_end(struct json_writer *w);

/** json_writer__arr_begin() - open an array; json_writer__arr_end() closes it. */
void json_writer__arr_begin(struct json_writer *w);
void json_writer__arr_end(struct json_writer *w);

/**
 * json_writer__string() - a string value, escaped; bytes that are not valid UTF-8 become
 * U+FFFD so the document always parses.  NULL writes null.
 */
void json_writer__string(struct json_writer *w, const char *s);

/** json_writer__u64() - an unsigned integer value, written exactly. */
void json_writer__u64(struct json_writer *w, __u64 v);

/** json_writer__s64() - a signed integer value, written exactly. */
void json_writer__s64(struct json_writer *w, __s64 v);

/** json_writer__double() - a number with @decimals digits after the point; NaN/inf: null. */
void json_writer__double(struct json_writer *w, double v, int decimals);

/** json_writer__bool() - true or false. */
void json_writer__bool(struct json_writer *w, bool v);

/** json_writer__null() - null. */
void json_writer__null(struct json_writer *w);

/* Object members in one call: name, then value. */
void json_writer__string_field(struct json_writer *w, const char *name, const char *s);
void json_writer__u64_field(struct json_writer *w, const char *name, __u64 v);
void json_writer__s64_field(struct json_writer *w, const char *name, __s64 v);
void json_writer__bool_field(struct json_writer *w, const char *name, bool v);
void json_writer__null_field(struct json_writer *w, const char *name);

#endif /* MT_JSON_WRITER_H */
