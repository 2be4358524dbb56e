/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The appliance configuration as typed structs, loaded from one YAML file (config/schema.md is
 * the reference for every key). A loaded config is immutable and self-contained: it owns every
 * string and array it points to and is released with config_free(). Reload builds a new config
 * and swaps it in only when it loaded without error, so a running node keeps its old one.
 * After a load every string is set (defaults filled in: a peer without a name is "peer<N>", a
 * region without a name takes its code); only the *_file paths are NULL when not used.
 */
#ifndef EXITGATE_CONFIG_H
#define EXITGATE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "keytext.h"
#include "netaddr.h"

enum {
	CONFIG_MAX_FILE_SIZE = 1 << 20,
	CONFIG_ERROR_MAX = 512,
	CONFIG_INTERFACE_NAME_MAX = 15,
	CONFIG_DEFAULT_LISTEN_PORT = 41641,
};

enum config_idle_mode {
	CONFIG_IDLE_POLL,
	CONFIG_IDLE_ADAPTIVE,
};

enum config_port_role {
	CONFIG_PORT_PUBLIC,
	CONFIG_PORT_EGRESS,
	CONFIG_PORT_INNER,
	CONFIG_PORT_ROLES,
};

enum config_ipv6_exit {
	CONFIG_IPV6_MASQUERADE,
	CONFIG_IPV6_ROUTED,
};

enum config_port_mapping {
	CONFIG_PORTMAP_NATPMP,
	CONFIG_PORTMAP_PCP,
	CONFIG_PORTMAP_UPNP,
};

enum config_peer_path {
	CONFIG_PATH_AUTO,
	CONFIG_PATH_DIRECT,
	CONFIG_PATH_RELAY,
};

struct config_node {
	uint8_t private_key[KEY_LEN];
	uint8_t public_key[KEY_LEN]; /* derived from private_key by the loader */
	char *private_key_file;      /* NULL when the key was inline */
	uint16_t listen_port;
	char interface[CONFIG_INTERFACE_NAME_MAX + 1];
	uint32_t mtu;
	char *state_dir; /* NULL = none: state made at start (the disco key) is not kept */
};

struct config_dataplane {
	uint32_t workers;
	enum config_idle_mode idle;
	char *lcores;  /* "" when unset */
	char **eal;    /* extra EAL arguments */
	size_t eal_count;
	uint32_t mbufs;
	uint32_t rx_descriptors;
	uint32_t tx_descriptors;
	uint32_t burst;
	uint32_t handshake_queue;
};

struct config_port {
	bool present;
	char *device;
	struct netprefix *addresses;
	size_t address_count;
	struct netaddr gateway;  /* family 0 = none */
	struct netaddr gateway6; /* family 0 = none */
	uint32_t mtu;
	char *kernel_tap; /* "" = none */
	bool mac_set;
	uint8_t mac[6];
};

struct config_exit {
	bool enabled;
	bool masquerade;
	enum config_ipv6_exit ipv6;
	bool mss_clamp;
	uint16_t port_min;
	uint16_t port_max;
	uint32_t sessions;
	uint32_t sessions_per_peer;
	uint32_t timeout_tcp_established;
	uint32_t timeout_tcp_transitory;
	uint32_t timeout_udp;
	uint32_t timeout_icmp;
};

struct config_nat_traversal {
	char **stun; /* "host:port" */
	size_t stun_count;
	enum config_port_mapping *port_mapping;
	size_t port_mapping_count;
	struct netendpoint *static_endpoints;
	size_t static_endpoint_count;
};

struct config_derp_node {
	char *name;
	char *host_name;
	char *cert_name; /* "" = verify with system CAs */
	char *ipv4;      /* "" = resolve, "none" = off */
	char *ipv6;
	int32_t stun_port; /* 0 = 3478, -1 = off */
	bool stun_only;
	uint16_t derp_port; /* 0 = 443 */
	bool can_port80;
};

struct config_derp_region {
	uint32_t region_id;
	char *region_code;
	char *region_name;
	struct config_derp_node *nodes;
	size_t node_count;
};

struct config_derp {
	uint32_t home_region; /* 0 = by latency */
	struct config_derp_region *regions;
	size_t region_count;
};

struct config_tailnet {
	bool present;             /* the section is given: the node joins a tailnet */
	char *login_server;       /* http[s]://host[:port] */
	char *auth_key_file;      /* NULL when not given */
	char *hostname;           /* "" = the system's host name */
	char *state_dir;
	bool advertise_exit_node;
};

struct config_peer {
	char *name;
	uint8_t public_key[KEY_LEN];
	bool has_preshared_key;
	uint8_t preshared_key[KEY_LEN];
	char *preshared_key_file; /* NULL when the key was inline or absent */
	struct netprefix *allowed_ips;
	size_t allowed_ip_count;
	bool has_endpoint;
	struct netendpoint endpoint;
	uint16_t persistent_keepalive; /* seconds, 0 = off */
	enum config_peer_path path;
	bool has_disco_key;
	uint8_t disco_key[KEY_LEN]; /* the peer's disco public key, when configured */
};

struct config_control {
	char *socket;
	char *uapi_dir;
	bool has_metrics; /* control.metrics given: the Prometheus listener is on */
	struct netendpoint metrics;
	bool metrics_peers;
};

struct config {
	char *source_path; /* the file it was loaded from */
	struct config_node node;
	struct config_dataplane dataplane;
	struct config_port ports[CONFIG_PORT_ROLES];
	struct config_exit exit;
	struct config_nat_traversal nat_traversal;
	struct config_derp derp;
	struct config_tailnet tailnet;
	struct config_peer *peers;
	size_t peer_count;
	struct config_control control;
	int log_level; /* enum log_level */
};

/*
 * Load and validate a config file. On success returns a new config (free with config_free).
 * On failure returns NULL and writes one line "file:line:column: key.path: message" into
 * error (at most CONFIG_ERROR_MAX bytes including the NUL). Nothing is half-loaded: a failed
 * load frees everything it allocated. Secrets inside the config are wiped by config_free.
 */
struct config *config_load_file(const char *path, char *error, size_t error_size);
/* The same from a memory buffer; name is used in error locations (the fuzz target uses this). */
struct config *config_load_buffer(const char *name, const char *text, size_t length,
				  char *error, size_t error_size);
void config_free(struct config *config);

/* true when both configs hold the same settings (every key of the schema, secrets included;
 * source_path is not compared). A reload that changes nothing can be told apart this way. */
bool config_equal(const struct config *a, const struct config *b);
/* The same for one top-level section ("dataplane", "ports", ...); false for an unknown name. */
bool config_section_equal(const struct config *a, const struct config *b, const char *section);

/* Write the normalised config (every default filled, schema order) as YAML. Private and
 * preshared keys are printed as "(hidden)" unless show_secrets. */
void config_print(const struct config *config, FILE *out, bool show_secrets);

const char *config_port_role_name(enum config_port_role role);

/* Find a peer by public key; NULL when absent. */
const struct config_peer *config_find_peer(const struct config *config,
					   const uint8_t public_key[KEY_LEN]);

#endif
