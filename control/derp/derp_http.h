/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The HTTP/1.1 exchange in front of DERP: the client's upgrade request and the server's
 * answers (101 for /derp with "Upgrade: DERP", 200 for the probe paths, errors otherwise).
 * Parsers take the bytes read so far and say whether the head is complete; they never read past
 * the blank line, so the DERP frames that follow stay in the caller's buffer.
 */
#ifndef EXITGATE_DERP_HTTP_H
#define EXITGATE_DERP_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "derp_proto.h"

enum {
	DERP_HTTP_HEAD_MAX = 8192,
	DERP_HTTP_HOST_MAX = 255,
};

enum derp_http_result {
	DERP_HTTP_INCOMPLETE = 0,
	DERP_HTTP_DONE = 1,
	DERP_HTTP_BAD = -1,      /* malformed */
	DERP_HTTP_TOO_LONG = -2, /* no blank line within DERP_HTTP_HEAD_MAX */
};

enum derp_http_route {
	DERP_ROUTE_DERP,      /* /derp with Upgrade: DERP */
	DERP_ROUTE_NO_UPGRADE, /* /derp without an upgrade: 426 */
	DERP_ROUTE_PROBE,     /* /derp/probe, /derp/latency-check with HEAD or GET: 200 */
	DERP_ROUTE_BAD_METHOD, /* probe path, other method: 405 */
	DERP_ROUTE_NOT_FOUND, /* anything else: 404 */
};

struct derp_http_request {
	enum derp_http_route route;
	bool head;       /* HEAD: the answer carries no body */
	bool fast_start; /* "Derp-Fast-Start: 1": the client wants no 101 head */
	size_t head_len; /* bytes up to and including the blank line */
};

struct derp_http_response {
	int status;
	bool has_key;
	uint8_t server_key[DERP_KEY_LEN]; /* from Derp-Public-Key */
	int derp_version;                 /* from Derp-Version, 0 when absent */
	size_t head_len;
};

/* Client: "GET /derp HTTP/1.1" with Host, Upgrade: DERP, Connection: Upgrade. */
int derp_http_build_upgrade_request(char *out, size_t size, const char *host);
enum derp_http_result derp_http_parse_response(const uint8_t *data, size_t len,
					       struct derp_http_response *out);

/* Server. */
enum derp_http_result derp_http_parse_request(const uint8_t *data, size_t len,
					      struct derp_http_request *out);
int derp_http_build_switching(char *out, size_t size, const uint8_t server_key[DERP_KEY_LEN]);
/* A complete non-upgrade answer for route (connection then closes). */
int derp_http_build_answer(char *out, size_t size, const struct derp_http_request *req);

#endif
