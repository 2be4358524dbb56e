/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Cookies (control/wg/cookie.c): mac1 and mac2 between a maker and a checker, the cookie reply
 * round trip, cookie and secret lifetimes, and replies that must be refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "cookie.h"
#include "fake_env.h"
#include "netaddr.h"

struct fixture {
	struct fake_env env;
	struct wg_crypto *crypto;
	uint8_t responder_private[32], responder_public[32];
	struct cookie_checker checker; /* the responder's */
	struct cookie_maker maker;     /* the initiator's, for the responder's key */
	struct netendpoint source;
	uint8_t msg[WG_MSG_INITIATION_LEN];
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	const char *why;

	if (f == NULL)
		return -1;
	fake_env_init(&f->env, 9);
	f->crypto = wg_crypto_new();
	assert_non_null(f->crypto);
	assert_int_equal(
		wg_crypto_generate_keypair(&f->env.env, f->responder_private, f->responder_public),
		0);
	cookie_checker_init(&f->checker, &f->env.env, f->crypto);
	assert_int_equal(cookie_checker_set_public_key(&f->checker, f->responder_public), 0);
	assert_int_equal(cookie_maker_init(&f->maker, &f->env.env, f->crypto, f->responder_public),
			 0);
	assert_int_equal(netendpoint_parse("192.0.2.7:51820", &f->source, &why), 0);
	randombytes_buf(f->msg, sizeof(f->msg));
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	cookie_checker_wipe(&f->checker);
	cookie_maker_wipe(&f->maker);
	wg_crypto_free(f->crypto);
	free(f);
	return 0;
}

static enum cookie_mac_state
validate(struct fixture *f, bool check_mac2)
{
	return cookie_checker_validate(&f->checker, f->msg, sizeof(f->msg), &f->source, check_mac2);
}

static void
get_cookie(struct fixture *f)
{
	struct wg_msg_cookie_reply reply;

	assert_int_equal(cookie_checker_create_reply(&f->checker, &reply, f->msg, sizeof(f->msg),
						     0x01020304, &f->source),
			 0);
	assert_int_equal(le32toh(reply.type), WG_MSG_COOKIE_REPLY);
	assert_int_equal(le32toh(reply.receiver), 0x01020304);
	assert_int_equal(cookie_maker_consume_reply(&f->maker, &reply), 0);
}

static void
test_mac1(void **state)
{
	struct fixture *f = *state;
	uint8_t zeros[16] = { 0 };

	assert_int_equal(cookie_maker_add_macs(&f->maker, f->msg, sizeof(f->msg)), 0);
	assert_memory_equal(f->msg + 132, zeros, 16); /* no cookie yet: mac2 zero */
	assert_int_equal(validate(f, false), COOKIE_MAC1_VALID);
	assert_int_equal(validate(f, true), COOKIE_MAC1_VALID);
	/* any byte covered by mac1, or mac1 itself */
	f->msg[10] ^= 1;
	assert_int_equal(validate(f, false), COOKIE_MAC1_INVALID);
	f->msg[10] ^= 1;
	f->msg[116] ^= 1;
	assert_int_equal(validate(f, false), COOKIE_MAC1_INVALID);
	f->msg[116] ^= 1;
	/* mac2 is not covered by mac1 */
	f->msg[140] ^= 1;
	assert_int_equal(validate(f, false), COOKIE_MAC1_VALID);
}

static void
test_mac1_for_another_key(void **state)
{
	struct fixture *f = *state;
	uint8_t other[32] = { 9 };
	struct cookie_maker wrong;

	assert_int_equal(cookie_maker_init(&wrong, &f->env.env, f->crypto, other), 0);
	assert_int_equal(cookie_maker_add_macs(&wrong, f->msg, sizeof(f->msg)), 0);
	assert_int_equal(validate(f, false), COOKIE_MAC1_INVALID);
	cookie_maker_wipe(&wrong);
	/* a checker without an identity accepts nothing */
	assert_int_equal(cookie_maker_add_macs(&f->maker, f->msg, sizeof(f->msg)), 0);
	assert_int_equal(cookie_checker_set_public_key(&f->checker, NULL), 0);
	assert_int_equal(validate(f, false), COOKIE_MAC1_INVALID);
}

static void
test_cookie_round_trip(void **state)
{
	struct fixture *f = *state;
	struct netendpoint other_port = f->source;

	assert_int_equal(cookie_maker_add_macs(&f->maker, f->msg, sizeof(f->msg)), 0);
	get_cookie(f);
	assert_int_equal(cookie_maker_add_macs(&f->maker, f->msg, sizeof(f->msg)), 0);
	assert_int_equal(validate(f, true), COOKIE_MAC2_VALID);
	/* mac2 covers mac1 and the body */
	f->msg[120] ^= 1;
	assert_int_equal(validate(f, true), COOKIE_MAC1_INVALID);
	f->msg[120] ^= 1;
	f->msg[135] ^= 1;
	assert_int_equal(validate(f, true), COOKIE_MAC1_VALID);
	f->msg[135] ^= 1;
	/* the cookie belongs to the source address and port */
	other_port.port++;
	assert_int_equal(
		cookie_checker_validate(&f->checker, f->msg, sizeof(f->msg), &other_port, true),
		COOKIE_MAC1_VALID);
}

static void
test_cookie_ipv6_source(void **state)
{
	struct fixture *f = *state;
	const char *why;

	assert_int_equal(netendpoint_parse("[2001:db8::7]:51820", &f->source, &why), 0);
	assert_int_equal(cookie_maker_add_macs(&f->maker, f->msg, sizeof(f->msg)), 0);
	get_cookie(f);
	assert_int_equal(cookie_maker_add_macs(&f->maker, f->msg, sizeof(f->msg)), 0);
	assert_int_equal(validate(f, true), COOKIE_MAC2_VALID);
	f->source.addr.bytes[15] ^= 1;
	assert_int_equal(validate(f, true), COOKIE_MAC1_VALID);
}

static void
test_lifetimes(void **state)
{
	struct fixture *f = *state;
	uint8_t zeros[16] = { 0 };

	assert_int_equal(cookie_maker_add_macs(&f->maker, f->msg, sizeof(f->msg)), 0);
	get_cookie(f);
	/* the initiator uses a cookie for 115 s */
	fake_env_advance_ms(&f->env, 114999);
	assert_int_equal(cookie_maker_add_macs(&f->maker, f->msg, sizeof(f->msg)), 0);
	assert_memory_not_equal(f->msg + 132, zeros, 16);
	assert_int_equal(validate(f, true), COOKIE_MAC2_VALID);
	fake_env_advance_ms(&f->env, 1);
	assert_int_equal(cookie_maker_add_macs(&f->maker, f->msg, sizeof(f->msg)), 0);
	assert_memory_equal(f->msg + 132, zeros, 16);
	/* the responder's secret lives 120 s: a fresh cookie made just before the rotation stops
	 * working right after it */
	get_cookie(f);
	assert_int_equal(cookie_maker_add_macs(&f->maker, f->msg, sizeof(f->msg)), 0);
	fake_env_advance_ms(&f->env, 4999); /* 119.999 s after the secret was made */
	assert_int_equal(validate(f, true), COOKIE_MAC2_VALID);
	fake_env_advance_ms(&f->env, 1);
	assert_int_equal(validate(f, true), COOKIE_MAC1_VALID);
}

static void
test_bad_replies(void **state)
{
	struct fixture *f = *state;
	struct wg_msg_cookie_reply reply, bad;

	/* nothing sent yet: nothing to answer */
	assert_int_equal(cookie_checker_create_reply(&f->checker, &reply, f->msg, sizeof(f->msg), 1,
						     &f->source),
			 0);
	assert_int_equal(cookie_maker_consume_reply(&f->maker, &reply), -1);
	/* a reply to an older message (its mac1 is the additional data) */
	assert_int_equal(cookie_maker_add_macs(&f->maker, f->msg, sizeof(f->msg)), 0);
	assert_int_equal(cookie_checker_create_reply(&f->checker, &reply, f->msg, sizeof(f->msg), 1,
						     &f->source),
			 0);
	f->msg[0] ^= 1;
	assert_int_equal(cookie_maker_add_macs(&f->maker, f->msg, sizeof(f->msg)), 0);
	assert_int_equal(cookie_maker_consume_reply(&f->maker, &reply), -1);
	assert_false(f->maker.has_cookie);
	/* tampered */
	assert_int_equal(cookie_checker_create_reply(&f->checker, &reply, f->msg, sizeof(f->msg), 1,
						     &f->source),
			 0);
	bad = reply;
	bad.encrypted_cookie[0] ^= 1;
	assert_int_equal(cookie_maker_consume_reply(&f->maker, &bad), -1);
	bad = reply;
	bad.nonce[23] ^= 1;
	assert_int_equal(cookie_maker_consume_reply(&f->maker, &bad), -1);
	/* the genuine one works once */
	assert_int_equal(cookie_maker_consume_reply(&f->maker, &reply), 0);
	assert_true(f->maker.has_cookie);
	assert_int_equal(cookie_maker_consume_reply(&f->maker, &reply), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_mac1, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mac1_for_another_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cookie_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cookie_ipv6_source, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lifetimes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_replies, setup, teardown),
	};

	return cmocka_run_group_tests_name("wg_cookie", tests, NULL, NULL);
}
