/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>
#include <sys/socket.h>

#include <zlib.h>

#include "byteorder.h"
#include "stun.h"

enum {
	ATTR_HEADER_LEN = 4,
	FINGERPRINT_ATTR_LEN = 8,
	FAMILY_IPV4 = 0x01,
	FAMILY_IPV6 = 0x02,
	/* RFC 3489 attributes a classic server may still send; comprehension-required by number
	 * but harmless to a binding client. */
	ATTR_RESPONSE_ADDRESS = 0x0002,
	ATTR_CHANGE_REQUEST = 0x0003,
	ATTR_SOURCE_ADDRESS = 0x0004,
	ATTR_CHANGED_ADDRESS = 0x0005,
	ATTR_USERNAME = 0x0006,
	ATTR_ERROR_CODE = 0x0009,
	ATTR_UNKNOWN_ATTRIBUTES = 0x000a,
	ATTR_REALM = 0x0014,
	ATTR_NONCE = 0x0015,
	ATTR_MESSAGE_INTEGRITY_SHA256 = 0x001c,
	ATTR_PASSWORD_ALGORITHM = 0x001d,
	ATTR_USERHASH = 0x001e,
	ATTR_RESPONSE_PORT = 0x0027,
};

static uint32_t
fingerprint_of(const uint8_t *message, size_t length)
{
	uLong crc = crc32(0L, Z_NULL, 0);

	crc = crc32(crc, message, (uInt)length);
	return (uint32_t)crc ^ STUN_FINGERPRINT_XOR;
}

bool
stun_is_stun(const uint8_t *packet, size_t length)
{
	return length >= STUN_HEADER_LEN && (packet[0] & 0xc0) == 0 &&
	       be32_get(packet + 4) == STUN_MAGIC_COOKIE;
}

static void
write_header(uint8_t *out, uint16_t type, uint16_t attr_length, const uint8_t *txid)
{
	be16_put(out, type);
	be16_put(out + 2, attr_length);
	be32_put(out + 4, STUN_MAGIC_COOKIE);
	memcpy(out + 8, txid, STUN_TXID_LEN);
}

/* Appends FINGERPRINT at offset end; the header length must already count it. */
static void
append_fingerprint(uint8_t *out, size_t end)
{
	be16_put(out + end, STUN_ATTR_FINGERPRINT);
	be16_put(out + end + 2, 4);
	be32_put(out + end + 4, fingerprint_of(out, end));
}

int
stun_build_binding_request(uint8_t *out, size_t size, const uint8_t txid[STUN_TXID_LEN])
{
	if (size < STUN_REQUEST_LEN)
		return STUN_ERR_SPACE;
	write_header(out, STUN_BINDING_REQUEST, FINGERPRINT_ATTR_LEN, txid);
	append_fingerprint(out, STUN_HEADER_LEN);
	return STUN_REQUEST_LEN;
}

int
stun_build_binding_response(uint8_t *out, size_t size, const uint8_t txid[STUN_TXID_LEN],
			    const struct netendpoint *mapped, const char *software)
{
	size_t addr_len, software_len = 0, software_padded = 0, pos, total;
	uint8_t family;

	if (mapped->addr.family == AF_INET) {
		addr_len = 4;
		family = FAMILY_IPV4;
	} else if (mapped->addr.family == AF_INET6) {
		addr_len = 16;
		family = FAMILY_IPV6;
	} else {
		return STUN_ERR_ATTRIBUTE;
	}
	if (software != NULL) {
		software_len = strnlen(software, STUN_SOFTWARE_MAX + 1);
		if (software_len > STUN_SOFTWARE_MAX)
			return STUN_ERR_ATTRIBUTE;
		software_padded = ATTR_HEADER_LEN + ((software_len + 3) & ~(size_t)3);
	}
	total = STUN_HEADER_LEN + ATTR_HEADER_LEN + 4 + addr_len + software_padded +
		FINGERPRINT_ATTR_LEN;
	if (size < total)
		return STUN_ERR_SPACE;

	write_header(out, STUN_BINDING_SUCCESS, (uint16_t)(total - STUN_HEADER_LEN), txid);
	pos = STUN_HEADER_LEN;
	be16_put(out + pos, STUN_ATTR_XOR_MAPPED_ADDRESS);
	be16_put(out + pos + 2, (uint16_t)(4 + addr_len));
	out[pos + 4] = 0;
	out[pos + 5] = family;
	be16_put(out + pos + 6, mapped->port ^ (STUN_MAGIC_COOKIE >> 16));
	/* The address is XORed with the cookie followed by the transaction id (bytes 4..20 of
	 * the header), which for IPv4 is the cookie alone. */
	for (size_t i = 0; i < addr_len; i++)
		out[pos + 8 + i] = mapped->addr.bytes[i] ^ out[4 + i];
	pos += ATTR_HEADER_LEN + 4 + addr_len;
	if (software != NULL) {
		be16_put(out + pos, STUN_ATTR_SOFTWARE);
		be16_put(out + pos + 2, (uint16_t)software_len);
		memcpy(out + pos + 4, software, software_len);
		memset(out + pos + 4 + software_len, 0,
		       software_padded - ATTR_HEADER_LEN - software_len);
		pos += software_padded;
	}
	append_fingerprint(out, pos);
	return (int)total;
}

/* Common header checks; returns the length of the attribute area. */
static int
check_header(const uint8_t *packet, size_t length, uint16_t type)
{
	uint16_t attr_length;

	if (length < STUN_HEADER_LEN)
		return STUN_ERR_SHORT;
	if (!stun_is_stun(packet, length))
		return STUN_ERR_NOT_STUN;
	if (be16_get(packet) != type)
		return STUN_ERR_TYPE;
	attr_length = be16_get(packet + 2);
	if ((attr_length & 3) != 0 || (size_t)attr_length + STUN_HEADER_LEN != length)
		return STUN_ERR_LENGTH;
	return attr_length;
}

static int
parse_address(const uint8_t *packet, const uint8_t *value, uint16_t value_len, bool xored,
	      struct netendpoint *out)
{
	size_t addr_len;

	if (value_len < 4)
		return STUN_ERR_ATTRIBUTE;
	if (value[1] == FAMILY_IPV4) {
		addr_len = 4;
		out->addr.family = AF_INET;
	} else if (value[1] == FAMILY_IPV6) {
		addr_len = 16;
		out->addr.family = AF_INET6;
	} else {
		return STUN_ERR_ATTRIBUTE;
	}
	if (value_len != 4 + addr_len)
		return STUN_ERR_ATTRIBUTE;
	memset(out->addr.bytes, 0, sizeof(out->addr.bytes));
	out->port = be16_get(value + 2);
	for (size_t i = 0; i < addr_len; i++)
		out->addr.bytes[i] = value[4 + i];
	if (xored) {
		out->port ^= STUN_MAGIC_COOKIE >> 16;
		for (size_t i = 0; i < addr_len; i++)
			out->addr.bytes[i] ^= packet[4 + i];
	}
	return STUN_OK;
}

static bool
known_response_attribute(uint16_t type)
{
	switch (type) {
	case STUN_ATTR_MAPPED_ADDRESS:
	case ATTR_RESPONSE_ADDRESS:
	case ATTR_CHANGE_REQUEST:
	case ATTR_SOURCE_ADDRESS:
	case ATTR_CHANGED_ADDRESS:
	case ATTR_USERNAME:
	case STUN_ATTR_MESSAGE_INTEGRITY:
	case ATTR_ERROR_CODE:
	case ATTR_UNKNOWN_ATTRIBUTES:
	case ATTR_REALM:
	case ATTR_NONCE:
	case ATTR_MESSAGE_INTEGRITY_SHA256:
	case ATTR_PASSWORD_ALGORITHM:
	case ATTR_USERHASH:
	case STUN_ATTR_XOR_MAPPED_ADDRESS:
	case ATTR_RESPONSE_PORT:
		return true;
	default:
		/* 0x8000-0xffff are comprehension-optional. */
		return type >= 0x8000;
	}
}

/*
 * Walks the attributes. Checks FINGERPRINT (must be last and correct) and, for a response,
 * collects the mapped address. Attributes after MESSAGE-INTEGRITY other than FINGERPRINT are
 * ignored as RFC 5389 section 15.4 requires.
 */
static int
walk_attributes(const uint8_t *packet, size_t length, bool response, struct netendpoint *mapped)
{
	struct netendpoint plain = {0}, xored = {0};
	bool have_plain = false, have_xored = false, after_integrity = false;
	size_t pos = STUN_HEADER_LEN;
	int rc;

	while (pos < length) {
		uint16_t type, value_len;
		size_t padded;

		if (length - pos < ATTR_HEADER_LEN)
			return STUN_ERR_SHORT;
		type = be16_get(packet + pos);
		value_len = be16_get(packet + pos + 2);
		padded = ((size_t)value_len + 3) & ~(size_t)3;
		if (length - pos - ATTR_HEADER_LEN < padded)
			return STUN_ERR_SHORT;
		if (type == STUN_ATTR_FINGERPRINT) {
			if (value_len != 4 || pos + FINGERPRINT_ATTR_LEN != length)
				return STUN_ERR_FINGERPRINT;
			if (be32_get(packet + pos + 4) != fingerprint_of(packet, pos))
				return STUN_ERR_FINGERPRINT;
		} else if (response && !after_integrity) {
			if (!known_response_attribute(type))
				return STUN_ERR_ATTRIBUTE;
			if (type == STUN_ATTR_XOR_MAPPED_ADDRESS && !have_xored) {
				rc = parse_address(packet, packet + pos + 4, value_len, true,
						   &xored);
				if (rc != STUN_OK)
					return rc;
				have_xored = true;
			} else if (type == STUN_ATTR_MAPPED_ADDRESS && !have_plain) {
				rc = parse_address(packet, packet + pos + 4, value_len, false,
						   &plain);
				if (rc != STUN_OK)
					return rc;
				have_plain = true;
			} else if (type == STUN_ATTR_MESSAGE_INTEGRITY) {
				after_integrity = true;
			}
		}
		pos += ATTR_HEADER_LEN + padded;
	}
	if (!response)
		return STUN_OK;
	if (have_xored)
		*mapped = xored;
	else if (have_plain)
		*mapped = plain;
	else
		return STUN_ERR_NO_ADDRESS;
	return STUN_OK;
}

int
stun_parse_binding_request(const uint8_t *packet, size_t length, uint8_t txid[STUN_TXID_LEN])
{
	int rc = check_header(packet, length, STUN_BINDING_REQUEST);

	if (rc < 0)
		return rc;
	rc = walk_attributes(packet, length, false, NULL);
	if (rc != STUN_OK)
		return rc;
	memcpy(txid, packet + 8, STUN_TXID_LEN);
	return STUN_OK;
}

int
stun_parse_binding_response(const uint8_t *packet, size_t length,
			    const uint8_t txid[STUN_TXID_LEN], struct netendpoint *mapped)
{
	int rc = check_header(packet, length, STUN_BINDING_SUCCESS);

	if (rc < 0)
		return rc;
	if (txid != NULL && memcmp(packet + 8, txid, STUN_TXID_LEN) != 0)
		return STUN_ERR_TXID;
	return walk_attributes(packet, length, true, mapped);
}

const char *
stun_error_name(int error)
{
	switch (error) {
	case STUN_OK:
		return "ok";
	case STUN_ERR_SHORT:
		return "short";
	case STUN_ERR_NOT_STUN:
		return "not STUN";
	case STUN_ERR_TYPE:
		return "unexpected message type";
	case STUN_ERR_LENGTH:
		return "bad length";
	case STUN_ERR_TXID:
		return "transaction id mismatch";
	case STUN_ERR_FINGERPRINT:
		return "bad fingerprint";
	case STUN_ERR_ATTRIBUTE:
		return "bad attribute";
	case STUN_ERR_NO_ADDRESS:
		return "no mapped address";
	case STUN_ERR_SPACE:
		return "buffer too small";
	default:
		return "unknown";
	}
}
