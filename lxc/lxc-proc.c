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






int lxc_monitor_init(pid_t monitor, pid_t *ret_init) {
        _cleanup_close_ int monitor_fd = -EBADF;
        _cleanup_free_ pid_t *children = NULL;
        LxcProcess m, c;
        size_t n = 0;
        pid_t found = 0;
        int r;

        monitor_fd = proc_open_pid(monitor, -EBADF);
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
                _cleanup_close_ int fd = proc_open_pid(children[i], -EBADF);

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
