/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "container.h"
#include "fd-util.h"
#include "io-util.h"
#include "log.h"
#include "pidfd-util.h"




int container_init_cpu_ticks(const Container *c, uint64_t *ret) {
        char buf[4096];
        int r;

        r = proc_read_small_file(c->proc_fd, "stat", buf, sizeof buf);
        if (r < 0)
                return r;
        return proc_parse_cpu_ticks(buf, ret);
}

static int same_inode(int dir_a, const char *a, int dir_b, const char *b, bool *ret) {
        struct stat sa, sb;

        if (fstatat(dir_a, a, &sa, 0) < 0)
                return -errno;
        if (fstatat(dir_b, b, &sb, 0) < 0)
                return -errno;
        *ret = sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
        return 0;
}

static int open_ns(int proc_fd, const char *name) {
        int fd = openat(proc_fd, name, O_RDONLY | O_CLOEXEC);
        return fd < 0 ? -errno : fd;
}

int container_pin(pid_t pid, Container *ret) {
        _cleanup_(container_close) Container c = CONTAINER_NULL;
        bool same;
        int r;

        c.pid = pid;
        /* Pinned first: everything opened from now on is checked against it. */
        c.pidfd = pidfd_open_pid(pid);
        if (c.pidfd < 0)
                return c.pidfd;
        c.proc_fd = proc_open_pid(pid, c.pidfd);
        if (c.proc_fd < 0)
                return c.proc_fd;

        r = same_inode(AT_FDCWD, "/proc/self/ns/mnt", c.proc_fd, "ns/mnt", &same);
        if (r < 0)
                return r;
        if (same)
                return -EPERM;

        *ret = c;
        c = CONTAINER_NULL;
        return 0;
}

int container_load(Container *c) {
        char buf[4096];
        bool same;
        int r;

        /* A restore may have given the process new namespaces and a new root since it was
         * pinned: what it is made of is read now, never kept from an earlier look. */
        c->userns_fd = safe_close(c->userns_fd);
        c->mntns_fd = safe_close(c->mntns_fd);
        c->pidns_fd = safe_close(c->pidns_fd);
        c->root_fd = safe_close(c->root_fd);
        if (c->proc_fd < 0) {
                c->proc_fd = proc_open_pid(c->pid, c->pidfd);
                if (c->proc_fd < 0)
                        return c->proc_fd;
        }

        r = same_inode(AT_FDCWD, "/proc/self/ns/mnt", c->proc_fd, "ns/mnt", &same);
        if (r < 0)
                return r == -ENOENT ? -ESRCH : r;
        if (same)
                return -EPERM;

        r = same_inode(AT_FDCWD, "/proc/self/ns/user", c->proc_fd, "ns/user", &same);
        if (r < 0)
                return r;
        if (!same) {
                c->userns_fd = open_ns(c->proc_fd, "ns/user");
                if (c->userns_fd < 0)
                        return c->userns_fd;
        }

        c->mntns_fd = open_ns(c->proc_fd, "ns/mnt");
        if (c->mntns_fd < 0)
                return c->mntns_fd;

        c->pidns_fd = open_ns(c->proc_fd, "ns/pid");
        if (c->pidns_fd < 0)
                return c->pidns_fd;

        c->root_fd = openat(c->proc_fd, "root", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (c->root_fd < 0)
                return -errno;

        r = proc_read_small_file(c->proc_fd, "stat", buf, sizeof buf);
        if (r < 0)
                return r;
        r = proc_parse_start_time(buf, &c->start_time);
        if (r < 0)
                return r;

        r = proc_read_small_file(c->proc_fd, "comm", c->comm, sizeof c->comm);
        if (r < 0)
                return r;
        c->comm[strcspn(c->comm, "\n")] = '\0';

        /* If the process died while we opened things, they may describe what is left of it. */
        if (!container_is_alive(c))
                return -ESRCH;
        return 0;
}

int container_open(pid_t pid, Container *ret) {
        _cleanup_(container_close) Container c = CONTAINER_NULL;
        int r;

        r = container_pin(pid, &c);
        if (r < 0)
                return r;
        r = container_load(&c);
        if (r < 0)
                return r;
        *ret = c;
        c = CONTAINER_NULL;
        return 0;
}

void container_log_refusal(pid_t pid, int r) {
        switch (r) {
        case -ESRCH:
                log_error("Process %d does not exist (any more); nothing to repair.", (int) pid);
                break;
        case -EPERM:
                log_error("Process %d shares our mount namespace: that is the host, not a container. Refusing.",
                          (int) pid);
                break;
        default:
                log_error_errno(r, "Cannot inspect process %d: %m", (int) pid);
                break;
        }
}

void container_close(Container *c) {
        safe_close(c->pidfd);
        safe_close(c->proc_fd);
        safe_close(c->userns_fd);
        safe_close(c->mntns_fd);
        safe_close(c->pidns_fd);
        safe_close(c->root_fd);
        *c = CONTAINER_NULL;
}

bool container_is_alive(const Container *c) {
        return pidfd_running(c->pidfd);
}

