/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The session store of one NAT instance: a fixed array of sessions with a free list, two hash
 * indexes over it (outbound key, inbound key) and the per-peer session counts, all inside one
 * caller-provided block. Owned by one thread; nothing here is safe to share.
 *
 * Indexes are open addressing with linear probing, sized to a power of two at least twice the
 * capacity (so at most half full and every probe ends at an empty slot). A slot holds the
 * 32-bit hash of its key and the session number + 1 (0 = empty): a probe compares hashes before
 * it touches a session. Deletion shifts the following entries of the cluster back (no
 * tombstones), so a table that churns for months probes as short as a fresh one.
 *
 * Keys are hashed with SipHash-2-4 (libsodium crypto_shorthash) under a random per-instance key:
 * remote addresses and ports come from the internet, and a hash they could predict would let
 * them build long probe chains.
 */
#ifndef EXITGATE_NAT_TABLE_H
#define EXITGATE_NAT_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sodium.h>

struct nat_session {
	uint8_t inner_addr[16];  /* IPv4 in the first 4 bytes, the rest zero */
	uint8_t remote_addr[16];
	uint64_t expires_ns;
	uint32_t peer_id;
	uint32_t out_hash;
	uint32_t in_hash;
	uint16_t inner_port;  /* host order; echo identifier for ICMP */
	uint16_t remote_port; /* 0 for ICMP */
	uint16_t ext_port;
	uint8_t version;      /* 4 or 6; 0 = free */
	uint8_t proto;        /* IPPROTO_TCP, _UDP, _ICMP or _ICMPV6 */
	uint8_t tcp_state;    /* enum nat_tcp_state */
	uint8_t tcp_seen;     /* enum nat_tcp_seen bits */
};

/*
 * A lookup key. Outbound: local = the inner source address and port (or echo identifier).
 * Inbound: local_port = the external port, local_addr unused (zero). Addresses are zero-padded.
 */
struct nat_key {
	uint8_t local_addr[16];
	uint8_t remote_addr[16];
	uint16_t local_port;
	uint16_t remote_port;
	uint8_t version;
	uint8_t proto;
};

struct nat_slot {
	uint32_t hash;
	uint32_t ref; /* session number + 1; 0 = empty */
};

struct nat_peer_slot {
	uint32_t peer_id;
	uint32_t count; /* 0 = empty */
};

struct nat_table {
	struct nat_session *sessions;
	uint32_t *free_list; /* a stack of free session numbers */
	struct nat_slot *out_index;
	struct nat_slot *in_index;
	struct nat_peer_slot *peers;
	uint32_t capacity;
	uint32_t free_count;
	uint32_t index_mask; /* out_index, in_index and peers have index_mask + 1 slots */
	uint32_t sweep_next; /* where nat_expire continues */
	uint8_t hash_key[crypto_shorthash_KEYBYTES];
	uint64_t peer_seed;
};

/* Bytes of the block nat_table_init needs for capacity sessions (64-byte aligned parts). */
size_t nat_table_memory(uint32_t capacity);
/* memory: nat_table_memory(capacity) bytes, 64-byte aligned; zeroed here. */
void nat_table_init(struct nat_table *t, void *memory, uint32_t capacity);

static inline uint32_t
nat_table_used(const struct nat_table *t)
{
	return t->capacity - t->free_count;
}

uint32_t nat_table_hash_out(const struct nat_table *t, const struct nat_key *k);
uint32_t nat_table_hash_in(const struct nat_table *t, const struct nat_key *k);

/* The session with that key, or NULL (expired sessions included: the caller decides). */
struct nat_session *nat_table_find_out(const struct nat_table *t, uint32_t hash,
				       const struct nat_key *k);
struct nat_session *nat_table_find_in(const struct nat_table *t, uint32_t hash,
				      const struct nat_key *k);

/* Start fetching the home slot of hash in one index (outbound or inbound), and, once that is
 * in cache, the session of the first slot with that hash: hints for a burst, never required. */
static inline void
nat_table_prefetch_slot(const struct nat_table *t, bool outbound, uint32_t hash)
{
	const struct nat_slot *index = outbound ? t->out_index : t->in_index;

	__builtin_prefetch(&index[hash & t->index_mask]);
}

static inline void
nat_table_prefetch_session(const struct nat_table *t, bool outbound, uint32_t hash)
{
	const struct nat_slot *index = outbound ? t->out_index : t->in_index;
	uint32_t i = hash & t->index_mask;

	for (; index[i].ref != 0; i = (i + 1) & t->index_mask) {
		if (index[i].hash == hash) {
			__builtin_prefetch(&t->sessions[index[i].ref - 1]);
			return;
		}
	}
}

/* Take a free session, copy init into it and index it under init's out_hash and in_hash (whose
 * keys must not be present). NULL when the table is full. */
struct nat_session *nat_table_add(struct nat_table *t, const struct nat_session *init);
void nat_table_remove(struct nat_table *t, struct nat_session *s);

uint32_t nat_table_peer_count(const struct nat_table *t, uint32_t peer_id);

#endif
