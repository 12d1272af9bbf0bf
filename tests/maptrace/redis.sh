# shellcheck shell=bash
# Helpers for driving Debian 12's redis-server 7.0 in maptrace's root tests.
# Source it after tests/maptrace/lib.sh (it uses $TMP and lib.sh's EXIT trap, which kills
# background jobs, so a failed test never leaves a server behind).
#
#   redis_start NAME PORT   start a throw-away server; sets REDIS_PID (and REDIS_PIDS[PORT])
#   redis_load PORT N [FIRST]  SET keys key:FIRST .. key:FIRST+N-1 (9 digits), check DBSIZE
#   redis_htstats PORT      print the keyspace dict's table size (see below for rehashing)
#   redis_stop PORT         SHUTDOWN NOSAVE and wait for the process to go
#   redis_free_port         print a TCP port free on 127.0.0.1 now
#
# Every function returns non-zero, with a "# ..." line on stderr, when something is wrong.

REDIS_SERVER=${REDIS_SERVER:-redis-server}
REDIS_CLI=${REDIS_CLI:-redis-cli}
REDIS_PID=
declare -gA REDIS_PIDS=()

# redis_start NAME PORT
# A foreground redis-server as a background job of this shell, so $! is the server itself (bash
# execs a simple command in the forked child; checked against INFO's process_id below).
# Loopback only, no RDB or AOF, DEBUG allowed from loopback.  Data dir $TMP/NAME, log
# $TMP/NAME.redis.log.
redis_start() {
	local name=$1 port=$2
	local dir="$TMP/$name" log="$TMP/$name.redis.log"
	local end=$((SECONDS + 10)) pid reported

	mkdir -p "$dir" || return 1
	"$REDIS_SERVER" --port "$port" --bind 127.0.0.1 --save "" --appendonly no \
		--enable-debug-command local --daemonize no --dir "$dir" --logfile "$log" \
		</dev/null >"$TMP/$name.redis.out" 2>&1 &
	pid=$!
	until [ "$("$REDIS_CLI" -p "$port" ping 2>/dev/null)" = PONG ]; do
		if ! kill -0 "$pid" 2>/dev/null; then
			echo "# redis-server on port $port exited at start: $(tail -n 3 "$log" \
				"$TMP/$name.redis.out" 2>/dev/null)" >&2
			return 1
		fi
		if [ $SECONDS -ge $end ]; then
			echo "# redis-server on port $port did not answer PING within 10 s" >&2
			kill -9 "$pid" 2>/dev/null
			return 1
		fi
		sleep 0.05
	done
	# PONG could come from another server already on this port
	reported=$("$REDIS_CLI" -p "$port" info server | tr -d '\r' |
		sed -n 's/^process_id://p')
	if [ "$reported" != "$pid" ]; then
		echo "# port $port is served by PID '$reported', not by our redis-server $pid" >&2
		kill -9 "$pid" 2>/dev/null
		return 1
	fi
	REDIS_PID=$pid
	REDIS_PIDS[$port]=$pid
}

# redis_load PORT N [FIRST]
# SETs N keys key:FIRST .. key:FIRST+N-1 (FIRST defaults to 1; keys are "key:" and 9 digits,
# values the key's number) through `redis-cli --pipe`, then checks that DBSIZE is FIRST+N-1,
# i.e. that the database holds exactly the keys loaded so far when loading in order from 1.
redis_load() {
	local port=$1 n=$2 first=${3:-1}
	local out dbsize

	out=$(awk -v first="$first" -v n="$n" 'BEGIN {
		for (i = first; i < first + n; i++) {
			k = sprintf("key:%09d", i)
			v = sprintf("%d", i)
			printf "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n",
				length(k), k, length(v), v
		}
	}' | "$REDIS_CLI" -p "$port" --pipe 2>&1)
	if ! grep -q "errors: 0, replies: $n\$" <<<"$out"; then
		echo "# redis-cli --pipe on port $port: $(tail -n 1 <<<"$out")" >&2
		return 1
	fi
	dbsize=$("$REDIS_CLI" -p "$port" dbsize)
	if [ "$dbsize" != $((first + n - 1)) ]; then
		echo "# port $port: DBSIZE is $dbsize after loading keys" \
			"$first..$((first + n - 1))" >&2
		return 1
	fi
}

# redis_htstats PORT
# Prints the number of buckets of db 0's keyspace dict, from DEBUG HTSTATS 0.  Redis 7.0 prints
# "[Dictionary HT]" (the keyspace) then "[Expires HT]"; under each, "Hash table 0 stats (main
# hash table):" and, only while a rehash is in progress, "Hash table 1 stats (rehashing
# target):", each with " table size: N".  Not rehashing: prints table 0's size.  Rehashing:
# prints table 1's, the size the dict is moving to and will have once the rehash ends.
# An empty keyspace has no table size in HTSTATS ("No stats available for empty
# dictionaries"): prints 0.  A rehash whose target is still empty (a rare state the keyspace
# reaches only through explicit expands or deletes) gives no target size: returns 1.
redis_htstats() {
	local port=$1 out

	out=$("$REDIS_CLI" -p "$port" debug htstats 0 2>&1)
	if ! grep -q '^\[Dictionary HT\]' <<<"$out"; then
		echo "# port $port: unexpected DEBUG HTSTATS answer: $(head -n 1 <<<"$out")" >&2
		return 1
	fi
	tr -d '\r' <<<"$out" | awk -v port="$port" '
		/^\[Expires HT\]/ { exit }
		/^Hash table [01] stats/ { t = $3; seen[t] = 1 }
		/^ table size: / { size[t] = $3 }
		END {
			if (seen[1]) {
				if (size[1] == "") {
					print "# port " port ": rehashing to an empty table," \
						" size not shown" > "/dev/stderr"
					exit 1
				}
				print size[1]
			} else {
				print size[0] == "" ? 0 : size[0]
			}
		}'
}

# redis_stop PORT
# SHUTDOWN NOSAVE, then waits up to 5 s for the process to exit and reaps it.  A zombie counts
# as exited: kill -0 alone would still find it.  Still running after 5 s: kill -9, return 1.
redis_stop() {
	local port=$1
	local pid=${REDIS_PIDS[$port]:-$REDIS_PID}
	local end=$((SECONDS + 5)) state rc=0

	# bounded: a stopped or wedged server would never answer
	timeout 5 "$REDIS_CLI" -p "$port" shutdown nosave >/dev/null 2>&1
	while :; do
		state=$(sed 's/.*) //; s/ .*//' "/proc/$pid/stat" 2>/dev/null)
		[ -z "$state" ] || [ "$state" = Z ] && break
		if [ $SECONDS -ge $end ]; then
			echo "# redis-server $pid on port $port still running 5 s after SHUTDOWN;" \
				"killing it" >&2
			kill -9 "$pid" 2>/dev/null
			rc=1
			break
		fi
		sleep 0.05
	done
	wait "$pid" 2>/dev/null
	unset "REDIS_PIDS[$port]"
	[ "$REDIS_PID" = "$pid" ] && REDIS_PID=
	return $rc
}

# redis_free_port: a port the kernel just handed out for 127.0.0.1, free once printed (another
# process could take it before redis-server binds it; redis_start then fails, never hangs).
redis_free_port() {
	python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}
