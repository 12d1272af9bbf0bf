/* SPDX-License-Identifier: MIT */
/*
 * Short C++ names for the text tables: demangled template names are long (a
 * std::unordered_map<std::string, int> is a std::_Hashtable of ten arguments, each string a
 * std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> >).  JSON and the
 * other machine formats keep the full name.
 */
#ifndef MT_CXXNAME_H
#define MT_CXXNAME_H

#include <stddef.h>

/**
 * cxxname__short() - @name with its template arguments shortened: std::_Hashtable<...> as the
 * container it implements (std::unordered_map<K, V>, std::unordered_set<K>, the multi ones,
 * with a hash argument only when it is not std::hash<K>), std::string for std::basic_string of
 * char, trailing default arguments (std::allocator, std::hash, std::equal_to, std::less,
 * std::char_traits) dropped.  A name without templates, or one that does not parse (unbalanced
 * brackets), is copied as it is.
 * Return: @buf.
 */
char *cxxname__short(char *buf, size_t size, const char *name);

#endif /* MT_CXXNAME_H */
