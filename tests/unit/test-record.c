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

        AutofsIdentity a2 = { 91, 79, 23529 }, c = { 5, 6, 99 };

        check(record_parse("90 78 23527 srv-a1.automount\n91 79 23529 srv-a2.automount\n", &r) == 0,
              "parses");
        check_int(r.n, 2, "two entries");
        check(autofs_identity_equal(record_lookup(&r, "srv-a2.automount"), &a2), "lookup");
        check(record_lookup(&r, "srv-a3.automount") == NULL, "missing unit: NULL");
        check(!autofs_identity_equal(NULL, &a2), "NULL never equals");
        check(!autofs_identity_equal(&(AutofsIdentity) { 91, 80, 23529 }, &a2), "other device differs");
        check(!autofs_identity_equal(&(AutofsIdentity) { 92, 79, 23529 }, &a2), "other mount ID differs");
        check(!autofs_identity_equal(&(AutofsIdentity) { 91, 79, 1 }, &a2), "other pipe differs");
        record_done(&r);

        check(record_parse("x y\n1 2 12 ../../etc.automount\n1 2 12 srv-a.automount trailing\n"
                           "12 srv-old-format.automount\n1 2 13 srv-b.automount", &r) == 0,
              "damaged lines skipped");
        check_int(r.n, 1, "only the valid line");
        check(record_lookup(&r, "srv-b.automount") && record_lookup(&r, "srv-b.automount")->pipe_ino == 13,
              "last line without newline");
        record_done(&r);

        fd = mkstemp(path);
        check(record_add(&r, "srv-c.automount", &c) == 0, "add");
        check(record_write(fd, &r) == 0, "write");
        record_done(&r);
        check(record_read(fd, &r) == 0 && autofs_identity_equal(record_lookup(&r, "srv-c.automount"), &c),
              "round trip");
        record_done(&r);
        close(fd);
        unlink(path);

        check(proc_parse_start_time("1 (systemd) S 0 1 1 0 -1 4194560 1 2 3 4 5 6 7 8 20 0 1 0 352365 1000 10",
                                    &t) == 0 && t == 352365, "start time");
        check(proc_parse_start_time("1 (a) b) c) S 0 1 1 0 -1 4194560 1 2 3 4 5 6 7 8 20 0 1 0 77 1",
                                    &t) == 0 && t == 77, "comm with parentheses and spaces");
        check(proc_parse_start_time("1 (short) S 0", &t) == -EINVAL, "truncated stat line");
        check(proc_parse_start_time("no parenthesis", &t) == -EINVAL, "garbage");

        pid_t tracer = -1;
        check(proc_parse_tracer_pid("Name:\tcriu\nState:\tS\nTracerPid:\t4711\nUid:\t0\n", &tracer) == 0 &&
              tracer == 4711, "TracerPid");
        check(proc_parse_tracer_pid("Name:\tsystemd\nTracerPid:\t0\n", &tracer) == 0 && tracer == 0,
              "not traced");
        check(proc_parse_tracer_pid("Name:\tx\nTracerPid:\tjunk\n", &tracer) == -EINVAL, "junk");
        check(proc_parse_tracer_pid("TracerPid:\t5\n", &tracer) == -EINVAL,
              "only a whole line counts (status never starts with it)");
        return tap_done();
}
