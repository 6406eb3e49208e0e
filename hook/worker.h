/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "container.h"
#include "time-util.h"

/* What a function running inside the container gets. */
typedef struct Worker {
        const Container *container;
        /* Our own mountinfo, opened after joining: it describes the container's mount
         * namespace as seen from its root and is re-read with lseek(0). A leaf file, unlike
         * the /proc directory it came from, leads nowhere. */
        int mountinfo_fd;
        int output_fd;          /* a pipe to the caller for fn's result text; -EBADF: none */
        usec_t deadline;        /* CLOCK_MONOTONIC */
} Worker;

typedef int (*WorkerFunction)(const Worker *w, void *userdata);

/* At most this much output is taken from a worker; more fails the run with -EFBIG. */
#define WORKER_OUTPUT_MAX (1024 * 1024)

/* Runs fn in a forked process that joined the container's user namespace (when it has its
 * own), its mount namespace and its root, but stays in our PID namespace: a process invisible to
 * the automount daemon's PID namespace is never made to wait on an autofs, so nothing the worker
 * touches can hang it. Nothing is executed. The worker's log lines are relayed to our targets.
 * Returns 0 and fn's result (0..125) in *ret_result, or a negative errno: -ETIMEDOUT if the
 * worker had to be killed at the deadline, -EPROTO if it could not join the container.
 *
 * The worker faces the container: once it joined, it holds no fd that leads to the host (see
 * docs/security.md): stdio is /dev/null, the relay and output pipes, the container's PID
 * namespace and its own mountinfo are all it keeps. What it writes to w->output_fd is returned
 * in *ret_output (NUL-terminated) when ret_output is not NULL. */
int worker_run(const Container *c, usec_t deadline, WorkerFunction fn, void *userdata,
               int *ret_result, char **ret_output);
