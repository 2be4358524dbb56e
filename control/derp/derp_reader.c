/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdlib.h>
#include <string.h>

#include "derp_proto.h"

void
derp_reader_init(struct derp_reader *r, uint32_t max_length)
{
	memset(r, 0, sizeof(*r));
	r->max_length = max_length;
}

bool
derp_reader_busy(const struct derp_reader *r)
{
	return r->header_have > 0 || r->in_payload;
}

void
derp_reader_trim(struct derp_reader *r)
{
	if (derp_reader_busy(r))
		return;
	free(r->buf);
	r->buf = NULL;
	r->buf_cap = 0;
}

void
derp_reader_free(struct derp_reader *r)
{
	free(r->buf);
	r->buf = NULL;
	r->buf_cap = 0;
	r->header_have = 0;
	r->in_payload = false;
}

static void
frame_done(struct derp_reader *r, struct derp_frame *frame, const uint8_t *payload)
{
	frame->type = r->header[0];
	frame->length = r->length;
	frame->payload = payload;
	r->header_have = 0;
	r->in_payload = false;
	r->have = 0;
}

enum derp_read_result
derp_reader_next(struct derp_reader *r, const uint8_t **data, size_t *len,
		 struct derp_frame *frame)
{
	if (!r->in_payload) {
		size_t take;

		/* Fast path: a whole frame inside the input is returned in place. */
		if (r->header_have == 0 && *len >= DERP_FRAME_HEADER_LEN) {
			const uint8_t *p = *data;
			uint32_t length = (uint32_t)p[1] << 24 | (uint32_t)p[2] << 16 |
					  (uint32_t)p[3] << 8 | p[4];

			if (length > r->max_length)
				return DERP_READ_TOO_LONG;
			if (*len - DERP_FRAME_HEADER_LEN >= length) {
				memcpy(r->header, p, DERP_FRAME_HEADER_LEN);
				r->length = length;
				frame_done(r, frame, p + DERP_FRAME_HEADER_LEN);
				*data += DERP_FRAME_HEADER_LEN + length;
				*len -= DERP_FRAME_HEADER_LEN + length;
				return DERP_READ_FRAME;
			}
		}
		take = DERP_FRAME_HEADER_LEN - r->header_have;
		if (take > *len)
			take = *len;
		memcpy(r->header + r->header_have, *data, take);
		r->header_have = (uint8_t)(r->header_have + take);
		*data += take;
		*len -= take;
		if (r->header_have < DERP_FRAME_HEADER_LEN)
			return DERP_READ_MORE;
		r->length = (uint32_t)r->header[1] << 24 | (uint32_t)r->header[2] << 16 |
			    (uint32_t)r->header[3] << 8 | r->header[4];
		if (r->length > r->max_length)
			return DERP_READ_TOO_LONG;
		r->in_payload = true;
		r->have = 0;
		if (r->length == 0) {
			frame_done(r, frame, r->header + DERP_FRAME_HEADER_LEN);
			return DERP_READ_FRAME;
		}
		/* A payload that is all in the input after a split header needs no copy. */
		if (*len >= r->length) {
			const uint8_t *payload = *data;

			*data += r->length;
			*len -= r->length;
			frame_done(r, frame, payload);
			return DERP_READ_FRAME;
		}
		if (r->buf_cap < r->length) {
			uint8_t *grown = realloc(r->buf, r->length);

			if (grown == NULL)
				return DERP_READ_NOMEM;
			r->buf = grown;
			r->buf_cap = r->length;
		}
	}
	{
		size_t take = r->length - r->have;

		if (take > *len)
			take = *len;
		memcpy(r->buf + r->have, *data, take);
		r->have += (uint32_t)take;
		*data += take;
		*len -= take;
	}
	if (r->have < r->length)
		return DERP_READ_MORE;
	frame_done(r, frame, r->buf);
	return DERP_READ_FRAME;
}
