/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Why a WireGuard datagram (or a packet waiting to be sent) was dropped: one list that feeds the
 * enum, the names shown by stats and the counters, shared by the control plane's device and the
 * data plane's workers (which count the transport reasons).
 */
#ifndef EXITGATE_WG_DROP_REASON_H
#define EXITGATE_WG_DROP_REASON_H

/*
 * Handshake side: not_wireguard (first word not type 1..4 with zero reserved bytes), bad_length
 * (wrong length for its type), no_identity (no private key), bad_mac1, needs_cookie (under load
 * without mac2: a cookie reply was sent instead), ratelimited (under load, source over 20/s),
 * unknown_peer (initiator's static key not configured), self_key (our own public key),
 * low_order (a DH result of all zeros), handshake_decrypt (a field did not authenticate),
 * timestamp_replay (TAI64N not newer than the greatest seen), initiation_flood (< 20 ms after
 * the last), wrong_state (a response to no initiation in flight), unknown_index (the receiver
 * index names nothing of ours), bad_cookie_reply (unexpected or does not decrypt).
 * Transport side: keypair_expired (REJECT_AFTER_TIME old), counter_limit (counter >=
 * REJECT_AFTER_MESSAGES), replay (counter seen or too old), replay_contended (another worker held
 * the window, keypair.h), transport_auth (tag did not verify), bad_inner_packet (plaintext is no
 * IPv4/IPv6 packet).
 * Sending side: no_endpoint, too_big (plaintext over the MTU), staged_overflow (the oldest packet
 * waiting for a handshake), handshake_gave_up (waited through 20 unanswered initiations),
 * outbox_full (the caller did not drain the output), internal (out of memory, library failure).
 */
#define WG_DROP_REASONS(X)                        \
	X(NOT_WIREGUARD, "not_wireguard")         \
	X(BAD_LENGTH, "bad_length")               \
	X(NO_IDENTITY, "no_identity")             \
	X(BAD_MAC1, "bad_mac1")                   \
	X(NEEDS_COOKIE, "needs_cookie")           \
	X(RATELIMITED, "ratelimited")             \
	X(UNKNOWN_PEER, "unknown_peer")           \
	X(SELF_KEY, "self_key")                   \
	X(LOW_ORDER, "low_order")                 \
	X(HANDSHAKE_DECRYPT, "handshake_decrypt") \
	X(TIMESTAMP_REPLAY, "timestamp_replay")   \
	X(INITIATION_FLOOD, "initiation_flood")   \
	X(WRONG_STATE, "wrong_state")             \
	X(UNKNOWN_INDEX, "unknown_index")         \
	X(BAD_COOKIE_REPLY, "bad_cookie_reply")   \
	X(KEYPAIR_EXPIRED, "keypair_expired")     \
	X(COUNTER_LIMIT, "counter_limit")         \
	X(REPLAY, "replay")                       \
	X(REPLAY_CONTENDED, "replay_contended")   \
	X(TRANSPORT_AUTH, "transport_auth")       \
	X(BAD_INNER_PACKET, "bad_inner_packet")   \
	X(NO_ENDPOINT, "no_endpoint")             \
	X(TOO_BIG, "too_big")                     \
	X(STAGED_OVERFLOW, "staged_overflow")     \
	X(HANDSHAKE_GAVE_UP, "handshake_gave_up") \
	X(OUTBOX_FULL, "outbox_full")             \
	X(INTERNAL, "internal")

enum wg_drop_reason {
#define WG_DROP_REASON_ENUM(name, text) WG_DROP_##name,
	WG_DROP_REASONS(WG_DROP_REASON_ENUM)
#undef WG_DROP_REASON_ENUM
	WG_DROP_REASON_COUNT
};

static inline const char *
wg_drop_reason_name(enum wg_drop_reason reason)
{
	static const char *const names[] = {
#define WG_DROP_REASON_NAME(name, text) text,
		WG_DROP_REASONS(WG_DROP_REASON_NAME)
#undef WG_DROP_REASON_NAME
	};

	return (unsigned)reason < WG_DROP_REASON_COUNT ? names[reason] : "unknown";
}

#endif
