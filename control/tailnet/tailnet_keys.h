/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tailscale's key texts ("nodekey:", "discokey:", "mkey:", "privkey:" + 64 lowercase hex,
 * types/key) and the machine key file in the state directory: "privkey:<hex>\n", mode 0600,
 * created when missing; a file that group or others may read is refused, as config key files are.
 */
#ifndef EXITGATE_TAILNET_KEYS_H
#define EXITGATE_TAILNET_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
	TAILNET_KEY_HEX_LEN = 64,
	TAILNET_KEY_TEXT_MAX = 10 + TAILNET_KEY_HEX_LEN + 1, /* "discokey:" + hex + NUL */
};

/* Parse prefix + 64 hex digits (either case); -1 otherwise. */
int tailnet_key_parse(const char *text, const char *prefix, uint8_t key[32]);
/* Write prefix + 64 lowercase hex + NUL. */
void tailnet_key_format(char *out, size_t size, const char *prefix, const uint8_t key[32]);

/*
 * Load dir/machine.key, or create it (and dir, mode 0700) with a fresh clamped key when it
 * does not exist. *created says which. Returns 0, or -1 with the reason in why.
 */
int tailnet_machine_key_load(const char *dir, uint8_t private_key[32], bool *created, char *why,
			     size_t why_size);

#endif
