#!/usr/bin/env bash
# Install the real, stripped Go binaries maptrace's Go tests read: tsgo (TypeScript's native
# preview) and esbuild, both built by their projects with Go 1.26, from npm, pinned, into a cache
# outside git (.output/npm by default; GO_BINS_DIR=DIR to change it).  Idempotent: a cache that
# already holds the pinned versions is left alone.  Prints nothing on success.
#
# Usage: scripts/go-bins.sh [--print]   --print: the two binaries' paths, one a line
set -euo pipefail
cd "$(dirname "$0")/.."

TSGO_PKG=@typescript/native-preview-linux-x64
TSGO_VER=7.0.0-dev.20260707.2
ESBUILD_PKG=@esbuild/linux-x64
ESBUILD_VER=0.28.2
dir=${GO_BINS_DIR:-.output/npm}

tsgo=$dir/node_modules/$TSGO_PKG/lib/tsgo
esbuild=$dir/node_modules/$ESBUILD_PKG/bin/esbuild

installed() { # package version
	local pj=$dir/node_modules/$1/package.json
	[ -f "$pj" ] && grep -q "\"version\": *\"$2\"" "$pj"
}

if ! installed "$TSGO_PKG" "$TSGO_VER" || ! installed "$ESBUILD_PKG" "$ESBUILD_VER"; then
	if ! command -v npm >/dev/null; then
		echo "go-bins: npm is missing; install Node.js with npm (Debian: apt-get install npm)" >&2
		exit 1
	fi
	mkdir -p "$dir"
	# --prefix keeps it out of the tree and $HOME; the cache too
	npm install --silent --no-audit --no-fund --prefix "$dir" --cache "$dir/.cache" \
		"$TSGO_PKG@$TSGO_VER" "$ESBUILD_PKG@$ESBUILD_VER" >&2
fi
for b in "$tsgo" "$esbuild"; do
	if [ ! -x "$b" ]; then
		echo "go-bins: $b missing after npm install; remove $dir and rerun" >&2
		exit 1
	fi
done
if [ "${1:-}" = --print ]; then
	echo "$tsgo"
	echo "$esbuild"
fi
