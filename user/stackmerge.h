/* SPDX-License-Identifier: MIT */
/*
 * One stack per code path.  `--stack auto` unwinds some waits with DWARF (reaching the real root:
 * start_thread -> clone3, or __libc_start_main -> _start) and the others with the kernel's
 * frame-pointer walk, which stops where glibc has no frame pointers (at start_thread).  The
 * shorter stack is then a strict prefix (leaf first) of the longer one; this counts it there.
 */
#ifndef MT_STACKMERGE_H
#define MT_STACKMERGE_H

#include "stack.h"

/* Stacks of one leaf frame past which the second merge pass (below) is skipped. */
#define STACKMERGE_COVER_MAX 512

/**
 * stackmerge__canon() - the stack each of @n stacks (leaf first) is counted under, in @canon.
 *
 * Only a stack cut short at the root merges into a longer one: its last frame is where a thread
 * or the process starts (start_thread, clone, clone3, __libc_start_call_main,
 * __libc_start_main, _start, runtime.goexit).  A stack that ends anywhere else is a walk that
 * failed midway, and stays its own (equal stacks still are one).
 *
 * Frames are the same when their ip, module and function are.  Equal stacks are one: the
 * lowest index of them.  A stack that is a strict prefix of others, all of which lie on one
 * chain (each a prefix of the next), is counted under the longest of that chain; a prefix of
 * two stacks that differ (the same leaf frames reached from two callers) stays apart, as does
 * a stack no other one extends, and a stack without frames.
 *
 * Then, the same for a stack cut short at the root whose frames after the leaf lie in order
 * in longer stacks with that leaf (the frame-pointer walk skips functions without frame
 * pointers): counted under the one outermost such stack, if there is exactly one; with two
 * or more it stays.  A stack with a root frame the others do not go past (a complete DWARF
 * stack) is never merged this way.  Leaves with more than STACKMERGE_COVER_MAX stacks skip
 * this (it is quadratic in them).  Every @canon[i] is itself canonical (@canon[@canon[i]] ==
 * @canon[i]).
 * Return: 0, or -ENOMEM (@canon is then the identity).
 */
int stackmerge__canon(const struct mt_stack *stacks, int n, int *canon);

#endif /* MT_STACKMERGE_H */
