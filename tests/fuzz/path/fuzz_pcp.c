/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The port mapper's parsers under libFuzzer: the PCP response parser, the NAT-PMP answer check
 * and the SSDP location rule, on the same input. What each accepts must hold what its caller
 * then relies on.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "pcp.h"
#include "portmap_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct netaddr gateway = {.family = AF_INET, .bytes = {10, 0, 0, 1}};
	struct pcp_response r;
	enum portmap_drop why;
	char url[256];

	if (pcp_parse_response(data, size, &r) == PCP_OK) {
		if (size < PCP_HEADER_LEN || size > PCP_MESSAGE_MAX || size % 4 != 0 ||
		    r.opcode > PCP_OPCODE_PEER)
			abort();
		if (r.has_map) {
			uint8_t request[PCP_MAP_LEN];
			struct pcp_response again;

			if (size < PCP_MAP_LEN || r.map.external.family == 0)
				abort();
			/* what a renewal would send from it: a request, never a response */
			if (pcp_build_map(request, sizeof(request), &gateway, r.lifetime, &r.map) !=
				    PCP_MAP_LEN ||
			    pcp_parse_response(request, sizeof(request), &again) !=
				    PCP_ERR_NOT_RESPONSE)
				abort();
		} else if (r.opcode == PCP_OPCODE_MAP && r.result == PCP_RESULT_SUCCESS) {
			abort(); /* a grant always carries its fields */
		}
	}
	for (uint8_t op = 0; op <= 1; op++) {
		if (!portmap_natpmp_check(data, size, op, 41641, &why)) {
			if ((unsigned)why >= PORTMAP_DROPS)
				abort();
			continue;
		}
		if (size < 8 || data[0] != 0 || data[1] != (0x80 | op))
			abort();
		if ((data[2] | data[3]) == 0 &&
		    (size != (op ? 16u : 12u) || (op == 1 && (data[8] << 8 | data[9]) != 41641)))
			abort();
	}
	if (size < sizeof(url)) {
		memcpy(url, data, size);
		url[size] = '\0';
		if (portmap_url_on_host(url, &gateway) && strncmp(url + 7, "10.0.0.1", 8) != 0)
			abort();
	}
	return 0;
}
