#!/usr/bin/env bash
# Run every test tier and print one closing line "N passed, N failed, N skipped".
# A test is a program that prints TAP-style lines: "ok - what", "not ok - what", and
# "ok - what # SKIP why".  A test that exits non-zero without a "not ok" line counts as one
# failure, so a crash never passes silently.  Logs go to .output/tests/<name>.log.
#
# Usage: tests/run.sh [NAME-GLOB]   (e.g. tests/run.sh 'lib-*'; the names: make -s list-tests)
set -uo pipefail
cd "$(dirname "$0")/.."
out=.output/tests
mkdir -p "$out"
filter=${1:-*}
pass=0 fail=0 skip=0
failed_tests=()

# name|timeout seconds|command, one test a line, from the Makefile, which finds the tests where
# it builds them from: a new tests/unit/test_foo.c or tests/maptrace/test_foo.sh runs without an
# edit here.  A test states a timeout other than the default in its source (see list-tests in
# the Makefile).  MAKEFLAGS from a calling make (make -j2 test) name a jobserver this make cannot
# use; TEST_TIMEOUT=N from the environment or make's command line still sets the default.
if ! list=$(MAKEFLAGS='' make -s --no-print-directory list-tests); then
	echo "tests/run.sh: cannot list the tests: 'make -s list-tests' failed" >&2
	exit 1
fi
mapfile -t tests <<<"$list"

for t in "${tests[@]}"; do
	IFS='|' read -r name secs cmd <<<"$t"
	[ -n "$name" ] || continue
	# shellcheck disable=SC2053
	[[ $name == $filter ]] || continue
	log=$out/$name.log
	start=$(date +%s.%N)
	timeout -k 5 "$secs" "$cmd" >"$log" 2>&1 </dev/null
	rc=$?
	dur=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
	p=$(grep -cE '^ok( |$)' "$log" | tr -d ' ')
	s=$(grep -cE '^ok .*# SKIP' "$log" | tr -d ' ')
	f=$(grep -cE '^not ok( |$)' "$log" | tr -d ' ')
	p=$((p - s))
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
		if [ "$rc" -eq 124 ]; then
			echo "not ok - $name timed out after ${secs}s" >>"$log"
		else
			echo "not ok - $name exited with status $rc" >>"$log"
		fi
	fi
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
	if [ "$f" -gt 0 ]; then
		failed_tests+=("$name")
		echo "FAIL $name (${dur}s): $p passed, $f failed — $log"
		grep -E '^not ok' "$log" | head -20 | sed 's/^/    /'
		tail -n 15 "$log" | sed 's/^/    | /'
	else
		echo "PASS $name (${dur}s): $p passed${s:+, $s skipped}"
	fi
done

[ ${#failed_tests[@]} -gt 0 ] && echo "failed: ${failed_tests[*]}"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
