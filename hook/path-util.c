/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "path-util.h"
#include "string-util.h"

/* systemd's UNIT_NAME_MAX. */
#define UNIT_NAME_MAX 256

bool path_is_normalized_absolute(const char *p) {
        size_t n;

        if (!p || p[0] != '/')
                return false;
        n = strnlen(p, PATH_MAX);
        if (n >= PATH_MAX)
                return false;
        if (n > 1 && p[n - 1] == '/')
                return false;

        if (string_has_control_chars(p))
                return false;

        /* Walk the components: each starts right after a '/'. */
        for (const char *c = p; *c; ) {
                const char *component = c + 1, *end = strchrnul(component, '/');
                size_t len = (size_t) (end - component);

                if (*component == '\0' && c == p)
                        break; /* the root "/" */
                if (len == 0)
                        return false;
                if ((len == 1 && component[0] == '.') ||
                    (len == 2 && component[0] == '.' && component[1] == '.'))
                        return false;
                c = end;
        }
        return true;
}

const char *path_startswith(const char *path, const char *prefix) {
        size_t n = strlen(prefix);

        /* "/" is a prefix of every absolute path. */
        while (n > 0 && prefix[n - 1] == '/')
                n--;
        if (strncmp(path, prefix, n) != 0)
                return NULL;
        if (path[n] == '\0')
                return path + n;
        if (path[n] != '/')
                return NULL;
        while (path[n] == '/')
                n++;
        return path + n;
}

static bool char_needs_no_escape(char c, bool first) {
        if (c >= 'a' && c <= 'z')
                return true;
        if (c >= 'A' && c <= 'Z')
                return true;
        if (c >= '0' && c <= '9')
                return true;
        if (c == ':' || c == '_')
                return true;
        return c == '.' && !first;
}

int unit_name_from_path(const char *path, const char *suffix, char **ret) {
        _cleanup_free_ char *s = NULL;
        size_t len, o = 0;

        if (!path_is_normalized_absolute(path))
                return -EINVAL;

        if (strcmp(path, "/") == 0) {
                if (asprintf(&s, "-%s", suffix) < 0)
                        return -ENOMEM;
                *ret = TAKE_PTR(s);
                return 0;
        }

        path++; /* the leading '/' is dropped */
        len = strlen(path);
        s = malloc(len * 4 + strlen(suffix) + 1);
        if (!s)
                return -ENOMEM;

        for (size_t i = 0; i < len; i++) {
                char c = path[i];

                if (c == '/')
                        s[o++] = '-';
                else if (char_needs_no_escape(c, i == 0))
                        s[o++] = c;
                else
                        o += (size_t) sprintf(s + o, "\\x%02x", (unsigned char) c);
        }
        strcpy(s + o, suffix);

        if (!unit_name_is_valid(s, suffix))
                return -EINVAL; /* too long to be a unit name */
        *ret = TAKE_PTR(s);
        return 0;
}

bool unit_name_is_valid(const char *name, const char *suffix) {
        size_t n, sn = strlen(suffix);

        if (!name)
                return false;
        n = strnlen(name, UNIT_NAME_MAX);
        if (n >= UNIT_NAME_MAX || n <= sn)
                return false;
        if (strcmp(name + n - sn, suffix) != 0)
                return false;
        for (size_t i = 0; i < n - sn; i++) {
                char c = name[i];
                if (!(char_needs_no_escape(c, false) || c == '-' || c == '\\' || c == '@'))
                        return false;
        }
        return name[0] != '.';
}
