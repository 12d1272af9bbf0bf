#!/usr/bin/env bash
# Which process maptrace traces, and for how long: the PID a target leaves behind and another
# process takes, kernel threads and thread ids given to -p, --comm and --exe refused when they
# cannot name a process, several matches, and runs too short to attach to (needs root).
# timeout: 300
source "$(dirname "$0")/lib.sh"

SHORTRUN=${SHORTRUN:-.output/tests/progs/shortrun}
PIDREUSE=${PIDREUSE:-.output/tests/progs/pidreuse}

# refusals come at once: a hang fails in 5 s, not 20
EXPECT_FAIL_SECS=5

# wait_stopped PID: until the process has stopped itself (state T), up to 10 s
wait_stopped() {
	local end=$((SECONDS + 10))
	until [ "$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)" = T ]; do
		[ $SECONDS -ge $end ] && return 1
		sleep 0.01
	done
}

# --- --comm and --exe that can name no process: refused at once, not waited on -------------
printf '#!/bin/sh\n' >"$TMP/notexec"
chmod 644 "$TMP/notexec"
expect_fail "--comm ''" "--comm needs a process name.*e\.g\. --comm" "$MAPTRACE" --comm ''
expect_fail "--exe ''" "--exe needs the path.*e\.g\. --exe" "$MAPTRACE" --exe ''
expect_fail "--exe /tmp" "--exe /tmp is a directory.*give the path of the executable" \
	"$MAPTRACE" --exe /tmp
expect_fail "--exe a file that is not executable" "$TMP/notexec is not executable.*/proc/PID/exe" \
	"$MAPTRACE" --exe "$TMP/notexec"
expect_fail "--exe a bare name that is no file" \
	"--exe no-such-prog: no such file.*command -v no-such-prog.*--comm no-such-prog" \
	"$MAPTRACE" --exe no-such-prog

# --- kernel threads have no user space: refused; a thread id traces its process ------------
expect_fail "-p 2 (a kernel thread)" \
	"cannot trace PID 2 \(kthreadd\): it is a kernel thread.*give -p the PID of a user process" \
	"$MAPTRACE" -p 2
expect_fail "--comm kthreadd (only a kernel thread has that name)" \
	"every process named kthreadd is a kernel thread.*--comm NAME of a user process" \
	"$MAPTRACE" --comm kthreadd

"$MAPLOAD" --variant mutex --threads 3 --duration 5 >/dev/null 2>"$TMP/tid.target.err" &
tpid=$!
end=$((SECONDS + 10))
while [ "$(ls "/proc/$tpid/task" 2>/dev/null | wc -l)" -lt 2 ] && [ $SECONDS -lt $end ]; do
	sleep 0.02
done
tid=$(ls "/proc/$tpid/task" | grep -vx "$tpid" | head -1)
timeout 20 "$MAPTRACE" -p "$tid" -d 0.5 --json >"$TMP/tid.out" 2>"$TMP/tid.err"
rc=$?
check "-p TID: exit 0 ($rc: $(head -c 300 "$TMP/tid.err"))" [ "$rc" -eq 0 ]
check "-p TID: says $tid is a thread of PID $tpid" \
	grep -qx "maptrace: $tid is a thread of PID $tpid; tracing PID $tpid" "$TMP/tid.err"
check "-p TID: traces PID $tpid" grep -q "tracing PID $tpid " "$TMP/tid.err"
check "-p TID: the report is of PID $tpid" [ "$(jget "$TMP/tid.out" "d['pid']")" = "$tpid" ]
kill "$tpid" 2>/dev/null
wait "$tpid" 2>/dev/null

# --- several processes match: each listed, the newest traced --------------------------------
cp "$(command -v sleep)" "$TMP/mtmulti"
multi=()
for i in 1 2 3; do
	"$TMP/mtmulti" 30 &
	multi+=($!)
	# one clock tick (10 ms) or more apart, so "the newest" is one of them
	sleep 0.05
done
for opt in --comm --exe; do
	[ "$opt" = --comm ] && val=mtmulti word=named || val=$TMP/mtmulti word=running
	timeout 20 "$MAPTRACE" "$opt" "$val" -d 0.3 -q >"$TMP/multi.out" 2>"$TMP/multi.err"
	rc=$?
	check "several matches ($opt): exit 0 ($rc)" [ "$rc" -eq 0 ]
	check "several matches ($opt): says 3 match and that the newest, ${multi[2]}, is traced" \
		grep -q "3 processes $word $val; tracing the newest, PID ${multi[2]} (give -p PID" \
		"$TMP/multi.err"
	for p in "${multi[@]}"; do
		check "several matches ($opt): PID $p listed with its start and command line" \
			grep -qE "^maptrace: [ *] PID $p +started [0-9-]+ [0-9:.]+ +$TMP/mtmulti 30\$" \
			"$TMP/multi.err"
	done
	check "several matches ($opt): the newest is marked and traced" \
		grep -q "^maptrace: \* PID ${multi[2]} " "$TMP/multi.err"
	check "several matches ($opt): PID ${multi[2]} traced" \
		grep -q "tracing PID ${multi[2]} " "$TMP/multi.err"
done
kill "${multi[@]}"
wait "${multi[@]}" 2>/dev/null

# --- short runs: three runs of 30 ms; maptrace keeps following until the duration ------------
# The first run stops itself before it exits and is held until maptrace traces it; the next two
# exit as soon as maptrace opens their executable (a copy of their own), so they end while it
# attaches.
cp "$SHORTRUN" "$TMP/mtshort"
for run in 2 3; do
	mkdir "$TMP/run$run"
	cp "$SHORTRUN" "$TMP/run$run/mtshort"
done
start_ns=$(date +%s%N)
# its exit status and when it ended, whatever the runs still do then
(
	timeout 20 "$MAPTRACE" --comm mtshort -d 3 -q >"$TMP/short.out" 2>"$TMP/short.err"
	echo "$? $(date +%s%N)" >"$TMP/short.rc"
) &
mt=$!
wait_for "$TMP/short.err" "waiting for a process named mtshort" 10
"$TMP/mtshort" 30 --stop 2>"$TMP/short.1.err" &
runs=($!)
wait_for "$TMP/short.err" "tracing PID ${runs[0]} " 10 || echo "# run 1 not traced"
wait_stopped "${runs[0]}" || echo "# run 1 did not stop"
kill -CONT "${runs[0]}"
wait "${runs[0]}"
for run in 2 3; do
	"$TMP/run$run/mtshort" 30 --until-open 2>"$TMP/short.$run.err" &
	runs+=($!)
	wait $!
done
wait "$mt"
read -r rc end_ns <"$TMP/short.rc"
took=$(((end_ns - start_ns) / 1000000))
echo "# $(tr '\n' '|' <"$TMP/short.err")"
check "short runs: maptrace exit 0 ($rc)" [ "$rc" -eq 0 ]
check "short runs: maptrace ran for its duration, 3 s (took $took ms)" \
	[ "$took" -ge 3000 -a "$took" -lt 8000 ]
check "short runs: the first run (PID ${runs[0]}) was traced" \
	grep -q "tracing PID ${runs[0]} " "$TMP/short.err"
check "short runs: its exit was noticed" grep -qx "maptrace: PID ${runs[0]} exited" "$TMP/short.err"
# Each later run ends as maptrace opens its executable, a few ms before the probes attach; on
# an idle machine attaching can win that race.  Either way its end must not end the follow:
# it ended before the attach and maptrace waits again, or it was traced and its exit noticed.
for i in 1 2; do
	check "short runs: run $((i + 1)), PID ${runs[i]}, ended; maptrace followed on" \
		bash -c 'grep -qx "maptrace: PID $1 exited before maptrace had attached; waiting for the next process named mtshort" "$2" ||
			 { grep -q "tracing PID $1 " "$2" && grep -qx "maptrace: PID $1 exited" "$2"; }' \
		_ "${runs[i]}" "$TMP/short.err"
done
before=0
for i in 1 2; do
	grep -qx "maptrace: PID ${runs[i]} exited before maptrace had attached; waiting for the next process named mtshort" \
		"$TMP/short.err" && before=$((before + 1))
done
echo "# short runs: $before of 2 later runs ended before maptrace attached"

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
