#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# lab_iperf: iperf3 TCP through exitgated versus through wireguard-go, in the same namespace
# topology and the same run; prints both, the ratio, and which CPUs each process had. A
# benchmark: it fails only when the tunnel does not work, never on a figure.
#
# Two topologies (-m): "gateway" (the default), what an exit node or site gateway does: the node
# forwards between the tunnel and a LAN where the iperf3 server is; "terminate": the iperf3
# server runs on the node itself, at the tunnel's inner address.
#
#   ns egb-c-<pid> (client)        ns egb-n-<pid> (the node)           ns egb-s-<pid> (gateway)
#  +------------------------+     +------------------------------+    +-------------------+
#  | wireguard-go egbc<pid> |     | run 1: wireguard-go egbs<pid>|    | iperf3 -s on      |
#  |  10.77.0.2/24          |     |  10.77.0.1/24, UDP 41641;    |    |  10.88.0.2/24     |
#  |  route 10.88.0.0/24    |     |  kernel forwarding to vlan   |    |  route 10.77.0.0/24|
#  | iperf3 -c 10.88.0.2    |     | run 2: exitgated: public port|    |  via 10.88.0.1    |
#  |  (terminate: 10.77.0.1)|     |  af_packet on vpub; inner    |    |                   |
#  |                        |     |  port af_packet on vlan      |    |                   |
#  |                        |     |  (terminate: net_tun egb0in, |    |                   |
#  |                        |     |  iperf3 -s on 10.77.0.1)     |    |                   |
#  | egbvc 10.0.1.2 ========veth======= vpub 10.0.1.10   vlan 10.88.0.1 ====veth==== egbvs |
#  +------------------------+     +------------------------------+    +-------------------+
# Every veth end runs with `ethtool -K tx off tso off gso off gro off` in both runs (DPDK owns
# vpub and vlan in run 2, lab.md), so the links are the same for both. The client side is
# wireguard-go in both runs; only the node changes (1 worker, adaptive idle). Each run: iperf3
# TCP for SECONDS client -> server, then SECONDS server -> client (-R). The two nodes take turns
# REPEATS times, so that the load of whatever else runs on the machine falls on both alike; a
# figure is the median of iperf3's receiver throughputs, and every repetition is printed too.
#
#   tools/benchmarks/lab_iperf.sh [-t SECONDS] [-r REPEATS] [-m gateway|terminate] [BUILD_DIR]
#   (root; SECONDS default 10, REPEATS default 3, BUILD_DIR default build)
#
# Exit status: 0 figures printed, 77 skipped (not root or a tool missing), 1 the lab failed.
set -u
umask 077

top=$(cd "$(dirname "$0")/../.." && pwd)
seconds=10
repeats=3
mode=gateway
while getopts "t:r:m:h" opt; do
	case $opt in
	t) seconds=$OPTARG ;;
	r) repeats=$OPTARG ;;
	m) mode=$OPTARG ;;
	h)
		sed -n '4,34p' "$0" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))
build=${1:-$top/build}
case $seconds in
'' | *[!0-9]* | [0-2])
	echo "lab_iperf: -t wants a whole number of seconds, 3 or more" >&2
	exit 2
	;;
esac
case $mode in
gateway) server_ip=10.88.0.2 ;;
terminate) server_ip=10.77.0.1 ;;
*)
	echo "lab_iperf: -m wants gateway or terminate" >&2
	exit 2
	;;
esac
case $repeats in
'' | *[!0-9]* | 0)
	echo "lab_iperf: -r wants a whole number of repetitions" >&2
	exit 2
	;;
esac

if [ "$(id -u)" -ne 0 ]; then
	echo "lab_iperf: skipped: needs root (network namespaces, DPDK on a veth)"
	exit 77
fi
for tool in ip wg wireguard-go iperf3 ethtool jq ping; do
	if ! command -v "$tool" >/dev/null; then
		echo "lab_iperf: skipped: $tool is not installed (tools/bootstrap)"
		exit 77
	fi
done
exitgated=$build/control/exitgated
if [ ! -x "$exitgated" ]; then
	echo "lab_iperf: $exitgated is not built" >&2
	exit 1
fi

nsc=egb-c-$$
nsn=egb-n-$$
nss=egb-s-$$
wgc=egbc$$
wgs=egbs$$
tmp=$(mktemp -d)
declare -A pids=()

stop() { # stop NAME: end a process this script started, by its pid
	local pid=${pids[$1]:-}

	[ -n "$pid" ] || return 0
	kill "$pid" 2>/dev/null
	for _ in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	unset "pids[$1]"
}

cleanup() {
	local name

	for name in "${!pids[@]}"; do
		stop "$name"
	done
	ip netns del "$nsc" 2>/dev/null
	ip netns del "$nsn" 2>/dev/null
	ip netns del "$nss" 2>/dev/null
	rm -f "/var/run/wireguard/$wgc.sock" "/var/run/wireguard/$wgs.sock"
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# Background jobs run `ip netns exec` directly, not through these functions, so that $! is the
# pid of the program itself (ip execs it) and its CPU time can be read.
C() { ip netns exec "$nsc" "$@"; }
N() { ip netns exec "$nsn" "$@"; }
# the namespace the iperf3 server runs in
server_ns=$nsn
[ "$mode" = gateway ] && server_ns=$nss

fail() {
	echo "lab_iperf: $*" >&2
	exit 1
}

wait_for() { # wait_for TENTHS COMMAND...: until the command succeeds
	local tries=$1

	shift
	for _ in $(seq "$tries"); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

wireguard_go() { # wireguard_go NS IFNAME: start it in the foreground of a background job
	local ns=$1 ifname=$2

	ip netns exec "$ns" env WG_PROCESS_FOREGROUND=1 wireguard-go "$ifname" \
		>"$tmp/$ifname.log" 2>&1 &
	pids[$ifname]=$!
	wait_for 50 test -S "/var/run/wireguard/$ifname.sock" ||
		fail "wireguard-go $ifname did not start: $(tail -3 "$tmp/$ifname.log")"
}

# ---- topology and the client, shared by both runs ----
set -e
# veth_pair NS_A IF_A NS_B IF_B: a link between two namespaces (B already made), both ends up
# with offloads off
veth_pair() {
	ip netns add "$1"
	ip -n "$1" link set lo up
	ip -n "$1" link add "$2" type veth peer name "$4" netns "$3"
	ip netns exec "$1" ethtool -K "$2" tx off tso off gso off gro off >/dev/null
	ip netns exec "$3" ethtool -K "$4" tx off tso off gso off gro off >/dev/null
	ip -n "$1" link set "$2" up
	ip -n "$3" link set "$4" up
}
ip netns add "$nsn"
ip -n "$nsn" link set lo up
veth_pair "$nsc" egbvc "$nsn" vpub
ip -n "$nsc" addr add 10.0.1.2/24 dev egbvc
if [ "$mode" = gateway ]; then
	veth_pair "$nss" egbvs "$nsn" vlan
	ip -n "$nss" addr add 10.88.0.2/24 dev egbvs
	ip -n "$nss" route add 10.77.0.0/24 via 10.88.0.1
fi

for who in client server; do
	wg genkey >"$tmp/$who.key"
	wg pubkey <"$tmp/$who.key" >"$tmp/$who.pub"
done
client_pub=$(cat "$tmp/client.pub")
server_pub=$(cat "$tmp/server.pub")

wireguard_go "$nsc" "$wgc"
C wg set "$wgc" private-key "$tmp/client.key" listen-port 51820
ip -n "$nsc" addr add 10.77.0.2/24 dev "$wgc"
ip -n "$nsc" link set "$wgc" up
[ "$mode" = gateway ] && ip -n "$nsc" route add 10.88.0.0/24 dev "$wgc"
set +e

# The client forgets any session with the server, then knows it afresh.
client_peer_fresh() {
	C wg set "$wgc" peer "$server_pub" remove
	C wg set "$wgc" peer "$server_pub" allowed-ips 10.77.0.0/24,10.88.0.0/24 \
		endpoint 10.0.1.10:41641
}

# ---- CPU accounting: which CPUs a process's threads may use, and how much they used ----
ticks=$(getconf CLK_TCK)

# thread_cpu PID: "tid allowed-cpus ticks comm" per thread (builtins only: it runs while the
# measurement does, and a fork per thread would take a noticeable part of a second)
thread_cpu() {
	local pid=$1 task stat key value allowed comm fields

	for task in /proc/"$pid"/task/*; do
		read -r stat 2>/dev/null <"$task/stat" || continue
		read -r comm 2>/dev/null <"$task/comm" || continue
		allowed=
		while read -r key value; do
			[ "$key" = Cpus_allowed_list: ] && allowed=$value
		done 2>/dev/null <"$task/status"
		[ -n "$allowed" ] || continue # the thread ended meanwhile
		read -ra fields <<<"${stat##*) }" # fields after "(comm) ": state is [0]
		printf '%s %s %s %s\n' "${task##*/}" "$allowed" $((fields[11] + fields[12])) \
			"${comm// /_}"
	done
}

# cpu_snapshot FILE NAME=PID...: thread times of the named processes (NAME without spaces)
cpu_snapshot() {
	local file=$1 item

	shift
	: >"$file"
	for item in "$@"; do
		thread_cpu "${item#*=}" | sed "s/^/${item%%=*} /" >>"$file"
	done
}

# cpu_report BEFORE AFTER SECONDS: per process, its CPUs and the share of one CPU it used (a
# process missing from AFTER had ended);
# threads pinned to a single CPU (DPDK lcores) are listed on their own.
cpu_report() {
	awk -v ticks="$ticks" -v secs="$3" '
		NR == FNR { before[$1 " " $2] = $4; next }
		{
			key = $1 " " $2
			used = ($4 - before[key]) / ticks / secs * 100
			total[$1] += used
			if (!($1 in cpus)) { cpus[$1] = $3; order[++n] = $1 }
			else if (index("," cpus[$1] ",", "," $3 ",") == 0) cpus[$1] = cpus[$1] "," $3
			if ($3 ~ /^[0-9]+$/ && used >= 1)
				pinned[$1] = pinned[$1] sprintf(" %s on CPU %s %.0f%%", $5, $3, used)
		}
		END {
			for (i = 1; i <= n; i++) {
				p = order[i]
				printf "    %-22s CPUs %-8s %4.0f%% of one CPU%s\n", p, cpus[p], total[p],
					(p in pinned) ? " (" substr(pinned[p], 2) ")" : ""
			}
		}' "$1" "$2"
}

# udp_rcvbuf_errors NS: datagrams the namespace's kernel dropped for a full socket receive buffer
udp_rcvbuf_errors() {
	# shellcheck disable=SC2016 # awk's own fields
	ip netns exec "$1" awk '$1 == "Udp:" && $2 ~ /^[0-9]+$/ { print $6 }' /proc/net/snmp
}

# ---- one measurement: iperf3 both ways, CPU use of the given processes ----
# measure RUN NAME=PID...: appends "bit/s retransmits" to $tmp/RUN.fwd and RUN.rev, writes RUN.cpu
measure() {
	local run=$1 dir out t0 t1 drops0 flag=()

	shift
	: >"$tmp/$run.cpu"
	for dir in fwd rev; do
		[ "$dir" = rev ] && flag=(-R)
		ip netns exec "$server_ns" iperf3 -s -1 -B "$server_ip" -p 5201 \
			>"$tmp/iperf3-server.log" 2>&1 &
		pids[iperf3s]=$!
		wait_for 50 ip netns exec "$server_ns" sh -c "ss -ltn | grep -q '$server_ip:5201'" ||
			fail "iperf3 server did not start"
		ip netns exec "$nsc" iperf3 -c "$server_ip" -p 5201 -t "$seconds" "${flag[@]}" -J \
			>"$tmp/$run.$dir.json" &
		pids[iperf3c]=$!
		drops0=$(udp_rcvbuf_errors "$nsc")
		# CPU time over the middle of the run, away from its start and end
		sleep 1
		t0=$(date +%s.%N)
		cpu_snapshot "$tmp/cpu.before" "$@" "iperf3-client=${pids[iperf3c]}" \
			"iperf3-server=${pids[iperf3s]}"
		sleep $((seconds - 2))
		cpu_snapshot "$tmp/cpu.after" "$@" "iperf3-client=${pids[iperf3c]}" \
			"iperf3-server=${pids[iperf3s]}"
		t1=$(date +%s.%N)
		wait "${pids[iperf3c]}"
		unset "pids[iperf3c]"
		echo "$(($(udp_rcvbuf_errors "$nsc") - drops0))" >>"$tmp/$run.$dir.drops"
		stop iperf3s
		out=$(jq -r '.end.sum_received.bits_per_second // empty' "$tmp/$run.$dir.json")
		[ -n "$out" ] || fail "$run: iperf3 gave no result: $(jq -r '.error // empty' \
			"$tmp/$run.$dir.json")"
		echo "$out $(jq -r '.end.sum_sent.retransmits // 0' "$tmp/$run.$dir.json")" \
			>>"$tmp/$run.$dir"
		{
			echo "  $([ "$dir" = fwd ] && echo "client -> server" || echo "server -> client"):"
			cpu_report "$tmp/cpu.before" "$tmp/cpu.after" "$(awk -v a="$t0" -v b="$t1" \
				'BEGIN { print b - a }')"
		} >>"$tmp/$run.cpu"
	done
}

tunnel_up() { wait_for 100 C ping -c 1 -W 1 "$server_ip"; }

# ---- run 1: wireguard-go on the server ----
server_wireguard_go() {
	ip -n "$nsn" addr add 10.0.1.10/24 dev vpub
	wireguard_go "$nsn" "$wgs"
	N wg set "$wgs" private-key "$tmp/server.key" listen-port 41641 \
		peer "$client_pub" allowed-ips 10.77.0.2/32 endpoint 10.0.1.2:51820
	ip -n "$nsn" addr add 10.77.0.1/24 dev "$wgs"
	ip -n "$nsn" link set "$wgs" up
	if [ "$mode" = gateway ]; then
		ip -n "$nsn" addr add 10.88.0.1/24 dev vlan
		N sysctl -qw net.ipv4.ip_forward=1
	fi
	client_peer_fresh
	tunnel_up || fail "wireguard-go <-> wireguard-go: no ping through the tunnel"
	measure wggo "wg-go-client=${pids[$wgc]}" "wg-go-server=${pids[$wgs]}"
	stop "$wgs"
	ip -n "$nsn" addr flush dev vpub
	[ "$mode" = gateway ] && ip -n "$nsn" addr flush dev vlan
}

# ---- run 2: exitgated on the server ----
if [ "$mode" = gateway ]; then
	inner='{device: "net_af_packet1,iface=vlan", addresses: [10.88.0.1/24]}'
else
	inner='{device: "net_tun0,iface=egb0in", addresses: [10.77.0.1/24]}'
fi
cat >"$tmp/exitgate.yaml" <<EOF
node: {private_key_file: $tmp/server.key, listen_port: 41641, interface: egb0}
dataplane: {workers: 1, idle: adaptive, eal: ["--no-huge", "-m", "256", "--no-shconf"]}
ports:
  public: {device: "net_af_packet0,iface=vpub", addresses: [10.0.1.10/24]}
  inner: $inner
peers:
  - {name: client, public_key: "$client_pub", allowed_ips: [10.77.0.2/32], endpoint: "10.0.1.2:51820"}
control: {socket: $tmp/ctl.sock, uapi_dir: $tmp}
EOF
exitgatectl=$build/tools/exitgatectl/exitgatectl

server_exitgated() {
	ip netns exec "$nsn" "$exitgated" --config "$tmp/exitgate.yaml" >"$tmp/exitgated.log" 2>&1 &
	pids[exitgated]=$!
	if [ "$mode" = terminate ]; then
		wait_for 200 N sh -c 'ip -4 addr show dev egb0in | grep -q 10.77.0.1' ||
			fail "exitgated did not bring up egb0in: $(tail -5 "$tmp/exitgated.log")"
	else
		wait_for 200 test -S "$tmp/ctl.sock" ||
			fail "exitgated did not start: $(tail -5 "$tmp/exitgated.log")"
	fi
	client_peer_fresh
	tunnel_up || fail "wireguard-go <-> exitgated: no ping through the tunnel: \
$(tail -5 "$tmp/exitgated.log")"
	measure exitgated "wg-go-client=${pids[$wgc]}" "exitgated=${pids[exitgated]}"
	if [ -x "$exitgatectl" ]; then
		EXITGATE_CONTROL_SOCKET=$tmp/ctl.sock "$exitgatectl" stats >"$tmp/exitgated.stats" 2>&1
	fi
	stop exitgated
}

# Interleaved, so that a change in the machine's load falls on both servers alike.
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for _ in $(seq "$repeats"); do
	server_wireguard_go
	server_exitgated
done

# ---- summary ----
# median FILE: the median of the first column
median() {
	sort -g "$1" | awk '{ v[NR] = $1 }
		END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
gbit() { awk -v b="$1" 'BEGIN { printf "%.2f", b / 1e9 }'; }
every() { awk '{ printf "%s%.2f", (NR > 1 ? " " : ""), $1 / 1e9 }' "$1"; }
retransmits() { awk '{ printf "%s%d", (NR > 1 ? " " : ""), $2 }' "$1"; }
direction() { [ "$1" = fwd ] && echo "client -> server" || echo "server -> client"; }
echo "iperf3 TCP through the tunnel, $seconds s each way, median of $repeats interleaved" \
	"repetitions;"
if [ "$mode" = gateway ]; then
	echo "topology: gateway; client: wireguard-go in $nsc; node in $nsn: wireguard-go (kernel" \
		"forwarding) or exitgated; iperf3 server behind the node in $nss; offloads off"
else
	echo "topology: terminate; client: wireguard-go in $nsc; server in $nsn: wireguard-go or" \
		"exitgated, iperf3 server on the node; one veth pair, offloads off on both ends"
fi
echo "cpu: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), $(nproc) CPUs;" \
	"load average before: $load_before, after: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-18s %-22s %-22s %s\n' "direction" "server wireguard-go" "server exitgated" "ratio"
for dir in fwd rev; do
	a=$(median "$tmp/exitgated.$dir")
	b=$(median "$tmp/wggo.$dir")
	printf '%-18s %-22s %-22s %s\n' "$(direction "$dir")" "$(gbit "$b") Gbit/s" \
		"$(gbit "$a") Gbit/s" "$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", a / b }')"
done
echo "every repetition, Gbit/s (TCP retransmits):"
for dir in fwd rev; do
	echo "  $(direction "$dir"): wireguard-go $(every "$tmp/wggo.$dir")" \
		"($(retransmits "$tmp/wggo.$dir")); exitgated $(every "$tmp/exitgated.$dir")" \
		"($(retransmits "$tmp/exitgated.$dir"))"
done
echo "the client's UDP socket: datagrams dropped for a full receive buffer, per repetition:"
for dir in fwd rev; do
	echo "  $(direction "$dir"): wireguard-go $(paste -sd' ' "$tmp/wggo.$dir.drops");" \
		"exitgated $(paste -sd' ' "$tmp/exitgated.$dir.drops")"
done
echo "CPUs, last repetition, server wireguard-go:"
cat "$tmp/wggo.cpu"
echo "CPUs, last repetition, server exitgated (its main lcore runs the control plane):"
cat "$tmp/exitgated.cpu"
if [ -s "$tmp/exitgated.stats" ]; then
	echo "exitgated, last repetition (exitgatectl stats: ports and drops):"
	grep -E '^port |^  drop ' "$tmp/exitgated.stats" | sed 's/^ */    /'
fi
