/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DERP parsing under libFuzzer: the input is a byte stream as a server or client would read it.
 * The first byte chooses how the stream is cut into reads (the reader must give the same
 * frames however it is split); every frame goes through the parser of its type; ClientInfo
 * frames are opened with a fixed server key; the same bytes also go to the HTTP head parsers
 * and, as text, to the strict JSON reader with the ClientInfo members.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "derp_http.h"
#include "derp_json.h"
#include "derp_login.h"
#include "derp_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
parse_frame(const struct derp_frame *f)
{
	static uint8_t server_private[DERP_KEY_LEN] = {1};
	uint8_t key[DERP_KEY_LEN], ping[DERP_PING_LEN];
	struct derp_packet_view pv;
	struct derp_forward_view fv;
	struct derp_peer_present_view pp;
	struct derp_client_info ci;
	struct derp_server_info si;
	enum derp_peer_gone_reason reason;
	const uint8_t *peer;
	const char *why;
	uint32_t a, b;
	bool pref;

	switch (f->type) {
	case DERP_FRAME_SERVER_KEY:
		derp_parse_server_key(f, key);
		break;
	case DERP_FRAME_CLIENT_INFO:
		derp_open_client_info(f, server_private, key, &ci, &why);
		break;
	case DERP_FRAME_SERVER_INFO:
		derp_open_server_info(f, server_private, server_private, &si, &why);
		break;
	case DERP_FRAME_SEND_PACKET:
	case DERP_FRAME_RECV_PACKET:
		if (derp_parse_packet(f, &pv) == 0 && pv.packet_len > 0)
			(void)*(volatile const uint8_t *)&pv.packet[pv.packet_len - 1];
		break;
	case DERP_FRAME_FORWARD_PACKET:
		derp_parse_forward_packet(f, &fv);
		break;
	case DERP_FRAME_NOTE_PREFERRED:
		derp_parse_note_preferred(f, &pref);
		break;
	case DERP_FRAME_PEER_GONE:
		derp_parse_peer_gone(f, &peer, &reason);
		break;
	case DERP_FRAME_PEER_PRESENT:
		derp_parse_peer_present(f, &pp);
		break;
	case DERP_FRAME_CLOSE_PEER:
		derp_parse_close_peer(f, &peer);
		break;
	case DERP_FRAME_PING:
	case DERP_FRAME_PONG:
		derp_parse_ping(f, ping);
		break;
	case DERP_FRAME_RESTARTING:
		derp_parse_restarting(f, &a, &b);
		break;
	default:
		break;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	struct derp_reader r;
	struct derp_http_request req;
	struct derp_http_response resp;
	size_t chunk, pos = 1;

	if (!ready) {
		if (sodium_init() < 0)
			abort();
		ready = true;
	}
	if (size < 1)
		return 0;
	chunk = (size_t)data[0] + 1;
	derp_reader_init(&r, data[0] & 0x80 ? DERP_CLIENT_INFO_MAX : DERP_MAX_FRAME_LEN);
	while (pos < size) {
		const uint8_t *p = data + pos;
		size_t len = size - pos < chunk ? size - pos : chunk, left = len;
		struct derp_frame f;
		enum derp_read_result rr;

		while ((rr = derp_reader_next(&r, &p, &left, &f)) == DERP_READ_FRAME) {
			if (f.length > r.max_length)
				abort();
			parse_frame(&f);
		}
		if (rr != DERP_READ_MORE)
			break;
		if (left != 0)
			abort();
		pos += len;
	}
	derp_reader_free(&r);

	derp_http_parse_request(data + 1, size - 1, &req);
	derp_http_parse_response(data + 1, size - 1, &resp);
	{
		int64_t version;
		bool flag1, flag2;
		char mesh[DERP_MESH_KEY_MAX + 1], app[DERP_APP_NAME_MAX + 1];
		struct derp_json_member m[] = {
			{.name = "version", .type = DERP_JSON_INT, .out = &version, .min = 0,
			 .max = INT32_MAX},
			{.name = "CanAckPings", .type = DERP_JSON_BOOL, .out = &flag1},
			{.name = "IsProber", .type = DERP_JSON_BOOL, .out = &flag2},
			{.name = "meshKey", .type = DERP_JSON_STRING, .out = mesh,
			 .string_size = sizeof(mesh)},
			{.name = "AppName", .type = DERP_JSON_STRING, .out = app,
			 .string_size = sizeof(app)},
		};
		const char *why;

		if (derp_json_read_object((const char *)data + 1, size - 1, m, 5, &why) == 0) {
			if (m[3].present && strlen(mesh) >= sizeof(mesh))
				abort();
		}
	}
	return 0;
}
