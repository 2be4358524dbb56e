#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# NAT traversal figures from the nat lab (tests/lab/nat/nat.sh's bench cases, its topology):
#   - time from the first packet to a direct path: hole punching through two easy NATs, and
#     through a port mapping (NAT-PMP on a hard NAT);
#   - failover time direct -> relay under iperf3 (the direct path cut mid-flow), and the longest
#     run of iperf3 intervals at zero;
#   - iperf3 through the tunnel on the direct path versus with both nodes pinned to the relay.
# Medians of the repeats. Needs root (namespaces).
#
#   tools/benchmarks/lab_nat.sh [-r REPEATS] [-t SECONDS] BUILD-DIR
set -u
repeats=5
seconds=10
while getopts "r:t:" o; do
	case $o in
	r) repeats=$OPTARG ;;
	t) seconds=$OPTARG ;;
	*) echo "usage: $0 [-r REPEATS] [-t SECONDS] BUILD-DIR" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
build=$(cd "${1:?usage: $0 [-r REPEATS] [-t SECONDS] BUILD-DIR}" && pwd)
top=$(cd "$(dirname "$0")/../.." && pwd)
if [ "$(id -u)" -ne 0 ]; then
	echo "lab_nat: needs root (network namespaces)"
	exit 77
fi
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for c in bench-punch bench-portmap bench-failover bench-iperf; do
	echo "== $c"
	EXITGATE_BUILD=$build EXITGATE_SOURCE=$top EXITGATE_BENCH_REPEATS=$repeats \
		EXITGATE_BENCH_SECONDS=$seconds "$top/tests/lab/nat/nat.sh" "$c" 2>&1 |
		tee -a "$out" | grep -E '^BENCH|FAIL|passed'
done
echo
echo "== nat traversal (medians of $repeats; iperf3 $seconds s each way)"
python3 - "$out" <<'PY'
import statistics, sys
values = {}
for line in open(sys.argv[1]):
    f = line.split()
    if len(f) == 3 and f[0] == "BENCH":
        values.setdefault(f[1], []).append(float(f[2]))
labels = [
    ("time_to_direct_punch_s", "time to direct, hole punching (easy NAT both sides)", "s"),
    ("time_to_direct_portmap_s", "time to direct, port mapping (NAT-PMP, hard NAT)", "s"),
    ("failover_s", "failover direct -> relay under iperf3 (goal < 2 s)", "s"),
    ("longest_zero_interval_s", "longest iperf3 run at zero during failover", "s"),
    ("iperf_direct_up_mbps", "iperf3 a -> b direct", "Mbit/s"),
    ("iperf_relay_up_mbps", "iperf3 a -> b relayed", "Mbit/s"),
    ("iperf_direct_down_mbps", "iperf3 b -> a direct", "Mbit/s"),
    ("iperf_relay_down_mbps", "iperf3 b -> a relayed", "Mbit/s"),
]
for key, text, unit in labels:
    v = values.get(key)
    if not v:
        print(f"{text}: no figure")
        continue
    print(f"{text}: {statistics.median(v):g} {unit} (median of {len(v)}: "
          f"{', '.join(f'{x:g}' for x in v)})")
PY
