/* SPDX-License-Identifier: MIT */
/*
 * The files maptrace is given to read (--profile FILE, maptrace report FILE): regular files on
 * a disk-like file system, nothing else.  A FIFO blocks its open and its reads until a writer
 * comes, a device such as /dev/zero never ends, a /proc or /sys file says it has 0 bytes and is
 * made as it is read: each is refused, before anything waits on it or reads it, with a phrase
 * naming what it is.  The caller says what to give instead.
 */
#ifndef MT_READFILE_H
#define MT_READFILE_H

#include <stddef.h>
#include <linux/types.h>

/**
 * readfile__open() - open @path for reading, never waiting on it.
 * @path: the file.
 * @size: receives its size as it was opened.
 * @why: receives, on failure, what is wrong in a few words: "not a regular file (a FIFO)",
 *	"a /proc file, made by the kernel as it is read", or strerror()'s text.
 * @whylen: room in @why.
 *
 * A device is refused before it is opened (an open may rewind a tape); the check is repeated on
 * the opened file, which O_NONBLOCK kept from waiting should it have become a FIFO meanwhile.
 * Return: a file descriptor (close-on-exec, blocking), or a negative errno: open(2)'s and
 * stat(2)'s, -EISDIR for a directory, -EINVAL for any other file that is not a regular one on
 * a disk-like file system.
 */
int readfile__open(const char *path, __u64 *size, char *why, size_t whylen);

/**
 * readfile__all() - the whole of file @path, when it is a regular file of 1 to @max bytes.
 * @path: the file.
 * @max: the most bytes it may have; no more than @max + 1 are ever read, even from a file
 *	that grows while it is read.
 * @out: receives the bytes and a NUL after them; free() it.
 * @len: receives their number.
 * @why: receives, on failure, what is wrong in a few words (as readfile__open()'s, or
 *	"empty (0 bytes)", "too large (N bytes)").
 * @whylen: room in @why.
 *
 * Return: 0, or a negative errno: readfile__open()'s, -ENODATA for an empty file, -EFBIG for
 * one over @max bytes, -ENOMEM, or a read's.
 */
int readfile__all(const char *path, size_t max, char **out, size_t *len, char *why, size_t whylen);

#endif /* MT_READFILE_H */
