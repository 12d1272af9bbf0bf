#!/usr/bin/env bash
# maptrace's refusals and edge cases: each a one-line message naming the problem and the fix,
# and a non-zero exit, never a crash or a hang.
# timeout: 300
source "$(dirname "$0")/lib.sh"

# a pid that does not exist: the kernel's pid_max is never reached by a fresh one
expect_fail "no such PID" "PID 4194000: no such process" "$MAPTRACE" -p 4194000
expect_fail "no PID given" "-p PID" "$MAPTRACE"
expect_fail "bad PID" "-p PID must be an integer" "$MAPTRACE" -p abc
expect_fail "bad interval" "INTERVAL must be a number of seconds" "$MAPTRACE" -p 1 0
expect_fail "bad duration" "-d must be a number of seconds" "$MAPTRACE" -p 1 -d -5
expect_fail "bad --top" "--top must be an integer" "$MAPTRACE" -p 1 --top x
expect_fail "ring buffer not a power of two" "power of two" "$MAPTRACE" -p 1 --ringbuf-mb 3
expect_fail "unknown option" "unknown option" "$MAPTRACE" -p 1 --frobnicate

# not root: drop every capability
sleep 30 &
victim=$!
expect_fail "not root" "missing CAP_BPF and CAP_PERFMON.*run as root" \
	setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all \
	"$MAPTRACE" -p "$victim"

# no kernel BTF: hide /sys/kernel/btf in a private mount namespace
expect_fail "no BTF" "no BTF.*CONFIG_DEBUG_INFO_BTF" \
	unshare -m sh -c 'mount -t tmpfs none /sys/kernel/btf && exec "$0" -p "$1"' \
	"$MAPTRACE" "$victim"

# a process without the map library: futex waits only, said once, exit 0
timeout 10 "$MAPTRACE" -p "$victim" -d 0.5 --json >"$TMP/nolib.json" 2>"$TMP/nolib.err"
rc=$?
check "no map library: exit 0 (got $rc)" [ "$rc" -eq 0 ]
check "no map library: JSON says library_found false" \
	[ "$(jget "$TMP/nolib.json" "d['library_found']")" = False ]
timeout 10 "$MAPTRACE" -p "$victim" -d 0.5 >"$TMP/nolib.txt" 2>&1
check "no map library: the text report says so" grep -q "no map library found" "$TMP/nolib.txt"
kill "$victim"

# the target exits while maptrace starts: a clear message or a clean report, never a hang
for i in 1 2 3; do
	sleep 0.0$i &
	p=$!
	timeout 20 "$MAPTRACE" -p "$p" -d 2 --json >"$TMP/race.out" 2>"$TMP/race.err"
	rc=$?
	wait "$p" 2>/dev/null
	if [ "$rc" -eq 0 ]; then
		check "target exiting during attach ($i): clean report" \
			python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$TMP/race.out"
	else
		check "target exiting during attach ($i): one clear line ($(head -c 200 "$TMP/race.err"))" \
			grep -qE "PID $p (exited|: no such process)|cannot trace PID $p" "$TMP/race.err"
	fi
done

# two maptrace instances on one PID: both see every grow
"$MAPLOAD" --scenario growth --start-after 0.3 --json >"$TMP/two.target" 2>"$TMP/two.err" &
t=$!
wait_for "$TMP/two.err" pid 10
kill -STOP "$t"
"$MAPTRACE" -p "$t" --json >"$TMP/two.a" 2>"$TMP/two.a.err" &
a=$!
"$MAPTRACE" -p "$t" --json >"$TMP/two.b" 2>"$TMP/two.b.err" &
b=$!
wait_for "$TMP/two.a.err" "tracing PID" 20
wait_for "$TMP/two.b.err" "tracing PID" 20
kill -CONT "$t"
wait "$t"
wait "$a"; ra=$?
wait "$b"; rb=$?
want=$(jget "$TMP/two.target" "d['grows']")
check "two instances: both exit 0 ($ra, $rb)" [ "$ra" -eq 0 -a "$rb" -eq 0 ]
check "two instances: first sees all $want grows" \
	[ "$(jget "$TMP/two.a" "sum(m['grows'] for m in d['maps'])")" = "$want" ]
check "two instances: second sees all $want grows" \
	[ "$(jget "$TMP/two.b" "sum(m['grows'] for m in d['maps'])")" = "$want" ]

# tracefs not mounted: maptrace mounts it and futex waits still work
if mountpoint -q /sys/kernel/tracing; then umount /sys/kernel/tracing; fi
check "tracefs is unmounted for the test" bash -c '! mountpoint -q /sys/kernel/tracing'
traced notracefs --json -- "$CONTEND" pthread 3 10 0.3
check "without tracefs: maptrace exited 0 ($notracefs_mt_rc): $(head -c 200 "$TMP/notracefs.mt.err")" \
	[ "$notracefs_mt_rc" -eq 0 ]
check "without tracefs: futex waits still traced" \
	[ "$(jget "$TMP/notracefs.mt.out" "[l['contentions'] for l in d['locks'] if l['kind'] == 'mutex']")" = "[3]" ]

finish
