#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Interop of exitgate's WireGuard core with wireguard-go, the independent implementation.
#
#   ns egw-a-<pid>                                 ns egw-b-<pid>
#  +-----------------------------------+          +------------------------------------+
#  | wireguard-go egw<pid>             |          | wg_interop (exitgate device +      |
#  |   tunnel 10.99.0.1/24, UDP 51820  |          |   transport on a kernel UDP socket)|
#  |   the kernel answers its pings    |          |   tunnel address 10.99.0.2, UDP    |
#  |                                   |          |   51821; builds/answers ICMP itself|
#  | egwva 10.98.0.1/24 ===================veth=================== egwvb 10.98.0.2/24  |
#  +-----------------------------------+          +------------------------------------+
#
# Cases: wg_interop initiates and pings 10.99.0.1; wireguard-go initiates (ping from ns A) and
# wg_interop answers; each without and with a preshared key; rekeys forced by wg_interop
# (expiring its keypair, or moving its clock past REKEY_AFTER_TIME) with traffic before and
# after. Every case starts from a fresh peer on the wireguard-go side and checks `wg show`: the
# transfer counters must equal, byte for byte, what wg_interop counted the other way round, and
# a handshake must be recorded.
set -u
umask 077

if [ "$(id -u)" -ne 0 ]; then
	echo "wg_interop: skipped: needs root (network namespaces)"
	exit 77
fi
for tool in ip wg wireguard-go ping; do
	if ! command -v "$tool" >/dev/null; then
		echo "wg_interop: skipped: $tool is not installed (tools/bootstrap)"
		exit 77
	fi
done
if [ ! -c /dev/net/tun ]; then
	echo "wg_interop: skipped: no /dev/net/tun for wireguard-go"
	exit 77
fi

build=${EXITGATE_BUILD:?EXITGATE_BUILD is not set}
prog=$build/tests/lab/wg/wg_interop
nsa=egw-a-$$
nsb=egw-b-$$
ifname=egw$$
tmp=$(mktemp -d)
wgpid=

cleanup() {
	[ -n "$wgpid" ] && kill "$wgpid" 2>/dev/null && wait "$wgpid" 2>/dev/null
	ip netns del "$nsa" 2>/dev/null
	ip netns del "$nsb" 2>/dev/null
	rm -f "/var/run/wireguard/$ifname.sock"
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

A() { ip netns exec "$nsa" "$@"; }
B() { ip netns exec "$nsb" "$@"; }

passed=0
failed=0
ok() { echo "ok - $1"; passed=$((passed + 1)); }
not_ok() { echo "not ok - $1: $2"; failed=$((failed + 1)); }

# ---- topology ----
set -e
ip netns add "$nsa"
ip netns add "$nsb"
ip -n "$nsa" link add egwva type veth peer name egwvb netns "$nsb"
ip -n "$nsa" addr add 10.98.0.1/24 dev egwva
ip -n "$nsb" addr add 10.98.0.2/24 dev egwvb
ip -n "$nsa" link set lo up
ip -n "$nsb" link set lo up
ip -n "$nsa" link set egwva up
ip -n "$nsb" link set egwvb up

wg genkey >"$tmp/a.key"
wg pubkey <"$tmp/a.key" >"$tmp/a.pub"
wg genkey >"$tmp/b.key"
wg pubkey <"$tmp/b.key" >"$tmp/b.pub"
wg genpsk >"$tmp/psk"
apub=$(cat "$tmp/a.pub")
bpub=$(cat "$tmp/b.pub")

A env WG_PROCESS_FOREGROUND=1 LOG_LEVEL=verbose wireguard-go "$ifname" >"$tmp/wireguard-go.log" 2>&1 &
wgpid=$!
for _ in $(seq 50); do
	[ -S "/var/run/wireguard/$ifname.sock" ] && break
	sleep 0.1
done
A wg set "$ifname" private-key "$tmp/a.key" listen-port 51820
ip -n "$nsa" addr add 10.99.0.1/24 dev "$ifname"
ip -n "$nsa" link set "$ifname" up
set +e

# peer_fresh [psk] [endpoint]: wireguard-go forgets every session with wg_interop.
peer_fresh() {
	local psk=$1 endpoint=$2 args=(allowed-ips 10.99.0.2/32)

	[ -n "$psk" ] && args+=(preshared-key "$tmp/psk")
	[ -n "$endpoint" ] && args+=(endpoint 10.98.0.2:51821)
	A wg set "$ifname" peer "$bpub" remove &&
		A wg set "$ifname" peer "$bpub" "${args[@]}"
}

interop() {
	B "$prog" --private-key-file "$tmp/b.key" --peer-key "$apub" --listen-port 51821 \
		--address 10.99.0.2 --peer-address 10.99.0.1 "$@"
}

# check_wg_show NAME OUTPUT HANDSHAKES: wireguard-go's counters mirror wg_interop's.
check_wg_show() {
	local name=$1 out=$2 handshakes=$3 rx tx wg_rx wg_tx latest
	read -r rx tx < <(sed -n 's/^wg_interop: transfer: rx \([0-9]*\) tx \([0-9]*\)$/\1 \2/p' "$out")
	read -r _ wg_rx wg_tx < <(A wg show "$ifname" transfer | grep -F "$bpub")
	read -r _ latest < <(A wg show "$ifname" latest-handshakes | grep -F "$bpub")
	if [ -z "$rx" ] || [ "$wg_rx" != "$tx" ] || [ "$wg_tx" != "$rx" ]; then
		not_ok "$name" "wg show transfer rx $wg_rx tx $wg_tx, wg_interop rx $rx tx $tx"
		return 1
	fi
	if [ -z "$latest" ] || [ "$latest" -eq 0 ]; then
		not_ok "$name" "wg show records no handshake"
		return 1
	fi
	if ! grep -qx "wg_interop: handshakes: $handshakes" "$out"; then
		not_ok "$name" "wg_interop: $(grep handshakes: "$out"), want $handshakes"
		return 1
	fi
	echo "#   wg show transfer: received $wg_rx sent $wg_tx bytes (= wg_interop's sent/received)"
	return 0
}

# we_initiate NAME PSK [REKEY]: wg_interop pings wireguard-go's tunnel address.
we_initiate() {
	local name=$1 psk=$2 rekey=${3:-} out=$tmp/$1.out args=(--ping 3)
	local handshakes=1

	peer_fresh "$psk" "" || { not_ok "$name" "wg set failed"; return; }
	[ -n "$psk" ] && args+=(--psk-file "$tmp/psk")
	[ -n "$rekey" ] && args+=(--rekey "$rekey") && handshakes=2
	if ! interop --endpoint 10.98.0.1:51820 "${args[@]}" >"$out" 2>&1; then
		sed 's/^/#   /' "$out"
		not_ok "$name" "wg_interop failed"
		return
	fi
	sed 's/^/#   /' "$out"
	check_wg_show "$name" "$out" "$handshakes" && ok "$name"
}

# they_initiate NAME PSK [REKEY]: wireguard-go's kernel pings 10.99.0.2; wg_interop answers.
they_initiate() {
	local name=$1 psk=$2 rekey=${3:-} out=$tmp/$1.out args=(--answer 3) count=3
	local handshakes=1 pid

	peer_fresh "$psk" endpoint || { not_ok "$name" "wg set failed"; return; }
	[ -n "$psk" ] && args+=(--psk-file "$tmp/psk")
	[ -n "$rekey" ] && args+=(--rekey "$rekey") && handshakes=2 && count=6
	interop "${args[@]}" >"$out" 2>&1 &
	pid=$!
	sleep 0.5
	if ! A ping -c "$count" -i 0.5 -W 5 10.99.0.2 >"$tmp/$name.ping" 2>&1; then
		sed 's/^/#   /' "$tmp/$name.ping"
		kill "$pid" 2>/dev/null
		wait "$pid"
		sed 's/^/#   /' "$out"
		not_ok "$name" "ping from wireguard-go's side failed"
		return
	fi
	if ! wait "$pid"; then
		sed 's/^/#   /' "$out"
		not_ok "$name" "wg_interop failed"
		return
	fi
	sed 's/^/#   /' "$out"
	grep -E "packets transmitted" "$tmp/$name.ping" | sed 's/^/#   /'
	check_wg_show "$name" "$out" "$handshakes" && ok "$name"
}

we_initiate "exitgate initiates, no psk" ""
we_initiate "exitgate initiates, psk" psk
they_initiate "wireguard-go initiates, no psk" ""
they_initiate "wireguard-go initiates, psk" psk
we_initiate "rekey by expiring the keypair (exitgate initiated)" psk expire
we_initiate "rekey after REKEY_AFTER_TIME on exitgate's clock" ""  clock
they_initiate "rekey by expiring the keypair (wireguard-go initiated)" "" expire

if [ "$failed" -ne 0 ]; then
	echo "# wireguard-go's log:"
	sed 's/^/#   /' "$tmp/wireguard-go.log"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
