/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "string-util.h"

bool string_has_control_chars(const char *s) {
        for (; *s; s++)
                if (char_is_control(*s))
                        return true;
        return false;
}

const char *string_excerpt(const char *s, size_t max, char *buf) {
        size_t i = 0;

        for (; i < max && s[i]; i++)
                buf[i] = char_is_control(s[i]) ? '?' : s[i];
        if (s[i]) {
                memcpy(buf + i, "...", 3);
                i += 3;
        }
        buf[i] = '\0';
        return buf;
}
