#!/usr/bin/env bash
# Waiting stacks that name the caller, through glibc (built without frame pointers here) and
# through a program built without frame pointers: --stack dwarf unwinds a copy of the user
# stack with the modules' CFI.
# timeout: 300
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/redis.sh"

# in_order FILE LOCKEXPR: every top stack of the lock contains the four frames in order
in_order() {
	python3 - "$1" "$2" <<'PY'
import json, re, sys
d = json.load(open(sys.argv[1]))
locks = eval(sys.argv[2])
want = [r'^(__lll_lock_wait|__futex_abstimed_wait_common|futex_wait)\b',
        r'^_*pthread_(mutex_lock|rwlock_wrlock)\b', r'^take_lock_for_map\b', r'^outer_caller\b']
ok = len(locks) == 1 and locks[0]['top_stacks']
for st in (locks[0]['top_stacks'] if ok else []):
    i = 0
    for f in st['frames']:
        if i < len(want) and re.match(want[i], f):
            i += 1
    if i < len(want):
        print('# missing %s in %s' % (want[i], st['frames']))
        ok = False
sys.exit(0 if ok else 1)
PY
}

for build in nofp fp; do
	for kind in mutex rwlock; do
		name=${kind}_$build
		traced "$name" --json -- ".output/tests/progs/lockchain-$build" "$kind" 5 20 0.3
		M=$TMP/$name.mt.out
		ADDR=$(jget "$TMP/$name.target.out" "d['lock']")
		# a bare rwlock is seen through the futex word it waits on, inside the lock
		LOCK="[l for l in d['locks'] if 0 <= int(l['addr'], 16) - $ADDR < 56]"
		check "$kind, $build: maptrace exited 0" [ "$(eval echo \$${name}_mt_rc)" -eq 0 ]
		check "$kind, $build: 5 contentions ($(jget "$M" "$LOCK[0]['contentions']"))" \
			[ "$(jget "$M" "$LOCK[0]['contentions']")" = 5 ]
		check "$kind, $build: kind $kind ($(jget "$M" "$LOCK[0]['kind']"))" \
			[ "$(jget "$M" "$LOCK[0]['kind']")" = "$kind" ]
		check "$kind, $build: every waiting stack has the futex wait, pthread lock, take_lock_for_map, outer_caller in order" \
			in_order "$M" "$LOCK"
	done
done

# the frame-pointer walk alone loses the callers: what --stack dwarf is for
traced fpwalk --json --stack fp -- .output/tests/progs/lockchain-nofp mutex 3 10 0.3
ADDR=$(jget "$TMP/fpwalk.target.out" "d['lock']")
FPLOCK="[l for l in d['locks'] if 0 <= int(l['addr'], 16) - $ADDR < 56]"
check "--stack fp on a build without frame pointers: the lock is seen, 3 waits" \
	[ "$(jget "$TMP/fpwalk.mt.out" "$FPLOCK[0]['contentions']")" = 3 ]
check "--stack fp on a build without frame pointers misses take_lock_for_map (as expected)" \
	[ "$(jget "$TMP/fpwalk.mt.out" "any('take_lock_for_map' in f for s in $FPLOCK[0]['top_stacks'] for f in s['frames'])")" = False ]

# the library's own lock probes, too: the stack names pthread_mutex_lock's caller chain
traced lib --json -- "$CONTEND" mutex 3 10 0.3
check "library lock wait: the stack reaches the waiting thread's function" \
	grep -q "mutex_b" <(jget "$TMP/lib.mt.out" "[l['top_stacks'] for l in d['locks'] if l['map']]")
# --- a uretprobe pending on a caller: its trampoline's address sits in the caller's frame -------
# Debian's redis-server has no frame pointers: only the DWARF unwind of the stack copy reaches
# main.  bpftrace's uretprobe on dictAddRaw replaces dictAddRaw's return address with the
# [uprobes] trampoline's while each resize below it runs; the copy must carry the original.
port=$(redis_free_port)
if redis_start uret "$port"; then
	# Debian's redis-server is a link to redis-check-rdb: uprobes go on the file itself
	RBIN=$(readlink -f "/proc/$REDIS_PID/exe")
	bpftrace -p "$REDIS_PID" -e "BEGIN { printf(\"ready\\n\"); }
		uretprobe:$RBIN:dictAddRaw { @returns = count(); }" >"$TMP/uret.bt" 2>&1 &
	bp=$!
	wait_for "$TMP/uret.bt" ready 60 || echo "# bpftrace did not start: $(cat "$TMP/uret.bt")"
	"$MAPTRACE" -p "$REDIS_PID" --json 0.2 >"$TMP/uret.json" 2>"$TMP/uret.err" &
	mp=$!
	wait_for "$TMP/uret.err" "tracing PID" 20
	redis_load "$port" 100000 || not_ok "uretprobe: loading 100000 keys"
	kill -INT "$mp"
	wait "$mp"
	uret_rc=$?
	kill -INT "$bp"
	wait "$bp"
	redis_stop "$port"
	RETURNS=$(sed -nE 's/^@returns: ([0-9]+)$/\1/p' "$TMP/uret.bt")
	check "uretprobe: maptrace exited 0 ($uret_rc); bpftrace saw ${RETURNS:-no} dictAddRaw returns >= the 100000 keys" \
		[ "$uret_rc" -eq 0 ] && [ "${RETURNS:-0}" -ge 100000 ]
	check "uretprobe: every expansion stack runs from dictAddRaw through the SET command to main" \
		python3 - "$TMP/uret.json" <<'PY'
import json, re, sys
d = json.load(open(sys.argv[1]))
ms = [m for m in d['maps'] if m['library'] == 'redis' and m['grows']]
want = ['dictAddRaw', 'dbAdd', 'setKey', 'setCommand', 'call', 'processCommand', 'main']
ok = len(ms) == 1 and bool(ms[0]['top_stacks'])
for st in (ms[0]['top_stacks'] if ms else []):
    names = [re.split(r'[?+]', f)[0] for f in st['frames']]
    it = iter(names)
    if not all(w in it for w in want):
        print('# missing frames in order %s: %s' % (want, st['frames'])); ok = False
sys.exit(not ok)
PY
else
	not_ok "uretprobe: redis-server did not start: $(tail -3 "$TMP"/uret*.log 2>/dev/null)"
fi
finish
