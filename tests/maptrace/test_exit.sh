#!/usr/bin/env bash
# Issues 13 and 14: a map's last figures are read as its program exits.  By default nothing
# probes an insert: counts come from each map's own fields, read at each sync, and a program
# that exits between two syncs would keep the figures of the last one (or none).  The exit
# program (syscalls:sys_enter_exit_group) reads every known map once more.  Oracles: the
# programs' own figures (gogrow's len() of each map, exitfill's and mapload's cmap_stats).
# A program killed by SIGKILL makes no exit_group call: the last sync's figures stand, with no
# error.  Each run writes a trace file, whose replay must give the same counts.  Needs root.
# timeout: 300
source "$(dirname "$0")/lib.sh"
GOGROW=${GOGROW:-.output/tests/progs/go/gogrow}
EXITFILL=${EXITFILL:-.output/tests/progs/exitfill}
SRC=tests/progs/go/gogrow.go
N=100000
export COLUMNS=300

# The program's own lines (maptrace's reports share its stdout when it launches the target).
own() { grep -E '^(grown|hinted|rule|check|churned) ' "$1"; }

# --- Go 1.19: gogrow fills make(map[int]int) with N keys and exits at once (no GOMAP_WAIT);
# the default sync period is longer than what follows the last grow, so only the exit reading
# sees the N entries
line_fill=$(grep -n '^		m\[i\] = i \* 2$' $SRC | cut -d: -f1)
line_churn=$(grep -n '^		m\[i\] = i$' $SRC | head -1 | cut -d: -f1)
"$GOGROW" $N >"$TMP/untraced.out" 2>&1
check "gogrow untraced: exits 0 and says grown $N" grep -qxF "grown $N" "$TMP/untraced.out"
churned=$(awk '$1 == "churned" { print $2 }' "$TMP/untraced.out")
for build in plain stripped; do
	bin=$GOGROW
	[ $build = stripped ] && bin=$GOGROW-stripped
	"$MAPTRACE" -o "$TMP/go-$build.mtr" -- "$bin" $N >"$TMP/go.out" 2>"$TMP/go.err"
	rc=$?
	check "$build: maptrace exits 0 with the target ($rc)" [ $rc -eq 0 ]
	check "$build: traced output equals untraced" diff <(own "$TMP/untraced.out") <(own "$TMP/go.out")
	"$MAPTRACE" report "$TMP/go-$build.mtr" --json --top 0 >"$TMP/go.json"
	grown="[m for m in d['maps'] if m['first_grown_at'] == 'main.fill (gogrow.go:$line_fill)']"
	churn="[m for m in d['maps'] if m['first_grown_at'] == 'main.churn (gogrow.go:$line_churn)']"
	got=$(jget "$TMP/go.json" "($grown[0]['count'], $churn[0]['count'])")
	check "$build: report FILE --json: the grown map's count is the program's $N, the churned map's $churned (got $got)" \
		[ "$got" = "($N, $churned)" ]
	addr=$(jget "$TMP/go.json" "$grown[0]['addr']")
	# the number whatever the type is named: make(map[K]V, N) or make(map[int]int, N)
	got=$(python3 -c 'import json,re,sys; d=json.load(open(sys.argv[1])); print([re.search(r"make\(map\[[^]]+\][^,]+, (\d+)\)$", a).group(1) for a in d["advice"] if a.startswith("Go map " + sys.argv[2] + " ")])' \
		"$TMP/go.json" "$addr" 2>&1)
	check "$build: the advice for the grown map says make(map[..]..., $N) (got $got)" \
		[ "$got" = "['$N']" ]
	check "$build: the live report's advice says it too" \
		grep -qE "^ *Go map $addr .*make\(map\[[^]]+\][^,]+, $N\)$" "$TMP/go.out"
	[ $FAILS -eq 0 ] || sed 's/^/# /' "$TMP/go.out" "$TMP/go.err" | tail -30
done

# --- libcmap: exitfill inserts N keys, deletes 1000, looks every key up, prints its map's own
# counters and exits without freeing the map (so no map_destroy record carries them); the run
# is shorter than a poll period, so BPF knows each map before user space reads its record.  A
# concurrent map's row sums its inner maps; a sync map's shows its hits and misses (and, as at
# a sync, no count or lookups of its own).  presized: a plain map with a hint of N, which never
# grows; it is known from its creation (cmap:map_create_big) by default
for run in plain mutex sharded sync presized; do
	variant=$run args=$run
	[ $run = presized ] && variant=plain args="plain --presized"
	"$MAPTRACE" -o "$TMP/fill.mtr" --force -- "$EXITFILL" $N 1000 $args >"$TMP/fill.out" 2>"$TMP/fill.err"
	rc=$?
	grep '^{"variant"' "$TMP/fill.out" >"$TMP/fill.own"
	check "exitfill $run: maptrace exits 0 with the target ($rc)" [ $rc -eq 0 ]
	case $variant in
	sync) keys="('inserts', 'deletes', 'grows', 'evacuated', 'moved', 'hits', 'misses')" ;;
	*) keys="('count', 'inserts', 'deletes', 'lookups', 'grows', 'evacuated', 'moved')" ;;
	esac
	want=$(jget "$TMP/fill.own" "[d[k] for k in $keys]")
	check "exitfill $run: the program's own figures: $N inserts, 1000 deletes, $((N - 1000)) entries ($want)" \
		[ "$(jget "$TMP/fill.own" "(d['inserts'], d['deletes'], d['count'])")" = "($N, 1000, $((N - 1000)))" ]
	"$MAPTRACE" report "$TMP/fill.mtr" --json --top 0 >"$TMP/fill.json"
	got=$(jget "$TMP/fill.json" "[d['maps'][0][k] for k in $keys]")
	check "exitfill $run: report FILE --json: one $variant map, with the program's $keys (want $want, got $got)" \
		[ "$(jget "$TMP/fill.json" "[m['variant'] for m in d['maps']]")" = "['$variant']" -a "$got" = "$want" ]
	[ $run = presized ] &&
		check "exitfill presized: it never grew, and its row has its hint $N ($(jget "$TMP/fill.json" "(d['maps'][0]['hint'], d['maps'][0]['grows'])"))" \
			[ "$(jget "$TMP/fill.json" "(d['maps'][0]['hint'], d['maps'][0]['grows'])")" = "($N, 0)" ]
done

# --- libcmap, a program that frees its maps before exiting: their destroy has the last word
# (a reading of the freed struct at the exit must not replace it)
"$MAPTRACE" -o "$TMP/ml.mtr" -- "$MAPLOAD" --scenario growth --json >"$TMP/ml.out" 2>"$TMP/ml.err"
rc=$?
grep '"checksum"' "$TMP/ml.out" >"$TMP/ml.own"
check "mapload: maptrace exits 0 with the target ($rc)" [ $rc -eq 0 ]
"$MAPTRACE" report "$TMP/ml.mtr" --json --top 0 >"$TMP/ml.json"
want=$(jget "$TMP/ml.own" "[d[k] for k in ('count', 'inserts', 'grows', 'evacuated')]")
got=$(jget "$TMP/ml.json" "[d['maps'][0][k] for k in ('count', 'inserts', 'grows', 'evacuated')]")
check "mapload (frees its map): count, inserts, grows, evacuated are the program's (want $want, got $got)" \
	[ "$got" = "$want" ]

# --- C++: cxxmaps' containers are locals of main, destroyed (inlined, unseen) as it returns;
# read at the exit they gave garbage (140713580747224 entries) or 0: a profile that does not see
# its maps freed is not read then, so each count is the program's or none (no sync came)
CXXMAPS=${CXXMAPS:-.output/tests/progs/cxxmaps}
"$MAPTRACE" -o "$TMP/cxx.mtr" -- "$CXXMAPS" >"$TMP/cxx.out" 2>"$TMP/cxx.err"
rc=$?
grep '^{"pid"' "$TMP/cxx.out" >"$TMP/cxx.own"
check "cxxmaps: maptrace exits 0 with the target ($rc)" [ $rc -eq 0 ]
"$MAPTRACE" report "$TMP/cxx.mtr" --json --top 0 >"$TMP/cxx.json"
keys=$(jget "$TMP/cxx.own" "sorted(int(m['addr'], 16) for m in d['maps'])")
got=$(python3 -c 'import json,sys; own=json.load(open(sys.argv[1])); d=json.load(open(sys.argv[2])); k={int(m["addr"],16): m["keys"] for m in own["maps"]}; print(sorted((int(m["addr"],16), m["count"] in (None, k.get(int(m["addr"],16)))) for m in d["maps"] if m["library"] == "libstdc++"))' \
	"$TMP/cxx.own" "$TMP/cxx.json" 2>&1)
check "cxxmaps: the three containers, each count the program's keys or none, never one read after their destruction ($got)" \
	[ "$(python3 -c 'import sys; print([a for a, _ in eval(sys.argv[1])])' "$got" 2>&1)" = "$keys" -a \
	"$(python3 -c 'import sys; print(all(ok for _, ok in eval(sys.argv[1])))' "$got" 2>&1)" = True ]

# --- SIGKILL: no exit_group call; the figures of the last sync (taken after the fill, while the
# program hangs) stand, and maptrace ends cleanly
"$MAPTRACE" -o "$TMP/kill.mtr" 0.2 -- "$EXITFILL" $N 1000 --hang >"$TMP/kill.out" 2>"$TMP/kill.err" &
mt=$!
wait_for "$TMP/kill.out" '^hanging$' 60 || echo "# exitfill did not hang: $(cat "$TMP/kill.err")"
# a live report after the fill: a sync read the map after its last change
end=$((SECONDS + 30))
until [ "$(sed -n '/^hanging$/,$p' "$TMP/kill.out" | grep -c '^PID [0-9]* (exitfill')" -ge 1 ]; do
	[ $SECONDS -ge $end ] && break
	sleep 0.05
done
tpid=$(grep -oE 'tracing PID [0-9]+' "$TMP/kill.err" | grep -oE '[0-9]+$')
kill -KILL "$tpid"
wait $mt
rc=$?
# maptrace -- CMD exits with CMD's status as a shell gives it (docs/usage.md): 128 + 9
check "SIGKILL: maptrace exits with the target's status, 137 ($rc)" [ $rc -eq 137 ]
check "SIGKILL: the final report was printed" grep -qE '^ *map 0x[0-9a-f]+ .*grew 14 times' "$TMP/kill.out"
check "SIGKILL: maptrace's stderr has no error, only its start and the exit: $(tr '\n' '|' <"$TMP/kill.err")" \
	[ "$(grep -cvE '^maptrace: (tracing PID|PID [0-9]+ exited)' "$TMP/kill.err")" = 0 ]
grep '^{"variant"' "$TMP/kill.out" >"$TMP/kill.own"
want=$(jget "$TMP/kill.own" "d['count']")
"$MAPTRACE" report "$TMP/kill.mtr" --json --top 0 >"$TMP/kill.json"
check "SIGKILL: the count is the last sync's, the program's $want (got $(jget "$TMP/kill.json" "d['maps'][0]['count']"))" \
	[ "$(jget "$TMP/kill.json" "d['maps'][0]['count']")" = "$want" -a "$want" = $((N - 1000)) ]

finish
