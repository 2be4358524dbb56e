/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Session lifetimes on a fake clock: the timeout of each protocol and TCP state, refresh by
 * traffic in both directions, lazy expiry at lookup and the bounded sweep; then capacity: a full
 * table refuses new flows and keeps the old ones working, the per-peer share, and an inner
 * address that moved to another peer.
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
	PEER_A = 40,
	PEER_B = 41,
};

#define S(seconds) ((uint64_t)(seconds) * SECOND_NS)

static struct nat *
make_nat(uint32_t sessions, uint32_t per_peer, unsigned int worker, unsigned int workers)
{
	struct nat_config c = tp_config(worker, workers);
	struct nat *n;

	c.sessions = sessions;
	c.sessions_per_peer = per_peer;
	n = nat_create(&c, NULL);
	assert_non_null(n);
	return n;
}

static enum nat_result
tcp_out(struct nat *n, const struct tp_family *f, uint16_t port, uint8_t flags, uint64_t now)
{
	uint8_t pkt[TP_MAX];
	size_t len = tp_tcp(pkt, f->inner, port, f->remote, 443, flags, NULL, 0);

	return nat_outbound(n, f->family, pkt, len, PEER_A, now);
}

static enum nat_result
tcp_in(struct nat *n, const struct tp_family *f, uint16_t port, uint8_t flags, uint64_t now)
{
	uint8_t pkt[TP_MAX];
	uint32_t peer;
	size_t len = tp_tcp(pkt, f->remote, 443, f->egress, port, flags, NULL, 0);

	return nat_inbound(n, f->family, pkt, len, now, &peer);
}

static enum nat_result
udp_out(struct nat *n, const struct tp_family *f, const char *inner, uint16_t port,
	uint32_t peer_id, uint64_t now)
{
	uint8_t pkt[TP_MAX];
	size_t len = tp_udp(pkt, inner, port, f->remote, 53, NULL, 8, false);

	return nat_outbound(n, f->family, pkt, len, peer_id, now);
}

static enum nat_result
udp_in(struct nat *n, const struct tp_family *f, uint16_t port, uint64_t now, uint32_t *peer)
{
	uint8_t pkt[TP_MAX];
	size_t len = tp_udp(pkt, f->remote, 53, f->egress, port, NULL, 8, false);

	return nat_inbound(n, f->family, pkt, len, now, peer);
}

/* The single session's TCP state and expiry, through the walk. */
struct one_session {
	unsigned int count;
	struct nat_session_info info;
};

static bool
take_one(const struct nat_session_info *s, void *ctx)
{
	struct one_session *o = ctx;

	o->info = *s;
	o->count++;
	return true;
}

static void
assert_session(struct nat *n, enum nat_tcp_state state, uint64_t expires)
{
	struct one_session o;

	memset(&o, 0, sizeof(o));
	nat_walk(n, take_one, &o);
	assert_int_equal(o.count, 1);
	assert_int_equal(o.info.tcp_state, state);
	assert_int_equal(o.info.expires_ns, expires);
}

static void
test_udp_and_icmp_timeouts(void **state)
{
	unsigned int i;

	(void)state;
	for (i = 0; i < 2; i++) {
		const struct tp_family *f = &tp_families[i];
		struct nat *n = make_nat(64, 64, 0, 1);
		uint8_t pkt[TP_MAX];
		uint32_t peer;
		size_t len;

		/* UDP: 120 s after the last packet either way */
		assert_int_equal(udp_out(n, f, f->inner, 4000, PEER_A, T0), NAT_OK);
		assert_int_equal(udp_in(n, f, 4000, T0 + S(120) - 1, &peer), NAT_OK);
		assert_int_equal(udp_in(n, f, 4000, T0 + S(240) - 2, &peer), NAT_OK);
		assert_int_equal(udp_in(n, f, 4000, T0 + S(360) - 2, &peer), NAT_DROP_NO_SESSION);
		assert_int_equal(nat_session_count(n), 0);

		/* ICMP: 30 s */
		len = tp_echo(pkt, f->inner, f->remote, true, 3333, 1, 8);
		assert_int_equal(nat_outbound(n, f->family, pkt, len, PEER_A, T0), NAT_OK);
		len = tp_echo(pkt, f->remote, f->egress, false, 3333, 1, 8);
		assert_int_equal(nat_inbound(n, f->family, pkt, len, T0 + S(30) - 1, &peer),
				 NAT_OK);
		len = tp_echo(pkt, f->remote, f->egress, false, 3333, 1, 8);
		assert_int_equal(nat_inbound(n, f->family, pkt, len, T0 + S(60) - 1, &peer),
				 NAT_DROP_NO_SESSION);
		nat_destroy(n);
	}
}

static void
test_tcp_states(void **state)
{
	unsigned int i;

	(void)state;
	for (i = 0; i < 2; i++) {
		const struct tp_family *f = &tp_families[i];
		struct nat *n = make_nat(64, 64, 0, 1);
		uint64_t t = T0;

		/* SYN: opening, transitory */
		assert_int_equal(tcp_out(n, f, 5000, TCP_SYN, t), NAT_OK);
		assert_session(n, NAT_TCP_OPENING, t + S(240));
		/* a retransmitted SYN, the SYN+ACK: still opening */
		assert_int_equal(tcp_out(n, f, 5000, TCP_SYN, t += S(1)), NAT_OK);
		assert_int_equal(tcp_in(n, f, 5000, TCP_SYN | TCP_ACK, t += S(1)), NAT_OK);
		assert_session(n, NAT_TCP_OPENING, t + S(240));
		/* the ACK: both directions seen since the SYN, established */
		assert_int_equal(tcp_out(n, f, 5000, TCP_ACK, t += S(1)), NAT_OK);
		assert_session(n, NAT_TCP_ESTABLISHED, t + S(7200));
		/* quiet for almost two hours: still there */
		t += S(7200) - 1;
		assert_int_equal(tcp_in(n, f, 5000, TCP_ACK, t), NAT_OK);
		assert_session(n, NAT_TCP_ESTABLISHED, t + S(7200));
		/* one FIN is a half-close: still established */
		assert_int_equal(tcp_out(n, f, 5000, TCP_FIN | TCP_ACK, t += S(1)), NAT_OK);
		assert_session(n, NAT_TCP_ESTABLISHED, t + S(7200));
		/* the other FIN: closing, transitory */
		assert_int_equal(tcp_in(n, f, 5000, TCP_FIN | TCP_ACK, t += S(1)), NAT_OK);
		assert_session(n, NAT_TCP_CLOSING, t + S(240));
		assert_int_equal(tcp_out(n, f, 5000, TCP_ACK, t += S(1)), NAT_OK);
		assert_session(n, NAT_TCP_CLOSING, t + S(240));
		/* the port reused by a new connection: opening again */
		assert_int_equal(tcp_out(n, f, 5000, TCP_SYN, t += S(1)), NAT_OK);
		assert_session(n, NAT_TCP_OPENING, t + S(240));
		assert_int_equal(tcp_in(n, f, 5000, TCP_SYN | TCP_ACK, t += S(1)), NAT_OK);
		assert_int_equal(tcp_out(n, f, 5000, TCP_ACK, t += S(1)), NAT_OK);
		assert_session(n, NAT_TCP_ESTABLISHED, t + S(7200));
		/* a RST from outside: closing, and gone after the transitory timeout */
		assert_int_equal(tcp_in(n, f, 5000, TCP_RST, t += S(1)), NAT_OK);
		assert_session(n, NAT_TCP_CLOSING, t + S(240));
		assert_int_equal(tcp_in(n, f, 5000, TCP_ACK, t + S(240)), NAT_DROP_NO_SESSION);
		assert_int_equal(nat_session_count(n), 0);
		nat_destroy(n);
	}
}

static void
test_tcp_pickup_and_rst(void **state)
{
	unsigned int i;

	(void)state;
	for (i = 0; i < 2; i++) {
		const struct tp_family *f = &tp_families[i];
		struct nat *n = make_nat(64, 64, 0, 1);
		struct nat_stats st;

		/* a RST of a connection we do not know creates nothing */
		assert_int_equal(tcp_out(n, f, 6000, TCP_RST | TCP_ACK, T0), NAT_DROP_NO_SESSION);
		assert_int_equal(nat_session_count(n), 0);
		/* data without a SYN (the session expired mid-connection) is picked up */
		assert_int_equal(tcp_out(n, f, 6000, TCP_ACK | TCP_PSH, T0), NAT_OK);
		assert_session(n, NAT_TCP_OPENING, T0 + S(240));
		assert_int_equal(tcp_in(n, f, 6000, TCP_ACK, T0 + S(1)), NAT_OK);
		assert_session(n, NAT_TCP_ESTABLISHED, T0 + S(7201));
		/* a RST from inside closes it */
		assert_int_equal(tcp_out(n, f, 6000, TCP_RST, T0 + S(2)), NAT_OK);
		assert_session(n, NAT_TCP_CLOSING, T0 + S(242));
		nat_stats_read(n, &st);
		assert_int_equal(st.outbound[NAT_DROP_NO_SESSION], 1);
		assert_int_equal(st.sessions[NAT_PROTO_TCP], 1);
		nat_destroy(n);
	}
}

/* An expired session met by its own outbound traffic is replaced by a fresh one. */
static void
test_lazy_expiry_at_lookup(void **state)
{
	struct nat *n = make_nat(64, 64, 0, 1);
	const struct tp_family *f = &tp_families[0];
	struct nat_stats st;

	(void)state;
	assert_int_equal(udp_out(n, f, f->inner, 7000, PEER_A, T0), NAT_OK);
	assert_int_equal(udp_out(n, f, f->inner, 7000, PEER_A, T0 + S(120)), NAT_OK);
	nat_stats_read(n, &st);
	assert_int_equal(st.sessions_expired, 1);
	assert_int_equal(st.sessions_created, 2);
	assert_int_equal(st.sessions[NAT_PROTO_UDP], 1);
	assert_session(n, NAT_TCP_NONE, T0 + S(240));
	nat_destroy(n);
}

static void
test_sweep_is_bounded(void **state)
{
	struct nat *n = make_nat(256, 256, 0, 1);
	const struct tp_family *f = &tp_families[1];
	unsigned int i, removed = 0, calls = 0;
	uint32_t peer;

	(void)state;
	/* 100 UDP sessions, the even ones refreshed later */
	for (i = 0; i < 100; i++)
		assert_int_equal(udp_out(n, f, f->inner, (uint16_t)(10000 + i), PEER_A, T0),
				 NAT_OK);
	for (i = 0; i < 100; i += 2)
		assert_int_equal(udp_in(n, f, (uint16_t)(10000 + i), T0 + S(60), &peer), NAT_OK);
	assert_int_equal(nat_expire(n, T0 + S(119), 256), 0);
	assert_int_equal(nat_expire(n, T0 + S(120), 0), 0);
	/* at 120 s the odd ones are due: at most budget entries are looked at per call */
	while (removed < 50) {
		unsigned int r = nat_expire(n, T0 + S(120), 10);

		assert_true(r <= 10);
		removed += r;
		calls++;
		assert_true(calls <= 26); /* 256 entries, 10 per call */
	}
	assert_int_equal(removed, 50);
	assert_int_equal(nat_session_count(n), 50);
	/* the live ones were left alone and still work */
	for (i = 0; i < 100; i += 2)
		assert_int_equal(udp_in(n, f, (uint16_t)(10000 + i), T0 + S(121), &peer), NAT_OK);
	for (i = 1; i < 100; i += 2)
		assert_int_equal(udp_in(n, f, (uint16_t)(10000 + i), T0 + S(121), &peer),
				 NAT_DROP_NO_SESSION);
	/* a budget beyond the table visits it once */
	assert_int_equal(nat_expire(n, T0 + S(1000), 100000), 50);
	assert_int_equal(nat_session_count(n), 0);
	nat_destroy(n);
}

static void
test_table_full(void **state)
{
	unsigned int i;

	(void)state;
	for (i = 0; i < 2; i++) {
		const struct tp_family *f = &tp_families[i];
		/* 16 sessions over two workers: this one holds 8 */
		struct nat *n = make_nat(16, 1000, 1, 2);
		uint8_t pkt[TP_MAX], copy[TP_MAX];
		struct nat_stats st;
		uint32_t peer = 0;
		uint16_t ext[8];
		unsigned int j;
		size_t len;

		assert_int_equal(nat_capacity(n), 8);
		for (j = 0; j < 8; j++) {
			len = tp_udp(pkt, f->inner, (uint16_t)(20001 + 2 * j), f->remote, 53, NULL,
				     8, false);
			assert_int_equal(nat_outbound(n, f->family, pkt, len, PEER_A, T0 + S(j)),
					 NAT_OK);
			ext[j] = tp_sport(pkt);
		}
		len = tp_udp(pkt, f->inner, 30001, f->remote, 53, NULL, 8, false);
		memcpy(copy, pkt, len);
		assert_int_equal(nat_outbound(n, f->family, pkt, len, PEER_A, T0 + S(10)),
				 NAT_DROP_TABLE_FULL);
		assert_memory_equal(pkt, copy, len);
		/* the existing flows are untouched: each still goes out and comes back */
		for (j = 0; j < 8; j++) {
			assert_int_equal(udp_out(n, f, f->inner, (uint16_t)(20001 + 2 * j), PEER_A,
						 T0 + S(10 + j)), NAT_OK);
			assert_int_equal(udp_in(n, f, ext[j], T0 + S(10 + j), &peer), NAT_OK);
			assert_int_equal(peer, PEER_A);
		}
		/* once the first one times out, the new flow gets its place */
		assert_int_equal(nat_outbound(n, f->family, pkt, len, PEER_A, T0 + S(130)), NAT_OK);
		assert_int_equal(udp_in(n, f, ext[0], T0 + S(130), &peer), NAT_DROP_NO_SESSION);
		for (j = 1; j < 8; j++)
			assert_int_equal(udp_in(n, f, ext[j], T0 + S(130), &peer), NAT_OK);
		nat_stats_read(n, &st);
		assert_int_equal(st.outbound[NAT_DROP_TABLE_FULL], 1);
		assert_int_equal(nat_session_count(n), 8);
		nat_destroy(n);
	}
}

static void
test_peer_limit(void **state)
{
	/* 10 per peer for the node, two workers: 5 here */
	struct nat *n = make_nat(1000, 10, 0, 2);
	const struct tp_family *f = &tp_families[0];
	struct nat_stats st;
	uint32_t peer;
	unsigned int j;

	(void)state;
	assert_int_equal(nat_peer_limit(n), 5);
	for (j = 0; j < 5; j++)
		assert_int_equal(udp_out(n, f, f->inner, (uint16_t)(2000 + j), PEER_A, T0), NAT_OK);
	assert_int_equal(udp_out(n, f, f->inner, 2005, PEER_A, T0), NAT_DROP_PEER_LIMIT);
	/* existing flows of the peer go on; other peers are not affected */
	assert_int_equal(udp_out(n, f, f->inner, 2000, PEER_A, T0 + S(1)), NAT_OK);
	for (j = 0; j < 5; j++)
		assert_int_equal(udp_out(n, f, f->inner_b, (uint16_t)(2000 + j), PEER_B, T0),
				 NAT_OK);
	assert_int_equal(udp_out(n, f, f->inner_b, 2005, PEER_B, T0), NAT_DROP_PEER_LIMIT);
	/* after a sweep removes the peer's expired sessions it may open new ones */
	assert_int_equal(nat_expire(n, T0 + S(120), 1000), 9);
	assert_int_equal(udp_out(n, f, f->inner, 2005, PEER_A, T0 + S(120)), NAT_OK);
	assert_int_equal(udp_in(n, f, 2000, T0 + S(120), &peer), NAT_OK);
	assert_int_equal(peer, PEER_A);
	nat_stats_read(n, &st);
	assert_int_equal(st.outbound[NAT_DROP_PEER_LIMIT], 2);
	nat_destroy(n);
}

/* When an inner address moves to another peer, its next packet takes the session over. */
static void
test_inner_address_moves_to_another_peer(void **state)
{
	struct nat *n = make_nat(1000, 1000, 0, 1);
	const struct tp_family *f = &tp_families[1];
	struct nat_stats st;
	uint32_t peer = 0;

	(void)state;
	assert_int_equal(udp_out(n, f, f->inner, 8000, PEER_A, T0), NAT_OK);
	assert_int_equal(udp_in(n, f, 8000, T0, &peer), NAT_OK);
	assert_int_equal(peer, PEER_A);
	assert_int_equal(udp_out(n, f, f->inner, 8000, PEER_B, T0 + S(1)), NAT_OK);
	assert_int_equal(udp_in(n, f, 8000, T0 + S(1), &peer), NAT_OK);
	assert_int_equal(peer, PEER_B);
	nat_stats_read(n, &st);
	assert_int_equal(st.sessions_replaced, 1);
	assert_int_equal(nat_session_count(n), 1);
	nat_destroy(n);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_udp_and_icmp_timeouts),
		cmocka_unit_test(test_tcp_states),
		cmocka_unit_test(test_tcp_pickup_and_rst),
		cmocka_unit_test(test_lazy_expiry_at_lookup),
		cmocka_unit_test(test_sweep_is_bounded),
		cmocka_unit_test(test_table_full),
		cmocka_unit_test(test_peer_limit),
		cmocka_unit_test(test_inner_address_moves_to_another_peer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
