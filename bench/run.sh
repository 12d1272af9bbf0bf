#!/usr/bin/env bash
# make bench: library benchmarks, measured side by side in one run on this machine.
# Prints medians; ratios compare figures taken in the same run, interleaved, so machine noise
# hits both sides alike.  Timing belongs here, never in tests.
set -euo pipefail
cd "$(dirname "$0")/.."
B=.output/bench
REPS=${REPS:-31}
ROUNDS=${ROUNDS:-5}

median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

echo "machine: $(nproc) CPUs, $(uname -r), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo
echo "== 100,000 inserts into a fresh map (median ns/insert over $ROUNDS rounds of $REPS) =="
: >"$B/nohint" ; : >"$B/hint" ; : >"$B/probes" ; : >"$B/noprobes"
for _ in $(seq "$ROUNDS"); do
	"$B/bench_lib" 0 "$REPS" >>"$B/nohint"
	"$B/bench_lib" 100000 "$REPS" >>"$B/hint"
	"$B/bench_lib_noprobes" 0 "$REPS" >>"$B/noprobes"
done
nohint=$(median <"$B/nohint") hint=$(median <"$B/hint") noprobes=$(median <"$B/noprobes")
printf '%-40s %10s\n' "case" "ns/insert"
printf '%-40s %10.2f\n' "no size hint (grows 14 times)" "$nohint"
printf '%-40s %10.2f\n' "hint 100000 (no grow)" "$hint"
printf '%-40s %10.2f\n' "no hint, library built without probes" "$noprobes"
awk -v a="$nohint" -v b="$hint" 'BEGIN { printf "ratio no-hint / hint: %.2fx\n", a / b }'
awk -v a="$nohint" -v b="$noprobes" \
	'BEGIN { printf "untraced probe cost: with probes / without = %.3f (%+.1f%%)\n", a / b, (a / b - 1) * 100 }'

echo
echo "== concurrent variants under contention (mapload, median ns/op of $ROUNDS runs) =="
echo "   400,000 ops per run, 20% writes (half of them fresh keys), 100,000 prefilled keys"
printf '%-10s %12s %12s %12s\n' variant "1 thread" "2 threads" "4 threads"
for v in mutex rwlock sharded sync; do
	row=()
	for t in 1 2 4; do
		for _ in $(seq "$ROUNDS"); do
			bin/mapload --variant "$v" --threads "$t" --ops 400000 --keys 100000 \
				--prefill 100000 --write-pct 20 --new-key-pct 50 --json |
				python3 -c 'import json,sys; print(json.load(sys.stdin)["ns_per_op"])'
		done >"$B/v"
		row+=("$(median <"$B/v")")
	done
	printf '%-10s %12.1f %12.1f %12.1f\n' "$v" "${row[@]}"
done
