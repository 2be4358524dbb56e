/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The NAT under libFuzzer: an input is a sequence of packets for one fresh instance (worker 0 of
 * 2, a small port range so that slices run full, a small table so that it fills), each record
 *
 *   control (1 byte) | length (2 bytes, big endian) | packet (length bytes, cut at the end)
 *
 * control bit 0: inbound; bit 1: IPv6; bit 2: peer id; bit 3: through the burst function
 * (consecutive such records of one direction, up to 8, form one burst); bits 4-7: seconds
 * that pass before. Every packet sits in a buffer of exactly its size, so ASan stops any read
 * or write past it. Checked for every packet: nothing changes unless the result is NAT_OK; a
 * packet whose checksums were right has right checksums after translation; an outbound packet
 * leaves from the egress address; a translated inbound packet was this worker's by
 * nat_owner_of_packet; the owner of any packet is a worker that exists. At the end the walk
 * agrees with the count.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "nat.h"
#include "nat_test_util.h"

enum {
	WORKERS = 2,
	RECORD_HEADER = 3,
	BURST_MAX = 8,
};

static struct nat_config config;
static struct netaddr egress4, egress6;

static bool
count_visit(const struct nat_session_info *s, void *ctx)
{
	unsigned int *count = ctx;

	(void)s;
	(*count)++;
	return true;
}

static void
check(bool ok)
{
	if (!ok)
		abort();
}

static int
family_of(uint8_t control)
{
	return control & 2 ? AF_INET6 : AF_INET;
}

static uint32_t
peer_of(uint8_t control)
{
	return (control >> 2) & 1;
}

/* A packet on its way through: its own buffer and what to check afterwards. */
struct packet {
	uint8_t control;
	const uint8_t *data;
	size_t len;
	uint8_t *pkt;
	bool sums_ok;
	unsigned int owner;
};

static void
packet_start(struct nat *n, struct packet *p, uint8_t control, const uint8_t *data, size_t len)
{
	p->control = control;
	p->data = data;
	p->len = len;
	p->pkt = malloc(len == 0 ? 1 : len);
	if (p->pkt == NULL)
		abort();
	memcpy(p->pkt, data, len);
	p->sums_ok = tp_checksums_ok(p->pkt, len);
	p->owner = nat_owner_of_packet(n, family_of(control), p->pkt, (uint32_t)len);
	check(p->owner < WORKERS);
}

static void
packet_check(struct packet *p, enum nat_result r, uint32_t peer_in)
{
	check((unsigned int)r < NAT_RESULT_COUNT);
	if (r != NAT_OK) {
		check(memcmp(p->pkt, p->data, p->len) == 0);
	} else {
		if (p->sums_ok)
			check(tp_checksums_ok(p->pkt, p->len));
		if (p->control & 1) {
			check(p->owner == 0);
			check(peer_in < 2);
		} else if (family_of(p->control) == AF_INET) {
			check(memcmp(p->pkt + 12, egress4.bytes, 4) == 0);
		} else {
			check(memcmp(p->pkt + 8, egress6.bytes, 16) == 0);
		}
	}
	free(p->pkt);
}

static void
one_packet(struct nat *n, uint8_t control, const uint8_t *data, size_t len, uint64_t now)
{
	uint32_t peer_in = 0xffffffff;
	struct packet p;
	enum nat_result r;

	packet_start(n, &p, control, data, len);
	if (control & 1)
		r = nat_inbound(n, family_of(control), p.pkt, (uint32_t)len, now, &peer_in);
	else
		r = nat_outbound(n, family_of(control), p.pkt, (uint32_t)len, peer_of(control),
				 now);
	if (r != NAT_OK)
		check(peer_in == 0xffffffff);
	packet_check(&p, r, peer_in);
}

static void
flush_burst(struct nat *n, struct packet *p, unsigned int *count, uint64_t now)
{
	struct nat_burst_packet b[BURST_MAX];
	unsigned int i, translated, ok = 0;

	if (*count == 0)
		return;
	for (i = 0; i < *count; i++)
		b[i] = (struct nat_burst_packet){p[i].pkt, (uint32_t)p[i].len,
						 family_of(p[i].control), peer_of(p[i].control),
						 NAT_RESULT_COUNT};
	if (p[0].control & 1)
		translated = nat_inbound_burst(n, b, *count, now);
	else
		translated = nat_outbound_burst(n, b, *count, now);
	for (i = 0; i < *count; i++) {
		ok += b[i].result == NAT_OK;
		packet_check(&p[i], b[i].result, b[i].peer_id);
	}
	check(ok == translated);
	*count = 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct packet burst[BURST_MAX];
	unsigned int records = 0, walked = 0, pending = 0;
	uint64_t now = T0;
	struct nat *n;

	if (config.workers == 0) {
		config = tp_config(0, WORKERS);
		config.port_min = 1024;
		config.port_max = 1087;
		config.sessions = 64;
		config.sessions_per_peer = 40;
		tp_addr(EGRESS4, &egress4);
		tp_addr(EGRESS6, &egress6);
	}
	n = nat_create(&config, NULL);
	if (n == NULL)
		abort();
	while (size >= RECORD_HEADER) {
		uint8_t control = data[0];
		size_t len = (size_t)data[1] << 8 | data[2];

		data += RECORD_HEADER;
		size -= RECORD_HEADER;
		if (len > size)
			len = size;
		/* a burst ends at a single packet, a change of direction or when full */
		if (pending > 0 && (!(control & 8) || ((control ^ burst[0].control) & 1) ||
				    pending == BURST_MAX))
			flush_burst(n, burst, &pending, now);
		now += (uint64_t)(control >> 4) * SECOND_NS;
		if (control & 8)
			packet_start(n, &burst[pending++], control, data, len);
		else
			one_packet(n, control, data, len, now);
		data += len;
		size -= len;
		if (++records % 4 == 0)
			nat_expire(n, now, 16);
	}
	flush_burst(n, burst, &pending, now);
	nat_walk(n, count_visit, &walked);
	check(walked == nat_session_count(n));
	check(walked <= nat_capacity(n));
	nat_destroy(n);
	return 0;
}
