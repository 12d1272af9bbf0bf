/* SPDX-License-Identifier: MIT */
/*
 * USDT probes of libcmap (provider "cmap"; names and arguments are documented in cmap.h).
 *
 * Each probe has a semaphore, so an untraced process only reads a counter and skips the site;
 * a tracer that attaches increments it (libbpf and bpftrace do so through the kernel's uprobe
 * reference counter).  Each site is a 5-byte nop rather than sys/sdt.h's 1-byte nop: the kernel
 * can rewrite a uprobe on a 5-byte nop into a call to a uprobe trampoline, which is several
 * times cheaper per hit than the int3 trap a 1-byte nop needs.
 *
 * Build with -DCMAP_NO_PROBES to compile every probe out (for measuring what they cost).
 */
#ifndef CMAP_PROBES_H
#define CMAP_PROBES_H

#include <stdint.h>

/* Every probe, for declaring and defining the semaphores in one place. */
#define CMAP_PROBE_LIST(X)                                                                         \
	X(map_create)                                                                              \
	X(ccmap_create)                                                                            \
	X(map_create_big)                                                                          \
	X(map_destroy)                                                                             \
	X(insert)                                                                                  \
	X(delete)                                                                                  \
	X(grow_begin)                                                                              \
	X(grow_end)                                                                                \
	X(evacuate_begin)                                                                          \
	X(evacuate)                                                                                \
	X(grow_done)                                                                               \
	X(sync_hit)                                                                                \
	X(sync_miss)                                                                               \
	X(sync_promote)                                                                            \
	X(lock_wait_begin)                                                                         \
	X(lock_wait_end)                                                                           \
	X(lock_acquired)                                                                           \
	X(lock_released)                                                                           \
	X(lock_hold)

#ifdef CMAP_NO_PROBES

/* The arguments are still "used", so values computed only for a probe raise no warning. */
#define CMAP_PROBE_ON(name)		       0
#define CMAP_PROBE1_IF(cond, name, a)	       ((void)(cond), (void)(a))
#define CMAP_PROBE2_IF(cond, name, a, b)       (CMAP_PROBE1_IF(cond, name, a), (void)(b))
#define CMAP_PROBE3_IF(cond, name, a, b, c)    (CMAP_PROBE2_IF(cond, name, a, b), (void)(c))
#define CMAP_PROBE4_IF(cond, name, a, b, c, d) (CMAP_PROBE3_IF(cond, name, a, b, c), (void)(d))
#define CMAP_PROBE5_IF(cond, name, a, b, c, d, e)                                                  \
	(CMAP_PROBE4_IF(cond, name, a, b, c, d), (void)(e))

#else

/* Makes sys/sdt.h record each probe's semaphore address in its .note.stapsdt entry. */
#define _SDT_HAS_SEMAPHORES 1
#include <sys/sdt.h>
/* sys/sdt.h defines _SDT_NOP unconditionally; it is expanded at each probe site, so override. */
#undef _SDT_NOP
#define _SDT_NOP		     .nops 5

/*
 * Non-static, in .probes, as systemtap's dtrace tool lays them out, so tools that look for
 * semaphores by symbol find them too.  The definitions are in cmap.c.
 */
#define CMAP_DECLARE_SEMAPHORE(name) extern unsigned short cmap_##name##_semaphore;
CMAP_PROBE_LIST(CMAP_DECLARE_SEMAPHORE)
#undef CMAP_DECLARE_SEMAPHORE

/* volatile: the tracer changes the semaphore behind the compiler's back. */
#define CMAP_PROBE_ON(name)                                                                        \
	__builtin_expect(*(volatile unsigned short *)&cmap_##name##_semaphore != 0, 0)

#define CMAP_A(x) ((uint64_t)(x))

/*
 * CMAP_PROBEn_IF() fires only when @cond also holds; @cond is evaluated after the semaphore, so
 * it costs nothing while nobody traces.
 */
#define CMAP_PROBE1_IF(cond, name, a)                                                              \
	do {                                                                                       \
		if (CMAP_PROBE_ON(name) && (cond))                                                 \
			STAP_PROBE1(cmap, name, CMAP_A(a));                                        \
	} while (0)
#define CMAP_PROBE2_IF(cond, name, a, b)                                                           \
	do {                                                                                       \
		if (CMAP_PROBE_ON(name) && (cond))                                                 \
			STAP_PROBE2(cmap, name, CMAP_A(a), CMAP_A(b));                             \
	} while (0)
#define CMAP_PROBE3_IF(cond, name, a, b, c)                                                        \
	do {                                                                                       \
		if (CMAP_PROBE_ON(name) && (cond))                                                 \
			STAP_PROBE3(cmap, name, CMAP_A(a), CMAP_A(b), CMAP_A(c));                  \
	} while (0)
#define CMAP_PROBE4_IF(cond, name, a, b, c, d)                                                     \
	do {                                                                                       \
		if (CMAP_PROBE_ON(name) && (cond))                                                 \
			STAP_PROBE4(cmap, name, CMAP_A(a), CMAP_A(b), CMAP_A(c), CMAP_A(d));       \
	} while (0)
#define CMAP_PROBE5_IF(cond, name, a, b, c, d, e)                                                  \
	do {                                                                                       \
		if (CMAP_PROBE_ON(name) && (cond))                                                 \
			STAP_PROBE5(cmap, name, CMAP_A(a), CMAP_A(b), CMAP_A(c), CMAP_A(d),        \
				    CMAP_A(e));                                                    \
	} while (0)

#endif /* CMAP_NO_PROBES */

#define CMAP_PROBE1(name, a)		 CMAP_PROBE1_IF(1, name, a)
#define CMAP_PROBE2(name, a, b)		 CMAP_PROBE2_IF(1, name, a, b)
#define CMAP_PROBE3(name, a, b, c)	 CMAP_PROBE3_IF(1, name, a, b, c)
#define CMAP_PROBE4(name, a, b, c, d)	 CMAP_PROBE4_IF(1, name, a, b, c, d)
#define CMAP_PROBE5(name, a, b, c, d, e) CMAP_PROBE5_IF(1, name, a, b, c, d, e)

#endif /* CMAP_PROBES_H */
