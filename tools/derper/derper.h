/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * exitgate-derper: a DERP v2 relay and STUN responder in one epoll loop. Shared declarations of
 * its parts: configuration (derper_config.c), keys and certificates (derper_keys.c,
 * derper_tls.c), the relay (derper_server.c) and the STUN responder (derper_stun.c).
 */
#ifndef EXITGATE_DERPER_H
#define EXITGATE_DERPER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

#include "derp_proto.h"
#include "netaddr.h"

enum {
	DERPER_PATH_MAX = 4096,
	DERPER_NAME_MAX = 255,
	DERPER_ERROR_MAX = 512,
	DERPER_DEFAULT_PORT = 443,
	DERPER_DEFAULT_MAX_CLIENTS = 100000,
	DERPER_QUEUE_PACKETS = 32,
	DERPER_WRITE_TIMEOUT_MS = 2000,
	DERPER_LOGIN_TIMEOUT_MS = DERP_LOGIN_STEP_TIMEOUT * 1000,
	DERPER_KEEPALIVE_MS = DERP_KEEPALIVE_INTERVAL * 1000,
	DERPER_KEEPALIVE_JITTER_MS = DERP_KEEPALIVE_JITTER * 1000,
};

struct derper_config {
	/* listen: "a.b.c.d:port", "[x::y]:port" or ":port" (every address, IPv4 and IPv6) */
	bool listen_any;
	struct netendpoint listen;
	char cert_file[DERPER_PATH_MAX];
	char key_file_tls[DERPER_PATH_MAX];
	char self_signed[DERPER_NAME_MAX + 1];
	char pin_file[DERPER_PATH_MAX];
	char key_file[DERPER_PATH_MAX]; /* the relay's X25519 key */
	int32_t stun_port;              /* 0 = off */
	uint64_t rate;                  /* bytes/s per client, 0 = unlimited */
	uint64_t burst;
	uint32_t max_clients;
	int log_level;
	/* Timing knobs; the defaults are the protocol's, tests shorten them. */
	uint32_t login_timeout_ms;
	uint32_t write_timeout_ms;
	uint32_t keepalive_ms;
	uint32_t keepalive_jitter_ms;
};

/* Fills defaults, then the YAML file of --config (if any), then the other flags (which win).
 * Returns 0, 1 when --help was printed, -1 on error (message printed). */
int derper_config_load(struct derper_config *cfg, int argc, char **argv);
/* Reads a YAML file; error gets "file:line:column: key: message". */
int derper_config_load_yaml(struct derper_config *cfg, const char *path, char *error,
			    size_t error_size);

/* The relay's X25519 key: from key_file (0600, base64; created when missing) or fresh. */
int derper_load_or_create_key(const char *key_file, uint8_t private_key[DERP_KEY_LEN],
			      uint8_t public_key[DERP_KEY_LEN]);

/* A TLS server context from files, or a self-signed ECDSA P-256 certificate for name. Logs
 * and prints the certificate's pin; writes it to pin_file when given. */
SSL_CTX *derper_tls_context(const struct derper_config *cfg);

/* STUN responder sockets bound to the listen address's host at cfg->stun_port. */
struct derper_stun;
struct derper_stun *derper_stun_open(const struct derper_config *cfg);
/* Registered in epfd with data.u64 = tag + index; returns how many sockets. */
int derper_stun_register(struct derper_stun *s, int epfd, uint64_t tag);
void derper_stun_dispatch(struct derper_stun *s, unsigned int index);
uint64_t derper_stun_answered(const struct derper_stun *s);
uint64_t derper_stun_dropped(const struct derper_stun *s);
void derper_stun_close(struct derper_stun *s);

/* Runs the relay until SIGINT/SIGTERM. */
int derper_run(const struct derper_config *cfg, SSL_CTX *tls, const uint8_t private_key[DERP_KEY_LEN],
	       const uint8_t public_key[DERP_KEY_LEN], struct derper_stun *stun);

/* Short public-key prefix for logs: the first 8 hex digits, never anything private. */
void derper_key_short(const uint8_t key[DERP_KEY_LEN], char out[9]);

#endif
