/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "proc-util.h"

/* A container, pinned by its init process: a pidfd so a recycled PID is never mistaken for it,
 * and fds of its namespaces and root taken while it was known to be alive. */
typedef struct Container {
        pid_t pid;
        int pidfd;
        int proc_fd;            /* /proc/PID, a directory */
        int userns_fd;          /* -EBADF when it shares our user namespace */
        int mntns_fd;
        int pidns_fd;
        int root_fd;            /* /proc/PID/root: what absolute paths mean inside */
        uint64_t start_time;    /* clock ticks since boot: with pid, names this incarnation */
        char comm[17];
} Container;

#define CONTAINER_NULL                                                                  \
        (Container) { .pidfd = -EBADF, .proc_fd = -EBADF, .userns_fd = -EBADF,          \
                      .mntns_fd = -EBADF, .pidns_fd = -EBADF, .root_fd = -EBADF }

/* The handle of a container, from the first look at it to the repair: a front end pins the
 * process once (container_pin), a PID never travels further. What the container is made of
 * (namespaces, root) is read when it is needed (container_load), because a restore changes it
 * after the first look. All fail with
 *   -ESRCH   the process is gone,
 *   -EPERM   it is in our own mount namespace (the host, as far as we can tell): refused,
 *   other    it cannot be inspected. */
int container_pin(pid_t pid, Container *ret);
int container_load(Container *c);
/* Both at once. */
int container_open(pid_t pid, Container *ret);
/* The one line that says why a container_pin()/container_load() error refuses pid. */
void container_log_refusal(pid_t pid, int r);
void container_close(Container *c);

bool container_is_alive(const Container *c);

/* utime + stime of the container's init, in clock ticks. */
int container_init_cpu_ticks(const Container *c, uint64_t *ret);
