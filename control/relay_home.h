/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The relay's home region (protocols.md section 2, as Tailscale's netcheck does it): each region
 * keeps the round trips measured over its connection (DERP Ping/Pong) for the last 5 minutes;
 * the home is the region with the lowest of them, but an existing home is kept unless the best
 * region is more than 10 ms faster *and* faster than 2/3 of the home's latency, so two regions
 * of similar latency do not take turns. Pure functions over a latency table: no sockets, no
 * clocks (times are passed in), so the unit tests drive them with a fake table.
 */
#ifndef EXITGATE_CONTROL_RELAY_HOME_H
#define EXITGATE_CONTROL_RELAY_HOME_H

#include <stddef.h>
#include <stdint.h>

enum {
	RELAY_LATENCY_SAMPLES = 64,          /* a ping every 10 s fills 5 minutes with 30 */
	RELAY_LATENCY_WINDOW_MS = 5 * 60 * 1000,
	RELAY_HOME_MIN_GAIN_US = 10 * 1000,  /* a new home must be more than 10 ms faster */
};

#define RELAY_LATENCY_UNKNOWN UINT32_MAX

struct relay_latency_sample {
	uint64_t at_ms;
	uint32_t rtt_us;
};

/* A ring of the latest samples of one region. */
struct relay_latency {
	struct relay_latency_sample samples[RELAY_LATENCY_SAMPLES];
	unsigned int next;
	unsigned int count;
};

void relay_latency_add(struct relay_latency *l, uint64_t now_ms, uint32_t rtt_us);
/* The lowest round trip measured within the window before now_ms, or RELAY_LATENCY_UNKNOWN. */
uint32_t relay_latency_best(const struct relay_latency *l, uint64_t now_ms);
/* The most recent sample within the window, or RELAY_LATENCY_UNKNOWN. */
uint32_t relay_latency_last(const struct relay_latency *l, uint64_t now_ms);

struct relay_home_candidate {
	uint32_t region_id;
	uint32_t latency_us; /* relay_latency_best(), RELAY_LATENCY_UNKNOWN when unmeasured */
};

/*
 * The home region among n candidates (in configuration order):
 *  - forced (non-zero and one of the candidates) always wins;
 *  - with no latency known anywhere: the current home when it is still a candidate, else the
 *    first candidate (a provisional home, so a node relays before its first measurement);
 *  - otherwise the lowest latency, unless the current home has a latency and the best is not
 *    both more than RELAY_HOME_MIN_GAIN_US faster and below 2/3 of the home's latency.
 * Returns 0 only when n is 0.
 */
uint32_t relay_home_choose(const struct relay_home_candidate *candidates, size_t n,
			   uint32_t current, uint32_t forced);

#endif
