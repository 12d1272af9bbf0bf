#!/usr/bin/env bash
# Go releases other than go1.26, in real, stripped production binaries from npm
# (scripts/go-bins.sh --print-older, pinned):
#   - go1.24 (tsgo 7.0.0-dev.20250807.1, go1.24.6) and go1.25 (esbuild 0.27.7, go1.25.7):
#     every check of test_go_swiss.sh on them (GO_SWISS=older): the machine code of the
#     probed functions, --list's sites and the goswiss fields line of the release, the grows
#     against bpftrace at the same addresses, the count, the stacks, the sync.Mutex waits,
#     traced output equal to untraced; RUNS (3) traced runs each;
#   - go1.23 (esbuild 0.25.12, go1.23.12: classic hmap maps, a layout maptrace has not
#     checked): --list names the version and the versions the go profile knows, in one line,
#     and attaches no Go probe; a traced run still gives the program's own output;
#   - go1.27 (a copy of the go1.25 esbuild whose version string says go1.27.0): --list refuses
#     the goswiss profile in one line naming the version and the releases it knows;
#   - traced, both say on maptrace's "tracing" line that no map is probed, and why (the version).
# Needs root, bpftrace, npm (once).
# timeout: 600
source "$(dirname "$0")/lib.sh"

GO_SWISS=older RUNS=${RUNS:-3} bash "$(dirname "$0")/test_go_swiss.sh" || FAILS=$((FAILS + 1))

old=$(scripts/go-bins.sh --print-older | awk '$1 == "go1.23" && $2 == "esbuild" { print $3 }')
check "scripts/go-bins.sh installs esbuild of go1.23" [ -x "$old" ]
[ -x "$old" ] || finish
cp "$old" "$TMP/esbuild" || { not_ok "copy $old to $TMP"; finish; }
bin=$TMP/esbuild
ver=$(strings -n 6 "$bin" | grep -xE 'go1\.[0-9]+(\.[0-9]+)?' | sort -u)
check "esbuild $("$bin" --version) is Go 1.23 ($ver, by strings)" [ "${ver%.*}" = go1.23 ]

"$MAPTRACE" --list -- "$bin" --version >"$TMP/list.out" 2>&1
rc=$?
check "go1.23: --list exits 0 ($rc)" [ $rc -eq 0 ]
check "go1.23: --list names the version, hmap maps found by runtime.hashGrow" \
	grep -qxF "    maps: hmap buckets (Go <= 1.23; runtime.hashGrow)" "$TMP/list.out"
for p in go gosync; do
	check "go1.23: --list: profile $p refused in one line naming $ver and go1.19*" \
		grep -qxF "profile $p (built-in): not matched: $bin is Go $ver; the $p profile knows go1.19* only" "$TMP/list.out"
done
check "go1.23: --list: profile goswiss not matched (no internal/runtime/maps.(*table).rehash)" \
	grep -qE "^profile goswiss: not matched: .* has no symbol internal/runtime/maps\.\(\*table\)\.rehash " "$TMP/list.out"
check "go1.23: --list: no probe site in the Go runtime" \
	grep -qxF "0 profile probe sites would be attached" "$TMP/list.out"
[ $FAILS -eq 0 ] || sed 's/^/# /' "$TMP/list.out"

# a Go release after the last one checked: esbuild go1.25.7 with its runtime.buildVersion (its
# only version string: it has no build info) patched to go1.27.0 in a copy
new_bin=$(awk '$1 == "go1.25" && $2 == "esbuild" { print $3 }' < <(scripts/go-bins.sh --print-older))
python3 - "$new_bin" "$TMP/esbuild127" <<'PY'
import sys
d = open(sys.argv[1], "rb").read()
assert d.count(b"go1.25.7\0") == 1
open(sys.argv[2], "wb").write(d.replace(b"go1.25.7\0", b"go1.27.0\0"))
PY
chmod +x "$TMP/esbuild127"
"$MAPTRACE" --list -- "$TMP/esbuild127" --version >"$TMP/list127.out" 2>&1
check "go1.27 (a patched copy): --list: profile goswiss refused in one line naming go1.27.0 and the releases checked" \
	grep -qxF "profile goswiss (built-in): not matched: $TMP/esbuild127 is Go go1.27.0; the goswiss profile knows go1.24*, go1.25*, go1.26* only" "$TMP/list127.out"
check "go1.27 (a patched copy): --list: no probe site" \
	grep -qxF "0 profile probe sites would be attached" "$TMP/list127.out"
[ $FAILS -eq 0 ] || sed 's/^/# /' "$TMP/list127.out"

# traced, it reports futex waits only, and the program's output is its own
want=$("$bin" --version)
"$MAPTRACE" -q -- "$bin" --version >"$TMP/run.out" 2>"$TMP/run.err"
rc=$?
check "go1.23: a traced run exits 0 ($rc) and prints esbuild's version first" \
	[ $rc -eq 0 -a "$(head -1 "$TMP/run.out")" = "$want" ]
check "go1.23: the traced run says why no map is probed, naming the version: $(head -1 "$TMP/run.err")" \
	grep -qE "^maptrace: tracing PID [0-9]+ \(esbuild\): no map library found \(esbuild is Go ${ver//./\\.}; the go profile knows go1\.19\* only\), reporting futex waits only; Ctrl-C to stop\$" "$TMP/run.err"
"$MAPTRACE" -q -- "$TMP/esbuild127" --version >"$TMP/run127.out" 2>"$TMP/run127.err"
rc=$?
ran127() {
	[ $rc -eq 0 -a "$(head -1 "$TMP/run127.out")" = "$("$TMP/esbuild127" --version)" ] &&
		grep -qE "$1" "$TMP/run127.err"
}
check "go1.27 (a patched copy): a traced run exits 0 ($rc), prints esbuild's version, and says why no map is probed: $(head -1 "$TMP/run127.err")" \
	ran127 "^maptrace: tracing PID [0-9]+ \(esbuild127\): no map library found \(esbuild127 is Go go1\.27\.0; the goswiss profile knows go1\.24\*, go1\.25\*, go1\.26\* only\), reporting futex waits only; Ctrl-C to stop\$"
finish
