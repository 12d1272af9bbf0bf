#!/usr/bin/env bash
# Provide a Go 1.24 toolchain for the Go 1.24 tests (Swiss maps, internal/sync.Mutex, the Go
# 1.24 RWMutex) on a Debian 12 host, whose golang-go is 1.19: Debian trixie's golang-1.24-go and
# golang-1.24-src, fetched by exact version from the archive's pool, checked against the SHA256s
# of trixie's Packages index (pinned here), unpacked with dpkg-deb -x into a cache outside git
# (.output/go124 by default; GO124_DIR=DIR to change it).  Never installed into the system;
# idempotent: a cache that holds the pinned version is left alone.  Prints nothing on success.
#
# The toolchain is Go's own static binaries, so it runs on bookworm; use it with
# GOROOT=DIR/usr/lib/go-1.24 GOTOOLCHAIN=local (no download of another toolchain).
#
# Usage: scripts/go124.sh [--print]
#   --print: the go binary's path
set -euo pipefail
cd "$(dirname "$0")/.."

VER=1.24.4-1
GO_VERSION=go1.24.4
POOL=${GO124_MIRROR:-http://deb.debian.org/debian}/pool/main/g/golang-1.24
# FILE SHA256, from http://deb.debian.org/debian/dists/trixie/main/binary-{amd64,all}/Packages.xz
DEBS=("golang-1.24-go_${VER}_amd64.deb 93c6c109bbc0f1d55523282a16739d10634499c04f6d066a6aa58b67b687a44f"
	"golang-1.24-src_${VER}_all.deb c396bc2c2e94606e0a060cff52b9bbbf1d7cefacb040eb3c40a55604111e66e1")
dir=${GO124_DIR:-.output/go124}
root=$dir/root
goroot=$root/usr/lib/go-1.24
stamp=$dir/installed-$VER

if [ "$(uname -m)" != x86_64 ]; then
	echo "go124: the pinned golang-1.24-go is amd64; this machine is $(uname -m)" >&2
	exit 1
fi

if [ ! -f "$stamp" ]; then
	for tool in curl dpkg-deb sha256sum; do
		command -v $tool >/dev/null || {
			echo "go124: $tool is missing; install it (Debian: apt-get install $tool)" >&2
			exit 1
		}
	done
	mkdir -p "$dir/debs"
	for d in "${DEBS[@]}"; do
		read -r file sum <<<"$d"
		deb=$dir/debs/$file
		if [ ! -f "$deb" ] || ! sha256sum --status -c <<<"$sum  $deb"; then
			curl -fs --retry 3 -o "$deb.part" "$POOL/$file" || {
				echo "go124: cannot fetch $POOL/$file (offline? or trixie moved on: set GO124_MIRROR to an archive that has it, e.g. a snapshot.debian.org one)" >&2
				rm -f "$deb.part"
				exit 1
			}
			mv "$deb.part" "$deb"
		fi
		if ! sha256sum --status -c <<<"$sum  $deb"; then
			echo "go124: $deb: SHA256 is not the pinned $sum; remove it and rerun" >&2
			rm -f "$deb"
			exit 1
		fi
	done
	# a fresh root, so that a half-unpacked earlier run leaves nothing behind
	rm -rf "$root"
	mkdir -p "$root"
	for d in "${DEBS[@]}"; do
		dpkg-deb -x "$dir/debs/${d%% *}" "$root"
	done
	touch "$stamp"
fi

# the toolchain runs here, offline, as itself
got=$(GOROOT=$(readlink -f "$goroot") GOTOOLCHAIN=local GOPROXY=off GOFLAGS= \
	"$goroot/bin/go" env GOVERSION 2>&1) || true
if [ "$got" != "$GO_VERSION" ]; then
	echo "go124: $goroot/bin/go says '$got', not $GO_VERSION; remove $dir and rerun" >&2
	exit 1
fi
case ${1:-} in
--print) readlink -f "$goroot/bin/go" ;;
esac
