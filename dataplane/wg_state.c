/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control plane's side of wg_data.h: it is the only writer of the peer table, the index
 * table and the allowed-IPs table, and retires what it replaces through the RCU defer queue.
 */
#include <stdlib.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>
#include <sodium.h>

#include "dataplane.h"
#include "log.h"
#include "wg_data.h"

static uint32_t
index_hash(const void *key, uint32_t len, uint32_t init)
{
	(void)len;
	/* receiver indices are random already; a CRC spreads them over buckets */
	return rte_hash_crc_4byte(*(const uint32_t *)key, init);
}

int
dp_wg_create(struct dataplane *dp, uint32_t mtu)
{
	struct rte_hash_parameters params = {
		.name = "wg_index",
		.entries = DP_KEYPAIRS_MAX,
		.key_len = sizeof(uint32_t),
		.hash_func = index_hash,
		.socket_id = SOCKET_ID_ANY,
		/* lock-free readers; the control plane frees key slots after a grace period */
		.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF |
			      RTE_HASH_EXTRA_FLAGS_NO_FREE_ON_DEL,
	};
	struct dp_wg *wg = rte_zmalloc("dp_wg", sizeof(*wg), RTE_CACHE_LINE_SIZE);

	if (wg == NULL)
		return -1;
	wg->mtu = mtu;
	wg->index = rte_hash_create(&params);
	if (wg->index == NULL) {
		log_error("wg: index table: %s", rte_strerror(rte_errno));
		rte_free(wg);
		return -1;
	}
	dp->wg = wg;
	return 0;
}

static void
keypair_free(void *obj)
{
	struct dp_keypair *kp = obj;

	if (kp->hash_position >= 0)
		rte_hash_free_key_with_position(kp->wg->index, kp->hash_position);
	wg_keypair_wipe(&kp->kp);
	rte_free(kp);
}

static void
peer_free(void *obj)
{
	struct dp_peer *peer = obj;

	rte_free(atomic_load(&peer->endpoint));
	sodium_memzero(peer->public_key, sizeof(peer->public_key));
	rte_free(peer);
}

void
dp_wg_destroy(struct dataplane *dp)
{
	struct dp_wg *wg = dp->wg;
	const void *key;
	void *data;
	uint32_t iter = 0;

	if (wg == NULL)
		return;
	/* workers are stopped: free directly */
	while (rte_hash_iterate(wg->index, &key, &data, &iter) >= 0) {
		struct dp_keypair *kp = data;

		kp->hash_position = -1;
		wg_keypair_wipe(&kp->kp);
		rte_free(kp);
	}
	rte_hash_free(wg->index);
	for (unsigned int i = 0; i < DP_PEER_SLOTS; i++) {
		struct dp_peer *peer = atomic_load(&wg->peers[i]);

		if (peer != NULL)
			peer_free(peer);
	}
	allowedips_free(atomic_load(&wg->allowed));
	rte_free(wg);
	dp->wg = NULL;
}

struct dp_peer *
dp_peer_add(struct dataplane *dp, const uint8_t public_key[32])
{
	static uint32_t generation = 1;
	struct dp_wg *wg = dp->wg;
	struct dp_peer *peer;

	for (uint32_t slot = 0; slot < DP_PEER_SLOTS; slot++) {
		if (atomic_load_explicit(&wg->peers[slot], memory_order_relaxed) != NULL)
			continue;
		peer = rte_zmalloc("dp_peer",
				   sizeof(*peer) + dp->worker_count * sizeof(struct dp_peer_stats),
				   RTE_CACHE_LINE_SIZE);
		if (peer == NULL)
			return NULL;
		peer->id = slot | (generation++ << 16);
		if ((peer->id >> 16) == 0)
			peer->id |= 1u << 16; /* never id 0: it reads as "no peer" in messages */
		memcpy(peer->public_key, public_key, 32);
		peer->worker_count = dp->worker_count;
		atomic_store_explicit(&wg->peers[slot], peer, memory_order_release);
		return peer;
	}
	return NULL;
}

void
dp_peer_remove(struct dataplane *dp, struct dp_peer *peer)
{
	atomic_store_explicit(&dp->wg->peers[peer->id & DP_PEER_SLOT_MASK], NULL,
			      memory_order_release);
	dataplane_retire(dp, peer, peer_free);
}

static void
endpoint_free(void *obj)
{
	rte_free(obj);
}

int
dp_peer_set_endpoint(struct dataplane *dp, struct dp_peer *peer, const struct netendpoint *ep)
{
	struct dp_endpoint *fresh = NULL, *old;

	if (ep != NULL && ep->addr.family != 0) {
		fresh = rte_zmalloc("dp_endpoint", sizeof(*fresh), 0);
		if (fresh == NULL)
			return -1;
		fresh->addr = *ep;
	}
	old = atomic_exchange_explicit(&peer->endpoint, fresh, memory_order_acq_rel);
	if (old != NULL)
		dataplane_retire(dp, old, endpoint_free);
	return 0;
}

void
dp_peer_set_send_mode(struct dp_peer *peer, enum dp_send_mode mode)
{
	atomic_store_explicit(&peer->send_mode, (uint8_t)mode, memory_order_release);
}

void
dp_peer_set_current(struct dp_peer *peer, struct dp_keypair *kp)
{
	atomic_store_explicit(&peer->current, kp, memory_order_release);
}

struct dp_keypair *
dp_keypair_alloc(struct dataplane *dp, struct dp_peer *peer)
{
	struct dp_keypair *kp = rte_zmalloc("dp_keypair", sizeof(*kp), RTE_CACHE_LINE_SIZE);

	if (kp == NULL)
		return NULL;
	kp->peer = peer;
	atomic_flag_clear(&kp->confirm_noticed);
	atomic_flag_clear(&kp->rekey_noticed);
	kp->wg = dp->wg;
	kp->hash_position = -1;
	return kp;
}

int
dp_keypair_publish(struct dataplane *dp, struct dp_keypair *kp)
{
	int32_t pos;

	if (rte_hash_add_key_data(dp->wg->index, &kp->kp.local_index, kp) != 0)
		return -1;
	pos = rte_hash_lookup(dp->wg->index, &kp->kp.local_index);
	if (pos < 0)
		return -1;
	kp->hash_position = pos;
	return 0;
}

struct dp_keypair *
dp_keypair_add(struct dataplane *dp, struct dp_peer *peer, const uint8_t send_key[32],
	       const uint8_t receive_key[32], uint32_t local_index, uint32_t remote_index,
	       bool initiator, uint64_t birth_ns)
{
	struct dp_keypair *kp = dp_keypair_alloc(dp, peer);

	if (kp == NULL)
		return NULL;
	wg_keypair_init(&kp->kp, send_key, receive_key, local_index, remote_index, initiator,
			birth_ns);
	if (dp_keypair_publish(dp, kp) != 0) {
		wg_keypair_wipe(&kp->kp);
		rte_free(kp);
		return NULL;
	}
	return kp;
}

void
dp_keypair_remove(struct dataplane *dp, struct dp_keypair *kp)
{
	if (atomic_load_explicit(&kp->peer->current, memory_order_relaxed) == kp)
		dp_peer_set_current(kp->peer, NULL);
	if (kp->hash_position >= 0)
		rte_hash_del_key(dp->wg->index, &kp->kp.local_index);
	dataplane_retire(dp, kp, keypair_free);
}

static void
allowedips_retire_free(void *obj)
{
	allowedips_free(obj);
}

int
dp_allowedips_publish(struct dataplane *dp, const struct allowedips_entry *entries, size_t n)
{
	struct allowedips *fresh = allowedips_build(entries, n), *old;

	if (fresh == NULL)
		return -1;
	old = atomic_exchange_explicit(&dp->wg->allowed, fresh, memory_order_acq_rel);
	if (old != NULL)
		dataplane_retire(dp, old, allowedips_retire_free);
	return 0;
}

void
dp_peer_totals(const struct dp_peer *peer, struct dp_peer_totals *out)
{
	memset(out, 0, sizeof(*out));
	for (unsigned int i = 0; i < peer->worker_count; i++) {
		const struct dp_peer_stats *st = &peer->stats[i];
		uint64_t t;

		out->rx_bytes += counter_read(&st->rx_bytes);
		out->tx_bytes += counter_read(&st->tx_bytes);
		out->rx_packets += counter_read(&st->rx_packets);
		out->tx_packets += counter_read(&st->tx_packets);
		t = counter_read(&st->last_rx_ns);
		out->last_rx_ns = t > out->last_rx_ns ? t : out->last_rx_ns;
		t = counter_read(&st->last_rx_data_ns);
		out->last_rx_data_ns = t > out->last_rx_data_ns ? t : out->last_rx_data_ns;
		t = counter_read(&st->last_tx_data_ns);
		out->last_tx_data_ns = t > out->last_tx_data_ns ? t : out->last_tx_data_ns;
		t = counter_read(&st->last_rx_udp_ns);
		out->last_rx_udp_ns = t > out->last_rx_udp_ns ? t : out->last_rx_udp_ns;
	}
}
