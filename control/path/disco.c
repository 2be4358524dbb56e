/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>
#include <sys/socket.h>

#include <sodium.h>

#include "byteorder.h"
#include "disco.h"

static const uint8_t disco_magic[DISCO_MAGIC_LEN] = {'T', 'S', 0xf0, 0x9f, 0x92, 0xac};

enum {
	DISCO_VERSION = 0,
	HELLO_FIXED_LEN = DISCO_KEY_LEN + 2 + 1 + 2 + 4 + 1,
};

_Static_assert(crypto_box_NONCEBYTES == DISCO_NONCE_LEN, "NaCl box nonce");
_Static_assert(crypto_box_MACBYTES == DISCO_BOX_OVERHEAD, "NaCl box tag");
_Static_assert(crypto_box_BEFORENMBYTES == 32, "NaCl box shared key");

bool
disco_is_disco(const uint8_t *packet, size_t length)
{
	return length >= DISCO_HEADER_LEN && memcmp(packet, disco_magic, DISCO_MAGIC_LEN) == 0;
}

const uint8_t *
disco_sender_key(const uint8_t *packet)
{
	return packet + DISCO_MAGIC_LEN;
}

/* ---- endpoints: 16-byte address (IPv4 mapped into IPv6) and a big-endian port ---- */

static void
put_endpoint(uint8_t *p, const struct netendpoint *e)
{
	memset(p, 0, DISCO_ENDPOINT_LEN);
	if (e->addr.family == AF_INET) {
		p[10] = 0xff;
		p[11] = 0xff;
		memcpy(p + 12, e->addr.bytes, 4);
	} else if (e->addr.family == AF_INET6) {
		memcpy(p, e->addr.bytes, 16);
	}
	p[16] = (uint8_t)(e->port >> 8);
	p[17] = (uint8_t)e->port;
}

static void
get_endpoint(const uint8_t *p, struct netendpoint *e)
{
	static const uint8_t v4_mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	memset(e, 0, sizeof(*e));
	if (memcmp(p, v4_mapped, sizeof(v4_mapped)) == 0) {
		e->addr.family = AF_INET;
		memcpy(e->addr.bytes, p + 12, 4);
	} else {
		e->addr.family = AF_INET6;
		memcpy(e->addr.bytes, p, 16);
	}
	e->port = (uint16_t)(p[16] << 8 | p[17]);
}

/* ---- messages ---- */

static size_t
encoded_length(const struct disco_message *m)
{
	switch (m->type) {
	case DISCO_PING:
		return 2 + DISCO_TXID_LEN + (m->ping.has_node_key ? DISCO_KEY_LEN : 0) +
		       m->ping.padding;
	case DISCO_PONG:
		return DISCO_PONG_LEN;
	case DISCO_CALL_ME_MAYBE:
		return 2 + DISCO_ENDPOINT_LEN * m->call_me_maybe.count;
	case DISCO_HELLO:
		return 2 + HELLO_FIXED_LEN + DISCO_ENDPOINT_LEN * m->hello.summary.endpoint_count;
	}
	return 0;
}

int
disco_encode(const struct disco_message *m, uint8_t *out, size_t size)
{
	size_t len = encoded_length(m);
	uint8_t *p = out + 2;

	if (len == 0)
		return DISCO_ERR_UNKNOWN_TYPE;
	if ((m->type == DISCO_PING && m->ping.padding > DISCO_PING_PADDING_MAX) ||
	    (m->type == DISCO_CALL_ME_MAYBE && m->call_me_maybe.count > DISCO_ENDPOINTS_MAX) ||
	    (m->type == DISCO_HELLO && m->hello.summary.endpoint_count > DISCO_ENDPOINTS_MAX) ||
	    len > size)
		return DISCO_ERR_SPACE;
	out[0] = (uint8_t)m->type;
	out[1] = DISCO_VERSION;
	switch (m->type) {
	case DISCO_PING:
		memcpy(p, m->ping.txid, DISCO_TXID_LEN);
		p += DISCO_TXID_LEN;
		if (m->ping.has_node_key) {
			memcpy(p, m->ping.node_key, DISCO_KEY_LEN);
			p += DISCO_KEY_LEN;
		}
		memset(p, 0, m->ping.padding);
		break;
	case DISCO_PONG:
		memcpy(p, m->pong.txid, DISCO_TXID_LEN);
		put_endpoint(p + DISCO_TXID_LEN, &m->pong.src);
		break;
	case DISCO_CALL_ME_MAYBE:
		for (size_t i = 0; i < m->call_me_maybe.count; i++)
			put_endpoint(p + i * DISCO_ENDPOINT_LEN, &m->call_me_maybe.endpoints[i]);
		break;
	case DISCO_HELLO: {
		const struct disco_summary *s = &m->hello.summary;

		memcpy(p, m->hello.disco_key, DISCO_KEY_LEN);
		p += DISCO_KEY_LEN;
		be16_put(p, s->flags);
		p[2] = s->portmap_protocol;
		be16_put(p + 3, s->preferred_region);
		be32_put(p + 5, s->sequence);
		p[9] = s->endpoint_count;
		p += 10;
		for (size_t i = 0; i < s->endpoint_count; i++)
			put_endpoint(p + i * DISCO_ENDPOINT_LEN, &s->endpoints[i]);
		break;
	}
	}
	return (int)len;
}

int
disco_decode(const uint8_t *p, size_t length, struct disco_message *m)
{
	size_t n;

	memset(m, 0, sizeof(*m));
	if (length < 2)
		return DISCO_ERR_SHORT;
	m->type = (enum disco_type)p[0];
	/* a newer version of a message we know still starts with the fields we know */
	p += 2;
	length -= 2;
	switch (m->type) {
	case DISCO_PING:
		if (length < DISCO_TXID_LEN)
			return DISCO_ERR_MALFORMED;
		memcpy(m->ping.txid, p, DISCO_TXID_LEN);
		length -= DISCO_TXID_LEN;
		if (length >= DISCO_KEY_LEN) {
			m->ping.has_node_key = true;
			memcpy(m->ping.node_key, p + DISCO_TXID_LEN, DISCO_KEY_LEN);
			length -= DISCO_KEY_LEN;
		}
		m->ping.padding = length > UINT16_MAX ? UINT16_MAX : (uint16_t)length;
		return DISCO_OK;
	case DISCO_PONG:
		if (length < DISCO_PONG_LEN - 2)
			return DISCO_ERR_MALFORMED;
		memcpy(m->pong.txid, p, DISCO_TXID_LEN);
		get_endpoint(p + DISCO_TXID_LEN, &m->pong.src);
		return DISCO_OK;
	case DISCO_CALL_ME_MAYBE:
		/* Tailscale takes a ragged or empty list as "no endpoints", not as an error */
		if (length % DISCO_ENDPOINT_LEN != 0)
			return DISCO_OK;
		n = length / DISCO_ENDPOINT_LEN;
		if (n > DISCO_ENDPOINTS_MAX)
			n = DISCO_ENDPOINTS_MAX; /* the first ones; more is more than any node has */
		for (size_t i = 0; i < n; i++)
			get_endpoint(p + i * DISCO_ENDPOINT_LEN, &m->call_me_maybe.endpoints[i]);
		m->call_me_maybe.count = n;
		return DISCO_OK;
	case DISCO_HELLO: {
		struct disco_summary *s = &m->hello.summary;

		if (length < HELLO_FIXED_LEN)
			return DISCO_ERR_MALFORMED;
		memcpy(m->hello.disco_key, p, DISCO_KEY_LEN);
		p += DISCO_KEY_LEN;
		s->flags = be16_get(p);
		s->portmap_protocol = p[2];
		s->preferred_region = be16_get(p + 3);
		s->sequence = be32_get(p + 5);
		s->endpoint_count = p[9];
		p += 10;
		length -= HELLO_FIXED_LEN;
		if (s->endpoint_count > DISCO_ENDPOINTS_MAX ||
		    length < (size_t)s->endpoint_count * DISCO_ENDPOINT_LEN)
			return DISCO_ERR_MALFORMED;
		for (size_t i = 0; i < s->endpoint_count; i++)
			get_endpoint(p + i * DISCO_ENDPOINT_LEN, &s->endpoints[i]);
		return DISCO_OK;
	}
	}
	return DISCO_ERR_UNKNOWN_TYPE;
}

/* ---- frames ---- */

int
disco_shared_key(uint8_t shared[32], const uint8_t our_private[DISCO_KEY_LEN],
		 const uint8_t their_public[DISCO_KEY_LEN])
{
	/* libsodium refuses a low-order public key (the DH result would be all zeros) */
	return crypto_box_beforenm(shared, their_public, our_private) == 0 ? DISCO_OK
									   : DISCO_ERR_BAD_KEY;
}

int
disco_seal(uint8_t *out, size_t size, const uint8_t our_public[DISCO_KEY_LEN],
	   const uint8_t shared[32], const struct disco_message *m)
{
	uint8_t plain[DISCO_MESSAGE_MAX];
	int len = disco_encode(m, plain, sizeof(plain));
	uint8_t *nonce = out + DISCO_MAGIC_LEN + DISCO_KEY_LEN;

	if (len < 0)
		return len;
	if (size < (size_t)DISCO_HEADER_LEN + DISCO_BOX_OVERHEAD + (size_t)len)
		return DISCO_ERR_SPACE;
	memcpy(out, disco_magic, DISCO_MAGIC_LEN);
	memcpy(out + DISCO_MAGIC_LEN, our_public, DISCO_KEY_LEN);
	randombytes_buf(nonce, DISCO_NONCE_LEN);
	crypto_box_easy_afternm(out + DISCO_HEADER_LEN, plain, (unsigned long long)len, nonce,
				shared);
	sodium_memzero(plain, (size_t)len);
	return DISCO_HEADER_LEN + DISCO_BOX_OVERHEAD + len;
}

int
disco_open(const uint8_t *frame, size_t length, const uint8_t shared[32], struct disco_message *m)
{
	uint8_t plain[DISCO_FRAME_MAX];
	size_t box_len;
	int rc;

	memset(m, 0, sizeof(*m));
	if (!disco_is_disco(frame, length))
		return length >= DISCO_HEADER_LEN ? DISCO_ERR_NOT_DISCO : DISCO_ERR_SHORT;
	box_len = length - DISCO_HEADER_LEN;
	if (box_len < DISCO_BOX_OVERHEAD + 2)
		return DISCO_ERR_SHORT;
	/* longer than anything we send: a ping's padding beyond ours; read what fits in full */
	if (box_len > sizeof(plain) + DISCO_BOX_OVERHEAD)
		return DISCO_ERR_MALFORMED;
	if (crypto_box_open_easy_afternm(plain, frame + DISCO_HEADER_LEN, box_len,
					 frame + DISCO_MAGIC_LEN + DISCO_KEY_LEN, shared) != 0)
		return DISCO_ERR_BOX;
	rc = disco_decode(plain, box_len - DISCO_BOX_OVERHEAD, m);
	sodium_memzero(plain, box_len - DISCO_BOX_OVERHEAD);
	return rc;
}

const char *
disco_error_name(int error)
{
	switch (error) {
	case DISCO_OK:
		return "ok";
	case DISCO_ERR_SHORT:
		return "short";
	case DISCO_ERR_NOT_DISCO:
		return "not_disco";
	case DISCO_ERR_BOX:
		return "bad_box";
	case DISCO_ERR_UNKNOWN_TYPE:
		return "unknown_type";
	case DISCO_ERR_MALFORMED:
		return "malformed";
	case DISCO_ERR_SPACE:
		return "no_space";
	case DISCO_ERR_BAD_KEY:
		return "bad_key";
	}
	return "unknown";
}

const char *
disco_type_name(enum disco_type type)
{
	switch (type) {
	case DISCO_PING:
		return "ping";
	case DISCO_PONG:
		return "pong";
	case DISCO_CALL_ME_MAYBE:
		return "call-me-maybe";
	case DISCO_HELLO:
		return "hello";
	}
	return "unknown";
}
