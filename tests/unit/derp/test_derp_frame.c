/* SPDX-License-Identifier: BSD-3-Clause */
/* DERP frame builders and parsers for every frame type, and the incremental reader. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "derp_proto.h"

static uint8_t key_a[DERP_KEY_LEN], key_b[DERP_KEY_LEN];

static int
setup_keys(void **state)
{
	(void)state;
	for (int i = 0; i < DERP_KEY_LEN; i++) {
		key_a[i] = (uint8_t)(i + 1);
		key_b[i] = (uint8_t)(0xf0 - i);
	}
	return 0;
}

/* Reads exactly one frame from a buffer holding exactly one. */
static void
read_one(const uint8_t *buf, size_t len, struct derp_reader *r, struct derp_frame *f)
{
	const uint8_t *p = buf;
	size_t left = len;

	assert_int_equal(derp_reader_next(r, &p, &left, f), DERP_READ_FRAME);
	assert_int_equal(left, 0);
	assert_int_equal(f->length, len - DERP_FRAME_HEADER_LEN);
}

static void
test_header_layout(void **state)
{
	uint8_t h[DERP_FRAME_HEADER_LEN];

	(void)state;
	derp_frame_header(h, DERP_FRAME_SEND_PACKET, 0x01020304);
	assert_int_equal(h[0], 0x04);
	assert_int_equal(h[1], 0x01);
	assert_int_equal(h[2], 0x02);
	assert_int_equal(h[3], 0x03);
	assert_int_equal(h[4], 0x04);
	assert_int_equal(derp_magic[0], 0x44);
	assert_int_equal(derp_magic[7], 0x91);
	assert_string_equal(derp_frame_type_name(DERP_FRAME_RESTARTING), "Restarting");
	assert_string_equal(derp_frame_type_name(0x7f), "unknown");
}

static void
test_every_frame_type(void **state)
{
	uint8_t buf[256], pkt[100], got_key[DERP_KEY_LEN], ping[DERP_PING_LEN] = {1, 2, 3, 4, 5,
										  6, 7, 8};
	uint8_t ip[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 1}, echo[8];
	struct derp_reader r;
	struct derp_frame f;
	struct derp_packet_view pv;
	struct derp_forward_view fv;
	struct derp_peer_present_view pp;
	enum derp_peer_gone_reason reason;
	const uint8_t *peer;
	uint32_t a, b;
	bool pref;
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(pkt); i++)
		pkt[i] = (uint8_t)(i * 7);
	derp_reader_init(&r, DERP_MAX_FRAME_LEN);

	n = derp_build_server_key(buf, sizeof(buf), key_a);
	assert_int_equal(n, 5 + 40);
	assert_int_equal(buf[0], DERP_FRAME_SERVER_KEY);
	assert_memory_equal(buf + 5, derp_magic, 8);
	read_one(buf, n, &r, &f);
	assert_int_equal(derp_parse_server_key(&f, got_key), 0);
	assert_memory_equal(got_key, key_a, DERP_KEY_LEN);
	buf[5] ^= 1; /* bad magic */
	read_one(buf, n, &r, &f);
	assert_int_equal(derp_parse_server_key(&f, got_key), -1);

	n = derp_build_send_packet(buf, sizeof(buf), key_b, pkt, sizeof(pkt));
	assert_int_equal(n, 5 + 32 + 100);
	read_one(buf, n, &r, &f);
	assert_int_equal(f.type, DERP_FRAME_SEND_PACKET);
	assert_int_equal(derp_parse_packet(&f, &pv), 0);
	assert_memory_equal(pv.key, key_b, DERP_KEY_LEN);
	assert_int_equal(pv.packet_len, 100);
	assert_memory_equal(pv.packet, pkt, 100);

	n = derp_build_recv_packet(buf, sizeof(buf), key_a, pkt, 0);
	assert_int_equal(n, 5 + 32);
	read_one(buf, n, &r, &f);
	assert_int_equal(f.type, DERP_FRAME_RECV_PACKET);
	assert_int_equal(derp_parse_packet(&f, &pv), 0);
	assert_int_equal(pv.packet_len, 0);

	n = derp_build_forward_packet(buf, sizeof(buf), key_a, key_b, pkt, 10);
	assert_int_equal(n, 5 + 64 + 10);
	read_one(buf, n, &r, &f);
	assert_int_equal(derp_parse_forward_packet(&f, &fv), 0);
	assert_memory_equal(fv.src, key_a, 32);
	assert_memory_equal(fv.dst, key_b, 32);
	assert_int_equal(fv.packet_len, 10);

	n = derp_build_keep_alive(buf, sizeof(buf));
	assert_int_equal(n, 5);
	read_one(buf, n, &r, &f);
	assert_int_equal(f.type, DERP_FRAME_KEEP_ALIVE);

	n = derp_build_note_preferred(buf, sizeof(buf), true);
	read_one(buf, n, &r, &f);
	assert_int_equal(derp_parse_note_preferred(&f, &pref), 0);
	assert_true(pref);

	n = derp_build_peer_gone(buf, sizeof(buf), key_b, DERP_PEER_GONE_NOT_HERE);
	assert_int_equal(n, 5 + 33);
	read_one(buf, n, &r, &f);
	assert_int_equal(derp_parse_peer_gone(&f, &peer, &reason), 0);
	assert_memory_equal(peer, key_b, 32);
	assert_int_equal(reason, DERP_PEER_GONE_NOT_HERE);
	/* Without the reason byte (older servers): disconnected. */
	f.length = DERP_KEY_LEN;
	assert_int_equal(derp_parse_peer_gone(&f, &peer, &reason), 0);
	assert_int_equal(reason, DERP_PEER_GONE_DISCONNECTED);

	n = derp_build_peer_present(buf, sizeof(buf), key_a, ip, 41641, 3);
	assert_int_equal(n, 5 + 32 + 16 + 2 + 1);
	read_one(buf, n, &r, &f);
	assert_int_equal(derp_parse_peer_present(&f, &pp), 0);
	assert_true(pp.has_endpoint);
	assert_int_equal(pp.port, 41641);
	assert_int_equal(pp.flags, 3);
	assert_memory_equal(pp.ip, ip, 16);

	n = derp_build_watch_conns(buf, sizeof(buf));
	read_one(buf, n, &r, &f);
	assert_int_equal(f.type, DERP_FRAME_WATCH_CONNS);
	assert_int_equal(f.length, 0);

	n = derp_build_close_peer(buf, sizeof(buf), key_b);
	read_one(buf, n, &r, &f);
	assert_int_equal(derp_parse_close_peer(&f, &peer), 0);
	assert_memory_equal(peer, key_b, 32);

	n = derp_build_ping(buf, sizeof(buf), ping);
	read_one(buf, n, &r, &f);
	assert_int_equal(f.type, DERP_FRAME_PING);
	assert_int_equal(derp_parse_ping(&f, echo), 0);
	assert_memory_equal(echo, ping, 8);
	n = derp_build_pong(buf, sizeof(buf), ping);
	read_one(buf, n, &r, &f);
	assert_int_equal(f.type, DERP_FRAME_PONG);
	assert_int_equal(derp_parse_ping(&f, echo), 0);

	n = derp_build_health(buf, sizeof(buf), "duplicate client");
	read_one(buf, n, &r, &f);
	assert_int_equal(f.type, DERP_FRAME_HEALTH);
	assert_int_equal(f.length, 16);
	assert_memory_equal(f.payload, "duplicate client", 16);
	n = derp_build_health(buf, sizeof(buf), "");
	assert_int_equal(n, 5);

	n = derp_build_restarting(buf, sizeof(buf), 1500, 60000);
	assert_int_equal(n, 13);
	read_one(buf, n, &r, &f);
	assert_int_equal(derp_parse_restarting(&f, &a, &b), 0);
	assert_int_equal(a, 1500);
	assert_int_equal(b, 60000);

	/* Too small buffers and oversized packets build nothing. */
	assert_int_equal(derp_build_send_packet(buf, 5 + 32 + 99, key_b, pkt, 100), 0);
	assert_int_equal(derp_build_send_packet(buf, sizeof(buf), key_b, pkt,
						DERP_MAX_PACKET_LEN + 1), 0);
	derp_reader_free(&r);
}

static void
test_short_payloads_refused(void **state)
{
	uint8_t zero[64] = {0}, got[32], echo[8];
	struct derp_frame f = {.payload = zero};
	struct derp_packet_view pv;
	const uint8_t *peer;
	enum derp_peer_gone_reason reason;
	uint32_t a, b;
	bool pref;

	(void)state;
	f.type = DERP_FRAME_SEND_PACKET;
	f.length = 31;
	assert_int_equal(derp_parse_packet(&f, &pv), -1);
	f.length = 0;
	assert_int_equal(derp_parse_packet(&f, &pv), -1);
	f.type = DERP_FRAME_SERVER_KEY;
	f.length = 39;
	assert_int_equal(derp_parse_server_key(&f, got), -1);
	f.type = DERP_FRAME_PEER_GONE;
	f.length = 0;
	assert_int_equal(derp_parse_peer_gone(&f, &peer, &reason), -1);
	f.type = DERP_FRAME_PING;
	f.length = 7;
	assert_int_equal(derp_parse_ping(&f, echo), -1);
	f.type = DERP_FRAME_RESTARTING;
	assert_int_equal(derp_parse_restarting(&f, &a, &b), -1);
	f.type = DERP_FRAME_NOTE_PREFERRED;
	f.length = 0;
	assert_int_equal(derp_parse_note_preferred(&f, &pref), -1);
	/* A parser refuses a frame of another type. */
	f.type = DERP_FRAME_PONG;
	f.length = 40;
	assert_int_equal(derp_parse_server_key(&f, got), -1);
	assert_int_equal(derp_frame_min_length(DERP_FRAME_SEND_PACKET), 32);
	assert_int_equal(derp_frame_min_length(DERP_FRAME_CLIENT_INFO), 72);
	assert_int_equal(derp_frame_min_length(DERP_FRAME_KEEP_ALIVE), 0);
	assert_int_equal(derp_frame_min_length(0xee), 0);
}

/* Three frames fed one byte at a time, then in every two-way split. */
static void
test_reader_partial(void **state)
{
	uint8_t stream[2048], pkt[1000];
	size_t len = 0, n;
	struct derp_reader r;
	struct derp_frame f;
	int frames;

	(void)state;
	for (size_t i = 0; i < sizeof(pkt); i++)
		pkt[i] = (uint8_t)(i ^ 0x5a);
	len += derp_build_send_packet(stream + len, sizeof(stream) - len, key_a, pkt, 1000);
	len += derp_build_keep_alive(stream + len, sizeof(stream) - len);
	len += derp_build_peer_gone(stream + len, sizeof(stream) - len, key_b,
				    DERP_PEER_GONE_DISCONNECTED);
	assert_int_equal(len, 1037 + 5 + 38);

	derp_reader_init(&r, DERP_MAX_FRAME_LEN);
	frames = 0;
	for (size_t i = 0; i < len; i++) {
		const uint8_t *p = stream + i;
		size_t left = 1;

		while (left > 0) {
			enum derp_read_result rr = derp_reader_next(&r, &p, &left, &f);

			if (rr == DERP_READ_MORE)
				break;
			assert_int_equal(rr, DERP_READ_FRAME);
			frames++;
			if (frames == 1) {
				assert_int_equal(f.type, DERP_FRAME_SEND_PACKET);
				assert_int_equal(f.length, 1032);
				assert_memory_equal(f.payload + 32, pkt, 1000);
			} else if (frames == 2) {
				assert_int_equal(f.type, DERP_FRAME_KEEP_ALIVE);
				assert_int_equal(f.length, 0);
			} else {
				assert_int_equal(f.type, DERP_FRAME_PEER_GONE);
				assert_memory_equal(f.payload, key_b, 32);
			}
		}
		/* Mid-frame the reader is busy; trimming then keeps the buffer. */
		if (i == 600) {
			assert_true(derp_reader_busy(&r));
			derp_reader_trim(&r);
			assert_non_null(r.buf);
		}
	}
	assert_int_equal(frames, 3);
	assert_false(derp_reader_busy(&r));
	derp_reader_trim(&r);
	assert_null(r.buf);

	for (size_t split = 0; split <= len; split++) {
		const uint8_t *p = stream;
		size_t left = split;

		frames = 0;
		for (int part = 0; part < 2; part++) {
			for (;;) {
				enum derp_read_result rr = derp_reader_next(&r, &p, &left, &f);

				if (rr == DERP_READ_MORE)
					break;
				assert_int_equal(rr, DERP_READ_FRAME);
				frames++;
				if (f.type == DERP_FRAME_SEND_PACKET)
					assert_memory_equal(f.payload + 32, pkt, 1000);
			}
			assert_int_equal(left, 0);
			p = stream + split;
			left = len - split;
		}
		assert_int_equal(frames, 3);
	}
	n = r.buf_cap;
	assert_true(n >= 1032);
	derp_reader_free(&r);
}

static void
test_reader_limits(void **state)
{
	uint8_t hdr[DERP_FRAME_HEADER_LEN];
	struct derp_reader r;
	struct derp_frame f;
	const uint8_t *p;
	size_t left;

	(void)state;
	derp_reader_init(&r, DERP_MAX_FRAME_LEN);
	/* 0xffffffff refused at once, without waiting for (or allocating) a payload. */
	derp_frame_header(hdr, DERP_FRAME_SEND_PACKET, 0xffffffffu);
	p = hdr;
	left = sizeof(hdr);
	assert_int_equal(derp_reader_next(&r, &p, &left, &f), DERP_READ_TOO_LONG);
	assert_null(r.buf);
	derp_reader_free(&r);

	/* One byte over the limit, split header. */
	derp_reader_init(&r, DERP_MAX_FRAME_LEN);
	derp_frame_header(hdr, DERP_FRAME_SEND_PACKET, DERP_MAX_FRAME_LEN + 1);
	p = hdr;
	left = 2;
	assert_int_equal(derp_reader_next(&r, &p, &left, &f), DERP_READ_MORE);
	left = 3;
	assert_int_equal(derp_reader_next(&r, &p, &left, &f), DERP_READ_TOO_LONG);
	derp_reader_free(&r);

	/* Exactly at the limit is accepted (only the header is offered here). */
	derp_reader_init(&r, DERP_MAX_FRAME_LEN);
	derp_frame_header(hdr, DERP_FRAME_FORWARD_PACKET, DERP_MAX_FRAME_LEN);
	p = hdr;
	left = sizeof(hdr);
	assert_int_equal(derp_reader_next(&r, &p, &left, &f), DERP_READ_MORE);
	assert_true(derp_reader_busy(&r));
	derp_reader_free(&r);

	/* The login limit: a 256 KiB ClientInfo passes a reader set for it, one more does not. */
	derp_reader_init(&r, DERP_CLIENT_INFO_MAX);
	derp_frame_header(hdr, DERP_FRAME_CLIENT_INFO, DERP_CLIENT_INFO_MAX + 1);
	p = hdr;
	left = sizeof(hdr);
	assert_int_equal(derp_reader_next(&r, &p, &left, &f), DERP_READ_TOO_LONG);
	derp_reader_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_layout),
		cmocka_unit_test(test_every_frame_type),
		cmocka_unit_test(test_short_payloads_refused),
		cmocka_unit_test(test_reader_partial),
		cmocka_unit_test(test_reader_limits),
	};

	return cmocka_run_group_tests(tests, setup_keys, NULL);
}
