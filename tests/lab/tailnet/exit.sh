#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# exitgated as the exit node of a real tailnet: headscale, Tailscale's derper and exitgate-derper,
# tailscaled clients on TUNs.
#
#   tnx-ctl 10.77.0.1: headscale :8080; derper (Tailscale's, region 901 "ts") :8443 + STUN 3478;
#     |                exitgate-derper (region 900 "eg") :8444 + STUN 3479 (pinned certs)
#   [tnx-sw: bridge br0, 10.77.0.0/24: the cloud's public subnet]------------------+
#     |                    |                         |                              |
#   tnx-exit 10.77.0.2     tnx-c1 10.77.0.3          tnx-rt 10.77.0.4 (hard NAT)    tnx-c3 10.77.0.5
#   exitgated:             tailscaled (TUN)          | 10.66.0.1                    tailscaled,
#    public af_packet      on the public subnet      tnx-c2 10.66.0.2               UDP blocked
#    (kernel TAP tnx-pub:  (direct)                  tailscaled behind the          (its nftables),
#     control, DERP)                                 hard NAT                       TCP to the relays
#    egress af_packet 10.79.0.2 --- tnx-gw 10.79.0.1 (nftables masquerade) 2.0.0.1 --- tnx-inet 2.0.0.10
#                                                                                  iperf3, HTTP "you are"
#
# exitgated logs in with a pre-auth key, advertises exit routes (approved with headscale's CLI),
# and serves the clients from its netmap. Cases: a client uses exitgate as its exit node (ping,
# curl, iperf3 to the internet namespace; the server sees the NAT gateway's address); `tailscale
# ping exitgate` prints pongs via DERP then via ip:port; `tailscale status` shows exitgate direct
# and `exitgatectl status` shows the client direct at the same endpoint; a client behind a hard
# NAT reaches exitgate's public address directly; a client with UDP blocked works through the
# relays (it is homed on exitgate-derper, exitgated on Tailscale's derper); a policy without
# internet access for one client drops its exit traffic (counted acl_denied) while another's
# flows; headscale restarted: no tunnel drops, exitgated logs in again; a client deleted on the
# server loses its tunnel, the others are untouched; clean SIGTERM.
set -u
# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$(dirname "$0")/../lib.sh"
lab_require_root jq ethtool curl socat openssl iperf3 nft
build=${EXITGATE_BUILD:?}
exitgated=$build/control/exitgated
exitgatectl=$build/tools/exitgatectl/exitgatectl
egderper=$build/tools/derper/exitgate-derper
headscale=$(lab_go_peer headscale)
tailscaled=$(lab_go_peer tailscaled)
tailscale=$(lab_go_peer tailscale)
tsderper=$(lab_go_peer derper)
trap lab_cleanup EXIT
T=$LAB_TMP
cd "$T" || exit 1
url=http://10.77.0.1:8080

# ---- topology ----
lab_netns tnx-sw
ip -n tnx-sw link add br0 type bridge
ip -n tnx-sw link set br0 up
sw_port() { # sw_port ns ifname address: a veth from ns onto the public subnet
	ip link add "$2" netns "$1" type veth peer name "p-$1" netns tnx-sw
	ip -n tnx-sw link set "p-$1" master br0 up
	ip -n "$1" link set "$2" up
	ip netns exec "$1" ethtool -K "$2" tx off tso off gso off gro off >/dev/null
	ip netns exec tnx-sw ethtool -K "p-$1" tx off tso off gso off gro off >/dev/null
	[ -z "$3" ] || ip -n "$1" addr add "$3" dev "$2"
}
for ns in tnx-ctl tnx-exit tnx-c1 tnx-rt tnx-c2 tnx-c3 tnx-gw tnx-inet; do lab_netns $ns; done
sw_port tnx-ctl eth0 10.77.0.1/24
sw_port tnx-exit vpub ""          # DPDK owns it: no kernel address
sw_port tnx-c1 eth0 10.77.0.3/24
sw_port tnx-rt wan0 10.77.0.4/24
sw_port tnx-c3 eth0 10.77.0.5/24
lab_veth tnx-c2 eth0 tnx-rt lan0
ip -n tnx-c2 addr add 10.66.0.2/24 dev eth0
ip -n tnx-c2 route add default via 10.66.0.1
ip -n tnx-rt addr add 10.66.0.1/24 dev lan0
ip netns exec tnx-rt sysctl -qw net.ipv4.ip_forward=1
ip netns exec tnx-rt nft -f - <<'NFT'
table inet router {
	chain postrouting {
		type nat hook postrouting priority 100; policy accept;
		oifname "wan0" masquerade fully-random
	}
	chain forward {
		type filter hook forward priority 0; policy drop;
		ct state established,related accept
		iifname "lan0" accept
	}
	chain input {
		type filter hook input priority 0; policy accept;
		iifname "wan0" ct state new meta l4proto udp drop
	}
}
NFT
# client 3: no UDP leaves it (but to itself), only TCP reaches the relays and control
ip netns exec tnx-c3 nft -f - <<'NFT'
table inet noudp {
	chain output {
		type filter hook output priority 0; policy accept;
		oifname "eth0" meta l4proto udp drop
	}
	chain input {
		type filter hook input priority 0; policy accept;
		iifname "eth0" meta l4proto udp drop
	}
}
NFT
lab_veth tnx-exit vegr tnx-gw lan0
ip -n tnx-gw addr add 10.79.0.1/24 dev lan0
lab_veth tnx-gw wan0 tnx-inet eth0
ip -n tnx-gw addr add 2.0.0.1/24 dev wan0
ip -n tnx-inet addr add 2.0.0.10/24 dev eth0
ip netns exec tnx-gw sysctl -qw net.ipv4.ip_forward=1
ip netns exec tnx-gw nft -f - <<'NFT'
table ip gw {
	chain postrouting {
		type nat hook postrouting priority 100; policy accept;
		oifname "wan0" masquerade
	}
}
NFT
lab_bg tnx-inet iperf.log iperf3 -s
lab_bg tnx-inet http.log socat TCP4-LISTEN:8080,fork,reuseaddr \
	SYSTEM:'echo "you are $SOCAT_PEERADDR"'

# ---- the relays, with certificates made here and pinned in the DERP map ----
umask 077
mkdir -p "$T/tsd-certs" "$T/hs"
# Tailscale's derper makes its own self-signed certificate and prints the CertName pin
lab_bg tnx-ctl tsderper.log "$tsderper" -a 10.77.0.1:8443 -certmode manual -hostname 10.77.0.1 \
	-certdir "$T/tsd-certs" -c "$T/tsd-certs/derper.json" -http-port -1 -stun-port 3478
ts_pin() { grep -o '"CertName":"sha256-raw:[0-9a-f]*"' tsderper.log | head -1 | cut -d'"' -f4; }
has_pin() { [ -n "$(ts_pin)" ]; }
lab_check "Tailscale's derper serves and names its certificate" lab_wait_for 20 has_pin
tspin=$(ts_pin)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	-subj /CN=10.77.0.1 -addext subjectAltName=IP:10.77.0.1 \
	-keyout eg-key.pem -out eg-cert.pem >/dev/null 2>&1
pin="sha256-raw:$(openssl x509 -in eg-cert.pem -outform der | sha256sum | cut -d' ' -f1)"
lab_bg tnx-ctl egderper.log "$egderper" --listen 10.77.0.1:8444 --cert eg-cert.pem \
	--key eg-key.pem --key-file eg-derper.key --stun-port 3479 --log-level info
cat >"$T/hs/derp.yaml" <<YAML
regions:
  900:
    regionid: 900
    regioncode: eg
    regionname: exitgate-derper
    nodes:
      - {name: 900a, regionid: 900, hostname: 10.77.0.1, ipv4: 10.77.0.1, ipv6: none,
         stunport: 3479, derpport: 8444, certname: "$pin"}
  901:
    regionid: 901
    regioncode: ts
    regionname: Tailscale derper
    nodes:
      - {name: 901a, regionid: 901, hostname: 10.77.0.1, ipv4: 10.77.0.1, ipv6: none,
         stunport: 3478, derpport: 8443, certname: "$tspin"}
YAML

# ---- headscale; the policy is rewritten by the ACL case ----
cat >"$T/hs/config.yaml" <<YAML
server_url: $url
listen_addr: 10.77.0.1:8080
metrics_listen_addr: 127.0.0.1:9090
grpc_listen_addr: 127.0.0.1:50443
noise: {private_key_path: $T/hs/noise_private.key}
prefixes: {v4: 100.64.0.0/10, v6: fd7a:115c:a1e0::/48, allocation: sequential}
derp: {server: {enabled: false}, urls: [], paths: [$T/hs/derp.yaml], auto_update_enabled: false}
database: {type: sqlite, sqlite: {path: $T/hs/db.sqlite}}
dns: {magic_dns: false, base_domain: lab.invalid, override_local_dns: false}
unix_socket: $T/hs/headscale.sock
disable_check_updates: true
logtail: {enabled: false}
policy: {mode: file, path: $T/hs/policy.json}
YAML
# the policy: the lab's user reaches its own nodes and the internet through an exit node (the
# ACL case rewrites it)
cat >"$T/hs/policy.json" <<'JSON'
{
  "acls": [
    {"action": "accept", "src": ["lab@"], "dst": ["lab@:*"]},
    {"action": "accept", "src": ["lab@"], "dst": ["autogroup:internet:*"]}
  ]
}
JSON
hs() { ip netns exec tnx-ctl "$headscale" -c "$T/hs/config.yaml" "$@" 2>/dev/null; }
headscale_pid=
start_headscale() {
	lab_bg tnx-ctl headscale.log "$headscale" -c "$T/hs/config.yaml" serve
	headscale_pid=${LAB_PIDS[-1]}
	lab_wait_for 30 ip netns exec tnx-ctl curl -sf "$url/health"
}
lab_check "headscale serves" start_headscale
hs users create lab >/dev/null
user_id=$(hs users list -o json | jq '.[] | select(.name == "lab") | .id')
hs preauthkeys create -u "$user_id" --reusable -e 1h -o json | jq -r .key >"$T/authkey"
chmod 600 "$T/authkey"
lab_check "a pre-auth key" test -s "$T/authkey"

# ---- exitgated ----
wg genkey >eg.key 2>/dev/null || "$exitgatectl" genkey >eg.key
cat >eg.yaml <<YAML
node: {private_key_file: $T/eg.key, listen_port: 41641, interface: tnx0, state_dir: $T/eg-state}
dataplane: {workers: 1, idle: adaptive, eal: ["--no-huge", "-m", "256", "--no-shconf"]}
ports:
  public: {device: "net_af_packet0,iface=vpub", addresses: [10.77.0.2/24], kernel_tap: tnx-pub}
  egress: {device: "net_af_packet1,iface=vegr", addresses: [10.79.0.2/24], gateway: 10.79.0.1}
exit: {enabled: true}
nat_traversal: {stun: ["10.77.0.1:3478"]}
derp:
  home_region: 901
  regions:
    - region_id: 900
      region_code: eg
      nodes: [{name: 900a, host_name: derp.lab, cert_name: "$pin", ipv4: 10.77.0.1, ipv6: none,
               derp_port: 8444, stun_port: 3479}]
    - region_id: 901
      region_code: ts
      nodes: [{name: 901a, host_name: derp.lab, cert_name: "$tspin", ipv4: 10.77.0.1, ipv6: none,
               derp_port: 8443, stun_port: 3478}]
tailnet: {login_server: "$url", auth_key_file: $T/authkey, hostname: exitgate,
          state_dir: $T/eg-tailnet, advertise_exit_node: true}
control: {socket: $T/eg.sock}
log: {level: ${EXITGATE_LAB_LOG_LEVEL:-info}}
YAML
egctl() { timeout 75 "$exitgatectl" "$@" --socket "$T/eg.sock" 2>&1; }
egjson() { egctl "$1" --json | python3 -c "import json,sys; s=json.load(sys.stdin); print($2)" 2>/dev/null; }
lab_bg tnx-exit eg.log "$exitgated" --config eg.yaml
eg_pid=${LAB_PIDS[-1]}
lab_check "exitgated starts" lab_wait_for 30 egctl status
ip -n tnx-exit route replace default via 10.77.0.1 dev tnx-pub 2>/dev/null
tailnet_connected() { [ "$(egjson status "s['tailnet']['client']['state']")" = connected ]; }
lab_check "exitgated logs in to headscale" lab_wait_for 60 tailnet_connected
eg_id=$(hs nodes list -o json | jq -r '.[] | select(.name == "exitgate") | .id')
eg_ip=$(hs nodes list -o json | jq -r '.[] | select(.name == "exitgate") | .ip_addresses[] | select(test("^100\\."))')
lab_check "headscale knows exitgate ($eg_ip)" test -n "$eg_ip"
lab_expect_eq "it offers the exit routes" "0.0.0.0/0,::/0" \
	"$(hs nodes list-routes -o json | jq -r ".[] | select(.id == $eg_id) | .available_routes | sort | join(\",\")")"
hs nodes approve-routes -i "$eg_id" -r 0.0.0.0/0,::/0 >/dev/null
login_at=$(date +%s.%N)

# ---- the clients ----
ts() { local c=$1; shift; ip netns exec "tnx-$c" "$tailscale" --socket="$T/$c/ts.sock" "$@"; }
start_client() { # start_client c1|c2|c3
	local c=$1
	mkdir -p "$T/$c"
	lab_bg "tnx-$c" "$c.log" env TS_NO_LOGS_NO_SUPPORT=true TS_DISABLE_PORTMAPPER=1 \
		TS_DEBUG_FIREWALL_MODE=nftables "$tailscaled" --statedir="$T/$c" \
		--socket="$T/$c/ts.sock" --tun=tailscale0 --port=41641
	lab_wait_for 20 test -S "$T/$c/ts.sock" || return 1
	ts "$c" up --login-server="$url" --auth-key="$(cat "$T/authkey")" --hostname="$c" \
		--accept-dns=false --netfilter-mode=off --timeout=60s >>"$T/$c.up.log" 2>&1
}
# c2 last: the time from its login to its first direct pong is measured below
for c in c1 c3 c2; do
	lab_check "tailscaled $c logs in" start_client $c
	eval "up_$c=$(date +%s.%N)"
done
exit_option() { [ "$(ts "$1" status --json | jq -r '.Peer[] | select(.HostName == "exitgate") | .ExitNodeOption')" = true ]; }
for c in c1 c2 c3; do
	lab_check "$c may use exitgate as its exit node" lab_wait_for 60 exit_option $c
done
eg_has_peer() { [ "$(egjson status "len([p for p in s['peers'] if p['name'] == '$1'])")" = 1 ]; }
for c in c1 c2 c3; do
	lab_check "exitgated has $c as a peer (from the netmap)" lab_wait_for 30 eg_has_peer $c
done

# the time from a client's login to its first direct pong (c2: behind the hard NAT, nothing
# held back)
ts c2 ping -c 10 "$eg_ip" >ping-c2.out 2>&1
c2_direct_at=$(date +%s.%N)
sed 's/^/    /' ping-c2.out
lab_check "tailscale ping from behind the hard NAT ends direct" \
	grep -qE '^pong from exitgate \(100\.[0-9.]+\) via 10\.77\.0\.2:41641 in' <(tail -1 ping-c2.out)
# shellcheck disable=SC2154 # up_c2 is set by the eval above
echo "client_login_to_first_direct_pong_seconds $(python3 -c "print(round($c2_direct_at - $up_c2, 2))")"
echo "node_login_to_first_direct_pong_seconds $(python3 -c "print(round($c2_direct_at - $login_at, 2))")"

# ---- the seed's story from Tailscale's own CLI ----
# c1 is on exitgate's subnet, where a direct path answers at once; to see the relay first, UDP
# between them is held back for the first seconds of the ping (the moment a NAT would take to
# open), then let through
ip netns exec tnx-c1 nft -f - <<'NFT'
table inet hold {
	chain output {
		type filter hook output priority 0; policy accept;
		ip daddr 10.77.0.2 udp dport 41641 drop
	}
}
NFT
ts c1 ping -c 10 "$eg_ip" >ping-c1.out 2>&1 &
ping_pid=$!
sleep 3
ip netns exec tnx-c1 nft delete table inet hold
wait "$ping_pid"
sed 's/^/    /' ping-c1.out
lab_check "tailscale ping: the first pong comes via DERP" \
	grep -qE '^pong from exitgate \(100\.[0-9.]+\) via DERP\((ts|eg)\)' <(head -1 ping-c1.out)
lab_check "tailscale ping: then via ip:port" \
	grep -qE '^pong from exitgate \(100\.[0-9.]+\) via 10\.77\.0\.2:41641 in' <(tail -1 ping-c1.out)

# ---- exit traffic ----
for c in c1 c2 c3; do
	ts "$c" set --exit-node="$eg_ip" >>"$T/$c.up.log" 2>&1
	lab_check "$c selects exitgate as its exit node" \
		lab_wait_for 20 sh -c "'$tailscale' --socket='$T/$c/ts.sock' status --json | jq -e '.ExitNodeStatus.Online != null' >/dev/null"
done
cping() { ip netns exec "tnx-$1" ping -c 1 -W 2 2.0.0.10 >/dev/null 2>&1; }
for c in c1 c2 c3; do
	lab_check "$c pings the internet through exitgate" lab_wait_for 30 cping $c
done
seen=$(ip netns exec tnx-c1 timeout 10 socat -t 2 - TCP:2.0.0.10:8080 </dev/null)
lab_expect_eq "the server sees the NAT gateway's address" "you are 2.0.0.1" "$seen"
mbps=$(ip netns exec tnx-c1 timeout 30 iperf3 -c 2.0.0.10 -t 3 -J 2>/dev/null |
	jq -r '.end.sum_received.bits_per_second / 1e6 | floor')
lab_check "iperf3 c1 -> internet through exitgate: ${mbps:-0} Mbit/s" test "${mbps:-0}" -gt 5

# ---- paths as both sides see them ----
ts_curaddr() { ts "$1" status --json | jq -r '.Peer[] | select(.HostName == "exitgate") | .CurAddr'; }
lab_expect_eq "tailscale status: c1 reaches exitgate directly" "10.77.0.2:41641" "$(ts_curaddr c1)"
ts c1 status | grep exitgate | sed 's/^/    /'
c1_key=$(ts c1 status --json | jq -r .Self.PublicKey)
eg_path() { egjson status "[p['path'] + ' ' + p['path_endpoint'] for p in s['peers'] if p['name'] == '$1'][0]"; }
lab_expect_eq "exitgatectl status: c1 direct at its own endpoint" "direct 10.77.0.3:41641" "$(eg_path c1)"
egctl status | grep -E ' c[123] ' | sed 's/^/    /'
lab_check "c2 behind a hard NAT reaches exitgate's public address directly" \
	lab_wait_for 20 sh -c "[ \"\$('$tailscale' --socket='$T/c2/ts.sock' status --json | jq -r '.Peer[] | select(.HostName == \"exitgate\") | .CurAddr')\" = 10.77.0.2:41641 ]"
lab_expect_eq "c3 without UDP is relayed" "" "$(ts_curaddr c3)"
c3_home=$(ts c3 status --json | jq -r '.Self.Relay')
eg_home=$(egjson status "s['relay']['home_region']")
echo "    c3's home relay: $c3_home, exitgated's home region: $eg_home"
lab_expect_eq "exitgated's home is Tailscale's derper" 901 "$eg_home"
lab_check "exitgated reaches c3 through the relay" grep -q 'relay' <(eg_path c3)

# ---- headscale restarted: nothing drops, exitgated logs in again ----
ip netns exec tnx-c1 ping -i 0.2 -c 100 -W 1 2.0.0.10 >ping-outage.out 2>&1 &
outage_ping=$!
kill -TERM "$headscale_pid"
lab_wait_for 20 sh -c "! kill -0 $headscale_pid 2>/dev/null"
not_connected() { ! tailnet_connected; }
lab_check "exitgated notices the control outage" lab_wait_for 30 not_connected
lab_check "the tunnel works without control" cping c1
lab_check "headscale comes back" start_headscale
lab_check "exitgated logs in again by itself" lab_wait_for 60 tailnet_connected
wait "$outage_ping"
lost=$(awk '/packets transmitted/ {print $1 - $4}' ping-outage.out)
lab_expect_eq "no ping lost through the restart" 0 "${lost:-100}"

# ---- an ACL without internet for c2: its exit traffic is dropped, c1's flows ----
c2_ip=$(ts c2 status --json | jq -r '.Self.TailscaleIPs[] | select(test("^100\\."))')
c1_ip=$(ts c1 status --json | jq -r '.Self.TailscaleIPs[] | select(test("^100\\."))')
cat >"$T/hs/policy.json" <<JSON
{
  "hosts": {"c1": "$c1_ip/32", "c3": "$(ts c3 status --json | jq -r '.Self.TailscaleIPs[] | select(test("^100\\."))')/32"},
  "acls": [
    {"action": "accept", "src": ["lab@"], "dst": ["lab@:*"]},
    {"action": "accept", "src": ["c1", "c3"], "dst": ["autogroup:internet:*"]}
  ]
}
JSON
kill -HUP "$headscale_pid" 2>/dev/null
denied0=$(egjson stats "sum(w['drops']['acl_denied'] for w in s['workers'])")
c2_blocked() { ! cping c2; }
lab_check "c2 may no longer use the internet through exitgate" lab_wait_for 30 c2_blocked
lab_check "c1 still may" cping c1
denied=$(egjson stats "sum(w['drops']['acl_denied'] for w in s['workers'])")
lab_check "exitgated counted c2's packets as acl_denied ($denied0 -> $denied)" \
	test "${denied:-0}" -gt "${denied0:-0}"

# ---- a client deleted on the server: its tunnel ends, the others' stay ----
c3_id=$(hs nodes list -o json | jq -r '.[] | select(.name == "c3") | .id')
hs nodes delete -i "$c3_id" --force >/dev/null
gone() { ! eg_has_peer c3; }
lab_check "c3 deleted on the server: exitgated drops its peer" lab_wait_for 30 gone
lab_check "c1 keeps its tunnel" cping c1

kill -TERM "$eg_pid"
lab_check "exitgated stops on SIGTERM" lab_wait_for 15 sh -c "! kill -0 $eg_pid 2>/dev/null"
lab_check "no sanitizer report in exitgated's log" lab_no_sanitizer_report eg.log
lab_finish
