/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdlib.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "acl.h"
#include "dataplane.h"
#include "handoff.h"
#include "log.h"
#include "neighbor.h"
#include "port.h"
#include "wg_data.h"
#include "worker.h"

/* What a retired object needs to be freed later. */
struct retired {
	void *obj;
	void (*free_fn)(void *obj);
};

static void
retired_free(void *p, void *elem, unsigned int n)
{
	struct retired *r = elem;

	(void)p;
	for (unsigned int i = 0; i < n; i++)
		r[i].free_fn(r[i].obj);
}

static int
rcu_create(struct dataplane *dp)
{
	size_t size = rte_rcu_qsbr_get_memsize(dp->worker_count);
	struct rte_rcu_qsbr_dq_parameters params = {
		.name = "retired",
		.size = 4096,
		.esize = sizeof(struct retired),
		.trigger_reclaim_limit = 1,
		.max_reclaim_size = 64,
		.free_fn = retired_free,
	};

	dp->rcu = rte_zmalloc("rcu", size, RTE_CACHE_LINE_SIZE);
	if (dp->rcu == NULL || rte_rcu_qsbr_init(dp->rcu, dp->worker_count) != 0)
		return -1;
	params.v = dp->rcu;
	dp->rcu_defer = rte_rcu_qsbr_dq_create(&params);
	return dp->rcu_defer == NULL ? -1 : 0;
}

static int
pool_create(struct dataplane *dp)
{
	const struct config_dataplane *dpc = &dp->config->dataplane;
	/* Room for the largest frame the ports carry plus the WireGuard and tunnel headers. */
	uint16_t room = RTE_PKTMBUF_HEADROOM + 2048;

	dp->pool = rte_pktmbuf_pool_create("packets", dpc->mbufs, 256,
					   RTE_ALIGN(sizeof(struct dp_meta), RTE_MBUF_PRIV_ALIGN),
					   room, (int)rte_socket_id());
	if (dp->pool == NULL) {
		log_error("dataplane: packet pool of %u mbufs: %s", dpc->mbufs,
			  rte_strerror(rte_errno));
		return -1;
	}
	return 0;
}

/* The node's own address of a family on a role's port; family 0 when it has none. */
static struct netaddr
port_address(const struct config_port *port, int family)
{
	struct netaddr none = {0};

	for (size_t i = 0; port->present && i < port->address_count; i++)
		if (port->addresses[i].addr.family == family)
			return port->addresses[i].addr;
	return none;
}

/*
 * Exit settings: traffic leaves by the egress port, or by the public port without one; the
 * errors the node sends into the tunnel come from the inner port's address when it has one
 * (the address a peer sees as its first hop), else from the exit address.
 */
static void
exit_setup(struct dataplane *dp, const struct config *config)
{
	const struct config_exit *ce = &config->exit;
	const struct config_port *exit_port;
	struct nat_config *nc = &dp->nat_config;

	dp->exit_role = config->ports[CONFIG_PORT_EGRESS].present ? CONFIG_PORT_EGRESS
								  : CONFIG_PORT_PUBLIC;
	exit_port = &config->ports[dp->exit_role];
	dp->exit_enabled = ce->enabled;
	dp->mss_clamp = ce->mss_clamp;
	dp->exit_mtu = exit_port->mtu;
	dp->tunnel_mtu = config->node.mtu;
	dp->exit_v4 = port_address(exit_port, AF_INET);
	dp->exit_v6 = port_address(exit_port, AF_INET6);
	dp->tunnel_v4 = config->ports[CONFIG_PORT_INNER].present &&
				!dp->ports[CONFIG_PORT_INNER].host_facing
			? port_address(&config->ports[CONFIG_PORT_INNER], AF_INET)
			: dp->exit_v4;
	dp->tunnel_v6 = config->ports[CONFIG_PORT_INNER].present &&
				!dp->ports[CONFIG_PORT_INNER].host_facing
			? port_address(&config->ports[CONFIG_PORT_INNER], AF_INET6)
			: dp->exit_v6;
	if (dp->tunnel_v4.family == 0)
		dp->tunnel_v4 = dp->exit_v4;
	if (dp->tunnel_v6.family == 0)
		dp->tunnel_v6 = dp->exit_v6;
	dp->exit_v4_masquerade = ce->enabled && ce->masquerade && dp->exit_v4.family != 0;
	dp->exit_v6_masquerade = ce->enabled && ce->ipv6 == CONFIG_IPV6_MASQUERADE &&
				 dp->exit_v6.family != 0;
	memset(nc, 0, sizeof(*nc));
	nc->port_min = ce->port_min;
	nc->port_max = ce->port_max;
	nc->workers = dp->worker_count;
	if (dp->exit_v4_masquerade)
		nc->egress_ipv4 = dp->exit_v4;
	if (dp->exit_v6_masquerade)
		nc->egress_ipv6 = dp->exit_v6;
	nc->timeouts = (struct nat_timeouts){ce->timeout_tcp_established, ce->timeout_tcp_transitory,
					     ce->timeout_udp, ce->timeout_icmp};
	nc->sessions = ce->sessions;
	/* flows are spread over the workers by their hash: each holds its share of a peer's */
	nc->sessions_per_peer = ce->sessions_per_peer;
	dp->reserved_port = config->node.listen_port;
	nc->reserved_ports = &dp->reserved_port;
	nc->reserved_port_count = 1;
}

struct dataplane *
dataplane_create(const struct config *config)
{
	struct dataplane *dp;
	unsigned int lcore, index = 0;

	dp = calloc(1, sizeof(*dp));
	if (dp == NULL)
		return NULL;
	dp->config = config;
	dp->up_eventfd = -1;
	dp->listen_port = config->node.listen_port;
	dp->burst = config->dataplane.burst;
	dp->adaptive_idle = config->dataplane.idle == CONFIG_IDLE_ADAPTIVE;
	dp->worker_count = config->dataplane.workers;
	if (rte_lcore_count() < dp->worker_count + 1) {
		log_error("dataplane: %u workers need %u lcores besides the main one; EAL has %u",
			  dp->worker_count, dp->worker_count, rte_lcore_count() - 1);
		goto fail;
	}
	if (pool_create(dp) < 0 || rcu_create(dp) < 0 || handoff_create(dp) < 0)
		goto fail;
	if (ports_setup(dp, config) < 0)
		goto fail;
	exit_setup(dp, config);
	dp->neighbors = neighbor_table_create(dp);
	if (dp->neighbors == NULL || dp_wg_create(dp, config->node.mtu) < 0)
		goto fail;
	RTE_LCORE_FOREACH_WORKER(lcore) {
		if (index == dp->worker_count)
			break;
		if (worker_create(dp, index, lcore) < 0) {
			log_error("dataplane: worker %u on lcore %u: out of memory", index, lcore);
			goto fail;
		}
		index++;
	}
	/* Everything needed later was copied: a reload may free this config. */
	dp->config = NULL;
	return dp;
fail:
	dataplane_destroy(dp);
	return NULL;
}

int
dataplane_launch(struct dataplane *dp)
{
	for (unsigned int i = 0; i < dp->worker_count; i++) {
		struct worker *w = dp->workers[i];
		int rc = rte_eal_remote_launch(worker_main, w, w->lcore);

		if (rc != 0) {
			log_error("dataplane: launch worker %u: %s", i, rte_strerror(-rc));
			dataplane_stop(dp);
			return -1;
		}
	}
	return 0;
}

void
dataplane_stop(struct dataplane *dp)
{
	__atomic_store_n(&dp->stop, true, __ATOMIC_RELEASE);
	rte_eal_mp_wait_lcore();
}

void
dataplane_reclaim(struct dataplane *dp)
{
	unsigned int freed, pending, available;

	if (dp->rcu_defer != NULL)
		rte_rcu_qsbr_dq_reclaim(dp->rcu_defer, 64, &freed, &pending, &available);
}

int
dataplane_retire(struct dataplane *dp, void *obj, void (*free_fn)(void *obj))
{
	struct retired r = {obj, free_fn};

	if (rte_rcu_qsbr_dq_enqueue(dp->rcu_defer, &r) != 0) {
		/* the defer queue is full: wait for the workers, then free */
		rte_rcu_qsbr_synchronize(dp->rcu, RTE_QSBR_THRID_INVALID);
		free_fn(obj);
	}
	return 0;
}

static void
acl_free_retired(void *obj)
{
	dp_acl_free(obj);
}

void
dataplane_set_acl(struct dataplane *dp, struct dp_acl *acl)
{
	struct dp_acl *old = atomic_exchange_explicit(&dp->acl, acl, memory_order_acq_rel);

	if (old != NULL)
		dataplane_retire(dp, old, acl_free_retired);
}

void
dataplane_counters(const struct dataplane *dp, struct worker_counters *sum)
{
	memset(sum, 0, sizeof(*sum));
	for (unsigned int i = 0; i < dp->worker_count; i++) {
		const struct worker *w = dp->workers[i];

		if (w == NULL)
			continue;
		for (int c = 0; c < WORKER_COUNTER_COUNT; c++)
			sum->value[c] += counter_read(&w->counters.value[c]);
		for (int d = 0; d < DROP_REASON_COUNT; d++)
			sum->drop[d] += counter_read(&w->counters.drop[d]);
	}
}

int
dataplane_worker_counters(const struct dataplane *dp, unsigned int worker,
			  struct worker_counters *out)
{
	const struct worker *w;

	if (worker >= dp->worker_count || (w = dp->workers[worker]) == NULL)
		return -1;
	for (int c = 0; c < WORKER_COUNTER_COUNT; c++)
		out->value[c] = counter_read(&w->counters.value[c]);
	for (int d = 0; d < DROP_REASON_COUNT; d++)
		out->drop[d] = counter_read(&w->counters.drop[d]);
	return 0;
}

int
dataplane_worker_nat(const struct dataplane *dp, unsigned int worker, struct nat_stats *st,
		     uint32_t *capacity)
{
	const struct worker *w;

	if (worker >= dp->worker_count || (w = dp->workers[worker]) == NULL || w->nat == NULL)
		return -1;
	nat_stats_read(w->nat, st);
	*capacity = nat_capacity(w->nat);
	return 0;
}

int
dataplane_port_stats(const struct dataplane *dp, enum config_port_role role,
		     struct dp_port_stats *out)
{
	const struct dp_port *port;
	struct rte_eth_stats st;

	if (role >= CONFIG_PORT_ROLES || !(port = &dp->ports[role])->present ||
	    rte_eth_stats_get(port->eth_port, &st) != 0)
		return -1;
	*out = (struct dp_port_stats){
		.rx_packets = st.ipackets,
		.tx_packets = st.opackets,
		.rx_bytes = st.ibytes,
		.tx_bytes = st.obytes,
		.rx_missed = st.imissed,
		.rx_errors = st.ierrors,
		.tx_errors = st.oerrors,
	};
	return 0;
}

void
dataplane_destroy(struct dataplane *dp)
{
	if (dp == NULL)
		return;
	for (unsigned int i = 0; i < DP_MAX_WORKERS; i++)
		if (dp->workers[i] != NULL)
			worker_destroy(dp->workers[i]);
	if (dp->rcu_defer != NULL) {
		/* workers are gone: everything retired can go (before the tables it points into) */
		for (unsigned int i = 0; i < dp->worker_count; i++)
			rte_rcu_qsbr_thread_unregister(dp->rcu, i);
		rte_rcu_qsbr_dq_delete(dp->rcu_defer);
	}
	dp_wg_destroy(dp);
	dp_acl_free(atomic_load(&dp->acl));
	neighbor_table_destroy(dp->neighbors);
	ports_close(dp);
	handoff_destroy(dp);
	rte_free(dp->rcu);
	rte_mempool_free(dp->pool);
	free(dp);
}
