/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The netmap: what the coordination server says about this node and its tailnet, as C
 * structures (tailcfg.MapResponse, tailnet.md §2.4-2.5). One struct tailnet_netmap is owned by
 * the control client; it changes only between the callbacks that report a change, always as a
 * whole message applied (a message that fails to parse or to apply changes nothing; one that
 * says only what the netmap already holds is no change and is not reported).
 *
 * Peers are kept sorted by node ID. Text fields that only label things (names) are truncated
 * to their arrays (and counted); everything a data plane acts on (keys, addresses, routes,
 * endpoints, filter entries) is either taken whole or the message is refused.
 */
#ifndef EXITGATE_TAILNET_NETMAP_H
#define EXITGATE_TAILNET_NETMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netaddr.h"

enum {
	TAILNET_KEY_LEN = 32,
	TAILNET_NAME_MAX = 255,      /* FQDNs and host names */
	TAILNET_STABLE_ID_MAX = 63,
	TAILNET_DERP_TEXT_MAX = 255, /* DERP node host names, cert names, address texts */
	TAILNET_REGION_CODE_MAX = 31,
	/* Per-node limits: a node over one of them makes its message refused. */
	TAILNET_NODE_ADDRESSES_MAX = 16,
	TAILNET_NODE_ALLOWED_IPS_MAX = 4096,
	/* Endpoints are hints; those beyond this many are dropped (and counted). */
	TAILNET_NODE_ENDPOINTS_MAX = 64,
	TAILNET_DERP_REGIONS_MAX = 1024,
	TAILNET_DERP_NODES_MAX = 64, /* per region */
	TAILNET_DEFAULT_PEERS_MAX = 16384,
};

/* Go's opt.Bool: unknown (absent or null), false, true. */
enum tailnet_opt_bool {
	TAILNET_UNKNOWN = 0,
	TAILNET_FALSE = 1,
	TAILNET_TRUE = 2,
};

/* One node: the self node or a peer (tailcfg.Node). */
struct tailnet_node {
	int64_t id;
	char stable_id[TAILNET_STABLE_ID_MAX + 1];
	char name[TAILNET_NAME_MAX + 1];     /* FQDN with the trailing dot, as sent */
	char hostname[TAILNET_NAME_MAX + 1]; /* Hostinfo.Hostname */
	int64_t user;
	uint8_t node_key[TAILNET_KEY_LEN];    /* WireGuard public key */
	uint8_t machine_key[TAILNET_KEY_LEN]; /* zero when not sent */
	uint8_t disco_key[TAILNET_KEY_LEN];   /* zero when not sent */
	struct netprefix *addresses;
	size_t address_count;
	/* Given as sent; when AllowedIPs is absent (null), the same as addresses (cap >= 112)
	 * and allowed_ips_from_addresses says so. */
	struct netprefix *allowed_ips;
	size_t allowed_ip_count;
	bool allowed_ips_from_addresses;
	struct netprefix *primary_routes;
	size_t primary_route_count;
	struct netendpoint *endpoints;
	size_t endpoint_count;
	uint32_t home_derp;         /* HomeDERP, else the legacy "127.3.3.40:<region>"; 0 = none */
	enum tailnet_opt_bool online;
	int64_t last_seen;          /* Unix seconds; 0 = unknown */
	int64_t key_expiry;         /* Unix seconds; 0 = never */
	bool expired;
	uint16_t cap;               /* the node's capability version; 0 = not sent */
	bool machine_authorized;
	bool is_wireguard_only;
	bool exit_routes;           /* allowed IPs hold both 0.0.0.0/0 and ::/0 */
};

struct tailnet_derp_node {
	char name[TAILNET_REGION_CODE_MAX + 1];
	uint32_t region_id;
	char host_name[TAILNET_DERP_TEXT_MAX + 1];
	char cert_name[TAILNET_DERP_TEXT_MAX + 1];
	char ipv4[TAILNET_DERP_TEXT_MAX + 1]; /* "" = resolve host_name, "none" = off */
	char ipv6[TAILNET_DERP_TEXT_MAX + 1];
	int32_t stun_port; /* 0 = 3478, -1 = off */
	bool stun_only;
	int32_t derp_port; /* 0 = 443 */
	bool insecure_for_tests;
	char stun_test_ip[TAILNET_DERP_TEXT_MAX + 1];
	bool can_port80;
};

struct tailnet_derp_region {
	uint32_t region_id;
	char code[TAILNET_REGION_CODE_MAX + 1];
	char name[TAILNET_NAME_MAX + 1];
	bool avoid;
	bool no_measure_no_home;
	struct tailnet_derp_node *nodes;
	size_t node_count;
};

struct tailnet_derp_score {
	uint32_t region_id;
	double score;
};

struct tailnet_derp_map {
	struct tailnet_derp_region *regions; /* sorted by region_id */
	size_t region_count;
	bool omit_default_regions;
	struct tailnet_derp_score *region_scores; /* HomeParams.RegionScore */
	size_t region_score_count;
};

/* The packet filter (tailcfg.FilterRule after wgengine/filter's parsing). */
struct tailnet_port_range {
	uint16_t first, last;
};

struct tailnet_filter_dst {
	struct netprefix net;
	struct tailnet_port_range ports;
};

struct tailnet_filter_cap {
	struct netprefix dst;
	char *cap;    /* the capability name */
	char *values; /* its CapMap values as compact JSON text; NULL for a legacy Caps entry */
};

struct tailnet_filter_rule {
	struct netprefix *srcs; /* "*" is 0.0.0.0/0 and ::/0, a range its covering prefixes */
	size_t src_count;
	char **src_caps;        /* "cap:<name>" sources, without the prefix */
	size_t src_cap_count;
	uint8_t *protos;        /* IP protocol numbers; absent = TCP, UDP, ICMP, ICMPv6 */
	size_t proto_count;
	struct tailnet_filter_dst *dsts;
	size_t dst_count;
	struct tailnet_filter_cap *caps;
	size_t cap_count;
};

struct tailnet_filter {
	struct tailnet_filter_rule *rules;
	size_t rule_count;
};

struct tailnet_netmap {
	uint64_t generation;   /* +1 for every message that changed something */
	bool self_known;       /* a Node has been received */
	struct tailnet_node self;
	struct tailnet_node **peers; /* sorted by id */
	size_t peer_count;
	bool derp_known;
	struct tailnet_derp_map derp;
	/* The concatenation of every named filter chunk, in name order ("base" is the
	 * unnamed PacketFilter). filter_known: some filter has been received; before that
	 * there is none at all, which is not the same as an empty filter (deny all). */
	bool filter_known;
	struct tailnet_filter filter;
	char domain[TAILNET_NAME_MAX + 1];
};

/* What the last applied message changed. IDs are sorted; arrays live until the next change. */
struct tailnet_netmap_change {
	const int64_t *added;
	size_t added_count;
	const int64_t *changed;
	size_t changed_count;
	const int64_t *removed;
	size_t removed_count;
	bool full_peer_set; /* the message carried the whole peer set (Peers) */
	bool self_changed;
	bool derp_changed;
	bool filter_changed;
};

/* What the node reports of its network (Hostinfo.NetInfo), for tailnet_set_netinfo. */
struct tailnet_derp_latency {
	uint32_t region_id;
	bool ipv6;
	double seconds;
};

struct tailnet_netinfo {
	uint32_t preferred_derp;
	enum tailnet_opt_bool working_udp, working_ipv6, os_has_ipv6, working_icmpv4;
	enum tailnet_opt_bool mapping_varies_by_dest_ip, upnp, pmp, pcp;
	bool have_port_map;
	const struct tailnet_derp_latency *derp_latency;
	size_t derp_latency_count;
};

/* Binary search by ID; NULL when there is no such peer. */
const struct tailnet_node *tailnet_netmap_peer(const struct tailnet_netmap *nm, int64_t id);
/* Linear search by node key (the data plane's identity of a peer). */
const struct tailnet_node *tailnet_netmap_peer_by_key(const struct tailnet_netmap *nm,
						      const uint8_t node_key[TAILNET_KEY_LEN]);
/* True when the node's key has expired (its Expired flag, or key_expiry before now_unix). */
bool tailnet_node_expired(const struct tailnet_node *n, int64_t now_unix);

#endif
