/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The listen port carries three protocols (protocols.md, "demultiplexing one UDP port"): STUN,
 * disco and WireGuard. Transport data (type 4) stays on the worker; everything else goes up to
 * the control plane, handshakes on their own ring so its depth measures handshake load alone.
 */
#include <string.h>

#include <rte_ip.h>
#include <rte_udp.h>

#include "l3.h"
#include "wg_data.h"

static const uint8_t stun_magic[4] = {0x21, 0x12, 0xa4, 0x42};
static const uint8_t disco_magic[6] = {'T', 'S', 0xf0, 0x9f, 0x92, 0xac};

enum {
	STUN_HEADER_LEN = 20,
	DISCO_MIN_LEN = 62,
};

/*
 * The UDP checksum of a message the control plane will act on. Transport data skips this:
 * its AEAD tag authenticates every byte the checksum would cover that matters.
 */
static bool
udp_checksum_ok(const struct rte_mbuf *m)
{
	const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	uint64_t flag = m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK;

	if (flag == RTE_MBUF_F_RX_L4_CKSUM_GOOD)
		return true;
	if (flag == RTE_MBUF_F_RX_L4_CKSUM_BAD)
		return false;
	if (eth->ether_type == RTE_BE16(RTE_ETHER_TYPE_IPV4)) {
		const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(eth + 1);
		const struct rte_udp_hdr *udp =
			(const struct rte_udp_hdr *)((const uint8_t *)ip + rte_ipv4_hdr_len(ip));

		return udp->dgram_cksum == 0 || rte_ipv4_udptcp_cksum_verify(ip, udp) == 0;
	} else {
		const struct rte_ipv6_hdr *ip = (const struct rte_ipv6_hdr *)(eth + 1);

		return rte_ipv6_udptcp_cksum_verify(ip, ip + 1) == 0;
	}
}

static void
up(struct worker *w, const struct dp_port *port, struct rte_mbuf *m,
   const struct netendpoint *src, const struct netendpoint *dst, uint16_t payload_off,
   uint16_t payload_len, struct rte_ring *ring, enum dp_msg_kind kind, enum drop_reason if_full)
{
	struct dp_meta *meta = dp_meta(m);

	if (!udp_checksum_ok(m)) {
		worker_drop(w, m, DROP_bad_l4_checksum);
		return;
	}
	/* The control plane gets the bare UDP payload and the addresses in the metadata. */
	rte_pktmbuf_adj(m, payload_off);
	rte_pktmbuf_trim(m, (uint16_t)(rte_pktmbuf_pkt_len(m) - payload_len));
	meta->port_role = port->role;
	meta->src = *src;
	meta->dst = *dst;
	worker_to_control(w, ring, m, kind, if_full);
}

void
udp_listen_input(struct worker *w, const struct dp_port *port, struct rte_mbuf *m,
		 const struct netendpoint *src, const struct netendpoint *dst,
		 uint16_t payload_off, uint16_t payload_len)
{
	const uint8_t *p = rte_pktmbuf_mtod_offset(m, const uint8_t *, payload_off);

	if (likely(payload_len >= 4 && p[0] >= 1 && p[0] <= 4 && p[1] == 0 && p[2] == 0 &&
		   p[3] == 0)) {
		if (p[0] == 4) {
			wg_data_input(w, port, m, src, payload_off, payload_len);
			return;
		}
		worker_count(&w->counters, WC_wg_rx_handshake, 1);
		up(w, port, m, src, dst, payload_off, payload_len, w->dp->up_handshake,
		   DP_UP_HANDSHAKE, DROP_handshake_queue_full);
		return;
	}
	if (payload_len >= STUN_HEADER_LEN && (p[0] & 0xc0) == 0 &&
	    memcmp(p + 4, stun_magic, sizeof(stun_magic)) == 0) {
		worker_count(&w->counters, WC_stun_rx, 1);
		up(w, port, m, src, dst, payload_off, payload_len, w->dp->up_other, DP_UP_STUN,
		   DROP_control_queue_full);
		return;
	}
	if (payload_len >= DISCO_MIN_LEN && memcmp(p, disco_magic, sizeof(disco_magic)) == 0) {
		worker_count(&w->counters, WC_disco_rx, 1);
		up(w, port, m, src, dst, payload_off, payload_len, w->dp->up_other, DP_UP_DISCO,
		   DROP_control_queue_full);
		return;
	}
	worker_drop(w, m, DROP_wg_bad_type);
}
