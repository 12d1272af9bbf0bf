#!/usr/bin/env bash
# maptrace -p PID against workloads with exactly known behaviour (needs root: loads BPF).
# timeout: 600
source "$(dirname "$0")/lib.sh"

# --- growth storm: exact grows, same-size grows and evacuations, and the size path ----------
traced growth --json -- "$MAPLOAD" --scenario growth --start-after 0.3 --json
check "growth: mapload exited 0" [ "$growth_target_rc" -eq 0 ]
check "growth: maptrace exited 0 when the target exited" [ "$growth_mt_rc" -eq 0 ]
check "growth: maptrace noticed the exit within 1 s (took ${growth_exit_lag} ms)" \
	[ "$growth_exit_lag" -lt 1000 ]
G=$TMP/growth.target.out M=$TMP/growth.mt.out
for f in grows same_size_grows evacuated inserts; do
	want=$(jget "$G" "d['$f']")
	got=$(jget "$M" "sum(m['$f'] for m in d['maps'])")
	check "growth: $f: maptrace $got, library $want" [ "$got" = "$want" ]
done
# 100,000 inserts from B=0 double while count > 6.5 * 2^B: B ends at 14 (6.5 * 2^14 = 106496)
check "growth: size path is 2^0 -> 2^14, one doubling at a time" \
	[ "$(jget "$M" "d['maps'][0]['sizes']")" = "$(python3 -c 'print(list(range(15)))')" ]
check "growth: grow time recorded" [ "$(jget "$M" "d['maps'][0]['grow_ns_total'] > 0")" = True ]
check "growth: advice gives a size hint that avoids every grow" \
	grep -q "hint 100000" <(jget "$M" "'\n'.join(d['advice'])")
check "growth: no records dropped" [ "$(jget "$M" "d['dropped']")" = 0 ]
check "growth: created_at names the workload's function" \
	[ -n "$(jget "$M" "d['maps'][0]['created_at']")" ]

# --- by default nothing per-operation is probed: the counts above came from the maps' own
# counters, and the grow time is the program's: a 1,000,000-insert storm's rehash time as
# maptrace reports it, within 25% of what libcmap measured itself (grow_ns + evac_ns)
traced pe --json --events -- "$MAPLOAD" --ops 1000000 --keys 1000000 --write-pct 100 \
	--new-key-pct 100 --start-after 0.3 --json
G=$TMP/pe.target.out M=$TMP/pe.mt.out
# (futex_wait and futex_wake come only with contention: a sleeping wait, a release that woke it)
check "default: no per-operation event (insert, evacuation step) was recorded" \
	[ "$(jget "$M" "sorted(set(e['type'] for e in d['event_log']) - {'map_create', 'map_destroy', 'grow', 'grow_done', 'lib_counts', 'futex_wait', 'futex_wake'})")" = "[]" ]
check "default: every grow recorded ($(jget "$G" "d['grows']"))" \
	[ "$(jget "$M" "sum(m['grows'] for m in d['maps'])")" = "$(jget "$G" "d['grows']")" ]
for f in inserts evacuated; do
	check "default: $f from the map's own counters: maptrace $(jget "$M" "sum(m['$f'] for m in d['maps'])"), library $(jget "$G" "d['$f']")" \
		[ "$(jget "$M" "sum(m['$f'] for m in d['maps'])")" = "$(jget "$G" "d['$f']")" ]
done
lib_ns=$(jget "$G" "d['grow_ns'] + d['evac_ns']")
mt_ns=$(jget "$M" "sum(m['grow_ns_total'] for m in d['maps'])")
check "default: rehash time $mt_ns ns within 25% of the library's own $lib_ns ns" \
	[ "$(python3 -c "print(0.75 * $lib_ns <= $mt_ns <= 1.25 * $lib_ns and $lib_ns > 0)")" = True ]

# --- an evacuation storm into a 1 MiB ring buffer, every step probed (--detail): 64 shards
# growing under 2 threads make hundreds of thousands of evacuation steps a second; past three
# quarters full the kernel sums them into the map's counters instead of the ring, so every one
# is still counted
traced storm --json --events --detail --ringbuf-mb 1 --no-futex -- "$MAPLOAD" --variant sharded --shards 64 \
	--threads 2 --ops 1000000 --keys 1000000 --write-pct 100 --new-key-pct 100 \
	--start-after 0.3 --json
G=$TMP/storm.target.out M=$TMP/storm.mt.out
for f in grows evacuated; do
	want=$(jget "$G" "d['$f']")
	got=$(jget "$M" "sum(m['$f'] for m in d['maps'])")
	check "storm: $f: maptrace $got, library $want" [ "$got" = "$want" ]
done
echo "# storm: $(jget "$M" "sum(m['evacuated_summed'] for m in d['maps'])") steps summed in the kernel"
check "--detail: every evacuation step probed: recorded one by one plus summed in the kernel = the library's $(jget "$G" "d['evacuated']")" \
	[ "$(jget "$M" "sum(1 for e in d['event_log'] if e['type'] == 'evacuate') + sum(m['evacuated_summed'] for m in d['maps'])")" = "$(jget "$G" "d['evacuated']")" ]
check "storm: nothing dropped ($(jget "$M" "d['dropped']"))" [ "$(jget "$M" "d['dropped']")" = 0 ]

# --- map churn, by default: maps of 20 entries fire no probe; the library's totals count them ---
MC=.output/tests/progs/mapchurn
traced churn --json -- "$MC" 2 2000
M=$TMP/churn.mt.out G=$TMP/churn.target.out
check "churn: maptrace exited 0, the target counted $(jget "$G" "d['maps']") maps" \
	[ "$churn_mt_rc" -eq 0 -a "$(jget "$G" "d['maps'] > 0")" = True ]
check "churn: no record and no map row: no probe fired ($(jget "$M" "(d['events'], len(d['maps']))"))" \
	[ "$(jget "$M" "(d['events'], len(d['maps']))")" = "(0, 0)" ]
check "churn: the library's totals are the target's own counts: $(jget "$M" "d['lib_totals']")" \
	[ "$(jget "$M" "[d['lib_totals'][k] for k in ('maps_created', 'maps_freed', 'grows', 'same_size_grows')]")" = \
	  "$(jget "$G" "[d['maps'], d['maps'], d['grows'], d['same_size_grows']]")" ]

# --- presized: no grow, no size-hint advice -------------------------------------------------
traced presized --json -- "$MAPLOAD" --scenario presized --start-after 0.3 --json
M=$TMP/presized.mt.out
check "presized: maptrace exited 0" [ "$presized_mt_rc" -eq 0 ]
check "presized: zero grows" [ "$(jget "$M" "sum(m['grows'] for m in d['maps'])")" = 0 ]
# by default a small map is known from its first grow; one born with 2^CMAP_QUIET_B buckets or
# more (a hint of 100000: 2^14) is known from its creation (cmap:map_create_big), and its row's
# inserts come from its own counters (no insert probe is attached by default)
G=$TMP/presized.target.out
check "presized, default: one row, born with mapload's $(jget "$G" "d['buckets']") buckets, hint 100000: $(jget "$M" "[(m['buckets'], m['hint']) for m in d['maps']]")" \
	[ "$(jget "$M" "[(m['buckets'], m['hint']) for m in d['maps']]")" = "[($(jget "$G" "d['buckets']"), 100000)]" ]
check "presized, default: inserts $(jget "$M" "sum(m['inserts'] for m in d['maps'])"), as mapload counted ($(jget "$G" "d['inserts']"))" \
	[ "$(jget "$M" "sum(m['inserts'] for m in d['maps'])")" = 100000 -a "$(jget "$G" "d['inserts']")" = 100000 ]
check "presized, default: the library's totals: one map, no grow: $(jget "$M" "d['lib_totals']")" \
	[ "$(jget "$M" "(d['lib_totals']['maps_created'], d['lib_totals']['maps_freed'], d['lib_totals']['grows'])")" = "(1, 1, 0)" ]
traced presized_detail --json --detail -- "$MAPLOAD" --scenario presized --start-after 0.3 --json
check "presized --detail: inserts counted: 100000" \
	[ "$(jget "$TMP/presized_detail.mt.out" "sum(m['inserts'] for m in d['maps'])")" = 100000 ]
check "presized: no size-hint advice" \
	[ "$(jget "$M" "sum('hint' in a for a in d['advice'])")" = 0 ]

# --- deterministic mutex contention: 10 waits of ~20 ms -------------------------------------
traced mutex --json -- "$CONTEND" mutex 10 20 0.3
M=$TMP/mutex.mt.out
MAP=$(jget "$TMP/mutex.target.out" "d['map']")
LOCK="[l for l in d['locks'] if l['map'] == '$MAP']"
check "mutex: maptrace exited 0" [ "$mutex_mt_rc" -eq 0 ]
check "mutex: one lock attributed to map $MAP" [ "$(jget "$M" "len($LOCK)")" = 1 ]
check "mutex: exactly 10 contentions ($(jget "$M" "$LOCK[0]['contentions']"))" \
	[ "$(jget "$M" "$LOCK[0]['contentions']")" = 10 ]
check "mutex: kind mutex" [ "$(jget "$M" "$LOCK[0]['kind']")" = mutex ]
p50=$(jget "$M" "$LOCK[0]['p50_ns']")
own=$(waited "$TMP/mutex.target.out" p50)
check "mutex: P50 $p50 ns within 3% of the median wait contend timed itself ($own ns)" \
	near "$p50" "$own" 0.03
check "mutex: all waits are writes" [ "$(jget "$M" "$LOCK[0]['writes']['contentions']")" = 10 ]
check "mutex: waiting stack names the waiting function" \
	grep -q "thread_b\|mutex_b" <(jget "$M" "$LOCK[0]['top_stacks'][0]['frames']")
check "mutex: advice on the contended mutex" \
	grep -qi "mutex" <(jget "$M" "'\n'.join(d['advice'])")
check "mutex: no futex wait counted twice" \
	[ "$(jget "$M" "sum(l['contentions'] for l in d['locks'] if l['kind'] in ('mutex','rwlock'))")" = 10 ]

# --- a bare pthread mutex, outside the library: seen through futex waits alone ---------------
traced bare --json -- "$CONTEND" pthread 10 20 0.3
M=$TMP/bare.mt.out
ADDR=$(jget "$TMP/bare.target.out" "d['lock']")
LOCK="[l for l in d['locks'] if l['addr'] == '$ADDR']"
check "futex: maptrace exited 0" [ "$bare_mt_rc" -eq 0 ]
check "futex: the mutex $ADDR is reported" [ "$(jget "$M" "len($LOCK)")" = 1 ]
check "futex: exactly 10 contentions ($(jget "$M" "$LOCK[0]['contentions']"))" \
	[ "$(jget "$M" "$LOCK[0]['contentions']")" = 10 ]
check "futex: kind mutex, from the waiting stack ($(jget "$M" "$LOCK[0]['kind']"))" \
	[ "$(jget "$M" "$LOCK[0]['kind']")" = mutex ]
p50=$(jget "$M" "$LOCK[0]['p50_ns']")
own=$(waited "$TMP/bare.target.out" p50)
check "futex: P50 $p50 ns within 3% of the median wait contend timed itself ($own ns)" \
	near "$p50" "$own" 0.03

# --- rwlock: read and write waits apart -----------------------------------------------------
traced rwlock --json -- "$CONTEND" rwlock 5 20 0.3
M=$TMP/rwlock.mt.out
MAP=$(jget "$TMP/rwlock.target.out" "d['map']")
LOCK="[l for l in d['locks'] if l['map'] == '$MAP']"
check "rwlock: maptrace exited 0" [ "$rwlock_mt_rc" -eq 0 ]
check "rwlock: kind rwlock" [ "$(jget "$M" "$LOCK[0]['kind']")" = rwlock ]
check "rwlock: 10 read contentions ($(jget "$M" "$LOCK[0]['reads']['contentions']"))" \
	[ "$(jget "$M" "$LOCK[0]['reads']['contentions']")" = 10 ]
check "rwlock: 5 write contentions ($(jget "$M" "$LOCK[0]['writes']['contentions']"))" \
	[ "$(jget "$M" "$LOCK[0]['writes']['contentions']")" = 5 ]

# --- sync map: misses and promotions exact; advice only under churn -------------------------
for sc in sync-churn sync-stable; do
	name=${sc/-/_}
	traced "$name" --json -- "$MAPLOAD" --scenario "$sc" --start-after 0.3 --json
	G=$TMP/$name.target.out M=$TMP/$name.mt.out
	for f in misses promotions; do
		want=$(jget "$G" "d['$f']")
		got=$(jget "$M" "sum(m['$f'] for m in d['maps'])")
		check "$sc: $f: maptrace $got, library $want" [ "$got" = "$want" ]
	done
	n=$(jget "$M" "sum('too frequent' in a for a in d['advice'])")
	if [ "$sc" = sync-churn ]; then
		check "$sc: read-mostly advice given (misses/hits $(jget "$G" "round(d['misses']/max(d['hits'],1),2)"))" [ "$n" = 1 ]
	else
		check "$sc: no read-mostly advice (misses/hits $(jget "$G" "round(d['misses']/max(d['hits'],1),2)"))" [ "$n" = 0 ]
	fi
done

# --- tracing does not change results --------------------------------------------------------
"$MAPLOAD" --scenario mutex-writers --ops 200000 --json >"$TMP/plain.json"
traced cks --json -- "$MAPLOAD" --scenario mutex-writers --ops 200000 --start-after 0.3 --json
check "checksum identical traced and untraced" \
	[ "$(jget "$TMP/plain.json" "d['checksum']")" = "$(jget "$TMP/cks.target.out" "d['checksum']")" ]

# --- the library as a shared object ---------------------------------------------------------
traced shared --json -- bin/mapload-shared --scenario growth --start-after 0.3 --json
check "shared library: grows counted ($(jget "$TMP/shared.mt.out" "sum(m['grows'] for m in d['maps'])"))" \
	[ "$(jget "$TMP/shared.mt.out" "sum(m['grows'] for m in d['maps'])")" = "$(jget "$TMP/shared.target.out" "d['grows']")" ]

# --- a non-PIE executable ------------------------------------------------------------------
traced nopie --json -- .output/tests/progs/mapload-nopie --scenario growth --start-after 0.3 --json
check "non-PIE executable: grows counted ($(jget "$TMP/nopie.mt.out" "sum(m['grows'] for m in d['maps'])"))" \
	[ "$(jget "$TMP/nopie.mt.out" "sum(m['grows'] for m in d['maps'])")" = "$(jget "$TMP/nopie.target.out" "d['grows']")" ]
check "non-PIE executable: stacks symbolized" \
	grep -q "cmap_put" <(jget "$TMP/nopie.mt.out" "d['maps'][0]['top_stacks'][0]['frames']")

# --- --overhead-budget: grows and evacuations complete, inserts from the library, marked -------
for v in plain mutex; do
	traced "budget_$v" --json --overhead-budget 1 -- "$MAPLOAD" --variant "$v" --ops 2000000 \
		--keys 2000000 --write-pct 100 --new-key-pct 100 --start-after 0.3 --json
	G=$TMP/budget_$v.target.out M=$TMP/budget_$v.mt.out
	rc_var=budget_${v}_mt_rc
	check "budget ($v): maptrace exited 0 (${!rc_var}) with a JSON summary" \
		python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$M" ||
		{ echo "# maptrace rc ${!rc_var}, stderr: $(tr '\n' '|' <"$TMP/budget_$v.mt.err")"
		  echo "# stdout starts: $(head -c 300 "$M" | tr '\n' ' ')"; }
	for f in grows evacuated inserts; do
		want=$(jget "$G" "d['$f']")
		got=$(jget "$M" "sum(m['$f'] for m in d['maps'])")
		check "budget ($v): $f exact: maptrace $got, library $want" [ "$got" = "$want" ]
	done
	check "budget ($v): the summary marks sampled figures ($(jget "$M" "d['sampling']"))" \
		[ "$(jget "$M" "d['sampling']['sampled'] == [] and {'inserts', 'hits', 'misses'} <= set(d['sampling']['from_library_counters']) and 0 < d['sampling']['duty'] <= 1")" = True ]
done
traced budget_none --json -- "$CONTEND" mutex 2 5 0.3
check "no budget: sampling is null" [ "$(jget "$TMP/budget_none.mt.out" "d['sampling']")" = None ]

# --- live reports: INTERVAL COUNT, then the summary ------------------------------------------
"$MAPLOAD" --scenario mutex-writers --duration 20 --start-after 0.3 >/dev/null 2>"$TMP/iv.err" &
t=$!
wait_for "$TMP/iv.err" pid 10
start=$(date +%s%N)
timeout 20 "$MAPTRACE" -p "$t" 0.3 3 >"$TMP/iv.out" 2>&1
rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
check "interval 0.3 count 3: exit 0 ($rc)" [ "$rc" -eq 0 ]
check "interval 0.3 count 3: three live reports and one summary" \
	[ "$(grep -c '^PID ' "$TMP/iv.out")" = 3 -a "$(grep -c '^SUMMARY ' "$TMP/iv.out")" = 1 ]
check "interval 0.3 count 3: took about 0.9 s (${ms} ms)" [ "$ms" -ge 800 -a "$ms" -lt 5000 ]
check "live report has both tables" grep -q "^REHASH" "$TMP/iv.out"
check "live report shows the contended mutex" grep -qE "^0x[0-9a-f]+ +mutex" "$TMP/iv.out"

# --- -d SECONDS, and SIGINT / SIGTERM: the summary, exit 0 -----------------------------------
timeout 20 "$MAPTRACE" -p "$t" -d 0.5 --json >"$TMP/dur.json" 2>/dev/null
check "-d 0.5: exit 0 and a JSON summary ($?)" python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$TMP/dur.json"
for sig in INT TERM; do
	# a fresh file: the last run's "tracing PID" must not pass for this one's (the child
	# truncates it only once it runs, and a loaded machine may start it late)
	rm -f "$TMP/sig.err"
	"$MAPTRACE" -p "$t" --json >"$TMP/sig.json" 2>"$TMP/sig.err" &
	m=$!
	wait_for "$TMP/sig.err" "tracing PID" 10
	sleep 0.3
	kill -"$sig" "$m"
	wait "$m"
	rc=$?
	check "SIG$sig: exit 0 ($rc)" [ "$rc" -eq 0 ]
	check "SIG$sig: summary printed with the contended lock" \
		[ "$(jget "$TMP/sig.json" "len(d['locks']) > 0 and d['final']")" = True ]
done
kill "$t"
wait "$t" 2>/dev/null

finish
