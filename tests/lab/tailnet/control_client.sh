#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The tailnet control client (control/tailnet) against real headscale and a real tailscaled.
#
#   tn-ctl  10.77.0.1  headscale :8080 (its policy: ACLs, a grant with app caps, exit use)
#      |               later hostile_control.py on the same address, one mode at a time
#   [tn-sw: bridge br0]-------------------------------+
#      |                                              |
#   tn-node 10.77.0.2  tailnet-probe #1 (zstd)        tn-cli 10.77.0.3  tailscaled
#                      tailnet-probe #2 (plain JSON)            (userspace networking)
#
#   (tn-ctl also runs socat with TLS on :8443 in front of headscale, for probes #3 and #4,
#    which reach it as https://headscale.tn.lab:8443 through tn-node's /etc/hosts)
#
# Checks: both probes log in with a pre-auth key and see tailscaled with its node key, disco key
# and endpoints, and the policy's packet filter as parsed rules; the exit routes probe #1
# advertises become approvable in headscale and reach tailscaled (ExitNodeOption) and probe #2
# (exit routes in its AllowedIPs); lite updates of endpoints (tailscaled and probe #2 see them),
# of the disco key (headscale shows it) and of NetInfo (probe #2 sees the home DERP region);
# headscale restarted: the probes keep their netmap while it is down and reconnect by
# themselves, registering without the key; every hostile server mode is counted, closes the
# connection, crashes nothing and leaves the netmap as it was; the watchdog ends a silent map
# poll; https with a verified certificate to a resolved name works and another CA's certificate
# is refused; a node expired on the server is seen expired; the tailscaled node deleted on the
# server arrives as a removal; SIGTERM ends the probes cleanly (no sanitizer report).
set -u
# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$(dirname "$0")/../lib.sh"
lab_require_root jq ethtool curl socat openssl
build=${EXITGATE_BUILD:?}
source_dir=${EXITGATE_SOURCE:?}
probe=$build/tests/lab/tailnet/tailnet-probe
hostile=$source_dir/tests/lab/tailnet/hostile_control.py
python=/usr/bin/python3
headscale=$(lab_go_peer headscale)
tailscaled=$(lab_go_peer tailscaled)
tailscale=$(lab_go_peer tailscale)
# the TLS case resolves a host name: /etc/netns/tn-node/hosts is /etc/hosts inside tn-node
cleanup() {
	rm -rf /etc/netns/tn-node
	rmdir /etc/netns 2>/dev/null
	lab_cleanup
}
trap cleanup EXIT
if ! "$python" -c "import h2, nacl, zstandard" 2>/dev/null; then
	echo "FAIL: $(basename "$0") needs python3-h2, python3-nacl, python3-zstandard (tools/bootstrap)"
	exit 1
fi
T=$LAB_TMP
url=http://10.77.0.1:8080
headscale_pid=
hostile_pid=
declare -A pids # probe N -> pid

# the topology
lab_netns tn-sw
ip -n tn-sw link add br0 type bridge
ip -n tn-sw link set br0 up
i=1
for ns in tn-ctl tn-node tn-cli; do
	lab_netns $ns
	lab_veth $ns eth0 tn-sw port$i
	ip -n tn-sw link set port$i master br0
	ip -n $ns addr add 10.77.0.$i/24 dev eth0
	i=$((i + 1))
done

mkdir -p "$T/hs" "$T/tsd" "$T/dump1" "$T/dump2"
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
cat >"$T/hs/derp.yaml" <<'YAML'
regions:
  900:
    regionid: 900
    regioncode: lab
    regionname: Lab
    nodes:
      - {name: 900a, regionid: 900, hostname: 10.77.0.1, ipv4: 10.77.0.1, ipv6: none,
         stunport: 3478, derpport: 8443, insecurefortests: true}
YAML
# A policy whose filter has every kind of entry headscale emits: users, prefixes, a range,
# port ranges, protocols, the internet (exit) grant, and a grant with app capabilities.
cat >"$T/hs/policy.json" <<'JSON'
{
  "groups": {"group:ops": ["lab@"]},
  "hosts": {"lan": "10.78.0.0/24", "lanrange": "10.79.0.0/24"},
  "acls": [
    {"action": "accept", "src": ["group:ops"], "dst": ["lab@:*"]},
    {"action": "accept", "src": ["lab@"], "proto": "tcp", "dst": ["lan:22,80-443"]},
    {"action": "accept", "src": ["lanrange"], "proto": "udp", "dst": ["lab@:53"]},
    {"action": "accept", "src": ["lab@"], "dst": ["autogroup:internet:*"]}
  ],
  "grants": [
    {"src": ["lab@"], "dst": ["lab@"], "app": {"exitgate.example/cap/lab": [{"level": 2}]}}
  ]
}
JSON

hs() { "$headscale" -c "$T/hs/config.yaml" "$@" 2>/dev/null; }
ts() { ip netns exec tn-cli "$tailscale" --socket="$T/tsd/ts.sock" "$@"; }
st() { jq -r "$2" "$T/probe$1.json" 2>/dev/null; } # st N jq-filter: probe N's status
counter() { st "$1" ".stats.$2"; }
has() { jq -e "$2" "$T/probe$1.json" >/dev/null 2>&1; } # has N jq-filter: true when it holds

start_headscale() {
	ip netns exec tn-ctl "$headscale" -c "$T/hs/config.yaml" serve >>"$T/headscale.log" 2>&1 &
	headscale_pid=$!
	LAB_PIDS+=("$headscale_pid")
	lab_wait_for 30 ip netns exec tn-node curl -sf "$url/health"
}

stop_pid() { # stop_pid pid: SIGTERM, then wait for it
	kill -TERM "$1" 2>/dev/null
	for _ in $(seq 100); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
	kill -KILL "$1" 2>/dev/null
}

# the state of probe N is S
probe_state() { [ "$(st "$1" .state)" = "$2" ]; }
# probe N has a peer with hostname H
probe_has_peer() { [ -n "$(st "$1" ".netmap.peers[] | select(.hostname == \"$2\") | .id")" ]; }
peer_field() { st "$1" ".netmap.peers[] | select(.hostname == \"$2\") | $3"; }

lab_log "headscale $headscale"
lab_check "headscale serves" start_headscale
hs users create lab >/dev/null
user_id=$(hs users list -o json | jq '.[] | select(.name == "lab") | .id')
hs preauthkeys create -u "$user_id" --reusable -e 1h -o json | jq -r .key >"$T/authkey"
chmod 600 "$T/authkey"
lab_check "a pre-auth key" test -s "$T/authkey"

# tailscaled, the real client, as a netmap peer
lab_bg tn-cli "$T/tailscaled.log" env TS_NO_LOGS_NO_SUPPORT=true TS_DISABLE_PORTMAPPER=1 \
	"$tailscaled" --statedir="$T/tsd" --socket="$T/tsd/ts.sock" --tun=userspace-networking \
	--port=41641
lab_wait_for 20 test -S "$T/tsd/ts.sock"
ts up --login-server="$url" --auth-key="$(cat "$T/authkey")" --hostname=tsclient \
	--accept-dns=false --timeout=60s >>"$T/tailscale.log" 2>&1
lab_expect_eq "tailscaled logged in" Running "$(ts status --json | jq -r .BackendState)"

# the probes
printf '10.77.0.2:41641 1\n' >"$T/eps1"
printf '10.77.0.2:41642 1\n' >"$T/eps2"
start_probe() { # start_probe N extra-args...: probe N in tn-node
	local n=$1
	shift
	lab_bg tn-node "$T/probe$n.log" "$probe" --login-server "$url" --state-dir "$T/state$n" \
		--auth-key-file "$T/authkey" --hostname "probe$n" --status-file "$T/probe$n.json" \
		--endpoints-file "$T/eps$n" --dump-dir "$T/dump$n" --preferred-derp 900 \
		--max-peers 100 --backoff-max-ms 2000 "$@"
	pids[$n]=$!
}
start_probe 1 --advertise-exit-node
start_probe 2 --plain-json
lab_check "probe 1 connected" lab_wait_for 30 probe_state 1 connected
lab_check "probe 2 connected" lab_wait_for 30 probe_state 2 connected
lab_expect_eq "probe 1 asked for zstd" zstd "$(st 1 .compress)"
lab_expect_eq "probe 2 asked for plain JSON" "" "$(st 2 .compress)"
lab_expect_eq "probe 1 claims capability version 113" 113 "$(st 1 .capability_version)"
lab_expect_eq "headscale sent the early payload" true "$(st 1 .early_payload)"
lab_check "probe 1 sees tailscaled" lab_wait_for 30 probe_has_peer 1 tsclient
lab_check "probe 2 sees tailscaled" lab_wait_for 30 probe_has_peer 2 tsclient
lab_check "the probes see each other" lab_wait_for 30 probe_has_peer 1 probe2
lab_check "the probes see each other" lab_wait_for 30 probe_has_peer 2 probe1

# the peer as tailscaled and headscale know it
ts_status=$(ts status --json)
ts_key=$(jq -r .Self.PublicKey <<<"$ts_status")
ts_disco=$(hs nodes list -o json | jq -r '.[] | select(.name == "tsclient") | .disco_key')
ts_id=$(hs nodes list -o json | jq -r '.[] | select(.name == "tsclient") | .id')
lab_expect_eq "the peer's node key" "$ts_key" "$(peer_field 1 tsclient .node_key)"
lab_expect_eq "the peer's disco key" "$ts_disco" "$(peer_field 1 tsclient .disco_key)"
lab_expect_eq "the peer's ID" "$ts_id" "$(peer_field 1 tsclient .id)"
lab_expect_eq "the peer's home DERP" 900 "$(peer_field 1 tsclient .home_derp)"
lab_expect_eq "the peer's addresses" \
	"$(jq -r '.Self.TailscaleIPs | sort | join(",")' <<<"$ts_status")" \
	"$(peer_field 1 tsclient '.addresses | map(split("/")[0]) | sort | join(",")')"
lab_check "the peer has endpoints" [ "$(peer_field 1 tsclient '.endpoints | length')" -gt 0 ]
lab_expect_eq "the peer's endpoints" "$(jq -r '.Self.Addrs // [] | sort | join(",")' <<<"$ts_status")" \
	"$(peer_field 1 tsclient '.endpoints | sort | join(",")')"
lab_expect_eq "the plain JSON probe has the same view" \
	"$(peer_field 1 tsclient '[.node_key, .disco_key, (.endpoints | sort)] | tostring')" \
	"$(peer_field 2 tsclient '[.node_key, .disco_key, (.endpoints | sort)] | tostring')"
lab_expect_eq "the self node's addresses" \
	"$(hs nodes list -o json | jq -r '.[] | select(.name == "probe1") | .ip_addresses | sort | join(",")')" \
	"$(st 1 '.netmap.self.addresses | map(split("/")[0]) | sort | join(",")')"
lab_expect_eq "headscale's DERP map" "900 lab" "$(st 1 '.netmap.derp_regions[0] | "\(.id) \(.code)"')"
# the filter as headscale compiled the policy for probe 1: the user's addresses as a range
# (100.64.0.1-100.64.0.3, parsed into its covering prefixes), the grant's app capability, the
# UDP rule from the host range
lab_expect_eq "the packet filter's rules" 3 "$(st 1 .netmap.filter_rules)"
lab_check "a range source became its prefixes" \
	has 1 '.netmap.filter[] | select(.srcs == ["100.64.0.1/32","100.64.0.2/31","fd7a:115c:a1e0::1/128","fd7a:115c:a1e0::2/127"])'
self4=$(st 1 '.netmap.self.addresses[0]')
lab_expect_eq "the grant's app capability, for this node" \
	"exitgate.example/cap/lab [{\"level\":2}]" \
	"$(st 1 ".netmap.filter[].caps[] | select(.dst == \"$self4\") | \"\\(.cap) \\(.values | tostring)\"")"
lab_expect_eq "the UDP rule" '[17] 100.64.0.2/31:53-53' \
	"$(st 1 '.netmap.filter[] | select(.srcs == ["10.79.0.0/24"]) | "\(.protos | tostring) \(.dsts[0])"')"
lab_expect_eq "rules without IPProto get TCP, UDP, ICMP, ICMPv6" '[6,17,1,58]' \
	"$(st 1 '.netmap.filter[] | select(.dsts != []) | select(.srcs[0] == "100.64.0.1/32") | .protos | tostring')"

# exit routes: advertised, approved, seen by the peers
probe1_id=$(hs nodes list -o json | jq -r '.[] | select(.name == "probe1") | .id')
lab_expect_eq "headscale offers probe 1's exit routes" "0.0.0.0/0,::/0" \
	"$(hs nodes list-routes -o json | jq -r ".[] | select(.id == $probe1_id) | .available_routes | sort | join(\",\")")"
hs nodes approve-routes -i "$probe1_id" -r 0.0.0.0/0,::/0 >/dev/null
lab_expect_eq "headscale lists them approved" "0.0.0.0/0,::/0" \
	"$(hs nodes list-routes -o json | jq -r ".[] | select(.id == $probe1_id) | .approved_routes | sort | join(\",\")")"
exit_option() { [ "$(ts status --json | jq -r '.Peer[] | select(.HostName == "probe1") | .ExitNodeOption')" = true ]; }
lab_check "tailscaled may use probe 1 as its exit node" lab_wait_for 30 exit_option
probe2_sees_exit() { [ "$(peer_field 2 probe1 .exit_routes)" = true ]; }
lab_check "probe 2 sees probe 1's exit routes" lab_wait_for 30 probe2_sees_exit
internet_rule() { st 1 '.netmap.filter[].dsts[]' | grep -qx '2000::/3:0-65535'; }
lab_check "probe 1's filter now lets the tailnet reach the internet through it" \
	lab_wait_for 30 internet_rule

# lite updates: endpoints, then the disco key
lite_before=$(counter 1 lite_updates_sent)
printf '10.77.0.2:41641 1\n192.0.2.77:3478 2\n' >"$T/eps1"
kill -USR1 "${pids[1]}"
lite_sent() { [ "$(counter 1 lite_updates_sent)" -gt "$1" ]; }
lab_check "the endpoint update went out as a lite update" lab_wait_for 20 lite_sent "$lite_before"
ts_sees_endpoint() { ts debug netmap | jq -e '.Peers[] | select(.Hostinfo.Hostname == "probe1") | .Endpoints // [] | index("192.0.2.77:3478")' >/dev/null; }
lab_check "tailscaled learns the new endpoint" lab_wait_for 30 ts_sees_endpoint
probe2_sees_endpoint() { [ "$(peer_field 2 probe1 '.endpoints | sort | join(",")')" = "10.77.0.2:41641,192.0.2.77:3478" ]; }
lab_check "probe 2 learns it as well" lab_wait_for 30 probe2_sees_endpoint
lite_before=$(counter 1 lite_updates_sent)
kill -USR2 "${pids[1]}"
lab_check "the disco key update went out" lab_wait_for 20 lite_sent "$lite_before"
hs_disco() { hs nodes list -o json | jq -r '.[] | select(.name == "probe1") | .disco_key'; }
disco_shown() { [ "$(hs_disco)" = "$(st 1 .disco_key)" ]; }
lab_check "headscale shows probe 1's new disco key" lab_wait_for 20 disco_shown

# a NetInfo change (the preferred DERP region) is a Hostinfo change: a lite update too
lite_before=$(counter 1 lite_updates_sent)
kill -HUP "${pids[1]}"
lab_check "the NetInfo update went out" lab_wait_for 20 lite_sent "$lite_before"
home_901() { [ "$(peer_field 2 probe1 .home_derp)" = 901 ]; }
lab_check "probe 2 sees probe 1's new home DERP region" lab_wait_for 30 home_901

# headscale restarted: the netmap stays, the probes come back by themselves
generation=$(st 1 .netmap.generation)
peers=$(st 1 '.netmap.peers | map(.hostname) | sort | join(",")')
connects=$(counter 1 connects)
stop_pid "$headscale_pid"
lab_check "probe 1 notices the outage" lab_wait_for 30 probe_state 1 backoff
sleep 3
lab_expect_eq "the netmap is kept while the server is away" "$generation $peers" \
	"$(st 1 .netmap.generation) $(st 1 '.netmap.peers | map(.hostname) | sort | join(",")')"
lab_check "headscale serves again" start_headscale
reconnected() { [ "$(counter 1 connects)" -gt "$connects" ] && probe_state 1 connected; }
lab_check "probe 1 reconnects by itself" lab_wait_for 60 reconnected
lab_check "probe 2 reconnects by itself" lab_wait_for 60 probe_state 2 connected
lab_check "the restarted node registers without the key" \
	grep -q "tailnet: registered$" "$T/probe1.log"
lab_expect_eq "the same peers afterwards" "$peers" "$(st 1 '.netmap.peers | map(.hostname) | sort | join(",")')"

# hostile servers in headscale's place: each closes the connection and is counted
stop_pid "$headscale_pid"
lab_wait_for 30 probe_state 1 backoff
generation=$(st 1 .netmap.generation)
netmap_digest() { st 1 '.netmap | del(.generation) | tostring' | sha256sum | cut -c1-16; }
netmap=$(netmap_digest)
for case in bad-key:key_fetch_failures not-101:upgrade_failures \
	garbage-after-upgrade:noise_failures bad-noise:noise_failures noise-error:noise_failures \
	bad-record:record_failures garbage-h2:http2_failures bad-json:map_json_failures \
	hostile-netmap:map_json_failures bad-zstd:map_framing_failures \
	huge-length:map_framing_failures too-many-peers:map_limit_failures stall:timeouts; do
	mode=${case%%:*}
	name=${case#*:}
	before=$(counter 1 "$name")
	ip netns exec tn-ctl "$python" "$hostile" --listen 10.77.0.1:8080 --mode "$mode" \
		--peers-limit 100 >>"$T/hostile.log" 2>&1 &
	hostile_pid=$!
	LAB_PIDS+=("$hostile_pid")
	counted() { [ "$(counter 1 "$name")" -gt "$before" ]; }
	lab_check "hostile $mode: counted as $name" lab_wait_for 30 counted
	stop_pid "$hostile_pid"
	lab_check "hostile $mode: probe 1 still runs" kill -0 "${pids[1]}"
done
lab_expect_eq "the netmap is untouched by every hostile server (generation, digest)" \
	"$generation $netmap" "$(st 1 .netmap.generation) $(netmap_digest)"
# the watchdog: a server that sends a keepalive on the map poll and then nothing
ip netns exec tn-ctl "$python" "$hostile" --listen 10.77.0.1:8080 --mode silent \
	>>"$T/hostile.log" 2>&1 &
hostile_pid=$!
LAB_PIDS+=("$hostile_pid")
lab_bg tn-node "$T/probew.log" "$probe" --login-server "$url" --state-dir "$T/statew" \
	--auth-key-file "$T/authkey" --status-file "$T/probew.json" --watchdog-ms 2000 \
	--backoff-max-ms 2000
probew_pid=$!
watchdog_fired() { [ "$(counter w watchdog_timeouts)" -ge 1 ] && [ "$(counter w keepalives)" -ge 1 ]; }
lab_check "the watchdog ends a map poll silent after a keepalive" lab_wait_for 30 watchdog_fired
kill -TERM "$probew_pid"
wait "$probew_pid"
lab_expect_eq "the watchdog probe exits cleanly" 0 "$?"
stop_pid "$hostile_pid"
lab_check "headscale serves again" start_headscale
lab_check "probe 1 comes back after the hostile servers" lab_wait_for 60 probe_state 1 connected

# https and a host name: TLS (socat in front of headscale) verified against its certificate,
# the name resolved with getaddrinfo_a from tn-node's /etc/hosts
tls_cert() { # tls_cert name: a self-signed certificate for headscale.tn.lab
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
		-subj /CN=headscale.tn.lab -addext subjectAltName=DNS:headscale.tn.lab \
		-keyout "$T/$1.key" -out "$T/$1.crt" >/dev/null 2>&1
}
tls_cert tls
tls_cert other
lab_bg tn-ctl "$T/socat.log" socat \
	"OPENSSL-LISTEN:8443,bind=10.77.0.1,reuseaddr,fork,cert=$T/tls.crt,key=$T/tls.key,verify=0" \
	TCP:10.77.0.1:8080
mkdir -p /etc/netns/tn-node
echo "10.77.0.1 headscale.tn.lab" >/etc/netns/tn-node/hosts
lab_wait_for 10 ip netns exec tn-node curl -sf --cacert "$T/tls.crt" https://headscale.tn.lab:8443/health
lab_bg tn-node "$T/probe3.log" "$probe" --login-server https://headscale.tn.lab:8443 \
	--ca-file "$T/tls.crt" --state-dir "$T/state3" --auth-key-file "$T/authkey" \
	--hostname probe3 --status-file "$T/probe3.json" --backoff-max-ms 2000
pids[3]=$!
lab_check "over https to a host name: connected" lab_wait_for 30 probe_state 3 connected
lab_check "over https: the netmap has tailscaled" lab_wait_for 30 probe_has_peer 3 tsclient
lab_bg tn-node "$T/probe4.log" "$probe" --login-server https://headscale.tn.lab:8443 \
	--ca-file "$T/other.crt" --state-dir "$T/state4" --auth-key-file "$T/authkey" \
	--hostname probe4 --status-file "$T/probe4.json" --backoff-max-ms 2000
pids[4]=$!
bad_cert() { [ "$(counter 4 connect_failures)" -ge 2 ]; }
lab_check "a certificate of another CA is refused, again and again" lab_wait_for 30 bad_cert
lab_check "with the reason" grep -q "TLS certificate" "$T/probe4.log"
lab_expect_eq "and no login" 0 "$(counter 4 connects)"
for n in 3 4; do
	kill -TERM "${pids[$n]}"
	wait "${pids[$n]}"
	lab_expect_eq "probe $n exits cleanly" 0 "$?"
done

# a node expired on the server: its peers see it expired
probe2_id=$(hs nodes list -o json | jq -r '.[] | select(.name == "probe2") | .id')
hs nodes expire -i "$probe2_id" >/dev/null
probe2_expired() { [ "$(peer_field 1 probe2 .expired)" = true ] || [ "$(peer_field 1 probe2 "(.key_expiry > 0 and .key_expiry <= now)")" = true ]; }
lab_check "probe 1 sees probe 2 expired" lab_wait_for 30 probe2_expired
lab_check "probe 2 knows its own key expired" lab_wait_for 30 probe_state 2 needs-login
lab_expect_eq "and keeps its map poll" 1 "$(counter 2 self_expired)"

# the tailscaled node deleted on the server: a removal reaches the probe
hs nodes delete -i "$ts_id" --force >/dev/null
gone() { ! probe_has_peer 1 tsclient; }
lab_check "probe 1 drops the deleted node" lab_wait_for 30 gone
lab_check "as a removal of its ID" grep -qE "removed=\[([0-9]+,)*$ts_id(,[0-9]+)*\]" "$T/probe1.log"
gone2() { ! probe_has_peer 2 tsclient; }
lab_check "probe 2 drops it too" lab_wait_for 30 gone2

# captures for the unit tests' vectors (EXITGATE_TAILNET_CAPTURE=dir keeps every map message)
if [ -n "${EXITGATE_TAILNET_CAPTURE:-}" ]; then
	mkdir -p "$EXITGATE_TAILNET_CAPTURE"
	cp -r "$T/dump1" "$T/dump2" "$T"/*.log "$EXITGATE_TAILNET_CAPTURE"/
	lab_log "captures copied to $EXITGATE_TAILNET_CAPTURE"
fi

# a clean end
for n in 1 2; do
	kill -TERM "${pids[$n]}"
	wait "${pids[$n]}"
	lab_expect_eq "probe $n exits cleanly on SIGTERM" 0 "$?"
	lab_check "probe $n log has no sanitizer report" lab_no_sanitizer_report "$T/probe$n.log"
done
lab_finish
