/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The packet side of NAT: find the transport header of an IPv4/IPv6 packet (or of the packet an
 * ICMP error quotes), classify ICMP types, and rewrite one endpoint (address and port or echo
 * identifier) with every checksum that covers it. Parsing only reads; offsets are kept instead
 * of pointers so that the owner lookup can parse a const packet.
 */
#ifndef EXITGATE_NAT_PACKET_H
#define EXITGATE_NAT_PACKET_H

#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "nat.h"

enum {
	NAT_IPV4_HLEN = 20,
	NAT_IPV6_HLEN = 40,
	NAT_IPV6_EXT_MAX = 8,  /* extension headers walked before giving up */
	NAT_TCP_HLEN = 20,
	NAT_L4_PORTS_LEN = 8,  /* what an ICMPv4 error must quote: ports, or ICMP type..sequence */
	NAT_ICMP_HLEN = 8,     /* type, code, checksum, and identifier/sequence or unused/MTU */
};

/* A parsed IP packet: everything relative to its IP header. */
struct nat_ip {
	uint32_t l4_off;  /* the transport header */
	uint32_t l4_len;  /* bytes from there to the end of the packet (or of the quote) */
	uint8_t version;  /* 4 or 6 */
	uint8_t proto;    /* upper-layer protocol, after any IPv6 extension headers */
};

enum nat_side {
	NAT_SOURCE,
	NAT_DESTINATION,
};

enum nat_icmp_kind {
	NAT_ICMP_OTHER,
	NAT_ICMP_ECHO_REQUEST,
	NAT_ICMP_ECHO_REPLY,
	NAT_ICMP_ERROR,
};

/*
 * Parse the IP header at ip (len bytes available). A packet must lie within len (IPv4 total
 * length, IPv6 payload length) and not be a non-first fragment. A quoted packet (the payload of
 * an ICMP error) is usually cut short: its length fields are not checked against len, and l4_len
 * is what was quoted. NAT_OK, NAT_DROP_MALFORMED, NAT_DROP_FRAGMENT or NAT_DROP_NOT_NATTABLE (an
 * IPv6 routing header with segments left, AH, too many extension headers).
 */
enum nat_result nat_ip_parse(const uint8_t *ip, uint32_t len, uint8_t version, bool quoted,
			     struct nat_ip *out);

/* Families are AF_INET/AF_INET6 at the API and the IP version (4 or 6) inside; 0 = neither. */
static inline uint8_t
nat_version_of(int family)
{
	return family == AF_INET ? 4 : family == AF_INET6 ? 6 : 0;
}

static inline unsigned int
nat_addr_len(uint8_t version)
{
	return version == 4 ? 4 : 16;
}

static inline uint32_t
nat_addr_off(const struct nat_ip *p, enum nat_side side)
{
	if (p->version == 4)
		return side == NAT_SOURCE ? 12 : 16;
	return side == NAT_SOURCE ? 8 : 24;
}

/* The offset of the port (or echo identifier) of that side within the transport header. */
static inline uint32_t
nat_port_off(uint8_t proto, enum nat_side side)
{
	if (proto == IPPROTO_TCP || proto == IPPROTO_UDP)
		return side == NAT_SOURCE ? 0 : 2;
	return 4; /* ICMP echo identifier, whichever way the packet goes */
}

enum nat_icmp_kind nat_icmp_kind(uint8_t version, uint8_t type);

/* true for the ICMP protocol of that version (ICMP in IPv4, ICMPv6 in IPv6) */
static inline bool
nat_is_icmp(uint8_t version, uint8_t proto)
{
	return version == 4 ? proto == IPPROTO_ICMP : proto == IPPROTO_ICMPV6;
}

/*
 * Rewrite side's address to addr (nat_addr_len bytes) and, when has_port, its port or echo
 * identifier to port (host order). Fixes the IPv4 header checksum and the transport checksum if
 * it lies within l4_len (a quote may end before a TCP checksum); extra is a change to add to the
 * transport checksum on top (a rewritten quote, for the ICMP message around it). Returns the
 * change of every byte written, for a checksum that covers this whole packet.
 */
uint32_t nat_ip_rewrite(uint8_t *ip, const struct nat_ip *p, enum nat_side side,
			const uint8_t *addr, bool has_port, uint16_t port, uint32_t extra);

#endif
