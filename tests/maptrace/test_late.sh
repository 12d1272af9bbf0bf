#!/usr/bin/env bash
# Issue 15 row 15 / issue 16 point 5: attaching after the work says what was not seen: a map
# filled before the attach is named with the entries it held (the program's own count); a map
# created after the attach is not; a target that exits with nothing seen says so (needs root).
# timeout: 180
source "$(dirname "$0")/lib.sh"
LATEFILL=.output/tests/progs/latefill
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

# --- a map filled and done with before the attach, freed during the trace: by default no probe
# fires for it (it did not grow while traced), and only the library's totals count its free
"$MAPLOAD" --scenario growth --exit-after 1 --json >"$TMP/freedd.target.out" 2>/dev/null &
tpid=$!
wait_for "$TMP/freedd.target.out" checksum 10
"$MAPTRACE" -p "$tpid" --json >"$TMP/freedd.mt.out" 2>"$TMP/freedd.mt.err"
check "freed during the trace, default: the library's totals count one free, no creation: $(jget "$TMP/freedd.mt.out" "d['lib_totals']")" \
	[ "$(jget "$TMP/freedd.mt.out" "(d['lib_totals']['maps_created'], d['lib_totals']['maps_freed'], len(d['maps']))")" = "(0, 1, 0)" ]
# --detail (map_create traced): every map's free fires, which still says it existed before
"$MAPLOAD" --scenario growth --exit-after 1 --json >"$TMP/freed.target.out" 2>/dev/null &
tpid=$!
wait_for "$TMP/freed.target.out" checksum 10
"$MAPTRACE" -p "$tpid" --json --detail >"$TMP/freed.mt.out" 2>"$TMP/freed.mt.err"
check "freed during the trace, --detail: before_attach counts it: $(jget "$TMP/freed.mt.out" "d['before_attach']")" \
	[ "$(jget "$TMP/freed.mt.out" "(d['before_attach']['maps'], d['before_attach']['freed'])")" = "(1, 1)" ]
"$MAPLOAD" --scenario growth --exit-after 1 --json >"$TMP/freedt.target.out" 2>/dev/null &
tpid=$!
wait_for "$TMP/freedt.target.out" checksum 10
"$MAPTRACE" -p "$tpid" -q --detail >"$TMP/freedt.mt.out" 2>"$TMP/freedt.mt.err"
check "freed during the trace, --detail: '1 map existed before attach'" \
	grep -q "^1 map existed before attach: grows before that are not seen" "$TMP/freedt.mt.out"

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
