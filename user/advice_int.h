/* SPDX-License-Identifier: MIT */
/* What advice.c and advice_lock.c share: the list of lines and the rules of locks. */
#ifndef MT_ADVICE_INT_H
#define MT_ADVICE_INT_H

#include <stdbool.h>
#include "model.h"

struct advice_list {
	char **v;
	int n;
	int cap;
};

/* Append one line, formatted: 0, or -ENOMEM. */
__attribute__((format(printf, 2, 3))) int advice_add(struct advice_list *a, const char *fmt, ...);
char *advice_fmt_addr(char *buf, size_t size, __u64 addr);
/* libcmap's own map (no library, or "cmap") */
bool advice_is_cmap(const struct map_report *m);
/* a libstdc++ std::unordered_* container (the built-in libstdc++ profile) */
bool advice_is_cxx(const struct map_report *m);

/* The lock rules (advice_lock.c): contended locks, a sharded map's spread, false sharing. */
int advice_rule_lock(const struct report *r, struct advice_list *a);
int advice_rule_shard_spread(const struct report *r, struct advice_list *a);
int advice_rule_false_sharing(const struct report *r, struct advice_list *a);

#endif /* MT_ADVICE_INT_H */
