#!/usr/bin/env bash
# Static locks keep their names when the target exits right after its last wait: the records of
# those waits are read after the process is gone, so the lock's symbol must come from what
# maptrace read while it lived.  Six runs sharing our root, and six of a copy of the program
# that only its own mount namespace sees (read through /proc/PID/root, which goes with it): the
# lock named after its symbol in every one.
# timeout: 240
source "$(dirname "$0")/lib.sh"
STATICLOCK=.output/tests/progs/staticlock
RUNS=6 ITERS=5
NSBIN=/mnt/maptrace-names-test

# named RUN: the run's lock has its 5 contentions and is named table_lock
named() {
	local run=$1
	local M=$TMP/$run.mt.out ADDR LOCK got rc_var=${run}_mt_rc
	ADDR=$(jget "$TMP/$run.target.out" "d['lock']")
	LOCK="[l for l in d['locks'] if l['addr'] == '$ADDR']"
	check "$run: maptrace exited 0 (${!rc_var}): $(head -c 200 "$TMP/$run.mt.err")" \
		[ "${!rc_var}" -eq 0 ]
	check "$run: $ITERS contentions on table_lock $ADDR ($(jget "$M" "[l['contentions'] for l in $LOCK]"))" \
		[ "$(jget "$M" "[l['contentions'] for l in $LOCK]")" = "[$ITERS]" ]
	got=$(jget "$M" "[l['name'] for l in $LOCK]")
	if [ "$got" = "['table_lock']" ]; then
		ok "$run: the lock is named after its symbol, table_lock"
		return 0
	fi
	not_ok "$run: the lock is named after its symbol, table_lock (got $got)"
	return 1
}

count=0
for i in $(seq 1 $RUNS); do
	traced "run$i" --json -- "$STATICLOCK" $ITERS 10 0.3
	named "run$i" && count=$((count + 1))
done
check "our root: the static lock named in $count of $RUNS runs" [ "$count" -eq "$RUNS" ]

# the binary on a tmpfs mounted only in the target's namespace: gone for us when it exits
mkdir -p "$NSBIN"
count=0
for i in $(seq 1 $RUNS); do
	traced "ns$i" --json -- unshare -m --propagation private sh -c \
		"mount -t tmpfs none $NSBIN && cp $STATICLOCK $NSBIN/ && exec $NSBIN/staticlock $ITERS 10 0.3"
	named "ns$i" && count=$((count + 1))
done
check "mount namespace: the binary is not visible from here" [ ! -e "$NSBIN/staticlock" ]
check "mount namespace: the static lock named in $count of $RUNS runs" [ "$count" -eq "$RUNS" ]
rmdir "$NSBIN" 2>/dev/null

finish
