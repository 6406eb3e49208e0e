/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "blocked.h"
#include "container.h"
#include "engine.h"
#include "fd-util.h"
#include "log.h"
#include "record.h"
#include "repair.h"
#include "stash.h"
#include "worker.h"

static ExitStatus refuse(pid_t pid, int r) {
        switch (r) {
        case -ESRCH:
                log_error("Process %d does not exist (any more); nothing to repair.", (int) pid);
                break;
        case -EPERM:
                log_error("Process %d shares our mount namespace: that is the host, not a container. Refusing.",
                          (int) pid);
                break;
        default:
                log_error_errno(r, "Cannot inspect process %d: %m", (int) pid);
                break;
        }
        return EXIT_STATUS_REFUSED;
}

ExitStatus repair_container(pid_t pid, const RepairOptions *o) {
        _cleanup_(container_close) Container c = CONTAINER_NULL;
        _cleanup_close_ int record_fd = -EBADF;
        _cleanup_free_ char *output = NULL;
        usec_t deadline = now_usec(CLOCK_MONOTONIC) + o->timeout;
        Record previous = {};
        char stash_name[STASH_NAME_SIZE];
        RepairRequest req = { .options = o, .previous = &previous };
        int r;

        r = container_open(pid, &c);
        if (r < 0)
                return refuse(pid, r);

        if (!o->container_name) {
                char ctx[32];
                snprintf(ctx, sizeof ctx, "pid %d", (int) pid);
                log_set_context(ctx);
        }

        if (o->dry_run) {
                /* A plan changes nothing on the host either: no state directory, no pruning,
                 * no lock; an existing record is only read. */
                record_fd = record_open_readonly(o->state_dir ?: DEFAULT_STATE_DIR, &c);
                if (record_fd < 0 && record_fd != -ENOENT)
                        log_warning_errno(record_fd, "Cannot read the record of earlier runs (%m); planning as if there were none.");
        } else {
                record_fd = record_open_locked(o->state_dir ?: DEFAULT_STATE_DIR, &c, deadline);
                if (record_fd < 0)
                        return EXIT_STATUS_UNITS_FAILED;
        }
        if (record_fd >= 0 && record_read(record_fd, &previous) < 0)
                log_warning("The record of earlier runs is unreadable; repairing everything.");

        /* The stash's name is random and on the host before the run can put a tree there, so
         * that the next run finds it even if this one is killed, and trusts nothing else the
         * container put into its /run. */
        if (!o->dry_run) {
                r = stash_name_new(stash_name);
                if (r >= 0)
                        r = record_add_stash(&previous, stash_name);
                if (r >= 0)
                        r = record_write(record_fd, &previous);
                if (r < 0)
                        log_warning_errno(r, "Cannot record a stash (%m); trees set aside are held only by the worker.");
                else
                        req.stash_name = stash_name;
        }

        r = worker_run(&c, deadline, repair_in_container, &req, &output);
        record_done(&previous);
        if (r >= 0 && !o->dry_run && output && strncmp(output, REPAIR_RECORD_HEADER, strlen(REPAIR_RECORD_HEADER)) == 0) {
                Record next = {};
                int k;

                /* Parsed, not copied: only well-formed lines of known shape reach the file. */
                k = record_parse(output + strlen(REPAIR_RECORD_HEADER), &next);
                if (k >= 0)
                        k = record_write(record_fd, &next);
                record_done(&next);
                if (k < 0)
                        log_warning_errno(k, "Failed to record the repair: %m");
        }
        if (r == REPAIR_RESULT_REPAIRED || r == REPAIR_RESULT_SOME_FAILED)
                (void) report_blocked_processes(&c);

        switch (r) {
        case REPAIR_RESULT_REPAIRED:
        case REPAIR_RESULT_NOTHING_TO_DO:
        case REPAIR_RESULT_NOT_SYSTEMD:
                return EXIT_STATUS_OK;
        case REPAIR_RESULT_SOME_FAILED:
        case REPAIR_RESULT_ERROR:
                return EXIT_STATUS_UNITS_FAILED;
        case -ETIMEDOUT:
                log_error("The repair did not finish within %.1f s.",
                          (double) o->timeout / USEC_PER_SEC);
                return EXIT_STATUS_UNITS_FAILED;
        case -EPROTO:
                return container_is_alive(&c) ? EXIT_STATUS_REFUSED : refuse(pid, -ESRCH);
        default:
                if (r < 0)
                        return EXIT_STATUS_UNITS_FAILED;
                log_error("The worker ended with unexpected status %d.", r);
                return EXIT_STATUS_UNITS_FAILED;
        }
}
