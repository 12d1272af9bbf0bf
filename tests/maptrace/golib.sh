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
