#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# exitgatectl genkey/pubkey/genpsk against wg (wireguard-tools): each tool's keys work with the
# other, genkey clamps like wg genkey, genpsk does not, and bad input fails with status 1.
#   usage: exitgatectl_keys.sh PATH-TO-EXITGATECTL
set -u
ctl=$1
if ! command -v wg >/dev/null; then
	echo "skip: wg (wireguard-tools) is not installed"
	exit 77
fi
umask 077
failures=0
fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}

# byte N of a base64 key, as a number
key_byte() {
	printf '%s' "$1" | base64 -d | od -An -tu1 -j "$2" -N1 | tr -d ' '
}

# RFC 7748 6.1: Alice's key pair
alice=dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo=
alice_public=hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo=
[ "$(echo "$alice" | "$ctl" pubkey)" = "$alice_public" ] || fail "pubkey of the RFC 7748 key"

unclamped_psk=0
for i in $(seq 1 32); do
	# exitgatectl genkey: the same public key from both tools, and clamped
	key=$("$ctl" genkey) || fail "genkey exit status"
	[ ${#key} -eq 44 ] || fail "genkey length ${#key}: $key"
	ours=$(echo "$key" | "$ctl" pubkey)
	theirs=$(echo "$key" | wg pubkey)
	[ -n "$ours" ] && [ "$ours" = "$theirs" ] || fail "pubkey of $key: $ours vs wg $theirs"
	b0=$(key_byte "$key" 0)
	b31=$(key_byte "$key" 31)
	[ $((b0 & 7)) -eq 0 ] || fail "genkey $key: byte 0 = $b0 not clamped"
	[ $((b31 & 128)) -eq 0 ] && [ $((b31 & 64)) -eq 64 ] ||
		fail "genkey $key: byte 31 = $b31 not clamped"

	# wg genkey: exitgatectl pubkey agrees with wg pubkey
	key=$(wg genkey)
	[ "$(echo "$key" | "$ctl" pubkey)" = "$(echo "$key" | wg pubkey)" ] ||
		fail "pubkey of wg's key $key"

	# genpsk: 32 bytes of base64 that wg reads, and not clamped
	psk=$("$ctl" genpsk) || fail "genpsk exit status"
	[ ${#psk} -eq 44 ] || fail "genpsk length ${#psk}: $psk"
	echo "$psk" | wg pubkey >/dev/null || fail "wg does not read genpsk output $psk"
	b0=$(key_byte "$psk" 0)
	[ $((b0 & 7)) -eq 0 ] || unclamped_psk=$((unclamped_psk + 1))
done
# a clamped byte 0 happens 1 time in 8 for random bytes: 32 of them is a clamping genpsk
[ $unclamped_psk -gt 0 ] || fail "genpsk looks clamped"
[ "$("$ctl" genkey)" != "$("$ctl" genkey)" ] || fail "two genkey runs gave the same key"

# exact output format: the key and one newline
out=$("$ctl" genkey | od -An -c | tr -d ' \n')
case $out in
*=\\n) ;;
*) fail "genkey output does not end in '=' and a newline: $out" ;;
esac

# whitespace after the key is fine, as for wg
printf '%s  \n\n' "$alice" | "$ctl" pubkey >/dev/null || fail "trailing whitespace refused"
printf '%s' "$alice" | "$ctl" pubkey >/dev/null || fail "key without newline refused"

# bad input: status 1, a message, nothing on stdout
bad_inputs=(
	""
	"dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo"
	"dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo=x"
	"dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LC=="
	"not a key at all, just some garbage text..."
	"77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"
	" dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo="
)
for input in "${bad_inputs[@]}"; do
	out=$(printf '%s\n' "$input" | "$ctl" pubkey 2>/tmp/exitgatectl-keys-err.$$)
	status=$?
	err=$(cat /tmp/exitgatectl-keys-err.$$)
	[ $status -eq 1 ] || fail "pubkey of \"$input\": status $status, want 1"
	[ -z "$out" ] || fail "pubkey of \"$input\" printed $out"
	case $err in
	"exitgatectl: error: pubkey: "*) ;;
	*) fail "pubkey of \"$input\": message \"$err\"" ;;
	esac
	# wg refuses the same inputs
	printf '%s\n' "$input" | wg pubkey >/dev/null 2>&1 && fail "wg accepts \"$input\"?"
done
rm -f /tmp/exitgatectl-keys-err.$$

# usage errors: status 2
"$ctl" genkey extra >/dev/null 2>&1
[ $? -eq 2 ] || fail "genkey with an argument: want status 2"
"$ctl" no-such-command >/dev/null 2>&1
[ $? -eq 2 ] || fail "unknown command: want status 2"

if [ $failures -gt 0 ]; then
	echo "$failures failure(s)"
	exit 1
fi
echo "ok: exitgatectl and wg agree"
