/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The device's state, shared by its handshake half (device.c) and its transport half
 * (device_data.c). Not for callers: they use device.h.
 */
#ifndef EXITGATE_WG_DEVICE_INTERNAL_H
#define EXITGATE_WG_DEVICE_INTERNAL_H

#include "cookie.h"
#include "crypto.h"
#include "device.h"
#include "index_table.h"
#include "noise.h"
#include "ratelimiter.h"
#include "transport.h"

struct wg_outbox_slot {
	uint8_t *buf;
	size_t len;
	struct netendpoint to;
	struct wg_peer *peer;
};

struct wg_device {
	const struct wg_env *env;
	struct wg_device_datapath datapath; /* all NULL without an external data path */
	struct wg_crypto *crypto;
	struct wg_transport_ctx transport;
	struct noise_local local;
	struct cookie_checker cookie;
	struct ratelimiter ratelimiter;
	struct wg_index_table indices;

	struct wg_peer **peer_buckets; /* by public key */
	uint32_t peer_bucket_mask;
	uint8_t peer_hash_key[16];
	struct wg_peer *peers_head;
	struct wg_peer *peers_tail;
	uint32_t peer_count;
	uint32_t max_peers;

	uint16_t mtu;
	uint32_t handshake_queue_capacity;
	uint32_t handshake_queue_depth;
	bool was_under_load;
	uint64_t last_under_load_ns;

	struct wg_outbox_slot outbox[WG_DEVICE_OUTBOX_SIZE];
	uint8_t *outbox_buffers;
	size_t outbox_slot_size;
	uint32_t outbox_head;
	uint32_t outbox_count;

	struct wg_device_stats stats;
};

/* Somewhere to send the peer's messages: a UDP endpoint, or the relay. */
static inline bool
device_peer_reachable(const struct wg_peer *peer)
{
	return peer->has_endpoint || peer->relayed;
}

/* Count a drop and record it in result (which may be NULL). */
void device_drop(struct wg_device *dev, struct wg_rx_result *result, enum wg_drop_reason reason);
/* A free outbox buffer of outbox_slot_size bytes, or NULL when full (the caller counts the
 * drop). */
uint8_t *device_outbox_claim(struct wg_device *dev);
/* Queue the claimed buffer as a datagram of len bytes to the peer's endpoint. */
void device_outbox_commit(struct wg_device *dev, struct wg_peer *peer, size_t len);
/* Send (or start a handshake to send) an initiation: device.c. */
void device_initiate(struct wg_device *dev, struct wg_peer *peer, bool is_retry);
/* Encrypt and send what is staged for peer, starting a handshake when no keypair can send:
 * device_data.c. */
void device_send_staged(struct wg_device *dev, struct wg_peer *peer);

/* An authenticated data message arrived on kp: confirms a responder's session. */
void device_keypair_received(struct wg_device *dev, struct wg_peer *peer, struct wg_keypair *kp);
/* Timer events of authenticated traffic (data: not a keepalive). */
void device_note_received(struct wg_device *dev, struct wg_peer *peer, bool data);
void device_note_sent(struct wg_device *dev, struct wg_peer *peer, bool data);

#endif
