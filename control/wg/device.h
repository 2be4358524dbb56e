/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A WireGuard device for a single-threaded caller: the local static identity, the peers, the
 * receiver-index table, the cookie checker, the handshake rate limiter and the "under load"
 * state, with three entry points:
 *   - wg_device_receive(): a UDP datagram arrived from ip:port;
 *   - wg_device_send(): a plaintext IP packet should go to a peer (encrypt, or stage it and
 *     start a handshake);
 *   - wg_device_run_timers(): the loop reached wg_device_next_deadline().
 * Datagrams to send are collected in an outbox that the caller drains with
 * wg_device_pop_output() after every call.
 *
 * Handshake logic (types 1-3, device.c) is separate from transport (type 4, device_data.c): the
 * interop program and the tests use both over a kernel socket; exitgated's control plane will
 * use the handshake side while its workers do type 4 with the same keypairs.
 *
 * Concurrency: one thread. Allowed-IPs filtering of decrypted packets is the caller's job.
 */
#ifndef EXITGATE_WG_DEVICE_H
#define EXITGATE_WG_DEVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drop_reason.h"
#include "env.h"
#include "messages.h"
#include "netaddr.h"
#include "peer.h"

struct wg_device;

enum {
	WG_DEVICE_DEFAULT_MTU = 1420,
	WG_DEVICE_MIN_MTU = 576,
	WG_DEVICE_MAX_MTU = 9000,
	WG_DEVICE_DEFAULT_MAX_PEERS = 1024,
	WG_DEVICE_DEFAULT_HANDSHAKE_QUEUE = 4096,
	WG_DEVICE_OUTBOX_SIZE = 64,
};

/*
 * An external data path (exitgated's DPDK workers) that moves type-4 messages itself with the
 * device's keypairs: the device lets it allocate them (to embed them), tells it when one becomes
 * reachable by its index and when one is retired (to unpublish it and free it after the data
 * path's grace period), and is told in turn what the data path saw (wg_device_datapath_*).
 */
struct wg_device_datapath {
	void *arg;
	struct wg_keypair *(*keypair_alloc)(void *arg, struct wg_peer *peer);
	void (*keypair_publish)(void *arg, struct wg_peer *peer, struct wg_keypair *kp);
	void (*keypair_retire)(void *arg, struct wg_keypair *kp);
};

struct wg_device_config {
	const struct wg_env *env;                  /* NULL: wg_env_system */
	const struct wg_device_datapath *datapath; /* NULL: keypairs live in the device only */
	uint32_t max_peers;                        /* 0: WG_DEVICE_DEFAULT_MAX_PEERS */
	uint32_t ratelimiter_capacity;             /* 0: RATELIMITER_DEFAULT_CAPACITY */
	uint32_t handshake_queue_capacity;         /* 0: WG_DEVICE_DEFAULT_HANDSHAKE_QUEUE */
	uint16_t mtu;                              /* tunnel MTU (padding cap); 0: 1420 */
};

enum wg_rx_verdict {
	WG_RX_DROP,      /* see drop_reason (counted); a cookie reply may be in the outbox */
	WG_RX_HANDSHAKE, /* a handshake or cookie message was consumed; replies are in the outbox */
	WG_RX_KEEPALIVE, /* an authenticated keepalive */
	WG_RX_DATA,      /* plaintext IP packet at data[0..len) (inside the caller's buffer) */
};

struct wg_rx_result {
	enum wg_rx_verdict verdict;
	enum wg_drop_reason drop_reason; /* when WG_RX_DROP */
	struct wg_peer *peer;            /* the authenticated sender, when known */
	uint8_t *data;
	size_t len;
};

struct wg_outbound {
	const uint8_t *data; /* valid until the next call into the device */
	size_t len;
	struct netendpoint to;
	struct wg_peer *peer;
};

struct wg_device_stats {
	uint64_t drops[WG_DROP_REASON_COUNT];
	uint64_t rx_datagrams;
	uint64_t tx_datagrams;
	uint64_t initiations_sent;
	uint64_t initiations_received; /* consumed */
	uint64_t responses_sent;
	uint64_t responses_received; /* consumed */
	uint64_t cookie_replies_sent;
	uint64_t cookie_replies_received; /* consumed */
	uint64_t sessions_confirmed;
	uint64_t keepalives_sent;
	uint64_t keepalives_received;
};

struct wg_device *wg_device_new(const struct wg_device_config *config);
void wg_device_free(struct wg_device *dev);

/* Install (or with NULL remove) the static private key. A peer with the resulting public key
 * is removed, and every peer's current keypairs expire (new handshakes follow). 0 or -1. */
int wg_device_set_private_key(struct wg_device *dev, const uint8_t *private_key);
/* Our public key, or NULL without a private key. */
const uint8_t *wg_device_public_key(const struct wg_device *dev);
uint16_t wg_device_mtu(const struct wg_device *dev);

/* A new peer; NULL (logged) for our own key, a duplicate, or a full device. */
struct wg_peer *wg_device_add_peer(struct wg_device *dev, const uint8_t public_key[WG_KEY_LEN]);
void wg_device_remove_peer(struct wg_device *dev, struct wg_peer *peer);
struct wg_peer *wg_device_find_peer(const struct wg_device *dev,
				    const uint8_t public_key[WG_KEY_LEN]);
/* Iterate: NULL gives the first peer; returns NULL after the last. */
struct wg_peer *wg_device_next_peer(const struct wg_device *dev, const struct wg_peer *peer);
uint32_t wg_device_peer_count(const struct wg_device *dev);

void wg_peer_set_psk(struct wg_peer *peer, const uint8_t *psk); /* NULL = none */
void wg_peer_set_endpoint(struct wg_peer *peer, const struct netendpoint *endpoint);
void wg_peer_set_persistent_keepalive(struct wg_peer *peer, uint16_t interval_s);
/* A relayed peer's messages go through the relay (the caller sends the outbox entries of such a
 * peer there), so the device sends to it without a UDP endpoint. */
void wg_peer_set_relayed(struct wg_peer *peer, bool relayed);
const uint8_t *wg_peer_public_key(const struct wg_peer *peer);
/* Stop sending on the current keypair and start a new handshake at the next send (the forced
 * rekey that `wg set` of a new key causes; tests use it). */
void wg_peer_expire_current_keypairs(struct wg_peer *peer);

/* The caller's handshake queue depth, for the "under load" rule (>= 1/8 of the capacity, and
 * 1 s after). A caller that processes handshakes inline reports 0. */
void wg_device_set_handshake_queue_depth(struct wg_device *dev, uint32_t depth);
bool wg_device_under_load(struct wg_device *dev);

/*
 * A message that came through the relay (DERP) has no UDP source. Its source is a relay source:
 * family 0, the first 16 bytes of the sender's relay key (its WireGuard public key) in the address
 * bytes, port 0. The device never takes a relay source as a peer's endpoint; the cookie and the
 * rate limiter use its bytes as the source's identity, one bucket per relayed sender. A cookie
 * reply to a relay source is an outbox entry without a peer and with that source as `to`.
 */
void wg_relay_source(struct netendpoint *source, const uint8_t relay_key[WG_KEY_LEN]);
static inline bool
wg_source_is_relay(const struct netendpoint *source)
{
	return source->addr.family == 0;
}

/* A datagram from source; type-4 payloads are decrypted in place in datagram. */
void wg_device_receive(struct wg_device *dev, const struct netendpoint *source, uint8_t *datagram,
		       size_t len, struct wg_rx_result *result);
/* The handshake side only (types 1-3); anything else is dropped as bad_length/not_wireguard. */
void wg_device_receive_handshake(struct wg_device *dev, const struct netendpoint *source,
				 const uint8_t *datagram, size_t len, struct wg_rx_result *result);
/* The transport side only (type 4). */
void wg_device_receive_transport(struct wg_device *dev, const struct netendpoint *source,
				 uint8_t *datagram, size_t len, struct wg_rx_result *result);

/* Send a plaintext IP packet (len <= MTU) to peer: encrypted into the outbox, or staged while a
 * handshake is started. 0, or -1 when dropped (reason counted). */
int wg_device_send(struct wg_device *dev, struct wg_peer *peer, const uint8_t *packet, size_t len);
/* Send a keepalive (an empty data message) to peer now, or start a handshake for it. */
void wg_device_send_keepalive(struct wg_device *dev, struct wg_peer *peer);
/* Start a handshake with peer now, subject to the one-per-REKEY_TIMEOUT limit. */
void wg_device_initiate(struct wg_device *dev, struct wg_peer *peer);

/* The earliest timer deadline of any peer or of the rate limiter (monotonic ns), or
 * UINT64_MAX. */
uint64_t wg_device_next_deadline(const struct wg_device *dev);
/* Run every expired timer; its packets go to the outbox. */
void wg_device_run_timers(struct wg_device *dev);

/* What an external data path saw for a peer since the last report: an authenticated message
 * received (data: it carried a packet, not a keepalive), or data sent. They drive the timers. */
void wg_device_datapath_received(struct wg_device *dev, struct wg_peer *peer, bool data);
void wg_device_datapath_sent(struct wg_device *dev, struct wg_peer *peer);
/* The first data packet arrived on the keypair with this local index (key confirmation). */
void wg_device_datapath_confirmed(struct wg_device *dev, uint32_t local_index);
/* A caller's pointer kept with the peer. */
void wg_peer_set_user(struct wg_peer *peer, void *user);
void *wg_peer_user(const struct wg_peer *peer);

/* The next datagram to send; false when the outbox is empty. */
bool wg_device_pop_output(struct wg_device *dev, struct wg_outbound *out);
const struct wg_device_stats *wg_device_stats(const struct wg_device *dev);

#endif
