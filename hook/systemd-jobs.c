/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "macro.h"
#include "systemd-jobs.h"

/* Untrusted peer: a container's systemd could send any number of JobRemoved signals, so bound
 * what we keep of them. */
#define EARLY_REMOVALS_PER_UNIT 4

bool restart_job_may_still_run(const RestartJob *j) {
        return !j->finished;
}

void restart_job_done(RestartJob *j) {
        free(j->job_path);
        free(j->result);
        free(j->error);
        *j = (RestartJob) { .unit = j->unit };
}

/* JobRemoved may in principle be processed before the reply that names the job. */
typedef struct EarlyRemoval {
        char *job_path;
        char *result;
} EarlyRemoval;

typedef struct RestartBatch {
        RestartJob *jobs;
        size_t n;
        size_t pending;
        EarlyRemoval *early;
        size_t n_early;
} RestartBatch;

typedef struct RestartCall {
        RestartBatch *batch;
        RestartJob *job;
} RestartCall;

static void job_finish(RestartBatch *b, RestartJob *j) {
        if (!j->finished) {
                j->finished = true;
                b->pending--;
        }
}

static int job_set_result(RestartBatch *b, RestartJob *j, const char *result) {
        j->result = strdup(result);
        if (!j->result)
                return -ENOMEM;
        job_finish(b, j);
        return 0;
}

static int on_job_removed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        RestartBatch *b = userdata;
        const char *job_path, *unit, *result;
        EarlyRemoval *ne;
        uint32_t id;
        int r;

        r = sd_bus_message_read(m, "uoss", &id, &job_path, &unit, &result);
        if (r < 0)
                return 0; /* a malformed signal is not ours to fail on */

        for (size_t i = 0; i < b->n; i++)
                if (streq_ptr(b->jobs[i].job_path, job_path) && !b->jobs[i].finished)
                        return job_set_result(b, &b->jobs[i], result);

        /* Only remember removals of units we restart, and only a few per unit, so a chatty or
         * flooding systemd cannot grow this. A systemd that buries our job's removal under more
         * leaves the job unfinished at the deadline: reported, not trusted. */
        if (b->n_early >= EARLY_REMOVALS_PER_UNIT * b->n)
                return 0;
        for (size_t i = 0; i < b->n; i++)
                if (streq_ptr(b->jobs[i].unit, unit) && !b->jobs[i].job_path) {
                        ne = realloc(b->early, (b->n_early + 1) * sizeof *ne);
                        if (!ne)
                                return -ENOMEM;
                        b->early = ne;
                        ne[b->n_early] = (EarlyRemoval) { strdup(job_path), strdup(result) };
                        if (!ne[b->n_early].job_path || !ne[b->n_early].result) {
                                free(ne[b->n_early].job_path);
                                free(ne[b->n_early].result);
                                return -ENOMEM;
                        }
                        b->n_early++;
                        break;
                }
        return 0;
}

static int on_restart_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        RestartCall *call = userdata;
        RestartBatch *b = call->batch;
        RestartJob *j = call->job;
        const char *job_path;
        int r;

        if (sd_bus_message_is_method_error(m, NULL)) {
                const sd_bus_error *e = sd_bus_message_get_error(m);

                j->error = strdup(e && e->message ? e->message : e && e->name ? e->name : "error");
                job_finish(b, j);
                return 0;
        }

        r = sd_bus_message_read(m, "o", &job_path);
        if (r < 0) {
                j->error = strdup("malformed reply to RestartUnit");
                job_finish(b, j);
                return 0;
        }
        j->job_path = strdup(job_path);
        if (!j->job_path)
                return -ENOMEM;

        for (size_t i = 0; i < b->n_early; i++)
                if (strcmp(b->early[i].job_path, job_path) == 0)
                        return job_set_result(b, j, b->early[i].result);
        return 0;
}

static int on_cancel_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        RestartCall *call = userdata;

        /* Success: JobRemoved with "canceled" follows. NoSuchJob: the job ended before; its
         * JobRemoved came first. Either way the job will not run any more. */
        if (!sd_bus_message_is_method_error(m, NULL)) {
                if (!call->job->result)
                        call->job->result = strdup("canceled");
                job_finish(call->batch, call->job);
        } else if (sd_bus_message_is_method_error(m, "org.freedesktop.systemd1.NoSuchJob"))
                job_finish(call->batch, call->job);
        return 0;
}

/* Runs the bus until pending() is false or the deadline passes. */
static int process_until(sd_bus *bus, usec_t deadline, bool (*pending)(const RestartBatch *b),
                         const RestartBatch *b) {
        int r;

        while (pending(b)) {
                usec_t left = usec_until(deadline);

                r = sd_bus_process(bus, NULL);
                if (r < 0)
                        return r;
                if (r > 0)
                        continue;
                if (left == 0)
                        return -ETIMEDOUT;
                r = sd_bus_wait(bus, left);
                if (r < 0)
                        return r;
        }
        return 0;
}

static bool jobs_pending(const RestartBatch *b) {
        return b->pending > 0;
}

static int cancel_unfinished(sd_bus *bus, RestartBatch *b, RestartCall *calls,
                             sd_bus_slot **slots, usec_t deadline) {
        int r;

        for (size_t i = 0; i < b->n; i++) {
                RestartJob *j = &b->jobs[i];

                if (j->finished || !j->job_path)
                        continue;
                r = sd_bus_call_method_async(bus, &slots[i], SYSTEMD_SERVICE, j->job_path,
                                             "org.freedesktop.systemd1.Job", "Cancel",
                                             on_cancel_reply, &calls[i], "");
                if (r < 0)
                        return r;
                j->cancel_sent = true;
        }
        /* Cancelled jobs finish through on_cancel_reply() or JobRemoved; wait for those only. */
        return process_until(bus, deadline, jobs_pending, b);
}

int systemd_restart_units(sd_bus *bus, RestartJob *jobs, size_t n, usec_t deadline,
                          usec_t cancel_deadline) {
        _cleanup_(sd_bus_slot_unrefp) sd_bus_slot *match = NULL;
        _cleanup_free_ RestartCall *calls = NULL;
        sd_bus_slot **reply_slots = NULL;
        RestartBatch b = { .jobs = jobs, .n = n, .pending = n };
        int r;

        if (n == 0)
                return 0;

        calls = calloc(n, sizeof *calls);
        reply_slots = calloc(n, sizeof *reply_slots);
        if (!calls || !reply_slots) {
                free(reply_slots);
                return -ENOMEM;
        }

        /* systemd sends JobRemoved to every direct connection without a Subscribe() call; the
         * match only has to exist before the first job can end. */
        r = sd_bus_match_signal(bus, &match, NULL, SYSTEMD_PATH, SYSTEMD_MANAGER, "JobRemoved",
                                on_job_removed, &b);
        if (r < 0)
                goto finish;

        r = bus_set_call_timeout(bus, deadline);
        if (r < 0)
                goto finish;

        for (size_t i = 0; i < n; i++) {
                /* Repeated restores would otherwise run into StartLimitBurst= and leave the unit
                 * failed with everything below Where detached. */
                r = sd_bus_call_method_async(bus, NULL, SYSTEMD_SERVICE, SYSTEMD_PATH,
                                             SYSTEMD_MANAGER, "ResetFailedUnit", NULL, NULL, "s",
                                             jobs[i].unit);
                if (r < 0)
                        goto finish;

                calls[i] = (RestartCall) { &b, &jobs[i] };
                r = sd_bus_call_method_async(bus, &reply_slots[i], SYSTEMD_SERVICE, SYSTEMD_PATH,
                                             SYSTEMD_MANAGER, "RestartUnit", on_restart_reply,
                                             &calls[i], "ss", jobs[i].unit, "replace");
                if (r < 0)
                        goto finish;
        }

        r = process_until(bus, deadline, jobs_pending, &b);
        if (r == -ETIMEDOUT) {
                int k;

                /* The restart replies that never came are moot now: their slots go, and the
                 * same slots carry the Cancel calls. */
                for (size_t i = 0; i < n; i++)
                        reply_slots[i] = sd_bus_slot_unref(reply_slots[i]);
                if (bus_set_call_timeout(bus, cancel_deadline) >= 0) {
                        k = cancel_unfinished(bus, &b, calls, reply_slots, cancel_deadline);
                        if (k < 0 && k != -ETIMEDOUT)
                                log_debug_errno(k, "Cancelling the unfinished restart jobs failed: %m");
                }
        }

finish:
        for (size_t i = 0; i < n; i++)
                sd_bus_slot_unref(reply_slots[i]);
        free(reply_slots);
        for (size_t i = 0; i < b.n_early; i++) {
                free(b.early[i].job_path);
                free(b.early[i].result);
        }
        free(b.early);
        return r;
}
