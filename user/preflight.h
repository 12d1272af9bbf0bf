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

/**
 * preflight__target() - may this process read what it needs of process @pid: its files through
 * /proc/@pid/root and its memory?  Not when @pid is another user's (or runs with privileges we
 * lack) and we have no CAP_SYS_PTRACE: then one line names the owner, the reason and the fix.
 * A @pid that does not exist passes: the inspection says so.
 * Return: 0 or -EPERM.
 */
int preflight__target(int pid);

#endif /* MT_PREFLIGHT_H */
