/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packets for the NAT tests, built and checked from scratch: every checksum here is computed
 * over the whole header and payload, independently of the incremental updates under test, so a
 * translated packet can be compared byte for byte with one built directly. Shared by the unit
 * tests and the fuzz target. Addresses are text; a ':' means IPv6.
 */
#ifndef EXITGATE_NAT_TEST_UTIL_H
#define EXITGATE_NAT_TEST_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nat.h"

enum {
	TP_MAX = 2048,
	TP_TTL = 64,
	TCP_FIN = 0x01,
	TCP_SYN = 0x02,
	TCP_RST = 0x04,
	TCP_PSH = 0x08,
	TCP_ACK = 0x10,
};

/* The addresses every test uses. */
#define INNER4 "100.64.0.2"
#define INNER4B "100.64.0.3"
#define EGRESS4 "203.0.113.1"
#define REMOTE4 "198.51.100.7"
#define REMOTE4B "198.51.100.8"
#define ROUTER4 "192.0.2.254"
#define INNER6 "fd7a:115c:a1e0::2"
#define INNER6B "fd7a:115c:a1e0::3"
#define EGRESS6 "2001:db8:ffff::1"
#define REMOTE6 "2001:db8:1234::7"
#define REMOTE6B "2001:db8:1234::8"
#define ROUTER6 "2001:db8:9999::fe"

#define SECOND_NS 1000000000ULL
#define T0 (1000 * SECOND_NS)

/* One address family's cast, so that tests run over both. */
struct tp_family {
	int family; /* AF_INET or AF_INET6 */
	const char *inner, *inner_b, *egress, *remote, *remote_b, *router;
};
extern const struct tp_family tp_families[2];

/* The default config: worker of workers, ports 1024-65535, 41641 reserved, both egress
 * addresses, default timeouts, 4096 sessions and 4096 per peer for the whole node. */
struct nat_config tp_config(unsigned int worker, unsigned int workers);

void tp_addr(const char *text, struct netaddr *out);
bool tp_is_v6(const char *addr);

/* Builders write into buf (TP_MAX bytes) and return the packet length. payload NULL means a
 * fixed pattern of payload_len bytes. IPv4: identification 0x4242, no flags, TTL 64; IPv6: flow
 * label 0x12345, hop limit 64. */
size_t tp_udp(uint8_t *buf, const char *src, uint16_t sport, const char *dst, uint16_t dport,
	      const uint8_t *payload, size_t payload_len, bool no_checksum);
size_t tp_tcp(uint8_t *buf, const char *src, uint16_t sport, const char *dst, uint16_t dport,
	      uint8_t flags, const uint8_t *payload, size_t payload_len);
size_t tp_echo(uint8_t *buf, const char *src, const char *dst, bool request, uint16_t id,
	       uint16_t seq, size_t payload_len);
/* An ICMP/ICMPv6 message of any type: 4 bytes of rest-of-header (identifier and sequence,
 * MTU, pointer) in host order, then body. */
size_t tp_icmp(uint8_t *buf, const char *src, const char *dst, uint8_t type, uint8_t code,
	       uint32_t rest, const uint8_t *body, size_t body_len);
/* Any protocol over IP, checksummed if TCP, UDP or ICMP. */
size_t tp_ip(uint8_t *buf, const char *src, const char *dst, uint8_t proto, const uint8_t *l4,
	     size_t l4_len);

/* Header edits, each fixing the IPv4 header checksum. */
void tp_set_ttl(uint8_t *ip, uint8_t ttl);
void tp_set_df(uint8_t *ip);
void tp_set_fragment(uint8_t *ip, uint16_t offset8, bool more);
/* Shorten an IPv4/IPv6 packet to len bytes, fixing its length field (and IPv4 checksum). */
void tp_set_length(uint8_t *ip, size_t len);
/* Insert an IPv6 extension header (ext[0], its next header, is filled in) after the fixed
 * header; returns the new length. */
size_t tp_insert_ext(uint8_t *ip, size_t len, uint8_t type, const uint8_t *ext, size_t ext_len);

/* The transport header of a packet built here (IPv4 options or IPv6 extensions skipped). */
const uint8_t *tp_l4(const uint8_t *ip, size_t len, uint8_t *proto);
uint16_t tp_sport(const uint8_t *ip);
uint16_t tp_dport(const uint8_t *ip);
uint16_t tp_echo_id(const uint8_t *ip);

/* Internet checksum from scratch (RFC 1071). */
uint16_t tp_checksum(const uint8_t *data, size_t len, uint32_t sum);
/* Every checksum of the packet verifies (the IPv4 header, TCP/UDP/ICMP/ICMPv6 over the whole
 * datagram; a zero UDP checksum over IPv4 counts as valid). Non-first fragments: header only. */
bool tp_checksums_ok(const uint8_t *ip, size_t len);

#endif
