#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# deploy/terraform, offline (no provider can be downloaded here), with terraform or, where none
# is on the PATH, the OpenTofu tools/bootstrap builds (tests/deploy/lib.sh: find_terraform):
#   - every .tf/.tftest.hcl is `terraform fmt` clean;
#   - `terraform test` in each provider-free module (appliance-config, network-plan,
#     exit-node-plan): rendering asserts and every validation with expect_failures; each run
#     counts as one check;
#   - the YAML terraform renders is a valid appliance config: applied from tests/deploy/
#     terraform-render, then taken through the boot path (exitgate-dpdk-setup render with the PCI
#     addresses a boot would have bound), which checks it with `exitgated --check-config`; the
#     result is checked again here, and the render refuses unbound devices and invalid configs.
# The AWS modules (network, exit-node, the example) need the hashicorp/aws provider: only fmt.
set -u
src=${EXITGATE_SOURCE:?EXITGATE_SOURCE is the source tree}
build=${EXITGATE_BUILD:?EXITGATE_BUILD is the build tree}
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$src/tests/deploy/lib.sh"

# terraform >= 1.9 or OpenTofu (tools/go-peers); jq reads the render's outputs
require_tools terraform jq
exitgated=$build/control/exitgated
if [ ! -x "$exitgated" ]; then
	echo "FAIL: $exitgated is not built; the rendered config cannot be checked"
	echo "0 passed, 1 failed"
	exit 1
fi

work=$build/tests/deploy/terraform-work
copy_deploy "$src" "$work"

check "terraform fmt -check -recursive deploy/terraform" \
	terraform fmt -check -recursive -diff -no-color "$src/deploy/terraform"

# show_failure WHAT LOG: a failing check that shows terraform's log.
show_failure() {
	echo "terraform: $1"
	cat "$2"
	return 1
}

# module_tests MODULE: init and `terraform test`; one check per run block.
module_tests() {
	local module=$1 dir=$work/deploy/terraform/modules/$1 log runs
	log=$work/$module.test.log
	if ! terraform -chdir="$dir" init -backend=false -no-color >"$log" 2>&1; then
		check "$module: terraform init" show_failure "init failed" "$log"
		return
	fi
	terraform -chdir="$dir" test -no-color >"$log" 2>&1
	local status=$?
	runs=$(grep -cE '^  run "[^"]+"\.\.\. (pass|fail|skip)' "$log")
	while read -r name result; do
		case $result in
		pass) check "$module: $name" true ;;
		*) check "$module: $name" show_failure "$result" "$log" ;;
		esac
	done < <(sed -nE 's/^  run "([^"]+)"\.\.\. (pass|fail|skip).*/\1 \2/p' "$log")
	if [ "$status" -ne 0 ] && ! grep -qE '^  run "[^"]+"\.\.\. fail' "$log"; then
		check "$module: terraform test" show_failure "exit status $status" "$log"
	elif [ "$runs" -eq 0 ]; then
		check "$module: terraform test" show_failure "no run block ran" "$log"
	fi
}

for module in appliance-config network-plan exit-node-plan; do
	module_tests "$module"
done

node=$work/node
state=$work/state
mkdir -p "$node" "$state"
key=$node/private.key
check "render: terraform apply of the render root" render "$work" "$key"
out=$work/out

# What the set-up unit records after binding the NICs whose MACs are in /etc/default/exitgate.
bound='PUBLIC_PCI=0000:00:06.0
PUBLIC_KERNEL_DRIVER=ena
EGRESS_PCI=0000:00:07.0
EGRESS_KERNEL_DRIVER=ena'
printf '%s\n' "$bound" >"$state/ports"
template=$out/exitgate.yaml.in
setup() {
	EXITGATE_DEFAULTS=$out/default EXITGATE_CONFIG=$node/exitgate.yaml \
		EXITGATE_CONFIG_TEMPLATE=$template EXITGATE_STATE_DIR=$state \
		EXITGATED=$exitgated "$src/deploy/scripts/exitgate-dpdk-setup" "$@"
}

placeholders() {
	grep -q '"device": "@EXITGATE_PUBLIC_DEVICE@"' "$template" &&
		grep -q '"device": "@EXITGATE_EGRESS_DEVICE@"' "$template"
}

key_created() {
	[ "$(stat -c %a "$key")" = 600 ] && grep -qE '^[A-Za-z0-9+/]{43}=$' "$key" &&
		grep -qE '^[A-Za-z0-9+/]{43}=$' "$node/public.key"
}

devices_substituted() {
	grep -q '"device": "0000:00:06.0"' "$node/exitgate.yaml" &&
		grep -q '"device": "0000:00:07.0"' "$node/exitgate.yaml" &&
		! grep -q '@EXITGATE_[A-Z]*_DEVICE@' "$node/exitgate.yaml"
}

check "template: devices are the boot-time placeholders" placeholders
check "defaults: the key file the config names" \
	grep -qx "EXITGATE_PRIVATE_KEY_FILE=$key" "$out/default"
check "boot: exitgate-dpdk-setup render (key, PCI addresses, --check-config)" setup render
check "boot: private key created mode 0600, public key beside it" key_created
check "boot: exitgate.yaml has the bound PCI addresses, no placeholder left" devices_substituted
check "boot: exitgate.yaml is mode 0600 (it may hold preshared keys)" \
	test "$(stat -c %a "$node/exitgate.yaml" 2>/dev/null)" = 600
check "exitgated --check-config accepts the config terraform rendered" \
	"$exitgated" --check-config "$node/exitgate.yaml"
normalised=$("$exitgated" --check-config "$node/exitgate.yaml" 2>/dev/null)
while read -r value; do
	check "check-config's normalised config has $value" grep -qF -- "$value" <<<"$normalised"
done <<'EOF'
device: "0000:00:06.0"
device: "0000:00:07.0"
addresses: ["10.20.0.10/24"]
gateway: "10.20.0.1"
addresses: ["10.20.1.10/24"]
gateway: "10.20.1.1"
workers: 2
idle: poll
static_endpoints: ["203.0.113.7:41641"]
stun: ["stun.example.net:3478"]
host_name: "derp-b.example.net"
derp_port: 8443
public_key: "rV9PcadahbzLRJ94jj9ZKRum5QLcwGX/Aum1x+ot/yE="
allowed_ips: ["100.64.0.2/32", "fd7a:115c:a1e0::2/128"]
endpoint: "198.51.100.7:41641"
path: direct
EOF
# exitgate derives the public key itself (libsodium); the set-up script's (OpenSSL) must agree.
check "public.key is the public key exitgated derives from the generated private key" \
	grep -qxF "# node public key: $(cat "$node/public.key")" <<<"$normalised"

# The render leaves the working config alone when it cannot produce a valid one.
unchanged() {
	[ "$(sha256sum <"$node/exitgate.yaml")" = "$before" ]
}

refuses_unbound() {
	! setup render 2>"$work/render.err" &&
		grep -q '@EXITGATE_EGRESS_DEVICE@' "$work/render.err" && unchanged
}

refuses_invalid() {
	! setup render 2>"$work/render.err" && grep -q 'invalid' "$work/render.err" && unchanged
}

before=$(sha256sum <"$node/exitgate.yaml")
grep -v '^EGRESS_PCI=' <<<"$bound" >"$state/ports"
check "boot: render refuses a device whose NIC was not bound, config unchanged" refuses_unbound
printf '%s\n' "$bound" >"$state/ports"
sed 's/"listen_port": 41641/"listen_port": 0/' "$out/exitgate.yaml.in" >"$work/invalid.yaml.in"
template=$work/invalid.yaml.in
check "boot: render refuses what --check-config refuses, config unchanged" refuses_invalid

finish
