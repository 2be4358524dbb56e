/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The URL of an HTTP server as exitgate is given one (the tailnet login server):
 * http://host[:port][/] or https://host[:port][/], host a DNS name, an IPv4 literal or an IPv6
 * literal in brackets. Paths, queries, fragments and user information are refused: the clients
 * add their own paths. Shared by the config loader and the tailnet control client.
 */
#ifndef EXITGATE_URL_H
#define EXITGATE_URL_H

#include <stdbool.h>
#include <stdint.h>

enum {
	HTTP_URL_HOST_MAX = 253,
	HTTP_URL_AUTHORITY_MAX = HTTP_URL_HOST_MAX + 8, /* [host]:65535 */
};

struct http_url {
	bool tls;
	char host[HTTP_URL_HOST_MAX + 1];           /* without brackets */
	char authority[HTTP_URL_AUTHORITY_MAX + 1]; /* the Host header: as written */
	uint16_t port;                              /* 80 / 443 when not written */
	int literal_family;                         /* AF_INET / AF_INET6, 0 = a name */
};

/* Returns 0, or -1 with a reason (a static string) in *why. */
int http_url_parse(const char *text, struct http_url *out, const char **why);

#endif
