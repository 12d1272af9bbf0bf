#!/usr/bin/env bash
# What maptrace's outputs do when something goes wrong, and the limits they keep (needs root:
# loads BPF, mounts a tmpfs):
#   1. -o on a full filesystem (a 256 KiB tmpfs): recording stops with one line naming the file
#      and the reason, the file ends on a record boundary, the summary is still printed, and
#      the exit status is non-zero; also when the first write to fail is a flush.
#   2. a failed start with -o (no such PID; the BPF load failing) leaves no file behind, and
#      with --force the file it would have replaced stays as it was.
#   3. --max-size: the file stays within the size and ends complete (its END record), so
#      `maptrace report` reads it without a warning; the size is range-checked.
#   4. --listen: the address and the port actually bound are printed (so :0 is usable), and
#      an address other hosts can reach gets one warning line.
# timeout: 300
source "$(dirname "$0")/lib.sh"
FULL=$TMP/full
trap 'jobs -p | xargs -r kill -9 2>/dev/null; wait; umount "$FULL" 2>/dev/null; rm -rf "$TMP"' EXIT

# lines FILE PATTERN: how many lines of FILE match the extended regex PATTERN
lines() { grep -cE "$2" "$1" | tr -d ' '; }
# matches STRING REGEX
matches() { [[ $1 =~ $2 ]]; }

# --- 1. a full filesystem ------------------------------------------------------------------------
mkdir -p "$FULL"
if ! mount -t tmpfs -o size=256k tmpfs "$FULL"; then
	# CI runs these as the superuser: a mount that fails is a broken machine, a failure
	echo "not ok - full filesystem: cannot mount a tmpfs on $FULL"
else
	F=$FULL/t.mtr
	stop_re="^maptrace: writing $F failed: No space left on device; recording stopped at [0-9.]+ (bytes|KiB), the live reports and the summary go on$"
	# four threads on one mutex write megabytes a second: a record write fails first
	traced full --json -o "$F" -- "$MAPLOAD" --scenario mutex-writers --duration 2 \
		--start-after 0.3
	check "full: one line says recording stopped: $(grep -v 'tracing PID\|exited' "$TMP/full.mt.err" | head -3)" \
		[ "$(lines "$TMP/full.mt.err" "$stop_re")" = 1 ]
	check "full: no other line about the file" \
		[ "$(lines "$TMP/full.mt.err" "t\.mtr|tracing goes on")" = 1 ]
	tpid=$(sed -n 's/.*pid \([0-9]*\).*/\1/p' "$TMP/full.target.err" | head -1)
	check "full: the JSON summary is printed, with the contended lock" \
		[ "$(jget "$TMP/full.mt.out" "d['pid'] == $tpid and len(d['locks']) > 0")" = True ]
	check "full: exit status non-zero ($full_mt_rc), not a crash" \
		[ "$full_mt_rc" -ne 0 -a "$full_mt_rc" -lt 124 ]
	timeout 20 "$MAPTRACE" report "$F" >/dev/null 2>"$TMP/full.rep.err"
	rc=$?
	ok=false
	[ "$rc" -eq 1 ] && grep -q "without an end record" "$TMP/full.rep.err" && ok=true
	check "full: the file ends between records, its report says it is incomplete ($rc): $(cat "$TMP/full.rep.err")" $ok

	# one page left: the records of a few contended waits fit in the write buffer, so the first
	# write to fail is a flush (the once-a-second one, or the loss counters' at a sync)
	rm -f "$F"
	head -c $((63 * 4096)) /dev/zero >"$FULL/filler"
	traced flush -o "$F" -q -- "$CONTEND" mutex 60 20 0.3
	check "flush: one line says recording stopped: $(grep -v 'tracing PID\|exited' "$TMP/flush.mt.err" | head -3)" \
		[ "$(lines "$TMP/flush.mt.err" "$stop_re")" = 1 ]
	check "flush: the text summary is printed, SUMMARY and ADVICE" \
		[ "$(lines "$TMP/flush.mt.out" "^(SUMMARY|ADVICE)")" = 2 ]
	check "flush: exit status non-zero ($flush_mt_rc), not a crash" \
		[ "$flush_mt_rc" -ne 0 -a "$flush_mt_rc" -lt 124 ]
	umount "$FULL"
fi

# --- 2. a failed start leaves no file ------------------------------------------------------------
sleep 0 &
dead=$!
wait "$dead"
timeout 20 "$MAPTRACE" -p "$dead" -d 1 -o "$TMP/dead.mtr" >/dev/null 2>"$TMP/dead.err"
rc=$?
check "dead PID: refused ($rc): $(cat "$TMP/dead.err")" [ "$rc" -ne 0 -a "$rc" -lt 124 ]
check "dead PID: no file left: $(ls "$TMP"/dead.mtr* 2>&1)" [ -z "$(ls "$TMP"/dead.mtr* 2>/dev/null)" ]
# a BPF load that fails, made to fail in a shim loaded before libbpf
cat >"$TMP/failload.c" <<'EOF'
#include <errno.h>
struct bpf_object_skeleton;
int bpf_object__load_skeleton(struct bpf_object_skeleton *s)
{
	(void)s;
	errno = EPERM;
	return -EPERM;
}
EOF
if ! ${CC:-cc} -shared -fPIC -o "$TMP/failload.so" "$TMP/failload.c"; then
	# the build needs the compiler: its absence here is a failure, not a skip
	echo "not ok - failed BPF load: cannot build the LD_PRELOAD shim with ${CC:-cc}"
else
	sleep 30 &
	v=$!
	LD_PRELOAD=$TMP/failload.so timeout 20 "$MAPTRACE" -p "$v" -d 1 -o "$TMP/load.mtr" \
		>/dev/null 2>"$TMP/load.err"
	rc=$?
	ok=false
	[ "$rc" -ne 0 ] && grep -q "cannot load the BPF programs" "$TMP/load.err" && ok=true
	check "failed load: refused ($rc), saying why: $(cat "$TMP/load.err")" $ok
	check "failed load: no file left: $(ls "$TMP"/load.mtr* 2>&1)" \
		[ -z "$(ls "$TMP"/load.mtr* 2>/dev/null)" ]
	echo "an older trace" >"$TMP/old.mtr"
	LD_PRELOAD=$TMP/failload.so timeout 20 "$MAPTRACE" -p "$v" -d 1 -o "$TMP/old.mtr" --force \
		>/dev/null 2>"$TMP/old.err"
	rc=$?
	check "failed load with --force: refused ($rc)" [ "$rc" -ne 0 -a "$rc" -lt 124 ]
	check "failed load with --force: the old file as it was: $(head -c 40 "$TMP/old.mtr" | tr -cd "[:print:]")" \
		[ "$(cat "$TMP/old.mtr")" = "an older trace" ]
	check "failed load with --force: nothing beside it: $(echo "$TMP"/old.mtr*)" \
		[ "$(echo "$TMP"/old.mtr*)" = "$TMP/old.mtr" ]
	timeout 20 "$MAPTRACE" -p "$v" -d 0.3 -q -o "$TMP/old.mtr" --force >/dev/null 2>&1
	rc=$?
	ok=false
	[ "$(jget <(timeout 10 "$MAPTRACE" report "$TMP/old.mtr" --json) "d['pid']")" = "$v" ] &&
		[ "$(echo "$TMP"/old.mtr*)" = "$TMP/old.mtr" ] && ok=true
	check "a run that starts with --force replaces it ($rc), nothing left beside it" $ok
	kill "$v"
fi

# --- 3. --max-size -------------------------------------------------------------------------------
M=$TMP/max.mtr
traced max --json -o "$M" --max-size 64K -- "$MAPLOAD" --scenario mutex-writers --duration 2 \
	--start-after 0.3
size=$(stat -c %s "$M" 2>/dev/null || echo 0)
check "max-size: one line says the file reached it: $(grep 'max-size' "$TMP/max.mt.err")" \
	[ "$(lines "$TMP/max.mt.err" "^maptrace: $M reached --max-size 64\.0 KiB: recording stopped at [0-9.]+ KiB with the file complete; the live reports and the summary go on$")" = 1 ]
check "max-size: the file holds at most 64 KiB, and most of it ($size bytes)" \
	[ "$size" -le 65536 -a "$size" -gt 49152 ]
check "max-size: maptrace exits 0 ($max_mt_rc) and prints its summary" \
	[ "$max_mt_rc" -eq 0 -a "$(jget "$TMP/max.mt.out" "len(d['locks']) > 0")" = True ]
timeout 20 "$MAPTRACE" report "$M" --json >"$TMP/max.json" 2>"$TMP/max.rep.err"
rc=$?
check "max-size: report reads the file, exit 0 ($rc), no warning: $(cat "$TMP/max.rep.err")" \
	[ "$rc" -eq 0 -a ! -s "$TMP/max.rep.err" ]
check "max-size: the file's events are there" \
	[ "$(jget "$TMP/max.json" "d['pid'] == $(jget "$TMP/max.mt.out" "d['pid']") and d['events'] > 100")" = True ]
for bad in 1K 4095 17T 12X -5K; do
	timeout 10 "$MAPTRACE" -p 1 -o "$TMP/bad.mtr" --max-size "$bad" >/dev/null 2>"$TMP/bad.err"
	rc=$?
	check "--max-size $bad: refused ($rc), one line: $(cat "$TMP/bad.err")" \
		[ "$rc" -eq 2 -a "$(lines "$TMP/bad.err" "^maptrace: --max-size must be a size from 4K to 16T")" = 1 ]
done
timeout 10 "$MAPTRACE" -p 1 --max-size 1M >/dev/null 2>"$TMP/bad.err"
rc=$?
check "--max-size without -o: refused ($rc): $(cat "$TMP/bad.err")" \
	[ "$rc" -eq 2 -a "$(lines "$TMP/bad.err" "give -o FILE")" = 1 ]

# --- 4. --listen ---------------------------------------------------------------------------------
# metrics_ok URL: the URL answers 200 with maptrace's exposition
metrics_ok() {
	python3 - "$1" <<'PY' 2>/dev/null
import sys, urllib.request
with urllib.request.urlopen(sys.argv[1], timeout=5) as r:
    sys.exit(0 if r.status == 200 and b"maptrace_attached" in r.read() else 1)
PY
}
sleep 60 &
v=$!
# listen NAME ADDR: maptrace --listen ADDR on the sleeper until it says it traces; leaves the
# URL it printed in $url ("" without one)
listen() {
	"$MAPTRACE" -p "$v" -q --listen "$2" >/dev/null 2>"$TMP/$1.err" &
	eval "${1}_pid=$!"
	wait_for "$TMP/$1.err" "tracing PID" 20 || echo "# maptrace did not start: $(cat "$TMP/$1.err")"
	url=$(sed -n 's|^maptrace: serving metrics on \(http://.*/metrics\)$|\1|p' "$TMP/$1.err")
}
listen lo 127.0.0.1:0
check "listen 127.0.0.1:0: prints the port bound: $url" matches "$url" '^http://127\.0\.0\.1:[1-9][0-9]*/metrics$'
check "listen 127.0.0.1:0: that URL answers with the metrics" metrics_ok "$url"
check "listen 127.0.0.1:0: no warning" [ "$(lines "$TMP/lo.err" "warning")" = 0 ]
listen any 0.0.0.0:0
port=${url##*:}
port=${port%/metrics}
check "listen 0.0.0.0:0: prints the port bound: $url" matches "$url" '^http://0\.0\.0\.0:[1-9][0-9]*/metrics$'
check "listen 0.0.0.0:0: it answers on loopback" metrics_ok "http://127.0.0.1:$port/metrics"
check "listen 0.0.0.0:0: one warning line on what is exposed: $(grep warning "$TMP/any.err")" \
	[ "$(lines "$TMP/any.err" "^maptrace: warning: /metrics on 0\.0\.0\.0:$port \(every interface\) has no authentication: .*map and lock addresses.*firewall the port")" = 1 ]
if [ -e /proc/net/if_inet6 ]; then
	listen lo6 '[::1]:0'
	check "listen [::1]:0: prints the port bound: $url" matches "$url" '^http://\[::1\]:[1-9][0-9]*/metrics$'
	check "listen [::1]:0: that URL answers, no warning" \
		[ "$(metrics_ok "$url" && lines "$TMP/lo6.err" "warning")" = 0 ]
	kill -INT "$lo6_pid"
	wait "$lo6_pid"
else
	echo "ok - listen [::1]:0 # SKIP no IPv6"
fi
kill -INT "$lo_pid" "$any_pid"
wait "$lo_pid"
rc=$?
wait "$any_pid"
rc2=$?
check "listen: maptrace exits 0 on Ctrl-C ($rc, $rc2)" [ "$rc" -eq 0 -a "$rc2" -eq 0 ]
kill "$v"
finish
