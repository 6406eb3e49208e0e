/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fd-util.h"
#include "log.h"
#include "mount-ops.h"
#include "stash.h"

int stash_open(Stash *s, bool create) {
        _cleanup_close_ int fd = -EBADF;
        struct stat st;

        if (create && mkdir(STASH_DIR, 0700) < 0 && errno != EEXIST)
                return -errno;

        fd = open_path_no_symlinks(AT_FDCWD, STASH_DIR, O_DIRECTORY);
        if (fd < 0)
                return fd;
        if (fstat(fd, &st) < 0)
                return -errno;
        /* Anything else than our own private directory may have been prepared by the
         * container to make us mount or unmount where it wants. */
        if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 0077) != 0)
                return log_warning_errno(SYNTHETIC_ERRNO(EPERM),
                                         "%s is not a private directory owned by root; not using it.",
                                         STASH_DIR);

        s->dir_fd = TAKE_FD(fd);
        return 0;
}

int stash_put(Stash *s, const char *name, int tree_fd) {
        _cleanup_close_ int copy_fd = -EBADF, target_fd = -EBADF;
        int r;

        if (s->dir_fd < 0)
                return -EBADF;

        if (mkdirat(s->dir_fd, name, 0700) < 0 && errno != EEXIST)
                return -errno;
        target_fd = open_path_no_symlinks(s->dir_fd, name, O_DIRECTORY);
        if (target_fd < 0)
                return target_fd;

        copy_fd = clone_mount_tree(tree_fd);
        if (copy_fd < 0)
                return copy_fd;
        r = attach_mount_tree(copy_fd, target_fd);
        if (r < 0)
                (void) unlinkat(s->dir_fd, name, AT_REMOVEDIR);
        return r;
}

int stash_clone(Stash *s, const char *name) {
        _cleanup_close_ int fd = -EBADF;

        if (s->dir_fd < 0)
                return -EBADF;
        fd = open_path_no_symlinks(s->dir_fd, name, O_DIRECTORY);
        if (fd < 0)
                return fd;
        return clone_mount_tree(fd);
}

int stash_drop(Stash *s, const char *name) {
        int r;

        if (s->dir_fd < 0)
                return -EBADF;

        /* Every mount stacked there goes; EINVAL means none is left. */
        for (unsigned i = 0; i < 16; i++) {
                r = unmount_at(s->dir_fd, name, MNT_DETACH);
                if (r == -EINVAL)
                        break;
                if (r < 0)
                        return r;
        }
        if (unlinkat(s->dir_fd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
                return -errno;
        return 0;
}

void stash_close(Stash *s) {
        if (s->dir_fd >= 0 && rmdir(STASH_DIR) < 0 && errno != ENOTEMPTY && errno != ENOENT &&
            errno != EBUSY)
                log_debug_errno(errno, "Failed to remove %s: %m", STASH_DIR);
        s->dir_fd = safe_close(s->dir_fd);
}
