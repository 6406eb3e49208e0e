/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>
#include <time.h>

typedef uint64_t usec_t;

#define USEC_INFINITY ((usec_t) UINT64_MAX)
#define USEC_PER_SEC  ((usec_t) 1000000ULL)
#define USEC_PER_MSEC ((usec_t) 1000ULL)

usec_t now_usec(clockid_t clock);

/* Time left until an absolute CLOCK_MONOTONIC deadline; 0 once it has passed. */
usec_t usec_until(usec_t deadline);

/* Milliseconds for poll(2), rounded up so a wait never ends before the deadline. */
int usec_to_poll_timeout(usec_t usec);
