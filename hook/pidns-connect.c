/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fd-util.h"
#include "log.h"
#include "pidns-connect.h"

static int send_fd(int channel, int fd) {
        char control[CMSG_SPACE(sizeof(int))] = {};
        char byte = 0;
        struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
        struct msghdr msg = {
                .msg_iov = &iov, .msg_iovlen = 1,
                .msg_control = control, .msg_controllen = sizeof control,
        };
        struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);

        cmsg->cmsg_level = SOL_SOCKET;
        cmsg->cmsg_type = SCM_RIGHTS;
        cmsg->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
        return sendmsg(channel, &msg, MSG_NOSIGNAL) < 0 ? -errno : 0;
}

static int receive_fd(int channel) {
        char control[CMSG_SPACE(sizeof(int))] = {};
        char byte;
        struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
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
        cmsg = CMSG_FIRSTHDR(&msg);
        if (n == 0 || !cmsg || cmsg->cmsg_type != SCM_RIGHTS ||
            cmsg->cmsg_len != CMSG_LEN(sizeof(int)))
                return -ECONNREFUSED; /* the child could not connect; it said why */
        memcpy(&fd, CMSG_DATA(cmsg), sizeof(int));
        return fd;
}

_noreturn_ static void connect_child(int channel, const char *path) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd;

        /* If the worker is killed at its deadline, this child must not linger either. */
        (void) prctl(PR_SET_PDEATHSIG, SIGKILL);

        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) {
                log_error_errno(errno, "Failed to create a socket: %m");
                _exit(EXIT_FAILURE);
        }
        strncpy(sa.sun_path, path, sizeof sa.sun_path - 1);
        if (connect(fd, (struct sockaddr *) &sa, sizeof sa) < 0) {
                log_error_errno(errno, "Failed to connect to %s: %m", path);
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

        if (n > 0)
                r = receive_fd(pair[0]);
        else
                r = n == 0 ? -ETIMEDOUT : -errno;

        /* Even a child stuck on an autofs in the path dies from SIGKILL. */
        (void) kill(pid, SIGKILL);
        (void) waitpid(pid, NULL, 0);
        return r;
}
