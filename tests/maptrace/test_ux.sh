#!/usr/bin/env bash
# Issue 16 points 3, 6, 7: false sharing between contended locks, the spread of waits across a
# sharded map's shards, tables that fit the terminal, --sort and the --map/--lock filters, colour,
# the report subcommand's help and the exit codes (needs root: loads BPF).
# timeout: 600
source "$(dirname "$0")/lib.sh"

FALSESHARE=${FALSESHARE:-.output/tests/progs/falseshare}

# --- A. false sharing: neighbouring mutexes of one packed array ---------------------------------
ITERS=6
traced packed --json -- "$FALSESHARE" $ITERS 5
traced packedtxt -q -- "$FALSESHARE" $ITERS 5
P=$TMP/packed.mt.out PT=$TMP/packed.target.out
check "packed: maptrace and falseshare exited 0 ($packed_mt_rc, $packed_target_rc)" \
	[ "$packed_mt_rc" -eq 0 ] && [ "$packed_target_rc" -eq 0 ]
# locks 0 and 1 share line 0 (bytes 0..79), locks 2 and 3 line 1: two groups, in address order
want=$(jget "$PT" "[[d['locks'][0], d['locks'][1]], [d['locks'][2], d['locks'][3]]]")
check "packed: json false_sharing is exactly the two pairs of the array $want ($(jget "$P" "[g['locks'] for g in d['false_sharing']]"))" \
	[ "$(jget "$P" "[g['locks'] for g in d['false_sharing']]")" = "$want" ]
check "packed: each pair's contentions are the waits its two waiters counted ($(jget "$P" "[g['contentions'] for g in d['false_sharing']]") vs $(jget "$PT" "d['blocked']"))" \
	[ "$(jget "$P" "[g['contentions'] for g in d['false_sharing']]")" = \
	  "$(jget "$PT" "[d['blocked'][0] + d['blocked'][1], d['blocked'][2] + d['blocked'][3]]")" ]
check "packed: the falseshare waits were real ($(jget "$PT" "d['waits']") of $((4 * ITERS)))" \
	[ "$(jget "$PT" "d['waits']")" = $((4 * ITERS)) ]
check "packed: two advice lines name the false sharing and the fix" \
	[ "$(jget "$P" "sum('false sharing' in a and 'aligned(64)' in a for a in d['advice'])")" = 2 ]
check "packed: text summary names both pairs" \
	[ "$(grep -c '^false sharing: .* share a 64-byte cache line' "$TMP/packedtxt.mt.out")" = 2 ]

# the fix itself: the same program with each mutex on its own line
traced padded --json -- "$FALSESHARE" $ITERS 5 1
check "padded: its $(jget "$TMP/padded.mt.out" "len(d['locks'])") contended locks, no false sharing, no such advice" \
	[ "$(jget "$TMP/padded.mt.out" "(len(d['locks']) >= 4, d['false_sharing'], sum('false sharing' in a for a in d['advice']))")" = "(True, [], 0)" ]

# libcmap's sharded map: its shard locks are 64 bytes apart, each on its own line
SHARDED=("$MAPLOAD" --variant sharded --shards 16 --threads 4 --keys 64 --write-pct 50
	--hold-us 200 --ops 20000 --start-after 0.3)
traced sharded --json -- "${SHARDED[@]}"
S=$TMP/sharded.mt.out
check "sharded: several shard locks contended ($(jget "$S" "len([l for l in d['locks'] if l['map']])")), none shares a line" \
	[ "$(jget "$S" "(len([l for l in d['locks'] if l['map']]) >= 2, d['false_sharing'])")" = "(True, [])" ]
check "sharded: no false-sharing advice" \
	[ "$(jget "$S" "sum('false sharing' in a for a in d['advice'])")" = 0 ]

# --- B. the spread of a sharded map's waits across its shards: one advice line per map ----------
# uniform keys over 3 maps of 16 shards: every shard lock alike busy
traced even --json -- "$MAPLOAD" --json --variant sharded --maps 3 --shards 16 --threads 4 \
	--keys 100000 --write-pct 50 --hold-us 100 --ops 40000 --start-after 0.3
E=$TMP/even.mt.out
check "even: mapload ran ($even_target_rc) and maptrace exited 0 ($even_mt_rc)" \
	[ "$even_target_rc" -eq 0 ] && [ "$even_mt_rc" -eq 0 ]
check "even: exactly 3 shard advice lines, one per map, each 'spread evenly' ($(jget "$E" "[a for a in d['advice'] if 'shard' in a]"))" \
	[ "$(jget "$E" "(sum('sharded map' in a for a in d['advice']), sum('16 shards, waits spread evenly: more shards or shorter holds' in a for a in d['advice']), len({a.split()[2] for a in d['advice'] if a.startswith('sharded map')}))")" = "(3, 3, 3)" ]
check "even: no advice line per shard lock, no 'shard the map'" \
	[ "$(jget "$E" "sum(a.startswith('mutex') or 'shard the map' in a for a in d['advice'])")" = 0 ]
# one key: every op on one shard
traced hot --json -- "$MAPLOAD" --json --variant sharded --shards 16 --threads 4 --writers 1 \
	--keys 1 --write-pct 50 --hold-us 100 --duration 1 --start-after 0.3
H=$TMP/hot.mt.out
check "hot key: mapload ran ($hot_target_rc) and maptrace exited 0 ($hot_mt_rc)" \
	[ "$hot_target_rc" -eq 0 ] && [ "$hot_mt_rc" -eq 0 ]
check "hot key: exactly one shard advice line, 'one shard takes 100%: a hot key' ($(jget "$H" "d['advice']"))" \
	[ "$(jget "$H" "(sum('sharded map' in a for a in d['advice']), sum('one shard takes 100%: a hot key' in a for a in d['advice']))")" = "(1, 1)" ]

# --- C. tables that fit the terminal, rates, --sort, --map/--lock, colour --------------------------
LOAD=("$MAPLOAD" --variant sharded --maps 2 --shards 16 --threads 4 --keys 100000 --write-pct 50
	--hold-us 100 --ops 60000 --start-after 0.3)
# longest line of FILE
widest() { awk '{ n = length($0); if (n > m) m = n } END { print m + 0 }' "$1"; }
export COLUMNS=80
traced w80 -o "$TMP/load.mtr" 0.2 -- "${LOAD[@]}"
W=$TMP/w80.mt.out
check "COLUMNS=80: maptrace exited 0 ($w80_mt_rc)" [ "$w80_mt_rc" -eq 0 ]
check "COLUMNS=80: live reports ($(grep -c '^PID ' "$W")), the summary, its stacks and advice" \
	[ "$(grep -c '^PID ' "$W")" -ge 2 ] && grep -q '^SUMMARY' "$W" && grep -q '^TOP WAITING STACKS' "$W" && grep -q '^ADVICE' "$W"
check "COLUMNS=80: no live or summary line is wider than 80 ($(widest "$W"))" [ "$(widest "$W")" -le 80 ]
check "COLUMNS=80: live lock table keeps WAITS, WAITS/S, TOTAL, WAIT/S, P99, leaves P50 out" \
	grep -qE '^ADDR +KIND +WAITS +WAITS/S +TOTAL +WAIT/S +P99 +TOP WAITING STACK' "$W"
COLUMNS=80 "$MAPTRACE" report "$TMP/load.mtr" --all-waits >"$TMP/r80.txt"
check "COLUMNS=80: report of the trace, with --all-waits, within 80 ($(widest "$TMP/r80.txt"))" \
	[ "$(widest "$TMP/r80.txt")" -le 80 ]
export COLUMNS=200
traced w200 0.2 -- "${LOAD[@]}"
W2=$TMP/w200.mt.out
check "COLUMNS=200: live REHASH shows every column, GROWS/S too" \
	grep -qE '^ADDR +VARIANT +INSERTS +GROWS +GROWS/S +SAME +SIZE PATH +REHASH +MAXSTEP +MOVED +COUNT/CAP +CREATED AT$' "$W2"
check "COLUMNS=200: live LOCK WAIT shows every column, the rates too" \
	grep -qE '^ADDR +KIND +MAP +WAITS +WAITS/S +TOTAL +WAIT/S +P50 +P99 +MAX +READ/WRITE +TOP WAITING STACK$' "$W2"
check "COLUMNS=200: the summary's LOCK WAIT shows every column but the rates" \
	[ "$(sed -n '/^SUMMARY/,$p' "$W2" | grep -cE '^ADDR +KIND +MAP +WAITS +TOTAL +P50 +P99 +MAX +READ/WRITE +TOP WAITING STACK$')" = 1 ]
unset COLUMNS

R=("$MAPTRACE" report "$TMP/load.mtr" --json --top 0)
"${R[@]}" >"$TMP/all.json"
A=$TMP/all.json
check "sort: the trace has several maps and locks ($(jget "$A" "(len(d['maps']), len(d['locks']))"))" \
	[ "$(jget "$A" "len(d['maps']) >= 2 and len(d['locks']) >= 4")" = True ]
for k in waits:contentions p99:p99_ns max:max_ns; do
	"${R[@]}" --sort "${k%%:*}" >"$TMP/s.json"
	check "--sort ${k%%:*}: locks in exactly the order of ${k#*:}, largest first" \
		[ "$(jget "$TMP/s.json" "[l['${k#*:}'] for l in d['locks']] == sorted([l['${k#*:}'] for l in d['locks']], reverse=True) and sorted(l['addr'] for l in d['locks']) == sorted(l['addr'] for l in json.load(open('$A'))['locks'])")" = True ]
done
"${R[@]}" --sort inserts >"$TMP/s.json"
check "--sort inserts: maps by inserts, largest first" \
	[ "$(jget "$TMP/s.json" "[m['inserts'] for m in d['maps']] == sorted([m['inserts'] for m in d['maps']], reverse=True)")" = True ]
"$MAPTRACE" report "$TMP/load.mtr" --json --top 3 --sort p99 >"$TMP/s3.json"
check "--sort p99 --top 3: the three locks with the highest P99 of all" \
	[ "$(jget "$TMP/s3.json" "[l['addr'] for l in d['locks']] == [l['addr'] for l in sorted(json.load(open('$A'))['locks'], key=lambda l: -l['p99_ns'])][:3]")" = True ]
COLUMNS=200 "$MAPTRACE" report "$TMP/load.mtr" --top 0 --sort waits >"$TMP/s.txt"
"${R[@]}" --sort waits >"$TMP/s.json"
check "--sort waits: the text table's rows in the JSON's order" \
	[ "$(sed -n '/^LOCK WAIT$/,/^other waits\|^false\|^$/p' "$TMP/s.txt" | awk '$1 ~ /^0x/ { print $1 }' | tr '\n' ' ')" = \
	  "$(jget "$TMP/s.json" "' '.join(l['addr'] for l in d['locks']) + ' '")" ]

MAP0=$(jget "$A" "d['maps'][1]['addr']")
"${R[@]}" --map "$MAP0" >"$TMP/m.json"
check "--map $MAP0: exactly that map, and exactly the locks guarding it" \
	[ "$(jget "$TMP/m.json" "([m['addr'] for m in d['maps']], sorted(l['addr'] for l in d['locks']))")" = \
	  "$(jget "$A" "(['$MAP0'], sorted(l['addr'] for l in d['locks'] if l['map'] == '$MAP0'))")" ]
check "--map $MAP0: its advice line only" \
	[ "$(jget "$TMP/m.json" "len(d['advice']) >= 1 and all('$MAP0' in a for a in d['advice'])")" = True ]
LOCK0=$(jget "$A" "d['locks'][2]['addr']")
"${R[@]}" --lock "$LOCK0" >"$TMP/l.json"
check "--lock $LOCK0: exactly that lock and the map it guards" \
	[ "$(jget "$TMP/l.json" "([l['addr'] for l in d['locks']], [m['addr'] for m in d['maps']])")" = \
	  "$(jget "$A" "(['$LOCK0'], [l['map'] for l in d['locks'] if l['addr'] == '$LOCK0'])")" ]
COLUMNS=200 "$MAPTRACE" report "$TMP/load.mtr" --lock "$LOCK0" >"$TMP/l.txt"
check "--lock $LOCK0: text, one lock row and one map row" \
	[ "$(sed -n '/^LOCK WAIT$/,/^$/p' "$TMP/l.txt" | awk '$1 ~ /^0x/' | wc -l) $(sed -n '/^REHASH$/,/^LOCK WAIT$/p' "$TMP/l.txt" | awk '$1 ~ /^0x/' | wc -l)" = "1 1" ]
"${R[@]}" --map workload__new >"$TMP/n.json"
check "--map workload__new (the function that created them): every map" \
	[ "$(jget "$TMP/n.json" "len(d['maps'])")" = "$(jget "$A" "len(d['maps'])")" ]
"${R[@]}" --map 0x1 >"$TMP/none.json"
check "--map 0x1 (no such map): no map, no lock, no advice, exit 0" \
	[ "$(jget "$TMP/none.json" "(d['maps'], d['locks'], d['advice'])")" = "([], [], [])" ]
# a lock by its name: falseshare's padded array is static, so its locks are named
traced named -o "$TMP/padded.mtr" -q -- "$FALSESHARE" 3 5 1
"$MAPTRACE" report "$TMP/padded.mtr" --json --lock padded+0x40 >"$TMP/pn.json"
check "--lock padded+0x40: exactly the lock of that name" \
	[ "$(jget "$TMP/pn.json" "[(l['name'], l['contentions']) for l in d['locks']]")" = "[('padded+0x40', 3)]" ]
expect_fail "--sort nosuch" "--sort takes a column: inserts, .*; not 'nosuch'" \
	"$MAPTRACE" report "$TMP/load.mtr" --sort nosuch
expect_fail "--map 0xzz" "--map 0xzz is not an address" "$MAPTRACE" report "$TMP/load.mtr" --map 0xzz

# colour: bold headings on a terminal only, never with NO_COLOR or in a pipe
"$MAPTRACE" report "$TMP/load.mtr" | cat >"$TMP/pipe.txt"
check "colour: piped, no escape sequence" [ "$(grep -c $'\033' "$TMP/pipe.txt")" = 0 ]
script -qec "$MAPTRACE report $TMP/load.mtr" /dev/null >"$TMP/tty.txt" </dev/null
check "colour: on a terminal, bold headings ($(grep -c $'\033\[1m' "$TMP/tty.txt"))" \
	[ "$(grep -c $'\033\[1mREHASH' "$TMP/tty.txt")" = 1 ]
NO_COLOR=1 script -qec "$MAPTRACE report $TMP/load.mtr" /dev/null >"$TMP/nocolor.txt" </dev/null
check "colour: NO_COLOR=1 on a terminal, no escape sequence" \
	[ "$(grep -c $'\033' "$TMP/nocolor.txt")" = 0 ] && grep -q '^REHASH' "$TMP/nocolor.txt"

# --- D. the report subcommand's help; every exit status ----------------------------------------
"$MAPTRACE" report --help >"$TMP/rh.txt"
check "report --help: exit 0 and the report's own usage" \
	[ $? -eq 0 ] && [ "$(head -1 "$TMP/rh.txt")" = "Usage: maptrace report FILE [OPTIONS]" ] && ! grep -q -- '--pid' "$TMP/rh.txt"
for h in "--help" "report --help"; do
	# shellcheck disable=SC2086
	wide=$("$MAPTRACE" $h | awk 'length > 80' | wc -l)
	check "$h: no line over 80 columns ($wide)" [ "$wide" = 0 ]
	# shellcheck disable=SC2086
	check "$h lists the exit statuses 0, 1, 2 and a launched command's" \
		[ "$("$MAPTRACE" $h | sed -n '/^EXIT STATUS/,/^$/p' | grep -cE '^  (0|1|2|-- CMD:) ')" = 4 ]
done
status() { "$@" >/dev/null 2>&1; echo $?; }
check "exit 0: a report printed" [ "$(status "$MAPTRACE" report "$TMP/load.mtr")" = 0 ]
check "exit 2: an unknown option" [ "$(status "$MAPTRACE" --bogus)" = 2 ]
check "exit 2: a bad value" [ "$(status "$MAPTRACE" report "$TMP/load.mtr" --top -1)" = 2 ]
check "exit 1: a trace file that does not exist" [ "$(status "$MAPTRACE" report "$TMP/nosuch.mtr")" = 1 ]
head -c $(($(stat -c %s "$TMP/load.mtr") / 2)) "$TMP/load.mtr" >"$TMP/half.mtr"
"$MAPTRACE" report "$TMP/half.mtr" >"$TMP/half.txt" 2>/dev/null
rc=$?
check "exit 1: a damaged trace file, its partial report still printed ($rc)" \
	[ $rc = 1 ] && grep -q '^SUMMARY' "$TMP/half.txt"
check "exit 1: no such process" [ "$(status "$MAPTRACE" -p 4194303 -d 1)" = 1 ]
check "exit: -- CMD's own status (3)" [ "$(status "$MAPTRACE" -q -- sh -c 'exit 3')" = 3 ]
check "exit: -- CMD killed by SIGTERM: 143" [ "$(status "$MAPTRACE" -q -- sh -c 'kill -TERM $$')" = 143 ]
check "exit: -- CMD not found: 127" [ "$(status "$MAPTRACE" -q -- "$TMP/no-such-cmd")" = 127 ]

finish
