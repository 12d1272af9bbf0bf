// SPDX-License-Identifier: MIT
/* Trace file writer: -o FILE.  The format is trace_format.h, documented in docs/trace-format.md. */
#define _GNU_SOURCE /* mkostemp() */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "mt_event.h"
#include "sink.h"
#include "trace_file.h"
#include "trace_format.h"

/* ---------------------------------------------------------------------------------------- */
/* writer */

struct trace_writer {
	int fd;
	int err; /* the first write error: sticky, the file is incomplete from there */
	bool ended;
	bool capped;	    /* max_size reached: the END record is written, nothing more is */
	bool committed;	    /* trace_writer__commit(): the file is at path, for good */
	char *path;	    /* where the trace goes */
	char *tmp;	    /* --force over a file: written here until committed; else NULL */
	__u64 written;	    /* bytes in the file, whole records only: a failed write is cut off */
	__u64 max_size;	    /* 0, or the size the file may not pass, its END record included */
	bool meta_written;  /* the sink wrote the metadata (trace_writer__sink()) */
	unsigned char *buf; /* WBUF_SIZE bytes of whole records */
	size_t len;
	unsigned char *big; /* a record larger than buf, written on its own */
	size_t big_cap;
	unsigned char *rec; /* the record being built: in buf or big */
	size_t rec_size;
	__u8 *stack_written; /* model stack index -> written */
	size_t stack_cap;
	__u64 last_flush_ns;
	__u64 events;
	__u64 stacks;
};

static int write_all(int fd, const unsigned char *p, size_t n)
{
	while (n) {
		ssize_t k = write(fd, p, n);

		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (k == 0)
			return -EIO;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

/* Write @n bytes of whole records; the first failure sticks. */
static int writer_write(struct trace_writer *w, const unsigned char *p, size_t n)
{
	int err = write_all(w->fd, p, n);

	if (!err) {
		w->written += n;
		return 0;
	}
	w->err = err;
	/* cut what part of the records did fit: a reader then sees the file end between two
	 * records, not inside one, and a full disk gets those pages back */
	if (ftruncate(w->fd, (off_t)w->written)) {
		/* the write error is the one to report; the reader copes with a cut record */
	}
	return err;
}

static int writer_flush(struct trace_writer *w)
{
	int err;

	if (w->err)
		return w->err;
	w->last_flush_ns = clock_ns(CLOCK_MONOTONIC_COARSE);
	if (!w->len)
		return 0;
	err = writer_write(w, w->buf, w->len);
	w->len = 0;
	return err;
}

static int writer_cap(struct trace_writer *w);

/*
 * Start a record of @type with @len payload bytes; return the zeroed payload to fill, or NULL
 * with the error in *@errp.  rec_commit() seals it.
 */
static unsigned char *rec_begin(struct trace_writer *w, __u32 type, size_t len, int *errp)
{
	size_t size = (REC_HDR_SIZE + len + 7) & ~(size_t)7;
	unsigned char *rec;

	*errp = w->err;
	if (w->err)
		return NULL;
	if (w->capped) {
		*errp = -EFBIG;
		return NULL;
	}
	if (w->ended) {
		*errp = -EINVAL;
		return NULL;
	}
	if (size > TRACE_MAX_RECORD) {
		*errp = -E2BIG;
		return NULL;
	}
	/* every record leaves room for the END record, so a capped file is a complete one */
	if (w->max_size && type != TR_END && w->written + w->len + size + END_SIZE > w->max_size) {
		*errp = writer_cap(w);
		return NULL;
	}
	if (w->len + size > WBUF_SIZE) {
		*errp = writer_flush(w);
		if (*errp)
			return NULL;
	}
	if (size <= WBUF_SIZE) {
		rec = w->buf + w->len;
	} else {
		if (size > w->big_cap) {
			void *n = realloc(w->big, size);

			if (!n) {
				*errp = -ENOMEM;
				return NULL;
			}
			w->big = n;
			w->big_cap = size;
		}
		rec = w->big;
	}
	memset(rec, 0, size);
	put32(rec, type);
	put32(rec + 4, (__u32)size);
	put32(rec + 12, (__u32)len);
	w->rec = rec;
	w->rec_size = size;
	return rec + REC_HDR_SIZE;
}

static int rec_commit(struct trace_writer *w)
{
	int err = 0;

	put32(w->rec + 8, rec_crc(w->rec, w->rec + REC_HDR_SIZE, w->rec_size - REC_HDR_SIZE));
	if (w->rec == w->big) {
		/* buf was flushed to make room in rec_begin(): order is kept */
		err = writer_write(w, w->big, w->rec_size);
	} else {
		w->len += w->rec_size;
	}
	w->rec = NULL;
	if (!err && clock_ns(CLOCK_MONOTONIC_COARSE) - w->last_flush_ns >= FLUSH_NS)
		err = writer_flush(w);
	return err;
}

static void writer_free(struct trace_writer *w)
{
	free(w->buf);
	free(w->big);
	free(w->stack_written);
	free(w->path);
	free(w->tmp);
	free(w);
}

int trace_writer__open(const char *path, bool force, struct trace_writer **out)
{
	struct trace_writer *w;
	unsigned char *h;
	struct stat st;
	bool replace = false;
	int fd = -1, err;

	*out = NULL;
	if (!lstat(path, &st)) {
		if (S_ISLNK(st.st_mode))
			return -ELOOP;
		if (!force)
			return -EEXIST;
		if (S_ISDIR(st.st_mode))
			return -EISDIR;
		if (!S_ISREG(st.st_mode))
			return -EINVAL;
		replace = true;
	} else if (errno != ENOENT) {
		return -errno;
	}
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->path = strdup(path);
	w->buf = malloc(WBUF_SIZE);
	if (replace && w->path) {
		size_t n = strlen(path) + sizeof(".XXXXXX");

		w->tmp = malloc(n);
		if (w->tmp)
			snprintf(w->tmp, n, "%s.XXXXXX", path);
	}
	if (!w->path || !w->buf || (replace && !w->tmp)) {
		writer_free(w);
		return -ENOMEM;
	}
	if (replace) {
		/*
		 * The old file stays until this trace is worth keeping (trace_writer__commit()):
		 * a run that fails to start leaves it as it was.  A new name beside it, created
		 * with O_EXCL (mkostemp), and renamed over it then: neither the old file's owner,
		 * its mode nor its other hard links carry over.
		 */
		fd = mkostemp(w->tmp, O_CLOEXEC);
	} else {
		/* O_EXCL|O_NOFOLLOW: what appeared at @path since lstat() is neither opened nor
		 * followed */
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	}
	if (fd < 0) {
		err = -errno;
		if (err == -EEXIST && !lstat(path, &st) && S_ISLNK(st.st_mode))
			err = -ELOOP;
		writer_free(w);
		return err;
	}
	w->fd = fd;
	/* the umask may have taken the owner's bits: traces show command lines, so 0600 exactly */
	if (fchmod(fd, 0600)) {
		err = -errno;
		goto cleanup;
	}
	h = w->buf;
	memset(h, 0, TRACE_HDR_SIZE);
	memcpy(h, TRACE_MAGIC, TRACE_MAGIC_LEN);
	put32(h + 8, TRACE_BYTE_ORDER);
	put32(h + 12, TRACE_VERSION);
	put32(h + 16, TRACE_HDR_SIZE);
	put32(h + 20, MT_ABI_VERSION);
	put32(h + 24, 0); /* flags */
	put32(h + TRACE_HDR_CRC_OFF, header_crc(h, TRACE_HDR_SIZE));
	w->len = TRACE_HDR_SIZE;
	/* on disk at once: a file that exists is a valid (if empty) trace */
	err = writer_flush(w);
	if (err)
		goto cleanup;
	*out = w;
	return 0;
cleanup:
	unlink(w->tmp ?: path);
	close(fd);
	writer_free(w);
	return err;
}

int trace_writer__set_max_size(struct trace_writer *w, __u64 bytes)
{
	if (bytes && bytes < TRACE_MAX_SIZE_MIN)
		return -EINVAL;
	w->max_size = bytes;
	return 0;
}

__u64 trace_writer__bytes(const struct trace_writer *w)
{
	return w->written;
}

int trace_writer__commit(struct trace_writer *w)
{
	struct stat st;

	if (w->committed)
		return 0;
	if (w->tmp) {
		/* what --force replaces is still a file, not a link or a directory put there since
		 * (rename() would replace a link, though never follow it) */
		if (!lstat(w->path, &st) && !S_ISREG(st.st_mode)) {
			if (S_ISLNK(st.st_mode))
				return -ELOOP;
			return S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
		}
		if (rename(w->tmp, w->path))
			return -errno;
		free(w->tmp);
		w->tmp = NULL;
	}
	w->committed = true;
	return 0;
}

void trace_writer__discard(struct trace_writer *w)
{
	const char *name;
	struct stat mine, there;

	if (!w)
		return;
	name = w->tmp ?: w->path;
	/* only the file this writer made: not one someone put at the name since */
	if (!fstat(w->fd, &mine) && !lstat(name, &there) && mine.st_dev == there.st_dev &&
	    mine.st_ino == there.st_ino)
		unlink(name);
	close(w->fd);
	writer_free(w);
}

int trace_writer__meta(struct trace_writer *w, const struct run_info *info)
{
	const char *strs[META_STRINGS] = {info->comm,	info->cmdline, info->hostname,
					  info->kernel, info->version, info->libraries,
					  info->unmade};
	const size_t max[META_STRINGS] = {sizeof(info->comm),	  sizeof(info->cmdline),
					  sizeof(info->hostname), sizeof(info->kernel),
					  sizeof(info->version),  sizeof(info->libraries),
					  sizeof(info->unmade)};
	size_t len = META_FIXED;
	unsigned char *p;
	int err;

	for (int i = 0; i < META_STRINGS; i++)
		len += 4 + str_len(strs[i], max[i]);
	p = rec_begin(w, TR_META, len, &err);
	if (!p)
		return err;
	p = put32(p, META_FIXED);
	p = put32(p, (__u32)info->pid);
	p = put64(p, info->start_wall_ns);
	p = put64(p, info->start_mono_ns);
	p = put32(p, info->library_found ? META_F_LIBRARY_FOUND : 0);
	p = put32(p, META_STRINGS);
	for (int i = 0; i < META_STRINGS; i++)
		p = put_str(p, strs[i], max[i]);
	return rec_commit(w);
}

int trace_writer__stack(struct trace_writer *w, int idx, const struct mt_stack *s)
{
	size_t len = STACK_FIXED;
	unsigned char *p;
	int err;

	if (idx < 0 || idx >= TRACE_MAX_STACKS || !s || s->nframes < 0 ||
	    (s->nframes && !s->frames))
		return -EINVAL;
	if ((size_t)idx < w->stack_cap && w->stack_written[idx])
		return 0;
	for (int i = 0; i < s->nframes; i++) {
		const struct mt_frame *f = &s->frames[i];

		len += FRAME_FIXED + 4 * FRAME_STRINGS + str_len(f->func, TRACE_MAX_STR) +
		       str_len(f->module, TRACE_MAX_STR) + str_len(f->build_id, TRACE_MAX_STR) +
		       str_len(f->file, TRACE_MAX_STR);
		if (len > TRACE_MAX_RECORD)
			return -E2BIG;
	}
	if ((size_t)idx >= w->stack_cap) {
		size_t cap = w->stack_cap ? w->stack_cap : 256;
		void *n;

		while (cap <= (size_t)idx)
			cap *= 2;
		n = realloc(w->stack_written, cap);
		if (!n)
			return -ENOMEM;
		memset((__u8 *)n + w->stack_cap, 0, cap - w->stack_cap);
		w->stack_written = n;
		w->stack_cap = cap;
	}
	p = rec_begin(w, TR_STACK, len, &err);
	if (!p)
		return err;
	p = put32(p, (__u32)idx);
	p = put32(p, (__u32)s->nframes);
	p = put32(p, FRAME_FIXED);
	p = put32(p, FRAME_STRINGS);
	for (int i = 0; i < s->nframes; i++) {
		const struct mt_frame *f = &s->frames[i];

		p = put64(p, f->ip);
		p = put64(p, f->offset);
		p = put32(p, f->line);
		p = put32(p, f->exact);
		p = put_str(p, f->func, TRACE_MAX_STR);
		p = put_str(p, f->module, TRACE_MAX_STR);
		p = put_str(p, f->build_id, TRACE_MAX_STR);
		p = put_str(p, f->file, TRACE_MAX_STR);
	}
	err = rec_commit(w);
	if (err)
		return err;
	w->stack_written[idx] = 1;
	w->stacks++;
	return 0;
}

int trace_writer__record(struct trace_writer *w, const struct mt_hdr *rec, int stack)
{
	unsigned char *p;
	int err;

	if (!rec || rec->size < sizeof(*rec))
		return -EINVAL;
	if (stack < 0)
		stack = -1;
	else if ((size_t)stack >= w->stack_cap || !w->stack_written[stack])
		return -EINVAL; /* the reader would not know the stack: write it first */
	p = rec_begin(w, TR_EVENT, EVENT_FIXED + rec->size, &err);
	if (!p)
		return err;
	p = put32(p, (__u32)stack);
	p = put32(p, rec->size);
	memcpy(p, rec, rec->size);
	err = rec_commit(w);
	if (!err)
		w->events++;
	return err;
}

int trace_writer__counts(struct trace_writer *w, __u64 map, const struct mt_map_counts *c)
{
	unsigned char *p;
	int err;

	p = rec_begin(w, TR_COUNTS, COUNTS_LEN, &err);
	if (!p)
		return err;
	p = put64(p, clock_ns(CLOCK_MONOTONIC));
	p = put64(p, map);
	p = put64(p, c->inserts);
	p = put64(p, c->deletes);
	p = put64(p, c->sync_hits);
	p = put64(p, c->sync_misses);
	p = put64(p, c->lookups);
	p = put64(p, c->lib);
	p = put64(p, c->evac_steps);
	p = put64(p, c->evac_moved);
	p = put64(p, c->evac_ns);
	put64(p, c->evac_max_ns);
	return rec_commit(w);
}

int trace_writer__name(struct trace_writer *w, __u64 map, const char *name)
{
	unsigned char *p;
	int err;

	p = rec_begin(w, TR_NAME, 8 + 4 + str_len(name, TRACE_MAX_STR), &err);
	if (!p)
		return err;
	p = put64(p, map);
	put_str(p, name, TRACE_MAX_STR);
	return rec_commit(w);
}

int trace_writer__go_type(struct trace_writer *w, __u64 map, const char *type)
{
	unsigned char *p;
	int err;

	p = rec_begin(w, TR_GO_TYPE, 8 + 4 + str_len(type, TRACE_MAX_STR), &err);
	if (!p)
		return err;
	p = put64(p, map);
	put_str(p, type, TRACE_MAX_STR);
	return rec_commit(w);
}

int trace_writer__lock_alias(struct trace_writer *w, __u64 word, __u64 lock, const char *name)
{
	unsigned char *p;
	int err;

	p = rec_begin(w, TR_LOCK_ALIAS, 8 + 8 + 4 + str_len(name, TRACE_MAX_STR), &err);
	if (!p)
		return err;
	p = put64(p, word);
	p = put64(p, lock);
	put_str(p, name, TRACE_MAX_STR);
	return rec_commit(w);
}

int trace_writer__lib_counts(struct trace_writer *w, __u64 map, const struct mt_ev_lib_counts *c)
{
	const __u64 v[] = {c->inserts,	c->deletes, c->count,	       c->evacuated, c->moved,
			   c->lookups,	c->grow_ns, c->evac_ns,	       c->hits,	     c->misses,
			   c->evac_pos, c->evac_of, c->evac_elapsed_ns};
	unsigned char *p;
	int err;

	p = rec_begin(w, TR_LIB_COUNTS, LIB_COUNTS_LEN, &err);
	if (!p)
		return err;
	p = put64(p, clock_ns(CLOCK_MONOTONIC));
	p = put64(p, map);
	for (size_t i = 0; i < ARRAY_SIZE(v); i++)
		p = put64(p, v[i]);
	return rec_commit(w);
}

int trace_writer__drops(struct trace_writer *w, const __u64 dropped[MT_DROP_MAX])
{
	unsigned char *p;
	int err;

	p = rec_begin(w, TR_DROPS, DROPS_FIXED + MT_DROP_MAX * 8, &err);
	if (!p)
		return err;
	p = put64(p, clock_ns(CLOCK_MONOTONIC));
	for (int i = 0; i < MT_DROP_MAX; i++)
		p = put64(p, dropped[i]);
	return rec_commit(w);
}

static int write_end(struct trace_writer *w, __u64 end_mono_ns, __u32 flags)
{
	unsigned char *p;
	int err;

	p = rec_begin(w, TR_END, END_LEN, &err);
	if (!p)
		return err;
	p = put64(p, end_mono_ns);
	p = put32(p, flags);
	p = put32(p, 0);
	p = put64(p, w->events);
	put64(p, w->stacks);
	err = rec_commit(w);
	w->ended = true;
	return err ?: writer_flush(w);
}

/*
 * The next record would take the file past max_size: end the file now, complete, with the
 * time recording stopped (what it holds ends there, not where the run ends).
 */
static int writer_cap(struct trace_writer *w)
{
	int err = write_end(w, clock_ns(CLOCK_MONOTONIC), END_F_MAX_SIZE);

	w->capped = true;
	return err ?: -EFBIG;
}

int trace_writer__end(struct trace_writer *w, const struct run_info *info)
{
	/* --max-size ended the file already */
	if (w->capped && !w->err)
		return 0;
	return write_end(w, info->end_mono_ns, info->target_exited ? END_F_TARGET_EXITED : 0);
}

int trace_writer__flush(struct trace_writer *w)
{
	return writer_flush(w);
}

/* The writer as a sink: each call writes its record. */
static int sink_info(void *ctx, const struct run_info *info)
{
	struct trace_writer *w = ctx;

	/* the file keeps the metadata of the start; the END record has the end's */
	if (w->meta_written)
		return 0;
	w->meta_written = true;
	return trace_writer__meta(w, info);
}

static int sink_stack(void *ctx, int idx, const struct mt_frame *frames, int nframes)
{
	struct mt_stack s = { .nframes = nframes, .frames = (struct mt_frame *)frames };
	int err;

	/* the writer keeps no stack table: it records the numbers the model gave */
	if (idx < 0)
		return -EINVAL;
	err = trace_writer__stack(ctx, idx, &s);
	return err ? err : idx;
}

static int sink_event(void *ctx, const struct mt_hdr *rec, const struct mt_event *ev, int stack)
{
	(void)ev;
	return trace_writer__record(ctx, rec, stack);
}

static int sink_name_map(void *ctx, __u64 map, const char *name)
{
	return trace_writer__name(ctx, map, name);
}

static int sink_go_type(void *ctx, __u64 map, const char *type)
{
	return trace_writer__go_type(ctx, map, type);
}

static int sink_alias_lock(void *ctx, __u64 word, __u64 lock, const char *name)
{
	return trace_writer__lock_alias(ctx, word, lock, name);
}

static int sink_counts(void *ctx, __u64 map, const struct mt_map_counts *c)
{
	return trace_writer__counts(ctx, map, c);
}

static int sink_lib_counts(void *ctx, __u64 map, const struct mt_ev_lib_counts *c)
{
	return trace_writer__lib_counts(ctx, map, c);
}

static int sink_dropped(void *ctx, const __u64 dropped[MT_DROP_MAX])
{
	/* the loss counters come with every sync, at least once a second: flush with them */
	return trace_writer__drops(ctx, dropped) ?: trace_writer__flush(ctx);
}

static int sink_end(void *ctx, const struct run_info *info)
{
	return trace_writer__end(ctx, info);
}

static const struct sink_ops writer_sink_ops = {
	.info = sink_info,
	.stack = sink_stack,
	.event = sink_event,
	.name_map = sink_name_map,
	.go_type = sink_go_type,
	.alias_lock = sink_alias_lock,
	.counts = sink_counts,
	.lib_counts = sink_lib_counts,
	.dropped = sink_dropped,
	.end = sink_end,
};

void trace_writer__sink(struct trace_writer *w, struct sink *out)
{
	*out = (struct sink){ .ops = &writer_sink_ops, .ctx = w };
}

int trace_writer__close(struct trace_writer *w)
{
	int err, e;

	if (!w)
		return 0;
	err = writer_flush(w);
	/* a caller that neither committed nor discarded keeps the trace */
	e = trace_writer__commit(w);
	if (!err)
		err = e;
	if (close(w->fd) && !err)
		err = -errno;
	writer_free(w);
	return err;
}
