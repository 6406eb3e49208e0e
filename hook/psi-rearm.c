/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libmount.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fd-util.h"
#include "io-util.h"
#include "log.h"
#include "proc-iter.h"
#include "psi-rearm.h"
#include "psi-trigger.h"

#ifndef PROC_SUPER_MAGIC
#define PROC_SUPER_MAGIC 0x9fa0
#endif
#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

/* Bounded reads of what a container process shows us. */
#define ENVIRON_MAX (64 * 1024)
#define MAPS_CHUNK 4096

typedef struct Walk {
        PsiRearmMode mode;
        PsiRearmCounts counts;
        /* procfs gives /proc/pressure/X the same inode number in every procfs instance: the
         * container's file is ours if the numbers match. 0 while not looked up. */
        ino_t proc_pressure_ino[_PSI_RESOURCE_MAX];
        int cgroup2_fd;         /* the host's cgroup2 mount, for reopening by handle */
        bool cgroup2_looked_up;
} Walk;

/* What we learned about one process, read only when one of its descriptors needs it. */
typedef struct ProcessInfo {
        const ContainerProcess *p;
        char comm[17];
        char *environ;
        size_t environ_size;
        bool environ_read;
        int sd_event_user;      /* -1: not looked up yet */
} ProcessInfo;

static int pidfd_getfd(int pidfd, int fd) {
        int r = (int) syscall(SYS_pidfd_getfd, pidfd, fd, 0);
        return r < 0 ? -errno : r;
}

static ino_t proc_pressure_ino(Walk *w, PsiResource res) {
        char path[64];
        struct stat st;

        if (w->proc_pressure_ino[res] == 0) {
                (void) snprintf(path, sizeof path, "/proc/pressure/%s", psi_resource_to_string(res));
                if (stat(path, &st) == 0)
                        w->proc_pressure_ino[res] = st.st_ino;
        }
        return w->proc_pressure_ino[res];
}

static int host_cgroup2_fd(Walk *w) {
        struct libmnt_table *t;
        struct libmnt_fs *fs;
        struct libmnt_iter *it;

        if (w->cgroup2_looked_up)
                return w->cgroup2_fd;
        w->cgroup2_looked_up = true;

        t = mnt_new_table_from_file("/proc/self/mountinfo");
        it = mnt_new_iter(MNT_ITER_FORWARD);
        while (t && it && mnt_table_next_fs(t, it, &fs) == 0)
                if (streq_ptr(mnt_fs_get_fstype(fs), "cgroup2") && mnt_fs_get_target(fs)) {
                        w->cgroup2_fd = open(mnt_fs_get_target(fs),
                                             O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                        if (w->cgroup2_fd >= 0)
                                break;
                }
        mnt_free_iter(it);
        mnt_unref_table(t);
        return w->cgroup2_fd;
}

/* The real name of a cgroup v2 file: reopened by its handle on the host's own cgroup2 mount,
 * where no bind mount of the container can rename it. */
static int cgroup_file_real_path(Walk *w, int fd, char *ret, size_t size) {
        union {
                struct file_handle h;
                char buf[sizeof(struct file_handle) + MAX_HANDLE_SZ];
        } u = { .h.handle_bytes = MAX_HANDLE_SZ };
        _cleanup_close_ int reopened = -EBADF;
        char link[64];
        ssize_t n;
        int mount_id, root;

        root = host_cgroup2_fd(w);
        if (root < 0)
                return -ENOENT;
        if (name_to_handle_at(fd, "", &u.h, &mount_id, AT_EMPTY_PATH) < 0)
                return -errno;
        reopened = open_by_handle_at(root, &u.h, O_PATH | O_CLOEXEC);
        if (reopened < 0)
                return -errno;
        (void) snprintf(link, sizeof link, "/proc/self/fd/%d", reopened);
        n = readlink(link, ret, size - 1);
        if (n < 0)
                return -errno;
        ret[n] = '\0';
        return 0;
}

/* Checks the descriptor itself, not its name: a pressure file of procfs or of cgroup v2, for
 * resource res. Sets ret_path to the name to report. */
static bool is_pressure_file(Walk *w, int fd, PsiFileKind kind, PsiResource res, char *ret_path,
                             size_t size) {
        struct statfs sfs;
        struct stat st;
        PsiResource real;

        if (fstatfs(fd, &sfs) < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
                return false;

        if (kind == PSI_FILE_PROC && sfs.f_type == PROC_SUPER_MAGIC) {
                ino_t ino = proc_pressure_ino(w, res);

                (void) snprintf(ret_path, size, "/proc/pressure/%s", psi_resource_to_string(res));
                return ino != 0 && st.st_ino == ino;
        }
        if (kind == PSI_FILE_CGROUP && sfs.f_type == CGROUP2_SUPER_MAGIC)
                return cgroup_file_real_path(w, fd, ret_path, size) == 0 &&
                       psi_file_classify(ret_path, &real) == PSI_FILE_CGROUP && real == res;
        return false;
}

/* A PSI file without a trigger polls EPOLLERR|EPOLLPRI at once (psi_trigger_poll()); one with
 * a trigger does not report an error. */
static bool has_trigger(int fd) {
        struct pollfd p = { .fd = fd, .events = POLLPRI };

        return poll(&p, 1, 0) >= 0 && !(p.revents & POLLERR);
}

static void process_info_done(ProcessInfo *pi) {
        free(pi->environ);
}

static const char *process_environ(ProcessInfo *pi, size_t *ret_size) {
        _cleanup_close_ int fd = -EBADF;
        ssize_t n;

        if (!pi->environ_read) {
                pi->environ_read = true;
                fd = openat(pi->p->proc_fd, "environ", O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
                pi->environ = fd >= 0 ? malloc(ENVIRON_MAX) : NULL;
                if (pi->environ) {
                        n = read_all(fd, pi->environ, ENVIRON_MAX);
                        pi->environ_size = n > 0 ? (size_t) n : 0;
                }
        }
        *ret_size = pi->environ_size;
        return pi->environ;
}

/* sd-event comes with libsystemd (or systemd's private libsystemd-shared): a process that maps
 * one of them is an sd-event user, and sd-event's default trigger is the one it had. */
static bool process_is_sd_event_user(ProcessInfo *pi) {
        static const char needle[] = "/libsystemd";
        _cleanup_close_ int fd = -EBADF;
        char buf[MAPS_CHUNK + sizeof needle];
        size_t keep = 0;
        ssize_t n;

        if (pi->sd_event_user >= 0)
                return pi->sd_event_user;
        pi->sd_event_user = 0;

        fd = openat(pi->p->proc_fd, "maps", O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return false;
        /* A match may straddle two reads: keep the tail of each chunk. */
        while ((n = read(fd, buf + keep, MAPS_CHUNK)) > 0) {
                size_t len = keep + (size_t) n;

                buf[len] = '\0';
                if (memmem(buf, len, needle, sizeof needle - 1)) {
                        pi->sd_event_user = 1;
                        break;
                }
                keep = len < sizeof needle - 1 ? len : sizeof needle - 1;
                memmove(buf, buf + len - keep, keep);
        }
        return pi->sd_event_user;
}

/* The trigger the process had: its own from $MEMORY_PRESSURE_WRITE, else sd-event's default
 * for sd-event users. Other programs' triggers are not recorded anywhere we can read, and a
 * guessed one would silently change what wakes them: none is written for them. */
static const char *trigger_for(ProcessInfo *pi, PsiResource res, const char *link, char *buf,
                               size_t size) {
        const char *env;
        size_t env_size;
        int r;

        if (res != PSI_RESOURCE_MEMORY)
                return NULL;
        env = process_environ(pi, &env_size);
        if (env) {
                r = psi_trigger_from_environ(env, env_size, link, buf, size);
                if (r > 0)
                        return buf;
                if (r < 0)
                        log_warning("PID %d (%s): $MEMORY_PRESSURE_WRITE is not a valid trigger; ignoring it.",
                                    (int) pi->p->pid, pi->comm);
        }
        return process_is_sd_event_user(pi) ? PSI_DEFAULT_TRIGGER : NULL;
}

static void rearm_descriptor(Walk *w, ProcessInfo *pi, int target_fd, const char *link) {
        _cleanup_close_ int fd = -EBADF;
        char path[PATH_MAX], text_buf[PSI_TRIGGER_MAX];
        const char *text;
        PsiFileKind kind;
        PsiResource res;
        int flags, pid = (int) pi->p->pid;

        kind = psi_file_classify(link, &res);
        if (kind == PSI_FILE_NONE)
                return;

        fd = pidfd_getfd(pi->p->pidfd, target_fd);
        if (fd < 0) {
                if (fd != -EBADF) /* closed meanwhile */
                        log_warning_errno(fd, "PID %d (%s): cannot take fd %d: %m", pid, pi->comm,
                                          target_fd);
                return;
        }
        if (!is_pressure_file(w, fd, kind, res, path, sizeof path)) {
                log_debug("PID %d (%s): fd %d is named like a pressure file but is not one.", pid,
                          pi->comm, target_fd);
                return;
        }
        /* Reading pressure needs no trigger; only a writer ever had one. */
        flags = fcntl(fd, F_GETFL);
        if (flags < 0 || (flags & O_ACCMODE) == O_RDONLY)
                return;
        if (has_trigger(fd)) {
                w->counts.armed++;
                log_debug("PID %d (%s): fd %d (%s) has its trigger.", pid, pi->comm, target_fd, path);
                return;
        }

        text = trigger_for(pi, res, link, text_buf, sizeof text_buf);
        if (!text) {
                w->counts.unknown++;
                log_warning("PID %d (%s): fd %d (%s) has no pressure trigger and the process's own is unknown; left alone (the process may busy-poll it).",
                            pid, pi->comm, target_fd, path);
                return;
        }

        switch (w->mode) {
        case PSI_REARM_DRY_RUN:
                w->counts.rearmed++;
                log_info("PID %d (%s): fd %d (%s) has no pressure trigger; would write \"%s\".", pid,
                         pi->comm, target_fd, path, text);
                return;
        case PSI_REARM_DIAGNOSE:
                w->counts.rearmed++;
                log_warning("PID %d (%s) polls fd %d (%s), a pressure file without trigger: it busy-loops until one is written (run without --no-rearm-psi).",
                            pid, pi->comm, target_fd, path);
                return;
        case PSI_REARM_WRITE:
        default:
                break;
        }

        /* With its NUL, as systemd writes it: the kernel reads the text as a C string. */
        if (write(fd, text, strlen(text) + 1) < 0) {
                if (errno == EBUSY) { /* armed by its owner meanwhile */
                        w->counts.armed++;
                        return;
                }
                w->counts.failed++;
                log_warning_errno(errno, "PID %d (%s): failed to re-arm the pressure trigger on fd %d (%s): %m",
                                  pid, pi->comm, target_fd, path);
                return;
        }
        w->counts.rearmed++;
        log_info("Re-armed the pressure trigger of PID %d (%s), fd %d (%s): \"%s\".", pid, pi->comm,
                 target_fd, path, text);
}

static int visit_process(const ContainerProcess *p, void *userdata) {
        Walk *w = userdata;
        _cleanup_(process_info_done) ProcessInfo pi = { .p = p, .sd_event_user = -1 };
        _cleanup_close_ int fd_dir = -EBADF;
        _cleanup_(closedirp) DIR *d = NULL;
        struct dirent *de;

        if (proc_read_small_file(p->proc_fd, "comm", pi.comm, sizeof pi.comm) < 0)
                return 0;
        pi.comm[strcspn(pi.comm, "\n")] = '\0';

        fd_dir = openat(p->proc_fd, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd_dir < 0)
                return 0;
        d = fdopendir(fd_dir);
        if (!d)
                return 0;
        TAKE_FD(fd_dir);

        while ((de = readdir(d))) {
                char link[PATH_MAX], *end;
                long target_fd;
                ssize_t n;

                target_fd = strtol(de->d_name, &end, 10);
                if (de->d_name[0] == '.' || *end != '\0' || target_fd < 0 || target_fd > INT32_MAX)
                        continue;
                n = readlinkat(dirfd(d), de->d_name, link, sizeof link - 1);
                if (n <= 0)
                        continue;
                link[n] = '\0';
                rearm_descriptor(w, &pi, (int) target_fd, link);
        }
        return 0;
}

int psi_rearm_container(const Container *c, PsiRearmMode mode, PsiRearmCounts *ret) {
        Walk w = { .mode = mode, .cgroup2_fd = -EBADF };
        int r;

        r = container_foreach_process(c, visit_process, &w);
        safe_close(w.cgroup2_fd);
        if (ret)
                *ret = w.counts;
        return r;
}
