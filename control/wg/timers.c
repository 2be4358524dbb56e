/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>

#include "messages.h"
#include "timers.h"

static uint64_t
jitter_ns(const struct wg_timers *t)
{
	return (uint64_t)wg_env_random_below(t->env, WG_REKEY_TIMEOUT_JITTER_MAX_MS) * 1000000ULL;
}

static uint64_t
now_ns(const struct wg_timers *t)
{
	return wg_env_now(t->env);
}

static bool
armed(uint64_t deadline)
{
	return deadline != WG_TIMER_OFF;
}

void
timers_init(struct wg_timers *t, const struct wg_env *env)
{
	memset(t, 0, sizeof(*t));
	t->env = env;
	timers_stop(t);
}

void
timers_stop(struct wg_timers *t)
{
	t->retransmit_handshake_at = WG_TIMER_OFF;
	t->send_keepalive_at = WG_TIMER_OFF;
	t->new_handshake_at = WG_TIMER_OFF;
	t->zero_key_material_at = WG_TIMER_OFF;
	t->persistent_keepalive_at = WG_TIMER_OFF;
	t->need_another_keepalive = false;
}

void
timers_set_persistent_keepalive(struct wg_timers *t, uint16_t interval_s)
{
	t->persistent_keepalive_s = interval_s;
	if (interval_s == 0)
		t->persistent_keepalive_at = WG_TIMER_OFF;
	else
		t->persistent_keepalive_at = now_ns(t);
}

/* ---- Hooks ---- */

void
timers_data_sent(struct wg_timers *t)
{
	if (!armed(t->new_handshake_at))
		t->new_handshake_at =
			now_ns(t) + WG_KEEPALIVE_TIMEOUT_NS + WG_REKEY_TIMEOUT_NS + jitter_ns(t);
}

void
timers_data_received(struct wg_timers *t)
{
	if (!armed(t->send_keepalive_at))
		t->send_keepalive_at = now_ns(t) + WG_KEEPALIVE_TIMEOUT_NS;
	else
		t->need_another_keepalive = true;
}

void
timers_any_authenticated_packet_sent(struct wg_timers *t)
{
	t->send_keepalive_at = WG_TIMER_OFF;
}

void
timers_any_authenticated_packet_received(struct wg_timers *t)
{
	t->new_handshake_at = WG_TIMER_OFF;
}

void
timers_any_authenticated_packet_traversal(struct wg_timers *t)
{
	if (t->persistent_keepalive_s != 0)
		t->persistent_keepalive_at =
			now_ns(t) + t->persistent_keepalive_s * WG_NSEC_PER_SEC;
}

void
timers_handshake_initiated(struct wg_timers *t)
{
	uint64_t now = now_ns(t);

	t->last_sent_handshake_ns = now;
	t->has_sent_handshake = true;
	t->retransmit_handshake_at = now + WG_REKEY_TIMEOUT_NS + jitter_ns(t);
}

void
timers_handshake_response_sent(struct wg_timers *t)
{
	t->last_sent_handshake_ns = now_ns(t);
	t->has_sent_handshake = true;
}

void
timers_handshake_complete(struct wg_timers *t)
{
	t->retransmit_handshake_at = WG_TIMER_OFF;
	t->handshake_attempts = 0;
	t->sent_lastminute_handshake = false;
	t->last_handshake_realtime_ns = wg_env_realtime(t->env);
}

void
timers_session_derived(struct wg_timers *t)
{
	t->zero_key_material_at = now_ns(t) + WG_ZERO_KEYS_AFTER_NS;
}

/* ---- Policy ---- */

bool
timers_initiation_allowed(struct wg_timers *t, bool is_retry)
{
	if (!is_retry)
		t->handshake_attempts = 0;
	return !t->has_sent_handshake ||
	       now_ns(t) - t->last_sent_handshake_ns >= WG_REKEY_TIMEOUT_NS;
}

bool
timers_rekey_on_receive(struct wg_timers *t, const struct wg_keypair *kp)
{
	if (kp == NULL || t->sent_lastminute_handshake ||
	    noise_keypair_check_receive(kp, now_ns(t)) != NOISE_REKEY_SOON)
		return false;
	t->sent_lastminute_handshake = true;
	return true;
}

/* ---- Expiry ---- */

static unsigned
expired_retransmit_handshake(struct wg_timers *t, uint64_t now)
{
	if (t->handshake_attempts > WG_MAX_TIMER_HANDSHAKES) {
		/* 20 tries without an answer: stop, drop what waited for the handshake, and
		 * forget the keys later unless a handshake happens meanwhile. */
		t->send_keepalive_at = WG_TIMER_OFF;
		if (!armed(t->zero_key_material_at))
			t->zero_key_material_at = now + WG_ZERO_KEYS_AFTER_NS;
		return WG_TIMER_GIVE_UP;
	}
	t->handshake_attempts++;
	return WG_TIMER_RETRY_INITIATION;
}

static unsigned
expired_send_keepalive(struct wg_timers *t, uint64_t now)
{
	if (t->need_another_keepalive) {
		t->need_another_keepalive = false;
		t->send_keepalive_at = now + WG_KEEPALIVE_TIMEOUT_NS;
	}
	return WG_TIMER_SEND_KEEPALIVE;
}

static unsigned
expired_new_handshake(struct wg_timers *t, uint64_t now)
{
	(void)t;
	(void)now;
	/* We sent data 15 s ago and heard nothing back: the session may be gone. */
	return WG_TIMER_SEND_INITIATION;
}

static unsigned
expired_zero_key_material(struct wg_timers *t, uint64_t now)
{
	(void)t;
	(void)now;
	return WG_TIMER_ZERO_KEYS;
}

static unsigned
expired_send_persistent_keepalive(struct wg_timers *t, uint64_t now)
{
	(void)now;
	return t->persistent_keepalive_s != 0 ? WG_TIMER_SEND_KEEPALIVE : 0;
}

uint64_t
timers_next_deadline(const struct wg_timers *t)
{
	uint64_t d = t->retransmit_handshake_at;

	if (t->send_keepalive_at < d)
		d = t->send_keepalive_at;
	if (t->new_handshake_at < d)
		d = t->new_handshake_at;
	if (t->zero_key_material_at < d)
		d = t->zero_key_material_at;
	if (t->persistent_keepalive_at < d)
		d = t->persistent_keepalive_at;
	return d;
}

unsigned
timers_expire(struct wg_timers *t)
{
	uint64_t now = now_ns(t);
	unsigned actions = 0;

	if (t->retransmit_handshake_at <= now) {
		t->retransmit_handshake_at = WG_TIMER_OFF;
		actions |= expired_retransmit_handshake(t, now);
	}
	if (t->send_keepalive_at <= now) {
		t->send_keepalive_at = WG_TIMER_OFF;
		actions |= expired_send_keepalive(t, now);
	}
	if (t->new_handshake_at <= now) {
		t->new_handshake_at = WG_TIMER_OFF;
		actions |= expired_new_handshake(t, now);
	}
	if (t->zero_key_material_at <= now) {
		t->zero_key_material_at = WG_TIMER_OFF;
		actions |= expired_zero_key_material(t, now);
	}
	if (t->persistent_keepalive_at <= now) {
		t->persistent_keepalive_at = WG_TIMER_OFF;
		actions |= expired_send_persistent_keepalive(t, now);
	}
	return actions;
}
