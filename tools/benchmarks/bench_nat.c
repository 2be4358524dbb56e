/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench_nat: the exit NAT on one pinned core, as one worker's instance (worker 0 of W).
 *
 *   bench_nat [-c cpu] [-f flows] [-w workers] [-s]
 *
 * Figures, each the median of 5 segments:
 *  - translations/s of established flows (half UDP, half TCP in the established state), IPv4
 *    and IPv6, outbound and inbound, 64-byte and 1420-byte packets, through the burst functions
 *    and one call per packet; a segment is one pass over every flow in a shuffled order, in
 *    bursts of 32 as a worker holds them;
 *  - the owner lookup a receiving worker does for every inbound packet;
 *  - new session setup (UDP flows never seen before, in bursts, into a table that holds the
 *    established flows) and the expiry sweep that removes them again (nat_expire, 64 entries
 *    per call as a worker calls it).
 * Before each burst the packets' headers are copied into buffers from a pool (as fresh packets
 * arrive, already read by the stages before NAT); only the NAT calls are timed, with the cost of
 * reading the clock taken off. The table lives in 2 MB pages as the data plane's does (-s: 4 KB
 * pages). Checksums are updated incrementally, so payload bytes are never read: 1420-byte
 * packets cost what 64-byte ones do, apart from cache effects.
 *
 * The machine may be shared: a segment during which this thread did not have its core (thread
 * CPU time below 95% of wall time) is measured again, and the count of such repeats is printed.
 * A figure is meaningless if a translation fails, so any failure ends the program with an error.
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>

#include "nat.h"

enum {
	BURST = 32,
	POOL = 1024,       /* packet buffers, reused round robin like a mempool */
	HEADER_COPY = 64,  /* bytes of each packet that differ between flows */
	REPS = 5,
	MAX_ATTEMPTS = 4 * REPS, /* segments tried for REPS undisturbed ones */
	SIZES = 2,
	PEERS = 1000,
	BUFFER_SIZE = 1536,
	CAPACITY_PER_FLOWS = 5, /* the instance holds this many sessions per flow count */
};

static const uint32_t sizes[SIZES] = {64, 1420};

struct templates {
	uint8_t (*out)[HEADER_COPY]; /* per flow: the first bytes of its outbound packet */
	uint8_t (*in)[HEADER_COPY];  /* and of a reply to it */
	uint32_t *peer;
};

struct bench {
	struct nat *nat;
	uint32_t flows;
	uint32_t *order; /* a shuffled permutation of the flows */
	uint8_t *pool;   /* POOL buffers of BUFFER_SIZE, payload prefilled */
	unsigned int next_buffer;
	uint64_t clock_cost_ns;
	uint64_t rng;
	unsigned int disturbed;  /* segments measured again */
	unsigned int shared;     /* figures that never had the core to themselves */
};

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static uint64_t
cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int
compare_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), compare_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Around a measured stretch: how much of the time did this thread have its core? */
struct stretch {
	uint64_t wall;
	uint64_t cpu;
};

static struct stretch
stretch_begin(void)
{
	struct stretch st = {now_ns(), cpu_ns()};

	return st;
}

static double
stretch_share(struct stretch st)
{
	uint64_t cpu = cpu_ns() - st.cpu, wall = now_ns() - st.wall;

	return wall == 0 ? 1.0 : (double)cpu / (double)wall;
}

/* A measurement and the share of its time the core was ours. */
struct sample {
	double value[3];
	double share;
};

enum {
	UNDISTURBED_PERCENT = 95,
};

static bool
undisturbed(const struct sample *s)
{
	return s->share * 100 >= UNDISTURBED_PERCENT;
}

static int
compare_share(const void *a, const void *b)
{
	double x = ((const struct sample *)a)->share, y = ((const struct sample *)b)->share;

	return x > y ? -1 : x < y;
}

/*
 * The figure from samples (n of them, REPS or more): the median of the REPS undisturbed ones,
 * or, when the machine never left the core alone that long, of the REPS least disturbed (and
 * the figure is marked).
 */
static double
pick(struct sample *s, unsigned int n, unsigned int which, bool *marked)
{
	double v[REPS];
	unsigned int i;

	qsort(s, n, sizeof(*s), compare_share);
	*marked = !undisturbed(&s[REPS - 1]);
	for (i = 0; i < REPS; i++)
		v[i] = s[i].value[which];
	return median(v, REPS);
}

/* Keep measuring until REPS undisturbed samples or MAX_ATTEMPTS. */
static bool
enough(struct bench *b, const struct sample *s, unsigned int n)
{
	unsigned int i, clean = 0;

	for (i = 0; i < n; i++)
		clean += undisturbed(&s[i]);
	if (n > 0 && !undisturbed(&s[n - 1]))
		b->disturbed++;
	return clean >= REPS || n >= MAX_ATTEMPTS;
}

static uint32_t
rng_next(struct bench *b)
{
	b->rng ^= b->rng << 13;
	b->rng ^= b->rng >> 7;
	b->rng ^= b->rng << 17;
	return (uint32_t)(b->rng >> 16);
}

static void
die(const char *what)
{
	fprintf(stderr, "bench_nat: %s\n", what);
	exit(1);
}

static void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n, size);

	if (p == NULL)
		die("out of memory");
	return p;
}

/* ---- memory: 2 MB pages, as rte_zmalloc_socket gives the data plane ---- */

enum {
	HUGE_PAGE = 2 << 20,
};

struct huge_block {
	void *base;
	size_t size;
};

/* Transparent huge pages (madvise) over a 2 MB aligned mapping; without them every session and
 * index slot would cost a TLB miss too, which the data plane does not pay. */
static void *
huge_alloc(size_t size, size_t align, void *ctx)
{
	struct huge_block *block = ctx;
	uint8_t *p;

	(void)align;
	block->size = (size + 2 * HUGE_PAGE - 1) & ~(size_t)(HUGE_PAGE - 1);
	p = mmap(NULL, block->size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	block->base = p;
	p = (uint8_t *)(((uintptr_t)p + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1));
	if (madvise(p, size, MADV_HUGEPAGE) != 0)
		fprintf(stderr, "bench_nat: madvise(MADV_HUGEPAGE) failed: 4 KB pages\n");
	return p;
}

static void
huge_free(void *memory, void *ctx)
{
	struct huge_block *block = ctx;

	(void)memory;
	munmap(block->base, block->size);
}

/* ---- packets (checksums computed in full) ---- */

static uint16_t
checksum(const uint8_t *p, size_t len, uint32_t sum)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
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

/*
 * A UDP or TCP (ACK, or flags) packet of total bytes from src:sport to dst:dport (addresses of
 * 4 or 16 bytes) into buf; the payload is a fixed pattern.
 */
static void
build(uint8_t *buf, uint32_t total, bool v6, bool tcp, uint8_t flags, const uint8_t *src,
      uint16_t sport, const uint8_t *dst, uint16_t dport)
{
	size_t hlen = v6 ? 40 : 20, l4_len = total - hlen, i;
	uint8_t *l4 = buf + hlen;
	uint32_t pseudo = 0;

	memset(buf, 0, total);
	if (v6) {
		buf[0] = 0x60;
		put16(buf + 4, (uint16_t)l4_len);
		buf[6] = tcp ? IPPROTO_TCP : IPPROTO_UDP;
		buf[7] = 64;
		memcpy(buf + 8, src, 16);
		memcpy(buf + 24, dst, 16);
		for (i = 8; i < 40; i += 2)
			pseudo += get16(buf + i);
	} else {
		buf[0] = 0x45;
		put16(buf + 2, (uint16_t)total);
		buf[8] = 64;
		buf[9] = tcp ? IPPROTO_TCP : IPPROTO_UDP;
		memcpy(buf + 12, src, 4);
		memcpy(buf + 16, dst, 4);
		put16(buf + 10, checksum(buf, 20, 0));
		for (i = 12; i < 20; i += 2)
			pseudo += get16(buf + i);
	}
	pseudo += (tcp ? IPPROTO_TCP : IPPROTO_UDP) + (uint32_t)l4_len;
	put16(l4, sport);
	put16(l4 + 2, dport);
	for (i = tcp ? 20 : 8; i < l4_len; i++)
		l4[i] = (uint8_t)(i * 7 + 3);
	if (tcp) {
		put16(l4 + 4, 0x1111);
		l4[12] = 5 << 4;
		l4[13] = flags;
		put16(l4 + 14, 64240);
		put16(l4 + 16, checksum(l4, l4_len, pseudo));
	} else {
		put16(l4 + 4, (uint16_t)l4_len);
		put16(l4 + 6, checksum(l4, l4_len, pseudo));
	}
}

/* ---- flows ---- */

struct flow {
	bool v6;
	bool tcp;
	uint8_t inner[16];
	uint8_t remote[16];
	uint16_t inner_port;
	uint16_t remote_port;
	uint32_t peer;
};

static void
make_flow(struct bench *b, struct flow *f, bool v6, uint32_t i, uint8_t inner_net)
{
	uint32_t peer = i % PEERS, r = rng_next(b);

	memset(f, 0, sizeof(*f));
	f->v6 = v6;
	f->tcp = i % 2 == 1;
	f->peer = peer;
	/* the peer's tunnel address; ephemeral source ports as clients pick them */
	if (v6) {
		static const uint8_t inner6[16] = {0xfd, 0x7a, 0x11, 0x5c, 0xa1, 0xe0};
		static const uint8_t remote6[16] = {0x20, 0x01, 0x0d, 0xb8};

		memcpy(f->inner, inner6, 16);
		f->inner[13] = inner_net;
		f->inner[14] = (uint8_t)(peer >> 8);
		f->inner[15] = (uint8_t)peer;
		memcpy(f->remote, remote6, 16);
		memcpy(f->remote + 12, &r, 4);
	} else {
		f->inner[0] = 100;
		f->inner[1] = (uint8_t)(64 + inner_net);
		f->inner[2] = (uint8_t)(peer >> 8);
		f->inner[3] = (uint8_t)peer;
		f->remote[0] = 198;
		f->remote[1] = (uint8_t)(18 + (r & 1));
		f->remote[2] = (uint8_t)(r >> 8);
		f->remote[3] = (uint8_t)(r >> 16);
	}
	f->inner_port = (uint16_t)(32768 + (i / PEERS) % 28000);
	f->remote_port = f->tcp ? 443 : (uint16_t)(r % 3 == 0 ? 53 : 443);
}

static const uint8_t *
egress_of(bool v6)
{
	static uint8_t e4[4], e6[16];

	inet_pton(AF_INET, "203.0.113.1", e4);
	inet_pton(AF_INET6, "2001:db8:ffff::1", e6);
	return v6 ? e6 : e4;
}

static void
must(enum nat_result r, const char *what)
{
	if (r != NAT_OK) {
		fprintf(stderr, "bench_nat: %s: %s\n", what, nat_result_name(r));
		exit(1);
	}
}

/* Open every flow (TCP through its handshake) and keep the packets of each size. */
static void
open_flows(struct bench *b, bool v6, struct templates t[SIZES], uint64_t now)
{
	int family = v6 ? AF_INET6 : AF_INET;
	uint8_t pkt[BUFFER_SIZE];
	uint32_t i, peer;
	unsigned int s;

	for (s = 0; s < SIZES; s++) {
		t[s].out = xcalloc(b->flows, HEADER_COPY);
		t[s].in = xcalloc(b->flows, HEADER_COPY);
		t[s].peer = xcalloc(b->flows, sizeof(uint32_t));
	}
	for (i = 0; i < b->flows; i++) {
		struct flow f;
		uint16_t ext;

		make_flow(b, &f, v6, i, 0);
		build(pkt, 64, v6, f.tcp, 0x02, f.inner, f.inner_port, f.remote, f.remote_port);
		must(nat_outbound(b->nat, family, pkt, 64, f.peer, now), "opening a flow");
		ext = get16(pkt + (v6 ? 40 : 20));
		if (f.tcp) {
			build(pkt, 64, v6, true, 0x12, f.remote, f.remote_port, egress_of(v6), ext);
			must(nat_inbound(b->nat, family, pkt, 64, now, &peer), "SYN+ACK");
			build(pkt, 64, v6, true, 0x10, f.inner, f.inner_port, f.remote,
			      f.remote_port);
			must(nat_outbound(b->nat, family, pkt, 64, f.peer, now), "ACK");
		}
		for (s = 0; s < SIZES; s++) {
			build(pkt, sizes[s], v6, f.tcp, 0x10, f.inner, f.inner_port, f.remote,
			      f.remote_port);
			memcpy(t[s].out[i], pkt, HEADER_COPY);
			build(pkt, sizes[s], v6, f.tcp, 0x10, f.remote, f.remote_port,
			      egress_of(v6), ext);
			memcpy(t[s].in[i], pkt, HEADER_COPY);
			t[s].peer[i] = f.peer;
		}
	}
}

static void
free_templates(struct templates t[SIZES])
{
	unsigned int s;

	for (s = 0; s < SIZES; s++) {
		free(t[s].out);
		free(t[s].in);
		free(t[s].peer);
	}
}

/* Fill the pool with packets of one size (payload included), so a header copy makes each
 * buffer a whole packet. */
static void
fill_pool(struct bench *b, const uint8_t *whole, uint32_t size)
{
	unsigned int i;

	for (i = 0; i < POOL; i++)
		memcpy(b->pool + (size_t)i * BUFFER_SIZE, whole, size);
}

static uint8_t *
next_buffer(struct bench *b)
{
	uint8_t *p = b->pool + (size_t)b->next_buffer * BUFFER_SIZE;

	b->next_buffer = (b->next_buffer + 1) % POOL;
	return p;
}

static void
shuffle(struct bench *b)
{
	uint32_t i;

	for (i = b->flows - 1; i > 0; i--) {
		uint32_t j = rng_next(b) % (i + 1), tmp = b->order[i];

		b->order[i] = b->order[j];
		b->order[j] = tmp;
	}
}

enum measure {
	MEASURE_OUTBOUND,
	MEASURE_INBOUND,
	MEASURE_OWNER,
};

/* One pass over every flow; returns the nanoseconds spent in NAT calls. */
static uint64_t
segment(struct bench *b, const struct templates *t, bool v6, uint32_t size, enum measure what,
	bool burst_api, uint64_t now)
{
	int family = v6 ? AF_INET6 : AF_INET;
	struct nat_burst_packet pkts[BURST];
	uint64_t spent = 0;
	uint32_t done = 0, k;

	shuffle(b);
	while (done < b->flows) {
		uint32_t count = b->flows - done < BURST ? b->flows - done : BURST;
		uint64_t start;

		for (k = 0; k < count; k++) {
			uint32_t f = b->order[done + k];
			uint8_t *buf = next_buffer(b);

			memcpy(buf, what == MEASURE_OUTBOUND ? t->out[f] : t->in[f], HEADER_COPY);
			pkts[k] = (struct nat_burst_packet){buf, size, family, t->peer[f], NAT_OK};
		}
		start = now_ns();
		switch (what) {
		case MEASURE_OUTBOUND:
			if (burst_api) {
				if (nat_outbound_burst(b->nat, pkts, count, now) != count)
					die("an established flow did not translate out");
				break;
			}
			for (k = 0; k < count; k++)
				if (nat_outbound(b->nat, family, pkts[k].ip, size, pkts[k].peer_id,
						 now) != NAT_OK)
					die("an established flow did not translate out");
			break;
		case MEASURE_INBOUND:
			if (burst_api) {
				if (nat_inbound_burst(b->nat, pkts, count, now) != count)
					die("a reply did not translate back");
				break;
			}
			for (k = 0; k < count; k++) {
				uint32_t got;

				if (nat_inbound(b->nat, family, pkts[k].ip, size, now, &got) !=
				    NAT_OK)
					die("a reply did not translate back");
			}
			break;
		case MEASURE_OWNER:
			/* every flow was opened here: this worker owns every reply */
			for (k = 0; k < count; k++)
				if (nat_owner_of_packet(b->nat, family, pkts[k].ip, size) != 0)
					die("a reply named another worker");
			break;
		}
		spent += now_ns() - start - b->clock_cost_ns;
		/* the replies came back to the peers that opened the flows */
		for (k = 0; what == MEASURE_INBOUND && burst_api && k < count; k++)
			if (pkts[k].peer_id != t->peer[b->order[done + k]])
				die("a reply went to the wrong peer");
		done += count;
	}
	return spent;
}

static void
figure(struct bench *b, const struct templates *t, bool v6, unsigned int s, enum measure what,
       bool burst_api, uint64_t now)
{
	static const char *const names[] = {"outbound", "inbound", "owner lookup"};
	uint8_t whole[BUFFER_SIZE];
	struct sample samples[MAX_ATTEMPTS];
	unsigned int n = 0;
	double ns;
	bool marked;

	/* a whole packet of this size: payload bytes are the same in every template */
	build(whole, sizes[s], v6, false, 0, egress_of(v6), 1, egress_of(v6), 1);
	fill_pool(b, whole, sizes[s]);
	do {
		struct stretch st = stretch_begin();
		uint64_t spent = segment(b, t, v6, sizes[s], what, burst_api, now);

		samples[n].value[0] = (double)spent / b->flows;
		samples[n].share = stretch_share(st);
		n++;
	} while (!enough(b, samples, n));
	ns = pick(samples, n, 0, &marked);
	b->shared += marked;
	printf("  %-4s %-12s %-6s %4u B  %7.2f Mpps  %7.1f ns/packet%s\n", v6 ? "ipv6" : "ipv4",
	       names[what], what == MEASURE_OWNER ? "" : burst_api ? "burst" : "single", sizes[s],
	       1000.0 / ns, ns, marked ? " *" : "");
}

/* Flows that stay: TCP through its handshake to the established state. */
static void
open_established(struct bench *b, struct nat *n, bool v6, uint64_t now)
{
	int family = v6 ? AF_INET6 : AF_INET;
	uint8_t pkt[64];
	uint32_t i, peer;

	for (i = 0; i < b->flows; i++) {
		struct flow f;
		uint16_t ext;

		make_flow(b, &f, v6, 2 * i + 1, 0);
		build(pkt, 64, v6, true, 0x02, f.inner, f.inner_port, f.remote, f.remote_port);
		must(nat_outbound(n, family, pkt, 64, f.peer, now), "SYN");
		ext = get16(pkt + (v6 ? 40 : 20));
		build(pkt, 64, v6, true, 0x12, f.remote, f.remote_port, egress_of(v6), ext);
		must(nat_inbound(n, family, pkt, 64, now, &peer), "SYN+ACK");
		build(pkt, 64, v6, true, 0x10, f.inner, f.inner_port, f.remote, f.remote_port);
		must(nat_outbound(n, family, pkt, 64, f.peer, now), "ACK");
	}
}

/* One round of new UDP flows (another tunnel subnet each round: every flow is new) in bursts;
 * returns the nanoseconds spent in NAT calls. */
static uint64_t
new_flows(struct bench *b, struct nat *n, bool v6, uint8_t round, uint8_t (*pkts)[64],
	  uint32_t *peers, uint64_t now)
{
	int family = v6 ? AF_INET6 : AF_INET;
	struct nat_burst_packet burst[BURST];
	uint32_t done = 0, i, k;
	uint64_t spent = 0;

	for (i = 0; i < b->flows; i++) {
		struct flow f;

		make_flow(b, &f, v6, 2 * i, round);
		build(pkts[i], 64, v6, false, 0, f.inner, f.inner_port, f.remote, f.remote_port);
		peers[i] = f.peer;
	}
	while (done < b->flows) {
		uint32_t count = b->flows - done < BURST ? b->flows - done : BURST;
		uint64_t start;

		for (k = 0; k < count; k++) {
			uint8_t *buf = next_buffer(b);

			memcpy(buf, pkts[done + k], 64);
			burst[k] = (struct nat_burst_packet){buf, 64, family, peers[done + k],
							     NAT_OK};
		}
		start = now_ns();
		if (nat_outbound_burst(n, burst, count, now) != count)
			die("a new flow did not get a session");
		spent += now_ns() - start - b->clock_cost_ns;
		done += count;
	}
	return spent;
}

/*
 * New sessions and their expiry, in a table that holds flows-per-family established TCP
 * sessions: each round opens flows new UDP flows per family, then lets them time out and
 * sweeps them away; the established ones stay (their timeout is two hours).
 */
static void
setup_and_sweep_figures(struct bench *b, const struct nat_config *c,
			const struct nat_allocator *allocator, uint64_t t0)
{
	uint8_t (*pkts)[64] = xcalloc(b->flows, 64);
	uint32_t *peers = xcalloc(b->flows, sizeof(uint32_t));
	struct sample samples[MAX_ATTEMPTS];
	unsigned int n = 0, v6;
	double value[3];
	bool marked;
	struct nat *nat = nat_create(c, allocator);
	uint32_t established;

	if (nat == NULL)
		die("nat_create failed");
	open_established(b, nat, false, t0);
	open_established(b, nat, true, t0);
	established = nat_session_count(nat);
	do {
		/* 200 s apart: each round's flows (120 s) are gone before the next */
		uint64_t now = t0 + (n + 1) * 200ULL * 1000000000ULL, spent[2], start;
		uint32_t removed = 0;
		struct stretch st = stretch_begin();

		for (v6 = 0; v6 < 2; v6++)
			spent[v6] = new_flows(b, nat, v6, (uint8_t)(1 + n % 60), pkts, peers, now);
		if (nat_session_count(nat) != established + 2 * b->flows)
			die("new flows did not all create sessions");
		start = now_ns();
		while (nat_session_count(nat) > established)
			removed += nat_expire(nat, now + 121ULL * 1000000000ULL, 64);
		start = now_ns() - start;
		if (removed != 2 * b->flows)
			die("the sweep removed something else");
		for (v6 = 0; v6 < 2; v6++)
			samples[n].value[v6] = (double)spent[v6] / b->flows;
		samples[n].value[2] = (double)start / removed;
		samples[n].share = stretch_share(st);
		n++;
	} while (!enough(b, samples, n));
	/* pick sorts the samples, so all three values are taken from the same ones */
	value[0] = pick(samples, n, 0, &marked);
	value[1] = pick(samples, n, 1, &marked);
	value[2] = pick(samples, n, 2, &marked);
	b->shared += marked;
	for (v6 = 0; v6 < 2; v6++)
		printf("  %-4s new sessions (burst)       %7.2f M/s   %7.1f ns/session "
		       "(table %u of %u)%s\n", v6 ? "ipv6" : "ipv4", 1000.0 / value[v6], value[v6],
		       established + (1 + v6) * b->flows, nat_capacity(nat), marked ? " *" : "");
	printf("  expiry sweep                    %7.2f M/s   %7.1f ns/session removed, 64 "
	       "entries per call%s\n", 1000.0 / value[2], value[2], marked ? " *" : "");
	nat_destroy(nat);
	free(pkts);
	free(peers);
}

static void
cpu_model(char *buf, size_t size)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[256];

	snprintf(buf, size, "unknown");
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		char *colon = strchr(line, ':');

		if (strncmp(line, "model name", 10) == 0 && colon != NULL) {
			snprintf(buf, size, "%s", colon + 2);
			buf[strcspn(buf, "\n")] = 0;
			break;
		}
	}
	fclose(f);
}

static int
default_cpu(void)
{
	cpu_set_t set;
	int cpu, last = 0;

	if (sched_getaffinity(0, sizeof(set), &set) != 0)
		return 0;
	for (cpu = 0; cpu < CPU_SETSIZE; cpu++)
		if (CPU_ISSET(cpu, &set))
			last = cpu;
	return last;
}

static uint64_t
measure_clock_cost(void)
{
	uint64_t best = UINT64_MAX;
	int i;

	for (i = 0; i < 1000; i++) {
		uint64_t a = now_ns(), c = now_ns();

		if (c - a < best)
			best = c - a;
	}
	return best;
}

static void
usage(void)
{
	fprintf(stderr, "usage: bench_nat [-c cpu] [-f flows] [-w workers] [-s (small pages)]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	static const uint16_t reserved[] = {41641};
	struct templates t4[SIZES], t6[SIZES];
	struct huge_block block = {NULL, 0};
	struct nat_allocator huge = {huge_alloc, huge_free, &block};
	bool small_pages = false;
	struct nat_config c;
	struct bench b;
	cpu_set_t set;
	char model[128];
	int cpu = default_cpu(), opt, burst_api;
	unsigned int workers = 2, s;
	uint64_t now;
	uint32_t i;

	memset(&b, 0, sizeof(b));
	b.flows = 100000;
	while ((opt = getopt(argc, argv, "c:f:sw:")) != -1) {
		switch (opt) {
		case 'c':
			cpu = atoi(optarg);
			break;
		case 'f':
			b.flows = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case 's':
			small_pages = true;
			break;
		case 'w':
			workers = (unsigned int)strtoul(optarg, NULL, 10);
			break;
		default:
			usage();
		}
	}
	if (b.flows < BURST || b.flows > NAT_MAX_SESSIONS / CAPACITY_PER_FLOWS || workers == 0 ||
	    workers > 64)
		usage();
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) != 0)
		die("cannot pin to that cpu");

	memset(&c, 0, sizeof(c));
	c.port_min = 1024;
	c.port_max = 65535;
	c.worker = 0;
	c.workers = workers;
	c.egress_ipv4.family = AF_INET;
	memcpy(c.egress_ipv4.bytes, egress_of(false), 4);
	c.egress_ipv6.family = AF_INET6;
	memcpy(c.egress_ipv6.bytes, egress_of(true), 16);
	c.timeouts = (struct nat_timeouts){7200, 240, 120, 30};
	c.sessions = CAPACITY_PER_FLOWS * b.flows * workers;
	c.sessions_per_peer = c.sessions;
	c.reserved_ports = reserved;
	c.reserved_port_count = 1;
	b.nat = nat_create(&c, small_pages ? NULL : &huge);
	if (b.nat == NULL)
		die("nat_create failed");
	b.order = xcalloc(b.flows, sizeof(uint32_t));
	for (i = 0; i < b.flows; i++)
		b.order[i] = i;
	b.pool = xcalloc(POOL, BUFFER_SIZE);
	b.rng = 0x9e3779b97f4a7c15ULL;
	b.clock_cost_ns = measure_clock_cost();

	cpu_model(model, sizeof(model));
	printf("bench_nat: %s, cpu %d, worker 0 of %u, %u flows per family (half UDP, half TCP "
	       "established) from %u peers, table of %u sessions in %s pages, bursts of %u, "
	       "median of %u\n", model, cpu, workers, b.flows, PEERS, nat_capacity(b.nat),
	       small_pages ? "4 KB" : "2 MB", BURST, REPS);
	now = now_ns();
	open_flows(&b, false, t4, now);
	open_flows(&b, true, t6, now);
	for (s = 0; s < SIZES; s++) {
		for (burst_api = 1; burst_api >= 0; burst_api--) {
			figure(&b, &t4[s], false, s, MEASURE_OUTBOUND, burst_api, now);
			figure(&b, &t4[s], false, s, MEASURE_INBOUND, burst_api, now);
			figure(&b, &t6[s], true, s, MEASURE_OUTBOUND, burst_api, now);
			figure(&b, &t6[s], true, s, MEASURE_INBOUND, burst_api, now);
		}
	}
	figure(&b, &t4[0], false, 0, MEASURE_OWNER, false, now);
	figure(&b, &t6[0], true, 0, MEASURE_OWNER, false, now);
	free_templates(t4);
	free_templates(t6);
	nat_destroy(b.nat);
	setup_and_sweep_figures(&b, &c, small_pages ? NULL : &huge, now);
	printf("  (%u segments measured again: the core was taken away during them)\n",
	       b.disturbed);
	if (b.shared > 0)
		printf("  (*: the core was shared during every try; from the %u least disturbed)\n",
		       REPS);

	free(b.order);
	free(b.pool);
	return 0;
}
