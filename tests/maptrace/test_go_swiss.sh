#!/usr/bin/env bash
# Go 1.24+ Swiss-table maps in real, stripped production binaries: tsgo type-checking a
# generated TypeScript project and esbuild bundling a generated JavaScript project (both go1.26,
# from npm through scripts/go-bins.sh), each traced from its first instruction with no flag
# (maptrace -- CMD; the built-in goswiss profile).  Oracles:
#   - the machine code, by objdump at the entries maptrace's pclntab reader gives (gonm):
#     (*table).rehash compares 2 x t.capacity with 1024 and calls grow below it and split
#     above it, growToTable makes its table with capacity 16; every probed function starts
#     with "cmp 0x10(%r14),%rsp; jbe; push %rbp", and --list probes each push (emulated);
#   - bpftrace, at the same addresses, in the same run, reading the program's own registers
#     and fields: the map, the small map's used count at growToTable (8: its one group is
#     full), the table's capacity and grow's newCapacity argument (twice it), split's table
#     (1024 slots), the map's used count at each grow.  maptrace's resize events must be the
#     same multiset of (map, old size, new size, count);
#   - bpftrace again, timing each grow from that push to where the call returns in its caller
#     (rehash; each runtime.mapassign* for growToTable), and reading the map's globalDepth
#     (u8 @32) there: map by map, maptrace's grows are bpftrace's in order with the same
#     directory depth, and each grow's span interleaves with bpftrace's exactly: maptrace's
#     start <= bpftrace's (the same push; maptrace's handler runs first) <= maptrace's end (the
#     epilogue) <= bpftrace's end (the caller, after the ret).  The depth path is Swiss growth:
#     0 from growToTable, unchanged by a grow, +0 or +1 at a split, 2^depth >= tables;
#   - the stacks: the probed function, its caller by the machine code (rehash for grow and
#     split, a runtime.mapassign* for growToTable), down to runtime.goexit or runtime.main,
#     or cut at the kernel's perf_event_max_stack frames;
#   - sync.Mutex and sync.RWMutex waits (internal/sync.(*Mutex).lockSlow, the slow path of
#     Lock, on m; sync.runtime_SemacquireRWMutexR on &rw.readerSem = rw + 12, a reader;
#     sync.runtime_SemacquireRWMutex on &rw.writerSem = rw + 8, a writer): bpftrace's count of
#     calls per lock at each entry's push equals maptrace's waits per lock, its reads the
#     readerSem calls, and each wait's stack starts at its function's epilogue (objdump: "add;
#     pop %rbp; ret"); each wait's goroutine id is the g.goid bpftrace read at that entry from
#     R14 plus the offset the binary's own runtime.goroutineheader prints it from (objdump),
#     wait by wait;
#   - map creation (--detail only): makemap_small and NewMap each call internal/runtime/maps.rand
#     once the Map exists (objdump); --list probes those calls, with --detail only.  bpftrace at
#     the instruction after each call reads the Map from the stack slot the function reloads it
#     from (objdump: "mov OFF(%rsp),%rcx") and NewMap's hint from RBX at its entry's push, per
#     goroutine: maptrace's creations are the same multiset of (map, hint), and none by
#     default.  Every creation's stack: the site, then down to runtime.goexit/main (or cut);
#     every grown map created while traced is named where it was created (its row's stack),
#     and one without a creation was seen by bpftrace on its goroutine's stack at a grow
#     (made inline by the compiler: no call) or lost its creation's stack (counted);
#   - the programs themselves: the traced output equals the untraced one (tsgo's diagnostics,
#     esbuild's bundle), and RUNS traced runs of each exit as the untraced run did.
# GO_SWISS=older runs it all on older releases of the same programs instead (tsgo built with
# go1.24.6, esbuild with go1.25.7: scripts/go-bins.sh --print-older), as test_go_versions.sh does.
# Needs root, bpftrace, npm (once).
# timeout: 900
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/golib.sh"

RUNS=${RUNS:-20}
FILES=${FILES:-400}
GONM=${GONM:-.output/tests/progs/gonm}
MAXSTACK=$(cat /proc/sys/kernel/perf_event_max_stack)
MAPTRACE=$(readlink -f "$MAPTRACE") # tsgo runs in its project's directory
M='internal/runtime/maps'

if [ "${GO_SWISS:-}" = older ]; then
	# the Go release each binary is meant to be, and the fields line the goswiss profile uses
	declare -A REL=([tsgo]=go1.24 [esbuild]=go1.25)
	# g.goid's offset in each release, the goswiss profile's goid= on its fields line
	declare -A GOID=([tsgo]=160 [esbuild]=152)
	mapfile -t bins < <(scripts/go-bins.sh --print-older | awk '$1 == "go1.24" && $2 == "tsgo" { t = $3 }
		$1 == "go1.25" && $2 == "esbuild" { e = $3 } END { if (t != "" && e != "") print t "\n" e }')
	check "scripts/go-bins.sh installs tsgo of go1.24 and esbuild of go1.25" [ ${#bins[@]} -eq 2 ]
else
	declare -A REL=([tsgo]=go1.26 [esbuild]=go1.26) GOID=([tsgo]=152 [esbuild]=152)
	mapfile -t bins < <(scripts/go-bins.sh --print)
	check "scripts/go-bins.sh installs tsgo and esbuild" [ ${#bins[@]} -eq 2 ]
fi
[ ${#bins[@]} -eq 2 ] || finish
# private copies where bpftrace can name them (no '@' in the path); tsgo reads its lib*.d.ts
# from beside itself
mkdir -p "$TMP/tsgo.d"
cp -r "$(dirname "${bins[0]}")/." "$TMP/tsgo.d/" && cp "${bins[1]}" "$TMP/esbuild" ||
	{ not_ok "copy tsgo and esbuild to $TMP"; finish; }
tsgo_bin=$TMP/tsgo.d/tsgo esbuild_bin=$TMP/esbuild
gen_project ts "$TMP/tsp" "$FILES"
gen_project js "$TMP/jsp" "$FILES"

# bt_types BPFTRACE-OUTPUT JSON BINARY: maptrace's type of each goswiss map against the type
# descriptors bpftrace read at its grows (typ, RBX), named here from the file on its own: a
# descriptor's name is at .rodata's start (where the linker puts runtime.types) plus its str
# (int32 @40): a flag byte, a varint length, the bytes, less a leading '*' when tflag (@20) has
# tflagExtraStar (2); its kind (@23, & 31) is 21 for a map.  Prints "rows named agree badkind
# badname", then the first disagreements
bt_types() {
	python3 - "$@" <<'PY'
import json, re, struct, subprocess, sys
bt, js, path = sys.argv[1:4]
seen = {}
for line in open(bt):
    m = re.match(r"@ty\[(\d+), (\d+)\]: (\d+)$", line.strip())
    if m:
        seen.setdefault("0x%x" % int(m.group(1)), set()).add(int(m.group(2)))
sec = re.search(r"\.rodata\s+PROGBITS\s+([0-9a-f]+)\s+([0-9a-f]+)",
                subprocess.check_output(["readelf", "-SW", path], text=True))
base, foff = int(sec.group(1), 16), int(sec.group(2), 16)
data = open(path, "rb").read()
def name(t):
    o = t - base + foff
    tflag, kind, s = data[o + 20], data[o + 23] & 31, struct.unpack_from("<i", data, o + 40)[0]
    p, n, i, shift = foff + s, 0, 1, 0
    while True:
        b = data[p + i]
        n |= (b & 0x7f) << shift
        i, shift = i + 1, shift + 7
        if not b & 0x80:
            break
    nm = data[p + i:p + i + n].decode()
    return (nm[1:] if tflag & 2 else nm), kind
ok_name = re.compile(r"^(map\[.+\].+|[\w./-]+\.[A-Za-z_]\w*(\[.+\])?)$")
rows = [m for m in json.load(open(js))["maps"] if m["library"] == "goswiss" and m["grows"]]
named = agree = badkind = badname = 0
bad = []
for m in rows:
    got = [name(t) for t in seen.get(m["addr"], ())]
    badkind += any(k != 21 for _, k in got)
    if m["go_type"]:
        named += 1
        badname += not ok_name.match(m["go_type"])
    if m["go_type"] in [n for n, _ in got]:
        agree += 1
    elif len(bad) < 3:
        bad.append("%s: maptrace %s, bpftrace %s" % (m["addr"], m["go_type"], got))
print(len(rows), named, agree, badkind, badname)
for b in bad:
    print("# " + b)
PY
}

# bt_grows BPFTRACE-OUTPUT: its grows, one "map old new" line each: growToTable is 8 -> 16 when
# the small map's used was 8, a grow t.capacity -> newCapacity, a split 1024 -> 2 x 1024 (two
# tables); anything else is printed so that it differs
bt_grows() {
	python3 - "$1" <<'PY'
import re, sys
for line in open(sys.argv[1]):
    m = re.match(r"@g\[(\w+), (\d+), (\d+), (\d+)\]: (\d+)$", line.strip())
    if not m:
        continue
    kind, mp, a, b, n = m.group(1), "0x%x" % int(m.group(2)), int(m.group(3)), int(m.group(4)), int(m.group(5))
    if kind == "small":
        key = "%s 8 16" % mp if a == 8 else "%s small-used-%d" % (mp, a)
    elif kind == "grow":
        key = "%s %d %d" % (mp, a, b) if b == 2 * a else "%s %d grow-to-%d" % (mp, a, b)
    else:
        key = "%s 1024 2048" % mp if a == 1024 else "%s split-of-%d" % (mp, a)
    for _ in range(n):
        print(key)
PY
}

# bt_used BPFTRACE-OUTPUT: "map capacity used" of @used, the largest used at a table's grow
bt_used() {
	python3 - "$1" <<'PY'
import re, sys
for line in open(sys.argv[1]):
    m = re.match(r"@used\[(\d+), (\d+)\]: (\d+)$", line.strip())
    if m:
        print("0x%x %s %s" % (int(m.group(1)), m.group(2), m.group(3)))
PY
}

# bt_locks BPFTRACE-OUTPUT: "lock waits reads" from @waits (lockSlow), @rsem and @wsem (the
# RWMutex semacquires), each keyed by the lock's address
bt_locks() {
	python3 - "$1" <<'PY'
import re, sys
tot, rd = {}, {}
for line in open(sys.argv[1]):
    m = re.match(r"@(waits|rsem|wsem)\[(\d+)\]: (\d+)$", line.strip())
    if m:
        a = int(m.group(2))
        tot[a] = tot.get(a, 0) + int(m.group(3))
        if m.group(1) == "rsem":
            rd[a] = rd.get(a, 0) + int(m.group(3))
for a in tot:
    print("0x%x %d %d" % (a, tot[a], rd.get(a, 0)))
PY
}

# bt_goids BPFTRACE-OUTPUT: "mutex goid" per lockSlow call, from @gid[mutex, goid]
bt_goids() {
	python3 - "$1" <<'PY'
import re, sys
for line in open(sys.argv[1]):
    m = re.match(r"@gid\[(\d+), (\d+)\]: (\d+)$", line.strip())
    if m:
        print(("0x%x %s\n" % (int(m.group(1)), m.group(2))) * int(m.group(3)), end="")
PY
}

# prog NAME OUT PREFIX...: run NAME on its project under PREFIX (nothing, or maptrace ... --);
# its stdout (and for tsgo maptrace's, after it) into OUT; esbuild's bundle into OUT.js
prog() {
	local name=$1 out=$2
	shift 2
	case $name in
	tsgo) (cd "$TMP/tsp" && "$@" "$tsgo_bin" -p .) >"$out" 2>"$out.err" ;;
	esbuild) "$@" "$esbuild_bin" "$TMP/jsp/src/main.js" --bundle --format=esm --outfile="$out.js" \
		>"$out" 2>"$out.err" ;;
	esac
}

# same_output NAME UNTRACED TRACED: the program's own output is the same; maptrace's summary
# follows tsgo's output on the shared stdout
same_output() {
	case $1 in
	tsgo)
		local n
		n=$(wc -c <"$2")
		cmp -s "$2" <(head -c "$n" "$3") && [ "$(tail -c +$((n + 1)) "$3" | head -1 | cut -c1-7)" = SUMMARY ]
		;;
	esbuild) cmp -s "$2.js" "$3.js" ;;
	esac
}

for name in tsgo esbuild; do
	bin_var=${name}_bin
	bin=${!bin_var}
	prog $name "$TMP/$name.untraced"
	urc=$?
	[ -s "$TMP/$name.untraced" ] || [ -s "$TMP/$name.untraced.js" ]
	check "$name: untraced run has output (exit $urc)" [ $? -eq 0 ]

	# --- the functions, from pclntab (gonm), checked against their machine code ---------
	declare -A E=() S=()
	while read -r entry _ fname; do
		E[$fname]=$entry
	done < <("$GONM" "$bin" "^$M\\.\\((\\*Map\\)\\.growToTable|\\*table\\)\\.(rehash|grow|split))\$")
	read -r ls_entry ls_end _ < <("$GONM" "$bin" '^internal/sync\.\(\*Mutex\)\.lockSlow$')
	read -r rs_entry rs_end _ < <("$GONM" "$bin" '^sync\.runtime_SemacquireRWMutexR$')
	read -r ws_entry ws_end _ < <("$GONM" "$bin" '^sync\.runtime_SemacquireRWMutex$')
	read -r gh_entry gh_end _ < <("$GONM" "$bin" '^runtime\.goroutineheader$')
	goid_off=$(go_goid_off "$bin" "${gh_entry:-0}" "${gh_end:-0}")
	check "$name: runtime.goroutineheader prints gp.goid from the g's offset ${GOID[$name]}, the goswiss profile's goid=u64@(g)+${GOID[$name]} for ${REL[$name]} (objdump: ${goid_off:-none})" \
		[ "$goid_off" = "${GOID[$name]}" ]
	check "$name: pclntab names growToTable, rehash, grow and split" [ ${#E[@]} -eq 4 ]
	rehash=${E["$M.(*table).rehash"]:-0} grow=${E["$M.(*table).grow"]:-0}
	split=${E["$M.(*table).split"]:-0} gtt=${E["$M.(*Map).growToTable"]:-0}
	rehash_code=$(objdump -d --no-show-raw-insn --start-address=0x$rehash \
		--stop-address=$((16#$rehash + 0x40)) "$bin")
	check "$name: rehash at 0x$rehash compares 2 x t.capacity (0x2(%rax)) with 1024, calls grow (0x$grow) and split (0x$split)" \
		[ "$(grep -cE "call +0x($grow|$split)\$" <<<"$rehash_code")" -eq 2 -a \
		"$(grep -cE 'movzwl 0x2\(%rax\),|cmp +\$0x400,' <<<"$rehash_code")" -eq 2 ]
	check "$name: growToTable at 0x$gtt makes a table of capacity 16" \
		grep -qE 'mov +\$0x10,%ebx' <(objdump -d --no-show-raw-insn --start-address=0x$gtt \
		--stop-address=$((16#$gtt + 0x30)) "$bin")
	want_sites=""
	for f in "$M.(*Map).growToTable" "$M.(*table).grow" "$M.(*table).split"; do
		S[$f]=$(go_push_after_check "$bin" "${E[$f]:-0}")
		want_sites+="$f+0x$(printf %x $((16#${S[$f]:-0} - 16#${E[$f]:-0}))) 0x${S[$f]} push"$'\n'
	done
	check "$name: each probed function starts cmp 0x10(%r14),%rsp; jbe; push %rbp (objdump)" \
		[ -n "${S["$M.(*Map).growToTable"]}" -a -n "${S["$M.(*table).grow"]}" -a -n "${S["$M.(*table).split"]}" ]

	# --- --list: the goswiss profile's three sites, each a push (emulated) ----------------
	maptrace_list=$("$MAPTRACE" --list -- "$bin" --version 2>&1)
	# the release: the one go1.N.M string in the binary (strings), and its own fields line
	ver=$(strings -n 6 "$bin" | grep -xE 'go1\.[0-9]+(\.[0-9]+)?' | sort -u)
	release_fields() { [ "${ver%.*}" = "${REL[$name]}" ] && grep -qE "$1" <<<"$maptrace_list"; }
	check "$name: the binary is Go ${REL[$name]} ($ver, by strings), and the goswiss profile applies its ${REL[$name]}* fields" \
		release_fields "^profile goswiss \(built-in\): .*, version ${ver//./\\.}, fields for ${REL[$name]//./\\.}\*\$"
	# sync.Map is a hash-trie from Go 1.24 (--list says so): each of its methods the linker
	# kept (the rest are inlined) calls internal/sync.(*HashTrieMap[...])'s
	htm=$("$GONM" "$bin" '^internal/sync\.\(\*HashTrieMap\[.*\]\)\.' | awk '{ print $1 }' | paste -sd'|')
	sm_calls=$("$GONM" "$bin" '^sync\.\(\*Map\)\.' | while read -r s e f; do
		objdump -d --no-show-raw-insn --start-address=0x$s --stop-address=0x$e "$bin" |
			grep -qE "call +0x(${htm:-none})( |\$)" && echo "$f calls" || echo "$f does-not"
	done)
	check "$name: every sync.(*Map) method in the binary calls a HashTrieMap method: a hash-trie ($(grep -c ' calls$' <<<"$sm_calls") of them)" \
		[ -n "$sm_calls" -a "$(grep -c ' does-not$' <<<"$sm_calls")" -eq 0 ]
	check "$name: --list: sync.Map is a hash-trie, no misses or promotions to count" \
		grep -qxF "    sync.Map: a hash-trie (Go >= 1.24), no read-only snapshot: no misses or promotions to count" <<<"$maptrace_list"
	got_sites=$(awk '/^profile goswiss /{ t = 1; next } /^[^ ]/{ t = 0 }
		t && $1 == "grow_begin" { print $2, $3, $4 }' <<<"$maptrace_list" | sed -E 's/ 0x0*/ 0x/')
	check "$name: --list: profile goswiss probes the push of growToTable, grow and split (emulated)" \
		[ "$got_sites" = "${want_sites%$'\n'}" ]
	# each grow's end: the epilogue "add; pop %rbp; ret" of each, single-stepped
	want_ends=$(for f in "$M.(*Map).growToTable" "$M.(*table).grow" "$M.(*table).split"; do
		read -r _ fend _ < <("$GONM" "$bin" "^$(sed 's/[.()*]/\\&/g' <<<"$f")\$")
		for a in $(go_pop_epilogues "$bin" "${E[$f]:-0}" "${fend:-0}"); do echo "0x$a single-step"; done
	done | sort)
	got_ends=$(list_sites goswiss grow_end <(echo "$maptrace_list"))
	check "$name: --list: each grow's end is its epilogue's add (single-stepped), by objdump ($(echo $want_ends))" \
		[ -n "$want_ends" -a "$got_ends" = "$want_ends" ]
	# internal/sync.(*Mutex).lockSlow (sync.Mutex's slow path; twice, by caller: from
	# sync.(*RWMutex).Lock a writer) and the RWMutex's two semacquires: each entry's push, and
	# each epilogue "add; pop %rbp; ret", where the frame is still whole
	ls_push=$(go_push_after_check "$bin" "${ls_entry:-0}")
	ls_epi=$(go_pop_epilogues "$bin" "${ls_entry:-0}" "${ls_end:-0}")
	rs_push=$(go_push_after_check "$bin" "${rs_entry:-0}")
	rs_epi=$(go_pop_epilogues "$bin" "${rs_entry:-0}" "${rs_end:-0}")
	ws_push=$(go_push_after_check "$bin" "${ws_entry:-0}")
	ws_epi=$(go_pop_epilogues "$bin" "${ws_entry:-0}" "${ws_end:-0}")
	got_lock=$(awk '/^profile goswiss /{ t = 1; next } /^[^ ]/{ t = 0 }
		t && ($1 == "lock" || $1 == "lock_end") {
			for (i = 3; i <= NF; i++) if ($i ~ /^0x/) { print $1, $i, $(i + 1); break } }' <<<"$maptrace_list" |
		sed -E 's/ 0x0*/ 0x/' | sort)
	want_lock=$(printf '%s\n' "lock 0x$ls_push push" "lock 0x$ls_push push" "lock_end 0x$ls_epi single-step" \
		"lock 0x$rs_push push" "lock_end 0x$rs_epi single-step" "lock 0x$ws_push push" \
		"lock_end 0x$ws_epi single-step" | sort)
	check "$name: --list: the pushes (emulated) and epilogue adds (single-stepped) of lockSlow (two probes), runtime_SemacquireRWMutexR and runtime_SemacquireRWMutex, by objdump (0x$ls_push 0x$ls_epi, 0x$rs_push 0x$rs_epi, 0x$ws_push 0x$ws_epi)" \
		[ -n "$ls_push" -a -n "$rs_push" -a -n "$ws_push" -a "$(wc -w <<<"$ls_epi $rs_epi $ws_epi")" -eq 3 -a \
		"$got_lock" = "$want_lock" ]
	[ "$got_lock" = "$want_lock" ] || echo "# got: $got_lock" "# want: $want_lock"
	[ "$got_sites" = "${want_sites%$'\n'}" ] || echo "# want: $want_sites# got: $got_sites"

	# --- map creation: makemap_small's and NewMap's call of maps.rand, the Map made ----------
	read -r mr_entry _ < <("$GONM" "$bin" "^$M\\.rand\$")
	read -r ms_entry ms_end _ < <("$GONM" "$bin" '^runtime\.makemap_small$')
	read -r nm_entry nm_end _ < <("$GONM" "$bin" "^$M\\.NewMap\$")
	# "CALL AFTER OFF": the one call of rand, the next instruction, the %rsp slot it reloads
	# the Map from into RCX
	rand_call() {
		objdump -d --no-show-raw-insn --start-address=0x$1 --stop-address=0x$2 "$bin" |
			awk -v r="0x${mr_entry:-none}" '/^ *[0-9a-f]+:/ { sub(":", "", $1)
				if (c) { if ($2 == "mov" && $3 ~ /^0x[0-9a-f]+\(%rsp\),%rcx$/) { split($3, o, "(")
					print c, $1, o[1] } c = "" }
				if ($2 == "call" && $3 == r) { n++; c = $1 } } END { if (n != 1) print "calls", n }'
	}
	read -r ms_call ms_after ms_off < <(rand_call "${ms_entry:-0}" "${ms_end:-0}")
	read -r nm_call nm_after nm_off < <(rand_call "${nm_entry:-0}" "${nm_end:-0}")
	# (*Map).Clone (Go 1.25+; Go 1.24's maps.Clone calls makemap): "CALL AFTER OFF NEXT": its
	# one call of runtime.newobject, where it returns (the Map in RAX), the slot it stores the
	# Map to there ("mov %rax,OFF(%rsp)"), the instruction after that
	read -r no_entry _ < <("$GONM" "$bin" '^runtime\.newobject$')
	read -r cl_entry cl_end _ < <("$GONM" "$bin" "^$M\\.\\(\\*Map\\)\\.Clone\$")
	cl_call= cl_after= cl_off= cl_next=
	[ -n "$cl_entry" ] && read -r cl_call cl_after cl_off cl_next < <(objdump -d --no-show-raw-insn \
		--start-address=0x$cl_entry --stop-address=0x$cl_end "$bin" |
		awk -v r="0x${no_entry:-none}" '/^ *[0-9a-f]+:/ { sub(":", "", $1)
			if (s == 2) { print c, a, o; print $1; exit }
			if (s == 1) { if ($2 == "mov" && $3 ~ /^%rax,0x[0-9a-f]+\(%rsp\)$/) { split($3, x, /[,(]/); a = $1; o = x[2]; s = 2 } else exit }
			if ($2 == "call" && $3 == r) { c = $1; s = 1 } }' | paste -sd' ')
	check "$name: makemap_small and NewMap each call $M.rand once, then reload the Map from the stack (objdump: 0x$ms_call $ms_off(%rsp), 0x$nm_call $nm_off(%rsp))" \
		[ -n "$ms_off" -a -n "$nm_off" -a "${ms_call:-calls}" != calls -a "${nm_call:-calls}" != calls ]
	# NewMap(typ, hint, m, maxAlloc) spills hint (RBX) to its slot at fp + 24 (16 + 8 x 1),
	# where the profile's hint=u64@(fp)+24 reads it: "sub $N,%rsp" then "mov %rbx,N+24(%rsp)"
	nm_frame=$(objdump -d --no-show-raw-insn --start-address=0x${nm_entry:-0} --stop-address=0x${nm_call:-0} "$bin" |
		python3 -c 'import re, sys
f = None
for l in sys.stdin:
    m = re.search(r"\ssub\s+\$0x([0-9a-f]+),%rsp$", l)
    if m: f = int(m.group(1), 16)
    if f is not None and re.search(r"\smov\s+%%rbx,0x%x\(%%rsp\)$" % (f + 24), l): print(hex(f)); break')
	check "$name: NewMap spills its hint (RBX) to fp + 24 before it calls rand (objdump: frame ${nm_frame:-none})" [ -n "$nm_frame" ]
	nm_push=$(go_push_after_check "$bin" "${nm_entry:-0}")
	got_create=$(awk '/^profile goswiss /{ t = 1; next } /^[^ ]/{ t = 0 }
		t && $1 == "create" { print $2, $3, $4, $5, $NF }' <<<"$maptrace_list" | sed -E 's/ 0x0*/ 0x/')
	want_create="runtime.makemap_small:call+0x$(printf %x $((16#${ms_call:-0} - 16#${ms_entry:-0}))) 0x$ms_call branch (emulated) --detail)"$'\n'"$M.NewMap:call+0x$(printf %x $((16#${nm_call:-0} - 16#${nm_entry:-0}))) 0x$nm_call branch (emulated) --detail)"
	# Go 1.24 has no (*Map).Clone: --list says "not needed" for it
	[ -n "$cl_entry" ] || grep -qF "    not needed: create $M.(*Map).Clone>runtime.newobject:ret in goswiss: " <<<"$maptrace_list" ||
		want_create+=$'\n'"(no line: not needed: create $M.(*Map).Clone>runtime.newobject:ret)"
	[ -n "$cl_entry" ] && want_create+=$'\n'"$M.(*Map).Clone>runtime.newobject:ret+0x$(printf %x $((16#${cl_after:-0} - 16#$cl_entry))) 0x$cl_after single-step ~5 --detail)"
	check "$name: --list: the creation probes are those calls (emulated)${cl_entry:+ and where the new(Map) of Clone returns (0x$cl_after, single-stepped; stored to ${cl_off:-none}(%rsp))}, with --detail only" \
		[ "$got_create" = "$want_create" ] && [ -z "$cl_entry" -o -n "$cl_off" ]
	[ "$got_create" = "$want_create" ] || echo "# want: $want_create"$'\n'"# got: $got_create"

	# twice: by default (growToTable and grow seen at entry, untimed; split timed) and with
	# --detail (every grow timed at its epilogue); F: the files of this mode
	for mode in default detail; do
		F=$TMP/$name.$mode sfx= dflag=
		[ $mode = detail ] && sfx=" --detail" dflag=--detail
		# --- one run traced by maptrace and bpftrace at once ----------------------------------
		# per grow: the map, old and new size, the map's used count.  growToTable(m): m.used is
		# the full small group; grow(t, typ, m, newCapacity): t.capacity @2; split(t, typ, m)
		o_gtt=$(file_offset "$bin" "${S["$M.(*Map).growToTable"]}")
		o_grow=$(file_offset "$bin" "${S["$M.(*table).grow"]}")
		o_split=$(file_offset "$bin" "${S["$M.(*table).split"]}")
		o_lock=$(file_offset "$bin" "${ls_push:-0}")
		o_rsem=$(file_offset "$bin" "${rs_push:-0}")
		o_wsem=$(file_offset "$bin" "${ws_push:-0}")
		o_nmpush=$(file_offset "$bin" "${nm_push:-0}")
		o_nmafter=$(file_offset "$bin" "${nm_after:-0}")
		o_msafter=$(file_offset "$bin" "${ms_after:-0}")
		# (*Map).Clone (Go 1.25+): after its store of the new Map, from that slot
		cl_probe=
		[ -n "$cl_next" ] && cl_probe="uprobe:$bin:$(file_offset "$bin" "$cl_next") { @cc[*(uint64 *)(reg(\"sp\") + $cl_off)] = count(); }"
		# where each grow returns to: after rehash's calls of grow and split, after each
		# runtime.mapassign*'s call of growToTable (objdump); not in the probed functions, whose
		# code maptrace disassembles (a uprobe's int3 there would be in its copy of the file too)
		ret_sites=$(while read -r s e _; do
			objdump -d --no-show-raw-insn --start-address=0x$s --stop-address=0x$e "$bin" |
				awk -v t="^0x($grow|$split|$gtt)\$" '/^ *[0-9a-f]+:/ { if (c) { sub(":", "", $1); print $1 } c = $2 == "call" && $3 ~ t }'
		done < <("$GONM" "$bin" "^($M\\.\\(\\*table\\)\\.rehash|runtime\\.mapassign.*)\$"))
		bt_ends=$(for a in $ret_sites; do printf 'uprobe:%s:%s,' "$bin" "$(file_offset "$bin" $a)"; done)
		check "$name$sfx: rehash calls grow and split, runtime.mapassign* growToTable: $(wc -w <<<"$ret_sites") return sites (objdump)" \
			[ "$(wc -w <<<"$ret_sites")" -ge 3 ]
		# per goroutine (R14): the push's time, the map, the kind (1 growToTable, 2 grow, 3 split);
		# at the return site @e[map, start, end, kind, globalDepth]
		# and each map's type descriptor, typ (RBX) in all three
		# and (for the creations) each grown map that lies on its goroutine's stack, [g.stack.lo,
		# g.stack.hi) at g (R14) + 0 and + 8
		stk='>= *(uint64 *)reg("r14") && reg("R") < *(uint64 *)(reg("r14") + 8)) { @onstack[reg("R")] = count(); }'
		stk_ax="if (reg(\"ax\") ${stk//R/ax}" stk_cx="if (reg(\"cx\") ${stk//R/cx}"
		BPFTRACE_MAP_KEYS_MAX=1000000 bt_start "uprobe:$bin:$o_gtt { @g[\"small\", reg(\"ax\"), *(uint64 *)reg(\"ax\"), (uint64)0] = count(); $stk_ax
				@ty[reg(\"ax\"), reg(\"bx\")] = count();
				@s[reg(\"r14\")] = nsecs; @m[reg(\"r14\")] = reg(\"ax\"); @k[reg(\"r14\")] = 1; }
			uprobe:$bin:$o_grow { @ty[reg(\"cx\"), reg(\"bx\")] = count(); @g[\"grow\", reg(\"cx\"), (uint64)*(uint16 *)(reg(\"ax\") + 2),
				reg(\"di\") & 0xffff] = count(); $stk_cx @used[reg(\"cx\"), (uint64)*(uint16 *)(reg(\"ax\") + 2)] = max(*(uint64 *)reg(\"cx\"));
				@s[reg(\"r14\")] = nsecs; @m[reg(\"r14\")] = reg(\"cx\"); @k[reg(\"r14\")] = 2; }
			uprobe:$bin:$o_split { @g[\"split\", reg(\"cx\"), (uint64)*(uint16 *)(reg(\"ax\") + 2),
				(uint64)0] = count(); $stk_cx @ty[reg(\"cx\"), reg(\"bx\")] = count(); @s[reg(\"r14\")] = nsecs; @m[reg(\"r14\")] = reg(\"cx\"); @k[reg(\"r14\")] = 3; }
			${bt_ends%,} { \$g = reg(\"r14\"); if (@s[\$g]) {
				@e[@m[\$g], @s[\$g], nsecs, @k[\$g], (uint64)*(uint8 *)(@m[\$g] + 32)] = count(); delete(@s[\$g]); } }
			uprobe:$bin:$o_nmpush { @hint[reg(\"r14\")] = reg(\"bx\"); }
			uprobe:$bin:$o_nmafter { @cr[*(uint64 *)(reg(\"sp\") + $nm_off), @hint[reg(\"r14\")]] = count();
				delete(@hint[reg(\"r14\")]); }
			uprobe:$bin:$o_msafter { @cs[*(uint64 *)(reg(\"sp\") + $ms_off)] = count(); }
			$cl_probe
			uprobe:$bin:$o_lock { @waits[reg(\"ax\")] = count();
				@gid[reg(\"ax\"), *(uint64 *)(reg(\"r14\") + ${goid_off:-152})] = count(); }
			uprobe:$bin:$o_rsem { @rsem[reg(\"ax\") - 12] = count();
				@gid[reg(\"ax\") - 12, *(uint64 *)(reg(\"r14\") + ${goid_off:-152})] = count(); }
			uprobe:$bin:$o_wsem { @wsem[reg(\"ax\") - 8] = count();
				@gid[reg(\"ax\") - 8, *(uint64 *)(reg(\"r14\") + ${goid_off:-152})] = count(); }"
		prog $name "$F.traced" "$MAPTRACE" -q $dflag -o "$F.mtr" --
		rc=$?
		bt_stop
		check "$name$sfx: traced run exits as untraced ($rc, $urc)" [ $rc -eq $urc ]
		check "$name$sfx: traced output equals untraced" same_output $name "$TMP/$name.untraced" "$F.traced"
		"$MAPTRACE" report "$F.mtr" --json --events --top 0 >"$F.json"

		# bpftrace's grows as "map old new": growToTable is 8 -> 16 when used was 8, a grow t.capacity
		# -> newCapacity, a split 1024 -> 2 x 1024 (two tables); anything else is printed as is
		bt_grows "$TMP/bt.out" | sort >"$F.bt.grows"
		jget "$F.json" '"\n".join("%s %d %d" % (e["map"], e["old_size"], e["new_size"])
			for e in d["event_log"] if e["type"] == "resize")' | sed '/^$/d' | sort >"$F.mt.grows"
		nbt=$(wc -l <"$F.bt.grows")
		check "$name$sfx: bpftrace saw grows of every kind: $(awk '{ print $2 "->" $3 }' "$F.bt.grows" | sort | uniq -c | sort -k2n | awk '{ printf "%s %s, ", $1, $2 }')" \
			[ "$nbt" -gt 100 -a "$(grep -c ' 8 16$' "$F.bt.grows")" -gt 0 -a \
			"$(grep -c ' 1024 2048$' "$F.bt.grows")" -gt 0 -a \
			"$(grep -cvE ' (8 16|(16|32|64|128|256|512) (32|64|128|256|512|1024)|1024 2048)$' "$F.bt.grows")" -eq 0 ]
		check "$name$sfx: maptrace's grows are bpftrace's, map by map and size by size ($(wc -l <"$F.mt.grows") and $nbt)" \
			cmp -s "$F.bt.grows" "$F.mt.grows"
		cmp -s "$F.bt.grows" "$F.mt.grows" ||
			diff "$F.bt.grows" "$F.mt.grows" | head -5 | sed 's/^/# /'
		check "$name$sfx: every row's grows are its events' (the report's table agrees with its log)" [ \
			"$(jget "$F.json" 'sum(m["grows"] for m in d["maps"] if m["library"] == "goswiss")')" = "$nbt" ]
		# a stack the kernel could not store (a full or colliding stack map) is counted, and its
		# event kept without one
		nostack=$(jget "$F.json" 'len([e for e in d["event_log"] if e["type"] == "resize" and not e.get("stack")])')
		check "$name$sfx: no record was lost; every event without a stack is counted as a dropped stack ($nostack)" [ \
			"$(jget "$F.json" 'd["dropped"] - d["dropped_detail"]["stack"] + d["events_not_kept"]')" = 0 -a \
			"$(jget "$F.json" 'd["dropped_detail"]["stack"]')" -ge "$nostack" ]

		# --- map creation: bpftrace's (map, hint) at the instruction after each call of rand -----
		python3 - "$TMP/bt.out" <<'PY' | sort >"$F.bt.creates"
import re, sys
for line in open(sys.argv[1]):
    m = re.match(r"@c([rsc])\[(\d+)(?:, (\d+))?\]: (\d+)$", line.strip())
    if m:
        print(("0x%x %s\n" % (int(m.group(2)), m.group(3) if m.group(1) == "r" else "None")) * int(m.group(4)), end="")
PY
		jget "$F.json" '"\n".join("%s %s" % (e["map"], e["hint"]) for e in d["event_log"] if e["type"] == "table_create")' |
			sed '/^$/d' | sort >"$F.mt.creates"
		nbc=$(wc -l <"$F.bt.creates")
		if [ $mode = default ]; then
			check "$name: by default no creation is probed (bpftrace saw $nbc, maptrace $(wc -l <"$F.mt.creates"))" \
				[ "$nbc" -gt 100 -a ! -s "$F.mt.creates" ]
		else
			check "$name$sfx: maptrace's creations are bpftrace's, map by map with NewMap's hint ($(wc -l <"$F.mt.creates") and $nbc: $(grep -c ' None$' "$F.bt.creates") makemap_small and Clone, $(grep -vc ' None$' "$F.bt.creates") NewMap)" \
				[ "$nbc" -gt 100 ] && cmp -s "$F.bt.creates" "$F.mt.creates"
			cmp -s "$F.bt.creates" "$F.mt.creates" || diff "$F.bt.creates" "$F.mt.creates" | head -5 | sed 's/^/# /'
			# each creation's stack: the site, then the code that made the map, down to the goroutine's
			# start (runtime.goexit) or runtime.main (package init), or cut at the kernel's limit
			jget "$F.json" 'json.dumps([e["stack"] for e in d["event_log"] if e["type"] == "table_create" and e.get("stack")])' >"$F.cst.json"
			read -r ncst cbad cgoexit ccut < <(python3 - "$MAXSTACK" "$M" "$ms_call" "$ms_entry" "$nm_call" "$nm_entry" \
				"${cl_after:-0}" "${cl_entry:-0}" "$F.cst.json" <<'PY'
import json, sys
maxst, M = int(sys.argv[1]), sys.argv[2]
sites = {"runtime.makemap_small+0x%x" % (int(sys.argv[3], 16) - int(sys.argv[4], 16)),
         M + ".NewMap+0x%x" % (int(sys.argv[5], 16) - int(sys.argv[6], 16)),
         M + ".(*Map).Clone+0x%x" % (int(sys.argv[7], 16) - int(sys.argv[8], 16))}
st = json.load(open(sys.argv[9]))
bad = goexit = cut = 0
for s in st:
    f = [x.split(" ")[0] for x in s]
    last = f[-1].split("+")[0]
    goexit += last == "runtime.goexit"
    if f[0] not in sites or len(f) < 2 or f[1].split("+")[0] in ("runtime.makemap_small", M + ".NewMap"):
        bad += 1
        if bad <= 3:
            print("# bad creation stack:", f[:3], "...", f[-1], file=sys.stderr)
    elif last not in ("runtime.goexit", "runtime.main") and len(f) != maxst:
        cut += 1
print(len(st), bad, goexit, cut)
PY
)
			ncnostack=$(jget "$F.json" 'len([e for e in d["event_log"] if e["type"] == "table_create" and not e.get("stack")])')
			# a stack the kernel's stack map refused (counted as dropped) may still come, shorter,
			# from the stack copy of --stack auto (its top 8 KB): "cut" ones, at most those dropped
			check "$name$sfx: every creation's stack starts at its site, then the code that made the map, named from pclntab, down to runtime.goexit/main or $MAXSTACK frames (${ncst:-0} stacks, $cgoexit reach goexit; ${ncnostack} without one and ${ccut:-?} cut, counted as dropped)" \
				[ "${ncst:-0}" -gt 0 -a "${cbad:-1}" = 0 -a $((ncst + ncnostack)) -eq "$nbc" -a \
				"$(jget "$F.json" 'd["dropped_detail"]["stack"]')" -ge $((nostack + ncnostack + ${ccut:-999999})) ]
			# every map that grew: created while traced (its row has the hint, known only from a
			# creation) and named where, by its creation's stack, or made with no call: on the
			# goroutine's stack at a grow (bpftrace), or its creation's stack was lost
			read -r ngrown ncreated nnamed nonstack nlost nother < <(python3 - "$F.json" "$TMP/bt.out" <<'PY'
import json, re, sys
d = json.load(open(sys.argv[1]))
onstack = set()
for line in open(sys.argv[2]):
    m = re.match(r"@onstack\[(\d+)\]: \d+$", line.strip())
    if m:
        onstack.add("0x%x" % int(m.group(1)))
nostack = {e["map"] for e in d["event_log"] if e["type"] == "table_create" and not e.get("stack")}
rows = [m for m in d["maps"] if m["library"] == "goswiss" and m["grows"]]
created = [m for m in rows if m["hint"] is not None]
named = [m for m in created if m["created_at"] and m["created_stack"]]
rest = [m for m in rows if m["hint"] is None]
ons = [m for m in rest if m["addr"] in onstack]
lost = [m for m in created if not m["created_stack"] and m["addr"] in nostack]
other = [m for m in rest if m["addr"] not in onstack]
for m in other[:3]:
    print("# grown, not created, not on a stack:", m["addr"], m["sizes"][:4], m["first_grown_at"], file=sys.stderr)
print(len(rows), len(created), len(named), len(ons), len(lost), len(other))
PY
)
			check "$name$sfx: every map that grew was created while traced and named where ($nnamed of $ncreated; $nlost lost their creation's stack), or was on its goroutine's stack at a grow (made inline, no call: $nonstack of $((ngrown - ncreated)); $nother else)" \
				[ "${ngrown:-0}" -gt 0 -a $((nnamed + nlost)) -eq "${ncreated:-0}" -a "${nother:-1}" = 0 ]
		fi

		# --- each grow's duration and directory depth, against bpftrace's ----------------------
		jget "$F.json" 'json.dumps([e for e in d["event_log"] if e["type"] == "resize"])' >"$F.rs.json"
		spans=$(python3 - "$F.rs.json" "$TMP/bt.out" <<'PY'
import collections, json, re, sys
bt, mt = collections.defaultdict(list), collections.defaultdict(list)
for line in open(sys.argv[2]):
    m = re.match(r"@e\[(\d+), (\d+), (\d+), (\d+), (\d+)\]: (\d+)$", line.strip())
    if m:
        v = [int(x) for x in m.groups()]
        bt["0x%x" % v[0]] += [(v[1], v[2], v[3], v[4])] * v[5]
nodepth = depth_bad = order_bad = span_bad = 0
timed = collections.Counter()
for e in json.load(open(sys.argv[1])):
    k = 1 if e["old_size"] == 8 else 3 if e["new_size"] == 2048 else 2
    if "dir_depth" not in e:
        nodepth += 1
        continue
    timed[k, e["dur_ns"] is not None] += 1
    start = e["ts_ns"] - e["dur_ns"] if e["dur_ns"] is not None else None
    mt[e["map"]].append((e["ts_ns"], start, k, e["dir_depth"]))
sg, eg = [], []
for m, evs in mt.items():
    evs.sort()
    evs = [(x[1], x[0], x[2], x[3]) for x in evs]
    tables = depth = None
    for _, _, k, dep in evs:
        # Swiss growth: a table of one after growToTable; a grow keeps the directory; a
        # split makes one table two and may double the directory; 2^depth >= tables
        if k == 1:
            tables, ok = 1, dep == 0
        elif k == 2:
            ok = depth is None or dep == depth
        else:
            ok = depth is None or dep in (depth, depth + 1)
            tables = tables + 1 if tables else None
        depth_bad += not ok or (tables is not None and 2 ** dep < tables)
        depth = dep
    b = sorted(bt.pop(m, []))
    if [x[2:] for x in b] != [x[2:] for x in evs]:
        order_bad += 1
        continue
    for x, y in zip(b, evs):
        if y[0] is None:
            continue
        span_bad += not (y[0] <= x[0] <= y[1] <= x[1])
        sg.append(x[0] - y[0])
        eg.append(x[1] - y[1])
order_bad += len(bt)
sg.sort(); eg.sort()
med = lambda v: v[len(v) // 2] if v else -1
untimed = "/".join(str(timed[k, False]) for k in (1, 2, 3))
print(nodepth, untimed, depth_bad, order_bad, span_bad, len(sg), med(sg), med(eg),
      max(e[3] for v in mt.values() for e in v) if mt else -1)
PY
	)
		read -r nodepth untimed depth_bad order_bad span_bad nspans sgap egap maxdepth <<<"$spans"
		# untimed growToTable/grow/split: by default the first two (no end probe), with --detail none
		nsplit=$(grep -c ' 1024 2048$' "$F.bt.grows")
		want_untimed=0/0/0
		[ $mode = default ] && want_untimed=$(grep -c ' 8 16$' "$F.bt.grows")/$((nbt - nsplit - $(grep -c ' 8 16$' "$F.bt.grows")))/0
		check "$name$sfx: every grow has its directory depth ($nodepth without), and is timed but for growToTable/grow/split: $untimed (want $want_untimed)" \
			[ "${nodepth:-1}" = 0 -a "$untimed" = "$want_untimed" ]
		check "$name$sfx: each map's depth path is Swiss growth: 0 after growToTable, kept by a grow, +0/+1 at a split, 2^depth >= tables ($depth_bad not; deepest $maxdepth)" \
			[ "${depth_bad:-1}" = 0 -a "${maxdepth:--1}" -ge 1 ]
		check "$name$sfx: map by map, maptrace's grows are bpftrace's in order, with the depth bpftrace read where each returned ($order_bad maps differ)" \
			[ "${order_bad:-1}" = 0 ]
		check "$name$sfx: each grow's span interleaves with bpftrace's: start <= bpftrace's start <= end <= bpftrace's end ($span_bad of $nspans not; median gaps ${sgap} ns at the start, ${egap} ns at the end)" \
			[ "${span_bad:-1}" = 0 -a "${nspans:-0}" -eq $([ $mode = detail ] && echo $nbt || echo $nsplit) ]
		check "$name$sfx: the deepest directory of the maps' rows is the events' ($maxdepth)" [ \
			"$(jget "$F.json" 'max([m["dir_depth"] for m in d["maps"] if m["library"] == "goswiss" and m["dir_depth"] is not None] or [-1])')" = "$maxdepth" ]

		# the text: a row of a map that split says its deepest directory ("dir 2^D; "), no other
		# row does.  The summary after tsgo's output shows the top rows by rehash time, which
		# need not include a map that split (small maps' grows preempted for tens of ms can
		# lead); the offline report with --top 0 shows every row.
		if [ $name = tsgo ]; then
			# "ADDR D" for each goswiss row of a text report, D "-" without a directory
			text_dirs() {
				awk '$2 == "goswiss" { d = "-"
					if (match($0, /dir 2\^[0-9]+; /)) d = substr($0, RSTART + 6, RLENGTH - 8)
					print $1, d }' "$1" | sort
			}
			jget "$F.json" '"\n".join("%s %s" % (m["addr"], m["dir_depth"] if (m["dir_depth"] or 0) >= 1 else "-")
				for m in d["maps"] if m["library"] == "goswiss")' | sort >"$F.want_dirs"
			text_dirs "$F.traced" >"$F.live_dirs"
			"$MAPTRACE" report "$F.mtr" --top 0 >"$F.all.txt"
			text_dirs "$F.all.txt" >"$F.all_dirs"
			check "tsgo$sfx: each row of the summary says 'dir 2^D;' as its map's deepest directory, or nothing before a split ($(wc -l <"$F.live_dirs") rows, $(grep -vc ' -$' "$F.live_dirs") with one)" \
				[ -s "$F.live_dirs" -a -z "$(comm -23 "$F.live_dirs" "$F.want_dirs")" ]
			check "tsgo$sfx: report --top 0 names every map that split with its deepest directory ($(grep -vc ' -$' "$F.all_dirs") rows of $(wc -l <"$F.all_dirs") with one; the JSON: $(grep -vc ' -$' "$F.want_dirs"))" \
				[ "$(grep -v ' -$' "$F.all_dirs")" = "$(grep -v ' -$' "$F.want_dirs")" -a \
				"$(grep -vc ' -$' "$F.all_dirs")" -ge 1 -a -z "$(comm -23 "$F.all_dirs" "$F.want_dirs")" ]
		fi

		# the count at a grow is the map's used: 8 at growToTable (the small group is full), and
		# at a table's grow what bpftrace read (the largest, for a map grown twice at one size)
		jget "$F.json" '"\n".join("%s %d %d" % (e["map"], e["old_size"], e["count"])
			for e in d["event_log"] if e["type"] == "resize" and 16 <= e["old_size"] < 1024 and e["new_size"] == 2 * e["old_size"])' |
			sort -k1,2 | awk '{ k = $1 " " $2; if (!(k in mx) || $3 > mx[k]) mx[k] = $3 } END { for (k in mx) print k, mx[k] }' |
			sort >"$F.mt.used"
		bt_used "$TMP/bt.out" | sort >"$F.bt.used"
		check "$name$sfx: the count at each table grow is the map's used, as bpftrace read it ($(wc -l <"$F.bt.used") map sizes)" \
			cmp -s "$F.bt.used" "$F.mt.used"
		check "$name$sfx: the count at each growToTable is 8, the small map's one full group" [ \
			"$(jget "$F.json" 'sorted(set(e["count"] for e in d["event_log"] if e["type"] == "resize" and e["old_size"] == 8))')" = "[8]" ]

		# each map's Go type: every row named, by a name that reads as a Go map type (map[K]V) or a
		# named one (pkg.Name), and the name of a descriptor bpftrace saw at one of its grows
		read -r nrows named agree badkind badname < <(bt_types "$TMP/bt.out" "$F.json" "$bin")
		echo "# $name$sfx: $named of ${nrows:-?} maps named, e.g. $(jget "$F.json" \
			'", ".join(sorted(set(m["go_type"] or "-" for m in d["maps"]))[:4])')"
		check "$name$sfx: every map has a Go type, a map type's name, the one of a descriptor bpftrace read at its grows, of kind map ($named named, $agree agree of ${nrows:-?})" \
			[ "${nrows:-0}" -gt 0 -a "$named" = "$nrows" -a "$agree" = "$nrows" -a "$badkind" = 0 -a "$badname" = 0 ]
		[ "$agree" = "$nrows" ] || bt_types "$TMP/bt.out" "$F.json" "$bin" | tail -n +2

		# stacks: named from pclntab, the probed function's caller by the machine code, down to
		# the goroutine's start or cut at the kernel's limit
		jget "$F.json" '"\n".join("%d|%s|%s|%s" % (len(s), s[0].split("+")[0], s[1].split("+")[0] if len(s) > 1 else "-",
			s[-1].split("+")[0]) for s in (e["stack"] for e in d["event_log"] if e["type"] == "resize" and e.get("stack")))' >"$F.stacks"
		bad=$(awk -F'|' -v max="$MAXSTACK" -v m="$M" '
			$2 == m ".(*Map).growToTable" && $3 ~ /^runtime\.mapassign/ { ok = 1 }
			($2 == m ".(*table).grow" || $2 == m ".(*table).split") && $3 == m ".(*table).rehash" { ok = 1 }
			!ok { print; next }
			$4 != "runtime.goexit" && $4 != "runtime.main" && $1 != max { print }
			{ ok = 0 }' "$F.stacks")
		check "$name$sfx: every grow's stack: the function, its caller (rehash; mapassign), down to runtime.goexit/main or $MAXSTACK frames ($(grep -c 'runtime.goexit$' "$F.stacks") reach goexit)" \
			[ -z "$bad" -a "$(wc -l <"$F.stacks")" -eq $((nbt - nostack)) ]
		[ -z "$bad" ] || head -3 <<<"$bad" | sed 's/^/# /'

		# --- sync.Mutex and RWMutex waits, per goroutine (R14) --------------------------------
		# bpftrace counts lockSlow calls per mutex (RAX) and the semacquires per RWMutex (RAX - 12
		# reads, RAX - 8 writes) at the entries' pushes: the waits per lock must be the same, and
		# the reads.  Not at the epilogue: a second uprobe on maptrace's epilogue site moved
		# maptrace's stacks to the ret (caller skipped), and one on the ret lost its waits
		# (kernel 6.18, bpftrace 0.17)
		bt_locks "$TMP/bt.out" | sort >"$F.bt.locks"
		# (every lock row is one of these functions': the runtime's own runtime.lock2 futex waits
		# are kind go-rtlock, not lock contention; checked below)
		LOCKFNS='("internal/sync.(*Mutex).lockSlow+", "sync.runtime_SemacquireRWMutexR+", "sync.runtime_SemacquireRWMutex+")'
		jget "$F.json" '"\n".join("%s %d %d" % (l["addr"], l["contentions"], l["reads"]["contentions"])
			for l in d["locks"] if any(s["frames"] and
			s["frames"][0].startswith('"$LOCKFNS"') for s in l["top_stacks"]))' |
			sed '/^$/d' | sort >"$F.mt.locks"
		nlk=$(awk '{ n += $2 } END { print n + 0 }' "$F.bt.locks")
		nrd=$(awk '{ n += $3 } END { print n + 0 }' "$F.bt.locks")
		[ $name = tsgo ] && check "tsgo: bpftrace saw contended sync.Mutex waits ($nlk)" [ "$nlk" -gt 0 ]
		check "$name$sfx: maptrace's lock waits are bpftrace's lockSlow and semacquire calls, lock by lock, and its reads the readerSem ones ($nlk waits, $nrd reads; $(grep -c . "$F.bt.locks") locks)" \
			cmp -s "$F.bt.locks" "$F.mt.locks"
		cmp -s "$F.bt.locks" "$F.mt.locks" ||
			diff "$F.bt.locks" "$F.mt.locks" | head -5 | sed 's/^/# /'
		others=$(jget "$F.json" '[l["addr"] for l in d["locks"] if not (l["kind"] in ("mutex", "rwlock") and
			l["top_stacks"] and all(s["frames"] and s["frames"][0].startswith('"$LOCKFNS"')
			for s in l["top_stacks"]))]')
		check "$name$sfx: no lock row but lockSlow's and the semacquires': no runtime futex word (got $others)" [ "$others" = "[]" ]

		# the goroutine of each wait: maptrace's goid (read at the epilogue) is the g.goid bpftrace
		# read at the entry, wait by wait; never null or 0 (the id of no goroutine)
		bt_goids "$TMP/bt.out" | sort >"$F.bt.goids"
		jget "$F.json" '"\n".join("%s %s" % (e["lock"], e["goid"]) for e in d["event_log"]
			if e["type"] == "lock_wait")' | sed '/^$/d' | sort >"$F.mt.goids"
		same_goids=no
		[ "$(wc -l <"$F.mt.goids")" = "$nlk" ] && cmp -s "$F.bt.goids" "$F.mt.goids" &&
			! grep -qE ' (0|None)$' "$F.mt.goids" && same_goids=yes
		check "$name$sfx: each wait's goroutine id is the one bpftrace read at its function's entry ($(wc -l <"$F.mt.goids") waits, $(awk '{ print $2 }' "$F.mt.goids" | sort -u | wc -l) goroutines, ids $(awk '{ print $2 }' "$F.mt.goids" | sort -n | sed -n '1p;$p' | paste -sd-))" \
			[ $same_goids = yes ]
		cmp -s "$F.bt.goids" "$F.mt.goids" ||
			diff "$F.bt.goids" "$F.mt.goids" | head -5 | sed 's/^/# /'

		check "$name$sfx: every stack of those locks starts at its function's epilogue, named from pclntab" [ "$(jget "$F.json" \
			'len([s for l in d["locks"] if l["addr"] in [r.split()[0] for r in open("'"$F.mt.locks"'")] for s in l["top_stacks"]
				if not s["frames"][0].startswith(("internal/sync.(*Mutex).lockSlow+0x%x " % (0x'"${ls_epi:-0}"' - 0x'"${ls_entry:-0}"'),
					"sync.runtime_SemacquireRWMutexR+0x%x " % (0x'"${rs_epi:-0}"' - 0x'"${rs_entry:-0}"'),
					"sync.runtime_SemacquireRWMutex+0x%x " % (0x'"${ws_epi:-0}"' - 0x'"${ws_entry:-0}"')))])')" = 0 ]
		[ $FAILS -eq 0 ] || jget "$F.json" '[(l["addr"], [s["frames"][:2] for s in l["top_stacks"]]) for l in d["locks"]][:3]' | sed 's/^/# /' 

	done

	# --- RUNS traced runs: the same output, the same exit --------------------------------
	fails=0
	for r in $(seq "$RUNS"); do
		prog $name "$TMP/$name.run" "$MAPTRACE" -q --
		rc=$?
		if [ $rc -ne $urc ] || ! same_output $name "$TMP/$name.untraced" "$TMP/$name.run"; then
			fails=$((fails + 1))
			echo "# $name run $r: exit $rc: $(tail -c 300 "$TMP/$name.run.err")"
		fi
	done
	check "$name: $RUNS traced runs exit as untraced with the same output ($fails differed)" [ $fails -eq 0 ]
	unset E S
done
finish
