#!/usr/bin/env bash
# Never a crash, never another answer, for the Go test programs the other Go tests do not run
# again and again themselves (gogrow, golock, gorw and gosyncmap each make 20 traced runs of
# each build in their own tests): gomap in its four builds (with symbols, stripped, PIE,
# stripped PIE: maps that grow, a map with a hint, a contended sync.Mutex) and gogrow's many
# small maps (`gogrow small`), each traced RUNS times by the built-in profiles with no flag: every
# run exits 0 and prints what the untraced program prints.  Needs root.
# timeout: 300
source "$(dirname "$0")/lib.sh"

GO=${GO:-.output/tests/progs/go}
RUNS=${RUNS:-20}

# PROGRAM ARGS...: RUNS traced runs against one untraced; $2.. are the program's arguments
runs() {
	local bin=$1 name=$1 bad=0 rc
	shift
	name="${name##*/} $*"
	"$bin" "$@" >"$TMP/untraced.out" 2>/dev/null
	rc=$?
	check "$name: untraced run exits 0 ($rc) and prints something" [ $rc -eq 0 -a -s "$TMP/untraced.out" ]
	for i in $(seq "$RUNS"); do
		"$MAPTRACE" -q -o "$TMP/run.mtr" --force -- "$bin" "$@" >"$TMP/run.out" 2>"$TMP/run.err"
		rc=$?
		# maptrace's summary shares the program's stdout, after the program's lines (it is
		# printed once the program has exited): they come first, all of them
		if [ $rc -ne 0 ] || ! diff -q "$TMP/untraced.out" \
			<(head -n "$(wc -l <"$TMP/untraced.out")" "$TMP/run.out") >/dev/null ||
			! grep -q '^maptrace: PID [0-9]* exited$' "$TMP/run.err"; then
			bad=$((bad + 1))
			echo "# $name: run $i: exit $rc: $(head -c 300 "$TMP/run.err")"
		fi
	done
	check "$name: $RUNS traced runs exit 0 and print what it prints untraced ($bad bad)" [ $bad -eq 0 ]
}

for b in gomap gomap-stripped gomap-pie gomap-pie-stripped; do
	runs "$GO/$b" 20000
done
# the go profile probes no makemap by default: the program's own loop makes the maps
runs "$GO/gogrow" small 100000
runs "$GO/gogrow-stripped" small 100000

finish
