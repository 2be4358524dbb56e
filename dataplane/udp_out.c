/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>

#include <rte_ip.h>
#include <rte_udp.h>

#include "l2.h"
#include "l3.h"
#include "port.h"
#include "udp_out.h"

void
udp_output_public(struct worker *w, struct rte_mbuf *m, const struct netendpoint *dst)
{
	const struct dp_port *port = &w->dp->ports[CONFIG_PORT_PUBLIC];
	const struct netaddr *src = dp_port_address(port, dst->addr.family);
	uint16_t payload_len = (uint16_t)rte_pktmbuf_pkt_len(m);
	struct rte_udp_hdr *udp;

	if (unlikely(src == NULL || dst->addr.family == 0)) {
		worker_drop(w, m, DROP_no_route);
		return;
	}
	if (dst->addr.family == AF_INET) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)rte_pktmbuf_prepend(
			m, sizeof(*ip) + sizeof(*udp));

		if (unlikely(ip == NULL)) {
			worker_drop(w, m, DROP_unsupported);
			return;
		}
		udp = (struct rte_udp_hdr *)(ip + 1);
		ip->version_ihl = RTE_IPV4_VHL_DEF;
		ip->type_of_service = 0;
		ip->total_length = rte_cpu_to_be_16((uint16_t)(sizeof(*ip) + sizeof(*udp) + payload_len));
		ip->packet_id = rte_cpu_to_be_16(w->ip_id++);
		ip->fragment_offset = 0;
		ip->time_to_live = DP_DEFAULT_TTL;
		ip->next_proto_id = IPPROTO_UDP;
		memcpy(&ip->src_addr, src->bytes, 4);
		memcpy(&ip->dst_addr, dst->addr.bytes, 4);
		ip->hdr_checksum = 0;
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		udp->src_port = rte_cpu_to_be_16(dp_listen_port(w->dp));
		udp->dst_port = rte_cpu_to_be_16(dst->port);
		udp->dgram_len = rte_cpu_to_be_16((uint16_t)(sizeof(*udp) + payload_len));
		/* Optional over IPv4 (RFC 768) and everything we send is authenticated or checked
		 * above UDP, so the per-byte cost of a software checksum buys nothing. */
		udp->dgram_cksum = 0;
	} else {
		struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)rte_pktmbuf_prepend(
			m, sizeof(*ip) + sizeof(*udp));

		if (unlikely(ip == NULL)) {
			worker_drop(w, m, DROP_unsupported);
			return;
		}
		udp = (struct rte_udp_hdr *)(ip + 1);
		ip->vtc_flow = RTE_BE32(6u << 28);
		ip->payload_len = rte_cpu_to_be_16((uint16_t)(sizeof(*udp) + payload_len));
		ip->proto = IPPROTO_UDP;
		ip->hop_limits = DP_DEFAULT_TTL;
		memcpy(ip->src_addr, src->bytes, 16);
		memcpy(ip->dst_addr, dst->addr.bytes, 16);
		udp->src_port = rte_cpu_to_be_16(dp_listen_port(w->dp));
		udp->dst_port = rte_cpu_to_be_16(dst->port);
		udp->dgram_len = ip->payload_len;
		udp->dgram_cksum = 0;
		/* mandatory over IPv6 */
		udp->dgram_cksum = rte_ipv6_udptcp_cksum(ip, udp);
	}
	l2_output_ip(w, CONFIG_PORT_PUBLIC, m, NULL);
}
