/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "blocked.h"
#include "fd-util.h"
#include "log.h"

#define LIST_MAX 16

static bool in_pid_namespace(int proc_fd, const struct stat *ns) {
        struct stat st;

        return fstatat(proc_fd, "ns/pid", &st, 0) == 0 && st.st_dev == ns->st_dev &&
               st.st_ino == ns->st_ino;
}

int report_blocked_processes(const Container *c) {
        char list[LIST_MAX * 12 + 8] = "";
        struct stat ns;
        struct dirent *de;
        DIR *d;
        int n = 0;

        if (fstat(c->pidns_fd, &ns) < 0)
                return -errno;
        d = opendir("/proc");
        if (!d)
                return -errno;

        while ((de = readdir(d))) {
                _cleanup_close_ int proc_fd = -EBADF;
                char wchan[64];

                if (de->d_name[0] < '1' || de->d_name[0] > '9')
                        continue;
                proc_fd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (proc_fd < 0 || !in_pid_namespace(proc_fd, &ns))
                        continue;
                if (proc_read_small_file(proc_fd, "wchan", wchan, sizeof wchan) <= 0 ||
                    strcmp(wchan, "autofs_wait") != 0)
                        continue;
                if (n < LIST_MAX) {
                        size_t len = strlen(list);
                        /* d_name is a PID here: at most 7 digits. */
                        (void) !snprintf(list + len, sizeof list - len, "%s%.10s", n ? " " : "",
                                         de->d_name);
                }
                n++;
        }
        closedir(d);

        if (n > 0)
                log_warning("%d process(es) of the container still wait on an automount from before the repair (host PIDs %s%s); only new accesses are repaired.",
                            n, list, n > LIST_MAX ? " ..." : "");
        return n;
}
