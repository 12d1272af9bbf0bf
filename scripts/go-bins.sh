#!/usr/bin/env bash
# Install the real, stripped Go binaries maptrace's Go tests read: tsgo (TypeScript's native
# preview) and esbuild, both built by their projects with Go 1.26, from npm, pinned, into a cache
# outside git (.output/npm by default; GO_BINS_DIR=DIR to change it).  Idempotent: a cache that
# already holds the pinned versions is left alone.  Prints nothing on success.
#
# Older releases of the same programs, built with older Go, go into a directory each under the
# cache: tsgo built with go1.24.6, esbuild with go1.25.7 (Swiss tables, as go1.26) and esbuild
# with go1.23.12 (classic maps, which maptrace refuses by version).
#
# Usage: scripts/go-bins.sh [--print | --print-older]
#   --print: the two go1.26 binaries' paths, one a line
#   --print-older: "GO-RELEASE NAME PATH" of each older binary, one a line
set -euo pipefail
cd "$(dirname "$0")/.."

TSGO_PKG=@typescript/native-preview-linux-x64
TSGO_VER=7.0.0-dev.20260707.2
ESBUILD_PKG=@esbuild/linux-x64
ESBUILD_VER=0.28.2
dir=${GO_BINS_DIR:-.output/npm}
# GO-RELEASE NAME PACKAGE VERSION: the Go release is the one the binary names (strings)
OLDER=("go1.24 tsgo $TSGO_PKG 7.0.0-dev.20250807.1"
	"go1.25 esbuild $ESBUILD_PKG 0.27.7"
	"go1.23 esbuild $ESBUILD_PKG 0.25.12")

tsgo=$dir/node_modules/$TSGO_PKG/lib/tsgo
esbuild=$dir/node_modules/$ESBUILD_PKG/bin/esbuild

installed() { # prefix package version
	local pj=$1/node_modules/$2/package.json
	[ -f "$pj" ] && grep -q "\"version\": *\"$3\"" "$pj"
}

npm_install() { # prefix package@version...
	local prefix=$1
	shift
	if ! command -v npm >/dev/null; then
		echo "go-bins: npm is missing; install Node.js with npm (Debian: apt-get install npm)" >&2
		exit 1
	fi
	mkdir -p "$prefix"
	# --prefix keeps it out of the tree and $HOME; the cache too
	npm install --silent --no-audit --no-fund --prefix "$prefix" --cache "$dir/.cache" "$@" >&2
}

# bin_path NAME PREFIX PACKAGE: where npm puts the binary
bin_path() {
	case $1 in
	tsgo) echo "$2/node_modules/$3/lib/tsgo" ;;
	esbuild) echo "$2/node_modules/$3/bin/esbuild" ;;
	esac
}

if ! installed "$dir" "$TSGO_PKG" "$TSGO_VER" || ! installed "$dir" "$ESBUILD_PKG" "$ESBUILD_VER"; then
	npm_install "$dir" "$TSGO_PKG@$TSGO_VER" "$ESBUILD_PKG@$ESBUILD_VER"
fi
older=()
for o in "${OLDER[@]}"; do
	read -r rel name pkg ver <<<"$o"
	installed "$dir/$rel" "$pkg" "$ver" || npm_install "$dir/$rel" "$pkg@$ver"
	older+=("$rel $name $(bin_path "$name" "$dir/$rel" "$pkg")")
done
for b in "$tsgo" "$esbuild" "${older[@]##* }"; do
	if [ ! -x "$b" ]; then
		echo "go-bins: $b missing after npm install; remove $dir and rerun" >&2
		exit 1
	fi
done
case ${1:-} in
--print) printf '%s\n' "$tsgo" "$esbuild" ;;
--print-older) printf '%s\n' "${older[@]}" ;;
esac
