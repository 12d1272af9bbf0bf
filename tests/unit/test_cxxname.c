// SPDX-License-Identifier: MIT
/*
 * C++ names: demangle__cxx() against binutils' c++filt on every C++ symbol of libstdc++, and
 * cxxname__short() on the demangled names of std::unordered_* instantiations (the text tables'
 * spelling), including what it must leave alone.
 */
/* timeout: 60 */
#include "cxxname.h"
#include "demangle.h"
#include "../tap.h"

#define LIBSTDCXX "/usr/lib/x86_64-linux-gnu/libstdc++.so.6"

/* The first @max C++ names nm lists in @lib, each with c++filt's demangling: lines "M\tD". */
static FILE *nm_pairs(const char *lib, int max)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd),
		 "nm -D --defined-only %s | awk '$3 ~ /^_Z/ { sub(/@.*/, \"\", $3); print $3 }' | "
		 "sort -u | head -%d | while read -r m; do printf '%%s\\t%%s\\n' \"$m\" "
		 "\"$(c++filt \"$m\")\"; done",
		 lib, max);
	return popen(cmd, "r");
}

int main(void)
{
	static const struct {
		const char *in, *want;
	} shorts[] = {
		/* what nm -C prints for tests/progs/cxxmaps's out-of-line rehashes */
		{"std::_Hashtable<std::__cxx11::basic_string<char, std::char_traits<char>, "
		 "std::allocator<char> >, std::pair<std::__cxx11::basic_string<char, "
		 "std::char_traits<char>, std::allocator<char> > const, int>, "
		 "std::allocator<std::pair<std::__cxx11::basic_string<char, std::char_traits<char>, "
		 "std::allocator<char> > const, int> >, std::__detail::_Select1st, "
		 "std::equal_to<std::__cxx11::basic_string<char, std::char_traits<char>, "
		 "std::allocator<char> > >, std::hash<std::__cxx11::basic_string<char, "
		 "std::char_traits<char>, std::allocator<char> > >, std::__detail::_Mod_range_hashing, "
		 "std::__detail::_Default_ranged_hash, std::__detail::_Prime_rehash_policy, "
		 "std::__detail::_Hashtable_traits<true, false, true> >::_M_rehash(unsigned long, "
		 "unsigned long const&)",
		 "std::unordered_map<std::string, int>::_M_rehash(unsigned long, unsigned long const&)"},
		{"std::_Hashtable<long, long, std::allocator<long>, std::__detail::_Identity, "
		 "std::equal_to<long>, std::hash<long>, std::__detail::_Mod_range_hashing, "
		 "std::__detail::_Default_ranged_hash, std::__detail::_Prime_rehash_policy, "
		 "std::__detail::_Hashtable_traits<false, true, true> >::clear()",
		 "std::unordered_set<long>::clear()"},
		/* unique keys false: the multi containers; a user's hash is kept */
		{"std::_Hashtable<long, std::pair<long const, long>, std::allocator<std::pair<long "
		 "const, long> >, std::__detail::_Select1st, std::equal_to<long>, MyHash, "
		 "std::__detail::_Mod_range_hashing, std::__detail::_Default_ranged_hash, "
		 "std::__detail::_Prime_rehash_policy, std::__detail::_Hashtable_traits<true, false, "
		 "false> >::find(long const&)",
		 "std::unordered_multimap<long, long, MyHash>::find(long const&)"},
		{"std::unordered_map<std::__cxx11::basic_string<char, std::char_traits<char>, "
		 "std::allocator<char> >, int, std::hash<std::__cxx11::basic_string<char, "
		 "std::char_traits<char>, std::allocator<char> > >, std::equal_to<std::__cxx11::"
		 "basic_string<char, std::char_traits<char>, std::allocator<char> > >, "
		 "std::allocator<std::pair<std::__cxx11::basic_string<char, std::char_traits<char>, "
		 "std::allocator<char> > const, int> > >::operator[](std::__cxx11::basic_string<char, "
		 "std::char_traits<char>, std::allocator<char> >&&)",
		 "std::unordered_map<std::string, int>::operator[](std::string&&)"},
		{"std::vector<int, std::allocator<int> >::push_back(int const&)",
		 "std::vector<int>::push_back(int const&)"},
		/* left alone: no template, an operator, unbalanced brackets, a C name */
		{"foo(int) [clone .cold]", "foo(int) [clone .cold]"},
		{"bool operator<(a const&, a const&)", "bool operator<(a const&, a const&)"},
		{"std::vector<int", "std::vector<int"},
		{"g_hash_table_insert", "g_hash_table_insert"},
	};
	char buf[4096], line[8192];
	int n = 0, same = 0;
	FILE *f;

	for (size_t i = 0; i < sizeof(shorts) / sizeof(shorts[0]); i++) {
		cxxname__short(buf, sizeof(buf), shorts[i].in);
		if (!check(!strcmp(buf, shorts[i].want), "short: '%s'", shorts[i].want))
			diag("got '%s'", buf);
	}
	cxxname__short(buf, 20, shorts[3].in);
	check(strlen(buf) == 19, "short: cut to the buffer, terminated");

	/* demangle__cxx() agrees with c++filt on 300 names of libstdc++ */
	f = nm_pairs(LIBSTDCXX, 300);
	while (f && fgets(line, sizeof(line), f)) {
		char *tab = strchr(line, '\t'), *d;

		if (!tab)
			continue;
		*tab++ = '\0';
		tab[strcspn(tab, "\n")] = '\0';
		d = demangle__cxx(line);
		n++;
		if (d && !strcmp(d, tab))
			same++;
		else
			diag("%s: '%s', c++filt '%s'", line, d ? d : "(null)", tab);
		free(d);
	}
	if (f)
		pclose(f);
	check(n == 300 && same == n, "demangle: %d of %d libstdc++ names as c++filt has them", same,
	      n);
	check(!demangle__cxx("g_hash_table_insert") && !demangle__cxx("main") &&
		      !demangle__cxx("runtime.mapassign") && !demangle__cxx("_Zgarbage"),
	      "demangle: C and Go names, and a broken mangled one, are left as they are (NULL)");
	printf("# %d passed, %d failed\n", passed, failed);
	return failed != 0;
}
