/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>

#include "http_request.h"

/* RFC 9110 token characters */
static bool
is_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* One line [start, end) without its terminator; returns its end (the '\r' or '\n'), or NULL
 * when no terminator is within len. */
static const char *
line_end(const char *start, const char *limit)
{
	const char *nl = memchr(start, '\n', (size_t)(limit - start));

	if (nl == NULL)
		return NULL;
	return nl > start && nl[-1] == '\r' ? nl - 1 : nl;
}

static enum http_request_status
parse_request_line(const char *p, const char *end, struct http_request *req)
{
	const char *method = p, *target, *version;
	size_t method_len, target_len, path_len;

	while (p < end && is_tchar((unsigned char)*p))
		p++;
	method_len = (size_t)(p - method);
	if (method_len == 0 || p == end || *p != ' ')
		return HTTP_REQUEST_BAD;
	target = ++p;
	while (p < end && (unsigned char)*p > ' ' && (unsigned char)*p < 0x7f)
		p++;
	target_len = (size_t)(p - target);
	if (target_len == 0 || target[0] != '/' || p == end || *p != ' ')
		return HTTP_REQUEST_BAD;
	version = ++p;
	if ((size_t)(end - version) != 8 || memcmp(version, "HTTP/1.", 7) != 0 ||
	    (version[7] != '0' && version[7] != '1'))
		return HTTP_REQUEST_BAD;
	if (method_len == 3 && memcmp(method, "GET", 3) == 0)
		req->method = HTTP_METHOD_GET;
	else if (method_len == 4 && memcmp(method, "HEAD", 4) == 0)
		req->method = HTTP_METHOD_HEAD;
	else
		req->method = HTTP_METHOD_OTHER;
	path_len = strcspn(target, "? ");
	if (path_len > target_len)
		path_len = target_len;
	if (path_len >= sizeof(req->path))
		return HTTP_REQUEST_BAD;
	memcpy(req->path, target, path_len);
	req->path[path_len] = '\0';
	return HTTP_REQUEST_COMPLETE;
}

static bool
header_valid(const char *p, const char *end)
{
	const char *name = p;

	while (p < end && is_tchar((unsigned char)*p))
		p++;
	if (p == name || p == end || *p != ':')
		return false;
	for (p++; p < end; p++)
		if (((unsigned char)*p < ' ' && *p != '\t') || *p == 0x7f)
			return false;
	return true;
}

enum http_request_status
http_request_parse(const char *data, size_t len, struct http_request *req)
{
	const char *limit = data + (len < HTTP_REQUEST_MAX ? len : HTTP_REQUEST_MAX);
	const char *p = data, *end;
	unsigned int headers = 0;
	enum http_request_status st;

	memset(req, 0, sizeof(*req));
	/* a NUL or a stray control byte anywhere is never part of a valid head: refuse at once
	 * rather than wait for a terminator that a hostile client may never send */
	for (const char *q = data; q < limit; q++)
		if (*q == '\0' || ((unsigned char)*q < ' ' && *q != '\t' && *q != '\r' && *q != '\n'))
			return HTTP_REQUEST_BAD;
	end = line_end(p, limit);
	if (end == NULL)
		return len >= HTTP_REQUEST_MAX ? HTTP_REQUEST_TOO_LARGE : HTTP_REQUEST_INCOMPLETE;
	st = parse_request_line(p, end, req);
	if (st != HTTP_REQUEST_COMPLETE)
		return st;
	for (;;) {
		p = end + (*end == '\r' ? 2 : 1);
		if (p > limit)
			return HTTP_REQUEST_BAD; /* a '\r' that is the last byte looked at */
		end = line_end(p, limit);
		if (end == NULL)
			return len >= HTTP_REQUEST_MAX ? HTTP_REQUEST_TOO_LARGE
						       : HTTP_REQUEST_INCOMPLETE;
		if (end == p)
			break;
		if (++headers > HTTP_HEADERS_MAX || !header_valid(p, end))
			return HTTP_REQUEST_BAD;
	}
	req->head_len = (size_t)(end - data) + (*end == '\r' ? 2 : 1);
	return HTTP_REQUEST_COMPLETE;
}
