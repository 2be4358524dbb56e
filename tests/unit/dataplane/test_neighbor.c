/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The neighbour table's worker side with its per-worker cache: a cached MAC is never used after
 * the table changed it or lost the entry, and cached lookups still mark the entry used (so it is
 * re-probed, not aged out). Runs EAL without hugepages, PCI or shared files (the table is an
 * rte_hash reclaimed through RCU); a data plane with no ports, so requests are never built.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>
#include <rte_eal.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "dp.h"
#include "neighbor.h"

static const uint64_t ms = 1000000;
static const struct rte_ether_addr mac1 = {{0x02, 0, 0, 0, 0, 0x01}};
static const struct rte_ether_addr mac2 = {{0x02, 0, 0, 0, 0, 0x02}};

struct fixture {
	struct dataplane dp;
	struct neighbor_table *t;
	struct netaddr hop;
};

static int
setup(void **state)
{
	static struct fixture f;
	const char *why;

	memset(&f, 0, sizeof(f));
	f.dp.worker_count = 1;
	f.dp.rcu = rte_zmalloc("rcu", rte_rcu_qsbr_get_memsize(1), RTE_CACHE_LINE_SIZE);
	if (f.dp.rcu == NULL || rte_rcu_qsbr_init(f.dp.rcu, 1) != 0)
		return -1;
	f.t = neighbor_table_create(&f.dp);
	if (f.t == NULL)
		return -1;
	if (netaddr_parse("10.0.2.1", &f.hop, &why) != 0)
		return -1;
	*state = &f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	neighbor_table_destroy(f->t);
	rte_free(f->dp.rcu);
	return 0;
}

static bool
lookup(struct fixture *f, uint64_t now_ns, struct rte_ether_addr *mac)
{
	return neighbor_lookup(f->t, 0, CONFIG_PORT_EGRESS, &f->hop, now_ns, mac);
}

struct state_of {
	const struct netaddr *addr;
	const char *state;
};

static int
find_state(const struct neighbor_info *info, void *arg)
{
	struct state_of *s = arg;

	if (netaddr_equal(&info->addr, s->addr))
		s->state = info->state;
	return 0;
}

/* The entry's state, or NULL when it is gone. */
static const char *
state_now(struct fixture *f)
{
	struct state_of s = {&f->hop, NULL};

	neighbor_walk(f->t, 0, find_state, &s);
	return s.state;
}

static void
test_unknown_and_other_role(void **state)
{
	struct fixture *f = *state;
	struct rte_ether_addr mac;

	assert_false(lookup(f, 0, &mac));
	neighbor_learn(f->t, CONFIG_PORT_EGRESS, &f->hop, &mac1, true, 0);
	assert_true(lookup(f, 0, &mac));
	assert_true(rte_is_same_ether_addr(&mac, &mac1));
	/* the same address on another port is another neighbour, cached or not */
	assert_false(neighbor_lookup(f->t, 0, CONFIG_PORT_PUBLIC, &f->hop, 1 * ms, &mac));
}

static void
test_mac_change_seen_at_once(void **state)
{
	struct fixture *f = *state;
	struct rte_ether_addr mac;

	neighbor_learn(f->t, CONFIG_PORT_EGRESS, &f->hop, &mac1, true, 0);
	assert_true(lookup(f, 0, &mac));
	assert_true(lookup(f, 1 * ms, &mac)); /* from the cache */
	assert_true(rte_is_same_ether_addr(&mac, &mac1));
	/* well inside the recheck interval: only the generation can tell */
	neighbor_learn(f->t, CONFIG_PORT_EGRESS, &f->hop, &mac2, true, 2 * ms);
	assert_true(lookup(f, 3 * ms, &mac));
	assert_true(rte_is_same_ether_addr(&mac, &mac2));
	/* and a refresh with the same MAC keeps it */
	neighbor_learn(f->t, CONFIG_PORT_EGRESS, &f->hop, &mac2, true, 4 * ms);
	assert_true(lookup(f, 5 * ms, &mac));
	assert_true(rte_is_same_ether_addr(&mac, &mac2));
}

static void
test_removed_entry_not_used(void **state)
{
	struct fixture *f = *state;
	uint64_t expire = (NEIGHBOR_UNUSED_EXPIRE_MS + 1) * ms;
	struct rte_ether_addr mac;

	neighbor_learn(f->t, CONFIG_PORT_EGRESS, &f->hop, &mac1, true, 0);
	assert_true(lookup(f, 0, &mac));
	neighbor_tick(f->t, 0);
	/* nobody used it since the last tick, for longer than the unused limit: removed */
	neighbor_tick(f->t, expire);
	assert_null(state_now(f));
	/* the worker's clock is still within the recheck interval of its cached copy */
	assert_false(lookup(f, 1 * ms, &mac));
}

/* A worker that sends to the neighbour all the time, mostly from its cache: the table still
 * sees the entry used, so it is re-probed when it gets old (and not aged out). */
static void
test_cached_use_keeps_entry_used(void **state)
{
	struct fixture *f = *state;
	uint64_t probe_after = (NEIGHBOR_REACHABLE_MS + 1000) * ms;
	struct rte_ether_addr mac;

	neighbor_learn(f->t, CONFIG_PORT_EGRESS, &f->hop, &mac1, true, 0);
	for (uint64_t now = 0; now <= probe_after; now += 10 * ms) {
		assert_true(lookup(f, now, &mac));
		if (now % (250 * ms) == 0)
			neighbor_tick(f->t, now);
	}
	assert_string_equal(state_now(f), "probe");
}

/* The same without traffic: the entry stays reachable (nobody needs a probe). */
static void
test_unused_entry_not_probed(void **state)
{
	struct fixture *f = *state;
	uint64_t probe_after = (NEIGHBOR_REACHABLE_MS + 1000) * ms;

	neighbor_learn(f->t, CONFIG_PORT_EGRESS, &f->hop, &mac1, true, 0);
	for (uint64_t now = 0; now <= probe_after; now += 250 * ms)
		neighbor_tick(f->t, now);
	assert_string_equal(state_now(f), "reachable");
}

/* An IPv6 next hop found wherever it lies (inside packet metadata, at any alignment): the
 * cache's hash reads it in words, which a sanitizer build stops at when misaligned. */
static void
test_ipv6_hop_at_any_alignment(void **state)
{
	struct fixture *f = *state;
	_Alignas(16) uint8_t storage[1 + sizeof(struct netaddr)];
	struct netaddr *odd = (struct netaddr *)(storage + 1);
	struct rte_ether_addr mac;
	const char *why;

	assert_int_equal(netaddr_parse("fd02::1", odd, &why), 0);
	neighbor_learn(f->t, CONFIG_PORT_EGRESS, odd, &mac1, true, 0);
	assert_true(neighbor_lookup(f->t, 0, CONFIG_PORT_EGRESS, odd, 0, &mac));
	assert_true(neighbor_lookup(f->t, 0, CONFIG_PORT_EGRESS, odd, 1 * ms, &mac)); /* cached */
	assert_true(rte_is_same_ether_addr(&mac, &mac1));
}

int
main(void)
{
	char *eal_argv[] = {"test_neighbor", "--no-huge", "-m", "64", "--no-pci", "--no-shconf",
			    "-l", "0", "--log-level=error", NULL};
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_unknown_and_other_role, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mac_change_seen_at_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_removed_entry_not_used, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cached_use_keeps_entry_used, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unused_entry_not_probed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ipv6_hop_at_any_alignment, setup, teardown),
	};
	int rc;

	if (rte_eal_init((int)(sizeof(eal_argv) / sizeof(eal_argv[0])) - 1, eal_argv) < 0) {
		printf("skipped: EAL does not start here (no memory or privileges for it)\n");
		return 77;
	}
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	rte_eal_cleanup();
	return rc;
}
