/* SPDX-License-Identifier: BSD-3-Clause */
/* The relay's STUN responder: binding requests in, XOR-MAPPED-ADDRESS out, on IPv4 and IPv6. */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "derper.h"
#include "log.h"
#include "stun.h"

enum {
	STUN_SOCKETS_MAX = 2,
	STUN_BATCH = 32,
	STUN_DATAGRAM_MAX = 1500,
};

struct derper_stun {
	int fds[STUN_SOCKETS_MAX];
	unsigned int count;
	uint64_t answered;
	uint64_t dropped; /* not a binding request, or the reply could not be sent */
};

static int
open_socket(const struct netendpoint *at)
{
	struct sockaddr_storage ss;
	socklen_t len = netendpoint_to_sockaddr(at, &ss);
	int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1;
	char text[NETADDR_TEXT_MAX];

	if (fd < 0) {
		log_warn("stun: socket: %s", strerror(errno));
		return -1;
	}
	/* One socket per family: the IPv6 one must not take IPv4 too. */
	if (ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) < 0) {
		log_warn("stun: bind %s: %s", netendpoint_format(at, text, sizeof(text)),
			 strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

struct derper_stun *
derper_stun_open(const struct derper_config *cfg)
{
	struct derper_stun *s = calloc(1, sizeof(*s));
	struct netendpoint at;

	if (s == NULL)
		return NULL;
	if (cfg->listen_any) {
		memset(&at, 0, sizeof(at));
		at.port = (uint16_t)cfg->stun_port;
		at.addr.family = AF_INET;
		s->fds[s->count] = open_socket(&at);
		if (s->fds[s->count] >= 0)
			s->count++;
		at.addr.family = AF_INET6;
		s->fds[s->count] = open_socket(&at);
		if (s->fds[s->count] >= 0)
			s->count++;
	} else {
		at = cfg->listen;
		at.port = (uint16_t)cfg->stun_port;
		s->fds[0] = open_socket(&at);
		if (s->fds[0] >= 0)
			s->count = 1;
	}
	if (s->count == 0) {
		free(s);
		return NULL;
	}
	log_info("stun: answering on port %d (%u sockets)", cfg->stun_port, s->count);
	return s;
}

int
derper_stun_register(struct derper_stun *s, int epfd, uint64_t tag)
{
	for (unsigned int i = 0; i < s->count; i++) {
		struct epoll_event ev = {.events = EPOLLIN, .data.u64 = tag + i};

		if (epoll_ctl(epfd, EPOLL_CTL_ADD, s->fds[i], &ev) < 0) {
			log_warn("stun: epoll_ctl: %s", strerror(errno));
			return -1;
		}
	}
	return (int)s->count;
}

void
derper_stun_dispatch(struct derper_stun *s, unsigned int index)
{
	static uint8_t in[STUN_BATCH][STUN_DATAGRAM_MAX];
	static uint8_t out[STUN_BATCH][STUN_RESPONSE_MAX];
	struct sockaddr_storage from[STUN_BATCH];
	struct mmsghdr rx[STUN_BATCH], tx[STUN_BATCH];
	struct iovec rx_iov[STUN_BATCH], tx_iov[STUN_BATCH];
	int fd = s->fds[index];

	/* Drain in batches until the socket is empty; replies go out in one sendmmsg. */
	for (;;) {
		int n, replies = 0;

		for (int i = 0; i < STUN_BATCH; i++) {
			rx_iov[i].iov_base = in[i];
			rx_iov[i].iov_len = sizeof(in[i]);
			memset(&rx[i], 0, sizeof(rx[i]));
			rx[i].msg_hdr.msg_iov = &rx_iov[i];
			rx[i].msg_hdr.msg_iovlen = 1;
			rx[i].msg_hdr.msg_name = &from[i];
			rx[i].msg_hdr.msg_namelen = sizeof(from[i]);
		}
		n = recvmmsg(fd, rx, STUN_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			return;
		for (int i = 0; i < n; i++) {
			uint8_t txid[STUN_TXID_LEN];
			struct netendpoint mapped;
			int len;

			if (stun_parse_binding_request(in[i], rx[i].msg_len, txid) != STUN_OK ||
			    netendpoint_from_sockaddr((struct sockaddr *)&from[i],
						      rx[i].msg_hdr.msg_namelen, &mapped) < 0) {
				s->dropped++;
				continue;
			}
			len = stun_build_binding_response(out[replies], sizeof(out[replies]), txid,
							  &mapped, "exitgate-derper");
			if (len < 0) {
				s->dropped++;
				continue;
			}
			tx_iov[replies].iov_base = out[replies];
			tx_iov[replies].iov_len = (size_t)len;
			memset(&tx[replies], 0, sizeof(tx[replies]));
			tx[replies].msg_hdr.msg_iov = &tx_iov[replies];
			tx[replies].msg_hdr.msg_iovlen = 1;
			tx[replies].msg_hdr.msg_name = &from[i];
			tx[replies].msg_hdr.msg_namelen = rx[i].msg_hdr.msg_namelen;
			replies++;
		}
		if (replies > 0) {
			int sent = sendmmsg(fd, tx, (unsigned int)replies, MSG_DONTWAIT);

			if (sent < 0)
				sent = 0;
			s->answered += (uint64_t)sent;
			s->dropped += (uint64_t)(replies - sent);
		}
		if (n < STUN_BATCH)
			return;
	}
}

uint64_t
derper_stun_answered(const struct derper_stun *s)
{
	return s->answered;
}

uint64_t
derper_stun_dropped(const struct derper_stun *s)
{
	return s->dropped;
}

void
derper_stun_close(struct derper_stun *s)
{
	if (s == NULL)
		return;
	for (unsigned int i = 0; i < s->count; i++)
		close(s->fds[i]);
	free(s);
}
