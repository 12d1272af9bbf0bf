/* SPDX-License-Identifier: MIT */
/*
 * Advice: what to change, derived from a report's evidence and quoting it, one line each.
 * A rule that the evidence does not support says nothing.
 */
#ifndef MT_ADVICE_H
#define MT_ADVICE_H

#include "model.h"

/**
 * advice__build() - fill @r->advice / @r->nadvice from the rows of @r.  Every string and the
 * array are separately malloc'd (report__free() frees them with free()).  Advice already in
 * @r is freed and replaced, so calling it twice does not leak.
 * Return: 0, or -ENOMEM with @r->advice NULL and @r->nadvice 0.
 */
int advice__build(struct report *r);

/**
 * advice__size_hint() - the size hint to suggest for a map that grew: at least @peak (so the
 * map never grows while it holds at most @peak entries), rounded up to a round number when
 * that picks the same bucket count.  0 for 0.
 */
__u64 advice__size_hint(__u64 peak);

#endif /* MT_ADVICE_H */
