/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The relay: one thread, one epoll loop, every socket non-blocking. Each connection moves
 * TLS -> HTTP -> LOGIN -> CONNECTED (or ANSWER for a plain HTTP request, then closes).
 * Packets from a client are copied into the destination's bounded queue (32 packets, oldest
 * dropped) and written when the destination is writable, so a slow reader only loses its own
 * packets. Per-connection memory is kept small for tens of thousands of idle clients: the TLS
 * record buffers are released when idle (SSL_MODE_RELEASE_BUFFERS), and the HTTP head buffer,
 * the write buffer, the packet ring and the frame reassembly buffer exist only while used.
 * A sweep every SWEEP_MS checks deadlines (login steps, write stalls, keepalives) and trims.
 */
#include <errno.h>
#include <malloc.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <sodium.h>

#include "derp_http.h"
#include "derp_login.h"
#include "derper.h"
#include "log.h"

enum {
	SWEEP_MS = 100,
	EVENTS_BATCH = 256,
	READS_PER_EVENT = 16,
	READ_BUFFER = 64 << 10,
	WBUF_DEFAULT = 32 << 10,
	CTRL_MAX = 4096,
	SENDERS_MAX = 65536,
	PEER_GONE_PER_SECOND = 5,
	PEER_GONE_BURST = 10,
	HEALTH_CLEAR_MS = 5000,
	TRIM_MS = 2000,
	RESTART_RECONNECT_MS = 2000,
	RESTART_TRY_FOR_MS = 60000,
	/* epoll data for non-connection fds: small integers, never valid pointers */
	TAG_LISTEN = 1,
	TAG_SIGNAL = 8,
	TAG_STUN = 16,
	TAG_MAX = 64,
};

enum conn_state {
	CONN_TLS,
	CONN_HTTP,
	CONN_LOGIN,
	CONN_CONNECTED,
	CONN_ANSWER,
};

struct queued_frame {
	uint32_t len;
	uint8_t data[];
};

/* Keys of clients that sent to this one: told PeerGone when it leaves. Open addressing. */
struct sender_set {
	uint8_t (*keys)[DERP_KEY_LEN];
	uint32_t cap;
	uint32_t count;
};

struct conn {
	int fd;
	uint8_t state;
	bool closed;
	bool dirty;
	bool read_pending;
	bool tls_wants_write;
	bool health_sent;
	bool preferred;
	uint32_t registered; /* epoll events in the interest set */
	uint32_t index;      /* in server.all */
	uint64_t serial;
	SSL *ssl;
	uint8_t key[DERP_KEY_LEN];
	uint64_t deadline_ms; /* login step, 0 = none */
	uint64_t next_keepalive_ms;
	uint64_t stall_since_ms;
	int64_t tokens;
	uint64_t tokens_ms;
	uint32_t gone_tokens;
	uint64_t gone_ms;
	uint64_t last_drop_ms;
	struct derp_reader reader;
	uint8_t *http;
	uint32_t http_len;
	uint8_t *ctrl;
	uint32_t ctrl_len;
	struct queued_frame **ring;
	uint8_t ring_head;
	uint8_t ring_count;
	uint8_t *wbuf;
	uint32_t wbuf_cap;
	uint32_t wbuf_off;
	uint32_t wbuf_len;
	struct sender_set senders;
	struct conn *last_dst;
	uint64_t last_dst_serial;
	struct conn *hash_next;
	struct conn *dirty_next;
	struct conn *pending_next;
	struct conn *free_next;
};

struct stats {
	uint64_t accepted;
	uint64_t refused_max_clients;
	uint64_t logins;
	uint64_t login_failures;
	uint64_t closed;
	uint64_t replaced;
	uint64_t tls_failures;
	uint64_t http_answers;
	uint64_t timeouts_login;
	uint64_t timeouts_write;
	uint64_t protocol_errors;
	uint64_t packets_forwarded;
	uint64_t bytes_forwarded;
	uint64_t drop_unknown_dest;
	uint64_t drop_queue_full;
	uint64_t drop_rate_limited;
	uint64_t drop_control;
	uint64_t drop_nomem;
	uint64_t peer_gone_sent;
	uint64_t keepalives_sent;
	uint64_t pongs_sent;
	uint64_t unknown_frames;
};

struct server {
	const struct derper_config *cfg;
	SSL_CTX *tls;
	uint8_t private_key[DERP_KEY_LEN];
	uint8_t public_key[DERP_KEY_LEN];
	int epfd;
	int listen_fds[2];
	unsigned int listen_count;
	int sigfd;
	struct derper_stun *stun;
	struct conn **all;
	uint32_t all_count;
	uint32_t all_cap;
	uint32_t connected;
	struct conn **table;
	uint32_t table_mask;
	uint8_t hash_key[crypto_shorthash_KEYBYTES];
	struct conn *dirty;
	struct conn *pending;
	struct conn *to_free;
	uint64_t next_serial;
	uint64_t now;
	uint64_t next_trim;
	uint64_t closed_at_trim;
	uint64_t logins_at_trim;
	bool stop;
	struct stats stats;
	uint8_t readbuf[READ_BUFFER];
};

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- client table by key ---- */

static uint32_t
key_hash(const struct server *s, const uint8_t key[DERP_KEY_LEN])
{
	uint8_t h[crypto_shorthash_BYTES];
	uint32_t v;

	/* Keyed SipHash: clients choose their keys, so bucket positions must be unpredictable. */
	crypto_shorthash(h, key, DERP_KEY_LEN, s->hash_key);
	memcpy(&v, h, sizeof(v));
	return v;
}

static struct conn *
table_find(const struct server *s, const uint8_t key[DERP_KEY_LEN])
{
	struct conn *c = s->table[key_hash(s, key) & s->table_mask];

	while (c != NULL && memcmp(c->key, key, DERP_KEY_LEN) != 0)
		c = c->hash_next;
	return c;
}

static void
table_remove(struct server *s, struct conn *c)
{
	struct conn **pp = &s->table[key_hash(s, c->key) & s->table_mask];

	while (*pp != NULL) {
		if (*pp == c) {
			*pp = c->hash_next;
			c->hash_next = NULL;
			s->connected--;
			return;
		}
		pp = &(*pp)->hash_next;
	}
}

static int
table_insert(struct server *s, struct conn *c)
{
	uint32_t bucket;

	if (s->connected + 1 > s->table_mask + 1) {
		uint32_t cap = (s->table_mask + 1) * 2;
		struct conn **grown = calloc(cap, sizeof(*grown));

		if (grown == NULL)
			return -1;
		for (uint32_t i = 0; i <= s->table_mask; i++) {
			struct conn *e = s->table[i];

			while (e != NULL) {
				struct conn *next = e->hash_next;
				uint32_t b = key_hash(s, e->key) & (cap - 1);

				e->hash_next = grown[b];
				grown[b] = e;
				e = next;
			}
		}
		free(s->table);
		s->table = grown;
		s->table_mask = cap - 1;
	}
	bucket = key_hash(s, c->key) & s->table_mask;
	c->hash_next = s->table[bucket];
	s->table[bucket] = c;
	s->connected++;
	return 0;
}

/* ---- sender sets ---- */

static uint32_t
sender_slot(const struct sender_set *set, const uint8_t key[DERP_KEY_LEN])
{
	uint32_t h;

	/* Keys are public keys of clients that proved they hold the private half: their bytes
	 * are uniformly distributed, so a plain slice of them spreads well. */
	memcpy(&h, key, sizeof(h));
	return h & (set->cap - 1);
}

static void
sender_set_add(struct server *s, struct sender_set *set, const uint8_t key[DERP_KEY_LEN])
{
	uint32_t i;

	if (set->count + 1 > set->cap / 2) {
		struct sender_set grown = {.cap = set->cap == 0 ? 8 : set->cap * 2};

		if (set->count >= SENDERS_MAX)
			return;
		grown.keys = calloc(grown.cap, DERP_KEY_LEN);
		if (grown.keys == NULL) {
			s->stats.drop_nomem++;
			return;
		}
		for (uint32_t j = 0; j < set->cap; j++) {
			if (sodium_is_zero(set->keys[j], DERP_KEY_LEN))
				continue;
			i = sender_slot(&grown, set->keys[j]);
			while (!sodium_is_zero(grown.keys[i], DERP_KEY_LEN))
				i = (i + 1) & (grown.cap - 1);
			memcpy(grown.keys[i], set->keys[j], DERP_KEY_LEN);
			grown.count++;
		}
		free(set->keys);
		*set = grown;
	}
	i = sender_slot(set, key);
	while (!sodium_is_zero(set->keys[i], DERP_KEY_LEN)) {
		if (memcmp(set->keys[i], key, DERP_KEY_LEN) == 0)
			return;
		i = (i + 1) & (set->cap - 1);
	}
	memcpy(set->keys[i], key, DERP_KEY_LEN);
	set->count++;
}

static void
sender_set_free(struct sender_set *set)
{
	free(set->keys);
	memset(set, 0, sizeof(*set));
}

/* ---- output ---- */

static void
mark_dirty(struct server *s, struct conn *c)
{
	if (c->dirty || c->closed)
		return;
	c->dirty = true;
	c->dirty_next = s->dirty;
	s->dirty = c;
}

/* Appends a control frame or HTTP text; false (and counted) when the control buffer is full. */
static bool
queue_control(struct server *s, struct conn *c, const void *data, size_t len)
{
	if (c->ctrl == NULL) {
		c->ctrl = malloc(CTRL_MAX);
		if (c->ctrl == NULL) {
			s->stats.drop_nomem++;
			return false;
		}
	}
	if (c->ctrl_len + len > CTRL_MAX) {
		s->stats.drop_control++;
		return false;
	}
	memcpy(c->ctrl + c->ctrl_len, data, len);
	c->ctrl_len += (uint32_t)len;
	mark_dirty(s, c);
	return true;
}

static int conn_flush(struct server *s, struct conn *c);

static void
queue_packet(struct server *s, struct conn *dst, struct queued_frame *f)
{
	if (dst->ring == NULL) {
		dst->ring = calloc(DERPER_QUEUE_PACKETS, sizeof(*dst->ring));
		if (dst->ring == NULL) {
			s->stats.drop_nomem++;
			free(f);
			return;
		}
	}
	if (dst->ring_count == DERPER_QUEUE_PACKETS && !dst->closed && dst->state == CONN_CONNECTED)
		/* Before dropping, write what the socket takes now: a reader that keeps up loses
		 * nothing to bursts. An error here is found again (and closes) in run_dirty. */
		conn_flush(s, dst);
	if (dst->ring_count == DERPER_QUEUE_PACKETS) {
		/* Still full: the oldest packet goes, the newest is kept (fresher for the peer). */
		free(dst->ring[dst->ring_head]);
		dst->ring[dst->ring_head] = NULL;
		dst->ring_head = (uint8_t)((dst->ring_head + 1) % DERPER_QUEUE_PACKETS);
		dst->ring_count--;
		s->stats.drop_queue_full++;
	}
	dst->ring[(dst->ring_head + dst->ring_count) % DERPER_QUEUE_PACKETS] = f;
	dst->ring_count++;
	mark_dirty(s, dst);
}

static bool
has_output(const struct conn *c)
{
	return c->wbuf_off < c->wbuf_len || c->ctrl_len > 0 || c->ring_count > 0;
}

/* Moves queued control frames, then packets, into the write buffer. */
static int
refill(struct conn *c)
{
	c->wbuf_off = c->wbuf_len = 0;
	if (c->ctrl_len == 0 && c->ring_count == 0)
		return 0;
	if (c->wbuf == NULL) {
		c->wbuf = malloc(WBUF_DEFAULT);
		if (c->wbuf == NULL)
			return -1;
		c->wbuf_cap = WBUF_DEFAULT;
	}
	if (c->ctrl_len > 0) {
		memcpy(c->wbuf, c->ctrl, c->ctrl_len);
		c->wbuf_len = c->ctrl_len;
		c->ctrl_len = 0;
	}
	while (c->ring_count > 0) {
		struct queued_frame *f = c->ring[c->ring_head];

		if (c->wbuf_len + f->len > c->wbuf_cap) {
			uint8_t *grown;

			if (c->wbuf_len > 0)
				break;
			/* A frame larger than the buffer: grow to fit it alone. */
			grown = realloc(c->wbuf, f->len);
			if (grown == NULL)
				return -1;
			c->wbuf = grown;
			c->wbuf_cap = f->len;
		}
		memcpy(c->wbuf + c->wbuf_len, f->data, f->len);
		c->wbuf_len += f->len;
		free(f);
		c->ring[c->ring_head] = NULL;
		c->ring_head = (uint8_t)((c->ring_head + 1) % DERPER_QUEUE_PACKETS);
		c->ring_count--;
	}
	return 0;
}

/* Writes until done or the socket is full; -1 on a TLS error. */
static int
conn_flush(struct server *s, struct conn *c)
{
	c->tls_wants_write = false;
	for (;;) {
		int n, err;

		if (c->wbuf_off == c->wbuf_len) {
			if (refill(c) < 0) {
				s->stats.drop_nomem++;
				return -1;
			}
			if (c->wbuf_len == 0)
				break;
		}
		ERR_clear_error();
		n = SSL_write(c->ssl, c->wbuf + c->wbuf_off, (int)(c->wbuf_len - c->wbuf_off));
		if (n > 0) {
			c->wbuf_off += (uint32_t)n;
			c->stall_since_ms = 0;
			continue;
		}
		err = SSL_get_error(c->ssl, n);
		if (err == SSL_ERROR_WANT_WRITE || err == SSL_ERROR_WANT_READ) {
			c->tls_wants_write = err == SSL_ERROR_WANT_WRITE;
			if (c->stall_since_ms == 0)
				c->stall_since_ms = s->now;
			return 0;
		}
		return -1;
	}
	c->stall_since_ms = 0;
	return 0;
}

static void
update_events(struct server *s, struct conn *c)
{
	uint32_t want;
	struct epoll_event ev;

	if (c->closed)
		return;
	if (c->state == CONN_TLS)
		want = c->tls_wants_write ? EPOLLOUT : EPOLLIN;
	else
		want = EPOLLIN | (has_output(c) || c->tls_wants_write ? EPOLLOUT : 0);
	if (want == c->registered)
		return;
	ev.events = want;
	ev.data.ptr = c;
	if (epoll_ctl(s->epfd, EPOLL_CTL_MOD, c->fd, &ev) == 0)
		c->registered = want;
}

/* ---- connection lifetime ---- */

static void
conn_close(struct server *s, struct conn *c, const char *reason)
{
	char short_key[9];

	if (c->closed)
		return;
	c->closed = true;
	s->stats.closed++;
	if (c->state == CONN_CONNECTED) {
		derper_key_short(c->key, short_key);
		log_debug("client %s: closed: %s", short_key, reason);
		if (table_find(s, c->key) == c) {
			table_remove(s, c);
			/* Everyone who sent to this client learns it is gone. */
			for (uint32_t i = 0; i < c->senders.cap; i++) {
				struct conn *peer;
				uint8_t frame[DERP_FRAME_HEADER_LEN + DERP_KEY_LEN + 1];
				size_t n;

				if (sodium_is_zero(c->senders.keys[i], DERP_KEY_LEN))
					continue;
				peer = table_find(s, c->senders.keys[i]);
				if (peer == NULL || peer == c)
					continue;
				n = derp_build_peer_gone(frame, sizeof(frame), c->key,
							 DERP_PEER_GONE_DISCONNECTED);
				if (queue_control(s, peer, frame, n))
					s->stats.peer_gone_sent++;
			}
		}
	} else {
		log_debug("connection in state %u closed: %s", c->state, reason);
	}
	SSL_free(c->ssl);
	c->ssl = NULL;
	close(c->fd);
	c->fd = -1;
	derp_reader_free(&c->reader);
	free(c->http);
	c->http = NULL;
	free(c->ctrl);
	c->ctrl = NULL;
	c->ctrl_len = 0;
	if (c->ring != NULL) {
		for (uint32_t i = 0; i < c->ring_count; i++)
			free(c->ring[(c->ring_head + i) % DERPER_QUEUE_PACKETS]);
		free(c->ring);
		c->ring = NULL;
		c->ring_count = 0;
	}
	free(c->wbuf);
	c->wbuf = NULL;
	c->wbuf_len = c->wbuf_off = 0;
	sender_set_free(&c->senders);
	/* Out of the sweep array now; freed after the current batch of events. */
	s->all[c->index] = s->all[s->all_count - 1];
	s->all[c->index]->index = c->index;
	s->all_count--;
	c->free_next = s->to_free;
	s->to_free = c;
}

static void
accept_clients(struct server *s, int lfd)
{
	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC), one = 1;
		struct epoll_event ev;
		struct conn *c;

		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
				log_warn("accept4: %s", strerror(errno));
			return;
		}
		if (s->all_count >= s->cfg->max_clients) {
			s->stats.refused_max_clients++;
			close(fd);
			continue;
		}
		if (s->all_count == s->all_cap) {
			uint32_t cap = s->all_cap == 0 ? 1024 : s->all_cap * 2;
			struct conn **grown = realloc(s->all, cap * sizeof(*grown));

			if (grown == NULL) {
				s->stats.drop_nomem++;
				close(fd);
				continue;
			}
			s->all = grown;
			s->all_cap = cap;
		}
		c = calloc(1, sizeof(*c));
		if (c == NULL || (c->ssl = SSL_new(s->tls)) == NULL || SSL_set_fd(c->ssl, fd) != 1) {
			if (c != NULL)
				SSL_free(c->ssl);
			free(c);
			close(fd);
			s->stats.drop_nomem++;
			continue;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		SSL_set_accept_state(c->ssl);
		c->fd = fd;
		c->state = CONN_TLS;
		c->serial = ++s->next_serial;
		c->deadline_ms = s->now + s->cfg->login_timeout_ms;
		derp_reader_init(&c->reader, DERP_CLIENT_INFO_MAX);
		ev.events = EPOLLIN;
		ev.data.ptr = c;
		if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
			log_warn("epoll_ctl add: %s", strerror(errno));
			SSL_free(c->ssl);
			free(c);
			close(fd);
			continue;
		}
		c->registered = EPOLLIN;
		c->index = s->all_count;
		s->all[s->all_count++] = c;
		s->stats.accepted++;
	}
}

/* ---- login ---- */

static int
finish_login(struct server *s, struct conn *c, const struct derp_frame *f)
{
	struct derp_server_info info = {.version = DERP_PROTOCOL_VERSION,
					.token_bucket_bytes_per_second = (int64_t)s->cfg->rate,
					.token_bucket_bytes_burst = (int64_t)s->cfg->burst};
	uint8_t frame[DERP_SERVER_INFO_FRAME_MAX];
	struct derp_client_info ci;
	struct conn *old;
	char short_key[9];
	const char *why;
	size_t n;
	int rc;

	rc = derp_open_client_info(f, s->private_key, c->key, &ci, &why);
	if (rc != DERP_LOGIN_OK) {
		s->stats.login_failures++;
		log_debug("login refused: %s", why);
		return -1;
	}
	n = derp_build_server_info(frame, sizeof(frame), s->private_key, c->key, &info);
	if (n == 0 || !queue_control(s, c, frame, n))
		return -1;
	old = table_find(s, c->key);
	if (old != NULL) {
		/* The newer connection wins; it inherits who sent to the key, and the peers are
		 * not told the key left. */
		struct sender_set tmp = c->senders;

		c->senders = old->senders;
		old->senders = tmp;
		table_remove(s, old);
		s->stats.replaced++;
		conn_close(s, old, "replaced by a newer connection");
	}
	if (table_insert(s, c) < 0) {
		s->stats.drop_nomem++;
		return -1;
	}
	c->state = CONN_CONNECTED;
	c->deadline_ms = 0;
	c->reader.max_length = DERP_MAX_FRAME_LEN;
	c->tokens = (int64_t)s->cfg->burst;
	c->tokens_ms = s->now;
	c->gone_tokens = PEER_GONE_BURST;
	c->gone_ms = s->now;
	c->next_keepalive_ms = s->now + s->cfg->keepalive_ms +
			       randombytes_uniform(s->cfg->keepalive_jitter_ms + 1);
	s->stats.logins++;
	derper_key_short(c->key, short_key);
	log_debug("client %s: logged in%s", short_key, ci.is_prober ? " (prober)" : "");
	return 0;
}

/* ---- relaying ---- */

static bool
rate_allows(struct server *s, struct conn *c, size_t cost)
{
	if (s->cfg->rate == 0)
		return true;
	if (s->now > c->tokens_ms) {
		int64_t refill = (int64_t)s->cfg->rate * (int64_t)(s->now - c->tokens_ms) / 1000;

		if (refill > 0) {
			c->tokens += refill;
			if (c->tokens > (int64_t)s->cfg->burst)
				c->tokens = (int64_t)s->cfg->burst;
			c->tokens_ms = s->now;
		}
	}
	if (c->tokens < (int64_t)cost)
		return false;
	c->tokens -= (int64_t)cost;
	return true;
}

static void
note_rate_drop(struct server *s, struct conn *c)
{
	static const char text[] = "rate limit exceeded: packets dropped";
	uint8_t frame[DERP_FRAME_HEADER_LEN + sizeof(text)];
	size_t n;

	s->stats.drop_rate_limited++;
	c->last_drop_ms = s->now;
	if (c->health_sent)
		return;
	n = derp_build_health(frame, sizeof(frame), text);
	c->health_sent = queue_control(s, c, frame, n);
}

static void
peer_not_here(struct server *s, struct conn *c, const uint8_t dst[DERP_KEY_LEN])
{
	uint8_t frame[DERP_FRAME_HEADER_LEN + DERP_KEY_LEN + 1];
	size_t n;

	s->stats.drop_unknown_dest++;
	if (s->now > c->gone_ms) {
		uint64_t refill = (s->now - c->gone_ms) * PEER_GONE_PER_SECOND / 1000;

		if (refill > 0) {
			c->gone_tokens = (uint32_t)(c->gone_tokens + refill > PEER_GONE_BURST
							    ? PEER_GONE_BURST
							    : c->gone_tokens + refill);
			c->gone_ms = s->now;
		}
	}
	if (c->gone_tokens == 0)
		return;
	c->gone_tokens--;
	n = derp_build_peer_gone(frame, sizeof(frame), dst, DERP_PEER_GONE_NOT_HERE);
	if (queue_control(s, c, frame, n))
		s->stats.peer_gone_sent++;
}

static void
forward(struct server *s, struct conn *src, const struct derp_packet_view *v)
{
	size_t frame_len = DERP_FRAME_HEADER_LEN + DERP_KEY_LEN + v->packet_len;
	struct queued_frame *f;
	struct conn *dst;

	if (!rate_allows(s, src, frame_len)) {
		note_rate_drop(s, src);
		return;
	}
	dst = table_find(s, v->key);
	if (dst == NULL) {
		peer_not_here(s, src, v->key);
		return;
	}
	f = malloc(sizeof(*f) + frame_len);
	if (f == NULL) {
		s->stats.drop_nomem++;
		return;
	}
	f->len = (uint32_t)derp_build_recv_packet(f->data, frame_len, src->key, v->packet,
						  v->packet_len);
	if (src->last_dst != dst || src->last_dst_serial != dst->serial) {
		sender_set_add(s, &dst->senders, src->key);
		src->last_dst = dst;
		src->last_dst_serial = dst->serial;
	}
	s->stats.packets_forwarded++;
	s->stats.bytes_forwarded += v->packet_len;
	queue_packet(s, dst, f);
}

static int
connected_frame(struct server *s, struct conn *c, const struct derp_frame *f)
{
	if (f->length < derp_frame_min_length(f->type)) {
		log_debug("frame %s shorter than its type requires (%u bytes)",
			  derp_frame_type_name(f->type), f->length);
		return -1;
	}
	switch (f->type) {
	case DERP_FRAME_SEND_PACKET: {
		struct derp_packet_view v;

		if (derp_parse_packet(f, &v) < 0)
			return -1;
		forward(s, c, &v);
		return 0;
	}
	case DERP_FRAME_PING: {
		uint8_t data[DERP_PING_LEN], frame[DERP_FRAME_HEADER_LEN + DERP_PING_LEN];

		derp_parse_ping(f, data);
		derp_build_pong(frame, sizeof(frame), data);
		if (queue_control(s, c, frame, sizeof(frame)))
			s->stats.pongs_sent++;
		return 0;
	}
	case DERP_FRAME_NOTE_PREFERRED:
		derp_parse_note_preferred(f, &c->preferred);
		return 0;
	case DERP_FRAME_PONG:
	case DERP_FRAME_KEEP_ALIVE:
		return 0;
	case DERP_FRAME_CLIENT_INFO:
	case DERP_FRAME_FORWARD_PACKET:
	case DERP_FRAME_WATCH_CONNS:
	case DERP_FRAME_CLOSE_PEER:
		/* Logged in twice, or mesh frames from a client that is not a mesh peer. */
		log_debug("frame %s not allowed here", derp_frame_type_name(f->type));
		return -1;
	default:
		s->stats.unknown_frames++;
		return 0;
	}
}

static int
consume_frames(struct server *s, struct conn *c, const uint8_t *data, size_t len)
{
	while (len > 0 && !c->closed) {
		struct derp_frame f;
		enum derp_read_result r = derp_reader_next(&c->reader, &data, &len, &f);

		if (r == DERP_READ_MORE)
			return 0;
		if (r != DERP_READ_FRAME) {
			log_debug("frame length over the limit");
			return -1;
		}
		if (c->state == CONN_LOGIN) {
			if (f.type != DERP_FRAME_CLIENT_INFO || finish_login(s, c, &f) < 0)
				return -1;
		} else if (connected_frame(s, c, &f) < 0) {
			return -1;
		}
	}
	return 0;
}

static int
http_bytes(struct server *s, struct conn *c, const uint8_t *data, size_t len)
{
	struct derp_http_request req;
	enum derp_http_result r;
	char head[512];
	int n;

	if (c->http == NULL) {
		c->http = malloc(DERP_HTTP_HEAD_MAX);
		if (c->http == NULL)
			return -1;
	}
	if (len > DERP_HTTP_HEAD_MAX - c->http_len)
		len = DERP_HTTP_HEAD_MAX - c->http_len;
	memcpy(c->http + c->http_len, data, len);
	c->http_len += (uint32_t)len;
	r = derp_http_parse_request(c->http, c->http_len, &req);
	if (r == DERP_HTTP_INCOMPLETE)
		return 0;
	if (r != DERP_HTTP_DONE) {
		log_debug("bad HTTP request");
		return -1;
	}
	if (req.route != DERP_ROUTE_DERP) {
		n = derp_http_build_answer(head, sizeof(head), &req);
		if (n < 0 || !queue_control(s, c, head, (size_t)n))
			return -1;
		s->stats.http_answers++;
		c->state = CONN_ANSWER;
	} else {
		uint8_t frame[DERP_FRAME_HEADER_LEN + DERP_SERVER_KEY_LEN];

		if (!req.fast_start) {
			n = derp_http_build_switching(head, sizeof(head), s->public_key);
			if (n < 0 || !queue_control(s, c, head, (size_t)n))
				return -1;
		}
		derp_build_server_key(frame, sizeof(frame), s->public_key);
		if (!queue_control(s, c, frame, sizeof(frame)))
			return -1;
		c->state = CONN_LOGIN;
		c->deadline_ms = s->now + s->cfg->login_timeout_ms;
		/* Bytes after the head (a pipelining client) are DERP frames. */
		if (c->http_len > req.head_len &&
		    consume_frames(s, c, c->http + req.head_len, c->http_len - req.head_len) < 0) {
			return -1;
		}
	}
	free(c->http);
	c->http = NULL;
	c->http_len = 0;
	return 0;
}

static void
conn_read(struct server *s, struct conn *c)
{
	c->read_pending = false;
	for (int i = 0; i < READS_PER_EVENT && !c->closed; i++) {
		int n, err, rc;

		ERR_clear_error();
		n = SSL_read(c->ssl, s->readbuf, sizeof(s->readbuf));
		if (n <= 0) {
			err = SSL_get_error(c->ssl, n);
			if (err == SSL_ERROR_WANT_READ)
				return;
			if (err == SSL_ERROR_WANT_WRITE) {
				c->tls_wants_write = true;
				return;
			}
			conn_close(s, c, err == SSL_ERROR_ZERO_RETURN ? "closed by client"
								      : "read error");
			return;
		}
		switch (c->state) {
		case CONN_HTTP:
			rc = http_bytes(s, c, s->readbuf, (size_t)n);
			break;
		case CONN_LOGIN:
		case CONN_CONNECTED:
			rc = consume_frames(s, c, s->readbuf, (size_t)n);
			break;
		default:
			/* An HTTP client that keeps talking after its answer: ignored. */
			rc = 0;
			break;
		}
		if (rc < 0) {
			s->stats.protocol_errors++;
			conn_close(s, c, "protocol error");
			return;
		}
	}
	if (!c->closed && SSL_has_pending(c->ssl)) {
		c->read_pending = true;
		c->pending_next = s->pending;
		s->pending = c;
	}
}

static void
conn_handshake(struct server *s, struct conn *c)
{
	int rc, err;

	ERR_clear_error();
	rc = SSL_do_handshake(c->ssl);
	if (rc == 1) {
		c->state = CONN_HTTP;
		c->tls_wants_write = false;
		conn_read(s, c);
		return;
	}
	err = SSL_get_error(c->ssl, rc);
	if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
		c->tls_wants_write = err == SSL_ERROR_WANT_WRITE;
		return;
	}
	s->stats.tls_failures++;
	conn_close(s, c, "TLS handshake failed");
}

static void
conn_event(struct server *s, struct conn *c, uint32_t events)
{
	if (c->closed)
		return;
	if (c->state == CONN_TLS) {
		conn_handshake(s, c);
	} else {
		if ((events & EPOLLOUT) && conn_flush(s, c) < 0) {
			conn_close(s, c, "write error");
			return;
		}
		if (c->state == CONN_ANSWER && !has_output(c)) {
			conn_close(s, c, "HTTP answer sent");
			return;
		}
		if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
			conn_read(s, c);
	}
	if (!c->closed && has_output(c))
		mark_dirty(s, c);
	update_events(s, c);
}

/* ---- timers ---- */

static void
sweep(struct server *s)
{
	uint8_t keepalive[DERP_FRAME_HEADER_LEN];

	derp_build_keep_alive(keepalive, sizeof(keepalive));
	for (uint32_t i = 0; i < s->all_count;) {
		struct conn *c = s->all[i];

		if (c->deadline_ms != 0 && s->now >= c->deadline_ms) {
			s->stats.timeouts_login++;
			conn_close(s, c, "login step deadline");
			continue; /* the last connection moved into slot i */
		}
		if (c->stall_since_ms != 0 && s->now - c->stall_since_ms >= s->cfg->write_timeout_ms) {
			struct linger abort_close = {.l_onoff = 1, .l_linger = 0};

			/* Reset rather than close: a FIN would wait forever behind the unread data
			 * and the kernel would keep the socket's buffers. */
			setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &abort_close, sizeof(abort_close));
			s->stats.timeouts_write++;
			conn_close(s, c, "write stalled");
			continue;
		}
		if (c->state == CONN_CONNECTED) {
			if (s->now >= c->next_keepalive_ms) {
				if (queue_control(s, c, keepalive, sizeof(keepalive)))
					s->stats.keepalives_sent++;
				c->next_keepalive_ms = s->now + s->cfg->keepalive_ms +
						       randombytes_uniform(
							       s->cfg->keepalive_jitter_ms + 1);
			}
			if (c->health_sent && s->now - c->last_drop_ms >= HEALTH_CLEAR_MS) {
				uint8_t healthy[DERP_FRAME_HEADER_LEN];

				derp_build_health(healthy, sizeof(healthy), "");
				c->health_sent = !queue_control(s, c, healthy, sizeof(healthy));
			}
		}
		/* Idle connections give their buffers back. */
		derp_reader_trim(&c->reader);
		if (c->wbuf != NULL && c->wbuf_off == c->wbuf_len && !c->dirty) {
			free(c->wbuf);
			c->wbuf = NULL;
			c->wbuf_cap = c->wbuf_off = c->wbuf_len = 0;
		}
		if (c->ring != NULL && c->ring_count == 0) {
			free(c->ring);
			c->ring = NULL;
			c->ring_head = 0;
		}
		if (c->ctrl != NULL && c->ctrl_len == 0) {
			free(c->ctrl);
			c->ctrl = NULL;
		}
		i++;
	}
}

static void
log_stats(struct server *s)
{
	const struct stats *st = &s->stats;

	log_info("stats: connections=%u clients=%u accepted=%llu refused_max_clients=%llu "
		 "logins=%llu login_failures=%llu closed=%llu replaced=%llu tls_failures=%llu "
		 "http_answers=%llu timeouts_login=%llu timeouts_write=%llu protocol_errors=%llu "
		 "packets_forwarded=%llu bytes_forwarded=%llu drop_unknown_dest=%llu "
		 "drop_queue_full=%llu drop_rate_limited=%llu drop_control=%llu drop_nomem=%llu "
		 "peer_gone_sent=%llu keepalives_sent=%llu pongs_sent=%llu unknown_frames=%llu "
		 "stun_answered=%llu stun_dropped=%llu",
		 s->all_count, s->connected, (unsigned long long)st->accepted,
		 (unsigned long long)st->refused_max_clients, (unsigned long long)st->logins,
		 (unsigned long long)st->login_failures, (unsigned long long)st->closed,
		 (unsigned long long)st->replaced, (unsigned long long)st->tls_failures,
		 (unsigned long long)st->http_answers, (unsigned long long)st->timeouts_login,
		 (unsigned long long)st->timeouts_write, (unsigned long long)st->protocol_errors,
		 (unsigned long long)st->packets_forwarded, (unsigned long long)st->bytes_forwarded,
		 (unsigned long long)st->drop_unknown_dest, (unsigned long long)st->drop_queue_full,
		 (unsigned long long)st->drop_rate_limited, (unsigned long long)st->drop_control,
		 (unsigned long long)st->drop_nomem, (unsigned long long)st->peer_gone_sent,
		 (unsigned long long)st->keepalives_sent, (unsigned long long)st->pongs_sent,
		 (unsigned long long)st->unknown_frames,
		 (unsigned long long)(s->stun != NULL ? derper_stun_answered(s->stun) : 0),
		 (unsigned long long)(s->stun != NULL ? derper_stun_dropped(s->stun) : 0));
}

static void
signal_event(struct server *s)
{
	struct signalfd_siginfo si;

	while (read(s->sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGUSR1)
			log_stats(s);
		else
			s->stop = true;
	}
}

/* Tells every client to come back shortly, then writes what can be written at once. */
static void
announce_restart(struct server *s)
{
	uint8_t frame[DERP_FRAME_HEADER_LEN + DERP_RESTARTING_LEN];

	derp_build_restarting(frame, sizeof(frame), RESTART_RECONNECT_MS, RESTART_TRY_FOR_MS);
	for (uint32_t i = 0; i < s->all_count; i++) {
		struct conn *c = s->all[i];

		if (c->state == CONN_CONNECTED && queue_control(s, c, frame, sizeof(frame)))
			conn_flush(s, c);
	}
}

static int
open_listener(struct server *s, const struct netendpoint *at, bool v6only)
{
	struct sockaddr_storage ss;
	socklen_t len = netendpoint_to_sockaddr(at, &ss);
	struct epoll_event ev = {.events = EPOLLIN};
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1;
	int zero = 0;
	char text[NETADDR_TEXT_MAX];

	if (fd < 0) {
		log_warn("listen: socket: %s", strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, v6only ? &one : &zero, sizeof(int));
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 4096) < 0) {
		log_warn("listen %s: %s", netendpoint_format(at, text, sizeof(text)),
			 strerror(errno));
		close(fd);
		return -1;
	}
	ev.data.u64 = TAG_LISTEN + s->listen_count;
	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		close(fd);
		return -1;
	}
	s->listen_fds[s->listen_count++] = fd;
	log_info("listening on %s", netendpoint_format(at, text, sizeof(text)));
	return 0;
}

static int
setup(struct server *s)
{
	sigset_t mask;
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = TAG_SIGNAL};

	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (s->epfd < 0) {
		log_warn("epoll_create1: %s", strerror(errno));
		return -1;
	}
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGUSR1);
	s->sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (s->sigfd < 0 || epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->sigfd, &ev) < 0) {
		log_warn("signalfd: %s", strerror(errno));
		return -1;
	}
	if (s->cfg->listen_any) {
		struct netendpoint any = {.addr.family = AF_INET6, .port = s->cfg->listen.port};

		/* One dual-stack socket; IPv4-only hosts fall back to 0.0.0.0. */
		if (open_listener(s, &any, false) < 0) {
			any.addr.family = AF_INET;
			if (open_listener(s, &any, false) < 0)
				return -1;
		}
	} else if (open_listener(s, &s->cfg->listen, true) < 0) {
		return -1;
	}
	if (s->stun != NULL && derper_stun_register(s->stun, s->epfd, TAG_STUN) < 0)
		return -1;
	s->table = calloc(1024, sizeof(*s->table));
	if (s->table == NULL)
		return -1;
	s->table_mask = 1023;
	crypto_shorthash_keygen(s->hash_key);
	return 0;
}

static void
free_closed(struct server *s)
{
	while (s->to_free != NULL) {
		struct conn *c = s->to_free;

		s->to_free = c->free_next;
		free(c);
	}
}

static void
run_dirty(struct server *s)
{
	while (s->dirty != NULL) {
		struct conn *c = s->dirty;

		s->dirty = c->dirty_next;
		c->dirty = false;
		if (c->closed || c->state == CONN_TLS)
			continue;
		if (conn_flush(s, c) < 0) {
			conn_close(s, c, "write error");
			continue;
		}
		if (c->state == CONN_ANSWER && !has_output(c)) {
			conn_close(s, c, "HTTP answer sent");
			continue;
		}
		update_events(s, c);
	}
}

static void
teardown(struct server *s)
{
	while (s->all_count > 0)
		conn_close(s, s->all[0], "server exiting");
	free_closed(s);
	for (unsigned int i = 0; i < s->listen_count; i++)
		close(s->listen_fds[i]);
	if (s->sigfd >= 0)
		close(s->sigfd);
	if (s->epfd >= 0)
		close(s->epfd);
	free(s->all);
	free(s->table);
}

int
derper_run(const struct derper_config *cfg, SSL_CTX *tls, const uint8_t private_key[DERP_KEY_LEN],
	   const uint8_t public_key[DERP_KEY_LEN], struct derper_stun *stun)
{
	struct epoll_event events[EVENTS_BATCH];
	struct server *s = calloc(1, sizeof(*s));
	uint64_t next_sweep;
	char short_key[9];
	int rc = -1;

	if (s == NULL) {
		log_warn("derper: calloc: %s", strerror(errno));
		return -1;
	}
	s->cfg = cfg;
	s->tls = tls;
	s->stun = stun;
	s->epfd = s->sigfd = -1;
	memcpy(s->private_key, private_key, DERP_KEY_LEN);
	memcpy(s->public_key, public_key, DERP_KEY_LEN);
	if (setup(s) < 0)
		goto out;
	derper_key_short(public_key, short_key);
	log_info("relay key %s..., ready", short_key);
	s->now = now_ms();
	next_sweep = s->now + SWEEP_MS;
	while (!s->stop) {
		int timeout = s->pending != NULL ? 0
			      : next_sweep > s->now ? (int)(next_sweep - s->now)
						    : 0;
		int n = epoll_wait(s->epfd, events, EVENTS_BATCH, timeout);

		if (n < 0 && errno != EINTR) {
			log_warn("epoll_wait: %s", strerror(errno));
			break;
		}
		s->now = now_ms();
		for (int i = 0; i < n; i++) {
			uint64_t tag = events[i].data.u64;

			if (tag < TAG_MAX) {
				if (tag >= TAG_STUN)
					derper_stun_dispatch(s->stun, (unsigned int)(tag - TAG_STUN));
				else if (tag == TAG_SIGNAL)
					signal_event(s);
				else
					accept_clients(s, s->listen_fds[tag - TAG_LISTEN]);
				continue;
			}
			conn_event(s, events[i].data.ptr, events[i].events);
		}
		if (s->pending != NULL) {
			struct conn *c = s->pending;

			/* Connections that stopped with TLS data buffered read on; any that stop
			 * again go on a new list for the next turn. */
			s->pending = NULL;
			while (c != NULL) {
				struct conn *next = c->pending_next;

				if (!c->closed && c->read_pending)
					conn_event(s, c, EPOLLIN);
				c = next;
			}
		}
		if (s->now >= next_sweep) {
			sweep(s);
			next_sweep = s->now + SWEEP_MS;
		}
		/* Handshakes are the peak of a connection's memory; after a wave of them (or of
		 * closes) the heap is full of free holes: give them back to the kernel so the
		 * resident size follows the connections that remain. */
		if (s->now >= s->next_trim &&
		    (s->stats.logins != s->logins_at_trim || s->stats.closed != s->closed_at_trim)) {
			malloc_trim(0);
			s->logins_at_trim = s->stats.logins;
			s->closed_at_trim = s->stats.closed;
			s->next_trim = s->now + TRIM_MS;
		}
		run_dirty(s);
		free_closed(s);
	}
	log_info("shutting down: telling %u clients to reconnect", s->connected);
	announce_restart(s);
	log_stats(s);
	rc = 0;
out:
	teardown(s);
	sodium_memzero(s->private_key, DERP_KEY_LEN);
	free(s);
	return rc;
}
