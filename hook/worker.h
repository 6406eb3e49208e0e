/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "container.h"
#include "time-util.h"

/* What a function running inside the container gets. */
typedef struct Worker {
        const Container *container;
        int proc_self_fd;       /* our own /proc/PID in the host's procfs, opened before joining */
        usec_t deadline;        /* CLOCK_MONOTONIC */
} Worker;

typedef int (*WorkerFunction)(const Worker *w, void *userdata);

/* Runs fn in a forked process that joined the container's user namespace (when it has its
 * own), its mount namespace and its root, but stays in our PID namespace: a process invisible to
 * the automount daemon's PID namespace is never made to wait on an autofs, so nothing the worker
 * touches can hang it. Nothing is executed. The worker's log lines are relayed to our targets.
 * Returns fn's result (0..125) or a negative errno; -ETIMEDOUT if the worker had to be killed at
 * the deadline. */
int worker_run(const Container *c, usec_t deadline, WorkerFunction fn, void *userdata);
