/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Concurrency: a client belongs to the control plane's single epoll thread; nothing here is
 * shared or locked. Every socket and TLS call is non-blocking; progress is driven by dispatch.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sodium.h>

#include "derp_client.h"
#include "derp_http.h"
#include "derp_login.h"
#include "derp_tls.h"
#include "log.h"

enum {
	IN_BUFFER = 16 << 10,     /* one TLS record's plaintext */
	READS_PER_DISPATCH = 64,  /* then yield to the loop, with a zero deadline */
	HOST_TEXT_MAX = 256,
	ADDR_MAX = 2,
};

struct derp_client {
	char host_name[HOST_TEXT_MAX];
	bool host_is_ip;
	bool pinned;
	uint8_t pin[DERP_PIN_DIGEST_LEN];
	struct sockaddr_storage addrs[ADDR_MAX];
	socklen_t addr_lens[ADDR_MAX];
	unsigned int addr_count;
	unsigned int next_addr;
	uint8_t private_key[DERP_KEY_LEN];
	uint8_t public_key[DERP_KEY_LEN];
	uint8_t server_key[DERP_KEY_LEN];
	bool header_key_known;
	uint8_t header_key[DERP_KEY_LEN];
	bool preferred;
	bool is_prober;
	uint32_t connect_timeout_ms;
	uint32_t backoff_min_ms;
	uint32_t backoff_max_ms;
	uint32_t keepalive_ms;
	derp_client_packet_fn on_packet;
	derp_client_event_fn on_event;
	void *ctx;

	SSL_CTX *ssl_ctx;
	SSL *ssl;
	int fd;
	uint64_t generation;
	enum derp_client_state state;
	bool tls_wants_write; /* the last TLS call asked for writability */
	bool read_pending;    /* stopped reading with data possibly buffered */
	const char *fail_reason;

	uint64_t attempt_deadline;
	uint64_t retry_at;
	uint32_t failures;
	uint64_t last_rx_ms;
	uint64_t restart_until;
	uint32_t restart_reconnect_ms;

	uint8_t *out;
	size_t out_off;
	size_t out_len;
	uint8_t *in;
	size_t in_len;
	struct derp_reader reader;

	int64_t tb_rate;
	int64_t tb_burst;
	int64_t tb_tokens;
	uint64_t tb_last_ms;

	char health[DERP_HEALTH_MAX + 1];
	struct derp_client_stats stats;
};

uint64_t
derp_client_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

const char *
derp_client_state_name(enum derp_client_state state)
{
	switch (state) {
	case DERP_CLIENT_IDLE:
		return "idle";
	case DERP_CLIENT_BACKOFF:
		return "backoff";
	case DERP_CLIENT_CONNECTING:
		return "connecting";
	case DERP_CLIENT_TLS:
		return "tls";
	case DERP_CLIENT_UPGRADE:
		return "upgrade";
	case DERP_CLIENT_LOGIN:
		return "login";
	case DERP_CLIENT_CONNECTED:
		return "connected";
	}
	return "unknown";
}

static const char *
tls_error_text(void)
{
	static char buf[256];
	unsigned long e = ERR_get_error();

	if (e == 0)
		return errno != 0 ? strerror(errno) : "connection closed";
	ERR_error_string_n(e, buf, sizeof(buf));
	ERR_clear_error();
	return buf;
}

static int
add_address(struct derp_client *c, const char *text, int family, uint16_t port)
{
	struct sockaddr_storage *ss = &c->addrs[c->addr_count];

	if (text == NULL || text[0] == '\0' || strcmp(text, "none") == 0)
		return 0;
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		if (inet_pton(AF_INET, text, &sin->sin_addr) != 1)
			return -1;
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		c->addr_lens[c->addr_count] = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		if (inet_pton(AF_INET6, text, &sin6->sin6_addr) != 1)
			return -1;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		c->addr_lens[c->addr_count] = sizeof(*sin6);
	}
	c->addr_count++;
	return 0;
}

static int
setup_tls_context(struct derp_client *c, const char *cert_name, const char *ca_file)
{
	int pin = derp_pin_parse(cert_name, c->pin);

	if (pin < 0) {
		log_warn("derp client %s: cert_name: malformed pin", c->host_name);
		return -1;
	}
	c->pinned = pin == 1;
	c->ssl_ctx = SSL_CTX_new(TLS_client_method());
	if (c->ssl_ctx == NULL) {
		log_warn("derp client %s: SSL_CTX_new: %s", c->host_name, tls_error_text());
		return -1;
	}
	SSL_CTX_set_min_proto_version(c->ssl_ctx, TLS1_2_VERSION);
	SSL_CTX_set_mode(c->ssl_ctx,
			 SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	if (c->pinned) {
		/* The pin replaces the chain: the certificate is checked after the handshake. */
		SSL_CTX_set_verify(c->ssl_ctx, SSL_VERIFY_NONE, NULL);
		return 0;
	}
	SSL_CTX_set_verify(c->ssl_ctx, SSL_VERIFY_PEER, NULL);
	if ((ca_file != NULL ? SSL_CTX_load_verify_locations(c->ssl_ctx, ca_file, NULL)
			     : SSL_CTX_set_default_verify_paths(c->ssl_ctx)) != 1) {
		log_warn("derp client %s: loading CA certificates: %s", c->host_name,
			 tls_error_text());
		return -1;
	}
	return 0;
}

struct derp_client *
derp_client_new(const struct derp_client_config *config)
{
	struct derp_client *c;
	uint16_t port = config->port != 0 ? config->port : 443;
	struct in6_addr probe;

	if (config->host_name == NULL || config->host_name[0] == '\0' ||
	    strlen(config->host_name) >= HOST_TEXT_MAX ||
	    strpbrk(config->host_name, "\r\n ") != NULL) {
		log_warn("derp client: host_name: missing or malformed");
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		log_warn("derp client: calloc: %s", strerror(errno));
		return NULL;
	}
	c->fd = -1;
	strcpy(c->host_name, config->host_name);
	c->host_is_ip = inet_pton(AF_INET, c->host_name, &probe) == 1 ||
			inet_pton(AF_INET6, c->host_name, &probe) == 1;
	if (add_address(c, config->ipv4, AF_INET, port) < 0 ||
	    add_address(c, config->ipv6, AF_INET6, port) < 0) {
		log_warn("derp client %s: ipv4/ipv6: not an address literal", c->host_name);
		goto fail;
	}
	if (c->addr_count == 0) {
		/* Resolving host_name would block the loop; see derp_client.h. */
		log_warn("derp client %s: no ipv4/ipv6 address literal (names are not resolved "
			 "in the event loop)", c->host_name);
		goto fail;
	}
	if (setup_tls_context(c, config->cert_name, config->ca_file) < 0)
		goto fail;
	memcpy(c->private_key, config->private_key, DERP_KEY_LEN);
	crypto_scalarmult_base(c->public_key, c->private_key);
	c->preferred = config->preferred;
	c->is_prober = config->is_prober;
	c->connect_timeout_ms = config->connect_timeout_ms != 0 ? config->connect_timeout_ms
								: DERP_CLIENT_CONNECT_TIMEOUT_MS;
	c->backoff_min_ms = config->backoff_min_ms != 0 ? config->backoff_min_ms
							: DERP_CLIENT_BACKOFF_MIN_MS;
	c->backoff_max_ms = config->backoff_max_ms != 0 ? config->backoff_max_ms
							: DERP_CLIENT_BACKOFF_MAX_MS;
	if (c->backoff_max_ms < c->backoff_min_ms)
		c->backoff_max_ms = c->backoff_min_ms;
	c->keepalive_ms = config->keepalive_ms != 0 ? config->keepalive_ms
						    : DERP_CLIENT_KEEPALIVE_MS;
	c->on_packet = config->on_packet;
	c->on_event = config->on_event;
	c->ctx = config->ctx;
	c->state = DERP_CLIENT_IDLE;
	derp_reader_init(&c->reader, DERP_MAX_FRAME_LEN);
	return c;
fail:
	SSL_CTX_free(c->ssl_ctx);
	sodium_memzero(c, sizeof(*c));
	free(c);
	return NULL;
}

/* Releases the connection's socket, TLS state and buffers. */
static void
teardown(struct derp_client *c)
{
	if (c->ssl != NULL) {
		SSL_free(c->ssl);
		c->ssl = NULL;
	}
	if (c->fd >= 0) {
		close(c->fd);
		c->fd = -1;
	}
	free(c->out);
	c->out = NULL;
	c->out_off = c->out_len = 0;
	free(c->in);
	c->in = NULL;
	c->in_len = 0;
	derp_reader_free(&c->reader);
	derp_reader_init(&c->reader, DERP_MAX_FRAME_LEN);
	c->tls_wants_write = false;
	c->read_pending = false;
	c->header_key_known = false;
	c->tb_rate = 0;
}

void
derp_client_free(struct derp_client *c)
{
	if (c == NULL)
		return;
	teardown(c);
	SSL_CTX_free(c->ssl_ctx);
	sodium_memzero(c, sizeof(*c));
	free(c);
}

static void
emit(struct derp_client *c, const struct derp_client_event *ev)
{
	if (c->on_event != NULL)
		c->on_event(c->ctx, ev);
}

/* Jittered exponential back-off: a delay drawn from [base/2, base]. */
static uint64_t
backoff_delay(struct derp_client *c)
{
	uint64_t base = c->backoff_min_ms;

	for (uint32_t i = 1; i < c->failures && base < c->backoff_max_ms; i++)
		base *= 2;
	if (base > c->backoff_max_ms)
		base = c->backoff_max_ms;
	return base / 2 + randombytes_uniform((uint32_t)(base / 2 + 1));
}

static void
fail(struct derp_client *c, uint64_t now, const char *reason)
{
	bool was_connected = c->state == DERP_CLIENT_CONNECTED;

	teardown(c);
	if (was_connected) {
		struct derp_client_event ev = {.type = DERP_CLIENT_EV_DISCONNECTED,
					       .detail = reason};

		c->stats.disconnects++;
		log_info("derp client %s: disconnected: %s", c->host_name, reason);
		c->state = DERP_CLIENT_BACKOFF;
		emit(c, &ev);
	} else {
		c->stats.connect_failures++;
		log_info("derp client %s: connect failed in %s: %s", c->host_name,
			 derp_client_state_name(c->state), reason);
	}
	c->failures++;
	c->state = DERP_CLIENT_BACKOFF;
	if (now < c->restart_until)
		c->retry_at = now + c->restart_reconnect_ms;
	else
		c->retry_at = now + backoff_delay(c);
}

static void
begin_attempt(struct derp_client *c, uint64_t now)
{
	const struct sockaddr_storage *addr = &c->addrs[c->next_addr % c->addr_count];
	socklen_t addr_len = c->addr_lens[c->next_addr % c->addr_count];
	int one = 1;

	c->next_addr++;
	c->stats.connect_attempts++;
	c->attempt_deadline = now + c->connect_timeout_ms;
	c->fd = socket(addr->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		c->state = DERP_CLIENT_CONNECTING;
		fail(c, now, strerror(errno));
		return;
	}
	c->generation++;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->state = DERP_CLIENT_CONNECTING;
	if (connect(c->fd, (const struct sockaddr *)addr, addr_len) < 0 && errno != EINPROGRESS)
		fail(c, now, strerror(errno));
}

void
derp_client_start(struct derp_client *c, uint64_t now_ms)
{
	if (c->state != DERP_CLIENT_IDLE)
		return;
	c->failures = 0;
	begin_attempt(c, now_ms);
}

void
derp_client_stop(struct derp_client *c)
{
	bool was_connected = c->state == DERP_CLIENT_CONNECTED;

	teardown(c);
	c->state = DERP_CLIENT_IDLE;
	if (was_connected) {
		struct derp_client_event ev = {.type = DERP_CLIENT_EV_DISCONNECTED,
					       .detail = "stopped"};

		c->stats.disconnects++;
		emit(c, &ev);
	}
}

static int
start_tls(struct derp_client *c)
{
	c->ssl = SSL_new(c->ssl_ctx);
	if (c->ssl == NULL || SSL_set_fd(c->ssl, c->fd) != 1)
		return -1;
	SSL_set_connect_state(c->ssl);
	/* SNI carries names only, never address literals (RFC 6066). */
	if (!c->host_is_ip && SSL_set_tlsext_host_name(c->ssl, c->host_name) != 1)
		return -1;
	if (!c->pinned) {
		if (c->host_is_ip) {
			if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl), c->host_name) != 1)
				return -1;
		} else {
			SSL_set_hostflags(c->ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
			if (SSL_set1_host(c->ssl, c->host_name) != 1)
				return -1;
		}
	}
	c->out = malloc(DERP_CLIENT_OUT_BUFFER);
	c->in = malloc(IN_BUFFER);
	if (c->out == NULL || c->in == NULL)
		return -1;
	c->state = DERP_CLIENT_TLS;
	return 0;
}

static int
check_pin(struct derp_client *c)
{
	uint8_t digest[DERP_PIN_DIGEST_LEN];
	X509 *cert;

	if (!c->pinned)
		return 0;
	cert = SSL_get0_peer_certificate(c->ssl);
	if (cert == NULL || derp_pin_of_cert(cert, digest) < 0)
		return -1;
	return sodium_memcmp(digest, c->pin, DERP_PIN_DIGEST_LEN) == 0 ? 0 : -1;
}

static bool
append(struct derp_client *c, size_t need)
{
	if (c->out == NULL)
		return false;
	if (c->out_len + need > DERP_CLIENT_OUT_BUFFER && c->out_off > 0) {
		/* Safe while a TLS write is pending: SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER. */
		memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
		c->out_len -= c->out_off;
		c->out_off = 0;
	}
	return c->out_len + need <= DERP_CLIENT_OUT_BUFFER;
}

/* Writes queued bytes; 0, or -1 with c->fail_reason set. */
static int
flush(struct derp_client *c)
{
	c->tls_wants_write = false;
	while (c->out_off < c->out_len) {
		int n, err;

		ERR_clear_error();
		n = SSL_write(c->ssl, c->out + c->out_off, (int)(c->out_len - c->out_off));
		if (n > 0) {
			c->out_off += (size_t)n;
			continue;
		}
		err = SSL_get_error(c->ssl, n);
		if (err == SSL_ERROR_WANT_WRITE) {
			c->tls_wants_write = true;
			return 0;
		}
		if (err == SSL_ERROR_WANT_READ)
			return 0;
		c->fail_reason = tls_error_text();
		return -1;
	}
	c->out_off = c->out_len = 0;
	return 0;
}

static void
tls_step(struct derp_client *c, uint64_t now)
{
	int rc, err, n;

	ERR_clear_error();
	rc = SSL_do_handshake(c->ssl);
	if (rc != 1) {
		err = SSL_get_error(c->ssl, rc);
		if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
			c->tls_wants_write = err == SSL_ERROR_WANT_WRITE;
			return;
		}
		fail(c, now, tls_error_text());
		return;
	}
	c->tls_wants_write = false;
	if (check_pin(c) < 0) {
		fail(c, now, "certificate does not match the pinned sha256-raw digest");
		return;
	}
	n = derp_http_build_upgrade_request((char *)c->out, DERP_CLIENT_OUT_BUFFER, c->host_name);
	if (n < 0) {
		fail(c, now, "building the upgrade request");
		return;
	}
	c->out_off = 0;
	c->out_len = (size_t)n;
	c->state = DERP_CLIENT_UPGRADE;
}

static void
set_rate_limit(struct derp_client *c, const struct derp_server_info *info, uint64_t now)
{
	c->tb_rate = info->token_bucket_bytes_per_second;
	c->tb_burst = info->token_bucket_bytes_burst;
	/* A burst smaller than one maximal frame would refuse large packets forever. */
	if (c->tb_rate > 0 && c->tb_burst < DERP_MAX_FRAME_LEN + DERP_FRAME_HEADER_LEN)
		c->tb_burst = DERP_MAX_FRAME_LEN + DERP_FRAME_HEADER_LEN;
	c->tb_tokens = c->tb_burst;
	c->tb_last_ms = now;
}

/* Login frames; returns -1 with fail_reason on a protocol error. */
static int
login_frame(struct derp_client *c, const struct derp_frame *f, uint64_t now)
{
	/* The server key is zero until ServerKey arrives; ServerInfo must follow it. */
	if (sodium_is_zero(c->server_key, DERP_KEY_LEN)) {
		struct derp_client_info info = {.version = DERP_PROTOCOL_VERSION,
						.can_ack_pings = true,
						.is_prober = c->is_prober};
		size_t n;

		if (f->type != DERP_FRAME_SERVER_KEY || derp_parse_server_key(f, c->server_key) < 0) {
			c->fail_reason = "malformed ServerKey";
			return -1;
		}
		if (c->header_key_known &&
		    memcmp(c->header_key, c->server_key, DERP_KEY_LEN) != 0) {
			c->fail_reason = "ServerKey differs from Derp-Public-Key";
			return -1;
		}
		n = append(c, DERP_CLIENT_INFO_FRAME_MAX)
			    ? derp_build_client_info(c->out + c->out_len, DERP_CLIENT_INFO_FRAME_MAX,
						     c->private_key, c->public_key, c->server_key,
						     &info)
			    : 0;
		if (n == 0) {
			c->fail_reason = "building ClientInfo";
			return -1;
		}
		c->out_len += n;
		return 0;
	}
	if (f->type == DERP_FRAME_SERVER_INFO) {
		struct derp_server_info info;
		struct derp_client_event ev = {.type = DERP_CLIENT_EV_CONNECTED};
		const char *why;

		if (derp_open_server_info(f, c->private_key, c->server_key, &info, &why) !=
		    DERP_LOGIN_OK) {
			c->fail_reason = why;
			return -1;
		}
		set_rate_limit(c, &info, now);
		c->state = DERP_CLIENT_CONNECTED;
		c->stats.connects++;
		c->failures = 0;
		c->restart_until = 0;
		c->last_rx_ms = now;
		c->health[0] = '\0';
		log_info("derp client %s: connected", c->host_name);
		if (c->preferred)
			derp_client_note_preferred(c, true);
		emit(c, &ev);
		return 0;
	}
	c->fail_reason = "unexpected frame during login";
	return -1;
}

static int
queue_frame_pong(struct derp_client *c, const uint8_t data[DERP_PING_LEN])
{
	size_t need = DERP_FRAME_HEADER_LEN + DERP_PING_LEN;

	if (!append(c, need))
		return -1;
	c->out_len += derp_build_pong(c->out + c->out_len, need, data);
	return 0;
}

static int
connected_frame(struct derp_client *c, const struct derp_frame *f)
{
	struct derp_client_event ev = {0};

	if (f->length < derp_frame_min_length(f->type)) {
		c->fail_reason = "frame shorter than its type requires";
		return -1;
	}
	switch (f->type) {
	case DERP_FRAME_RECV_PACKET: {
		struct derp_packet_view v;

		if (derp_parse_packet(f, &v) < 0) {
			c->fail_reason = "malformed RecvPacket";
			return -1;
		}
		c->stats.packets_received++;
		c->stats.bytes_received += v.packet_len;
		if (c->on_packet != NULL)
			c->on_packet(c->ctx, v.key, v.packet, v.packet_len);
		return 0;
	}
	case DERP_FRAME_KEEP_ALIVE:
		c->stats.keepalives_received++;
		return 0;
	case DERP_FRAME_PING:
		c->stats.pings_received++;
		derp_parse_ping(f, ev.ping);
		/* A full queue drops the pong like a packet; the server tolerates it. */
		if (queue_frame_pong(c, ev.ping) < 0)
			c->stats.drop_queue_full++;
		return 0;
	case DERP_FRAME_PONG:
		c->stats.pongs_received++;
		ev.type = DERP_CLIENT_EV_PONG;
		derp_parse_ping(f, ev.ping);
		emit(c, &ev);
		return 0;
	case DERP_FRAME_PEER_GONE:
		c->stats.peer_gone_received++;
		ev.type = DERP_CLIENT_EV_PEER_GONE;
		derp_parse_peer_gone(f, &ev.key, &ev.reason);
		emit(c, &ev);
		return 0;
	case DERP_FRAME_PEER_PRESENT: {
		struct derp_peer_present_view v;

		derp_parse_peer_present(f, &v);
		ev.type = DERP_CLIENT_EV_PEER_PRESENT;
		ev.key = v.key;
		emit(c, &ev);
		return 0;
	}
	case DERP_FRAME_HEALTH: {
		size_t n = f->length < DERP_HEALTH_MAX ? f->length : DERP_HEALTH_MAX;

		c->stats.health_received++;
		memcpy(c->health, f->payload, n);
		c->health[n] = '\0';
		ev.type = DERP_CLIENT_EV_HEALTH;
		ev.detail = c->health;
		emit(c, &ev);
		return 0;
	}
	case DERP_FRAME_RESTARTING:
		c->stats.restarting_received++;
		derp_parse_restarting(f, &ev.reconnect_in_ms, &ev.try_for_ms);
		c->restart_reconnect_ms = ev.reconnect_in_ms;
		c->restart_until = c->last_rx_ms + ev.try_for_ms;
		ev.type = DERP_CLIENT_EV_RESTARTING;
		emit(c, &ev);
		return 0;
	default:
		/* Newer servers may send frames we do not know: skip them. */
		c->stats.unknown_frames++;
		return 0;
	}
}

/* Feeds bytes after the HTTP head through the frame reader. */
static int
consume_frames(struct derp_client *c, const uint8_t *data, size_t len, uint64_t now)
{
	while (len > 0 && c->ssl != NULL) {
		struct derp_frame f;
		enum derp_read_result r = derp_reader_next(&c->reader, &data, &len, &f);
		int rc;

		if (r == DERP_READ_MORE)
			return 0;
		if (r == DERP_READ_TOO_LONG) {
			c->fail_reason = "frame over the length limit";
			return -1;
		}
		if (r == DERP_READ_NOMEM) {
			c->fail_reason = "out of memory";
			return -1;
		}
		rc = c->state == DERP_CLIENT_CONNECTED ? connected_frame(c, &f)
						       : login_frame(c, &f, now);
		if (rc < 0)
			return -1;
	}
	return 0;
}

static int
upgrade_bytes(struct derp_client *c, uint64_t now)
{
	struct derp_http_response resp;
	enum derp_http_result r = derp_http_parse_response(c->in, c->in_len, &resp);
	size_t rest;

	if (r == DERP_HTTP_INCOMPLETE) {
		if (c->in_len == IN_BUFFER) {
			c->fail_reason = "HTTP response head too long";
			return -1;
		}
		return 0;
	}
	if (r != DERP_HTTP_DONE) {
		c->fail_reason = "malformed HTTP response";
		return -1;
	}
	if (resp.status != 101) {
		c->fail_reason = "server refused the upgrade";
		return -1;
	}
	if (resp.derp_version != 0 && resp.derp_version != DERP_PROTOCOL_VERSION) {
		c->fail_reason = "server speaks another DERP version";
		return -1;
	}
	c->header_key_known = resp.has_key;
	memcpy(c->header_key, resp.server_key, DERP_KEY_LEN);
	memset(c->server_key, 0, DERP_KEY_LEN);
	c->state = DERP_CLIENT_LOGIN;
	rest = c->in_len - resp.head_len;
	c->in_len = 0;
	return consume_frames(c, c->in + resp.head_len, rest, now);
}

/* Reads what TLS has; -1 with fail_reason when the connection must go. */
static int
read_some(struct derp_client *c, uint64_t now)
{
	c->read_pending = false;
	for (int i = 0; i < READS_PER_DISPATCH; i++) {
		size_t room = c->state == DERP_CLIENT_UPGRADE ? IN_BUFFER - c->in_len : IN_BUFFER;
		uint8_t *at = c->state == DERP_CLIENT_UPGRADE ? c->in + c->in_len : c->in;
		int n, err;

		ERR_clear_error();
		n = SSL_read(c->ssl, at, (int)room);
		if (n <= 0) {
			err = SSL_get_error(c->ssl, n);
			if (err == SSL_ERROR_WANT_READ)
				return 0;
			if (err == SSL_ERROR_WANT_WRITE) {
				c->tls_wants_write = true;
				return 0;
			}
			c->fail_reason = err == SSL_ERROR_ZERO_RETURN ? "server closed the connection"
								      : tls_error_text();
			return -1;
		}
		c->last_rx_ms = now;
		if (c->state == DERP_CLIENT_UPGRADE) {
			c->in_len += (size_t)n;
			if (upgrade_bytes(c, now) < 0)
				return -1;
		} else if (consume_frames(c, at, (size_t)n, now) < 0) {
			return -1;
		}
	}
	c->read_pending = true;
	return 0;
}

void
derp_client_dispatch(struct derp_client *c, uint32_t events, uint64_t now_ms)
{
	switch (c->state) {
	case DERP_CLIENT_IDLE:
		return;
	case DERP_CLIENT_BACKOFF:
		if (now_ms >= c->retry_at)
			begin_attempt(c, now_ms);
		return;
	case DERP_CLIENT_CONNECTING:
		if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) {
			int err = 0;
			socklen_t len = sizeof(err);

			if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
				err = errno;
			if (err != 0) {
				fail(c, now_ms, strerror(err));
				return;
			}
			if (start_tls(c) < 0) {
				fail(c, now_ms, "setting up TLS");
				return;
			}
			tls_step(c, now_ms);
		}
		break;
	case DERP_CLIENT_TLS:
		tls_step(c, now_ms);
		break;
	case DERP_CLIENT_UPGRADE:
	case DERP_CLIENT_LOGIN:
	case DERP_CLIENT_CONNECTED:
		if (flush(c) < 0 || read_some(c, now_ms) < 0 || flush(c) < 0) {
			fail(c, now_ms, c->fail_reason);
			return;
		}
		break;
	}
	if (c->state == DERP_CLIENT_BACKOFF || c->state == DERP_CLIENT_IDLE)
		return;
	if (c->state != DERP_CLIENT_CONNECTED && now_ms >= c->attempt_deadline) {
		c->stats.timeouts++;
		fail(c, now_ms, "connect timeout");
	} else if (c->state == DERP_CLIENT_CONNECTED &&
		   now_ms >= c->last_rx_ms + 2 * (uint64_t)c->keepalive_ms) {
		c->stats.timeouts++;
		fail(c, now_ms, "no keepalive from the server");
	}
}

int
derp_client_fd(const struct derp_client *c)
{
	return c->fd;
}

uint64_t
derp_client_generation(const struct derp_client *c)
{
	return c->generation;
}

uint32_t
derp_client_events(const struct derp_client *c)
{
	switch (c->state) {
	case DERP_CLIENT_CONNECTING:
		return EPOLLOUT;
	case DERP_CLIENT_TLS:
		return c->tls_wants_write ? EPOLLOUT : EPOLLIN;
	case DERP_CLIENT_UPGRADE:
	case DERP_CLIENT_LOGIN:
	case DERP_CLIENT_CONNECTED:
		return EPOLLIN | (c->out_off < c->out_len || c->tls_wants_write ? EPOLLOUT : 0);
	default:
		return 0;
	}
}

uint64_t
derp_client_next_deadline(const struct derp_client *c)
{
	switch (c->state) {
	case DERP_CLIENT_IDLE:
		return UINT64_MAX;
	case DERP_CLIENT_BACKOFF:
		return c->retry_at;
	case DERP_CLIENT_CONNECTED:
		if (c->read_pending)
			return 0;
		return c->last_rx_ms + 2 * (uint64_t)c->keepalive_ms;
	default:
		return c->read_pending ? 0 : c->attempt_deadline;
	}
}

int
derp_client_epoll_sync(struct derp_client *c, int epfd, struct derp_client_epoll *reg,
		       uint64_t tag)
{
	struct epoll_event ev = {.events = derp_client_events(c), .data.u64 = tag};
	int fd = c->fd;

	/* A closed fd left epoll by itself; a new socket may reuse the number. */
	if (reg->registered && (reg->fd != fd || reg->generation != c->generation)) {
		if (reg->fd == fd)
			epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL);
		reg->registered = false;
	}
	if (fd < 0)
		return 0;
	if (!reg->registered) {
		if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
			log_warn("derp client %s: epoll_ctl add: %s", c->host_name,
				 strerror(errno));
			return -1;
		}
		reg->registered = true;
		reg->fd = fd;
		reg->generation = c->generation;
		reg->events = ev.events;
		return 0;
	}
	if (reg->events != ev.events) {
		if (epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev) < 0) {
			log_warn("derp client %s: epoll_ctl mod: %s", c->host_name,
				 strerror(errno));
			return -1;
		}
		reg->events = ev.events;
	}
	return 0;
}

static bool
rate_allows(struct derp_client *c, size_t cost, uint64_t now)
{
	if (c->tb_rate <= 0)
		return true;
	if (now > c->tb_last_ms) {
		int64_t refill = c->tb_rate * (int64_t)(now - c->tb_last_ms) / 1000;

		if (refill > 0) {
			c->tb_tokens = c->tb_tokens + refill > c->tb_burst ? c->tb_burst
									     : c->tb_tokens + refill;
			c->tb_last_ms = now;
		}
	}
	if (c->tb_tokens < (int64_t)cost)
		return false;
	c->tb_tokens -= (int64_t)cost;
	return true;
}

int
derp_client_send(struct derp_client *c, const uint8_t dst[DERP_KEY_LEN], const uint8_t *packet,
		 size_t len, uint64_t now_ms)
{
	size_t need = DERP_FRAME_HEADER_LEN + DERP_KEY_LEN + len;

	if (c->state != DERP_CLIENT_CONNECTED) {
		c->stats.drop_not_connected++;
		return -1;
	}
	if (len > DERP_MAX_PACKET_LEN) {
		c->stats.drop_too_big++;
		return -1;
	}
	if (!append(c, need)) {
		c->stats.drop_queue_full++;
		return -1;
	}
	/* The server counts 5 + 32 + len per packet; the self limit uses the same measure. */
	if (!rate_allows(c, need, now_ms)) {
		c->stats.drop_rate_limited++;
		return -1;
	}
	c->out_len += derp_build_send_packet(c->out + c->out_len, need, dst, packet, len);
	c->stats.packets_sent++;
	c->stats.bytes_sent += len;
	return 0;
}

static int
queue_control(struct derp_client *c, size_t need, uint8_t type, const uint8_t *payload)
{
	if (c->state != DERP_CLIENT_CONNECTED || !append(c, need))
		return -1;
	if (type == DERP_FRAME_PING)
		c->out_len += derp_build_ping(c->out + c->out_len, need, payload);
	else
		c->out_len += derp_build_note_preferred(c->out + c->out_len, need, payload[0]);
	return 0;
}

int
derp_client_ping(struct derp_client *c, const uint8_t data[DERP_PING_LEN])
{
	return queue_control(c, DERP_FRAME_HEADER_LEN + DERP_PING_LEN, DERP_FRAME_PING, data);
}

int
derp_client_note_preferred(struct derp_client *c, bool preferred)
{
	uint8_t value = preferred ? 1 : 0;

	c->preferred = preferred;
	return queue_control(c, DERP_FRAME_HEADER_LEN + 1, DERP_FRAME_NOTE_PREFERRED, &value);
}

enum derp_client_state
derp_client_state(const struct derp_client *c)
{
	return c->state;
}

const struct derp_client_stats *
derp_client_stats(const struct derp_client *c)
{
	return &c->stats;
}

const uint8_t *
derp_client_server_key(const struct derp_client *c)
{
	return c->server_key;
}

const uint8_t *
derp_client_public_key(const struct derp_client *c)
{
	return c->public_key;
}

const char *
derp_client_health(const struct derp_client *c)
{
	return c->health;
}

size_t
derp_client_pending(const struct derp_client *c)
{
	return c->out_len - c->out_off;
}
