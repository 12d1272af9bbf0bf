/* SPDX-License-Identifier: MIT */
/* Symbolized stacks, as the symbolizers make them and the model, trace files and reports keep them. */
#ifndef MT_STACK_H
#define MT_STACK_H

#include <linux/types.h>

/* One symbolized frame.  Strings are interned in the model and live as long as it does. */
struct mt_frame {
	__u64 ip;
	__u64 offset;	       /* ip - function start */
	const char *func;      /* "" when unknown */
	const char *module;    /* path of the object, "" when unknown */
	const char *build_id;  /* hex, "" when unknown */
	const char *file;      /* "" when no line info */
	__u32 line;
	__u32 exact;	       /* 0: func is only the nearest exported symbol */
};

/* A user stack, leaf first. */
struct mt_stack {
	int nframes;
	struct mt_frame *frames;
};

#endif /* MT_STACK_H */
