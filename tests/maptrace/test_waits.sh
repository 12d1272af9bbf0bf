#!/usr/bin/env bash
# Issue 16: only mutexes and rwlocks are lock contention.  The demo's join, condvar and start
# gate waits stay out of the lock table and the advice, are counted in one "other waits" line,
# and are listed with their kind under --all-waits (needs root: loads BPF).
# timeout: 300
source "$(dirname "$0")/lib.sh"

DEMO=("$MAPLOAD" --variant mutex --threads 4 --keys 50000 --write-pct 60 --new-key-pct 80
	--hold-us 20 --duration 3 --start-after 0.5)

# --- the demo, live, as JSON (and recorded, for the reports below) and as text ----------------
traced demo --json -o "$TMP/demo.mtr" -- "${DEMO[@]}"
traced text -q -- "${DEMO[@]}"
M=$TMP/demo.mt.out T=$TMP/text.mt.out
check "demo: maptrace exited 0 (json $demo_mt_rc, text $text_mt_rc)" \
	[ "$demo_mt_rc" -eq 0 ] && [ "$text_mt_rc" -eq 0 ]
check "json: locks[] holds mutexes and rwlocks only ($(jget "$M" "sorted({l['kind'] for l in d['locks']})"))" \
	[ "$(jget "$M" "all(l['kind'] in ('mutex', 'rwlock') for l in d['locks'])")" = True ]
check "json: the map's mutex is a lock row" \
	[ "$(jget "$M" "any(l['kind'] == 'mutex' and l['map'] for l in d['locks'])")" = True ]
check "json: other_waits[] has the joins, by kind ($(jget "$M" "sorted({l['kind'] for l in d['other_waits']})"))" \
	[ "$(jget "$M" "any(l['kind'] == 'join' for l in d['other_waits'])")" = True ]
check "json: other_waits[] has the start gate's condvar" \
	[ "$(jget "$M" "any(l['kind'] == 'condvar' for l in d['other_waits'])")" = True ]
check "json: other_waits[] rows have the lock rows' fields" \
	[ "$(jget "$M" "all(set(w) == set(d['locks'][0]) for w in d['other_waits'])")" = True ]
check "json: no mutex or rwlock among the other waits" \
	[ "$(jget "$M" "any(l['kind'] in ('mutex', 'rwlock') for l in d['other_waits'])")" = False ]
check "json: the joins' stacks go through pthread_join" \
	[ "$(jget "$M" "all(any('join' in f for s in l['top_stacks'] for f in s['frames']) for l in d['other_waits'] if l['kind'] == 'join')")" = True ]
check "json: no advice names a wait that is not a lock" \
	[ "$(jget "$M" "sum(('0x%x' % int(w['addr'], 16)) in a for w in d['other_waits'] for a in d['advice'])")" = 0 ]
check "json: no advice on a lock that guards no map, no sharding advice but for the map's lock" \
	[ "$(jget "$M" "sum(l['addr'] in a for l in d['locks'] if not l['map'] for a in d['advice'])")" = 0 ]
check "json: the map's mutex still gets its advice" \
	[ "$(jget "$M" "sum('shard the map' in a for a in d['advice'])")" = 1 ]
for k in join condvar barrier semaphore futex; do
	check "text: no $k row in the lock table" \
		[ "$(sed -n '/^LOCK WAIT$/,/^other waits\|^$/p' "$T" | awk '$2 == "'$k'"' | wc -l)" = 0 ]
done
check "text: one other-waits line, joins and condvars by kind" \
	grep -qE '^other waits: .*[0-9]+ join \(.*; --all-waits lists them$' "$T"
check "text: the other-waits line names the condvar waits" \
	grep -qE '^other waits: .*[0-9]+ condvar \(' "$T"
check "text: no advice about a join, condvar or barrier" \
	[ "$(sed -n '/^ADVICE/,$p' "$T" | grep -ciE 'join|condvar|barrier')" = 0 ]

# --- --all-waits: the same recorded run, the other waits as rows with their kind -------------
"$MAPTRACE" report "$TMP/demo.mtr" --all-waits >"$TMP/all.txt" 2>"$TMP/all.err"
check "report --all-waits: exits 0" [ $? -eq 0 ]
check "report --all-waits: an OTHER WAITS table" grep -q "^OTHER WAITS" "$TMP/all.txt"
check "report --all-waits: join rows, with their kind" \
	[ "$(sed -n '/^OTHER WAITS/,/^$/p' "$TMP/all.txt" | awk '$2 == "join"' | wc -l)" -ge 1 ]
check "report --all-waits: condvar rows, with their kind" \
	[ "$(sed -n '/^OTHER WAITS/,/^$/p' "$TMP/all.txt" | awk '$2 == "condvar"' | wc -l)" -ge 1 ]
check "report --all-waits: no other-waits line (the rows say it)" \
	[ "$(grep -c '^other waits:' "$TMP/all.txt")" = 0 ]
check "report --all-waits: the lock table still holds locks only" \
	[ "$(sed -n '/^LOCK WAIT$/,/^OTHER WAITS/p' "$TMP/all.txt" | awk '$2 == "join" || $2 == "condvar"' | wc -l)" = 0 ]
"$MAPTRACE" report "$TMP/demo.mtr" >"$TMP/plain.txt" 2>/dev/null
check "report FILE: the same other-waits line as a live run would print" \
	grep -qE '^other waits: .*join.*; --all-waits lists them$' "$TMP/plain.txt"

# --- folded --what locks: lock contention only, unless --all-waits ---------------------------
"$MAPTRACE" report "$TMP/demo.mtr" -f folded --what locks >"$TMP/locks.folded" 2>/dev/null
"$MAPTRACE" report "$TMP/demo.mtr" -f folded --what locks --all-waits >"$TMP/all.folded" \
	2>/dev/null
check "folded --what locks: the map's lock is there" grep -q "lock_take" "$TMP/locks.folded"
check "folded --what locks: no join or condvar wait stacks" \
	[ "$(grep -cE 'clockjoin|pthread_join|pthread_cond_wait;__futex' "$TMP/locks.folded")" = 0 ]
check "folded --what locks --all-waits: the join stacks too" \
	grep -qE 'clockjoin|pthread_join' "$TMP/all.folded"
"$MAPTRACE" report "$TMP/demo.mtr" --json --all-waits >"$TMP/all.json" 2>/dev/null
check "json --all-waits: locks[] still mutexes and rwlocks only, other_waits[] still there" \
	[ "$(jget "$TMP/all.json" "all(l['kind'] in ('mutex', 'rwlock') for l in d['locks']) and len(d['other_waits']) > 0")" = True ]

# --- chrome: a timeline draws every wait, each under its own kind ------------------------------
"$MAPTRACE" report "$TMP/demo.mtr" -f chrome >"$TMP/demo.chrome.json" 2>/dev/null
check "chrome: the joins are drawn as join waits, not as futexes" \
	[ "$(jget "$TMP/demo.chrome.json" "any(e['name'].startswith('wait join ') for e in d['traceEvents'] if e.get('ph') == 'X')")" = True ]
check "chrome: the condvar waits as condvar waits" \
	[ "$(jget "$TMP/demo.chrome.json" "any(e['name'].startswith('wait condvar ') for e in d['traceEvents'] if e.get('ph') == 'X')")" = True ]

finish
