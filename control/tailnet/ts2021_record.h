/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ts2021 transport records and the byte stream they carry (tailnet.md §1.5-1.6). Pure: the
 * caller feeds whatever bytes a read returned and gets plaintext back; no sockets, no heap
 * except the early payload's JSON.
 *
 *   record: 0x04 | len u16 BE | ciphertext (len bytes, the 16-byte tag included)
 *   at most 4096 bytes a record, so at most 4077 bytes of plaintext
 *
 * Record boundaries mean nothing: the decrypted bytes are one stream (headscale writes its
 * early payload with three writes, three records). The first 9 bytes of that stream are either
 * an HTTP/2 frame header or the early-payload header "\xff\xff\xffTS" + u32 BE length, followed
 * by that many bytes of JSON (tailcfg.EarlyNoise); HTTP/2 starts after it.
 */
#ifndef EXITGATE_TS2021_RECORD_H
#define EXITGATE_TS2021_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ts2021_noise.h"

enum {
	TS2021_RECORD_MAX = 4096,
	TS2021_CIPHERTEXT_MAX = TS2021_RECORD_MAX - TS2021_HEADER_LEN,  /* 4093 */
	TS2021_PLAINTEXT_MAX = TS2021_CIPHERTEXT_MAX - TS2021_TAG_LEN,  /* 4077 */
	TS2021_EARLY_HEADER_LEN = 9,
	/* Go's client allows 10 MiB; the payload is one challenge key (about 80 bytes), so a
	 * server that sends more than this is not speaking the protocol. */
	TS2021_EARLY_JSON_MAX = 64 << 10,
};

extern const uint8_t ts2021_early_magic[5]; /* "\xff\xff\xffTS" */

/* Seal one record of len <= TS2021_PLAINTEXT_MAX bytes into out (len + 19 bytes). Returns the
 * record's length, or 0 when the cipher is exhausted. */
size_t ts2021_record_seal(struct ts2021_cipher *tx, uint8_t *out, const uint8_t *plaintext,
			  size_t len);

/* Reassembles records from arbitrary reads. */
struct ts2021_reader {
	uint8_t buf[TS2021_RECORD_MAX];
	size_t have;
	bool failed; /* after an error every call fails: the stream is out of step */
};

enum ts2021_read_result {
	TS2021_READ_MORE = 0,    /* every byte given was taken; no whole record yet */
	TS2021_READ_RECORD = 1,  /* plaintext holds one record's bytes (maybe 0 of them) */
	TS2021_READ_BAD_TYPE = -1,
	TS2021_READ_TOO_LONG = -2,   /* a record over 4096 bytes */
	TS2021_READ_BAD_RECORD = -3, /* shorter than a tag, or it does not verify */
	TS2021_READ_EXHAUSTED = -4,
};

void ts2021_reader_init(struct ts2021_reader *r);
/*
 * Take bytes from *data and *len (advancing them) until one record is whole, then open it into
 * plaintext (room for TS2021_PLAINTEXT_MAX) and say how many bytes it held. Call again with the
 * rest until TS2021_READ_MORE.
 */
enum ts2021_read_result ts2021_reader_next(struct ts2021_reader *r, struct ts2021_cipher *rx,
					   const uint8_t **data, size_t *len, uint8_t *plaintext,
					   size_t *plaintext_len);
const char *ts2021_read_result_name(enum ts2021_read_result r);

/* The early payload in front of HTTP/2. */
struct ts2021_early {
	uint8_t header[TS2021_EARLY_HEADER_LEN];
	size_t header_have;
	bool has_payload;   /* the magic was there */
	uint32_t json_len;
	char *json;         /* json_len + 1 bytes once the magic is seen, NUL-terminated */
	size_t json_have;
	bool done;
	int failed; /* the error once returned, returned again */
};

enum ts2021_early_result {
	TS2021_EARLY_MORE = 0,
	TS2021_EARLY_DONE = 1,   /* what is left in *data and *len belongs to HTTP/2 */
	TS2021_EARLY_TOO_LONG = -1,
	TS2021_EARLY_NOMEM = -2,
};

void ts2021_early_init(struct ts2021_early *e);
void ts2021_early_free(struct ts2021_early *e);
/*
 * Take plaintext bytes until the early payload is complete (or known to be absent). On
 * TS2021_EARLY_DONE without a payload, the 9 header bytes are HTTP/2's first bytes: the caller
 * gives e->header to HTTP/2 before the rest of *data.
 */
enum ts2021_early_result ts2021_early_feed(struct ts2021_early *e, const uint8_t **data,
					   size_t *len);

#endif
