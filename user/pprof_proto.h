/* SPDX-License-Identifier: MIT */
/*
 * Just enough protocol buffers to write pprof's profile.proto: varints, length-delimited
 * fields, packed repeated fields and nested messages, appended to a growable buffer, and a
 * gzip writer for the finished message.  Encoding only; no reflection, no schema.
 *
 * A nested message is built in its own buffer and appended with pb_buf__message(), which
 * knows its length then.  Allocation failures are sticky: the calls after one write nothing
 * and pb_buf__err() reports it, so callers check once at the end.
 */
#ifndef MT_PPROF_PROTO_H
#define MT_PPROF_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <linux/types.h>

struct pb_buf {
	__u8 *data;
	size_t len, cap;
	int err; /* first error (-ENOMEM), sticky */
};

/** pb_buf__reset() - empty the buffer for reuse, keeping its memory. */
void pb_buf__reset(struct pb_buf *b);

/** pb_buf__free() - free the buffer's memory (not @b itself). */
void pb_buf__free(struct pb_buf *b);

/** pb_buf__err() - 0, or the first error any call on @b met. */
int pb_buf__err(const struct pb_buf *b);

/** pb_buf__varint() - a bare base-128 varint. */
void pb_buf__varint(struct pb_buf *b, __u64 v);

/** pb_buf__u64() - field @field as a varint (uint64, and bool as 0/1). */
void pb_buf__u64(struct pb_buf *b, unsigned int field, __u64 v);

/** pb_buf__s64() - field @field as an int64 varint (two's complement, not zigzag). */
void pb_buf__s64(struct pb_buf *b, unsigned int field, __s64 v);

/** pb_buf__bytes() - field @field, length-delimited: @len bytes of @data. */
void pb_buf__bytes(struct pb_buf *b, unsigned int field, const void *data, size_t len);

/** pb_buf__string() - field @field, a string without its NUL (NULL is written as ""). */
void pb_buf__string(struct pb_buf *b, unsigned int field, const char *s);

/** pb_buf__message() - field @field, the message built in @msg. */
void pb_buf__message(struct pb_buf *b, unsigned int field, const struct pb_buf *msg);

/**
 * pb_buf__packed_u64() - repeated uint64/int64 field @field, packed: one length-delimited
 * run of @n varints.  Nothing is written when @n is 0.
 */
void pb_buf__packed_u64(struct pb_buf *b, unsigned int field, const __u64 *v, size_t n);

/**
 * pb_gzip_write() - write @len bytes of @data to @out as one gzip member (RFC 1952).
 * Return: 0, -EIO when writing failed, -ENOMEM.
 */
int pb_gzip_write(FILE *out, const void *data, size_t len);

#endif /* MT_PPROF_PROTO_H */
