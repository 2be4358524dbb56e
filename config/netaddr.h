/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Addresses, prefixes and endpoints as every part of exitgate holds them, with their text forms.
 * The layout is chosen for the data plane: family first, the address in network byte order in a
 * 16-byte array (IPv4 in the first 4 bytes, the rest zero) so that comparisons are memcmp.
 */
#ifndef EXITGATE_NETADDR_H
#define EXITGATE_NETADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

enum {
	NETADDR_TEXT_MAX = 64, /* "[ffff:...:ffff]:65535/128" and a NUL fit */
};

struct netaddr {
	uint8_t family; /* AF_INET or AF_INET6; 0 = unset */
	uint8_t bytes[16];
};

struct netprefix {
	struct netaddr addr;
	uint8_t len;
};

struct netendpoint {
	struct netaddr addr;
	uint16_t port; /* host byte order */
};

/* Parsers return 0, or -1 with a short reason in *why (static string). */
int netaddr_parse(const char *text, struct netaddr *out, const char **why);
int netprefix_parse(const char *text, struct netprefix *out, const char **why);
int netendpoint_parse(const char *text, struct netendpoint *out, const char **why);
/* A port number 1..65535 in decimal (no sign, no leading zero). */
int netport_parse(const char *text, uint16_t *port, const char **why);

/* Formatters write a NUL-terminated string of at most NETADDR_TEXT_MAX bytes and return buf. */
char *netaddr_format(const struct netaddr *a, char *buf, size_t size);
char *netprefix_format(const struct netprefix *p, char *buf, size_t size);
char *netendpoint_format(const struct netendpoint *e, char *buf, size_t size);

bool netaddr_equal(const struct netaddr *a, const struct netaddr *b);
bool netendpoint_equal(const struct netendpoint *a, const struct netendpoint *b);
/* true when the two prefixes share at least one address */
bool netprefix_overlap(const struct netprefix *a, const struct netprefix *b);
bool netprefix_contains(const struct netprefix *p, const struct netaddr *a);
/* true when no bit beyond len is set */
bool netprefix_is_canonical(const struct netprefix *p);

/* Conversions to and from the socket API. An IPv4-mapped IPv6 source (::ffff:a.b.c.d, as a
 * dual-stack socket reports IPv4 peers) comes back as AF_INET. to_sockaddr returns 0 for an
 * unset address. */
socklen_t netendpoint_to_sockaddr(const struct netendpoint *e, struct sockaddr_storage *ss);
int netendpoint_from_sockaddr(const struct sockaddr *sa, socklen_t len, struct netendpoint *e);

#endif
