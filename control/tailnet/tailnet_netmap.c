/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The netmap store: nodes, the delta rules and the all-or-nothing apply (tailnet_delta.h).
 * Concurrency: one store belongs to the control loop's thread.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "tailnet_delta.h"

/* Nodes */

static void *
dup_array(const void *p, size_t count, size_t size, bool *failed)
{
	void *copy;

	if (count == 0)
		return NULL;
	copy = malloc(count * size);
	if (copy == NULL) {
		*failed = true;
		return NULL;
	}
	memcpy(copy, p, count * size);
	return copy;
}

void
tailnet_node_clear(struct tailnet_node *n)
{
	free(n->addresses);
	free(n->allowed_ips);
	free(n->primary_routes);
	free(n->endpoints);
	memset(n, 0, sizeof(*n));
}

void
tailnet_node_free(struct tailnet_node *n)
{
	if (n == NULL)
		return;
	tailnet_node_clear(n);
	free(n);
}

struct tailnet_node *
tailnet_node_clone(const struct tailnet_node *n)
{
	struct tailnet_node *c = malloc(sizeof(*c));
	bool failed = false;

	if (c == NULL)
		return NULL;
	*c = *n;
	c->addresses = dup_array(n->addresses, n->address_count, sizeof(*n->addresses), &failed);
	c->allowed_ips =
		dup_array(n->allowed_ips, n->allowed_ip_count, sizeof(*n->allowed_ips), &failed);
	c->primary_routes = dup_array(n->primary_routes, n->primary_route_count,
				      sizeof(*n->primary_routes), &failed);
	c->endpoints = dup_array(n->endpoints, n->endpoint_count, sizeof(*n->endpoints), &failed);
	if (failed) {
		tailnet_node_free(c);
		return NULL;
	}
	return c;
}

static bool
prefixes_equal(const struct netprefix *a, const struct netprefix *b, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		if (a[i].len != b[i].len || !netaddr_equal(&a[i].addr, &b[i].addr))
			return false;
	}
	return true;
}

bool
tailnet_node_equal(const struct tailnet_node *a, const struct tailnet_node *b)
{
	if (a->id != b->id || strcmp(a->stable_id, b->stable_id) != 0 ||
	    strcmp(a->name, b->name) != 0 || strcmp(a->hostname, b->hostname) != 0 ||
	    a->user != b->user || memcmp(a->node_key, b->node_key, TAILNET_KEY_LEN) != 0 ||
	    memcmp(a->machine_key, b->machine_key, TAILNET_KEY_LEN) != 0 ||
	    memcmp(a->disco_key, b->disco_key, TAILNET_KEY_LEN) != 0 ||
	    a->address_count != b->address_count || a->allowed_ip_count != b->allowed_ip_count ||
	    a->allowed_ips_from_addresses != b->allowed_ips_from_addresses ||
	    a->primary_route_count != b->primary_route_count ||
	    a->endpoint_count != b->endpoint_count || a->home_derp != b->home_derp ||
	    a->online != b->online || a->last_seen != b->last_seen ||
	    a->key_expiry != b->key_expiry || a->expired != b->expired || a->cap != b->cap ||
	    a->machine_authorized != b->machine_authorized ||
	    a->is_wireguard_only != b->is_wireguard_only)
		return false;
	if (!prefixes_equal(a->addresses, b->addresses, a->address_count) ||
	    !prefixes_equal(a->allowed_ips, b->allowed_ips, a->allowed_ip_count) ||
	    !prefixes_equal(a->primary_routes, b->primary_routes, a->primary_route_count))
		return false;
	for (size_t i = 0; i < a->endpoint_count; i++) {
		if (!netendpoint_equal(&a->endpoints[i], &b->endpoints[i]))
			return false;
	}
	return true;
}

void
tailnet_node_note_routes(struct tailnet_node *n)
{
	bool v4 = false, v6 = false;

	for (size_t i = 0; i < n->allowed_ip_count; i++) {
		if (n->allowed_ips[i].len != 0)
			continue;
		v4 = v4 || n->allowed_ips[i].addr.family == AF_INET;
		v6 = v6 || n->allowed_ips[i].addr.family == AF_INET6;
	}
	n->exit_routes = v4 && v6;
}

bool
tailnet_node_expired(const struct tailnet_node *n, int64_t now_unix)
{
	return n->expired || (n->key_expiry != 0 && n->key_expiry <= now_unix);
}

void
tailnet_filter_rules_free(struct tailnet_filter_rule *rules, size_t count)
{
	if (rules == NULL)
		return;
	for (size_t i = 0; i < count; i++) {
		struct tailnet_filter_rule *r = &rules[i];

		free(r->srcs);
		for (size_t j = 0; j < r->src_cap_count; j++)
			free(r->src_caps[j]);
		free(r->src_caps);
		free(r->protos);
		free(r->dsts);
		for (size_t j = 0; j < r->cap_count; j++) {
			free(r->caps[j].cap);
			free(r->caps[j].values);
		}
		free(r->caps);
	}
	free(rules);
}

static void
derp_regions_free(struct tailnet_derp_region *regions, size_t count)
{
	for (size_t i = 0; regions != NULL && i < count; i++)
		free(regions[i].nodes);
	free(regions);
}

void
tailnet_derp_map_clear(struct tailnet_derp_map *m)
{
	derp_regions_free(m->regions, m->region_count);
	free(m->region_scores);
	memset(m, 0, sizeof(*m));
}

/* Deltas */

void
tailnet_delta_init(struct tailnet_delta *d)
{
	memset(d, 0, sizeof(*d));
}

static void
chunks_free(struct tailnet_filter_chunk *chunks, size_t count)
{
	for (size_t i = 0; chunks != NULL && i < count; i++) {
		free(chunks[i].name);
		tailnet_filter_rules_free(chunks[i].rules, chunks[i].rule_count);
	}
	free(chunks);
}

void
tailnet_delta_free(struct tailnet_delta *d)
{
	tailnet_node_free(d->self);
	tailnet_derp_map_clear(&d->derp);
	for (size_t i = 0; d->peers != NULL && i < d->peer_count; i++)
		tailnet_node_free(d->peers[i]);
	free(d->peers);
	for (size_t i = 0; d->changed != NULL && i < d->changed_count; i++)
		tailnet_node_free(d->changed[i]);
	free(d->changed);
	free(d->removed);
	free(d->seen);
	free(d->online);
	for (size_t i = 0; d->patches != NULL && i < d->patch_count; i++)
		free(d->patches[i].endpoints);
	free(d->patches);
	chunks_free(d->chunks, d->chunk_count);
	free(d->domain);
	memset(d, 0, sizeof(*d));
}

/* The store */

void
tailnet_store_init(struct tailnet_store *s, size_t max_peers)
{
	memset(s, 0, sizeof(*s));
	s->max_peers = max_peers != 0 ? max_peers : TAILNET_DEFAULT_PEERS_MAX;
}

void
tailnet_store_free(struct tailnet_store *s)
{
	tailnet_node_clear(&s->nm.self);
	for (size_t i = 0; i < s->nm.peer_count; i++)
		tailnet_node_free(s->nm.peers[i]);
	free(s->nm.peers);
	tailnet_derp_map_clear(&s->nm.derp);
	free(s->nm.filter.rules);
	chunks_free(s->chunks, s->chunk_count);
	free(s->added);
	free(s->changed);
	free(s->removed);
	memset(s, 0, sizeof(*s));
}

const struct tailnet_node *
tailnet_netmap_peer(const struct tailnet_netmap *nm, int64_t id)
{
	size_t lo = 0, hi = nm->peer_count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (nm->peers[mid]->id == id)
			return nm->peers[mid];
		if (nm->peers[mid]->id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const struct tailnet_node *
tailnet_netmap_peer_by_key(const struct tailnet_netmap *nm, const uint8_t node_key[TAILNET_KEY_LEN])
{
	for (size_t i = 0; i < nm->peer_count; i++) {
		if (memcmp(nm->peers[i]->node_key, node_key, TAILNET_KEY_LEN) == 0)
			return nm->peers[i];
	}
	return NULL;
}

/* Where a node of the peer set being built comes from. */
enum slot_origin {
	ORIGIN_OLD,   /* the current netmap's node, unchanged */
	ORIGIN_DELTA, /* a node of the message; *owner is its place in the delta */
	ORIGIN_CLONE, /* a copy of a current node, patched */
};

struct slot {
	struct tailnet_node *node;
	enum slot_origin origin;
	struct tailnet_node **owner;
	size_t order; /* place in the message, so that of two entries for one ID the last wins */
};

static int
compare_slots(const void *x, const void *y)
{
	const struct slot *a = x, *b = y;

	if (a->node->id != b->node->id)
		return a->node->id < b->node->id ? -1 : 1;
	return a->order < b->order ? -1 : a->order > b->order;
}

/* Sort message nodes by ID and keep the last of each ID (the others stay in the delta). */
static size_t
sorted_unique(struct slot *slots, size_t count)
{
	size_t out = 0;

	qsort(slots, count, sizeof(*slots), compare_slots);
	for (size_t i = 0; i < count; i++) {
		if (out > 0 && slots[out - 1].node->id == slots[i].node->id)
			out--;
		slots[out++] = slots[i];
	}
	return out;
}

static struct slot *
find_slot(struct slot *slots, size_t count, int64_t id)
{
	size_t lo = 0, hi = count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (slots[mid].node->id == id)
			return &slots[mid];
		if (slots[mid].node->id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static int
compare_ids(const void *x, const void *y)
{
	int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;

	return a < b ? -1 : a > b;
}

/* A node that a per-field change will modify: current nodes are copied first. */
static struct tailnet_node *
writable(struct slot *slot)
{
	struct tailnet_node *copy;

	if (slot->origin != ORIGIN_OLD)
		return slot->node;
	copy = tailnet_node_clone(slot->node);
	if (copy == NULL)
		return NULL;
	slot->node = copy;
	slot->origin = ORIGIN_CLONE;
	return copy;
}

static void
drop_clones(struct slot *slots, size_t count)
{
	for (size_t i = 0; slots != NULL && i < count; i++) {
		if (slots[i].origin == ORIGIN_CLONE)
			tailnet_node_free(slots[i].node);
	}
}

/* The PeerSeenChange, OnlineChange and PeersChangedPatch steps; -1 when out of memory. */
static int
apply_field_changes(struct slot *work, size_t count, const struct tailnet_delta *d,
		    int64_t now_unix)
{
	for (size_t i = 0; i < d->seen_count; i++) {
		struct slot *slot = find_slot(work, count, d->seen[i].id);
		struct tailnet_node *n;

		if (slot == NULL)
			continue;
		if ((n = writable(slot)) == NULL)
			return -1;
		n->last_seen = d->seen[i].value ? now_unix : 0;
	}
	for (size_t i = 0; i < d->online_count; i++) {
		struct slot *slot = find_slot(work, count, d->online[i].id);
		struct tailnet_node *n;

		if (slot == NULL)
			continue;
		if ((n = writable(slot)) == NULL)
			return -1;
		n->online = d->online[i].value ? TAILNET_TRUE : TAILNET_FALSE;
	}
	for (size_t i = 0; i < d->patch_count; i++) {
		const struct tailnet_patch *p = &d->patches[i];
		struct slot *slot = find_slot(work, count, p->id);
		struct tailnet_node *n;

		if (slot == NULL)
			continue;
		if ((n = writable(slot)) == NULL)
			return -1;
		if (p->has_derp)
			n->home_derp = p->derp;
		if (p->has_cap)
			n->cap = p->cap;
		if (p->has_endpoints) {
			struct netendpoint *eps = NULL;

			if (p->endpoint_count > 0) {
				eps = malloc(p->endpoint_count * sizeof(*eps));
				if (eps == NULL)
					return -1;
				memcpy(eps, p->endpoints, p->endpoint_count * sizeof(*eps));
			}
			free(n->endpoints);
			n->endpoints = eps;
			n->endpoint_count = p->endpoint_count;
		}
		if (p->has_key)
			memcpy(n->node_key, p->key, TAILNET_KEY_LEN);
		if (p->has_disco)
			memcpy(n->disco_key, p->disco, TAILNET_KEY_LEN);
		if (p->has_online)
			n->online = p->online ? TAILNET_TRUE : TAILNET_FALSE;
		if (p->has_last_seen)
			n->last_seen = p->last_seen;
		if (p->has_key_expiry)
			n->key_expiry = p->key_expiry;
	}
	return 0;
}

/* Build the new peer set in *out (sorted, unique); NULL and 0 on no memory. */
static int
build_peer_set(const struct tailnet_store *s, struct tailnet_delta *d, int64_t now_unix,
	       struct slot **out, size_t *out_count)
{
	const struct tailnet_netmap *nm = &s->nm;
	struct slot *incoming = NULL, *work = NULL;
	size_t n_in = 0, n_work = 0;
	int64_t *removed = NULL;

	if (d->peer_count > 0) {
		work = calloc(d->peer_count, sizeof(*work));
		if (work == NULL)
			return -1;
		for (size_t i = 0; i < d->peer_count; i++)
			work[i] = (struct slot){d->peers[i], ORIGIN_DELTA, &d->peers[i], i};
		n_work = sorted_unique(work, d->peer_count);
		*out = work;
		*out_count = n_work;
		return 0;
	}
	incoming = calloc(d->changed_count + 1, sizeof(*incoming));
	work = calloc(nm->peer_count + d->changed_count + 1, sizeof(*work));
	removed = calloc(d->removed_count + 1, sizeof(*removed));
	if (incoming == NULL || work == NULL || removed == NULL)
		goto fail;
	for (size_t i = 0; i < d->changed_count; i++)
		incoming[i] = (struct slot){d->changed[i], ORIGIN_DELTA, &d->changed[i], i};
	n_in = sorted_unique(incoming, d->changed_count);
	if (d->removed_count > 0) {
		memcpy(removed, d->removed, d->removed_count * sizeof(*removed));
		qsort(removed, d->removed_count, sizeof(*removed), compare_ids);
	}
	/* current peers minus the removed ones, merged with the upserts */
	for (size_t i = 0, j = 0, r = 0; i < nm->peer_count || j < n_in;) {
		struct slot next;

		if (j == n_in || (i < nm->peer_count && nm->peers[i]->id < incoming[j].node->id)) {
			int64_t id = nm->peers[i]->id;

			while (r < d->removed_count && removed[r] < id)
				r++;
			next = (struct slot){nm->peers[i++], ORIGIN_OLD, NULL, 0};
			if (r < d->removed_count && removed[r] == id)
				continue;
		} else {
			if (i < nm->peer_count && nm->peers[i]->id == incoming[j].node->id)
				i++; /* replaced; a removal of the same ID came first */
			next = incoming[j++];
		}
		work[n_work++] = next;
	}
	if (apply_field_changes(work, n_work, d, now_unix) < 0) {
		drop_clones(work, n_work);
		goto fail;
	}
	free(incoming);
	free(removed);
	*out = work;
	*out_count = n_work;
	return 0;
fail:
	free(incoming);
	free(work);
	free(removed);
	return -1;
}

/* Keep the current node where the new one says the same thing. */
static void
keep_unchanged(const struct tailnet_netmap *nm, struct slot *work, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		const struct tailnet_node *old = tailnet_netmap_peer(nm, work[i].node->id);

		if (work[i].origin == ORIGIN_OLD || old == NULL || !tailnet_node_equal(old, work[i].node))
			continue;
		if (work[i].origin == ORIGIN_CLONE)
			tailnet_node_free(work[i].node);
		work[i] = (struct slot){(struct tailnet_node *)old, ORIGIN_OLD, NULL, 0};
	}
}

static int
compare_chunk_names(const void *x, const void *y)
{
	return strcmp(((const struct tailnet_filter_chunk *)x)->name,
		      ((const struct tailnet_filter_chunk *)y)->name);
}

/* The new chunk list (pointers into the old list and the delta) and its concatenation. */
struct filter_plan {
	struct tailnet_filter_chunk *chunks;
	size_t chunk_count;
	bool *from_delta;
	struct tailnet_filter_rule *rules;
	size_t rule_count;
};

static int
plan_filter(const struct tailnet_store *s, const struct tailnet_delta *d, struct filter_plan *p)
{
	size_t cap = (d->filter_clear ? 0 : s->chunk_count) + d->chunk_count + 1, n = 0, rules = 0;

	memset(p, 0, sizeof(*p));
	p->chunks = calloc(cap, sizeof(*p->chunks));
	p->from_delta = calloc(cap, sizeof(*p->from_delta));
	if (p->chunks == NULL || p->from_delta == NULL)
		goto fail;
	if (!d->filter_clear) {
		for (size_t i = 0; i < s->chunk_count; i++)
			p->chunks[n++] = s->chunks[i];
	}
	for (size_t i = 0; i < d->chunk_count; i++) {
		const struct tailnet_filter_chunk *c = &d->chunks[i];
		size_t at = n;

		for (size_t j = 0; j < n; j++) {
			if (strcmp(p->chunks[j].name, c->name) == 0) {
				at = j;
				break;
			}
		}
		if (c->remove) {
			if (at < n) {
				memmove(&p->chunks[at], &p->chunks[at + 1],
					(n - at - 1) * sizeof(*p->chunks));
				memmove(&p->from_delta[at], &p->from_delta[at + 1],
					(n - at - 1) * sizeof(*p->from_delta));
				n--;
			}
			continue;
		}
		p->chunks[at] = *c;
		p->from_delta[at] = true;
		if (at == n)
			n++;
	}
	/* sort names, carrying the from_delta flags along */
	for (size_t i = 1; i < n; i++) {
		for (size_t j = i; j > 0 && compare_chunk_names(&p->chunks[j - 1], &p->chunks[j]) > 0;
		     j--) {
			struct tailnet_filter_chunk t = p->chunks[j];
			bool f = p->from_delta[j];

			p->chunks[j] = p->chunks[j - 1];
			p->from_delta[j] = p->from_delta[j - 1];
			p->chunks[j - 1] = t;
			p->from_delta[j - 1] = f;
		}
	}
	p->chunk_count = n;
	for (size_t i = 0; i < n; i++)
		rules += p->chunks[i].rule_count;
	p->rules = calloc(rules + 1, sizeof(*p->rules));
	if (p->rules == NULL)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		if (p->chunks[i].rule_count == 0)
			continue;
		memcpy(p->rules + p->rule_count, p->chunks[i].rules,
		       p->chunks[i].rule_count * sizeof(*p->rules));
		p->rule_count += p->chunks[i].rule_count;
	}
	return 0;
fail:
	free(p->chunks);
	free(p->from_delta);
	free(p->rules);
	memset(p, 0, sizeof(*p));
	return -1;
}

/* Commit the filter plan: old chunks no longer listed are freed, delta chunks are taken. */
static void
commit_filter(struct tailnet_store *s, struct tailnet_delta *d, struct filter_plan *p)
{
	for (size_t i = 0; i < s->chunk_count; i++) {
		bool kept = false;

		for (size_t j = 0; j < p->chunk_count && !kept; j++)
			kept = !p->from_delta[j] && p->chunks[j].rules == s->chunks[i].rules &&
			       p->chunks[j].name == s->chunks[i].name;
		if (!kept) {
			free(s->chunks[i].name);
			tailnet_filter_rules_free(s->chunks[i].rules, s->chunks[i].rule_count);
		}
	}
	free(s->chunks);
	/* taken chunks leave the delta; chunks it only removed by name stay there */
	for (size_t j = 0; j < p->chunk_count; j++) {
		if (!p->from_delta[j])
			continue;
		for (size_t i = 0; i < d->chunk_count; i++) {
			if (d->chunks[i].name == p->chunks[j].name) {
				d->chunks[i].name = NULL;
				d->chunks[i].rules = NULL;
				d->chunks[i].rule_count = 0;
			}
		}
	}
	/* a chunk given twice in one message: the first copy was overwritten in the plan */
	free(p->from_delta);
	s->chunks = p->chunks;
	s->chunk_count = p->chunk_count;
	free(s->nm.filter.rules);
	s->nm.filter.rules = p->rules;
	s->nm.filter.rule_count = p->rule_count;
	s->nm.filter_known = true;
}

enum tailnet_apply_result
tailnet_store_apply(struct tailnet_store *s, struct tailnet_delta *d, int64_t now_unix,
		    struct tailnet_netmap_change *change)
{
	struct tailnet_netmap *nm = &s->nm;
	struct slot *work = NULL;
	size_t n_work = 0, n_added = 0, n_changed = 0, n_removed = 0;
	struct tailnet_node **peers = NULL;
	int64_t *added = NULL, *changed = NULL, *removed = NULL;
	struct filter_plan plan = {0};
	bool touch_peers = d->peer_count > 0 || d->changed_count > 0 || d->removed_count > 0 ||
			   d->seen_count > 0 || d->online_count > 0 || d->patch_count > 0;

	memset(change, 0, sizeof(*change));
	if (d->keepalive)
		return TAILNET_APPLY_KEEPALIVE;

	/* 1. everything that can fail */
	if (touch_peers) {
		if (build_peer_set(s, d, now_unix, &work, &n_work) < 0)
			return TAILNET_APPLY_NOMEM;
		if (n_work > s->max_peers) {
			drop_clones(work, n_work);
			free(work);
			return TAILNET_APPLY_TOO_MANY_PEERS;
		}
		keep_unchanged(nm, work, n_work);
		for (size_t i = 0, j = 0; i < nm->peer_count || j < n_work;) {
			if (j == n_work || (i < nm->peer_count && nm->peers[i]->id < work[j].node->id)) {
				n_removed++;
				i++;
			} else if (i == nm->peer_count || work[j].node->id < nm->peers[i]->id) {
				n_added++;
				j++;
			} else {
				n_changed += work[j].node != nm->peers[i];
				i++;
				j++;
			}
		}
		peers = calloc(n_work + 1, sizeof(*peers));
		added = calloc(n_added + 1, sizeof(*added));
		changed = calloc(n_changed + 1, sizeof(*changed));
		removed = calloc(n_removed + 1, sizeof(*removed));
		if (peers == NULL || added == NULL || changed == NULL || removed == NULL)
			goto nomem;
	}
	if (d->has_filter && plan_filter(s, d, &plan) < 0)
		goto nomem;

	/* 2. nothing below fails */
	if (touch_peers) {
		size_t a = 0, c = 0, r = 0;

		for (size_t i = 0, j = 0; i < nm->peer_count || j < n_work;) {
			if (j == n_work || (i < nm->peer_count && nm->peers[i]->id < work[j].node->id)) {
				removed[r++] = nm->peers[i]->id;
				tailnet_node_free(nm->peers[i++]);
			} else if (i == nm->peer_count || work[j].node->id < nm->peers[i]->id) {
				added[a++] = work[j++].node->id;
			} else {
				if (work[j].node != nm->peers[i]) {
					changed[c++] = work[j].node->id;
					tailnet_node_free(nm->peers[i]);
				}
				i++;
				j++;
			}
		}
		for (size_t j = 0; j < n_work; j++) {
			peers[j] = work[j].node;
			if (work[j].origin == ORIGIN_DELTA)
				*work[j].owner = NULL;
			if (work[j].origin != ORIGIN_OLD)
				tailnet_node_note_routes(peers[j]);
		}
		free(nm->peers);
		nm->peers = peers;
		nm->peer_count = n_work;
		free(s->added);
		free(s->changed);
		free(s->removed);
		s->added = added;
		s->changed = changed;
		s->removed = removed;
		s->added_count = n_added;
		s->changed_count = n_changed;
		s->removed_count = n_removed;
		change->added = added;
		change->added_count = n_added;
		change->changed = changed;
		change->changed_count = n_changed;
		change->removed = removed;
		change->removed_count = n_removed;
		change->full_peer_set = d->peer_count > 0;
		free(work);
	}
	if (d->self != NULL) {
		tailnet_node_note_routes(d->self);
		if (!nm->self_known || !tailnet_node_equal(&nm->self, d->self)) {
			tailnet_node_clear(&nm->self);
			nm->self = *d->self;
			memset(d->self, 0, sizeof(*d->self));
			change->self_changed = true;
		}
		nm->self_known = true;
	}
	if (d->has_derp) {
		struct tailnet_derp_map *old = &nm->derp, *new = &d->derp;

		if (d->derp_keep_regions) {
			new->regions = old->regions;
			new->region_count = old->region_count;
			new->omit_default_regions = old->omit_default_regions;
			old->regions = NULL;
			old->region_count = 0;
		}
		if (d->derp_keep_scores) {
			new->region_scores = old->region_scores;
			new->region_score_count = old->region_score_count;
			old->region_scores = NULL;
			old->region_score_count = 0;
		}
		tailnet_derp_map_clear(old);
		*old = *new;
		memset(new, 0, sizeof(*new));
		nm->derp_known = true;
		change->derp_changed = true;
	}
	if (d->has_filter) {
		commit_filter(s, d, &plan);
		change->filter_changed = true;
	}
	if (d->domain != NULL) {
		strncpy(nm->domain, d->domain, sizeof(nm->domain) - 1);
		nm->domain[sizeof(nm->domain) - 1] = '\0';
	}
	if (change->added_count == 0 && change->changed_count == 0 &&
	    change->removed_count == 0 && !change->self_changed && !change->derp_changed &&
	    !change->filter_changed)
		return TAILNET_APPLY_UNCHANGED;
	nm->generation++;
	return TAILNET_APPLY_OK;
nomem:
	drop_clones(work, n_work);
	free(work);
	free(peers);
	free(added);
	free(changed);
	free(removed);
	return TAILNET_APPLY_NOMEM;
}
