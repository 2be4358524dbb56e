/* SPDX-License-Identifier: BSD-3-Clause */
/* PCP codec: requests byte for byte against RFC 6887's layouts (sections 7.1, 7.2, 11.1),
 * responses built the same way, and every refusal of the parser. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "pcp.h"

static const uint8_t nonce[PCP_NONCE_LEN] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};

static struct netaddr
v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	struct netaddr n = {.family = AF_INET, .bytes = {a, b, c, d}};

	return n;
}

/* MAP request, RFC 6887 figure 2 (common header) + figure 9 (MAP): client 10.0.0.2, lifetime
 * 7200, UDP, internal 41641, suggested external 41641 and no address preference. */
static const uint8_t map_request_vector[PCP_MAP_LEN] = {
	0x02, 0x01, 0x00, 0x00,                         /* version 2, R=0 opcode MAP, reserved */
	0x00, 0x00, 0x1c, 0x20,                         /* requested lifetime 7200 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 2, /* client ::ffff:10.0.0.2 */
	1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,          /* mapping nonce */
	0x11, 0x00, 0x00, 0x00,                         /* protocol 17, reserved */
	0xa2, 0xa9, 0xa2, 0xa9,                         /* internal port, suggested external port */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 0, /* suggested ::ffff:0.0.0.0 */
};

/* MAP response, RFC 6887 figure 3 + figure 9: SUCCESS, lifetime 7200, epoch 1234, assigned
 * 2.0.0.1:50000. */
static const uint8_t map_response_vector[PCP_MAP_LEN] = {
	0x02, 0x81, 0x00, 0x00,                         /* version, R=1 MAP, reserved, SUCCESS */
	0x00, 0x00, 0x1c, 0x20,                         /* lifetime 7200 */
	0x00, 0x00, 0x04, 0xd2,                         /* epoch 1234 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,             /* reserved */
	1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
	0x11, 0x00, 0x00, 0x00,
	0xa2, 0xa9, 0xc3, 0x50,                         /* internal 41641, assigned 50000 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 2, 0, 0, 1,
};

static void
test_map_request_layout(void **state)
{
	struct netaddr client = v4(10, 0, 0, 2);
	struct pcp_map map = {.protocol = PCP_PROTOCOL_UDP, .internal_port = 41641,
			      .external_port = 41641};
	uint8_t out[PCP_MAP_LEN + 8];

	(void)state;
	memcpy(map.nonce, nonce, sizeof(nonce));
	assert_int_equal(pcp_build_map(out, sizeof(out), &client, 7200, &map), PCP_MAP_LEN);
	assert_memory_equal(out, map_request_vector, PCP_MAP_LEN);
	/* a deletion is the same request with lifetime 0 */
	assert_int_equal(pcp_build_map(out, sizeof(out), &client, 0, &map), PCP_MAP_LEN);
	assert_memory_equal(out + 8, map_request_vector + 8, PCP_MAP_LEN - 8);
	assert_int_equal(out[4] | out[5] | out[6] | out[7], 0);
	/* a suggested external address goes in IPv4-mapped */
	map.external = v4(2, 0, 0, 1);
	assert_int_equal(pcp_build_map(out, sizeof(out), &client, 7200, &map), PCP_MAP_LEN);
	{
		static const uint8_t gw[4] = {2, 0, 0, 1};

		assert_memory_equal(out + 56, gw, 4);
	}
	assert_int_equal(pcp_build_map(out, PCP_MAP_LEN - 1, &client, 7200, &map), PCP_ERR_SPACE);
	client.family = 0;
	assert_int_equal(pcp_build_map(out, sizeof(out), &client, 7200, &map), PCP_ERR_ADDRESS);
}

static void
test_announce_request_layout(void **state)
{
	struct netaddr client = {.family = AF_INET6,
				 .bytes = {0x20, 0x01, 0x0d, 0xb8, [15] = 0x02}};
	uint8_t expected[PCP_ANNOUNCE_LEN] = {0x02, 0x00, 0, 0, 0, 0, 0, 0, 0x20, 0x01, 0x0d, 0xb8,
					      [23] = 0x02};
	uint8_t out[PCP_ANNOUNCE_LEN];

	(void)state;
	assert_int_equal(pcp_build_announce(out, sizeof(out), &client), PCP_ANNOUNCE_LEN);
	assert_memory_equal(out, expected, sizeof(expected));
	assert_int_equal(pcp_build_announce(out, sizeof(out) - 1, &client), PCP_ERR_SPACE);
}

static void
test_map_response(void **state)
{
	struct pcp_response r;
	struct netaddr gw = v4(2, 0, 0, 1);

	(void)state;
	assert_int_equal(pcp_parse_response(map_response_vector, sizeof(map_response_vector), &r),
			 PCP_OK);
	assert_int_equal(r.version, 2);
	assert_int_equal(r.opcode, PCP_OPCODE_MAP);
	assert_int_equal(r.result, PCP_RESULT_SUCCESS);
	assert_int_equal(r.lifetime, 7200);
	assert_int_equal(r.epoch, 1234);
	assert_true(r.has_map);
	assert_memory_equal(r.map.nonce, nonce, sizeof(nonce));
	assert_int_equal(r.map.protocol, 17);
	assert_int_equal(r.map.internal_port, 41641);
	assert_int_equal(r.map.external_port, 50000);
	assert_true(netaddr_equal(&r.map.external, &gw));
	assert_int_equal(r.option_count, 0);
}

static void
test_map_response_ipv6_and_options(void **state)
{
	uint8_t p[PCP_MAP_LEN + 20];
	struct pcp_response r;

	(void)state;
	memcpy(p, map_response_vector, PCP_MAP_LEN);
	memset(p + 44, 0, 16);
	p[44] = 0x20, p[45] = 0x01, p[46] = 0x0d, p[47] = 0xb8, p[59] = 0x07;
	/* THIRD_PARTY (code 1), 16 bytes of address: a well-formed option, skipped */
	p[PCP_MAP_LEN] = 1, p[PCP_MAP_LEN + 1] = 0, p[PCP_MAP_LEN + 2] = 0, p[PCP_MAP_LEN + 3] = 16;
	memset(p + PCP_MAP_LEN + 4, 0xaa, 16);
	assert_int_equal(pcp_parse_response(p, sizeof(p), &r), PCP_OK);
	assert_int_equal(r.map.external.family, AF_INET6);
	assert_int_equal(r.map.external.bytes[0], 0x20);
	assert_int_equal(r.map.external.bytes[15], 0x07);
	assert_int_equal(r.option_count, 1);
	/* an option whose length runs past the end */
	p[PCP_MAP_LEN + 3] = 17;
	assert_int_equal(pcp_parse_response(p, sizeof(p), &r), PCP_ERR_OPTION);
	/* the reserved option code 0 */
	p[PCP_MAP_LEN + 3] = 16;
	p[PCP_MAP_LEN] = 0;
	assert_int_equal(pcp_parse_response(p, sizeof(p), &r), PCP_ERR_OPTION);
	/* an option header cut short */
	p[PCP_MAP_LEN] = 1;
	assert_int_equal(pcp_parse_response(p, PCP_MAP_LEN + 4 + 16 - 16, &r), PCP_ERR_OPTION);
}

static void
test_announce_and_error_responses(void **state)
{
	uint8_t announce[PCP_HEADER_LEN] = {0x02, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0x30, 0x39};
	uint8_t refused[PCP_HEADER_LEN] = {0x02, 0x81, 0, PCP_RESULT_NOT_AUTHORIZED};
	struct pcp_response r;

	(void)state;
	assert_int_equal(pcp_parse_response(announce, sizeof(announce), &r), PCP_OK);
	assert_int_equal(r.opcode, PCP_OPCODE_ANNOUNCE);
	assert_int_equal(r.epoch, 12345);
	assert_false(r.has_map);
	/* an error answer to MAP may come without MAP's fields */
	assert_int_equal(pcp_parse_response(refused, sizeof(refused), &r), PCP_OK);
	assert_int_equal(r.result, PCP_RESULT_NOT_AUTHORIZED);
	assert_false(r.has_map);
	/* a success may not */
	refused[3] = 0;
	assert_int_equal(pcp_parse_response(refused, sizeof(refused), &r), PCP_ERR_SHORT);
}

static void
test_refusals(void **state)
{
	uint8_t p[PCP_MESSAGE_MAX + 4];
	struct pcp_response r;

	(void)state;
	memset(p, 0, sizeof(p));
	memcpy(p, map_response_vector, PCP_MAP_LEN);
	assert_int_equal(pcp_parse_response(p, 3, &r), PCP_ERR_SHORT);
	assert_int_equal(pcp_parse_response(p, 20, &r), PCP_ERR_SHORT);
	assert_int_equal(pcp_parse_response(p, PCP_MAP_LEN - 4, &r), PCP_ERR_SHORT);
	assert_int_equal(pcp_parse_response(p, PCP_MAP_LEN + 2, &r), PCP_ERR_LENGTH);
	assert_int_equal(pcp_parse_response(p, PCP_MESSAGE_MAX + 4, &r), PCP_ERR_LENGTH);
	p[1] = 0x01; /* R bit clear: a request */
	assert_int_equal(pcp_parse_response(p, PCP_MAP_LEN, &r), PCP_ERR_NOT_RESPONSE);
	p[1] = 0x85; /* unknown opcode */
	assert_int_equal(pcp_parse_response(p, PCP_MAP_LEN, &r), PCP_ERR_OPCODE);
	p[1] = 0x82; /* PEER: 80-byte fixed part */
	assert_int_equal(pcp_parse_response(p, PCP_MAP_LEN, &r), PCP_ERR_SHORT);
	p[1] = 0x81;
	p[0] = 0; /* a NAT-PMP-only server's answer: 8 bytes, version 0, "unsupported version" */
	p[3] = 1;
	assert_int_equal(pcp_parse_response(p, 8, &r), PCP_ERR_VERSION);
	assert_int_equal(r.version, 0);
	p[0] = 1;
	assert_int_equal(pcp_parse_response(p, PCP_MAP_LEN, &r), PCP_ERR_VERSION);
	assert_int_equal(r.version, 1);
}

static void
test_addresses_and_names(void **state)
{
	uint8_t wire[16];
	struct netaddr a = v4(192, 0, 2, 1), back, none = {0};

	(void)state;
	static const uint8_t mapped[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1};

	pcp_address_put(wire, &a);
	assert_memory_equal(wire, mapped, 16);
	pcp_address_get(wire, &back);
	assert_true(netaddr_equal(&a, &back));
	pcp_address_put(wire, &none);
	pcp_address_get(wire, &back);
	assert_int_equal(back.family, AF_INET);
	assert_true(pcp_address_is_unspecified(&back));
	assert_false(pcp_address_is_unspecified(&a));
	memset(wire, 0, 16);
	pcp_address_get(wire, &back);
	assert_int_equal(back.family, AF_INET6);
	assert_true(pcp_address_is_unspecified(&back));
	assert_string_equal(pcp_result_name(PCP_RESULT_ADDRESS_MISMATCH), "ADDRESS_MISMATCH");
	assert_string_equal(pcp_result_name(200), "unknown");
	assert_string_equal(pcp_error_name(PCP_ERR_NOT_RESPONSE), "not_response");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_map_request_layout),
		cmocka_unit_test(test_announce_request_layout),
		cmocka_unit_test(test_map_response),
		cmocka_unit_test(test_map_response_ipv6_and_options),
		cmocka_unit_test(test_announce_and_error_responses),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_addresses_and_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
