/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fd-util.h"
#include "log.h"
#include "pidfd-util.h"
#include "worker.h"

#define WORKER_EXIT_SETUP_FAILED 126

static int join_container(const Container *c) {
        if (c->userns_fd >= 0) {
                if (setns(c->userns_fd, CLONE_NEWUSER) < 0)
                        return log_error_errno(errno, "Failed to join the container's user namespace: %m");
                /* Our host uid is usually unmapped inside; become the container's root so that
                 * systemd's private socket accepts us and we act with the container's powers. */
                if (setresgid(0, 0, 0) < 0)
                        return log_error_errno(errno, "Failed to become gid 0 in the container's user namespace: %m");
                if (setgroups(0, NULL) < 0 && errno != EPERM)
                        return log_error_errno(errno, "Failed to drop supplementary groups: %m");
                if (setresuid(0, 0, 0) < 0)
                        return log_error_errno(errno, "Failed to become uid 0 in the container's user namespace: %m");
        }

        if (setns(c->mntns_fd, CLONE_NEWNS) < 0)
                return log_error_errno(errno, "Failed to join the container's mount namespace: %m");

        /* setns() put us at the namespace's root, which need not be the container's root (a
         * runtime may chroot instead of pivot_root). Use the root its init sees, so every
         * absolute path we resolve, and every ".." and absolute symlink, stays inside. */
        if (fchdir(c->root_fd) < 0)
                return log_error_errno(errno, "Failed to enter the container's root: %m");
        if (chroot(".") < 0)
                return log_error_errno(errno, "Failed to change root to the container's root: %m");
        if (chdir("/") < 0)
                return log_error_errno(errno, "Failed to enter the container's root: %m");
        return 0;
}

_noreturn_ static void worker_main(const Container *c, usec_t deadline, int relay_fd,
                                   WorkerFunction fn, void *userdata) {
        Worker w = { .container = c, .deadline = deadline };
        int r;

        log_set_relay_fd(relay_fd);

        /* The host's /proc stays reachable through this fd after we changed root: mountinfo
         * read through it describes our current namespace, relative to our current root. */
        w.proc_self_fd = open("/proc/self", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (w.proc_self_fd < 0) {
                log_error_errno(errno, "Failed to open /proc/self: %m");
                _exit(WORKER_EXIT_SETUP_FAILED);
        }

        if (join_container(c) < 0)
                _exit(WORKER_EXIT_SETUP_FAILED);

        r = fn(&w, userdata);
        _exit(r < 0 || r > 125 ? WORKER_EXIT_SETUP_FAILED : r);
}

/* Relays complete lines from the worker; keeps a partial line for the next read. */
static int relay_lines(int fd, char *buf, size_t size, size_t *used) {
        ssize_t n = read(fd, buf + *used, size - 1 - *used);
        char *start, *nl;

        if (n < 0)
                return errno == EINTR || errno == EAGAIN ? 1 : -errno;
        if (n == 0) {
                if (*used > 0) {
                        buf[*used] = '\0';
                        log_relayed_line(buf);
                        *used = 0;
                }
                return 0;
        }
        *used += (size_t) n;
        buf[*used] = '\0';

        start = buf;
        while ((nl = strchr(start, '\n'))) {
                *nl = '\0';
                log_relayed_line(start);
                start = nl + 1;
        }
        *used = strlen(start);
        memmove(buf, start, *used);
        /* A line longer than the buffer is cut rather than stalling the relay. */
        if (*used == size - 1) {
                buf[*used] = '\0';
                log_relayed_line(buf);
                *used = 0;
        }
        return 1;
}

int worker_run(const Container *c, usec_t deadline, WorkerFunction fn, void *userdata) {
        _cleanup_close_pair_ int relay[2] = { -EBADF, -EBADF };
        _cleanup_close_ int worker_pidfd = -EBADF;
        char buf[4096];
        size_t used = 0;
        bool relay_open = true, killed = false;
        siginfo_t si = {};
        pid_t pid;

        if (pipe2(relay, O_CLOEXEC) < 0)
                return log_error_errno(errno, "Failed to create a pipe: %m");

        pid = fork();
        if (pid < 0)
                return log_error_errno(errno, "Failed to fork: %m");
        if (pid == 0) {
                relay[0] = safe_close(relay[0]);
                worker_main(c, deadline, relay[1], fn, userdata);
        }
        relay[1] = safe_close(relay[1]);

        worker_pidfd = pidfd_open_pid(pid);
        if (worker_pidfd < 0) {
                int r = worker_pidfd;
                (void) kill(pid, SIGKILL);
                (void) waitpid(pid, NULL, 0);
                return log_error_errno(r, "Failed to open a pidfd for the worker: %m");
        }

        for (;;) {
                struct pollfd p[2] = {
                        { .fd = worker_pidfd, .events = POLLIN },
                        { .fd = relay_open ? relay[0] : -1, .events = POLLIN },
                };
                int n;

                n = poll(p, 2, killed ? -1 : usec_to_poll_timeout(usec_until(deadline)));
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        log_warning_errno(errno, "poll() failed, killing the worker: %m");
                        n = 0;
                }
                if (n == 0 && !killed) {
                        log_error("Deadline reached, killing the worker.");
                        (void) kill(pid, SIGKILL);
                        killed = true;
                        continue;
                }
                if (relay_open && (p[1].revents & (POLLIN | POLLHUP)))
                        relay_open = relay_lines(relay[0], buf, sizeof buf, &used) > 0;
                /* Drain the relay before reaping, so no line of the worker is lost. */
                if ((p[0].revents & POLLIN) && !relay_open)
                        break;
                if ((p[0].revents & POLLIN) && !(p[1].revents & (POLLIN | POLLHUP)))
                        break;
        }

        if (waitid(P_PIDFD, (id_t) worker_pidfd, &si, WEXITED) < 0)
                return log_error_errno(errno, "Failed to reap the worker: %m");
        if (killed)
                return -ETIMEDOUT;
        if (si.si_code != CLD_EXITED)
                return log_error_errno(SYNTHETIC_ERRNO(ECHILD), "The worker was killed by signal %d.",
                                       si.si_status);
        if (si.si_status == WORKER_EXIT_SETUP_FAILED)
                return -EPROTO;
        return si.si_status;
}
