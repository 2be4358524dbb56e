/* SPDX-License-Identifier: BSD-3-Clause */
/* exitgate-derper's settings: defaults, then a YAML file (--config), then flags. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <yaml.h>

#include "derper.h"
#include "log.h"

enum {
	CONFIG_FILE_MAX = 1 << 20,
};

static const char usage[] =
	"usage: exitgate-derper [options]\n"
	"  --config FILE          YAML file with the keys below (flags override it)\n"
	"  --listen ADDR:PORT     TLS listen address; \":443\" = every address (default)\n"
	"  --cert FILE --key FILE TLS certificate chain and private key (PEM)\n"
	"  --self-signed NAME     generate an ECDSA P-256 certificate for NAME instead\n"
	"  --pin-file FILE        write the certificate's sha256-raw pin to FILE\n"
	"  --key-file FILE        the relay's X25519 key (base64, mode 0600; created if missing)\n"
	"  --stun-port N          STUN responder port (default 3478, 0 = off)\n"
	"  --rate BYTES/S         per-client rate limit announced and enforced (0 = none)\n"
	"  --burst BYTES          its burst\n"
	"  --max-clients N        connections accepted at once (default 100000)\n"
	"  --log-level LEVEL      error, warn, info, debug\n"
	"  --login-timeout-ms N   per login step (default 10000)\n"
	"  --write-timeout-ms N   write stall limit (default 2000)\n"
	"  --keepalive-ms N       keepalive interval (default 60000, plus up to 5000 jitter)\n";

/* One setting by name, from a flag or a YAML key; error gets a message. */
static int
parse_uint(const char *text, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (text[0] < '0' || text[0] > '9')
		return -1;
	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno != 0 || *end != '\0' || v > max)
		return -1;
	*out = v;
	return 0;
}

static int
copy_text(char *dst, size_t size, const char *text)
{
	size_t n = strlen(text);

	if (n == 0 || n >= size)
		return -1;
	memcpy(dst, text, n + 1);
	return 0;
}

static int
parse_listen(struct derper_config *cfg, const char *text, const char **why)
{
	if (text[0] == ':') {
		uint64_t port;

		if (parse_uint(text + 1, 65535, &port) < 0 || port == 0) {
			*why = "bad port";
			return -1;
		}
		cfg->listen_any = true;
		memset(&cfg->listen, 0, sizeof(cfg->listen));
		cfg->listen.port = (uint16_t)port;
		return 0;
	}
	cfg->listen_any = false;
	return netendpoint_parse(text, &cfg->listen, why);
}

static int
set_option(struct derper_config *cfg, const char *name, const char *value, const char **why)
{
	uint64_t v;

	*why = "bad value";
	if (strcmp(name, "listen") == 0)
		return parse_listen(cfg, value, why);
	if (strcmp(name, "cert") == 0)
		return copy_text(cfg->cert_file, sizeof(cfg->cert_file), value);
	if (strcmp(name, "key") == 0)
		return copy_text(cfg->key_file_tls, sizeof(cfg->key_file_tls), value);
	if (strcmp(name, "self_signed") == 0)
		return copy_text(cfg->self_signed, sizeof(cfg->self_signed), value);
	if (strcmp(name, "pin_file") == 0)
		return copy_text(cfg->pin_file, sizeof(cfg->pin_file), value);
	if (strcmp(name, "key_file") == 0)
		return copy_text(cfg->key_file, sizeof(cfg->key_file), value);
	if (strcmp(name, "log_level") == 0) {
		enum log_level level;

		if (log_level_parse(value, &level) < 0) {
			*why = "expected error, warn, info or debug";
			return -1;
		}
		cfg->log_level = (int)level;
		return 0;
	}
	if (strcmp(name, "stun_port") == 0) {
		if (parse_uint(value, 65535, &v) < 0)
			return -1;
		cfg->stun_port = (int32_t)v;
		return 0;
	}
	if (strcmp(name, "rate") == 0)
		return parse_uint(value, UINT32_MAX, &cfg->rate);
	if (strcmp(name, "burst") == 0)
		return parse_uint(value, UINT32_MAX, &cfg->burst);
	if (strcmp(name, "max_clients") == 0) {
		if (parse_uint(value, 10000000, &v) < 0 || v == 0)
			return -1;
		cfg->max_clients = (uint32_t)v;
		return 0;
	}
	if (strcmp(name, "login_timeout_ms") == 0 || strcmp(name, "write_timeout_ms") == 0 ||
	    strcmp(name, "keepalive_ms") == 0) {
		if (parse_uint(value, 3600000, &v) < 0 || v == 0)
			return -1;
		if (name[0] == 'l')
			cfg->login_timeout_ms = (uint32_t)v;
		else if (name[0] == 'w')
			cfg->write_timeout_ms = (uint32_t)v;
		else
			cfg->keepalive_ms = (uint32_t)v;
		return 0;
	}
	*why = "unknown key";
	return -1;
}

int
derper_config_load_yaml(struct derper_config *cfg, const char *path, char *error,
			size_t error_size)
{
	yaml_parser_t parser;
	yaml_event_t event;
	char key[64] = "";
	bool in_map = false, have_key = false, done = false;
	int depth = 0, rc = -1;
	struct stat st;
	FILE *f;

	f = fopen(path, "r");
	if (f == NULL) {
		snprintf(error, error_size, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fileno(f), &st) < 0 || st.st_size > CONFIG_FILE_MAX) {
		snprintf(error, error_size, "%s: larger than 1 MiB", path);
		fclose(f);
		return -1;
	}
	if (!yaml_parser_initialize(&parser)) {
		snprintf(error, error_size, "%s: yaml_parser_initialize failed", path);
		fclose(f);
		return -1;
	}
	yaml_parser_set_input_file(&parser, f);
	while (!done) {
		const char *why = NULL;
		size_t line, column;

		if (!yaml_parser_parse(&parser, &event)) {
			snprintf(error, error_size, "%s:%zu:%zu: %s", path,
				 parser.problem_mark.line + 1, parser.problem_mark.column + 1,
				 parser.problem != NULL ? parser.problem : "syntax error");
			goto out;
		}
		line = event.start_mark.line + 1;
		column = event.start_mark.column + 1;
		switch (event.type) {
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		case YAML_MAPPING_START_EVENT:
			depth++;
			if (depth > 1) {
				why = "nested maps are not settings";
				break;
			}
			in_map = true;
			break;
		case YAML_MAPPING_END_EVENT:
			depth--;
			break;
		case YAML_SEQUENCE_START_EVENT:
			why = "lists are not settings";
			break;
		case YAML_ALIAS_EVENT:
			why = "aliases are refused";
			break;
		case YAML_SCALAR_EVENT:
			if (!in_map) {
				why = "the file must be a map of settings";
				break;
			}
			if (event.data.scalar.anchor != NULL) {
				why = "anchors are refused";
				break;
			}
			if (!have_key) {
				if (snprintf(key, sizeof(key), "%s",
					     (const char *)event.data.scalar.value) >=
				    (int)sizeof(key)) {
					why = "key too long";
					break;
				}
				have_key = true;
			} else {
				if (set_option(cfg, key, (const char *)event.data.scalar.value,
					       &why) < 0) {
					snprintf(error, error_size, "%s:%zu:%zu: %s: %s", path, line,
						 column, key, why);
					yaml_event_delete(&event);
					goto out;
				}
				why = NULL;
				have_key = false;
			}
			break;
		default:
			break;
		}
		yaml_event_delete(&event);
		if (why != NULL) {
			snprintf(error, error_size, "%s:%zu:%zu: %s%s%s", path, line, column,
				 have_key ? key : "", have_key ? ": " : "", why);
			goto out;
		}
	}
	rc = 0;
out:
	yaml_parser_delete(&parser);
	fclose(f);
	return rc;
}

static void
set_defaults(struct derper_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->listen_any = true;
	cfg->listen.port = DERPER_DEFAULT_PORT;
	cfg->stun_port = 3478;
	cfg->max_clients = DERPER_DEFAULT_MAX_CLIENTS;
	cfg->log_level = LOG_LEVEL_INFO;
	cfg->login_timeout_ms = DERPER_LOGIN_TIMEOUT_MS;
	cfg->write_timeout_ms = DERPER_WRITE_TIMEOUT_MS;
	cfg->keepalive_ms = DERPER_KEEPALIVE_MS;
}

int
derper_config_load(struct derper_config *cfg, int argc, char **argv)
{
	static const struct option options[] = {
		{"config", required_argument, NULL, 'c'},
		{"listen", required_argument, NULL, 'l'},
		{"cert", required_argument, NULL, 'C'},
		{"key", required_argument, NULL, 'K'},
		{"self-signed", required_argument, NULL, 's'},
		{"pin-file", required_argument, NULL, 'p'},
		{"key-file", required_argument, NULL, 'k'},
		{"stun-port", required_argument, NULL, 'u'},
		{"rate", required_argument, NULL, 'r'},
		{"burst", required_argument, NULL, 'b'},
		{"max-clients", required_argument, NULL, 'm'},
		{"log-level", required_argument, NULL, 'v'},
		{"login-timeout-ms", required_argument, NULL, 'L'},
		{"write-timeout-ms", required_argument, NULL, 'W'},
		{"keepalive-ms", required_argument, NULL, 'A'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *config_file = NULL;
	int opt;

	set_defaults(cfg);
	/* First pass: only --config, so the file is read before the flags that override it. */
	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
		if (opt == 'c')
			config_file = optarg;
	}
	if (config_file != NULL) {
		char error[DERPER_ERROR_MAX];

		if (derper_config_load_yaml(cfg, config_file, error, sizeof(error)) < 0) {
			fprintf(stderr, "exitgate-derper: %s\n", error);
			return -1;
		}
	}
	opterr = 1;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
		const char *name = NULL, *why;
		char yaml_name[32];

		switch (opt) {
		case 'c':
			continue;
		case 'h':
			fputs(usage, stdout);
			return 1;
		case '?':
			fputs(usage, stderr);
			return -1;
		default:
			for (const struct option *o = options; o->name != NULL; o++) {
				if (o->val == opt)
					name = o->name;
			}
			break;
		}
		/* Flag names are the YAML keys with '-' for '_'. */
		snprintf(yaml_name, sizeof(yaml_name), "%s", name);
		for (char *p = yaml_name; *p != '\0'; p++) {
			if (*p == '-')
				*p = '_';
		}
		if (set_option(cfg, yaml_name, optarg, &why) < 0) {
			fprintf(stderr, "exitgate-derper: --%s %s: %s\n", name, optarg, why);
			return -1;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "exitgate-derper: unexpected argument %s\n", argv[optind]);
		return -1;
	}
	if ((cfg->cert_file[0] != '\0') != (cfg->key_file_tls[0] != '\0')) {
		fprintf(stderr, "exitgate-derper: --cert and --key go together\n");
		return -1;
	}
	if ((cfg->cert_file[0] != '\0') == (cfg->self_signed[0] != '\0')) {
		fprintf(stderr, "exitgate-derper: give either --cert/--key or --self-signed NAME\n");
		return -1;
	}
	if (cfg->burst == 0)
		cfg->burst = cfg->rate;
	cfg->keepalive_jitter_ms = cfg->keepalive_ms == DERPER_KEEPALIVE_MS
					   ? DERPER_KEEPALIVE_JITTER_MS
					   : cfg->keepalive_ms / 12;
	return 0;
}
