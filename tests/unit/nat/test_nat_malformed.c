/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Malformed input: every truncation of every kind of packet, in a buffer of exactly that size
 * (so that ASan sees any read past it), is refused without a change to the packet; length
 * fields shortened consistently give exactly the result the remaining headers allow; broken
 * header fields are refused; invalid configurations are refused at creation.
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
	PEER_A = 50,
	SAMPLES_MAX = 16,
};

struct sample {
	const char *what;
	int family;
	bool outbound;
	size_t hdr;      /* IP header and extension headers */
	size_t needed;   /* transport bytes needed after hdr to translate */
	size_t len;
	uint8_t pkt[TP_MAX];
};

struct samples {
	struct sample s[SAMPLES_MAX];
	unsigned int count;
};

static struct sample *
add(struct samples *ss, const char *what, int family, bool outbound, size_t hdr, size_t needed)
{
	struct sample *s = &ss->s[ss->count++];

	assert_true(ss->count <= SAMPLES_MAX);
	s->what = what;
	s->family = family;
	s->outbound = outbound;
	s->hdr = hdr;
	s->needed = needed;
	return s;
}

/* Packets of every kind in both directions, and a NAT holding the sessions the inbound ones
 * belong to (so that, whole, each of them translates). */
static struct nat *
make_samples(struct samples *ss)
{
	static const uint8_t pad8[8] = {0, 0, 1, 4, 0, 0, 0, 0};
	struct nat_config c = tp_config(0, 1);
	struct nat *n = nat_create(&c, NULL);
	uint8_t out[TP_MAX];
	struct sample *s;
	unsigned int i;

	assert_non_null(n);
	memset(ss, 0, sizeof(*ss));
	for (i = 0; i < 2; i++) {
		const struct tp_family *f = &tp_families[i];
		size_t hdr = i == 0 ? 20 : 40;
		size_t len;

		s = add(ss, "udp out", f->family, true, hdr, 8);
		s->len = tp_udp(s->pkt, f->inner, 1111, f->remote, 53, NULL, 30, false);
		s = add(ss, "tcp out", f->family, true, hdr, 20);
		s->len = tp_tcp(s->pkt, f->inner, 1112, f->remote, 80, TCP_SYN, NULL, 12);
		s = add(ss, "echo request out", f->family, true, hdr, 8);
		s->len = tp_echo(s->pkt, f->inner, f->remote, true, 1113, 1, 16);

		/* the sessions the inbound samples answer */
		memcpy(out, ss->s[ss->count - 3].pkt, ss->s[ss->count - 3].len);
		assert_int_equal(nat_outbound(n, f->family, out, ss->s[ss->count - 3].len, PEER_A,
					      T0), NAT_OK);
		len = tp_tcp(out, f->inner, 1112, f->remote, 80, TCP_SYN, NULL, 12);
		assert_int_equal(nat_outbound(n, f->family, out, len, PEER_A, T0), NAT_OK);
		len = tp_echo(out, f->inner, f->remote, true, 1113, 1, 16);
		assert_int_equal(nat_outbound(n, f->family, out, len, PEER_A, T0), NAT_OK);

		s = add(ss, "udp in", f->family, false, hdr, 8);
		s->len = tp_udp(s->pkt, f->remote, 53, f->egress, 1111, NULL, 30, false);
		s = add(ss, "tcp in", f->family, false, hdr, 20);
		s->len = tp_tcp(s->pkt, f->remote, 80, f->egress, 1112, TCP_SYN | TCP_ACK, NULL, 0);
		s = add(ss, "echo reply in", f->family, false, hdr, 8);
		s->len = tp_echo(s->pkt, f->remote, f->egress, false, 1113, 1, 16);
		/* an error quoting the UDP packet we sent: ICMP header, quoted header, 8 bytes */
		len = tp_udp(out, f->egress, 1111, f->remote, 53, NULL, 30, false);
		s = add(ss, "error in", f->family, false, hdr, 8 + hdr + 8);
		s->len = tp_icmp(s->pkt, f->router, f->egress, i == 0 ? 3 : 1, 3, 0, out, len);
	}
	s = add(ss, "udp out with hop-by-hop", AF_INET6, true, 48, 8);
	s->len = tp_udp(s->pkt, INNER6, 1111, REMOTE6, 53, NULL, 30, false);
	s->len = tp_insert_ext(s->pkt, s->len, 0, pad8, 8);
	return n;
}

static enum nat_result
translate(struct nat *n, const struct sample *s, uint8_t *pkt, size_t len)
{
	uint32_t peer = 0;

	if (s->outbound)
		return nat_outbound(n, s->family, pkt, (uint32_t)len, PEER_A, T0);
	return nat_inbound(n, s->family, pkt, (uint32_t)len, T0, &peer);
}

static void
test_every_truncation(void **state)
{
	struct samples *ss = malloc(sizeof(*ss));
	struct nat *n;
	unsigned int i;
	size_t cut;

	(void)state;
	assert_non_null(ss);
	n = make_samples(ss);
	for (i = 0; i < ss->count; i++) {
		const struct sample *s = &ss->s[i];
		uint8_t whole[TP_MAX];

		for (cut = 0; cut < s->len; cut++) {
			/* exactly cut bytes: one more read and ASan stops the run */
			uint8_t *buf = malloc(cut == 0 ? 1 : cut);

			assert_non_null(buf);
			memcpy(buf, s->pkt, cut);
			assert_int_equal(translate(n, s, buf, cut), NAT_DROP_MALFORMED);
			assert_memory_equal(buf, s->pkt, cut);
			assert_int_equal(nat_owner_of_packet(n, s->family, buf, (uint32_t)cut), 0);
			free(buf);
		}
		/* whole, it translates */
		memcpy(whole, s->pkt, s->len);
		assert_int_equal(translate(n, s, whole, s->len), NAT_OK);
	}
	nat_destroy(n);
	free(ss);
}

/* The length fields say the packet ends early (a consistent, short packet): translated when
 * the headers NAT needs are all there, refused as malformed otherwise. */
static void
test_short_packets(void **state)
{
	struct samples *ss = malloc(sizeof(*ss));
	struct nat *n;
	unsigned int i;
	size_t cut;

	(void)state;
	assert_non_null(ss);
	n = make_samples(ss);
	for (i = 0; i < ss->count; i++) {
		const struct sample *s = &ss->s[i];

		print_message("%s %s\n", s->family == AF_INET ? "ipv4" : "ipv6", s->what);
		/* from the bare IP header (IPv6: one byte more, as a payload length of 0 announces
		 * a jumbogram) to the whole packet */
		for (cut = s->family == AF_INET ? 20 : 41; cut <= s->len; cut++) {
			uint8_t *buf = malloc(cut);
			enum nat_result r;

			assert_non_null(buf);
			memcpy(buf, s->pkt, cut);
			tp_set_length(buf, cut);
			r = translate(n, s, buf, cut);
			if (cut < s->hdr + s->needed) {
				uint8_t copy[TP_MAX];

				memcpy(copy, s->pkt, cut);
				tp_set_length(copy, cut);
				assert_int_equal(r, NAT_DROP_MALFORMED);
				assert_memory_equal(buf, copy, cut);
			} else {
				assert_int_equal(r, NAT_OK);
			}
			free(buf);
		}
	}
	nat_destroy(n);
	free(ss);
}

struct broken {
	const char *what;
	int family;
	enum nat_result expect;
	size_t len;
	uint8_t pkt[TP_MAX];
};

static void
test_broken_headers(void **state)
{
	static const uint8_t pad8[8] = {0, 0, 1, 4, 0, 0, 0, 0};
	static const uint8_t long_ext[8] = {0, 200, 1, 4, 0, 0, 0, 0};
	struct broken *b = calloc(16, sizeof(*b));
	struct nat_config c = tp_config(0, 1);
	struct nat *n = nat_create(&c, NULL);
	unsigned int count = 0, i, k;

	(void)state;
	assert_non_null(b);
	assert_non_null(n);
	b[count].what = "ipv6 packet given as ipv4";
	b[count].family = AF_INET;
	b[count].expect = NAT_DROP_MALFORMED;
	b[count].len = tp_udp(b[count].pkt, INNER6, 1, REMOTE6, 1, NULL, 8, false);
	count++;
	b[count].what = "ipv4 packet given as ipv6";
	b[count].family = AF_INET6;
	b[count].expect = NAT_DROP_MALFORMED;
	b[count].len = tp_udp(b[count].pkt, INNER4, 1, REMOTE4, 1, NULL, 40, false);
	count++;
	b[count].what = "no such family";
	b[count].family = AF_UNIX;
	b[count].expect = NAT_DROP_MALFORMED;
	b[count].len = tp_udp(b[count].pkt, INNER4, 1, REMOTE4, 1, NULL, 8, false);
	count++;
	b[count].what = "ipv4 header length 16";
	b[count].family = AF_INET;
	b[count].expect = NAT_DROP_MALFORMED;
	b[count].len = tp_udp(b[count].pkt, INNER4, 1, REMOTE4, 1, NULL, 8, false);
	b[count].pkt[0] = 0x44;
	count++;
	b[count].what = "ipv4 header longer than the packet";
	b[count].family = AF_INET;
	b[count].expect = NAT_DROP_MALFORMED;
	b[count].len = tp_udp(b[count].pkt, INNER4, 1, REMOTE4, 1, NULL, 0, false);
	b[count].pkt[0] = 0x4f;
	count++;
	b[count].what = "ipv4 total length below the header";
	b[count].family = AF_INET;
	b[count].expect = NAT_DROP_MALFORMED;
	b[count].len = tp_udp(b[count].pkt, INNER4, 1, REMOTE4, 1, NULL, 8, false);
	tp_set_length(b[count].pkt, 19);
	count++;
	b[count].what = "ipv6 jumbogram";
	b[count].family = AF_INET6;
	b[count].expect = NAT_DROP_MALFORMED;
	b[count].len = tp_udp(b[count].pkt, INNER6, 1, REMOTE6, 1, NULL, 8, false);
	b[count].pkt[4] = b[count].pkt[5] = 0;
	count++;
	b[count].what = "tcp data offset 4";
	b[count].family = AF_INET;
	b[count].expect = NAT_DROP_MALFORMED;
	b[count].len = tp_tcp(b[count].pkt, INNER4, 1, REMOTE4, 1, TCP_SYN, NULL, 0);
	b[count].pkt[20 + 12] = 4 << 4;
	count++;
	b[count].what = "extension header past the end";
	b[count].family = AF_INET6;
	b[count].expect = NAT_DROP_MALFORMED;
	b[count].len = tp_udp(b[count].pkt, INNER6, 1, REMOTE6, 1, NULL, 8, false);
	b[count].len = tp_insert_ext(b[count].pkt, b[count].len, 60, long_ext, 8);
	count++;
	b[count].what = "nine extension headers";
	b[count].family = AF_INET6;
	b[count].expect = NAT_DROP_NOT_NATTABLE;
	b[count].len = tp_udp(b[count].pkt, INNER6, 1, REMOTE6, 1, NULL, 8, false);
	for (k = 0; k < 9; k++)
		b[count].len = tp_insert_ext(b[count].pkt, b[count].len, 60, pad8, 8);
	count++;
	b[count].what = "no next header";
	b[count].family = AF_INET6;
	b[count].expect = NAT_DROP_NOT_NATTABLE;
	b[count].len = tp_ip(b[count].pkt, INNER6, REMOTE6, 59, pad8, 8);
	count++;

	for (i = 0; i < count; i++) {
		uint8_t pkt[TP_MAX];
		uint32_t peer;

		print_message("%s\n", b[i].what);
		memcpy(pkt, b[i].pkt, b[i].len);
		assert_int_equal(nat_outbound(n, b[i].family, pkt, (uint32_t)b[i].len, PEER_A, T0),
				 b[i].expect);
		assert_memory_equal(pkt, b[i].pkt, b[i].len);
		assert_int_equal(nat_inbound(n, b[i].family, pkt, (uint32_t)b[i].len, T0, &peer),
				 b[i].expect);
		assert_memory_equal(pkt, b[i].pkt, b[i].len);
		assert_int_equal(nat_owner_of_packet(n, b[i].family, pkt, (uint32_t)b[i].len), 0);
	}
	assert_int_equal(nat_session_count(n), 0);
	nat_destroy(n);
	free(b);
}

static void *
failing_alloc(size_t size, size_t align, void *ctx)
{
	(void)size;
	(void)align;
	(void)ctx;
	return NULL;
}

static void
never_free(void *memory, void *ctx)
{
	(void)memory;
	(void)ctx;
	fail_msg("free without an allocation");
}

static void
test_create_rejects(void **state)
{
	static const struct nat_allocator failing = {failing_alloc, never_free, NULL};
	struct nat_config c;

	(void)state;
#define REJECT(edit)                                                                           \
	do {                                                                                   \
		c = tp_config(0, 1);                                                           \
		edit;                                                                          \
		assert_null(nat_create(&c, NULL));                                             \
	} while (0)
	REJECT(c.workers = 0);
	REJECT((c.worker = 2, c.workers = 2));
	REJECT(c.port_min = 0);
	REJECT((c.port_min = 2000, c.port_max = 1999));
	REJECT((c.port_min = 1000, c.port_max = 1002, c.worker = 3, c.workers = 8));
	REJECT((c.egress_ipv4.family = 0, c.egress_ipv6.family = 0));
	REJECT(c.egress_ipv4.family = AF_INET6);
	REJECT(c.egress_ipv6.family = AF_INET);
	REJECT(c.sessions = 0);
	REJECT(c.sessions = NAT_MAX_SESSIONS + 1);
	REJECT(c.sessions_per_peer = 0);
	REJECT(c.timeouts.tcp_established = 0);
	REJECT(c.timeouts.tcp_transitory = 0);
	REJECT(c.timeouts.udp = 0);
	REJECT(c.timeouts.icmp = 0);
	REJECT(c.reserved_ports = NULL);
#undef REJECT
	c = tp_config(0, 1);
	assert_null(nat_create(&c, &failing));
	nat_destroy(NULL);

	/* the edge that is fine: one port for this worker */
	c = tp_config(2, 3);
	c.port_min = 1000;
	c.port_max = 1002;
	c.sessions = 8;
	{
		struct nat *n = nat_create(&c, NULL);
		uint8_t pkt[TP_MAX];
		size_t len;

		assert_non_null(n);
		len = tp_udp(pkt, INNER4, 5, REMOTE4, 5, NULL, 0, false);
		assert_int_equal(nat_outbound(n, AF_INET, pkt, len, PEER_A, T0), NAT_OK);
		assert_int_equal(tp_sport(pkt), 1002);
		len = tp_udp(pkt, INNER4, 6, REMOTE4, 5, NULL, 0, false);
		assert_int_equal(nat_outbound(n, AF_INET, pkt, len, PEER_A, T0),
				 NAT_DROP_PORTS_EXHAUSTED);
		nat_destroy(n);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_truncation),
		cmocka_unit_test(test_short_packets),
		cmocka_unit_test(test_broken_headers),
		cmocka_unit_test(test_create_rejects),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
