/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Concurrency: the control loop's thread. Callbacks run inside tailnet_h2_recv; they may not
 * free the session (they record, the caller acts after recv returns).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nghttp2/nghttp2.h>

#include "tailnet_h2.h"

struct tailnet_h2 {
	nghttp2_session *session;
	struct tailnet_h2_callbacks cb;
	char authority[300];
	bool data_failed; /* a callback asked to fail the connection */
	struct h2_stream *streams; /* open request streams, freed with the session */
};

/* What a request stream carries on nghttp2's side: its body and the caller's context. */
struct h2_stream {
	char *body;
	size_t len;
	size_t off;
	void *ctx;
	struct h2_stream *prev, *next;
};

static void
stream_free(struct tailnet_h2 *h, struct h2_stream *s)
{
	if (s->prev != NULL)
		s->prev->next = s->next;
	else
		h->streams = s->next;
	if (s->next != NULL)
		s->next->prev = s->prev;
	/* a register body holds the auth key */
	explicit_bzero(s->body, s->len);
	free(s->body);
	free(s);
}

static ssize_t
read_body(nghttp2_session *session, int32_t stream_id, uint8_t *buf, size_t length,
	  uint32_t *data_flags, nghttp2_data_source *source, void *user_data)
{
	struct h2_stream *s = source->ptr;
	size_t n = s->len - s->off;

	(void)session;
	(void)stream_id;
	(void)user_data;
	if (n > length)
		n = length;
	memcpy(buf, s->body + s->off, n);
	s->off += n;
	if (s->off == s->len)
		*data_flags |= NGHTTP2_DATA_FLAG_EOF;
	return (ssize_t)n;
}

static int
on_header(nghttp2_session *session, const nghttp2_frame *frame, const uint8_t *name,
	  size_t namelen, const uint8_t *value, size_t valuelen, uint8_t flags, void *user_data)
{
	struct tailnet_h2 *h = user_data;
	struct h2_stream *s;
	int status = 0;

	(void)flags;
	if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_RESPONSE ||
	    namelen != 7 || memcmp(name, ":status", 7) != 0)
		return 0;
	s = nghttp2_session_get_stream_user_data(session, frame->hd.stream_id);
	if (s == NULL)
		return 0;
	if (valuelen != 3)
		return NGHTTP2_ERR_CALLBACK_FAILURE;
	for (size_t i = 0; i < 3; i++) {
		if (value[i] < '0' || value[i] > '9')
			return NGHTTP2_ERR_CALLBACK_FAILURE;
		status = status * 10 + (value[i] - '0');
	}
	if (h->cb.on_status != NULL)
		h->cb.on_status(s->ctx, frame->hd.stream_id, status);
	return 0;
}

static int
on_data_chunk(nghttp2_session *session, uint8_t flags, int32_t stream_id, const uint8_t *data,
	      size_t len, void *user_data)
{
	struct tailnet_h2 *h = user_data;
	struct h2_stream *s = nghttp2_session_get_stream_user_data(session, stream_id);

	(void)flags;
	if (s == NULL || h->cb.on_data == NULL)
		return 0;
	if (h->cb.on_data(s->ctx, stream_id, data, len) < 0) {
		h->data_failed = true;
		return NGHTTP2_ERR_CALLBACK_FAILURE;
	}
	return 0;
}

static int
on_stream_close(nghttp2_session *session, int32_t stream_id, uint32_t error_code,
		void *user_data)
{
	struct tailnet_h2 *h = user_data;
	struct h2_stream *s = nghttp2_session_get_stream_user_data(session, stream_id);

	if (s == NULL)
		return 0;
	nghttp2_session_set_stream_user_data(session, stream_id, NULL);
	if (h->cb.on_close != NULL)
		h->cb.on_close(s->ctx, stream_id, error_code);
	stream_free(h, s);
	return 0;
}

struct tailnet_h2 *
tailnet_h2_new(const char *authority, const struct tailnet_h2_callbacks *callbacks)
{
	nghttp2_session_callbacks *cbs = NULL;
	nghttp2_option *opt = NULL;
	nghttp2_settings_entry settings[] = {
		{NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
		{NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, 16},
		{NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, TAILNET_H2_STREAM_WINDOW},
		{NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, 64 << 10},
	};
	struct tailnet_h2 *h = calloc(1, sizeof(*h));

	if (h == NULL || strlen(authority) >= sizeof(h->authority))
		goto fail;
	strcpy(h->authority, authority);
	h->cb = *callbacks;
	if (nghttp2_session_callbacks_new(&cbs) != 0 || nghttp2_option_new(&opt) != 0)
		goto fail;
	nghttp2_session_callbacks_set_on_header_callback(cbs, on_header);
	nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, on_data_chunk);
	nghttp2_session_callbacks_set_on_stream_close_callback(cbs, on_stream_close);
	/* a server may not make the session keep unbounded state for it */
	nghttp2_option_set_max_deflate_dynamic_table_size(opt, 4096);
	nghttp2_option_set_max_outbound_ack(opt, 1000);
	nghttp2_option_set_max_settings(opt, 32);
	if (nghttp2_session_client_new2(&h->session, cbs, h, opt) != 0)
		goto fail;
	nghttp2_session_callbacks_del(cbs);
	nghttp2_option_del(opt);
	cbs = NULL;
	opt = NULL;
	if (nghttp2_submit_settings(h->session, NGHTTP2_FLAG_NONE, settings,
				    sizeof(settings) / sizeof(settings[0])) != 0 ||
	    nghttp2_session_set_local_window_size(h->session, NGHTTP2_FLAG_NONE, 0,
						  TAILNET_H2_CONNECTION_WINDOW) != 0)
		goto fail;
	return h;
fail:
	nghttp2_session_callbacks_del(cbs);
	nghttp2_option_del(opt);
	tailnet_h2_free(h);
	return NULL;
}

void
tailnet_h2_free(struct tailnet_h2 *h)
{
	if (h == NULL)
		return;
	/* streams still open are closed here: their bodies are freed by on_stream_close, but
	 * the callbacks must not reach the caller, who is tearing down */
	h->cb.on_close = NULL;
	h->cb.on_data = NULL;
	h->cb.on_status = NULL;
	nghttp2_session_del(h->session);
	while (h->streams != NULL)
		stream_free(h, h->streams);
	free(h);
}

#define NV(n, v)                                                                      \
	{                                                                             \
		(uint8_t *)(n), (uint8_t *)(v), sizeof(n) - 1, strlen(v),              \
			NGHTTP2_NV_FLAG_NO_COPY_NAME                                   \
	}

int32_t
tailnet_h2_post(struct tailnet_h2 *h, const char *path, const char *body, size_t len,
		const char *lb_header, void *stream_ctx)
{
	char length[24];

	/* the headers below point at length: it is written first */
	snprintf(length, sizeof(length), "%zu", len);
	nghttp2_nv headers[] = {
		NV(":method", "POST"),
		NV(":scheme", "https"),
		NV(":authority", h->authority),
		NV(":path", path),
		NV("content-type", "application/json"),
		NV("content-length", length),
		NV("ts-lb", lb_header != NULL ? lb_header : ""),
	};
	size_t header_count = sizeof(headers) / sizeof(headers[0]) - (lb_header == NULL);
	nghttp2_data_provider provider;
	struct h2_stream *s;
	int32_t id;

	if (len > TAILNET_H2_BODY_MAX)
		return -1;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return -1;
	s->body = malloc(len + 1);
	if (s->body == NULL) {
		free(s);
		return -1;
	}
	memcpy(s->body, body, len);
	s->len = len;
	s->ctx = stream_ctx;
	provider.source.ptr = s;
	provider.read_callback = read_body;
	s->next = h->streams;
	if (h->streams != NULL)
		h->streams->prev = s;
	h->streams = s;
	id = nghttp2_submit_request(h->session, NULL, headers, header_count, &provider, s);
	if (id < 0) {
		stream_free(h, s);
		return -1;
	}
	return id;
}

void
tailnet_h2_cancel(struct tailnet_h2 *h, int32_t stream_id)
{
	nghttp2_submit_rst_stream(h->session, NGHTTP2_FLAG_NONE, stream_id, NGHTTP2_CANCEL);
}

int
tailnet_h2_recv(struct tailnet_h2 *h, const uint8_t *data, size_t len, const char **why)
{
	ssize_t n = nghttp2_session_mem_recv(h->session, data, len);

	if (n < 0 || (size_t)n != len) {
		*why = h->data_failed ? "a response body was refused"
				      : n < 0 ? nghttp2_strerror((int)n) : "short read";
		return -1;
	}
	return 0;
}

ssize_t
tailnet_h2_send_chunk(struct tailnet_h2 *h, const uint8_t **data, const char **why)
{
	ssize_t n = nghttp2_session_mem_send(h->session, data);

	if (n < 0) {
		*why = nghttp2_strerror((int)n);
		return -1;
	}
	return n;
}

bool
tailnet_h2_alive(const struct tailnet_h2 *h)
{
	return nghttp2_session_want_read(h->session) || nghttp2_session_want_write(h->session);
}
