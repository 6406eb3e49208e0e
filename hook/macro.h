/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _noreturn_ __attribute__((noreturn))
#define _unused_ __attribute__((unused))
#define _warn_unused_result_ __attribute__((warn_unused_result))
#define _likely_(x) __builtin_expect(!!(x), 1)
#define _unlikely_(x) __builtin_expect(!!(x), 0)

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

/* Hands ownership of a pointer or fd out of a _cleanup_ variable. */
#define TAKE_PTR(p)                                     \
        ({                                              \
                __typeof__(p) _took_ = (p);             \
                (p) = NULL;                             \
                _took_;                                 \
        })
#define TAKE_FD(fd)                                     \
        ({                                              \
                int _took_fd_ = (fd);                   \
                (fd) = -EBADF;                          \
                _took_fd_;                              \
        })

#define DEFINE_TRIVIAL_CLEANUP_FUNC(type, func)                 \
        static inline void func##p(type *p) {                   \
                if (*p)                                         \
                        func(*p);                               \
        }

static inline void freep(void *p) {
        free(*(void **) p);
}
#define _cleanup_free_ _cleanup_(freep)

/* Frees a NULL-terminated array of strings. */
static inline void strv_free(char **l) {
        if (!l)
                return;
        for (char **i = l; *i; i++)
                free(*i);
        free(l);
}
DEFINE_TRIVIAL_CLEANUP_FUNC(char **, strv_free);
#define _cleanup_strv_free_ _cleanup_(strv_freep)

/* errno as a negative return value, never 0 even if a libc call forgot to set it. */
static inline int negative_errno(void) {
        return errno > 0 ? -errno : -EIO;
}

#define RET_NERRNO(expr)                        \
        ({                                      \
                int _r_ = (expr);               \
                _r_ < 0 ? negative_errno() : _r_; \
        })

#include <string.h>
static inline int streq_ptr(const char *a, const char *b) {
        return a && b && strcmp(a, b) == 0;
}
