/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * WireGuard's cross-platform UAPI text protocol (wireguard.com/xplatform), so that stock `wg`
 * works against exitgated: "get=1\n\n" answers key=value lines, "set=1\n" + key=value lines
 * + "\n" changes the device; every reply ends with "errno=N\n\n".
 *
 * This file is the protocol only: a set request is parsed and validated completely into a
 * struct before anything is applied (so a bad request never half-applies), and a get reply is
 * written from plain structs. Applying and gathering are the node's job (control/node.c).
 */
#ifndef EXITGATE_CONTROL_UAPI_H
#define EXITGATE_CONTROL_UAPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "keytext.h"
#include "netaddr.h"
#include "strbuf.h"

enum {
	UAPI_REQUEST_MAX = 4 << 20, /* bytes in one request: room for many allowed IPs */
};

struct uapi_peer_change {
	uint8_t public_key[KEY_LEN];
	bool remove;
	bool update_only;
	bool has_preshared_key;
	uint8_t preshared_key[KEY_LEN]; /* all zeros: remove the preshared key */
	bool has_endpoint;
	struct netendpoint endpoint;
	bool has_keepalive;
	uint16_t keepalive;
	bool replace_allowed_ips; /* drop the peer's allowed IPs, then add these */
	struct netprefix *allowed_ips; /* those after the last replace_allowed_ips line */
	size_t allowed_ip_count;
	size_t allowed_ip_cap;
};

struct uapi_set {
	bool has_private_key;
	uint8_t private_key[KEY_LEN]; /* all zeros: remove the private key */
	bool has_listen_port;
	uint16_t listen_port;
	bool has_fwmark;
	uint32_t fwmark;
	bool replace_peers;
	struct uapi_peer_change *peers;
	size_t peer_count;
	size_t peer_cap;
};

/* Length of the first complete request in data[0..len) (a request ends with an empty line),
 * 0 when it is not complete yet. */
size_t uapi_frame(const char *data, size_t len);

enum uapi_operation {
	UAPI_GET,
	UAPI_SET,
};

/*
 * One request as uapi_frame delimits it: "get=1\n\n", or "set=1\n" + body + "\n" with the
 * body parsed by uapi_parse_set. Returns 0 with *op set (for UAPI_SET, *set is filled: call
 * uapi_set_free), or a positive errno with a one-line reason in why: EPROTO when the operation
 * is neither, else as uapi_parse_set. On error nothing needs freeing.
 */
int uapi_parse_request(const char *request, size_t len, enum uapi_operation *op,
		       struct uapi_set *set, char *why, size_t why_size);

/*
 * Parse the body of a set request (the lines after "set=1", up to but not including the blank
 * line). Returns 0, or a positive errno (EINVAL for anything malformed, ENOMEM) with a one-line
 * reason in why. On error nothing needs freeing; on success call uapi_set_free.
 */
int uapi_parse_set(const char *body, size_t len, struct uapi_set *out, char *why, size_t why_size);
void uapi_set_free(struct uapi_set *set);

struct uapi_peer_info {
	const uint8_t *public_key;
	const uint8_t *preshared_key; /* NULL: none */
	const struct netendpoint *endpoint; /* NULL: none */
	uint64_t last_handshake_sec; /* wall clock, 0 = never */
	uint64_t last_handshake_nsec;
	uint64_t rx_bytes;
	uint64_t tx_bytes;
	uint16_t persistent_keepalive;
	const struct netprefix *allowed_ips;
	size_t allowed_ip_count;
};

void uapi_write_interface(struct strbuf *b, const uint8_t *private_key, uint16_t listen_port,
			  uint32_t fwmark);
void uapi_write_peer(struct strbuf *b, const struct uapi_peer_info *peer);
/* "errno=N\n\n": 0 for success; failures are written negated, as wireguard-go does and `wg`
 * expects. */
void uapi_write_errno(struct strbuf *b, int error);

#endif
