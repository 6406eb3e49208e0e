/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fd-util.h"
#include "log.h"
#include "mount-ops.h"
#include "stash.h"

int stash_name_new(char ret[static STASH_NAME_SIZE]) {
        uint8_t bytes[8];

        if (getrandom(bytes, sizeof bytes, 0) != (ssize_t) sizeof bytes)
                return -errno;
        snprintf(ret, STASH_NAME_SIZE, STASH_NAME_PREFIX "%02x%02x%02x%02x%02x%02x%02x%02x",
                 bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7]);
        return 0;
}

static int open_checked(int parent_fd, Stash *s, const char *name) {
        _cleanup_close_ int fd = -EBADF;
        struct stat st;

        fd = open_path_no_symlinks(parent_fd, name, O_DIRECTORY);
        if (fd < 0)
                return fd;
        if (fstat(fd, &st) < 0)
                return -errno;
        /* Anything else than our own private directory may have been prepared by the
         * container to make us mount or unmount where it wants. */
        if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 0077) != 0)
                return log_warning_errno(SYNTHETIC_ERRNO(EPERM),
                                         "%s/%s is not a private directory owned by root; not using it.",
                                         STASH_PARENT, name);
        snprintf(s->path, sizeof s->path, "%s/%s", STASH_PARENT, name);
        s->dir_fd = TAKE_FD(fd);
        return 0;
}

int stash_create(Stash *s, const char *name) {
        _cleanup_close_ int parent_fd = -EBADF;

        if (!stash_name_is_valid(name))
                return -EINVAL;
        parent_fd = open_path_no_symlinks(AT_FDCWD, STASH_PARENT, O_DIRECTORY);
        if (parent_fd < 0)
                return parent_fd;
        /* mkdir() fails on anything that exists, a dangling symlink included: a name taken
         * before us is never used. */
        if (mkdirat(parent_fd, name, 0700) < 0)
                return -errno;
        return open_checked(parent_fd, s, name);
}

int stash_open(Stash *s, const char *name) {
        _cleanup_close_ int parent_fd = -EBADF;

        if (!stash_name_is_valid(name))
                return -EINVAL;
        parent_fd = open_path_no_symlinks(AT_FDCWD, STASH_PARENT, O_DIRECTORY);
        if (parent_fd < 0)
                return parent_fd;
        return open_checked(parent_fd, s, name);
}

int stash_put(Stash *s, const char *name, int tree_fd) {
        _cleanup_close_ int copy_fd = -EBADF, target_fd = -EBADF;
        int r;

        if (s->dir_fd < 0)
                return -EBADF;

        /* The copy first: a failure then leaves no directory behind to keep the stash. */
        copy_fd = clone_mount_tree(tree_fd);
        if (copy_fd < 0)
                return copy_fd;
        if (mkdirat(s->dir_fd, name, 0700) < 0 && errno != EEXIST)
                return -errno;
        target_fd = open_path_no_symlinks(s->dir_fd, name, O_DIRECTORY);
        if (target_fd < 0)
                r = target_fd;
        else
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

        /* Every mount stacked there goes; EINVAL means none is left. These are our own copies
         * of trees that are mounted at their places again. */
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

bool stash_close(Stash *s) {
        bool gone = true;

        if (s->dir_fd >= 0 && rmdir(s->path) < 0 && errno != ENOENT) {
                gone = false;
                if (errno != ENOTEMPTY && errno != EBUSY)
                        log_debug_errno(errno, "Failed to remove %s: %m", s->path);
        }
        s->dir_fd = safe_close(s->dir_fd);
        return gone;
}
