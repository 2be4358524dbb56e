/* SPDX-License-Identifier: BSD-3-Clause */
/* STUN codec: the RFC 5769 sample messages, round trips, and every refusal path. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "stun.h"

/* RFC 5769 section 2.1: sample request (SOFTWARE, PRIORITY, ICE-CONTROLLED, USERNAME,
 * MESSAGE-INTEGRITY, FINGERPRINT). */
static const uint8_t rfc5769_request[] = {
	0x00, 0x01, 0x00, 0x58, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01,
	0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x10,
	0x53, 0x54, 0x55, 0x4e, 0x20, 0x74, 0x65, 0x73, 0x74, 0x20, 0x63, 0x6c,
	0x69, 0x65, 0x6e, 0x74, 0x00, 0x24, 0x00, 0x04, 0x6e, 0x00, 0x01, 0xff,
	0x80, 0x29, 0x00, 0x08, 0x93, 0x2f, 0xf9, 0xb1, 0x51, 0x26, 0x3b, 0x36,
	0x00, 0x06, 0x00, 0x09, 0x65, 0x76, 0x74, 0x6a, 0x3a, 0x68, 0x36, 0x76,
	0x59, 0x20, 0x20, 0x20, 0x00, 0x08, 0x00, 0x14, 0x9a, 0xea, 0xa7, 0x0c,
	0xbf, 0xd8, 0xcb, 0x56, 0x78, 0x1e, 0xf2, 0xb5, 0xb2, 0xd3, 0xf2, 0x49,
	0xc1, 0xb5, 0x71, 0xa2, 0x80, 0x28, 0x00, 0x04, 0xe5, 0x7a, 0x3b, 0xcf,
};

/* RFC 5769 section 2.2: sample IPv4 response, mapped 192.0.2.1:32853. */
static const uint8_t rfc5769_response_v4[] = {
	0x01, 0x01, 0x00, 0x3c, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01,
	0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x0b,
	0x74, 0x65, 0x73, 0x74, 0x20, 0x76, 0x65, 0x63, 0x74, 0x6f, 0x72, 0x20,
	0x00, 0x20, 0x00, 0x08, 0x00, 0x01, 0xa1, 0x47, 0xe1, 0x12, 0xa6, 0x43,
	0x00, 0x08, 0x00, 0x14, 0x2b, 0x91, 0xf5, 0x99, 0xfd, 0x9e, 0x90, 0xc3,
	0x8c, 0x74, 0x89, 0xf9, 0x2a, 0xf9, 0xba, 0x53, 0xf0, 0x6b, 0xe7, 0xd7,
	0x80, 0x28, 0x00, 0x04, 0xc0, 0x7d, 0x4c, 0x96,
};

/* RFC 5769 section 2.3: sample IPv6 response, mapped
 * [2001:db8:1234:5678:11:2233:4455:6677]:32853. */
static const uint8_t rfc5769_response_v6[] = {
	0x01, 0x01, 0x00, 0x48, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01,
	0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x0b,
	0x74, 0x65, 0x73, 0x74, 0x20, 0x76, 0x65, 0x63, 0x74, 0x6f, 0x72, 0x20,
	0x00, 0x20, 0x00, 0x14, 0x00, 0x02, 0xa1, 0x47, 0x01, 0x13, 0xa9, 0xfa,
	0xa5, 0xd3, 0xf1, 0x79, 0xbc, 0x25, 0xf4, 0xb5, 0xbe, 0xd2, 0xb9, 0xd9,
	0x00, 0x08, 0x00, 0x14, 0xa3, 0x82, 0x95, 0x4e, 0x4b, 0xe6, 0x7b, 0xf1,
	0x17, 0x84, 0xc9, 0x7c, 0x82, 0x92, 0xc2, 0x75, 0xbf, 0xe3, 0xed, 0x41,
	0x80, 0x28, 0x00, 0x04, 0xc8, 0xfb, 0x0b, 0x4c,
};

static const uint8_t rfc5769_txid[STUN_TXID_LEN] = {
	0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae,
};

static void
endpoint_v4(struct netendpoint *e, const char *text, uint16_t port)
{
	memset(e, 0, sizeof(*e));
	e->addr.family = AF_INET;
	assert_int_equal(inet_pton(AF_INET, text, e->addr.bytes), 1);
	e->port = port;
}

static void
endpoint_v6(struct netendpoint *e, const char *text, uint16_t port)
{
	memset(e, 0, sizeof(*e));
	e->addr.family = AF_INET6;
	assert_int_equal(inet_pton(AF_INET6, text, e->addr.bytes), 1);
	e->port = port;
}

static void
test_rfc5769_request(void **state)
{
	uint8_t txid[STUN_TXID_LEN];

	(void)state;
	assert_true(stun_is_stun(rfc5769_request, sizeof(rfc5769_request)));
	assert_int_equal(stun_parse_binding_request(rfc5769_request, sizeof(rfc5769_request),
						    txid), STUN_OK);
	assert_memory_equal(txid, rfc5769_txid, STUN_TXID_LEN);
}

static void
test_rfc5769_response_v4(void **state)
{
	struct netendpoint got, want;

	(void)state;
	endpoint_v4(&want, "192.0.2.1", 32853);
	assert_int_equal(stun_parse_binding_response(rfc5769_response_v4,
						     sizeof(rfc5769_response_v4), rfc5769_txid,
						     &got), STUN_OK);
	assert_int_equal(got.addr.family, AF_INET);
	assert_int_equal(got.port, 32853);
	assert_memory_equal(got.addr.bytes, want.addr.bytes, 16);
	/* Any transaction id is accepted when the caller gives none. */
	assert_int_equal(stun_parse_binding_response(rfc5769_response_v4,
						     sizeof(rfc5769_response_v4), NULL, &got),
			 STUN_OK);
}

static void
test_rfc5769_response_v6(void **state)
{
	struct netendpoint got, want;

	(void)state;
	endpoint_v6(&want, "2001:db8:1234:5678:11:2233:4455:6677", 32853);
	assert_int_equal(stun_parse_binding_response(rfc5769_response_v6,
						     sizeof(rfc5769_response_v6), rfc5769_txid,
						     &got), STUN_OK);
	assert_int_equal(got.addr.family, AF_INET6);
	assert_int_equal(got.port, 32853);
	assert_memory_equal(got.addr.bytes, want.addr.bytes, 16);
}

static void
test_rfc5769_corrupted(void **state)
{
	uint8_t copy[sizeof(rfc5769_response_v4)];
	struct netendpoint got;

	(void)state;
	/* One flipped bit in the SOFTWARE text breaks the FINGERPRINT. */
	memcpy(copy, rfc5769_response_v4, sizeof(copy));
	copy[25] ^= 0x01;
	assert_int_equal(stun_parse_binding_response(copy, sizeof(copy), NULL, &got),
			 STUN_ERR_FINGERPRINT);
	/* Another transaction id. */
	memcpy(copy, rfc5769_response_v4, sizeof(copy));
	copy[19] ^= 0x80;
	assert_int_equal(stun_parse_binding_response(copy, sizeof(copy), rfc5769_txid, &got),
			 STUN_ERR_TXID);
	/* A request is not a response, and a response is not a request. */
	assert_int_equal(stun_parse_binding_response(rfc5769_request, sizeof(rfc5769_request),
						     NULL, &got), STUN_ERR_TYPE);
	assert_int_equal(stun_parse_binding_request(rfc5769_response_v4,
						    sizeof(rfc5769_response_v4), copy),
			 STUN_ERR_TYPE);
	/* Truncated datagrams. */
	for (size_t n = 0; n < sizeof(rfc5769_response_v4); n++)
		assert_int_not_equal(stun_parse_binding_response(rfc5769_response_v4, n, NULL,
								 &got), STUN_OK);
}

static void
test_request_round_trip(void **state)
{
	uint8_t txid[STUN_TXID_LEN], back[STUN_TXID_LEN], msg[64];
	int n;

	(void)state;
	for (int i = 0; i < STUN_TXID_LEN; i++)
		txid[i] = (uint8_t)(0xa0 + i);
	assert_int_equal(stun_build_binding_request(msg, STUN_REQUEST_LEN - 1, txid),
			 STUN_ERR_SPACE);
	n = stun_build_binding_request(msg, sizeof(msg), txid);
	assert_int_equal(n, STUN_REQUEST_LEN);
	/* Header: type, length 8 (FINGERPRINT only), cookie, txid. */
	assert_int_equal(msg[0], 0x00);
	assert_int_equal(msg[1], 0x01);
	assert_int_equal(msg[2], 0x00);
	assert_int_equal(msg[3], 0x08);
	assert_int_equal(msg[4], 0x21);
	assert_int_equal(msg[7], 0x42);
	assert_int_equal(msg[20], 0x80);
	assert_int_equal(msg[21], 0x28);
	assert_true(stun_is_stun(msg, (size_t)n));
	assert_int_equal(stun_parse_binding_request(msg, (size_t)n, back), STUN_OK);
	assert_memory_equal(back, txid, STUN_TXID_LEN);
	msg[n - 1] ^= 1;
	assert_int_equal(stun_parse_binding_request(msg, (size_t)n, back), STUN_ERR_FINGERPRINT);
}

static void
test_response_round_trip(void **state)
{
	uint8_t msg[STUN_RESPONSE_MAX];
	struct netendpoint in, out;
	int n;

	(void)state;
	endpoint_v4(&in, "203.0.113.77", 41641);
	n = stun_build_binding_response(msg, sizeof(msg), rfc5769_txid, &in, "exitgate");
	/* 20 header + 12 XOR-MAPPED-ADDRESS + 12 SOFTWARE + 8 FINGERPRINT */
	assert_int_equal(n, 52);
	assert_int_equal(stun_parse_binding_response(msg, (size_t)n, rfc5769_txid, &out),
			 STUN_OK);
	assert_int_equal(out.addr.family, AF_INET);
	assert_int_equal(out.port, 41641);
	assert_memory_equal(out.addr.bytes, in.addr.bytes, 16);

	endpoint_v6(&in, "2001:db8::1:2:3", 3478);
	n = stun_build_binding_response(msg, sizeof(msg), rfc5769_txid, &in, NULL);
	assert_int_equal(n, 20 + 24 + 8);
	assert_int_equal(stun_parse_binding_response(msg, (size_t)n, rfc5769_txid, &out),
			 STUN_OK);
	assert_int_equal(out.addr.family, AF_INET6);
	assert_int_equal(out.port, 3478);
	assert_memory_equal(out.addr.bytes, in.addr.bytes, 16);

	assert_int_equal(stun_build_binding_response(msg, 40, rfc5769_txid, &in, NULL),
			 STUN_ERR_SPACE);
	in.addr.family = 0;
	assert_int_equal(stun_build_binding_response(msg, sizeof(msg), rfc5769_txid, &in, NULL),
			 STUN_ERR_ATTRIBUTE);
}

/* A hand-made response with MAPPED-ADDRESS only (no FINGERPRINT): the fallback. */
static void
test_mapped_address_fallback(void **state)
{
	uint8_t msg[] = {
		0x01, 0x01, 0x00, 0x0c, 0x21, 0x12, 0xa4, 0x42, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
		12, 0x00, 0x01, 0x00, 0x08, 0x00, 0x01, 0x0d, 0x96, 10, 1, 2, 3,
	};
	struct netendpoint out;

	(void)state;
	assert_int_equal(stun_parse_binding_response(msg, sizeof(msg), NULL, &out), STUN_OK);
	assert_int_equal(out.addr.family, AF_INET);
	assert_int_equal(out.port, 3478);
	assert_int_equal(out.addr.bytes[0], 10);
	assert_int_equal(out.addr.bytes[3], 3);
	/* Unknown family. */
	msg[25] = 3;
	assert_int_equal(stun_parse_binding_response(msg, sizeof(msg), NULL, &out),
			 STUN_ERR_ATTRIBUTE);
	/* Unknown comprehension-required attribute: the response is discarded. */
	msg[25] = 1;
	msg[21] = 0x7f;
	assert_int_equal(stun_parse_binding_response(msg, sizeof(msg), NULL, &out),
			 STUN_ERR_ATTRIBUTE);
	/* Comprehension-optional unknown attribute only: no address. */
	msg[20] = 0x80;
	assert_int_equal(stun_parse_binding_response(msg, sizeof(msg), NULL, &out),
			 STUN_ERR_NO_ADDRESS);
	/* Attribute length running past the end. */
	msg[20] = 0x00;
	msg[21] = 0x01;
	msg[23] = 0x0c;
	assert_int_equal(stun_parse_binding_response(msg, sizeof(msg), NULL, &out),
			 STUN_ERR_SHORT);
	/* Header length not matching the datagram. */
	msg[3] = 0x10;
	assert_int_equal(stun_parse_binding_response(msg, sizeof(msg), NULL, &out),
			 STUN_ERR_LENGTH);
}

static void
test_classify(void **state)
{
	uint8_t wg[32] = {4, 0, 0, 0};
	uint8_t msg[STUN_REQUEST_LEN];

	(void)state;
	assert_int_equal(stun_build_binding_request(msg, sizeof(msg), rfc5769_txid),
			 STUN_REQUEST_LEN);
	assert_true(stun_is_stun(msg, sizeof(msg)));
	assert_false(stun_is_stun(msg, 19));
	assert_false(stun_is_stun(wg, sizeof(wg)));
	msg[0] |= 0x40;
	assert_false(stun_is_stun(msg, sizeof(msg)));
	msg[0] &= 0x3f;
	msg[5] = 0;
	assert_false(stun_is_stun(msg, sizeof(msg)));
	assert_int_equal(stun_parse_binding_request(msg, sizeof(msg), wg), STUN_ERR_NOT_STUN);
	assert_string_equal(stun_error_name(STUN_ERR_FINGERPRINT), "bad fingerprint");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc5769_request),
		cmocka_unit_test(test_rfc5769_response_v4),
		cmocka_unit_test(test_rfc5769_response_v6),
		cmocka_unit_test(test_rfc5769_corrupted),
		cmocka_unit_test(test_request_round_trip),
		cmocka_unit_test(test_response_round_trip),
		cmocka_unit_test(test_mapped_address_fallback),
		cmocka_unit_test(test_classify),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
