/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

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

/* Opens the container whose init has this host PID. Fails with
 *   -ESRCH   the process is gone,
 *   -EPERM   it is in our own mount namespace (the host, as far as we can tell): refused,
 *   other    it cannot be inspected. */
int container_open(pid_t pid, Container *ret);
void container_close(Container *c);

bool container_is_alive(const Container *c);


/* Reads a small file below /proc/PID. */
int proc_read_small_file(int proc_fd, const char *name, char *buf, size_t size);
int proc_parse_start_time(const char *stat_line, uint64_t *ret);
/* utime + stime, in clock ticks, from the text of /proc/PID/stat. */
int proc_parse_cpu_ticks(const char *stat_line, uint64_t *ret);
int container_init_cpu_ticks(const Container *c, uint64_t *ret);
/* TracerPid from the text of /proc/PID/status: non-zero while CRIU restores the process. */
int proc_parse_tracer_pid(const char *status, pid_t *ret);
