// SPDX-License-Identifier: MIT
/* A minimal protocol-buffers encoder and a gzip writer, for the pprof backend.  See the .h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "pprof_proto.h"

/* Wire types (protobuf encoding). */
#define PB_VARINT 0
#define PB_LEN	  2

#define GZIP_CHUNK 65536

void pb_buf__reset(struct pb_buf *b)
{
	b->len = 0;
}

void pb_buf__free(struct pb_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

int pb_buf__err(const struct pb_buf *b)
{
	return b->err;
}

static bool reserve(struct pb_buf *b, size_t more)
{
	size_t cap;
	void *n;

	if (b->err)
		return false;
	if (b->len + more <= b->cap)
		return true;
	cap = b->cap ? b->cap * 2 : 256;
	while (cap < b->len + more)
		cap *= 2;
	n = realloc(b->data, cap);
	if (!n) {
		b->err = -ENOMEM;
		return false;
	}
	b->data = n;
	b->cap = cap;
	return true;
}

static void append(struct pb_buf *b, const void *data, size_t len)
{
	if (!len || !reserve(b, len))
		return;
	memcpy(b->data + b->len, data, len);
	b->len += len;
}

void pb_buf__varint(struct pb_buf *b, __u64 v)
{
	__u8 buf[10];
	size_t n = 0;

	while (v >= 0x80) {
		buf[n++] = (__u8)(v | 0x80);
		v >>= 7;
	}
	buf[n++] = (__u8)v;
	append(b, buf, n);
}

static void tag(struct pb_buf *b, unsigned int field, unsigned int wire)
{
	pb_buf__varint(b, ((__u64)field << 3) | wire);
}

void pb_buf__u64(struct pb_buf *b, unsigned int field, __u64 v)
{
	tag(b, field, PB_VARINT);
	pb_buf__varint(b, v);
}

void pb_buf__s64(struct pb_buf *b, unsigned int field, __s64 v)
{
	/* int64 is encoded as its two's complement: a negative value takes ten bytes */
	pb_buf__u64(b, field, (__u64)v);
}

void pb_buf__bytes(struct pb_buf *b, unsigned int field, const void *data, size_t len)
{
	tag(b, field, PB_LEN);
	pb_buf__varint(b, len);
	append(b, data, len);
}

void pb_buf__string(struct pb_buf *b, unsigned int field, const char *s)
{
	pb_buf__bytes(b, field, s ? s : "", s ? strlen(s) : 0);
}

void pb_buf__message(struct pb_buf *b, unsigned int field, const struct pb_buf *msg)
{
	if (msg->err) {
		if (!b->err)
			b->err = msg->err;
		return;
	}
	pb_buf__bytes(b, field, msg->data, msg->len);
}

void pb_buf__packed_u64(struct pb_buf *b, unsigned int field, const __u64 *v, size_t n)
{
	size_t len = 0;

	if (!n)
		return;
	/* the length prefix comes first: count the bytes the varints will take */
	for (size_t i = 0; i < n; i++) {
		__u64 x = v[i];

		do {
			len++;
			x >>= 7;
		} while (x);
	}
	tag(b, field, PB_LEN);
	pb_buf__varint(b, len);
	for (size_t i = 0; i < n; i++)
		pb_buf__varint(b, v[i]);
}

int pb_gzip_write(FILE *out, const void *data, size_t len)
{
	unsigned char *chunk = malloc(GZIP_CHUNK);
	z_stream zs = {};
	int err = 0, zerr;

	if (!chunk)
		return -ENOMEM;
	/* windowBits 15 + 16: a gzip header and trailer instead of zlib's */
	zerr = deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
	if (zerr != Z_OK) {
		free(chunk);
		return zerr == Z_MEM_ERROR ? -ENOMEM : -EINVAL;
	}
	zs.next_in = (unsigned char *)data;
	zs.avail_in = 0;
	do {
		/* avail_in is 32-bit: feed a large message in pieces */
		if (!zs.avail_in && len) {
			size_t take = len > (1U << 30) ? (1U << 30) : len;

			zs.avail_in = (uInt)take;
			len -= take;
		}
		zs.next_out = chunk;
		zs.avail_out = GZIP_CHUNK;
		zerr = deflate(&zs, len || zs.avail_in ? Z_NO_FLUSH : Z_FINISH);
		if (zerr == Z_STREAM_ERROR) {
			err = -EINVAL;
			break;
		}
		if (fwrite(chunk, 1, GZIP_CHUNK - zs.avail_out, out) != GZIP_CHUNK - zs.avail_out) {
			err = -EIO;
			break;
		}
	} while (zerr != Z_STREAM_END);
	deflateEnd(&zs);
	free(chunk);
	if (!err && (fflush(out) || ferror(out)))
		err = -EIO;
	return err;
}
