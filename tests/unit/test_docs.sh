#!/usr/bin/env bash
# The documentation's links resolve: every relative link in README.md, docs/*.md and
# bench/README.md names a file or directory that exists, and a #anchor names a heading of the
# file it points into, spelled as GitHub makes anchors (lower case, punctuation dropped, spaces
# as hyphens, -1, -2 ... for repeated headings).  Headings and links inside code blocks and code
# spans do not count.  It also checks itself: a made-up page and a made-up anchor must be found.
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


def prose(text):
    """The text outside fenced code blocks, line by line (code lines blanked)."""
    out, fence = [], None
    for line in text.split('\n'):
        m = re.match(r'^\s*(```+|~~~+)', line)
        if m:
            if fence is None:
                fence = m.group(1)[:3]
            elif m.group(1).startswith(fence):
                fence = None
            out.append('')
            continue
        out.append('' if fence else line)
    return out


def slug(heading):
    h = re.sub(r'\[([^\]]*)\]\([^)]*\)', r'\1', heading.strip())   # a link: its text
    h = h.lower()
    h = re.sub(r'[^\w\- ]', '', h)                                  # GitHub keeps letters, digits, _ and -
    return h.replace(' ', '-')


def anchors(path):
    seen, out = {}, set()
    for line in prose(open(path, encoding='utf-8').read()):
        m = re.match(r'^(#{1,6})\s+(.*?)\s*#*\s*$', line)
        if not m:
            continue
        s = slug(m.group(2))
        n = seen.get(s, 0)
        seen[s] = n + 1
        out.add(s if n == 0 else '%s-%d' % (s, n))
    return out


LINK = re.compile(r'(?<!!)\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)')


def links(path):
    """(line number, target) of every inline link outside code."""
    for n, line in enumerate(prose(open(path, encoding='utf-8').read()), 1):
        line = re.sub(r'`[^`]*`', '', line)     # code spans
        for m in LINK.finditer(line):
            yield n, m.group(1)


def broken(path):
    """The links of path that do not resolve, as (line, target, why)."""
    bad = []
    for n, target in links(path):
        if re.match(r'^[a-z][a-z0-9+.-]*:', target, re.I):   # http:, https:, mailto: ...
            continue
        file, _, frag = target.partition('#')
        dest = os.path.normpath(os.path.join(os.path.dirname(path), file)) if file else path
        if not os.path.exists(dest):
            bad.append((n, target, 'no file %s' % dest))
        elif frag and os.path.isdir(dest):
            bad.append((n, target, 'an anchor into a directory'))
        elif frag and dest.endswith('.md') and frag not in anchors(dest):
            bad.append((n, target, '%s has no heading with the anchor #%s' % (dest, frag)))
    return bad


# the checker itself finds what it must find, and spells anchors as GitHub does
tmp = os.path.join(os.environ.get('TMPDIR', '/tmp'), 'maptrace-test-docs-%d' % os.getpid())
os.makedirs(tmp, exist_ok=True)
probe = os.path.join(tmp, 'probe.md')
with open(probe, 'w') as f:
    f.write('# Title\n\n## Running without root (`setcap`)\n\n## Dup\n\n## Dup\n\n'
            '```\n# not a heading\n[x](nowhere-in-code.md)\n```\n\n'
            '[a](#running-without-root-setcap) [b](#dup-1) [c](probe.md#title)\n'
            '[d](missing.md) [e](#no-such-heading) [f](#not-a-heading) `[g](in-a-span.md)`\n'
            '[h](https://example.com/x.md)\n')
got = sorted((n, t) for n, t, _ in broken(probe))
want = [(15, '#no-such-heading'), (15, '#not-a-heading'), (15, 'missing.md')]
check(got == want, 'the checker finds exactly the 3 broken links of a made-up page%s'
      % ('' if got == want else ': %s' % got))
os.remove(probe)
os.rmdir(tmp)

docs = ['README.md'] + sorted(glob.glob('docs/*.md')) + ['bench/README.md']
total = 0
for d in docs:
    nlinks = sum(1 for _ in links(d))
    total += nlinks
    bad = broken(d)
    check(not bad, '%s: its %d links resolve' % (d, nlinks))
    for n, t, why in bad:
        print('# %s:%d: %s: %s' % (d, n, t, why))
check(total > 0, 'the pages have links to check (%d)' % total)
check(all(os.path.exists(p) for p in ['README.md', 'docs/internals.md', 'docs/usage.md',
                                       'docs/performance.md']),
      'README.md, docs/internals.md, docs/usage.md and docs/performance.md exist')
print('1..%d' % checks)
sys.exit(1 if failed else 0)
PY
