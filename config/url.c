/* SPDX-License-Identifier: BSD-3-Clause */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "url.h"

static int
parse_port(const char *p, size_t len, uint16_t *port)
{
	unsigned long v = 0;

	if (len == 0 || len > 5 || p[0] == '0')
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (!isdigit((unsigned char)p[i]))
			return -1;
		v = v * 10 + (unsigned long)(p[i] - '0');
	}
	if (v == 0 || v > 65535)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

static bool
valid_host_name(const char *h, size_t len)
{
	size_t label = 0;

	if (len == 0 || len > HTTP_URL_HOST_MAX)
		return false;
	for (size_t i = 0; i <= len; i++) {
		char c = i < len ? h[i] : '.';

		if (c == '.') {
			/* a trailing dot (an absolute name) is fine, an empty label is not */
			if (label == 0 && !(i == len && i > 0 && h[i - 1] == '.'))
				return false;
			if (label > 63 || (label > 0 && h[i - 1] == '-'))
				return false;
			label = 0;
			continue;
		}
		if (!isalnum((unsigned char)c) && c != '_' && !(c == '-' && label > 0))
			return false;
		label++;
	}
	return true;
}

int
http_url_parse(const char *text, struct http_url *out, const char **why)
{
	const char *authority, *end, *host, *colon = NULL;
	size_t host_len, authority_len;
	uint8_t probe[16];

	memset(out, 0, sizeof(*out));
	if (strncasecmp(text, "http://", 7) == 0) {
		authority = text + 7;
	} else if (strncasecmp(text, "https://", 8) == 0) {
		authority = text + 8;
		out->tls = true;
	} else {
		*why = "must start with http:// or https://";
		return -1;
	}
	end = authority + strcspn(authority, "/?#");
	if (*end == '?' || *end == '#' || (*end == '/' && end[1] != '\0')) {
		*why = "no path, query or fragment after the host (the client adds its own paths)";
		return -1;
	}
	authority_len = (size_t)(end - authority);
	if (authority_len == 0) {
		*why = "no host";
		return -1;
	}
	if (memchr(authority, '@', authority_len) != NULL) {
		*why = "user information is not allowed";
		return -1;
	}
	if (authority_len > HTTP_URL_AUTHORITY_MAX) {
		*why = "host too long";
		return -1;
	}
	memcpy(out->authority, authority, authority_len);
	out->authority[authority_len] = '\0';
	out->port = out->tls ? 443 : 80;
	if (authority[0] == '[') {
		const char *close = memchr(authority, ']', authority_len);

		if (close == NULL) {
			*why = "unclosed [ of an IPv6 address";
			return -1;
		}
		host = authority + 1;
		host_len = (size_t)(close - host);
		if (close + 1 < end) {
			if (close[1] != ':') {
				*why = "junk after ]";
				return -1;
			}
			colon = close + 1;
		}
		if (host_len >= sizeof(out->host)) {
			*why = "host too long";
			return -1;
		}
		memcpy(out->host, host, host_len);
		out->host[host_len] = '\0';
		if (inet_pton(AF_INET6, out->host, probe) != 1) {
			*why = "not an IPv6 address inside [ ]";
			return -1;
		}
		out->literal_family = AF_INET6;
	} else {
		host = authority;
		colon = memchr(authority, ':', authority_len);
		host_len = colon != NULL ? (size_t)(colon - host) : authority_len;
		if (host_len == 0 || host_len >= sizeof(out->host)) {
			*why = "no host, or host too long";
			return -1;
		}
		memcpy(out->host, host, host_len);
		out->host[host_len] = '\0';
		if (strspn(out->host, "0123456789.") == host_len) {
			if (inet_pton(AF_INET, out->host, probe) != 1) {
				*why = "not an IPv4 address";
				return -1;
			}
			out->literal_family = AF_INET;
		} else if (!valid_host_name(out->host, host_len)) {
			*why = "not a valid host name";
			return -1;
		}
	}
	if (colon != NULL && parse_port(colon + 1, (size_t)(end - colon - 1), &out->port) < 0) {
		*why = "port must be 1..65535";
		return -1;
	}
	return 0;
}
