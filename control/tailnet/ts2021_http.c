/* SPDX-License-Identifier: BSD-3-Clause */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "ts2021_http.h"

int
ts2021_http_key_request(char *out, size_t size, const struct http_url *url, uint16_t version)
{
	int n = snprintf(out, size,
			 "GET /key?v=%u HTTP/1.1\r\n"
			 "Host: %s\r\n"
			 "User-Agent: exitgate\r\n"
			 "Accept: application/json\r\n"
			 "Connection: close\r\n"
			 "\r\n",
			 (unsigned int)version, url->authority);

	return n > 0 && (size_t)n < size ? n : -1;
}

int
ts2021_http_upgrade_request(char *out, size_t size, const struct http_url *url,
			    const uint8_t *initiation, size_t initiation_len)
{
	char b64[256];
	int n;

	if (sodium_base64_ENCODED_LEN(initiation_len, sodium_base64_VARIANT_ORIGINAL) >
	    sizeof(b64))
		return -1;
	sodium_bin2base64(b64, sizeof(b64), initiation, initiation_len,
			  sodium_base64_VARIANT_ORIGINAL);
	n = snprintf(out, size,
		     "POST /ts2021 HTTP/1.1\r\n"
		     "Host: %s\r\n"
		     "User-Agent: exitgate\r\n"
		     "Upgrade: tailscale-control-protocol\r\n"
		     "Connection: upgrade\r\n"
		     "X-Tailscale-Handshake: %s\r\n"
		     "Content-Length: 0\r\n"
		     "\r\n",
		     url->authority, b64);
	return n > 0 && (size_t)n < size ? n : -1;
}

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

static bool
value_is(const char *v, size_t len, const char *want)
{
	return len == strlen(want) && strncasecmp(v, want, len) == 0;
}

/* A comma-separated header value contains token (case-insensitively). */
static bool
value_has_token(const char *v, size_t len, const char *token)
{
	size_t i = 0;

	while (i < len) {
		size_t start, stop;

		while (i < len && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		start = i;
		while (i < len && v[i] != ',')
			i++;
		stop = i;
		while (stop > start && (v[stop - 1] == ' ' || v[stop - 1] == '\t'))
			stop--;
		if (value_is(v + start, stop - start, token))
			return true;
	}
	return false;
}

static int
parse_decimal(const char *v, size_t len, uint64_t *out)
{
	uint64_t n = 0;

	if (len == 0 || len > 19)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (!isdigit((unsigned char)v[i]))
			return -1;
		n = n * 10 + (uint64_t)(v[i] - '0');
	}
	*out = n;
	return 0;
}

enum ts2021_http_result
ts2021_http_parse_response(const uint8_t *data, size_t len, struct ts2021_http_response *out)
{
	const char *p = (const char *)data, *end, *eol;
	size_t head = head_length(data, len < TS2021_HTTP_HEAD_MAX ? len : TS2021_HTTP_HEAD_MAX);

	memset(out, 0, sizeof(*out));
	if (head == 0)
		return len >= TS2021_HTTP_HEAD_MAX ? TS2021_HTTP_TOO_LONG : TS2021_HTTP_INCOMPLETE;
	end = p + head - 2; /* the blank line's CRLF */
	/* "HTTP/1.x NNN reason" */
	if (head < 14 || memcmp(p, "HTTP/1.", 7) != 0 || (p[7] != '0' && p[7] != '1') ||
	    p[8] != ' ' || !isdigit((unsigned char)p[9]) || !isdigit((unsigned char)p[10]) ||
	    !isdigit((unsigned char)p[11]) || (p[12] != ' ' && p[12] != '\r'))
		return TS2021_HTTP_BAD;
	out->status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
	if (out->status < 100)
		return TS2021_HTTP_BAD;
	eol = memchr(p, '\r', (size_t)(end - p));
	if (eol == NULL || eol[1] != '\n')
		return TS2021_HTTP_BAD;
	for (p = eol + 2; p < end; p = eol + 2) {
		const char *colon, *v;
		size_t name_len, v_len;

		eol = memchr(p, '\r', (size_t)(end + 2 - p));
		if (eol == NULL || eol[1] != '\n')
			return TS2021_HTTP_BAD;
		colon = memchr(p, ':', (size_t)(eol - p));
		if (colon == NULL || colon == p)
			return TS2021_HTTP_BAD;
		for (const char *q = p; q < colon; q++) {
			if (*q <= ' ' || *q >= 0x7f)
				return TS2021_HTTP_BAD;
		}
		for (const char *q = colon; q < eol; q++) {
			if (*q == '\0' || *q == '\n')
				return TS2021_HTTP_BAD;
		}
		name_len = (size_t)(colon - p);
		v = colon + 1;
		while (v < eol && (*v == ' ' || *v == '\t'))
			v++;
		v_len = (size_t)(eol - v);
		while (v_len > 0 && (v[v_len - 1] == ' ' || v[v_len - 1] == '\t'))
			v_len--;
		if (value_is(p, name_len, "Content-Length")) {
			uint64_t n;

			if (parse_decimal(v, v_len, &n) < 0 ||
			    (out->has_length && n != out->content_length))
				return TS2021_HTTP_BAD;
			out->has_length = true;
			out->content_length = n;
		} else if (value_is(p, name_len, "Transfer-Encoding")) {
			if (!value_has_token(v, v_len, "chunked"))
				return TS2021_HTTP_BAD; /* no other coding is sent to a client */
			out->chunked = true;
		} else if (value_is(p, name_len, "Upgrade")) {
			if (value_has_token(v, v_len, "tailscale-control-protocol"))
				out->upgrade_control = true;
		}
	}
	out->head_len = head;
	return TS2021_HTTP_DONE;
}

/* Decode a whole chunked body; INCOMPLETE until the last chunk and the trailer are there. */
static enum ts2021_http_result
dechunk(const uint8_t *data, size_t len, uint8_t *out, size_t *out_len)
{
	size_t at = 0, used = 0;

	for (;;) {
		uint64_t size = 0;
		size_t digits = 0;

		while (at < len && isxdigit(data[at])) {
			int d = isdigit(data[at]) ? data[at] - '0' : (tolower(data[at]) - 'a' + 10);

			if (++digits > 8)
				return TS2021_HTTP_TOO_LONG;
			size = size * 16 + (uint64_t)d;
			at++;
		}
		if (at == len)
			return TS2021_HTTP_INCOMPLETE;
		if (digits == 0)
			return TS2021_HTTP_BAD;
		/* chunk extensions are ignored up to the line end */
		while (at < len && data[at] != '\r') {
			if (data[at] == '\n')
				return TS2021_HTTP_BAD;
			at++;
		}
		if (at + 2 > len)
			return TS2021_HTTP_INCOMPLETE;
		if (data[at + 1] != '\n')
			return TS2021_HTTP_BAD;
		at += 2;
		if (size == 0) {
			/* trailer lines until the blank line */
			for (;;) {
				const uint8_t *eol = memchr(data + at, '\n', len - at);

				if (eol == NULL)
					return TS2021_HTTP_INCOMPLETE;
				if (eol == data + at + 1 && data[at] == '\r') {
					*out_len = used;
					return TS2021_HTTP_DONE;
				}
				at = (size_t)(eol - data) + 1;
				if (at > TS2021_HTTP_HEAD_MAX + TS2021_HTTP_BODY_MAX)
					return TS2021_HTTP_TOO_LONG;
			}
		}
		if (size > TS2021_HTTP_BODY_MAX - used)
			return TS2021_HTTP_TOO_LONG;
		if (len - at < size + 2)
			return TS2021_HTTP_INCOMPLETE;
		memcpy(out + used, data + at, size);
		used += size;
		at += size;
		if (data[at] != '\r' || data[at + 1] != '\n')
			return TS2021_HTTP_BAD;
		at += 2;
	}
}

enum ts2021_http_result
ts2021_http_body(const struct ts2021_http_response *resp, const uint8_t *data, size_t len,
		 bool eof, uint8_t *out, const uint8_t **body, size_t *body_len)
{
	enum ts2021_http_result r;

	if (resp->chunked) {
		r = dechunk(data, len, out, body_len);
		if (r == TS2021_HTTP_DONE)
			*body = out;
		else if (r == TS2021_HTTP_INCOMPLETE && eof)
			r = TS2021_HTTP_BAD;
		return r;
	}
	if (resp->has_length) {
		if (resp->content_length > TS2021_HTTP_BODY_MAX)
			return TS2021_HTTP_TOO_LONG;
		if (len < resp->content_length)
			return eof ? TS2021_HTTP_BAD : TS2021_HTTP_INCOMPLETE;
		*body = data;
		*body_len = (size_t)resp->content_length;
		return TS2021_HTTP_DONE;
	}
	/* no length: the body ends when the server closes */
	if (len > TS2021_HTTP_BODY_MAX)
		return TS2021_HTTP_TOO_LONG;
	if (!eof)
		return TS2021_HTTP_INCOMPLETE;
	*body = data;
	*body_len = len;
	return TS2021_HTTP_DONE;
}
