/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fd-util.h"
#include "pidfd-util.h"
#include "proc-iter.h"

static bool same_namespace(const struct stat *a, const struct stat *b) {
        return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

static int visit(int proc_dir_fd, const char *name, const struct stat *pidns,
                 ContainerProcessFunction fn, void *userdata) {
        _cleanup_close_ int pidfd = -EBADF, proc_fd = -EBADF;
        char path[32];
        struct stat st;
        char *end;
        long pid;

        pid = strtol(name, &end, 10);
        if (*end != '\0' || pid <= 0)
                return 0;

        /* Cheap test first: most processes of the host are not the container's. */
        (void) snprintf(path, sizeof path, "%ld/ns/pid", pid);
        if (fstatat(proc_dir_fd, path, &st, 0) < 0 || !same_namespace(&st, pidns))
                return 0;

        /* Pin, then open its directory, then check it still runs: while it runs, its PID cannot
         * name another process, so the directory is this process's. */
        pidfd = pidfd_open_pid((pid_t) pid);
        if (pidfd < 0)
                return 0;
        proc_fd = openat(proc_dir_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (proc_fd < 0 || !pidfd_running(pidfd))
                return 0;
        if (fstatat(proc_fd, "ns/pid", &st, 0) < 0 || !same_namespace(&st, pidns))
                return 0;

        return fn(&(ContainerProcess) { .pid = (pid_t) pid, .pidfd = pidfd, .proc_fd = proc_fd },
                  userdata);
}

int container_foreach_process(const Container *c, ContainerProcessFunction fn, void *userdata) {
        struct stat pidns;
        _cleanup_(closedirp) DIR *d = NULL;
        struct dirent *de;
        int r = 0;

        if (fstat(c->pidns_fd, &pidns) < 0)
                return -errno;
        d = opendir("/proc");
        if (!d)
                return -errno;

        while (r == 0 && (de = readdir(d)))
                if (de->d_name[0] >= '1' && de->d_name[0] <= '9')
                        r = visit(dirfd(d), de->d_name, &pidns, fn, userdata);
        return r < 0 ? r : 0;
}
