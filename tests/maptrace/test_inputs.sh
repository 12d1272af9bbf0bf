#!/usr/bin/env bash
# The files and options an operator hands maptrace, tried the way one would (issue 15 rows 1, 2,
# 16): --profile and `report` read only regular files, of bounded size, without ever waiting on
# them; a long report stops at Ctrl-C; --probe names the real mistake.  Each refusal is one line
# naming the problem and the fix, a non-zero exit at once: never a hang, never memory without end.
# timeout: 180
source "$(dirname "$0")/lib.sh"

# refused NAME PATTERN CMD...: CMD exits non-zero within a second, by itself (not a crash, not
# killed by the timeout that keeps a regression from hanging the suite), with one line on stderr
# matching PATTERN
refused() {
	local name=$1 pattern=$2
	shift 2
	local t0 rc ms
	t0=$(date +%s%N)
	timeout -k 1 5 "$@" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	ms=$((($(date +%s%N) - t0) / 1000000))
	check "$name: exit status $rc is a refusal, not a crash or a kill" [ "$rc" -ne 0 -a "$rc" -lt 124 ]
	check "$name: within a second ($ms ms)" [ "$ms" -lt 1000 ]
	check "$name: one line matching '$pattern': $(head -c 300 "$TMP/err")" \
		grep -qE -- "$pattern" "$TMP/err"
	check "$name: exactly one line on stderr" [ "$(wc -l <"$TMP/err")" -eq 1 ]
}

# --- row 1: --profile /dev/zero, which never ends ------------------------------------------
refused "--profile /dev/zero" \
	"^maptrace: --profile /dev/zero: not a regular file \(a character device\); give a profile file" \
	"$MAPTRACE" --profile /dev/zero -p $$
# with a memory limit: no silent exit 1 (the limit is the subshell's only)
refused "--profile /dev/zero under ulimit -v 1000000" \
	"^maptrace: --profile /dev/zero: not a regular file \(a character device\)" \
	bash -c 'ulimit -v 1000000 && exec "$0" --profile /dev/zero -p "$1"' "$MAPTRACE" $$

# --- row 2: files that block, stream or hold nothing ---------------------------------------
mkfifo "$TMP/fifo"
refused "--profile FIFO" \
	"^maptrace: --profile $TMP/fifo: not a regular file \(a FIFO\); give a profile file" \
	"$MAPTRACE" --profile "$TMP/fifo" -p $$
refused "report FIFO" \
	"^maptrace: cannot read $TMP/fifo: not a regular file \(a FIFO\); give a trace file written by maptrace -o FILE" \
	"$MAPTRACE" report "$TMP/fifo"
refused "--profile DIR" "^maptrace: --profile $TMP: not a regular file \(a directory\); give a profile file" \
	"$MAPTRACE" --profile "$TMP" -p $$
refused "report DIR" "^maptrace: cannot read $TMP: not a regular file \(a directory\)" \
	"$MAPTRACE" report "$TMP"
refused "--profile /proc/self/mem" \
	"^maptrace: --profile /proc/self/mem: a /proc file, made by the kernel as it is read; give a profile file" \
	"$MAPTRACE" --profile /proc/self/mem -p $$
refused "report /proc/self/mem" "^maptrace: cannot read /proc/self/mem: a /proc file" \
	"$MAPTRACE" report /proc/self/mem
refused "report /dev/zero" "^maptrace: cannot read /dev/zero: not a regular file \(a character device\)" \
	"$MAPTRACE" report /dev/zero
: >"$TMP/empty.profile"
refused "empty --profile" "^maptrace: --profile $TMP/empty.profile: empty \(0 bytes\); give a profile file" \
	"$MAPTRACE" --profile "$TMP/empty.profile" -p $$
printf '# a profile for later\n\n' >"$TMP/comments.profile"
refused "--profile of comments only" \
	"^maptrace: --profile $TMP/comments.profile: only comments and blank lines; a profile starts with 'profile NAME'" \
	"$MAPTRACE" --profile "$TMP/comments.profile" -p $$
head -c 2000000 /dev/zero | tr '\0' '#' >"$TMP/big.profile"
refused "--profile of 2 MB" \
	"^maptrace: --profile $TMP/big.profile: too large \(2000000 bytes\); a profile file is at most 1 MiB" \
	"$MAPTRACE" --profile "$TMP/big.profile" -p $$

# --- row 16: --probe names the real mistake ------------------------------------------------
refused "--probe with an empty object" \
	"^maptrace: --probe 'insert::cmap_put:map=arg0': the object is empty; write ROLE:OBJECT:SYMBOL, e\.g\. insert:libfoo\.so:cmap_put:map=arg0$" \
	"$MAPTRACE" -p $$ --probe insert::cmap_put:map=arg0
refused "--probe with a number too large in when=" \
	"at 'when=size>99999999999999999999': 99999999999999999999 is out of range \(a constant is -2147483647\.\.2147483647\)$" \
	"$MAPTRACE" -p $$ --probe 'insert:libcmap.so:cmap_put:map=arg0,size=u64@0,when=size>99999999999999999999'
refused "--probe with a key given twice" "at 'map=arg1': map= given twice$" \
	"$MAPTRACE" -p $$ --probe insert:libcmap.so:cmap_put:map=arg0,map=arg1

# --- a report of a large trace stops at SIGINT or SIGTERM ----------------------------------
# A real recording, its records repeated to 512 MiB: seconds of reading.
traced rec -o "$TMP/run.mtr" -q -- "$CONTEND" mutex 10 20 0.3
check "record: maptrace exited 0 ($rec_mt_rc)" [ "$rec_mt_rc" -eq 0 ]
python3 - "$TMP/run.mtr" "$TMP/big.mtr" 512 <<'PY'
import struct, sys

src, dst, mib = sys.argv[1], sys.argv[2], int(sys.argv[3])
d = open(src, 'rb').read()
off = struct.unpack_from('<I', d, 16)[0]  # the header's size
head, recs = d[:off], []
while off + 16 <= len(d):
    rtype, size = struct.unpack_from('<II', d, off)
    recs.append((rtype, d[off:off + size]))
    off += size
META, END = 1, 6
body = b''.join(r for t, r in recs if t not in (META, END))
chunk = body * max(1, (1 << 20) // len(body))
with open(dst, 'wb') as f:
    f.write(head + b''.join(r for t, r in recs if t == META))
    n = 0
    while n < mib << 20:
        f.write(chunk)
        n += len(chunk)
    f.write(b''.join(r for t, r in recs if t == END))
PY
check "a trace of 512 MiB made" [ "$(stat -c %s "$TMP/big.mtr")" -gt $((512 << 20)) ]
for sig in INT TERM; do
	# a reader deaf to signals still ends, at the end of the file: no watchdog needed
	"$MAPTRACE" report "$TMP/big.mtr" >/dev/null 2>"$TMP/sig.err" &
	m=$!
	# once it has the file open, it is reading (its signal handlers are set before)
	for _ in $(seq 500); do
		[ -n "$(find "/proc/$m/fd" -lname "$TMP/big.mtr" 2>/dev/null)" ] && break
		sleep 0.01
	done
	t0=$(date +%s%N)
	kill -"$sig" "$m"
	wait "$m"
	rc=$?
	ms=$((($(date +%s%N) - t0) / 1000000))
	check "report of 512 MiB, SIG$sig: exit status $rc is a failure, not a kill" \
		[ "$rc" -ne 0 -a "$rc" -lt 128 ]
	check "report of 512 MiB, SIG$sig: stopped within a second ($ms ms)" [ "$ms" -lt 1000 ]
	check "report of 512 MiB, SIG$sig: one line saying so: $(head -c 300 "$TMP/sig.err")" \
		grep -qE "^maptrace: cannot read $TMP/big.mtr: interrupted by SIG$sig at byte [0-9]+ of [0-9]+$" \
		"$TMP/sig.err"
	check "report of 512 MiB, SIG$sig: exactly one line on stderr" [ "$(wc -l <"$TMP/sig.err")" -eq 1 ]
done
rm -f "$TMP/big.mtr"
finish
