/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fd-util.h"
#include "io-util.h"
#include "macro.h"
#include "pidfd-util.h"
#include "proc-util.h"

/* A thread lists at most a few thousand children; one line of /proc/PID/task/TID/children. */
#define CHILDREN_FILE_MAX (64 * 1024)

int proc_open_pid(pid_t pid, int pidfd) {
        char path[32];
        int fd;

        if (pid <= 0 || pid > PID_MAX_LIMIT)
                return -ESRCH;
        (void) snprintf(path, sizeof path, "/proc/%d", (int) pid);
        fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT ? -ESRCH : negative_errno();
        /* While the pinned process runs its PID names nobody else: the directory is its. */
        if (pidfd >= 0 && !pidfd_running(pidfd)) {
                safe_close(fd);
                return -ESRCH;
        }
        return fd;
}

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

int proc_parse_tracer_pid(const char *status, pid_t *ret) {
        const char *p = strstr(status, "\nTracerPid:");
        int pid;

        if (!p || sscanf(p + strlen("\nTracerPid:"), "%d", &pid) != 1)
                return -EINVAL;
        *ret = pid;
        return 0;
}

static int append_children(const char *text, pid_t **list, size_t *n, size_t *allocated) {
        const char *p = text;

        while (*p) {
                char *end;
                long v;

                while (*p == ' ' || *p == '\n')
                        p++;
                if (!*p)
                        break;
                errno = 0;
                v = strtol(p, &end, 10);
                if (errno != 0 || end == p || v <= 0 || v > PID_MAX_LIMIT)
                        return -EBADMSG;
                p = end;
                if (*n == *allocated) {
                        size_t a = *allocated ? *allocated * 2 : 16;
                        pid_t *l = realloc(*list, a * sizeof(pid_t));
                        if (!l)
                                return -ENOMEM;
                        *list = l;
                        *allocated = a;
                }
                (*list)[(*n)++] = (pid_t) v;
        }
        return 0;
}

int proc_children(pid_t pid, pid_t **ret, size_t *ret_n) {
        _cleanup_(closedirp) DIR *d = NULL;
        _cleanup_free_ pid_t *list = NULL;
        _cleanup_free_ char *buf = NULL;
        size_t n = 0, allocated = 0;
        char path[64];
        struct dirent *de;
        int r;

        snprintf(path, sizeof path, "/proc/%d/task", (int) pid);
        d = opendir(path);
        if (!d)
                return errno == ENOENT ? -ESRCH : negative_errno();
        buf = malloc(CHILDREN_FILE_MAX);
        if (!buf)
                return -ENOMEM;

        while ((errno = 0, de = readdir(d))) {
                _cleanup_close_ int fd = -EBADF;

                if (de->d_name[0] == '.')
                        continue;
                fd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (fd < 0)
                        continue;       /* the thread ended meanwhile */
                r = proc_read_small_file(fd, "children", buf, CHILDREN_FILE_MAX);
                if (r == -ENOENT)
                        return -EOPNOTSUPP;     /* kernel without CONFIG_PROC_CHILDREN */
                if (r < 0)
                        continue;
                r = append_children(buf, &list, &n, &allocated);
                if (r < 0)
                        return r;
        }
        if (errno != 0)
                return negative_errno();

        *ret = TAKE_PTR(list);
        *ret_n = n;
        return 0;
}

int proc_cmdline(int proc_fd, char *buf, size_t size) {
        return proc_read_small_file(proc_fd, "cmdline", buf, size);
}

int proc_exe_path(int proc_fd, char *buf, size_t size) {
        ssize_t n = readlinkat(proc_fd, "exe", buf, size - 1);

        if (n < 0)
                return negative_errno();
        buf[n] = '\0';
        return 0;
}

int proc_uids(int proc_fd, uid_t *ret_ruid, uid_t *ret_euid) {
        char status[4096];
        unsigned ruid, euid;
        const char *s;
        int r;

        r = proc_read_small_file(proc_fd, "status", status, sizeof status);
        if (r < 0)
                return r == -ENOENT ? -ESRCH : r;
        s = strstr(status, "\nUid:");
        if (!s || sscanf(s + strlen("\nUid:"), "%u %u", &ruid, &euid) != 2)
                return -EBADMSG;
        *ret_ruid = (uid_t) ruid;
        *ret_euid = (uid_t) euid;
        return 0;
}
