/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A hash map from 32-byte keys (WireGuard, disco and node keys) to pointers, for the control
 * plane's lookups by key: peers by public key, by disco key. Open addressing with linear
 * probing and backward-shift deletion (no tombstones, so a long run of adds and removes never
 * degrades it); SipHash-2-4 (libsodium crypto_shorthash) under a per-map random key, so a peer
 * who picks its keys cannot make the probe sequences long. Grows at 1/2 load, never shrinks
 * below its reserved size.
 *
 * Concurrency: none; one thread (the control loop) owns a map.
 */
#ifndef EXITGATE_KEYMAP_H
#define EXITGATE_KEYMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
	KEYMAP_KEY_LEN = 32,
};

struct keymap_slot {
	uint8_t key[KEYMAP_KEY_LEN];
	void *value; /* NULL = empty slot */
};

struct keymap {
	struct keymap_slot *slots;
	size_t capacity; /* a power of two */
	size_t count;
	uint8_t hash_key[16];
};

/* An empty map with room for at least reserve entries without growing: 0, or -1 (no memory). */
int keymap_init(struct keymap *m, size_t reserve);
void keymap_free(struct keymap *m);

void *keymap_get(const struct keymap *m, const uint8_t key[KEYMAP_KEY_LEN]);
/* Insert or replace (value must not be NULL): 0, or -1 when growing failed (map unchanged). */
int keymap_put(struct keymap *m, const uint8_t key[KEYMAP_KEY_LEN], void *value);
/* Remove; returns the value that was there, or NULL. */
void *keymap_del(struct keymap *m, const uint8_t key[KEYMAP_KEY_LEN]);

/* Iteration: i from 0 while keymap_next returns true; no put/del meanwhile. */
bool keymap_next(const struct keymap *m, size_t *i, const uint8_t **key, void **value);

#endif
