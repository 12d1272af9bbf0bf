#!/usr/bin/env bash
# Two maptraces at once on two processes of the same Go executable (gogrow, with symbols and
# stripped), RUNS rounds each: never a crash, never another answer, each its own target's grows.
# A round: maptrace A runs gogrow 100000 with GOMAP_WAIT=1, which does its work and then waits
# on its input (a fifo), so A's probe links stay in place; maptrace B then traces a second
# gogrow 100000 from its start to its end, every probe hit of it taken while A's links are
# attached to the same file; then A's target is let go.  A pid-filtered uprobe session link of
# A once put a return trampoline under B's runtime.hashGrow (the kernel asks a session link's
# program for a return when the task is not its own, without running it): B's gogrow died with
# "unexpected return pc for runtime.hashGrow called from 0x7fffffffe000".  Oracles: the
# untraced run's own lines, and its own reckoning of the load-factor rule (14 grows for 100,000
# keys), which each report's map filled in main.fill must show: not 0, not both targets' 28.
# Needs root.
# timeout: 300
source "$(dirname "$0")/lib.sh"

GO=${GO:-.output/tests/progs/go}
SRC=tests/progs/go/gogrow.go
N=100000
RUNS=${RUNS:-10}

line_fill=$(grep -n '^		m\[i\] = i \* 2$' $SRC | cut -d: -f1)
own() { grep -E '^(grown|hinted|rule|check|churned) ' "$1"; }

# grows FILE.mtr: the grows of the map filled in main.fill, from its JSON report
grows() {
	"$MAPTRACE" report "$1" --json --top 0 >"$1.json" &&
		jget "$1.json" "[m['grows'] for m in d['maps'] if m['first_grown_at'] == \
'main.fill (gogrow.go:$line_fill)']"
}

for build in gogrow gogrow-stripped; do
	bin=$GO/$build
	"$bin" $N >"$TMP/untraced.out" 2>&1
	rc=$?
	want=$(awk '$1 == "rule" { print $2 }' "$TMP/untraced.out")
	check "$build: untraced run exits 0 ($rc); its rule gives 14 grows for $N keys (${want:-none})" \
		[ $rc -eq 0 -a "$want" = 14 ]
	bad=0
	for i in $(seq "$RUNS"); do
		rm -f "$TMP/in"
		mkfifo "$TMP/in"
		GOMAP_WAIT=1 "$MAPTRACE" -q -o "$TMP/a.mtr" --force -- "$bin" $N <"$TMP/in" \
			>"$TMP/a.out" 2>"$TMP/a.err" &
		mta=$!
		exec {fd}>"$TMP/in"
		# A's target has done its work and waits, A still attached (or A is gone: told below)
		until grep -q '^waiting$' "$TMP/a.out" || ! kill -0 $mta 2>/dev/null; do
			sleep 0.05
		done
		"$MAPTRACE" -q -o "$TMP/b.mtr" --force -- "$bin" $N >"$TMP/b.out" 2>"$TMP/b.err"
		rcb=$?
		exec {fd}>&-
		wait $mta
		rca=$?
		ga=$(grows "$TMP/a.mtr")
		gb=$(grows "$TMP/b.mtr")
		pida=$(jget "$TMP/a.mtr.json" "d['pid']") pidb=$(jget "$TMP/b.mtr.json" "d['pid']")
		for k in a b; do
			vr=rc$k vg=g$k
			if [ ${!vr} -ne 0 ] || ! diff -q <(own "$TMP/untraced.out") <(own "$TMP/$k.out") \
				>/dev/null || [ "${!vg}" != "[$want]" ] || [ "$pida" = "$pidb" ]; then
				bad=$((bad + 1))
				echo "# $build round $i, maptrace $k: exit ${!vr}, grows ${!vg}," \
					"pids $pida $pidb: $(grep -v '^maptrace: \(tracing\|PID\)' \
					"$TMP/$k.err" "$TMP/$k.out" | head -c 300)"
			fi
		done
	done
	check "$build: $RUNS rounds of two maptraces at once: both targets exit 0 with the untraced output, each report $want grows of its own target ($bad bad of $((2 * RUNS)))" \
		[ $bad -eq 0 ]
done

finish
