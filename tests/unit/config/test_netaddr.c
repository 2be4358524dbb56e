/* SPDX-License-Identifier: BSD-3-Clause */
/* Address, prefix and endpoint text forms: tables of accepted and refused inputs. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "netaddr.h"

struct good_case {
	const char *text;
	int family;
	const char *formatted; /* the canonical text form */
};

struct bad_case {
	const char *text;
	const char *why;
};

static const struct good_case good_addresses[] = {
	{ "192.0.2.1", AF_INET, "192.0.2.1" },
	{ "0.0.0.0", AF_INET, "0.0.0.0" },
	{ "255.255.255.255", AF_INET, "255.255.255.255" },
	{ "::", AF_INET6, "::" },
	{ "::1", AF_INET6, "::1" },
	{ "2001:DB8:0:0::1", AF_INET6, "2001:db8::1" },
	{ "::ffff:1.2.3.4", AF_INET6, "::ffff:1.2.3.4" },
};

static const struct bad_case bad_addresses[] = {
	{ "", "empty address" },
	{ "1.2.3", "expected four decimal numbers separated by dots" },
	{ "1..2.3", "expected four decimal numbers separated by dots" },
	{ "a.b.c.d", "expected four decimal numbers separated by dots" },
	{ "1.2.3.4.5", "trailing characters after the address" },
	{ "1.2.3.4 ", "trailing characters after the address" },
	{ "256.1.1.1", "number over 255" },
	{ "1234.1.1.1", "number over 255" },
	{ "01.2.3.4", "leading zero in a number (octal is ambiguous)" },
	{ "fe80::1%eth0", "zone index not supported" },
	{ "2001:db8::g", "not a valid IPv6 address" },
	{ "1:2:3:4:5:6:7:8:9", "not a valid IPv6 address" },
	{ "2001:db8:::1", "not a valid IPv6 address" },
};

static const struct good_case good_prefixes[] = {
	{ "10.0.0.0/8", AF_INET, "10.0.0.0/8" },
	{ "10.0.0.1/32", AF_INET, "10.0.0.1/32" },
	{ "0.0.0.0/0", AF_INET, "0.0.0.0/0" },
	{ "::/0", AF_INET6, "::/0" },
	{ "2001:DB8::/32", AF_INET6, "2001:db8::/32" },
	{ "fd00::1/128", AF_INET6, "fd00::1/128" },
};

static const struct bad_case bad_prefixes[] = {
	{ "", "empty prefix" },
	{ "10.0.0.0", "missing /prefix-length" },
	{ "10.0.0.1/33", "prefix length over 32" },
	{ "10.0.0.0/1234", "prefix length over 32" },
	{ "::/129", "prefix length over 128" },
	{ "10.0.0.0/", "prefix length is not a decimal number" },
	{ "10.0.0.0/08", "prefix length is not a decimal number" },
	{ "10.0.0.0/8x", "prefix length is not a decimal number" },
	{ "10.0.0.0/-1", "prefix length is not a decimal number" },
	{ "/8", "empty address" },
	{ "10.0.0.256/8", "number over 255" },
	{ "10.0.0.0/8/8", "prefix length is not a decimal number" },
};

static const struct good_case good_endpoints[] = {
	{ "198.51.100.7:41641", AF_INET, "198.51.100.7:41641" },
	{ "1.2.3.4:1", AF_INET, "1.2.3.4:1" },
	{ "1.2.3.4:65535", AF_INET, "1.2.3.4:65535" },
	{ "[2001:DB8::1]:51820", AF_INET6, "[2001:db8::1]:51820" },
	{ "[::]:80", AF_INET6, "[::]:80" },
};

static const struct bad_case bad_endpoints[] = {
	{ "", "empty endpoint" },
	{ "1.2.3.4", "missing :port" },
	{ "1.2.3.4:0", "port out of range 1..65535" },
	{ "1.2.3.4:65536", "port out of range 1..65535" },
	{ "1.2.3.4:123456", "port out of range 1..65535" },
	{ "1.2.3.4:", "port is not a decimal number" },
	{ "1.2.3.4:abc", "port is not a decimal number" },
	{ "1.2.3.4:080", "port is not a decimal number" },
	{ "1.2.3.4:80 ", "port is not a decimal number" },
	{ "2001:db8::1:51820", "IPv6 endpoints are written [address]:port" },
	{ "[1.2.3.4]:80", "brackets are for IPv6 addresses only" },
	{ "[::1:80", "missing ']' after IPv6 address" },
	{ "[::1]80", "missing :port" },
	{ "[::1]", "missing :port" },
	{ "1.2.3:80", "expected four decimal numbers separated by dots" },
	{ "[fe80::1%eth0]:80", "zone index not supported" },
};

#define N(table) (sizeof(table) / sizeof((table)[0]))

static void
test_addresses(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(good_addresses); i++) {
		const struct good_case *c = &good_addresses[i];
		struct netaddr a;
		const char *why = NULL;
		char text[NETADDR_TEXT_MAX];

		assert_int_equal(netaddr_parse(c->text, &a, &why), 0);
		assert_int_equal(a.family, c->family);
		assert_string_equal(netaddr_format(&a, text, sizeof(text)), c->formatted);
	}
	for (size_t i = 0; i < N(bad_addresses); i++) {
		const struct bad_case *c = &bad_addresses[i];
		struct netaddr a;
		const char *why = NULL;

		assert_int_equal(netaddr_parse(c->text, &a, &why), -1);
		assert_non_null(why);
		if (strcmp(why, c->why) != 0)
			fail_msg("\"%s\": got \"%s\", want \"%s\"", c->text, why, c->why);
	}
}

static void
test_address_bytes(void **state)
{
	struct netaddr a;
	const char *why;
	char text[NETADDR_TEXT_MAX];
	static const uint8_t v4[16] = { 192, 0, 2, 1 };

	(void)state;
	assert_int_equal(netaddr_parse("192.0.2.1", &a, &why), 0);
	assert_memory_equal(a.bytes, v4, 16);
	memset(&a, 0, sizeof(a));
	assert_string_equal(netaddr_format(&a, text, sizeof(text)), "none");
}

static void
test_prefixes(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(good_prefixes); i++) {
		const struct good_case *c = &good_prefixes[i];
		struct netprefix p;
		const char *why = NULL;
		char text[NETADDR_TEXT_MAX];

		assert_int_equal(netprefix_parse(c->text, &p, &why), 0);
		assert_int_equal(p.addr.family, c->family);
		assert_string_equal(netprefix_format(&p, text, sizeof(text)), c->formatted);
	}
	for (size_t i = 0; i < N(bad_prefixes); i++) {
		const struct bad_case *c = &bad_prefixes[i];
		struct netprefix p;
		const char *why = NULL;

		assert_int_equal(netprefix_parse(c->text, &p, &why), -1);
		assert_non_null(why);
		if (strcmp(why, c->why) != 0)
			fail_msg("\"%s\": got \"%s\", want \"%s\"", c->text, why, c->why);
	}
}

static void
test_endpoints(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(good_endpoints); i++) {
		const struct good_case *c = &good_endpoints[i];
		struct netendpoint e;
		const char *why = NULL;
		char text[NETADDR_TEXT_MAX];

		assert_int_equal(netendpoint_parse(c->text, &e, &why), 0);
		assert_int_equal(e.addr.family, c->family);
		assert_string_equal(netendpoint_format(&e, text, sizeof(text)), c->formatted);
	}
	for (size_t i = 0; i < N(bad_endpoints); i++) {
		const struct bad_case *c = &bad_endpoints[i];
		struct netendpoint e;
		const char *why = NULL;

		assert_int_equal(netendpoint_parse(c->text, &e, &why), -1);
		assert_non_null(why);
		if (strcmp(why, c->why) != 0)
			fail_msg("\"%s\": got \"%s\", want \"%s\"", c->text, why, c->why);
	}
}

struct canonical_case {
	const char *text;
	bool canonical;
};

static void
test_canonical(void **state)
{
	static const struct canonical_case cases[] = {
		{ "10.0.0.0/24", true },
		{ "10.0.0.1/24", false },
		{ "10.0.0.128/25", true },
		{ "10.0.0.64/25", false },
		{ "0.0.0.0/0", true },
		{ "0.0.0.1/0", false },
		{ "10.0.0.1/32", true },
		{ "::/0", true },
		{ "::1/127", false },
		{ "::1/128", true },
		{ "2001:db8::/32", true },
		{ "2001:db8:8000::/33", true },
		{ "2001:db8:4000::/33", false },
	};

	(void)state;
	for (size_t i = 0; i < N(cases); i++) {
		struct netprefix p;
		const char *why;

		assert_int_equal(netprefix_parse(cases[i].text, &p, &why), 0);
		if (netprefix_is_canonical(&p) != cases[i].canonical)
			fail_msg("%s: canonical should be %d", cases[i].text, cases[i].canonical);
	}
}

struct pair_case {
	const char *a;
	const char *b;
	bool overlap;
};

static void
test_overlap_and_contains(void **state)
{
	static const struct pair_case cases[] = {
		{ "10.0.0.0/8", "10.1.0.0/16", true },
		{ "10.1.0.0/16", "10.0.0.0/8", true },
		{ "10.0.0.0/24", "10.0.1.0/24", false },
		{ "10.0.0.0/23", "10.0.1.0/24", true },
		{ "0.0.0.0/0", "192.0.2.7/32", true },
		{ "192.0.2.7/32", "192.0.2.7/32", true },
		{ "192.0.2.7/32", "192.0.2.8/32", false },
		{ "0.0.0.0/0", "::/0", false },
		{ "2001:db8::/32", "2001:db8:1::/48", true },
		{ "2001:db8::/48", "2001:db8:1::/48", false },
	};

	(void)state;
	for (size_t i = 0; i < N(cases); i++) {
		struct netprefix a, b;
		const char *why;
		bool contains;

		assert_int_equal(netprefix_parse(cases[i].a, &a, &why), 0);
		assert_int_equal(netprefix_parse(cases[i].b, &b, &why), 0);
		if (netprefix_overlap(&a, &b) != cases[i].overlap)
			fail_msg("%s vs %s: overlap should be %d", cases[i].a, cases[i].b,
				 cases[i].overlap);
		/* for canonical prefixes, a contains b's address iff they overlap and a is wider */
		contains = cases[i].overlap && a.len <= b.len;
		assert_int_equal(netprefix_contains(&a, &b.addr), contains);
	}
}

/* The bit the naive model reads: bit i of a 128-bit address, most significant first. */
static int
bit_of(const uint8_t *bytes, unsigned int i)
{
	return (bytes[i / 8] >> (7 - i % 8)) & 1;
}

/* netprefix_contains against a bit-by-bit model, over addresses that differ from the prefix
 * in one chosen bit (so every length meets its boundary) and over random ones. */
static void
test_contains_model(void **state)
{
	uint64_t seed = 0x9e3779b97f4a7c15u;

	(void)state;
	for (int round = 0; round < 20000; round++) {
		struct netprefix p = {.addr = {.family = (round & 1) ? AF_INET6 : AF_INET}};
		struct netaddr a = {.family = p.addr.family};
		unsigned int bits = p.addr.family == AF_INET ? 32 : 128;
		bool model = true;

		for (int i = 0; i < 16; i++) {
			seed = seed * 6364136223846793005u + 1442695040888963407u;
			p.addr.bytes[i] = (uint8_t)(seed >> 56);
			a.bytes[i] = (round & 2) ? (uint8_t)(seed >> 48) : p.addr.bytes[i];
		}
		p.len = (uint8_t)(seed >> 8) % (bits + 1);
		if ((round & 2) == 0) /* flip one bit of the address */
			a.bytes[(seed >> 20) % (bits / 8)] ^= (uint8_t)(1u << ((seed >> 30) % 8));
		if (p.addr.family == AF_INET) {
			memset(p.addr.bytes + 4, 0, 12);
			memset(a.bytes + 4, 0, 12);
		}
		for (unsigned int i = 0; i < p.len; i++)
			model = model && bit_of(p.addr.bytes, i) == bit_of(a.bytes, i);
		if (netprefix_contains(&p, &a) != model)
			fail_msg("round %d: /%u should %scontain", round, p.len, model ? "" : "not ");
	}
}

static void
test_sockaddr(void **state)
{
	static const char *const texts[] = { "198.51.100.7:41641", "[2001:db8::1]:51820" };
	struct sockaddr_storage ss;
	struct sockaddr_in6 mapped;
	struct netendpoint e, back;
	const char *why;
	char text[NETADDR_TEXT_MAX];

	(void)state;
	for (size_t i = 0; i < N(texts); i++) {
		socklen_t len;

		assert_int_equal(netendpoint_parse(texts[i], &e, &why), 0);
		len = netendpoint_to_sockaddr(&e, &ss);
		assert_true(len > 0);
		assert_int_equal(netendpoint_from_sockaddr((struct sockaddr *)&ss, len, &back), 0);
		assert_true(netendpoint_equal(&e, &back));
	}
	/* a dual-stack socket's view of an IPv4 peer */
	memset(&mapped, 0, sizeof(mapped));
	mapped.sin6_family = AF_INET6;
	mapped.sin6_port = htons(4500);
	assert_int_equal(inet_pton(AF_INET6, "::ffff:203.0.113.9", &mapped.sin6_addr), 1);
	assert_int_equal(netendpoint_from_sockaddr((struct sockaddr *)&mapped, sizeof(mapped), &e),
			 0);
	assert_string_equal(netendpoint_format(&e, text, sizeof(text)), "203.0.113.9:4500");
	/* too short for its family, or unset */
	assert_int_equal(netendpoint_from_sockaddr((struct sockaddr *)&mapped, 8, &e), -1);
	memset(&e, 0, sizeof(e));
	assert_int_equal(netendpoint_to_sockaddr(&e, &ss), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_address_bytes),
		cmocka_unit_test(test_prefixes),
		cmocka_unit_test(test_endpoints),
		cmocka_unit_test(test_canonical),
		cmocka_unit_test(test_overlap_and_contains),
		cmocka_unit_test(test_contains_model),
		cmocka_unit_test(test_sockaddr),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
