/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "log.h"
#include "peer.h"

int
wg_staged_init(struct wg_staged_queue *q, uint32_t slot_size)
{
	memset(q, 0, sizeof(*q));
	q->buffers = malloc((size_t)WG_PEER_STAGED_MAX * slot_size);
	if (q->buffers == NULL) {
		log_warn("wg peer: malloc staged queue: out of memory");
		return -1;
	}
	q->slot_size = slot_size;
	return 0;
}

void
wg_staged_fini(struct wg_staged_queue *q)
{
	if (q->buffers != NULL) {
		sodium_memzero(q->buffers, (size_t)WG_PEER_STAGED_MAX * q->slot_size);
		free(q->buffers);
	}
	memset(q, 0, sizeof(*q));
}

static uint8_t *
slot(struct wg_staged_queue *q, uint32_t i)
{
	return q->buffers + (size_t)(i % WG_PEER_STAGED_MAX) * q->slot_size;
}

void
wg_staged_push(struct wg_staged_queue *q, const uint8_t *packet, uint16_t len, bool *dropped_oldest)
{
	*dropped_oldest = false;
	if (q->count == WG_PEER_STAGED_MAX) {
		wg_staged_pop(q);
		*dropped_oldest = true;
	}
	if (len != 0)
		memcpy(slot(q, q->head + q->count), packet, len);
	q->len[(q->head + q->count) % WG_PEER_STAGED_MAX] = len;
	q->count++;
}

uint8_t *
wg_staged_peek(struct wg_staged_queue *q, uint16_t *len)
{
	if (q->count == 0)
		return NULL;
	*len = q->len[q->head];
	return slot(q, q->head);
}

void
wg_staged_pop(struct wg_staged_queue *q)
{
	if (q->count == 0)
		return;
	sodium_memzero(slot(q, q->head), q->len[q->head]);
	q->head = (q->head + 1) % WG_PEER_STAGED_MAX;
	q->count--;
}

uint32_t
wg_staged_purge(struct wg_staged_queue *q)
{
	uint32_t n = q->count;

	while (q->count > 0)
		wg_staged_pop(q);
	return n;
}
