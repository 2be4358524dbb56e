/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The timer rules (control/wg/timers.c) one by one on a fake clock. test_device.c checks the
 * same rules again through a device, where they produce packets.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fake_env.h"
#include "timers.h"

#define SEC 1000000000ULL
#define MS  1000000ULL

struct fixture {
	struct fake_env env;
	struct wg_timers t;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	fake_env_init(&f->env, 4);
	timers_init(&f->t, &f->env.env);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	free(*state);
	return 0;
}

/* Move the clock to deadline d and run the timers. */
static unsigned
run_at(struct fixture *f, uint64_t d)
{
	assert_true(d >= f->env.monotonic_ns);
	fake_env_advance_ns(&f->env, d - f->env.monotonic_ns);
	return timers_expire(&f->t);
}

static void
test_nothing_armed(void **state)
{
	struct fixture *f = *state;

	assert_true(timers_next_deadline(&f->t) == WG_TIMER_OFF);
	fake_env_advance_ns(&f->env, 1000 * SEC);
	assert_int_equal(timers_expire(&f->t), 0);
}

static void
test_retransmit_with_jitter(void **state)
{
	struct fixture *f = *state;
	uint64_t start = f->env.monotonic_ns;
	uint64_t d;

	timers_handshake_initiated(&f->t);
	d = timers_next_deadline(&f->t);
	assert_true(d >= start + 5 * SEC && d < start + 5 * SEC + 334 * MS);
	fake_env_advance_ns(&f->env, d - start - 1);
	assert_int_equal(timers_expire(&f->t), 0);
	assert_int_equal(run_at(f, d), WG_TIMER_RETRY_INITIATION);
	assert_int_equal(f->t.handshake_attempts, 1);
	assert_true(timers_next_deadline(&f->t) == WG_TIMER_OFF);
	/* an answer stops the retries */
	timers_handshake_initiated(&f->t);
	timers_handshake_complete(&f->t);
	assert_true(timers_next_deadline(&f->t) == WG_TIMER_OFF);
	assert_int_equal(f->t.handshake_attempts, 0);
	assert_true(f->t.last_handshake_realtime_ns == f->env.realtime_ns);
}

/* The first initiation and 19 retries, one REKEY_TIMEOUT (+ jitter) apart; then give up and
 * zero the keys 540 s later. */
static void
test_give_up_after_20_tries(void **state)
{
	struct fixture *f = *state;
	uint64_t start = f->env.monotonic_ns;
	unsigned tries = 1, actions;
	uint64_t gave_up_at;

	assert_true(timers_initiation_allowed(&f->t, false));
	timers_handshake_initiated(&f->t);
	for (;;) {
		actions = run_at(f, timers_next_deadline(&f->t));
		if (actions & WG_TIMER_GIVE_UP)
			break;
		assert_int_equal(actions, WG_TIMER_RETRY_INITIATION);
		assert_true(timers_initiation_allowed(&f->t, true));
		timers_handshake_initiated(&f->t);
		tries++;
	}
	assert_int_equal(tries, 20);
	gave_up_at = f->env.monotonic_ns;
	/* 20 intervals of 5..5.334 s */
	assert_true(gave_up_at - start >= 100 * SEC &&
		    gave_up_at - start < 100 * SEC + 20 * 334 * MS);
	assert_true(timers_next_deadline(&f->t) == gave_up_at + 540 * SEC);
	assert_int_equal(run_at(f, gave_up_at + 540 * SEC), WG_TIMER_ZERO_KEYS);
}

static void
test_passive_keepalive(void **state)
{
	struct fixture *f = *state;
	uint64_t start = f->env.monotonic_ns;

	timers_data_received(&f->t);
	assert_true(timers_next_deadline(&f->t) == start + 10 * SEC);
	/* more data before it fires: one more keepalive will be wanted after this one */
	fake_env_advance_ns(&f->env, 3 * SEC);
	timers_data_received(&f->t);
	assert_true(timers_next_deadline(&f->t) == start + 10 * SEC);
	assert_int_equal(run_at(f, start + 10 * SEC), WG_TIMER_SEND_KEEPALIVE);
	assert_true(timers_next_deadline(&f->t) == start + 20 * SEC);
	assert_int_equal(run_at(f, start + 20 * SEC), WG_TIMER_SEND_KEEPALIVE);
	assert_true(timers_next_deadline(&f->t) == WG_TIMER_OFF);
	/* anything we send cancels it: the peer heard from us anyway */
	timers_data_received(&f->t);
	timers_any_authenticated_packet_sent(&f->t);
	assert_true(timers_next_deadline(&f->t) == WG_TIMER_OFF);
}

static void
test_new_handshake_after_15s(void **state)
{
	struct fixture *f = *state;
	uint64_t start = f->env.monotonic_ns;
	uint64_t d;

	timers_data_sent(&f->t);
	d = timers_next_deadline(&f->t);
	assert_true(d >= start + 15 * SEC && d < start + 15 * SEC + 334 * MS);
	/* more data does not push it back */
	fake_env_advance_ns(&f->env, 5 * SEC);
	timers_data_sent(&f->t);
	assert_true(timers_next_deadline(&f->t) == d);
	/* anything authenticated from the peer cancels it */
	timers_any_authenticated_packet_received(&f->t);
	assert_true(timers_next_deadline(&f->t) == WG_TIMER_OFF);
	timers_data_sent(&f->t);
	assert_int_equal(run_at(f, timers_next_deadline(&f->t)), WG_TIMER_SEND_INITIATION);
}

static void
test_zero_keys_after_540s(void **state)
{
	struct fixture *f = *state;
	uint64_t start = f->env.monotonic_ns;

	timers_session_derived(&f->t);
	assert_true(timers_next_deadline(&f->t) == start + 540 * SEC);
	/* a new session moves it */
	fake_env_advance_ns(&f->env, 100 * SEC);
	timers_session_derived(&f->t);
	assert_true(timers_next_deadline(&f->t) == start + 640 * SEC);
	assert_int_equal(run_at(f, start + 640 * SEC - 1), 0);
	assert_int_equal(run_at(f, start + 640 * SEC), WG_TIMER_ZERO_KEYS);
}

static void
test_persistent_keepalive(void **state)
{
	struct fixture *f = *state;
	uint64_t start = f->env.monotonic_ns;

	timers_any_authenticated_packet_traversal(&f->t); /* off: nothing */
	assert_true(timers_next_deadline(&f->t) == WG_TIMER_OFF);
	timers_set_persistent_keepalive(&f->t, 25);
	assert_true(timers_next_deadline(&f->t) == start); /* one at once */
	assert_int_equal(timers_expire(&f->t), WG_TIMER_SEND_KEEPALIVE);
	timers_any_authenticated_packet_traversal(&f->t);
	assert_true(timers_next_deadline(&f->t) == start + 25 * SEC);
	fake_env_advance_ns(&f->env, 20 * SEC);
	timers_any_authenticated_packet_traversal(&f->t);
	assert_true(timers_next_deadline(&f->t) == start + 45 * SEC);
	assert_int_equal(run_at(f, start + 45 * SEC), WG_TIMER_SEND_KEEPALIVE);
	timers_set_persistent_keepalive(&f->t, 0);
	timers_any_authenticated_packet_traversal(&f->t);
	assert_true(timers_next_deadline(&f->t) == WG_TIMER_OFF);
}

static void
test_initiation_rate_limit(void **state)
{
	struct fixture *f = *state;

	assert_true(timers_initiation_allowed(&f->t, false));
	timers_handshake_initiated(&f->t);
	f->t.handshake_attempts = 7;
	fake_env_advance_ns(&f->env, 5 * SEC - 1);
	assert_false(timers_initiation_allowed(&f->t, true));
	assert_int_equal(f->t.handshake_attempts, 7);
	assert_false(timers_initiation_allowed(&f->t, false));
	assert_int_equal(f->t.handshake_attempts, 0); /* a new handshake starts counting again */
	fake_env_advance_ns(&f->env, 1);
	assert_true(timers_initiation_allowed(&f->t, false));
	/* a response we sent counts too */
	timers_handshake_response_sent(&f->t);
	assert_false(timers_initiation_allowed(&f->t, false));
}

/* The once-per-handshake gate of the 165 s rule; the age rules are noise's (test_noise.c). */
static void
test_rekey_on_receive(void **state)
{
	struct fixture *f = *state;
	static const uint8_t key[32] = { 1 };
	struct wg_keypair *kp = aligned_alloc(64, sizeof(*kp));
	uint64_t birth = f->env.monotonic_ns;

	assert_non_null(kp);
	assert_false(timers_rekey_on_receive(&f->t, NULL));
	wg_keypair_init(kp, key, key, 1, 2, true, birth);
	fake_env_advance_ns(&f->env, 165 * SEC - 1);
	assert_false(timers_rekey_on_receive(&f->t, kp));
	fake_env_advance_ns(&f->env, 1);
	assert_true(timers_rekey_on_receive(&f->t, kp));
	assert_false(timers_rekey_on_receive(&f->t, kp));
	timers_handshake_complete(&f->t);
	assert_true(timers_rekey_on_receive(&f->t, kp));
	/* a responder's keypair never asks */
	wg_keypair_init(kp, key, key, 1, 2, false, birth);
	timers_handshake_complete(&f->t);
	assert_false(timers_rekey_on_receive(&f->t, kp));
	free(kp);
}

static void
test_next_deadline_is_earliest(void **state)
{
	struct fixture *f = *state;
	uint64_t start = f->env.monotonic_ns;

	timers_session_derived(&f->t);     /* +540 s */
	timers_data_received(&f->t);       /* +10 s */
	timers_handshake_initiated(&f->t); /* +5 s + jitter */
	assert_true(timers_next_deadline(&f->t) < start + 6 * SEC);
	timers_handshake_complete(&f->t);
	assert_true(timers_next_deadline(&f->t) == start + 10 * SEC);
	/* two at once: both actions */
	timers_data_sent(&f->t); /* +15 s + jitter */
	assert_int_equal(run_at(f, start + 16 * SEC),
			 WG_TIMER_SEND_KEEPALIVE | WG_TIMER_SEND_INITIATION);
	timers_stop(&f->t);
	assert_true(timers_next_deadline(&f->t) == WG_TIMER_OFF);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_nothing_armed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retransmit_with_jitter, setup, teardown),
		cmocka_unit_test_setup_teardown(test_give_up_after_20_tries, setup, teardown),
		cmocka_unit_test_setup_teardown(test_passive_keepalive, setup, teardown),
		cmocka_unit_test_setup_teardown(test_new_handshake_after_15s, setup, teardown),
		cmocka_unit_test_setup_teardown(test_zero_keys_after_540s, setup, teardown),
		cmocka_unit_test_setup_teardown(test_persistent_keepalive, setup, teardown),
		cmocka_unit_test_setup_teardown(test_initiation_rate_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rekey_on_receive, setup, teardown),
		cmocka_unit_test_setup_teardown(test_next_deadline_is_earliest, setup, teardown),
	};

	return cmocka_run_group_tests_name("wg_timers", tests, NULL, NULL);
}
