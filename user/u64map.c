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

void u64map__free(struct u64map *m)
{
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}
