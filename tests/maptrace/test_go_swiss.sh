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
rows = [m for m in json.load(open(js))["maps"] if m["library"] == "goswiss"]
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
		BPFTRACE_MAP_KEYS_MAX=1000000 bt_start "uprobe:$bin:$o_gtt { @g[\"small\", reg(\"ax\"), *(uint64 *)reg(\"ax\"), (uint64)0] = count();
				@ty[reg(\"ax\"), reg(\"bx\")] = count();
				@s[reg(\"r14\")] = nsecs; @m[reg(\"r14\")] = reg(\"ax\"); @k[reg(\"r14\")] = 1; }
			uprobe:$bin:$o_grow { @ty[reg(\"cx\"), reg(\"bx\")] = count(); @g[\"grow\", reg(\"cx\"), (uint64)*(uint16 *)(reg(\"ax\") + 2),
				reg(\"di\") & 0xffff] = count(); @used[reg(\"cx\"), (uint64)*(uint16 *)(reg(\"ax\") + 2)] = max(*(uint64 *)reg(\"cx\"));
				@s[reg(\"r14\")] = nsecs; @m[reg(\"r14\")] = reg(\"cx\"); @k[reg(\"r14\")] = 2; }
			uprobe:$bin:$o_split { @g[\"split\", reg(\"cx\"), (uint64)*(uint16 *)(reg(\"ax\") + 2),
				(uint64)0] = count(); @ty[reg(\"cx\"), reg(\"bx\")] = count(); @s[reg(\"r14\")] = nsecs; @m[reg(\"r14\")] = reg(\"cx\"); @k[reg(\"r14\")] = 3; }
			${bt_ends%,} { \$g = reg(\"r14\"); if (@s[\$g]) {
				@e[@m[\$g], @s[\$g], nsecs, @k[\$g], (uint64)*(uint8 *)(@m[\$g] + 32)] = count(); delete(@s[\$g]); } }
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

		# the text summary after tsgo's output: a row of a map that split says its directory
		if [ $name = tsgo ]; then
			txt=$(awk '$2 == "goswiss" && match($0, /dir 2\^[0-9]+; /) {
				print $1, substr($0, RSTART + 6, RLENGTH - 8) }' "$F.traced" | sort)
			want_txt=$(jget "$F.json" '"\n".join(sorted("%s %d" % (m["addr"], m["dir_depth"])
				for m in d["maps"] if m["library"] == "goswiss" and (m["dir_depth"] or 0) >= 1))' | sort)
			check "tsgo$sfx: the text's rows of maps that split say 'dir 2^D;' with each map's deepest directory ($(wc -l <<<"$txt") rows)" \
				[ -n "$txt" -a -z "$(comm -23 <(echo "$txt") <(echo "$want_txt"))" ]
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
