/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <limits.h>

#include "time-util.h"

usec_t now_usec(clockid_t clock) {
        struct timespec ts;

        (void) clock_gettime(clock, &ts);
        return (usec_t) ts.tv_sec * USEC_PER_SEC + (usec_t) ts.tv_nsec / 1000;
}

usec_t usec_until(usec_t deadline) {
        usec_t n;

        if (deadline == USEC_INFINITY)
                return USEC_INFINITY;
        n = now_usec(CLOCK_MONOTONIC);
        return deadline > n ? deadline - n : 0;
}

int usec_to_poll_timeout(usec_t usec) {
        if (usec == USEC_INFINITY)
                return -1;
        if (usec / USEC_PER_MSEC >= INT_MAX)
                return INT_MAX;
        return (int) ((usec + USEC_PER_MSEC - 1) / USEC_PER_MSEC);
}
