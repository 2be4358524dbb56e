/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The metrics listener (control.metrics): a small HTTP/1.x server on the control loop that
 * answers GET /metrics with the text the render callback writes, and closes each connection
 * after its one reply. It never blocks: sockets are non-blocking and registered with the loop.
 *
 * Bounded: at most METRICS_MAX_CLIENTS connections. A new connection when all are taken evicts
 * the oldest one still sending its request (a scrape sends its ~250 bytes at once, so what is
 * still sending is a slow or idle client); when every slot holds a reply in flight the new one
 * is refused. A request head must be complete within METRICS_REQUEST_TIMEOUT_MS of the accept
 * and at most HTTP_REQUEST_MAX bytes, and a connection lives at most METRICS_REPLY_TIMEOUT_MS
 * (a client that stops reading its reply). Garbage gets 400, an oversized head 431, another
 * path 404, another method 405; each of these closes only that connection. Every outcome is
 * counted (metrics_server_stats), and the counts are themselves metrics.
 *
 * Concurrency: main lcore only, like every control-plane module.
 */
#ifndef EXITGATE_CONTROL_METRICS_SERVER_H
#define EXITGATE_CONTROL_METRICS_SERVER_H

#include <stdint.h>

#include "loop.h"
#include "netaddr.h"
#include "strbuf.h"

enum {
	METRICS_MAX_CLIENTS = 16,
	METRICS_REQUEST_TIMEOUT_MS = 5000,  /* Prometheus sends its request right after connect */
	METRICS_REPLY_TIMEOUT_MS = 30000,   /* longer than any scrape_timeout worth having */
	METRICS_REPLY_MAX = 256u << 20,     /* 100k peers with every per-peer series: ~70 MiB */
};

#define METRICS_OUTCOMES(X) \
	X(served, "a 200 reply to GET or HEAD /metrics") \
	X(bad_request, "malformed request head: 400") \
	X(too_large, "request head over the limit: 431") \
	X(not_found, "a path other than /metrics: 404") \
	X(bad_method, "a method other than GET or HEAD: 405") \
	X(request_timeout, "no complete request head in time") \
	X(reply_timeout, "the reply not taken by the client in time") \
	X(closed_early, "the client closed before its request was complete") \
	X(evicted, "closed to make room for a new connection") \
	X(refused, "refused: every connection held a reply in flight") \
	X(failed, "a socket error, or no memory for the reply")

enum metrics_outcome {
#define METRICS_OUTCOME_ENUM(name, text) METRICS_OUTCOME_##name,
	METRICS_OUTCOMES(METRICS_OUTCOME_ENUM)
#undef METRICS_OUTCOME_ENUM
	METRICS_OUTCOME_COUNT
};

struct metrics_server_stats {
	uint64_t accepted;
	uint64_t outcomes[METRICS_OUTCOME_COUNT];
	unsigned int open; /* connections now */
};

/* Writes the exposition for one scrape. */
typedef void (*metrics_render_fn)(void *arg, struct strbuf *out);

struct metrics_server;

/* Listen on address:port; NULL (after logging why) when the socket cannot be had. */
struct metrics_server *metrics_server_open(struct loop *loop, const struct netendpoint *listen,
					   metrics_render_fn render, void *arg);
void metrics_server_close(struct metrics_server *s);
void metrics_server_stats(const struct metrics_server *s, struct metrics_server_stats *out);
const char *metrics_outcome_name(enum metrics_outcome outcome);
const char *metrics_outcome_text(enum metrics_outcome outcome);

#endif
