/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fd-util.h"
#include "mount-ops.h"

int open_path_no_symlinks(int dir_fd, const char *path, int flags) {
        struct open_how how = {
                /* O_PATH does not trigger automounts on the last component (only an open for
                 * I/O or a directory lookup would), so a broken autofs cannot stall us here. */
                .flags = (uint64_t) (O_PATH | O_CLOEXEC | O_NOFOLLOW | flags),
                .resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
        };
        long fd;

        fd = syscall(SYS_openat2, dir_fd, path, &how, sizeof how);
        return fd < 0 ? -errno : (int) fd;
}

int clone_mount_tree(int fd) {
        int r = open_tree(fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE |
                                  AT_EMPTY_PATH | AT_NO_AUTOMOUNT | AT_SYMLINK_NOFOLLOW);
        return r < 0 ? -errno : r;
}

int attach_mount_tree(int tree_fd, int target_fd) {
        if (move_mount(tree_fd, "", target_fd, "",
                       MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
                return -errno;
        return 0;
}

int unmount_at(int dir_fd, const char *name, int flags) {
        _cleanup_close_ int cwd = -EBADF;
        int r = 0;

        /* umount2() has no *at() form. Resolving name from a directory we hold, rather than
         * from an absolute path, keeps a container from redirecting us by swapping a parent
         * directory for a symlink between our checks and the unmount. */
        cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (cwd < 0)
                return -errno;
        if (fchdir(dir_fd) < 0)
                return -errno;
        if (umount2(name, UMOUNT_NOFOLLOW | flags) < 0)
                r = -errno;
        if (fchdir(cwd) < 0 && r == 0)
                r = -errno;
        return r;
}
