/* SPDX-License-Identifier: BSD-3-Clause */
#include <rte_ip.h>

#include "exit.h"
#include "forward.h"
#include "l3.h"
#include "wg_data.h"

/* A packet from a port, not for the node: into the tunnel from the inner port, or return traffic
 * of a routed exit family; nothing else is forwarded. */
static void
forward_from_port(struct worker *w, const struct dp_port *port, struct rte_mbuf *m, int family)
{
	const struct dataplane *dp = w->dp;
	bool routed = family == AF_INET ? !dp->exit_v4_masquerade : !dp->exit_v6_masquerade;

	if (port->role == CONFIG_PORT_INNER) {
		rte_pktmbuf_adj(m, L2_HLEN);
		if (!wg_data_route_to_peer(w, m))
			worker_drop(w, m, DROP_no_route);
		return;
	}
	if (dp->exit_enabled && port->role == dp->exit_role && routed) {
		exit_inbound_routed(w, m);
		return;
	}
	worker_drop(w, m, DROP_no_route);
}

void
forward_ipv4(struct worker *w, const struct dp_port *port, struct rte_mbuf *m,
	     struct rte_ipv4_hdr *ip, uint16_t hlen)
{
	(void)ip;
	(void)hlen;
	forward_from_port(w, port, m, AF_INET);
}

void
forward_ipv6(struct worker *w, const struct dp_port *port, struct rte_mbuf *m,
	     struct rte_ipv6_hdr *ip)
{
	(void)ip;
	forward_from_port(w, port, m, AF_INET6);
}
