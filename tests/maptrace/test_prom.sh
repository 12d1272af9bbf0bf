#!/usr/bin/env bash
# maptrace --listen feeding a real Prometheus server (needs root: loads BPF; and Debian's
# prometheus package for prometheus and promtool).  Everything listens on 127.0.0.1 only, every
# wait is bounded, and lib.sh's exit trap kills whatever is still running.
#
#   1. contention: contend holds a map's mutex 20 ms per iteration and times each of its waits
#      itself; Prometheus scrapes maptrace every second.  histogram_quantile(0.5,
#      rate(..._bucket[30s])) must land in the bucket holding contend's own median wait (bounds
#      2^e and 1.5 * 2^e ns, so 20 ms sits in 16.8..25.2 ms; the median is widened by 2% first,
#      for a median on a bound), and rate(_sum)/rate(_count) within 3% of contend's own mean over
#      the same waits (the first N, N the count Prometheus last scraped).
#      Both compare with what the target measured, not with 20 ms: a busy machine oversleeps.
#   2. growth: maptrace_map_grows_total equals the grows mapload counted itself.
#   3. the live exposition passes `promtool check metrics`; 50 clients x 100 scrapes while
#      tracing, every response well formed, no record dropped.
#   4. --comm (when maptrace has it): a restarted target's new pid appears, the old one's
#      series stop.
# timeout: 300
source "$(dirname "$0")/lib.sh"

if ! command -v prometheus >/dev/null || ! command -v promtool >/dev/null; then
	echo "ok - Prometheus end to end # SKIP no prometheus/promtool (apt-get install prometheus)"
	finish
fi

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
MT_PORT=$(free_port)
PROM_PORT=$(free_port)
while [ "$PROM_PORT" = "$MT_PORT" ]; do PROM_PORT=$(free_port); done
MT_URL=http://127.0.0.1:$MT_PORT/metrics
PROM_URL=http://127.0.0.1:$PROM_PORT

# http_get URL: the body on stdout; fails on an error status or after 5 s
http_get() {
	python3 - "$1" <<'PY'
import sys, urllib.request
with urllib.request.urlopen(sys.argv[1], timeout=5) as r:
    sys.stdout.write(r.read().decode())
PY
}

# promq EXPR: the value of an instant query's first result, "none" without one, "error" when
# the query fails.  The value is printed as Prometheus returns it (NaN stays NaN).
promq() {
	python3 - "$PROM_URL" "$1" <<'PY' 2>/dev/null || echo error
import json, sys, urllib.parse, urllib.request
url = sys.argv[1] + "/api/v1/query?" + urllib.parse.urlencode({"query": sys.argv[2]})
with urllib.request.urlopen(url, timeout=5) as r:
    d = json.load(r)
res = d["data"]["result"]
if d["data"]["resultType"] == "scalar":
    print(res[1])
elif not res:
    print("none")
else:
    print(res[0]["value"][1])
PY
}

# wait_until SECONDS COMMAND...: retry every 0.2 s until COMMAND succeeds
wait_until() {
	local end=$((SECONDS + $1))
	shift
	until "$@"; do
		[ $SECONDS -ge $end ] && return 1
		sleep 0.2
	done
}

# --- Prometheus on loopback, scraping maptrace every second ----------------------------------
mkdir -p "$TMP/tsdb"
cat >"$TMP/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 900ms
  evaluation_interval: 1s
scrape_configs:
  - job_name: maptrace
    static_configs:
      - targets: ["127.0.0.1:$MT_PORT"]
EOF
check "promtool accepts the scrape config" promtool check config "$TMP/prometheus.yml" >/dev/null
prometheus --config.file="$TMP/prometheus.yml" --storage.tsdb.path="$TMP/tsdb" \
	--web.listen-address="127.0.0.1:$PROM_PORT" --log.level=warn >"$TMP/prometheus.log" 2>&1 &
PROM_PID=$!
ready() { http_get "$PROM_URL/-/ready" >/dev/null 2>&1; }
if ! wait_until 30 ready; then
	not_ok "prometheus started on 127.0.0.1:$PROM_PORT: $(tail -3 "$TMP/prometheus.log")"
	finish
fi
ok "prometheus ready on 127.0.0.1:$PROM_PORT"

# start_target NAME CMD...: run it in the background; sets NAME_pid once it printed its pid
start_target() {
	local name=$1
	shift
	"$@" >"$TMP/$name.target.out" 2>"$TMP/$name.target.err" &
	eval "${name}_pid=$!"
	wait_for "$TMP/$name.target.err" "pid" 10 || echo "# $name printed no pid"
}

# start_maptrace NAME ARGS...: maptrace --listen in the background, waits until it traces
start_maptrace() {
	local name=$1
	shift
	"$MAPTRACE" "$@" --listen "127.0.0.1:$MT_PORT" -q >"$TMP/$name.mt.out" \
		2>"$TMP/$name.mt.err" &
	eval "${name}_mt=$!"
	wait_for "$TMP/$name.mt.err" "tracing PID" 20 ||
		echo "# maptrace did not start: $(cat "$TMP/$name.mt.err")"
}

# scraped EXPR: Prometheus has a sample for EXPR (its value is not "none" or "error")
scraped() {
	local v
	v=$(promq "$1")
	[ "$v" != none ] && [ "$v" != error ]
}

# --- 1. deterministic contention: 200 waits of ~20 ms over 4 s --------------------------------
# start after 3 s, so Prometheus scrapes maptrace before the first wait: rate() needs samples
# on both sides of the increase
ITERS=200
start_target mutex "$CONTEND" mutex $ITERS 20 3
start_maptrace mutex -p "$mutex_pid"
check "contention: Prometheus has scraped maptrace (maptrace_attached 1)" \
	wait_until 20 scraped "maptrace_attached{pid=\"$mutex_pid\"} == 1"
wait "$mutex_pid"
wait "$mutex_mt"
mt_rc=$?
check "contention: maptrace exited 0 when the target exited ($mt_rc)" [ "$mt_rc" -eq 0 ]
SEL="kind=\"mutex\",map!=\"\",pid=\"$mutex_pid\""
P50Q="histogram_quantile(0.5, sum by (le) (rate(maptrace_lock_wait_seconds_bucket{$SEL}[30s])))"
p50=$(promq "$P50Q")
own_p50=$(waited "$TMP/mutex.target.out" p50)
# in_bucket_of P50_S MEDIAN_NS: P50_S lies between the bound below 0.98 * MEDIAN_NS and the bound
# at or above 1.02 * MEDIAN_NS
in_bucket_of() {
	python3 - "$1" "$2" <<'PY' 2>/dev/null
import sys
p50, med = float(sys.argv[1]), float(sys.argv[2])
bounds = sorted(b for e in range(6, 40) for b in (2 ** e, 1.5 * 2 ** e))
lo = max(b for b in bounds if b < 0.98 * med)
hi = min(b for b in bounds if b >= 1.02 * med)
sys.exit(not lo <= p50 * 1e9 <= hi)
PY
}
check "contention: $P50Q = $p50 s, in the bucket of contend's own median wait ($own_p50 ns)" \
	in_bucket_of "$p50" "$own_p50"
meanq="sum(rate(maptrace_lock_wait_seconds_sum{$SEL}[30s])) / sum(rate(maptrace_lock_wait_seconds_count{$SEL}[30s]))"
mean=$(promq "$meanq")
n=$(promq "max(max_over_time(maptrace_lock_wait_seconds_count{$SEL}[1m]))")
# maptrace exits with its target, so the last scrape holds the first N waits (one waiting
# thread: they end in order, and the first scrape came before the first): those N, as contend
# timed them, are what the mean compares with (under load the later waits differ)
own_mean=$(jget "$TMP/mutex.target.out" "sum(d['waits_ns'][:int(float('$n'))]) / int(float('$n'))" 2>/dev/null || echo none)
check "contention: mean wait from _sum/_count = $mean s, within 3% of contend's own over those $n waits ($own_mean ns)" \
	near "$mean" "$(python3 -c "print($own_mean / 1e9)" 2>/dev/null || echo none)" 0.03
check "contention: the lock's waits were scraped as they came ($n of $ITERS before the exit)" \
	near "$n" $ITERS 0.5
inf=$(promq "max(max_over_time(maptrace_lock_wait_seconds_bucket{$SEL,le=\"+Inf\"}[1m]))")
check "contention: +Inf bucket == _count ($inf, $n)" [ "$inf" = "$n" ]

# --- 2. growth: grows counted exactly ----------------------------------------------------------
start_target growth "$MAPLOAD" --scenario growth --start-after 2 --exit-after 4 --json
start_maptrace growth -p "$growth_pid"
wait_for "$TMP/growth.target.out" "grows" 20
want=$(jget "$TMP/growth.target.out" "d['grows']")
GQ="sum(maptrace_map_grows_total{pid=\"$growth_pid\"})"
grows_match() { [ "$(promq "$GQ")" = "$want" ]; }
wait_until 10 grows_match
check "growth: $GQ = $(promq "$GQ"), mapload counted $want" [ "$(promq "$GQ")" = "$want" ]
check "growth: a rehash histogram was scraped" \
	scraped "maptrace_rehash_seconds_count{pid=\"$growth_pid\"} > 0"
http_get "$MT_URL" >"$TMP/growth.metrics"
check "growth: promtool check metrics accepts the live exposition" \
	promtool check metrics <"$TMP/growth.metrics"
wait "$growth_pid"
wait "$growth_mt"
mt_rc=$?
check "growth: maptrace exited 0 when the target exited ($mt_rc)" [ "$mt_rc" -eq 0 ]

# --- 3. 50 clients x 100 scrapes while tracing: all well formed, nothing dropped ---------------
start_target load "$MAPLOAD" --scenario mutex-writers --duration 60 --start-after 1
start_maptrace load -p "$load_pid"
wait_until 10 http_get "$MT_URL" >/dev/null 2>&1
check "load: 50 clients x 100 scrapes on loopback, every response complete and well formed" \
	python3 - "$MT_PORT" <<'PY'
import socket, sys, threading
port, bad, lock = int(sys.argv[1]), [], threading.Lock()
def scrape():
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    h = dict(l.split(b": ", 1) for l in lines[1:])
    assert lines[0] == b"HTTP/1.1 200 OK", lines[0]
    assert h[b"Content-Type"] == b"text/plain; version=0.0.4; charset=utf-8", h
    assert int(h[b"Content-Length"]) == len(body), (h, len(body))
    assert body.endswith(b"\n") and b"# TYPE maptrace_lock_wait_seconds histogram" in body
def client():
    for _ in range(100):
        try:
            scrape()
        except Exception as e:
            with lock:
                bad.append(repr(e))
ts = [threading.Thread(target=client) for _ in range(50)]
for t in ts:
    t.start()
for t in ts:
    t.join()
if bad:
    print("# %d bad responses, first: %s" % (len(bad), bad[0]))
sys.exit(1 if bad else 0)
PY
http_get "$MT_URL" >"$TMP/load.metrics"
dropped=$(awk '/^maptrace_dropped_records_total/ { s += $2 } END { print s + 0 }' "$TMP/load.metrics")
check "load: no record dropped while scraping ($dropped)" [ "$dropped" = 0 ] ||
	grep "^maptrace_dropped_records_total" "$TMP/load.metrics" | sed 's/^/# /'
check "load: promtool check metrics accepts it" promtool check metrics <"$TMP/load.metrics"
kill -INT "$load_mt"
wait "$load_mt"
mt_rc=$?
check "load: maptrace exits 0 on SIGINT ($mt_rc)" [ "$mt_rc" -eq 0 ]
kill "$load_pid" 2>/dev/null
wait "$load_pid" 2>/dev/null

# --- 4. --comm: a restart is a new pid label, the old pid's series stop -----------------------
"$MAPTRACE" --comm contend --listen "127.0.0.1:$MT_PORT" -q >"$TMP/comm.mt.out" \
	2>"$TMP/comm.mt.err" &
comm_mt=$!
start_target first "$CONTEND" mutex 20 20 1
attached() { grep -q "^maptrace_attached{pid=\"$1\".*} $2\$" <(http_get "$MT_URL" 2>/dev/null); }
check "--comm: the first pid $first_pid is attached" wait_until 20 attached "$first_pid" 1
wait "$first_pid"
check "--comm: once it exits, attached 0 for pid $first_pid" \
	wait_until 10 attached "$first_pid" 0
start_target second "$CONTEND" mutex 20 20 1
check "--comm: the restarted target, pid $second_pid, is attached" \
	wait_until 20 attached "$second_pid" 1
gone() { http_get "$MT_URL" >"$TMP/comm.metrics" && ! grep -q "pid=\"$1\"" "$TMP/comm.metrics"; }
check "--comm: pid $first_pid's series are no longer exposed" gone "$first_pid"
check "--comm: Prometheus has both pids" \
	wait_until 15 scraped "count(count by (pid) (max_over_time(maptrace_attached{pid=~\"$first_pid|$second_pid\"}[5m]))) == 2"
wait "$second_pid"
kill -INT "$comm_mt"
wait "$comm_mt"
mt_rc=$?
check "--comm: maptrace exits 0 on SIGINT ($mt_rc)" [ "$mt_rc" -eq 0 ]

kill "$PROM_PID" 2>/dev/null
wait "$PROM_PID" 2>/dev/null
finish
