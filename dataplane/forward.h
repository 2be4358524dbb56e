/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packets not addressed to the node: what happens depends on the role of the port they came in
 * on. From the inner port they are routed to a peer by allowed-IPs and encrypted; on the exit
 * port, traffic for routed (not masqueraded) inner addresses goes to its peer; from the public
 * port otherwise nothing is forwarded (the underlay is not routed through the node).
 */
#ifndef EXITGATE_DATAPLANE_FORWARD_H
#define EXITGATE_DATAPLANE_FORWARD_H

#include <rte_ip.h>
#include <rte_mbuf.h>

#include "worker.h"

void forward_ipv4(struct worker *w, const struct dp_port *port, struct rte_mbuf *m,
		  struct rte_ipv4_hdr *ip, uint16_t hlen);
void forward_ipv6(struct worker *w, const struct dp_port *port, struct rte_mbuf *m,
		  struct rte_ipv6_hdr *ip);



#endif
