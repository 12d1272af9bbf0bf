/* SPDX-License-Identifier: MIT */
/* Checks made before touching BPF, so failures get a message that names the fix. */
#ifndef MT_PREFLIGHT_H
#define MT_PREFLIGHT_H

/**
 * preflight__check() - can this process load and attach maptrace's BPF programs?
 * Checks privileges (root, or CAP_BPF + CAP_PERFMON) and kernel BTF; prints one line naming
 * what is missing and how to fix it.  Return: 0, -EPERM or -ENOENT.
 */
int preflight__check(void);

#endif /* MT_PREFLIGHT_H */
