/* SPDX-License-Identifier: MIT */
/*
 * C++ symbol names, demangled once where symbols are resolved (symbolizer.c), so every output
 * (text, JSON, folded, pprof, Chrome trace, Prometheus labels, trace files) carries
 * "std::__detail::_Prime_rehash_policy::_M_need_rehash(...) const", never "_ZNKSt8...".
 * Uses the C++ runtime's own demangler (libstdc++'s __cxa_demangle, the Itanium C++ ABI's).
 */
#ifndef MT_DEMANGLE_H
#define MT_DEMANGLE_H

/**
 * demangle__cxx() - the demangled form of @name when it is an Itanium C++ ABI mangled name
 * ("_Z..."), malloc'd; the caller frees it.
 * Return: the name, or NULL when @name is not a mangled name (C, Go), does not demangle, or
 * memory ran out: the caller keeps @name as it is.
 */
char *demangle__cxx(const char *name);

#endif /* MT_DEMANGLE_H */
