#!/usr/bin/env bash
# Go targets, as far as maptrace reads them today: --list on a live Go 1.19 program built with
# symbols and stripped, and on tsgo and esbuild (Go 1.26, stripped, from npm), names the Go
# version, where symbols come from and the map generation; --probe finds a Go function by name
# in the stripped build and refuses a return probe on Go code; a stripped Go program's wait
# stacks are named from its .gopclntab.  Oracles: `go version`, `go tool nm` on the build with
# symbols, readelf, `strings` (needs root).
# timeout: 240
source "$(dirname "$0")/lib.sh"

GOMAP=${GOMAP:-.output/tests/progs/go/gomap}
export GOCACHE=$PWD/.output/go/cache # go tool: nothing in $HOME

# the text symbols with a size by go tool nm, as the runtime names them (no ".abi0"; type
# arguments shortened to [...]): the functions pclntab lists
nm_funcs() {
	go tool nm -size "$1" | awk '($3 == "T" || $3 == "t") && $2 > 0 { $1 = $2 = $3 = ""; print substr($0, 4) }' |
		sed -E -e 's/\.abi0$//' -e 's/\[.*\]/[...]/'
}

# start_waiting NAME CMD...: CMD with its stdin on a FIFO we hold open; sets NAME_pid
start_waiting() {
	local name=$1
	shift
	rm -f "$TMP/$name.in"
	mkfifo "$TMP/$name.in"
	"$@" <"$TMP/$name.in" >"$TMP/$name.out" 2>&1 &
	eval "${name}_pid=$!"
	eval "exec {${name}_fd}>\"$TMP/$name.in\""
}
# wait_exec PID BIN: until PID runs BIN (it has passed its FIFO and exec'd), up to 10 s
wait_exec() {
	local end=$((SECONDS + 10)) want
	want=$(readlink -f "$2")
	until [ "$(readlink "/proc/$1/exe" 2>/dev/null)" = "$want" ]; do
		[ $SECONDS -ge $end ] && return 1
		sleep 0.02
	done
}
stop_waiting() { # NAME
	local fd pid
	eval "fd=\$${1}_fd pid=\$${1}_pid"
	exec {fd}>&-
	wait "$pid"
}

# --- Go 1.19, with symbols and stripped -----------------------------------------------------
want_ver=$(go version "$GOMAP" | awk '{ print $2 }')
nfuncs=$(nm_funcs "$GOMAP" | wc -l)
for build in plain stripped; do
	bin=$GOMAP
	src=.symtab
	if [ $build = stripped ]; then
		bin=$GOMAP-stripped
		src=.gopclntab
	fi
	# the oracle for the symbol source: does the file carry a symbol table at all?
	if readelf -SW "$bin" | grep -q ' \.symtab '; then has=.symtab; else has=.gopclntab; fi
	check "$build: readelf agrees the symbols come from $src" [ "$has" = $src ]
	start_waiting g env GOMAP_WAIT=1 "$bin" 1000
	wait_for "$TMP/g.out" locked 30 || echo "# $bin did not run: $(cat "$TMP/g.out")"
	"$MAPTRACE" -p "$g_pid" --list >"$TMP/list.out" 2>&1
	rc=$?
	stop_waiting g
	check "$build: --list exits 0 ($rc)" [ $rc -eq 0 ]
	line="Go $want_ver (module command-line-arguments): symbols from $src ($nfuncs functions, pclntab of Go 1.18-1.19)"
	check "$build: --list: $line" grep -qxF "$line" "$TMP/list.out"
	check "$build: --list: hmap maps, found by runtime.hashGrow" \
		grep -qxF "    maps: hmap buckets (Go <= 1.23; runtime.hashGrow)" "$TMP/list.out"
	check "$build: --list: points to the go profile for maps and sync.Mutex waits" \
		grep -qxF "    Go maps, sync.Mutex and sync.RWMutex waits: see profile go below" "$TMP/list.out"
	[ $FAILS -eq 0 ] || sed 's/^/# /' "$TMP/list.out"
done

# --- probes by Go name in the stripped build; no return probes on Go code -------------------
want_addr=$(go tool nm "$GOMAP" | awk '$3 == "runtime.hashGrow" { print $1 }')
start_waiting g env GOMAP_WAIT=1 "$GOMAP-stripped" 1000
wait_for "$TMP/g.out" locked 30 || echo "# gomap-stripped did not run: $(cat "$TMP/g.out")"
"$MAPTRACE" -p "$g_pid" --list --probe 'grow_begin:gomap-stripped:runtime.hashGrow:map=arg1' \
	>"$TMP/list.out" 2>&1
rc=$?
check "--probe by Go name in the stripped build: --list exits 0 ($rc)" [ $rc -eq 0 ]
# the entry's stack-bound check is single-stepped: the probe goes on the jbe after it (emulated)
site=$(printf %x $((16#$want_addr + 4)))
check "runtime.hashGrow starts with the 4-byte stack-bound check and a jbe (go tool objdump)" \
	[ "$(go tool objdump -s '^runtime\.hashGrow$' "$GOMAP" | awk 'NR == 2 || NR == 3 { print $2, $4 }' |
		tr '\n' ' ')" = "0x$want_addr CMPQ 0x$site JBE " ]
check "--probe by Go name: runtime.hashGrow+0x4 at 0x$site, 4 bytes past the address go tool nm gives" \
	grep -qE "^    grow_begin +runtime\.hashGrow\+0x4 +0x0*$site +branch \(emulated\)" "$TMP/list.out"
"$MAPTRACE" -p "$g_pid" -d 1 --probe 'lock:gomap-stripped:sync.(*Mutex).lockSlow:lock=arg0' \
	>"$TMP/ret.out" 2>"$TMP/ret.err"
rc=$?
stop_waiting g
g_rc=$?
check "a return probe on Go code is refused, exit status non-zero ($rc)" [ $rc -ne 0 ]
check "the refusal names the function and why: $(head -c 200 "$TMP/ret.err")" \
	grep -qF "sync.(*Mutex).lockSlow is Go code, which cannot take a return probe" "$TMP/ret.err"
check "gomap-stripped ran on and exited 0 ($g_rc)" [ $g_rc -eq 0 ]

# --- a stripped Go program's stacks are named from .gopclntab -------------------------------
want=$("$GOMAP-stripped" 300000)
got=$("$MAPTRACE" --all-waits -q -f folded -o "$TMP/s.mtr" -- "$GOMAP-stripped" 300000 2>"$TMP/s.err")
rc=$?
check "traced stripped gomap: maptrace exits 0 ($rc)" [ $rc -eq 0 ]
check "traced stripped gomap prints what it prints untraced" [ "$(grep -v "^gomap-stripped;" <<<"$got")" = "$want" ]
grep "^gomap-stripped;" <<<"$got" >"$TMP/s.folded"
nm_funcs "$GOMAP" | sort -u >"$TMP/nm.txt"
# every frame but the process and the pseudo-frames: function names of the build with symbols
sed -E 's/ [0-9]+$//' "$TMP/s.folded" | tr ';' '\n' | grep -vxE 'gomap-stripped|\[.*\]' | sort -u >"$TMP/frames.txt"
check "stripped gomap: wait stacks recorded ($(wc -l <"$TMP/s.folded"))" [ -s "$TMP/s.folded" ]
check "stripped gomap: $(wc -l <"$TMP/frames.txt") distinct frames named, runtime.futex among them" grep -qx 'runtime.futex' "$TMP/frames.txt"
unknown=$(comm -23 "$TMP/frames.txt" "$TMP/nm.txt")
check "stripped gomap: every frame is a function nm names in the build with symbols${unknown:+: not $unknown}" [ -z "$unknown" ]

# --- tsgo and esbuild: Go 1.26, stripped ----------------------------------------------------
mapfile -t bins < <(scripts/go-bins.sh --print)
check "scripts/go-bins.sh installs tsgo and esbuild" [ ${#bins[@]} -eq 2 ]
tsgo=${bins[0]:-missing} esbuild=${bins[1]:-missing}
for name in tsgo esbuild; do
	bin=${!name}
	want_ver=$(strings -n 6 "$bin" | grep -xE 'go1\.[0-9]+(\.[0-9]+)?' | sort -u)
	if [ $name = tsgo ]; then
		start_waiting w "$bin" --lsp --stdio
	else
		start_waiting w "$bin" --service="$("$bin" --version)" --ping
	fi
	wait_exec "$w_pid" "$bin" || echo "# $name did not start: $(cat "$TMP/w.out")"
	"$MAPTRACE" -p "$w_pid" --list >"$TMP/list.out" 2>&1
	rc=$?
	stop_waiting w
	check "$name: --list exits 0 ($rc)" [ $rc -eq 0 ]
	check "$name: --list: Go $want_ver (the one go1.N.M strings finds), symbols from .gopclntab, format 1.20+" \
		grep -qE "^Go $want_ver (\(no build info; from runtime.buildVersion\) )?\(module .*\): symbols from \.gopclntab \([0-9]+ functions, pclntab of Go 1\.20\+\)$" "$TMP/list.out"
	check "$name: --list: Swiss-table maps, found by internal/runtime/maps.(*table).grow" \
		grep -qxF "    maps: Swiss tables (Go >= 1.24; internal/runtime/maps.(*table).grow)" "$TMP/list.out"
	check "$name: --list: points to the goswiss profile, which matches go1.26" \
		grep -qxF "    Go maps, sync.Mutex and sync.RWMutex waits: see profile goswiss below" "$TMP/list.out"
	check "$name: --list: its sync.Map is a hash-trie, with no misses or promotions to count" \
		grep -qxF "    sync.Map: a hash-trie (Go >= 1.24), no read-only snapshot: no misses or promotions to count" "$TMP/list.out"
	check "$name: --list: profile goswiss matched, fields for go1.26*" \
		grep -qE "^profile goswiss \(built-in\): .*, version go1\.26\.[0-9]+, fields for go1\.26\*$" "$TMP/list.out"
	if [ $name = tsgo ]; then
		mod=$(strings -n 8 "$bin" | grep -m1 -oP '^mod\t\K[^\t]+')
		check "tsgo: --list names its module $mod, its build info's mod line by strings" \
			grep -qF "(module $mod)" "$TMP/list.out"
	fi
	[ $FAILS -eq 0 ] || sed 's/^/# /' "$TMP/list.out"
done

# --- an older pclntab: one line, non-zero ---------------------------------------------------
start_waiting o "${OLDPCLN:-.output/tests/progs/oldpcln}"
wait_exec "$o_pid" "${OLDPCLN:-.output/tests/progs/oldpcln}" || echo "# oldpcln did not start"
"$MAPTRACE" -p "$o_pid" --list >"$TMP/list.out" 2>"$TMP/list.err"
rc=$?
stop_waiting o
check "a Go 1.16-1.17 pclntab: --list refuses, exit status non-zero ($rc)" [ $rc -ne 0 ]
check "a Go 1.16-1.17 pclntab: one line naming the format and the fix: $(head -c 300 "$TMP/list.err")" \
	grep -qxF "maptrace: PID $o_pid (oldpcln): its .gopclntab is of Go 1.16-1.17 (magic 0xfffffffa), which maptrace does not read; rebuild it with Go 1.18 or later" "$TMP/list.err"
check "a Go 1.16-1.17 pclntab: nothing else is printed" \
	[ "$(wc -l <"$TMP/list.err")" -eq 1 ] && [ ! -s "$TMP/list.out" ]

# --- not Go: no Go line ---------------------------------------------------------------------
start_waiting c cat
"$MAPTRACE" -p "$c_pid" --list >"$TMP/list.out" 2>&1
rc=$?
stop_waiting c
check "a C program: --list exits 0 and says nothing about Go" \
	[ $rc -eq 0 ] && ! grep -q '^Go ' "$TMP/list.out"
finish
