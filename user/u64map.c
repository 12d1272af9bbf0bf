// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "u64map.h"

__u64 mix64(__u64 x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	return x ^ (x >> 33);
}

static __u64 *u64map__slot(const struct u64map *m, __u64 key)
{
	size_t i;

	if (!m->cap)
		return NULL;
	for (i = mix64(key) & (m->cap - 1); m->keys[i]; i = (i + 1) & (m->cap - 1))
		if (m->keys[i] == key)
			return &m->vals[i];
	return NULL;
}

bool u64map__get(const struct u64map *m, __u64 key, __u64 *val)
{
	const __u64 *v;

	if (!key) {
		if (m->has_zero && val)
			*val = m->zero_val;
		return m->has_zero;
	}
	v = u64map__slot(m, key);
	if (v && val)
		*val = *v;
	return v != NULL;
}

int u64map__put(struct u64map *m, __u64 key, __u64 val)
{
	size_t i;

	if (!key) {
		m->has_zero = true;
		m->zero_val = val;
		return 0;
	}
	if ((m->len + 1) * 2 > m->cap) {
		struct u64map n = { .cap = m->cap ? m->cap * 2 : 64 };

		n.keys = calloc(n.cap, sizeof(*n.keys));
		n.vals = calloc(n.cap, sizeof(*n.vals));
		if (!n.keys || !n.vals) {
			free(n.keys);
			free(n.vals);
			return -ENOMEM;
		}
		for (i = 0; i < m->cap; i++)
			if (m->keys[i])
				u64map__put(&n, m->keys[i], m->vals[i]);
		free(m->keys);
		free(m->vals);
		n.has_zero = m->has_zero;
		n.zero_val = m->zero_val;
		*m = n;
	}
	for (i = mix64(key) & (m->cap - 1); m->keys[i]; i = (i + 1) & (m->cap - 1))
		if (m->keys[i] == key)
			break;
	if (!m->keys[i])
		m->len++;
	m->keys[i] = key;
	m->vals[i] = val;
	return 0;
}

/* Is slot @k (an entry's home) outside the probe run (@hole, @j]?  Then @j may fill @hole. */
static bool may_fill(size_t hole, size_t j, size_t k)
{
	return hole <= j ? k <= hole || k > j : k <= hole && k > j;
}

bool u64map__del(struct u64map *m, __u64 key)
{
	size_t mask = m->cap - 1, hole, j;

	if (!key) {
		bool had = m->has_zero;

		m->has_zero = false;
		return had;
	}
	if (!m->cap)
		return false;
	for (hole = mix64(key) & mask; m->keys[hole] != key; hole = (hole + 1) & mask)
		if (!m->keys[hole])
			return false;
	/* linear probing without tombstones: shift later entries of the run back into the hole */
	for (j = (hole + 1) & mask; m->keys[j]; j = (j + 1) & mask) {
		if (may_fill(hole, j, mix64(m->keys[j]) & mask)) {
			m->keys[hole] = m->keys[j];
			m->vals[hole] = m->vals[j];
			hole = j;
		}
	}
	m->keys[hole] = 0;
	m->vals[hole] = 0;
	m->len--;
	return true;
}

bool u64map__next(const struct u64map *m, size_t *pos, __u64 *key, __u64 *val)
{
	/* slots first, then the zero key at position cap */
	while (*pos < m->cap) {
		size_t i = (*pos)++;

		if (m->keys[i]) {
			*key = m->keys[i];
			*val = m->vals[i];
			return true;
		}
	}
	if (*pos == m->cap && m->has_zero) {
		(*pos)++;
		*key = 0;
		*val = m->zero_val;
		return true;
	}
	return false;
}

void u64map__free(struct u64map *m)
{
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}
