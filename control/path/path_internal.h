/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The state of control/path, shared by its files: path.c (the owner: keys, peers, packets in,
 * the timer), peer_path.c (one peer's candidates, pings, trust and route), netcheck.c (the STUN
 * client, the node's endpoints and the netcheck report), why.c (the diagnosis). Not for use
 * outside control/path.
 */
#ifndef EXITGATE_PATH_INTERNAL_H
#define EXITGATE_PATH_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "disco.h"
#include "keymap.h"
#include "path.h"
#include "portmap.h"
#include "stun.h"

/* Counters of path stats; drops by reason first (they are what `stats` is read for). */
#define PATH_COUNTERS(X) \
	X(disco_rx_udp, "disco messages taken from the listen port") \
	X(disco_rx_derp, "disco messages taken from the relay") \
	X(disco_tx_udp, "disco messages sent from the listen port") \
	X(disco_tx_derp, "disco messages sent through the relay") \
	X(disco_drop_short, "disco-looking datagrams too short for a header and a box") \
	X(disco_drop_unknown_key, "disco over UDP from a disco key of no peer (dropped)") \
	X(disco_drop_unknown_node, "disco over DERP from a node key of no peer") \
	X(disco_drop_key_mismatch, "disco over DERP whose sender disco key is not the configured one") \
	X(disco_drop_bad_box, "disco whose box did not open") \
	X(disco_drop_unknown_type, "disco of a type we do not know (in a good box)") \
	X(disco_drop_malformed, "disco of a known type with a bad payload") \
	X(disco_drop_cmm_over_udp, "CallMeMaybe or Hello over UDP (they come only by DERP)") \
	X(disco_drop_pong_unknown_txid, "pongs for no ping of ours") \
	X(disco_drop_pinned_peer, "disco from a peer pinned to direct or relay") \
	X(stun_drop_malformed, "STUN on the listen port that did not parse as a binding response") \
	X(stun_drop_unknown_txid, "STUN responses for no request of ours") \
	X(pings_sent, "disco pings sent") \
	X(pongs_sent, "disco pongs sent") \
	X(pongs_received, "disco pongs received for our pings") \
	X(pings_timed_out, "disco pings unanswered") \
	X(call_me_maybe_sent, "CallMeMaybe sent") \
	X(call_me_maybe_received, "CallMeMaybe received") \
	X(hello_sent, "Hello sent (exitgate peers)") \
	X(hello_received, "Hello received") \
	X(disco_keys_learnt, "peer disco keys learnt over DERP") \
	X(stun_requests, "STUN binding requests sent") \
	X(stun_responses, "STUN binding responses matched") \
	X(direct_upgrades, "peers moved to a direct path") \
	X(failovers, "direct paths left for the relay because the data went unanswered") \
	X(trust_expired, "direct paths whose trust ran out (no pong in time)")

enum path_counter {
#define PATH_COUNTER_ENUM(name, text) PC_##name,
	PATH_COUNTERS(PATH_COUNTER_ENUM)
#undef PATH_COUNTER_ENUM
	PATH_COUNTER_COUNT
};

/* Where a candidate endpoint came from (for why). */
enum path_candidate_source {
	CAND_CONFIG,        /* peers[].endpoint */
	CAND_CONTROL,       /* the tailnet netmap */
	CAND_CALL_ME_MAYBE, /* the peer's CallMeMaybe */
	CAND_HELLO,         /* the peer's Hello */
	CAND_PING,          /* a ping arrived from it */
	CAND_HEARD,         /* WireGuard arrived from it */
};

struct path_candidate {
	struct netendpoint ep;
	uint8_t source;            /* enum path_candidate_source */
	bool listed;               /* in the last CallMeMaybe/Hello/control list */
	uint64_t added_ns;
	uint64_t last_ping_ns;     /* 0 = never pinged */
	uint64_t last_pong_ns;
	uint32_t latency_us;       /* of the last pong */
	uint32_t pings;            /* sent, in all */
	uint32_t pongs;            /* received, in all */
	struct netendpoint pong_src; /* where the peer saw our ping come from */
};

enum path_ping_purpose {
	PING_DISCOVERY,  /* is this endpoint reachable? */
	PING_HEARTBEAT,  /* is the best one still there? */
	PING_FAILOVER,   /* the data went unanswered: is the direct path dead? */
	PING_CLI,        /* exitgatectl ping */
};

struct path_ping {
	bool used;
	uint8_t txid[DISCO_TXID_LEN];
	uint8_t purpose;           /* enum path_ping_purpose */
	bool via_derp;
	struct netendpoint to;     /* when not via_derp */
	uint64_t sent_ns;
	struct path_ping_request *request; /* PING_CLI: who waits for it */
};

/* One `exitgatectl ping` round in flight. */
struct path_ping_request {
	struct path_ping_request *next;
	struct path_peer *peer;
	uint64_t deadline_ns;
	bool waiting_key; /* sent once the peer's disco key is learnt (its Hello is on the way) */
	path_ping_done_fn done;
	void *ctx;
};

struct path_peer {
	struct path *path;
	void *user;
	char *name;
	uint8_t node_key[PATH_KEY_LEN];
	struct netaddr tunnel_address;
	enum config_peer_path pin;
	bool exitgate;

	/* disco */
	bool disco_configured;      /* from the config or control: never replaced by a learnt one */
	bool has_disco_key;
	uint8_t disco_key[PATH_KEY_LEN];
	uint8_t shared[32];         /* box key, ours x theirs */
	bool shared_ok;
	uint64_t disco_learnt_ns;

	/* what the peer told us of itself (Hello) */
	bool has_summary;
	struct disco_summary summary;
	uint64_t summary_ns;
	uint32_t hello_sent_sequence; /* our summary sequence last sent to it (0 = none yet) */
	uint64_t hello_sent_ns;
	bool hello_failed;            /* the last one found no relay to go through */

	/* the configured endpoint and WireGuard roaming (pinned direct and disco-less peers) */
	bool has_config_endpoint;
	struct netendpoint config_endpoint;
	bool has_heard;
	struct netendpoint heard;   /* the newest authenticated UDP source */
	uint64_t heard_ns;

	/* disco path state */
	struct path_candidate candidates[PATH_CANDIDATES_MAX];
	size_t candidate_count;
	struct path_ping pings[PATH_PINGS_MAX];
	bool has_best;
	struct netendpoint best;
	uint32_t best_latency_us;
	uint64_t trust_until_ns;
	uint64_t last_full_ping_ns;
	uint64_t last_call_me_maybe_ns;
	uint64_t last_heartbeat_ns;
	uint64_t direct_since_ns;   /* when the current direct path was first trusted */
	uint64_t first_pong_ns;     /* the first direct pong ever (time to direct) */
	uint64_t created_ns;
	/* failover from the data */
	uint64_t suspect_since_ns;  /* a probe is out: route both ways until it answers */
	bool failed_over;           /* the direct path was left for the relay; a pong takes it back */
	uint64_t failovers;

	/* activity */
	struct path_activity activity;
	uint64_t active_until_ns;   /* heartbeats and discovery run until then */

	struct path_route route;    /* as last announced */
	bool route_announced;
	struct path_peer *active_next; /* the list of active peers the timer walks */
	bool on_active_list;
};

/* One STUN server and what it answered in the current round. */
struct path_stun_server {
	struct netendpoint ep;
	uint32_t region;           /* a DERP region's STUN, or 0 for nat_traversal.stun */
	uint8_t txid[STUN_TXID_LEN];
	uint64_t sent_ns;
	bool answered;
	struct netendpoint mapped;
	uint32_t latency_us;
};

struct path_region {
	uint32_t id;
	char code[32];
	uint32_t latency_us;       /* best STUN round trip of the last round, 0 = none */
};

/* What the last complete netcheck round found. */
struct path_report {
	bool valid;                /* a round has completed */
	uint64_t at_ns;
	bool have_v4, have_v6;     /* the public port has an address of that family */
	bool udp4, udp6;           /* some STUN server answered */
	bool varies4, varies6;     /* two servers at different IPs saw different mappings */
	size_t servers4, servers6; /* servers asked */
	size_t answered4, answered6;
	struct netendpoint mapped4, mapped6; /* the first mapping seen */
	struct netendpoint varied4_a, varied4_b; /* evidence of a hard NAT */
	bool public_local4;        /* the v4 mapping is a local address: no NAT */
	bool public_local6;
	uint32_t preferred_region;
};

struct path {
	struct loop *loop;
	int timer;
	struct path_hooks hooks;
	uint16_t listen_port;

	uint8_t node_private[PATH_KEY_LEN];
	uint8_t node_public[PATH_KEY_LEN];
	uint8_t disco_private[PATH_KEY_LEN];
	uint8_t disco_public[PATH_KEY_LEN];
	char disco_key_source[160]; /* "generated" / "kept in <file>" */

	struct keymap by_node;     /* node key -> struct path_peer */
	struct keymap by_disco;    /* disco key -> struct path_peer */
	struct path_peer *active;  /* peers with pings in flight or recent traffic */
	size_t peer_count;
	struct path_ping_request *requests;

	/* the node's endpoints */
	struct netprefix public_addresses[8];
	size_t public_address_count;
	struct netaddr public_gateway;
	struct netendpoint static_endpoints[16];
	size_t static_endpoint_count;
	uint64_t endpoints_ns;     /* when the advertised set was last computed */
	uint32_t summary_sequence;

	/* STUN and netcheck */
	struct netendpoint config_stun[PATH_STUN_SERVERS_MAX]; /* nat_traversal.stun */
	size_t config_stun_count;
	struct path_stun_server derp_stun[PATH_STUN_SERVERS_MAX]; /* the DERP map's STUN */
	size_t derp_stun_count;
	struct path_stun_server servers[PATH_STUN_SERVERS_MAX];
	size_t server_count;
	struct path_region regions[16];
	size_t region_count;
	bool round_running;
	uint64_t round_started_ns;
	uint64_t next_round_ns;
	struct path_report report;
	uint64_t rounds;
	bool derp_from_control;    /* the tailnet's DERP map replaced the config's */

	/* port mapping of the listen port on the public port's gateway (portmap.h), or NULL */
	struct portmap *portmap;
	bool portmap_configured;   /* nat_traversal.port_mapping names some protocol */
	struct netendpoint portmapped; /* the mapping last reported (family 0 = none) */

	uint64_t counters[PATH_COUNTER_COUNT];
};

/* path.c */
uint64_t path_now(void);
void path_send_disco_udp(struct path *path, struct path_peer *peer,
			 const struct netendpoint *to, const struct disco_message *m);
int path_send_disco_derp(struct path *path, struct path_peer *peer,
			 const struct disco_message *m);
void path_mark_active(struct path *path, struct path_peer *peer);
/* a Hello to an exitgate peer now (a ping waits for its disco key) */
void path_hello_now(struct path *path, struct path_peer *peer);
void path_wake(struct path *path);

/* peer_path.c */
void peer_path_init(struct path_peer *peer, uint64_t now);
void peer_path_config(struct path_peer *peer, const struct path_peer_config *pc, uint64_t now);
/* the route from the current state; announced when it changed */
void peer_path_update_route(struct path_peer *peer, uint64_t now);
void peer_path_ping_received(struct path_peer *peer, const struct disco_message *m,
			     bool via_derp, const struct netendpoint *src, uint64_t now);
void peer_path_pong_received(struct path_peer *peer, const struct disco_message *m,
			     bool via_derp, const struct netendpoint *src, uint64_t now);
void peer_path_call_me_maybe(struct path_peer *peer, const struct disco_message *m,
			     uint64_t now);
void peer_path_hello(struct path_peer *peer, const struct disco_summary *s, uint64_t now);
void peer_path_own_endpoints_changed(struct path_peer *peer, uint64_t now);
void peer_path_activity(struct path_peer *peer, const struct path_activity *a, uint64_t now);
void peer_path_heard(struct path_peer *peer, const struct netendpoint *src, uint64_t when);
/* the peer's timers; its next deadline (0: none) */
uint64_t peer_path_tick(struct path_peer *peer, uint64_t now);
/* a ping round for exitgatectl ping */
void peer_path_cli_ping(struct path_peer *peer, struct path_ping_request *req, uint64_t now);
/* the peer's disco key is new: forget what belonged to the old one */
void peer_path_disco_key_changed(struct path_peer *peer, uint64_t now);
bool peer_path_disco_mode(const struct path_peer *peer);
void peer_path_describe(const struct path_peer *peer, struct strbuf *out, bool json,
			uint64_t now);

/* netcheck.c */
/* the STUN servers: the DERP map's and nat_traversal's (NULL: the ones already given) */
void netcheck_init(struct path *path, const struct config_derp *derp,
		   const struct config_nat_traversal *nt);
void netcheck_start_round(struct path *path, uint64_t now);
uint64_t netcheck_tick(struct path *path, uint64_t now);
void netcheck_stun_input(struct path *path, const struct netendpoint *src, const uint8_t *data,
			 size_t len, uint64_t now);
/* our advertised endpoints, deduplicated; types as enum path_endpoint_type */
size_t netcheck_endpoints(const struct path *path, struct netendpoint *eps, uint8_t *types,
			  size_t max);
/* what Hello carries */
void netcheck_summary(const struct path *path, struct disco_summary *s);
const char *netcheck_region_code(const struct path *path, uint32_t region);
void netcheck_report_text(struct path *path, struct strbuf *out, bool json);
void netcheck_portmap_text(const struct path *path, struct strbuf *out);
bool netcheck_any_active(const struct path *path);

/* why.c */
void why_describe(struct path *path, const struct path_peer *peer, struct strbuf *out,
		  bool json, uint64_t now);

#endif
