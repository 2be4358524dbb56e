#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# NAT traversal and path selection between two exitgated nodes: one case of the matrix per run
# (tests/lab/nat/meson.build registers each), in one topology whose routers change their rules.
#
#   nat-a (node A)            nat-ra (router A)                  nat-rb (router B)        nat-b (node B)
#  exitgated, 1 worker      +----------------+                 +----------------+      exitgated
#  public: af_packet vpa ---| ral 10.0.1.1   |                 |   10.0.2.1 rbl |--- vpb public
#   10.0.1.10/24 or         |     2.0.1.1    |                 |   2.0.2.1      |    10.0.2.10 or
#   2.0.1.10/24 (public)    |  fd00:1::1     |                 |   fd00:2::1    |    2.0.2.10
#   2001:db8:1::10/64       | 2001:db8:1::1  |                 | 2001:db8:2::1  |    2001:db8:2::10
#   kernel TAP nata-pub     | raw 2.0.0.11   |                 |   2.0.0.12 rbw |    kernel TAP
#  inner: net_tun 10.88.0.1 +-------|--------+                 +-------|--------+    10.88.0.2
#                                   |      nat-inet: bridge br0        |
#                                   +--------- 2.0.0.0/24 -------------+
#                                   2001:db8::/64       |
#                                              nat-srv: coturn (STUN) on 2.0.0.1 and 2.0.0.2
#                                                       and 2001:db8::1; exitgate-derper 2.0.0.3:8443
#                                                       (TLS, pinned self-signed cert, region 900 "lab")
#
# The routers' nftables rules make the NAT of the case: easy (masquerade: one mapping for every
# destination), hard (masquerade fully-random: a new port per destination), a 1:1 NAT with UDP
# open (a cloud elastic IP), a static port forward, UDP blocked, or none (a routed public
# subnet); IPv6 is routed and filtered (open only where the case says). miniupnpd on a router
# gives NAT-PMP, PCP and UPnP. Neither node has the other's endpoint in its config: they start
# on the relay, learn each other's disco key from a Hello over DERP, and find the direct path
# with disco (or do not, and `why` must say so).
#
# Every case asserts the path kind in `exitgatectl status`, the `exitgatectl ping` output
# (pongs via DERP then via ip:port, or "direct connection not established") and `why`.
#
#   nat.sh CASE       CASE: public, easy-public, easy-easy, hard-hard, portmap-natpmp,
#                     portmap-pcp, portmap-upnp, static-forward, udp-blocked, ipv6, cloud,
#                     cloud-no-ingress, failover
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
lab_require_root iperf3 ethtool nft openssl python3 turnserver turnutils_stunclient miniupnpd

case_name=${1:?usage: nat.sh CASE}
build=${EXITGATE_BUILD:?EXITGATE_BUILD names the build tree}
exitgated=$build/control/exitgated
exitgatectl=$build/tools/exitgatectl/exitgatectl
derper=$build/tools/derper/exitgate-derper
trap lab_cleanup EXIT
cd "$LAB_TMP"

# ---- topology ----
for ns in nat-inet nat-srv nat-ra nat-rb nat-a nat-b; do lab_netns "$ns"; done
ip -n nat-inet link add br0 type bridge
ip -n nat-inet link set br0 up
inet_port() { # inet_port ns ifname: a veth from ns onto the internet bridge
	ip link add "$2" netns "$1" type veth peer name "br-$2" netns nat-inet
	ip -n nat-inet link set "br-$2" master br0 up
	ip -n "$1" link set "$2" up
}
inet_port nat-ra raw
inet_port nat-rb rbw
inet_port nat-srv srv
ip -n nat-srv addr add 2.0.0.1/24 dev srv
ip -n nat-srv addr add 2.0.0.2/24 dev srv
ip -n nat-srv addr add 2.0.0.3/24 dev srv
ip -n nat-srv addr add 2001:db8::1/64 dev srv nodad
ip -n nat-ra addr add 2.0.0.11/24 dev raw
ip -n nat-rb addr add 2.0.0.12/24 dev rbw
ip -n nat-ra addr add 2001:db8::11/64 dev raw nodad
ip -n nat-rb addr add 2001:db8::12/64 dev rbw nodad
# the routed public subnets and IPv6 prefixes behind each router
ip -n nat-srv route add 2.0.1.0/24 via 2.0.0.11
ip -n nat-srv route add 2.0.2.0/24 via 2.0.0.12
ip -n nat-srv route add 2001:db8:1::/64 via 2001:db8::11
ip -n nat-srv route add 2001:db8:2::/64 via 2001:db8::12
ip -n nat-ra route add 2.0.2.0/24 via 2.0.0.12
ip -n nat-rb route add 2.0.1.0/24 via 2.0.0.11
ip -n nat-ra route add 2001:db8:2::/64 via 2001:db8::12
ip -n nat-rb route add 2001:db8:1::/64 via 2001:db8::11

lab_veth nat-a vpa nat-ra ral
lab_veth nat-b vpb nat-rb rbl
for r in a b; do
	i=$([ $r = a ] && echo 1 || echo 2)
	rt=nat-r$r
	lan=$([ $r = a ] && echo ral || echo rbl)
	ip -n $rt addr add 10.0.$i.1/24 dev $lan
	ip -n $rt addr add 2.0.$i.1/24 dev $lan
	ip -n $rt addr add 2001:db8:$i::1/64 dev $lan nodad
	ip netns exec $rt sysctl -qw net.ipv4.ip_forward=1
	ip netns exec $rt sysctl -qw net.ipv6.conf.all.forwarding=1
done

# ---- the NAT rules of a router ----
# nat_rules router lan wan inside-address kind [public-address] [v6]: kind = public | easy |
# hard | one-to-one | forward | blocked; v6 = none (no IPv6 forwarding at all: the default, so
# that IPv4 decides) | open (routed, inbound allowed).
nat_rules() {
	local rt=$1 lan=$2 wan=$3 inside=$4 kind=$5 pub=${6:-} v6=${7:-none}
	local masq="" pre="" fwd_udp="" fwd_in=""
	case $kind in
	public) fwd_in="ip daddr 2.0.0.0/8 accept" ;;
	easy) masq="oifname \"$wan\" ip saddr 10.0.0.0/8 masquerade" ;;
	hard) masq="oifname \"$wan\" ip saddr 10.0.0.0/8 masquerade fully-random" ;;
	one-to-one)
		# a cloud elastic IP: the node's UDP/41641 is $pub both ways; the rest of its
		# traffic leaves through the hard NAT gateway
		pre="iifname \"$wan\" ip daddr $pub udp dport 41641 dnat to $inside"
		masq="oifname \"$wan\" ip saddr $inside udp sport 41641 snat to $pub
		oifname \"$wan\" ip saddr 10.0.0.0/8 masquerade fully-random"
		fwd_in="ip daddr $inside udp dport 41641 accept" ;;
	forward)
		# hard NAT plus a static port forward of UDP/41641 to the node
		pre="iifname \"$wan\" ip daddr $pub udp dport 41641 dnat to $inside"
		masq="oifname \"$wan\" ip saddr $inside udp sport 41641 snat to $pub
		oifname \"$wan\" ip saddr 10.0.0.0/8 masquerade fully-random"
		fwd_in="ip daddr $inside udp dport 41641 accept" ;;
	blocked)
		masq="oifname \"$wan\" ip saddr 10.0.0.0/8 masquerade"
		fwd_udp="meta l4proto udp counter name udp_dropped drop" ;;
	esac
	local v6rule="meta nfproto ipv6 drop"
	[ "$v6" = open ] && v6rule=""
	ip netns exec "$rt" nft -f - <<NFT
flush ruleset
table inet filter {
	counter udp_dropped {}
	chain prerouting {
		type nat hook prerouting priority -100; policy accept;
		$pre
		jump prerouting_miniupnpd
	}
	chain prerouting_miniupnpd {
	}
	chain postrouting {
		type nat hook postrouting priority 100; policy accept;
		jump postrouting_miniupnpd
		$masq
	}
	chain postrouting_miniupnpd {
	}
	chain forward {
		type filter hook forward priority 0; policy drop;
		$v6rule
		$fwd_udp
		ct state established,related accept
		jump miniupnpd
		iifname "$lan" accept
		meta nfproto ipv6 accept
		$fwd_in
	}
	chain miniupnpd {
	}
	chain input {
		# as a home router or a cloud NAT does: unsolicited UDP to the router itself is
		# dropped, never answered; an answered one would leave a conntrack entry whose tuple
		# the masquerade of a later outbound packet would then have to avoid
		type filter hook input priority 0; policy accept;
		iifname "$wan" ct state new meta l4proto udp drop
	}
}
NFT
}

# ---- the servers: coturn as the independent STUN server, exitgate-derper as the relay ----
cat >turnserver.conf <<CONF
listening-ip=2.0.0.1
listening-ip=2.0.0.2
listening-ip=2001:db8::1
listening-port=3478
stun-only
no-tls
no-dtls
no-cli
fingerprint
log-file=stdout
pidfile=$LAB_TMP/turnserver.pid
CONF
lab_bg nat-srv coturn.log turnserver -c turnserver.conf
umask 077
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	-subj /CN=derp.lab -addext subjectAltName=DNS:derp.lab \
	-keyout relay-key.pem -out relay-cert.pem >/dev/null 2>&1
pin="sha256-raw:$(openssl x509 -in relay-cert.pem -outform der | sha256sum | cut -d' ' -f1)"
lab_bg nat-srv relay.log "$derper" --listen 2.0.0.3:8443 --cert relay-cert.pem \
	--key relay-key.pem --key-file relay.key --stun-port 3478 --log-level info
stun_answers() {
	timeout 3 ip netns exec nat-ra turnutils_stunclient -p 3478 "$1" 2>&1 | grep -q 'reflexive addr'
}
for ip in 2.0.0.1 2.0.0.2; do
	lab_check "coturn answers STUN on $ip" lab_wait_for 10 stun_answers $ip
done

for n in a b; do
	wg genkey >$n.key 2>/dev/null || "$exitgatectl" genkey >$n.key
	"$exitgatectl" pubkey <$n.key >$n.pub
done

# ---- nodes ----
# node_config node peer lan-subnet-prefix (10.0 or 2.0) extra-nat-traversal-yaml
node_config() {
	local n=$1 peer=$2 net=$3 extra=${4:-} i j
	i=$([ $n = a ] && echo 1 || echo 2)
	j=$([ $n = a ] && echo 2 || echo 1)
	eval "gw_$n=$net.$i.1"
	cat >"$n.yaml" <<YAML
node: {private_key_file: $LAB_TMP/$n.key, listen_port: 41641, interface: nat$n,
       state_dir: $LAB_TMP/state-$n}
dataplane: {workers: 1, idle: adaptive, eal: ["--no-huge", "-m", "256", "--no-shconf"]}
ports:
  public: {device: "net_af_packet0,iface=vp$n", addresses: [$net.$i.10/24, "2001:db8:$i::10/64"],
           gateway: $net.$i.1, gateway6: "2001:db8:$i::1", kernel_tap: nat$n-pub}
  inner: {device: "net_tun0,iface=nat${n}in", addresses: [10.88.0.$i/24]}
nat_traversal:
  stun: ["2.0.0.1:3478", "2.0.0.2:3478", "[2001:db8::1]:3478"]
$extra
derp:
  regions:
    - region_id: 900
      region_code: lab
      nodes:
        - {name: relay900, host_name: derp.lab, cert_name: "$pin", ipv4: 2.0.0.3, ipv6: none,
           derp_port: 8443, stun_port: 3478}
peers:
  - {name: $peer, public_key: "$(cat $peer.pub)", allowed_ips: [10.88.0.$j/32], path: auto}
control: {socket: $LAB_TMP/$n.sock}
log: {level: ${EXITGATE_LAB_LOG_LEVEL:-info}}
YAML
}

# every question to a node is bounded: a node that stopped answering fails the case, it does
# not hang it (ping's ten rounds take at most ten times their 5 s timeout)
ctl() { local n=$1; shift; timeout 75 "$exitgatectl" "$@" --socket "$LAB_TMP/$n.sock" 2>&1; }
json() { # json node verb python-expression-of-s
	ctl "$1" "$2" --json | python3 -c "import json,sys; s=json.load(sys.stdin); print($3)" 2>/dev/null
}
peer_path() { json "$1" status "s['peers'][0]['path']"; }
# the status line of the node's one peer (the form of `tailscale status`)
peer_line() { ctl "$1" status | grep -E '^10\.88\.0\.[0-9]+ '; }
path_is() { [ "$(peer_path "$1")" = "$2" ]; }
start_node() { # start_node n
	local n=$1
	lab_bg nat-$n $n.log "$exitgated" --config $n.yaml
	eval "${n}_pid=${LAB_PIDS[-1]}"
	lab_wait_for 30 ctl $n status >/dev/null || return 1
	local gw_var=gw_$n
	# the kernel's own traffic (the DERP client's TLS) leaves through the public port's TAP
	ip -n nat-$n route replace default via "${!gw_var}" dev nat$n-pub
}
relay_up() { [ "$(json "$1" status "s['relay']['regions'][0]['connected']")" = True ]; }
tunnel_ping() { ip netns exec nat-a ping -c 1 -W 1 10.88.0.2 >/dev/null 2>&1; }

start_nodes() {
	for n in a b; do
		lab_check "node $n starts" start_node $n
	done
	for n in a b; do
		lab_check "node $n connects to the relay" lab_wait_for 20 relay_up $n
	done
	lab_check "the tunnel works (relayed first)" lab_wait_for 30 tunnel_ping
}

# ping_story node peer-name: the seed's story from exitgatectl ping; prints the output
ping_story() { ctl "$1" ping "$2" -c 10 >"ping-$1.out" 2>&1; local rc=$?; cat "ping-$1.out"; return $rc; }

expect_direct() { # expect_direct what-remains-of-the-title
	local out
	out=$(ping_story a b)
	echo "$out" | sed 's/^/    /'
	lab_check "$1: ping ends with a direct pong" \
		grep -qE '^pong from b \(10.88.0.2\) via \[?[0-9a-f.:]+\]?:[0-9]+ in' <(tail -1 ping-a.out)
	lab_check "$1: node a shows b direct" lab_wait_for 10 path_is a direct
	lab_check "$1: node b shows a direct" lab_wait_for 10 path_is b direct
	peer_line a | sed 's/^/    /'
	lab_check "$1: status says 'active; direct'" grep -q 'active; direct' <(ctl a status)
	lab_check "$1: why says nothing is to fix" grep -q 'it is direct: nothing to fix' <(ctl a why b)
	if [ "$LAB_FAILED" -gt 0 ]; then
		for n in a b; do
			echo "--- why ($n)"; ctl $n why $([ $n = a ] && echo b || echo a)
			echo "--- netcheck ($n)"; ctl $n netcheck --last
			echo "--- path stats ($n)"; json $n stats "s['path']"
		done
	fi
}

expect_relayed() { # expect_relayed title why-pattern...
	local title=$1 out
	shift
	out=$(ping_story a b)
	echo "$out" | sed 's/^/    /'
	lab_check "$title: ping ends 'direct connection not established'" \
		sh -c "tail -1 ping-a.out | grep -q 'direct connection not established'"
	lab_check "$title: the first pong came via DERP(lab)" grep -q 'via DERP(lab)' ping-a.out
	lab_expect_eq "$title: node a shows b relayed" relay "$(peer_path a)"
	ctl a why b >why-a.out
	sed 's/^/    /' why-a.out
	for pat in "$@"; do
		lab_check "$title: why names: $pat" grep -q -- "$pat" why-a.out
	done
}

# router_rules kind-a kind-b [v6]: both routers for the usual cases (inside addresses by kind)
router_rules() {
	local ia=10.0.1.10 ib=10.0.2.10
	[ "$1" = public ] && ia=2.0.1.10
	[ "$2" = public ] && ib=2.0.2.10
	nat_rules nat-ra ral raw $ia "$1" "" "${3:-none}"
	nat_rules nat-rb rbl rbw $ib "$2" "" "${3:-none}"
}
net_of() { [ "$1" = public ] && echo 2.0 || echo 10.0; }

# garbage_flood: datagrams to node a's listen port that look like STUN or disco but are not
# what they seem; each is dropped and counted by its reason (never "unhandled")
garbage_flood() {
	local before after
	before=$(json a stats "s['path']")
	ip netns exec nat-srv python3 - "$(cat a.pub)" <<'PY'
import os, socket, struct, sys, base64
dst = ("2.0.1.10", 41641)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
magic = b"\x21\x12\xa4\x42"
disco = b"TS\xf0\x9f\x92\xac"
def send(b, n=20):
    for _ in range(n):
        s.sendto(b, dst)
# STUN binding success for a transaction nobody started
send(struct.pack(">HH", 0x0101, 12) + magic + os.urandom(12) +
     struct.pack(">HHBBH", 0x0020, 8, 0, 1, 0x1234) + bytes(4))
# STUN with a length that runs past the datagram
send(struct.pack(">HH", 0x0101, 200) + magic + os.urandom(12))
# disco from a key no peer has
send(disco + os.urandom(32) + os.urandom(24) + os.urandom(40))
# disco too short for a box
send(disco + os.urandom(32) + os.urandom(24) + os.urandom(5))
PY
	sleep 1
	after=$(json a stats "s['path']")
	python3 - "$before" "$after" <<'PY'
import ast, sys
b, a = (ast.literal_eval(x) for x in sys.argv[1:3])
for k in ("stun_drop_unknown_txid", "stun_drop_malformed", "disco_drop_unknown_key",
          "disco_drop_short"):
    print(k, a[k] - b[k])
PY
}

# cut / restore: UDP between the two nodes' public addresses dropped at router a (STUN and the
# relay's TCP still pass), and let through again
cut() {
	local x
	for x in "2.0.1.10 2.0.2.10" "2.0.2.10 2.0.1.10"; do
		set -- $x
		ip netns exec nat-ra nft insert rule inet filter forward ip saddr "$1" ip daddr "$2" \
			udp dport 41641 counter drop comment '"cut"'
	done
}
restore() {
	local h
	for h in $(ip netns exec nat-ra nft -a list chain inet filter forward |
		awk '/comment "cut"/ {print $NF}'); do
		ip netns exec nat-ra nft delete rule inet filter forward handle "$h"
	done
}
relayed() { ctl a status --json | grep -q '"path":"relay"'; }

# failover_once: iperf3 a -> b through the tunnel; the direct path cut 4 s in, restored 4 s
# later; sets failover (seconds from the cut to node a's status showing the relay) and gap
# (the longest run of iperf3 intervals at zero)
failover_once() {
	local cut_at moved_at iperf_pid
	ip netns exec nat-b iperf3 -s -1 -D -I "$LAB_TMP/iperf.pid" >/dev/null 2>&1
	sleep 0.3
	ip netns exec nat-a timeout 40 iperf3 -c 10.88.0.2 -t 14 -i 0.5 -J >iperf.json 2>iperf.err &
	iperf_pid=$!
	sleep 4
	cut
	cut_at=$(date +%s.%N)
	# polled tightly (status --json takes a few ms; python would not)
	for _ in $(seq 1000); do relayed && break; sleep 0.01; done
	moved_at=$(date +%s.%N)
	lab_check "after the cut node a moves b to the relay" path_is a relay
	failover=$(python3 -c "print(round($moved_at - $cut_at, 2))")
	sleep 4
	restore
	lab_check "restored: node a takes the direct path back" lab_wait_for 15 path_is a direct
	wait "$iperf_pid"
	lab_check "iperf3 through the cut completed" \
		python3 -c "import json; j=json.load(open('iperf.json')); assert j['end']['sum_received']['bytes'] > 0"
	gap=$(python3 - <<'PY'
import json
j = json.load(open("iperf.json"))
run = longest = 0.0
for iv in j["intervals"]:
    s = iv["sum"]
    if s["bytes"] == 0:
        run += s["seconds"]
        longest = max(longest, run)
    else:
        run = 0.0
print(round(longest, 2))
PY
)
}

# stop_nodes: both nodes gone and the NATs' state forgotten, so the next start is a first
# contact again
stop_nodes() {
	local n pid_var
	for n in a b; do
		pid_var=${n}_pid
		kill -TERM "${!pid_var}" 2>/dev/null
		lab_wait_for 15 sh -c "! kill -0 ${!pid_var} 2>/dev/null"
	done
	for r in nat-ra nat-rb; do ip netns exec $r conntrack -F >/dev/null 2>&1; done
}

# bench_first_contact name: nodes up and on the relay, no traffic yet; a ping flood through the
# tunnel starts the clock, node a's status showing b direct stops it
bench_first_contact() {
	local t0 t1 n pid
	for n in a b; do
		lab_check "node $n starts" start_node $n
	done
	for n in a b; do
		lab_check "node $n connects to the relay" lab_wait_for 20 relay_up $n
	done
	ip netns exec nat-a ping -i 0.1 -c 300 -W 1 10.88.0.2 >/dev/null 2>&1 &
	pid=$!
	t0=$(date +%s.%N)
	for _ in $(seq 3000); do
		ctl a status --json | grep -q '"path":"direct"' && break
		sleep 0.01
	done
	t1=$(date +%s.%N)
	kill "$pid" 2>/dev/null
	lab_check "direct in the end" path_is a direct
	echo "BENCH $1 $(python3 -c "print(round($t1 - $t0, 2))")"
}

# iperf_tunnel up|down seconds: Mbit/s through the tunnel (a -> b or b -> a)
iperf_tunnel() {
	local srv=nat-b cli=nat-a dst=10.88.0.2
	[ "$1" = down ] && { srv=nat-a; cli=nat-b; dst=10.88.0.1; }
	ip netns exec $srv iperf3 -s -1 -D -I "$LAB_TMP/iperf.pid" >/dev/null 2>&1
	sleep 0.3
	ip netns exec $cli timeout $(($2 + 15)) iperf3 -c $dst -t "$2" -J 2>/dev/null |
		python3 -c 'import json,sys
print(round(json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 1e6))' 2>/dev/null ||
		echo 0
}

# start_miniupnpd natpmp(yes|no) upnp(yes|no): router a's NAT-PMP/PCP and UPnP IGD, filling the
# miniupnpd chains of table inet filter (miniupnpd 2.3.1 serves PCP with enable_natpmp)
start_miniupnpd() {
	cat >miniupnpd.conf <<CONF
ext_ifname=raw
listening_ip=ral
http_port=2189
enable_natpmp=$1
enable_upnp=$2
secure_mode=yes
system_uptime=no
uuid=5e2b6a52-4b43-4c7e-9f3a-7a1de2c0ffee
friendly_name=exitgate-nat-lab
allow 1024-65535 10.0.1.0/24 1024-65535
deny 0-65535 0.0.0.0/0 0-65535
CONF
	lab_bg nat-ra miniupnpd.log miniupnpd -f miniupnpd.conf -d
	if [ "$1" = yes ]; then
		lab_wait_for 5 sh -c "ip netns exec nat-ra ss -Hlun sport = :5351 | grep -q 5351"
	else
		lab_wait_for 5 sh -c "ip netns exec nat-ra ss -Hltn sport = :2189 | grep -q 2189"
	fi
}

case $case_name in
demo)
	# tools/demo's second part: the story the appliance exists for
	say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
	say "two exitgate nodes, each behind its own NAT (nftables masquerade), an exitgate-derper relay, coturn for STUN; neither node knows where the other is"
	router_rules easy easy
	node_config a b 10.0
	node_config b a 10.0
	sed -n '/^peers:/,/^control/p' a.yaml | sed 's/^/  /'
	for n in a b; do start_node $n || { cat $n.log; exit 1; }; done
	for n in a b; do lab_wait_for 20 relay_up $n; done
	say "exitgatectl status on node a before any traffic: the peer is reached through the relay"
	peer_line a
	say "exitgatectl ping b: the first pong comes via DERP, then directly once both NATs are punched"
	ctl a ping b
	say "a ping through the tunnel, now direct"
	ip netns exec nat-a ping -c 3 10.88.0.2
	say "exitgatectl status after, on both nodes"
	peer_line a
	peer_line b
	say "exitgatectl netcheck on node a"
	ctl a netcheck
	lab_check "the demo ended on a direct path" path_is a direct ;;
public)
	router_rules public public
	node_config a b 2.0
	node_config b a 2.0
	start_nodes
	expect_direct "both public"
	garbage_flood >garbage.out
	sed 's/^/    /' garbage.out
	for k in stun_drop_unknown_txid stun_drop_malformed disco_drop_unknown_key disco_drop_short; do
		lab_expect_eq "garbage counted as $k" 20 "$(awk -v k=$k '$1 == k {print $2}' garbage.out)"
	done
	lab_check "the direct path survived the garbage" lab_wait_for 5 path_is a direct ;;
easy-public)
	router_rules easy public
	node_config a b 10.0
	node_config b a 2.0
	start_nodes
	expect_direct "easy NAT and public" ;;
easy-easy)
	router_rules easy easy
	node_config a b 10.0
	node_config b a 10.0
	start_nodes
	expect_direct "both behind easy NATs (hole punching)" ;;
hard-hard)
	router_rules hard hard
	node_config a b 10.0
	node_config b a 10.0
	start_nodes
	expect_relayed "both behind hard NATs" "this node: hard NAT (IPv4)" "the peer: hard NAT (IPv4)" \
		"both sides are behind hard NATs" "no pong" ;;
static-forward)
	nat_rules nat-ra ral raw 10.0.1.10 forward 2.0.0.11
	nat_rules nat-rb rbl rbw 10.0.2.10 hard
	node_config a b 10.0 "  static_endpoints: [\"2.0.0.11:41641\"]"
	node_config b a 10.0
	start_nodes
	expect_direct "hard NAT with a static port forward and static_endpoints" ;;
udp-blocked)
	router_rules blocked easy
	node_config a b 10.0
	node_config b a 10.0
	start_nodes
	expect_relayed "UDP blocked on node a's side" "UDP blocked: no STUN reply" \
		"UDP is blocked on this side"
	dropped=$(ip netns exec nat-ra nft list counter inet filter udp_dropped | awk '/packets/ {print $2}')
	lab_check "router a dropped node a's UDP ($dropped packets)" test "${dropped:-0}" -gt 0
	lab_check "the tunnel still works through the relay over TCP" tunnel_ping ;;
ipv6)
	router_rules hard hard open
	node_config a b 10.0
	node_config b a 10.0
	start_nodes
	expect_direct "IPv4 behind hard NATs, IPv6 open"
	lab_check "the direct path is IPv6" grep -qE 'via \[2001:db8:2::10\]:41641' ping-a.out ;;
cloud)
	# node a: a cloud instance with an elastic IP (2.0.0.21, UDP/41641 open) and its egress
	# through a hard NAT gateway; node b: a client behind a hard NAT
	ip -n nat-ra addr add 2.0.0.21/24 dev raw
	nat_rules nat-ra ral raw 10.0.1.10 one-to-one 2.0.0.21
	nat_rules nat-rb rbl rbw 10.0.2.10 hard
	node_config a b 10.0
	node_config b a 10.0
	start_nodes
	expect_direct "cloud: public ingress, egress through a hard NAT gateway"
	lab_check "node b reaches node a at its public ingress" \
		grep -q 'via 10.0.1.10:41641\|via 2.0.0.21:41641' <(ctl b ping a -c 3) ;;
cloud-no-ingress)
	router_rules hard hard
	node_config a b 10.0
	node_config b a 10.0
	start_nodes
	expect_relayed "cloud without a public ingress" \
		"open UDP/41641 inbound on a public address" "static_endpoints" ;;
failover)
	router_rules public public
	node_config a b 2.0
	node_config b a 2.0
	start_nodes
	expect_direct "before the cut"
	failover_once
	echo "failover_seconds $failover"
	echo "longest_zero_interval_seconds $gap"
	lab_check "failover direct -> relay within 2 s ($failover s)" \
		python3 -c "import sys; sys.exit(0 if $failover < 2.0 else 1)"
	lab_check "no iperf3 interval at zero for more than 2 s (longest ${gap} s)" \
		python3 -c "import sys; sys.exit(0 if $gap <= 2.0 else 1)" ;;
bench-punch)
	# time from the first packet to a direct path, hole punching through two easy NATs
	router_rules easy easy
	node_config a b 10.0
	node_config b a 10.0
	for r in $(seq "${EXITGATE_BENCH_REPEATS:-5}"); do
		bench_first_contact "time_to_direct_punch_s"
		[ "$r" -lt "${EXITGATE_BENCH_REPEATS:-5}" ] && stop_nodes
	done ;;
bench-failover)
	router_rules public public
	node_config a b 2.0
	node_config b a 2.0
	start_nodes
	for r in $(seq "${EXITGATE_BENCH_REPEATS:-5}"); do
		lab_check "direct before cut $r" lab_wait_for 20 path_is a direct
		failover_once
		echo "BENCH failover_s $failover"
		echo "BENCH longest_zero_interval_s $gap"
	done ;;
bench-iperf)
	# iperf3 through the tunnel on the direct path, then with both nodes pinned to the relay
	router_rules easy easy
	node_config a b 10.0
	node_config b a 10.0
	start_nodes
	lab_check "direct first" lab_wait_for 30 sh -c "$(declare -f ctl); ctl a ping b -c 10 >/dev/null"
	for dir in up down; do
		echo "BENCH iperf_direct_${dir}_mbps $(iperf_tunnel "$dir" "${EXITGATE_BENCH_SECONDS:-10}")"
	done
	for n in a b; do
		sed -i 's/path: auto}/path: relay}/' $n.yaml
		ctl $n reload >/dev/null
	done
	lab_check "both pinned to the relay" lab_wait_for 10 path_is a relay
	for dir in up down; do
		echo "BENCH iperf_relay_${dir}_mbps $(iperf_tunnel "$dir" "${EXITGATE_BENCH_SECONDS:-10}")"
	done ;;
portmap-natpmp | portmap-pcp | portmap-upnp)
	# both nodes behind hard NATs; node a's gateway maps the listen port on request
	proto=${case_name#portmap-}
	router_rules hard hard
	if [ "$proto" = upnp ]; then start_miniupnpd no yes; else start_miniupnpd yes no; fi
	node_config a b 10.0 "  port_mapping: [$proto]"
	node_config b a 10.0
	start_nodes
	mapped() { ctl a netcheck --last | grep -qE "PortMapping: $proto, 2\.0\.0\.11:"; }
	lab_check "node a's gateway maps its listen port ($proto)" lab_wait_for 20 mapped
	ctl a netcheck --last | grep -A3 PortMapping | sed 's/^/    /'
	lab_check "miniupnpd's nft rule forwards to node a" \
		grep -q 'dnat ip to 10.0.1.10:41641' <(ip netns exec nat-ra nft list chain inet filter prerouting_miniupnpd)
	expect_direct "hard NATs, $proto on node a's gateway" ;;
bench-portmap)
	# time from the first packet to a direct path through a NAT-PMP mapping
	router_rules hard hard
	start_miniupnpd yes no
	node_config a b 10.0 "  port_mapping: [natpmp]"
	node_config b a 10.0
	for r in $(seq "${EXITGATE_BENCH_REPEATS:-5}"); do
		bench_first_contact "time_to_direct_portmap_s"
		[ "$r" -lt "${EXITGATE_BENCH_REPEATS:-5}" ] && stop_nodes
	done ;;
*)
	echo "unknown case $case_name"
	exit 2 ;;
esac

for n in a b; do
	pid_var=${n}_pid
	kill -TERM "${!pid_var}" 2>/dev/null
	lab_check "node $n stops on SIGTERM" lab_wait_for 15 sh -c "! kill -0 ${!pid_var} 2>/dev/null"
	lab_check "no sanitizer report in node $n's log" lab_no_sanitizer_report $n.log
done
lab_finish
