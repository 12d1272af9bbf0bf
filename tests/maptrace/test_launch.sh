#!/usr/bin/env bash
# maptrace [OPTIONS] -- CMD: the command traced from its first instruction, its status passed on
# (needs root: loads BPF).
source "$(dirname "$0")/lib.sh"

# two JSON documents on one stdout, in order: print field EXPR (python over `d`) of document N
jdoc() {
	python3 -c 'import json,sys
s = open(sys.argv[1]).read(); dec = json.JSONDecoder(); i = 0; docs = []
while s[i:].strip():
	i += len(s[i:]) - len(s[i:].lstrip())
	d, i = dec.raw_decode(s, i); docs.append(d)
d = docs[int(sys.argv[2])]; print(eval(sys.argv[3]))' "$1" "$2" "$3" 2>/dev/null ||
		echo "jdoc-failed-$RANDOM$RANDOM"
}

# --- a growth storm from the first insert (no --start-after): every grow seen ---------------
"$MAPTRACE" -q --json -- "$MAPLOAD" --scenario growth --json >"$TMP/g.out" 2>"$TMP/g.err"
rc=$?
check "growth: maptrace exits with mapload's status 0 ($rc)" [ "$rc" -eq 0 ]
check "growth: mapload's JSON, then maptrace's" \
	[ "$(jdoc "$TMP/g.out" 0 "'scenario' in d"),$(jdoc "$TMP/g.out" 1 "'scenario' in d")" = True,False ]
check "growth: mapload counted 14 grows of 100,000 inserts" \
	[ "$(jdoc "$TMP/g.out" 0 "(d['grows'], d['inserts'])")" = "(14, 100000)" ]
for f in grows inserts; do
	want=$(jdoc "$TMP/g.out" 0 "d['$f']")
	got=$(jdoc "$TMP/g.out" 1 "sum(m['$f'] for m in d['maps'])")
	check "growth: $f: maptrace $got, library $want" [ "$got" = "$want" ]
done
check "growth: size path from 2^0, the first grow included" \
	[ "$(jdoc "$TMP/g.out" 1 "d['maps'][0]['sizes']")" = "$(python3 -c 'print(list(range(15)))')" ]
check "growth: no records dropped" [ "$(jdoc "$TMP/g.out" 1 "d['dropped']")" = 0 ]

# --- -o records the whole run; the report from the file counts the same ---------------------
"$MAPTRACE" -q -o "$TMP/g.mtr" -- "$MAPLOAD" --scenario growth --json >"$TMP/o.out" 2>"$TMP/o.err"
rc=$?
check "-o: maptrace exits 0 ($rc)" [ "$rc" -eq 0 ]
"$MAPTRACE" report "$TMP/g.mtr" --json >"$TMP/o.json" 2>"$TMP/o.rerr"
check "-o: the trace file's report has the 14 grows and 100,000 inserts" \
	[ "$(jget "$TMP/o.json" "(sum(m['grows'] for m in d['maps']), sum(m['inserts'] for m in d['maps']))")" = "(14, 100000)" ]

# --- a shared libcmap: mapped by the time the probes attach (the command's entry point) ------
# make test-build builds it: missing, it is a failure, not a skip
check "shared libcmap: bin/mapload-shared is built (make test-build)" [ -x bin/mapload-shared ]
if [ -x bin/mapload-shared ]; then
	"$MAPTRACE" -q --json -- bin/mapload-shared --scenario growth --json >"$TMP/s.out" 2>"$TMP/s.err"
	rc=$?
	check "shared libcmap: maptrace exits 0 ($rc)" [ "$rc" -eq 0 ]
	check "shared libcmap: 14 grows, 100,000 inserts" \
		[ "$(jdoc "$TMP/s.out" 1 "(sum(m['grows'] for m in d['maps']), sum(m['inserts'] for m in d['maps']))")" = "(14, 100000)" ]
fi

# --- exit status as a shell gives it ---------------------------------------------------------
"$MAPTRACE" -q -- sh -c 'exit 3' >/dev/null 2>&1
rc=$?
check "a command that exits 3: maptrace exits 3 ($rc)" [ "$rc" -eq 3 ]
"$MAPTRACE" -q -- sh -c 'kill -TERM $$' >/dev/null 2>&1
rc=$?
check "a command killed by SIGTERM: maptrace exits 143 ($rc)" [ "$rc" -eq 143 ]
"$MAPTRACE" -q -- maptrace-no-such-command >"$TMP/n.out" 2>"$TMP/n.err"
rc=$?
check "a command that does not exist: exit 127 ($rc)" [ "$rc" -eq 127 ]
check "a command that does not exist: one line" \
	[ "$(cat "$TMP/n.err")" = "maptrace: cannot run maptrace-no-such-command: No such file or directory" ]
"$MAPTRACE" -q -- /etc/passwd >/dev/null 2>&1
rc=$?
check "a file that is not executable: exit 126 ($rc)" [ "$rc" -eq 126 ]

# --- -p and a command: refused in one line ---------------------------------------------------
"$MAPTRACE" -p 1 -- true >"$TMP/p.out" 2>"$TMP/p.err"
rc=$?
check "-p with a command: refused (exit $rc)" [ "$rc" -eq 2 ]
check "-p with a command: one line" [ "$(wc -l <"$TMP/p.err")" -eq 1 ]
"$MAPTRACE" -q -- >"$TMP/e.out" 2>"$TMP/e.err"
rc=$?
check "-- with no command: refused (exit $rc)" [ "$rc" -eq 2 ]

# --- a SIGTERM to maptrace goes to the command; the summary follows its exit ----------------
"$MAPTRACE" -q -- sh -c 'trap "exit 9" TERM; while :; do sleep 0.05; done' \
	>"$TMP/t.out" 2>"$TMP/t.err" &
mpid=$!
wait_for "$TMP/t.err" "tracing PID" 20 || echo "# maptrace did not start: $(cat "$TMP/t.err")"
kill -TERM "$mpid"
wait "$mpid"
rc=$?
check "SIGTERM to maptrace: passed on, the command's trap exits 9 ($rc)" [ "$rc" -eq 9 ]
check "SIGTERM to maptrace: summary printed after the command exited" grep -q "^SUMMARY" "$TMP/t.out"
check "SIGTERM to maptrace: the target's exit noticed" grep -q "exited" "$TMP/t.err"

# --- Ctrl-C on a terminal: the command has it from the terminal, once, not again from maptrace -
cat >"$TMP/ctrl_c.py" <<'PY'
import os, pty, select, sys, time
maptrace, count = sys.argv[1], sys.argv[2]
pid, fd = pty.fork()
if pid == 0:
    os.execv(maptrace, [maptrace, '-q', '--', 'sh', '-c', 'trap "echo INT >> %s; sleep 0.3; '
             'exit 4" INT; while :; do sleep 0.05; done' % count])
out, end = b'', time.time() + 20
def read(t):
    global out
    if select.select([fd], [], [], t)[0]:
        d = os.read(fd, 4096)
        out += d
        return bool(d)
    return True
try:
    while b'tracing PID' not in out and time.time() < end:
        read(0.1)
    time.sleep(0.3)
    os.write(fd, b'\x03')
    while read(0.1):
        pass
except OSError:
    pass
print(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]), b'SUMMARY' in out)
PY
: >"$TMP/ints"
res=$(python3 "$TMP/ctrl_c.py" "$MAPTRACE" "$TMP/ints")
check "Ctrl-C on a terminal: the command's trap exits 4, maptrace's summary follows ($res)" \
	[ "$res" = "4 True" ]
check "Ctrl-C on a terminal: the command got one SIGINT ($(grep -c INT "$TMP/ints"))" \
	[ "$(grep -c INT "$TMP/ints")" -eq 1 ]

# --- -d ends the trace, not the command: its status still comes through ---------------------
"$MAPTRACE" -q -d 0.3 -- sh -c 'sleep 1; exit 5' >"$TMP/d.out" 2>"$TMP/d.err"
rc=$?
check "-d shorter than the command: maptrace exits with its status 5 ($rc)" [ "$rc" -eq 5 ]
check "-d shorter than the command: summary printed" grep -q "^SUMMARY" "$TMP/d.out"

# --- --list: what would be attached at the first instruction; the command never runs --------
"$MAPTRACE" --list -- "$MAPLOAD" --scenario growth >"$TMP/l.out" 2>"$TMP/l.err"
rc=$?
check "--list with a command: exit 0 ($rc)" [ "$rc" -eq 0 ]
check "--list with a command: the cmap probes found" grep -q "map_create" "$TMP/l.out"
"$MAPTRACE" --list -- sh -c "touch $TMP/ran" >/dev/null 2>&1
check "--list with a command: the command did not run" [ ! -e "$TMP/ran" ]

finish
