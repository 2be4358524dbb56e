#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# exitgated's WireGuard data plane against wireguard-go, the independent implementation.
#
#      egn-c (client)              egn-sw (switch)              egn-n (node)
#   wireguard-go egnc0          +-----------------+         exitgated
#   10.77.0.2/24         vcli --| br0             |-- vpub  public: af_packet on vpub,
#   underlay 10.0.1.2/24        |                 |           10.0.1.10/24, UDP 41641
#   (roams to 10.0.1.3)   vx  --|                 |         inner: net_tun egn0in,
#                               +-----------------+           kernel side 10.77.0.1/24
#      egn-x (intruder): wireguard-go egnx0 with a key the node does not know, 10.0.1.66/24
#
# Asserts: ping both ways; iperf3 both directions above a floor that catches breakage; handshakes
# started by either side; exact byte counters on both `wg show` outputs; roaming; 100 peers; the
# intruder gets no reply at all; a flood of garbage leaves the tunnel up and shows up as drops by
# reason; `wg set` and `wg show dump`; reload (good and bad file); malformed UAPI and control
# socket requests.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
lab_require_root wireguard-go wg iperf3 ethtool tcpdump python3 socat

build=${EXITGATE_BUILD:?EXITGATE_BUILD names the build tree}
exitgated=$build/control/exitgated
exitgatectl=$build/tools/exitgatectl/exitgatectl
trap lab_cleanup EXIT
cd "$LAB_TMP"

# ---- topology ----
for ns in egn-sw egn-n egn-c egn-x; do lab_netns "$ns"; done
ip -n egn-sw link add br0 type bridge
ip -n egn-sw link set br0 up
for pair in "egn-n vpub sn" "egn-c vcli sc" "egn-x vx sx"; do
	set -- $pair
	lab_veth "$1" "$2" egn-sw "$3"
	ip -n egn-sw link set "$3" master br0
done
ip -n egn-c addr add 10.0.1.2/24 dev vcli
ip -n egn-x addr add 10.0.1.66/24 dev vx

# ---- keys and configs ----
umask 077
wg genkey >node.key
wg pubkey <node.key >node.pub
wg genkey >client.key
wg pubkey <client.key >client.pub
wg genkey >intruder.key
extra_peers() { # 99 more peers, each with a /32 of its own
	for i in $(seq 1 99); do
		printf '  - {name: extra%d, public_key: "%s", allowed_ips: [10.78.%d.%d/32]}\n' \
			"$i" "$(wg genkey | wg pubkey)" $((i / 250)) $((i % 250 + 1))
	done
}
write_config() { # write_config file [extra peer lines]
	cat >"$1" <<YAML
node: {private_key_file: $LAB_TMP/node.key, listen_port: 41641, interface: egn0}
dataplane: {workers: 1, idle: adaptive, eal: ["--no-huge", "-m", "256", "--no-shconf"]}
ports:
  public: {device: "net_af_packet0,iface=vpub", addresses: [10.0.1.10/24]}
  inner: {device: "net_tun0,iface=egn0in", addresses: [10.77.0.1/24]}
peers:
  - {name: client, public_key: "$(cat client.pub)", allowed_ips: [10.77.0.2/32], endpoint: "10.0.1.2:51820"}
${2:-}
control: {socket: $LAB_TMP/control.sock}
YAML
}
write_config node.yaml "$(extra_peers)"
ctl() { "$exitgatectl" "$@" --socket "$LAB_TMP/control.sock" 2>/dev/null; }

lab_bg egn-n node.log "$exitgated" --config node.yaml
lab_check "exitgated starts and answers on its control socket" \
	lab_wait_for 30 ctl status
lab_check "kernel side of the inner port has the tunnel address" \
	lab_wait_for 5 sh -c "ip -n egn-n addr show egn0in | grep -q 10.77.0.1/24"

start_client() { # start_client name ifname key address port
	lab_bg "$1" "$2.log" env WG_PROCESS_FOREGROUND=1 wireguard-go "$2"
	lab_wait_for 10 ip netns exec "$1" wg show "$2"
	ip netns exec "$1" wg set "$2" private-key "$3" listen-port "$5" \
		peer "$(cat node.pub)" allowed-ips 10.77.0.0/24 endpoint 10.0.1.10:41641
	ip -n "$1" addr add "$4" dev "$2"
	ip -n "$1" link set "$2" up
}
start_client egn-c egnc0 client.key 10.77.0.2/24 51820
client_pid=${LAB_PIDS[-1]}

hs_stat() { ctl stats --json | python3 -c "import json,sys; print(json.load(sys.stdin)['handshakes']['$1'])"; }

# ---- node-initiated handshake: the node has a packet for the client first ----
lab_check "node -> client ping through the tunnel (the node initiates)" \
	lab_wait_for 20 ip netns exec egn-n ping -c 1 -W 1 10.77.0.2
lab_check "the node sent an initiation and got a response" \
	test "$(hs_stat initiations_sent)" -ge 1 -a "$(hs_stat responses_received)" -ge 1

# ---- client-initiated handshake: a fresh client has a packet for the node ----
kill -TERM "$client_pid"
lab_wait_for 5 sh -c "! kill -0 $client_pid"
start_client egn-c egnc0 client.key 10.77.0.2/24 51820
client_pid=${LAB_PIDS[-1]}
lab_check "client -> node ping through the tunnel (the client initiates)" \
	lab_wait_for 20 ip netns exec egn-c ping -c 1 -W 1 10.77.0.1
lab_check "the node answered an initiation" test "$(hs_stat responses_sent)" -ge 1
lab_check "node -> client ping on the client's session" ip netns exec egn-n ping -c 3 -W 2 10.77.0.2
lab_check "node's wg show lists a handshake with the client" \
	sh -c "wg show egn0 latest-handshakes | grep -q \"$(cat client.pub)\s[1-9]\""

# ---- exact counters: 10 pings of 56 bytes are 10 x 128-byte messages each way ----
transfer() { # transfer ns ifname peer-pub: "rx tx"
	ip netns exec "$1" wg show "$2" transfer | awk -v k="$3" '$1 == k {print $2, $3}'
}
sleep 1
read -r n_rx0 n_tx0 <<<"$(transfer egn-n egn0 "$(cat client.pub)")"
read -r c_rx0 c_tx0 <<<"$(transfer egn-c egnc0 "$(cat node.pub)")"
ip netns exec egn-c ping -c 10 -i 0.2 -W 2 10.77.0.1 >/dev/null
sleep 0.5
read -r n_rx1 n_tx1 <<<"$(transfer egn-n egn0 "$(cat client.pub)")"
read -r c_rx1 c_tx1 <<<"$(transfer egn-c egnc0 "$(cat node.pub)")"
lab_expect_eq "node received exactly 10 x 128 bytes" 1280 $((n_rx1 - n_rx0))
lab_expect_eq "node sent exactly 10 x 128 bytes" 1280 $((n_tx1 - n_tx0))
lab_expect_eq "the client sent what the node received" $((n_rx1 - n_rx0)) $((c_tx1 - c_tx0))
lab_expect_eq "the client received what the node sent" $((n_tx1 - n_tx0)) $((c_rx1 - c_rx0))

# ---- iperf3 both ways, with a floor that only catches breakage ----
floor_mbps=${EXITGATE_LAB_IPERF_FLOOR:-20}
iperf() { # iperf server-ns client-ns address [-R]: prints Mbit/s received
	ip netns exec "$1" iperf3 -s -1 -D -I "$LAB_TMP/iperf.pid" >/dev/null 2>&1
	sleep 0.3
	ip netns exec "$2" timeout 20 iperf3 -c "$3" -t 3 -J ${4:-} 2>/dev/null |
		python3 -c 'import json,sys; print(int(json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 1e6))' 2>/dev/null || echo 0
}
# one retry: a busy machine can starve a 3-second run; breakage fails twice
up=$(iperf egn-n egn-c 10.77.0.1)
[ "$up" -ge "$floor_mbps" ] || up=$(iperf egn-n egn-c 10.77.0.1)
down=$(iperf egn-c egn-n 10.77.0.2)
[ "$down" -ge "$floor_mbps" ] || down=$(iperf egn-c egn-n 10.77.0.2)
lab_check "iperf3 client -> node ${up} Mbit/s >= ${floor_mbps}" test "$up" -ge "$floor_mbps"
lab_check "iperf3 node -> client ${down} Mbit/s >= ${floor_mbps}" test "$down" -ge "$floor_mbps"

# ---- roaming: the client moves to a new underlay address ----
# (deleting a primary address deletes its secondaries: take the old one away first)
ip -n egn-c addr del 10.0.1.2/24 dev vcli
ip -n egn-c addr add 10.0.1.3/24 dev vcli
lab_check "ping after the client roamed to 10.0.1.3" \
	lab_wait_for 20 ip netns exec egn-c ping -c 1 -W 1 10.77.0.1
lab_expect_eq "node's endpoint for the client follows it" "10.0.1.3:51820" \
	"$(wg show egn0 endpoints | awk -v k="$(cat client.pub)" '$1 == k {print $2}')"
lab_check "node -> client still works after roaming" ip netns exec egn-n ping -c 2 -W 2 10.77.0.2

# ---- 100 peers ----
lab_expect_eq "wg show lists 100 peers" 100 "$(wg show egn0 peers | wc -l)"

# ---- an intruder with an unknown key gets no reply at all ----
unknown0=$(ctl stats --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["handshakes"]["drops"]["unknown_peer"])')
start_client egn-x egnx0 intruder.key 10.77.0.66/24 51820
ip netns exec egn-x ping -c 3 -W 1 10.77.0.1 >/dev/null 2>&1
sleep 1
lab_expect_eq "the intruder received nothing" 0 \
	"$(ip netns exec egn-x wg show egnx0 transfer | awk '{print $2}')"
unknown1=$(ctl stats --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["handshakes"]["drops"]["unknown_peer"])')
lab_check "its initiations were dropped as unknown_peer ($unknown0 -> $unknown1)" \
	test "$unknown1" -gt "$unknown0"

# ---- a flood of garbage on UDP/41641 ----
ip netns exec egn-c timeout 20 tcpdump -i vcli -c 1 -w data.pcap \
	'udp dst port 41641 and udp[8] = 4' >/dev/null 2>&1 &
tcpdump_pid=$!
sleep 1
ip netns exec egn-c ping -c 3 -W 1 10.77.0.1 >/dev/null
wait $tcpdump_pid
drops() { ctl stats --json | python3 -c 'import json,sys
s = json.load(sys.stdin); d = {}
for w in s["workers"]:
    for k, v in w["drops"].items(): d[k] = d.get(k, 0) + v
for k, v in s["handshakes"]["drops"].items(): d["hs_" + k] = v
print(" ".join("%s=%d" % kv for kv in sorted(d.items())))'; }
get() { tr ' ' '\n' <<<"$1" | awk -F= -v k="$2" '$1 == k {print $2}'; }
before=$(drops)
ip netns exec egn-c python3 "$here/flood.py" 10.0.1.10 41641 data.pcap 200 >/dev/null
sleep 1
after=$(drops)
for pair in "random wg_bad_type" "truncated hs_bad_length" "bad_mac1 hs_bad_mac1" \
	"bad_index wg_unknown_index" "replayed wg_replay"; do
	set -- $pair
	want=200
	[ "$1" = truncated ] && want=400 # truncated and oversized are both of a bad length
	lab_expect_eq "flood: $1 counted as $2" $want $(($(get "$after" "$2") - $(get "$before" "$2")))
done
lab_check "the tunnel survives the flood" ip netns exec egn-c ping -c 3 -W 2 10.77.0.1

# ---- wg set / wg show dump through the UAPI socket ----
newpeer=$(wg genkey | wg pubkey)
wg set egn0 peer "$newpeer" allowed-ips 10.79.0.1/32,10.79.1.0/24 endpoint 10.0.1.99:1234 \
	persistent-keepalive 25
lab_expect_eq "wg set adds a peer with its allowed IPs" "10.79.0.1/32 10.79.1.0/24" \
	"$(wg show egn0 allowed-ips | awk -v k="$newpeer" '$1 == k {print $2, $3}')"
lab_expect_eq "wg show dump has its endpoint and keepalive" "10.0.1.99:1234 25" \
	"$(wg show egn0 dump | awk -v k="$newpeer" '$1 == k {print $3, $8}')"
wg set egn0 peer "$newpeer" allowed-ips 10.79.2.0/24 endpoint 10.0.1.98:4321
lab_expect_eq "wg set replaces allowed IPs and the endpoint" "10.79.2.0/24 10.0.1.98:4321" \
	"$(wg show egn0 dump | awk -v k="$newpeer" '$1 == k {print $4, $3}')"
wg set egn0 peer "$newpeer" remove
lab_expect_eq "wg set removes the peer" 100 "$(wg show egn0 peers | wc -l)"
lab_check "wg set refuses a peer with the node's own key" \
	sh -c "! wg set egn0 peer $(cat node.pub) allowed-ips 10.79.3.0/24 2>/dev/null"
lab_check "malformed UAPI request gets an error and only that connection closes" \
	sh -c "printf 'frobnicate=1\n\n' | socat -t 2 - UNIX-CONNECT:/var/run/wireguard/egn0.sock | grep -q '^errno=-71'"
lab_check "the UAPI socket still answers" wg show egn0 public-key
lab_check "the control socket refuses an unknown verb" \
	sh -c "printf 'frobnicate\n' | socat -t 2 - UNIX-CONNECT:$LAB_TMP/control.sock |
		grep -q '^ERR unknown verb frobnicate'"
lab_check "and an unknown option" \
	sh -c "printf 'status --yaml\n' | socat -t 2 - UNIX-CONNECT:$LAB_TMP/control.sock |
		grep -q '^ERR unknown option --yaml'"

# ---- reload: a peer added, the client's tunnel undisturbed; a bad file refused ----
hs0=$(wg show egn0 latest-handshakes | awk -v k="$(cat client.pub)" '$1 == k {print $2}')
added=$(wg genkey | wg pubkey)
write_config node.yaml "$(extra_peers)
  - {name: added, public_key: \"$added\", allowed_ips: [10.79.9.0/24]}"
lab_check "exitgatectl reload applies a good file" ctl reload
lab_expect_eq "the added peer is there" 101 "$(wg show egn0 peers | wc -l)"
lab_check "the client's tunnel carries on" ip netns exec egn-c ping -c 2 -W 2 10.77.0.1
lab_expect_eq "without a new handshake" "$hs0" \
	"$(wg show egn0 latest-handshakes | awk -v k="$(cat client.pub)" '$1 == k {print $2}')"
cp node.yaml good.yaml
printf 'peers:\n\t- bad\n' >>node.yaml
reply=$("$exitgatectl" reload --socket "$LAB_TMP/control.sock" 2>&1)
status=$?
lab_check "a bad file is refused ($reply)" test $status -ne 0
lab_check "with its file:line:column" grep -q 'node.yaml:[0-9]*:[0-9]*:' <<<"$reply"
lab_expect_eq "and the running config is kept" 101 "$(wg show egn0 peers | wc -l)"
cp good.yaml node.yaml
ip netns exec egn-n kill -HUP "$(ip netns pids egn-n | head -1)" 2>/dev/null
lab_check "SIGHUP reloads too" ctl status

# ---- stats show the traffic, shutdown is clean ----
decrypted=$(ctl stats --json | python3 -c 'import json,sys
print(sum(w["counters"]["wg_rx_data"] for w in json.load(sys.stdin)["workers"]))')
lab_check "exitgatectl stats --json counts decrypted packets ($decrypted)" test "${decrypted:-0}" -gt 100
node_pid=${LAB_PIDS[0]}
kill -TERM "$node_pid"
lab_check "exitgated stops on SIGTERM" lab_wait_for 20 sh -c "! kill -0 $node_pid"
lab_check "no sanitizer report in exitgated's log" lab_no_sanitizer_report node.log
[ "$LAB_FAILED" -eq 0 ] || tail -30 node.log
lab_finish
