/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "detach.h"
#include "fd-util.h"
#include "log.h"

static int close_all_fds_except(int keep_a, int keep_b) {
        /* close_range() where possible, in the gaps between the fds we keep. */
        int lo = keep_a < keep_b ? keep_a : keep_b, hi = keep_a < keep_b ? keep_b : keep_a;
        int start = 3;

        if (lo >= start) {
                if (syscall(SYS_close_range, start, lo - 1, 0) < 0)
                        return -errno;
                start = lo + 1;
        }
        if (hi >= start) {
                if (syscall(SYS_close_range, start, hi - 1, 0) < 0)
                        return -errno;
                start = hi + 1;
        }
        if (syscall(SYS_close_range, start, ~0U, 0) < 0)
                return -errno;
        return 0;
}

static int redirect_stdio(const char *log_file, int *ret_log_fd) {
        _cleanup_close_ int null_fd = -EBADF, log_fd = -EBADF;

        null_fd = open("/dev/null", O_RDWR | O_CLOEXEC | O_NOCTTY);
        if (null_fd < 0)
                return -errno;
        if (log_file) {
                log_fd = open(log_file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY |
                                                O_NOFOLLOW, 0640);
                if (log_fd < 0)
                        return -errno;
        }
        if (dup2(null_fd, STDIN_FILENO) < 0 || dup2(null_fd, STDOUT_FILENO) < 0)
                return -errno;
        /* stderr carries our log lines: to the log file if there is one. */
        if (dup2(log_fd >= 0 ? log_fd : null_fd, STDERR_FILENO) < 0)
                return -errno;
        *ret_log_fd = log_fd >= 0 ? STDERR_FILENO : -1;
        return 0;
}

int detach_worker(int (*fn)(void *userdata), void *userdata, int keep_fd, const char *log_file,
                  pid_t *ret_pid) {
        _cleanup_close_pair_ int report[2] = { -EBADF, -EBADF };
        pid_t pid, worker = 0;
        int status;

        /* The intermediate child tells us the worker's PID through this pipe. */
        if (pipe2(report, O_CLOEXEC) < 0)
                return -errno;

        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                int log_fd = -1, r;

                report[0] = safe_close(report[0]);
                if (setsid() < 0)
                        _exit(EXIT_FAILURE);
                /* Not a session leader: can never acquire a controlling terminal. */
                worker = fork();
                if (worker < 0)
                        _exit(EXIT_FAILURE);
                if (worker > 0) {
                        (void) !write(report[1], &worker, sizeof worker);
                        _exit(EXIT_SUCCESS);
                }

                r = redirect_stdio(log_file, &log_fd);
                if (r < 0)
                        _exit(EXIT_FAILURE);
                (void) close_all_fds_except(keep_fd, report[1]);
                report[1] = safe_close(report[1]);
                if (chdir("/") < 0)
                        _exit(EXIT_FAILURE);
                (void) signal(SIGPIPE, SIG_IGN);
                (void) signal(SIGHUP, SIG_IGN);

                log_setup(log_program(), LOG_TARGET_JOURNAL | (log_fd >= 0 ? LOG_TARGET_STDERR : 0),
                          log_get_max_level());
                r = fn(userdata);
                _exit(r < 0 ? EXIT_FAILURE : r);
        }

        report[1] = safe_close(report[1]);
        if (read(report[0], &worker, sizeof worker) != sizeof worker)
                worker = 0;
        if (waitpid(pid, &status, 0) < 0)
                return -errno;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || worker <= 0)
                return -ECHILD;
        if (ret_pid)
                *ret_pid = worker;
        return 0;
}
