/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <linux/capability.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fd-util.h"
#include "log.h"
#include "pidns-connect.h"

/* Sends fd, or when fd is negative, only the error: the child has no stderr to say it on. */
static int send_fd(int channel, int fd) {
        char control[CMSG_SPACE(sizeof(int))] = {};
        int error = fd < 0 ? fd : 0;
        struct iovec iov = { .iov_base = &error, .iov_len = sizeof error };
        struct msghdr msg = {
                .msg_iov = &iov, .msg_iovlen = 1,
        };
        struct cmsghdr *cmsg;

        if (fd >= 0) {
                msg.msg_control = control;
                msg.msg_controllen = sizeof control;
                cmsg = CMSG_FIRSTHDR(&msg);
                cmsg->cmsg_level = SOL_SOCKET;
                cmsg->cmsg_type = SCM_RIGHTS;
                cmsg->cmsg_len = CMSG_LEN(sizeof(int));
                memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
        }
        return sendmsg(channel, &msg, MSG_NOSIGNAL) < 0 ? -errno : 0;
}

static int receive_fd(int channel) {
        char control[CMSG_SPACE(sizeof(int))] = {};
        int error = 0;
        struct iovec iov = { .iov_base = &error, .iov_len = sizeof error };
        struct msghdr msg = {
                .msg_iov = &iov, .msg_iovlen = 1,
                .msg_control = control, .msg_controllen = sizeof control,
        };
        struct cmsghdr *cmsg;
        ssize_t n;
        int fd;

        n = recvmsg(channel, &msg, MSG_CMSG_CLOEXEC);
        if (n < 0)
                return -errno;
        if (n != sizeof error)
                return -ECONNREFUSED; /* the child died before it could say anything */
        cmsg = CMSG_FIRSTHDR(&msg);
        if (!cmsg || cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS ||
            cmsg->cmsg_len != CMSG_LEN(sizeof(int)))
                return error < 0 && error > -4096 ? error : -ECONNREFUSED;
        memcpy(&fd, CMSG_DATA(cmsg), sizeof(int));
        return fd;
}

/* The child runs in the container's PID namespace, where the container's root can ptrace it
 * (CAP_SYS_PTRACE without a user namespace of its own is enough, non-dumpable or not) or take
 * its fds. So it holds nothing but the channel and the socket it makes, and no capabilities:
 * connecting to a root-owned socket as uid 0 needs none. */
static int connect_child_lock_down(int channel) {
        struct __user_cap_header_struct header = { .version = _LINUX_CAPABILITY_VERSION_3 };
        struct __user_cap_data_struct data[2] = {};

        int r;

        r = close_all_fds_except(0, &channel, 1);
        if (r < 0)
                return r;
        if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
                return -errno;
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return -errno;
        if (syscall(SYS_capset, &header, data) < 0)
                return -errno;
        return 0;
}

_noreturn_ static void connect_child(int channel, const char *path) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd, r;

        /* If the worker is killed at its deadline, this child must not linger either. */
        (void) prctl(PR_SET_PDEATHSIG, SIGKILL);

        r = connect_child_lock_down(channel);
        if (r < 0) {
                (void) send_fd(channel, r);
                _exit(EXIT_FAILURE);
        }

        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) {
                (void) send_fd(channel, -errno);
                _exit(EXIT_FAILURE);
        }
        strncpy(sa.sun_path, path, sizeof sa.sun_path - 1);
        if (connect(fd, (struct sockaddr *) &sa, sizeof sa) < 0) {
                (void) send_fd(channel, -errno);
                _exit(EXIT_FAILURE);
        }
        _exit(send_fd(channel, fd) < 0 ? EXIT_FAILURE : EXIT_SUCCESS);
}

int connect_unix_in_pidns(int pidns_fd, const char *path, usec_t deadline) {
        _cleanup_close_pair_ int pair[2] = { -EBADF, -EBADF };
        struct pollfd p;
        pid_t pid;
        int r, n;

        if (strlen(path) >= sizeof(((struct sockaddr_un *) NULL)->sun_path))
                return -ENAMETOOLONG;
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0)
                return -errno;

        /* Only children we fork from now on land in that namespace: we ourselves stay. */
        if (setns(pidns_fd, CLONE_NEWPID) < 0)
                return log_error_errno(errno, "Failed to enter the container's PID namespace: %m");

        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                pair[0] = safe_close(pair[0]);
                connect_child(pair[1], path);
        }
        pair[1] = safe_close(pair[1]);

        p = (struct pollfd) { .fd = pair[0], .events = POLLIN };
        do
                n = poll(&p, 1, usec_to_poll_timeout(usec_until(deadline)));
        while (n < 0 && errno == EINTR);

        if (n > 0) {
                r = receive_fd(pair[0]);
                if (r < 0)
                        log_debug_errno(r, "Failed to connect to %s: %m", path);
        } else
                r = n == 0 ? -ETIMEDOUT : -errno;

        /* Even a child stuck on an autofs in the path dies from SIGKILL. */
        (void) kill(pid, SIGKILL);
        (void) waitpid(pid, NULL, 0);
        return r;
}
