/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-worker counters. Each worker owns its struct and is the only writer; the control plane
 * reads them for `exitgatectl stats` and `wg show`. Single-writer counters need no atomic
 * read-modify-write: the owner adds with a relaxed store, readers use relaxed loads, so a reader
 * never sees a torn value and the worker never pays for a locked instruction.
 *
 * Every drop has a named reason, listed once here; the names are what stats print.
 */
#ifndef EXITGATE_DATAPLANE_COUNTERS_H
#define EXITGATE_DATAPLANE_COUNTERS_H

#include <stdint.h>

#include <rte_common.h>

#define DROP_REASONS(X) \
	X(not_for_us, "Ethernet destination is neither ours nor broadcast/multicast") \
	X(runt, "frame shorter than its headers") \
	X(bad_l3_header, "IPv4/IPv6 header invalid (version, length, options)") \
	X(bad_ip_checksum, "IPv4 header checksum wrong") \
	X(bad_l4_checksum, "UDP/TCP/ICMP checksum wrong") \
	X(ttl_exceeded, "TTL or hop limit ran out") \
	X(fragment, "fragment where the data plane needs a whole packet") \
	X(unknown_ethertype, "neither ARP, IPv4 nor IPv6") \
	X(bad_arp, "ARP malformed or not Ethernet/IPv4") \
	X(bad_nd, "neighbour discovery malformed") \
	X(no_route, "no port, peer or gateway for the destination") \
	X(no_neighbour, "next hop unresolved and its waiting queue is full") \
	X(wg_bad_type, "UDP payload on the listen port is not a WireGuard, STUN or disco message") \
	X(wg_bad_length, "WireGuard message of a wrong length") \
	X(wg_unknown_index, "transport message for a receiver index we do not have") \
	X(wg_expired_keypair, "transport message on a keypair past its reject limits") \
	X(wg_replay, "transport counter already seen or too old") \
	X(wg_replay_contended, "another worker held the keypair's replay window") \
	X(wg_bad_tag, "transport message failed authentication") \
	X(wg_allowed_ips_source, "decrypted packet's source outside the peer's allowed IPs") \
	X(wg_bad_inner, "decrypted payload is not a valid IPv4/IPv6 packet") \
	X(wg_no_keypair, "no usable keypair and the handshake queue is full") \
	X(handshake_queue_full, "handshake ring to the control plane full") \
	X(control_queue_full, "ring to the control plane full") \
	X(tx_full, "NIC transmit queue refused the packet") \
	X(tap_full, "kernel TAP refused the packet") \
	X(no_kernel_tap, "traffic for the node itself, and the port has no kernel TAP") \
	X(too_big, "packet larger than the MTU and not fragmentable") \
	X(no_mbuf, "packet pool empty") \
	X(unsupported, "feature not handled by the data plane") \
	X(acl_denied, "the tailnet's packet filter does not let the peer send it there")

enum drop_reason {
#define DROP_REASON_ENUM(name, text) DROP_##name,
	DROP_REASONS(DROP_REASON_ENUM)
#undef DROP_REASON_ENUM
	DROP_REASON_COUNT
};

/* What the workers count besides drops. */
#define WORKER_COUNTERS(X) \
	X(rx_packets) \
	X(rx_bytes) \
	X(tx_packets) \
	X(tx_bytes) \
	X(wg_rx_data) \
	X(wg_rx_keepalive) \
	X(wg_rx_handshake) \
	X(wg_tx_data) \
	X(wg_decrypted_bytes) \
	X(wg_encrypted_bytes) \
	X(wg_tx_relay) \
	X(wg_tx_both) \
	X(relay_copy_no_mbuf) \
	X(stun_rx) \
	X(disco_rx) \
	X(arp_replies_sent) \
	X(nd_adverts_sent) \
	X(icmp_echo_replies) \
	X(to_kernel) \
	X(from_kernel) \
	X(to_control) \
	X(from_control) \
	X(idle_sleeps)

enum worker_counter {
#define WORKER_COUNTER_ENUM(name) WC_##name,
	WORKER_COUNTERS(WORKER_COUNTER_ENUM)
#undef WORKER_COUNTER_ENUM
	WORKER_COUNTER_COUNT
};

struct worker_counters {
	uint64_t value[WORKER_COUNTER_COUNT];
	uint64_t drop[DROP_REASON_COUNT];
} __rte_cache_aligned;

static inline void
counter_add(uint64_t *counter, uint64_t n)
{
	__atomic_store_n(counter, *counter + n, __ATOMIC_RELAXED);
}

static inline uint64_t
counter_read(const uint64_t *counter)
{
	return __atomic_load_n(counter, __ATOMIC_RELAXED);
}

static inline void
worker_count(struct worker_counters *c, enum worker_counter which, uint64_t n)
{
	counter_add(&c->value[which], n);
}

static inline void
worker_count_drop(struct worker_counters *c, enum drop_reason reason)
{
	counter_add(&c->drop[reason], 1);
}

const char *drop_reason_name(enum drop_reason reason);
const char *drop_reason_text(enum drop_reason reason);
const char *worker_counter_name(enum worker_counter which);

#endif
