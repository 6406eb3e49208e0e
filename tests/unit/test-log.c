/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

#include "log.h"
#include "record.h"
#include "tap.h"

int main(void) {
        char buf[128], small[8];
        Record r = {};
        char *text = NULL;
        size_t size = 0;

        /* What a container may put into the strings we log. */
        log_escape(buf, sizeof buf, "inactive\n<0>FORGED \x1b[31mred\r\x07\x7f");
        check_str(buf, "inactive\\x0a<0>FORGED \\x1b[31mred\\x0d\\x07\\x7f", "control characters escaped");
        log_escape(buf, sizeof buf, "caf\xc3\xa9 \xc2\x9b");
        check_str(buf, "caf\\xc3\\xa9 \\xc2\\x9b", "bytes outside ASCII escaped (C1 controls too)");
        log_escape(buf, sizeof buf, "srv-a\\x2d1.automount");
        check_str(buf, "srv-a\\x2d1.automount", "printable text unchanged");
        log_escape(small, sizeof small, "abcd\nefgh");
        check_str(small, "abcd", "an escape that does not fit is left out whole");

        /* An invented error returns the plain errno. */
        log_setup("test-log", LOG_TARGET_STDERR, LOG_DEBUG);
        check_int(log_debug_errno(SYNTHETIC_ERRNO(EINVAL), "synthetic"), -EINVAL, "SYNTHETIC_ERRNO returns -errno");
        check(IS_SYNTHETIC_ERRNO(SYNTHETIC_ERRNO(EPERM)), "marked");
        check(!IS_SYNTHETIC_ERRNO(EPERM), "a plain errno is not marked");
        check_int(log_debug_errno(-ENOENT, "plain"), -ENOENT, "plain errno returned");

        /* Stash names in the record: only well-formed ones survive. */
        check(record_parse("stash autofs-restore-hook.0123456789abcdef\nstash ../../etc\n"
                           "stash autofs-restore-hook.0123456789ABCDEF\n1 2 3 srv-a1.automount\n", &r) == 0,
              "record with stashes parses");
        check_int(r.n_stashes, 1, "one valid stash name");
        check_int(r.n, 1, "the entry too");
        check(record_format(&r, &text, &size) == 0, "formats");
        check_str(text, "1 2 3 srv-a1.automount\nstash autofs-restore-hook.0123456789abcdef\n", "round trip");
        free(text);
        for (int i = 0; i < RECORD_MAX_STASHES; i++) {
                char name[STASH_NAME_SIZE];
                snprintf(name, sizeof name, STASH_NAME_PREFIX "%016x", i + 1);
                (void) record_add_stash(&r, name);
        }
        check_int(record_add_stash(&r, STASH_NAME_PREFIX "ffffffffffffffff"), -E2BIG, "bounded");
        record_done(&r);
        return tap_done();
}
