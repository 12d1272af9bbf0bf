#!/usr/bin/env bash
# The library's USDT probes as tools see them: every documented probe is in .note.stapsdt with
# a semaphore, bpftrace lists them, and every probe site is the 5-byte nop (0f 1f 44 00 00)
# that the kernel can turn into a call to a uprobe trampoline.
set -uo pipefail
cd "$(dirname "$0")/../.."
LIB=${1:-.output/libcmap.so}
fails=0
ok() { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; fails=$((fails + 1)); }

# the probe names documented in cmap.h's header comment (the stable interface)
mapfile -t documented < <(sed -n 's/^ \*   cmap:\([a-z_]*\)(.*/\1/p' lib/cmap.h | sort -u)
[ ${#documented[@]} -ge 14 ] && ok "cmap.h documents ${#documented[@]} probes" ||
	not_ok "cmap.h documents ${#documented[@]} probes (expected at least 14)"

notes=$(readelf -n "$LIB")
mapfile -t found < <(sed -n 's/^ *Name: //p' <<<"$notes" | sort -u)
for p in "${documented[@]}"; do
	if printf '%s\n' "${found[@]}" | grep -qx "$p"; then ok "readelf -n lists cmap:$p"
	else not_ok "readelf -n lists cmap:$p"; fi
done

# every site: a non-zero semaphore, and 5-byte nop bytes at the location
sites=0 nosem=0 badnop=0
while read -r loc sem; do
	sites=$((sites + 1))
	[ $((16#${sem#0x})) -eq 0 ] && nosem=$((nosem + 1))
	bytes=$(objdump -d --start-address="$loc" --stop-address=$((loc + 5)) "$LIB" |
		sed -n 's/^ *[0-9a-f]*:\t\(\([0-9a-f][0-9a-f] \)*\).*/\1/p' | tr -d ' \n')
	[ "$bytes" = 0f1f440000 ] || { badnop=$((badnop + 1)); echo "# site $loc: bytes '$bytes'"; }
done < <(sed -n 's/^ *Location: \(0x[0-9a-f]*\), Base: 0x[0-9a-f]*, Semaphore: \(0x[0-9a-f]*\)/\1 \2/p' <<<"$notes")
[ "$sites" -gt 0 ] && ok "$sites probe sites in $LIB" || not_ok "no probe sites in $LIB"
[ "$nosem" -eq 0 ] && ok "every site has a semaphore" || not_ok "$nosem sites without semaphore"
[ "$badnop" -eq 0 ] && ok "every site is the 5-byte nop 0f 1f 44 00 00" ||
	not_ok "$badnop sites are not the 5-byte nop"

listed=$(bpftrace -l "usdt:$LIB:*" 2>/dev/null | sed 's/.*://' | sort -u)
for p in "${documented[@]}"; do
	grep -qx "$p" <<<"$listed" && ok "bpftrace -l lists cmap:$p" || not_ok "bpftrace -l lists cmap:$p"
done

# the probe-free build has no notes at all
if [ -f .output/libcmap-noprobes.a ]; then
	n=$(readelf -n .output/libcmap-noprobes.a 2>/dev/null | grep -c 'Provider: cmap')
	[ "$n" -eq 0 ] && ok "-DCMAP_NO_PROBES leaves no probe" || not_ok "-DCMAP_NO_PROBES left $n probes"
fi
exit $((fails > 0))
