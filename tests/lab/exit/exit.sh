#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# exitgated as a cloud exit node: clients connect to the public port, their internet traffic
# leaves masqueraded by the egress port through a NAT gateway.
#
#  egx-c (clients)         egx-n (exitgated)                egx-gw (NAT gateway)   egx-i (internet)
#  wireguard-go egxc0      public: af_packet vpub           nftables masquerade     servers
#  10.66.0.2, fd66::2      10.0.1.10/24 fd01::10/64                                 2.0.0.10
#  wireguard-go egxc1      (+ kernel TAP egxpub)                                    2.0.0.200 (a
#  10.66.0.3 (2nd peer)                                                             route of MTU
#  vcli 10.0.1.2/24 ------ vpub                                                     1300 to it)
#       fd01::2/64         egress: af_packet vegr ------ gegr 10.0.2.1/24   ginet --- inet
#                          10.0.2.10/24 fd02::10/64           fd02::1/64    2.0.0.1/24
#                          gateway 10.0.2.1, fd02::1                        2001:db8:f::1/64
#
# Asserts: TCP (iperf3), UDP and ICMP to the servers over IPv4 and IPv6; the servers see the
# NAT gateway's address; the tunnel stays direct to the public address (no WireGuard on the
# egress side); traceroute hops and path-MTU messages come back to the client; SYNs are clamped;
# an IPv6-only underlay carries IPv4 and IPv6; TCP to the node's public address reaches its
# kernel through the DPDK port; a spoofed inner source is dropped and counted; a session table
# filled on purpose keeps existing flows working.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
lab_require_root wireguard-go wg iperf3 ethtool nft traceroute socat python3

build=${EXITGATE_BUILD:?EXITGATE_BUILD names the build tree}
exitgated=$build/control/exitgated
exitgatectl=$build/tools/exitgatectl/exitgatectl
trap lab_cleanup EXIT
cd "$LAB_TMP"

# ---- topology ----
for ns in egx-c egx-n egx-gw egx-i; do lab_netns "$ns"; done
lab_veth egx-c vcli egx-n vpub
lab_veth egx-n vegr egx-gw gegr
lab_veth egx-gw ginet egx-i inet
ip -n egx-c addr add 10.0.1.2/24 dev vcli
ip -n egx-c addr add fd01::2/64 dev vcli nodad
ip -n egx-gw addr add 10.0.2.1/24 dev gegr
ip -n egx-gw addr add fd02::1/64 dev gegr nodad
ip -n egx-gw addr add 2.0.0.1/24 dev ginet
ip -n egx-gw addr add 2001:db8:f::1/64 dev ginet nodad
ip -n egx-i addr add 2.0.0.10/24 dev inet
ip -n egx-i addr add 2.0.0.200/24 dev inet
ip -n egx-i addr add 2001:db8:f::10/64 dev inet nodad
# a narrower path to 2.0.0.200, so path MTU discovery has something to discover
ip -n egx-gw route add 2.0.0.200/32 dev ginet mtu lock 1300
ip netns exec egx-gw sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
ip netns exec egx-gw nft -f - <<'NFT'
table ip nat {
	chain post { type nat hook postrouting priority 100; oifname "ginet" masquerade; }
}
table ip6 nat {
	chain post { type nat hook postrouting priority 100; oifname "ginet" masquerade; }
}
table inet watch {
	counter wg_leak { }
	counter inner_v6 { }
	chain watch_forward { type filter hook forward priority 0;
		udp dport 41641 counter name wg_leak; udp sport 41641 counter name wg_leak;
		ip6 saddr fd66::/64 counter name inner_v6; }
}
NFT
# routed IPv6 (EXITGATE_LAB_IPV6=routed): the clients' prefix is routed to the node
ip -n egx-gw -6 route add fd66::/64 via fd02::10

# ---- servers on the internet ----
lab_bg egx-i iperf.log iperf3 -s
lab_bg egx-i whoami.log socat TCP4-LISTEN:8080,fork,reuseaddr SYSTEM:'echo $SOCAT_PEERADDR'
lab_bg egx-i whoami6.log socat TCP6-LISTEN:8080,ipv6only=1,fork,reuseaddr SYSTEM:'echo $SOCAT_PEERADDR'
lab_bg egx-i udpecho.log socat UDP-RECVFROM:7000,fork EXEC:cat
lab_bg egx-i udpecho6.log socat UDP6-RECVFROM:7000,ipv6only=1,fork EXEC:cat
lab_bg egx-i big.log python3 "$here/udp_big_reply.py" 2.0.0.10 7001 1472
lab_bg egx-i sink.log socat -u UDP-RECV:7002 /dev/null

# ---- the node ----
# EXITGATE_LAB_WORKERS=2 runs two workers (on the second CPU, beside the main lcore's): af_packet
# fans flows out over two queues, and return traffic crosses to the worker owning its port.
workers=${EXITGATE_LAB_WORKERS:-1}
# EXITGATE_LAB_IPV6=routed forwards IPv6 unchanged instead of masquerading it (NAT66)
ipv6_mode=${EXITGATE_LAB_IPV6:-masquerade}
lcores="0@0"
for i in $(seq 1 "$workers"); do lcores="$lcores,$i@$((i % $(nproc)))"; done
umask 077
wg genkey >node.key
wg pubkey <node.key >node.pub
wg genkey >client.key
wg pubkey <client.key >client.pub
wg genkey >second.key
wg pubkey <second.key >second.pub
cat >node.yaml <<YAML
node: {private_key_file: $LAB_TMP/node.key, listen_port: 41641, interface: egx0}
dataplane: {workers: $workers, idle: adaptive, lcores: "$lcores", eal: ["--no-huge", "-m", "256", "--no-shconf"]}
ports:
  public:
    device: "net_af_packet0,iface=vpub"
    addresses: [10.0.1.10/24, "fd01::10/64"]
    kernel_tap: egxpub
  egress:
    device: "net_af_packet1,iface=vegr"
    addresses: [10.0.2.10/24, "fd02::10/64"]
    gateway: 10.0.2.1
    gateway6: "fd02::1"
exit: {enabled: true, masquerade: true, ipv6: $ipv6_mode, sessions: 1024, sessions_per_peer: 768}
peers:
  - {name: client, public_key: "$(cat client.pub)", allowed_ips: [10.66.0.2/32, "fd66::2/128"]}
  - {name: second, public_key: "$(cat second.pub)", allowed_ips: [10.66.0.3/32]}
control: {socket: $LAB_TMP/control.sock}
YAML
lab_bg egx-n node.log "$exitgated" --config node.yaml
ctl() { "$exitgatectl" "$@" --socket "$LAB_TMP/control.sock" 2>/dev/null; }
lab_check "exitgated starts" lab_wait_for 30 ctl status

# ---- the client: everything to the internet through the tunnel ----
lab_bg egx-c client.log env WG_PROCESS_FOREGROUND=1 wireguard-go egxc0
lab_wait_for 10 ip netns exec egx-c wg show egxc0
ip netns exec egx-c wg set egxc0 private-key client.key listen-port 51820 \
	peer "$(cat node.pub)" allowed-ips 0.0.0.0/0,::/0 endpoint 10.0.1.10:41641
ip -n egx-c addr add 10.66.0.2/32 dev egxc0
ip -n egx-c addr add fd66::2/128 dev egxc0 nodad
ip -n egx-c link set egxc0 mtu 1420 up
ip -n egx-c route add 2.0.0.0/24 dev egxc0
ip -n egx-c -6 route add 2001:db8:f::/64 dev egxc0
inc() { ip netns exec egx-c "$@"; }
# a second peer in the same namespace: its traffic (from 10.66.0.3) takes its own tunnel
lab_bg egx-c second.log env WG_PROCESS_FOREGROUND=1 wireguard-go egxc1
lab_wait_for 10 inc wg show egxc1
inc wg set egxc1 private-key second.key listen-port 51821 \
	peer "$(cat node.pub)" allowed-ips 0.0.0.0/0 endpoint 10.0.1.10:41641
ip -n egx-c addr add 10.66.0.3/32 dev egxc1
ip -n egx-c link set egxc1 mtu 1420 up
ip -n egx-c rule add from 10.66.0.3 table 3
ip -n egx-c route add 2.0.0.0/24 dev egxc1 table 3

# ---- reachability and NAT ----
lab_check "ICMP client -> internet server" lab_wait_for 20 inc ping -c 1 -W 1 2.0.0.10
lab_check "ICMPv6 client -> internet server" inc ping -6 -c 2 -W 2 2001:db8:f::10
lab_expect_eq "the server sees the NAT gateway's address (TCP)" 2.0.0.1 \
	"$(inc timeout 5 socat -t 3 - TCP:2.0.0.10:8080 </dev/null 2>/dev/null | tr -d '\r\n')"
lab_expect_eq "the server sees the NAT gateway's address (TCP over IPv6)" "[2001:0db8:000f:0000:0000:0000:0000:0001]" \
	"$(inc timeout 5 socat -t 3 - TCP6:[2001:db8:f::10]:8080 </dev/null 2>/dev/null | sed 's/:[0-9]*$//' | tr -d '\r\n')"
lab_expect_eq "UDP round trip" "hello exit" \
	"$(echo 'hello exit' | inc timeout 5 socat -t 2 - UDP:2.0.0.10:7000 2>/dev/null)"
# ---- fragments: a datagram bigger than the tunnel leaves the client in fragments, which the
# node puts together to masquerade and cuts again for the egress; the echo comes back in the
# server's fragments, put together and cut again for the tunnel ----
echo_size() { # echo_size ADDRESS: bytes of a 1600-byte datagram's echo from port 7000
	head -c 1600 /dev/zero | tr '\0' x | inc timeout 5 socat -t 2 - "UDP:$1:7000" 2>/dev/null |
		wc -c
}
lab_expect_eq "a fragmented 1600-byte UDP datagram and its echo (IPv4)" 1600 "$(echo_size 2.0.0.10)"
# IPv6: routed, the node cannot fragment the server's 1500-byte fragments into the tunnel and
# answers "packet too big": the server learns the path MTU and the next echo comes back
echo_size_is_1600() { [ "$(echo_size "$1")" = 1600 ]; }
lab_check "a fragmented 1600-byte UDP datagram and its echo (IPv6, $ipv6_mode)" \
	lab_wait_for 10 echo_size_is_1600 "[2001:db8:f::10]"
mbps=$(inc timeout 20 iperf3 -c 2.0.0.10 -t 3 -J 2>/dev/null | python3 -c 'import json,sys
print(int(json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 1e6))' 2>/dev/null || echo 0)
lab_check "iperf3 TCP to the internet: $mbps Mbit/s >= 20" test "$mbps" -ge 20
mbps=$(inc timeout 20 iperf3 -c 2.0.0.10 -t 3 -R -J 2>/dev/null | python3 -c 'import json,sys
print(int(json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 1e6))' 2>/dev/null || echo 0)
lab_check "iperf3 TCP from the internet: $mbps Mbit/s >= 20" test "$mbps" -ge 20

inner_v6=$(ip netns exec egx-gw nft list counter inet watch inner_v6 | awk '/packets/ {print $2}')
if [ "$ipv6_mode" = routed ]; then
	lab_check "routed IPv6: the clients' own addresses reach the gateway ($inner_v6 packets)" \
		test "$inner_v6" -gt 0
else
	lab_expect_eq "masqueraded IPv6: no client address reaches the gateway" 0 "$inner_v6"
fi

# ---- split routing: WireGuard stays on the public port ----
lab_expect_eq "the client's endpoint is the public address" "10.0.1.10:41641" \
	"$(inc wg show egxc0 endpoints | awk '{print $2}')"
lab_expect_eq "no WireGuard packet crossed the NAT gateway" 0 \
	"$(ip netns exec egx-gw nft list counter inet watch wg_leak | awk '/packets/ {print $2}')"

# ---- MSS clamping: the server gets a SYN whose MSS fits the tunnel ----
ip netns exec egx-i timeout 10 tcpdump -ni inet -c 1 -v 'tcp[tcpflags] & tcp-syn != 0 and dst port 8080' \
	>syn.txt 2>/dev/null &
sleep 1
inc timeout 5 socat -t 2 - TCP:2.0.0.10:8080 </dev/null >/dev/null 2>&1
wait $! 2>/dev/null
lab_check "the SYN's MSS was clamped to 1380 ($(grep -o 'mss [0-9]*' syn.txt))" grep -q 'mss 1380' syn.txt

# ---- traceroute and path MTU ----
hops=$(inc traceroute -n -q 1 -w 2 -m 4 2.0.0.10 2>/dev/null | awk 'NR > 1 {print $2}' | tr '\n' ' ')
lab_expect_eq "traceroute hops: node, NAT gateway, server" "10.0.2.10 10.0.2.1 2.0.0.10 " "$hops"
out=$(inc ping -c 1 -W 2 -M do -s 1372 2.0.0.200 2>&1)
lab_check "the narrower link's 'fragmentation needed' reaches the client" \
	grep -q 'mtu = 1300' <<<"$out"
echo probe | inc timeout 5 socat -t 2 - UDP:2.0.0.10:7001 >/dev/null 2>&1
sleep 0.5
lab_check "a DF reply too big for the tunnel gets 'fragmentation needed' from the node" \
	sh -c "ip -n egx-i route get 2.0.0.1 | grep -q 'mtu 1420'"

# ---- the kernel behind the public port ----
lab_bg egx-n kernel.log socat TCP-LISTEN:2222,bind=10.0.1.10,reuseaddr SYSTEM:'echo node-kernel'
sleep 0.5
lab_expect_eq "TCP to the node's public address reaches its kernel" "node-kernel" \
	"$(inc timeout 5 socat -t 3 - TCP:10.0.1.10:2222 </dev/null 2>/dev/null | tr -d '\r\n')"

# ---- a spoofed inner source ----
drop() { ctl stats --json | python3 -c "import json,sys
print(sum(w['drops']['$1'] for w in json.load(sys.stdin)['workers']))"; }
spoof0=$(drop wg_allowed_ips_source)
ip -n egx-c addr add 10.66.0.99/32 dev egxc0
spoof_replies=$(inc ping -c 3 -W 1 -I 10.66.0.99 2.0.0.10 2>/dev/null | grep -c 'bytes from')
spoof1=$(drop wg_allowed_ips_source)
lab_expect_eq "no reply to a spoofed inner source" 0 "$spoof_replies"
# at least the three echo requests: the client's kernel may send more from the new address
# (a late segment or an ICMP error), and those are dropped for the same reason
lab_check "spoofed inner sources dropped and counted ($((spoof1 - spoof0)))" \
	test $((spoof1 - spoof0)) -ge 3

# ---- IPv6-only underlay, IPv4 and IPv6 inside ----
# both clients move their tunnels to the node's IPv6 address, and lose their IPv4 underlay (so
# nothing can move them back)
inc wg set egxc0 peer "$(cat node.pub)" endpoint "[fd01::10]:41641"
inc wg set egxc1 peer "$(cat node.pub)" endpoint "[fd01::10]:41641"
ip -n egx-c addr del 10.0.1.2/24 dev vcli
lab_check "IPv4 inside WireGuard over IPv6" lab_wait_for 20 inc ping -c 1 -W 1 2.0.0.10
lab_check "IPv6 inside WireGuard over IPv6" inc ping -6 -c 2 -W 2 2001:db8:f::10
lab_expect_eq "the node sees the client's IPv6 endpoint" "[fd01::2]:51820" \
	"$(wg show egx0 endpoints | awk -v k="$(cat client.pub)" '$1 == k {print $2}')"

# (last: the full table stays full until its UDP sessions time out)
# ---- a full session table keeps existing flows ----
# 1024 sessions, 768 per peer: the first peer fills its share, the second the rest
inc ping -i 0.2 -c 30 2.0.0.10 >longping.txt 2>&1 &
ping_pid=$!
sleep 1
inc python3 "$here/udp_flows.py" 2.0.0.10 7002 1500 >/dev/null
inc python3 "$here/udp_flows.py" 2.0.0.10 7002 1500 10.66.0.3 >/dev/null
wait $ping_pid
nat() { ctl stats --json | python3 -c "import json,sys
print(sum(w['nat']['outbound']['$1'] for w in json.load(sys.stdin)['workers']))"; }
limited=$(nat nat_peer_limit)
full=$(nat nat_table_full)
sessions=$(ctl stats --json | python3 -c "import json,sys
print(sum(sum(w['nat']['sessions'].values()) for w in json.load(sys.stdin)['workers']))")
lab_check "new flows were refused ($limited at a peer's share, $full at a full table)" \
	test $((limited + full)) -gt 0
lab_check "the table never held more than its 1024 sessions ($sessions)" test "$sessions" -le 1024
if [ "$workers" -eq 1 ]; then
	lab_check "one worker: the first peer met its share of 768" test "$limited" -gt 0
	lab_check "one worker: the second peer met the full table" test "$full" -gt 0
fi
received=$(awk '/received/ {print $4}' longping.txt)
lab_check "an existing flow kept working meanwhile ($received of 30 replies)" test "${received:-0}" -ge 27

node_pid=${LAB_PIDS[6]} # servers 0-5, then exitgated
kill -TERM "$node_pid"
lab_check "exitgated stops on SIGTERM" lab_wait_for 20 sh -c "! kill -0 $node_pid"
lab_check "no sanitizer report in exitgated's log" lab_no_sanitizer_report node.log
lab_finish
