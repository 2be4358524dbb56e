/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The Noise_IKpsk2 engine (control/wg/noise.c) between two in-memory identities: handshakes with
 * and without a preshared key, each side initiating, data both ways on the derived keys through
 * the transport code, keypair rotation and confirmation, and every way a handshake message is
 * refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "fake_env.h"
#include "noise.h"
#include "transport.h"

enum {
	MAX_INDICES = 16,
};

struct side {
	struct fake_env *env;
	struct wg_crypto *crypto;
	struct noise_local local;
	struct noise_remote remote; /* the other side */
	uint8_t private_key[32];
	uint8_t public_key[32];
	struct {
		bool used;
		uint32_t index;
		struct wg_keypair *kp;
	} indices[MAX_INDICES];
	unsigned retired;
};

struct pair {
	struct fake_env env;
	struct wg_transport_ctx transport;
	struct side a;
	struct side b;
};

static struct noise_remote *
up_remote_get(void *arg, const uint8_t public_key[32])
{
	struct side *s = arg;

	return memcmp(public_key, s->remote.public_key, 32) == 0 ? &s->remote : NULL;
}

static int
up_index_new(void *arg, struct noise_remote *remote, uint32_t *index)
{
	struct side *s = arg;
	int i;

	(void)remote;
	for (i = 0; i < MAX_INDICES; i++) {
		if (!s->indices[i].used) {
			wg_env_random(&s->env->env, &s->indices[i].index, sizeof(uint32_t));
			s->indices[i].used = true;
			s->indices[i].kp = NULL;
			*index = s->indices[i].index;
			return 0;
		}
	}
	return -1;
}

static int
index_slot(struct side *s, uint32_t index)
{
	int i;

	for (i = 0; i < MAX_INDICES; i++)
		if (s->indices[i].used && s->indices[i].index == index)
			return i;
	return -1;
}

static void
up_index_bind(void *arg, uint32_t index, struct wg_keypair *kp)
{
	struct side *s = arg;
	int i = index_slot(s, index);

	assert_true(i >= 0);
	s->indices[i].kp = kp;
}

static void
up_index_drop(void *arg, uint32_t index)
{
	struct side *s = arg;
	int i = index_slot(s, index);

	assert_true(i >= 0);
	s->indices[i].used = false;
}

static void
up_keypair_retire(void *arg, struct wg_keypair *kp)
{
	struct side *s = arg;

	s->retired++;
	wg_keypair_wipe(kp);
	noise_keypair_free(kp);
}

static unsigned
indices_in_use(const struct side *s)
{
	unsigned n = 0;
	int i;

	for (i = 0; i < MAX_INDICES; i++)
		n += s->indices[i].used;
	return n;
}

static void
side_init(struct side *s, struct fake_env *env)
{
	const struct noise_upcalls upcalls = {
		.arg = s,
		.remote_get = up_remote_get,
		.index_new = up_index_new,
		.index_bind_keypair = up_index_bind,
		.index_drop = up_index_drop,
		.keypair_retire = up_keypair_retire,
	};

	memset(s, 0, sizeof(*s));
	s->env = env;
	s->crypto = wg_crypto_new();
	assert_non_null(s->crypto);
	assert_int_equal(noise_local_init(&s->local, &upcalls, &env->env, s->crypto), 0);
	assert_int_equal(wg_crypto_generate_keypair(&env->env, s->private_key, s->public_key), 0);
	assert_int_equal(noise_local_set_private_key(&s->local, s->private_key), 0);
	assert_memory_equal(s->local.public_key, s->public_key, 32);
}

static void
side_fini(struct side *s)
{
	noise_remote_wipe(&s->remote);
	noise_local_wipe(&s->local);
	wg_crypto_free(s->crypto);
	assert_int_equal(indices_in_use(s), 0);
}

static int
setup(void **state)
{
	struct pair *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return -1;
	fake_env_init(&p->env, 7);
	if (wg_transport_ctx_init(&p->transport) != 0)
		return -1;
	side_init(&p->a, &p->env);
	side_init(&p->b, &p->env);
	assert_int_equal(noise_remote_init(&p->a.remote, &p->a.local, p->b.public_key, NULL),
			 NOISE_OK);
	assert_int_equal(noise_remote_init(&p->b.remote, &p->b.local, p->a.public_key, NULL),
			 NOISE_OK);
	*state = p;
	return 0;
}

static int
teardown(void **state)
{
	struct pair *p = *state;

	side_fini(&p->a);
	side_fini(&p->b);
	wg_transport_ctx_fini(&p->transport);
	free(p);
	return 0;
}

/* A full handshake: i initiates to r. Leaves i with a current keypair, r with a next one. */
static void
handshake(struct side *i, struct side *r)
{
	struct wg_msg_initiation init;
	struct wg_msg_response resp;
	struct noise_remote *found = NULL;

	assert_int_equal(noise_create_initiation(&i->remote, &init), NOISE_OK);
	assert_int_equal(le32toh(init.type), WG_MSG_INITIATION);
	assert_int_equal(le32toh(init.sender), i->remote.handshake.local_index);
	assert_int_equal(noise_consume_initiation(&r->local, &init, &found), NOISE_OK);
	assert_ptr_equal(found, &r->remote);
	assert_int_equal(noise_create_response(&r->remote, &resp), NOISE_OK);
	assert_int_equal(le32toh(resp.receiver), le32toh(init.sender));
	assert_int_equal(noise_begin_session(&r->remote), NOISE_OK);
	assert_int_equal(noise_consume_response(&i->remote, &resp), NOISE_OK);
	assert_int_equal(noise_begin_session(&i->remote), NOISE_OK);
	/* the handshake state is gone on both sides, every secret wiped */
	assert_int_equal(i->remote.handshake.state, NOISE_HANDSHAKE_ZEROED);
	assert_int_equal(r->remote.handshake.state, NOISE_HANDSHAKE_ZEROED);
	assert_true(
		sodium_is_zero((const uint8_t *)&i->remote.handshake, sizeof(i->remote.handshake)));
	assert_true(
		sodium_is_zero((const uint8_t *)&r->remote.handshake, sizeof(r->remote.handshake)));
}

/* One data packet from s to d on s's send keypair and d's keypair kp_d. */
static void
send_data(struct pair *p, struct wg_keypair *kp_s, struct wg_keypair *kp_d, const char *text)
{
	uint8_t msg[256];
	size_t len = strlen(text);
	size_t msg_len;
	uint64_t counter;
	uint32_t receiver;

	assert_int_equal(wg_keypair_reserve_send_counters(kp_s, 1, &counter), 1);
	memcpy(msg + 16, text, len);
	msg_len = wg_transport_seal(&p->transport, kp_s->send_key, kp_s->remote_index, counter, msg,
				    len, 1420);
	assert_int_equal(wg_transport_header_parse(msg, msg_len, &receiver, &counter), 0);
	assert_int_equal(receiver, kp_d->local_index);
	assert_int_equal(wg_keypair_replay_precheck(kp_d, counter), WG_REPLAY_ACCEPT);
	assert_int_equal(wg_transport_open(&p->transport, kp_d->receive_key, counter, msg, msg_len),
			 WG_TRANSPORT_OK);
	assert_int_equal(wg_keypair_replay_commit(kp_d, counter), WG_REPLAY_ACCEPT);
	assert_memory_equal(msg + 16, text, len);
}

static void
check_session(struct pair *p, struct side *i, struct side *r)
{
	struct wg_keypair *ki = i->remote.keypair_current;
	struct wg_keypair *kr = r->remote.keypair_next;

	assert_non_null(ki);
	assert_non_null(kr);
	assert_true(ki->initiator);
	assert_false(kr->initiator);
	assert_memory_equal(ki->send_key, kr->receive_key, 32);
	assert_memory_equal(ki->receive_key, kr->send_key, 32);
	assert_memory_not_equal(ki->send_key, ki->receive_key, 32);
	assert_int_equal(ki->remote_index, kr->local_index);
	assert_int_equal(kr->remote_index, ki->local_index);
	/* the initiator may send at once; the responder only after the first data packet */
	assert_ptr_equal(noise_remote_send_keypair(&i->remote), ki);
	assert_null(noise_remote_send_keypair(&r->remote));
	send_data(p, ki, kr, "initiator to responder");
	assert_int_equal(noise_keypair_received(&r->remote, kr), NOISE_SESSION_CONFIRMED);
	assert_ptr_equal(r->remote.keypair_current, kr);
	assert_null(r->remote.keypair_next);
	assert_ptr_equal(noise_remote_send_keypair(&r->remote), kr);
	send_data(p, kr, ki, "responder to initiator");
	assert_int_equal(noise_keypair_received(&i->remote, ki), NOISE_OK);
	/* the index of each keypair is the handshake's, bound by the upcall */
	assert_ptr_equal(i->indices[index_slot(i, ki->local_index)].kp, ki);
	assert_ptr_equal(r->indices[index_slot(r, kr->local_index)].kp, kr);
}

static void
test_handshake_matrix(void **state)
{
	struct pair *p = *state;
	uint8_t psk[32];
	int with_psk, a_initiates;

	randombytes_buf(psk, sizeof(psk));
	for (with_psk = 0; with_psk <= 1; with_psk++) {
		for (a_initiates = 0; a_initiates <= 1; a_initiates++) {
			struct side *i = a_initiates ? &p->a : &p->b;
			struct side *r = a_initiates ? &p->b : &p->a;

			noise_remote_keypairs_clear(&p->a.remote);
			noise_remote_keypairs_clear(&p->b.remote);
			noise_remote_set_psk(&p->a.remote, with_psk ? psk : NULL);
			noise_remote_set_psk(&p->b.remote, with_psk ? psk : NULL);
			fake_env_advance_ms(&p->env, 100);
			handshake(i, r);
			check_session(p, i, r);
		}
	}
}

static void
test_psk_mismatch(void **state)
{
	struct pair *p = *state;
	struct wg_msg_initiation init;
	struct wg_msg_response resp;
	struct noise_remote *found;
	uint8_t psk[32] = { 1 };

	noise_remote_set_psk(&p->b.remote, psk); /* only the responder has it */
	assert_int_equal(noise_create_initiation(&p->a.remote, &init), NOISE_OK);
	assert_int_equal(noise_consume_initiation(&p->b.local, &init, &found), NOISE_OK);
	assert_int_equal(noise_create_response(&p->b.remote, &resp), NOISE_OK);
	assert_int_equal(noise_begin_session(&p->b.remote), NOISE_OK);
	assert_int_equal(noise_consume_response(&p->a.remote, &resp), NOISE_DECRYPT_FAILED);
	/* the failed consume left the initiation in place, and no keypair */
	assert_int_equal(p->a.remote.handshake.state, NOISE_HANDSHAKE_CREATED_INITIATION);
	assert_null(p->a.remote.keypair_current);
}

/* previous/current/next across three handshakes, and what each retires. */
static void
test_rotation(void **state)
{
	struct pair *p = *state;
	struct wg_keypair *a1, *a2, *b1, *b2, *b3;

	handshake(&p->a, &p->b);
	a1 = p->a.remote.keypair_current;
	b1 = p->b.remote.keypair_next;
	send_data(p, a1, b1, "one");
	assert_int_equal(noise_keypair_received(&p->b.remote, b1), NOISE_SESSION_CONFIRMED);
	fake_env_advance_ms(&p->env, 100);

	/* A again: A's old current becomes previous; B's new keypair waits as next */
	handshake(&p->a, &p->b);
	a2 = p->a.remote.keypair_current;
	b2 = p->b.remote.keypair_next;
	assert_ptr_equal(p->a.remote.keypair_previous, a1);
	assert_ptr_equal(p->b.remote.keypair_current, b1);
	assert_null(p->b.remote.keypair_previous);
	assert_ptr_equal(noise_remote_send_keypair(&p->b.remote), b1); /* still the old one */
	send_data(p, b1, a1, "old session still works");
	send_data(p, a2, b2, "two");
	assert_int_equal(noise_keypair_received(&p->b.remote, b2), NOISE_SESSION_CONFIRMED);
	assert_ptr_equal(p->b.remote.keypair_previous, b1);
	assert_ptr_equal(p->b.remote.keypair_current, b2);
	assert_int_equal(p->a.retired, 0);
	assert_int_equal(p->b.retired, 0);
	fake_env_advance_ms(&p->env, 100);

	/* B initiates: A's new keypair is next (previous dropped), B's is current (b1 dropped) */
	handshake(&p->b, &p->a);
	b3 = p->b.remote.keypair_current;
	assert_ptr_equal(p->b.remote.keypair_previous, b2);
	assert_int_equal(p->b.retired, 1); /* b1 */
	assert_ptr_equal(p->a.remote.keypair_current, a2);
	assert_null(p->a.remote.keypair_previous);
	assert_int_equal(p->a.retired, 1); /* a1 */
	send_data(p, b3, p->a.remote.keypair_next, "three");
	assert_int_equal(noise_keypair_received(&p->a.remote, p->a.remote.keypair_next),
			 NOISE_SESSION_CONFIRMED);
	assert_ptr_equal(p->a.remote.keypair_previous, a2);
	/* a next keypair pending when we complete our own handshake becomes previous */
	fake_env_advance_ms(&p->env, 100);
	handshake(&p->b, &p->a); /* A has a next keypair again */
	fake_env_advance_ms(&p->env, 100);
	{
		struct wg_keypair *a_next = p->a.remote.keypair_next;

		handshake(&p->a, &p->b);
		assert_ptr_equal(p->a.remote.keypair_previous, a_next);
		assert_null(p->a.remote.keypair_next);
	}
	noise_remote_keypairs_clear(&p->a.remote);
	assert_null(p->a.remote.keypair_current);
	assert_null(p->a.remote.keypair_previous);
}

static void
test_timestamp_replay_and_flood(void **state)
{
	struct pair *p = *state;
	struct wg_msg_initiation first, second;
	struct noise_remote *found;

	assert_int_equal(noise_create_initiation(&p->a.remote, &first), NOISE_OK);
	assert_int_equal(noise_consume_initiation(&p->b.local, &first, &found), NOISE_OK);
	/* the same message again: its timestamp is not newer */
	fake_env_advance_ms(&p->env, 1000);
	assert_int_equal(noise_consume_initiation(&p->b.local, &first, &found), NOISE_REPLAY);
	assert_null(found);
	/* a newer timestamp (the wall clock moved 17 ms, past one 2^24 ns step) but only 10 ms of
	 * monotonic time after the last consumed initiation: a flood */
	p->env.monotonic_ns += 1000ULL * 1000000ULL;
	assert_int_equal(noise_create_initiation(&p->a.remote, &first), NOISE_OK);
	assert_int_equal(noise_consume_initiation(&p->b.local, &first, &found), NOISE_OK);
	p->env.realtime_ns += 17ULL * 1000000ULL;
	p->env.monotonic_ns += 10ULL * 1000000ULL;
	assert_int_equal(noise_create_initiation(&p->a.remote, &second), NOISE_OK);
	assert_int_equal(noise_consume_initiation(&p->b.local, &second, &found), NOISE_FLOOD);
	/* 20 ms after the last consumed one it is fine */
	p->env.monotonic_ns += 10ULL * 1000000ULL;
	assert_int_equal(noise_consume_initiation(&p->b.local, &second, &found), NOISE_OK);
	/* an older timestamp than the greatest seen is a replay too */
	p->env.monotonic_ns += 1000ULL * 1000000ULL;
	p->env.realtime_ns -= 60ULL * 1000000000ULL;
	assert_int_equal(noise_create_initiation(&p->a.remote, &first), NOISE_OK);
	assert_int_equal(noise_consume_initiation(&p->b.local, &first, &found), NOISE_REPLAY);
}

static void
test_low_order(void **state)
{
	struct pair *p = *state;
	struct wg_msg_initiation init;
	struct wg_msg_response resp;
	struct noise_remote *found;
	struct noise_remote bad;
	uint8_t low_order[32] = { 0 };

	/* an initiation with a low-order ephemeral key */
	assert_int_equal(noise_create_initiation(&p->a.remote, &init), NOISE_OK);
	memset(init.ephemeral, 0, sizeof(init.ephemeral));
	assert_int_equal(noise_consume_initiation(&p->b.local, &init, &found), NOISE_LOW_ORDER);
	/* a response with one */
	assert_int_equal(noise_create_initiation(&p->a.remote, &init), NOISE_OK);
	fake_env_advance_ms(&p->env, 100);
	assert_int_equal(noise_consume_initiation(&p->b.local, &init, &found), NOISE_OK);
	assert_int_equal(noise_create_response(&p->b.remote, &resp), NOISE_OK);
	memset(resp.ephemeral, 0, sizeof(resp.ephemeral));
	resp.ephemeral[0] = 1; /* u = 1, also low order */
	assert_int_equal(noise_consume_response(&p->a.remote, &resp), NOISE_LOW_ORDER);
	/* a remote whose static key is low order can do nothing */
	assert_int_equal(noise_remote_init(&bad, &p->a.local, low_order, NULL), NOISE_OK);
	assert_true(sodium_is_zero(bad.precomputed_ss, 32));
	assert_int_equal(noise_create_initiation(&bad, &init), NOISE_LOW_ORDER);
	noise_remote_wipe(&bad);
}

static void
test_self_key(void **state)
{
	struct pair *p = *state;
	struct wg_msg_initiation init;
	struct noise_remote *found;
	struct noise_remote remote;
	struct noise_local mirror;
	const struct noise_upcalls upcalls = p->b.local.upcalls;

	/* configuring our own key as a remote is refused */
	assert_int_equal(noise_remote_init(&remote, &p->b.local, p->b.public_key, NULL),
			 NOISE_SELF_KEY);
	/* an initiation that carries B's own static key (made with B's private key) */
	assert_int_equal(noise_local_init(&mirror, &upcalls, &p->env.env, p->b.crypto), 0);
	assert_int_equal(noise_remote_init(&remote, &mirror, p->b.public_key, NULL), NOISE_OK);
	assert_int_equal(noise_local_set_private_key(&mirror, p->b.private_key), 0);
	noise_remote_precompute(&remote);
	assert_int_equal(noise_create_initiation(&remote, &init), NOISE_OK);
	assert_int_equal(noise_consume_initiation(&p->b.local, &init, &found), NOISE_SELF_KEY);
	noise_remote_wipe(&remote);
	noise_local_wipe(&mirror);
}

static void
test_unknown_peer_and_corruption(void **state)
{
	struct pair *p = *state;
	struct wg_msg_initiation init, bad;
	struct noise_remote *found;
	struct side stranger;

	/* an identity B does not know */
	side_init(&stranger, &p->env);
	assert_int_equal(
		noise_remote_init(&stranger.remote, &stranger.local, p->b.public_key, NULL),
		NOISE_OK);
	assert_int_equal(noise_create_initiation(&stranger.remote, &init), NOISE_OK);
	assert_int_equal(noise_consume_initiation(&p->b.local, &init, &found), NOISE_UNKNOWN_PEER);
	side_fini(&stranger);
	/* every encrypted field, and the ephemeral key they depend on */
	assert_int_equal(noise_create_initiation(&p->a.remote, &init), NOISE_OK);
	bad = init;
	bad.encrypted_static[3] ^= 1;
	assert_int_equal(noise_consume_initiation(&p->b.local, &bad, &found), NOISE_DECRYPT_FAILED);
	bad = init;
	bad.encrypted_timestamp[27] ^= 1;
	assert_int_equal(noise_consume_initiation(&p->b.local, &bad, &found), NOISE_DECRYPT_FAILED);
	bad = init;
	bad.ephemeral[5] ^= 1;
	assert_int_equal(noise_consume_initiation(&p->b.local, &bad, &found), NOISE_DECRYPT_FAILED);
	/* none of it touched B's state */
	assert_int_equal(p->b.remote.handshake.state, NOISE_HANDSHAKE_ZEROED);
	assert_false(p->b.remote.has_consumed_initiation);
	assert_int_equal(noise_consume_initiation(&p->b.local, &init, &found), NOISE_OK);
}

static void
test_wrong_state(void **state)
{
	struct pair *p = *state;
	struct wg_msg_initiation init;
	struct wg_msg_response resp, bad;
	struct noise_remote *found;

	/* nothing consumed: no response can be made, none consumed */
	assert_int_equal(noise_create_response(&p->b.remote, &resp), NOISE_WRONG_STATE);
	assert_int_equal(noise_begin_session(&p->b.remote), NOISE_WRONG_STATE);
	assert_int_equal(noise_create_initiation(&p->a.remote, &init), NOISE_OK);
	assert_int_equal(noise_consume_initiation(&p->b.local, &init, &found), NOISE_OK);
	assert_int_equal(noise_create_response(&p->b.remote, &resp), NOISE_OK);
	/* a response for another index */
	bad = resp;
	bad.receiver = htole32(le32toh(resp.receiver) + 1);
	assert_int_equal(noise_consume_response(&p->a.remote, &bad), NOISE_WRONG_STATE);
	/* a corrupted empty payload */
	bad = resp;
	bad.encrypted_nothing[0] ^= 1;
	assert_int_equal(noise_consume_response(&p->a.remote, &bad), NOISE_DECRYPT_FAILED);
	assert_int_equal(noise_consume_response(&p->a.remote, &resp), NOISE_OK);
	/* consumed once: the same response again has no initiation to answer */
	assert_int_equal(noise_consume_response(&p->a.remote, &resp), NOISE_WRONG_STATE);
	assert_int_equal(noise_begin_session(&p->a.remote), NOISE_OK);
	assert_int_equal(noise_consume_response(&p->a.remote, &resp), NOISE_WRONG_STATE);
	assert_int_equal(noise_begin_session(&p->a.remote), NOISE_WRONG_STATE);
	assert_int_equal(noise_begin_session(&p->b.remote), NOISE_OK);
}

static void
test_no_identity(void **state)
{
	struct pair *p = *state;
	struct wg_msg_initiation init;
	struct noise_remote *found;

	assert_int_equal(noise_create_initiation(&p->a.remote, &init), NOISE_OK);
	assert_int_equal(noise_local_set_private_key(&p->b.local, NULL), 0);
	assert_int_equal(noise_consume_initiation(&p->b.local, &init, &found), NOISE_NO_IDENTITY);
	noise_remote_precompute(&p->b.remote);
	assert_int_equal(noise_create_initiation(&p->b.remote, &init), NOISE_NO_IDENTITY);
	/* the key back: the clamped form is kept */
	p->b.private_key[0] |= 7;
	assert_int_equal(noise_local_set_private_key(&p->b.local, p->b.private_key), 0);
	assert_int_equal(p->b.local.private_key[0] & 7, 0);
	assert_memory_equal(p->b.local.public_key, p->b.public_key, 32);
}

static void
test_expire_current(void **state)
{
	struct pair *p = *state;

	handshake(&p->a, &p->b);
	assert_non_null(noise_remote_send_keypair(&p->a.remote));
	noise_remote_expire_current(&p->a.remote);
	assert_null(noise_remote_send_keypair(&p->a.remote));
	/* still there for receiving */
	assert_non_null(p->a.remote.keypair_current);
}

static void
test_key_lifetimes(void **state)
{
	static const uint8_t key[32] = { 1 };
	const uint64_t sec = 1000000000ULL, birth = 50 * sec;
	struct wg_keypair *kp = noise_keypair_alloc();

	(void)state;
	assert_non_null(kp);
	/* initiator: rekey soon at 120 s on send and 165 s on receive, expired at 180 s */
	wg_keypair_init(kp, key, key, 1, 2, true, birth);
	assert_int_equal(noise_keypair_check_send(kp, birth + 120 * sec - 1), NOISE_OK);
	assert_int_equal(noise_keypair_check_send(kp, birth + 120 * sec), NOISE_REKEY_SOON);
	assert_int_equal(noise_keypair_check_receive(kp, birth + 165 * sec - 1), NOISE_OK);
	assert_int_equal(noise_keypair_check_receive(kp, birth + 165 * sec), NOISE_REKEY_SOON);
	assert_int_equal(noise_keypair_check_send(kp, birth + 180 * sec), NOISE_KEYPAIR_EXPIRED);
	assert_int_equal(noise_keypair_check_receive(kp, birth + 180 * sec), NOISE_KEYPAIR_EXPIRED);
	/* responder: never by age before 180 s */
	wg_keypair_init(kp, key, key, 1, 2, false, birth);
	assert_int_equal(noise_keypair_check_send(kp, birth + 179 * sec), NOISE_OK);
	assert_int_equal(noise_keypair_check_receive(kp, birth + 179 * sec), NOISE_OK);
	/* by message count, anyone */
	atomic_store(&kp->send_counter, WG_REKEY_AFTER_MESSAGES);
	assert_int_equal(noise_keypair_check_send(kp, birth), NOISE_OK);
	atomic_store(&kp->send_counter, WG_REKEY_AFTER_MESSAGES + 1);
	assert_int_equal(noise_keypair_check_send(kp, birth), NOISE_REKEY_SOON);
	atomic_store(&kp->send_counter, WG_REJECT_AFTER_MESSAGES);
	assert_int_equal(noise_keypair_check_send(kp, birth), NOISE_KEYPAIR_EXPIRED);
	wg_keypair_wipe(kp);
	noise_keypair_free(kp);
}

static void
test_result_names(void **state)
{
	(void)state;
	assert_string_equal(noise_result_name(NOISE_REPLAY), "replay");
	assert_string_equal(noise_result_name(NOISE_SESSION_CONFIRMED), "session_confirmed");
	assert_string_equal(noise_result_name(NOISE_LOW_ORDER), "low_order");
	assert_string_equal(noise_result_name(NOISE_REKEY_SOON), "rekey_soon");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_handshake_matrix, setup, teardown),
		cmocka_unit_test_setup_teardown(test_psk_mismatch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rotation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timestamp_replay_and_flood, setup, teardown),
		cmocka_unit_test_setup_teardown(test_low_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_self_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_peer_and_corruption, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_state, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_identity, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expire_current, setup, teardown),
		cmocka_unit_test(test_key_lifetimes),
		cmocka_unit_test(test_result_names),
	};

	return cmocka_run_group_tests_name("wg_noise", tests, NULL, NULL);
}
