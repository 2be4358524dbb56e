#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# STUN interop: exitgate-derper's responder against coturn's client, and exitgate's STUN codec
# against coturn's server.
#
#   netns egd-stun-c-<pid>  10.77.0.2/24 --veth-- 10.77.0.1/24  netns egd-stun-s-<pid>
#     turnutils_stunclient  ------------------>  exitgate-derper STUN :3478
#     stun-probe (exitgate codec) ------------>  coturn (stun-only, fingerprint) :3479
set -eu
if [ "$(id -u)" -ne 0 ]; then
	echo "skip: needs root for network namespaces"
	exit 77
fi
for tool in turnserver turnutils_stunclient; do
	command -v "$tool" >/dev/null || { echo "skip: $tool not installed (coturn)"; exit 77; }
done
build=${EXITGATE_BUILD:?}
derper=$build/tools/derper/exitgate-derper
probe=$build/tests/lab/derp/stun-probe
cns=egd-stun-c-$$
sns=egd-stun-s-$$
work=$(mktemp -d)
pids=()

cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	ip netns del "$cns" 2>/dev/null || true
	ip netns del "$sns" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

fail() {
	echo "FAIL: $*"
	for f in "$work"/*.log; do echo "--- $f"; tail -10 "$f"; done
	exit 1
}

ip netns add "$cns"
ip netns add "$sns"
ip link add egd-stc$$ netns "$cns" type veth peer name egd-sts$$ netns "$sns"
ip -n "$cns" addr add 10.77.0.2/24 dev egd-stc$$
ip -n "$sns" addr add 10.77.0.1/24 dev egd-sts$$
for n in "$cns" "$sns"; do
	ip -n "$n" link set lo up
done
ip -n "$cns" link set egd-stc$$ up
ip -n "$sns" link set egd-sts$$ up

ip netns exec "$sns" "$derper" --listen 10.77.0.1:8443 --self-signed derp.test \
	--pin-file "$work/pin" --stun-port 3478 >/dev/null 2>"$work/derper.log" &
pids+=($!)
cat >"$work/turnserver.conf" <<CONF
listening-ip=10.77.0.1
listening-port=3479
stun-only
no-tls
no-dtls
no-cli
fingerprint
log-file=stdout
pidfile=$work/turnserver.pid
CONF
ip netns exec "$sns" turnserver -c "$work/turnserver.conf" >"$work/coturn.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do
	[ -s "$work/pin" ] && grep -q "3479" "$work/coturn.log" 2>/dev/null && break
	sleep 0.1
done
sleep 0.5

# coturn's client asks exitgate-derper.
out=$(ip netns exec "$cns" turnutils_stunclient -p 3478 10.77.0.1 2>&1) || fail "stunclient: $out"
echo "$out" | grep -q "UDP reflexive addr: 10.77.0.2:[0-9]" ||
	fail "stunclient did not print the client's address: $out"
echo "ok turnutils_stunclient -> exitgate-derper: $(echo "$out" | grep -m1 'reflexive')"

# exitgate's codec parses coturn's answer (XOR-MAPPED-ADDRESS, FINGERPRINT checked).
out=$(ip netns exec "$cns" "$probe" 10.77.0.2 40123 10.77.0.1 3479) || fail "probe coturn: $out"
[ "$out" = "mapped 10.77.0.2:40123" ] || fail "coturn mapped address: $out"
echo "ok stun-probe -> coturn: $out"

# And the same probe against exitgate's own responder.
out=$(ip netns exec "$cns" "$probe" 10.77.0.2 40124 10.77.0.1 3478) || fail "probe derper: $out"
[ "$out" = "mapped 10.77.0.2:40124" ] || fail "derper mapped address: $out"
echo "ok stun-probe -> exitgate-derper: $out"
echo "stun interop lab passed"
