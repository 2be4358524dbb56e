/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Allowed-IPs: table-driven cases, then a property test against a naive model (a list scanned
 * for the longest matching prefix) over random prefixes and random lookups.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "allowedips.h"

static int peer_a, peer_b, peer_c, peer_d;

static struct netprefix
prefix(const char *text)
{
	struct netprefix p;
	const char *why;

	assert_int_equal(netprefix_parse(text, &p, &why), 0);
	return p;
}

static void *
lookup_text(const struct allowedips *t, const char *addr)
{
	struct netaddr a;
	const char *why;

	assert_int_equal(netaddr_parse(addr, &a, &why), 0);
	return allowedips_lookup(t, &a);
}

static void
test_longest_match(void **state)
{
	struct allowedips_entry e[] = {
		{prefix("10.0.0.0/8"), &peer_a},
		{prefix("10.1.0.0/16"), &peer_b},
		{prefix("10.1.2.3/32"), &peer_c},
		{prefix("0.0.0.0/0"), &peer_d},
		{prefix("2001:db8::/32"), &peer_a},
		{prefix("2001:db8:1::/48"), &peer_b},
		{prefix("2001:db8:1::5/128"), &peer_c},
	};
	struct allowedips *t = allowedips_build(e, sizeof(e) / sizeof(e[0]));

	(void)state;
	assert_non_null(t);
	assert_int_equal(allowedips_count(t), 7);
	assert_ptr_equal(lookup_text(t, "10.200.0.1"), &peer_a);
	assert_ptr_equal(lookup_text(t, "10.1.9.9"), &peer_b);
	assert_ptr_equal(lookup_text(t, "10.1.2.3"), &peer_c);
	assert_ptr_equal(lookup_text(t, "10.1.2.4"), &peer_b);
	assert_ptr_equal(lookup_text(t, "192.0.2.1"), &peer_d);
	assert_ptr_equal(lookup_text(t, "2001:db8:2::1"), &peer_a);
	assert_ptr_equal(lookup_text(t, "2001:db8:1::4"), &peer_b);
	assert_ptr_equal(lookup_text(t, "2001:db8:1::5"), &peer_c);
	assert_null(lookup_text(t, "2001:db9::1"));
	allowedips_free(t);
}

static void
test_replace_and_empty(void **state)
{
	struct allowedips_entry e[] = {
		{prefix("192.168.0.0/24"), &peer_a},
		{prefix("192.168.0.0/24"), &peer_b}, /* the later one wins */
	};
	struct allowedips *t = allowedips_build(e, 2);
	struct allowedips *empty = allowedips_build(NULL, 0);

	(void)state;
	assert_ptr_equal(lookup_text(t, "192.168.0.77"), &peer_b);
	assert_int_equal(allowedips_count(t), 1);
	assert_null(lookup_text(t, "192.168.1.1"));
	assert_null(lookup_text(empty, "192.168.0.1"));
	assert_null(lookup_text(empty, "::1"));
	allowedips_free(t);
	allowedips_free(empty);
}

/* Naive model: scan everything, keep the longest match; later entries replace equal prefixes. */
static void *
model_lookup(const struct allowedips_entry *e, size_t n, const struct netaddr *a)
{
	int best_len = -1;
	void *best = NULL;

	for (size_t i = 0; i < n; i++) {
		if (e[i].prefix.addr.family != a->family || !netprefix_contains(&e[i].prefix, a))
			continue;
		if ((int)e[i].prefix.len >= best_len) {
			best_len = e[i].prefix.len;
			best = e[i].value;
		}
	}
	return best;
}

static void
random_prefix(struct netprefix *p, int family, unsigned int *seed)
{
	unsigned int bits = family == AF_INET ? 32 : 128;

	memset(p, 0, sizeof(*p));
	p->addr.family = (uint8_t)family;
	/* few distinct high bytes so that prefixes nest and collide often */
	for (unsigned int i = 0; i < bits / 8; i++)
		p->addr.bytes[i] = (uint8_t)(i < 2 ? rand_r(seed) % 4 : rand_r(seed));
	p->len = (uint8_t)(rand_r(seed) % (bits + 1));
	for (unsigned int i = p->len; i < bits; i++)
		p->addr.bytes[i / 8] &= (uint8_t)~(0x80 >> (i % 8));
}

static void
test_against_model(void **state)
{
	enum { PREFIXES = 2000, LOOKUPS = 20000 };
	static struct allowedips_entry e[PREFIXES];
	static int values[16];
	unsigned int seed = 12345;
	struct allowedips *t;

	(void)state;
	for (size_t i = 0; i < PREFIXES; i++) {
		random_prefix(&e[i].prefix, i % 2 ? AF_INET6 : AF_INET, &seed);
		e[i].value = &values[rand_r(&seed) % 16];
	}
	t = allowedips_build(e, PREFIXES);
	assert_non_null(t);
	for (size_t i = 0; i < LOOKUPS; i++) {
		struct netprefix p;

		random_prefix(&p, i % 2 ? AF_INET6 : AF_INET, &seed);
		/* look up a full address: the random prefix with random low bits */
		for (unsigned int b = p.len; b < (p.addr.family == AF_INET ? 32u : 128u); b++)
			if (rand_r(&seed) & 1)
				p.addr.bytes[b / 8] |= (uint8_t)(0x80 >> (b % 8));
		assert_ptr_equal(allowedips_lookup(t, &p.addr), model_lookup(e, PREFIXES, &p.addr));
	}
	allowedips_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_longest_match),
		cmocka_unit_test(test_replace_and_empty),
		cmocka_unit_test(test_against_model),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
