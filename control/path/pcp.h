/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * PCP, the Port Control Protocol (RFC 6887), as exitgate's port mapper speaks it: MAP requests
 * and responses for one UDP port, and ANNOUNCE (the cheap "is a PCP server there, and what is its
 * epoch" question). The codec is pure: no sockets, no clock, no allocation, no logging, so the
 * port mapper, the unit tests and the fuzzer share it unchanged. Addresses travel as 16 bytes on
 * the wire; IPv4 ones as IPv4-mapped IPv6 (::ffff:a.b.c.d), which this codec converts to and
 * from struct netaddr's AF_INET form.
 */
#ifndef EXITGATE_PCP_H
#define EXITGATE_PCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netaddr.h"

enum {
	PCP_VERSION = 2,
	PCP_SERVER_PORT = 5351,
	PCP_HEADER_LEN = 24,     /* common request and response header */
	PCP_MAP_DATA_LEN = 36,   /* MAP's opcode-specific part */
	PCP_MAP_LEN = PCP_HEADER_LEN + PCP_MAP_DATA_LEN, /* a MAP message without options: 60 */
	PCP_ANNOUNCE_LEN = PCP_HEADER_LEN,
	PCP_MESSAGE_MAX = 1100,  /* RFC 6887 section 7: no PCP message is longer */
	PCP_NONCE_LEN = 12,
	PCP_OPTION_HEADER_LEN = 4,

	PCP_OPCODE_ANNOUNCE = 0,
	PCP_OPCODE_MAP = 1,
	PCP_OPCODE_PEER = 2,
	PCP_RESPONSE_BIT = 0x80, /* set in the opcode byte of every response */

	PCP_PROTOCOL_UDP = 17,
};

/* Result codes of RFC 6887 section 7.4. */
enum pcp_result {
	PCP_RESULT_SUCCESS = 0,
	PCP_RESULT_UNSUPP_VERSION = 1,
	PCP_RESULT_NOT_AUTHORIZED = 2,
	PCP_RESULT_MALFORMED_REQUEST = 3,
	PCP_RESULT_UNSUPP_OPCODE = 4,
	PCP_RESULT_UNSUPP_OPTION = 5,
	PCP_RESULT_MALFORMED_OPTION = 6,
	PCP_RESULT_NETWORK_FAILURE = 7,
	PCP_RESULT_NO_RESOURCES = 8,
	PCP_RESULT_UNSUPP_PROTOCOL = 9,
	PCP_RESULT_USER_EX_QUOTA = 10,
	PCP_RESULT_CANNOT_PROVIDE_EXTERNAL = 11,
	PCP_RESULT_ADDRESS_MISMATCH = 12,
	PCP_RESULT_EXCESSIVE_REMOTE_PEERS = 13,
};

/* Why a datagram was not accepted as a PCP response; callers count drops by it. */
enum pcp_error {
	PCP_OK = 0,
	PCP_ERR_SHORT = -1,        /* shorter than its header or its opcode's fixed part */
	PCP_ERR_LENGTH = -2,       /* longer than 1100 bytes or not a multiple of 4 */
	PCP_ERR_VERSION = -3,      /* not version 2 (version 0 is a NAT-PMP-only server) */
	PCP_ERR_NOT_RESPONSE = -4, /* R bit clear: a request, not an answer */
	PCP_ERR_OPCODE = -5,       /* an opcode this codec does not know */
	PCP_ERR_OPTION = -6,       /* an option runs past the end, or has the reserved code 0 */
	PCP_ERR_SPACE = -7,        /* output buffer too small */
	PCP_ERR_ADDRESS = -8,      /* an address that is neither IPv4 nor IPv6 */
};

/* MAP's opcode-specific fields. In a request external_* are suggestions (port 0 and family 0,
 * the all-zeros address, mean "no preference"); in a response they are what was assigned. */
struct pcp_map {
	uint8_t nonce[PCP_NONCE_LEN];
	uint8_t protocol;
	uint16_t internal_port;
	uint16_t external_port;
	struct netaddr external;
};

struct pcp_response {
	uint8_t version;  /* set even when the parse fails with PCP_ERR_VERSION */
	uint8_t opcode;   /* without the R bit */
	uint8_t result;   /* enum pcp_result */
	uint32_t lifetime;
	uint32_t epoch;   /* the server's "seconds since its state began" */
	bool has_map;     /* a MAP response long enough to carry its fields */
	struct pcp_map map;
	uint16_t option_count; /* options that followed (skipped: none is needed here) */
};

/* A MAP request from client (the address the server sees as our source: RFC 6887 compares them,
 * ADDRESS_MISMATCH otherwise) for lifetime seconds; lifetime 0 deletes the mapping the nonce,
 * protocol and internal port name. Returns the length written (PCP_MAP_LEN) or a pcp_error. */
int pcp_build_map(uint8_t *out, size_t size, const struct netaddr *client, uint32_t lifetime,
		  const struct pcp_map *map);

/* An ANNOUNCE request (lifetime 0): a server answers with its epoch and a result code that says
 * whether it would serve us. Returns PCP_ANNOUNCE_LEN or a pcp_error. */
int pcp_build_announce(uint8_t *out, size_t size, const struct netaddr *client);

/* Parse a datagram as a PCP response (RFC 6887 section 8.3's checks). Error responses shorter
 * than MAP's fixed part are accepted with has_map false; a SUCCESS MAP response must carry it.
 * Returns PCP_OK or a pcp_error. */
int pcp_parse_response(const uint8_t *packet, size_t length, struct pcp_response *out);

/* The 16-byte wire form of an address (IPv4 as ::ffff:a.b.c.d; family 0 as the IPv4 all-zeros
 * ::ffff:0.0.0.0, the "no preference" value RFC 6887 section 11.1 gives for IPv4). */
void pcp_address_put(uint8_t out[16], const struct netaddr *addr);
/* The reverse: IPv4-mapped becomes AF_INET, anything else AF_INET6. */
void pcp_address_get(const uint8_t in[16], struct netaddr *addr);
/* true for :: and ::ffff:0.0.0.0 (what a server sends when it has no address to give) */
bool pcp_address_is_unspecified(const struct netaddr *addr);

const char *pcp_result_name(int result);
const char *pcp_error_name(int error);

#endif
