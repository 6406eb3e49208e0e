/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A minimal TAP producer: each check prints "ok N - name" or "not ok N - name"; tap_done()
 * prints the plan and returns the exit status. */

#include <stdio.h>
#include <string.h>

static unsigned tap_count, tap_failed;

#define check(cond, ...)                                                        \
        do {                                                                    \
                bool _ok_ = (cond);                                             \
                tap_count++;                                                    \
                if (!_ok_)                                                      \
                        tap_failed++;                                           \
                printf("%sok %u - ", _ok_ ? "" : "not ", tap_count);            \
                printf(__VA_ARGS__);                                            \
                printf("\n");                                                   \
                if (!_ok_)                                                      \
                        printf("#   failed at %s:%d: %s\n", __FILE__, __LINE__, #cond); \
        } while (0)

#define check_int(a, b, ...)                                                    \
        do {                                                                    \
                long long _a_ = (long long) (a), _b_ = (long long) (b);         \
                check(_a_ == _b_, __VA_ARGS__);                                 \
                if (_a_ != _b_)                                                 \
                        printf("#   got %lld, expected %lld\n", _a_, _b_);      \
        } while (0)

#define check_str(a, b, ...)                                                    \
        do {                                                                    \
                const char *_a_ = (a), *_b_ = (b);                              \
                bool _eq_ = _a_ && _b_ && strcmp(_a_, _b_) == 0;                \
                check(_eq_, __VA_ARGS__);                                       \
                if (!_eq_)                                                      \
                        printf("#   got '%s', expected '%s'\n", _a_ ?: "(null)", _b_ ?: "(null)"); \
        } while (0)

static inline int tap_done(void) {
        printf("1..%u\n", tap_count);
        return tap_failed == 0 ? 0 : 1;
}
