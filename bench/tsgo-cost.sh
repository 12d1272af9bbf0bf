#!/usr/bin/env bash
# bench/tsgo-cost.sh: where maptrace's cost on tsgo goes (the tsgo row of make bench-real), per
# run of tsgo type-checking the generated project bench/real.sh uses:
#   1. hits per probe site of the goswiss profile, counted by bpftrace on the same addresses
#      (maptrace not attached), with the instruction kind and per-hit trap cost --list states
#   2. the BPF time per hit of maptrace's profile program (kernel.bpf_stats_enabled, turned on
#      while it runs, restored after), by default and with --no-stacks
#   3. tsgo's own CPU (user, sys) and maptrace's CPU while tsgo ran
# Runs interleave: count, default, --no-stacks, again RUNS times; medians.  Root.
#
#   RUNS=3 TSGO_FILES=1000 bench/tsgo-cost.sh
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
RUNS=${RUNS:-3}
TSGO_FILES=${TSGO_FILES:-1000}
MT=${MT:-bin/maptrace}
GONM=.output/tests/progs/gonm
TMP=$(mktemp -d /tmp/maptrace-tsgocost.XXXXXX)
STATS_WAS=$(cat /proc/sys/kernel/bpf_stats_enabled 2>/dev/null || echo 0)
cleanup() {
	local p
	for p in $(jobs -p); do kill -9 "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	echo "$STATS_WAS" >/proc/sys/kernel/bpf_stats_enabled 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
die() { echo "tsgo-cost: $*" >&2; exit 1; }

source bench/lib.sh
source tests/maptrace/golib.sh # gen_project, file_offset
TSGO_NPM=$(scripts/go-bins.sh --print | head -1)
[ -x "$GONM" ] && [ -x "$TSGO_NPM" ] && [ -x "$MT" ] || die "run make and make test-build first (gonm, tsgo from npm)"
command -v bpftrace >/dev/null || die "bpftrace is needed for the hit counts"
# a copy without '@' in its path, which bpftrace cannot take
mkdir -p "$TMP/tsgo.d" && cp -r "$(dirname "$TSGO_NPM")/." "$TMP/tsgo.d/" || die "cannot copy tsgo"
TS=$TMP/tsgo.d/tsgo
gen_project ts "$TMP/proj" "$TSGO_FILES"

# tsgo_start: $TP, a tsgo stopped right after its exec, under /usr/bin/time ($TMP/time)
tsgo_start() {
	/usr/bin/time -o "$TMP/time" -f "%U %S" "$TS" -p "$TMP/proj" >/dev/null 2>&1 &
	TIMEPID=$! TP=""
	until TP=$(pgrep -P "$TIMEPID") && [ -n "$TP" ] && [ "$(readlink "/proc/$TP/exe")" = "$TS" ]; do :; done
	kill -STOP "$TP"
}

# the probe sites --list names: "vaddr role site kind cost..." (each address once)
tsgo_start
"$MT" --list -p "$TP" 2>&1 | awk '{
	for (i = 3; i <= 4; i++)
		if ($i ~ /^0x[0-9a-f]+$/ && !seen[$i]++) {
			kind = $(i + 1); if ($(i + 2) ~ /^\(/) kind = kind " " $(i + 2)
			us = "?"
			for (j = i + 1; j < NF; j++) if ($j ~ /^~[0-9.]+$/) { us = substr($j, 2); break }
			on = /only with --detail/ ? "detail" : "default"
			print $i, $1, $2, on, us, kind
		} }' >"$TMP/sites"
kill -9 "$TP"; wait "$TIMEPID" 2>/dev/null
[ -s "$TMP/sites" ] || die "maptrace --list named no probe site in tsgo"
BT=""
while read -r va _; do
	BT+="uprobe:$TS:$(file_offset "$TS" "${va#0x}") { @[\"$va\"] = count(); } "
done <"$TMP/sites"

echo 1 >/proc/sys/kernel/bpf_stats_enabled || die "cannot turn kernel.bpf_stats_enabled on"
for r in $(seq "$RUNS"); do
	# 1. bpftrace's counts (a stripped binary: file offsets, --unsafe)
	tsgo_start
	bpftrace --unsafe -p "$TP" -e "$BT BEGIN { printf(\"ready\\n\"); }" >"$TMP/bt" 2>"$TMP/bt.err" &
	BTP=$!
	wait_for "$TMP/bt" ready 60 "$BTP" || die "bpftrace did not attach: $(grep -v RLIMIT "$TMP/bt.err" | head -2)"
	kill -CONT "$TP"
	wait "$TIMEPID"
	kill -INT "$BTP"; wait "$BTP"
	awk '/^@\[/ { gsub(/[@\[\]":]/, " "); print $1, $2 }' "$TMP/bt" >>"$TMP/hits"
	# 2, 3. maptrace, by default and without stacks
	for cfg in default nostacks; do
		args=()
		[ $cfg = nostacks ] && args=(--no-stacks)
		tsgo_start
		"$MT" -p "$TP" -q --json --top 0 "${args[@]}" >/dev/null 2>"$TMP/mt.err" &
		MP=$!
		wait_for "$TMP/mt.err" "tracing PID" 60 "$MP" || die "maptrace did not attach: $(head -2 "$TMP/mt.err")"
		prog_stats "$MP" >"$TMP/st0"
		m0=$(proc_cpu_ns "$MP")
		kill -CONT "$TP"
		# maptrace exits with tsgo: the last sample before that is the run's (its tail of a few
		# ms is missed; the time per hit is what is kept)
		while alive "$TP"; do
			prog_stats "$MP" >"$TMP/st1.tmp" && mv "$TMP/st1.tmp" "$TMP/st1"
			m1=$(proc_cpu_ns "$MP")
			sleep 0.05
		done
		wait "$TIMEPID"
		wait "$MP"
		tail -1 "$TMP/time" | awk -v c=$cfg '{ print c, $1 * 1000, $2 * 1000 }' >>"$TMP/tsgo"
		echo "$cfg $(((m1 - m0) / 1000000))" >>"$TMP/mtcpu"
		awk -v c=$cfg 'NR == FNR { n0[$1] = $2; t0[$1] = $3; next }
			$1 == "profile_probe_plain" && $2 > n0[$1] {
				printf "%s %.0f\n", c, ($3 - t0[$1]) / ($2 - n0[$1]) }' "$TMP/st0" "$TMP/st1" >>"$TMP/bpfns"
	done
	echo "# run $r done, load average $(cut -d' ' -f1 /proc/loadavg)" >&2
done
echo "$STATS_WAS" >/proc/sys/kernel/bpf_stats_enabled

mediancol() { awk -v k="$2" -v c="$3" '$1 == k { print $c }' "$1" | median; }
echo "tsgo $(strings -n 6 "$TS" | grep -m1 -xE 'go1\.[0-9]+\.[0-9]+'), $TSGO_FILES modules; medians of $RUNS runs; load average $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) CPUs"
echo "per-site hits a run (bpftrace count() on the same addresses), with the trap cost --list states:"
trap_us=0 hits=0
while read -r va role site on us kind; do
	h=$(mediancol "$TMP/hits" "$va" 2)
	[ "$h" = nan ] && h=0
	printf '  %-10s %-50s %-8s %6s hits  %-18s ~%s us  %s\n' "$role" "$site" "$va" "$h" "$kind" "$us" \
		"$([ "$on" = default ] && echo "by default" || echo "--detail only")"
	[ "$on" = default ] || continue
	# a grow_end's hit runs the profile program too, as every entry does
	hits=$((hits + h))
	isnum "$us" && trap_us=$(calc "$trap_us + $h * $us")
done <"$TMP/sites"
echo "by default: $hits hits a run: traps ~$(calc "$trap_us / 1000") ms (--list's per-hit figures)"
for cfg in default nostacks; do
	printf '%-9s tsgo cpu %5s ms (user %s, sys %s); BPF %5s ns a profile hit; maptrace cpu %3s ms\n' "$cfg" \
		"$(calc "$(mediancol "$TMP/tsgo" $cfg 2) + $(mediancol "$TMP/tsgo" $cfg 3)")" \
		"$(mediancol "$TMP/tsgo" $cfg 2)" "$(mediancol "$TMP/tsgo" $cfg 3)" \
		"$(mediancol "$TMP/bpfns" $cfg 2)" "$(mediancol "$TMP/mtcpu" $cfg 2)"
	echo "          BPF ~$(calc "$hits * $(mediancol "$TMP/bpfns" $cfg 2) / 1e6") ms a run; with the traps ~$(calc "($trap_us * 1000 + $hits * $(mediancol "$TMP/bpfns" $cfg 2)) / 1e6") ms"
done
