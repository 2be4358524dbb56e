/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * WireGuard's timer rules for one peer (protocols.md, "Timer rules"), as deadlines on the
 * monotonic clock. Hooks named after what just happened record or cancel deadlines; when the
 * loop reaches timers_next_deadline() it calls timers_expire(), whose expired_* handlers say
 * what to do now as a set of actions (send an initiation, a keepalive, zero the keys, give up).
 * No threads, no signals: the owner's epoll loop takes the earliest deadline as its timeout.
 *
 * The rules:
 *  - retransmit an unanswered initiation after REKEY_TIMEOUT (5 s) + jitter (0..333 ms); give up
 *    after 20 tries in all (REKEY_ATTEMPT_TIME), then zero the keys 540 s later;
 *  - passive keepalive 10 s after receiving data without sending anything back;
 *  - new handshake 15 s (+ jitter) after sending data without receiving anything back;
 *  - zero all keys 540 s (3 x REJECT_AFTER_TIME) after the last session was derived;
 *  - persistent keepalive every N s of no authenticated traffic either way, when configured;
 *  - at most one initiation per REKEY_TIMEOUT (timers_initiation_allowed);
 *  - the initiator re-handshakes on receive once its keypair is 165 s old, once until the next
 *    handshake completes (timers_rekey_on_receive).
 * The rekey-on-send rules (REKEY_AFTER_MESSAGES, REKEY_AFTER_TIME for the initiator) are the
 * keypair's own: noise_keypair_check_send.
 * The responder rule (no data on a new keypair before its first data packet arrives) is the
 * keypair's can_send flag (noise.h).
 */
#ifndef EXITGATE_WG_TIMERS_H
#define EXITGATE_WG_TIMERS_H

#include <stdbool.h>
#include <stdint.h>

#include "env.h"
#include "keypair.h"
#include "noise.h"

static const uint64_t WG_TIMER_OFF = UINT64_MAX;

enum wg_timer_action {
	WG_TIMER_SEND_INITIATION = 1 << 0,  /* new handshake (attempts reset) */
	WG_TIMER_RETRY_INITIATION = 1 << 1, /* retransmission (attempts counted) */
	WG_TIMER_SEND_KEEPALIVE = 1 << 2,
	WG_TIMER_ZERO_KEYS = 1 << 3, /* retire all keypairs, clear the handshake */
	WG_TIMER_GIVE_UP = 1 << 4,   /* handshake attempts exhausted: drop staged */
};

struct wg_timers {
	const struct wg_env *env;
	uint64_t retransmit_handshake_at;
	uint64_t send_keepalive_at;
	uint64_t new_handshake_at;
	uint64_t zero_key_material_at;
	uint64_t persistent_keepalive_at;
	uint32_t handshake_attempts; /* retries of the current handshake */
	uint16_t persistent_keepalive_s;
	bool need_another_keepalive;
	bool sent_lastminute_handshake;
	bool has_sent_handshake;
	uint64_t last_sent_handshake_ns;
	/* wall clock of the last completed handshake (`wg show` latest handshake), 0 = never */
	uint64_t last_handshake_realtime_ns;
};

void timers_init(struct wg_timers *t, const struct wg_env *env);
/* Disarm everything (peer removed or device down). */
void timers_stop(struct wg_timers *t);
/* 0 = off. Arms the persistent keepalive at once when turned on. */
void timers_set_persistent_keepalive(struct wg_timers *t, uint16_t interval_s);

/* ---- Hooks ---- */
void timers_data_sent(struct wg_timers *t);     /* a non-keepalive data packet left */
void timers_data_received(struct wg_timers *t); /* a non-keepalive data packet arrived */
void timers_any_authenticated_packet_sent(struct wg_timers *t);
void timers_any_authenticated_packet_received(struct wg_timers *t);
void timers_any_authenticated_packet_traversal(struct wg_timers *t);
void timers_handshake_initiated(struct wg_timers *t);     /* an initiation left */
void timers_handshake_response_sent(struct wg_timers *t); /* counts for the initiation limit */
void timers_handshake_complete(struct wg_timers *t);      /* a session is confirmed */
void timers_session_derived(struct wg_timers *t);         /* a keypair was derived */

/* ---- Policy checks for the send and receive paths ---- */
/* May an initiation be sent now? A non-retry resets the attempt count first. */
bool timers_initiation_allowed(struct wg_timers *t, bool is_retry);
/* kp (the keypair we send on, may be NULL) says NOISE_REKEY_SOON on receive and no such
 * handshake was started since the last one completed. */
bool timers_rekey_on_receive(struct wg_timers *t, const struct wg_keypair *kp);

/* ---- The loop's side ---- */
uint64_t timers_next_deadline(const struct wg_timers *t);
/* Run the expired_* handlers of every deadline <= now; returns enum wg_timer_action bits. */
unsigned timers_expire(struct wg_timers *t);

#endif
