/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The metrics listener's request parser and the exposition's escaping under libFuzzer.
 * An input is what a client sends: http_request_parse looks at it whole and at prefixes of it.
 * Checked: a complete head ends within the input at an empty line, its path starts with '/'
 * and holds no '?', space or control byte; every prefix shorter than a complete head is
 * incomplete (a request the listener accepts was never refused on the way). The same bytes, cut
 * at their first NUL, are a label value and a help text for prom_text: the escaped value holds
 * no raw newline or unescaped quote, and unescaping it gives the input back.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http_request.h"
#include "prom_text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(bool ok)
{
	if (!ok)
		abort();
}

static void
request(const char *data, size_t size)
{
	struct http_request req;
	enum http_request_status st = http_request_parse(data, size, &req);

	if (st != HTTP_REQUEST_COMPLETE)
		return;
	check(req.head_len >= 4 && req.head_len <= size && req.head_len <= HTTP_REQUEST_MAX);
	check(data[req.head_len - 1] == '\n');
	check(req.path[0] == '/');
	for (const char *p = req.path; *p != '\0'; p++)
		check(*p != '?' && (unsigned char)*p > ' ' && (unsigned char)*p < 0x7f);
	for (size_t cut = 0; cut < req.head_len; cut += 1 + cut / 2) {
		struct http_request partial;

		check(http_request_parse(data, cut, &partial) == HTTP_REQUEST_INCOMPLETE);
	}
}

static void
escaping(const char *text)
{
	struct strbuf out;
	size_t j = 0, n = strlen(text);
	char *back = malloc(n + 1);

	check(back != NULL);
	strbuf_init(&out, 0);
	prom_label_value(&out, text);
	check(!out.failed && out.len >= 2 && out.data[0] == '"' && out.data[out.len - 1] == '"');
	for (size_t i = 1; i + 1 < out.len; i++) {
		char c = out.data[i];

		check(c != '\n' && c != '"');
		if (c == '\\') {
			i++;
			check(i + 1 < out.len && strchr("\\\"n", out.data[i]) != NULL);
			c = out.data[i] == 'n' ? '\n' : out.data[i];
		}
		back[j++] = c;
	}
	check(j == n && memcmp(back, text, n) == 0);
	strbuf_reset(&out);
	prom_family(&out, "exitgate_fuzz_total", PROM_COUNTER, text);
	/* a help text stays on its line: exactly the HELP and TYPE lines */
	check(!out.failed && memchr(out.data, '\n', out.len) != NULL);
	check(strchr(strchr(out.data, '\n') + 1, '\n') == out.data + out.len - 1);
	strbuf_free(&out);
	free(back);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = malloc(size + 1);

	if (copy == NULL)
		return 0;
	memcpy(copy, data, size);
	copy[size] = '\0';
	request(copy, size);
	escaping(copy);
	free(copy);
	return 0;
}
