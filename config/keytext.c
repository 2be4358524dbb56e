/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Key text forms, strict in what they accept: a key that `wg` would refuse is refused here too,
 * so a config or a UAPI message never carries a key that reads differently elsewhere.
 */
#include <stdbool.h>
#include <string.h>

#include <sodium.h>

#include "keytext.h"

int
key_from_base64(uint8_t key[KEY_LEN], const char *text)
{
	const char *end = NULL;
	size_t decoded = 0;

	/* 32 bytes are 43 base64 digits and exactly one '=' of padding. */
	if (text == NULL || strnlen(text, KEY_BASE64_LEN + 1) != KEY_BASE64_LEN ||
	    text[KEY_BASE64_LEN - 1] != '=' || text[KEY_BASE64_LEN - 2] == '=')
		return -1;
	/* libsodium also refuses non-zero bits in the last digit's unused low bits, as wg does. */
	if (sodium_base642bin(key, KEY_LEN, text, KEY_BASE64_LEN, NULL, &decoded, &end,
			      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    decoded != KEY_LEN || end != text + KEY_BASE64_LEN) {
		sodium_memzero(key, KEY_LEN);
		return -1;
	}
	return 0;
}

static bool
is_hex_digit(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

int
key_from_hex(uint8_t key[KEY_LEN], const char *text)
{
	size_t decoded = 0;

	if (text == NULL || strnlen(text, KEY_HEX_LEN + 1) != KEY_HEX_LEN)
		return -1;
	for (size_t i = 0; i < KEY_HEX_LEN; i++) {
		if (!is_hex_digit(text[i]))
			return -1;
	}
	if (sodium_hex2bin(key, KEY_LEN, text, KEY_HEX_LEN, NULL, &decoded, NULL) != 0 ||
	    decoded != KEY_LEN) {
		sodium_memzero(key, KEY_LEN);
		return -1;
	}
	return 0;
}

void
key_to_base64(char buf[KEY_BASE64_LEN + 1], const uint8_t key[KEY_LEN])
{
	sodium_bin2base64(buf, KEY_BASE64_LEN + 1, key, KEY_LEN, sodium_base64_VARIANT_ORIGINAL);
}

void
key_to_hex(char buf[KEY_HEX_LEN + 1], const uint8_t key[KEY_LEN])
{
	sodium_bin2hex(buf, KEY_HEX_LEN + 1, key, KEY_LEN);
}
