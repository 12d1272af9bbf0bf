#!/usr/bin/env bash
# The Go runtime's own futex waits are no lock guarding a map (issue #14): tests/progs/go/gochan
# (16 producers, 16 consumers, one channel, garbage for the collector, 8 Ps on this 2-CPU host)
# makes many, and no other: idle Ms parked in runtime.notesleep/notetsleep, and runtime.lock2
# sleeping on the runtime's own mutexes (sched.lock, a channel's lock).  Go 1.19's lock2 expects 2
# of its word, as a contended C mutex does, so without its stack it looked like one.  On the build
# with symbols and the stripped one, traced with no flag:
# - the lock table is empty, the advice names no runtime function;
# - every futex wait is of kind go-park or go-rtlock, and there are runtime.lock2 waits;
# - oracle: bpftrace on the same futex tracepoints, counting the waits that slept (not -EAGAIN)
#   by their frame-pointer stacks, each frame placed by `go tool nm -size` of the build with
#   symbols (the stripped build's code is at the same addresses): runtime.lock2 on the stack is
#   a go-rtlock wait, else runtime.futex a go-park one; maptrace's totals of each kind equal
#   bpftrace's, and the text report's line says the same;
# - the traced output equals the untraced one.
# The counts differ run to run (they are the scheduler's); the oracle runs on the same run.
# Needs root, bpftrace.
# timeout: 300
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/golib.sh"

GOCHAN=${GOCHAN:-.output/tests/progs/go/gochan}
export GOCACHE=$PWD/.output/go/cache # go tool: nothing in $HOME

# where runtime.futex and runtime.lock2 are, "start end" in hex, by go tool nm
span() {
	go tool nm -size "$GOCHAN" | awk -v f="$1" '$4 == f { print $1, $2 }' |
		while read -r a n; do printf '0x%s 0x%x\n' "$a" $((16#$a + n)); done
}
futex_span=$(span runtime.futex.abi0)
[ -n "$futex_span" ] || futex_span=$(span runtime.futex)
lock2_span=$(span runtime.lock2)
check "go tool nm places runtime.futex ($futex_span) and runtime.lock2 ($lock2_span)" \
	[ -n "$futex_span" -a -n "$lock2_span" ]

# bt_kinds BPFTRACE-OUTPUT: "park N", "lock2 N", "other N" from its @n[ustack] counts: a return
# address (every frame but the leaf) is looked up one byte back, in the call
bt_kinds() {
	python3 - "$1" $futex_span $lock2_span <<'PY'
import re, sys
text, fa, fb, la, lb = open(sys.argv[1]).read(), *(int(x, 16) for x in sys.argv[2:])
n = {"park": 0, "lock2": 0, "other": 0}
for stack, count in re.findall(r"@n\[\n(.*?)\]: (\d+)", text, re.S):
    pcs = [int(l.split()[0], 16) for l in stack.splitlines() if l.strip()]
    pcs = [pc - (i > 0) for i, pc in enumerate(pcs)]
    if not any(fa <= pc < fb for pc in pcs):
        kind = "other"
    elif any(la <= pc < lb for pc in pcs):
        kind = "lock2"
    else:
        kind = "park"
    n[kind] += int(count)
for k in ("park", "lock2", "other"):
    print(k, n[k])
PY
}

for build in plain stripped; do
	bin=$GOCHAN
	[ $build = stripped ] && bin=$GOCHAN-stripped
	comm=$(basename "$bin" | cut -c1-15)

	"$bin" >"$TMP/untraced.out" 2>&1
	check "$build: untraced run exits 0" [ $? -eq 0 ]
	check "$build: the program's own line" grep -qxE 'items 80000 bytes [0-9]+' "$TMP/untraced.out"

	# the futex waits of the program (it execs with its comm), from its first instruction, as
	# the program makes them: FUTEX_WAIT (all the runtime makes) that slept; raw addresses (-k:
	# no symbols), classified above.  A wait a signal interrupts (Go preempts with SIGURG) and
	# the kernel restarts is one call, as maptrace's sites see it: -ERESTARTSYS (-512) to
	# -ERESTARTNOHAND (-514) leave and enter futex again; -ERESTART_RESTARTBLOCK (-516, a timed
	# wait) goes on as restart_syscall(2), unseen here, so it counts as it leaves.  Once the
	# program calls exit_group, a wait that ends is one its thread never returns from: killed
	# on its way back to user space, it has no exit for maptrace's site to see
	bt_start "tracepoint:syscalls:sys_enter_futex /comm == \"$comm\" && (args->op & 127) == 0/ { @w[tid] = 1; }
		tracepoint:syscalls:sys_enter_exit_group /comm == \"$comm\"/ { @x[pid] = 1; }
		tracepoint:syscalls:sys_exit_futex /@w[tid] && !@x[pid]/ { if (args->ret != -11 && (args->ret > -512 || args->ret < -514)) { @n[ustack(perf, 8)] = count(); } delete(@w[tid]); }"
	"$MAPTRACE" -o "$TMP/$build.mtr" -- "$bin" >"$TMP/traced.out" 2>"$TMP/traced.err"
	rc=$?
	bt_stop
	check "$build: traced run exits 0 ($rc)" [ $rc -eq 0 ]
	check "$build: traced output equals untraced" \
		diff <(grep '^items' "$TMP/untraced.out") <(grep '^items' "$TMP/traced.out")
	"$MAPTRACE" report "$TMP/$build.mtr" --json --top 0 >"$TMP/$build.json"
	"$MAPTRACE" report "$TMP/$build.mtr" >"$TMP/$build.txt"

	lost=$(jget "$TMP/$build.json" "d['dropped_detail']['ringbuf']")
	check "$build: no record lost ($lost)" [ "$lost" = 0 ]
	got=$(jget "$TMP/$build.json" "[(l['addr'], l['kind']) for l in d['locks']]")
	check "$build: the lock table is empty (got $got)" [ "$got" = "[]" ]
	check "$build: the text report: no contended lock" grep -qx 'LOCK WAIT: no contended lock' "$TMP/$build.txt"
	rtfuncs=$(jget "$TMP/$build.json" "sorted(set(f for a in d['advice'] for f in __import__('re').findall(r'runtime[.][^ ;:,)]+', a)))")
	check "$build: the advice names no runtime function (got $rtfuncs)" [ "$rtfuncs" = "[]" ]
	kinds=$(jget "$TMP/$build.json" "sorted(set(w['kind'] for w in d['other_waits']))")
	check "$build: every futex wait is of kind go-park or go-rtlock (got $kinds)" \
		[ "$kinds" = "['go-park', 'go-rtlock']" ]

	park=$(jget "$TMP/$build.json" "d['other_wait_totals'].get('go-park', {}).get('waits', 0)")
	lock2=$(jget "$TMP/$build.json" "d['other_wait_totals'].get('go-rtlock', {}).get('waits', 0)")
	bt_kinds "$TMP/bt.out" >"$TMP/bt.kinds"
	bt_park=$(awk '$1 == "park" { print $2 }' "$TMP/bt.kinds")
	bt_lock2=$(awk '$1 == "lock2" { print $2 }' "$TMP/bt.kinds")
	bt_other=$(awk '$1 == "other" { print $2 }' "$TMP/bt.kinds")
	check "$build: bpftrace: every futex wait's stack is in runtime.futex ($bt_other not)" [ "$bt_other" = 0 ]
	check "$build: runtime.lock2 waits: maptrace $lock2, bpftrace $bt_lock2, some" \
		[ "$lock2" = "$bt_lock2" -a "${lock2:-0}" -gt 0 ]
	check "$build: the runtime's parking waits: maptrace $park, bpftrace $bt_park" [ "$park" = "$bt_park" ]
	check "$build: the text report's line (wrapped to the width) says $park and $lock2" \
		go_runtime_line "$TMP/$build.txt" "$park" "$lock2"
	[ $FAILS -eq 0 ] || { sed 's/^/# /' "$TMP/bt.kinds" "$TMP/bt.err" | head; grep -A2 "^Go runtime" "$TMP/$build.txt" | sed 's/^/# /'; }
done

finish
