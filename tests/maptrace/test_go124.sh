#!/usr/bin/env bash
# Go 1.24 programs built here (Debian trixie's golang-1.24, unpacked under .output by
# scripts/go124.sh), with symbols and stripped, traced through the built-in goswiss profile with
# no flag: what the npm binaries (tsgo, esbuild) cannot do, programs that count their own events.
#   - golock: 10 sync.Mutex waits, each seen parked by the program (internal/sync.Mutex's
#     state word): exactly 10 waits at &mu, as bpftrace counts internal/sync.(*Mutex).lockSlow
#     calls on it, with the program's goroutine ids and its median wait;
#   - gorw: 5 rounds of a reader behind a writer, a writer behind a reader and a writer behind a
#     writer on one sync.RWMutex (Go 1.24's: {w Mutex; writerSem, readerSem uint32; ...}):
#     5 read and 10 write waits at &rw, as the program counts them and as bpftrace counts
#     sync.runtime_SemacquireRWMutexR calls on &rw.readerSem (rw + 12),
#     sync.runtime_SemacquireRWMutex on &rw.writerSem (rw + 8) and lockSlow on &rw.w (rw);
#   - goswiss: make(map[int]int) filled with 100,000 keys: its grows are bpftrace's count of
#     growToTable, grow and split calls on the map (the pushes after their stack checks, at the
#     addresses maptrace's pclntab reader gives), and the count derived here from the Swiss
#     growth rules (below), which the program's own directory (read from its map header after
#     the fill) confirms; its count as the program exits is its len(), 100,000, and the advice
#     make(map[int]int, 100000); make(map[int]int, 100000) never grows.
# The traced programs' output equals the untraced one's, in RUNS traced runs of each.
# Needs root, bpftrace and the Go 1.24 toolchain (scripts/go124.sh; make deps runs it).
# timeout: 600
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/golib.sh"

DIR=${GO124_PROGS:-.output/tests/progs/go124}
GONM=${GONM:-.output/tests/progs/gonm}
RUNS=${RUNS:-10}
N=100000

go124=$(scripts/go124.sh --print 2>&1)
check "scripts/go124.sh provides the Go 1.24 toolchain ($go124)" [ -x "$go124" ]
for p in golock gorw goswiss; do
	[ -x "$DIR/$p" ] && [ -x "$DIR/$p-stripped" ] && continue
	not_ok "$DIR/$p is not built: run scripts/go124.sh, then make test-build"
	finish
done
for b in "$DIR"/{golock,gorw,goswiss}{,-stripped}; do
	v=$(GOTOOLCHAIN=local "$go124" version "$b" 2>&1)
	check "$b is Go go1.24.4 (go version: $v)" [ "$v" = "$b: go1.24.4" ]
done

# fn_push BIN REGEX: "ENTRY PUSH" (hex) of the function pclntab names by REGEX (gonm): its entry
# and the push %rbp after its stack check, where maptrace's probes and bpftrace's sit
fn_push() {
	local e
	read -r e _ < <("$GONM" "$1" "$2")
	echo "${e:-0} $(go_push_after_check "$1" "${e:-0}")"
}

# bt_count MAP ADDR: bpftrace's count of @MAP[ADDR] (ADDR in any base bash reads)
bt_count() { awk -v k="@$1[$(($2))]:" '$1 == k { print $2 }' "$TMP/bt.out"; }

LS='^internal/sync\.\(\*Mutex\)\.lockSlow$'

# --- golock: sync.Mutex ------------------------------------------------------------------------
own() { grep -E '^(mutex 0x[0-9a-f]+|waits [0-9]+ parked [0-9]+)$' "$1"; }
W=10
for build in plain stripped; do
	bin=$DIR/golock
	[ $build = stripped ] && bin=$DIR/golock-stripped
	abs=$(readlink -f "$bin")
	"$bin" $W >"$TMP/untraced.out" 2>&1
	check "golock $build: untraced run exits 0, saw each of its $W waits parked" \
		grep -qxF "waits $W parked $W" "$TMP/untraced.out"
	mu=$(awk '$1 == "mutex" { print $2 }' "$TMP/untraced.out")
	read -r ls_entry ls_push < <(fn_push "$bin" "$LS")
	check "golock $build: lockSlow (0x$ls_entry) starts cmp; jbe; push (objdump: push at 0x$ls_push)" [ -n "$ls_push" ]

	bt_start "uprobe:$abs:$(($(file_offset "$bin" "${ls_push:-0}"))) { @slow[reg(\"ax\")] = count(); }"
	"$MAPTRACE" -o "$TMP/$build-l.mtr" -- "$bin" $W >"$TMP/traced.out" 2>"$TMP/traced.err"
	rc=$?
	bt_stop
	check "golock $build: traced run exits 0 ($rc)" [ $rc -eq 0 ]
	check "golock $build: no probe left out (stderr: $(grep -c 'not attached' "$TMP/traced.err") 'not attached')" \
		[ "$(grep -c 'not attached' "$TMP/traced.err")" = 0 ]
	check "golock $build: traced output equals untraced" diff <(own "$TMP/untraced.out") <(own "$TMP/traced.out")
	"$MAPTRACE" report "$TMP/$build-l.mtr" --json --events --top 0 >"$TMP/l.json"
	got=$(jget "$TMP/l.json" "[(hex(int(l['addr'], 16)), l['kind'], l['contentions'], l['writes']['contentions']) for l in d['locks']]")
	check "golock $build: the lock table is exactly the program's mutex $mu, $W waits (got $got)" \
		[ "$got" = "[('$mu', 'mutex', $W, $W)]" ]
	check "golock $build: bpftrace: $W lockSlow calls on $mu (got $(bt_count slow "$mu"))" \
		[ "$(bt_count slow "$mu")" = $W ]
	ids=$(prog_goids "$TMP/traced.out")
	got=$(go_goids "$TMP/l.json" json "$mu")
	check "golock $build: the goids of the waits are the $W the program read from its own stacks ($ids; got $got)" \
		[ "$(wc -w <<<"$ids")" = $W -a "$got" = "$ids" ]
	median=$(awk '$1 == "median_ns" { print $2 }' "$TMP/traced.out")
	p50=$(jget "$TMP/l.json" "d['locks'][0]['p50_ns']")
	check "golock $build: P50 $p50 ns within 5% of the program's own median $median ns" near "$p50" "$median" 0.05
	frames=$(jget "$TMP/l.json" "'|'.join(f.split(' ')[0].split('+')[0] for f in d['locks'][0]['top_stacks'][0]['frames'][:3])")
	check "golock $build: the waiting stack: internal/sync lockSlow, main.waitForLock, main.main.func1 (got $frames)" \
		[ "$frames" = "internal/sync.(*Mutex).lockSlow|main.waitForLock|main.main.func1" ]
	[ $FAILS -eq 0 ] || { "$MAPTRACE" report "$TMP/$build-l.mtr" | sed 's/^/# /' | head -30; sed 's/^/# bt: /' "$TMP/bt.out" | head; }
	more_runs "golock $build: $((RUNS - 1)) more traced runs: exit 0, same output, $W waits each" \
		"[l['contentions'] for l in d['locks'] if int(l['addr'], 16) == $mu]" "[$W]" waits -- "$bin" $W
done

# --- gorw: sync.RWMutex, reads and writes ---------------------------------------------------
own() { grep -E '^(rwmutex 0x[0-9a-f]+|read_waits [0-9]+ write_waits [0-9]+)$' "$1"; }
R=5
for build in plain stripped; do
	bin=$DIR/gorw
	[ $build = stripped ] && bin=$DIR/gorw-stripped
	abs=$(readlink -f "$bin")
	"$bin" $R >"$TMP/untraced.out" 2>&1
	check "gorw $build: the program counted $R read waits and $((2 * R)) write waits" \
		grep -qxF "read_waits $R write_waits $((2 * R))" "$TMP/untraced.out"
	rw=$(awk '$1 == "rwmutex" { print $2 }' "$TMP/untraced.out")
	read -r _ ls_push < <(fn_push "$bin" "$LS")
	read -r _ r_push < <(fn_push "$bin" '^sync\.runtime_SemacquireRWMutexR$')
	read -r _ w_push < <(fn_push "$bin" '^sync\.runtime_SemacquireRWMutex$')
	check "gorw $build: lockSlow, runtime_SemacquireRWMutexR and runtime_SemacquireRWMutex start cmp; jbe; push (0x$ls_push, 0x$r_push, 0x$w_push)" \
		[ -n "$ls_push" -a -n "$r_push" -a -n "$w_push" ]
	# --list: a lock probe at each push, two on lockSlow's (by caller), a lock_end at each epilogue
	go_list "$bin" 0 "$TMP/list.out"
	got=$(list_sites goswiss 'lock' "$TMP/list.out" | awk '{ print $1 }' | paste -sd' ')
	want=$(printf '0x%s\n' "$ls_push" "$ls_push" "$r_push" "$w_push" | sort | paste -sd' ')
	check "gorw $build: --list: lock probes at the pushes, two on lockSlow's ($want; got $got)" [ "$got" = "$want" ]
	callers=$(grep -cE '^ +lock +internal/sync\.\(\*Mutex\)\.lockSlow\+0xa .*\(calls (not )?from sync\.\(\*RWMutex\)\.Lock\)$' "$TMP/list.out")
	check "gorw $build: --list says which calls each lockSlow probe takes (got $callers of 2)" [ "$callers" = 2 ]

	bt_start "uprobe:$abs:$(($(file_offset "$bin" "$r_push"))) { @r[reg(\"ax\")] = count(); }
		uprobe:$abs:$(($(file_offset "$bin" "$w_push"))) { @w[reg(\"ax\")] = count(); }
		uprobe:$abs:$(($(file_offset "$bin" "$ls_push"))) { @slow[reg(\"ax\")] = count(); }"
	"$MAPTRACE" -o "$TMP/$build-rw.mtr" -- "$bin" $R >"$TMP/traced.out" 2>"$TMP/traced.err"
	rc=$?
	bt_stop
	check "gorw $build: traced run exits 0 ($rc), no probe left out" \
		[ $rc -eq 0 -a "$(grep -c 'not attached' "$TMP/traced.err")" = 0 ]
	check "gorw $build: traced output equals untraced" diff <(own "$TMP/untraced.out") <(own "$TMP/traced.out")
	"$MAPTRACE" report "$TMP/$build-rw.mtr" --json --events --top 0 >"$TMP/rw.json"
	got="$(bt_count r $((rw + 12))) $(bt_count w $((rw + 8))) $(bt_count slow $((rw)))"
	check "gorw $build: bpftrace: $R semacquires on &rw.readerSem, $R on &rw.writerSem, $R lockSlow on &rw.w (got $got)" \
		[ "$got" = "$R $R $R" ]
	row="[l for l in d['locks'] if int(l['addr'], 16) == $rw]"
	got=$(jget "$TMP/rw.json" "[(l['kind'], l['contentions'], l['reads']['contentions'], l['writes']['contentions']) for l in d['locks']]")
	check "gorw $build: the lock table is one rwlock at $rw: $R read and $((2 * R)) write waits (got $got)" \
		[ "$got" = "[('rwlock', $((3 * R)), $R, $((2 * R)))]" ]
	for mode in read write; do
		own_ns=$(awk -v k=${mode}_total_ns '{ for (i = 1; i < NF; i++) if ($i == k) print $(i + 1) }' "$TMP/traced.out")
		mt_ns=$(jget "$TMP/rw.json" "$row[0]['${mode}s']['wait_ns']")
		# each of maptrace's waits lies inside the program's timing of it (CLOCK_MONOTONIC both)
		check "gorw $build: $mode waits: $mt_ns ns in all, above 0 and no more than the program's own $own_ns ns" \
			[ "${mt_ns:-0}" -gt 0 -a "${mt_ns:-0}" -le "${own_ns:-0}" ]
		ids=$(prog_goids "$TMP/traced.out" goids_$mode)
		got=$(go_goids "$TMP/rw.json" json "$rw" $mode)
		check "gorw $build: the goids of the $mode waits are the program's own ($ids; got $got)" \
			[ -n "$ids" -a "$got" = "$ids" ]
	done
	median=$(awk '$1 == "median_ns" { print $2 }' "$TMP/traced.out")
	p50=$(jget "$TMP/rw.json" "$row[0]['p50_ns']")
	check "gorw $build: P50 $p50 ns within 5% of the program's own median $median ns" near "$p50" "$median" 0.05
	stacks=$(jget "$TMP/rw.json" "sorted(set('|'.join(f.split(' ')[0].split('+')[0] for f in s['frames'][:3]) for s in $row[0]['top_stacks']))")
	want="['internal/sync.(*Mutex).lockSlow|sync.(*RWMutex).Lock|main.writeWait', 'sync.runtime_SemacquireRWMutexR|main.readWait|main.main.func1', 'sync.runtime_SemacquireRWMutex|sync.(*RWMutex).Lock|main.writeWait']"
	check "gorw $build: the waiting stacks: a reader's through main.readWait, a writer's through RWMutex.Lock (got $stacks)" \
		[ "$stacks" = "$want" ]
	evs=$(jget "$TMP/rw.json" "sorted(__import__('collections').Counter((e['mode'], e['kind']) for e in d['event_log'] if e.get('lock') and int(e['lock'], 16) == $rw).items())")
	check "gorw $build: the event log's waits at $rw: $R rwlock reads, $((2 * R)) writes (got $evs)" \
		[ "$evs" = "[(('read', 'rwlock'), $R), (('write', 'rwlock'), $((2 * R)))]" ]
	[ $FAILS -eq 0 ] || { "$MAPTRACE" report "$TMP/$build-rw.mtr" | sed 's/^/# /' | head -30; sed 's/^/# bt: /' "$TMP/bt.out" | head; }
	more_runs "gorw $build: $((RUNS - 1)) more traced runs: exit 0, same output, $R read and $((2 * R)) write waits each" \
		"[(l['reads']['contentions'], l['writes']['contentions']) for l in $row]" "[($R, $((2 * R)))]" waits \
		-- "$bin" $R
done

# --- goswiss: a Swiss map's grows ---------------------------------------------------------------
# The grows of make(map[int]int) filled with $1 new keys, by Go 1.24's rules
# (internal/runtime/maps): the first 8 keys fill the small map's one group, the 9th moves them to
# a table of 16 slots (growToTable); a table holds 7/8 of its slots (maxAvgGroupLoad 7 of 8) and
# then doubles (grow) up to 1024 slots (maxTableCapacity), beyond which it splits in two tables
# of 1024 (split), each taking the keys whose hash has a 1 or a 0 at the next bit.  Hashes are
# uniform, so the tables end at one depth: the least D with $1 / 2^D <= 896 (1024 x 7/8; a
# table at that depth holds 781 +- 28 keys of 100,000, the one above 1,562), 2^D tables, made
# by 2^D - 1 splits.  Prints "GROWS TABLES".
swiss_rule() {
	awk -v n="$1" 'BEGIN {
		if (n <= 8) { print 0, 0; exit }
		g = 1; cap = 16
		while (n > cap * 7 / 8 && cap < 1024) { cap *= 2; g++ }
		t = 1
		if (n > 896) while (n / t > 896) t *= 2
		print g + t - 1, t }'
}
read -r want_grows want_tables < <(swiss_rule $N)
check "the Swiss growth rules give 134 grows for $N keys: growToTable, 6 doublings 16 -> 1024, 127 splits into 128 tables (got $want_grows, $want_tables)" \
	[ "$want_grows $want_tables" = "134 128" ]
# a hint of N: NewMap makes ceil(N x 8 / 7 / 1024) tables, rounded up to a power of 2, each of
# (N x 8 / 7) / tables slots rounded up to a power of 2: room for N without a grow
want_hint_tables=$(awk -v n=$N 'BEGIN { c = int(n * 8 / 7); t = 1; while (t * 1024 < c) t *= 2; print t }')
# The rules hold for an even spread of the keys.  Each map's hash seed is random: in about one
# run in 150 here (149 of 150 untraced runs: 128 tables) a table draws more than 896 of the
# 100,000 keys and splits once more, in the filled map or in the hinted one.  So each run's
# oracle is the program's own directory (and bpftrace), and the output compared between runs
# leaves the directory's shape out.
own() { grep -xE '(grown|hinted) [0-9]+' "$1"; }
# swiss_want FILE: the grows of the program's map[int]int maps, as maptrace lists them, from the
# directories the run printed: the filled map's growToTable, 6 doublings and a split per table
# beyond the first; the hinted map's splits beyond the tables make() gave it, when any
swiss_want() {
	local t m h
	read -r _ _ _ _ t _ < <(grep '^dir grown ' "$1")
	read -r _ _ _ _ m _ h _ < <(grep '^dir hinted ' "$1")
	python3 -c 'import sys; g, s = map(int, sys.argv[1:]); print(sorted([g] + ([s] if s else [])))' \
		$((6 + ${t:-0})) $((${h:-0} - ${m:-0}))
}
for build in plain stripped; do
	bin=$DIR/goswiss
	[ $build = stripped ] && bin=$DIR/goswiss-stripped
	abs=$(readlink -f "$bin")
	"$bin" $N >"$TMP/untraced.out" 2>&1
	check "goswiss $build: untraced run exits 0, both maps hold $N keys" \
		[ "$(grep -cxE "(grown|hinted) $N" "$TMP/untraced.out")" = 2 ]
	read -r _ _ g _ tables _ depth _ caps < <(grep '^dir grown ' "$TMP/untraced.out")
	check "goswiss $build: the program's own directory after the fill: $tables tables of 1024 slots, depth $depth: the rules' $want_tables, or a few more for an uneven seed" \
		[ "$caps" = 1024-1024 -a "${tables:-0}" -ge "$want_tables" -a "${tables:-0}" -le $((want_tables + 4)) -a \
		$((1 << ${depth:-0})) -ge "${tables:-1}" ]
	read -r _ _ h _ made _ htables _ _ _ hcaps < <(grep '^dir hinted ' "$TMP/untraced.out")
	check "goswiss $build: the hinted map: make() gave it $want_hint_tables tables, it has as many after the fill (or a few more for an uneven seed), all of 1024 slots ($made, $htables, $hcaps)" \
		[ "$made $hcaps" = "$want_hint_tables 1024-1024" -a "${htables:-0}" -ge "$want_hint_tables" -a \
		"${htables:-0}" -le $((want_hint_tables + 4)) ]

	M='internal/runtime/maps'
	read -r _ p_gtt < <(fn_push "$bin" "^$M\\.\\(\\*Map\\)\\.growToTable\$")
	read -r _ p_grow < <(fn_push "$bin" "^$M\\.\\(\\*table\\)\\.grow\$")
	read -r _ p_split < <(fn_push "$bin" "^$M\\.\\(\\*table\\)\\.split\$")
	check "goswiss $build: growToTable, grow and split start cmp; jbe; push (0x$p_gtt, 0x$p_grow, 0x$p_split)" \
		[ -n "$p_gtt" -a -n "$p_grow" -a -n "$p_split" ]
	# per map: growToTable(m) m = RAX, grow(t, typ, m, n) and split(t, typ, m) m = RCX; the
	# map's used count at each
	bt_start "uprobe:$abs:$(($(file_offset "$bin" "${p_gtt:-0}"))) { @g[reg(\"ax\"), \"small\"] = count(); @used[reg(\"ax\")] = max(*(uint64 *)reg(\"ax\")); }
		uprobe:$abs:$(($(file_offset "$bin" "${p_grow:-0}"))) { @g[reg(\"cx\"), \"grow\"] = count(); @used[reg(\"cx\")] = max(*(uint64 *)reg(\"cx\")); }
		uprobe:$abs:$(($(file_offset "$bin" "${p_split:-0}"))) { @g[reg(\"cx\"), \"split\"] = count(); @used[reg(\"cx\")] = max(*(uint64 *)reg(\"cx\")); }"
	"$MAPTRACE" -o "$TMP/$build-s.mtr" -- "$bin" $N >"$TMP/traced.out" 2>"$TMP/traced.err"
	rc=$?
	bt_stop
	check "goswiss $build: traced run exits 0 ($rc), no probe left out" \
		[ $rc -eq 0 -a "$(grep -c 'not attached' "$TMP/traced.err")" = 0 ]
	check "goswiss $build: traced output equals untraced" diff <(own "$TMP/untraced.out") <(own "$TMP/traced.out")
	read -r _ _ g _ tables _ < <(grep '^dir grown ' "$TMP/traced.out")
	read -r _ _ h _ _ _ htables _ < <(grep '^dir hinted ' "$TMP/traced.out")
	# this run's own directory: growToTable, the 6 doublings, a split per table beyond the first
	prog_grows=$((1 + 6 + ${tables:-0} - 1))
	bt_of() { # MAP KIND: bpftrace's calls of KIND on MAP
		awk -v k="@g[$(($1)), $2]:" '$1 " " $2 == k { print $3 }' "$TMP/bt.out"
	}
	bs=$(bt_of "$g" small) bg=$(bt_of "$g" grow) bsp=$(bt_of "$g" split)
	bt_sum=$((${bs:-0} + ${bg:-0} + ${bsp:-0}))
	bt_kinds="${bs:-0} ${bg:-0} ${bsp:-0}"
	"$MAPTRACE" report "$TMP/$build-s.mtr" --json --top 0 >"$TMP/s.json"
	got=$(jget "$TMP/s.json" "[(m['grows'], m['go_type'], m['sizes']) for m in d['maps'] if int(m['addr'], 16) == $g]")
	check "goswiss $build: grown map $g: $prog_grows grows (8 -> 2048 slots), as the program's directory ($tables tables; the rules: $want_grows) and bpftrace (growToTable, grow, split: $bt_kinds) say (got $got)" \
		[ "$got" = "[($prog_grows, 'map[int]int', [8, 16, 32, 64, 128, 256, 512, 1024, 2048])]" -a \
		"$prog_grows" -ge "$want_grows" -a "$bt_sum" = "$prog_grows" -a "$bt_kinds" = "1 6 $((${tables:-0} - 1))" ]
	got=$(jget "$TMP/s.json" "[m['grows'] for m in d['maps'] if int(m['addr'], 16) == $h]")
	read -r _ _ _ _ made _ htables _ < <(grep '^dir hinted ' "$TMP/traced.out")
	hs=$((${htables:-0} - ${made:-0})) hbt=$(awk -v k="@g[$((h)), split]:" '$1 " " $2 == k { print $3 }' "$TMP/bt.out")
	hwant="[]"
	[ "$hs" -gt 0 ] && hwant="[$hs]"
	check "goswiss $build: hinted map $h: no grow but the splits of an uneven seed ($htables tables, $made made: $hs; bpftrace: $(grep -c "^@g\[$((h)), " "$TMP/bt.out") calls, ${hbt:-0} splits; maptrace: got $got)" \
		[ "$got" = "$hwant" -a "${hbt:-0}" = "$hs" -a "$(grep -c "^@g\[$((h)), " "$TMP/bt.out")" = $((hs > 0)) ]
	# the count as the program exits (BPF on exit_group reads Map.used, checked against the
	# directory: dirLen = 2^globalDepth, at most 896 entries a table): the program's len, and
	# the advice a hint of it
	got=$(jget "$TMP/s.json" "[(m['count'], m['peak_count']) for m in d['maps'] if int(m['addr'], 16) == $g]")
	check "goswiss $build: grown map: count $N read as the program exited, its own len() (got $got)" \
		[ "$got" = "[($N, $N)]" ]
	last=$(awk -v k="@used[$((g))]:" '$1 == k { print $2 }' "$TMP/bt.out")
	adv=$(jget "$TMP/s.json" "[a for a in d['advice'] if a.startswith('Go map $g:')]")
	check "goswiss $build: the advice: make(map[int]int, $N) (it had $last entries at its last grow, by bpftrace; got $adv)" \
		grep -qF "grew $prog_grows times (8 -> 2048 slots); it held up to $N entries: create it with make(map[int]int, $N)'" <<<"$adv"
	# the maps whose count was read at the exit: a real map's count, never the garbage of a
	# freed one's memory (the runtime's environment maps are freed before main ends). The
	# live maps known from an event are the grown map and, when an uneven seed made the hinted
	# map split a table (hs > 0 above), the hinted map: both hold $N.
	got=$(jget "$TMP/s.json" "sorted((int(m['addr'], 16), m['count']) for m in d['maps'] if m['count'] is not None)")
	cwant=$(python3 -c 'import sys; g, h, hs, n = map(int, sys.argv[1:]); print(sorted([(g, n)] + ([(h, n)] if hs > 0 else [])))' \
		$((g)) $((h)) "$hs" $N)
	check "goswiss $build: the only counts read at the exit are the filled map's, and the hinted map's if it split (want $cwant, got $got)" \
		[ "$got" = "$cwant" ]
	[ $FAILS -eq 0 ] || { "$MAPTRACE" report "$TMP/$build-s.mtr" | sed 's/^/# /' | head -30; sed 's/^/# bt: /' "$TMP/bt.out" | head; }
	more_runs "goswiss $build: $((RUNS - 1)) more traced runs: exit 0, same output, the grows each run's own directories give" \
		"sorted(m['grows'] for m in d['maps'] if m['go_type'] == 'map[int]int')" @swiss_want grows -- "$bin" $N
done

finish
