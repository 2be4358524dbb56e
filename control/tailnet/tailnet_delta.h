/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One MapResponse as parsed (a delta) and the store that applies deltas to the netmap with
 * Tailscale's rules (controlclient/map.go; tailnet.md §2.4):
 *   - a non-empty Peers replaces the whole peer set and every other peer field of the
 *     message is ignored;
 *   - otherwise, in this order: PeersRemoved, PeersChanged (upsert by ID), PeerSeenChange,
 *     OnlineChange, PeersChangedPatch (only the fields present; unknown IDs ignored);
 *   - Node, DERPMap, Domain: absent means unchanged; a DERPMap without Regions keeps the old
 *     regions (and its HomeParams without RegionScore the old scores); null regions are dropped;
 *   - PacketFilter is the named chunk "base"; PacketFilters sets chunks by name, a null value
 *     deletes one, "*": null first clears them all; the filter is the chunks' rules in name
 *     order.
 * Applying is all or nothing: everything that can fail (allocation, the peer cap) happens before
 * the first change is made. Internal to the tailnet module (the parser, the fuzz target and the
 * unit tests use it).
 */
#ifndef EXITGATE_TAILNET_DELTA_H
#define EXITGATE_TAILNET_DELTA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tailnet_netmap.h"

/* tailcfg.PeerChange: has_* says which fields were present. */
struct tailnet_patch {
	int64_t id;
	bool has_derp, has_cap, has_endpoints, has_key, has_disco, has_online, has_last_seen,
		has_key_expiry;
	uint32_t derp;
	uint16_t cap;
	struct netendpoint *endpoints;
	size_t endpoint_count;
	uint8_t key[TAILNET_KEY_LEN];
	uint8_t disco[TAILNET_KEY_LEN];
	bool online;
	int64_t last_seen;
	int64_t key_expiry;
};

struct tailnet_id_flag {
	int64_t id;
	bool value;
};

/* One named packet filter chunk; rules NULL with remove set deletes the chunk. */
struct tailnet_filter_chunk {
	char *name;
	bool remove;
	struct tailnet_filter_rule *rules;
	size_t rule_count;
};

struct tailnet_delta {
	bool keepalive;             /* KeepAlive: true (nothing else is looked at) */
	struct tailnet_node *self;  /* NULL = unchanged */
	bool has_derp;
	bool derp_keep_regions;     /* DERPMap without Regions */
	bool derp_keep_scores;      /* no HomeParams, or HomeParams without RegionScore */
	struct tailnet_derp_map derp;
	struct tailnet_node **peers; /* Peers (non-empty) */
	size_t peer_count;
	struct tailnet_node **changed;
	size_t changed_count;
	int64_t *removed;
	size_t removed_count;
	struct tailnet_id_flag *seen;
	size_t seen_count;
	struct tailnet_id_flag *online;
	size_t online_count;
	struct tailnet_patch *patches;
	size_t patch_count;
	bool has_filter;
	bool filter_clear;          /* PacketFilters "*": null */
	struct tailnet_filter_chunk *chunks;
	size_t chunk_count;
	char *domain;               /* NULL = unchanged */
	bool ping_request;          /* present and ignored */
};

void tailnet_delta_init(struct tailnet_delta *d);
/* Frees whatever the delta still owns (apply takes what it uses). */
void tailnet_delta_free(struct tailnet_delta *d);

void tailnet_node_clear(struct tailnet_node *n); /* frees the arrays, keeps the struct */
void tailnet_node_free(struct tailnet_node *n);
void tailnet_filter_rules_free(struct tailnet_filter_rule *rules, size_t count);
void tailnet_derp_map_clear(struct tailnet_derp_map *m);
/* Deep copy; NULL when out of memory. */
struct tailnet_node *tailnet_node_clone(const struct tailnet_node *n);
bool tailnet_node_equal(const struct tailnet_node *a, const struct tailnet_node *b);
/* Sets exit_routes from allowed_ips. */
void tailnet_node_note_routes(struct tailnet_node *n);

struct tailnet_store {
	struct tailnet_netmap nm;
	size_t max_peers;
	struct tailnet_filter_chunk *chunks; /* sorted by name */
	size_t chunk_count;
	int64_t *added, *changed, *removed;  /* of the last apply */
	size_t added_count, changed_count, removed_count;
};

void tailnet_store_init(struct tailnet_store *s, size_t max_peers);
void tailnet_store_free(struct tailnet_store *s);

enum tailnet_apply_result {
	TAILNET_APPLY_OK = 0,
	TAILNET_APPLY_KEEPALIVE = 1, /* nothing to apply */
	TAILNET_APPLY_UNCHANGED = 2, /* applied, and the netmap says what it said before */
	TAILNET_APPLY_TOO_MANY_PEERS = -1,
	TAILNET_APPLY_NOMEM = -2,
};

/*
 * Apply d to the store, taking ownership of what it uses; now_unix stamps PeerSeenChange.
 * change describes the result (valid until the next apply); the netmap's generation grows by
 * one when something changed. On an error nothing changed.
 */
enum tailnet_apply_result tailnet_store_apply(struct tailnet_store *s, struct tailnet_delta *d,
					      int64_t now_unix,
					      struct tailnet_netmap_change *change);

#endif
