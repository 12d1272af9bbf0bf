# Helpers for maptrace's root tests: TAP-style checks and running a target under maptrace.
# Source it; call `finish` at the end.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
MAPTRACE=${MAPTRACE:-bin/maptrace}
MAPLOAD=${MAPLOAD:-bin/mapload}
CONTEND=${CONTEND:-.output/tests/progs/contend}
TMP=$(mktemp -d /tmp/maptrace-test.XXXXXX)
FAILS=0
trap 'jobs -p | xargs -r kill -9 2>/dev/null; rm -rf "$TMP"' EXIT

ok() { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; FAILS=$((FAILS + 1)); }
# check DESCRIPTION COMMAND...: ok when the command succeeds
check() {
	local what=$1
	shift
	if "$@"; then ok "$what"; else not_ok "$what"; fi
}
finish() { exit $((FAILS > 0)); }

# jq-like field access with python: jget FILE EXPR (EXPR in python over `d`).  On any error it
# prints a value no other call prints, so two failed lookups never compare equal.
jget() {
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' \
		"$1" "$2" 2>/dev/null || echo "jget-failed-$RANDOM$RANDOM"
}

# near GOT WANT TOLERANCE: |GOT - WANT| <= TOLERANCE * WANT, false for NaN, none or error
near() {
	python3 -c 'import sys; g, w, t = map(float, sys.argv[1:]); sys.exit(not abs(g - w) <= t * w)' \
		"$1" "$2" "$3" 2>/dev/null
}

# waited FILE p50|mean: of the waits tests/progs/contend timed itself (its JSON's waits_ns), the
# nearest-rank median or the mean, in ns
waited() {
	case $2 in
	p50) jget "$1" "sorted(d['waits_ns'])[(len(d['waits_ns']) + 1) // 2 - 1]" ;;
	mean) jget "$1" "sum(d['waits_ns']) / len(d['waits_ns'])" ;;
	esac
}

# Wait until FILE contains PATTERN, up to SECONDS.
wait_for() {
	local file=$1 pattern=$2 secs=${3:-10}
	local end=$((SECONDS + secs))
	while ! grep -q "$pattern" "$file" 2>/dev/null; do
		[ $SECONDS -ge $end ] && return 1
		sleep 0.02
	done
}

# wait_gone PID SECONDS WHAT: wait up to SECONDS for PID (a child) to exit; past that, print
# what each of its threads is doing (state, wchan, kernel stack), kill it and return 1: a hang
# is then reported as one, with its cause, instead of the test's timeout.
wait_gone() {
	local pid=$1 end=$((SECONDS + $2)) t
	while kill -0 "$pid" 2>/dev/null && [ "$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null)" != Z ]; do
		if [ $SECONDS -ge $end ]; then
			echo "# $3 (pid $pid) still runs after $2 s:"
			for t in /proc/"$pid"/task/*; do
				echo "#   thread ${t##*/} $(cut -d' ' -f3 "$t/stat" 2>/dev/null) wchan $(cat "$t/wchan" 2>/dev/null)"
				sed 's/^/#     /' "$t/stack" 2>/dev/null | head -8
			done
			kill -9 "$pid" 2>/dev/null
			return 1
		fi
		sleep 0.05
	done
}

# traced NAME MAPTRACE-ARGS -- TARGET-CMD...
# Starts the target, stops it (SIGSTOP) once it has printed its pid, attaches maptrace, waits
# until maptrace says it is tracing, then lets the target run.  Leaves:
#   $TMP/NAME.target.out  target's stdout      $TMP/NAME.mt.out  maptrace's stdout
#   $TMP/NAME.mt.err      maptrace's stderr    NAME_target_rc, NAME_mt_rc, NAME_exit_lag (ms
#   from the target's exit to maptrace's)
traced() {
	local name=$1
	shift
	local mtargs=()
	while [ "$1" != "--" ]; do mtargs+=("$1"); shift; done
	shift
	"$@" >"$TMP/$name.target.out" 2>"$TMP/$name.target.err" &
	local tpid=$!
	# stop it once it runs its own code (it prints its pid first), so maptrace sees its mappings
	wait_for "$TMP/$name.target.err" "pid" 10 || echo "# target printed no pid"
	kill -STOP "$tpid"
	"$MAPTRACE" -p "$tpid" "${mtargs[@]}" >"$TMP/$name.mt.out" 2>"$TMP/$name.mt.err" &
	local mpid=$!
	if ! wait_for "$TMP/$name.mt.err" "tracing PID" 20; then
		echo "# maptrace did not start: $(cat "$TMP/$name.mt.err")"
	fi
	kill -CONT "$tpid"
	wait "$tpid"
	eval "${name}_target_rc=$?"
	local t_end
	t_end=$(date +%s%N)
	wait "$mpid"
	eval "${name}_mt_rc=$?"
	eval "${name}_exit_lag=$((($(date +%s%N) - t_end) / 1000000))"
}

# expect_fail NAME PATTERN CMD...: CMD exits non-zero (not a crash, not a hang: within
# EXPECT_FAIL_SECS, default 20) with exactly one line on stderr, matching PATTERN
expect_fail() {
	local name=$1 pattern=$2
	shift 2
	timeout "${EXPECT_FAIL_SECS:-20}" "$@" >"$TMP/out" 2>"$TMP/err"
	local rc=$?
	check "$name: exit status $rc is a failure, not a crash or hang" \
		[ "$rc" -ne 0 -a "$rc" -lt 124 ]
	check "$name: one-line message matching '$pattern': $(head -c 300 "$TMP/err")" \
		grep -qE -- "$pattern" "$TMP/err"
	check "$name: exactly one line on stderr" [ "$(wc -l <"$TMP/err")" -eq 1 ]
}
