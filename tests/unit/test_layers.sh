#!/usr/bin/env bash
# The code's structure against docs/architecture.md: every file of user/ and include/ sits in
# one layer of its table, includes only from its own layer or below, no include cycle, no file
# in user/ or bpf/ over 900 lines, and no report backend naming a raw record type.
set -uo pipefail
cd "$(dirname "$0")/../.."
python3 - <<'PY'
import glob, os, re, sys

checks = 0
failed = 0


def check(ok, what):
    global checks, failed
    checks += 1
    failed += not ok
    print(('ok - ' if ok else 'not ok - ') + what)


doc = open('docs/architecture.md').read()
rows = re.findall(r'^\| ([a-z ]+) \| ((?:`[^`]+`[^|]*)+)\| [^|]+\|$', doc, re.M)
layer = {}
for rank, (name, files) in enumerate(rows):
    for f in re.findall(r'`([^`]+)`', files):
        for n in ([f] if '.' in f else [f + '.c', f + '.h']):
            layer[n] = (rank, name.strip())
check(len(rows) >= 6, 'docs/architecture.md has a layer table (%d layers)' % len(rows))

files = sorted(glob.glob('user/*.[ch]') + glob.glob('include/*.h'))
missing = [f for f in files if os.path.basename(f) not in layer]
check(not missing, 'every file of user/ and include/ is in a layer %s' % (missing or ''))
stale = [n for n in layer if not n.startswith(('cmap', 'maptrace.skel'))
         and not os.path.exists('user/' + n) and not os.path.exists('include/' + n)
         and not any(os.path.exists('user/' + n[:-2] + e) for e in ('.c', '.h'))]
check(not stale, 'the table names no file that is gone %s' % (stale or ''))

up = []
graph = {}
for f in files:
    base = os.path.basename(f)
    incs = re.findall(r'^#include "([^"]+)"', open(f).read(), re.M)
    graph[base] = [os.path.basename(i) for i in incs]
    for i in graph[base]:
        if base in layer and i in layer and layer[i][0] > layer[base][0]:
            up.append('%s (%s) includes %s (%s)' % (base, layer[base][1], i, layer[i][1]))
check(not up, 'no file includes one from a layer above it' + ''.join('\n# ' + u for u in up))


def cycle():
    state = {}

    def visit(n, path):
        if state.get(n) == 1:
            return path[path.index(n):] + [n]
        if state.get(n) == 2 or not n.endswith('.h'):
            return None
        state[n] = 1
        for m in graph.get(n, []):
            c = visit(m, path + [n])
            if c:
                return c
        state[n] = 2
        return None

    for n in graph:
        c = visit(n, [])
        if c:
            return c
    return None


c = cycle()
check(c is None, 'no include cycle among headers %s' % (' -> '.join(c) if c else ''))

long_files = ['%s (%d)' % (f, sum(1 for _ in open(f)))
              for f in glob.glob('user/*.c') + glob.glob('bpf/*.bpf.[ch]')
              if sum(1 for _ in open(f)) > 900]
check(not long_files, 'no source file in user/ or bpf/ over 900 lines %s' % (long_files or ''))

backends = glob.glob('user/report_*.c') + ['user/prom.c', 'user/prom_text.c']
raw = [f for f in backends if re.search(r'\bMT_REC_|\bstruct mt_hdr\b', open(f).read())]
check(not raw, 'no report backend names a raw record type %s' % (raw or ''))
sys.exit(1 if failed else 0)
PY
