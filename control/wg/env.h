/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the WireGuard core asks of its surroundings: a monotonic clock (timers, key ages,
 * cookie and rate-limit ages), the wall clock (TAI64N timestamps of initiations) and random bytes
 * (ephemeral keys, indices, nonces, cookie secrets, timer jitter). Tests and fuzzers pass fake
 * clocks and a deterministic generator; the programs pass wg_env_system.
 */
#ifndef EXITGATE_WG_ENV_H
#define EXITGATE_WG_ENV_H

#include <stddef.h>
#include <stdint.h>

struct wg_env {
	uint64_t (*monotonic_ns)(void *arg); /* counts across suspend (CLOCK_BOOTTIME) */
	uint64_t (*realtime_ns)(void *arg);  /* since the Unix epoch */
	void (*random_bytes)(void *arg, void *buf, size_t len);
	void *arg;
};

/* The real clocks and libsodium's randombytes_buf. */
extern const struct wg_env wg_env_system;

static inline uint64_t
wg_env_now(const struct wg_env *env)
{
	return env->monotonic_ns(env->arg);
}

static inline uint64_t
wg_env_realtime(const struct wg_env *env)
{
	return env->realtime_ns(env->arg);
}

static inline void
wg_env_random(const struct wg_env *env, void *buf, size_t len)
{
	env->random_bytes(env->arg, buf, len);
}

/* Uniform in [0, bound), bound > 0, without modulo bias. */
uint32_t wg_env_random_below(const struct wg_env *env, uint32_t bound);

#endif
