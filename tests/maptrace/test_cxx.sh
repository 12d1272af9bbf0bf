#!/usr/bin/env bash
# C++ std::unordered_* containers through the built-in libstdc++ profile, with no flag: every
# rehash of each container, checked against the rehashes the program counted itself by watching
# bucket_count(), its final bucket count and entries, the advice, and reserve() first.
# timeout: 300
source "$(dirname "$0")/lib.sh"
CXXMAPS=.output/tests/progs/cxxmaps

# held NAME MAPTRACE-ARGS -- CXXMAPS-ARGS...: cxxmaps --hold traced from its start (it fills
# its containers when told, once maptrace is tracing); once it has printed them, maptrace is
# stopped with SIGINT (its summary reads the live containers' fields), then the program is let
# go.  Leaves the files and rcs traced() does.
held() {
	local name=$1
	shift
	local mtargs=()
	while [ "$1" != "--" ]; do mtargs+=("$1"); shift; done
	shift
	mkfifo "$TMP/$name.in"
	"$CXXMAPS" --hold "$@" <"$TMP/$name.in" >"$TMP/$name.target.out" 2>"$TMP/$name.target.err" &
	local tpid=$!
	exec 3>"$TMP/$name.in"
	wait_for "$TMP/$name.target.err" "pid" 10 || echo "# target printed no pid"
	"$MAPTRACE" -p "$tpid" "${mtargs[@]}" >"$TMP/$name.mt.out" 2>"$TMP/$name.mt.err" &
	local mpid=$!
	wait_for "$TMP/$name.mt.err" "tracing PID" 20 || echo "# maptrace did not start: $(cat "$TMP/$name.mt.err")"
	echo go >&3
	wait_for "$TMP/$name.target.out" "checksum" 120 || echo "# the program did not finish filling"
	# HELD_URL: scraped into $TMP/NAME.metrics while the program holds its containers, once
	# a sync has put the three entries gauges there (each sync reads the containers)
	local end=$((SECONDS + 30))
	while [ -n "${HELD_URL:-}" ] && [ $SECONDS -lt $end ]; do
		http_get "$HELD_URL" >"$TMP/$name.metrics" 2>/dev/null
		[ "$(grep -c '^maptrace_map_entries{.*library="libstdc++"' "$TMP/$name.metrics")" = 3 ] && break
		sleep 0.2
	done
	kill -INT "$mpid"
	wait "$mpid"
	eval "${name}_mt_rc=$?"
	exec 3>&-
	wait "$tpid"
	eval "${name}_target_rc=$?"
}

# http_get URL: the body on stdout; fails on an error status or after 5 s
http_get() {
	python3 - "$1" <<'PY'
import sys, urllib.request
with urllib.request.urlopen(sys.argv[1], timeout=5) as r:
    sys.stdout.write(r.read().decode())
PY
}

# same_rehashes MT_JSON TARGET_JSON NAME: maptrace's rehashes of the container the program
# printed as NAME (matched by address) are exactly the program's: the count, the bucket counts
# they went through, and the final bucket count.
same_rehashes() {
	python3 - "$@" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); t = json.load(open(sys.argv[2])); name = sys.argv[3]
c = [c for c in t['maps'] if c['name'] == name][0]
rows = [m for m in d['maps'] if int(m['addr'], 16) == int(c['addr'], 16)]
rs = c['resizes']
want = (c['rehashes'], [rs[0][0]] + [n for _, n in rs] if rs else [], c['bucket_count'])
if not rs:
    got = (rows[0]['grows'], rows[0]['sizes'], rows[0]['size']) if rows else (0, [], c['bucket_count'])
else:
    got = (rows[0]['grows'], rows[0]['sizes'], rows[0]['size']) if len(rows) == 1 else None
if got != want:
    print('# %s: maptrace (rehashes, sizes, final) %s\n# program  %s' % (name, got, want))
    sys.exit(1)
PY
}

# rehash_times MT_JSON TARGET_JSON NAME: the rehashes maptrace timed (its --events log) of the
# container the program printed as NAME, against the inserts that made them, which the program
# timed itself (CLOCK_MONOTONIC around each): each rehash within its insert, and over all of
# them at least half the inserts' time (the rest: _M_need_rehash, the probes, the clock reads)
rehash_times() {
	python3 - "$@" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); t = json.load(open(sys.argv[2])); name = sys.argv[3]
c = [c for c in t['maps'] if c['name'] == name][0]
got = [e['dur_ns'] for e in d['event_log']
       if e['type'] == 'resize' and int(e['map'], 16) == int(c['addr'], 16)]
ins = c['insert_ns']
print('# %s: rehash ns %s\n# inserts ns %s' % (name, got, ins))
ok = (len(got) == len(ins) == c['rehashes'] and None not in got and -1 not in ins and
      all(0 < g <= i for g, i in zip(got, ins)) and sum(got) >= sum(ins) / 2)
sys.exit(0 if ok else 1)
PY
}

# --- --list: the profile, its two sites and their cost, the layout it assumes ----------------
mkfifo "$TMP/list.in"
"$CXXMAPS" --hold <"$TMP/list.in" >/dev/null 2>"$TMP/list.err" &
lpid=$!
exec 4>"$TMP/list.in"
wait_for "$TMP/list.err" "pid" 10
"$MAPTRACE" -p "$lpid" --list >"$TMP/list.out" 2>&1
exec 4>&-
wait "$lpid"
NB='_ZNKSt8__detail20_Prime_rehash_policy11_M_next_bktEm'
NR='_ZNKSt8__detail20_Prime_rehash_policy14_M_need_rehashEmmm'
check "list: libstdc++ matched by its soname, version from the file name" \
	grep -qE '^profile libstdc\+\+ \(built-in\): /.*/libstdc\+\+\.so\.6\.0\.[0-9]+, version 0\.[0-9]+, fields for 0\.\*$' "$TMP/list.out"
check "list: the layout assumed" \
	grep -qE '^ +layout +std::_Hashtable: _M_buckets@0 _M_bucket_count@8 .* table = policy - 32$' "$TMP/list.out"
check "list: grow_begin at the call of _M_next_bkt in _M_need_rehash, grow_end where it returns, each with its cost" \
	bash -c "grep -qE '^ +grow_begin +$NR>$NB\+0x[0-9a-f]+ +0x[0-9a-f]+ +.* ~[0-9.]+ us/hit' '$TMP/list.out' &&
		 grep -qE '^ +grow_end +$NR>$NB:ret\+0x[0-9a-f]+ +0x[0-9a-f]+ +.* ~[0-9.]+ us/hit' '$TMP/list.out'"
check "list: libstdc++-rehash: _M_rehash of the string map and of the set probed at entry and rets, not the long map's (inlined)" \
	bash -c "[ \$(grep -cE '^ +grow_begin +_ZNSt10_Hashtable[A-Za-z0-9_]+_M_rehashEmRKm +0x' '$TMP/list.out') = 2 ] &&
		 grep -qE '^ +grow_begin +_ZNSt10_HashtableINSt7__cxx1112basic_string[A-Za-z0-9_]+_M_rehashEmRKm +0x' '$TMP/list.out' &&
		 grep -qE '^ +grow_begin +_ZNSt10_HashtableIllSaIlE[A-Za-z0-9_]+_M_rehashEmRKm +0x' '$TMP/list.out' &&
		 grep -qE '^ +grow_end +_ZNSt10_Hashtable[A-Za-z0-9_]+:ret\+0x[0-9a-f]+ +0x' '$TMP/list.out' &&
		 ! grep -qE '_ZNSt10_HashtableIlSt4pairIKllE[A-Za-z0-9_]+_M_rehash' '$TMP/list.out'"
check "list: no probe on _M_need_rehash's entry (every insert) nor anything per operation" \
	bash -c "! grep -qE '^ +[a-z_]+ +$NR +0x' '$TMP/list.out' && ! grep -q 'only with --detail' '$TMP/list.out'"

# --- no flag: every container's rehashes ----------------------------------------------------
"$CXXMAPS" >"$TMP/plain.out"
held cxx --json --events -o "$TMP/cxx1.mtr" --
M=$TMP/cxx.mt.out T=$TMP/cxx.target.out
check "cxx: maptrace exited 0 ($cxx_mt_rc)" [ "$cxx_mt_rc" -eq 0 ]
check "cxx: the program exited 0 ($cxx_target_rc)" [ "$cxx_target_rc" -eq 0 ]
check "cxx: the traced program computed what the untraced one did" \
	[ "$(jget "$T" "d['checksum']")" = "$(jget "$TMP/plain.out" "d['checksum']")" ]
for c in long string set; do
	ADDR=$(jget "$T" "[c['addr'] for c in d['maps'] if c['name'] == '$c'][0]")
	MAP="[m for m in d['maps'] if int(m['addr'], 16) == $ADDR][0]"
	check "cxx: $c: $(jget "$T" "[c['rehashes'] for c in d['maps'] if c['name'] == '$c'][0]") rehashes at $ADDR, the bucket counts the program saw, final $(jget "$T" "[c['bucket_count'] for c in d['maps'] if c['name'] == '$c'][0]")" \
		same_rehashes "$M" "$T" "$c"
	check "cxx: $c: library libstdc++" [ "$(jget "$M" "$MAP['library']")" = libstdc++ ]
	check "cxx: $c: entries read from the container: $(jget "$M" "$MAP['count']") = $(jget "$T" "[c['keys'] for c in d['maps'] if c['name'] == '$c'][0]")" \
		[ "$(jget "$M" "$MAP['count']")" = "$(jget "$T" "[c['keys'] for c in d['maps'] if c['name'] == '$c'][0]")" ]
	check "cxx: $c: no insert probed" [ "$(jget "$M" "$MAP['inserts']")" = 0 ]
	KEYS=$(jget "$T" "[c['keys'] for c in d['maps'] if c['name'] == '$c'][0]")
	check "cxx: $c: the advice says m.reserve($KEYS)" \
		[ "$(jget "$M" "sum(1 for a in d['advice'] if '%#x' % $ADDR in a and 'm.reserve($KEYS)' in a)")" = 1 ]
done
check "cxx: nothing dropped" [ "$(jget "$M" "d['dropped']")" = 0 ]
# the rehash itself: _Hashtable<...>::_M_rehash, out of line for the string map and the set
# (the libstdc++-rehash profile times it), inlined into the long map's insert (flatten)
for c in string set; do
	check "cxx: $c: each rehash timed, within the insert that made it as the program timed it, and at least half of their sum" \
		rehash_times "$M" "$T" "$c"
done
LADDR=$(jget "$T" "[c['addr'] for c in d['maps'] if c['name'] == 'long'][0]")
check "cxx: long: its rehashes, inlined, are untimed: no dur_ns, no rehash time" \
	[ "$(jget "$M" "(sorted(set(e['dur_ns'] for e in d['event_log'] if e['type'] == 'resize' and int(e['map'], 16) == $LADDR)), [m['grow_ns_total'] for m in d['maps'] if int(m['addr'], 16) == $LADDR])")" = "([None], [0])" ]
"$MAPTRACE" report "$TMP/cxx1.mtr" --format json --events >"$TMP/cxx1.json" 2>/dev/null
RT="sorted((m['addr'], m['grows'], m['grow_ns_total'], m['grow_ns_max']) for m in d['maps'])"
check "cxx: the trace file replays the same rehash times: $(jget "$M" "$RT")" \
	[ "$(jget "$TMP/cxx1.json" "$RT")" = "$(jget "$M" "$RT")" ]
check "cxx: exactly the three containers are reported" [ "$(jget "$M" "len(d['maps'])")" = 3 ]
# made after the attach (the program fills them when told), and no probe sees one made: not
# "existed before attach", but first seen at a resize
check "cxx: before_attach: no map said to exist before the attach, 3 first seen at a resize: $(jget "$M" "d['before_attach']")" \
	[ "$(jget "$M" "(d['before_attach']['maps'], d['before_attach']['first_seen_at_resize'])")" = "(0, 3)" ]

# --- reserve() first: that container never rehashes, the others as before -------------------
held reserve --json -- --reserve long
M=$TMP/reserve.mt.out T=$TMP/reserve.target.out
check "reserve: maptrace exited 0 ($reserve_mt_rc)" [ "$reserve_mt_rc" -eq 0 ]
check "reserve: the program saw no rehash of the reserved container" \
	[ "$(jget "$T" "[c['rehashes'] for c in d['maps'] if c['name'] == 'long'][0]")" = 0 ]
LADDR=$(jget "$T" "[c['addr'] for c in d['maps'] if c['name'] == 'long'][0]")
check "reserve: no rehash reported for the reserved container ($LADDR)" \
	[ "$(jget "$M" "sum(m['grows'] for m in d['maps'] if int(m['addr'], 16) == $LADDR)")" = 0 ]
for c in string set; do
	check "reserve: $c still rehashes as the program saw" same_rehashes "$M" "$T" "$c"
done

# reserve() on the string map calls its out-of-line _M_rehash, which libstdc++-rehash probes:
# no untimed rehash came before it, so it is neither timed nor reported
held reserves --json -- --reserve string
check "reserves: maptrace exited 0 ($reserves_mt_rc)" [ "$reserves_mt_rc" -eq 0 ]
for c in long string set; do
	check "reserves: $c: the rehashes the program saw, no more (string: none)" \
		same_rehashes "$TMP/reserves.mt.out" "$TMP/reserves.target.out" "$c"
done
check "reserves: the program saw no rehash of the string map" \
	[ "$(jget "$TMP/reserves.target.out" "[c['rehashes'] for c in d['maps'] if c['name'] == 'string'][0]")" = 0 ]

# --- the same profile written with fields at an argument: base=, TYPE@(base+K) -------------
# a --profile file named libstdc++ replaces the built-in; the old bucket count is read at the
# policy's address (arg0) less 24, not from the map pointer
cat >"$TMP/argfield.profile" <<EOF
profile libstdc++
object libstdc++.so.6
probe grow_begin $NR>$NB base=arg0-32 map=base size=u64@(base+8) count=u64@24 new_size=ret timed=no
probe grow_end $NR>$NB:ret
EOF
held argfield --json --profile "$TMP/argfield.profile" --
check "argfield: maptrace exited 0 ($argfield_mt_rc)" [ "$argfield_mt_rc" -eq 0 ]
for c in long string set; do
	check "argfield: $c: size=u64@(base+8) gives the rehashes and bucket counts the program saw" \
		same_rehashes "$TMP/argfield.mt.out" "$TMP/argfield.target.out" "$c"
done

# --- a lock inside the map struct: lock=arg0+40 attributes its waits to the map ---------------
held lock --json --probe 'lock:cxxmaps:lpmap_put:lock=arg0+40,map=arg0' -- --lpmap 5
M=$TMP/lock.mt.out T=$TMP/lock.target.out
check "lock: maptrace exited 0 ($lock_mt_rc)" [ "$lock_mt_rc" -eq 0 ]
LOCK=$(jget "$T" "int(d['lock'], 16)") LPMAP=$(jget "$T" "int(d['lpmap'], 16)")
check "lock: the program's mutex is its map + 40" [ $((LOCK - LPMAP)) -eq 40 ]
L="[l for l in d['locks'] if int(l['addr'], 16) == $LOCK]"
check "lock: $(jget "$T" "d['contended']") contended lpmap_put calls at the mutex, as the program forced: $(jget "$M" "[l['contentions'] for l in $L]")" \
	[ "$(jget "$M" "[l['contentions'] for l in $L]")" = "[$(jget "$T" "d['contended']")]" ]
check "lock: the waits are attributed to the map (arg0), a mutex" \
	[ "$(jget "$M" "[(int(l['map'], 16), l['kind']) for l in $L]")" = "[($LPMAP, 'mutex')]" ]

# --- no mangled name in any output: live text, a trace file in every format, Prometheus ------
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
HELD_URL=http://127.0.0.1:$PORT/metrics held names -o "$TMP/cxx.mtr" --listen "127.0.0.1:$PORT" --
check "names: maptrace exited 0 ($names_mt_rc)" [ "$names_mt_rc" -eq 0 ]
check "names: the text says the 3 containers were first seen at a resize, not that they existed before attach" \
	bash -c "tr -s ' \n' ' ' <'$TMP/names.mt.out' | grep -q ' 3 maps first seen at a resize (no probe sees them made): resizes before attach, if any, are not seen ' &&
		 ! tr -s ' \n' ' ' <'$TMP/names.mt.out' | grep -q 'existed before attach'"
NL=$(jget "$TMP/names.target.out" "[c['rehashes'] for c in d['maps'] if c['name'] == 'long'][0]")
NS=$(jget "$TMP/names.target.out" "[c['rehashes'] for c in d['maps'] if c['name'] == 'string'][0]")
check "names: the text's growing stacks: the long map's $NL rehashes untimed (not 0ns), the string map's $NS timed" \
	bash -c "grep -qE '^#[0-9]+ map 0x[0-9a-f]+: $NL grows, untimed\$' '$TMP/names.mt.out' &&
		 grep -qE '^#[0-9]+ map 0x[0-9a-f]+: $NS grows, [0-9.]+[mu]?s\$' '$TMP/names.mt.out'"
check "names: the live text shows libstdc++'s rehash decision demangled" \
	grep -q 'std::__detail::_Prime_rehash_policy::_M_need_rehash(unsigned long' "$TMP/names.mt.out"
# folded by count: every rehash under its decision, timed (out of line) or not (inlined)
for f in text json folded chrome; do
	"$MAPTRACE" report "$TMP/cxx.mtr" --format $f $([ $f = folded ] && echo --weight count) \
		>"$TMP/names.$f" 2>"$TMP/names.$f.err"
	check "names: report --format $f ($(wc -c <"$TMP/names.$f") bytes) has no mangled name" \
		bash -c "[ -s '$TMP/names.$f' ] && ! grep -qE '(^|[^A-Za-z0-9_])_Z[A-Za-z0-9_]' '$TMP/names.$f'"
done
ALL=$(jget "$TMP/names.target.out" "sum(c['rehashes'] for c in d['maps'])")
check "names: folded by count: the program's $ALL rehashes under the demangled rehash decision" \
	[ "$(grep -c ";std::__detail::_Prime_rehash_policy::_M_need_rehash(unsigned long, unsigned long, unsigned long) const $ALL\$" "$TMP/names.folded")" = 1 ]
LADDR=$(jget "$TMP/names.target.out" "[int(c['addr'], 16) for c in d['maps'] if c['name'] == 'long'][0]")
check "names: chrome: the long map's rehashes have dur_ns null (untimed), the others' a number" \
	[ "$(jget "$TMP/names.chrome" "sorted(set((int(e['args']['map'], 16) == $LADDR, e['args']['dur_ns'] is None) for e in (d['traceEvents'] if isinstance(d, dict) else d) if e.get('ph') == 'X'))")" = "[(False, False), (True, True)]" ]
check "names: the JSON keeps the full name" grep -q '_M_need_rehash(unsigned long, unsigned long, unsigned long) const' "$TMP/names.json"
"$MAPTRACE" report "$TMP/cxx.mtr" --format pprof --weight count >"$TMP/names.pb.gz" 2>/dev/null
check "names: pprof's string table has the demangled name and no mangled one" \
	bash -c "gzip -dc '$TMP/names.pb.gz' | grep -qa '_Prime_rehash_policy::_M_need_rehash' &&
		 ! gzip -dc '$TMP/names.pb.gz' | grep -qaE '(^|[^A-Za-z0-9_])_Z[A-Za-z0-9_]'"
check "names: Prometheus exposition ($(wc -l <"$TMP/names.metrics" 2>/dev/null) lines) has the C++ maps and no mangled name" \
	bash -c "grep -q 'library=\"libstdc++\"' '$TMP/names.metrics' &&
		 ! grep -qE '(^|[^A-Za-z0-9_])_Z[A-Za-z0-9_]' '$TMP/names.metrics'"

finish
