/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>

#include <rte_icmp.h>
#include <rte_ip.h>

#include "icmp_error.h"

enum {
	ICMP4_QUOTE_MAX = 576 - 20 - 8,   /* the error fits the minimum IPv4 MTU */
	ICMP6_QUOTE_MAX = 1280 - 40 - 8,  /* the error fits the minimum IPv6 MTU */
	ICMP4_DEST_UNREACH = 3,
	ICMP4_FRAG_NEEDED = 4,
	ICMP4_TIME_EXCEEDED = 11,
	ICMP6_PACKET_TOO_BIG = 2,
	ICMP6_TIME_EXCEEDED = 3,
};

static bool
ipv4_answerable(const struct rte_ipv4_hdr *ip, uint32_t len)
{
	uint32_t hlen = rte_ipv4_hdr_len(ip);
	uint32_t src = rte_be_to_cpu_32(ip->src_addr);

	if (src == 0 || (src >> 28) == 0xe || src == 0xffffffff)
		return false;
	/* never about a non-first fragment */
	if ((rte_be_to_cpu_16(ip->fragment_offset) & RTE_IPV4_HDR_OFFSET_MASK) != 0)
		return false;
	/* never about an ICMP error (echo and other queries may be answered) */
	if (ip->next_proto_id == IPPROTO_ICMP && len >= hlen + 1) {
		uint8_t type = ((const uint8_t *)ip)[hlen];

		if (type == ICMP4_DEST_UNREACH || type == ICMP4_TIME_EXCEEDED || type == 4 ||
		    type == 5 || type == 12)
			return false;
	}
	return true;
}

static bool
ipv6_answerable(const struct rte_ipv6_hdr *ip, uint32_t len)
{
	static const uint8_t unspecified[16];

	if (ip->src_addr[0] == 0xff || memcmp(ip->src_addr, unspecified, 16) == 0)
		return false;
	/* never about an ICMPv6 error (types below 128) */
	if (ip->proto == IPPROTO_ICMPV6 && len >= sizeof(*ip) + 1 &&
	    ((const uint8_t *)(ip + 1))[0] < 128)
		return false;
	return true;
}

static struct rte_mbuf *
build_v4(struct worker *w, const uint8_t *orig, uint32_t orig_len, enum icmp_error_kind kind,
	 uint32_t mtu, const struct netaddr *src)
{
	const struct rte_ipv4_hdr *oip = (const struct rte_ipv4_hdr *)orig;
	uint32_t quote = orig_len < ICMP4_QUOTE_MAX ? orig_len : ICMP4_QUOTE_MAX;
	struct rte_ipv4_hdr *ip;
	struct rte_icmp_hdr *icmp;
	struct rte_mbuf *m;

	if (src->family != AF_INET || !ipv4_answerable(oip, orig_len))
		return NULL;
	ip = dp_packet_new(w->dp, sizeof(*ip) + sizeof(*icmp) + quote, &m);
	if (ip == NULL)
		return NULL;
	icmp = (struct rte_icmp_hdr *)(ip + 1);
	memset(ip, 0, sizeof(*ip) + sizeof(*icmp));
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(sizeof(*ip) + sizeof(*icmp) + quote));
	ip->packet_id = rte_cpu_to_be_16(w->ip_id++);
	ip->time_to_live = DP_DEFAULT_TTL;
	ip->next_proto_id = IPPROTO_ICMP;
	memcpy(&ip->src_addr, src->bytes, 4);
	ip->dst_addr = oip->src_addr;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	if (kind == ICMP_ERROR_TTL_EXCEEDED) {
		icmp->icmp_type = ICMP4_TIME_EXCEEDED;
	} else {
		icmp->icmp_type = ICMP4_DEST_UNREACH;
		icmp->icmp_code = ICMP4_FRAG_NEEDED;
		/* RFC 1191: the next-hop MTU in the low half of the "unused" word */
		icmp->icmp_seq_nb = rte_cpu_to_be_16((uint16_t)mtu);
	}
	memcpy(icmp + 1, orig, quote);
	icmp->icmp_cksum = (uint16_t)~rte_raw_cksum(icmp, sizeof(*icmp) + quote);
	return m;
}

static struct rte_mbuf *
build_v6(struct worker *w, const uint8_t *orig, uint32_t orig_len, enum icmp_error_kind kind,
	 uint32_t mtu, const struct netaddr *src)
{
	const struct rte_ipv6_hdr *oip = (const struct rte_ipv6_hdr *)orig;
	uint32_t quote = orig_len < ICMP6_QUOTE_MAX ? orig_len : ICMP6_QUOTE_MAX;
	struct rte_ipv6_hdr *ip;
	struct rte_mbuf *m;
	uint8_t *icmp;
	uint16_t c;

	if (src->family != AF_INET6 || !ipv6_answerable(oip, orig_len))
		return NULL;
	ip = dp_packet_new(w->dp, sizeof(*ip) + 8 + quote, &m);
	if (ip == NULL)
		return NULL;
	icmp = (uint8_t *)(ip + 1);
	memset(ip, 0, sizeof(*ip) + 8);
	ip->vtc_flow = RTE_BE32(6u << 28);
	ip->payload_len = rte_cpu_to_be_16((uint16_t)(8 + quote));
	ip->proto = IPPROTO_ICMPV6;
	ip->hop_limits = DP_DEFAULT_TTL;
	memcpy(ip->src_addr, src->bytes, 16);
	memcpy(ip->dst_addr, oip->src_addr, 16);
	if (kind == ICMP_ERROR_TTL_EXCEEDED) {
		icmp[0] = ICMP6_TIME_EXCEEDED;
	} else {
		rte_be32_t be = rte_cpu_to_be_32(mtu);

		icmp[0] = ICMP6_PACKET_TOO_BIG;
		memcpy(icmp + 4, &be, 4);
	}
	memcpy(icmp + 8, orig, quote);
	c = rte_ipv6_udptcp_cksum(ip, icmp);
	memcpy(icmp + 2, &c, 2);
	return m;
}

struct rte_mbuf *
icmp_error_build(struct worker *w, const uint8_t *orig, uint32_t orig_len,
		 enum icmp_error_kind kind, uint32_t mtu, const struct netaddr *src)
{
	if (orig_len >= sizeof(struct rte_ipv4_hdr) && (orig[0] >> 4) == 4)
		return build_v4(w, orig, orig_len, kind, mtu, src);
	if (orig_len >= sizeof(struct rte_ipv6_hdr) && (orig[0] >> 4) == 6)
		return build_v6(w, orig, orig_len, kind, mtu, src);
	return NULL;
}
