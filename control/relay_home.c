/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdbool.h>

#include "relay_home.h"

void
relay_latency_add(struct relay_latency *l, uint64_t now_ms, uint32_t rtt_us)
{
	/* a measured zero would read as "better than anything": a round trip takes time */
	l->samples[l->next] = (struct relay_latency_sample){now_ms, rtt_us != 0 ? rtt_us : 1};
	l->next = (l->next + 1) % RELAY_LATENCY_SAMPLES;
	if (l->count < RELAY_LATENCY_SAMPLES)
		l->count++;
}

static bool
in_window(const struct relay_latency_sample *s, uint64_t now_ms)
{
	return s->at_ms <= now_ms && now_ms - s->at_ms < RELAY_LATENCY_WINDOW_MS;
}

uint32_t
relay_latency_best(const struct relay_latency *l, uint64_t now_ms)
{
	uint32_t best = RELAY_LATENCY_UNKNOWN;

	for (unsigned int i = 0; i < l->count; i++) {
		const struct relay_latency_sample *s = &l->samples[i];

		if (in_window(s, now_ms) && s->rtt_us < best)
			best = s->rtt_us;
	}
	return best;
}

uint32_t
relay_latency_last(const struct relay_latency *l, uint64_t now_ms)
{
	const struct relay_latency_sample *s;

	if (l->count == 0)
		return RELAY_LATENCY_UNKNOWN;
	s = &l->samples[(l->next + RELAY_LATENCY_SAMPLES - 1) % RELAY_LATENCY_SAMPLES];
	return in_window(s, now_ms) ? s->rtt_us : RELAY_LATENCY_UNKNOWN;
}

static const struct relay_home_candidate *
find(const struct relay_home_candidate *c, size_t n, uint32_t region_id)
{
	for (size_t i = 0; region_id != 0 && i < n; i++)
		if (c[i].region_id == region_id)
			return &c[i];
	return NULL;
}

uint32_t
relay_home_choose(const struct relay_home_candidate *c, size_t n, uint32_t current,
		  uint32_t forced)
{
	const struct relay_home_candidate *best = NULL, *home;

	if (n == 0)
		return 0;
	if (find(c, n, forced) != NULL)
		return forced;
	for (size_t i = 0; i < n; i++)
		if (c[i].latency_us != RELAY_LATENCY_UNKNOWN &&
		    (best == NULL || c[i].latency_us < best->latency_us))
			best = &c[i];
	home = find(c, n, current);
	if (best == NULL)
		return home != NULL ? home->region_id : c[0].region_id;
	if (home == NULL || home->latency_us == RELAY_LATENCY_UNKNOWN || home == best)
		return best->region_id;
	/* both conditions, in integers: gain > 10 ms and best < 2/3 of the home's */
	if (home->latency_us - best->latency_us > RELAY_HOME_MIN_GAIN_US &&
	    (uint64_t)best->latency_us * 3 < (uint64_t)home->latency_us * 2)
		return best->region_id;
	return home->region_id;
}
