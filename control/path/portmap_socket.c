/* SPDX-License-Identifier: BSD-3-Clause */
/* The UDP socket the NAT-PMP and PCP clients talk to the gateway on. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "portmap_client.h"

int
portmap_udp_socket(const struct netaddr *local, const struct netaddr *gateway, uint16_t port)
{
	struct netendpoint bind_to = {.addr = *local, .port = 0};
	struct netendpoint server = {.addr = *gateway, .port = port};
	struct sockaddr_storage ss;
	char text[NETADDR_TEXT_MAX];
	socklen_t len;
	int fd;

	fd = socket(local->family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		log_warn("portmap: socket: %s", strerror(errno));
		return -1;
	}
	/* bound to the public port's address, so the gateway sees (and maps for) that address
	 * whatever the host's routing prefers */
	len = netendpoint_to_sockaddr(&bind_to, &ss);
	if (len == 0 || bind(fd, (struct sockaddr *)&ss, len) != 0) {
		log_warn("portmap: bind %s: %s", netaddr_format(local, text, sizeof(text)),
			 len == 0 ? "no address" : strerror(errno));
		close(fd);
		return -1;
	}
	/* connected: the kernel drops datagrams from anyone but gateway:port, and an ICMP port
	 * unreachable comes back as ECONNREFUSED */
	len = netendpoint_to_sockaddr(&server, &ss);
	if (len == 0 || connect(fd, (struct sockaddr *)&ss, len) != 0) {
		log_warn("portmap: connect %s: %s", netendpoint_format(&server, text, sizeof(text)),
			 len == 0 ? "no address" : strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

void
portmap_no_answer_text(char *out, size_t size, const struct netaddr *gateway, uint16_t port,
		       unsigned tries, bool icmp_refused)
{
	char gw[NETADDR_TEXT_MAX], text[128];
	int n;

	netaddr_format(gateway, gw, sizeof(gw));
	if (icmp_refused)
		n = snprintf(text, sizeof(text), "port unreachable at %s:%u (%u tries)", gw, port,
			     tries);
	else
		n = snprintf(text, sizeof(text), "no answer from %s:%u in %u tries", gw, port,
			     tries);
	if (size == 0 || n < 0)
		return;
	if ((size_t)n >= size)
		n = (int)size - 1;
	memcpy(out, text, (size_t)n);
	out[n] = '\0';
}
