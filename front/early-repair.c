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
#include "detach.h"
#include "early-repair.h"
#include "engine.h"
#include "fd-util.h"
#include "io-util.h"
#include "log.h"
#include "record.h"

/* How long CRIU may be kept waiting at pre-resume for the handles; taking them takes a few ms. */
#define READY_TIMEOUT_MSEC 3000
/* How often the worker looks whether the tasks run yet: the repair starts at most this late. */
#define RESUME_POLL_USEC 200

typedef struct Early {
        Container *container;
        const RepairOptions *options;
        int ready_fd;           /* write end: one byte once the handles are held */
        int status_fd;          /* /proc/PID/status of the init: a leaf, re-read with pread() */
        AutofsGuard guard;
} Early;

static void early_log_path(const RepairOptions *o, pid_t pid, char *buf, size_t size) {
        snprintf(buf, size, "%s/pre-resume-%d.log", o->state_dir ?: DEFAULT_STATE_DIR, (int) pid);
}

/* CRIU lets the tasks go by detaching from them: until then the init is traced. */
static int wait_tasks_running(int status_fd, usec_t deadline) {
        for (;;) {
                char status[4096];
                ssize_t n;
                pid_t tracer;

                n = pread(status_fd, status, sizeof status - 1, 0);
                if (n < 0)
                        return -errno;
                if (n == 0)
                        return -ESRCH;
                status[n] = '\0';
                if (proc_parse_tracer_pid(status, &tracer) >= 0 && tracer == 0)
                        return 0;
                if (usec_until(deadline) == 0)
                        return -ETIMEDOUT;
                (void) usleep(RESUME_POLL_USEC);
        }
}

/* In the worker, before the repair sequence: the handles, then CRIU may go on, then the tasks
 * run and the repair starts at once. */
static int early_prepare(const Worker *w, RepairRequest *req, void *userdata) {
        Early *e = userdata;
        int n, r;

        autofs_guard_init(&e->guard, w, req->autofs_control_fd, req->nested, req->options->nested,
                          req->options->dry_run);
        n = autofs_guard_hold_all(&e->guard);
        if (n < 0)
                log_warning_errno(n, "Cannot take handles on the container's autofs: %m");
        else
                log_debug("Holding %d autofs before the tasks resume.", n);

        (void) write_all(e->ready_fd, "1", 1);
        e->ready_fd = safe_close(e->ready_fd);

        r = wait_tasks_running(e->status_fd, w->deadline);
        if (r < 0)
                return log_error_errno(r, "The container's tasks did not resume: %m");
        req->resumed = now_usec(CLOCK_MONOTONIC);
        req->guard = &e->guard;
        return 0;
}

static int early_detached(void *userdata) {
        Early *e = userdata;
        _cleanup_close_ int proc_fd = -EBADF;
        ExitStatus s;

        /* Nothing in the container may ptrace us or read our fds through /proc. */
        (void) prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);

        proc_fd = proc_open_pid(e->container->pid, e->container->pidfd);
        if (proc_fd >= 0)
                e->status_fd = openat(proc_fd, "status", O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (e->status_fd < 0)
                return log_error_errno(errno, "Cannot watch process %d: %m", (int) e->container->pid);

        /* The engine holds the record lock until the repair is done: the post-resume run waits
         * for it, then finds the units repaired. */
        s = repair_container_prepared(e->container, e->options,
                                      (const int[]) { e->ready_fd, e->status_fd }, 2,
                                      early_prepare, e);
        e->status_fd = safe_close(e->status_fd);
        return (int) s;
}

ExitStatus early_repair_start(Container *c, const RepairOptions *o) {
        _cleanup_close_pair_ int ready[2] = { -EBADF, -EBADF };
        Early e = { .container = c, .options = o, .status_fd = -EBADF };
        struct pollfd p;
        char log_path[PATH_MAX], byte;
        pid_t repairer;
        int r;

        r = container_load(c);
        if (r < 0) {
                container_log_refusal(c->pid, r);
                return EXIT_STATUS_REFUSED;
        }
        if (o->rearm_psi)
                (void) rearm_container(c, o);

        /* Some runtimes have CRIU run each action twice: the early repairer of the first run holds
         * the record until it has repaired, which it does only once the tasks run. */
        if (record_is_locked(o->state_dir ?: DEFAULT_STATE_DIR, c)) {
                log_debug("An early repairer already holds this container; nothing more to do at pre-resume.");
                return EXIT_STATUS_OK;
        }

        if (mkdir(o->state_dir ?: DEFAULT_STATE_DIR, 0700) < 0 && errno != EEXIST) {
                log_warning_errno(errno, "Cannot create the state directory: %m");
                return EXIT_STATUS_OK;
        }
        /* A leftover of an earlier early repairer with this PID (the post-resume run removes it). */
        early_log_path(o, c->pid, log_path, sizeof log_path);
        (void) unlink(log_path);

        if (pipe2(ready, O_CLOEXEC) < 0) {
                log_warning_errno(errno, "Failed to create a pipe: %m");
                return EXIT_STATUS_OK;
        }
        e.ready_fd = ready[1];
        /* The early repairer keeps the pin and the pipe; it opens the rest again from the pin. */
        container_unload(c);
        r = detach_process(early_detached, &e, (const int[]) { c->pidfd, ready[1] }, 2, log_path,
                           &repairer);
        ready[1] = safe_close(ready[1]);
        if (r < 0) {
                log_warning_errno(r, "Failed to start the early repairer at pre-resume; the repair waits for post-resume: %m");
                return EXIT_STATUS_OK;
        }

        p = (struct pollfd) { .fd = ready[0], .events = POLLIN };
        r = poll(&p, 1, READY_TIMEOUT_MSEC);
        if (r > 0 && read(ready[0], &byte, 1) == 0)
                log_warning("The early repairer (PID %d) ended before it took its handles; the repair waits for post-resume.",
                            (int) repairer);
        else if (r <= 0)
                log_warning("The early repairer (PID %d) did not take its handles in time; processes that block on an automount before the repair may stay blocked.",
                            (int) repairer);
        else
                log_debug("Early repairer %d holds the autofs; the tasks may resume.", (int) repairer);
        return EXIT_STATUS_OK;
}

void early_repair_collect(Container *c, const RepairOptions *o) {
        _cleanup_close_ int record_fd = -EBADF;
        _cleanup_fclose_ FILE *f = NULL;
        char log_path[PATH_MAX], line[LINE_MAX + 128];

        early_log_path(o, c->pid, log_path, sizeof log_path);
        f = fopen(log_path, "re");
        if (!f)
                return;
        /* The early repairer holds the record lock until it is done. */
        if (container_load(c) >= 0)
                record_fd = record_open_locked(o->state_dir ?: DEFAULT_STATE_DIR, c,
                                               now_usec(CLOCK_MONOTONIC) + o->timeout);
        /* Lines as the early repairer would have printed them on stderr: "PROGRAM: CONTEXT: TEXT",
         * without the file's time stamp and PID. */
        while (fgets(line, sizeof line, f)) {
                const char *text = strstr(line, "]: ");

                fprintf(stderr, "%s: %s", log_program(), text ? text + 3 : line);
        }
        fflush(stderr);
        (void) unlink(log_path);
}
