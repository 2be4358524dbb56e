/* SPDX-License-Identifier: BSD-3-Clause */
#include <time.h>

#include <sodium.h>

#include "env.h"

static uint64_t
system_monotonic_ns(void *arg)
{
	struct timespec ts;

	(void)arg;
	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static uint64_t
system_realtime_ns(void *arg)
{
	struct timespec ts;

	(void)arg;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void
system_random_bytes(void *arg, void *buf, size_t len)
{
	(void)arg;
	randombytes_buf(buf, len);
}

const struct wg_env wg_env_system = {
	.monotonic_ns = system_monotonic_ns,
	.realtime_ns = system_realtime_ns,
	.random_bytes = system_random_bytes,
	.arg = NULL,
};

uint32_t
wg_env_random_below(const struct wg_env *env, uint32_t bound)
{
	/* Reject the top partial range of 2^32 so every residue is equally likely. */
	uint64_t limit = (1ULL << 32) - ((1ULL << 32) % bound);
	uint32_t r;

	do {
		wg_env_random(env, &r, sizeof(r));
	} while (r >= limit);
	return r % bound;
}
