#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Port mapping lab: exitgate's port mapper (control/path/portmap.h, run by portmap-probe on a real
# control loop) against a real miniupnpd on an nftables NAT gateway, for NAT-PMP, PCP and UPnP
# IGD each alone and together; against the gateway restarting, going silent, running nothing,
# and against a hostile gateway (garbage on 5351, a bad SSDP answer and IGD description).
#
#  pm-inet                      pm-gw                                     pm-host
#  +--------------+ 2.0.0.0/24 +-------------------------------+ 10.0.0.0/24 +---------------------+
#  | inet0        |------------| wan0 2.0.0.1    lan0 10.0.0.1 |-------------| lan0 10.0.0.2       |
#  | 2.0.0.100    |            | nft: masquerade out of wan0,  |             | portmap-probe       |
#  | socat sender |            | miniupnpd's chains (dnat in)  |             | socat on UDP 41641  |
#  +--------------+            | miniupnpd: NAT-PMP/PCP 5351,  |             | natpmpc, upnpc      |
#                              | UPnP SSDP 1900 + HTTP 2189    |             +---------------------+
#                              +-------------------------------+
# The "internet" has no route to 10.0.0.0/24: a datagram reaches the inner host only through a
# mapping miniupnpd put into the gateway's nftables. Addresses on the WAN side are public-looking
# (2.0.0.0/8: miniupnpd refuses private or documentation ones) and exist only in these namespaces.
set -uo pipefail
cd "$(dirname "$0")" || exit 1
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. ../lib.sh

lab_require_root miniupnpd natpmpc upnpc socat nft python3 ip
PROBE=${EXITGATE_BUILD:?EXITGATE_BUILD names the build tree}/tests/lab/path/portmap-probe
[ -x "$PROBE" ] || { echo "FAIL: $PROBE not built"; exit 1; }
trap lab_cleanup EXIT

GW_LAN=10.0.0.1
HOST=10.0.0.2
GW_WAN=2.0.0.1
INET=2.0.0.100
PORT=41641
LIFETIME=20 # short, so that renewal at half-life happens within the lab

lab_netns pm-inet
lab_netns pm-gw
lab_netns pm-host
lab_veth pm-gw wan0 pm-inet inet0
lab_veth pm-gw lan0 pm-host lan0
ip -n pm-gw addr add $GW_WAN/24 dev wan0
ip -n pm-gw addr add $GW_LAN/24 dev lan0
ip -n pm-inet addr add $INET/24 dev inet0
ip -n pm-host addr add $HOST/24 dev lan0
ip -n pm-host route add default via $GW_LAN
ip netns exec pm-gw sysctl -qw net.ipv4.ip_forward=1

# The chains miniupnpd fills (its nft_init.sh layout), plus the NAT itself.
ip netns exec pm-gw nft -f - <<'NFT'
table inet filter {
	chain forward {
		type filter hook forward priority 0; policy drop;
		ct state established,related accept
		iifname "lan0" oifname "wan0" accept
		jump miniupnpd
	}
	chain miniupnpd {
	}
	chain prerouting {
		type nat hook prerouting priority -100; policy accept;
		jump prerouting_miniupnpd
	}
	chain postrouting {
		type nat hook postrouting priority 100; policy accept;
		jump postrouting_miniupnpd
		oifname "wan0" masquerade
	}
	chain prerouting_miniupnpd {
	}
	chain postrouting_miniupnpd {
	}
}
NFT

MINIUPNPD_PID=
# start_miniupnpd natpmp(yes|no) upnp(yes|no): enable_natpmp serves NAT-PMP and PCP together
# (miniupnpd 2.3.1 has no switch for one without the other).
start_miniupnpd() {
	local conf=$LAB_TMP/miniupnpd.conf log=$LAB_TMP/miniupnpd.log
	cat >"$conf" <<CONF
ext_ifname=wan0
listening_ip=lan0
http_port=2189
enable_natpmp=$1
enable_upnp=$2
secure_mode=yes
system_uptime=no
min_lifetime=10
max_lifetime=86400
uuid=5e2b6a52-4b43-4c7e-9f3a-7a1de2c0ffee
friendly_name=exitgate-lab
allow 1024-65535 10.0.0.0/24 1024-65535
deny 0-65535 0.0.0.0/0 0-65535
CONF
	echo "--- miniupnpd natpmp=$1 upnp=$2" >>"$log"
	ip netns exec pm-gw miniupnpd -f "$conf" -d >>"$log" 2>&1 &
	MINIUPNPD_PID=$!
	LAB_PIDS+=("$MINIUPNPD_PID")
	if [ "$1" = yes ]; then
		lab_wait_for 5 sh -c "ip netns exec pm-gw ss -Hlun sport = :5351 | grep -q 5351"
	fi
	if [ "$2" = yes ]; then
		lab_wait_for 5 sh -c "ip netns exec pm-gw ss -Hltn sport = :2189 | grep -q 2189"
	fi
	sleep 0.3
}

stop_miniupnpd() { # stop_miniupnpd [signal]: TERM lets it remove its rules, KILL does not
	[ -n "$MINIUPNPD_PID" ] || return 0
	kill -"${1:-TERM}" "$MINIUPNPD_PID" 2>/dev/null
	for _ in $(seq 50); do kill -0 "$MINIUPNPD_PID" 2>/dev/null || break; sleep 0.1; done
	MINIUPNPD_PID=
}

flush_miniupnpd_chains() {
	local chain
	for chain in miniupnpd prerouting_miniupnpd postrouting_miniupnpd; do
		ip netns exec pm-gw nft flush chain inet filter $chain
	done
}
nft_rules() { ip netns exec pm-gw nft list chain inet filter prerouting_miniupnpd; }
# a dnat rule of miniupnpd for this external port to the inner host's port
# (miniupnpd 2.3.1 writes: iif "wan0" @nh,72,8 0x11 th dport 41641 dnat ip to 10.0.0.2:41641)
nft_has_mapping() { nft_rules | grep -E "0x11 th dport $1 dnat ip to $HOST:$PORT\$" >/dev/null; }

PROBE_PID=
PROBE_OUT=
# start_probe name protocols [extra args]: portmap-probe in the inner host
start_probe() {
	local name=$1 protocols=$2
	shift 2
	PROBE_OUT=$LAB_TMP/probe-$name.out.log
	ip netns exec pm-host "$PROBE" --local $HOST --gateway $GW_LAN --port $PORT \
		--protocols "$protocols" --lifetime $LIFETIME "$@" \
		>"$PROBE_OUT" 2>"$LAB_TMP/probe-$name.log" &
	PROBE_PID=$!
	LAB_PIDS+=("$PROBE_PID")
}
stop_probe() {
	kill -TERM "$PROBE_PID" 2>/dev/null
	for _ in $(seq 100); do kill -0 "$PROBE_PID" 2>/dev/null || break; sleep 0.1; done
	wait "$PROBE_PID" 2>/dev/null
}
probe_saw() { grep -qE "$1" "$PROBE_OUT"; }
probe_wait() { lab_wait_for "$1" grep -qE "$2" "$PROBE_OUT"; }
mapped_external() { grep -oE '^mapped protocol=[a-z]+ external=[0-9.:]+' "$PROBE_OUT" | tail -1 | sed 's/.*external=//'; }
dropped() { grep -oE "^dropped .*" "$PROBE_OUT" | grep -oE " $1=[0-9]+" | cut -d= -f2; }

not_mapped() { ! nft_has_mapping "$1"; }

RECEIVED=$LAB_TMP/received
LISTENER_PID=
# In the lab the internal port is a real kernel socket on the inner host (in exitgated the data
# plane owns it).
start_listener() {
	: >"$RECEIVED"
	lab_bg pm-host "$LAB_TMP/socat.log" socat -u UDP4-RECV:$PORT,bind=$HOST OPEN:"$RECEIVED",creat,append
	LISTENER_PID=${LAB_PIDS[-1]}
	lab_wait_for 5 sh -c "ip netns exec pm-host ss -Hlun sport = :$PORT | grep -q $PORT"
}
stop_listener() { kill "$LISTENER_PID" 2>/dev/null; wait "$LISTENER_PID" 2>/dev/null; }
send_from_internet() { # send_from_internet port text
	echo "$2" | ip netns exec pm-inet socat -u - UDP4-SENDTO:$GW_WAN:"$1"
}

lab_log "--- independent clients: natpmpc and upnpc against miniupnpd"
start_miniupnpd yes yes
out=$(ip netns exec pm-host natpmpc -g $GW_LAN -a 42001 42001 udp 30 2>&1)
lab_check "natpmpc maps 42001" grep -q "Mapped public port 42001 protocol UDP to local port 42001" <<<"$out"
lab_check "natpmpc mapping is in nftables" sh -c "ip netns exec pm-gw nft list chain inet filter prerouting_miniupnpd | grep -q 'dport 42001 dnat ip to $HOST:42001'"
ip netns exec pm-host natpmpc -g $GW_LAN -a 42001 0 udp 0 >/dev/null 2>&1
out=$(ip netns exec pm-host upnpc -m $HOST -e exitgate-lab -a $HOST 42002 42002 UDP 30 2>&1)
lab_check "upnpc maps 42002" grep -qi "external $GW_WAN:42002 UDP is redirected to internal $HOST:42002" <<<"$out"
lab_check "upnpc mapping is in nftables" sh -c "ip netns exec pm-gw nft list chain inet filter prerouting_miniupnpd | grep -q 'dport 42002 dnat ip to $HOST:42002'"
ip netns exec pm-host upnpc -m $HOST -d 42002 UDP >/dev/null 2>&1
lab_check "upnpc deletion leaves no rule" sh -c "! ip netns exec pm-gw nft list chain inet filter prerouting_miniupnpd | grep -q 'dport 42002'"
stop_miniupnpd

# map_alone protocol enable_natpmp enable_upnp: the whole life of one mapping
map_alone() {
	local proto=$1 ext port lifetime
	lab_log "--- $proto alone (miniupnpd enable_natpmp=$2 enable_upnp=$3)"
	start_miniupnpd "$2" "$3"
	start_listener
	start_probe "$proto" "$proto"
	lab_check "$proto: mapping granted" probe_wait 15 "^mapped protocol=$proto "
	ext=$(mapped_external)
	port=${ext##*:}
	lab_expect_eq "$proto: external address is the gateway's WAN address" "$GW_WAN" "${ext%:*}"
	lifetime=$(grep -oE "^mapped protocol=$proto .* lifetime=[0-9]+" "$PROBE_OUT" | head -1 | sed 's/.*lifetime=//')
	lab_check "$proto: granted lifetime $lifetime s is the one asked ($LIFETIME s, a UPnP IGD may report 1 s less)" \
		test "${lifetime:-0}" -ge $((LIFETIME - 1)) -a "${lifetime:-0}" -le $LIFETIME
	lab_check "$proto: miniupnpd's nft rule forwards $port to $HOST:$PORT" nft_has_mapping "$port"
	send_from_internet "$port" "hello-$proto"
	lab_check "$proto: a datagram from the internet to $GW_WAN:$port reaches $HOST:$PORT" \
		lab_wait_for 5 grep -q "hello-$proto" "$RECEIVED"
	lab_check "$proto: renewed at half-life, same external endpoint" \
		probe_wait $((LIFETIME + 5)) "^renewed protocol=$proto external=$GW_WAN:$port renewals=1"
	lab_check "$proto: rule still in place after renewal" nft_has_mapping "$port"
	lab_check "$proto: no change reported but the first" test "$(grep -cE '^(mapped|unmapped)' "$PROBE_OUT")" = 1
	stop_probe
	lab_check "$proto: destroy finished" probe_saw "^destroyed ms="
	lab_check "$proto: destroy deleted the rule" not_mapped "$port"
	lab_check "$proto: no sanitizer report" lab_no_sanitizer_report "$LAB_TMP/probe-$proto.log"
	stop_listener
	stop_miniupnpd
}

map_alone natpmp yes no
map_alone pcp yes no
map_alone upnp no yes

lab_log "--- all three configured, PCP first: PCP is used, every protocol reported answering"
start_miniupnpd yes yes
start_probe order pcp,natpmp,upnp --reprobe 4
lab_check "order: the first configured protocol maps" probe_wait 15 "^mapped protocol=pcp "
for proto in natpmp pcp upnp; do
	lab_check "order: $proto reported answering" probe_wait 10 "^probe $proto answered=1 code=0"
done
# portmap_probe (what netcheck calls) probes every protocol again and leaves the mapping be
for proto in natpmp pcp upnp; do
	lab_check "order: re-probe answered by $proto" lab_wait_for 10 \
		sh -c "test \$(grep -c '^probe $proto answered=1' '$PROBE_OUT') -ge 2"
done
lab_check "order: the mapping stayed through the re-probe" test "$(grep -cE '^(mapped|unmapped)' "$PROBE_OUT")" = 1
stop_probe
lab_check "order: destroy deleted the rule" not_mapped "${PORT}"
stop_miniupnpd

# gateway_restart protocol enable_natpmp enable_upnp: miniupnpd restarts (and forgets, its rules
# gone); the check between renewals notices (epoch back, or the UPnP entry missing) and maps again
gateway_restart() {
	local proto=$1 port
	lab_log "--- $proto: the gateway restarts and forgets the mapping"
	start_miniupnpd "$2" "$3"
	# let the gateway's epoch grow well past what a restart resets it to
	[ "$proto" = upnp ] || sleep 8
	start_probe "restart-$proto" "$proto"
	lab_check "restart $proto: mapped" probe_wait 15 "^mapped protocol=$proto "
	port=$(mapped_external); port=${port##*:}
	stop_miniupnpd TERM
	flush_miniupnpd_chains # what a gateway that reboots loses
	start_miniupnpd "$2" "$3"
	lab_check "restart $proto: the restarted gateway holds no mapping" not_mapped "$port"
	# the first check between renewals (a quarter of the lifetime) comes before the half-life
	# renewal would make it again anyway
	lab_check "restart $proto: mapping made again (rule back)" lab_wait_for $((LIFETIME / 4 + 3)) nft_has_mapping "$port"
	lab_check "restart $proto: same external endpoint, never reported gone" \
		test "$(grep -cE '^(mapped|unmapped)' "$PROBE_OUT")" = 1
	lab_check "restart $proto: the loss was seen ($4)" grep -qE "$4" "$LAB_TMP/probe-restart-$proto.log"
	stop_probe
	lab_check "restart $proto: destroy deleted the rule" not_mapped "$port"
	stop_miniupnpd
}
gateway_restart natpmp yes no "natpmp: gateway epoch went back"
gateway_restart pcp yes no "pcp: gateway epoch went back"
gateway_restart upnp no yes "upnp: entry $PORT: 714 .*: mapping again"

# wan_change protocol enable_natpmp enable_upnp: the gateway's WAN address changes (a new lease);
# the check between renewals sees the new address and the renewal's endpoint is advertised
wan_change() {
	local proto=$1 port
	lab_log "--- $proto: the gateway's WAN address changes"
	start_miniupnpd "$2" "$3"
	start_listener
	start_probe "wan-$proto" "$proto"
	lab_check "wan $proto: mapped on $GW_WAN" probe_wait 15 "^mapped protocol=$proto external=$GW_WAN:"
	port=$(mapped_external); port=${port##*:}
	# (deleting first: removing a primary address takes the secondaries of its subnet along)
	ip -n pm-gw addr del $GW_WAN/24 dev wan0
	ip -n pm-gw addr add 2.0.0.2/24 dev wan0
	lab_check "wan $proto: the new endpoint 2.0.0.2:$port reported" \
		probe_wait $((LIFETIME / 4 + 3)) "^mapped protocol=$proto external=2.0.0.2:$port "
	echo "moved-$proto" | ip netns exec pm-inet socat -u - UDP4-SENDTO:2.0.0.2:"$port"
	lab_check "wan $proto: a datagram to 2.0.0.2:$port reaches $HOST:$PORT" \
		lab_wait_for 5 grep -q "moved-$proto" "$RECEIVED"
	stop_probe
	lab_check "wan $proto: destroy deleted the rule" not_mapped "$port"
	ip -n pm-gw addr del 2.0.0.2/24 dev wan0
	ip -n pm-gw addr add $GW_WAN/24 dev wan0
	stop_listener
	stop_miniupnpd
}
wan_change natpmp yes no
wan_change upnp no yes

lab_log "--- natpmp: the gateway goes silent (killed, rules left), then comes back"
start_miniupnpd yes no
start_probe silent natpmp
lab_check "silent: mapped" probe_wait 30 "^mapped protocol=natpmp "
stop_miniupnpd KILL
lab_check "silent: reported unmapped once the gateway stops answering" probe_wait $((LIFETIME / 4 + 6)) "^unmapped"
lab_check "silent: evidence names the silence" probe_wait 5 'probe natpmp answered=0 code=0 error="(no answer from|port unreachable at) 10.0.0.1:5351'
flush_miniupnpd_chains
start_miniupnpd yes no
lab_check "silent: mapped again after back-off" lab_wait_for 15 sh -c "grep -cE '^mapped' '$PROBE_OUT' | grep -qx 2"
stop_probe
stop_miniupnpd

lab_log "--- the public address appears after the start (a TAP that comes up later)"
start_miniupnpd yes no
start_probe late natpmp,pcp --local 10.0.0.3
lab_check "late: the clients could not start yet" lab_wait_for 5 grep -q "could not start" "$LAB_TMP/probe-late.log"
ip -n pm-host addr add 10.0.0.3/24 dev lan0
lab_check "late: mapped once the address is there" probe_wait 15 "^mapped protocol=natpmp external=$GW_WAN:"
stop_probe
lab_check "late: destroy finished" probe_saw "^destroyed ms="
ip -n pm-host addr del 10.0.0.3/24 dev lan0
stop_miniupnpd

lab_log "--- no port mapping service on the gateway"
start_probe none natpmp,pcp,upnp --duration 8
begin=$SECONDS
lab_check "none: natpmp reported not answering" probe_wait 6 '^probe natpmp answered=0 .*error="(no answer from|port unreachable at) 10.0.0.1:5351'
lab_check "none: pcp reported not answering" probe_wait 6 '^probe pcp answered=0 .*error="(no answer from|port unreachable at) 10.0.0.1:5351'
lab_check "none: upnp reported not answering" probe_wait 6 '^probe upnp answered=0 .*error="no IGD answered SSDP in 2000 ms"'
lab_check "none: all three within 6 s (took $((SECONDS - begin)) s)" test $((SECONDS - begin)) -le 6
wait "$PROBE_PID" 2>/dev/null
lab_check "none: never mapped" sh -c "! grep -q '^mapped' '$PROBE_OUT'"
lab_check "none: destroy finished at once" probe_wait 2 "^destroyed ms=[0-9]{1,3}$"

lab_log "--- a hostile gateway: garbage on 5351, a foreign and a broken SSDP answer"
lab_bg pm-gw "$LAB_TMP/hostile.log" python3 ./portmap_hostile.py $GW_LAN 2190
HOSTILE_PID=${LAB_PIDS[-1]}
lab_wait_for 5 grep -q ready "$LAB_TMP/hostile.log"
start_probe hostile natpmp,pcp,upnp --duration 12
wait "$PROBE_PID" 2>/dev/null
lab_check "hostile: the probe ran to its end and destroyed" probe_saw "^destroyed ms="
lab_check "hostile: destroy bounded ($(grep -oE '^destroyed ms=[0-9]+' "$PROBE_OUT"))" \
	test "$(grep -oE '^destroyed ms=[0-9]+' "$PROBE_OUT" | cut -d= -f2)" -le 4000
lab_check "hostile: never mapped" sh -c "! grep -q '^mapped' '$PROBE_OUT'"
for reason in short length version not_response opcode nonce mismatch option external ssdp_foreign igd_invalid; do
	n=$(dropped $reason)
	lab_check "hostile: drops counted as $reason (${n:-none})" test "${n:-0}" -gt 0
done
lab_check "hostile: natpmp refused with evidence" probe_saw '^probe natpmp answered=1'
lab_check "hostile: upnp not believed" probe_saw '^probe upnp answered=0 .*error="(no valid IGD|SSDP)'
lab_check "hostile: no sanitizer report" lab_no_sanitizer_report "$LAB_TMP/probe-hostile.log"
kill "$HOSTILE_PID" 2>/dev/null
wait "$HOSTILE_PID" 2>/dev/null

lab_log "--- a tarpit IGD: SSDP answers, HTTP never does; shutdown stays bounded"
lab_bg pm-gw "$LAB_TMP/tarpit.log" python3 ./portmap_hostile.py $GW_LAN 2191 tarpit
lab_wait_for 5 grep -q ready "$LAB_TMP/tarpit.log"
# discovery ends at 2 s, the description fetch then waits on miniupnpc's 5 s receive timeout:
# destroy at 3 s gives up on the helper at 6 s, a second before that timeout
start_probe tarpit upnp --duration 3
wait "$PROBE_PID" 2>/dev/null
lab_check "tarpit: the IGD was asked and held the connection" grep -q "held" "$LAB_TMP/tarpit.log"
lab_check "tarpit: destroy bounded, helper left to finish ($(grep -oE '^destroyed ms=[0-9]+' "$PROBE_OUT"))" \
	test "$(grep -oE '^destroyed ms=[0-9]+' "$PROBE_OUT" | cut -d= -f2)" -le 3500
lab_check "tarpit: the helper thread was left to its timeouts" grep -q "left to finish" "$LAB_TMP/probe-tarpit.log"
lab_check "tarpit: no sanitizer report" lab_no_sanitizer_report "$LAB_TMP/probe-tarpit.log"

lab_finish
