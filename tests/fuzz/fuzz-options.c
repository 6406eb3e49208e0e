/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The config file, read through a memfd the way the hook reads a file, and the value parsers
 * the command line uses. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "log.h"
#include "config-file.h"
#include "options.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static bool initialized;
        char path[64], *s;
        RepairOptions o;
        int fd, r;

        if (!initialized) {
                log_setup("fuzz-options", 0, LOG_EMERG);
                initialized = true;
        }

        fd = memfd_create("fuzz-config", MFD_CLOEXEC);
        if (fd < 0)
                abort();
        if (size > 0 && write(fd, data, size) != (ssize_t) size)
                abort();
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);

        repair_options_init(&o);
        r = repair_options_load_file(&o, path);
        if (r == 0) {
                if (o.timeout == 0 || o.timeout > 86400 * USEC_PER_SEC)
                        abort();
                if (o.state_dir && o.state_dir[0] != '/')
                        abort();
                (void) repair_options_unit_selected(&o, "srv-data.automount");
        }
        repair_options_done(&o);
        close(fd);

        s = strndup((const char *) data, size);
        if (!s)
                return 0;
        usec_t t;
        int v;
        if (parse_timeout(s, &t) == 0 && (t == 0 || t > 86400 * USEC_PER_SEC))
                abort();
        if (parse_pid(s, &v) == 0 && (v <= 0 || v > 4194304))
                abort();
        (void) parse_log_level(s, &v);
        free(s);
        return 0;
}
