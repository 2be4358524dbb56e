/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A non-blocking DERP client for one relay node, driven by the control plane's epoll loop.
 * It never blocks and never sleeps: TCP connect, the TLS handshake (OpenSSL 3), the HTTP
 * upgrade and the login all advance from derp_client_dispatch() as the socket becomes ready.
 *
 * The loop's contract, once per iteration:
 *   1. derp_client_epoll_sync(c, epfd, &reg, tag) keeps the registration of derp_client_fd()
 *      with the events of derp_client_events() (the fd changes across reconnects);
 *   2. the epoll_wait timeout is derp_client_next_deadline() - now (UINT64_MAX: none);
 *   3. derp_client_dispatch(c, events, now) with the ready events (0 on a timeout).
 * derp_client_send() may be called at any time (it queues; the next dispatch writes).
 * Callbacks run inside dispatch; they may call derp_client_send() but not derp_client_free().
 *
 * Names: no host-name resolution happens here. The node's ipv4/ipv6 fields of the DERP map
 * must be address literals; a node given only by name needs its addresses resolved outside the
 * loop (a resolver thread or configuration) before a client is created. host_name is used for
 * SNI, the Host header and certificate verification only.
 *
 * Times are milliseconds on CLOCK_MONOTONIC (derp_client_now_ms()).
 */
#ifndef EXITGATE_DERP_CLIENT_H
#define EXITGATE_DERP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "derp_proto.h"

enum {
	DERP_CLIENT_CONNECT_TIMEOUT_MS = 10000,
	DERP_CLIENT_BACKOFF_MIN_MS = 250,
	DERP_CLIENT_BACKOFF_MAX_MS = 30000,
	/* Dead after two missed keepalives (the server sends one every 60-65 s). */
	DERP_CLIENT_KEEPALIVE_MS = (DERP_KEEPALIVE_INTERVAL + DERP_KEEPALIVE_JITTER) * 1000,
	DERP_CLIENT_OUT_BUFFER = 256 << 10,
};

enum derp_client_state {
	DERP_CLIENT_IDLE,       /* not started, or stopped */
	DERP_CLIENT_BACKOFF,    /* waiting to reconnect */
	DERP_CLIENT_CONNECTING, /* TCP connect in progress */
	DERP_CLIENT_TLS,        /* TLS handshake */
	DERP_CLIENT_UPGRADE,    /* HTTP request sent, waiting for 101 */
	DERP_CLIENT_LOGIN,      /* ServerKey / ClientInfo / ServerInfo */
	DERP_CLIENT_CONNECTED,
};

enum derp_client_event_type {
	DERP_CLIENT_EV_CONNECTED,
	DERP_CLIENT_EV_DISCONNECTED, /* detail: reason text */
	DERP_CLIENT_EV_PEER_GONE,    /* key, reason */
	DERP_CLIENT_EV_PEER_PRESENT, /* key */
	DERP_CLIENT_EV_PONG,         /* ping data */
	DERP_CLIENT_EV_HEALTH,       /* detail: text, "" = healthy */
	DERP_CLIENT_EV_RESTARTING,   /* reconnect_in_ms, try_for_ms */
};

struct derp_client_event {
	enum derp_client_event_type type;
	const uint8_t *key;
	enum derp_peer_gone_reason reason;
	uint8_t ping[DERP_PING_LEN];
	const char *detail;
	uint32_t reconnect_in_ms;
	uint32_t try_for_ms;
};

typedef void (*derp_client_packet_fn)(void *ctx, const uint8_t src[DERP_KEY_LEN],
				      const uint8_t *packet, size_t len);
typedef void (*derp_client_event_fn)(void *ctx, const struct derp_client_event *ev);

struct derp_client_config {
	const char *host_name; /* SNI, Host header, certificate name */
	const char *cert_name; /* "" / NULL: system CAs; "sha256-raw:<hex>": pin */
	const char *ipv4;      /* address literal, "" or "none" = not used */
	const char *ipv6;
	uint16_t port;         /* 0 = 443 */
	const char *ca_file;   /* NULL = the system's default CA paths */
	uint8_t private_key[DERP_KEY_LEN];
	bool preferred;        /* announce this as the home relay after login */
	bool is_prober;
	/* 0 = the defaults above; tests shorten them */
	uint32_t connect_timeout_ms;
	uint32_t backoff_min_ms;
	uint32_t backoff_max_ms;
	uint32_t keepalive_ms;
	derp_client_packet_fn on_packet;
	derp_client_event_fn on_event;
	void *ctx;
};

struct derp_client_stats {
	uint64_t connect_attempts;
	uint64_t connects;           /* logins completed */
	uint64_t connect_failures;   /* attempts that failed before login completed */
	uint64_t disconnects;        /* established connections lost */
	uint64_t packets_sent;
	uint64_t bytes_sent;         /* packet bytes */
	uint64_t packets_received;
	uint64_t bytes_received;
	uint64_t drop_not_connected;
	uint64_t drop_queue_full;
	uint64_t drop_rate_limited;
	uint64_t drop_too_big;
	uint64_t pings_received;
	uint64_t pongs_received;
	uint64_t keepalives_received;
	uint64_t peer_gone_received;
	uint64_t health_received;
	uint64_t restarting_received;
	uint64_t unknown_frames;
	uint64_t timeouts;           /* connect timeouts and dead connections */
};

struct derp_client;

/* Returns NULL (and logs why) on a bad configuration or no memory. The private key is copied
 * and wiped on free. */
struct derp_client *derp_client_new(const struct derp_client_config *config);
void derp_client_free(struct derp_client *c);

/* Begin connecting now; reconnects follow automatically until derp_client_stop(). */
void derp_client_start(struct derp_client *c, uint64_t now_ms);
void derp_client_stop(struct derp_client *c);

int derp_client_fd(const struct derp_client *c);          /* -1 when none */
/* Changes with every new socket: a caller that registers the fd itself tells a new socket that
 * reuses the old number from the old one (which left epoll when it was closed). */
uint64_t derp_client_generation(const struct derp_client *c);
uint32_t derp_client_events(const struct derp_client *c); /* EPOLLIN / EPOLLOUT */
uint64_t derp_client_next_deadline(const struct derp_client *c); /* UINT64_MAX = none */
void derp_client_dispatch(struct derp_client *c, uint32_t events, uint64_t now_ms);

/* Keeps an epoll registration in step with the client; reg starts zeroed. 0 or -1. */
struct derp_client_epoll {
	int fd;
	uint64_t generation;
	uint32_t events;
	bool registered;
};
int derp_client_epoll_sync(struct derp_client *c, int epfd, struct derp_client_epoll *reg,
			   uint64_t tag);

/* Queue a packet to a peer key. 0 when queued; -1 when dropped (counted: not connected,
 * queue full, over the self rate limit, too big). */
int derp_client_send(struct derp_client *c, const uint8_t dst[DERP_KEY_LEN],
		     const uint8_t *packet, size_t len, uint64_t now_ms);
int derp_client_ping(struct derp_client *c, const uint8_t data[DERP_PING_LEN]);
int derp_client_note_preferred(struct derp_client *c, bool preferred);

enum derp_client_state derp_client_state(const struct derp_client *c);
const char *derp_client_state_name(enum derp_client_state state);
const struct derp_client_stats *derp_client_stats(const struct derp_client *c);
/* The server's public key (valid once logged in) and its announced rate limit. */
const uint8_t *derp_client_server_key(const struct derp_client *c);
const uint8_t *derp_client_public_key(const struct derp_client *c);
/* Health text from the server; "" = healthy. */
const char *derp_client_health(const struct derp_client *c);
/* Bytes queued and not yet written to the socket. */
size_t derp_client_pending(const struct derp_client *c);

uint64_t derp_client_now_ms(void);

#endif
