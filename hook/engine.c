/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "blocked.h"
#include "container.h"
#include "engine.h"
#include "fd-util.h"
#include "log.h"
#include "psi-rearm.h"
#include "record.h"
#include "repair.h"
#include "stash.h"
#include "worker.h"

static ExitStatus refuse(pid_t pid, int r) {
        container_log_refusal(pid, r);
        return EXIT_STATUS_REFUSED;
}

/* The share of one CPU above which the container's init is busy-looping, not waiting: an idle
 * systemd uses next to nothing, and one that spins throttles itself to a fraction of a CPU. */
#define INIT_BUSY_PERCENT 10

/* The front end pinned the container at its first look; what it is made of is read now. */
static int load_container(Container *c, const RepairOptions *o) {
        if (!o->container_name) {
                char ctx[32];
                snprintf(ctx, sizeof ctx, "pid %d", (int) c->pid);
                log_set_context(ctx);
        }
        return container_load(c);
}

static void rearm_psi(const Container *c, const RepairOptions *o) {
        PsiRearmCounts n;
        int r;

        if (!o->rearm_psi)
                return;
        r = psi_rearm_container(c, o->dry_run ? PSI_REARM_DRY_RUN : PSI_REARM_WRITE, &n);
        if (r < 0) {
                log_warning_errno(r, "Failed to look for pressure triggers to re-arm: %m");
                return;
        }
        if (n.rearmed + n.failed + n.unknown > 0)
                log_info("Pressure triggers: %u %s, %u already armed, %u unknown, %u failed.",
                         n.rearmed, o->dry_run ? "to re-arm" : "re-armed", n.armed, n.unknown,
                         n.failed);
}

/* A repair that failed: say why when the container's init kept a CPU busy or has a pressure
 * file without trigger, instead of a bare "did not finish". */
static void diagnose_failure(const Container *c, bool have_ticks, uint64_t ticks_before,
                             usec_t start) {
        usec_t wall = now_usec(CLOCK_MONOTONIC) - start;
        long hz = sysconf(_SC_CLK_TCK);
        uint64_t ticks_after;
        unsigned percent = 0;
        PsiRearmCounts n = {};

        if (have_ticks && hz > 0 && wall > 0 && container_init_cpu_ticks(c, &ticks_after) >= 0)
                percent = (unsigned) ((ticks_after - ticks_before) * USEC_PER_SEC / (uint64_t) hz *
                                      100 / wall);
        if (percent >= INIT_BUSY_PERCENT)
                log_error("The container's init (PID %d, %s) used %u%% of a CPU during the repair: it is busy-looping, not running jobs.",
                          (int) c->pid, c->comm, percent);
        if (psi_rearm_container(c, PSI_REARM_DIAGNOSE, &n) >= 0 && n.rearmed == 0 &&
            percent >= INIT_BUSY_PERCENT)
                log_error("No pressure file without trigger was found; the cause is something else.");
}

ExitStatus rearm_container(Container *c, const RepairOptions *o) {
        int r;

        r = load_container(c, o);
        if (r < 0)
                return refuse(c->pid, r);
        rearm_psi(c, o);
        return EXIT_STATUS_OK;
}

ExitStatus repair_container(Container *c, const RepairOptions *o) {
        _cleanup_close_ int record_fd = -EBADF;
        _cleanup_free_ char *output = NULL;
        usec_t start = now_usec(CLOCK_MONOTONIC), deadline = start + o->timeout;
        uint64_t init_ticks = 0;
        bool have_ticks;
        int result = REPAIR_RESULT_ERROR;
        Record previous = {};
        char stash_name[STASH_NAME_SIZE];
        RepairRequest req = { .options = o, .previous = &previous };
        int r;

        r = load_container(c, o);
        if (r < 0)
                return refuse(c->pid, r);

        /* First thing: a systemd that spins runs none of the jobs the repair queues. */
        rearm_psi(c, o);

        if (o->dry_run) {
                /* A plan changes nothing on the host either: no state directory, no pruning,
                 * no lock; an existing record is only read. */
                record_fd = record_open_readonly(o->state_dir ?: DEFAULT_STATE_DIR, c);
                if (record_fd < 0 && record_fd != -ENOENT)
                        log_warning_errno(record_fd, "Cannot read the record of earlier runs (%m); planning as if there were none.");
        } else {
                record_fd = record_open_locked(o->state_dir ?: DEFAULT_STATE_DIR, c, deadline);
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

        have_ticks = container_init_cpu_ticks(c, &init_ticks) >= 0;
        r = worker_run(c, deadline, repair_in_container, &req, &result, &output);
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
        if (r == -ETIMEDOUT)
                log_error("The repair did not finish within %.1f s.",
                          (double) o->timeout / USEC_PER_SEC);
        if (r == -EPROTO && !container_is_alive(c))
                return refuse(c->pid, -ESRCH);
        if (r == -EPROTO)
                return EXIT_STATUS_REFUSED; /* the worker said why it could not join */
        if (r >= 0 && (result == REPAIR_RESULT_REPAIRED || result == REPAIR_RESULT_SOME_FAILED))
                (void) report_blocked_processes(c);
        if (r < 0 || result == REPAIR_RESULT_SOME_FAILED || result == REPAIR_RESULT_ERROR)
                diagnose_failure(c, have_ticks, init_ticks, start);
        if (r < 0)
                return EXIT_STATUS_UNITS_FAILED;

        switch ((RepairResult) result) {
        case REPAIR_RESULT_REPAIRED:
        case REPAIR_RESULT_NOTHING_TO_DO:
        case REPAIR_RESULT_NOT_SYSTEMD:
                return EXIT_STATUS_OK;
        case REPAIR_RESULT_SOME_FAILED:
        case REPAIR_RESULT_ERROR:
                return EXIT_STATUS_UNITS_FAILED;
        default:
                log_error("The worker ended with unexpected status %d.", result);
                return EXIT_STATUS_UNITS_FAILED;
        }
}
