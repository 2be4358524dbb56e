/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Sends one STUN binding request from a given local address and port to a server and parses the
 * answer with exitgate's codec; prints "mapped IP:PORT" (and exits 0) or why not.
 *   stun-probe LOCAL_IP LOCAL_PORT SERVER_IP SERVER_PORT
 */
#include <arpa/inet.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sodium.h>

#include "netaddr.h"
#include "stun.h"

int
main(int argc, char **argv)
{
	struct sockaddr_in local = {.sin_family = AF_INET}, server = {.sin_family = AF_INET};
	uint8_t txid[STUN_TXID_LEN], req[STUN_REQUEST_LEN], resp[1500];
	struct netendpoint mapped;
	char text[NETADDR_TEXT_MAX];
	struct pollfd pfd;
	int fd, n, rc;

	if (argc != 5 || inet_pton(AF_INET, argv[1], &local.sin_addr) != 1 ||
	    inet_pton(AF_INET, argv[3], &server.sin_addr) != 1) {
		fprintf(stderr, "usage: stun-probe LOCAL_IP LOCAL_PORT SERVER_IP SERVER_PORT\n");
		return 2;
	}
	local.sin_port = htons((uint16_t)atoi(argv[2]));
	server.sin_port = htons((uint16_t)atoi(argv[4]));
	if (sodium_init() < 0)
		return 1;
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&local, sizeof(local)) < 0) {
		perror("stun-probe: bind");
		return 1;
	}
	randombytes_buf(txid, sizeof(txid));
	n = stun_build_binding_request(req, sizeof(req), txid);
	/* Three tries, a second apart: UDP may drop one. */
	for (int attempt = 0; attempt < 3; attempt++) {
		if (sendto(fd, req, (size_t)n, 0, (struct sockaddr *)&server, sizeof(server)) < 0) {
			perror("stun-probe: sendto");
			return 1;
		}
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 1000) <= 0)
			continue;
		n = (int)recv(fd, resp, sizeof(resp), 0);
		if (n < 0)
			break;
		rc = stun_parse_binding_response(resp, (size_t)n, txid, &mapped);
		if (rc != STUN_OK) {
			printf("stun-probe: reply refused: %s\n", stun_error_name(rc));
			return 1;
		}
		printf("mapped %s\n", netendpoint_format(&mapped, text, sizeof(text)));
		close(fd);
		return 0;
	}
	printf("stun-probe: no reply\n");
	close(fd);
	return 1;
}
