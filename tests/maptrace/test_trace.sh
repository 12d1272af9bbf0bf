#!/usr/bin/env bash
# Trace files and exports: -o FILE, maptrace report FILE, folded, pprof, json --events, chrome.
# timeout: 300
source "$(dirname "$0")/lib.sh"
F=$TMP/run.mtr

# --- record a run with grows and deterministic contention, live JSON summary alongside --------
traced rec --json -o "$F" -- "$CONTEND" mutex 10 20 0.3
check "record: maptrace exited 0 ($rec_mt_rc)" [ "$rec_mt_rc" -eq 0 ]
check "record: the file is mode 0600 ($(stat -c %a "$F"))" [ "$(stat -c %a "$F")" = 600 ]
timeout 20 "$MAPTRACE" report "$F" --json >"$TMP/off.json" 2>"$TMP/off.err"
check "report FILE --json: exit 0 ($?)" [ -s "$TMP/off.json" ]
same() { # same JSON EXPR in the live and the offline summary
	[ "$(jget "$TMP/rec.mt.out" "$1")" = "$(jget "$TMP/off.json" "$1")" ]
}
for e in "d['maps']" "d['locks']" "d['advice']" "d['dropped']" "d['events']" \
	"d['pid']" "d['comm']" "d['duration_ns']"; do
	check "round trip: $e identical live and from the file" same "$e"
done
check "round trip: the file's lock has the 10 contentions" \
	[ "$(jget "$TMP/off.json" "[l['contentions'] for l in d['locks'] if l['kind'] == 'mutex' and l['map']]")" = "[10]" ]
timeout 20 "$MAPTRACE" report "$F" >"$TMP/off.txt" 2>&1
check "report FILE: the text summary" grep -q "^SUMMARY" "$TMP/off.txt"
check "report FILE: advice included" grep -q "^ADVICE" "$TMP/off.txt"

# --- folded ----------------------------------------------------------------------------------
timeout 20 "$MAPTRACE" report "$F" --format folded --what locks >"$TMP/f.folded" 2>"$TMP/f.err"
check "folded: exit 0 and output ($(wc -l <"$TMP/f.folded") lines)" [ -s "$TMP/f.folded" ]
check "folded: every line matches flamegraph.pl's pattern with a positive value" python3 - "$TMP/f.folded" <<'PY'
import re, sys
ok = True
for line in open(sys.argv[1]):
    m = re.match(r'^(.*)\s+?(\d+(?:\.\d*)?)$', line.rstrip('\n'))
    ok &= bool(m) and float(m.group(2)) > 0 and m.group(1).split(';')[0] == 'contend'
sys.exit(0 if ok else 1)
PY
total=$(jget "$TMP/off.json" "sum(l['wait_ns_total'] for l in d['locks'])")
fsum=$(awk '{ s += $NF } END { printf "%d", s }' "$TMP/f.folded")
check "folded: values sum to the total wait ($fsum vs $total)" [ "$fsum" = "$total" ]
check "folded: the waiting function is in the stacks" grep -q "mutex_b" "$TMP/f.folded"

# --- pprof -------------------------------------------------------------------------------------
timeout 20 "$MAPTRACE" report "$F" --format pprof --what locks >"$TMP/p.pb.gz" 2>"$TMP/p.err"
check "pprof: gzip output" bash -c "gzip -t '$TMP/p.pb.gz'"
go tool pprof -top -unit=ns -sample_index=delay "$TMP/p.pb.gz" >"$TMP/p.top" 2>&1
check "pprof: go tool pprof -top reads it" grep -q "^Type: delay" "$TMP/p.top"
delay=$(sed -n 's/.*Total samples = \([0-9]*\)ns.*/\1/p' "$TMP/p.top")
check "pprof: total delay equals the total wait ($delay vs $total)" [ "$delay" = "$total" ]
check "pprof: go tool pprof -top names the waiting function" grep -q "mutex_b" "$TMP/p.top"

# --- json --events and chrome ------------------------------------------------------------------
timeout 20 "$MAPTRACE" report "$F" --json --events >"$TMP/ev.json"
nwait=$(jget "$TMP/ev.json" "sum(1 for e in d['event_log'] if e['type'] == 'lock_wait' or (e['type'] == 'futex_wait' and not e['in_lib_wait']))")
check "json --events: every record listed ($(jget "$TMP/ev.json" "len(d['event_log'])"))" \
	[ "$(jget "$TMP/ev.json" "len(d['event_log']) == d['events'] > 0")" = True ]
timeout 20 "$MAPTRACE" report "$F" --format chrome >"$TMP/c.json"
check "chrome: parses, one X event per contended wait ($nwait)" [ "$(jget "$TMP/c.json" \
	"sum(1 for e in d['traceEvents'] if e['ph'] == 'X' and e['name'].startswith('wait'))")" = "$nwait" ]
check "chrome: thread names" [ "$(jget "$TMP/c.json" \
	"any(e['ph'] == 'M' and e['name'] == 'thread_name' for e in d['traceEvents'])")" = True ]

# --- grows: chrome X per grow, counters, folded rehash weights --------------------------------
# --detail: by default a map's grows below 2^7 buckets are counted but not probed (no X event)
traced grow --json --detail -o "$TMP/g.mtr" -- "$MAPLOAD" --scenario growth --start-after 0.3 --json
timeout 20 "$MAPTRACE" report "$TMP/g.mtr" --format chrome >"$TMP/gc.json"
grows=$(jget "$TMP/grow.target.out" "d['grows'] + d['same_size_grows']")
check "chrome: one X event per grow ($grows)" [ "$(jget "$TMP/gc.json" \
	"sum(1 for e in d['traceEvents'] if e['ph'] == 'X' and e['name'].startswith('grow'))")" = "$grows" ]
check "chrome: counter events for map size" [ "$(jget "$TMP/gc.json" \
	"sum(1 for e in d['traceEvents'] if e['ph'] == 'C') >= $grows")" = True ]
timeout 20 "$MAPTRACE" report "$TMP/g.mtr" --format folded --what grows >"$TMP/g.folded"
gsum=$(awk '{ s += $NF } END { printf "%d", s }' "$TMP/g.folded")
gtot=$(jget "$TMP/grow.mt.out" "sum(m['grow_ns_total'] for m in d['maps'])")
check "folded --what grows: values sum to the rehash time ($gsum vs $gtot)" [ "$gsum" = "$gtot" ]

# by default: a map's grows to 2^CMAP_QUIET_B buckets and beyond are probed, one X event each;
# which grows those are comes from the program's own size path (it starts at 1 bucket and
# only doubles: B goes 1, 2, ... log2(buckets))
quiet_b=$(sed -n 's/^#define CMAP_QUIET_B \([0-9]*\).*/\1/p' lib/cmap_impl.h)
traced growd --json -o "$TMP/gd.mtr" -- "$MAPLOAD" --scenario growth --start-after 0.3 --json
timeout 20 "$MAPTRACE" report "$TMP/gd.mtr" --format chrome >"$TMP/gdc.json"
want=$(jget "$TMP/growd.target.out" "len([b for b in range(1, d['buckets'].bit_length()) if b >= $quiet_b]) if d['same_size_grows'] == 0 and d['grows'] == d['buckets'].bit_length() - 1 else -1")
check "default: one chrome X event per grow to 2^$quiet_b buckets or more ($want of the program's $(jget "$TMP/growd.target.out" "d['grows']"))" \
	[ "$(jget "$TMP/gdc.json" "sum(1 for e in d['traceEvents'] if e['ph'] == 'X' and e['name'].startswith('grow'))")" = "$want" ]
check "default: every grow counted ($(jget "$TMP/growd.mt.out" "sum(m['grows'] for m in d['maps'])"))" \
	[ "$(jget "$TMP/growd.mt.out" "sum(m['grows'] for m in d['maps'])")" = "$(jget "$TMP/growd.target.out" "d['grows']")" ]

# --- live --format writes the same formats directly ---------------------------------------------
traced lf --format folded -- "$CONTEND" mutex 3 10 0.3
check "live --format folded: exit 0 and folded lines" \
	python3 -c 'import re,sys; sys.exit(0 if all(re.match(r"^(.*)\s+?(\d+)$", l.rstrip("\n")) for l in open(sys.argv[1])) and open(sys.argv[1]).read() else 1)' "$TMP/lf.mt.out"

# --- refusals -----------------------------------------------------------------------------------
sleep 30 &
v=$!
timeout 10 "$MAPTRACE" -p "$v" -d 0.2 -o "$F" >/dev/null 2>"$TMP/ex.err"
rc=$?
check "existing file without --force: refused ($rc): $(cat "$TMP/ex.err")" \
	bash -c '[ "$1" -ne 0 ] && grep -q "exists; use --force" "$2"' _ "$rc" "$TMP/ex.err"
timeout 10 "$MAPTRACE" -p "$v" -d 0.2 -o "$F" --force >/dev/null 2>&1
check "existing file with --force: replaced ($?)" [ "$(jget <(timeout 10 "$MAPTRACE" report "$F" --json) "d['pid']")" = "$v" ]
echo keep >"$TMP/target"
ln -s "$TMP/target" "$TMP/link.mtr"
timeout 10 "$MAPTRACE" -p "$v" -d 0.2 -o "$TMP/link.mtr" --force >/dev/null 2>"$TMP/ln.err"
rc=$?
check "symlink: refused even with --force ($rc): $(cat "$TMP/ln.err")" \
	bash -c '[ "$1" -ne 0 ] && grep -q "symbolic link" "$2"' _ "$rc" "$TMP/ln.err"
check "symlink: its target untouched" [ "$(cat "$TMP/target")" = keep ]

# --- kill -9 while recording: at most the last second is lost ----------------------------------
"$MAPTRACE" -p "$v" -o "$TMP/k.mtr" -q 2>"$TMP/k.err" &
m=$!
wait_for "$TMP/k.err" "tracing PID" 10
sleep 1.5
kill -9 "$m"
wait "$m" 2>/dev/null
timeout 10 "$MAPTRACE" report "$TMP/k.mtr" --json >"$TMP/k.json" 2>"$TMP/k.rerr"
check "kill -9: the file still reports, with a warning: $(head -c 200 "$TMP/k.rerr")" \
	[ "$(jget "$TMP/k.json" "d['pid']")" = "$v" ]
kill "$v"

# --- unusable files ------------------------------------------------------------------------------
: >"$TMP/empty.mtr"
head -c 100 /dev/urandom >"$TMP/junk.mtr"
for f in "$TMP/empty.mtr" "$TMP/junk.mtr" "$TMP/missing.mtr"; do
	timeout 10 "$MAPTRACE" report "$f" >/dev/null 2>"$TMP/bad.err"
	rc=$?
	check "report $(basename "$f"): non-zero ($rc), one line: $(cat "$TMP/bad.err")" \
		[ "$rc" -ne 0 -a "$rc" -lt 124 -a "$(wc -l <"$TMP/bad.err")" -eq 1 ]
done
finish
