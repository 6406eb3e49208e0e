/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "container.h"
#include "fd-util.h"
#include "lxc-proc.h"
#include "macro.h"

/* A thread lists at most a few thousand children; one line of /proc/PID/task/TID/children. */
#define CHILDREN_FILE_MAX (64 * 1024)

int proc_open(pid_t pid) {
        char path[32];
        int fd;

        snprintf(path, sizeof path, "/proc/%d", (int) pid);
        fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT ? -ESRCH : negative_errno();
        return fd;
}

int lxc_process_read(int proc_fd, pid_t pid, LxcProcess *ret) {
        LxcProcess p = { .pid = pid };
        char status[4096];
        struct stat st;
        int r;

        /* status first: it is there as long as the process is, zombies included. */
        r = proc_read_small_file(proc_fd, "status", status, sizeof status);
        if (r < 0)
                return r == -ENOENT ? -ESRCH : r;
        if (proc_parse_tracer_pid(status, &p.tracer) < 0)
                p.tracer = 0;

        /* The namespace links and exe cannot be read while the process execs or exits; the
         * caller treats unknown as "look again". */
        if (fstatat(proc_fd, "ns/pid", &st, 0) == 0)
                p.pidns = (uint64_t) st.st_ino;
        if (fstatat(proc_fd, "ns/mnt", &st, 0) == 0)
                p.mntns = (uint64_t) st.st_ino;
        if (fstatat(proc_fd, "exe", &st, 0) == 0) {
                p.exe_known = true;
                p.exe_dev = st.st_dev;
                p.exe_ino = st.st_ino;
        }
        *ret = p;
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
                if (errno != 0 || end == p || v <= 0 || v > 4194304)
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

int lxc_monitor_init(pid_t monitor, pid_t *ret_init) {
        _cleanup_close_ int monitor_fd = -EBADF;
        _cleanup_free_ pid_t *children = NULL;
        LxcProcess m, c;
        size_t n = 0;
        pid_t found = 0;
        int r;

        monitor_fd = proc_open(monitor);
        if (monitor_fd < 0)
                return monitor_fd;
        r = lxc_process_read(monitor_fd, monitor, &m);
        if (r < 0)
                return r;
        if (m.pidns == 0)
                return -EACCES;
        r = proc_children(monitor, &children, &n);
        if (r < 0)
                return r;

        for (size_t i = 0; i < n; i++) {
                _cleanup_close_ int fd = proc_open(children[i]);

                if (fd < 0 || lxc_process_read(fd, children[i], &c) < 0)
                        continue;
                if (c.pidns == 0 || c.pidns == m.pidns)
                        continue;
                if (found != 0)
                        return -ENOTUNIQ;
                found = children[i];
        }
        if (found == 0)
                return -ENOENT;
        *ret_init = found;
        return 0;
}
