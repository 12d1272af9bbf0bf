#!/usr/bin/env bash
# Issue 15 row 15 / issue 16 point 5: attaching after the work says what was not seen: a map
# filled before the attach is named with the entries it held (the program's own count); a map
# created after the attach is not; a target that exits with nothing seen says so (needs root).
# timeout: 180
source "$(dirname "$0")/lib.sh"
LATEFILL=.output/tests/progs/latefill
quiet_b=$(sed -n 's/^#define CMAP_QUIET_B \([0-9]*\).*/\1/p' lib/cmap_impl.h)
# the lines are matched whole; how the text wraps at a terminal's width is maptrace-ux's
export COLUMNS=300

# late NAME MAPTRACE-ARGS: latefill fills 13,312 entries (the next insert grows the map), waits
# for SIGUSR1 while maptrace attaches, then grows it once and exits
late() {
	local name=$1
	shift
	"$LATEFILL" 13312 >"$TMP/$name.target.out" 2>"$TMP/$name.target.err" &
	local tpid=$!
	wait_for "$TMP/$name.target.err" "pid" 10 || echo "# latefill printed no pid"
	"$MAPTRACE" -p "$tpid" "$@" >"$TMP/$name.mt.out" 2>"$TMP/$name.mt.err" &
	local mpid=$!
	wait_for "$TMP/$name.mt.err" "tracing PID" 20 || echo "# maptrace did not start: $(cat "$TMP/$name.mt.err")"
	kill -USR1 "$tpid"
	wait "$tpid"
	eval "${name}_target_rc=$?"
	wait "$mpid"
	eval "${name}_mt_rc=$?"
}

late text -q
want=$(jget "$TMP/text.target.out" "d['count_before_grow']")
check "latefill: exited 0 and counted $want entries before its grow" \
	[ "$text_target_rc" -eq 0 -a "$want" = 13312 ]
check "text: 'attached after $want entries were in map 0x...'" \
	grep -qE "^attached after $want entries were in map 0x[0-9a-f]+ \(1 map existed before attach: grows before that are not seen\)" "$TMP/text.mt.out"
check "text: maptrace exited 0 ($text_mt_rc)" [ "$text_mt_rc" -eq 0 ]

late json --json -o "$TMP/late.mtr"
M=$TMP/json.mt.out
want=$(jget "$TMP/json.target.out" "d['count_before_grow']")
check "json: before_attach names the map with the program's $want entries: $(jget "$M" "d['before_attach']")" \
	[ "$(jget "$M" "(d['before_attach']['maps'], d['before_attach']['entries'], d['before_attach']['map'] == d['maps'][0]['addr'])")" = "(1, $want, True)" ]
check "json: the map's first_seen_count is $want" \
	[ "$(jget "$M" "d['maps'][0]['first_seen_count']")" = "$want" ]
check "json: the one grow after the attach is seen" \
	[ "$(jget "$M" "d['maps'][0]['grows']")" = 1 ]

# the trace file replays the same line
"$MAPTRACE" report "$TMP/late.mtr" >"$TMP/replay.out" 2>"$TMP/replay.err"
check "report FILE: the same 'attached after $want entries' line" \
	grep -qE "^attached after $want entries were in map $(jget "$M" "d['maps'][0]['addr']") " "$TMP/replay.out"

# --- a map filled and done with before the attach, freed during the trace: it grew to 2^14
# buckets before the attach, so its free fires map_destroy while grow_begin is traced (by
# default: cmap:map_destroy for a map of 2^CMAP_QUIET_B buckets or more), which says it existed
# before; --detail (map_create traced) fires every map's free
# freed NAME MAPTRACE-ARGS: mapload fills its map, says so (checksum), and frees it 1 s later
freed() {
	local name=$1
	shift
	"$MAPLOAD" --scenario growth --exit-after 1 --json >"$TMP/$name.target.out" 2>/dev/null &
	local tpid=$!
	wait_for "$TMP/$name.target.out" checksum 10
	"$MAPTRACE" -p "$tpid" "$@" >"$TMP/$name.mt.out" 2>"$TMP/$name.mt.err"
	wait "$tpid"
}
for mode in default detail; do
	flags=$([ $mode = detail ] && echo --detail)
	freed "freed_$mode" --json $flags
	M=$TMP/freed_$mode.mt.out
	check "freed during the trace, $mode: before_attach counts it: $(jget "$M" "d['before_attach']")" \
		[ "$(jget "$M" "(d['before_attach']['maps'], d['before_attach']['freed'])")" = "(1, 1)" ]
	check "freed during the trace, $mode: the library's totals count one free, no creation, and no row: $(jget "$M" "d['lib_totals']")" \
		[ "$(jget "$M" "(d['lib_totals']['maps_created'], d['lib_totals']['maps_freed'], len(d['maps']))")" = "(0, 1, 0)" ]
	check "freed during the trace, $mode: the map had grown to 2^$(jget "$TMP/freed_$mode.target.out" "d['buckets'].bit_length() - 1") buckets before the attach" \
		[ "$(jget "$TMP/freed_$mode.target.out" "d['buckets'] >= 1 << $quiet_b")" = True ]
	freed "freedt_$mode" -q $flags
	check "freed during the trace, $mode: '1 map existed before attach'" \
		grep -q "^1 map existed before attach: grows before that are not seen" "$TMP/freedt_$mode.mt.out"
done

# --- a map created after the attach: no such line -----------------------------------------------
traced growth --json -- "$MAPLOAD" --scenario growth --start-after 0.3 --json
M=$TMP/growth.mt.out
check "created after attach: before_attach is empty: $(jget "$M" "d['before_attach']")" \
	[ "$(jget "$M" "d['before_attach']")" = "{'maps': 0, 'freed': 0, 'first_seen_at_resize': 0, 'map': None, 'entries': None, 'nothing_seen_target_exited': False}" ]
check "created after attach: first_seen_count is null" \
	[ "$(jget "$M" "d['maps'][0]['first_seen_count']")" = None ]
traced growtext -q -- "$MAPLOAD" --scenario growth --start-after 0.3 --json
check "created after attach: no 'attached after' or 'existed before attach' line" \
	bash -c "! grep -qE 'attached after|existed before attach|nothing was seen' '$TMP/growtext.mt.out'"

# --- the work was over before the attach: the target exits with nothing seen ---------------------
"$LATEFILL" 100 >/dev/null 2>"$TMP/gone.target.err" &
tpid=$!
wait_for "$TMP/gone.target.err" "pid" 10
"$MAPTRACE" -p "$tpid" -q >"$TMP/gone.mt.out" 2>"$TMP/gone.mt.err" &
mpid=$!
wait_for "$TMP/gone.mt.err" "tracing PID" 20
kill -TERM "$tpid"
wait "$mpid"
check "nothing seen: the summary says the target exited right after the attach ($(grep nothing "$TMP/gone.mt.out"))" \
	grep -qE "^nothing was seen: PID $tpid exited [0-9.]+(ms|us|s) after maptrace attached; if its work came before the attach, trace it from its start: maptrace \[OPTIONS\] -- CMD" "$TMP/gone.mt.out"

finish
