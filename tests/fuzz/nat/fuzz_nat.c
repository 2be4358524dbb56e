/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The NAT under libFuzzer: an input is a sequence of packets for one fresh instance (worker 0 of
 * 2, a small port range so that slices run full, a small table so that it fills), each record
 *
 *   control (1 byte) | length (2 bytes, big endian) | packet (length bytes, cut at the end)
 *
 * control bit 0: inbound; bit 1: IPv6; bits 2-3: peer id; bits 4-7: seconds that pass before.
 * Every packet sits in a buffer of exactly its size, so ASan stops any read or write past it.
 * Checked for every packet: nothing changes unless the result is NAT_OK; a packet whose
 * checksums were right has right checksums after translation; an outbound packet leaves from
 * the egress address; a translated inbound packet was this worker's by nat_owner_of_packet;
 * the owner of any packet is a worker that exists. At the end the walk agrees with the count.
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

static void
one_packet(struct nat *n, uint8_t control, const uint8_t *data, size_t len, uint64_t now)
{
	int family = control & 2 ? AF_INET6 : AF_INET;
	uint32_t peer_in = 0xffffffff, peer_out = (control >> 2) & 3;
	uint8_t *pkt = malloc(len == 0 ? 1 : len);
	bool sums_ok;
	unsigned int owner;
	enum nat_result r;

	if (pkt == NULL)
		abort();
	memcpy(pkt, data, len);
	sums_ok = tp_checksums_ok(pkt, len);
	owner = nat_owner_of_packet(n, family, pkt, (uint32_t)len);
	check(owner < WORKERS);
	if (control & 1)
		r = nat_inbound(n, family, pkt, (uint32_t)len, now, &peer_in);
	else
		r = nat_outbound(n, family, pkt, (uint32_t)len, peer_out, now);
	check((unsigned int)r < NAT_RESULT_COUNT);
	if (r != NAT_OK) {
		check(memcmp(pkt, data, len) == 0);
		check(peer_in == 0xffffffff);
	} else {
		if (sums_ok)
			check(tp_checksums_ok(pkt, len));
		if (control & 1) {
			check(owner == 0);
			check(peer_in < 4);
		} else if (family == AF_INET) {
			check(memcmp(pkt + 12, egress4.bytes, 4) == 0);
		} else {
			check(memcmp(pkt + 8, egress6.bytes, 16) == 0);
		}
	}
	free(pkt);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nat *n;
	uint64_t now = T0;
	unsigned int records = 0, walked = 0;

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
		now += (uint64_t)(control >> 4) * SECOND_NS;
		one_packet(n, control, data, len, now);
		data += len;
		size -= len;
		if (++records % 4 == 0)
			nat_expire(n, now, 16);
	}
	nat_walk(n, count_visit, &walked);
	check(walked == nat_session_count(n));
	check(walked <= nat_capacity(n));
	nat_destroy(n);
	return 0;
}
