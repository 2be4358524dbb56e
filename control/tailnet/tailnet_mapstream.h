/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The body of a /machine/map response: messages of u32 LE length + payload, the payload one
 * self-contained zstd frame when the request asked for Compress "zstd", raw JSON otherwise
 * (tailnet.md §2.3). The reader takes DATA as HTTP/2 delivers it, in any pieces.
 *
 * Bounds: a message over TAILNET_MAP_MESSAGE_MAX on the wire, or a zstd frame that does not
 * declare its content size, declares more than TAILNET_MAP_JSON_MAX, is not exactly one frame
 * or does not decode to the size it declared, is refused (the connection is then closed).
 */
#ifndef EXITGATE_TAILNET_MAPSTREAM_H
#define EXITGATE_TAILNET_MAPSTREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
	TAILNET_MAP_MESSAGE_MAX = 8 << 20,
	TAILNET_MAP_JSON_MAX = 16 << 20,
};

enum tailnet_mapstream_result {
	TAILNET_MAPSTREAM_MORE = 0,
	TAILNET_MAPSTREAM_MESSAGE = 1, /* *json / *json_len hold one message (NUL-terminated) */
	TAILNET_MAPSTREAM_TOO_LONG = -1,
	TAILNET_MAPSTREAM_BAD_ZSTD = -2,
	TAILNET_MAPSTREAM_NOMEM = -3,
};

struct tailnet_mapstream {
	bool zstd;
	uint8_t header[4];
	size_t header_have;
	uint32_t length;
	uint8_t *payload;
	size_t payload_have;
	size_t payload_cap;
	char *json;     /* decoded message, owned here until the next call */
	size_t json_cap;
	void *dctx; /* a ZSTD_DCtx, made on the first zstd message */
	bool failed;
};

void tailnet_mapstream_init(struct tailnet_mapstream *m, bool zstd);
void tailnet_mapstream_free(struct tailnet_mapstream *m);
/*
 * Take bytes from *data and *len until a message is whole; then return it (valid until the next
 * call). Call again with the rest until TAILNET_MAPSTREAM_MORE.
 */
enum tailnet_mapstream_result tailnet_mapstream_next(struct tailnet_mapstream *m,
						     const uint8_t **data, size_t *len,
						     const char **json, size_t *json_len);
const char *tailnet_mapstream_result_name(enum tailnet_mapstream_result r);

/* One zstd frame to JSON with the rules above; out grows as needed (*out_cap). Shared with the
 * fuzz target. */
enum tailnet_mapstream_result tailnet_zstd_decode(void *dctx, const uint8_t *in, size_t len,
						  char **out, size_t *out_cap, size_t *out_len);

#endif
