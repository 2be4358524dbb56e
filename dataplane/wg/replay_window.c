/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Bit i of the window (word (i / 64) mod 128, bit i mod 64) says whether counter i was seen. A
 * counter ahead of the greatest clears the words between the old and new greatest before being
 * recorded, so the bits of counters 8192 behind are reused; the check keeps only counters at most
 * WG_REPLAY_WINDOW_SIZE behind the greatest, whose words are never cleared that way.
 */
#include <string.h>

#include "replay_window.h"

static inline uint64_t
word_of(uint64_t counter)
{
	return counter / REPLAY_WINDOW_WORD_BITS;
}

static inline uint64_t
bit_of(uint64_t counter)
{
	return 1ULL << (counter % REPLAY_WINDOW_WORD_BITS);
}

static inline uint64_t *
slot_of(struct replay_window *w, uint64_t word)
{
	return &w->bitmap[word % REPLAY_WINDOW_WORDS];
}

void
replay_window_reset(struct replay_window *w)
{
	memset(w, 0, sizeof(*w));
}

bool
replay_window_check(const struct replay_window *w, uint64_t counter)
{
	if (counter >= WG_REJECT_AFTER_MESSAGES)
		return false;
	if (counter >= w->next)
		return true; /* ahead of everything: its bit is cleared before it is set */
	/* behind the greatest (next - 1) by more than the usable window: too old */
	if (w->next - 1 - counter > WG_REPLAY_WINDOW_SIZE)
		return false;
	return (w->bitmap[word_of(counter) % REPLAY_WINDOW_WORDS] & bit_of(counter)) == 0;
}

void
replay_window_update(struct replay_window *w, uint64_t counter)
{
	if (counter >= w->next) {
		if (w->next != 0) {
			uint64_t current = word_of(w->next - 1);
			uint64_t distance = word_of(counter) - current;
			uint64_t i;

			if (distance > REPLAY_WINDOW_WORDS)
				distance = REPLAY_WINDOW_WORDS;
			for (i = 1; i <= distance; i++)
				*slot_of(w, current + i) = 0;
		}
		w->next = counter + 1;
	}
	*slot_of(w, word_of(counter)) |= bit_of(counter);
}

bool
replay_window_check_and_update(struct replay_window *w, uint64_t counter)
{
	if (!replay_window_check(w, counter))
		return false;
	replay_window_update(w, counter);
	return true;
}
