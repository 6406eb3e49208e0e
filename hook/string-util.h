/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* ASCII control characters and DEL: what may split a log line or drive a terminal. */
static inline bool char_is_control(char c) {
        return (unsigned char) c < 0x20 || c == 0x7f;
}

bool string_has_control_chars(const char *s);

/* Input quoted in an error message: at most max characters of s, control characters shown as
 * '?', "..." when cut. buf must hold max + 4 bytes. */
const char *string_excerpt(const char *s, size_t max, char *buf);
