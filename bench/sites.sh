#!/usr/bin/env bash
# bench/sites.sh: what one hit of a maptrace uprobe costs the traced process, by the kind of
# site it sits on, on this kernel, next to an empty bpftrace uprobe on the same site.
#
#   bash bench/sites.sh                  (root; about 2.5 minutes)
#   RUNS=5 CKEYS=250000 GKEYS=500000 IROUNDS=5 STATS_S=1.6 bash bench/sites.sh   (the defaults)
#
# Why the site kind matters.  A uprobe replaces the first instruction of the probed function
# with int3.  On a hit the kernel runs the BPF program, then has to execute the instruction it
# replaced, and that is where the kinds differ:
#   - 5-byte nop (a USDT site, libcmap's cmap:insert): nothing to execute; on 6.18 the kernel
#     also rewrites a hit nop5 into a call to its uprobe trampoline (a syscall, no trap).
#   - emulated (push %reg, jmp/call/jcc): the kernel emulates it in the trap handler.  GLib's
#     g_hash_table_insert and _remove start with push %r15.
#   - single-step (anything else, e.g. customht's ht_insert starts with a movabs): the kernel
#     copies the instruction to an XOL slot, returns to user mode to step it under TF, takes
#     a debug trap, and fixes up: two more kernel entries per hit.  The expensive kind.
#   - entry + return: a uprobe_multi *session* program asks at entry for the return (maptrace's
#     insert/delete roles with a size field compare the map's size before and after); the kernel
#     then hijacks the return address, and the return costs one more kernel entry (the 6.18
#     return trampoline) and a second program run.
#
# How it measures.  Each target is started under a tiny wait4() wrapper, prints its pid, is
# stopped (SIGSTOP) during its start delay of 1 s (inserts stops itself), the tracer is started
# on it, and only when the tracer has said it is attached (maptrace: "tracing PID"; bpftrace: a
# BEGIN printf) AND the probe site's first byte in the target's memory (/proc/PID/mem) has been
# replaced, does the target continue (SIGCONT).  The figure is the target's CPU time, user + sys
# of all its threads from wait4's rusage (microseconds): the trap, the BPF program and the
# single-step or emulation all run in the target's context, whereas the tracer's start-up and
# the sleep do not count.  Per hit = (median traced CPU - median untraced CPU) / hits, where
# hits is what the target reports it called (customht: ht_insert calls; ghash: inserts +
# removes; inserts: N x ROUNDS) and maptrace's own count confirms it.  Variants run interleaved
# (round r of each variant, then round r+1; the order rotates every round) so machine noise hits
# all of them alike; every figure is the median of RUNS runs, with min..max of the per-round
# deltas as the spread.  For the nop5 row the primary figure is bench/inserts' own median ns per
# insert over its rounds (as bench/overhead.sh section 2), the CPU delta beside it.
#
# The GLib rows.  maptrace's built-in glib profile matches any mapped file named
# libglib-2.0.so.0[.*] and cannot be switched off (--probe and --profile add to it), so a
# --probe lookup on g_hash_table_insert would attach *next to* the built-in session probes on the
# same addresses (--list shows 9 sites).  Instead ghash runs with LD_LIBRARY_PATH on a private
# copy of libglib whose file name is gbench.so (reached through a libglib-2.0.so.0 symlink;
# /proc/PID/maps names the real file, so the built-in profile does not match and --list shows
# only the --probe sites).  On it, entry only: --probe lookup:gbench.so:g_hash_table_insert and
# _remove (map=arg0); entry + return: --probe insert:...insert and delete:...remove with
# map=arg0,size=u64@0 and no guard, so every hit asks for its return.  The built-in profile
# itself has when= guards since dd60333: an insert or remove asks for its return only when it
# can resize (about once per resize), so it is measured as a row of its own, on a second copy
# named libglib-2.0.so.0.7400.6 (in another directory) that the built-in profile does match;
# the two copies are byte-identical and both are measured untraced.  The built-in profile also
# probes g_hash_table_new_full (once), replace/add/steal/remove_all (never called by ghash).
# The bpf_stats section counts each program's runs against maptrace's own hit count, so the
# runs per hit (2 = every return taken) are measured, not assumed.
#
# Sizes.  The costs are microseconds a hit, so hits, not untraced run length, set the run time:
# the defaults keep a traced run near 1-1.5 s of CPU (untraced: customht ~0.07 s, ghash
# ~0.05 s, inserts ~0.04 s) and the whole script under 3 minutes; the delta is still tens of
# times the run-to-run noise of the untraced runs.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

RUNS=${RUNS:-5}
CKEYS=${CKEYS:-250000}   # customht KEYS: ht_insert hits per run
GKEYS=${GKEYS:-500000}   # ghash KEYS: 2 x GKEYS hits (insert + remove) per run
IROUNDS=${IROUNDS:-5}    # bench/inserts ROUNDS x 100000 inserts
IN=100000
T_START=$SECONDS

die() { echo "bench-sites: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "run as root (BPF, uprobes, /proc/PID/mem)"
CT_SRC=.output/tests/progs/customht GH_SRC=.output/tests/progs/ghash INS_SRC=.output/bench/inserts
for f in bin/maptrace "$CT_SRC" "$GH_SRC" "$INS_SRC"; do
	[ -x "$f" ] || die "$f is missing: run make && make test-build && make $INS_SRC"
done
command -v bpftrace >/dev/null || die "bpftrace is missing (apt-get install bpftrace)"
GLIB_SYS=$(ldd "$GH_SRC" | awk '$1 == "libglib-2.0.so.0" { print $3 }')
GLIB_SYS=$(realpath "$GLIB_SYS" 2>/dev/null)
[ -f "$GLIB_SYS" ] || die "cannot find the libglib ghash links against"

TMP=$(mktemp -d /tmp/maptrace-sites.XXXXXX)
cleanup() {
	local p
	for p in $(jobs -p); do kill -9 "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	[ -n "${STATS_WAS:-}" ] && echo "$STATS_WAS" >/proc/sys/kernel/bpf_stats_enabled 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# private copies: a rebuild elsewhere must not change them mid-run; customht keeps its name
# (the --probe object), the libglib copies get the names discussed above
cp bin/maptrace "$TMP/maptrace" && cp "$CT_SRC" "$TMP/customht" && cp "$GH_SRC" "$TMP/ghash" &&
	cp "$INS_SRC" "$TMP/inserts" || die "cannot copy the binaries to $TMP"
mkdir -p "$TMP/gplain" "$TMP/gbuiltin"
cp "$GLIB_SYS" "$TMP/gplain/gbench.so" && ln -s gbench.so "$TMP/gplain/libglib-2.0.so.0" &&
	cp "$GLIB_SYS" "$TMP/gbuiltin/$(basename "$GLIB_SYS")" &&
	ln -s "$(basename "$GLIB_SYS")" "$TMP/gbuiltin/libglib-2.0.so.0" || die "cannot copy $GLIB_SYS"
MT=$TMP/maptrace CT=$TMP/customht GH=$TMP/ghash INS=$TMP/inserts
GPLAIN=$TMP/gplain/gbench.so GBUILTIN=$TMP/gbuiltin/$(basename "$GLIB_SYS")

# --- helpers -------------------------------------------------------------------------------

source bench/lib.sh
fmt() { if isnum "$1"; then printf "%.${2:-0}f" "$1"; else echo "${1:-n/a}"; fi; }

# cpurun OUT CMD...: runs CMD, writes "user sys status" of it (wait4 rusage) to OUT
cpurun() {
	python3 -c '
import os, sys
pid = os.posix_spawnp(sys.argv[2], sys.argv[2:], os.environ)
_, st, ru = os.wait4(pid, 0)
open(sys.argv[1], "w").write("%.6f %.6f %d\n" % (ru.ru_utime, ru.ru_stime, os.waitstatus_to_exitcode(st)))
' "$@"
}

# sym_vaddr FILE SYM: a function's link-time address (hex)
sym_vaddr() {
	{ nm -D --defined-only "$1"; nm --defined-only "$1"; } 2>/dev/null |
		awk -v s="$2" '$3 == s && !f { print "0x" $1; f = 1 }'
}


CT_INS=$(sym_vaddr "$CT" ht_insert)
G_INS=$(sym_vaddr "$GPLAIN" g_hash_table_insert)
G_REM=$(sym_vaddr "$GPLAIN" g_hash_table_remove)
INS_NOP=$(insert_vaddr "$INS")
[ -n "$CT_INS" ] && [ -n "$G_INS" ] && [ -n "$G_REM" ] && [ -n "$INS_NOP" ] || die "cannot find the probe sites"

# --- the variants --------------------------------------------------------------------------
#
# variant: target | tracer | site (vaddr, file) checked for being armed
VARIANTS=(ct-none ct-mt ct-bt gh-none gh-mt gh-bt gh-ret gh-btret gb-none gb-mt in-none in-mt in-bt)
declare -A LABEL=(
	[ct-none]="customht $CKEYS, untraced"
	[ct-mt]="customht, maptrace --probe lookup:customht:ht_insert"
	[ct-bt]="customht, bpftrace uprobe:ht_insert {}"
	[gh-none]="ghash on gbench.so copy, untraced"
	[gh-mt]="ghash, maptrace --probe lookup: insert + remove"
	[gh-bt]="ghash, bpftrace uprobe: insert {} + remove {}"
	[gh-ret]="ghash, maptrace --probe insert/delete, size=u64@0"
	[gb-none]="ghash on libglib-2.0.so.0.* copy, untraced"
	[gb-mt]="ghash, maptrace built-in glib profile (when=)"
	[gh-btret]="ghash, bpftrace uprobe+uretprobe {} on both"
	[in-none]="inserts ${IROUNDS}x$IN, untraced"
	[in-mt]="inserts, maptrace (USDT cmap:insert)"
	[in-bt]="inserts, bpftrace usdt:cmap:insert {}"
)
MT_COMMON=(-q --json --no-futex)
target_cmd() {
	case $1 in
	ct-*) echo "env $CT $CKEYS 1" ;;
	gh-*) echo "env LD_LIBRARY_PATH=$TMP/gplain $GH 1 $GKEYS 1 0" ;;
	gb-*) echo "env LD_LIBRARY_PATH=$TMP/gbuiltin $GH 1 $GKEYS 1 0" ;;
	gs-*) echo "env $GH 1 $GKEYS 1 0" ;; # the system's libglib: only for --list
	in-*) echo "env $INS $IROUNDS $IN" ;;
	esac
}
BT_READY='BEGIN { printf("ready\n"); }'
# tracer_cmd VARIANT PID: sets TCMD (empty: untraced), SITE_V, SITE_F
tracer_cmd() {
	local v=$1 pid=$2
	TCMD=() SITE_V="" SITE_F=""
	case $v in
	ct-mt) TCMD=("$MT" -p "$pid" "${MT_COMMON[@]}" --probe lookup:customht:ht_insert:map=arg0) ;;
	ct-bt) TCMD=(bpftrace -p "$pid" -e "uprobe:$CT:ht_insert {} $BT_READY") ;;
	gh-mt) TCMD=("$MT" -p "$pid" "${MT_COMMON[@]}" --probe lookup:gbench.so:g_hash_table_insert:map=arg0
		--probe lookup:gbench.so:g_hash_table_remove:map=arg0) ;;
	gh-bt) TCMD=(bpftrace -p "$pid" -e "uprobe:$GPLAIN:g_hash_table_insert {} uprobe:$GPLAIN:g_hash_table_remove {} $BT_READY") ;;
	gh-ret) TCMD=("$MT" -p "$pid" "${MT_COMMON[@]}" --probe insert:gbench.so:g_hash_table_insert:map=arg0,size=u64@0
		--probe delete:gbench.so:g_hash_table_remove:map=arg0,size=u64@0) ;;
	gh-btret) TCMD=(bpftrace -p "$pid" -e "uprobe:$GPLAIN:g_hash_table_insert {} uretprobe:$GPLAIN:g_hash_table_insert {}
		uprobe:$GPLAIN:g_hash_table_remove {} uretprobe:$GPLAIN:g_hash_table_remove {} $BT_READY") ;;
	gb-mt) TCMD=("$MT" -p "$pid" "${MT_COMMON[@]}") ;;
	in-mt) TCMD=("$MT" -p "$pid" "${MT_COMMON[@]}") ;;
	in-bt) TCMD=(bpftrace -p "$pid" -e "usdt:$INS:cmap:insert {} $BT_READY") ;;
	esac
	case $v in
	ct-*) SITE_V=$CT_INS SITE_F=$CT ;;
	gh-*) SITE_V=$G_INS SITE_F=$GPLAIN ;;
	gb-*) SITE_V=$G_INS SITE_F=$GBUILTIN ;;
	in-*) SITE_V=$INS_NOP SITE_F=$INS ;;
	esac
}

# one_run VARIANT ROUND [STATS_AFTER_S]: leaves $TMP/V.R.{cpu,out,err,tr.out,tr.err}; returns non-zero on failure
one_run() {
	local v=$1 r=$2 n=$TMP/$1.$2 wp tpid trpid="" orig b end
	# shellcheck disable=SC2046
	cpurun "$n.cpu" $(target_cmd "$v") >"$n.out" 2>"$n.err" &
	wp=$!
	wait_for "$n.err" "pid [0-9]" 20 "$wp" || { echo "# $v: target printed no pid: $(cat "$n.err")" >&2; return 1; }
	tpid=$(grep -o 'pid [0-9]*' "$n.err" | head -1 | cut -d' ' -f2)
	if [[ $v == in-* ]]; then # inserts stops itself
		while [ "$(awk '{ print $3 }' "/proc/$tpid/stat" 2>/dev/null)" != T ]; do
			alive "$tpid" || { echo "# $v: inserts exited" >&2; return 1; }
			sleep 0.005
		done
	else
		kill -STOP "$tpid"
	fi
	tracer_cmd "$v" "$tpid"
	if [ ${#TCMD[@]} -gt 0 ]; then
		orig=$(site_byte "$tpid" "$SITE_V" "$SITE_F")
		"${TCMD[@]}" >"$n.tr.out" 2>"$n.tr.err" &
		trpid=$!
		if [[ ${TCMD[0]} == bpftrace ]]; then
			wait_for "$n.tr.out" ready 60 "$trpid"
		else
			wait_for "$n.tr.err" "tracing PID" 60 "$trpid"
		fi || { echo "# $v: tracer did not attach: $(grep -v RLIMIT "$n.tr.err" | head -2)" >&2
			kill -9 "$tpid" "$trpid" 2>/dev/null; wait "$wp" "$trpid" 2>/dev/null; return 1; }
		end=$((SECONDS + 10))
		while b=$(site_byte "$tpid" "$SITE_V" "$SITE_F" 2>/dev/null); [ "$b" = "$orig" ]; do
			[ $SECONDS -ge $end ] && { echo "# $v: site never armed" >&2
				kill -9 "$tpid" "$trpid" 2>/dev/null; wait "$wp" "$trpid" 2>/dev/null; return 1; }
			sleep 0.01
		done
	fi
	kill -CONT "$tpid"
	if [ -n "${3:-}" ]; then # stats mode: sample the tracer's programs mid-run, then end it
		sleep "$3"
		kill -STOP "$tpid" # no hit between the stats and maptrace's final count
		prog_stats "$trpid" | awk '$2 > 0' >"$n.stats"
		kill -9 "$tpid" 2>/dev/null
	fi
	wait "$wp"
	if [ -n "$trpid" ]; then
		# maptrace and bpftrace -p exit when the target does
		end=$((SECONDS + 10))
		while alive "$trpid" && [ $SECONDS -lt $end ]; do sleep 0.02; done
		kill -INT "$trpid" 2>/dev/null
		wait "$trpid" 2>/dev/null
	fi
	[ -n "${3:-}" ] && return 0
	[ "$(awk '{ print $3 }' "$n.cpu" 2>/dev/null)" = 0 ] || { echo "# $v: target failed: $(tail -2 "$n.err")" >&2; return 1; }
	awk '{ printf "%.6f\n", $1 + $2 }' "$n.cpu" >>"$TMP/$v.cpu"
	echo "$r" >>"$TMP/$v.rounds"
	return 0
}

# --- what gets attached --------------------------------------------------------------------

echo "maptrace probe sites by kind: medians of $RUNS interleaved runs, target CPU (user+sys) from wait4"
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) CPUs, kernel $(uname -r); $("$MT" --version 2>&1 | head -1), $(bpftrace --version 2>/dev/null); load $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "== what maptrace attaches (--list on an idle target) =="
list_on() { # TARGET-VARIANT MT-ARGS...
	local v=$1 pid
	shift
	rm -f "$TMP/list.err"
	# shellcheck disable=SC2046
	$(target_cmd "$v" | sed 's/ 1\( 0\)\?$/ 60\1/') >/dev/null 2>"$TMP/list.err" &
	pid=$! # env execs the target: the same pid
	if wait_for "$TMP/list.err" "pid [0-9]" 10 "$pid"; then
		"$MT" -p "$pid" --list "$@" 2>&1 | grep -E '^    |sites would' | sed 's/^/  /'
	else
		echo "  (the target did not start: $(cat "$TMP/list.err"))"
	fi
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
}
echo "customht, --probe lookup:customht:ht_insert:map=arg0:"
list_on ct-mt --probe lookup:customht:ht_insert:map=arg0
echo "ghash on the system's libglib with --probe lookup on insert/remove (NOT used: the built-in profile joins in):"
list_on gs-list --probe lookup:libglib-2.0.so.0:g_hash_table_insert:map=arg0 --probe lookup:libglib-2.0.so.0:g_hash_table_remove:map=arg0
echo "ghash on the gbench.so copy, --probe lookup:gbench.so:g_hash_table_{insert,remove}:map=arg0 (row 2):"
list_on gh-mt --probe lookup:gbench.so:g_hash_table_insert:map=arg0 --probe lookup:gbench.so:g_hash_table_remove:map=arg0
echo "ghash on the gbench.so copy, --probe insert:...insert and delete:...remove, map=arg0,size=u64@0 (row 3):"
list_on gh-ret --probe insert:gbench.so:g_hash_table_insert:map=arg0,size=u64@0 --probe delete:gbench.so:g_hash_table_remove:map=arg0,size=u64@0
echo "ghash on the libglib-2.0.so.0.* copy, no options: the built-in glib profile, when= guards (row 3b):"
list_on gb-mt
echo "inserts (libcmap USDT; maptrace attaches all of libcmap's probes, only cmap:insert fires):"
echo "  cmap:insert at $INS_NOP: 5-byte nop"

# --- the runs ------------------------------------------------------------------------------

for r in $(seq "$RUNS"); do
	nv=${#VARIANTS[@]}
	for i in $(seq 0 $((nv - 1))); do
		one_run "${VARIANTS[$(((i + r - 1) % nv))]}" "$r"
	done
done

# --- in-kernel program time (bpf_stats), one sampled run each ------------------------------
#
# The tracer's programs' run_time_ns / run_cnt (bpf_stats adds two clock reads to every run,
# ~20-40 ns here), sampled STATS_S into a long run that is then killed.  Not part of the CPU
# figures above: stats stay off while those run.
STATS_S=${STATS_S:-1.6}
STATS_WAS=$(cat /proc/sys/kernel/bpf_stats_enabled 2>/dev/null || echo 0)
STATS_V=(ct-mt ct-bt gh-mt gh-bt gh-ret gh-btret gb-mt in-mt in-bt)
if command -v bpftool >/dev/null; then
	echo 1 >/proc/sys/kernel/bpf_stats_enabled
	for v in "${STATS_V[@]}"; do
		CKEYS=20000000 GKEYS=20000000 IROUNDS=1000 one_run "$v" s "$STATS_S"
	done
	echo "$STATS_WAS" >/proc/sys/kernel/bpf_stats_enabled
fi

# --- results -------------------------------------------------------------------------------

# hits per run, from what the targets report
CT_HITS=$(jget "$TMP/ct-none.1.out" 'd["tables"][0]["inserts"]')
GH_HITS=$((2 * GKEYS))
IN_HITS=$((IROUNDS * IN))
# maptrace's own counts (median over runs), to confirm every hit was seen
mt_count() { # VARIANT EXPR
	local f
	for r in $(cat "$TMP/$1.rounds" 2>/dev/null); do jget "$TMP/$1.$r.tr.out" "$2"; done | median
}
CT_SEEN=$(mt_count ct-mt 'sum(m["lookups"] for m in d["maps"])')
GH_SEEN=$(mt_count gh-mt 'sum(m["lookups"] for m in d["maps"])')
GR_SEEN=$(mt_count gh-ret 'sum(m["inserts"] + m["deletes"] for m in d["maps"])')
GB_SEEN=$(mt_count gb-mt 'sum(m["inserts"] + m["deletes"] for m in d["maps"])')
IN_SEEN=$(mt_count in-mt 'sum(m["inserts"] for m in d["maps"])')

# paired per-round deltas: (A - B) * SCALE / HITS for each round both ran (cpu: s -> ns)
deltas() { # A B HITS [SUFFIX [SCALE]]
	local x=${4:-cpu} k=${5:-1e9}
	join <(paste -d' ' "$TMP/$1.rounds" "$TMP/$1.$x" | sort) <(paste -d' ' "$TMP/$2.rounds" "$TMP/$2.$x" | sort) 2>/dev/null |
		awk -v h="$3" -v k="$k" '{ printf "%.3f\n", ($2 - $3) * k / h }'
}
spread() { sort -g | awk 'NF { v[++n] = $1 } END { if (n) printf "%.0f..%.0f", v[1], v[n]; else print "n/a" }'; }
# per_hit A B HITS: (median A - median B) / HITS in ns
per_hit() { calc "($(med "$TMP/$1.cpu") - $(med "$TMP/$2.cpu")) * 1e9 / $3"; }

echo
echo "== every variant: target CPU seconds (user+sys) =="
printf '%-56s %5s %9s %19s %10s\n' variant runs median "min..max" "hits/run"
declare -A HITS=([ct]=$CT_HITS [gh]=$GH_HITS [gb]=$GH_HITS [in]=$IN_HITS)
for v in "${VARIANTS[@]}"; do
	printf '%-56s %5s %9s %19s %10s\n' "${LABEL[$v]}" "$(wc -l <"$TMP/$v.cpu" 2>/dev/null || echo 0)" \
		"$(fmt "$(med "$TMP/$v.cpu")" 4)" \
		"$(sort -g "$TMP/$v.cpu" 2>/dev/null | awk 'NR == 1 { a = $1 } { b = $1 } END { if (NR) printf "%.4f..%.4f", a, b }')" \
		"${HITS[${v%%-*}]}"
done
echo "hits counted by maptrace (median): customht $CT_SEEN of $CT_HITS; ghash entry-only $GH_SEEN of $GH_HITS;" \
	"ghash entry+return $GR_SEEN and built-in $GB_SEEN of $GH_HITS (inserts + deletes); inserts $IN_SEEN of $IN_HITS"
# inserts' own ns/insert (median over its rounds), per run
for v in in-none in-mt in-bt; do
	for r in $(cat "$TMP/$v.rounds" 2>/dev/null); do awk '{ print $1 }' "$TMP/$v.$r.out"; done >"$TMP/$v.nsop"
done
echo "inserts' own ns/insert (median of its rounds): untraced $(fmt "$(med "$TMP/in-none.nsop")" 1)" \
	"[$(spread <"$TMP/in-none.nsop")], maptrace $(fmt "$(med "$TMP/in-mt.nsop")" 1) [$(spread <"$TMP/in-mt.nsop")]," \
	"bpftrace $(fmt "$(med "$TMP/in-bt.nsop")" 1) [$(spread <"$TMP/in-bt.nsop")]"
echo "the two libglib copies untraced: gbench.so $(fmt "$(med "$TMP/gh-none.cpu")" 4) s," \
	"libglib-2.0.so.0.* $(fmt "$(med "$TMP/gb-none.cpu")" 4) s ($(fmt "$(per_hit gb-none gh-none "$GH_HITS")" 1) ns/hit apart)"

echo
echo "== ns added per hit: (median traced - median untraced CPU) / hits; [min..max of per-round deltas] =="
NS_NOP_MT=$(calc "$(med "$TMP/in-mt.nsop") - $(med "$TMP/in-none.nsop")")
NS_NOP_BT=$(calc "$(med "$TMP/in-bt.nsop") - $(med "$TMP/in-none.nsop")")
row() { # KIND SYMBOL MT-NS MT-SPREAD BT-NS BT-SPREAD
	printf '%-30s %-26s %9s %-13s %9s %-13s %9s\n' "$1" "$2" "$(fmt "$3")" "[$4]" "$(fmt "$5")" "[$6]" \
		"$(fmt "$(calc "$3 - $5")")"
}
printf '%-30s %-26s %23s %23s %9s\n' "site kind" "example symbol" "ns/hit added (maptrace)" "ns/hit (bpftrace empty)" "mt - bt"
row "single-step entry" "customht ht_insert" \
	"$(per_hit ct-mt ct-none "$CT_HITS")" "$(deltas ct-mt ct-none "$CT_HITS" | spread)" \
	"$(per_hit ct-bt ct-none "$CT_HITS")" "$(deltas ct-bt ct-none "$CT_HITS" | spread)"
row "emulated push, entry only" "g_hash_table_insert/remove" \
	"$(per_hit gh-mt gh-none "$GH_HITS")" "$(deltas gh-mt gh-none "$GH_HITS" | spread)" \
	"$(per_hit gh-bt gh-none "$GH_HITS")" "$(deltas gh-bt gh-none "$GH_HITS" | spread)"
row "emulated push, entry+return" "g_hash_table_insert/remove" \
	"$(per_hit gh-ret gh-none "$GH_HITS")" "$(deltas gh-ret gh-none "$GH_HITS" | spread)" \
	"$(per_hit gh-btret gh-none "$GH_HITS")" "$(deltas gh-btret gh-none "$GH_HITS" | spread)"
row "  the return (row 3 - row 2)" "session return vs uretprobe" \
	"$(per_hit gh-ret gh-mt "$GH_HITS")" "$(deltas gh-ret gh-mt "$GH_HITS" | spread)" \
	"$(per_hit gh-btret gh-bt "$GH_HITS")" "$(deltas gh-btret gh-bt "$GH_HITS" | spread)"
printf '%-30s %-26s %9s %-13s %9s\n' "push, built-in glib (when=)" "g_hash_table_insert/remove" \
	"$(fmt "$(per_hit gb-mt gb-none "$GH_HITS")")" "[$(deltas gb-mt gb-none "$GH_HITS" | spread)]" "-"
row "5-byte nop (USDT), own timer" "cmap:insert (inserts)" \
	"$NS_NOP_MT" "$(deltas in-mt in-none 1 nsop 1 | spread)" \
	"$NS_NOP_BT" "$(deltas in-bt in-none 1 nsop 1 | spread)"
row "5-byte nop (USDT), CPU time" "cmap:insert (inserts)" \
	"$(per_hit in-mt in-none "$IN_HITS")" "$(deltas in-mt in-none "$IN_HITS" | spread)" \
	"$(per_hit in-bt in-none "$IN_HITS")" "$(deltas in-bt in-none "$IN_HITS" | spread)"
echo "   maptrace: lookup role (entry only, counts in a per-CPU hash) on rows 1-2; insert/delete"
echo "   roles with size=u64@0 (entry + session return every hit, size before/after) on row 3; the"
echo "   built-in glib profile (insert/delete with when= guards: entry, return only near a resize)"
echo "   on row 3b; libcmap's USDT insert program on the nop rows.  bpftrace $(bpftrace --version 2>/dev/null | awk '{ print $2 }'): empty"
echo "   uprobe (row 3: uprobe + uretprobe; nop rows: usdt) on the same addresses, one perf-event"
echo "   uprobe per site.  mt - bt: maptrace's programs (and uprobe_multi) over the bare uprobe."
echo "   Per-round deltas pair runs of the same round (the spread); the row figure is from medians."

echo
echo "== in-kernel BPF program time (bpf_stats, its own clock reads included), one run each, sampled ${STATS_S} s in =="
printf '%-52s %-46s %9s %8s %10s\n' variant "programs that ran: name runs ns/run" hits runs/hit "BPF ns/hit"
for v in "${STATS_V[@]}"; do
	f=$TMP/$v.s.stats
	[ -s "$f" ] || { printf '%-52s %s\n' "${LABEL[$v]}" "no stats"; continue; }
	if [ "$v" = in-mt ]; then # maps come and go each round: count the insert program's runs
		h=$(awk '$1 == "insert" { print $2 }' "$f")
	elif [[ $v == *-mt || $v == gh-ret ]]; then # maptrace's own count of entries
		h=$(jget "$TMP/$v.s.tr.out" 'sum(m["inserts"] + m["deletes"] + m["lookups"] for m in d["maps"])')
	else # bpftrace: each probe's program runs once a hit; the uretprobe's once a return
		h=$(awk -v k="$([ "$v" = gh-btret ] && echo 2 || echo 1)" '{ c += $2 } END { printf "%d", c / k }' "$f")
	fi
	printf '%-52s %-46s %9s %8s %10s\n' "${LABEL[$v]}" \
		"$(awk '{ printf "%s%s %d %.0f", (NR > 1 ? "; " : ""), $1, $2, $3 / $2 }' "$f")" "$h" \
		"$(awk -v h="$h" '{ c += $2 } END { if (h > 0) printf "%.3f", c / h }' "$f")" \
		"$(awk -v h="$h" '{ t += $3 } END { if (h > 0) printf "%.0f", t / h }' "$f")"
done
echo "   hits: maptrace's own count (the target is stopped before the stats are read); bpftrace's"
echo "   from its run counts.  runs/hit 2: the return runs the program again (session, uretprobe)."
echo "   The rest of a hit's cost in the table above is the kernel's uprobe path (trap, emulation"
echo "   or single-step, return trampoline) and the tracer-independent part of the program call."
echo "total time: $((SECONDS - T_START)) s"
