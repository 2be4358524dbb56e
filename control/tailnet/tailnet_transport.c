/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Concurrency: the control loop's thread only; glibc's resolver thread writes only into a
 * struct tailnet_lookup, which this thread reads after gai_error says it is done.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "log.h"
#include "tailnet_transport.h"

enum {
	/* how long destroy waits for a lookup glibc cannot cancel */
	LOOKUP_ABANDON_WAIT_S = 5,
};

struct tailnet_lookup {
	struct gaicb request;
	struct gaicb *list[1];
	struct addrinfo hints;
	char host[HTTP_URL_HOST_MAX + 1];
	char service[8];
};

void
tailnet_transport_init(struct tailnet_transport *t)
{
	memset(t, 0, sizeof(*t));
	t->fd = -1;
}

static const char *
tls_reason(struct tailnet_transport *t)
{
	unsigned long e = ERR_get_error();

	if (e == 0) {
		snprintf(t->why_buf, sizeof(t->why_buf), "%s",
			 errno != 0 ? strerror(errno) : "connection closed");
	} else {
		ERR_error_string_n(e, t->why_buf, sizeof(t->why_buf));
		ERR_clear_error();
	}
	return t->why_buf;
}

static int
fail_errno(struct tailnet_transport *t, const char *what, int err)
{
	snprintf(t->why_buf, sizeof(t->why_buf), "%s: %s", what, strerror(err));
	t->why = t->why_buf;
	return -1;
}

int
tailnet_transport_connect(struct tailnet_transport *t, const struct sockaddr_storage *addr,
			  socklen_t len)
{
	int one = 1;

	tailnet_transport_close(t);
	t->fd = socket(addr->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (t->fd < 0)
		return fail_errno(t, "socket", errno);
	setsockopt(t->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	t->state = TAILNET_TRANSPORT_CONNECTING;
	if (connect(t->fd, (const struct sockaddr *)addr, len) < 0 && errno != EINPROGRESS)
		return fail_errno(t, "connect", errno);
	return 0;
}

static int
start_tls(struct tailnet_transport *t, SSL_CTX *ctx, const struct http_url *url)
{
	t->ssl = SSL_new(ctx);
	if (t->ssl == NULL || SSL_set_fd(t->ssl, t->fd) != 1)
		goto fail;
	SSL_set_connect_state(t->ssl);
	/* SNI carries names only, never address literals (RFC 6066) */
	if (url->literal_family == 0) {
		if (SSL_set_tlsext_host_name(t->ssl, url->host) != 1)
			goto fail;
		SSL_set_hostflags(t->ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
		if (SSL_set1_host(t->ssl, url->host) != 1)
			goto fail;
	} else if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(t->ssl), url->host) != 1) {
		goto fail;
	}
	t->state = TAILNET_TRANSPORT_TLS;
	return 0;
fail:
	t->why = tls_reason(t);
	return -1;
}

static int
tls_handshake(struct tailnet_transport *t)
{
	int rc, err;

	ERR_clear_error();
	errno = 0;
	rc = SSL_do_handshake(t->ssl);
	if (rc == 1) {
		t->tls_wants_write = false;
		t->state = TAILNET_TRANSPORT_OPEN;
		return 1;
	}
	err = SSL_get_error(t->ssl, rc);
	if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
		t->tls_wants_write = err == SSL_ERROR_WANT_WRITE;
		return 0;
	}
	if (SSL_get_verify_result(t->ssl) != X509_V_OK) {
		snprintf(t->why_buf, sizeof(t->why_buf), "TLS certificate: %s",
			 X509_verify_cert_error_string(SSL_get_verify_result(t->ssl)));
		ERR_clear_error();
		t->why = t->why_buf;
		return -1;
	}
	t->why = tls_reason(t);
	return -1;
}

int
tailnet_transport_progress(struct tailnet_transport *t, uint32_t events, SSL_CTX *ctx,
			   const struct http_url *url)
{
	switch (t->state) {
	case TAILNET_TRANSPORT_CLOSED:
		t->why = "not connected";
		return -1;
	case TAILNET_TRANSPORT_CONNECTING: {
		int err = 0;
		socklen_t len = sizeof(err);

		if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
			return 0;
		if (getsockopt(t->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			err = errno;
		if (err != 0)
			return fail_errno(t, "connect", err);
		if (ctx == NULL) {
			t->state = TAILNET_TRANSPORT_OPEN;
			return 1;
		}
		if (start_tls(t, ctx, url) < 0)
			return -1;
		return tls_handshake(t);
	}
	case TAILNET_TRANSPORT_TLS:
		return tls_handshake(t);
	case TAILNET_TRANSPORT_OPEN:
		return 1;
	}
	return -1;
}

ssize_t
tailnet_transport_read(struct tailnet_transport *t, uint8_t *buf, size_t len)
{
	ssize_t n;
	int err;

	if (t->ssl == NULL) {
		n = recv(t->fd, buf, len, 0);
		if (n > 0)
			return n;
		if (n == 0)
			return -2;
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return 0;
		fail_errno(t, "recv", errno);
		return -1;
	}
	ERR_clear_error();
	errno = 0;
	n = SSL_read(t->ssl, buf, (int)(len > INT32_MAX ? INT32_MAX : len));
	if (n > 0)
		return n;
	err = SSL_get_error(t->ssl, (int)n);
	if (err == SSL_ERROR_WANT_READ)
		return 0;
	if (err == SSL_ERROR_WANT_WRITE) {
		t->tls_wants_write = true;
		return 0;
	}
	if (err == SSL_ERROR_ZERO_RETURN)
		return -2;
	t->why = tls_reason(t);
	return -1;
}

ssize_t
tailnet_transport_write(struct tailnet_transport *t, const uint8_t *buf, size_t len)
{
	ssize_t n;
	int err;

	if (len == 0)
		return 0;
	if (t->ssl == NULL) {
		n = send(t->fd, buf, len, MSG_NOSIGNAL);
		if (n >= 0)
			return n;
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return 0;
		fail_errno(t, "send", errno);
		return -1;
	}
	t->tls_wants_write = false;
	ERR_clear_error();
	errno = 0;
	n = SSL_write(t->ssl, buf, (int)(len > INT32_MAX ? INT32_MAX : len));
	if (n > 0)
		return n;
	err = SSL_get_error(t->ssl, (int)n);
	if (err == SSL_ERROR_WANT_WRITE) {
		t->tls_wants_write = true;
		return 0;
	}
	if (err == SSL_ERROR_WANT_READ)
		return 0;
	t->why = tls_reason(t);
	return -1;
}

uint32_t
tailnet_transport_events(const struct tailnet_transport *t, bool have_output)
{
	switch (t->state) {
	case TAILNET_TRANSPORT_CONNECTING:
		return EPOLLOUT;
	case TAILNET_TRANSPORT_TLS:
		return t->tls_wants_write ? EPOLLOUT : EPOLLIN;
	case TAILNET_TRANSPORT_OPEN:
		return EPOLLIN | (have_output || t->tls_wants_write ? EPOLLOUT : 0);
	default:
		return 0;
	}
}

void
tailnet_transport_close(struct tailnet_transport *t)
{
	if (t->ssl != NULL) {
		SSL_free(t->ssl);
		t->ssl = NULL;
	}
	if (t->fd >= 0) {
		close(t->fd);
		t->fd = -1;
	}
	t->state = TAILNET_TRANSPORT_CLOSED;
	t->tls_wants_write = false;
}

SSL_CTX *
tailnet_tls_context(const char *ca_file, const char **why)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (ctx == NULL) {
		*why = "SSL_CTX_new failed";
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	if ((ca_file != NULL ? SSL_CTX_load_verify_locations(ctx, ca_file, NULL)
			     : SSL_CTX_set_default_verify_paths(ctx)) != 1) {
		*why = "loading the CA certificates failed";
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

int
tailnet_literal_address(const struct http_url *url, struct sockaddr_storage *addr,
			socklen_t *len)
{
	memset(addr, 0, sizeof(*addr));
	if (url->literal_family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)addr;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(url->port);
		if (inet_pton(AF_INET, url->host, &sin->sin_addr) != 1)
			return -1;
		*len = sizeof(*sin);
		return 0;
	}
	if (url->literal_family == AF_INET6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)addr;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(url->port);
		if (inet_pton(AF_INET6, url->host, &sin6->sin6_addr) != 1)
			return -1;
		*len = sizeof(*sin6);
		return 0;
	}
	return -1;
}

int
tailnet_resolve_start(struct tailnet_resolver *r, const struct http_url *url)
{
	struct tailnet_lookup *l;
	int rc;

	if (r->lookup != NULL)
		return 0; /* the last one is still running: it answers this attempt too */
	l = calloc(1, sizeof(*l));
	if (l == NULL)
		return -1;
	snprintf(l->host, sizeof(l->host), "%s", url->host);
	snprintf(l->service, sizeof(l->service), "%u", (unsigned int)url->port);
	l->hints.ai_family = AF_UNSPEC;
	l->hints.ai_socktype = SOCK_STREAM;
	l->hints.ai_flags = AI_ADDRCONFIG | AI_NUMERICSERV;
	l->request.ar_name = l->host;
	l->request.ar_service = l->service;
	l->request.ar_request = &l->hints;
	l->list[0] = &l->request;
	/* no notification: the control loop polls gai_error from its timer */
	rc = getaddrinfo_a(GAI_NOWAIT, l->list, 1, NULL);
	if (rc != 0) {
		log_warn("tailnet: getaddrinfo_a %s: %s", l->host, gai_strerror(rc));
		free(l);
		return -1;
	}
	r->lookup = l;
	return 0;
}

int
tailnet_resolve_poll(struct tailnet_resolver *r, struct sockaddr_storage *addrs, socklen_t *lens,
		     size_t *count, const char **why)
{
	struct tailnet_lookup *l = r->lookup;
	struct addrinfo *ai;
	int rc;

	*count = 0;
	if (l == NULL) {
		*why = "no lookup";
		return -1;
	}
	rc = gai_error(&l->request);
	if (rc == EAI_INPROGRESS)
		return 0;
	r->lookup = NULL;
	if (rc != 0) {
		*why = gai_strerror(rc);
		free(l);
		return -1;
	}
	/* IPv6 and IPv4 as the resolver ordered them (RFC 6724) */
	for (ai = l->request.ar_result; ai != NULL && *count < TAILNET_ADDRS_MAX; ai = ai->ai_next) {
		if ((ai->ai_family != AF_INET && ai->ai_family != AF_INET6) ||
		    ai->ai_addrlen > sizeof(*addrs))
			continue;
		memset(&addrs[*count], 0, sizeof(*addrs));
		memcpy(&addrs[*count], ai->ai_addr, ai->ai_addrlen);
		lens[*count] = ai->ai_addrlen;
		(*count)++;
	}
	freeaddrinfo(l->request.ar_result);
	free(l);
	if (*count == 0) {
		*why = "no IPv4 or IPv6 address";
		return -1;
	}
	return 1;
}

void
tailnet_resolve_abandon(struct tailnet_resolver *r)
{
	struct tailnet_lookup *l = r->lookup;
	struct timespec wait = {LOOKUP_ABANDON_WAIT_S, 0};
	const struct gaicb *list[1];

	if (l == NULL)
		return;
	r->lookup = NULL;
	if (gai_cancel(&l->request) == EAI_NOTCANCELED) {
		list[0] = &l->request;
		gai_suspend(list, 1, &wait);
		if (gai_error(&l->request) == EAI_INPROGRESS) {
			/* glibc still owns it: leaving it is safer than freeing it under glibc */
			log_warn("tailnet: the lookup of %s outlived %d s; its memory is left to it",
				 l->host, LOOKUP_ABANDON_WAIT_S);
			return;
		}
	}
	if (gai_error(&l->request) == 0)
		freeaddrinfo(l->request.ar_result);
	free(l);
}
