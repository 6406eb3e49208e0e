/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <linux/auto_dev-ioctl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "autofs-dev.h"
#include "fd-util.h"
#include "mount-ops.h"

#define AUTOFS_MISC_MAJOR 10
#define AUTOFS_MISC_MINOR 235

int autofs_dev_open(void) {
        struct stat st;
        int fd;

        /* The host's node, opened before the worker joins the container: a node the container
         * made could name any device, or be a FIFO. */
        fd = open("/dev/autofs", O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW | O_NONBLOCK);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0 || !S_ISCHR(st.st_mode) || major(st.st_rdev) != AUTOFS_MISC_MAJOR ||
            minor(st.st_rdev) != AUTOFS_MISC_MINOR) {
                safe_close(fd);
                return -ENODEV;
        }
        return fd;
}

static struct autofs_dev_ioctl *ioctl_new(const char *path) {
        size_t len = path ? strlen(path) + 1 : 0;
        struct autofs_dev_ioctl *p = calloc(1, sizeof *p + len);

        if (!p)
                return NULL;
        init_autofs_dev_ioctl(p);
        p->size = (__u32) (sizeof *p + len);
        if (path)
                memcpy(p->path, path, len);
        return p;
}

int autofs_dev_open_mount(int control_fd, const char *path, dev_t dev) {
        _cleanup_free_ struct autofs_dev_ioctl *p = NULL;

        p = ioctl_new(path);
        if (!p)
                return -ENOMEM;
        /* The kernel decodes devid with new_decode_dev(): the low 32 bits of glibc's dev_t
         * are that encoding (autofs devices are anonymous, major 0). */
        p->openmount.devid = (__u32) dev;
        if (ioctl(control_fd, AUTOFS_DEV_IOCTL_OPENMOUNT, p) < 0)
                return -errno;
        /* The kernel opens the handle O_CLOEXEC. */
        return p->ioctlfd;
}

int autofs_dev_make_catatonic(int control_fd, int mount_fd) {
        _cleanup_free_ struct autofs_dev_ioctl *p = NULL;

        p = ioctl_new(NULL);
        if (!p)
                return -ENOMEM;
        p->ioctlfd = mount_fd;
        if (ioctl(control_fd, AUTOFS_DEV_IOCTL_CATATONIC, p) < 0)
                return -errno;
        return 0;
}
