/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * External port allocation: the inner port is kept when it can be, collisions per remote
 * endpoint are avoided, reserved ports are never handed out, a full slice says so, and the owner
 * function agrees with the allocation for every worker count 1..8. Then two property tests
 * against a naive model (a list of flows scanned linearly): random flows, replies and time never
 * produce an external port in use for the same remote endpoint, and the tables keep finding
 * every live session through heavy churn (backward-shift deletion).
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
	PEER_A = 3,
};

static struct nat *
make_nat_range(unsigned int worker, unsigned int workers, uint16_t min, uint16_t max,
	       const uint16_t *reserved, unsigned int reserved_count)
{
	struct nat_config c = tp_config(worker, workers);
	struct nat *n;

	c.port_min = min;
	c.port_max = max;
	c.reserved_ports = reserved;
	c.reserved_port_count = reserved_count;
	n = nat_create(&c, NULL);
	assert_non_null(n);
	return n;
}

/* Send a UDP packet out; returns the external source port it got (0 if not translated). */
static uint16_t
udp_out(struct nat *n, int family, const char *inner, uint16_t iport, const char *remote,
	uint16_t rport, uint64_t now, enum nat_result expect)
{
	uint8_t pkt[TP_MAX];
	size_t len = tp_udp(pkt, inner, iport, remote, rport, NULL, 8, false);

	assert_int_equal(nat_outbound(n, family, pkt, len, PEER_A, now), expect);
	return expect == NAT_OK ? tp_sport(pkt) : 0;
}

/* A reply to ext must come back to inner:iport. */
static void
udp_back(struct nat *n, const struct tp_family *f, const char *remote, uint16_t rport,
	 uint16_t ext, const char *inner, uint16_t iport)
{
	uint8_t pkt[TP_MAX], want[TP_MAX];
	uint32_t peer = 0;
	size_t len = tp_udp(pkt, remote, rport, f->egress, ext, NULL, 8, false);

	assert_int_equal(nat_inbound(n, f->family, pkt, len, T0, &peer), NAT_OK);
	assert_int_equal(peer, PEER_A);
	tp_udp(want, remote, rport, inner, iport, NULL, 8, false);
	assert_memory_equal(pkt, want, len);
}

static void
test_preserve_and_collide(void **state)
{
	unsigned int i;

	(void)state;
	for (i = 0; i < 2; i++) {
		const struct tp_family *f = &tp_families[i];
		struct nat *n = make_nat_range(0, 1, 1024, 65535, NULL, 0);
		uint16_t b;

		assert_int_equal(udp_out(n, f->family, f->inner, 5000, f->remote, 80, T0, NAT_OK),
				 5000);
		/* another inner endpoint, same source port, same remote endpoint: must differ */
		b = udp_out(n, f->family, f->inner_b, 5000, f->remote, 80, T0, NAT_OK);
		assert_int_not_equal(b, 5000);
		assert_true(b >= 1024 && b != 41641);
		/* the same port towards another remote port or address is free again */
		assert_int_equal(udp_out(n, f->family, f->inner_b, 5000, f->remote, 81, T0,
					 NAT_OK), 5000);
		assert_int_equal(udp_out(n, f->family, f->inner_b, 5000, f->remote_b, 80, T0,
					 NAT_OK), 5000);
		/* each reply finds its own session */
		udp_back(n, f, f->remote, 80, 5000, f->inner, 5000);
		udp_back(n, f, f->remote, 80, b, f->inner_b, 5000);
		udp_back(n, f, f->remote, 81, 5000, f->inner_b, 5000);
		udp_back(n, f, f->remote_b, 80, 5000, f->inner_b, 5000);
		/* the flow keeps its port */
		assert_int_equal(udp_out(n, f->family, f->inner_b, 5000, f->remote, 80, T0, NAT_OK),
				 b);
		assert_int_equal(nat_session_count(n), 4);
		nat_destroy(n);
	}
}

static void
test_preserve_only_in_own_slice(void **state)
{
	struct nat *w0 = make_nat_range(0, 2, 1024, 65535, NULL, 0);
	struct nat *w1 = make_nat_range(1, 2, 1024, 65535, NULL, 0);
	uint16_t p;

	(void)state;
	assert_int_equal(udp_out(w0, AF_INET, INNER4, 1024, REMOTE4, 53, T0, NAT_OK), 1024);
	p = udp_out(w0, AF_INET, INNER4, 1025, REMOTE4, 53, T0, NAT_OK);
	assert_int_equal((p - 1024) % 2, 0);
	assert_int_equal(udp_out(w1, AF_INET, INNER4, 1025, REMOTE4, 53, T0, NAT_OK), 1025);
	p = udp_out(w1, AF_INET, INNER4, 1024, REMOTE4, 53, T0, NAT_OK);
	assert_int_equal((p - 1024) % 2, 1);
	nat_destroy(w0);
	nat_destroy(w1);
}

static void
test_reserved_and_exhausted(void **state)
{
	static const uint16_t reserved[] = {41641};
	struct nat *n = make_nat_range(0, 1, 41640, 41643, reserved, 1);
	struct nat_stats st;
	bool seen[4] = {false};
	unsigned int j;

	(void)state;
	/* the listen port as a source port is not kept */
	assert_int_not_equal(udp_out(n, AF_INET, INNER4, 41641, REMOTE4, 53, T0, NAT_OK),
			     41641);
	for (j = 1; j < 3; j++) {
		uint16_t p = udp_out(n, AF_INET, INNER4, (uint16_t)(100 + j), REMOTE4, 53, T0,
				     NAT_OK);

		assert_true(p >= 41640 && p <= 41643 && p != 41641);
		assert_false(seen[p - 41640]);
		seen[p - 41640] = true;
	}
	/* three usable ports, three flows to one remote endpoint: the slice is full for it */
	udp_out(n, AF_INET, INNER4, 200, REMOTE4, 53, T0, NAT_DROP_PORTS_EXHAUSTED);
	udp_out(n, AF_INET6, INNER6, 200, REMOTE6, 53, T0, NAT_OK);
	udp_out(n, AF_INET, INNER4, 200, REMOTE4, 54, T0, NAT_OK);
	nat_stats_read(n, &st);
	assert_int_equal(st.outbound[NAT_DROP_PORTS_EXHAUSTED], 1);
	/* once the others time out (no sweep needed), the port is free again */
	udp_out(n, AF_INET, INNER4, 200, REMOTE4, 53, T0 + 120 * SECOND_NS, NAT_OK);
	nat_stats_read(n, &st);
	assert_int_equal(st.sessions_expired, 1);
	nat_destroy(n);
}

/* For W = 1..8 and every worker, allocate the whole slice of a small range for one remote
 * endpoint and check every port against nat_port_owner and nat_owner_of_packet (replies, echo
 * replies and errors quoting our packets), asked on every worker. */
static void
test_owner_agrees_with_allocation(void **state)
{
	enum { MIN = 20000, MAX = 20099 };
	unsigned int workers, w, j, k;

	(void)state;
	for (workers = 1; workers <= 8; workers++) {
		struct nat *n[8];
		unsigned int per_port[MAX - MIN + 1];

		memset(per_port, 0, sizeof(per_port));
		for (w = 0; w < workers; w++)
			n[w] = make_nat_range(w, workers, MIN, MAX, NULL, 0);
		for (w = 0; w < workers; w++) {
			unsigned int got = 0, slice = 0;

			for (j = MIN; j <= MAX; j++)
				slice += (j - MIN) % workers == w;
			for (j = 0; j < 4 * (slice + 2); j++) {
				const struct tp_family *f = &tp_families[j % 2];
				uint8_t pkt[TP_MAX], reply[TP_MAX], err[TP_MAX];
				uint8_t proto = j % 4 < 2 ? IPPROTO_UDP : IPPROTO_ICMP;
				uint16_t ext;
				size_t len, rlen, elen;
				enum nat_result r;

				/* inner ports outside the range: each flow gets a port drawn */
				if (proto == IPPROTO_UDP)
					len = tp_udp(pkt, f->inner, (uint16_t)(1000 + j), f->remote,
						     7, NULL, 8, false);
				else
					len = tp_echo(pkt, f->inner, f->remote, true,
						      (uint16_t)(1000 + j), 1, 8);
				r = nat_outbound(n[w], f->family, pkt, len, PEER_A, T0);
				if (r == NAT_DROP_PORTS_EXHAUSTED)
					continue;
				assert_int_equal(r, NAT_OK);
				got++;
				if (proto == IPPROTO_UDP) {
					ext = tp_sport(pkt);
					rlen = tp_udp(reply, f->remote, 7, f->egress, ext, NULL, 8,
						      false);
				} else {
					ext = tp_echo_id(pkt);
					rlen = tp_echo(reply, f->remote, f->egress, false, ext, 1,
						       8);
				}
				assert_true(ext >= MIN && ext <= MAX);
				assert_int_equal(nat_port_owner(MIN, MAX, workers, ext), w);
				elen = tp_icmp(err, f->router, f->egress, j % 2 ? 3 : 11, 0, 0, pkt,
					       len);
				for (k = 0; k < workers; k++) {
					assert_int_equal(nat_owner_of_packet(n[k], f->family, reply,
									     (uint32_t)rlen), w);
					assert_int_equal(nat_owner_of_packet(n[k], f->family, err,
									     (uint32_t)elen), w);
				}
				per_port[ext - MIN]++;
			}
			/* two families times two protocols: each port once per combination */
			assert_int_equal(got, 4 * slice);
		}
		for (j = 0; j <= MAX - MIN; j++)
			assert_int_equal(per_port[j], 4);
		/* no owner named: the asking worker keeps it */
		for (k = 0; k < workers; k++) {
			uint8_t pkt[TP_MAX];
			size_t len = tp_udp(pkt, REMOTE4, 7, EGRESS4, MAX + 1, NULL, 8, false);

			assert_int_equal(nat_owner_of_packet(n[k], AF_INET, pkt, (uint32_t)len), k);
			len = tp_tcp(pkt, REMOTE6, 7, EGRESS6, MIN - 1, TCP_SYN, NULL, 0);
			assert_int_equal(nat_owner_of_packet(n[k], AF_INET6, pkt, (uint32_t)len),
					 k);
			assert_int_equal(nat_owner_of_packet(n[k], AF_INET6, pkt, 10), k);
			assert_int_equal(nat_port_owner(MIN, MAX, workers, MAX + 1), workers);
		}
		for (w = 0; w < workers; w++)
			nat_destroy(n[w]);
	}
}

/* ---- property tests against a naive model ---- */

struct model_flow {
	const struct tp_family *f;
	uint8_t proto;
	const char *inner;
	uint16_t inner_port;
	const char *remote;
	uint16_t remote_port; /* 0 for ICMP */
	uint16_t ext;
	uint64_t expires;
	bool used;
};

struct model {
	struct model_flow flows[4096];
	unsigned int count;
};

static uint64_t rng_state;

static uint32_t
rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 11);
}

static uint64_t
model_timeout(uint8_t proto)
{
	/* TCP here only ever sends SYN out and SYN+ACK in: it stays opening (transitory) */
	return (proto == IPPROTO_TCP ? 240 : proto == IPPROTO_UDP ? 120 : 30) * SECOND_NS;
}

static bool
model_live(const struct model_flow *m, uint64_t now)
{
	return m->used && now < m->expires;
}

static struct model_flow *
model_find(struct model *md, const struct model_flow *key)
{
	unsigned int i;

	for (i = 0; i < md->count; i++) {
		struct model_flow *m = &md->flows[i];

		if (m->used && m->f == key->f && m->proto == key->proto &&
		    strcmp(m->inner, key->inner) == 0 && m->inner_port == key->inner_port &&
		    strcmp(m->remote, key->remote) == 0 && m->remote_port == key->remote_port)
			return m;
	}
	return NULL;
}

/* true when a live flow holds ext for key's remote endpoint */
static bool
model_port_taken(const struct model *md, const struct model_flow *key, uint16_t ext,
		 uint64_t now)
{
	unsigned int i;

	for (i = 0; i < md->count; i++) {
		const struct model_flow *m = &md->flows[i];

		if (model_live(m, now) && m->f == key->f && m->proto == key->proto &&
		    strcmp(m->remote, key->remote) == 0 && m->remote_port == key->remote_port &&
		    m->ext == ext)
			return true;
	}
	return false;
}

static size_t
flow_packet(uint8_t *buf, const struct model_flow *m, bool outbound)
{
	const struct tp_family *f = m->f;

	if (outbound) {
		if (m->proto == IPPROTO_UDP)
			return tp_udp(buf, m->inner, m->inner_port, m->remote, m->remote_port,
				      NULL, 4, false);
		if (m->proto == IPPROTO_TCP)
			return tp_tcp(buf, m->inner, m->inner_port, m->remote, m->remote_port,
				      TCP_SYN, NULL, 0);
		return tp_echo(buf, m->inner, m->remote, true, m->inner_port, 1, 4);
	}
	if (m->proto == IPPROTO_UDP)
		return tp_udp(buf, m->remote, m->remote_port, f->egress, m->ext, NULL, 4, false);
	if (m->proto == IPPROTO_TCP)
		return tp_tcp(buf, m->remote, m->remote_port, f->egress, m->ext,
			      TCP_SYN | TCP_ACK, NULL, 0);
	return tp_echo(buf, m->remote, f->egress, false, m->ext, 1, 4);
}

/* What a reply to m looks like after un-NAT. */
static size_t
flow_delivered(uint8_t *buf, const struct model_flow *m)
{
	if (m->proto == IPPROTO_UDP)
		return tp_udp(buf, m->remote, m->remote_port, m->inner, m->inner_port, NULL, 4,
			      false);
	if (m->proto == IPPROTO_TCP)
		return tp_tcp(buf, m->remote, m->remote_port, m->inner, m->inner_port,
			      TCP_SYN | TCP_ACK, NULL, 0);
	return tp_echo(buf, m->remote, m->inner, false, m->inner_port, 1, 4);
}

static uint16_t
packet_ext(const uint8_t *pkt, uint8_t proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP ? tp_sport(pkt) : tp_echo_id(pkt);
}

/* The live flow that holds ext for m's remote endpoint, if any. */
static struct model_flow *
model_holder(struct model *md, const struct model_flow *m, uint64_t now)
{
	unsigned int i;

	for (i = 0; i < md->count; i++) {
		struct model_flow *h = &md->flows[i];

		if (model_live(h, now) && h->f == m->f && h->proto == m->proto &&
		    strcmp(h->remote, m->remote) == 0 && h->remote_port == m->remote_port &&
		    h->ext == m->ext)
			return h;
	}
	return NULL;
}

/* A reply to m's external endpoint reaches the live flow that holds it (m, or a flow that got
 * the port after m died), or nobody. */
static void
check_reply(struct nat *n, struct model *md, struct model_flow *m, uint64_t now)
{
	uint8_t pkt[TP_MAX], want[TP_MAX], copy[TP_MAX];
	struct model_flow *holder = model_holder(md, m, now);
	uint32_t peer = 0;
	size_t len = flow_packet(pkt, m, false);
	enum nat_result r;

	memcpy(copy, pkt, len);
	r = nat_inbound(n, m->f->family, pkt, len, now, &peer);
	if (!model_live(m, now))
		m->used = false;
	if (holder == NULL) {
		assert_int_equal(r, NAT_DROP_NO_SESSION);
		assert_memory_equal(pkt, copy, len);
		return;
	}
	assert_int_equal(r, NAT_OK);
	assert_int_equal(peer, PEER_A);
	flow_delivered(want, holder);
	assert_memory_equal(pkt, want, len);
	holder->expires = now + model_timeout(holder->proto);
}

/* An outbound packet of flow key: checked against the model and recorded in it. */
static void
check_outbound(struct nat *n, struct model *md, const struct model_flow *key, uint64_t now,
	       uint16_t reserved, uint16_t min, uint16_t max, unsigned int workers,
	       unsigned int worker)
{
	uint8_t pkt[TP_MAX];
	size_t len = flow_packet(pkt, key, true);
	struct model_flow *m = model_find(md, key);
	enum nat_result r = nat_outbound(n, key->f->family, pkt, len, PEER_A, now);
	uint32_t p;
	uint16_t ext;

	if (m != NULL && model_live(m, now)) {
		assert_int_equal(r, NAT_OK);
		assert_int_equal(packet_ext(pkt, key->proto), m->ext);
		m->expires = now + model_timeout(m->proto);
		return;
	}
	if (m != NULL)
		m->used = false; /* expired: the NAT starts a new session */
	if (r == NAT_DROP_PORTS_EXHAUSTED) {
		/* the slices here are smaller than NAT_PORT_TRIES: exhausted means exhausted */
		for (p = min; p <= max; p++)
			assert_true((p - min) % workers != worker || p == reserved ||
				    model_port_taken(md, key, (uint16_t)p, now));
		return;
	}
	if (r == NAT_DROP_TABLE_FULL) {
		assert_int_equal(nat_session_count(n), nat_capacity(n));
		return;
	}
	assert_int_equal(r, NAT_OK);
	ext = packet_ext(pkt, key->proto);
	assert_int_equal(nat_port_owner(min, max, workers, ext), worker);
	assert_int_not_equal(ext, reserved);
	assert_false(model_port_taken(md, key, ext, now));
	assert_true(md->count < sizeof(md->flows) / sizeof(md->flows[0]));
	m = &md->flows[md->count++];
	*m = *key;
	m->ext = ext;
	m->expires = now + model_timeout(m->proto);
	m->used = true;
}

static void
random_flow(struct model_flow *key, unsigned int inner_ports, unsigned int remotes)
{
	static const uint8_t protos[] = {IPPROTO_UDP, IPPROTO_TCP, IPPROTO_ICMP};
	const struct tp_family *f = &tp_families[rng() % 2];

	memset(key, 0, sizeof(*key));
	key->f = f;
	key->proto = protos[rng() % 3];
	key->inner = rng() % 2 ? f->inner : f->inner_b;
	key->inner_port = (uint16_t)(2990 + rng() % inner_ports);
	key->remote = rng() % remotes ? f->remote : f->remote_b;
	key->remote_port = key->proto == IPPROTO_ICMP ? 0 : (uint16_t)(53 + rng() % 2);
}

static void
test_never_hands_out_a_port_in_use(void **state)
{
	/* worker 1 of 3 over 3000-3059: 20 ports, one reserved */
	static const uint16_t reserved[] = {3004};
	struct model *md = calloc(1, sizeof(*md));
	struct nat *n = make_nat_range(1, 3, 3000, 3059, reserved, 1);
	uint64_t now = T0;
	struct nat_stats st;
	unsigned int step;

	(void)state;
	assert_non_null(md);
	rng_state = 0x9e3779b97f4a7c15ULL;
	for (step = 0; step < 30000; step++) {
		unsigned int op = rng() % 100;

		if (op < 60) {
			struct model_flow key;

			random_flow(&key, 60, 3);
			check_outbound(n, md, &key, now, reserved[0], 3000, 3059, 3, 1);
		} else if (op < 90 && md->count > 0) {
			struct model_flow *m = &md->flows[rng() % md->count];

			if (m->used)
				check_reply(n, md, m, now);
		} else if (op < 97) {
			now += (rng() % 3) * SECOND_NS;
		} else {
			nat_expire(n, now, rng() % 64);
		}
		/* drop dead flows from the model once in a while to keep it short */
		if (md->count == sizeof(md->flows) / sizeof(md->flows[0])) {
			unsigned int i, kept = 0;

			for (i = 0; i < md->count; i++)
				if (model_live(&md->flows[i], now))
					md->flows[kept++] = md->flows[i];
			md->count = kept;
		}
	}
	/* the run went where it matters: full slices, reuse after expiry */
	nat_stats_read(n, &st);
	print_message("in use: %lu created, %lu expired, %lu exhausted, %lu no session\n",
		      (unsigned long)st.sessions_created, (unsigned long)st.sessions_expired,
		      (unsigned long)st.outbound[NAT_DROP_PORTS_EXHAUSTED],
		      (unsigned long)st.inbound[NAT_DROP_NO_SESSION]);
	assert_true(st.outbound[NAT_DROP_PORTS_EXHAUSTED] > 1000);
	assert_true(st.sessions_expired > 1000);
	nat_destroy(n);
	free(md);
}

struct walk_check {
	struct model *md;
	uint64_t now;
	unsigned int live_seen;
};

static bool
walk_visit(const struct nat_session_info *s, void *ctx)
{
	struct walk_check *wc = ctx;
	unsigned int i;

	for (i = 0; i < wc->md->count; i++) {
		const struct model_flow *m = &wc->md->flows[i];
		struct netaddr inner, remote;

		if (!m->used || m->ext != s->external.port || m->inner_port != s->inner.port)
			continue;
		tp_addr(m->inner, &inner);
		tp_addr(m->remote, &remote);
		if (netaddr_equal(&inner, &s->inner.addr) &&
		    netaddr_equal(&remote, &s->remote.addr) &&
		    m->remote_port == s->remote.port &&
		    (m->proto == s->protocol ||
		     (m->proto == IPPROTO_ICMP && s->protocol == IPPROTO_ICMPV6))) {
			assert_int_equal(m->expires, s->expires_ns);
			wc->live_seen += model_live(m, wc->now);
			return true;
		}
	}
	/* the model forgets flows when they die; the NAT may not have swept them yet */
	assert_true(s->expires_ns <= wc->now);
	return true;
}

/* Many sessions with random lifetimes: the indexes must find every live one after thousands of
 * deletions from the middle of clusters, and hold nothing the model does not know. */
static void
test_tables_survive_churn(void **state)
{
	struct model *md = calloc(1, sizeof(*md));
	struct nat_config c = tp_config(0, 1);
	struct walk_check wc;
	uint64_t now = T0;
	unsigned int round, i, live;
	struct nat_stats st;
	struct nat *n;

	(void)state;
	assert_non_null(md);
	c.sessions = 2048;
	n = nat_create(&c, NULL);
	assert_non_null(n);
	rng_state = 0x0123456789abcdefULL;
	for (round = 0; round < 80; round++) {
		/* new flows, many of them to few remotes (clusters in the inbound index) */
		for (i = 0; i < 100; i++) {
			struct model_flow key;

			random_flow(&key, 1, 4);
			key.inner_port = (uint16_t)(1024 + rng() % 60000);
			check_outbound(n, md, &key, now, 41641, 1024, 65535, 1, 0);
		}
		/* an eighth of the live flows, checked both ways (and so refreshed) */
		for (i = 0; i < md->count; i++) {
			struct model_flow *m = &md->flows[i];

			if (!model_live(m, now) || rng() % 8 != 0)
				continue;
			check_outbound(n, md, m, now, 41641, 1024, 65535, 1, 0);
			check_reply(n, md, m, now);
		}
		now += (5 + rng() % 55) * SECOND_NS;
		nat_expire(n, now, 1 + rng() % 2048);
		/* the session array holds exactly the live flows, and maybe some dead ones */
		memset(&wc, 0, sizeof(wc));
		wc.md = md;
		wc.now = now;
		nat_walk(n, walk_visit, &wc);
		live = 0;
		for (i = 0; i < md->count; i++)
			live += model_live(&md->flows[i], now);
		assert_int_equal(wc.live_seen, live);
		/* now and then, replies to every flow the model knows: the live come back (and
		 * live on), the dead do not */
		for (i = 0; i < md->count && round % 10 == 9; i++)
			if (md->flows[i].used)
				check_reply(n, md, &md->flows[i], now);
		for (i = 0, live = 0; i < md->count; i++)
			if (model_live(&md->flows[i], now))
				md->flows[live++] = md->flows[i];
		md->count = live;
	}
	nat_stats_read(n, &st);
	print_message("churn: %lu sessions created, %lu expired, %u live, %lu table full\n",
		      (unsigned long)st.sessions_created, (unsigned long)st.sessions_expired,
		      nat_session_count(n), (unsigned long)st.outbound[NAT_DROP_TABLE_FULL]);
	assert_true(st.sessions_expired > 4000);
	nat_destroy(n);
	free(md);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_preserve_and_collide),
		cmocka_unit_test(test_preserve_only_in_own_slice),
		cmocka_unit_test(test_reserved_and_exhausted),
		cmocka_unit_test(test_owner_agrees_with_allocation),
		cmocka_unit_test(test_never_hands_out_a_port_in_use),
		cmocka_unit_test(test_tables_survive_churn),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
