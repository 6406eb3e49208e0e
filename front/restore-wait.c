/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "container.h"
#include "fd-util.h"
#include "log.h"
#include "pidfd-util.h"
#include "restore-wait.h"

/* CRIU needs around a second for a small container; looking 20 times a second costs nothing
 * and adds at most 50 ms to the repair. */
#define POLL_INTERVAL_MSEC 50

static int read_state(const RestoreWatch *w, pid_t *ret_tracer, struct stat *ret_exe) {
        _cleanup_close_ int proc_fd = -EBADF;
        char buf[4096];
        int r;

        proc_fd = proc_open_pid(w->pid, w->pidfd);
        if (proc_fd < 0)
                return proc_fd;
        r = proc_read_small_file(proc_fd, "status", buf, sizeof buf);
        if (r < 0)
                return r == -ENOENT ? -ESRCH : r;
        r = proc_parse_tracer_pid(buf, ret_tracer);
        if (r < 0)
                return r;
        if (ret_exe && fstatat(proc_fd, "exe", ret_exe, 0) < 0)
                return -errno;
        return 0;
}

int restore_watch_start(const Container *c, RestoreWatch *ret) {
        RestoreWatch w = { .pid = c->pid, .pidfd = c->pidfd };
        struct stat st;
        pid_t tracer;
        int r;

        r = read_state(&w, &tracer, &st);
        if (r == 0) {
                w.have_exe = true;
                w.exe_dev = st.st_dev;
                w.exe_ino = st.st_ino;
        } else if (r == -ESRCH)
                return r;
        *ret = w;
        return 0;
}

int restore_watch_is_traced(const RestoreWatch *w) {
        pid_t tracer;
        int r = read_state(w, &tracer, NULL);

        return r < 0 ? r : tracer != 0;
}

int restore_watch_wait(const RestoreWatch *w, usec_t deadline) {
        for (;;) {
                struct pollfd p = { .fd = w->pidfd, .events = POLLIN };
                usec_t left = usec_until(deadline);
                struct stat exe;
                pid_t tracer;
                int r;

                r = read_state(w, &tracer, &exe);
                if (r == -ESRCH)
                        return r;
                /* An exe that cannot be read yet (mid-restore) means "not yet". */
                if (r == 0 && tracer == 0 &&
                    (w->exe_final || !w->have_exe || exe.st_dev != w->exe_dev ||
                     exe.st_ino != w->exe_ino))
                        return 0;
                if (left == 0)
                        return -ETIMEDOUT;
                /* The pidfd wakes us at once if the process dies. */
                if (poll(&p, 1, left < POLL_INTERVAL_MSEC * USEC_PER_MSEC ?
                                usec_to_poll_timeout(left) : POLL_INTERVAL_MSEC) < 0 &&
                    errno != EINTR)
                        return -errno;
        }
}
