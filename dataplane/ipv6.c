/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IPv6 input: header validation, neighbour discovery for our addresses (solicitations answered
 * here; adverts passed up to the neighbour table and to the kernel), ICMPv6 echo, the WireGuard
 * listen port, everything else for us to the kernel TAP, and forwarding by the port's role.
 */
#include <string.h>

#include <rte_ip.h>
#include <rte_udp.h>

#include "exit.h"
#include "forward.h"
#include "l2.h"
#include "l3.h"

enum {
	ICMP6_ECHO_REQUEST = 128,
	ICMP6_ECHO_REPLY = 129,
	ND_NEIGHBOR_SOLICIT = 135,
	ND_NEIGHBOR_ADVERT = 136,
	ND_OPT_SOURCE_LL = 1,
	ND_OPT_TARGET_LL = 2,
	ND_NA_FLAG_SOLICITED = 0x40,
	ND_NA_FLAG_OVERRIDE = 0x20,
	ND_HOP_LIMIT = 255,
	ND_MESSAGE_LEN = 24, /* type, code, checksum, flags/reserved, target */
	ND_LL_OPTION_LEN = 8,
};

static const uint8_t all_nodes[16] = {0xff, 0x02, [15] = 0x01};

static bool
is_solicited_node_of_ours(const struct dp_port *port, const uint8_t *dst)
{
	static const uint8_t prefix[13] = {0xff, 0x02, [11] = 0x01, [12] = 0xff};

	if (memcmp(dst, prefix, sizeof(prefix)) != 0)
		return false;
	for (unsigned int i = 0; i < port->address_count; i++) {
		const struct netaddr *a = &port->addresses[i].addr;

		if (a->family == AF_INET6 && memcmp(a->bytes + 13, dst + 13, 3) == 0)
			return true;
	}
	return false;
}

static void
solicited_node(uint8_t out[16], const uint8_t target[16])
{
	static const uint8_t prefix[13] = {0xff, 0x02, [11] = 0x01, [12] = 0xff};

	memcpy(out, prefix, sizeof(prefix));
	memcpy(out + 13, target + 13, 3);
}

static void
learn_copy(struct worker *w, const struct dp_port *port, const struct rte_mbuf *m)
{
	struct rte_mbuf *copy = rte_pktmbuf_copy(m, w->dp->pool, 0, UINT32_MAX);

	if (copy == NULL) {
		worker_count_drop(&w->counters, DROP_no_mbuf);
		return;
	}
	dp_meta(copy)->port_role = port->role;
	worker_to_control(w, w->dp->up_other, copy, DP_UP_NEIGHBOR, DROP_control_queue_full);
}

static void
send_back(struct worker *w, const struct dp_port *port, struct rte_mbuf *m)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);

	eth->dst_addr = eth->src_addr;
	rte_ether_addr_copy(&port->mac, &eth->src_addr);
	if (port->l3_only)
		rte_pktmbuf_adj(m, L2_HLEN);
	worker_tx(w, port->eth_port, m);
}

static void
echo_reply(struct worker *w, const struct dp_port *port, struct rte_mbuf *m,
	   struct rte_ipv6_hdr *ip, uint8_t *icmp)
{
	uint8_t addr[16];

	icmp[0] = ICMP6_ECHO_REPLY;
	memcpy(addr, ip->src_addr, 16);
	memcpy(ip->src_addr, ip->dst_addr, 16);
	memcpy(ip->dst_addr, addr, 16);
	/* a multicast echo is answered from our own address */
	if (ip->src_addr[0] == 0xff) {
		for (unsigned int i = 0; i < port->address_count; i++)
			if (port->addresses[i].addr.family == AF_INET6) {
				memcpy(ip->src_addr, port->addresses[i].addr.bytes, 16);
				break;
			}
	}
	ip->hop_limits = DP_DEFAULT_TTL;
	icmp[2] = icmp[3] = 0;
	{
		uint16_t c = rte_ipv6_udptcp_cksum(ip, icmp);

		memcpy(icmp + 2, &c, 2);
	}
	worker_count(&w->counters, WC_icmp_echo_replies, 1);
	send_back(w, port, m);
}

/* Answer a solicitation for one of our addresses with an advert, reusing the mbuf. */
static void
neighbor_advert(struct worker *w, const struct dp_port *port, struct rte_mbuf *m,
		struct rte_ipv6_hdr *ip, const uint8_t *target, bool dad)
{
	uint16_t l4_len = ND_MESSAGE_LEN + ND_LL_OPTION_LEN;
	uint32_t want = L2_HLEN + sizeof(*ip) + l4_len;
	uint8_t *na, tgt[16];

	memcpy(tgt, target, 16);
	if (rte_pktmbuf_data_len(m) > want)
		rte_pktmbuf_trim(m, (uint16_t)(rte_pktmbuf_data_len(m) - want));
	else if (rte_pktmbuf_data_len(m) < want &&
		 rte_pktmbuf_append(m, (uint16_t)(want - rte_pktmbuf_data_len(m))) == NULL) {
		worker_drop(w, m, DROP_no_mbuf);
		return;
	}
	ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv6_hdr *, L2_HLEN);
	na = (uint8_t *)(ip + 1);
	/* Reply to the asker, or to all nodes when it asked from :: (duplicate detection). */
	memcpy(ip->dst_addr, dad ? all_nodes : ip->src_addr, 16);
	memcpy(ip->src_addr, tgt, 16);
	ip->payload_len = rte_cpu_to_be_16(l4_len);
	ip->proto = IPPROTO_ICMPV6;
	ip->hop_limits = ND_HOP_LIMIT;
	memset(na, 0, l4_len);
	na[0] = ND_NEIGHBOR_ADVERT;
	na[4] = (uint8_t)((dad ? 0 : ND_NA_FLAG_SOLICITED) | ND_NA_FLAG_OVERRIDE);
	memcpy(na + 8, tgt, 16);
	na[24] = ND_OPT_TARGET_LL;
	na[25] = 1; /* option length in units of 8 bytes */
	memcpy(na + 26, port->mac.addr_bytes, RTE_ETHER_ADDR_LEN);
	{
		uint16_t c = rte_ipv6_udptcp_cksum(ip, na);

		memcpy(na + 2, &c, 2);
	}
	if (dad) {
		struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);

		rte_ether_addr_copy(&port->mac, &eth->src_addr);
		memcpy(eth->dst_addr.addr_bytes, "\x33\x33\x00\x00\x00\x01", RTE_ETHER_ADDR_LEN);
		worker_count(&w->counters, WC_nd_adverts_sent, 1);
		if (port->l3_only)
			rte_pktmbuf_adj(m, L2_HLEN);
		worker_tx(w, port->eth_port, m);
		return;
	}
	worker_count(&w->counters, WC_nd_adverts_sent, 1);
	send_back(w, port, m);
}

static void
icmp6_input(struct worker *w, const struct dp_port *port, struct rte_mbuf *m,
	    struct rte_ipv6_hdr *ip)
{
	uint16_t len = rte_be_to_cpu_16(ip->payload_len);
	uint8_t *icmp = (uint8_t *)(ip + 1);

	if (len < 4) {
		worker_drop(w, m, DROP_runt);
		return;
	}
	if (rte_ipv6_udptcp_cksum_verify(ip, icmp) != 0) {
		worker_drop(w, m, DROP_bad_l4_checksum);
		return;
	}
	switch (icmp[0]) {
	case ICMP6_ECHO_REQUEST:
		if (len < 8 || icmp[1] != 0) {
			worker_drop(w, m, DROP_bad_l3_header);
			return;
		}
		echo_reply(w, port, m, ip, icmp);
		return;
	case ND_NEIGHBOR_SOLICIT: {
		static const uint8_t unspecified[16];
		bool dad = memcmp(ip->src_addr, unspecified, 16) == 0;

		if (len < ND_MESSAGE_LEN || ip->hop_limits != ND_HOP_LIMIT || icmp[1] != 0) {
			worker_drop(w, m, DROP_bad_nd);
			return;
		}
		if (!port_owns_ipv6(port, icmp + 8)) {
			worker_drop(w, m, DROP_not_for_us);
			return;
		}
		if (!dad)
			learn_copy(w, port, m);
		neighbor_advert(w, port, m, ip, icmp + 8, dad);
		return;
	}
	case ND_NEIGHBOR_ADVERT:
		if (len < ND_MESSAGE_LEN || ip->hop_limits != ND_HOP_LIMIT || icmp[1] != 0) {
			worker_drop(w, m, DROP_bad_nd);
			return;
		}
		if (port->has_tap) {
			struct rte_mbuf *copy = rte_pktmbuf_copy(m, w->dp->pool, 0, UINT32_MAX);

			if (copy != NULL)
				l2_to_kernel(w, port, copy);
			else
				worker_count_drop(&w->counters, DROP_no_mbuf);
		}
		dp_meta(m)->port_role = port->role;
		worker_to_control(w, w->dp->up_other, m, DP_UP_NEIGHBOR, DROP_control_queue_full);
		return;
	default:
		/* errors about our flows and echo replies may be NAT return traffic */
		if (ip->dst_addr[0] == 0xff || !exit_inbound(w, port, m))
			l2_to_kernel(w, port, m);
		return;
	}
}

static void
local_input(struct worker *w, const struct dp_port *port, struct rte_mbuf *m,
	    struct rte_ipv6_hdr *ip)
{
	uint16_t len = rte_be_to_cpu_16(ip->payload_len);

	switch (ip->proto) {
	case IPPROTO_ICMPV6:
		icmp6_input(w, port, m, ip);
		return;
	case IPPROTO_UDP: {
		const struct rte_udp_hdr *udp = (const struct rte_udp_hdr *)(ip + 1);
		struct netendpoint src, dst;
		uint16_t ulen;

		if (len < sizeof(*udp)) {
			worker_drop(w, m, DROP_runt);
			return;
		}
		if (port->role != CONFIG_PORT_PUBLIC ||
		    udp->dst_port != rte_cpu_to_be_16(dp_listen_port(w->dp)) || ip->dst_addr[0] == 0xff) {
			if (ip->dst_addr[0] == 0xff || !exit_inbound(w, port, m))
				l2_to_kernel(w, port, m);
			return;
		}
		ulen = rte_be_to_cpu_16(udp->dgram_len);
		if (ulen < sizeof(*udp) || ulen > len) {
			worker_drop(w, m, DROP_bad_l3_header);
			return;
		}
		netaddr_from_ipv6(&src.addr, ip->src_addr);
		netaddr_from_ipv6(&dst.addr, ip->dst_addr);
		src.port = rte_be_to_cpu_16(udp->src_port);
		dst.port = dp_listen_port(w->dp);
		udp_listen_input(w, port, m, &src, &dst,
				 (uint16_t)(L2_HLEN + sizeof(*ip) + sizeof(*udp)),
				 (uint16_t)(ulen - sizeof(*udp)));
		return;
	}
	default:
		/* TCP and fragments may be return traffic of the exit path; the rest (and what no
		 * session claims) is the kernel's */
		if (ip->dst_addr[0] == 0xff || !exit_inbound(w, port, m))
			l2_to_kernel(w, port, m);
		return;
	}
}

void
ipv6_input(struct worker *w, const struct dp_port *port, struct rte_mbuf *m)
{
	struct rte_ipv6_hdr *ip;
	uint32_t len = rte_pktmbuf_data_len(m) - L2_HLEN;
	uint32_t total;

	if (unlikely(len < sizeof(*ip))) {
		worker_drop(w, m, DROP_runt);
		return;
	}
	ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv6_hdr *, L2_HLEN);
	total = sizeof(*ip) + rte_be_to_cpu_16(ip->payload_len);
	if (unlikely((rte_be_to_cpu_32(ip->vtc_flow) >> 28) != 6 || total > len)) {
		worker_drop(w, m, DROP_bad_l3_header);
		return;
	}
	if (total < len)
		rte_pktmbuf_trim(m, (uint16_t)(len - total));

	if (port_owns_ipv6(port, ip->dst_addr) || memcmp(ip->dst_addr, all_nodes, 16) == 0 ||
	    is_solicited_node_of_ours(port, ip->dst_addr)) {
		local_input(w, port, m, ip);
		return;
	}
	if (ip->dst_addr[0] == 0xff) {
		l2_to_kernel(w, port, m);
		return;
	}
	forward_ipv6(w, port, m, ip);
}

struct rte_mbuf *
nd_build_solicit(struct dataplane *dp, uint8_t role, const struct netaddr *target,
		 const struct rte_ether_addr *unicast_to)
{
	const struct dp_port *port = &dp->ports[role];
	const struct netaddr *src = NULL;
	uint16_t l4_len = ND_MESSAGE_LEN + ND_LL_OPTION_LEN;
	struct rte_ether_hdr *eth;
	struct rte_ipv6_hdr *ip;
	struct rte_mbuf *m;
	uint8_t *ns;

	for (unsigned int i = 0; i < port->address_count; i++) {
		const struct netprefix *p = &port->addresses[i];

		if (p->addr.family != AF_INET6)
			continue;
		if (src == NULL || netprefix_contains(p, target))
			src = &p->addr;
	}
	if (src == NULL)
		return NULL;
	eth = dp_packet_new(dp, L2_HLEN + sizeof(*ip) + l4_len, &m);
	if (eth == NULL)
		return NULL;
	ip = (struct rte_ipv6_hdr *)(eth + 1);
	ns = (uint8_t *)(ip + 1);
	eth->src_addr = port->mac;
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV6);
	ip->vtc_flow = RTE_BE32(6u << 28);
	ip->payload_len = rte_cpu_to_be_16(l4_len);
	ip->proto = IPPROTO_ICMPV6;
	ip->hop_limits = ND_HOP_LIMIT;
	memcpy(ip->src_addr, src->bytes, 16);
	if (unicast_to != NULL) {
		eth->dst_addr = *unicast_to;
		memcpy(ip->dst_addr, target->bytes, 16);
	} else {
		solicited_node(ip->dst_addr, target->bytes);
		eth->dst_addr.addr_bytes[0] = 0x33;
		eth->dst_addr.addr_bytes[1] = 0x33;
		memcpy(eth->dst_addr.addr_bytes + 2, ip->dst_addr + 12, 4);
	}
	memset(ns, 0, l4_len);
	ns[0] = ND_NEIGHBOR_SOLICIT;
	memcpy(ns + 8, target->bytes, 16);
	ns[24] = ND_OPT_SOURCE_LL;
	ns[25] = 1;
	memcpy(ns + 26, port->mac.addr_bytes, RTE_ETHER_ADDR_LEN);
	{
		uint16_t c = rte_ipv6_udptcp_cksum(ip, ns);

		memcpy(ns + 2, &c, 2);
	}
	return m;
}

/* The link-layer address an ARP or ND frame tells us, for the neighbour table. */
int
nd_parse_advert(const struct rte_mbuf *m, struct netaddr *addr, struct rte_ether_addr *mac,
		bool *solicited)
{
	const struct rte_ipv6_hdr *ip;
	const uint8_t *icmp, *opt, *end;
	uint16_t len;

	if (rte_pktmbuf_data_len(m) < L2_HLEN + sizeof(*ip) + ND_MESSAGE_LEN)
		return -1;
	ip = rte_pktmbuf_mtod_offset(m, const struct rte_ipv6_hdr *, L2_HLEN);
	icmp = (const uint8_t *)(ip + 1);
	len = rte_be_to_cpu_16(ip->payload_len);
	if (ip->proto != IPPROTO_ICMPV6 || len < ND_MESSAGE_LEN ||
	    L2_HLEN + sizeof(*ip) + len > rte_pktmbuf_data_len(m))
		return -1;
	end = icmp + len;
	if (icmp[0] == ND_NEIGHBOR_ADVERT) {
		netaddr_from_ipv6(addr, icmp + 8);
		*solicited = (icmp[4] & ND_NA_FLAG_SOLICITED) != 0;
	} else if (icmp[0] == ND_NEIGHBOR_SOLICIT) {
		netaddr_from_ipv6(addr, ip->src_addr);
		*solicited = false;
	} else {
		return -1;
	}
	/* the link-layer address option: target LL in adverts, source LL in solicitations */
	for (opt = icmp + ND_MESSAGE_LEN; opt + 2 <= end && opt[1] != 0; opt += opt[1] * 8) {
		if (opt + opt[1] * 8 > end)
			return -1;
		if ((opt[0] == ND_OPT_TARGET_LL || opt[0] == ND_OPT_SOURCE_LL) && opt[1] == 1) {
			memcpy(mac->addr_bytes, opt + 2, RTE_ETHER_ADDR_LEN);
			return 0;
		}
	}
	/* an advert without the option confirms the sender's link-layer address */
	if (icmp[0] == ND_NEIGHBOR_ADVERT) {
		*mac = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *)->src_addr;
		return 0;
	}
	return -1;
}
