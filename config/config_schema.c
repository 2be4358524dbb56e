/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Every key of config/schema.md, in its order. Keep the two in step: tests check that each key
 * of schema.md's tables is accepted and appears in config/example.yaml.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <sys/un.h>

#include "config_schema.h"
#include "log.h"
#include "netaddr.h"
#include "url.h"

_Static_assert(sizeof(enum config_idle_mode) == sizeof(int), "enums are stored as int");
_Static_assert(sizeof(enum config_port_mapping) == sizeof(int), "enums are stored as int");

enum {
	UNIX_PATH_MAX = sizeof(((struct sockaddr_un *)NULL)->sun_path) - 1,
	HOST_NAME_MAX_LEN = 253,
	HOST_LABEL_MAX = 63,
	SHA256_HEX_LEN = 64,
	WEEK = 7 * 24 * 3600,
};

#define CHOICES(array) { array, sizeof(array) / sizeof((array)[0]) }
#define MAP(fields, type, finish_hook) \
	{ fields, sizeof(fields) / sizeof((fields)[0]), sizeof(type), finish_hook }

static const char *const idle_names[] = { "poll", "adaptive" };
static const char *const ipv6_exit_names[] = { "masquerade", "routed" };
static const char *const port_mapping_names[] = { "natpmp", "pcp", "upnp" };
static const char *const path_names[] = { "auto", "direct", "relay" };
static const char *const log_level_names[] = { "error", "warn", "info", "debug" };

static const struct schema_choices idle_choices = CHOICES(idle_names);
static const struct schema_choices ipv6_exit_choices = CHOICES(ipv6_exit_names);
static const struct schema_choices port_mapping_choices = CHOICES(port_mapping_names);
static const struct schema_choices path_choices = CHOICES(path_names);
static const struct schema_choices log_level_choices = CHOICES(log_level_names);

_Static_assert(CONFIG_IDLE_ADAPTIVE == 1 && CONFIG_IPV6_ROUTED == 1 && CONFIG_PORTMAP_UPNP == 2 &&
		       CONFIG_PATH_RELAY == 2 && LOG_LEVEL_DEBUG == 3,
	       "the name tables follow the enums");

/* String rules. */

static int
check_ifname_or_empty(char *text, char *why, size_t why_size)
{
	size_t len = strlen(text);

	if (len == 0)
		return 0;
	if (len > CONFIG_INTERFACE_NAME_MAX) {
		snprintf(why, why_size, "interface name longer than %d characters",
			 CONFIG_INTERFACE_NAME_MAX);
		return -1;
	}
	if (strcmp(text, ".") == 0 || strcmp(text, "..") == 0) {
		snprintf(why, why_size, "\"%s\" is not an interface name", text);
		return -1;
	}
	for (size_t i = 0; i < len; i++) {
		if (!isalnum((unsigned char)text[i]) && strchr("_.-", text[i]) == NULL) {
			snprintf(why, why_size, "interface names use only A-Z a-z 0-9 _ . -");
			return -1;
		}
	}
	return 0;
}

static int
check_absolute_path(char *text, char *why, size_t why_size)
{
	if (text[0] != '/') {
		snprintf(why, why_size, "must be an absolute path");
		return -1;
	}
	return 0;
}

static int
check_socket_path(char *text, char *why, size_t why_size)
{
	if (check_absolute_path(text, why, why_size) < 0)
		return -1;
	if (strlen(text) > UNIX_PATH_MAX) {
		snprintf(why, why_size, "longer than %d bytes, the limit of a unix socket path",
			 (int)UNIX_PATH_MAX);
		return -1;
	}
	return 0;
}

static int
check_host_name(char *text, char *why, size_t why_size)
{
	size_t len = strlen(text), label = 0;

	if (len == 0 || len > HOST_NAME_MAX_LEN) {
		snprintf(why, why_size, "a host name has 1..%d characters", HOST_NAME_MAX_LEN);
		return -1;
	}
	for (size_t i = 0; i <= len; i++) {
		char c = text[i];

		if (c == '.' || c == '\0') {
			if (label == 0 || label > HOST_LABEL_MAX || text[i - 1] == '-') {
				snprintf(why, why_size, "not a valid host name");
				return -1;
			}
			label = 0;
			continue;
		}
		if (!isalnum((unsigned char)c) && !(c == '-' && label > 0) && c != '_') {
			snprintf(why, why_size, "not a valid host name");
			return -1;
		}
		label++;
	}
	return 0;
}

static int
check_stun_server(char *text, char *why, size_t why_size)
{
	char host[HOST_NAME_MAX_LEN + 1];
	const char *colon = strrchr(text, ':'), *reason;
	struct netendpoint endpoint;
	size_t host_len;
	uint16_t port;

	if (colon == NULL) {
		snprintf(why, why_size, "expected host:port");
		return -1;
	}
	host_len = (size_t)(colon - text);
	/* address literals follow the endpoint rules */
	if (text[0] == '[' || strchr(text, ':') != colon ||
	    strspn(text, "0123456789.") == host_len) {
		if (netendpoint_parse(text, &endpoint, &reason) < 0) {
			snprintf(why, why_size, "%s", reason);
			return -1;
		}
		return 0;
	}
	if (host_len > HOST_NAME_MAX_LEN) {
		snprintf(why, why_size, "host name longer than %d characters", HOST_NAME_MAX_LEN);
		return -1;
	}
	memcpy(host, text, host_len);
	host[host_len] = '\0';
	if (check_host_name(host, why, why_size) < 0)
		return -1;
	if (netport_parse(colon + 1, &port, &reason) < 0) {
		snprintf(why, why_size, "%s", reason);
		return -1;
	}
	return 0;
}

/* "" (verify with the system CAs) or sha256-raw:<64 hex> (pin), hex normalised to lowercase. */
static int
check_cert_name(char *text, char *why, size_t why_size)
{
	static const char prefix[] = "sha256-raw:";
	const size_t prefix_len = sizeof(prefix) - 1;
	char *hex;

	if (text[0] == '\0')
		return 0;
	if (strncmp(text, prefix, prefix_len) != 0) {
		snprintf(why, why_size, "expected \"\" or sha256-raw:<64 hex digits>");
		return -1;
	}
	hex = text + prefix_len;
	if (strlen(hex) != SHA256_HEX_LEN ||
	    strspn(hex, "0123456789abcdefABCDEF") != SHA256_HEX_LEN) {
		snprintf(why, why_size, "sha256-raw: takes 64 hex digits (the DER SHA-256)");
		return -1;
	}
	for (; *hex != '\0'; hex++)
		*hex = (char)tolower((unsigned char)*hex);
	return 0;
}

static int
check_derp_address(char *text, int family, char *why, size_t why_size)
{
	struct netaddr addr;
	const char *reason;

	if (text[0] == '\0' || strcmp(text, "none") == 0)
		return 0;
	if (netaddr_parse(text, &addr, &reason) < 0) {
		snprintf(why, why_size, "expected \"\", \"none\" or an address: %s", reason);
		return -1;
	}
	if (addr.family != family) {
		snprintf(why, why_size, "not an %s address", family == AF_INET ? "IPv4" : "IPv6");
		return -1;
	}
	return 0;
}

static int
check_derp_ipv4(char *text, char *why, size_t why_size)
{
	return check_derp_address(text, AF_INET, why, why_size);
}

static int
check_derp_ipv6(char *text, char *why, size_t why_size)
{
	return check_derp_address(text, AF_INET6, why, why_size);
}

/* http:// or https:// with a host and an optional port, nothing after it */
static int
check_login_server(char *text, char *why, size_t why_size)
{
	struct http_url url;
	const char *reason;

	if (http_url_parse(text, &url, &reason) < 0) {
		snprintf(why, why_size, "%s", reason);
		return -1;
	}
	return 0;
}

static int
check_host_name_or_empty(char *text, char *why, size_t why_size)
{
	return text[0] == '\0' ? 0 : check_host_name(text, why, why_size);
}

/* node */

static const struct schema_field node_fields[] = {
	{ .name = "private_key", .kind = SCHEMA_KEY, .flags = SCHEMA_NULLABLE | SCHEMA_SECRET,
	  .offset = offsetof(struct config_node, private_key), .group = 1 },
	{ .name = "private_key_file", .kind = SCHEMA_KEY_FILE,
	  .flags = SCHEMA_NULLABLE | SCHEMA_NONEMPTY,
	  .offset = offsetof(struct config_node, private_key_file),
	  .aux = offsetof(struct config_node, private_key), .group = 1 },
	{ .name = "listen_port", .kind = SCHEMA_UINT, .width = 2, .min = 1, .max = 65535,
	  .def = CONFIG_DEFAULT_LISTEN_PORT, .offset = offsetof(struct config_node, listen_port) },
	{ .name = "interface", .kind = SCHEMA_IFNAME, .def_text = "eg0",
	  .check = check_ifname_or_empty,
	  .offset = offsetof(struct config_node, interface) },
	{ .name = "mtu", .kind = SCHEMA_UINT, .width = 4, .min = 576, .max = 9000, .def = 1420,
	  .offset = offsetof(struct config_node, mtu) },
	{ .name = "state_dir", .kind = SCHEMA_STRING, .flags = SCHEMA_NULLABLE | SCHEMA_NONEMPTY,
	  .check = check_absolute_path, .offset = offsetof(struct config_node, state_dir) },
};

/* dataplane */

static const struct schema_field dataplane_fields[] = {
	{ .name = "workers", .kind = SCHEMA_UINT, .width = 4, .min = 1, .max = 64, .def = 1,
	  .offset = offsetof(struct config_dataplane, workers) },
	{ .name = "idle", .kind = SCHEMA_ENUM, .choices = &idle_choices, .def = CONFIG_IDLE_POLL,
	  .offset = offsetof(struct config_dataplane, idle) },
	{ .name = "lcores", .kind = SCHEMA_STRING, .def_text = "",
	  .offset = offsetof(struct config_dataplane, lcores) },
	{ .name = "eal", .kind = SCHEMA_STRING_LIST,
	  .offset = offsetof(struct config_dataplane, eal),
	  .aux = offsetof(struct config_dataplane, eal_count) },
	{ .name = "mbufs", .kind = SCHEMA_UINT, .width = 4, .min = 1023, .max = 4194303,
	  .def = 16383, .offset = offsetof(struct config_dataplane, mbufs) },
	{ .name = "rx_descriptors", .kind = SCHEMA_UINT, .flags = SCHEMA_POW2, .width = 4,
	  .min = 64, .max = 16384, .def = 1024,
	  .offset = offsetof(struct config_dataplane, rx_descriptors) },
	{ .name = "tx_descriptors", .kind = SCHEMA_UINT, .flags = SCHEMA_POW2, .width = 4,
	  .min = 64, .max = 16384, .def = 1024,
	  .offset = offsetof(struct config_dataplane, tx_descriptors) },
	{ .name = "burst", .kind = SCHEMA_UINT, .width = 4, .min = 1, .max = 256, .def = 32,
	  .offset = offsetof(struct config_dataplane, burst) },
	{ .name = "handshake_queue", .kind = SCHEMA_UINT, .flags = SCHEMA_POW2, .width = 4,
	  .min = 64, .max = 65536, .def = 4096,
	  .offset = offsetof(struct config_dataplane, handshake_queue) },
};

/* ports */

static const struct schema_field port_fields[] = {
	{ .name = "device", .kind = SCHEMA_STRING, .flags = SCHEMA_REQUIRED | SCHEMA_NONEMPTY,
	  .offset = offsetof(struct config_port, device) },
	{ .name = "addresses", .kind = SCHEMA_CIDR_LIST, .group = 1,
	  .offset = offsetof(struct config_port, addresses),
	  .aux = offsetof(struct config_port, address_count) },
	{ .name = "address", .kind = SCHEMA_CIDR_LIST, .flags = SCHEMA_ALIAS | SCHEMA_SCALAR_OK,
	  .group = 1, .offset = offsetof(struct config_port, addresses),
	  .aux = offsetof(struct config_port, address_count) },
	{ .name = "gateway", .kind = SCHEMA_ADDRESS, .flags = SCHEMA_NULLABLE, .family = AF_INET,
	  .offset = offsetof(struct config_port, gateway) },
	{ .name = "gateway6", .kind = SCHEMA_ADDRESS, .flags = SCHEMA_NULLABLE, .family = AF_INET6,
	  .offset = offsetof(struct config_port, gateway6) },
	{ .name = "mtu", .kind = SCHEMA_UINT, .width = 4, .min = 576, .max = 9216, .def = 1500,
	  .offset = offsetof(struct config_port, mtu) },
	{ .name = "kernel_tap", .kind = SCHEMA_STRING, .def_text = "",
	  .check = check_ifname_or_empty, .offset = offsetof(struct config_port, kernel_tap) },
	{ .name = "mac", .kind = SCHEMA_MAC, .flags = SCHEMA_NULLABLE,
	  .offset = offsetof(struct config_port, mac),
	  .flag = offsetof(struct config_port, mac_set) + 1 },
};

static const struct schema_map port_map = MAP(port_fields, struct config_port, NULL);

#define PORT_ROLE(role_name, role, role_flags)                                          \
	{ .name = role_name, .kind = SCHEMA_MAP, .flags = role_flags, .map = &port_map, \
	  .offset = offsetof(struct config, ports[role]),                               \
	  .flag = offsetof(struct config, ports[role].present) + 1 }

/* offsets from struct config: the roles are an array there */
static const struct schema_field ports_fields[] = {
	PORT_ROLE("public", CONFIG_PORT_PUBLIC, SCHEMA_REQUIRED),
	PORT_ROLE("egress", CONFIG_PORT_EGRESS, SCHEMA_NULLABLE),
	PORT_ROLE("inner", CONFIG_PORT_INNER, SCHEMA_NULLABLE),
};

/* exit */

static const struct schema_field exit_timeout_fields[] = {
	{ .name = "tcp_established", .kind = SCHEMA_UINT, .width = 4, .min = 1, .max = WEEK,
	  .def = 7200, .offset = offsetof(struct config_exit, timeout_tcp_established) },
	{ .name = "tcp_transitory", .kind = SCHEMA_UINT, .width = 4, .min = 1, .max = WEEK,
	  .def = 240, .offset = offsetof(struct config_exit, timeout_tcp_transitory) },
	{ .name = "udp", .kind = SCHEMA_UINT, .width = 4, .min = 1, .max = WEEK, .def = 120,
	  .offset = offsetof(struct config_exit, timeout_udp) },
	{ .name = "icmp", .kind = SCHEMA_UINT, .width = 4, .min = 1, .max = WEEK, .def = 30,
	  .offset = offsetof(struct config_exit, timeout_icmp) },
};

/* offsets from struct config_exit: the timeouts are flat there */
static const struct schema_map exit_timeout_map =
	MAP(exit_timeout_fields, struct config_exit, NULL);

static const struct schema_field exit_fields[] = {
	{ .name = "enabled", .kind = SCHEMA_BOOL, .def = false,
	  .offset = offsetof(struct config_exit, enabled) },
	{ .name = "masquerade", .kind = SCHEMA_BOOL, .def = true,
	  .offset = offsetof(struct config_exit, masquerade) },
	{ .name = "ipv6", .kind = SCHEMA_ENUM, .choices = &ipv6_exit_choices,
	  .def = CONFIG_IPV6_MASQUERADE, .offset = offsetof(struct config_exit, ipv6) },
	{ .name = "mss_clamp", .kind = SCHEMA_BOOL, .def = true,
	  .offset = offsetof(struct config_exit, mss_clamp) },
	{ .name = "port_range", .kind = SCHEMA_PORT_RANGE, .min = 1, .max = 65535, .def = 1024,
	  .def_high = 32767, .offset = offsetof(struct config_exit, port_min),
	  .aux = offsetof(struct config_exit, port_max) },
	{ .name = "sessions", .kind = SCHEMA_UINT, .width = 4, .min = 1024, .max = 16777216,
	  .def = 262144, .offset = offsetof(struct config_exit, sessions) },
	{ .name = "sessions_per_peer", .kind = SCHEMA_UINT, .width = 4, .min = 1, .max = 16777216,
	  .def = 16384, .offset = offsetof(struct config_exit, sessions_per_peer) },
	{ .name = "timeouts", .kind = SCHEMA_MAP, .map = &exit_timeout_map, .offset = 0 },
};

/* nat_traversal */

static const struct schema_field nat_traversal_fields[] = {
	{ .name = "stun", .kind = SCHEMA_STRING_LIST, .check = check_stun_server,
	  .offset = offsetof(struct config_nat_traversal, stun),
	  .aux = offsetof(struct config_nat_traversal, stun_count) },
	{ .name = "port_mapping", .kind = SCHEMA_ENUM_LIST, .flags = SCHEMA_UNIQUE,
	  .choices = &port_mapping_choices,
	  .offset = offsetof(struct config_nat_traversal, port_mapping),
	  .aux = offsetof(struct config_nat_traversal, port_mapping_count) },
	{ .name = "static_endpoints", .kind = SCHEMA_ENDPOINT_LIST,
	  .offset = offsetof(struct config_nat_traversal, static_endpoints),
	  .aux = offsetof(struct config_nat_traversal, static_endpoint_count) },
};

/* derp */

static const struct schema_field derp_node_fields[] = {
	{ .name = "name", .kind = SCHEMA_STRING, .flags = SCHEMA_REQUIRED | SCHEMA_NONEMPTY,
	  .offset = offsetof(struct config_derp_node, name) },
	{ .name = "host_name", .kind = SCHEMA_STRING, .flags = SCHEMA_REQUIRED,
	  .check = check_host_name, .offset = offsetof(struct config_derp_node, host_name) },
	{ .name = "cert_name", .kind = SCHEMA_STRING, .def_text = "", .check = check_cert_name,
	  .offset = offsetof(struct config_derp_node, cert_name) },
	{ .name = "ipv4", .kind = SCHEMA_STRING, .def_text = "", .check = check_derp_ipv4,
	  .offset = offsetof(struct config_derp_node, ipv4) },
	{ .name = "ipv6", .kind = SCHEMA_STRING, .def_text = "", .check = check_derp_ipv6,
	  .offset = offsetof(struct config_derp_node, ipv6) },
	{ .name = "stun_port", .kind = SCHEMA_INT, .min = -1, .max = 65535, .def = 0,
	  .offset = offsetof(struct config_derp_node, stun_port) },
	{ .name = "stun_only", .kind = SCHEMA_BOOL, .def = false,
	  .offset = offsetof(struct config_derp_node, stun_only) },
	{ .name = "derp_port", .kind = SCHEMA_UINT, .width = 2, .min = 0, .max = 65535, .def = 0,
	  .offset = offsetof(struct config_derp_node, derp_port) },
	{ .name = "can_port80", .kind = SCHEMA_BOOL, .def = false,
	  .offset = offsetof(struct config_derp_node, can_port80) },
};

static const struct schema_map derp_node_map =
	MAP(derp_node_fields, struct config_derp_node, NULL);

static const struct schema_field derp_region_fields[] = {
	{ .name = "region_id", .kind = SCHEMA_UINT, .flags = SCHEMA_REQUIRED, .width = 4, .min = 1,
	  .max = 65535, .offset = offsetof(struct config_derp_region, region_id) },
	{ .name = "region_code", .kind = SCHEMA_STRING, .flags = SCHEMA_REQUIRED | SCHEMA_NONEMPTY,
	  .offset = offsetof(struct config_derp_region, region_code) },
	{ .name = "region_name", .kind = SCHEMA_STRING, .flags = SCHEMA_NULLABLE | SCHEMA_NONEMPTY,
	  .offset = offsetof(struct config_derp_region, region_name) },
	{ .name = "nodes", .kind = SCHEMA_MAP_LIST, .flags = SCHEMA_REQUIRED | SCHEMA_NONEMPTY,
	  .map = &derp_node_map, .offset = offsetof(struct config_derp_region, nodes),
	  .aux = offsetof(struct config_derp_region, node_count) },
};

static const struct schema_map derp_region_map =
	MAP(derp_region_fields, struct config_derp_region, config_region_finish);

static const struct schema_field derp_fields[] = {
	{ .name = "home_region", .kind = SCHEMA_UINT, .width = 4, .min = 0, .max = 65535,
	  .def = 0, .offset = offsetof(struct config_derp, home_region) },
	{ .name = "regions", .kind = SCHEMA_MAP_LIST, .map = &derp_region_map,
	  .offset = offsetof(struct config_derp, regions),
	  .aux = offsetof(struct config_derp, region_count) },
};

/* tailnet */

static const struct schema_field tailnet_fields[] = {
	{ .name = "login_server", .kind = SCHEMA_STRING, .flags = SCHEMA_REQUIRED,
	  .check = check_login_server, .offset = offsetof(struct config_tailnet, login_server) },
	{ .name = "auth_key_file", .kind = SCHEMA_STRING, .flags = SCHEMA_NULLABLE,
	  .check = check_absolute_path, .offset = offsetof(struct config_tailnet, auth_key_file) },
	{ .name = "hostname", .kind = SCHEMA_STRING, .def_text = "",
	  .check = check_host_name_or_empty, .offset = offsetof(struct config_tailnet, hostname) },
	{ .name = "state_dir", .kind = SCHEMA_STRING, .def_text = "/var/lib/exitgate/tailnet",
	  .check = check_absolute_path, .offset = offsetof(struct config_tailnet, state_dir) },
	{ .name = "advertise_exit_node", .kind = SCHEMA_BOOL, .def = false,
	  .offset = offsetof(struct config_tailnet, advertise_exit_node) },
};

/* peers */

static const struct schema_field peer_fields[] = {
	{ .name = "name", .kind = SCHEMA_STRING, .flags = SCHEMA_NULLABLE | SCHEMA_NONEMPTY,
	  .offset = offsetof(struct config_peer, name) },
	{ .name = "public_key", .kind = SCHEMA_KEY, .flags = SCHEMA_REQUIRED,
	  .offset = offsetof(struct config_peer, public_key) },
	{ .name = "preshared_key", .kind = SCHEMA_KEY, .flags = SCHEMA_NULLABLE | SCHEMA_SECRET,
	  .group = 1, .offset = offsetof(struct config_peer, preshared_key),
	  .flag = offsetof(struct config_peer, has_preshared_key) + 1 },
	{ .name = "preshared_key_file", .kind = SCHEMA_KEY_FILE,
	  .flags = SCHEMA_NULLABLE | SCHEMA_NONEMPTY,
	  .group = 1, .offset = offsetof(struct config_peer, preshared_key_file),
	  .aux = offsetof(struct config_peer, preshared_key),
	  .flag = offsetof(struct config_peer, has_preshared_key) + 1 },
	{ .name = "allowed_ips", .kind = SCHEMA_CIDR_LIST, .flags = SCHEMA_CANONICAL,
	  .offset = offsetof(struct config_peer, allowed_ips),
	  .aux = offsetof(struct config_peer, allowed_ip_count) },
	{ .name = "endpoint", .kind = SCHEMA_ENDPOINT, .flags = SCHEMA_NULLABLE,
	  .offset = offsetof(struct config_peer, endpoint),
	  .flag = offsetof(struct config_peer, has_endpoint) + 1 },
	{ .name = "persistent_keepalive", .kind = SCHEMA_UINT, .width = 2, .min = 0,
	  .max = 65535, .def = 0, .offset = offsetof(struct config_peer, persistent_keepalive) },
	{ .name = "path", .kind = SCHEMA_ENUM, .choices = &path_choices, .def = CONFIG_PATH_AUTO,
	  .offset = offsetof(struct config_peer, path) },
	{ .name = "disco_key", .kind = SCHEMA_KEY, .flags = SCHEMA_NULLABLE,
	  .offset = offsetof(struct config_peer, disco_key),
	  .flag = offsetof(struct config_peer, has_disco_key) + 1 },
};

/* control */

static const struct schema_field control_fields[] = {
	{ .name = "socket", .kind = SCHEMA_STRING, .def_text = "/run/exitgate/control.sock",
	  .check = check_socket_path, .offset = offsetof(struct config_control, socket) },
	{ .name = "uapi_dir", .kind = SCHEMA_STRING, .def_text = "/var/run/wireguard",
	  .check = check_absolute_path, .offset = offsetof(struct config_control, uapi_dir) },
	{ .name = "metrics", .kind = SCHEMA_ENDPOINT, .flags = SCHEMA_NULLABLE,
	  .offset = offsetof(struct config_control, metrics),
	  .flag = offsetof(struct config_control, has_metrics) + 1 },
	{ .name = "metrics_peers", .kind = SCHEMA_BOOL, .def = true,
	  .offset = offsetof(struct config_control, metrics_peers) },
};

/* log: offsets from struct config */

static const struct schema_field log_fields[] = {
	{ .name = "level", .kind = SCHEMA_ENUM, .choices = &log_level_choices,
	  .def = LOG_LEVEL_INFO, .offset = offsetof(struct config, log_level) },
};

/* the document */

static const struct schema_map node_map = MAP(node_fields, struct config_node,
					      config_node_finish);
static const struct schema_map dataplane_map = MAP(dataplane_fields, struct config_dataplane,
						   NULL);
static const struct schema_map ports_map = MAP(ports_fields, struct config, NULL);
static const struct schema_map exit_map = MAP(exit_fields, struct config_exit, NULL);
static const struct schema_map nat_traversal_map =
	MAP(nat_traversal_fields, struct config_nat_traversal, NULL);
static const struct schema_map derp_map = MAP(derp_fields, struct config_derp, NULL);
static const struct schema_map tailnet_map = MAP(tailnet_fields, struct config_tailnet,
						 config_tailnet_finish);
static const struct schema_map peer_map = MAP(peer_fields, struct config_peer,
					      config_peer_finish);
static const struct schema_map control_map = MAP(control_fields, struct config_control, NULL);
static const struct schema_map log_map = MAP(log_fields, struct config, NULL);

static const struct schema_field root_fields[] = {
	{ .name = "node", .kind = SCHEMA_MAP, .flags = SCHEMA_REQUIRED, .map = &node_map,
	  .offset = offsetof(struct config, node) },
	{ .name = "dataplane", .kind = SCHEMA_MAP, .map = &dataplane_map,
	  .offset = offsetof(struct config, dataplane) },
	{ .name = "ports", .kind = SCHEMA_MAP, .flags = SCHEMA_REQUIRED, .map = &ports_map,
	  .offset = 0 },
	{ .name = "exit", .kind = SCHEMA_MAP, .map = &exit_map,
	  .offset = offsetof(struct config, exit) },
	{ .name = "nat_traversal", .kind = SCHEMA_MAP, .map = &nat_traversal_map,
	  .offset = offsetof(struct config, nat_traversal) },
	{ .name = "derp", .kind = SCHEMA_MAP, .map = &derp_map,
	  .offset = offsetof(struct config, derp) },
	{ .name = "tailnet", .kind = SCHEMA_MAP, .flags = SCHEMA_NULLABLE, .map = &tailnet_map,
	  .offset = offsetof(struct config, tailnet),
	  .flag = offsetof(struct config, tailnet.present) + 1 },
	{ .name = "peers", .kind = SCHEMA_MAP_LIST, .map = &peer_map,
	  .offset = offsetof(struct config, peers), .aux = offsetof(struct config, peer_count) },
	{ .name = "control", .kind = SCHEMA_MAP, .map = &control_map,
	  .offset = offsetof(struct config, control) },
	{ .name = "log", .kind = SCHEMA_MAP, .map = &log_map, .offset = 0 },
};

const struct schema_map config_schema = MAP(root_fields, struct config, config_root_finish);
