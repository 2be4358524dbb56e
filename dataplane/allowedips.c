/* SPDX-License-Identifier: BSD-3-Clause */
#include <endian.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "allowedips.h"

typedef unsigned __int128 key128;

enum {
	NO_NODE = UINT32_MAX,
};

struct node {
	key128 key;    /* the prefix, bits beyond len zero */
	void *value;   /* NULL for a pure branching node */
	uint32_t child[2];
	uint8_t len;
};

struct trie {
	uint32_t root;
	uint8_t max_len;
};

struct allowedips {
	struct node *nodes;
	uint32_t used;
	uint32_t capacity;
	size_t count;
	struct trie family[2]; /* 0: IPv4, 1: IPv6 */
};

/* Per packet (twice on the decrypt path): two big-endian loads, not a loop over 16 bytes. */
static inline key128
key_from_bytes(const uint8_t *bytes, unsigned int n)
{
	uint8_t full[16] = {0};
	uint64_t hi, lo;

	memcpy(full, bytes, n);
	memcpy(&hi, full, sizeof(hi));
	memcpy(&lo, full + 8, sizeof(lo));
	return (key128)be64toh(hi) << 64 | be64toh(lo);
}

static key128
mask_of(unsigned int len)
{
	return len == 0 ? 0 : ~(key128)0 << (128 - len);
}

static unsigned int
bit_at(key128 k, unsigned int pos)
{
	return (unsigned int)(k >> (127 - pos)) & 1;
}

static unsigned int
common_len(key128 a, key128 b)
{
	key128 x = a ^ b;
	uint64_t hi = (uint64_t)(x >> 64), lo = (uint64_t)x;

	if (hi != 0)
		return (unsigned int)__builtin_clzll(hi);
	if (lo != 0)
		return 64 + (unsigned int)__builtin_clzll(lo);
	return 128;
}

static uint32_t
node_new(struct allowedips *t, key128 key, uint8_t len, void *value)
{
	struct node *n;

	if (t->used == t->capacity)
		return NO_NODE;
	n = &t->nodes[t->used];
	n->key = key & mask_of(len);
	n->len = len;
	n->value = value;
	n->child[0] = n->child[1] = NO_NODE;
	return t->used++;
}

static int
insert(struct allowedips *t, struct trie *tr, key128 key, uint8_t len, void *value)
{
	uint32_t *link = &tr->root;

	key &= mask_of(len);
	for (;;) {
		struct node *n;
		unsigned int c;
		uint32_t split, leaf;

		if (*link == NO_NODE) {
			*link = node_new(t, key, len, value);
			if (*link == NO_NODE)
				return -1;
			t->count++;
			return 0;
		}
		n = &t->nodes[*link];
		c = common_len(key, n->key);
		if (c > len)
			c = len;
		if (c > n->len)
			c = n->len;
		if (c == n->len && c == len) {
			if (n->value == NULL)
				t->count++;
			n->value = value;
			return 0;
		}
		if (c == n->len) {
			link = &n->child[bit_at(key, c)];
			continue;
		}
		/* The new prefix diverges inside this node's prefix: put a node above it. */
		split = node_new(t, key, (uint8_t)c, c == len ? value : NULL);
		if (split == NO_NODE)
			return -1;
		n = &t->nodes[*link]; /* (the array does not move; re-read for clarity) */
		t->nodes[split].child[bit_at(n->key, c)] = *link;
		if (c == len) {
			t->count++;
		} else {
			leaf = node_new(t, key, len, value);
			if (leaf == NO_NODE)
				return -1;
			t->nodes[split].child[bit_at(key, c)] = leaf;
			t->count++;
		}
		*link = split;
		return 0;
	}
}

struct allowedips *
allowedips_build(const struct allowedips_entry *entries, size_t n)
{
	struct allowedips *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	/* each insert adds at most two nodes */
	t->capacity = (uint32_t)(2 * n + 1);
	t->nodes = calloc(t->capacity, sizeof(*t->nodes));
	if (t->nodes == NULL) {
		free(t);
		return NULL;
	}
	t->family[0] = (struct trie){NO_NODE, 32};
	t->family[1] = (struct trie){NO_NODE, 128};
	for (size_t i = 0; i < n; i++) {
		const struct netprefix *p = &entries[i].prefix;
		bool v6 = p->addr.family == AF_INET6;

		if (entries[i].value == NULL || (p->addr.family != AF_INET && !v6) ||
		    p->len > t->family[v6].max_len)
			continue;
		if (insert(t, &t->family[v6], key_from_bytes(p->addr.bytes, v6 ? 16 : 4), p->len,
			   entries[i].value) != 0) {
			allowedips_free(t);
			return NULL;
		}
	}
	return t;
}

void
allowedips_free(struct allowedips *t)
{
	if (t == NULL)
		return;
	free(t->nodes);
	free(t);
}

static void *
lookup(const struct allowedips *t, const struct trie *tr, key128 key)
{
	uint32_t i = tr->root;
	void *best = NULL;

	while (i != NO_NODE) {
		const struct node *n = &t->nodes[i];

		if ((key & mask_of(n->len)) != n->key)
			break;
		if (n->value != NULL)
			best = n->value;
		if (n->len >= tr->max_len)
			break;
		i = n->child[bit_at(key, n->len)];
	}
	return best;
}

void *
allowedips_lookup_v4(const struct allowedips *t, const uint8_t addr[4])
{
	return lookup(t, &t->family[0], key_from_bytes(addr, 4));
}

void *
allowedips_lookup_v6(const struct allowedips *t, const uint8_t addr[16])
{
	return lookup(t, &t->family[1], key_from_bytes(addr, 16));
}

void *
allowedips_lookup(const struct allowedips *t, const struct netaddr *addr)
{
	if (addr->family == AF_INET)
		return allowedips_lookup_v4(t, addr->bytes);
	if (addr->family == AF_INET6)
		return allowedips_lookup_v6(t, addr->bytes);
	return NULL;
}

size_t
allowedips_count(const struct allowedips *t)
{
	return t->count;
}
