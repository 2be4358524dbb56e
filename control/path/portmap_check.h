/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Checks of what a gateway sends before the port mapper believes it, pure (no I/O) for the unit
 * tests and the fuzzer: the layout of a NAT-PMP answer (RFC 6886 section 3; libnatpmp reads a
 * fixed 16 bytes and checks neither length nor port, so nothing reaches it unchecked), whether
 * an SSDP LOCATION names the gateway itself, and whether a granted endpoint is usable.
 */
#ifndef EXITGATE_PORTMAP_CHECK_H
#define EXITGATE_PORTMAP_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netaddr.h"
#include "portmap.h"

enum {
	NATPMP_VERSION = 0,
	NATPMP_OP_PUBLIC_ADDRESS = 0,
	NATPMP_OP_MAP_UDP = 1,
	NATPMP_OP_REPLY = 0x80, /* added to the request's opcode in its answer */
	NATPMP_PUBLIC_ADDRESS_REPLY_LEN = 12,
	NATPMP_MAP_REPLY_LEN = 16,
	NATPMP_ERROR_REPLY_MIN = 8, /* version, opcode, result, epoch */
	NATPMP_RESULT_UNSUPPORTED_VERSION = 1,
};

/* Is this datagram from the gateway's NAT-PMP port a well-formed answer to the request with
 * request_opcode (for a mapping: for internal_port)? true, or false with the reason in *why. An
 * answer with a non-zero result code needs only its first 8 bytes. */
bool portmap_natpmp_check(const uint8_t *packet, size_t length, uint8_t request_opcode,
			  uint16_t internal_port, enum portmap_drop *why);

/* Does this URL ("http://host[:port]/path", host a literal IPv4 or [IPv6] address) name
 * host? A UPnP description anywhere but on the gateway is refused: any LAN device can answer
 * SSDP, and believing one would forward a port through the wrong box. */
bool portmap_url_on_host(const char *url, const struct netaddr *host);

/* An external address we can advertise: IPv4 or IPv6, not unspecified. */
bool portmap_address_usable(const struct netaddr *address);
/* A granted endpoint we can advertise: a usable address, port not 0. */
bool portmap_external_usable(const struct netendpoint *external);

#endif
