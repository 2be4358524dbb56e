/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdlib.h>
#include <string.h>

#include <zstd.h>

#include "tailnet_mapstream.h"

enum {
	/* zstd's window may not exceed what a 16 MiB message needs */
	ZSTD_WINDOW_LOG_MAX = 24,
};

void
tailnet_mapstream_init(struct tailnet_mapstream *m, bool zstd)
{
	memset(m, 0, sizeof(*m));
	m->zstd = zstd;
}

void
tailnet_mapstream_free(struct tailnet_mapstream *m)
{
	free(m->payload);
	free(m->json);
	ZSTD_freeDCtx(m->dctx);
	memset(m, 0, sizeof(*m));
}

const char *
tailnet_mapstream_result_name(enum tailnet_mapstream_result r)
{
	switch (r) {
	case TAILNET_MAPSTREAM_MORE:
		return "more";
	case TAILNET_MAPSTREAM_MESSAGE:
		return "message";
	case TAILNET_MAPSTREAM_TOO_LONG:
		return "map message over its size limit";
	case TAILNET_MAPSTREAM_BAD_ZSTD:
		return "map message is not one valid zstd frame";
	case TAILNET_MAPSTREAM_NOMEM:
		return "out of memory";
	}
	return "unknown";
}

static bool
reserve(char **buf, size_t *cap, size_t need)
{
	char *grown;

	if (*cap >= need)
		return true;
	grown = realloc(*buf, need);
	if (grown == NULL)
		return false;
	*buf = grown;
	*cap = need;
	return true;
}

enum tailnet_mapstream_result
tailnet_zstd_decode(void *dctx, const uint8_t *in, size_t len, char **out, size_t *out_cap,
		    size_t *out_len)
{
	unsigned long long size = ZSTD_getFrameContentSize(in, len);
	size_t n;

	if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN)
		return TAILNET_MAPSTREAM_BAD_ZSTD;
	if (size > TAILNET_MAP_JSON_MAX)
		return TAILNET_MAPSTREAM_TOO_LONG;
	/* exactly one frame: nothing hides after it */
	if (ZSTD_findFrameCompressedSize(in, len) != len)
		return TAILNET_MAPSTREAM_BAD_ZSTD;
	if (!reserve(out, out_cap, (size_t)size + 1))
		return TAILNET_MAPSTREAM_NOMEM;
	n = ZSTD_decompressDCtx(dctx, *out, (size_t)size, in, len);
	if (ZSTD_isError(n) || n != size)
		return TAILNET_MAPSTREAM_BAD_ZSTD;
	(*out)[n] = '\0';
	*out_len = n;
	return TAILNET_MAPSTREAM_MESSAGE;
}

static enum tailnet_mapstream_result
fail(struct tailnet_mapstream *m, enum tailnet_mapstream_result r)
{
	m->failed = true;
	return r;
}

enum tailnet_mapstream_result
tailnet_mapstream_next(struct tailnet_mapstream *m, const uint8_t **data, size_t *len,
		       const char **json, size_t *json_len)
{
	enum tailnet_mapstream_result r;
	size_t take;

	if (m->failed)
		return TAILNET_MAPSTREAM_BAD_ZSTD;
	if (m->header_have < 4) {
		take = 4 - m->header_have;
		if (take > *len)
			take = *len;
		memcpy(m->header + m->header_have, *data, take);
		m->header_have += take;
		*data += take;
		*len -= take;
		if (m->header_have < 4)
			return TAILNET_MAPSTREAM_MORE;
		m->length = (uint32_t)m->header[0] | (uint32_t)m->header[1] << 8 |
			    (uint32_t)m->header[2] << 16 | (uint32_t)m->header[3] << 24;
		if (m->length > (m->zstd ? TAILNET_MAP_MESSAGE_MAX : TAILNET_MAP_JSON_MAX))
			return fail(m, TAILNET_MAPSTREAM_TOO_LONG);
		/* one byte more for the NUL of a raw JSON message */
		if (!reserve((char **)&m->payload, &m->payload_cap, (size_t)m->length + 1))
			return fail(m, TAILNET_MAPSTREAM_NOMEM);
		m->payload_have = 0;
	}
	take = m->length - m->payload_have;
	if (take > *len)
		take = *len;
	memcpy(m->payload + m->payload_have, *data, take);
	m->payload_have += take;
	*data += take;
	*len -= take;
	if (m->payload_have < m->length)
		return TAILNET_MAPSTREAM_MORE;
	m->header_have = 0;
	if (!m->zstd) {
		m->payload[m->length] = '\0';
		*json = (const char *)m->payload;
		*json_len = m->length;
		return TAILNET_MAPSTREAM_MESSAGE;
	}
	if (m->dctx == NULL) {
		m->dctx = ZSTD_createDCtx();
		if (m->dctx == NULL ||
		    ZSTD_isError(ZSTD_DCtx_setParameter(m->dctx, ZSTD_d_windowLogMax,
							ZSTD_WINDOW_LOG_MAX)))
			return fail(m, TAILNET_MAPSTREAM_NOMEM);
	}
	r = tailnet_zstd_decode(m->dctx, m->payload, m->length, &m->json, &m->json_cap, json_len);
	if (r != TAILNET_MAPSTREAM_MESSAGE)
		return fail(m, r);
	*json = m->json;
	return r;
}
