/* SPDX-License-Identifier: BSD-3-Clause */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "nat_test_util.h"

const struct tp_family tp_families[2] = {
	{AF_INET, INNER4, INNER4B, EGRESS4, REMOTE4, REMOTE4B, ROUTER4},
	{AF_INET6, INNER6, INNER6B, EGRESS6, REMOTE6, REMOTE6B, ROUTER6},
};

static const uint16_t reserved_listen_port[] = {41641};

struct nat_config
tp_config(unsigned int worker, unsigned int workers)
{
	struct nat_config c;

	memset(&c, 0, sizeof(c));
	c.port_min = 1024;
	c.port_max = 65535;
	c.worker = worker;
	c.workers = workers;
	tp_addr(EGRESS4, &c.egress_ipv4);
	tp_addr(EGRESS6, &c.egress_ipv6);
	c.timeouts.tcp_established = 7200;
	c.timeouts.tcp_transitory = 240;
	c.timeouts.udp = 120;
	c.timeouts.icmp = 30;
	c.sessions = 4096;
	c.sessions_per_peer = 4096;
	c.reserved_ports = reserved_listen_port;
	c.reserved_port_count = 1;
	return c;
}

bool
tp_is_v6(const char *addr)
{
	return strchr(addr, ':') != NULL;
}

void
tp_addr(const char *text, struct netaddr *out)
{
	memset(out, 0, sizeof(*out));
	if (tp_is_v6(text)) {
		out->family = AF_INET6;
		if (inet_pton(AF_INET6, text, out->bytes) == 1)
			return;
	} else {
		out->family = AF_INET;
		if (inet_pton(AF_INET, text, out->bytes) == 1)
			return;
	}
	fprintf(stderr, "test address %s does not parse\n", text);
	abort();
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

uint16_t
tp_checksum(const uint8_t *data, size_t len, uint32_t sum)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += get16(data + i);
	if (len & 1)
		sum += (uint32_t)data[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* The sum of the pseudo-header (RFC 768/793 for IPv4, RFC 8200 8.1 for IPv6). */
static uint32_t
pseudo_sum(const uint8_t *ip, uint8_t proto, size_t l4_len)
{
	uint32_t sum = 0;
	unsigned int i;

	if ((ip[0] >> 4) == 4) {
		for (i = 12; i < 20; i += 2)
			sum += get16(ip + i);
	} else {
		for (i = 8; i < 40; i += 2)
			sum += get16(ip + i);
	}
	sum += proto;
	sum += (uint32_t)(l4_len >> 16) + (uint32_t)(l4_len & 0xffff);
	return sum;
}

static unsigned int
checksum_offset(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_TCP:
		return 16;
	case IPPROTO_UDP:
		return 6;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		return 2;
	default:
		return 0;
	}
}

static void
ipv4_header_checksum(uint8_t *ip)
{
	unsigned int hlen = (ip[0] & 0xfu) * 4u;

	put16(ip + 10, 0);
	put16(ip + 10, tp_checksum(ip, hlen, 0));
}

/* Fill the transport checksum of l4 (l4_len bytes) inside the packet at ip. */
static void
l4_checksum(uint8_t *ip, uint8_t *l4, uint8_t proto, size_t l4_len)
{
	unsigned int off = checksum_offset(proto);
	uint16_t sum;

	if (off == 0 || l4_len < off + 2)
		return;
	put16(l4 + off, 0);
	if (proto == IPPROTO_ICMP)
		sum = tp_checksum(l4, l4_len, 0);
	else
		sum = tp_checksum(l4, l4_len, pseudo_sum(ip, proto, l4_len));
	if (proto == IPPROTO_UDP && sum == 0)
		sum = 0xffff;
	put16(l4 + off, sum);
}

size_t
tp_ip(uint8_t *buf, const char *src, const char *dst, uint8_t proto, const uint8_t *l4,
      size_t l4_len)
{
	struct netaddr s, d;
	size_t hlen;

	tp_addr(src, &s);
	tp_addr(dst, &d);
	if (s.family == AF_INET) {
		hlen = 20;
		memset(buf, 0, hlen);
		buf[0] = 0x45;
		put16(buf + 2, (uint16_t)(hlen + l4_len));
		put16(buf + 4, 0x4242);
		buf[8] = TP_TTL;
		buf[9] = proto;
		memcpy(buf + 12, s.bytes, 4);
		memcpy(buf + 16, d.bytes, 4);
		ipv4_header_checksum(buf);
	} else {
		hlen = 40;
		memset(buf, 0, hlen);
		buf[0] = 0x60;
		buf[1] = 0x01;
		put16(buf + 2, 0x2345);
		put16(buf + 4, (uint16_t)l4_len);
		buf[6] = proto;
		buf[7] = TP_TTL;
		memcpy(buf + 8, s.bytes, 16);
		memcpy(buf + 24, d.bytes, 16);
	}
	memmove(buf + hlen, l4, l4_len);
	l4_checksum(buf, buf + hlen, proto, l4_len);
	return hlen + l4_len;
}

static void
fill_payload(uint8_t *to, const uint8_t *payload, size_t len)
{
	size_t i;

	if (payload != NULL) {
		memcpy(to, payload, len);
		return;
	}
	for (i = 0; i < len; i++)
		to[i] = (uint8_t)(i * 7 + 3);
}

size_t
tp_udp(uint8_t *buf, const char *src, uint16_t sport, const char *dst, uint16_t dport,
       const uint8_t *payload, size_t payload_len, bool no_checksum)
{
	uint8_t l4[TP_MAX];
	size_t len;

	put16(l4, sport);
	put16(l4 + 2, dport);
	put16(l4 + 4, (uint16_t)(8 + payload_len));
	put16(l4 + 6, 0);
	fill_payload(l4 + 8, payload, payload_len);
	len = tp_ip(buf, src, dst, IPPROTO_UDP, l4, 8 + payload_len);
	if (no_checksum)
		put16(buf + len - payload_len - 2, 0);
	return len;
}

size_t
tp_tcp(uint8_t *buf, const char *src, uint16_t sport, const char *dst, uint16_t dport,
       uint8_t flags, const uint8_t *payload, size_t payload_len)
{
	uint8_t l4[TP_MAX];

	memset(l4, 0, 20);
	put16(l4, sport);
	put16(l4 + 2, dport);
	put16(l4 + 4, 0x1111);
	put16(l4 + 6, 0x2222); /* sequence number */
	put16(l4 + 8, flags & TCP_ACK ? 0x3333 : 0);
	put16(l4 + 10, flags & TCP_ACK ? 0x4444 : 0);
	l4[12] = 5 << 4;
	l4[13] = flags;
	put16(l4 + 14, 64240); /* window */
	fill_payload(l4 + 20, payload, payload_len);
	return tp_ip(buf, src, dst, IPPROTO_TCP, l4, 20 + payload_len);
}

size_t
tp_icmp(uint8_t *buf, const char *src, const char *dst, uint8_t type, uint8_t code,
	uint32_t rest, const uint8_t *body, size_t body_len)
{
	uint8_t l4[TP_MAX];

	l4[0] = type;
	l4[1] = code;
	put16(l4 + 2, 0);
	put16(l4 + 4, (uint16_t)(rest >> 16));
	put16(l4 + 6, (uint16_t)rest);
	if (body_len > 0)
		memcpy(l4 + 8, body, body_len);
	return tp_ip(buf, src, dst, tp_is_v6(src) ? IPPROTO_ICMPV6 : IPPROTO_ICMP, l4,
		     8 + body_len);
}

size_t
tp_echo(uint8_t *buf, const char *src, const char *dst, bool request, uint16_t id,
	uint16_t seq, size_t payload_len)
{
	uint8_t body[TP_MAX];
	uint8_t type;

	if (tp_is_v6(src))
		type = request ? 128 : 129;
	else
		type = request ? 8 : 0;
	fill_payload(body, NULL, payload_len);
	return tp_icmp(buf, src, dst, type, 0, (uint32_t)id << 16 | seq, body, payload_len);
}

void
tp_set_ttl(uint8_t *ip, uint8_t ttl)
{
	if ((ip[0] >> 4) == 6) {
		ip[7] = ttl;
		return;
	}
	ip[8] = ttl;
	ipv4_header_checksum(ip);
}

void
tp_set_df(uint8_t *ip)
{
	ip[6] |= 0x40;
	ipv4_header_checksum(ip);
}

void
tp_set_fragment(uint8_t *ip, uint16_t offset8, bool more)
{
	put16(ip + 6, (uint16_t)((get16(ip + 6) & 0x4000) | (more ? 0x2000 : 0) | offset8));
	ipv4_header_checksum(ip);
}

void
tp_set_length(uint8_t *ip, size_t len)
{
	if ((ip[0] >> 4) == 6) {
		put16(ip + 4, (uint16_t)(len - 40));
		return;
	}
	put16(ip + 2, (uint16_t)len);
	ipv4_header_checksum(ip);
}

size_t
tp_insert_ext(uint8_t *ip, size_t len, uint8_t type, const uint8_t *ext, size_t ext_len)
{
	memmove(ip + 40 + ext_len, ip + 40, len - 40);
	memcpy(ip + 40, ext, ext_len);
	ip[40] = ip[6];
	ip[6] = type;
	put16(ip + 4, (uint16_t)(get16(ip + 4) + ext_len));
	return len + ext_len;
}

/* The upper layer of an IPv6 packet: skip hop-by-hop, routing, fragment and destination
 * options headers. Returns its offset or 0; *fragment tells a non-first fragment. */
static size_t
ipv6_upper(const uint8_t *ip, size_t len, uint8_t *proto, bool *fragment)
{
	size_t off = 40;
	uint8_t next = ip[6];

	*fragment = false;
	for (;;) {
		if (next == 0 || next == 43 || next == 60) {
			if (off + 8 > len)
				return 0;
			next = ip[off];
			off += ((size_t)ip[off + 1] + 1) * 8;
		} else if (next == 44) {
			if (off + 8 > len)
				return 0;
			if (get16(ip + off + 2) & 0xfff8)
				*fragment = true;
			next = ip[off];
			off += 8;
		} else {
			*proto = next;
			return off <= len ? off : 0;
		}
	}
}

const uint8_t *
tp_l4(const uint8_t *ip, size_t len, uint8_t *proto)
{
	bool fragment;
	size_t off;

	if ((ip[0] >> 4) == 4) {
		*proto = ip[9];
		return ip + (ip[0] & 0xfu) * 4u;
	}
	off = ipv6_upper(ip, len, proto, &fragment);
	return off == 0 ? NULL : ip + off;
}

uint16_t
tp_sport(const uint8_t *ip)
{
	uint8_t proto;

	return get16(tp_l4(ip, TP_MAX, &proto));
}

uint16_t
tp_dport(const uint8_t *ip)
{
	uint8_t proto;

	return get16(tp_l4(ip, TP_MAX, &proto) + 2);
}

uint16_t
tp_echo_id(const uint8_t *ip)
{
	uint8_t proto;

	return get16(tp_l4(ip, TP_MAX, &proto) + 4);
}

bool
tp_checksums_ok(const uint8_t *ip, size_t len)
{
	const uint8_t *l4;
	size_t end, l4_len;
	unsigned int off;
	uint8_t proto;
	bool fragment;

	if (len < 20)
		return false;
	if ((ip[0] >> 4) == 4) {
		size_t hlen = (ip[0] & 0xfu) * 4u;

		end = get16(ip + 2);
		if (hlen < 20 || end < hlen || end > len || tp_checksum(ip, hlen, 0) != 0)
			return false;
		if (get16(ip + 6) & 0x3fff)
			return true; /* a fragment: the transport checksum covers the datagram */
		proto = ip[9];
		l4 = ip + hlen;
		l4_len = end - hlen;
	} else {
		size_t upper;

		if (len < 40)
			return false;
		end = 40 + (size_t)get16(ip + 4);
		if (end > len)
			return false;
		upper = ipv6_upper(ip, end, &proto, &fragment);
		if (upper == 0)
			return false;
		if (fragment)
			return true;
		l4 = ip + upper;
		l4_len = end - upper;
	}
	off = checksum_offset(proto);
	if (off == 0)
		return true;
	if (l4_len < off + 2)
		return false;
	if (proto == IPPROTO_UDP && get16(l4 + 6) == 0)
		return (ip[0] >> 4) == 4;
	if (proto == IPPROTO_ICMP)
		return tp_checksum(l4, l4_len, 0) == 0;
	return tp_checksum(l4, l4_len, pseudo_sum(ip, proto, l4_len)) == 0;
}
