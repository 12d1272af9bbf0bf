#!/usr/bin/env bash
# Soak: maptrace's memory stays bounded whatever the target does.  Three targets at once, each
# traced by its own maptrace for SOAK_SECS (default 60) seconds: two create and free 5,000
# maps a second (tests/progs/mapchurn; one traced with --detail, one with the default flags),
# one contends 1,000 new mutexes a second (tests/progs/futexchurn).  Each maptrace's peak RSS
# stays under 200 MiB, it ends within 1 s of its target's exit with its summary, and the
# summary's totals (folded rows included) equal what the targets counted themselves.
# timeout: 150
source "$(dirname "$0")/lib.sh"
SECS=${SOAK_SECS:-60}
MAX_RSS_KIB=$((200 * 1024))
MC=${MAPCHURN:-.output/tests/progs/mapchurn}
FC=${FUTEXCHURN:-.output/tests/progs/futexchurn}

# rec REC OUT ERR CMD...: run CMD, then write "EXIT-CODE MAXRSS-KIB END-MONOTONIC-NS" to REC, from
# wait4(): the peak RSS is the kernel's own figure, and the end is the moment the process ended
rec() {
	python3 - "$@" <<'PY'
import os, sys, time
rec, out, err, cmd = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
pid = os.fork()
if pid == 0:
    os.dup2(os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644), 1)
    os.dup2(os.open(err, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644), 2)
    os.execvp(cmd[0], cmd)
_, st, ru = os.wait4(pid, 0)
end = time.clock_gettime_ns(time.CLOCK_MONOTONIC)
with open(rec, "w") as f:
    f.write("%d %d %d\n" % (os.waitstatus_to_exitcode(st), ru.ru_maxrss, end))
PY
}

# start NAME CMD...: the target runs until it has stopped itself (it prints its pid first);
# sets NAME_pid
start() {
	local name=$1 pid=""
	shift
	rec "$TMP/$name.rec" "$TMP/$name.out" "$TMP/$name.err" "$@" &
	wait_for "$TMP/$name.err" "pid" 20 && pid=$(grep -o 'pid [0-9]*' "$TMP/$name.err" | cut -d' ' -f2)
	while [ -n "$pid" ] && [ "$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null)" != T ]; do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.01
	done
	eval "${name}_pid=$pid"
}

start maps "$MC" "$SECS" 5000
start mapsd "$MC" "$SECS" 5000
start futex "$FC" "$SECS" 1000
check "the targets started and stopped themselves (pids '$maps_pid' '$mapsd_pid' '$futex_pid')" \
	[ -n "$maps_pid" -a -n "$mapsd_pid" -a -n "$futex_pid" ]
# the maps target with --detail: by default maps of 20 entries fire no probe at all (only the
# library's totals count them: mapsd, the same program under the default flags); --detail
# follows every map from its creation, whose rows are what maptrace's memory must stay bounded
# under
detail_maps=--detail detail_mapsd= detail_futex=
for t in maps mapsd futex; do
	pid=$(eval echo "\$${t}_pid") detail=$(eval echo "\$detail_${t}")
	rec "$TMP/$t.mt.rec" "$TMP/$t.mt.out" "$TMP/$t.mt.err" \
		"$MAPTRACE" -p "$pid" -q --json --top 0 $detail &
done
for t in maps mapsd futex; do
	wait_for "$TMP/$t.mt.err" "tracing PID" 30 || echo "# $t: maptrace did not start: $(cat "$TMP/$t.mt.err")"
done
kill -CONT "$maps_pid" "$mapsd_pid" "$futex_pid"
wait

# field FILE N: field N of a rec line
field() { cut -d' ' -f"$2" "$1" 2>/dev/null; }
for t in maps mapsd futex; do
	check "$t: the target exited 0 ($(field "$TMP/$t.rec" 1): $(head -c 200 "$TMP/$t.err"))" \
		[ "$(field "$TMP/$t.rec" 1)" = 0 ]
	check "$t: maptrace exited 0 ($(field "$TMP/$t.mt.rec" 1): $(head -c 300 "$TMP/$t.mt.err"))" \
		[ "$(field "$TMP/$t.mt.rec" 1)" = 0 ]
	rss=$(field "$TMP/$t.mt.rec" 2)
	check "$t: maptrace's peak RSS ${rss:-?} KiB is under $MAX_RSS_KIB KiB" \
		[ "${rss:-$MAX_RSS_KIB}" -lt "$MAX_RSS_KIB" ]
	mend=$(field "$TMP/$t.mt.rec" 3) tend=$(field "$TMP/$t.rec" 3) lag=unknown
	[ -n "$mend" ] && [ -n "$tend" ] && lag=$(((mend - tend) / 1000000))
	check "$t: maptrace ended ${lag} ms after its target, within 1000 ms" [ "$lag" -lt 1000 ]
	check "$t: the summary came, and says the target exited" \
		[ "$(jget "$TMP/$t.mt.out" "d['final'] and d['target_exited']")" = True ]
done

# --- map churn: the folded totals are the target's own -----------------------------------------
mt=$TMP/maps.mt.out tg=$TMP/maps.out
echo "# mapchurn: $(cat "$tg"); maptrace: $(jget "$mt" "d['maps_folded']") maps folded, dropped $(jget "$mt" "d['dropped']")"
check "maps: the target churned thousands of maps a second ($(jget "$tg" "d['maps']") in $SECS s)" \
	[ "$(jget "$tg" "d['maps'] >= 1000 * $SECS")" = True ]
check "maps: nothing dropped ($(jget "$mt" "d['dropped_detail']"))" [ "$(jget "$mt" "d['dropped']")" = 0 ]
check "maps: every map created was folded ($(jget "$mt" "d['maps_folded']") of $(jget "$tg" "d['maps']"))" \
	[ "$(jget "$mt" "d['maps_folded']")" = "$(jget "$tg" "d['maps']")" ]
check "maps: the folded rows hold them all ($(jget "$mt" "sum(m['folded'] for m in d['maps'])"))" \
	[ "$(jget "$mt" "sum(m['folded'] for m in d['maps'])")" = "$(jget "$tg" "d['maps']")" ]
for f in grows same_size_grows inserts; do
	check "maps: $f $(jget "$mt" "sum(m['$f'] for m in d['maps'])"), as the target counted" \
		[ "$(jget "$mt" "sum(m['$f'] for m in d['maps'])")" = "$(jget "$tg" "d['$f']")" ]
done
check "maps: the library's totals over the trace: $(jget "$mt" "d['lib_totals']")" \
	[ "$(jget "$mt" "[d['lib_totals'][k] for k in ('maps_created', 'maps_freed', 'grows', 'same_size_grows')]")" = \
	  "$(jget "$tg" "[d['maps'], d['maps'], d['grows'], d['same_size_grows']]")" ]
check "maps: one size-hint line for the site, with its map count" \
	[ "$(jget "$mt" "len([a for a in d['advice'] if a.startswith('%d maps (created at' % d['maps_folded'])])")" = 1 ]

# --- map churn under the default flags: no probe fires, the library's totals are exact ---------
mt=$TMP/mapsd.mt.out tg=$TMP/mapsd.out
echo "# mapchurn (default flags): $(cat "$tg"); maptrace: $(jget "$mt" "d['events']") records, $(jget "$mt" "len(d['maps'])") rows"
check "mapsd: the target churned thousands of maps a second ($(jget "$tg" "d['maps']") in $SECS s)" \
	[ "$(jget "$tg" "d['maps'] >= 1000 * $SECS")" = True ]
check "mapsd: no record, no map row: no probe fired for a map of 20 entries ($(jget "$mt" "(d['events'], len(d['maps']), d['maps_folded'])"))" \
	[ "$(jget "$mt" "(d['events'], len(d['maps']), d['maps_folded'])")" = "(0, 0, 0)" ]
check "mapsd: nothing dropped ($(jget "$mt" "d['dropped_detail']"))" [ "$(jget "$mt" "d['dropped']")" = 0 ]
check "mapsd: the library's totals over the trace are the target's: $(jget "$mt" "d['lib_totals']")" \
	[ "$(jget "$mt" "[d['lib_totals'][k] for k in ('maps_created', 'maps_freed', 'grows', 'same_size_grows')]")" = \
	  "$(jget "$tg" "[d['maps'], d['maps'], d['grows'], d['same_size_grows']]")" ]

# --- futex-word churn: every contended word counted, the cold ones folded ----------------------
mt=$TMP/futex.mt.out tg=$TMP/futex.out
echo "# futexchurn: $(cat "$tg"); maptrace: $(jget "$mt" "d['locks_folded']") words folded, dropped $(jget "$mt" "d['dropped']")"
check "futex: the target contended about 1,000 new mutexes a second ($(jget "$tg" "d['mutexes']"))" \
	[ "$(jget "$tg" "d['mutexes'] >= 500 * $SECS")" = True ]
check "futex: nothing dropped ($(jget "$mt" "d['dropped_detail']"))" [ "$(jget "$mt" "d['dropped']")" = 0 ]
check "futex: mutex waits $(jget "$mt" "sum(l['contentions'] for l in d['locks'] if l['kind'] == 'mutex')"), one per mutex the target contended" \
	[ "$(jget "$mt" "sum(l['contentions'] for l in d['locks'] if l['kind'] == 'mutex')")" = "$(jget "$tg" "d['mutexes']")" ]
check "futex: the cold words were folded ($(jget "$mt" "d['locks_folded']")), into few rows ($(jget "$mt" "len(d['locks'])"))" \
	[ "$(jget "$mt" "d['locks_folded'] > d['locks_folded'] // 2 and d['locks_folded'] >= 500 * ($SECS - 5)")" = True ]
check "futex: the folded rows hold what was folded" \
	[ "$(jget "$mt" "sum(l['folded'] for l in d['locks'])")" = "$(jget "$mt" "d['locks_folded']")" ]
finish
