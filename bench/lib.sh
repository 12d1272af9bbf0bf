# Helpers shared by bench/overhead.sh and bench/sites.sh: medians, arithmetic, waiting for a
# tracer, reading a probe site, BPF program stats.  Source it.

median() { sort -g | awk 'NF { v[++n] = $1 } END { if (n) print v[int((n + 1) / 2)]; else print "nan" }'; }
med() { { median <"$1"; } 2>/dev/null || echo nan; }
# calc EXPR: floating point with awk; prints "nan" when an operand is not a number
calc() { awk "BEGIN { x = ($1); if (x != x) print \"nan\"; else printf \"%.6g\\n\", x }" 2>/dev/null || echo nan; }
isnum() { [[ $1 =~ ^-?[0-9]+(\.[0-9]+)?(e[-+]?[0-9]+)?$ ]]; }

jget() {
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' \
		"$1" "$2" 2>/dev/null || echo n/a
}

# alive PID: running or stopped, not gone and not a zombie
alive() { local s; s=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null); [ -n "$s" ] && [ "$s" != Z ]; }

# wait_for FILE PATTERN SECONDS [PID]: until FILE has PATTERN; fails early if PID exits
wait_for() {
	local file=$1 pattern=$2 end=$((SECONDS + $3)) pid=${4:-}
	while ! grep -q -- "$pattern" "$file" 2>/dev/null; do
		[ $SECONDS -ge "$end" ] && return 1
		[ -n "$pid" ] && ! alive "$pid" && ! grep -q -- "$pattern" "$file" && return 1
		sleep 0.005
	done
}

# The first byte of a probe site in a running process (hex): a uprobe replaces it once armed.
# site_byte PID VADDR BINARY
site_byte() {
	python3 - "$@" <<'PY'
import os, sys
pid, vaddr, binary = int(sys.argv[1]), int(sys.argv[2], 16), os.path.realpath(sys.argv[3])
with open(binary, "rb") as f:
    et_dyn = f.read(18)[16] == 3  # ET_DYN: PIE or library, loaded at a base; ET_EXEC: not
base = None if et_dyn else 0
for line in open(f"/proc/{pid}/maps") if et_dyn else []:
    f = line.split()
    if len(f) >= 6 and os.path.realpath(f[5]) == binary and int(f[2], 16) == 0:
        base = int(f[0].split("-")[0], 16)
        break
fd = os.open(f"/proc/{pid}/mem", os.O_RDONLY)
print(os.pread(fd, 1, base + vaddr).hex())
PY
}

# bpf_stats of the BPF programs PID holds: "name run_cnt run_time_ns" lines
prog_stats() {
	local ids
	ids=$(grep -h '^prog_id:' /proc/"$1"/fdinfo/* 2>/dev/null | awk '{ print $2 }' | sort -u | tr '\n' ,)
	bpftool prog show -j 2>/dev/null | python3 -c '
import json, sys
ids = {int(x) for x in sys.argv[1].split(",") if x}
for p in json.load(sys.stdin):
    if p["id"] in ids:
        print(p.get("name", "?"), p.get("run_cnt", 0), p.get("run_time_ns", 0))' "$ids"
}

# the first cmap:insert USDT site of FILE (hex)
insert_vaddr() { readelf -n "$1" | awk '/Name: insert$/ { getline; sub(",", "", $2); print $2; exit }'; }
