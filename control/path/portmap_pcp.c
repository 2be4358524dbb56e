/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The PCP client: one UDP socket bound to the public address and connected to the gateway's
 * port 5351, the codec of pcp.h, retransmission on the owner's deadline. One mapping nonce for
 * the client's life: a renewal or a deletion must carry the nonce the mapping was made with
 * (RFC 6887 section 11.2), and a mapping made again after the gateway forgot it may reuse it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "pcp.h"
#include "portmap_client.h"
#include "portmap_schedule.h"

struct pcp_client {
	struct portmap_client_config config;
	int fd;
	uint8_t nonce[PCP_NONCE_LEN];
	enum portmap_op op;
	struct portmap_request request;
	uint8_t packet[PCP_MAP_LEN];
	size_t packet_len;
	unsigned sent;
	uint64_t next_ns; /* next retransmission, or the give-up after the last */
	bool refused_icmp; /* an ICMP port unreachable came back since the first send */
};

static void *
pcp_client_create(const struct portmap_client_config *config)
{
	struct pcp_client *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->config = *config;
	if (getrandom(c->nonce, sizeof(c->nonce), 0) != (ssize_t)sizeof(c->nonce)) {
		log_warn("portmap: pcp: getrandom: %s", strerror(errno));
		free(c);
		return NULL;
	}
	c->fd = portmap_udp_socket(&config->local, &config->gateway, PCP_SERVER_PORT);
	if (c->fd < 0) {
		free(c);
		return NULL;
	}
	return c;
}

static void
pcp_client_destroy(void *client)
{
	struct pcp_client *c = client;

	if (c == NULL)
		return;
	close(c->fd);
	free(c);
}

static int
pcp_client_fd(const void *client)
{
	return ((const struct pcp_client *)client)->fd;
}

static void
fail(struct portmap_answer *answer, enum portmap_op op, enum portmap_outcome outcome,
     const char *error)
{
	memset(answer, 0, sizeof(*answer));
	answer->op = op;
	answer->outcome = outcome;
	snprintf(answer->error, sizeof(answer->error), "%s", error);
}

static int
send_packet(struct pcp_client *c)
{
	if (send(c->fd, c->packet, c->packet_len, 0) < 0 && errno != ECONNREFUSED) {
		log_warn("portmap: pcp: send: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static int
pcp_client_start(void *client, const struct portmap_request *request, uint64_t now_ns,
		 struct portmap_answer *answer)
{
	struct pcp_client *c = client;
	struct pcp_map map = {
		.protocol = PCP_PROTOCOL_UDP,
		.internal_port = request->internal_port,
	};
	int n;

	memcpy(map.nonce, c->nonce, sizeof(map.nonce));
	switch (request->op) {
	case PORTMAP_OP_PROBE:
	case PORTMAP_OP_CHECK:
		/* ANNOUNCE: cheap, and its answer carries the epoch */
		n = pcp_build_announce(c->packet, sizeof(c->packet), &c->config.local);
		break;
	case PORTMAP_OP_MAP:
		map.external_port = request->external_port;
		map.external = request->external_addr;
		n = pcp_build_map(c->packet, sizeof(c->packet), &c->config.local,
				  request->lifetime_s, &map);
		break;
	case PORTMAP_OP_UNMAP:
		map.external_port = request->external_port;
		map.external = request->external_addr;
		n = pcp_build_map(c->packet, sizeof(c->packet), &c->config.local, 0, &map);
		break;
	default:
		n = PCP_ERR_OPCODE;
		break;
	}
	if (n < 0) {
		fail(answer, request->op, PORTMAP_LOCAL, pcp_error_name(n));
		return -1;
	}
	c->packet_len = (size_t)n;
	c->request = *request;
	c->refused_icmp = false;
	if (send_packet(c) != 0) {
		fail(answer, request->op, PORTMAP_LOCAL, "send failed");
		return -1;
	}
	c->op = request->op;
	c->sent = 1;
	c->next_ns = now_ns + portmap_retry_delay_ns(c->sent);
	return 0;
}

static enum portmap_drop
drop_reason(int error)
{
	switch (error) {
	case PCP_ERR_SHORT:
		return PORTMAP_DROP_SHORT;
	case PCP_ERR_LENGTH:
		return PORTMAP_DROP_LENGTH;
	case PCP_ERR_VERSION:
		return PORTMAP_DROP_VERSION;
	case PCP_ERR_NOT_RESPONSE:
		return PORTMAP_DROP_NOT_RESPONSE;
	case PCP_ERR_OPTION:
		return PORTMAP_DROP_OPTION;
	default:
		return PORTMAP_DROP_OPCODE;
	}
}

static bool
expects_announce(enum portmap_op op)
{
	return op == PORTMAP_OP_PROBE || op == PORTMAP_OP_CHECK;
}

/* One datagram: true when it ends the operation. */
static bool
handle_datagram(struct pcp_client *c, const uint8_t *packet, size_t length,
		struct portmap_answer *answer)
{
	struct pcp_response response;
	int error;

	if (c->op == PORTMAP_OP_NONE) {
		c->config.dropped[PORTMAP_DROP_UNSOLICITED]++;
		return false;
	}
	error = pcp_parse_response(packet, length, &response);
	if (error == PCP_ERR_VERSION && response.version == 0 && length >= 4 &&
	    (packet[1] & PCP_RESPONSE_BIT) != 0 && packet[3] == PCP_RESULT_UNSUPP_VERSION) {
		/* RFC 6887 section 9: a NAT-PMP-only server answers in NAT-PMP, "unsupported
		 * version": an answer, and a definite no */
		fail(answer, c->op, PORTMAP_REFUSED, "server speaks NAT-PMP only");
		answer->result_code = PCP_RESULT_UNSUPP_VERSION;
		return true;
	}
	if (error != PCP_OK) {
		c->config.dropped[drop_reason(error)]++;
		return false;
	}
	if (expects_announce(c->op) ? response.opcode != PCP_OPCODE_ANNOUNCE
				    : response.opcode != PCP_OPCODE_MAP) {
		c->config.dropped[PORTMAP_DROP_OPCODE]++;
		return false;
	}
	if (response.has_map) {
		if (memcmp(response.map.nonce, c->nonce, PCP_NONCE_LEN) != 0) {
			c->config.dropped[PORTMAP_DROP_NONCE]++;
			return false;
		}
		if (response.map.protocol != PCP_PROTOCOL_UDP ||
		    response.map.internal_port != c->request.internal_port) {
			c->config.dropped[PORTMAP_DROP_MISMATCH]++;
			return false;
		}
	}
	memset(answer, 0, sizeof(*answer));
	answer->op = c->op;
	answer->has_epoch = true;
	answer->epoch = response.epoch;
	answer->result_code = response.result;
	if (response.result != PCP_RESULT_SUCCESS) {
		answer->outcome = PORTMAP_REFUSED;
		snprintf(answer->error, sizeof(answer->error), "%s refused: %s (%u)",
			 expects_announce(c->op) ? "ANNOUNCE" : "MAP",
			 pcp_result_name(response.result), response.result);
		return true;
	}
	answer->outcome = PORTMAP_GRANTED;
	if (response.has_map) {
		answer->external.addr = response.map.external;
		answer->external.port = response.map.external_port;
		answer->lifetime_s = response.lifetime;
	}
	return true;
}

static bool
pcp_client_poll(void *client, uint64_t now_ns, struct portmap_answer *answer)
{
	struct pcp_client *c = client;
	uint8_t buf[PCP_MESSAGE_MAX + 4];

	for (;;) {
		ssize_t n = recv(c->fd, buf, sizeof(buf), MSG_TRUNC);

		if (n < 0) {
			if (errno == ECONNREFUSED) {
				c->refused_icmp = true;
				continue;
			}
			if (errno != EAGAIN && errno != EINTR)
				log_warn("portmap: pcp: recv: %s", strerror(errno));
			break;
		}
		if ((size_t)n > sizeof(buf)) {
			c->config.dropped[PORTMAP_DROP_LENGTH]++;
			continue;
		}
		if (handle_datagram(c, buf, (size_t)n, answer)) {
			c->op = PORTMAP_OP_NONE;
			return true;
		}
	}
	if (c->op == PORTMAP_OP_NONE || now_ns < c->next_ns)
		return false;
	if (c->sent >= PORTMAP_TRIES) {
		enum portmap_op op = c->op;

		c->op = PORTMAP_OP_NONE;
		fail(answer, op, PORTMAP_NO_ANSWER, "");
		portmap_no_answer_text(answer->error, sizeof(answer->error), &c->config.gateway,
				       PCP_SERVER_PORT, (unsigned)c->sent, c->refused_icmp);
		return true;
	}
	if (send_packet(c) != 0) {
		c->op = PORTMAP_OP_NONE;
		fail(answer, c->request.op, PORTMAP_LOCAL, "send failed");
		return true;
	}
	c->sent++;
	c->next_ns = now_ns + portmap_retry_delay_ns(c->sent);
	return false;
}

static uint64_t
pcp_client_deadline(const void *client, uint64_t now_ns)
{
	const struct pcp_client *c = client;

	(void)now_ns;
	return c->op == PORTMAP_OP_NONE ? 0 : c->next_ns;
}

const struct portmap_client_ops portmap_pcp_ops = {
	.create = pcp_client_create,
	.destroy = pcp_client_destroy,
	.fd = pcp_client_fd,
	.start = pcp_client_start,
	.poll = pcp_client_poll,
	.deadline = pcp_client_deadline,
};
