/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ICMP and ICMPv6 errors the node originates as a router: time exceeded when a forwarded
 * packet's TTL runs out (traceroute), and "fragmentation needed" / "packet too big" when a DF
 * packet does not fit the next link (path MTU discovery). They quote the offending packet as
 * RFC 792 / RFC 4443 ask (the header and as much payload as fits 576 / 1280 bytes).
 */
#ifndef EXITGATE_DATAPLANE_ICMP_ERROR_H
#define EXITGATE_DATAPLANE_ICMP_ERROR_H

#include <stdint.h>

#include <rte_mbuf.h>

#include "netaddr.h"
#include "worker.h"

enum icmp_error_kind {
	ICMP_ERROR_TTL_EXCEEDED,
	ICMP_ERROR_TOO_BIG, /* fragmentation needed (IPv4) / packet too big (IPv6), with mtu */
};

/*
 * A new packet (data at its IP header) carrying the error about the IP packet at orig (orig_len
 * bytes), from src to the offending packet's source; NULL when the pool is empty, src has the
 * wrong family, or the offending packet must not be answered (it is itself an ICMP error, a
 * non-first fragment, or from a multicast or unspecified source).
 */
struct rte_mbuf *icmp_error_build(struct worker *w, const uint8_t *orig, uint32_t orig_len,
				  enum icmp_error_kind kind, uint32_t mtu,
				  const struct netaddr *src);

#endif
