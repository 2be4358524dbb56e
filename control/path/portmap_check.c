/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "portmap_check.h"

static inline uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

bool
portmap_natpmp_check(const uint8_t *packet, size_t length, uint8_t request_opcode,
		     uint16_t internal_port, enum portmap_drop *why)
{
	size_t exact = request_opcode == NATPMP_OP_MAP_UDP ? NATPMP_MAP_REPLY_LEN
							   : NATPMP_PUBLIC_ADDRESS_REPLY_LEN;

	if (length < 2) {
		*why = PORTMAP_DROP_SHORT;
		return false;
	}
	if (packet[0] != NATPMP_VERSION) {
		*why = PORTMAP_DROP_VERSION;
		return false;
	}
	if ((packet[1] & NATPMP_OP_REPLY) == 0) {
		*why = PORTMAP_DROP_NOT_RESPONSE;
		return false;
	}
	if (packet[1] != (NATPMP_OP_REPLY | request_opcode)) {
		*why = PORTMAP_DROP_OPCODE;
		return false;
	}
	if (length < NATPMP_ERROR_REPLY_MIN) {
		*why = PORTMAP_DROP_SHORT;
		return false;
	}
	if (get16(packet + 2) != 0) {
		/* a refusal: the rest of its fields are undefined (RFC 6886 section 3.5) */
		if (length > exact) {
			*why = PORTMAP_DROP_LENGTH;
			return false;
		}
		return true;
	}
	if (length < exact) {
		*why = PORTMAP_DROP_SHORT;
		return false;
	}
	if (length > exact) {
		*why = PORTMAP_DROP_LENGTH;
		return false;
	}
	if (request_opcode == NATPMP_OP_MAP_UDP && get16(packet + 8) != internal_port) {
		*why = PORTMAP_DROP_MISMATCH;
		return false;
	}
	return true;
}

bool
portmap_url_on_host(const char *url, const struct netaddr *host)
{
	static const char scheme[] = "http://";
	char text[NETADDR_TEXT_MAX];
	const char *start, *end, *why;
	struct netaddr named;
	size_t len;

	if (strncasecmp(url, scheme, sizeof(scheme) - 1) != 0)
		return false;
	start = url + sizeof(scheme) - 1;
	if (*start == '[') {
		start++;
		end = strchr(start, ']');
		if (end == NULL || (end[1] != '\0' && end[1] != ':' && end[1] != '/'))
			return false;
	} else {
		end = start + strcspn(start, ":/");
	}
	len = (size_t)(end - start);
	if (len == 0 || len >= sizeof(text))
		return false;
	memcpy(text, start, len);
	text[len] = '\0';
	if (netaddr_parse(text, &named, &why) != 0)
		return false;
	return netaddr_equal(&named, host);
}

bool
portmap_address_usable(const struct netaddr *address)
{
	static const uint8_t zero[16];

	switch (address->family) {
	case AF_INET:
		return memcmp(address->bytes, zero, 4) != 0;
	case AF_INET6:
		return memcmp(address->bytes, zero, 16) != 0;
	default:
		return false;
	}
}

bool
portmap_external_usable(const struct netendpoint *external)
{
	return external->port != 0 && portmap_address_usable(&external->addr);
}
