/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DERP v2 wire format (protocols.md section 2): every frame is a type byte, a big-endian u32
 * payload length and the payload. This header holds every constant and limit of the protocol,
 * the frame builders and parsers (derp_frame.c) and the incremental reader (derp_reader.c).
 * Nothing here does I/O, allocates (except the reader's buffer) or logs.
 */
#ifndef EXITGATE_DERP_PROTO_H
#define EXITGATE_DERP_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
	DERP_KEY_LEN = 32,
	DERP_NONCE_LEN = 24,
	DERP_BOX_OVERHEAD = 16, /* Poly1305 tag (crypto_box_MACBYTES) */
	DERP_MAGIC_LEN = 8,
	DERP_FRAME_HEADER_LEN = 5,
	DERP_PROTOCOL_VERSION = 2,
	DERP_MAX_PACKET_LEN = 64 << 10,
	/* The largest frame outside login: ForwardPacket, two keys and a maximal packet. */
	DERP_MAX_FRAME_LEN = DERP_MAX_PACKET_LEN + 2 * DERP_KEY_LEN,
	/* ClientInfo: key + nonce + box of an empty message at least, 256 KiB at most. */
	DERP_CLIENT_INFO_MIN = DERP_KEY_LEN + DERP_NONCE_LEN + DERP_BOX_OVERHEAD,
	DERP_CLIENT_INFO_MAX = 256 << 10,
	DERP_SERVER_INFO_MAX = 64 << 10,
	DERP_SERVER_KEY_LEN = DERP_MAGIC_LEN + DERP_KEY_LEN,
	DERP_PING_LEN = 8,
	DERP_PEER_PRESENT_LEN = DERP_KEY_LEN + 16 + 2 + 1,
	DERP_RESTARTING_LEN = 8,
	DERP_HEALTH_MAX = 4096,
	/* Seconds; the server adds 0-5 s jitter to the keepalive interval. */
	DERP_KEEPALIVE_INTERVAL = 60,
	DERP_KEEPALIVE_JITTER = 5,
	DERP_LOGIN_STEP_TIMEOUT = 10,
};

extern const uint8_t derp_magic[DERP_MAGIC_LEN];

enum derp_frame_type {
	DERP_FRAME_SERVER_KEY = 0x01,
	DERP_FRAME_CLIENT_INFO = 0x02,
	DERP_FRAME_SERVER_INFO = 0x03,
	DERP_FRAME_SEND_PACKET = 0x04,
	DERP_FRAME_RECV_PACKET = 0x05,
	DERP_FRAME_KEEP_ALIVE = 0x06,
	DERP_FRAME_NOTE_PREFERRED = 0x07,
	DERP_FRAME_PEER_GONE = 0x08,
	DERP_FRAME_PEER_PRESENT = 0x09,
	DERP_FRAME_FORWARD_PACKET = 0x0a,
	DERP_FRAME_WATCH_CONNS = 0x10,
	DERP_FRAME_CLOSE_PEER = 0x11,
	DERP_FRAME_PING = 0x12,
	DERP_FRAME_PONG = 0x13,
	DERP_FRAME_HEALTH = 0x14,
	DERP_FRAME_RESTARTING = 0x15,
};

enum derp_peer_gone_reason {
	DERP_PEER_GONE_DISCONNECTED = 0,
	DERP_PEER_GONE_NOT_HERE = 1,
};

/* A frame as read: payload points into the reader's buffer or the caller's input. */
struct derp_frame {
	uint8_t type;
	uint32_t length;
	const uint8_t *payload;
};

const char *derp_frame_type_name(uint8_t type);

/*
 * The smallest payload a frame of this type may carry (0 for types without a required payload
 * and unknown types, which clients skip). A frame shorter than this is a protocol error.
 */
uint32_t derp_frame_min_length(uint8_t type);

/* Writes the 5-byte header. */
void derp_frame_header(uint8_t out[DERP_FRAME_HEADER_LEN], uint8_t type, uint32_t length);

/*
 * Builders write a whole frame (header and payload) into out and return its length, or 0 when
 * size is too small or an argument is out of range (a packet over DERP_MAX_PACKET_LEN).
 */
size_t derp_build_server_key(uint8_t *out, size_t size, const uint8_t server_key[DERP_KEY_LEN]);
size_t derp_build_send_packet(uint8_t *out, size_t size, const uint8_t dst[DERP_KEY_LEN],
			      const uint8_t *packet, size_t packet_len);
size_t derp_build_recv_packet(uint8_t *out, size_t size, const uint8_t src[DERP_KEY_LEN],
			      const uint8_t *packet, size_t packet_len);
size_t derp_build_forward_packet(uint8_t *out, size_t size, const uint8_t src[DERP_KEY_LEN],
				 const uint8_t dst[DERP_KEY_LEN], const uint8_t *packet,
				 size_t packet_len);
size_t derp_build_keep_alive(uint8_t *out, size_t size);
size_t derp_build_note_preferred(uint8_t *out, size_t size, bool preferred);
size_t derp_build_peer_gone(uint8_t *out, size_t size, const uint8_t peer[DERP_KEY_LEN],
			    enum derp_peer_gone_reason reason);
size_t derp_build_peer_present(uint8_t *out, size_t size, const uint8_t peer[DERP_KEY_LEN],
			       const uint8_t ip[16], uint16_t port, uint8_t flags);
size_t derp_build_watch_conns(uint8_t *out, size_t size);
size_t derp_build_close_peer(uint8_t *out, size_t size, const uint8_t peer[DERP_KEY_LEN]);
size_t derp_build_ping(uint8_t *out, size_t size, const uint8_t data[DERP_PING_LEN]);
size_t derp_build_pong(uint8_t *out, size_t size, const uint8_t data[DERP_PING_LEN]);
size_t derp_build_health(uint8_t *out, size_t size, const char *problem);
size_t derp_build_restarting(uint8_t *out, size_t size, uint32_t reconnect_in_ms,
			     uint32_t try_for_ms);

/* Parsed views of frame payloads; parsers return 0, or -1 when the payload is malformed. */
struct derp_packet_view {
	const uint8_t *key; /* destination (SendPacket) or source (RecvPacket) */
	const uint8_t *packet;
	size_t packet_len;
};

struct derp_forward_view {
	const uint8_t *src;
	const uint8_t *dst;
	const uint8_t *packet;
	size_t packet_len;
};

struct derp_peer_present_view {
	const uint8_t *key;
	uint8_t ip[16];
	uint16_t port;
	uint8_t flags;
	bool has_endpoint; /* older servers send the key alone */
};

int derp_parse_server_key(const struct derp_frame *f, uint8_t server_key[DERP_KEY_LEN]);
int derp_parse_packet(const struct derp_frame *f, struct derp_packet_view *out);
int derp_parse_forward_packet(const struct derp_frame *f, struct derp_forward_view *out);
int derp_parse_note_preferred(const struct derp_frame *f, bool *preferred);
/* A PeerGone without the reason byte (older servers) means "disconnected". */
int derp_parse_peer_gone(const struct derp_frame *f, const uint8_t **peer,
			 enum derp_peer_gone_reason *reason);
int derp_parse_peer_present(const struct derp_frame *f, struct derp_peer_present_view *out);
int derp_parse_close_peer(const struct derp_frame *f, const uint8_t **peer);
int derp_parse_ping(const struct derp_frame *f, uint8_t data[DERP_PING_LEN]);
int derp_parse_restarting(const struct derp_frame *f, uint32_t *reconnect_in_ms,
			  uint32_t *try_for_ms);

/*
 * Incremental frame reader. Input arrives in arbitrary pieces (TLS records, partial reads);
 * the reader hands out whole frames. A frame that lies entirely inside the input is returned
 * in place (no copy); only a frame split across inputs is assembled in the reader's own buffer,
 * which is allocated on demand and released by derp_reader_trim() so that an idle connection
 * holds no buffer.
 */
struct derp_reader {
	uint8_t header[DERP_FRAME_HEADER_LEN];
	uint8_t header_have;
	bool in_payload;
	uint32_t length; /* of the frame being assembled */
	uint32_t have;   /* payload bytes assembled */
	uint32_t max_length;
	uint32_t buf_cap;
	uint8_t *buf;
};

enum derp_read_result {
	DERP_READ_MORE = 0,     /* input used up; no complete frame */
	DERP_READ_FRAME = 1,    /* *frame is valid until the next call */
	DERP_READ_TOO_LONG = -1, /* length over max_length: a protocol error, close */
	DERP_READ_NOMEM = -2,
};

void derp_reader_init(struct derp_reader *r, uint32_t max_length);
/* Consumes from data and len; returns one frame at a time. */
enum derp_read_result derp_reader_next(struct derp_reader *r, const uint8_t **data, size_t *len,
				       struct derp_frame *frame);
/* True while a frame is partly read. */
bool derp_reader_busy(const struct derp_reader *r);
/* Frees the buffer when no frame is in progress. */
void derp_reader_trim(struct derp_reader *r);
void derp_reader_free(struct derp_reader *r);

#endif
