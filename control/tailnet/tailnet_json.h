/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The JSON of the control protocol with jansson: MapResponse -> struct tailnet_delta (and the
 * packet filter rules in it), RegisterResponse, the /key answer; and the requests
 * (RegisterRequest, MapRequest streaming and lite). Field names are tailcfg's Go field names;
 * as Go's encoding/json does, an exact name is preferred and a case-insensitive one accepted.
 *
 * A message is refused whole (with the reason) when its structure is wrong (a list where an
 * object belongs, a malformed key, address or time, a node over a per-node limit, a filter over
 * its limits); what is only odd is counted and skipped: endpoints with an IPv6 zone or beyond
 * the per-node limit, label texts longer than their arrays (truncated), filter entries Go's
 * filter parser also skips.
 */
#ifndef EXITGATE_TAILNET_JSON_H
#define EXITGATE_TAILNET_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tailnet_delta.h"

enum {
	TAILNET_WHY_MAX = 192,
	/* one message's packet filter */
	TAILNET_FILTER_CHUNKS_MAX = 1024,
	TAILNET_FILTER_RULES_MAX = 16384,
	TAILNET_FILTER_ENTRIES_MAX = 1 << 18, /* sources, destinations and caps, after expansion */
	TAILNET_FILTER_PROTOS_MAX = 256,
};

struct tailnet_parse_counters {
	uint64_t endpoints_skipped;  /* zoned IPv6 or beyond TAILNET_NODE_ENDPOINTS_MAX */
	uint64_t texts_truncated;
	uint64_t filter_entries_skipped; /* entries Go's filter parser skips (bad IP sets, SrcBits) */
	uint64_t ping_requests_ignored;
};

/* Parse one MapResponse into d (initialised here). Returns 0, or -1 with why (d freed). */
int tailnet_json_parse_map(const char *text, size_t len, struct tailnet_delta *d,
			   struct tailnet_parse_counters *counters, char why[TAILNET_WHY_MAX]);

/* Parse a FilterRule list (a JSON text) into rules; shared with the unit tests. */
int tailnet_json_parse_filter(const char *text, size_t len, struct tailnet_filter_rule **rules,
			      size_t *count, struct tailnet_parse_counters *counters,
			      char why[TAILNET_WHY_MAX]);

struct tailnet_register_result {
	bool machine_authorized;
	bool node_key_expired;
	char auth_url[512];
	char error[256];
	char login_name[TAILNET_NAME_MAX + 1];
};

int tailnet_json_parse_register(const char *text, size_t len, struct tailnet_register_result *r,
				char why[TAILNET_WHY_MAX]);

/* The /key?v=N answer: {"publicKey":"mkey:..."} or, from old servers, 64 bare hex digits. */
int tailnet_json_parse_server_key(const uint8_t *body, size_t len, uint8_t key[32],
				  char why[TAILNET_WHY_MAX]);

/* What the requests say about this node. */
struct tailnet_request_info {
	uint16_t version;
	const uint8_t *node_public;  /* 32 bytes */
	const uint8_t *disco_public; /* 32 bytes, or NULL before there is one */
	const char *hostname;
	const char *ipn_version;
	bool advertise_exit_node;
	bool zstd;
	const struct tailnet_netinfo *netinfo; /* NULL = none yet */
	const struct netendpoint *endpoints;
	const uint8_t *endpoint_types;
	size_t endpoint_count;
};

/* Requests as malloc'd JSON text (NULL when out of memory). auth_key NULL: no Auth. */
char *tailnet_json_register_request(const struct tailnet_request_info *info,
				    const char *auth_key);
/* stream: the long poll (Stream, KeepAlive); otherwise the lite update (OmitPeers). */
char *tailnet_json_map_request(const struct tailnet_request_info *info, bool stream);

/* RFC 3339 time (Go's time.Time text) to Unix seconds; Go's zero time is 0. -1 if malformed. */
int tailnet_json_parse_time(const char *text, int64_t *out);

#endif
