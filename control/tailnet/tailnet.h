/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The tailnet control client: exitgate as a node of a tailnet, logged in to a coordination
 * server (headscale, or Tailscale's) over ts2021 (tailnet.md §1-2). It owns the connection to
 * the server and the netmap; the node that creates it owns everything the netmap drives (peers,
 * paths, the data plane) and hears of changes only through the callbacks.
 *
 *   GET /key?v=N -> POST /ts2021 (Upgrade; Noise IK) -> HTTP/2 over Noise ->
 *   POST /machine/register (a pre-auth key from a file; a node whose machine key the server
 *   already knows first tries without it) -> POST /machine/map (Stream) ... the netmap,
 *   plus a lite POST /machine/map (Stream false, OmitPeers) whenever endpoints, disco key or
 *   Hostinfo (NetInfo) change.
 *
 * Concurrency: everything runs on the control loop's thread (control/loop.h): one timer and
 * the connection's socket are registered with it; no call blocks or sleeps. Callbacks run from
 * the loop; from inside a callback the tailnet_set_* calls are allowed (they only mark work for
 * the next turn), tailnet_destroy is not.
 *
 * Names: a login server given by an address literal is dialled at once; a host name is
 * resolved with getaddrinfo_a (glibc's resolver thread, polled from the timer every 20 ms, at
 * most 10 s), so a slow DNS never stalls the loop. Only tailnet_destroy may wait for a lookup
 * still running (up to 5 s), since glibc writes its result into memory this module owns.
 *
 * Transport: http:// is TCP to the URL's port (80 when not written), https:// is TLS (OpenSSL,
 * system CAs, verified against the host name or address) to its port (443 when not written);
 * unlike tailscaled there is no fallback between 80 and 443. Sockets are ordinary kernel
 * sockets: on a DPDK node they leave through the public port's kernel TAP like every other
 * kernel socket of the node.
 *
 * Capability version: TAILNET_CAPABILITY_VERSION = 113 is claimed (tailcfg.go's list):
 *   - headscale v0.29.2 refuses anything below 113 (capver.MinSupportedCapabilityVersion) in
 *     the Noise handshake and with a 400 on register and map; 113 is the lowest it accepts.
 *   - What 113 promises, exitgate does: 111 "a peer may have HomeDERP" (parsed, with the legacy
 *     "DERP" string as fallback), 112 "nil AllowedIPs means Addresses" (applied), 113 "the
 *     client sends Hostinfo.IngressEnabled" (exitgate never runs funnel: it is left out, false).
 *   - What peers do with it: >= 26 makes a tailscaled that selects this node as its exit node
 *     send all its DNS to the node's peerAPI DoH (Hostinfo.Services peerapi4/6); exitgate does
 *     not serve peerAPI yet (issue 13), so until then clients need --accept-dns=false. No
 *     version >= 113 avoids this. Versions >= 121 would mark the node relay-capable for peer
 *     relays, which exitgate is not: 113 stays below that.
 *   The node may claim another (tailnet_config.capability_version) once it honours more.
 *
 * Compression: Compress "zstd" is asked for by default, as tailscaled does: it is the path the
 * servers serve most clients, and a full netmap shrinks several times. Each frame is checked
 * before it is decoded (tailnet_mapstream.h). tailnet_config.plain_json asks for raw JSON.
 *
 * Failures: anything malformed or hostile from the server (HTTP, Noise, records, HTTP/2, map
 * framing, zstd, JSON, a netmap over the limits) closes the connection, is counted by reason,
 * and leaves the last good netmap in place; the client reconnects after a jittered exponential
 * back-off (TAILNET_BACKOFF_MIN_MS doubling to TAILNET_BACKOFF_MAX_MS, each delay drawn from
 * [d/2, d]). The netmap is never cleared by a control outage: the data plane keeps running on
 * it. A peer the server deletes arrives as PeersRemoved (or leaves a full Peers set); a peer
 * whose key expires stays in the netmap with expired / key_expiry set (tailnet_node_expired).
 */
#ifndef EXITGATE_TAILNET_H
#define EXITGATE_TAILNET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netaddr.h"
#include "tailnet_netmap.h"

struct loop;
struct strbuf;

enum {
	TAILNET_CAPABILITY_VERSION = 113,
	TAILNET_MIN_CAPABILITY_VERSION = 113,
	/* The client kills a map poll that has been silent this long (controlclient
	 * watchdogTimeout); servers send a keepalive every 50-59 s. */
	TAILNET_WATCHDOG_MS = 120 * 1000,
	/* Dial, TLS, /key and the upgrade with the Noise handshake, each attempt at most (the Go
	 * client's 10 s without a dial plan). */
	TAILNET_CONNECT_TIMEOUT_MS = 10 * 1000,
	/* A register or lite map request unanswered this long fails the connection. */
	TAILNET_REQUEST_TIMEOUT_MS = 60 * 1000,
	TAILNET_BACKOFF_MIN_MS = 500,
	TAILNET_BACKOFF_MAX_MS = 30 * 1000,
	/* A lite update that failed is tried again this much later. */
	TAILNET_LITE_RETRY_MS = 5 * 1000,
	TAILNET_ENDPOINTS_MAX = 64,
	TAILNET_DERP_LATENCY_MAX = 128,
};

enum tailnet_state {
	TAILNET_STATE_CONNECTING,  /* resolving, /key, upgrade, Noise, HTTP/2, register, map */
	TAILNET_STATE_CONNECTED,   /* the map poll delivers; the netmap is current */
	TAILNET_STATE_BACKOFF,     /* waiting to reconnect after a failure */
	TAILNET_STATE_NEEDS_LOGIN, /* the server refused the login (no, or a bad, auth key;
				    * node key expired): retried with back-off; or, with the map
				    * poll still running, the server expired this node's key */
};

typedef void (*tailnet_netmap_fn)(void *ctx, const struct tailnet_netmap *nm,
				  const struct tailnet_netmap_change *what_changed);
typedef void (*tailnet_state_fn)(void *ctx, enum tailnet_state state, const char *reason);
/* Every decoded map message as received (raw JSON), before it is parsed: for captures. */
typedef void (*tailnet_message_fn)(void *ctx, const char *json, size_t len);

struct tailnet_config {
	struct loop *loop;
	const char *login_server;  /* http[s]://host[:port] */
	const char *auth_key_file; /* NULL: log in only as a node the server knows */
	const char *hostname;      /* NULL or "": the system's host name */
	const char *state_dir;     /* the machine key lives here */
	bool advertise_exit_node;  /* Hostinfo.RoutableIPs 0.0.0.0/0 and ::/0 */
	uint8_t node_private_key[32];  /* the WireGuard key; its public half is the node key */
	uint8_t disco_public_key[32];  /* all zero: none yet (tailnet_set_disco_key later) */
	uint16_t capability_version;   /* 0 = TAILNET_CAPABILITY_VERSION; >= 113 */
	bool plain_json;               /* do not ask for zstd */
	size_t max_peers;              /* 0 = TAILNET_DEFAULT_PEERS_MAX */
	const char *ca_file;           /* https: NULL = the system's CAs */
	uint32_t backoff_max_ms;       /* 0 = TAILNET_BACKOFF_MAX_MS; labs shorten it */
	uint32_t watchdog_ms;          /* 0 = TAILNET_WATCHDOG_MS; labs shorten it */
	tailnet_netmap_fn on_netmap;
	tailnet_state_fn on_state;
	tailnet_message_fn on_message; /* NULL = none */
	void *ctx;
};

/* Counters of what happened and of everything refused, by reason. */
struct tailnet_stats {
	uint64_t connect_attempts;
	uint64_t connects;               /* map polls that delivered a first message */
	uint64_t disconnects;            /* connections lost or closed after a failure */
	uint64_t resolve_failures;
	uint64_t connect_failures;       /* TCP or TLS */
	uint64_t key_fetch_failures;     /* /key refused, malformed, too long */
	uint64_t upgrade_failures;       /* not a 101, malformed head */
	uint64_t noise_failures;         /* bad response, bad tag, server error message */
	uint64_t record_failures;        /* records that do not decrypt, bad type or length */
	uint64_t early_payload_failures;
	uint64_t http2_failures;         /* nghttp2 refused the server's frames, GOAWAY, resets */
	uint64_t register_failures;      /* non-200, malformed response */
	uint64_t login_refused;          /* Error, AuthURL, not authorized, key expired */
	uint64_t self_expired;           /* the self node arrived expired */
	uint64_t map_failures;           /* non-200 map poll, stream ended */
	uint64_t map_framing_failures;   /* too long, bad zstd */
	uint64_t map_json_failures;      /* malformed MapResponse (whole message refused) */
	uint64_t map_limit_failures;     /* over the peer cap */
	uint64_t timeouts;               /* connect, request, watchdog */
	uint64_t watchdog_timeouts;
	uint64_t map_messages;
	uint64_t keepalives;
	uint64_t lite_updates_sent;
	uint64_t lite_update_failures;
	uint64_t endpoints_skipped;
	uint64_t texts_truncated;
	uint64_t filter_entries_skipped;
	uint64_t ping_requests_ignored;
};

struct tailnet;

/* Copies what it needs (the keys are wiped on destroy); NULL (logged) on a bad config. The
 * first connection attempt starts on the loop's next turn. */
struct tailnet *tailnet_create(const struct tailnet_config *config);
void tailnet_destroy(struct tailnet *t);

/* The node's endpoints with their tailcfg EndpointType numbers (0 unknown, 1 local, 2 STUN,
 * 3 portmapped, 4 STUN4LocalPort, 5 explicit config); at most TAILNET_ENDPOINTS_MAX are kept.
 * A change is published with a lite update (or in the next map poll while disconnected). */
void tailnet_set_endpoints(struct tailnet *t, const struct netendpoint *eps,
			   const uint8_t *types, size_t n);
/* Hostinfo.NetInfo; copied (derp_latency too). */
void tailnet_set_netinfo(struct tailnet *t, const struct tailnet_netinfo *ni);
void tailnet_set_disco_key(struct tailnet *t, const uint8_t key[32]);

/* Human text or JSON of the state, the counters and the netmap's summary, appended. */
void tailnet_status(const struct tailnet *t, struct strbuf *out, bool json);
const struct tailnet_netmap *tailnet_netmap(const struct tailnet *t);
enum tailnet_state tailnet_state(const struct tailnet *t);
const char *tailnet_state_name(enum tailnet_state state);
const struct tailnet_stats *tailnet_stats(const struct tailnet *t);
/* The machine key (the Noise static key the server knows this node by). */
void tailnet_machine_public_key(const struct tailnet *t, uint8_t out[32]);

#endif
