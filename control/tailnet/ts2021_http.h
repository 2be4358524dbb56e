/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The HTTP/1.1 in front of ts2021 (tailnet.md §1.2-1.3): the server-key request GET /key?v=N, the upgrade request POST /ts2021 carrying the Noise initiation in
 * X-Tailscale-Handshake, and the parsers of their answers. Pure: the caller moves the bytes.
 * Parsers never read past the blank line of a head, so what follows (the Noise response after a
 * 101) stays in the caller's buffer.
 */
#ifndef EXITGATE_TS2021_HTTP_H
#define EXITGATE_TS2021_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "url.h"

enum {
	TS2021_HTTP_HEAD_MAX = 8192,
	TS2021_HTTP_BODY_MAX = 64 << 10, /* of /key, as the Go client reads it */
};

/* Requests; each returns its length, or -1 when it does not fit in size. */
int ts2021_http_key_request(char *out, size_t size, const struct http_url *url,
			    uint16_t version);
int ts2021_http_upgrade_request(char *out, size_t size, const struct http_url *url,
				const uint8_t *initiation, size_t initiation_len);

enum ts2021_http_result {
	TS2021_HTTP_INCOMPLETE = 0,
	TS2021_HTTP_DONE = 1,
	TS2021_HTTP_BAD = -1,
	TS2021_HTTP_TOO_LONG = -2,
};

struct ts2021_http_response {
	int status;
	size_t head_len;        /* up to and including the blank line */
	bool chunked;
	bool has_length;
	uint64_t content_length;
	bool upgrade_control;   /* Upgrade: tailscale-control-protocol */
};

/* Parse a response head from the bytes read so far. */
enum ts2021_http_result ts2021_http_parse_response(const uint8_t *data, size_t len,
						   struct ts2021_http_response *out);

/*
 * The body after a head, from the bytes read so far (data starts after the head). eof says
 * the server closed the connection. On DONE, body/body_len point into data, or into out (for a
 * chunked body, decoded there; out has room for TS2021_HTTP_BODY_MAX bytes). TOO_LONG when
 * the body is over TS2021_HTTP_BODY_MAX.
 */
enum ts2021_http_result ts2021_http_body(const struct ts2021_http_response *resp,
					 const uint8_t *data, size_t len, bool eof, uint8_t *out,
					 const uint8_t **body, size_t *body_len);

#endif
