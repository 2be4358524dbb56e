/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * WireGuard on the worker cores: transport data (type 4) is decrypted and encrypted here, in
 * bursts through ipsec-mb; handshakes stay with the control plane.
 *
 * Shared state, all published by the control plane and read lock-free by workers (RCU):
 *  - the peer table: slot -> struct dp_peer (peer ids carry a generation so that a packet queued
 *    for a removed peer can never reach a new peer in the same slot);
 *  - the index table: our receiver index -> struct dp_keypair (rte_hash, lock-free reads);
 *  - the allowed-IPs table (allowedips.h), replaced whole on every change.
 * Per peer, each worker writes only its own cache line of statistics and timestamps; the
 * control plane sums them for `wg show` and reads the timestamps to run the timers, so the
 * workers never call into timer code (they record, the control plane decides).
 * Workers tell the control plane about events (first data on an unconfirmed keypair, a keypair
 * due for rekeying, a peer roaming) with notices, each sent once per keypair or rate-limited.
 */
#ifndef EXITGATE_DATAPLANE_WG_DATA_H
#define EXITGATE_DATAPLANE_WG_DATA_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_hash.h>
#include <rte_mbuf.h>

#include "allowedips.h"
#include "dp.h"
#include "keypair.h"

enum {
	DP_PEER_SLOTS = 1 << 16,
	DP_PEER_SLOT_MASK = DP_PEER_SLOTS - 1,
	DP_KEYPAIRS_MAX = 1 << 18,
	DP_ROAM_NOTICE_INTERVAL_NS = 100 * 1000 * 1000,
};

/* One worker's view of a peer: written by that worker only. */
struct dp_peer_stats {
	uint64_t rx_bytes; /* UDP payload bytes of messages received from the peer */
	uint64_t tx_bytes; /* ... sent to the peer */
	uint64_t rx_packets;
	uint64_t tx_packets;
	uint64_t last_rx_ns;      /* any authenticated message */
	uint64_t last_rx_data_ns; /* data, not keepalive */
	uint64_t last_rx_udp_ns;  /* any authenticated message that came by UDP (not the relay) */
	uint64_t last_tx_data_ns; /* data sent (keepalives are the control plane's) */
	uint64_t roam_notice_ns;
} __rte_cache_aligned;

struct dp_endpoint {
	struct netendpoint addr; /* family 0: none known */
};

/* Where a peer's encrypted packets go (control/path decides, the workers follow). */
enum dp_send_mode {
	DP_SEND_UDP,   /* to the endpoint, from the public port's listen address and port */
	DP_SEND_RELAY, /* to the control plane, which sends them over DERP */
	DP_SEND_BOTH,  /* both: a direct path not (or no longer) trusted, the relay as well */
};

struct dp_keypair;

struct dp_peer {
	uint32_t id; /* slot | generation << 16 */
	uint8_t public_key[32];
	/* The keypair senders use; NULL or not yet confirmed: packets wait for a handshake. */
	_Atomic(struct dp_keypair *) current;
	/* Where encrypted packets go; swapped whole when the peer roams. */
	_Atomic(struct dp_endpoint *) endpoint;
	_Atomic uint8_t send_mode; /* enum dp_send_mode, the path the control plane chose */
	unsigned int worker_count;
	struct dp_peer_stats stats[]; /* one per worker */
};

struct dp_keypair {
	struct wg_keypair kp; /* first: it carries the cache-line alignment */
	struct dp_peer *peer;
	atomic_flag confirm_noticed;
	atomic_flag rekey_noticed;
	/* control plane only */
	struct dp_wg *wg;
	int32_t hash_position; /* its slot in the index table, freed with it */
};

struct dp_wg {
	struct rte_hash *index; /* local index (uint32) -> struct dp_keypair * */
	_Atomic(struct dp_peer *) peers[DP_PEER_SLOTS];
	_Atomic(struct allowedips *) allowed;
	uint32_t mtu;
};

struct worker;

/* Worker side. */
/* A type-4 message at payload_off (the frame is consumed: decrypted and routed, or dropped). */
void wg_data_input(struct worker *w, const struct dp_port *port, struct rte_mbuf *m,
		   const struct netendpoint *src, uint16_t payload_off, uint16_t payload_len);
/* Encrypt an IP packet (data at the IP header; empty = keepalive) for a peer and send it. */
void wg_data_send(struct worker *w, struct dp_peer *peer, struct rte_mbuf *m);
/* Route a decrypted or inner packet (data at the IP header) by allowed-IPs; false when no peer
 * matched (the caller decides what else to do with it; m is not consumed then). */
bool wg_data_route_to_peer(struct worker *w, struct rte_mbuf *m);
/* Finish the bursts collected by the two functions above and the exit path's stages between
 * them (exit_flush), at the end of each RX burst. */
void wg_data_flush(struct worker *w);
/* A peer from an id in a message; NULL when it is gone. */
struct dp_peer *wg_data_peer(struct dataplane *dp, uint32_t id);

/*
 * Control side (main lcore only): publish and retire. Removed objects are freed (keys wiped)
 * after an RCU grace period; nothing a worker might still hold is ever freed under it.
 */
int dp_wg_create(struct dataplane *dp, uint32_t mtu);
void dp_wg_destroy(struct dataplane *dp);

/* A new peer in a free slot (NULL when all are taken or out of memory). */
struct dp_peer *dp_peer_add(struct dataplane *dp, const uint8_t public_key[32]);
/* Unpublish a peer: its keypairs must have been removed first. */
void dp_peer_remove(struct dataplane *dp, struct dp_peer *peer);
/* Where to send; NULL or family 0 = nowhere until the peer is heard from. */
int dp_peer_set_endpoint(struct dataplane *dp, struct dp_peer *peer, const struct netendpoint *ep);
void dp_peer_set_send_mode(struct dp_peer *peer, enum dp_send_mode mode);
/* The keypair senders use (NULL: none, packets wait for a handshake). */
void dp_peer_set_current(struct dp_peer *peer, struct dp_keypair *kp);

/* Memory for a keypair of peer, to be initialised (wg_keypair_init) and then published. */
struct dp_keypair *dp_keypair_alloc(struct dataplane *dp, struct dp_peer *peer);
/* Make an initialised keypair visible to receivers under its local index: 0 or -1. */
int dp_keypair_publish(struct dataplane *dp, struct dp_keypair *kp);
/* All three steps at once (benchmarks and tests). */
struct dp_keypair *dp_keypair_add(struct dataplane *dp, struct dp_peer *peer,
				  const uint8_t send_key[32], const uint8_t receive_key[32],
				  uint32_t local_index, uint32_t remote_index, bool initiator,
				  uint64_t birth_ns);
/* Unpublish (if published) and, after the grace period, wipe and free. */
void dp_keypair_remove(struct dataplane *dp, struct dp_keypair *kp);

/* Replace the allowed-IPs table (values are struct dp_peer *). */
int dp_allowedips_publish(struct dataplane *dp, const struct allowedips_entry *entries, size_t n);

struct dp_peer_totals {
	uint64_t rx_bytes, tx_bytes, rx_packets, tx_packets;
	uint64_t last_rx_ns, last_rx_data_ns, last_tx_data_ns, last_rx_udp_ns;
};
void dp_peer_totals(const struct dp_peer *peer, struct dp_peer_totals *out);

#endif
