/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config-file.h"
#include "fd-util.h"
#include "log.h"

/* A config file is a handful of lines; anything larger is a mistake, not a config. */
#define CONFIG_FILE_MAX (64 * 1024)

static char *strip(char *s) {
        char *e;

        while (isspace((unsigned char) *s))
                s++;
        e = s + strlen(s);
        while (e > s && isspace((unsigned char) e[-1]))
                *--e = '\0';
        return s;
}

static int replace_string(char **dst, const char *value) {
        char *v = strdup(value);

        if (!v)
                return -ENOMEM;
        free(*dst);
        *dst = v;
        return 0;
}

static int apply_setting(RepairOptions *o, const char *key, const char *value) {
        if (strcmp(key, "unit") == 0)
                return repair_options_add_glob(&o->unit_globs, value);
        if (strcmp(key, "exclude") == 0)
                return repair_options_add_glob(&o->exclude_globs, value);
        if (strcmp(key, "timeout") == 0)
                return parse_timeout(value, &o->timeout);
        if (strcmp(key, "log-level") == 0)
                return parse_log_level(value, &o->log_level);
        if (strcmp(key, "rearm-psi") == 0)
                return parse_boolean(value, &o->rearm_psi);
        if (strcmp(key, "state-dir") == 0) {
                if (value[0] != '/')
                        return -EINVAL;
                return replace_string(&o->state_dir, value);
        }
        return -ENOKEY;
}

int repair_options_load_file(RepairOptions *o, const char *path) {
        _cleanup_fclose_ FILE *f = NULL;
        _cleanup_close_ int fd = -EBADF;
        char line[LINE_MAX];
        struct stat st;
        unsigned n = 0;

        /* O_NONBLOCK: a FIFO put in its place must not hang us before any deadline exists; the
         * check for a regular file follows. */
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return log_error_errno(SYNTHETIC_ERRNO(EINVAL), "%s: not a regular file", path);
        if (st.st_size > CONFIG_FILE_MAX)
                return log_error_errno(SYNTHETIC_ERRNO(EFBIG), "%s: larger than %d bytes", path,
                                       CONFIG_FILE_MAX);

        f = fdopen(fd, "re");
        if (!f)
                return -errno;
        TAKE_FD(fd);

        while (fgets(line, sizeof line, f)) {
                char *s, *eq;
                int r;

                n++;
                if (!strchr(line, '\n') && !feof(f))
                        return log_error_errno(SYNTHETIC_ERRNO(EINVAL), "%s:%u: line too long", path, n);
                s = strip(line);
                if (*s == '\0' || *s == '#' || *s == ';')
                        continue;
                eq = strchr(s, '=');
                if (!eq)
                        return log_error_errno(SYNTHETIC_ERRNO(EINVAL),
                                               "%s:%u: expected KEY=VALUE", path, n);
                *eq = '\0';
                r = apply_setting(o, strip(s), strip(eq + 1));
                if (r == -ENOKEY)
                        return log_error_errno(SYNTHETIC_ERRNO(EINVAL), "%s:%u: unknown key '%s'",
                                               path, n, strip(s));
                if (r < 0)
                        return log_error_errno(r, "%s:%u: invalid value for '%s': %m", path, n,
                                               strip(s));
        }
        if (ferror(f))
                return log_error_errno(SYNTHETIC_ERRNO(EIO), "%s: read error", path);
        return 0;
}

