// SPDX-License-Identifier: MIT
/* C++ names through the C++ runtime's demangler; see demangle.h. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "demangle.h"

/* The Itanium C++ ABI's demangler, in libstdc++ (cxxabi.h, which is C++ only). */
extern char *__cxa_demangle(const char *mangled, char *buf, size_t *len, int *status);

char *demangle__cxx(const char *name)
{
	int status = 0;
	char *out;

	if (!name || strncmp(name, "_Z", 2))
		return NULL;
	out = __cxa_demangle(name, NULL, NULL, &status);
	if (status) {
		free(out);
		return NULL;
	}
	return out;
}
