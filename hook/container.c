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

int proc_read_small_file(int proc_fd, const char *name, char *buf, size_t size) {
        _cleanup_close_ int fd = -EBADF;
        ssize_t n;

        fd = openat(proc_fd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return -errno;
        n = read_all(fd, buf, size - 1);
        if (n < 0)
                return (int) n;
        buf[n] = '\0';
        return (int) n;
}

int proc_parse_start_time(const char *stat_line, uint64_t *ret) {
        const char *p;
        unsigned long long v;
        int field;

        /* comm may contain spaces and parentheses; the fields after it start at the last ')'. */
        p = strrchr(stat_line, ')');
        if (!p)
                return -EINVAL;
        p++;
        /* After ')' comes field 3 (state); starttime is field 22. */
        for (field = 2; field < 21; field++) {
                p = strchr(p + 1, ' ');
                if (!p)
                        return -EINVAL;
        }
        if (sscanf(p, " %llu", &v) != 1)
                return -EINVAL;
        *ret = v;
        return 0;
}

int proc_parse_cpu_ticks(const char *stat_line, uint64_t *ret) {
        const char *p = strrchr(stat_line, ')');
        unsigned long long utime, stime;
        int field;

        if (!p)
                return -EINVAL;
        p++;
        /* utime and stime are fields 14 and 15; p is before field 3. */
        for (field = 2; field < 13; field++) {
                p = strchr(p + 1, ' ');
                if (!p)
                        return -EINVAL;
        }
        if (sscanf(p, " %llu %llu", &utime, &stime) != 2)
                return -EINVAL;
        *ret = utime + stime;
        return 0;
}

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

int container_open(pid_t pid, Container *ret) {
        _cleanup_(container_close) Container c = CONTAINER_NULL;
        char path[64], buf[4096];
        bool same;
        int r;

        c.pid = pid;

        /* Pin the process first; everything opened below is checked against it afterwards. */
        c.pidfd = pidfd_open_pid(pid);
        if (c.pidfd < 0)
                return c.pidfd;

        snprintf(path, sizeof path, "/proc/%d", pid);
        c.proc_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (c.proc_fd < 0)
                return errno == ENOENT ? -ESRCH : -errno;

        r = same_inode(AT_FDCWD, "/proc/self/ns/mnt", c.proc_fd, "ns/mnt", &same);
        if (r < 0)
                return r;
        if (same)
                return -EPERM;

        r = same_inode(AT_FDCWD, "/proc/self/ns/user", c.proc_fd, "ns/user", &same);
        if (r < 0)
                return r;
        if (!same) {
                c.userns_fd = open_ns(c.proc_fd, "ns/user");
                if (c.userns_fd < 0)
                        return c.userns_fd;
        }

        c.mntns_fd = open_ns(c.proc_fd, "ns/mnt");
        if (c.mntns_fd < 0)
                return c.mntns_fd;

        c.pidns_fd = open_ns(c.proc_fd, "ns/pid");
        if (c.pidns_fd < 0)
                return c.pidns_fd;

        c.root_fd = openat(c.proc_fd, "root", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (c.root_fd < 0)
                return -errno;

        r = proc_read_small_file(c.proc_fd, "stat", buf, sizeof buf);
        if (r < 0)
                return r;
        r = proc_parse_start_time(buf, &c.start_time);
        if (r < 0)
                return r;

        r = proc_read_small_file(c.proc_fd, "comm", c.comm, sizeof c.comm);
        if (r < 0)
                return r;
        c.comm[strcspn(c.comm, "\n")] = '\0';

        /* If the PID was recycled while we opened things, they may describe another process. */
        if (!container_is_alive(&c))
                return -ESRCH;

        *ret = c;
        c = CONTAINER_NULL;
        return 0;
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

int proc_parse_tracer_pid(const char *status, pid_t *ret) {
        const char *p = strstr(status, "\nTracerPid:");
        int pid;

        if (!p || sscanf(p + strlen("\nTracerPid:"), "%d", &pid) != 1)
                return -EINVAL;
        *ret = pid;
        return 0;
}
