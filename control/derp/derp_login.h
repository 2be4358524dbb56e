/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The DERP login: ServerKey (server -> client), ClientInfo (client -> server, a box sealed with
 * the client's WireGuard static key to the server key), ServerInfo (server -> client, sealed
 * back). Boxes are libsodium crypto_box_easy with a random 24-byte nonce in front.
 */
#ifndef EXITGATE_DERP_LOGIN_H
#define EXITGATE_DERP_LOGIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "derp_proto.h"

enum {
	DERP_MESH_KEY_MAX = 64,
	DERP_APP_NAME_MAX = 64,
	/* Room for the JSON we write ourselves. */
	DERP_LOGIN_JSON_MAX = 512,
	DERP_CLIENT_INFO_FRAME_MAX = DERP_FRAME_HEADER_LEN + DERP_KEY_LEN + DERP_NONCE_LEN +
				     DERP_BOX_OVERHEAD + DERP_LOGIN_JSON_MAX,
	DERP_SERVER_INFO_FRAME_MAX = DERP_FRAME_HEADER_LEN + DERP_NONCE_LEN + DERP_BOX_OVERHEAD +
				     DERP_LOGIN_JSON_MAX,
};

struct derp_client_info {
	int64_t version;
	bool can_ack_pings;
	bool is_prober;
	char mesh_key[DERP_MESH_KEY_MAX + 1]; /* "" = none */
	char app_name[DERP_APP_NAME_MAX + 1]; /* "" = none */
};

struct derp_server_info {
	int64_t version;
	/* 0 = no rate limit announced */
	int64_t token_bucket_bytes_per_second;
	int64_t token_bucket_bytes_burst;
};

enum derp_login_error {
	DERP_LOGIN_OK = 0,
	DERP_LOGIN_BAD_LENGTH = -1,
	DERP_LOGIN_BAD_BOX = -2,
	DERP_LOGIN_BAD_JSON = -3,
	DERP_LOGIN_BAD_VERSION = -4,
	DERP_LOGIN_NOMEM = -5,
	DERP_LOGIN_BAD_KEY = -6,
};

const char *derp_login_error_name(int error);

/* ClientInfo frame: our public key, nonce, box(JSON). Returns the frame length or 0. */
size_t derp_build_client_info(uint8_t *out, size_t size, const uint8_t client_private[DERP_KEY_LEN],
			      const uint8_t client_public[DERP_KEY_LEN],
			      const uint8_t server_public[DERP_KEY_LEN],
			      const struct derp_client_info *info);
/* Seal an arbitrary JSON text as a ClientInfo frame (tests and the hostile-input lab). */
size_t derp_build_client_info_json(uint8_t *out, size_t size,
				   const uint8_t client_private[DERP_KEY_LEN],
				   const uint8_t client_public[DERP_KEY_LEN],
				   const uint8_t server_public[DERP_KEY_LEN], const char *json,
				   size_t json_len);
/* Server side: check length, open the box, parse the JSON strictly. why gets a static reason. */
int derp_open_client_info(const struct derp_frame *f, const uint8_t server_private[DERP_KEY_LEN],
			  uint8_t client_public[DERP_KEY_LEN], struct derp_client_info *info,
			  const char **why);

size_t derp_build_server_info(uint8_t *out, size_t size, const uint8_t server_private[DERP_KEY_LEN],
			      const uint8_t client_public[DERP_KEY_LEN],
			      const struct derp_server_info *info);
int derp_open_server_info(const struct derp_frame *f, const uint8_t client_private[DERP_KEY_LEN],
			  const uint8_t server_public[DERP_KEY_LEN], struct derp_server_info *info,
			  const char **why);

#endif
