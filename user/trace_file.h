/* SPDX-License-Identifier: MIT */
/*
 * Trace files (-o FILE, maptrace report FILE): everything a report needs, recorded so that
 * another machine rebuilds exactly the model the live run had.  The format is described in
 * docs/trace-format.md: a header whose magic reveals byte order, then size-prefixed, typed,
 * checksummed records.
 *
 * The writer is fed the same calls, in the same order, as the model: replaying the file calls
 * model__intern_stack(), model__add_record(), model__set_counts() and model__set_dropped() in
 * that order again, so the model (and every report built from it) comes out the same.
 */
#ifndef MT_TRACE_FILE_H
#define MT_TRACE_FILE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "maptrace.h"
#include "model.h"

struct sink;
/* The format version this maptrace writes and the newest it reads. */
#define TRACE_VERSION 1

struct trace_writer;

/* The smallest --max-size: the header, the largest META record and the END record fit. */
#define TRACE_MAX_SIZE_MIN 4096

/**
 * trace_writer__open() - create the trace file @path (mode 0600) and write its header.
 * @force: replace an existing regular file.  The new trace is written beside it (@path
 *	   followed by six random characters) and renamed over it by trace_writer__commit(),
 *	   so a run that never starts leaves the old file as it was, and neither its owner, its
 *	   mode nor its other hard links carry over.
 *
 * A symbolic link at @path is never followed nor replaced, with or without @force.  Call
 * trace_writer__commit() once the run is worth recording, or trace_writer__discard() when it
 * fails before that.
 * Return: 0 and the writer in *@out, or -EEXIST (a file exists and no @force), -ELOOP (@path
 * is a symbolic link), -EISDIR (a directory), -EINVAL (another kind of non-regular file), or
 * the -errno of the open/write that failed.
 */
int trace_writer__open(const char *path, bool force, struct trace_writer **out);

/**
 * trace_writer__commit() - the run started: the trace is kept at its path from now on (with
 * @force of trace_writer__open(), this is when it replaces the old file).  A second call does
 * nothing.
 * Return: 0, -ELOOP, -EISDIR or -EINVAL when something other than a regular file appeared at
 * the path since the open (it is left alone), or the -errno of rename(2).
 */
int trace_writer__commit(struct trace_writer *w);

/**
 * trace_writer__discard() - the run failed to start: remove the file this writer created
 * (never a file that someone put at its name since, nor the one @force would have replaced),
 * close and free.  NULL is allowed.
 */
void trace_writer__discard(struct trace_writer *w);

/**
 * trace_writer__set_max_size() - let the file grow to @bytes at most, 0 for no limit.  When
 * the next record would take it past @bytes less the END record, the writer ends the file
 * there with an END record whose end_mono_ns is the time recording stopped (flag
 * END_F_MAX_SIZE), so the file is complete; every later call returns -EFBIG.
 * Return: 0, or -EINVAL for @bytes below TRACE_MAX_SIZE_MIN.
 */
int trace_writer__set_max_size(struct trace_writer *w, __u64 bytes);

/** trace_writer__bytes() - bytes in the file now: whole records, flushed. */
__u64 trace_writer__bytes(const struct trace_writer *w);

/**
 * trace_writer__meta() - record the run metadata: pid, comm, cmdline, host name, kernel
 * release, maptrace version, start time (wall clock and monotonic), whether the map library
 * was found.  Call it once, after filling @info and before any other record.
 */
int trace_writer__meta(struct trace_writer *w, const struct run_info *info);

/**
 * trace_writer__stack() - record a symbolized stack under its model index @idx (from
 * model__intern_stack()).  Must come before the first record that uses @idx; a second call
 * for an index already written writes nothing and returns 0, so a caller may call it every
 * time it interns a stack.
 * Return: 0, -EINVAL for a negative or absurd index, -E2BIG for a stack too large for a
 * record, -EFBIG once the file reached its --max-size (trace_writer__set_max_size()), or a
 * write error.  The other trace_writer__*() record calls return the same -EFBIG.
 */
int trace_writer__stack(struct trace_writer *w, int idx, const struct mt_stack *s);

/**
 * trace_writer__record() - record one ring-buffer record verbatim (@rec->size bytes) and the
 * model stack index it was aggregated with (-1 for none).
 * Return: 0, -EINVAL when @rec->size is shorter than its header or @stack was never written
 * with trace_writer__stack(), or a write error.
 */
int trace_writer__record(struct trace_writer *w, const struct mt_hdr *rec, int stack);

/**
 * trace_writer__counts() - record a snapshot of core map @map's in-kernel counters (absolute,
 * summed over CPUs), as passed to model__set_counts().
 */
int trace_writer__counts(struct trace_writer *w, __u64 map, const struct mt_map_counts *c);

/**
 * trace_writer__name() - name the map now at @map (a profile map named after the data symbol a
 * pointer in it points to, e.g. Redis's dbDictType).  Written after the event that named it.
 */
int trace_writer__name(struct trace_writer *w, __u64 map, const char *name);

/** trace_writer__go_type() - the map now at @map is of Go type @type (sink op go_type). */
int trace_writer__go_type(struct trace_writer *w, __u64 map, const char *type);

/**
 * trace_writer__lock_alias() - futex waits on @word from here on are waits for the lock at
 * @lock, named @name (GLib's GRWLock: its waiters sleep in a pthread_rwlock_t it points to).
 * Written before the EVENT whose wait it attributes.
 */
int trace_writer__lock_alias(struct trace_writer *w, __u64 word, __u64 lock, const char *name);

/**
 * trace_writer__lib_counts() - record core map @map's own counters, read from the library's
 * struct in the target's memory, as passed to model__set_lib_counts().
 */
int trace_writer__lib_counts(struct trace_writer *w, __u64 map, const struct mt_ev_lib_counts *c);

/** trace_writer__drops() - record the kernel's loss counters (absolute). */
int trace_writer__drops(struct trace_writer *w, const __u64 dropped[MT_DROP_MAX]);

/**
 * trace_writer__end() - record the end of the run: @info->end_mono_ns and target_exited.
 * The reader reports a file without it as incomplete.  Nothing may be written after it.
 * Return: 0 (also when --max-size ended the file already), or a write error.
 */
int trace_writer__end(struct trace_writer *w, const struct run_info *info);

/**
 * trace_writer__flush() - write out buffered records.  The caller flushes at least once a
 * second, so a kill -9 loses at most the last second.  (Every call also flushes by itself
 * when the last flush is a second old.)  Write errors stick: once one happened, every later
 * call returns it.
 */
int trace_writer__flush(struct trace_writer *w);

/**
 * trace_writer__close() - flush, commit (unless discarded: see trace_writer__commit()), close
 * and free.  NULL is allowed.
 * Return: 0, or the first write/close error of the writer's life (the file is then incomplete;
 * reaching the --max-size is not an error), or the commit's.
 */
int trace_writer__close(struct trace_writer *w);

/**
 * trace_writer__sink() - the writer as a sink (sink.h): the first info writes the metadata
 * (later ones nothing), end the end record, dropped the loss counters and a flush; the others
 * their records.  It numbers no stacks: put it second in a tee, after the model.  Its ops
 * return what the trace_writer__*() calls return: -EFBIG at the --max-size, write errors.
 */
void trace_writer__sink(struct trace_writer *w, struct sink *out);

/* What trace_reader__load() saw. */
struct trace_read_status {
	__u64 bytes;	   /* bytes read from the file */
	__u64 records;	   /* whole, valid records read (of every type) */
	__u64 events;	   /* ring-buffer records handed to the model */
	__u64 skipped;	   /* records of types this maptrace does not know, skipped */
	bool complete;	   /* the end record was read */
	bool truncated;	   /* the file ends before its end record (killed, still written, cut) */
	__u64 stop_offset; /* where reading stopped: end of the last record used */
	char why[160];	   /* why it stopped, with the byte offset; "" when complete and clean */
};

/**
 * trace_reader__load() - replay the trace file @path into @sink (normally a fresh model's:
 * model__sink(); call model__keep_events() first if the backend needs events).  Every
 * ring-buffer record is decoded (mt_event_decode()) before it reaches the sink.
 * @stop: when *@stop becomes non-zero (the number of the signal that arrived, as run__live()'s),
 *	reading stops at the next record; may be NULL.
 *
 * Only a regular file is read, and no further than the size it had when opened: a FIFO, a
 * device or a /proc file is refused before any read could wait on it or never end.
 *
 * A file that ends early or is corrupt from some record on is read up to its last whole,
 * valid record: the sink then got that prefix, @st->complete is false, @st->truncated tells an
 * early end from corruption, and @st->why says where and why reading stopped (print it as a
 * warning).  When the end record is missing, the sink's end is called with end_mono_ns taken
 * from the last timestamp seen.
 *
 * @st->why never repeats @path: print it as "maptrace: FILE: why".
 *
 * Return: 0 when the file could be read, possibly partially; or, with @st->why saying it in
 * words and @sink not called: -ENOENT and the like (cannot open), -EISDIR (a directory),
 * -EINVAL (not a regular file, a /proc file, or not a maptrace trace: bad magic, corrupt
 * header), -ENODATA (zero-length file, or it ends inside its header), -EPROTO (a newer format
 * version or record ABI, or written on a machine of the other byte order); or, with @st->why
 * set and the sink possibly holding part of the file: -EINTR (*@stop became non-zero), -ENOMEM.
 */
int trace_reader__load(const char *path, const struct sink *sink, volatile sig_atomic_t *stop,
		       struct trace_read_status *st);

#endif /* MT_TRACE_FILE_H */
