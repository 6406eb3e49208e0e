/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "detach.h"
#include "fd-util.h"
#include "io-util.h"
#include "log.h"

/* libsystemd caches the socket sd_journal_send() uses and never checks it again: closing it
 * would send journal lines to whatever later gets its number. The hook opens no other datagram
 * socket, so the one AF_UNIX datagram socket among our fds is libsystemd's. */
static int find_journal_socket(void) {
        _cleanup_(closedirp) DIR *d = NULL;
        struct dirent *de;
        int found = -ENOENT;

        d = opendir("/proc/self/fd");
        if (!d)
                return -errno;
        while (found < 0 && (de = readdir(d))) {
                int fd = atoi(de->d_name), v;
                socklen_t len = sizeof v;

                if (de->d_name[0] == '.' || fd <= STDERR_FILENO || fd == dirfd(d))
                        continue;
                if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &v, &len) < 0 || v != AF_UNIX)
                        continue;
                len = sizeof v;
                if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &len) == 0 && v == SOCK_DGRAM)
                        found = fd;
        }
        return found;
}

/* The detached process's set-up; on success it tells the caller its PID, otherwise -errno. */
static int detached_setup(const int *keep_fds, size_t n_keep, int report_fd, const char *log_file) {
        int fds[8];
        size_t n = 0;
        int r;

        /* Whatever the hook had open (the runtime's pipes among them) must not be held by a
         * process that outlives it: runtimes wait for EOF on the hook's output. */
        log_close_file();
        r = stdio_to_dev_null();
        if (r < 0)
                return r;
        if (n_keep > ELEMENTSOF(fds) - 2)
                return -E2BIG;
        for (size_t i = 0; i < n_keep; i++)
                fds[n++] = keep_fds[i];
        fds[n++] = report_fd;
        fds[n++] = find_journal_socket();
        r = close_all_fds_except(3, fds, n);
        if (r < 0)
                return r;
        if (chdir("/") < 0)
                return -errno;
        (void) signal(SIGPIPE, SIG_IGN);
        (void) signal(SIGHUP, SIG_IGN);

        log_setup(log_program(), LOG_TARGET_JOURNAL, log_get_max_level());
        if (log_file) {
                r = log_open_file(log_file);
                if (r < 0)
                        return r;
        }
        return 0;
}

int detach_process(int (*fn)(void *userdata), void *userdata, const int *keep_fds, size_t n_keep,
                    const char *log_file, pid_t *ret_pid) {
        _cleanup_close_pair_ int report[2] = { -EBADF, -EBADF };
        int answer = 0, status;
        ssize_t n;
        pid_t pid;

        /* The detached process's stdio becomes /dev/null: a kept fd there would be lost. */
        for (size_t i = 0; i < n_keep; i++)
                if (keep_fds[i] >= 0 && keep_fds[i] <= STDERR_FILENO)
                        return -EBADF;

        if (pipe2(report, O_CLOEXEC) < 0)
                return -errno;

        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                pid_t child;
                int r;

                report[0] = safe_close(report[0]);
                /* A session of our own, then a second fork: not a session leader, the process
                 * can never acquire a controlling terminal, and the runtime's process group
                 * kill at its hook timeout does not reach it. */
                if (setsid() < 0)
                        _exit(EXIT_FAILURE);
                child = fork();
                if (child < 0)
                        _exit(EXIT_FAILURE);
                if (child > 0)
                        _exit(EXIT_SUCCESS);

                r = detached_setup(keep_fds, n_keep, report[1], log_file);
                answer = r < 0 ? r : (int) getpid();
                (void) write_all(report[1], &answer, sizeof answer);
                if (r < 0)
                        _exit(EXIT_FAILURE);
                report[1] = safe_close(report[1]);
                r = fn(userdata);
                _exit(r < 0 ? EXIT_FAILURE : r);
        }

        report[1] = safe_close(report[1]);
        if (waitpid(pid, &status, 0) < 0)
                return -errno;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                return -ECHILD;
        /* EOF without an answer: the process died before it could say anything. */
        n = read_all(report[0], &answer, sizeof answer);
        if (n < 0)
                return (int) n;
        if (n != sizeof answer || answer == 0)
                return -ECHILD;
        if (answer < 0)
                return answer;
        if (ret_pid)
                *ret_pid = answer;
        return 0;
}
