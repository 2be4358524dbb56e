/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the files of the NAT library share: the instance itself and the session operations the
 * translation paths use. Users of the library include nat.h only.
 *
 *   nat.c            creation, configuration, walk, statistics, names
 *   nat_translate.c  the outbound and inbound paths (single and burst), the owner function
 *   nat_session.c    sessions: creation with port allocation, TCP tracking, timeouts, expiry
 *   nat_table.c      the session store and its keyed hash indexes
 *   nat_packet.c     IPv4/IPv6/ICMP parsing and rewriting with incremental checksums
 */
#ifndef EXITGATE_NAT_INTERNAL_H
#define EXITGATE_NAT_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>

#include <sodium.h>

#include "nat.h"
#include "nat_table.h"

enum {
	NAT_PORT_COUNT = 65536,
};

enum nat_tcp_flag {
	TCP_FIN = 0x01,
	TCP_SYN = 0x02,
	TCP_RST = 0x04,
	TCP_ACK = 0x10,
};

struct nat {
	struct nat_table table;
	uint8_t egress[2][16];  /* [0] IPv4 (first 4 bytes), [1] IPv6 */
	bool has_egress[2];
	uint16_t port_min;
	uint16_t port_max;
	unsigned int worker;
	unsigned int workers;
	uint32_t slice_ports;   /* ports of this worker's slice */
	uint32_t peer_limit;
	uint64_t tcp_established_ns;
	uint64_t tcp_transitory_ns;
	uint64_t udp_ns;
	uint64_t icmp_ns;
	uint64_t port_draws;    /* input to the keyed draw of a search start */
	uint8_t port_key[crypto_shorthash_KEYBYTES];
	struct nat_allocator allocator;
	struct nat_stats stats; /* written by the owner only (stat_add) */
	uint64_t reserved[NAT_PORT_COUNT / 64]; /* bit per port never to hand out */
};

/* Statistics: single writer, relaxed stores, so readers never see a torn value. */
static inline void
stat_add(uint64_t *counter, uint64_t n)
{
	__atomic_store_n(counter, *counter + n, __ATOMIC_RELAXED);
}

static inline void
stat_sub(uint64_t *counter, uint64_t n)
{
	__atomic_store_n(counter, *counter - n, __ATOMIC_RELAXED);
}

static inline enum nat_protocol
nat_protocol_of(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_TCP:
		return NAT_PROTO_TCP;
	case IPPROTO_UDP:
		return NAT_PROTO_UDP;
	default:
		return NAT_PROTO_ICMP;
	}
}

static inline const uint8_t *
nat_egress(const struct nat *n, uint8_t version)
{
	return n->egress[version == 6];
}

static inline bool
nat_session_expired(const struct nat_session *s, uint64_t now_ns)
{
	return now_ns >= s->expires_ns;
}

/*
 * A new session for outbound key k (whose outbound hash is out_hash) from peer_id, opened by a
 * packet with tcp_flags: checks the limits, allocates the external port, starts its timeout.
 * NAT_OK with *out, or why not.
 */
enum nat_result nat_session_create(struct nat *n, const struct nat_key *k, uint32_t out_hash,
				   uint32_t peer_id, uint8_t tcp_flags, uint64_t now_ns,
				   struct nat_session **out);
/* Traffic on a session (an ICMP error is not): TCP state, then a new timeout from now. */
void nat_session_refresh(struct nat *n, struct nat_session *s, uint8_t tcp_flags,
			 bool outbound, uint64_t now_ns);
/* Remove a session, counting it under why (expired, replaced). */
void nat_session_remove(struct nat *n, struct nat_session *s, uint64_t *why);

#endif
