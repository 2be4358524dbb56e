/* SPDX-License-Identifier: BSD-3-Clause */
/* The WireGuard UAPI socket of a node: <uapi_dir>/<interface>.sock, answered by wg_node. */
#ifndef EXITGATE_CONTROL_UAPI_SERVER_H
#define EXITGATE_CONTROL_UAPI_SERVER_H

#include "node.h"

int uapi_server_open(struct node *node);
void uapi_server_close(struct node *node);

/* Dispatch of one request framed by uapi_frame (uapi.h), for sockserver. */
bool uapi_handle(void *node, const char *request, size_t len, struct strbuf *out);

#endif
