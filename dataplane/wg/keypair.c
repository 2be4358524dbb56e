/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>

#include <sodium.h>

#include "keypair.h"

void
wg_keypair_init(struct wg_keypair *kp, const uint8_t send_key[WG_KEY_LEN],
		const uint8_t receive_key[WG_KEY_LEN], uint32_t local_index, uint32_t remote_index,
		bool initiator, uint64_t birth_ns)
{
	memcpy(kp->send_key, send_key, WG_KEY_LEN);
	memcpy(kp->receive_key, receive_key, WG_KEY_LEN);
	kp->birth_ns = birth_ns;
	kp->local_index = local_index;
	kp->remote_index = remote_index;
	kp->initiator = initiator;
	atomic_init(&kp->send_counter, 0);
	/* The initiator has already received the response, which confirms the keys; the responder
	 * waits for the first data packet on them (protocols.md, timer rules). */
	atomic_init(&kp->can_send, initiator);
	atomic_flag_clear_explicit(&kp->replay_claim, memory_order_relaxed);
	replay_window_reset(&kp->replay);
}

void
wg_keypair_wipe(struct wg_keypair *kp)
{
	sodium_memzero(kp, sizeof(*kp));
}

uint32_t
wg_keypair_reserve_send_counters(struct wg_keypair *kp, uint32_t n, uint64_t *first)
{
	uint64_t start;

	/* The load bounds the overshoot past the limit (see keypair.h), so the add cannot wrap. */
	if (atomic_load_explicit(&kp->send_counter, memory_order_relaxed) >=
	    WG_REJECT_AFTER_MESSAGES)
		return 0;
	start = atomic_fetch_add_explicit(&kp->send_counter, n, memory_order_relaxed);
	if (start >= WG_REJECT_AFTER_MESSAGES)
		return 0;
	*first = start;
	if (WG_REJECT_AFTER_MESSAGES - start < n)
		return (uint32_t)(WG_REJECT_AFTER_MESSAGES - start);
	return n;
}

uint64_t
wg_keypair_send_counter(const struct wg_keypair *kp)
{
	return atomic_load_explicit(&kp->send_counter, memory_order_relaxed);
}

enum wg_replay_verdict
wg_keypair_replay_precheck(struct wg_keypair *kp, uint64_t counter)
{
	bool ok;

	if (counter >= WG_REJECT_AFTER_MESSAGES)
		return WG_REPLAY_REJECT;
	if (atomic_flag_test_and_set_explicit(&kp->replay_claim, memory_order_acquire))
		return WG_REPLAY_ACCEPT; /* decided after decryption, by the commit */
	ok = replay_window_check(&kp->replay, counter);
	atomic_flag_clear_explicit(&kp->replay_claim, memory_order_release);
	return ok ? WG_REPLAY_ACCEPT : WG_REPLAY_REJECT;
}

enum wg_replay_verdict
wg_keypair_replay_commit(struct wg_keypair *kp, uint64_t counter)
{
	bool ok;

	if (atomic_flag_test_and_set_explicit(&kp->replay_claim, memory_order_acquire))
		return WG_REPLAY_CONTENDED;
	ok = replay_window_check_and_update(&kp->replay, counter);
	atomic_flag_clear_explicit(&kp->replay_claim, memory_order_release);
	return ok ? WG_REPLAY_ACCEPT : WG_REPLAY_REJECT;
}
