/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "ts2021_record.h"

const uint8_t ts2021_early_magic[5] = {0xff, 0xff, 0xff, 'T', 'S'};

size_t
ts2021_record_seal(struct ts2021_cipher *tx, uint8_t *out, const uint8_t *plaintext, size_t len)
{
	size_t body = len + TS2021_TAG_LEN;

	if (len > TS2021_PLAINTEXT_MAX || ts2021_cipher_seal(tx, out + TS2021_HEADER_LEN,
							     plaintext, len) < 0)
		return 0;
	out[0] = TS2021_MSG_RECORD;
	out[1] = (uint8_t)(body >> 8);
	out[2] = (uint8_t)body;
	return TS2021_HEADER_LEN + body;
}

void
ts2021_reader_init(struct ts2021_reader *r)
{
	r->have = 0;
	r->failed = false;
}

const char *
ts2021_read_result_name(enum ts2021_read_result r)
{
	switch (r) {
	case TS2021_READ_MORE:
		return "more";
	case TS2021_READ_RECORD:
		return "record";
	case TS2021_READ_BAD_TYPE:
		return "record of an unexpected type";
	case TS2021_READ_TOO_LONG:
		return "record over 4096 bytes";
	case TS2021_READ_BAD_RECORD:
		return "record does not decrypt";
	case TS2021_READ_EXHAUSTED:
		return "receive nonces exhausted";
	}
	return "unknown";
}

static enum ts2021_read_result
reader_fail(struct ts2021_reader *r, enum ts2021_read_result why)
{
	r->failed = true;
	r->have = 0;
	return why;
}

/* Copy up to want bytes into the record buffer; true when it then holds want bytes. */
static bool
fill(struct ts2021_reader *r, size_t want, const uint8_t **data, size_t *len)
{
	size_t take = want - r->have;

	if (take > *len)
		take = *len;
	memcpy(r->buf + r->have, *data, take);
	r->have += take;
	*data += take;
	*len -= take;
	return r->have == want;
}

enum ts2021_read_result
ts2021_reader_next(struct ts2021_reader *r, struct ts2021_cipher *rx, const uint8_t **data,
		   size_t *len, uint8_t *plaintext, size_t *plaintext_len)
{
	size_t total;

	*plaintext_len = 0;
	if (r->failed)
		return TS2021_READ_BAD_RECORD;
	if (r->have < TS2021_HEADER_LEN && !fill(r, TS2021_HEADER_LEN, data, len))
		return TS2021_READ_MORE;
	if (r->buf[0] != TS2021_MSG_RECORD)
		return reader_fail(r, TS2021_READ_BAD_TYPE);
	total = TS2021_HEADER_LEN + ((size_t)r->buf[1] << 8 | r->buf[2]);
	if (total > TS2021_RECORD_MAX)
		return reader_fail(r, TS2021_READ_TOO_LONG);
	if (total < TS2021_HEADER_LEN + TS2021_TAG_LEN)
		return reader_fail(r, TS2021_READ_BAD_RECORD);
	if (!fill(r, total, data, len))
		return TS2021_READ_MORE;
	if (rx->counter == UINT64_MAX)
		return reader_fail(r, TS2021_READ_EXHAUSTED);
	if (ts2021_cipher_open(rx, plaintext, r->buf + TS2021_HEADER_LEN,
			       total - TS2021_HEADER_LEN) < 0)
		return reader_fail(r, TS2021_READ_BAD_RECORD);
	*plaintext_len = total - TS2021_HEADER_LEN - TS2021_TAG_LEN;
	r->have = 0;
	return TS2021_READ_RECORD;
}

void
ts2021_early_init(struct ts2021_early *e)
{
	memset(e, 0, sizeof(*e));
}

void
ts2021_early_free(struct ts2021_early *e)
{
	free(e->json);
	memset(e, 0, sizeof(*e));
}

enum ts2021_early_result
ts2021_early_feed(struct ts2021_early *e, const uint8_t **data, size_t *len)
{
	size_t take;

	if (e->failed != 0)
		return (enum ts2021_early_result)e->failed;
	if (e->done)
		return TS2021_EARLY_DONE;
	if (e->header_have < TS2021_EARLY_HEADER_LEN) {
		take = TS2021_EARLY_HEADER_LEN - e->header_have;
		if (take > *len)
			take = *len;
		memcpy(e->header + e->header_have, *data, take);
		e->header_have += take;
		*data += take;
		*len -= take;
		if (e->header_have < TS2021_EARLY_HEADER_LEN)
			return TS2021_EARLY_MORE;
		if (memcmp(e->header, ts2021_early_magic, sizeof(ts2021_early_magic)) != 0) {
			e->done = true;
			return TS2021_EARLY_DONE;
		}
		e->has_payload = true;
		e->json_len = (uint32_t)e->header[5] << 24 | (uint32_t)e->header[6] << 16 |
			      (uint32_t)e->header[7] << 8 | e->header[8];
		if (e->json_len > TS2021_EARLY_JSON_MAX) {
			e->failed = TS2021_EARLY_TOO_LONG;
			return TS2021_EARLY_TOO_LONG;
		}
		e->json = malloc((size_t)e->json_len + 1);
		if (e->json == NULL) {
			e->failed = TS2021_EARLY_NOMEM;
			return TS2021_EARLY_NOMEM;
		}
	}
	take = e->json_len - e->json_have;
	if (take > *len)
		take = *len;
	memcpy(e->json + e->json_have, *data, take);
	e->json_have += take;
	*data += take;
	*len -= take;
	if (e->json_have < e->json_len)
		return TS2021_EARLY_MORE;
	e->json[e->json_len] = '\0';
	e->done = true;
	return TS2021_EARLY_DONE;
}
