/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Exit NAT (masquerade): peers' tunnel sources rewritten to the node's egress address, one
 * external port (or ICMP echo identifier) per session, and the return traffic rewritten back.
 * NAT44 to one egress IPv4 address and NAT66 to one egress IPv6 address use the same machinery
 * over 128-bit addresses; IPv6 "routed" mode needs no NAT and never calls in here.
 *
 * Pure C, no DPDK: a packet is a pointer to its IP header and a length, rewritten in place. The
 * same code runs in the workers, the unit tests, the fuzzer and the benchmark.
 *
 * Concurrency: partitioned, not shared. Each worker owns one instance (its own session table)
 * and allocates external ports only from its own slice of the configured range: worker i of W
 * owns the ports p in [port_min, port_max] with (p - port_min) % W == i. The data plane sends
 * every outbound packet to the worker that a hash of its inner flow names (dataplane/exit.c), so
 * a flow always meets its own session even when its peer's packets change queues (roaming,
 * af_packet rollover). A return packet may arrive on any worker: that worker asks
 * nat_owner_of_packet() (the destination port or ICMP identifier, or the one quoted in an ICMP
 * error, says which slice) and hands the packet to the owner over a ring. Only the owner ever reads or writes a session: no lock and no
 * atomic read-modify-write on the per-packet path. Statistics are single-writer counters that
 * other threads may read (nat_stats_read). Everything else is for the owning thread only.
 *
 * Sessions are endpoint-dependent (5-tuple, like Linux masquerade): the outbound key is
 * (family, protocol, inner address, inner port, remote address, remote port) and the inbound key
 * (family, protocol, remote address, remote port, external port). The same external port may
 * serve many remotes at once, but never two sessions with the same (protocol, remote address,
 * remote port): the inbound key is unique, so every return packet has exactly one session. The
 * inner source port is kept when it lies in this worker's slice and is free for that remote;
 * otherwise the search starts at a keyed pseudo-random point of the slice and probes linearly
 * for at most NAT_PORT_TRIES ports. Reserved ports (the node's listen port) are never handed out;
 * the list is fixed at creation, so a new listen port inside the range means new instances. ICMP
 * echo identifiers are allocated the same way from the same range and slices.
 *
 * Translated: TCP and UDP ports; ICMP/ICMPv6 echo identifiers (requests outbound, replies
 * inbound); ICMP errors in both directions (destination unreachable including fragmentation
 * needed, time exceeded, parameter problem; ICMPv6 destination unreachable, packet too big, time
 * exceeded, parameter problem): the quoted IP and transport header is matched to its session and
 * rewritten together with the outer header. Errors never create or refresh a session; an error
 * a peer sends must be about one of that peer's sessions and go to the quoted packet's source.
 *
 * Checksums are updated incrementally (RFC 1624), never recomputed and never verified: a correct
 * checksum stays correct and a wrong one stays wrong, so the receiver still catches corruption.
 * That covers the IPv4 header checksum, the TCP/UDP/ICMPv6 pseudo-header, the ICMP checksum over
 * a rewritten quote, and the quote's own IPv4 and transport checksums when they were quoted. A
 * UDP checksum of zero ("none" over IPv4) stays zero.
 *
 * Fragments: a non-first fragment carries no ports, so it cannot be matched to a session; it is
 * dropped and counted (NAT_DROP_FRAGMENT). Reassembly, if the data plane wants it, happens before
 * NAT. A first fragment carries the ports and is translated like a whole packet.
 *
 * TCP state is tracked only as far as timeouts need: a SYN from inside opens (transitory
 * timeout); a packet in each direction after it makes the session established; a FIN from both
 * sides or a RST in either direction closes it (transitory again); a new SYN from inside reopens.
 * A TCP flow that arrives without a SYN (a session that expired mid-connection) is picked up as
 * opening and becomes established once both directions are seen, as Linux's loose tracking does.
 * Sequence numbers are not checked, so a spoofed RST can shorten a session to the transitory
 * timeout, never remove it.
 *
 * Expiry never scans the whole table at once: a lookup that finds an expired session removes
 * it, and nat_expire() checks a bounded number of entries per call (the worker calls it once
 * per loop iteration).
 *
 * Capacity is fixed at creation, in one allocation from a caller-supplied allocator (the data
 * plane passes rte_zmalloc_socket): no allocation afterwards. A full table drops the new flow
 * (NAT_DROP_TABLE_FULL) and leaves existing sessions alone. Each session records an opaque peer
 * id; an instance holds at most ceil(sessions_per_peer / W) sessions of one peer (a peer's flows
 * are spread over the instances by their hash).
 *
 * The session tables are open-addressing hash tables with linear probing and backward-shift
 * deletion (no tombstones, so probe lengths do not grow with churn), at most half full, hashed
 * with SipHash-2-4 (libsodium crypto_shorthash) under a random per-instance key: remote hosts
 * choose addresses and ports, and must not be able to choose colliding ones.
 */
#ifndef EXITGATE_NAT_H
#define EXITGATE_NAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netaddr.h"

enum {
	NAT_MAX_SESSIONS = 1 << 24, /* per instance */
	NAT_PORT_TRIES = 256,       /* ports probed for a new session before giving up */
	NAT_EXPIRE_ON_FULL = 32,    /* entries nat_expire checks before a full table refuses */
	NAT_BURST_CHUNK = 32,       /* packets whose lookups a burst overlaps */
};

/*
 * Why a packet was not translated: one list for the enum, the counter names and their
 * descriptions. A packet is never modified unless the result is NAT_OK.
 */
#define NAT_DROP_REASONS(X) \
	X(NOT_NATTABLE, "nat_not_nattable", "protocol, ICMP type or IPv6 header not translated") \
	X(FAMILY_DISABLED, "nat_family_disabled", "no egress address for the address family") \
	X(FRAGMENT, "nat_fragment", "non-first fragment: no ports to match a session by") \
	X(MALFORMED, "nat_malformed", "lengths or header fields inconsistent or truncated") \
	X(NO_SESSION, "nat_no_session", "no session matches and the packet may not create one") \
	X(TABLE_FULL, "nat_table_full", "session table full") \
	X(PEER_LIMIT, "nat_peer_limit", "the peer holds its share of sessions") \
	X(PORTS_EXHAUSTED, "nat_ports_exhausted", "no free external port for that remote endpoint")

enum nat_result {
	NAT_OK,
#define NAT_DROP_ENUM(name, text, description) NAT_DROP_##name,
	NAT_DROP_REASONS(NAT_DROP_ENUM)
#undef NAT_DROP_ENUM
	NAT_RESULT_COUNT
};

/* Protocols sessions are counted by (ICMP covers ICMPv6). */
enum nat_protocol {
	NAT_PROTO_TCP,
	NAT_PROTO_UDP,
	NAT_PROTO_ICMP,
	NAT_PROTO_COUNT
};

enum nat_tcp_state {
	NAT_TCP_NONE,        /* not a TCP session */
	NAT_TCP_OPENING,     /* SYN seen, or picked up mid-stream: transitory timeout */
	NAT_TCP_ESTABLISHED, /* both directions seen since */
	NAT_TCP_CLOSING,     /* FIN from both sides or a RST: transitory timeout */
};

struct nat_timeouts {
	uint32_t tcp_established; /* seconds */
	uint32_t tcp_transitory;
	uint32_t udp;
	uint32_t icmp;
};

struct nat_config {
	uint16_t port_min; /* external ports and ICMP identifiers, whole node */
	uint16_t port_max;
	unsigned int worker;  /* this instance's index */
	unsigned int workers; /* W */
	struct netaddr egress_ipv4; /* family AF_INET, or 0: no NAT44 */
	struct netaddr egress_ipv6; /* family AF_INET6, or 0: no NAT66 */
	struct nat_timeouts timeouts;
	uint32_t sessions;          /* whole node; an instance holds ceil(sessions / W) */
	uint32_t sessions_per_peer; /* whole node; an instance allows ceil(sessions_per_peer / W) */
	const uint16_t *reserved_ports; /* never handed out (the listen port); copied */
	unsigned int reserved_port_count;
};

/* Where the instance's memory comes from: one block of at least size bytes aligned to align
 * (a power of two, 64). NULL to nat_create means aligned_alloc and free. */
struct nat_allocator {
	void *(*alloc)(size_t size, size_t align, void *ctx);
	void (*free)(void *memory, void *ctx);
	void *ctx;
};

struct nat;

/* Returns NULL (and logs why) for an invalid config or when the allocation fails. */
struct nat *nat_create(const struct nat_config *config, const struct nat_allocator *allocator);
void nat_destroy(struct nat *n);

/*
 * A packet from a peer to the internet; family is AF_INET or AF_INET6 and must match the IP
 * version. On NAT_OK the source address is the egress address and the source port (or echo
 * identifier) the session's external one; an ICMP error is rewritten as described above. The
 * packet ends at its IPv4 total length or IPv6 payload length; len may include padding after it.
 */
enum nat_result nat_outbound(struct nat *n, int family, uint8_t *ip, uint32_t len,
			     uint32_t peer_id, uint64_t now_ns);

/*
 * A packet from the internet to the egress address, on its owner's instance. On NAT_OK the
 * destination is the inner address and port again and *peer_id names the peer to send it to.
 * NAT_DROP_NO_SESSION leaves the packet untouched: a caller that shares the egress address with
 * the host may hand it to the kernel instead of dropping it.
 */
enum nat_result nat_inbound(struct nat *n, int family, uint8_t *ip, uint32_t len,
			    uint64_t now_ns, uint32_t *peer_id);

/*
 * The same for a burst, as a worker holds packets: each entry's result (and, inbound, peer_id)
 * is filled in; returns how many were translated. Faster than one call per packet when the
 * table is larger than the caches: the keys of up to NAT_BURST_CHUNK packets are hashed and
 * their table slots and sessions fetched from memory together, before any is used. Every
 * entry must have its own buffer; the outcome is the same as calling nat_outbound or
 * nat_inbound for each entry in order.
 */
struct nat_burst_packet {
	uint8_t *ip;
	uint32_t len;
	int family;
	uint32_t peer_id; /* outbound: the sending peer; inbound: set on NAT_OK */
	enum nat_result result;
};

unsigned int nat_outbound_burst(struct nat *n, struct nat_burst_packet *pkts, unsigned int count,
				uint64_t now_ns);
unsigned int nat_inbound_burst(struct nat *n, struct nat_burst_packet *pkts, unsigned int count,
			       uint64_t now_ns);

/* The worker that owns external port (or ICMP identifier) port; ports outside the range belong
 * to nobody (returns workers). */
static inline unsigned int
nat_port_owner(uint16_t port_min, uint16_t port_max, unsigned int workers, uint16_t port)
{
	if (port < port_min || port > port_max)
		return workers;
	return (unsigned int)(port - port_min) % workers;
}

/*
 * The worker whose instance must see this inbound packet: from its destination port, its echo
 * reply identifier or the source port/identifier quoted in an ICMP error. A packet that names no
 * owner (another protocol, a port outside the range, malformed) returns n's own worker index:
 * process it here, where it gets its drop reason. Reads n's configuration only, so any worker
 * may call it with its own instance.
 */
unsigned int nat_owner_of_packet(const struct nat *n, int family, const uint8_t *ip,
				 uint32_t len);

/* Check at most budget table entries (continuing where the last call stopped) and remove the
 * expired sessions; returns how many were removed. */
unsigned int nat_expire(struct nat *n, uint64_t now_ns, unsigned int budget);

/* One session as status output shows it. */
struct nat_session_info {
	uint8_t protocol;             /* IPPROTO_TCP, _UDP, _ICMP or _ICMPV6 */
	enum nat_tcp_state tcp_state;
	struct netendpoint inner;    /* the peer's side; port = echo identifier for ICMP */
	struct netendpoint external; /* egress address and external port or identifier */
	struct netendpoint remote;   /* port 0 for ICMP */
	uint32_t peer_id;
	uint64_t expires_ns;
};

/* Call visit for every session (expired ones not yet removed included) until it returns false;
 * returns how many were visited. */
unsigned int nat_walk(const struct nat *n,
		      bool (*visit)(const struct nat_session_info *session, void *ctx), void *ctx);

struct nat_stats {
	uint64_t outbound[NAT_RESULT_COUNT]; /* packets by result */
	uint64_t inbound[NAT_RESULT_COUNT];
	uint64_t sessions[NAT_PROTO_COUNT];  /* live now (expired ones not yet removed included) */
	uint64_t sessions_created;
	uint64_t sessions_expired;
	uint64_t sessions_replaced; /* an inner address that moved to another peer */
};

/* A snapshot of the counters; safe from any thread (single-writer counters, relaxed loads). */
void nat_stats_read(const struct nat *n, struct nat_stats *out);
/* Sessions in the table now; the owning thread's view (other threads: nat_stats sessions). */
uint32_t nat_session_count(const struct nat *n);
/* Fixed at creation, safe from any thread. */
uint32_t nat_capacity(const struct nat *n);     /* sessions this instance holds at most */
uint32_t nat_peer_limit(const struct nat *n);   /* sessions of one peer this instance allows */

const char *nat_result_name(enum nat_result result);
const char *nat_result_description(enum nat_result result);
const char *nat_protocol_name(enum nat_protocol protocol);
const char *nat_tcp_state_name(enum nat_tcp_state state);

#endif
