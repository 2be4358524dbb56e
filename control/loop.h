/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control plane's one event loop (OpenBSD ntpd/bgpd style): every module registers its file
 * descriptors with a callback and a "next deadline" function; each turn waits in epoll until the
 * earliest deadline, then dispatches ready descriptors and due modules. No module sleeps or
 * blocks; work that must continue soon asks for deadline "now".
 */
#ifndef EXITGATE_CONTROL_LOOP_H
#define EXITGATE_CONTROL_LOOP_H

#include <stdbool.h>
#include <stdint.h>

enum {
	LOOP_MAX_TIMERS = 32,
	LOOP_NEVER = 0, /* a deadline of 0 means "no deadline" */
};

struct loop;

/* The earlier of two deadlines, either of which may be LOOP_NEVER (none). */
static inline uint64_t
loop_earliest(uint64_t a, uint64_t b)
{
	if (a == LOOP_NEVER)
		return b;
	if (b == LOOP_NEVER)
		return a;
	return a < b ? a : b;
}

/* Called with the epoll events that fired on fd. */
typedef void (*loop_fd_cb)(struct loop *loop, int fd, uint32_t events, void *arg);
/* Called each turn once now >= the deadline it last returned; returns its next deadline (ns,
 * monotonic) or LOOP_NEVER. */
typedef uint64_t (*loop_timer_cb)(struct loop *loop, uint64_t now_ns, void *arg);

struct loop *loop_create(void);
void loop_destroy(struct loop *loop);

int loop_add_fd(struct loop *loop, int fd, uint32_t events, loop_fd_cb cb, void *arg);
int loop_mod_fd(struct loop *loop, int fd, uint32_t events);
/* Removing a descriptor also forgets its callback; safe from within any callback. */
void loop_del_fd(struct loop *loop, int fd);

/* A module's periodic work; first run at first_ns (0 = at once). Returns an id or -1. */
int loop_add_timer(struct loop *loop, loop_timer_cb cb, void *arg, uint64_t first_ns);
/* Forget a timer (its slot is reused); safe from within any callback. */
void loop_del_timer(struct loop *loop, int id);
/* Bring a timer's next run forward (never later than it already is). */
void loop_timer_at(struct loop *loop, int id, uint64_t when_ns);

/* Run until loop_stop; returns 0, or -1 when epoll fails. */
int loop_run(struct loop *loop);
void loop_stop(struct loop *loop);
uint64_t loop_now(void);

/*
 * How late the loop runs its work (for metrics). Each turn in which a timer was due counts
 * once, with how long after its deadline the latest of them ran (fd work earlier in the turn,
 * or a long callback, makes the others late): the loop's lag, in cumulative buckets as a
 * Prometheus histogram has them. busy_ns is the time spent dispatching, not waiting.
 */
enum {
	LOOP_LAG_BUCKETS = 9,
};
extern const uint64_t loop_lag_bucket_ns[LOOP_LAG_BUCKETS];

struct loop_stats {
	uint64_t turns;
	uint64_t busy_ns;
	uint64_t lag_count;
	uint64_t lag_sum_ns;
	uint64_t lag_buckets[LOOP_LAG_BUCKETS]; /* turns with lag <= loop_lag_bucket_ns[i] */
};
void loop_stats(const struct loop *loop, struct loop_stats *out);

#endif
