/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <systemd/sd-bus.h>

#include "time-util.h"



typedef struct AutomountUnitInfo {
        char *name;
        char *object_path;
        char *active_state;
} AutomountUnitInfo;

void automount_unit_info_free_array(AutomountUnitInfo *a, size_t n);

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

/* Connects to systemd's private socket of the mount namespace we are in, from the PID namespace
 * pidns_fd (see pidns-connect.h), and checks that the peer is expected_pid (in our PID
 * namespace), so that no other process in the container can pose as its systemd. */
int systemd_bus_open(int pidns_fd, pid_t expected_pid, usec_t deadline, sd_bus **ret);

/* Every loaded *.automount unit, whatever its state. */
int systemd_list_automounts(sd_bus *bus, usec_t deadline, AutomountUnitInfo **ret, size_t *ret_n);

/* One string property of one unit, as asked and as answered. */
typedef struct PropertyQuery {
        const char *object_path;
        char *value;            /* the answer, when there is one */
        int error;              /* why there is none: a negative errno */
        bool done;
} PropertyQuery;

void property_query_done(PropertyQuery *q);

/* Reads one string property of many units: every call goes out at once and the answers are
 * collected as they come, so N units cost one round trip, not N. Each query gets its value or
 * its error; returns negative only when the bus failed or the deadline passed. */
int systemd_get_units_property(sd_bus *bus, PropertyQuery *queries, size_t n, const char *interface,
                               const char *property, usec_t deadline);

/* Resets each unit's failure state and start rate limit, queues all restarts, then waits for
 * all of them until deadline: N units cost one round trip, not N. Jobs still queued then are
 * cancelled (Job.Cancel), waiting for systemd's answer until cancel_deadline, so that no
 * restart of ours runs after we gave up on it. Returns -ETIMEDOUT if jobs were unfinished at
 * the deadline. */
int systemd_restart_units(sd_bus *bus, RestartJob *jobs, size_t n, usec_t deadline,
                          usec_t cancel_deadline);
