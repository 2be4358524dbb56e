/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "derp_http.h"

/* Finds the end of the head ("\r\n\r\n"); returns its length or 0. */
static size_t
head_length(const uint8_t *data, size_t len)
{
	for (size_t i = 3; i < len; i++) {
		if (data[i] == '\n' && data[i - 1] == '\r' && data[i - 2] == '\n' &&
		    data[i - 3] == '\r')
			return i + 1;
	}
	return 0;
}

/* Iterates header lines after the first; returns false at the blank line. */
struct line_cursor {
	const char *p;
	const char *end;
};

static bool
next_line(struct line_cursor *c, const char **line, size_t *line_len)
{
	const char *eol = memchr(c->p, '\r', (size_t)(c->end - c->p));

	if (eol == NULL || eol + 1 >= c->end || eol[1] != '\n')
		return false;
	*line = c->p;
	*line_len = (size_t)(eol - c->p);
	c->p = eol + 2;
	return *line_len > 0;
}

/* Splits "Name: value" and trims the value; false when the line is not a header. */
static bool
split_header(const char *line, size_t len, const char **name, size_t *name_len,
	     const char **value, size_t *value_len)
{
	const char *colon = memchr(line, ':', len);

	if (colon == NULL || colon == line)
		return false;
	for (const char *p = line; p < colon; p++) {
		/* Header names are tokens: no spaces, no controls. */
		if (*p <= ' ' || *p >= 0x7f)
			return false;
	}
	*name = line;
	*name_len = (size_t)(colon - line);
	*value = colon + 1;
	*value_len = len - *name_len - 1;
	while (*value_len > 0 && (**value == ' ' || **value == '\t')) {
		(*value)++;
		(*value_len)--;
	}
	while (*value_len > 0 && ((*value)[*value_len - 1] == ' ' ||
				  (*value)[*value_len - 1] == '\t'))
		(*value_len)--;
	return true;
}

static bool
token_is(const char *s, size_t len, const char *want)
{
	return strlen(want) == len && strncasecmp(s, want, len) == 0;
}

/* True when a comma-separated header value lists the token (case-insensitively). */
static bool
list_has(const char *s, size_t len, const char *want)
{
	size_t start = 0;

	for (size_t i = 0; i <= len; i++) {
		if (i == len || s[i] == ',') {
			size_t a = start, b = i;

			while (a < b && (s[a] == ' ' || s[a] == '\t'))
				a++;
			while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t'))
				b--;
			if (token_is(s + a, b - a, want))
				return true;
			start = i + 1;
		}
	}
	return false;
}

int
derp_http_build_upgrade_request(char *out, size_t size, const char *host)
{
	int n;

	if (strlen(host) > DERP_HTTP_HOST_MAX || strpbrk(host, "\r\n") != NULL)
		return -1;
	n = snprintf(out, size,
		     "GET /derp HTTP/1.1\r\n"
		     "Host: %s\r\n"
		     "Connection: Upgrade\r\n"
		     "Upgrade: DERP\r\n"
		     "User-Agent: exitgate\r\n"
		     "\r\n",
		     host);
	return n < 0 || (size_t)n >= size ? -1 : n;
}

enum derp_http_result
derp_http_parse_request(const uint8_t *data, size_t len, struct derp_http_request *out)
{
	size_t hl = head_length(data, len < DERP_HTTP_HEAD_MAX ? len : DERP_HTTP_HEAD_MAX);
	struct line_cursor c;
	const char *line, *sp1, *sp2, *target;
	size_t line_len, target_len;
	bool upgrade = false, get, head;

	memset(out, 0, sizeof(*out));
	if (hl == 0)
		return len >= DERP_HTTP_HEAD_MAX ? DERP_HTTP_TOO_LONG : DERP_HTTP_INCOMPLETE;
	out->head_len = hl;
	c.p = (const char *)data;
	c.end = (const char *)data + hl;
	if (!next_line(&c, &line, &line_len))
		return DERP_HTTP_BAD;
	sp1 = memchr(line, ' ', line_len);
	if (sp1 == NULL)
		return DERP_HTTP_BAD;
	sp2 = memchr(sp1 + 1, ' ', line_len - (size_t)(sp1 + 1 - line));
	if (sp2 == NULL || !token_is(sp2 + 1, line_len - (size_t)(sp2 + 1 - line), "HTTP/1.1"))
		return DERP_HTTP_BAD;
	/* Methods are case-sensitive. */
	get = sp1 - line == 3 && memcmp(line, "GET", 3) == 0;
	head = sp1 - line == 4 && memcmp(line, "HEAD", 4) == 0;
	target = sp1 + 1;
	target_len = (size_t)(sp2 - target);
	/* The query string does not select the route. */
	for (size_t i = 0; i < target_len; i++) {
		if (target[i] == '?') {
			target_len = i;
			break;
		}
	}
	for (;;) {
		const char *name, *value;
		size_t name_len, value_len;

		if (!next_line(&c, &line, &line_len))
			break;
		if (!split_header(line, line_len, &name, &name_len, &value, &value_len))
			return DERP_HTTP_BAD;
		if (token_is(name, name_len, "Upgrade"))
			upgrade = list_has(value, value_len, "DERP");
		else if (token_is(name, name_len, "Derp-Fast-Start"))
			out->fast_start = token_is(value, value_len, "1");
	}
	out->head = head;
	if (target_len == 5 && memcmp(target, "/derp", 5) == 0) {
		/* Like Tailscale's server, only Upgrade decides; Connection is not required. */
		if (!get)
			out->route = DERP_ROUTE_BAD_METHOD;
		else
			out->route = upgrade ? DERP_ROUTE_DERP : DERP_ROUTE_NO_UPGRADE;
	} else if ((target_len == 11 && memcmp(target, "/derp/probe", 11) == 0) ||
		   (target_len == 19 && memcmp(target, "/derp/latency-check", 19) == 0)) {
		out->route = get || head ? DERP_ROUTE_PROBE : DERP_ROUTE_BAD_METHOD;
	} else {
		out->route = DERP_ROUTE_NOT_FOUND;
	}
	return DERP_HTTP_DONE;
}

int
derp_http_build_switching(char *out, size_t size, const uint8_t server_key[DERP_KEY_LEN])
{
	char hex[2 * DERP_KEY_LEN + 1];
	int n;

	sodium_bin2hex(hex, sizeof(hex), server_key, DERP_KEY_LEN);
	n = snprintf(out, size,
		     "HTTP/1.1 101 Switching Protocols\r\n"
		     "Upgrade: DERP\r\n"
		     "Connection: Upgrade\r\n"
		     "Derp-Version: %d\r\n"
		     "Derp-Public-Key: %s\r\n"
		     "\r\n",
		     DERP_PROTOCOL_VERSION, hex);
	return n < 0 || (size_t)n >= size ? -1 : n;
}

int
derp_http_build_answer(char *out, size_t size, const struct derp_http_request *req)
{
	const char *status, *body;
	int n;

	switch (req->route) {
	case DERP_ROUTE_PROBE:
		status = "200 OK";
		body = "";
		break;
	case DERP_ROUTE_NO_UPGRADE:
		status = "426 Upgrade Required";
		body = "DERP requires connection upgrade\n";
		break;
	case DERP_ROUTE_BAD_METHOD:
		status = "405 Method Not Allowed";
		body = "bogus method\n";
		break;
	case DERP_ROUTE_NOT_FOUND:
	default:
		status = "404 Not Found";
		body = "not found\n";
		break;
	}
	n = snprintf(out, size,
		     "HTTP/1.1 %s\r\n"
		     "Content-Type: text/plain; charset=utf-8\r\n"
		     "Content-Length: %zu\r\n"
		     "Access-Control-Allow-Origin: *\r\n"
		     "Connection: close\r\n"
		     "\r\n"
		     "%s",
		     status, strlen(body), req->head ? "" : body);
	return n < 0 || (size_t)n >= size ? -1 : n;
}

enum derp_http_result
derp_http_parse_response(const uint8_t *data, size_t len, struct derp_http_response *out)
{
	size_t hl = head_length(data, len < DERP_HTTP_HEAD_MAX ? len : DERP_HTTP_HEAD_MAX);
	struct line_cursor c;
	const char *line;
	size_t line_len;
	int status = 0;

	memset(out, 0, sizeof(*out));
	if (hl == 0)
		return len >= DERP_HTTP_HEAD_MAX ? DERP_HTTP_TOO_LONG : DERP_HTTP_INCOMPLETE;
	out->head_len = hl;
	c.p = (const char *)data;
	c.end = (const char *)data + hl;
	if (!next_line(&c, &line, &line_len))
		return DERP_HTTP_BAD;
	/* "HTTP/1.x NNN reason" */
	if (line_len < 12 || strncmp(line, "HTTP/1.", 7) != 0 || line[8] != ' ')
		return DERP_HTTP_BAD;
	for (int i = 9; i < 12; i++) {
		if (line[i] < '0' || line[i] > '9')
			return DERP_HTTP_BAD;
		status = status * 10 + (line[i] - '0');
	}
	out->status = status;
	for (;;) {
		const char *name, *value;
		size_t name_len, value_len;

		if (!next_line(&c, &line, &line_len))
			break;
		if (!split_header(line, line_len, &name, &name_len, &value, &value_len))
			return DERP_HTTP_BAD;
		if (token_is(name, name_len, "Derp-Public-Key")) {
			size_t bin_len;

			if (value_len != 2 * DERP_KEY_LEN ||
			    sodium_hex2bin(out->server_key, DERP_KEY_LEN, value, value_len, NULL,
					   &bin_len, NULL) != 0 ||
			    bin_len != DERP_KEY_LEN)
				return DERP_HTTP_BAD;
			out->has_key = true;
		} else if (token_is(name, name_len, "Derp-Version")) {
			int v = 0;

			if (value_len == 0 || value_len > 4)
				return DERP_HTTP_BAD;
			for (size_t i = 0; i < value_len; i++) {
				if (value[i] < '0' || value[i] > '9')
					return DERP_HTTP_BAD;
				v = v * 10 + (value[i] - '0');
			}
			out->derp_version = v;
		}
	}
	return DERP_HTTP_DONE;
}
