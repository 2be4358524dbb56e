/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Buckets hold time in nanoseconds: a message costs 1/20 s, a bucket holds at most 5 messages'
 * worth, and idle time refills it one nanosecond per nanosecond.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <sodium.h>

#include "log.h"
#include "messages.h"
#include "ratelimiter.h"

static const uint64_t PACKET_COST_NS = 1000000000ULL / WG_HANDSHAKE_RATE_PER_SECOND;
static const uint64_t TOKEN_MAX_NS =
	1000000000ULL / WG_HANDSHAKE_RATE_PER_SECOND * WG_HANDSHAKE_RATE_BURST;
static const uint64_t IDLE_EXPIRY_NS = 1000000000ULL;

struct ratelimiter_entry {
	uint8_t key[RATELIMITER_KEY_LEN];
	int32_t next; /* chain or free list */
	uint64_t last_ns;
	uint64_t tokens_ns;
};

int
ratelimiter_init(struct ratelimiter *rl, uint32_t capacity, const struct wg_env *env)
{
	uint32_t buckets = 1;
	uint32_t i;

	memset(rl, 0, sizeof(*rl));
	if (capacity == 0 || capacity > (1U << 24)) {
		log_warn("wg ratelimiter: capacity %u: must be 1..%u", capacity, 1U << 24);
		return -1;
	}
	while (buckets < capacity)
		buckets <<= 1;
	rl->entries = calloc(capacity, sizeof(*rl->entries));
	rl->buckets = malloc(buckets * sizeof(*rl->buckets));
	if (rl->entries == NULL || rl->buckets == NULL) {
		log_warn("wg ratelimiter: calloc %u entries: out of memory", capacity);
		ratelimiter_fini(rl);
		return -1;
	}
	for (i = 0; i < buckets; i++)
		rl->buckets[i] = -1;
	for (i = 0; i < capacity; i++)
		rl->entries[i].next = i + 1 < capacity ? (int32_t)(i + 1) : -1;
	rl->free_head = 0;
	rl->capacity = capacity;
	rl->bucket_mask = buckets - 1;
	rl->env = env;
	wg_env_random(env, rl->hash_key, sizeof(rl->hash_key));
	rl->last_gc_ns = wg_env_now(env);
	return 0;
}

void
ratelimiter_fini(struct ratelimiter *rl)
{
	free(rl->entries);
	free(rl->buckets);
	memset(rl, 0, sizeof(*rl));
}

static void
source_key(uint8_t key[RATELIMITER_KEY_LEN], const struct netaddr *source)
{
	memset(key, 0, RATELIMITER_KEY_LEN);
	key[0] = source->family;
	/* IPv4 /32: 4 bytes; IPv6 /64 and a relay source (family 0: a relay key's first bytes,
	 * device.h): the first 8 bytes */
	memcpy(key + 1, source->bytes, source->family == AF_INET ? 4 : 8);
}

static uint32_t
bucket_of(const struct ratelimiter *rl, const uint8_t key[RATELIMITER_KEY_LEN])
{
	uint64_t h;

	crypto_shorthash((unsigned char *)&h, key, RATELIMITER_KEY_LEN, rl->hash_key);
	return (uint32_t)h & rl->bucket_mask;
}

bool
ratelimiter_allow(struct ratelimiter *rl, const struct netaddr *source)
{
	uint8_t key[RATELIMITER_KEY_LEN];
	uint64_t now = wg_env_now(rl->env);
	uint32_t bucket;
	int32_t i;

	source_key(key, source);
	bucket = bucket_of(rl, key);
	for (i = rl->buckets[bucket]; i >= 0; i = rl->entries[i].next) {
		struct ratelimiter_entry *e = &rl->entries[i];
		uint64_t tokens;

		if (memcmp(e->key, key, RATELIMITER_KEY_LEN) != 0)
			continue;
		tokens = e->tokens_ns + (now - e->last_ns);
		if (tokens > TOKEN_MAX_NS)
			tokens = TOKEN_MAX_NS;
		e->last_ns = now;
		if (tokens < PACKET_COST_NS) {
			e->tokens_ns = tokens;
			return false;
		}
		e->tokens_ns = tokens - PACKET_COST_NS;
		return true;
	}
	if (rl->free_head < 0)
		return false; /* full: new sources are refused */
	i = rl->free_head;
	rl->free_head = rl->entries[i].next;
	memcpy(rl->entries[i].key, key, RATELIMITER_KEY_LEN);
	rl->entries[i].last_ns = now;
	rl->entries[i].tokens_ns = TOKEN_MAX_NS - PACKET_COST_NS;
	rl->entries[i].next = rl->buckets[bucket];
	rl->buckets[bucket] = i;
	rl->count++;
	return true;
}

void
ratelimiter_gc(struct ratelimiter *rl)
{
	uint64_t now = wg_env_now(rl->env);
	uint32_t b;

	for (b = 0; b <= rl->bucket_mask && rl->count > 0; b++) {
		int32_t *link = &rl->buckets[b];

		while (*link >= 0) {
			int32_t i = *link;
			struct ratelimiter_entry *e = &rl->entries[i];

			if (now - e->last_ns >= IDLE_EXPIRY_NS) {
				*link = e->next;
				memset(e, 0, sizeof(*e));
				e->next = rl->free_head;
				rl->free_head = i;
				rl->count--;
			} else {
				link = &e->next;
			}
		}
	}
	rl->last_gc_ns = now;
}

uint64_t
ratelimiter_next_gc(const struct ratelimiter *rl)
{
	return rl->count == 0 ? UINT64_MAX : rl->last_gc_ns + IDLE_EXPIRY_NS;
}

uint32_t
ratelimiter_count(const struct ratelimiter *rl)
{
	return rl->count;
}
