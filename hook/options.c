/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "fd-util.h"
#include "log.h"
#include "options.h"

/* A config file is a handful of lines; anything larger is a mistake, not a config. */
#define CONFIG_FILE_MAX (64 * 1024)

void repair_options_init(RepairOptions *o) {
        *o = (RepairOptions) {
                .timeout = DEFAULT_TIMEOUT_USEC,
                .log_level = LOG_INFO,
                .rearm_psi = true,
        };
}

void repair_options_done(RepairOptions *o) {
        strv_free(o->unit_globs);
        strv_free(o->exclude_globs);
        free(o->state_dir);
        free(o->container_name);
        repair_options_init(o);
}

int repair_options_add_glob(char ***globs, const char *glob) {
        size_t n = 0;
        char **l;

        if (!glob || !*glob || strlen(glob) > 256)
                return -EINVAL;
        while (*globs && (*globs)[n])
                n++;
        if (n >= MAX_GLOBS)
                return -E2BIG;

        l = realloc(*globs, (n + 2) * sizeof(char *));
        if (!l)
                return -ENOMEM;
        *globs = l;
        l[n] = strdup(glob);
        if (!l[n])
                return -ENOMEM;
        l[n + 1] = NULL;
        return 0;
}

int parse_timeout(const char *s, usec_t *ret) {
        unsigned long long sec = 0, frac = 0, scale = USEC_PER_SEC;
        const char *p = s;

        if (!s || !isdigit((unsigned char) *p))
                return -EINVAL;
        for (; isdigit((unsigned char) *p); p++) {
                sec = sec * 10 + (unsigned long long) (*p - '0');
                if (sec > 86400)
                        return -ERANGE;
        }
        if (*p == '.') {
                p++;
                if (!isdigit((unsigned char) *p))
                        return -EINVAL;
                for (; isdigit((unsigned char) *p); p++)
                        if (scale > 1) {
                                scale /= 10;
                                frac += (unsigned long long) (*p - '0') * scale;
                        }
        }
        if (*p != '\0')
                return -EINVAL;
        if (sec == 0 && frac == 0)
                return -ERANGE;
        if (sec == 86400 && frac > 0)
                return -ERANGE;

        *ret = sec * USEC_PER_SEC + frac;
        return 0;
}

int parse_log_level(const char *s, int *ret) {
        static const struct { const char *name; int level; } table[] = {
                { "err", LOG_ERR }, { "error", LOG_ERR }, { "warning", LOG_WARNING },
                { "notice", LOG_NOTICE }, { "info", LOG_INFO }, { "debug", LOG_DEBUG },
        };

        for (size_t i = 0; i < ELEMENTSOF(table); i++)
                if (strcmp(s, table[i].name) == 0) {
                        *ret = table[i].level;
                        return 0;
                }
        return -EINVAL;
}

int parse_pid(const char *s, int *ret) {
        char *end;
        long v;

        if (!s || !isdigit((unsigned char) s[0]))
                return -EINVAL;
        errno = 0;
        v = strtol(s, &end, 10);
        if (errno != 0 || *end != '\0')
                return -EINVAL;
        /* The kernel's PID_MAX_LIMIT. */
        if (v <= 0 || v > 4194304)
                return -ERANGE;
        *ret = (int) v;
        return 0;
}

int parse_boolean(const char *s, bool *ret) {
        static const char *const yes[] = { "yes", "true", "on", "1" };
        static const char *const no[] = { "no", "false", "off", "0" };

        for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
                if (strcasecmp(s, yes[i]) == 0) {
                        *ret = true;
                        return 0;
                }
                if (strcasecmp(s, no[i]) == 0) {
                        *ret = false;
                        return 0;
                }
        }
        return -EINVAL;
}

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

static bool matches_any(char **globs, const char *unit) {
        for (char **g = globs; g && *g; g++)
                if (fnmatch(*g, unit, 0) == 0)
                        return true;
        return false;
}

bool repair_options_unit_selected(const RepairOptions *o, const char *unit) {
        if (o->unit_globs && o->unit_globs[0] && !matches_any(o->unit_globs, unit))
                return false;
        return !matches_any(o->exclude_globs, unit);
}
