/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http_request.h"
#include "log.h"
#include "metrics_server.h"

static const uint64_t NS_PER_MS = 1000000ull;

struct metrics_client {
	struct metrics_server *server;
	int fd;
	char *in; /* HTTP_REQUEST_MAX bytes while reading, NULL once the reply is made */
	size_t in_len;
	struct strbuf out;
	size_t out_sent;
	enum metrics_outcome outcome; /* of the reply being sent */
	uint64_t accepted_ns;
	struct metrics_client *next; /* oldest last: new clients go in front */
};

struct metrics_server {
	struct loop *loop;
	int fd;
	int timer;
	char name[NETADDR_TEXT_MAX];
	metrics_render_fn render;
	void *arg;
	struct metrics_client *clients;
	struct metrics_server_stats stats;
};

static const char *const outcome_names[] = {
#define METRICS_OUTCOME_NAME(name, text) #name,
	METRICS_OUTCOMES(METRICS_OUTCOME_NAME)
#undef METRICS_OUTCOME_NAME
};

static const char *const outcome_texts[] = {
#define METRICS_OUTCOME_TEXT(name, text) text,
	METRICS_OUTCOMES(METRICS_OUTCOME_TEXT)
#undef METRICS_OUTCOME_TEXT
};

const char *
metrics_outcome_name(enum metrics_outcome outcome)
{
	return outcome < METRICS_OUTCOME_COUNT ? outcome_names[outcome] : "unknown";
}

const char *
metrics_outcome_text(enum metrics_outcome outcome)
{
	return outcome < METRICS_OUTCOME_COUNT ? outcome_texts[outcome] : "unknown";
}

static void
client_close(struct metrics_client *c, enum metrics_outcome outcome)
{
	struct metrics_server *s = c->server;
	struct metrics_client **pp;

	for (pp = &s->clients; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	s->stats.open--;
	s->stats.outcomes[outcome]++;
	loop_del_fd(s->loop, c->fd);
	close(c->fd);
	free(c->in);
	strbuf_free(&c->out);
	free(c);
}

/* Send what the socket takes; the reply's outcome once it is all out. */
static void
client_flush(struct metrics_client *c, enum metrics_outcome outcome)
{
	while (c->out_sent < c->out.len) {
		ssize_t n = send(c->fd, c->out.data + c->out_sent, c->out.len - c->out_sent,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			loop_mod_fd(c->server->loop, c->fd, EPOLLOUT);
			return;
		}
		if (n <= 0) {
			client_close(c, METRICS_OUTCOME_failed);
			return;
		}
		c->out_sent += (size_t)n;
	}
	shutdown(c->fd, SHUT_WR);
	/* input left unread would make close() reset the connection, and a reset can destroy
	 * the reply before the client reads it (a 431 to a head still coming): take what is
	 * there, within a bound */
	for (int i = 0; i < 16; i++) {
		char sink[4096];

		if (recv(c->fd, sink, sizeof(sink), MSG_DONTWAIT) <= 0)
			break;
	}
	client_close(c, outcome);
}

static void
client_reply(struct metrics_client *c, enum metrics_outcome outcome, const char *status,
	     bool head_only)
{
	struct metrics_server *s = c->server;
	struct strbuf body;

	strbuf_init(&body, METRICS_REPLY_MAX);
	if (outcome == METRICS_OUTCOME_served)
		s->render(s->arg, &body);
	else
		strbuf_printf(&body, "%s\n", status + 4);
	if (body.failed) {
		strbuf_free(&body);
		client_close(c, METRICS_OUTCOME_failed);
		return;
	}
	strbuf_printf(&c->out,
		      "HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
		      "Connection: close\r\n\r\n",
		      status,
		      outcome == METRICS_OUTCOME_served ? "text/plain; version=0.0.4; charset=utf-8"
							: "text/plain; charset=utf-8",
		      body.len);
	if (!head_only)
		strbuf_append(&c->out, body.data, body.len);
	strbuf_free(&body);
	if (c->out.failed) {
		client_close(c, METRICS_OUTCOME_failed);
		return;
	}
	/* reading is over: what else the client sends is never looked at */
	free(c->in);
	c->in = NULL;
	c->outcome = outcome;
	client_flush(c, outcome);
}

static void
client_request(struct metrics_client *c, const struct http_request *req)
{
	if (req->method == HTTP_METHOD_OTHER)
		client_reply(c, METRICS_OUTCOME_bad_method, "405 Method Not Allowed", false);
	else if (strcmp(req->path, "/metrics") != 0)
		client_reply(c, METRICS_OUTCOME_not_found, "404 Not Found",
			     req->method == HTTP_METHOD_HEAD);
	else
		client_reply(c, METRICS_OUTCOME_served, "200 OK", req->method == HTTP_METHOD_HEAD);
}

static void
client_event(struct loop *loop, int fd, uint32_t events, void *arg)
{
	struct metrics_client *c = arg;
	struct http_request req;

	(void)loop;
	(void)fd;
	if (c->in == NULL) {
		/* writing the reply */
		if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))
			client_flush(c, c->outcome);
		return;
	}
	for (;;) {
		ssize_t n;

		if (c->in_len == HTTP_REQUEST_MAX)
			break;
		n = recv(c->fd, c->in + c->in_len, HTTP_REQUEST_MAX - c->in_len, MSG_DONTWAIT);
		if (n == 0) {
			client_close(c, METRICS_OUTCOME_closed_early);
			return;
		}
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			client_close(c, METRICS_OUTCOME_failed);
			return;
		}
		c->in_len += (size_t)n;
	}
	switch (http_request_parse(c->in, c->in_len, &req)) {
	case HTTP_REQUEST_INCOMPLETE:
		return;
	case HTTP_REQUEST_COMPLETE:
		client_request(c, &req);
		return;
	case HTTP_REQUEST_TOO_LARGE:
		client_reply(c, METRICS_OUTCOME_too_large, "431 Request Header Fields Too Large",
			     false);
		return;
	case HTTP_REQUEST_BAD:
		client_reply(c, METRICS_OUTCOME_bad_request, "400 Bad Request", false);
		return;
	}
}

/* The oldest connection still sending its request, or NULL. */
static struct metrics_client *
oldest_reading(struct metrics_server *s)
{
	struct metrics_client *found = NULL;

	for (struct metrics_client *c = s->clients; c != NULL; c = c->next)
		if (c->in != NULL)
			found = c;
	return found;
}

static void
accept_event(struct loop *loop, int fd, uint32_t events, void *arg)
{
	struct metrics_server *s = arg;

	(void)events;
	for (;;) {
		int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct metrics_client *c;

		if (cfd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
			    errno != ECONNABORTED)
				log_warn("metrics %s: accept: %s", s->name, strerror(errno));
			return;
		}
		s->stats.accepted++;
		if (s->stats.open >= METRICS_MAX_CLIENTS) {
			struct metrics_client *victim = oldest_reading(s);

			if (victim == NULL) {
				s->stats.outcomes[METRICS_OUTCOME_refused]++;
				close(cfd);
				continue;
			}
			client_close(victim, METRICS_OUTCOME_evicted);
		}
		c = calloc(1, sizeof(*c));
		if (c != NULL)
			c->in = malloc(HTTP_REQUEST_MAX);
		if (c == NULL || c->in == NULL ||
		    loop_add_fd(loop, cfd, EPOLLIN, client_event, c) != 0) {
			if (c != NULL)
				free(c->in);
			free(c);
			close(cfd);
			s->stats.outcomes[METRICS_OUTCOME_failed]++;
			continue;
		}
		c->server = s;
		c->fd = cfd;
		c->accepted_ns = loop_now();
		strbuf_init(&c->out, METRICS_REPLY_MAX);
		c->next = s->clients;
		s->clients = c;
		s->stats.open++;
		/* the request usually came with the connection */
		client_event(loop, cfd, EPOLLIN, c);
	}
}

static uint64_t
client_deadline(const struct metrics_client *c)
{
	uint64_t ms = c->in != NULL ? METRICS_REQUEST_TIMEOUT_MS : METRICS_REPLY_TIMEOUT_MS;

	return c->accepted_ns + ms * NS_PER_MS;
}

/* Close the connections past their deadline; wake again at the next one. */
static uint64_t
deadline_check(struct loop *loop, uint64_t now, void *arg)
{
	struct metrics_server *s = arg;
	struct metrics_client *c, *next;
	uint64_t wake = now + 1000 * NS_PER_MS;

	(void)loop;
	for (c = s->clients; c != NULL; c = next) {
		uint64_t due = client_deadline(c);

		next = c->next;
		if (due <= now)
			client_close(c, c->in != NULL ? METRICS_OUTCOME_request_timeout
						      : METRICS_OUTCOME_reply_timeout);
		else if (due < wake)
			wake = due;
	}
	return wake;
}

struct metrics_server *
metrics_server_open(struct loop *loop, const struct netendpoint *listen_on,
		    metrics_render_fn render, void *arg)
{
	struct metrics_server *s = calloc(1, sizeof(*s));
	struct sockaddr_storage ss;
	socklen_t sslen = netendpoint_to_sockaddr(listen_on, &ss);
	int one = 1;

	if (s == NULL)
		return NULL;
	s->loop = loop;
	s->render = render;
	s->arg = arg;
	s->timer = -1;
	netendpoint_format(listen_on, s->name, sizeof(s->name));
	s->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (sslen == 0 || s->fd < 0) {
		log_error("metrics %s: socket: %s", s->name, strerror(errno));
		goto fail;
	}
	setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss.ss_family == AF_INET6)
		setsockopt(s->fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(s->fd, (struct sockaddr *)&ss, sslen) != 0 || listen(s->fd, 64) != 0) {
		log_error("metrics %s: bind/listen: %s", s->name, strerror(errno));
		goto fail;
	}
	if (loop_add_fd(loop, s->fd, EPOLLIN, accept_event, s) != 0)
		goto fail;
	s->timer = loop_add_timer(loop, deadline_check, s, loop_now() + 1000 * NS_PER_MS);
	if (s->timer < 0) {
		loop_del_fd(loop, s->fd);
		goto fail;
	}
	log_info("metrics: serving http://%s/metrics", s->name);
	return s;
fail:
	if (s->fd >= 0)
		close(s->fd);
	free(s);
	return NULL;
}

void
metrics_server_close(struct metrics_server *s)
{
	if (s == NULL)
		return;
	while (s->clients != NULL)
		client_close(s->clients, METRICS_OUTCOME_failed);
	loop_del_timer(s->loop, s->timer);
	loop_del_fd(s->loop, s->fd);
	close(s->fd);
	free(s);
}

void
metrics_server_stats(const struct metrics_server *s, struct metrics_server_stats *out)
{
	*out = s->stats;
}
