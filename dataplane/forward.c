/* SPDX-License-Identifier: BSD-3-Clause */
#include <rte_ip.h>

#include "forward.h"
#include "l3.h"
#include "wg_data.h"

/* A packet from a port, not for the node: only the inner port's traffic enters the tunnel. */
static void
forward_from_port(struct worker *w, const struct dp_port *port, struct rte_mbuf *m,
		  uint16_t l3_off)
{
	if (port->role != CONFIG_PORT_INNER) {
		worker_drop(w, m, DROP_no_route);
		return;
	}
	rte_pktmbuf_adj(m, l3_off);
	if (!wg_data_route_to_peer(w, m))
		worker_drop(w, m, DROP_no_route);
}

void
forward_ipv4(struct worker *w, const struct dp_port *port, struct rte_mbuf *m,
	     struct rte_ipv4_hdr *ip, uint16_t hlen)
{
	(void)ip;
	(void)hlen;
	forward_from_port(w, port, m, L2_HLEN);
}

void
forward_ipv6(struct worker *w, const struct dp_port *port, struct rte_mbuf *m,
	     struct rte_ipv6_hdr *ip)
{
	(void)ip;
	forward_from_port(w, port, m, L2_HLEN);
}

void
forward_decrypted_ipv4(struct worker *w, struct rte_mbuf *m)
{
	worker_drop(w, m, DROP_no_route);
}

void
forward_decrypted_ipv6(struct worker *w, struct rte_mbuf *m)
{
	worker_drop(w, m, DROP_no_route);
}
