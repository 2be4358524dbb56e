/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "keymap.h"

enum {
	KEYMAP_MIN_CAPACITY = 16,
};

static size_t
slot_of(const struct keymap *m, const uint8_t key[KEYMAP_KEY_LEN])
{
	uint64_t h;

	crypto_shorthash((unsigned char *)&h, key, KEYMAP_KEY_LEN, m->hash_key);
	return (size_t)h & (m->capacity - 1);
}

static int
alloc_slots(struct keymap *m, size_t capacity)
{
	m->slots = calloc(capacity, sizeof(*m->slots));
	if (m->slots == NULL)
		return -1;
	m->capacity = capacity;
	return 0;
}

int
keymap_init(struct keymap *m, size_t reserve)
{
	size_t capacity = KEYMAP_MIN_CAPACITY;

	memset(m, 0, sizeof(*m));
	while (capacity / 2 < reserve)
		capacity *= 2;
	randombytes_buf(m->hash_key, sizeof(m->hash_key));
	return alloc_slots(m, capacity);
}

void
keymap_free(struct keymap *m)
{
	free(m->slots);
	memset(m, 0, sizeof(*m));
}

static struct keymap_slot *
find(const struct keymap *m, const uint8_t key[KEYMAP_KEY_LEN])
{
	size_t mask = m->capacity - 1;

	if (m->capacity == 0)
		return NULL;
	for (size_t i = slot_of(m, key);; i = (i + 1) & mask) {
		struct keymap_slot *s = &m->slots[i];

		if (s->value == NULL)
			return NULL;
		if (memcmp(s->key, key, KEYMAP_KEY_LEN) == 0)
			return s;
	}
}

void *
keymap_get(const struct keymap *m, const uint8_t key[KEYMAP_KEY_LEN])
{
	struct keymap_slot *s = find(m, key);

	return s != NULL ? s->value : NULL;
}

/* Insert into a table known to hold neither the key nor too many entries. */
static void
insert_new(struct keymap *m, const uint8_t key[KEYMAP_KEY_LEN], void *value)
{
	size_t mask = m->capacity - 1, i = slot_of(m, key);

	while (m->slots[i].value != NULL)
		i = (i + 1) & mask;
	memcpy(m->slots[i].key, key, KEYMAP_KEY_LEN);
	m->slots[i].value = value;
	m->count++;
}

static int
grow(struct keymap *m)
{
	struct keymap old = *m;

	if (alloc_slots(m, old.capacity * 2) != 0) {
		*m = old;
		return -1;
	}
	m->count = 0;
	for (size_t i = 0; i < old.capacity; i++)
		if (old.slots[i].value != NULL)
			insert_new(m, old.slots[i].key, old.slots[i].value);
	free(old.slots);
	return 0;
}

int
keymap_put(struct keymap *m, const uint8_t key[KEYMAP_KEY_LEN], void *value)
{
	struct keymap_slot *s = find(m, key);

	if (s != NULL) {
		s->value = value;
		return 0;
	}
	if ((m->count + 1) * 2 > m->capacity && grow(m) != 0)
		return -1;
	insert_new(m, key, value);
	return 0;
}

void *
keymap_del(struct keymap *m, const uint8_t key[KEYMAP_KEY_LEN])
{
	struct keymap_slot *s = find(m, key);
	size_t mask = m->capacity - 1, hole, i;
	void *value;

	if (s == NULL)
		return NULL;
	value = s->value;
	hole = (size_t)(s - m->slots);
	/* backward shift: move up every entry of the run that may sit in the hole */
	for (i = (hole + 1) & mask; m->slots[i].value != NULL; i = (i + 1) & mask) {
		size_t home = slot_of(m, m->slots[i].key);

		/* the entry at i may move to hole when its home is not in (hole, i] cyclically */
		if (((i - home) & mask) >= ((i - hole) & mask)) {
			m->slots[hole] = m->slots[i];
			hole = i;
		}
	}
	m->slots[hole].value = NULL;
	memset(m->slots[hole].key, 0, KEYMAP_KEY_LEN);
	m->count--;
	return value;
}

bool
keymap_next(const struct keymap *m, size_t *i, const uint8_t **key, void **value)
{
	while (*i < m->capacity) {
		const struct keymap_slot *s = &m->slots[(*i)++];

		if (s->value != NULL) {
			*key = s->key;
			*value = s->value;
			return true;
		}
	}
	return false;
}
