/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The WireGuard UAPI requests under libFuzzer: an input is what a client writes on the socket.
 * It is cut into requests with uapi_frame, as the socket server does, and each request, in a
 * buffer of exactly its size (ASan sees any read past it), goes through uapi_parse_request.
 * Checked for every request:
 *  - framing: a request is not empty, fits the input and ends at its first empty line;
 *  - a refusal says why and leaves the struct zeroed, nothing to free (a leak fails the run);
 *  - an accepted set keeps the order of the lines where it matters: the protocol is a stream of
 *    lines applied in turn (wireguard-go), so a replace_allowed_ips line drops the allowed IPs
 *    of the lines before it, and each peer holds the allowed_ip lines after its last replace;
 *  - an accepted set round-trips: written back as the set request a client would send for the
 *    same change (fuzz_uapi_format_set), it is one request of exactly that length, and parses
 *    to an equal struct;
 *  - the get-reply writers, fed the parsed peers, write only key=value lines;
 *  - uapi_set_free leaves the struct (keys included) zeroed.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "uapi.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(bool ok)
{
	if (!ok)
		abort();
}

static bool
all_zero(const void *p, size_t len)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < len; i++)
		if (b[i] != 0)
			return false;
	return true;
}

static void
key_line(struct strbuf *b, const char *name, const uint8_t key[KEY_LEN])
{
	char hex[KEY_HEX_LEN + 1];

	key_to_hex(hex, key);
	strbuf_printf(b, "%s=%s\n", name, hex);
}

/* The set request that describes the same change as a parsed one, in the order `wg` writes. */
static void
fuzz_uapi_format_set(struct strbuf *b, const struct uapi_set *set)
{
	char text[NETADDR_TEXT_MAX];

	strbuf_puts(b, "set=1\n");
	if (set->has_private_key)
		key_line(b, "private_key", set->private_key);
	if (set->has_listen_port)
		strbuf_printf(b, "listen_port=%u\n", set->listen_port);
	if (set->has_fwmark)
		strbuf_printf(b, "fwmark=%u\n", set->fwmark);
	if (set->replace_peers)
		strbuf_puts(b, "replace_peers=true\n");
	for (size_t i = 0; i < set->peer_count; i++) {
		const struct uapi_peer_change *p = &set->peers[i];

		key_line(b, "public_key", p->public_key);
		if (p->remove)
			strbuf_puts(b, "remove=true\n");
		if (p->update_only)
			strbuf_puts(b, "update_only=true\n");
		if (p->has_preshared_key)
			key_line(b, "preshared_key", p->preshared_key);
		if (p->has_endpoint)
			strbuf_printf(b, "endpoint=%s\n",
				      netendpoint_format(&p->endpoint, text, sizeof(text)));
		if (p->has_keepalive)
			strbuf_printf(b, "persistent_keepalive_interval=%u\n", p->keepalive);
		if (p->replace_allowed_ips)
			strbuf_puts(b, "replace_allowed_ips=true\n");
		for (size_t j = 0; j < p->allowed_ip_count; j++)
			strbuf_printf(b, "allowed_ip=%s\n",
				      netprefix_format(&p->allowed_ips[j], text, sizeof(text)));
	}
	strbuf_puts(b, "\n");
}

static bool
peer_equal(const struct uapi_peer_change *a, const struct uapi_peer_change *b)
{
	if (memcmp(a->public_key, b->public_key, KEY_LEN) != 0 || a->remove != b->remove ||
	    a->update_only != b->update_only || a->has_preshared_key != b->has_preshared_key ||
	    memcmp(a->preshared_key, b->preshared_key, KEY_LEN) != 0 ||
	    a->has_endpoint != b->has_endpoint || a->has_keepalive != b->has_keepalive ||
	    a->keepalive != b->keepalive || a->replace_allowed_ips != b->replace_allowed_ips ||
	    a->allowed_ip_count != b->allowed_ip_count)
		return false;
	if (a->has_endpoint && !netendpoint_equal(&a->endpoint, &b->endpoint))
		return false;
	for (size_t i = 0; i < a->allowed_ip_count; i++)
		if (a->allowed_ips[i].len != b->allowed_ips[i].len ||
		    !netaddr_equal(&a->allowed_ips[i].addr, &b->allowed_ips[i].addr))
			return false;
	return true;
}

static bool
set_equal(const struct uapi_set *a, const struct uapi_set *b)
{
	if (a->has_private_key != b->has_private_key ||
	    memcmp(a->private_key, b->private_key, KEY_LEN) != 0 ||
	    a->has_listen_port != b->has_listen_port || a->listen_port != b->listen_port ||
	    a->has_fwmark != b->has_fwmark || a->fwmark != b->fwmark ||
	    a->replace_peers != b->replace_peers || a->peer_count != b->peer_count)
		return false;
	for (size_t i = 0; i < a->peer_count; i++)
		if (!peer_equal(&a->peers[i], &b->peers[i]))
			return false;
	return true;
}

static bool
line_starts(const char *line, size_t len, const char *key)
{
	size_t n = strlen(key);

	return len >= n && memcmp(line, key, n) == 0;
}

static void
check_line_order(const char *request, size_t len, const struct uapi_set *set)
{
	const char *line = request + strlen("set=1\n"), *end = request + len - 1;
	size_t peer = 0, count = 0;
	bool in_peer = false;

	while (line < end) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		size_t n = (size_t)(nl - line);

		if (line_starts(line, n, "public_key=")) {
			if (in_peer)
				check(set->peers[peer++].allowed_ip_count == count);
			in_peer = true;
			count = 0;
		} else if (line_starts(line, n, "replace_allowed_ips=")) {
			count = 0;
		} else if (line_starts(line, n, "allowed_ip=")) {
			count++;
		}
		line = nl + 1;
	}
	if (in_peer)
		check(set->peers[peer++].allowed_ip_count == count);
	check(peer == set->peer_count);
}

static void
check_round_trip(const struct uapi_set *set)
{
	struct uapi_set again;
	enum uapi_operation op;
	struct strbuf text;
	char why[256];

	strbuf_init(&text, 0);
	fuzz_uapi_format_set(&text, set);
	check(!text.failed);
	check(uapi_frame(text.data, text.len) == text.len);
	check(uapi_parse_request(text.data, text.len, &op, &again, why, sizeof(why)) == 0);
	check(op == UAPI_SET);
	check(set_equal(set, &again));
	uapi_set_free(&again);
	strbuf_free(&text);
}

/* Every line of a get reply is key=value: nothing a value holds can start another line. */
static void
check_get_reply(const struct uapi_set *set)
{
	struct strbuf reply;
	const char *line, *end;

	strbuf_init(&reply, 0);
	uapi_write_interface(&reply, set->has_private_key ? set->private_key : NULL,
			     set->listen_port, set->fwmark);
	for (size_t i = 0; i < set->peer_count; i++) {
		const struct uapi_peer_change *p = &set->peers[i];
		struct uapi_peer_info info = {
			.public_key = p->public_key,
			.preshared_key = p->has_preshared_key ? p->preshared_key : NULL,
			.endpoint = p->has_endpoint ? &p->endpoint : NULL,
			.persistent_keepalive = p->keepalive,
			.allowed_ips = p->allowed_ips,
			.allowed_ip_count = p->allowed_ip_count,
		};

		uapi_write_peer(&reply, &info);
	}
	uapi_write_errno(&reply, 0);
	check(!reply.failed && reply.len >= 2);
	check(memcmp(reply.data + reply.len - 2, "\n\n", 2) == 0);
	check(memchr(reply.data, '\0', reply.len) == NULL);
	end = reply.data + reply.len - 1; /* the final empty line */
	for (line = reply.data; line < end;) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));

		check(nl != NULL && nl > line);
		check(memchr(line, '=', (size_t)(nl - line)) != NULL);
		line = nl + 1;
	}
	strbuf_free(&reply);
}

static void
one_request(const char *request, size_t len)
{
	enum uapi_operation op;
	struct uapi_set set;
	char why[256];
	int rc;

	memset(why, 0, sizeof(why));
	rc = uapi_parse_request(request, len, &op, &set, why, sizeof(why));
	if (rc != 0) {
		check(rc == EINVAL || rc == ENOMEM || rc == EPROTO);
		check(why[0] != '\0' && memchr(why, '\0', sizeof(why)) != NULL);
		if (rc != EPROTO)
			check(all_zero(&set, sizeof(set)));
		return;
	}
	check(op == UAPI_GET || op == UAPI_SET);
	check(op != UAPI_GET || (len == 7 && memcmp(request, "get=1\n\n", 7) == 0));
	if (op == UAPI_GET)
		return;
	check_line_order(request, len, &set);
	check_round_trip(&set);
	check_get_reply(&set);
	uapi_set_free(&set);
	check(all_zero(&set, sizeof(set)));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	size_t left = size, n;

	while ((n = uapi_frame(p, left)) > 0) {
		char *request;

		check(n >= 2 && n <= left && p[n - 1] == '\n' && p[n - 2] == '\n');
		/* the first empty line ends it: none before */
		for (size_t i = 1; i + 1 < n; i++)
			check(!(p[i] == '\n' && p[i - 1] == '\n'));
		request = malloc(n);
		check(request != NULL);
		memcpy(request, p, n);
		one_request(request, n);
		free(request);
		p += n;
		left -= n;
	}
	return 0;
}
