/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>

#include <sodium.h>

#include "fake_env.h"

static uint64_t
fake_monotonic(void *arg)
{
	return ((struct fake_env *)arg)->monotonic_ns;
}

static uint64_t
fake_realtime(void *arg)
{
	return ((struct fake_env *)arg)->realtime_ns;
}

static void
fake_random(void *arg, void *buf, size_t len)
{
	struct fake_env *f = arg;
	uint8_t nonce[crypto_stream_chacha20_NONCEBYTES];

	memcpy(nonce, &f->stream_position, sizeof(nonce));
	f->stream_position++;
	crypto_stream_chacha20(buf, len, nonce, f->seed);
}

void
fake_env_init(struct fake_env *f, uint8_t seed_byte)
{
	memset(f, 0, sizeof(*f));
	f->env.monotonic_ns = fake_monotonic;
	f->env.realtime_ns = fake_realtime;
	f->env.random_bytes = fake_random;
	f->env.arg = f;
	f->monotonic_ns = 1000ULL * 1000000000ULL;
	f->realtime_ns = 1767225600ULL * 1000000000ULL;
	memset(f->seed, seed_byte, sizeof(f->seed));
}

void
fake_env_advance_ns(struct fake_env *f, uint64_t ns)
{
	f->monotonic_ns += ns;
	f->realtime_ns += ns;
}

void
fake_env_advance_ms(struct fake_env *f, uint64_t ms)
{
	fake_env_advance_ns(f, ms * 1000000ULL);
}
