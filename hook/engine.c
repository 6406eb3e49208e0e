/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "autofs-dev.h"
#include "blocked.h"
#include "container.h"
#include "engine.h"
#include "fd-util.h"
#include "log.h"
#include "nested-ns.h"
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

typedef struct PreparedRun {
        RepairRequest *req;
        RepairPrepare prepare;
        void *userdata;
} PreparedRun;

static int run_prepared(const Worker *w, void *userdata) {
        PreparedRun *run = userdata;
        int r;

        if (run->prepare) {
                r = run->prepare(w, run->req, run->userdata);
                if (r < 0)
                        return REPAIR_RESULT_ERROR;
        }
        return repair_in_container(w, run->req);
}

ExitStatus repair_container(Container *c, const RepairOptions *o) {
        return repair_container_prepared(c, o, NULL, 0, NULL, NULL);
}

/* The record of earlier runs: locked for a repair, only read for a plan. */
static int open_record(const Container *c, const RepairOptions *o, usec_t deadline,
                       Record *previous) {
        int fd;

        if (o->dry_run) {
                /* A plan changes nothing on the host either: no state directory, no pruning,
                 * no lock; an existing record is only read. */
                fd = record_open_readonly(o->state_dir ?: DEFAULT_STATE_DIR, c);
                if (fd < 0 && fd != -ENOENT)
                        log_warning_errno(fd, "Cannot read the record of earlier runs (%m); planning as if there were none.");
        } else {
                fd = record_open_locked(o->state_dir ?: DEFAULT_STATE_DIR, c, deadline);
                if (fd < 0)
                        return fd;
        }
        if (fd >= 0 && record_read(fd, previous) < 0)
                log_warning("The record of earlier runs is unreadable; repairing everything.");
        return fd;
}

/* The stash's name is random and on the host before the run can put a tree there, so that the
 * next run finds it even if this one is killed, and trusts nothing else the container put into
 * its /run. Returns stash_name, or NULL when it could not be recorded. */
static const char *reserve_stash(int record_fd, Record *previous,
                                 char stash_name[static STASH_NAME_SIZE]) {
        int r;

        r = stash_name_new(stash_name);
        if (r >= 0)
                r = record_add_stash(previous, stash_name);
        if (r >= 0)
                r = record_write(record_fd, previous);
        if (r < 0) {
                log_warning_errno(r, "Cannot record a stash (%m); trees set aside are held only by the worker.");
                return NULL;
        }
        return stash_name;
}

/* What the worker may keep: the caller's fds, /dev/autofs, the nested namespaces' fds. */
static int worker_fds(const NestedNamespaces *nested, const int *extra_fds, size_t n_extra,
                      int autofs_control_fd, int **ret, size_t *ret_n) {
        _cleanup_free_ int *caller_fds = calloc(n_extra + 1, sizeof(int));

        if (!caller_fds)
                return -ENOMEM;
        if (n_extra > 0)
                memcpy(caller_fds, extra_fds, n_extra * sizeof(int));
        caller_fds[n_extra] = autofs_control_fd;
        return nested_namespaces_fds(nested, caller_fds, n_extra + 1, ret, ret_n);
}

/* The worker's new record, parsed, not copied: only well-formed lines of known shape reach the
 * file. */
static void save_record(int record_fd, const char *output) {
        Record next = {};
        int r;

        if (!output || strncmp(output, REPAIR_RECORD_HEADER, strlen(REPAIR_RECORD_HEADER)) != 0)
                return;
        r = record_parse(output + strlen(REPAIR_RECORD_HEADER), &next);
        if (r >= 0)
                r = record_write(record_fd, &next);
        record_done(&next);
        if (r < 0)
                log_warning_errno(r, "Failed to record the repair: %m");
}

static ExitStatus exit_status_of(int result) {
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

ExitStatus repair_container_prepared(Container *c, const RepairOptions *o, const int *extra_fds,
                                     size_t n_extra, RepairPrepare prepare, void *userdata) {
        _cleanup_close_ int record_fd = -EBADF, autofs_control_fd = -EBADF;
        _cleanup_free_ char *output = NULL;
        _cleanup_free_ int *keep_fds = NULL;
        NestedNamespaces nested = NESTED_NAMESPACES_NULL;
        usec_t start = now_usec(CLOCK_MONOTONIC), deadline = start + o->timeout;
        char stash_name[STASH_NAME_SIZE];
        Record previous = {};
        RepairRequest req = { .options = o, .previous = &previous, .autofs_control_fd = -EBADF };
        size_t n_keep_fds = 0;
        uint64_t init_ticks = 0;
        int result = REPAIR_RESULT_ERROR, r;
        bool have_ticks;

        r = load_container(c, o);
        if (r < 0)
                return refuse(c->pid, r);

        /* First thing: a systemd that spins runs none of the jobs the repair queues. */
        rearm_psi(c, o);

        record_fd = open_record(c, o, deadline, &previous);
        if (record_fd < 0 && !o->dry_run)
                return EXIT_STATUS_UNITS_FAILED;
        if (!o->dry_run)
                req.stash_name = reserve_stash(record_fd, &previous, stash_name);

        r = nested_namespaces_find(c, &nested);
        if (r < 0)
                log_warning_errno(r, "Cannot list the container's mount namespaces; copies of its autofs in nested ones are not looked for: %m");
        req.nested = &nested;

        /* The host's control device, for the handles on old autofs; without it (no autofs4
         * module on the host) the repair goes on without them. */
        autofs_control_fd = autofs_dev_open();
        if (autofs_control_fd < 0)
                log_debug_errno(autofs_control_fd, "Cannot open /dev/autofs: %m");
        req.autofs_control_fd = autofs_control_fd;

        r = worker_fds(&nested, extra_fds, n_extra, autofs_control_fd, &keep_fds, &n_keep_fds);
        if (r < 0) {
                log_oom();
                nested_namespaces_done(&nested);
                record_done(&previous);
                return EXIT_STATUS_UNITS_FAILED;
        }

        have_ticks = container_init_cpu_ticks(c, &init_ticks) >= 0;
        r = worker_run(c, deadline, keep_fds, n_keep_fds, run_prepared,
                       &(PreparedRun) { &req, prepare, userdata }, &result, &output);
        nested_namespaces_done(&nested);
        record_done(&previous);
        if (r >= 0 && !o->dry_run)
                save_record(record_fd, output);
        if (r == -ETIMEDOUT)
                log_error("The repair did not finish within %.1f s.",
                          (double) o->timeout / USEC_PER_SEC);
        if (r == -EPROTO)
                /* The worker said why it could not join, unless the container is gone. */
                return container_is_alive(c) ? EXIT_STATUS_REFUSED : refuse(c->pid, -ESRCH);
        if (r >= 0 && (result == REPAIR_RESULT_REPAIRED || result == REPAIR_RESULT_SOME_FAILED))
                (void) report_blocked_processes(c);
        if (r < 0 || result == REPAIR_RESULT_SOME_FAILED || result == REPAIR_RESULT_ERROR)
                diagnose_failure(c, have_ticks, init_ticks, start);
        return r < 0 ? EXIT_STATUS_UNITS_FAILED : exit_status_of(result);
}
