/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>

#include <rte_cycles.h>
#include <rte_ip.h>
#include <rte_ip_frag.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_random.h>

#include "frag.h"

int
frag_worker_init(struct worker *w)
{
	uint64_t cycles = rte_get_tsc_hz() / 1000 * FRAG_TIMEOUT_MS;

	w->frag_table = rte_ip_frag_table_create(FRAG_TABLE_BUCKETS, 4, FRAG_TABLE_ENTRIES,
						 cycles, (int)rte_lcore_to_socket_id(w->lcore));
	w->frag_death_row = rte_zmalloc("frag_death_row", sizeof(*w->frag_death_row), 0);
	w->ipv6_frag_id = (uint32_t)rte_rand(); /* RFC 7739: not predictable across the node */
	return w->frag_table != NULL && w->frag_death_row != NULL ? 0 : -1;
}

void
frag_worker_fini(struct worker *w)
{
	if (w->frag_table != NULL)
		rte_ip_frag_table_destroy(w->frag_table);
	if (w->frag_death_row != NULL) {
		rte_ip_frag_free_death_row(w->frag_death_row, 0);
		rte_free(w->frag_death_row);
	}
	w->frag_table = NULL;
	w->frag_death_row = NULL;
}

void
frag_ipv4_split(struct worker *w, struct rte_mbuf *m, uint32_t mtu,
		void (*out)(struct worker *w, struct rte_mbuf *fragment, void *arg), void *arg)
{
	const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, const struct rte_ipv4_hdr *);
	uint32_t hlen = rte_ipv4_hdr_len(ip);
	uint32_t total = rte_be_to_cpu_16(ip->total_length);
	uint16_t frag = rte_be_to_cpu_16(ip->fragment_offset);
	/* payload per fragment: a multiple of 8 bytes */
	uint32_t step = ((mtu - hlen) / 8) * 8;
	uint32_t base = (uint32_t)(frag & RTE_IPV4_HDR_OFFSET_MASK) * 8;
	bool more = (frag & RTE_IPV4_HDR_MF_FLAG) != 0;

	for (uint32_t off = hlen; off < total; off += step) {
		uint32_t len = total - off < step ? total - off : step;
		struct rte_mbuf *f;
		struct rte_ipv4_hdr *fip = dp_packet_new(w->dp, hlen + len, &f);
		uint16_t fo;

		if (fip == NULL) {
			worker_count_drop(&w->counters, DROP_no_mbuf);
			break;
		}
		memcpy(fip, ip, hlen);
		memcpy((uint8_t *)fip + hlen, (const uint8_t *)ip + off, len);
		fo = (uint16_t)((base + off - hlen) / 8);
		if (off + len < total || more)
			fo |= RTE_IPV4_HDR_MF_FLAG;
		fip->fragment_offset = rte_cpu_to_be_16(fo);
		fip->total_length = rte_cpu_to_be_16((uint16_t)(hlen + len));
		fip->hdr_checksum = 0;
		fip->hdr_checksum = rte_ipv4_cksum(fip);
		out(w, f, arg);
	}
	rte_pktmbuf_free(m);
}

void
frag_ipv6_split(struct worker *w, struct rte_mbuf *m, uint32_t mtu,
		void (*out)(struct worker *w, struct rte_mbuf *fragment, void *arg), void *arg)
{
	const struct rte_ipv6_hdr *ip = rte_pktmbuf_mtod(m, const struct rte_ipv6_hdr *);
	const uint8_t *payload = (const uint8_t *)(ip + 1);
	uint32_t total = rte_be_to_cpu_16(ip->payload_len);
	uint32_t hlen = sizeof(*ip) + sizeof(struct rte_ipv6_fragment_ext);
	/* payload per fragment: a multiple of 8 bytes */
	uint32_t step = ((mtu - hlen) / 8) * 8;
	rte_be32_t id = rte_cpu_to_be_32(w->ipv6_frag_id++);

	if (total > rte_pktmbuf_pkt_len(m) - sizeof(*ip))
		total = 0; /* reassembly wrote the length: cannot happen; send nothing */
	for (uint32_t off = 0; off < total; off += step) {
		uint32_t len = total - off < step ? total - off : step;
		struct rte_ipv6_fragment_ext *fh;
		struct rte_ipv6_hdr *fip;
		struct rte_mbuf *f;

		fip = dp_packet_new(w->dp, hlen + len, &f);
		if (fip == NULL) {
			worker_count_drop(&w->counters, DROP_no_mbuf);
			break;
		}
		fh = (struct rte_ipv6_fragment_ext *)(fip + 1);
		*fip = *ip;
		fip->proto = IPPROTO_FRAGMENT;
		fip->payload_len = rte_cpu_to_be_16((uint16_t)(sizeof(*fh) + len));
		fh->next_header = ip->proto;
		fh->reserved = 0;
		fh->frag_data = rte_cpu_to_be_16(RTE_IPV6_SET_FRAG_DATA(
			off, off + len < total ? 1 : 0));
		fh->id = id;
		memcpy(fh + 1, payload + off, len);
		out(w, f, arg);
	}
	rte_pktmbuf_free(m);
}

void
frag_split(struct worker *w, struct rte_mbuf *m, uint32_t mtu,
	   void (*out)(struct worker *w, struct rte_mbuf *fragment, void *arg), void *arg)
{
	if ((*rte_pktmbuf_mtod(m, const uint8_t *) >> 4) == 4)
		frag_ipv4_split(w, m, mtu, out, arg);
	else
		frag_ipv6_split(w, m, mtu, out, arg);
}

bool
frag_is_fragment(const uint8_t *ip)
{
	if ((ip[0] >> 4) == 4)
		return rte_ipv4_frag_pkt_is_fragmented((const struct rte_ipv4_hdr *)ip);
	return ((const struct rte_ipv6_hdr *)ip)->proto == IPPROTO_FRAGMENT;
}

/* A reassembled (chained) datagram copied into one mbuf, or NULL (counted) when too big. */
static struct rte_mbuf *
linearize(struct worker *w, struct rte_mbuf *chain)
{
	uint32_t len = rte_pktmbuf_pkt_len(chain);
	struct rte_mbuf *m;
	char *data;

	if (len > FRAG_WHOLE_MAX) {
		worker_drop(w, chain, DROP_too_big);
		return NULL;
	}
	data = dp_packet_new(w->dp, len, &m);
	if (data == NULL) {
		worker_drop(w, chain, DROP_no_mbuf);
		return NULL;
	}
	rte_pktmbuf_read(chain, 0, len, data);
	*dp_meta(m) = *dp_meta(chain);
	rte_pktmbuf_free(chain);
	return m;
}

struct rte_mbuf *
frag_reassemble(struct worker *w, struct rte_mbuf *m)
{
	uint8_t version = *rte_pktmbuf_mtod(m, uint8_t *) >> 4;
	uint64_t tsc = rte_rdtsc();
	struct rte_mbuf *whole;

	m->l2_len = 0;
	if (version == 4) {
		struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);

		m->l3_len = (uint16_t)rte_ipv4_hdr_len(ip);
		whole = rte_ipv4_frag_reassemble_packet(w->frag_table, w->frag_death_row, m, tsc, ip);
	} else {
		struct rte_ipv6_hdr *ip = rte_pktmbuf_mtod(m, struct rte_ipv6_hdr *);
		struct rte_ipv6_fragment_ext *fh = rte_ipv6_frag_get_ipv6_fragment_header(ip);

		if (fh == NULL) {
			/* a fragment header behind other extension headers: not handled */
			worker_drop(w, m, DROP_fragment);
			return NULL;
		}
		m->l3_len = sizeof(*ip) + sizeof(*fh);
		whole = rte_ipv6_frag_reassemble_packet(w->frag_table, w->frag_death_row, m, tsc, ip,
							fh);
	}
	if (whole == NULL)
		return NULL;
	if (whole->nb_segs > 1 && (whole = linearize(w, whole)) == NULL)
		return NULL;
	if (version == 4) {
		/* the header was rewritten (length, offset): its checksum is made again here, not
		 * left to what the library version does */
		struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(whole, struct rte_ipv4_hdr *);

		ip->hdr_checksum = 0;
		ip->hdr_checksum = rte_ipv4_cksum(ip);
	}
	return whole;
}

void
frag_tick(struct worker *w)
{
	if (w->frag_death_row->cnt != 0)
		rte_ip_frag_free_death_row(w->frag_death_row, 3);
}
