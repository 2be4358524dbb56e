#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# exitgate-derper's deployment files: the systemd unit passes systemd-analyze verify (with
# ExecStart pointed at the built binary), and the example YAML loads; a broken YAML file is
# refused with file:line:column.
set -eu
build=${EXITGATE_BUILD:?}
source_dir=${EXITGATE_SOURCE:?}
derper=$build/tools/derper/exitgate-derper
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if command -v systemd-analyze >/dev/null; then
	sed "s|@bindir@/exitgate-derper|$derper|; s|/etc/exitgate/derper.yaml|$work/d.yaml|" \
		"$source_dir/deploy/systemd/exitgate-derper.service.in" >"$work/exitgate-derper.service"
	out=$(systemd-analyze verify --man=no "$work/exitgate-derper.service" 2>&1) || {
		echo "FAIL: systemd-analyze verify: $out"
		exit 1
	}
	echo "ok unit verifies"
else
	echo "note: systemd-analyze missing, unit not verified"
fi

# The example, with a self-signed certificate instead of files, runs and stops on SIGTERM.
sed -e 's|^cert:.*|self_signed: derp.test|' -e '/^key:/d' \
	-e "s|^key_file:.*|key_file: $work/derp.key|" -e "s|^listen:.*|listen: \"127.0.0.1:$((20000 + RANDOM % 20000))\"|" \
	-e 's|^stun_port:.*|stun_port: 0|' "$source_dir/deploy/systemd/derper.yaml.example" \
	>"$work/d.yaml"
"$derper" --config "$work/d.yaml" >"$work/out" 2>"$work/err" &
pid=$!
for _ in $(seq 50); do
	[ -s "$work/out" ] && break
	sleep 0.1
done
kill -TERM "$pid"
wait "$pid" || { echo "FAIL: example config: $(cat "$work/err")"; exit 1; }
grep -q '^sha256-raw:[0-9a-f]\{64\}$' "$work/out" || { echo "FAIL: no pin printed"; exit 1; }
echo "ok example config runs"

printf 'listen: ":443"\nstun_port: seven\n' >"$work/bad.yaml"
if "$derper" --config "$work/bad.yaml" --self-signed x 2>"$work/err"; then
	echo "FAIL: bad YAML accepted"
	exit 1
fi
grep -q "bad.yaml:2:12: stun_port: bad value" "$work/err" || {
	echo "FAIL: error location: $(cat "$work/err")"
	exit 1
}
printf 'listen: ":443"\nunknown_thing: 1\n' >"$work/bad2.yaml"
if "$derper" --config "$work/bad2.yaml" --self-signed x 2>"$work/err"; then
	echo "FAIL: unknown key accepted"
	exit 1
fi
grep -q "bad2.yaml:2:16: unknown_thing: unknown key" "$work/err" || {
	echo "FAIL: error location: $(cat "$work/err")"
	exit 1
}
echo "ok YAML errors carry file:line:column"
