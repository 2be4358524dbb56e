/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A DERP test client on exitgate's client library: two clients (A and B) in one epoll loop, the
 * way exitgated drives them. Modes:
 *   pair  A and B exchange --count packets of --size bytes each way and check every byte and the
 *         source key; then ping/pong, PeerGone(not here) for an unknown key, and PeerGone
 *         (disconnected) to A when B leaves.
 *   soak  A and B exchange packets at --rate per second for --duration seconds (also sending
 *         each to --extra-dst when given); fails when either lost more than 10% or reconnected.
 * Prints one summary line; exit 0 = every check held.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <sodium.h>

#include "derp_client.h"
#include "log.h"

enum {
	SIDE_A,
	SIDE_B,
	SIDES,
	MAX_SIZE = 65536,
	PENDING_LIMIT = 128 << 10,
};

struct side {
	struct derp_client *client;
	struct derp_client_epoll reg;
	uint64_t received;
	uint64_t bad;
	uint64_t sent;
	uint32_t next_seq;
	bool got_pong;
	bool got_not_here;
	bool got_disconnected_peer;
	uint8_t pong[DERP_PING_LEN];
};

static struct side sides[SIDES];
static uint8_t unknown_key[DERP_KEY_LEN];
static size_t packet_size = 100;

static void
fill_packet(uint8_t *p, size_t len, int from, uint32_t seq)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(seq * 31 + i * 7 + (size_t)from);
	if (len >= 5) {
		p[0] = (uint8_t)from;
		memcpy(p + 1, &seq, 4);
	}
}

static void
on_packet(void *ctx, const uint8_t src[DERP_KEY_LEN], const uint8_t *packet, size_t len)
{
	struct side *me = ctx;
	int other = me == &sides[SIDE_A] ? SIDE_B : SIDE_A;
	uint8_t want[MAX_SIZE];
	uint32_t seq = 0;

	if (len != packet_size || len < 5 ||
	    memcmp(src, derp_client_public_key(sides[other].client), DERP_KEY_LEN) != 0) {
		me->bad++;
		return;
	}
	memcpy(&seq, packet + 1, 4);
	fill_packet(want, len, other, seq);
	if (memcmp(want, packet, len) != 0) {
		me->bad++;
		return;
	}
	me->received++;
}

static void
on_event(void *ctx, const struct derp_client_event *ev)
{
	struct side *me = ctx;
	int other = me == &sides[SIDE_A] ? SIDE_B : SIDE_A;

	switch (ev->type) {
	case DERP_CLIENT_EV_PONG:
		me->got_pong = true;
		memcpy(me->pong, ev->ping, DERP_PING_LEN);
		break;
	case DERP_CLIENT_EV_PEER_GONE:
		if (ev->reason == DERP_PEER_GONE_NOT_HERE &&
		    memcmp(ev->key, unknown_key, DERP_KEY_LEN) == 0)
			me->got_not_here = true;
		if (ev->reason == DERP_PEER_GONE_DISCONNECTED && sides[other].client != NULL &&
		    memcmp(ev->key, derp_client_public_key(sides[other].client), DERP_KEY_LEN) == 0)
			me->got_disconnected_peer = true;
		break;
	default:
		break;
	}
}

/* One turn of the loop: sync registrations, wait for the earliest deadline, dispatch. */
static int
turn(int epfd, int max_wait_ms)
{
	struct epoll_event events[8];
	uint64_t now = derp_client_now_ms(), deadline = UINT64_MAX;
	int timeout, n;

	for (int i = 0; i < SIDES; i++) {
		if (sides[i].client == NULL)
			continue;
		if (derp_client_epoll_sync(sides[i].client, epfd, &sides[i].reg, (uint64_t)i) < 0)
			return -1;
		if (derp_client_next_deadline(sides[i].client) < deadline)
			deadline = derp_client_next_deadline(sides[i].client);
	}
	timeout = deadline <= now ? 0 : deadline - now > (uint64_t)max_wait_ms
						 ? max_wait_ms
						 : (int)(deadline - now);
	n = epoll_wait(epfd, events, 8, timeout);
	if (n < 0 && errno != EINTR)
		return -1;
	now = derp_client_now_ms();
	for (int i = 0; i < n; i++) {
		struct side *s = &sides[events[i].data.u64];

		if (s->client != NULL)
			derp_client_dispatch(s->client, events[i].events, now);
	}
	for (int i = 0; i < SIDES; i++) {
		/* Timers (deadlines) are dispatched with no events. */
		if (sides[i].client != NULL && derp_client_next_deadline(sides[i].client) <= now)
			derp_client_dispatch(sides[i].client, 0, now);
	}
	return 0;
}

static bool
both_connected(void)
{
	return derp_client_state(sides[SIDE_A].client) == DERP_CLIENT_CONNECTED &&
	       derp_client_state(sides[SIDE_B].client) == DERP_CLIENT_CONNECTED;
}

static int
wait_until(int epfd, bool (*cond)(void), uint64_t limit_ms)
{
	uint64_t end = derp_client_now_ms() + limit_ms;

	while (!cond()) {
		if (derp_client_now_ms() >= end || turn(epfd, 50) < 0)
			return -1;
	}
	return 0;
}

static uint64_t want_count;

static bool
all_received(void)
{
	return sides[SIDE_A].received >= want_count && sides[SIDE_B].received >= want_count;
}

static bool
pong_and_not_here(void)
{
	return sides[SIDE_A].got_pong && sides[SIDE_A].got_not_here;
}

static bool
peer_left(void)
{
	return sides[SIDE_A].got_disconnected_peer;
}

static void
send_one(int from, uint64_t now)
{
	struct side *s = &sides[from];
	int to = from == SIDE_A ? SIDE_B : SIDE_A;
	uint8_t pkt[MAX_SIZE];

	fill_packet(pkt, packet_size, from, s->next_seq);
	if (derp_client_send(s->client, derp_client_public_key(sides[to].client), pkt,
			     packet_size, now) == 0) {
		s->next_seq++;
		s->sent++;
	}
}

static int
run_pair(int epfd, uint64_t count, uint64_t timeout_ms)
{
	uint8_t ping[DERP_PING_LEN] = {'e', 'x', 'i', 't', 'g', 'a', 't', 'e'}, junk[64] = {0};
	uint64_t end = derp_client_now_ms() + timeout_ms;

	want_count = count;
	while (!all_received()) {
		uint64_t now = derp_client_now_ms();

		if (now >= end) {
			printf("pair: timeout: A received %llu, B received %llu of %llu\n",
			       (unsigned long long)sides[SIDE_A].received,
			       (unsigned long long)sides[SIDE_B].received,
			       (unsigned long long)count);
			return -1;
		}
		for (int side = 0; side < SIDES; side++) {
			/* Stay under the client's queue so nothing is dropped locally. */
			while (sides[side].sent < count &&
			       derp_client_pending(sides[side].client) < PENDING_LIMIT)
				send_one(side, now);
		}
		if (turn(epfd, 50) < 0)
			return -1;
	}
	if (sides[SIDE_A].bad + sides[SIDE_B].bad != 0) {
		printf("pair: %llu malformed packets\n",
		       (unsigned long long)(sides[SIDE_A].bad + sides[SIDE_B].bad));
		return -1;
	}
	randombytes_buf(unknown_key, sizeof(unknown_key));
	if (derp_client_ping(sides[SIDE_A].client, ping) < 0 ||
	    derp_client_send(sides[SIDE_A].client, unknown_key, junk, sizeof(junk),
			     derp_client_now_ms()) < 0 ||
	    wait_until(epfd, pong_and_not_here, 5000) < 0 ||
	    memcmp(sides[SIDE_A].pong, ping, DERP_PING_LEN) != 0) {
		printf("pair: no pong or no PeerGone(not here)\n");
		return -1;
	}
	derp_client_stop(sides[SIDE_B].client);
	if (wait_until(epfd, peer_left, 5000) < 0) {
		printf("pair: no PeerGone(disconnected) after B left\n");
		return -1;
	}
	printf("pair ok: count=%llu size=%zu a_received=%llu b_received=%llu pong=1 "
	       "peer_gone_not_here=1 peer_gone_disconnected=1\n",
	       (unsigned long long)count, packet_size,
	       (unsigned long long)sides[SIDE_A].received,
	       (unsigned long long)sides[SIDE_B].received);
	return 0;
}

static int
run_soak(int epfd, uint64_t duration_ms, uint64_t rate, const uint8_t *extra_dst)
{
	uint64_t start = derp_client_now_ms(), end = start + duration_ms, due = 0;
	const struct derp_client_stats *sa = derp_client_stats(sides[SIDE_A].client);
	const struct derp_client_stats *sb = derp_client_stats(sides[SIDE_B].client);
	uint8_t pkt[MAX_SIZE];
	uint64_t extra = 0;

	for (;;) {
		uint64_t now = derp_client_now_ms();

		if (now >= end)
			break;
		/* Packets due so far at the given rate, each way. */
		while (due < (now - start) * rate / 1000) {
			if (both_connected()) {
				send_one(SIDE_A, now);
				send_one(SIDE_B, now);
				if (extra_dst != NULL) {
					fill_packet(pkt, packet_size, SIDE_A, 0);
					if (derp_client_send(sides[SIDE_A].client, extra_dst, pkt,
							     packet_size, now) == 0)
						extra++;
				}
			}
			due++;
		}
		if (turn(epfd, 10) < 0)
			return -1;
	}
	/* Let the last packets arrive. */
	want_count = sides[SIDE_B].sent;
	{
		uint64_t want_b = sides[SIDE_A].sent, drain_end = derp_client_now_ms() + 2000;

		while ((sides[SIDE_A].received < want_count || sides[SIDE_B].received < want_b) &&
		       derp_client_now_ms() < drain_end)
			turn(epfd, 20);
	}
	printf("soak: a_sent=%llu b_sent=%llu a_received=%llu b_received=%llu extra_sent=%llu "
	       "bad=%llu reconnects=%llu\n",
	       (unsigned long long)sides[SIDE_A].sent, (unsigned long long)sides[SIDE_B].sent,
	       (unsigned long long)sides[SIDE_A].received,
	       (unsigned long long)sides[SIDE_B].received, (unsigned long long)extra,
	       (unsigned long long)(sides[SIDE_A].bad + sides[SIDE_B].bad),
	       (unsigned long long)(sa->disconnects + sb->disconnects));
	if (sides[SIDE_A].sent == 0 || sides[SIDE_B].sent == 0 ||
	    sides[SIDE_A].received * 10 < sides[SIDE_B].sent * 9 ||
	    sides[SIDE_B].received * 10 < sides[SIDE_A].sent * 9 ||
	    sides[SIDE_A].bad + sides[SIDE_B].bad != 0 || sa->disconnects + sb->disconnects != 0)
		return -1;
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option options[] = {
		{"server", required_argument, NULL, 's'},
		{"host", required_argument, NULL, 'H'},
		{"pin", required_argument, NULL, 'p'},
		{"mode", required_argument, NULL, 'm'},
		{"count", required_argument, NULL, 'c'},
		{"size", required_argument, NULL, 'z'},
		{"duration", required_argument, NULL, 'd'},
		{"rate", required_argument, NULL, 'r'},
		{"extra-dst", required_argument, NULL, 'x'},
		{"timeout", required_argument, NULL, 't'},
		{NULL, 0, NULL, 0},
	};
	const char *server = NULL, *host = "derp.test", *pin = "", *mode = "pair";
	uint64_t count = 1000, duration_ms = 5000, rate = 100, timeout_ms = 30000;
	uint8_t extra_dst[DERP_KEY_LEN];
	bool have_extra = false;
	char ip[64] = "";
	uint16_t port = 0;
	int opt, epfd, rc;

	while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (opt) {
		case 's':
			server = optarg;
			break;
		case 'H':
			host = optarg;
			break;
		case 'p':
			pin = optarg;
			break;
		case 'm':
			mode = optarg;
			break;
		case 'c':
			count = strtoull(optarg, NULL, 10);
			break;
		case 'z':
			packet_size = strtoul(optarg, NULL, 10);
			break;
		case 'd':
			duration_ms = strtoull(optarg, NULL, 10) * 1000;
			break;
		case 'r':
			rate = strtoull(optarg, NULL, 10);
			break;
		case 'x':
			if (sodium_hex2bin(extra_dst, sizeof(extra_dst), optarg, strlen(optarg), NULL,
					   NULL, NULL) != 0)
				return 2;
			have_extra = true;
			break;
		case 't':
			timeout_ms = strtoull(optarg, NULL, 10) * 1000;
			break;
		default:
			return 2;
		}
	}
	if (server == NULL || packet_size < 5 || packet_size > MAX_SIZE ||
	    sscanf(server, "%63[^:]:%hu", ip, &port) != 2) {
		fprintf(stderr, "usage: derp-testclient --server IPV4:PORT [--host NAME] [--pin PIN] "
				"[--mode pair|soak] ...\n");
		return 2;
	}
	log_set_program("derp-testclient");
	if (sodium_init() < 0)
		return 1;
	epfd = epoll_create1(EPOLL_CLOEXEC);
	for (int i = 0; i < SIDES; i++) {
		struct derp_client_config cfg = {
			.host_name = host, .cert_name = pin, .ipv4 = ip, .port = port,
			.on_packet = on_packet, .on_event = on_event, .ctx = &sides[i],
			.connect_timeout_ms = 5000, .backoff_min_ms = 100, .backoff_max_ms = 1000,
		};

		randombytes_buf(cfg.private_key, sizeof(cfg.private_key));
		sides[i].client = derp_client_new(&cfg);
		sodium_memzero(cfg.private_key, sizeof(cfg.private_key));
		if (sides[i].client == NULL)
			return 1;
		derp_client_start(sides[i].client, derp_client_now_ms());
	}
	if (wait_until(epfd, both_connected, timeout_ms) < 0) {
		printf("%s: clients did not connect (A %s, B %s)\n", mode,
		       derp_client_state_name(derp_client_state(sides[SIDE_A].client)),
		       derp_client_state_name(derp_client_state(sides[SIDE_B].client)));
		rc = -1;
	} else if (strcmp(mode, "pair") == 0) {
		rc = run_pair(epfd, count, timeout_ms);
	} else {
		rc = run_soak(epfd, duration_ms, rate, have_extra ? extra_dst : NULL);
	}
	for (int i = 0; i < SIDES; i++)
		derp_client_free(sides[i].client);
	close(epfd);
	return rc == 0 ? 0 : 1;
}
