/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "fd-util.h"
#include "log.h"
#include "macro.h"
#include "pidns-connect.h"
#include "systemd-bus.h"

#define SYSTEMD_SERVICE     "org.freedesktop.systemd1"
#define SYSTEMD_PATH        "/org/freedesktop/systemd1"
#define SYSTEMD_MANAGER     "org.freedesktop.systemd1.Manager"
#define SYSTEMD_PRIVATE_SOCKET "/run/systemd/private"

/* Untrusted peer: a container's systemd could answer with anything, so bound what we keep. */
#define MAX_AUTOMOUNT_UNITS 4096
#define EARLY_REMOVALS_PER_UNIT 4


static void sd_bus_error_freep(sd_bus_error *e) {
        sd_bus_error_free(e);
}
#define _cleanup_bus_error_ _cleanup_(sd_bus_error_freep)

static int set_call_timeout(sd_bus *bus, usec_t deadline) {
        usec_t left = usec_until(deadline);

        if (left == 0)
                return -ETIMEDOUT;
        return sd_bus_set_method_call_timeout(bus, left);
}

/* Runs the bus until done() says so or the deadline passes. Every message is dispatched as it
 * arrives: nothing a flooding peer sends piles up in sd-bus's queues while we wait. */
static int run_bus_until(sd_bus *bus, usec_t deadline, bool (*done)(void *userdata), void *userdata) {
        for (;;) {
                usec_t left;
                int r;

                if (done(userdata))
                        return 0;
                r = sd_bus_process(bus, NULL);
                if (r < 0)
                        return r;
                if (r > 0)
                        continue;
                left = usec_until(deadline);
                if (left == 0)
                        return -ETIMEDOUT;
                r = sd_bus_wait(bus, left);
                if (r < 0 && r != -EINTR)
                        return r;
        }
}

static bool bus_is_ready(void *userdata) {
        return sd_bus_is_ready(userdata) > 0;
}

typedef struct CallResult {
        bool done;
        sd_bus_message *reply;
} CallResult;

static int on_call_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        CallResult *c = userdata;

        c->reply = sd_bus_message_ref(m);
        c->done = true;
        return 0;
}

static bool call_is_done(void *userdata) {
        return ((CallResult *) userdata)->done;
}

/* sd_bus_call() with the run's deadline, but without its queueing: sd_bus_call() keeps every
 * other message that arrives meanwhile (sd-bus allows hundreds of thousands), which a container's
 * systemd can fill with large signals. */
static int call_bounded(sd_bus *bus, sd_bus_message *call, usec_t deadline, sd_bus_error *error,
                        sd_bus_message **ret_reply) {
        _cleanup_(sd_bus_slot_unrefp) sd_bus_slot *slot = NULL;
        CallResult c = {};
        int r;

        r = sd_bus_call_async(bus, &slot, call, on_call_reply, &c, usec_until(deadline) ?: 1);
        if (r < 0)
                return r;
        r = run_bus_until(bus, deadline, call_is_done, &c);
        if (r < 0)
                return r;
        if (sd_bus_message_is_method_error(c.reply, NULL)) {
                r = sd_bus_error_copy(error, sd_bus_message_get_error(c.reply));
                sd_bus_message_unref(c.reply);
                return r < 0 ? r : -EIO;
        }
        *ret_reply = c.reply;
        return 0;
}

void automount_unit_info_free_array(AutomountUnitInfo *a, size_t n) {
        for (size_t i = 0; i < n && a; i++) {
                free(a[i].name);
                free(a[i].object_path);
                free(a[i].active_state);
        }
        free(a);
}

bool restart_job_may_still_run(const RestartJob *j) {
        return !j->finished;
}

void restart_job_done(RestartJob *j) {
        free(j->job_path);
        free(j->result);
        free(j->error);
        *j = (RestartJob) { .unit = j->unit };
}

static int check_peer(sd_bus *bus, pid_t expected_pid) {
        struct ucred cred;
        socklen_t len = sizeof cred;
        int fd;

        fd = sd_bus_get_fd(bus);
        if (fd < 0)
                return fd;
        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
                return -errno;
        if (cred.pid != expected_pid)
                return log_error_errno(SYNTHETIC_ERRNO(EPERM),
                                       "/run/systemd/private is served by PID %d, not by the container's init (PID %d); refusing to talk to it.",
                                       (int) cred.pid, (int) expected_pid);
        return 0;
}

int systemd_bus_open(int pidns_fd, pid_t expected_pid, usec_t deadline, sd_bus **ret) {
        /* No flush on failure: a peer that never authenticates or never reads would hold us. */
        _cleanup_(sd_bus_close_unrefp) sd_bus *bus = NULL;
        _cleanup_close_ int fd = -EBADF;
        int r;

        fd = connect_unix_in_pidns(pidns_fd, SYSTEMD_PRIVATE_SOCKET, deadline);
        if (fd < 0)
                return fd;

        r = sd_bus_new(&bus);
        if (r < 0)
                return r;
        r = sd_bus_set_fd(bus, fd, fd);
        if (r < 0)
                return r;
        TAKE_FD(fd);
        r = sd_bus_start(bus);
        if (r < 0)
                return r;
        /* sd-bus would wait up to 90 s for a peer that accepts and never authenticates. */
        r = run_bus_until(bus, deadline, bus_is_ready, bus);
        if (r < 0)
                return r;
        r = check_peer(bus, expected_pid);
        if (r < 0)
                return r;
        r = set_call_timeout(bus, deadline);
        if (r < 0)
                return r;

        *ret = TAKE_PTR(bus);
        return 0;
}

int systemd_list_automounts(sd_bus *bus, usec_t deadline, AutomountUnitInfo **ret, size_t *ret_n) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL, *call = NULL;
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        AutomountUnitInfo *units = NULL;
        size_t n = 0;
        const char *name, *active, *path;
        int r;

        r = set_call_timeout(bus, deadline);
        if (r < 0)
                return r;

        r = sd_bus_message_new_method_call(bus, &call, SYSTEMD_SERVICE, SYSTEMD_PATH,
                                           SYSTEMD_MANAGER, "ListUnitsByPatterns");
        if (r < 0)
                return r;
        r = sd_bus_message_append_strv(call, NULL); /* every state */
        if (r < 0)
                return r;
        r = sd_bus_message_append(call, "as", 1, "*.automount");
        if (r < 0)
                return r;

        r = call_bounded(bus, call, deadline, &error, &reply);
        if (r < 0)
                return log_debug_errno(r, "ListUnitsByPatterns failed: %s", error.message ?: "?");

        r = sd_bus_message_enter_container(reply, 'a', "(ssssssouso)");
        if (r < 0)
                return r;

        while ((r = sd_bus_message_read(reply, "(ssssssouso)", &name, NULL, NULL, &active, NULL,
                                        NULL, &path, NULL, NULL, NULL)) > 0) {
                AutomountUnitInfo *nu;

                if (n >= MAX_AUTOMOUNT_UNITS) {
                        r = -E2BIG;
                        break;
                }
                nu = realloc(units, (n + 1) * sizeof *units);
                if (!nu) {
                        r = -ENOMEM;
                        break;
                }
                units = nu;
                units[n] = (AutomountUnitInfo) {
                        .name = strdup(name),
                        .object_path = strdup(path),
                        .active_state = strdup(active),
                };
                n++;
                if (!units[n - 1].name || !units[n - 1].object_path || !units[n - 1].active_state) {
                        r = -ENOMEM;
                        break;
                }
        }
        if (r < 0) {
                automount_unit_info_free_array(units, n);
                return r;
        }

        *ret = units;
        *ret_n = n;
        return 0;
}

typedef struct QueryBatch {
        size_t pending;
} QueryBatch;

typedef struct QueryCall {
        QueryBatch *batch;
        PropertyQuery *query;
        const char *property;
} QueryCall;

static int on_property_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        QueryCall *c = userdata;
        PropertyQuery *q = c->query;
        const char *value;
        int r;

        if (q->done)
                return 0;
        q->done = true;
        c->batch->pending--;
        if (sd_bus_message_is_method_error(m, NULL)) {
                const sd_bus_error *e = sd_bus_message_get_error(m);

                q->error = -(sd_bus_message_get_errno(m) ?: EIO);
                log_debug("Failed to read %s of %s: %s", c->property, q->object_path,
                          e && e->message ? e->message : "?");
                return 0;
        }
        r = sd_bus_message_read(m, "v", "s", &value);
        if (r < 0) {
                q->error = r;
                return 0;
        }
        q->value = strdup(value);
        if (!q->value)
                q->error = -ENOMEM;
        return 0;
}

static bool queries_answered(void *userdata) {
        return ((QueryBatch *) userdata)->pending == 0;
}

int systemd_get_units_property(sd_bus *bus, PropertyQuery *queries, size_t n, const char *interface,
                               const char *property, usec_t deadline) {
        _cleanup_free_ sd_bus_slot **slots = NULL;
        _cleanup_free_ QueryCall *calls = NULL;
        QueryBatch b = {};
        int r = 0;

        for (size_t i = 0; i < n; i++)
                queries[i] = (PropertyQuery) { .object_path = queries[i].object_path, .error = -EIO };
        if (n == 0)
                return 0;
        slots = calloc(n, sizeof *slots);
        calls = calloc(n, sizeof *calls);
        if (!slots || !calls)
                return -ENOMEM;

        for (size_t i = 0; i < n; i++) {
                _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL;

                r = sd_bus_message_new_method_call(bus, &call, SYSTEMD_SERVICE, queries[i].object_path,
                                                   "org.freedesktop.DBus.Properties", "Get");
                if (r >= 0)
                        r = sd_bus_message_append(call, "ss", interface, property);
                if (r < 0)
                        goto finish;
                calls[i] = (QueryCall) { &b, &queries[i], property };
                r = sd_bus_call_async(bus, &slots[i], call, on_property_reply, &calls[i],
                                      usec_until(deadline) ?: 1);
                if (r < 0)
                        goto finish;
                b.pending++;
        }
        r = run_bus_until(bus, deadline, queries_answered, &b);

finish:
        /* Answers that come after we stopped waiting go nowhere. */
        for (size_t i = 0; i < n; i++) {
                sd_bus_slot_unref(slots[i]);
                if (!queries[i].done && r < 0)
                        queries[i].error = r;
        }
        return r;
}

void property_query_done(PropertyQuery *q) {
        free(q->value);
        q->value = NULL;
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

        r = set_call_timeout(bus, deadline);
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
                if (set_call_timeout(bus, cancel_deadline) >= 0) {
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
