/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The runtime's state JSON, as a runtime (or whoever feeds the hook's stdin) could write it. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "oci-state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        OciState s = OCI_STATE_NULL;
        char *error = NULL;
        int r;

        /* Not NUL-terminated on purpose: the parser must stay within size. */
        r = oci_state_parse((const char *) data, size, &s, &error);
        if (r < 0) {
                /* The contract: a one-line message, or none when out of memory. */
                if (error && strchr(error, '\n'))
                        abort();
                if (!error && r != -ENOMEM)
                        abort();
        } else {
                if (error || !s.id || !s.bundle || s.bundle[0] != '/' || s.pid <= 0)
                        abort();
                for (size_t i = 0; i < s.n_annotations; i++)
                        if (oci_state_annotation(&s, s.annotations[i].key) == NULL)
                                abort();
                (void) oci_status_to_string(s.status);
        }
        free(error);
        oci_state_done(&s);
        return 0;
}
