/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>
#include <sys/socket.h>

#include "byteorder.h"
#include "pcp.h"

enum {
	/* offsets in the common header (RFC 6887 sections 7.1 and 7.2) */
	OFF_VERSION = 0,
	OFF_OPCODE = 1,
	OFF_RESULT = 3,
	OFF_LIFETIME = 4,
	OFF_CLIENT = 8,  /* request: the client's address */
	OFF_EPOCH = 8,   /* response: the server's epoch */
	/* offsets inside MAP's opcode-specific part (RFC 6887 section 11.1) */
	MAP_NONCE = 0,
	MAP_PROTOCOL = 12,
	MAP_INTERNAL_PORT = 16,
	MAP_EXTERNAL_PORT = 18,
	MAP_EXTERNAL_ADDRESS = 20,
	/* the short prefix every PCP message has: enough to tell versions apart */
	PCP_MIN_LEN = 4,
};

static const uint8_t v4mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

void
pcp_address_put(uint8_t out[16], const struct netaddr *addr)
{
	if (addr->family == AF_INET6) {
		memcpy(out, addr->bytes, 16);
		return;
	}
	memcpy(out, v4mapped_prefix, sizeof(v4mapped_prefix));
	if (addr->family == AF_INET)
		memcpy(out + 12, addr->bytes, 4);
	else
		memset(out + 12, 0, 4);
}

void
pcp_address_get(const uint8_t in[16], struct netaddr *addr)
{
	memset(addr, 0, sizeof(*addr));
	if (memcmp(in, v4mapped_prefix, sizeof(v4mapped_prefix)) == 0) {
		addr->family = AF_INET;
		memcpy(addr->bytes, in + 12, 4);
	} else {
		addr->family = AF_INET6;
		memcpy(addr->bytes, in, 16);
	}
}

bool
pcp_address_is_unspecified(const struct netaddr *addr)
{
	static const uint8_t zero[16];

	switch (addr->family) {
	case AF_INET:
		return memcmp(addr->bytes, zero, 4) == 0;
	case AF_INET6:
		return memcmp(addr->bytes, zero, 16) == 0;
	default:
		return true;
	}
}

static int
check_client(const struct netaddr *client)
{
	return client->family == AF_INET || client->family == AF_INET6 ? PCP_OK : PCP_ERR_ADDRESS;
}

static void
write_request_header(uint8_t *out, uint8_t opcode, uint32_t lifetime,
		     const struct netaddr *client)
{
	memset(out, 0, PCP_HEADER_LEN);
	out[OFF_VERSION] = PCP_VERSION;
	out[OFF_OPCODE] = opcode; /* R bit clear: a request */
	be32_put(out + OFF_LIFETIME, lifetime);
	pcp_address_put(out + OFF_CLIENT, client);
}

int
pcp_build_map(uint8_t *out, size_t size, const struct netaddr *client, uint32_t lifetime,
	      const struct pcp_map *map)
{
	uint8_t *data = out + PCP_HEADER_LEN;

	if (size < PCP_MAP_LEN)
		return PCP_ERR_SPACE;
	if (check_client(client) != PCP_OK ||
	    (map->external.family != 0 && check_client(&map->external) != PCP_OK))
		return PCP_ERR_ADDRESS;
	write_request_header(out, PCP_OPCODE_MAP, lifetime, client);
	memset(data, 0, PCP_MAP_DATA_LEN);
	memcpy(data + MAP_NONCE, map->nonce, PCP_NONCE_LEN);
	data[MAP_PROTOCOL] = map->protocol;
	be16_put(data + MAP_INTERNAL_PORT, map->internal_port);
	be16_put(data + MAP_EXTERNAL_PORT, map->external_port);
	pcp_address_put(data + MAP_EXTERNAL_ADDRESS, &map->external);
	return PCP_MAP_LEN;
}

int
pcp_build_announce(uint8_t *out, size_t size, const struct netaddr *client)
{
	if (size < PCP_ANNOUNCE_LEN)
		return PCP_ERR_SPACE;
	if (check_client(client) != PCP_OK)
		return PCP_ERR_ADDRESS;
	write_request_header(out, PCP_OPCODE_ANNOUNCE, 0, client);
	return PCP_ANNOUNCE_LEN;
}

/* Options follow the opcode's fixed part: code (1), reserved (1), length (2), data padded to a
 * multiple of 4. None is needed to use a MAP response, but each must be well formed. */
static int
walk_options(const uint8_t *p, size_t length, uint16_t *count)
{
	size_t at = 0;

	*count = 0;
	while (at < length) {
		size_t data_len, padded;

		if (length - at < PCP_OPTION_HEADER_LEN)
			return PCP_ERR_OPTION;
		if (p[at] == 0) /* code 0 is reserved */
			return PCP_ERR_OPTION;
		data_len = be16_get(p + at + 2);
		padded = (data_len + 3) & ~(size_t)3;
		if (padded > length - at - PCP_OPTION_HEADER_LEN)
			return PCP_ERR_OPTION;
		at += PCP_OPTION_HEADER_LEN + padded;
		(*count)++;
	}
	return PCP_OK;
}

static void
read_map(const uint8_t *data, struct pcp_map *map)
{
	memcpy(map->nonce, data + MAP_NONCE, PCP_NONCE_LEN);
	map->protocol = data[MAP_PROTOCOL];
	map->internal_port = be16_get(data + MAP_INTERNAL_PORT);
	map->external_port = be16_get(data + MAP_EXTERNAL_PORT);
	pcp_address_get(data + MAP_EXTERNAL_ADDRESS, &map->external);
}

int
pcp_parse_response(const uint8_t *packet, size_t length, struct pcp_response *out)
{
	size_t fixed;

	memset(out, 0, sizeof(*out));
	if (length < PCP_MIN_LEN)
		return PCP_ERR_SHORT;
	out->version = packet[OFF_VERSION];
	/* a NAT-PMP-only server answers a PCP request in NAT-PMP (version 0, 8 or 12 bytes):
	 * tell the version apart before the PCP length rules refuse its length */
	if (out->version != PCP_VERSION)
		return PCP_ERR_VERSION;
	if (length > PCP_MESSAGE_MAX || length % 4 != 0)
		return PCP_ERR_LENGTH;
	if ((packet[OFF_OPCODE] & PCP_RESPONSE_BIT) == 0)
		return PCP_ERR_NOT_RESPONSE;
	if (length < PCP_HEADER_LEN)
		return PCP_ERR_SHORT;
	out->opcode = packet[OFF_OPCODE] & (uint8_t)~PCP_RESPONSE_BIT;
	out->result = packet[OFF_RESULT];
	out->lifetime = be32_get(packet + OFF_LIFETIME);
	out->epoch = be32_get(packet + OFF_EPOCH);
	switch (out->opcode) {
	case PCP_OPCODE_ANNOUNCE:
		fixed = PCP_HEADER_LEN;
		break;
	case PCP_OPCODE_MAP:
		if (length < PCP_MAP_LEN) {
			/* an error answer may come without MAP's fields; a grant may not */
			return out->result == PCP_RESULT_SUCCESS ? PCP_ERR_SHORT : PCP_OK;
		}
		read_map(packet + PCP_HEADER_LEN, &out->map);
		out->has_map = true;
		fixed = PCP_MAP_LEN;
		break;
	case PCP_OPCODE_PEER:
		/* we never send PEER; its 56-byte fixed part is checked so a stray one is
		 * refused for its opcode by the caller rather than for its length */
		fixed = PCP_HEADER_LEN + 56;
		if (length < fixed)
			return PCP_ERR_SHORT;
		break;
	default:
		return PCP_ERR_OPCODE;
	}
	return walk_options(packet + fixed, length - fixed, &out->option_count);
}

const char *
pcp_result_name(int result)
{
	static const char *const names[] = {
		[PCP_RESULT_SUCCESS] = "SUCCESS",
		[PCP_RESULT_UNSUPP_VERSION] = "UNSUPP_VERSION",
		[PCP_RESULT_NOT_AUTHORIZED] = "NOT_AUTHORIZED",
		[PCP_RESULT_MALFORMED_REQUEST] = "MALFORMED_REQUEST",
		[PCP_RESULT_UNSUPP_OPCODE] = "UNSUPP_OPCODE",
		[PCP_RESULT_UNSUPP_OPTION] = "UNSUPP_OPTION",
		[PCP_RESULT_MALFORMED_OPTION] = "MALFORMED_OPTION",
		[PCP_RESULT_NETWORK_FAILURE] = "NETWORK_FAILURE",
		[PCP_RESULT_NO_RESOURCES] = "NO_RESOURCES",
		[PCP_RESULT_UNSUPP_PROTOCOL] = "UNSUPP_PROTOCOL",
		[PCP_RESULT_USER_EX_QUOTA] = "USER_EX_QUOTA",
		[PCP_RESULT_CANNOT_PROVIDE_EXTERNAL] = "CANNOT_PROVIDE_EXTERNAL",
		[PCP_RESULT_ADDRESS_MISMATCH] = "ADDRESS_MISMATCH",
		[PCP_RESULT_EXCESSIVE_REMOTE_PEERS] = "EXCESSIVE_REMOTE_PEERS",
	};

	if (result < 0 || (size_t)result >= sizeof(names) / sizeof(names[0]))
		return "unknown";
	return names[result];
}

const char *
pcp_error_name(int error)
{
	switch (error) {
	case PCP_OK:
		return "ok";
	case PCP_ERR_SHORT:
		return "short";
	case PCP_ERR_LENGTH:
		return "length";
	case PCP_ERR_VERSION:
		return "version";
	case PCP_ERR_NOT_RESPONSE:
		return "not_response";
	case PCP_ERR_OPCODE:
		return "opcode";
	case PCP_ERR_OPTION:
		return "option";
	case PCP_ERR_SPACE:
		return "space";
	case PCP_ERR_ADDRESS:
		return "address";
	default:
		return "unknown";
	}
}
