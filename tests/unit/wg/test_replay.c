/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The replay window (dataplane/wg/replay_window.c) with the sequence and bulk tests of Linux's
 * selftest/counter.c as protocols.md lists them, a property test against a naive set model, and
 * the keypair's counter reservation and replay claim (dataplane/wg/keypair.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "keypair.h"
#include "messages.h"
#include "replay_window.h"

#define W ((uint64_t)WG_REPLAY_WINDOW_SIZE)
#define T (W + 1)
#define R WG_REJECT_AFTER_MESSAGES

static void
test_window_size(void **state)
{
	(void)state;
	assert_int_equal(WG_REPLAY_WINDOW_SIZE, 8128);
	assert_true(R == 0xffffffffffffdfffULL); /* 2^64 - 2^13 - 1 */
}

static void
test_sequence(void **state)
{
	static const struct {
		uint64_t counter;
		bool accepted;
	} steps[] = {
		{ 0, true },          { 1, true },         { 1, false },         { 9, true },
		{ 8, true },          { 7, true },         { 7, false },         { T, true },
		{ W, true },          { W, false },        { W - 1, true },      { 2, true },
		{ 2, false },         { T + 16, true },    { 3, false },         { T + 16, false },
		{ 4 * T, true },      { 3 * T + 1, true }, { 10, false },        { 3 * T, false },
		{ 3 * T - 1, false }, { 3 * T + 2, true }, { 3 * T + 1, false }, { 0, false },
		{ R, false },         { R - 1, true },     { R, false },         { R - 1, false },
		{ R - 2, true },      { R + 1, false },    { R + 2, false },     { R - 2, false },
		{ R - 3, true },      { 0, false },
	};
	struct replay_window w;
	size_t i;

	(void)state;
	/* the protocols.md values, spelled out once */
	assert_true(T == 8129 && T + 16 == 8145 && 4 * T == 32516 && 3 * T + 1 == 24388);
	assert_int_equal(sizeof(steps) / sizeof(steps[0]), 34);
	replay_window_reset(&w);
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		bool got = replay_window_check_and_update(&w, steps[i].counter);

		if (got != steps[i].accepted)
			fail_msg("step %zu: counter %llu: got %d, want %d", i + 1,
				 (unsigned long long)steps[i].counter, got, steps[i].accepted);
	}
}

static void
expect_range(struct replay_window *w, uint64_t from, uint64_t to, bool accepted)
{
	uint64_t c = from;

	for (;;) {
		if (replay_window_check_and_update(w, c) != accepted)
			fail_msg("counter %llu: want %d", (unsigned long long)c, accepted);
		if (c == to)
			break;
		c = from < to ? c + 1 : c - 1;
	}
}

static void
expect_one(struct replay_window *w, uint64_t c, bool accepted)
{
	if (replay_window_check_and_update(w, c) != accepted)
		fail_msg("counter %llu: want %d", (unsigned long long)c, accepted);
}

static void
test_bulk(void **state)
{
	struct replay_window w;

	(void)state;
	/* 1..W all y then 0 y, 0 n */
	replay_window_reset(&w);
	expect_range(&w, 1, W, true);
	expect_one(&w, 0, true);
	expect_one(&w, 0, false);
	/* 2..W+1 y then 1 y, 0 n */
	replay_window_reset(&w);
	expect_range(&w, 2, W + 1, true);
	expect_one(&w, 1, true);
	expect_one(&w, 0, false);
	/* W down to 0 all y */
	replay_window_reset(&w);
	expect_range(&w, W, 0, true);
	/* W+1 down to 1 y then 0 n */
	replay_window_reset(&w);
	expect_range(&w, W + 1, 1, true);
	expect_one(&w, 0, false);
	/* W down to 1 y, W+1 y, 0 n */
	replay_window_reset(&w);
	expect_range(&w, W, 1, true);
	expect_one(&w, W + 1, true);
	expect_one(&w, 0, false);
	/* W down to 1 y, 0 y, W+1 y */
	replay_window_reset(&w);
	expect_range(&w, W, 1, true);
	expect_one(&w, 0, true);
	expect_one(&w, W + 1, true);
}

/* The model: a set of accepted counters and the greatest; a counter is accepted when it is below
 * R, not in the set, and at most W behind the greatest. */
static void
test_property_against_set(void **state)
{
	enum { SPAN = 4000000, STEPS = 300000 };
	bool *seen = calloc(SPAN, sizeof(*seen));
	struct replay_window w;
	uint64_t greatest = 0;
	bool any = false;
	unsigned seed = 12345;
	unsigned accepted = 0;
	size_t i;

	(void)state;
	assert_non_null(seen);
	replay_window_reset(&w);
	for (i = 0; i < STEPS; i++) {
		uint64_t base = any ? greatest : 0;
		uint64_t c;
		bool model;
		bool got;

		/* mostly near the front, sometimes far behind or far ahead */
		switch (rand_r(&seed) % 64) {
		case 0:
			c = base + (uint64_t)(rand_r(&seed) % 20000);
			break;
		case 1:
		case 2:
		case 3:
		case 4:
		case 5:
		case 6:
		case 7:
		case 8:
		case 9:
		case 10:
			c = base + (uint64_t)(rand_r(&seed) % 100);
			break;
		case 11:
			c = (uint64_t)(rand_r(&seed) % (base + 1));
			break;
		default:
			c = base + 64 - (uint64_t)(rand_r(&seed) % (W + 300));
			if (c > base + 64) /* wrapped below zero */
				c = (uint64_t)(rand_r(&seed) % 64);
			break;
		}
		if (c >= SPAN)
			c = SPAN - 1 - (uint64_t)(rand_r(&seed) % 100);
		model = !seen[c] && (!any || c > greatest || greatest - c <= W);
		assert_int_equal(replay_window_check(&w, c), model);
		got = replay_window_check_and_update(&w, c);
		assert_int_equal(got, model);
		if (model) {
			seen[c] = true;
			if (!any || c > greatest)
				greatest = c;
			any = true;
			accepted++;
		}
	}
	assert_true(accepted > STEPS / 10);
	free(seen);
}

static struct wg_keypair *
keypair_new(void)
{
	static const uint8_t send[32] = { 1 };
	static const uint8_t receive[32] = { 2 };
	struct wg_keypair *kp = aligned_alloc(WG_CACHE_LINE, sizeof(*kp));

	assert_non_null(kp);
	wg_keypair_init(kp, send, receive, 11, 22, false, 5);
	return kp;
}

static void
test_keypair_layout(void **state)
{
	(void)state;
	/* the per-packet fields sit on their own cache lines */
	assert_int_equal(offsetof(struct wg_keypair, send_key) % WG_CACHE_LINE, 0);
	assert_int_equal(offsetof(struct wg_keypair, send_counter) % WG_CACHE_LINE, 0);
	assert_int_equal(offsetof(struct wg_keypair, replay_claim) % WG_CACHE_LINE, 0);
	assert_true(offsetof(struct wg_keypair, send_counter) >=
		    offsetof(struct wg_keypair, initiator) + 1);
}

static void
test_keypair_counters(void **state)
{
	struct wg_keypair *kp = keypair_new();
	uint64_t first = 99;

	(void)state;
	assert_false(wg_keypair_can_send(kp)); /* responder: waits for confirmation */
	wg_keypair_set_can_send(kp, true);
	assert_true(wg_keypair_can_send(kp));
	assert_int_equal(wg_keypair_reserve_send_counters(kp, 32, &first), 32);
	assert_true(first == 0);
	assert_int_equal(wg_keypair_reserve_send_counters(kp, 1, &first), 1);
	assert_true(first == 32);
	assert_true(wg_keypair_send_counter(kp) == 33);
	/* near the limit: only what is left below REJECT_AFTER_MESSAGES is granted */
	atomic_store(&kp->send_counter, R - 10);
	assert_int_equal(wg_keypair_reserve_send_counters(kp, 32, &first), 10);
	assert_true(first == R - 10);
	assert_int_equal(wg_keypair_reserve_send_counters(kp, 1, &first), 0);
	assert_int_equal(wg_keypair_reserve_send_counters(kp, 32, &first), 0);
	/* exhausted reservations do not move the counter any more: it cannot wrap */
	assert_true(wg_keypair_send_counter(kp) == R + 22);
	wg_keypair_wipe(kp);
	assert_false(wg_keypair_can_send(kp));
	free(kp);
}

static void
test_keypair_replay_claim(void **state)
{
	struct wg_keypair *kp = keypair_new();

	(void)state;
	assert_int_equal(wg_keypair_replay_precheck(kp, 5), WG_REPLAY_ACCEPT);
	assert_int_equal(wg_keypair_replay_commit(kp, 5), WG_REPLAY_ACCEPT);
	assert_int_equal(wg_keypair_replay_precheck(kp, 5), WG_REPLAY_REJECT);
	assert_int_equal(wg_keypair_replay_commit(kp, 5), WG_REPLAY_REJECT);
	assert_int_equal(wg_keypair_replay_precheck(kp, R), WG_REPLAY_REJECT);
	/* another receiver holds the window */
	assert_false(atomic_flag_test_and_set(&kp->replay_claim));
	assert_int_equal(wg_keypair_replay_precheck(kp, 6), WG_REPLAY_ACCEPT);
	assert_int_equal(wg_keypair_replay_precheck(kp, 5), WG_REPLAY_ACCEPT); /* undecided */
	assert_int_equal(wg_keypair_replay_commit(kp, 6), WG_REPLAY_CONTENDED);
	atomic_flag_clear(&kp->replay_claim);
	/* the contended packet did not move the window */
	assert_int_equal(wg_keypair_replay_commit(kp, 6), WG_REPLAY_ACCEPT);
	assert_int_equal(wg_keypair_replay_commit(kp, 6), WG_REPLAY_REJECT);
	free(kp);
}

static void
test_keypair_expiry(void **state)
{
	struct wg_keypair *kp = keypair_new();

	(void)state;
	assert_false(wg_keypair_expired(kp, 5 + WG_REJECT_AFTER_TIME_NS - 1));
	assert_true(wg_keypair_expired(kp, 5 + WG_REJECT_AFTER_TIME_NS));
	free(kp);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_window_size),
		cmocka_unit_test(test_sequence),
		cmocka_unit_test(test_bulk),
		cmocka_unit_test(test_property_against_set),
		cmocka_unit_test(test_keypair_layout),
		cmocka_unit_test(test_keypair_counters),
		cmocka_unit_test(test_keypair_replay_claim),
		cmocka_unit_test(test_keypair_expiry),
	};

	return cmocka_run_group_tests_name("wg_replay", tests, NULL, NULL);
}
