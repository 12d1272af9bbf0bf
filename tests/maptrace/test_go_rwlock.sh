#!/usr/bin/env bash
# Go 1.19 sync.RWMutex contended waits, reads told from writes, through the built-in go profile
# (no flag), on the build with symbols and the stripped one: tests/progs/go/gorw makes N rounds
# of a reader waiting behind a writer, a writer behind a reader and a writer behind a writer on
# one RWMutex, each wait seen coming in by the program (rw's own fields) and timed by it.
# Oracles: the program's &rw, its counts, total wait and waiting goroutines' ids of each kind,
# its median wait; bpftrace counting, by address, sync.runtime_SemacquireMutex calls on
# &rw.readerSem (rw + 12: reads) and &rw.writerSem (rw + 8: a writer behind readers) and
# sync.(*Mutex).lockSlow calls on &rw.w (rw: a writer behind a writer), at the addresses `go tool nm` gives.  The traced
# program's output must equal the untraced one's, in 20 traced runs of each build.  Needs root.
# timeout: 300
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/golib.sh"

GORW=${GORW:-.output/tests/progs/go/gorw}
N=5
RUNS=${RUNS:-20}
export GOCACHE=$PWD/.output/go/cache # go tool: nothing in $HOME

# The program's lines of output that do not change run to run (maptrace's share its stdout).
own() { grep -E '^(rwmutex 0x[0-9a-f]+|read_waits [0-9]+ write_waits [0-9]+)$' "$1"; }

# bpftrace counts calls at the instruction after a function's entry "cmp; jbe" (the entry runs
# again when morestack had to grow the stack): `go tool objdump`'s fourth line
sem=$(go_past_check "$GORW" 'sync\.runtime_SemacquireMutex')
slow=$(go_past_check "$GORW" 'sync\.\(\*Mutex\)\.lockSlow')
check "sync.runtime_SemacquireMutex and sync.(*Mutex).lockSlow start with CMPQ; JBE (go tool objdump: 0x${sem:-?}, 0x${slow:-?} after it)" \
	[ -n "$sem" -a -n "$slow" ]
# the sites: each function's entry jbe, twice (one probe per caller rule), and its epilogue
want_sites="$({
	for f in 'sync\.\(\*Mutex\)\.lockSlow' 'sync\.runtime_SemacquireMutex'; do
		printf '%s branch\n' "$(go_entry_jbe "$GORW" "$f")" "$(go_entry_jbe "$GORW" "$f")"
		go_epilogues "$GORW" "$f" | sed 's/$/ single-step/'
	done
} | sort)"

for build in plain stripped; do
	bin=$GORW
	[ $build = stripped ] && bin=$GORW-stripped
	abs=$(readlink -f "$bin")

	"$bin" $N >"$TMP/untraced.out" 2>&1
	check "$build: untraced run exits 0" [ $? -eq 0 ]
	check "$build: the program counted $N read waits and $((2 * N)) write waits" \
		grep -qxF "read_waits $N write_waits $((2 * N))" "$TMP/untraced.out"
	rw=$(awk '$1 == "rwmutex" { print $2 }' "$TMP/untraced.out")

	# --list: the lock sites, their instructions' kinds and which calls each takes
	go_list "$bin" 0 "$TMP/list.out"
	got_sites=$(list_sites go 'lock|lock_end' "$TMP/list.out")
	check_sites "$build: --list: lockSlow's and runtime_SemacquireMutex's jbe (emulated, two probes each) and epilogues (single-stepped), per go tool objdump" \
		"$want_sites" "$got_sites" 6 "$TMP/list.out"
	callers=$(grep -cE '^ +lock +(sync\.\(\*Mutex\)\.lockSlow\+0x4 .* \(calls (not )?from sync\.\(\*RWMutex\)\.Lock\)|sync\.runtime_SemacquireMutex\+0x4 .* \(calls (from sync\.\(\*RWMutex\)\.Lock|not from sync\.\(\*Mutex\)\.lockSlow or sync\.\(\*RWMutex\)\.Lock)\))$' "$TMP/list.out")
	check "$build: --list says which calls each lock probe takes, by caller (got $callers of 4)" [ "$callers" = 4 ]

	# bpftrace 0.17 takes no Go name with parentheses: file offsets, in both builds
	bt_start "uprobe:$abs:$(($(file_offset "$bin" "$sem"))) { @sem[reg(\"ax\")] = count(); }
		uprobe:$abs:$(($(file_offset "$bin" "$slow"))) { @slow[reg(\"ax\")] = count(); }"
	"$MAPTRACE" -o "$TMP/$build.mtr" -- "$bin" $N >"$TMP/traced.out" 2>"$TMP/traced.err"
	rc=$?
	bt_stop
	check "$build: traced run exits 0 ($rc)" [ $rc -eq 0 ]
	check "$build: traced output equals untraced" diff <(own "$TMP/untraced.out") <(own "$TMP/traced.out")
	"$MAPTRACE" report "$TMP/$build.mtr" --json --top 0 >"$TMP/$build.json"

	bt_count() { # MAP ADDR: bpftrace's count of @MAP[ADDR]
		awk -v k="@$1[$(($2))]:" '$1 == k { print $2 }' "$TMP/bt.out"
	}
	bt_reads=$(bt_count sem $((rw + 12)))
	bt_wsem=$(bt_count sem $((rw + 8)))
	bt_wslow=$(bt_count slow $((rw)))
	check "$build: bpftrace: $N semacquires on &rw.readerSem, $N on &rw.writerSem, $N lockSlow on &rw.w (got ${bt_reads:-0}, ${bt_wsem:-0}, ${bt_wslow:-0})" \
		[ "${bt_reads:-0} ${bt_wsem:-0} ${bt_wslow:-0}" = "$N $N $N" ]
	row="[l for l in d['locks'] if int(l['addr'], 16) == $rw]"
	got=$(jget "$TMP/$build.json" "[(l['kind'], l['contentions'], l['reads']['contentions'], l['writes']['contentions']) for l in $row]")
	check "$build: lock table: $rw, kind rwlock, $N read waits and $((2 * N)) write waits (got $got)" \
		[ "$got" = "[('rwlock', $((3 * N)), $N, $((2 * N)))]" ]
	for mode in read write; do
		own_ns=$(awk -v k=${mode}_total_ns '{ for (i = 1; i < NF; i++) if ($i == k) print $(i + 1) }' "$TMP/traced.out")
		mt_ns=$(jget "$TMP/$build.json" "$row[0]['${mode}s']['wait_ns']")
		# each of maptrace's waits lies inside the program's timing of it (one clock,
		# CLOCK_MONOTONIC): never more in all; how much less depends on the machine's load
		check "$build: $mode waits: $mt_ns ns in all, more than 0 and no more than the program's own $own_ns ns" \
			[ "${mt_ns:-0}" -gt 0 -a "${mt_ns:-0}" -le "${own_ns:-0}" ]
	done
	median=$(awk '$1 == "median_ns" { print $2 }' "$TMP/traced.out")
	p50=$(jget "$TMP/$build.json" "$row[0]['p50_ns']")
	check "$build: P50 $p50 ns within 5% of the program's own median $median ns" near "$p50" "$median" 0.05
	# the waiting stacks, each through the function the program waits in
	stacks=$(jget "$TMP/$build.json" "sorted(set('|'.join(f.split(' ')[0].split('+')[0] for f in s['frames'][:3]) for s in $row[0]['top_stacks']))")
	want="['sync.(*Mutex).lockSlow|sync.(*RWMutex).Lock|main.writeWait', 'sync.runtime_SemacquireMutex|main.readWait|main.main.func1', 'sync.runtime_SemacquireMutex|sync.(*RWMutex).Lock|main.writeWait']"
	check "$build: the waiting stacks: a reader's through main.readWait, a writer's through RWMutex.Lock and main.writeWait (got $stacks)" \
		[ "$stacks" = "$want" ]
	# every event is one of the program's waits: mode and kind in the event log too
	"$MAPTRACE" report "$TMP/$build.mtr" --json --events >"$TMP/$build-events.json"
	evs=$(jget "$TMP/$build-events.json" "sorted(__import__('collections').Counter((e['mode'], e['kind']) for e in d['event_log'] if e.get('lock') and int(e['lock'], 16) == $rw).items())")
	check "$build: the event log's waits at $rw: $N rwlock reads, $((2 * N)) writes (got $evs)" \
		[ "$evs" = "[(('read', 'rwlock'), $N), (('write', 'rwlock'), $((2 * N)))]" ]
	# the goroutine of each wait, by mode: the program's own ids, in the event log and on the
	# timeline exported from the trace file
	"$MAPTRACE" report "$TMP/$build.mtr" --format chrome >"$TMP/$build.chrome.json"
	for mode in read write; do
		ids=$(prog_goids "$TMP/traced.out" goids_$mode)
		n=$N
		[ $mode = write ] && n=$((2 * N))
		got=$(go_goids "$TMP/$build-events.json" json "$rw" $mode)
		check "$build: JSON event_log: the goids of the $mode waits at $rw are the $n the program read from its own stacks ($ids; got $got)" \
			[ "$(wc -w <<<"$ids")" = $n -a "$got" = "$ids" ]
		got=$(go_goids "$TMP/$build.chrome.json" chrome "$rw" $mode)
		check "$build: chrome: each $mode wait at $rw on its goroutine's track, the same goids (got $got)" \
			[ "$got" = "$ids" ]
	done
	[ $FAILS -eq 0 ] || { "$MAPTRACE" report "$TMP/$build.mtr" | sed 's/^/# /' | head -40; sed 's/^/# bt: /' "$TMP/bt.out" "$TMP/bt.err" | head; }

	# never a crash, never another answer: the traced program, again and again
	more_runs "$build: $((RUNS - 1)) more traced runs: exit 0, same output, $N read and $((2 * N)) write waits each" \
		"[(l['reads']['contentions'], l['writes']['contentions']) for l in $row]" "[($N, $((2 * N)))]" waits \
		-- "$bin" $N
done

finish
