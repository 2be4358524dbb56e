/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The receive replay window of one keypair: 8192 bits in 64-bit words, RFC 6479 style, of
 * which 8128 counters behind the greatest one received are usable (the word holding the
 * greatest counter is partly ahead of it). Counters at or above REJECT_AFTER_MESSAGES are
 * never accepted.
 *
 * The check is split from the update so a receiver can reject stale counters before paying for
 * decryption and record a counter only once its tag has verified: a forged packet must never
 * move the window.
 *
 * Concurrency: a plain single-owner structure with no atomics; keypair.h says who owns it.
 */
#ifndef EXITGATE_WG_REPLAY_WINDOW_H
#define EXITGATE_WG_REPLAY_WINDOW_H

#include <stdbool.h>
#include <stdint.h>

#include "messages.h"

enum {
	REPLAY_WINDOW_WORD_BITS = 64,
	REPLAY_WINDOW_WORDS = WG_REPLAY_WINDOW_BITS / REPLAY_WINDOW_WORD_BITS,
};

struct replay_window {
	uint64_t next; /* one more than the greatest counter accepted; 0 = none yet */
	uint64_t bitmap[REPLAY_WINDOW_WORDS];
};

void replay_window_reset(struct replay_window *w);
/* true when counter may be accepted: not too old, not seen, below REJECT_AFTER_MESSAGES. */
bool replay_window_check(const struct replay_window *w, uint64_t counter);
/* Record counter; only after replay_window_check(w, counter) returned true. */
void replay_window_update(struct replay_window *w, uint64_t counter);
/* Both at once, for a caller that owns the window alone: true when accepted (and recorded). */
bool replay_window_check_and_update(struct replay_window *w, uint64_t counter);

#endif
