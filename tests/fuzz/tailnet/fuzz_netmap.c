/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The netmap's JSON under libFuzzer: the input is a session of MapResponses separated by NUL
 * bytes, each parsed and applied to one store (a small peer cap, so the limit is reached), as
 * the map poll does; after each message the store must hold its invariants: peers sorted by ID
 * and unique, no more than the cap, the filter the concatenation of its chunks, every change ID
 * present or absent as it says. The same bytes also go to the RegisterResponse, /key and filter
 * parsers.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tailnet_delta.h"
#include "tailnet_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum {
	PEERS_CAP = 32,
};

static void
check_store(const struct tailnet_store *s, const struct tailnet_netmap_change *c)
{
	size_t rules = 0;

	if (s->nm.peer_count > PEERS_CAP)
		abort();
	for (size_t i = 1; i < s->nm.peer_count; i++) {
		if (s->nm.peers[i - 1]->id >= s->nm.peers[i]->id)
			abort();
	}
	for (size_t i = 0; i < s->chunk_count; i++)
		rules += s->chunks[i].rule_count;
	if (rules != s->nm.filter.rule_count)
		abort();
	for (size_t i = 0; i < c->added_count; i++) {
		if (tailnet_netmap_peer(&s->nm, c->added[i]) == NULL)
			abort();
	}
	for (size_t i = 0; i < c->changed_count; i++) {
		if (tailnet_netmap_peer(&s->nm, c->changed[i]) == NULL)
			abort();
	}
	for (size_t i = 0; i < c->removed_count; i++) {
		if (tailnet_netmap_peer(&s->nm, c->removed[i]) != NULL)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tailnet_parse_counters counters = {0};
	struct tailnet_register_result reg;
	struct tailnet_filter_rule *rules;
	struct tailnet_store store;
	char why[TAILNET_WHY_MAX];
	size_t at = 0, count;
	uint8_t key[32];

	tailnet_store_init(&store, PEERS_CAP);
	while (at < size) {
		const uint8_t *end = memchr(data + at, 0, size - at);
		size_t len = end != NULL ? (size_t)(end - (data + at)) : size - at;
		struct tailnet_netmap_change change;
		struct tailnet_delta d;
		uint64_t generation = store.nm.generation;
		size_t peers = store.nm.peer_count;

		if (tailnet_json_parse_map((const char *)data + at, len, &d, &counters, why) == 0) {
			enum tailnet_apply_result r =
				tailnet_store_apply(&store, &d, 1800000000, &change);

			tailnet_delta_free(&d);
			if (r < 0 && (store.nm.generation != generation || store.nm.peer_count != peers))
				abort(); /* a refused message changed the netmap */
			if (r >= 0)
				check_store(&store, &change);
		}
		at += len + 1;
	}
	tailnet_store_free(&store);
	tailnet_json_parse_register((const char *)data, size, &reg, why);
	tailnet_json_parse_server_key(data, size, key, why);
	if (tailnet_json_parse_filter((const char *)data, size, &rules, &count, &counters, why) ==
	    0)
		tailnet_filter_rules_free(rules, count);
	return 0;
}
