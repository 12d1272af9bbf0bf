#!/usr/bin/env bash
# Maps of libraries without maptrace's USDT probes: GLib's GHashTable and Redis's dict through
# the built-in profiles, a table written for the test through --probe and --profile FILE, a
# target in another mount namespace, and a stripped binary with and without its debug file.
# Every count is checked against what the program itself (or Redis) says.
# timeout: 600
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/redis.sh"
GHASH=.output/tests/progs/ghash
CUSTOMHT=.output/tests/progs/customht

# same_resizes MT_JSON MAPEXPR TARGET_JSON TABLEEXPR: the map's grows, shrinks and size path
# are exactly the resizes the program saw (MAPEXPR over d, the report; TABLEEXPR over t, the
# program's own JSON).
same_resizes() {
	python3 - "$@" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); m = eval(sys.argv[2])
t = json.load(open(sys.argv[3])); tab = eval(sys.argv[4])
rs = tab['resizes']
path = [rs[0][0]] + [n for _, n in rs] if rs else []
grows = sum(1 for o, n in rs if n > o); shrinks = sum(1 for o, n in rs if n < o)
got = (m['grows'], m['shrinks'], m['sizes'])
want = (grows, shrinks, path)
if got != want:
    print('# maptrace (grows, shrinks, sizes) %s\n# program  %s' % (got, want))
    sys.exit(1)
PY
}

# --- GLib: a GHashTable filled by 4 threads under a GMutex, then emptied -----------------------
# default flags: the located g_hash_table_resize's entry and ret see every resize; no insert or
# remove is probed
traced glib --json -- "$GHASH" 4 100000 1 3
M=$TMP/glib.mt.out T=$TMP/glib.target.out
TABLE=$(jget "$T" "d['table']") MUTEX=$(jget "$T" "d['mutex']")
MAP="[m for m in d['maps'] if m['addr'] == '$TABLE'][0]"
check "glib: maptrace exited 0 ($glib_mt_rc)" [ "$glib_mt_rc" -eq 0 ]
check "glib: the program ran ($glib_target_rc)" [ "$glib_target_rc" -eq 0 ]
check "glib: the table is reported with library glib" \
	[ "$(jget "$M" "$MAP['library']")" = glib ]
check "glib: $(jget "$T" "d['nresizes']") resizes, the same as the program saw" \
	same_resizes "$M" "$MAP" "$T" "t"
check "glib: no insert or remove probed by default ($(jget "$M" "($MAP['inserts'], $MAP['deletes'])"))" \
	[ "$(jget "$M" "($MAP['inserts'], $MAP['deletes'])")" = "(0, 0)" ]
check "glib: largest size 131072 = the program's full size" \
	[ "$(jget "$M" "max($MAP['sizes'])")" = "$(jget "$T" "d['full_size']")" ]
check "glib: resizes are timed (grow_ns_total > 0)" \
	[ "$(jget "$M" "$MAP['grow_ns_total'] > 0")" = True ]
check "glib: sizes in slots" [ "$(jget "$M" "$MAP['sizes_unit']")" = slots ]
# GLib's GMutex waits on its own word (&mutex->i[0]): at least the 3 forced waits
WAITS=$(jget "$M" "[l['contentions'] for l in d['locks'] if l['addr'] == '$MUTEX'][0]")
check "glib: GMutex waits at the mutex's address ($WAITS >= 3)" \
	[ "$(jget "$M" "[l['contentions'] for l in d['locks'] if l['addr'] == '$MUTEX'][0] >= 3")" = True ]
check "glib: the GMutex is named after its static symbol, lock, and is a mutex (its word waited at 2)" \
	[ "$(jget "$M" "[(l['name'], l['kind']) for l in d['locks'] if l['addr'] == '$MUTEX']")" = "[('lock', 'mutex')]" ]
# a GRWLock's waiters sleep in the pthread_rwlock_t GLib allocated for it: counted under the
# GRWLock's own address and static name, reads and writes apart, as many as ghash timed
RWLOCK=$(jget "$T" "d['rwlock']")
RW="[l for l in d['locks'] if l['addr'] == '$RWLOCK']"
check "glib: GRWLock waits at the GRWLock's address $RWLOCK, named rwlock, kind rwlock" \
	[ "$(jget "$M" "[(l['name'], l['kind']) for l in $RW]")" = "[('rwlock', 'rwlock')]" ] ||
	jget "$M" "'\n'.join('# %s %s %s %d waits, stack %s' % (l['addr'], l['name'], l['kind'], l['contentions'], l['top_stacks'][0]['frames'][:3] if l['top_stacks'] else []) for l in d['locks'] if l['kind'] in ('rwlock', 'futex'))"
want="($(jget "$T" "d['rw_read_waits']"), $(jget "$T" "d['rw_write_waits']"))"
check "glib: GRWLock read and write waits $want, as ghash timed them" \
	[ "$(jget "$M" "($RW[0]['reads']['contentions'], $RW[0]['writes']['contentions'])")" = "$want" ]
check "glib: no wait left on the pthread_rwlock_t's own words" \
	[ "$(jget "$M" "sum(l['contentions'] for l in d['locks'] if l['kind'] == 'rwlock')")" = \
	  "$(jget "$M" "$RW[0]['contentions']")" ]
# the trace file says which GRWLock a futex word belongs to: the offline report is the same
traced glibrw --json -o "$TMP/glibrw.mtr" -- "$GHASH" 1 1000 1 3
LOCKS="sorted((l['addr'], l['name'], l['kind'], l['contentions'], l['reads']['contentions'], l['writes']['contentions']) for l in d['locks'])"
"$MAPTRACE" report "$TMP/glibrw.mtr" --format json >"$TMP/glibrw.replay" 2>"$TMP/glibrw.replay.err"
check "glib: the replayed trace file names and counts the GRWLock as the live run did" \
	[ "$(jget "$TMP/glibrw.replay" "$LOCKS")" = "$(jget "$TMP/glibrw.mt.out" "$LOCKS")" -a \
	  "$(jget "$TMP/glibrw.mt.out" "'rwlock' in [l['name'] for l in d['locks']]")" = True ]

# every output of a trace file holds every GLib resize, with its stack, as the library's grows do
# (--detail: the insert and remove probes count every call as well)
traced glibo --json --detail -o "$TMP/glibo.mtr" -- "$GHASH" 2 20000 1 3
T=$TMP/glibo.target.out F=$TMP/glibo.mtr N=$(jget "$TMP/glibo.target.out" "d['nresizes']")
TABLE=$(jget "$T" "d['table']")
check "glib -o: maptrace exited 0 ($glibo_mt_rc), the program saw $N resizes" \
	[ "$glibo_mt_rc" -eq 0 -a "$N" -gt 2 ]
check "glib --detail: 20000 inserts, 20000 removes, each call counted" \
	[ "$(jget "$TMP/glibo.mt.out" "[(m['inserts'], m['deletes']) for m in d['maps'] if m['addr'] == '$TABLE'][0]")" = "(20000, 20000)" ]
"$MAPTRACE" report "$F" -f folded --what grows --weight count >"$TMP/glibo.folded" 2>"$TMP/glibo.err"
check "glib -o: folded --what grows --weight count sums to the program's $N resizes ($(awk '{ s += $NF } END { print s + 0 }' "$TMP/glibo.folded"))" \
	[ "$(awk '{ s += $NF } END { print s + 0 }' "$TMP/glibo.folded")" = "$N" ]
# (a resize is seen at the ret of GLib's static g_hash_table_resize: each stack runs from the
# program's filler or main into g_hash_table_insert or _remove, then only GLib's own frames,
# which the stripped library names after the exported symbol before them)
check "glib -o: every folded grow stack runs filler or main, g_hash_table_insert or _remove, then GLib's static functions" \
	[ -s "$TMP/glibo.folded" -a "$(grep -cvE ';(filler|main);g_hash_table_(insert|remove)(;g_[a-z_]+)+ [0-9]+$' "$TMP/glibo.folded")" = 0 ]
"$MAPTRACE" report "$F" -f folded --what grows >"$TMP/glibo.ns.folded" 2>>"$TMP/glibo.err"
check "glib -o: folded rehash time equals the map's grow time ($(jget "$TMP/glibo.mt.out" "[m['grow_ns_total'] for m in d['maps'] if m['addr'] == '$TABLE'][0]") ns)" \
	[ "$(awk '{ s += $NF } END { printf "%d", s }' "$TMP/glibo.ns.folded")" = \
	  "$(jget "$TMP/glibo.mt.out" "sum(m['grow_ns_total'] for m in d['maps'])")" ]
"$MAPTRACE" report "$F" -f pprof --what grows >"$TMP/glibo.pb.gz" 2>>"$TMP/glibo.err"
go tool pprof -top -sample_index=grows "$TMP/glibo.pb.gz" >"$TMP/glibo.top" 2>&1
check "glib -o: pprof holds $N grow samples ($(grep -o 'of [0-9]* total' "$TMP/glibo.top"))" \
	grep -q "of $N total" "$TMP/glibo.top"
go tool pprof -traces -sample_index=grows "$TMP/glibo.pb.gz" >"$TMP/glibo.traces" 2>&1
check "glib -o: pprof's grow stacks name filler and main" \
	bash -c "grep -q ' filler\$' '$TMP/glibo.traces' && grep -q ' main\$' '$TMP/glibo.traces'"
"$MAPTRACE" report "$F" -f json --events >"$TMP/glibo.ev.json" 2>>"$TMP/glibo.err"
RS="[e for e in d['event_log'] if e['type'] == 'resize' and e['old_size'] > 0]"
check "glib -o: json --events lists the $N resizes, each old -> new size as the program saw" \
	[ "$(jget "$TMP/glibo.ev.json" "[[e['old_size'], e['new_size']] for e in $RS]")" = "$(jget "$T" "d['resizes']")" ]
# leaf first: GLib's frames (at least the resize, then the public call), then filler or main
APP="[i for i, f in enumerate(e['stack']) if 'libglib-2.0.so' not in f][:1] or [0]"
check "glib -o: every resize event has its stack: GLib, g_hash_table_insert or _remove, filler or main" \
	[ "$(jget "$TMP/glibo.ev.json" "all(k >= 2 and e['stack'][k - 1].startswith(('g_hash_table_insert+', 'g_hash_table_remove+')) and e['stack'][k].startswith(('filler+', 'main+')) for e in $RS for k in $APP)")" = True ]
"$MAPTRACE" report "$F" -f chrome >"$TMP/glibo.chrome.json" 2>>"$TMP/glibo.err"
check "glib -o: chrome draws the $N resizes as spans with their stacks" \
	[ "$(jget "$TMP/glibo.chrome.json" "sum(1 for e in d['traceEvents'] if e['ph'] == 'X' and e['cat'] == 'rehash' and e['args']['stack'])")" = "$N" ]
check "glib -o: chrome's map counter follows the table's slots up to $(jget "$T" "d['full_size']")" \
	[ "$(jget "$TMP/glibo.chrome.json" "max(e['args']['slots'] for e in d['traceEvents'] if e['ph'] == 'C' and e['name'] == 'map $TABLE')")" = "$(jget "$T" "d['full_size']")" ]

# full stacks through GLib (no frame pointers, no debug symbols here) down to the thread start:
# every wait unwound (--stack dwarf), in a buffer large enough for all their stack copies
traced glibstk --json --stack dwarf --ringbuf-mb 64 -- "$GHASH" 2 20000 1 3
M=$TMP/glibstk.mt.out T=$TMP/glibstk.target.out
TABLE=$(jget "$T" "d['table']") MUTEX=$(jget "$T" "d['mutex']")
MAP="[m for m in d['maps'] if m['addr'] == '$TABLE'][0]"
check "glib, dwarf stacks: nothing dropped ($(jget "$M" "d['dropped']"))" [ "$(jget "$M" "d['dropped']")" = 0 ]
check "glib: every resize stack runs from the inserting function to the thread's start" \
	[ "$(jget "$M" "all(any(f.startswith(('filler+', 'main+')) for f in s['frames']) and s['frames'][-1].startswith(('clone3+', '_start+')) for s in $MAP['top_stacks'])")" = True ]
check "glib: every GMutex wait stack names the waiting function and the thread's start" \
	[ "$(jget "$M" "all(any(f.startswith(('filler+', 'main+')) for f in s['frames']) and s['frames'][-1].startswith(('clone3+', '_start+')) for l in d['locks'] if l['addr'] == '$MUTEX' for s in l['top_stacks'])")" = True ]

# a lock role on g_mutex_lock: calls that sleep are contended acquisitions of that GMutex,
# timed entry to return, and the futex waits inside them are not counted twice
traced glock --json --probe "lock:libglib-2.0.so.0:g_mutex_lock:lock=arg0" -- "$GHASH" 4 20000 1 3
M=$TMP/glock.mt.out T=$TMP/glock.target.out MUTEX=$(jget "$T" "d['mutex']")
L="[l for l in d['locks'] if l['addr'] == '$MUTEX'][0]"
check "lock role: maptrace exited 0 ($glock_mt_rc)" [ "$glock_mt_rc" -eq 0 ]
check "lock role: the GMutex is a mutex ($(jget "$M" "$L['kind']"))" [ "$(jget "$M" "$L['kind']")" = mutex ]
# the upper bound: the fillers' failed trylocks plus main's forced waits, which take the lock
# without a trylock (a quiet filler phase can have fewer failed trylocks than 3)
HOLDS=$(jget "$T" "d['hold_iters']") TRIED=$(jget "$T" "d['contended']")
check "lock role: $HOLDS forced waits <= $(jget "$M" "$L['contentions']") acquisitions that slept <= $TRIED failed trylocks + $HOLDS forced" \
	[ "$(jget "$M" "$HOLDS <= $L['contentions'] <= $TRIED + $HOLDS")" = True ]
check "lock role: each wait's stack names the function taking the lock" \
	[ "$(jget "$M" "all(any(f.startswith(('filler+', 'main+', 'holder+')) for f in s['frames']) for s in $L['top_stacks'])")" = True ]

# --list names the profile, the version, each probe with its address and cost
"$GHASH" 1 10 3 >/dev/null 2>"$TMP/list.err" &
gp=$!
wait_for "$TMP/list.err" pid 5
"$MAPTRACE" -p "$gp" --list >"$TMP/list.out" 2>&1
check "--list: exits 0" [ $? -eq 0 ]
check "--list: glib matched with version and fields" \
	grep -q "profile glib (built-in): .*libglib-2.0.so.0.*, version 2\.74\.[0-9]*, fields for 2.74.\*" "$TMP/list.out"
check "--list: the insert probe with address, instruction kind and cost" \
	grep -qE "^ +insert +g_hash_table_insert +0x[0-9a-f]+ +push \(emulated\) +~0\.6 us/hit" "$TMP/list.out"
check "--list: a profile's per-operation probe is marked detail-only, a resize is not" \
	bash -c "grep -qE '^ +insert +g_hash_table_insert .* \(per operation: only with --detail\)\$' '$TMP/list.out' &&
		 grep -E '^ +resize +g_hash_table_remove_all ' '$TMP/list.out' | grep -vq 'only with --detail'"
"$MAPLOAD" --scenario growth --start-after 3 >/dev/null 2>"$TMP/mlist.err" &
mp=$!
wait_for "$TMP/mlist.err" pid 5
"$MAPTRACE" -p "$mp" --list >"$TMP/mlist.out" 2>&1
"$MAPTRACE" -p "$mp" --list --detail >"$TMP/mlist.detail" 2>&1
kill "$mp" 2>/dev/null
wait "$mp" 2>/dev/null
check "--list: lib/'s USDT probes, one line each, with sites, address, kind and cost" \
	grep -qE "^ +grow_begin +1 site +0x[0-9a-f]+ +nop5 +~0\.3 us/hit" "$TMP/mlist.out"
check "--list: per-operation probes are attached only with --detail" \
	grep -qE "^ +insert +1 site +0x[0-9a-f]+ +nop5 +with --detail" "$TMP/mlist.out"
check "--list --detail: the insert probe attached, with its cost" \
	grep -qE "^ +insert +1 site +0x[0-9a-f]+ +nop5 +~0\.3 us/hit" "$TMP/mlist.detail"
check "--list: lib/'s probes maptrace does not attach say so" \
	grep -qE "^ +lock_acquired +1 site +0x[0-9a-f]+ +nop5 +not attached" "$TMP/mlist.out"
check "--list: libcmap not mapped, said so" \
	grep -q "cmap (built-in, USDT probes of lib/): not matched: no mapped object carries provider cmap" "$TMP/list.out"
check "--list: why redis did not match" \
	grep -q "profile redis (built-in): not matched: no mapped object named redis-server or redis-check-rdb" "$TMP/list.out"
kill "$gp" 2>/dev/null
wait "$gp" 2>/dev/null
# GLib's static g_hash_table_resize, located by disassembly: its entry is a push, its one ret
# in 2.74.6 is single-stepped (both rare: once per resize)
check "--list: @glib_resize located, probed at its entry and at its ret instructions" \
	bash -c "grep -qE '^ +located @glib_resize at 0x[0-9a-f]+: the static function called from the insert and the remove paths' '$TMP/list.out' &&
		 grep -qE '^ +grow_begin +@glib_resize +0x[0-9a-f]+ +push \(emulated\) +~0\.6 us/hit\$' '$TMP/list.out' &&
		 grep -qE '^ +grow_end +@glib_resize:ret\+0x[0-9a-f]+ +0x[0-9a-f]+ +single-step ' '$TMP/list.out'"
check "--list: located, the insert probes only count (no return, no when= guard), only with --detail" \
	[ "$(grep -cE '^ +(insert|delete) +g_hash_table_[a-z]+ +0x[0-9a-f]+ +push \(emulated\) +~0\.6 us/hit \(per operation: only with --detail\)$' "$TMP/list.out")" = 5 ]

# An independent count of the resizes: bpftrace on the address maptrace's finder reports counts
# the calls of g_hash_table_resize; the program saw each size change, and after its CHURN phase
# (a key replaced 3000 times among 64) each rehash in place at the same size; maptrace reports
# both kinds.
"$GHASH" 2 100000 1 0 3000 >"$TMP/gbt.target.out" 2>"$TMP/gbt.target.err" &
gp=$!
wait_for "$TMP/gbt.target.err" pid 10
kill -STOP "$gp"
"$MAPTRACE" -p "$gp" --list >"$TMP/gbt.list" 2>&1
GLIB=$(sed -nE 's/^profile glib \(built-in\): ([^,]+), .*/\1/p' "$TMP/gbt.list")
RESIZE=$(sed -nE 's/^ +located @glib_resize at (0x[0-9a-f]+): .*/\1/p' "$TMP/gbt.list")
# BEGIN runs once every probe is attached; --unsafe: bpftrace 0.17 takes an address that no
# symbol covers only so
bpftrace --unsafe -p "$gp" -e "BEGIN { printf(\"ready\\n\"); } uprobe:$GLIB:$RESIZE { @calls = count(); }" \
	>"$TMP/gbt.bt" 2>&1 &
bp=$!
wait_for "$TMP/gbt.bt" ready 60 || echo "# bpftrace did not start: $(cat "$TMP/gbt.bt")"
"$MAPTRACE" -p "$gp" --json >"$TMP/gbt.mt.out" 2>"$TMP/gbt.mt.err" &
mp=$!
wait_for "$TMP/gbt.mt.err" "tracing PID" 20 || echo "# maptrace did not start: $(cat "$TMP/gbt.mt.err")"
kill -CONT "$gp"
wait "$gp"
gbt_rc=$?
wait "$mp"
gbt_mt_rc=$?
kill -INT "$bp" 2>/dev/null
wait "$bp"
BT=$(sed -nE 's/^@calls: ([0-9]+)$/\1/p' "$TMP/gbt.bt")
NR=$(jget "$TMP/gbt.target.out" "d['nresizes']") SS=$(jget "$TMP/gbt.target.out" "d['same_size_resizes']")
TABLE=$(jget "$TMP/gbt.target.out" "d['table']")
MAP="[m for m in d['maps'] if m['addr'] == '$TABLE'][0]"
check "glib resize oracle: program ($gbt_rc) and maptrace ($gbt_mt_rc) exited 0, $GLIB:$RESIZE located" \
	[ "$gbt_rc" -eq 0 -a "$gbt_mt_rc" -eq 0 -a -n "$GLIB" -a -n "$RESIZE" ]
check "glib resize oracle: bpftrace counts ${BT:-no} calls at $RESIZE = the program's $NR resizes + $SS in place" \
	[ -n "$BT" -a "$BT" = "$((NR + SS))" -a "$SS" -gt 0 ]
check "glib resize oracle: maptrace's same-size grows $(jget "$TMP/gbt.mt.out" "$MAP['same_size_grows']") = the program's $SS rehashes in place" \
	[ "$(jget "$TMP/gbt.mt.out" "$MAP['same_size_grows']")" = "$SS" ]
check "glib resize oracle: grows, shrinks and size path as the program saw" \
	same_resizes "$TMP/gbt.mt.out" "[m for m in d['maps'] if m['addr'] == '$TABLE'][0]" "$TMP/gbt.target.out" t

# --- Redis: the keyspace dict while 200,000 keys are loaded ------------------------------------
port=$(redis_free_port)
if redis_start redis "$port"; then
	# default flags: no probe on dictAddRaw or dictRehash; entries and rehash ends are read
	"$MAPTRACE" -p "$REDIS_PID" --json -o "$TMP/redis.mtr" 0.2 >"$TMP/redis.json" 2>"$TMP/redis.err" &
	mpid=$!
	wait_for "$TMP/redis.err" "tracing PID" 20
	"$MAPTRACE" -p "$REDIS_PID" --list >"$TMP/redis.list" 2>&1
	check "redis --list: the read line, and dictAddRaw and dictRehash only with --detail" \
		bash -c "grep -qE '^ +read +count=used0\+used1 pos=rehashidx size=size0: from each map' '$TMP/redis.list' &&
			 [ \$(grep -cE '^ +(insert +dictAddRaw|rehash_step +dictRehash) .*only with --detail\)\$' '$TMP/redis.list') = 2 ] &&
			 grep -q '^7 profile probe sites would be attached (more with --detail)\$' '$TMP/redis.list'"
	# redis-server links libstdc++: its two sites (the rehash decision's call) are the other 2
	check "redis --list: libstdc++ matched too, with its 2 sites" \
		bash -c "[ \$(grep -cE '^ +grow_(begin|end) +_ZNKSt8__detail20_Prime_rehash_policy14_M_need_rehashEmmm>' '$TMP/redis.list') = 2 ]"
	# every column, whatever the terminal (the width's own test is maptrace-ux)
	COLUMNS=300 "$MAPTRACE" -p "$REDIS_PID" 0.2 >"$TMP/redis.live" 2>/dev/null &
	lpid=$!
	# --detail: every insert and rehash step probed as well
	"$MAPTRACE" -p "$REDIS_PID" --json --detail 0.2 >"$TMP/redisd.json" 2>"$TMP/redisd.err" &
	dpid=$!
	wait_for "$TMP/redisd.err" "tracing PID" 20
	# --overhead-budget: inserts counted only while their probe is attached, rehash steps always
	"$MAPTRACE" -p "$REDIS_PID" --json --overhead-budget 1 0.2 >"$TMP/redisb.json" 2>"$TMP/redisb.err" &
	bpid=$!
	wait_for "$TMP/redisb.err" "tracing PID" 20
	sleep 0.5
	# in four steps of 1000, 9000, 50000 and 140000 keys: the live reports see the dict grow
	for chunk in 1:1000 1001:9000 10001:50000 60001:140000; do
		redis_load "$port" "${chunk#*:}" "${chunk%:*}" || not_ok "redis: loading keys $chunk"
		sleep 0.4
	done
	sleep 0.5
	HT=$(redis_htstats "$port")
	DBSIZE=$("$REDIS_CLI" -p "$port" dbsize)
	KEYSPACE=$("$REDIS_CLI" -p "$port" info keyspace | tr -d '\r' | sed -n 's/^db0:keys=\([0-9]*\),.*/\1/p')
	kill -INT "$mpid" "$lpid" "$dpid" "$bpid"
	wait "$mpid"
	mrc=$?
	wait "$lpid"
	wait "$dpid"
	drc=$?
	wait "$bpid"
	brc=$?
	redis_stop "$port"
	R=$TMP/redis.json D=$TMP/redisd.json
	KS="[m for m in d['maps'] if m['library'] == 'redis' and m['grows']][0]"
	check "redis: maptrace exited 0 ($mrc), with --detail too ($drc)" [ "$mrc" -eq 0 ] && [ "$drc" -eq 0 ]
	check "redis: DBSIZE $DBSIZE = INFO keyspace's db0 keys $KEYSPACE = 200000" \
		[ "$DBSIZE" = 200000 ] && [ "$KEYSPACE" = 200000 ]
	# by default no insert is probed: the dict's own entry counts (used0 + used1) are read
	check "redis: one dict holds DBSIZE's $DBSIZE entries, read from it, library redis, no insert probed" \
		[ "$(jget "$R" "[(m['library'], m['inserts']) for m in d['maps'] if m['count'] == $DBSIZE]")" = "[('redis', 0)]" ]
	# the reads and the rehash ends they found are in the trace file: the replay is the same
	"$MAPTRACE" report "$TMP/redis.mtr" --format json >"$TMP/redis.replay" 2>"$TMP/redis.replay.err"
	RKS="[(m['addr'], m['count'], m['grows'], m['grows_done'], m['evacuated'], m['rehash_elapsed_ns'], m['sizes']) for m in d['maps'] if m['library'] == 'redis' and m['grows']]"
	check "redis: the replayed trace file has the same entries, grows and rehash ends" \
		[ "$(jget "$TMP/redis.replay" "$RKS")" = "$(jget "$R" "$RKS")" ]
	check "redis: --detail: one dict took the 200000 inserts, library redis" \
		[ "$(jget "$D" "[m['library'] for m in d['maps'] if m['inserts'] >= 200000]")" = "['redis']" ]
	check "redis: --detail: that dict also holds $DBSIZE entries, read from it" \
		[ "$(jget "$D" "[m['count'] for m in d['maps'] if m['inserts'] >= 200000]")" = "[$DBSIZE]" ]
	BKS="[m for m in d['maps'] if m['library'] == 'redis' and m['grows']][0]"
	check "redis: --overhead-budget 1 exited 0 ($brc); inserts marked as a sample ($(jget "$TMP/redisb.json" "d['sampling']['sampled']"))" \
		[ "$brc" -eq 0 ] && [ "$(jget "$TMP/redisb.json" "d['sampling']['sampled'][0]")" = "profile inserts" ]
	check "redis: --overhead-budget 1: the same 16 expansions, each rehash followed to its end, $DBSIZE entries, at most 200000 inserts seen" \
		[ "$(jget "$TMP/redisb.json" "($BKS['grows'], $BKS['grows_done'], $BKS['evacuated'], $BKS['count'], $BKS['rehash_steps'] > 16, $BKS['inserts'] <= 200000)")" = "(16, 16, 262140, $DBSIZE, True, True)" ]
	check "redis: --detail prints the cost of the per-operation probes when it starts" \
		grep -q "maptrace: --detail: insert dictAddRaw in .* is probed on every call, ~0.6 us/hit" "$TMP/redisd.err"
	check "redis: without --detail, no such line" \
		bash -c "! grep -q 'is probed on every call' '$TMP/redis.err'"
	check "redis: its final size $(jget "$R" "$KS['size']") = DEBUG HTSTATS 0's table size $HT" \
		[ "$(jget "$R" "$KS['size']")" = "$HT" ]
	check "redis: 16 expansions 4 -> 262144 ($(jget "$R" "$KS['grows']"))" \
		[ "$(jget "$R" "($KS['grows'], $KS['sizes'][0], $KS['sizes'][-1])")" = "(16, 4, 262144)" ]
	check "redis: every expansion's rehash completed ($(jget "$R" "$KS['grows_done']"))" \
		[ "$(jget "$R" "$KS['grows_done']")" = 16 ]
	# rehashing moves every bucket of each old table: 4 + 8 + ... + 131072
	check "redis: rehashing moved 262140 buckets ($(jget "$R" "$KS['evacuated']"))" \
		[ "$(jget "$R" "$KS['evacuated']")" = 262140 ]
	# by default a rehash's span runs from its resize to the first sync that reads rehashidx
	# -1; its steps are not probed
	check "redis: rehash spans recorded, no steps ($(jget "$R" "($KS['rehash_steps'], $KS['rehash_elapsed_ns'])"))" \
		[ "$(jget "$R" "$KS['rehash_steps'] == 0 and $KS['rehash_elapsed_ns'] > 0")" = True ]
	DKS="[m for m in d['maps'] if m['inserts'] >= 200000][0]"
	check "redis: --detail: the same 16 expansions 4 -> 262144, each rehash completed, 262140 buckets moved" \
		[ "$(jget "$D" "($DKS['grows'], $DKS['sizes'][0], $DKS['sizes'][-1], $DKS['grows_done'], $DKS['evacuated'])")" = "(16, 4, 262144, 16, 262140)" ]
	check "redis: --detail: rehash steps and elapsed time recorded" \
		[ "$(jget "$D" "$DKS['rehash_steps'] > 16 and $DKS['rehash_elapsed_ns'] >= $DKS['evac_ns_total'] > 0")" = True ]
	# Redis is stripped (.dynsym only): static functions show as the nearest symbol, marked ?
	check "redis: expansion stacks run from dictAddRaw through the SET command to main" \
		python3 - "$R" <<'PY'
import json, re, sys
d = json.load(open(sys.argv[1]))
m = [m for m in d['maps'] if m['library'] == 'redis' and m['grows']][0]
want = ['dictAddRaw', 'dbAdd', 'setKey', 'setCommand', 'call', 'processCommand', 'main']
ok = bool(m['top_stacks'])
for st in m['top_stacks']:
    names = [re.split(r'[?+]', f)[0] for f in st['frames']]
    it = iter(names)
    if not all(w in it for w in want):
        print('# missing frames in order %s: %s' % (want, st['frames'])); ok = False
sys.exit(not ok)
PY
	check "redis: the keyspace dict is named after its type, dbDictType" \
		[ "$(jget "$R" "$KS['name']")" = dbDictType ]
	check "redis: the advice names the dict and its size path" \
		[ "$(jget "$R" "any(a.startswith('redis map ') and 'dbDictType' in a and '4 -> 262144 slots' in a for a in d['advice'])")" = True ]
	# the live tables show the dict's grows climbing while keys are loaded
	GROWS=$(awk '/^ADDR/ { t = 1; next } t && $2 == "redis" && $4 > 0 { print $4 } /^[A-Z]/ { t = 0 }' "$TMP/redis.live" | uniq | tr '\n' ' ')
	check "redis: the text summary shows the keyspace's $DBSIZE entries, read from it" \
		grep -qE "^0x[0-9a-f]+ +redis .* $DBSIZE/- +dbDictType" "$TMP/redis.live"
	check "redis: live reports show the dict growing ($GROWS)" \
		python3 -c "import sys; g=[int(x) for x in '$GROWS'.split()]; sys.exit(not (len(g) >= 3 and g == sorted(g) and g[-1] == 16))"
else
	not_ok "redis: redis-server did not start: $(tail -3 "$TMP"/redis*.log 2>/dev/null)"
fi

# --- Redis: two databases' keyspaces and a hash key, each dict's entries read -----------------
# redis_cmds PORT DB: the commands on stdin, through redis-cli --pipe into database DB
redis_cmds() {
	awk '{ printf "*%d\r\n", NF; for (i = 1; i <= NF; i++) printf "$%d\r\n%s\r\n", length($i), $i }' |
		"$REDIS_CLI" -p "$1" -n "$2" --pipe 2>&1 | grep -q "errors: 0,"
}
# redis_tablesize PORT DB: the size of database DB's keyspace dict, as DEBUG HTSTATS DB says
# (table 1's while rehashing: the size it moves to)
redis_tablesize() {
	"$REDIS_CLI" -p "$1" debug htstats "$2" | tr -d '\r' | awk '
		/^\[Expires HT\]/ { exit }
		/^Hash table [01] stats/ { t = $3 }
		/^ table size: / { size[t] = $3 }
		END { print size[1] != "" ? size[1] : size[0] }'
}
port=$(redis_free_port)
if redis_start redis2 "$port"; then
	"$MAPTRACE" -p "$REDIS_PID" --json 0.2 >"$TMP/redis2.json" 2>"$TMP/redis2.err" &
	mpid=$!
	wait_for "$TMP/redis2.err" "tracing PID" 20
	"$MAPTRACE" -p "$REDIS_PID" --json --detail 0.2 >"$TMP/redis2d.json" 2>"$TMP/redis2d.err" &
	dpid=$!
	wait_for "$TMP/redis2d.err" "tracing PID" 20
	awk 'BEGIN { for (i = 1; i <= 30000; i++) printf "SET k%d %d\n", i, i }' | redis_cmds "$port" 0 ||
		not_ok "redis, two databases: loading db 0"
	awk 'BEGIN { for (i = 1; i <= 5000; i++) printf "SET j%d %d\n", i, i }' | redis_cmds "$port" 1 ||
		not_ok "redis, two databases: loading db 1"
	# past hash-max-listpack-entries (128) a hash is a dict of its own
	awk 'BEGIN { for (i = 1; i <= 1000; i++) printf "HSET h f%d %d\n", i, i }' | redis_cmds "$port" 0 ||
		not_ok "redis, two databases: filling the hash"
	sleep 1
	INFO=$("$REDIS_CLI" -p "$port" info keyspace | tr -d '\r')
	K0=$(sed -n 's/^db0:keys=\([0-9]*\),.*/\1/p' <<<"$INFO")
	K1=$(sed -n 's/^db1:keys=\([0-9]*\),.*/\1/p' <<<"$INFO")
	HL=$("$REDIS_CLI" -p "$port" -n 0 hlen h)
	ENC=$("$REDIS_CLI" -p "$port" -n 0 object encoding h)
	S0=$(redis_tablesize "$port" 0) S1=$(redis_tablesize "$port" 1)
	kill -INT "$mpid" "$dpid"
	wait "$mpid"
	mrc=$?
	wait "$dpid"
	drc=$?
	redis_stop "$port"
	R=$TMP/redis2.json D=$TMP/redis2d.json
	check "redis, two databases: maptrace exited 0 ($mrc); Redis says db0 $K0 keys, db1 $K1, hash $HL fields ($ENC)" \
		[ "$mrc" -eq 0 ] && [ "$K0" = 30001 ] && [ "$K1" = 5000 ] && [ "$HL" = 1000 ] && [ "$ENC" = hashtable ]
	check "redis, two databases: the keyspace dicts hold $K0 and $K1 entries, read from them" \
		[ "$(jget "$R" "sorted(m['count'] for m in d['maps'] if m['name'] == 'dbDictType' and m['grows'])")" = "[$K1, $K0]" ]
	check "redis, two databases: each keyspace's last size is DEBUG HTSTATS's ($S0, $S1), every rehash ended" \
		[ "$(jget "$R" "sorted((m['count'], m['sizes'][-1], m['grows'] == m['grows_done']) for m in d['maps'] if m['name'] == 'dbDictType' and m['grows'])")" = "[($K1, $S1, True), ($K0, $S0, True)]" ]
	# Redis 7.0.15 makes and grows a hash's dict in code the default probes do not see
	# (hashTypeConvertListpack has dictCreate and dictExpand inlined): its inserts make it known
	check "redis, two databases, --detail ($drc): the hash's dict took $HL inserts and holds $HL entries, read from it" \
		[ "$drc" -eq 0 ] && [ "$(jget "$D" "[(m['inserts'], m['count']) for m in d['maps'] if m['name'] == 'hashDictType' and m['inserts']]")" = "[($HL, $HL)]" ]
	check "redis, two databases: no insert probed by default" \
		[ "$(jget "$R" "sum(m['inserts'] for m in d['maps'])")" = 0 ]
else
	not_ok "redis, two databases: redis-server did not start: $(tail -3 "$TMP"/redis2*.log 2>/dev/null)"
fi

# --- A table maptrace has no profile for: --probe and --profile FILE -------------------------
PROBES=(--probe "create:customht:ht_new:map=ret,size=u64@0"
	--probe "insert:customht:ht_insert:map=arg0"
	--probe "delete:customht:ht_remove:map=arg0"
	--probe "grow:customht:ht_resize:map=arg0,size=u64@0,new_size=arg1"
	--probe "destroy:customht:ht_free:map=arg0")
# --detail: the insert and delete probes count every call
traced probe --json --detail "${PROBES[@]}" -- "$CUSTOMHT" 5000 1 1
M=$TMP/probe.mt.out T=$TMP/probe.target.out
check "--probe: maptrace exited 0 ($probe_mt_rc)" [ "$probe_mt_rc" -eq 0 ]
check "--probe: every resize, sizes not powers of two" \
	same_resizes "$M" "[m for m in d['maps'] if m['library'] == 'customht'][0]" "$T" "t['tables'][0]"
check "--probe: 5000 inserts and removes" \
	[ "$(jget "$M" "[(m['inserts'], m['deletes']) for m in d['maps'] if m['library'] == 'customht']")" = "[(5000, 5000)]" ]
check "--probe --detail: the cost of each per-operation probe said at the start" \
	[ "$(grep -c "maptrace: --detail: \(insert ht_insert\|delete ht_remove\) in .*customht is probed on every call" "$TMP/probe.mt.err")" = 2 ]

cat >"$TMP/customht.profile" <<'EOF'
# the test's own table: struct ht { unsigned long size, count; ... }
profile customht
object customht
require ht_insert ht_resize
version build-id
fields * size=u64@0 count=u64@8
probe create ht_new map=ret size=size
probe insert ht_insert map=arg0
probe delete ht_remove map=arg0
probe resize ht_resize map=arg0 size=size new_size=arg1 count=count
probe destroy ht_free map=arg0
EOF
traced profile --json --profile "$TMP/customht.profile" -- "$CUSTOMHT" 3000 1 2
M=$TMP/profile.mt.out T=$TMP/profile.target.out
check "--profile: maptrace exited 0 ($profile_mt_rc)" [ "$profile_mt_rc" -eq 0 ]
check "--profile: two tables (one address may be reused), each with every resize" \
	python3 - "$M" "$T" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); t = json.load(open(sys.argv[2]))
def key(g, s, p): return (g, s, tuple(p))
got = sorted(key(m['grows'], m['shrinks'], m['sizes']) for m in d['maps'] if m['library'] == 'customht')
want = sorted(key(sum(n > o for o, n in x['resizes']), sum(n < o for o, n in x['resizes']),
                  [x['resizes'][0][0]] + [n for _, n in x['resizes']]) for x in t['tables'])
sys.exit(got != want)
PY
check "--profile: no insert or delete probed without --detail, nor said to be" \
	[ "$(jget "$M" "[(m['inserts'], m['deletes']) for m in d['maps'] if m['library'] == 'customht']")" = "[(0, 0), (0, 0)]" ] &&
	! grep -q "is probed on every call" "$TMP/profile.mt.err"

# a located function the object does not have (@glib_resize in customht): its probes are a
# note, not a failure, and the profile's unless= probes run instead of its if= ones
cat >"$TMP/fallback.profile" <<'EOF'
profile customht
object customht
require ht_insert ht_resize
version build-id
fields * size=u64@0 count=u64@8
probe create ht_new map=ret size=size
probe grow_begin @glib_resize map=arg0 size=size new_size=size count=count
probe grow_end @glib_resize:ret
probe insert ht_insert map=arg0 if=@glib_resize
probe insert ht_insert map=arg0 unless=@glib_resize
probe delete ht_remove map=arg0
probe resize ht_resize map=arg0 size=size new_size=arg1 count=count unless=@glib_resize
probe destroy ht_free map=arg0
EOF
traced fallback --json --profile "$TMP/fallback.profile" -- "$CUSTOMHT" 3000 1 2
M=$TMP/fallback.mt.out T=$TMP/fallback.target.out
check "unless=: maptrace exited 0 ($fallback_mt_rc) though @glib_resize is not in customht" \
	[ "$fallback_mt_rc" -eq 0 ]
check "unless=: the located probes are noted, with why and the fallback" \
	grep -q "not attached: grow_begin @glib_resize in customht: @glib_resize in customht: no function g_hash_table_insert, g_hash_table_replace or g_hash_table_add to start from (not GLib?); its unless= probes instead" "$TMP/fallback.mt.err"
check "unless=: every resize of both tables through the fallback probe" \
	python3 - "$M" "$T" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); t = json.load(open(sys.argv[2]))
def key(g, s, p): return (g, s, tuple(p))
got = sorted(key(m['grows'], m['shrinks'], m['sizes']) for m in d['maps'] if m['library'] == 'customht')
want = sorted(key(sum(n > o for o, n in x['resizes']), sum(n < o for o, n in x['resizes']),
                  [x['resizes'][0][0]] + [n for _, n in x['resizes']]) for x in t['tables'])
sys.exit(got != want)
PY
check "unless=: each insert counted once (the if= probe left out): $(jget "$T" "sum(x['inserts'] for x in d['tables'])")" \
	[ "$(jget "$M" "sum(m['inserts'] for m in d['maps'] if m['library'] == 'customht')")" = \
	  "$(jget "$T" "sum(x['inserts'] for x in d['tables'])")" ]

# bad profiles and probes: one line naming the problem, non-zero exit
printf 'profile x\nobject x\nprobe explode x_fn map=arg0\n' >"$TMP/bad.profile"
"$MAPTRACE" -p 1 --profile "$TMP/bad.profile" >/dev/null 2>"$TMP/bad.err"
check "--profile with an unknown role: exit 2 or 1 and the line named" \
	grep -q "bad.profile line 3: unknown role" "$TMP/bad.err"
"$MAPTRACE" -p 1 --probe "grow:libfoo.so" >/dev/null 2>"$TMP/bad2.err"
check "--probe without a symbol: the syntax is shown" \
	grep -q "want ROLE:OBJECT:SYMBOL\[:KEY=VALUE,...\]" "$TMP/bad2.err"
"$MAPTRACE" -p 1 --probe "grow:libfoo.so:foo:map=arg9" >/dev/null 2>"$TMP/bad3.err"
check "--probe with a bad value: names it" grep -q "at 'map=arg9'" "$TMP/bad3.err"

# --- A target in its own mount namespace, running its own copy of the binary ------------------
mkdir -p "$TMP/nsroot"
NSBIN=/mnt/maptrace-ns-test
mkdir -p "$NSBIN"
unshare -m --propagation private bash -c "mount -t tmpfs none $NSBIN && cp $CUSTOMHT $NSBIN/customht-ns && exec $NSBIN/customht-ns 4000 1 1" \
	>"$TMP/ns.target.out" 2>"$TMP/ns.target.err" &
wait_for "$TMP/ns.target.err" pid 10
NSPID=$(sed -n 's/.*pid \([0-9]*\).*/\1/p' "$TMP/ns.target.err")
check "mount namespace: the binary is not visible from here" [ ! -e "$NSBIN/customht-ns" ]
"$MAPTRACE" -p "$NSPID" --json --probe "grow:customht-ns:ht_resize:map=arg0,size=u64@0,new_size=arg1" \
	--probe "insert:customht-ns:ht_insert:map=arg0" >"$TMP/ns.mt.out" 2>"$TMP/ns.mt.err"
nsrc=$?
wait
check "mount namespace: maptrace exited 0 ($nsrc: $(tail -1 "$TMP/ns.mt.err"))" [ "$nsrc" -eq 0 ]
check "mount namespace: every resize" \
	same_resizes "$TMP/ns.mt.out" "[m for m in d['maps'] if m['library'] == 'customht-ns'][0]" "$TMP/ns.target.out" "t['tables'][0]"
check "mount namespace: resize stacks symbolized from the namespace's binary (ht_insert)" \
	[ "$(jget "$TMP/ns.mt.out" "any(f.startswith('ht_insert') for m in d['maps'] for s in m['top_stacks'] for f in s['frames'])")" = True ]
rmdir "$NSBIN" 2>/dev/null

# --- A stripped binary: a clear refusal; with its debug file under /usr/lib/debug: traced -------
STRIPPED=$TMP/customht-stripped
objcopy --only-keep-debug "$CUSTOMHT" "$TMP/customht.debug"
strip -o "$STRIPPED" "$CUSTOMHT"
BUILD_ID=$(readelf -n "$STRIPPED" | sed -n 's/.*Build ID: \([0-9a-f]*\).*/\1/p')
DEBUG_FILE=/usr/lib/debug/.build-id/${BUILD_ID:0:2}/${BUILD_ID:2}.debug
SPROBES=(--probe "grow:customht-stripped:ht_resize:map=arg0,size=u64@0,new_size=arg1")
check "stripped: the copy has no ht_resize symbol" bash -c "! nm '$STRIPPED' 2>/dev/null | grep -q ht_resize"
check "stripped: no debug file installed for build-id $BUILD_ID yet" [ ! -e "$DEBUG_FILE" ]
traced stripped --json "${SPROBES[@]}" -- "$STRIPPED" 2000 1 1
check "stripped: maptrace exits non-zero ($stripped_mt_rc)" [ "$stripped_mt_rc" -ne 0 ]
check "stripped: the message names the missing symbol and the fix" \
	grep -q "has no symbol ht_resize (stripped?); install its debug file under /usr/lib/debug/.build-id" "$TMP/stripped.mt.err"
mkdir -p "$(dirname "$DEBUG_FILE")"
cp "$TMP/customht.debug" "$DEBUG_FILE"
traced debug --json "${SPROBES[@]}" -- "$STRIPPED" 2000 1 1
rm -f "$DEBUG_FILE"
rmdir "$(dirname "$DEBUG_FILE")" 2>/dev/null
check "stripped + debug file: maptrace exited 0 ($debug_mt_rc)" [ "$debug_mt_rc" -eq 0 ]
check "stripped + debug file: every resize" \
	same_resizes "$TMP/debug.mt.out" "[m for m in d['maps'] if m['library'] == 'customht-stripped'][0]" "$TMP/debug.target.out" "t['tables'][0]"
check "stripped + debug file: stacks symbolized (ht_insert)" \
	[ "$(jget "$TMP/debug.mt.out" "any(f.startswith('ht_insert') for m in d['maps'] for s in m['top_stacks'] for f in s['frames'])")" = True ]
finish
