/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * autofs-break --pid HOSTPID [--where PATH]...
 *
 * Test rig only. Puts a container's systemd automounts into the state a CRIU restore leaves
 * them in, without CRIU: every autofs mount served by the container's init is replaced by a new
 * autofs superblock (so a new device number) wired to the same systemd pipe, with whatever was
 * mounted on top of it put back on top. systemd still remembers the old device number, so from
 * then on every access to the mount point from inside the container hangs, exactly as after a
 * real restore.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/auto_fs.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libmount.h>

#include "fd-util.h"
#include "log.h"
#include "macro.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct libmnt_table *, mnt_free_table);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct libmnt_iter *, mnt_free_iter);

static bool str_eq(const char *a, const char *b) {
        return a && b && strcmp(a, b) == 0;
}

/* One autofs mount of the container and what the swap needs to know about it. */
typedef struct Autofs {
        char *where;
        char *source;           /* "systemd-1" for systemd's mounts */
        int mnt_id;
        dev_t dev;
        unsigned long pipe_ino;
        const char *type;       /* "direct", "indirect" or "offset" */
        unsigned minproto, maxproto;
        unsigned long timeout;
        unsigned long ms_flags; /* the old mount's per-mount flags (MS_NOSUID, ...) */
        int *top_ids;           /* mounts stacked at where on top of the autofs, lowest first */
        size_t n_top;
        dev_t top_dev;          /* device of the topmost of those */
        int init_fd;            /* number of systemd's read end in init's fd table */
        int write_fd;           /* our own write end of that pipe */
        int error;              /* why this mount cannot be broken, if it is asked for */
        bool selected;
} Autofs;

typedef struct Context {
        pid_t pid;
        pid_t pgrp;             /* init's process group, in our (the host's) PID namespace */
        char **wheres;
        size_t n_wheres;
        bool legacy_mount;
        Autofs *mounts;
        size_t n_mounts;
} Context;

static void context_done(Context *c) {
        for (size_t i = 0; i < c->n_mounts; i++) {
                free(c->mounts[i].where);
                free(c->mounts[i].source);
                free(c->mounts[i].top_ids);
                safe_close(c->mounts[i].write_fd);
        }
        free(c->mounts);
        free(c->wheres);
}

static int parse_ulong(const char *s, size_t len, unsigned long *ret) {
        char buf[32], *end;
        unsigned long v;

        if (len == 0 || len >= sizeof buf)
                return -EINVAL;
        memcpy(buf, s, len);
        buf[len] = 0;
        errno = 0;
        v = strtoul(buf, &end, 10);
        if (errno != 0 || *end != 0)
                return -EINVAL;
        *ret = v;
        return 0;
}

/* Reads a numeric option ("pipe_ino=123") from a superblock option string. */
static int fs_option_ulong(const char *optstr, const char *name, unsigned long *ret) {
        char *value = NULL;
        size_t len = 0;
        int r;

        r = mnt_optstr_get_option(optstr, name, &value, &len);
        if (r != 0)
                return r < 0 ? r : -ENOENT;
        return parse_ulong(value, len, ret);
}

static int autofs_from_fs(Autofs *a, struct libmnt_fs *fs) {
        const char *opts = mnt_fs_get_fs_options(fs), *vfs = mnt_fs_get_vfs_options(fs);
        unsigned long v;
        int r;

        *a = (Autofs) {
                .mnt_id = mnt_fs_get_id(fs),
                .dev = mnt_fs_get_devno(fs),
                .init_fd = -1,
                .write_fd = -EBADF,
        };
        a->where = strdup(mnt_fs_get_target(fs));
        a->source = strdup(mnt_fs_get_source(fs) ?: "autofs");
        if (!a->where || !a->source)
                return -ENOMEM;
        if (!opts)
                return -EINVAL;

        r = fs_option_ulong(opts, "pipe_ino", &a->pipe_ino);
        if (r < 0)
                return r;
        r = fs_option_ulong(opts, "minproto", &v);
        if (r < 0)
                return r;
        a->minproto = (unsigned) v;
        r = fs_option_ulong(opts, "maxproto", &v);
        if (r < 0)
                return r;
        a->maxproto = (unsigned) v;
        if (fs_option_ulong(opts, "timeout", &v) >= 0)
                a->timeout = v;

        if (mnt_optstr_get_option(opts, "offset", NULL, NULL) == 0)
                a->type = "offset";
        else if (mnt_optstr_get_option(opts, "direct", NULL, NULL) == 0)
                a->type = "direct";
        else
                a->type = "indirect";

        /* Only what the kernel keeps per mount; "rw" and "relatime" are the defaults. */
        if (vfs && mnt_optstr_get_flags(vfs, &a->ms_flags, mnt_get_builtin_optmap(MNT_LINUX_MAP)) < 0)
                return -EINVAL;
        a->ms_flags &= MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME |
                       MS_NODIRATIME | MS_STRICTATIME;
        return 0;
}

/* Finds what is stacked at where on top of the autofs: the mount whose parent is the autofs
 * and whose mount point is the same path, then the one on top of that, and so on. Anything
 * else mounted on the autofs (the keys of an indirect map) cannot be put back by this tool. */
static int autofs_find_top(Autofs *a, struct libmnt_table *t) {
        int parent = a->mnt_id;

        for (;;) {
                _cleanup_(mnt_free_iterp) struct libmnt_iter *it = mnt_new_iter(MNT_ITER_FORWARD);
                struct libmnt_fs *fs, *next = NULL;

                if (!it)
                        return -ENOMEM;
                while (mnt_table_next_fs(t, it, &fs) == 0) {
                        if (mnt_fs_get_parent_id(fs) != parent || mnt_fs_get_id(fs) == parent)
                                continue;
                        if (!str_eq(mnt_fs_get_target(fs), a->where)) {
                                if (parent == a->mnt_id)
                                        return log_debug_errno(SYNTHETIC_ERRNO(EOPNOTSUPP),
                                                               "%s: %s is mounted inside it",
                                                               a->where, mnt_fs_get_target(fs));
                                continue;
                        }
                        next = fs;
                }
                if (!next)
                        return 0;
                /* open_tree() clones the topmost mount and what is below it in the tree, not
                 * the mounts it hides: a stack of several could not be put back whole. */
                if (a->n_top > 0)
                        return log_debug_errno(SYNTHETIC_ERRNO(EOPNOTSUPP),
                                               "%s: more than one mount stacked on it", a->where);

                int *ids = reallocarray(a->top_ids, a->n_top + 1, sizeof(int));
                if (!ids)
                        return -ENOMEM;
                a->top_ids = ids;
                a->top_ids[a->n_top++] = mnt_fs_get_id(next);
                a->top_dev = mnt_fs_get_devno(next);
                parent = mnt_fs_get_id(next);
        }
}

static int load_mounts(Context *c) {
        _cleanup_(mnt_free_tablep) struct libmnt_table *t = NULL;
        _cleanup_(mnt_free_iterp) struct libmnt_iter *it = NULL;
        char path[64];
        struct libmnt_fs *fs;
        int r;

        snprintf(path, sizeof path, "/proc/%d/mountinfo", (int) c->pid);
        t = mnt_new_table_from_file(path);
        it = mnt_new_iter(MNT_ITER_FORWARD);
        if (!t || !it)
                return log_error_errno(errno ?: ENOMEM, "Failed to read %s: %m", path);

        while (mnt_table_next_fs(t, it, &fs) == 0) {
                if (!str_eq(mnt_fs_get_fstype(fs), "autofs"))
                        continue;

                Autofs *m = reallocarray(c->mounts, c->n_mounts + 1, sizeof(Autofs));
                if (!m)
                        return log_error_errno(ENOMEM, "Out of memory");
                c->mounts = m;
                m = &c->mounts[c->n_mounts++];
                r = autofs_from_fs(m, fs);
                if (r == -ENOMEM)
                        return log_error_errno(r, "Out of memory");
                if (r < 0) {
                        /* Somebody else's autofs may be odd: only an error if it is asked for. */
                        m->error = log_debug_errno(r, "%s: cannot parse its options: %m",
                                                   mnt_fs_get_target(fs));
                        continue;
                }
                r = autofs_find_top(m, t);
                if (r == -ENOMEM)
                        return log_error_errno(r, "Out of memory");
                m->error = r;
        }
        return 0;
}

/* Matches each autofs mount to the pipe init reads its requests from. A mount whose pipe init
 * does not hold is served by somebody else and is left alone. */
static int find_pipes(Context *c) {
        _cleanup_(closedirp) DIR *d = NULL;
        char path[64];
        struct dirent *de;

        snprintf(path, sizeof path, "/proc/%d/fd", (int) c->pid);
        d = opendir(path);
        if (!d)
                return log_error_errno(errno, "Failed to open %s: %m", path);

        while ((errno = 0, de = readdir(d))) {
                char target[64];
                unsigned long ino;
                ssize_t n;

                if (de->d_name[0] == '.')
                        continue;
                n = readlinkat(dirfd(d), de->d_name, target, sizeof target - 1);
                if (n < 0)
                        continue; /* closed meanwhile */
                target[n] = 0;
                if (sscanf(target, "pipe:[%lu]", &ino) != 1)
                        continue;
                for (size_t i = 0; i < c->n_mounts; i++)
                        if (c->mounts[i].pipe_ino == ino && c->mounts[i].init_fd < 0)
                                c->mounts[i].init_fd = atoi(de->d_name);
        }
        if (errno != 0)
                return log_error_errno(errno, "Failed to read %s: %m", path);
        return 0;
}

static int select_mounts(Context *c) {
        size_t n = 0;

        for (size_t i = 0; i < c->n_mounts; i++) {
                Autofs *a = &c->mounts[i];
                bool wanted = c->n_wheres == 0;

                for (size_t j = 0; j < c->n_wheres; j++)
                        if (str_eq(c->wheres[j], a->where))
                                wanted = true;
                if (!wanted)
                        continue;
                if (a->error < 0 && (c->n_wheres > 0 || a->init_fd >= 0))
                        return log_error_errno(a->error,
                                               "%s: cannot be broken (only one mount stacked on top of an autofs can be kept): %m",
                                               a->where);
                if (a->init_fd < 0) {
                        if (c->n_wheres > 0)
                                return log_error_errno(SYNTHETIC_ERRNO(ENOENT),
                                                       "%s: its pipe (inode %lu) is not held by PID %d",
                                                       a->where, a->pipe_ino, (int) c->pid);
                        log_debug("%s: not served by PID %d, skipped", a->where, (int) c->pid);
                        continue;
                }
                a->selected = true;
                n++;
        }

        for (size_t j = 0; j < c->n_wheres; j++) {
                bool found = false;
                for (size_t i = 0; i < c->n_mounts; i++)
                        if (c->mounts[i].selected && str_eq(c->mounts[i].where, c->wheres[j]))
                                found = true;
                if (!found)
                        return log_error_errno(SYNTHETIC_ERRNO(ENOENT),
                                               "No autofs mount at %s in PID %d's mount namespace",
                                               c->wheres[j], (int) c->pid);
        }
        if (n == 0)
                return log_error_errno(SYNTHETIC_ERRNO(ENOENT),
                                       "No autofs mount served by PID %d", (int) c->pid);
        return 0;
}

/* A new write end of systemd's pipe: opening the read end's /proc entry for writing yields a new
 * file on the same pipe. It is held until every swap is done: if the old superblock's write end
 * were the last one when it goes away, systemd would see EPOLLHUP and fail the unit. */
static int open_write_ends(Context *c) {
        for (size_t i = 0; i < c->n_mounts; i++) {
                Autofs *a = &c->mounts[i];
                char path[64];

                if (!a->selected)
                        continue;
                snprintf(path, sizeof path, "/proc/%d/fd/%d", (int) c->pid, a->init_fd);
                /* O_NONBLOCK: a pipe without a reader fails at once instead of blocking. */
                a->write_fd = open(path, O_WRONLY | O_CLOEXEC | O_NONBLOCK);
                if (a->write_fd < 0)
                        return log_error_errno(errno, "Failed to open %s for writing: %m", path);
        }
        return 0;
}

/* State letter and process group of pid, from /proc/PID/stat. */
static int read_stat(pid_t pid, char *ret_state, pid_t *ret_pgrp) {
        char path[64], buf[1024], *p, state;
        _cleanup_close_ int fd = -EBADF;
        ssize_t n;
        int pgrp;

        snprintf(path, sizeof path, "/proc/%d/stat", (int) pid);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        n = read(fd, buf, sizeof buf - 1);
        if (n < 0)
                return -errno;
        buf[n] = 0;
        /* The command name may hold spaces and parentheses: parse after the last ')'. */
        p = strrchr(buf, ')');
        if (!p || sscanf(p + 1, " %c %*d %d", &state, &pgrp) != 2)
                return -EINVAL;
        if (ret_state)
                *ret_state = state;
        if (ret_pgrp)
                *ret_pgrp = pgrp;
        return 0;
}

/* systemd re-reads mountinfo whenever it changes. Left running, it could read it in the
 * instant between detaching the old stack and attaching the new one, take the mount on top for
 * gone and deactivate its unit, which a real restore never does. CRIU works on stopped tasks,
 * so stop init for the duration of the swap; the host's PID namespace may send SIGSTOP to a
 * namespace's init. */
static int stop_init(pid_t pid) {
        char state = 0;

        if (kill(pid, SIGSTOP) < 0)
                return log_error_errno(errno, "Failed to stop PID %d: %m", (int) pid);
        for (int i = 0; i < 1000; i++) {
                if (read_stat(pid, &state, NULL) < 0 || state == 'T' || state == 't')
                        return 0;
                usleep(1000);
        }
        (void) kill(pid, SIGCONT);
        return log_error_errno(SYNTHETIC_ERRNO(ETIMEDOUT), "PID %d did not stop (state %c)",
                               (int) pid, state);
}

static int same_mount_ns(pid_t pid) {
        char path[64];
        struct stat a, b;

        snprintf(path, sizeof path, "/proc/%d/ns/mnt", (int) pid);
        if (stat("/proc/self/ns/mnt", &a) < 0 || stat(path, &b) < 0)
                return -errno;
        return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* ---- the swap, run inside the container's mount namespace ------------------------------- */

static int mount_id_at(const char *path, int *ret) {
        struct statx sx;

        /* AT_NO_AUTOMOUNT: we look at the mount point, we do not want it mounted. */
        if (statx(AT_FDCWD, path, AT_NO_AUTOMOUNT | AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, &sx) < 0)
                return -errno;
        if (!(sx.stx_mask & STATX_MNT_ID))
                return -EOPNOTSUPP;
        *ret = (int) sx.stx_mnt_id;
        return 0;
}

static uint64_t ms_to_mount_attr(unsigned long ms) {
        uint64_t attr = 0;

        if (ms & MS_RDONLY)
                attr |= MOUNT_ATTR_RDONLY;
        if (ms & MS_NOSUID)
                attr |= MOUNT_ATTR_NOSUID;
        if (ms & MS_NODEV)
                attr |= MOUNT_ATTR_NODEV;
        if (ms & MS_NOEXEC)
                attr |= MOUNT_ATTR_NOEXEC;
        if (ms & MS_NODIRATIME)
                attr |= MOUNT_ATTR_NODIRATIME;
        if (ms & MS_NOATIME)
                attr |= MOUNT_ATTR_NOATIME;
        else if (ms & MS_STRICTATIME)
                attr |= MOUNT_ATTR_STRICTATIME;
        return attr;
}

/* The new superblock through the new mount API: a detached mount, not visible anywhere yet.
 * Only the parameters the kernel accepts: timeout= is shown in mountinfo but is set by ioctl. */
static int autofs_new_fsmount(const Autofs *a, pid_t pgrp) {
        _cleanup_close_ int fs_fd = -EBADF;
        char num[32];
        int fd;

        fs_fd = fsopen("autofs", FSOPEN_CLOEXEC);
        if (fs_fd < 0)
                return log_error_errno(errno, "fsopen(autofs) failed: %m");

        /* An autofs that predates the new mount API (Linux 6.1 has one) takes no parameters of
         * its own: the kernel's generic fallback takes "source" but refuses an fd (EOPNOTSUPP),
         * and the caller uses mount(2) then. */
        if (fsconfig(fs_fd, FSCONFIG_SET_STRING, "source", a->source, 0) < 0 ||
            fsconfig(fs_fd, FSCONFIG_SET_FD, "fd", NULL, a->write_fd) < 0) {
                if (errno == EOPNOTSUPP)
                        return log_debug_errno(errno, "%s: autofs has no new mount API here: %m", a->where);
                return log_error_errno(errno, "%s: fsconfig(source, fd) failed: %m", a->where);
        }
        snprintf(num, sizeof num, "%d", (int) pgrp);
        if (fsconfig(fs_fd, FSCONFIG_SET_STRING, "pgrp", num, 0) < 0)
                return log_error_errno(errno, "%s: fsconfig(pgrp=%s) failed: %m", a->where, num);
        snprintf(num, sizeof num, "%u", a->minproto);
        if (fsconfig(fs_fd, FSCONFIG_SET_STRING, "minproto", num, 0) < 0)
                return log_error_errno(errno, "%s: fsconfig(minproto) failed: %m", a->where);
        snprintf(num, sizeof num, "%u", a->maxproto);
        if (fsconfig(fs_fd, FSCONFIG_SET_STRING, "maxproto", num, 0) < 0)
                return log_error_errno(errno, "%s: fsconfig(maxproto) failed: %m", a->where);
        if (fsconfig(fs_fd, FSCONFIG_SET_FLAG, a->type, NULL, 0) < 0)
                return log_error_errno(errno, "%s: fsconfig(%s) failed: %m", a->where, a->type);
        if (fsconfig(fs_fd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
                return log_error_errno(errno, "%s: creating the autofs superblock failed: %m", a->where);

        fd = fsmount(fs_fd, FSMOUNT_CLOEXEC, (unsigned) ms_to_mount_attr(a->ms_flags));
        if (fd < 0)
                return log_error_errno(errno, "%s: fsmount failed: %m", a->where);
        return fd;
}

/* The same with mount(2), for kernels whose autofs lacks the new API: mount it on top of
 * everything at where, take a detached copy of it, and unmount the original. */
static int autofs_new_legacy(const Autofs *a, pid_t pgrp) {
        _cleanup_close_ int fd = -EBADF;
        char data[128];

        snprintf(data, sizeof data, "fd=%d,pgrp=%d,minproto=%u,maxproto=%u,%s", a->write_fd,
                 (int) pgrp, a->minproto, a->maxproto, a->type);
        if (mount(a->source, a->where, "autofs", a->ms_flags, data) < 0)
                return log_error_errno(errno, "%s: mount(autofs, %s) failed: %m", a->where, data);

        fd = open_tree(AT_FDCWD, a->where, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_NO_AUTOMOUNT);
        if (fd < 0)
                log_error_errno(errno, "%s: open_tree of the new autofs failed: %m", a->where);
        if (umount2(a->where, MNT_DETACH) < 0)
                return log_error_errno(errno, "%s: cannot remove the temporary autofs: %m", a->where);
        return fd < 0 ? -EIO : TAKE_FD(fd);
}

/* systemd sets the idle timeout with an ioctl once the autofs is mounted; do the same on the
 * new one. The /dev/autofs ioctl for it is reserved to the daemon's process group, the older
 * ioctl on the autofs root accepts CAP_SYS_ADMIN too. "." from the still detached mount opens
 * its root without any lookup that autofs could intercept. */
static int autofs_set_timeout(int mount_fd, const Autofs *a) {
        _cleanup_close_ int fd = -EBADF;
        unsigned long timeout = a->timeout;

        if (timeout == 0)
                return 0;
        fd = openat(mount_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return log_error_errno(errno, "%s: cannot open the new autofs root: %m", a->where);
        if (ioctl(fd, AUTOFS_IOC_SETTIMEOUT, &timeout) < 0)
                return log_error_errno(errno, "%s: AUTOFS_IOC_SETTIMEOUT failed: %m", a->where);
        return 0;
}

static void format_dev(char *buf, size_t size, dev_t dev) {
        snprintf(buf, size, "%u:%u", major(dev), minor(dev));
}

static int break_one(const Context *c, const Autofs *a) {
        _cleanup_close_ int new_fd = -EBADF, top_fd = -EBADF;
        char old_dev[32], new_dev[32], top[64] = "";
        struct stat st;
        int id = -1, r;

        /* 1. A detached copy of the tree on top, taken first so that nothing we mount below can
         * end up in it. The copy shares the superblocks: the files stay. The original cannot
         * simply be moved: systemd made / shared, and MS_MOVE refuses a mount whose parent is
         * shared. */
        if (a->n_top > 0) {
                top_fd = open_tree(AT_FDCWD, a->where,
                                   OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE |
                                           AT_NO_AUTOMOUNT);
                if (top_fd < 0)
                        return log_error_errno(errno, "%s: open_tree of the mounts on top failed: %m",
                                               a->where);
                if (fstat(top_fd, &st) < 0)
                        return log_error_errno(errno, "%s: fstat failed: %m", a->where);
                if (st.st_dev != a->top_dev)
                        return log_error_errno(SYNTHETIC_ERRNO(ESTALE),
                                               "%s: the mount on top changed under us", a->where);
        }

        /* 2. The new superblock, allocated while the old one still exists: anonymous device
         * numbers are reused lowest-first, so this is what guarantees a different st_dev. */
        new_fd = c->legacy_mount ? autofs_new_legacy(a, c->pgrp) : autofs_new_fsmount(a, c->pgrp);
        if (new_fd == -EOPNOTSUPP && !c->legacy_mount)
                new_fd = autofs_new_legacy(a, c->pgrp);
        if (new_fd < 0)
                return new_fd;
        if (fstat(new_fd, &st) < 0)
                return log_error_errno(errno, "%s: fstat of the new autofs failed: %m", a->where);
        if (st.st_dev == a->dev)
                return log_error_errno(SYNTHETIC_ERRNO(EEXIST), "%s: new autofs got the old device number",
                                       a->where);
        r = autofs_set_timeout(new_fd, a);
        if (r < 0)
                return r;

        /* 3. Detach the old stack from the top down, checking each time that the mount at where
         * is the one mountinfo told us about. The kernel lets us (outside the container's PID
         * namespace) walk the old autofs without waiting for systemd. */
        for (size_t i = a->n_top + 1; i > 0; i--) {
                int want = i - 1 > 0 ? a->top_ids[i - 2] : a->mnt_id;

                r = mount_id_at(a->where, &id);
                if (r < 0)
                        return log_error_errno(r, "%s: statx failed: %m", a->where);
                if (id != want)
                        return log_error_errno(SYNTHETIC_ERRNO(ESTALE),
                                               "%s: expected mount %d on top, found %d", a->where,
                                               want, id);
                if (umount2(a->where, MNT_DETACH) < 0)
                        return log_error_errno(errno, "%s: unmounting mount %d failed: %m", a->where, id);
        }

        /* 4. The new autofs in its place, then the copy of the old tree back on top of it. */
        if (move_mount(new_fd, "", AT_FDCWD, a->where, MOVE_MOUNT_F_EMPTY_PATH) < 0)
                return log_error_errno(errno, "%s: attaching the new autofs failed, nothing is mounted there now: %m",
                                       a->where);
        if (top_fd >= 0 && move_mount(top_fd, "", AT_FDCWD, a->where, MOVE_MOUNT_F_EMPTY_PATH) < 0)
                return log_error_errno(errno, "%s: putting the mounts back on top failed: %m", a->where);

        format_dev(old_dev, sizeof old_dev, a->dev);
        format_dev(new_dev, sizeof new_dev, st.st_dev);
        if (a->n_top > 0) {
                char d[32];
                format_dev(d, sizeof d, a->top_dev);
                snprintf(top, sizeof top, " (kept %zu mount%s on top, %s)", a->n_top,
                         a->n_top == 1 ? "" : "s", d);
        }
        printf("%s %s -> %s%s\n", a->where, old_dev, new_dev, top);
        fflush(stdout);
        return 0;
}

/* Joins the container's mount namespace and root, and only those: in the host's PID namespace
 * the kernel never makes us wait on an autofs whose daemon cannot see us. */
static int run_child(const Context *c, int ns_fd, int root_fd) {
        int r = 0;

        if (setns(ns_fd, CLONE_NEWNS) < 0)
                return log_error_errno(errno, "setns(mnt) failed: %m");
        if (fchdir(root_fd) < 0 || chroot(".") < 0 || chdir("/") < 0)
                return log_error_errno(errno, "Failed to enter the container's root: %m");

        for (size_t i = 0; i < c->n_mounts; i++)
                if (c->mounts[i].selected) {
                        int k = break_one(c, &c->mounts[i]);
                        if (k < 0 && r == 0)
                                r = k;
                }
        return r;
}

static int run(Context *c) {
        _cleanup_close_ int ns_fd = -EBADF, root_fd = -EBADF;
        char path[64];
        int r, status;
        pid_t child;

        r = same_mount_ns(c->pid);
        if (r < 0)
                return log_error_errno(r, "Cannot compare mount namespaces with PID %d: %m", (int) c->pid);
        if (r > 0)
                return log_error_errno(SYNTHETIC_ERRNO(EPERM),
                                       "PID %d shares our mount namespace: refusing to break the host's automounts",
                                       (int) c->pid);

        r = read_stat(c->pid, NULL, &c->pgrp);
        if (r < 0)
                return log_error_errno(r, "Cannot read the process group of PID %d: %m", (int) c->pid);

        r = load_mounts(c);
        if (r < 0)
                return r;
        r = find_pipes(c);
        if (r < 0)
                return r;
        r = select_mounts(c);
        if (r < 0)
                return r;
        r = open_write_ends(c);
        if (r < 0)
                return r;

        snprintf(path, sizeof path, "/proc/%d/ns/mnt", (int) c->pid);
        ns_fd = open(path, O_RDONLY | O_CLOEXEC);
        if (ns_fd < 0)
                return log_error_errno(errno, "Failed to open %s: %m", path);
        snprintf(path, sizeof path, "/proc/%d/root", (int) c->pid);
        root_fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (root_fd < 0)
                return log_error_errno(errno, "Failed to open %s: %m", path);

        r = stop_init(c->pid);
        if (r < 0)
                return r;

        fflush(stdout);
        child = fork();
        if (child < 0) {
                r = log_error_errno(errno, "fork failed: %m");
                (void) kill(c->pid, SIGCONT);
                return r;
        }
        if (child == 0)
                _exit(run_child(c, ns_fd, root_fd) < 0 ? EXIT_FAILURE : EXIT_SUCCESS);

        while (waitpid(child, &status, 0) < 0)
                if (errno != EINTR) {
                        status = -1;
                        break;
                }
        if (kill(c->pid, SIGCONT) < 0)
                log_error_errno(errno, "Failed to resume PID %d: %m", (int) c->pid);
        if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
                return log_error_errno(SYNTHETIC_ERRNO(EIO), "Breaking the automounts failed");
        return 0;
}

static void help(void) {
        printf("%s --pid PID [--where PATH]...\n\n"
               "Test rig: leaves the automounts of the container whose init is PID in the state\n"
               "a CRIU restore leaves them in (new autofs superblocks, systemd unaware).\n\n"
               "  -p --pid PID        host PID of the container's systemd\n"
               "  -w --where PATH     break only this automount (repeatable; default: all\n"
               "                      autofs mounts served by PID)\n"
               "     --legacy-mount   create the new autofs with mount(2), not fsopen/fsmount\n"
               "  -v --verbose        debug logging\n"
               "  -h --help           this help\n",
               program_invocation_short_name);
}

static int parse_argv(Context *c, int argc, char *argv[]) {
        enum { ARG_LEGACY = 0x100 };
        static const struct option options[] = {
                { "pid",          required_argument, NULL, 'p'        },
                { "where",        required_argument, NULL, 'w'        },
                { "legacy-mount", no_argument,       NULL, ARG_LEGACY },
                { "verbose",      no_argument,       NULL, 'v'        },
                { "help",         no_argument,       NULL, 'h'        },
                {}
        };
        int opt;

        while ((opt = getopt_long(argc, argv, "p:w:vh", options, NULL)) >= 0)
                switch (opt) {
                case 'p': {
                        unsigned long v;
                        if (parse_ulong(optarg, strlen(optarg), &v) < 0 || v == 0 || v > INT_MAX)
                                return log_error_errno(SYNTHETIC_ERRNO(EINVAL), "Invalid PID '%s'", optarg);
                        c->pid = (pid_t) v;
                        break;
                }
                case 'w': {
                        char **w = reallocarray(c->wheres, c->n_wheres + 1, sizeof(char *));
                        if (!w)
                                return log_error_errno(ENOMEM, "Out of memory");
                        c->wheres = w;
                        c->wheres[c->n_wheres++] = optarg;
                        break;
                }
                case ARG_LEGACY:
                        c->legacy_mount = true;
                        break;
                case 'v':
                        log_set_max_level(LOG_DEBUG);
                        break;
                case 'h':
                        help();
                        return 0;
                case '?':
                        return -EINVAL;
                default:
                        return log_error_errno(SYNTHETIC_ERRNO(EINVAL), "Unknown option %c", opt);
                }

        if (optind < argc)
                return log_error_errno(SYNTHETIC_ERRNO(EINVAL), "Unexpected argument '%s'", argv[optind]);
        if (c->pid == 0)
                return log_error_errno(SYNTHETIC_ERRNO(EINVAL), "--pid is required (see --help)");
        return 1;
}

int main(int argc, char *argv[]) {
        _cleanup_(context_done) Context c = {};
        int r;

        log_setup("autofs-break", LOG_TARGET_STDERR, LOG_INFO);

        r = parse_argv(&c, argc, argv);
        if (r <= 0)
                return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;

        r = run(&c);
        return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
