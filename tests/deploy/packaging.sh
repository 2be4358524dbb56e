#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Packaging of a node, offline:
#   - `meson install` (into a scratch DESTDIR) installs the units, the set-up script and the
#     example config, and the programs the units run;
#   - the installed units pass `systemd-analyze verify` in a root holding them, the host's own
#     units and the programs they run;
#   - the set-up script passes shellcheck; the example config passes `exitgated --check-config`;
#   - the units terraform (or OpenTofu) renders pass verify too (prefix /usr), and its cloud-init user
#     data passes `cloud-init schema` and writes the repository's script and units unchanged.
set -u
src=${EXITGATE_SOURCE:?EXITGATE_SOURCE is the source tree}
build=${EXITGATE_BUILD:?EXITGATE_BUILD is the build tree}
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$src/tests/deploy/lib.sh"

# every tool is needed: a missing one fails the test (tools/bootstrap installs them all)
require_tools systemd-analyze cloud-init jq python3 shellcheck terraform

work=$build/tests/deploy/packaging-work
rm -rf "$work"
mkdir -p "$work"
exitgated_built=$build/control/exitgated
units=(exitgate-dpdk-setup.service exitgated.service)

# Where meson installs each file of this build, relative to DESTDIR.
meson introspect --installed "$build" >"$work/installed.json"
installed() {
	jq -r --arg f "$1" 'to_entries[] | select(.key | endswith($f)) | .value' \
		"$work/installed.json" | head -n 1
}

root=$work/root
check "meson install --destdir" meson install -C "$build" --destdir "$root" --no-rebuild --quiet

for unit in "${units[@]}"; do
	check "installed: $unit" test -f "$root$(installed "/deploy/$unit")"
done
script=$(installed /exitgate-dpdk-setup)
check "installed: exitgate-dpdk-setup, executable" test -x "$root$script"
check "installed: exitgate.yaml.example" test -f "$root$(installed /exitgate.yaml.example)"

# The program the units run, where they run it from.
exitgated_unit=$root$(installed /deploy/exitgated.service)
check "installed: exitgated, where exitgated.service runs it" \
	test -x "$root$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$exitgated_unit")"

# populate_root ROOT: the host's units, for the targets and services ours are ordered against.
populate_root() {
	mkdir -p "$1/usr/lib/systemd/system"
	cp -rn /lib/systemd/system/. "$1/usr/lib/systemd/system/"
}

# verify_units ROOT: verify passes and says nothing (it warns on stderr with status 0).
verify_units() {
	local out
	if ! out=$(systemd-analyze verify --man=no --root="$1" "${units[@]}" 2>&1) ||
		[ -n "$out" ]; then
		echo "$out"
		return 1
	fi
}

populate_root "$root"
check "systemd-analyze verify: installed units" verify_units "$root"

unit_from_source() {
	sed -e "s|@bindir@|$2|g" -e "s|@libexecdir@|$3|g" "$src/deploy/systemd/$1.in"
}

check "shellcheck: exitgate-dpdk-setup" shellcheck "$src/deploy/scripts/exitgate-dpdk-setup"
check "shellcheck: tests/deploy" shellcheck -x -P "$src/tests/deploy" "$src"/tests/deploy/*.sh

# The example config, with its key file pointed at a scratch key.
example_checks() {
	local key=$work/example.key
	(umask 077 && openssl rand -base64 32 >"$key")
	sed "s|/etc/exitgate/private.key|$key|" "$src/deploy/exitgate.yaml.example" \
		>"$work/example.yaml"
	"$exitgated_built" --check-config "$work/example.yaml" >/dev/null
}
if [ -x "$exitgated_built" ]; then
	check "exitgated --check-config accepts exitgate.yaml.example" example_checks
else
	check "exitgated is built" test -x "$exitgated_built"
fi

render_dir=$work/render-work
copy_deploy "$src" "$render_dir"
check "render: terraform apply of the render root" render "$render_dir" /etc/exitgate/private.key
out=$render_dir/out

# A root laid out as cloud-init leaves a node (prefix /usr): units in /etc/systemd/system.
node=$work/node-root
mkdir -p "$node/etc/systemd/system" "$node/usr/libexec/exitgate" "$node/usr/bin"
for unit in "${units[@]}"; do
	cp "$out/$unit" "$node/etc/systemd/system/$unit"
	check "rendered $unit is deploy/systemd/$unit.in for prefix /usr" \
		cmp "$out/$unit" <(unit_from_source "$unit" /usr/bin /usr/libexec)
done
cp "$src/deploy/scripts/exitgate-dpdk-setup" "$node/usr/libexec/exitgate/"
[ -x "$exitgated_built" ] && cp "$exitgated_built" "$node/usr/bin/exitgated"
populate_root "$node"
check "systemd-analyze verify: units rendered by terraform" verify_units "$node"

check "cloud-init schema: rendered user data" cloud-init schema --config-file "$out/user-data.yaml"
sed 's/^"runcmd":$/"runcmd": 7\n"unused":/' "$out/user-data.yaml" >"$work/broken-user-data.yaml"
check "cloud-init schema: refuses a broken user data (the check is live)" \
	sh -c "! cloud-init schema --config-file '$work/broken-user-data.yaml'"

# write_files carries the repository's script and the rendered files byte for byte.
written_files() {
	python3 - "$out" "$src/deploy/scripts/exitgate-dpdk-setup" <<'PY'
import sys, yaml
out, script = sys.argv[1], sys.argv[2]
doc = yaml.safe_load(open(out + "/user-data.yaml"))
files = {f["path"]: f for f in doc["write_files"]}
want = {
    "/etc/exitgate/exitgate.yaml.in": (out + "/exitgate.yaml.in", "0600"),
    "/etc/default/exitgate": (out + "/default", "0644"),
    "/usr/libexec/exitgate/exitgate-dpdk-setup": (script, "0755"),
}
for unit in ("exitgate-dpdk-setup.service", "exitgated.service"):
    want["/etc/systemd/system/" + unit] = (out + "/" + unit, "0644")
bad = [p for p, (f, mode) in want.items()
       if p not in files or files[p]["content"] != open(f).read()
       or files[p]["permissions"] != mode]
extra = sorted(set(files) - set(want))
if bad or extra:
    sys.exit("wrong or missing: %s; unexpected: %s" % (bad, extra))
if doc["runcmd"] != [["systemctl", "daemon-reload"],
                     ["systemctl", "enable", "--now", "exitgated.service"]]:
    sys.exit("runcmd: %r" % doc["runcmd"])
PY
}
check "cloud-init user data writes the script, units, template and defaults unchanged" written_files

finish
