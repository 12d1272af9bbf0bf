#!/usr/bin/env bash
# A Go 1.19 map's incremental evacuation, read from its own hmap fields (the go profile's read
# line: oldbuckets, nevacuate, B, flags) at each sync and in the exit reading, with no probe per
# evacuation step, on the build with symbols and the stripped one.  tests/progs/go/goevac grows
# a map to 2^15 buckets, stops writing in the middle of the evacuation, reads its own hmap
# through unsafe and prints B, the old buckets and nevacuate (the oracle), sleeps across several
# sync intervals, then writes until oldbuckets is nil and prints when.  Checked: every live
# report during the pause says the program's nevacuate of its old buckets exactly; afterwards
# every evacuation is finished (grows_done = grows, evacuated = the old buckets of all 15 grows,
# 2^15 - 1); the last one's span runs from the grow to the first reading that saw it finished:
# at least the program's own span (less the write that grew it, which the grow's probe fires
# inside, and 1 ms: the program's clock is read around its writes) and at most that plus one
# sync interval when a sync saw it, or when the exit reading did, plus the time to exit; a
# same-size grow's evacuation (goevac same) counts 2^B old buckets; a run that stops tracing
# during the pause reports the evacuation still running, and its trace file replays the same
# figures.  The traced program's output equals the untraced
# one's (but for the figures Go's random hash seed moves).  Needs root.
# timeout: 240
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/golib.sh"

GOEVAC=${GOEVAC:-.output/tests/progs/go/goevac}
B=15
WRITES=1000
IVAL=0.3
IVAL_MS=300
SLACK_MS=300 # a sync's own lateness on this shared machine
EXIT_MS=1000 # from the write that ends it to the exit reading: prints, runtime exit

# The program's lines, the figures its map's random hash seed moves masked: its address, its
# clock, nevacuate at the pause, and the count and writes when the evacuation is over.
own() {
	grep -E '^(map 0x[0-9a-f]+|(grew|paused|after pause|finished) .*)$' "$1" | sed -E \
		-e 's/^map 0x[0-9a-f]+$/map ADDR/' -e 's/at_ns [0-9]+/at_ns T/' \
		-e 's/write_ns [0-9]+/write_ns D/' \
		-e '/^(paused|after pause)/s/nevacuate [0-9]+/nevacuate N/' \
		-e '/^finished/s/(count|writes) [0-9]+/\1 N/g'
}

# field FILE LINE KEY: the number after KEY on the program's line starting with LINE
field() {
	awk -v l="$2" -v k="$3" 'index($0, l " ") == 1 { for (i = 1; i < NF; i++) if ($i == k) {
		print $(i + 1); exit } }' "$1"
}

# pause_readings FILE: the "evacuating: N of M" of every live report between the program's
# "paused" line and its "after pause" line, "N of M" a line
pause_readings() {
	awk '/^paused / { p = 1; next } /^after pause/ { p = 0 }
		p && /^  evacuating: / { print $2, $3, $4 }' "$1"
}

# json_of FILE OUT: the final JSON report maptrace printed into FILE (the program's lines around it)
json_of() { grep '^{"pid"' "$1" >"$2"; }

# map_expr ADDR: python over the JSON `d`, the row of the program's map at ADDR
map_expr() { echo "[m for m in d['maps'] if int(m['addr'], 16) == $1][0]"; }
# the last rehash record of map $1 in a JSON report with --events
last_rehash() { echo "[e for e in d['event_log'] if e['type'] == 'rehash' and int(e['map'], 16) == $1][-1]"; }

# the old buckets of every grow from one bucket to 2^B: 2^0 + ... + 2^(B-1)
all_old=$(((1 << B) - 1))

for mode in grow same; do
	if [ $mode = grow ]; then
		"$GOEVAC" grow $B $WRITES 300 0 >"$TMP/untraced.grow" 2>&1
	else
		"$GOEVAC" same 6000 300 0 >"$TMP/untraced.same" 2>&1
	fi
	check "untraced goevac $mode exits 0 ($(tail -1 "$TMP/untraced.$mode"))" [ $? -eq 0 ]
done
check "untraced: the map grew to 2^$B buckets and paused with 2^$((B - 1)) old buckets" \
	grep -qE "^paused B $B same 0 old_buckets $((1 << (B - 1))) nevacuate [0-9]+ count" "$TMP/untraced.grow"

for build in plain stripped; do
	bin=$GOEVAC
	[ $build = stripped ] && bin=$GOEVAC-stripped

	# 1. live text reports every 0.3 s through a 2 s pause; the exit reading sees the end
	"$MAPTRACE" -o "$TMP/g.mtr" --force $IVAL -- "$bin" grow $B $WRITES 2000 0 >"$TMP/g.out" 2>"$TMP/g.err"
	check "$build: goevac grow traced, exit 0 ($(tail -1 "$TMP/g.err"))" [ $? -eq 0 ]
	check "$build: the traced program's output is the untraced one's" \
		diff <(own "$TMP/untraced.grow") <(own "$TMP/g.out")
	addr=$(awk '$1 == "map" { print $2; exit }' "$TMP/g.out")
	nev=$(field "$TMP/g.out" paused nevacuate)
	old=$(field "$TMP/g.out" paused old_buckets)
	readings=$(pause_readings "$TMP/g.out")
	n=$(grep -c . <<<"$readings")
	check "$build: $n live reports during the 2 s pause, each '$nev of $old' as the program read its hmap (got: $(sort -u <<<"$readings" | paste -sd,))" \
		[ "$n" -ge 3 -a "$(sort -u <<<"$readings")" = "$nev of $old" ]
	check "$build: the final summary says no evacuation runs, and its map row is there" \
		[ -z "$(awk '/^SUMMARY / { p = 1 } p && /evacuating: /' "$TMP/g.out")" -a \
		-n "$(awk -v a="$addr" '/^SUMMARY / { p = 1 } p && $1 == a' "$TMP/g.out")" ]
	"$MAPTRACE" report "$TMP/g.mtr" --json --events --top 0 >"$TMP/g.json" 2>"$TMP/g.rerr"
	M=$(map_expr "$addr")
	R=$(last_rehash "$addr")
	span_ns=$(($(field "$TMP/g.out" finished at_ns) - $(field "$TMP/g.out" grew at_ns)))
	low_ns=$((span_ns - $(field "$TMP/g.out" grew write_ns) - 1000000))
	got=$(jget "$TMP/g.json" "($M['grows'], $M['same_size_grows'], $M['grows_done'], $M['evacuated'], $M['evacuating'])")
	check "$build: the trace file: 15 grows, every evacuation done, $all_old old buckets evacuated, none running (got $got)" \
		[ "$got" = "($B, 0, $B, $all_old, None)" ]
	got=$(jget "$TMP/g.json" "($R['buckets'], $R['size'], $R['elapsed_ns'])")
	el=$(jget "$TMP/g.json" "$R['elapsed_ns']")
	check "$build: the last evacuation: $old old buckets to 2^$B, over ${el} ns: the program's ${span_ns} ns (at least $low_ns, less the growing write and 1 ms) .. + ${EXIT_MS} ms (ended by the exit reading) (got $got)" \
		[ "$(jget "$TMP/g.json" "($R['buckets'], $R['size'])")" = "($old, $((1 << B)))" -a \
		"$el" -ge $low_ns -a "$el" -le $((span_ns + EXIT_MS * 1000000)) ]

	# 2. the end seen by a sync: the program sleeps 1.5 s after it; JSON live and replayed
	"$MAPTRACE" -o "$TMP/s.mtr" --force --json --events --top 0 $IVAL -- "$bin" grow $B $WRITES 1000 1500 \
		>"$TMP/s.out" 2>"$TMP/s.err"
	check "$build: goevac grow (1.5 s after the end) traced, exit 0" [ $? -eq 0 ]
	check "$build: its output is the untraced one's" diff <(own "$TMP/untraced.grow") <(own "$TMP/s.out")
	json_of "$TMP/s.out" "$TMP/s.json"
	"$MAPTRACE" report "$TMP/s.mtr" --json --events --top 0 >"$TMP/s.rjson" 2>"$TMP/s.rerr"
	addr=$(awk '$1 == "map" { print $2; exit }' "$TMP/s.out")
	M=$(map_expr "$addr")
	R=$(last_rehash "$addr")
	span_ns=$(($(field "$TMP/s.out" finished at_ns) - $(field "$TMP/s.out" grew at_ns)))
	low_ns=$((span_ns - $(field "$TMP/s.out" grew write_ns) - 1000000))
	el=$(jget "$TMP/s.json" "$R['elapsed_ns']")
	check "$build: a sync saw it end: its span ${el} ns is the program's ${span_ns} ns (at least $low_ns, less the growing write and 1 ms) .. + one interval (${IVAL_MS} ms) + ${SLACK_MS} ms" \
		[ "$el" -ge $low_ns -a "$el" -le $((span_ns + (IVAL_MS + SLACK_MS) * 1000000)) ]
	FIGS="($M['grows'], $M['grows_done'], $M['evacuated'], $M['evacuating'], $M['rehash_elapsed_ns'], $R['elapsed_ns'], $R['buckets'])"
	live=$(jget "$TMP/s.json" "$FIGS")
	check "$build: the trace file replays the live figures: $live (replayed: $(jget "$TMP/s.rjson" "$FIGS"))" \
		[ "$(jget "$TMP/s.rjson" "$FIGS")" = "$live" -a "$(jget "$TMP/s.json" "$M['grows_done']")" = $B ]

	# 3. tracing stops during a 3 s pause: the evacuation is reported running, live and replayed
	"$MAPTRACE" -o "$TMP/d.mtr" --force --json --top 0 -d 1.2 $IVAL -- "$bin" grow $B $WRITES 3000 0 \
		>"$TMP/d.out" 2>"$TMP/d.err"
	check "$build: goevac grow traced for 1.2 s of its 3 s pause, exit 0" [ $? -eq 0 ]
	check "$build: its output is the untraced one's" diff <(own "$TMP/untraced.grow") <(own "$TMP/d.out")
	json_of "$TMP/d.out" "$TMP/d.json"
	"$MAPTRACE" report "$TMP/d.mtr" --json --top 0 >"$TMP/d.rjson" 2>"$TMP/d.rerr"
	addr=$(awk '$1 == "map" { print $2; exit }' "$TMP/d.out")
	nev=$(field "$TMP/d.out" paused nevacuate)
	M=$(map_expr "$addr")
	got=$(jget "$TMP/d.json" "($M['evacuating']['old_buckets'], $M['evacuating']['evacuated'], $M['grows_done'], $M['evacuated'], 0 < $M['evacuating']['elapsed_ns'] <= d['duration_ns'])")
	check "$build: stopped mid-evacuation: evacuating $old old buckets, $nev evacuated as the program read, $((B - 1)) done before, $(((1 << (B - 1)) - 1)) + $nev evacuated, its span so far within the trace (got $got)" \
		[ "$got" = "($old, $nev, $((B - 1)), $(((1 << (B - 1)) - 1 + nev)), True)" ]
	FIGS="($M['grows'], $M['grows_done'], $M['evacuated'], $M['evacuating'], $M['rehash_elapsed_ns'])"
	check "$build: its trace file replays the same: $(jget "$TMP/d.json" "$FIGS") (replayed: $(jget "$TMP/d.rjson" "$FIGS"))" \
		[ "$(jget "$TMP/d.rjson" "$FIGS")" = "$(jget "$TMP/d.json" "$FIGS")" ]

	# 4. a same-size grow: 2^B old buckets
	"$MAPTRACE" -o "$TMP/z.mtr" --force $IVAL -- "$bin" same 6000 1500 1000 >"$TMP/z.out" 2>"$TMP/z.err"
	check "$build: goevac same traced, exit 0 ($(tail -1 "$TMP/z.err"))" [ $? -eq 0 ]
	check "$build: its output is the untraced one's" diff <(own "$TMP/untraced.same") <(own "$TMP/z.out")
	addr=$(awk '$1 == "map" { print $2; exit }' "$TMP/z.out")
	nev=$(field "$TMP/z.out" paused nevacuate)
	zb=$(field "$TMP/z.out" paused B)
	zold=$(field "$TMP/z.out" paused old_buckets)
	readings=$(pause_readings "$TMP/z.out")
	n=$(grep -c . <<<"$readings")
	zsame=$(field "$TMP/z.out" paused same)
	check "$build: same-size grow (the program's flags & sameSizeGrow: $zsame): $n live reports during the pause, each '$nev of $zold' (2^B, B $zb) (got: $(sort -u <<<"$readings" | paste -sd,))" \
		[ "$n" -ge 2 -a "$(sort -u <<<"$readings")" = "$nev of $zold" -a "$zold" = $((1 << zb)) -a "$zsame" = 1 ]
	"$MAPTRACE" report "$TMP/z.mtr" --json --events --top 0 >"$TMP/z.json" 2>"$TMP/z.rerr"
	M=$(map_expr "$addr")
	R=$(last_rehash "$addr")
	span_ns=$(($(field "$TMP/z.out" finished at_ns) - $(field "$TMP/z.out" grew at_ns)))
	low_ns=$((span_ns - $(field "$TMP/z.out" grew write_ns) - 1000000))
	el=$(jget "$TMP/z.json" "$R['elapsed_ns']")
	got=$(jget "$TMP/z.json" "($M['same_size_grows'] >= 1, $M['grows_done'] == $M['grows'] + $M['same_size_grows'], $M['evacuating'], $R['buckets'], $R['size'])")
	check "$build: same-size: every evacuation done, the last of $zold old buckets to $zold (got $got)" \
		[ "$got" = "(True, True, None, $zold, $zold)" ]
	check "$build: same-size: its span ${el} ns is the program's ${span_ns} ns (at least $low_ns, less the growing write and 1 ms) .. + ${IVAL_MS} + ${SLACK_MS} ms" \
		[ "$el" -ge $low_ns -a "$el" -le $((span_ns + (IVAL_MS + SLACK_MS) * 1000000)) ]
done

rm -rf "$TMP"
finish
