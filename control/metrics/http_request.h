/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The request head of an HTTP/1.0 or 1.1 client, as the metrics listener needs it: the method,
 * the path (query string cut off) and where the head ends. Strict and bounded: a request line
 * "METHOD SP /path SP HTTP/1.x", header lines "name: value", an empty line; lines end in CRLF
 * or a bare LF; no control character but a tab in a value; a head of at most HTTP_REQUEST_MAX
 * bytes. Header values are not interpreted (the reply is the same whatever they say, and the
 * connection closes after it, so a body is never read). Pure, no sockets: the fuzz target and
 * the unit tests call it alone.
 */
#ifndef EXITGATE_CONTROL_METRICS_HTTP_REQUEST_H
#define EXITGATE_CONTROL_METRICS_HTTP_REQUEST_H

#include <stdbool.h>
#include <stddef.h>

enum {
	HTTP_REQUEST_MAX = 8192, /* Prometheus sends about 250 bytes */
	HTTP_PATH_MAX = 256,
	HTTP_HEADERS_MAX = 64,
};

enum http_request_status {
	HTTP_REQUEST_INCOMPLETE, /* no end of head yet, and nothing wrong so far */
	HTTP_REQUEST_COMPLETE,
	HTTP_REQUEST_BAD,       /* malformed: answer 400 and close */
	HTTP_REQUEST_TOO_LARGE, /* no end of head within HTTP_REQUEST_MAX: 431 and close */
};

enum http_method {
	HTTP_METHOD_GET,
	HTTP_METHOD_HEAD,
	HTTP_METHOD_OTHER, /* a valid token we do not serve: 405 */
};

struct http_request {
	enum http_method method;
	char path[HTTP_PATH_MAX]; /* the target up to '?' */
	size_t head_len;          /* bytes of the head, the empty line included */
};

/* Look at the first len bytes a client sent. */
enum http_request_status http_request_parse(const char *data, size_t len,
					    struct http_request *req);

#endif
