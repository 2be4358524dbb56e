/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Disco, Tailscale's discovery protocol (protocols.md section 3; Tailscale disco/disco.go), as
 * a pure codec: no sockets, no allocation, no logging, so the path module, the unit tests and
 * the fuzzer share it unchanged.
 *
 * A frame on the wire (UDP on the listen port, or a DERP packet) is
 *   magic "TS\xf0\x9f\x92\xac" (6) | sender disco public key (32) | nonce (24) | box
 * where box is NaCl crypto_box (X25519 + XSalsa20-Poly1305, tag first) between the sender's and
 * the receiver's disco keys, over the message: type (1) | version (1, 0) | payload. Receivers
 * ignore trailing bytes (Tailscale's rule, for future fields).
 *
 * Messages: Ping, Pong, CallMeMaybe as Tailscale sends them, and one of exitgate's own, Hello
 * (type 0x80, outside Tailscale's range; tailscaled drops unknown types inside a good box without
 * a word), which exitgate nodes send each other over DERP: it carries the sender's disco key
 * inside the box and a summary of its netcheck, so `exitgatectl why` can name the reasons on the
 * peer's side too. A Hello is the one message that may be sealed with the WireGuard static keys
 * instead of the disco keys: a node that has not learnt a peer's disco key yet (peers configured
 * by their WireGuard keys alone) cannot seal anything to it, so its first message is a Hello
 * boxed from its WireGuard private key to the peer's WireGuard public key (the DERP login's box
 * works the same way); the receiver opens it with its own WireGuard key, which authenticates the
 * disco key end to end, on top of the relay's own check of the source node key.
 */
#ifndef EXITGATE_PATH_DISCO_H
#define EXITGATE_PATH_DISCO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netaddr.h"

enum {
	DISCO_MAGIC_LEN = 6,
	DISCO_KEY_LEN = 32,
	DISCO_NONCE_LEN = 24,
	DISCO_HEADER_LEN = DISCO_MAGIC_LEN + DISCO_KEY_LEN + DISCO_NONCE_LEN, /* 62 */
	DISCO_BOX_OVERHEAD = 16,
	DISCO_TXID_LEN = 12,
	DISCO_ENDPOINT_LEN = 18, /* IPv6 or IPv4-mapped address (16) + port (2, BE) */
	DISCO_PING_LEN = 2 + DISCO_TXID_LEN + DISCO_KEY_LEN,      /* without padding */
	DISCO_PONG_LEN = 2 + DISCO_TXID_LEN + DISCO_ENDPOINT_LEN,
	DISCO_ENDPOINTS_MAX = 32, /* CallMeMaybe and Hello carry at most this many */
	/* a ping padded to probe the path MTU stays within one unfragmented datagram */
	DISCO_PING_PADDING_MAX = 1300,
	/* the largest message (cleartext) and frame this codec reads or writes */
	DISCO_MESSAGE_MAX = 2 + DISCO_TXID_LEN + DISCO_KEY_LEN + DISCO_PING_PADDING_MAX,
	DISCO_FRAME_MAX = DISCO_HEADER_LEN + DISCO_BOX_OVERHEAD + DISCO_MESSAGE_MAX,
};

enum disco_type {
	DISCO_PING = 0x01,
	DISCO_PONG = 0x02,
	DISCO_CALL_ME_MAYBE = 0x03,
	DISCO_HELLO = 0x80, /* exitgate's own */
};

/* A node's view of its network, shared with exitgate peers in Hello (netcheck.h fills it). */
enum {
	DISCO_SUMMARY_UDP4 = 1 << 0,            /* a STUN server answered over IPv4 */
	DISCO_SUMMARY_UDP6 = 1 << 1,
	DISCO_SUMMARY_VARIES4 = 1 << 2,         /* mapping varies by destination (hard NAT) */
	DISCO_SUMMARY_VARIES6 = 1 << 3,
	DISCO_SUMMARY_PORTMAP = 1 << 4,         /* a port mapping is in place */
	DISCO_SUMMARY_CHECKED = 1 << 5,         /* a netcheck has run (else the rest is unknown) */
	DISCO_SUMMARY_PUBLIC_LOCAL = 1 << 6,    /* a local address is the STUN-mapped one (no NAT) */
	DISCO_SUMMARY_PORTMAP_TRIED = 1 << 7,   /* port mapping was configured and probed */
};

struct disco_summary {
	uint16_t flags;           /* DISCO_SUMMARY_* */
	uint8_t portmap_protocol; /* enum config_port_mapping + 1, 0 = none */
	uint16_t preferred_region;
	uint32_t sequence;        /* grows with every change, so a receiver keeps the newest */
	uint8_t endpoint_count;
	struct netendpoint endpoints[DISCO_ENDPOINTS_MAX]; /* the sender's advertised endpoints */
};

struct disco_message {
	enum disco_type type;
	union {
		struct {
			uint8_t txid[DISCO_TXID_LEN];
			bool has_node_key; /* Tailscale before 1.16 sent none */
			uint8_t node_key[DISCO_KEY_LEN];
			uint16_t padding;
		} ping;
		struct {
			uint8_t txid[DISCO_TXID_LEN];
			struct netendpoint src; /* where the pinger was seen from */
		} pong;
		struct {
			size_t count;
			struct netendpoint endpoints[DISCO_ENDPOINTS_MAX];
		} call_me_maybe;
		struct {
			uint8_t disco_key[DISCO_KEY_LEN]; /* the sender's, authenticated by the box */
			struct disco_summary summary;
		} hello;
	};
};

/* Why a frame or message was not accepted; callers count by it. */
enum disco_error {
	DISCO_OK = 0,
	DISCO_ERR_SHORT = -1,        /* shorter than a header plus an empty box, or a payload */
	DISCO_ERR_NOT_DISCO = -2,    /* no magic */
	DISCO_ERR_BOX = -3,          /* the box does not open with the keys we have */
	DISCO_ERR_UNKNOWN_TYPE = -4, /* a good box with a message type we do not know */
	DISCO_ERR_MALFORMED = -5,    /* a known type with a bad payload */
	DISCO_ERR_SPACE = -6,        /* output buffer too small, or too much to say */
	DISCO_ERR_BAD_KEY = -7,      /* a sender key that is a low-order point (no shared key) */
};

/* The demultiplexing rule: at least a header and the magic. */
bool disco_is_disco(const uint8_t *packet, size_t length);
/* The sender's disco public key in a frame that disco_is_disco accepted. */
const uint8_t *disco_sender_key(const uint8_t *packet);

/* The cleartext message: type, version 0, payload. Returns the length or a disco_error. */
int disco_encode(const struct disco_message *m, uint8_t *out, size_t size);
/* Parse a cleartext message (trailing bytes are ignored, as Tailscale does). */
int disco_decode(const uint8_t *p, size_t length, struct disco_message *m);

/* The precomputed box key between our private key and a peer's public key (crypto_box_beforenm):
 * 0, or DISCO_ERR_BAD_KEY. */
int disco_shared_key(uint8_t shared[32], const uint8_t our_private[DISCO_KEY_LEN],
		     const uint8_t their_public[DISCO_KEY_LEN]);
/* A frame: header with our public key and a fresh random nonce, then the sealed message. */
int disco_seal(uint8_t *out, size_t size, const uint8_t our_public[DISCO_KEY_LEN],
	       const uint8_t shared[32], const struct disco_message *m);
/* Open a frame with the shared key for its sender and parse the message. */
int disco_open(const uint8_t *frame, size_t length, const uint8_t shared[32],
	       struct disco_message *m);

const char *disco_error_name(int error);
const char *disco_type_name(enum disco_type type);

#endif
