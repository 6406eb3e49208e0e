/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <poll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "pidfd-util.h"

int pidfd_open_pid(pid_t pid) {
        int fd = (int) syscall(SYS_pidfd_open, pid, 0);
        return fd < 0 ? -errno : fd;
}

static int pidfd_poll(int pidfd) {
        struct pollfd p = { .fd = pidfd, .events = POLLIN };
        return poll(&p, 1, 0);
}

bool pidfd_running(int pidfd) {
        return pidfd_poll(pidfd) == 0;
}

bool pidfd_exited(int pidfd) {
        return pidfd_poll(pidfd) > 0;
}
