/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * STUN (RFC 5389) as exitgate uses it: Binding requests and responses only, no authentication.
 * The codec is pure (no sockets, no allocation, no logging) so the control plane, the relay
 * server's responder, the unit tests and the fuzzer share it unchanged.
 */
#ifndef EXITGATE_STUN_H
#define EXITGATE_STUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netaddr.h"

enum {
	STUN_HEADER_LEN = 20,
	STUN_TXID_LEN = 12,
	STUN_MAGIC_COOKIE = 0x2112a442,
	STUN_DEFAULT_PORT = 3478,
	STUN_FINGERPRINT_XOR = 0x5354554e,

	STUN_BINDING_REQUEST = 0x0001,
	STUN_BINDING_SUCCESS = 0x0101,

	STUN_ATTR_MAPPED_ADDRESS = 0x0001,
	STUN_ATTR_MESSAGE_INTEGRITY = 0x0008,
	STUN_ATTR_XOR_MAPPED_ADDRESS = 0x0020,
	STUN_ATTR_SOFTWARE = 0x8022,
	STUN_ATTR_FINGERPRINT = 0x8028,

	/* A binding request we build: header + FINGERPRINT. */
	STUN_REQUEST_LEN = STUN_HEADER_LEN + 8,
	/* Room for the largest response we build: IPv6 XOR-MAPPED-ADDRESS, a 128-byte SOFTWARE
	 * (RFC 5389's limit is 128 characters), FINGERPRINT. */
	STUN_SOFTWARE_MAX = 128,
	STUN_RESPONSE_MAX = STUN_HEADER_LEN + 4 + 20 + 4 + STUN_SOFTWARE_MAX + 8,
};

/* Why a datagram was not accepted; counters in callers are indexed by it. */
enum stun_error {
	STUN_OK = 0,
	STUN_ERR_SHORT = -1,       /* shorter than a header, or attributes run past the end */
	STUN_ERR_NOT_STUN = -2,    /* top bits or magic cookie wrong */
	STUN_ERR_TYPE = -3,        /* not the message type asked for */
	STUN_ERR_LENGTH = -4,      /* header length disagrees with the datagram or is not 4-aligned */
	STUN_ERR_TXID = -5,        /* transaction id differs from the one we sent */
	STUN_ERR_FINGERPRINT = -6, /* FINGERPRINT wrong, or not the last attribute */
	STUN_ERR_ATTRIBUTE = -7,   /* malformed address attribute, or unknown required attribute */
	STUN_ERR_NO_ADDRESS = -8,  /* no (XOR-)MAPPED-ADDRESS */
	STUN_ERR_SPACE = -9,       /* output buffer too small */
};

/* The demultiplexing rule of protocols.md: length >= 20, top two bits zero, magic cookie. */
bool stun_is_stun(const uint8_t *packet, size_t length);

/* Binding request with the given transaction id and a FINGERPRINT. Returns the length written
 * (STUN_REQUEST_LEN) or STUN_ERR_SPACE. */
int stun_build_binding_request(uint8_t *out, size_t size, const uint8_t txid[STUN_TXID_LEN]);

/* Accept a binding request (the responder's side); copies its transaction id. */
int stun_parse_binding_request(const uint8_t *packet, size_t length,
			       uint8_t txid[STUN_TXID_LEN]);

/* Binding success response carrying XOR-MAPPED-ADDRESS for mapped, SOFTWARE when software is
 * not NULL (at most STUN_SOFTWARE_MAX bytes), and FINGERPRINT. Returns the length written. */
int stun_build_binding_response(uint8_t *out, size_t size, const uint8_t txid[STUN_TXID_LEN],
				const struct netendpoint *mapped, const char *software);

/* Parse a binding success response. When txid is not NULL the response must carry it. The
 * mapped address is XOR-MAPPED-ADDRESS when present, else MAPPED-ADDRESS. A FINGERPRINT, when
 * present, must be valid and last. */
int stun_parse_binding_response(const uint8_t *packet, size_t length,
				const uint8_t txid[STUN_TXID_LEN], struct netendpoint *mapped);

const char *stun_error_name(int error);

#endif
