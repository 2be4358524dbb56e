/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ts2021 framing under libFuzzer, as the client reads a server:
 *   byte 0: bit 0 zstd map stream; bit 1 the rest is raw wire bytes (hostile records), else it
 *   is the plaintext stream, sealed here into records with a fixed key at lengths the input
 *   picks; bit 2 flips one bit of the sealed wire (the reader must fail and stay failed);
 *   byte 1: the size of the reads the wire is cut into.
 * The plaintext that comes out goes through the early payload, then the map stream's framing
 * (and zstd), then the MapResponse parser, exactly the client's pipeline. The same input also
 * goes to the HTTP/1.1 head and body parsers, the URL parser and the Noise response parser.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tailnet_delta.h"
#include "tailnet_json.h"
#include "tailnet_mapstream.h"
#include "ts2021_http.h"
#include "ts2021_noise.h"
#include "ts2021_record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t fuzz_key[32] = {7, 7, 7};

/* The client's pipeline below HTTP/2; the early payload's remainder stands in for h2 bytes. */
struct pipeline {
	struct ts2021_early early;
	struct tailnet_mapstream map;
	bool failed;
};

static void
plaintext_in(struct pipeline *p, const uint8_t *data, size_t len)
{
	struct tailnet_parse_counters counters = {0};
	char why[TAILNET_WHY_MAX];

	if (p->failed)
		return;
	if (!p->early.done) {
		enum ts2021_early_result e = ts2021_early_feed(&p->early, &data, &len);

		if (e < 0) {
			p->failed = true;
			return;
		}
		if (e == TS2021_EARLY_MORE)
			return;
	}
	while (len > 0) {
		const char *json;
		size_t json_len;
		struct tailnet_delta d;
		enum tailnet_mapstream_result r =
			tailnet_mapstream_next(&p->map, &data, &len, &json, &json_len);

		if (r == TAILNET_MAPSTREAM_MORE)
			return;
		if (r < 0) {
			p->failed = true;
			return;
		}
		if (tailnet_json_parse_map(json, json_len, &d, &counters, why) == 0)
			tailnet_delta_free(&d);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ts2021_cipher tx = {0}, rx = {0};
	struct ts2021_reader reader;
	struct pipeline p = {0};
	struct ts2021_http_response resp;
	struct http_url url;
	uint8_t plain[TS2021_PLAINTEXT_MAX], *wire, *decoded;
	const uint8_t *body;
	size_t wire_len = 0, piece, body_len;
	const char *why;
	char *text;
	bool failed = false;
	uint8_t flags;

	if (size < 2)
		return 0;
	flags = data[0];
	piece = (size_t)data[1] * 13 + 1;
	data += 2;
	size -= 2;
	memcpy(tx.key, fuzz_key, 32);
	memcpy(rx.key, fuzz_key, 32);
	ts2021_early_init(&p.early);
	tailnet_mapstream_init(&p.map, flags & 1);

	/* the wire */
	/* every record holds at least one byte: at most size records */
	wire = malloc((size + 1) * (1 + TS2021_HEADER_LEN + TS2021_TAG_LEN));
	if (wire == NULL)
		return 0;
	if (flags & 2) {
		memcpy(wire, data, size);
		wire_len = size;
	} else {
		/* record lengths cycle through the input's own bytes */
		for (size_t at = 0, i = 0; at < size; i++) {
			size_t n = 1 + (size_t)data[i % size] * 17 % TS2021_PLAINTEXT_MAX;

			if (n > size - at)
				n = size - at;
			wire_len += ts2021_record_seal(&tx, wire + wire_len, data + at, n);
			at += n;
		}
		if ((flags & 4) && wire_len > 0)
			wire[(size_t)data[0] * 31 % wire_len] ^= (uint8_t)(1u << (flags >> 5));
	}
	/* read it back in pieces */
	ts2021_reader_init(&reader);
	for (size_t at = 0; at < wire_len && !failed; at += piece) {
		const uint8_t *q = wire + at;
		size_t n = wire_len - at < piece ? wire_len - at : piece, plain_len;

		while (n > 0) {
			enum ts2021_read_result r =
				ts2021_reader_next(&reader, &rx, &q, &n, plain, &plain_len);

			if (r == TS2021_READ_MORE)
				break;
			if (r < 0) {
				failed = true;
				/* once failed, always failed */
				if (ts2021_reader_next(&reader, &rx, &q, &n, plain, &plain_len) >= 0)
					abort();
				break;
			}
			if (plain_len > TS2021_PLAINTEXT_MAX)
				abort();
			plaintext_in(&p, plain, plain_len);
		}
	}
	/* sealed and unharmed, the plaintext must come back whole */
	if (!(flags & 6) && failed)
		abort();
	free(wire);
	ts2021_early_free(&p.early);
	tailnet_mapstream_free(&p.map);

	/* the HTTP/1.1 parsers and the Noise response framing on the same bytes */
	if (ts2021_http_parse_response(data, size, &resp) == TS2021_HTTP_DONE) {
		decoded = malloc(TS2021_HTTP_BODY_MAX);
		if (decoded != NULL) {
			ts2021_http_body(&resp, data + resp.head_len, size - resp.head_len,
					 flags & 8, decoded, &body, &body_len);
			free(decoded);
		}
		ts2021_response_length(data + resp.head_len, size - resp.head_len);
	}
	text = malloc(size + 1);
	if (text != NULL) {
		memcpy(text, data, size);
		text[size] = '\0';
		http_url_parse(text, &url, &why);
		free(text);
	}
	return 0;
}
