/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "systemd-bus.h"

/* Restarts of units by the container's systemd, over the bus of systemd-bus.h, as jobs that are
 * followed to their end or cancelled, so that none of ours runs after we gave up on it. */

/* A restart of one unit, as queued and as it ended. */
typedef struct RestartJob {
        const char *unit;
        char *job_path;         /* set when systemd accepted the job */
        char *result;           /* JobRemoved's result: "done", "failed", "timeout", ... */
        char *error;            /* the method error, when systemd refused the job */
        bool finished;
        bool cancel_sent;       /* unfinished at the deadline: we asked systemd to cancel it */
} RestartJob;

void restart_job_done(RestartJob *j);

/* A job that neither ended nor was cancelled (or whose RestartUnit call was never answered)
 * may still run later, and detach whatever is at Where then. */
bool restart_job_may_still_run(const RestartJob *j);

/* Resets each unit's failure state and start rate limit, queues all restarts, then waits for
 * all of them until deadline: N units cost one round trip, not N. Jobs still queued then are
 * cancelled (Job.Cancel), waiting for systemd's answer until cancel_deadline, so that no
 * restart of ours runs after we gave up on it. Returns -ETIMEDOUT if jobs were unfinished at
 * the deadline. */
int systemd_restart_units(sd_bus *bus, RestartJob *jobs, size_t n, usec_t deadline,
                          usec_t cancel_deadline);
