/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Text forms of addresses, prefixes and endpoints. IPv4 is parsed here rather than with
 * inet_pton so that a refusal can say why (a config error names the reason); IPv6 goes through
 * inet_pton, whose grammar is the standard one.
 */
#include <arpa/inet.h>
#include <endian.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "netaddr.h"

enum {
	IPV4_BITS = 32,
	IPV6_BITS = 128,
	PORT_MAX = 65535,
};

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * Parse a decimal number of at most max_digits digits without leading zeros ("0" itself is
 * fine). Leading zeros are refused because some tools read them as octal.
 * Returns the number of characters used, 0 when there is no number, -1 on a leading zero,
 * -2 when there are more than max_digits digits.
 */
static int
parse_decimal(const char *text, unsigned int max_digits, uint32_t *out)
{
	uint32_t value = 0;
	unsigned int n = 0;

	while (is_digit(text[n])) {
		if (n == max_digits)
			return -2;
		value = value * 10 + (uint32_t)(text[n] - '0');
		n++;
	}
	if (n > 1 && text[0] == '0')
		return -1;
	*out = value;
	return (int)n;
}

static int
parse_ipv4(const char *text, uint8_t out[4], const char **why)
{
	const char *p = text;

	for (int i = 0; i < 4; i++) {
		uint32_t value;
		int n = parse_decimal(p, 3, &value);

		if (n == 0) {
			*why = "expected four decimal numbers separated by dots";
			return -1;
		}
		if (n == -1) {
			*why = "leading zero in a number (octal is ambiguous)";
			return -1;
		}
		if (n == -2 || value > 255) {
			*why = "number over 255";
			return -1;
		}
		out[i] = (uint8_t)value;
		p += n;
		if (i < 3) {
			if (*p != '.') {
				*why = "expected four decimal numbers separated by dots";
				return -1;
			}
			p++;
		}
	}
	if (*p != '\0') {
		*why = "trailing characters after the address";
		return -1;
	}
	return 0;
}

int
netaddr_parse(const char *text, struct netaddr *out, const char **why)
{
	struct netaddr a;

	memset(&a, 0, sizeof(a));
	if (text == NULL || text[0] == '\0') {
		*why = "empty address";
		return -1;
	}
	if (strchr(text, '%') != NULL) {
		*why = "zone index not supported";
		return -1;
	}
	if (strchr(text, ':') != NULL) {
		if (strlen(text) >= INET6_ADDRSTRLEN || inet_pton(AF_INET6, text, a.bytes) != 1) {
			*why = "not a valid IPv6 address";
			return -1;
		}
		a.family = AF_INET6;
	} else {
		if (parse_ipv4(text, a.bytes, why) < 0)
			return -1;
		a.family = AF_INET;
	}
	*out = a;
	return 0;
}

static unsigned int
family_bits(uint8_t family)
{
	return family == AF_INET ? IPV4_BITS : IPV6_BITS;
}

int
netprefix_parse(const char *text, struct netprefix *out, const char **why)
{
	char addr_text[NETADDR_TEXT_MAX];
	struct netprefix p;
	const char *slash;
	uint32_t len;
	size_t addr_len;
	int n;

	memset(&p, 0, sizeof(p));
	if (text == NULL || text[0] == '\0') {
		*why = "empty prefix";
		return -1;
	}
	slash = strchr(text, '/');
	if (slash == NULL) {
		*why = "missing /prefix-length";
		return -1;
	}
	addr_len = (size_t)(slash - text);
	if (addr_len >= sizeof(addr_text)) {
		*why = "address too long";
		return -1;
	}
	memcpy(addr_text, text, addr_len);
	addr_text[addr_len] = '\0';
	if (netaddr_parse(addr_text, &p.addr, why) < 0)
		return -1;
	n = parse_decimal(slash + 1, 3, &len);
	if (n == 0 || n == -1 || (n > 0 && slash[1 + n] != '\0')) {
		*why = "prefix length is not a decimal number";
		return -1;
	}
	if (n == -2 || len > family_bits(p.addr.family)) {
		if (p.addr.family == AF_INET)
			*why = "prefix length over 32";
		else
			*why = "prefix length over 128";
		return -1;
	}
	p.len = (uint8_t)len;
	*out = p;
	return 0;
}

int
netport_parse(const char *text, uint16_t *port, const char **why)
{
	uint32_t value;
	int n = parse_decimal(text, 5, &value);

	if (n == 0 || n == -1 || (n > 0 && text[n] != '\0')) {
		*why = "port is not a decimal number";
		return -1;
	}
	if (n == -2 || value == 0 || value > PORT_MAX) {
		*why = "port out of range 1..65535";
		return -1;
	}
	*port = (uint16_t)value;
	return 0;
}

int
netendpoint_parse(const char *text, struct netendpoint *out, const char **why)
{
	char addr_text[NETADDR_TEXT_MAX];
	struct netendpoint e;
	const char *addr_start, *addr_end, *port_text;
	size_t addr_len;

	memset(&e, 0, sizeof(e));
	if (text == NULL || text[0] == '\0') {
		*why = "empty endpoint";
		return -1;
	}
	if (text[0] == '[') {
		addr_start = text + 1;
		addr_end = strchr(addr_start, ']');
		if (addr_end == NULL) {
			*why = "missing ']' after IPv6 address";
			return -1;
		}
		if (addr_end[1] != ':') {
			*why = "missing :port";
			return -1;
		}
		port_text = addr_end + 2;
	} else {
		const char *colon = strchr(text, ':');

		if (colon == NULL) {
			*why = "missing :port";
			return -1;
		}
		if (strchr(colon + 1, ':') != NULL) {
			*why = "IPv6 endpoints are written [address]:port";
			return -1;
		}
		addr_start = text;
		addr_end = colon;
		port_text = colon + 1;
	}
	addr_len = (size_t)(addr_end - addr_start);
	if (addr_len >= sizeof(addr_text)) {
		*why = "address too long";
		return -1;
	}
	memcpy(addr_text, addr_start, addr_len);
	addr_text[addr_len] = '\0';
	if (netaddr_parse(addr_text, &e.addr, why) < 0)
		return -1;
	if (text[0] == '[' && e.addr.family != AF_INET6) {
		*why = "brackets are for IPv6 addresses only";
		return -1;
	}
	if (netport_parse(port_text, &e.port, why) < 0)
		return -1;
	*out = e;
	return 0;
}

char *
netaddr_format(const struct netaddr *a, char *buf, size_t size)
{
	char text[INET6_ADDRSTRLEN];

	if (a->family != AF_INET && a->family != AF_INET6) {
		snprintf(buf, size, "none");
		return buf;
	}
	inet_ntop(a->family, a->bytes, text, sizeof(text));
	snprintf(buf, size, "%s", text);
	return buf;
}

char *
netprefix_format(const struct netprefix *p, char *buf, size_t size)
{
	char text[NETADDR_TEXT_MAX];

	netaddr_format(&p->addr, text, sizeof(text));
	snprintf(buf, size, "%s/%u", text, p->len);
	return buf;
}

char *
netendpoint_format(const struct netendpoint *e, char *buf, size_t size)
{
	char text[NETADDR_TEXT_MAX];

	netaddr_format(&e->addr, text, sizeof(text));
	if (e->addr.family == AF_INET6)
		snprintf(buf, size, "[%s]:%u", text, e->port);
	else
		snprintf(buf, size, "%s:%u", text, e->port);
	return buf;
}

bool
netaddr_equal(const struct netaddr *a, const struct netaddr *b)
{
	return a->family == b->family && memcmp(a->bytes, b->bytes, sizeof(a->bytes)) == 0;
}

bool
netendpoint_equal(const struct netendpoint *a, const struct netendpoint *b)
{
	return a->port == b->port && netaddr_equal(&a->addr, &b->addr);
}

/*
 * true when a and b (16 bytes each) agree on their first bits bits. Per packet in the data
 * plane (the on-link test of every route), so two 64-bit words compared under a mask rather
 * than a memcmp call and a byte loop.
 */
static bool
same_leading_bits(const uint8_t *a, const uint8_t *b, unsigned int bits)
{
	for (unsigned int i = 0; i < 16 && bits > 0; i += 8) {
		uint64_t x, y, diff;

		memcpy(&x, a + i, 8);
		memcpy(&y, b + i, 8);
		diff = be64toh(x ^ y); /* the first address bit is the top bit */
		if (bits < 64)
			return (diff >> (64 - bits)) == 0;
		if (diff != 0)
			return false;
		bits -= 64;
	}
	return true;
}

bool
netprefix_overlap(const struct netprefix *a, const struct netprefix *b)
{
	if (a->addr.family != b->addr.family)
		return false;
	return same_leading_bits(a->addr.bytes, b->addr.bytes, a->len < b->len ? a->len : b->len);
}

bool
netprefix_contains(const struct netprefix *p, const struct netaddr *a)
{
	return p->addr.family == a->family && same_leading_bits(p->addr.bytes, a->bytes, p->len);
}

bool
netprefix_is_canonical(const struct netprefix *p)
{
	unsigned int bits = family_bits(p->addr.family);

	for (unsigned int i = p->len; i < bits; i++) {
		if (p->addr.bytes[i / 8] & (0x80 >> (i % 8)))
			return false;
	}
	return true;
}

socklen_t
netendpoint_to_sockaddr(const struct netendpoint *e, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (e->addr.family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(e->port);
		memcpy(&sin->sin_addr, e->addr.bytes, 4);
		return sizeof(*sin);
	}
	if (e->addr.family == AF_INET6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(e->port);
		memcpy(&sin6->sin6_addr, e->addr.bytes, 16);
		return sizeof(*sin6);
	}
	return 0;
}

int
netendpoint_from_sockaddr(const struct sockaddr *sa, socklen_t len, struct netendpoint *e)
{
	memset(e, 0, sizeof(*e));
	if (sa->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;

		e->addr.family = AF_INET;
		memcpy(e->addr.bytes, &sin->sin_addr, 4);
		e->port = ntohs(sin->sin_port);
		return 0;
	}
	if (sa->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;

		/* A dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d; hold them as IPv4 so
		 * that they compare equal to the same peer seen on an IPv4 socket. */
		if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
			e->addr.family = AF_INET;
			memcpy(e->addr.bytes, &sin6->sin6_addr.s6_addr[12], 4);
		} else {
			e->addr.family = AF_INET6;
			memcpy(e->addr.bytes, &sin6->sin6_addr, 16);
		}
		e->port = ntohs(sin6->sin6_port);
		return 0;
	}
	return -1;
}
