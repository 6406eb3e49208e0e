/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "time-util.h"

/* Connects a unix stream socket to path from a short-lived child in the PID namespace pidns_fd
 * and returns the connected socket.
 *
 * systemd drops connections to its private socket from peers whose PID it cannot see
 * (SO_PEERCRED yields pid 0 across PID namespaces), yet the worker must stay outside the
 * container's PID namespace so that no autofs can make it wait. Peer credentials are taken
 * at connect() time, so a child in the container's PID namespace connects and hands the socket
 * over. */
int connect_unix_in_pidns(int pidns_fd, const char *path, usec_t deadline);
