# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash
# Helpers shared by the deploy tests (sourced): counted checks and the terraform render.

passed=0
failed=0

# check NAME COMMAND...: run COMMAND, count it, show its output when it fails.
check() {
	local name=$1 log
	shift
	log=$(mktemp)
	if "$@" >"$log" 2>&1; then
		echo "ok   $name"
		passed=$((passed + 1))
	else
		echo "FAIL $name"
		sed 's/^/     | /' "$log" | tail -40
		failed=$((failed + 1))
	fi
	rm -f "$log"
}

# finish: the closing line CI reads; exit status for meson.
finish() {
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
}

# The deploy toolchain. terraform is not a Debian package: the one on the PATH when there is
# one, else the OpenTofu that tools/bootstrap built (tools/go-peers), which speaks the same
# language and runs the same `test` command. TERRAFORM names the binary in use.
TERRAFORM=
find_terraform() {
	local tofu
	# type -P: a file on the PATH, never the terraform function below
	if TERRAFORM=$(type -P terraform); then
		return 0
	fi
	if tofu=$("${src:?}/tools/go-peers" --path tofu 2>/dev/null); then
		TERRAFORM=$tofu
		return 0
	fi
	TERRAFORM=
	return 1
}
terraform() {
	"$TERRAFORM" "$@"
}

# require_tools TOOL...: every tool the checks need, or the test fails with the reason. A
# missing tool never skips: a fresh machine (CI's) must have run tools/bootstrap, and a deploy
# test that passes by not running would hide exactly that.
require_tools() {
	local tool missing=0
	for tool in "$@"; do
		if [ "$tool" = terraform ]; then
			find_terraform && continue
			echo "FAIL: neither terraform on the PATH nor the OpenTofu tools/bootstrap builds" \
				"(tools/go-peers tofu)"
		elif ! command -v "$tool" >/dev/null 2>&1; then
			echo "FAIL: $tool is missing (tools/bootstrap installs it)"
		else
			continue
		fi
		missing=$((missing + 1))
	done
	if [ "$missing" -gt 0 ]; then
		echo "0 passed, $missing failed"
		exit 1
	fi
	if [ -n "$TERRAFORM" ]; then
		echo "using $("$TERRAFORM" version 2>/dev/null | head -n 1) ($TERRAFORM)"
	fi
}

export TF_CLI_CONFIG_FILE=/dev/null TF_IN_AUTOMATION=1 TF_INPUT=0 CHECKPOINT_DISABLE=1

# copy_deploy SRC DIR: deploy/ and the render root into DIR, so that terraform's working files
# (.terraform, state) land in the build tree, never in the sources.
copy_deploy() {
	local src=$1 dir=$2
	rm -rf "$dir"
	mkdir -p "$dir"
	cp -r "$src/deploy" "$dir/deploy"
	cp -r "$src/tests/deploy/terraform-render" "$dir/render"
	find "$dir" \( -name .terraform -o -name 'terraform.tfstate*' \
		-o -name .terraform.lock.hcl \) -prune -exec rm -rf {} +
}

# render DIR KEYFILE: apply the render root in DIR/render and write its outputs to DIR/out:
# exitgate.yaml.in, default, user-data.yaml and the units.
render() {
	local dir=$1 key_file=$2 unit
	local tf=(terraform -chdir="$dir/render")
	mkdir -p "$dir/out"
	"${tf[@]}" init -backend=false -no-color >/dev/null &&
		"${tf[@]}" apply -auto-approve -no-color -var "private_key_file=$key_file" \
			>/dev/null &&
		"${tf[@]}" output -raw config_yaml >"$dir/out/exitgate.yaml.in" &&
		"${tf[@]}" output -raw defaults >"$dir/out/default" &&
		"${tf[@]}" output -raw cloud_config >"$dir/out/user-data.yaml" &&
		"${tf[@]}" output -json systemd_units >"$dir/out/units.json" || return 1
	for unit in exitgate-dpdk-setup.service exitgated.service; do
		jq -j --arg u "$unit" '.[$u]' "$dir/out/units.json" >"$dir/out/$unit" || return 1
	done
}
