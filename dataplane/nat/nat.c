/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAT instances: creation from a configuration in one allocation, destruction, the walk for
 * status output, statistics and names. nat.h says why it is built this way.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <sodium.h>

#include "log.h"
#include "nat_internal.h"
#include "nat_packet.h"

enum {
	NAT_ALIGN = 64,
};

/* ---- walk, statistics, names ---- */

static void
endpoint_set(struct netendpoint *e, uint8_t version, const uint8_t *addr, uint16_t port)
{
	memset(e, 0, sizeof(*e));
	e->addr.family = version == 4 ? AF_INET : AF_INET6;
	memcpy(e->addr.bytes, addr, nat_addr_len(version));
	e->port = port;
}

unsigned int
nat_walk(const struct nat *n, bool (*visit)(const struct nat_session_info *session, void *ctx),
	 void *ctx)
{
	const struct nat_table *t = &n->table;
	unsigned int visited = 0;
	uint32_t i;

	for (i = 0; i < t->capacity; i++) {
		const struct nat_session *s = &t->sessions[i];
		struct nat_session_info info;

		if (s->version == 0)
			continue;
		memset(&info, 0, sizeof(info));
		info.protocol = s->proto;
		info.tcp_state = (enum nat_tcp_state)s->tcp_state;
		endpoint_set(&info.inner, s->version, s->inner_addr, s->inner_port);
		endpoint_set(&info.external, s->version, nat_egress(n, s->version), s->ext_port);
		endpoint_set(&info.remote, s->version, s->remote_addr, s->remote_port);
		info.peer_id = s->peer_id;
		info.expires_ns = s->expires_ns;
		visited++;
		if (!visit(&info, ctx))
			break;
	}
	return visited;
}

void
nat_stats_read(const struct nat *n, struct nat_stats *out)
{
	const uint64_t *from = (const uint64_t *)&n->stats;
	uint64_t *to = (uint64_t *)out;
	size_t i;

	for (i = 0; i < sizeof(*out) / sizeof(uint64_t); i++)
		to[i] = __atomic_load_n(&from[i], __ATOMIC_RELAXED);
}

uint32_t
nat_session_count(const struct nat *n)
{
	return nat_table_used(&n->table);
}

uint32_t
nat_capacity(const struct nat *n)
{
	return n->table.capacity;
}

uint32_t
nat_peer_limit(const struct nat *n)
{
	return n->peer_limit;
}

const char *
nat_result_name(enum nat_result result)
{
	static const char *const names[] = {
		"nat_ok",
#define NAT_DROP_NAME(name, text, description) text,
		NAT_DROP_REASONS(NAT_DROP_NAME)
#undef NAT_DROP_NAME
	};

	return (unsigned int)result < NAT_RESULT_COUNT ? names[result] : "unknown";
}

const char *
nat_result_description(enum nat_result result)
{
	static const char *const descriptions[] = {
		"translated",
#define NAT_DROP_DESCRIPTION(name, text, description) description,
		NAT_DROP_REASONS(NAT_DROP_DESCRIPTION)
#undef NAT_DROP_DESCRIPTION
	};

	return (unsigned int)result < NAT_RESULT_COUNT ? descriptions[result] : "unknown";
}

const char *
nat_protocol_name(enum nat_protocol protocol)
{
	static const char *const names[NAT_PROTO_COUNT] = {"tcp", "udp", "icmp"};

	return (unsigned int)protocol < NAT_PROTO_COUNT ? names[protocol] : "unknown";
}

const char *
nat_tcp_state_name(enum nat_tcp_state state)
{
	switch (state) {
	case NAT_TCP_NONE:
		return "none";
	case NAT_TCP_OPENING:
		return "opening";
	case NAT_TCP_ESTABLISHED:
		return "established";
	case NAT_TCP_CLOSING:
		return "closing";
	}
	return "unknown";
}

/* ---- creation ---- */

static void *
default_alloc(size_t size, size_t align, void *ctx)
{
	(void)ctx;
	return aligned_alloc(align, (size + align - 1) & ~(align - 1));
}

static void
default_free(void *memory, void *ctx)
{
	(void)ctx;
	free(memory);
}

/* A node-wide number's share of one worker, rounded up. */
static uint32_t
per_worker(uint32_t total, unsigned int workers)
{
	return (uint32_t)(((uint64_t)total + workers - 1) / workers);
}

static int
config_check(const struct nat_config *c)
{
	if (c->workers == 0 || c->worker >= c->workers) {
		log_warn("nat: worker %u of %u: no such worker", c->worker, c->workers);
		return -1;
	}
	if (c->port_min == 0 || c->port_min > c->port_max) {
		log_warn("nat: port range %u-%u: empty or includes 0", c->port_min, c->port_max);
		return -1;
	}
	if (c->worker > (unsigned int)(c->port_max - c->port_min)) {
		log_warn("nat: port range %u-%u: no ports left for worker %u of %u", c->port_min,
			 c->port_max, c->worker, c->workers);
		return -1;
	}
	if ((c->egress_ipv4.family != 0 && c->egress_ipv4.family != AF_INET) ||
	    (c->egress_ipv6.family != 0 && c->egress_ipv6.family != AF_INET6) ||
	    (c->egress_ipv4.family == 0 && c->egress_ipv6.family == 0)) {
		log_warn("nat: egress addresses: need an IPv4 one, an IPv6 one or both");
		return -1;
	}
	if (c->sessions == 0 || per_worker(c->sessions, c->workers) > NAT_MAX_SESSIONS ||
	    c->sessions_per_peer == 0) {
		log_warn("nat: sessions %u, per peer %u: out of range (1..%u per worker)",
			 c->sessions, c->sessions_per_peer, (unsigned int)NAT_MAX_SESSIONS);
		return -1;
	}
	if (c->timeouts.tcp_established == 0 || c->timeouts.tcp_transitory == 0 ||
	    c->timeouts.udp == 0 || c->timeouts.icmp == 0) {
		log_warn("nat: timeouts: every timeout must be at least one second");
		return -1;
	}
	if (c->reserved_port_count != 0 && c->reserved_ports == NULL) {
		log_warn("nat: reserved ports: %u announced, none given", c->reserved_port_count);
		return -1;
	}
	return 0;
}

static size_t
header_size(void)
{
	return (sizeof(struct nat) + NAT_ALIGN - 1) & ~(size_t)(NAT_ALIGN - 1);
}

struct nat *
nat_create(const struct nat_config *c, const struct nat_allocator *allocator)
{
	static const struct nat_allocator default_allocator = {default_alloc, default_free, NULL};
	const uint64_t ns = 1000000000ULL;
	uint32_t capacity;
	struct nat *n;
	size_t size;
	unsigned int i;

	if (config_check(c) < 0)
		return NULL;
	if (sodium_init() < 0) {
		log_warn("nat: sodium_init: failed");
		return NULL;
	}
	if (allocator == NULL)
		allocator = &default_allocator;
	capacity = per_worker(c->sessions, c->workers);
	size = header_size() + nat_table_memory(capacity);
	n = allocator->alloc(size, NAT_ALIGN, allocator->ctx);
	if (n == NULL) {
		log_warn("nat: allocating %zu bytes for %u sessions: out of memory", size,
			 capacity);
		return NULL;
	}
	memset(n, 0, sizeof(*n));
	n->allocator = *allocator;
	nat_table_init(&n->table, (uint8_t *)n + header_size(), capacity);
	if (c->egress_ipv4.family == AF_INET) {
		memcpy(n->egress[0], c->egress_ipv4.bytes, 4);
		n->has_egress[0] = true;
	}
	if (c->egress_ipv6.family == AF_INET6) {
		memcpy(n->egress[1], c->egress_ipv6.bytes, 16);
		n->has_egress[1] = true;
	}
	n->port_min = c->port_min;
	n->port_max = c->port_max;
	n->worker = c->worker;
	n->workers = c->workers;
	n->slice_ports = (uint32_t)(c->port_max - c->port_min - c->worker) / c->workers + 1;
	n->peer_limit = per_worker(c->sessions_per_peer, c->workers);
	n->tcp_established_ns = c->timeouts.tcp_established * ns;
	n->tcp_transitory_ns = c->timeouts.tcp_transitory * ns;
	n->udp_ns = c->timeouts.udp * ns;
	n->icmp_ns = c->timeouts.icmp * ns;
	randombytes_buf(n->port_key, sizeof(n->port_key));
	for (i = 0; i < c->reserved_port_count; i++)
		n->reserved[c->reserved_ports[i] / 64] |= 1ULL << (c->reserved_ports[i] % 64);
	return n;
}

void
nat_destroy(struct nat *n)
{
	struct nat_allocator allocator;

	if (n == NULL)
		return;
	allocator = n->allocator;
	sodium_memzero(n->table.hash_key, sizeof(n->table.hash_key));
	sodium_memzero(n->port_key, sizeof(n->port_key));
	allocator.free(n, allocator.ctx);
}
