# Helpers the Go tests share (sourced after lib.sh): where a Go function's probes must sit, by
# go tool objdump of the build with symbols, and bytes of an ELF file by virtual address; the
# --list of a waiting Go test program and its probe sites; the bpftrace oracle's start and stop;
# the repeated traced runs compared with the untraced one.

# file offset of ELF virtual address $2 (hex) in $1, from its program headers
file_offset() {
	local a=$((16#$2)) type off va rest
	while read -r type off va _ _ rest; do
		[ "$type" = LOAD ] || continue
		local sz
		sz=$(awk '{ print $1 }' <<<"$rest")
		if [ $a -ge $((va)) ] && [ $a -lt $((va + sz)) ]; then
			printf '0x%x\n' $((a - va + off))
			return
		fi
	done < <(readelf -lW "$1")
}

# $3 bytes of file $1 at ELF virtual address $2 (hex), as hex
code_at() {
	od -An -tx1 -j $(($(file_offset "$1" "$2"))) -N "$3" "$1" | tr -d ' \n'
}

# go_epilogues BIN FUNC: the address of each epilogue of FUNC ("MOVQ off(SP), BP; ADDQ $n, SP;
# RET", one per RET), where the go profile probes a function's end
go_epilogues() {
	go tool objdump -s "^$2\$" "$1" | awk '{ a[NR] = $2; op[NR] = $4 $5 }
		op[NR] == "RET" && op[NR - 1] ~ /^ADDQ/ && op[NR - 2] ~ /^MOVQ0x[0-9a-f]+\(SP\),$/ {
			print a[NR - 2] }'
}

# go_entry_jbe BIN FUNC: the JBE after FUNC's stack-bound check "CMPQ 0x10(R14), SP", where the
# go profile probes its entry (emulated, where the CMPQ is single-stepped)
go_entry_jbe() {
	go tool objdump -s "^$2\$" "$1" | awk 'NR == 2 && $4 " " $5 " " $6 != "CMPQ 0x10(R14), SP" { exit }
		NR == 3 && $4 == "JBE" { print $2 }'
}

# gen_project ts|js DIR FILES: a generated TypeScript (for tsgo) or JavaScript (for esbuild)
# project of FILES modules in a chain of imports, each with an interface, a class of 20 fields
# and 10 methods, a function summing the fields: many symbols, so the compilers' maps grow.
# Every 50th TypeScript module (7, 57, ...) has a type error, so tsgo has output to compare.
# tsgo: cd DIR && tsgo -p .; esbuild: esbuild DIR/src/main.js --bundle --format=esm.
gen_project() {
	python3 - "$@" <<'PY'
import os, sys
kind, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
os.makedirs(out + "/src", exist_ok=True)
ext = "ts" if kind == "ts" else "js"
for i in range(n):
    L = []
    if i:
        L.append(f'import {{ C{i-1}, f{i-1} }} from "./m{i-1}";')
    fields = range(20)
    if kind == "ts":
        L.append(f"export interface I{i} {{ " + " ".join(f"p{j}: number;" for j in fields) + " }")
        L.append(f"export class C{i} implements I{i} {{ " + " ".join(f"p{j} = {j};" for j in fields) + " " +
                 " ".join(f"m{j}(a: string): string {{ return a + this.p{j}; }}" for j in range(10)) + " }")
        L.append(f"export function f{i}(x: I{i}): number {{ let s = 0; " +
                 " ".join(f"s += x.p{j};" for j in fields) + " return s; }")
        if i % 50 == 7:
            L.append(f'export const bad{i}: number = "not a number";')
    else:
        L.append(f"export class C{i} {{ constructor() {{ " + " ".join(f"this.p{j} = {j};" for j in fields) +
                 " } " + " ".join(f"m{j}(a) {{ return a + this.p{j}; }}" for j in range(10)) + " }")
        L.append(f"export function f{i}(x) {{ let s = 0; " + " ".join(f"s += x.p{j};" for j in fields) +
                 " return s; }")
    if i:
        L.append(f"export const v{i} = f{i-1}(new C{i-1}());")
    with open(f"{out}/src/m{i}.{ext}", "w") as f:
        f.write("\n".join(L) + "\n")
with open(f"{out}/src/main.{ext}", "w") as f:
    f.write(f'import {{ v{n-1} }} from "./m{n-1}";\nconsole.log(v{n-1});\n')
if kind == "ts":
    with open(f"{out}/tsconfig.json", "w") as f:
        f.write('{"compilerOptions": {"strict": true, "noEmit": true, "target": "es2022", '
                '"module": "esnext", "moduleResolution": "bundler"}, "include": ["src"]}\n')
PY
}

# go_push_after_check BIN ENTRY(hex): the address (hex) of the "push %rbp" right after the
# stack-bound check "cmp 0x10(%r14),%rsp; jbe" at ENTRY, by objdump, where the Go 1.21+ entry
# probes sit (emulated, and run once a call: the jbe runs again after morestack); "" if the
# function does not start that way
go_push_after_check() {
	objdump -d --no-show-raw-insn --start-address=0x$2 --stop-address=$((16#$2 + 16)) "$1" |
		awk '/^ *[0-9a-f]+:/ { n++; a[n] = $1; i[n] = $2 " " $3 }
		END { if (i[1] == "cmp 0x10(%r14),%rsp" && i[2] ~ /^jbe / && i[3] == "push %rbp")
			{ sub(":", "", a[3]); print a[3] } }'
}

# go_pop_epilogues BIN ENTRY END (hex): each epilogue "add $N,%rsp; pop %rbp; ret" of the Go
# 1.21+ function at [ENTRY, END), by objdump: the address of its add, where the goswiss
# profile's lock_end probes (the frame is still whole there)
go_pop_epilogues() {
	objdump -d --no-show-raw-insn --start-address=0x$2 --stop-address=0x$3 "$1" |
		awk '/^ *[0-9a-f]+:/ { n++; a[n] = $1; i[n] = $2 " " $3 }
		END { for (k = 3; k <= n; k++)
			if (i[k] ~ /^ret/ && i[k - 1] == "pop %rbp" && i[k - 2] ~ /^add +\$0x[0-9a-f]+,%rsp$/) {
				sub(":", "", a[k - 2]); print a[k - 2] } }'
}

# go_past_check BIN FUNC [ENTRY]: the address (hex, no 0x) of FUNC's fourth instruction, the one
# after its entry's stack-bound check "CMPQ; JBE", by go tool objdump: where bpftrace counts
# calls (the entry itself runs again when morestack had to grow the stack, this one once a
# call); "" if FUNC does not start that way, or (with ENTRY, hex) does not start at 0xENTRY
go_past_check() {
	go tool objdump -s "^$2\$" "$1" |
		awk -v e="${3:+0x$3}" 'NR == 2 && ((e != "" && $2 != e) || $4 != "CMPQ") { exit }
			NR == 3 && $4 != "JBE" { exit } NR == 4 { sub(/^0x/, "", $2); print $2 }'
}

# go_list BIN ARG OUT: maptrace -p PID --list of BIN ARG, a Go test program run with GOMAP_WAIT=1
# so that it prints "waiting" and then reads its stdin (a fifo) before it exits: the listing
# (stdout and stderr) into OUT, then the program is let go and waited for
go_list() {
	local bin=$1 arg=$2 out=$3 lpid lfd
	rm -f "$TMP/lin"
	mkfifo "$TMP/lin"
	GOMAP_WAIT=1 "$bin" "$arg" <"$TMP/lin" >"$TMP/l.out" 2>&1 &
	lpid=$!
	exec {lfd}>"$TMP/lin"
	wait_for "$TMP/l.out" '^waiting$' 60 || echo "# $bin did not run: $(cat "$TMP/l.out")"
	"$MAPTRACE" -p $lpid --list >"$out" 2>&1
	exec {lfd}>&-
	wait $lpid
}

# list_sites PROFILE KINDS LIST: from the --list output in file LIST, the probe sites of profile
# PROFILE whose kind matches the regex KINDS (e.g. 'lock|lock_end'): "0xADDRESS INSTRUCTION-KIND"
# a line (the address without leading zeros), sorted
list_sites() {
	awk -v p="$1" -v k="^($2)\$" 'index($0, "profile " p " ") == 1 { t = 1; next } /^[^ ]/{ t = 0 }
		t && $1 ~ k {
			for (i = 3; i <= NF; i++) if ($i ~ /^0x/) { print $i, $(i + 1); break } }' \
		"$3" | sed -E 's/0x0*/0x/' | sort
}

# check_sites WHAT WANT GOT N LIST: the check WHAT that the sites GOT (from list_sites) are WANT,
# N lines of them; when they differ, both and the --list output in file LIST, as comments
check_sites() {
	check "$1" [ "$3" = "$2" -a "$(wc -l <<<"$2")" -eq "$4" ]
	[ "$3" = "$2" ] || { echo "# want: $2" "# got: $3"; sed 's/^/# /' "$5"; }
}

# same_code WHAT STRIPPED PLAIN NAME ADDR: two checks, prefixed WHAT (the build), that the
# stripped build is the plain one's code: .text at the same address with the same size, and the
# 18 bytes of NAME's prologue at 0xADDR (hex) the same in both
same_code() {
	check "$1: .text has the plain build's address and size" [ \
		"$(readelf -SW "$2" | awk '$2 == ".text" { print $4, $6 }')" = \
		"$(readelf -SW "$3" | awk '$2 == ".text" { print $4, $6 }')" ]
	check "$1: the 18 bytes of $4's prologue are at 0x$5 too" [ \
		"$(code_at "$2" "$5" 18)" = "$(code_at "$3" "$5" 18)" ]
}

# bt_start PROBES: the bpftrace oracle: bpftrace --unsafe running PROBES (after a BEGIN that
# prints "ready") in the background, its output in $TMP/bt.out (a new file, so that an earlier
# run's "ready" is not taken for this one's) and $TMP/bt.err, its PID in $bt; returns once it is
# ready, or after 60 s saying it did not start.  Environment (BPFTRACE_MAP_KEYS_MAX=...) may be
# set on the call.  bt_stop ends it; its maps are printed to $TMP/bt.out then.
bt_start() {
	rm -f "$TMP/bt.out"
	bpftrace --unsafe -e "BEGIN { printf(\"ready\n\"); }
		$1" >"$TMP/bt.out" 2>"$TMP/bt.err" &
	bt=$!
	wait_for "$TMP/bt.out" ready 60 || echo "# bpftrace did not start: $(head -c 300 "$TMP/bt.err")"
}

# bt_stop: stop the bpftrace bt_start started (SIGINT: it prints its maps) and wait for it.
# SIGINT is sent again every 5 s (bpftrace 0.17 under load once let one pass); one still
# running 30 s later is told as a comment with its last words and killed, so the test goes on
# to fail where the oracle is missing instead of hanging until its timeout
bt_stop() {
	local end=$((SECONDS + 30)) again=$((SECONDS + 5))
	kill -INT $bt
	while kill -0 $bt 2>/dev/null && [ $SECONDS -lt $end ]; do
		if [ $SECONDS -ge $again ]; then
			echo "# bpftrace still running 5 s after SIGINT: sent again"
			kill -INT $bt 2>/dev/null
			again=$((SECONDS + 5))
		fi
		sleep 0.1
	done
	if kill -0 $bt 2>/dev/null; then
		echo "# bpftrace did not stop 30 s after SIGINT (killed): $(tail -c 300 "$TMP/bt.err")"
		kill -9 $bt
	fi
	wait $bt
}

# more_runs WHAT EXPR WANT NOUN -- BIN ARGS...: never a crash, never another answer: RUNS - 1
# more traced runs of BIN ARGS (runs 2 to RUNS); a run is bad when maptrace does not exit 0, the
# program's own lines (the caller's own FILE) differ from $TMP/untraced.out's, or jget EXPR
# (python over the run's JSON report, `d`) is not WANT (a WANT of "@FUNC": what FUNC prints of
# the run's own output, a per-run oracle).  Each bad run is told as a comment (NOUN
# names the value), then the check "WHAT (N bad)" that none was
more_runs() {
	local what=$1 expr=$2 want=$3 want0=$3 noun=$4 bad=0 i rc got
	shift 4
	[ "${1-}" = -- ] && shift
	for i in $(seq 2 "$RUNS"); do
		"$MAPTRACE" -q -o "$TMP/run.mtr" --force -- "$@" >"$TMP/run.out" 2>"$TMP/run.err"
		rc=$?
		# "@FUNC": each run's own expectation, FUNC of its output
		[[ $want0 == @* ]] && want=$(${want0#@} "$TMP/run.out")
		got=$("$MAPTRACE" report "$TMP/run.mtr" --json --top 0 >"$TMP/run.json" &&
			jget "$TMP/run.json" "$expr")
		if [ $rc -ne 0 ] || ! diff -q <(own "$TMP/untraced.out") <(own "$TMP/run.out") >/dev/null ||
			[ "$got" != "$want" ]; then
			bad=$((bad + 1))
			echo "# run $i: exit $rc, $noun $got: $(head -c 300 "$TMP/run.err")"
		fi
	done
	check "$what ($bad bad)" [ $bad -eq 0 ]
}

# prog_goids FILE [KEY]: the goroutine ids a test program printed for its waits on a line "KEY
# N ..." ("goids" by default), each read from the runtime's "goroutine N [" header of the
# waiter's own stack, sorted
prog_goids() {
	awk -v k="${2:-goids}" '$1 == k { for (i = 2; i <= NF; i++) print $i }' "$1" | sort -n |
		paste -sd' '
}

# go_goids FILE json|chrome LOCK [MODE]: the goroutine ids maptrace gave the waits on LOCK
# (hex; only those for MODE, read or write, when given), sorted: from a JSON report's event_log (--events), or from a Chrome export, where each such
# wait must be drawn on its goroutine's own track (tid 0x10000000 + id, named "goroutine N",
# the thread it resumed on in its args)
go_goids() {
	python3 - "$@" <<'EOF' 2>/dev/null || echo "go_goids-failed-$RANDOM"
import json, sys
d, fmt, lock = json.load(open(sys.argv[1])), sys.argv[2], int(sys.argv[3], 16)
mode = sys.argv[4] if len(sys.argv) > 4 else None
ids = []
if fmt == 'json':
    ids = [e['goid'] for e in d['event_log'] if e['type'] == 'lock_wait' and
           int(e['lock'], 16) == lock and mode in (None, e['mode'])]
else:
    ev = d['traceEvents']
    names = {(e['pid'], e['tid']): e['args']['name'] for e in ev
             if e['ph'] == 'M' and e['name'] == 'thread_name'}
    for e in ev:
        if (e['ph'] != 'X' or not e['name'].startswith('wait ') or
                int(e['args']['lock'], 16) != lock or mode not in (None, e['args']['mode'])):
            continue
        g = e['args']['goid']
        assert e['tid'] == 0x10000000 + g and names[(e['pid'], e['tid'])] == 'goroutine %d' % g
        assert 0 < e['args']['thread'] < 1 << 22
        ids.append(g)
print(' '.join(str(g) for g in sorted(ids)))
EOF
}

# go_goid_off BIN ENTRY END: the offset of g.goid in BIN, from its own runtime.goroutineheader
# (ENTRY..END, hex): print("goroutine ", gp.goid, ...) loads gp.goid with the last
# "mov 0xN(%rax),%rax" before it passes the 10-byte string "goroutine " (lea; mov $0xa,%ebx)
go_goid_off() {
	local bin=$1 code addr off
	code=$(objdump -d --no-show-raw-insn --start-address=0x$2 --stop-address=0x$3 "$bin")
	read -r addr off < <(awk '
		/mov +0x[0-9a-f]+\(%rax\),%rax$/ { split($NF, a, "("); off = a[1] }
		/lea .*# 0x[0-9a-f]+$/ { lea = $NF; next }
		/mov +\$0xa,%ebx$/ && lea != "" && off != "" { print lea, off; exit }
		{ lea = "" }' <<<"$code")
	[ -n "$addr" ] || return 1
	[ "$(objdump -s --start-address=$addr --stop-address=$((addr + 10)) "$bin" |
		awk 'END { print $2 $3 $4 }' | cut -c1-20)" = "$(printf 'goroutine ' | od -An -tx1 | tr -d ' \n')" ] ||
		return 1
	echo $((off))
}

# go_runtime_line TEXT PARK LOCK2: TEXT's line on the Go runtime's futex waits, joined where it
# was wrapped, gives these counts
go_runtime_line() {
	tr '\n' ' ' <"$1" | sed 's/  */ /g' |
		grep -qE "Go runtime's own futex waits \(no map's lock\): $2 parking idle threads \([^)]*\), $3 in runtime.lock2 \([^)]*\); --all-waits lists them"
}
