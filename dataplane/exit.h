/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The exit path: peers' traffic to the internet and its return.
 *
 * Roles decide where things go, not one routing table: WireGuard messages always leave by the
 * public port (udp_out.c); exit traffic leaves by the egress port (through its own gateway, the
 * NAT gateway) or, without an egress port, by the public port. The exit port's address is the
 * masquerade address.
 *
 * Outbound (a decrypted packet for no peer and no inner subnet): TTL (time exceeded back
 * through the tunnel), MSS clamping of SYNs to the tunnel MTU, the exit link's MTU (DF: ICMP
 * "fragmentation needed" back through the tunnel; no DF: fragments), then NAT on this worker's
 * instance (nat.h) and out of the exit port.
 * Return (a packet for the exit address): fragments are reassembled; the NAT instance that owns
 * its port translates it (another worker's packet crosses over that worker's nat_ring); TTL and
 * the tunnel MTU are checked against the packet as it arrived (so errors never reveal inner
 * addresses), SYN-ACKs are clamped, and it is encrypted to the session's peer. What no session
 * claims is the kernel's (the TAP): the node's own sockets may share the exit address.
 * IPv6 is masqueraded (NAT66) or routed, per exit.ipv6.
 *
 * In bursts, in stages, as the worker holds packets (l3fwd's processx4 steps, VPP's nodes): the
 * burst is classified and decrypted (wg_data.c); each decrypted packet for the internet gets
 * the exit checks above and, when this worker owns its flow, joins the outbound NAT stage;
 * the stage's sessions are looked up for all its packets at once (nat_outbound_burst, with
 * prefetching), then each goes to the output stage (fragmented if it must, out of the exit
 * port). Return traffic likewise: checked, into the inbound NAT stage (nat_inbound_burst), then
 * checked against the tunnel and into the encrypt burst. A stage runs when full and at the end
 * of every burst (exit_flush, from wg_data_flush between decryption and encryption). What
 * leaves the common case steps out to its own path without holding the rest up: fragments (to
 * reassembly, rejoining when whole), an error to send (TTL, MTU), a flow another worker owns
 * (its nat_ring), a packet no session claims (the kernel).
 */
#ifndef EXITGATE_DATAPLANE_EXIT_H
#define EXITGATE_DATAPLANE_EXIT_H

#include <stdbool.h>

#include <rte_mbuf.h>

#include "worker.h"

struct dp_peer;

int exit_worker_init(struct worker *w);
void exit_worker_fini(struct worker *w);

/* A decrypted packet (data at its IP header) from peer, for the internet; consumed (checked,
 * then sent, staged until exit_flush, handed to its owner or dropped). */
void exit_outbound(struct worker *w, struct dp_peer *peer, struct rte_mbuf *m);
/* A frame for the exit port's own address: true when the exit path took it (translated,
 * handed to the owning worker, or dropped), false when it is the kernel's. */
bool exit_inbound(struct worker *w, const struct dp_port *port, struct rte_mbuf *m);
/* A frame for a routed (not masqueraded) inner address arriving on the exit port: to its peer. */
void exit_inbound_routed(struct worker *w, struct rte_mbuf *m);
/* Run the NAT stages on what they hold (the end of a burst: wg_data_flush calls it between
 * decryption and encryption). */
void exit_flush(struct worker *w);
/* Return traffic other workers handed over (through the stages, flushed), session expiry,
 * reassembly garbage; per iteration. Returns how many packets it took from the ring. */
unsigned int exit_poll(struct worker *w);

#endif
