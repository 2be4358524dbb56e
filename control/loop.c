/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"

struct loop_fd {
	int fd;
	loop_fd_cb cb;
	void *arg;
	struct loop_fd *next;
};

struct loop_timer {
	loop_timer_cb cb;
	void *arg;
	uint64_t due_ns;
};

struct loop {
	int epfd;
	volatile bool stop;
	struct loop_fd *fds;
	struct loop_timer timers[LOOP_MAX_TIMERS];
	int timer_count;
	struct loop_stats stats;
};

/* 0.5 ms .. 5 s: a healthy loop runs its timers within a millisecond (epoll's resolution); a
 * blocking call or a huge reply shows up in the upper buckets. */
const uint64_t loop_lag_bucket_ns[LOOP_LAG_BUCKETS] = {
	500000, 1000000, 5000000, 10000000, 50000000, 100000000, 500000000, 1000000000,
	5000000000,
};

uint64_t
loop_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

struct loop *
loop_create(void)
{
	struct loop *loop = calloc(1, sizeof(*loop));

	if (loop == NULL)
		return NULL;
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epfd < 0) {
		log_error("loop: epoll_create1: %s", strerror(errno));
		free(loop);
		return NULL;
	}
	return loop;
}

void
loop_destroy(struct loop *loop)
{
	struct loop_fd *f, *next;

	if (loop == NULL)
		return;
	for (f = loop->fds; f != NULL; f = next) {
		next = f->next;
		free(f);
	}
	close(loop->epfd);
	free(loop);
}

static struct loop_fd *
find_fd(struct loop *loop, int fd)
{
	for (struct loop_fd *f = loop->fds; f != NULL; f = f->next)
		if (f->fd == fd)
			return f;
	return NULL;
}

int
loop_add_fd(struct loop *loop, int fd, uint32_t events, loop_fd_cb cb, void *arg)
{
	struct epoll_event ev = {.events = events, .data.fd = fd};
	struct loop_fd *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
		log_warn("loop: epoll_ctl add %d: %s", fd, strerror(errno));
		free(f);
		return -1;
	}
	f->fd = fd;
	f->cb = cb;
	f->arg = arg;
	f->next = loop->fds;
	loop->fds = f;
	return 0;
}

int
loop_mod_fd(struct loop *loop, int fd, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.fd = fd};

	if (epoll_ctl(loop->epfd, EPOLL_CTL_MOD, fd, &ev) != 0) {
		log_warn("loop: epoll_ctl mod %d: %s", fd, strerror(errno));
		return -1;
	}
	return 0;
}

void
loop_del_fd(struct loop *loop, int fd)
{
	struct loop_fd **pp;

	epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL);
	for (pp = &loop->fds; *pp != NULL; pp = &(*pp)->next) {
		if ((*pp)->fd == fd) {
			struct loop_fd *f = *pp;

			*pp = f->next;
			free(f);
			return;
		}
	}
}

int
loop_add_timer(struct loop *loop, loop_timer_cb cb, void *arg, uint64_t first_ns)
{
	int id;

	for (id = 0; id < loop->timer_count; id++)
		if (loop->timers[id].cb == NULL)
			break;
	if (id == LOOP_MAX_TIMERS)
		return -1;
	loop->timers[id] = (struct loop_timer){cb, arg, first_ns ? first_ns : 1};
	if (id == loop->timer_count)
		loop->timer_count++;
	return id;
}

void
loop_del_timer(struct loop *loop, int id)
{
	if (id >= 0 && id < loop->timer_count)
		loop->timers[id] = (struct loop_timer){NULL, NULL, LOOP_NEVER};
}

void
loop_timer_at(struct loop *loop, int id, uint64_t when_ns)
{
	struct loop_timer *t;

	if (id < 0 || id >= loop->timer_count)
		return;
	t = &loop->timers[id];
	if (when_ns == LOOP_NEVER)
		return;
	if (t->due_ns == LOOP_NEVER || when_ns < t->due_ns)
		t->due_ns = when_ns;
}

void
loop_stop(struct loop *loop)
{
	loop->stop = true;
}

static int
timeout_ms(const struct loop *loop, uint64_t now)
{
	uint64_t earliest = LOOP_NEVER;

	for (int i = 0; i < loop->timer_count; i++) {
		uint64_t due = loop->timers[i].due_ns;

		if (due != LOOP_NEVER && (earliest == LOOP_NEVER || due < earliest))
			earliest = due;
	}
	if (earliest == LOOP_NEVER)
		return 1000; /* nothing scheduled: still wake now and then to notice loop_stop */
	if (earliest <= now)
		return 0;
	/* round up so a deadline is never missed by sleeping a hair too short */
	return (int)((earliest - now + 999999) / 1000000);
}

static void
lag_observe(struct loop_stats *st, uint64_t lag_ns)
{
	st->lag_count++;
	st->lag_sum_ns += lag_ns;
	for (int b = 0; b < LOOP_LAG_BUCKETS; b++)
		if (lag_ns <= loop_lag_bucket_ns[b])
			st->lag_buckets[b]++;
}

void
loop_stats(const struct loop *loop, struct loop_stats *out)
{
	*out = loop->stats;
}

int
loop_run(struct loop *loop)
{
	struct epoll_event events[64];

	/* a loop stopped before may run again (tests run it in slices) */
	loop->stop = false;
	while (!loop->stop) {
		uint64_t now = loop_now(), woke, lag_ns = 0;
		bool any_due = false;
		int n = epoll_wait(loop->epfd, events, 64, timeout_ms(loop, now));

		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_error("loop: epoll_wait: %s", strerror(errno));
			return -1;
		}
		woke = loop_now();
		for (int i = 0; i < n && !loop->stop; i++) {
			struct loop_fd *f = find_fd(loop, events[i].data.fd);

			/* removed by an earlier callback this turn */
			if (f != NULL)
				f->cb(loop, f->fd, events[i].events, f->arg);
		}
		now = loop_now();
		for (int i = 0; i < loop->timer_count && !loop->stop; i++) {
			struct loop_timer *t = &loop->timers[i];

			if (t->cb != NULL && t->due_ns != LOOP_NEVER && t->due_ns <= now) {
				uint64_t ran = loop_now();

				/* a first run "at once" (deadline 1) has no lateness to speak of */
				any_due = any_due || t->due_ns > 1;
				if (t->due_ns > 1 && ran - t->due_ns > lag_ns)
					lag_ns = ran - t->due_ns;
				uint64_t next;

				/* a callback may bring its own timer forward while it runs (work it
				 * queued for itself): the earlier of that and what it returns wins */
				t->due_ns = LOOP_NEVER;
				next = t->cb(loop, now, t->arg);
				if (t->cb != NULL && (t->due_ns == LOOP_NEVER ||
						      (next != LOOP_NEVER && next < t->due_ns)))
					t->due_ns = next;
			}
		}
		if (any_due)
			lag_observe(&loop->stats, lag_ns);
		loop->stats.turns++;
		loop->stats.busy_ns += loop_now() - woke;
	}
	return 0;
}
