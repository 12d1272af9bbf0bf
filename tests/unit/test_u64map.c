// SPDX-License-Identifier: MIT
/* u64map: put, get, delete with backward shifting, iteration, against a plain array. */
#include <stdio.h>
#include <stdlib.h>
#include "u64map.h"
#include "../tap.h"

#define N 5000

int main(void)
{
	static __u64 want[N]; /* value + 1 of key i * 7919, 0 when absent */
	struct u64map m = {};
	unsigned int seed = 42;
	bool same = true;
	size_t pos = 0, seen = 0;
	__u64 key, val;

	check(!u64map__del(&m, 5), "del on an empty map: false");
	for (int round = 0; round < 200000; round++) {
		int i = rand_r(&seed) % N;
		__u64 k = (__u64)i * 7919;

		if (rand_r(&seed) % 3) {
			if (u64map__put(&m, k, (__u64)round))
				return 2;
			want[i] = (__u64)round + 1;
		} else {
			same &= u64map__del(&m, k) == (want[i] != 0);
			want[i] = 0;
		}
	}
	check(same, "del says whether the key was there, over 200000 random puts and dels");
	for (int i = 0; i < N; i++) {
		bool has = u64map__get(&m, (__u64)i * 7919, &val);

		same &= has == (want[i] != 0) && (!has || val == want[i] - 1);
	}
	check(same, "every key, 0 included, found or not as a plain array says");
	while (u64map__next(&m, &pos, &key, &val)) {
		same &= key % 7919 == 0 && want[key / 7919] == val + 1;
		seen++;
	}
	for (int i = 0; i < N; i++)
		seen -= want[i] != 0;
	check(same && seen == 0, "iteration visits every entry once");
	u64map__free(&m);
	return tap_exit();
}
