/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * WireGuard in exitgated's control plane: the handshake device (control/wg) joined to the data
 * plane's peers and keypairs (dataplane/wg_data.h).
 *
 * The device owns handshakes, cookies, rate limiting and timers; it allocates keypairs inside
 * the data plane's objects, so the keys the handshake derives are the keys the workers use, and
 * it retires them through the data plane's RCU grace period. The workers record what they see
 * per peer (timestamps, byte counts, first data on a keypair, a peer roaming); this module feeds
 * that to the device's timers every SYNC_INTERVAL and publishes back what the device decided
 * (current keypair, endpoint). Staged packets and keepalives are encrypted here (rare) and sent
 * through a worker like handshake messages.
 */
#ifndef EXITGATE_CONTROL_WG_NODE_H
#define EXITGATE_CONTROL_WG_NODE_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>

#include "config.h"
#include "device.h"
#include "node.h"
#include "strbuf.h"
#include "uapi.h"

enum {
	WG_NODE_SYNC_INTERVAL_MS = 100,
};

struct wg_node *wg_node_create(struct node *node);
void wg_node_destroy(struct wg_node *wn);

/* Upcalls from the workers; each takes ownership of m. */
void wg_node_handshake(struct wg_node *wn, struct rte_mbuf *m, uint32_t queue_depth);
void wg_node_need_keypair(struct wg_node *wn, struct rte_mbuf *m);
void wg_node_notice(struct wg_node *wn, struct rte_mbuf *m);
/* Send what the device queued (after a batch of upcalls). */
void wg_node_flush(struct wg_node *wn);
/* Feed worker observations to the timers, run them, publish; returns the next deadline. */
uint64_t wg_node_tick(struct wg_node *wn, uint64_t now_ns);

/* A WireGuard message that came through the relay from the peer with key src (relay.h): a
 * handshake goes to the device with a relay source, transport data to a worker to decrypt. */
enum wg_node_relay_verdict {
	WG_NODE_RELAY_ACCEPTED,
	WG_NODE_RELAY_UNKNOWN_PEER,   /* the key is no peer of ours */
	WG_NODE_RELAY_NOT_RELAY_PEER, /* until path selection only `path: relay` peers relay */
	WG_NODE_RELAY_NOT_WIREGUARD,  /* not a WireGuard message, or of a bad length */
	WG_NODE_RELAY_NO_MBUF,        /* no packet buffer to hand it to a worker */
	WG_NODE_RELAY_VERDICTS
};
enum wg_node_relay_verdict wg_node_relay_input(struct wg_node *wn, const uint8_t src[KEY_LEN],
					       const uint8_t *msg, size_t len);
const char *wg_node_relay_verdict_name(enum wg_node_relay_verdict verdict);

/* Make peers, keys and ports match a freshly loaded config (reload). 0, or -1 with why. */
int wg_node_apply_config(struct wg_node *wn, const struct config *config, struct strbuf *why);

/* UAPI: get writes the interface and peers; set applies a validated request (errno or 0). */
void wg_node_uapi_get(struct wg_node *wn, struct strbuf *out);
int wg_node_uapi_set(struct wg_node *wn, const struct uapi_set *set, char *why, size_t why_size);

/* Path selection's route for a peer (the user pointer path_peer_add was given): applied to the
 * workers (endpoint, send mode) and the device (where handshakes go). */
struct path_route;
struct path_peer;
struct wg_node_peer;
void wg_node_apply_route(void *peer_user, const struct path_route *route);
/* Peers the tailnet's netmap supplies (control/tailnet_glue.c): added or updated in place (the
 * others' sessions untouched), removed; a YAML reload leaves them alone, and a peer of the
 * YAML file with the same key wins. Commit once after a batch: it publishes the allowed IPs. */
struct wg_node_tailnet_peer {
	const char *name;
	uint8_t public_key[KEY_LEN];
	const struct netprefix *allowed_ips;
	size_t allowed_ip_count;
	bool has_disco_key;
	uint8_t disco_key[KEY_LEN];
	const struct netendpoint *endpoints; /* path candidates */
	size_t endpoint_count;
};
int wg_node_tailnet_upsert(struct wg_node *wn, const struct wg_node_tailnet_peer *peer);
void wg_node_tailnet_remove(struct wg_node *wn, const uint8_t public_key[KEY_LEN]);
void wg_node_tailnet_commit(struct wg_node *wn);

/* A peer by name, base64 public key, or an address in its allowed IPs; NULL when none. */
struct wg_node_peer *wg_node_find_peer(struct wg_node *wn, const char *which);
struct path_peer *wg_node_peer_path(const struct wg_node_peer *np);
const char *wg_node_peer_name(const struct wg_node_peer *np);
/* Its first allowed IP (its tunnel address), or NULL. */
const struct netprefix *wg_node_peer_address(const struct wg_node_peer *np);

/* Peers for `exitgatectl status` / `stats` (a JSON fragment "\"peers\":[...]" with json). */
void wg_node_status(struct wg_node *wn, struct strbuf *out, bool json);
void wg_node_stats(struct wg_node *wn, struct strbuf *out, bool json);

/*
 * Figures for reports (metrics): asked of this module through functions, never read from its
 * structs.
 */
enum wg_node_path_kind {
	WG_NODE_PATH_NONE,   /* nowhere to send: no endpoint and not relayed */
	WG_NODE_PATH_DIRECT, /* UDP to the peer's endpoint */
	WG_NODE_PATH_RELAY,  /* through a DERP region */
	WG_NODE_PATH_BOTH,   /* UDP to an unconfirmed direct endpoint and the relay */
	WG_NODE_PATH_KINDS
};
const char *wg_node_path_kind_name(enum wg_node_path_kind kind);

struct wg_node_peer_figures {
	const char *name;
	const uint8_t *public_key;
	uint64_t rx_bytes; /* as wg show transfer: handshakes and data */
	uint64_t tx_bytes;
	uint64_t rx_packets; /* transport data messages */
	uint64_t tx_packets;
	uint64_t handshakes;                 /* completed */
	uint64_t last_handshake_realtime_ns; /* 0 = never */
	enum wg_node_path_kind path;
	uint32_t relay_region; /* with WG_NODE_PATH_RELAY: the region, 0 = no relay connection */
};

/* Called for each peer in order; a non-zero return stops the walk and is returned by it. */
typedef int (*wg_node_peer_fn)(const struct wg_node_peer_figures *peer, void *arg);
int wg_node_peer_walk(struct wg_node *wn, wg_node_peer_fn fn, void *arg);
size_t wg_node_peer_count(const struct wg_node *wn);
const struct wg_device_stats *wg_node_handshake_stats(const struct wg_node *wn);

#endif
