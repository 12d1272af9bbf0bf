#!/usr/bin/env bash
# Issue 16 points 3, 6, 7: false sharing between contended locks, the spread of waits across a
# sharded map's shards, tables that fit the terminal, --sort and the --map/--lock filters, colour,
# the report subcommand's help and the exit codes (needs root: loads BPF).
# timeout: 600
source "$(dirname "$0")/lib.sh"

FALSESHARE=${FALSESHARE:-.output/tests/progs/falseshare}

# --- A. false sharing: neighbouring mutexes of one packed array ---------------------------------
ITERS=6
traced packed --json -- "$FALSESHARE" $ITERS 5
traced packedtxt -q -- "$FALSESHARE" $ITERS 5
P=$TMP/packed.mt.out PT=$TMP/packed.target.out
check "packed: maptrace and falseshare exited 0 ($packed_mt_rc, $packed_target_rc)" \
	[ "$packed_mt_rc" -eq 0 ] && [ "$packed_target_rc" -eq 0 ]
# locks 0 and 1 share line 0 (bytes 0..79), locks 2 and 3 line 1: two groups, in address order
want=$(jget "$PT" "[[d['locks'][0], d['locks'][1]], [d['locks'][2], d['locks'][3]]]")
check "packed: json false_sharing is exactly the two pairs of the array $want ($(jget "$P" "[g['locks'] for g in d['false_sharing']]"))" \
	[ "$(jget "$P" "[g['locks'] for g in d['false_sharing']]")" = "$want" ]
check "packed: each pair's contentions are the waits its two waiters counted ($(jget "$P" "[g['contentions'] for g in d['false_sharing']]") vs $(jget "$PT" "d['blocked']"))" \
	[ "$(jget "$P" "[g['contentions'] for g in d['false_sharing']]")" = \
	  "$(jget "$PT" "[d['blocked'][0] + d['blocked'][1], d['blocked'][2] + d['blocked'][3]]")" ]
check "packed: the falseshare waits were real ($(jget "$PT" "d['waits']") of $((4 * ITERS)))" \
	[ "$(jget "$PT" "d['waits']")" = $((4 * ITERS)) ]
check "packed: two advice lines name the false sharing and the fix" \
	[ "$(jget "$P" "sum('false sharing' in a and 'aligned(64)' in a for a in d['advice'])")" = 2 ]
check "packed: text summary names both pairs" \
	[ "$(grep -c '^false sharing: .* share a 64-byte cache line' "$TMP/packedtxt.mt.out")" = 2 ]

# the fix itself: the same program with each mutex on its own line
traced padded --json -- "$FALSESHARE" $ITERS 5 1
check "padded: its $(jget "$TMP/padded.mt.out" "len(d['locks'])") contended locks, no false sharing, no such advice" \
	[ "$(jget "$TMP/padded.mt.out" "(len(d['locks']) >= 4, d['false_sharing'], sum('false sharing' in a for a in d['advice']))")" = "(True, [], 0)" ]

# libcmap's sharded map: its shard locks are 64 bytes apart, each on its own line
SHARDED=("$MAPLOAD" --variant sharded --shards 16 --threads 4 --keys 64 --write-pct 50
	--hold-us 200 --ops 20000 --start-after 0.3)
traced sharded --json -- "${SHARDED[@]}"
S=$TMP/sharded.mt.out
check "sharded: several shard locks contended ($(jget "$S" "len([l for l in d['locks'] if l['map']])")), none shares a line" \
	[ "$(jget "$S" "(len([l for l in d['locks'] if l['map']]) >= 2, d['false_sharing'])")" = "(True, [])" ]
check "sharded: no false-sharing advice" \
	[ "$(jget "$S" "sum('false sharing' in a for a in d['advice'])")" = 0 ]

# --- B. the spread of a sharded map's waits across its shards: one advice line per map ----------
# uniform keys over 3 maps of 16 shards: every shard lock alike busy
traced even --json -- "$MAPLOAD" --json --variant sharded --maps 3 --shards 16 --threads 4 \
	--keys 100000 --write-pct 50 --hold-us 100 --ops 40000 --start-after 0.3
E=$TMP/even.mt.out
check "even: mapload ran ($even_target_rc) and maptrace exited 0 ($even_mt_rc)" \
	[ "$even_target_rc" -eq 0 ] && [ "$even_mt_rc" -eq 0 ]
check "even: exactly 3 shard advice lines, one per map, each 'spread evenly' ($(jget "$E" "[a for a in d['advice'] if 'shard' in a]"))" \
	[ "$(jget "$E" "(sum('sharded map' in a for a in d['advice']), sum('16 shards, waits spread evenly: more shards or shorter holds' in a for a in d['advice']), len({a.split()[2] for a in d['advice'] if a.startswith('sharded map')}))")" = "(3, 3, 3)" ]
check "even: no advice line per shard lock, no 'shard the map'" \
	[ "$(jget "$E" "sum(a.startswith('mutex') or 'shard the map' in a for a in d['advice'])")" = 0 ]
# one key: every op on one shard
traced hot --json -- "$MAPLOAD" --json --variant sharded --shards 16 --threads 4 --writers 1 \
	--keys 1 --write-pct 50 --hold-us 100 --duration 1 --start-after 0.3
H=$TMP/hot.mt.out
check "hot key: mapload ran ($hot_target_rc) and maptrace exited 0 ($hot_mt_rc)" \
	[ "$hot_target_rc" -eq 0 ] && [ "$hot_mt_rc" -eq 0 ]
check "hot key: exactly one shard advice line, 'one shard takes 100%: a hot key' ($(jget "$H" "d['advice']"))" \
	[ "$(jget "$H" "(sum('sharded map' in a for a in d['advice']), sum('one shard takes 100%: a hot key' in a for a in d['advice']))")" = "(1, 1)" ]

finish
