/* SPDX-License-Identifier: MIT */
#ifndef MT_GROW_H
#define MT_GROW_H

#include <errno.h>
#include <stdlib.h>

/*
 * GROW(arr, n, cap, first) - room in the array @arr for one more element after the @n in use:
 * its capacity @cap (an int or a size_t lvalue) doubles, starting at @first.
 * Return: 0, or -ENOMEM with @arr and @cap unchanged.
 */
#define GROW(arr, n, cap, first)                                                                  \
	({                                                                                        \
		int grow_err__ = 0;                                                               \
		if ((n) >= (cap)) {                                                               \
			__typeof__(cap) grow_cap__ = (cap) ? 2 * (cap) : (first);                 \
			void *grow_p__ = realloc((arr), (size_t)grow_cap__ * sizeof(*(arr)));     \
			if (grow_p__) {                                                           \
				(arr) = grow_p__;                                                 \
				(cap) = grow_cap__;                                               \
			} else {                                                                  \
				grow_err__ = -ENOMEM;                                             \
			}                                                                         \
		}                                                                                 \
		grow_err__;                                                                       \
	})

#endif /* MT_GROW_H */
