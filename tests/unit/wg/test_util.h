/* SPDX-License-Identifier: BSD-3-Clause */
/* Small helpers shared by the WireGuard unit tests. */
#ifndef EXITGATE_TESTS_WG_TEST_UTIL_H
#define EXITGATE_TESTS_WG_TEST_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Decode lowercase/uppercase hex of exactly 2 * len digits; returns len, or 0 on bad input. */
static inline size_t
test_hex(uint8_t *out, size_t len, const char *hex)
{
	size_t i;

	if (strlen(hex) != 2 * len)
		return 0;
	for (i = 0; i < len; i++) {
		unsigned int byte;

		if (sscanf(hex + 2 * i, "%2x", &byte) != 1)
			return 0;
		out[i] = (uint8_t)byte;
	}
	return len;
}

#endif
