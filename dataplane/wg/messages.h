/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Every WireGuard wire format and protocol limit, in one place (protocols.md section 1).
 *
 * It lives in the data-plane library because both planes need it: workers classify datagrams
 * and frame type-4 messages; the control plane (control/wg) builds and parses the handshake
 * messages. Multi-byte integers on the wire are little-endian; the structs below hold them as
 * they are on the wire, so read them with le32toh()/le64toh(). Every struct has the exact wire
 * size (checked below) and only byte arrays after the leading integers, so it is copied from
 * and to a datagram with memcpy and never needs packing.
 */
#ifndef EXITGATE_WG_MESSAGES_H
#define EXITGATE_WG_MESSAGES_H

#include <endian.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

enum wg_message_type {
	WG_MSG_INITIATION = 1,
	WG_MSG_RESPONSE = 2,
	WG_MSG_COOKIE_REPLY = 3,
	WG_MSG_TRANSPORT = 4,
};

enum {
	WG_KEY_LEN = 32,         /* X25519 keys, symmetric keys, preshared keys */
	WG_HASH_LEN = 32,        /* BLAKE2s-256 output, chaining key */
	WG_MAC_LEN = 16,         /* mac1, mac2 (BLAKE2s-128) */
	WG_COOKIE_LEN = 16,      /* the cookie itself (BLAKE2s-128) */
	WG_AEAD_TAG_LEN = 16,    /* Poly1305 tag */
	WG_TAI64N_LEN = 12,      /* 8-byte TAI64 seconds + 4-byte nanoseconds, big-endian */
	WG_AEAD_NONCE_LEN = 12,  /* 4 zero bytes + LE64 counter */
	WG_XAEAD_NONCE_LEN = 24, /* XChaCha20 nonce of a cookie reply */
	WG_COOKIE_SECRET_LEN = 32,

	WG_MSG_INITIATION_LEN = 148,
	WG_MSG_RESPONSE_LEN = 92,
	WG_MSG_COOKIE_REPLY_LEN = 64,
	WG_MSG_TRANSPORT_HEADER_LEN = 16,
	WG_MSG_TRANSPORT_MIN_LEN = WG_MSG_TRANSPORT_HEADER_LEN + WG_AEAD_TAG_LEN, /* keepalive */
	WG_MSG_MAX_LEN = 65535, /* one UDP datagram */

	WG_PADDING_MULTIPLE = 16,
};

/* Protocol limits (protocols.md "Constants"). Times in nanoseconds of the monotonic clock. */
enum {
	WG_REKEY_AFTER_TIME_S = 120,
	WG_REJECT_AFTER_TIME_S = 180,
	WG_REKEY_ATTEMPT_TIME_S = 90,
	WG_REKEY_TIMEOUT_S = 5,
	WG_REKEY_TIMEOUT_JITTER_MAX_MS = 334, /* jitter is uniform in [0, 334) ms */
	WG_KEEPALIVE_TIMEOUT_S = 10,
	/* Retries after the first initiation: the first + 19 retries = 20 tries, then give up. */
	WG_MAX_TIMER_HANDSHAKES = WG_REKEY_ATTEMPT_TIME_S / WG_REKEY_TIMEOUT_S,
	WG_COOKIE_SECRET_MAX_AGE_S = 120,
	WG_COOKIE_SECRET_LATENCY_S = 5, /* an initiator uses a cookie for 120 - 5 = 115 s */
	WG_INITIATIONS_PER_SECOND = 50,
	WG_HANDSHAKE_RATE_PER_SECOND = 20, /* per source when under load */
	WG_HANDSHAKE_RATE_BURST = 5,
	WG_UNDER_LOAD_QUEUE_DIVISOR = 8, /* under load when the queue is >= 1/8 full */
	WG_UNDER_LOAD_AFTER_S = 1,       /* and for 1 s after */
	WG_REPLAY_WINDOW_BITS = 8192,
	WG_REPLAY_WINDOW_SIZE = WG_REPLAY_WINDOW_BITS - 64, /* 8128 usable */
};

static const uint64_t WG_NSEC_PER_SEC = 1000000000ULL;
static const uint64_t WG_REKEY_AFTER_MESSAGES = 1ULL << 60;
static const uint64_t WG_REJECT_AFTER_MESSAGES = UINT64_MAX - (1ULL << 13); /* 2^64 - 2^13 - 1 */
static const uint64_t WG_REKEY_AFTER_TIME_NS = 120ULL * 1000000000ULL;
static const uint64_t WG_REJECT_AFTER_TIME_NS = 180ULL * 1000000000ULL;
static const uint64_t WG_REKEY_TIMEOUT_NS = 5ULL * 1000000000ULL;
static const uint64_t WG_KEEPALIVE_TIMEOUT_NS = 10ULL * 1000000000ULL;
/* The initiator re-handshakes on receive once its keypair is this old: 180 - 10 - 5 = 165 s. */
static const uint64_t WG_REKEY_ON_RECEIVE_AGE_NS = 165ULL * 1000000000ULL;
/* All keys are zeroed after 3 * REJECT_AFTER_TIME = 540 s without a new handshake. */
static const uint64_t WG_ZERO_KEYS_AFTER_NS = 540ULL * 1000000000ULL;
/* One initiation per peer per 1/50 s: 20 ms. */
static const uint64_t WG_INITIATION_MIN_INTERVAL_NS = 1000000000ULL / 50;
static const uint64_t WG_COOKIE_SECRET_MAX_AGE_NS = 120ULL * 1000000000ULL;
static const uint64_t WG_COOKIE_VALIDITY_NS = 115ULL * 1000000000ULL;
static const uint64_t WG_UNDER_LOAD_AFTER_NS = 1000000000ULL;

/* Type 1: handshake initiation, 148 bytes. */
struct wg_msg_initiation {
	uint32_t type;   /* LE, WG_MSG_INITIATION */
	uint32_t sender; /* LE, the initiator's index */
	uint8_t ephemeral[WG_KEY_LEN];
	uint8_t encrypted_static[WG_KEY_LEN + WG_AEAD_TAG_LEN];
	uint8_t encrypted_timestamp[WG_TAI64N_LEN + WG_AEAD_TAG_LEN];
	uint8_t mac1[WG_MAC_LEN];
	uint8_t mac2[WG_MAC_LEN];
};

/* Type 2: handshake response, 92 bytes. */
struct wg_msg_response {
	uint32_t type;     /* LE, WG_MSG_RESPONSE */
	uint32_t sender;   /* LE, the responder's index */
	uint32_t receiver; /* LE, the initiator's index */
	uint8_t ephemeral[WG_KEY_LEN];
	uint8_t encrypted_nothing[WG_AEAD_TAG_LEN];
	uint8_t mac1[WG_MAC_LEN];
	uint8_t mac2[WG_MAC_LEN];
};

/* Type 3: cookie reply, 64 bytes. */
struct wg_msg_cookie_reply {
	uint32_t type;     /* LE, WG_MSG_COOKIE_REPLY */
	uint32_t receiver; /* LE, the sender index of the message that triggered it */
	uint8_t nonce[WG_XAEAD_NONCE_LEN];
	uint8_t encrypted_cookie[WG_COOKIE_LEN + WG_AEAD_TAG_LEN];
};

/* Type 4: transport data header; the ciphertext and a 16-byte tag follow. */
struct wg_msg_transport_header {
	uint32_t type;     /* LE, WG_MSG_TRANSPORT */
	uint32_t receiver; /* LE, the recipient's index */
	uint64_t counter;  /* LE, the nonce */
};

_Static_assert(sizeof(struct wg_msg_initiation) == WG_MSG_INITIATION_LEN, "initiation size");
_Static_assert(offsetof(struct wg_msg_initiation, sender) == 4, "initiation sender");
_Static_assert(offsetof(struct wg_msg_initiation, ephemeral) == 8, "initiation ephemeral");
_Static_assert(offsetof(struct wg_msg_initiation, encrypted_static) == 40, "initiation static");
_Static_assert(offsetof(struct wg_msg_initiation, encrypted_timestamp) == 88, "initiation ts");
_Static_assert(offsetof(struct wg_msg_initiation, mac1) == 116, "initiation mac1");
_Static_assert(offsetof(struct wg_msg_initiation, mac2) == 132, "initiation mac2");
_Static_assert(sizeof(struct wg_msg_response) == WG_MSG_RESPONSE_LEN, "response size");
_Static_assert(offsetof(struct wg_msg_response, receiver) == 8, "response receiver");
_Static_assert(offsetof(struct wg_msg_response, ephemeral) == 12, "response ephemeral");
_Static_assert(offsetof(struct wg_msg_response, encrypted_nothing) == 44, "response empty");
_Static_assert(offsetof(struct wg_msg_response, mac1) == 60, "response mac1");
_Static_assert(offsetof(struct wg_msg_response, mac2) == 76, "response mac2");
_Static_assert(sizeof(struct wg_msg_cookie_reply) == WG_MSG_COOKIE_REPLY_LEN, "cookie size");
_Static_assert(offsetof(struct wg_msg_cookie_reply, nonce) == 8, "cookie nonce");
_Static_assert(offsetof(struct wg_msg_cookie_reply, encrypted_cookie) == 32, "cookie payload");
_Static_assert(sizeof(struct wg_msg_transport_header) == WG_MSG_TRANSPORT_HEADER_LEN, "header");
_Static_assert(offsetof(struct wg_msg_transport_header, counter) == 8, "transport counter");

/* mac1 covers the message up to mac1; mac2 covers it up to mac2. Both MACs sit at the end. */
static inline size_t
wg_msg_mac1_offset(size_t message_len)
{
	return message_len - 2 * WG_MAC_LEN;
}

static inline size_t
wg_msg_mac2_offset(size_t message_len)
{
	return message_len - WG_MAC_LEN;
}

/*
 * The type of a datagram by its first word alone, or 0: a LE u32 whose top three bytes must be
 * zero ("reserved") and whose value is 1..4.
 */
static inline enum wg_message_type
wg_message_type_of(const uint8_t *buf, size_t len)
{
	uint32_t type;

	if (len < sizeof(type))
		return 0;
	memcpy(&type, buf, sizeof(type));
	type = le32toh(type);
	if (type < WG_MSG_INITIATION || type > WG_MSG_TRANSPORT)
		return 0;
	return (enum wg_message_type)type;
}

/* Handshake messages have exact lengths; transport data is at least a header and a tag. */
static inline int
wg_message_length_valid(enum wg_message_type type, size_t len)
{
	switch (type) {
	case WG_MSG_INITIATION:
		return len == WG_MSG_INITIATION_LEN;
	case WG_MSG_RESPONSE:
		return len == WG_MSG_RESPONSE_LEN;
	case WG_MSG_COOKIE_REPLY:
		return len == WG_MSG_COOKIE_REPLY_LEN;
	case WG_MSG_TRANSPORT:
		return len >= WG_MSG_TRANSPORT_MIN_LEN && len <= WG_MSG_MAX_LEN;
	}
	return 0;
}

/*
 * The classifier both planes use before looking at anything else: the message type when the
 * first word and the length are valid, else 0 (not WireGuard, or malformed).
 */
static inline enum wg_message_type
wg_message_classify(const uint8_t *buf, size_t len)
{
	enum wg_message_type type = wg_message_type_of(buf, len);

	return type != 0 && wg_message_length_valid(type, len) ? type : 0;
}

#endif
