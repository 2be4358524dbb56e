/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Path selection: the one owner of how each peer is reached (a direct UDP endpoint, the DERP
 * relay, or both while unsure) and of everything that decides it: the node's disco key and the
 * disco protocol (disco.h), the node's own endpoints and its STUN client, netcheck, port mapping
 * (portmap.h), the per-peer path state (candidates, trust, scoring, failover) and the diagnosis
 * of why a peer is not direct. Modelled on Tailscale's magicsock (whose timing rules are the
 * floor, protocols.md section 3) so the same code serves real Tailscale clients in tailnet mode.
 *
 * The module never calls into the node: it sends and publishes through the hooks the node
 * registers (struct path_hooks), and it is told about peers, packets and activity through the
 * functions below. The WireGuard glue applies every route it announces to the two consumers,
 * the workers (dp_peer: endpoint and send mode, read lock-free) and the handshake device.
 *
 * Peers, by kind:
 *  - pinned (`path: direct` / `path: relay`): the route is fixed (direct follows WireGuard
 *    roaming: the newest authenticated source);
 *  - auto without a disco key (a stock WireGuard client, or an exitgate node whose key is not
 *    learnt yet): WireGuard roaming, and the relay while no endpoint is known; exitgate nodes
 *    are sent a Hello over DERP, which teaches them our disco key and brings theirs back;
 *  - auto with a disco key: relay first; pings to every candidate endpoint (configured, from
 *    control, from CallMeMaybe, seen in pings), a CallMeMaybe over DERP so the peer pings back
 *    at once (simultaneous open); the best answering endpoint is trusted PATH_TRUST_UDP_MS after
 *    its last pong and kept alive by heartbeats; while untrusted packets go both ways. Beyond
 *    Tailscale: a direct path that goes silent under traffic (data sent, nothing authenticated
 *    back on it for PATH_FAILOVER_SILENCE_MS) is probed at once and, unanswered, left for the
 *    relay within PATH_FAILOVER_SILENCE_MS + PATH_FAILOVER_PROBE_MS, so a TCP flow through the
 *    tunnel never stalls for a whole trust period; a pong on it later takes it back.
 *
 * Concurrency: main lcore only (the control loop), like every control-plane module. Packets
 * reach it from the workers through the node's up rings; what it publishes reaches the workers
 * through the glue's atomic stores.
 */
#ifndef EXITGATE_PATH_H
#define EXITGATE_PATH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "loop.h"
#include "netaddr.h"
#include "strbuf.h"

enum {
	PATH_KEY_LEN = 32,

	/* Tailscale's magicsock timing (protocols.md section 3), kept as the floor */
	PATH_HEARTBEAT_MS = 3000,          /* ping the best address this often while active */
	PATH_TRUST_UDP_MS = 6500,          /* a pong makes its address trusted this long */
	PATH_PING_TIMEOUT_MS = 5000,       /* a ping unanswered this long is lost */
	PATH_PING_INTERVAL_MS = 5000,      /* discovery pings one endpoint at most this often */
	PATH_SESSION_ACTIVE_MS = 45000,    /* no data for this long: idle, heartbeats stop */
	PATH_UPGRADE_INTERVAL_MS = 60000,  /* re-probe every candidate this often ... */
	PATH_GOOD_ENOUGH_US = 5000,        /* ... while the best is slower than this */
	PATH_ENDPOINTS_FRESH_MS = 27000,   /* our endpoints in a CallMeMaybe are at most this old */

	/* beyond Tailscale: failover noticed from the data itself */
	PATH_FAILOVER_SILENCE_MS = 300,    /* sending, nothing back on the direct path: suspect */
	PATH_FAILOVER_PROBE_MS = 500,      /* the probe of a suspect path unanswered: relay */

	/* exitgate's Hello (disco.h) between exitgate nodes */
	PATH_HELLO_INTERVAL_MS = 5000,     /* while the peer's disco key is unknown and active */
	PATH_HELLO_IDLE_INTERVAL_MS = 60000,
	PATH_HELLO_RETRY_MS = 300,         /* a Hello the relay could not take yet (start-up) */

	/* the STUN client and netcheck */
	PATH_STUN_TIMEOUT_MS = 3000,       /* no reply in a round: UDP blocked for that family */
	PATH_STUN_REFRESH_MIN_MS = 20000,  /* refresh rounds while a peer is active: 20-26 s, */
	PATH_STUN_REFRESH_MAX_MS = 26000,  /* below the 30 s many NATs keep an idle mapping */
	PATH_NETCHECK_INTERVAL_MS = 5 * 60 * 1000, /* a full round when idle */

	PATH_CANDIDATES_MAX = 32,
	PATH_PINGS_MAX = 32,               /* pings in flight per peer */
	PATH_STUN_SERVERS_MAX = 32,
};

/* What status shows for a peer. */
enum path_kind {
	PATH_KIND_NONE,   /* no way to send yet */
	PATH_KIND_DIRECT, /* UDP to one endpoint */
	PATH_KIND_RELAY,  /* DERP only */
	PATH_KIND_BOTH,   /* UDP to an endpoint not (or no longer) trusted, and DERP */
};

/* Where a peer's packets go: the glue applies this to the workers and the device. */
struct path_route {
	bool udp;                    /* to endpoint by UDP from the listen port */
	struct netendpoint endpoint;
	bool relay;                  /* through DERP (as well, when udp) */
};

struct path_hooks {
	void *ctx;
	/* a datagram from the listen port (disco, STUN) */
	void (*send_udp)(void *ctx, const struct netendpoint *dst, const uint8_t *data, size_t len);
	/* a packet over DERP to a node key: 0, or -1 when there is no relay to send it through */
	int (*send_derp)(void *ctx, const uint8_t node_key[PATH_KEY_LEN], const uint8_t *data,
			 size_t len);
	/* a peer's route changed (peer_user is what path_peer_add was given) */
	void (*route_changed)(void *ctx, void *peer_user, const struct path_route *route);
	/* the relay's home region (0: none) and whether its connection is up */
	uint32_t (*relay_home)(void *ctx, bool *connected);
	/* the region a peer is reached through (0: none), for "via DERP(code)" */
	uint32_t (*relay_region_of)(void *ctx, const uint8_t node_key[PATH_KEY_LEN]);
	/* our advertised endpoints or the netcheck summary changed (tailnet: a lite update) */
	void (*endpoints_changed)(void *ctx);
};

struct path_config {
	struct loop *loop;
	const struct config *config;   /* nat_traversal, derp, node (listen port, state dir) */
	const struct netprefix *public_addresses; /* the public port's own addresses */
	size_t public_address_count;
	struct netaddr public_gateway;  /* for port mapping (IPv4) */
	uint8_t node_private_key[PATH_KEY_LEN];
	struct path_hooks hooks;
};

/* What a peer is, as its configuration (YAML, UAPI or a tailnet netmap) says. */
struct path_peer_config {
	const char *name;
	uint8_t node_key[PATH_KEY_LEN];     /* its WireGuard public key, also its DERP key */
	bool has_disco_key;                 /* configured, or from control: wins over learnt */
	uint8_t disco_key[PATH_KEY_LEN];
	enum config_peer_path pin;          /* auto, or pinned direct / relay */
	bool has_endpoint;                  /* a configured endpoint */
	struct netendpoint endpoint;
	const struct netendpoint *endpoints; /* candidates from control (tailnet) */
	size_t endpoint_count;
	bool exitgate;                      /* another exitgate node: Hello is understood */
	struct netaddr tunnel_address;      /* shown by ping ("pong from NAME (IP)") */
};

/* What the workers saw of a peer (the glue reads it every WireGuard sync interval). */
struct path_activity {
	uint64_t last_tx_data_ns;  /* data sent to it (any path) */
	uint64_t last_rx_ns;       /* any authenticated message from it (any path) */
	uint64_t last_rx_udp_ns;   /* ... arriving over UDP (the direct path) */
};

struct path;
struct path_peer;

struct path *path_create(const struct path_config *config);
/* Removes port mappings (bounded time) and frees every peer. */
void path_destroy(struct path *path);
/* A reloaded config: STUN servers, static endpoints, the DERP map's STUN servers. */
void path_apply_config(struct path *path, const struct config *config);
/* The DERP map from the tailnet's control server: its STUN servers and region codes. */
void path_set_derp_map(struct path *path, const struct config_derp *derp);
/* The node's WireGuard key changed (UAPI): Hello and ping carry the new one. */
void path_set_node_key(struct path *path, const uint8_t private_key[PATH_KEY_LEN]);
const uint8_t *path_disco_public_key(const struct path *path);

/* Peers. The route is announced through hooks.route_changed (also once at add). */
struct path_peer *path_peer_add(struct path *path, const struct path_peer_config *pc,
				void *user);
void path_peer_update(struct path_peer *peer, const struct path_peer_config *pc);
void path_peer_remove(struct path_peer *peer);
void path_peer_activity(struct path_peer *peer, const struct path_activity *activity);
/* An authenticated WireGuard message came from src by UDP (worker roam notice, or a handshake
 * the device took); when: the time it was received. */
void path_peer_heard(struct path_peer *peer, const struct netendpoint *src, uint64_t when_ns);
const struct path_route *path_peer_route(const struct path_peer *peer);
enum path_kind path_peer_kind(const struct path_peer *peer);

/* Packets. A datagram on the listen port that is STUN or disco (the data plane's demux). */
void path_udp_input(struct path *path, const struct netendpoint *src, const uint8_t *data,
		    size_t len);
/* A DERP packet from node key src: true when it was disco (taken here), false otherwise. */
bool path_derp_input(struct path *path, const uint8_t src[PATH_KEY_LEN], const uint8_t *data,
		     size_t len);

/* `exitgatectl ping`: one disco ping round to a peer; done() runs once, with the first pong
 * or a timeout. */
struct path_ping_result {
	bool answered;
	bool direct;                 /* the pong came by UDP */
	struct netendpoint from;     /* its source, when direct */
	uint32_t region;             /* the relay region, when not */
	uint64_t latency_us;
	char error[96];              /* when not answered */
};
typedef void (*path_ping_done_fn)(void *ctx, const struct path_ping_result *result);
int path_ping(struct path *path, struct path_peer *peer, uint32_t timeout_ms,
	      path_ping_done_fn done, void *ctx);
/* Forget a ping's callback (its requester went away). */
void path_ping_cancel(struct path *path, void *ctx);

/* Reports: a peer's path for status (text: "direct 1.2.3.4:41641" / "relay \"lab\"" / ...;
 * json: members ,"path":...), netcheck, and why a peer is not direct. */
void path_peer_describe(struct path *path, const struct path_peer *peer, struct strbuf *out,
			bool json);
void path_netcheck(struct path *path, struct strbuf *out, bool json);
/* Start a netcheck round now (exitgatectl netcheck); its report is ready after
 * PATH_STUN_TIMEOUT_MS. */
void path_netcheck_start(struct path *path);
bool path_netcheck_running(const struct path *path);
void path_why(struct path *path, const struct path_peer *peer, struct strbuf *out, bool json);
void path_stats(struct path *path, struct strbuf *out, bool json);
/* A DERP region's code from the map ("lab"), or NULL. */
const char *path_region_code(const struct path *path, uint32_t region);

/* Our advertised endpoints (tailnet: MapRequest.Endpoints / EndpointTypes). */
enum path_endpoint_type {
	PATH_EP_UNKNOWN = 0,
	PATH_EP_LOCAL = 1,
	PATH_EP_STUN = 2,
	PATH_EP_PORTMAPPED = 3,
	PATH_EP_STUN4_LOCAL_PORT = 4,
	PATH_EP_STATIC = 5,
};
size_t path_endpoints(const struct path *path, struct netendpoint *eps, uint8_t *types,
		      size_t max);

/* What the last netcheck found, for a tailnet's Hostinfo.NetInfo. */
struct path_netinfo {
	bool valid;                  /* a round has completed */
	bool udp4, udp6;
	bool varies4, varies6;       /* hard NAT */
	bool portmap;                /* a mapping is in place */
	uint8_t portmap_protocol;    /* enum config_port_mapping + 1, 0 = none */
	uint32_t preferred_region;   /* the relay's home */
	size_t region_count;
	struct {
		uint32_t id;
		uint32_t latency_us; /* 0 = no answer */
	} regions[16];
};
void path_netinfo(const struct path *path, struct path_netinfo *ni);

#endif
