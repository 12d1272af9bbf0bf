#!/usr/bin/env bash
# make demo: a growth storm and a contended lock in one process, traced live by maptrace.
# mapload runs 4 writer threads on one mutex-guarded map created without a size hint, holding
# the lock 20 us per write; maptrace prints a report every second and the summary when
# mapload exits.
set -euo pipefail
cd "$(dirname "$0")/.."

workload=(bin/mapload --variant mutex --threads 4 --keys 50000 --write-pct 60 --new-key-pct 80
	--hold-us 20 --duration 3 --start-after 0.5)
echo "\$ ${workload[*]} &"
"${workload[@]}" >/dev/null 2>"${TMPDIR:-/tmp}/maptrace-demo.err" &
pid=$!
# wait until it runs its own code (it prints its pid), so maptrace sees its mappings
for _ in $(seq 100); do
	grep -q pid "${TMPDIR:-/tmp}/maptrace-demo.err" 2>/dev/null && break
	sleep 0.01
done
echo "\$ bin/maptrace -p $pid --top 5"
bin/maptrace -p "$pid" --top 5
wait "$pid"
