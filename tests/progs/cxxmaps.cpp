// SPDX-License-Identifier: MIT
/*
 * The workload of tests/maptrace/test_cxx.sh: three standard unordered containers filled the
 * usual way, each counting its own rehashes by watching bucket_count() change after every
 * insert, and printing them with the container's address (the _Hashtable maptrace reports).
 *
 *   cxxmaps [--reserve long|string|set|all] [--hold]
 *
 * --reserve calls reserve(N) on that container before filling it: no rehash follows.  --hold
 * waits for a line on stdin before filling (a tracer attaches first), and keeps the filled
 * containers alive after the output until stdin reaches its end, so it can read their final
 * fields.
 * Output, one JSON object on stdout:
 *   {"pid": P, "maps": [{"name": "long", "addr": "0x...", "keys": N, "rehashes": R,
 *    "resizes": [[old, new], ...], "bucket_count": B}, ...], "checksum": C}
 */
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <unistd.h>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

namespace {

struct watch {
	const char *name;
	const void *addr;
	size_t keys;
	size_t bucket_count;
	std::vector<std::pair<size_t, size_t>> resizes;
};

/* Insert keys 0..n-1 through @put, noting each change of bucket_count() (a rehash). */
template <typename C, typename Put> void fill(C &c, size_t n, bool reserve, Put put, watch &w)
{
	if (reserve)
		c.reserve(n);
	size_t before = c.bucket_count();

	for (size_t i = 0; i < n; i++) {
		put(c, i);
		size_t now = c.bucket_count();

		if (now != before)
			w.resizes.emplace_back(before, now);
		before = now;
	}
	w.addr = &c;
	w.keys = c.size();
	w.bucket_count = c.bucket_count();
}

void print(const std::vector<watch> &ws, long checksum)
{
	printf("{\"pid\": %d, \"maps\": [", getpid());
	for (size_t i = 0; i < ws.size(); i++) {
		const watch &w = ws[i];

		printf("%s{\"name\": \"%s\", \"addr\": \"%p\", \"keys\": %zu, \"rehashes\": %zu, "
		       "\"bucket_count\": %zu, \"resizes\": [",
		       i ? ", " : "", w.name, w.addr, w.keys, w.resizes.size(), w.bucket_count);
		for (size_t k = 0; k < w.resizes.size(); k++)
			printf("%s[%zu, %zu]", k ? ", " : "", w.resizes[k].first,
			       w.resizes[k].second);
		printf("]}");
	}
	printf("], \"checksum\": %ld}\n", checksum);
	fflush(stdout);
}

} // namespace

int main(int argc, char **argv)
{
	const char *reserve = "";
	bool hold = false;
	std::unordered_map<long, long> longs;
	std::unordered_map<std::string, int> strings;
	std::unordered_set<long> set;
	std::vector<watch> ws(3);
	long checksum = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--reserve") && i + 1 < argc) {
			reserve = argv[++i];
		} else if (!strcmp(argv[i], "--hold")) {
			hold = true;
		} else {
			fprintf(stderr, "usage: cxxmaps [--reserve long|string|set|all] [--hold]\n");
			return 2;
		}
	}
	fprintf(stderr, "cxxmaps: pid %d\n", getpid());
	while (hold && getchar() != '\n')
		if (feof(stdin))
			return 2;
	ws[0].name = "long";
	ws[1].name = "string";
	ws[2].name = "set";
	fill(longs, 1000000, !strcmp(reserve, "long") || !strcmp(reserve, "all"),
	     [](auto &c, size_t i) { c[(long)i * 7919] = (long)i; }, ws[0]);
	fill(strings, 100000, !strcmp(reserve, "string") || !strcmp(reserve, "all"),
	     [](auto &c, size_t i) { c.emplace("key-" + std::to_string(i), (int)i); }, ws[1]);
	fill(set, 50000, !strcmp(reserve, "set") || !strcmp(reserve, "all"),
	     [](auto &c, size_t i) { c.insert((long)i * 31); }, ws[2]);
	/* the result, which tracing must not change */
	for (const auto &kv : longs)
		checksum += kv.second;
	for (const auto &kv : strings)
		checksum += kv.second;
	for (long v : set)
		checksum += v;
	print(ws, checksum);
	while (hold && getchar() != EOF)
		;
	return 0;
}
