/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The device's life cycle, peers, outbox, timers and its handshake half (message types 1-3).
 * Single-threaded: every function runs on the caller's loop.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <sodium.h>

#include "device_internal.h"
#include "log.h"

/* ---- Upcalls from the Noise engine ---- */

static struct noise_remote *
upcall_remote_get(void *arg, const uint8_t public_key[WG_KEY_LEN])
{
	struct wg_peer *peer = wg_device_find_peer(arg, public_key);

	return peer != NULL ? &peer->remote : NULL;
}

static int
upcall_index_new(void *arg, struct noise_remote *remote, uint32_t *index)
{
	struct wg_device *dev = arg;

	return wg_index_table_insert(&dev->indices, remote->owner, index);
}

static void
upcall_index_bind_keypair(void *arg, uint32_t index, struct wg_keypair *kp)
{
	struct wg_device *dev = arg;
	struct wg_index_entry *entry;

	wg_index_table_bind_keypair(&dev->indices, index, kp);
	entry = wg_index_table_lookup(&dev->indices, index);
	if (dev->datapath.keypair_publish != NULL && entry != NULL)
		dev->datapath.keypair_publish(dev->datapath.arg, entry->peer, kp);
}

static struct wg_keypair *
upcall_keypair_alloc(void *arg, struct noise_remote *remote)
{
	struct wg_device *dev = arg;

	if (dev->datapath.keypair_alloc != NULL)
		return dev->datapath.keypair_alloc(dev->datapath.arg, remote->owner);
	return noise_keypair_alloc();
}

static void
upcall_index_drop(void *arg, uint32_t index)
{
	struct wg_device *dev = arg;

	wg_index_table_remove(&dev->indices, index);
}

static void
upcall_keypair_retire(void *arg, struct wg_keypair *kp)
{
	struct wg_device *dev = arg;

	/* An external data path may still hold it: it frees it after its grace period. */
	if (dev->datapath.keypair_retire != NULL) {
		dev->datapath.keypair_retire(dev->datapath.arg, kp);
		return;
	}
	/* Single-threaded: nothing else can hold it, so it goes at once. */
	wg_keypair_wipe(kp);
	noise_keypair_free(kp);
}

/* ---- Life cycle ---- */

struct wg_device *
wg_device_new(const struct wg_device_config *config)
{
	const struct noise_upcalls upcalls_template = {
		.remote_get = upcall_remote_get,
		.index_new = upcall_index_new,
		.index_bind_keypair = upcall_index_bind_keypair,
		.index_drop = upcall_index_drop,
		.keypair_retire = upcall_keypair_retire,
		.keypair_alloc = upcall_keypair_alloc,
	};
	struct noise_upcalls upcalls = upcalls_template;
	struct wg_device *dev;
	uint32_t buckets = 1;
	uint32_t rl_capacity;
	uint32_t i;

	dev = calloc(1, sizeof(*dev));
	if (dev == NULL) {
		log_warn("wg device: calloc: out of memory");
		return NULL;
	}
	dev->env = config->env != NULL ? config->env : &wg_env_system;
	if (config->datapath != NULL)
		dev->datapath = *config->datapath;
	dev->max_peers = config->max_peers != 0 ? config->max_peers : WG_DEVICE_DEFAULT_MAX_PEERS;
	dev->mtu = config->mtu != 0 ? config->mtu : WG_DEVICE_DEFAULT_MTU;
	dev->handshake_queue_capacity = config->handshake_queue_capacity != 0 ?
						config->handshake_queue_capacity :
						WG_DEVICE_DEFAULT_HANDSHAKE_QUEUE;
	rl_capacity = config->ratelimiter_capacity != 0 ? config->ratelimiter_capacity :
							  RATELIMITER_DEFAULT_CAPACITY;
	if (dev->mtu < WG_DEVICE_MIN_MTU || dev->mtu > WG_DEVICE_MAX_MTU ||
	    dev->max_peers > (1U << 20)) {
		log_warn("wg device: mtu %u or max_peers %u out of range", dev->mtu,
			 dev->max_peers);
		free(dev);
		return NULL;
	}
	/* A datagram we send is at most a transport message of MTU bytes of plaintext. */
	dev->outbox_slot_size = WG_MSG_TRANSPORT_HEADER_LEN + dev->mtu + WG_AEAD_TAG_LEN;
	dev->outbox_buffers = malloc(WG_DEVICE_OUTBOX_SIZE * dev->outbox_slot_size);
	while (buckets < dev->max_peers)
		buckets <<= 1;
	dev->peer_buckets = calloc(buckets, sizeof(*dev->peer_buckets));
	dev->peer_bucket_mask = buckets - 1;
	if (dev->outbox_buffers == NULL || dev->peer_buckets == NULL) {
		log_warn("wg device: allocating buffers: out of memory");
		goto fail;
	}
	for (i = 0; i < WG_DEVICE_OUTBOX_SIZE; i++)
		dev->outbox[i].buf = dev->outbox_buffers + i * dev->outbox_slot_size;
	wg_env_random(dev->env, dev->peer_hash_key, sizeof(dev->peer_hash_key));
	dev->crypto = wg_crypto_new();
	if (dev->crypto == NULL)
		goto fail;
	if (wg_transport_ctx_init(&dev->transport) != 0)
		goto fail;
	upcalls.arg = dev;
	if (noise_local_init(&dev->local, &upcalls, dev->env, dev->crypto) != 0) {
		log_warn("wg device: protocol constants: BLAKE2s failed");
		goto fail_transport;
	}
	cookie_checker_init(&dev->cookie, dev->env, dev->crypto);
	if (ratelimiter_init(&dev->ratelimiter, rl_capacity, dev->env) != 0)
		goto fail_transport;
	/* Each peer: one handshake index plus previous, current and next keypairs. */
	if (wg_index_table_init(&dev->indices, dev->max_peers * 4, dev->env) != 0)
		goto fail_ratelimiter;
	return dev;

fail_ratelimiter:
	ratelimiter_fini(&dev->ratelimiter);
fail_transport:
	wg_transport_ctx_fini(&dev->transport);
fail:
	wg_crypto_free(dev->crypto);
	free(dev->peer_buckets);
	free(dev->outbox_buffers);
	free(dev);
	return NULL;
}

void
wg_device_free(struct wg_device *dev)
{
	if (dev == NULL)
		return;
	while (dev->peers_head != NULL)
		wg_device_remove_peer(dev, dev->peers_head);
	noise_local_wipe(&dev->local);
	cookie_checker_wipe(&dev->cookie);
	wg_index_table_fini(&dev->indices);
	ratelimiter_fini(&dev->ratelimiter);
	wg_transport_ctx_fini(&dev->transport);
	wg_crypto_free(dev->crypto);
	sodium_memzero(dev->outbox_buffers, WG_DEVICE_OUTBOX_SIZE * dev->outbox_slot_size);
	free(dev->outbox_buffers);
	free(dev->peer_buckets);
	sodium_memzero(dev, sizeof(*dev));
	free(dev);
}

uint16_t
wg_device_mtu(const struct wg_device *dev)
{
	return dev->mtu;
}

const struct wg_device_stats *
wg_device_stats(const struct wg_device *dev)
{
	return &dev->stats;
}

/* ---- Identity and peers ---- */

static uint32_t
peer_bucket(const struct wg_device *dev, const uint8_t public_key[WG_KEY_LEN])
{
	uint64_t h;

	crypto_shorthash((unsigned char *)&h, public_key, WG_KEY_LEN, dev->peer_hash_key);
	return (uint32_t)h & dev->peer_bucket_mask;
}

struct wg_peer *
wg_device_find_peer(const struct wg_device *dev, const uint8_t public_key[WG_KEY_LEN])
{
	struct wg_peer *p;

	for (p = dev->peer_buckets[peer_bucket(dev, public_key)]; p != NULL; p = p->hash_next)
		if (memcmp(p->remote.public_key, public_key, WG_KEY_LEN) == 0)
			return p;
	return NULL;
}

struct wg_peer *
wg_device_next_peer(const struct wg_device *dev, const struct wg_peer *peer)
{
	return peer == NULL ? dev->peers_head : peer->list_next;
}

uint32_t
wg_device_peer_count(const struct wg_device *dev)
{
	return dev->peer_count;
}

const uint8_t *
wg_device_public_key(const struct wg_device *dev)
{
	return dev->local.has_identity ? dev->local.public_key : NULL;
}

int
wg_device_set_private_key(struct wg_device *dev, const uint8_t *private_key)
{
	uint8_t clamped[WG_KEY_LEN];
	struct wg_peer *p;

	/* The same key again (a UAPI "set" repeats it) changes nothing: sessions stay. */
	if (private_key != NULL && dev->local.has_identity) {
		bool same;

		memcpy(clamped, private_key, WG_KEY_LEN);
		wg_crypto_clamp(clamped);
		same = wg_crypto_equal(clamped, dev->local.private_key, WG_KEY_LEN);
		sodium_memzero(clamped, sizeof(clamped));
		if (same)
			return 0;
	}
	if (noise_local_set_private_key(&dev->local, private_key) != 0) {
		log_warn("wg device: private key: gives no usable public key");
		return -1;
	}
	if (cookie_checker_set_public_key(&dev->cookie, wg_device_public_key(dev)) != 0) {
		log_warn("wg device: cookie keys: BLAKE2s failed");
		noise_local_set_private_key(&dev->local, NULL);
		return -1;
	}
	if (dev->local.has_identity) {
		p = wg_device_find_peer(dev, dev->local.public_key);
		if (p != NULL) {
			log_warn("wg device: removing the peer with our own public key");
			wg_device_remove_peer(dev, p);
		}
	}
	for (p = dev->peers_head; p != NULL; p = p->list_next) {
		noise_remote_precompute(&p->remote);
		noise_remote_expire_current(&p->remote);
	}
	return 0;
}

struct wg_peer *
wg_device_add_peer(struct wg_device *dev, const uint8_t public_key[WG_KEY_LEN])
{
	struct wg_peer *peer;
	uint32_t bucket;

	if (wg_device_find_peer(dev, public_key) != NULL) {
		log_warn("wg device: add peer: already configured");
		return NULL;
	}
	if (dev->peer_count >= dev->max_peers) {
		log_warn("wg device: add peer: the device holds %u peers at most", dev->max_peers);
		return NULL;
	}
	peer = calloc(1, sizeof(*peer));
	if (peer == NULL) {
		log_warn("wg device: add peer: out of memory");
		return NULL;
	}
	peer->device = dev;
	if (noise_remote_init(&peer->remote, &dev->local, public_key, peer) != NOISE_OK) {
		log_warn("wg device: add peer: the key is our own public key");
		goto fail;
	}
	if (cookie_maker_init(&peer->cookie, dev->env, dev->crypto, public_key) != 0) {
		log_warn("wg device: add peer: cookie keys: BLAKE2s failed");
		goto fail;
	}
	if (wg_staged_init(&peer->staged, dev->mtu) != 0)
		goto fail_cookie;
	timers_init(&peer->timers, dev->env);
	bucket = peer_bucket(dev, public_key);
	peer->hash_next = dev->peer_buckets[bucket];
	dev->peer_buckets[bucket] = peer;
	if (dev->peers_tail != NULL)
		dev->peers_tail->list_next = peer;
	else
		dev->peers_head = peer;
	dev->peers_tail = peer;
	dev->peer_count++;
	return peer;

fail_cookie:
	cookie_maker_wipe(&peer->cookie);
fail:
	sodium_memzero(peer, sizeof(*peer));
	free(peer);
	return NULL;
}

static void
outbox_forget_peer(struct wg_device *dev, const struct wg_peer *peer)
{
	uint32_t i;

	/* Datagrams already built stay sendable; they just no longer point at the peer. */
	for (i = 0; i < dev->outbox_count; i++) {
		struct wg_outbox_slot *s =
			&dev->outbox[(dev->outbox_head + i) % WG_DEVICE_OUTBOX_SIZE];

		if (s->peer == peer)
			s->peer = NULL;
	}
}

void
wg_device_remove_peer(struct wg_device *dev, struct wg_peer *peer)
{
	struct wg_peer **link = &dev->peer_buckets[peer_bucket(dev, peer->remote.public_key)];
	struct wg_peer *prev = NULL;
	struct wg_peer *p;

	while (*link != NULL && *link != peer)
		link = &(*link)->hash_next;
	if (*link == peer)
		*link = peer->hash_next;
	for (p = dev->peers_head; p != NULL && p != peer; p = p->list_next)
		prev = p;
	if (p == peer) {
		if (prev != NULL)
			prev->list_next = peer->list_next;
		else
			dev->peers_head = peer->list_next;
		if (dev->peers_tail == peer)
			dev->peers_tail = prev;
		dev->peer_count--;
	}
	outbox_forget_peer(dev, peer);
	timers_stop(&peer->timers);
	noise_remote_wipe(&peer->remote);
	cookie_maker_wipe(&peer->cookie);
	wg_staged_fini(&peer->staged);
	sodium_memzero(peer, sizeof(*peer));
	free(peer);
}

void
wg_peer_set_psk(struct wg_peer *peer, const uint8_t *psk)
{
	noise_remote_set_psk(&peer->remote, psk);
}

void
wg_peer_set_endpoint(struct wg_peer *peer, const struct netendpoint *endpoint)
{
	if (endpoint == NULL) {
		memset(&peer->endpoint, 0, sizeof(peer->endpoint));
		peer->has_endpoint = false;
		return;
	}
	peer->endpoint = *endpoint;
	peer->has_endpoint = true;
}

void
wg_peer_set_relayed(struct wg_peer *peer, bool relayed)
{
	peer->relayed = relayed;
}

void
wg_relay_source(struct netendpoint *source, const uint8_t relay_key[WG_KEY_LEN])
{
	memset(source, 0, sizeof(*source));
	memcpy(source->addr.bytes, relay_key, sizeof(source->addr.bytes));
}

void
wg_peer_set_persistent_keepalive(struct wg_peer *peer, uint16_t interval_s)
{
	timers_set_persistent_keepalive(&peer->timers, interval_s);
}

const uint8_t *
wg_peer_public_key(const struct wg_peer *peer)
{
	return peer->remote.public_key;
}

void
wg_peer_expire_current_keypairs(struct wg_peer *peer)
{
	noise_remote_expire_current(&peer->remote);
	/* Let the next send start the handshake at once instead of waiting out REKEY_TIMEOUT. */
	peer->timers.has_sent_handshake = false;
}

/* ---- Load ---- */

void
wg_device_set_handshake_queue_depth(struct wg_device *dev, uint32_t depth)
{
	dev->handshake_queue_depth = depth;
}

bool
wg_device_under_load(struct wg_device *dev)
{
	uint64_t now = wg_env_now(dev->env);

	if (dev->handshake_queue_depth >=
	    dev->handshake_queue_capacity / WG_UNDER_LOAD_QUEUE_DIVISOR) {
		dev->was_under_load = true;
		dev->last_under_load_ns = now;
		return true;
	}
	return dev->was_under_load && now - dev->last_under_load_ns < WG_UNDER_LOAD_AFTER_NS;
}

/* ---- Outbox ---- */

void
device_drop(struct wg_device *dev, struct wg_rx_result *result, enum wg_drop_reason reason)
{
	dev->stats.drops[reason]++;
	if (result != NULL) {
		result->verdict = WG_RX_DROP;
		result->drop_reason = reason;
	}
}

uint8_t *
device_outbox_claim(struct wg_device *dev)
{
	if (dev->outbox_count == WG_DEVICE_OUTBOX_SIZE)
		return NULL;
	return dev->outbox[(dev->outbox_head + dev->outbox_count) % WG_DEVICE_OUTBOX_SIZE].buf;
}

void
device_outbox_commit(struct wg_device *dev, struct wg_peer *peer, size_t len)
{
	struct wg_outbox_slot *s =
		&dev->outbox[(dev->outbox_head + dev->outbox_count) % WG_DEVICE_OUTBOX_SIZE];

	s->len = len;
	s->to = peer->endpoint;
	s->peer = peer;
	dev->outbox_count++;
	dev->stats.tx_datagrams++;
	peer->stats.tx_bytes += len;
}

/* A reply to a source that is not (yet) an authenticated peer: cookie replies. */
static void
outbox_commit_to(struct wg_device *dev, const struct netendpoint *to, size_t len)
{
	struct wg_outbox_slot *s =
		&dev->outbox[(dev->outbox_head + dev->outbox_count) % WG_DEVICE_OUTBOX_SIZE];

	s->len = len;
	s->to = *to;
	s->peer = NULL;
	dev->outbox_count++;
	dev->stats.tx_datagrams++;
}

bool
wg_device_pop_output(struct wg_device *dev, struct wg_outbound *out)
{
	struct wg_outbox_slot *s;

	if (dev->outbox_count == 0)
		return false;
	s = &dev->outbox[dev->outbox_head];
	out->data = s->buf;
	out->len = s->len;
	out->to = s->to;
	out->peer = s->peer;
	dev->outbox_head = (dev->outbox_head + 1) % WG_DEVICE_OUTBOX_SIZE;
	dev->outbox_count--;
	return true;
}

/* ---- Handshake: sending ---- */

static enum wg_drop_reason
drop_reason_of(enum noise_result r)
{
	switch (r) {
	case NOISE_NO_IDENTITY:
		return WG_DROP_NO_IDENTITY;
	case NOISE_UNKNOWN_PEER:
		return WG_DROP_UNKNOWN_PEER;
	case NOISE_SELF_KEY:
		return WG_DROP_SELF_KEY;
	case NOISE_LOW_ORDER:
		return WG_DROP_LOW_ORDER;
	case NOISE_DECRYPT_FAILED:
		return WG_DROP_HANDSHAKE_DECRYPT;
	case NOISE_REPLAY:
		return WG_DROP_TIMESTAMP_REPLAY;
	case NOISE_FLOOD:
		return WG_DROP_INITIATION_FLOOD;
	case NOISE_WRONG_STATE:
		return WG_DROP_WRONG_STATE;
	case NOISE_KEYPAIR_EXPIRED:
		return WG_DROP_KEYPAIR_EXPIRED;
	case NOISE_OK:
	case NOISE_REKEY_SOON:
	case NOISE_SESSION_CONFIRMED:
	case NOISE_INTERNAL_ERROR:
		break;
	}
	return WG_DROP_INTERNAL;
}

void
device_initiate(struct wg_device *dev, struct wg_peer *peer, bool is_retry)
{
	struct wg_msg_initiation msg;
	enum noise_result r;
	uint8_t *buf;

	if (!timers_initiation_allowed(&peer->timers, is_retry))
		return; /* one initiation per REKEY_TIMEOUT */
	if (!device_peer_reachable(peer)) {
		device_drop(dev, NULL, WG_DROP_NO_ENDPOINT);
		return;
	}
	buf = device_outbox_claim(dev);
	if (buf == NULL) {
		device_drop(dev, NULL, WG_DROP_OUTBOX_FULL);
		return;
	}
	r = noise_create_initiation(&peer->remote, &msg);
	if (r != NOISE_OK) {
		device_drop(dev, NULL, drop_reason_of(r));
		return;
	}
	if (cookie_maker_add_macs(&peer->cookie, (uint8_t *)&msg, sizeof(msg)) != 0) {
		noise_remote_handshake_clear(&peer->remote);
		device_drop(dev, NULL, WG_DROP_INTERNAL);
		return;
	}
	timers_any_authenticated_packet_traversal(&peer->timers);
	timers_any_authenticated_packet_sent(&peer->timers);
	memcpy(buf, &msg, sizeof(msg));
	device_outbox_commit(dev, peer, sizeof(msg));
	timers_handshake_initiated(&peer->timers);
	dev->stats.initiations_sent++;
}

void
wg_device_initiate(struct wg_device *dev, struct wg_peer *peer)
{
	device_initiate(dev, peer, false);
}

static void
send_response(struct wg_device *dev, struct wg_peer *peer, struct wg_rx_result *result)
{
	struct wg_msg_response msg;
	enum noise_result r;
	uint8_t *buf;

	buf = device_outbox_claim(dev);
	if (buf == NULL) {
		noise_remote_handshake_clear(&peer->remote);
		device_drop(dev, result, WG_DROP_OUTBOX_FULL);
		return;
	}
	r = noise_create_response(&peer->remote, &msg);
	if (r == NOISE_OK &&
	    cookie_maker_add_macs(&peer->cookie, (uint8_t *)&msg, sizeof(msg)) != 0)
		r = NOISE_INTERNAL_ERROR;
	if (r == NOISE_OK)
		r = noise_begin_session(&peer->remote);
	if (r != NOISE_OK) {
		noise_remote_handshake_clear(&peer->remote);
		device_drop(dev, result, drop_reason_of(r));
		return;
	}
	timers_session_derived(&peer->timers);
	timers_any_authenticated_packet_traversal(&peer->timers);
	timers_any_authenticated_packet_sent(&peer->timers);
	timers_handshake_response_sent(&peer->timers);
	memcpy(buf, &msg, sizeof(msg));
	device_outbox_commit(dev, peer, sizeof(msg));
	dev->stats.responses_sent++;
}

/* ---- Handshake: receiving ---- */

static void
receive_cookie_reply(struct wg_device *dev, const uint8_t *datagram, struct wg_rx_result *result)
{
	struct wg_msg_cookie_reply reply;
	struct wg_index_entry *entry;

	memcpy(&reply, datagram, sizeof(reply));
	entry = wg_index_table_lookup(&dev->indices, le32toh(reply.receiver));
	if (entry == NULL) {
		device_drop(dev, result, WG_DROP_UNKNOWN_INDEX);
		return;
	}
	if (cookie_maker_consume_reply(&entry->peer->cookie, &reply) != 0) {
		device_drop(dev, result, WG_DROP_BAD_COOKIE_REPLY);
		return;
	}
	dev->stats.cookie_replies_received++;
	result->verdict = WG_RX_HANDSHAKE;
	result->peer = entry->peer;
}

/* mac1/mac2 and the load rules. true when the message may be processed. */
static bool
admit_handshake(struct wg_device *dev, const struct netendpoint *source, const uint8_t *datagram,
		size_t len, uint32_t sender, struct wg_rx_result *result)
{
	bool under_load = wg_device_under_load(dev);
	enum cookie_mac_state state;
	struct wg_msg_cookie_reply reply;
	uint8_t *buf;

	state = cookie_checker_validate(&dev->cookie, datagram, len, source, under_load);
	if (state == COOKIE_MAC1_INVALID) {
		device_drop(dev, result, WG_DROP_BAD_MAC1);
		return false;
	}
	if (!under_load)
		return true;
	if (state == COOKIE_MAC2_VALID) {
		if (ratelimiter_allow(&dev->ratelimiter, &source->addr))
			return true;
		device_drop(dev, result, WG_DROP_RATELIMITED);
		return false;
	}
	/* Under load without a valid mac2: answer with a cookie instead of doing any DH. */
	device_drop(dev, result, WG_DROP_NEEDS_COOKIE);
	buf = device_outbox_claim(dev);
	if (buf == NULL) {
		device_drop(dev, NULL, WG_DROP_OUTBOX_FULL);
		return false;
	}
	if (cookie_checker_create_reply(&dev->cookie, &reply, datagram, len, sender, source) != 0) {
		device_drop(dev, NULL, WG_DROP_INTERNAL);
		return false;
	}
	memcpy(buf, &reply, sizeof(reply));
	outbox_commit_to(dev, source, sizeof(reply));
	dev->stats.cookie_replies_sent++;
	return false;
}

static void
receive_initiation(struct wg_device *dev, const struct netendpoint *source, const uint8_t *datagram,
		   size_t len, struct wg_rx_result *result)
{
	struct wg_msg_initiation msg;
	struct noise_remote *remote;
	struct wg_peer *peer;
	enum noise_result r;

	memcpy(&msg, datagram, sizeof(msg));
	if (!admit_handshake(dev, source, datagram, len, le32toh(msg.sender), result))
		return;
	r = noise_consume_initiation(&dev->local, &msg, &remote);
	if (r != NOISE_OK) {
		device_drop(dev, result, drop_reason_of(r));
		return;
	}
	peer = remote->owner;
	result->peer = peer;
	dev->stats.initiations_received++;
	peer->stats.rx_bytes += len;
	if (!wg_source_is_relay(source))
		wg_peer_set_endpoint(peer, source);
	result->verdict = WG_RX_HANDSHAKE;
	send_response(dev, peer, result);
	timers_any_authenticated_packet_received(&peer->timers);
	timers_any_authenticated_packet_traversal(&peer->timers);
}

static void
receive_response(struct wg_device *dev, const struct netendpoint *source, const uint8_t *datagram,
		 size_t len, struct wg_rx_result *result)
{
	struct wg_msg_response msg;
	struct wg_index_entry *entry;
	struct wg_peer *peer;
	enum noise_result r;

	memcpy(&msg, datagram, sizeof(msg));
	if (!admit_handshake(dev, source, datagram, len, le32toh(msg.sender), result))
		return;
	entry = wg_index_table_lookup(&dev->indices, le32toh(msg.receiver));
	if (entry == NULL || entry->keypair != NULL) {
		device_drop(dev, result, WG_DROP_UNKNOWN_INDEX);
		return;
	}
	peer = entry->peer;
	r = noise_consume_response(&peer->remote, &msg);
	if (r == NOISE_OK)
		r = noise_begin_session(&peer->remote);
	if (r != NOISE_OK) {
		device_drop(dev, result, drop_reason_of(r));
		return;
	}
	result->peer = peer;
	result->verdict = WG_RX_HANDSHAKE;
	dev->stats.responses_received++;
	dev->stats.sessions_confirmed++;
	peer->stats.handshakes_completed++;
	peer->stats.rx_bytes += len;
	if (!wg_source_is_relay(source))
		wg_peer_set_endpoint(peer, source);
	timers_session_derived(&peer->timers);
	timers_handshake_complete(&peer->timers);
	/* Send what waited for the handshake, or a keepalive, so the responder gets its
	 * confirmation at once. */
	wg_device_send_keepalive(dev, peer);
	timers_any_authenticated_packet_received(&peer->timers);
	timers_any_authenticated_packet_traversal(&peer->timers);
}

void
wg_device_receive_handshake(struct wg_device *dev, const struct netendpoint *source,
			    const uint8_t *datagram, size_t len, struct wg_rx_result *result)
{
	enum wg_message_type type = wg_message_type_of(datagram, len);

	memset(result, 0, sizeof(*result));
	dev->stats.rx_datagrams++;
	if (type == 0 || type == WG_MSG_TRANSPORT) {
		device_drop(dev, result, WG_DROP_NOT_WIREGUARD);
		return;
	}
	if (!wg_message_length_valid(type, len)) {
		device_drop(dev, result, WG_DROP_BAD_LENGTH);
		return;
	}
	switch (type) {
	case WG_MSG_INITIATION:
		receive_initiation(dev, source, datagram, len, result);
		break;
	case WG_MSG_RESPONSE:
		receive_response(dev, source, datagram, len, result);
		break;
	case WG_MSG_COOKIE_REPLY:
		receive_cookie_reply(dev, datagram, result);
		break;
	case WG_MSG_TRANSPORT:
		break;
	}
}

void
wg_device_receive(struct wg_device *dev, const struct netendpoint *source, uint8_t *datagram,
		  size_t len, struct wg_rx_result *result)
{
	if (wg_message_type_of(datagram, len) == WG_MSG_TRANSPORT)
		wg_device_receive_transport(dev, source, datagram, len, result);
	else
		wg_device_receive_handshake(dev, source, datagram, len, result);
}

/* ---- Timers ---- */

uint64_t
wg_device_next_deadline(const struct wg_device *dev)
{
	uint64_t d = ratelimiter_next_gc(&dev->ratelimiter);
	const struct wg_peer *p;

	for (p = dev->peers_head; p != NULL; p = p->list_next) {
		uint64_t t = timers_next_deadline(&p->timers);

		if (t < d)
			d = t;
	}
	return d;
}

void
wg_device_run_timers(struct wg_device *dev)
{
	uint64_t now = wg_env_now(dev->env);
	struct wg_peer *p;

	if (ratelimiter_next_gc(&dev->ratelimiter) <= now)
		ratelimiter_gc(&dev->ratelimiter);
	for (p = dev->peers_head; p != NULL; p = p->list_next) {
		unsigned actions;
		uint32_t dropped;

		if (timers_next_deadline(&p->timers) > now)
			continue;
		actions = timers_expire(&p->timers);
		if (actions & WG_TIMER_GIVE_UP) {
			dropped = wg_staged_purge(&p->staged);
			dev->stats.drops[WG_DROP_HANDSHAKE_GAVE_UP] += dropped;
		}
		if (actions & WG_TIMER_ZERO_KEYS) {
			noise_remote_handshake_clear(&p->remote);
			noise_remote_keypairs_clear(&p->remote);
		}
		if (actions & WG_TIMER_RETRY_INITIATION)
			device_initiate(dev, p, true);
		if (actions & WG_TIMER_SEND_INITIATION)
			device_initiate(dev, p, false);
		if (actions & WG_TIMER_SEND_KEEPALIVE)
			wg_device_send_keepalive(dev, p);
	}
}
