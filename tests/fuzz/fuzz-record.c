/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The record a run leaves behind: whatever it holds, parsing is safe, and what was parsed
 * survives a write and a read unchanged. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "path-util.h"
#include "record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        Record r = {}, back = {};
        char *text;
        int fd;

        text = strndup((const char *) data, size);
        if (!text)
                return 0;
        if (record_parse(text, &r) < 0) {
                free(text);
                return 0;
        }
        free(text);

        for (size_t i = 0; i < r.n; i++) {
                if (!unit_name_is_valid(r.entries[i].unit, ".automount"))
                        abort();
                if (!record_lookup(&r, r.entries[i].unit))
                        abort();
        }

        fd = memfd_create("fuzz-record", MFD_CLOEXEC);
        if (fd < 0)
                abort();
        if (record_write(fd, &r) < 0 || record_read(fd, &back) < 0)
                abort();
        if (back.n != r.n)
                abort();
        for (size_t i = 0; i < r.n; i++)
                if (strcmp(back.entries[i].unit, r.entries[i].unit) != 0 ||
                    !autofs_identity_equal(&back.entries[i].autofs, &r.entries[i].autofs))
                        abort();
        close(fd);
        record_done(&back);
        record_done(&r);
        return 0;
}
