/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "autofs-guard.h"
#include "blocked.h"
#include "container.h"
#include "detach.h"
#include "early-repair.h"
#include "engine.h"
#include "fd-util.h"
#include "io-util.h"
#include "log.h"
#include "nested-ns.h"
#include "record.h"
#include "repair.h"
#include "worker.h"

/* How long CRIU may be kept waiting at pre-resume for the handles; taking them takes a few ms. */
#define READY_TIMEOUT_MSEC 3000
/* How often the worker looks whether the tasks run yet: the repair starts at most this late. */
#define RESUME_POLL_USEC 200

typedef struct Early {
        pid_t pid;
        const RepairOptions *options;
        int ready_fd;           /* write end: one byte once the handles are held */
        RepairRequest req;
} Early;

static void early_log_path(const RepairOptions *o, pid_t pid, char *buf, size_t size) {
        snprintf(buf, size, "%s/pre-resume-%d.log", o->state_dir ?: DEFAULT_STATE_DIR, (int) pid);
}

/* CRIU lets the tasks go by detaching from them: until then the init is traced. */
static int wait_tasks_running(const Container *c, usec_t deadline) {
        for (;;) {
                char status[4096];
                pid_t tracer;

                if (proc_read_small_file(c->proc_fd, "status", status, sizeof status) < 0)
                        return -ESRCH;
                if (proc_parse_tracer_pid(status, &tracer) >= 0 && tracer == 0)
                        return 0;
                if (usec_until(deadline) == 0)
                        return -ETIMEDOUT;
                (void) usleep(RESUME_POLL_USEC);
        }
}

static int early_in_container(const Worker *w, void *userdata) {
        Early *e = userdata;
        AutofsGuard g;
        usec_t resumed;
        int n, r;

        /* Our lines go through the relay; the host file they end up in is the parent's. */
        log_close_file();

        autofs_guard_init(&g, w, e->req.nested, e->options->nested, e->options->dry_run);
        n = autofs_guard_hold_all(&g);
        if (n < 0)
                log_warning_errno(n, "Cannot take handles on the container's autofs: %m");
        else
                log_debug("Holding %d autofs before the tasks resume.", n);

        /* CRIU may go on: the tasks resume once the action script returns. */
        (void) write_all(e->ready_fd, "1", 1);
        e->ready_fd = safe_close(e->ready_fd);

        r = wait_tasks_running(w->container, w->deadline);
        if (r < 0) {
                log_error_errno(r, "The container's tasks did not resume: %m");
                autofs_guard_done(&g);
                return REPAIR_RESULT_ERROR;
        }
        resumed = now_usec(CLOCK_MONOTONIC);

        e->req.guard = &g;
        r = repair_in_container(w, &e->req);
        log_info("Done %.1f ms after the tasks resumed.",
                 (double) (now_usec(CLOCK_MONOTONIC) - resumed) / USEC_PER_MSEC);
        autofs_guard_done(&g);
        return r;
}

static int early_detached(void *userdata) {
        Early *e = userdata;
        _cleanup_(container_close) Container c = CONTAINER_NULL;
        _cleanup_close_ int record_fd = -EBADF;
        NestedNamespaces nested = NESTED_NAMESPACES_NULL;
        usec_t deadline = now_usec(CLOCK_MONOTONIC) + e->options->timeout;
        char ctx[32];
        int r;

        /* Nothing in the container may ptrace us or read our fds through /proc. */
        (void) prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);

        r = container_open(e->pid, &c);
        if (r < 0)
                return log_error_errno(r, "Cannot open the container of process %d: %m", (int) e->pid);
        if (!e->options->container_name) {
                snprintf(ctx, sizeof ctx, "pid %d", (int) e->pid);
                log_set_context(ctx);
        }

        /* Held until the repair is done: the post-resume run waits for it, then finds the
         * units repaired. */
        record_fd = record_open_locked(e->options->state_dir ?: DEFAULT_STATE_DIR, &c, deadline);
        if (record_fd < 0)
                return record_fd;

        r = nested_namespaces_find(&c, &nested);
        if (r < 0)
                log_warning_errno(r, "Cannot list the container's mount namespaces: %m");

        e->req = (RepairRequest) {
                .options = e->options,
                .record_fd = record_fd,
                .nested = &nested,
        };
        r = worker_run(&c, deadline, early_in_container, e);
        e->ready_fd = safe_close(e->ready_fd);
        if (r == REPAIR_RESULT_REPAIRED || r == REPAIR_RESULT_SOME_FAILED)
                (void) report_blocked_processes(&c);
        nested_namespaces_done(&nested);
        return r < 0 ? EXIT_FAILURE : r;
}

ExitStatus early_repair_start(pid_t pid, const RepairOptions *o) {
        _cleanup_close_pair_ int ready[2] = { -EBADF, -EBADF };
        _cleanup_(container_close) Container c = CONTAINER_NULL;
        Early e = { .pid = pid, .options = o };
        struct pollfd p;
        char log_path[PATH_MAX], byte;
        pid_t worker;
        int r;

        if (o->rearm_psi)
                (void) rearm_container(pid, o);

        /* Some runtimes have CRIU run each action twice: the worker of the first run holds the
         * record until it has repaired, which it does only once the tasks run. */
        if (container_open(pid, &c) >= 0 && record_is_locked(o->state_dir ?: DEFAULT_STATE_DIR, &c)) {
                log_debug("A worker already holds this container; nothing more to do at pre-resume.");
                return EXIT_STATUS_OK;
        }

        if (mkdir(o->state_dir ?: DEFAULT_STATE_DIR, 0700) < 0 && errno != EEXIST) {
                log_warning_errno(errno, "Cannot create the state directory: %m");
                return EXIT_STATUS_OK;
        }
        /* A leftover of an earlier worker with this PID (the post-resume run removes it). */
        early_log_path(o, pid, log_path, sizeof log_path);
        (void) unlink(log_path);

        if (pipe2(ready, O_CLOEXEC) < 0) {
                log_warning_errno(errno, "Failed to create a pipe: %m");
                return EXIT_STATUS_OK;
        }
        e.ready_fd = ready[1];
        r = detach_worker(early_detached, &e, ready[1], log_path, &worker);
        ready[1] = safe_close(ready[1]);
        if (r < 0) {
                log_warning_errno(r, "Failed to start the worker at pre-resume; the repair waits for post-resume: %m");
                return EXIT_STATUS_OK;
        }

        p = (struct pollfd) { .fd = ready[0], .events = POLLIN };
        r = poll(&p, 1, READY_TIMEOUT_MSEC);
        if (r > 0 && read(ready[0], &byte, 1) == 0)
                log_warning("The worker (PID %d) ended before it took its handles; the repair waits for post-resume.",
                            (int) worker);
        else if (r <= 0)
                log_warning("The worker (PID %d) did not take its handles in time; processes that block on an automount before the repair may stay blocked.",
                            (int) worker);
        else
                log_debug("Worker %d holds the autofs; the tasks may resume.", (int) worker);
        return EXIT_STATUS_OK;
}

void early_repair_collect(pid_t pid, const RepairOptions *o) {
        _cleanup_(container_close) Container c = CONTAINER_NULL;
        _cleanup_close_ int record_fd = -EBADF;
        _cleanup_fclose_ FILE *f = NULL;
        char log_path[PATH_MAX], line[LINE_MAX + 128];

        early_log_path(o, pid, log_path, sizeof log_path);
        f = fopen(log_path, "re");
        if (!f)
                return;
        /* The worker holds the record lock until it is done. */
        if (container_open(pid, &c) >= 0)
                record_fd = record_open_locked(o->state_dir ?: DEFAULT_STATE_DIR, &c,
                                               now_usec(CLOCK_MONOTONIC) + o->timeout);
        /* Lines as the worker would have printed them on stderr: "PROGRAM: CONTEXT: TEXT",
         * without the file's time stamp and PID. */
        while (fgets(line, sizeof line, f)) {
                const char *text = strstr(line, "]: ");

                fprintf(stderr, "%s: %s", log_program(), text ? text + 3 : line);
        }
        fflush(stderr);
        (void) unlink(log_path);
}
