/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The NAT-PMP client, on libnatpmp: initnatpmp with the gateway forced, send*request, and
 * readnatpmpresponseorretry driven from the loop (its descriptor readable, or the deadline that
 * getnatpmprequesttimeout gives). Two things libnatpmp does not do are done here:
 * - its socket is replaced (dup2, same descriptor number) by one bound to the public port's
 *   address, so the request leaves from the address to be mapped;
 * - every datagram is looked at first (MSG_PEEK) and must be a well-formed answer to the
 *   request pending (portmap_check.h): libnatpmp reads a fixed 16 bytes whatever arrived and
 *   checks neither the length nor the internal port; anything else is consumed and counted.
 * A mapping needs two answers: the public address, then the port.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <natpmp.h>

#include "log.h"
#include "portmap_check.h"
#include "portmap_client.h"
#include "portmap_schedule.h"

struct natpmp_client {
	struct portmap_client_config config;
	natpmp_t natpmp;
	enum portmap_op op;
	struct portmap_request request;
	uint8_t pending_opcode; /* of the request on the wire */
	struct netaddr public_address;
	bool refused_icmp;
};

static void *
natpmp_client_create(const struct portmap_client_config *config)
{
	struct natpmp_client *c;
	in_addr_t gateway;
	int r, bound;

	if (config->gateway.family != AF_INET || config->local.family != AF_INET) {
		log_warn("portmap: natpmp: needs an IPv4 gateway and address");
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	c->config = *config;
	memcpy(&gateway, config->gateway.bytes, 4);
	r = initnatpmp(&c->natpmp, 1, gateway);
	if (r < 0) {
		log_warn("portmap: natpmp: initnatpmp: error %d", r);
		free(c);
		return NULL;
	}
	bound = portmap_udp_socket(&config->local, &config->gateway, NATPMP_PORT);
	if (bound < 0) {
		closenatpmp(&c->natpmp);
		free(c);
		return NULL;
	}
	/* dup2 keeps libnatpmp's descriptor number and takes our socket's (non-blocking) file;
	 * close-on-exec is per descriptor and must be set again */
	if (dup2(bound, c->natpmp.s) < 0 || fcntl(c->natpmp.s, F_SETFD, FD_CLOEXEC) != 0) {
		log_warn("portmap: natpmp: dup2: %s", strerror(errno));
		close(bound);
		closenatpmp(&c->natpmp);
		free(c);
		return NULL;
	}
	close(bound);
	return c;
}

static void
natpmp_client_destroy(void *client)
{
	struct natpmp_client *c = client;

	if (c == NULL)
		return;
	closenatpmp(&c->natpmp);
	free(c);
}

static int
natpmp_client_fd(const void *client)
{
	return ((const struct natpmp_client *)client)->natpmp.s;
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
send_public_address(struct natpmp_client *c)
{
	c->pending_opcode = NATPMP_OP_PUBLIC_ADDRESS;
	return sendpublicaddressrequest(&c->natpmp);
}

static int
send_mapping(struct natpmp_client *c, uint16_t external_port, uint32_t lifetime_s)
{
	c->pending_opcode = NATPMP_OP_MAP_UDP;
	return sendnewportmappingrequest(&c->natpmp, NATPMP_PROTOCOL_UDP,
					 c->request.internal_port, external_port, lifetime_s);
}

static int
natpmp_client_start(void *client, const struct portmap_request *request, uint64_t now_ns,
		    struct portmap_answer *answer)
{
	struct natpmp_client *c = client;
	int r;

	(void)now_ns;
	c->request = *request;
	c->refused_icmp = false;
	switch (request->op) {
	case PORTMAP_OP_PROBE:
	case PORTMAP_OP_CHECK:
	case PORTMAP_OP_MAP: /* the address first: the mapping's answer lacks it */
		r = send_public_address(c);
		break;
	case PORTMAP_OP_UNMAP:
		/* RFC 6886 section 3.4: lifetime 0 deletes; the suggested port must be 0 */
		r = send_mapping(c, 0, 0);
		break;
	default:
		r = NATPMP_ERR_INVALIDARGS;
		break;
	}
	if (r == NATPMP_ERR_SENDERR && errno == ECONNREFUSED) {
		/* an ICMP error of an earlier exchange was pending on the socket and is now
		 * read: the request itself can go */
		c->refused_icmp = true;
		r = request->op == PORTMAP_OP_UNMAP ? send_mapping(c, 0, 0) : send_public_address(c);
	}
	if (r < 0) {
		char why[48];

		snprintf(why, sizeof(why), "send failed (libnatpmp %d)", r);
		fail(answer, request->op, PORTMAP_LOCAL, why);
		return -1;
	}
	c->op = request->op;
	return 0;
}

static const char *
result_name(unsigned code)
{
	switch (code) {
	case 1:
		return "UNSUPPORTED_VERSION";
	case 2:
		return "NOT_AUTHORIZED";
	case 3:
		return "NETWORK_FAILURE";
	case 4:
		return "OUT_OF_RESOURCES";
	case 5:
		return "UNSUPPORTED_OPCODE";
	default:
		return "unknown";
	}
}

/* A checked answer is waiting: let libnatpmp read it. true when the operation ended. */
static bool
take_answer(struct natpmp_client *c, unsigned result_code, struct portmap_answer *answer)
{
	natpmpresp_t response;
	int r;

	memset(&response, 0, sizeof(response));
	r = readnatpmpresponseorretry(&c->natpmp, &response);
	if (r == NATPMP_TRYAGAIN)
		return false;
	memset(answer, 0, sizeof(*answer));
	answer->op = c->op;
	if (r < 0) {
		if (result_code == 0) {
			/* a receive error between our look and libnatpmp's read */
			c->config.dropped[PORTMAP_DROP_SHORT]++;
			return false;
		}
		answer->outcome = PORTMAP_REFUSED;
		answer->result_code = (int)result_code;
		snprintf(answer->error, sizeof(answer->error), "%s refused: %s (%u)",
			 c->pending_opcode == NATPMP_OP_MAP_UDP ? "mapping" : "public address",
			 result_name(result_code), result_code);
		return true;
	}
	answer->has_epoch = true;
	answer->epoch = response.epoch;
	if (response.type == NATPMP_RESPTYPE_PUBLICADDRESS) {
		memset(&c->public_address, 0, sizeof(c->public_address));
		c->public_address.family = AF_INET;
		memcpy(c->public_address.bytes, &response.pnu.publicaddress.addr, 4);
		if (c->op == PORTMAP_OP_MAP) {
			if (send_mapping(c, c->request.external_port, c->request.lifetime_s) < 0) {
				fail(answer, c->op, PORTMAP_LOCAL, "send failed");
				return true;
			}
			return false;
		}
		answer->outcome = PORTMAP_GRANTED;
		answer->external.addr = c->public_address;
		return true;
	}
	answer->outcome = PORTMAP_GRANTED;
	if (c->op == PORTMAP_OP_MAP) {
		answer->external.addr = c->public_address;
		answer->external.port = response.pnu.newportmapping.mappedpublicport;
		answer->lifetime_s = response.pnu.newportmapping.lifetime;
	}
	return true;
}

static bool
natpmp_client_poll(void *client, uint64_t now_ns, struct portmap_answer *answer)
{
	struct natpmp_client *c = client;
	int fd = c->natpmp.s;
	struct timeval left;

	(void)now_ns;
	for (;;) {
		uint8_t buf[NATPMP_MAP_REPLY_LEN + 4];
		enum portmap_drop why;
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_PEEK | MSG_TRUNC);

		if (n < 0) {
			if (errno == ECONNREFUSED) {
				c->refused_icmp = true;
				continue;
			}
			if (errno != EAGAIN && errno != EINTR)
				log_warn("portmap: natpmp: recv: %s", strerror(errno));
			break;
		}
		if (c->op == PORTMAP_OP_NONE || !c->natpmp.has_pending_request) {
			why = PORTMAP_DROP_UNSOLICITED;
		} else if ((size_t)n > sizeof(buf)) {
			why = PORTMAP_DROP_LENGTH;
		} else if (portmap_natpmp_check(buf, (size_t)n, c->pending_opcode,
						c->request.internal_port, &why)) {
			if (take_answer(c, (unsigned)(buf[2] << 8 | buf[3]), answer)) {
				c->op = PORTMAP_OP_NONE;
				return true;
			}
			continue;
		}
		c->config.dropped[why]++;
		(void)recv(fd, buf, sizeof(buf), 0); /* consume what was refused */
	}
	if (c->op == PORTMAP_OP_NONE)
		return false;
	if (getnatpmprequesttimeout(&c->natpmp, &left) != 0 ||
	    (left.tv_sec > 0 || (left.tv_sec == 0 && left.tv_usec > 0)))
		return false;
	if (c->natpmp.try_number >= PORTMAP_TRIES) {
		enum portmap_op op = c->op;

		c->op = PORTMAP_OP_NONE;
		fail(answer, op, PORTMAP_NO_ANSWER, "");
		portmap_no_answer_text(answer->error, sizeof(answer->error), &c->config.gateway,
				       NATPMP_PORT, (unsigned)c->natpmp.try_number, c->refused_icmp);
		return true;
	}
	/* the socket was just drained, so libnatpmp's read finds nothing and it resends */
	{
		natpmpresp_t response;
		int tries = c->natpmp.try_number;
		int r = readnatpmpresponseorretry(&c->natpmp, &response);

		if (r == NATPMP_TRYAGAIN || r == NATPMP_ERR_NOGATEWAYSUPPORT)
			return false; /* resent; or an ICMP error read (the next turn resends) */
		if (r == NATPMP_ERR_SENDERR) {
			if (errno == ECONNREFUSED) {
				c->refused_icmp = true;
				return false;
			}
			fail(answer, c->op, PORTMAP_LOCAL, "resend failed");
			c->op = PORTMAP_OP_NONE;
			return true;
		}
		/* a datagram slipped in between our look and libnatpmp's read and was read
		 * unchecked: not believed; the request goes out again, the tries counted on */
		c->config.dropped[PORTMAP_DROP_UNSOLICITED]++;
		if ((c->pending_opcode == NATPMP_OP_MAP_UDP
			     ? send_mapping(c, c->op == PORTMAP_OP_UNMAP ? 0 : c->request.external_port,
					    c->op == PORTMAP_OP_UNMAP ? 0 : c->request.lifetime_s)
			     : send_public_address(c)) < 0 && errno != ECONNREFUSED) {
			fail(answer, c->op, PORTMAP_LOCAL, "resend failed");
			c->op = PORTMAP_OP_NONE;
			return true;
		}
		c->natpmp.try_number = tries + 1;
	}
	return false;
}

static uint64_t
natpmp_client_deadline(const void *client, uint64_t now_ns)
{
	const struct natpmp_client *c = client;
	struct timeval left;
	int64_t left_ns;

	if (c->op == PORTMAP_OP_NONE ||
	    getnatpmprequesttimeout((natpmp_t *)&c->natpmp, &left) != 0)
		return 0;
	left_ns = (int64_t)left.tv_sec * 1000000000 + (int64_t)left.tv_usec * 1000;
	if (left_ns <= 0)
		return now_ns;
	/* round up a millisecond: libnatpmp's clock (gettimeofday) and the loop's differ */
	return now_ns + (uint64_t)left_ns + PORTMAP_NS_PER_MS;
}

const struct portmap_client_ops portmap_natpmp_ops = {
	.create = natpmp_client_create,
	.destroy = natpmp_client_destroy,
	.fd = natpmp_client_fd,
	.start = natpmp_client_start,
	.poll = natpmp_client_poll,
	.deadline = natpmp_client_deadline,
};
