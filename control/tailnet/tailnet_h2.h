/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * HTTP/2 over the Noise stream with nghttp2, the node as the client with prior knowledge (the
 * preface, then requests; tailnet.md §1.7). The session does no I/O: bytes from the server go
 * in with tailnet_h2_recv, bytes for the server come out of tailnet_h2_send_chunk. Requests are
 * POSTs of a JSON body; each reports its status, its DATA as it arrives and its end through
 * callbacks with the caller's stream context. Internal to the tailnet module.
 */
#ifndef EXITGATE_TAILNET_H2_H
#define EXITGATE_TAILNET_H2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum {
	/* Request bodies: both servers refuse more than 1 MiB. */
	TAILNET_H2_BODY_MAX = 1 << 20,
	/* The receive windows: a whole large netmap message may be in flight. */
	TAILNET_H2_STREAM_WINDOW = 4 << 20,
	TAILNET_H2_CONNECTION_WINDOW = 16 << 20,
};

struct tailnet_h2_callbacks {
	/* The response head (:status). */
	void (*on_status)(void *stream_ctx, int32_t stream_id, int status);
	/* Response DATA; return -1 to fail the whole connection (a hostile or broken body). */
	int (*on_data)(void *stream_ctx, int32_t stream_id, const uint8_t *data, size_t len);
	/* The stream ended; error_code 0 after a complete response, else an HTTP/2 error code. */
	void (*on_close)(void *stream_ctx, int32_t stream_id, uint32_t error_code);
};

struct tailnet_h2;

struct tailnet_h2 *tailnet_h2_new(const char *authority,
				  const struct tailnet_h2_callbacks *callbacks);
void tailnet_h2_free(struct tailnet_h2 *h);

/* POST path with body (copied) and the optional Ts-Lb header; returns the stream ID, -1. */
int32_t tailnet_h2_post(struct tailnet_h2 *h, const char *path, const char *body, size_t len,
			const char *lb_header, void *stream_ctx);
/* Reset a stream the caller no longer wants (its on_close follows). */
void tailnet_h2_cancel(struct tailnet_h2 *h, int32_t stream_id);

/* Bytes from the server; 0, or -1 with the reason (the connection must go). */
int tailnet_h2_recv(struct tailnet_h2 *h, const uint8_t *data, size_t len, const char **why);
/* The next bytes for the server: > 0 with *data set, 0 when there is nothing, -1 on error.
 * *data is valid until the next call into the session. */
ssize_t tailnet_h2_send_chunk(struct tailnet_h2 *h, const uint8_t **data, const char **why);
/* False once the session has ended (GOAWAY handled, nothing more to do). */
bool tailnet_h2_alive(const struct tailnet_h2 *h);

#endif
