// SPDX-License-Identifier: MIT
/*
 * Trace file reader: maptrace report FILE.  The format is trace_format.h, documented in
 * docs/trace-format.md.  Every ring-buffer record is decoded by mt_event_decode(), as live.
 */
#define _GNU_SOURCE /* sigabbrev_np() */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "mt_event.h"
#include "readfile.h"
#include "sink.h"
#include "trace_file.h"
#include "trace_format.h"

/* ---------------------------------------------------------------------------------------- */
/* reader */

struct reader {
	FILE *f;
	__u64 size; /* the file's size when opened: a file that grows is read no further */
	const struct sink *sink;
	struct run_info info; /* from the META and END records */
	struct trace_read_status *st;
	unsigned char *buf; /* the current record's payload */
	size_t cap;
	__u64 *ev;     /* an aligned copy of the current ring-buffer record */
	int *stack_of; /* file stack index -> model stack index, -1 when not (yet) seen */
	size_t nstack_of;
	__u64 off;     /* offset of the current record */
	__u64 last_ts; /* latest timestamp seen, for a file without an end record */
	__u64 ring_unknown;
	bool have_end_counts;
	__u64 end_events;
};

__attribute__((format(printf, 2, 3))) static void say(struct trace_read_status *st, const char *fmt,
						      ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(st->why, sizeof(st->why), fmt, ap);
	va_end(ap);
}

static size_t read_some(struct reader *r, void *buf, size_t n)
{
	size_t k;

	if (n > r->size - r->st->bytes)
		n = (size_t)(r->size - r->st->bytes);
	k = n ? fread(buf, 1, n, r->f) : 0;

	r->st->bytes += k;
	return k;
}

/* Bounds-checked cursor over a record payload. */
struct cur {
	const unsigned char *p;
	size_t len, pos;
	bool bad;
};

static bool cur_need(struct cur *c, size_t n)
{
	if (c->bad || n > c->len - c->pos) {
		c->bad = true;
		return false;
	}
	return true;
}

static __u32 cur32(struct cur *c)
{
	__u32 v;

	if (!cur_need(c, 4))
		return 0;
	v = get32(c->p + c->pos);
	c->pos += 4;
	return v;
}

static __u64 cur64(struct cur *c)
{
	__u64 v;

	if (!cur_need(c, 8))
		return 0;
	v = get64(c->p + c->pos);
	c->pos += 8;
	return v;
}

static void cur_skip(struct cur *c, size_t n)
{
	if (cur_need(c, n))
		c->pos += n;
}

/* A length-prefixed string, copied NUL-terminated into @dst (cut to @size - 1 bytes). */
static void cur_str(struct cur *c, char *dst, size_t size)
{
	__u32 n = cur32(c);
	size_t k;

	if (size)
		dst[0] = '\0';
	if (!cur_need(c, n))
		return;
	if (size) {
		/* an embedded NUL ends the string: never trust the length to be a C string's */
		k = strnlen((const char *)c->p + c->pos, n);
		if (k >= size)
			k = size - 1;
		memcpy(dst, c->p + c->pos, k);
		dst[k] = '\0';
	}
	c->pos += n;
}

/* Return values of the record handlers: 0, STOP (st->why set), or -ENOMEM. */
#define STOP 1

static int malformed(struct reader *r, __u32 type, const char *what)
{
	say(r->st, "malformed %s record at byte %llu: %s", rec_name(type),
	    (unsigned long long)r->off, what);
	return STOP;
}

static int on_meta(struct reader *r, struct cur *c)
{
	struct run_info *info = &r->info;
	char *dst[META_STRINGS] = {info->comm,	  info->cmdline,   info->hostname, info->kernel,
				   info->version, info->libraries, info->unmade};
	const size_t size[META_STRINGS] = {sizeof(info->comm),	   sizeof(info->cmdline),
					   sizeof(info->hostname), sizeof(info->kernel),
					   sizeof(info->version),  sizeof(info->libraries),
					   sizeof(info->unmade)};
	__u32 fixed = cur32(c), nstr, flags;
	int pid;
	__u64 wall, mono;

	pid = (int)cur32(c);
	wall = cur64(c);
	mono = cur64(c);
	flags = cur32(c);
	nstr = cur32(c);
	if (c->bad || fixed < META_FIXED || fixed > c->len)
		return malformed(r, TR_META, "fixed part does not fit");
	c->pos = fixed;
	info->pid = pid;
	info->start_wall_ns = wall;
	info->start_mono_ns = mono;
	info->library_found = flags & META_F_LIBRARY_FOUND;
	for (__u32 i = 0; i < nstr && !c->bad; i++) {
		if (i < META_STRINGS)
			cur_str(c, dst[i], size[i]);
		else
			cur_str(c, NULL, 0);
	}
	if (c->bad)
		return malformed(r, TR_META, "a string runs past the record");
	return sink__info(r->sink, info);
}

static int on_stack(struct reader *r, struct cur *c)
{
	__u32 idx = cur32(c), nframes = cur32(c), ffixed = cur32(c), fstrs = cur32(c);
	struct mt_frame *frames = NULL;
	char *arena = NULL, *a;
	int midx, ret = 0;

	if (c->bad)
		return malformed(r, TR_STACK, "too short");
	if (idx >= TRACE_MAX_STACKS)
		return malformed(r, TR_STACK, "stack index out of range");
	if (ffixed < FRAME_FIXED || ffixed > TRACE_MAX_FRAME_FIXED || fstrs < FRAME_STRINGS ||
	    fstrs > TRACE_MAX_FRAME_STRINGS)
		return malformed(r, TR_STACK, "bad frame layout");
	/* every frame takes at least its fixed part and its string lengths */
	if (nframes > (c->len - c->pos) / (ffixed + 4 * fstrs))
		return malformed(r, TR_STACK, "more frames than the record holds");
	frames = calloc(nframes ? nframes : 1, sizeof(*frames));
	/* room for every kept string of the payload, each with a NUL */
	arena = malloc(c->len + (size_t)nframes * FRAME_STRINGS + 1);
	if (!frames || !arena) {
		ret = -ENOMEM;
		goto out;
	}
	a = arena;
	for (__u32 i = 0; i < nframes && !c->bad; i++) {
		struct mt_frame *f = &frames[i];
		const char **strs[FRAME_STRINGS] = {&f->func, &f->module, &f->build_id, &f->file};
		size_t start = c->pos;

		f->ip = cur64(c);
		f->offset = cur64(c);
		f->line = cur32(c);
		f->exact = cur32(c);
		cur_skip(c, start + ffixed - c->pos);
		for (__u32 s = 0; s < fstrs && !c->bad; s++) {
			if (s < FRAME_STRINGS) {
				size_t room = c->len - c->pos + 1;

				cur_str(c, a, room);
				*strs[s] = a;
				a += strlen(a) + 1;
			} else {
				cur_str(c, NULL, 0);
			}
		}
	}
	if (c->bad) {
		ret = malformed(r, TR_STACK, "a frame runs past the record");
		goto out;
	}
	midx = sink__stack(r->sink, -1, frames, (int)nframes);
	if (midx < 0) {
		ret = midx;
		goto out;
	}
	if (idx >= r->nstack_of) {
		size_t n = r->nstack_of ? r->nstack_of : 64;
		int *v;

		while (n <= idx)
			n *= 2;
		v = realloc(r->stack_of, n * sizeof(*v));
		if (!v) {
			ret = -ENOMEM;
			goto out;
		}
		for (size_t i = r->nstack_of; i < n; i++)
			v[i] = -1;
		r->stack_of = v;
		r->nstack_of = n;
	}
	r->stack_of[idx] = midx;
out:
	free(frames);
	free(arena);
	return ret;
}

static void note_ts(struct reader *r, __u64 ts)
{
	if (ts > r->last_ts)
		r->last_ts = ts;
}

static int on_event(struct reader *r, struct cur *c)
{
	__s32 stack = (__s32)cur32(c);
	__u32 reclen = cur32(c);
	const struct mt_hdr *h = (const void *)r->ev;
	struct mt_event ev;
	char what[96];
	int midx = -1, err;

	if (c->bad)
		return malformed(r, TR_EVENT, "too short");
	if (reclen < sizeof(struct mt_hdr) || reclen > 0xffff || reclen > c->len - c->pos) {
		snprintf(what, sizeof(what), "holds a ring-buffer record of %u bytes in %zu",
			 reclen, c->len - c->pos);
		return malformed(r, TR_EVENT, what);
	}
	memcpy(r->ev, c->p + c->pos, reclen);
	if (h->size != reclen) {
		snprintf(what, sizeof(what), "ring-buffer record says %u bytes, holds %u", h->size,
			 reclen);
		return malformed(r, TR_EVENT, what);
	}
	err = mt_event_decode(h, reclen, &ev, what, sizeof(what));
	if (err == -EOPNOTSUPP) {
		/* a record type from a newer maptrace: skipped, like a newer file record type */
		r->ring_unknown++;
		r->st->skipped++;
		return 0;
	}
	if (err)
		return malformed(r, TR_EVENT, what);
	if (stack >= 0 && (size_t)stack < r->nstack_of)
		midx = r->stack_of[stack];
	note_ts(r, h->ts);
	err = sink__event(r->sink, h, &ev, midx);
	if (err)
		return err;
	r->st->events++;
	return 0;
}

static int on_counts(struct reader *r, struct cur *c)
{
	struct mt_map_counts mc;
	__u64 ts = cur64(c), map = cur64(c);

	mc.inserts = cur64(c);
	mc.deletes = cur64(c);
	mc.sync_hits = cur64(c);
	mc.sync_misses = cur64(c);
	if (c->bad)
		return malformed(r, TR_COUNTS, "too short");
	/* lookups and the library index came later: absent from older files */
	mc.lookups = c->len - c->pos >= 16 ? cur64(c) : 0;
	mc.lib = c->len - c->pos >= 8 ? (__u32)cur64(c) : 0;
	mc._pad = 0;
	/* so did the evacuation steps summed in the kernel */
	mc.evac_steps = c->len - c->pos >= 32 ? cur64(c) : 0;
	mc.evac_moved = c->len - c->pos >= 24 ? cur64(c) : 0;
	mc.evac_ns = c->len - c->pos >= 16 ? cur64(c) : 0;
	mc.evac_max_ns = c->len - c->pos >= 8 ? cur64(c) : 0;
	note_ts(r, ts);
	return sink__counts(r->sink, map, &mc);
}

static int on_name(struct reader *r, struct cur *c)
{
	char name[MT_NAME_MAX];
	__u64 map = cur64(c);

	cur_str(c, name, sizeof(name));
	if (c->bad)
		return malformed(r, TR_NAME, "too short");
	return sink__name_map(r->sink, map, name);
}

static int on_go_type(struct reader *r, struct cur *c)
{
	char type[1024]; /* Go names its types in full: map[string]*pkg/path.T */
	__u64 map = cur64(c);

	cur_str(c, type, sizeof(type));
	if (c->bad)
		return malformed(r, TR_GO_TYPE, "too short");
	return sink__go_type(r->sink, map, type);
}

static int on_lock_alias(struct reader *r, struct cur *c)
{
	char name[MT_NAME_MAX];
	__u64 word = cur64(c), lock = cur64(c);

	cur_str(c, name, sizeof(name));
	if (c->bad)
		return malformed(r, TR_LOCK_ALIAS, "too short");
	return sink__alias_lock(r->sink, word, lock, name);
}

static int on_drops(struct reader *r, struct cur *c)
{
	__u64 dropped[MT_DROP_MAX] = {0}, ts = cur64(c);
	size_t n;

	if (c->bad || (c->len - c->pos) % 8)
		return malformed(r, TR_DROPS, "not a list of counters");
	n = (c->len - c->pos) / 8;
	/* counters an older writer did not have stay 0; newer ones are ignored */
	for (size_t i = 0; i < n && i < MT_DROP_MAX; i++)
		dropped[i] = cur64(c);
	note_ts(r, ts);
	return sink__dropped(r->sink, dropped);
}

static int on_lib_counts(struct reader *r, struct cur *c)
{
	__u64 ts = cur64(c), map = cur64(c), v[13] = {0};
	struct mt_ev_lib_counts lc;

	/* ten counters; an evacuation's three after them from files that have them */
	for (size_t i = 0; i < ARRAY_SIZE(v) && (i < 10 || c->len - c->pos >= 8); i++)
		v[i] = cur64(c);
	if (c->bad)
		return malformed(r, TR_LIB_COUNTS, "too short");
	lc = (struct mt_ev_lib_counts){v[0], v[1], v[2], v[3],	v[4],  v[5], v[6],
				       v[7], v[8], v[9], v[10], v[11], v[12]};
	note_ts(r, ts);
	return sink__lib_counts(r->sink, map, &lc);
}

static int on_end(struct reader *r, struct cur *c)
{
	struct run_info *info = &r->info;
	__u64 end = cur64(c), events;
	__u32 flags = cur32(c);

	cur32(c);
	events = cur64(c);
	cur64(c); /* stacks */
	if (c->bad)
		return malformed(r, TR_END, "too short");
	info->end_mono_ns = end;
	info->target_exited = flags & END_F_TARGET_EXITED;
	r->have_end_counts = true;
	r->end_events = events;
	return sink__end(r->sink, info);
}

static int read_header(struct reader *r)
{
	struct trace_read_status *st = r->st;
	unsigned char h[TRACE_HDR_MAX];
	__u32 bom, version, size, abi;
	size_t n = read_some(r, h, TRACE_HDR_SIZE);

	if (ferror(r->f)) {
		say(st, "cannot read: %s", strerror(errno));
		return errno ? -errno : -EIO;
	}
	if (!n) {
		say(st, "empty file (0 bytes): maptrace stopped before writing anything");
		return -ENODATA;
	}
	if (memcmp(h, TRACE_MAGIC, n < TRACE_MAGIC_LEN ? n : TRACE_MAGIC_LEN)) {
		say(st, "not a maptrace trace (bad magic)");
		return -EINVAL;
	}
	if (n >= 12) {
		bom = get32(h + 8);
		if (bom == __builtin_bswap32(TRACE_BYTE_ORDER)) {
			say(st,
			    "written on a machine of the other byte order (%s-endian); this "
			    "maptrace reads %s-endian traces",
			    __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? "big" : "little",
			    __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? "little" : "big");
			return -EPROTO;
		}
		if (bom != TRACE_BYTE_ORDER) {
			say(st, "not a maptrace trace (bad byte-order mark 0x%08x)", bom);
			return -EINVAL;
		}
	}
	if (n >= 16) {
		version = get32(h + 12);
		if (!version) {
			say(st, "corrupt file header (format version 0)");
			return -EINVAL;
		}
		if (version > TRACE_VERSION) {
			say(st,
			    "trace format version %u is newer than this maptrace reads (%u); "
			    "report it with a newer maptrace",
			    version, TRACE_VERSION);
			return -EPROTO;
		}
	}
	if (n < TRACE_HDR_SIZE) {
		say(st, "file ends inside its header (%zu of %d bytes): nothing was recorded", n,
		    TRACE_HDR_SIZE);
		return -ENODATA;
	}
	size = get32(h + 16);
	if (size < TRACE_HDR_SIZE || size > TRACE_HDR_MAX || size % 8) {
		say(st, "corrupt file header (header size %u)", size);
		return -EINVAL;
	}
	n += read_some(r, h + TRACE_HDR_SIZE, size - TRACE_HDR_SIZE);
	if (n < size) {
		say(st, "file ends inside its header (%zu of %u bytes): nothing was recorded", n,
		    size);
		return -ENODATA;
	}
	if (CHECK_CRC && get32(h + TRACE_HDR_CRC_OFF) != header_crc(h, size)) {
		say(st, "corrupt file header (bad checksum)");
		return -EINVAL;
	}
	abi = get32(h + 20);
	if (!abi) {
		say(st, "corrupt file header (record ABI 0)");
		return -EINVAL;
	}
	if (abi > MT_ABI_VERSION) {
		say(st, "trace records use ABI %u, newer than this maptrace reads (%u)", abi,
		    MT_ABI_VERSION);
		return -EPROTO;
	}
	r->off = size;
	st->stop_offset = size;
	return 0;
}

/* One record at r->off.  Return: 0 to go on, STOP (st->why says why), or -ENOMEM. */
static int read_record(struct reader *r, bool *end)
{
	struct trace_read_status *st = r->st;
	unsigned char rh[REC_HDR_SIZE];
	__u32 type, size, len;
	size_t n = read_some(r, rh, sizeof(rh));
	struct cur c;
	int err;

	if (n < sizeof(rh)) {
		if (ferror(r->f)) {
			say(st, "read error at byte %llu: %s", (unsigned long long)r->off,
			    strerror(errno));
			return STOP;
		}
		st->truncated = true;
		if (!n)
			say(st,
			    "trace ends at byte %llu without an end record (maptrace was "
			    "killed, or is still writing)",
			    (unsigned long long)r->off);
		else
			say(st, "truncated record at byte %llu (header needs %zu bytes, %zu left)",
			    (unsigned long long)r->off, sizeof(rh), n);
		return STOP;
	}
	type = get32(rh);
	size = get32(rh + 4);
	len = get32(rh + 12);
	if (size < REC_HDR_SIZE || size % 8 || size > TRACE_MAX_RECORD ||
	    len > size - REC_HDR_SIZE || size - REC_HDR_SIZE - len >= 8) {
		say(st, "corrupt record header at byte %llu (type %u, size %u, length %u)",
		    (unsigned long long)r->off, type, size, len);
		return STOP;
	}
	if (size - REC_HDR_SIZE > r->cap) {
		void *b = realloc(r->buf, size - REC_HDR_SIZE);

		if (!b)
			return -ENOMEM;
		r->buf = b;
		r->cap = size - REC_HDR_SIZE;
	}
	n = read_some(r, r->buf, size - REC_HDR_SIZE);
	if (n < size - REC_HDR_SIZE) {
		if (ferror(r->f)) {
			say(st, "read error at byte %llu: %s", (unsigned long long)r->off,
			    strerror(errno));
			return STOP;
		}
		st->truncated = true;
		say(st, "truncated record at byte %llu (header says %u bytes, %zu left)",
		    (unsigned long long)r->off, size, n + REC_HDR_SIZE);
		return STOP;
	}
	if (CHECK_CRC && get32(rh + 8) != rec_crc(rh, r->buf, size - REC_HDR_SIZE)) {
		say(st,
		    "bad checksum in record at byte %llu (type %s, %u bytes): the file is "
		    "corrupt from there on",
		    (unsigned long long)r->off, rec_name(type), size);
		return STOP;
	}
	c = (struct cur){.p = r->buf, .len = len};
	switch (type) {
	case TR_META:
		err = on_meta(r, &c);
		break;
	case TR_STACK:
		err = on_stack(r, &c);
		break;
	case TR_EVENT:
		err = on_event(r, &c);
		break;
	case TR_COUNTS:
		err = on_counts(r, &c);
		break;
	case TR_DROPS:
		err = on_drops(r, &c);
		break;
	case TR_NAME:
		err = on_name(r, &c);
		break;
	case TR_LOCK_ALIAS:
		err = on_lock_alias(r, &c);
		break;
	case TR_GO_TYPE:
		err = on_go_type(r, &c);
		break;
	case TR_LIB_COUNTS:
		err = on_lib_counts(r, &c);
		break;
	case TR_END:
		err = on_end(r, &c);
		*end = !err;
		break;
	default:
		/* a record type from a newer maptrace: its size says how much to skip */
		st->skipped++;
		err = 0;
		break;
	}
	if (err)
		return err;
	st->records++;
	r->off += size;
	st->stop_offset = r->off;
	return 0;
}

/* "interrupted by SIGINT at byte N of M": how far a read the user gave up on had come. */
static void say_interrupted(struct reader *r, int sig)
{
	const char *name = sig > 0 ? sigabbrev_np(sig) : NULL;

	say(r->st, "interrupted by %s%s at byte %llu of %llu", name ? "SIG" : "",
	    name ? name : "a signal", (unsigned long long)r->off, (unsigned long long)r->size);
}

int trace_reader__load(const char *path, const struct sink *sink, volatile sig_atomic_t *stop,
		       struct trace_read_status *st)
{
	struct reader r = {.sink = sink, .st = st};
	struct run_info *info = &r.info;
	char why[sizeof(st->why)];
	bool end = false;
	int fd, err;

	memset(st, 0, sizeof(*st));
	fd = readfile__open(path, &r.size, why, sizeof(why));
	if (fd == -EISDIR || fd == -EINVAL) {
		say(st, "%s; give a trace file written by maptrace -o FILE", why);
		return fd;
	}
	if (fd < 0) {
		say(st, "cannot open: %s", why);
		return fd;
	}
	r.f = fdopen(fd, "rb");
	if (!r.f) {
		err = -errno;
		say(st, "cannot open: %s", strerror(-err));
		close(fd);
		return err;
	}
	r.ev = malloc(0x10000); /* a ring-buffer record's size is a __u16 */
	if (!r.ev) {
		err = -ENOMEM;
		goto cleanup;
	}
	err = read_header(&r);
	if (err)
		goto cleanup;
	/* a report of a huge file that the user gave up on ends at the next record */
	while (!end) {
		if (stop && *stop) {
			say_interrupted(&r, *stop);
			err = -EINTR;
			goto cleanup;
		}
		err = read_record(&r, &end);
		if (err)
			break;
	}
	if (err < 0) {
		say(st, "out of memory reading the record at byte %llu", (unsigned long long)r.off);
		goto cleanup;
	}
	err = 0;
	st->complete = end;
	if (end) {
		unsigned char extra;

		if (r.have_end_counts && r.end_events != st->events + r.ring_unknown)
			say(st, "the end record counts %llu events but %llu were read",
			    (unsigned long long)r.end_events,
			    (unsigned long long)(st->events + r.ring_unknown));
		else if (read_some(&r, &extra, 1))
			say(st, "data after the end record at byte %llu ignored",
			    (unsigned long long)r.off);
	} else if (!info->end_mono_ns && r.last_ts > info->start_mono_ns) {
		/* without its end record, the trace lasted at least until its last event */
		info->end_mono_ns = r.last_ts;
		err = sink__end(sink, info);
		if (err)
			goto cleanup;
	}
cleanup:
	if (err == -ENOMEM && !st->why[0])
		say(st, "out of memory");
	fclose(r.f);
	free(r.buf);
	free(r.ev);
	free(r.stack_of);
	return err;
}
