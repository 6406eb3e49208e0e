/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

#include "container.h"
#include "record.h"
#include "tap.h"

int main(void) {
        Record r = {};
        uint64_t t = 0;
        char path[] = "/tmp/test-record-XXXXXX";
        int fd;

        check(record_parse("23527 srv-a1.automount\n23529 srv-a2.automount\n", &r) == 0, "parses");
        check_int(r.n, 2, "two entries");
        check_int(record_lookup(&r, "srv-a2.automount"), 23529, "lookup");
        check_int(record_lookup(&r, "srv-a3.automount"), 0, "missing unit: 0");
        record_done(&r);

        check(record_parse("x y\n12 ../../etc.automount\n12 srv-a.automount trailing\n"
                           "13 srv-b.automount", &r) == 0, "damaged lines skipped");
        check_int(r.n, 1, "only the valid line");
        check_int(record_lookup(&r, "srv-b.automount"), 13, "last line without newline");
        record_done(&r);

        fd = mkstemp(path);
        check(record_add(&r, "srv-c.automount", 99) == 0, "add");
        check(record_write(fd, &r) == 0, "write");
        record_done(&r);
        check(record_read(fd, &r) == 0 && record_lookup(&r, "srv-c.automount") == 99, "round trip");
        record_done(&r);
        close(fd);
        unlink(path);

        check(proc_parse_start_time("1 (systemd) S 0 1 1 0 -1 4194560 1 2 3 4 5 6 7 8 20 0 1 0 352365 1000 10",
                                    &t) == 0 && t == 352365, "start time");
        check(proc_parse_start_time("1 (a) b) c) S 0 1 1 0 -1 4194560 1 2 3 4 5 6 7 8 20 0 1 0 77 1",
                                    &t) == 0 && t == 77, "comm with parentheses and spaces");
        check(proc_parse_start_time("1 (short) S 0", &t) == -EINVAL, "truncated stat line");
        check(proc_parse_start_time("no parenthesis", &t) == -EINVAL, "garbage");
        return tap_done();
}
