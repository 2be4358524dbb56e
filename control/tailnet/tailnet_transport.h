/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The byte stream to the login server: a non-blocking TCP connection, with TLS (OpenSSL 3) on
 * top for https, and the name lookup before it (getaddrinfo_a, polled). Nothing here blocks:
 * every call does what the socket allows now and says what it waits for. Internal to the
 * tailnet module; one transport belongs to the control loop's thread.
 */
#ifndef EXITGATE_TAILNET_TRANSPORT_H
#define EXITGATE_TAILNET_TRANSPORT_H

#include <netdb.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <openssl/ssl.h>

#include "ts2021_http.h"

enum {
	TAILNET_ADDRS_MAX = 4,
};

enum tailnet_transport_state {
	TAILNET_TRANSPORT_CLOSED,
	TAILNET_TRANSPORT_CONNECTING,
	TAILNET_TRANSPORT_TLS,
	TAILNET_TRANSPORT_OPEN,
};

struct tailnet_transport {
	int fd;
	SSL *ssl;
	enum tailnet_transport_state state;
	bool tls_wants_write; /* the last TLS call waits for writability */
	const char *why;      /* the reason of the last failure */
	char why_buf[160];
};

void tailnet_transport_init(struct tailnet_transport *t);
/* Start a non-blocking connect; -1 with t->why when the socket cannot be made. */
int tailnet_transport_connect(struct tailnet_transport *t, const struct sockaddr_storage *addr,
			      socklen_t len);
/*
 * Advance connect and the TLS handshake (ctx NULL: plain TCP). Returns 1 once the stream is
 * open, 0 while waiting, -1 on failure (t->why).
 */
int tailnet_transport_progress(struct tailnet_transport *t, uint32_t events, SSL_CTX *ctx,
			       const struct http_url *url);
/* Read: > 0 bytes; 0 would block; -1 failed (t->why); -2 the server closed the stream. */
ssize_t tailnet_transport_read(struct tailnet_transport *t, uint8_t *buf, size_t len);
/* Write: >= 0 bytes taken (0 would block); -1 failed (t->why). */
ssize_t tailnet_transport_write(struct tailnet_transport *t, const uint8_t *buf, size_t len);
/* The epoll events the stream waits for, given whether output is queued. */
uint32_t tailnet_transport_events(const struct tailnet_transport *t, bool have_output);
void tailnet_transport_close(struct tailnet_transport *t);

/* A TLS client context verifying against ca_file (NULL: the system's CAs). */
SSL_CTX *tailnet_tls_context(const char *ca_file, const char **why);

/* The name lookup. Its glibc request lives in its own allocation, so that a lookup still
 * running when its owner goes can be left to glibc instead of written into freed memory. */
struct tailnet_lookup;
struct tailnet_resolver {
	struct tailnet_lookup *lookup; /* NULL when none is running */
};

/* Start resolving url's host (a name), unless a lookup is still running (then that one goes
 * on); -1 when glibc refuses to queue it. */
int tailnet_resolve_start(struct tailnet_resolver *r, const struct http_url *url);
/* 1 done (addresses in addrs, *count of them), 0 still running, -1 failed (*why). */
int tailnet_resolve_poll(struct tailnet_resolver *r, struct sockaddr_storage *addrs,
			 socklen_t *lens, size_t *count, const char **why);
/* Cancel a running lookup; waits (at most 5 s) when glibc cannot cancel it. */
void tailnet_resolve_abandon(struct tailnet_resolver *r);

/* An address literal of url to a socket address (no lookup); -1 when it is a name. */
int tailnet_literal_address(const struct http_url *url, struct sockaddr_storage *addr,
			    socklen_t *len);

#endif
