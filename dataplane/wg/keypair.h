/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One WireGuard session: the two transport keys a handshake derived, the two indices that name
 * it on the wire, the send counter and the receive replay window.
 *
 * Concurrency (the data plane publishes keypairs to workers with RCU; several workers may
 * encrypt for one peer, and packets of one peer can reach more than one worker's rx queue):
 *  - Keys, indices, birth time and the initiator flag are written once by the control plane
 *    before the keypair is published and only read afterwards.
 *  - Send counter: a C11 atomic shared by all senders. A sender reserves exactly the counters of
 *    one burst with a single fetch_add (wg_keypair_reserve_send_counters). Per-worker blocks of
 *    counters were rejected: a worker sending slowly would still be using counters from an old
 *    block after a faster worker had moved the receiver's window more than 8128 ahead, and the
 *    receiver would drop the slow worker's packets as too old. Reserving per burst keeps all
 *    counters in flight within a few bursts of each other and costs one atomic per burst.
 *    tools/benchmarks/bench_keypair_counter, AMD EPYC (Zen 4) VM: one sender 2.6 ns/packet
 *    with fetch_add per packet, 0.08 with one per burst of 32; two senders on two cores
 *    sharing the keypair 47 ns/packet per packet, 1.6 per burst: the cache line bouncing
 *    between cores is what costs, and bursts divide it by 32.
 *    Exhaustion: a reservation first reads the counter and refuses once it has reached
 *    REJECT_AFTER_MESSAGES, so the counter overshoots the limit by at most
 *    (workers x burst) < 2^13 and can never wrap to reuse a nonce.
 *  - Replay window: owned by whichever receiver holds the claim flag, taken with one
 *    test-and-set only around the short check + update after a packet's tag has verified. A
 *    receiver that finds the flag taken drops the packet with reason "replay_contended" and never
 *    spins: a spinning worker would stall its whole rx queue behind another core, and the
 *    contention only happens when one peer's packets are spread over several queues at the same
 *    instant (RSS keeps one peer's flow on one queue; a roaming peer briefly has two), where the
 *    rare drop is cheaper than a lock on every packet. The pre-decryption check also takes the
 *    flag and, when it is taken, lets the packet through to be decided after decryption.
 *  - can_send (key confirmation): set by the control plane when the keypair becomes the peer's
 *    current one; read by senders.
 */
#ifndef EXITGATE_WG_KEYPAIR_H
#define EXITGATE_WG_KEYPAIR_H

#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "messages.h"
#include "replay_window.h"

enum {
	WG_CACHE_LINE = 64,
};

enum wg_replay_verdict {
	WG_REPLAY_ACCEPT,    /* new counter: recorded (commit) or worth decrypting (precheck) */
	WG_REPLAY_REJECT,    /* seen before, too old, or beyond REJECT_AFTER_MESSAGES */
	WG_REPLAY_CONTENDED, /* another receiver holds the window: drop "replay_contended" */
};

struct wg_keypair {
	/* Read-only once published: every sender and receiver reads this line and the next. */
	alignas(WG_CACHE_LINE) uint8_t send_key[WG_KEY_LEN];
	uint8_t receive_key[WG_KEY_LEN];
	uint64_t birth_ns;     /* monotonic time of the handshake that made it */
	uint32_t local_index;  /* our index: the receiver field of packets sent to us */
	uint32_t remote_index; /* the peer's index: the receiver field of packets we send */
	bool initiator;        /* we sent the initiation of the handshake that made it */

	/* Send side: written by every sender. */
	alignas(WG_CACHE_LINE) atomic_uint_fast64_t send_counter; /* next counter to use */
	/* key confirmed: the initiator's at once, the responder's on the first data received */
	atomic_bool can_send;

	/* Receive side: written by the receiver holding the claim. */
	alignas(WG_CACHE_LINE) atomic_flag replay_claim;
	struct replay_window replay;
};

/* Set up a keypair that no other thread can see yet; wiped state before. */
void wg_keypair_init(struct wg_keypair *kp, const uint8_t send_key[WG_KEY_LEN],
		     const uint8_t receive_key[WG_KEY_LEN], uint32_t local_index,
		     uint32_t remote_index, bool initiator, uint64_t birth_ns);
/* Wipe the whole keypair (sodium_memzero), keys included. Only once no thread can reach it any
 * more (after the RCU grace period in the data plane): it is the last thing before freeing. */
void wg_keypair_wipe(struct wg_keypair *kp);

/*
 * Reserve up to n consecutive send counters starting at *first; returns how many were granted
 * (fewer than n, or 0, once REJECT_AFTER_MESSAGES is reached). Lock-free, per burst.
 */
uint32_t wg_keypair_reserve_send_counters(struct wg_keypair *kp, uint32_t n, uint64_t *first);
/* The counters handed out so far (the next one to use); may exceed the limit once exhausted. */
uint64_t wg_keypair_send_counter(const struct wg_keypair *kp);

/* Before decrypting: REJECT when the counter is already known to be bad. Never CONTENDED:
 * a taken claim lets the packet through to wg_keypair_replay_commit. */
enum wg_replay_verdict wg_keypair_replay_precheck(struct wg_keypair *kp, uint64_t counter);
/* After the tag verified: check and record the counter under the claim. */
enum wg_replay_verdict wg_keypair_replay_commit(struct wg_keypair *kp, uint64_t counter);

/* true once the keypair is REJECT_AFTER_TIME old: it must neither send nor receive. */
static inline bool
wg_keypair_expired(const struct wg_keypair *kp, uint64_t now_ns)
{
	return now_ns - kp->birth_ns >= WG_REJECT_AFTER_TIME_NS;
}

static inline bool
wg_keypair_can_send(const struct wg_keypair *kp)
{
	return atomic_load_explicit(&kp->can_send, memory_order_acquire);
}

static inline void
wg_keypair_set_can_send(struct wg_keypair *kp, bool can_send)
{
	atomic_store_explicit(&kp->can_send, can_send, memory_order_release);
}

#endif
