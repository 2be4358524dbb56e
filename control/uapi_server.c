/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "log.h"
#include "uapi.h"
#include "uapi_server.h"
#include "wg_node.h"

bool
uapi_handle(void *arg, const char *request, size_t len, struct strbuf *out)
{
	struct node *node = arg;
	enum uapi_operation op;
	struct uapi_set set;
	char why[256];
	int rc;

	rc = uapi_parse_request(request, len, &op, &set, why, sizeof(why));
	if (rc == EPROTO) {
		log_warn("uapi: unknown operation; closing that connection");
		uapi_write_errno(out, rc);
		return false;
	}
	if (rc == 0 && op == UAPI_GET) {
		wg_node_uapi_get(node->wg, out);
		uapi_write_errno(out, 0);
		return true;
	}
	if (rc == 0) {
		rc = wg_node_uapi_set(node->wg, &set, why, sizeof(why));
		uapi_set_free(&set);
	}
	if (rc != 0)
		log_warn("uapi: set refused: %s", why);
	uapi_write_errno(out, rc);
	return rc == 0;
}

int
uapi_server_open(struct node *node)
{
	const struct config *c = node->config;
	char path[512];

	if (mkdir(c->control.uapi_dir, 0755) != 0 && errno != EEXIST) {
		log_error("uapi: mkdir %s: %s", c->control.uapi_dir, strerror(errno));
		return -1;
	}
	snprintf(path, sizeof(path), "%s/%s.sock", c->control.uapi_dir, c->node.interface);
	node->uapi = sockserver_open(node->loop, path, UAPI_REQUEST_MAX, uapi_frame, uapi_handle,
				     node);
	if (node->uapi == NULL)
		return -1;
	log_info("uapi: `wg show %s` works on %s", c->node.interface, path);
	return 0;
}

void
uapi_server_close(struct node *node)
{
	sockserver_close(node->uapi);
	node->uapi = NULL;
}
