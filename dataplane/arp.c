/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ARP: requests for our addresses are answered here, on the worker, without state. Replies and
 * requests addressed to us go up to the control plane, which owns the neighbour table; replies
 * also go to the kernel TAP so the kernel's own sockets resolve their neighbours too.
 */
#include <string.h>

#include <rte_arp.h>
#include <rte_ether.h>

#include "l2.h"
#include "l3.h"
#include "neighbor.h"
#include "wg_data.h"

static void
learn(struct worker *w, const struct dp_port *port, struct rte_mbuf *m)
{
	dp_meta(m)->port_role = port->role;
	worker_to_control(w, w->dp->up_other, m, DP_UP_NEIGHBOR, DROP_control_queue_full);
}

/* A copy for the control plane to learn from; the original is answered or forwarded. */
static void
learn_copy(struct worker *w, const struct dp_port *port, const struct rte_mbuf *m)
{
	struct rte_mbuf *copy = rte_pktmbuf_copy(m, w->dp->pool, 0, UINT32_MAX);

	if (copy == NULL) {
		worker_count_drop(&w->counters, DROP_no_mbuf);
		return;
	}
	learn(w, port, copy);
}

/*
 * On the inner port the node answers for every address routed to a peer (proxy ARP), so a host
 * whose tunnel subnet sits on that link reaches the peers without a route of its own.
 */
static bool
proxied(struct worker *w, const struct dp_port *port, const struct rte_arp_hdr *arp)
{
	const struct allowedips *table;

	if (port->role != CONFIG_PORT_INNER)
		return false;
	table = atomic_load_explicit(&w->dp->wg->allowed, memory_order_acquire);
	return table != NULL &&
	       allowedips_lookup_v4(table, (const uint8_t *)&arp->arp_data.arp_tip) != NULL;
}

void
arp_input(struct worker *w, const struct dp_port *port, struct rte_mbuf *m)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_arp_hdr *arp;

	if (rte_pktmbuf_data_len(m) < L2_HLEN + sizeof(*arp)) {
		worker_drop(w, m, DROP_runt);
		return;
	}
	arp = (struct rte_arp_hdr *)(eth + 1);
	if (arp->arp_hardware != RTE_BE16(RTE_ARP_HRD_ETHER) ||
	    arp->arp_protocol != RTE_BE16(RTE_ETHER_TYPE_IPV4) ||
	    arp->arp_hlen != RTE_ETHER_ADDR_LEN || arp->arp_plen != 4 ||
	    rte_is_multicast_ether_addr(&arp->arp_data.arp_sha)) {
		worker_drop(w, m, DROP_bad_arp);
		return;
	}
	switch (arp->arp_opcode) {
	case RTE_BE16(RTE_ARP_OP_REQUEST):
		if (!port_owns_ipv4(port, arp->arp_data.arp_tip) && !proxied(w, port, arp)) {
			worker_drop(w, m, DROP_not_for_us);
			return;
		}
		/* The asker is a neighbour worth knowing (it is about to talk to us). */
		learn_copy(w, port, m);
		{
			rte_be32_t ours = arp->arp_data.arp_tip;

			arp->arp_opcode = RTE_BE16(RTE_ARP_OP_REPLY);
			arp->arp_data.arp_tha = arp->arp_data.arp_sha;
			arp->arp_data.arp_tip = arp->arp_data.arp_sip;
			rte_ether_addr_copy(&port->mac, &arp->arp_data.arp_sha);
			arp->arp_data.arp_sip = ours;
		}
		eth->dst_addr = arp->arp_data.arp_tha;
		rte_ether_addr_copy(&port->mac, &eth->src_addr);
		worker_count(&w->counters, WC_arp_replies_sent, 1);
		worker_tx(w, port->eth_port, m);
		return;
	case RTE_BE16(RTE_ARP_OP_REPLY):
		if (port->has_tap) {
			struct rte_mbuf *copy = rte_pktmbuf_copy(m, w->dp->pool, 0, UINT32_MAX);

			if (copy != NULL)
				l2_to_kernel(w, port, copy);
			else
				worker_count_drop(&w->counters, DROP_no_mbuf);
		}
		learn(w, port, m);
		return;
	default:
		worker_drop(w, m, DROP_bad_arp);
		return;
	}
}

struct rte_mbuf *
arp_build_request(struct dataplane *dp, uint8_t role, const struct netaddr *target,
		  const struct rte_ether_addr *unicast_to)
{
	const struct dp_port *port = &dp->ports[role];
	const struct netaddr *src = NULL;
	struct rte_ether_hdr *eth;
	struct rte_arp_hdr *arp;
	struct rte_mbuf *m;

	/* Ask from the address on the target's subnet when there is one. */
	for (unsigned int i = 0; i < port->address_count; i++) {
		const struct netprefix *p = &port->addresses[i];

		if (p->addr.family != AF_INET)
			continue;
		if (src == NULL || netprefix_contains(p, target))
			src = &p->addr;
	}
	if (src == NULL)
		return NULL;
	eth = dp_packet_new(dp, L2_HLEN + sizeof(*arp), &m);
	if (eth == NULL)
		return NULL;
	arp = (struct rte_arp_hdr *)(eth + 1);
	if (unicast_to != NULL)
		eth->dst_addr = *unicast_to;
	else
		memset(&eth->dst_addr, 0xff, sizeof(eth->dst_addr));
	eth->src_addr = port->mac;
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_ARP);
	arp->arp_hardware = RTE_BE16(RTE_ARP_HRD_ETHER);
	arp->arp_protocol = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	arp->arp_hlen = RTE_ETHER_ADDR_LEN;
	arp->arp_plen = 4;
	arp->arp_opcode = RTE_BE16(RTE_ARP_OP_REQUEST);
	arp->arp_data.arp_sha = port->mac;
	/* Towards the host's own kernel interface its addresses are not ours: ask as a probe
	 * (sender 0.0.0.0, RFC 5227), which Linux answers. */
	if (port->host_facing)
		arp->arp_data.arp_sip = 0;
	else
		memcpy(&arp->arp_data.arp_sip, src->bytes, 4);
	memset(&arp->arp_data.arp_tha, 0, sizeof(arp->arp_data.arp_tha));
	memcpy(&arp->arp_data.arp_tip, target->bytes, 4);
	return m;
}
