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
#include "proc-util.h"


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
        if (v <= 0 || v > PID_MAX_LIMIT)
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
