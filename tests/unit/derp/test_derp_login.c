/* SPDX-License-Identifier: BSD-3-Clause */
/* DERP login: the strict JSON reader, ClientInfo/ServerInfo boxes, the HTTP upgrade, pins. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "derp_http.h"
#include "derp_json.h"
#include "derp_login.h"
#include "derp_tls.h"

static uint8_t client_priv[32], client_pub[32], server_priv[32], server_pub[32];

static int
setup(void **state)
{
	(void)state;
	if (sodium_init() < 0)
		return -1;
	crypto_box_keypair(client_pub, client_priv);
	crypto_box_keypair(server_pub, server_priv);
	return 0;
}

static int
read_json(const char *text, int64_t *version, bool *flag, char *name, size_t name_size)
{
	struct derp_json_member m[] = {
		{.name = "version", .type = DERP_JSON_INT, .out = version, .min = 0, .max = 1000},
		{.name = "CanAckPings", .type = DERP_JSON_BOOL, .out = flag},
		{.name = "AppName", .type = DERP_JSON_STRING, .out = name, .string_size = name_size},
	};
	const char *why = NULL;
	int rc = derp_json_read_object(text, strlen(text), m, 3, &why);

	if (rc < 0)
		assert_non_null(why);
	return rc;
}

static void
test_json_accepts(void **state)
{
	int64_t v = -1;
	bool flag = false;
	char name[16] = "";

	(void)state;
	assert_int_equal(read_json("{\"version\":2,\"CanAckPings\":true}", &v, &flag, name,
				   sizeof(name)), 0);
	assert_int_equal(v, 2);
	assert_true(flag);
	/* Case-insensitive names, whitespace, unknown scalar members, escapes, null. */
	assert_int_equal(read_json(" {\n \"VERSION\" : 7 , \"canackpings\":false,"
				   " \"x\":[1], \"AppName\":\"a\\u00e9\\n\"} ", &v, &flag, name,
				   sizeof(name)), -1); /* nested value refused */
	assert_int_equal(read_json(" {\n \"VERSION\" : 7 , \"canackpings\":false,"
				   " \"x\":-1.5e3, \"y\":null, \"AppName\":\"a\\u00e9\\n\"} ", &v,
				   &flag, name, sizeof(name)), 0);
	assert_int_equal(v, 7);
	assert_false(flag);
	assert_string_equal(name, "a\xc3\xa9\n");
	assert_int_equal(read_json("{\"AppName\":\"\\ud83d\\udd11\"}", &v, &flag, name,
				   sizeof(name)), 0);
	assert_string_equal(name, "\xf0\x9f\x94\x91");
	assert_int_equal(read_json("{}", &v, &flag, name, sizeof(name)), 0);
	assert_int_equal(read_json("{\"version\":null}", &v, &flag, name, sizeof(name)), 0);
}

static void
test_json_refuses(void **state)
{
	static const char *const bad[] = {
		"",
		"[]",
		"{",
		"{\"version\":2",
		"{\"version\":2,}",
		"{\"version\":2}x",
		"{\"version\":2}{}",
		"{\"version\":02}",
		"{\"version\":2.0}",
		"{\"version\":1001}",
		"{\"version\":-1}",
		"{\"version\":99999999999999999999999}",
		"{\"version\":\"2\"}",
		"{\"version\":2,\"Version\":2}",
		"{\"CanAckPings\":1}",
		"{\"CanAckPings\":tru}",
		"{\"AppName\":\"0123456789abcdefXYZ\"}",
		"{\"AppName\":\"\\x\"}",
		"{\"AppName\":\"\\u12\"}",
		"{\"AppName\":\"\\ud800\"}",
		"{\"AppName\":\"\\u0000\"}",
		"{\"AppName\":\"tab\there\"}",
		"{\"AppName\":\"\xc0\xaf\"}",
		"{\"AppName\":\"\xed\xa0\x80\"}",
		"{\"AppName\":\"\xff\"}",
		"{\"x\":{}}",
		"{'version':2}",
		"{version:2}",
		"{\"version\" 2}",
	};
	int64_t v;
	bool flag;
	char name[16];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (read_json(bad[i], &v, &flag, name, sizeof(name)) == 0)
			fail_msg("accepted: %s", bad[i]);
	}
}

static void
test_json_writer(void **state)
{
	struct derp_json_writer w;
	char buf[64];
	int n;

	(void)state;
	derp_json_begin(&w, buf, sizeof(buf));
	derp_json_int(&w, "version", 2);
	derp_json_bool(&w, "CanAckPings", true);
	derp_json_string(&w, "AppName", "q\"\\\x01");
	n = derp_json_finish(&w);
	assert_int_equal(n, (int)strlen(buf));
	assert_string_equal(buf, "{\"version\":2,\"CanAckPings\":true,"
				 "\"AppName\":\"q\\\"\\\\\\u0001\"}");
	derp_json_begin(&w, buf, 10);
	derp_json_int(&w, "version", 2);
	assert_int_equal(derp_json_finish(&w), -1);
	derp_json_begin(&w, buf, sizeof(buf));
	assert_int_equal(derp_json_finish(&w), 2);
	assert_string_equal(buf, "{}");
}

static struct derp_frame
frame_of(const uint8_t *buf, size_t n)
{
	struct derp_frame f = {.type = buf[0], .length = (uint32_t)(n - 5), .payload = buf + 5};

	return f;
}

static void
test_client_info(void **state)
{
	struct derp_client_info in = {.version = 2, .can_ack_pings = true}, out;
	uint8_t buf[DERP_CLIENT_INFO_FRAME_MAX], got_key[32];
	struct derp_frame f;
	const char *why;
	size_t n;

	(void)state;
	strcpy(in.app_name, "exitgate");
	n = derp_build_client_info(buf, sizeof(buf), client_priv, client_pub, server_pub, &in);
	assert_true(n > 5 + 72);
	assert_int_equal(buf[0], DERP_FRAME_CLIENT_INFO);
	assert_memory_equal(buf + 5, client_pub, 32);
	f = frame_of(buf, n);
	assert_int_equal(derp_open_client_info(&f, server_priv, got_key, &out, &why),
			 DERP_LOGIN_OK);
	assert_memory_equal(got_key, client_pub, 32);
	assert_int_equal(out.version, 2);
	assert_true(out.can_ack_pings);
	assert_false(out.is_prober);
	assert_string_equal(out.app_name, "exitgate");
	assert_string_equal(out.mesh_key, "");

	/* Any flipped bit in nonce or box: the box does not open. */
	buf[5 + 32 + 3] ^= 1;
	assert_int_equal(derp_open_client_info(&f, server_priv, got_key, &out, &why),
			 DERP_LOGIN_BAD_BOX);
	buf[5 + 32 + 3] ^= 1;
	buf[n - 1] ^= 0x80;
	assert_int_equal(derp_open_client_info(&f, server_priv, got_key, &out, &why),
			 DERP_LOGIN_BAD_BOX);
	buf[n - 1] ^= 0x80;
	/* Another client key in front: the box does not open either. */
	buf[5] ^= 1;
	assert_int_equal(derp_open_client_info(&f, server_priv, got_key, &out, &why),
			 DERP_LOGIN_BAD_BOX);
	buf[5] ^= 1;
	/* Lengths: under 72 and over 256 KiB. */
	f.length = 71;
	assert_int_equal(derp_open_client_info(&f, server_priv, got_key, &out, &why),
			 DERP_LOGIN_BAD_LENGTH);
	f.length = DERP_CLIENT_INFO_MAX + 1;
	assert_int_equal(derp_open_client_info(&f, server_priv, got_key, &out, &why),
			 DERP_LOGIN_BAD_LENGTH);
}

static void
test_client_info_json_refused(void **state)
{
	static const char *const cases[] = {
		"not json", "{\"version\":2,\"version\":2}", "{\"version\":1}", "{\"version\":2",
		"{\"version\":2,\"meshKey\":{}}",
	};
	static const int want[] = {
		DERP_LOGIN_BAD_JSON, DERP_LOGIN_BAD_JSON, DERP_LOGIN_BAD_VERSION,
		DERP_LOGIN_BAD_JSON, DERP_LOGIN_BAD_JSON,
	};
	uint8_t buf[512], got_key[32];
	struct derp_client_info out;
	struct derp_frame f;
	const char *why;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = derp_build_client_info_json(buf, sizeof(buf), client_priv, client_pub,
						       server_pub, cases[i], strlen(cases[i]));

		assert_true(n > 0);
		f = frame_of(buf, n);
		assert_int_equal(derp_open_client_info(&f, server_priv, got_key, &out, &why),
				 want[i]);
		assert_non_null(why);
	}
}

static void
test_server_info(void **state)
{
	struct derp_server_info in = {.version = 2, .token_bucket_bytes_per_second = 125000,
				      .token_bucket_bytes_burst = 250000}, out;
	uint8_t buf[DERP_SERVER_INFO_FRAME_MAX];
	struct derp_frame f;
	const char *why;
	size_t n;

	(void)state;
	n = derp_build_server_info(buf, sizeof(buf), server_priv, client_pub, &in);
	assert_true(n > 0);
	f = frame_of(buf, n);
	assert_int_equal(derp_open_server_info(&f, client_priv, server_pub, &out, &why),
			 DERP_LOGIN_OK);
	assert_int_equal(out.version, 2);
	assert_int_equal(out.token_bucket_bytes_per_second, 125000);
	assert_int_equal(out.token_bucket_bytes_burst, 250000);
	/* Opened with the wrong server key. */
	assert_int_equal(derp_open_server_info(&f, client_priv, client_pub, &out, &why),
			 DERP_LOGIN_BAD_BOX);
	/* No rate limit announced: only the version member. */
	in.token_bucket_bytes_per_second = 0;
	n = derp_build_server_info(buf, sizeof(buf), server_priv, client_pub, &in);
	assert_int_equal(n, 5 + 24 + 16 + strlen("{\"version\":2}"));
	f = frame_of(buf, n);
	assert_int_equal(derp_open_server_info(&f, client_priv, server_pub, &out, &why),
			 DERP_LOGIN_OK);
	assert_int_equal(out.token_bucket_bytes_per_second, 0);
	f.length = 10;
	assert_int_equal(derp_open_server_info(&f, client_priv, server_pub, &out, &why),
			 DERP_LOGIN_BAD_LENGTH);
}

static enum derp_http_result
parse_req(const char *text, struct derp_http_request *req)
{
	return derp_http_parse_request((const uint8_t *)text, strlen(text), req);
}

static void
test_http_request(void **state)
{
	char buf[512];
	struct derp_http_request req;
	int n;

	(void)state;
	n = derp_http_build_upgrade_request(buf, sizeof(buf), "derp.example");
	assert_true(n > 0);
	assert_int_equal(parse_req(buf, &req), DERP_HTTP_DONE);
	assert_int_equal(req.route, DERP_ROUTE_DERP);
	assert_int_equal(req.head_len, (size_t)n);
	assert_false(req.fast_start);
	/* Incomplete until the blank line. */
	assert_int_equal(derp_http_parse_request((const uint8_t *)buf, (size_t)n - 1, &req),
			 DERP_HTTP_INCOMPLETE);
	assert_int_equal(parse_req("GET /derp HTTP/1.1\r\nHost: x\r\n\r\n", &req),
			 DERP_HTTP_DONE);
	assert_int_equal(req.route, DERP_ROUTE_NO_UPGRADE);
	assert_int_equal(parse_req("GET /derp?x=1 HTTP/1.1\r\nupgrade: derp\r\n"
				   "Derp-Fast-Start: 1\r\n\r\n", &req), DERP_HTTP_DONE);
	assert_int_equal(req.route, DERP_ROUTE_DERP);
	assert_true(req.fast_start);
	assert_int_equal(parse_req("HEAD /derp/probe HTTP/1.1\r\n\r\n", &req), DERP_HTTP_DONE);
	assert_int_equal(req.route, DERP_ROUTE_PROBE);
	assert_true(req.head);
	assert_int_equal(parse_req("GET /derp/latency-check HTTP/1.1\r\n\r\n", &req),
			 DERP_HTTP_DONE);
	assert_int_equal(req.route, DERP_ROUTE_PROBE);
	assert_int_equal(parse_req("POST /derp/probe HTTP/1.1\r\n\r\n", &req), DERP_HTTP_DONE);
	assert_int_equal(req.route, DERP_ROUTE_BAD_METHOD);
	assert_int_equal(parse_req("GET / HTTP/1.1\r\n\r\n", &req), DERP_HTTP_DONE);
	assert_int_equal(req.route, DERP_ROUTE_NOT_FOUND);
	assert_int_equal(parse_req("GET /derpx HTTP/1.1\r\n\r\n", &req), DERP_HTTP_DONE);
	assert_int_equal(req.route, DERP_ROUTE_NOT_FOUND);
	assert_int_equal(parse_req("GET /derp HTTP/1.0\r\n\r\n", &req), DERP_HTTP_BAD);
	assert_int_equal(parse_req("GET /derp HTTP/1.1\r\nbad header\r\n\r\n", &req),
			 DERP_HTTP_BAD);
	assert_int_equal(parse_req("\x16\x03\x01\x02\x01\r\n\r\n", &req), DERP_HTTP_BAD);
	memset(buf, 'a', sizeof(buf));
	{
		uint8_t big[DERP_HTTP_HEAD_MAX + 10];

		memset(big, 'a', sizeof(big));
		assert_int_equal(derp_http_parse_request(big, sizeof(big), &req),
				 DERP_HTTP_TOO_LONG);
	}
	assert_int_equal(derp_http_build_upgrade_request(buf, sizeof(buf), "a\r\nb"), -1);

	req.route = DERP_ROUTE_PROBE;
	req.head = false;
	n = derp_http_build_answer(buf, sizeof(buf), &req);
	assert_true(n > 0);
	assert_memory_equal(buf, "HTTP/1.1 200 OK\r\n", 17);
	req.route = DERP_ROUTE_NOT_FOUND;
	n = derp_http_build_answer(buf, sizeof(buf), &req);
	assert_memory_equal(buf, "HTTP/1.1 404 ", 13);
}

static void
test_http_response(void **state)
{
	char buf[512];
	struct derp_http_response resp;
	int n;

	(void)state;
	n = derp_http_build_switching(buf, sizeof(buf), server_pub);
	assert_true(n > 0);
	/* Frames right behind the head stay unread. */
	memcpy(buf + n, "\x01\x00\x00\x00\x28", 5);
	assert_int_equal(derp_http_parse_response((uint8_t *)buf, (size_t)n + 5, &resp),
			 DERP_HTTP_DONE);
	assert_int_equal(resp.status, 101);
	assert_int_equal(resp.derp_version, 2);
	assert_int_equal(resp.head_len, (size_t)n);
	assert_true(resp.has_key);
	assert_memory_equal(resp.server_key, server_pub, 32);
	strcpy(buf, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
	assert_int_equal(derp_http_parse_response((uint8_t *)buf, strlen(buf), &resp),
			 DERP_HTTP_DONE);
	assert_int_equal(resp.status, 404);
	assert_false(resp.has_key);
	strcpy(buf, "HTTP/1.1 101 x\r\nDerp-Public-Key: 00zz\r\n\r\n");
	assert_int_equal(derp_http_parse_response((uint8_t *)buf, strlen(buf), &resp),
			 DERP_HTTP_BAD);
	strcpy(buf, "SSH-2.0-OpenSSH\r\n\r\n");
	assert_int_equal(derp_http_parse_response((uint8_t *)buf, strlen(buf), &resp),
			 DERP_HTTP_BAD);
}

static void
test_pin(void **state)
{
	uint8_t digest[32], back[32];
	char text[DERP_PIN_TEXT_LEN];

	(void)state;
	for (int i = 0; i < 32; i++)
		digest[i] = (uint8_t)(i * 9);
	derp_pin_format(digest, text);
	assert_int_equal(strlen(text), 75);
	assert_memory_equal(text, "sha256-raw:0009121b", 19);
	assert_int_equal(derp_pin_parse(text, back), 1);
	assert_memory_equal(back, digest, 32);
	assert_int_equal(derp_pin_parse("", back), 0);
	assert_int_equal(derp_pin_parse("derp.example.com", back), 0);
	assert_int_equal(derp_pin_parse("sha256-raw:abcd", back), -1);
	text[20] = 'x';
	assert_int_equal(derp_pin_parse(text, back), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_accepts),
		cmocka_unit_test(test_json_refuses),
		cmocka_unit_test(test_json_writer),
		cmocka_unit_test(test_client_info),
		cmocka_unit_test(test_client_info_json_refused),
		cmocka_unit_test(test_server_info),
		cmocka_unit_test(test_http_request),
		cmocka_unit_test(test_http_response),
		cmocka_unit_test(test_pin),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
