/* SPDX-License-Identifier: BSD-3-Clause */
#include <arpa/inet.h>
#include <string.h>

#include "nat_checksum.h"
#include "nat_packet.h"

enum {
	IPV4_MF_OFFSET_MASK = 0x1fff, /* fragment offset; MF alone marks a first fragment */
	IPV6_FRAG_OFFSET_MASK = 0xfff8,
	IPV6_EXT_HOP_BY_HOP = 0,
	IPV6_EXT_ROUTING = 43,
	IPV6_EXT_FRAGMENT = 44,
	IPV6_EXT_AUTH = 51,
	IPV6_EXT_DEST_OPTS = 60,
	IPV6_EXT_MIN_LEN = 8,
};

static enum nat_result
parse_ipv4(const uint8_t *ip, uint32_t len, bool quoted, struct nat_ip *out)
{
	uint32_t hlen, end;

	if (len < NAT_IPV4_HLEN || (ip[0] >> 4) != 4)
		return NAT_DROP_MALFORMED;
	hlen = (ip[0] & 0xfu) * 4u;
	end = ntohs(nat_load16(ip + 2));
	if (hlen < NAT_IPV4_HLEN || hlen > len || end < hlen)
		return NAT_DROP_MALFORMED;
	if (end > len) {
		/* a quote ends where the error message ends; a packet must be whole */
		if (!quoted)
			return NAT_DROP_MALFORMED;
		end = len;
	}
	if (ntohs(nat_load16(ip + 6)) & IPV4_MF_OFFSET_MASK)
		return NAT_DROP_FRAGMENT;
	out->version = 4;
	out->proto = ip[9];
	out->l4_off = hlen;
	out->l4_len = end - hlen;
	return NAT_OK;
}

static enum nat_result
parse_ipv6(const uint8_t *ip, uint32_t len, bool quoted, struct nat_ip *out)
{
	uint32_t end, off = NAT_IPV6_HLEN;
	uint8_t next;
	unsigned int i;

	if (len < NAT_IPV6_HLEN || (ip[0] >> 4) != 6)
		return NAT_DROP_MALFORMED;
	end = NAT_IPV6_HLEN + (uint32_t)ntohs(nat_load16(ip + 4));
	/* a zero payload length means a jumbogram, which no link of ours carries */
	if (end == NAT_IPV6_HLEN)
		return NAT_DROP_MALFORMED;
	if (end > len) {
		if (!quoted)
			return NAT_DROP_MALFORMED;
		end = len;
	}
	next = ip[6];
	for (i = 0; i < NAT_IPV6_EXT_MAX; i++) {
		switch (next) {
		case IPV6_EXT_HOP_BY_HOP:
		case IPV6_EXT_DEST_OPTS:
		case IPV6_EXT_ROUTING:
			if (off + IPV6_EXT_MIN_LEN > end)
				return NAT_DROP_MALFORMED;
			/* with segments left, the destination is not the final one */
			if (next == IPV6_EXT_ROUTING && ip[off + 3] != 0)
				return NAT_DROP_NOT_NATTABLE;
			next = ip[off];
			off += ((uint32_t)ip[off + 1] + 1) * 8;
			break;
		case IPV6_EXT_FRAGMENT:
			if (off + IPV6_EXT_MIN_LEN > end)
				return NAT_DROP_MALFORMED;
			if (ntohs(nat_load16(ip + off + 2)) & IPV6_FRAG_OFFSET_MASK)
				return NAT_DROP_FRAGMENT;
			next = ip[off];
			off += IPV6_EXT_MIN_LEN;
			break;
		case IPV6_EXT_AUTH:
			/* authenticates the addresses NAT rewrites */
			return NAT_DROP_NOT_NATTABLE;
		default:
			if (off > end)
				return NAT_DROP_MALFORMED;
			out->version = 6;
			out->proto = next;
			out->l4_off = off;
			out->l4_len = end - off;
			return NAT_OK;
		}
	}
	return NAT_DROP_NOT_NATTABLE;
}

enum nat_result
nat_ip_parse(const uint8_t *ip, uint32_t len, uint8_t version, bool quoted, struct nat_ip *out)
{
	if (version == 4)
		return parse_ipv4(ip, len, quoted, out);
	return parse_ipv6(ip, len, quoted, out);
}

enum nat_icmp_kind
nat_icmp_kind(uint8_t version, uint8_t type)
{
	if (version == 4) {
		switch (type) {
		case 8:
			return NAT_ICMP_ECHO_REQUEST;
		case 0:
			return NAT_ICMP_ECHO_REPLY;
		case 3:  /* destination unreachable, fragmentation needed among them */
		case 11: /* time exceeded */
		case 12: /* parameter problem */
			return NAT_ICMP_ERROR;
		default:
			return NAT_ICMP_OTHER;
		}
	}
	switch (type) {
	case 128:
		return NAT_ICMP_ECHO_REQUEST;
	case 129:
		return NAT_ICMP_ECHO_REPLY;
	case 1: /* destination unreachable */
	case 2: /* packet too big */
	case 3: /* time exceeded */
	case 4: /* parameter problem */
		return NAT_ICMP_ERROR;
	default:
		return NAT_ICMP_OTHER;
	}
}

uint32_t
nat_ip_rewrite(uint8_t *ip, const struct nat_ip *p, enum nat_side side, const uint8_t *addr,
	       bool has_port, uint16_t port, uint32_t extra)
{
	unsigned int addr_len = nat_addr_len(p->version);
	uint8_t *field = ip + nat_addr_off(p, side);
	uint8_t *l4 = ip + p->l4_off;
	uint32_t addr_delta = csum_delta_bytes(field, addr, addr_len);
	uint32_t written = addr_delta; /* every byte this function changes */
	uint32_t l4_delta = extra;     /* what the transport checksum covers besides addresses */

	memcpy(field, addr, addr_len);
	if (p->version == 4)
		written += csum_apply(ip + 10, addr_delta);
	if (has_port) {
		uint8_t *port_field = l4 + nat_port_off(p->proto, side);
		uint16_t new = htons(port);
		uint32_t port_delta = csum_delta16(nat_load16(port_field), new);

		nat_store16(port_field, new);
		written += port_delta;
		l4_delta += port_delta;
	}
	switch (p->proto) {
	case IPPROTO_TCP:
		/* an ICMPv4 error may quote only 8 bytes of TCP, without the checksum */
		if (p->l4_len >= 18)
			written += csum_apply(l4 + 16, l4_delta + addr_delta);
		break;
	case IPPROTO_UDP:
		written += csum_apply_udp(l4 + 6, l4_delta + addr_delta);
		break;
	case IPPROTO_ICMP:
		/* no pseudo-header */
		written += csum_apply(l4 + 2, l4_delta);
		break;
	case IPPROTO_ICMPV6:
		written += csum_apply(l4 + 2, l4_delta + addr_delta);
		break;
	default:
		break;
	}
	return written;
}
