/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The LXC hook's arguments and environment. The input is NUL-separated strings: the first byte
 * says how many of them are arguments, the rest are the environment. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lxc-env.h"

#define MAX_STRINGS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *copy, *strings[MAX_STRINGS + 1], error[256];
        size_t n = 0, n_args;
        LxcHook h;
        int r;

        if (size < 1)
                return 0;
        n_args = data[0] % 8;
        copy = malloc(size);
        if (!copy)
                return 0;
        memcpy(copy, data + 1, size - 1);
        copy[size - 1] = '\0';
        for (char *p = copy; p < copy + size - 1 && n < MAX_STRINGS; p += strlen(p) + 1)
                strings[n++] = p;
        strings[n] = NULL;
        if (n_args > n)
                n_args = n;

        /* The environment follows the arguments, NULL-terminated by strings[n]. */
        memset(error, 'x', sizeof error);
        r = lxc_hook_parse((int) n_args, strings, strings + n_args, &h, error, sizeof error);
        if (memchr(error, '\0', sizeof error) == NULL)
                abort();
        if (r == 0) {
                if (!lxc_name_is_valid(h.name) || (h.version != 0 && h.version != 1))
                        abort();
                (void) lxc_hook_type_to_string(h.type);
        }
        (void) lxc_action_script_name(strings + n_args);
        for (size_t i = 0; i < n; i++) {
                (void) lxc_name_is_valid(strings[i]);
                (void) lxc_hook_type_from_string(strings[i]);
                (void) env_lookup(strings + n_args, strings[i]);
        }
        free(copy);
        return 0;
}
