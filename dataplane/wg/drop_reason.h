/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Why a WireGuard datagram (or a packet waiting to be sent) was dropped: one list that feeds the
 * enum, the names shown by stats and the counters, shared by the control plane's device and the
 * data plane's workers (which count the transport reasons).
 */
#ifndef EXITGATE_WG_DROP_REASON_H
#define EXITGATE_WG_DROP_REASON_H

#define WG_DROP_REASONS(X)                                                                        \
	X(NOT_WIREGUARD, "not_wireguard")         /* first word not type 1..4 with zero reserved */ \
	X(BAD_LENGTH, "bad_length")               /* wrong length for its type */                    \
	X(NO_IDENTITY, "no_identity")             /* no private key configured */                    \
	X(BAD_MAC1, "bad_mac1")                                                                     \
	X(NEEDS_COOKIE, "needs_cookie")           /* under load without mac2: cookie reply sent */   \
	X(RATELIMITED, "ratelimited")             /* under load, source over 20/s */                 \
	X(UNKNOWN_PEER, "unknown_peer")           /* initiator's static key not configured */        \
	X(SELF_KEY, "self_key")                   /* a peer with our own public key */               \
	X(LOW_ORDER, "low_order")                 /* a DH result of all zeros */                     \
	X(HANDSHAKE_DECRYPT, "handshake_decrypt") /* a handshake field did not authenticate */       \
	X(TIMESTAMP_REPLAY, "timestamp_replay")   /* TAI64N not newer than the greatest seen */      \
	X(INITIATION_FLOOD, "initiation_flood")   /* < 20 ms after the last initiation */            \
	X(WRONG_STATE, "wrong_state")             /* response to no initiation in flight */          \
	X(UNKNOWN_INDEX, "unknown_index")         /* receiver index names nothing we have */         \
	X(BAD_COOKIE_REPLY, "bad_cookie_reply")   /* unexpected or does not decrypt */               \
	X(KEYPAIR_EXPIRED, "keypair_expired")     /* REJECT_AFTER_TIME old */                        \
	X(COUNTER_LIMIT, "counter_limit")         /* counter >= REJECT_AFTER_MESSAGES */             \
	X(REPLAY, "replay")                       /* counter seen or too old */                      \
	X(REPLAY_CONTENDED, "replay_contended")   /* another worker held the window (keypair.h) */   \
	X(TRANSPORT_AUTH, "transport_auth")       /* type-4 tag did not verify */                    \
	X(BAD_INNER_PACKET, "bad_inner_packet")   /* plaintext is not an IPv4/IPv6 packet */         \
	X(NO_ENDPOINT, "no_endpoint")             /* nowhere to send to */                           \
	X(TOO_BIG, "too_big")                     /* plaintext larger than the MTU */                \
	X(STAGED_OVERFLOW, "staged_overflow")     /* oldest packet waiting for a handshake */        \
	X(HANDSHAKE_GAVE_UP, "handshake_gave_up") /* waited through 20 unanswered initiations */     \
	X(OUTBOX_FULL, "outbox_full")             /* the caller did not drain the output */          \
	X(INTERNAL, "internal")                   /* out of memory or a library failure */

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
