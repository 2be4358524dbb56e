/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdlib.h>
#include <string.h>

#include <rte_arp.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>

#include "handoff.h"
#include "l2.h"
#include "l3.h"
#include "log.h"
#include "neighbor.h"

enum neighbor_state {
	NEIGHBOR_INCOMPLETE, /* asked, no answer yet; packets wait */
	NEIGHBOR_REACHABLE,  /* answered recently */
	NEIGHBOR_PROBE,      /* in use and old: asked again by unicast, MAC still used */
	NEIGHBOR_FAILED,     /* no answer; misses drop at once until the hold ends */
};

static const char *const state_names[] = {"incomplete", "reachable", "probe", "failed"};

/* The MAC word workers read: bit 63 says "valid", the low 48 bits are the address. */
#define MAC_VALID (UINT64_C(1) << 63)

struct neighbor_key {
	uint8_t role;
	uint8_t family;
	uint8_t pad[2];
	uint8_t addr[16];
};

struct neighbor_entry {
	/* read by workers */
	uint64_t mac_word;
	uint8_t used[DP_MAX_WORKERS];
	/* control plane only */
	struct neighbor_key key;
	enum neighbor_state state;
	uint64_t changed_ns;  /* state entered */
	uint64_t asked_ns;    /* last request sent */
	uint64_t used_ns;     /* last time a worker was seen using it */
	unsigned int tries;
	struct rte_mbuf *queue[NEIGHBOR_QUEUE_MAX];
	unsigned int queue_head, queue_count;
};

/* A worker's memory of one next hop. */
struct cache_slot {
	uint64_t generation; /* the table's when the MAC was read; 0: empty */
	uint64_t checked_ns; /* when it was last looked up in the table */
	uint64_t mac_word;
	uint8_t role;
	uint8_t family;
	uint8_t addr[16];
} __rte_cache_aligned;

struct worker_cache {
	struct cache_slot slots[NEIGHBOR_CACHE_SLOTS];
};

struct neighbor_table {
	/* read by every worker per packet, written when a MAC changes or an entry goes */
	uint64_t generation __rte_cache_aligned;
	/* control plane only */
	struct dataplane *dp __rte_cache_aligned;
	struct rte_hash *hash;
	unsigned int next_worker;
	uint64_t dropped_unresolved;
	struct worker_cache *caches; /* one per worker, each written by its worker only */
};

static void
key_make(struct neighbor_key *k, uint8_t role, const struct netaddr *a)
{
	memset(k, 0, sizeof(*k));
	k->role = role;
	k->family = a->family;
	memcpy(k->addr, a->bytes, a->family == AF_INET ? 4 : 16);
}

static uint64_t
mac_pack(const struct rte_ether_addr *mac)
{
	uint64_t w = 0;

	memcpy(&w, mac->addr_bytes, RTE_ETHER_ADDR_LEN);
	return w | MAC_VALID;
}

static void
entry_drop_queue(struct neighbor_table *t, struct neighbor_entry *e)
{
	while (e->queue_count > 0) {
		rte_pktmbuf_free(e->queue[e->queue_head]);
		e->queue_head = (e->queue_head + 1) % NEIGHBOR_QUEUE_MAX;
		e->queue_count--;
		t->dropped_unresolved++;
	}
}

/* Called by the hash's RCU defer queue once no worker can still see the entry. */
static void
entry_free(void *p, void *key_data)
{
	struct neighbor_table *t = p;
	struct neighbor_entry *e = key_data;

	entry_drop_queue(t, e);
	rte_free(e);
}

struct neighbor_table *
neighbor_table_create(struct dataplane *dp)
{
	struct neighbor_table *t;
	struct rte_hash_parameters params = {
		.name = "neighbors",
		.entries = NEIGHBOR_MAX,
		.key_len = sizeof(struct neighbor_key),
		.hash_func = rte_hash_crc, /* per packet: SSE4.2 crc32 over the 20-byte key, not jhash */
		.socket_id = SOCKET_ID_ANY,
		.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF,
	};
	struct rte_hash_rcu_config rcu = {
		.v = dp->rcu,
		.mode = RTE_HASH_QSBR_MODE_DQ,
		.free_key_data_func = entry_free,
	};

	t = rte_zmalloc("neighbor_table", sizeof(*t), RTE_CACHE_LINE_SIZE);
	if (t == NULL)
		return NULL;
	t->dp = dp;
	t->generation = 1;
	t->caches = rte_zmalloc("neighbor_caches", dp->worker_count * sizeof(*t->caches),
				RTE_CACHE_LINE_SIZE);
	if (t->caches == NULL) {
		rte_free(t);
		return NULL;
	}
	t->hash = rte_hash_create(&params);
	if (t->hash == NULL) {
		log_error("neighbor: rte_hash_create: %s", rte_strerror(rte_errno));
		rte_free(t->caches);
		rte_free(t);
		return NULL;
	}
	rcu.key_data_ptr = t;
	if (rte_hash_rcu_qsbr_add(t->hash, &rcu) != 0) {
		log_error("neighbor: rte_hash_rcu_qsbr_add: %s", rte_strerror(rte_errno));
		rte_hash_free(t->hash);
		rte_free(t->caches);
		rte_free(t);
		return NULL;
	}
	return t;
}

void
neighbor_table_destroy(struct neighbor_table *t)
{
	const void *key;
	void *data;
	uint32_t iter = 0;

	if (t == NULL)
		return;
	/* Workers are stopped: free directly. */
	while (rte_hash_iterate(t->hash, &key, &data, &iter) >= 0)
		entry_free(t, data);
	rte_hash_free(t->hash);
	rte_free(t->caches);
	rte_free(t);
}

static uint32_t
cache_index(uint8_t role, const struct netaddr *nh)
{
	uint64_t v6[2];
	uint32_t v4;

	if (nh->family == AF_INET) {
		memcpy(&v4, nh->bytes, 4);
		return rte_hash_crc_4byte(v4, role) & (NEIGHBOR_CACHE_SLOTS - 1);
	}
	/* copied out: the address may sit at any alignment (an address inside packet metadata),
	 * and rte_hash_crc reads it in 8-byte words */
	memcpy(v6, nh->bytes, sizeof(v6));
	return rte_hash_crc_8byte(v6[1], rte_hash_crc_8byte(v6[0], role)) &
	       (NEIGHBOR_CACHE_SLOTS - 1);
}

static bool
cache_slot_is(const struct cache_slot *c, uint8_t role, const struct netaddr *nh)
{
	uint64_t a[2], b[2];

	if (c->role != role || c->family != nh->family)
		return false;
	if (nh->family == AF_INET)
		return memcmp(c->addr, nh->bytes, 4) == 0;
	memcpy(a, c->addr, 16);
	memcpy(b, nh->bytes, 16);
	return ((a[0] ^ b[0]) | (a[1] ^ b[1])) == 0;
}

bool
neighbor_lookup(struct neighbor_table *t, unsigned int worker, uint8_t role,
		const struct netaddr *nh, uint64_t now_ns, struct rte_ether_addr *mac)
{
	struct cache_slot *c = &t->caches[worker].slots[cache_index(role, nh)];
	/* read before the table: a change after this makes the slot stale at once */
	uint64_t generation = __atomic_load_n(&t->generation, __ATOMIC_ACQUIRE);
	struct neighbor_key k;
	struct neighbor_entry *e;
	uint64_t w;

	if (likely(c->generation == generation && cache_slot_is(c, role, nh) &&
		   now_ns - c->checked_ns < NEIGHBOR_CACHE_RECHECK_MS * UINT64_C(1000000))) {
		memcpy(mac->addr_bytes, &c->mac_word, RTE_ETHER_ADDR_LEN);
		return true;
	}
	key_make(&k, role, nh);
	if (rte_hash_lookup_data(t->hash, &k, (void **)&e) < 0)
		return false;
	w = __atomic_load_n(&e->mac_word, __ATOMIC_ACQUIRE);
	if ((w & MAC_VALID) == 0)
		return false;
	memcpy(mac->addr_bytes, &w, RTE_ETHER_ADDR_LEN);
	if (e->used[worker] == 0)
		__atomic_store_n(&e->used[worker], 1, __ATOMIC_RELAXED);
	c->generation = generation;
	c->checked_ns = now_ns;
	c->mac_word = w;
	c->role = role;
	c->family = nh->family;
	memcpy(c->addr, k.addr, sizeof(c->addr));
	return true;
}

/* Workers' cached MACs are stale from now on: after a MAC changed or an entry went. */
static void
generation_bump(struct neighbor_table *t)
{
	__atomic_store_n(&t->generation, t->generation + 1, __ATOMIC_RELEASE);
}

static struct neighbor_entry *
entry_find(struct neighbor_table *t, uint8_t role, const struct netaddr *a)
{
	struct neighbor_key k;
	struct neighbor_entry *e;

	key_make(&k, role, a);
	if (rte_hash_lookup_data(t->hash, &k, (void **)&e) < 0)
		return NULL;
	return e;
}

static struct neighbor_entry *
entry_add(struct neighbor_table *t, uint8_t role, const struct netaddr *a, uint64_t now_ns)
{
	struct neighbor_entry *e = rte_zmalloc("neighbor", sizeof(*e), RTE_CACHE_LINE_SIZE);

	if (e == NULL)
		return NULL;
	key_make(&e->key, role, a);
	e->state = NEIGHBOR_INCOMPLETE;
	e->changed_ns = now_ns;
	e->used_ns = now_ns;
	if (rte_hash_add_key_data(t->hash, &e->key, e) != 0) {
		rte_free(e);
		return NULL;
	}
	return e;
}

static void
entry_remove(struct neighbor_table *t, struct neighbor_entry *e)
{
	/* The hash's defer queue calls entry_free after a grace period. */
	rte_hash_del_key(t->hash, &e->key);
	generation_bump(t);
}

static void
entry_netaddr(const struct neighbor_entry *e, struct netaddr *a)
{
	memset(a, 0, sizeof(*a));
	a->family = e->key.family;
	memcpy(a->bytes, e->key.addr, 16);
}

static void
send_request(struct neighbor_table *t, struct neighbor_entry *e, bool unicast, uint64_t now_ns)
{
	struct rte_ether_addr mac;
	struct netaddr target;
	struct rte_mbuf *m;

	entry_netaddr(e, &target);
	if (unicast)
		memcpy(mac.addr_bytes, &e->mac_word, RTE_ETHER_ADDR_LEN);
	m = l2_build_neighbor_request(t->dp, e->key.role, &target, unicast ? &mac : NULL);
	e->asked_ns = now_ns;
	e->tries++;
	if (m == NULL)
		return;
	handoff_down(t->dp, t->next_worker++ % t->dp->worker_count, m);
}

/* Send what waited for this neighbour. */
static void
flush_queue(struct neighbor_table *t, struct neighbor_entry *e)
{
	while (e->queue_count > 0) {
		struct rte_mbuf *m = e->queue[e->queue_head];
		struct dp_meta *meta = dp_meta(m);

		e->queue_head = (e->queue_head + 1) % NEIGHBOR_QUEUE_MAX;
		e->queue_count--;
		meta->kind = DP_DOWN_L3;
		meta->port_role = e->key.role;
		entry_netaddr(e, &meta->next_hop);
		handoff_down(t->dp, t->next_worker++ % t->dp->worker_count, m);
	}
}

void
neighbor_resolve(struct neighbor_table *t, struct rte_mbuf *m, uint64_t now_ns)
{
	struct dp_meta *meta = dp_meta(m);
	struct neighbor_entry *e;

	e = entry_find(t, meta->port_role, &meta->next_hop);
	if (e == NULL) {
		e = entry_add(t, meta->port_role, &meta->next_hop, now_ns);
		if (e == NULL) {
			t->dropped_unresolved++;
			rte_pktmbuf_free(m);
			return;
		}
		send_request(t, e, false, now_ns);
	}
	if (e->state == NEIGHBOR_FAILED) {
		t->dropped_unresolved++;
		rte_pktmbuf_free(m);
		return;
	}
	if (e->mac_word & MAC_VALID) {
		/* resolved after the worker looked: send it now */
		meta->kind = DP_DOWN_L3;
		handoff_down(t->dp, t->next_worker++ % t->dp->worker_count, m);
		return;
	}
	if (e->queue_count == NEIGHBOR_QUEUE_MAX) {
		/* keep the newest: drop the oldest waiting packet */
		rte_pktmbuf_free(e->queue[e->queue_head]);
		e->queue_head = (e->queue_head + 1) % NEIGHBOR_QUEUE_MAX;
		e->queue_count--;
		t->dropped_unresolved++;
	}
	e->queue[(e->queue_head + e->queue_count) % NEIGHBOR_QUEUE_MAX] = m;
	e->queue_count++;
}

void
neighbor_learn(struct neighbor_table *t, uint8_t role, const struct netaddr *addr,
	       const struct rte_ether_addr *mac, bool create, uint64_t now_ns)
{
	struct neighbor_entry *e = entry_find(t, role, addr);
	uint64_t old;

	if (rte_is_zero_ether_addr(mac) || rte_is_multicast_ether_addr(mac))
		return;
	if (e == NULL) {
		if (!create)
			return;
		e = entry_add(t, role, addr, now_ns);
		if (e == NULL)
			return;
	}
	old = e->mac_word;
	__atomic_store_n(&e->mac_word, mac_pack(mac), __ATOMIC_RELEASE);
	/* a worker may remember the old MAC (no worker caches an unresolved one) */
	if ((old & MAC_VALID) != 0 && old != e->mac_word)
		generation_bump(t);
	e->state = NEIGHBOR_REACHABLE;
	e->changed_ns = now_ns;
	e->tries = 0;
	flush_queue(t, e);
}

void
neighbor_learn_frame(struct neighbor_table *t, struct rte_mbuf *m, uint64_t now_ns)
{
	const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	uint8_t role = dp_meta(m)->port_role;
	struct rte_ether_addr mac;
	struct netaddr addr;
	bool solicited;

	if (eth->ether_type == RTE_BE16(RTE_ETHER_TYPE_ARP) &&
	    rte_pktmbuf_data_len(m) >= L2_HLEN + sizeof(struct rte_arp_hdr)) {
		const struct rte_arp_hdr *arp = (const struct rte_arp_hdr *)(eth + 1);

		netaddr_from_ipv4(&addr, arp->arp_data.arp_sip);
		/* A reply or a request aimed at us both prove the sender is there. */
		if (arp->arp_data.arp_sip != 0)
			neighbor_learn(t, role, &addr, &arp->arp_data.arp_sha, true, now_ns);
	} else if (eth->ether_type == RTE_BE16(RTE_ETHER_TYPE_IPV6) &&
		   nd_parse_advert(m, &addr, &mac, &solicited) == 0) {
		neighbor_learn(t, role, &addr, &mac, true, now_ns);
	}
	rte_pktmbuf_free(m);
}

static bool
entry_used_since_check(struct neighbor_entry *e, unsigned int workers)
{
	bool used = false;

	for (unsigned int i = 0; i < workers; i++) {
		if (__atomic_load_n(&e->used[i], __ATOMIC_RELAXED)) {
			used = true;
			__atomic_store_n(&e->used[i], 0, __ATOMIC_RELAXED);
		}
	}
	return used;
}

uint64_t
neighbor_tick(struct neighbor_table *t, uint64_t now_ns)
{
	const uint64_t ms = 1000000;
	const void *key;
	void *data;
	uint32_t iter = 0;
	struct neighbor_entry *doomed[64];
	unsigned int ndoomed = 0;

	while (rte_hash_iterate(t->hash, &key, &data, &iter) >= 0) {
		struct neighbor_entry *e = data;

		if (entry_used_since_check(e, t->dp->worker_count))
			e->used_ns = now_ns;
		switch (e->state) {
		case NEIGHBOR_INCOMPLETE:
			if (now_ns - e->asked_ns < NEIGHBOR_RETRY_MS * ms)
				break;
			if (e->tries >= NEIGHBOR_RETRIES) {
				e->state = NEIGHBOR_FAILED;
				e->changed_ns = now_ns;
				entry_drop_queue(t, e);
				break;
			}
			send_request(t, e, false, now_ns);
			break;
		case NEIGHBOR_REACHABLE:
			if (now_ns - e->used_ns > NEIGHBOR_UNUSED_EXPIRE_MS * ms) {
				if (ndoomed < RTE_DIM(doomed))
					doomed[ndoomed++] = e;
			} else if (now_ns - e->changed_ns > NEIGHBOR_REACHABLE_MS * ms &&
				   now_ns - e->used_ns < NEIGHBOR_REACHABLE_MS * ms) {
				e->state = NEIGHBOR_PROBE;
				e->changed_ns = now_ns;
				e->tries = 0;
				send_request(t, e, true, now_ns);
			}
			break;
		case NEIGHBOR_PROBE:
			if (now_ns - e->asked_ns < NEIGHBOR_RETRY_MS * ms)
				break;
			if (e->tries >= NEIGHBOR_RETRIES) {
				/* gone: the next packet starts a fresh resolution */
				if (ndoomed < RTE_DIM(doomed))
					doomed[ndoomed++] = e;
				break;
			}
			send_request(t, e, e->tries < NEIGHBOR_RETRIES - 1, now_ns);
			break;
		case NEIGHBOR_FAILED:
			if (now_ns - e->changed_ns > NEIGHBOR_FAILED_HOLD_MS * ms && ndoomed < RTE_DIM(doomed))
				doomed[ndoomed++] = e;
			break;
		}
	}
	/* removing while iterating would skip entries */
	for (unsigned int i = 0; i < ndoomed; i++)
		entry_remove(t, doomed[i]);
	return now_ns + 250 * ms;
}

void
neighbor_walk(struct neighbor_table *t, uint64_t now_ns,
	      int (*cb)(const struct neighbor_info *info, void *arg), void *arg)
{
	const void *key;
	void *data;
	uint32_t iter = 0;

	while (rte_hash_iterate(t->hash, &key, &data, &iter) >= 0) {
		const struct neighbor_entry *e = data;
		struct neighbor_info info = {0};

		info.role = e->key.role;
		entry_netaddr(e, &info.addr);
		memcpy(info.mac.addr_bytes, &e->mac_word, RTE_ETHER_ADDR_LEN);
		info.state = state_names[e->state];
		info.age_ms = (now_ns - e->changed_ns) / 1000000;
		info.queued = e->queue_count;
		if (cb(&info, arg) != 0)
			return;
	}
}
