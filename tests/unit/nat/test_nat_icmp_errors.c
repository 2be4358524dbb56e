/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ICMP and ICMPv6 errors through the NAT in both directions. Inbound: a router or the remote
 * host reports a problem with a packet we translated; after un-NAT the error must be exactly the
 * error the peer would have received without NAT (quoting the packet as the peer sent it).
 * Outbound: a peer reports a problem with a packet that came in; after NAT the remote must see
 * an error quoting the packet exactly as it sent it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "nat.h"
#include "nat_test_util.h"

enum {
	PEER_A = 21,
	PEER_B = 22,
	HDR4 = 20,
	HDR6 = 40,
};

struct error_kind {
	const char *what;
	uint8_t type;
	uint8_t code;
	uint32_t rest; /* MTU or pointer */
};

static const struct error_kind errors4[] = {
	{"port unreachable", 3, 3, 0},
	{"fragmentation needed", 3, 4, 1280},
	{"time exceeded", 11, 0, 0},
	{"parameter problem", 12, 0, 8u << 24},
};

static const struct error_kind errors6[] = {
	{"port unreachable", 1, 4, 0},
	{"packet too big", 2, 0, 1280},
	{"time exceeded", 3, 0, 0},
	{"parameter problem", 4, 0, 6},
};

static struct nat *
make_nat(void)
{
	struct nat_config c = tp_config(0, 1);
	struct nat *n = nat_create(&c, NULL);

	assert_non_null(n);
	return n;
}

static size_t
min_size(size_t a, size_t b)
{
	return a < b ? a : b;
}

/*
 * Send orig (len bytes) out through n, then bring back an error about it from reporter with a
 * quote of quote_len bytes (0: the whole packet), and compare with the error the peer should
 * get: the same quote of orig.
 */
static void
check_inbound_error(struct nat *n, const struct tp_family *f, const uint8_t *orig, size_t len,
		    const char *reporter, const struct error_kind *e, size_t quote_len)
{
	uint8_t sent[TP_MAX], err[TP_MAX], want[TP_MAX];
	uint32_t peer = 0;
	size_t elen;

	if (quote_len == 0 || quote_len > len)
		quote_len = len;
	memcpy(sent, orig, len);
	assert_int_equal(nat_outbound(n, f->family, sent, len, PEER_A, T0), NAT_OK);
	/* what the remote got is right on its own (so errors cannot cancel out below) */
	assert_true(tp_checksums_ok(sent, len));
	elen = tp_icmp(err, reporter, f->egress, e->type, e->code, e->rest, sent, quote_len);
	assert_int_equal(nat_owner_of_packet(n, f->family, err, (uint32_t)elen), 0);
	assert_int_equal(nat_inbound(n, f->family, err, (uint32_t)elen, T0 + 1, &peer), NAT_OK);
	assert_int_equal(peer, PEER_A);
	tp_icmp(want, reporter, f->inner, e->type, e->code, e->rest, orig, quote_len);
	assert_true(tp_checksums_ok(want, elen));
	assert_memory_equal(err, want, elen);
	assert_true(tp_checksums_ok(err, elen));
}

static void
test_inbound_errors_about_udp(void **state)
{
	static const uint16_t inner_ports[] = {40000, 53}; /* kept, and replaced */
	uint8_t orig[TP_MAX];
	unsigned int i, k, p;

	(void)state;
	for (i = 0; i < 2; i++) {
		const struct tp_family *f = &tp_families[i];
		const struct error_kind *kinds = i == 0 ? errors4 : errors6;
		size_t hdr = i == 0 ? HDR4 : HDR6;

		for (k = 0; k < 4; k++) {
			for (p = 0; p < 2; p++) {
				struct nat *n = make_nat();
				size_t len;

				print_message("%s %s, inner port %u\n", i == 0 ? "ipv4" : "ipv6",
					      kinds[k].what, inner_ports[p]);
				len = tp_udp(orig, f->inner, inner_ports[p], f->remote, 33434,
					     NULL, 1000, false);
				if (i == 0)
					tp_set_df(orig);
				/* the remote host itself, quoting header + 8 bytes */
				check_inbound_error(n, f, orig, len, f->remote, &kinds[k],
						    hdr + 8);
				/* a router on the way, quoting as much as fits */
				check_inbound_error(n, f, orig, len, f->router, &kinds[k],
						    min_size(len, i == 0 ? 548 : 1232));
				/* and the whole packet */
				check_inbound_error(n, f, orig, len, f->router, &kinds[k], 0);
				nat_destroy(n);
			}
		}
	}
}

static void
test_inbound_errors_about_tcp_and_echo(void **state)
{
	uint8_t orig[TP_MAX];
	unsigned int i;

	(void)state;
	for (i = 0; i < 2; i++) {
		const struct tp_family *f = &tp_families[i];
		const struct error_kind *kinds = i == 0 ? errors4 : errors6;
		size_t hdr = i == 0 ? HDR4 : HDR6;
		struct nat *n = make_nat();
		size_t len;

		len = tp_tcp(orig, f->inner, 443, f->remote, 8443, TCP_ACK | TCP_PSH, NULL, 700);
		/* 8 bytes of TCP: no checksum quoted */
		check_inbound_error(n, f, orig, len, f->router, &kinds[1], hdr + 8);
		/* 18 bytes: the checksum is the last thing quoted */
		check_inbound_error(n, f, orig, len, f->router, &kinds[1], hdr + 18);
		check_inbound_error(n, f, orig, len, f->router, &kinds[1], hdr + 20);
		check_inbound_error(n, f, orig, len, f->remote, &kinds[0], 0);

		/* a traceroute with echo requests: time exceeded from each hop */
		len = tp_echo(orig, f->inner, f->remote, true, 5, 1, 32);
		tp_set_ttl(orig, 1);
		check_inbound_error(n, f, orig, len, f->router, &kinds[2], hdr + 8);
		check_inbound_error(n, f, orig, len, f->router, &kinds[2], 0);
		nat_destroy(n);
	}
}

static void
test_inbound_error_about_udp_without_checksum(void **state)
{
	struct nat *n = make_nat();
	uint8_t orig[TP_MAX];
	size_t len;

	(void)state;
	len = tp_udp(orig, INNER4, 33000, REMOTE4, 33434, NULL, 12, true);
	tp_set_ttl(orig, 1);
	check_inbound_error(n, &tp_families[0], orig, len, ROUTER4, &errors4[2], 0);
	len = tp_udp(orig, INNER4, 100, REMOTE4, 33435, NULL, 12, true);
	check_inbound_error(n, &tp_families[0], orig, len, ROUTER4, &errors4[2], HDR4 + 8);
	nat_destroy(n);
}

/*
 * The other way: the remote's packet arrived (arrived, len bytes) and was translated to the
 * peer; the peer (or a router of its network, reporter) answers with an error about what it
 * received. The remote must get an error from the egress address quoting arrived.
 */
static void
check_outbound_error(struct nat *n, const struct tp_family *f, const uint8_t *arrived,
		     size_t len, const char *reporter, const struct error_kind *e, size_t quote_len)
{
	uint8_t delivered[TP_MAX], err[TP_MAX], want[TP_MAX], copy[TP_MAX];
	uint32_t peer = 0;
	size_t elen;

	if (quote_len == 0 || quote_len > len)
		quote_len = len;
	memcpy(delivered, arrived, len);
	assert_int_equal(nat_inbound(n, f->family, delivered, len, T0, &peer), NAT_OK);
	assert_int_equal(peer, PEER_A);
	assert_true(tp_checksums_ok(delivered, len));
	elen = tp_icmp(err, reporter, f->remote, e->type, e->code, e->rest, delivered, quote_len);
	/* another peer may not speak about this session */
	memcpy(copy, err, elen);
	assert_int_equal(nat_outbound(n, f->family, err, (uint32_t)elen, PEER_B, T0),
			 NAT_DROP_NO_SESSION);
	assert_memory_equal(err, copy, elen);
	assert_int_equal(nat_outbound(n, f->family, err, (uint32_t)elen, PEER_A, T0), NAT_OK);
	tp_icmp(want, f->egress, f->remote, e->type, e->code, e->rest, arrived, quote_len);
	assert_memory_equal(err, want, elen);
	assert_true(tp_checksums_ok(err, elen));
}

static void
test_outbound_errors(void **state)
{
	uint8_t pkt[TP_MAX], arrived[TP_MAX];
	unsigned int i, k;

	(void)state;
	for (i = 0; i < 2; i++) {
		const struct tp_family *f = &tp_families[i];
		const struct error_kind *kinds = i == 0 ? errors4 : errors6;
		size_t hdr = i == 0 ? HDR4 : HDR6;
		struct nat *n = make_nat();
		uint16_t udp_ext, tcp_ext, echo_ext;
		size_t len;

		len = tp_udp(pkt, f->inner, 80, f->remote, 5000, NULL, 10, false);
		assert_int_equal(nat_outbound(n, f->family, pkt, len, PEER_A, T0), NAT_OK);
		udp_ext = tp_sport(pkt);
		len = tp_tcp(pkt, f->inner, 81, f->remote, 5001, TCP_SYN, NULL, 0);
		assert_int_equal(nat_outbound(n, f->family, pkt, len, PEER_A, T0), NAT_OK);
		tcp_ext = tp_sport(pkt);
		len = tp_echo(pkt, f->inner, f->remote, true, 82, 1, 8);
		assert_int_equal(nat_outbound(n, f->family, pkt, len, PEER_A, T0), NAT_OK);
		echo_ext = tp_echo_id(pkt);

		for (k = 0; k < 4; k++) {
			print_message("%s outbound %s\n", i == 0 ? "ipv4" : "ipv6",
				      kinds[k].what);
			len = tp_udp(arrived, f->remote, 5000, f->egress, udp_ext, NULL, 300,
				     false);
			check_outbound_error(n, f, arrived, len, f->inner, &kinds[k], 0);
			check_outbound_error(n, f, arrived, len, f->inner_b, &kinds[k], hdr + 8);
			len = tp_tcp(arrived, f->remote, 5001, f->egress, tcp_ext,
				     TCP_SYN | TCP_ACK, NULL, 0);
			check_outbound_error(n, f, arrived, len, f->inner, &kinds[k], 0);
			check_outbound_error(n, f, arrived, len, f->inner, &kinds[k], hdr + 8);
			len = tp_echo(arrived, f->remote, f->egress, false, echo_ext, 1, 8);
			check_outbound_error(n, f, arrived, len, f->inner, &kinds[k], 0);
		}
		nat_destroy(n);
	}
}

static void
test_errors_without_session(void **state)
{
	static const uint8_t later_fragment[8] = {0, 0, 0x05, 0x01, 1, 2, 3, 4};
	uint8_t orig[TP_MAX], sent[TP_MAX], err[TP_MAX], copy[TP_MAX];
	unsigned int i;

	(void)state;
	for (i = 0; i < 2; i++) {
		const struct tp_family *f = &tp_families[i];
		const struct error_kind *e = i == 0 ? &errors4[0] : &errors6[0];
		size_t hdr = i == 0 ? HDR4 : HDR6;
		struct nat *n = make_nat();
		uint32_t peer = 99;
		size_t len, slen, elen;

		len = tp_udp(orig, f->inner, 2000, f->remote, 3000, NULL, 40, false);
		memcpy(sent, orig, len);
		assert_int_equal(nat_outbound(n, f->family, sent, len, PEER_A, T0), NAT_OK);

#define EXPECT_INBOUND(result)                                                                 \
	do {                                                                                   \
		memcpy(copy, err, elen);                                                       \
		assert_int_equal(nat_inbound(n, f->family, err, (uint32_t)elen, T0, &peer),    \
				 result);                                                      \
		assert_memory_equal(err, copy, elen);                                          \
		assert_int_equal(peer, 99);                                                    \
	} while (0)

		/* about a port nobody has */
		slen = tp_udp(sent, f->egress, 2001, f->remote, 3000, NULL, 40, false);
		elen = tp_icmp(err, f->router, f->egress, e->type, e->code, 0, sent, slen);
		EXPECT_INBOUND(NAT_DROP_NO_SESSION);
		/* about a packet that did not come from the egress address */
		slen = tp_udp(sent, f->inner, 2000, f->remote, 3000, NULL, 40, false);
		elen = tp_icmp(err, f->router, f->egress, e->type, e->code, 0, sent, slen);
		EXPECT_INBOUND(NAT_DROP_NO_SESSION);
		/* about a session, but addressed to someone else */
		memcpy(sent, orig, len);
		assert_int_equal(nat_outbound(n, f->family, sent, len, PEER_A, T0), NAT_OK);
		elen = tp_icmp(err, f->router, f->remote_b, e->type, e->code, 0, sent, len);
		EXPECT_INBOUND(NAT_DROP_NO_SESSION);
		/* a quote too short to show the ports */
		elen = tp_icmp(err, f->router, f->egress, e->type, e->code, 0, sent, hdr + 4);
		EXPECT_INBOUND(NAT_DROP_MALFORMED);
		/* a quote of an error: there are no errors about errors */
		slen = tp_icmp(sent, f->egress, f->remote, e->type, e->code, 0, orig, len);
		elen = tp_icmp(err, f->router, f->egress, e->type, e->code, 0, sent, slen);
		EXPECT_INBOUND(NAT_DROP_NOT_NATTABLE);
		/* a quote of a non-first fragment */
		slen = tp_udp(sent, f->egress, 2000, f->remote, 3000, NULL, 40, false);
		if (i == 0)
			tp_set_fragment(sent, 100, false);
		else
			slen = tp_insert_ext(sent, slen, 44, later_fragment, 8);
		elen = tp_icmp(err, f->router, f->egress, e->type, e->code, 0, sent, slen);
		EXPECT_INBOUND(NAT_DROP_FRAGMENT);
		/* a quote of the other IP version */
		slen = tp_udp(sent, i == 0 ? EGRESS6 : EGRESS4, 2000, i == 0 ? REMOTE6 : REMOTE4,
			      3000, NULL, 40, false);
		elen = tp_icmp(err, f->router, f->egress, e->type, e->code, 0, sent, slen);
		EXPECT_INBOUND(NAT_DROP_MALFORMED);
#undef EXPECT_INBOUND

		/* a peer's error about something that never came in */
		slen = tp_udp(sent, f->remote, 3000, f->inner, 2999, NULL, 40, false);
		elen = tp_icmp(err, f->inner, f->remote, e->type, e->code, 0, sent, slen);
		memcpy(copy, err, elen);
		assert_int_equal(nat_outbound(n, f->family, err, (uint32_t)elen, PEER_A, T0),
				 NAT_DROP_NO_SESSION);
		assert_memory_equal(err, copy, elen);
		/* about what did come in, but sent to a third party instead of its source */
		slen = tp_udp(sent, f->remote, 3000, f->inner, 2000, NULL, 40, false);
		elen = tp_icmp(err, f->inner, f->remote_b, e->type, e->code, 0, sent, slen);
		memcpy(copy, err, elen);
		assert_int_equal(nat_outbound(n, f->family, err, (uint32_t)elen, PEER_A, T0),
				 NAT_DROP_NO_SESSION);
		assert_memory_equal(err, copy, elen);
		elen = tp_icmp(err, f->inner, f->remote, e->type, e->code, 0, sent, slen);
		assert_int_equal(nat_outbound(n, f->family, err, (uint32_t)elen, PEER_A, T0),
				 NAT_OK);
		nat_destroy(n);
	}
}

/* An error is related traffic: it is translated but keeps nothing alive. */
static void
test_errors_do_not_refresh(void **state)
{
	uint8_t pkt[TP_MAX], err[TP_MAX];
	uint32_t peer;
	unsigned int i;

	(void)state;
	for (i = 0; i < 2; i++) {
		const struct tp_family *f = &tp_families[i];
		const struct error_kind *e = i == 0 ? &errors4[2] : &errors6[2];
		struct nat *n = make_nat();
		size_t len, elen;

		len = tp_udp(pkt, f->inner, 6000, f->remote, 6001, NULL, 40, false);
		assert_int_equal(nat_outbound(n, f->family, pkt, len, PEER_A, T0), NAT_OK);
		elen = tp_icmp(err, f->router, f->egress, e->type, e->code, 0, pkt, len);
		assert_int_equal(nat_inbound(n, f->family, err, (uint32_t)elen,
					     T0 + 100 * SECOND_NS, &peer), NAT_OK);
		len = tp_udp(pkt, f->remote, 6001, f->egress, 6000, NULL, 40, false);
		assert_int_equal(nat_inbound(n, f->family, pkt, len, T0 + 120 * SECOND_NS, &peer),
				 NAT_DROP_NO_SESSION);
		assert_int_equal(nat_session_count(n), 0);
		nat_destroy(n);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_inbound_errors_about_udp),
		cmocka_unit_test(test_inbound_errors_about_tcp_and_echo),
		cmocka_unit_test(test_inbound_error_about_udp_without_checksum),
		cmocka_unit_test(test_outbound_errors),
		cmocka_unit_test(test_errors_without_session),
		cmocka_unit_test(test_errors_do_not_refresh),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
