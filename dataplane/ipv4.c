/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IPv4 input: header validation, then traffic for our own addresses (the WireGuard listen port,
 * ICMP echo, and everything else to the kernel TAP) or forwarding by the port's role.
 */
#include <string.h>

#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_ip_frag.h>
#include <rte_udp.h>

#include "exit.h"
#include "forward.h"
#include "l2.h"
#include "l3.h"

static void
icmp_echo_reply(struct worker *w, const struct dp_port *port, struct rte_mbuf *m,
		struct rte_ipv4_hdr *ip, uint16_t hlen)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_icmp_hdr *icmp = (struct rte_icmp_hdr *)((uint8_t *)ip + hlen);
	uint16_t icmp_len = (uint16_t)(rte_be_to_cpu_16(ip->total_length) - hlen);
	rte_be32_t addr;

	if (rte_raw_cksum(icmp, icmp_len) != 0xffff) {
		worker_drop(w, m, DROP_bad_l4_checksum);
		return;
	}
	icmp->icmp_type = RTE_IP_ICMP_ECHO_REPLY;
	icmp->icmp_cksum = 0;
	icmp->icmp_cksum = (uint16_t)~rte_raw_cksum(icmp, icmp_len);
	addr = ip->src_addr;
	ip->src_addr = ip->dst_addr;
	ip->dst_addr = addr;
	ip->time_to_live = DP_DEFAULT_TTL;
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	/* Answer the link-layer sender directly: it just reached us, so it is a neighbour. */
	eth->dst_addr = eth->src_addr;
	rte_ether_addr_copy(&port->mac, &eth->src_addr);
	worker_count(&w->counters, WC_icmp_echo_replies, 1);
	if (port->l3_only)
		rte_pktmbuf_adj(m, L2_HLEN);
	worker_tx(w, port->eth_port, m);
}

static void
local_input(struct worker *w, const struct dp_port *port, struct rte_mbuf *m,
	    struct rte_ipv4_hdr *ip, uint16_t hlen)
{
	uint16_t total = rte_be_to_cpu_16(ip->total_length);

	/* Fragments for us: the exit path reassembles return traffic, the rest is the kernel's. */
	if (rte_ipv4_frag_pkt_is_fragmented(ip)) {
		if (!exit_inbound(w, port, m))
			l2_to_kernel(w, port, m);
		return;
	}
	switch (ip->next_proto_id) {
	case IPPROTO_UDP: {
		const struct rte_udp_hdr *udp = (const struct rte_udp_hdr *)((uint8_t *)ip + hlen);
		struct netendpoint src, dst;
		uint16_t ulen;

		if (total < hlen + sizeof(*udp)) {
			worker_drop(w, m, DROP_runt);
			return;
		}
		if (port->role != CONFIG_PORT_PUBLIC ||
		    udp->dst_port != rte_cpu_to_be_16(dp_listen_port(w->dp))) {
			if (!exit_inbound(w, port, m))
				l2_to_kernel(w, port, m);
			return;
		}
		ulen = rte_be_to_cpu_16(udp->dgram_len);
		if (ulen < sizeof(*udp) || ulen > total - hlen) {
			worker_drop(w, m, DROP_bad_l3_header);
			return;
		}
		netaddr_from_ipv4(&src.addr, ip->src_addr);
		netaddr_from_ipv4(&dst.addr, ip->dst_addr);
		src.port = rte_be_to_cpu_16(udp->src_port);
		dst.port = dp_listen_port(w->dp);
		udp_listen_input(w, port, m, &src, &dst,
				 (uint16_t)(L2_HLEN + hlen + sizeof(*udp)),
				 (uint16_t)(ulen - sizeof(*udp)));
		return;
	}
	case IPPROTO_ICMP: {
		const struct rte_icmp_hdr *icmp =
			(const struct rte_icmp_hdr *)((uint8_t *)ip + hlen);

		if (total >= hlen + sizeof(*icmp) && icmp->icmp_type == RTE_IP_ICMP_ECHO_REQUEST &&
		    icmp->icmp_code == 0) {
			icmp_echo_reply(w, port, m, ip, hlen);
			return;
		}
		if (!exit_inbound(w, port, m))
			l2_to_kernel(w, port, m);
		return;
	}
	default:
		if (!exit_inbound(w, port, m))
			l2_to_kernel(w, port, m);
		return;
	}
}

void
ipv4_input(struct worker *w, const struct dp_port *port, struct rte_mbuf *m)
{
	struct rte_ipv4_hdr *ip;
	uint32_t len = rte_pktmbuf_data_len(m) - L2_HLEN;
	uint16_t hlen, total;

	if (unlikely(len < sizeof(*ip))) {
		worker_drop(w, m, DROP_runt);
		return;
	}
	ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, L2_HLEN);
	hlen = (uint16_t)rte_ipv4_hdr_len(ip);
	total = rte_be_to_cpu_16(ip->total_length);
	if (unlikely((ip->version_ihl >> 4) != 4 || hlen < sizeof(*ip) || total < hlen ||
		     total > len)) {
		worker_drop(w, m, DROP_bad_l3_header);
		return;
	}
	if (unlikely(!ipv4_header_ok(m, ip, hlen))) {
		worker_drop(w, m, DROP_bad_ip_checksum);
		return;
	}
	/* Ethernet pads short frames: the IP length is the truth. */
	if (total < len)
		rte_pktmbuf_trim(m, (uint16_t)(len - total));

	if (port_owns_ipv4(port, ip->dst_addr)) {
		local_input(w, port, m, ip, hlen);
		return;
	}
	/* (DPDK's RTE_IS_IPV4_MCAST shifts a signed int into its sign bit: undefined) */
	if (ip->dst_addr == RTE_BE32(RTE_IPV4_BROADCAST) ||
	    (rte_be_to_cpu_32(ip->dst_addr) >> 28) == 0xe) {
		/* DHCP replies, multicast: the kernel's business, when it has a TAP */
		l2_to_kernel(w, port, m);
		return;
	}
	forward_ipv4(w, port, m, ip, hlen);
}
