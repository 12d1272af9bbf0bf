/* SPDX-License-Identifier: MIT */
/*
 * GROW() now lives in util.h.  This header stays only for the files that still include it
 * (model.c, report.c, report_folded.c, report_pprof.c, tracer.c); delete it once they include
 * util.h instead.
 */
#ifndef MT_GROW_H
#define MT_GROW_H

#include "util.h"

#endif /* MT_GROW_H */
