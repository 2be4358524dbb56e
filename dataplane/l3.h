/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IPv4, IPv6, ARP and neighbour discovery on the data plane's own ports. Every input function
 * takes an Ethernet frame (data at the Ethernet header) and consumes it: forwards it, answers
 * it, queues it or drops it with a counted reason.
 */
#ifndef EXITGATE_DATAPLANE_L3_H
#define EXITGATE_DATAPLANE_L3_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "worker.h"

enum {
	L2_HLEN = RTE_ETHER_HDR_LEN,
};

void arp_input(struct worker *w, const struct dp_port *port, struct rte_mbuf *m);
void ipv4_input(struct worker *w, const struct dp_port *port, struct rte_mbuf *m);
void ipv6_input(struct worker *w, const struct dp_port *port, struct rte_mbuf *m);

/* UDP to our listen port: STUN, disco and WireGuard (l4 points at the UDP header). */
void udp_listen_input(struct worker *w, const struct dp_port *port, struct rte_mbuf *m,
		      const struct netendpoint *src, const struct netendpoint *dst,
		      uint16_t payload_off, uint16_t payload_len);

/* Frames the neighbour table sends and learns from (control side). */
struct rte_mbuf *arp_build_request(struct dataplane *dp, uint8_t role, const struct netaddr *target,
				   const struct rte_ether_addr *unicast_to);
struct rte_mbuf *nd_build_solicit(struct dataplane *dp, uint8_t role, const struct netaddr *target,
				  const struct rte_ether_addr *unicast_to);
/* The IPv6 address and MAC an NA or NS tells; -1 when it tells none. */
int nd_parse_advert(const struct rte_mbuf *m, struct netaddr *addr, struct rte_ether_addr *mac,
		    bool *solicited);

/* Is addr (network order) one of the port's IPv4 addresses? */
static inline bool
port_owns_ipv4(const struct dp_port *port, rte_be32_t addr)
{
	if (port->host_facing)
		return false;
	for (unsigned int i = 0; i < port->address_count; i++) {
		const struct netaddr *a = &port->addresses[i].addr;

		if (a->family == AF_INET && memcmp(a->bytes, &addr, 4) == 0)
			return true;
	}
	return false;
}

static inline bool
port_owns_ipv6(const struct dp_port *port, const uint8_t *addr)
{
	if (port->host_facing)
		return false;
	for (unsigned int i = 0; i < port->address_count; i++) {
		const struct netaddr *a = &port->addresses[i].addr;

		if (a->family == AF_INET6 && memcmp(a->bytes, addr, 16) == 0)
			return true;
	}
	return false;
}

static inline void
netaddr_from_ipv4(struct netaddr *a, rte_be32_t addr)
{
	memset(a, 0, sizeof(*a));
	a->family = AF_INET;
	memcpy(a->bytes, &addr, 4);
}

static inline void
netaddr_from_ipv6(struct netaddr *a, const uint8_t *addr)
{
	a->family = AF_INET6;
	memcpy(a->bytes, addr, 16);
}

/* Ones-complement checksum of a buffer folded to 16 bits (not inverted). */
static inline uint16_t
cksum_fold(uint32_t sum)
{
	sum = (sum >> 16) + (sum & 0xffff);
	sum += sum >> 16;
	return (uint16_t)sum;
}

/* true when the IPv4 header checksum is right (or the NIC said so). */
static inline bool
ipv4_header_ok(const struct rte_mbuf *m, const struct rte_ipv4_hdr *ip, uint16_t hlen)
{
	uint64_t flag = m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK;

	if (flag == RTE_MBUF_F_RX_IP_CKSUM_GOOD)
		return true;
	if (flag == RTE_MBUF_F_RX_IP_CKSUM_BAD)
		return false;
	return rte_raw_cksum(ip, hlen) == 0xffff;
}

#endif
