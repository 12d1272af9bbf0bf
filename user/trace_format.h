/* SPDX-License-Identifier: MIT */
/*
 * The trace-file format (docs/trace-format.md) in code, shared by trace_writer.c and
 * trace_reader.c: change it and the document together.
 *
 * Everything is in the writer's native byte order (like perf.data): the header's byte-order
 * mark tells a reader on a machine of the other order to refuse the file instead of misreading
 * it.  Every record carries a CRC-32, so a bit flip stops the reader at the damaged record
 * instead of feeding nonsense to the model.
 */
#ifndef MT_TRACE_FORMAT_H
#define MT_TRACE_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <time.h>
#include <zlib.h>
#include <linux/types.h>
#include "util.h"

#define TRACE_MAGIC		"MAPTRACE"
#define TRACE_MAGIC_LEN		8
#define TRACE_BYTE_ORDER	0x01020304u
#define TRACE_HDR_SIZE		32   /* the v1 header; newer writers may append fields */
#define TRACE_HDR_MAX		4096 /* a larger header_size is corruption, not a new field */
#define TRACE_HDR_CRC_OFF	28
#define REC_HDR_SIZE		16
#define TRACE_MAX_RECORD	(4u << 20) /* whole record; a 127-frame stack needs about 2 MiB */
#define TRACE_MAX_STR		4096	   /* longer strings are cut by the writer */
#define TRACE_MAX_STACKS	(1 << 24)  /* stack indexes; bounds the reader's index table */
#define TRACE_MAX_FRAME_FIXED	4096
#define TRACE_MAX_FRAME_STRINGS 64
#define WBUF_SIZE		(64u << 10)
#define FLUSH_NS		1000000000ULL

/* The v1 layouts: fixed parts, then what the document says follows. */
#define META_FIXED    32
#define META_STRINGS   7 /* comm, cmdline, hostname, kernel, version, libraries, unmade */
#define STACK_FIXED   16
#define FRAME_FIXED   24
#define FRAME_STRINGS 4 /* func, module, build_id, file */
#define EVENT_FIXED   8
#define COUNTS_LEN    (16 + 10 * 8) /* older files have 16 + 4 * 8 or 16 + 6 * 8 */
#define DROPS_FIXED   8
#define END_LEN	      32
#define END_SIZE      (REC_HDR_SIZE + END_LEN) /* the whole END record: --max-size keeps room */
/* ts, map, then struct mt_ev_lib_counts' 13 fields; older files have its first 10 */
#define LIB_COUNTS_LEN (16 + 13 * 8)

/* Only a fuzzer build skips checksums, so mutated inputs reach the record parsers. */
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
#define CHECK_CRC 0
#else
#define CHECK_CRC 1
#endif

enum trace_rec_type {
	TR_META = 1,
	TR_STACK = 2,
	TR_EVENT = 3,
	TR_COUNTS = 4,
	TR_DROPS = 5,
	TR_END = 6,
	TR_NAME = 7,
	TR_LOCK_ALIAS = 8,
	TR_LIB_COUNTS = 9,
	TR_GO_TYPE = 10,
};

#define META_F_LIBRARY_FOUND 1u
#define END_F_TARGET_EXITED  1u
#define END_F_MAX_SIZE	     2u /* recording stopped at --max-size; the run went on */

static inline const char *rec_name(__u32 type)
{
	static const char *const names[] = {"?",      "meta",  "stack", "event",
					    "counts", "drops", "end",   "name", "lock-alias", "lib-counts",
					    "go-type"};

	return type < ARRAY_SIZE(names) ? names[type] : "unknown";
}

/* Unaligned native-order access: records pack strings, so fields need not be aligned. */
static inline __u32 get32(const unsigned char *p)
{
	__u32 v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline __u64 get64(const unsigned char *p)
{
	__u64 v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline unsigned char *put32(unsigned char *p, __u32 v)
{
	memcpy(p, &v, sizeof(v));
	return p + sizeof(v);
}

static inline unsigned char *put64(unsigned char *p, __u64 v)
{
	memcpy(p, &v, sizeof(v));
	return p + sizeof(v);
}

static inline size_t str_len(const char *s, size_t max)
{
	return s ? strnlen(s, max) : 0;
}

static inline unsigned char *put_str(unsigned char *p, const char *s, size_t max)
{
	size_t n = str_len(s, max);

	p = put32(p, (__u32)n);
	if (n)
		memcpy(p, s, n);
	return p + n;
}

/* CRC-32 of a record: its header without the crc field, then the payload and padding. */
static inline __u32 rec_crc(const unsigned char *hdr, const unsigned char *payload, size_t n)
{
	uLong crc = crc32(0L, Z_NULL, 0);

	crc = crc32(crc, hdr, 8);
	crc = crc32(crc, hdr + 12, REC_HDR_SIZE - 12);
	/* zlib takes uInt lengths; records are at most TRACE_MAX_RECORD */
	return (__u32)crc32(crc, payload, (uInt)n);
}

static inline __u32 header_crc(const unsigned char *h, size_t size)
{
	static const unsigned char zero[4];
	uLong crc = crc32(0L, Z_NULL, 0);

	crc = crc32(crc, h, TRACE_HDR_CRC_OFF);
	crc = crc32(crc, zero, sizeof(zero));
	return (__u32)crc32(crc, h + TRACE_HDR_CRC_OFF + 4, (uInt)(size - TRACE_HDR_CRC_OFF - 4));
}

#endif /* MT_TRACE_FORMAT_H */
