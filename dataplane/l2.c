/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>

#include <rte_arp.h>
#include <rte_ether.h>
#include <rte_icmp.h>
#include <rte_ip.h>

#include "handoff.h"
#include "l2.h"
#include "l3.h"
#include "neighbor.h"
#include "port.h"
#include "udp_out.h"
#include "wg_data.h"

static bool
mac_is_ours_or_group(const struct dp_port *port, const struct rte_ether_addr *dst)
{
	/* broadcast and multicast both have the group bit */
	return rte_is_multicast_ether_addr(dst) || rte_is_same_ether_addr(dst, &port->mac);
}

/* A bare IP packet from a net_tun port gets an Ethernet header, so one path serves all. */
static int
add_l2_header(const struct dp_port *port, struct rte_mbuf *m)
{
	struct rte_ether_hdr *eth;
	uint8_t version;

	if (rte_pktmbuf_data_len(m) < 1)
		return -1;
	version = *rte_pktmbuf_mtod(m, uint8_t *) >> 4;
	eth = (struct rte_ether_hdr *)rte_pktmbuf_prepend(m, L2_HLEN);
	if (eth == NULL)
		return -1;
	rte_ether_addr_copy(&port->mac, &eth->dst_addr);
	rte_ether_addr_copy(&port->mac, &eth->src_addr);
	eth->ether_type = rte_cpu_to_be_16(version == 6 ? RTE_ETHER_TYPE_IPV6 : RTE_ETHER_TYPE_IPV4);
	return 0;
}

static void
l2_input(struct worker *w, const struct dp_port *port, struct rte_mbuf *m)
{
	const struct rte_ether_hdr *eth;

	worker_count(&w->counters, WC_rx_packets, 1);
	worker_count(&w->counters, WC_rx_bytes, rte_pktmbuf_pkt_len(m));
	if (unlikely(m->nb_segs > 1) && rte_pktmbuf_linearize(m) != 0) {
		worker_drop(w, m, DROP_unsupported);
		return;
	}
	if (port->l3_only && add_l2_header(port, m) != 0) {
		worker_drop(w, m, DROP_runt);
		return;
	}
	if (unlikely(rte_pktmbuf_data_len(m) < L2_HLEN)) {
		worker_drop(w, m, DROP_runt);
		return;
	}
	eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	if (unlikely(!mac_is_ours_or_group(port, &eth->dst_addr))) {
		worker_drop(w, m, DROP_not_for_us);
		return;
	}
	switch (eth->ether_type) {
	case RTE_BE16(RTE_ETHER_TYPE_IPV4):
		ipv4_input(w, port, m);
		break;
	case RTE_BE16(RTE_ETHER_TYPE_IPV6):
		ipv6_input(w, port, m);
		break;
	case RTE_BE16(RTE_ETHER_TYPE_ARP):
		arp_input(w, port, m);
		break;
	default:
		worker_drop(w, m, DROP_unknown_ethertype);
		break;
	}
}

/* What the kernel sends through a role's TAP goes out of that role's port unchanged. */
static void
from_kernel(struct worker *w, const struct dp_port *port, struct rte_mbuf *m)
{
	worker_count(&w->counters, WC_from_kernel, 1);
	if (port->l3_only) {
		if (rte_pktmbuf_adj(m, L2_HLEN) == NULL) {
			worker_drop(w, m, DROP_runt);
			return;
		}
	}
	worker_tx(w, port->eth_port, m);
}

void
l2_input_burst(struct worker *w, const struct rx_source *src, struct rte_mbuf **pkts, uint16_t n)
{
	const struct dp_port *port = &w->dp->ports[src->role];

	if (src->from_tap) {
		for (uint16_t i = 0; i < n; i++)
			from_kernel(w, port, pkts[i]);
		return;
	}
	for (uint16_t i = 0; i < n; i++) {
		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
		l2_input(w, port, pkts[i]);
	}
}

void
l2_to_kernel(struct worker *w, const struct dp_port *port, struct rte_mbuf *m)
{
	if (!port->has_tap) {
		worker_drop(w, m, DROP_no_kernel_tap);
		return;
	}
	worker_count(&w->counters, WC_to_kernel, 1);
	worker_tx(w, port->tap_port, m);
}

void
l2_to_kernel_ip(struct worker *w, const struct dp_port *port, struct rte_mbuf *m)
{
	uint8_t version = *rte_pktmbuf_mtod(m, uint8_t *) >> 4;
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)rte_pktmbuf_prepend(m, L2_HLEN);

	if (eth == NULL) {
		worker_drop(w, m, DROP_unsupported);
		return;
	}
	rte_ether_addr_copy(&port->mac, &eth->dst_addr);
	rte_ether_addr_copy(&port->mac, &eth->src_addr);
	eth->ether_type = rte_cpu_to_be_16(version == 6 ? RTE_ETHER_TYPE_IPV6 : RTE_ETHER_TYPE_IPV4);
	l2_to_kernel(w, port, m);
}

/* Final transmit of a frame on a port: bare-IP ports lose the Ethernet header here. */
static void
port_tx(struct worker *w, const struct dp_port *port, struct rte_mbuf *m)
{
	if (port->l3_only && rte_pktmbuf_adj(m, L2_HLEN) == NULL) {
		worker_drop(w, m, DROP_runt);
		return;
	}
	worker_tx(w, port->eth_port, m);
}

void
l2_output_ip(struct worker *w, uint8_t role, struct rte_mbuf *m, const struct netaddr *nh)
{
	const struct dp_port *port = &w->dp->ports[role];
	struct rte_ether_hdr *eth;
	struct netaddr dst, hop;
	uint8_t version;

	if (unlikely(!port->present)) {
		worker_drop(w, m, DROP_no_route);
		return;
	}
	version = *rte_pktmbuf_mtod(m, uint8_t *) >> 4;
	if (nh == NULL || nh->family == 0) {
		if (version == 4)
			netaddr_from_ipv4(&dst, rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *)->dst_addr);
		else
			netaddr_from_ipv6(&dst, rte_pktmbuf_mtod(m, struct rte_ipv6_hdr *)->dst_addr);
		if (dp_port_next_hop(port, &dst, &hop) != 0) {
			worker_drop(w, m, DROP_no_route);
			return;
		}
		nh = &hop;
	}
	eth = (struct rte_ether_hdr *)rte_pktmbuf_prepend(m, L2_HLEN);
	if (unlikely(eth == NULL)) {
		worker_drop(w, m, DROP_unsupported);
		return;
	}
	eth->ether_type = rte_cpu_to_be_16(version == 6 ? RTE_ETHER_TYPE_IPV6 : RTE_ETHER_TYPE_IPV4);
	rte_ether_addr_copy(&port->mac, &eth->src_addr);
	if (port->l3_only) {
		port_tx(w, port, m);
		return;
	}
	if (likely(neighbor_lookup(w->dp->neighbors, w->index, role, nh, w->now_ns,
				   &eth->dst_addr))) {
		port_tx(w, port, m);
		return;
	}
	/* Unresolved: the control plane asks, holds the packet and sends it when answered. */
	rte_pktmbuf_adj(m, L2_HLEN);
	dp_meta(m)->port_role = role;
	dp_meta(m)->next_hop = *nh;
	worker_to_control(w, w->dp->up_other, m, DP_UP_NEED_NEIGHBOR, DROP_control_queue_full);
}

void
l2_from_control(struct worker *w, struct rte_mbuf *m)
{
	struct dp_meta *meta = dp_meta(m);
	const struct dp_port *port = &w->dp->ports[meta->port_role % CONFIG_PORT_ROLES];

	switch (meta->kind) {
	case DP_DOWN_L2:
		if (!port->present) {
			worker_drop(w, m, DROP_no_route);
			return;
		}
		port_tx(w, port, m);
		return;
	case DP_DOWN_L3:
		l2_output_ip(w, meta->port_role, m, &meta->next_hop);
		return;
	case DP_DOWN_UDP:
		udp_output_public(w, m, &meta->dst);
		return;
	case DP_DOWN_PLAINTEXT: {
		struct dp_peer *peer = wg_data_peer(w->dp, meta->peer_id);

		if (peer == NULL) {
			worker_drop(w, m, DROP_no_route);
			return;
		}
		wg_data_send(w, peer, m);
		return;
	}
	case DP_DOWN_WG_RECEIVED: {
		/* arrived through the relay: no UDP source to roam to */
		struct netendpoint none = {0};

		wg_data_input(w, port, m, &none, 0, (uint16_t)rte_pktmbuf_pkt_len(m));
		return;
	}
	default:
		worker_drop(w, m, DROP_unsupported);
		return;
	}
}

struct rte_mbuf *
l2_build_neighbor_request(struct dataplane *dp, uint8_t role, const struct netaddr *target,
			  const struct rte_ether_addr *unicast_to)
{
	struct rte_mbuf *m;

	if (target->family == AF_INET)
		m = arp_build_request(dp, role, target, unicast_to);
	else
		m = nd_build_solicit(dp, role, target, unicast_to);
	if (m != NULL) {
		memset(dp_meta(m), 0, sizeof(struct dp_meta));
		dp_meta(m)->kind = DP_DOWN_L2;
		dp_meta(m)->port_role = role;
	}
	return m;
}
