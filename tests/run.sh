#!/usr/bin/env bash
# Run every test tier and print one closing line "N passed, N failed, N skipped".
# A test is a program that prints TAP-style lines: "ok - what", "not ok - what", and
# "ok - what # SKIP why".  A test that exits non-zero without a "not ok" line counts as one
# failure, so a crash never passes silently.  Logs go to .output/tests/<name>.log.
#
# Usage: tests/run.sh [NAME-GLOB]   (e.g. tests/run.sh 'lib-*')
set -uo pipefail
cd "$(dirname "$0")/.."
out=.output/tests
mkdir -p "$out"
filter=${1:-*}
pass=0 fail=0 skip=0
failed_tests=()

# name | timeout seconds | command
tests=(
	"lib-grow|120|.output/tests/lib/test_grow"
	"lib-diff|600|.output/tests/lib/test_diff"
	"lib-stress-tsan|600|.output/tests/lib/test_stress_tsan"
	"lib-stress-asan|600|.output/tests/lib/test_stress_asan"
	"lib-probes|120|tests/lib/test_probes.sh"
	"mapload|300|tests/mapload/test_mapload.sh bin/mapload"
	"unit-hist|60|.output/tests/unit/test_hist"
	"unit-report|60|.output/tests/unit/test_report"
	"unit-symbolizer|120|.output/tests/unit/test_symbolizer"
	"unit-elfsym|120|.output/tests/unit/test_elfsym"
	"unit-procfs|60|.output/tests/unit/test_procfs"
	"unit-memscan|60|.output/tests/unit/test_memscan"
	"unit-profile|60|.output/tests/unit/test_profile"
	"unit-usdt|120|.output/tests/unit/test_usdt"
	"unit-export|120|.output/tests/unit/test_export"
	"unit-trace-file|300|.output/tests/unit/test_trace_file"
	"unit-trace-file-asan|300|.output/tests/unit/test_trace_file_asan"
	"unit-unwind|120|.output/tests/unit/test_unwind"
	"unit-prom|120|.output/tests/unit/test_prom"
	"bpf-usdt-grow|120|.output/tests/bpf/test_usdt_grow"
	"maptrace-live|600|tests/maptrace/test_live.sh"
	"maptrace-errors|300|tests/maptrace/test_errors.sh"
	"maptrace-trace|300|tests/maptrace/test_trace.sh"
	"maptrace-stacks|300|tests/maptrace/test_stacks.sh"
	"maptrace-prom|300|tests/maptrace/test_prom.sh"
	"maptrace-profiles|600|tests/maptrace/test_profiles.sh"
)

for t in "${tests[@]}"; do
	IFS='|' read -r name secs cmd <<<"$t"
	# shellcheck disable=SC2053
	[[ $name == $filter ]] || continue
	log=$out/$name.log
	start=$(date +%s.%N)
	timeout -k 5 "$secs" $cmd >"$log" 2>&1 </dev/null
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
