#!/usr/bin/env bash
# make readme-png: regenerate docs/report.png, the README's picture of `maptrace report -f html`.
# Records 100,000 inserts into one mutex-guarded map from 4 threads (14 grows, a contended
# lock: the workload of tests/maptrace/test_html.sh), renders the page and screenshots it at
# 1400x1000 in headless Chromium.  Needs root (maptrace loads BPF) and chromium (make deps).
set -euo pipefail
cd "$(dirname "$0")/.."

tmp=$(mktemp -d /tmp/maptrace-readme-png.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
bin/maptrace -q -o "$tmp/t.mtr" -- bin/mapload --variant mutex --threads 4 --ops 100000 \
	--write-pct 100 --new-key-pct 100 --hold-us 5 >/dev/null
bin/maptrace report "$tmp/t.mtr" -f html >"$tmp/report.html"
chromium --headless --disable-gpu --no-sandbox --user-data-dir="$tmp/chrome" --no-first-run \
	--hide-scrollbars --screenshot="$tmp/report.png" --window-size=1400,1000 \
	"file://$tmp/report.html" >/dev/null 2>&1
mv "$tmp/report.png" docs/report.png
echo "docs/report.png: $(stat -c %s docs/report.png) bytes," \
	"from a $(stat -c %s "$tmp/report.html")-byte page"
