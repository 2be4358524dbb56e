# SPDX-License-Identifier: BSD-3-Clause
# Helpers shared by the namespace labs (sourced). Every lab:
#   - checks root first (lab_require_root exits 77, meson's "skipped", with the reason);
#   - creates only namespaces with its own prefix and deletes them on any exit (lab_cleanup);
#   - counts checks with lab_check / lab_fail and ends with lab_finish ("N passed, N failed").

LAB_PASSED=0
LAB_FAILED=0
LAB_NAMESPACES=()
LAB_PIDS=()
LAB_TMP=$(mktemp -d /tmp/exitgate-lab.XXXXXX)
chmod 700 "$LAB_TMP"
# a signal ends the lab through its EXIT trap (lab_cleanup), like a normal exit
trap 'exit 130' INT
trap 'exit 143' TERM

lab_require_root() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "SKIP: $(basename "$0") needs root (network namespaces, DPDK on veths)"
		exit 77
	fi
	# a missing peer program fails the lab: CI must never pass by skipping a real peer
	for tool in "$@"; do
		if ! command -v "$tool" >/dev/null 2>&1; then
			echo "FAIL: $(basename "$0") needs $tool (tools/bootstrap installs it)"
			exit 1
		fi
	done
}

lab_log() { printf '%s %s\n' "$(date +%T)" "$*"; }

# EXITGATE_LAB_HOLD=1 keeps the lab standing for 10 minutes at the first failure, to look
# around in its namespaces (the temporary directory is printed).
lab_hold() {
	if [ "${EXITGATE_LAB_HOLD:-0}" = 1 ] && [ "$LAB_FAILED" -eq 1 ]; then
		lab_log "holding the lab for 10 minutes: $LAB_TMP"
		sleep 600
	fi
}

lab_check() { # lab_check "what" command...
	local what=$1
	shift
	if "$@"; then
		LAB_PASSED=$((LAB_PASSED + 1))
		lab_log "ok   $what"
	else
		LAB_FAILED=$((LAB_FAILED + 1))
		lab_log "FAIL $what"
		lab_hold
	fi
}

lab_expect_eq() { # lab_expect_eq "what" expected actual
	if [ "$2" = "$3" ]; then
		LAB_PASSED=$((LAB_PASSED + 1))
		lab_log "ok   $1 ($3)"
	else
		LAB_FAILED=$((LAB_FAILED + 1))
		lab_log "FAIL $1: expected '$2', got '$3'"
		lab_hold
	fi
}

lab_netns() { # lab_netns name: create and remember (a stale one of a killed run goes first)
	if ip netns pids "$1" >/dev/null 2>&1; then
		ip netns pids "$1" | xargs -r kill -KILL 2>/dev/null
		ip netns del "$1"
	fi
	ip netns add "$1"
	LAB_NAMESPACES+=("$1")
	ip -n "$1" link set lo up
}

# lab_veth ns_a if_a ns_b if_b: a veth pair between two namespaces, both up. An end that DPDK
# will own gets no address; offloads go off on every end so DPDK sees finished checksums.
lab_veth() {
	ip link add "$2" netns "$1" type veth peer name "$4" netns "$3"
	ip -n "$1" link set "$2" up
	ip -n "$3" link set "$4" up
	ip netns exec "$1" ethtool -K "$2" tx off tso off gso off gro off >/dev/null
	ip netns exec "$3" ethtool -K "$4" tx off tso off gso off gro off >/dev/null
}

lab_bg() { # lab_bg ns logfile command...: run in the background, remember the pid
	local ns=$1 log=$2
	shift 2
	ip netns exec "$ns" "$@" >"$log" 2>&1 &
	LAB_PIDS+=($!)
}

lab_wait_for() { # lab_wait_for seconds command...: poll until it succeeds
	local deadline=$((SECONDS + $1))
	shift
	while ! "$@" >/dev/null 2>&1; do
		[ $SECONDS -lt $deadline ] || return 1
		sleep 0.2
	done
}

lab_cleanup() {
	local pid ns keep
	# a failed run keeps its logs next to the build's other test logs (EXITGATE_LAB_KEEP=1:
	# every run does)
	if { [ "$LAB_FAILED" -gt 0 ] || [ "${EXITGATE_LAB_KEEP:-0}" = 1 ]; } &&
		[ -n "${EXITGATE_BUILD:-}" ]; then
		keep=$EXITGATE_BUILD/meson-logs/lab-$(basename "$0" .sh)
		rm -rf "$keep"
		mkdir -p "$keep"
		cp "$LAB_TMP"/*.log "$keep"/ 2>/dev/null
		echo "logs kept in $keep"
	fi
	for pid in "${LAB_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null
	done
	for pid in "${LAB_PIDS[@]}"; do
		for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$pid" 2>/dev/null
	done
	for ns in "${LAB_NAMESPACES[@]}"; do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill -KILL 2>/dev/null
		ip netns del "$ns" 2>/dev/null
	done
	rm -rf "$LAB_TMP"
}

lab_finish() {
	echo "$LAB_PASSED passed, $LAB_FAILED failed"
	[ "$LAB_FAILED" -eq 0 ]
}

# exitgated under ASan reports leaks at exit; its log must not contain a sanitizer report
lab_no_sanitizer_report() {
	! grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$1"
}

# lab_go_peer name: the path of a Go peer program tools/bootstrap built (tools/go-peers); a
# missing one fails the lab loudly, never a skip: CI must have every peer.
lab_go_peer() {
	local path
	if ! path=$("${EXITGATE_SOURCE:?EXITGATE_SOURCE names the source tree}/tools/go-peers" --path "$1"); then
		echo "FAIL: $(basename "$0") needs $1: tools/bootstrap builds it (tools/go-peers)" >&2
		exit 1
	fi
	echo "$path"
}
