/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define SD_JOURNAL_SUPPRESS_LOCATION
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <systemd/sd-journal.h>

#include "io-util.h"
#include "log.h"

/* Logging configuration is an option like any other: written once at start-up (and once more in
 * a forked worker), read everywhere else. */
static struct {
        const char *program;
        LogTarget targets;
        int max_level;
        int relay_fd;
        char container[128];
} log_options = {
        .program = "autofs-restore",
        .targets = LOG_TARGET_STDERR,
        .max_level = LOG_INFO,
        .relay_fd = -1,
};

void log_setup(const char *program, LogTarget targets, int max_level) {
        log_options.program = program;
        log_options.targets = targets;
        log_options.max_level = max_level;
}

void log_set_max_level(int level) {
        log_options.max_level = level;
}

int log_get_max_level(void) {
        return log_options.max_level;
}

void log_set_relay_fd(int fd) {
        log_options.relay_fd = fd;
        log_options.targets = fd >= 0 ? LOG_TARGET_RELAY : LOG_TARGET_STDERR;
}

void log_set_context(const char *container) {
        snprintf(log_options.container, sizeof log_options.container, "%s", container ?: "");
}

const char *log_program(void) {
        return log_options.program;
}

static void log_dispatch(int level, int error, const char *file, int line, const char *func,
                         const char *message) {
        char buf[LINE_MAX + 64];
        int n;

        if (log_options.targets & LOG_TARGET_RELAY) {
                n = snprintf(buf, sizeof buf, "<%d>%s\n", level, message);
                if (n > 0)
                        (void) write_all(log_options.relay_fd, buf,
                                         (size_t) n < sizeof buf ? (size_t) n : sizeof buf - 1);
        }

        if (log_options.targets & LOG_TARGET_STDERR) {
                if (log_options.container[0])
                        n = snprintf(buf, sizeof buf, "%s: %s: %s\n", log_options.program,
                                     log_options.container, message);
                else
                        n = snprintf(buf, sizeof buf, "%s: %s\n", log_options.program, message);
                if (n > 0)
                        (void) write_all(STDERR_FILENO, buf,
                                         (size_t) n < sizeof buf ? (size_t) n : sizeof buf - 1);
        }

        /* A missing journal (no journald on the host) is not an error worth reporting: stderr
         * already has the line. */
        if (log_options.targets & LOG_TARGET_JOURNAL)
                (void) sd_journal_send("MESSAGE=%s", message,
                                       "PRIORITY=%d", level,
                                       "SYSLOG_IDENTIFIER=%s", log_options.program,
                                       "CONTAINER_ID=%s", log_options.container,
                                       "CODE_FILE=%s", file,
                                       "CODE_LINE=%d", line,
                                       "CODE_FUNC=%s", func,
                                       error != 0 ? "ERRNO=%d" : NULL, abs(error),
                                       NULL);
}

int log_full_errno(int level, int error, const char *file, int line, const char *func,
                   const char *format, ...) {
        char message[LINE_MAX];
        int saved_errno = errno;
        va_list ap;

        error = abs(error);
        if (level > log_options.max_level)
                return -error;

        /* Let %m render the error we were given. */
        errno = error;
        va_start(ap, format);
        vsnprintf(message, sizeof message, format, ap);
        va_end(ap);

        log_dispatch(level, error, file, line, func, message);
        errno = saved_errno;
        return -error;
}

void log_relayed_line(const char *line) {
        int level = LOG_INFO;

        if (line[0] == '<' && line[1] >= '0' && line[1] <= '7' && line[2] == '>') {
                level = line[1] - '0';
                line += 3;
        }
        if (level > log_options.max_level)
                return;
        log_dispatch(level, 0, "relay", 0, "worker", line);
}
