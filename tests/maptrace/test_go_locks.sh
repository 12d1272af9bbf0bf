#!/usr/bin/env bash
# Go 1.19 sync.Mutex contended waits through the built-in go profile, attached with no flag, on
# the build with symbols and the stripped one: tests/progs/go/golock holds a mutex while a
# goroutine waits 10 times on it (in main.waitForLock), each wait timed by the program and each
# seen parked by the program (the waiter count in the mutex's state word) before it unlocks.
# Oracles: the program's own &mu, count of parked waits, median wait and its waiting goroutines'
# ids (each read from the runtime's "goroutine N [" header of its own stack); bpftrace counting
# sync.(*Mutex).lockSlow calls per mutex (goarg0, RAX) at the address `go tool nm` gives; `go
# tool objdump` for the probe sites --list shows.  The Go runtime's own futex waits (idle Ms in
# runtime.notesleep, runtime.lock2) are no lock: kinds go-park and go-rtlock, on a line apart,
# never in the lock table nor the advice (tests/maptrace/test_go_runtime.sh counts them).  The traced program's output must equal the
# untraced one's, in 20 traced runs of each build.  Needs root.
# timeout: 240
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/golib.sh"

GOLOCK=${GOLOCK:-.output/tests/progs/go/golock}
N=10
RUNS=${RUNS:-20}
export GOCACHE=$PWD/.output/go/cache # go tool: nothing in $HOME

# The program's lines of output that do not change run to run (maptrace's share its stdout).
own() { grep -E '^(mutex 0x[0-9a-f]+|waits [0-9]+ parked [0-9]+)$' "$1"; }


lockslow=$(go tool nm "$GOLOCK" | awk '$3 == "sync.(*Mutex).lockSlow" { print $1 }')
# bpftrace counts calls at the instruction after the entry's "cmp; jbe" stack check: the entry
# itself runs again when the stack had to grow (morestack jumps back to it), the next
# instruction once a call (measured: 52 entries, 50 of these, in 5 runs of 10 waits)
past_check=$(go_past_check "$GOLOCK" 'sync\.\(\*Mutex\)\.lockSlow' "$lockslow")
check "sync.(*Mutex).lockSlow at 0x$lockslow starts with CMPQ; JBE, then 0x${past_check:-?} (go tool objdump)" \
	[ -n "$past_check" ]
# the sites: lockSlow's and runtime_SemacquireMutex's entry jbe after the stack-bound check, and
# their epilogue(s); golock has no RWMutex, so one lock probe of each (the RWMutex.Lock ones are
# not needed)
want_sites="$({
	for f in 'sync\.\(\*Mutex\)\.lockSlow' 'sync\.runtime_SemacquireMutex'; do
		printf '%s branch\n' "$(go_entry_jbe "$GOLOCK" "$f")"
		go_epilogues "$GOLOCK" "$f" | sed 's/$/ single-step/'
	done
} | sort)"

for build in plain stripped; do
	bin=$GOLOCK
	[ $build = stripped ] && bin=$GOLOCK-stripped
	abs=$(readlink -f "$bin")

	"$bin" $N >"$TMP/untraced.out" 2>&1
	check "$build: untraced run exits 0" [ $? -eq 0 ]
	check "$build: the program saw each of its $N waits parked on the mutex" \
		grep -qxF "waits $N parked $N" "$TMP/untraced.out"
	mu=$(awk '$1 == "mutex" { print $2 }' "$TMP/untraced.out")

	# --list: the lock sites and their instructions' kinds
	go_list "$bin" 1 "$TMP/list.out"
	got_sites=$(list_sites go 'lock|lock_end' "$TMP/list.out")
	check_sites "$build: --list: lockSlow's and runtime_SemacquireMutex's jbe (emulated) and epilogues (single-stepped), per go tool objdump" \
		"$want_sites" "$got_sites" 4 "$TMP/list.out"
	check "$build: --list: the probes for calls from sync.(*RWMutex).Lock are not needed" \
		[ "$(grep -c '^    not needed: lock .*: no call comes from sync.(\*RWMutex).Lock: golock' "$TMP/list.out")" = 2 ]

	[ $build = stripped ] && same_code "$build" "$bin" "$GOLOCK" lockSlow "$lockslow"
	# bpftrace 0.17 takes no Go name with parentheses: the file offset, in both builds
	site="$abs:$(($(file_offset "$bin" "$past_check")))"
	bt_start "uprobe:$site { @calls[reg(\"ax\")] = count(); }"

	"$MAPTRACE" -o "$TMP/$build.mtr" -- "$bin" $N >"$TMP/traced.out" 2>"$TMP/traced.err"
	rc=$?
	bt_stop
	check "$build: traced run exits 0 ($rc)" [ $rc -eq 0 ]
	check "$build: no probe reported left out on stderr" [ "$(grep -c 'not attached' "$TMP/traced.err")" = 0 ]
	check "$build: traced output equals untraced" diff <(own "$TMP/untraced.out") <(own "$TMP/traced.out")
	"$MAPTRACE" report "$TMP/$build.mtr" --json --top 0 >"$TMP/$build.json"
	# the goroutine of each wait: the program's own ids, in the event log and on the timeline
	"$MAPTRACE" report "$TMP/$build.mtr" --json --events --top 0 >"$TMP/$build.ev.json"
	"$MAPTRACE" report "$TMP/$build.mtr" --format chrome >"$TMP/$build.chrome.json"
	ids=$(prog_goids "$TMP/traced.out")
	got=$(go_goids "$TMP/$build.ev.json" json "$mu")
	check "$build: JSON event_log: the goids of the waits on $mu are the $N the program read from its own stacks ($ids; got $got)" \
		[ "$(wc -w <<<"$ids")" = $N -a "$got" = "$ids" ]
	got=$(go_goids "$TMP/$build.chrome.json" chrome "$mu")
	check "$build: chrome (from the trace file): each wait on $mu on its goroutine's track, the same goids (got $got)" \
		[ "$got" = "$ids" ]

	# bpftrace: lockSlow calls per mutex (hex keys as decimal)
	bt_rows=$(python3 -c 'import re, sys
rows = re.findall(r"^@calls\[(\d+)\]: (\d+)$", open(sys.argv[1]).read(), re.M)
print("\n".join("%s %s" % (hex(int(a)), n) for a, n in sorted(rows, key=lambda r: int(r[0]))))' "$TMP/bt.out")
	bt_mu=$(awk -v a="$mu" '$1 == a { print $2 }' <<<"$bt_rows")
	check "$build: bpftrace: $N lockSlow calls on the program's mutex $mu (got ${bt_mu:-0})" \
		[ "${bt_mu:-0}" = $N ]
	row="[l for l in d['locks'] if int(l['addr'], 16) == $mu]"
	got=$(jget "$TMP/$build.json" "[(l['kind'], l['contentions'], l['writes']['contentions'], l['reads']['contentions']) for l in $row]")
	check "$build: lock table: $mu, kind mutex, $N contended waits, all writes (got $got)" \
		[ "$got" = "[('mutex', $N, $N, 0)]" ]
	# the lock table's lockSlow rows: each a mutex bpftrace saw, with as many calls
	slow="lambda l: all(s['frames'][0].startswith('sync.(*Mutex).lockSlow+') for s in l['top_stacks'])"
	mt_rows=$(jget "$TMP/$build.json" "'\n'.join('%s %d' % (hex(int(l['addr'], 16)), l['contentions']) for l in sorted(filter($slow, d['locks']), key=lambda l: int(l['addr'], 16)))")
	check "$build: the lockSlow rows are the mutexes whose lockSlow calls bpftrace counted, as many: $(tr '\n' ' ' <<<"$mt_rows")" \
		[ "$mt_rows" = "$bt_rows" ]
	[ "$mt_rows" = "$bt_rows" ] || echo "# bpftrace: $bt_rows"
	# the lock table is the program's mutex and nothing else: the runtime's own futex waits
	# (runtime.lock2 expects 2 of its word, as a contended C mutex would) are not locks
	got=$(jget "$TMP/$build.json" "[(hex(int(l['addr'], 16)), l['contentions']) for l in d['locks']]")
	check "$build: the lock table is exactly the program's mutex, $N waits (got $got)" \
		[ "$got" = "[('$mu', $N)]" ]
	# the runtime's own futex waits (idle Ms in notesleep; runtime.lock2) are kept apart, by kind;
	# their number depends on the scheduler, so only that there are some (an M parks while main
	# sleeps 20 ms) is checked, and that they agree across the report
	# (runtime.futex has no frame pointer: without DWARF its caller, futexsleep, is not named)
	rt="[w for w in d['other_waits'] if w['top_stacks'] and w['top_stacks'][0]['frames'][0].startswith('runtime.futex')]"
	kinds=$(jget "$TMP/$build.json" "sorted(set(w['kind'] for w in $rt) - {'go-park', 'go-rtlock'})")
	n_rt=$(jget "$TMP/$build.json" "len($rt)")
	check "$build: the runtime's futex waits: $n_rt rows, some" [ "$n_rt" -gt 0 ]
	check "$build: the runtime's futex waits are all of kind go-park or go-rtlock (other kinds: $kinds)" \
		[ "$kinds" = "[]" ]
	park=$(jget "$TMP/$build.json" "d['other_wait_totals'].get('go-park', {}).get('waits', 0)")
	park_rows=$(jget "$TMP/$build.json" "sum(w['contentions'] for w in d['other_waits'] if w['kind'] == 'go-park')")
	lock2=$(jget "$TMP/$build.json" "d['other_wait_totals'].get('go-rtlock', {}).get('waits', 0)")
	"$MAPTRACE" report "$TMP/$build.mtr" >"$TMP/$build.txt"
	check "$build: go-park waits: $park in JSON's totals, some, as in its rows ($park_rows)" \
		[ "$park" -gt 0 -a "$park" = "$park_rows" ]
	check "$build: the text report: $park parking idle threads, $lock2 in runtime.lock2" \
		go_runtime_line "$TMP/$build.txt" "$park" "$lock2"
	# the advice names no runtime function but the map's grow (runtime.hashGrow: golock's
	# environment map)
	rtfuncs=$(jget "$TMP/$build.json" "sorted(set(f for a in d['advice'] for f in __import__('re').findall(r'runtime[.][^ ;:,)]+', a)) - {'runtime.hashGrow'})")
	check "$build: the advice names no runtime function but runtime.hashGrow (got $rtfuncs)" [ "$rtfuncs" = "[]" ]
	median=$(awk '$1 == "median_ns" { print $2 }' "$TMP/traced.out")
	p50=$(jget "$TMP/$build.json" "$row[0]['p50_ns']")
	check "$build: P50 $p50 ns within 5% of the program's own median $median ns" near "$p50" "$median" 0.05
	frames=$(jget "$TMP/$build.json" "'|'.join(f.split(' ')[0].split('+')[0] for f in $row[0]['top_stacks'][0]['frames'])")
	check "$build: the waiting stack: lockSlow, main.waitForLock, main.main.func1 (got $frames)" \
		[ "$(cut -d'|' -f1-3 <<<"$frames")" = "sync.(*Mutex).lockSlow|main.waitForLock|main.main.func1" ]
	[ $FAILS -eq 0 ] || { "$MAPTRACE" report "$TMP/$build.mtr" | sed 's/^/# /' | head -40; sed 's/^/# bt: /' "$TMP/bt.out" "$TMP/bt.err" | head; }

	# never a crash, never another answer: the traced program, again and again
	more_runs "$build: $((RUNS - 1)) more traced runs: exit 0, same output, $N waits each" \
		"$row[0]['contentions']" $N waits -- "$bin" $N
done

finish
