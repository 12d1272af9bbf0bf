#!/usr/bin/env bash
# Install the Debian packages that maptrace's build, demo and tests need, when missing.
# Idempotent and fast when everything is present: it asks dpkg first and only calls apt-get
# (update once, then install) for what is missing.
set -euo pipefail

pkgs=(
	make curl gcc clang llvm pkg-config binutils python3
	libbpf-dev bpftool libelf-dev libdw-dev zlib1g-dev
	systemtap-sdt-dev bpftrace dwz golang-go libclang-rt-14-dev prometheus
	libglib2.0-dev redis-server redis-tools libc6-dbg libmicrohttpd-dev libcapstone-dev g++
	chromium
)

missing=()
for p in "${pkgs[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done
# The stripped Go 1.26 binaries the Go tests read, from npm (pinned, into .output/npm).  Without
# them (offline, say) only those tests fail, saying why; the rest can still run.
go_bins() {
	"$(dirname "$0")/go-bins.sh" || echo "deps: tsgo and esbuild not installed; the Go tests will fail" >&2
	# Go 1.24 (Debian trixie's, pinned, unpacked under .output): the Go 1.24 test programs
	"$(dirname "$0")/go124.sh" || echo "deps: no Go 1.24 toolchain; maptrace-go124 will fail" >&2
}

if [ ${#missing[@]} -eq 0 ]; then
	go_bins
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing packages: ${missing[*]}; run as root or: sudo apt-get install ${missing[*]}" >&2
	exit 1
fi
echo "deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
go_bins
