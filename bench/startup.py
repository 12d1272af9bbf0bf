#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Start-up time and peak RSS of a tracer, for bench/overhead.sh.

    startup.py PATTERN CMD...

Runs CMD with stdout and stderr on one pipe, and times from just before exec to the first
output line containing PATTERN (maptrace: "tracing PID", bpftrace: "Attaching", funclatency:
"Tracing").  Then keeps the tracer attached HOLD_S seconds (env, default 0.3), reads its peak
RSS (VmHWM of /proc/PID/status) and how much of its current RSS is BPF map memory mapped into
it (ring buffers: anon_inode:bpf-map in smaps), and stops it with SIGINT (SIGKILL after 10 s).

Prints one line: "ok MS RSS_KB BPF_MAP_RSS_KB", or "fail SECONDS REASON" when the tracer exits
or stays silent for 60 s without printing PATTERN (REASON: the most telling line it printed).
"""
import os
import re
import select
import signal
import subprocess
import sys
import time

# What a failing tracer says, most telling first.
TELLING = [re.compile(r"unable|cannot|can't|couldn't", re.IGNORECASE),
           re.compile(r"failed|error|exception|not found|no such|fatal", re.IGNORECASE)]


def vm_hwm_kb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def bpf_map_rss_kb(pid):
    kb, in_map = 0, False
    try:
        with open(f"/proc/{pid}/smaps") as f:
            for line in f:
                if "-" in line.split(" ", 1)[0]:
                    in_map = "anon_inode:bpf-map" in line
                elif in_map and line.startswith("Rss:"):
                    kb += int(line.split()[1])
    except OSError:
        pass
    return kb


def reason(lines):
    for telling in TELLING:
        for line in lines:
            if telling.search(line) and "RLIMIT_MEMLOCK" not in line:
                return line.strip()
    return lines[-1].strip() if lines else "no output"


def main():
    if len(sys.argv) < 3:
        print("usage: startup.py PATTERN CMD...", file=sys.stderr)
        return 2
    pattern, cmd = sys.argv[1], sys.argv[2:]
    hold = float(os.environ.get("HOLD_S", "0.3"))
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         stdin=subprocess.DEVNULL)
    lines, buf, ready_ms = [], b"", None
    while ready_ms is None:
        r, _, _ = select.select([p.stdout], [], [], 60)
        if not r:
            break
        chunk = os.read(p.stdout.fileno(), 65536)
        if not chunk:
            break
        buf += chunk
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            text = line.decode(errors="replace")
            lines.append(text)
            if pattern in text and ready_ms is None:
                ready_ms = (time.monotonic() - t0) * 1000
    if ready_ms is None:
        elapsed = time.monotonic() - t0
        if p.poll() is None:
            p.kill()
        try:
            rest = p.communicate(timeout=10)[0] or b""
        except subprocess.TimeoutExpired:
            rest = b""
        lines += (buf + rest).decode(errors="replace").splitlines()
        print(f"fail {elapsed:.1f} {reason(lines)}")
        return 0
    time.sleep(hold)
    rss, map_rss = vm_hwm_kb(p.pid), bpf_map_rss_kb(p.pid)
    p.send_signal(signal.SIGINT)
    try:
        p.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        p.kill()
        p.communicate()
    print(f"ok {ready_ms:.1f} {rss} {map_rss}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
