/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "derp_json.h"
#include "derp_login.h"

const char *
derp_login_error_name(int error)
{
	switch (error) {
	case DERP_LOGIN_OK:
		return "ok";
	case DERP_LOGIN_BAD_LENGTH:
		return "bad length";
	case DERP_LOGIN_BAD_BOX:
		return "box does not open";
	case DERP_LOGIN_BAD_JSON:
		return "bad JSON";
	case DERP_LOGIN_BAD_VERSION:
		return "unsupported version";
	case DERP_LOGIN_NOMEM:
		return "out of memory";
	case DERP_LOGIN_BAD_KEY:
		return "bad key";
	default:
		return "unknown";
	}
}

/* Writes nonce || crypto_box_easy(message) at out. */
static int
seal(uint8_t *out, const uint8_t *message, size_t message_len, const uint8_t peer[DERP_KEY_LEN],
     const uint8_t private_key[DERP_KEY_LEN])
{
	randombytes_buf(out, DERP_NONCE_LEN);
	return crypto_box_easy(out + DERP_NONCE_LEN, message, message_len, out, peer, private_key);
}

/* Opens nonce || box into a new NUL-terminated buffer. */
static int
open_box(const uint8_t *in, size_t in_len, const uint8_t peer[DERP_KEY_LEN],
	 const uint8_t private_key[DERP_KEY_LEN], char **plain, size_t *plain_len)
{
	size_t len;
	char *buf;

	if (in_len < DERP_NONCE_LEN + DERP_BOX_OVERHEAD)
		return DERP_LOGIN_BAD_LENGTH;
	len = in_len - DERP_NONCE_LEN - DERP_BOX_OVERHEAD;
	buf = malloc(len + 1);
	if (buf == NULL)
		return DERP_LOGIN_NOMEM;
	if (crypto_box_open_easy((uint8_t *)buf, in + DERP_NONCE_LEN, in_len - DERP_NONCE_LEN, in,
				 peer, private_key) != 0) {
		free(buf);
		return DERP_LOGIN_BAD_BOX;
	}
	buf[len] = '\0';
	*plain = buf;
	*plain_len = len;
	return DERP_LOGIN_OK;
}

size_t
derp_build_client_info_json(uint8_t *out, size_t size, const uint8_t client_private[DERP_KEY_LEN],
			    const uint8_t client_public[DERP_KEY_LEN],
			    const uint8_t server_public[DERP_KEY_LEN], const char *json,
			    size_t json_len)
{
	size_t payload = DERP_KEY_LEN + DERP_NONCE_LEN + DERP_BOX_OVERHEAD + json_len;

	if (payload > UINT32_MAX || size < DERP_FRAME_HEADER_LEN + payload)
		return 0;
	derp_frame_header(out, DERP_FRAME_CLIENT_INFO, (uint32_t)payload);
	memcpy(out + DERP_FRAME_HEADER_LEN, client_public, DERP_KEY_LEN);
	if (seal(out + DERP_FRAME_HEADER_LEN + DERP_KEY_LEN, (const uint8_t *)json, json_len,
		 server_public, client_private) != 0)
		return 0;
	return DERP_FRAME_HEADER_LEN + payload;
}

size_t
derp_build_client_info(uint8_t *out, size_t size, const uint8_t client_private[DERP_KEY_LEN],
		       const uint8_t client_public[DERP_KEY_LEN],
		       const uint8_t server_public[DERP_KEY_LEN],
		       const struct derp_client_info *info)
{
	struct derp_json_writer w;
	char json[DERP_LOGIN_JSON_MAX];
	int len;

	derp_json_begin(&w, json, sizeof(json));
	derp_json_int(&w, "version", info->version);
	derp_json_bool(&w, "CanAckPings", info->can_ack_pings);
	if (info->is_prober)
		derp_json_bool(&w, "IsProber", true);
	if (info->mesh_key[0] != '\0')
		derp_json_string(&w, "meshKey", info->mesh_key);
	if (info->app_name[0] != '\0')
		derp_json_string(&w, "AppName", info->app_name);
	len = derp_json_finish(&w);
	if (len < 0)
		return 0;
	return derp_build_client_info_json(out, size, client_private, client_public,
					   server_public, json, (size_t)len);
}

int
derp_open_client_info(const struct derp_frame *f, const uint8_t server_private[DERP_KEY_LEN],
		      uint8_t client_public[DERP_KEY_LEN], struct derp_client_info *info,
		      const char **why)
{
	int64_t version = 0;
	struct derp_json_member members[] = {
		{.name = "version", .type = DERP_JSON_INT, .out = &version, .min = 0,
		 .max = INT32_MAX},
		{.name = "CanAckPings", .type = DERP_JSON_BOOL, .out = &info->can_ack_pings},
		{.name = "IsProber", .type = DERP_JSON_BOOL, .out = &info->is_prober},
		{.name = "meshKey", .type = DERP_JSON_STRING, .out = info->mesh_key,
		 .string_size = sizeof(info->mesh_key)},
		{.name = "AppName", .type = DERP_JSON_STRING, .out = info->app_name,
		 .string_size = sizeof(info->app_name)},
	};
	char *plain = NULL;
	size_t plain_len;
	int rc;

	*why = NULL;
	memset(info, 0, sizeof(*info));
	if (f->type != DERP_FRAME_CLIENT_INFO || f->length < DERP_CLIENT_INFO_MIN ||
	    f->length > DERP_CLIENT_INFO_MAX) {
		*why = "ClientInfo length out of range";
		return DERP_LOGIN_BAD_LENGTH;
	}
	memcpy(client_public, f->payload, DERP_KEY_LEN);
	if (sodium_is_zero(client_public, DERP_KEY_LEN)) {
		*why = "client key is zero";
		return DERP_LOGIN_BAD_KEY;
	}
	rc = open_box(f->payload + DERP_KEY_LEN, f->length - DERP_KEY_LEN, client_public,
		      server_private, &plain, &plain_len);
	if (rc != DERP_LOGIN_OK) {
		*why = derp_login_error_name(rc);
		return rc;
	}
	rc = derp_json_read_object(plain, plain_len, members, sizeof(members) / sizeof(members[0]),
				   why);
	free(plain);
	if (rc < 0)
		return DERP_LOGIN_BAD_JSON;
	info->version = version;
	/* Version 1 clients expect RecvPacket without the source key: not supported. */
	if (version < DERP_PROTOCOL_VERSION) {
		*why = "client protocol version below 2";
		return DERP_LOGIN_BAD_VERSION;
	}
	return DERP_LOGIN_OK;
}

size_t
derp_build_server_info(uint8_t *out, size_t size, const uint8_t server_private[DERP_KEY_LEN],
		       const uint8_t client_public[DERP_KEY_LEN],
		       const struct derp_server_info *info)
{
	struct derp_json_writer w;
	char json[DERP_LOGIN_JSON_MAX];
	size_t payload;
	int len;

	derp_json_begin(&w, json, sizeof(json));
	derp_json_int(&w, "version", info->version);
	if (info->token_bucket_bytes_per_second > 0) {
		derp_json_int(&w, "TokenBucketBytesPerSecond", info->token_bucket_bytes_per_second);
		derp_json_int(&w, "TokenBucketBytesBurst", info->token_bucket_bytes_burst);
	}
	len = derp_json_finish(&w);
	if (len < 0)
		return 0;
	payload = DERP_NONCE_LEN + DERP_BOX_OVERHEAD + (size_t)len;
	if (size < DERP_FRAME_HEADER_LEN + payload)
		return 0;
	derp_frame_header(out, DERP_FRAME_SERVER_INFO, (uint32_t)payload);
	if (seal(out + DERP_FRAME_HEADER_LEN, (const uint8_t *)json, (size_t)len, client_public,
		 server_private) != 0)
		return 0;
	return DERP_FRAME_HEADER_LEN + payload;
}

int
derp_open_server_info(const struct derp_frame *f, const uint8_t client_private[DERP_KEY_LEN],
		      const uint8_t server_public[DERP_KEY_LEN], struct derp_server_info *info,
		      const char **why)
{
	int64_t version = 0, rate = 0, burst = 0;
	struct derp_json_member members[] = {
		{.name = "version", .type = DERP_JSON_INT, .out = &version, .min = 0,
		 .max = INT32_MAX},
		{.name = "TokenBucketBytesPerSecond", .type = DERP_JSON_INT, .out = &rate,
		 .min = 0, .max = INT64_MAX},
		{.name = "TokenBucketBytesBurst", .type = DERP_JSON_INT, .out = &burst, .min = 0,
		 .max = INT64_MAX},
	};
	char *plain = NULL;
	size_t plain_len;
	int rc;

	*why = NULL;
	memset(info, 0, sizeof(*info));
	if (f->type != DERP_FRAME_SERVER_INFO || f->length > DERP_SERVER_INFO_MAX) {
		*why = "ServerInfo length out of range";
		return DERP_LOGIN_BAD_LENGTH;
	}
	rc = open_box(f->payload, f->length, server_public, client_private, &plain, &plain_len);
	if (rc != DERP_LOGIN_OK) {
		*why = derp_login_error_name(rc);
		return rc;
	}
	rc = derp_json_read_object(plain, plain_len, members, sizeof(members) / sizeof(members[0]),
				   why);
	free(plain);
	if (rc < 0)
		return DERP_LOGIN_BAD_JSON;
	/* Early servers sent an empty object: a missing version is taken as 2. */
	if (members[0].present && version != DERP_PROTOCOL_VERSION) {
		*why = "server protocol version is not 2";
		return DERP_LOGIN_BAD_VERSION;
	}
	info->version = members[0].present ? version : DERP_PROTOCOL_VERSION;
	info->token_bucket_bytes_per_second = rate;
	info->token_bucket_bytes_burst = burst;
	return DERP_LOGIN_OK;
}
