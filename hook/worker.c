/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <stdlib.h>
#include <sys/prctl.h>
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

/* Once it faces the container, the worker holds nothing that leads to the host: the container's
 * root could reach any fd of ours through pidfd_getfd() (its PID 1 gets our pidfd from
 * SO_PASSPIDFD on systemd's socket) or, for the connector we fork into its PID namespace,
 * through /proc/PID/fd. A host directory fd there is a way out: "..", "1/root". */
static int worker_lock_down(Container *c, int *mountinfo_fd, int proc_self_fd, const int *keep,
                            size_t n_keep, const int *extra, size_t n_extra) {
        _cleanup_free_ int *fds = NULL;
        size_t n = 0;

        fds = calloc(5 + n_keep + n_extra, sizeof(int));
        if (!fds)
                return -ENOMEM;

        /* Our own mountinfo, opened now that we joined: it shows the container's namespace
         * relative to the container's root, and it is a leaf that leads nowhere. */
        *mountinfo_fd = openat(proc_self_fd, "mountinfo", O_RDONLY | O_CLOEXEC);
        if (*mountinfo_fd < 0)
                return log_error_errno(errno, "Failed to open our mountinfo: %m");

        /* The host's /proc/PID of the container's init, its root and namespaces were needed to
         * get here and are not needed any more; the PID namespace is, for the connector. The
         * record, the log file, libsystemd's journal socket and whatever else the caller had
         * open go too: only the fds listed here survive. The container's own mount namespace
         * and root stay, for moving between its mount namespaces: both lie inside it, and so
         * do the caller's extra fds (the namespaces and roots of its other processes). */
        c->proc_fd = -EBADF;
        c->userns_fd = -EBADF;
        fds[n++] = *mountinfo_fd;
        fds[n++] = c->pidfd;
        fds[n++] = c->pidns_fd;
        fds[n++] = c->mntns_fd;
        fds[n++] = c->root_fd;
        for (size_t i = 0; i < n_keep; i++)
                fds[n++] = keep[i];
        for (size_t i = 0; i < n_extra; i++)
                fds[n++] = extra[i];
        return close_all_fds_except(3, fds, n);
}

_noreturn_ static void worker_main(const Container *host_view, usec_t deadline,
                                   const int *extra_fds, size_t n_extra, int relay_fd,
                                   int output_fd, WorkerFunction fn, void *userdata) {
        Container c = *host_view; /* our copy, stripped of what leads to the host below */
        Worker w = { .container = &c, .deadline = deadline, .mountinfo_fd = -EBADF,
                     .output_fd = output_fd };
        _cleanup_close_ int proc_self_fd = -EBADF;
        int r;

        log_set_relay_fd(relay_fd);
        /* A host file the container could reopen through /proc/PID/fd/N. */
        log_close_file();
        (void) signal(SIGPIPE, SIG_IGN);
        /* A Ctrl-C or a process-group kill meant for the hook must not stop us between taking
         * trees away and putting them back; every wait of ours ends at the deadline anyway,
         * also when the hook that would kill us there is gone. */
        (void) signal(SIGINT, SIG_IGN);
        (void) signal(SIGTERM, SIG_IGN);
        (void) signal(SIGHUP, SIG_IGN);
        (void) signal(SIGQUIT, SIG_IGN);

        /* Non-dumpable before we join anything: our /proc/PID files become root's and
         * ptrace_may_access() wants CAP_SYS_PTRACE in our user namespace. That stops a container
         * with a user namespace; one without needs the lock-down below. Inherited by the
         * connector. */
        if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) {
                log_error_errno(errno, "Failed to make the worker non-dumpable: %m");
                _exit(WORKER_EXIT_SETUP_FAILED);
        }

        /* The host's /dev/null, opened before joining: the container's could be anything, and
         * a host terminal on stdin could be driven with TIOCSTI. */
        r = stdio_to_dev_null();
        if (r < 0) {
                log_error_errno(r, "Failed to point stdio at /dev/null: %m");
                _exit(WORKER_EXIT_SETUP_FAILED);
        }

        /* Opened while our root is the host's; closed as soon as mountinfo is open. */
        proc_self_fd = open("/proc/self", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (proc_self_fd < 0) {
                log_error_errno(errno, "Failed to open /proc/self: %m");
                _exit(WORKER_EXIT_SETUP_FAILED);
        }

        if (join_container(&c) < 0)
                _exit(WORKER_EXIT_SETUP_FAILED);

        r = worker_lock_down(&c, &w.mountinfo_fd, proc_self_fd, (const int[]) { relay_fd, output_fd }, 2,
                             extra_fds, n_extra);
        proc_self_fd = -EBADF; /* closed by the lock-down */
        if (r < 0) {
                log_error_errno(r, "Failed to close the fds that lead to the host: %m");
                _exit(WORKER_EXIT_SETUP_FAILED);
        }

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

/* Appends what the worker wrote to its output; 0 at EOF, 1 to go on. */
static int read_output(int fd, char **buf, size_t *used, size_t *allocated) {
        ssize_t n;

        if (*allocated - *used < 4096 + 1) {
                size_t size = *allocated ? *allocated * 2 : 8192;
                char *p;

                if (size > WORKER_OUTPUT_MAX + 4096 + 1)
                        return -EFBIG;
                p = realloc(*buf, size);
                if (!p)
                        return -ENOMEM;
                *buf = p;
                *allocated = size;
        }
        n = read(fd, *buf + *used, *allocated - 1 - *used);
        if (n < 0)
                return errno == EINTR || errno == EAGAIN ? 1 : -errno;
        *used += (size_t) n;
        (*buf)[*used] = '\0';
        if (*used > WORKER_OUTPUT_MAX)
                return -EFBIG;
        return n > 0;
}

/* Reaps the worker and says how it ended: its status (0..125), or -ETIMEDOUT when it was killed
 * at the deadline, -EPROTO when it could not join the container. */
static int reap_worker(int worker_pidfd, bool killed, int *ret_status) {
        siginfo_t si = {};

        if (waitid(P_PIDFD, (id_t) worker_pidfd, &si, WEXITED) < 0)
                return log_error_errno(errno, "Failed to reap the worker: %m");
        if (killed)
                return -ETIMEDOUT;
        if (si.si_code != CLD_EXITED)
                return log_error_errno(SYNTHETIC_ERRNO(ECHILD), "The worker was killed by signal %d.",
                                       si.si_status);
        if (si.si_status == WORKER_EXIT_SETUP_FAILED)
                return -EPROTO;
        *ret_status = si.si_status;
        return 0;
}

int worker_run(const Container *c, usec_t deadline, const int *extra_fds, size_t n_extra,
               WorkerFunction fn, void *userdata, int *ret_result, char **ret_output) {
        _cleanup_close_pair_ int relay[2] = { -EBADF, -EBADF }, output[2] = { -EBADF, -EBADF };
        _cleanup_close_ int worker_pidfd = -EBADF;
        _cleanup_free_ char *out = NULL;
        size_t out_used = 0, out_allocated = 0;
        int output_error = 0;
        char buf[4096];
        size_t used = 0;
        bool relay_open = true, output_open = ret_output, killed = false;
        int status = 0, r;
        pid_t pid;

        if (pipe2(relay, O_CLOEXEC) < 0)
                return log_error_errno(errno, "Failed to create a pipe: %m");
        if (ret_output && pipe2(output, O_CLOEXEC) < 0)
                return log_error_errno(errno, "Failed to create a pipe: %m");

        pid = fork();
        if (pid < 0)
                return log_error_errno(errno, "Failed to fork: %m");
        if (pid == 0) {
                relay[0] = safe_close(relay[0]);
                output[0] = safe_close(output[0]);
                worker_main(c, deadline, extra_fds, n_extra, relay[1], output[1], fn, userdata);
        }
        relay[1] = safe_close(relay[1]);
        output[1] = safe_close(output[1]);

        worker_pidfd = pidfd_open_pid(pid);
        if (worker_pidfd < 0) {
                r = worker_pidfd;
                (void) kill(pid, SIGKILL);
                (void) waitpid(pid, NULL, 0);
                return log_error_errno(r, "Failed to open a pidfd for the worker: %m");
        }

        for (;;) {
                struct pollfd p[3] = {
                        { .fd = worker_pidfd, .events = POLLIN },
                        { .fd = relay_open ? relay[0] : -1, .events = POLLIN },
                        { .fd = output_open ? output[0] : -1, .events = POLLIN },
                };
                bool pending;
                int n;

                n = poll(p, 3, killed ? -1 : usec_to_poll_timeout(usec_until(deadline)));
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
                if (output_open && (p[2].revents & (POLLIN | POLLHUP))) {
                        int k = read_output(output[0], &out, &out_used, &out_allocated);
                        if (k < 0) {
                                output_error = k;
                                output[0] = safe_close(output[0]);
                        }
                        output_open = k > 0;
                }
                /* Drain the pipes before reaping, so no line of the worker is lost. */
                pending = (p[1].revents & (POLLIN | POLLHUP)) || (p[2].revents & (POLLIN | POLLHUP));
                if ((p[0].revents & POLLIN) && ((!relay_open && !output_open) || !pending))
                        break;
        }

        r = reap_worker(worker_pidfd, killed, &status);
        if (r < 0)
                return r;
        if (ret_output) {
                if (output_error < 0)
                        return log_error_errno(output_error, "Failed to take the worker's output: %m");
                *ret_output = out ? TAKE_PTR(out) : strdup("");
                if (!*ret_output)
                        return log_oom();
        }
        *ret_result = status;
        return 0;
}
