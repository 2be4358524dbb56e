/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The config loader: one fixture per error class with its exact error line, the example config
 * with its values, defaults, key files and their modes, file limits, and the print/load round
 * trip. Runs under ASan too, so every failed load is also a leak check.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "config.h"
#include "log.h"

#define N(table) (sizeof(table) / sizeof((table)[0]))

/* the example's node key pair (private key published in config/example.yaml, example only) */
static const char example_private[] = "eH7DtVGa47h1alT5BKgzj3/f5oB10kohQuivFP4Ojno=";
static const char example_public[] = "0j1AOxSWsncFmnFinRDEUOl3i+4pGIGCIDht5z5F9iQ=";
static const char peer_key[] = "93CDA/fXCFcG4Z3cH4AMf2pdQ34ykRTNtIqXMxVPJ24=";
static const char psk_text[] = "Dtgv8kzemMeUFaScgkx90nnMBNVh5Ya/tbgIWM/XxLU=";

struct error_case {
	const char *file;
	const char *error;
};

/* fixtures/<file> and the one line its load must fail with */
static const struct error_case fixture_cases[] = {
	{ "alias.yaml",
	  "alias.yaml:6:16: ports.public.addresses: anchors and aliases are not allowed "
	  "(a few aliases can expand into billions of nodes: the \"billion laughs\" bomb)" },
	{ "allowed_ips_overlap.yaml",
	  "allowed_ips_overlap.yaml:12:36: peers[1].allowed_ips[1]: 100.64.0.0/24 of "
	  "peer \"office\" overlaps 100.64.0.2/32 of peers[0] (\"laptop\")" },
	{ "allowed_ips_overlap_v6.yaml",
	  "allowed_ips_overlap_v6.yaml:12:19: peers[1].allowed_ips[0]: "
	  "fd7a:115c:a1e0:1::/64 of peer \"phone\" overlaps fd7a:115c:a1e0::/48 of "
	  "peers[0] (\"laptop\")" },
	{ "anchor_only.yaml",
	  "anchor_only.yaml:6:7: exit: anchors and aliases are not allowed (a few "
	  "aliases can expand into billions of nodes: the \"billion laughs\" bomb)" },
	{ "bad_address.yaml",
	  "bad_address.yaml:6:14: ports.public.gateway: bad address \"10.0.1.300\": number "
	  "over 255" },
	{ "bad_base64.yaml",
	  "bad_base64.yaml:8:17: peers[0].public_key: bad key: not the base64 of 32 bytes" },
	{ "bad_bool.yaml",
	  "bad_bool.yaml:7:12: exit.enabled: expected true or false, got \"yes\"" },
	{ "bad_cidr.yaml",
	  "bad_cidr.yaml:16:9: peers[2].allowed_ips[0]: bad CIDR \"10.0.0.1/33\": prefix "
	  "length over 32" },
	{ "bad_endpoint.yaml",
	  "bad_endpoint.yaml:8:15: peers[0].endpoint: bad endpoint \"2001:db8::7:41641\": "
	  "IPv6 endpoints are written [address]:port" },
	{ "bad_enum.yaml",
	  "bad_enum.yaml:7:9: dataplane.idle: bad value \"sleepy\" (expected one of: poll, "
	  "adaptive)" },
	{ "bad_gateway_family.yaml",
	  "bad_gateway_family.yaml:6:14: ports.public.gateway: bad address \"fd00::1\": "
	  "not an IPv4 address" },
	{ "bad_interface.yaml",
	  "bad_interface.yaml:3:14: node.interface: bad value \"exitgate-interface0\": "
	  "longer than 15 characters" },
	{ "bad_interface_chars.yaml",
	  "bad_interface_chars.yaml:3:14: node.interface: bad value \"eg 0\": interface "
	  "names use only A-Z a-z 0-9 _ . -" },
	{ "bad_key_hex.yaml",
	  "bad_key_hex.yaml:2:16: node.private_key: bad key: this is hex; keys are "
	  "written in base64 (44 characters, as wg genkey prints them)" },
	{ "bad_key_length.yaml",
	  "bad_key_length.yaml:8:17: peers[0].public_key: bad key: 43 characters, a key "
	  "is 44 (base64 of 32 bytes)" },
	{ "bad_mac.yaml",
	  "bad_mac.yaml:6:10: ports.public.mac: bad MAC address \"01:00:5e:00:00:01\": "
	  "multicast (the lowest bit of the first byte is set)" },
	{ "bad_mac_form.yaml",
	  "bad_mac_form.yaml:6:10: ports.public.mac: bad MAC address "
	  "\"02-00-00-00-01-0a\": expected six hex pairs separated by ':'" },
	{ "both_address_forms.yaml",
	  "both_address_forms.yaml:7:5: ports.public.addresses: both address and "
	  "addresses given; keep one" },
	{ "both_preshared_keys.yaml",
	  "both_preshared_keys.yaml:10:5: peers[0].preshared_key_file: both "
	  "preshared_key and preshared_key_file given; keep one" },
	{ "both_private_keys.yaml",
	  "both_private_keys.yaml:3:3: node.private_key_file: both private_key and "
	  "private_key_file given; keep one" },
	{ "cidr_host_bits.yaml",
	  "cidr_host_bits.yaml:8:19: peers[0].allowed_ips[0]: bad CIDR \"100.64.0.1/24\": "
	  "host bits set (did you mean 100.64.0.0/24?)" },
	{ "comments_only.yaml",
	  "comments_only.yaml:1:1: empty config: it needs at least the node and ports "
	  "sections" },
	{ "complex_key.yaml",
	  "complex_key.yaml:6:3: map keys must be plain names, got a list" },
	{ "control_in_string.yaml",
	  "control_in_string.yaml:7:9: dataplane.eal[0]: control character in a string" },
	{ "derp_cert_name.yaml",
	  "derp_cert_name.yaml:13:22: derp.regions[0].nodes[0].cert_name: bad value "
	  "\"sha256-raw:1234\": sha256-raw: takes 64 hex digits (the DER SHA-256)" },
	{ "derp_duplicate_node.yaml",
	  "derp_duplicate_node.yaml:13:22: derp.regions[1].nodes[0].name: node name "
	  "\"relay\" is also derp.regions[0].nodes[0]'s" },
	{ "derp_duplicate_region.yaml",
	  "derp_duplicate_region.yaml:11:18: derp.regions[1].region_id: region_id 900 is "
	  "also derp.regions[0]'s" },
	{ "derp_home_region.yaml",
	  "derp_home_region.yaml:7:16: derp.home_region: region 901 is not in "
	  "derp.regions" },
	{ "derp_ipv6.yaml",
	  "derp_ipv6.yaml:13:17: derp.regions[0].nodes[0].ipv6: bad value \"10.0.0.1\": "
	  "not an IPv6 address" },
	{ "derp_no_nodes.yaml",
	  "derp_no_nodes.yaml:10:14: derp.regions[0].nodes: must not be empty" },
	{ "derp_stun_port.yaml",
	  "derp_stun_port.yaml:13:22: derp.regions[0].nodes[0].stun_port: -2 out of "
	  "range -1..65535" },
	{ "duplicate_key.yaml",
	  "duplicate_key.yaml:9:3: exit.enabled: duplicate key \"enabled\" (first at line "
	  "7)" },
	{ "duplicate_peer_key.yaml",
	  "duplicate_peer_key.yaml:12:17: peers[2].public_key: same public key as "
	  "peers[0] (\"laptop\")" },
	{ "duplicate_peer_name.yaml",
	  "duplicate_peer_name.yaml:9:11: peers[1].name: name \"laptop\" is also peers[0]'s" },
	{ "duplicate_section.yaml",
	  "duplicate_section.yaml:8:1: log: duplicate key \"log\" (first at line 6)" },
	{ "empty.yaml",
	  "empty.yaml:1:1: empty config: it needs at least the node and ports sections" },
	{ "empty_device.yaml",
	  "empty_device.yaml:5:13: ports.public.device: must not be empty" },
	{ "empty_document.yaml",
	  "empty_document.yaml:1:1: empty config: it needs at least the node and ports "
	  "sections" },
	{ "invalid_utf8.yaml",
	  "invalid_utf8.yaml:7:14: peers[0].name: syntax error: incomplete UTF-8 octet "
	  "sequence" },
	{ "key_file_directory.yaml",
	  "key_file_directory.yaml:2:21: node.private_key_file: key file \".\" is not a "
	  "regular file" },
	{ "key_file_missing.yaml",
	  "key_file_missing.yaml:2:21: node.private_key_file: cannot read key file "
	  "\"/nonexistent/exitgate/private.key\": No such file or directory" },
	{ "leading_zero.yaml",
	  "leading_zero.yaml:7:10: dataplane.burst: bad number \"032\": leading zero (YAML "
	  "1.1 reads it as octal)" },
	{ "missing_device.yaml",
	  "missing_device.yaml:5:5: ports.public.device: required key missing" },
	{ "missing_node.yaml",
	  "missing_node.yaml:1:1: node: required key missing" },
	{ "missing_peer_public_key.yaml",
	  "missing_peer_public_key.yaml:9:5: peers[1].public_key: required key missing" },
	{ "missing_ports.yaml",
	  "missing_ports.yaml:1:1: ports: required key missing" },
	{ "missing_private_key.yaml",
	  "missing_private_key.yaml:2:3: node.private_key: required key missing (or give "
	  "private_key_file)" },
	{ "missing_public_port.yaml",
	  "missing_public_port.yaml:4:3: ports.public: required key missing" },
	{ "multiple_documents.yaml",
	  "multiple_documents.yaml:6:1: more than one YAML document (one config per file)" },
	{ "not_a_map_list.yaml",
	  "not_a_map_list.yaml:1:1: the document must be a map of sections (node, ports, "
	  "peers, ...), got a list" },
	{ "not_a_map_scalar.yaml",
	  "not_a_map_scalar.yaml:1:1: the document must be a map of sections (node, "
	  "ports, peers, ...), got a scalar" },
	{ "not_a_number.yaml",
	  "not_a_number.yaml:7:10: dataplane.burst: expected an unsigned integer, got "
	  "\"lots\"" },
	{ "not_power_of_two.yaml",
	  "not_power_of_two.yaml:7:19: dataplane.rx_descriptors: 1000 is not a power of "
	  "two (64..16384)" },
	{ "nul_in_string.yaml",
	  "nul_in_string.yaml:7:11: dataplane.lcores: NUL character in a string" },
	{ "null_string.yaml",
	  "null_string.yaml:7:10: dataplane.lcores: expected a string, got null (write "
	  "\"\" for an empty string)" },
	{ "number_out_of_range.yaml",
	  "number_out_of_range.yaml:7:12: dataplane.workers: 65 out of range 1..64" },
	{ "own_public_key.yaml",
	  "own_public_key.yaml:8:17: peers[0].public_key: this is the node's own public "
	  "key" },
	{ "port_mapping_twice.yaml",
	  "port_mapping_twice.yaml:7:29: nat_traversal.port_mapping[2]: \"pcp\" listed "
	  "twice" },
	{ "port_out_of_range.yaml",
	  "port_out_of_range.yaml:3:16: node.listen_port: 70000 out of range 1..65535" },
	{ "port_range_length.yaml",
	  "port_range_length.yaml:7:15: exit.port_range: expected a list of two ports "
	  "[low, high], got 1 item" },
	{ "port_range_order.yaml",
	  "port_range_order.yaml:7:15: exit.port_range: low port 60000 above high port "
	  "1024" },
	{ "port_zero.yaml",
	  "port_zero.yaml:8:15: peers[0].endpoint: bad endpoint \"198.51.100.7:0\": port "
	  "out of range 1..65535" },
	{ "same_device.yaml",
	  "same_device.yaml:7:13: ports.egress.device: same device as ports.public" },
	{ "sessions_per_peer.yaml",
	  "sessions_per_peer.yaml:8:22: exit.sessions_per_peer: 8192 is more than "
	  "exit.sessions (4096)" },
	{ "metrics_endpoint.yaml",
	  "metrics_endpoint.yaml:8:12: control.metrics: bad endpoint \"localhost:9586\": "
	  "expected four decimal numbers separated by dots" },
	{ "metrics_public.yaml",
	  "metrics_public.yaml:8:12: control.metrics: 10.0.1.10 is an address of ports.public: "
	  "metrics are never served on the public port" },
	{ "metrics_unspecified.yaml",
	  "metrics_unspecified.yaml:7:12: control.metrics: the unspecified address listens on "
	  "every interface, the public one too; name one address (e.g. 127.0.0.1:9586 or a "
	  "management address)" },
	{ "socket_path.yaml",
	  "socket_path.yaml:7:11: control.socket: bad value \"run/exitgate/control.sock\": "
	  "must be an absolute path" },
	{ "stun_server.yaml",
	  "stun_server.yaml:7:10: nat_traversal.stun[0]: bad value \"stun.lab.example\": "
	  "expected host:port" },
	{ "syntax_error.yaml",
	  "syntax_error.yaml:8:14: exit: syntax error: mapping values are not allowed in "
	  "this context" },
	{ "tailnet_auth_key_missing.yaml",
	  "tailnet_auth_key_missing.yaml:8:18: tailnet.auth_key_file: cannot read auth key file "
	  "\"/nonexistent/exitgate/tailnet-auth.key\": No such file or directory" },
	{ "tailnet_bool.yaml",
	  "tailnet_bool.yaml:8:24: tailnet.advertise_exit_node: expected true or false, got "
	  "\"yes\"" },
	{ "tailnet_hostname.yaml",
	  "tailnet_hostname.yaml:8:13: tailnet.hostname: bad value \"exit one\": not a valid "
	  "host name" },
	{ "tailnet_login_path.yaml",
	  "tailnet_login_path.yaml:7:17: tailnet.login_server: bad value "
	  "\"http://headscale.example/path\": no path, query or fragment after the host (the "
	  "client adds its own paths)" },
	{ "tailnet_login_server.yaml",
	  "tailnet_login_server.yaml:7:17: tailnet.login_server: bad value "
	  "\"ftp://headscale.example\": must start with http:// or https://" },
	{ "tailnet_missing_login.yaml",
	  "tailnet_missing_login.yaml:7:3: tailnet.login_server: required key missing" },
	{ "tailnet_state_dir.yaml",
	  "tailnet_state_dir.yaml:8:14: tailnet.state_dir: bad value \"var/lib/tailnet\": must "
	  "be an absolute path" },
	{ "tab_after_dash.yaml",
	  "tab_after_dash.yaml:7:4: peers[0]: tab character (YAML indents with spaces "
	  "only)" },
	{ "tab_indent.yaml",
	  "tab_indent.yaml:2:1: node: tab character (YAML indents with spaces only)" },
	{ "tag.yaml",
	  "tag.yaml:7:12: exit.enabled: YAML tags (!...) are not allowed" },
	{ "too_deep.yaml",
	  "too_deep.yaml:7:38: "
	  "dataplane.eal[0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0]"
	  "[0][0][0][0][0][0][0][0]: nesting deeper than 32 levels" },
	{ "unclosed_flow.yaml",
	  "unclosed_flow.yaml:8:1: dataplane.eal[2]: syntax error: did not find expected "
	  "',' or ']' (while parsing a flow sequence at line 7 column 8)" },
	{ "unknown_key.yaml",
	  "unknown_key.yaml:3:3: node: unknown key \"listen_prot\" (did you mean "
	  "\"listen_port\"?)" },
	{ "unknown_section.yaml",
	  "unknown_section.yaml:6:1: unknown key \"firewall\" (known keys: node, "
	  "dataplane, ports, exit, nat_traversal, derp, tailnet, peers, control, log)" },
	{ "wrong_type_list.yaml",
	  "wrong_type_list.yaml:1:7: node: expected a map, got a list" },
	{ "wrong_type_map.yaml",
	  "wrong_type_map.yaml:7:12: dataplane.workers: expected an unsigned integer, "
	  "got a map" },
	{ "wrong_type_scalar.yaml",
	  "wrong_type_scalar.yaml:6:8: peers: expected a list, got \"laptop\"" },
};

static void
test_fixtures(void **state)
{
	char error[CONFIG_ERROR_MAX];
	int mismatches = 0;

	(void)state;
	assert_int_equal(chdir(FIXTURE_DIR), 0);
	for (size_t i = 0; i < N(fixture_cases); i++) {
		const struct error_case *c = &fixture_cases[i];
		struct config *config;

		error[0] = '\0';
		config = config_load_file(c->file, error, sizeof(error));
		if (config != NULL) {
			print_error("%s: loaded, want error %s\n", c->file, c->error);
			config_free(config);
			mismatches++;
			continue;
		}
		if (strcmp(error, c->error) != 0) {
			print_error("%s:\n  got  %s\n  want %s\n", c->file, error, c->error);
			mismatches++;
		}
		if (strchr(error, '\n') != NULL) {
			print_error("%s: error is more than one line\n", c->file);
			mismatches++;
		}
	}
	assert_int_equal(mismatches, 0);
}

/* the same text from memory fails with the same line */
static void
test_fixtures_from_buffer(void **state)
{
	char error[CONFIG_ERROR_MAX], file_error[CONFIG_ERROR_MAX];
	static char text[CONFIG_MAX_FILE_SIZE + 1];

	(void)state;
	assert_int_equal(chdir(FIXTURE_DIR), 0);
	for (size_t i = 0; i < N(fixture_cases); i++) {
		FILE *f = fopen(fixture_cases[i].file, "rb");
		size_t length;

		assert_non_null(f);
		length = fread(text, 1, sizeof(text), f);
		fclose(f);
		assert_null(config_load_file(fixture_cases[i].file, file_error,
					     sizeof(file_error)));
		assert_null(config_load_buffer(fixture_cases[i].file, text, length, error,
					       sizeof(error)));
		assert_string_equal(error, file_error);
	}
}

/* Inline cases: suggestions at each level and a few more rules. */
static const struct error_case buffer_cases[] = {
	{ "node:\n  privat_key: x\n",
	  "t.yaml:2:3: node: unknown key \"privat_key\" (did you mean \"private_key\"?)" },
	{ "ports:\n  pubic: {device: x}\n",
	  "t.yaml:2:3: ports: unknown key \"pubic\" (did you mean \"public\"?)" },
	{ "ports:\n  public: {device: x, gatway: 10.0.0.1}\n",
	  "t.yaml:2:23: ports.public: unknown key \"gatway\" (did you mean \"gateway\"?)" },
	{ "peer: []\n", "t.yaml:1:1: unknown key \"peer\" (did you mean \"peers\"?)" },
	{ "exit:\n  timeouts: {tcp_establshed: 1}\n",
	  "t.yaml:2:14: exit.timeouts: unknown key \"tcp_establshed\" (did you mean "
	  "\"tcp_established\"?)" },
	{ "derp: {regions: [{region_id: 1, region_code: a, nodes: [{nam: x}]}]}\n",
	  "t.yaml:1:58: derp.regions[0].nodes[0]: unknown key \"nam\" (did you mean \"name\"?)" },
	{ "peers:\n  - {pubkey: x}\n",
	  "t.yaml:2:6: peers[0]: unknown key \"pubkey\" (known keys: name, public_key, "
	  "preshared_key, preshared_key_file, allowed_ips, endpoint, persistent_keepalive, "
	  "path, disco_key)" },
	{ "node: {mtu: 575}\n", "t.yaml:1:13: node.mtu: 575 out of range 576..9000" },
	{ "node: {mtu: 99999999999}\n",
	  "t.yaml:1:13: node.mtu: \"99999999999\" out of range 576..9000" },
	{ "node: {mtu: -1}\n", "t.yaml:1:13: node.mtu: expected an unsigned integer, got \"-1\"" },
	{ "node: {mtu: 0x600}\n",
	  "t.yaml:1:13: node.mtu: expected an unsigned integer, got \"0x600\"" },
	{ "ports: {public: {device: x, mtu: 9217}}\n",
	  "t.yaml:1:34: ports.public.mtu: 9217 out of range 576..9216" },
	{ "exit: {timeouts: {udp: 0}}\n",
	  "t.yaml:1:24: exit.timeouts.udp: 0 out of range 1..604800" },
	{ "exit: {sessions: 1023}\n",
	  "t.yaml:1:18: exit.sessions: 1023 out of range 1024..16777216" },
	{ "peers: [{persistent_keepalive: 65536}]\n",
	  "t.yaml:1:32: peers[0].persistent_keepalive: 65536 out of range 0..65535" },
	{ "peers: [{path: tunnel}]\n",
	  "t.yaml:1:16: peers[0].path: bad value \"tunnel\" (expected one of: auto, direct, "
	  "relay)" },
	{ "exit: {ipv6: nat}\n",
	  "t.yaml:1:14: exit.ipv6: bad value \"nat\" (expected one of: masquerade, routed)" },
	{ "exit: {ipv6: [routed]}\n",
	  "t.yaml:1:14: exit.ipv6: expected one of: masquerade, routed; got a list" },
	{ "dataplane: {handshake_queue: 131072}\n",
	  "t.yaml:1:30: dataplane.handshake_queue: 131072 out of range 64..65536" },
	{ "dataplane: {mbufs: 1022}\n",
	  "t.yaml:1:20: dataplane.mbufs: 1022 out of range 1023..4194303" },
	{ "dataplane: {burst: 257}\n", "t.yaml:1:20: dataplane.burst: 257 out of range 1..256" },
	{ "nat_traversal: {port_mapping: [upnp, igd]}\n",
	  "t.yaml:1:38: nat_traversal.port_mapping[1]: bad value \"igd\" (expected one of: natpmp, "
	  "pcp, upnp)" },
	{ "nat_traversal: {static_endpoints: [203.0.113.10]}\n",
	  "t.yaml:1:36: nat_traversal.static_endpoints[0]: bad endpoint \"203.0.113.10\": missing "
	  ":port" },
	{ "nat_traversal: {stun: [\"stun.example:99999\"]}\n",
	  "t.yaml:1:24: nat_traversal.stun[0]: bad value \"stun.example:99999\": port out of range "
	  "1..65535" },
	{ "nat_traversal: {stun: [\"-bad-.example:3478\"]}\n",
	  "t.yaml:1:24: nat_traversal.stun[0]: bad value \"-bad-.example:3478\": not a valid host "
	  "name" },
	{ "ports: {public: {device: x, gateway6: 10.0.0.1}}\n",
	  "t.yaml:1:39: ports.public.gateway6: bad address \"10.0.0.1\": not an IPv6 address" },
	{ "ports: {public: {device: x, kernel_tap: \"a/b\"}}\n",
	  "t.yaml:1:41: ports.public.kernel_tap: bad value \"a/b\": interface names use only A-Z "
	  "a-z 0-9 _ . -" },
	{ "ports: {public: {device: x, mac: \"00:00:00:00:00:00\"}}\n",
	  "t.yaml:1:34: ports.public.mac: bad MAC address \"00:00:00:00:00:00\": all zero" },
	{ "ports: {public: {device: x, address: 10.0.0.1/33}}\n",
	  "t.yaml:1:38: ports.public.address: bad CIDR \"10.0.0.1/33\": prefix length over 32" },
	{ "ports: {public: {device: x, addresses: 10.0.0.1/24}}\n",
	  "t.yaml:1:40: ports.public.addresses: expected a list, got \"10.0.0.1/24\"" },
	{ "control: {uapi_dir: var/run}\n",
	  "t.yaml:1:21: control.uapi_dir: bad value \"var/run\": must be an absolute path" },
	{ "derp: {regions: [{region_id: 0}]}\n",
	  "t.yaml:1:30: derp.regions[0].region_id: 0 out of range 1..65535" },
	{ "derp: {regions: [{region_id: 1, region_code: a, nodes: [{name: n, host_name: h, "
	  "derp_port: 65536}]}]}\n",
	  "t.yaml:1:92: derp.regions[0].nodes[0].derp_port: 65536 out of range 0..65535" },
	{ "derp: {regions: [{region_id: 1, region_code: a, nodes: [{name: n, host_name: h, "
	  "ipv4: bogus}]}]}\n",
	  "t.yaml:1:87: derp.regions[0].nodes[0].ipv4: bad value \"bogus\": expected \"\", "
	  "\"none\" or an address: expected four decimal numbers separated by dots" },
	{ "derp: {regions: [{region_id: 1, nodes: [{name: n, host_name: h}]}]}\n",
	  "t.yaml:1:18: derp.regions[0].region_code: required key missing" },
	{ "derp: {regions: [{region_id: 1, region_code: a, nodes: [{name: n}]}]}\n",
	  "t.yaml:1:57: derp.regions[0].nodes[0].host_name: required key missing" },
	{ "node: {interface: \"\"}\n", "t.yaml:1:19: node.interface: must not be empty" },
	{ "node: {private_key_file: \"\"}\n",
	  "t.yaml:1:26: node.private_key_file: must not be empty" },
	{ "node: {interface: \"..\"}\n",
	  "t.yaml:1:19: node.interface: bad value \"..\": \"..\" is not an interface name" },
	{ "node: ~\n", "t.yaml:1:7: node: expected a map, got null" },
	{ "[1, 2\n", "t.yaml:2:1: [2]: syntax error: did not find expected ',' or ']' (while "
		     "parsing a flow sequence at line 1 column 1)" },
};

static void
test_buffer_errors(void **state)
{
	char error[CONFIG_ERROR_MAX];
	int mismatches = 0;

	(void)state;
	for (size_t i = 0; i < N(buffer_cases); i++) {
		const struct error_case *c = &buffer_cases[i];
		struct config *config = config_load_buffer("t.yaml", c->file, strlen(c->file),
							   error, sizeof(error));

		if (config != NULL) {
			print_error("loaded:\n%s", c->file);
			config_free(config);
			mismatches++;
		} else if (strcmp(error, c->error) != 0) {
			print_error("%s  got  %s\n  want %s\n", c->file, error, c->error);
			mismatches++;
		}
	}
	assert_int_equal(mismatches, 0);
}

static char *
format_key(const uint8_t key[KEY_LEN], char buf[KEY_BASE64_LEN + 1])
{
	key_to_base64(buf, key);
	return buf;
}

static void
test_example(void **state)
{
	char error[CONFIG_ERROR_MAX], key[KEY_BASE64_LEN + 1], text[NETADDR_TEXT_MAX];
	struct config *c = config_load_file(EXAMPLE_PATH, error, sizeof(error));
	const struct config_port *pub, *egress, *inner;
	const struct config_derp_node *relay;

	(void)state;
	if (c == NULL)
		fail_msg("%s", error);
	assert_string_equal(c->source_path, EXAMPLE_PATH);
	assert_string_equal(format_key(c->node.private_key, key), example_private);
	assert_string_equal(format_key(c->node.public_key, key), example_public);
	assert_null(c->node.private_key_file);
	assert_int_equal(c->node.listen_port, 41641);
	assert_string_equal(c->node.interface, "eg0");
	assert_int_equal(c->node.mtu, 1420);

	assert_int_equal(c->dataplane.workers, 1);
	assert_int_equal(c->dataplane.idle, CONFIG_IDLE_ADAPTIVE);
	assert_string_equal(c->dataplane.lcores, "0-1");
	assert_int_equal(c->dataplane.eal_count, 4);
	assert_string_equal(c->dataplane.eal[0], "--no-huge");
	assert_string_equal(c->dataplane.eal[3], "--no-pci");
	assert_int_equal(c->dataplane.mbufs, 16383);
	assert_int_equal(c->dataplane.rx_descriptors, 1024);
	assert_int_equal(c->dataplane.tx_descriptors, 1024);
	assert_int_equal(c->dataplane.burst, 32);
	assert_int_equal(c->dataplane.handshake_queue, 4096);

	pub = &c->ports[CONFIG_PORT_PUBLIC];
	egress = &c->ports[CONFIG_PORT_EGRESS];
	inner = &c->ports[CONFIG_PORT_INNER];
	assert_true(pub->present && egress->present && inner->present);
	assert_string_equal(pub->device, "net_af_packet0,iface=veth-pub");
	assert_int_equal(pub->address_count, 2);
	assert_string_equal(netprefix_format(&pub->addresses[0], text, sizeof(text)),
			    "10.0.1.10/24");
	assert_string_equal(netprefix_format(&pub->addresses[1], text, sizeof(text)),
			    "fd00:1::10/64");
	assert_string_equal(netaddr_format(&pub->gateway, text, sizeof(text)), "10.0.1.1");
	assert_string_equal(netaddr_format(&pub->gateway6, text, sizeof(text)), "fd00:1::1");
	assert_int_equal(pub->mtu, 1500);
	assert_string_equal(pub->kernel_tap, "egtap-pub");
	assert_true(pub->mac_set);
	assert_int_equal(pub->mac[0], 0x02);
	assert_int_equal(pub->mac[5], 0x0a);
	/* the address shorthand */
	assert_int_equal(egress->address_count, 1);
	assert_string_equal(netprefix_format(&egress->addresses[0], text, sizeof(text)),
			    "10.0.2.10/24");
	assert_int_equal(egress->gateway6.family, 0);
	assert_false(egress->mac_set);
	assert_string_equal(inner->device, "net_tap0,iface=eg0in");
	assert_int_equal(inner->gateway.family, 0);

	assert_true(c->exit.enabled);
	assert_true(c->exit.masquerade);
	assert_int_equal(c->exit.ipv6, CONFIG_IPV6_MASQUERADE);
	assert_true(c->exit.mss_clamp);
	assert_int_equal(c->exit.port_min, 1024);
	assert_int_equal(c->exit.port_max, 32767);
	assert_int_equal(c->exit.sessions, 262144);
	assert_int_equal(c->exit.sessions_per_peer, 16384);
	assert_int_equal(c->exit.timeout_tcp_established, 7200);
	assert_int_equal(c->exit.timeout_tcp_transitory, 240);
	assert_int_equal(c->exit.timeout_udp, 120);
	assert_int_equal(c->exit.timeout_icmp, 30);

	assert_int_equal(c->nat_traversal.stun_count, 2);
	assert_string_equal(c->nat_traversal.stun[0], "stun.lab.example:3478");
	assert_int_equal(c->nat_traversal.port_mapping_count, 3);
	assert_int_equal(c->nat_traversal.port_mapping[0], CONFIG_PORTMAP_PCP);
	assert_int_equal(c->nat_traversal.port_mapping[1], CONFIG_PORTMAP_NATPMP);
	assert_int_equal(c->nat_traversal.port_mapping[2], CONFIG_PORTMAP_UPNP);
	assert_int_equal(c->nat_traversal.static_endpoint_count, 1);
	assert_string_equal(netendpoint_format(&c->nat_traversal.static_endpoints[0], text,
					       sizeof(text)),
			    "203.0.113.10:41641");

	assert_int_equal(c->derp.home_region, 900);
	assert_int_equal(c->derp.region_count, 1);
	assert_int_equal(c->derp.regions[0].region_id, 900);
	assert_string_equal(c->derp.regions[0].region_code, "lab");
	assert_string_equal(c->derp.regions[0].region_name, "Lab relay");
	assert_int_equal(c->derp.regions[0].node_count, 1);
	relay = &c->derp.regions[0].nodes[0];
	assert_string_equal(relay->name, "lab1");
	assert_string_equal(relay->host_name, "derp.lab.example");
	assert_string_equal(relay->cert_name, "sha256-raw:543346102cd92ceb475fc1c50c1bf293b477d6e4"
					      "9454c324ac2bcf9be059a354");
	assert_string_equal(relay->ipv4, "10.0.1.1");
	assert_string_equal(relay->ipv6, "none");
	assert_int_equal(relay->stun_port, 3478);
	assert_false(relay->stun_only);
	assert_int_equal(relay->derp_port, 443);
	assert_false(relay->can_port80);

	assert_int_equal(c->peer_count, 2);
	assert_string_equal(c->peers[0].name, "laptop");
	assert_string_equal(format_key(c->peers[0].public_key, key), peer_key);
	assert_true(c->peers[0].has_preshared_key);
	assert_string_equal(format_key(c->peers[0].preshared_key, key), psk_text);
	assert_null(c->peers[0].preshared_key_file);
	assert_int_equal(c->peers[0].allowed_ip_count, 2);
	assert_string_equal(netprefix_format(&c->peers[0].allowed_ips[1], text, sizeof(text)),
			    "fd7a:115c:a1e0::2/128");
	assert_true(c->peers[0].has_endpoint);
	assert_string_equal(netendpoint_format(&c->peers[0].endpoint, text, sizeof(text)),
			    "198.51.100.7:41641");
	assert_int_equal(c->peers[0].persistent_keepalive, 25);
	assert_int_equal(c->peers[0].path, CONFIG_PATH_DIRECT);
	assert_false(c->peers[1].has_preshared_key);
	assert_string_equal(netendpoint_format(&c->peers[1].endpoint, text, sizeof(text)),
			    "[2001:db8::7]:41641");
	assert_int_equal(c->peers[1].path, CONFIG_PATH_AUTO);

	assert_string_equal(c->control.socket, "/run/exitgate/control.sock");
	assert_string_equal(c->control.uapi_dir, "/var/run/wireguard");
	assert_int_equal(c->log_level, LOG_LEVEL_INFO);

	assert_ptr_equal(config_find_peer(c, c->peers[1].public_key), &c->peers[1]);
	assert_null(config_find_peer(c, c->node.public_key));
	assert_string_equal(config_port_role_name(CONFIG_PORT_PUBLIC), "public");
	assert_string_equal(config_port_role_name(CONFIG_PORT_EGRESS), "egress");
	assert_string_equal(config_port_role_name(CONFIG_PORT_INNER), "inner");
	assert_true(c->tailnet.present);
	assert_string_equal(c->tailnet.login_server, "https://headscale.lab.example");
	assert_null(c->tailnet.auth_key_file);
	assert_string_equal(c->tailnet.hostname, "exit1");
	assert_string_equal(c->tailnet.state_dir, "/var/lib/exitgate/tailnet");
	assert_true(c->tailnet.advertise_exit_node);
	config_free(c);
}

/* a minimal config: every default as config/schema.md lists it */
static void
test_defaults(void **state)
{
	static const char text[] = "node:\n  private_key: \"dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7p"
				   "R25LCo=\"\nports:\n  public:\n    device: net_null0\n";
	char error[CONFIG_ERROR_MAX], key[KEY_BASE64_LEN + 1];
	struct config *c = config_load_buffer("min.yaml", text, strlen(text), error, sizeof(error));
	const struct config_port *pub;

	(void)state;
	if (c == NULL)
		fail_msg("%s", error);
	/* RFC 7748 6.1: the public key of Alice's private key */
	assert_string_equal(format_key(c->node.public_key, key),
			    "hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo=");
	assert_int_equal(c->node.listen_port, 41641);
	assert_string_equal(c->node.interface, "eg0");
	assert_int_equal(c->node.mtu, 1420);
	assert_int_equal(c->dataplane.workers, 1);
	assert_int_equal(c->dataplane.idle, CONFIG_IDLE_POLL);
	assert_string_equal(c->dataplane.lcores, "");
	assert_int_equal(c->dataplane.eal_count, 0);
	assert_null(c->dataplane.eal);
	assert_int_equal(c->dataplane.mbufs, 16383);
	assert_int_equal(c->dataplane.rx_descriptors, 1024);
	assert_int_equal(c->dataplane.tx_descriptors, 1024);
	assert_int_equal(c->dataplane.burst, 32);
	assert_int_equal(c->dataplane.handshake_queue, 4096);
	pub = &c->ports[CONFIG_PORT_PUBLIC];
	assert_true(pub->present);
	assert_false(c->ports[CONFIG_PORT_EGRESS].present);
	assert_false(c->ports[CONFIG_PORT_INNER].present);
	assert_int_equal(pub->address_count, 0);
	assert_int_equal(pub->gateway.family, 0);
	assert_int_equal(pub->gateway6.family, 0);
	assert_int_equal(pub->mtu, 1500);
	assert_string_equal(pub->kernel_tap, "");
	assert_false(pub->mac_set);
	assert_false(c->exit.enabled);
	assert_true(c->exit.masquerade);
	assert_int_equal(c->exit.ipv6, CONFIG_IPV6_MASQUERADE);
	assert_true(c->exit.mss_clamp);
	assert_int_equal(c->exit.port_min, 1024);
	assert_int_equal(c->exit.port_max, 32767);
	assert_int_equal(c->exit.sessions, 262144);
	assert_int_equal(c->exit.sessions_per_peer, 16384);
	assert_int_equal(c->exit.timeout_tcp_established, 7200);
	assert_int_equal(c->exit.timeout_tcp_transitory, 240);
	assert_int_equal(c->exit.timeout_udp, 120);
	assert_int_equal(c->exit.timeout_icmp, 30);
	assert_int_equal(c->nat_traversal.stun_count, 0);
	assert_int_equal(c->nat_traversal.port_mapping_count, 0);
	assert_int_equal(c->nat_traversal.static_endpoint_count, 0);
	assert_int_equal(c->derp.home_region, 0);
	assert_int_equal(c->derp.region_count, 0);
	assert_false(c->tailnet.present);
	assert_int_equal(c->peer_count, 0);
	assert_string_equal(c->control.socket, "/run/exitgate/control.sock");
	assert_string_equal(c->control.uapi_dir, "/var/run/wireguard");
	assert_int_equal(c->log_level, LOG_LEVEL_INFO);
	config_free(c);
}

/* defaults inside list items and optional maps, and null as "none" */
static void
test_item_defaults_and_nulls(void **state)
{
	static const char text[] =
		"node: {private_key: \"dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo=\", "
		"private_key_file: null}\n"
		"ports:\n  public: {device: a, gateway: ~, mac: null}\n  egress: {device: b}\n"
		"  inner: null\n"
		"derp:\n  regions:\n    - {region_id: 901, region_code: lab, region_name: ~,\n"
		"       nodes: [{name: n1, host_name: derp.example}]}\n"
		"peers:\n  - public_key: \"93CDA/fXCFcG4Z3cH4AMf2pdQ34ykRTNtIqXMxVPJ24=\"\n"
		"    endpoint: null\n    preshared_key: ~\n"
		"  - name: ~\n    public_key: \"00UR5ZwUMv5M9sjQtLJvCvXu8AhPSRVsjp+szYoKUms=\"\n";
	char error[CONFIG_ERROR_MAX];
	struct config *c = config_load_buffer("t.yaml", text, strlen(text), error, sizeof(error));
	const struct config_derp_node *relay;

	(void)state;
	if (c == NULL)
		fail_msg("%s", error);
	assert_true(c->ports[CONFIG_PORT_EGRESS].present);
	assert_int_equal(c->ports[CONFIG_PORT_EGRESS].mtu, 1500);
	assert_string_equal(c->ports[CONFIG_PORT_EGRESS].kernel_tap, "");
	assert_false(c->ports[CONFIG_PORT_INNER].present);
	assert_int_equal(c->ports[CONFIG_PORT_PUBLIC].gateway.family, 0);
	assert_string_equal(c->derp.regions[0].region_name, "lab");
	relay = &c->derp.regions[0].nodes[0];
	assert_string_equal(relay->cert_name, "");
	assert_string_equal(relay->ipv4, "");
	assert_string_equal(relay->ipv6, "");
	assert_int_equal(relay->stun_port, 0);
	assert_int_equal(relay->derp_port, 0);
	assert_string_equal(c->peers[0].name, "peer0");
	assert_string_equal(c->peers[1].name, "peer1");
	assert_false(c->peers[0].has_endpoint);
	assert_false(c->peers[0].has_preshared_key);
	assert_int_equal(c->peers[0].allowed_ip_count, 0);
	assert_int_equal(c->peers[0].persistent_keepalive, 0);
	assert_int_equal(c->peers[0].path, CONFIG_PATH_AUTO);
	config_free(c);
}

static char *
print_to_string(const struct config *c, bool show_secrets)
{
	char *text = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&text, &size);

	assert_non_null(f);
	config_print(c, f, show_secrets);
	assert_int_equal(fclose(f), 0);
	return text;
}

/* the text after the first line (which names the source) */
static const char *
after_first_line(const char *text)
{
	const char *newline = strchr(text, '\n');

	assert_non_null(newline);
	return newline + 1;
}

/* print -> load -> equal struct; and printing that again gives the same text */
static void
round_trip(const struct config *c)
{
	char error[CONFIG_ERROR_MAX];
	char *printed = print_to_string(c, true), *again;
	struct config *back = config_load_buffer("printed.yaml", printed, strlen(printed), error,
						 sizeof(error));

	if (back == NULL)
		fail_msg("printed config does not load: %s\n%s", error, printed);
	assert_true(config_equal(c, back));
	again = print_to_string(back, true);
	assert_string_equal(after_first_line(printed), after_first_line(again));
	config_free(back);
	sodium_memzero(printed, strlen(printed));
	free(printed);
	sodium_memzero(again, strlen(again));
	free(again);
}

static void
test_round_trip_example(void **state)
{
	char error[CONFIG_ERROR_MAX];
	struct config *c = config_load_file(EXAMPLE_PATH, error, sizeof(error));

	(void)state;
	if (c == NULL)
		fail_msg("%s", error);
	round_trip(c);
	config_free(c);
}

/* names with characters YAML must escape or may fold survive the round trip */
static void
test_round_trip_strings(void **state)
{
	static const char text[] =
		"node: {private_key: \"dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo=\"}\n"
		"ports: {public: {device: \"net_af_packet0,iface=veth\\\"x\\\\y\"}}\n"
		"dataplane: {eal: [\"--vdev=net_ring0\", \"#not-a-comment\", \"a: b\", \"\", "
		"\"yes\", \"~\", \"123\"]}\n"
		"peers:\n"
		"  - {name: \"Zo\\u00eb's laptop \\u2615\", public_key: "
		"\"93CDA/fXCFcG4Z3cH4AMf2pdQ34ykRTNtIqXMxVPJ24=\"}\n"
		"  - {name: \"line\\u2028sep\\u0085nel\\ufeffbom\\U0001F600\", public_key: "
		"\"00UR5ZwUMv5M9sjQtLJvCvXu8AhPSRVsjp+szYoKUms=\"}\n";
	char error[CONFIG_ERROR_MAX];
	struct config *c = config_load_buffer("t.yaml", text, strlen(text), error, sizeof(error));

	(void)state;
	if (c == NULL)
		fail_msg("%s", error);
	assert_string_equal(c->peers[0].name, "Zo\xc3\xab's laptop \xe2\x98\x95");
	assert_string_equal(c->ports[CONFIG_PORT_PUBLIC].device, "net_af_packet0,iface=veth\"x\\y");
	assert_string_equal(c->dataplane.eal[4], "yes");
	round_trip(c);
	config_free(c);
}

static void
test_print_hides_secrets(void **state)
{
	char error[CONFIG_ERROR_MAX];
	struct config *c = config_load_file(EXAMPLE_PATH, error, sizeof(error));
	char *hidden, *shown;

	(void)state;
	if (c == NULL)
		fail_msg("%s", error);
	hidden = print_to_string(c, false);
	assert_null(strstr(hidden, example_private));
	assert_null(strstr(hidden, psk_text));
	assert_non_null(strstr(hidden, "  private_key: (hidden)\n"));
	assert_non_null(strstr(hidden, "    preshared_key: (hidden)\n"));
	assert_non_null(strstr(hidden, example_public));
	assert_non_null(strstr(hidden, peer_key));
	shown = print_to_string(c, true);
	assert_non_null(strstr(shown, example_private));
	assert_non_null(strstr(shown, psk_text));
	free(hidden);
	sodium_memzero(shown, strlen(shown));
	free(shown);
	config_free(c);
}

static void
test_equal_sees_changes(void **state)
{
	char error[CONFIG_ERROR_MAX];
	struct config *a = config_load_file(EXAMPLE_PATH, error, sizeof(error));
	struct config *b = config_load_file(EXAMPLE_PATH, error, sizeof(error));

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	assert_true(config_equal(a, b));
	b->peers[1].persistent_keepalive = 10;
	assert_false(config_equal(a, b));
	b->peers[1].persistent_keepalive = a->peers[1].persistent_keepalive;
	b->peers[0].preshared_key[7] ^= 1;
	assert_false(config_equal(a, b));
	b->peers[0].preshared_key[7] ^= 1;
	b->ports[CONFIG_PORT_PUBLIC].addresses[1].len = 65;
	assert_false(config_equal(a, b));
	b->ports[CONFIG_PORT_PUBLIC].addresses[1].len = 64;
	b->ports[CONFIG_PORT_INNER].present = false;
	assert_false(config_equal(a, b));
	b->ports[CONFIG_PORT_INNER].present = true;
	b->dataplane.eal_count--;
	assert_false(config_equal(a, b));
	b->dataplane.eal_count++;
	assert_true(config_equal(a, b));
	config_free(a);
	config_free(b);
}

/* A scratch directory with a config and key files. */
struct scratch {
	char dir[64];
	char config[128];
	char key[128];
	char psk[128];
};

static void
write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static int
scratch_setup(void **state)
{
	struct scratch *s = calloc(1, sizeof(*s));

	assert_non_null(s);
	snprintf(s->dir, sizeof(s->dir), "/tmp/exitgate-config-test-XXXXXX");
	assert_non_null(mkdtemp(s->dir));
	snprintf(s->config, sizeof(s->config), "%s/exitgate.yaml", s->dir);
	snprintf(s->key, sizeof(s->key), "%s/private.key", s->dir);
	snprintf(s->psk, sizeof(s->psk), "%s/laptop.psk", s->dir);
	*state = s;
	return 0;
}

static int
scratch_teardown(void **state)
{
	struct scratch *s = *state;

	unlink(s->config);
	unlink(s->key);
	unlink(s->psk);
	rmdir(s->dir);
	free(s);
	return 0;
}

static void
write_key_config(const struct scratch *s, const char *key_path, const char *psk_path)
{
	char text[1024];

	snprintf(text, sizeof(text),
		 "node:\n  private_key_file: %s\nports:\n  public:\n    device: net_null0\n"
		 "peers:\n  - name: laptop\n    public_key: \"%s\"\n    preshared_key_file: %s\n",
		 key_path, peer_key, psk_path);
	write_file(s->config, text, 0644);
}

static void
test_key_files(void **state)
{
	const struct scratch *s = *state;
	char error[CONFIG_ERROR_MAX], key[KEY_BASE64_LEN + 1], line[160];
	struct config *c;

	write_key_config(s, s->key, s->psk);
	snprintf(line, sizeof(line), "%s\n", example_private);
	write_file(s->key, line, 0600);
	write_file(s->psk, psk_text, 0400); /* no newline: also fine */
	c = config_load_file(s->config, error, sizeof(error));
	if (c == NULL)
		fail_msg("%s", error);
	assert_string_equal(c->node.private_key_file, s->key);
	assert_string_equal(format_key(c->node.private_key, key), example_private);
	assert_string_equal(format_key(c->node.public_key, key), example_public);
	assert_true(c->peers[0].has_preshared_key);
	assert_string_equal(c->peers[0].preshared_key_file, s->psk);
	assert_string_equal(format_key(c->peers[0].preshared_key, key), psk_text);
	round_trip(c);
	config_free(c);

	/* relative names start at the config's directory, wherever the loader runs */
	write_key_config(s, "private.key", "./laptop.psk");
	assert_int_equal(chdir("/"), 0);
	c = config_load_file(s->config, error, sizeof(error));
	if (c == NULL)
		fail_msg("%s", error);
	assert_string_equal(c->node.private_key_file, "private.key");
	assert_string_equal(format_key(c->node.public_key, key), example_public);
	config_free(c);
}

static void
test_key_file_modes(void **state)
{
	static const mode_t refused[] = { 0644, 0640, 0604, 0620, 0602, 0610, 0601, 0660, 0666 };
	static const mode_t accepted[] = { 0600, 0400 };
	const struct scratch *s = *state;
	char error[CONFIG_ERROR_MAX], want[CONFIG_ERROR_MAX];
	struct config *c;

	write_key_config(s, s->key, s->psk);
	write_file(s->psk, psk_text, 0600);
	for (size_t i = 0; i < N(refused); i++) {
		write_file(s->key, example_private, refused[i]);
		c = config_load_file(s->config, error, sizeof(error));
		assert_null(c);
		snprintf(want, sizeof(want),
			 "%s:2:21: node.private_key_file: key file \"%s\" has mode %04o: group or "
			 "others can access it; fix with chmod 600 %s",
			 s->config, s->key, (unsigned int)refused[i], s->key);
		assert_string_equal(error, want);
	}
	/* the same rule for preshared key files */
	write_file(s->key, example_private, 0600);
	write_file(s->psk, psk_text, 0640);
	assert_null(config_load_file(s->config, error, sizeof(error)));
	snprintf(want, sizeof(want),
		 "%s:9:25: peers[0].preshared_key_file: key file \"%s\" has mode 0640: group or "
		 "others can access it; fix with chmod 600 %s",
		 s->config, s->psk, s->psk);
	assert_string_equal(error, want);
	write_file(s->psk, psk_text, 0600);
	for (size_t i = 0; i < N(accepted); i++) {
		assert_int_equal(chmod(s->key, accepted[i]), 0);
		c = config_load_file(s->config, error, sizeof(error));
		if (c == NULL)
			fail_msg("mode %04o: %s", (unsigned int)accepted[i], error);
		config_free(c);
	}
	/* mode 0000 passes the mode rule; whether it can be read depends on who reads it */
	assert_int_equal(chmod(s->key, 0), 0);
	c = config_load_file(s->config, error, sizeof(error));
	if (geteuid() == 0) {
		assert_non_null(c); /* root reads it anyway */
		config_free(c);
	} else {
		assert_null(c);
		snprintf(want, sizeof(want),
			 "%s:2:21: node.private_key_file: cannot read key file \"%s\": Permission "
			 "denied",
			 s->config, s->key);
		assert_string_equal(error, want);
	}
}

/* the tailnet's auth key file: the key file mode rule, one token per file */
static void
test_tailnet_auth_key_file(void **state)
{
	const struct scratch *s = *state;
	char error[CONFIG_ERROR_MAX], want[CONFIG_ERROR_MAX], text[512];
	struct config *c;

	snprintf(text, sizeof(text),
		 "node:\n  private_key: \"%s\"\nports:\n  public:\n    device: net_null0\n"
		 "tailnet:\n  login_server: \"http://[fd00::1]:8080/\"\n  auth_key_file: %s\n"
		 "  state_dir: %s\n",
		 example_private, s->psk, s->dir);
	write_file(s->config, text, 0644);
	write_file(s->psk, "hskey-auth-x1_Y2-z3\n", 0600);
	c = config_load_file(s->config, error, sizeof(error));
	if (c == NULL)
		fail_msg("%s", error);
	assert_true(c->tailnet.present);
	assert_string_equal(c->tailnet.auth_key_file, s->psk);
	assert_string_equal(c->tailnet.login_server, "http://[fd00::1]:8080/");
	assert_string_equal(c->tailnet.hostname, "");
	assert_false(c->tailnet.advertise_exit_node);
	round_trip(c);
	config_free(c);
	write_file(s->psk, "hskey-auth-x1_Y2-z3\n", 0640);
	assert_null(config_load_file(s->config, error, sizeof(error)));
	snprintf(want, sizeof(want),
		 "%s:8:18: tailnet.auth_key_file: auth key file \"%s\" has mode 0640: group or "
		 "others can access it; fix with chmod 600 %s",
		 s->config, s->psk, s->psk);
	assert_string_equal(error, want);
	write_file(s->psk, "two words\n", 0600);
	assert_null(config_load_file(s->config, error, sizeof(error)));
	snprintf(want, sizeof(want),
		 "%s:8:18: tailnet.auth_key_file: auth key file %s does not hold one token (one "
		 "line of printable characters without spaces)",
		 s->config, s->psk);
	assert_string_equal(error, want);
}

static void
test_key_file_contents(void **state)
{
	static const char *const bad[] = {
		"",
		"\n",
		"eH7DtVGa47h1alT5BKgzj3/f5oB10kohQuivFP4Ojno=\n\n",
		"eH7DtVGa47h1alT5BKgzj3/f5oB10kohQuivFP4Ojno=\r\n",
		" eH7DtVGa47h1alT5BKgzj3/f5oB10kohQuivFP4Ojno=",
		"eH7DtVGa47h1alT5BKgzj3/f5oB10kohQuivFP4Ojno",
		"77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a\n",
		"-----BEGIN PRIVATE KEY-----\n"
		"MC4CAQAwBQYDK2VuBCIEIHcHbQpzGKV9PBbBclGyZkXfTC+H68CZKrF3+6UduSwq\n"
		"-----END PRIVATE KEY-----\n",
	};
	const struct scratch *s = *state;
	char error[CONFIG_ERROR_MAX], want[CONFIG_ERROR_MAX];

	write_key_config(s, s->key, s->psk);
	write_file(s->psk, psk_text, 0600);
	snprintf(want, sizeof(want),
		 "%s:2:21: node.private_key_file: key file \"%s\" does not hold one base64 key (44 "
		 "characters and an optional newline)",
		 s->config, s->key);
	for (size_t i = 0; i < N(bad); i++) {
		write_file(s->key, bad[i], 0600);
		assert_null(config_load_file(s->config, error, sizeof(error)));
		assert_string_equal(error, want);
	}
}

static void
test_file_errors(void **state)
{
	const struct scratch *s = *state;
	char error[CONFIG_ERROR_MAX], want[CONFIG_ERROR_MAX];
	static char big[CONFIG_MAX_FILE_SIZE + 1];
	struct config *c;
	size_t head;
	FILE *f;

	assert_null(config_load_file("/nonexistent/exitgate.yaml", error, sizeof(error)));
	assert_string_equal(error,
			    "/nonexistent/exitgate.yaml: cannot read: No such file or directory");
	assert_null(config_load_file(s->dir, error, sizeof(error)));
	snprintf(want, sizeof(want), "%s: cannot read: Is a directory", s->dir);
	assert_string_equal(error, want);

	/* exactly 1 MiB loads (a valid config padded with a comment); one byte more does not */
	head = (size_t)snprintf(big, sizeof(big),
				"node: {private_key: \"%s\"}\nports: {public: {device: x}}\n#",
				example_private);
	memset(big + head, 'x', CONFIG_MAX_FILE_SIZE - head - 1);
	big[CONFIG_MAX_FILE_SIZE - 1] = '\n';
	f = fopen(s->config, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(big, 1, CONFIG_MAX_FILE_SIZE, f), CONFIG_MAX_FILE_SIZE);
	fclose(f);
	c = config_load_file(s->config, error, sizeof(error));
	if (c == NULL)
		fail_msg("%s", error);
	config_free(c);
	c = config_load_buffer("big.yaml", big, CONFIG_MAX_FILE_SIZE, error, sizeof(error));
	if (c == NULL)
		fail_msg("%s", error);
	config_free(c);
	f = fopen(s->config, "ab");
	assert_non_null(f);
	fputc('\n', f);
	fclose(f);
	assert_null(config_load_file(s->config, error, sizeof(error)));
	snprintf(want, sizeof(want), "%s:1:1: file is 1048577 bytes, over the limit of 1048576 "
				     "(1 MiB)",
		 s->config);
	assert_string_equal(error, want);
	big[CONFIG_MAX_FILE_SIZE] = '\n';
	assert_null(config_load_buffer("big.yaml", big, CONFIG_MAX_FILE_SIZE + 1, error,
				       sizeof(error)));
	assert_string_equal(error, "big.yaml:1:1: file is 1048577 bytes, over the limit of "
				   "1048576 (1 MiB)");
}

/* a short error buffer gets a cut but terminated line */
static void
test_error_buffer_size(void **state)
{
	static const char text[] = "node: {listen_prot: 1}\n";
	char error[16];

	(void)state;
	memset(error, 'z', sizeof(error));
	assert_null(config_load_buffer("t.yaml", text, strlen(text), error, sizeof(error)));
	assert_string_equal(error, "t.yaml:1:8: nod");
	assert_null(config_load_buffer("t.yaml", text, strlen(text), NULL, 0));
}

/* Many peers load fast: the overlap and uniqueness checks sort rather than compare pairs. */
static void
test_many_peers(void **state)
{
	enum { PEERS = 4000 };
	size_t size = 128 + PEERS * 128, used;
	char *text = malloc(size), error[CONFIG_ERROR_MAX], key[KEY_BASE64_LEN + 1];
	uint8_t raw[KEY_LEN] = { 0 };
	struct config *c;

	(void)state;
	assert_non_null(text);
	used = (size_t)snprintf(text, size,
				"node: {private_key: \"%s\"}\n"
				"ports: {public: {device: x}}\npeers:\n",
				example_private);
	for (unsigned int i = 0; i < PEERS; i++) {
		raw[0] = (uint8_t)(i & 0xff);
		raw[1] = (uint8_t)(i >> 8);
		key_to_base64(key, raw);
		used += (size_t)snprintf(text + used, size - used,
					 "  - {public_key: \"%s\", allowed_ips: [10.%u.%u.0/24]}\n",
					 key, i >> 8, i & 0xff);
	}
	c = config_load_buffer("many.yaml", text, used, error, sizeof(error));
	if (c == NULL)
		fail_msg("%s", error);
	assert_int_equal(c->peer_count, PEERS);
	config_free(c);
	/* the last peer claims a prefix inside the first peer's */
	used += (size_t)snprintf(text + used, size - used,
				 "  - {public_key: \"%s\", allowed_ips: [10.0.0.128/25]}\n",
				 peer_key);
	assert_null(config_load_buffer("many.yaml", text, used, error, sizeof(error)));
	assert_string_equal(error, "many.yaml:4004:80: peers[4000].allowed_ips[0]: 10.0.0.128/25 "
				   "of peer \"peer4000\" overlaps 10.0.0.0/24 of peers[0] "
				   "(\"peer0\")");
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixtures),
		cmocka_unit_test(test_fixtures_from_buffer),
		cmocka_unit_test(test_buffer_errors),
		cmocka_unit_test(test_example),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_item_defaults_and_nulls),
		cmocka_unit_test(test_round_trip_example),
		cmocka_unit_test(test_round_trip_strings),
		cmocka_unit_test(test_print_hides_secrets),
		cmocka_unit_test(test_equal_sees_changes),
		cmocka_unit_test_setup_teardown(test_key_files, scratch_setup, scratch_teardown),
		cmocka_unit_test_setup_teardown(test_key_file_modes, scratch_setup,
						scratch_teardown),
		cmocka_unit_test_setup_teardown(test_key_file_contents, scratch_setup,
						scratch_teardown),
		cmocka_unit_test_setup_teardown(test_tailnet_auth_key_file, scratch_setup,
						scratch_teardown),
		cmocka_unit_test_setup_teardown(test_file_errors, scratch_setup, scratch_teardown),
		cmocka_unit_test(test_error_buffer_size),
		cmocka_unit_test(test_many_peers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
