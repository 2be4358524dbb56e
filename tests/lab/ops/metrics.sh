#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Operating a node: exitgated's Prometheus metrics, its DPDK telemetry and the dashboard, with a
# real Prometheus server scraping it and a wireguard-go client carrying traffic.
#
#   ops-c (client)              ops-n (exitgated)                         ops-i (internet)
#   wireguard-go opsc0          public: af_packet vpub 10.0.1.10/24       iperf3 server
#   10.77.0.2/32                egress: af_packet vegr 10.0.2.10/24       10.0.2.1/24
#   vcli 10.0.1.2/24 ---------- vpub    (exit NAT)           vegr ------- vint
#                               vmgmt 10.99.0.1/24 (kernel; control.metrics 10.99.0.1:9586)
#                                 |
#   ops-m (monitoring)            |
#   prometheus 127.0.0.1:9090, vmon 10.99.0.2/24, scrapes 10.99.0.1:9586 every second;
#   promtool, curl, headless chromium (the dashboard's panels on Prometheus's graph page);
#   exitgate-derper 10.99.0.2:8443 (DERP region 900, through which the peer "relayed" goes)
#
# Asserts: promtool check metrics passes on `exitgatectl metrics` and on the listener's reply;
# the client's traffic shows in the metrics (peer bytes, NAT sessions, port counters, peers by
# path kind); Prometheus scrapes the listener (target up) and a query gives the client's bytes;
# every dashboard query names an exposed metric and returns data on Prometheus; hostile clients
# of the listener (slowloris, garbage, oversized head, 40 connections) each lose only their own
# connection while scrapes go on; control.metrics_peers: false drops the per-peer series; DPDK
# telemetry answers /ethdev/stats through dpdk-telemetry.py from a root-only directory; the
# dashboard's panels are rendered to a PNG (EXITGATE_LAB_SCREENSHOT=path keeps a copy).
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
lab_require_root wireguard-go wg iperf3 ethtool python3 curl prometheus promtool \
	dpdk-telemetry.py chromium openssl

build=${EXITGATE_BUILD:?EXITGATE_BUILD names the build tree}
src=${EXITGATE_SOURCE:?EXITGATE_SOURCE names the source tree}
exitgated=$build/control/exitgated
exitgatectl=$build/tools/exitgatectl/exitgatectl
derper=$build/tools/derper/exitgate-derper
dashboard=$src/deploy/grafana/exitgate.json
trap lab_cleanup EXIT
cd "$LAB_TMP"

# ---- topology ----
for ns in ops-c ops-n ops-i ops-m; do lab_netns "$ns"; done
lab_veth ops-c vcli ops-n vpub
lab_veth ops-n vegr ops-i vint
lab_veth ops-n vmgmt ops-m vmon
ip -n ops-c addr add 10.0.1.2/24 dev vcli
ip -n ops-i addr add 10.0.2.1/24 dev vint
ip -n ops-n addr add 10.99.0.1/24 dev vmgmt
ip -n ops-m addr add 10.99.0.2/24 dev vmon
lab_bg ops-i iperf.log iperf3 -s

# ---- a real Prometheus, scraping the node from the start ----
cat >prometheus.yml <<'YAML'
global: {scrape_interval: 1s, evaluation_interval: 1s}
scrape_configs:
  - job_name: exitgate
    static_configs: [{targets: ["10.99.0.1:9586"]}]
YAML
watch_start=$SECONDS
lab_bg ops-m prometheus.log prometheus --config.file=prometheus.yml \
	--storage.tsdb.path="$LAB_TMP/prometheus-data" --web.listen-address=127.0.0.1:9090

lab_check "Prometheus is ready before the node starts (it sees the first handshake)" \
	lab_wait_for 30 ip netns exec ops-m curl -sf http://127.0.0.1:9090/-/ready

# ---- a relay on the management network ----
umask 077
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	-subj /CN=derp.lab -addext subjectAltName=DNS:derp.lab \
	-keyout relay-key.pem -out relay-cert.pem >/dev/null 2>&1
pin="sha256-raw:$(openssl x509 -in relay-cert.pem -outform der | sha256sum | cut -d' ' -f1)"
lab_bg ops-m relay.log "$derper" --listen 10.99.0.2:8443 --cert relay-cert.pem \
	--key relay-key.pem --key-file relay.key --pin-file relay.pin --stun-port 0
lab_check "the relay starts" lab_wait_for 10 test -s relay.pin

# ---- the node ----
wg genkey >node.key
wg pubkey <node.key >node.pub
wg genkey >client.key
wg pubkey <client.key >client.pub
write_config() { # write_config metrics_peers
	cat >node.yaml <<YAML
node: {private_key_file: $LAB_TMP/node.key, listen_port: 41641, interface: opsn0}
dataplane: {workers: 1, idle: adaptive, eal: ["--no-huge", "-m", "256", "--no-shconf"]}
ports:
  public: {device: "net_af_packet0,iface=vpub", addresses: [10.0.1.10/24]}
  egress: {device: "net_af_packet1,iface=vegr", addresses: [10.0.2.10/24], gateway: 10.0.2.1}
exit: {enabled: true, masquerade: true}
derp:
  regions:
    - region_id: 900
      region_code: lab
      nodes:
        - {name: relay900, host_name: derp.lab, cert_name: "$pin", ipv4: 10.99.0.2, ipv6: none,
           derp_port: 8443, stun_port: -1}
peers:
  - {name: client, public_key: "$(cat client.pub)", allowed_ips: [10.77.0.2/32], endpoint: "10.0.1.2:51820"}
  - {name: relayed, public_key: "$(wg genkey | wg pubkey)", allowed_ips: [10.77.0.3/32], path: relay}
  - {name: "quote\"d", public_key: "$(wg genkey | wg pubkey)", allowed_ips: [10.77.0.4/32],
     path: direct}
control: {socket: $LAB_TMP/control.sock, metrics: "10.99.0.1:9586", metrics_peers: $1}
YAML
}
write_config true
ctl() { "$exitgatectl" "$@" --socket "$LAB_TMP/control.sock"; }
start_node() {
	lab_bg ops-n node.log "$exitgated" --config node.yaml
	node_pid=${LAB_PIDS[-1]}
	lab_wait_for 30 ctl status
}
lab_check "exitgated starts with the metrics listener" start_node
region_connected() {
	ctl metrics | grep -qx 'exitgate_relay_region_connected{region="900",code="lab"} 1'
}
lab_check "the node logs in to relay region 900" lab_wait_for 20 region_connected

# ---- a client with traffic through the exit ----
lab_bg ops-c client.log env WG_PROCESS_FOREGROUND=1 wireguard-go opsc0
lab_wait_for 10 ip netns exec ops-c wg show opsc0
ip netns exec ops-c wg set opsc0 private-key client.key listen-port 51820 \
	peer "$(cat node.pub)" allowed-ips 10.0.2.0/24 endpoint 10.0.1.10:41641
ip -n ops-c addr add 10.77.0.2/32 dev opsc0
ip -n ops-c link set opsc0 up
ip -n ops-c route add 10.0.2.0/24 dev opsc0
lab_check "client -> internet ping through the exit" \
	lab_wait_for 20 ip netns exec ops-c ping -c 1 -W 1 10.0.2.1
iperf() { # iperf log [iperf3 options]: one run to the internet server, retried once (the
	# server takes a moment between runs and refuses a client that comes too soon)
	local log=$1
	shift
	ip netns exec ops-c timeout 20 iperf3 -c 10.0.2.1 "$@" >"$log" 2>&1 ||
		{ sleep 1; ip netns exec ops-c timeout 20 iperf3 -c 10.0.2.1 "$@" >"$log" 2>&1; }
}
lab_check "iperf3 through the exit, both ways" sh -c \
	"$(declare -f iperf); iperf iperf-up.log -t 2 && iperf iperf-down.log -t 2 -R"

# ---- the exposition ----
ctl metrics >ctl.prom
sample() { # sample file 'name{labels}': its value
	awk -v s="$2" 'index($0, s " ") == 1 {print $2}' "$1"
}
lab_check "promtool check metrics passes on exitgatectl metrics" \
	sh -c "promtool check metrics <ctl.prom >promtool-ctl.log 2>&1"
[ -s promtool-ctl.log ] && sed 's/^/  promtool: /' promtool-ctl.log
lab_check "the client's received bytes are counted" \
	test "$(sample ctl.prom 'exitgate_peer_rx_bytes_total{peer="client"}')" -gt 100000
lab_check "a peer name with a quote is escaped" \
	grep -qF 'exitgate_peer_path{peer="quote\"d",kind="none",region=""} 1' ctl.prom
lab_expect_eq "peers by path kind (direct, relay, none)" "1 1 1" \
	"$(sample ctl.prom 'exitgate_peers{kind="direct"}') $(sample ctl.prom 'exitgate_peers{kind="relay"}') $(sample ctl.prom 'exitgate_peers{kind="none"}')"
lab_check "the relayed peer's path names its region" \
	grep -qF 'exitgate_peer_path{peer="relayed",kind="relay",region="900"} 1' ctl.prom
lab_expect_eq "region 900 relays one peer" 1 \
	"$(sample ctl.prom 'exitgate_relay_region_peers{region="900",code="lab"}')"
lab_check "NAT sessions were created" \
	test "$(sample ctl.prom 'exitgate_nat_sessions_created_total{worker="0"}')" -ge 3
lab_check "the egress port counted the exit traffic" \
	test "$(sample ctl.prom 'exitgate_port_tx_bytes_total{port="egress"}')" -gt 100000
lab_check "handshakes are counted" \
	test "$(sample ctl.prom 'exitgate_handshake_initiations_received_total')" -ge 1
lab_check "the control loop's lag histogram has observations" \
	test "$(sample ctl.prom 'exitgate_control_loop_lag_seconds_count')" -gt 10

mgmt=http://10.99.0.1:9586
lab_check "the listener serves GET /metrics to the monitoring namespace" \
	sh -c "ip netns exec ops-m curl -sf -o http.prom -D http.head $mgmt/metrics"
lab_check "with the exposition's content type" \
	grep -qi '^Content-Type: text/plain; version=0.0.4' http.head
lab_check "promtool check metrics passes on the listener's reply" \
	sh -c "promtool check metrics <http.prom >promtool-http.log 2>&1"
lab_check "the listener is not on the public port" \
	sh -c "! ip netns exec ops-c curl -s -m 2 http://10.0.1.10:9586/metrics"
lab_expect_eq "another path is 404" 404 \
	"$(ip netns exec ops-m curl -s -o /dev/null -w '%{http_code}' $mgmt/)"
lab_expect_eq "another method is 405" 405 \
	"$(ip netns exec ops-m curl -s -o /dev/null -w '%{http_code}' -X POST $mgmt/metrics)"

# ---- the dashboard's queries name real metrics ----
lab_check "every dashboard query names a metric exitgated exposes" \
	sh -c "python3 '$here/dashboard.py' names '$dashboard' http.prom >dash-names.log"
grep FAIL dash-names.log

# ---- a real Prometheus scrapes the listener (running since the start) ----
prom=http://127.0.0.1:9090
promql() { # promql 'expr': the first result's value, or nothing
	ip netns exec ops-m curl -sf --get "$prom/api/v1/query" --data-urlencode "query=$1" |
		python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else "")'
}
lab_check "Prometheus has the node's target up" \
	lab_wait_for 30 sh -c "[ \"\$(ip netns exec ops-m curl -sf --get $prom/api/v1/query --data-urlencode 'query=up{job=\"exitgate\"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"data\"][\"result\"][0][\"value\"][1])')\" = 1 ]"
# traffic while Prometheus watches, so rates have something to show
iperf iperf-watch.log -t 6 -b 50M &
iperf_pid=$!
ip netns exec ops-c ping -c 10 -i 0.5 10.0.2.1 >/dev/null 2>&1 &
wait $iperf_pid
rx=$(promql 'exitgate_peer_rx_bytes_total{peer="client"}')
lab_check "Prometheus query: the client's received bytes ($rx) > 0" \
	python3 -c "import sys; sys.exit(0 if float('${rx:-0}') > 0 else 1)"
lab_check "every dashboard query returns data on Prometheus" \
	sh -c "ip netns exec ops-m python3 '$here/dashboard.py' query '$dashboard' $prom >dash-query.log 2>&1"
grep -v '^ok' dash-query.log

# ---- hostile clients of the listener: each loses only its own connection ----
for case in slowloris garbage oversized flood; do
	lab_check "hostile client: $case" \
		sh -c "ip netns exec ops-m python3 '$here/metrics_hostile.py' 10.99.0.1 9586 $case >>hostile.log 2>&1"
done
sed 's/^/  /' hostile.log
served0=$(promql 'exitgate_metrics_requests_total{outcome="served"}')
sleep 3
served1=$(promql 'exitgate_metrics_requests_total{outcome="served"}')
lab_check "Prometheus kept scraping through it ($served0 -> $served1 scrapes served)" \
	python3 -c "import sys; sys.exit(0 if float('${served1:-0}') > float('${served0:-0}') else 1)"
ctl metrics >after.prom
for outcome in request_timeout bad_request too_large evicted; do
	lab_check "the listener counted its $outcome" \
		test "$(sample after.prom "exitgate_metrics_requests_total{outcome=\"$outcome\"}")" -ge 1
done

# ---- DPDK telemetry: the ports' ethdev stats, root only ----
telemetry() { echo "$1" | dpdk-telemetry.py -f exitgate-opsn0 2>/dev/null | tail -1; }
lab_expect_eq "EAL's runtime directory is root's only" "700 root" \
	"$(stat -c '%a %U' /var/run/dpdk/exitgate-opsn0)"
lab_expect_eq "so is the telemetry socket" "600 root" \
	"$(stat -c '%a %U' /var/run/dpdk/exitgate-opsn0/dpdk_telemetry.v2)"
telemetry /ethdev/stats,0 >telemetry.json
tele_rx=$(python3 -c 'import json; print(json.load(open("telemetry.json"))["/ethdev/stats"]["ipackets"])' 2>/dev/null)
ctl_rx=$(ctl stats --json | python3 -c 'import json,sys; print([p for p in json.load(sys.stdin)["ports"] if p["role"] == "public"][0]["rx_packets"])')
lab_check "dpdk-telemetry.py reads /ethdev/stats,0: public port rx ${tele_rx:-?} packets (stats said $ctl_rx just after)" \
	test "${tele_rx:-0}" -gt 1000 -a "${tele_rx:-0}" -le "$ctl_rx"

# ---- the dashboard's panels, rendered (no Grafana is packaged for Debian, and npm's are
# libraries: the panels are drawn from Prometheus's answers, screenshot by headless chromium) ----
shot=$LAB_TMP/dashboard.png
height=$(ip netns exec ops-m python3 "$here/dashboard.py" render "$dashboard" "$prom" \
	"$LAB_TMP/dashboard.html" $((SECONDS - watch_start)))
ip netns exec ops-m timeout 90 chromium --headless --no-sandbox --disable-gpu --disable-quic \
	--no-first-run --disable-background-networking --disable-component-update --disable-sync \
	--user-data-dir="$LAB_TMP/chromium" --hide-scrollbars --window-size="1216,${height:-900}" \
	--screenshot="$shot" "file://$LAB_TMP/dashboard.html" >chromium.log 2>&1
lab_check "headless chromium rendered the dashboard's panels ($(stat -c %s "$shot" 2>/dev/null) bytes)" \
	test -s "$shot" -a "$(stat -c %s "$shot" 2>/dev/null || echo 0)" -lt 1048576
if [ -n "${EXITGATE_LAB_SCREENSHOT:-}" ] && [ -s "$shot" ]; then
	cp "$shot" "$EXITGATE_LAB_SCREENSHOT"
fi

# ---- control.metrics_peers: false leaves the per-peer series out ----
kill -TERM "$node_pid"
lab_wait_for 20 sh -c "! kill -0 $node_pid"
write_config false
lab_check "exitgated restarts with metrics_peers: false" start_node
ctl metrics >nopeers.prom
lab_expect_eq "no per-peer series" 0 "$(grep -c '^exitgate_peer_' nopeers.prom)"
lab_expect_eq "the per-kind peer counts stay" 3 \
	"$(awk '/^exitgate_peers\{/ {n += $2} END {print n}' nopeers.prom)"
lab_check "promtool check metrics passes without them" \
	sh -c "promtool check metrics <nopeers.prom"
echo "series: $(grep -vc '^#' ctl.prom) with 3 peers, $(grep -vc '^#' nopeers.prom) without per-peer series"

kill -TERM "$node_pid"
lab_check "exitgated stops on SIGTERM" lab_wait_for 20 sh -c "! kill -0 $node_pid"
lab_check "no sanitizer report in exitgated's log" lab_no_sanitizer_report node.log
# EAL leaves its runtime directory (the telemetry socket's) behind; the node is gone
rm -rf /var/run/dpdk/exitgate-opsn0
[ "$LAB_FAILED" -eq 0 ] || tail -30 node.log
lab_finish
