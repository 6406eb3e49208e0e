/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define SD_JOURNAL_SUPPRESS_LOCATION
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
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
        int file_fd;
        char container[128];
} log_options = {
        .program = "autofs-restore",
        .targets = LOG_TARGET_STDERR,
        .max_level = LOG_INFO,
        .relay_fd = -1,
        .file_fd = -1,
};

void log_setup(const char *program, LogTarget targets, int max_level) {
        log_options.program = program;
        log_options.targets = targets | (log_options.file_fd >= 0 ? LOG_TARGET_FILE : 0);
        log_options.max_level = max_level;
}

int log_open_file(const char *path) {
        struct stat st;
        int fd, r;

        /* O_NOFOLLOW: we run as root, the file may be in a directory others can write to.
         * O_NONBLOCK: a FIFO in its place would hang us before any deadline exists. */
        fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW | O_NONBLOCK,
                  0640);
        if (fd < 0)
                return -errno;
        r = fstat(fd, &st) < 0 ? -errno : S_ISREG(st.st_mode) ? 0 : -EINVAL;
        if (r < 0) {
                (void) close(fd);
                return r;
        }
        log_close_file();
        log_options.file_fd = fd;
        log_options.targets |= LOG_TARGET_FILE;
        return 0;
}

void log_close_file(void) {
        if (log_options.file_fd >= 0)
                (void) close(log_options.file_fd);
        log_options.file_fd = -1;
        log_options.targets &= ~LOG_TARGET_FILE;
}

void log_set_max_level(int level) {
        log_options.max_level = level;
}

int log_get_max_level(void) {
        return log_options.max_level;
}

void log_set_relay_fd(int fd) {
        log_options.relay_fd = fd;
        /* The hook on the other end writes to the other targets. */
        log_options.targets = fd >= 0 ? LOG_TARGET_RELAY : LOG_TARGET_STDERR;
}

void log_set_context(const char *container) {
        snprintf(log_options.container, sizeof log_options.container, "%s", container ?: "");
}

const char *log_program(void) {
        return log_options.program;
}

void log_escape(char *dst, size_t size, const char *src) {
        static const char hex[] = "0123456789abcdef";
        size_t j = 0;

        if (size == 0)
                return;
        for (const unsigned char *p = (const unsigned char *) src; *p; p++) {
                if (*p >= 0x20 && *p < 0x7f) {
                        if (j + 1 >= size)
                                break;
                        dst[j++] = (char) *p;
                } else {
                        if (j + 4 >= size)
                                break;
                        dst[j++] = '\\';
                        dst[j++] = 'x';
                        dst[j++] = hex[*p >> 4];
                        dst[j++] = hex[*p & 0xf];
                }
        }
        dst[j] = '\0';
}

static void log_dispatch(int level, int error, const char *file, int line, const char *func,
                         const char *raw_message) {
        char buf[LINE_MAX + 64], message[LINE_MAX];
        int n;

        /* The one place every line passes: whatever a container put into the strings we log
         * leaves here as one line of printable ASCII. */
        log_escape(message, sizeof message, raw_message);

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

        if (log_options.targets & LOG_TARGET_FILE) {
                char stamp[64];
                struct tm tm;
                time_t t = time(NULL);

                if (!localtime_r(&t, &tm) || strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S%z", &tm) == 0)
                        stamp[0] = '\0';
                /* One write per line: the hook and its detached worker share the file. */
                n = snprintf(buf, sizeof buf, "%s %s[%d]: %s%s%s\n", stamp, log_options.program,
                             (int) getpid(), log_options.container,
                             log_options.container[0] ? ": " : "", message);
                if (n > 0)
                        (void) write_all(log_options.file_fd, buf,
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
        bool synthetic;
        va_list ap;

        error = abs(error);
        synthetic = IS_SYNTHETIC_ERRNO(error);
        error &= ~LOG_SYNTHETIC_FLAG;
        if (level > log_options.max_level)
                return -error;

        /* Let %m render the error we were given. */
        errno = error;
        va_start(ap, format);
        vsnprintf(message, sizeof message, format, ap);
        va_end(ap);

        /* An invented error is no errno the kernel returned: no ERRNO= field for it. */
        log_dispatch(level, synthetic ? 0 : error, file, line, func, message);
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
