/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>

#include <sodium.h>

#include "nat_table.h"

enum {
	BLOCK_ALIGN = 64,
	HASH_INPUT_MAX = 2 + 4 + 16 + 16,
};

static size_t
align_up(size_t n)
{
	return (n + BLOCK_ALIGN - 1) & ~(size_t)(BLOCK_ALIGN - 1);
}

/* Slots in each index: a power of two, at least twice the capacity. */
static uint32_t
index_slots(uint32_t capacity)
{
	uint32_t slots = 2;

	while (slots < 2 * (uint64_t)capacity)
		slots *= 2;
	return slots;
}

size_t
nat_table_memory(uint32_t capacity)
{
	size_t slots = index_slots(capacity);

	return align_up(capacity * sizeof(struct nat_session)) +
	       align_up(capacity * sizeof(uint32_t)) +
	       2 * align_up(slots * sizeof(struct nat_slot)) +
	       align_up(slots * sizeof(struct nat_peer_slot));
}

void
nat_table_init(struct nat_table *t, void *memory, uint32_t capacity)
{
	uint32_t slots = index_slots(capacity);
	uint8_t *p = memory;
	uint32_t i;

	memset(memory, 0, nat_table_memory(capacity));
	t->sessions = (struct nat_session *)p;
	p += align_up(capacity * sizeof(struct nat_session));
	t->free_list = (uint32_t *)p;
	p += align_up(capacity * sizeof(uint32_t));
	t->out_index = (struct nat_slot *)p;
	p += align_up(slots * sizeof(struct nat_slot));
	t->in_index = (struct nat_slot *)p;
	p += align_up(slots * sizeof(struct nat_slot));
	t->peers = (struct nat_peer_slot *)p;
	t->capacity = capacity;
	t->index_mask = slots - 1;
	t->sweep_next = 0;
	/* popped from the end: sessions are handed out from number 0 up */
	for (i = 0; i < capacity; i++)
		t->free_list[i] = capacity - 1 - i;
	t->free_count = capacity;
	randombytes_buf(t->hash_key, sizeof(t->hash_key));
	randombytes_buf(&t->peer_seed, sizeof(t->peer_seed));
}

/* ---- keyed hashes ---- */

static uint32_t
hash_bytes(const struct nat_table *t, const uint8_t *in, size_t len)
{
	uint8_t out[crypto_shorthash_BYTES];
	uint32_t h;

	crypto_shorthash(out, in, len, t->hash_key);
	memcpy(&h, out, sizeof(h));
	return h;
}

/* Only the bytes that differ between keys of that version are hashed: an IPv4 key is short. */
static size_t
key_header(const struct nat_key *k, uint16_t local_port, uint8_t *in)
{
	in[0] = k->version;
	in[1] = k->proto;
	memcpy(in + 2, &local_port, 2);
	memcpy(in + 4, &k->remote_port, 2);
	return 6;
}

uint32_t
nat_table_hash_out(const struct nat_table *t, const struct nat_key *k)
{
	uint8_t in[HASH_INPUT_MAX];
	size_t addr_len = k->version == 4 ? 4 : 16;
	size_t n = key_header(k, k->local_port, in);

	memcpy(in + n, k->local_addr, addr_len);
	memcpy(in + n + addr_len, k->remote_addr, addr_len);
	return hash_bytes(t, in, n + 2 * addr_len);
}

uint32_t
nat_table_hash_in(const struct nat_table *t, const struct nat_key *k)
{
	uint8_t in[HASH_INPUT_MAX];
	size_t addr_len = k->version == 4 ? 4 : 16;
	size_t n = key_header(k, k->local_port, in);

	memcpy(in + n, k->remote_addr, addr_len);
	return hash_bytes(t, in, n + addr_len);
}

/* Peer ids are ours, not the internet's: a seeded mix (splitmix64's finaliser) is enough. */
static uint32_t
peer_hash(const struct nat_table *t, uint32_t peer_id)
{
	uint64_t x = peer_id ^ t->peer_seed;

	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return (uint32_t)(x ^ (x >> 31));
}

/* ---- indexes ---- */

static bool
match_out(const struct nat_session *s, const struct nat_key *k)
{
	return s->version == k->version && s->proto == k->proto &&
	       s->inner_port == k->local_port && s->remote_port == k->remote_port &&
	       memcmp(s->inner_addr, k->local_addr, 16) == 0 &&
	       memcmp(s->remote_addr, k->remote_addr, 16) == 0;
}

static bool
match_in(const struct nat_session *s, const struct nat_key *k)
{
	return s->version == k->version && s->proto == k->proto &&
	       s->ext_port == k->local_port && s->remote_port == k->remote_port &&
	       memcmp(s->remote_addr, k->remote_addr, 16) == 0;
}

struct nat_session *
nat_table_find_out(const struct nat_table *t, uint32_t hash, const struct nat_key *k)
{
	uint32_t i = hash & t->index_mask;

	for (;;) {
		const struct nat_slot *slot = &t->out_index[i];

		if (slot->ref == 0)
			return NULL;
		if (slot->hash == hash && match_out(&t->sessions[slot->ref - 1], k))
			return &t->sessions[slot->ref - 1];
		i = (i + 1) & t->index_mask;
	}
}

struct nat_session *
nat_table_find_in(const struct nat_table *t, uint32_t hash, const struct nat_key *k)
{
	uint32_t i = hash & t->index_mask;

	for (;;) {
		const struct nat_slot *slot = &t->in_index[i];

		if (slot->ref == 0)
			return NULL;
		if (slot->hash == hash && match_in(&t->sessions[slot->ref - 1], k))
			return &t->sessions[slot->ref - 1];
		i = (i + 1) & t->index_mask;
	}
}

static void
index_insert(struct nat_slot *index, uint32_t mask, uint32_t hash, uint32_t ref)
{
	uint32_t i = hash & mask;

	while (index[i].ref != 0)
		i = (i + 1) & mask;
	index[i].hash = hash;
	index[i].ref = ref;
}

/*
 * Empty slot hole and close the gap: an entry further along the cluster moves back into the
 * hole unless its home slot lies cyclically in (hole, entry], where the move would put it before
 * its home and a probe from home would no longer reach it.
 */
static void
index_close_gap(struct nat_slot *index, uint32_t mask, uint32_t hole)
{
	uint32_t i = hole;

	for (;;) {
		uint32_t home;

		i = (i + 1) & mask;
		if (index[i].ref == 0)
			break;
		home = index[i].hash & mask;
		if (((i - home) & mask) >= ((i - hole) & mask)) {
			index[hole] = index[i];
			hole = i;
		}
	}
	index[hole].hash = 0;
	index[hole].ref = 0;
}

static void
index_remove(struct nat_slot *index, uint32_t mask, uint32_t hash, uint32_t ref)
{
	uint32_t i = hash & mask;

	while (index[i].ref != ref)
		i = (i + 1) & mask;
	index_close_gap(index, mask, i);
}

/* ---- per-peer counts (the same open addressing; count 0 marks an empty slot) ---- */

static uint32_t
peer_slot(const struct nat_table *t, uint32_t peer_id)
{
	uint32_t i = peer_hash(t, peer_id) & t->index_mask;

	while (t->peers[i].count != 0 && t->peers[i].peer_id != peer_id)
		i = (i + 1) & t->index_mask;
	return i;
}

uint32_t
nat_table_peer_count(const struct nat_table *t, uint32_t peer_id)
{
	return t->peers[peer_slot(t, peer_id)].count;
}

static void
peer_remove_one(struct nat_table *t, uint32_t peer_id)
{
	uint32_t mask = t->index_mask;
	uint32_t hole = peer_slot(t, peer_id);
	uint32_t i = hole;

	if (--t->peers[hole].count != 0)
		return;
	for (;;) {
		uint32_t home;

		i = (i + 1) & mask;
		if (t->peers[i].count == 0)
			break;
		home = peer_hash(t, t->peers[i].peer_id) & mask;
		if (((i - home) & mask) >= ((i - hole) & mask)) {
			t->peers[hole] = t->peers[i];
			hole = i;
		}
	}
	t->peers[hole].peer_id = 0;
	t->peers[hole].count = 0;
}

/* ---- sessions ---- */

struct nat_session *
nat_table_add(struct nat_table *t, const struct nat_session *init)
{
	struct nat_session *s;
	struct nat_peer_slot *peer;
	uint32_t number;

	if (t->free_count == 0)
		return NULL;
	number = t->free_list[--t->free_count];
	s = &t->sessions[number];
	*s = *init;
	index_insert(t->out_index, t->index_mask, s->out_hash, number + 1);
	index_insert(t->in_index, t->index_mask, s->in_hash, number + 1);
	peer = &t->peers[peer_slot(t, s->peer_id)];
	peer->peer_id = s->peer_id;
	peer->count++;
	return s;
}

void
nat_table_remove(struct nat_table *t, struct nat_session *s)
{
	uint32_t number = (uint32_t)(s - t->sessions);

	index_remove(t->out_index, t->index_mask, s->out_hash, number + 1);
	index_remove(t->in_index, t->index_mask, s->in_hash, number + 1);
	peer_remove_one(t, s->peer_id);
	memset(s, 0, sizeof(*s));
	t->free_list[t->free_count++] = number;
}
