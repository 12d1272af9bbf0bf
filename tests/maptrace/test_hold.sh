#!/usr/bin/env bash
# Issue 16 point 2, hold time: how long libcmap's own locks are held per acquisition another
# thread waited behind (the library's lock_hold probe).  tests/progs/cmhold writes ITERS times
# through ccmap_update() from locked_write(), holding the map's lock HOLD_MS and until its
# waiter thread waits for it (the map's own waiter count is non-zero and the waiter sleeps),
# and times each hold with its own clock; the waiter's releases have no waiter.  So the lock's
# contended holds must be exactly the program's "contended" count, of which exactly the
# program's "untimed" (the hold during which it first saw a waiter: traced, libcmap times only
# acquisitions of a lock that has been contended before) untimed; the timed ones' P50 within 5%
# of the program's own median of those, all at locked_write, and the advice must say to shorten
# that critical section before sharding.  A mutex map (a waiting writer) and an rwlock map (a waiting
# reader); live and from a trace file (needs root: loads BPF).
# timeout: 300
source "$(dirname "$0")/lib.sh"

CMHOLD=.output/tests/progs/cmhold
ITERS=10
HOLD_MS=20

# hold_checks NAME JSON PROGRAM-JSON KIND: the lock row's hold_time against the program's own
hold_checks() {
	local name=$1 j=$2 p=$3 kind=$4
	local want untimed timed p50 lock row
	want=$(jget "$p" "d['contended']") p50=$(jget "$p" "d['hold_p50_ns']") lock=$(jget "$p" "d['lock']")
	untimed=$(jget "$p" "d['untimed']") timed=$(jget "$p" "d['contended'] - d['untimed']")
	row="[l for l in d['locks'] if int(l['addr'], 16) == int('$lock', 16)]"
	check "$name: the map's $kind is one lock row" \
		[ "$(jget "$j" "[l['kind'] for l in $row]")" = "['$kind']" ]
	check "$name: contended holds equal the program's count ($(jget "$j" "$row[0]['hold_time']['count']") vs $want)" \
		[ "$(jget "$j" "$row[0]['hold_time']['count']")" = "$want" ]
	check "$name: untimed holds equal the program's first contended ones ($(jget "$j" "$row[0]['hold_time']['untimed']") vs $untimed)" \
		[ "$(jget "$j" "$row[0]['hold_time']['untimed']")" = "$untimed" ]
	check "$name: hold P50 $(jget "$j" "$row[0]['hold_time']['p50_ns']") ns within 5% of the program's median $p50 ns" \
		near "$(jget "$j" "$row[0]['hold_time']['p50_ns']")" "$p50" 0.05
	check "$name: hold max at least the P50, P99 between" \
		[ "$(jget "$j" "(lambda h: h['p50_ns'] <= h['p99_ns'] <= h['max_ns'])($row[0]['hold_time'])")" = True ]
	check "$name: one holder stack counts all the timed ones ($(jget "$j" "[s['count'] for s in $row[0]['hold_time']['holder_stacks']]") vs $timed)" \
		[ "$(jget "$j" "[s['count'] for s in $row[0]['hold_time']['holder_stacks']]")" = "[$timed]" ]
	check "$name: its hold_ns is the hold total" \
		[ "$(jget "$j" "$row[0]['hold_time']['holder_stacks'][0]['hold_ns'] == $row[0]['hold_time']['total_ns']")" = True ]
	check "$name: the holder stack names locked_write: $(jget "$j" "$row[0]['hold_time']['holder_stacks'][0]['frames'][:3]")" \
		[ "$(jget "$j" "any(f.startswith('locked_write+') for f in $row[0]['hold_time']['holder_stacks'][0]['frames'])")" = True ]
	# the line for this lock: shorten at locked_write, and only then any shard prescription
	local adv="[a for a in d['advice'] if '$lock' in a]"
	check "$name: one advice line for the lock: $(jget "$j" "$adv")" [ "$(jget "$j" "len($adv)")" = 1 ]
	check "$name: it says to shorten the critical section at locked_write" \
		[ "$(jget "$j" "'shorten the critical section at locked_write (cmhold.c:' in $adv[0]")" = True ]
	check "$name: before it says shard" \
		[ "$(jget "$j" "$adv[0].index('shorten the critical') < $adv[0].index('shard')")" = True ]
	check "$name: no lock that is not libcmap's has hold_time" \
		[ "$(jget "$j" "all(l['hold_time'] is None for l in d['locks'] + d['other_waits'] if int(l['addr'], 16) != int('$lock', 16))")" = True ]
}

for kind in mutex rwlock; do
	traced "$kind" --json -o "$TMP/$kind.mtr" -- "$CMHOLD" "$kind" "$ITERS" "$HOLD_MS"
	rc_t=${kind}_target_rc rc_m=${kind}_mt_rc
	check "$kind: cmhold exited 0 (${!rc_t}), maptrace exited 0 (${!rc_m})" \
		[ "${!rc_t}" -eq 0 ] && [ "${!rc_m}" -eq 0 ]
	P=$TMP/$kind.target.out
	check "$kind: the program saw a waiter at each of its releases ($(jget "$P" "d['contended']") of $ITERS)" \
		[ "$(jget "$P" "d['contended']")" = "$ITERS" ]
	check "$kind: the first of them was the lock's first contended hold ($(jget "$P" "d['untimed']"))" \
		[ "$(jget "$P" "d['untimed']")" = 1 ]
	UNTIMED=$(jget "$P" "d['untimed']") TIMED=$(jget "$P" "d['contended'] - d['untimed']")
	hold_checks "$kind live" "$TMP/$kind.mt.out" "$P" "$kind"
	LOCK=$(jget "$P" "d['lock']")
	ROW="[l for l in d['locks'] if int(l['addr'], 16) == int('$LOCK', 16)][0]"
	if [ "$kind" = rwlock ]; then
		check "rwlock live: the waits were the reader's ($(jget "$TMP/$kind.mt.out" "$ROW['reads']['contentions']") reads)" \
			[ "$(jget "$TMP/$kind.mt.out" "$ROW['reads']['contentions']")" = "$ITERS" ]
	fi

	"$MAPTRACE" report "$TMP/$kind.mtr" --json >"$TMP/$kind.file.json" 2>"$TMP/$kind.file.err"
	check "$kind report FILE --json: exits 0 ($(head -c 200 "$TMP/$kind.file.err"))" [ $? -eq 0 ]
	hold_checks "$kind report FILE" "$TMP/$kind.file.json" "$P" "$kind"
	check "$kind report FILE: hold_time is the live run's" \
		[ "$(jget "$TMP/$kind.mt.out" "$ROW['hold_time']")" = "$(jget "$TMP/$kind.file.json" "$ROW['hold_time']")" ]
	"$MAPTRACE" report "$TMP/$kind.mtr" --json --events >"$TMP/$kind.events.json" 2>/dev/null
	check "$kind report FILE --events: one lock_hold per contended release, each a write hold" \
		[ "$(jget "$TMP/$kind.events.json" "[(e['mode'], e['kind']) for e in d['event_log'] if e['type'] == 'lock_hold']")" = \
		  "$(python3 -c "print([('write', '$kind')] * $ITERS)")" ]
	check "$kind report FILE --events: hold_ns null in exactly the program's untimed ones ($UNTIMED), the first" \
		[ "$(jget "$TMP/$kind.events.json" "[e['hold_ns'] is None for e in d['event_log'] if e['type'] == 'lock_hold']")" = \
		  "$(python3 -c "print([True] * $UNTIMED + [False] * $TIMED)")" ]

	COLUMNS=200 "$MAPTRACE" report "$TMP/$kind.mtr" >"$TMP/$kind.txt" 2>/dev/null
	COLUMNS=80 "$MAPTRACE" report "$TMP/$kind.mtr" >"$TMP/$kind.narrow.txt" 2>/dev/null
	check "$kind text: 'hold time of ADDR: avg ... per contended hold at locked_write ($TIMED times); all $ITERS ($UNTIMED untimed)': $(grep 'per contended' "$TMP/$kind.txt")" \
		grep -qE "^hold time of 0x[0-9a-f]+: avg [0-9.]+ms per contended hold at locked_write \($TIMED times\); all $ITERS \($UNTIMED untimed\): P50 " "$TMP/$kind.txt"
	check "$kind text, 80 columns: the hold-time line names locked_write: $(grep 'per contended' "$TMP/$kind.narrow.txt")" \
		grep -qE "^hold time of 0x[0-9a-f]+: avg [0-9.]+ms per contended hold at locked_write" "$TMP/$kind.narrow.txt"
	check "$kind text, COLUMNS=80: no line wider than 80" \
		[ "$(awk '{ if (length($0) > w) w = length($0) } END { print w + 0 }' "$TMP/$kind.narrow.txt")" -le 80 ]
done

# --- the library's probe itself, seen by an independent tool: bpftrace counts lock_hold hits
for kind in mutex rwlock; do
	timeout 120 bpftrace -q -e "usdt:$PWD/$CMHOLD:cmap:lock_hold { @n = count(); @mode[arg2, arg3] = count(); }
		usdt:$PWD/$CMHOLD:cmap:lock_hold /arg4 == 0xffffffffffffffff/ { @untimed = count(); }" \
		-c "$PWD/$CMHOLD $kind $ITERS 5 0" >"$TMP/bt.$kind.out" 2>"$TMP/bt.$kind.err"
	grep '^{"iters"' "$TMP/bt.$kind.out" >"$TMP/bt.$kind.json"
	K=$([ "$kind" = rwlock ] && echo 1 || echo 0)
	check "bpftrace: cmap:lock_hold fired once per contended release of cmhold $kind ($(grep '^@n:' "$TMP/bt.$kind.out") vs $(jget "$TMP/bt.$kind.json" "d['contended']"))" \
		[ "$(sed -n 's/^@n: //p' "$TMP/bt.$kind.out")" = "$(jget "$TMP/bt.$kind.json" "d['contended']")" ]
	check "bpftrace: each a write hold (mode 0) of a $kind (kind $K): $(grep '^@mode' "$TMP/bt.$kind.out")" \
		[ "$(grep '^@mode' "$TMP/bt.$kind.out")" = "@mode[0, $K]: $ITERS" ]
	check "bpftrace: held_ns was CMAP_HOLD_UNTIMED in the program's untimed ones ($(grep '^@untimed:' "$TMP/bt.$kind.out") vs $(jget "$TMP/bt.$kind.json" "d['untimed']"))" \
		[ "$(sed -n 's/^@untimed: //p' "$TMP/bt.$kind.out")" = "$(jget "$TMP/bt.$kind.json" "d['untimed']")" ]
done
finish
