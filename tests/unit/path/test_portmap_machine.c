/* SPDX-License-Identifier: BSD-3-Clause */
/* The port mapper's state machine, driven with answers and times: probing, the choice in
 * configuration order, renewal at half-life for the same port, checks, epochs, losses, back-off,
 * unusable grants, permanent UPnP leases, shutdown's deletion. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "portmap_machine.h"

#define S PORTMAP_NS_PER_S

enum { NATPMP, PCP, UPNP }; /* indices in the order configured below */

static const enum config_port_mapping all[] = {
	CONFIG_PORTMAP_NATPMP, CONFIG_PORTMAP_PCP, CONFIG_PORTMAP_UPNP};

static struct portmap_action actions[PORTMAP_MACHINE_ACTIONS];

static size_t
advance(struct portmap_machine *m, uint64_t now)
{
	return portmap_machine_advance(m, now, actions);
}

static struct netendpoint
endpoint(uint8_t last, uint16_t port)
{
	struct netendpoint e = {.addr = {.family = AF_INET, .bytes = {2, 0, 0, last}},
				.port = port};

	return e;
}

static const struct netendpoint none; /* an answer that carries no address */

static struct netendpoint
unspecified(uint16_t port)
{
	struct netendpoint e = {.addr = {.family = AF_INET}, .port = port};

	return e;
}

static void
answer(struct portmap_machine *m, size_t index, enum portmap_op op, enum portmap_outcome outcome,
       struct netendpoint external, uint32_t lifetime, int epoch, uint64_t now)
{
	struct portmap_answer a = {.op = op, .outcome = outcome, .external = external,
				   .lifetime_s = lifetime, .has_epoch = epoch >= 0,
				   .epoch = epoch >= 0 ? (uint32_t)epoch : 0};

	if (outcome != PORTMAP_GRANTED) {
		a.result_code = outcome == PORTMAP_REFUSED ? 2 : 0;
		strcpy(a.error, outcome == PORTMAP_REFUSED ? "refused" : "no answer");
	}
	portmap_machine_answer(m, index, &a, now);
}

static void
expect_action(size_t n, size_t at, size_t index, enum portmap_op op)
{
	assert_true(at < n);
	assert_int_equal(actions[at].index, index);
	assert_int_equal(actions[at].request.op, op);
	assert_int_equal(actions[at].request.internal_port, 41641);
}

/* All three probed; NAT-PMP silent, PCP and UPnP answer: PCP maps. Returns at t = 1 s. */
static void
mapped_by_pcp(struct portmap_machine *m, uint32_t lifetime)
{
	size_t n;

	portmap_machine_init(m, all, 3, 41641, 7200);
	n = advance(m, 1);
	assert_int_equal(n, 3);
	expect_action(n, 0, NATPMP, PORTMAP_OP_PROBE);
	expect_action(n, 1, PCP, PORTMAP_OP_PROBE);
	expect_action(n, 2, UPNP, PORTMAP_OP_PROBE);
	/* PCP answers first: NAT-PMP is preferred and still unknown, so nothing is mapped yet */
	answer(m, PCP, PORTMAP_OP_PROBE, PORTMAP_GRANTED, endpoint(1, 0), 0, 100, 10);
	assert_int_equal(advance(m, 10), 0);
	answer(m, NATPMP, PORTMAP_OP_PROBE, PORTMAP_NO_ANSWER, none, 0, -1, 20);
	n = advance(m, 20);
	assert_int_equal(n, 1);
	expect_action(n, 0, PCP, PORTMAP_OP_MAP);
	assert_int_equal(actions[0].request.external_port, 41641); /* the internal port first */
	assert_int_equal(actions[0].request.lifetime_s, 7200);
	assert_false(portmap_machine_take_change(m));
	answer(m, PCP, PORTMAP_OP_MAP, PORTMAP_GRANTED, endpoint(1, 50000), lifetime, 100, S);
	assert_true(portmap_machine_take_change(m));
	assert_false(portmap_machine_take_change(m));
}

static void
test_search_in_config_order(void **state)
{
	struct portmap_machine m;
	struct portmap_status s;

	(void)state;
	mapped_by_pcp(&m, 7200);
	portmap_machine_status(&m, &s);
	assert_true(s.mapped);
	assert_int_equal(s.protocol, CONFIG_PORTMAP_PCP);
	assert_true(netendpoint_equal(&s.external, &(struct netendpoint){endpoint(1, 50000).addr,
									  50000}));
	assert_int_equal(s.lifetime_s, 7200);
	assert_int_equal(s.expires_ns, S + 7200 * S);
	assert_true(s.protocols[CONFIG_PORTMAP_NATPMP].tried);
	assert_false(s.protocols[CONFIG_PORTMAP_NATPMP].answered);
	assert_string_equal(s.protocols[CONFIG_PORTMAP_NATPMP].error, "no answer");
	assert_true(s.protocols[CONFIG_PORTMAP_PCP].answered);
	assert_true(s.probing); /* UPnP's probe is still out */
	answer(&m, UPNP, PORTMAP_OP_PROBE, PORTMAP_GRANTED, endpoint(1, 0), 0, -1, 2 * S);
	portmap_machine_status(&m, &s);
	assert_false(s.probing);
	assert_true(s.protocols[CONFIG_PORTMAP_UPNP].answered);
	assert_true(s.mapped);
}

static void
test_renewal_at_half_life_same_port(void **state)
{
	struct portmap_machine m;
	struct portmap_status s;
	size_t n;

	(void)state;
	mapped_by_pcp(&m, 7200);
	answer(&m, UPNP, PORTMAP_OP_PROBE, PORTMAP_NO_ANSWER, none, 0, -1, 2 * S);
	/* a check a minute on: the epoch advanced in step, nothing else happens */
	assert_int_equal(portmap_machine_deadline(&m), S + 60 * S);
	assert_int_equal(advance(&m, 30 * S), 0);
	n = advance(&m, 61 * S);
	assert_int_equal(n, 1);
	expect_action(n, 0, PCP, PORTMAP_OP_CHECK);
	answer(&m, PCP, PORTMAP_OP_CHECK, PORTMAP_GRANTED, none, 0, 160, 61 * S);
	assert_int_equal(advance(&m, 62 * S), 0);
	/* nor does a check that reports no usable address (a gateway without a WAN lease) */
	n = advance(&m, 121 * S);
	expect_action(n, 0, PCP, PORTMAP_OP_CHECK);
	answer(&m, PCP, PORTMAP_OP_CHECK, PORTMAP_GRANTED, unspecified(0), 0, 220, 121 * S);
	assert_int_equal(advance(&m, 122 * S), 0);
	/* half-life: the same external port and address asked for */
	n = advance(&m, S + 3600 * S);
	assert_int_equal(n, 1);
	expect_action(n, 0, PCP, PORTMAP_OP_MAP);
	assert_int_equal(actions[0].request.external_port, 50000);
	assert_int_equal(actions[0].request.external_addr.bytes[3], 1);
	answer(&m, PCP, PORTMAP_OP_MAP, PORTMAP_GRANTED, endpoint(1, 50000), 7200, 3700,
	       3601 * S);
	assert_false(portmap_machine_take_change(&m)); /* same endpoint: nobody told */
	portmap_machine_status(&m, &s);
	assert_int_equal(s.renewals, 1);
	assert_int_equal(s.renewed_ns, 3601 * S);
	/* a renewal that moves the endpoint is a change */
	n = advance(&m, 3601 * S + 3600 * S);
	expect_action(n, 0, PCP, PORTMAP_OP_MAP);
	answer(&m, PCP, PORTMAP_OP_MAP, PORTMAP_GRANTED, endpoint(1, 50002), 7200, 7300,
	       7201 * S);
	assert_true(portmap_machine_take_change(&m));
}

static void
test_check_sees_new_address(void **state)
{
	struct portmap_machine m;
	size_t n;

	(void)state;
	mapped_by_pcp(&m, 7200);
	answer(&m, UPNP, PORTMAP_OP_PROBE, PORTMAP_NO_ANSWER, none, 0, -1, 2 * S);
	/* a check that reports another address renews at once: the grant has the endpoint */
	n = advance(&m, 61 * S);
	expect_action(n, 0, PCP, PORTMAP_OP_CHECK);
	answer(&m, PCP, PORTMAP_OP_CHECK, PORTMAP_GRANTED, endpoint(7, 0), 0, 160, 61 * S);
	n = advance(&m, 61 * S);
	expect_action(n, 0, PCP, PORTMAP_OP_MAP);
	assert_int_equal(actions[0].request.external_port, 50000);
	answer(&m, PCP, PORTMAP_OP_MAP, PORTMAP_GRANTED, endpoint(7, 50000), 7200, 161, 62 * S);
	assert_true(portmap_machine_take_change(&m));
	assert_int_equal(m.external.addr.bytes[3], 7);
}

static void
test_epoch_back_maps_again(void **state)
{
	struct portmap_machine m;
	size_t n;

	(void)state;
	mapped_by_pcp(&m, 7200);
	answer(&m, UPNP, PORTMAP_OP_PROBE, PORTMAP_NO_ANSWER, none, 0, -1, 2 * S);
	n = advance(&m, 61 * S);
	expect_action(n, 0, PCP, PORTMAP_OP_CHECK);
	/* the gateway restarted: its epoch is 3 s */
	answer(&m, PCP, PORTMAP_OP_CHECK, PORTMAP_GRANTED, none, 0, 3, 61 * S);
	n = advance(&m, 61 * S);
	assert_int_equal(n, 1);
	expect_action(n, 0, PCP, PORTMAP_OP_MAP);
	assert_int_equal(actions[0].request.external_port, 50000);
	answer(&m, PCP, PORTMAP_OP_MAP, PORTMAP_GRANTED, endpoint(1, 50000), 7200, 3, 61 * S);
	assert_false(portmap_machine_take_change(&m)); /* made again, same endpoint */
}

static void
test_renewal_refused_maps_again(void **state)
{
	struct portmap_machine m;
	struct portmap_status s;
	size_t n;

	(void)state;
	mapped_by_pcp(&m, 20);
	answer(&m, UPNP, PORTMAP_OP_PROBE, PORTMAP_NO_ANSWER, none, 0, -1, 2 * S);
	n = advance(&m, 11 * S);
	expect_action(n, 0, PCP, PORTMAP_OP_MAP);
	answer(&m, PCP, PORTMAP_OP_MAP, PORTMAP_REFUSED, none, 0, 120, 11 * S);
	assert_true(portmap_machine_take_change(&m));
	portmap_machine_status(&m, &s);
	assert_false(s.mapped);
	/* at once: a fresh search, every protocol probed again */
	n = advance(&m, 11 * S);
	assert_int_equal(n, 3);
	answer(&m, NATPMP, PORTMAP_OP_PROBE, PORTMAP_NO_ANSWER, none, 0, -1, 13 * S);
	answer(&m, PCP, PORTMAP_OP_PROBE, PORTMAP_GRANTED, endpoint(1, 0), 0, 121, 11 * S);
	n = advance(&m, 13 * S);
	expect_action(n, 0, PCP, PORTMAP_OP_MAP);
	assert_int_equal(actions[0].request.external_port, 50000); /* the port we had */
}

static void
test_silence_and_back_off(void **state)
{
	struct portmap_machine m;
	uint64_t t;
	size_t n;

	(void)state;
	mapped_by_pcp(&m, 7200);
	answer(&m, UPNP, PORTMAP_OP_PROBE, PORTMAP_NO_ANSWER, none, 0, -1, 2 * S);
	n = advance(&m, 61 * S);
	expect_action(n, 0, PCP, PORTMAP_OP_CHECK);
	answer(&m, PCP, PORTMAP_OP_CHECK, PORTMAP_NO_ANSWER, none, 0, -1, 63 * S);
	assert_true(portmap_machine_take_change(&m));
	/* nobody answers: back off 5, 10, 20 s */
	t = 63 * S;
	for (uint64_t wait = 5; wait <= 20; wait *= 2) {
		n = advance(&m, t);
		assert_int_equal(n, 3);
		for (size_t i = 0; i < 3; i++)
			answer(&m, i, PORTMAP_OP_PROBE, PORTMAP_NO_ANSWER, none, 0, -1,
			       t + 2 * S);
		t += 2 * S;
		assert_int_equal(advance(&m, t), 0);
		assert_int_equal(portmap_machine_deadline(&m), t + wait * S);
		assert_int_equal(advance(&m, t + wait * S - 1), 0);
		t += wait * S;
	}
	assert_false(portmap_machine_take_change(&m));
}

static void
test_unusable_grants_move_on(void **state)
{
	struct portmap_machine m;
	size_t n;

	(void)state;
	portmap_machine_init(&m, all, 3, 41641, 0);
	assert_int_equal(m.lifetime_s, PORTMAP_DEFAULT_LIFETIME_S);
	n = advance(&m, 1);
	for (size_t i = 0; i < 3; i++)
		answer(&m, i, PORTMAP_OP_PROBE, PORTMAP_GRANTED, endpoint(1, 0), 0, 10, 2);
	n = advance(&m, 2);
	expect_action(n, 0, NATPMP, PORTMAP_OP_MAP);
	/* NAT-PMP "grants" lifetime 0 (a deletion): not a mapping */
	answer(&m, NATPMP, PORTMAP_OP_MAP, PORTMAP_GRANTED, endpoint(1, 41641), 0, 10, 3);
	n = advance(&m, 3);
	expect_action(n, 0, PCP, PORTMAP_OP_MAP);
	/* PCP grants the all-zeros address */
	answer(&m, PCP, PORTMAP_OP_MAP, PORTMAP_GRANTED, unspecified(41641), 7200, 10, 4);
	n = advance(&m, 4);
	expect_action(n, 0, UPNP, PORTMAP_OP_MAP);
	assert_int_equal(m.dropped[PORTMAP_DROP_EXTERNAL], 2);
	/* UPnP: a permanent lease (an IGD that allows no other) is a mapping, never renewed */
	answer(&m, UPNP, PORTMAP_OP_MAP, PORTMAP_GRANTED, endpoint(1, 41641), 0, -1, 5);
	assert_true(portmap_machine_take_change(&m));
	assert_int_equal(m.expires_ns, 0);
	assert_int_equal(m.renew_at_ns, 0);
	assert_int_equal(portmap_machine_deadline(&m), 5 + PORTMAP_CHECK_MAX_S * S);
	n = advance(&m, 5 + PORTMAP_CHECK_MAX_S * S);
	expect_action(n, 0, UPNP, PORTMAP_OP_CHECK);
	assert_int_equal(actions[0].request.external_port, 41641);
	/* the entry is gone from the IGD: map again at once */
	answer(&m, UPNP, PORTMAP_OP_CHECK, PORTMAP_REFUSED, none, 0, -1, 6 + 60 * S);
	n = advance(&m, 6 + 60 * S);
	expect_action(n, 0, UPNP, PORTMAP_OP_MAP);
	assert_int_equal(actions[0].request.external_port, 41641);
}

static void
test_expiry_without_answer(void **state)
{
	struct portmap_machine m;
	size_t n;

	(void)state;
	mapped_by_pcp(&m, 20);
	answer(&m, UPNP, PORTMAP_OP_PROBE, PORTMAP_NO_ANSWER, none, 0, -1, 2 * S);
	n = advance(&m, 11 * S);
	expect_action(n, 0, PCP, PORTMAP_OP_MAP);
	/* the renewal's answer never comes (a client stuck): at expiry the mapping goes */
	assert_int_equal(advance(&m, 20 * S), 0);
	advance(&m, 21 * S);
	assert_true(portmap_machine_take_change(&m));
	assert_false(m.mapped);
}

static void
test_reprobe_keeps_mapping(void **state)
{
	struct portmap_machine m;
	size_t n;

	(void)state;
	mapped_by_pcp(&m, 7200);
	answer(&m, UPNP, PORTMAP_OP_PROBE, PORTMAP_GRANTED, endpoint(1, 0), 0, -1, 2 * S);
	portmap_machine_probe(&m);
	n = advance(&m, 3 * S);
	assert_int_equal(n, 3);
	for (size_t i = 0; i < 3; i++)
		answer(&m, i, PORTMAP_OP_PROBE, PORTMAP_GRANTED, endpoint(1, 0), 0, 102, 4 * S);
	assert_int_equal(advance(&m, 4 * S), 0);
	assert_false(portmap_machine_take_change(&m));
	assert_true(m.mapped);
}

static void
test_unavailable_and_release(void **state)
{
	struct portmap_machine m;
	struct portmap_action release;
	struct portmap_status s;
	size_t n;

	(void)state;
	portmap_machine_init(&m, all, 3, 41641, 7200);
	portmap_machine_unavailable(&m, UPNP, "could not start");
	n = advance(&m, 1);
	assert_int_equal(n, 2); /* UPnP never probed */
	assert_false(portmap_machine_release(&m, &release));
	answer(&m, NATPMP, PORTMAP_OP_PROBE, PORTMAP_GRANTED, endpoint(1, 0), 0, 50, 2);
	n = advance(&m, 2);
	expect_action(n, 0, NATPMP, PORTMAP_OP_MAP);
	/* shutdown while a NAT-PMP grant may be on its way: delete by internal port */
	assert_true(portmap_machine_release(&m, &release));
	assert_int_equal(release.index, NATPMP);
	assert_int_equal(release.request.op, PORTMAP_OP_UNMAP);
	answer(&m, NATPMP, PORTMAP_OP_MAP, PORTMAP_GRANTED, endpoint(1, 41641), 7200, 50, 3);
	assert_true(portmap_machine_release(&m, &release));
	assert_int_equal(release.request.external_port, 41641);
	portmap_machine_status(&m, &s);
	assert_true(s.protocols[CONFIG_PORTMAP_UPNP].configured);
	assert_false(s.protocols[CONFIG_PORTMAP_UPNP].tried);
	assert_string_equal(s.protocols[CONFIG_PORTMAP_UPNP].error, "could not start");
	/* started later: probed at once, the mapping left as it is */
	portmap_machine_available(&m, UPNP);
	n = advance(&m, 4);
	assert_int_equal(n, 1);
	expect_action(n, 0, UPNP, PORTMAP_OP_PROBE);
	assert_true(m.mapped);
}

static void
test_late_client_restarts_search(void **state)
{
	struct portmap_machine m;
	size_t n;

	(void)state;
	portmap_machine_init(&m, all, 1, 41641, 7200);
	portmap_machine_unavailable(&m, NATPMP, "could not start");
	assert_int_equal(advance(&m, 1), 0); /* nothing to probe: the search backs off */
	assert_int_equal(portmap_machine_deadline(&m), 1 + 5 * S);
	portmap_machine_available(&m, NATPMP);
	n = advance(&m, 2 * S);
	expect_action(n, 0, NATPMP, PORTMAP_OP_PROBE);
	answer(&m, NATPMP, PORTMAP_OP_PROBE, PORTMAP_GRANTED, endpoint(1, 0), 0, 9, 3 * S);
	n = advance(&m, 3 * S);
	expect_action(n, 0, NATPMP, PORTMAP_OP_MAP);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_search_in_config_order),
		cmocka_unit_test(test_renewal_at_half_life_same_port),
		cmocka_unit_test(test_check_sees_new_address),
		cmocka_unit_test(test_epoch_back_maps_again),
		cmocka_unit_test(test_renewal_refused_maps_again),
		cmocka_unit_test(test_silence_and_back_off),
		cmocka_unit_test(test_unusable_grants_move_on),
		cmocka_unit_test(test_expiry_without_answer),
		cmocka_unit_test(test_reprobe_keeps_mapping),
		cmocka_unit_test(test_unavailable_and_release),
		cmocka_unit_test(test_late_client_restarts_search),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
