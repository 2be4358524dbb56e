/* SPDX-License-Identifier: BSD-3-Clause */
/* The STUN parsers under libFuzzer; an accepted response must re-encode to the same address. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "stun.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t txid[STUN_TXID_LEN], out[STUN_RESPONSE_MAX];
	struct netendpoint mapped, again;
	int n;

	(void)stun_is_stun(data, size);
	stun_parse_binding_request(data, size, txid);
	if (stun_parse_binding_response(data, size, NULL, &mapped) != STUN_OK)
		return 0;
	if (mapped.addr.family != AF_INET && mapped.addr.family != AF_INET6)
		abort();
	memcpy(txid, data + 8, STUN_TXID_LEN);
	n = stun_build_binding_response(out, sizeof(out), txid, &mapped, "fuzz");
	if (n < 0 || stun_parse_binding_response(out, (size_t)n, txid, &again) != STUN_OK ||
	    again.port != mapped.port || memcmp(again.addr.bytes, mapped.addr.bytes, 16) != 0)
		abort();
	return 0;
}
