#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Two exitgated nodes that can only reach each other through the DERP relay.
#
#   egr-a (node A)                       egr-rt (router)                  egr-b (node B)
#  exitgated, 1 worker            +-----------------------------+       exitgated, 1 worker
#  public: af_packet on vpa ------| ra 10.0.1.1      rb 10.0.2.1|------ public: af_packet vpb
#    10.0.1.10/24 gw .1           | nftables forward, policy    |         10.0.2.10/24 gw .1
#    kernel TAP egra-pub: the     | drop: UDP dropped (counted),|         kernel TAP egrb-pub
#    DERP client's TCP/TLS        | only TCP to 10.0.3.2:8443   |       inner: net_tun egrb0in
#  inner: net_tun egra0in         | rr 10.0.3.1                 |         10.88.0.2/24
#    10.88.0.1/24                 +--------------|--------------+
#                                 egr-relay: rel 10.0.3.2/24, exitgate-derper :8443
#                                 (self-signed cert, pinned in both DERP maps, region 900)
#
# Each node has the other as a peer with `path: relay` (and a direct endpoint it must not use).
# Asserts: ping both ways and iperf3 both directions through the relay; status shows the relay
# connected and the peer relayed; counters per region grow; UDP is really blocked (a peer
# switched to `path: direct` stays unreachable and the router's UDP drop counter grows); the
# relay killed (SIGKILL) and restarted: the tunnel comes back by itself; a relay that announces
# Restarting (SIGTERM) is reconnected to after the announced delay; a black hole (no RST) is
# noticed by unanswered pings; a relay that announces a rate limit is obeyed (the client drops
# the excess itself); clean shutdown without a sanitizer report.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
lab_require_root wg iperf3 ethtool nft openssl python3

build=${EXITGATE_BUILD:?EXITGATE_BUILD names the build tree}
exitgated=$build/control/exitgated
exitgatectl=$build/tools/exitgatectl/exitgatectl
derper=$build/tools/derper/exitgate-derper
trap lab_cleanup EXIT
cd "$LAB_TMP"

# ---- topology ----
for ns in egr-rt egr-a egr-b egr-relay; do lab_netns "$ns"; done
lab_veth egr-a vpa egr-rt ra
lab_veth egr-b vpb egr-rt rb
lab_veth egr-relay rel egr-rt rr
ip -n egr-rt addr add 10.0.1.1/24 dev ra
ip -n egr-rt addr add 10.0.2.1/24 dev rb
ip -n egr-rt addr add 10.0.3.1/24 dev rr
ip -n egr-relay addr add 10.0.3.2/24 dev rel
ip -n egr-relay route add default via 10.0.3.1
ip netns exec egr-rt sysctl -qw net.ipv4.ip_forward=1
ip netns exec egr-rt nft -f - <<'NFT'
table inet egr {
	counter udp_dropped {}
	chain forward {
		type filter hook forward priority 0; policy drop;
		ct state established,related accept
		meta l4proto udp counter name udp_dropped drop
		ip daddr 10.0.3.2 tcp dport { 8443, 8444 } accept
	}
}
NFT

# ---- the relay: a certificate made once, so every restart keeps the pin ----
umask 077
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	-subj /CN=derp.lab -addext subjectAltName=DNS:derp.lab \
	-keyout relay-key.pem -out relay-cert.pem >/dev/null 2>&1
pin="sha256-raw:$(openssl x509 -in relay-cert.pem -outform der | sha256sum | cut -d' ' -f1)"
relay_pid=
start_relay() { # start_relay [extra derper options]: region 900's relay
	rm -f relay.pin
	lab_bg egr-relay relay.log "$derper" --listen 10.0.3.2:8443 --cert relay-cert.pem \
		--key relay-key.pem --key-file relay.key --pin-file relay.pin --stun-port 0 \
		--log-level info "$@"
	relay_pid=${LAB_PIDS[-1]}
	lab_wait_for 10 test -s relay.pin
}
start_relay
lab_expect_eq "the relay serves the pinned certificate" "$pin" "$(cat relay.pin)"

# ---- the nodes ----
for n in a b; do
	wg genkey >$n.key
	wg pubkey <$n.key >$n.pub
done
region_yaml() { # region_yaml id port
	cat <<YAML
    - region_id: $1
      region_code: lab$1
      nodes:
        - {name: relay$1, host_name: derp.lab, cert_name: "$pin", ipv4: 10.0.3.2, ipv6: none,
           derp_port: $2, stun_port: -1}
YAML
}
derp_map=$(printf 'derp:\n  regions:\n%s' "$(region_yaml 900 8443)")
write_config() { # write_config node peer subnet tunnel-address peer-address endpoint path
	cat >"$1.yaml" <<YAML
node: {private_key_file: $LAB_TMP/$1.key, listen_port: 41641, interface: egr$1}
dataplane: {workers: 1, idle: adaptive, eal: ["--no-huge", "-m", "256", "--no-shconf"]}
ports:
  public: {device: "net_af_packet0,iface=vp$1", addresses: [10.0.$3.10/24], gateway: 10.0.$3.1,
           kernel_tap: egr$1-pub}
  inner: {device: "net_tun0,iface=egr${1}0in", addresses: [10.88.0.$4/24]}
$derp_map
peers:
  - {name: $2, public_key: "$(cat $2.pub)", allowed_ips: [10.88.0.$5/32],
     endpoint: "$6", path: $7}
control: {socket: $LAB_TMP/$1.sock}
YAML
}
write_config a b 1 1 2 10.0.2.10:41641 relay
write_config b a 2 2 1 10.0.1.10:41641 relay
ctl() { local n=$1; shift; "$exitgatectl" "$@" --socket "$LAB_TMP/$n.sock" 2>/dev/null; }
for n in a b; do
	lab_bg egr-$n $n.log "$exitgated" --config $n.yaml
	eval "${n}_pid=${LAB_PIDS[-1]}"
done
for n in a b; do
	lab_check "node $n starts and answers on its control socket" lab_wait_for 30 ctl $n status
	lab_check "node $n's kernel TAP carries its public address" \
		lab_wait_for 5 sh -c "ip -n egr-$n addr show egr$n-pub | grep -q 'inet 10.0.'"
done
# the DERP client is a kernel socket: the kernel reaches the relay through the TAP
ip -n egr-a route add 10.0.3.0/24 via 10.0.1.1 dev egra-pub
ip -n egr-b route add 10.0.3.0/24 via 10.0.2.1 dev egrb-pub

json() { # json node verb expression: a Python expression over s, the `verb --json` document
	ctl "$1" "$2" --json | python3 -c "import json,sys; s = json.load(sys.stdin); print($3)"
}
region() { # region node expression: over r, region 900 of `stats --json`
	json "$1" stats "(lambda r: $2)([r for r in s['relay']['regions'] if r['region_id'] == 900][0])"
}
connected() { [ "$(json "$1" status "s['relay']['regions'][0]['connected']")" = True ]; }
disconnected() { ! connected "$1"; }
counter_above() { [ "$(region "$1" "r['$2']")" -gt "$3" ]; } # counter_above node name value
measured() { [ "$(json "$1" status "s['relay']['regions'][0]['latency_ms']")" != None ]; }
pings() { ip netns exec "$1" ping -c "$2" -W 2 "$3" >/dev/null; } # pings ns count address
no_ping() { ! ip netns exec "$1" ping -c "$2" -W 1 "$3" >/dev/null; }
seconds_since() { python3 -c "import time; print('%.1f' % (time.time() - $1))"; }

for n in a b; do
	lab_check "node $n connects to the relay" lab_wait_for 20 connected $n
done
lab_expect_eq "node a's home region" 900 "$(json a status "s['relay']['home_region']")"
lab_expect_eq "node a's peer is relayed through region 900" "relay relay 900" \
	"$(json a status "' '.join(str(s['peers'][0][k]) for k in ('pin', 'path', 'relay_region'))")"
lab_check "node a measured the relay's latency" lab_wait_for 5 measured a

# ---- the tunnel through the relay ----
lab_check "a -> b ping through the relay" lab_wait_for 20 ip netns exec egr-a ping -c 1 -W 1 10.88.0.2
lab_check "b -> a ping through the relay" pings egr-b 3 10.88.0.1
lab_expect_eq "node b sends to no UDP endpoint (a relay source is no endpoint)" \
	"(none)" "$(json b status "s['peers'][0]['endpoint']")"
sent0=$(region a "r['packets_sent']")
recv0=$(region b "r['packets_received']")
ip netns exec egr-a ping -c 20 -i 0.05 -W 2 10.88.0.2 >/dev/null
lab_check "node a's relay counters grow: $sent0 -> $(region a "r['packets_sent']") sent" \
	counter_above a packets_sent $((sent0 + 19))
lab_check "node b's relay counters grow: $recv0 -> $(region b "r['packets_received']") received" \
	counter_above b packets_received $((recv0 + 19))
refusals="('unknown_peer', 'not_relay_peer', 'not_wireguard', 'no_mbuf')"
lab_expect_eq "node b refused no relayed message" "0 0 0 0" \
	"$(region b "' '.join(str(r['drops'][k]) for k in $refusals)")"
lab_check "exitgatectl status (text) names the relay" \
	sh -c "'$exitgatectl' status --socket $LAB_TMP/a.sock | grep -q 'active; relay \"lab900\" (pinned)'"

floor_mbps=${EXITGATE_LAB_RELAY_FLOOR:-10}
iperf() { # iperf server-ns client-ns address: prints Mbit/s received
	ip netns exec "$1" iperf3 -s -1 -D -I "$LAB_TMP/iperf.pid" >/dev/null 2>&1
	sleep 0.3
	ip netns exec "$2" timeout 20 iperf3 -c "$3" -t 3 -J 2>/dev/null |
		python3 -c 'import json,sys
print(int(json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 1e6))' 2>/dev/null ||
		echo 0
}
up=$(iperf egr-b egr-a 10.88.0.2)
[ "$up" -ge "$floor_mbps" ] || up=$(iperf egr-b egr-a 10.88.0.2)
down=$(iperf egr-a egr-b 10.88.0.1)
[ "$down" -ge "$floor_mbps" ] || down=$(iperf egr-a egr-b 10.88.0.1)
lab_check "iperf3 a -> b through the relay ${up} Mbit/s >= ${floor_mbps}" test "$up" -ge "$floor_mbps"
lab_check "iperf3 b -> a through the relay ${down} Mbit/s >= ${floor_mbps}" test "$down" -ge "$floor_mbps"

# ---- UDP really is blocked: a direct path does not work ----
udp_dropped() { ip netns exec egr-rt nft list counter inet egr udp_dropped | awk '/packets/ {print $2}'; }
udp0=$(udp_dropped)
write_config a b 1 1 2 10.0.2.10:41641 direct
ctl a reload >/dev/null
lab_expect_eq "after a reload node a's peer is direct" direct "$(json a status "s['peers'][0]['path']")"
lab_check "a -> b ping fails on the direct path" no_ping egr-a 3 10.88.0.2
lab_check "the router dropped node a's UDP ($udp0 -> $(udp_dropped))" test "$(udp_dropped)" -gt "$udp0"
write_config a b 1 1 2 10.0.2.10:41641 relay
ctl a reload >/dev/null
lab_check "back on the relay, a -> b ping works again" \
	lab_wait_for 20 ip netns exec egr-a ping -c 1 -W 1 10.88.0.2

# ---- the relay killed and restarted: the tunnel recovers by itself ----
connects_a=$(region a "r['connects']")
{ kill -KILL "$relay_pid" && wait "$relay_pid"; } 2>/dev/null
lab_check "with the relay gone, a -> b ping fails" no_ping egr-a 2 10.88.0.2
lab_check "node a notices the relay is gone" lab_wait_for 10 disconnected a
sleep 3
start_relay
t0=$SECONDS
lab_check "the tunnel recovers by itself within 20 s of the restart" \
	lab_wait_for 20 ip netns exec egr-a ping -c 1 -W 1 10.88.0.2
lab_log "     recovered $((SECONDS - t0)) s after the restart"
lab_check "node a reconnected (connects $connects_a -> $(region a "r['connects']"))" \
	counter_above a connects "$connects_a"
lab_check "b -> a ping after the restart" pings egr-b 2 10.88.0.1
lab_check "neither node was restarted" kill -0 "$a_pid" "$b_pid"

# ---- a relay that announces Restarting: the nodes come back after its announced delay ----
connects_a=$(region a "r['connects']")
restarting_a=$(region a "r['restarting_received']")
t0=$(date +%s.%N)
kill -TERM "$relay_pid"
lab_wait_for 5 sh -c "! kill -0 $relay_pid"
start_relay
lab_wait_for 15 counter_above a connects "$connects_a"
elapsed=$(seconds_since "$t0")
lab_expect_eq "node a got the Restarting frame" $((restarting_a + 1)) \
	"$(region a "r['restarting_received']")"
lab_check "node a reconnected after the announced 2 s (${elapsed} s; back-off alone: < 0.3 s)" \
	python3 -c "exit(not 1.9 <= $elapsed < 6)"
lab_check "the tunnel carries on after the Restarting relay" \
	lab_wait_for 10 ip netns exec egr-b ping -c 1 -W 1 10.88.0.1

# ---- a black hole (no RST, no FIN): unanswered pings mark the connection dead ----
ip netns exec egr-rt nft insert rule inet egr forward ip daddr 10.0.3.2 drop
ip netns exec egr-rt nft insert rule inet egr forward ip saddr 10.0.3.2 drop
timeouts_a=$(region a "r['ping_timeouts']")
lab_check "node a's pings go unanswered and it drops the dead connection" \
	lab_wait_for 40 counter_above a dead_restarts 0
lab_check "after two ping timeouts ($timeouts_a -> $(region a "r['ping_timeouts']"))" \
	counter_above a ping_timeouts $((timeouts_a + 1))
ip netns exec egr-rt nft flush chain inet egr forward
ip netns exec egr-rt nft add rule inet egr forward ct state established,related accept
ip netns exec egr-rt nft add rule inet egr forward meta l4proto udp counter name udp_dropped drop
ip netns exec egr-rt nft add rule inet egr forward ip daddr 10.0.3.2 tcp dport { 8443, 8444 } accept
lab_check "the black hole gone, the tunnel comes back by itself" \
	lab_wait_for 45 ip netns exec egr-a ping -c 1 -W 1 10.88.0.2

# ---- a relay that announces a rate limit: the client keeps to it ----
kill -TERM "$relay_pid"
lab_wait_for 5 sh -c "! kill -0 $relay_pid"
start_relay --rate 1000000 --burst 200000
lab_check "the tunnel comes back on the rate-limited relay" \
	lab_wait_for 20 ip netns exec egr-a ping -c 1 -W 1 10.88.0.2
limited0=$(region a "r['drops']['rate_limited']")
limited=$(iperf egr-b egr-a 10.88.0.2)
lab_check "iperf3 through a 1 MB/s relay stays near it (${limited} Mbit/s <= 12)" \
	test "$limited" -le 12
lab_check "node a dropped the excess itself ($limited0 -> $(region a "r['drops']['rate_limited']"))" \
	test "$(region a "r['drops']['rate_limited']")" -gt "$limited0"

# ---- two regions: a forced home, then the home by latency, then a failover ----
lab_bg egr-relay relay901.log "$derper" --listen 10.0.3.2:8444 --cert relay-cert.pem \
	--key relay-key.pem --key-file relay901.key --pin-file relay901.pin --stun-port 0 \
	--log-level info
lab_wait_for 10 test -s relay901.pin
reload_both() {
	write_config a b 1 1 2 10.0.2.10:41641 relay
	write_config b a 2 2 1 10.0.1.10:41641 relay
	ctl a reload >/dev/null && ctl b reload >/dev/null
}
region_state() { # region_state node id: "state home" from status
	json "$1" status "' '.join(str(r[k]).lower() for r in s['relay']['regions']
		if r['region_id'] == $2 for k in ('state', 'home'))"
}
home_is() { [ "$(json "$1" status "s['relay']['home_region']")" = "$2" ]; }
both_home() { home_is a "$1" && home_is b "$1"; }
regions_are() { [ "$(region_state a 900), $(region_state a 901)" = "$1" ]; }
all_measured() {
	[ "$(json a status "all(r['latency_ms'] is not None for r in s['relay']['regions'])")" = True ]
}
derp_map=$(printf 'derp:\n  home_region: 901\n  regions:\n%s\n%s' "$(region_yaml 900 8443)" \
	"$(region_yaml 901 8444)")
reload_both
lab_check "home_region 901 forces the home on both nodes" lab_wait_for 10 both_home 901
lab_expect_eq "a forced home needs no probes: region 900 stays closed" "closed false" \
	"$(region_state a 900)"
lab_check "a -> b ping through region 901" lab_wait_for 20 pings egr-a 1 10.88.0.2
derp_map=$(printf 'derp:\n  regions:\n%s\n%s' "$(region_yaml 900 8443)" "$(region_yaml 901 8444)")
reload_both
lab_check "without a forced home both regions are connected, to be measured" \
	lab_wait_for 10 regions_are "connected true, connected false"
lab_check "and both are measured" lab_wait_for 5 all_measured
lab_check "similar latencies keep the first home on both nodes (hysteresis)" both_home 900
lab_check "a -> b ping through region 900" lab_wait_for 20 pings egr-a 1 10.88.0.2
{ kill -KILL "$relay_pid" && wait "$relay_pid"; } 2>/dev/null
t0=$SECONDS
lab_check "region 900 gone: both homes move to 901 after the grace period" \
	lab_wait_for 40 both_home 901
lab_check "and the tunnel follows by itself" lab_wait_for 20 pings egr-a 1 10.88.0.2
lab_log "     tunnel back $((SECONDS - t0)) s after region 900 went"
lab_check "b -> a too" pings egr-b 2 10.88.0.1
lab_check "node a counts the home change" test "$(json a stats "s['relay']['home_changes']")" -ge 1

# ---- clean shutdown ----
for n in a b; do
	eval "pid=\$${n}_pid"
	kill -TERM "$pid"
	lab_check "node $n stops on SIGTERM" lab_wait_for 20 sh -c "! kill -0 $pid"
	lab_check "no sanitizer report in node $n's log" lab_no_sanitizer_report $n.log
done
if [ "$LAB_FAILED" -ne 0 ]; then
	tail -20 a.log b.log relay.log
fi
lab_finish
