/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The UPnP IGD client, on libminiupnpc. Its calls block (SSDP discovery waits, SOAP is HTTP), so
 * they run on one helper thread owned by this client; the loop side only queues requests and
 * reads results.
 *
 * Concurrency: the loop thread and the helper share one struct upnp_shared, guarded by its mutex:
 * a bounded queue of jobs (loop -> helper, condition variable) and a bounded queue of results
 * (helper -> loop, an eventfd the loop polls). Nothing else is shared: the IGD's URLs and the
 * mapping the helper made are the helper's alone, the port mapper's state is the loop's alone.
 * The shared block is reference counted, so that a helper stuck in a slow HTTP exchange at
 * shutdown can be left to finish on its own (detached) without touching freed memory; the
 * eventfd is closed with the last reference, never under a helper still writing to it.
 *
 * Discovery is bounded (PORTMAP_UPNP_DISCOVERY_MS), sent from the public port's address
 * (upnpDiscover's multicastif) and never asks minissdpd (its socket path ""). Only an IGD whose
 * description and control URL are on the gateway's address is believed.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <miniupnpc/miniupnpc.h>
#include <miniupnpc/upnpcommands.h>
#include <miniupnpc/upnperrors.h>

#include "log.h"
#include "portmap_check.h"
#include "portmap_client.h"
#include "portmap_schedule.h"

enum {
	UPNP_QUEUE = 4, /* the owner has one operation out at a time; room for a stale one too */
	UPNP_ERROR_NO_SUCH_ENTRY = 714,
	UPNP_ERROR_CONFLICT = 718,
	UPNP_ERROR_ONLY_PERMANENT = 725,
	UPNP_SSDP_TTL = 2, /* miniupnpc's recommended default; the gateway is one hop away */
};

static const char mapping_description[] = "exitgate";
static const char *const igd_types[] = {
	"urn:schemas-upnp-org:device:InternetGatewayDevice:2",
	"urn:schemas-upnp-org:device:InternetGatewayDevice:1",
	NULL,
};

struct upnp_job {
	uint32_t generation;
	struct portmap_request request;
};

struct upnp_result {
	uint32_t generation;
	struct portmap_answer answer;
	uint32_t dropped[PORTMAP_DROPS];
};

struct upnp_shared {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	atomic_int refs;
	bool stop;
	struct upnp_job jobs[UPNP_QUEUE];
	unsigned job_head, job_count;
	struct upnp_result results[UPNP_QUEUE];
	unsigned result_head, result_count;
	int event_fd;
	/* read-only after creation */
	struct netaddr local, gateway;
	char local_text[NETADDR_TEXT_MAX];
};

/* The helper's own state: never touched by the loop. */
struct upnp_helper {
	struct upnp_shared *shared;
	bool have_igd;
	struct UPNPUrls urls;
	struct IGDdatas data;
	struct netaddr external; /* from GetExternalIPAddress */
	uint16_t held_port;      /* a mapping this helper made and has not deleted (0 = none) */
	uint16_t held_internal;
	uint32_t dropped[PORTMAP_DROPS];
};

struct upnp_client {
	struct portmap_client_config config;
	struct upnp_shared *shared;
	pthread_t thread;
	enum portmap_op op;
	uint32_t generation;
	uint64_t give_up_ns;
};

static void
shared_release(struct upnp_shared *s)
{
	if (atomic_fetch_sub(&s->refs, 1) != 1)
		return;
	close(s->event_fd);
	pthread_cond_destroy(&s->wake);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

/* ---- the helper thread: every libminiupnpc call is here ---- */

static void
answer_set(struct portmap_answer *a, enum portmap_outcome outcome, int code, const char *fmt,
	   ...) __attribute__((format(printf, 4, 5)));

static void
answer_set(struct portmap_answer *a, enum portmap_outcome outcome, int code, const char *fmt, ...)
{
	va_list ap;

	a->outcome = outcome;
	a->result_code = code;
	va_start(ap, fmt);
	vsnprintf(a->error, sizeof(a->error), fmt, ap);
	va_end(ap);
}

static const char *
upnp_error_text(int code)
{
	const char *text = strupnperror(code);

	return text != NULL ? text : "error";
}

static void
forget_igd(struct upnp_helper *h)
{
	if (h->have_igd)
		FreeUPNPUrls(&h->urls);
	h->have_igd = false;
	memset(&h->urls, 0, sizeof(h->urls));
	memset(&h->external, 0, sizeof(h->external));
}

/* Keep only devices whose description is on the gateway; count and free the others. */
static struct UPNPDev *
keep_gateway_devices(struct upnp_helper *h, struct UPNPDev *list, unsigned *foreign)
{
	struct UPNPDev *kept = NULL, **tail = &kept, *next;

	*foreign = 0;
	for (struct UPNPDev *d = list; d != NULL; d = next) {
		next = d->pNext;
		d->pNext = NULL;
		if (d->descURL != NULL && portmap_url_on_host(d->descURL, &h->shared->gateway)) {
			*tail = d;
			tail = &d->pNext;
		} else {
			h->dropped[PORTMAP_DROP_SSDP_FOREIGN]++;
			(*foreign)++;
			free(d); /* one allocation per device: what freeUPNPDevlist does for each */
		}
	}
	return kept;
}

static int
read_external_address(struct upnp_helper *h, struct portmap_answer *a)
{
	char text[40] = "";
	const char *why;
	int r;

	r = UPNP_GetExternalIPAddress(h->urls.controlURL, h->data.first.servicetype, text);
	if (r != UPNPCOMMAND_SUCCESS) {
		answer_set(a, r > 0 ? PORTMAP_REFUSED : PORTMAP_NO_ANSWER, r,
			   "GetExternalIPAddress: %d %s", r, upnp_error_text(r));
		return -1;
	}
	text[sizeof(text) - 1] = '\0';
	if (netaddr_parse(text, &h->external, &why) != 0) {
		h->dropped[PORTMAP_DROP_IGD_INVALID]++;
		answer_set(a, PORTMAP_REFUSED, UPNPCOMMAND_INVALID_RESPONSE,
			   "external address unreadable");
		return -1;
	}
	return 0;
}

/* Find the gateway's IGD (SSDP, description, status) unless known. 0, or -1 with *a set. */
static int
ensure_igd(struct upnp_helper *h, struct portmap_answer *a)
{
	struct UPNPDev *devices;
	char lan_address[64] = "";
	unsigned foreign;
	int error = 0, r;

	if (h->have_igd)
		return 0;
	/* all types searched at once, one wait (searchalltypes): upnpDiscover would wait the
	 * delay once per type it tries, four times over when nothing answers */
	devices = upnpDiscoverDevices(igd_types, PORTMAP_UPNP_DISCOVERY_MS, h->shared->local_text,
				      "", UPNP_LOCAL_PORT_ANY, 0, UPNP_SSDP_TTL, &error, 1);
	devices = keep_gateway_devices(h, devices, &foreign);
	if (devices == NULL) {
		if (foreign > 0)
			answer_set(a, PORTMAP_NO_ANSWER, 0,
				   "SSDP: %u answers, none from the gateway", foreign);
		else if (error != UPNPDISCOVER_SUCCESS)
			answer_set(a, PORTMAP_LOCAL, error, "SSDP discovery failed (%d)", error);
		else
			answer_set(a, PORTMAP_NO_ANSWER, 0, "no IGD answered SSDP in %d ms",
				   PORTMAP_UPNP_DISCOVERY_MS);
		return -1;
	}
	memset(&h->urls, 0, sizeof(h->urls));
	memset(&h->data, 0, sizeof(h->data));
	r = UPNP_GetValidIGD(devices, &h->urls, &h->data, lan_address, sizeof(lan_address));
	freeUPNPDevlist(devices);
	if (r != 1 && r != 2) {
		if (r != 0)
			FreeUPNPUrls(&h->urls);
		h->dropped[PORTMAP_DROP_IGD_INVALID]++;
		answer_set(a, PORTMAP_NO_ANSWER, 0, "no valid IGD in the gateway's description");
		return -1;
	}
	h->have_igd = true;
	if (h->urls.controlURL == NULL || h->urls.controlURL[0] == '\0' ||
	    !portmap_url_on_host(h->urls.controlURL, &h->shared->gateway)) {
		/* a description on the gateway naming a control point elsewhere */
		h->dropped[PORTMAP_DROP_IGD_INVALID]++;
		forget_igd(h);
		answer_set(a, PORTMAP_NO_ANSWER, 0, "IGD control URL not on the gateway");
		return -1;
	}
	if (read_external_address(h, a) != 0) {
		forget_igd(h);
		return -1;
	}
	return 0;
}

/* A SOAP failure that says "the IGD is not where it was" (connection refused, HTTP error, an
 * unreadable answer): the cached IGD goes and is looked for again once. */
static bool
transport_failure(int r)
{
	return r == UPNPCOMMAND_HTTP_ERROR || r == UPNPCOMMAND_INVALID_RESPONSE ||
	       r == UPNPCOMMAND_UNKNOWN_ERROR;
}

static int
add_mapping(struct upnp_helper *h, uint16_t external, uint16_t internal, uint32_t lifetime_s,
	    uint16_t *granted)
{
	char ext[8], in[8], lease[12], reserved[8] = "";
	int r;

	snprintf(ext, sizeof(ext), "%u", external);
	snprintf(in, sizeof(in), "%u", internal);
	snprintf(lease, sizeof(lease), "%u", lifetime_s);
	r = UPNP_AddPortMapping(h->urls.controlURL, h->data.first.servicetype, ext, in,
				h->shared->local_text, mapping_description, "UDP", NULL, lease);
	if (r == UPNP_ERROR_CONFLICT) {
		/* someone else holds that port: IGD:2's AddAnyPortMapping lets the gateway pick */
		r = UPNP_AddAnyPortMapping(h->urls.controlURL, h->data.first.servicetype, ext, in,
					   h->shared->local_text, mapping_description, "UDP",
					   NULL, lease, reserved);
		if (r == UPNPCOMMAND_SUCCESS) {
			unsigned long port = strtoul(reserved, NULL, 10);

			if (port == 0 || port > 65535) {
				h->dropped[PORTMAP_DROP_IGD_INVALID]++;
				return UPNPCOMMAND_INVALID_RESPONSE;
			}
			*granted = (uint16_t)port;
			return r;
		}
		return UPNP_ERROR_CONFLICT;
	}
	if (r == UPNPCOMMAND_SUCCESS)
		*granted = external;
	return r;
}

/* The lease the gateway really holds for the entry (some clamp what was asked). */
static int
read_entry(struct upnp_helper *h, uint16_t external, uint16_t internal, uint32_t *lease_s)
{
	char ext[8], client[40] = "", port[8] = "", desc[80], enabled[8], lease[16] = "";
	struct netaddr holder;
	const char *why;
	int r;

	snprintf(ext, sizeof(ext), "%u", external);
	r = UPNP_GetSpecificPortMappingEntry(h->urls.controlURL, h->data.first.servicetype, ext,
					     "UDP", NULL, client, port, desc, enabled, lease);
	if (r != UPNPCOMMAND_SUCCESS)
		return r;
	client[sizeof(client) - 1] = '\0';
	if (netaddr_parse(client, &holder, &why) != 0 ||
	    !netaddr_equal(&holder, &h->shared->local) || strtoul(port, NULL, 10) != internal)
		return UPNP_ERROR_NO_SUCH_ENTRY; /* the port forwards to someone else now */
	if (lease_s != NULL)
		*lease_s = (uint32_t)strtoul(lease, NULL, 10);
	return UPNPCOMMAND_SUCCESS;
}

static void
job_probe(struct upnp_helper *h, struct portmap_answer *a)
{
	forget_igd(h); /* a probe looks again: the gateway may have restarted or moved ports */
	if (ensure_igd(h, a) != 0)
		return;
	a->outcome = PORTMAP_GRANTED;
	a->external.addr = h->external;
}

static void
job_check(struct upnp_helper *h, const struct portmap_request *q, struct portmap_answer *a)
{
	int r;

	for (int attempt = 0; attempt < 2; attempt++) {
		if (ensure_igd(h, a) != 0)
			return;
		r = read_entry(h, q->external_port, q->internal_port, NULL);
		if (transport_failure(r) && attempt == 0) {
			forget_igd(h);
			continue;
		}
		if (r == UPNPCOMMAND_SUCCESS) {
			/* the address again too: a WAN lease may have changed it */
			if (read_external_address(h, a) != 0)
				return;
			a->outcome = PORTMAP_GRANTED;
			a->external.addr = h->external;
			a->external.port = q->external_port;
		} else if (r > 0) {
			answer_set(a, PORTMAP_REFUSED, r, "entry %u: %d %s", q->external_port, r,
				   upnp_error_text(r));
		} else {
			forget_igd(h);
			answer_set(a, PORTMAP_NO_ANSWER, r, "IGD unreachable (%d)", r);
		}
		return;
	}
}

static void
job_map(struct upnp_helper *h, const struct portmap_request *q, struct portmap_answer *a)
{
	uint16_t external = q->external_port != 0 ? q->external_port : q->internal_port;
	uint32_t lifetime = q->lifetime_s, lease = 0;
	uint16_t granted = 0;
	int r = UPNPCOMMAND_UNKNOWN_ERROR;

	/* ports below 1024 are refused by many IGDs (and miniupnpd's default rules) */
	if (external < 1024)
		external = (uint16_t)(external + 1024);
	for (int attempt = 0; attempt < 2; attempt++) {
		if (ensure_igd(h, a) != 0)
			return;
		r = add_mapping(h, external, q->internal_port, lifetime, &granted);
		if (r == UPNP_ERROR_ONLY_PERMANENT && lifetime != 0) {
			lifetime = 0; /* kept until deleted: destroy deletes it */
			r = add_mapping(h, external, q->internal_port, 0, &granted);
		}
		if (transport_failure(r) && attempt == 0) {
			forget_igd(h);
			continue;
		}
		break;
	}
	if (r != UPNPCOMMAND_SUCCESS) {
		if (transport_failure(r))
			forget_igd(h);
		answer_set(a, r > 0 ? PORTMAP_REFUSED : PORTMAP_NO_ANSWER, r,
			   "AddPortMapping %u: %d %s", external, r, upnp_error_text(r));
		return;
	}
	h->held_port = granted;
	h->held_internal = q->internal_port;
	if (lifetime != 0 && read_entry(h, granted, q->internal_port, &lease) == 0 && lease > 0 &&
	    lease < lifetime)
		lifetime = lease;
	a->outcome = PORTMAP_GRANTED;
	a->external.addr = h->external;
	a->external.port = granted;
	a->lifetime_s = lifetime;
}

static int
delete_mapping(struct upnp_helper *h, uint16_t external)
{
	char ext[8];

	snprintf(ext, sizeof(ext), "%u", external);
	return UPNP_DeletePortMapping(h->urls.controlURL, h->data.first.servicetype, ext, "UDP",
				      NULL);
}

static void
job_unmap(struct upnp_helper *h, const struct portmap_request *q, struct portmap_answer *a)
{
	int r;

	if (ensure_igd(h, a) != 0)
		return;
	r = delete_mapping(h, q->external_port);
	if (r == UPNPCOMMAND_SUCCESS || r == UPNP_ERROR_NO_SUCH_ENTRY) {
		if (h->held_port == q->external_port)
			h->held_port = 0;
		a->outcome = PORTMAP_GRANTED;
		return;
	}
	answer_set(a, r > 0 ? PORTMAP_REFUSED : PORTMAP_NO_ANSWER, r, "DeletePortMapping %u: %d %s",
		   q->external_port, r, upnp_error_text(r));
}

static void
post_result(struct upnp_helper *h, uint32_t generation, const struct portmap_answer *a)
{
	struct upnp_shared *s = h->shared;
	struct upnp_result *slot;
	uint64_t one = 1;

	pthread_mutex_lock(&s->lock);
	if (s->result_count == UPNP_QUEUE) {
		/* the loop stopped reading: the oldest result is the least useful */
		s->result_head = (s->result_head + 1) % UPNP_QUEUE;
		s->result_count--;
	}
	slot = &s->results[(s->result_head + s->result_count) % UPNP_QUEUE];
	slot->generation = generation;
	slot->answer = *a;
	memcpy(slot->dropped, h->dropped, sizeof(slot->dropped));
	memset(h->dropped, 0, sizeof(h->dropped));
	s->result_count++;
	pthread_mutex_unlock(&s->lock);
	/* fails only when the counter is saturated, that is when nobody reads */
	(void)!write(s->event_fd, &one, sizeof(one));
}

static void *
helper_main(void *arg)
{
	struct upnp_helper h = {.shared = arg};
	struct upnp_shared *s = h.shared;

	for (;;) {
		struct upnp_job job;
		struct portmap_answer answer;

		pthread_mutex_lock(&s->lock);
		while (!s->stop && s->job_count == 0)
			pthread_cond_wait(&s->wake, &s->lock);
		if (s->stop) {
			pthread_mutex_unlock(&s->lock);
			break;
		}
		job = s->jobs[s->job_head];
		s->job_head = (s->job_head + 1) % UPNP_QUEUE;
		s->job_count--;
		pthread_mutex_unlock(&s->lock);

		memset(&answer, 0, sizeof(answer));
		answer.op = job.request.op;
		switch (job.request.op) {
		case PORTMAP_OP_PROBE:
			job_probe(&h, &answer);
			break;
		case PORTMAP_OP_CHECK:
			job_check(&h, &job.request, &answer);
			break;
		case PORTMAP_OP_MAP:
			job_map(&h, &job.request, &answer);
			break;
		case PORTMAP_OP_UNMAP:
			job_unmap(&h, &job.request, &answer);
			break;
		default:
			answer_set(&answer, PORTMAP_LOCAL, 0, "unknown operation");
			break;
		}
		post_result(&h, job.generation, &answer);
	}
	/* a mapping made after the owner stopped waiting (a slow grant at shutdown) */
	if (h.held_port != 0 && h.have_igd)
		(void)delete_mapping(&h, h.held_port);
	forget_igd(&h);
	shared_release(s);
	return NULL;
}

/* ---- the loop side ---- */

static void *
upnp_client_create(const struct portmap_client_config *config)
{
	struct upnp_client *c;
	struct upnp_shared *s;
	sigset_t all, old;
	int r;

	if (config->local.family != AF_INET || config->gateway.family != AF_INET) {
		log_warn("portmap: upnp: needs an IPv4 gateway and address");
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	s = calloc(1, sizeof(*s));
	if (c == NULL || s == NULL)
		goto fail_alloc;
	c->config = *config;
	s->local = config->local;
	s->gateway = config->gateway;
	netaddr_format(&config->local, s->local_text, sizeof(s->local_text));
	s->event_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (s->event_fd < 0) {
		log_warn("portmap: upnp: eventfd: %s", strerror(errno));
		goto fail_alloc;
	}
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->wake, NULL);
	atomic_init(&s->refs, 2); /* the loop's and the helper's */
	/* the helper takes no signals: they are the loop's (signalfd) */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = pthread_create(&c->thread, NULL, helper_main, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r != 0) {
		log_warn("portmap: upnp: pthread_create: %s", strerror(r));
		atomic_store(&s->refs, 1);
		shared_release(s);
		free(c);
		return NULL;
	}
	c->shared = s;
	return c;

fail_alloc:
	free(s);
	free(c);
	return NULL;
}

static void
upnp_client_destroy(void *client)
{
	struct upnp_client *c = client;
	struct upnp_shared *s;
	struct timespec until;
	int r;

	if (c == NULL)
		return;
	s = c->shared;
	pthread_mutex_lock(&s->lock);
	s->stop = true;
	pthread_cond_signal(&s->wake);
	pthread_mutex_unlock(&s->lock);
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += PORTMAP_UPNP_RELEASE_MS / 1000;
	until.tv_nsec += (long)(PORTMAP_UPNP_RELEASE_MS % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	r = pthread_timedjoin_np(c->thread, NULL, &until);
	if (r != 0) {
		/* stuck in an HTTP exchange with a slow IGD: it ends on miniupnpc's timeouts
		 * and frees the shared block itself */
		log_warn("portmap: upnp: helper still busy after %d ms, left to finish",
			 PORTMAP_UPNP_RELEASE_MS);
		pthread_detach(c->thread);
	}
	shared_release(s);
	free(c);
}

static int
upnp_client_fd(const void *client)
{
	return ((const struct upnp_client *)client)->shared->event_fd;
}

static int
upnp_client_start(void *client, const struct portmap_request *request, uint64_t now_ns,
		  struct portmap_answer *answer)
{
	struct upnp_client *c = client;
	struct upnp_shared *s = c->shared;

	pthread_mutex_lock(&s->lock);
	if (s->job_count == UPNP_QUEUE) {
		pthread_mutex_unlock(&s->lock);
		memset(answer, 0, sizeof(*answer));
		answer->op = request->op;
		answer->outcome = PORTMAP_LOCAL;
		snprintf(answer->error, sizeof(answer->error), "UPnP helper queue full");
		return -1;
	}
	c->generation++;
	s->jobs[(s->job_head + s->job_count) % UPNP_QUEUE] =
		(struct upnp_job){.generation = c->generation, .request = *request};
	s->job_count++;
	pthread_cond_signal(&s->wake);
	pthread_mutex_unlock(&s->lock);
	c->op = request->op;
	c->give_up_ns = now_ns + PORTMAP_UPNP_OPERATION_S * PORTMAP_NS_PER_S;
	return 0;
}

static bool
upnp_client_poll(void *client, uint64_t now_ns, struct portmap_answer *answer)
{
	struct upnp_client *c = client;
	struct upnp_shared *s = c->shared;
	bool ended = false, more;
	uint64_t count;

	if (read(s->event_fd, &count, sizeof(count)) < 0 && errno != EAGAIN)
		log_warn("portmap: upnp: eventfd read: %s", strerror(errno));
	pthread_mutex_lock(&s->lock);
	while (s->result_count > 0 && !ended) {
		struct upnp_result *r = &s->results[s->result_head];

		for (int i = 0; i < PORTMAP_DROPS; i++)
			c->config.dropped[i] += r->dropped[i];
		/* a result of an operation the owner gave up on is stale */
		if (c->op != PORTMAP_OP_NONE && r->generation == c->generation) {
			*answer = r->answer;
			ended = true;
		}
		s->result_head = (s->result_head + 1) % UPNP_QUEUE;
		s->result_count--;
	}
	more = s->result_count > 0;
	pthread_mutex_unlock(&s->lock);
	if (ended) {
		c->op = PORTMAP_OP_NONE;
		/* more results may wait: make sure the loop looks again */
		if (more) {
			uint64_t one = 1;

			(void)!write(s->event_fd, &one, sizeof(one));
		}
		return true;
	}
	if (c->op != PORTMAP_OP_NONE && now_ns >= c->give_up_ns) {
		memset(answer, 0, sizeof(*answer));
		answer->op = c->op;
		answer->outcome = PORTMAP_NO_ANSWER;
		snprintf(answer->error, sizeof(answer->error), "IGD did not finish in %d s",
			 PORTMAP_UPNP_OPERATION_S);
		c->op = PORTMAP_OP_NONE;
		return true;
	}
	return false;
}

static uint64_t
upnp_client_deadline(const void *client, uint64_t now_ns)
{
	const struct upnp_client *c = client;

	(void)now_ns;
	return c->op == PORTMAP_OP_NONE ? 0 : c->give_up_ns;
}

const struct portmap_client_ops portmap_upnp_ops = {
	.create = upnp_client_create,
	.destroy = upnp_client_destroy,
	.fd = upnp_client_fd,
	.start = upnp_client_start,
	.poll = upnp_client_poll,
	.deadline = upnp_client_deadline,
};
