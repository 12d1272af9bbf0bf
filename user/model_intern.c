// SPDX-License-Identifier: MIT
/*
 * The model's string and stack tables: every name and stack is stored once and named by its
 * index (model.h: model__intern(), model__intern_stack()).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "model_int.h"
#include "u64map.h"
#include "util.h"

static __u64 hash_str(const char *s)
{
	__u64 h = 1469598103934665603ULL;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

/* Equal strings share one copy.  Collisions chain by rehashing the hash. */
const char *model__intern(struct model *m, const char *s)
{
	__u64 h;
	int i;

	if (!s || !*s)
		return "";
	for (h = hash_str(s);; h = mix64(h)) {
		i = idmap__get(&m->string_idx, h);
		if (i < 0)
			break;
		if (!strcmp(m->strings[i], s))
			return m->strings[i];
	}
	if (GROW(m->strings, m->nstrings, m->cap_strings, 16))
		return NULL;
	m->strings[m->nstrings] = strdup(s);
	if (!m->strings[m->nstrings] || idmap__put(&m->string_idx, h, m->nstrings)) {
		free(m->strings[m->nstrings]);
		return NULL;
	}
	return m->strings[m->nstrings++];
}

static __u64 hash_stack(const struct mt_frame *f, int n)
{
	__u64 h = 0x9e3779b97f4a7c15ULL ^ (__u64)n;

	for (int i = 0; i < n; i++)
		h = mix64(h ^ f[i].ip);
	return h;
}

static bool same_stack(const struct mt_stack *s, const struct mt_frame *f, int n)
{
	if (s->nframes != n)
		return false;
	for (int i = 0; i < n; i++)
		if (s->frames[i].ip != f[i].ip || strcmp(s->frames[i].func, f[i].func ?: ""))
			return false;
	return true;
}

int model__intern_stack(struct model *m, const struct mt_frame *frames, int nframes)
{
	struct mt_stack *s;
	__u64 h;
	int i;

	for (h = hash_stack(frames, nframes);; h = mix64(h)) {
		i = idmap__get(&m->stack_idx, h);
		if (i < 0)
			break;
		if (same_stack(&m->stacks[i], frames, nframes))
			return i;
	}
	if (GROW(m->stacks, m->nstacks, m->cap_stacks, 16))
		return -ENOMEM;
	s = &m->stacks[m->nstacks];
	s->nframes = nframes;
	s->frames = calloc(nframes ? nframes : 1, sizeof(*s->frames));
	if (!s->frames)
		return -ENOMEM;
	for (i = 0; i < nframes; i++) {
		s->frames[i] = frames[i];
		s->frames[i].func = model__intern(m, frames[i].func);
		s->frames[i].module = model__intern(m, frames[i].module);
		s->frames[i].build_id = model__intern(m, frames[i].build_id);
		s->frames[i].file = model__intern(m, frames[i].file);
		if (!s->frames[i].func || !s->frames[i].module || !s->frames[i].build_id ||
		    !s->frames[i].file) {
			free(s->frames);
			return -ENOMEM;
		}
	}
	if (idmap__put(&m->stack_idx, h, m->nstacks)) {
		free(s->frames);
		return -ENOMEM;
	}
	return m->nstacks++;
}
