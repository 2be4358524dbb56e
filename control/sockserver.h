/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A small non-blocking Unix stream socket server on the control loop, shared by the UAPI socket
 * and exitgate's control socket. The socket file is created mode 0600 (root only). Each client
 * has a bounded input buffer and an output buffer; a framing function says where a request
 * ends, a handler turns it into a reply. A client that sends too much, too slowly, or a request
 * its handler refuses loses only its own connection.
 */
#ifndef EXITGATE_CONTROL_SOCKSERVER_H
#define EXITGATE_CONTROL_SOCKSERVER_H

#include <stdbool.h>
#include <stddef.h>

#include "loop.h"
#include "strbuf.h"

enum {
	SOCKSERVER_MAX_CLIENTS = 64,
	SOCKSERVER_IDLE_MS = 30000,
};

/* Length of the first complete request in data[0..len), 0 when it is not complete yet. */
typedef size_t (*sockserver_frame_fn)(const char *data, size_t len);
/* Write the reply into out; return false to close the connection after the reply is sent. */
typedef bool (*sockserver_handle_fn)(void *arg, const char *request, size_t len,
				     struct strbuf *out);

struct sockserver;

struct sockserver *sockserver_open(struct loop *loop, const char *path, size_t max_request,
				   sockserver_frame_fn frame, sockserver_handle_fn handle,
				   void *arg);
/* A handler that cannot answer at once calls this while it runs (what it wrote so far is kept
 * and goes out with the answer), and later sockserver_answer with the ticket (0: not inside a handler). The
 * client's next requests wait; a client that went away meanwhile makes the answer a no-op.
 * The handler must answer within its own deadline (the idle rule does not close a waiting
 * client). */
uint64_t sockserver_defer(struct sockserver *s);
void sockserver_answer(struct sockserver *s, uint64_t ticket, const char *text, bool close_after);

/* Closes every client, the listener, and removes the socket file. */
void sockserver_close(struct sockserver *s);

#endif
