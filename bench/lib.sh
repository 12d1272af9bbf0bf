# Helpers shared by bench/overhead.sh, bench/sites.sh and bench/real.sh: medians, arithmetic,
# waiting for a tracer, reading a probe site, BPF program stats, a traced run.  Source it.

median() { sort -g | awk 'NF { v[++n] = $1 } END { if (n) print v[int((n + 1) / 2)]; else print "nan" }'; }
med() { { median <"$1"; } 2>/dev/null || echo nan; }
# calc EXPR: floating point with awk; prints "nan" when an operand is not a number
calc() { awk "BEGIN { x = ($1); if (x != x) print \"nan\"; else printf \"%.6g\\n\", x }" 2>/dev/null || echo nan; }
isnum() { [[ $1 =~ ^-?[0-9]+(\.[0-9]+)?(e[-+]?[0-9]+)?$ ]]; }

jget() {
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' \
		"$1" "$2" 2>/dev/null || echo n/a
}

# proc_cpu_ns PID: the time every thread of PID has run on a CPU so far (schedstat, ns; 0 once
# it is gone).  BPF programs and uprobe traps it triggers run in its threads and count in it.
proc_cpu_ns() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { printf "%d\n", s }'; }

# alive PID: running or stopped, not gone and not a zombie
alive() { local s; s=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null); [ -n "$s" ] && [ "$s" != Z ]; }

# wait_for FILE PATTERN SECONDS [PID]: until FILE has PATTERN; fails early if PID exits
wait_for() {
	local file=$1 pattern=$2 end=$((SECONDS + $3)) pid=${4:-}
	while ! grep -q -- "$pattern" "$file" 2>/dev/null; do
		[ $SECONDS -ge "$end" ] && return 1
		[ -n "$pid" ] && ! alive "$pid" && ! grep -q -- "$pattern" "$file" && return 1
		sleep 0.005
	done
}

# The first byte of a probe site in a running process (hex): a uprobe replaces it once armed.
# site_byte PID VADDR BINARY
site_byte() {
	python3 - "$@" <<'PY'
import os, sys
pid, vaddr, binary = int(sys.argv[1]), int(sys.argv[2], 16), os.path.realpath(sys.argv[3])
with open(binary, "rb") as f:
    et_dyn = f.read(18)[16] == 3  # ET_DYN: PIE or library, loaded at a base; ET_EXEC: not
base = None if et_dyn else 0
for line in open(f"/proc/{pid}/maps") if et_dyn else []:
    f = line.split()
    if len(f) >= 6 and os.path.realpath(f[5]) == binary and int(f[2], 16) == 0:
        base = int(f[0].split("-")[0], 16)
        break
fd = os.open(f"/proc/{pid}/mem", os.O_RDONLY)
print(os.pread(fd, 1, base + vaddr).hex())
PY
}

# bpf_stats of the BPF programs PID holds: "name run_cnt run_time_ns" lines
prog_stats() {
	local ids
	ids=$(grep -h '^prog_id:' /proc/"$1"/fdinfo/* 2>/dev/null | awk '{ print $2 }' | sort -u | tr '\n' ,)
	bpftool prog show -j 2>/dev/null | python3 -c '
import json, sys
ids = {int(x) for x in sys.argv[1].split(",") if x}
for p in json.load(sys.stdin):
    if p["id"] in ids:
        print(p.get("name", "?"), p.get("run_cnt", 0), p.get("run_time_ns", 0))' "$ids"
}

# usdt_vaddr FILE NAME: the first USDT site NAME of FILE (hex)
usdt_vaddr() { readelf -n "$1" | awk -v n="$2" '$1 == "Name:" && $2 == n { getline; sub(",", "", $2); print $2; exit }'; }
# the first cmap:insert USDT site of FILE (hex)
insert_vaddr() { usdt_vaddr "$1" insert; }

# ratio A B: A/B with 2 decimals, or n/a
ratio() { if isnum "$1" && isnum "$2" && [ "$(calc "$2 != 0")" = 1 ]; then printf '%.2f' "$(calc "$1 / $2")"; else echo n/a; fi; }

# --- traced runs (bench/overhead.sh, bench/real.sh); files go to $TMP ----------------------

# wait_exit PID SECONDS: until PID has exited (and reap it); fails on timeout
wait_exit() {
	local pid=$1 end=$((SECONDS + $2))
	while kill -0 "$pid" 2>/dev/null; do
		if [ -z "$(awk '$3 != "Z"' "/proc/$pid/stat" 2>/dev/null)" ]; then break; fi
		[ $SECONDS -ge "$end" ] && return 1
		sleep 0.02
	done
	wait "$pid" 2>/dev/null
	return 0
}

# stop_tracer PID [SECONDS]: let it exit on its own within SECONDS (default 5; maptrace,
# bpftrace -p and perf -p follow the target), else SIGINT (bcc), else SIGKILL
stop_tracer() {
	local pid=$1
	wait_exit "$pid" "${2:-5}" && return 0
	kill -INT "$pid" 2>/dev/null
	wait_exit "$pid" 20 && return 0
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	echo "# tracer $pid had to be killed" >&2
}

# wait_armed PID VADDR BINARY ORIG: until the site's first byte is no longer ORIG (10 s)
wait_armed() {
	local end=$((SECONDS + 10)) b
	while :; do
		b=$(site_byte "$1" "$2" "$3" 2>/dev/null)
		[ -n "$b" ] && [ "$b" != "$4" ] && return 0
		[ $SECONDS -ge $end ] && return 1
		sleep 0.01
	done
}

# tracer_attach NAME TRACER TPID TARGET-CMD...
#   Starts TRACER on the (stopped or idle) process TPID and waits until it has attached.  The
#   script defines `tracer_for NAME TRACER TPID TARGET-CMD...`, which sets TCMD (the command; empty
#   for no tracer), READY (a line the tracer prints once attached: maptrace's "tracing PID",
#   a bpftrace BEGIN printf), READY_IN (err, the default, or out) and, for tracers that put a
#   uprobe on a site, ARMED_VADDR, ARMED_FILE and ARMED_BYTE: the site, the file it is in and
#   its first byte untraced; then it also waits until that byte in TPID's memory has changed.
#   Tracer output goes to $TMP/NAME.tr.{out,err}.  Sets TRPID (empty without a tracer).  On
#   failure kills the tracer, says why on stderr and returns 1.
tracer_attach() {
	local name=$1 tracer=$2 tpid=$3
	shift 3
	TCMD=() READY="" READY_IN=err ARMED_VADDR="" ARMED_FILE="" ARMED_BYTE="" TRPID=""
	tracer_for "$name" "$tracer" "$tpid" "$@"
	[ ${#TCMD[@]} -gt 0 ] || return 0
	# the background job truncates its files only once it runs: a ready line left from an
	# earlier run of the same NAME must not be taken for this tracer's
	rm -f "$TMP/$name.tr.out" "$TMP/$name.tr.err"
	"${TCMD[@]}" >"$TMP/$name.tr.out" 2>"$TMP/$name.tr.err" &
	TRPID=$!
	if [ -n "$READY" ] && ! wait_for "$TMP/$name.tr.$READY_IN" "$READY" 60 "$TRPID"; then
		echo "# $name: $tracer did not attach: $(grep -v RLIMIT "$TMP/$name.tr.err" | head -2)" >&2
	elif [ -n "$ARMED_VADDR" ] && ! wait_armed "$tpid" "$ARMED_VADDR" "${ARMED_FILE:-$1}" "$ARMED_BYTE"; then
		echo "# $name: $tracer never armed the probe site" >&2
	else
		return 0
	fi
	kill -9 "$TRPID" 2>/dev/null
	wait "$TRPID" 2>/dev/null
	TRPID=""
	return 1
}

# traced_run NAME TRACER TARGET-CMD...
#   Starts the target, stops it (SIGSTOP) once it printed its pid (mapload, futexcall, ghash)
#   or, for a target listed in SELF_STOPPING (bench/inserts, bench/churn), once it stopped
#   itself; starts TRACER on it (tracer_attach), lets the target run, then stops the tracer.
#   Leaves $TMP/NAME.{out,err} (target) and $TMP/NAME.tr.{out,err} (tracer); returns non-zero
#   when the tracer did not attach.  ON_ATTACH, if set, runs once the tracer has attached,
#   before the target resumes; HOOK, if set, runs once the target printed its result
#   (HOOK_WHEN matched its stdout) while it lingers with the tracer still attached; ON_EXIT,
#   if set, runs as soon as the target has exited, before the tracer is stopped.  All get
#   NAME TARGET-PID TRACER-PID.  TRACER_WAIT: seconds the tracer has to exit on its own once
#   the target has (default 5); 0 kills it then, for a run whose tracer output is not read.
traced_run() {
	local name=$1 tracer=$2 tpid
	shift 2
	rm -f "$TMP/$name".*
	"$@" >"$TMP/$name.out" 2>"$TMP/$name.err" &
	tpid=$!
	if [[ " ${SELF_STOPPING[*]:-} " == *" $1 "* ]]; then
		while [ "$(awk '{ print $3 }' "/proc/$tpid/stat" 2>/dev/null)" != T ]; do
			kill -0 "$tpid" 2>/dev/null || { echo "# $name: $1 exited: $(cat "$TMP/$name.err")" >&2; return 1; }
			sleep 0.005
		done
	else
		wait_for "$TMP/$name.err" pid 20 "$tpid" || { echo "# $name: target printed no pid" >&2; return 1; }
		kill -STOP "$tpid"
	fi
	if ! tracer_attach "$name" "$tracer" "$tpid" "$@"; then
		kill -9 "$tpid" 2>/dev/null
		wait "$tpid" 2>/dev/null
		return 1
	fi
	[ -n "${ON_ATTACH:-}" ] && $ON_ATTACH "$name" "$tpid" "$TRPID"
	kill -CONT "$tpid"
	if [ -n "${HOOK:-}" ]; then
		wait_for "$TMP/$name.out" "${HOOK_WHEN:-ns_per_op}" 120 "$tpid" && $HOOK "$name" "$tpid" "$TRPID"
	fi
	wait "$tpid"
	[ -n "${ON_EXIT:-}" ] && $ON_EXIT "$name" "$tpid" "$TRPID"
	if [ -n "$TRPID" ] && [ "${TRACER_WAIT:-5}" = 0 ]; then
		kill -9 "$TRPID" 2>/dev/null
		wait "$TRPID" 2>/dev/null
	elif [ -n "$TRPID" ]; then
		stop_tracer "$TRPID" "${TRACER_WAIT:-5}"
	fi
	return 0
}
