/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A real data plane on net_null ports, for programs that drive workers' per-packet code from a
 * thread of their own: the data plane benchmarks (bench_dataplane, bench_exit, through bench_dp.h)
 * and the data plane fuzz target (tests/fuzz/dataplane). The one place such a data plane is set
 * up, so that what the benchmarks measure is what the fuzz target checks.
 *
 * dp_fixture_start builds what exitgated builds: a struct config from YAML text, EAL from that
 * config (eal_init_from_config: --no-pci, --no-telemetry, one --vdev per port), and
 * dataplane_create(); then, through the data plane's own control-side functions, one peer
 * (dp_peer_add) with its endpoint, its allowed IPs and the neighbours that every direction sends
 * to. Keypairs are the caller's (dp_keypair_add). Ports: public (the peer's side) and inner (a
 * LAN) always, egress with the exit path (masquerade, IPv4 and IPv6) when asked for. Nothing
 * leaves the process: net_null drops what is sent.
 *
 * EAL can be initialised only once per process, and dataplane_destroy closes the ports, so a
 * second data plane (other options, e.g. more workers) needs ports EAL made at the start and
 * the first never used: spare_devices asks for them, dp_fixture_replace uses them.
 *
 * Addressing (every port has fixed MACs, so frames can be written in advance):
 *   public  10.0.1.10/24 fd00:1::10/64   peer endpoint 10.0.1.2:51820 (resolved)
 *           gateway 10.0.1.1 fd00:1::1 (not resolved: what goes there waits for ARP/ND)
 *   inner   192.168.50.1/24 fd00:50::1/64   LAN host 192.168.50.2 fd00:50::2 (resolved)
 *   egress  10.0.2.10/24 fd00:2::10/64 (masquerade addresses), MTU egress_mtu
 *           gateway 10.0.2.1 fd00:2::1 (resolved)
 *   the peer's allowed IPs: 10.77.0.2/32, fd00:77::2/128; node.mtu 1420
 */
#ifndef EXITGATE_BENCH_DP_FIXTURE_H
#define EXITGATE_BENCH_DP_FIXTURE_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>

#include "config.h"
#include "dataplane.h"
#include "eal.h"
#include "worker.h"

enum {
	DP_FIXTURE_LISTEN_PORT = 41641,
	DP_FIXTURE_PEER_PORT = 51820,
	/* the egress MTU unless asked otherwise: below node.mtu, so that the fuzz target's large
	 * packets meet fragmentation and path-MTU errors on the way out */
	DP_FIXTURE_EXIT_MTU = 1280,
	DP_FIXTURE_DEVICES = 3, /* net_null vdevs per data plane: public, inner, egress */
};

extern const uint8_t dp_fixture_public_ip[4];  /* ports.public */
extern const uint8_t dp_fixture_egress_ip[4];  /* ports.egress: the masquerade address */
extern const uint8_t dp_fixture_peer_ip[4];    /* the peer's endpoint */
extern const uint8_t dp_fixture_tunnel_ip[4];  /* the peer's allowed IP */
extern const uint8_t dp_fixture_lan_ip[4];     /* a host behind ports.inner */
extern const struct rte_ether_addr dp_fixture_peer_mac;
extern const struct rte_ether_addr dp_fixture_lan_mac;
extern const struct rte_ether_addr dp_fixture_gateway_mac; /* the egress gateway */

/* Zero is the default of every number. */
struct dp_fixture_options {
	const char *name;           /* the node's interface name and the config's name */
	const char *lcores;         /* dataplane.lcores: the main lcore and the workers' */
	unsigned int workers;       /* dataplane.workers (default 1) */
	unsigned int eal_memory_mb;
	unsigned int first_device;  /* the ports are net_null<first_device> and the next two */
	unsigned int spare_devices; /* net_null vdevs EAL makes after those, for a replacement */
	bool exit;                  /* an egress port and exit.enabled */
	unsigned int egress_mtu;    /* default DP_FIXTURE_EXIT_MTU */
	unsigned int sessions;      /* exit.sessions and exit.sessions_per_peer (default 1024) */
	unsigned int udp_timeout_s; /* exit.timeouts.udp (default: the config's) */
	bool quiet;                 /* EAL logs nothing (--log-level=0), exitgate errors only */
};

struct dp_fixture {
	struct config *config;
	struct eal_args eal;
	bool eal_up;
	struct dataplane *dp;
	struct worker *w; /* the first worker */
	struct dp_peer *peer;
};

/* Everything above; 0, or -1 after logging why (then call dp_fixture_stop). */
int dp_fixture_start(struct dp_fixture *f, const struct dp_fixture_options *o,
		     const char *program);
/*
 * A new data plane and peer from o in place of the current ones (whose keypairs the caller has
 * removed; no worker may be running), on the EAL dp_fixture_start made: o->first_device names
 * spare devices of the first options. 0, or -1 after logging why (then call dp_fixture_stop).
 */
int dp_fixture_replace(struct dp_fixture *f, const struct dp_fixture_options *o);
/* Free the data plane and EAL (no worker may be running). */
void dp_fixture_stop(struct dp_fixture *f);

/* The worker's RX source of a role's port (not its kernel TAP). */
const struct rx_source *dp_fixture_source(const struct worker *w, enum config_port_role role);
/* Send what the worker's TX buffers hold (net_null frees it). */
void dp_fixture_tx_flush(struct worker *w);

#endif
