#!/usr/bin/env bash
# Go 1.19 runtime maps through the built-in go profile, attached with no flag, on the build with
# symbols and the stripped one: tests/progs/go/gogrow fills make(map[int]int) with 100,000 keys
# (it grows from one bucket) and make(map[int]int, 100000) (it never grows).  Oracles: the
# program's own len() and its own reckoning of the load-factor rule, the same rule derived
# here, bpftrace counting runtime.hashGrow calls per map (and telling same-size grows by
# hashGrow's own test) at the address `go tool nm` gives, `go tool nm` and the source for the
# creation lines, `go tool objdump` for the probe sites --list shows.  By default makemap is not
# probed (a map is known from its first grow, named after where it first grew); with --detail
# the creation lines are checked too.  Each map's Go type (read from hashGrow's *maptype) is
# the one the source makes and `gogrow types` prints with %T: map[int]int for these three, and
# map[string]*main.Node beside map[int]int in `gogrow types`, by address (%p).  The traced
# program's output must equal the untraced one's, in 20 traced runs of each build.  Needs root.
# timeout: 240
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/golib.sh"

GOGROW=${GOGROW:-.output/tests/progs/go/gogrow}
SRC=tests/progs/go/gogrow.go
N=100000
RUNS=${RUNS:-20}
export GOCACHE=$PWD/.output/go/cache # go tool: nothing in $HOME

# The grows of a map filled from empty with $1 new keys, by runtime/map.go's rule: before a
# new key goes in, it grows when count+1 > 8 (bucketCnt) and count+1 > 13 * (2^B / 2)
# (loadFactorNum, loadFactorDen): one grow for each B whose threshold $1 keys pass.
rule_grows() {
	awk -v n="$1" 'BEGIN { B = 0; while (n > 8 && n > 13 * int(2 ^ B / 2)) B++; print B }'
}
want_grows=$(rule_grows $N)
check "the load-factor rule gives 14 grows for $N keys (got $want_grows)" [ "$want_grows" -eq 14 ]
# the hinted map: makemap picks the smallest B that is not overLoadFactor(hint, B), the same loop
want_hint_B=$(rule_grows $N)

line_grown=$(grep -n 'grown = make(map\[int\]int)$' $SRC | cut -d: -f1)
line_hinted=$(grep -n 'hinted = make(map\[int\]int, n)$' $SRC | cut -d: -f1)
line_churned=$(grep -n 'churned = make(map\[int\]int)$' $SRC | cut -d: -f1)
# where each map first grows: fill's and churn's first inserts, and main's call of fill
line_fill=$(grep -n '^		m\[i\] = i \* 2$' $SRC | cut -d: -f1)
line_churn=$(grep -n '^		m\[i\] = i$' $SRC | head -1 | cut -d: -f1)
line_fill_call=$(grep -n 'fill(grown, n))$' $SRC | cut -d: -f1)
CHURN_KEYS=6000
churn_grows=$(rule_grows $CHURN_KEYS)
hashgrow=$(go tool nm "$GOGROW" | awk '$3 == "runtime.hashGrow" { print $1 }')
# bpftrace counts hashGrow's calls past its stack check: its entry runs again when morestack
# grew the stack (or the scheduler asked for a yield), and counted such a call twice (25 against
# maptrace's 24 once, in a CI dry run)
hg_past=$(go_past_check "$GOGROW" runtime.hashGrow "$hashgrow")
check "runtime.hashGrow starts CMPQ; JBE (go tool objdump): bpftrace counts at 0x$hg_past" [ -n "$hg_past" ]

# The program's own lines of output (maptrace's reports share its stdout).
own() { grep -E '^(grown|hinted|rule|check|churned) ' "$1"; }

"$GOGROW" $N >"$TMP/untraced.out" 2>&1
check "untraced run exits 0" [ $? -eq 0 ]
check "the program fills both maps: grown $N, hinted $N" \
	grep -qxF "grown $N" "$TMP/untraced.out"
check "the program's own reckoning of the rule agrees: $want_grows grows to B $want_grows" \
	grep -qxF "rule $want_grows grows to B $want_grows" "$TMP/untraced.out"

want_sites="$({
	printf '%s branch\n' "$(go_entry_jbe "$GOGROW" runtime.hashGrow)"
	for f in runtime.hashGrow runtime.makemap runtime.makemap_small; do
		go_epilogues "$GOGROW" $f | sed 's/$/ single-step/'
	done
} | sort)"

for build in plain stripped; do
	bin=$GOGROW
	[ $build = stripped ] && bin=$GOGROW-stripped
	abs=$(readlink -f "$bin")

	# --list: the go profile's sites, each with its instruction's kind
	go_list "$bin" 10 "$TMP/list.out"
	got_sites=$(list_sites go 'create|grow_begin|grow_end' "$TMP/list.out")
	check_sites "$build: --list: the go profile probes hashGrow's jbe (emulated) and the epilogues of hashGrow, makemap, makemap_small (single-stepped), per go tool objdump" \
		"$want_sites" "$got_sites" 4 "$TMP/list.out"
	# bpftrace: by name where there are symbols; in the stripped build at the file offset of
	# the same address (bpftrace 0.17 takes a number there as one), once the code is the same
	if [ $build = stripped ]; then
		# the same program: the same functions at the same addresses (the data after
		# .text moves a little, so only code without data references is compared)
		same_code "$build" "$bin" "$GOGROW" runtime.hashGrow "$hashgrow"
	fi
	site="$abs:$(file_offset "$bin" "${hg_past:-0}")"
	for mode in default detail; do
	opt=
	[ $mode = detail ] && opt=--detail
	# per map (h, in RBX under Go's register ABI): calls, and same-size grows by hashGrow's own
	# test (!overLoadFactor(h.count+1, h.B): count @0, B @9 of runtime.hmap)
	bt_start "uprobe:$site {
			\$h = reg(\"bx\"); \$c = *(uint64 *)\$h + 1; \$b = (uint64)*(uint8 *)(\$h + 9);
			@calls[\$h] = count();
			@same[\$h] = sum(\$c > 8 && \$c > 13 * ((1 << \$b) / 2) ? 0 : 1);
		}"

	# traced from its first instruction; it waits on its input once done, so a sync reads the
	# maps while they are alive
	rm -f "$TMP/in"
	mkfifo "$TMP/in"
	GOMAP_WAIT=1 "$MAPTRACE" $opt -o "$TMP/$build-$mode.mtr" 0.2 -- "$bin" $N <"$TMP/in" \
		>"$TMP/traced.out" 2>"$TMP/traced.err" &
	mt=$!
	exec {fd}>"$TMP/in"
	wait_for "$TMP/traced.out" '^waiting$' 60 || echo "# $bin did not finish: $(cat "$TMP/traced.err")"
	# a live report after the fill: the maps' fields were read after their last insert
	end=$((SECONDS + 30))
	until [ "$(sed -n '/^waiting$/,$p' "$TMP/traced.out" | grep -c '^PID [0-9]* (gogrow')" -ge 1 ]; do
		[ $SECONDS -ge $end ] && break
		sleep 0.05
	done
	exec {fd}>&-
	wait $mt
	rc=$?
	bt_stop
	check "$build $mode: traced run exits 0 ($rc)" [ $rc -eq 0 ]
	check "$build $mode: traced output equals untraced" diff <(own "$TMP/untraced.out") <(own "$TMP/traced.out")
	"$MAPTRACE" report "$TMP/$build-$mode.mtr" --json --top 0 >"$TMP/$build.json"
	COLUMNS=200 "$MAPTRACE" report "$TMP/$build-$mode.mtr" >"$TMP/$build.txt"

	# the rows: by default (makemap unprobed) by where each map first grew, in main.fill and
	# main.churn, each from one bucket (made with no hint); with --detail, by the make() lines
	# of main.main
	if [ $mode = detail ]; then
		row="[m for m in d['maps'] if m['created_at'] == 'main.main (gogrow.go:%s)']"
		grown_row=$(printf "$row" "$line_grown")
		hinted_row=$(printf "$row" "$line_hinted")
		churn_row=$(printf "$row" "$line_churned")
		check "$build $mode: one map created at main.main (gogrow.go:$line_grown), one at :$line_hinted" \
			[ "$(jget "$TMP/$build.json" "(len($grown_row), len($hinted_row))")" = "(1, 1)" ]
		h_addr=$(jget "$TMP/$build.json" "int($hinted_row[0]['addr'], 16)")
		where="created at main.main (gogrow.go:$line_grown)"
		text_at="main.main (gogrow.go:$line_grown)"
	else
		row="[m for m in d['maps'] if m['created_at'] is None and m['first_grown_at'] == 'main.%s (gogrow.go:%s)' and m['sizes'][0] == 1]"
		grown_row=$(printf "$row" fill "$line_fill")
		churn_row=$(printf "$row" churn "$line_churn")
		check "$build $mode: one map first grew at main.fill (gogrow.go:$line_fill), one at main.churn (gogrow.go:$line_churn), each from one bucket; none shows a creation site" \
			[ "$(jget "$TMP/$build.json" "(len($grown_row), len($churn_row), sum(m['created_at'] is not None for m in d['maps']))")" = "(1, 1, 0)" ]
		check "$build $mode: the grown map's first grow stack goes through main.main (gogrow.go:$line_fill_call)" \
			[ "$(jget "$TMP/$build.json" "any(f.startswith('main.main+') and '(gogrow.go:$line_fill_call)' in f for f in $grown_row[0]['first_grow_stack'])")" = True ]
		check "$build $mode: no map shown as made before attach (its grows were all seen)" \
			[ "$(jget "$TMP/$build.json" "d['before_attach']['maps']")" = 0 ]
		where="made with no size hint; first grew at main.fill (gogrow.go:$line_fill)"
		text_at="first grew at main.fill (gogrow.go:$line_fill)"
	fi
	# others ROW: the same-size grows, and all grows, of the other rows at ROW's address: with
	# --detail a map's row begins at its creation, so a map that had the address before (and
	# grew there: bpftrace counts by address) has a row of its own
	others() {
		jget "$TMP/$build.json" "(lambda r: '%d %d' % (sum(m['same_size_grows'] for m in d['maps'] if m['addr'] == r['addr'] and m is not r), sum(m['grows'] + m['same_size_grows'] for m in d['maps'] if m['addr'] == r['addr'] and m is not r)))($1[0])"
	}
	g_addr=$(jget "$TMP/$build.json" "int($grown_row[0]['addr'], 16)")
	read -r o_same o_all <<<"$(others "$grown_row")"
	bt_calls=$(awk -v a="$g_addr" -F'[][]' '/^@calls/ && $2 == a { print $3 }' "$TMP/bt.out" | tr -dc 0-9)
	bt_same=$(awk -v a="$g_addr" -F'[][]' '/^@same/ && $2 == a { print $3 }' "$TMP/bt.out" | tr -dc 0-9)
	got=$(jget "$TMP/$build.json" "[$grown_row[0][k] for k in ('grows', 'same_size_grows', 'count', 'B')]")
	check "$build $mode: grown map: $want_grows grows, ${bt_same:-?} same-size (bpftrace: ${bt_calls:-?} hashGrow calls at its address; other maps there: $o_all), count $N, B $want_grows (got $got)" \
		[ "$got" = "[$want_grows, $((${bt_same:-0} - o_same)), $N, $want_grows]" -a -n "$bt_same" -a \
		"${bt_calls:-x}" = $((want_grows + ${bt_same:-0} + o_all - o_same)) ]
	if [ $mode = detail ]; then
		bt_hinted=$(awk -v a="$h_addr" -F'[][]' '/^@calls/ && $2 == a { print $3 }' "$TMP/bt.out" | tr -dc 0-9)
		got=$(jget "$TMP/$build.json" "[$hinted_row[0][k] for k in ('grows', 'same_size_grows', 'count', 'B')]")
		check "$build $mode: hinted map: no grow (bpftrace: ${bt_hinted:-0} hashGrow calls), count $N, B $want_hint_B (got $got)" \
			[ "$got" = "[0, 0, $N, $want_hint_B]" -a -z "$bt_hinted" ]
	else
		# a map that never grows is not seen without makemap's probe: bpftrace saw
		# hashGrow only on the maps maptrace shows
		bt_maps=$(awk -F'[][]' '/^@calls/ { print $2 }' "$TMP/bt.out" | sort)
		mt_maps=$(jget "$TMP/$build.json" "chr(10).join(sorted(str(int(m['addr'], 16)) for m in d['maps']))")
		check "$build $mode: the maps shown are exactly those bpftrace saw grow (the hinted map never grows: $(wc -l <<<"$bt_maps") maps)" \
			[ "$(sort <<<"$mt_maps")" = "$bt_maps" ]
		[ "$(sort <<<"$mt_maps")" = "$bt_maps" ] || echo "# bpftrace:" $bt_maps "maptrace:" $mt_maps
	fi
	# the churned map: its doubling grows by the rule for the keys it keeps, and same-size
	# grows as many as bpftrace saw hashGrow make (the workload makes some: a check of it)
	c_addr=$(jget "$TMP/$build.json" "int($churn_row[0]['addr'], 16)")
	bt_ccalls=$(awk -v a="$c_addr" -F'[][]' '/^@calls/ && $2 == a { print $3 }' "$TMP/bt.out" | tr -dc 0-9)
	bt_csame=$(awk -v a="$c_addr" -F'[][]' '/^@same/ && $2 == a { print $3 }' "$TMP/bt.out" | tr -dc 0-9)
	check "$build $mode: the churn made same-size grows (bpftrace: ${bt_csame:-?})" [ "${bt_csame:-0}" -gt 0 ]
	got=$(jget "$TMP/$build.json" "[$churn_row[0][k] for k in ('grows', 'same_size_grows', 'count')]")
	read -r o_same o_all <<<"$(others "$churn_row")"
	check "$build $mode: churned map: $churn_grows grows, ${bt_csame:-?} same-size apart (bpftrace: ${bt_ccalls:-?} hashGrow calls at its address; other maps there: $o_all), count $CHURN_KEYS (got $got)" \
		[ "$got" = "[$churn_grows, $((${bt_csame:-0} - o_same)), $CHURN_KEYS]" -a -n "$bt_csame" -a \
		"${bt_ccalls:-x}" = $((churn_grows + ${bt_csame:-0} + o_all - o_same)) ]
	# the type each map was made with (the source: make(map[int]int)); the hinted map never
	# grows, so no resize carried its type
	got=$(jget "$TMP/$build.json" "[$grown_row[0]['go_type'], $churn_row[0]['go_type']]")
	check "$build $mode: the grown and the churned map are map[int]int (got $got)" \
		[ "$got" = "['map[int]int', 'map[int]int']" ]
	if [ $mode = detail ]; then
		check "$build $mode: the hinted map, which never grew, has no type (go_type null)" \
			[ "$(jget "$TMP/$build.json" "$hinted_row[0]['go_type']")" = None ]
	fi
	check "$build $mode: the REHASH row of the grown map ends 'map[int]int $text_at'" \
		grep -qE "^$(printf 0x%x "$g_addr") +go .* map\[int\]int ${text_at//[()]/.}\$" "$TMP/$build.txt"
	sizes=$(jget "$TMP/$build.json" "[$grown_row[0][k] for k in ('size', 'buckets')]")
	check "$build $mode: grown map's size is 2^$want_grows buckets (got $sizes)" \
		[ "$sizes" = "[$((1 << want_grows)), $((1 << want_grows))]" ]
	head="Go map $(printf 0x%x "$g_addr") ($where): grew $want_grows times (1 -> $((1 << want_grows)) buckets), "
	tail=" in runtime.hashGrow; it held up to $N entries: create it with make(map[int]int, $N)"
	check "$build $mode: advice in Go's terms: make(map[int]int, $N)" [ "$(jget "$TMP/$build.json" \
		"sum(a.startswith('$head') and a.endswith('$tail') for a in d['advice'])")" = 1 ]
	[ $FAILS -eq 0 ] || { sed 's/^/# /' "$TMP/$build.txt" | head -40; sed 's/^/# bt: /' "$TMP/bt.out" "$TMP/bt.err" | head; }
	done

	# two map types, named as the program names them (%T), at the addresses it prints (%p):
	# live (the summary after its output) and from the trace file
	TYPES_N=20000
	COLUMNS=200 "$MAPTRACE" -q -o "$TMP/$build-types.mtr" -- "$bin" types $TYPES_N \
		>"$TMP/types.out" 2>"$TMP/types.err"
	rc=$?
	check "$build types: traced run exits 0 ($rc)" [ $rc -eq 0 ]
	"$MAPTRACE" report "$TMP/$build-types.mtr" --json --top 0 >"$TMP/types.json"
	COLUMNS=200 "$MAPTRACE" report "$TMP/$build-types.mtr" >"$TMP/types.txt"
	# the program's lines, not maptrace's ("map 0x...: 12 grows and ...")
	mapfile -t prog_maps < <(awk '$1 == "map" && NF == 4 && $3 ~ /^map\[/ { print $2, $3, $4 }' "$TMP/types.out")
	check "$build types: the program prints two maps of $TYPES_N keys: map[int]int and map[string]*main.Node" \
		[ "$(printf '%s\n' "${prog_maps[@]}" | awk '{ print $2, $3 }' | sort | tr '\n' ' ')" = \
		"map[int]int $TYPES_N map[string]*main.Node $TYPES_N " ]
	for pm in "${prog_maps[@]}"; do
		read -r addr type _ <<<"$pm"
		got=$(jget "$TMP/types.json" "[m['go_type'] for m in d['maps'] if int(m['addr'], 16) == $addr]")
		check "$build types: the map at $addr is $type in the trace file's JSON (got $got)" \
			[ "$got" = "['$type']" ]
		row="^$addr +go .* ${type//[][*]/.} first grew at main.types "
		check "$build types: its REHASH row says $type, live" grep -qE "$row" "$TMP/types.out"
		check "$build types: its REHASH row says $type, from the file" grep -qE "$row" "$TMP/types.txt"
		check "$build types: the advice for $addr says make($type, N)" [ "$(jget "$TMP/types.json" \
			"sum(a.startswith('Go map $addr ') and ': create it with make($type, ' in a for a in d['advice'])")" = 1 ]
	done

	# never a crash, never another answer: the traced program, again and again
	more_runs "$build: $((RUNS - 1)) more traced runs: exit 0, same output, $want_grows grows each" \
		"[m for m in d['maps'] if m['first_grown_at'] == 'main.fill (gogrow.go:$line_fill)'][0]['grows']" \
		"$want_grows" grows -- "$bin" $N
done

finish
