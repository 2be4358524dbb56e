/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdio.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <sodium.h>

#include "dp_fixture.h"
#include "log.h"
#include "neighbor.h"
#include "wg_data.h"

const uint8_t dp_fixture_public_ip[4] = {10, 0, 1, 10};
const uint8_t dp_fixture_egress_ip[4] = {10, 0, 2, 10};
const uint8_t dp_fixture_peer_ip[4] = {10, 0, 1, 2};
const uint8_t dp_fixture_tunnel_ip[4] = {10, 77, 0, 2};
const uint8_t dp_fixture_lan_ip[4] = {192, 168, 50, 2};
const struct rte_ether_addr dp_fixture_peer_mac = {{0x02, 0, 0, 0, 0, 0x02}};
const struct rte_ether_addr dp_fixture_lan_mac = {{0x02, 0, 0, 0, 0, 0x03}};
const struct rte_ether_addr dp_fixture_gateway_mac = {{0x02, 0, 0, 0, 0, 0x04}};

static const uint8_t tunnel_ip6[16] = {0xfd, 0, 0, 0x77, [15] = 2};
static const uint8_t lan_ip6[16] = {0xfd, 0, 0, 0x50, [15] = 2};
static const uint8_t egress_gateway_ip[4] = {10, 0, 2, 1};
static const uint8_t egress_gateway_ip6[16] = {0xfd, 0, 0, 2, [15] = 1};

/* The EAL arguments that make the spare devices: ", \"--vdev=net_nullN\"" each. */
static void
spare_devices_text(const struct dp_fixture_options *o, char *text, size_t size)
{
	size_t len = 0;

	text[0] = '\0';
	for (unsigned int i = 0; i < o->spare_devices && len < size; i++) {
		int n = snprintf(text + len, size - len, ", \"--vdev=net_null%u\"",
				 o->first_device + DP_FIXTURE_DEVICES + i);

		len += n > 0 ? (size_t)n : 0;
	}
}

/* The egress port and the exit section, or nothing without the exit path. */
static void
exit_text(const struct dp_fixture_options *o, char *text, size_t size)
{
	unsigned int sessions = o->sessions != 0 ? o->sessions : 1024;
	char timeouts[64] = "";

	text[0] = '\0';
	if (!o->exit)
		return;
	if (o->udp_timeout_s != 0)
		snprintf(timeouts, sizeof(timeouts), ", timeouts: {udp: %u}", o->udp_timeout_s);
	snprintf(text, size,
		 "  egress: {device: net_null%u, addresses: [10.0.2.10/24, \"fd00:2::10/64\"],\n"
		 "           gateway: 10.0.2.1, gateway6: \"fd00:2::1\", mtu: %u,\n"
		 "           mac: \"02:00:00:00:02:0a\"}\n"
		 "exit: {enabled: true, masquerade: true, ipv6: masquerade, sessions: %u,\n"
		 "       sessions_per_peer: %u%s}\n",
		 o->first_device + 2, o->egress_mtu != 0 ? o->egress_mtu : DP_FIXTURE_EXIT_MTU,
		 sessions, sessions, timeouts);
}

static struct config *
config_build(const struct dp_fixture_options *o)
{
	uint8_t key[KEY_LEN];
	char key_b64[64], text[4096], error[CONFIG_ERROR_MAX], spare[256], exit_section[512];
	struct config *config;

	spare_devices_text(o, spare, sizeof(spare));
	exit_text(o, exit_section, sizeof(exit_section));
	randombytes_buf(key, sizeof(key));
	sodium_bin2base64(key_b64, sizeof(key_b64), key, sizeof(key),
			  sodium_base64_VARIANT_ORIGINAL);
	sodium_memzero(key, sizeof(key));
	snprintf(text, sizeof(text),
		 "node: {private_key: \"%s\", listen_port: %d, interface: %s}\n"
		 "dataplane:\n"
		 "  workers: %u\n"
		 "  lcores: \"%s\"\n"
		 /* no telemetry socket: a benchmark or fuzzer may run beside a node */
		 "  eal: [\"--no-huge\", \"-m\", \"%u\", \"--no-shconf\", \"--no-telemetry\"%s%s]\n"
		 "ports:\n"
		 "  public: {device: net_null%u, addresses: [10.0.1.10/24, \"fd00:1::10/64\"],\n"
		 "           gateway: 10.0.1.1, gateway6: \"fd00:1::1\",\n"
		 "           mac: \"02:00:00:00:01:0a\"}\n"
		 "  inner: {device: net_null%u, addresses: [192.168.50.1/24, \"fd00:50::1/64\"],\n"
		 "          mac: \"02:00:00:00:50:01\"}\n"
		 "%s"
		 "log: {level: %s}\n",
		 key_b64, DP_FIXTURE_LISTEN_PORT, o->name, o->workers != 0 ? o->workers : 1,
		 o->lcores, o->eal_memory_mb, o->quiet ? ", \"--log-level=0\"" : "", spare,
		 o->first_device, o->first_device + 1, exit_section, o->quiet ? "error" : "warn");
	config = config_load_buffer(o->name, text, strlen(text), error, sizeof(error));
	sodium_memzero(key_b64, sizeof(key_b64));
	sodium_memzero(text, sizeof(text));
	if (config == NULL)
		log_error("%s: config: %s", o->name, error);
	return config;
}

static void
neighbor_add(struct dataplane *dp, enum config_port_role role, int family, const uint8_t *addr,
	     const struct rte_ether_addr *mac)
{
	struct netaddr a = {.family = (uint8_t)family};

	memcpy(a.bytes, addr, family == AF_INET ? 4 : 16);
	neighbor_learn(dp->neighbors, (uint8_t)role, &a, mac, true, dp_now_ns());
}

static int
peer_setup(struct dp_fixture *f, bool exit)
{
	struct dataplane *dp = f->dp;
	uint8_t public_key[32];
	struct netendpoint endpoint = {.addr = {.family = AF_INET}, .port = DP_FIXTURE_PEER_PORT};
	struct allowedips_entry allowed[2] = {
		{.prefix = {.addr = {.family = AF_INET}, .len = 32}},
		{.prefix = {.addr = {.family = AF_INET6}, .len = 128}},
	};

	randombytes_buf(public_key, sizeof(public_key));
	f->peer = dp_peer_add(dp, public_key);
	if (f->peer == NULL)
		return -1;
	memcpy(endpoint.addr.bytes, dp_fixture_peer_ip, 4);
	if (dp_peer_set_endpoint(dp, f->peer, &endpoint) != 0)
		return -1;
	memcpy(allowed[0].prefix.addr.bytes, dp_fixture_tunnel_ip, 4);
	memcpy(allowed[1].prefix.addr.bytes, tunnel_ip6, 16);
	allowed[0].value = allowed[1].value = f->peer;
	if (dp_allowedips_publish(dp, allowed, 2) != 0)
		return -1;
	neighbor_add(dp, CONFIG_PORT_PUBLIC, AF_INET, dp_fixture_peer_ip, &dp_fixture_peer_mac);
	neighbor_add(dp, CONFIG_PORT_INNER, AF_INET, dp_fixture_lan_ip, &dp_fixture_lan_mac);
	neighbor_add(dp, CONFIG_PORT_INNER, AF_INET6, lan_ip6, &dp_fixture_lan_mac);
	if (exit) {
		neighbor_add(dp, CONFIG_PORT_EGRESS, AF_INET, egress_gateway_ip,
			     &dp_fixture_gateway_mac);
		neighbor_add(dp, CONFIG_PORT_EGRESS, AF_INET6, egress_gateway_ip6,
			     &dp_fixture_gateway_mac);
	}
	return 0;
}

/* The data plane of f's config on the EAL that is up, and the peer. */
static int
dataplane_make(struct dp_fixture *f, const struct dp_fixture_options *o)
{
	f->dp = dataplane_create(f->config);
	if (f->dp == NULL)
		return -1;
	f->w = f->dp->workers[0];
	if (peer_setup(f, o->exit) != 0) {
		log_error("%s: publishing the peer failed", o->name);
		return -1;
	}
	return 0;
}

int
dp_fixture_start(struct dp_fixture *f, const struct dp_fixture_options *o, const char *program)
{
	memset(f, 0, sizeof(*f));
	f->config = config_build(o);
	if (f->config == NULL)
		return -1;
	log_set_level((enum log_level)f->config->log_level);
	if (eal_init_from_config(f->config, program, &f->eal) != 0)
		return -1;
	f->eal_up = true;
	return dataplane_make(f, o);
}

int
dp_fixture_replace(struct dp_fixture *f, const struct dp_fixture_options *o)
{
	dataplane_destroy(f->dp);
	f->dp = NULL;
	f->w = NULL;
	f->peer = NULL;
	config_free(f->config);
	f->config = config_build(o);
	if (f->config == NULL)
		return -1;
	return dataplane_make(f, o);
}

void
dp_fixture_stop(struct dp_fixture *f)
{
	dataplane_destroy(f->dp);
	if (f->eal_up)
		rte_eal_cleanup();
	eal_args_free(&f->eal);
	config_free(f->config);
	memset(f, 0, sizeof(*f));
}

const struct rx_source *
dp_fixture_source(const struct worker *w, enum config_port_role role)
{
	for (unsigned int i = 0; i < w->source_count; i++)
		if (w->sources[i].role == role && !w->sources[i].from_tap)
			return &w->sources[i];
	return NULL;
}

void
dp_fixture_tx_flush(struct worker *w)
{
	for (unsigned int i = 0; i < w->source_count; i++) {
		uint16_t p = w->sources[i].eth_port;

		rte_eth_tx_buffer_flush(p, w->queue, w->tx[p]);
	}
}
