#!/usr/bin/env bash
# Go 1.19 sync.Map misses and promotions through the built-in gosync profile (no flag), on the
# build with symbols and the stripped one: tests/progs/go/gosyncmap stores and loads keys in a
# fixed random sequence and ranges over the map now and then, mirroring sync.Map's logic to
# count its misses and promotions (checked after every Load against the map's own misses
# field).  Oracles: the program's &m, its counts, and the dirty map's length at each promotion
# (0 for one by Range); bpftrace counting sync.(*Map).missLocked calls on &m and the calls of
# sync/atomic.(*Value).Store on &m.read (m + 8) made at the promotion sites of missLocked and
# Range, at the addresses `go tool nm` and `go tool objdump` give.  The traced program's output
# must equal the untraced one's, in 20 traced runs of each build.  Needs root.
# timeout: 240
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/golib.sh"

GOSM=${GOSM:-.output/tests/progs/go/gosyncmap}
RUNS=${RUNS:-20}
export GOCACHE=$PWD/.output/go/cache # go tool: nothing in $HOME

# The program's output (maptrace's reports share its stdout): all of it is the same run to run.
own() { grep -E '^(syncmap|misses|promotions_by_range|promotion_sizes)( |$)' "$1"; }

# missLocked's entry: bpftrace counts at the instruction after its "cmp; jbe" (go tool
# objdump's fourth line); the promotions at each "CALL sync/atomic.(*Value).Store" of
# missLocked and Range
miss_at=$(go_past_check "$GOSM" 'sync\.\(\*Map\)\.missLocked')
store_calls() {
	go tool objdump -s "^sync\\.\\(\\*Map\\)\\.$1\$" "$GOSM" |
		awk '$4 == "CALL" && $5 == "sync/atomic.(*Value).Store(SB)" { sub(/^0x/, "", $2); print $2 }'
}
promote_missed=$(store_calls missLocked)
promote_range=$(store_calls Range)
check "missLocked starts with CMPQ; JBE, and it and Range each call Value.Store once (go tool objdump: 0x${miss_at:-?}, 0x${promote_missed:-?}, 0x${promote_range:-?})" \
	[ -n "$miss_at" -a "$(wc -w <<<"$promote_missed $promote_range")" = 2 ]
want_sites="$({
	printf '%s branch\n' "$(go_entry_jbe "$GOSM" 'sync\.\(\*Map\)\.missLocked')"
	printf '0x%s branch\n' $promote_missed $promote_range
} | sort)"

for build in plain stripped; do
	bin=$GOSM
	[ $build = stripped ] && bin=$GOSM-stripped
	abs=$(readlink -f "$bin")

	"$bin" >"$TMP/untraced.out" 2>&1
	check "$build: untraced run exits 0 (the program's mirror agreed with the map's misses field throughout)" [ $? -eq 0 ]
	sm=$(awk '$1 == "syncmap" { print $2 }' "$TMP/untraced.out")
	want_misses=$(awk '$1 == "misses" { print $2 }' "$TMP/untraced.out")
	want_prom=$(awk '$1 == "misses" { print $4 }' "$TMP/untraced.out")
	want_sizes=$(sed -n 's/^promotion_sizes //p' "$TMP/untraced.out")
	by_range=$(awk '$1 == "promotions_by_range" { print $2 }' "$TMP/untraced.out")
	check "$build: the program counted misses ($want_misses), promotions ($want_prom), Range's among them ($by_range)" \
		[ "${want_misses:-0}" -gt 100 -a "${want_prom:-0}" -gt 2 -a "${by_range:-0}" -gt 0 ]

	# --list: the gosync profile's sites and their instructions' kinds
	go_list "$bin" 0 "$TMP/list.out"
	got_sites=$(list_sites gosync 'miss|promote' "$TMP/list.out")
	check_sites "$build: --list: missLocked's jbe and the Value.Store calls of missLocked and Range, all emulated, per go tool objdump" \
		"$want_sites" "$got_sites" 3 "$TMP/list.out"

	# maptrace plans its probes (reading the code of missLocked and Range) before bpftrace's
	# go in: a uprobe's int3 shows in every private mapping of the file, maptrace's own too.
	# The program starts its work once both are in (GOSM_GATE).
	rm -f "$TMP/in" "$TMP/traced.err"
	mkfifo "$TMP/in"
	GOSM_GATE=1 "$MAPTRACE" -o "$TMP/$build.mtr" -- "$bin" <"$TMP/in" >"$TMP/traced.out" 2>"$TMP/traced.err" &
	mt=$!
	exec {fd}>"$TMP/in"
	wait_for "$TMP/traced.err" '^maptrace: tracing PID' 60 || echo "# maptrace did not start: $(cat "$TMP/traced.err")"
	# bpftrace 0.17 takes no Go name with parentheses: file offsets, in both builds
	bt_start "uprobe:$abs:$(($(file_offset "$bin" "$miss_at"))) { @miss[reg(\"ax\")] = count(); }
		uprobe:$abs:$(($(file_offset "$bin" "$promote_missed"))) { @prom[reg(\"ax\") - 8] = count(); }
		uprobe:$abs:$(($(file_offset "$bin" "$promote_range"))) { @prom[reg(\"ax\") - 8] = count(); }"
	echo go >&$fd
	exec {fd}>&-
	wait $mt
	rc=$?
	bt_stop
	check "$build: traced run exits 0 ($rc)" [ $rc -eq 0 ]
	check "$build: traced output equals untraced" diff <(own "$TMP/untraced.out") <(own "$TMP/traced.out")
	check "$build: no probe reported left out on stderr" [ "$(grep -c 'not attached' "$TMP/traced.err")" = 0 ]
	"$MAPTRACE" report "$TMP/$build.mtr" --json --top 0 --events >"$TMP/$build.json"

	bt_miss=$(awk -v k="@miss[$((sm))]:" '$1 == k { print $2 }' "$TMP/bt.out")
	bt_prom=$(awk -v k="@prom[$((sm))]:" '$1 == k { print $2 }' "$TMP/bt.out")
	check "$build: bpftrace: $want_misses missLocked calls and $want_prom promotions on $sm (got ${bt_miss:-0}, ${bt_prom:-0})" \
		[ "${bt_miss:-0} ${bt_prom:-0}" = "$want_misses $want_prom" ]
	row="[m for m in d['maps'] if int(m['addr'], 16) == $sm]"
	got=$(jget "$TMP/$build.json" "[(m['library'], m['misses'], m['promotions'], m['hits']) for m in $row]")
	check "$build: map table: $sm, gosync, $want_misses misses, $want_prom promotions, hits not counted (got $got)" \
		[ "$got" = "[('gosync', $want_misses, $want_prom, None)]" ]
	got=$(jget "$TMP/$build.json" "' '.join(str(e['dirty_len']) for e in sorted((e for e in d['event_log'] if e['type'] == 'promote' and int(e['map'], 16) == $sm), key=lambda e: e['ts_ns']))")
	check "$build: each promotion's dirty map length, in order, as the program reckoned it (0: by Range) (got $got)" \
		[ "$got" = "$want_sizes" ]
	frames=$(jget "$TMP/$build.json" "sorted(set('|'.join(f.split(' ')[0].split('+')[0] for f in e['stack'][:3]) for e in d['event_log'] if e['type'] == 'promote'))")
	check "$build: promotions' stacks: missLocked <- Load <- main.main, Range <- main.main (got $frames)" \
		[ "$frames" = "['sync.(*Map).Range|main.main|runtime.main', 'sync.(*Map).missLocked|sync.(*Map).Load|main.main']" ]
	check "$build: no map said to be made before the attach (traced from the start; no Go map's creation is probed by default)" \
		[ "$(jget "$TMP/$build.json" "d['before_attach']['maps']")" = 0 ]
	check "$build: advice in Go's terms for the sync.Map" [ "$(jget "$TMP/$build.json" \
		"sum(a.startswith('sync.Map $sm: $want_misses reads missed its read-only snapshot') and 'promoted $want_prom times' in a for a in d['advice'])")" = 1 ]
	[ $FAILS -eq 0 ] || { "$MAPTRACE" report "$TMP/$build.mtr" | sed 's/^/# /' | head -40; sed 's/^/# bt: /' "$TMP/bt.out" "$TMP/bt.err" | head; }

	# never a crash, never another answer: the traced program, again and again
	more_runs "$build: $((RUNS - 1)) more traced runs: exit 0, same output, $want_misses misses and $want_prom promotions each" \
		"[(m['misses'], m['promotions']) for m in $row]" "[($want_misses, $want_prom)]" "misses and promotions" \
		-- "$bin"
done

finish
