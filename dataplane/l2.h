/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Ethernet in and out. Inside the data plane every packet is an Ethernet frame: packets from a
 * bare-IP port (net_tun) get a header on input and lose it on output, so one code path serves
 * both. Output resolves the next hop through the neighbour table and hands the packet to the
 * control plane when the neighbour is not known yet.
 */
#ifndef EXITGATE_DATAPLANE_L2_H
#define EXITGATE_DATAPLANE_L2_H

#include <rte_mbuf.h>

#include "worker.h"

/* A burst from one RX source (a port or its kernel TAP). */
void l2_input_burst(struct worker *w, const struct rx_source *src, struct rte_mbuf **pkts,
		    uint16_t n);
/* A packet the control plane sent down to this worker (dp_meta says what to do). */
void l2_from_control(struct worker *w, struct rte_mbuf *m);

/*
 * Send an IP packet (data starts at the IP header, headers final) out of a role's port.
 * nh: the next hop, or NULL to route dst by the port's subnets and gateway.
 */
void l2_output_ip(struct worker *w, uint8_t role, struct rte_mbuf *m, const struct netaddr *nh);

/* Deliver a frame (Ethernet header at data start) to the role's kernel TAP. */
void l2_to_kernel(struct worker *w, const struct dp_port *port, struct rte_mbuf *m);

/* The same for an IP packet (data at its IP header): a header addressed to the port is added. */
void l2_to_kernel_ip(struct worker *w, const struct dp_port *port, struct rte_mbuf *m);

/* Build frames the control plane sends (ARP request, neighbour solicitation). NULL when the
 * pool is empty or the port has no address of that family. */
struct rte_mbuf *l2_build_neighbor_request(struct dataplane *dp, uint8_t role,
					   const struct netaddr *target,
					   const struct rte_ether_addr *unicast_to);

#endif
