/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The metrics module's pure parts: the listener's HTTP request parser (what Prometheus 2.42
 * sends, what curl sends, and what a hostile client sends) and the exposition writer (the
 * escapes and number forms of Prometheus's text format 0.0.4).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "http_request.h"
#include "prom_text.h"

static enum http_request_status
parse(const char *text, struct http_request *req)
{
	return http_request_parse(text, strlen(text), req);
}

static void
test_prometheus_scrape(void **state)
{
	/* the head Prometheus 2.42 sends, as captured in the metrics lab */
	const char *head = "GET /metrics HTTP/1.1\r\nHost: 10.99.0.1:9586\r\n"
			   "User-Agent: Prometheus/2.42.0\r\n"
			   "Accept: application/openmetrics-text;version=1.0.0,"
			   "text/plain;version=0.0.4;q=0.5,*/*;q=0.1\r\n"
			   "Accept-Encoding: gzip\r\nX-Prometheus-Scrape-Timeout-Seconds: 10\r\n\r\n";
	struct http_request req;

	(void)state;
	assert_int_equal(parse(head, &req), HTTP_REQUEST_COMPLETE);
	assert_int_equal(req.method, HTTP_METHOD_GET);
	assert_string_equal(req.path, "/metrics");
	assert_int_equal(req.head_len, strlen(head));
	/* every prefix is still coming */
	for (size_t n = 0; n < strlen(head); n++)
		assert_int_equal(http_request_parse(head, n, &req), HTTP_REQUEST_INCOMPLETE);
}

static void
test_variants(void **state)
{
	struct http_request req;

	(void)state;
	assert_int_equal(parse("GET /metrics?name[]=up HTTP/1.0\n\n", &req),
			 HTTP_REQUEST_COMPLETE);
	assert_string_equal(req.path, "/metrics");
	assert_int_equal(parse("HEAD / HTTP/1.1\r\n\r\n", &req), HTTP_REQUEST_COMPLETE);
	assert_int_equal(req.method, HTTP_METHOD_HEAD);
	assert_string_equal(req.path, "/");
	assert_int_equal(parse("POST /metrics HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc", &req),
			 HTTP_REQUEST_COMPLETE);
	assert_int_equal(req.method, HTTP_METHOD_OTHER);
	assert_int_equal(req.head_len, strlen("POST /metrics HTTP/1.1\r\nContent-Length: 3\r\n\r\n"));
	/* a tab in a header value is allowed */
	assert_int_equal(parse("GET /metrics HTTP/1.1\r\nX-A: a\tb\r\n\r\n", &req),
			 HTTP_REQUEST_COMPLETE);
}

static void
test_refused(void **state)
{
	static const char *const bad[] = {
		"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",  /* a TLS ClientHello */
		"GET /metrics HTTP/2.0\r\n\r\n",                  /* not HTTP/1.x */
		"GET metrics HTTP/1.1\r\n\r\n",                   /* no leading slash */
		"GET  /metrics HTTP/1.1\r\n\r\n",                 /* two spaces */
		"GET /metrics HTTP/1.1 \r\n\r\n",                 /* trailing space */
		"GET /metrics HTTP/1.1\r\nno colon here\r\n\r\n", /* header without a name */
		"GET /metrics HTTP/1.1\r\n: empty name\r\n\r\n",
		"GET /metrics HTTP/1.1\r\nX-A: a\rb\r\n\r\n",     /* a bare CR in a value */
		"G(T /metrics HTTP/1.1\r\n\r\n",                  /* not a token */
		"\r\n\r\n",
	};
	struct http_request req;
	char with_nul[] = "GET /metrics\0 HTTP/1.1\r\n\r\n";

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(parse(bad[i], &req), HTTP_REQUEST_BAD);
	assert_int_equal(http_request_parse(with_nul, sizeof(with_nul) - 1, &req),
			 HTTP_REQUEST_BAD);
	/* a NUL is refused before the line ends: no waiting for the rest */
	assert_int_equal(http_request_parse("GET /\0", 6, &req), HTTP_REQUEST_BAD);
}

static void
test_limits(void **state)
{
	static char big[HTTP_REQUEST_MAX + 100];
	struct http_request req;
	size_t n;
	char path[HTTP_PATH_MAX + 64];

	(void)state;
	/* a head that never ends within the limit */
	n = (size_t)snprintf(big, sizeof(big), "GET /metrics HTTP/1.1\r\nX-Pad: ");
	memset(big + n, 'a', sizeof(big) - n);
	assert_int_equal(http_request_parse(big, HTTP_REQUEST_MAX - 1, &req),
			 HTTP_REQUEST_INCOMPLETE);
	assert_int_equal(http_request_parse(big, sizeof(big), &req), HTTP_REQUEST_TOO_LARGE);
	/* more headers than allowed */
	n = (size_t)snprintf(big, sizeof(big), "GET /metrics HTTP/1.1\r\n");
	for (int i = 0; i <= HTTP_HEADERS_MAX; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n, "X-%d: v\r\n", i);
	snprintf(big + n, sizeof(big) - n, "\r\n");
	assert_int_equal(parse(big, &req), HTTP_REQUEST_BAD);
	/* a path too long for the struct */
	memset(path, 'p', sizeof(path));
	path[0] = '/';
	snprintf(big, sizeof(big), "GET %.*s HTTP/1.1\r\n\r\n", (int)sizeof(path), path);
	assert_int_equal(parse(big, &req), HTTP_REQUEST_BAD);
}

static void
test_exposition(void **state)
{
	struct strbuf out;
	struct prom_label l[2] = {{"peer", "a\"b\\c\nd"}, {"kind", "direct"}};

	(void)state;
	strbuf_init(&out, 0);
	prom_family(&out, "exitgate_x_total", PROM_COUNTER, "Help with \\ and\na newline.");
	prom_sample_u64(&out, "exitgate_x_total", l, 2, 18446744073709551615ull);
	prom_sample_u64(&out, "exitgate_x_total", NULL, 0, 0);
	prom_family(&out, "exitgate_y_seconds", PROM_GAUGE, "Y.");
	prom_sample_f64(&out, "exitgate_y_seconds", NULL, 0, 0.1);
	prom_sample_f64(&out, "exitgate_y_seconds", NULL, 0, 1e-6);
	prom_sample_f64(&out, "exitgate_y_seconds", NULL, 0, 1733338888.123456789);
	prom_sample_f64(&out, "exitgate_y_seconds", NULL, 0, NAN);
	prom_sample_f64(&out, "exitgate_y_seconds", NULL, 0, INFINITY);
	prom_sample_f64(&out, "exitgate_y_seconds", NULL, 0, -INFINITY);
	assert_false(out.failed);
	assert_string_equal(out.data,
			    "# HELP exitgate_x_total Help with \\\\ and\\na newline.\n"
			    "# TYPE exitgate_x_total counter\n"
			    "exitgate_x_total{peer=\"a\\\"b\\\\c\\nd\",kind=\"direct\"} "
			    "18446744073709551615\n"
			    "exitgate_x_total 0\n"
			    "# HELP exitgate_y_seconds Y.\n"
			    "# TYPE exitgate_y_seconds gauge\n"
			    "exitgate_y_seconds 0.1\n"
			    "exitgate_y_seconds 1e-06\n"
			    "exitgate_y_seconds 1733338888.1234567\n"
			    "exitgate_y_seconds NaN\n"
			    "exitgate_y_seconds +Inf\n"
			    "exitgate_y_seconds -Inf\n");
	strbuf_free(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prometheus_scrape),
		cmocka_unit_test(test_variants),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_exposition),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
