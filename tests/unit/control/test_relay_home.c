/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The relay's home region choice (control/relay_home.c) on fake latency tables: the 5-minute
 * window, the lowest latency, hysteresis (more than 10 ms and below 2/3 of the old home, both),
 * a forced home, a provisional home before any measurement, an unreachable home.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "relay_home.h"

#define MS 1000u

static uint32_t
choose3(uint32_t a, uint32_t b, uint32_t c, uint32_t current, uint32_t forced)
{
	const struct relay_home_candidate t[] = {{900, a}, {901, b}, {902, c}};

	return relay_home_choose(t, 3, current, forced);
}

static void
test_window(void **state)
{
	struct relay_latency l = {0};
	uint64_t t0 = 1000000;

	(void)state;
	assert_int_equal(relay_latency_best(&l, t0), RELAY_LATENCY_UNKNOWN);
	assert_int_equal(relay_latency_last(&l, t0), RELAY_LATENCY_UNKNOWN);
	relay_latency_add(&l, t0, 30 * MS);
	relay_latency_add(&l, t0 + 10000, 50 * MS);
	relay_latency_add(&l, t0 + 20000, 40 * MS);
	assert_int_equal(relay_latency_best(&l, t0 + 20000), 30 * MS);
	assert_int_equal(relay_latency_last(&l, t0 + 20000), 40 * MS);
	/* the 30 ms sample leaves the window 5 minutes after it was taken */
	assert_int_equal(relay_latency_best(&l, t0 + RELAY_LATENCY_WINDOW_MS - 1), 30 * MS);
	assert_int_equal(relay_latency_best(&l, t0 + RELAY_LATENCY_WINDOW_MS), 40 * MS);
	assert_int_equal(relay_latency_best(&l, t0 + 20000 + RELAY_LATENCY_WINDOW_MS),
			 RELAY_LATENCY_UNKNOWN);
	assert_int_equal(relay_latency_last(&l, t0 + 20000 + RELAY_LATENCY_WINDOW_MS),
			 RELAY_LATENCY_UNKNOWN);
	/* a zero round trip is kept as 1 us, never as "unknown" or better than a real one */
	relay_latency_add(&l, t0 + 30000, 0);
	assert_int_equal(relay_latency_best(&l, t0 + 30000), 1);
}

static void
test_ring_keeps_the_latest(void **state)
{
	struct relay_latency l = {0};

	(void)state;
	/* an old low sample is overwritten once the ring wraps */
	relay_latency_add(&l, 1, 5 * MS);
	for (unsigned int i = 0; i < RELAY_LATENCY_SAMPLES; i++)
		relay_latency_add(&l, 2 + i, 20 * MS + i);
	assert_int_equal(relay_latency_best(&l, 100), 20 * MS);
	assert_int_equal(relay_latency_last(&l, 100), 20 * MS + RELAY_LATENCY_SAMPLES - 1);
}

static void
test_lowest_latency(void **state)
{
	(void)state;
	/* no home yet: the lowest wins */
	assert_int_equal(choose3(40 * MS, 12 * MS, 30 * MS, 0, 0), 901);
	assert_int_equal(choose3(RELAY_LATENCY_UNKNOWN, RELAY_LATENCY_UNKNOWN, 3 * MS, 0, 0), 902);
	/* nothing measured: the current home stays, or the first region is provisional */
	assert_int_equal(choose3(RELAY_LATENCY_UNKNOWN, RELAY_LATENCY_UNKNOWN,
				 RELAY_LATENCY_UNKNOWN, 901, 0), 901);
	assert_int_equal(choose3(RELAY_LATENCY_UNKNOWN, RELAY_LATENCY_UNKNOWN,
				 RELAY_LATENCY_UNKNOWN, 0, 0), 900);
	/* a current home that is no longer a candidate (reload) does not stick */
	assert_int_equal(choose3(40 * MS, 12 * MS, 30 * MS, 777, 0), 901);
	assert_int_equal(relay_home_choose(NULL, 0, 900, 900), 0);
}

static void
test_hysteresis(void **state)
{
	(void)state;
	/* 100 ms home: the best must be < 66.7 ms (2/3) and more than 10 ms faster */
	assert_int_equal(choose3(100 * MS, 67 * MS, 200 * MS, 900, 0), 900);
	assert_int_equal(choose3(100 * MS, 66 * MS, 200 * MS, 900, 0), 901);
	/* exactly 2/3 is not better than 2/3 */
	assert_int_equal(choose3(99 * MS, 66 * MS, 200 * MS, 900, 0), 900);
	/* 20 ms home: 2/3 is 13.3 ms, but a gain must also exceed 10 ms */
	assert_int_equal(choose3(20 * MS, 13 * MS, 200 * MS, 900, 0), 900);
	assert_int_equal(choose3(20 * MS, 10 * MS, 200 * MS, 900, 0), 900); /* exactly 10 ms */
	assert_int_equal(choose3(20 * MS, 10 * MS - 1, 200 * MS, 900, 0), 901);
	/* 3 ms home: 1 ms is far below 2/3 but only 2 ms better */
	assert_int_equal(choose3(3 * MS, 1 * MS, 200 * MS, 900, 0), 900);
	/* a slower region never displaces the home, whatever else happens */
	assert_int_equal(choose3(50 * MS, 60 * MS, 70 * MS, 900, 0), 900);
	/* the home is not the best but close: it stays */
	assert_int_equal(choose3(30 * MS, 25 * MS, 28 * MS, 900, 0), 900);
}

static void
test_unreachable_home_and_forced(void **state)
{
	(void)state;
	/* the home's samples aged out (unreachable for 5 minutes): the best measured wins */
	assert_int_equal(choose3(RELAY_LATENCY_UNKNOWN, 80 * MS, 90 * MS, 900, 0), 901);
	/* forced: whatever the latencies, even unmeasured */
	assert_int_equal(choose3(5 * MS, 80 * MS, RELAY_LATENCY_UNKNOWN, 900, 902), 902);
	/* a forced id that is not in the table is ignored */
	assert_int_equal(choose3(5 * MS, 80 * MS, 90 * MS, 0, 999), 900);
}

/* A day of drifting latencies: the home changes only on a real, lasting gain. */
static void
test_no_flapping(void **state)
{
	struct relay_latency a = {0}, b = {0};
	uint32_t home = 0, changes = 0;

	(void)state;
	for (uint64_t t = 0; t < 24ull * 3600 * 1000; t += 10000) {
		/* a: 20-29 ms, b: 15-34 ms, interleaved noise; never 10 ms apart at the best */
		uint32_t noise = (uint32_t)((t / 10000) * 2654435761u >> 28);
		struct relay_home_candidate c[2];
		uint32_t next;

		relay_latency_add(&a, t, 20 * MS + (noise % 10) * MS);
		relay_latency_add(&b, t, 15 * MS + (noise % 20) * MS);
		c[0] = (struct relay_home_candidate){900, relay_latency_best(&a, t)};
		c[1] = (struct relay_home_candidate){901, relay_latency_best(&b, t)};
		next = relay_home_choose(c, 2, home, 0);
		changes += home != 0 && next != home;
		home = next;
	}
	assert_int_equal(changes, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_window),
		cmocka_unit_test(test_ring_keeps_the_latest),
		cmocka_unit_test(test_lowest_latency),
		cmocka_unit_test(test_hysteresis),
		cmocka_unit_test(test_unreachable_home_and_forced),
		cmocka_unit_test(test_no_flapping),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
