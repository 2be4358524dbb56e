/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The handshake rate limiter (control/wg/ratelimiter.c) on a fake clock: the burst of 5, then
 * 20 per second, IPv4 /32, IPv6 /64 and relay-source keys, a full table, and expiry.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fake_env.h"
#include "netaddr.h"
#include "ratelimiter.h"

struct fixture {
	struct fake_env env;
	struct ratelimiter rl;
};

static struct netaddr
addr(const char *text)
{
	struct netaddr a;
	const char *why;

	assert_int_equal(netaddr_parse(text, &a, &why), 0);
	return a;
}

static bool
allow(struct fixture *f, const char *text)
{
	struct netaddr a = addr(text);

	return ratelimiter_allow(&f->rl, &a);
}

static int
setup_capacity(void **state, uint32_t capacity)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	fake_env_init(&f->env, 5);
	if (ratelimiter_init(&f->rl, capacity, &f->env.env) != 0)
		return -1;
	*state = f;
	return 0;
}

static int
setup(void **state)
{
	return setup_capacity(state, 1024);
}

static int
setup_small(void **state)
{
	return setup_capacity(state, 4);
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	ratelimiter_fini(&f->rl);
	free(f);
	return 0;
}

static void
test_burst_then_rate(void **state)
{
	struct fixture *f = *state;
	int i, allowed;

	for (i = 0; i < 5; i++)
		assert_true(allow(f, "192.0.2.1"));
	assert_false(allow(f, "192.0.2.1"));
	/* one token per 50 ms */
	fake_env_advance_ms(&f->env, 49);
	assert_false(allow(f, "192.0.2.1"));
	fake_env_advance_ms(&f->env, 1);
	assert_true(allow(f, "192.0.2.1"));
	assert_false(allow(f, "192.0.2.1"));
	/* sustained: offered 1000/s for 10 s, 20/s get through */
	allowed = 0;
	for (i = 0; i < 10000; i++) {
		fake_env_advance_ms(&f->env, 1);
		allowed += allow(f, "192.0.2.1");
	}
	assert_int_equal(allowed, 200);
	/* idle: the bucket refills to the burst of 5 and no more */
	fake_env_advance_ms(&f->env, 10000);
	for (i = 0; i < 5; i++)
		assert_true(allow(f, "192.0.2.1"));
	assert_false(allow(f, "192.0.2.1"));
}

static void
test_keys(void **state)
{
	struct fixture *f = *state;
	int i;

	for (i = 0; i < 5; i++)
		assert_true(allow(f, "2001:db8:1:2::1"));
	/* the same /64 shares the bucket */
	assert_false(allow(f, "2001:db8:1:2:ffff:ffff:ffff:ffff"));
	/* the next /64 does not */
	assert_true(allow(f, "2001:db8:1:3::1"));
	/* IPv4: each /32 alone */
	for (i = 0; i < 5; i++)
		assert_true(allow(f, "198.51.100.1"));
	assert_false(allow(f, "198.51.100.1"));
	assert_true(allow(f, "198.51.100.2"));
	/* an IPv4 address and an IPv6 one with the same leading bytes are different keys */
	for (i = 0; i < 5; i++)
		assert_true(allow(f, "c633:6401::"));
	assert_int_equal(ratelimiter_count(&f->rl), 5);
}

/* A relay source (family 0, a relay key's leading bytes) is one bucket per relayed sender. */
static void
test_relay_keys(void **state)
{
	struct fixture *f = *state;
	struct netaddr v4 = addr("10.9.8.7"), one = {0}, other;
	int i;

	/* it starts with the IPv4 source's bytes: the family still tells them apart */
	memset(one.bytes, 0xa1, sizeof(one.bytes));
	memcpy(one.bytes, v4.bytes, 4);
	other = one;
	other.bytes[7] ^= 1; /* differs within the 8 bytes that name the sender */
	for (i = 0; i < 5; i++)
		assert_true(ratelimiter_allow(&f->rl, &one));
	assert_false(ratelimiter_allow(&f->rl, &one));
	for (i = 0; i < 5; i++)
		assert_true(ratelimiter_allow(&f->rl, &other));
	assert_false(ratelimiter_allow(&f->rl, &other));
	for (i = 0; i < 5; i++)
		assert_true(ratelimiter_allow(&f->rl, &v4));
	assert_int_equal(ratelimiter_count(&f->rl), 3);
}

static void
test_full_table(void **state)
{
	struct fixture *f = *state;

	assert_true(allow(f, "10.0.0.1"));
	assert_true(allow(f, "10.0.0.2"));
	assert_true(allow(f, "10.0.0.3"));
	assert_true(allow(f, "10.0.0.4"));
	assert_int_equal(ratelimiter_count(&f->rl), 4);
	/* full: a new source is refused, known ones still get their tokens */
	assert_false(allow(f, "10.0.0.5"));
	assert_true(allow(f, "10.0.0.1"));
	assert_int_equal(ratelimiter_count(&f->rl), 4);
	/* entries idle for a second go at the next gc and make room */
	fake_env_advance_ms(&f->env, 999);
	ratelimiter_gc(&f->rl);
	assert_int_equal(ratelimiter_count(&f->rl), 4);
	assert_true(allow(f, "10.0.0.2")); /* keeps 10.0.0.2 alive */
	fake_env_advance_ms(&f->env, 1);
	ratelimiter_gc(&f->rl);
	assert_int_equal(ratelimiter_count(&f->rl), 1);
	assert_true(allow(f, "10.0.0.5"));
	assert_int_equal(ratelimiter_count(&f->rl), 2);
}

static void
test_gc_deadline(void **state)
{
	struct fixture *f = *state;
	uint64_t t0 = f->env.monotonic_ns;

	assert_true(ratelimiter_next_gc(&f->rl) == UINT64_MAX);
	assert_true(allow(f, "10.1.0.1"));
	assert_true(ratelimiter_next_gc(&f->rl) <= t0 + 1000000000ULL);
	fake_env_advance_ms(&f->env, 1000);
	ratelimiter_gc(&f->rl);
	assert_int_equal(ratelimiter_count(&f->rl), 0);
	assert_true(ratelimiter_next_gc(&f->rl) == UINT64_MAX);
}

static void
test_bad_capacity(void **state)
{
	struct fake_env env;
	struct ratelimiter rl;

	(void)state;
	fake_env_init(&env, 1);
	assert_int_equal(ratelimiter_init(&rl, 0, &env.env), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_burst_then_rate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(test_relay_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(test_full_table, setup_small, teardown),
		cmocka_unit_test_setup_teardown(test_gc_deadline, setup, teardown),
		cmocka_unit_test(test_bad_capacity),
	};

	return cmocka_run_group_tests_name("wg_ratelimiter", tests, NULL, NULL);
}
