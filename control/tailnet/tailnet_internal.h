/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control client's state, shared by the state machine (tailnet.c) and its status output
 * (tailnet_status.c). Internal to the tailnet module.
 */
#ifndef EXITGATE_TAILNET_INTERNAL_H
#define EXITGATE_TAILNET_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tailnet.h"
#include "tailnet_delta.h"
#include "tailnet_h2.h"
#include "tailnet_json.h"
#include "tailnet_mapstream.h"
#include "tailnet_transport.h"
#include "ts2021_http.h"
#include "ts2021_noise.h"
#include "ts2021_record.h"

struct wg_crypto;

enum {
	TAILNET_IN_MAX = TS2021_HTTP_HEAD_MAX + TS2021_HTTP_BODY_MAX + 64,
	TAILNET_OUT_MAX = 256 << 10,
	TAILNET_READ_CHUNK = 16 << 10,
	TAILNET_RESPONSE_BODY_MAX = 256 << 10, /* register and lite answers, error texts */
};

/* Where a connection attempt is. */
enum tailnet_phase {
	TAILNET_PHASE_IDLE,        /* not connected: back-off (or never started) */
	TAILNET_PHASE_RESOLVE,
	TAILNET_PHASE_KEY_CONNECT, /* TCP/TLS for GET /key */
	TAILNET_PHASE_KEY_EXCHANGE,
	TAILNET_PHASE_UP_CONNECT,  /* TCP/TLS for POST /ts2021 */
	TAILNET_PHASE_UP_EXCHANGE, /* the 101 and the Noise response */
	TAILNET_PHASE_SESSION,     /* Noise transport, HTTP/2: register, then the map poll */
};

enum tailnet_request_kind {
	TAILNET_REQ_NONE,
	TAILNET_REQ_REGISTER,
	TAILNET_REQ_MAP,
	TAILNET_REQ_LITE,
};

struct tailnet_request {
	struct tailnet *t;
	enum tailnet_request_kind kind;
	int32_t stream_id;
	int status;
	bool done;
	uint32_t error_code;
	uint8_t *body; /* the answer (register, lite, error texts), NUL-terminated */
	size_t len;
	size_t cap;
	bool too_long;
	uint64_t deadline;
};

struct tailnet {
	struct loop *loop;
	int timer;
	struct http_url url;
	char *login_server;
	char *auth_key_file;
	char *state_dir;
	char hostname[256];
	char ipn_version[64];
	bool advertise_exit_node;
	uint16_t version;
	bool zstd;
	size_t max_peers;
	uint32_t backoff_max_ms;
	uint32_t watchdog_ms;
	uint8_t node_public[32];
	uint8_t disco_public[32];
	uint8_t machine_private[32], machine_public[32];
	bool server_knows_us; /* the machine key existed, or this process logged in */
	SSL_CTX *ssl_ctx;
	struct wg_crypto *crypto;
	tailnet_netmap_fn on_netmap;
	tailnet_state_fn on_state;
	tailnet_message_fn on_message;
	void *ctx;

	/* what the node publishes */
	struct netendpoint endpoints[TAILNET_ENDPOINTS_MAX];
	uint8_t endpoint_types[TAILNET_ENDPOINTS_MAX];
	size_t endpoint_count;
	bool netinfo_known;
	struct tailnet_netinfo netinfo;
	struct tailnet_derp_latency latency[TAILNET_DERP_LATENCY_MAX];
	bool lite_dirty;
	uint64_t lite_due;

	/* the connection */
	enum tailnet_phase phase;
	enum tailnet_state state;
	char reason[256];
	struct tailnet_resolver resolver;
	struct sockaddr_storage addrs[TAILNET_ADDRS_MAX];
	socklen_t addr_lens[TAILNET_ADDRS_MAX];
	size_t addr_count;
	size_t addr_next;
	struct tailnet_transport tr;
	int registered_fd;
	uint32_t registered_events;
	uint64_t deadline;
	uint64_t retry_at;
	uint32_t failures;
	uint8_t server_key[32];
	bool server_key_known;
	uint8_t *in;
	size_t in_len;
	uint8_t *out;
	size_t out_off, out_len;
	bool read_pending;
	struct ts2021_handshake hs;
	struct ts2021_session session;
	struct ts2021_reader reader;
	struct ts2021_early early;
	uint8_t plain[TS2021_PLAINTEXT_MAX];
	uint8_t stage[TS2021_PLAINTEXT_MAX];
	size_t stage_len;
	uint8_t rbuf[TAILNET_READ_CHUNK];
	struct tailnet_h2 *h2;
	struct tailnet_request reg, map, lite;
	bool register_with_auth;
	struct tailnet_mapstream mapstream;
	bool map_started;
	uint64_t last_map_rx;
	uint64_t connected_since;
	const char *fail_reason;  /* set by a callback: fail once the session returns */
	uint64_t *fail_counter;
	char fail_buf[TAILNET_WHY_MAX + 64];

	struct tailnet_store store;
	struct tailnet_stats stats;
};

#endif
