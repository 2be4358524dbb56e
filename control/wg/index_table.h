/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Receiver indices: the random 32-bit numbers we hand out in the sender field of our handshake
 * messages, and that peers put in the receiver field of what they send us. Each index names
 * either a handshake in progress (a peer) or, after the handshake, one of its keypairs. Indices
 * are random (they must not reveal how many sessions exist) and unique among those in use.
 * The table is allocated once for a fixed number of entries.
 *
 * Concurrency: single-threaded (control plane).
 */
#ifndef EXITGATE_WG_INDEX_TABLE_H
#define EXITGATE_WG_INDEX_TABLE_H

#include <stdint.h>

#include "env.h"
#include "keypair.h"

struct wg_peer;

struct wg_index_entry {
	uint32_t index;
	int32_t next; /* chain or free list */
	struct wg_peer *peer;
	struct wg_keypair *keypair; /* NULL while it names a handshake */
};

struct wg_index_table {
	struct wg_index_entry *entries;
	int32_t *buckets;
	int32_t free_head;
	uint32_t capacity;
	uint32_t bucket_mask;
	uint32_t count;
	const struct wg_env *env;
};

int wg_index_table_init(struct wg_index_table *t, uint32_t capacity, const struct wg_env *env);
void wg_index_table_fini(struct wg_index_table *t);
/* A new random unique index naming peer's handshake: 0, or -1 when the table is full. */
int wg_index_table_insert(struct wg_index_table *t, struct wg_peer *peer, uint32_t *index);
/* The index now names kp. */
void wg_index_table_bind_keypair(struct wg_index_table *t, uint32_t index, struct wg_keypair *kp);
void wg_index_table_remove(struct wg_index_table *t, uint32_t index);
/* NULL when the index is not in use. */
struct wg_index_entry *wg_index_table_lookup(const struct wg_index_table *t, uint32_t index);

#endif
