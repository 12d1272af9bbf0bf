#!/usr/bin/env bash
# Which process maptrace traces, and for how long: the PID a target leaves behind and another
# process takes (needs root).
# timeout: 300
source "$(dirname "$0")/lib.sh"

PIDREUSE=${PIDREUSE:-.output/tests/progs/pidreuse}

# --- the target exits and its PID is taken at once by another process ----------------------
# pidreuse runs the second contend under the first one's PID (clone3's set_tid, right after
# reaping it): maptrace must end with the first, not trace the second as if it were the same.
# The second waits 1 s before contending, 20 waits on a bare mutex, none of them the first's.
"$PIDREUSE" "$CONTEND" mutex 5 20 0.3 -- "$CONTEND" pthread 20 10 1 \
	>"$TMP/reuse.target.out" 2>"$TMP/reuse.target.err" &
pr=$!
wait_for "$TMP/reuse.target.err" "contend: pid" 10
a=$(grep -m1 -o "contend: pid [0-9]*" "$TMP/reuse.target.err" | grep -o "[0-9]*$")
kill -STOP "$a"
timeout 30 "$MAPTRACE" -p "$a" --json >"$TMP/reuse.out" 2>"$TMP/reuse.err" &
mt=$!
wait_for "$TMP/reuse.err" "tracing PID" 20 || echo "# maptrace did not start: $(cat "$TMP/reuse.err")"
kill -CONT "$a"
wait "$mt"
rc=$?
kill -0 "$pr" 2>/dev/null && second_ran=1 || second_ran=0
wait "$pr"
check "PID reuse: PID $a was taken by the second process" \
	grep -q "pidreuse: pid $a reused" "$TMP/reuse.target.err"
check "PID reuse: maptrace exit 0 ($rc: $(head -c 300 "$TMP/reuse.err"))" [ "$rc" -eq 0 ]
check "PID reuse: maptrace says PID $a exited" grep -qx "maptrace: PID $a exited" "$TMP/reuse.err"
check "PID reuse: maptrace ended while the second process still ran" [ "$second_ran" = 1 ]
LOCKS="sum(l['contentions'] for l in d['locks'] if l['kind'] in ('mutex','rwlock'))"
check "PID reuse: the first process's 5 waits, none of the second's ($(jget "$TMP/reuse.out" "$LOCKS"))" \
	[ "$(jget "$TMP/reuse.out" "$LOCKS")" = 5 ]

finish
