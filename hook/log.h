/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <syslog.h>

#include "macro.h"

/* Where log lines go. Several may be set at once. */
typedef enum LogTarget {
        LOG_TARGET_STDERR  = 1 << 0,
        LOG_TARGET_JOURNAL = 1 << 1,
        /* "<prio>message\n" lines on a pipe, relayed by a parent process: used by the worker
         * inside the container, whose root no longer leads to the host's journal socket. */
        LOG_TARGET_RELAY   = 1 << 2,
        /* Timestamped lines appended to a file (--log-file): runtimes drop a successful hook's
         * stderr, and not every host runs journald. */
        LOG_TARGET_FILE    = 1 << 3,
} LogTarget;

/* Set once at start-up, like any other option. */
void log_setup(const char *program, LogTarget targets, int max_level);
void log_set_max_level(int level);
int log_get_max_level(void);
void log_set_relay_fd(int fd);
void log_set_context(const char *container);

/* Opens path for appending and adds it as a target. */
int log_open_file(const char *path);
void log_close_file(void);
const char *log_program(void);

/* Every message is escaped before it goes anywhere (see log_escape()): the strings we log come
 * from the container and from our caller.
 *
 * Logs and returns -abs(error), so "return log_error_errno(r, ...);" reports and propagates in
 * one step. %m in the format refers to error, not to whatever errno happens to be. */
int log_full_errno(int level, int error, const char *file, int line, const char *func,
                   const char *format, ...) _printf_(6, 7);

/* Writes src to dst (size bytes) with every control character (newlines, escape codes, carriage
 * returns...), DEL and every byte outside ASCII as \xNN: one line, no terminal escape sequence
 * and no forged "<N>" priority prefix can come out of what a container wrote. */
void log_escape(char *dst, size_t size, const char *src);

/* Re-emits a line received from a worker's relay pipe. */
void log_relayed_line(const char *line);

#define log_full_errno_at(level, error, ...)                                            \
        log_full_errno((level), (error), __FILE__, __LINE__, __func__, __VA_ARGS__)

#define log_debug_errno(error, ...)   log_full_errno_at(LOG_DEBUG, error, __VA_ARGS__)
#define log_info_errno(error, ...)    log_full_errno_at(LOG_INFO, error, __VA_ARGS__)
#define log_notice_errno(error, ...)  log_full_errno_at(LOG_NOTICE, error, __VA_ARGS__)
#define log_warning_errno(error, ...) log_full_errno_at(LOG_WARNING, error, __VA_ARGS__)
#define log_error_errno(error, ...)   log_full_errno_at(LOG_ERR, error, __VA_ARGS__)

#define log_debug(...)   ((void) log_debug_errno(0, __VA_ARGS__))
#define log_info(...)    ((void) log_info_errno(0, __VA_ARGS__))
#define log_notice(...)  ((void) log_notice_errno(0, __VA_ARGS__))
#define log_warning(...) ((void) log_warning_errno(0, __VA_ARGS__))
#define log_error(...)   ((void) log_error_errno(0, __VA_ARGS__))

/* For errors that have no errno of their own: marks the code as invented here, as systemd does,
 * so that the log line carries no ERRNO= field as if the kernel had returned it. Only for the
 * error argument of the log_*_errno() functions, which return the plain -errno. */
#define LOG_SYNTHETIC_FLAG (1 << 30)
#define SYNTHETIC_ERRNO(e) (LOG_SYNTHETIC_FLAG | abs(e))
#define IS_SYNTHETIC_ERRNO(e) ((abs(e) & LOG_SYNTHETIC_FLAG) != 0)

#define log_oom() log_error_errno(SYNTHETIC_ERRNO(ENOMEM), "Out of memory.")
