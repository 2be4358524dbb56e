/* SPDX-License-Identifier: BSD-3-Clause */
/* Key text forms: the RFC 7748 vector keys in both forms, and tables of refused texts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "keytext.h"

/* RFC 7748 section 6.1: Alice's private key, as `wg` and the UAPI would write it */
static const uint8_t alice[KEY_LEN] = {
	0x77, 0x07, 0x6d, 0x0a, 0x73, 0x18, 0xa5, 0x7d, 0x3c, 0x16, 0xc1,
	0x72, 0x51, 0xb2, 0x66, 0x45, 0xdf, 0x4c, 0x2f, 0x87, 0xeb, 0xc0,
	0x99, 0x2a, 0xb1, 0x77, 0xfb, 0xa5, 0x1d, 0xb9, 0x2c, 0x2a,
};
static const char alice_base64[] = "dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo=";
static const char alice_hex[] = "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a";

#define N(table) (sizeof(table) / sizeof((table)[0]))

static void
test_vector(void **state)
{
	uint8_t key[KEY_LEN];
	char base64[KEY_BASE64_LEN + 1];
	char hex[KEY_HEX_LEN + 1];

	(void)state;
	assert_int_equal(key_from_base64(key, alice_base64), 0);
	assert_memory_equal(key, alice, KEY_LEN);
	assert_int_equal(key_from_hex(key, alice_hex), 0);
	assert_memory_equal(key, alice, KEY_LEN);
	key_to_base64(base64, alice);
	assert_string_equal(base64, alice_base64);
	key_to_hex(hex, alice);
	assert_string_equal(hex, alice_hex);
}

static void
test_hex_uppercase(void **state)
{
	static const char mixed[] =
		"77076D0A7318A57D3C16C17251B26645df4c2f87ebc0992ab177fba51db92c2A";
	uint8_t key[KEY_LEN];

	(void)state;
	assert_int_equal(key_from_hex(key, mixed), 0);
	assert_memory_equal(key, alice, KEY_LEN);
}

static void
test_bad_base64(void **state)
{
	static const char *const bad[] = {
		"",
		"dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo",   /* 43: no padding */
		"dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo==", /* 45 */
		"dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCoA",  /* 44 without '=' */
		"dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LC==",  /* two '=': 31 bytes */
		"dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCp=",  /* unused low bits set */
		"dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25L!o=",  /* outside the alphabet */
		"dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25L-o=",  /* URL-safe alphabet */
		"dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25 Co=",  /* space */
		"dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo=\n",
		" dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo=",
		"=dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo",
		"77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a",
	};
	uint8_t key[KEY_LEN];

	(void)state;
	for (size_t i = 0; i < N(bad); i++) {
		if (key_from_base64(key, bad[i]) != -1)
			fail_msg("accepted \"%s\"", bad[i]);
	}
	assert_int_equal(key_from_base64(key, NULL), -1);
}

static void
test_bad_hex(void **state)
{
	static const char *const bad[] = {
		"",
		"77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2",   /* 63 */
		"77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a0", /* 65 */
		"77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2g",
		"77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2 ",
		"0x076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a",
		"dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo=",
	};
	uint8_t key[KEY_LEN];

	(void)state;
	for (size_t i = 0; i < N(bad); i++) {
		if (key_from_hex(key, bad[i]) != -1)
			fail_msg("accepted \"%s\"", bad[i]);
	}
	assert_int_equal(key_from_hex(key, NULL), -1);
}

/* every byte value survives both text forms */
static void
test_round_trip(void **state)
{
	uint8_t key[KEY_LEN], back[KEY_LEN];
	char base64[KEY_BASE64_LEN + 1];
	char hex[KEY_HEX_LEN + 1];

	(void)state;
	for (unsigned int start = 0; start < 256; start += KEY_LEN) {
		for (unsigned int i = 0; i < KEY_LEN; i++)
			key[i] = (uint8_t)(start + i);
		key_to_base64(base64, key);
		assert_int_equal(strlen(base64), KEY_BASE64_LEN);
		assert_int_equal(key_from_base64(back, base64), 0);
		assert_memory_equal(back, key, KEY_LEN);
		key_to_hex(hex, key);
		assert_int_equal(strlen(hex), KEY_HEX_LEN);
		assert_int_equal(key_from_hex(back, hex), 0);
		assert_memory_equal(back, key, KEY_LEN);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vector),
		cmocka_unit_test(test_hex_uppercase),
		cmocka_unit_test(test_bad_base64),
		cmocka_unit_test(test_bad_hex),
		cmocka_unit_test(test_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
