#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# DERP relay lab: a real exitgate-derper over real TLS on the loopback of a private namespace.
#
#   +--------------------------- netns egd-relay-<pid> (lo only) ---------------------------+
#   | exitgate-derper 127.0.0.1:8443 (self-signed, pin file, 1 s login/write deadlines)     |
#   |   ^  derp-testclient pair: A <-> B, every byte checked, ping, PeerGone x2            |
#   |   ^  derp-testclient soak: A <-> B keep relaying while, one after another:            |
#   |   ^  derp_hostile.py: TLS garbage, half-open TCP, login stalls, bad ClientInfo        |
#   |   ^                   (huge, bad box, bad JSON, short), frame lengths 0/0xffffffff/   |
#   |   ^                   >64 KiB, a client that never reads, 5000 idle clients          |
#   +---------------------------------------------------------------------------------------+
# Each hostile connection must be closed alone: the soak must lose nothing and never reconnect.
set -eu
if [ "$(id -u)" -ne 0 ]; then
	echo "skip: needs root for a network namespace"
	exit 77
fi
build=${EXITGATE_BUILD:?}
source_dir=${EXITGATE_SOURCE:?}
derper=$build/tools/derper/exitgate-derper
client=$build/tests/lab/derp/derp-testclient
hostile=$source_dir/tests/lab/derp/derp_hostile.py
python=/usr/bin/python3
ns=egd-relay-$$
work=$(mktemp -d)
server_pid=
idle_pid=

cleanup() {
	[ -z "$idle_pid" ] || kill "$idle_pid" 2>/dev/null || true
	[ -z "$server_pid" ] || kill "$server_pid" 2>/dev/null || true
	wait 2>/dev/null || true
	ip netns del "$ns" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

fail() {
	echo "FAIL: $*"
	echo "--- server log (tail)"
	tail -20 "$work/server.log" || true
	exit 1
}

in_ns() { ip netns exec "$ns" "$@"; }

# stat NAME: the counter from the server's stats line (SIGUSR1).
counter() {
	local before
	before=$(grep -c 'stats:' "$work/server.log" || true)
	kill -USR1 "$server_pid"
	for _ in $(seq 50); do
		[ "$(grep -c 'stats:' "$work/server.log")" -gt "$before" ] && break
		sleep 0.1
	done
	grep 'stats:' "$work/server.log" | tail -1 | tr ' ' '\n' | sed -n "s/^$1=//p"
}

rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$server_pid/status"; }

ip netns add "$ns"
in_ns ip link set lo up
ip netns exec "$ns" "$derper" --listen 127.0.0.1:8443 --self-signed derp.test --pin-file "$work/pin" \
	--key-file "$work/derp.key" --stun-port 0 --login-timeout-ms 1000 --write-timeout-ms 1000 \
	--keepalive-ms 3000 --log-level info >"$work/stdout" 2>"$work/server.log" &
server_pid=$!
for _ in $(seq 100); do
	[ -s "$work/pin" ] && break
	sleep 0.1
done
[ -s "$work/pin" ] || fail "server did not start"
pin=$(cat "$work/pin")
[ "$(head -1 "$work/stdout")" = "$pin" ] || fail "stdout pin differs from the pin file"
[ "$(stat -c %a "$work/derp.key")" = 600 ] || fail "key file not created with mode 0600"
echo "ok server up, pin $pin"

# 1. Relay correctness at three sizes.
for size in 64 512 1420; do
	out=$(in_ns "$client" --server 127.0.0.1:8443 --pin "$pin" --mode pair --count 2000 \
		--size "$size" --timeout 60 2>/dev/null) || fail "pair $size: $out"
	echo "ok $out"
done
# A wrong pin is refused by the client: it never logs in.
bad_pin="sha256-raw:$(printf '%064d' 0)"
if in_ns "$client" --server 127.0.0.1:8443 --pin "$bad_pin" --mode pair --count 1 \
	--timeout 2 >/dev/null 2>&1; then
	fail "a client with a wrong pin logged in"
fi
echo "ok wrong pin refused"

# 2. Hostile clients while two real clients keep relaying.
in_ns "$python" "$hostile" 127.0.0.1 8443 neverread "$work/nr.key" 12 >"$work/nr.out" 2>&1 &
nr_pid=$!
for _ in $(seq 100); do
	[ -s "$work/nr.key" ] && break
	sleep 0.1
done
[ -s "$work/nr.key" ] || fail "never-reading client did not log in"
in_ns "$client" --server 127.0.0.1:8443 --pin "$pin" --mode soak --duration 30 --rate 300 \
	--size 1200 --extra-dst "$(cat "$work/nr.key")" >"$work/soak.out" 2>"$work/soak.log" &
soak_pid=$!
sleep 1

for c in garbage clientinfo-huge clientinfo-badbox clientinfo-badjson clientinfo-short \
	len0 lenffffffff len64k; do
	in_ns "$python" "$hostile" 127.0.0.1 8443 "$c" || fail "case $c"
done
for c in halfopen stall-login stall-midframe; do
	in_ns "$python" "$hostile" 127.0.0.1 8443 "$c" 1.0 || fail "case $c"
done
wait "$nr_pid" || fail "never-reading client: $(cat "$work/nr.out")"
[ "$(counter drop_queue_full)" -gt 0 ] || fail "the never-reading client's queue never dropped"
[ "$(counter timeouts_write)" -ge 1 ] || fail "the never-reading client was not closed (write stall)"
echo "ok never-reading client: queue dropped $(counter drop_queue_full), closed on write stall"

# 3. Thousands of idle clients; memory per connection from the server's RSS.
idle=5000
rss_before=$(rss_kb)
mkfifo "$work/hold"
in_ns "$python" "$hostile" 127.0.0.1 8443 idle "$idle" "$work/idle.ready" <"$work/hold" \
	>"$work/idle.out" 2>&1 &
idle_pid=$!
exec 9>"$work/hold"
for _ in $(seq 1200); do
	[ -s "$work/idle.ready" ] && break
	kill -0 "$idle_pid" 2>/dev/null || break
	sleep 0.1
done
[ -s "$work/idle.ready" ] || fail "idle clients did not all log in: $(cat "$work/idle.out")"
sleep 0.5
rss_idle=$(rss_kb)
clients=$(counter clients)
[ "$clients" -ge "$idle" ] || fail "only $clients clients connected"
per_conn=$(( (rss_idle - rss_before) * 1024 / idle ))
# Sanitizer builds carry redzones and quarantine: a looser bound there.
limit=32768
if grep -qa __asan_init "$derper"; then limit=262144; fi
echo "ok $idle idle clients: server RSS ${rss_before} kB -> ${rss_idle} kB, $per_conn bytes each"
[ "$per_conn" -le "$limit" ] || fail "$per_conn bytes per idle connection (limit $limit)"
exec 9>&-
wait "$idle_pid" || fail "idle clients: $(cat "$work/idle.out")"
idle_pid=

wait "$soak_pid" || fail "relaying clients disturbed: $(cat "$work/soak.out")"
echo "ok relaying through it all: $(cat "$work/soak.out")"

# Counters for what the hostile cases did.
[ "$(counter tls_failures)" -ge 1 ] || fail "TLS garbage not counted"
[ "$(counter timeouts_login)" -ge 3 ] || fail "login deadlines not counted"
[ "$(counter protocol_errors)" -ge 6 ] || fail "protocol errors not counted ($(counter protocol_errors))"
[ "$(counter login_failures)" -ge 2 ] || fail "bad ClientInfo boxes/JSON not counted"
echo "ok counters: tls_failures=$(counter tls_failures) timeouts_login=$(counter timeouts_login)" \
	"protocol_errors=$(counter protocol_errors) login_failures=$(counter login_failures)"

# The server still serves after all of it, and exits cleanly on SIGTERM.
out=$(in_ns "$client" --server 127.0.0.1:8443 --pin "$pin" --mode pair --count 100 \
	--size 200 2>/dev/null) || fail "pair after the hostile cases: $out"
kill -TERM "$server_pid"
wait "$server_pid" || fail "server exit status $?"
server_pid=
echo "ok server exited cleanly"
echo "derp relay lab passed"
