/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>

#include <rte_hash.h>
#include <rte_ip.h>

#include "exit.h"
#include "forward.h"
#include "port.h"
#include "l2.h"
#include "acl.h"
#include "l3.h"
#include "udp_out.h"
#include "wg_data.h"

struct dp_peer *
wg_data_peer(struct dataplane *dp, uint32_t id)
{
	struct dp_peer *peer = atomic_load_explicit(&dp->wg->peers[id & DP_PEER_SLOT_MASK],
						    memory_order_acquire);

	return peer != NULL && peer->id == id ? peer : NULL;
}

static void
notice(struct worker *w, struct dp_peer *peer, enum dp_notice what, uint32_t aux,
       const struct netendpoint *src)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(w->dp->pool);
	struct dp_meta *meta;

	if (m == NULL) {
		worker_count_drop(&w->counters, DROP_no_mbuf);
		return;
	}
	meta = dp_meta(m);
	memset(meta, 0, sizeof(*meta));
	meta->flags = (uint8_t)what;
	meta->peer_id = peer->id;
	meta->aux = aux;
	if (src != NULL)
		meta->src = *src;
	worker_to_control(w, w->dp->up_other, m, DP_UP_NOTICE, DROP_control_queue_full);
}

/* ---- receive ---- */

void
wg_data_input(struct worker *w, const struct dp_port *port, struct rte_mbuf *m,
	      const struct netendpoint *src, uint16_t payload_off, uint16_t payload_len)
{
	const uint8_t *msg = rte_pktmbuf_mtod_offset(m, const uint8_t *, payload_off);
	struct wg_rx_pending *p;
	struct dp_keypair *kp;
	uint32_t receiver;
	uint64_t counter;

	(void)port;
	if (unlikely(wg_transport_header_parse(msg, payload_len, &receiver, &counter) != 0)) {
		worker_drop(w, m, DROP_wg_bad_length);
		return;
	}
	/* the message ends the datagram: drop what follows (Ethernet padding) */
	rte_pktmbuf_trim(m, (uint16_t)(rte_pktmbuf_pkt_len(m) - payload_off - payload_len));
	/* A burst's messages are mostly for one keypair: the one the previous message of this
	 * burst found (a pointer as safe as a new lookup until the worker's quiescent state). */
	if (w->rx_count > 0 && w->rx_pending[w->rx_count - 1].keypair->kp.local_index == receiver) {
		kp = w->rx_pending[w->rx_count - 1].keypair;
	} else if (unlikely(rte_hash_lookup_data(w->dp->wg->index, &receiver, (void **)&kp) < 0)) {
		worker_drop(w, m, DROP_wg_unknown_index);
		return;
	}
	if (unlikely(wg_keypair_expired(&kp->kp, w->now_ns))) {
		worker_drop(w, m, DROP_wg_expired_keypair);
		return;
	}
	if (unlikely(wg_keypair_replay_precheck(&kp->kp, counter) != WG_REPLAY_ACCEPT)) {
		worker_drop(w, m, DROP_wg_replay);
		return;
	}
	p = &w->rx_pending[w->rx_count];
	p->m = m;
	p->keypair = kp;
	p->src = *src;
	p->msg_off = payload_off;
	w->rx_ops[w->rx_count] = (struct wg_transport_op){
		.key = kp->kp.receive_key,
		.msg = (uint8_t *)msg,
		.payload_len = (uint32_t)(payload_len - WG_MSG_TRANSPORT_MIN_LEN),
		.counter = counter,
	};
	if (++w->rx_count == WG_TRANSPORT_BURST_MAX)
		wg_data_flush(w);
}

/* The inner packet's real length (the rest is padding), or 0 when it is not a valid packet. */
static uint32_t
inner_length(const uint8_t *pkt, uint32_t avail)
{
	if (avail >= sizeof(struct rte_ipv4_hdr) && (pkt[0] >> 4) == 4) {
		const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)pkt;
		uint32_t hlen = rte_ipv4_hdr_len(ip), total = rte_be_to_cpu_16(ip->total_length);

		if (hlen < sizeof(*ip) || total < hlen || total > avail ||
		    rte_raw_cksum(ip, hlen) != 0xffff)
			return 0;
		return total;
	}
	if (avail >= sizeof(struct rte_ipv6_hdr) && (pkt[0] >> 4) == 6) {
		const struct rte_ipv6_hdr *ip = (const struct rte_ipv6_hdr *)pkt;
		uint32_t total = sizeof(*ip) + rte_be_to_cpu_16(ip->payload_len);

		return total <= avail ? total : 0;
	}
	return 0;
}

static bool
source_allowed(const struct allowedips *table, const uint8_t *pkt, const struct dp_peer *peer)
{
	const void *owner;

	if ((pkt[0] >> 4) == 4)
		owner = allowedips_lookup_v4(table, (const uint8_t *)&((const struct rte_ipv4_hdr *)pkt)->src_addr);
	else
		owner = allowedips_lookup_v6(table, ((const struct rte_ipv6_hdr *)pkt)->src_addr);
	return owner == peer;
}

/* Is the packet's destination on one of the inner port's subnets (or the host behind it)? */
static bool
inner_destination(const struct dp_port *inner, struct rte_mbuf *m)
{
	const uint8_t *pkt = rte_pktmbuf_mtod(m, const uint8_t *);
	struct netaddr dst;

	if ((pkt[0] >> 4) == 4)
		netaddr_from_ipv4(&dst, ((const struct rte_ipv4_hdr *)pkt)->dst_addr);
	else
		netaddr_from_ipv6(&dst, ((const struct rte_ipv6_hdr *)pkt)->dst_addr);
	return dp_port_on_link(inner, &dst);
}

/*
 * A decrypted packet, data at its IP header: to another peer, to the inner port when its
 * destination is there (or there is no exit), or out to the internet.
 */
static void
route_decrypted(struct worker *w, struct dp_peer *from, struct rte_mbuf *m)
{
	const struct dp_port *inner = &w->dp->ports[CONFIG_PORT_INNER];
	const struct dp_acl *acl = atomic_load_explicit(&w->dp->acl, memory_order_acquire);

	/* a tailnet's ACL: what the peer may send anywhere through this node */
	if (unlikely(acl != NULL) &&
	    !dp_acl_allows(acl, rte_pktmbuf_mtod(m, const uint8_t *), rte_pktmbuf_data_len(m))) {
		worker_drop(w, m, DROP_acl_denied);
		return;
	}
	if (wg_data_route_to_peer(w, m))
		return;
	if (inner->present && (!w->dp->exit_enabled || inner_destination(inner, m))) {
		l2_output_ip(w, CONFIG_PORT_INNER, m, NULL);
		return;
	}
	exit_outbound(w, from, m);
}

static void
rx_complete(struct worker *w, struct wg_rx_pending *p, const struct wg_transport_op *op,
	    const struct allowedips *table)
{
	struct rte_mbuf *m = p->m;
	struct dp_keypair *kp = p->keypair;
	struct dp_peer *peer = kp->peer;
	struct dp_peer_stats *st = &peer->stats[w->index];
	uint8_t *inner = op->msg + WG_MSG_TRANSPORT_HEADER_LEN;
	uint32_t len;

	if (unlikely(op->status != WG_TRANSPORT_OK)) {
		worker_drop(w, m, DROP_wg_bad_tag);
		return;
	}
	switch (wg_keypair_replay_commit(&kp->kp, op->counter)) {
	case WG_REPLAY_ACCEPT:
		break;
	case WG_REPLAY_CONTENDED:
		worker_drop(w, m, DROP_wg_replay_contended);
		return;
	default:
		worker_drop(w, m, DROP_wg_replay);
		return;
	}
	counter_add(&st->rx_bytes, op->payload_len + WG_MSG_TRANSPORT_MIN_LEN);
	counter_add(&st->rx_packets, 1);
	__atomic_store_n(&st->last_rx_ns, w->now_ns, __ATOMIC_RELAXED);

	/* The responder's keypair is confirmed by the first data on it: the control plane makes
	 * it current. */
	if (unlikely(!wg_keypair_can_send(&kp->kp)) &&
	    !atomic_flag_test_and_set_explicit(&kp->confirm_noticed, memory_order_relaxed))
		notice(w, peer, DP_NOTICE_KEYPAIR_CONFIRMED, kp->kp.local_index, NULL);
	if (unlikely(kp->kp.initiator && w->now_ns - kp->kp.birth_ns >= WG_REKEY_ON_RECEIVE_AGE_NS) &&
	    atomic_load_explicit(&peer->current, memory_order_relaxed) == kp &&
	    !atomic_flag_test_and_set_explicit(&kp->rekey_noticed, memory_order_relaxed))
		notice(w, peer, DP_NOTICE_REKEY, kp->kp.local_index, NULL);
	if (likely(p->src.addr.family != 0)) {
		const struct dp_endpoint *ep = atomic_load_explicit(&peer->endpoint,
								    memory_order_acquire);

		/* the direct path's own evidence: path selection's failover watches it */
		__atomic_store_n(&st->last_rx_udp_ns, w->now_ns, __ATOMIC_RELAXED);

		if (unlikely(ep == NULL || !netendpoint_equal(&ep->addr, &p->src)) &&
		    w->now_ns - st->roam_notice_ns >= DP_ROAM_NOTICE_INTERVAL_NS) {
			__atomic_store_n(&st->roam_notice_ns, w->now_ns, __ATOMIC_RELAXED);
			notice(w, peer, DP_NOTICE_ROAM, 0, &p->src);
		}
	}

	if (op->payload_len == 0) {
		worker_count(&w->counters, WC_wg_rx_keepalive, 1);
		rte_pktmbuf_free(m);
		return;
	}
	len = inner_length(inner, op->payload_len);
	if (unlikely(len == 0)) {
		worker_drop(w, m, DROP_wg_bad_inner);
		return;
	}
	if (unlikely(table == NULL || !source_allowed(table, inner, peer))) {
		worker_drop(w, m, DROP_wg_allowed_ips_source);
		return;
	}
	__atomic_store_n(&st->last_rx_data_ns, w->now_ns, __ATOMIC_RELAXED);
	worker_count(&w->counters, WC_wg_rx_data, 1);
	worker_count(&w->counters, WC_wg_decrypted_bytes, len);
	rte_pktmbuf_adj(m, (uint16_t)(p->msg_off + WG_MSG_TRANSPORT_HEADER_LEN));
	rte_pktmbuf_trim(m, (uint16_t)(rte_pktmbuf_pkt_len(m) - len));
	route_decrypted(w, peer, m);
}

static void
rx_flush(struct worker *w)
{
	const struct allowedips *table;
	unsigned int n = w->rx_count;

	if (n == 0)
		return;
	w->rx_count = 0;
	wg_transport_open_burst(&w->crypto, w->rx_ops, n);
	table = atomic_load_explicit(&w->dp->wg->allowed, memory_order_acquire);
	for (unsigned int i = 0; i < n; i++)
		rx_complete(w, &w->rx_pending[i], &w->rx_ops[i], table);
}

/* ---- send ---- */

bool
wg_data_route_to_peer(struct worker *w, struct rte_mbuf *m)
{
	const struct allowedips *table = atomic_load_explicit(&w->dp->wg->allowed,
							      memory_order_acquire);
	const uint8_t *pkt = rte_pktmbuf_mtod(m, const uint8_t *);
	struct dp_peer *peer;

	if (table == NULL)
		return false;
	if ((pkt[0] >> 4) == 4)
		peer = allowedips_lookup_v4(table, (const uint8_t *)&((const struct rte_ipv4_hdr *)pkt)->dst_addr);
	else
		peer = allowedips_lookup_v6(table, ((const struct rte_ipv6_hdr *)pkt)->dst_addr);
	if (peer == NULL)
		return false;
	wg_data_send(w, peer, m);
	return true;
}

static void tx_flush(struct worker *w);

/* No usable keypair: the control plane holds the packet and starts a handshake. */
static void
wait_for_handshake(struct worker *w, struct dp_peer *peer, struct rte_mbuf *m)
{
	dp_meta(m)->peer_id = peer->id;
	worker_to_control(w, w->dp->up_other, m, DP_UP_NEED_KEYPAIR, DROP_wg_no_keypair);
}

void
wg_data_send(struct worker *w, struct dp_peer *peer, struct rte_mbuf *m)
{
	struct dp_keypair *kp = atomic_load_explicit(&peer->current, memory_order_acquire);
	uint32_t plaintext_len = rte_pktmbuf_pkt_len(m);
	uint32_t mtu = w->dp->wg->mtu;
	size_t padded = wg_transport_padded_len(plaintext_len, mtu);
	struct wg_tx_pending *p;
	uint64_t counter;
	uint8_t *msg;

	if (unlikely(kp == NULL || !wg_keypair_can_send(&kp->kp) ||
		     wg_keypair_expired(&kp->kp, w->now_ns))) {
		wait_for_handshake(w, peer, m);
		return;
	}
	if (unlikely(plaintext_len > mtu)) {
		worker_drop(w, m, DROP_too_big);
		return;
	}
	if (unlikely(wg_keypair_reserve_send_counters(&kp->kp, 1, &counter) != 1)) {
		wait_for_handshake(w, peer, m);
		return;
	}
	if (unlikely((kp->kp.initiator && w->now_ns - kp->kp.birth_ns >= WG_REKEY_AFTER_TIME_NS) ||
		     counter >= WG_REKEY_AFTER_MESSAGES) &&
	    !atomic_flag_test_and_set_explicit(&kp->rekey_noticed, memory_order_relaxed))
		notice(w, peer, DP_NOTICE_REKEY, kp->kp.local_index, NULL);

	msg = (uint8_t *)rte_pktmbuf_prepend(m, WG_MSG_TRANSPORT_HEADER_LEN);
	if (unlikely(msg == NULL ||
		     rte_pktmbuf_append(m, (uint16_t)(padded - plaintext_len + WG_AEAD_TAG_LEN)) ==
			     NULL)) {
		worker_drop(w, m, DROP_too_big);
		return;
	}
	p = &w->tx_pending[w->tx_count];
	p->m = m;
	p->peer = peer;
	p->keypair = kp;
	p->plaintext_len = plaintext_len;
	w->tx_ops[w->tx_count] = (struct wg_transport_op){
		.key = kp->kp.send_key,
		.msg = msg,
		.payload_len = plaintext_len,
		.receiver = kp->kp.remote_index,
		.counter = counter,
	};
	/* full: seal this burst now, and only this one (a decrypt flush from here could route
	 * packets into the encrypt burst while it is full) */
	if (++w->tx_count == WG_TRANSPORT_BURST_MAX)
		tx_flush(w);
}

static void
tx_complete(struct worker *w, struct wg_tx_pending *p, const struct wg_transport_op *op)
{
	struct rte_mbuf *m = p->m;
	struct dp_peer *peer = p->peer;
	struct dp_peer_stats *st = &peer->stats[w->index];
	const struct dp_endpoint *ep;
	uint32_t msg_len = op->payload_len + WG_MSG_TRANSPORT_MIN_LEN;
	uint8_t mode;

	if (unlikely(op->status != WG_TRANSPORT_OK)) {
		worker_drop(w, m, DROP_unsupported);
		return;
	}
	counter_add(&st->tx_bytes, msg_len);
	counter_add(&st->tx_packets, 1);
	if (p->plaintext_len != 0) {
		__atomic_store_n(&st->last_tx_data_ns, w->now_ns, __ATOMIC_RELAXED);
		worker_count(&w->counters, WC_wg_tx_data, 1);
		worker_count(&w->counters, WC_wg_encrypted_bytes, p->plaintext_len);
	}
	mode = atomic_load_explicit(&peer->send_mode, memory_order_relaxed);
	if (unlikely(mode != DP_SEND_UDP)) {
		struct rte_mbuf *copy = m;

		/* both ways: the copy goes to the relay, the original by UDP (the receiver's
		 * replay window drops whichever arrives second) */
		if (mode == DP_SEND_BOTH) {
			copy = rte_pktmbuf_copy(m, w->dp->pool, 0, UINT32_MAX);
			worker_count(&w->counters, copy != NULL ? WC_wg_tx_both : WC_relay_copy_no_mbuf,
				     1);
		} else {
			worker_count(&w->counters, WC_wg_tx_relay, 1);
		}
		if (copy != NULL) {
			dp_meta(copy)->peer_id = peer->id;
			worker_to_control(w, w->dp->up_other, copy, DP_UP_RELAY,
					  DROP_control_queue_full);
		}
		if (mode == DP_SEND_RELAY)
			return;
	}
	ep = atomic_load_explicit(&peer->endpoint, memory_order_acquire);
	if (unlikely(ep == NULL || ep->addr.addr.family == 0)) {
		worker_drop(w, m, DROP_no_route);
		return;
	}
	udp_output_public(w, m, &ep->addr);
}

static void
tx_flush(struct worker *w)
{
	unsigned int n = w->tx_count;

	if (n == 0)
		return;
	w->tx_count = 0;
	wg_transport_seal_burst(&w->crypto, w->tx_ops, n, w->dp->wg->mtu);
	for (unsigned int i = 0; i < n; i++)
		tx_complete(w, &w->tx_pending[i], &w->tx_ops[i]);
}

void
wg_data_flush(struct worker *w)
{
	/* Each stage can produce packets for the next (peer to peer, ICMP errors, return traffic
	 * of the exit NAT), so: decrypt, the exit path's NAT stages, encrypt. */
	rx_flush(w);
	exit_flush(w);
	tx_flush(w);
}
