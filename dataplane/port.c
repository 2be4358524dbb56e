/* SPDX-License-Identifier: BSD-3-Clause */
#include <net/if.h>
#include <string.h>
#include <unistd.h>

#include <rte_ethdev.h>
#include <rte_errno.h>

#include "eal.h"
#include "log.h"
#include "port.h"

static int
queue_setup(struct dataplane *dp, uint16_t eth_port, const char *name, uint32_t mtu,
	    uint64_t *tx_offloads, uint64_t *rx_offloads)
{
	const struct config_dataplane *dpc = &dp->config->dataplane;
	struct rte_eth_conf conf;
	struct rte_eth_dev_info info;
	uint16_t rxd = (uint16_t)dpc->rx_descriptors, txd = (uint16_t)dpc->tx_descriptors;
	uint16_t queues = (uint16_t)dp->worker_count;
	int rc;

	rc = rte_eth_dev_info_get(eth_port, &info);
	if (rc != 0) {
		log_error("port %s: rte_eth_dev_info_get: %s", name, rte_strerror(-rc));
		return -1;
	}
	if (info.max_rx_queues < queues || info.max_tx_queues < queues) {
		log_error("port %s: has %u rx / %u tx queues, %u workers need one each", name,
			  info.max_rx_queues, info.max_tx_queues, queues);
		return -1;
	}
	memset(&conf, 0, sizeof(conf));
	if (queues > 1 && info.flow_type_rss_offloads != 0) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf =
			(RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP | RTE_ETH_RSS_TCP) &
			info.flow_type_rss_offloads;
	}
	/* Checksums the device computes on transmit; the rest are done in software. */
	*tx_offloads = info.tx_offload_capa &
		       (RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_UDP_CKSUM |
			RTE_ETH_TX_OFFLOAD_TCP_CKSUM);
	*rx_offloads = info.rx_offload_capa &
		       (RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | RTE_ETH_RX_OFFLOAD_UDP_CKSUM |
			RTE_ETH_RX_OFFLOAD_TCP_CKSUM);
	conf.txmode.offloads = *tx_offloads;
	conf.rxmode.offloads = *rx_offloads;
	rc = rte_eth_dev_configure(eth_port, queues, queues, &conf);
	if (rc != 0) {
		log_error("port %s: rte_eth_dev_configure: %s", name, rte_strerror(-rc));
		return -1;
	}
	rc = rte_eth_dev_adjust_nb_rx_tx_desc(eth_port, &rxd, &txd);
	if (rc != 0) {
		log_error("port %s: descriptors: %s", name, rte_strerror(-rc));
		return -1;
	}
	for (uint16_t q = 0; q < queues; q++) {
		struct rte_eth_rxconf rxconf = info.default_rxconf;
		struct rte_eth_txconf txconf = info.default_txconf;

		rxconf.offloads = conf.rxmode.offloads;
		txconf.offloads = conf.txmode.offloads;
		rc = rte_eth_rx_queue_setup(eth_port, q, rxd, rte_eth_dev_socket_id(eth_port),
					    &rxconf, dp->pool);
		if (rc != 0) {
			log_error("port %s: rx queue %u: %s", name, q, rte_strerror(-rc));
			return -1;
		}
		rc = rte_eth_tx_queue_setup(eth_port, q, txd, rte_eth_dev_socket_id(eth_port),
					    &txconf);
		if (rc != 0) {
			log_error("port %s: tx queue %u: %s", name, q, rte_strerror(-rc));
			return -1;
		}
	}
	if (mtu != RTE_ETHER_MTU) {
		rc = rte_eth_dev_set_mtu(eth_port, (uint16_t)mtu);
		if (rc != 0)
			log_warn("port %s: set MTU %u: %s (keeping the device's)", name, mtu,
				 rte_strerror(-rc));
	}
	return 0;
}

static int
port_find(const char *ethdev_name, uint16_t *eth_port)
{
	return rte_eth_dev_get_port_by_name(ethdev_name, eth_port);
}

static void
link_check(uint16_t eth_port, const char *name)
{
	struct rte_eth_link link;

	/* Links come up within a few seconds; the data plane starts either way and says so. */
	for (int i = 0; i < 30; i++) {
		if (rte_eth_link_get_nowait(eth_port, &link) == 0 && link.link_status) {
			log_info("port %s: link up, %u Mbit/s %s", name, link.link_speed,
				 link.link_duplex ? "full-duplex" : "half-duplex");
			return;
		}
		usleep(100 * 1000);
	}
	log_warn("port %s: link down; starting anyway", name);
}

static int
port_start(uint16_t eth_port, const char *name)
{
	int rc = rte_eth_dev_start(eth_port);

	if (rc != 0) {
		log_error("port %s: rte_eth_dev_start: %s", name, rte_strerror(-rc));
		return -1;
	}
	/* Neighbour discovery needs solicited-node multicast; not every driver filters. */
	rc = rte_eth_allmulticast_enable(eth_port);
	if (rc != 0 && rc != -ENOTSUP)
		log_warn("port %s: allmulticast: %s", name, rte_strerror(-rc));
	return 0;
}

static int
port_setup_role(struct dataplane *dp, const struct config *config, enum config_port_role role)
{
	const struct config_port *cp = &config->ports[role];
	struct dp_port *port = &dp->ports[role];
	struct rte_eth_dev_info info;
	char ethdev[64];
	int rc;

	eal_device_ethdev_name(cp->device, ethdev, sizeof(ethdev));
	if (port_find(ethdev, &port->eth_port) != 0) {
		log_error("port %s: device %s (ethdev %s) was not created by EAL",
			  config_port_role_name(role), cp->device, ethdev);
		return -1;
	}
	port->present = true;
	port->role = role;
	port->mtu = cp->mtu;
	snprintf(port->name, sizeof(port->name), "%s(%s)", config_port_role_name(role), ethdev);
	if (cp->address_count > DP_MAX_PORT_ADDRESSES) {
		log_error("port %s: at most %d addresses", port->name, DP_MAX_PORT_ADDRESSES);
		return -1;
	}
	memcpy(port->addresses, cp->addresses, cp->address_count * sizeof(cp->addresses[0]));
	port->address_count = (unsigned int)cp->address_count;
	port->gateway = cp->gateway;
	port->gateway6 = cp->gateway6;

	rc = rte_eth_dev_info_get(port->eth_port, &info);
	if (rc != 0)
		return -1;
	/* net_tun carries bare IP packets */
	port->l3_only = strcmp(info.driver_name, "net_tun") == 0;
	port->host_facing = role == CONFIG_PORT_INNER &&
			    (port->l3_only || strcmp(info.driver_name, "net_tap") == 0);
	if (port->host_facing && (info.if_index == 0 ||
				  if_indextoname(info.if_index, port->kernel_ifname) == NULL)) {
		log_error("port %s: cannot find its kernel interface", port->name);
		return -1;
	}

	if (queue_setup(dp, port->eth_port, port->name, cp->mtu, &port->tx_offloads,
			&port->rx_offloads) < 0)
		return -1;
	if (cp->mac_set) {
		struct rte_ether_addr mac;

		memcpy(mac.addr_bytes, cp->mac, RTE_ETHER_ADDR_LEN);
		rc = rte_eth_dev_default_mac_addr_set(port->eth_port, &mac);
		if (rc != 0) {
			log_error("port %s: set MAC: %s", port->name, rte_strerror(-rc));
			return -1;
		}
	}
	rte_eth_macaddr_get(port->eth_port, &port->mac);
	if (port_start(port->eth_port, port->name) < 0)
		return -1;

	if (cp->kernel_tap[0] != '\0') {
		char tap[32], tapname[96];
		uint64_t tap_tx, tap_rx;

		eal_tap_ethdev_name(role, tap, sizeof(tap));
		if (port_find(tap, &port->tap_port) != 0) {
			log_error("port %s: kernel TAP %s was not created", port->name,
				  cp->kernel_tap);
			return -1;
		}
		snprintf(tapname, sizeof(tapname), "%s-tap(%s)", config_port_role_name(role),
			 cp->kernel_tap);
		if (queue_setup(dp, port->tap_port, tapname, cp->mtu, &tap_tx, &tap_rx) < 0)
			return -1;
		/* The kernel speaks with the port's MAC, so its frames need no rewriting. */
		rc = rte_eth_dev_default_mac_addr_set(port->tap_port, &port->mac);
		if (rc != 0) {
			log_error("port %s: TAP MAC: %s", port->name, rte_strerror(-rc));
			return -1;
		}
		if (port_start(port->tap_port, tapname) < 0)
			return -1;
		port->has_tap = true;
		snprintf(port->tap_ifname, sizeof(port->tap_ifname), "%s", cp->kernel_tap);
	}
	link_check(port->eth_port, port->name);
	return 0;
}

int
ports_setup(struct dataplane *dp, const struct config *config)
{
	for (int role = 0; role < CONFIG_PORT_ROLES; role++) {
		if (!config->ports[role].present)
			continue;
		if (port_setup_role(dp, config, (enum config_port_role)role) < 0)
			return -1;
	}
	return 0;
}

void
ports_close(struct dataplane *dp)
{
	for (int role = 0; role < CONFIG_PORT_ROLES; role++) {
		struct dp_port *port = &dp->ports[role];

		if (!port->present)
			continue;
		rte_eth_dev_stop(port->eth_port);
		rte_eth_dev_close(port->eth_port);
		if (port->has_tap) {
			rte_eth_dev_stop(port->tap_port);
			rte_eth_dev_close(port->tap_port);
		}
		port->present = false;
	}
}

bool
dp_port_owns(const struct dp_port *port, const struct netaddr *addr)
{
	if (port->host_facing)
		return false;
	for (unsigned int i = 0; i < port->address_count; i++)
		if (netaddr_equal(&port->addresses[i].addr, addr))
			return true;
	return false;
}

bool
dp_port_on_link(const struct dp_port *port, const struct netaddr *addr)
{
	/* fe80::/10 is on every IPv6 link */
	if (addr->family == AF_INET6 && addr->bytes[0] == 0xfe && (addr->bytes[1] & 0xc0) == 0x80)
		return true;
	for (unsigned int i = 0; i < port->address_count; i++)
		if (netprefix_contains(&port->addresses[i], addr))
			return true;
	return false;
}

const struct netaddr *
dp_port_address(const struct dp_port *port, int family)
{
	for (unsigned int i = 0; i < port->address_count; i++)
		if (port->addresses[i].addr.family == family)
			return &port->addresses[i].addr;
	return NULL;
}

int
dp_port_next_hop(const struct dp_port *port, const struct netaddr *dst, struct netaddr *nh)
{
	const struct netaddr *gw;

	if (port->host_facing || dp_port_on_link(port, dst)) {
		*nh = *dst;
		return 0;
	}
	gw = dst->family == AF_INET ? &port->gateway : &port->gateway6;
	if (gw->family == 0)
		return -1;
	*nh = *gw;
	return 0;
}
