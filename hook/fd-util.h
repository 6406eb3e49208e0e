/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <dirent.h>

#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "macro.h"

/* Closes fd if valid and returns -EBADF, so that "fd = safe_close(fd);" resets it. */
static inline int safe_close(int fd) {
        if (fd >= 0) {
                int saved = errno;
                (void) close(fd);
                errno = saved;
        }
        return -EBADF;
}

static inline void closep(int *fd) {
        safe_close(*fd);
}
#define _cleanup_close_ _cleanup_(closep)

static inline void close_pairp(int (*p)[2]) {
        safe_close((*p)[0]);
        safe_close((*p)[1]);
}
#define _cleanup_close_pair_ _cleanup_(close_pairp)

static inline void closedirp(DIR **d) {
        if (*d)
                (void) closedir(*d);
}

static inline void fclosep(FILE **f) {
        if (*f)
                fclose(*f);
}
#define _cleanup_fclose_ _cleanup_(fclosep)

/* Closes every fd from `from` upwards except the ones in keep. Negative entries
 * in keep are ignored. */
int close_all_fds_except(int from, const int *keep, size_t n_keep);

/* Points stdin, stdout and stderr at /dev/null. */
int stdio_to_dev_null(void);
