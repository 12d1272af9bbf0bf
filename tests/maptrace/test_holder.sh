#!/usr/bin/env bash
# Issue 16 point 2: who holds the lock.  tests/progs/holder's main thread holds a pthread
# mutex in hold_in_critical() while another thread sleeps on it, ITERS times; each unlock with
# that waiter asleep makes exactly one FUTEX_WAKE that wakes one thread (glibc's unlock wakes
# only when the word says "locked, with waiters", and the program unlocks only once it saw the
# waiter asleep), and the waiter's own unlocks wake nobody.  So the lock's holder stacks must
# count exactly the program's own "contended" figure, all at hold_in_critical: live, from a
# trace file, and in every output (needs root: loads BPF).
# timeout: 240
source "$(dirname "$0")/lib.sh"

HOLDER=.output/tests/progs/holder
ITERS=10
CMD=("$HOLDER" "$ITERS" 20)

traced live --json -o "$TMP/holder.mtr" -- "${CMD[@]}"
M=$TMP/live.mt.out P=$TMP/live.target.out
check "holder exited 0 ($live_target_rc), maptrace exited 0 ($live_mt_rc)" \
	[ "$live_target_rc" -eq 0 ] && [ "$live_mt_rc" -eq 0 ]
WANT=$(jget "$P" "d['contended']")
LOCK=$(jget "$P" "d['lock']")
check "the program saw every unlock release a sleeping waiter ($WANT of $ITERS)" \
	[ "$WANT" = "$ITERS" ]

# holder_checks NAME JSON: the lock row of the program's mutex, its holders exact
holder_checks() {
	local name=$1 j=$2 row="[l for l in d['locks'] if int(l['addr'], 16) == int('$LOCK', 16)]"
	check "$name: the program's mutex is one lock row" [ "$(jget "$j" "len($row)")" = 1 ]
	check "$name: its waits are the program's contended count ($(jget "$j" "$row[0]['contentions']") vs $WANT)" \
		[ "$(jget "$j" "$row[0]['contentions']")" = "$WANT" ]
	check "$name: holder_wakes equals the program's contended count ($(jget "$j" "$row[0]['holder_wakes']") vs $WANT)" \
		[ "$(jget "$j" "$row[0]['holder_wakes']")" = "$WANT" ]
	check "$name: the top holder stack counts them all ($(jget "$j" "$row[0]['holder_stacks'][0]['count']"))" \
		[ "$(jget "$j" "$row[0]['holder_stacks'][0]['count']")" = "$WANT" ]
	check "$name: the top holder stack names hold_in_critical: $(jget "$j" "$row[0]['holder_stacks'][0]['frames'][:4]")" \
		[ "$(jget "$j" "any(f.startswith('hold_in_critical+') for f in $row[0]['holder_stacks'][0]['frames'])")" = True ]
	check "$name: no holder stack is the waiter's (its unlocks wake nobody)" \
		[ "$(jget "$j" "any(f.startswith('waiter+') for s in $row[0]['holder_stacks'] for f in s['frames'])")" = False ]
	check "$name: the advice says to shorten the critical section at hold_in_critical" \
		[ "$(jget "$j" "sum('shorten the critical section at hold_in_critical (holder.c:' in a for a in d['advice'])")" = 1 ]
	check "$name: every lock row has holder_stacks and holder_wakes" \
		[ "$(jget "$j" "all('holder_stacks' in l and 'holder_wakes' in l for l in d['locks'] + d['other_waits'])")" = True ]
}
holder_checks live "$M"

# --- the same from the trace file -------------------------------------------------------------
"$MAPTRACE" report "$TMP/holder.mtr" --json >"$TMP/file.json" 2>"$TMP/file.err"
check "report FILE --json: exits 0 ($(head -c 200 "$TMP/file.err"))" [ $? -eq 0 ]
holder_checks "report FILE" "$TMP/file.json"
check "report FILE: the holder stacks are the live run's" \
	[ "$(jget "$M" "[(l['addr'], l['holder_wakes'], l['holder_stacks']) for l in d['locks']]")" = \
	  "$(jget "$TMP/file.json" "[(l['addr'], l['holder_wakes'], l['holder_stacks']) for l in d['locks']]")" ]
"$MAPTRACE" report "$TMP/holder.mtr" --json --events >"$TMP/events.json" 2>/dev/null
check "report FILE --events: one futex_wake record per contended unlock, waking 1 ($(jget "$TMP/events.json" "sum(e['type'] == 'futex_wake' and int(e['uaddr'], 16) == int('$LOCK', 16) for e in d['event_log'])"))" \
	[ "$(jget "$TMP/events.json" "[e['woken'] for e in d['event_log'] if e['type'] == 'futex_wake' and int(e['uaddr'], 16) == int('$LOCK', 16)]")" = \
	  "$(python3 -c "print([1] * $WANT)")" ]

# --- text: a "held by" line naming the program's own frame, not libc's -----------------------
"$MAPTRACE" report "$TMP/holder.mtr" >"$TMP/file.txt" 2>/dev/null
check "text: 'held by mu: hold_in_critical <- main ($WANT of $WANT wakes)': $(grep 'held by' "$TMP/file.txt")" \
	grep -qxF "held by mu: hold_in_critical <- main ($WANT of $WANT wakes)" "$TMP/file.txt"
COLUMNS=80 "$MAPTRACE" report "$TMP/holder.mtr" >"$TMP/narrow.txt" 2>/dev/null
check "text, COLUMNS=80: no line wider than 80" \
	[ "$(awk '{ if (length($0) > w) w = length($0) } END { print w + 0 }' "$TMP/narrow.txt")" -le 80 ]

# --- folded and pprof: --what holders, a count per releasing stack ----------------------------
"$MAPTRACE" report "$TMP/holder.mtr" -f folded --what holders >"$TMP/holders.folded" 2>/dev/null
check "folded --what holders: one line through hold_in_critical weighing $WANT: $(cat "$TMP/holders.folded")" \
	[ "$(awk '/;main;hold_in_critical;/ { s += $NF } END { print s + 0 }' "$TMP/holders.folded")" = "$WANT" ]
check "folded --what holders: lock holders only (the semaphores' posts need --all-waits)" \
	[ "$(grep -c 'sem_post' "$TMP/holders.folded")" = 0 ]
"$MAPTRACE" report "$TMP/holder.mtr" -f folded --what locks >"$TMP/locks.folded" 2>/dev/null
check "folded --what locks: the waits, not the holders" \
	[ "$(grep -c hold_in_critical "$TMP/locks.folded")" = 0 ] && grep -q ';waiter;' "$TMP/locks.folded"
"$MAPTRACE" report "$TMP/holder.mtr" -f pprof --what holders >"$TMP/holders.pb.gz" 2>/dev/null
check "pprof --what holders: a gzip profile with the wakes sample type" \
	sh -c "gzip -dc '$TMP/holders.pb.gz' | grep -aq wakes"
# --- --stack fp: the same count; the stack starts in glibc's unlock (docs/usage.md says which
# frames a frame-pointer walk loses there), so only the count and the holder's caller are exact
traced fp --json --stack fp -- "${CMD[@]}"
FW=$(jget "$TMP/fp.target.out" "d['contended']") FL=$(jget "$TMP/fp.target.out" "d['lock']")
FROW="[l for l in d['locks'] if int(l['addr'], 16) == int('$FL', 16)][0]"
check "--stack fp: holder_wakes equals the program's contended count ($(jget "$TMP/fp.mt.out" "$FROW['holder_wakes']") vs $FW)" \
	[ "$(jget "$TMP/fp.mt.out" "$FROW['holder_wakes']")" = "$FW" ] && [ "$FW" = "$ITERS" ]
check "--stack fp: the holder stacks go through main, not the waiter" \
	[ "$(jget "$TMP/fp.mt.out" "all(any(f.startswith('main+') for f in s['frames']) for s in $FROW['holder_stacks'])")" = True ]

expect_fail "--what holders --weight wait-ns" "--weight wait-ns does not apply to --what holders" \
	"$MAPTRACE" report "$TMP/holder.mtr" -f folded --what holders --weight wait-ns
finish
