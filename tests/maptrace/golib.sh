# Helpers the Go tests share (sourced after lib.sh): where a Go function's probes must sit, by
# go tool objdump of the build with symbols, and bytes of an ELF file by virtual address.

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
