#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# exitgated's command line: --check-config exit statuses and output, --help, --version, and
# status 2 with a reason for everything else.
#   usage: exitgated_cli.sh PATH-TO-EXITGATED EXAMPLE.yaml FIXTURE-DIR
set -u
exitgated=$1
example=$2
fixtures=$3
scratch=$(mktemp -d /tmp/exitgated-cli-XXXXXX)
trap 'rm -rf "$scratch"' EXIT
failures=0
fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}

# run ARGS...: sets status, out, err
run() {
	"$exitgated" "$@" >"$scratch/out" 2>"$scratch/err"
	status=$?
	out=$(cat "$scratch/out")
	err=$(cat "$scratch/err")
}

run --check-config "$example"
[ $status -eq 0 ] || fail "example: status $status: $err"
grep -qx 'node:' <<<"$out" || fail "example: no normalised output"
grep -qx '  private_key: (hidden)' <<<"$out" || fail "example: private key not hidden"
grep -q 'eH7DtVGa47h1alT5BKgzj3' <<<"$out" && fail "example: private key printed"
[ "$err" = "exitgated: info: $example: valid, 2 peers" ] || fail "example: stderr \"$err\""

# with the secrets hidden the output names the key but no longer holds it: it does not load
# (test_config checks that the output with secrets loads back to an equal config)
printf '%s\n' "$out" >"$scratch/printed.yaml"
run --check-config "$scratch/printed.yaml"
[ $status -eq 2 ] || fail "hidden output loads?"
case $err in
"$scratch/printed.yaml:4:16: node.private_key: bad key: 8 characters, a key is 44 "*) ;;
*) fail "hidden output: $err" ;;
esac

# an error: status 2, the one line on stderr, nothing on stdout
run --check-config "$fixtures/unknown_key.yaml"
[ $status -eq 2 ] || fail "bad config: status $status"
[ -z "$out" ] || fail "bad config: stdout \"$out\""
want="$fixtures/unknown_key.yaml:3:3: node: unknown key \"listen_prot\" (did you mean \"listen_port\"?)"
[ "$err" = "$want" ] || fail "bad config: stderr \"$err\""
run --check-config "$scratch/missing.yaml"
[ $status -eq 2 ] && [ "$err" = "$scratch/missing.yaml: cannot read: No such file or directory" ] ||
	fail "missing config: $status \"$err\""

# the config's log level applies: at warn the info line is gone
sed 's/^  level: info$/  level: warn/' "$example" >"$scratch/warn.yaml"
run --check-config "$scratch/warn.yaml"
[ $status -eq 0 ] && [ -z "$err" ] || fail "log level warn: $status \"$err\""

run --help
[ $status -eq 0 ] && grep -q -- '--check-config FILE' <<<"$out" || fail "--help"
run --version
[ $status -eq 0 ] && [[ $out =~ ^exitgated\ [0-9]+\.[0-9]+\.[0-9]+$ ]] || fail "--version: $out"

# running refuses a config it cannot load before anything starts: status 2, its location
run --config "$scratch/missing.yaml"
[ $status -eq 2 ] && [ "$err" = "$scratch/missing.yaml: cannot read: No such file or directory" ] ||
	fail "run with a missing config: $status \"$err\""

# anything else: usage and status 2
run --check-config
[ $status -eq 2 ] || fail "--check-config without a file: $status"
run --frobnicate
[ $status -eq 2 ] && grep -q 'unknown or incomplete option --frobnicate' <<<"$err" ||
	fail "unknown option: $status \"$err\""
run --check-config "$example" extra
[ $status -eq 2 ] && grep -q 'unexpected argument extra' <<<"$err" ||
	fail "extra argument: $status \"$err\""

if [ $failures -gt 0 ]; then
	echo "$failures failure(s)"
	exit 1
fi
echo "ok: exitgated command line"
