/* SPDX-License-Identifier: BSD-3-Clause */
/* The port mapper's pure decisions: NAT-PMP answers against RFC 6886's layouts (section 3.2
 * public address, 3.3 mapping), the SSDP location rule, usable grants, and the timing (epoch
 * continuity of RFC 6886 3.6 and RFC 6887 8.5, retransmission, renewal, checks, back-off). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "portmap_check.h"
#include "portmap_schedule.h"

#define S PORTMAP_NS_PER_S

/* RFC 6886 section 3.2: public address reply, epoch 1000, 2.0.0.1 */
static const uint8_t public_reply[12] = {0, 0x80, 0, 0, 0, 0, 0x03, 0xe8, 2, 0, 0, 1};
/* section 3.3: UDP mapping reply, internal 41641, external 41641, lifetime 7200 */
static const uint8_t map_reply[16] = {0,    0x81, 0,    0,    0, 0, 0x03, 0xe8,
				      0xa2, 0xa9, 0xa2, 0xa9, 0, 0, 0x1c, 0x20};

static bool
check(const uint8_t *p, size_t n, uint8_t op, enum portmap_drop *why)
{
	return portmap_natpmp_check(p, n, op, 41641, why);
}

static void
test_natpmp_accepts(void **state)
{
	uint8_t refusal[8] = {0, 0x81, 0, 2, 0, 0, 0, 1}; /* NOT_AUTHORIZED, fields undefined */
	enum portmap_drop why;

	(void)state;
	assert_true(check(public_reply, sizeof(public_reply), NATPMP_OP_PUBLIC_ADDRESS, &why));
	assert_true(check(map_reply, sizeof(map_reply), NATPMP_OP_MAP_UDP, &why));
	assert_true(check(refusal, sizeof(refusal), NATPMP_OP_MAP_UDP, &why));
	refusal[1] = 0x80;
	assert_true(check(refusal, sizeof(refusal), NATPMP_OP_PUBLIC_ADDRESS, &why));
}

static void
test_natpmp_refuses(void **state)
{
	static const struct {
		const char *what;
		size_t offset; /* byte changed; SIZE_MAX for none */
		uint8_t value;
		size_t length;
		uint8_t op;
		enum portmap_drop why;
	} cases[] = {
		{"empty", SIZE_MAX, 0, 0, NATPMP_OP_MAP_UDP, PORTMAP_DROP_SHORT},
		{"one byte", SIZE_MAX, 0, 1, NATPMP_OP_MAP_UDP, PORTMAP_DROP_SHORT},
		{"version 2 (PCP)", 0, 2, 16, NATPMP_OP_MAP_UDP, PORTMAP_DROP_VERSION},
		{"a request echoed", 1, 0x01, 16, NATPMP_OP_MAP_UDP, PORTMAP_DROP_NOT_RESPONSE},
		{"answer to the other request", 1, 0x80, 16, NATPMP_OP_MAP_UDP, PORTMAP_DROP_OPCODE},
		{"TCP mapping answer", 1, 0x82, 16, NATPMP_OP_MAP_UDP, PORTMAP_DROP_OPCODE},
		{"no epoch", SIZE_MAX, 0, 6, NATPMP_OP_MAP_UDP, PORTMAP_DROP_SHORT},
		{"success cut at 12", SIZE_MAX, 0, 12, NATPMP_OP_MAP_UDP, PORTMAP_DROP_SHORT},
		{"another internal port", 9, 0xaa, 16, NATPMP_OP_MAP_UDP, PORTMAP_DROP_MISMATCH},
		{"too long", SIZE_MAX, 0, 20, NATPMP_OP_MAP_UDP, PORTMAP_DROP_LENGTH},
		{"refusal too long", 3, 3, 20, NATPMP_OP_MAP_UDP, PORTMAP_DROP_LENGTH},
	};
	uint8_t p[20];
	enum portmap_drop why;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(p, 0, sizeof(p));
		memcpy(p, map_reply, sizeof(map_reply));
		if (cases[i].offset != SIZE_MAX)
			p[cases[i].offset] = cases[i].value;
		why = PORTMAP_DROPS;
		if (check(p, cases[i].length, cases[i].op, &why))
			fail_msg("accepted: %s", cases[i].what);
		if (why != cases[i].why)
			fail_msg("%s: reason %d, expected %d", cases[i].what, why, cases[i].why);
	}
	/* a public address answer of a mapping's length */
	memcpy(p, public_reply, sizeof(public_reply));
	assert_false(check(p, 16, NATPMP_OP_PUBLIC_ADDRESS, &why));
	assert_int_equal(why, PORTMAP_DROP_LENGTH);
	assert_false(check(p, 8, NATPMP_OP_PUBLIC_ADDRESS, &why));
	assert_int_equal(why, PORTMAP_DROP_SHORT);
}

static void
test_url_on_host(void **state)
{
	struct netaddr gw = {.family = AF_INET, .bytes = {10, 0, 0, 1}};
	struct netaddr gw6 = {.family = AF_INET6, .bytes = {0xfd, 0, [15] = 1}};

	(void)state;
	assert_true(portmap_url_on_host("http://10.0.0.1:2189/rootDesc.xml", &gw));
	assert_true(portmap_url_on_host("HTTP://10.0.0.1/rootDesc.xml", &gw));
	assert_true(portmap_url_on_host("http://10.0.0.1", &gw));
	assert_true(portmap_url_on_host("http://[fd00::1]:80/desc", &gw6));
	assert_false(portmap_url_on_host("http://10.0.0.99:2189/rootDesc.xml", &gw));
	assert_false(portmap_url_on_host("http://10.0.0.10:2189/", &gw));
	assert_false(portmap_url_on_host("http://10.0.0.1.evil:80/", &gw));
	assert_false(portmap_url_on_host("https://10.0.0.1/", &gw));
	assert_false(portmap_url_on_host("http://router.lan/desc", &gw));
	assert_false(portmap_url_on_host("http:///desc", &gw));
	assert_false(portmap_url_on_host("http://[fd00::1", &gw6));
	assert_false(portmap_url_on_host("http://[fd00::1]x/", &gw6));
	assert_false(portmap_url_on_host("", &gw));
	assert_false(portmap_url_on_host("http://10.0.0.1:2189/", &gw6));
}

static void
test_external_usable(void **state)
{
	struct netendpoint e = {.addr = {.family = AF_INET, .bytes = {2, 0, 0, 1}}, .port = 41641};

	(void)state;
	assert_true(portmap_external_usable(&e));
	e.port = 0;
	assert_false(portmap_external_usable(&e));
	e.port = 1;
	memset(e.addr.bytes, 0, 4);
	assert_false(portmap_external_usable(&e));
	e.addr.family = AF_INET6;
	assert_false(portmap_external_usable(&e));
	e.addr.bytes[15] = 1;
	assert_true(portmap_external_usable(&e));
	e.addr.family = 0;
	assert_false(portmap_external_usable(&e));
}

static void
test_epoch_natpmp(void **state)
{
	struct portmap_epoch e = {0};
	uint64_t t0 = 100 * S;

	(void)state;
	assert_false(portmap_epoch_lost_natpmp(&e, 0, t0)); /* the first answer is believed */
	portmap_epoch_note(&e, 1000, t0);
	assert_false(portmap_epoch_lost_natpmp(&e, 1000, t0));      /* the same second */
	assert_false(portmap_epoch_lost_natpmp(&e, 1060, t0 + 60 * S)); /* in step */
	/* 7/8 of 64 s is 56 s: 1000 + 56 - 2 is the lowest believed */
	assert_false(portmap_epoch_lost_natpmp(&e, 1054, t0 + 64 * S));
	assert_true(portmap_epoch_lost_natpmp(&e, 1053, t0 + 64 * S));
	assert_true(portmap_epoch_lost_natpmp(&e, 5, t0 + 10 * S));  /* restarted */
	assert_false(portmap_epoch_lost_natpmp(&e, 999, t0));        /* reordered by a second */
	assert_true(portmap_epoch_lost_natpmp(&e, 997, t0));
}

static void
test_epoch_pcp(void **state)
{
	struct portmap_epoch e = {0};
	uint64_t t0 = 100 * S;

	(void)state;
	assert_false(portmap_epoch_lost_pcp(&e, 7, t0));
	portmap_epoch_note(&e, 1000, t0);
	assert_false(portmap_epoch_lost_pcp(&e, 999, t0)); /* back by one second: reordering */
	assert_true(portmap_epoch_lost_pcp(&e, 998, t0));  /* back by more */
	assert_false(portmap_epoch_lost_pcp(&e, 1100, t0 + 100 * S));
	/* client 100 s, server 100 - 100/16 - 2 = 92 or less apart: lost */
	assert_false(portmap_epoch_lost_pcp(&e, 1093, t0 + 100 * S));
	assert_true(portmap_epoch_lost_pcp(&e, 1091, t0 + 100 * S));
	/* the server's clock running fast: server 110 s for client 100 s is 110 - 6 = 104 > 102 */
	assert_true(portmap_epoch_lost_pcp(&e, 1110, t0 + 100 * S));
	assert_false(portmap_epoch_lost_pcp(&e, 1104, t0 + 100 * S));
	assert_true(portmap_epoch_lost_pcp(&e, 3, t0 + 10 * S)); /* restarted */
}

static void
test_schedule(void **state)
{
	uint64_t b = 0;
	const uint64_t expected[] = {5, 10, 20, 40, 80, 160, 300, 300};

	(void)state;
	assert_int_equal(portmap_retry_delay_ns(1), 250 * PORTMAP_NS_PER_MS);
	assert_int_equal(portmap_retry_delay_ns(2), 500 * PORTMAP_NS_PER_MS);
	assert_int_equal(portmap_retry_delay_ns(3), 1000 * PORTMAP_NS_PER_MS);
	assert_int_equal(portmap_renew_at(10 * S, 7200), 10 * S + 3600 * S);
	assert_int_equal(portmap_renew_at(10 * S, 20), 20 * S);
	assert_int_equal(portmap_renew_at(10 * S, 1), 11 * S); /* never sooner than 1 s */
	assert_int_equal(portmap_renew_at(10 * S, 0), 0);      /* permanent */
	assert_int_equal(portmap_expires_at(10 * S, 20), 30 * S);
	assert_int_equal(portmap_expires_at(10 * S, 0), 0);
	assert_int_equal(portmap_check_interval_ns(7200), PORTMAP_CHECK_MAX_S * S);
	assert_int_equal(portmap_check_interval_ns(20), 5 * S);
	assert_int_equal(portmap_check_interval_ns(2), S);
	assert_int_equal(portmap_check_interval_ns(0), PORTMAP_CHECK_MAX_S * S);
	for (size_t i = 0; i < sizeof(expected) / sizeof(expected[0]); i++) {
		b = portmap_backoff_next_ns(b);
		assert_int_equal(b, expected[i] * S);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_natpmp_accepts),
		cmocka_unit_test(test_natpmp_refuses),
		cmocka_unit_test(test_url_on_host),
		cmocka_unit_test(test_external_usable),
		cmocka_unit_test(test_epoch_natpmp),
		cmocka_unit_test(test_epoch_pcp),
		cmocka_unit_test(test_schedule),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
