/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>

#include "derp_proto.h"

/* "DERP" followed by U+1F511 (a key) in UTF-8. */
const uint8_t derp_magic[DERP_MAGIC_LEN] = {0x44, 0x45, 0x52, 0x50, 0xf0, 0x9f, 0x94, 0x91};

static inline void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

const char *
derp_frame_type_name(uint8_t type)
{
	switch (type) {
	case DERP_FRAME_SERVER_KEY:
		return "ServerKey";
	case DERP_FRAME_CLIENT_INFO:
		return "ClientInfo";
	case DERP_FRAME_SERVER_INFO:
		return "ServerInfo";
	case DERP_FRAME_SEND_PACKET:
		return "SendPacket";
	case DERP_FRAME_RECV_PACKET:
		return "RecvPacket";
	case DERP_FRAME_KEEP_ALIVE:
		return "KeepAlive";
	case DERP_FRAME_NOTE_PREFERRED:
		return "NotePreferred";
	case DERP_FRAME_PEER_GONE:
		return "PeerGone";
	case DERP_FRAME_PEER_PRESENT:
		return "PeerPresent";
	case DERP_FRAME_FORWARD_PACKET:
		return "ForwardPacket";
	case DERP_FRAME_WATCH_CONNS:
		return "WatchConns";
	case DERP_FRAME_CLOSE_PEER:
		return "ClosePeer";
	case DERP_FRAME_PING:
		return "Ping";
	case DERP_FRAME_PONG:
		return "Pong";
	case DERP_FRAME_HEALTH:
		return "Health";
	case DERP_FRAME_RESTARTING:
		return "Restarting";
	default:
		return "unknown";
	}
}

uint32_t
derp_frame_min_length(uint8_t type)
{
	switch (type) {
	case DERP_FRAME_SERVER_KEY:
		return DERP_SERVER_KEY_LEN;
	case DERP_FRAME_CLIENT_INFO:
		return DERP_CLIENT_INFO_MIN;
	case DERP_FRAME_SERVER_INFO:
		return DERP_NONCE_LEN + DERP_BOX_OVERHEAD;
	case DERP_FRAME_SEND_PACKET:
	case DERP_FRAME_RECV_PACKET:
	case DERP_FRAME_PEER_GONE:
	case DERP_FRAME_PEER_PRESENT:
	case DERP_FRAME_CLOSE_PEER:
		return DERP_KEY_LEN;
	case DERP_FRAME_FORWARD_PACKET:
		return 2 * DERP_KEY_LEN;
	case DERP_FRAME_NOTE_PREFERRED:
		return 1;
	case DERP_FRAME_PING:
	case DERP_FRAME_PONG:
		return DERP_PING_LEN;
	case DERP_FRAME_RESTARTING:
		return DERP_RESTARTING_LEN;
	default:
		return 0;
	}
}

void
derp_frame_header(uint8_t out[DERP_FRAME_HEADER_LEN], uint8_t type, uint32_t length)
{
	out[0] = type;
	put32(out + 1, length);
}

/* Writes header + up to three payload pieces; 0 when they do not fit. */
static size_t
build(uint8_t *out, size_t size, uint8_t type, const void *a, size_t a_len, const void *b,
      size_t b_len, const void *c, size_t c_len)
{
	size_t payload = a_len + b_len + c_len;

	if (payload > DERP_MAX_FRAME_LEN || size < DERP_FRAME_HEADER_LEN + payload)
		return 0;
	derp_frame_header(out, type, (uint32_t)payload);
	out += DERP_FRAME_HEADER_LEN;
	if (a_len > 0)
		memcpy(out, a, a_len);
	if (b_len > 0)
		memcpy(out + a_len, b, b_len);
	if (c_len > 0)
		memcpy(out + a_len + b_len, c, c_len);
	return DERP_FRAME_HEADER_LEN + payload;
}

size_t
derp_build_server_key(uint8_t *out, size_t size, const uint8_t server_key[DERP_KEY_LEN])
{
	return build(out, size, DERP_FRAME_SERVER_KEY, derp_magic, DERP_MAGIC_LEN, server_key,
		     DERP_KEY_LEN, NULL, 0);
}

size_t
derp_build_send_packet(uint8_t *out, size_t size, const uint8_t dst[DERP_KEY_LEN],
		       const uint8_t *packet, size_t packet_len)
{
	if (packet_len > DERP_MAX_PACKET_LEN)
		return 0;
	return build(out, size, DERP_FRAME_SEND_PACKET, dst, DERP_KEY_LEN, packet, packet_len,
		     NULL, 0);
}

size_t
derp_build_recv_packet(uint8_t *out, size_t size, const uint8_t src[DERP_KEY_LEN],
		       const uint8_t *packet, size_t packet_len)
{
	if (packet_len > DERP_MAX_PACKET_LEN)
		return 0;
	return build(out, size, DERP_FRAME_RECV_PACKET, src, DERP_KEY_LEN, packet, packet_len,
		     NULL, 0);
}

size_t
derp_build_forward_packet(uint8_t *out, size_t size, const uint8_t src[DERP_KEY_LEN],
			  const uint8_t dst[DERP_KEY_LEN], const uint8_t *packet,
			  size_t packet_len)
{
	if (packet_len > DERP_MAX_PACKET_LEN)
		return 0;
	return build(out, size, DERP_FRAME_FORWARD_PACKET, src, DERP_KEY_LEN, dst, DERP_KEY_LEN,
		     packet, packet_len);
}

size_t
derp_build_keep_alive(uint8_t *out, size_t size)
{
	return build(out, size, DERP_FRAME_KEEP_ALIVE, NULL, 0, NULL, 0, NULL, 0);
}

size_t
derp_build_note_preferred(uint8_t *out, size_t size, bool preferred)
{
	uint8_t value = preferred ? 1 : 0;

	return build(out, size, DERP_FRAME_NOTE_PREFERRED, &value, 1, NULL, 0, NULL, 0);
}

size_t
derp_build_peer_gone(uint8_t *out, size_t size, const uint8_t peer[DERP_KEY_LEN],
		     enum derp_peer_gone_reason reason)
{
	uint8_t value = (uint8_t)reason;

	return build(out, size, DERP_FRAME_PEER_GONE, peer, DERP_KEY_LEN, &value, 1, NULL, 0);
}

size_t
derp_build_peer_present(uint8_t *out, size_t size, const uint8_t peer[DERP_KEY_LEN],
			const uint8_t ip[16], uint16_t port, uint8_t flags)
{
	uint8_t tail[3] = {(uint8_t)(port >> 8), (uint8_t)port, flags};

	return build(out, size, DERP_FRAME_PEER_PRESENT, peer, DERP_KEY_LEN, ip, 16, tail,
		     sizeof(tail));
}

size_t
derp_build_watch_conns(uint8_t *out, size_t size)
{
	return build(out, size, DERP_FRAME_WATCH_CONNS, NULL, 0, NULL, 0, NULL, 0);
}

size_t
derp_build_close_peer(uint8_t *out, size_t size, const uint8_t peer[DERP_KEY_LEN])
{
	return build(out, size, DERP_FRAME_CLOSE_PEER, peer, DERP_KEY_LEN, NULL, 0, NULL, 0);
}

size_t
derp_build_ping(uint8_t *out, size_t size, const uint8_t data[DERP_PING_LEN])
{
	return build(out, size, DERP_FRAME_PING, data, DERP_PING_LEN, NULL, 0, NULL, 0);
}

size_t
derp_build_pong(uint8_t *out, size_t size, const uint8_t data[DERP_PING_LEN])
{
	return build(out, size, DERP_FRAME_PONG, data, DERP_PING_LEN, NULL, 0, NULL, 0);
}

size_t
derp_build_health(uint8_t *out, size_t size, const char *problem)
{
	size_t len = problem == NULL ? 0 : strnlen(problem, DERP_HEALTH_MAX + 1);

	if (len > DERP_HEALTH_MAX)
		return 0;
	return build(out, size, DERP_FRAME_HEALTH, problem, len, NULL, 0, NULL, 0);
}

size_t
derp_build_restarting(uint8_t *out, size_t size, uint32_t reconnect_in_ms, uint32_t try_for_ms)
{
	uint8_t payload[DERP_RESTARTING_LEN];

	put32(payload, reconnect_in_ms);
	put32(payload + 4, try_for_ms);
	return build(out, size, DERP_FRAME_RESTARTING, payload, sizeof(payload), NULL, 0, NULL,
		     0);
}

static bool
payload_ok(const struct derp_frame *f, uint8_t type)
{
	return f->type == type && f->length >= derp_frame_min_length(type);
}

int
derp_parse_server_key(const struct derp_frame *f, uint8_t server_key[DERP_KEY_LEN])
{
	/* Later protocol versions may append bytes; they are ignored. */
	if (!payload_ok(f, DERP_FRAME_SERVER_KEY) ||
	    memcmp(f->payload, derp_magic, DERP_MAGIC_LEN) != 0)
		return -1;
	memcpy(server_key, f->payload + DERP_MAGIC_LEN, DERP_KEY_LEN);
	return 0;
}

int
derp_parse_packet(const struct derp_frame *f, struct derp_packet_view *out)
{
	if ((f->type != DERP_FRAME_SEND_PACKET && f->type != DERP_FRAME_RECV_PACKET) ||
	    f->length < DERP_KEY_LEN || f->length - DERP_KEY_LEN > DERP_MAX_PACKET_LEN)
		return -1;
	out->key = f->payload;
	out->packet = f->payload + DERP_KEY_LEN;
	out->packet_len = f->length - DERP_KEY_LEN;
	return 0;
}

int
derp_parse_forward_packet(const struct derp_frame *f, struct derp_forward_view *out)
{
	if (!payload_ok(f, DERP_FRAME_FORWARD_PACKET) ||
	    f->length - 2 * DERP_KEY_LEN > DERP_MAX_PACKET_LEN)
		return -1;
	out->src = f->payload;
	out->dst = f->payload + DERP_KEY_LEN;
	out->packet = f->payload + 2 * DERP_KEY_LEN;
	out->packet_len = f->length - 2 * DERP_KEY_LEN;
	return 0;
}

int
derp_parse_note_preferred(const struct derp_frame *f, bool *preferred)
{
	if (!payload_ok(f, DERP_FRAME_NOTE_PREFERRED))
		return -1;
	*preferred = f->payload[0] != 0;
	return 0;
}

int
derp_parse_peer_gone(const struct derp_frame *f, const uint8_t **peer,
		     enum derp_peer_gone_reason *reason)
{
	if (!payload_ok(f, DERP_FRAME_PEER_GONE))
		return -1;
	*peer = f->payload;
	*reason = f->length > DERP_KEY_LEN && f->payload[DERP_KEY_LEN] == DERP_PEER_GONE_NOT_HERE
			  ? DERP_PEER_GONE_NOT_HERE
			  : DERP_PEER_GONE_DISCONNECTED;
	return 0;
}

int
derp_parse_peer_present(const struct derp_frame *f, struct derp_peer_present_view *out)
{
	if (!payload_ok(f, DERP_FRAME_PEER_PRESENT))
		return -1;
	memset(out, 0, sizeof(*out));
	out->key = f->payload;
	if (f->length >= DERP_PEER_PRESENT_LEN) {
		const uint8_t *p = f->payload + DERP_KEY_LEN;

		memcpy(out->ip, p, 16);
		out->port = (uint16_t)(p[16] << 8 | p[17]);
		out->flags = p[18];
		out->has_endpoint = true;
	}
	return 0;
}

int
derp_parse_close_peer(const struct derp_frame *f, const uint8_t **peer)
{
	if (!payload_ok(f, DERP_FRAME_CLOSE_PEER))
		return -1;
	*peer = f->payload;
	return 0;
}

int
derp_parse_ping(const struct derp_frame *f, uint8_t data[DERP_PING_LEN])
{
	if ((f->type != DERP_FRAME_PING && f->type != DERP_FRAME_PONG) ||
	    f->length < DERP_PING_LEN)
		return -1;
	memcpy(data, f->payload, DERP_PING_LEN);
	return 0;
}

int
derp_parse_restarting(const struct derp_frame *f, uint32_t *reconnect_in_ms,
		      uint32_t *try_for_ms)
{
	if (!payload_ok(f, DERP_FRAME_RESTARTING))
		return -1;
	*reconnect_in_ms = get32(f->payload);
	*try_for_ms = get32(f->payload + 4);
	return 0;
}
