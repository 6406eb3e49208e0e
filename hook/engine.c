/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>

#include "blocked.h"
#include "container.h"
#include "engine.h"
#include "fd-util.h"
#include "log.h"
#include "record.h"
#include "repair.h"
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
        usec_t deadline = now_usec(CLOCK_MONOTONIC) + o->timeout;
        RepairRequest req = { .options = o, .record_fd = -EBADF };
        int r;

        r = container_open(pid, &c);
        if (r < 0)
                return refuse(pid, r);

        if (!o->container_name) {
                char ctx[32];
                snprintf(ctx, sizeof ctx, "pid %d", (int) pid);
                log_set_context(ctx);
        }

        record_fd = record_open_locked(o->state_dir ?: DEFAULT_STATE_DIR, &c, deadline);
        if (record_fd < 0)
                return EXIT_STATUS_UNITS_FAILED;
        req.record_fd = record_fd;

        r = worker_run(&c, deadline, repair_in_container, &req);
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
