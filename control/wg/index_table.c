/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdlib.h>
#include <string.h>

#include "index_table.h"
#include "log.h"

int
wg_index_table_init(struct wg_index_table *t, uint32_t capacity, const struct wg_env *env)
{
	uint32_t buckets = 1;
	uint32_t i;

	memset(t, 0, sizeof(*t));
	if (capacity == 0 || capacity > (1U << 24)) {
		log_warn("wg index table: capacity %u: must be 1..%u", capacity, 1U << 24);
		return -1;
	}
	while (buckets < capacity)
		buckets <<= 1;
	t->entries = calloc(capacity, sizeof(*t->entries));
	t->buckets = malloc(buckets * sizeof(*t->buckets));
	if (t->entries == NULL || t->buckets == NULL) {
		log_warn("wg index table: calloc %u entries: out of memory", capacity);
		wg_index_table_fini(t);
		return -1;
	}
	for (i = 0; i < buckets; i++)
		t->buckets[i] = -1;
	for (i = 0; i < capacity; i++)
		t->entries[i].next = i + 1 < capacity ? (int32_t)(i + 1) : -1;
	t->free_head = 0;
	t->capacity = capacity;
	t->bucket_mask = buckets - 1;
	t->env = env;
	return 0;
}

void
wg_index_table_fini(struct wg_index_table *t)
{
	free(t->entries);
	free(t->buckets);
	memset(t, 0, sizeof(*t));
}

struct wg_index_entry *
wg_index_table_lookup(const struct wg_index_table *t, uint32_t index)
{
	int32_t i;

	/* Indices are random, so their low bits spread the chains evenly. */
	for (i = t->buckets[index & t->bucket_mask]; i >= 0; i = t->entries[i].next)
		if (t->entries[i].index == index)
			return &t->entries[i];
	return NULL;
}

int
wg_index_table_insert(struct wg_index_table *t, struct wg_peer *peer, uint32_t *index)
{
	struct wg_index_entry *e;
	uint32_t candidate;
	int32_t i;

	if (t->free_head < 0)
		return -1;
	do {
		wg_env_random(t->env, &candidate, sizeof(candidate));
	} while (wg_index_table_lookup(t, candidate) != NULL);
	i = t->free_head;
	e = &t->entries[i];
	t->free_head = e->next;
	e->index = candidate;
	e->peer = peer;
	e->keypair = NULL;
	e->next = t->buckets[candidate & t->bucket_mask];
	t->buckets[candidate & t->bucket_mask] = i;
	t->count++;
	*index = candidate;
	return 0;
}

void
wg_index_table_bind_keypair(struct wg_index_table *t, uint32_t index, struct wg_keypair *kp)
{
	struct wg_index_entry *e = wg_index_table_lookup(t, index);

	if (e != NULL)
		e->keypair = kp;
}

void
wg_index_table_remove(struct wg_index_table *t, uint32_t index)
{
	int32_t *link = &t->buckets[index & t->bucket_mask];

	while (*link >= 0) {
		int32_t i = *link;
		struct wg_index_entry *e = &t->entries[i];

		if (e->index == index) {
			*link = e->next;
			memset(e, 0, sizeof(*e));
			e->next = t->free_head;
			t->free_head = i;
			t->count--;
			return;
		}
		link = &e->next;
	}
}
