/* SPDX-License-Identifier: BSD-3-Clause */
/* The disco codec: protocols.md's vectors (Tailscale's disco_test.go), seal/open round trips
 * between two key pairs, the WireGuard-keyed Hello, and refusals by reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>
#include <sodium.h>

#include "disco.h"

static void
endpoint(struct netendpoint *e, const char *text)
{
	const char *why;

	assert_int_equal(netendpoint_parse(text, e, &why), 0);
}

static void
test_ping_vector(void **state)
{
	struct disco_message m = {.type = DISCO_PING};
	uint8_t out[128];
	static const uint8_t want[] = {0x01, 0x00, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
	struct disco_message back;

	(void)state;
	for (int i = 0; i < DISCO_TXID_LEN; i++)
		m.ping.txid[i] = (uint8_t)(i + 1);
	assert_int_equal(disco_encode(&m, out, sizeof(out)), sizeof(want));
	assert_memory_equal(out, want, sizeof(want));
	assert_int_equal(disco_decode(out, sizeof(want), &back), DISCO_OK);
	assert_int_equal(back.type, DISCO_PING);
	assert_false(back.ping.has_node_key);
	assert_memory_equal(back.ping.txid, m.ping.txid, DISCO_TXID_LEN);

	/* with the node key and padding: 124 bytes on the wire once sealed (protocols.md) */
	m.ping.has_node_key = true;
	memset(m.ping.node_key, 0x42, DISCO_KEY_LEN);
	assert_int_equal(disco_encode(&m, out, sizeof(out)), DISCO_PING_LEN);
	assert_int_equal(DISCO_HEADER_LEN + DISCO_BOX_OVERHEAD + DISCO_PING_LEN, 124);
	m.ping.padding = 20;
	assert_int_equal(disco_encode(&m, out, sizeof(out)), DISCO_PING_LEN + 20);
	assert_int_equal(disco_decode(out, DISCO_PING_LEN + 20, &back), DISCO_OK);
	assert_true(back.ping.has_node_key);
	assert_memory_equal(back.ping.node_key, m.ping.node_key, DISCO_KEY_LEN);
	assert_int_equal(back.ping.padding, 20);
}

static void
test_pong_vector(void **state)
{
	struct disco_message m = {.type = DISCO_PONG}, back;
	uint8_t out[64];
	static const uint8_t want[] = {
		0x02, 0x00, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 2, 3, 4, 5, 0x04, 0xd2,
	};

	(void)state;
	for (int i = 0; i < DISCO_TXID_LEN; i++)
		m.pong.txid[i] = (uint8_t)(i + 1);
	endpoint(&m.pong.src, "2.3.4.5:1234");
	assert_int_equal(disco_encode(&m, out, sizeof(out)), sizeof(want));
	assert_memory_equal(out, want, sizeof(want));
	assert_int_equal(DISCO_HEADER_LEN + DISCO_BOX_OVERHEAD + DISCO_PONG_LEN, 110);
	assert_int_equal(disco_decode(out, sizeof(want), &back), DISCO_OK);
	assert_true(netendpoint_equal(&back.pong.src, &m.pong.src));
	/* one byte short of the source port */
	assert_int_equal(disco_decode(out, sizeof(want) - 1, &back), DISCO_ERR_MALFORMED);
}

static void
test_call_me_maybe_vector(void **state)
{
	struct disco_message m = {.type = DISCO_CALL_ME_MAYBE}, back;
	uint8_t out[128];
	static const uint8_t want[] = {
		0x03, 0x00,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 1, 2, 3, 4, 0x02, 0x37,
		0x20, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x34, 0x56, 0x03, 0x15,
	};

	(void)state;
	m.call_me_maybe.count = 2;
	endpoint(&m.call_me_maybe.endpoints[0], "1.2.3.4:567");
	endpoint(&m.call_me_maybe.endpoints[1], "[2001::3456]:789");
	assert_int_equal(disco_encode(&m, out, sizeof(out)), sizeof(want));
	assert_memory_equal(out, want, sizeof(want));
	assert_int_equal(DISCO_HEADER_LEN + DISCO_BOX_OVERHEAD + 2 + 18 * 1, 98);
	assert_int_equal(disco_decode(out, sizeof(want), &back), DISCO_OK);
	assert_int_equal(back.call_me_maybe.count, 2);
	assert_true(netendpoint_equal(&back.call_me_maybe.endpoints[1],
				      &m.call_me_maybe.endpoints[1]));
	/* a ragged list is "no endpoints" (Tailscale's rule), not an error */
	assert_int_equal(disco_decode(out, sizeof(want) - 1, &back), DISCO_OK);
	assert_int_equal(back.call_me_maybe.count, 0);
}

static void
test_hello_round_trip(void **state)
{
	struct disco_message m = {.type = DISCO_HELLO}, back;
	uint8_t out[1024];
	int len;

	(void)state;
	memset(m.hello.disco_key, 7, DISCO_KEY_LEN);
	m.hello.summary.flags = DISCO_SUMMARY_UDP4 | DISCO_SUMMARY_VARIES4 | DISCO_SUMMARY_CHECKED;
	m.hello.summary.preferred_region = 900;
	m.hello.summary.sequence = 0x01020304;
	m.hello.summary.endpoint_count = 3;
	endpoint(&m.hello.summary.endpoints[0], "2.0.0.1:41641");
	endpoint(&m.hello.summary.endpoints[1], "10.0.0.5:41641");
	endpoint(&m.hello.summary.endpoints[2], "[2001:db8::1]:41641");
	len = disco_encode(&m, out, sizeof(out));
	assert_true(len > 0);
	assert_int_equal(disco_decode(out, (size_t)len, &back), DISCO_OK);
	assert_int_equal(back.hello.summary.flags, m.hello.summary.flags);
	assert_int_equal(back.hello.summary.preferred_region, 900);
	assert_int_equal(back.hello.summary.sequence, 0x01020304);
	assert_int_equal(back.hello.summary.endpoint_count, 3);
	assert_true(netendpoint_equal(&back.hello.summary.endpoints[2],
				      &m.hello.summary.endpoints[2]));
	/* a count that promises more endpoints than follow */
	assert_int_equal(disco_decode(out, (size_t)len - 1, &back), DISCO_ERR_MALFORMED);
	out[2 + 32 + 9] = DISCO_ENDPOINTS_MAX + 1;
	assert_int_equal(disco_decode(out, (size_t)len, &back), DISCO_ERR_MALFORMED);
	/* too much to say */
	m.hello.summary.endpoint_count = DISCO_ENDPOINTS_MAX + 1;
	assert_int_equal(disco_encode(&m, out, sizeof(out)), DISCO_ERR_SPACE);
}

static void
test_seal_open(void **state)
{
	uint8_t a_pub[32], a_priv[32], b_pub[32], b_priv[32], c_pub[32], c_priv[32];
	uint8_t ab[32], ba[32], cb[32], frame[DISCO_FRAME_MAX];
	struct disco_message m = {.type = DISCO_PONG}, back;
	int len;

	(void)state;
	crypto_box_keypair(a_pub, a_priv);
	crypto_box_keypair(b_pub, b_priv);
	crypto_box_keypair(c_pub, c_priv);
	assert_int_equal(disco_shared_key(ab, a_priv, b_pub), DISCO_OK);
	assert_int_equal(disco_shared_key(ba, b_priv, a_pub), DISCO_OK);
	assert_int_equal(disco_shared_key(cb, c_priv, b_pub), DISCO_OK);
	endpoint(&m.pong.src, "[2001:db8::7]:41641");
	len = disco_seal(frame, sizeof(frame), a_pub, ab, &m);
	assert_int_equal(len, 110);
	assert_true(disco_is_disco(frame, (size_t)len));
	assert_memory_equal(disco_sender_key(frame), a_pub, 32);
	assert_int_equal(disco_open(frame, (size_t)len, ba, &back), DISCO_OK);
	assert_int_equal(back.type, DISCO_PONG);
	assert_true(netendpoint_equal(&back.pong.src, &m.pong.src));
	/* the box checked: a third key cannot open it, a flipped byte breaks it */
	assert_int_equal(disco_open(frame, (size_t)len, cb, &back), DISCO_ERR_BOX);
	frame[len - 1] ^= 1;
	assert_int_equal(disco_open(frame, (size_t)len, ba, &back), DISCO_ERR_BOX);
	/* framing refusals */
	assert_int_equal(disco_open(frame, DISCO_HEADER_LEN - 1, ba, &back), DISCO_ERR_SHORT);
	assert_int_equal(disco_open(frame, DISCO_HEADER_LEN + DISCO_BOX_OVERHEAD + 1, ba, &back),
			 DISCO_ERR_SHORT);
	frame[0] = 'X';
	assert_int_equal(disco_open(frame, (size_t)len, ba, &back), DISCO_ERR_NOT_DISCO);
	assert_false(disco_is_disco(frame, (size_t)len));
}

static void
test_unknown_type_in_good_box(void **state)
{
	uint8_t a_pub[32], a_priv[32], b_pub[32], b_priv[32], ab[32], ba[32];
	uint8_t frame[256], plain[4] = {0x07, 0x00, 1, 2}, *nonce;
	struct disco_message back;
	size_t len = DISCO_HEADER_LEN + DISCO_BOX_OVERHEAD + sizeof(plain);

	(void)state;
	crypto_box_keypair(a_pub, a_priv);
	crypto_box_keypair(b_pub, b_priv);
	disco_shared_key(ab, a_priv, b_pub);
	disco_shared_key(ba, b_priv, a_pub);
	memcpy(frame, "TS\xf0\x9f\x92\xac", 6);
	memcpy(frame + 6, a_pub, 32);
	nonce = frame + 38;
	randombytes_buf(nonce, 24);
	crypto_box_easy_afternm(frame + DISCO_HEADER_LEN, plain, sizeof(plain), nonce, ab);
	assert_int_equal(disco_open(frame, len, ba, &back), DISCO_ERR_UNKNOWN_TYPE);
}

static void
test_low_order_key(void **state)
{
	uint8_t priv[32], shared[32], zero[32] = {0};

	(void)state;
	randombytes_buf(priv, sizeof(priv));
	assert_int_equal(disco_shared_key(shared, priv, zero), DISCO_ERR_BAD_KEY);
	assert_string_equal(disco_error_name(DISCO_ERR_BAD_KEY), "bad_key");
	assert_string_equal(disco_type_name(DISCO_CALL_ME_MAYBE), "call-me-maybe");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ping_vector),
		cmocka_unit_test(test_pong_vector),
		cmocka_unit_test(test_call_me_maybe_vector),
		cmocka_unit_test(test_hello_round_trip),
		cmocka_unit_test(test_seal_open),
		cmocka_unit_test(test_unknown_type_in_good_box),
		cmocka_unit_test(test_low_order_key),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
