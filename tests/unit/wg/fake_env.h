/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A wg_env for tests and fuzzers: clocks that move only when told, and random bytes from a
 * ChaCha20 stream under a fixed seed, so that runs are reproducible.
 */
#ifndef EXITGATE_TESTS_WG_FAKE_ENV_H
#define EXITGATE_TESTS_WG_FAKE_ENV_H

#include <stdint.h>

#include "env.h"

struct fake_env {
	struct wg_env env;
	uint64_t monotonic_ns;
	uint64_t realtime_ns;
	uint8_t seed[32];
	uint64_t stream_position;
};

/* Start at monotonic 1000 s, realtime 2026-01-01, with a seed derived from seed_byte. */
void fake_env_init(struct fake_env *f, uint8_t seed_byte);
/* Move both clocks forward. */
void fake_env_advance_ns(struct fake_env *f, uint64_t ns);
void fake_env_advance_ms(struct fake_env *f, uint64_t ms);

#endif
