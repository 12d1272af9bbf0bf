/* SPDX-License-Identifier: MIT */
/* A small u64 -> u64 hash table (open addressing), for addresses and indexes in user space. */
#ifndef MT_U64MAP_H
#define MT_U64MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

/* Zero-initialised is empty.  A key of 0 is kept aside, since 0 marks an empty slot. */
struct u64map {
	__u64 *keys, *vals;
	size_t cap, len;
	bool has_zero;
	__u64 zero_val;
};

/** mix64() - a 64-bit finalizer (murmur3's): spreads keys over the table. */
__u64 mix64(__u64 x);

/** u64map__get() - true when @key is present; its value in *@val (if @val). */
bool u64map__get(const struct u64map *m, __u64 key, __u64 *val);

/** u64map__put() - set @key to @val.  Return: 0 or -ENOMEM (the map is unchanged). */
int u64map__put(struct u64map *m, __u64 key, __u64 val);

/** u64map__del() - remove @key.  Return: whether it was there. */
bool u64map__del(struct u64map *m, __u64 key);

/**
 * u64map__next() - the next entry after cursor *@pos (start it at 0), in no particular order.
 * Entries must not be added or removed while iterating.
 * Return: true with *@key and *@val set, false past the last one.
 */
bool u64map__next(const struct u64map *m, size_t *pos, __u64 *key, __u64 *val);

/** u64map__free() - free the table's memory; it is empty (and reusable) afterwards. */
void u64map__free(struct u64map *m);

#endif /* MT_U64MAP_H */
