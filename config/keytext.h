/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Text forms of 32-byte WireGuard keys: base64 as `wg` prints them (44 characters with one '='),
 * and lowercase hex as the UAPI protocol carries them (64 characters).
 */
#ifndef EXITGATE_KEYTEXT_H
#define EXITGATE_KEYTEXT_H

#include <stdint.h>

enum {
	KEY_LEN = 32,
	KEY_BASE64_LEN = 44,
	KEY_HEX_LEN = 64,
};

/* Decoders return 0, or -1 when the text is not exactly one key (length, alphabet, padding). */
int key_from_base64(uint8_t key[KEY_LEN], const char *text);
int key_from_hex(uint8_t key[KEY_LEN], const char *text);
/* Encoders write a NUL-terminated string into buf (KEY_BASE64_LEN + 1 or KEY_HEX_LEN + 1). */
void key_to_base64(char buf[KEY_BASE64_LEN + 1], const uint8_t key[KEY_LEN]);
void key_to_hex(char buf[KEY_HEX_LEN + 1], const uint8_t key[KEY_LEN]);

#endif
