/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fd-util.h"

static int cmp_int(const void *a, const void *b) {
        int x = *(const int *) a, y = *(const int *) b;
        return (x > y) - (x < y);
}

int close_all_fds_except(int from, const int *keep, size_t n_keep) {
        int sorted[16];
        int start = from;

        if (n_keep > ELEMENTSOF(sorted))
                return -E2BIG;
        for (size_t i = 0; i < n_keep; i++)
                sorted[i] = keep[i];
        qsort(sorted, n_keep, sizeof(int), cmp_int);

        /* close_range() over the gaps between the fds we keep; an empty gap (two adjacent kept
         * fds, or a kept fd at the start) is skipped: close_range() refuses first > last. */
        for (size_t i = 0; i < n_keep; i++) {
                if (sorted[i] < start)
                        continue;
                if (sorted[i] > start && syscall(SYS_close_range, start, sorted[i] - 1, 0) < 0)
                        return -errno;
                start = sorted[i] + 1;
        }
        if (syscall(SYS_close_range, start, ~0U, 0) < 0)
                return -errno;
        return 0;
}

int stdio_to_dev_null(void) {
        _cleanup_close_ int fd = -EBADF;

        fd = open("/dev/null", O_RDWR | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        for (int i = 0; i < 3; i++)
                if (dup2(fd, i) < 0)
                        return -errno;
        return 0;
}
