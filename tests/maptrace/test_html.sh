#!/usr/bin/env bash
# maptrace report FILE -f html (and -f html at the end of a live run): one self-contained page,
# loaded in headless Chromium.  Workload: mapload inserts 100,000 fresh keys into one
# mutex-guarded map from 4 threads holding the lock 5 us per write; its own counters (JSON) say
# how many grows there were (14).  The page must fetch nothing, load without a console message,
# and hold one grow mark per grow, a histogram per contended lock and two flame graphs whose
# stacks are exactly the folded output's.  A 1400x1000 screenshot is kept as an artifact.
# timeout: 300
source "$(dirname "$0")/lib.sh"

SHOT=.output/tests/maptrace-html.png
CHROMIUM=${CHROMIUM:-chromium}
if ! command -v "$CHROMIUM" >/dev/null; then
	not_ok "chromium is installed (make deps installs Debian's)"
	finish
fi
# its own profile: other runs of Chromium on the machine share nothing with this one
chrome() {
	"$CHROMIUM" --headless --disable-gpu --no-sandbox --user-data-dir="$TMP/chrome" \
		--no-first-run "$@"
}

# --- record: -o FILE, then report the file as html ------------------------------------------
"$MAPTRACE" -q -o "$TMP/d.mtr" -- "$MAPLOAD" --variant mutex --threads 4 --ops 100000 \
	--write-pct 100 --new-key-pct 100 --hold-us 5 --json >"$TMP/d.out" 2>"$TMP/d.err"
rc=$?
check "recorded: maptrace and mapload exit 0 ($rc: $(tail -n 1 "$TMP/d.err"))" [ "$rc" -eq 0 ]
# mapload prints its JSON first, then maptrace's text summary
want_grows=$(head -n 1 "$TMP/d.out" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["grows"] if d["inserts"] == 100000 else -1)' 2>/dev/null)
check "mapload's own counters: 100,000 inserts made 14 grows (got $want_grows)" [ "$want_grows" = 14 ]

"$MAPTRACE" report "$TMP/d.mtr" -f html >"$TMP/d.html" 2>"$TMP/r.err"
rc=$?
check "report -f html exits 0 ($rc: $(head -c 200 "$TMP/r.err"))" [ "$rc" -eq 0 ]
"$MAPTRACE" report "$TMP/d.mtr" --json >"$TMP/d.json" 2>/dev/null
size=$(stat -c %s "$TMP/d.html")
echo "# page: $size bytes"
check "the page is under 2 MB ($size bytes)" [ "$size" -gt 0 -a "$size" -lt 2000000 ]
check "no network reference: no http(s)://, src=, href=, url( or @import" \
	bash -c '! grep -qiE "https?://|[[:space:]](src|href)=|url\\(|@import" "$1"' _ "$TMP/d.html"

# --- load it in Chromium ---------------------------------------------------------------------
chrome --enable-logging=stderr --v=0 --dump-dom "file://$TMP/d.html" >"$TMP/dom.html" 2>"$TMP/chrome.log"
check "chromium dumps the DOM ($(grep -v dbus "$TMP/chrome.log" | tail -n 1 | head -c 200))" \
	grep -q 'class="flame"' "$TMP/dom.html"
check "no console message and nothing uncaught: $(grep -E 'CONSOLE|Uncaught' "$TMP/chrome.log" | head -n 2)" \
	bash -c '! grep -qE "CONSOLE|Uncaught" "$1"' _ "$TMP/chrome.log"
echo "# loaded and laid out in $(grep -o 'data-render-ms="[^"]*"' "$TMP/dom.html" | head -n 1) (performance.now() at load)"

# the DOM, parsed: its facts as one line per check
python3 - "$TMP/dom.html" >"$TMP/facts" <<'PY'
import html.parser, sys

class P(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.stack, self.grows, self.grow_titles, self.hists, self.flames = [], [], [], [], {}
        self.frames, self.text, self.advice, self.in_title, self.in_advice = {}, [], [], None, 0

    def handle_starttag(self, tag, a):
        a = dict(a)
        cls = (a.get('class') or '').split()
        if tag == 'svg' and 'flame' in cls:
            self.flames[a['id']] = int(a['data-total'])
            self.frames[a['id']] = []
            self.cur = a['id']
        if tag == 'svg' and 'hist' in cls:
            self.hists.append(a['data-lock'])
        if tag == 'svg' and 'map' in cls:
            self.chart_map = a['data-map']
        if tag == 'g' and 'grow' in cls:
            self.grows.append((self.chart_map, a['data-kind']))
            self.in_title = 'grow'
        if tag == 'g' and 'fr' in cls:
            self.frames[self.cur].append((int(a['data-x']), int(a['data-w']), int(a['data-d']), a['data-n']))
        if tag == 'section' and a.get('id') == 'advice':
            self.in_advice = 1
        if tag == 'ul' and self.in_advice:
            self.in_advice = 2
        if tag == 'title' and self.in_title == 'grow':
            self.grow_titles.append('')
            self.in_title = 'text'

    def handle_endtag(self, tag):
        if tag == 'title' and self.in_title == 'text':
            self.in_title = None
        if tag == 'section':
            self.in_advice = 0
        if tag == 'li' and self.in_advice:
            self.advice.append(' ')

    def handle_data(self, d):
        if self.in_title == 'text':
            self.grow_titles[-1] += d
        if self.in_advice == 2:
            self.advice.append(d)
        self.text.append(d)

p = P()
p.feed(open(sys.argv[1]).read())

def folded(frames):
    """Folded lines back from the frames: a frame's own value is its width less its children's."""
    lines = {}
    for i, (x, w, d, n) in enumerate(frames):
        kids = sum(w2 for x2, w2, d2, _ in frames if d2 == d + 1 and x <= x2 < x + w)
        if w - kids <= 0:
            continue
        path = [n]
        for x2, w2, d2, n2 in sorted(frames, key=lambda f: -f[2]):
            if d2 < d and x2 <= x < x2 + w2 and d2 == d - len(path):
                path.insert(0, n2)
        lines[';'.join(path)] = w - kids
    return lines

print('grows', ' '.join('%s:%s' % g for g in p.grows))
print('grow_titles_with_cmap_put', sum('cmap_put' in t for t in p.grow_titles))
print('hists', ' '.join(sorted(p.hists)))
print('flames', ' '.join(sorted(p.flames)))
for k, v in p.flames.items():
    print('total', k, v)
    for line, value in sorted(folded(p.frames[k]).items()):
        print('line', k, line, value)
print('advice', ' '.join(''.join(p.advice).split()))
print('text', ' '.join(''.join(p.text).split()))
PY
fact() { grep "^$1 " "$TMP/facts" | cut -d' ' -f2-; }

map=$(jget "$TMP/d.json" "d['maps'][0]['addr']")
check "the DOM names the map $map" grep -q "$map" <(fact text)
advice=$(jget "$TMP/d.json" "' '.join(' '.join(d['advice']).split())")
check "the DOM has the advice, first: $(head -c 160 <<<"$advice")" [ "$(fact advice)" = "$advice" ]
check "the advice names the hint for 100,000 inserts" grep -q "hint 100000" <(fact advice)
grows=$(fact grows)
check "one time chart for $map with one grow mark per grow: $want_grows (got $(wc -w <<<"$grows"))" \
	[ "$(tr ' ' '\n' <<<"$grows" | grep -c "^$map:grow$")" -eq "$want_grows" -a "$(wc -w <<<"$grows")" -eq "$want_grows" ]
want_count=$(head -n 1 "$TMP/d.out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["count"])' 2>/dev/null)
got_count=$(grep -o '<title>[0-9.]*s: [0-9]* entries' "$TMP/dom.html" | awk '{print $2}' | sort -n | tail -n 1)
check "the chart's entries reach mapload's own final count ($got_count, mapload $want_count)" \
	[ -n "$want_count" -a "$got_count" = "$want_count" ]
check "every grow's tooltip has its stack, through cmap_put ($(fact grow_titles_with_cmap_put) of $want_grows)" \
	[ "$(fact grow_titles_with_cmap_put)" = "$want_grows" ]
# which locks were contended is up to the scheduler; the page must draw each the report has
want_hists=$(jget "$TMP/d.json" "' '.join(sorted(l['addr'] for l in d['locks'] if l['contentions'])[:10])")
guard=$(jget "$TMP/d.json" "[l['addr'] for l in d['locks'] if l['map'] == '$map'][0]")
check "a histogram per contended lock: $(fact hists)" [ "$(fact hists)" = "$want_hists" ]
check "among them the mutex guarding $map ($guard)" grep -qw -- "$guard" <(fact hists)
check "two flame graphs" [ "$(fact flames)" = "flame-grows flame-waits" ]
# the flame graphs are the folded output, stack for stack and nanosecond for nanosecond
for what in locks grows; do
	id=flame-waits
	[ $what = grows ] && id=flame-grows
	"$MAPTRACE" report "$TMP/d.mtr" -f folded --what $what | sort >"$TMP/$what.folded"
	grep "^line $id " "$TMP/facts" | cut -d' ' -f3- | sort >"$TMP/$what.dom"
	check "$id: the folded --what $what lines ($(wc -l <"$TMP/$what.folded")), rebuilt from the DOM's frames" \
		diff -u "$TMP/$what.folded" "$TMP/$what.dom"
done
"$MAPTRACE" report "$TMP/d.mtr" -f html --all-waits >"$TMP/all.html"
got=$(grep -o 'id="flame-waits" data-total="[0-9]*"' "$TMP/all.html" | grep -o '[0-9]*"$' | tr -d '"')
want=$("$MAPTRACE" report "$TMP/d.mtr" -f folded --what locks --all-waits |
	python3 -c 'import sys; print(sum(int(l.rsplit(" ", 1)[1]) for l in sys.stdin))')
check "--all-waits: the wait flame graph weighs what folded --all-waits does ($got ns, folded $want)" \
	[ -n "$got" -a "$got" = "$want" ]
check "the grow flame graph: grows carry their stacks (cmap_put in a line)" \
	grep -q ";cmap_put;" "$TMP/grows.dom"

# --- as a user would: zoom, reset, search, sort (tests/maptrace/html_harness.html) ----------
cp tests/maptrace/html_harness.html "$TMP/harness.html"
chrome --allow-file-access-from-files --enable-logging=stderr --dump-dom "file://$TMP/harness.html" \
	2>"$TMP/harness.log" | sed -n '/<pre id="out">/,/<\/pre>/p' | sed 's/<[^>]*>//g' >"$TMP/seen"
seen() { grep "^$1 " "$TMP/seen" | cut -d' ' -f2-; }
check "harness: no error ($(grep -h '^error' "$TMP/seen"; grep -h -E 'CONSOLE|Uncaught' "$TMP/harness.log" | head -n 2))" \
	bash -c '[ -s "$1" ] && ! grep -q "^error" "$1" && ! grep -qE "CONSOLE|Uncaught" "$2"' _ "$TMP/seen" "$TMP/harness.log"
read -r zw zshown zencl znum zpart <<<"$(seen zoom)"
# which waits the scheduler made decides whether the narrowest frame is a part of the graph
if [ "$zpart" = part ]; then hidden=1; else hidden=0; fi
check "zoom: the narrowest wait frame clicked fills the width (1200.0: $zw); only it, its callees and callers stay ($zshown shown, $zencl such, of $znum; it is the $zpart)" \
	[ "$zw" = 1200.0 -a "$zshown" = "$zencl" -a $((${znum:-0} - ${zshown:-0} > 0)) = "$hidden" ]
read -r rw rwant rshown rnum <<<"$(seen reset)"
check "reset zoom: the frame back to its width ($rw, want $rwant), every frame shown ($rshown of $rnum)" \
	[ -n "$rw" -a "$rw" = "$rwant" -a "$rshown" = "$rnum" ]
# what a search for lock_take must light: from the folded output, not from the page
want=$(python3 -c '
import sys
lines = [l.rsplit(" ", 1) for l in open(sys.argv[1]).read().splitlines()]
tot = sum(int(v) for _, v in lines)
hit = sum(int(v) for s, v in lines if "lock_take" in s.lower())
nodes = {tuple(s.split(";")[:i + 1]) for s, _ in lines for i, f in enumerate(s.split(";")) if "lock_take" in f.lower()}
print("matched %.2f%% %d" % (100.0 * hit / tot, len(nodes)))' "$TMP/locks.folded")
check "search LOCK_TAKE: '$(seen search)', from the folded lines '$want'" [ "$(seen search)" = "$want" ]
desc=$(jget "$TMP/d.json" "','.join(str(l['contentions']) for l in sorted(d['locks'], key=lambda l: -l['contentions']))")
asc=$(jget "$TMP/d.json" "','.join(str(l['contentions']) for l in sorted(d['locks'], key=lambda l: l['contentions']))")
check "sort: a click on WAITS sorts largest first ($(seen sort1)), a second smallest first ($(seen sort2))" \
	[ "$(seen sort1)" = "$desc" -a "$(seen sort2)" = "$asc" ]

# --- the screenshot, kept --------------------------------------------------------------------
rm -f "$SHOT"
chrome --screenshot="$SHOT" --window-size=1400,1000 "file://$TMP/d.html" >/dev/null 2>&1
check "a 1400x1000 screenshot: $SHOT" python3 -c '
import struct, sys
b = open(sys.argv[1], "rb").read(24)
sys.exit(not (b[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", b[16:24]) == (1400, 1000)))' "$SHOT"

# --- -f html at the end of a live run ---------------------------------------------------------
traced live -q -f html -- "$MAPLOAD" --scenario growth --json --start-after 0.1
check "live: mapload and maptrace exit 0 ($live_target_rc, $live_mt_rc)" [ "$live_target_rc$live_mt_rc" = 00 ]
live_grows=$(jget "$TMP/live.target.out" "d['grows']")
got=$(grep -o 'class="grow" data-kind="grow"' "$TMP/live.mt.out" | wc -l)
# a plain map is first heard of at its grow to 2^7 buckets: the grows before are counted on
# its chart (data-unmarked), with no time to mark them at
early=$(grep -o 'data-unmarked="[0-9]*"' "$TMP/live.mt.out" | grep -o '[0-9]*' | awk '{ n += $1 } END { print n + 0 }')
check "live: the page ends the run with one grow mark per grow from 2^7 buckets on, the 6 before counted unmarked ($got + ${early:-0}, mapload $live_grows)" \
	[ "$((got + ${early:-0}))" = "$live_grows" -a "$live_grows" = 14 -a "${early:-0}" = 6 ]
grep -q '6 grows before its first mark are not marked' "$TMP/live.mt.out"
check "live: the chart's note says why 6 grows are not marked" [ $? -eq 0 ]
check "live: the page ends with </html>" [ "$(tail -c 8 "$TMP/live.mt.out")" = "</html>" ]
finish
