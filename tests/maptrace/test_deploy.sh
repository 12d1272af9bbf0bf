#!/usr/bin/env bash
# The README's deployment without root: a copy of maptrace given its capabilities with
# `setcap cap_bpf,cap_perfmon,cap_dac_read_search+ep`, run by an ordinary user created for the
# test.  Against the user's own processes it traces everything (library probes, futex waits,
# DWARF stacks) with exact counts; against a process of root or of another user it exits
# non-zero with one line naming the owner, the reason and the fix, and so it does with
# --futex-tracepoints when tracefs is unmounted or unreadable (the default needs no tracefs).
# timeout: 300
source "$(dirname "$0")/lib.sh"
TUSER=mt-deploy-$$
DEPLOY=$(mktemp -d /tmp/maptrace-deploy.XXXXXX)
cleanup() {
	jobs -p | xargs -r kill -9 2>/dev/null
	wait 2>/dev/null
	userdel "$TUSER" 2>/dev/null
	getent group "$TUSER" >/dev/null && groupdel "$TUSER" 2>/dev/null
	rm -rf "$TMP" "$DEPLOY"
}
trap cleanup EXIT

useradd --system --no-create-home --user-group --shell /usr/sbin/nologin "$TUSER" ||
	{ not_ok "useradd $TUSER"; finish; }
TGID=$(id -g "$TUSER")
# $AS_USER CMD...: CMD as that user, with no capability of ours (file capabilities still apply);
# a command, not a function, so that $! of `$AS_USER CMD &` is CMD's pid
AS_USER="setpriv --reuid=$TUSER --regid=$TGID --clear-groups --inh-caps=-all"
AS_NOBODY="setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all"

chmod 755 "$DEPLOY"
cp "$MAPTRACE" "$DEPLOY/maptrace"
cp "$CONTEND" "$DEPLOY/contend"
cp "$MAPLOAD" "$DEPLOY/mapload"
# exactly the README's line
setcap cap_bpf,cap_perfmon,cap_dac_read_search+ep "$DEPLOY/maptrace"
check "setcap: $(getcap "$DEPLOY/maptrace")" \
	grep -q "cap_dac_read_search,cap_perfmon,cap_bpf=ep" <(getcap "$DEPLOY/maptrace")
# traced (lib.sh) runs "$MAPTRACE": here the setcap'd copy, as the user
cat >"$DEPLOY/maptrace-as-user" <<EOF
#!/bin/sh
exec $AS_USER "$DEPLOY/maptrace" "\$@"
EOF
chmod 755 "$DEPLOY/maptrace-as-user"
MAPTRACE=$DEPLOY/maptrace-as-user
check "the user runs without capabilities: $($AS_USER grep CapEff /proc/self/status)" \
	grep -q "^CapEff:[[:space:]]*0000000000000000$" <($AS_USER grep CapEff /proc/self/status)

# --- the user's own process: the library's mutex, through its probes and through futex waits --
traced own --json -- $AS_USER "$DEPLOY/contend" mutex 10 20 0.3
M=$TMP/own.mt.out
MAP=$(jget "$TMP/own.target.out" "d['map']")
LOCK="[l for l in d['locks'] if l['map'] == '$MAP']"
check "own process: maptrace exited 0 ($own_mt_rc): $(grep -v 'tracing PID\|exited' "$TMP/own.mt.err" | head -c 300)" \
	[ "$own_mt_rc" -eq 0 ]
check "own process: the map library was found" [ "$(jget "$M" "d['library_found']")" = True ]
check "own process: exactly 10 contentions on the map's mutex ($(jget "$M" "$LOCK[0]['contentions']"))" \
	[ "$(jget "$M" "$LOCK[0]['contentions']")" = 10 ]
check "own process: all 10 are writes" [ "$(jget "$M" "$LOCK[0]['writes']['contentions']")" = 10 ]
check "own process: 20 inserts, 10 per thread ($(jget "$M" "sum(m['inserts'] for m in d['maps'])"))" \
	[ "$(jget "$M" "sum(m['inserts'] for m in d['maps'])")" = 20 ]
check "own process: the waiting stack is symbolized (mutex_b)" \
	grep -q "mutex_b" <(jget "$M" "$LOCK[0]['top_stacks'][0]['frames']")

# a bare pthread mutex: seen only through its futex waits (uprobes at libc's futex calls)
traced ownfutex --json -- $AS_USER "$DEPLOY/contend" pthread 10 20 0.3
M=$TMP/ownfutex.mt.out
ADDR=$(jget "$TMP/ownfutex.target.out" "d['lock']")
check "own process, futex: maptrace exited 0 ($ownfutex_mt_rc): $(grep -v 'tracing PID\|exited' "$TMP/ownfutex.mt.err" | head -c 300)" \
	[ "$ownfutex_mt_rc" -eq 0 ]
check "own process, futex: exactly 10 contentions on the bare mutex $ADDR, kind mutex" \
	[ "$(jget "$M" "[(l['contentions'], l['kind']) for l in d['locks'] if l['addr'] == '$ADDR']")" = "[(10, 'mutex')]" ]

# mapload's growth storm: every grow, exactly as many as the library counted
traced growth --json -- $AS_USER "$DEPLOY/mapload" --scenario growth --start-after 0.3 --json
want=$(jget "$TMP/growth.target.out" "(d['grows'], d['inserts'])")
check "own mapload: maptrace exited 0 ($growth_mt_rc)" [ "$growth_mt_rc" -eq 0 ]
check "own mapload: grows and inserts $want, as the library counted" \
	[ "$(jget "$TMP/growth.mt.out" "(sum(m['grows'] for m in d['maps']), sum(m['inserts'] for m in d['maps']))")" = "$want" ]

# --- processes the user may not read: one line with the owner, the reason and the fix ---------
# expect_refusal NAME PATTERN MAPTRACE-ARGS...: expect_fail (lib.sh), and no report on stdout
expect_refusal() {
	local name=$1 pattern=$2
	shift 2
	expect_fail "$name" "$pattern" "$MAPTRACE" "$@"
	check "$name: no report on stdout" [ ! -s "$TMP/out" ]
}

# contending from the start, for as long as the test needs it
"$DEPLOY/contend" mutex 100000 5 0 >"$TMP/root.target.out" 2>"$TMP/root.target.err" &
rootpid=$!
wait_for "$TMP/root.target.err" pid 10
WHY="cannot read the files of PID $rootpid \(contend, owned by root\) through /proc/$rootpid/root: Permission denied; another user's process needs CAP_SYS_PTRACE: run maptrace as root$"
expect_refusal "root's process" "$WHY" -p "$rootpid" -d 1 --json
expect_refusal "root's process, --no-futex" "$WHY" -p "$rootpid" -d 1 --json --no-futex
expect_refusal "root's process, --list" "$WHY" -p "$rootpid" --list
expect_refusal "root's process, --comm" "$WHY" --comm contend -d 1 --json

$AS_NOBODY "$DEPLOY/contend" mutex 100000 5 0 >"$TMP/nobody.target.out" 2>"$TMP/nobody.target.err" &
nobodypid=$!
wait_for "$TMP/nobody.target.err" pid 10
expect_refusal "another user's process" \
	"PID $nobodypid \(contend, owned by nobody\).*needs CAP_SYS_PTRACE: run maptrace as root or as nobody$" \
	-p "$nobodypid" -d 1 --json
kill "$nobodypid"

# the user's own process, but one with a capability maptrace lacks (so not dumpable either)
cp "$DEPLOY/contend" "$DEPLOY/contend-caps"
setcap cap_net_raw+ep "$DEPLOY/contend-caps"
$AS_USER "$DEPLOY/contend-caps" mutex 100000 5 0 >"$TMP/caps.target.out" 2>"$TMP/caps.target.err" &
capspid=$!
wait_for "$TMP/caps.target.err" pid 10
expect_refusal "own process with more privileges" \
	"PID $capspid \(contend-caps\) through /proc/$capspid/root: Permission denied; it runs with privileges maptrace lacks .*needs CAP_SYS_PTRACE: run maptrace as root$" \
	-p "$capspid" -d 1 --json
kill "$capspid"

# adding cap_sys_ptrace (the README says what it grants) traces root's process in full
cp "$DEPLOY/maptrace" "$DEPLOY/maptrace-ptrace"
setcap cap_bpf,cap_perfmon,cap_dac_read_search,cap_sys_ptrace+ep "$DEPLOY/maptrace-ptrace"
timeout 20 $AS_USER "$DEPLOY/maptrace-ptrace" -p "$rootpid" -d 1.5 --json \
	>"$TMP/ptrace.out" 2>"$TMP/ptrace.err"
rc=$?
check "with cap_sys_ptrace, root's process: exit 0 ($rc): $(grep -v 'tracing PID' "$TMP/ptrace.err" | head -c 300)" \
	[ "$rc" -eq 0 ]
check "with cap_sys_ptrace, root's process: the map library found, its mutex contended" \
	[ "$(jget "$TMP/ptrace.out" "d['library_found'] and any(l['kind'] == 'mutex' and l['map'] and l['contentions'] >= 10 for l in d['locks'])")" = True ]
kill "$rootpid"

# --- tracefs, for --futex-tracepoints only: unreadable without CAP_DAC_READ_SEARCH, and not
# mountable without CAP_SYS_ADMIN; the default needs neither
sleep 30 &
victim=$!
$AS_USER sleep 30 &
ownvictim=$!
cp "$DEPLOY/maptrace" "$DEPLOY/maptrace-nodac"
setcap cap_bpf,cap_perfmon+ep "$DEPLOY/maptrace-nodac"
cat >"$DEPLOY/maptrace-as-user" <<EOF
#!/bin/sh
exec $AS_USER "$DEPLOY/maptrace-nodac" "\$@"
EOF
expect_refusal "tracefs unreadable, --futex-tracepoints" \
	"cannot read tracefs \(/sys/kernel/tracing/events: Permission denied\), which the futex tracepoints need; grant CAP_DAC_READ_SEARCH.*or leave out --futex-tracepoints" \
	-p "$ownvictim" -d 0.3 --json --futex-tracepoints
# the default times futex waits without tracefs: the bare mutex's 10 waits, exactly
traced nodac --json -- $AS_USER "$DEPLOY/contend" pthread 10 20 0.3
ADDR=$(jget "$TMP/nodac.target.out" "d['lock']")
check "no CAP_DAC_READ_SEARCH, default: maptrace exited 0 ($nodac_mt_rc): $(grep -v 'tracing PID\|exited' "$TMP/nodac.mt.err" | head -c 300)" \
	[ "$nodac_mt_rc" -eq 0 ]
check "no CAP_DAC_READ_SEARCH, default: exactly 10 contentions on the bare mutex $ADDR, kind mutex" \
	[ "$(jget "$TMP/nodac.mt.out" "[(l['contentions'], l['kind']) for l in d['locks'] if l['addr'] == '$ADDR']")" = "[(10, 'mutex')]" ]

# tracefs unmounted in a mount namespace of the test's own: others keep theirs
cat >"$DEPLOY/maptrace-as-user" <<EOF
#!/bin/sh
exec unshare -m --propagation private sh -c 'umount /sys/kernel/tracing 2>/dev/null; exec $AS_USER "$DEPLOY/maptrace" "\$@"' maptrace "\$@"
EOF
expect_refusal "tracefs not mounted, --futex-tracepoints" \
	"tracefs is not mounted, and mounting it needs CAP_SYS_ADMIN; mount it once as root \('mount -t tracefs nodev /sys/kernel/tracing'\), or leave out --futex-tracepoints" \
	-p "$ownvictim" -d 0.3 --json --futex-tracepoints
timeout 20 "$MAPTRACE" -p "$ownvictim" -d 0.3 --json >"$TMP/nomount.out" 2>"$TMP/nomount.err"
rc=$?
check "tracefs not mounted, default: exit 0 ($rc): $(grep -v 'tracing PID' "$TMP/nomount.err" | head -c 300)" \
	[ "$rc" -eq 0 ]
check "tracefs is still mounted outside the test's namespace" mountpoint -q /sys/kernel/tracing
kill "$victim" "$ownvictim"

finish
