/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-source token buckets for handshake messages while under load: 20 per second with a
 * burst of 5, one bucket per IPv4 /32 and per IPv6 /64 (one host usually owns a whole /64).
 * The table is bounded and allocated once: when it is full a new source is refused (an
 * attacker with many addresses fills it, and then only sources already known get through,
 * which is what matters under attack). An entry idle for 1 s has a full bucket again and is
 * removed by ratelimiter_gc, which the owner's loop calls at ratelimiter_next_gc().
 *
 * Concurrency: single-threaded, no timers or threads of its own.
 */
#ifndef EXITGATE_WG_RATELIMITER_H
#define EXITGATE_WG_RATELIMITER_H

#include <stdbool.h>
#include <stdint.h>

#include "env.h"
#include "netaddr.h"

enum {
	RATELIMITER_KEY_LEN = 9, /* family + 8 address bytes (IPv4 /32 or IPv6 /64) */
	RATELIMITER_DEFAULT_CAPACITY = 8192,
};

struct ratelimiter_entry;

struct ratelimiter {
	struct ratelimiter_entry *entries;
	int32_t *buckets; /* heads of the hash chains, -1 = empty */
	int32_t free_head;
	uint32_t capacity;
	uint32_t bucket_mask;
	uint32_t count;
	uint8_t hash_key[16]; /* SipHash key: sources cannot aim at one chain */
	const struct wg_env *env;
	uint64_t last_gc_ns;
};

/* Allocate a table for capacity sources; 0, or -1 (logged). */
int ratelimiter_init(struct ratelimiter *rl, uint32_t capacity, const struct wg_env *env);
void ratelimiter_fini(struct ratelimiter *rl);
/* true when a handshake message from source may be processed now (spends a token). */
bool ratelimiter_allow(struct ratelimiter *rl, const struct netaddr *source);
/* Remove entries idle for a second or more. */
void ratelimiter_gc(struct ratelimiter *rl);
/* When ratelimiter_gc is next due; UINT64_MAX when the table is empty. */
uint64_t ratelimiter_next_gc(const struct ratelimiter *rl);
uint32_t ratelimiter_count(const struct ratelimiter *rl);

#endif
