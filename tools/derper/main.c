/* SPDX-License-Identifier: BSD-3-Clause */
/* exitgate-derper: a DERP v2 relay with a STUN responder (see derper.h and --help). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include <sodium.h>

#include "derper.h"
#include "log.h"

/* Tens of thousands of clients need as many descriptors: raise the soft limit to the hard one
 * (and the hard one too when privileged). */
static void
raise_fd_limit(void)
{
	struct rlimit rl;
	FILE *f;
	unsigned long nr_open = 0;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return;
	f = fopen("/proc/sys/fs/nr_open", "r");
	if (f != NULL) {
		if (fscanf(f, "%lu", &nr_open) != 1)
			nr_open = 0;
		fclose(f);
	}
	if (nr_open > rl.rlim_max) {
		struct rlimit want = {.rlim_cur = nr_open, .rlim_max = nr_open};

		if (setrlimit(RLIMIT_NOFILE, &want) == 0) {
			log_info("file descriptor limit %lu", nr_open);
			return;
		}
	}
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		log_warn("setrlimit RLIMIT_NOFILE: %s", strerror(errno));
	else
		log_info("file descriptor limit %llu", (unsigned long long)rl.rlim_cur);
}

int
main(int argc, char **argv)
{
	struct derper_config cfg;
	uint8_t private_key[DERP_KEY_LEN], public_key[DERP_KEY_LEN];
	struct derper_stun *stun = NULL;
	SSL_CTX *tls;
	sigset_t mask;
	int rc;

	/* Blocked from the start (the loop reads them from a signalfd): a SIGUSR1 or SIGTERM
	 * arriving during setup must not kill the process. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGUSR1);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	log_set_program("exitgate-derper");
	rc = derper_config_load(&cfg, argc, argv);
	if (rc != 0)
		return rc > 0 ? 0 : 2;
	log_set_level((enum log_level)cfg.log_level);
	if (sodium_init() < 0) {
		log_error("sodium_init failed");
		return 1;
	}
	/* Writes to a peer that vanished return EPIPE instead of killing the relay. */
	signal(SIGPIPE, SIG_IGN);
	raise_fd_limit();
	if (derper_load_or_create_key(cfg.key_file, private_key, public_key) < 0)
		return 1;
	tls = derper_tls_context(&cfg);
	if (tls == NULL) {
		sodium_memzero(private_key, sizeof(private_key));
		return 1;
	}
	if (cfg.stun_port != 0) {
		stun = derper_stun_open(&cfg);
		if (stun == NULL) {
			log_error("stun: no socket could be opened on port %d", cfg.stun_port);
			SSL_CTX_free(tls);
			sodium_memzero(private_key, sizeof(private_key));
			return 1;
		}
	}
	rc = derper_run(&cfg, tls, private_key, public_key, stun);
	sodium_memzero(private_key, sizeof(private_key));
	derper_stun_close(stun);
	SSL_CTX_free(tls);
	return rc == 0 ? 0 : 1;
}
