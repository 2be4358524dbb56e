#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The deploy toolchain as a fresh machine has it. terraform is not a Debian package, so CI's
# machine has none on the PATH: there the deploy tests run the OpenTofu tools/bootstrap builds
# (tools/go-peers). This machine may have a terraform; hiding it (a PATH without it) shows:
#   - terraform.sh then runs every check with OpenTofu, and passes;
#   - without either of them it fails (exit 1, a FAIL line), never skips (exit 77);
#   - packaging.sh fails the same way without systemd-analyze or cloud-init.
set -u
src=${EXITGATE_SOURCE:?EXITGATE_SOURCE is the source tree}
build=${EXITGATE_BUILD:?EXITGATE_BUILD is the build tree}
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$src/tests/deploy/lib.sh"

work=$build/tests/deploy/toolchain-work
rm -rf "$work"
mkdir -p "$work"

# path_without TOOL...: $PATH with each directory holding one of the tools replaced by a copy
# of it (symbolic links) that lacks them.
path_without() {
	local dir out=() copy entry name skip t
	IFS=: read -ra dirs <<<"$PATH"
	for dir in "${dirs[@]}"; do
		skip=0
		for t in "$@"; do [ -e "$dir/$t" ] && skip=1; done
		if [ "$skip" -eq 0 ]; then
			out+=("$dir")
			continue
		fi
		copy=$(mktemp -d "$work/path.XXXXXX")
		for entry in "$dir"/*; do
			name=${entry##*/}
			for t in "$@"; do [ "$name" = "$t" ] && continue 2; done
			ln -s "$entry" "$copy/$name"
		done
		out+=("$copy")
	done
	(IFS=:; echo "${out[*]}")
}

hidden=$(path_without terraform tofu)
check "the PATH without terraform has none" \
	sh -c "! PATH='$hidden' command -v terraform"

fresh_run() {
	PATH=$hidden "$src/tests/deploy/terraform.sh" >"$work/fresh.log" 2>&1
	local status=$?
	grep -q '^using OpenTofu v' "$work/fresh.log" && [ "$status" -eq 0 ]
}
check "terraform.sh without terraform: every check passes with OpenTofu" fresh_run
grep -E '^(using|[0-9]+ passed)' "$work/fresh.log" | sed 's/^/     /'

# no terraform and no OpenTofu either: an empty peers cache
nothing() {
	EXITGATE_PEERS=$work/no-peers PATH=$hidden "$src/tests/deploy/terraform.sh" \
		>"$work/none.log" 2>&1
	local status=$?
	[ "$status" -eq 1 ] && grep -q '^FAIL: neither terraform' "$work/none.log"
}
check "terraform.sh without terraform or OpenTofu fails (exit 1), never skips" nothing

for tool in systemd-analyze cloud-init; do
	without_tool() {
		PATH=$(path_without "$1") "$src/tests/deploy/packaging.sh" >"$work/no-$1.log" 2>&1
		local status=$?
		[ "$status" -eq 1 ] && grep -q "^FAIL: $1 is missing" "$work/no-$1.log"
	}
	check "packaging.sh without $tool fails (exit 1), never skips" without_tool "$tool"
done

finish
