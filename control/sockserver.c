/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <sodium.h>

#include "log.h"
#include "sockserver.h"

struct client {
	struct sockserver *server;
	int fd;
	char *in;
	size_t in_len;
	struct strbuf out;
	size_t out_sent;
	bool closing; /* close once the reply is out */
	bool eof;     /* the client finished sending */
	uint64_t pending; /* the ticket of a deferred reply it waits for, 0 = none */
	uint64_t active_ns;
	struct client *next;
};

struct sockserver {
	struct loop *loop;
	int fd;
	char *path;
	size_t max_request;
	sockserver_frame_fn frame;
	sockserver_handle_fn handle;
	void *arg;
	struct client *clients;
	unsigned int client_count;
	int timer;
	struct client *current; /* whose request the handler is answering */
	uint64_t next_ticket;
};

static void
client_close(struct client *c)
{
	struct sockserver *s = c->server;
	struct client **pp;

	for (pp = &s->clients; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	s->client_count--;
	loop_del_fd(s->loop, c->fd);
	close(c->fd);
	if (c->in != NULL) {
		sodium_memzero(c->in, s->max_request);
		free(c->in);
	}
	strbuf_free(&c->out);
	free(c);
}

static void
client_flush(struct client *c)
{
	while (c->out_sent < c->out.len) {
		ssize_t n = send(c->fd, c->out.data + c->out_sent, c->out.len - c->out_sent,
				 MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				loop_mod_fd(c->server->loop, c->fd, EPOLLIN | EPOLLOUT);
				return;
			}
			client_close(c);
			return;
		}
		c->out_sent += (size_t)n;
	}
	strbuf_reset(&c->out);
	c->out_sent = 0;
	if (c->closing) {
		shutdown(c->fd, SHUT_WR);
		client_close(c);
		return;
	}
	loop_mod_fd(c->server->loop, c->fd, EPOLLIN);
}

/* Answer every complete request in the input buffer. Returns false if c was closed. */
static bool
client_process(struct client *c)
{
	struct sockserver *s = c->server;
	size_t used;

	while (!c->closing && c->pending == 0 && (used = s->frame(c->in, c->in_len)) > 0) {
		s->current = c;
		if (!s->handle(s->arg, c->in, used, &c->out))
			c->closing = true;
		s->current = NULL;
		sodium_memzero(c->in, used);
		memmove(c->in, c->in + used, c->in_len - used);
		c->in_len -= used;
	}
	if (c->out.failed) {
		client_close(c);
		return false;
	}
	return true;
}

static void
client_event(struct loop *loop, int fd, uint32_t events, void *arg)
{
	struct client *c = arg;
	struct sockserver *s = c->server;

	(void)loop;
	(void)fd;
	c->active_ns = loop_now();
	if (events & EPOLLOUT) {
		client_flush(c);
		return;
	}
	if (events & (EPOLLERR)) {
		client_close(c);
		return;
	}
	for (;;) {
		ssize_t n;

		if (c->in_len == s->max_request) {
			log_warn("control socket %s: request over %zu bytes; closing", s->path,
				 s->max_request);
			client_close(c);
			return;
		}
		n = recv(c->fd, c->in + c->in_len, s->max_request - c->in_len, 0);
		if (n == 0) {
			/* the peer finished sending: answer what is complete, then close */
			c->eof = true;
			break;
		}
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			client_close(c);
			return;
		}
		c->in_len += (size_t)n;
	}
	if (!client_process(c))
		return;
	/* a deferred reply is still to come: the close waits for it, and a client that has
	 * finished sending is not read again meanwhile (its EOF would wake the loop forever) */
	if (c->pending != 0) {
		if (c->eof)
			loop_mod_fd(loop, c->fd, 0);
		return;
	}
	if (c->eof)
		c->closing = true;
	if (c->out.len > 0 || c->closing)
		client_flush(c);
}

uint64_t
sockserver_defer(struct sockserver *s)
{
	if (s->current == NULL)
		return 0;
	s->current->pending = ++s->next_ticket;
	return s->current->pending;
}

void
sockserver_answer(struct sockserver *s, uint64_t ticket, const char *text, bool close_after)
{
	struct client *c;

	for (c = s->clients; c != NULL; c = c->next)
		if (c->pending == ticket)
			break;
	if (c == NULL || ticket == 0)
		return; /* it went away meanwhile */
	c->pending = 0;
	c->active_ns = loop_now();
	strbuf_puts(&c->out, text);
	if (c->out.failed) {
		client_close(c);
		return;
	}
	if (close_after)
		c->closing = true;
	/* answered from within its own handler (it could answer at once after all): the caller's
	 * loop goes on with the next request and flushes */
	if (c == s->current)
		return;
	if (c->eof)
		c->closing = true;
	/* requests that queued behind the deferred one */
	if (!client_process(c))
		return;
	if (c->pending != 0 && !c->closing) {
		if (c->out.len > 0)
			client_flush(c);
		return;
	}
	if (c->eof)
		c->closing = true;
	client_flush(c);
}

static void
accept_event(struct loop *loop, int fd, uint32_t events, void *arg)
{
	struct sockserver *s = arg;

	(void)events;
	for (;;) {
		int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct client *c;

		if (cfd < 0)
			return;
		if (s->client_count >= SOCKSERVER_MAX_CLIENTS) {
			log_warn("control socket %s: %u clients already; refusing one", s->path,
				 s->client_count);
			close(cfd);
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (c != NULL)
			c->in = malloc(s->max_request);
		if (c == NULL || c->in == NULL || loop_add_fd(loop, cfd, EPOLLIN, client_event, c) != 0) {
			if (c != NULL)
				free(c->in);
			free(c);
			close(cfd);
			continue;
		}
		c->server = s;
		c->fd = cfd;
		c->active_ns = loop_now();
		strbuf_init(&c->out, 64u << 20);
		c->next = s->clients;
		s->clients = c;
		s->client_count++;
	}
}

/* Close clients idle for SOCKSERVER_IDLE_MS: a half-open or stalled client frees its slot. */
static uint64_t
idle_check(struct loop *loop, uint64_t now, void *arg)
{
	struct sockserver *s = arg;
	struct client *c = s->clients, *next;

	(void)loop;
	for (; c != NULL; c = next) {
		next = c->next;
		/* a client waiting for a deferred reply is not idle: its answer has a deadline */
		if (c->pending == 0 && now - c->active_ns > (uint64_t)SOCKSERVER_IDLE_MS * 1000000)
			client_close(c);
	}
	return now + 1000000000ull;
}

struct sockserver *
sockserver_open(struct loop *loop, const char *path, size_t max_request,
		sockserver_frame_fn frame, sockserver_handle_fn handle, void *arg)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct sockserver *s;
	mode_t old_umask;
	int rc;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		log_error("control socket %s: path too long", path);
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	s->loop = loop;
	s->max_request = max_request;
	s->frame = frame;
	s->handle = handle;
	s->arg = arg;
	s->path = strdup(path);
	s->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->path == NULL || s->fd < 0) {
		log_error("control socket %s: socket: %s", path, strerror(errno));
		goto fail;
	}
	strcpy(sun.sun_path, path);
	/* a stale socket from a previous run is replaced; a live one means another daemon */
	{
		int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		bool live = probe >= 0 &&
			    connect(probe, (struct sockaddr *)&sun, sizeof(sun)) == 0;

		if (probe >= 0)
			close(probe);
		if (live) {
			log_error("control socket %s: another process is listening there", path);
			goto fail;
		}
	}
	unlink(path);
	old_umask = umask(0077);
	rc = bind(s->fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old_umask);
	if (rc != 0 || chmod(path, 0600) != 0 || listen(s->fd, 16) != 0) {
		log_error("control socket %s: bind/listen: %s", path, strerror(errno));
		goto fail;
	}
	if (loop_add_fd(loop, s->fd, EPOLLIN, accept_event, s) != 0)
		goto fail;
	s->timer = loop_add_timer(loop, idle_check, s, loop_now() + 1000000000ull);
	return s;
fail:
	if (s->fd >= 0)
		close(s->fd);
	free(s->path);
	free(s);
	return NULL;
}

void
sockserver_close(struct sockserver *s)
{
	if (s == NULL)
		return;
	while (s->clients != NULL)
		client_close(s->clients);
	loop_del_timer(s->loop, s->timer);
	loop_del_fd(s->loop, s->fd);
	close(s->fd);
	unlink(s->path);
	free(s->path);
	free(s);
}
