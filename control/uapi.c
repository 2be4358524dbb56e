/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "uapi.h"

static int
fail(char *why, size_t size, const char *key, const char *problem)
{
	snprintf(why, size, "%s: %s", key, problem);
	return EINVAL;
}

/* Decimal without sign, leading '+', spaces or overflow. */
static int
parse_uint(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		if (v > (max - (uint64_t)(*s - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return 0;
}

static int
parse_bool_true(const char *s)
{
	/* the protocol only ever says "true"; anything else is a malformed request */
	return strcmp(s, "true") == 0 ? 0 : -1;
}

static struct uapi_peer_change *
peer_add(struct uapi_set *set)
{
	struct uapi_peer_change *p;

	if (set->peer_count == set->peer_cap) {
		size_t cap = set->peer_cap ? set->peer_cap * 2 : 8;
		struct uapi_peer_change *grown = realloc(set->peers, cap * sizeof(*grown));

		if (grown == NULL)
			return NULL;
		set->peers = grown;
		set->peer_cap = cap;
	}
	p = &set->peers[set->peer_count++];
	memset(p, 0, sizeof(*p));
	return p;
}

static int
allowed_ip_add(struct uapi_peer_change *p, const struct netprefix *prefix)
{
	if (p->allowed_ip_count == p->allowed_ip_cap) {
		size_t cap = p->allowed_ip_cap ? p->allowed_ip_cap * 2 : 4;
		struct netprefix *grown = realloc(p->allowed_ips, cap * sizeof(*grown));

		if (grown == NULL)
			return -1;
		p->allowed_ips = grown;
		p->allowed_ip_cap = cap;
	}
	p->allowed_ips[p->allowed_ip_count++] = *prefix;
	return 0;
}

/* One key=value line; peer is the peer being described, NULL before the first public_key. */
static int
parse_line(struct uapi_set *set, char *key, char *value, char *why, size_t why_size)
{
	struct uapi_peer_change *peer = set->peer_count ? &set->peers[set->peer_count - 1] : NULL;
	const char *reason;
	uint64_t n;

	if (peer == NULL && strcmp(key, "private_key") == 0) {
		if (key_from_hex(set->private_key, value) != 0)
			return fail(why, why_size, key, "not a 64-digit hex key");
		set->has_private_key = true;
	} else if (peer == NULL && strcmp(key, "listen_port") == 0) {
		if (parse_uint(value, 65535, &n) != 0)
			return fail(why, why_size, key, "not a port number");
		set->has_listen_port = true;
		set->listen_port = (uint16_t)n;
	} else if (peer == NULL && strcmp(key, "fwmark") == 0) {
		if (value[0] != '\0' && parse_uint(value, UINT32_MAX, &n) != 0)
			return fail(why, why_size, key, "not a number");
		set->has_fwmark = true;
		set->fwmark = value[0] == '\0' ? 0 : (uint32_t)n;
	} else if (peer == NULL && strcmp(key, "replace_peers") == 0) {
		if (parse_bool_true(value) != 0)
			return fail(why, why_size, key, "only \"true\" is meaningful");
		set->replace_peers = true;
	} else if (strcmp(key, "public_key") == 0) {
		peer = peer_add(set);
		if (peer == NULL)
			return ENOMEM;
		if (key_from_hex(peer->public_key, value) != 0)
			return fail(why, why_size, key, "not a 64-digit hex key");
	} else if (peer != NULL && strcmp(key, "remove") == 0) {
		if (parse_bool_true(value) != 0)
			return fail(why, why_size, key, "only \"true\" is meaningful");
		peer->remove = true;
	} else if (peer != NULL && strcmp(key, "update_only") == 0) {
		if (parse_bool_true(value) != 0)
			return fail(why, why_size, key, "only \"true\" is meaningful");
		peer->update_only = true;
	} else if (peer != NULL && strcmp(key, "preshared_key") == 0) {
		if (key_from_hex(peer->preshared_key, value) != 0)
			return fail(why, why_size, key, "not a 64-digit hex key");
		peer->has_preshared_key = true;
	} else if (peer != NULL && strcmp(key, "endpoint") == 0) {
		if (netendpoint_parse(value, &peer->endpoint, &reason) != 0) {
			snprintf(why, why_size, "endpoint: %s", reason);
			return EINVAL;
		}
		peer->has_endpoint = true;
	} else if (peer != NULL && strcmp(key, "persistent_keepalive_interval") == 0) {
		if (parse_uint(value, 65535, &n) != 0)
			return fail(why, why_size, key, "not a number of seconds");
		peer->has_keepalive = true;
		peer->keepalive = (uint16_t)n;
	} else if (peer != NULL && strcmp(key, "replace_allowed_ips") == 0) {
		if (parse_bool_true(value) != 0)
			return fail(why, why_size, key, "only \"true\" is meaningful");
		/* lines apply in turn (as wireguard-go reads them): the replace also drops what
		 * this request added before it */
		peer->replace_allowed_ips = true;
		peer->allowed_ip_count = 0;
	} else if (peer != NULL && strcmp(key, "allowed_ip") == 0) {
		struct netprefix prefix;

		if (netprefix_parse(value, &prefix, &reason) != 0) {
			snprintf(why, why_size, "allowed_ip: %s", reason);
			return EINVAL;
		}
		/* `wg` sends what the user typed; the kernel masks host bits, so do we */
		for (unsigned int i = prefix.len; i < (prefix.addr.family == AF_INET ? 32u : 128u); i++)
			prefix.addr.bytes[i / 8] &= (uint8_t)~(0x80u >> (i % 8));
		if (allowed_ip_add(peer, &prefix) != 0)
			return ENOMEM;
	} else if (peer != NULL && strcmp(key, "protocol_version") == 0) {
		if (strcmp(value, "1") != 0)
			return fail(why, why_size, key, "only version 1 exists");
	} else {
		snprintf(why, why_size, "unknown or misplaced key \"%.64s\"", key);
		return EINVAL;
	}
	return 0;
}

int
uapi_parse_set(const char *body, size_t len, struct uapi_set *out, char *why, size_t why_size)
{
	const char *p = body, *end = body + len;
	char line[512];
	int rc = 0;

	memset(out, 0, sizeof(*out));
	snprintf(why, why_size, "ok");
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		char *eq;

		if (n == 0 || n >= sizeof(line) || memchr(p, '\0', n) != NULL) {
			snprintf(why, why_size, n == 0 ? "empty line inside a request"
						      : "line too long or with a NUL byte");
			rc = EINVAL;
			break;
		}
		memcpy(line, p, n);
		line[n] = '\0';
		p += n + (nl != NULL);
		eq = strchr(line, '=');
		if (eq == NULL) {
			snprintf(why, why_size, "line without '='");
			rc = EINVAL;
			break;
		}
		*eq = '\0';
		rc = parse_line(out, line, eq + 1, why, why_size);
		sodium_memzero(line, sizeof(line));
		if (rc != 0)
			break;
	}
	sodium_memzero(line, sizeof(line));
	if (rc != 0)
		uapi_set_free(out);
	return rc;
}

size_t
uapi_frame(const char *data, size_t len)
{
	for (size_t i = 1; i < len; i++)
		if (data[i] == '\n' && data[i - 1] == '\n')
			return i + 1;
	return 0;
}

int
uapi_parse_request(const char *request, size_t len, enum uapi_operation *op,
		   struct uapi_set *set, char *why, size_t why_size)
{
	static const char get[] = "get=1\n\n", set_line[] = "set=1\n";

	if (len == sizeof(get) - 1 && memcmp(request, get, len) == 0) {
		*op = UAPI_GET;
		return 0;
	}
	/* the body lies between the first line and the final empty line */
	if (len > sizeof(set_line) - 1 && memcmp(request, set_line, sizeof(set_line) - 1) == 0 &&
	    request[len - 1] == '\n') {
		*op = UAPI_SET;
		return uapi_parse_set(request + sizeof(set_line) - 1, len - sizeof(set_line), set,
				      why, why_size);
	}
	snprintf(why, why_size, "unknown operation");
	return EPROTO;
}

void
uapi_set_free(struct uapi_set *set)
{
	for (size_t i = 0; i < set->peer_count; i++)
		free(set->peers[i].allowed_ips);
	if (set->peers != NULL) {
		sodium_memzero(set->peers, set->peer_cap * sizeof(*set->peers));
		free(set->peers);
	}
	sodium_memzero(set, sizeof(*set));
}

void
uapi_write_interface(struct strbuf *b, const uint8_t *private_key, uint16_t listen_port,
		     uint32_t fwmark)
{
	char hex[KEY_HEX_LEN + 1];

	if (private_key != NULL) {
		key_to_hex(hex, private_key);
		strbuf_printf(b, "private_key=%s\n", hex);
		sodium_memzero(hex, sizeof(hex));
	}
	strbuf_printf(b, "listen_port=%u\n", listen_port);
	if (fwmark != 0)
		strbuf_printf(b, "fwmark=%u\n", fwmark);
}

void
uapi_write_peer(struct strbuf *b, const struct uapi_peer_info *peer)
{
	char hex[KEY_HEX_LEN + 1], text[NETADDR_TEXT_MAX];

	key_to_hex(hex, peer->public_key);
	strbuf_printf(b, "public_key=%s\n", hex);
	if (peer->preshared_key != NULL) {
		key_to_hex(hex, peer->preshared_key);
		strbuf_printf(b, "preshared_key=%s\n", hex);
		sodium_memzero(hex, sizeof(hex));
	}
	strbuf_puts(b, "protocol_version=1\n");
	if (peer->endpoint != NULL && peer->endpoint->addr.family != 0)
		strbuf_printf(b, "endpoint=%s\n",
			      netendpoint_format(peer->endpoint, text, sizeof(text)));
	strbuf_printf(b, "last_handshake_time_sec=%llu\nlast_handshake_time_nsec=%llu\n",
		      (unsigned long long)peer->last_handshake_sec,
		      (unsigned long long)peer->last_handshake_nsec);
	strbuf_printf(b, "tx_bytes=%llu\nrx_bytes=%llu\n", (unsigned long long)peer->tx_bytes,
		      (unsigned long long)peer->rx_bytes);
	strbuf_printf(b, "persistent_keepalive_interval=%u\n", peer->persistent_keepalive);
	for (size_t i = 0; i < peer->allowed_ip_count; i++)
		strbuf_printf(b, "allowed_ip=%s\n",
			      netprefix_format(&peer->allowed_ips[i], text, sizeof(text)));
}

void
uapi_write_errno(struct strbuf *b, int error)
{
	strbuf_printf(b, "errno=%d\n\n", error == 0 ? 0 : -abs(error));
}
