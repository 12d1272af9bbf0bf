#!/usr/bin/env bash
# One stack per code path (issue #16.4): with the default --stack auto some waits are unwound
# with DWARF (reaching clone3 past start_thread) and the rest by the kernel's frame-pointer walk
# (which stops at start_thread: glibc has no frame pointers).  The demo's workload traced with
# default flags must show each path once: one root for every wait under wl_write in the folded
# output, live and from the trace file, and no top stack a prefix of another in JSON, text and
# the Chrome trace.  A bare pthread mutex too, whose frame-pointer stacks also skip glibc's
# frames between the futex wait and the caller (not a prefix of the DWARF stack).
# timeout: 300
source "$(dirname "$0")/lib.sh"

# the workload of scripts/demo.sh: 4 writers on one mutex-guarded map, 20 us held per write
DEMO=("$MAPLOAD" --variant mutex --threads 4 --keys 50000 --write-pct 60 --new-key-pct 80
	--hold-us 20 --duration 3 --start-after 0.5)

# one_root FOLDED [FUNC]: every line with a FUNC frame (default wl_write) starts with the same
# frames up to it, and that root is past start_thread (the DWARF unwind's), so both unwinders'
# waits were merged
one_root() {
	python3 - "$1" "${2:-wl_write}" <<'PY'
import sys
roots = {}
func = sys.argv[2]
for line in open(sys.argv[1]):
    stack, value = line.rsplit(' ', 1)
    frames = stack.split(';')
    if func in frames:
        root = ';'.join(frames[:frames.index(func) + 1])
        roots[root] = roots.get(root, 0) + int(value)
for r, v in roots.items():
    print('# %s %d' % (r, v))
ok = len(roots) == 1 and list(roots)[0].split(';')[1] != 'start_thread'
sys.exit(0 if ok else 1)
PY
}

# no_prefix JSON: of all rows' top stacks, none is a strict prefix (leaf first) of another,
# and no row lists one stack twice
no_prefix() {
	python3 - "$1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
rows = d.get('locks', []) + d.get('waits', []) + d.get('maps', [])
stacks = set()
ok = True
for r in rows:
    mine = [tuple(s['frames']) for s in r.get('top_stacks', []) if s.get('frames')]
    if len(set(mine)) != len(mine):
        print('# a row lists a stack twice: %s' % r.get('addr'))
        ok = False
    stacks.update(mine)
for a in stacks:
    for b in stacks:
        if len(a) < len(b) and b[:len(a)] == a:
            print('# %s is a prefix of %s' % (list(a), list(b)))
            ok = False
print('# %d distinct top stacks' % len(stacks))
sys.exit(0 if ok and stacks else 1)
PY
}

# text_no_prefix TEXT: the same over the text summary's TOP WAITING STACKS entries
text_no_prefix() {
	python3 - "$1" <<'PY'
import sys
stacks, cur, inside = [], None, False
for line in open(sys.argv[1]):
    if line.startswith('TOP WAITING STACKS'):
        inside = True
        continue
    if not inside:
        continue
    if line.startswith('#'):
        cur = []
        stacks.append(cur)
    elif line.startswith('      ') and cur is not None:
        cur.append(line.strip())
    elif line.strip() and not line.startswith(' '):
        break
stacks = [tuple(s) for s in stacks if s]
bad = [(a, b) for a in stacks for b in stacks if len(a) < len(b) and b[:len(a)] == a]
for a, b in bad:
    print('# %s is a prefix of %s' % (list(a), list(b)))
print('# %d top waiting stacks' % len(stacks))
sys.exit(0 if stacks and not bad else 1)
PY
}

# chrome_one CHROME: every wait event under wl_write names the same stack
chrome_one() {
	python3 - "$1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
ev = d['traceEvents'] if isinstance(d, dict) else d
lines = set(e.get('args', {}).get('stack') for e in ev
            if ' wl_write ' in str(e.get('args', {}).get('stack')) and 'lock_take' in str(e['args']['stack']))
for s in lines:
    print('# %s' % s)
sys.exit(0 if len(lines) == 1 else 1)
PY
}

traced demo --json -o "$TMP/demo.mtr" -- "${DEMO[@]}"
check "demo (json, -o): mapload exited 0" [ "$demo_target_rc" -eq 0 ]
check "demo (json, -o): maptrace exited 0" [ "$demo_mt_rc" -eq 0 ]
check "live JSON: no top stack is a prefix of another" no_prefix "$TMP/demo.mt.out"

"$MAPTRACE" report "$TMP/demo.mtr" -f folded --what locks >"$TMP/file.folded"
check "trace file, folded locks: one root for every wait under wl_write" one_root "$TMP/file.folded"
"$MAPTRACE" report "$TMP/demo.mtr" -f folded --what locks --events >"$TMP/file-ev.folded"
check "trace file, folded locks from the event log (--events): one root under wl_write" \
	one_root "$TMP/file-ev.folded"
"$MAPTRACE" report "$TMP/demo.mtr" -f folded --what locks --weight count >"$TMP/count.folded"
check "trace file, folded wait counts: one root under wl_write" one_root "$TMP/count.folded"
"$MAPTRACE" report "$TMP/demo.mtr" --json >"$TMP/file.json"
check "trace file, JSON: no top stack is a prefix of another" no_prefix "$TMP/file.json"
# nothing lost in the merge: the folded counts add up to the lock rows' contentions
check "folded wait counts add up to the report's contentions (locks and other waits)" [ \
	"$(awk '{ s += $NF } END { print s }' "$TMP/count.folded")" = \
	"$(jget "$TMP/file.json" "sum(l['contentions'] for l in d['locks'] + d.get('waits', []))")" ]
COLUMNS=200 "$MAPTRACE" report "$TMP/demo.mtr" --top 0 >"$TMP/file.txt"
check "trace file, text: no top waiting stack is a prefix of another" text_no_prefix "$TMP/file.txt"
"$MAPTRACE" report "$TMP/demo.mtr" -f chrome >"$TMP/file.chrome"
check "trace file, Chrome trace: the waits under wl_write name one stack" chrome_one "$TMP/file.chrome"

# a bare pthread mutex: 3000 waits of about 1 ms (past the 500 DWARF unwinds per second and CPU)
traced bare -o "$TMP/bare.mtr" --json -- "$CONTEND" pthread 3000 1 0.3
check "bare mutex: contend exited 0" [ "$bare_target_rc" -eq 0 ]
check "bare mutex: maptrace exited 0" [ "$bare_mt_rc" -eq 0 ]
"$MAPTRACE" report "$TMP/bare.mtr" -f folded --what locks --weight count >"$TMP/bare.folded"
check "bare mutex, folded wait counts: one root for every wait under thread_b_bare" \
	one_root "$TMP/bare.folded" thread_b_bare
# nothing lost in the merge (contend's own 3000 is only an upper bound: a thread that comes late
# on a loaded machine finds the lock free and does not wait)
ADDR=$(jget "$TMP/bare.target.out" "d['lock']")
rows=$(jget "$TMP/bare.mt.out" "[l['contentions'] for l in d['locks'] if l['addr'] == '$ADDR']")
under=$(awk '/;thread_b_bare;/ { s += $NF } END { print s }' "$TMP/bare.folded")
check "bare mutex: the waits under that root ($under) are the lock row's contentions ($rows)" \
	[ "[$under]" = "$rows" ]
check "bare mutex, live JSON: no top stack is a prefix of another" no_prefix "$TMP/bare.mt.out"

traced live -f folded --what locks -- "${DEMO[@]}"
check "demo (folded, live): maptrace exited 0" [ "$live_mt_rc" -eq 0 ]
check "live folded locks: one root for every wait under wl_write" one_root "$TMP/live.mt.out"
finish
