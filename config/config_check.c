/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Rules that span several keys: the node's key pair, defaults computed from other values, and
 * the checks across the whole config (unique peers and relays, no allowed-IPs claimed by two
 * peers). Lists are sorted for the uniqueness checks so that a config with many peers stays fast
 * to load.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "config_error.h"
#include "config_schema.h"
#include "keyfile.h"

enum {
	PREFIX_DEPTH_MAX = 129, /* lengths 0..128: a chain of nested prefixes is never longer */
};

/* The node of key inside the list item path[index], or the nearest node found on the way. */
static const struct ynode *
item_member(const struct ynode *list, size_t index, const char *key)
{
	const struct ynode *item, *member;

	if (list == NULL || list->kind != YNODE_SEQUENCE || index >= list->item_count)
		return list;
	item = list->items[index];
	if (key == NULL)
		return item;
	member = ynode_member(item, key);
	return member != NULL ? member : item;
}

int
config_node_finish(struct config_loader *loader, const struct ynode *node, const char *path,
		   void *base, size_t index)
{
	struct config_node *n = base;
	const struct ynode *inline_key = ynode_member(node, "private_key");
	char key_path[CONFIG_PATH_MAX];

	(void)index;
	if (n->private_key_file == NULL && (inline_key == NULL || ynode_is_null(inline_key))) {
		config_path_member(key_path, path, "private_key");
		return config_loader_error(loader, node, key_path,
					   "required key missing (or give private_key_file)");
	}
	/* X25519 clamps the scalar itself; the key is kept as written, as wg does */
	if (crypto_scalarmult_base(n->public_key, n->private_key) != 0)
		return config_loader_error(loader, node, path,
					   "crypto_scalarmult_base: cannot derive the public key");
	return 0;
}

int
config_region_finish(struct config_loader *loader, const struct ynode *node, const char *path,
		     void *base, size_t index)
{
	struct config_derp_region *region = base;

	(void)index;
	if (region->region_name == NULL) {
		region->region_name = strdup(region->region_code);
		if (region->region_name == NULL)
			return config_loader_error(loader, node, path, "out of memory");
	}
	return 0;
}

int
config_peer_finish(struct config_loader *loader, const struct ynode *node, const char *path,
		   void *base, size_t index)
{
	struct config_peer *peer = base;
	char name[32];

	if (peer->name == NULL) {
		snprintf(name, sizeof(name), "peer%zu", index);
		peer->name = strdup(name);
		if (peer->name == NULL)
			return config_loader_error(loader, node, path, "out of memory");
	}
	return 0;
}

/* The auth key file is read as the tailnet client will read it: a token file (one line, the key
 * file mode rule). The key itself is not kept: the client reads the file when it logs in. */
int
config_tailnet_finish(struct config_loader *loader, const struct ynode *node, const char *path,
		      void *base, size_t index)
{
	enum { AUTH_KEY_MAX = 512 }; /* control/tailnet reads at most this much */
	struct config_tailnet *t = base;
	char why[CONFIG_ERROR_MAX], key[AUTH_KEY_MAX + 1], key_path[CONFIG_PATH_MAX];
	int rc;

	(void)index;
	if (t->auth_key_file == NULL)
		return 0;
	rc = token_file_read("auth key file", t->auth_key_file, NULL, key, sizeof(key), why,
			     sizeof(why));
	sodium_memzero(key, sizeof(key));
	if (rc < 0) {
		config_path_member(key_path, path, "auth_key_file");
		return config_loader_error(loader, ynode_member(node, "auth_key_file"), key_path,
					   "%s", why);
	}
	return 0;
}

/* Ports: one device per role. */
static int
check_ports(struct config_loader *loader, const struct config *config)
{
	const struct ynode *ports = ynode_member(loader->root, "ports");
	char path[CONFIG_PATH_MAX];

	for (int role = 0; role < CONFIG_PORT_ROLES; role++) {
		if (!config->ports[role].present)
			continue;
		for (int other = 0; other < role; other++) {
			const struct ynode *at;

			if (!config->ports[other].present ||
			    strcmp(config->ports[role].device, config->ports[other].device) != 0)
				continue;
			at = ynode_member(ynode_member(ports, config_port_role_name(role)),
					  "device");
			snprintf(path, sizeof(path), "ports.%s.device",
				 config_port_role_name(role));
			return config_loader_error(loader, at, path, "same device as ports.%s",
						   config_port_role_name(other));
		}
	}
	return 0;
}

static int
check_exit(struct config_loader *loader, const struct config *config)
{
	const struct ynode *exit_node = ynode_member(loader->root, "exit");
	const struct ynode *at = ynode_member(exit_node, "sessions_per_peer");

	if (config->exit.sessions_per_peer <= config->exit.sessions)
		return 0;
	if (at == NULL)
		return config_loader_error(loader, ynode_member(exit_node, "sessions"),
					   "exit.sessions",
					   "%u is less than exit.sessions_per_peer (%u)",
					   config->exit.sessions, config->exit.sessions_per_peer);
	return config_loader_error(loader, at, "exit.sessions_per_peer",
				   "%u is more than exit.sessions (%u)",
				   config->exit.sessions_per_peer, config->exit.sessions);
}

/*
 * The metrics listener is a kernel socket of the node. It never listens where the internet
 * reaches the node: not on an address of the public port (whose kernel TAP carries those
 * addresses into the kernel), and not on the unspecified address, which is every interface.
 */
static int
check_metrics(struct config_loader *loader, const struct config *config)
{
	const struct ynode *at = ynode_member(ynode_member(loader->root, "control"), "metrics");
	const struct config_port *pub = &config->ports[CONFIG_PORT_PUBLIC];
	const struct netaddr *addr = &config->control.metrics.addr;
	static const uint8_t zero[16];
	char text[NETADDR_TEXT_MAX];

	if (!config->control.has_metrics)
		return 0;
	if (memcmp(addr->bytes, zero, sizeof(zero)) == 0)
		return config_loader_error(loader, at, "control.metrics",
					   "the unspecified address listens on every interface, "
					   "the public one too; name one address (e.g. "
					   "127.0.0.1:9586 or a management address)");
	for (size_t i = 0; pub->present && i < pub->address_count; i++) {
		if (!netaddr_equal(&pub->addresses[i].addr, addr))
			continue;
		netaddr_format(addr, text, sizeof(text));
		return config_loader_error(loader, at, "control.metrics",
					   "%s is an address of ports.public: metrics are never "
					   "served on the public port",
					   text);
	}
	return 0;
}

/* An item of a list, sorted by its value and then by where it is in the file. */
struct sort_entry {
	const void *value;
	size_t outer; /* region or peer index */
	size_t inner; /* node or allowed-IP index */
};

static int
compare_place(const struct sort_entry *a, const struct sort_entry *b)
{
	if (a->outer != b->outer)
		return a->outer < b->outer ? -1 : 1;
	if (a->inner != b->inner)
		return a->inner < b->inner ? -1 : 1;
	return 0;
}

static int
compare_strings(const void *x, const void *y)
{
	const struct sort_entry *a = x, *b = y;
	int c = strcmp(a->value, b->value);

	return c != 0 ? c : compare_place(a, b);
}

static int
compare_keys(const void *x, const void *y)
{
	const struct sort_entry *a = x, *b = y;
	int c = memcmp(a->value, b->value, KEY_LEN);

	return c != 0 ? c : compare_place(a, b);
}

static int
compare_region_ids(const void *x, const void *y)
{
	const struct sort_entry *a = x, *b = y;
	uint32_t ia = *(const uint32_t *)a->value, ib = *(const uint32_t *)b->value;

	if (ia != ib)
		return ia < ib ? -1 : 1;
	return compare_place(a, b);
}

/* Prefixes in address order, the wider first: a prefix comes after all that contain it. */
static int
compare_prefixes(const void *x, const void *y)
{
	const struct sort_entry *a = x, *b = y;
	const struct netprefix *pa = a->value, *pb = b->value;
	int c;

	if (pa->addr.family != pb->addr.family)
		return pa->addr.family < pb->addr.family ? -1 : 1;
	c = memcmp(pa->addr.bytes, pb->addr.bytes, sizeof(pa->addr.bytes));
	if (c != 0)
		return c;
	if (pa->len != pb->len)
		return pa->len < pb->len ? -1 : 1;
	return compare_place(a, b);
}

/*
 * Sort entries and find the pair of equal values whose later member comes first in the file
 * (so the error is the one a reader meets first). Returns false when all values differ.
 */
static bool
first_duplicate(struct sort_entry *entries, size_t count,
		int (*compare)(const void *, const void *), const struct sort_entry **first,
		const struct sort_entry **second)
{
	size_t run_start = 0;
	bool found = false;

	qsort(entries, count, sizeof(*entries), compare);
	for (size_t i = 1; i < count; i++) {
		struct sort_entry previous = entries[i - 1];

		/* equal values compare by place only: give both the same place to test the value */
		previous.outer = entries[i].outer;
		previous.inner = entries[i].inner;
		if (compare(&previous, &entries[i]) != 0) {
			run_start = i;
			continue;
		}
		/* a run of equal values is in file order: its first entry is the original */
		if (!found || compare_place(&entries[i], *second) < 0) {
			*first = &entries[run_start];
			*second = &entries[i];
			found = true;
		}
	}
	return found;
}

static int
check_derp(struct config_loader *loader, const struct config *config)
{
	const struct ynode *derp = ynode_member(loader->root, "derp");
	const struct ynode *regions = ynode_member(derp, "regions");
	const struct config_derp *d = &config->derp;
	const struct sort_entry *first, *second;
	struct sort_entry *entries;
	char path[CONFIG_PATH_MAX], quoted[CONFIG_QUOTE_MAX];
	size_t node_count = 0, n = 0;
	bool home_found = d->home_region == 0;
	int rc = 0;

	for (size_t r = 0; r < d->region_count; r++) {
		node_count += d->regions[r].node_count;
		home_found = home_found || d->regions[r].region_id == d->home_region;
	}
	if (!home_found)
		return config_loader_error(loader, ynode_member(derp, "home_region"),
					   "derp.home_region", "region %u is not in derp.regions",
					   d->home_region);
	entries = calloc(d->region_count + node_count + 1, sizeof(*entries));
	if (entries == NULL)
		return config_loader_error(loader, NULL, "", "out of memory");
	for (size_t r = 0; r < d->region_count; r++)
		entries[r] = (struct sort_entry){ &d->regions[r].region_id, r, 0 };
	if (first_duplicate(entries, d->region_count, compare_region_ids, &first, &second)) {
		snprintf(path, sizeof(path), "derp.regions[%zu].region_id", second->outer);
		rc = config_loader_error(loader, item_member(regions, second->outer, "region_id"),
					 path, "region_id %u is also derp.regions[%zu]'s",
					 *(const uint32_t *)second->value, first->outer);
		goto out;
	}
	for (size_t r = 0; r < d->region_count; r++) {
		for (size_t i = 0; i < d->regions[r].node_count; i++)
			entries[n++] = (struct sort_entry){ d->regions[r].nodes[i].name, r, i };
	}
	if (first_duplicate(entries, n, compare_strings, &first, &second)) {
		const struct ynode *nodes = ynode_member(item_member(regions, second->outer, NULL),
							 "nodes");

		snprintf(path, sizeof(path), "derp.regions[%zu].nodes[%zu].name", second->outer,
			 second->inner);
		config_quote(quoted, second->value, strlen(second->value));
		rc = config_loader_error(loader, item_member(nodes, second->inner, "name"), path,
					 "node name %s is also derp.regions[%zu].nodes[%zu]'s",
					 quoted, first->outer, first->inner);
	}
out:
	free(entries);
	return rc;
}

/* A peer as error messages name it: peers[2] ("laptop") */
static void
peer_label(char *buf, size_t size, const struct config *config, size_t index)
{
	char quoted[CONFIG_QUOTE_MAX];
	const char *name = config->peers[index].name;

	snprintf(buf, size, "peers[%zu] (%s)", index, config_quote(quoted, name, strlen(name)));
}

static int
check_peer_names_and_keys(struct config_loader *loader, const struct config *config,
			  struct sort_entry *entries)
{
	const struct ynode *peers = ynode_member(loader->root, "peers");
	const struct sort_entry *first, *second;
	char path[CONFIG_PATH_MAX], label[CONFIG_PATH_MAX], quoted[CONFIG_QUOTE_MAX];

	for (size_t i = 0; i < config->peer_count; i++) {
		if (sodium_memcmp(config->peers[i].public_key, config->node.public_key, KEY_LEN) ==
		    0) {
			snprintf(path, sizeof(path), "peers[%zu].public_key", i);
			return config_loader_error(loader, item_member(peers, i, "public_key"),
						   path, "this is the node's own public key");
		}
	}
	for (size_t i = 0; i < config->peer_count; i++)
		entries[i] = (struct sort_entry){ config->peers[i].public_key, i, 0 };
	if (first_duplicate(entries, config->peer_count, compare_keys, &first, &second)) {
		snprintf(path, sizeof(path), "peers[%zu].public_key", second->outer);
		peer_label(label, sizeof(label), config, first->outer);
		return config_loader_error(loader, item_member(peers, second->outer, "public_key"),
					   path, "same public key as %s", label);
	}
	for (size_t i = 0; i < config->peer_count; i++)
		entries[i] = (struct sort_entry){ config->peers[i].name, i, 0 };
	if (first_duplicate(entries, config->peer_count, compare_strings, &first, &second)) {
		snprintf(path, sizeof(path), "peers[%zu].name", second->outer);
		config_quote(quoted, second->value, strlen(second->value));
		return config_loader_error(loader, item_member(peers, second->outer, "name"), path,
					   "name %s is also peers[%zu]'s", quoted, first->outer);
	}
	return 0;
}

/*
 * Allowed IPs: no address may route to two peers. In sorted order each prefix follows every
 * prefix containing it, so a stack of the prefixes that contain the current one (at most one
 * per length) finds each clash. Two entries of one peer may overlap: the peer gets the union.
 */
/* Keep the clash between a and b if its later member comes first in the file so far. */
static void
note_clash(const struct sort_entry *a, const struct sort_entry *b, const struct sort_entry **first,
	   const struct sort_entry **second)
{
	const struct sort_entry *early = a, *late = b;

	if (compare_place(a, b) > 0) {
		early = b;
		late = a;
	}
	if (*second == NULL || compare_place(late, *second) < 0) {
		*first = early;
		*second = late;
	}
}

static int
check_allowed_ips(struct config_loader *loader, const struct config *config,
		  struct sort_entry *entries, size_t count)
{
	const struct sort_entry *stack[PREFIX_DEPTH_MAX];
	const struct sort_entry *first = NULL, *second = NULL;
	const struct ynode *peers = ynode_member(loader->root, "peers");
	const struct ynode *at;
	char path[CONFIG_PATH_MAX], label[CONFIG_PATH_MAX];
	char a_text[NETADDR_TEXT_MAX], b_text[NETADDR_TEXT_MAX], quoted[CONFIG_QUOTE_MAX];
	size_t depth = 0, n = 0;

	for (size_t p = 0; p < config->peer_count; p++) {
		for (size_t i = 0; i < config->peers[p].allowed_ip_count; i++)
			entries[n++] =
				(struct sort_entry){ &config->peers[p].allowed_ips[i], p, i };
	}
	qsort(entries, count, sizeof(*entries), compare_prefixes);
	for (size_t i = 0; i < count; i++) {
		const struct sort_entry *e = &entries[i];
		const struct netprefix *prefix = e->value;

		while (depth > 0 && !netprefix_contains(stack[depth - 1]->value, &prefix->addr))
			depth--;
		/* everything left on the stack contains this prefix */
		for (size_t s = 0; s < depth; s++) {
			if (stack[s]->outer != e->outer)
				note_clash(stack[s], e, &first, &second);
		}
		/* the same prefix again adds nothing to the stack */
		if (depth > 0 && ((const struct netprefix *)stack[depth - 1]->value)->len ==
					 prefix->len)
			continue;
		stack[depth++] = e;
	}
	if (second == NULL)
		return 0;
	snprintf(path, sizeof(path), "peers[%zu].allowed_ips[%zu]", second->outer, second->inner);
	peer_label(label, sizeof(label), config, first->outer);
	config_quote(quoted, config->peers[second->outer].name,
		     strlen(config->peers[second->outer].name));
	netprefix_format(second->value, a_text, sizeof(a_text));
	netprefix_format(first->value, b_text, sizeof(b_text));
	at = ynode_member(item_member(peers, second->outer, NULL), "allowed_ips");
	return config_loader_error(loader, item_member(at, second->inner, NULL), path,
				   "%s of peer %s overlaps %s of %s", a_text, quoted, b_text,
				   label);
}

static int
check_peers(struct config_loader *loader, const struct config *config)
{
	struct sort_entry *entries;
	size_t prefix_count = 0, entry_count;
	int rc;

	for (size_t p = 0; p < config->peer_count; p++)
		prefix_count += config->peers[p].allowed_ip_count;
	/* one array serves both checks: room for the larger */
	if (prefix_count < config->peer_count)
		entry_count = config->peer_count;
	else
		entry_count = prefix_count;
	entries = calloc(entry_count + 1, sizeof(*entries));
	if (entries == NULL)
		return config_loader_error(loader, NULL, "", "out of memory");
	rc = check_peer_names_and_keys(loader, config, entries);
	if (rc == 0)
		rc = check_allowed_ips(loader, config, entries, prefix_count);
	free(entries);
	return rc;
}

int
config_root_finish(struct config_loader *loader, const struct ynode *node, const char *path,
		   void *base, size_t index)
{
	const struct config *config = base;

	(void)node;
	(void)path;
	(void)index;
	if (check_ports(loader, config) < 0 || check_exit(loader, config) < 0 ||
	    check_metrics(loader, config) < 0 ||
	    check_derp(loader, config) < 0 || check_peers(loader, config) < 0)
		return -1;
	return 0;
}
