/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Loading a config: file -> text (at most 1 MiB, checked before anything is parsed) -> YAML
 * tree -> structs by the schema tables. Everything is built in a new struct that the caller
 * gets only when all of it loaded; on any error the struct and the tree are freed, with the
 * secrets in them wiped.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "config_error.h"
#include "config_schema.h"
#include "yaml_tree.h"

static const char *const port_role_names[CONFIG_PORT_ROLES] = {
	[CONFIG_PORT_PUBLIC] = "public",
	[CONFIG_PORT_EGRESS] = "egress",
	[CONFIG_PORT_INNER] = "inner",
};

const char *
config_port_role_name(enum config_port_role role)
{
	return (unsigned int)role < CONFIG_PORT_ROLES ? port_role_names[role] : "unknown";
}

const struct config_peer *
config_find_peer(const struct config *config, const uint8_t public_key[KEY_LEN])
{
	for (size_t i = 0; i < config->peer_count; i++) {
		if (sodium_memcmp(config->peers[i].public_key, public_key, KEY_LEN) == 0)
			return &config->peers[i];
	}
	return NULL;
}

static struct config *
load_text(const char *name, const char *base_dir, const char *text, size_t length, char *error,
	  size_t error_size)
{
	struct config_loader loader = {
		.name = name,
		.base_dir = base_dir,
		.error = error,
		.error_size = error_size,
	};
	struct config *config = NULL;
	struct ynode *root = NULL;

	if (length > CONFIG_MAX_FILE_SIZE) {
		config_error_set(error, error_size, name, 1, 1, "",
				 "file is %zu bytes, over the limit of %d (1 MiB)", length,
				 CONFIG_MAX_FILE_SIZE);
		return NULL;
	}
	if (sodium_init() < 0) {
		config_error_set(error, error_size, name, 0, 0, "", "sodium_init: failed");
		return NULL;
	}
	if (ytree_parse(name, text, length, &root, error, error_size) < 0)
		return NULL;
	loader.root = root;
	if (root == NULL || ynode_is_null(root)) {
		config_error_set(error, error_size, name, 1, 1, "",
				 "empty config: it needs at least the node and ports sections");
		goto fail;
	}
	if (root->kind != YNODE_MAPPING) {
		config_loader_error(&loader, root, "",
				    "the document must be a map of sections (node, ports, peers, "
				    "...), got a %s",
				    ynode_kind_name(root));
		goto fail;
	}
	config = calloc(1, sizeof(*config));
	if (config == NULL || (config->source_path = strdup(name)) == NULL ||
	    schema_set_defaults(&config_schema, config) < 0) {
		config_loader_error(&loader, NULL, "", "out of memory");
		goto fail;
	}
	if (schema_load_map(&loader, &config_schema, root, "", config, 0) < 0)
		goto fail;
	ytree_free(root);
	return config;
fail:
	config_free(config);
	ytree_free(root);
	return NULL;
}

struct config *
config_load_buffer(const char *name, const char *text, size_t length, char *error,
		   size_t error_size)
{
	return load_text(name, NULL, text, length, error, error_size);
}

/* Read at most limit + 1 bytes: one more than the limit tells a file that is too large. */
static int
read_all(int fd, char *buf, size_t limit, size_t *length)
{
	size_t used = 0;

	while (used <= limit) {
		ssize_t n = read(fd, buf + used, limit + 1 - used);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		used += (size_t)n;
	}
	*length = used;
	return 0;
}

struct config *
config_load_file(const char *path, char *error, size_t error_size)
{
	struct config *config = NULL;
	char *text = NULL, *base_dir = NULL, *slash;
	size_t length = 0;
	struct stat st;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		config_error_set(error, error_size, path, 0, 0, "", "cannot read: %s",
				 strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) < 0) {
		config_error_set(error, error_size, path, 0, 0, "", "cannot read: %s",
				 strerror(errno));
		goto out;
	}
	if (S_ISREG(st.st_mode) && st.st_size > CONFIG_MAX_FILE_SIZE) {
		config_error_set(error, error_size, path, 1, 1, "",
				 "file is %lld bytes, over the limit of %d (1 MiB)",
				 (long long)st.st_size, CONFIG_MAX_FILE_SIZE);
		goto out;
	}
	text = malloc(CONFIG_MAX_FILE_SIZE + 1);
	base_dir = strdup(path);
	if (text == NULL || base_dir == NULL) {
		config_error_set(error, error_size, path, 0, 0, "", "out of memory");
		goto out;
	}
	if (read_all(fd, text, CONFIG_MAX_FILE_SIZE, &length) < 0) {
		config_error_set(error, error_size, path, 0, 0, "", "cannot read: %s",
				 strerror(errno));
		goto out;
	}
	/* key files named relative to the config are found next to it */
	slash = strrchr(base_dir, '/');
	if (slash == NULL) {
		free(base_dir);
		base_dir = NULL;
	} else {
		slash[slash == base_dir ? 1 : 0] = '\0';
	}
	config = load_text(path, base_dir, text, length, error, error_size);
out:
	if (text != NULL) {
		sodium_memzero(text, length);
		free(text);
	}
	free(base_dir);
	close(fd);
	return config;
}
