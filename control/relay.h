/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The relay (DERP) in exitgated's control plane: one DERP client per region it uses, on the
 * control loop, logged in with the node's WireGuard key (the DERP key is the WireGuard public
 * key, as in Tailscale, so peers are addressed by their WireGuard public keys).
 *
 * Regions: the home region is always connected and announced with NotePreferred. At start and
 * every RELAY_PROBE_INTERVAL_MS the other regions of the DERP map are connected too, to measure
 * their latency; a non-home region unused for RELAY_IDLE_CLOSE_MS is closed. Every connection
 * sends a DERP Ping every RELAY_PING_INTERVAL_MS: the round trips are the latency (relay_home.h
 * chooses the home with hysteresis; derp.home_region forces it), and two pings in a row
 * unanswered for RELAY_PING_TIMEOUT_MS each (the second sent as the first times out) mark the
 * connection dead within 10-20 s, long before two missed server keepalives (130 s) would. A
 * home lost for RELAY_HOME_GRACE_MS stops counting: the other regions are probed and the home
 * moves (a relay restart within the grace period does not move it). Reconnects (jittered
 * exponential back-off, or the delay a Restarting frame announced) are the DERP client's.
 *
 * Host names: the loop never blocks on DNS, so a DERP node needs ipv4/ipv6 literals in the map
 * (or a host_name that is one); a node given only by name is left out, with a warning.
 *
 * Sending: WireGuard messages for relayed peers (type 4 from the workers via DP_UP_RELAY,
 * handshakes and keepalives from the device via wg_node_flush) go as SendPacket through the home
 * region, or through the region a peer was last heard on when that is another one (so two nodes
 * with different homes still reach each other while one of them probes the other's home).
 *
 * Receiving: RecvPacket goes to wg_node_relay_input: handshakes to the device with a relay
 * source; transport data (type 4) to a worker (DP_DOWN_WG_RECEIVED), which decrypts it as if it
 * had arrived by UDP, without a source endpoint.
 *
 * Why the workers decrypt relayed data and not the control plane: the control thread is the one
 * serial stage of the relay path (TLS both ways, DERP framing, a copy per packet), and the
 * plaintext must reach the inner port through a worker anyway, so decrypting in the control
 * thread saves no hand-off and only moves the AEAD onto the thread that cannot scale.
 * Measured in the relay lab (tests/lab/derp/relay_e2e.sh topology, iperf3 a -> b, 10 s runs,
 * CPU time of node b's control thread per relayed data packet it received, 2-vCPU machine
 * shared with other jobs), with a throwaway variant that decrypted in the control thread
 * (wg_device_receive_transport, then the plaintext to a worker for the inner port):
 *   workers decrypt:        12.2 us/packet (6 runs, aggregate), 12.4 us (9 runs, median)
 *   control plane decrypts: 12.8 us/packet (6 runs, aggregate), 14.1 us (9 runs, median)
 * i.e. +0.6 to +1.7 us, the cost of opening a 1420-byte message (bench_crypto: 1.41 us with
 * ipsec-mb's direct API; 1.22 us in a worker's burst of 32). Throughput did not tell them apart
 * (126-184 vs 69-182 Mbit/s): the control thread was about 19 % busy, the two shared cores
 * (two nodes' workers, the derper, iperf3, kernel TCP) were the limit.
 *
 * Concurrency: main lcore only, like every control-plane module.
 */
#ifndef EXITGATE_CONTROL_RELAY_H
#define EXITGATE_CONTROL_RELAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_mbuf.h>

#include "config.h"
#include "derp_client.h"
#include "node.h"
#include "strbuf.h"
#include "wg_node.h"

enum {
	RELAY_PING_INTERVAL_MS = 10 * 1000,
	RELAY_PING_TIMEOUT_MS = 5 * 1000,
	RELAY_PING_MISSES_DEAD = 2,
	RELAY_IDLE_CLOSE_MS = 60 * 1000,
	RELAY_PROBE_INTERVAL_MS = 4 * 60 * 1000, /* within the 5-minute latency window */
	RELAY_NODE_ROTATE_FAILURES = 3,          /* failed connects before the region's next node */
	RELAY_ROUTE_IDLE_MS = 60 * 1000,         /* a peer heard on a non-home region */
	RELAY_HOME_GRACE_MS = 15 * 1000,         /* a lost home keeps its rank this long */
	RELAY_PROBE_RETRY_MS = 30 * 1000,        /* probes while the home is lost, at most */
};

struct relay;

/* The relay for node->config's DERP map (an empty map gives an idle relay). NULL on error. */
struct relay *relay_create(struct node *node);
void relay_destroy(struct relay *relay);

/* A reloaded config: a changed DERP map or private key reconnects every region. 0 or -1. */
int relay_apply_config(struct relay *relay, const struct config *config);
/* A DERP map from the tailnet's control server: every region reconnects. 0 or -1. */
int relay_set_derp_map(struct relay *relay, const struct config_derp *derp);
/* A peer's home region as control names it (0: forget): its packets go through that region
 * (connected on demand), since a Tailscale client is reachable on its home region only. */
void relay_set_peer_region(struct relay *relay, const uint8_t key[KEY_LEN], uint32_t region);

/* The node's private key changed (UAPI): log in again with the new one. */
void relay_set_private_key(struct relay *relay, const uint8_t private_key[KEY_LEN]);

/* Send a WireGuard message to a peer; 0, or -1 when dropped (counted). */
int relay_send(struct relay *relay, const uint8_t peer_key[KEY_LEN], const uint8_t *msg,
	       size_t len);
/* DP_UP_RELAY: a worker's encrypted message for dp_meta(m)->peer_id; m is freed. */
void relay_send_upcall(struct relay *relay, struct rte_mbuf *m);

/* Disco packets from the relay (told apart from WireGuard by the disco magic): fn returns true
 * when it took the packet. Path selection registers itself here, through the node. */
typedef bool (*relay_disco_fn)(void *ctx, const uint8_t src[KEY_LEN], const uint8_t *packet,
			       size_t len);
void relay_set_disco_handler(struct relay *relay, relay_disco_fn fn, void *ctx);
/* The home region (before one is chosen, the map's first; 0: no DERP map) and whether its
 * connection is up. */
uint32_t relay_home_region(const struct relay *relay, bool *connected);

/* The region a peer's messages go through (0: no relay connection to use). */
uint32_t relay_region_of_peer(struct relay *relay, const uint8_t peer_key[KEY_LEN]);

/* `exitgatectl status` / `stats`: a JSON member ",\"relay\":{...}" with json, else text. */
void relay_status(struct relay *relay, struct strbuf *out, bool json);
void relay_stats(struct relay *relay, struct strbuf *out, bool json);

/* Figures of one region for reports (metrics), asked through relay_region_walk. */
struct relay_region_figures {
	uint32_t id;
	const char *code;
	const char *state; /* as status prints it: unusable, closed, or the client's state */
	bool connected;
	bool home;
	bool latency_known;
	uint32_t latency_us;            /* the best round trip of the window, when known */
	struct derp_client_stats stats; /* every connection of the region, closed ones included */
	uint64_t ping_timeouts;
	uint64_t dead_restarts;
	uint64_t server_switches;
	uint64_t rx_dropped[WG_NODE_RELAY_VERDICTS]; /* received and refused, by verdict */
};

/* Called for each region in map order; a non-zero return stops the walk and is returned. */
typedef int (*relay_region_fn)(const struct relay_region_figures *region, void *arg);
int relay_region_walk(struct relay *relay, relay_region_fn fn, void *arg);
/* Home region changes since start. */
uint64_t relay_home_changes(const struct relay *relay);

#endif
