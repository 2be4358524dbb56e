/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One configured WireGuard peer of a device: its handshake state (noise_remote), its cookie
 * maker, its timers, its endpoint, and a small queue of plaintext packets waiting for a
 * handshake to finish ("staged"). Created and owned by the device (device.h); the control
 * plane reads it directly, single-threaded.
 */
#ifndef EXITGATE_WG_PEER_H
#define EXITGATE_WG_PEER_H

#include <stdbool.h>
#include <stdint.h>

#include "cookie.h"
#include "netaddr.h"
#include "noise.h"
#include "timers.h"

struct wg_device;

enum {
	WG_PEER_STAGED_MAX = 32, /* packets waiting for a handshake; the oldest go first */
};

struct wg_staged_queue {
	uint8_t *buffers; /* WG_PEER_STAGED_MAX slots of slot_size bytes */
	uint16_t len[WG_PEER_STAGED_MAX];
	uint32_t slot_size;
	uint32_t head;
	uint32_t count;
};

struct wg_peer_stats {
	uint64_t rx_bytes; /* datagram bytes received (what `wg show` calls transfer) */
	uint64_t tx_bytes;
	uint64_t rx_data_packets;
	uint64_t tx_data_packets;
	uint64_t handshakes_completed;
};

struct wg_peer {
	struct wg_device *device;
	struct wg_peer *hash_next; /* device's public-key hash chain */
	struct wg_peer *list_next; /* device's list, in order of addition */
	struct noise_remote remote;
	struct cookie_maker cookie;
	struct wg_timers timers;
	struct netendpoint endpoint;
	bool has_endpoint;
	bool relayed; /* reached through the relay: sendable without a UDP endpoint */
	struct wg_staged_queue staged;
	struct wg_peer_stats stats;
	void *user; /* the caller's (wg_peer_set_user) */
};

int wg_staged_init(struct wg_staged_queue *q, uint32_t slot_size);
void wg_staged_fini(struct wg_staged_queue *q);
/* Queue a copy of a packet (len <= slot_size); when full the oldest is dropped and true is
 * returned through *dropped_oldest. */
void wg_staged_push(struct wg_staged_queue *q, const uint8_t *packet, uint16_t len,
		    bool *dropped_oldest);
/* The oldest packet, or NULL; valid until the next push. */
uint8_t *wg_staged_peek(struct wg_staged_queue *q, uint16_t *len);
void wg_staged_pop(struct wg_staged_queue *q);
/* Drop everything (wiped: they are plaintext); returns how many were dropped. */
uint32_t wg_staged_purge(struct wg_staged_queue *q);

#endif
