/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAT44 and NAT66 translation of TCP, UDP and ICMP echo, out and back. Every translated packet
 * is compared byte for byte with the same packet built from scratch (checksums computed over
 * everything), and its checksums are verified from scratch too.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "nat.h"
#include "nat_test_util.h"

enum {
	PEER_A = 7,
	PEER_B = 9,
};

static struct nat *
make_nat(unsigned int worker, unsigned int workers)
{
	struct nat_config c = tp_config(worker, workers);
	struct nat *n = nat_create(&c, NULL);

	assert_non_null(n);
	return n;
}

static void
assert_packet(const uint8_t *got, const uint8_t *want, size_t len)
{
	assert_true(tp_checksums_ok(want, len));
	assert_memory_equal(got, want, len);
	assert_true(tp_checksums_ok(got, len));
}

static void
test_udp_out_and_back(void **state)
{
	unsigned int i;

	(void)state;
	for (i = 0; i < 2; i++) {
		const struct tp_family *f = &tp_families[i];
		struct nat *n = make_nat(0, 1);
		uint8_t pkt[TP_MAX], want[TP_MAX];
		uint32_t peer = 0;
		size_t len;

		len = tp_udp(pkt, f->inner, 40000, f->remote, 53, NULL, 33, false);
		assert_int_equal(nat_outbound(n, f->family, pkt, len, PEER_A, T0), NAT_OK);
		assert_int_equal(tp_udp(want, f->egress, 40000, f->remote, 53, NULL, 33, false),
				 len);
		assert_packet(pkt, want, len);

		len = tp_udp(pkt, f->remote, 53, f->egress, 40000, NULL, 301, false);
		assert_int_equal(nat_inbound(n, f->family, pkt, len, T0 + 1, &peer), NAT_OK);
		assert_int_equal(peer, PEER_A);
		tp_udp(want, f->remote, 53, f->inner, 40000, NULL, 301, false);
		assert_packet(pkt, want, len);

		/* the same flow again uses the same session */
		len = tp_udp(pkt, f->inner, 40000, f->remote, 53, NULL, 1400, false);
		assert_int_equal(nat_outbound(n, f->family, pkt, len, PEER_A, T0 + 2), NAT_OK);
		tp_udp(want, f->egress, 40000, f->remote, 53, NULL, 1400, false);
		assert_packet(pkt, want, len);
		assert_int_equal(nat_session_count(n), 1);
		nat_destroy(n);
	}
}

static void
test_udp_port_outside_range(void **state)
{
	unsigned int i;

	(void)state;
	for (i = 0; i < 2; i++) {
		const struct tp_family *f = &tp_families[i];
		struct nat *n = make_nat(0, 1);
		uint8_t pkt[TP_MAX], want[TP_MAX];
		uint32_t peer = 0;
		uint16_t ext;
		size_t len;

		/* source port 53 is below the range: a port from the range replaces it */
		len = tp_udp(pkt, f->inner, 53, f->remote, 53, NULL, 20, false);
		assert_int_equal(nat_outbound(n, f->family, pkt, len, PEER_A, T0), NAT_OK);
		ext = tp_sport(pkt);
		assert_true(ext >= 1024);
		assert_int_not_equal(ext, 41641);
		tp_udp(want, f->egress, ext, f->remote, 53, NULL, 20, false);
		assert_packet(pkt, want, len);

		len = tp_udp(pkt, f->remote, 53, f->egress, ext, NULL, 20, false);
		assert_int_equal(nat_inbound(n, f->family, pkt, len, T0, &peer), NAT_OK);
		tp_udp(want, f->remote, 53, f->inner, 53, NULL, 20, false);
		assert_packet(pkt, want, len);
		assert_int_equal(peer, PEER_A);
		nat_destroy(n);
	}
}

static void
test_tcp_out_and_back(void **state)
{
	static const struct {
		bool out;
		uint8_t flags;
		size_t payload;
	} steps[] = {
		{true, TCP_SYN, 0},
		{false, TCP_SYN | TCP_ACK, 0},
		{true, TCP_ACK, 0},
		{true, TCP_ACK | TCP_PSH, 517},
		{false, TCP_ACK, 1380},
		{false, TCP_ACK | TCP_FIN, 0},
		{true, TCP_ACK | TCP_FIN, 0},
		{false, TCP_ACK, 0},
	};
	unsigned int i, j;

	(void)state;
	for (i = 0; i < 2; i++) {
		const struct tp_family *f = &tp_families[i];
		struct nat *n = make_nat(0, 1);
		uint8_t pkt[TP_MAX], want[TP_MAX];
		size_t len;

		for (j = 0; j < sizeof(steps) / sizeof(steps[0]); j++) {
			uint32_t peer = 0;

			if (steps[j].out) {
				len = tp_tcp(pkt, f->inner, 51000, f->remote, 443, steps[j].flags,
					     NULL, steps[j].payload);
				assert_int_equal(nat_outbound(n, f->family, pkt, len, PEER_B,
							      T0 + j), NAT_OK);
				tp_tcp(want, f->egress, 51000, f->remote, 443, steps[j].flags, NULL,
				       steps[j].payload);
			} else {
				len = tp_tcp(pkt, f->remote, 443, f->egress, 51000, steps[j].flags,
					     NULL, steps[j].payload);
				assert_int_equal(nat_inbound(n, f->family, pkt, len, T0 + j, &peer),
						 NAT_OK);
				assert_int_equal(peer, PEER_B);
				tp_tcp(want, f->remote, 443, f->inner, 51000, steps[j].flags, NULL,
				       steps[j].payload);
			}
			assert_packet(pkt, want, len);
		}
		assert_int_equal(nat_session_count(n), 1);
		nat_destroy(n);
	}
}

static void
test_icmp_echo_out_and_back(void **state)
{
	unsigned int i;

	(void)state;
	for (i = 0; i < 2; i++) {
		const struct tp_family *f = &tp_families[i];
		struct nat *n = make_nat(0, 1);
		uint8_t pkt[TP_MAX], want[TP_MAX];
		uint32_t peer = 0;
		uint16_t ext;
		size_t len;

		/* identifier 0x1234 lies in the range and is kept */
		len = tp_echo(pkt, f->inner, f->remote, true, 0x1234, 1, 56);
		assert_int_equal(nat_outbound(n, f->family, pkt, len, PEER_A, T0), NAT_OK);
		tp_echo(want, f->egress, f->remote, true, 0x1234, 1, 56);
		assert_packet(pkt, want, len);
		len = tp_echo(pkt, f->remote, f->egress, false, 0x1234, 1, 56);
		assert_int_equal(nat_inbound(n, f->family, pkt, len, T0, &peer), NAT_OK);
		tp_echo(want, f->remote, f->inner, false, 0x1234, 1, 56);
		assert_packet(pkt, want, len);
		assert_int_equal(peer, PEER_A);

		/* identifier 3 does not: it is replaced, and restored on the reply */
		len = tp_echo(pkt, f->inner, f->remote, true, 3, 9, 1372);
		assert_int_equal(nat_outbound(n, f->family, pkt, len, PEER_A, T0), NAT_OK);
		ext = tp_echo_id(pkt);
		assert_true(ext >= 1024);
		tp_echo(want, f->egress, f->remote, true, ext, 9, 1372);
		assert_packet(pkt, want, len);
		len = tp_echo(pkt, f->remote, f->egress, false, ext, 9, 1372);
		assert_int_equal(nat_inbound(n, f->family, pkt, len, T0, &peer), NAT_OK);
		tp_echo(want, f->remote, f->inner, false, 3, 9, 1372);
		assert_packet(pkt, want, len);
		assert_int_equal(nat_session_count(n), 2);
		nat_destroy(n);
	}
}

static void
test_udp_zero_checksum_stays_zero(void **state)
{
	unsigned int i;

	(void)state;
	for (i = 0; i < 2; i++) {
		const struct tp_family *f = &tp_families[i];
		struct nat *n = make_nat(0, 1);
		uint8_t pkt[TP_MAX], want[TP_MAX];
		uint32_t peer;
		size_t len;

		len = tp_udp(pkt, f->inner, 3000, f->remote, 4000, NULL, 10, true);
		assert_int_equal(nat_outbound(n, f->family, pkt, len, PEER_A, T0), NAT_OK);
		tp_udp(want, f->egress, 3000, f->remote, 4000, NULL, 10, true);
		assert_memory_equal(pkt, want, len);
		len = tp_udp(pkt, f->remote, 4000, f->egress, 3000, NULL, 10, true);
		assert_int_equal(nat_inbound(n, f->family, pkt, len, T0, &peer), NAT_OK);
		tp_udp(want, f->remote, 4000, f->inner, 3000, NULL, 10, true);
		assert_memory_equal(pkt, want, len);
		nat_destroy(n);
	}
}

/* A UDP checksum that comes out as zero is sent as 0xffff: find a payload for which the
 * translated packet's checksum is zero, and check the update gives what RFC 768 says. */
static void
test_udp_checksum_zero_sent_as_ones(void **state)
{
	unsigned int i;

	(void)state;
	for (i = 0; i < 2; i++) {
		const struct tp_family *f = &tp_families[i];
		struct nat *n = make_nat(0, 1);
		uint8_t pkt[TP_MAX], want[TP_MAX], payload[2];
		size_t len = 0, l4_off = i == 0 ? 20 : 40;
		uint32_t word;

		for (word = 0; word <= 0xffff; word++) {
			payload[0] = (uint8_t)(word >> 8);
			payload[1] = (uint8_t)word;
			len = tp_udp(want, f->egress, 5555, f->remote, 53, payload, 2, false);
			if (want[l4_off + 6] == 0xff && want[l4_off + 7] == 0xff)
				break;
		}
		assert_true(word <= 0xffff);
		tp_udp(pkt, f->inner, 5555, f->remote, 53, payload, 2, false);
		assert_int_equal(nat_outbound(n, f->family, pkt, len, PEER_A, T0), NAT_OK);
		assert_packet(pkt, want, len);
		nat_destroy(n);
	}
}

/* Give an IPv4 packet 4 bytes of options (NOP, NOP, NOP, EOL); returns the new length. The
 * transport checksum does not cover them. */
static size_t
add_ipv4_options(uint8_t *ip, size_t len)
{
	memmove(ip + 24, ip + 20, len - 20);
	memcpy(ip + 20, "\x01\x01\x01\x00", 4);
	ip[0] = 0x46;
	tp_set_length(ip, len + 4);
	return len + 4;
}

static void
test_ipv4_options_and_first_fragment(void **state)
{
	struct nat *n = make_nat(0, 1);
	uint8_t pkt[TP_MAX], want[TP_MAX];
	uint32_t peer;
	size_t len;

	(void)state;
	/* a first fragment carries the ports: translated like a whole packet */
	len = tp_udp(pkt, INNER4, 7000, REMOTE4, 7001, NULL, 200, false);
	tp_set_fragment(pkt, 0, true);
	assert_int_equal(nat_outbound(n, AF_INET, pkt, len, PEER_A, T0), NAT_OK);
	tp_udp(want, EGRESS4, 7000, REMOTE4, 7001, NULL, 200, false);
	tp_set_fragment(want, 0, true);
	assert_packet(pkt, want, len);

	/* IPv4 options move the transport header */
	len = add_ipv4_options(pkt, tp_tcp(pkt, INNER4, 7002, REMOTE4, 80, TCP_SYN, NULL, 0));
	assert_int_equal(nat_outbound(n, AF_INET, pkt, len, PEER_A, T0), NAT_OK);
	add_ipv4_options(want, tp_tcp(want, EGRESS4, 7002, REMOTE4, 80, TCP_SYN, NULL, 0));
	assert_packet(pkt, want, len);
	len = add_ipv4_options(pkt, tp_tcp(pkt, REMOTE4, 80, EGRESS4, 7002, TCP_SYN | TCP_ACK,
					   NULL, 0));
	assert_int_equal(nat_inbound(n, AF_INET, pkt, len, T0, &peer), NAT_OK);
	add_ipv4_options(want, tp_tcp(want, REMOTE4, 80, INNER4, 7002, TCP_SYN | TCP_ACK, NULL, 0));
	assert_packet(pkt, want, len);
	nat_destroy(n);
}

static void
test_ipv6_extension_headers(void **state)
{
	static const uint8_t pad8[8] = {0, 0, 1, 4, 0, 0, 0, 0}; /* next, length 0, PadN(4) */
	static const uint8_t first_fragment[8] = {0, 0, 0, 1, 0xde, 0xad, 0xbe, 0xef};
	struct nat *n = make_nat(0, 1);
	uint8_t pkt[TP_MAX], want[TP_MAX];
	uint32_t peer;
	size_t len, wlen;

	(void)state;
	/* hop-by-hop and destination options before UDP */
	len = tp_udp(pkt, INNER6, 9000, REMOTE6, 9001, NULL, 64, false);
	len = tp_insert_ext(pkt, len, 60, pad8, 8);
	len = tp_insert_ext(pkt, len, 0, pad8, 8);
	assert_int_equal(nat_outbound(n, AF_INET6, pkt, len, PEER_A, T0), NAT_OK);
	wlen = tp_udp(want, EGRESS6, 9000, REMOTE6, 9001, NULL, 64, false);
	wlen = tp_insert_ext(want, wlen, 60, pad8, 8);
	wlen = tp_insert_ext(want, wlen, 0, pad8, 8);
	assert_int_equal(wlen, len);
	assert_packet(pkt, want, len);

	/* a first fragment (offset 0, more fragments) before TCP, and back in */
	len = tp_tcp(pkt, INNER6, 9002, REMOTE6, 22, TCP_SYN, NULL, 0);
	len = tp_insert_ext(pkt, len, 44, first_fragment, 8);
	assert_int_equal(nat_outbound(n, AF_INET6, pkt, len, PEER_A, T0), NAT_OK);
	wlen = tp_tcp(want, EGRESS6, 9002, REMOTE6, 22, TCP_SYN, NULL, 0);
	wlen = tp_insert_ext(want, wlen, 44, first_fragment, 8);
	assert_packet(pkt, want, len);

	len = tp_tcp(pkt, REMOTE6, 22, EGRESS6, 9002, TCP_SYN | TCP_ACK, NULL, 0);
	len = tp_insert_ext(pkt, len, 60, pad8, 8);
	assert_int_equal(nat_inbound(n, AF_INET6, pkt, len, T0, &peer), NAT_OK);
	wlen = tp_tcp(want, REMOTE6, 22, INNER6, 9002, TCP_SYN | TCP_ACK, NULL, 0);
	wlen = tp_insert_ext(want, wlen, 60, pad8, 8);
	assert_packet(pkt, want, len);
	nat_destroy(n);
}

static void
test_not_translated(void **state)
{
	static const uint8_t gre[8] = {0, 0, 0x08, 0x00};
	static const uint8_t segments_left[8] = {0, 0, 0, 1};
	static const uint8_t ah[16] = {0, 2};
	static const uint8_t later_fragment[8] = {0, 0, 0x05, 0x01, 1, 2, 3, 4};
	static const uint8_t zeros[16];
	struct nat *n = make_nat(0, 1);
	uint8_t pkt[TP_MAX], copy[TP_MAX];
	uint32_t peer = 12345;
	size_t len;
	struct {
		const char *what;
		int family;
		size_t len;
		enum nat_result out, in;
		uint8_t pkt[TP_MAX];
	} *c, cases[12];
	unsigned int i, count = 0;

	(void)state;
	memset(cases, 0, sizeof(cases));
#define CASE(text, fam, o, i_)                                                                 \
	do {                                                                                   \
		c = &cases[count++];                                                           \
		c->what = text;                                                                \
		c->family = fam;                                                               \
		c->out = o;                                                                    \
		c->in = i_;                                                                    \
	} while (0)
	CASE("gre", AF_INET, NAT_DROP_NOT_NATTABLE, NAT_DROP_NOT_NATTABLE);
	c->len = tp_ip(c->pkt, INNER4, EGRESS4, 47, gre, sizeof(gre));
	CASE("icmp timestamp", AF_INET, NAT_DROP_NOT_NATTABLE, NAT_DROP_NOT_NATTABLE);
	c->len = tp_icmp(c->pkt, INNER4, EGRESS4, 13, 0, 0, zeros, 12);
	CASE("neighbour solicitation", AF_INET6, NAT_DROP_NOT_NATTABLE, NAT_DROP_NOT_NATTABLE);
	c->len = tp_icmp(c->pkt, INNER6, EGRESS6, 135, 0, 0, zeros, 16);
	CASE("echo request inbound", AF_INET6, NAT_OK, NAT_DROP_NOT_NATTABLE);
	c->len = tp_echo(c->pkt, INNER6, EGRESS6, true, 2000, 1, 8);
	CASE("echo reply outbound", AF_INET, NAT_DROP_NOT_NATTABLE, NAT_DROP_NO_SESSION);
	c->len = tp_echo(c->pkt, INNER4, EGRESS4, false, 2000, 1, 8);
	CASE("icmpv4 inside ipv6", AF_INET6, NAT_DROP_NOT_NATTABLE, NAT_DROP_NOT_NATTABLE);
	c->len = tp_ip(c->pkt, INNER6, EGRESS6, IPPROTO_ICMP, gre, sizeof(gre));
	CASE("ipv4 non-first fragment", AF_INET, NAT_DROP_FRAGMENT, NAT_DROP_FRAGMENT);
	c->len = tp_udp(c->pkt, INNER4, 2000, EGRESS4, 2000, NULL, 16, false);
	tp_set_fragment(c->pkt, 185, false);
	CASE("ipv6 non-first fragment", AF_INET6, NAT_DROP_FRAGMENT, NAT_DROP_FRAGMENT);
	c->len = tp_udp(c->pkt, INNER6, 2000, EGRESS6, 2000, NULL, 16, false);
	c->len = tp_insert_ext(c->pkt, c->len, 44, later_fragment, 8);
	CASE("routing header with segments left", AF_INET6, NAT_DROP_NOT_NATTABLE,
	     NAT_DROP_NOT_NATTABLE);
	c->len = tp_udp(c->pkt, INNER6, 2000, EGRESS6, 2000, NULL, 16, false);
	c->len = tp_insert_ext(c->pkt, c->len, 43, segments_left, 8);
	CASE("authentication header", AF_INET6, NAT_DROP_NOT_NATTABLE, NAT_DROP_NOT_NATTABLE);
	c->len = tp_udp(c->pkt, INNER6, 2000, EGRESS6, 2000, NULL, 16, false);
	c->len = tp_insert_ext(c->pkt, c->len, 51, ah, 16);
	CASE("udp to another address", AF_INET, NAT_OK, NAT_DROP_NO_SESSION);
	c->len = tp_udp(c->pkt, INNER4, 2001, REMOTE4, 2001, NULL, 16, false);
	CASE("udp nobody opened", AF_INET6, NAT_OK, NAT_DROP_NO_SESSION);
	c->len = tp_udp(c->pkt, REMOTE6B, 2002, EGRESS6, 2002, NULL, 16, false);
#undef CASE
	for (i = 0; i < count; i++) {
		c = &cases[i];
		print_message("%s\n", c->what);
		len = c->len;
		memcpy(pkt, c->pkt, len);
		memcpy(copy, c->pkt, len);
		assert_int_equal(nat_inbound(n, c->family, pkt, len, T0, &peer), c->in);
		assert_memory_equal(pkt, copy, len); /* untouched */
		assert_int_equal(peer, 12345);
		assert_int_equal(nat_outbound(n, c->family, pkt, len, PEER_A, T0), c->out);
		if (c->out != NAT_OK)
			assert_memory_equal(pkt, copy, len);
	}
	nat_destroy(n);
}

static void
test_family_disabled(void **state)
{
	struct nat_config c = tp_config(0, 1);
	uint8_t pkt[TP_MAX], copy[TP_MAX];
	uint32_t peer;
	struct nat *n;
	size_t len;

	(void)state;
	memset(&c.egress_ipv6, 0, sizeof(c.egress_ipv6));
	n = nat_create(&c, NULL);
	assert_non_null(n);
	len = tp_udp(pkt, INNER6, 2000, REMOTE6, 2000, NULL, 16, false);
	memcpy(copy, pkt, len);
	assert_int_equal(nat_outbound(n, AF_INET6, pkt, len, PEER_A, T0),
			 NAT_DROP_FAMILY_DISABLED);
	assert_int_equal(nat_inbound(n, AF_INET6, pkt, len, T0, &peer), NAT_DROP_FAMILY_DISABLED);
	assert_memory_equal(pkt, copy, len);
	len = tp_udp(pkt, INNER4, 2000, REMOTE4, 2000, NULL, 16, false);
	assert_int_equal(nat_outbound(n, AF_INET, pkt, len, PEER_A, T0), NAT_OK);
	nat_destroy(n);
}

struct walk_result {
	unsigned int count;
	struct nat_session_info sessions[4];
};

static bool
collect(const struct nat_session_info *s, void *ctx)
{
	struct walk_result *w = ctx;

	w->sessions[w->count++] = *s;
	return w->count < 4;
}

static void
test_stats_and_walk(void **state)
{
	struct nat *n = make_nat(0, 1);
	uint8_t pkt[TP_MAX];
	struct netaddr a;
	struct walk_result w;
	struct nat_stats st;
	uint32_t peer;
	size_t len;

	(void)state;
	len = tp_tcp(pkt, INNER4, 1500, REMOTE4, 80, TCP_SYN, NULL, 0);
	assert_int_equal(nat_outbound(n, AF_INET, pkt, len, PEER_A, T0), NAT_OK);
	len = tp_udp(pkt, INNER6, 1600, REMOTE6, 53, NULL, 0, false);
	assert_int_equal(nat_outbound(n, AF_INET6, pkt, len, PEER_B, T0), NAT_OK);
	len = tp_echo(pkt, INNER4, REMOTE4, true, 77, 1, 0);
	assert_int_equal(nat_outbound(n, AF_INET, pkt, len, PEER_B, T0), NAT_OK);
	len = tp_udp(pkt, REMOTE4, 1, EGRESS4, 1, NULL, 0, false);
	assert_int_equal(nat_inbound(n, AF_INET, pkt, len, T0, &peer), NAT_DROP_NO_SESSION);
	assert_int_equal(nat_outbound(n, AF_INET, pkt, 3, PEER_A, T0), NAT_DROP_MALFORMED);

	nat_stats_read(n, &st);
	assert_int_equal(st.outbound[NAT_OK], 3);
	assert_int_equal(st.outbound[NAT_DROP_MALFORMED], 1);
	assert_int_equal(st.inbound[NAT_DROP_NO_SESSION], 1);
	assert_int_equal(st.sessions[NAT_PROTO_TCP], 1);
	assert_int_equal(st.sessions[NAT_PROTO_UDP], 1);
	assert_int_equal(st.sessions[NAT_PROTO_ICMP], 1);
	assert_int_equal(st.sessions_created, 3);
	assert_int_equal(nat_session_count(n), 3);
	assert_int_equal(nat_capacity(n), 4096);
	assert_int_equal(nat_peer_limit(n), 4096);

	memset(&w, 0, sizeof(w));
	assert_int_equal(nat_walk(n, collect, &w), 3);
	/* sessions are handed out from the first slot up, in creation order */
	assert_int_equal(w.sessions[0].protocol, IPPROTO_TCP);
	assert_int_equal(w.sessions[0].tcp_state, NAT_TCP_OPENING);
	tp_addr(INNER4, &a);
	assert_true(netaddr_equal(&w.sessions[0].inner.addr, &a));
	assert_int_equal(w.sessions[0].inner.port, 1500);
	tp_addr(EGRESS4, &a);
	assert_true(netaddr_equal(&w.sessions[0].external.addr, &a));
	assert_int_equal(w.sessions[0].external.port, 1500);
	tp_addr(REMOTE4, &a);
	assert_true(netaddr_equal(&w.sessions[0].remote.addr, &a));
	assert_int_equal(w.sessions[0].remote.port, 80);
	assert_int_equal(w.sessions[0].peer_id, PEER_A);
	assert_int_equal(w.sessions[0].expires_ns, T0 + 240 * SECOND_NS);
	assert_int_equal(w.sessions[1].protocol, IPPROTO_UDP);
	assert_int_equal(w.sessions[1].tcp_state, NAT_TCP_NONE);
	tp_addr(EGRESS6, &a);
	assert_true(netaddr_equal(&w.sessions[1].external.addr, &a));
	assert_int_equal(w.sessions[1].expires_ns, T0 + 120 * SECOND_NS);
	assert_int_equal(w.sessions[2].protocol, IPPROTO_ICMP);
	assert_int_equal(w.sessions[2].remote.port, 0);
	assert_int_equal(w.sessions[2].inner.port, 77);
	assert_true(w.sessions[2].external.port >= 1024);
	assert_int_equal(w.sessions[2].expires_ns, T0 + 30 * SECOND_NS);

	assert_string_equal(nat_result_name(NAT_DROP_TABLE_FULL), "nat_table_full");
	assert_string_equal(nat_result_name(NAT_DROP_PEER_LIMIT), "nat_peer_limit");
	assert_string_equal(nat_result_name(NAT_OK), "nat_ok");
	assert_string_equal(nat_result_name(NAT_RESULT_COUNT), "unknown");
	assert_string_equal(nat_result_description(NAT_DROP_FRAGMENT),
			    "non-first fragment: no ports to match a session by");
	assert_string_equal(nat_protocol_name(NAT_PROTO_ICMP), "icmp");
	assert_string_equal(nat_tcp_state_name(NAT_TCP_ESTABLISHED), "established");
	nat_destroy(n);
}

/* The burst functions give what one call per packet gives, packet for packet: the same
 * packets through two instances (inner ports kept, so the bytes are comparable), one of them
 * fed in bursts that span chunks, hold several packets of one new flow and malformed ones. */
static void
test_burst_matches_single(void **state)
{
	enum { COUNT = 75 };
	static uint8_t a[COUNT][TP_MAX], b[COUNT][TP_MAX];
	struct nat *single = make_nat(0, 1), *bursty = make_nat(0, 1);
	struct nat_burst_packet pkts[COUNT];
	enum nat_result want[COUNT];
	uint32_t want_peer[COUNT];
	struct nat_stats sa, sb;
	unsigned int i, ok;

	(void)state;
	/* outbound: three packets per flow, flows of all kinds, some cut short */
	for (i = 0, ok = 0; i < COUNT; i++) {
		const struct tp_family *f = &tp_families[(i / 3) % 2];
		uint16_t port = (uint16_t)(2000 + i / 3);
		size_t len;

		if ((i / 3) % 3 == 2)
			len = tp_echo(a[i], f->inner, f->remote, true, port, (uint16_t)i, 8);
		else if ((i / 3) % 3 == 1)
			len = tp_tcp(a[i], f->inner, port, f->remote, 80, TCP_SYN, NULL, i);
		else
			len = tp_udp(a[i], f->inner, port, f->remote, 53, NULL, i, false);
		if (i % 10 == 7)
			len = 21;
		memcpy(b[i], a[i], len);
		pkts[i] = (struct nat_burst_packet){b[i], (uint32_t)len, f->family, PEER_A + i % 2,
						    NAT_RESULT_COUNT};
		want[i] = nat_outbound(single, f->family, a[i], (uint32_t)len, PEER_A + i % 2, T0);
		ok += want[i] == NAT_OK;
	}
	assert_int_equal(nat_outbound_burst(bursty, pkts, 0, T0), 0);
	assert_int_equal(nat_outbound_burst(bursty, pkts, COUNT, T0), ok);
	for (i = 0; i < COUNT; i++) {
		assert_int_equal(pkts[i].result, want[i]);
		assert_memory_equal(a[i], b[i], pkts[i].len);
	}
	/* inbound: a reply to each of those flows, and an error quoting what went out */
	for (i = 0, ok = 0; i < COUNT; i++) {
		const struct tp_family *f = &tp_families[(i / 3) % 2];
		uint16_t port = (uint16_t)(2000 + i / 3);
		uint8_t sent[TP_MAX];
		size_t len, slen;

		if (i % 3 == 2) {
			slen = tp_udp(sent, f->egress, port, f->remote, 53, NULL, 8, false);
			len = tp_icmp(a[i], f->router, f->egress, i % 2 ? 3 : 11, 0, 0, sent, slen);
		} else if ((i / 3) % 3 == 2) {
			len = tp_echo(a[i], f->remote, f->egress, false, port, 1, 8);
		} else if ((i / 3) % 3 == 1) {
			len = tp_tcp(a[i], f->remote, 80, f->egress, port, TCP_SYN | TCP_ACK, NULL,
				     0);
		} else {
			len = tp_udp(a[i], f->remote, 53, f->egress, port, NULL, 8, false);
		}
		memcpy(b[i], a[i], len);
		pkts[i] = (struct nat_burst_packet){b[i], (uint32_t)len, f->family, 0,
						    NAT_RESULT_COUNT};
		want_peer[i] = 0;
		want[i] = nat_inbound(single, f->family, a[i], (uint32_t)len, T0, &want_peer[i]);
		ok += want[i] == NAT_OK;
	}
	assert_true(ok > COUNT / 2);
	assert_int_equal(nat_inbound_burst(bursty, pkts, COUNT, T0), ok);
	for (i = 0; i < COUNT; i++) {
		assert_int_equal(pkts[i].result, want[i]);
		assert_int_equal(pkts[i].peer_id, want_peer[i]);
		assert_memory_equal(a[i], b[i], pkts[i].len);
	}
	nat_stats_read(single, &sa);
	nat_stats_read(bursty, &sb);
	assert_memory_equal(&sa, &sb, sizeof(sa));
	assert_int_equal(nat_session_count(single), nat_session_count(bursty));
	nat_destroy(single);
	nat_destroy(bursty);
}

static void *
counting_alloc(size_t size, size_t align, void *ctx)
{
	size_t *allocated = ctx;

	*allocated += size;
	return aligned_alloc(align, (size + align - 1) & ~(align - 1));
}

static void
counting_free(void *memory, void *ctx)
{
	size_t *allocated = ctx;

	*allocated = 0;
	free(memory);
}

static void
test_caller_allocator(void **state)
{
	struct nat_config c = tp_config(0, 1);
	size_t allocated = 0;
	struct nat_allocator a = {counting_alloc, counting_free, &allocated};
	uint8_t pkt[TP_MAX];
	struct nat *n;
	size_t len;
	int i;

	(void)state;
	n = nat_create(&c, &a);
	assert_non_null(n);
	/* one block: sessions, indexes and peer counts for 4096 sessions */
	assert_true(allocated > 4096 * 64);
	for (i = 0; i < 100; i++) {
		len = tp_udp(pkt, INNER4, (uint16_t)(2000 + i), REMOTE4, 53, NULL, 0, false);
		assert_int_equal(nat_outbound(n, AF_INET, pkt, len, PEER_A, T0), NAT_OK);
	}
	nat_destroy(n);
	assert_int_equal(allocated, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_udp_out_and_back),
		cmocka_unit_test(test_udp_port_outside_range),
		cmocka_unit_test(test_tcp_out_and_back),
		cmocka_unit_test(test_icmp_echo_out_and_back),
		cmocka_unit_test(test_udp_zero_checksum_stays_zero),
		cmocka_unit_test(test_udp_checksum_zero_sent_as_ones),
		cmocka_unit_test(test_ipv4_options_and_first_fragment),
		cmocka_unit_test(test_ipv6_extension_headers),
		cmocka_unit_test(test_not_translated),
		cmocka_unit_test(test_family_disabled),
		cmocka_unit_test(test_stats_and_walk),
		cmocka_unit_test(test_burst_matches_single),
		cmocka_unit_test(test_caller_allocator),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
