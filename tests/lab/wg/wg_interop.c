/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * wg_interop: exitgate's WireGuard core (device + transport) on a kernel UDP socket, as the
 * peer of a stock implementation in the interop lab (wg_interop.sh). It has no tunnel
 * interface: it builds its own IPv4 ICMP packets and answers the echo requests it decrypts.
 *
 *   --ping N      send N echo requests to --peer-address and wait for each reply (we initiate)
 *   --answer N    answer N echo requests from --peer-address (the peer initiates)
 *   --rekey expire|clock
 *                 after the first N, force a new handshake (expire: drop the current keypair
 *                 as `wg set` of a new key would; clock: move our monotonic clock 121 s ahead so
 *                 the keypair is past REKEY_AFTER_TIME) and do N more; then wait for the new
 *                 session and, when pinging, do N more on it
 *
 * At the end it prints its counters for the peer ("transfer: rx R tx T", the same bytes
 * `wg show transfer` counts) and "handshakes: H", and exits 0 when everything arrived.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "device.h"
#include "keytext.h"
#include "log.h"
#include "netaddr.h"

enum {
	ICMP_ID = 0x4567,
	ICMP_DATA_LEN = 56, /* what ping sends: 84-byte IPv4 packets */
	FIRST_REPLY_TIMEOUT_MS = 15000,
	REPLY_TIMEOUT_MS = 3000,
	NEW_SESSION_TIMEOUT_MS = 15000, /* room for a retry after REKEY_TIMEOUT */
};

enum rekey_mode {
	REKEY_NONE,
	REKEY_EXPIRE,
	REKEY_CLOCK,
};

struct options {
	const char *private_key_file;
	const char *psk_file;
	uint8_t peer_key[KEY_LEN];
	bool has_peer_key;
	uint16_t listen_port;
	struct netendpoint endpoint;
	bool has_endpoint;
	struct in_addr address;
	struct in_addr peer_address;
	unsigned ping;
	unsigned answer;
	enum rekey_mode rekey;
	unsigned timeout_s;
};

/* The monotonic clock can be moved ahead (--rekey clock); everything else is the system's. */
static uint64_t clock_offset_ns;

static uint64_t
offset_monotonic_ns(void *arg)
{
	return wg_env_system.monotonic_ns(arg) + clock_offset_ns;
}

struct interop {
	struct options opt;
	struct wg_env env;
	struct wg_device *dev;
	struct wg_peer *peer;
	int fd;
	uint16_t next_seq;
	uint16_t waiting_seq; /* 0: not waiting */
	uint64_t sent_at_ns;
	unsigned replies;
	unsigned answered;
	unsigned foreign; /* decrypted packets that were not what we expected */
};

/* ---- IPv4 / ICMP ---- */

static uint16_t
checksum(const uint8_t *p, size_t len)
{
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* An IPv4 ICMP echo message (type 8 request or 0 reply) from src to dst; returns its length. */
static size_t
icmp_echo(uint8_t *buf, uint8_t type, struct in_addr src, struct in_addr dst, uint16_t id,
	  uint16_t seq, const uint8_t *data, size_t data_len)
{
	size_t len = 20 + 8 + data_len;
	uint8_t *icmp = buf + 20;

	memset(buf, 0, 28);
	buf[0] = 0x45;
	put16(buf + 2, (uint16_t)len);
	put16(buf + 4, seq); /* identification */
	buf[8] = 64;
	buf[9] = IPPROTO_ICMP;
	memcpy(buf + 12, &src, 4);
	memcpy(buf + 16, &dst, 4);
	put16(buf + 10, checksum(buf, 20));
	icmp[0] = type;
	put16(icmp + 4, id);
	put16(icmp + 6, seq);
	memcpy(icmp + 8, data, data_len);
	put16(icmp + 2, checksum(icmp, 8 + data_len));
	return len;
}

static void
echo_data(uint8_t *data, uint16_t seq)
{
	size_t i;

	for (i = 0; i < ICMP_DATA_LEN; i++)
		data[i] = (uint8_t)(i + seq);
}

/* An ICMP echo message addressed from `from` to `to`, with valid checksums: its type, id, seq,
 * data. false for anything else. */
static bool
parse_echo(const uint8_t *p, size_t len, struct in_addr from, struct in_addr to, uint8_t *type,
	   uint16_t *id, uint16_t *seq, const uint8_t **data, size_t *data_len)
{
	size_t header_len;

	if (len < 28 || p[0] >> 4 != 4 || p[9] != IPPROTO_ICMP)
		return false;
	header_len = (size_t)(p[0] & 0x0f) * 4;
	if (header_len < 20 || get16(p + 2) != len || len < header_len + 8 ||
	    checksum(p, header_len) != 0 || checksum(p + header_len, len - header_len) != 0)
		return false;
	if (memcmp(p + 12, &from, 4) != 0 || memcmp(p + 16, &to, 4) != 0)
		return false;
	*type = p[header_len];
	*id = get16(p + header_len + 4);
	*seq = get16(p + header_len + 6);
	*data = p + header_len + 8;
	*data_len = len - header_len - 8;
	return p[header_len + 1] == 0;
}

/* ---- Socket and device ---- */

static void
flush_output(struct interop *x)
{
	struct wg_outbound out;

	while (wg_device_pop_output(x->dev, &out)) {
		struct sockaddr_storage ss;
		socklen_t ss_len = netendpoint_to_sockaddr(&out.to, &ss);

		if (sendto(x->fd, out.data, out.len, 0, (struct sockaddr *)&ss, ss_len) < 0)
			log_warn("wg_interop: sendto: %s", strerror(errno));
	}
}

static void
send_ping(struct interop *x)
{
	uint8_t packet[128];
	uint8_t data[ICMP_DATA_LEN];
	size_t len;

	x->next_seq++;
	echo_data(data, x->next_seq);
	len = icmp_echo(packet, 8, x->opt.address, x->opt.peer_address, ICMP_ID, x->next_seq, data,
			sizeof(data));
	if (wg_device_send(x->dev, x->peer, packet, len) != 0)
		log_warn("wg_interop: ping %u: dropped", x->next_seq);
	x->waiting_seq = x->next_seq;
	x->sent_at_ns = wg_env_now(&x->env);
	flush_output(x);
}

static void
handle_packet(struct interop *x, const uint8_t *p, size_t len)
{
	const uint8_t *data;
	size_t data_len;
	uint16_t id, seq;
	uint8_t type;
	uint8_t expect[ICMP_DATA_LEN];
	uint8_t reply[1500];
	size_t reply_len;

	/* the poor man's allowed-IPs: only the peer's tunnel address, to ours */
	if (!parse_echo(p, len, x->opt.peer_address, x->opt.address, &type, &id, &seq, &data,
			&data_len)) {
		x->foreign++;
		return;
	}
	if (type == 0 && id == ICMP_ID && seq == x->waiting_seq && data_len == ICMP_DATA_LEN) {
		echo_data(expect, seq);
		if (memcmp(data, expect, sizeof(expect)) != 0) {
			x->foreign++;
			return;
		}
		printf("wg_interop: echo reply seq %u from %s\n", seq,
		       inet_ntoa(x->opt.peer_address));
		x->replies++;
		x->waiting_seq = 0;
		return;
	}
	if (type == 8 && x->opt.answer > 0) {
		if (data_len > sizeof(reply) - 28) {
			x->foreign++;
			return;
		}
		reply_len = icmp_echo(reply, 0, x->opt.address, x->opt.peer_address, id, seq, data,
				      data_len);
		if (wg_device_send(x->dev, x->peer, reply, reply_len) == 0) {
			printf("wg_interop: answered echo request seq %u\n", seq);
			x->answered++;
		}
		flush_output(x);
		return;
	}
	x->foreign++;
}

static void
receive_all(struct interop *x)
{
	uint8_t buf[WG_MSG_MAX_LEN];

	for (;;) {
		struct sockaddr_storage ss;
		socklen_t ss_len = sizeof(ss);
		struct netendpoint source;
		struct wg_rx_result result;
		ssize_t n = recvfrom(x->fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&ss,
				     &ss_len);

		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				log_warn("wg_interop: recvfrom: %s", strerror(errno));
			return;
		}
		if (netendpoint_from_sockaddr((struct sockaddr *)&ss, ss_len, &source) != 0)
			continue;
		wg_device_receive(x->dev, &source, buf, (size_t)n, &result);
		if (result.verdict == WG_RX_DROP)
			log_warn("wg_interop: dropped a datagram: %s",
				 wg_drop_reason_name(result.drop_reason));
		else if (result.verdict == WG_RX_DATA)
			handle_packet(x, result.data, result.len);
		flush_output(x);
	}
}

/* One turn of the loop: wait for the socket or the device's next deadline (at most max_ms). */
static void
loop_once(struct interop *x, int max_ms)
{
	struct pollfd pfd = { .fd = x->fd, .events = POLLIN };
	uint64_t now = wg_env_now(&x->env);
	uint64_t deadline = wg_device_next_deadline(x->dev);
	int timeout = max_ms;

	if (deadline <= now)
		timeout = 0;
	else if (deadline - now < (uint64_t)max_ms * 1000000ULL)
		timeout = (int)((deadline - now + 999999) / 1000000);
	if (poll(&pfd, 1, timeout) < 0 && errno != EINTR) {
		log_warn("wg_interop: poll: %s", strerror(errno));
		return;
	}
	if (pfd.revents & POLLIN)
		receive_all(x);
	if (wg_device_next_deadline(x->dev) <= wg_env_now(&x->env)) {
		wg_device_run_timers(x->dev);
		flush_output(x);
	}
}

/* Ping count times, each after the previous reply. */
static bool
ping_round(struct interop *x, unsigned count)
{
	unsigned target = x->replies + count;

	while (x->replies < target) {
		uint64_t limit_ms = x->replies == 0 ? FIRST_REPLY_TIMEOUT_MS : REPLY_TIMEOUT_MS;

		send_ping(x);
		while (x->waiting_seq != 0) {
			if (wg_env_now(&x->env) - x->sent_at_ns > limit_ms * 1000000ULL) {
				log_warn("wg_interop: no echo reply for seq %u", x->waiting_seq);
				return false;
			}
			loop_once(x, 100);
		}
	}
	return true;
}

static bool
answer_round(struct interop *x, unsigned count)
{
	unsigned target = x->answered + count;
	uint64_t start = wg_env_now(&x->env);

	while (x->answered < target) {
		if (wg_env_now(&x->env) - start > (uint64_t)x->opt.timeout_s * 1000000000ULL) {
			log_warn("wg_interop: answered %u of %u echo requests", x->answered,
				 target);
			return false;
		}
		loop_once(x, 100);
	}
	return true;
}

static uint32_t
current_index(const struct interop *x)
{
	const struct wg_keypair *kp = x->peer->remote.keypair_current;

	return kp != NULL ? kp->local_index : 0;
}

/* Run the loop until a session newer than the one with old_index is confirmed and current. */
static bool
await_new_session(struct interop *x, uint64_t sessions, uint32_t old_index)
{
	uint64_t start = wg_env_now(&x->env);

	while (wg_device_stats(x->dev)->sessions_confirmed <= sessions ||
	       current_index(x) == old_index) {
		if (wg_env_now(&x->env) - start > NEW_SESSION_TIMEOUT_MS * 1000000ULL) {
			log_warn("wg_interop: no new session after the rekey");
			return false;
		}
		loop_once(x, 100);
	}
	return true;
}

static bool
run(struct interop *x)
{
	unsigned count = x->opt.ping != 0 ? x->opt.ping : x->opt.answer;
	uint64_t sessions;
	uint64_t start;
	uint32_t first_index;

	if (!(x->opt.ping != 0 ? ping_round(x, count) : answer_round(x, count)))
		return false;
	if (x->opt.rekey == REKEY_NONE)
		return true;
	/* A peer takes one initiation per 20 ms and only with a newer TAI64N timestamp, which moves
	 * in steps of 2^24 ns: when our first initiation was just now, let a second pass. (When the
	 * peer initiated, its pings keep coming and are counted by the next round.) */
	start = wg_env_now(&x->env);
	while (x->opt.ping != 0 && wg_env_now(&x->env) - start < 1000000000ULL)
		loop_once(x, 100);
	sessions = wg_device_stats(x->dev)->sessions_confirmed;
	first_index = current_index(x);
	if (x->opt.rekey == REKEY_EXPIRE) {
		printf("wg_interop: expiring the current keypair\n");
		wg_peer_expire_current_keypairs(x->peer);
		if (x->opt.answer != 0)
			wg_device_initiate(x->dev, x->peer);
		flush_output(x);
	} else {
		printf("wg_interop: moving the clock 121 s ahead\n");
		clock_offset_ns += 121ULL * 1000000000ULL;
	}
	if (!(x->opt.ping != 0 ? ping_round(x, count) : answer_round(x, count)))
		return false;
	/* A keypair past REKEY_AFTER_TIME still carries data until REJECT_AFTER_TIME, so after the
	 * clock moved, the pings above go out on it and the handshake runs alongside; the peer
	 * answers the handshake on another path than the data (wireguard-go: its own goroutine),
	 * and its echo replies can overtake its response. Wait for the session, then use it. */
	if (!await_new_session(x, sessions, first_index))
		return false;
	if (x->opt.ping != 0 && !ping_round(x, count))
		return false;
	printf("wg_interop: rekeyed: keypair %08x -> %08x\n", first_index, current_index(x));
	return true;
}

/* ---- Setup ---- */

static int
read_key_file(const char *path, uint8_t key[KEY_LEN])
{
	char text[128];
	FILE *f = fopen(path, "r");
	size_t n;
	int ret;

	if (f == NULL) {
		log_warn("wg_interop: %s: %s", path, strerror(errno));
		return -1;
	}
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r' || text[n - 1] == ' '))
		n--;
	text[n] = '\0';
	ret = key_from_base64(key, text);
	sodium_memzero(text, sizeof(text));
	if (ret != 0)
		log_warn("wg_interop: %s: not a base64 key", path);
	return ret;
}

static void
usage(void)
{
	fprintf(stderr, "usage: wg_interop --private-key-file F --peer-key BASE64 --listen-port P\n"
			"       --address A --peer-address A [--endpoint IP:PORT] [--psk-file F]\n"
			"       (--ping N | --answer N) [--rekey expire|clock] [--timeout S]\n");
}

static int
parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "private-key-file", required_argument, NULL, 'k' },
		{ "psk-file", required_argument, NULL, 's' },
		{ "peer-key", required_argument, NULL, 'p' },
		{ "listen-port", required_argument, NULL, 'l' },
		{ "endpoint", required_argument, NULL, 'e' },
		{ "address", required_argument, NULL, 'a' },
		{ "peer-address", required_argument, NULL, 'A' },
		{ "ping", required_argument, NULL, 'P' },
		{ "answer", required_argument, NULL, 'R' },
		{ "rekey", required_argument, NULL, 'r' },
		{ "timeout", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	const char *why;
	int c;

	memset(o, 0, sizeof(*o));
	o->timeout_s = 30;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'k':
			o->private_key_file = optarg;
			break;
		case 's':
			o->psk_file = optarg;
			break;
		case 'p':
			if (key_from_base64(o->peer_key, optarg) != 0)
				return -1;
			o->has_peer_key = true;
			break;
		case 'l':
			o->listen_port = (uint16_t)strtoul(optarg, NULL, 10);
			break;
		case 'e':
			if (netendpoint_parse(optarg, &o->endpoint, &why) != 0) {
				log_warn("wg_interop: --endpoint %s: %s", optarg, why);
				return -1;
			}
			o->has_endpoint = true;
			break;
		case 'a':
			if (inet_pton(AF_INET, optarg, &o->address) != 1)
				return -1;
			break;
		case 'A':
			if (inet_pton(AF_INET, optarg, &o->peer_address) != 1)
				return -1;
			break;
		case 'P':
			o->ping = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'R':
			o->answer = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'r':
			if (strcmp(optarg, "expire") == 0)
				o->rekey = REKEY_EXPIRE;
			else if (strcmp(optarg, "clock") == 0)
				o->rekey = REKEY_CLOCK;
			else
				return -1;
			break;
		case 't':
			o->timeout_s = (unsigned)strtoul(optarg, NULL, 10);
			break;
		default:
			return -1;
		}
	}
	if (o->private_key_file == NULL || !o->has_peer_key || o->listen_port == 0 ||
	    o->address.s_addr == 0 || o->peer_address.s_addr == 0 ||
	    (o->ping == 0) == (o->answer == 0) || (o->ping != 0 && !o->has_endpoint))
		return -1;
	/* only an initiator rekeys by age */
	if (o->rekey == REKEY_CLOCK && o->ping == 0)
		return -1;
	return 0;
}

static int
open_socket(uint16_t port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0) {
		log_warn("wg_interop: socket: %s", strerror(errno));
		return -1;
	}
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0) {
		log_warn("wg_interop: bind port %u: %s", port, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

int
main(int argc, char **argv)
{
	struct interop x;
	uint8_t key[KEY_LEN];
	struct wg_device_config config = { 0 };
	bool ok = false;

	memset(&x, 0, sizeof(x));
	log_set_program("wg_interop");
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (parse_options(argc, argv, &x.opt) != 0) {
		usage();
		return 2;
	}
	x.env = (struct wg_env){
		.monotonic_ns = offset_monotonic_ns,
		.realtime_ns = wg_env_system.realtime_ns,
		.random_bytes = wg_env_system.random_bytes,
	};
	config.env = &x.env;
	x.dev = wg_device_new(&config);
	if (x.dev == NULL)
		return 1;
	x.fd = -1;
	if (read_key_file(x.opt.private_key_file, key) != 0 ||
	    wg_device_set_private_key(x.dev, key) != 0)
		goto out;
	x.peer = wg_device_add_peer(x.dev, x.opt.peer_key);
	if (x.peer == NULL)
		goto out;
	if (x.opt.psk_file != NULL) {
		if (read_key_file(x.opt.psk_file, key) != 0)
			goto out;
		wg_peer_set_psk(x.peer, key);
	}
	if (x.opt.has_endpoint)
		wg_peer_set_endpoint(x.peer, &x.opt.endpoint);
	x.fd = open_socket(x.opt.listen_port);
	if (x.fd < 0)
		goto out;
	ok = run(&x);
	printf("wg_interop: transfer: rx %llu tx %llu\n",
	       (unsigned long long)x.peer->stats.rx_bytes,
	       (unsigned long long)x.peer->stats.tx_bytes);
	printf("wg_interop: handshakes: %llu\n",
	       (unsigned long long)wg_device_stats(x.dev)->sessions_confirmed);
	if (x.foreign != 0) {
		log_warn("wg_interop: %u unexpected packets", x.foreign);
		ok = false;
	}
out:
	sodium_memzero(key, sizeof(key));
	if (x.fd >= 0)
		close(x.fd);
	wg_device_free(x.dev);
	return ok ? 0 : 1;
}
