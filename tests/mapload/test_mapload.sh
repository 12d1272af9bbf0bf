#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# mapload's own tests (no root needed): JSON output, the library's exact counters for the growth
# scenarios, checksum determinism across runs, variants and contention, the sync-map scenarios,
# and argument validation.
#
# Usage: tests/mapload/test_mapload.sh [BIN]   (BIN: the mapload binary, bin/mapload by default)
# Prints "ok - ..." or "not ok - ..." per check; exits non-zero when any check fails.
# timeout: 300

set -u

BIN=${1:-$(dirname "$0")/../../bin/mapload}
if [[ ! -x $BIN ]]; then
	echo "not ok - $BIN is not an executable"
	exit 1
fi

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

passed=0
failed=0

ok() {
	passed=$((passed + 1))
	echo "ok - $*"
}

not_ok() {
	failed=$((failed + 1))
	echo "not ok - $*"
}

# check DESCRIPTION COMMAND...: ok when the command succeeds.
check() {
	local desc=$1
	shift
	if "$@"; then ok "$desc"; else not_ok "$desc"; fi
}

# run NAME ARGS...: run mapload --json ARGS, stdout in $TMP/NAME.json, stderr in $TMP/NAME.err.
run() {
	local name=$1
	shift
	"$BIN" --json "$@" >"$TMP/$name.json" 2>"$TMP/$name.err"
	local rc=$?
	if ((rc != 0)); then
		echo "# mapload $* exited $rc: $(head -c 300 "$TMP/$name.err")"
		return 1
	fi
}

# field NAME KEY: print KEY of the JSON object in $TMP/NAME.json ("" if absent or unparsable).
field() {
	python3 -c 'import json, sys; print(json.load(open(sys.argv[1])).get(sys.argv[2], ""))' \
		"$TMP/$1.json" "$2" 2>/dev/null
}

# expect NAME KEY OP VALUE: one check on one counter, e.g. expect growth grows -eq 14.
expect() {
	local name=$1 key=$2 op=$3 want=$4 got
	got=$(field "$name" "$key")
	if [[ $got =~ ^[0-9]+$ ]] && test "$got" "$op" "$want"; then
		ok "$name: $key $op $want ($got)"
	else
		not_ok "$name: $key $op $want (got '$got')"
	fi
}

# ---------------------------------------------------------------------------------------------
# help and output format

"$BIN" --help >"$TMP/help.out" 2>&1
check "--help exits 0" test $? -eq 0
check "--help has an Examples block" grep -q '^Examples:' "$TMP/help.out"
undocumented=""
for flag in --variant --threads --keys --ops --duration --write-pct --delete-pct --new-key-pct \
	--hint --shards --hold-us --start-after --json --scenario --prefill --seed --maps \
	--exit-after --writers --recent-pct; do
	grep -q -- "^  $flag " "$TMP/help.out" || undocumented+=" $flag"
done
check "--help documents every flag${undocumented:+ (missing:$undocumented)}" test -z "$undocumented"

required_keys="inserts updates deletes lookups grows same_size_grows evacuated hits misses \
promotions count buckets ops threads variant elapsed_ns ns_per_op checksum"

if run basic --variant mutex --threads 4 --ops 1001 --keys 500 --write-pct 49.5; then
	check "JSON output parses" python3 -c 'import json, sys; json.load(open(sys.argv[1]))' \
		"$TMP/basic.json"
	check "JSON has every required key" python3 -c '
import json, sys
o = json.load(open(sys.argv[1]))
missing = [k for k in sys.argv[2].split() if k not in o]
if missing:
    print("# missing:", missing)
sys.exit(1 if missing else 0)' "$TMP/basic.json" "$required_keys"
	check "stdout is exactly one line" test "$(wc -l <"$TMP/basic.json")" -eq 1
	expect basic ops -eq 1001
	expect basic threads -eq 4
else
	not_ok "mapload --json runs"
fi

# --start-after: pid on stderr, stdout still only the JSON
if run startafter --start-after 0.1 --ops 100; then
	check "--start-after prints 'mapload: pid N' on stderr" \
		grep -Eq '^mapload: pid [0-9]+$' "$TMP/startafter.err"
	check "--start-after leaves only JSON on stdout" python3 -c \
		'import json, sys; json.load(open(sys.argv[1]))' "$TMP/startafter.json"
else
	not_ok "mapload --start-after runs"
fi

if run duration --variant rwlock --threads 2 --duration 0.2; then
	expect duration ops -gt 0
	expect duration elapsed_ns -ge 200000000
else
	not_ok "mapload --duration runs"
fi

# ---------------------------------------------------------------------------------------------
# growth: the library's rule is "grow (B+1) when an insert would make count > 6.5 * 2^B",
# starting from B = 0.  After N inserts, B is the smallest value with N <= 6.5 * 2^B, and each
# doubling happened once on the way: grows = that B.  For N = 100,000: 6.5 * 2^13 = 53,248 <
# 100,000 <= 6.5 * 2^14 = 106,496, so 14 grows, and 2^14 = 16,384 buckets.  Every grow moves all
# 2^B old buckets (incrementally; each finishes long before the next grow is due), so
# evacuated = 2^0 + ... + 2^13 = 2^14 - 1.  A hint of 100,000 picks that same B up front.

N=100000
grows=0
while ((N * 2 > 13 * (1 << grows))); do
	grows=$((grows + 1))
done
echo "# growth rule: $N inserts from B=0 need $grows grows, to $((1 << grows)) buckets"

if run growth --scenario growth; then
	expect growth inserts -eq $N
	expect growth count -eq $N
	expect growth grows -eq $grows
	expect growth same_size_grows -eq 0
	expect growth buckets -eq $((1 << grows))
	expect growth evacuated -eq $(((1 << grows) - 1))
else
	not_ok "mapload --scenario growth runs"
fi

if run presized --scenario presized; then
	expect presized inserts -eq $N
	expect presized grows -eq 0
	expect presized same_size_grows -eq 0
	expect presized evacuated -eq 0
	expect presized buckets -eq $((1 << grows))
else
	not_ok "mapload --scenario presized runs"
fi

# ---------------------------------------------------------------------------------------------
# checksum: same flags => same checksum, whatever the scheduling.  The results it covers do
# not depend on the variant, on --maps or on lock hold times either, so those must agree too.
# So must the counters the op mix fixes: inserts, updates, deletes, lookups and count.

mixed=(--keys 2000 --prefill 1000 --write-pct 30 --delete-pct 10 --new-key-pct 20
	--recent-pct 30)

# results NAME: the checksum and the counters fixed by the flags alone (the op mix is).
results() {
	python3 -c '
import json, sys
o = json.load(open(sys.argv[1]))
print(" ".join(str(o[k]) for k in
      ("checksum", "inserts", "updates", "deletes", "lookups", "count")))' "$TMP/$1.json" \
		2>/dev/null
}

# same_checksum DESC NAME...: ok when all runs succeeded and agree on results().
same_checksum() {
	local desc=$1 name first="" r
	shift
	for name in "$@"; do
		r=$(results "$name")
		if [[ -z $r ]]; then
			not_ok "$desc (run $name failed)"
			return
		fi
		first=${first:-$r}
		if [[ $r != "$first" ]]; then
			not_ok "$desc ('$first' != '$r' in $name)"
			return
		fi
	done
	ok "$desc (${first%% *})"
}

for v in mutex rwlock sharded sync; do
	for i in 1 2 3; do
		run "sum-$v-$i" --variant "$v" --threads 4 --ops 200000 "${mixed[@]}"
	done
	same_checksum "checksum stable over 3 runs: $v, 4 threads" "sum-$v-1" "sum-$v-2" \
		"sum-$v-3"
done
for i in 1 2 3; do
	run "sum-plain-$i" --variant plain --ops 200000 "${mixed[@]}"
done
same_checksum "checksum stable over 3 runs: plain" sum-plain-1 sum-plain-2 sum-plain-3
same_checksum "checksum equal across mutex, rwlock, sharded, sync at 4 threads" sum-mutex-1 \
	sum-rwlock-1 sum-sharded-1 sum-sync-1

for v in plain mutex rwlock sharded sync; do
	run "one-$v" --variant "$v" --threads 1 --ops 50000 "${mixed[@]}"
done
same_checksum "checksum equal across all five variants at 1 thread" one-plain one-mutex \
	one-rwlock one-sharded one-sync

run maps4 --variant mutex --threads 4 --ops 200000 --maps 4 "${mixed[@]}"
same_checksum "--maps 4 does not change the checksum" sum-mutex-1 maps4

run hold-0 --variant mutex --threads 4 --ops 4000 "${mixed[@]}"
run hold-1 --variant mutex --threads 4 --ops 4000 --hold-us 5 "${mixed[@]}"
run hold-2 --variant sharded --shards 4 --threads 4 --ops 4000 --hold-us 5 "${mixed[@]}"
run hold-3 --variant rwlock --threads 4 --ops 4000 --hold-us 5 "${mixed[@]}"
run hold-4 --variant sync --threads 4 --ops 4000 --hold-us 5 "${mixed[@]}"
same_checksum "--hold-us (contention) does not change the checksum" hold-0 hold-1 hold-2 hold-3 \
	hold-4

run seed2 --variant mutex --threads 4 --ops 200000 --seed 2 "${mixed[@]}"
if [[ -n $(field seed2 checksum) && $(field seed2 checksum) != $(field sum-mutex-1 checksum) ]]
then
	ok "another --seed gives another checksum"
else
	not_ok "another --seed gives another checksum"
fi

# ---------------------------------------------------------------------------------------------
# the contention and sync-map scenarios

for sc in mutex-writers rwlock-steady-writer sharded; do
	if run "sc-$sc" --scenario "$sc" --ops 20000; then
		ok "scenario $sc runs"
	else
		not_ok "scenario $sc runs"
	fi
done

if run churn --scenario sync-churn; then
	expect churn promotions -gt 0
	expect churn misses -gt 0
	hits=$(field churn hits)
	misses=$(field churn misses)
	if [[ $hits =~ ^[0-9]+$ && $misses =~ ^[0-9]+$ ]] && ((misses > hits)); then
		ok "sync-churn: misses outnumber hits ($misses misses, $hits hits)"
	else
		not_ok "sync-churn: misses outnumber hits ('$misses' misses, '$hits' hits)"
	fi
else
	not_ok "mapload --scenario sync-churn runs"
fi

if run stable --scenario sync-stable; then
	hits=$(field stable hits)
	misses=$(field stable misses)
	if [[ $hits =~ ^[0-9]+$ && $misses =~ ^[0-9]+$ ]] && ((hits > 0 && misses * 10 < hits)); then
		ok "sync-stable: misses small relative to hits ($misses misses, $hits hits)"
	else
		not_ok "sync-stable: misses small relative to hits ('$misses' misses, '$hits' hits)"
	fi
else
	not_ok "mapload --scenario sync-stable runs"
fi

# ---------------------------------------------------------------------------------------------
# bad flags: exit status 2, a message naming the flag, nothing on stdout

# bad EXPECTED_TEXT ARGS...
bad() {
	local want=$1 rc
	shift
	"$BIN" "$@" >"$TMP/bad.out" 2>"$TMP/bad.err"
	rc=$?
	if ((rc == 2)) && grep -q -- "$want" "$TMP/bad.err" && [[ ! -s $TMP/bad.out ]]; then
		ok "mapload $* exits 2 naming $want"
	else
		not_ok "mapload $* exits 2 naming $want (exit $rc: $(head -c 200 "$TMP/bad.err"))"
	fi
}

bad --threads --threads 0
bad --threads --threads 100000
bad --threads --variant mutex --threads abc
bad --threads --variant plain --threads 2
bad --keys --keys 0
bad --keys --keys -5
bad --ops --ops 1x
bad --write-pct --write-pct 101
bad --delete-pct --write-pct 60 --delete-pct 50
bad --new-key-pct --new-key-pct 200
bad --hint --hint 99999999999999
bad --shards --variant sharded --shards 3
bad --shards --variant mutex --shards 4
bad --hold-us --hold-us -1
bad --duration --duration 0
bad --duration --ops 10 --duration 1
bad --start-after --start-after forever
bad --prefill --keys 10 --prefill 11
bad --writers --threads 2 --variant mutex --writers 3
bad --maps --maps 0
bad "plain, mutex, rwlock, sharded, sync" --variant bogus
bad --scenario --scenario nope
bad bogus-flag --bogus-flag
bad --recent-pct --recent-pct 101
bad --write-pct --write-pct 0.001
bad --write-pct --write-pct ''

echo "# mapload: $passed passed, $failed failed"
((failed == 0))
